//! Where the verified entries come from — stored rows with their index columns, or a
//! bundle's lines without — and the stateless checks run on worker threads: parse, the
//! canonical form, the leaf hash, the shape of genesis, amendment and key entries, and
//! each interested feature's inspection.

use super::ulid_value;
use crate::ledger::amend::{AmendError, Amendment};
use crate::ledger::entry::Entry;
use crate::ledger::keys::{KeyChange, KeyRuleError};
use crate::ledger::kinds::{Facts, Kinds, KIND_AMENDMENT, KIND_GENESIS, KIND_KEY};
use crate::ledger::merkle::{self, Hash};
use crate::ledger::scan::Batch;
use crate::ledger::{Genesis, GenesisError};

/// What the stateful checks need of one row.
pub(super) struct Summary {
    pub seq: i64,
    /// The entry, or why its bytes are not a well-formed entry (with the id column).
    pub body: Result<Body, (String, String)>,
}

/// The ledger's own classes of entries; every other kind is `Other`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    Genesis,
    Amendment,
    Key,
    Other,
}

pub(super) struct Body {
    pub seq: u64,
    pub id: u128,
    /// The kind's position in the registry.
    pub kind: u16,
    pub class: Class,
    pub prev: Hash,
    pub leaf: Hash,
    pub leaf_matches: bool,
    pub columns_match: bool,
    /// Index into the ledger's key identities, or the unknown signer's name.
    pub signer: Result<usize, String>,
    pub refs: Vec<u128>,
    pub amendment: Option<Result<Amendment, AmendError>>,
    /// For a `key` entry, the change it makes.
    pub key_change: Option<Result<KeyChange, KeyRuleError>>,
    /// For a genesis entry, what it declares.
    pub genesis: Option<Result<Genesis, GenesisError>>,
    /// What the interested features' inspections found, by feature.
    pub facts: Vec<(usize, Facts)>,
    /// The first inspection that found the entry invalid.
    pub inspection: Option<String>,
}

/// The stateless checks of a batch, on a worker thread.
pub(super) fn summarize(batch: &mut Batch, identities: &[String], kinds: &Kinds) -> Vec<Summary> {
    let batch = &*batch;
    batch
        .rows
        .iter()
        .map(|r| {
            let text =
                |s: &Option<std::ops::Range<usize>>| std::str::from_utf8(batch.column(s)).unwrap_or("");
            let id_col = || r.columns.as_ref().map_or("", |c| text(&c.id)).to_owned();
            let Some(body) = batch.body(r) else {
                return Summary {
                    seq: r.seq,
                    body: Err(("the stored entry is not a byte string".into(), id_col())),
                };
            };
            Summary {
                seq: r.seq,
                body: summarize_one(body, r.columns.as_ref().map(|c| (batch, c)), identities, kinds)
                    .map_err(|why| (why, id_col())),
            }
        })
        .collect()
}

fn summarize_one(
    body: &[u8],
    columns: Option<(&Batch, &crate::ledger::scan::Columns)>,
    identities: &[String],
    kinds: &Kinds,
) -> Result<Body, String> {
    let e = Entry::parse_canonical(body).map_err(|e| e.to_string())?;
    let kind = kinds
        .index(&e.kind)
        .ok_or_else(|| format!("unknown kind {}", crate::text::quoted(&e.kind)))?;
    let leaf = merkle::leaf_hash(body);
    let (leaf_matches, columns_match) = match columns {
        None => (true, true),
        Some((b, c)) => {
            let text = |s| std::str::from_utf8(b.column(s)).unwrap_or("");
            (
                b.column(&c.leaf) == leaf,
                e.id == text(&c.id) && e.kind == text(&c.kind) && e.ts == text(&c.ts),
            )
        }
    };
    let class = match e.kind.as_str() {
        KIND_GENESIS => Class::Genesis,
        KIND_AMENDMENT => Class::Amendment,
        KIND_KEY => Class::Key,
        _ => Class::Other,
    };
    let amendment = (class == Class::Amendment).then(|| {
        Amendment::from_content(&e.content).and_then(|a| {
            if a.refs() == e.refs {
                Ok(a)
            } else {
                Err(AmendError::Refs)
            }
        })
    });
    let mut facts = Vec::new();
    let mut inspection = None;
    for &f in kinds.interested(kind) {
        match kinds.feature(f).inspect(&e) {
            Ok(Some(found)) => facts.push((f, found)),
            Ok(None) => {}
            Err(why) => {
                inspection.get_or_insert(why);
            }
        }
    }
    Ok(Body {
        seq: e.seq,
        id: ulid_value(&e.id),
        kind: kind as u16,
        class,
        prev: e.prev,
        leaf,
        leaf_matches,
        columns_match,
        genesis: (class == Class::Genesis).then(|| Genesis::from_entry(&e)),
        signer: identities.iter().position(|i| *i == e.signer).ok_or(e.signer),
        refs: e.refs.iter().map(|r| ulid_value(r)).collect(),
        amendment,
        key_change: (class == Class::Key).then(|| KeyChange::from_content(&e.content)),
        facts,
        inspection,
    })
}
