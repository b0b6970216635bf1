//! The kind registry. The ledger owns its generic kinds — `genesis`, `amendment`, `key`
//! and the kinds an operator appends — and knows no feature. Each feature (court,
//! treasury, watchtower, bft, wealth) registers the kinds it writes, with the checks an
//! append of them must pass, a stateful checker that `ledger verify` runs over them, and
//! how the Reader Edition shows them. The CLI assembles the registry.

use super::amend::Amendment;
use super::entry::Entry;
use super::error::{Refusal, Result};
use super::StoredEntry;
use serde_json::{Map, Value};
use std::any::Any;

/// Entry 0, written by `init` only.
pub const KIND_GENESIS: &str = "genesis";
/// Amendments of earlier entries.
pub const KIND_AMENDMENT: &str = "amendment";
/// Changes to the key history.
pub const KIND_KEY: &str = "key";
/// Kinds an operator appends.
pub const USER_KINDS: &[&str] = &["observation", "decision", "outcome", "constraint", "test"];
/// The ledger's own kinds that only its own calls write.
pub const LEDGER_KINDS: &[&str] = &[KIND_GENESIS, KIND_AMENDMENT, KIND_KEY];

/// What a feature's stateless look at an entry found, handed to its checker.
pub type Facts = Box<dyn Any + Send>;

/// An entry about to be appended, at `seq`.
pub struct Draft<'a> {
    pub seq: u64,
    pub kind: &'a str,
    pub source: &'a str,
    pub content: &'a Map<String, Value>,
    pub refs: &'a [String],
}

/// The ledger as the writer's transaction sees it (entries of this append included).
pub trait Lookup {
    fn entry(&self, id: &str) -> Result<Option<StoredEntry>>;
    /// Every entry of `kind`, in order (for the few: cases, rulings).
    fn entries_of_kind(&self, kind: &str) -> Result<Vec<StoredEntry>>;
}

/// An entry as a verify-time checker sees it, after the ledger's own checks passed.
pub struct Checked<'a> {
    pub seq: u64,
    pub id: u128,
    pub kind: &'a str,
    /// The ids it refers to, in order (each names an earlier entry).
    pub refs: &'a [u128],
    /// What this feature's `inspect` found.
    pub facts: Option<Facts>,
}

/// What a checker may ask the verifier about earlier entries.
pub trait Known {
    /// The kind of an earlier entry.
    fn kind_of(&self, id: u128) -> Option<&'static str>;
    /// Incremental verification: entries under the trusted checkpoint were not re-read,
    /// so a checker knows only what came after it.
    fn incremental(&self) -> bool;
}

/// A feature's stateful part of `ledger verify`, fed its entries in ledger order.
pub trait Checker: Send {
    /// Checks an entry of a kind the feature owns or watches; Err is why it fails.
    fn check(&mut self, entry: &mut Checked<'_>, known: &dyn Known) -> std::result::Result<(), String>;
    /// An amendment of `target` ordered by `order`, an entry of a kind the feature owns.
    fn check_order(
        &mut self,
        order: u128,
        target: u128,
        known: &dyn Known,
    ) -> std::result::Result<(), String> {
        let _ = (order, target, known);
        Err("it orders no amendments".into())
    }
    /// After the last entry.
    fn finish(&mut self) -> std::result::Result<(), (u64, String)> {
        Ok(())
    }
}

/// How the Reader Edition shows a feature kind's entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Never,
    Always,
    /// Those whose content has this field.
    WithField(&'static str),
}

/// How the Reader Edition names the entries of a kind that orders amendments, beside the
/// paragraphs they amended and in an appendix of their own.
#[derive(Debug)]
pub struct OrderLabels {
    /// "Ruling": the appendix line's first word.
    pub label: &'static str,
    /// "Ruled": beside a paragraph ("Ruled by X in case Y").
    pub verb: &'static str,
    /// "Rulings": the appendix title; lower-cased, its JSON key and anchor.
    pub plural: &'static str,
    /// "case": what `about` names.
    pub about: &'static str,
    /// "decision": the JSON key of `title`.
    pub title_key: &'static str,
    /// "reasoning": the JSON key of `detail`.
    pub detail_key: &'static str,
}

/// One ordering entry as the Reader Edition shows it.
#[derive(Clone, Debug)]
pub struct OrderNote {
    /// The id of the entry it is about (a case).
    pub about: String,
    pub title: String,
    pub detail: String,
}

/// What a feature tells the ledger about the kinds it writes.
pub trait Feature: Send + Sync {
    /// The feature's name ("court"): the CLI words hints from it.
    fn name(&self) -> &'static str;
    /// The kinds it owns.
    fn kinds(&self) -> &'static [&'static str];
    /// Kinds it does not own whose entries it also inspects and checks (bft's
    /// `decision` entries carry certificates).
    fn watches(&self) -> &'static [&'static str] {
        &[]
    }
    /// Checks an entry of a kind it owns or watches before it is appended.
    fn check_append(&self, draft: &Draft<'_>, ledger: &dyn Lookup) -> std::result::Result<(), Refusal> {
        let _ = (draft, ledger);
        Ok(())
    }
    /// Whether `order`, an entry of a kind it owns, may order `amendment`; None when
    /// entries of that kind order no amendments.
    fn check_order(
        &self,
        order: &Entry,
        amendment: &Amendment,
        ledger: &dyn Lookup,
    ) -> Option<std::result::Result<(), Refusal>> {
        let _ = (order, amendment, ledger);
        None
    }
    /// The stateless part of verifying an entry it owns or watches (on a worker
    /// thread): facts for the checker, or why the entry is invalid.
    fn inspect(&self, entry: &Entry) -> std::result::Result<Option<Facts>, String> {
        let _ = entry;
        Ok(None)
    }
    /// The keys an entry of a kind it owns or watches takes for good: the writer refuses
    /// a later entry that claims one of them (docs/FORMAT.md §2, claims).
    fn claims(&self, kind: &str, content: &Map<String, Value>) -> Vec<Vec<u8>> {
        let _ = (kind, content);
        Vec::new()
    }
    /// A fresh checker for one verification.
    fn checker(&self) -> Option<Box<dyn Checker>> {
        None
    }
    /// How the Reader Edition shows entries of a kind it owns.
    fn shown(&self, kind: &str) -> Shown {
        let _ = kind;
        Shown::Never
    }
    /// For a kind it owns that orders amendments: how the Reader Edition names them.
    fn order_labels(&self) -> Option<&'static OrderLabels> {
        None
    }
    /// An ordering entry as the Reader Edition shows it (None: not one).
    fn order_note(&self, entry: &Entry) -> Option<OrderNote> {
        let _ = entry;
        None
    }
}

/// Every kind the ledger accepts, and who owns each.
pub struct Kinds {
    features: Vec<Box<dyn Feature>>,
    /// (kind, owning feature); None for the ledger's own kinds.
    table: Vec<(&'static str, Option<usize>)>,
    /// Per kind, the features that inspect its entries (owner first).
    interested: Vec<Vec<usize>>,
}

impl Default for Kinds {
    fn default() -> Self {
        Self::ledger()
    }
}

impl Kinds {
    /// The ledger's own kinds only.
    pub fn ledger() -> Self {
        let table: Vec<_> = LEDGER_KINDS
            .iter()
            .chain(USER_KINDS)
            .map(|k| (*k, None))
            .collect();
        Kinds {
            interested: vec![Vec::new(); table.len()],
            features: Vec::new(),
            table,
        }
    }

    /// Adds a feature and its kinds. A kind registered twice stays with its first owner.
    #[must_use]
    pub fn with(mut self, feature: impl Feature + 'static) -> Self {
        let f = self.features.len();
        for kind in feature.kinds() {
            if self.index(kind).is_none() {
                self.table.push((kind, Some(f)));
                self.interested.push(vec![f]);
            }
        }
        for kind in feature.watches() {
            if let Some(i) = self.index(kind) {
                if !self.interested[i].contains(&f) {
                    self.interested[i].push(f);
                }
            }
        }
        self.features.push(Box::new(feature));
        self
    }

    /// The position of a kind in the registry.
    pub fn index(&self, kind: &str) -> Option<usize> {
        self.table.iter().position(|(k, _)| *k == kind)
    }

    pub fn knows(&self, kind: &str) -> bool {
        self.index(kind).is_some()
    }

    /// The registered name of a kind (for 'static borrows).
    pub fn name(&self, kind: &str) -> Option<&'static str> {
        self.index(kind).map(|i| self.table[i].0)
    }

    /// The kind at a registry position.
    pub fn kind_at(&self, index: usize) -> &'static str {
        self.table.get(index).map_or("", |(k, _)| *k)
    }

    /// The position of the feature that owns a kind.
    pub fn owner_index(&self, kind: &str) -> Option<usize> {
        self.table[self.index(kind)?].1
    }

    /// The feature that owns a kind (None for the ledger's kinds and unknown ones).
    pub fn owner(&self, kind: &str) -> Option<&dyn Feature> {
        let i = self.index(kind)?;
        self.table[i].1.map(|f| self.features[f].as_ref())
    }

    /// Indices of the features that inspect entries of the kind at `index`.
    pub fn interested(&self, index: usize) -> &[usize] {
        self.interested.get(index).map_or(&[], Vec::as_slice)
    }

    pub fn feature(&self, i: usize) -> &dyn Feature {
        self.features[i].as_ref()
    }

    pub fn features(&self) -> impl Iterator<Item = &dyn Feature> {
        self.features.iter().map(|f| f.as_ref())
    }

    /// Every kind, the ledger's first.
    pub fn all(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.table.iter().map(|(k, _)| *k)
    }

    /// Whether `kind` is one an operator appends.
    pub fn is_user_kind(kind: &str) -> bool {
        USER_KINDS.contains(&kind)
    }
}
