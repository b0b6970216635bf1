//! Verifying a log from its tiles alone (`ledger verify --tiles DIR`, `--url URL`): the
//! checkpoint's signatures against the trusted keys, every entry bundle's entries hashed
//! into the hash tiles (each tile compared byte for byte with what its entries give), the
//! tree's root against the checkpoint's, and the entries themselves under every rule
//! `ledger verify` applies (through the same streaming verifier as a bundle).
//!
//! With a state file the walk resumes where the last one stopped: the state keeps the
//! compact range of the tree at the last full tile (at most 64 hashes) and the incomplete
//! tiles above it (at most 7 × 255 hashes), all verified then. The new checkpoint's root
//! must be reached by extending that compact range with the new entries, which proves the
//! new tree extends the old one (a consistency proof built from the tiles); the first
//! entries re-read must also give the old checkpoint's root at its size. A resumed walk
//! checks each new entry's canonical form, seq and chain link; rules that need the whole
//! history (kinds, amendments, keys) are the full walk's (or `ledger mirror` and then
//! `ledger verify`). Memory stays under one entry bundle (at most 256 entries of 64 KiB)
//! plus that state.

use super::{split_bundle, split_hashes, TileRef, WIDTH};
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::entry::{hex, Entry};
use crate::ledger::error::{Document, LedgerError, Result};
use crate::ledger::kinds::Kinds;
use crate::ledger::merkle::{leaf_hash, root_of, Frontier, Hash};
use crate::ledger::policy::Policy;
use crate::ledger::verify::{self, Anchors, Failure, Report};
use crate::ledger::Genesis;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Where a log's files come from: a directory, or a server (the CLI's HTTP client).
pub trait Source {
    /// The bytes at `path` (`checkpoint` or a tile path); None when the log has none.
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>>;

    /// A hint: these paths will be fetched soon, in this order. A source over a network
    /// may start fetching them; the default ignores it.
    fn will_fetch(&self, _paths: &[String]) {}
}

/// Entry bundles hinted ahead of the walk (with their level-0 hash tiles).
pub const READ_AHEAD: u64 = 8;

/// A `ledger tiles` directory (or any copy of one).
pub struct Dir(pub PathBuf);

impl Source for Dir {
    fn fetch(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let at = self.0.join(path);
        match std::fs::read(&at) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(LedgerError::Io {
                what: format!("read {}", at.display()),
                source: e,
            }),
        }
    }
}

/// What a verifier remembers of a log between runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub origin: String,
    /// The size and base64 root of the last checkpoint verified.
    pub size: u64,
    pub root: String,
    /// Entries below this multiple of 256 are not read again.
    pub aligned: u64,
    /// The compact range of the tree of `aligned` entries (hex, largest subtree first).
    pub frontier: Vec<String>,
    /// For tile levels 1, 2, …: the hashes of the level's incomplete tile (hex).
    pub edges: Vec<Vec<String>>,
    /// The leaf hash of entry `aligned - 1` (hex; zeros when `aligned` is 0).
    pub prev: String,
}

impl State {
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes)
            .map_err(|e| LedgerError::malformed(Document::VerifierState, e.to_string()))
    }
}

/// Receives each entry (seq, canonical bytes) as the walk reads it, before the walk has
/// finished: `ledger mirror` writes them into an open transaction it commits only when
/// the whole walk passed. An error stops the walk.
pub type Sink<'a> = dyn FnMut(u64, &[u8]) -> Result<()> + 'a;

/// The outcome: the report `ledger verify` prints, and the state to keep when it passed.
pub struct Checked {
    pub report: Report,
    pub state: Option<State>,
}

fn unhex(s: &str) -> Option<Hash> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The tree walk over entry bundles and hash tiles.
struct Walk<'s> {
    src: &'s dyn Source,
    size: u64,
    /// The compact range over the full level-0 tiles walked so far.
    full: Frontier,
    /// Level ≥ 1: the hashes of the incomplete tile (index 0 unused).
    edges: Vec<Vec<Hash>>,
    /// The leaf hash of the last entry of the last full tile.
    prev_full: Hash,
    /// The leaves of the trailing partial tile, once walked.
    tail: Vec<Hash>,
}

fn failed(reason: String) -> LedgerError {
    LedgerError::Invalid(reason)
}

impl<'s> Walk<'s> {
    fn fetch(&self, t: &TileRef) -> Result<Vec<u8>> {
        self.src
            .fetch(&t.path())?
            .ok_or_else(|| failed(format!("the log does not serve {}", t.path())))
    }

    /// Compares the served hash tile `t` with the hashes its children give.
    fn check_tile(&self, t: &TileRef, hashes: &[Hash]) -> Result<()> {
        let served = self.fetch(t)?;
        let ok = split_hashes(&served, t.width).is_some_and(|h| h == hashes);
        if !ok {
            return Err(failed(format!(
                "{} does not hold the hashes its entries give",
                t.path()
            )));
        }
        Ok(())
    }

    /// Fetches entry bundle `index` and checks the hash tiles it completes; returns the
    /// bundle and its leaf hashes.
    fn bundle(&mut self, index: u64) -> Result<(Vec<u8>, Vec<Hash>)> {
        let width = (self.size - index * WIDTH).min(WIDTH) as u16;
        let t = TileRef::entries(index, width);
        let ahead: Vec<String> = (index + 1..=index + READ_AHEAD)
            .take_while(|i| i * WIDTH < self.size)
            .flat_map(|i| {
                let w = (self.size - i * WIDTH).min(WIDTH) as u16;
                [TileRef::entries(i, w).path(), TileRef::hashes(0, i, w).path()]
            })
            .collect();
        self.src.will_fetch(&ahead);
        let data = self.fetch(&t)?;
        let leaves: Vec<Hash> = split_bundle(&data, width)
            .ok_or_else(|| failed(format!("{} is not a bundle of {width} entries", t.path())))?
            .iter()
            .map(|e| leaf_hash(e))
            .collect();
        self.check_tile(&TileRef::hashes(0, index, width), &leaves)?;
        if t.is_full() {
            self.full.push_subtree(super::HEIGHT, root_of(&leaves));
            self.prev_full = leaves[leaves.len() - 1];
            self.climb(1, root_of(&leaves))?;
        } else {
            self.tail = leaves.clone();
        }
        Ok((data, leaves))
    }

    /// Adds a full tile's root to the level above, checking each tile that fills.
    fn climb(&mut self, level: usize, hash: Hash) -> Result<()> {
        if self.edges.len() <= level {
            self.edges.resize(level + 1, Vec::new());
        }
        self.edges[level].push(hash);
        if self.edges[level].len() as u64 == WIDTH {
            let filled = std::mem::take(&mut self.edges[level]);
            let count = self.full.size() >> (super::HEIGHT * level as u32);
            self.check_tile(
                &TileRef::hashes(level as u8, count / WIDTH - 1, WIDTH as u16),
                &filled,
            )?;
            self.climb(level + 1, root_of(&filled))?;
        }
        Ok(())
    }

    /// Checks the partial tiles above level 0 and returns the tree's root.
    fn finish(&self) -> Result<Hash> {
        for (level, edge) in self.edges.iter().enumerate().skip(1) {
            if !edge.is_empty() {
                let count = self.full.size() >> (super::HEIGHT * level as u32);
                self.check_tile(
                    &TileRef::hashes(level as u8, count / WIDTH, edge.len() as u16),
                    edge,
                )?;
            }
        }
        Ok(self.root_at(self.size))
    }

    /// The root of the tree.
    fn root_at(&self, size: u64) -> Hash {
        extended(&self.full, &self.tail, size)
    }

    fn state(&self, cp: &Checkpoint) -> State {
        State {
            origin: cp.origin.clone(),
            size: cp.size,
            root: B64.encode(cp.root),
            aligned: self.full.size(),
            frontier: self.full.hashes().iter().map(|h| hex(h)).collect(),
            edges: self
                .edges
                .iter()
                .skip(1)
                .map(|e| e.iter().map(|h| hex(h)).collect())
                .collect(),
            prev: hex(&self.prev_full),
        }
    }
}

/// The root of the first `size` leaves: the compact range `f` extended by `leaves`.
fn extended(f: &Frontier, leaves: &[Hash], size: u64) -> Hash {
    let mut f = f.clone();
    for leaf in leaves.iter().take(size.saturating_sub(f.size()) as usize) {
        f.push(*leaf, |_, _, _| {});
    }
    f.root()
}

/// Verifies the log `src` serves. `anchors.keys` (or `policy`) must have signed its
/// checkpoint; `since`: the state a previous run left.
pub fn check(
    src: &dyn Source,
    kinds: &Kinds,
    anchors: &Anchors,
    since: Option<&State>,
    sink: &mut Sink<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Checked> {
    let note = src
        .fetch("checkpoint")?
        .ok_or_else(|| LedgerError::Invalid("the log serves no checkpoint".into()));
    let cp = note.and_then(|n| {
        let text = String::from_utf8(n).map_err(|_| failed("the checkpoint is not UTF-8".into()))?;
        Checkpoint::parse(&text).map(|cp| (cp, text))
    });
    let (cp, note) = match cp {
        Ok(x) => x,
        Err(LedgerError::Invalid(reason) | LedgerError::Malformed { why: reason, .. }) => {
            return Ok(failure(0, 0, reason))
        }
        Err(e) => return Err(e),
    };
    let mut walk = Walk {
        src,
        size: cp.size,
        full: Frontier::new(),
        edges: Vec::new(),
        prev_full: [0; 32],
        tail: Vec::new(),
    };
    match since.filter(|s| s.size > 0) {
        None => full(walk, kinds, anchors, cp, note, sink, progress),
        Some(s) => {
            if s.origin != cp.origin {
                return Err(LedgerError::malformed(
                    Document::VerifierState,
                    format!(
                        "it is the state of the log {}, not of {}",
                        crate::text::quoted(&s.origin),
                        crate::text::quoted(&cp.origin)
                    ),
                ));
            }
            let bad_state = || LedgerError::malformed(Document::VerifierState, "its hashes do not parse");
            let hashes = s
                .frontier
                .iter()
                .map(|h| unhex(h))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad_state)?;
            walk.full = Frontier::from_parts(s.aligned, hashes).ok_or_else(bad_state)?;
            walk.edges = std::iter::once(Ok(Vec::new()))
                .chain(s.edges.iter().map(|e| {
                    e.iter()
                        .map(|h| unhex(h))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(bad_state)
                }))
                .collect::<Result<_>>()?;
            walk.prev_full = unhex(&s.prev).ok_or_else(bad_state)?;
            resume(walk, anchors, s, cp, sink, progress)
        }
    }
}

fn failure(entries: u64, seq: u64, reason: String) -> Checked {
    Checked {
        report: Report {
            entries,
            checkpoints: 1,
            root: [0; 32],
            anchors: Vec::new(),
            checked_from: seq,
            failure: Some(Failure {
                seq,
                id: None,
                reason,
            }),
        },
        state: None,
    }
}

/// The whole log through the streaming verifier, the tiles checked as they pass.
fn full(
    mut walk: Walk<'_>,
    kinds: &Kinds,
    anchors: &Anchors,
    cp: Checkpoint,
    note: String,
    sink: &mut Sink<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Checked> {
    if cp.size == 0 {
        return Ok(failure(0, 0, "the checkpoint covers no entries".into()));
    }
    // The genesis entry names the ledger's keys, which the verifier needs first.
    let (first, _) = match walk.bundle(0) {
        Ok(b) => b,
        Err(LedgerError::Invalid(reason)) => return Ok(failure(0, 0, reason)),
        Err(e) => return Err(e),
    };
    let keys = split_bundle(&first, first_width(cp.size))
        .and_then(|b| Entry::parse_canonical(b[0]).ok())
        .and_then(|e| Genesis::from_entry(&e).ok())
        .map(|g| g.keys);
    let Some(keys) = keys else {
        return Ok(failure(0, 0, "entry 0 is not a genesis entry".into()));
    };
    let mut pending = Some(first);
    let (mut index, mut queued) = (0u64, false);
    let size = cp.size;
    let report = verify::verify_stream(
        kinds,
        anchors,
        cp.origin.clone(),
        keys,
        size,
        progress,
        &mut |queue, push| {
            if index * WIDTH >= size {
                if !queued {
                    queued = true;
                    queue(size, note.clone());
                }
                return Ok(false);
            }
            let data = match pending.take() {
                Some(d) => d,
                None => walk.bundle(index)?.0,
            };
            let width = (size - index * WIDTH).min(WIDTH) as u16;
            for (i, e) in split_bundle(&data, width)
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                push(index * WIDTH + i as u64, e);
                sink(index * WIDTH + i as u64, e)?;
            }
            index += 1;
            Ok(true)
        },
    )?;
    let root = walk.finish();
    let mut checked = Checked { report, state: None };
    match root {
        Ok(root) if root == cp.root => {}
        Ok(_) => set_failure(
            &mut checked,
            size,
            "the tiles hash to another root than the checkpoint's",
        ),
        Err(LedgerError::Invalid(reason)) => set_failure(&mut checked, size, &reason),
        Err(e) => return Err(e),
    }
    if checked.report.valid() {
        checked.state = Some(walk.state(&cp));
    }
    Ok(checked)
}

fn first_width(size: u64) -> u16 {
    size.min(WIDTH) as u16
}

fn set_failure(c: &mut Checked, seq: u64, reason: &str) {
    if c.report.failure.is_none() {
        c.report.failure = Some(Failure {
            seq,
            id: None,
            reason: reason.to_owned(),
        });
    }
}

/// The entries after the state's last full tile: tree, tiles, canonical form and chain.
fn resume(
    mut walk: Walk<'_>,
    anchors: &Anchors,
    s: &State,
    cp: Checkpoint,
    sink: &mut Sink<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Checked> {
    let from = walk.full.size();
    let fail = |seq: u64, reason: String| Ok(failure(cp.size, seq, reason));
    let signers = match signed_by(&cp, anchors) {
        Ok(s) => s,
        Err(reason) => return fail(cp.size, reason),
    };
    if cp.size < s.size {
        return fail(
            cp.size,
            format!(
                "the log's checkpoint has {} entries, fewer than the {} verified before: it was rolled back",
                cp.size, s.size
            ),
        );
    }
    let mut prev = walk.prev_full;
    let mut seq = from;
    while seq < cp.size {
        let before = walk.full.clone();
        let (data, leaves) = match walk.bundle(seq / WIDTH) {
            Ok(b) => b,
            Err(LedgerError::Invalid(reason)) => return fail(seq, reason),
            Err(e) => return Err(e),
        };
        let width = leaves.len() as u16;
        for (bytes, leaf) in split_bundle(&data, width)
            .unwrap_or_default()
            .into_iter()
            .zip(&leaves)
        {
            let e = match Entry::parse_canonical(bytes) {
                Ok(e) => e,
                Err(err) => return fail(seq, err.to_string()),
            };
            if e.seq != seq {
                return fail(seq, format!("the entry at position {seq} says seq {}", e.seq));
            }
            if e.prev != prev && seq == from {
                return fail(
                    seq,
                    format!(
                        "the log rewrote history: entry {seq} does not follow the entry verified before it"
                    ),
                );
            }
            if e.prev != prev {
                return fail(seq, "its prev is not the leaf hash of the entry before it".into());
            }
            sink(seq, bytes)?;
            prev = *leaf;
            seq += 1;
        }
        if (before.size()..=seq).contains(&s.size) && B64.encode(extended(&before, &leaves, s.size)) != s.root
        {
            return fail(
                s.size,
                format!("the log rewrote history: its first {} entries hash to another root than the checkpoint verified before", s.size),
            );
        }
        progress(seq - from, cp.size - from);
    }
    let root = match walk.finish() {
        Ok(r) => r,
        Err(LedgerError::Invalid(reason)) => return fail(cp.size, reason),
        Err(e) => return Err(e),
    };
    if root != cp.root {
        return fail(cp.size, "the tiles hash to another root than the checkpoint's: the log does not extend the checkpoint verified before".into());
    }
    Ok(Checked {
        report: Report {
            entries: cp.size,
            checkpoints: 1,
            root,
            anchors: signers,
            checked_from: from,
            failure: None,
        },
        state: Some(walk.state(&cp)),
    })
}

/// The trusted signers of `cp` (the policy's logs and quorum when there is a policy).
fn signed_by(cp: &Checkpoint, anchors: &Anchors) -> std::result::Result<Vec<String>, String> {
    if let Some(p) = &anchors.policy {
        Policy::check(p, cp, &anchors.keys)?;
    }
    let signers = cp
        .valid_signers(&anchors.keys)
        .map_err(|e| format!("the checkpoint {e}"))?;
    if signers.is_empty() && !anchors.keys.is_empty() {
        return Err("the checkpoint carries no valid signature by a trusted key".into());
    }
    Ok(signers.iter().map(|k| format!("key {}", k.identity())).collect())
}
