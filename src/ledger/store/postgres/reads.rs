//! Every read the ledger makes, over one PostgreSQL connection. Rows come in pages (a
//! scan of a million entries holds one page at a time), and a caller's callback runs
//! between pages, never while the connection is busy. A value of another type than the
//! schema's (a column altered behind echoctl's back) reads as corruption, never a panic.

use super::{bound, hash_of, int, Conn};
use crate::ledger::merkle::Hash;
use crate::ledger::store::{LogQuery, Reads, RowRef, StoreError, StoreResult};
use postgres::types::FromSql;
use postgres::Row;
use std::collections::HashMap;

/// Rows per page of a scan.
const PAGE: i64 = 4096;

// The reads a write transaction makes, prepared before it takes the coordinator lock
// (`WRITE_PATH`): inside the lock each costs one round trip, not two.
const SIZE: &str = "SELECT COALESCE(MAX(seq) + 1, 0) FROM entries";
const BODY: &str = "SELECT body FROM entries WHERE seq = $1";
const LEAF: &str = "SELECT leaf FROM entries WHERE seq = $1";
const LOCATE: &str = "SELECT seq, kind FROM entries WHERE id = $1";
const NODE: &str = "SELECT hash FROM tree_nodes WHERE level = $1 AND idx = $2";
const NEWEST: &str = "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1";
const RECORD: &str = "SELECT value FROM records WHERE space = $1 AND key = $2";
const RARE_KIND: &str = "SELECT seq, body FROM entries WHERE kind = $1 AND seq < $2 \
     AND kind NOT IN ('observation', 'decision', 'outcome', 'constraint', 'test') ORDER BY seq";
const LEAVES: &str = "SELECT seq, leaf, octet_length(body)::bigint FROM entries \
     WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT $3";

pub(super) const WRITE_PATH: [&str; 9] = [SIZE, BODY, LEAF, LOCATE, NODE, NEWEST, RECORD, RARE_KIND, LEAVES];

pub(super) fn g<'a, T: FromSql<'a>>(r: &'a Row, i: usize) -> StoreResult<T> {
    r.try_get(i)
        .map_err(|e| StoreError::Corrupt(format!("a stored value has the wrong type ({e})")))
}

/// A seq, size or count.
fn n(r: &Row, i: usize) -> StoreResult<u64> {
    Ok(g::<i64>(r, i)?.max(0) as u64)
}

/// A text or bytea column's bytes.
fn raw(r: &Row, i: usize) -> StoreResult<&[u8]> {
    match r.try_get::<_, &[u8]>(i) {
        Ok(b) => Ok(b),
        Err(_) => g::<&str>(r, i).map(str::as_bytes),
    }
}

/// Immutable rows a writer has read (below the committed size), bounded.
#[derive(Default)]
pub(crate) struct Cache {
    nodes: HashMap<(u32, u64), Hash>,
    leaves: HashMap<u64, Hash>,
    bodies: HashMap<u64, Vec<u8>>,
}

const CACHE_ROWS: usize = 65_536;
const CACHE_BODIES: usize = 256;

impl Conn {
    fn below_committed(&self, end: u64) -> bool {
        self.committed.get().is_some_and(|c| end <= c)
    }
}

fn each<T>(rows: &[Row], f: impl Fn(&Row) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(f).collect()
}

impl Reads for Conn {
    fn size(&self) -> StoreResult<u64> {
        let size = n(&self.one(SIZE, &[])?, 0)?;
        if self.fresh.replace(false) {
            self.committed.set(Some(size));
        }
        Ok(size)
    }

    fn body(&self, seq: u64) -> StoreResult<Option<Vec<u8>>> {
        let cached = self.below_committed(seq.saturating_add(1));
        if let Some(b) = cached
            .then(|| self.cache.borrow().bodies.get(&seq).cloned())
            .flatten()
        {
            return Ok(Some(b));
        }
        let Some(at) = int(seq) else { return Ok(None) };
        let body: Option<Vec<u8>> = self.opt(BODY, &[&at])?.map(|r| g(&r, 0)).transpose()?;
        if let (true, Some(b)) = (cached, &body) {
            let mut c = self.cache.borrow_mut();
            if c.bodies.len() >= CACHE_BODIES {
                c.bodies.clear();
            }
            c.bodies.insert(seq, b.clone());
        }
        Ok(body)
    }

    fn leaf(&self, seq: u64) -> StoreResult<Option<Hash>> {
        let cached = self.below_committed(seq.saturating_add(1));
        if let Some(h) = cached
            .then(|| self.cache.borrow().leaves.get(&seq).copied())
            .flatten()
        {
            return Ok(Some(h));
        }
        let Some(at) = int(seq) else { return Ok(None) };
        let leaf = match self.opt(LEAF, &[&at])? {
            Some(r) => hash_of(g(&r, 0)?),
            None => None,
        };
        if let (true, Some(h)) = (cached, leaf) {
            let mut c = self.cache.borrow_mut();
            if c.leaves.len() >= CACHE_ROWS {
                c.leaves.clear();
            }
            c.leaves.insert(seq, h);
        }
        Ok(leaf)
    }

    fn locate(&self, id: &str) -> StoreResult<Option<(u64, String)>> {
        self.opt(LOCATE, &[&id])?
            .map(|r| Ok((n(&r, 0)?, g(&r, 1)?)))
            .transpose()
    }

    fn node(&self, level: u32, idx: u64) -> StoreResult<Option<Hash>> {
        let key = (level, idx);
        let end = (idx.checked_add(1)).and_then(|i| i.checked_mul(1u64.checked_shl(level)?));
        let cached = end.is_some_and(|e| self.below_committed(e));
        if let Some(h) = cached
            .then(|| self.cache.borrow().nodes.get(&key).copied())
            .flatten()
        {
            return Ok(Some(h));
        }
        let (Some(idx), Ok(level)) = (int(idx), i32::try_from(level)) else {
            return Ok(None);
        };
        let node = match self.opt(NODE, &[&level, &idx])? {
            Some(r) => hash_of(g(&r, 0)?),
            None => None,
        };
        if let (true, Some(h)) = (cached, node) {
            let mut c = self.cache.borrow_mut();
            if c.nodes.len() >= CACHE_ROWS {
                c.nodes.clear();
            }
            c.nodes.insert(key, h);
        }
        Ok(node)
    }

    fn nodes_from(&self, level: u32, idx: u64, limit: usize) -> StoreResult<Vec<(u64, Hash)>> {
        let Ok(level) = i32::try_from(level) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.all(
            "SELECT idx, hash FROM tree_nodes WHERE level = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
            &[&level, &bound(idx), &limit],
        )?;
        each(&rows, |r| Ok((n(r, 0)?, hash_of(g(r, 1)?).unwrap_or([0; 32]))))
    }

    fn node_count(&self) -> StoreResult<u64> {
        n(&self.one("SELECT COUNT(*) FROM tree_nodes", &[])?, 0)
    }

    fn checkpoint(&self, size: Option<u64>) -> StoreResult<Option<(u64, String)>> {
        let row = match size {
            Some(s) => match int(s) {
                Some(s) => self.opt("SELECT size, note FROM checkpoints WHERE size = $1", &[&s])?,
                None => None,
            },
            None => self.opt(NEWEST, &[])?,
        };
        row.map(|r| Ok((n(&r, 0)?, g(&r, 1)?))).transpose()
    }

    fn checkpoints(&self) -> StoreResult<Vec<(u64, String)>> {
        self.checkpoints_above(None, usize::MAX)
    }

    fn checkpoints_above(&self, above: Option<u64>, limit: usize) -> StoreResult<Vec<(u64, String)>> {
        // Without a bound, rows of any size, even impossible ones (verify reports them).
        let from = above.map_or(i64::MIN, |a| bound(a).saturating_add(1));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.all(
            "SELECT size, note FROM checkpoints WHERE size >= $1 ORDER BY size LIMIT $2",
            &[&from, &limit],
        )?;
        each(&rows, |r| Ok((n(r, 0)?, g(r, 1)?)))
    }

    fn checkpoint_count(&self) -> StoreResult<u64> {
        n(&self.one("SELECT COUNT(*) FROM checkpoints", &[])?, 0)
    }

    fn nearest_checkpoints(&self, size: u64, count: usize) -> StoreResult<Vec<u64>> {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let rows = self.all(
            "SELECT size FROM checkpoints ORDER BY abs(size - $1), size LIMIT $2",
            &[&bound(size), &count],
        )?;
        each(&rows, |r| n(r, 0))
    }

    fn cosignatures(&self, size: u64) -> StoreResult<Vec<String>> {
        let Some(size) = int(size) else {
            return Ok(Vec::new());
        };
        let rows = self.all(
            "SELECT line FROM cosignatures WHERE size = $1 ORDER BY line",
            &[&size],
        )?;
        each(&rows, |r| g(r, 0))
    }

    fn all_cosignatures(&self) -> StoreResult<Vec<(u64, String)>> {
        let rows = self.all("SELECT size, line FROM cosignatures ORDER BY size, line", &[])?;
        each(&rows, |r| Ok((n(r, 0)?, g(r, 1)?)))
    }

    fn amendments_of(&self, target: u64) -> StoreResult<Vec<u64>> {
        let Some(target) = int(target) else {
            return Ok(Vec::new());
        };
        let rows = self.all(
            "SELECT seq FROM amendments WHERE target_seq = $1 ORDER BY seq",
            &[&target],
        )?;
        each(&rows, |r| n(r, 0))
    }

    fn amendment_index(&self, from: u64, below: u64) -> StoreResult<Vec<(u64, u64)>> {
        let rows = self.all(
            "SELECT target_seq, seq FROM amendments WHERE seq >= $1 AND seq < $2 ORDER BY seq",
            &[&bound(from), &bound(below)],
        )?;
        each(&rows, |r| Ok((n(r, 0)?, n(r, 1)?)))
    }

    fn entries_of_kind(&self, kind: &str, below: u64) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        // As in SQLite: the repeated condition lets the planner use the partial index.
        let sql = if crate::ledger::kinds::USER_KINDS.contains(&kind) {
            "SELECT seq, body FROM entries WHERE kind = $1 AND seq < $2 ORDER BY seq"
        } else {
            RARE_KIND
        };
        let rows = self.all(sql, &[&kind, &bound(below)])?;
        each(&rows, |r| Ok((n(r, 0)?, g(r, 1)?)))
    }

    fn log(&self, q: &LogQuery<'_>, f: &mut dyn FnMut(&[u8]) -> bool) -> StoreResult<()> {
        let mut from = bound(q.from_seq);
        let mut left = q.limit.map_or(i64::MAX, bound);
        while left > 0 {
            let page = left.min(PAGE);
            let rows = self.all(
                "SELECT seq, body FROM entries WHERE seq >= $1 AND ($2::text IS NULL OR kind = $2) \
                 AND ($3::text IS NULL OR ts >= $3) ORDER BY seq LIMIT $4",
                &[&from, &q.kind, &q.since_ts, &page],
            )?;
            for r in &rows {
                if !f(raw(r, 1)?) {
                    return Ok(());
                }
            }
            let Some(last) = rows.last() else { break };
            from = g::<i64>(last, 0)?.saturating_add(1);
            left -= rows.len() as i64;
            if (rows.len() as i64) < page {
                break;
            }
        }
        Ok(())
    }

    fn scan(
        &self,
        from: u64,
        to: u64,
        columns: bool,
        f: &mut dyn FnMut(RowRef<'_>) -> bool,
    ) -> StoreResult<()> {
        let sql = if columns {
            "SELECT seq, body, id, kind, ts, leaf FROM entries WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT $3"
        } else {
            "SELECT seq, body FROM entries WHERE seq >= $1 AND seq < $2 ORDER BY seq LIMIT $3"
        };
        let (mut from, to) = (bound(from), bound(to));
        while from < to {
            let rows = self.all(sql, &[&from, &to, &PAGE])?;
            for row in &rows {
                let col = |i: usize| -> StoreResult<Option<&[u8]>> {
                    if columns || i < 2 {
                        raw(row, i).map(Some)
                    } else {
                        Ok(None)
                    }
                };
                let r = RowRef {
                    seq: g(row, 0)?,
                    body: col(1)?,
                    id: col(2)?,
                    kind: col(3)?,
                    ts: col(4)?,
                    leaf: col(5)?,
                };
                if !f(r) {
                    return Ok(());
                }
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => from = g::<i64>(last, 0)?.saturating_add(1),
                _ => break,
            }
        }
        Ok(())
    }

    fn leaves(&self, from: u64, to: u64, f: &mut dyn FnMut(u64, &[u8], u64)) -> StoreResult<()> {
        let (mut from, to) = (bound(from), bound(to));
        while from < to {
            let rows = self.all(LEAVES, &[&from, &to, &PAGE])?;
            for r in &rows {
                f(n(r, 0)?, raw(r, 1)?, n(r, 2)?);
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == PAGE => from = g::<i64>(last, 0)?.saturating_add(1),
                _ => break,
            }
        }
        Ok(())
    }

    fn record(&self, space: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        self.opt(RECORD, &[&space, &key])?.map(|r| g(&r, 0)).transpose()
    }

    fn record_count(&self, space: &str) -> StoreResult<u64> {
        n(
            &self.one("SELECT COUNT(*) FROM records WHERE space = $1", &[&space])?,
            0,
        )
    }

    fn last_record(&self, space: &str) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>> {
        self.opt(
            "SELECT key, value FROM records WHERE space = $1 ORDER BY key DESC LIMIT 1",
            &[&space],
        )?
        .map(|r| Ok((g(&r, 0)?, g(&r, 1)?)))
        .transpose()
    }

    fn records_after(
        &self,
        space: &str,
        after: Option<&[u8]>,
        limit: usize,
    ) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        // bytea compares bytewise, as SQLite's blobs do.
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.all(
            "SELECT key, value FROM records WHERE space = $1 AND ($2::bytea IS NULL OR key > $2) \
             ORDER BY key LIMIT $3",
            &[&space, &after, &limit],
        )?;
        each(&rows, |r| Ok((g(r, 0)?, g(r, 1)?)))
    }
}
