//! `ledger verify`: recomputes everything from the stored bytes and never trusts a
//! stored hash. Full mode re-checks every entry, every stored Merkle node and every
//! checkpoint; incremental mode (`--since CHECKPOINT`) proves that the ledger extends a
//! trusted checkpoint and re-checks only what was appended after it. The database is
//! opened read-only; no network is used.

use super::amend::{Amendment, Named, Status};
use super::checkpoint::Checkpoint;
use super::entry::{Entry, KIND_AMENDMENT, KIND_GENESIS};
use super::keys::{KeyChange, KeyHistory, KIND_KEY};
use super::merkle::{self, Frontier, Hash};
use super::{store, Genesis};
use crate::error::{Error, ErrorKind, Result};
use crate::sign::VerifierKey;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::mpsc::sync_channel;

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

/// Verifies the ledger at `path`. Errors are for a verification that could not run
/// (missing file, not a ledger, locked); a ledger that fails is an `Ok` report with a
/// failure.
pub fn verify(path: &Path, anchors: &Anchors, progress: &mut dyn FnMut(u64, u64)) -> Result<Report> {
    let conn = store::open_ro(path)?;
    // One read transaction: every statement sees the same snapshot, even while a writer
    // (a bft node, another operator) commits meanwhile.
    let snapshot = conn.unchecked_transaction()?;
    let mut v = Verifier::new(&snapshot, anchors)?;
    let outcome = v.run(progress);
    // A database that reports corruption fails verification rather than erroring.
    v.report(outcome, is_corruption)
}

/// Feeds a streaming verification: `(queue_checkpoint(size, note), push_entry(seq, bytes))`.
pub(crate) type StreamSource<'a> =
    dyn FnMut(&mut dyn FnMut(u64, String), &mut dyn FnMut(u64, &[u8])) -> Result<bool> + 'a;

/// Verifies entries and checkpoints that stream in (a bundle). `source` pushes the next
/// entry (returning true) after queueing any checkpoints before it, or returns false at
/// the end. Source errors of kind Invalid (a truncated bundle) become failures.
pub(crate) fn verify_stream(
    anchors: &Anchors,
    keys: Vec<VerifierKey>,
    total: u64,
    progress: &mut dyn FnMut(u64, u64),
    source: &mut StreamSource<'_>,
) -> Result<Report> {
    let mut v = Verifier::streaming(anchors, Some(keys));
    let outcome = v
        .pipeline(total, progress, &mut |v, batch| {
            let mut queue = |size: u64, note: String| v.checkpoints.push_back((size, note));
            let mut push = |seq: u64, body: &[u8]| batch.push_entry(seq, body);
            source(&mut queue, &mut push).map_err(Stop::Error)
        })
        .and_then(|()| v.finish());
    // A truncated or miscounted bundle fails verification rather than erroring.
    v.report(outcome, |e| e.kind == ErrorKind::Invalid)
}

fn is_corruption(e: &Error) -> bool {
    e.kind == ErrorKind::Environment && e.message.contains("corrupt")
}

enum Stop {
    Failed(Failure),
    Error(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Error(e)
    }
}

impl From<rusqlite::Error> for Stop {
    fn from(e: rusqlite::Error) -> Self {
        Stop::Error(e.into())
    }
}

type Step<T = ()> = std::result::Result<T, Stop>;

fn fail<T>(seq: u64, id: Option<&str>, reason: impl Into<String>) -> Step<T> {
    Err(Stop::Failed(Failure {
        seq,
        id: id.map(str::to_owned),
        reason: reason.into(),
    }))
}

/// What verify remembers of an entry: enough for refs and amendment rules.
#[derive(Clone, Copy)]
struct Known {
    seq: u64,
    class: Class,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Genesis,
    Amendment,
    Case,
    Ruling,
    Key,
    Other,
}

impl Class {
    fn of(kind: &str) -> Self {
        match kind {
            KIND_GENESIS => Class::Genesis,
            KIND_AMENDMENT => Class::Amendment,
            super::entry::KIND_CASE => Class::Case,
            super::entry::KIND_RULING => Class::Ruling,
            KIND_KEY => Class::Key,
            _ => Class::Other,
        }
    }
    fn kind(self) -> &'static str {
        match self {
            Class::Genesis => KIND_GENESIS,
            Class::Amendment => KIND_AMENDMENT,
            Class::Case => super::entry::KIND_CASE,
            Class::Ruling => super::entry::KIND_RULING,
            Class::Key => KIND_KEY,
            Class::Other => "observation",
        }
    }
}

/// What verify remembers of a case: its entries, and whether a ruling decided it.
struct CaseInfo {
    entries: Vec<u128>,
    closed: bool,
}

struct Verifier<'c> {
    /// None when verifying a bundle: no stored nodes, columns or indexes to cross-check.
    conn: Option<&'c Connection>,
    anchors: &'c Anchors,
    /// The bundle header's keys, which must be the genesis keys.
    expected_keys: Option<Vec<VerifierKey>>,
    /// The root at the trusted checkpoint's size, seen while streaming.
    anchor_root: Option<Hash>,
    /// The newest checkpoint note checked (bundle mode: with its cosignatures).
    newest_note: Option<String>,
    genesis: Option<Genesis>,
    /// Every key the ledger has named so far, and when each could sign.
    history: KeyHistory,
    /// Whether the newest checkpoint checked carries a signature by a trusted key.
    newest_trusted: bool,
    /// BFT validator sets in force: the first one seen, then those it (or a successor)
    /// approved.
    bft_sets: Vec<[u8; 32]>,
    frontier: Frontier,
    next_seq: u64,
    prev: Hash,
    /// The `prev` field of the last entry checked, and that entry's id.
    last_prev: Hash,
    prev_id: Option<u128>,
    checked_from: u64,
    ids: UlidMap<Known>,
    statuses: HashMap<u64, Status>,
    /// Cases by id, and the case each ruling decides (court rules).
    cases: UlidMap<CaseInfo>,
    rulings: UlidMap<u128>,
    /// Stored interior nodes, read ahead per level.
    node_buffers: Vec<VecDeque<(u64, Hash)>>,
    nodes_checked: u64,
    amendment_rows: Vec<(u64, u64)>,
    checkpoints: VecDeque<(u64, String)>,
    checkpoints_checked: u64,
    last_checkpoint_size: u64,
    /// Signer identities of entries not yet covered by a checkpoint, with their first seq.
    uncovered_signers: Vec<(usize, u64)>,
    failure: Option<Failure>,
}

impl<'c> Verifier<'c> {
    fn new(conn: &'c Connection, anchors: &'c Anchors) -> Result<Self> {
        let mut stmt = conn.prepare("SELECT size, note FROM checkpoints ORDER BY size")?;
        let checkpoints = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .map(|r| r.map(|(s, n)| (s.max(0) as u64, n)))
            .collect::<Result<VecDeque<_>, _>>()?;
        let mut v = Self::streaming(anchors, None);
        v.conn = Some(conn);
        v.checkpoints = checkpoints;
        Ok(v)
    }

    /// A verifier fed entries and checkpoints as they stream in (a bundle).
    fn streaming(anchors: &'c Anchors, expected_keys: Option<Vec<VerifierKey>>) -> Self {
        Verifier {
            conn: None,
            anchors,
            expected_keys,
            anchor_root: None,
            newest_note: None,
            genesis: None,
            history: KeyHistory::default(),
            newest_trusted: false,
            bft_sets: Vec::new(),
            frontier: Frontier::new(),
            next_seq: 0,
            prev: [0; 32],
            last_prev: [0; 32],
            prev_id: None,
            checked_from: 0,
            ids: UlidMap::default(),
            statuses: HashMap::new(),
            cases: UlidMap::default(),
            rulings: UlidMap::default(),
            node_buffers: Vec::new(),
            nodes_checked: 0,
            amendment_rows: Vec::new(),
            checkpoints: VecDeque::new(),
            checkpoints_checked: 0,
            last_checkpoint_size: 0,
            uncovered_signers: Vec::new(),
            failure: None,
        }
    }

    /// The database, in the modes that have one.
    fn db(&self) -> Step<&'c Connection> {
        self.conn
            .ok_or_else(|| Stop::Error(Error::env("internal error: this check needs the database")))
    }

    /// The report of a run: failures (and errors `as_failure` accepts) become the
    /// report's failure; other errors are returned.
    fn report(mut self, outcome: Step, as_failure: impl Fn(&Error) -> bool) -> Result<Report> {
        match outcome {
            Ok(()) => {}
            Err(Stop::Failed(f)) => self.failure = Some(f),
            Err(Stop::Error(e)) if as_failure(&e) => {
                self.failure = Some(Failure {
                    seq: self.next_seq,
                    id: None,
                    reason: e.message,
                })
            }
            Err(Stop::Error(e)) => return Err(e),
        }
        Ok(Report {
            entries: self.next_seq,
            checkpoints: self.checkpoints_checked,
            root: self.frontier.root(),
            anchors: self.anchor_names(),
            checked_from: self.checked_from,
            failure: self.failure,
        })
    }

    fn anchor_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .anchors
            .keys
            .iter()
            .map(|k| format!("key {}", k.identity()))
            .collect();
        if let Some(cp) = &self.anchors.checkpoint {
            out.push(format!("checkpoint {} at size {}", cp.origin, cp.size));
        }
        if let Some(cp) = &self.anchors.since {
            out.push(format!(
                "checkpoint {} at size {} (incremental)",
                cp.origin, cp.size
            ));
        }
        if let Some(p) = &self.anchors.policy {
            out.push(format!("witness policy ({} witnesses)", p.witnesses.len()));
        }
        out
    }

    fn incremental(&self) -> bool {
        self.anchors.since.is_some()
    }

    fn run(&mut self, progress: &mut dyn FnMut(u64, u64)) -> Step {
        let conn = self.db()?;
        let total: u64 = conn.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM entries", [], |r| r.get(0))?;
        self.read_genesis()?;
        if let Some(since) = self.anchors.since.clone() {
            self.start_after(&since, total)?;
        }
        let mut stmt =
            conn.prepare("SELECT seq, id, kind, ts, leaf, body FROM entries WHERE seq >= ?1 ORDER BY seq")?;
        let mut rows = stmt.query([self.next_seq])?;
        self.pipeline(total, progress, &mut |_, batch| match rows.next()? {
            Some(row) => batch.push(row).map(|()| true),
            None => Ok(false),
        })?;
        self.finish()
    }

    /// Runs the stateless work (parse, canonical check, leaf hash) on worker threads,
    /// batch by batch, and the stateful checks here, in order. `source` adds one entry to
    /// the batch (it may also queue checkpoints), or says there are no more.
    fn pipeline(
        &mut self,
        total: u64,
        progress: &mut dyn FnMut(u64, u64),
        source: &mut dyn FnMut(&mut Self, &mut RawBatch) -> Step<bool>,
    ) -> Step {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4);
        let keys = match (&self.genesis, &self.expected_keys) {
            (Some(g), _) => g.keys.clone(),
            (None, Some(k)) => k.clone(),
            (None, None) => Vec::new(),
        };
        let identities: Vec<String> = keys.iter().map(VerifierKey::identity).collect();
        std::thread::scope(|scope| -> Step {
            let mut to_workers = Vec::new();
            let mut from_workers = Vec::new();
            for _ in 0..workers {
                let (tx, rx) = sync_channel::<RawBatch>(2);
                let (done_tx, done_rx) = sync_channel::<Vec<Summary>>(2);
                let identities = &identities;
                scope.spawn(move || {
                    for batch in rx {
                        if done_tx.send(batch.summarize(identities)).is_err() {
                            break;
                        }
                    }
                });
                to_workers.push(tx);
                from_workers.push(done_rx);
            }
            let (mut sent, mut received) = (0usize, 0usize);
            let mut batch = RawBatch::default();
            loop {
                let more = source(self, &mut batch)?;
                if batch.rows.len() == BATCH || (!more && !batch.rows.is_empty()) {
                    if sent - received == 2 * workers {
                        let parsed = from_workers[received % workers].recv().map_err(worker_died)?;
                        received += 1;
                        self.check_batch(parsed, total, progress)?;
                    }
                    let full = std::mem::take(&mut batch);
                    to_workers[sent % workers].send(full).map_err(worker_died)?;
                    sent += 1;
                }
                if !more {
                    break;
                }
            }
            while received < sent {
                let parsed = from_workers[received % workers].recv().map_err(worker_died)?;
                received += 1;
                self.check_batch(parsed, total, progress)?;
            }
            Ok(())
        })?;
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

    fn read_genesis(&mut self) -> Step {
        let body: Option<Vec<u8>> = self
            .db()?
            .query_row("SELECT body FROM entries WHERE seq = 0", [], |r| r.get(0))
            .optional()?;
        let Some(body) = body else {
            return fail(0, None, "the ledger has no genesis entry");
        };
        let e = match Entry::parse_canonical(&body) {
            Ok(e) => e,
            Err(why) => return fail(0, None, why),
        };
        let g = match Genesis::from_entry(&e) {
            Ok(g) => g,
            Err(why) => return fail(0, Some(&e.id), why),
        };
        self.adopt_genesis(g, &e.id)
    }

    /// Checks the genesis facts against the anchors, then trusts its keys.
    fn adopt_genesis(&mut self, g: Genesis, id: &str) -> Step {
        let e_id = id;
        if let Some(expected) = &self.expected_keys {
            if *expected != g.keys {
                return fail(
                    0,
                    Some(e_id),
                    "the bundle header's keys are not the genesis entry's keys",
                );
            }
        }
        for cp in [&self.anchors.checkpoint, &self.anchors.since]
            .into_iter()
            .flatten()
        {
            if cp.origin != g.origin {
                return fail(
                    0,
                    Some(e_id),
                    format!(
                        "the trusted checkpoint is for origin {:?}, the ledger is {:?}",
                        cp.origin, g.origin
                    ),
                );
            }
        }
        self.history = KeyHistory::from_genesis(&g.keys, &self.anchors.keys);
        self.genesis = Some(g);
        Ok(())
    }

    /// A checkpoint the caller gave must be signed by a key the ledger's history allows at
    /// its size. Returns whether a trusted key (pinned, or added by one) signed it.
    fn check_trusted_checkpoint(&self, cp: &Checkpoint) -> Step<bool> {
        let signed = self
            .history
            .check_checkpoint(cp, cp.size.saturating_sub(1), cp.size)
            .unwrap_or_default();
        if signed.is_empty() {
            return fail(
                cp.size.saturating_sub(1),
                None,
                "the trusted checkpoint carries no valid signature by a key of this ledger",
            );
        }
        Ok(signed.iter().any(|&i| self.history.keys[i].trusted))
    }

    /// Incremental mode: the key history below the trusted checkpoint, from the stored
    /// `key` entries (re-parsed, not re-hashed).
    fn load_key_history(&mut self, below: u64) -> Step {
        let conn = self.db()?;
        let mut stmt =
            conn.prepare("SELECT seq, body FROM entries WHERE kind = 'key' AND seq < ?1 ORDER BY seq")?;
        let rows = stmt
            .query_map([below], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        for (seq, body) in rows {
            let applied = Entry::parse_canonical(&body).and_then(|e| {
                let change = KeyChange::from_content(&e.content)?;
                let signer = self
                    .history
                    .position(&e.signer)
                    .ok_or_else(|| format!("signer {} is not a key of this ledger", e.signer))?;
                self.history.apply(seq, signer, &change, &self.anchors.keys)
            });
            if let Err(why) = applied {
                return fail(
                    seq,
                    None,
                    format!("a key entry under the trusted checkpoint is damaged: {why}"),
                );
            }
        }
        Ok(())
    }

    /// Incremental mode: prove the stored tree of the trusted size has the trusted root,
    /// and the last entry it covers hashes into it; then continue from there.
    fn start_after(&mut self, since: &Checkpoint, total: u64) -> Step {
        let m = since.size;
        if m == 0 {
            return fail(0, None, "the trusted checkpoint is empty");
        }
        if m > total {
            return fail(total, None, format!("the ledger is truncated: the trusted checkpoint covers {m} entries, the ledger holds {total}"));
        }
        let conn = self.db()?;
        let frontier = super::load_frontier(conn, m)?;
        if frontier.root() != since.root {
            return fail(
                m - 1,
                None,
                "the ledger does not extend the trusted checkpoint: its tree of that size has another root",
            );
        }
        let body: Vec<u8> =
            conn.query_row("SELECT body FROM entries WHERE seq = ?1", [m - 1], |r| r.get(0))?;
        let last = Entry::parse_canonical(&body);
        let leaf = merkle::leaf_hash(&body);
        let path = super::inclusion_path(conn, m - 1, m)?;
        if last.is_err() || merkle::verify_inclusion(m - 1, m, &leaf, &path, &since.root).is_err() {
            return fail(
                m - 1,
                None,
                "the last entry under the trusted checkpoint does not hash into it",
            );
        }
        self.load_key_history(m)?;
        self.newest_trusted = self.check_trusted_checkpoint(since)?;
        self.frontier = frontier;
        self.prev = leaf;
        self.prev_id = last.ok().map(|e| ulid_value(&e.id));
        self.next_seq = m;
        self.checked_from = m;
        self.last_checkpoint_size = m;
        while self.checkpoints.front().is_some_and(|(s, _)| *s <= m) {
            self.checkpoints.pop_front();
        }
        Ok(())
    }

    fn check_entry(&mut self, p: Summary) -> Step {
        let seq = self.next_seq;
        let e = match p.body {
            Ok(e) => e,
            Err((why, id_col)) => return fail(seq, Some(&id_col), why),
        };
        let id_text = ulid_text(e.id);
        let id = Some(id_text.as_str());
        if e.seq != seq {
            if seq > 0 && e.seq + 1 == seq && e.prev == self.last_prev {
                let prev_id = self.prev_id.map(ulid_text);
                return fail(seq - 1, prev_id.as_deref(), format!(
                    "entry {} was inserted: the entry after it also claims to be entry {} and to follow entry {}",
                    seq - 1, seq - 1, seq.saturating_sub(2)
                ));
            }
            return fail(seq, id, format!(
                "the entry stored at position {seq} says it is entry {}: entries were deleted, inserted or moved",
                e.seq
            ));
        }
        if !e.leaf_matches {
            return fail(seq, id, "the entry bytes no longer hash to the leaf hash recorded when it was written: the entry was changed");
        }
        if e.prev != self.prev {
            if seq == 0 {
                return fail(0, id, "the genesis entry's prev must be 64 zeros");
            }
            let prev_id = self.prev_id.map(ulid_text);
            return fail(seq - 1, prev_id.as_deref(), format!(
                "entry {} does not hash to the prev recorded by entry {seq}: entry {} was changed (or the chain rewritten)",
                seq - 1, seq - 1
            ));
        }
        if !e.columns_match {
            return fail(
                seq,
                id,
                "the stored index columns (id, kind, ts) disagree with the entry bytes",
            );
        }
        if (seq == 0) != (e.class == Class::Genesis) {
            return fail(seq, id, "only entry 0 is a genesis entry");
        }
        if seq == 0 && self.genesis.is_none() {
            match e.genesis.clone() {
                Some(Ok(g)) => self.adopt_genesis(g, &id_text)?,
                Some(Err(why)) => return fail(0, id, why),
                None => return fail(0, id, "entry 0 is not a genesis entry"),
            }
        }
        let signer = match &e.signer {
            Ok(i) => *i,
            Err(name) => match self.history.position(name) {
                Some(i) => i,
                None => return fail(seq, id, format!("signer {name} is not a key of this ledger")),
            },
        };
        let record = &self.history.keys[signer];
        if !record.active_at(seq) {
            let why = match (record.revoked, record.added) {
                (Some(r), _) if r < seq => format!("key {} was revoked at seq {r}", record.key.identity()),
                (_, Some(a)) => format!("key {} was only added at seq {a}", record.key.identity()),
                _ => format!("key {} is not active", record.key.identity()),
            };
            return fail(
                seq,
                id,
                format!("the entry is signed by a key that may not sign it: {why}"),
            );
        }
        if self.lookup(e.id)?.is_some() {
            return fail(seq, id, format!("id {id_text} is used by an earlier entry"));
        }
        self.check_refs(&e, id)?;
        self.check_court(&e, id)?;
        match &e.bft {
            None => {}
            Some(Err(why)) => return fail(seq, id, format!("BFT decision: {why}")),
            Some(Ok(facts)) => {
                // The first set seen is the ledger's; any later one must have been approved
                // by a decision of a set before it.
                if self.bft_sets.is_empty() {
                    self.bft_sets.push(facts.set_hash);
                } else if !self.bft_sets.contains(&facts.set_hash) {
                    return fail(
                        seq,
                        id,
                        "BFT decision by a validator set that no earlier set approved",
                    );
                }
                if let Some(next) = facts.approves_set {
                    if !self.bft_sets.contains(&next) {
                        self.bft_sets.push(next);
                    }
                }
            }
        }
        match &e.key_change {
            None => {}
            Some(Err(why)) => return fail(seq, id, format!("malformed key entry: {why}")),
            Some(Ok(change)) => {
                if let Err(why) = self.history.apply(seq, signer, change, &self.anchors.keys) {
                    return fail(seq, id, format!("key entry breaks the rules: {why}"));
                }
            }
        }
        self.ids.insert(e.id, Known { seq, class: e.class });
        if !self.uncovered_signers.iter().any(|(s, _)| *s == signer) {
            self.uncovered_signers.push((signer, seq));
        }
        self.push_leaf(e.leaf, seq, id)?;
        self.prev = e.leaf;
        self.last_prev = e.prev;
        self.prev_id = Some(e.id);
        self.next_seq += 1;
        if self
            .anchors
            .checkpoint
            .as_ref()
            .is_some_and(|cp| cp.size == self.next_seq)
        {
            self.anchor_root = Some(self.frontier.root());
            if let Some(cp) = &self.anchors.checkpoint {
                self.check_trusted_checkpoint(cp)?;
            }
        }
        while let Some((size, _)) = self.checkpoints.front() {
            if *size > self.next_seq {
                break;
            }
            let (size, note) = self.checkpoints.pop_front().unwrap_or_default();
            self.check_checkpoint(size, &note)?;
        }
        Ok(())
    }

    fn check_refs(&mut self, e: &Body, id: Option<&str>) -> Step {
        let seq = e.seq;
        for (i, r) in e.refs.iter().enumerate() {
            if e.refs[..i].contains(r) {
                return fail(seq, id, format!("ref {} appears twice", ulid_text(*r)));
            }
            if self.lookup(*r)?.is_none() {
                return fail(
                    seq,
                    id,
                    format!("ref {} does not name an earlier entry", ulid_text(*r)),
                );
            }
        }
        let a = match &e.amendment {
            None => return Ok(()),
            Some(Ok(a)) => a,
            Some(Err(why)) => return fail(seq, id, why.clone()),
        };
        let (Some(t), replacement) = (self.lookup(ulid_value(&a.target))?, a.superseded_by.as_deref()) else {
            return fail(seq, id, "the amendment target does not exist");
        };
        let t_status = self.status(t.seq)?;
        let target = Named {
            id: &a.target,
            kind: t.class.kind(),
            status: &t_status,
        };
        let r_info = match replacement {
            Some(r) => match self.lookup(ulid_value(r))? {
                Some(k) => Some((k, self.status(k.seq)?)),
                None => return fail(seq, id, "the replacement does not exist"),
            },
            None => None,
        };
        let named = r_info.as_ref().zip(replacement).map(|((k, s), rid)| Named {
            id: rid,
            kind: k.class.kind(),
            status: s,
        });
        if let Err(why) = a.check_against(&target, named.as_ref()) {
            return fail(seq, id, format!("amendment breaks the rules: {why}"));
        }
        self.statuses.insert(t.seq, a.resulting_status());
        self.amendment_rows.push((t.seq, seq));
        Ok(())
    }

    /// Court rules: a case names two or more entries; a ruling names exactly one case,
    /// which must still be open; an amendment a ruling orders targets an entry of its case.
    /// (In incremental mode, cases and rulings under the trusted checkpoint are not
    /// re-read: the rules about them were checked when they were new.)
    fn check_court(&mut self, e: &Body, id: Option<&str>) -> Step {
        match e.class {
            Class::Case => {
                if e.refs.len() < 2 {
                    return fail(e.seq, id, "a case must name two or more entries");
                }
                self.cases.insert(
                    e.id,
                    CaseInfo {
                        entries: e.refs.clone(),
                        closed: false,
                    },
                );
            }
            Class::Ruling => {
                let [case] = e.refs[..] else {
                    return fail(e.seq, id, "a ruling must name exactly one case");
                };
                let older_case = !self.cases.contains_key(&case)
                    && self.incremental()
                    && self.lookup(case)?.is_some_and(|k| k.class == Class::Case);
                match self.cases.get_mut(&case) {
                    Some(c) if c.closed => {
                        return fail(e.seq, id, "a ruling decides a case that was already decided")
                    }
                    Some(c) => c.closed = true,
                    None if older_case => {}
                    None => return fail(e.seq, id, "a ruling must name a case"),
                }
                self.rulings.insert(e.id, case);
            }
            _ => {}
        }
        if let Some(Ok(a)) = &e.amendment {
            if let Some(ruling) = &a.ruling {
                let members = self
                    .rulings
                    .get(&ulid_value(ruling))
                    .and_then(|c| self.cases.get(c))
                    .map(|c| &c.entries);
                match members {
                    Some(m) if m.contains(&ulid_value(&a.target)) => {}
                    Some(_) => {
                        return fail(e.seq, id, "a ruling amends an entry that is not part of its case")
                    }
                    None if self.incremental() => {}
                    None => return fail(e.seq, id, "an amendment names a ruling that does not exist"),
                }
            }
        }
        Ok(())
    }

    /// An id's first position: from memory, or (incremental mode, before the trusted
    /// size) from the stored id index, checked against the entry bytes.
    fn lookup(&mut self, id: u128) -> Step<Option<Known>> {
        if let Some(k) = self.ids.get(&id) {
            return Ok(Some(*k));
        }
        if !self.incremental() {
            return Ok(None);
        }
        let text = ulid_text(id);
        let row: Option<(u64, Vec<u8>)> = self
            .db()?
            .query_row(
                "SELECT seq, body FROM entries WHERE id = ?1 AND seq < ?2",
                params![text, self.checked_from],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((seq, body)) = row else { return Ok(None) };
        match Entry::parse_canonical(&body) {
            Ok(e) if e.id == text && e.seq == seq => Ok(Some(Known {
                seq,
                class: Class::of(&e.kind),
            })),
            _ => fail(
                seq,
                Some(&text),
                "a referenced entry under the trusted checkpoint is damaged",
            ),
        }
    }

    fn status(&self, target: u64) -> Step<Status> {
        if let Some(s) = self.statuses.get(&target) {
            return Ok(s.clone());
        }
        if self.incremental() && target < self.checked_from {
            return Ok(super::status_of(self.db()?, target, self.checked_from)?);
        }
        Ok(Status::Active)
    }

    fn push_leaf(&mut self, leaf: Hash, seq: u64, id: Option<&str>) -> Step {
        let mut completed = Vec::new();
        self.frontier
            .push(leaf, |level, idx, h| completed.push((level, idx, *h)));
        for (level, idx, h) in completed {
            if self.conn.is_some() && self.next_stored_node(level, idx)? != Some(h) {
                return fail(
                    seq,
                    id,
                    format!("the stored Merkle node ({level}, {idx}) disagrees with the entries"),
                );
            }
            self.nodes_checked += 1;
        }
        Ok(())
    }

    fn next_stored_node(&mut self, level: u32, idx: u64) -> Step<Option<Hash>> {
        let l = level as usize;
        if self.node_buffers.len() <= l {
            self.node_buffers.resize_with(l + 1, VecDeque::new);
        }
        if self.node_buffers[l].is_empty() {
            let mut stmt = self.db()?.prepare_cached(
                "SELECT idx, hash FROM tree_nodes WHERE level = ?1 AND idx >= ?2 ORDER BY idx LIMIT 4096",
            )?;
            let rows = stmt.query_map(params![level, idx], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })?;
            for row in rows {
                let (i, h) = row?;
                self.node_buffers[l].push_back((i, h.try_into().unwrap_or([0; 32])));
            }
        }
        match self.node_buffers[l].pop_front() {
            Some((i, h)) if i == idx => Ok(Some(h)),
            _ => Ok(None),
        }
    }

    fn check_checkpoint(&mut self, size: u64, note: &str) -> Step {
        let first = self.last_checkpoint_size.min(size.saturating_sub(1));
        let cp = match Checkpoint::parse(note) {
            Ok(cp) => cp,
            Err(e) => return fail(first, None, format!("checkpoint {size}: {}", e.message)),
        };
        let origin = self
            .genesis
            .as_ref()
            .map(|g| g.origin.as_str())
            .unwrap_or_default();
        if cp.size != size || cp.origin != origin {
            return fail(
                first,
                None,
                format!("checkpoint {size} is stored under the wrong size or names another origin"),
            );
        }
        if cp.root != self.frontier.root() {
            return fail(
                first,
                None,
                format!("checkpoint {size} has a root that does not match the entries it covers"),
            );
        }
        let signers = match self
            .history
            .check_checkpoint(&cp, self.last_checkpoint_size, size)
        {
            Ok(s) => s,
            Err(why) => return fail(first, None, format!("checkpoint {size}: {why}")),
        };
        if signers.is_empty() {
            return fail(
                first,
                None,
                format!("checkpoint {size} carries no valid signature by a key of this ledger"),
            );
        }
        for (index, seq) in &self.uncovered_signers {
            if !signers.contains(index) {
                let signer = self.history.keys[*index].key.identity();
                return fail(
                    *seq,
                    None,
                    format!("entry {seq} names signer {signer}, who did not sign the checkpoint covering it"),
                );
            }
        }
        self.newest_trusted = signers.iter().any(|&i| self.history.keys[i].trusted);
        self.uncovered_signers.clear();
        self.newest_note = Some(note.to_owned());
        self.last_checkpoint_size = size;
        self.checkpoints_checked += 1;
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
        if let Some(cp) = &self.anchors.checkpoint {
            if cp.size > n {
                return fail(n, None, format!("the ledger is truncated: the trusted checkpoint covers {} entries, the ledger holds {n}", cp.size));
            }
        }
        if self.last_checkpoint_size < n {
            let seq = self.last_checkpoint_size;
            return fail(
                seq,
                None,
                format!(
                    "entries {seq}..{} are not covered by any signed checkpoint",
                    n - 1
                ),
            );
        }
        if !self.anchors.keys.is_empty() {
            if !self.anchors.keys.iter().any(|k| {
                self.history
                    .position(&k.identity())
                    .is_some_and(|i| self.history.keys[i].key == *k)
            }) {
                return fail(
                    0,
                    None,
                    "the ledger's key history names none of the trusted keys: this ledger was made or re-signed with another key",
                );
            }
            if !self.newest_trusted {
                let seq = self.last_checkpoint_size.saturating_sub(1);
                return fail(
                    seq,
                    None,
                    "the newest checkpoint carries no valid signature by a trusted key (a pinned key, or one that a trusted key added)",
                );
            }
        }
        if let Some(cp) = self.anchors.checkpoint.clone() {
            if self.anchor_root.is_none() {
                self.check_trusted_checkpoint(&cp)?;
            }
            let root = match (self.anchor_root, self.conn) {
                (Some(root), _) => root,
                // Incremental mode, trusted checkpoint below the re-checked part.
                (None, Some(conn)) => super::load_frontier(conn, cp.size)?.root(),
                (None, None) => [0; 32],
            };
            if root != cp.root {
                return fail(
                    cp.size - 1,
                    None,
                    "the ledger does not match the trusted checkpoint: its history was rewritten",
                );
            }
        }
        if let Some(policy) = &self.anchors.policy {
            let newest = self.newest_note.clone().unwrap_or_default();
            let note = match self.conn {
                Some(conn) => super::witness::with_cosignatures(conn, &newest)?,
                None => newest,
            };
            let cp = Checkpoint::parse(&note).map_err(Stop::Error)?;
            if let Err(why) = policy.check_quorum(&cp) {
                return fail(
                    n - 1,
                    None,
                    format!("the newest checkpoint (size {}): {why}", cp.size),
                );
            }
        }
        let Some(conn) = self.conn else { return Ok(()) };
        // The derived data in the file agrees with the entries.
        if !self.incremental() {
            let stored: u64 = conn.query_row("SELECT COUNT(*) FROM tree_nodes", [], |r| r.get(0))?;
            if stored != self.nodes_checked {
                return fail(
                    n - 1,
                    None,
                    format!(
                        "{stored} Merkle nodes are stored where the entries make {}",
                        self.nodes_checked
                    ),
                );
            }
        }
        let mut stmt = conn.prepare("SELECT target_seq, seq FROM amendments WHERE seq >= ?1 ORDER BY seq")?;
        let stored = stmt
            .query_map([self.checked_from], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, u64>(1)?))
            })?
            .collect::<Result<HashSet<_>, _>>()?;
        let expected: HashSet<(u64, u64)> = self.amendment_rows.iter().copied().collect();
        if stored != expected {
            let seq = stored
                .symmetric_difference(&expected)
                .map(|(_, s)| *s)
                .min()
                .unwrap_or(0);
            return fail(
                seq,
                None,
                "the stored amendment index disagrees with the amendment entries",
            );
        }
        Ok(())
    }
}

fn ulid_value(id: &str) -> u128 {
    ulid::Ulid::from_string(id).map(u128::from).unwrap_or(0)
}

/// Rows per batch handed to a worker.
const BATCH: usize = 1024;

fn worker_died<T>(_: T) -> Stop {
    Stop::Error(Error::env("a verification worker thread stopped unexpectedly"))
}

/// A batch of rows as read from the entries table, in one buffer so that a batch costs
/// a handful of allocations (freed on the worker thread) rather than several per row.
#[derive(Default)]
struct RawBatch {
    buf: Vec<u8>,
    rows: Vec<RawRow>,
}

type Span = std::ops::Range<usize>;

struct RawRow {
    seq: i64,
    /// Whether id/kind/ts/leaf columns came with the row (a database, not a bundle).
    columns: bool,
    id: Span,
    kind: Span,
    ts: Span,
    leaf: Span,
    /// None when the stored value is not a byte string (it was tampered with).
    body: Option<Span>,
}

impl RawBatch {
    fn push(&mut self, row: &rusqlite::Row) -> Step {
        use rusqlite::types::ValueRef;
        let mut put = |i: usize| -> Step<Option<Span>> {
            Ok(match row.get_ref(i)? {
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    let start = self.buf.len();
                    self.buf.extend_from_slice(t);
                    Some(start..self.buf.len())
                }
                _ => None,
            })
        };
        let (id, kind, ts, leaf, body) = (put(1)?, put(2)?, put(3)?, put(4)?, put(5)?);
        let seq = row.get(0)?;
        let empty = 0..0;
        self.rows.push(RawRow {
            seq,
            columns: true,
            id: id.unwrap_or(empty.clone()),
            kind: kind.unwrap_or(empty.clone()),
            ts: ts.unwrap_or(empty.clone()),
            leaf: leaf.unwrap_or(empty),
            body,
        });
        Ok(())
    }

    /// Adds an entry that comes without index columns (from a bundle).
    pub(crate) fn push_entry(&mut self, seq: u64, body: &[u8]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(body);
        self.rows.push(RawRow {
            seq: i64::try_from(seq).unwrap_or(i64::MAX),
            columns: false,
            id: 0..0,
            kind: 0..0,
            ts: 0..0,
            leaf: 0..0,
            body: Some(start..self.buf.len()),
        });
    }

    /// The stateless checks, run on a worker thread.
    fn summarize(self, identities: &[String]) -> Vec<Summary> {
        let buf = &self.buf;
        self.rows
            .iter()
            .map(|r| {
                let text = |s: &Span| std::str::from_utf8(&buf[s.clone()]).unwrap_or("");
                let Some(span) = &r.body else {
                    return Summary {
                        seq: r.seq,
                        body: Err(("the stored entry is not a byte string".into(), text(&r.id).into())),
                    };
                };
                let body = &buf[span.clone()];
                let e = match Entry::parse_canonical(body) {
                    Ok(e) => e,
                    Err(why) => {
                        return Summary {
                            seq: r.seq,
                            body: Err((why, text(&r.id).into())),
                        }
                    }
                };
                let leaf = merkle::leaf_hash(body);
                let amendment = (e.kind == KIND_AMENDMENT).then(|| {
                    Amendment::from_content(&e.content).and_then(|a| {
                        if a.refs() == e.refs {
                            Ok(a)
                        } else {
                            Err("an amendment's refs must be its target, then its replacement".into())
                        }
                    })
                });
                Summary {
                    seq: r.seq,
                    body: Ok(Body {
                        seq: e.seq,
                        id: ulid_value(&e.id),
                        class: Class::of(&e.kind),
                        prev: e.prev,
                        leaf,
                        leaf_matches: !r.columns || buf[r.leaf.clone()] == leaf,
                        columns_match: !r.columns
                            || (e.id == text(&r.id) && e.kind == text(&r.kind) && e.ts == text(&r.ts)),
                        genesis: (e.kind == KIND_GENESIS).then(|| Genesis::from_entry(&e)),
                        signer: identities.iter().position(|i| *i == e.signer).ok_or(e.signer),
                        refs: e.refs.iter().map(|r| ulid_value(r)).collect(),
                        amendment,
                        key_change: (e.kind == KIND_KEY).then(|| KeyChange::from_content(&e.content)),
                        bft: match e.kind.as_str() {
                            "decision" => crate::bft::check_decision_entry(&e.content),
                            super::entry::KIND_RULING => crate::bft::check_ruling_quorum(&e.content, &e.refs),
                            _ => None,
                        },
                    }),
                }
            })
            .collect()
    }
}

/// What the stateful checks need of one row.
struct Summary {
    seq: i64,
    /// The entry, or why its bytes are not a well-formed entry (with the id column).
    body: Result<Body, (String, String)>,
}

struct Body {
    seq: u64,
    id: u128,
    class: Class,
    prev: Hash,
    leaf: Hash,
    leaf_matches: bool,
    columns_match: bool,
    /// Index into the ledger's key identities, or the unknown signer's name.
    signer: Result<usize, String>,
    refs: Vec<u128>,
    amendment: Option<Result<Amendment, String>>,
    /// For a `key` entry, the change it makes.
    key_change: Option<Result<KeyChange, String>>,
    /// For a `decision` entry with a BFT certificate, whether it verifies.
    bft: Option<Result<crate::bft::DecisionFacts, String>>,
    /// For a genesis entry, what it declares.
    genesis: Option<Result<Genesis, String>>,
}

fn ulid_text(id: u128) -> String {
    ulid::Ulid(id).to_string()
}

/// A fast hasher for ULID keys, whose low 80 bits are random already.
#[derive(Default)]
struct UlidHasher(u64);

impl std::hash::Hasher for UlidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = ((v as u64) ^ ((v >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type UlidMap<V> = HashMap<u128, V, std::hash::BuildHasherDefault<UlidHasher>>;
