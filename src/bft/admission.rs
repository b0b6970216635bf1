//! Who may open a subject (docs/PROTOCOL.md §6), and how many each may hold open. With
//! proposers listed in the validators file, a subject opens only on a submission signed by
//! one of them — sent by a client, or carried inside the proposal of the round's proposer —
//! or on a certificate; without, anyone may submit. Either way every source of open
//! subjects has its own budget, so a flood by one source cannot starve another, and the
//! state a validator keeps stays bounded whatever it is sent.

use super::frames::Sig64;
use super::message::proposal_hash;
use super::validators::ValidatorSet;
use crate::sign::Signer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::net::IpAddr;

/// The domain tag of submission sign bytes.
pub const SUBMIT_DOMAIN: &[u8] = b"echoctl/bft/submit/v1";

/// Open subjects one listed proposer may hold at once.
pub const PER_PROPOSER: usize = 128;
/// Without listed proposers: open subjects per client address, and in all.
pub const PER_ADDRESS: usize = 64;
pub const ANONYMOUS: usize = 256;
/// Open subjects a validator's proposals may open at another (without listed proposers),
/// and subjects opened here because f+1 validators, this one among them, vote on them.
pub const PER_VALIDATOR: usize = 64;

/// A proposer's signature on a proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// `name+hex8` of the proposer's verifier key.
    pub proposer: String,
    pub sig: Sig64,
}

/// `"echoctl/bft/submit/v1" ‖ lp(cluster) ‖ set hash ‖ proposal hash(subject, content)`.
pub fn submission_bytes(set: &ValidatorSet, subject: &str, content: &Map<String, Value>) -> Vec<u8> {
    let mut b = Vec::with_capacity(96 + set.cluster.len());
    b.extend_from_slice(SUBMIT_DOMAIN);
    b.extend_from_slice(&(set.cluster.len() as u16).to_be_bytes());
    b.extend_from_slice(set.cluster.as_bytes());
    b.extend_from_slice(&set.hash);
    b.extend_from_slice(&proposal_hash(subject, content));
    b
}

impl Submission {
    pub fn sign(
        signer: &dyn Signer,
        set: &ValidatorSet,
        subject: &str,
        content: &Map<String, Value>,
    ) -> Result<Self, crate::sign::SignError> {
        let sig = signer.sign(&submission_bytes(set, subject, content))?;
        Ok(Submission {
            proposer: signer.verifier().identity(),
            sig: Sig64(sig),
        })
    }

    /// The index of the listed proposer that signed this proposal, or why not.
    pub fn verify(
        &self,
        set: &ValidatorSet,
        subject: &str,
        content: &Map<String, Value>,
    ) -> Result<usize, String> {
        let i = set
            .proposer(&self.proposer)
            .ok_or_else(|| format!("{} is not a proposer of this validator set", self.proposer))?;
        if !set.proposers[i].verify(&submission_bytes(set, subject, content), &self.sig.0) {
            return Err(format!("the submission is not signed by {}", self.proposer));
        }
        Ok(i)
    }
}

/// Who opened a subject at this validator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A listed proposer (by index).
    Proposer(usize),
    /// Open admission: a client at this address.
    Address(IpAddr),
    /// The proposal of this validator (open admission), or its votes among the f+1 that
    /// made this validator join the subject (any admission).
    Validator(u16),
}

/// Open subjects per source, against the budgets above.
#[derive(Debug, Default)]
pub struct Budgets {
    open: HashMap<Source, usize>,
    anonymous: usize,
}

impl Budgets {
    /// Takes one open subject for `source`, or says why it has no room.
    pub fn take(&mut self, source: Source) -> Result<(), String> {
        let held = self.open.get(&source).copied().unwrap_or(0);
        let (limit, anonymous) = match source {
            Source::Proposer(_) => (PER_PROPOSER, false),
            Source::Address(_) => (PER_ADDRESS, true),
            Source::Validator(_) => (PER_VALIDATOR, true),
        };
        if held >= limit {
            return Err(format!(
                "{source:?} already holds {held} subjects in progress, its limit"
            ));
        }
        if anonymous && self.anonymous >= ANONYMOUS {
            return Err(format!(
                "{ANONYMOUS} subjects opened without a proposer's signature are in progress, the limit"
            ));
        }
        *self.open.entry(source).or_default() += 1;
        self.anonymous += usize::from(anonymous);
        Ok(())
    }

    /// Gives back the open subject of `source` (decided).
    pub fn release(&mut self, source: Source) {
        if let Some(n) = self.open.get_mut(&source) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(&source);
            }
            if !matches!(source, Source::Proposer(_)) {
                self.anonymous = self.anonymous.saturating_sub(1);
            }
        }
    }

    pub fn open(&self) -> usize {
        self.open.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_has_its_own_budget() {
        let mut b = Budgets::default();
        for _ in 0..PER_PROPOSER {
            b.take(Source::Proposer(0)).unwrap();
        }
        assert!(b.take(Source::Proposer(0)).is_err());
        // Another proposer is not starved by the first.
        b.take(Source::Proposer(1)).unwrap();
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..PER_ADDRESS {
            b.take(Source::Address(ip)).unwrap();
        }
        assert!(b.take(Source::Address(ip)).is_err());
        b.release(Source::Address(ip));
        b.take(Source::Address(ip)).unwrap();
        // The anonymous total caps addresses and validators together.
        let mut filled = 0;
        for i in 0..=255u8 {
            for _ in 0..PER_ADDRESS {
                if b.take(Source::Address([10, 0, 0, i].into())).is_ok() {
                    filled += 1;
                }
            }
        }
        assert_eq!(filled + PER_ADDRESS, ANONYMOUS);
        assert!(b.take(Source::Validator(1)).is_err());
        assert!(
            b.take(Source::Proposer(2)).is_ok(),
            "proposers are outside the anonymous total"
        );
        assert_eq!(b.open(), PER_PROPOSER + 2 + ANONYMOUS);
    }
}
