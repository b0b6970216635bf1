//! The SQLite file: schema v1, opening (read-write or read-only), and the append-only
//! triggers. Only this module and the ledger writer touch entry SQL. Everything here
//! except `entries.body` and `checkpoints.note` is derived data that verify re-checks.

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// `PRAGMA application_id` of an echoctl ledger: "ECHO".
pub const APPLICATION_ID: i32 = 0x4543_484f;
/// The schema version this build reads and writes (`PRAGMA user_version`). Version 2
/// added the cosignatures table; a version 1 ledger is migrated when opened for writing
/// and read as it is otherwise.
pub const SCHEMA_VERSION: i32 = 3;
/// How long a writer waits for another writer before giving up (exit 3).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = r#"
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

/// Schema v2: witness cosignatures of checkpoints, one signature line a row.
const SCHEMA_V2: &str = r#"
CREATE TABLE cosignatures (
    size INTEGER NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (size, line)
) WITHOUT ROWID;
"#;

/// Schema v3: the `key` entries (key history), found without scanning every entry.
const SCHEMA_V3: &str = r#"
CREATE INDEX entries_keys ON entries (seq) WHERE kind = 'key';
"#;

fn triggers(tables: &[&str]) -> String {
    let mut s = String::new();
    for table in tables {
        for op in ["UPDATE", "DELETE"] {
            s.push_str(&format!(
                "CREATE TRIGGER {table}_no_{op} BEFORE {op} ON {table} BEGIN \
                 SELECT RAISE(ABORT, 'echoctl ledger is append-only: {op} on {table} refused'); END;\n",
                op = op.to_lowercase()
            ));
        }
    }
    s
}

fn tune(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // 64 MiB of page cache and memory-mapped reads: big batches and full verifies touch
    // every page once; mapping avoids copying each page through read(2).
    conn.pragma_update(None, "cache_size", -65536)?;
    Ok(())
}

/// Creates a new ledger file; refuses an existing one.
pub fn create(path: &Path) -> Result<Connection> {
    if path.exists() {
        return Err(Error::input(format!("{} already exists", path.display()))
            .hint("a ledger is never overwritten: choose another path with --db"));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::env(format!("cannot create directory {}: {e}", dir.display())))?;
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    tune(&conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute_batch(SCHEMA_V2)?;
    tx.execute_batch(SCHEMA_V3)?;
    tx.execute_batch(&triggers(&[
        "entries",
        "tree_nodes",
        "checkpoints",
        "amendments",
        "cosignatures",
    ]))?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(conn)
}

/// Opens an existing ledger for appending.
pub fn open_rw(path: &Path) -> Result<Connection> {
    must_exist(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    tune(&conn)?;
    let version = check_identity(&conn, path)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    if version < SCHEMA_VERSION {
        migrate(&conn, version)?;
    }
    Ok(conn)
}

/// Opens an existing ledger read-only (verify, log, show, proofs).
pub fn open_ro(path: &Path) -> Result<Connection> {
    must_exist(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    tune(&conn)?;
    check_identity(&conn, path)?;
    Ok(conn)
}

fn must_exist(path: &Path) -> Result<()> {
    if !path.is_file() {
        return Err(Error::env(format!("no ledger at {}", path.display()))
            .hint("create one with 'echoctl init', or point --db / ECHOCTL_DB at an existing ledger"));
    }
    Ok(())
}

/// Brings an older schema up to date, in one transaction.
fn migrate(conn: &Connection, from: i32) -> Result<()> {
    let tx = conn.unchecked_transaction()?;
    if from < 2 {
        tx.execute_batch(SCHEMA_V2)?;
        tx.execute_batch(&triggers(&["cosignatures"]))?;
    }
    if from < 3 {
        tx.execute_batch(SCHEMA_V3)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

fn check_identity(conn: &Connection, path: &Path) -> Result<i32> {
    let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if app != APPLICATION_ID {
        return Err(
            Error::input(format!("{} is not an echoctl ledger", path.display()))
                .hint("pass the ledger with --db or ECHOCTL_DB; create one with 'echoctl init'"),
        );
    }
    let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(Error::input(format!(
            "{} has ledger schema version {version}, newer than this echoctl supports ({SCHEMA_VERSION})",
            path.display()
        ))
        .hint("upgrade echoctl to read this ledger"));
    }
    if version < 1 {
        return Err(Error::input(format!(
            "{} is an unfinished echoctl ledger (schema version {version})",
            path.display()
        )));
    }
    Ok(version)
}
