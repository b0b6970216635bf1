//! `ledger tiles --out DIR`: the ledger's newest checkpoint and every tile of its tree,
//! written as files any static web server can serve. Incremental: a directory that
//! already holds an earlier checkpoint of this ledger gets only the tiles the tree grew
//! (full tiles never change, so they are never rewritten). Every file goes through a
//! temporary sibling and a rename; the checkpoint goes last, after every tile it covers
//! is in place, so a reader (or a crash) never sees a checkpoint whose tiles are missing.

use super::{new_tiles, read};
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::copy::Diverged;
use crate::ledger::error::{LedgerError, Result};
use crate::ledger::files::{sync_filesystem, write_atomically, SYNCFS};
use crate::ledger::store::Reads;
use crate::ledger::tree::range_hash;
use crate::ledger::witness::with_cosignatures;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Threads creating tile files.
const WRITERS: usize = 4;
/// Tiles read and waiting for a writer: with the writers' own, at most 12 tiles (each at
/// most 256 entries of 64 KiB, 16 MiB) are held at once.
const QUEUED: usize = 8;

/// What a run wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// The size of the checkpoint the directory held before (0 when it held none).
    pub from: u64,
    /// The size of the checkpoint now published.
    pub size: u64,
    /// Tiles written (new or grown partial tiles).
    pub written: usize,
    /// Tiles found already in place with the right bytes (left untouched).
    pub unchanged: usize,
    /// The checkpoint note as published (with stored cosignatures).
    pub checkpoint: String,
}

/// Publishes the newest checkpoint of the ledger `r` reads (one snapshot) and its tiles
/// to `dir`. `sync`: every tile is on the disk before the checkpoint is renamed into
/// place, and the checkpoint before this returns (one syncfs(2) for all the tiles on
/// Linux; elsewhere each file before its rename).
/// `progress(done, total)` is called as tiles are written.
pub fn publish(
    r: &dyn Reads,
    dir: &Path,
    sync: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Published> {
    let (_, note) = r.checkpoint(None)?.ok_or(LedgerError::NoCheckpoints)?;
    let note = with_cosignatures(r, &note)?;
    let cp = Checkpoint::parse(&note)?;
    let from = match published(dir)? {
        None => 0,
        Some(old) => {
            check_extends(r, &old, &cp)?;
            old.size
        }
    };
    let tiles = new_tiles(from, cp.size);
    // Synced tiles: one syncfs after them all where there is one, else each file.
    let each = sync && !SYNCFS;
    let (mut written, mut unchanged) = (0, 0);
    let failed = Mutex::new(None);
    // Creating a file is mostly waiting on the filesystem's journal, so WRITERS threads
    // create them while this one reads the next tiles; at most QUEUED tiles wait between.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(PathBuf, Vec<u8>)>(QUEUED);
    let (rx, pending) = (Mutex::new(rx), AtomicUsize::new(0));
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..WRITERS {
            scope.spawn(|| loop {
                let Ok((path, data)) = rx.lock().map_err(drop).and_then(|r| r.recv().map_err(drop)) else {
                    return;
                };
                if let Err(e) = write_atomically(&path, &data, each) {
                    let mut f = failed.lock().unwrap_or_else(|p| p.into_inner());
                    f.get_or_insert(LedgerError::Io {
                        what: format!("write {}", path.display()),
                        source: e,
                    });
                }
                // With syncfs, start the disk writes of each 32 MiB while more is made, so
                // the last sync finds little left.
                if sync && SYNCFS && pending.fetch_add(data.len(), Ordering::Relaxed) + data.len() >= 32 << 20
                {
                    pending.store(0, Ordering::Relaxed);
                    let _ = sync_filesystem(dir);
                }
            });
        }
        let tx = tx;
        for (i, t) in tiles.iter().enumerate() {
            let data = read(r, t, cp.size)?
                .ok_or_else(|| LedgerError::damaged(format!("tile {} is not in the tree", t.path())))?;
            let path = dir.join(t.path());
            let same_length = std::fs::metadata(&path).is_ok_and(|m| m.len() == data.len() as u64);
            if same_length && std::fs::read(&path).is_ok_and(|old| old == data) {
                unchanged += 1;
            } else if tx.send((path, data)).is_err() {
                break;
            } else {
                written += 1;
            }
            progress(i as u64 + 1, tiles.len() as u64);
        }
        Ok(())
    })?;
    if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let at = dir.join("checkpoint");
    let synced = |r: std::io::Result<()>| r.map_err(LedgerError::io(format!("sync {}", dir.display())));
    if sync && written > 0 {
        synced(sync_filesystem(dir))?;
    }
    write_atomically(&at, note.as_bytes(), sync)
        .map_err(LedgerError::io(format!("write {}", at.display())))?;
    if sync {
        // The checkpoint's rename (its directory entry) too.
        synced(sync_filesystem(dir))?;
    }
    Ok(Published {
        from,
        size: cp.size,
        written,
        unchanged,
        checkpoint: note,
    })
}

/// The checkpoint a directory already publishes, if any.
fn published(dir: &Path) -> Result<Option<Checkpoint>> {
    let at = dir.join("checkpoint");
    match std::fs::read_to_string(&at) {
        Ok(text) => Checkpoint::parse(&text)
            .map(Some)
            .map_err(|e| LedgerError::Mismatch(format!("{} is not a checkpoint: {e}", at.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LedgerError::Io {
            what: format!("read {}", at.display()),
            source: e,
        }),
    }
}

/// A directory is updated only from a ledger that extends what it publishes: the same
/// origin, a size at least as large, and the same root at the published size.
fn check_extends(r: &dyn Reads, old: &Checkpoint, new: &Checkpoint) -> Result<()> {
    if old.origin != new.origin {
        return Err(Diverged::OtherLog {
            theirs: old.origin.clone(),
            ours: new.origin.clone(),
        }
        .into());
    }
    let ours = if old.size <= new.size {
        Some(range_hash(r, 0, old.size)?)
    } else {
        None
    };
    if ours != Some(old.root) {
        return Err(Diverged::Published { size: old.size }.into());
    }
    Ok(())
}
