//! The PostgreSQL driver: a ledger many processes on many machines append to.
//!
//! **Sequencing.** Every write transaction first locks the one coordinator row
//! (`SELECT … FROM echo_ledger FOR UPDATE`, waiting at most the lock timeout): writers
//! anywhere serialise there, so the size a writer reads is the size its entries extend and
//! checkpoint N, signed while the row is held, covers exactly the first N entries. Seqs
//! never come from a sequence (sequence values commit out of order). The row keeps the
//! size and root of the newest checkpoint; verify compares them with the entries.
//!
//! **Transactions.** READ COMMITTED for writers (after the lock, each statement sees what
//! the previous writer committed), REPEATABLE READ READ ONLY for snapshots. Entries, tree
//! nodes and amendment rows of a write are buffered and sent with `COPY … FROM STDIN
//! (FORMAT binary)` before any read of the transaction and at commit: a batch of 100,000
//! entries is a handful of round trips, not 300,000.

mod connect;
mod reads;
pub mod schema;
mod tls;

pub use connect::Target;

use super::{Access, Location, Mode, PgDefaults, Reads, Store, StoreError, StoreResult, Writes};
use crate::ledger::merkle::Hash;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, Row, Statement};
use schema::{APPLICATION, SCHEMA, SCHEMA_VERSION};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::Write as _;
use std::time::Duration;

/// How long a writer waits for the coordinator row when nothing else is set.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

const INSERT_CHECKPOINT: &str = "INSERT INTO checkpoints (size, note) VALUES ($1, $2)";

/// Buffered rows are sent once this many bytes are waiting.
const FLUSH_BYTES: usize = 8 << 20;

fn int(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}

fn bound(v: u64) -> i64 {
    int(v).unwrap_or(i64::MAX)
}

fn hash_of(v: Vec<u8>) -> Option<Hash> {
    v.try_into().ok()
}

/// Maps a client error to what it means for the ledger.
pub(crate) fn map(e: postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        // No answer from the server: it is unreachable, went away, or the link failed.
        return StoreError::Unavailable(crate::text::with_causes(&e));
    };
    let detail = db.message().to_owned();
    let code = db.code();
    if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        StoreError::Locked(detail)
    } else if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
        StoreError::Auth(detail)
    } else if code.code().starts_with("57P") || *code == SqlState::TOO_MANY_CONNECTIONS {
        // admin_shutdown, crash_shutdown, cannot_connect_now.
        StoreError::Unavailable(detail)
    } else if *code == SqlState::RAISE_EXCEPTION && detail.contains("append-only") {
        StoreError::AppendOnly(detail)
    } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION || *code == SqlState::INSUFFICIENT_PRIVILEGE {
        StoreError::ReadOnly(detail)
    } else if *code == SqlState::DISK_FULL {
        StoreError::DiskFull(detail)
    } else if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED {
        StoreError::Corrupt(detail)
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        StoreError::CannotOpen(detail)
    } else {
        StoreError::Engine(format!("{detail} (SQLSTATE {})", code.code()))
    }
}

impl StoreError {
    /// The same error, naming the database where the engine's message does not.
    fn at(self, shown: &str) -> StoreError {
        match self {
            StoreError::Unavailable(d) => StoreError::Unavailable(format!("{shown}: {d}")),
            StoreError::Auth(d) => StoreError::Auth(format!("{shown}: {d}")),
            StoreError::CannotOpen(d) => StoreError::CannotOpen(format!("{shown}: {d}")),
            e => e,
        }
    }
}

trait Pg<T> {
    fn pg(self) -> StoreResult<T>;
}

impl<T> Pg<T> for Result<T, postgres::Error> {
    fn pg(self) -> StoreResult<T> {
        self.map_err(map)
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// One connection, with its prepared statements (the client keeps no cache of its own).
pub(crate) struct Conn {
    client: RefCell<Client>,
    statements: RefCell<HashMap<String, Statement>>,
    /// Inside a write transaction, the size committed before it took the lock (known
    /// once it reads the size before writing anything): rows below it never change, so
    /// their nodes, leaves and bodies are kept between the transactions of one writer.
    pub(super) committed: Cell<Option<u64>>,
    /// The transaction has read nothing of the size and written nothing yet.
    pub(super) fresh: Cell<bool>,
    pub(super) cache: RefCell<reads::Cache>,
}

impl Conn {
    fn new(client: Client) -> Conn {
        Conn {
            client: RefCell::new(client),
            statements: RefCell::new(HashMap::new()),
            committed: Cell::new(None),
            fresh: Cell::new(false),
            cache: RefCell::default(),
        }
    }

    /// The write transaction ended: nothing more is known to be committed.
    fn end_write(&self) {
        self.committed.set(None);
        self.fresh.set(false);
    }

    fn statement(&self, sql: &str) -> StoreResult<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.borrow_mut().prepare(sql).pg()?;
        self.statements.borrow_mut().insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn all(&self, sql: &str, params: Params<'_>) -> StoreResult<Vec<Row>> {
        let s = self.statement(sql)?;
        self.client.borrow_mut().query(&s, params).pg()
    }

    fn opt(&self, sql: &str, params: Params<'_>) -> StoreResult<Option<Row>> {
        let s = self.statement(sql)?;
        self.client.borrow_mut().query_opt(&s, params).pg()
    }

    fn one(&self, sql: &str, params: Params<'_>) -> StoreResult<Row> {
        let s = self.statement(sql)?;
        self.client.borrow_mut().query_one(&s, params).pg()
    }

    fn execute(&self, sql: &str, params: Params<'_>) -> StoreResult<u64> {
        let s = self.statement(sql)?;
        self.client.borrow_mut().execute(&s, params).pg()
    }

    fn batch(&self, sql: &str) -> StoreResult<()> {
        self.client.borrow_mut().batch_execute(sql).pg()
    }

    /// Statements in one round trip, with the rows they return as text.
    fn simple(&self, sql: &str) -> StoreResult<Vec<postgres::SimpleQueryMessage>> {
        self.client.borrow_mut().simple_query(sql).pg()
    }

    /// Sends rows already in COPY binary form (`rows` tuples) into `table (columns)`.
    fn copy_in(&self, table_and_columns: &str, rows: &[u8]) -> StoreResult<()> {
        let mut client = self.client.borrow_mut();
        let sql = format!("COPY {table_and_columns} FROM STDIN (FORMAT binary)");
        let mut w = client.copy_in(&sql).pg()?;
        let io = |e: std::io::Error| StoreError::Unavailable(format!("sending rows: {e}"));
        w.write_all(b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0").map_err(io)?;
        w.write_all(rows).map_err(io)?;
        w.write_all(&(-1i16).to_be_bytes()).map_err(io)?;
        w.finish().pg().map(drop)
    }
}

/// Rows of one table in COPY binary form.
#[derive(Default)]
struct CopyRows {
    bytes: Vec<u8>,
    count: usize,
}

impl CopyRows {
    /// Each row's fields, as encoded.
    fn tuples(&self) -> impl Iterator<Item = Vec<&[u8]>> {
        let b = &self.bytes[..];
        let mut at = 0;
        std::iter::from_fn(move || {
            let n = i16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize;
            at += 2;
            let mut fields = Vec::with_capacity(n);
            for _ in 0..n {
                let len = i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize;
                at += 4;
                fields.push(b.get(at..at + len)?);
                at += len;
            }
            Some(fields)
        })
    }

    fn row(&mut self, fields: &[&[u8]]) {
        self.bytes.extend_from_slice(&(fields.len() as i16).to_be_bytes());
        for f in fields {
            self.bytes.extend_from_slice(&(f.len() as i32).to_be_bytes());
            self.bytes.extend_from_slice(f);
        }
        self.count += 1;
    }
}

/// A parameter already in PostgreSQL's binary form (the form COPY binary uses too).
#[derive(Debug)]
struct Raw<'a>(&'a [u8]);

impl postgres::types::ToSql for Raw<'_> {
    fn to_sql(
        &self,
        _: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(self.0);
        Ok(postgres::types::IsNull::No)
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// Up to this many rows of a table go as prepared INSERTs (a round trip each, prepared
/// before the lock); more go as one COPY (two round trips, however many rows).
const SMALL: usize = 4;

const INSERT_ENTRY: &str =
    "INSERT INTO entries (seq, id, kind, ts, leaf, body) VALUES ($1, $2, $3, $4, $5, $6)";
const INSERT_NODE: &str = "INSERT INTO tree_nodes (level, idx, hash) VALUES ($1, $2, $3)";
const INSERT_AMENDMENT: &str = "INSERT INTO amendments (target_seq, seq) VALUES ($1, $2)";

/// The rows a write transaction has not sent yet.
#[derive(Default)]
struct Pending {
    entries: CopyRows,
    nodes: CopyRows,
    amendments: CopyRows,
}

impl Pending {
    fn bytes(&self) -> usize {
        self.entries.bytes.len() + self.nodes.bytes.len() + self.amendments.bytes.len()
    }
}

/// A PostgreSQL ledger.
pub struct Postgres {
    conn: Conn,
    target: Target,
    location: Location,
    mode: Mode,
    timeout: Cell<Duration>,
}

/// Whether the current schema holds a table named `name`.
fn has_table(conn: &Conn, name: &str) -> StoreResult<bool> {
    reads::g(&conn.one("SELECT to_regclass($1) IS NOT NULL", &[&name])?, 0)
}

impl Postgres {
    /// Creates an empty ledger in the database (which must exist); refuses a database
    /// that already holds one. It reads as unfinished until its first write commits.
    pub fn create(at: &Location, url: &str, env: &PgDefaults) -> StoreResult<Postgres> {
        let target = Target::parse(url, env, at.to_string())?;
        let conn = Conn::new(target.connect()?);
        let exists = |e: StoreError| match e {
            StoreError::Engine(d) if d.contains("42P07") || d.contains("23505") => {
                StoreError::Exists(at.to_string())
            }
            e => e,
        };
        conn.batch("BEGIN").map_err(exists)?;
        if has_table(&conn, "echo_ledger")? {
            return Err(StoreError::Exists(at.to_string()));
        }
        conn.batch(SCHEMA).map_err(exists)?;
        conn.batch(&schema::triggers()).map_err(exists)?;
        let empty: Hash = crate::ledger::merkle::empty_root();
        conn.execute(
            "INSERT INTO echo_ledger (application, schema_version, size, root) VALUES ($1, 0, 0, $2)",
            &[&APPLICATION, &&empty[..]],
        )?;
        conn.batch("COMMIT").map_err(exists)?;
        Ok(Postgres {
            conn,
            target,
            location: at.clone(),
            mode: Mode::ReadWrite,
            timeout: Cell::new(LOCK_TIMEOUT),
        })
    }

    /// Opens an existing ledger; refuses a database that holds none, another
    /// application's tables, or a schema this build does not know.
    pub fn open(at: &Location, url: &str, env: &PgDefaults, mode: Mode) -> StoreResult<Postgres> {
        let target = Target::parse(url, env, at.to_string())?;
        Self::open_target(at.clone(), target, mode)
    }

    fn open_target(location: Location, target: Target, mode: Mode) -> StoreResult<Postgres> {
        let conn = Conn::new(target.connect()?);
        let shown = location.to_string();
        if !has_table(&conn, "echo_ledger")? {
            let tables: i64 = reads::g(
                &conn.one(
                    "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()",
                    &[],
                )?,
                0,
            )?;
            return Err(if tables == 0 {
                StoreError::Missing(shown)
            } else {
                StoreError::NotALedger(shown)
            });
        }
        let row = conn
            .opt("SELECT application, schema_version FROM echo_ledger", &[])?
            .ok_or_else(|| StoreError::NotALedger(shown.clone()))?;
        let (app, version): (String, i32) = (reads::g(&row, 0)?, reads::g(&row, 1)?);
        if app != APPLICATION {
            return Err(StoreError::NotALedger(shown));
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                location: shown,
                version,
                supported: SCHEMA_VERSION,
            });
        }
        if version < 1 {
            return Err(StoreError::Unfinished {
                location: shown,
                version,
            });
        }
        if mode == Mode::ReadOnly {
            conn.batch("SET default_transaction_read_only = on")?;
        }
        Ok(Postgres {
            conn,
            target,
            location,
            mode,
            timeout: Cell::new(LOCK_TIMEOUT),
        })
    }

    pub fn exists(at: &Location, url: &str, env: &PgDefaults) -> StoreResult<bool> {
        let target = Target::parse(url, env, at.to_string())?;
        has_table(&Conn::new(target.connect()?), "echo_ledger")
    }

    /// Drops every table of the ledger (only for one this process just created).
    pub fn discard(at: &Location, url: &str, env: &PgDefaults) {
        let dropped = Target::parse(url, env, at.to_string())
            .and_then(|t| t.connect())
            .and_then(|c| Conn::new(c).batch(&schema::drop_all()));
        if let Err(e) = dropped {
            tracing::warn!(error = %e, "could not remove the unfinished ledger");
        }
    }

    /// Lets `role` (which must exist) append: SELECT and INSERT on the ledger's tables,
    /// UPDATE of the coordinator's size and root; never UPDATE, DELETE or DDL.
    pub fn grant_writer(&self, role: &str) -> StoreResult<()> {
        let quoted = format!("\"{}\"", role.replace('"', "\"\""));
        let literal = format!("'{}'", role.replace('\'', "''"));
        self.conn.batch(&format!(
            "BEGIN; DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal}) \
             THEN CREATE ROLE {quoted} NOLOGIN; END IF; END $$; {} COMMIT;",
            schema::writer_grants(&quoted)
        ))
    }
}

macro_rules! delegate_reads {
    ($t:ty) => {
        impl Reads for $t {
            fn size(&self) -> StoreResult<u64> {
                self.reads()?.size()
            }
            fn body(&self, seq: u64) -> StoreResult<Option<Vec<u8>>> {
                self.reads()?.body(seq)
            }
            fn leaf(&self, seq: u64) -> StoreResult<Option<Hash>> {
                self.reads()?.leaf(seq)
            }
            fn locate(&self, id: &str) -> StoreResult<Option<(u64, String)>> {
                self.reads()?.locate(id)
            }
            fn node(&self, level: u32, idx: u64) -> StoreResult<Option<Hash>> {
                self.reads()?.node(level, idx)
            }
            fn nodes_from(&self, level: u32, idx: u64, limit: usize) -> StoreResult<Vec<(u64, Hash)>> {
                self.reads()?.nodes_from(level, idx, limit)
            }
            fn node_count(&self) -> StoreResult<u64> {
                self.reads()?.node_count()
            }
            fn checkpoint(&self, size: Option<u64>) -> StoreResult<Option<(u64, String)>> {
                self.reads()?.checkpoint(size)
            }
            fn checkpoints(&self) -> StoreResult<Vec<(u64, String)>> {
                self.reads()?.checkpoints()
            }
            fn checkpoints_above(&self, above: Option<u64>, limit: usize) -> StoreResult<Vec<(u64, String)>> {
                self.reads()?.checkpoints_above(above, limit)
            }
            fn checkpoint_count(&self) -> StoreResult<u64> {
                self.reads()?.checkpoint_count()
            }
            fn nearest_checkpoints(&self, size: u64, n: usize) -> StoreResult<Vec<u64>> {
                self.reads()?.nearest_checkpoints(size, n)
            }
            fn cosignatures(&self, size: u64) -> StoreResult<Vec<String>> {
                self.reads()?.cosignatures(size)
            }
            fn all_cosignatures(&self) -> StoreResult<Vec<(u64, String)>> {
                self.reads()?.all_cosignatures()
            }
            fn amendments_of(&self, target: u64) -> StoreResult<Vec<u64>> {
                self.reads()?.amendments_of(target)
            }
            fn amendment_index(&self, from: u64, below: u64) -> StoreResult<Vec<(u64, u64)>> {
                self.reads()?.amendment_index(from, below)
            }
            fn entries_of_kind(&self, kind: &str, below: u64) -> StoreResult<Vec<(u64, Vec<u8>)>> {
                self.reads()?.entries_of_kind(kind, below)
            }
            fn log(&self, q: &super::LogQuery<'_>, f: &mut dyn FnMut(&[u8]) -> bool) -> StoreResult<()> {
                self.reads()?.log(q, f)
            }
            fn scan(
                &self,
                from: u64,
                to: u64,
                columns: bool,
                f: &mut dyn FnMut(super::RowRef<'_>) -> bool,
            ) -> StoreResult<()> {
                self.reads()?.scan(from, to, columns, f)
            }
            fn leaves(&self, from: u64, to: u64, f: &mut dyn FnMut(u64, &[u8], u64)) -> StoreResult<()> {
                self.reads()?.leaves(from, to, f)
            }
            fn record(&self, space: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
                self.reads()?.record(space, key)
            }
            fn record_count(&self, space: &str) -> StoreResult<u64> {
                self.reads()?.record_count(space)
            }
            fn last_record(&self, space: &str) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>> {
                self.reads()?.last_record(space)
            }
            fn records_after(
                &self,
                space: &str,
                after: Option<&[u8]>,
                limit: usize,
            ) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
                self.reads()?.records_after(space, after, limit)
            }
        }
    };
}

impl Postgres {
    fn reads(&self) -> StoreResult<&Conn> {
        Ok(&self.conn)
    }
}

delegate_reads!(Postgres);

/// A read snapshot: one REPEATABLE READ transaction, ended when dropped.
struct Snapshot<'c> {
    conn: &'c Conn,
}

impl Snapshot<'_> {
    fn reads(&self) -> StoreResult<&Conn> {
        Ok(self.conn)
    }
}

impl Drop for Snapshot<'_> {
    fn drop(&mut self) {
        let _ = self.conn.batch("COMMIT");
    }
}

delegate_reads!(Snapshot<'_>);

/// The write transaction, holding the coordinator row; rolled back unless committed.
struct Tx<'c> {
    conn: &'c Conn,
    open: bool,
    pending: RefCell<Pending>,
    /// One past the largest seq inserted, and the newest checkpoint inserted.
    size: Cell<Option<u64>>,
    checkpoint: RefCell<Option<(u64, String)>>,
    unfinished: bool,
}

impl Tx<'_> {
    /// Sends the buffered rows, so that what follows reads them.
    fn flush(&self) -> StoreResult<()> {
        let mut p = self.pending.borrow_mut();
        for (rows, copy, insert) in [
            (
                &p.entries,
                "entries (seq, id, kind, ts, leaf, body)",
                INSERT_ENTRY,
            ),
            (&p.nodes, "tree_nodes (level, idx, hash)", INSERT_NODE),
            (&p.amendments, "amendments (target_seq, seq)", INSERT_AMENDMENT),
        ] {
            match rows.count {
                0 => {}
                1..=SMALL => {
                    for fields in rows.tuples() {
                        let raw: Vec<Raw<'_>> = fields.into_iter().map(Raw).collect();
                        let params: Vec<&(dyn ToSql + Sync)> =
                            raw.iter().map(|r| r as &(dyn ToSql + Sync)).collect();
                        self.conn.execute(insert, &params)?;
                    }
                }
                _ => self.conn.copy_in(copy, &rows.bytes)?,
            }
        }
        *p = Pending::default();
        Ok(())
    }

    fn reads(&self) -> StoreResult<&Conn> {
        self.flush()?;
        Ok(self.conn)
    }

    fn flush_if_full(&self) -> StoreResult<()> {
        if self.pending.borrow().bytes() >= FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        self.conn.end_write();
        if self.open {
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

delegate_reads!(Tx<'_>);

/// The root a checkpoint note states (its third line), if it reads as one.
fn note_root(note: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let line = note.lines().nth(2)?;
    base64::engine::general_purpose::STANDARD.decode(line).ok()
}

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
        self.conn.fresh.set(false);
        let s = bound(seq).to_be_bytes();
        self.pending
            .get_mut()
            .entries
            .row(&[&s, id.as_bytes(), kind.as_bytes(), ts.as_bytes(), leaf, body]);
        self.size
            .set(Some(self.size.get().map_or(seq + 1, |n| n.max(seq + 1))));
        self.flush_if_full()
    }

    fn insert_node(&mut self, level: u32, idx: u64, hash: &Hash) -> StoreResult<()> {
        self.conn.fresh.set(false);
        let l = (level as i32).to_be_bytes();
        let i = bound(idx).to_be_bytes();
        self.pending.get_mut().nodes.row(&[&l, &i, hash]);
        Ok(())
    }

    fn insert_amendment(&mut self, target: u64, seq: u64) -> StoreResult<()> {
        let (t, s) = (bound(target).to_be_bytes(), bound(seq).to_be_bytes());
        self.pending.get_mut().amendments.row(&[&t, &s]);
        Ok(())
    }

    fn insert_checkpoint(&mut self, size: u64, note: &str) -> StoreResult<()> {
        self.flush()?;
        self.conn.execute(INSERT_CHECKPOINT, &[&bound(size), &note])?;
        let newer = self.checkpoint.borrow().as_ref().is_none_or(|(s, _)| size >= *s);
        if newer {
            *self.checkpoint.get_mut() = Some((size, note.to_owned()));
        }
        Ok(())
    }

    fn insert_cosignature(&mut self, size: u64, line: &str) -> StoreResult<bool> {
        self.flush()?;
        Ok(self.conn.execute(
            "INSERT INTO cosignatures (size, line) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&bound(size), &line],
        )? > 0)
    }

    fn put_record(&mut self, space: &str, key: &[u8], value: &[u8]) -> StoreResult<bool> {
        match self.reads()?.record(space, key)? {
            Some(v) if v == value => Ok(false),
            Some(_) => Err(StoreError::RecordTaken {
                space: space.to_owned(),
                key: String::from_utf8_lossy(key).into_owned(),
            }),
            None => self
                .conn
                .execute(
                    "INSERT INTO records (space, key, value) VALUES ($1, $2, $3)",
                    &[&space, &key, &value],
                )
                .map(|_| true),
        }
    }

    fn commit(mut self: Box<Self>) -> StoreResult<()> {
        self.flush()?;
        // The coordinator's update and COMMIT in one round trip (numbers and hex only).
        let mut sql = String::new();
        if let Some(size) = self.size.get() {
            let root = self
                .checkpoint
                .get_mut()
                .as_ref()
                .filter(|(s, _)| *s == size)
                .and_then(|(_, note)| note_root(note));
            let root = root.map_or("root".to_owned(), |r| {
                format!("'\\x{}'::bytea", crate::ledger::entry::hex(&r))
            });
            sql.push_str(&format!(
                "UPDATE echo_ledger SET size = {}, root = {root}; ",
                bound(size)
            ));
        }
        if self.unfinished {
            sql.push_str(&format!(
                "UPDATE echo_ledger SET schema_version = {SCHEMA_VERSION}; "
            ));
        }
        sql.push_str("COMMIT");
        self.conn.batch(&sql)?;
        self.open = false;
        Ok(())
    }
}

impl Store for Postgres {
    fn location(&self) -> &Location {
        &self.location
    }

    fn read(&self) -> StoreResult<Box<dyn Reads + '_>> {
        self.conn
            .batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        Ok(Box::new(Snapshot { conn: &self.conn }))
    }

    fn write(&mut self) -> StoreResult<Box<dyn Writes + '_>> {
        if self.mode == Mode::ReadOnly {
            return Err(StoreError::ReadOnly("opened read-only".into()));
        }
        // Prepared before the lock is taken: inside it, every statement is one round trip.
        for sql in
            reads::WRITE_PATH
                .iter()
                .chain(&[INSERT_CHECKPOINT, INSERT_ENTRY, INSERT_NODE, INSERT_AMENDMENT])
        {
            self.conn.statement(sql)?;
        }
        // lock_timeout 0 would mean "forever": the shortest wait is a millisecond.
        let ms = self.timeout.get().as_millis().clamp(1, i32::MAX as u128);
        // BEGIN, the lock timeout and the lock itself in one round trip.
        let rows = self.conn.simple(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = {ms}; \
                 SELECT schema_version FROM echo_ledger FOR UPDATE"
        ));
        let mut tx = Tx {
            conn: &self.conn,
            open: true,
            pending: RefCell::default(),
            size: Cell::new(None),
            checkpoint: RefCell::new(None),
            unfinished: false,
        };
        // (Constructed first: if the lock is not had, dropping it rolls back.)
        let version = rows?
            .into_iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                _ => None,
            })
            .ok_or_else(|| StoreError::NotALedger(self.location.to_string()))?;
        tx.unfinished = version == "0";
        self.conn.fresh.set(true);
        Ok(Box::new(tx))
    }

    fn reader(&self, _access: Access) -> StoreResult<Box<dyn Reads + Send>> {
        Ok(Box::new(Postgres::open_target(
            self.location.clone(),
            self.target.clone(),
            Mode::ReadOnly,
        )?))
    }

    fn set_lock_timeout(&self, timeout: Duration) -> StoreResult<()> {
        self.timeout.set(timeout);
        Ok(())
    }
}
