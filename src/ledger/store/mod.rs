//! The storage boundary: everything the ledger keeps, behind traits that know nothing of
//! SQL. Two drivers implement `Store`, `Reads` and `Writes`: `sqlite` (a file, the
//! default) and `postgres` (a database a team shares); a `Location` chooses between them
//! and the rest of the ledger does not know which it has. Everything here except entry
//! bodies, checkpoint notes and cosignature lines is derived data that verify re-checks.
//!
//! Besides the ledger's own tables, a store keeps *records*: small keyed, append-only
//! values a feature may keep beside the ledger in the same file (a validator's votes, for
//! instance). A record is written once; a second value for its key is refused.

mod location;
pub mod postgres;
pub mod sqlite;

pub use location::{is_postgres_url, redact, Location, PgDefaults};

use super::merkle::Hash;
use std::path::PathBuf;
use std::time::Duration;

/// What went wrong underneath the ledger: the file or database, its engine, the disk.
/// Locations are held as printed (`Location`'s display: no password).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no ledger at {0}")]
    Missing(String),
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0} is not an echoctl ledger")]
    NotALedger(String),
    /// The engine does not recognise the file or database at all.
    #[error("{0} is not an echoctl ledger (not a database this engine reads)")]
    NotADatabase(String),
    #[error(
        "{location} has ledger schema version {version}, newer than this echoctl supports ({supported})"
    )]
    Newer {
        location: String,
        version: i32,
        supported: i32,
    },
    #[error("{location} is an unfinished echoctl ledger (schema version {version})")]
    Unfinished { location: String, version: i32 },
    #[error("the database is locked by another process ({0})")]
    Locked(String),
    #[error("the database file is corrupt ({0})")]
    Corrupt(String),
    #[error("the database is read-only ({0})")]
    ReadOnly(String),
    #[error("the disk is full ({0})")]
    DiskFull(String),
    #[error("cannot open the database ({0})")]
    CannotOpen(String),
    /// The database server cannot be reached, refused us, or went away mid-command (the
    /// transaction it held is rolled back by the server).
    #[error("database unavailable ({0})")]
    Unavailable(String),
    /// The server refused the login (user, password, or its access rules).
    #[error("the database server refused the login ({0})")]
    Auth(String),
    /// The location itself cannot be used (a malformed URL, a bad TLS setting).
    #[error("invalid database location: {0}")]
    BadLocation(String),
    /// A statement that would change or delete stored data (the triggers refuse it).
    #[error("{0}")]
    AppendOnly(String),
    /// A record key already holds another value.
    #[error("record {space}/{key} already holds another value")]
    RecordTaken { space: String, key: String },
    #[error("cannot create directory {}: {source}", .path.display())]
    Directory { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Engine(String),
}

impl StoreError {
    /// Whether the stored bytes themselves are damaged (verify reports it as a failure).
    pub fn is_corruption(&self) -> bool {
        matches!(self, StoreError::Corrupt(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One stored entry row as a scan sees it: each column's bytes, or None where the stored
/// value is not text or a blob (someone wrote another type into it).
#[derive(Clone, Copy, Debug)]
pub struct RowRef<'a> {
    pub seq: i64,
    pub id: Option<&'a [u8]>,
    pub kind: Option<&'a [u8]>,
    pub ts: Option<&'a [u8]>,
    pub leaf: Option<&'a [u8]>,
    pub body: Option<&'a [u8]>,
}

/// Which entries `Reads::log` lists.
#[derive(Clone, Debug, Default)]
pub struct LogQuery<'a> {
    pub kind: Option<&'a str>,
    pub from_seq: u64,
    /// Entries stamped at or after this time (entry timestamp form).
    pub since_ts: Option<&'a str>,
    pub limit: Option<u64>,
}

/// Reading a ledger, in one snapshot when the value came from `Store::read`.
pub trait Reads {
    /// The number of entries: one past the largest seq stored.
    fn size(&self) -> StoreResult<u64>;
    /// The stored bytes of entry `seq`.
    fn body(&self, seq: u64) -> StoreResult<Option<Vec<u8>>>;
    /// The stored leaf hash of entry `seq` (None when missing or not 32 bytes).
    fn leaf(&self, seq: u64) -> StoreResult<Option<Hash>>;
    /// (seq, kind) of the entry with this id.
    fn locate(&self, id: &str) -> StoreResult<Option<(u64, String)>>;
    /// A stored interior Merkle node, level >= 1 (None when missing or not 32 bytes).
    fn node(&self, level: u32, idx: u64) -> StoreResult<Option<Hash>>;
    /// Up to `limit` stored nodes of `level` from `idx` on, in index order (a node that
    /// is not 32 bytes reads as zeros).
    fn nodes_from(&self, level: u32, idx: u64, limit: usize) -> StoreResult<Vec<(u64, Hash)>>;
    fn node_count(&self) -> StoreResult<u64>;
    /// The note of the checkpoint of `size`, or of the newest one.
    fn checkpoint(&self, size: Option<u64>) -> StoreResult<Option<(u64, String)>>;
    /// Every checkpoint, by size.
    fn checkpoints(&self) -> StoreResult<Vec<(u64, String)>>;
    /// Up to `limit` checkpoints larger than `above`, by size.
    fn checkpoints_above(&self, above: Option<u64>, limit: usize) -> StoreResult<Vec<(u64, String)>>;
    fn checkpoint_count(&self) -> StoreResult<u64>;
    /// The sizes of the `n` checkpoints nearest to `size`.
    fn nearest_checkpoints(&self, size: u64, n: usize) -> StoreResult<Vec<u64>>;
    /// The stored cosignature lines of the checkpoint of `size`, in byte order.
    fn cosignatures(&self, size: u64) -> StoreResult<Vec<String>>;
    /// Every stored cosignature line, by size and then in byte order; a size no
    /// checkpoint has is listed too (verify reports it).
    fn all_cosignatures(&self) -> StoreResult<Vec<(u64, String)>>;
    /// The seqs of the amendments of entry `target`, in order.
    fn amendments_of(&self, target: u64) -> StoreResult<Vec<u64>>;
    /// The amendment index rows (target seq, amendment seq) with from <= seq < below.
    fn amendment_index(&self, from: u64, below: u64) -> StoreResult<Vec<(u64, u64)>>;
    /// (seq, body) of every entry of `kind` below `below`, in order (for few entries:
    /// `key` entries, cases).
    fn entries_of_kind(&self, kind: &str, below: u64) -> StoreResult<Vec<(u64, Vec<u8>)>>;
    /// Calls `f` with each listed body in seq order until it returns false.
    fn log(&self, q: &LogQuery<'_>, f: &mut dyn FnMut(&[u8]) -> bool) -> StoreResult<()>;
    /// Calls `f` with every row from <= seq < to, in seq order, until it returns false;
    /// without `columns` only seq and body are read.
    fn scan(
        &self,
        from: u64,
        to: u64,
        columns: bool,
        f: &mut dyn FnMut(RowRef<'_>) -> bool,
    ) -> StoreResult<()>;
    /// Calls `f` with (seq, leaf hash, body length in bytes) of every row from <= seq <
    /// to, in seq order: what a write reads back before it commits.
    fn leaves(&self, from: u64, to: u64, f: &mut dyn FnMut(u64, &[u8], u64)) -> StoreResult<()>;
    /// The value of a record.
    fn record(&self, space: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>>;
    /// How many records `space` holds.
    fn record_count(&self, space: &str) -> StoreResult<u64>;
    /// The record of `space` with the largest key (bytewise), if any: the newest of a
    /// space whose keys count up, found through the index, not by counting.
    fn last_record(&self, space: &str) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>>;
    /// Up to `limit` records of `space` with keys after `after` (from the first without
    /// it), in key order (bytewise): a space is read page by page, never whole.
    fn records_after(
        &self,
        space: &str,
        after: Option<&[u8]>,
        limit: usize,
    ) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>>;
}

/// Writing: one transaction, nothing visible to anyone until `commit`.
pub trait Writes: Reads {
    fn insert_entry(
        &mut self,
        seq: u64,
        id: &str,
        kind: &str,
        ts: &str,
        leaf: &Hash,
        body: &[u8],
    ) -> StoreResult<()>;
    fn insert_node(&mut self, level: u32, idx: u64, hash: &Hash) -> StoreResult<()>;
    fn insert_amendment(&mut self, target: u64, seq: u64) -> StoreResult<()>;
    fn insert_checkpoint(&mut self, size: u64, note: &str) -> StoreResult<()>;
    /// Returns whether the line was new.
    fn insert_cosignature(&mut self, size: u64, line: &str) -> StoreResult<bool>;
    /// Stores a record; writing the value it already holds is a no-op (false).
    fn put_record(&mut self, space: &str, key: &[u8], value: &[u8]) -> StoreResult<bool>;
    fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// An open ledger.
pub trait Store: Reads + Send {
    fn location(&self) -> &Location;
    /// A read snapshot: every read through it sees the same state.
    fn read(&self) -> StoreResult<Box<dyn Reads + '_>>;
    /// The write transaction. **Exclusive**: once it returns, no other writer of this
    /// ledger, in this process or any other, on this machine or another, holds one until
    /// this one commits or is dropped (rolled back); a second writer waits for it up to
    /// the lock timeout and then fails with `Locked`. So the size read inside it is the
    /// size its entries extend, and no two writers ever claim one seq.
    fn write(&mut self) -> StoreResult<Box<dyn Writes + '_>>;
    /// Another read-only handle on the same ledger, for a worker thread.
    fn reader(&self, access: Access) -> StoreResult<Box<dyn Reads + Send>>;
    /// How long a write waits for another writer before failing with `Locked`.
    fn set_lock_timeout(&self, timeout: Duration) -> StoreResult<()>;
}

/// How a worker's reader will read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Runs of consecutive entries.
    Sequential,
    /// Entries here and there (amendments): worth mapping the file.
    Scattered,
}

/// How a ledger file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    ReadOnly,
    ReadWrite,
}

/// Creates a new, empty ledger at `at`; refuses a location that already holds one.
pub fn create(at: &Location) -> StoreResult<Box<dyn Store>> {
    Ok(match at {
        Location::File(p) => Box::new(sqlite::Sqlite::create(p)?),
        Location::Postgres { url, defaults } => Box::new(postgres::Postgres::create(at, url, defaults)?),
    })
}

/// Opens an existing ledger.
pub fn open(at: &Location, mode: Mode) -> StoreResult<Box<dyn Store>> {
    Ok(match at {
        Location::File(p) => Box::new(sqlite::Sqlite::open(p, mode)?),
        Location::Postgres { url, defaults } => Box::new(postgres::Postgres::open(at, url, defaults, mode)?),
    })
}

/// Whether a ledger (or, for a file, anything at all) is at `at`.
pub fn exists(at: &Location) -> StoreResult<bool> {
    match at {
        Location::File(p) => Ok(p.exists()),
        Location::Postgres { url, defaults } => postgres::Postgres::exists(at, url, defaults),
    }
}

/// Creates the role `role` (if missing) and lets it append and read the ledger at `at`,
/// and do nothing else. PostgreSQL only: a file has no roles.
pub fn grant_writer(at: &Location, role: &str) -> StoreResult<()> {
    match at {
        Location::File(_) => Err(StoreError::BadLocation(
            "only a PostgreSQL ledger has roles (--pg-writer-role)".into(),
        )),
        Location::Postgres { url, defaults } => {
            postgres::Postgres::open(at, url, defaults, Mode::ReadWrite)?.grant_writer(role)
        }
    }
}

/// Removes what `create` made at `at` and what was written since (a failed `init` or
/// `import`: a half-made ledger is worse than none). Call it only on a ledger this
/// process created and no other process has opened.
pub fn discard(at: &Location) {
    match at {
        Location::File(p) => sqlite::Sqlite::discard(p),
        Location::Postgres { url, defaults } => postgres::Postgres::discard(at, url, defaults),
    }
}
