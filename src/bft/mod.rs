//! Byzantine-fault-tolerant decisions among `echoctl` validators (DESIGN.md, "BFT decision
//! core"; the wire is docs/PROTOCOL.md):
//!
//! - `consensus`: one single-shot Tendermint instance per subject, a pure state machine;
//! - `sim`: its deterministic simulation (used by the tests and a benchmark);
//! - `validators`: the validators file; `message`: sign bytes, votes, certificates;
//! - `wire`: framing and frames; `guard`: votes made durable before they are sent;
//! - `node`: a validator process; `client`: propose, vote, status.

pub mod client;
pub mod consensus;
pub mod guard;
pub mod message;
pub mod node;
pub mod sim;
pub mod validators;
pub mod wire;

use crate::sign::VerifierKey;
use serde_json::{Map, Value};

/// `ledger verify` on a `decision` entry that carries a `bft` object: the recorded
/// validator set hashes to the recorded hash, and the certificate holds a quorum of valid
/// precommits by that set for the recorded decision and content.
pub fn check_decision_entry(content: &Map<String, Value>) -> Option<Result<(), String>> {
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
                key: VerifierKey::parse(key).map_err(|e| e.message)?,
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
        };
        let cert = wire::parse_certificate(bft)?;
        cert.verify(&set)
            .map_err(|why| format!("the decision certificate is invalid: {why}"))
    })())
}
