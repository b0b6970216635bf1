//! What the BFT feature registers with the ledger. Validators write their decisions as
//! `decision` entries (an operator kind) whose `content.bft` carries the certificate and
//! the validator set, and `court rule --quorum` writes rulings that carry one; the feature
//! watches both kinds: a certificate must verify, at append time and at verify time, and
//! the chain of validator sets must hold (the first set seen, then only sets an earlier
//! decision approved).

use super::DecisionFacts;
use crate::ledger::error::Refusal;
use crate::ledger::kinds::{Checked, Checker, Draft, Facts, Feature, Known, Lookup};

/// The BFT feature's view of the ledger.
pub struct Bft;

/// The kinds that may carry a certificate.
const WATCHED: &[&str] = &["decision", crate::court::KIND_RULING];

/// A certificate that does not verify.
#[derive(Debug, thiserror::Error)]
#[error("BFT decision: {0}")]
pub struct BadCertificate(pub String);

impl Feature for Bft {
    fn name(&self) -> &'static str {
        "bft"
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[]
    }

    fn watches(&self) -> &'static [&'static str] {
        WATCHED
    }

    fn check_append(&self, draft: &Draft<'_>, _: &dyn Lookup) -> Result<(), Refusal> {
        match super::check_decision_entry(draft.content) {
            Some(Err(why)) => Err(Box::new(BadCertificate(why))),
            _ => Ok(()),
        }
    }

    fn inspect(&self, entry: &crate::ledger::entry::Entry) -> Result<Option<Facts>, String> {
        match super::check_decision_entry(&entry.content) {
            None => Ok(None),
            Some(Ok(facts)) => Ok(Some(Box::new(facts))),
            Some(Err(why)) => Err(BadCertificate(why).to_string()),
        }
    }

    fn checker(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(SetChain::default()))
    }
}

/// The validator sets in force: the first one seen, then those it (or a successor)
/// approved.
#[derive(Default)]
struct SetChain {
    sets: Vec<[u8; 32]>,
}

impl Checker for SetChain {
    fn check(&mut self, e: &mut Checked<'_>, _: &dyn Known) -> Result<(), String> {
        let Some(facts) = e.facts.take().and_then(|f| f.downcast::<DecisionFacts>().ok()) else {
            return Ok(());
        };
        if self.sets.is_empty() {
            self.sets.push(facts.set_hash);
        } else if !self.sets.contains(&facts.set_hash) {
            return Err("BFT decision by a validator set that no earlier set approved".into());
        }
        if let Some(next) = facts.approves_set {
            if !self.sets.contains(&next) {
                self.sets.push(next);
            }
        }
        Ok(())
    }
}
