//! Byzantine-fault-tolerant decisions among `echoctl` validators (DESIGN.md, "BFT decision
//! core"; the wire is docs/PROTOCOL.md):
//!
//! - `consensus`: one single-shot Tendermint instance per subject, a pure state machine;
//! - `sim`: its deterministic simulation (used by the tests and a benchmark);
//! - `validators`: the validators file; `message`: sign bytes, votes, certificates;
//! - `wire`: framing and frames; `guard`: votes made durable before they are sent;
//! - `node`: a validator process; `client`: propose, vote, status.

pub mod admission;
pub mod client;
pub mod consensus;
pub mod error;
pub mod frames;
pub mod guard;
pub mod kinds;
pub mod message;
pub mod node;
pub mod sim;
pub mod validators;
pub mod wire;

pub use error::BftError;
pub use kinds::{Bft, Vouched};

use crate::sign::VerifierKey;
use serde_json::{Map, Value};

/// What `ledger verify` learns from a BFT decision entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionFacts {
    pub cluster: String,
    pub subject: String,
    /// The hash of the validator set that certified it.
    pub set_hash: [u8; 32],
    /// For an approved validator-set change: the hash of the new set.
    pub approves_set: Option<[u8; 32]>,
}

/// The set a validator-set change proposal names (`{"validator_set": {"cluster", "epoch",
/// "validators": [{"name", "key", "address"}]}}`), checked like a validators file.
pub fn proposed_set(content: &Map<String, Value>) -> Option<Result<validators::ValidatorSet, String>> {
    let vs = content.get("validator_set")?;
    Some((|| {
        let cluster = vs
            .get("cluster")
            .and_then(Value::as_str)
            .ok_or("validator_set.cluster missing")?;
        let epoch = vs
            .get("epoch")
            .and_then(Value::as_u64)
            .ok_or("validator_set.epoch missing")?;
        let list = vs
            .get("validators")
            .and_then(Value::as_array)
            .ok_or("validator_set.validators missing")?;
        let mut toml = format!("cluster = {}\nepoch = {epoch}\n", toml_string(cluster));
        for v in list {
            let f = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .map(toml_string)
                    .ok_or(format!("a validator needs {k}"))
            };
            toml.push_str(&format!(
                "[[validator]]\nname = {}\nkey = {}\naddress = {}\n",
                f("name")?,
                f("key")?,
                f("address")?
            ));
        }
        validators::ValidatorSet::parse(&toml).map_err(|e| e.to_string())
    })())
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The content of a proposal to move from one validator set to the next.
pub fn set_change_content(next: &validators::ValidatorSet) -> Map<String, Value> {
    let validators: Vec<Value> = next
        .validators
        .iter()
        .map(|v| serde_json::json!({"name": v.name, "key": v.key.to_string(), "address": v.address.to_string()}))
        .collect();
    let mut m = Map::new();
    m.insert(
        "text".into(),
        Value::String(format!("validator set {} epoch {}", next.cluster, next.epoch)),
    );
    m.insert(
        "validator_set".into(),
        serde_json::json!({"cluster": next.cluster, "epoch": next.epoch, "validators": validators}),
    );
    m
}

/// `ledger verify` on a `decision` entry that carries a `bft` object: the recorded
/// validator set hashes to the recorded hash, and the certificate holds a quorum of valid
/// precommits by that set for the recorded decision and content.
pub fn check_decision_entry(content: &Map<String, Value>) -> Option<Result<DecisionFacts, String>> {
    let bft = content.get("bft")?;
    Some((|| {
        let list = bft
            .get("validators")
            .and_then(Value::as_array)
            .ok_or("bft.validators must be an array")?;
        let mut validators = Vec::new();
        for (i, v) in list.iter().enumerate() {
            let name = v
                .get("name")
                .and_then(Value::as_str)
                .ok_or("a validator needs a name")?;
            let key = v
                .get("key")
                .and_then(Value::as_str)
                .ok_or("a validator needs a key")?;
            validators.push(validators::Validator {
                name: name.to_owned(),
                key: VerifierKey::parse(key).map_err(|e| e.to_string())?,
                address: std::net::SocketAddr::from(([0, 0, 0, 0], i as u16)),
            });
        }
        if validators.len() < 4 {
            return Err("fewer than 4 validators".to_string());
        }
        let cluster = bft
            .get("cluster")
            .and_then(Value::as_str)
            .ok_or("bft.cluster missing")?;
        let epoch = bft
            .get("epoch")
            .and_then(Value::as_u64)
            .ok_or("bft.epoch missing")?;
        let hash = validators::set_hash(cluster, epoch, &validators);
        if bft.get("validators_hash").and_then(Value::as_str)
            != Some(crate::ledger::entry::hex(&hash).as_str())
        {
            return Err("the recorded validator set does not hash to validators_hash".to_string());
        }
        let set = validators::ValidatorSet {
            cluster: cluster.to_owned(),
            epoch,
            validators,
            hash,
            proposers: Vec::new(),
        };
        let cert = wire::parse_certificate(bft)?;
        cert.verify(&set)
            .map_err(|why| format!("the decision certificate is invalid: {why}"))?;
        let approves_set = match (cert.decision, proposed_set(&cert.content)) {
            (message::Decision::Approve, Some(Ok(next))) => Some(next.hash),
            _ => None,
        };
        Ok(DecisionFacts {
            cluster: cluster.to_owned(),
            subject: cert.subject.clone(),
            set_hash: hash,
            approves_set,
        })
    })())
}
