//! The validators file (TOML): cluster id, epoch and the validators, each with a name, a
//! C2SP verifier key and a TCP address.
//!
//! ```toml
//! cluster = "example.org/ops"
//! epoch = 1
//! [[validator]]
//! name = "alpha"
//! key = "alpha+1a2b3c4d+AbCd…"
//! address = "10.0.0.1:7100"
//! ```
//!
//! Refused at load: fewer than 4 validators, duplicate names, keys or addresses, a bad key
//! or address, an empty cluster id. The set hash (docs/PROTOCOL.md §3) covers the cluster,
//! the epoch and the names and keys in file order; addresses are not part of it, so a
//! validator can move without a new set.

use super::error::{BftError, Result};
use crate::sign::VerifierKey;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::Path;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    cluster: String,
    epoch: u64,
    /// Verifier keys whose signed submissions this validator admits (PROTOCOL.md §6).
    #[serde(default)]
    proposers: Vec<String>,
    validator: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    key: String,
    address: String,
}

/// One validator.
#[derive(Clone, Debug)]
pub struct Validator {
    pub name: String,
    pub key: VerifierKey,
    pub address: SocketAddr,
}

/// A validated validator set.
#[derive(Clone, Debug)]
pub struct ValidatorSet {
    pub cluster: String,
    pub epoch: u64,
    pub validators: Vec<Validator>,
    /// SHA-256 of the set's canonical encoding (PROTOCOL.md §3).
    pub hash: [u8; 32],
    /// Who may submit proposals: none listed, anyone (within the open budgets).
    /// Admission is each validator's own rule, not part of the set hash.
    pub proposers: Vec<VerifierKey>,
}

/// At most this many proposers in a validators file.
pub const MAX_PROPOSERS: usize = 16;

impl ValidatorSet {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| BftError::ReadValidators {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|e| match e {
            BftError::Validators { why, .. } => BftError::Validators {
                path: Some(path.to_owned()),
                why,
            },
            other => other,
        })
    }

    pub fn parse(text: &str) -> Result<Self> {
        let f: File = toml::from_str(text)
            .map_err(|e| BftError::validators(format!("not a validators file: {}", e.message())))?;
        if f.cluster.trim().is_empty() || f.cluster.len() > 255 {
            return Err(BftError::validators("the cluster id must be 1 to 255 bytes"));
        }
        let n = f.validator.len();
        if n < 4 {
            return Err(BftError::validators(format!(
                "{n} validators: at least 4 are needed to survive one Byzantine validator (n = 3f+1)"
            )));
        }
        if n > 256 {
            return Err(BftError::validators("at most 256 validators"));
        }
        let mut validators: Vec<Validator> = Vec::with_capacity(n);
        for e in f.validator {
            let key = VerifierKey::parse(&e.key)
                .map_err(|err| BftError::validators(format!("validator {:?}: {err}", e.name)))?;
            if key.alg != crate::sign::ALG_ED25519 {
                return Err(BftError::validators(format!(
                    "validator {:?}: not a signing key",
                    e.name
                )));
            }
            let address: SocketAddr = e.address.parse().map_err(|_| {
                BftError::validators(format!(
                    "validator {:?}: address {:?} is not HOST:PORT with an IP",
                    e.name, e.address
                ))
            })?;
            if e.name.is_empty() || e.name.len() > 255 {
                return Err(BftError::validators("a validator name must be 1 to 255 bytes"));
            }
            if validators.iter().any(|v| v.name == e.name) {
                return Err(BftError::validators(format!(
                    "validator name {:?} appears twice",
                    e.name
                )));
            }
            if validators.iter().any(|v| v.key.public_key == key.public_key) {
                return Err(BftError::validators(format!(
                    "validator {:?} has the same key as another",
                    e.name
                )));
            }
            if validators.iter().any(|v| v.address == address) {
                return Err(BftError::validators(format!(
                    "validator {:?} has the same address as another",
                    e.name
                )));
            }
            validators.push(Validator {
                name: e.name,
                key,
                address,
            });
        }
        if f.proposers.len() > MAX_PROPOSERS {
            return Err(BftError::validators(format!("at most {MAX_PROPOSERS} proposers")));
        }
        let mut proposers: Vec<VerifierKey> = Vec::new();
        for text in &f.proposers {
            let key = VerifierKey::parse(text)
                .map_err(|err| BftError::validators(format!("proposer {text:?}: {err}")))?;
            if key.alg != crate::sign::ALG_ED25519 {
                return Err(BftError::validators(format!(
                    "proposer {text:?}: not a signing key"
                )));
            }
            if proposers.iter().any(|p| p.identity() == key.identity()) {
                return Err(BftError::validators(format!("proposer {text:?} appears twice")));
            }
            proposers.push(key);
        }
        let hash = set_hash(&f.cluster, f.epoch, &validators);
        Ok(ValidatorSet {
            cluster: f.cluster,
            epoch: f.epoch,
            validators,
            hash,
            proposers,
        })
    }

    pub fn n(&self) -> usize {
        self.validators.len()
    }

    /// f = ⌊(n−1)/3⌋.
    pub fn f(&self) -> usize {
        (self.n() - 1) / 3
    }

    /// ⌊2n/3⌋ + 1.
    pub fn quorum(&self) -> usize {
        2 * self.n() / 3 + 1
    }

    /// The index of the proposer whose identity (`name+hex8`) is `identity`.
    pub fn proposer(&self, identity: &str) -> Option<usize> {
        self.proposers.iter().position(|p| p.identity() == identity)
    }

    /// The index of the validator with this public key.
    pub fn index_of(&self, public_key: &[u8; 32]) -> Option<usize> {
        self.validators
            .iter()
            .position(|v| v.key.public_key == *public_key)
    }
}

/// PROTOCOL.md §3: SHA-256("echoctl/bft/validators/v1" ‖ lp(cluster) ‖ epoch u64 ‖ n u16 ‖
/// for each: lp(name) ‖ lp(verifier key string)), lp = u16 big-endian length then bytes.
pub fn set_hash(cluster: &str, epoch: u64, validators: &[Validator]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"echoctl/bft/validators/v1");
    lp(&mut h, cluster.as_bytes());
    h.update(epoch.to_be_bytes());
    h.update((validators.len() as u16).to_be_bytes());
    for v in validators {
        lp(&mut h, v.name.as_bytes());
        lp(&mut h, v.key.to_string().as_bytes());
    }
    h.finalize().into()
}

fn lp(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u16).to_be_bytes());
    h.update(bytes);
}
