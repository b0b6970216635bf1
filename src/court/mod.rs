//! The court: contradictions between entries opened as `case` entries and decided by
//! `ruling` entries that carry the amendments they order, all in one transaction. It
//! appends through the ledger's API only, and registers its kinds with the ledger
//! (`kinds`): the append-time checks, the verify-time checker and the Reader Edition's
//! view of rulings.

pub mod kinds;

use crate::clock::Clock;
use crate::ledger::amend::{Amendment, AmendmentType};
use crate::ledger::kinds::KIND_GENESIS;
use crate::ledger::{
    Appended, EntryView, Ledger, LedgerError, LogFilter, NewEntry, StoredEntry, SystemEntry, FIRST_IN_BATCH,
};
use crate::sign::Signers;
use serde_json::{Map, Value};

pub use kinds::Court;

/// Written by `court open` and `watchtower scan --open-cases`.
pub const KIND_CASE: &str = "case";
/// Written by `court rule`, together with the amendments it orders.
pub const KIND_RULING: &str = "ruling";

/// Why the court refuses.
#[derive(Debug, thiserror::Error)]
pub enum CourtError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("a case needs a description")]
    NoDescription,
    #[error("the genesis entry cannot be part of a case")]
    GenesisInCase,
    #[error("a case is about two or more conflicting entries")]
    TooFewEntries,
    #[error("a ruling must name exactly one case")]
    RulingRefs,
    #[error("entry {id} is a {kind}, not a case")]
    NotACase { id: String, kind: String },
    #[error("case {0} not found")]
    CaseNotFound(String),
    #[error("a ruling needs a decision and its reasoning")]
    NoDecision,
    #[error("case {case} is closed: ruling {ruling} decided it")]
    Closed { case: String, ruling: String },
    #[error("entry {entry} is not part of case {case}")]
    NotInCase { entry: String, case: String },
}

pub type Result<T, E = CourtError> = std::result::Result<T, E>;

/// A case entry about `entries` (court open, watchtower scan --open-cases).
pub fn case_entry(source: &str, entries: Vec<String>, description: &str) -> NewEntry {
    NewEntry {
        kind: KIND_CASE.into(),
        source: source.into(),
        content: object(vec![("description", Value::String(description.to_owned()))]),
        refs: entries,
    }
}

/// A case and, once decided, its ruling.
#[derive(Clone, Debug)]
pub struct Case {
    pub case: StoredEntry,
    pub description: String,
    pub entries: Vec<String>,
    pub ruling: Option<StoredEntry>,
}

impl Case {
    pub fn is_open(&self) -> bool {
        self.ruling.is_none()
    }
}

/// A case with the current state of each entry it names.
#[derive(Clone, Debug)]
pub struct CaseView {
    pub case: Case,
    pub entries: Vec<EntryView>,
}

/// One amendment a ruling orders.
#[derive(Clone, Debug)]
pub struct Order {
    pub target: String,
    pub kind: AmendmentType,
    pub content: Option<Map<String, Value>>,
    pub superseded_by: Option<String>,
}

fn object(pairs: Vec<(&str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Opens a case about two or more existing entries.
pub fn open(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    entries: &[String],
    description: &str,
) -> Result<Appended> {
    if description.trim().is_empty() {
        return Err(CourtError::NoDescription);
    }
    let mut ids: Vec<String> = Vec::new();
    for e in entries {
        let stored = entry(ledger, e)?;
        if stored.entry.kind == KIND_GENESIS {
            return Err(CourtError::GenesisInCase);
        }
        if !ids.contains(&stored.entry.id) {
            ids.push(stored.entry.id);
        }
    }
    kinds::rules::case_entries(ids.len())?;
    let entry = case_entry(source, ids, description);
    Ok(ledger.append_system(signers, clock, source, vec![SystemEntry::Entry(entry)])?)
}

/// The entry with this id (or seq).
fn entry(ledger: &Ledger, id: &str) -> Result<StoredEntry> {
    let seq = ledger.resolve(id)?;
    let stored = ledger.entry_by_seq(seq)?;
    stored.ok_or_else(|| LedgerError::damaged(format!("entry {seq} is missing")).into())
}

/// Every case, oldest first, with its ruling if any.
pub fn list(ledger: &Ledger) -> Result<Vec<Case>> {
    let mut cases: Vec<Case> = Vec::new();
    let filter = LogFilter {
        kind: Some(KIND_CASE.into()),
        ..Default::default()
    };
    ledger.log(&filter, |e| {
        let description = e
            .entry
            .content
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let entries = e.entry.refs.clone();
        cases.push(Case {
            case: e,
            description,
            entries,
            ruling: None,
        });
        Ok::<(), CourtError>(())
    })?;
    let filter = LogFilter {
        kind: Some(KIND_RULING.into()),
        ..Default::default()
    };
    ledger.log(&filter, |r| {
        if let Some(case) = cases
            .iter_mut()
            .find(|c| r.entry.refs.first() == Some(&c.case.entry.id))
        {
            case.ruling.get_or_insert(r);
        }
        Ok::<(), CourtError>(())
    })?;
    Ok(cases)
}

/// One case by id (or seq).
pub fn get(ledger: &Ledger, id: &str) -> Result<Case> {
    let stored = entry(ledger, id)?;
    if stored.entry.kind != KIND_CASE {
        return Err(CourtError::NotACase {
            id: id.to_owned(),
            kind: stored.entry.kind,
        });
    }
    list(ledger)?
        .into_iter()
        .find(|c| c.case.entry.id == stored.entry.id)
        .ok_or_else(|| CourtError::CaseNotFound(id.to_owned()))
}

/// A case with its entries' current state.
pub fn show(ledger: &Ledger, id: &str) -> Result<CaseView> {
    let case = get(ledger, id)?;
    let entries = case
        .entries
        .iter()
        .map(|e| ledger.show(e))
        .collect::<Result<Vec<_>, LedgerError>>()?;
    Ok(CaseView { case, entries })
}

/// What BFT validators decide for `court rule --quorum`: subject `court/ORIGIN/CASE` and
/// the proposal `{"case", "decision", "reasoning", "amendments"}` (FORMAT.md §12).
pub fn quorum_proposal(
    ledger: &Ledger,
    case: &str,
    decision: &str,
    reasoning: &str,
    orders: &[Order],
) -> Result<(String, Map<String, Value>)> {
    let seq = ledger.resolve(case)?;
    let case_id = ledger.entry_by_seq(seq)?.map(|e| e.entry.id).unwrap_or_default();
    let amendments: Vec<Value> = orders
        .iter()
        .map(|o| {
            serde_json::json!({"target": o.target, "type": o.kind.as_str(), "content": o.content, "superseded_by": o.superseded_by})
        })
        .collect();
    let content = object(vec![
        ("case", Value::String(case_id.clone())),
        ("decision", Value::String(decision.to_owned())),
        ("reasoning", Value::String(reasoning.to_owned())),
        ("amendments", Value::Array(amendments)),
    ]);
    Ok((format!("court/{}/{case_id}", ledger.genesis.origin), content))
}

/// Decides an open case: one `ruling` entry and the amendments it orders, in one
/// transaction. Amending an entry outside the case, or ruling a closed case, is refused.
#[allow(clippy::too_many_arguments)]
pub fn rule(
    ledger: &mut Ledger,
    signers: &Signers,
    clock: &Clock,
    source: &str,
    case_id: &str,
    decision: &str,
    reasoning: &str,
    orders: Vec<Order>,
    quorum: Option<Value>,
) -> Result<Appended> {
    if decision.trim().is_empty() || reasoning.trim().is_empty() {
        return Err(CourtError::NoDecision);
    }
    let case = get(ledger, case_id)?;
    if let Some(r) = &case.ruling {
        return Err(CourtError::Closed {
            case: case.case.entry.id.clone(),
            ruling: r.entry.id.clone(),
        });
    }
    let mut entries = vec![SystemEntry::Entry(NewEntry {
        kind: KIND_RULING.into(),
        source: source.into(),
        content: {
            let mut c = object(vec![
                ("decision", Value::String(decision.to_owned())),
                ("reasoning", Value::String(reasoning.to_owned())),
            ]);
            if let Some(q) = quorum {
                c.insert("bft".into(), q);
            }
            c
        },
        refs: vec![case.case.entry.id.clone()],
    })];
    for o in orders {
        let seq = ledger.resolve(&o.target)?;
        let target = ledger.entry_by_seq(seq)?.map(|e| e.entry.id).unwrap_or_default();
        if !case.entries.contains(&target) {
            return Err(CourtError::NotInCase {
                entry: target,
                case: case.case.entry.id.clone(),
            });
        }
        let superseded_by = match o.superseded_by {
            Some(r) => {
                let seq = ledger.resolve(&r)?;
                ledger.entry_by_seq(seq)?.map(|e| e.entry.id)
            }
            None => None,
        };
        entries.push(SystemEntry::Amendment(Amendment {
            kind: o.kind,
            target,
            reason: format!("ruling on case {}: {decision}", case.case.entry.id),
            content: o.content,
            superseded_by,
            ordered_by: Some(FIRST_IN_BATCH.into()),
        }));
    }
    Ok(ledger.append_system(signers, clock, source, entries)?)
}
