//! What validators sign, byte by byte (docs/PROTOCOL.md §4), and the signed votes and
//! decision certificates built on it. Sign bytes are binary and length-prefixed, with a
//! domain tag, the cluster id and the validator-set hash, so that a signature can never be
//! replayed into another cluster, set, subject, round, step or value. No timestamps.

use super::consensus::{Kind, ValueId};
use super::validators::ValidatorSet;
use crate::ledger::canon::to_canonical;
use crate::sign::Signer;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The domain tag that starts every sign-bytes string.
pub const DOMAIN: &[u8] = b"echoctl/bft/v1";

/// The outcome a value stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(Decision::Approve),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
    fn byte(self) -> u8 {
        match self {
            Decision::Approve => 1,
            Decision::Reject => 0,
        }
    }
}

/// SHA-256 of the subject's UTF-8 bytes.
pub fn subject_hash(subject: &str) -> [u8; 32] {
    Sha256::digest(subject.as_bytes()).into()
}

/// SHA-256 of the RFC 8785 canonical JSON `{"content": CONTENT, "subject": SUBJECT}`.
pub fn proposal_hash(subject: &str, content: &Map<String, Value>) -> [u8; 32] {
    let mut m = Map::new();
    m.insert("content".into(), Value::Object(content.clone()));
    m.insert("subject".into(), Value::String(subject.into()));
    Sha256::digest(to_canonical(&Value::Object(m))).into()
}

/// SHA-256("echoctl/bft/value/v1" ‖ decision byte (1 approve, 0 reject) ‖ proposal hash).
pub fn value_id(decision: Decision, proposal_hash: &[u8; 32]) -> ValueId {
    let mut h = Sha256::new();
    h.update(b"echoctl/bft/value/v1");
    h.update([decision.byte()]);
    h.update(proposal_hash);
    h.finalize().into()
}

/// The kind byte: 1 proposal, 2 prevote, 3 precommit.
pub fn kind_byte(kind: &Kind) -> u8 {
    match kind {
        Kind::Proposal { .. } => 1,
        Kind::Prevote(_) => 2,
        Kind::Precommit(_) => 3,
    }
}

/// The bytes a validator signs (PROTOCOL.md §4):
/// `"echoctl/bft/v1" ‖ kind u8 ‖ u16 len ‖ cluster ‖ set hash (32) ‖ subject hash (32) ‖
/// round u64 ‖ value (0x00 for nil, or 0x01 ‖ 32 bytes) ‖ [proposal only: valid round
/// (0x00, or 0x01 ‖ u64)] ‖ signer index u16`, integers big-endian.
pub fn sign_bytes(set: &ValidatorSet, subject: &str, round: u64, kind: &Kind, from: u16) -> Vec<u8> {
    let mut b = Vec::with_capacity(160);
    b.extend_from_slice(DOMAIN);
    b.push(kind_byte(kind));
    b.extend_from_slice(&(set.cluster.len() as u16).to_be_bytes());
    b.extend_from_slice(set.cluster.as_bytes());
    b.extend_from_slice(&set.hash);
    b.extend_from_slice(&subject_hash(subject));
    b.extend_from_slice(&round.to_be_bytes());
    let value = match kind {
        Kind::Proposal { value, .. } => Some(*value),
        Kind::Prevote(v) | Kind::Precommit(v) => *v,
    };
    match value {
        None => b.push(0),
        Some(v) => {
            b.push(1);
            b.extend_from_slice(&v);
        }
    }
    if let Kind::Proposal { valid_round, .. } = kind {
        match valid_round {
            None => b.push(0),
            Some(r) => {
                b.push(1);
                b.extend_from_slice(&r.to_be_bytes());
            }
        }
    }
    b.extend_from_slice(&from.to_be_bytes());
    b
}

/// A signed consensus message for one subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    pub subject: String,
    pub round: u64,
    pub from: u16,
    pub kind: Kind,
    pub sig: [u8; 64],
}

impl Vote {
    /// Signs a message as validator `from`.
    pub fn sign(
        set: &ValidatorSet,
        signer: &dyn Signer,
        subject: &str,
        round: u64,
        kind: Kind,
        from: u16,
    ) -> Result<Vote, crate::sign::SignError> {
        let sig = signer.sign(&sign_bytes(set, subject, round, &kind, from))?;
        Ok(Vote {
            subject: subject.to_owned(),
            round,
            from,
            kind,
            sig,
        })
    }

    /// Whether the signature is the claimed validator's, over these exact sign bytes.
    pub fn verify(&self, set: &ValidatorSet) -> bool {
        set.validators.get(self.from as usize).is_some_and(|v| {
            v.key.verify(
                &sign_bytes(set, &self.subject, self.round, &self.kind, self.from),
                &self.sig,
            )
        })
    }
}

/// A decision certificate: 2f+1 precommits for one value in one round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    pub subject: String,
    pub round: u64,
    pub decision: Decision,
    pub content: Map<String, Value>,
    /// (validator index, signature) of each precommit.
    pub precommits: Vec<(u16, [u8; 64])>,
}

impl Certificate {
    pub fn value(&self) -> ValueId {
        value_id(self.decision, &proposal_hash(&self.subject, &self.content))
    }

    /// Checks the certificate against a validator set: at least a quorum of distinct
    /// validators signed a precommit for this value in this round.
    pub fn verify(&self, set: &ValidatorSet) -> Result<(), String> {
        let value = self.value();
        let mut seen: Vec<u16> = Vec::new();
        for (from, sig) in &self.precommits {
            if seen.contains(from) {
                return Err(format!("validator {from} appears twice"));
            }
            let vote = Vote {
                subject: self.subject.clone(),
                round: self.round,
                from: *from,
                kind: Kind::Precommit(Some(value)),
                sig: *sig,
            };
            if !vote.verify(set) {
                return Err(format!("the precommit of validator {from} does not verify"));
            }
            seen.push(*from);
        }
        if seen.len() < set.quorum() {
            return Err(format!(
                "{} precommits, a quorum is {} of {}",
                seen.len(),
                set.quorum(),
                set.n()
            ));
        }
        Ok(())
    }
}
