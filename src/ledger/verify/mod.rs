//! `ledger verify`: recomputes everything from the stored bytes and never trusts a
//! stored hash. Full mode re-checks every entry, every stored Merkle node and every
//! checkpoint; incremental mode (`--since CHECKPOINT`) proves that the ledger extends a
//! trusted checkpoint and re-checks only what was appended after it. The store is opened
//! read-only; no network is used.
//!
//! The seams: `source` (where entries come from, and the stateless checks run on worker
//! threads), `chain` (positions, hashes, ids, signers), `rules` (refs, amendments, keys,
//! and the features' checkers), `tree` (stored Merkle nodes) and `checkpoints` (signed
//! checkpoints and the caller's trust anchors).

mod chain;
mod checkpoints;
mod rules;
mod source;
mod tree;

use super::amend::Status;
use super::checkpoint::Checkpoint;
use super::error::{LedgerError, Result};
use super::keys::KeyHistory;
use super::kinds::{Checker, Kinds};
use super::merkle::{Frontier, Hash};
use super::scan::{self, Feed};
use super::store::{self, Access, Reads, StoreError};
use super::Genesis;
use crate::sign::VerifierKey;
use source::Summary;
use std::collections::{HashMap, VecDeque};

/// What the caller trusts, from outside the file.
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    /// Keys that must have signed every checkpoint (`--trust-key`).
    pub keys: Vec<VerifierKey>,
    /// A checkpoint the ledger must extend (`--trust-checkpoint`).
    pub checkpoint: Option<Checkpoint>,
    /// Incremental mode: the trusted checkpoint everything after which is re-checked.
    pub since: Option<Checkpoint>,
    /// Witnesses and the cosignature quorum the newest checkpoint must meet.
    pub policy: Option<super::policy::Policy>,
}

/// The first problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub seq: u64,
    pub id: Option<String>,
    pub reason: String,
}

/// The outcome of a verification.
#[derive(Clone, Debug)]
pub struct Report {
    pub entries: u64,
    pub checkpoints: u64,
    pub root: Hash,
    /// Descriptions of the trust anchors used; empty means internal consistency only.
    pub anchors: Vec<String>,
    /// The first seq whose bytes were re-checked (0 in full mode).
    pub checked_from: u64,
    pub failure: Option<Failure>,
}

impl Report {
    pub fn valid(&self) -> bool {
        self.failure.is_none()
    }
}

/// Rows per batch handed to a worker.
const BATCH: usize = 1024;

/// Verifies an open ledger (the caller opens it, read-only where it only verifies).
/// Errors are for a verification that could not run (a locked or unreachable database);
/// a ledger that fails is an `Ok` report with a failure.
pub fn verify(
    store: &dyn store::Store,
    kinds: &Kinds,
    anchors: &Anchors,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report> {
    // One read snapshot for everything but the entries themselves, which the workers
    // read below the size seen here: entries never change once written, and every byte
    // read is hashed into the tree that must match the checkpoints read here.
    let snapshot = store.read()?;
    let mut v = Verifier::new(Some(snapshot.as_ref()), kinds, anchors, None)?;
    let outcome = v.run(store, progress);
    // A database that reports corruption fails verification rather than erroring.
    v.report(outcome, LedgerError::is_corruption)
}

/// Feeds a streaming verification: `(queue_checkpoint(size, note), push_entry(seq, bytes))`.
pub(crate) type StreamSource<'a> =
    dyn FnMut(&mut dyn FnMut(u64, String), &mut dyn FnMut(u64, &[u8])) -> Result<bool> + 'a;

/// Verifies entries and checkpoints that stream in (a bundle). `source` pushes the next
/// entry (returning true) after queueing any checkpoints before it, or returns false at
/// the end. Source errors that are negative results (a truncated bundle) become failures.
pub(crate) fn verify_stream(
    kinds: &Kinds,
    anchors: &Anchors,
    origin: String,
    keys: Vec<VerifierKey>,
    total: u64,
    progress: &mut dyn FnMut(u64, u64),
    source: &mut StreamSource<'_>,
) -> Result<Report> {
    let mut v = Verifier::new(None, kinds, anchors, Some((origin, keys)))?;
    // The last entry the source gave: a problem with a line of the source (a misplaced
    // checkpoint, a truncated file) is reported at the entry it follows, even when the
    // checks in order have not reached that entry yet.
    let mut read_to = 0u64;
    let mut push = |v: &mut Verifier<'_>, batch: &mut scan::Batch| -> Step<bool> {
        let mut queue = |size: u64, note: String| v.checkpoints.push_back((size, note));
        let mut add = |seq: u64, body: &[u8]| {
            read_to = seq;
            batch.push_entry(seq, body);
        };
        source(&mut queue, &mut add).map_err(|e| match e {
            LedgerError::Invalid(reason) => Stop::Failed(Failure {
                seq: read_to,
                id: None,
                reason,
            }),
            e => Stop::Error(e),
        })
    };
    let outcome = v
        .pipeline(Feed::Push(&mut push), total, progress)
        .and_then(|()| v.finish());
    v.report(outcome, |e| matches!(e, LedgerError::Invalid(_)))
}

pub(super) enum Stop {
    Failed(Failure),
    Error(LedgerError),
}

impl From<LedgerError> for Stop {
    fn from(e: LedgerError) -> Self {
        Stop::Error(e)
    }
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Error(e.into())
    }
}

pub(super) type Step<T = ()> = std::result::Result<T, Stop>;

pub(super) fn fail<T>(seq: u64, id: Option<&str>, reason: impl Into<String>) -> Step<T> {
    Err(Stop::Failed(Failure {
        seq,
        id: id.map(str::to_owned),
        reason: reason.into(),
    }))
}

/// What verify remembers of an entry: enough for refs, amendment rules and checkers.
#[derive(Clone, Copy)]
pub(super) struct Known {
    pub seq: u64,
    /// The kind's position in the registry.
    pub kind: u16,
}

pub(super) struct Verifier<'c> {
    /// The read snapshot; None when verifying a bundle (no stored nodes, columns or
    /// indexes to cross-check).
    pub db: Option<&'c dyn Reads>,
    pub kinds: &'c Kinds,
    pub anchors: &'c Anchors,
    /// The bundle header's origin and keys, which must be the genesis entry's.
    pub expected: Option<(String, Vec<VerifierKey>)>,
    /// The root at the trusted checkpoint's size, seen while streaming.
    pub anchor_root: Option<Hash>,
    /// The newest checkpoint note checked (bundle mode: with its cosignatures).
    pub newest_note: Option<String>,
    pub genesis: Option<Genesis>,
    /// Every key the ledger has named so far, and when each could sign.
    pub history: KeyHistory,
    /// Whether the newest checkpoint checked carries a signature by a trusted key.
    pub newest_trusted: bool,
    pub frontier: Frontier,
    pub next_seq: u64,
    pub prev: Hash,
    /// The `prev` field of the last entry checked, and that entry's id.
    pub last_prev: Hash,
    pub prev_id: Option<u128>,
    pub checked_from: u64,
    pub ids: UlidMap<Known>,
    pub statuses: HashMap<u64, Status>,
    /// One per feature: its stateful checks.
    pub checkers: Vec<Option<Box<dyn Checker>>>,
    /// Stored interior nodes, read ahead per level.
    pub node_buffers: Vec<VecDeque<(u64, Hash)>>,
    pub nodes_checked: u64,
    pub amendment_rows: Vec<(u64, u64)>,
    pub checkpoints: VecDeque<(u64, String)>,
    pub checkpoints_checked: u64,
    pub last_checkpoint_size: u64,
    /// Signer identities of entries not yet covered by a checkpoint, with their first seq.
    pub uncovered_signers: Vec<(usize, u64)>,
}

impl<'c> Verifier<'c> {
    fn new(
        db: Option<&'c dyn Reads>,
        kinds: &'c Kinds,
        anchors: &'c Anchors,
        expected: Option<(String, Vec<VerifierKey>)>,
    ) -> Result<Self> {
        Ok(Verifier {
            db,
            kinds,
            anchors,
            expected,
            anchor_root: None,
            newest_note: None,
            genesis: None,
            history: KeyHistory::default(),
            newest_trusted: false,
            frontier: Frontier::new(),
            next_seq: 0,
            prev: [0; 32],
            last_prev: [0; 32],
            prev_id: None,
            checked_from: 0,
            ids: UlidMap::default(),
            statuses: HashMap::new(),
            checkers: kinds.features().map(|f| f.checker()).collect(),
            node_buffers: Vec::new(),
            nodes_checked: 0,
            amendment_rows: Vec::new(),
            checkpoints: VecDeque::new(),
            checkpoints_checked: 0,
            last_checkpoint_size: 0,
            uncovered_signers: Vec::new(),
        })
    }

    /// The database, in the modes that have one.
    pub fn db(&self) -> Step<&'c dyn Reads> {
        self.db.ok_or_else(|| {
            Stop::Error(LedgerError::Damaged(
                "internal error: this check needs the database".into(),
            ))
        })
    }

    pub fn incremental(&self) -> bool {
        self.anchors.since.is_some()
    }

    /// The report of a run: failures (and errors `as_failure` accepts) become the
    /// report's failure; other errors are returned.
    fn report(self, outcome: Step, as_failure: impl Fn(&LedgerError) -> bool) -> Result<Report> {
        let failure = match outcome {
            Ok(()) => None,
            Err(Stop::Failed(f)) => Some(f),
            Err(Stop::Error(e)) if as_failure(&e) => Some(Failure {
                seq: self.next_seq,
                id: None,
                reason: e.to_string(),
            }),
            Err(Stop::Error(e)) => return Err(e),
        };
        Ok(Report {
            entries: self.next_seq,
            checkpoints: self.checkpoints_checked,
            root: self.frontier.root(),
            anchors: self.anchor_names(),
            checked_from: self.checked_from,
            failure,
        })
    }

    fn run(&mut self, store: &dyn store::Store, progress: &mut dyn FnMut(u64, u64)) -> Step {
        let total = self.db()?.size()?;
        self.load_checkpoints()?;
        self.read_genesis()?;
        if let Some(since) = self.anchors.since.clone() {
            self.start_after(&since, total)?;
        }
        let feed = Feed::Store {
            store,
            from: self.next_seq,
            to: total,
            columns: true,
            access: Access::Sequential,
        };
        self.pipeline(feed, total, progress)?;
        self.finish()
    }

    /// Runs the stateless work (parse, canonical check, leaf hash, the features'
    /// inspections) on worker threads, a batch at a time, and the stateful checks here, in
    /// order.
    fn pipeline(
        &mut self,
        feed: Feed<'_, Self, Stop>,
        total: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Step {
        let keys = match (&self.genesis, &self.expected) {
            (Some(g), _) => g.keys.clone(),
            (None, Some((_, k))) => k.clone(),
            (None, None) => Vec::new(),
        };
        let identities: Vec<String> = keys.iter().map(VerifierKey::identity).collect();
        let kinds = self.kinds;
        let work = |batch: &mut scan::Batch, (): ()| source::summarize(batch, &identities, kinds);
        let mut sink = |v: &mut Self, parsed: Vec<Summary>| v.check_batch(parsed, total, progress);
        scan::run(self, feed, BATCH, &work, &mut sink)?;
        progress(self.next_seq, total);
        Ok(())
    }

    fn check_batch(&mut self, batch: Vec<Summary>, total: u64, progress: &mut dyn FnMut(u64, u64)) -> Step {
        for p in batch {
            if p.seq != self.next_seq as i64 {
                return fail(
                    self.next_seq,
                    None,
                    format!(
                        "entry {} is missing (the next stored entry is {})",
                        self.next_seq, p.seq
                    ),
                );
            }
            self.check_entry(p)?;
        }
        progress(self.next_seq, total);
        Ok(())
    }

    fn finish(&mut self) -> Step {
        let n = self.next_seq;
        if let Some((size, _)) = self.checkpoints.front() {
            return fail(n, None, format!("checkpoint {size} covers {size} entries but the ledger holds only {n}: entries were deleted"));
        }
        if n == 0 {
            return fail(0, None, "the ledger has no genesis entry");
        }
        for checker in self.checkers.iter_mut().flatten() {
            if let Err((seq, why)) = checker.finish() {
                return fail(seq, None, why);
            }
        }
        self.check_anchors()?;
        if self.db.is_none() {
            return Ok(());
        }
        self.check_derived()
    }
}

/// A ULID's value (0 for text that is not one: such ids were refused by the parser).
pub(super) fn ulid_value(id: &str) -> u128 {
    crate::ledger::ids::ulid_value(id).unwrap_or(0)
}

pub(super) use crate::ledger::ids::ulid_text;

pub(super) type UlidMap<V> = crate::ledger::ids::UlidMap<u128, V>;
