//! `copy`: one ledger into another, between any two engines (a team's PostgreSQL to an
//! auditor's SQLite file and back). Resumable: it copies only what the destination lacks,
//! in transactions that each end at one of the source's checkpoints, so an interrupted copy
//! leaves the destination at a signed size and the next run continues from there. A
//! destination that has diverged (another entry at a seq both hold, so another root at its
//! size, or more entries than the source) is refused before anything is written.
//!
//! Copied are the entries (their bytes, with tree nodes and the amendment index rebuilt by
//! the one entry writer), the checkpoints above the destination's size, and every
//! cosignature the destination lacks. Feature records (a validator's vote guard) stay with
//! the store that made them. The caller verifies the destination afterwards.

use super::checkpoint::Checkpoint;
use super::entry::Entry;
use super::error::{LedgerError, Result};
use super::merkle::Hash;
use super::store::{self, Location, Mode, Reads, RowRef, Store};
use super::tree::load_frontier;
use super::writer::{Columns, EntryWriter};
use std::collections::HashMap;

/// A transaction ends at the first source checkpoint at least this many entries on.
const CHUNK: u64 = 100_000;

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The destination's size before and after.
    pub from_size: u64,
    pub size: u64,
    pub checkpoints: u64,
    pub cosignatures: u64,
    /// The destination was created by this copy.
    pub created: bool,
}

/// Why a destination cannot continue the source.
#[derive(Debug, thiserror::Error)]
pub enum Diverged {
    #[error("the destination holds {dest} entries, more than the source's {source_size}")]
    Longer { dest: u64, source_size: u64 },
    #[error(
        "the destination differs from the source at seq {seq}: its first {size} entries hash to another root"
    )]
    Entry { seq: u64, size: u64 },
    #[error("the destination's first {size} entries hash to another root than the source's")]
    Root { size: u64 },
    #[error("the destination was written while copying (size {now} where {read} was read)")]
    Moved { now: u64, read: u64 },
    #[error("the directory publishes a checkpoint of size {size} that this ledger does not extend")]
    Published { size: u64 },
    #[error("the directory publishes the log {}, not this ledger ({})", crate::text::quoted(.theirs), crate::text::quoted(.ours))]
    OtherLog { theirs: String, ours: String },
    #[error("the URL serves the log {}, but this mirror holds {}", crate::text::quoted(.theirs), crate::text::quoted(.ours))]
    OtherMirror { theirs: String, ours: String },
}

/// Copies what `to` lacks of `from`. `progress(done, total)` counts entries.
pub fn copy(from: &Location, to: &Location, progress: &mut dyn FnMut(u64, u64)) -> Result<Copied> {
    let source = store::open(from, Mode::ReadOnly)?;
    let snap = source.read()?;
    let Some((newest, _)) = snap.checkpoint(None)? else {
        return Err(LedgerError::damaged(format!("{from} has no checkpoint")));
    };
    let created = !store::exists(to)?;
    let mut dest = if created {
        store::create(to)?
    } else {
        store::open(to, Mode::ReadWrite)?
    };
    let result = run(snap.as_ref(), newest, dest.as_mut(), created, progress);
    if result.is_err() && created && dest.size().unwrap_or(0) == 0 {
        drop(dest);
        store::discard(to);
    }
    result
}

fn run(
    source: &dyn Reads,
    newest: u64,
    dest: &mut dyn Store,
    created: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Copied> {
    let start = dest.size()?;
    check_prefix(source, dest, start, newest)?;
    let mut copied = Copied {
        from_size: start,
        size: start,
        checkpoints: 0,
        cosignatures: 0,
        created,
    };
    let mut at = start;
    while at < newest {
        // The checkpoints this transaction writes: up to the first one CHUNK entries on.
        let mut notes = Vec::new();
        let mut above = Some(at);
        loop {
            let page = source.checkpoints_above(above, 256)?;
            let Some(last) = page.last().map(|(s, _)| *s) else {
                break;
            };
            above = Some(last);
            let mut done = false;
            for (size, note) in page {
                if size > newest {
                    done = true;
                    break;
                }
                let end = size;
                notes.push((size, note));
                if end >= at + CHUNK {
                    done = true;
                    break;
                }
            }
            if done {
                break;
            }
        }
        let Some(&(end, _)) = notes.last() else { break };
        copy_chunk(source, dest, at, end, &notes)?;
        copied.checkpoints += notes.len() as u64;
        at = end;
        copied.size = end;
        progress(end - start, newest - start);
    }
    // Cosignatures stored at the source since (or before) the last copy.
    let lines = source.all_cosignatures()?;
    let mut tx = dest.write()?;
    for (size, line) in lines {
        if size <= at && tx.checkpoint(Some(size))?.is_some() && tx.insert_cosignature(size, &line)? {
            copied.cosignatures += 1;
        }
    }
    tx.commit()?;
    Ok(copied)
}

/// The destination's first `size` entries must be the source's.
fn check_prefix(source: &dyn Reads, dest: &dyn Store, size: u64, newest: u64) -> Result<()> {
    if size == 0 {
        return Ok(());
    }
    if size > newest {
        return Err(Diverged::Longer {
            dest: size,
            source_size: newest,
        }
        .into());
    }
    let mine = load_frontier(dest, size)?.root();
    let theirs = load_frontier(source, size)?.root();
    if mine == theirs {
        return Ok(());
    }
    // Name the first entry that differs (leaf hashes only: 32 bytes an entry).
    let mut leaves: HashMap<u64, Hash> = HashMap::new();
    let mut first = None;
    let mut from = 0;
    while from < size && first.is_none() {
        let to = (from + 65_536).min(size);
        leaves.clear();
        source.leaves(from, to, &mut |seq, leaf, _| {
            if let Ok(h) = <Hash>::try_from(leaf) {
                leaves.insert(seq, h);
            }
        })?;
        dest.leaves(from, to, &mut |seq, leaf, _| {
            if first.is_none() && leaves.get(&seq).is_none_or(|h| h[..] != *leaf) {
                first = Some(seq);
            }
        })?;
        from = to;
    }
    Err(match first {
        Some(seq) => Diverged::Entry { seq, size },
        None => Diverged::Root { size },
    }
    .into())
}

/// Entries `at..end` and the checkpoints `notes` (the last of size `end`) in one
/// transaction, committed only if the entries hash to that checkpoint's root.
fn copy_chunk(
    source: &dyn Reads,
    dest: &mut dyn Store,
    at: u64,
    end: u64,
    notes: &[(u64, String)],
) -> Result<()> {
    let amends: HashMap<u64, u64> = source
        .amendment_index(at, end)?
        .into_iter()
        .map(|(target, seq)| (seq, target))
        .collect();
    let mut tx = dest.write()?;
    let mut writer = EntryWriter::resume(tx.as_ref())?;
    if writer.next_seq() != at {
        return Err(Diverged::Moved {
            now: writer.next_seq(),
            read: at,
        }
        .into());
    }
    let mut failed: Option<LedgerError> = None;
    let mut expected = at;
    source.scan(at, end, false, &mut |r: RowRef<'_>| {
        let step = (|| -> Result<()> {
            if r.seq != expected as i64 {
                return Err(LedgerError::damaged(format!(
                    "the source has no entry {expected}"
                )));
            }
            let body = r
                .body
                .ok_or_else(|| LedgerError::damaged(format!("entry {expected} is not a byte string")))?;
            let e = Entry::parse_canonical(body)
                .map_err(|e| LedgerError::damaged(format!("entry {expected}: {e}")))?;
            let cols = Columns {
                id: &e.id,
                kind: &e.kind,
                ts: &e.ts,
            };
            writer.put(tx.as_mut(), &cols, body, amends.get(&expected).copied())?;
            expected += 1;
            Ok(())
        })();
        match step {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if expected != end {
        return Err(LedgerError::damaged(format!(
            "the source has no entry {expected}"
        )));
    }
    for (size, note) in notes {
        tx.insert_checkpoint(*size, note)?;
    }
    let cp = Checkpoint::parse(&notes[notes.len() - 1].1)?;
    if cp.root != writer.root() {
        return Err(LedgerError::damaged(format!(
            "the source's entries below {end} do not hash to its checkpoint of that size: nothing of them was copied"
        )));
    }
    tx.commit()?;
    Ok(())
}
