//! `ledger mirror --url URL --db DB`: a verified local copy of a served log, incremental.
//! The log's new entries are written into one open transaction while its tiles are
//! verified (`check`), and committed with the served checkpoint only when the whole walk
//! passed: a log that fails, rolled back or rewrote history leaves the mirror as it was.
//! A mirror that exists resumes from what it holds: its own stored nodes give the compact
//! range and the incomplete tiles the walk continues from, so no state file is needed.

use super::check::{check, Source, State};
use super::{HEIGHT, WIDTH};
use crate::ledger::amend::Amendment;
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::copy::Diverged;
use crate::ledger::entry::{hex, Entry};
use crate::ledger::error::{LedgerError, Result};
use crate::ledger::kinds::{Kinds, KIND_AMENDMENT};
use crate::ledger::store::{self, Location, Mode, Reads, Store};
use crate::ledger::tree::{load_frontier, stored_node};
use crate::ledger::verify::{self, Anchors, Report};
use crate::ledger::writer::{Columns, EntryWriter};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// What a mirror run did.
pub struct Mirrored {
    pub created: bool,
    /// Entries the mirror held before, and holds now.
    pub from: u64,
    pub size: u64,
    pub report: Report,
}

/// Mirrors the log `src` serves into `to` (created when missing).
pub fn mirror(
    src: &dyn Source,
    to: &Location,
    kinds: &Kinds,
    anchors: &Anchors,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Mirrored> {
    let created = !store::exists(to)?;
    let mut dest = if created {
        store::create(to)?
    } else {
        store::open(to, Mode::ReadWrite)?
    };
    let result = run(src, dest.as_mut(), created, kinds, anchors, progress);
    if created && !result.as_ref().is_ok_and(|m| m.report.valid() && m.size > 0) {
        drop(dest);
        store::discard(to);
    }
    result
}

/// What the walk resumes from: the mirror's newest checkpoint and its stored tree.
fn state_of(r: &dyn Reads) -> Result<Option<(State, Checkpoint)>> {
    let Some((size, note)) = r.checkpoint(None)? else {
        return Ok(None);
    };
    let cp = Checkpoint::parse(&note)?;
    if r.size()? != size {
        return Err(LedgerError::damaged(format!(
            "the mirror holds {} entries but its newest checkpoint covers {size}",
            r.size()?
        )));
    }
    let aligned = size / WIDTH * WIDTH;
    let frontier = load_frontier(r, aligned)?.hashes();
    let mut edges = Vec::new();
    for level in 1..8u32 {
        let count = aligned >> (HEIGHT * level);
        if count == 0 {
            break;
        }
        let edge = (count / WIDTH * WIDTH..count)
            .map(|i| stored_node(r, HEIGHT * level, i).map(|h| hex(&h)))
            .collect::<Result<Vec<_>>>()?;
        edges.push(edge);
    }
    let prev = match aligned {
        0 => [0; 32],
        n => stored_node(r, 0, n - 1)?,
    };
    let state = State {
        origin: cp.origin.clone(),
        size,
        root: B64.encode(cp.root),
        aligned,
        frontier: frontier.iter().map(|h| hex(h)).collect(),
        edges,
        prev: hex(&prev),
    };
    Ok(Some((state, cp)))
}

fn run(
    src: &dyn Source,
    dest: &mut dyn Store,
    created: bool,
    kinds: &Kinds,
    anchors: &Anchors,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Mirrored> {
    let held = state_of(dest.read()?.as_ref())?;
    let from = held.as_ref().map_or(0, |(s, _)| s.size);
    if let (Some((_, mine)), Some(theirs)) = (&held, served_origin(src)?) {
        if mine.origin != theirs {
            return Err(Diverged::OtherMirror {
                theirs,
                ours: mine.origin.clone(),
            }
            .into());
        }
    }
    let mut tx = dest.write()?;
    let mut writer = EntryWriter::resume(tx.as_ref())?;
    let checked = {
        let mut sink = |seq: u64, body: &[u8]| -> Result<()> {
            if seq < writer.next_seq() {
                return Ok(());
            }
            let e = Entry::parse_canonical(body)
                .map_err(|e| LedgerError::Invalid(format!("entry {seq}: {e}")))?;
            let amends = if e.kind == KIND_AMENDMENT {
                let a =
                    Amendment::from_content(&e.content).map_err(|e| LedgerError::Invalid(e.to_string()))?;
                Some(
                    tx.locate(&a.target)?
                        .map(|(s, _)| s)
                        .ok_or_else(|| LedgerError::Invalid(format!("entry {seq} amends a missing entry")))?,
                )
            } else {
                None
            };
            let cols = Columns {
                id: &e.id,
                kind: &e.kind,
                ts: &e.ts,
            };
            writer.put(tx.as_mut(), &cols, body, amends)?;
            Ok(())
        };
        check(
            src,
            kinds,
            anchors,
            held.as_ref().map(|(s, _)| s),
            &mut sink,
            progress,
        )?
    };
    let mut report = checked.report;
    if !report.valid() {
        return Ok(Mirrored {
            created,
            from,
            size: from,
            report,
        });
    }
    let size = writer.next_seq();
    if size > from {
        let note = src
            .fetch("checkpoint")?
            .and_then(|n| String::from_utf8(n).ok())
            .ok_or_else(|| LedgerError::Invalid("the log's checkpoint went away".into()))?;
        let cp = Checkpoint::parse(&note)?;
        if cp.size != size || cp.root != writer.root() {
            return Err(LedgerError::Invalid(
                "the log's checkpoint changed during the mirror: nothing was written; run it again".into(),
            ));
        }
        tx.insert_checkpoint(size, &note)?;
        tx.commit()?;
    } else {
        drop(tx);
    }
    // A resumed walk checked the tree and the new entries' form; the rules that need the
    // history run here, on the mirror, from the checkpoint it held.
    if let Some((_, old)) = held.filter(|_| size > from) {
        let since = Anchors {
            since: Some(old),
            ..anchors.clone()
        };
        report = verify::verify(dest, kinds, &since, &mut |_, _| {})?;
    }
    Ok(Mirrored {
        created,
        from,
        size,
        report,
    })
}

/// The origin line of the checkpoint `src` serves, when it parses.
fn served_origin(src: &dyn Source) -> Result<Option<String>> {
    Ok(src
        .fetch("checkpoint")?
        .and_then(|n| String::from_utf8(n).ok())
        .and_then(|n| n.lines().next().map(str::to_owned)))
}
