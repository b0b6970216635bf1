//! Every read the ledger makes, over a connection or a transaction on it.

use super::{bound, hash_of, int, schema::has_table, Sql};
use crate::ledger::merkle::Hash;
use crate::ledger::store::{LogQuery, Reads, RowRef, StoreError, StoreResult};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};

/// The reads, over any connection or transaction (a `Transaction` derefs to one).
pub(super) struct On<'c>(pub &'c Connection);

impl Reads for On<'_> {
    fn size(&self) -> StoreResult<u64> {
        self.0
            .query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM entries", [], |r| r.get(0))
            .sql()
    }

    fn body(&self, seq: u64) -> StoreResult<Option<Vec<u8>>> {
        let Some(seq) = int(seq) else { return Ok(None) };
        self.0
            .prepare_cached("SELECT body FROM entries WHERE seq = ?1")
            .and_then(|mut s| s.query_row([seq], |r| r.get(0)).optional())
            .sql()
    }

    fn leaf(&self, seq: u64) -> StoreResult<Option<Hash>> {
        let Some(seq) = int(seq) else { return Ok(None) };
        let v: Option<Vec<u8>> = self
            .0
            .prepare_cached("SELECT leaf FROM entries WHERE seq = ?1")
            .and_then(|mut s| s.query_row([seq], |r| r.get(0)).optional())
            .sql()?;
        Ok(v.and_then(hash_of))
    }

    fn locate(&self, id: &str) -> StoreResult<Option<(u64, String)>> {
        self.0
            .prepare_cached("SELECT seq, kind FROM entries WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .sql()
    }

    fn node(&self, level: u32, idx: u64) -> StoreResult<Option<Hash>> {
        let Some(idx) = int(idx) else { return Ok(None) };
        let v: Option<Vec<u8>> = self
            .0
            .prepare_cached("SELECT hash FROM tree_nodes WHERE level = ?1 AND idx = ?2")
            .and_then(|mut s| s.query_row(params![level, idx], |r| r.get(0)).optional())
            .sql()?;
        Ok(v.and_then(hash_of))
    }

    fn nodes_from(&self, level: u32, idx: u64, limit: usize) -> StoreResult<Vec<(u64, Hash)>> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT idx, hash FROM tree_nodes WHERE level = ?1 AND idx >= ?2 ORDER BY idx LIMIT ?3",
            )
            .sql()?;
        let rows = stmt
            .query_map(params![level, bound(idx), limit as i64], |r| {
                Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .sql()?;
        rows.map(|row| row.map(|(i, h)| (i, hash_of(h).unwrap_or([0; 32]))))
            .collect::<Result<_, _>>()
            .sql()
    }

    fn node_count(&self) -> StoreResult<u64> {
        self.0
            .query_row("SELECT COUNT(*) FROM tree_nodes", [], |r| r.get(0))
            .sql()
    }

    fn checkpoint(&self, size: Option<u64>) -> StoreResult<Option<(u64, String)>> {
        let row = |r: &rusqlite::Row| Ok((r.get(0)?, r.get(1)?));
        match size {
            Some(s) => match int(s) {
                Some(s) => self
                    .0
                    .query_row("SELECT size, note FROM checkpoints WHERE size = ?1", [s], row)
                    .optional()
                    .sql(),
                None => Ok(None),
            },
            None => self
                .0
                .query_row(
                    "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
                    [],
                    row,
                )
                .optional()
                .sql(),
        }
    }

    fn checkpoints(&self) -> StoreResult<Vec<(u64, String)>> {
        self.checkpoints_above(None, usize::MAX)
    }

    fn checkpoints_above(&self, above: Option<u64>, limit: usize) -> StoreResult<Vec<(u64, String)>> {
        let mut stmt = self
            .0
            .prepare_cached("SELECT size, note FROM checkpoints WHERE size >= ?1 ORDER BY size LIMIT ?2")
            .sql()?;
        // Without a bound, rows of any size, even impossible ones (verify reports them).
        let from = above.map_or(i64::MIN, |a| bound(a).saturating_add(1));
        let limit = i64::try_from(limit).unwrap_or(-1);
        let rows = stmt
            .query_map(params![from, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .sql()?;
        rows.map(|r| r.map(|(s, n)| (s.max(0) as u64, n)))
            .collect::<Result<_, _>>()
            .sql()
    }

    fn checkpoint_count(&self) -> StoreResult<u64> {
        self.0
            .query_row("SELECT COUNT(*) FROM checkpoints", [], |r| r.get(0))
            .sql()
    }

    fn nearest_checkpoints(&self, size: u64, n: usize) -> StoreResult<Vec<u64>> {
        let mut stmt = self
            .0
            .prepare("SELECT size FROM checkpoints ORDER BY abs(size - ?1) LIMIT ?2")
            .sql()?;
        let rows = stmt
            .query_map(params![bound(size), n as i64], |r| r.get(0))
            .sql()?;
        rows.collect::<Result<_, _>>().sql()
    }

    fn cosignatures(&self, size: u64) -> StoreResult<Vec<String>> {
        let Some(size) = int(size) else {
            return Ok(Vec::new());
        };
        if !has_table(self.0, "cosignatures")? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .0
            .prepare_cached("SELECT line FROM cosignatures WHERE size = ?1 ORDER BY line")
            .sql()?;
        let rows = stmt.query_map([size], |r| r.get(0)).sql()?;
        rows.collect::<Result<_, _>>().sql()
    }

    fn all_cosignatures(&self) -> StoreResult<Vec<(u64, String)>> {
        if !has_table(self.0, "cosignatures")? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .0
            .prepare_cached("SELECT size, line FROM cosignatures ORDER BY size, line")
            .sql()?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .sql()?;
        rows.map(|r| r.map(|(s, l)| (s.max(0) as u64, l)))
            .collect::<Result<_, _>>()
            .sql()
    }

    fn amendments_of(&self, target: u64) -> StoreResult<Vec<u64>> {
        let Some(target) = int(target) else {
            return Ok(Vec::new());
        };
        let mut stmt = self
            .0
            .prepare_cached("SELECT seq FROM amendments WHERE target_seq = ?1 ORDER BY seq")
            .sql()?;
        let rows = stmt.query_map([target], |r| r.get(0)).sql()?;
        rows.collect::<Result<_, _>>().sql()
    }

    fn amendment_index(&self, from: u64, below: u64) -> StoreResult<Vec<(u64, u64)>> {
        let mut stmt = self
            .0
            .prepare("SELECT target_seq, seq FROM amendments WHERE seq >= ?1 AND seq < ?2 ORDER BY seq")
            .sql()?;
        let rows = stmt
            .query_map(params![bound(from), bound(below)], |r| Ok((r.get(0)?, r.get(1)?)))
            .sql()?;
        rows.collect::<Result<_, _>>().sql()
    }

    fn entries_of_kind(&self, kind: &str, below: u64) -> StoreResult<Vec<(u64, Vec<u8>)>> {
        // The kinds an operator appends are many and not indexed by kind; every other kind
        // is, and the repeated condition lets SQLite use that index.
        let sql = if crate::ledger::kinds::USER_KINDS.contains(&kind) {
            "SELECT seq, body FROM entries WHERE kind = ?1 AND seq < ?2 ORDER BY seq".to_owned()
        } else {
            format!(
                "SELECT seq, body FROM entries WHERE kind = ?1 AND seq < ?2 AND {} ORDER BY seq",
                super::schema::RARE_KINDS
            )
        };
        let mut stmt = self.0.prepare_cached(&sql).sql()?;
        let rows = stmt
            .query_map(params![kind, bound(below)], |r| Ok((r.get(0)?, r.get(1)?)))
            .sql()?;
        rows.collect::<Result<_, _>>().sql()
    }

    fn log(&self, q: &LogQuery<'_>, f: &mut dyn FnMut(&[u8]) -> bool) -> StoreResult<()> {
        let mut stmt = self
            .0
            .prepare(
                "SELECT body FROM entries WHERE seq >= ?1 AND (?2 IS NULL OR kind = ?2) \
                 AND (?3 IS NULL OR ts >= ?3) ORDER BY seq LIMIT ?4",
            )
            .sql()?;
        let limit = q.limit.map_or(-1, bound);
        let mut rows = stmt
            .query(params![bound(q.from_seq), q.kind, q.since_ts, limit])
            .sql()?;
        while let Some(row) = rows.next().sql()? {
            let body = row.get_ref(0).sql()?;
            let bytes = body
                .as_blob()
                .map_err(|e| StoreError::Corrupt(format!("a stored entry is not a byte string ({e})")))?;
            if !f(bytes) {
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
            "SELECT seq, body, id, kind, ts, leaf FROM entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq"
        } else {
            "SELECT seq, body FROM entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq"
        };
        let mut stmt = self.0.prepare_cached(sql).sql()?;
        let mut rows = stmt.query(params![bound(from), bound(to)]).sql()?;
        while let Some(row) = rows.next().sql()? {
            let bytes = |i: usize| -> StoreResult<Option<&[u8]>> {
                if i > 1 && !columns {
                    return Ok(None);
                }
                Ok(match row.get_ref(i).sql()? {
                    ValueRef::Text(t) | ValueRef::Blob(t) => Some(t),
                    _ => None,
                })
            };
            let r = RowRef {
                seq: row.get(0).sql()?,
                body: bytes(1)?,
                id: bytes(2)?,
                kind: bytes(3)?,
                ts: bytes(4)?,
                leaf: bytes(5)?,
            };
            if !f(r) {
                break;
            }
        }
        Ok(())
    }

    fn leaves(&self, from: u64, to: u64, f: &mut dyn FnMut(u64, &[u8], u64)) -> StoreResult<()> {
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT seq, leaf, length(body) FROM entries WHERE seq >= ?1 AND seq < ?2 ORDER BY seq",
            )
            .sql()?;
        let mut rows = stmt.query(params![bound(from), bound(to)]).sql()?;
        while let Some(row) = rows.next().sql()? {
            let leaf = match row.get_ref(1).sql()? {
                ValueRef::Blob(b) => b,
                _ => &[],
            };
            f(row.get(0).sql()?, leaf, row.get::<_, i64>(2).sql()?.max(0) as u64);
        }
        Ok(())
    }

    fn record(&self, space: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        if !has_table(self.0, "records")? {
            return Ok(None);
        }
        self.0
            .prepare_cached("SELECT value FROM records WHERE space = ?1 AND key = ?2")
            .and_then(|mut s| s.query_row(params![space, key], |r| r.get(0)).optional())
            .sql()
    }

    fn record_count(&self, space: &str) -> StoreResult<u64> {
        if !has_table(self.0, "records")? {
            return Ok(0);
        }
        self.0
            .prepare_cached("SELECT COUNT(*) FROM records WHERE space = ?1")
            .and_then(|mut s| s.query_row([space], |r| r.get(0)))
            .sql()
    }

    fn last_record(&self, space: &str) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>> {
        if !has_table(self.0, "records")? {
            return Ok(None);
        }
        self.0
            .prepare_cached("SELECT key, value FROM records WHERE space = ?1 ORDER BY key DESC LIMIT 1")
            .and_then(|mut s| s.query_row([space], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .sql()
    }

    fn records_after(
        &self,
        space: &str,
        after: Option<&[u8]>,
        limit: usize,
    ) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        if !has_table(self.0, "records")? {
            return Ok(Vec::new());
        }
        // Blobs compare bytewise (memcmp) in SQLite; an empty blob is below every key.
        let mut stmt = self
            .0
            .prepare_cached(
                "SELECT key, value FROM records WHERE space = ?1 AND (?2 IS NULL OR key > ?2) \
                 ORDER BY key LIMIT ?3",
            )
            .sql()?;
        let limit = i64::try_from(limit).unwrap_or(-1);
        let rows = stmt
            .query_map(params![space, after, limit], |r| Ok((r.get(0)?, r.get(1)?)))
            .sql()?;
        rows.collect::<Result<_, _>>().sql()
    }
}

/// Implements `Reads` for a type by delegating to `On` over one of its connections.
macro_rules! delegate_reads {
    ($t:ty, $conn:ident) => {
        impl $crate::ledger::store::Reads for $t {
            fn size(&self) -> $crate::ledger::store::StoreResult<u64> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).size()
            }
            fn body(&self, seq: u64) -> $crate::ledger::store::StoreResult<Option<Vec<u8>>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).body(seq)
            }
            fn leaf(
                &self,
                seq: u64,
            ) -> $crate::ledger::store::StoreResult<Option<$crate::ledger::merkle::Hash>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).leaf(seq)
            }
            fn locate(&self, id: &str) -> $crate::ledger::store::StoreResult<Option<(u64, String)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).locate(id)
            }
            fn node(
                &self,
                level: u32,
                idx: u64,
            ) -> $crate::ledger::store::StoreResult<Option<$crate::ledger::merkle::Hash>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).node(level, idx)
            }
            fn nodes_from(
                &self,
                level: u32,
                idx: u64,
                limit: usize,
            ) -> $crate::ledger::store::StoreResult<Vec<(u64, $crate::ledger::merkle::Hash)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).nodes_from(level, idx, limit)
            }
            fn node_count(&self) -> $crate::ledger::store::StoreResult<u64> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).node_count()
            }
            fn checkpoint(
                &self,
                size: Option<u64>,
            ) -> $crate::ledger::store::StoreResult<Option<(u64, String)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).checkpoint(size)
            }
            fn checkpoints(&self) -> $crate::ledger::store::StoreResult<Vec<(u64, String)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).checkpoints()
            }
            fn checkpoints_above(
                &self,
                above: Option<u64>,
                limit: usize,
            ) -> $crate::ledger::store::StoreResult<Vec<(u64, String)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).checkpoints_above(above, limit)
            }
            fn checkpoint_count(&self) -> $crate::ledger::store::StoreResult<u64> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).checkpoint_count()
            }
            fn nearest_checkpoints(
                &self,
                size: u64,
                n: usize,
            ) -> $crate::ledger::store::StoreResult<Vec<u64>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).nearest_checkpoints(size, n)
            }
            fn cosignatures(&self, size: u64) -> $crate::ledger::store::StoreResult<Vec<String>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).cosignatures(size)
            }
            fn all_cosignatures(&self) -> $crate::ledger::store::StoreResult<Vec<(u64, String)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).all_cosignatures()
            }
            fn amendments_of(&self, target: u64) -> $crate::ledger::store::StoreResult<Vec<u64>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).amendments_of(target)
            }
            fn amendment_index(
                &self,
                from: u64,
                below: u64,
            ) -> $crate::ledger::store::StoreResult<Vec<(u64, u64)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).amendment_index(from, below)
            }
            fn entries_of_kind(
                &self,
                kind: &str,
                below: u64,
            ) -> $crate::ledger::store::StoreResult<Vec<(u64, Vec<u8>)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).entries_of_kind(kind, below)
            }
            fn log(
                &self,
                q: &$crate::ledger::store::LogQuery<'_>,
                f: &mut dyn FnMut(&[u8]) -> bool,
            ) -> $crate::ledger::store::StoreResult<()> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).log(q, f)
            }
            fn scan(
                &self,
                from: u64,
                to: u64,
                columns: bool,
                f: &mut dyn FnMut($crate::ledger::store::RowRef<'_>) -> bool,
            ) -> $crate::ledger::store::StoreResult<()> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).scan(from, to, columns, f)
            }
            fn leaves(
                &self,
                from: u64,
                to: u64,
                f: &mut dyn FnMut(u64, &[u8], u64),
            ) -> $crate::ledger::store::StoreResult<()> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).leaves(from, to, f)
            }
            fn record(&self, space: &str, key: &[u8]) -> $crate::ledger::store::StoreResult<Option<Vec<u8>>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).record(space, key)
            }
            fn record_count(&self, space: &str) -> $crate::ledger::store::StoreResult<u64> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).record_count(space)
            }
            fn last_record(
                &self,
                space: &str,
            ) -> $crate::ledger::store::StoreResult<Option<(Vec<u8>, Vec<u8>)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).last_record(space)
            }
            fn records_after(
                &self,
                space: &str,
                after: Option<&[u8]>,
                limit: usize,
            ) -> $crate::ledger::store::StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
                $crate::ledger::store::sqlite::reads::On(&self.$conn).records_after(space, after, limit)
            }
        }
    };
}

pub(super) use delegate_reads;
