//! The one entry writer: `append` and `import` both put entries into the store through
//! it — the entry row, the tree nodes it completes and its amendment index row — while it
//! keeps the Merkle frontier and the chain's last leaf hash.

use super::error::{LedgerError, Result};
use super::merkle::{self, Frontier, Hash};
use super::store::{Reads, Writes};
use super::tree::load_frontier;

pub(crate) struct EntryWriter {
    frontier: Frontier,
    prev: Hash,
    next: u64,
}

/// The index columns of an entry, copied from its bytes.
pub(crate) struct Columns<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub ts: &'a str,
}

impl EntryWriter {
    /// A writer that continues the stored ledger.
    pub fn resume(r: &dyn Reads) -> Result<Self> {
        let size = r.size()?;
        let frontier = load_frontier(r, size)?;
        let prev = match size {
            0 => [0; 32],
            _ => r
                .leaf(size - 1)?
                .ok_or_else(|| LedgerError::damaged("a stored leaf hash is not 32 bytes"))?,
        };
        Ok(EntryWriter {
            frontier,
            prev,
            next: size,
        })
    }

    /// The seq the next entry gets.
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// The leaf hash the next entry's `prev` must be.
    pub fn prev(&self) -> Hash {
        self.prev
    }

    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Stores an entry's canonical bytes at the next seq; `amends` is the seq of the
    /// entry it amends. Returns its leaf hash.
    pub fn put(
        &mut self,
        tx: &mut dyn Writes,
        cols: &Columns<'_>,
        body: &[u8],
        amends: Option<u64>,
    ) -> Result<Hash> {
        let leaf = merkle::leaf_hash(body);
        tx.insert_entry(self.next, cols.id, cols.kind, cols.ts, &leaf, body)?;
        let mut failed = None;
        self.frontier.push(leaf, |level, idx, h| {
            if failed.is_none() {
                failed = tx.insert_node(level, idx, h).err();
            }
        });
        if let Some(e) = failed {
            return Err(e.into());
        }
        if let Some(target) = amends {
            tx.insert_amendment(target, self.next)?;
        }
        self.prev = leaf;
        self.next += 1;
        Ok(leaf)
    }
}
