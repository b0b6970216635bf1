//! The checks around every write: before it, that the tip of the stored ledger is whole
//! (O(log n): the newest checkpoint, the stored frontier, the last entry); before its
//! COMMIT, that what it wrote reads back as written. A damaged file refuses the write and
//! is left as it was. A full check of the history is `verify`'s, not append's.

use super::checkpoint::Checkpoint;
use super::entry::Entry;
use super::error::{LedgerError, Result};
use super::keys::KeyHistory;
use super::merkle::{leaf_hash, Hash};
use super::store::Reads;
use super::tree::load_frontier;

/// One entry a write put into the store, as the command reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The ULID's 128 bits.
    pub id: u128,
    pub kind: &'static str,
    pub leaf: Hash,
}

impl Written {
    pub fn id_text(&self) -> String {
        super::ids::ulid_text(self.id)
    }
}

fn damaged(why: String) -> LedgerError {
    LedgerError::damaged(format!("{why}; nothing was written"))
}

/// Checks the tip of a ledger of `size` entries (at least the genesis) whose stored
/// frontier hashes to `root` and whose last leaf hash is `last_leaf`: the newest checkpoint
/// covers every entry, commits to that root and carries a counting signature by a key of
/// `history` (not verified again when its note is `ours`, the very note this writer
/// committed last); the last entry's bytes are canonical, hash to its leaf and chain onto
/// the one before.
pub(crate) fn check(
    r: &dyn Reads,
    history: &KeyHistory,
    origin: &str,
    size: u64,
    root: &Hash,
    last_leaf: &Hash,
    ours: Option<&str>,
) -> Result<()> {
    let Some((cp_size, note)) = r.checkpoint(None)? else {
        return Err(damaged("the ledger has no checkpoint".into()));
    };
    if cp_size != size {
        return Err(damaged(format!(
            "the newest checkpoint covers {cp_size} of its {size} entries"
        )));
    }
    let cp = Checkpoint::parse(&note).map_err(|e| damaged(format!("the newest checkpoint: {e}")))?;
    if cp.size != size || cp.origin != origin || cp.root != *root {
        return Err(damaged(format!(
            "the newest checkpoint (size {size}) does not match the stored tree"
        )));
    }
    let signed = ours == Some(note.as_str())
        || !history
            .check_checkpoint(&cp, size - 1, size)
            .map_err(|e| damaged(format!("the newest checkpoint: {e}")))?
            .is_empty();
    if !signed {
        return Err(damaged(
            "the newest checkpoint carries no valid signature by a key of the ledger".into(),
        ));
    }
    let last = size - 1;
    let body = r
        .body(last)?
        .ok_or_else(|| damaged(format!("entry {last} is missing")))?;
    let e = Entry::parse_canonical(&body).map_err(|e| damaged(format!("entry {last}: {e}")))?;
    if e.seq != last || leaf_hash(&body) != *last_leaf {
        return Err(damaged(format!("entry {last} does not match its leaf hash")));
    }
    let prev = match last {
        0 => [0; 32],
        _ => r
            .leaf(last - 1)?
            .ok_or_else(|| damaged(format!("the leaf hash of entry {} is missing", last - 1)))?,
    };
    if e.prev != prev {
        return Err(damaged(format!(
            "entry {last} does not chain onto entry {}",
            last - 1
        )));
    }
    Ok(())
}

/// What a write put in, kept to compare with what reads back: the entries, with the
/// length of each body.
#[derive(Default)]
pub(crate) struct Echo {
    pub written: Vec<Written>,
    lengths: Vec<u32>,
}

impl Echo {
    pub fn wrote(&mut self, w: Written, body: &[u8]) {
        self.written.push(w);
        self.lengths.push(body.len() as u32);
    }

    /// Reads back the rows from `first` on (seq, leaf hash, body length), the tree nodes
    /// of the new size and the new checkpoint, inside the write transaction, and requires
    /// what was written: a file whose b-tree is damaged where the write went fails here,
    /// before anything is committed.
    pub fn check(&self, r: &dyn Reads, first: u64, root: &Hash, note: &str) -> Result<()> {
        let end = first + self.written.len() as u64;
        let mut next = first;
        let mut mismatch = None;
        r.leaves(first, end, &mut |seq, leaf, len| {
            let i = (next - first) as usize;
            let same = seq == next
                && self.written.get(i).is_some_and(|w| w.leaf[..] == *leaf)
                && self.lengths.get(i).is_some_and(|l| u64::from(*l) == len);
            if !same && mismatch.is_none() {
                mismatch = Some(seq);
            }
            next += 1;
        })?;
        if let Some(seq) = mismatch {
            return Err(damaged(format!("entry {seq} did not read back as written")));
        }
        if next != end {
            return Err(damaged(format!(
                "{} of the {} entries written from {first} read back",
                next - first,
                end - first
            )));
        }
        if load_frontier(r, end)?.root() != *root {
            return Err(damaged("the tree nodes did not read back as written".into()));
        }
        if r.checkpoint(None)? != Some((end, note.to_owned())) {
            return Err(damaged("the checkpoint did not read back as written".into()));
        }
        Ok(())
    }
}
