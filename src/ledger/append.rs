//! The write path: every state-changing call is one transaction of entries plus one new
//! signed checkpoint. The ledger's own rules (sources, refs, amendments, the key history,
//! size limits) and each feature's append-time checks run inside that transaction, so a
//! refused entry leaves nothing behind.

use super::amend::{Amendment, Named};
use super::checkpoint::Checkpoint;
use super::entry::{Entry, FORMAT_VERSION, MAX_ENTRY_BYTES, MAX_SOURCE_BYTES};
use super::error::{LedgerError, Result};
use super::keys::{KeyChange, KeyHistory, KIND_KEY};
use super::kinds::{Draft, Kinds, Lookup, KIND_AMENDMENT, KIND_GENESIS};
use super::store::Location;
use super::store::{self, Reads};
use super::tip::{Echo, Written};
use super::writer::{Columns, EntryWriter};
use super::{
    key_history, status_of, stored_entry, Appended, Genesis, Initialized, Ledger, NewEntry, StoredEntry,
    SystemEntry, FIRST_IN_BATCH,
};
use crate::clock::{format_ts, Clock};
use crate::sign::{Signers, VerifierKey};
use serde_json::{Map, Value};
use std::sync::Arc;

/// An entry on its way in, with the amendment it records (if it is one).
struct Pending {
    entry: NewEntry,
    amendment: Option<Amendment>,
}

impl Ledger {
    /// Creates a ledger whose genesis entry names `origin` and the signers' keys.
    pub fn init(
        at: &Location,
        kinds: Arc<Kinds>,
        origin: &str,
        signers: &Signers,
        clock: &Clock,
    ) -> Result<Initialized> {
        Self::init_with(at, kinds, origin, signers, clock, Vec::new())
    }

    /// `init`, with entries of a feature's kinds (e.g. emergency roles) written after the
    /// genesis entry in the same transaction, under the same first checkpoint.
    pub fn init_with(
        at: &Location,
        kinds: Arc<Kinds>,
        origin: &str,
        signers: &Signers,
        clock: &Clock,
        extra: Vec<NewEntry>,
    ) -> Result<Initialized> {
        if let Some(e) = extra.iter().find(|e| kinds.owner(&e.kind).is_none()) {
            return Err(unknown_kind(&kinds, &e.kind));
        }
        if !crate::sign::valid_key_name(origin) {
            return Err(LedgerError::Origin(origin.to_owned()));
        }
        let vk = signers.primary().verifier();
        if vk.name != origin {
            return Err(LedgerError::KeyName {
                key: vk.name,
                origin: origin.to_owned(),
            });
        }
        let genesis = Genesis {
            origin: origin.into(),
            keys: signers.iter().map(|s| s.verifier()).collect(),
        };
        let pending = Pending {
            entry: NewEntry {
                kind: KIND_GENESIS.into(),
                source: "echoctl init".into(),
                content: genesis.content(),
                refs: vec![],
            },
            amendment: None,
        };
        let mut ledger = Ledger {
            store: store::create(at)?,
            kinds,
            genesis,
            committed: None,
        };
        let extra = extra.into_iter().map(|entry| {
            Ok(Pending {
                entry,
                amendment: None,
            })
        });
        match ledger.write::<LedgerError>(
            signers,
            clock,
            std::iter::once(Ok(pending)).chain(extra),
            &mut |_| {},
        ) {
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
                store::discard(at);
                Err(e)
            }
        }
    }

    /// Appends operator entries (the user kinds) in one transaction with one new
    /// checkpoint. `entries` may yield errors (a malformed batch line): the first one
    /// aborts everything.
    pub fn append<E: From<LedgerError>>(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        entries: impl Iterator<Item = Result<NewEntry, E>>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Appended, E> {
        let kinds = Arc::clone(&self.kinds);
        let pending = entries.map(|r| {
            let e = r?;
            if !Kinds::is_user_kind(&e.kind) {
                return Err(unknown_kind(&kinds, &e.kind).into());
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
        let entries = amendments.into_iter().map(SystemEntry::Amendment).collect();
        self.append_system(signers, clock, source, entries)
    }

    /// Records a change of the key history (a `key` entry).
    pub fn change_keys(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        source: &str,
        change: &KeyChange,
    ) -> Result<Appended> {
        let entry = NewEntry {
            kind: KIND_KEY.into(),
            source: source.into(),
            content: change.to_content(),
            refs: vec![],
        };
        let pending = Pending {
            entry,
            amendment: None,
        };
        self.write::<LedgerError>(signers, clock, std::iter::once(Ok(pending)), &mut |_| {})
    }

    /// Appends entries of the features' kinds (and operator kinds, and amendments) in
    /// one transaction: what court, treasury, watchtower, bft and wealth write.
    pub fn append_system(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        source: &str,
        entries: Vec<SystemEntry>,
    ) -> Result<Appended> {
        let kinds = Arc::clone(&self.kinds);
        let pending = entries.into_iter().map(|e| match e {
            SystemEntry::Entry(entry) => {
                let own = kinds.owner(&entry.kind).is_some() || Kinds::is_user_kind(&entry.kind);
                if !own {
                    return Err(unknown_kind(&kinds, &entry.kind));
                }
                Ok(Pending {
                    entry,
                    amendment: None,
                })
            }
            SystemEntry::Amendment(a) => {
                a.check_shape()?;
                Ok(Pending {
                    entry: NewEntry {
                        kind: KIND_AMENDMENT.into(),
                        source: source.into(),
                        content: Map::new(),
                        refs: vec![],
                    },
                    amendment: Some(a),
                })
            }
        });
        self.write(signers, clock, pending, &mut |_| {})
    }

    /// Stores witness cosignature lines with the checkpoint of `size` (default: the
    /// newest); returns how many were new. Cosignatures annotate checkpoints: they are not
    /// entries and need no checkpoint of their own.
    pub fn add_cosignatures(
        &mut self,
        size: Option<u64>,
        lines: &str,
        witnesses: &[crate::sign::VerifierKey],
    ) -> Result<usize> {
        let mut tx = self.store.write()?;
        let added = super::witness::add_cosignatures(tx.as_mut(), size, lines, witnesses)?;
        tx.commit()?;
        Ok(added)
    }

    fn write<E: From<LedgerError>>(
        &mut self,
        signers: &Signers,
        clock: &Clock,
        entries: impl Iterator<Item = Result<Pending, E>>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Appended, E> {
        let Ledger {
            store,
            kinds,
            genesis,
            committed,
        } = self;
        let vk = signers.primary().verifier();
        let mut tx = store.write().map_err(LedgerError::from)?;
        let mut writer = EntryWriter::resume(tx.as_ref())?;
        let size = writer.next_seq();
        let mut history = match size {
            0 => KeyHistory::from_genesis(&genesis.keys, &[]),
            _ => key_history(tx.as_ref(), genesis)?,
        };
        if size > 0 {
            super::tip::check(
                tx.as_ref(),
                &history,
                &genesis.origin,
                size,
                &writer.root(),
                &writer.prev(),
                committed.as_deref(),
            )?;
        }
        for s in signers.iter() {
            check_may_sign(&history, &s.verifier(), size)?;
        }
        let mut echo = Echo::default();
        let mut claims = super::claims::Claims::default();
        let ts = format_ts(clock.now);
        let signer_id = vk.identity();
        let mut ids = clock.ulids(size).map_err(LedgerError::from)?;
        let mut first_id: Option<String> = None;
        for pending in entries {
            let Pending {
                entry: mut new,
                mut amendment,
            } = pending?;
            let seq = writer.next_seq();
            check_source(&new.source)?;
            let mut amends = None;
            if let Some(a) = &mut amendment {
                if a.ordered_by.as_deref() == Some(FIRST_IN_BATCH) {
                    a.ordered_by = first_id.clone();
                }
                new.content = a.to_content();
                new.refs = a.refs();
                amends = Some(check_amendment(tx.as_ref(), kinds, a)?);
            } else if new.kind == KIND_KEY {
                let change = KeyChange::from_content(&new.content).map_err(LedgerError::from)?;
                check_may_sign(&history, &vk, seq)?;
                let signer = history.position(&vk.identity()).unwrap_or_default();
                history
                    .apply(seq, signer, &change, &[])
                    .map_err(LedgerError::from)?;
            } else {
                check_refs(tx.as_ref(), &new.refs)?;
                if new.kind == "constraint" {
                    super::constraint::Rule::from_content(&new.content).map_err(LedgerError::Constraint)?;
                }
            }
            check_features(tx.as_ref(), kinds, seq, &new)?;
            claims.take(tx.as_mut(), kinds, seq, &new.kind, &new.content)?;
            let id_value = ids.next_value();
            let e = Entry {
                v: FORMAT_VERSION,
                seq,
                id: ulid::Ulid(id_value).to_string(),
                ts: ts.clone(),
                kind: new.kind,
                source: new.source,
                content: Map::new(),
                refs: new.refs,
                prev: writer.prev(),
                signer: signer_id.clone(),
            };
            first_id.get_or_insert_with(|| e.id.clone());
            let body = e.canonical_with(&Value::Object(new.content));
            if body.len() > MAX_ENTRY_BYTES {
                return Err(LedgerError::TooLarge(body.len()).into());
            }
            let cols = Columns {
                id: &e.id,
                kind: &e.kind,
                ts: &e.ts,
            };
            let leaf = writer.put(tx.as_mut(), &cols, &body, amends)?;
            let written = Written {
                id: id_value,
                kind: kinds.name(&e.kind).unwrap_or(KIND_GENESIS),
                leaf,
            };
            echo.wrote(written, &body);
            if (seq + 1 - size) % 4096 == 0 {
                progress(seq + 1 - size);
            }
        }
        let end = writer.next_seq();
        if end == size {
            return Err(LedgerError::Empty.into());
        }
        // A key entry may have revoked the primary key: nothing after it may name it.
        check_may_sign(&history, &vk, end - 1)?;
        let mut cp = Checkpoint::new(&genesis.origin, end, writer.root());
        for s in signers.iter() {
            cp.sign(s).map_err(LedgerError::from)?;
        }
        let note = cp.to_note();
        tx.insert_checkpoint(end, &note).map_err(LedgerError::from)?;
        echo.check(tx.as_ref(), size, &writer.root(), &note)?;
        tx.commit().map_err(LedgerError::from)?;
        *committed = Some(note);
        progress(end - size);
        Ok(Appended {
            first_seq: size,
            count: end - size,
            checkpoint: cp,
            entries: echo.written,
        })
    }
}

/// The ledger inside the write transaction, for the features' checks.
struct InTx<'t>(&'t dyn Reads);

impl Lookup for InTx<'_> {
    fn entry(&self, id: &str) -> Result<Option<StoredEntry>> {
        let Some((seq, _)) = self.0.locate(id)? else {
            return Ok(None);
        };
        self.0.body(seq)?.map(|b| stored_entry(&b)).transpose()
    }

    fn entries_of_kind(&self, kind: &str) -> Result<Vec<StoredEntry>> {
        self.0
            .entries_of_kind(kind, u64::MAX)?
            .iter()
            .map(|(_, b)| stored_entry(b))
            .collect()
    }
}

/// Runs the append-time checks of the features that own or watch the entry's kind.
fn check_features(r: &dyn Reads, kinds: &Kinds, seq: u64, new: &NewEntry) -> Result<()> {
    let Some(index) = kinds.index(&new.kind) else {
        return Err(unknown_kind(kinds, &new.kind));
    };
    let draft = Draft {
        seq,
        kind: &new.kind,
        source: &new.source,
        content: &new.content,
        refs: &new.refs,
    };
    for &f in kinds.interested(index) {
        kinds
            .feature(f)
            .check_append(&draft, &InTx(r))
            .map_err(|reason| LedgerError::Refused {
                kind: new.kind.clone(),
                reason,
            })?;
    }
    Ok(())
}

pub(crate) fn unknown_kind(kinds: &Kinds, kind: &str) -> LedgerError {
    LedgerError::UnknownKind {
        kind: kind.to_owned(),
        owner: match kind {
            KIND_GENESIS | KIND_AMENDMENT | KIND_KEY => Some("ledger"),
            _ => kinds.owner(kind).map(|f| f.name()),
        },
    }
}

fn check_source(source: &str) -> Result<()> {
    if source.is_empty() || source.len() > MAX_SOURCE_BYTES {
        return Err(LedgerError::Source);
    }
    Ok(())
}

fn check_refs(r: &dyn Reads, refs: &[String]) -> Result<()> {
    for (i, id) in refs.iter().enumerate() {
        if refs[..i].contains(id) {
            return Err(LedgerError::DuplicateRef(id.clone()));
        }
        lookup(r, id)?;
    }
    Ok(())
}

/// (seq, kind) of an entry id, or NotFound.
fn lookup(r: &dyn Reads, id: &str) -> Result<(u64, String)> {
    r.locate(id)?.ok_or_else(|| LedgerError::NotFound {
        id: id.to_owned(),
        path: None,
    })
}

/// Refuses to sign entry `seq` with a key the history does not allow there.
fn check_may_sign(history: &KeyHistory, vk: &VerifierKey, seq: u64) -> Result<()> {
    match history.position(&vk.identity()).map(|i| &history.keys[i]) {
        Some(r) if r.key == *vk && r.active_at(seq) => Ok(()),
        Some(r) if r.key == *vk && r.revoked.is_some() => Err(LedgerError::Revoked {
            key: vk.identity(),
            at: r.revoked.unwrap_or_default(),
        }),
        _ => Err(LedgerError::NotASigner(vk.identity())),
    }
}

/// The amendment rules against the ledger as it stands; returns the target's seq. An
/// amendment ordered by an entry is put to the feature that owns that entry's kind.
fn check_amendment(r: &dyn Reads, kinds: &Kinds, a: &Amendment) -> Result<u64> {
    let (t_seq, t_kind) = lookup(r, &a.target)?;
    let t_status = status_of(r, t_seq, u64::MAX)?;
    let target = Named {
        id: &a.target,
        kind: &t_kind,
        status: &t_status,
    };
    let replacement = match &a.superseded_by {
        Some(id) => {
            let (r_seq, r_kind) = lookup(r, id)?;
            Some((r_kind, status_of(r, r_seq, u64::MAX)?))
        }
        None => None,
    };
    let named = replacement
        .as_ref()
        .zip(a.superseded_by.as_deref())
        .map(|((kind, status), id)| Named { id, kind, status });
    a.check_against(&target, named.as_ref())?;
    if let Some(order_id) = &a.ordered_by {
        let (o_seq, o_kind) = lookup(r, order_id)?;
        let order = r
            .body(o_seq)?
            .map(|b| stored_entry(&b))
            .transpose()?
            .ok_or_else(|| LedgerError::damaged("an indexed entry is missing"))?;
        let verdict = kinds
            .owner(&o_kind)
            .and_then(|f| f.check_order(&order.entry, a, &InTx(r)));
        match verdict {
            Some(Ok(())) => {}
            Some(Err(reason)) => {
                return Err(LedgerError::Refused {
                    kind: KIND_AMENDMENT.into(),
                    reason,
                })
            }
            None => {
                return Err(LedgerError::NoOrder {
                    id: order_id.clone(),
                    kind: o_kind,
                })
            }
        }
    }
    Ok(t_seq)
}
