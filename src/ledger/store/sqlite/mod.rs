//! The SQLite driver: schema v4, migrations, the append-only triggers, and every SQL
//! statement the ledger runs. WAL and `synchronous=FULL`: a committed write survives a
//! crash, and readers never wait for a writer.

use super::{Access, Location, Mode, Reads, Store, StoreError, StoreResult, Writes};
use crate::ledger::merkle::Hash;
use reads::{delegate_reads, On};
use rusqlite::{params, Connection, OpenFlags, Statement};
use schema::{
    check_identity, ensure_rare_kinds_index, migrate, triggers, SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4,
};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use turn::{Held, Turn};

/// `PRAGMA application_id` of an echoctl ledger: "ECHO".
pub const APPLICATION_ID: i32 = 0x4543_484f;
/// The schema version this build reads and writes (`PRAGMA user_version`); older files
/// are migrated when opened for writing and read as they are otherwise. Version 2 added
/// cosignatures, 3 the index of `key` entries, 4 records.
pub const SCHEMA_VERSION: i32 = 4;
/// How long a writer waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

mod reads;
mod schema;
mod turn;

/// Maps an engine error to what it means for the ledger.
pub(crate) fn map(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match &e {
        rusqlite::Error::SqliteFailure(code, msg) => {
            let detail = msg.clone().unwrap_or_else(|| code.to_string());
            match code.code {
                C::DatabaseBusy | C::DatabaseLocked => StoreError::Locked(detail),
                C::NotADatabase => StoreError::NotADatabase("the file".into()),
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
    location: Location,
    mode: Mode,
    turn: Arc<Turn>,
    /// The lock timeout: how long `write` waits for the turn and then for the file.
    timeout: Cell<Duration>,
}

impl Sqlite {
    /// Creates a new ledger file; refuses an existing one.
    pub fn create(path: &Path) -> StoreResult<Self> {
        if path.exists() {
            return Err(StoreError::Exists(path.display().to_string()));
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
        ensure_rare_kinds_index(&tx)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID).sql()?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION).sql()?;
        tx.commit().sql()?;
        Ok(Sqlite {
            conn,
            path: path.to_owned(),
            location: Location::File(path.to_owned()),
            mode: Mode::ReadWrite,
            turn: Turn::of(path),
            timeout: Cell::new(BUSY_TIMEOUT),
        })
    }

    /// Opens an existing ledger file.
    pub fn open(path: &Path, mode: Mode) -> StoreResult<Self> {
        if !path.is_file() {
            return Err(StoreError::Missing(path.display().to_string()));
        }
        let conn = match mode {
            Mode::ReadWrite => Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .sql()?,
            Mode::ReadOnly => open_query_only(path)?,
        };
        tune(&conn)?;
        let version = check_identity(&conn, path)?;
        if mode == Mode::ReadWrite {
            conn.pragma_update(None, "synchronous", "FULL").sql()?;
            if version < SCHEMA_VERSION {
                migrate(&conn, version)?;
            }
            ensure_rare_kinds_index(&conn)?;
        }
        Ok(Sqlite {
            conn,
            path: path.to_owned(),
            location: Location::File(path.to_owned()),
            mode,
            turn: Turn::of(path),
            timeout: Cell::new(BUSY_TIMEOUT),
        })
    }

    /// Removes a ledger file this process created, with its `-wal` and `-shm` files.
    pub fn discard(path: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}

delegate_reads!(Sqlite, conn);

/// A connection that never writes the ledger. Where the file may be written, it is opened
/// read-write with `query_only` on, so that the last connection to close removes the
/// `-wal` and `-shm` files as SQLite does for writers (a read-only connection cannot, and
/// left them beside the ledger after every read). A file this process may not write (an
/// auditor's read-only copy) is opened read-only.
fn open_query_only(path: &Path) -> StoreResult<Connection> {
    let writable = std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly());
    let rw = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if writable {
        if let Ok(conn) = Connection::open_with_flags(path, rw) {
            conn.pragma_update(None, "query_only", true).sql()?;
            return Ok(conn);
        }
    }
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .sql()
}

/// A transaction on a connection: a read snapshot, or the write transaction; rolled back
/// unless committed. The write path's statements are prepared once per transaction (a
/// batch append runs them a million times).
struct Tx<'c> {
    conn: &'c Connection,
    open: bool,
    /// This process's turn to write the file, held until the transaction ends (declared
    /// after `open`: it is handed on only after `drop` has rolled back).
    _turn: Option<Held>,
    entry: Option<Statement<'c>>,
    node: Option<Statement<'c>>,
    amendment: Option<Statement<'c>>,
}

impl<'c> Tx<'c> {
    fn begin(conn: &'c Connection, turn: Option<Held>) -> StoreResult<Self> {
        conn.execute_batch(if turn.is_some() {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN"
        })
        .sql()?;
        Ok(Tx {
            conn,
            open: true,
            _turn: turn,
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
    fn location(&self) -> &Location {
        &self.location
    }

    fn read(&self) -> StoreResult<Box<dyn Reads + '_>> {
        Ok(Box::new(Tx::begin(&self.conn, None)?))
    }

    fn write(&mut self) -> StoreResult<Box<dyn Writes + '_>> {
        if self.mode == Mode::ReadOnly {
            return Err(StoreError::ReadOnly("opened read-only".into()));
        }
        let turn = self
            .turn
            .take(self.timeout.get())
            .ok_or_else(|| StoreError::Locked("another writer in this process holds the file".into()))?;
        Ok(Box::new(Tx::begin(&self.conn, Some(turn))?))
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
        self.timeout.set(timeout);
        self.conn.busy_timeout(timeout).sql()
    }
}
