//! Every frame of the protocol, typed (docs/PROTOCOL.md §2): `Frame` is what a validator
//! reads — peer messages and client requests — and `Reply` what it answers. Unknown fields
//! are ignored; an unknown `type`, a missing or malformed field, or a value outside its
//! documented range refuses the frame (`Frame::parse` / `Reply::parse` say why).

use super::admission::Submission;
use super::consensus::{Kind, ValueId};
use super::message::{Certificate, Decision, Vote};
use super::wire::check_subject;
use crate::ledger::entry::{hex, parse_hash_hex};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Rounds above this are refused.
pub const MAX_ROUND: u64 = 1_000_000;
/// A certificate lists at most this many precommits (the largest validator set).
pub const MAX_PRECOMMITS: usize = 256;
/// The longest wait a query may ask for, in milliseconds; larger values are lowered to it.
pub const MAX_WAIT_MS: u64 = 10_000;

/// 32 bytes as 64 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hex32(pub [u8; 32]);

impl Serialize for Hex32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Hex32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_hash_hex(&s)
            .map(Hex32)
            .ok_or_else(|| serde::de::Error::custom("expected 64 lower-case hex digits"))
    }
}

/// An Ed25519 signature as standard base64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sig64(pub [u8; 64]);

impl Serialize for Sig64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Sig64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        B64.decode(s.as_bytes())
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
            .map(Sig64)
            .ok_or_else(|| serde::de::Error::custom("a signature must be 64 bytes of base64"))
    }
}

/// The step a vote belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VoteKind {
    Proposal,
    Prevote,
    Precommit,
}

/// A signed consensus message (§4): for a proposal also its valid round, its decision and
/// content, and the submission that admitted it (§6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoteFrame {
    pub kind: VoteKind,
    pub subject: String,
    pub round: u64,
    pub from: u16,
    /// The value id; null (or absent) for nil.
    #[serde(default)]
    pub value: Option<Hex32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_round: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<Submission>,
    pub sig: Sig64,
}

/// The proposal a `proposal` vote carries, from which its value id is recomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalBody {
    pub decision: Decision,
    pub content: Map<String, Value>,
}

impl VoteFrame {
    /// The frame of a vote; a proposal's carries `body` and `submission`.
    pub fn new(v: &Vote, body: Option<&ProposalBody>, submission: Option<&Submission>) -> Self {
        let (kind, value, valid_round) = match &v.kind {
            Kind::Proposal { value, valid_round } => (VoteKind::Proposal, Some(*value), *valid_round),
            Kind::Prevote(x) => (VoteKind::Prevote, *x, None),
            Kind::Precommit(x) => (VoteKind::Precommit, *x, None),
        };
        let proposal = kind == VoteKind::Proposal;
        VoteFrame {
            kind,
            subject: v.subject.clone(),
            round: v.round,
            from: v.from,
            value: value.map(Hex32),
            valid_round,
            decision: body.filter(|_| proposal).map(|b| b.decision),
            content: body.filter(|_| proposal).map(|b| b.content.clone()),
            submission: submission.filter(|_| proposal).cloned(),
            sig: Sig64(v.sig),
        }
    }

    /// The vote it carries (its signature is checked later, against the validator set),
    /// and a proposal's body.
    pub fn vote(&self) -> Result<(Vote, Option<ProposalBody>), String> {
        check_subject(&self.subject)?;
        if self.round > MAX_ROUND {
            return Err(format!("round {} is above {MAX_ROUND}", self.round));
        }
        let value: Option<ValueId> = self.value.map(|h| h.0);
        let mut body = None;
        let kind = match self.kind {
            VoteKind::Proposal => {
                let value = value.ok_or("a proposal has a value")?;
                if self.valid_round.is_some_and(|vr| vr >= self.round) {
                    return Err("a proposal's valid round must be below its round".into());
                }
                match (&self.decision, &self.content) {
                    (Some(d), Some(c)) => {
                        body = Some(ProposalBody {
                            decision: *d,
                            content: c.clone(),
                        })
                    }
                    _ => return Err("a proposal carries its decision and content".into()),
                }
                Kind::Proposal {
                    value,
                    valid_round: self.valid_round,
                }
            }
            VoteKind::Prevote => Kind::Prevote(value),
            VoteKind::Precommit => Kind::Precommit(value),
        };
        Ok((
            Vote {
                subject: self.subject.clone(),
                round: self.round,
                from: self.from,
                kind,
                sig: self.sig.0,
            },
            body,
        ))
    }
}

/// One precommit of a certificate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrecommitFrame {
    pub validator: u16,
    pub sig: Sig64,
}

/// A decision (§5); `value` is informative, the receiver recomputes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateFrame {
    pub subject: String,
    pub round: u64,
    pub decision: Decision,
    pub content: Map<String, Value>,
    #[serde(default)]
    pub value: Option<Hex32>,
    pub precommits: Vec<PrecommitFrame>,
}

impl CertificateFrame {
    pub fn new(c: &Certificate) -> Self {
        CertificateFrame {
            subject: c.subject.clone(),
            round: c.round,
            decision: c.decision,
            content: c.content.clone(),
            value: Some(Hex32(c.value())),
            precommits: c
                .precommits
                .iter()
                .map(|(i, s)| PrecommitFrame {
                    validator: *i,
                    sig: Sig64(*s),
                })
                .collect(),
        }
    }

    /// The certificate (its signatures are checked by `Certificate::verify`).
    pub fn certificate(&self) -> Result<Certificate, String> {
        check_subject(&self.subject)?;
        if self.precommits.len() > MAX_PRECOMMITS {
            return Err("too many precommits".into());
        }
        Ok(Certificate {
            subject: self.subject.clone(),
            round: self.round,
            decision: self.decision,
            content: self.content.clone(),
            precommits: self.precommits.iter().map(|p| (p.validator, p.sig.0)).collect(),
        })
    }
}

/// A client's proposal (§6): signed by a proposer when the validators file lists them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmitFrame {
    pub subject: String,
    pub content: Map<String, Value>,
    /// The proposer's identity (`name+hex8` of its verifier key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposer: Option<String>,
    /// Its signature over the submission bytes (§6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<Sig64>,
}

impl SubmitFrame {
    /// The submission it carries, if signed; a proposer without a signature (or the
    /// reverse) is malformed.
    pub fn submission(&self) -> Result<Option<Submission>, String> {
        match (&self.proposer, self.sig) {
            (None, None) => Ok(None),
            (Some(p), Some(sig)) => Ok(Some(Submission {
                proposer: p.clone(),
                sig,
            })),
            _ => Err("a signed submission has both proposer and sig".into()),
        }
    }
}

/// What a validator reads: peer messages and client requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    Vote(VoteFrame),
    Certificate(CertificateFrame),
    Submit(SubmitFrame),
    Query {
        subject: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        wait_ms: Option<u64>,
    },
    Status {
        /// A fresh random challenge: the answer is signed over it (§2).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<Hex32>,
    },
    Operator {
        subject: String,
        decision: Decision,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Pending,
    /// The decisions in the answering validator's ledger from seq `from` on, stamped at or
    /// after `since` (an entry timestamp): how a validator that was cut off catches up.
    Decisions {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<String>,
    },
}

impl Frame {
    /// Parses a frame's bytes; the error says what is wrong with it.
    pub fn parse(bytes: &[u8]) -> Result<Frame, String> {
        serde_json::from_slice(bytes).map_err(|e| {
            let object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
            if !e.is_syntax() && !e.is_eof() && !object {
                return "a frame is not a JSON object".to_owned();
            }
            describe(e, "a frame")
        })
    }

    /// Whether it is a validator-to-validator message (no answer).
    pub fn is_peer(&self) -> bool {
        matches!(self, Frame::Vote(_) | Frame::Certificate(_))
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

fn describe(e: serde_json::Error, what: &str) -> String {
    if e.is_syntax() || e.is_eof() {
        format!("{what} is not JSON: {e}")
    } else {
        format!("{what} is malformed: {e}")
    }
}

/// One subject in progress, as `status` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InProgress {
    pub subject: String,
    pub round: u64,
    pub step: String,
}

/// One recent decision, as `status` lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecentDecision {
    pub subject: String,
    pub decision: Decision,
    pub round: u64,
}

/// A peer as `status` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerStatus {
    pub name: String,
    pub address: String,
    pub up: bool,
    #[serde(rename = "self")]
    pub is_self: bool,
}

/// A validator's answer to `status` (§2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusReply {
    pub name: String,
    pub index: u16,
    pub cluster: String,
    pub epoch: u64,
    pub validators_hash: Hex32,
    /// How many subjects are in progress; `in_progress` lists at most 100 of them.
    #[serde(default)]
    pub open: u64,
    pub in_progress: Vec<InProgress>,
    pub recent_decisions: Vec<RecentDecision>,
    pub peers: Vec<PeerStatus>,
    /// Subjects this validator decided since it started (each once).
    pub decisions: u64,
    /// Pairs of conflicting votes held as evidence of equivocation (kept in its ledger).
    pub evidence: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Hex32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<Sig64>,
}

/// A proposal waiting for the operator (`--policy manual`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingItem {
    pub subject: String,
    pub content: Map<String, Value>,
}

/// What a validator answers a client request with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    Ok,
    Error {
        message: String,
    },
    Certificate(CertificateFrame),
    Undecided {
        round: u64,
        step: String,
    },
    Unknown,
    /// Released undecided: no other validator took part (PROTOCOL.md §7); submit again.
    Released,
    Status(Box<StatusReply>),
    Pending {
        pending: Vec<PendingItem>,
    },
    /// A page of decisions: ask again from `next` while `more`.
    Decisions {
        certificates: Vec<CertificateFrame>,
        next: u64,
        more: bool,
    },
}

impl Reply {
    pub fn parse(bytes: &[u8]) -> Result<Reply, String> {
        serde_json::from_slice(bytes).map_err(|e| describe(e, "an answer"))
    }

    pub fn error(message: impl Into<String>) -> Reply {
        Reply::Error {
            message: message.into(),
        }
    }
}
