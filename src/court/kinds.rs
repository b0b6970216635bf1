//! What the court registers with the ledger: the `case` and `ruling` kinds, the rules an
//! append of them must keep, the checker `ledger verify` runs over them, and how the
//! Reader Edition names a ruling beside the paragraphs it amended. One set of rules
//! (`rules`) serves the court's commands, the append-time checks and the checker.

use super::{CourtError, KIND_CASE, KIND_RULING};
use crate::ledger::amend::Amendment;
use crate::ledger::entry::Entry;
use crate::ledger::error::Refusal;
use crate::ledger::ids::UlidMap;
use crate::ledger::kinds::{
    Checked, Checker, Draft, Facts, Feature, Known, Lookup, OrderLabels, OrderNote, KIND_GENESIS,
};
use serde_json::Value;

/// The court's kinds.
pub struct Court;

/// How the Reader Edition names rulings.
pub static RULINGS: OrderLabels = OrderLabels {
    label: "Ruling",
    verb: "Ruled",
    plural: "Rulings",
    about: "case",
    title_key: "decision",
    detail_key: "reasoning",
};

/// The rules themselves, on plain values.
pub(super) mod rules {
    use super::CourtError;

    /// A case names two or more entries.
    pub fn case_entries(n: usize) -> Result<(), CourtError> {
        if n < 2 {
            return Err(CourtError::TooFewEntries);
        }
        Ok(())
    }

    /// A ruling names exactly one case.
    pub fn ruling_refs<T>(refs: &[T]) -> Result<&T, CourtError> {
        match refs {
            [case] => Ok(case),
            _ => Err(CourtError::RulingRefs),
        }
    }
}

impl Feature for Court {
    fn name(&self) -> &'static str {
        "court"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[KIND_CASE, KIND_RULING]
    }

    fn check_append(&self, draft: &Draft<'_>, ledger: &dyn Lookup) -> Result<(), Refusal> {
        match draft.kind {
            KIND_CASE => {
                rules::case_entries(draft.refs.len())?;
                for id in draft.refs {
                    if ledger.entry(id)?.is_some_and(|e| e.entry.kind == KIND_GENESIS) {
                        return Err(CourtError::GenesisInCase.into());
                    }
                }
                Ok(())
            }
            KIND_RULING => {
                let case = rules::ruling_refs(draft.refs)?;
                let found = ledger.entry(case)?;
                match found {
                    Some(e) if e.entry.kind == KIND_CASE => {}
                    Some(e) => {
                        return Err(CourtError::NotACase {
                            id: case.clone(),
                            kind: e.entry.kind,
                        }
                        .into())
                    }
                    None => return Err(CourtError::CaseNotFound(case.clone()).into()),
                }
                let earlier = ledger.entries_of_kind(KIND_RULING)?;
                if let Some(r) = earlier.iter().find(|r| r.entry.refs.first() == Some(case)) {
                    return Err(CourtError::Closed {
                        case: case.clone(),
                        ruling: r.entry.id.clone(),
                    }
                    .into());
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn check_order(
        &self,
        order: &Entry,
        amendment: &Amendment,
        ledger: &dyn Lookup,
    ) -> Option<Result<(), Refusal>> {
        if order.kind != KIND_RULING {
            return None;
        }
        Some((|| {
            let case_id = rules::ruling_refs(&order.refs)?;
            let case = ledger
                .entry(case_id)?
                .ok_or_else(|| CourtError::CaseNotFound(case_id.clone()))?;
            if !case.entry.refs.contains(&amendment.target) {
                return Err(CourtError::NotInCase {
                    entry: amendment.target.clone(),
                    case: case_id.clone(),
                }
                .into());
            }
            Ok(())
        })())
    }

    /// A ruling the validators decided carries their certificate (the bft feature checks
    /// it); what the court checks is that the decided proposal is this ruling.
    fn inspect(&self, entry: &Entry) -> Result<Option<Facts>, String> {
        if entry.kind != KIND_RULING {
            return Ok(None);
        }
        let Some(bft) = entry.content.get("bft") else {
            return Ok(None);
        };
        let proposal = bft
            .get("content")
            .ok_or("BFT decision: the certificate has no content")?;
        let same_case =
            proposal.get("case").and_then(Value::as_str) == entry.refs.first().map(String::as_str);
        let same_decision = proposal.get("decision") == entry.content.get("decision");
        let approved = bft.get("decision").and_then(Value::as_str) == Some("approve");
        if !(same_case && same_decision && approved) {
            return Err("BFT decision: the ruling's certificate approves another ruling".into());
        }
        Ok(None)
    }

    fn checker(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(CourtChecker::default()))
    }

    fn order_labels(&self) -> Option<&'static OrderLabels> {
        Some(&RULINGS)
    }

    fn order_note(&self, entry: &Entry) -> Option<OrderNote> {
        if entry.kind != KIND_RULING {
            return None;
        }
        let text = |k: &str| {
            entry
                .content
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(OrderNote {
            about: entry.refs.first().cloned().unwrap_or_default(),
            title: text("decision"),
            detail: text("reasoning"),
        })
    }
}

/// What verify remembers of a case: its entries, and whether a ruling decided it.
struct CaseInfo {
    entries: Vec<u128>,
    closed: bool,
}

/// Court rules over a whole ledger: a case names two or more entries; a ruling names
/// exactly one case, which must still be open; an amendment a ruling orders targets an
/// entry of its case. (In incremental mode, cases and rulings under the trusted
/// checkpoint are not re-read: the rules about them were checked when they were new.)
#[derive(Default)]
struct CourtChecker {
    cases: UlidMap<u128, CaseInfo>,
    /// The case each ruling decides.
    rulings: UlidMap<u128, u128>,
}

impl Checker for CourtChecker {
    fn check(&mut self, e: &mut Checked<'_>, known: &dyn Known) -> Result<(), String> {
        match e.kind {
            KIND_CASE => {
                rules::case_entries(e.refs.len()).map_err(|e| e.to_string())?;
                self.cases.insert(
                    e.id,
                    CaseInfo {
                        entries: e.refs.to_vec(),
                        closed: false,
                    },
                );
            }
            KIND_RULING => {
                let case = *rules::ruling_refs(e.refs).map_err(|e| e.to_string())?;
                let older_case = !self.cases.contains_key(&case)
                    && known.incremental()
                    && known.kind_of(case) == Some(KIND_CASE);
                match self.cases.get_mut(&case) {
                    Some(c) if c.closed => {
                        return Err("a ruling decides a case that was already decided".into())
                    }
                    Some(c) => c.closed = true,
                    None if older_case => {}
                    None => return Err("a ruling must name a case".into()),
                }
                self.rulings.insert(e.id, case);
            }
            _ => {}
        }
        Ok(())
    }

    fn check_order(&mut self, order: u128, target: u128, known: &dyn Known) -> Result<(), String> {
        let members = self
            .rulings
            .get(&order)
            .and_then(|c| self.cases.get(c))
            .map(|c| &c.entries);
        match members {
            Some(m) if m.contains(&target) => Ok(()),
            Some(_) => Err("a ruling amends an entry that is not part of its case".into()),
            None if known.incremental() => Ok(()),
            None => Err("an amendment names a ruling that does not exist".into()),
        }
    }
}
