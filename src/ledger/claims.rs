//! Claims: keys an entry takes for good, so that no later entry may take them (bft: one
//! decision per subject). A feature names the keys of its entries (`Feature::claims`);
//! the writer keeps each in the store's records — space `claims/<feature>`, the key, the
//! claiming entry's seq (u64 big-endian) — inside the append's transaction, and refuses an
//! entry whose key is taken, in O(1) whatever the ledger's size.
//!
//! Claims are derived data. A ledger written before a feature claimed anything is indexed
//! the first time an entry with a claim is written (the first claim of a key wins; a
//! duplicate already in the file is `ledger verify`'s to report). The empty key marks a
//! space as indexed.

use super::entry::Entry;
use super::error::{LedgerError, Result};
use super::kinds::Kinds;
use super::store::{Reads, Writes};
use serde_json::{Map, Value};

/// The records space of a feature's claims.
pub fn space(feature: &str) -> String {
    format!("claims/{feature}")
}

const INDEXED: &[u8] = b"";

fn seq_of(v: &[u8]) -> Result<u64> {
    <[u8; 8]>::try_from(v)
        .map(u64::from_be_bytes)
        .map_err(|_| LedgerError::damaged("a claim record is not a seq"))
}

/// The seq of the entry that claimed `key` for `feature`, if any. Exact on a ledger
/// indexed or not (not yet indexed, the entries are read).
pub fn claimed(r: &dyn Reads, kinds: &Kinds, feature: &str, key: &[u8]) -> Result<Option<u64>> {
    let space = space(feature);
    if r.record(&space, INDEXED)?.is_some() {
        return r.record(&space, key)?.map(|v| seq_of(&v)).transpose();
    }
    let Some(f) = kinds.features().position(|f| f.name() == feature) else {
        return Ok(None);
    };
    let mut found = None;
    scan(r, kinds, f, &mut |seq, k| {
        if found.is_none() && k == key {
            found = Some(seq);
        }
        Ok(())
    })?;
    Ok(found)
}

/// Every claim of feature `f` stored in entries, in seq order.
fn scan(
    r: &dyn Reads,
    kinds: &Kinds,
    f: usize,
    each: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
) -> Result<()> {
    let feature = kinds.feature(f);
    for kind in feature.kinds().iter().chain(feature.watches()) {
        for (seq, body) in r.entries_of_kind(kind, u64::MAX)? {
            let e = Entry::parse_canonical(&body).map_err(|e| LedgerError::damaged(e.to_string()))?;
            for key in feature.claims(&e.kind, &e.content) {
                each(seq, &key)?;
            }
        }
    }
    Ok(())
}

/// The claims a write makes, checked and stored as it goes.
#[derive(Default)]
pub(crate) struct Claims {
    /// Features whose space this write found (or made) indexed.
    indexed: Vec<usize>,
}

impl Claims {
    /// Takes the keys the features interested in `kind` claim for the entry at `seq`, or
    /// refuses the entry (`Claimed`) if one is taken.
    pub fn take(
        &mut self,
        tx: &mut dyn Writes,
        kinds: &Kinds,
        seq: u64,
        kind: &str,
        content: &Map<String, Value>,
    ) -> Result<()> {
        let Some(index) = kinds.index(kind) else {
            return Ok(());
        };
        for &f in kinds.interested(index) {
            let keys = kinds.feature(f).claims(kind, content);
            if keys.is_empty() {
                continue;
            }
            let name = kinds.feature(f).name();
            let space = space(name);
            if !self.indexed.contains(&f) {
                index_space(tx, kinds, f, &space)?;
                self.indexed.push(f);
            }
            for key in keys {
                if let Some(v) = tx.record(&space, &key)? {
                    return Err(LedgerError::Claimed {
                        feature: name,
                        key: String::from_utf8_lossy(&key).into_owned(),
                        by: seq_of(&v)?,
                    });
                }
                tx.put_record(&space, &key, &seq.to_be_bytes())?;
            }
        }
        Ok(())
    }
}

/// Indexes the claims of feature `f` already in the file, if not done yet.
pub(crate) fn index(tx: &mut dyn Writes, kinds: &Kinds, f: usize) -> Result<()> {
    index_space(tx, kinds, f, &space(kinds.feature(f).name()))
}

/// Indexes the claims already in the file, once per ledger and feature.
fn index_space(tx: &mut dyn Writes, kinds: &Kinds, f: usize, space: &str) -> Result<()> {
    if tx.record(space, INDEXED)?.is_some() {
        return Ok(());
    }
    let mut found = Vec::new();
    scan(&*tx, kinds, f, &mut |seq, key| {
        found.push((seq, key.to_vec()));
        Ok(())
    })?;
    for (seq, key) in found {
        if tx.record(space, &key)?.is_none() {
            tx.put_record(space, &key, &seq.to_be_bytes())?;
        }
    }
    tx.put_record(space, INDEXED, b"")?;
    Ok(())
}
