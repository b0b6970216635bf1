//! The ledger: the only writer of entries. Every state-changing call is one transaction
//! holding its entries plus one new signed checkpoint, or nothing at all. It knows no
//! feature: features register their kinds (`kinds`), and all storage sits behind the
//! `store` boundary. Readers (log, show, checkpoints, proofs), the verifier and the Reader
//! Edition live beside it; none of it prints, reads the environment or exits.

pub mod amend;
mod append;
pub mod bundle;
pub mod canon;
pub mod checkpoint;
pub mod claims;
pub mod constraint;
pub mod copy;
pub mod entry;
pub mod error;
pub mod files;
pub mod ids;
pub mod json;
pub mod keys;
pub mod kinds;
pub mod merkle;
pub mod new_entry;
pub mod policy;
pub mod proof;
pub mod reader;
pub mod scan;
pub mod store;
pub mod tiles;
mod tip;
pub(crate) mod tree;
pub mod verify;
pub mod witness;
mod writer;

pub use error::{LedgerError, Result};
pub use tip::Written;

use crate::sign::VerifierKey;
use amend::{Amendment, AmendmentType, Status};
use checkpoint::Checkpoint;
use entry::Entry;
use keys::{KeyChange, KeyHistory, KeyRuleError, KIND_KEY};
use kinds::{Kinds, KIND_GENESIS};
use serde_json::{Map, Value};

use std::sync::Arc;
use store::{Location, LogQuery, Mode, Reads, Store};

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

/// An entry a feature's command writes: one of its kinds, or an amendment.
#[derive(Clone, Debug)]
pub enum SystemEntry {
    Entry(NewEntry),
    Amendment(Amendment),
}

/// In `Amendment::ordered_by`, stands for the id of the first entry written in the same
/// transaction (the ruling that orders the amendment, say).
pub const FIRST_IN_BATCH: &str = "@first-in-batch";

/// What one append wrote.
#[derive(Clone, Debug)]
pub struct Appended {
    pub first_seq: u64,
    pub count: u64,
    pub checkpoint: Checkpoint,
    /// Every entry written, in seq order from `first_seq`.
    pub entries: Vec<Written>,
}

/// A stored entry with its leaf hash.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    pub entry: Entry,
    pub leaf: merkle::Hash,
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

/// Why an entry 0 is not a genesis entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    #[error("entry 0 must be the genesis entry")]
    NotGenesis,
    #[error("genesis format must be {GENESIS_FORMAT:?}")]
    Format,
    #[error("genesis origin is missing or invalid")]
    Origin,
    #[error("genesis has no keys")]
    NoKeys,
    #[error("genesis key {0}")]
    Key(String),
    #[error("genesis must hold exactly format, origin and at least one key")]
    Shape,
}

/// The genesis facts: who the ledger is and which keys sign it.
#[derive(Clone, Debug)]
pub struct Genesis {
    pub origin: String,
    pub keys: Vec<VerifierKey>,
}

impl Genesis {
    /// Reads the genesis content of entry 0.
    pub fn from_entry(e: &Entry) -> Result<Self, GenesisError> {
        if e.kind != KIND_GENESIS || e.seq != 0 {
            return Err(GenesisError::NotGenesis);
        }
        let c = &e.content;
        if c.get("format").and_then(Value::as_str) != Some(GENESIS_FORMAT) {
            return Err(GenesisError::Format);
        }
        let origin = c
            .get("origin")
            .and_then(Value::as_str)
            .filter(|o| crate::sign::valid_key_name(o))
            .ok_or(GenesisError::Origin)?
            .to_owned();
        let keys = c
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(GenesisError::NoKeys)?;
        let keys = keys
            .iter()
            .map(|k| {
                k.as_str()
                    .ok_or_else(|| GenesisError::Key("is not a string".into()))
                    .and_then(|s| VerifierKey::parse(s).map_err(|e| GenesisError::Key(e.to_string())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() || c.len() != 3 {
            return Err(GenesisError::Shape);
        }
        Ok(Genesis { origin, keys })
    }

    /// The genesis entry's content.
    fn content(&self) -> Map<String, Value> {
        let mut content = Map::new();
        content.insert("format".into(), Value::String(GENESIS_FORMAT.into()));
        content.insert("origin".into(), Value::String(self.origin.clone()));
        let keys = self.keys.iter().map(|k| Value::String(k.to_string())).collect();
        content.insert("keys".into(), Value::Array(keys));
        content
    }
}

/// A ledger opened for reading and appending.
pub struct Ledger {
    store: Box<dyn Store>,
    kinds: Arc<Kinds>,
    pub genesis: Genesis,
    /// The checkpoint note this handle last committed: found again as the newest, its
    /// signatures are ours and the next write does not verify them again.
    committed: Option<String>,
}

/// What `init` created.
pub struct Initialized {
    pub ledger: Ledger,
    pub genesis_id: String,
    pub checkpoint: Checkpoint,
}

impl Ledger {
    /// Opens a ledger for appending.
    pub fn open(at: &Location, kinds: Arc<Kinds>) -> Result<Self> {
        Self::with_store(store::open(at, Mode::ReadWrite)?, kinds)
    }

    /// Opens a ledger read-only.
    pub fn open_read_only(at: &Location, kinds: Arc<Kinds>) -> Result<Self> {
        Self::with_store(store::open(at, Mode::ReadOnly)?, kinds)
    }

    fn with_store(store: Box<dyn Store>, kinds: Arc<Kinds>) -> Result<Self> {
        let path = store.location().to_string();
        let body = store
            .body(0)?
            .ok_or_else(|| LedgerError::damaged(format!("{path} has no genesis entry")))?;
        let genesis = Entry::parse_canonical(&body)
            .map_err(|why| why.to_string())
            .and_then(|e| Genesis::from_entry(&e).map_err(|why| why.to_string()))
            .map_err(|why| LedgerError::damaged(format!("{path}: the genesis entry is damaged: {why}")))?;
        Ok(Ledger {
            store,
            kinds,
            genesis,
            committed: None,
        })
    }

    /// How long a write waits for another writer before failing with "locked".
    pub fn set_lock_timeout(&self, timeout: std::time::Duration) -> Result<()> {
        Ok(self.store.set_lock_timeout(timeout)?)
    }

    /// Where the ledger lives (its display hides any password).
    pub fn location(&self) -> &Location {
        self.store.location()
    }

    /// The kinds this ledger was opened with.
    pub fn kinds(&self) -> &Arc<Kinds> {
        &self.kinds
    }

    /// The storage underneath, for the readers beside the ledger and for features'
    /// records.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The ledger's key history, from its genesis and `key` entries.
    pub fn key_history(&self) -> Result<KeyHistory> {
        key_history(self.store.as_ref(), &self.genesis)
    }

    /// Indexes the claims of `feature` already in the file, once (see `claims`).
    pub fn index_claims(&mut self, feature: &str) -> Result<()> {
        let Some(f) = self.kinds.features().position(|x| x.name() == feature) else {
            return Ok(());
        };
        let mut tx = self.store.write()?;
        claims::index(tx.as_mut(), &self.kinds, f)?;
        tx.commit()?;
        Ok(())
    }

    /// The seq of the entry that claimed `key` for `feature` (see `claims`), if any.
    pub fn claimed(&self, feature: &str, key: &[u8]) -> Result<Option<u64>> {
        claims::claimed(self.store.as_ref(), &self.kinds, feature, key)
    }

    /// The `key` entries: seq, id, signer and the change each makes.
    pub fn key_events(&self) -> Result<Vec<(u64, String, String, KeyChange)>> {
        self.store
            .entries_of_kind(KIND_KEY, u64::MAX)?
            .into_iter()
            .map(|(seq, body)| {
                let e = Entry::parse_canonical(&body).map_err(|why| LedgerError::damaged(why.to_string()))?;
                let c = KeyChange::from_content(&e.content)
                    .map_err(|why| LedgerError::damaged(why.to_string()))?;
                Ok((seq, e.id, e.signer, c))
            })
            .collect()
    }

    /// Every entry of `kind`, in order: for the few (a feature's statements, cases);
    /// found by index for every kind an operator does not append.
    pub fn entries_of_kind(&self, kind: &str) -> Result<Vec<StoredEntry>> {
        self.store
            .entries_of_kind(kind, u64::MAX)?
            .iter()
            .map(|(_, body)| stored_entry(body))
            .collect()
    }

    /// The number of entries.
    pub fn size(&self) -> Result<u64> {
        Ok(self.store.size()?)
    }

    /// The newest checkpoint as stored (a C2SP signed note).
    pub fn latest_checkpoint(&self) -> Result<String> {
        let found = self.store.checkpoint(None)?;
        found
            .map(|(_, note)| note)
            .ok_or_else(|| LedgerError::damaged("the ledger has no checkpoint"))
    }

    /// The entry at `seq`, if any.
    pub fn entry_by_seq(&self, seq: u64) -> Result<Option<StoredEntry>> {
        self.store.body(seq)?.map(|b| stored_entry(&b)).transpose()
    }

    /// The seq of an entry id or, for a decimal string, the seq itself if it exists.
    pub fn resolve(&self, id_or_seq: &str) -> Result<u64> {
        let found = if !id_or_seq.is_empty() && id_or_seq.bytes().all(|b| b.is_ascii_digit()) {
            match id_or_seq.parse::<u64>() {
                Ok(seq) if self.store.body(seq)?.is_some() => Some(seq),
                _ => None,
            }
        } else {
            self.store.locate(id_or_seq)?.map(|(seq, _)| seq)
        };
        found.ok_or_else(|| LedgerError::NotFound {
            id: id_or_seq.to_owned(),
            path: Some(self.location().to_string()),
        })
    }

    /// An entry with its amendments and effective state.
    pub fn show(&self, id_or_seq: &str) -> Result<EntryView> {
        self.show_at(id_or_seq, None)
    }

    /// An entry as it stood when the ledger had `at` entries (None: now): only the
    /// amendments written before then count. An entry written later is not found.
    pub fn show_at(&self, id_or_seq: &str, at: Option<u64>) -> Result<EntryView> {
        let seq = self.resolve(id_or_seq)?;
        if at.is_some_and(|size| seq >= size) {
            return Err(LedgerError::NotFound {
                id: id_or_seq.to_owned(),
                path: None,
            });
        }
        let entry = self
            .entry_by_seq(seq)?
            .ok_or_else(|| LedgerError::damaged("an indexed entry is missing"))?;
        let mut amendments = Vec::new();
        let mut status = Status::Active;
        let mut effective = entry.entry.content.clone();
        for a_seq in self.store.amendments_of(seq)? {
            if at.is_some_and(|size| a_seq >= size) {
                continue;
            }
            let stored = self
                .entry_by_seq(a_seq)?
                .ok_or_else(|| LedgerError::damaged("an indexed amendment is missing"))?;
            let a = Amendment::from_content(&stored.entry.content)
                .map_err(|e| LedgerError::damaged(e.to_string()))?;
            if let (AmendmentType::Correction, Some(c)) = (a.kind, &a.content) {
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
    pub fn log<E: From<LedgerError>>(
        &self,
        filter: &LogFilter,
        mut f: impl FnMut(StoredEntry) -> Result<(), E>,
    ) -> Result<(), E> {
        let q = LogQuery {
            kind: filter.kind.as_deref(),
            from_seq: filter.from_seq.unwrap_or(0),
            since_ts: filter.since_ts.as_deref(),
            limit: filter.limit,
        };
        let mut failed = None;
        self.store
            .log(
                &q,
                &mut |body| match stored_entry(body).map_err(E::from).and_then(&mut f) {
                    Ok(()) => true,
                    Err(e) => {
                        failed = Some(e);
                        false
                    }
                },
            )
            .map_err(|e| E::from(e.into()))?;
        failed.map_or(Ok(()), Err)
    }
}

pub(crate) fn stored_entry(body: &[u8]) -> Result<StoredEntry> {
    let entry = Entry::parse_canonical(body).map_err(|e| LedgerError::damaged(e.to_string()))?;
    Ok(StoredEntry {
        entry,
        leaf: merkle::leaf_hash(body),
    })
}

/// The status of the entry at `seq` from its stored amendments below `before`.
pub(crate) fn status_of(r: &dyn Reads, seq: u64, before: u64) -> Result<Status> {
    let mut status = Status::Active;
    for a_seq in r.amendments_of(seq)?.into_iter().filter(|s| *s < before) {
        let body = r
            .body(a_seq)?
            .ok_or_else(|| LedgerError::damaged("an indexed amendment is missing"))?;
        let e = Entry::parse_canonical(&body).map_err(|e| LedgerError::damaged(e.to_string()))?;
        status = Amendment::from_content(&e.content)
            .map_err(|e| LedgerError::damaged(e.to_string()))?
            .resulting_status();
    }
    Ok(status)
}

/// The key history of a ledger as its stored `key` entries tell it (the writer trusts its
/// own file; `ledger verify` re-derives it from the bytes).
pub(crate) fn key_history(r: &dyn Reads, genesis: &Genesis) -> Result<KeyHistory> {
    let mut history = KeyHistory::from_genesis(&genesis.keys, &[]);
    for (seq, body) in r.entries_of_kind(KIND_KEY, u64::MAX)? {
        Entry::parse_canonical(&body)
            .map_err(|e| e.to_string())
            .and_then(|e| {
                let change = KeyChange::from_content(&e.content).map_err(|e| e.to_string())?;
                let signer = history
                    .position(&e.signer)
                    .ok_or_else(|| KeyRuleError::UnknownSigner(e.signer.clone()).to_string())?;
                history
                    .apply(seq, signer, &change, &[])
                    .map_err(|e| e.to_string())
            })
            .map_err(|why| LedgerError::damaged(format!("key entry {seq} is damaged: {why}")))?;
    }
    Ok(history)
}
