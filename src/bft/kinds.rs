//! What the BFT feature registers with the ledger. Validators write their decisions as
//! `decision` entries (an operator kind) whose `content.bft` carries the certificate and
//! the validator set, and `court rule --quorum` writes rulings that carry one; the feature
//! watches both kinds: a certificate must verify, at append time and at verify time, and
//! the chain of validator sets must hold (the first set seen, then only sets an earlier
//! decision approved).

use super::DecisionFacts;
use crate::ledger::error::Refusal;
use crate::ledger::kinds::{Checked, Checker, Draft, Facts, Feature, Known, Lookup};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// The BFT feature's view of the ledger.
#[derive(Default)]
pub struct Bft {
    vouched: Vouched,
}

impl Bft {
    /// The feature, taking as verified the contents `vouched` holds.
    pub fn trusting(vouched: Vouched) -> Self {
        Bft { vouched }
    }
}

/// Decision contents whose certificate this process verified itself — a validator's own
/// decisions, assembled from votes it verified one by one — so that the append-time check
/// does not verify their signatures a second time under the write lock. Kept by SHA-256
/// of their canonical JSON, the latest `REMEMBERED`. `ledger verify` checks every
/// certificate whatever this holds.
#[derive(Clone, Default)]
pub struct Vouched(Arc<Mutex<Remembered>>);

#[derive(Default)]
struct Remembered {
    known: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

const REMEMBERED: usize = 1024;

fn digest(content: &Map<String, Value>) -> [u8; 32] {
    let mut canonical = Vec::new();
    crate::ledger::canon::write_object(content, &mut canonical);
    Sha256::digest(&canonical).into()
}

impl Vouched {
    /// Vouches for a decision content whose certificate the caller verified.
    pub fn vouch(&self, content: &Map<String, Value>) {
        let d = digest(content);
        let mut r = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if r.known.insert(d) {
            r.order.push_back(d);
            if r.order.len() > REMEMBERED {
                if let Some(old) = r.order.pop_front() {
                    r.known.remove(&old);
                }
            }
        }
    }

    fn holds(&self, content: &Map<String, Value>) -> bool {
        let r = self.0.lock().unwrap_or_else(|p| p.into_inner());
        !r.known.is_empty() && r.known.contains(&digest(content))
    }
}

/// The feature's name: its claims are kept under `claims/bft`.
pub const FEATURE: &str = "bft";
/// The kind validators record their decisions as.
pub const KIND_DECISION: &str = "decision";
/// The kinds that may carry a certificate.
const WATCHED: &[&str] = &[KIND_DECISION, crate::court::KIND_RULING];

/// The claim of a decided subject: cluster ‖ 0x00 ‖ subject (neither holds a NUL).
pub fn decided_key(cluster: &str, subject: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(cluster.len() + 1 + subject.len());
    k.extend_from_slice(cluster.as_bytes());
    k.push(0);
    k.extend_from_slice(subject.as_bytes());
    k
}

/// A certificate that does not verify.
#[derive(Debug, thiserror::Error)]
#[error("BFT decision: {0}")]
pub struct BadCertificate(pub String);

impl Feature for Bft {
    fn name(&self) -> &'static str {
        FEATURE
    }

    fn kinds(&self) -> &'static [&'static str] {
        &[]
    }

    fn watches(&self) -> &'static [&'static str] {
        WATCHED
    }

    fn check_append(&self, draft: &Draft<'_>, _: &dyn Lookup) -> Result<(), Refusal> {
        if !draft.content.contains_key("bft") || self.vouched.holds(draft.content) {
            return Ok(());
        }
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

    /// A `decision` entry with a certificate takes its cluster and subject: one decision
    /// per subject, ever (docs/PROTOCOL.md §5).
    fn claims(&self, kind: &str, content: &Map<String, Value>) -> Vec<Vec<u8>> {
        if kind != KIND_DECISION {
            return Vec::new();
        }
        let bft = content.get("bft");
        let text = |k: &str| bft.and_then(|b| b.get(k)).and_then(Value::as_str);
        match (text("cluster"), text("subject")) {
            (Some(cluster), Some(subject)) => vec![decided_key(cluster, subject)],
            _ => Vec::new(),
        }
    }

    fn checker(&self) -> Option<Box<dyn Checker>> {
        Some(Box::new(SetChain::default()))
    }
}

/// The validator sets in force: the first one seen, then those it (or a successor)
/// approved; and the subjects decided so far, each once.
#[derive(Default)]
struct SetChain {
    sets: Vec<[u8; 32]>,
    decided: HashMap<Vec<u8>, u64>,
}

impl Checker for SetChain {
    fn check(&mut self, e: &mut Checked<'_>, _: &dyn Known) -> Result<(), String> {
        let Some(facts) = e.facts.take().and_then(|f| f.downcast::<DecisionFacts>().ok()) else {
            return Ok(());
        };
        if e.kind == KIND_DECISION {
            let key = decided_key(&facts.cluster, &facts.subject);
            if let Some(first) = self.decided.insert(key, e.seq) {
                return Err(format!(
                    "a second BFT decision for subject {} (the first is entry {first})",
                    crate::text::quoted(&facts.subject)
                ));
            }
        }
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
