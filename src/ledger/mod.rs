//! The ledger: the only writer of entries. Every state-changing call is one SQLite
//! transaction holding its entries plus one new signed checkpoint, or nothing at all.
//! Readers (log, show, checkpoint) and the verifier live beside it; none of it prints.

pub mod amend;
pub mod bundle;
pub mod canon;
pub mod checkpoint;
pub mod constraint;
pub mod entry;
pub mod keys;
pub mod merkle;
pub mod policy;
pub mod proof;
pub mod reader;
pub mod store;
pub mod verify;
pub mod witness;

use crate::clock::{format_ts, Clock};
use crate::error::{Error, Result};
use crate::sign::{Signers, VerifierKey};
use amend::{Amendment, Named, Status};
use checkpoint::Checkpoint;
use entry::{Entry, FORMAT_VERSION, KIND_AMENDMENT, KIND_GENESIS, MAX_ENTRY_BYTES, USER_KINDS};
use keys::{KeyChange, KeyHistory, KIND_KEY};
use merkle::{Frontier, Hash};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The `format` value recorded in the genesis entry.
pub const GENESIS_FORMAT: &str = "echoctl-ledger/v1";

/// An entry to append, before it has a position.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub kind: String,
    pub source: String,
    pub content: Map<String, Value>,
    pub refs: Vec<String>,
}

/// An entry one of echoctl's own commands writes (court, treasury, watchtower).
#[derive(Clone, Debug)]
pub enum SystemEntry {
    Entry(NewEntry),
    Amendment(Amendment),
}

/// In `Amendment::ruling`, stands for the id of the first entry written in the same
/// transaction (the ruling that orders the amendment).
pub const FIRST_IN_BATCH: &str = "@first-in-batch";

/// What one append wrote.
#[derive(Clone, Debug)]
pub struct Appended {
    pub first_seq: u64,
    pub count: u64,
    pub checkpoint: Checkpoint,
}

/// A stored entry with its leaf hash.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    pub entry: Entry,
    pub leaf: Hash,
}

/// An entry with its amendments and where it stands.
#[derive(Clone, Debug)]
pub struct EntryView {
    pub entry: StoredEntry,
    pub amendments: Vec<(StoredEntry, Amendment)>,
    pub status: Status,
    /// The content after corrections (the original when none).
    pub effective_content: Map<String, Value>,
}

/// Filters for `ledger log`.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub kind: Option<String>,
    /// Entries at or after this seq.
    pub from_seq: Option<u64>,
    /// Entries stamped at or after this time (entry timestamp form).
    pub since_ts: Option<String>,
    pub limit: Option<u64>,
}

/// The genesis facts: who the ledger is and which keys sign it.
#[derive(Clone, Debug)]
pub struct Genesis {
    pub origin: String,
    pub keys: Vec<VerifierKey>,
}

impl Genesis {
    /// Reads the genesis content of entry 0.
    pub fn from_entry(e: &Entry) -> Result<Self, String> {
        if e.kind != KIND_GENESIS || e.seq != 0 {
            return Err("entry 0 must be the genesis entry".into());
        }
        let c = &e.content;
        if c.get("format").and_then(Value::as_str) != Some(GENESIS_FORMAT) {
            return Err(format!("genesis format must be {GENESIS_FORMAT:?}"));
        }
        let origin = c
            .get("origin")
            .and_then(Value::as_str)
            .filter(|o| crate::sign::valid_key_name(o));
        let origin = origin.ok_or("genesis origin is missing or invalid")?.to_owned();
        let keys = c
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("genesis has no keys")?;
        let keys = keys
            .iter()
            .map(|k| {
                k.as_str()
                    .ok_or("genesis key is not a string".to_string())
                    .and_then(|s| VerifierKey::parse(s).map_err(|e| e.message))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() || c.len() != 3 {
            return Err("genesis must hold exactly format, origin and at least one key".into());
        }
        Ok(Genesis { origin, keys })
    }
}

/// A ledger opened for reading and appending.
pub struct Ledger {
    pub(crate) conn: Connection,
    path: PathBuf,
    pub genesis: Genesis,
}

/// What `init` created.
pub struct Initialized {
    pub ledger: Ledger,
    pub genesis_id: String,
    pub checkpoint: Checkpoint,
}

impl Ledger {
    /// Creates a ledger whose genesis entry names `origin` and the signer's key.
    pub fn init(path: &Path, origin: &str, signers: &Signers, clock: &Clock) -> Result<Initialized> {
        if !crate::sign::valid_key_name(origin) {
            return Err(
                Error::input(format!("invalid origin {origin:?}: no spaces or '+' allowed"))
                    .hint("an origin names the log, e.g. 'example.com/ops-ledger'"),
            );
        }
        let vk = signers.primary().verifier();
        if vk.name != origin {
            return Err(Error::input(format!(
                "the key is named {:?} but the ledger origin is {origin:?}",
                vk.name
            ))
            .hint("a ledger's key is named after its origin: generate one with 'echoctl key generate --name ORIGIN'"));
        }
        let mut content = Map::new();
        content.insert("format".into(), Value::String(GENESIS_FORMAT.into()));
        content.insert("origin".into(), Value::String(origin.into()));
        let keys: Vec<VerifierKey> = signers.iter().map(|s| s.verifier()).collect();
        content.insert(
            "keys".into(),
            Value::Array(keys.iter().map(|k| Value::String(k.to_string())).collect()),
        );
        let genesis = Genesis {
            origin: origin.into(),
            keys,
        };
        let created = store::create(path)?;
        let mut ledger = Ledger {
            conn: created,
            path: path.to_owned(),
            genesis,
        };
        let pending = Pending {
            entry: NewEntry {
                kind: KIND_GENESIS.into(),
                source: "echoctl init".into(),
                content,
                refs: vec![],
            },
            amendment: None,
        };
        let result = ledger.write(signers, clock, std::iter::once(Ok(pending)), &mut |_| {});
        match result {
            Ok(appended) => {
                let genesis_id = ledger.entry_by_seq(0)?.map(|e| e.entry.id).unwrap_or_default();
                Ok(Initialized {
                    ledger,
                    genesis_id,
                    checkpoint: appended.checkpoint,
                })
            }
            Err(e) => {
                // Leave nothing behind: a half-made ledger is worse than none.
                drop(ledger);
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                Err(e)
            }
        }
    }

    /// Opens a ledger for appending.
    pub fn open(path: &Path) -> Result<Self> {
        Self::with_conn(store::open_rw(path)?, path)
    }

    /// Opens a ledger read-only.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        Self::with_conn(store::open_ro(path)?, path)
    }

    fn with_conn(conn: Connection, path: &Path) -> Result<Self> {
        let body: Option<Vec<u8>> = conn
            .query_row("SELECT body FROM entries WHERE seq = 0", [], |r| r.get(0))
            .optional()?;
        let body = body.ok_or_else(|| {
            Error::env(format!("{} has no genesis entry", path.display())).hint("run 'echoctl ledger verify'")
        })?;
        let genesis = Entry::parse_canonical(&body)
            .and_then(|e| Genesis::from_entry(&e))
            .map_err(|why| {
                Error::env(format!("{}: the genesis entry is damaged: {why}", path.display()))
                    .hint("run 'echoctl ledger verify'")
            })?;
        Ok(Ledger {
            conn,
            path: path.to_owned(),
            genesis,
        })
    }

    /// How long a write waits for another writer before failing with "locked".
    pub fn set_lock_timeout(&self, timeout: std::time::Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(timeout)?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends entries in one transaction with one new checkpoint. `entries` may yield
    /// errors (a malformed batch line): the first one aborts everything.
    pub fn append(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        entries: impl Iterator<Item = Result<NewEntry>>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Appended> {
        let pending = entries.map(|r| {
            let e = r?;
            if !USER_KINDS.contains(&e.kind.as_str()) {
                return Err(unknown_kind(&e.kind));
            }
            if e.kind == "constraint" {
                constraint::Rule::from_content(&e.content).map_err(|why| {
                    Error::input(format!("invalid constraint rule: {why}"))
                        .hint("see the rule language in docs/FORMAT.md (key, op, value, from, until)")
                })?;
            }
            Ok(Pending {
                entry: e,
                amendment: None,
            })
        });
        self.write(signers, clock, pending, progress)
    }

    /// Appends an amendment entry after checking the amendment rules.
    pub fn amend(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        source: &str,
        a: Amendment,
    ) -> Result<Appended> {
        self.amend_many(signers, clock, source, vec![a])
    }

    /// Appends several amendments in one transaction (one checkpoint); each is checked
    /// against the ledger as the ones before it in the list left it.
    pub fn amend_many(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        source: &str,
        amendments: Vec<Amendment>,
    ) -> Result<Appended> {
        for a in &amendments {
            a.check_shape().map_err(Error::input)?;
        }
        let pending = amendments.into_iter().map(|a| {
            Ok(Pending {
                entry: NewEntry {
                    kind: KIND_AMENDMENT.into(),
                    source: source.into(),
                    content: a.to_content(),
                    refs: a.refs(),
                },
                amendment: Some(a),
            })
        });
        self.write(signers, clock, pending, &mut |_| {})
    }

    /// Appends entries of echoctl's own kinds in one transaction.
    pub(crate) fn append_system(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        source: &str,
        entries: Vec<SystemEntry>,
    ) -> Result<Appended> {
        let pending = entries.into_iter().map(|e| {
            Ok(match e {
                SystemEntry::Entry(entry) => {
                    if !entry::SYSTEM_KINDS.contains(&entry.kind.as_str())
                        || entry.kind == KIND_GENESIS
                        || entry.kind == KIND_AMENDMENT
                    {
                        return Err(unknown_kind(&entry.kind));
                    }
                    Pending {
                        entry,
                        amendment: None,
                    }
                }
                SystemEntry::Amendment(a) => {
                    a.check_shape().map_err(Error::input)?;
                    Pending {
                        entry: NewEntry {
                            kind: KIND_AMENDMENT.into(),
                            source: source.into(),
                            content: Map::new(),
                            refs: vec![],
                        },
                        amendment: Some(a),
                    }
                }
            })
        });
        self.write(signers, clock, pending, &mut |_| {})
    }

    fn write(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        entries: impl Iterator<Item = Result<Pending>>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Appended> {
        let vk = signers.primary().verifier();
        let origin = self.genesis.origin.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let size: u64 = tx.query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM entries", [], |r| r.get(0))?;
        let mut history = if size == 0 {
            KeyHistory::from_genesis(&self.genesis.keys, &[])
        } else {
            key_history(&tx, &self.genesis)?
        };
        for s in signers.iter() {
            check_may_sign(&history, &s.verifier(), size)?;
        }
        let mut frontier = load_frontier(&tx, size)?;
        let mut prev: Hash = if size == 0 {
            [0u8; 32]
        } else {
            tx.query_row("SELECT leaf FROM entries WHERE seq = ?1", [size - 1], |r| {
                r.get::<_, Vec<u8>>(0)
            })?
            .try_into()
            .map_err(|_| damaged("a stored leaf hash is not 32 bytes"))?
        };
        let ts = format_ts(clock.now);
        let signer_id = vk.identity();
        let mut ids = clock.ulids(size)?;
        let mut seq = size;
        {
            let mut insert_entry = tx.prepare_cached(
                "INSERT INTO entries (seq, id, kind, ts, leaf, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut insert_node =
                tx.prepare_cached("INSERT INTO tree_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
            let mut insert_amend =
                tx.prepare_cached("INSERT INTO amendments (target_seq, seq) VALUES (?1, ?2)")?;
            let mut first_id: Option<String> = None;
            for pending in entries {
                let Pending {
                    entry: mut new,
                    mut amendment,
                } = pending?;
                check_source(&new.source)?;
                let mut target_seq = None;
                if let Some(a) = &mut amendment {
                    if a.ruling.as_deref() == Some(FIRST_IN_BATCH) {
                        a.ruling = first_id.clone();
                    }
                    new.content = a.to_content();
                    new.refs = a.refs();
                    target_seq = Some(check_amendment_rules(&tx, a)?);
                } else if new.kind == KIND_KEY {
                    let change = KeyChange::from_content(&new.content).map_err(Error::input)?;
                    check_may_sign(&history, &vk, seq)?;
                    let signer = history.position(&vk.identity()).unwrap_or_default();
                    history.apply(seq, signer, &change, &[]).map_err(|why| {
                        Error::input(why).hint("'echoctl key list' shows the ledger's keys and their history")
                    })?;
                } else {
                    check_refs(&tx, &new.refs)?;
                }
                let e = Entry {
                    v: FORMAT_VERSION,
                    seq,
                    id: ids.next_id(),
                    ts: ts.clone(),
                    kind: new.kind,
                    source: new.source,
                    content: Map::new(),
                    refs: new.refs,
                    prev,
                    signer: signer_id.clone(),
                };
                if first_id.is_none() {
                    first_id = Some(e.id.clone());
                }
                let content = Value::Object(new.content);
                let body = e.canonical_with(&content);
                if body.len() > MAX_ENTRY_BYTES {
                    return Err(Error::input(format!(
                        "the entry would be {} bytes, above the 64 KiB limit",
                        body.len()
                    ))
                    .hint(
                        "keep large documents outside the ledger and record their SHA-256 in the content",
                    ));
                }
                let leaf = merkle::leaf_hash(&body);
                insert_entry.execute(params![seq, e.id, e.kind, e.ts, &leaf[..], body])?;
                let mut node_err = None;
                frontier.push(leaf, |level, idx, h| {
                    if node_err.is_none() {
                        node_err = insert_node.execute(params![level, idx, &h[..]]).err();
                    }
                });
                if let Some(err) = node_err {
                    return Err(err.into());
                }
                if let Some(t) = target_seq {
                    insert_amend.execute(params![t, seq])?;
                }
                prev = leaf;
                seq += 1;
                if (seq - size) % 4096 == 0 {
                    progress(seq - size);
                }
            }
        }
        if seq == size {
            return Err(Error::input("nothing to append: no entries were given"));
        }
        // A key entry may have revoked the primary key: nothing after it may name it.
        check_may_sign(&history, &vk, seq - 1)?;
        let mut cp = Checkpoint::new(&origin, seq, frontier.root());
        for s in signers.iter() {
            cp.sign(s)?;
        }
        tx.execute(
            "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
            params![seq, cp.to_note()],
        )?;
        tx.commit()?;
        progress(seq - size);
        Ok(Appended {
            first_seq: size,
            count: seq - size,
            checkpoint: cp,
        })
    }

    /// The ledger's key history, from its genesis and `key` entries.
    pub fn key_history(&self) -> Result<KeyHistory> {
        key_history(&self.conn, &self.genesis)
    }

    /// The `key` entries: seq, id, signer and the change each makes.
    pub fn key_events(&self) -> Result<Vec<(u64, String, String, KeyChange)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, body FROM entries WHERE kind = 'key' ORDER BY seq")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(seq, body)| {
                let e = Entry::parse_canonical(&body).map_err(|why| damaged(&why))?;
                let c = KeyChange::from_content(&e.content).map_err(|why| damaged(&why))?;
                Ok((seq, e.id, e.signer, c))
            })
            .collect()
    }

    /// The number of entries.
    pub fn size(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq) + 1, 0) FROM entries", [], |r| r.get(0))?)
    }

    /// Stores witness cosignature lines with the checkpoint of `size` (default: the
    /// newest); returns how many were new. Cosignatures annotate checkpoints: they are not
    /// entries and need no checkpoint of their own.
    pub fn add_cosignatures(&mut self, size: Option<u64>, lines: &str) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let size = match size {
            Some(s) => s,
            None => tx.query_row("SELECT MAX(size) FROM checkpoints", [], |r| r.get(0))?,
        };
        let added = witness::add_cosignatures(&tx, size, lines)?;
        tx.commit()?;
        Ok(added)
    }

    /// The newest checkpoint as stored (a C2SP signed note).
    pub fn latest_checkpoint(&self) -> Result<String> {
        let note: Option<String> = self
            .conn
            .query_row(
                "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        note.ok_or_else(|| damaged("the ledger has no checkpoint"))
    }

    /// The entry at `seq`, if any.
    pub fn entry_by_seq(&self, seq: u64) -> Result<Option<StoredEntry>> {
        let body: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT body FROM entries WHERE seq = ?1", [seq], |r| r.get(0))
            .optional()?;
        body.map(|b| stored_entry(&b)).transpose()
    }

    /// The seq of an entry id or, for a decimal string, the seq itself if it exists.
    pub fn resolve(&self, id_or_seq: &str) -> Result<u64> {
        let found: Option<u64> = if id_or_seq.bytes().all(|b| b.is_ascii_digit()) && !id_or_seq.is_empty() {
            self.conn
                .query_row(
                    "SELECT seq FROM entries WHERE seq = ?1",
                    [id_or_seq.parse::<i64>().unwrap_or(-1)],
                    |r| r.get(0),
                )
                .optional()?
        } else {
            self.conn
                .query_row("SELECT seq FROM entries WHERE id = ?1", [id_or_seq], |r| r.get(0))
                .optional()?
        };
        found.ok_or_else(|| {
            Error::input(format!("entry {id_or_seq} not found in {}", self.path.display()))
                .hint("list entries with 'echoctl ledger log'")
        })
    }

    /// An entry with its amendments and effective state.
    pub fn show(&self, id_or_seq: &str) -> Result<EntryView> {
        let seq = self.resolve(id_or_seq)?;
        let entry = self
            .entry_by_seq(seq)?
            .ok_or_else(|| damaged("an indexed entry is missing"))?;
        let mut amendments = Vec::new();
        let mut status = Status::Active;
        let mut effective = entry.entry.content.clone();
        for a_seq in amendment_seqs(&self.conn, seq)? {
            let stored = self
                .entry_by_seq(a_seq)?
                .ok_or_else(|| damaged("an indexed amendment is missing"))?;
            let a = Amendment::from_content(&stored.entry.content).map_err(|e| damaged(&e))?;
            if let (amend::AmendmentType::Correction, Some(c)) = (a.kind, &a.content) {
                effective = c.clone();
            }
            status = a.resulting_status();
            amendments.push((stored, a));
        }
        Ok(EntryView {
            entry,
            amendments,
            status,
            effective_content: effective,
        })
    }

    /// Calls `f` for each entry matching `filter`, in seq order.
    pub fn log(&self, filter: &LogFilter, mut f: impl FnMut(StoredEntry) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT body FROM entries WHERE seq >= ?1 AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR ts >= ?3) \
             ORDER BY seq LIMIT ?4",
        )?;
        let after = filter.from_seq.map_or(0, |s| s.min(i64::MAX as u64) as i64);
        let limit = filter.limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64);
        let mut rows = stmt.query(params![after, filter.kind, filter.since_ts, limit])?;
        while let Some(row) = rows.next()? {
            let body: Vec<u8> = row.get(0)?;
            f(stored_entry(&body)?)?;
        }
        Ok(())
    }
}

struct Pending {
    entry: NewEntry,
    amendment: Option<Amendment>,
}

fn unknown_kind(kind: &str) -> Error {
    let hint = if kind == KIND_AMENDMENT {
        "amendments are written by 'echoctl ledger amend'".to_string()
    } else if kind == entry::KIND_CASE || kind == entry::KIND_RULING {
        "cases and rulings are written by 'echoctl court'".to_string()
    } else if kind == entry::KIND_TASK {
        "tasks are written by 'echoctl treasury'".to_string()
    } else if kind == entry::KIND_TRADE {
        "trades are written by 'echoctl wealth'".to_string()
    } else if kind == entry::KIND_WATCHTOWER {
        "watchtower events are written by 'echoctl watchtower scan'".to_string()
    } else {
        format!("valid kinds: {}", USER_KINDS.join(", "))
    };
    Error::input(format!("unknown kind {kind:?}")).hint(hint)
}

fn check_source(source: &str) -> Result<()> {
    if source.is_empty() || source.len() > entry::MAX_SOURCE_BYTES {
        return Err(Error::input("--source must be 1 to 1024 bytes")
            .hint("name who or what observed this, e.g. --source ops"));
    }
    Ok(())
}

fn damaged(why: &str) -> Error {
    Error::env(format!("the ledger is damaged: {why}"))
        .hint("run 'echoctl ledger verify' to find the first bad entry")
}

fn stored_entry(body: &[u8]) -> Result<StoredEntry> {
    let entry = Entry::parse_canonical(body).map_err(|e| damaged(&e))?;
    Ok(StoredEntry {
        entry,
        leaf: merkle::leaf_hash(body),
    })
}

fn check_refs(conn: &Connection, refs: &[String]) -> Result<()> {
    for (i, r) in refs.iter().enumerate() {
        if refs[..i].contains(r) {
            return Err(Error::input(format!("ref {r} is given twice")));
        }
        lookup(conn, r)?;
    }
    Ok(())
}

/// (seq, kind) of an entry id, or a clear error.
fn lookup(conn: &Connection, id: &str) -> Result<(u64, String)> {
    conn.query_row("SELECT seq, kind FROM entries WHERE id = ?1", [id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .optional()?
    .ok_or_else(|| {
        Error::input(format!("entry {id} not found in the ledger"))
            .hint("list entries with 'echoctl ledger log'")
    })
}

fn amendment_seqs(conn: &Connection, target: u64) -> Result<Vec<u64>> {
    let mut stmt = conn.prepare_cached("SELECT seq FROM amendments WHERE target_seq = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([target], |r| r.get(0))?;
    Ok(rows.collect::<Result<Vec<u64>, _>>()?)
}

/// The status of the entry at `seq` from its stored amendments.
pub(crate) fn status_of(conn: &Connection, seq: u64, before: u64) -> Result<Status> {
    let mut status = Status::Active;
    for a_seq in amendment_seqs(conn, seq)?.into_iter().filter(|s| *s < before) {
        let body: Vec<u8> =
            conn.query_row("SELECT body FROM entries WHERE seq = ?1", [a_seq], |r| r.get(0))?;
        let e = Entry::parse_canonical(&body).map_err(|e| damaged(&e))?;
        status = Amendment::from_content(&e.content)
            .map_err(|e| damaged(&e))?
            .resulting_status();
    }
    Ok(status)
}

/// The key history of a ledger as its stored `key` entries tell it (the writer trusts its
/// own file; `ledger verify` re-derives it from the bytes).
pub(crate) fn key_history(conn: &Connection, genesis: &Genesis) -> Result<KeyHistory> {
    let mut history = KeyHistory::from_genesis(&genesis.keys, &[]);
    let mut stmt = conn.prepare_cached("SELECT seq, body FROM entries WHERE kind = 'key' ORDER BY seq")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (seq, body) in rows {
        Entry::parse_canonical(&body)
            .and_then(|e| {
                let change = KeyChange::from_content(&e.content)?;
                let signer = history
                    .position(&e.signer)
                    .ok_or_else(|| format!("signer {} is unknown", e.signer))?;
                history.apply(seq, signer, &change, &[])
            })
            .map_err(|why| damaged(&format!("key entry {seq} is damaged: {why}")))?;
    }
    Ok(history)
}

/// Refuses to sign entry `seq` with a key the history does not allow there.
fn check_may_sign(history: &KeyHistory, vk: &VerifierKey, seq: u64) -> Result<()> {
    let hint = "'echoctl key list' shows the ledger's keys; sign with an active one (--key)";
    match history.position(&vk.identity()).map(|i| &history.keys[i]) {
        Some(r) if r.key == *vk && r.active_at(seq) => Ok(()),
        Some(r) if r.key == *vk && r.revoked.is_some() => Err(Error::input(format!(
            "key {} was revoked at seq {} and may no longer sign this ledger",
            vk.identity(),
            r.revoked.unwrap_or_default()
        ))
        .hint(hint)),
        _ => Err(Error::input(format!(
            "key {} is not a signing key of this ledger",
            vk.identity()
        ))
        .hint(hint)),
    }
}

fn check_amendment_rules(conn: &Connection, a: &Amendment) -> Result<u64> {
    let (t_seq, t_kind) = lookup(conn, &a.target)?;
    let t_status = status_of(conn, t_seq, u64::MAX)?;
    let target = Named {
        id: &a.target,
        kind: &t_kind,
        status: &t_status,
    };
    let replacement = match &a.superseded_by {
        Some(r) => {
            let (r_seq, r_kind) = lookup(conn, r)?;
            Some((r_kind, status_of(conn, r_seq, u64::MAX)?))
        }
        None => None,
    };
    let named = replacement
        .as_ref()
        .zip(a.superseded_by.as_deref())
        .map(|((kind, status), id)| Named { id, kind, status });
    a.check_against(&target, named.as_ref()).map_err(|why| {
        Error::input(why).hint("'echoctl ledger show ID' shows an entry's amendments and status")
    })?;
    if let Some(ruling) = &a.ruling {
        let members = ruled_case_entries(conn, ruling)?;
        if !members.contains(&a.target) {
            return Err(Error::input(format!(
                "entry {} is not part of the case this ruling decides",
                a.target
            ))
            .hint("a ruling may only amend the entries of its case ('echoctl court show CASE')"));
        }
    }
    Ok(t_seq)
}

/// The entries of the case a ruling decides.
fn ruled_case_entries(conn: &Connection, ruling: &str) -> Result<Vec<String>> {
    let (r_seq, r_kind) = lookup(conn, ruling)?;
    if r_kind != entry::KIND_RULING {
        return Err(Error::input(format!("entry {ruling} is not a ruling")));
    }
    let body: Vec<u8> = conn.query_row("SELECT body FROM entries WHERE seq = ?1", [r_seq], |r| r.get(0))?;
    let r = Entry::parse_canonical(&body).map_err(|e| damaged(&e))?;
    let case = r.refs.first().ok_or_else(|| damaged("a ruling names no case"))?;
    let (c_seq, _) = lookup(conn, case)?;
    let body: Vec<u8> = conn.query_row("SELECT body FROM entries WHERE seq = ?1", [c_seq], |r| r.get(0))?;
    Ok(Entry::parse_canonical(&body).map_err(|e| damaged(&e))?.refs)
}

/// The hash of leaf `seq` as stored.
pub(crate) fn stored_leaf(conn: &Connection, seq: u64) -> Result<Hash> {
    let v: Option<Vec<u8>> = conn
        .query_row("SELECT leaf FROM entries WHERE seq = ?1", [seq], |r| r.get(0))
        .optional()?;
    v.and_then(|v| v.try_into().ok())
        .ok_or_else(|| damaged(&format!("leaf {seq} is missing")))
}

/// The stored node at (level, idx); level 0 is a leaf.
pub(crate) fn stored_node(conn: &Connection, level: u32, idx: u64) -> Result<Hash> {
    if level == 0 {
        return stored_leaf(conn, idx);
    }
    let v: Option<Vec<u8>> = conn
        .prepare_cached("SELECT hash FROM tree_nodes WHERE level = ?1 AND idx = ?2")?
        .query_row(params![level, idx], |r| r.get(0))
        .optional()?;
    v.and_then(|v| v.try_into().ok())
        .ok_or_else(|| damaged(&format!("Merkle node ({level}, {idx}) is missing")))
}

/// The frontier of the first `size` leaves, from stored nodes: O(log n) reads.
pub(crate) fn load_frontier(conn: &Connection, size: u64) -> Result<Frontier> {
    let hashes = merkle::frontier_nodes(size)
        .into_iter()
        .map(|(l, i)| stored_node(conn, l, i))
        .collect::<Result<Vec<_>>>()?;
    Frontier::from_parts(size, hashes).ok_or_else(|| damaged("frontier size mismatch"))
}

/// The hash of leaves [start, end) from stored nodes (RFC 9162 split).
pub(crate) fn range_hash(conn: &Connection, start: u64, end: u64) -> Result<Hash> {
    let n = end - start;
    if n.is_power_of_two() && start % n == 0 {
        return stored_node(conn, n.trailing_zeros(), start / n);
    }
    let k = merkle::largest_power_of_two_below(n);
    Ok(merkle::node_hash(
        &range_hash(conn, start, start + k)?,
        &range_hash(conn, start + k, end)?,
    ))
}

/// The RFC 9162 inclusion path of leaf `index` in the tree of `size`, from stored nodes,
/// in O(log n) point reads: the siblings inside the perfect subtree of the frontier that
/// holds the leaf, then the fold of the frontier subtrees to its right (one node), then the
/// frontier subtrees to its left, nearest first.
pub(crate) fn inclusion_path(conn: &Connection, index: u64, size: u64) -> Result<Vec<Hash>> {
    let frontier = merkle::frontier_nodes(size);
    let Some(j) = frontier.iter().position(|(level, idx)| index >> level == *idx) else {
        return Err(Error::input(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    };
    let level = frontier[j].0;
    let mut path = Vec::with_capacity(64);
    for l in 0..level {
        path.push(stored_node(conn, l, (index >> l) ^ 1)?);
    }
    if j + 1 < frontier.len() {
        let mut right = stored_node(
            conn,
            frontier[frontier.len() - 1].0,
            frontier[frontier.len() - 1].1,
        )?;
        for &(l, i) in frontier[j + 1..frontier.len() - 1].iter().rev() {
            right = merkle::node_hash(&stored_node(conn, l, i)?, &right);
        }
        path.push(right);
    }
    for &(l, i) in frontier[..j].iter().rev() {
        path.push(stored_node(conn, l, i)?);
    }
    Ok(path)
}
