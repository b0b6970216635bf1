//! The SQLite driver: schema v4, migrations, the append-only triggers, and every SQL
//! statement the ledger runs. WAL and `synchronous=FULL`: a committed write survives a
//! crash, and readers never wait for a writer.

use super::{Access, LogQuery, Mode, Reads, RowRef, Store, StoreError, StoreResult, Writes};
use crate::ledger::merkle::Hash;
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Statement};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id` of an echoctl ledger: "ECHO".
pub const APPLICATION_ID: i32 = 0x4543_484f;
/// The schema version this build reads and writes (`PRAGMA user_version`); older files
/// are migrated when opened for writing and read as they are otherwise. Version 2 added
/// cosignatures, 3 the index of `key` entries, 4 records.
pub const SCHEMA_VERSION: i32 = 4;
/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA_V1: &str = r#"
CREATE TABLE entries (
    seq   INTEGER PRIMARY KEY,       -- 0-based position
    id    TEXT NOT NULL UNIQUE,      -- ULID, copied from body for lookups
    kind  TEXT NOT NULL,             -- copied from body for filters
    ts    TEXT NOT NULL,             -- copied from body for filters
    leaf  BLOB NOT NULL,             -- RFC 9162 leaf hash of body (a cache; verify recomputes)
    body  BLOB NOT NULL              -- RFC 8785 canonical entry bytes: the record itself
);
-- Interior Merkle nodes (level >= 1), immutable once complete; leaves are entries.leaf.
CREATE TABLE tree_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
-- Signed checkpoints (C2SP signed notes), one per state-changing command.
CREATE TABLE checkpoints (
    size  INTEGER PRIMARY KEY,
    note  TEXT NOT NULL
);
-- Index of amendments by target, for show and for the writer's rule checks.
CREATE TABLE amendments (
    target_seq INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (target_seq, seq)
) WITHOUT ROWID;
"#;

/// v2: witness cosignatures of checkpoints, one signature line a row.
const SCHEMA_V2: &str = r#"
CREATE TABLE IF NOT EXISTS cosignatures (
    size INTEGER NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (size, line)
) WITHOUT ROWID;
"#;

/// v3: the `key` entries (key history), found without scanning every entry.
const SCHEMA_V3: &str = "CREATE INDEX IF NOT EXISTS entries_keys ON entries (seq) WHERE kind = 'key';";

/// v4: records a feature keeps beside the ledger (append-only, one value a key).
const SCHEMA_V4: &str = r#"
CREATE TABLE IF NOT EXISTS records (
    space TEXT NOT NULL,
    key   BLOB NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (space, key)
) WITHOUT ROWID;
"#;

fn triggers(tables: &[&str]) -> String {
    let mut s = String::new();
    for table in tables {
        for op in ["UPDATE", "DELETE"] {
            s.push_str(&format!(
                "CREATE TRIGGER IF NOT EXISTS {table}_no_{low} BEFORE {op} ON {table} BEGIN \
                 SELECT RAISE(ABORT, 'echoctl ledger is append-only: {op} on {table} refused'); END;\n",
                low = op.to_lowercase()
            ));
        }
    }
    s
}

/// Maps an engine error to what it means for the ledger.
pub(crate) fn map(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match &e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            let detail = msg.clone().unwrap_or_else(|| code.to_string());
            match code.code {
                C::DatabaseBusy | C::DatabaseLocked => StoreError::Locked(detail),
                C::NotADatabase => StoreError::NotSqlite,
                C::DatabaseCorrupt => StoreError::Corrupt(detail),
                C::ConstraintViolation if detail.contains("append-only") => StoreError::AppendOnly(detail),
                C::ReadOnly => StoreError::ReadOnly(detail),
                C::DiskFull => StoreError::DiskFull(detail),
                C::CannotOpen => StoreError::CannotOpen(detail),
                _ => StoreError::Engine(detail),
            }
        }
        // A stored value of the wrong type: the file was written behind echoctl's back.
        rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) => {
            StoreError::Corrupt(format!("a stored value has the wrong type ({e})"))
        }
        rusqlite::Error::IntegralValueOutOfRange(..) => {
            StoreError::Corrupt(format!("a stored number is out of range ({e})"))
        }
        _ => StoreError::Engine(e.to_string()),
    }
}

trait Sql<T> {
    fn sql(self) -> StoreResult<T>;
}

impl<T> Sql<T> for rusqlite::Result<T> {
    fn sql(self) -> StoreResult<T> {
        self.map_err(map)
    }
}

/// A seq or size as SQLite stores it; None for values no ledger can hold.
fn int(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

/// A u64 bound clamped into SQLite's range (for `<` and `>=` comparisons).
fn bound(v: u64) -> i64 {
    int(v).unwrap_or(i64::MAX)
}

fn hash_of(v: Vec<u8>) -> Option<Hash> {
    v.try_into().ok()
}

fn tune(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(BUSY_TIMEOUT).sql()?;
    // 64 MiB of page cache: big batches and full verifies touch every page once.
    conn.pragma_update(None, "cache_size", -65536).sql()
}

/// A ledger file in SQLite.
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
    mode: Mode,
}

impl Sqlite {
    /// Creates a new ledger file; refuses an existing one.
    pub fn create(path: &Path) -> StoreResult<Self> {
        if path.exists() {
            return Err(StoreError::Exists(path.to_owned()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
                path: dir.to_owned(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).sql()?;
        tune(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL").sql()?;
        conn.pragma_update(None, "synchronous", "FULL").sql()?;
        let tx = conn.unchecked_transaction().sql()?;
        for schema in [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4] {
            tx.execute_batch(schema).sql()?;
        }
        let all = [
            "entries",
            "tree_nodes",
            "checkpoints",
            "amendments",
            "cosignatures",
            "records",
        ];
        tx.execute_batch(&triggers(&all)).sql()?;
        tx.pragma_update(None, "application_id", APPLICATION_ID).sql()?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION).sql()?;
        tx.commit().sql()?;
        Ok(Sqlite {
            conn,
            path: path.to_owned(),
            mode: Mode::ReadWrite,
        })
    }

    /// Opens an existing ledger file.
    pub fn open(path: &Path, mode: Mode) -> StoreResult<Self> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.to_owned()));
        }
        let flags = match mode {
            Mode::ReadOnly => OpenFlags::SQLITE_OPEN_READ_ONLY,
            Mode::ReadWrite => OpenFlags::SQLITE_OPEN_READ_WRITE,
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).sql()?;
        tune(&conn)?;
        let version = check_identity(&conn, path)?;
        if mode == Mode::ReadWrite {
            conn.pragma_update(None, "synchronous", "FULL").sql()?;
            if version < SCHEMA_VERSION {
                migrate(&conn, version)?;
            }
        }
        Ok(Sqlite {
            conn,
            path: path.to_owned(),
            mode,
        })
    }
}

fn has_table(conn: &Connection, name: &str) -> StoreResult<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()
        .sql()?
        .is_some())
}

/// Brings an older schema up to date, in one transaction.
fn migrate(conn: &Connection, from: i32) -> StoreResult<()> {
    let tx = conn.unchecked_transaction().sql()?;
    if from < 2 {
        tx.execute_batch(SCHEMA_V2).sql()?;
        tx.execute_batch(&triggers(&["cosignatures"])).sql()?;
    }
    if from < 3 {
        tx.execute_batch(SCHEMA_V3).sql()?;
    }
    if from < 4 {
        tx.execute_batch(SCHEMA_V4).sql()?;
        tx.execute_batch(&triggers(&["records"])).sql()?;
        // Version 3 validators kept their votes in a table of their own: they move into
        // records (space "bft/votes", key subject ‖ 0x00 ‖ round (u64 BE) ‖ step), so that
        // a restarted validator still never signs a second vote for a slot.
        if has_table(&tx, "bft_votes")? {
            let mut stmt = tx
                .prepare("SELECT subject, round, step, frame FROM bft_votes")
                .sql()?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, u8>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .sql()?
                .collect::<Result<Vec<_>, _>>()
                .sql()?;
            let mut put = tx
                .prepare("INSERT OR IGNORE INTO records (space, key, value) VALUES ('bft/votes', ?1, ?2)")
                .sql()?;
            for (subject, round, step, frame) in rows {
                let mut key = subject.into_bytes();
                key.push(0);
                key.extend_from_slice(&(round as u64).to_be_bytes());
                key.push(step);
                put.execute(params![key, frame.into_bytes()]).sql()?;
            }
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).sql()?;
    tx.commit().sql()
}

fn check_identity(conn: &Connection, path: &Path) -> StoreResult<i32> {
    let app: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .sql()?;
    if app != APPLICATION_ID {
        return Err(StoreError::NotALedger(path.to_owned()));
    }
    let version: i32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .sql()?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Newer {
            path: path.to_owned(),
            version,
            supported: SCHEMA_VERSION,
        });
    }
    if version < 1 {
        return Err(StoreError::Unfinished {
            path: path.to_owned(),
            version,
        });
    }
    Ok(version)
}

/// The reads, over any connection or transaction (a `Transaction` derefs to one).
struct On<'c>(&'c Connection);

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
        let mut stmt = self
            .0
            .prepare_cached("SELECT seq, body FROM entries WHERE kind = ?1 AND seq < ?2 ORDER BY seq")
            .sql()?;
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

    fn record(&self, space: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        if !has_table(self.0, "records")? {
            return Ok(None);
        }
        self.0
            .prepare_cached("SELECT value FROM records WHERE space = ?1 AND key = ?2")
            .and_then(|mut s| s.query_row(params![space, key], |r| r.get(0)).optional())
            .sql()
    }

    fn records(&self, space: &str) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        if !has_table(self.0, "records")? {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .0
            .prepare("SELECT key, value FROM records WHERE space = ?1 ORDER BY key")
            .sql()?;
        let rows = stmt.query_map([space], |r| Ok((r.get(0)?, r.get(1)?))).sql()?;
        rows.collect::<Result<_, _>>().sql()
    }
}

macro_rules! delegate_reads {
    ($t:ty, $conn:ident) => {
        impl Reads for $t {
            fn size(&self) -> StoreResult<u64> {
                On(&self.$conn).size()
            }
            fn body(&self, seq: u64) -> StoreResult<Option<Vec<u8>>> {
                On(&self.$conn).body(seq)
            }
            fn leaf(&self, seq: u64) -> StoreResult<Option<Hash>> {
                On(&self.$conn).leaf(seq)
            }
            fn locate(&self, id: &str) -> StoreResult<Option<(u64, String)>> {
                On(&self.$conn).locate(id)
            }
            fn node(&self, level: u32, idx: u64) -> StoreResult<Option<Hash>> {
                On(&self.$conn).node(level, idx)
            }
            fn nodes_from(&self, level: u32, idx: u64, limit: usize) -> StoreResult<Vec<(u64, Hash)>> {
                On(&self.$conn).nodes_from(level, idx, limit)
            }
            fn node_count(&self) -> StoreResult<u64> {
                On(&self.$conn).node_count()
            }
            fn checkpoint(&self, size: Option<u64>) -> StoreResult<Option<(u64, String)>> {
                On(&self.$conn).checkpoint(size)
            }
            fn checkpoints(&self) -> StoreResult<Vec<(u64, String)>> {
                On(&self.$conn).checkpoints()
            }
            fn checkpoints_above(&self, above: Option<u64>, limit: usize) -> StoreResult<Vec<(u64, String)>> {
                On(&self.$conn).checkpoints_above(above, limit)
            }
            fn checkpoint_count(&self) -> StoreResult<u64> {
                On(&self.$conn).checkpoint_count()
            }
            fn nearest_checkpoints(&self, size: u64, n: usize) -> StoreResult<Vec<u64>> {
                On(&self.$conn).nearest_checkpoints(size, n)
            }
            fn cosignatures(&self, size: u64) -> StoreResult<Vec<String>> {
                On(&self.$conn).cosignatures(size)
            }
            fn amendments_of(&self, target: u64) -> StoreResult<Vec<u64>> {
                On(&self.$conn).amendments_of(target)
            }
            fn amendment_index(&self, from: u64, below: u64) -> StoreResult<Vec<(u64, u64)>> {
                On(&self.$conn).amendment_index(from, below)
            }
            fn entries_of_kind(&self, kind: &str, below: u64) -> StoreResult<Vec<(u64, Vec<u8>)>> {
                On(&self.$conn).entries_of_kind(kind, below)
            }
            fn log(&self, q: &LogQuery<'_>, f: &mut dyn FnMut(&[u8]) -> bool) -> StoreResult<()> {
                On(&self.$conn).log(q, f)
            }
            fn scan(
                &self,
                from: u64,
                to: u64,
                columns: bool,
                f: &mut dyn FnMut(RowRef<'_>) -> bool,
            ) -> StoreResult<()> {
                On(&self.$conn).scan(from, to, columns, f)
            }
            fn record(&self, space: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
                On(&self.$conn).record(space, key)
            }
            fn records(&self, space: &str) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
                On(&self.$conn).records(space)
            }
        }
    };
}

delegate_reads!(Sqlite, conn);

/// A transaction on a connection: a read snapshot, or the write transaction; rolled back
/// unless committed. The write path's statements are prepared once per transaction (a
/// batch append runs them a million times).
struct Tx<'c> {
    conn: &'c Connection,
    open: bool,
    entry: Option<Statement<'c>>,
    node: Option<Statement<'c>>,
    amendment: Option<Statement<'c>>,
}

impl<'c> Tx<'c> {
    fn begin(conn: &'c Connection, immediate: bool) -> StoreResult<Self> {
        conn.execute_batch(if immediate { "BEGIN IMMEDIATE" } else { "BEGIN" })
            .sql()?;
        Ok(Tx {
            conn,
            open: true,
            entry: None,
            node: None,
            amendment: None,
        })
    }
}

/// The statement in `slot`, prepared on first use.
fn prepared<'s, 'c>(
    slot: &'s mut Option<Statement<'c>>,
    conn: &'c Connection,
    sql: &str,
) -> StoreResult<&'s mut Statement<'c>> {
    match slot {
        Some(s) => Ok(s),
        None => Ok(slot.insert(conn.prepare(sql).sql()?)),
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        (self.entry, self.node, self.amendment) = (None, None, None);
        if self.open {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

delegate_reads!(Tx<'_>, conn);

impl Writes for Tx<'_> {
    fn insert_entry(
        &mut self,
        seq: u64,
        id: &str,
        kind: &str,
        ts: &str,
        leaf: &Hash,
        body: &[u8],
    ) -> StoreResult<()> {
        prepared(
            &mut self.entry,
            self.conn,
            "INSERT INTO entries (seq, id, kind, ts, leaf, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![bound(seq), id, kind, ts, &leaf[..], body])
        .sql()
        .map(drop)
    }

    fn insert_node(&mut self, level: u32, idx: u64, hash: &Hash) -> StoreResult<()> {
        prepared(
            &mut self.node,
            self.conn,
            "INSERT INTO tree_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![level, bound(idx), &hash[..]])
        .sql()
        .map(drop)
    }

    fn insert_amendment(&mut self, target: u64, seq: u64) -> StoreResult<()> {
        prepared(
            &mut self.amendment,
            self.conn,
            "INSERT INTO amendments (target_seq, seq) VALUES (?1, ?2)",
        )?
        .execute(params![bound(target), bound(seq)])
        .sql()
        .map(drop)
    }

    fn insert_checkpoint(&mut self, size: u64, note: &str) -> StoreResult<()> {
        self.conn
            .execute(
                "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
                params![bound(size), note],
            )
            .sql()
            .map(drop)
    }

    fn insert_cosignature(&mut self, size: u64, line: &str) -> StoreResult<bool> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO cosignatures (size, line) VALUES (?1, ?2)",
                params![bound(size), line],
            )
            .sql()
            .map(|n| n > 0)
    }

    fn put_record(&mut self, space: &str, key: &[u8], value: &[u8]) -> StoreResult<bool> {
        match On(self.conn).record(space, key)? {
            Some(v) if v == value => Ok(false),
            Some(_) => Err(StoreError::RecordTaken {
                space: space.to_owned(),
                key: String::from_utf8_lossy(key).into_owned(),
            }),
            None => self
                .conn
                .prepare_cached("INSERT INTO records (space, key, value) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![space, key, value]))
                .sql()
                .map(|_| true),
        }
    }

    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        (self.entry, self.node, self.amendment) = (None, None, None);
        self.conn.execute_batch("COMMIT").sql()?;
        self.open = false;
        Ok(())
    }
}

impl Store for Sqlite {
    fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> StoreResult<Box<dyn Reads + '_>> {
        Ok(Box::new(Tx::begin(&self.conn, false)?))
    }

    fn write(&mut self) -> StoreResult<Box<dyn Writes + '_>> {
        if self.mode == Mode::ReadOnly {
            return Err(StoreError::ReadOnly("opened read-only".into()));
        }
        Ok(Box::new(Tx::begin(&self.conn, true)?))
    }

    fn reader(&self, access: Access) -> StoreResult<Box<dyn Reads + Send>> {
        let r = Sqlite::open(&self.path, Mode::ReadOnly)?;
        // A worker reads each page once: the operating system's page cache is enough.
        r.conn.pragma_update(None, "cache_size", -4096).sql()?;
        if access == Access::Scattered {
            // A fresh connection has a cold page cache: map the file instead of reading
            // each B-tree page through read(2).
            r.conn.pragma_update(None, "mmap_size", 1i64 << 32).sql()?;
        }
        Ok(Box::new(r))
    }

    fn set_lock_timeout(&self, timeout: Duration) -> StoreResult<()> {
        self.conn.busy_timeout(timeout).sql()
    }
}
