//! The key history: which keys may sign a ledger at each point of it. The genesis entry
//! names the first keys; `key` entries add, revoke and rotate keys. A writer and a verifier
//! apply the same rules (docs/FORMAT.md §4.1):
//!
//! - an entry's `signer` must be active at the entry's seq;
//! - `add` names a key never seen before; `revoke` names an active key and leaves at least
//!   one other; `rotate` does both in one entry;
//! - a checkpoint covering entries `a..b` counts a signature by a key that was active at
//!   some point of that range (added by an entry below `b`, not revoked below `a`); a
//!   valid signature by a key revoked before `a` fails verification.

use super::checkpoint::Checkpoint;
use crate::sign::VerifierKey;
use serde_json::{Map, Value};

pub use super::kinds::KIND_KEY;

/// Why a `key` entry is malformed or breaks the key rules.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyRuleError {
    #[error("a key entry needs a string {}", crate::text::quoted(.0))]
    Field(&'static str),
    #[error("{field}: {why}")]
    BadKey { field: &'static str, why: String },
    #[error("{0} must be a signing key (type 0x01)")]
    NotSigning(&'static str),
    #[error("a key entry needs a non-empty reason")]
    NoReason,
    #[error("unknown key action {} (expected add, revoke or rotate)", crate::text::quoted(.0))]
    Action(String),
    #[error("a key {0} entry has unexpected fields")]
    Fields(&'static str),
    #[error("key {0} was revoked and cannot come back")]
    CannotReturn(String),
    #[error("key {0} is already a key of this ledger")]
    AlreadyKnown(String),
    #[error("another key already has the identity {0}")]
    IdentityTaken(String),
    #[error("key {0} is not an active key of this ledger")]
    NotActive(String),
    #[error("revoking {0} would leave the ledger without a signing key")]
    LastKey(String),
    #[error("a rotation must name a different key")]
    SameKey,
    #[error("it carries a signature by {key}, which was revoked at seq {at}")]
    RevokedSigner { key: String, at: u64 },
    #[error("signer {0} is not a key of this ledger")]
    UnknownSigner(String),
    #[error("{0}")]
    BadSignature(String),
}

/// What a `key` entry does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// A new signing key, alongside the others (a second signature during a migration).
    Add { key: VerifierKey, reason: String },
    /// A key that may no longer sign anything after this entry.
    Revoke { key: VerifierKey, reason: String },
    /// `replaces` is revoked and `key` added, in one entry.
    Rotate {
        key: VerifierKey,
        replaces: Box<VerifierKey>,
        reason: String,
    },
}

impl KeyChange {
    /// Parses the content of a `key` entry: `{"action", "key", "replaces"?, "reason"}`.
    pub fn from_content(c: &Map<String, Value>) -> Result<Self, KeyRuleError> {
        let text = |field: &'static str| -> Result<&str, KeyRuleError> {
            c.get(field)
                .and_then(Value::as_str)
                .ok_or(KeyRuleError::Field(field))
        };
        let vkey = |field: &'static str| -> Result<VerifierKey, KeyRuleError> {
            let k = VerifierKey::parse(text(field)?).map_err(|e| KeyRuleError::BadKey {
                field,
                why: e.to_string(),
            })?;
            if k.alg != crate::sign::ALG_ED25519 {
                return Err(KeyRuleError::NotSigning(field));
            }
            Ok(k)
        };
        let reason = text("reason")?.to_owned();
        if reason.trim().is_empty() {
            return Err(KeyRuleError::NoReason);
        }
        let action = text("action")?;
        let (change, fields) = match action {
            "add" => (
                KeyChange::Add {
                    key: vkey("key")?,
                    reason,
                },
                3,
            ),
            "revoke" => (
                KeyChange::Revoke {
                    key: vkey("key")?,
                    reason,
                },
                3,
            ),
            "rotate" => (
                KeyChange::Rotate {
                    key: vkey("key")?,
                    replaces: Box::new(vkey("replaces")?),
                    reason,
                },
                4,
            ),
            other => return Err(KeyRuleError::Action(other.to_owned())),
        };
        if c.len() != fields {
            return Err(KeyRuleError::Fields(match action {
                "add" => "add",
                "revoke" => "revoke",
                _ => "rotate",
            }));
        }
        Ok(change)
    }

    /// The entry content.
    pub fn to_content(&self) -> Map<String, Value> {
        let mut c = Map::new();
        let (action, key, replaces, reason) = match self {
            KeyChange::Add { key, reason } => ("add", key, None, reason),
            KeyChange::Revoke { key, reason } => ("revoke", key, None, reason),
            KeyChange::Rotate {
                key,
                replaces,
                reason,
            } => ("rotate", key, Some(replaces.as_ref()), reason),
        };
        c.insert("action".into(), Value::String(action.into()));
        c.insert("key".into(), Value::String(key.to_string()));
        if let Some(r) = replaces {
            c.insert("replaces".into(), Value::String(r.to_string()));
        }
        c.insert("reason".into(), Value::String(reason.clone()));
        c
    }

    pub fn action(&self) -> &'static str {
        match self {
            KeyChange::Add { .. } => "add",
            KeyChange::Revoke { .. } => "revoke",
            KeyChange::Rotate { .. } => "rotate",
        }
    }
}

/// One key the ledger has known.
#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub key: VerifierKey,
    /// The seq of the entry that added it; None for a genesis key.
    pub added: Option<u64>,
    /// The seq of the entry that revoked (or rotated away) it.
    pub revoked: Option<u64>,
    /// Whether the caller's trust reaches it: pinned, or added by a trusted signer.
    pub trusted: bool,
}

impl KeyRecord {
    /// Whether it may sign the entry at `seq`.
    pub fn active_at(&self, seq: u64) -> bool {
        self.added.is_none_or(|a| a < seq) && self.revoked.is_none_or(|r| seq <= r)
    }

    /// Whether its signature counts on a checkpoint newly covering entries `from..to`.
    pub fn counts_for(&self, from: u64, to: u64) -> bool {
        self.added.is_none_or(|a| a < to) && self.revoked.is_none_or(|r| r >= from)
    }
}

/// Every key a ledger has known, genesis keys first, in the order they appeared.
#[derive(Clone, Debug, Default)]
pub struct KeyHistory {
    pub keys: Vec<KeyRecord>,
}

impl KeyHistory {
    /// The history right after the genesis entry. `pinned` keys (the caller's trust
    /// anchors) are trusted; with none pinned, the genesis keys are.
    pub fn from_genesis(keys: &[VerifierKey], pinned: &[VerifierKey]) -> Self {
        KeyHistory {
            keys: keys
                .iter()
                .map(|k| KeyRecord {
                    key: k.clone(),
                    added: None,
                    revoked: None,
                    trusted: pinned.is_empty() || pinned.contains(k),
                })
                .collect(),
        }
    }

    /// The index of the key whose identity (`name+hex8`) is `identity`.
    pub fn position(&self, identity: &str) -> Option<usize> {
        self.keys.iter().position(|r| r.key.identity() == identity)
    }

    fn position_of(&self, key: &VerifierKey) -> Option<usize> {
        self.keys.iter().position(|r| r.key == *key)
    }

    /// The keys that may sign the entry at `seq`.
    pub fn active_at(&self, seq: u64) -> impl Iterator<Item = &VerifierKey> {
        self.keys.iter().filter(move |r| r.active_at(seq)).map(|r| &r.key)
    }

    /// Checks the signatures of a checkpoint newly covering entries `from..to`: the
    /// indices of the keys whose valid signatures count, or why it must be refused (a
    /// valid signature by a key revoked before `from`).
    pub fn check_checkpoint(&self, cp: &Checkpoint, from: u64, to: u64) -> Result<Vec<usize>, KeyRuleError> {
        let keys: Vec<VerifierKey> = self.keys.iter().map(|r| r.key.clone()).collect();
        let valid = cp
            .valid_signers(&keys)
            .map_err(|e| KeyRuleError::BadSignature(e.to_string()))?;
        let mut counted = Vec::new();
        for (i, r) in self.keys.iter().enumerate() {
            if !valid.contains(&&r.key) {
                continue;
            }
            if r.counts_for(from, to) {
                counted.push(i);
            } else if let Some(rev) = r.revoked.filter(|&rev| rev < from) {
                return Err(KeyRuleError::RevokedSigner {
                    key: r.key.identity(),
                    at: rev,
                });
            }
        }
        Ok(counted)
    }

    /// Applies the `key` entry at `seq` signed by key `signer` (an index, already checked
    /// to be active), or says why the rules forbid it. `pinned` is as in `from_genesis`.
    pub fn apply(
        &mut self,
        seq: u64,
        signer: usize,
        change: &KeyChange,
        pinned: &[VerifierKey],
    ) -> Result<(), KeyRuleError> {
        let signer_trusted = self.keys.get(signer).is_some_and(|r| r.trusted);
        let add = |h: &mut Self, key: &VerifierKey| -> Result<(), KeyRuleError> {
            if let Some(i) = h.position_of(key) {
                return Err(if h.keys[i].revoked.is_some() {
                    KeyRuleError::CannotReturn(key.identity())
                } else {
                    KeyRuleError::AlreadyKnown(key.identity())
                });
            }
            if h.keys.iter().any(|r| r.key.identity() == key.identity()) {
                return Err(KeyRuleError::IdentityTaken(key.identity()));
            }
            h.keys.push(KeyRecord {
                key: key.clone(),
                added: Some(seq),
                revoked: None,
                trusted: signer_trusted || pinned.contains(key),
            });
            Ok(())
        };
        let revoke = |h: &mut Self, key: &VerifierKey, others_after: usize| -> Result<(), KeyRuleError> {
            let Some(i) = h.position_of(key).filter(|&i| h.keys[i].active_at(seq)) else {
                return Err(KeyRuleError::NotActive(key.identity()));
            };
            if h.active_at(seq).count() + others_after <= 1 {
                return Err(KeyRuleError::LastKey(key.identity()));
            }
            h.keys[i].revoked = Some(seq);
            Ok(())
        };
        match change {
            KeyChange::Add { key, .. } => add(self, key),
            KeyChange::Revoke { key, .. } => revoke(self, key, 0),
            KeyChange::Rotate { key, replaces, .. } => {
                if key == replaces.as_ref() {
                    return Err(KeyRuleError::SameKey);
                }
                revoke(self, replaces, 1)?;
                add(self, key)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::file::KeyFile;
    use crate::sign::Signer;

    fn key(n: u8) -> VerifierKey {
        KeyFile::from_seed("example.com/log", [n; 32]).unwrap().verifier()
    }

    #[test]
    fn content_round_trips_and_is_strict() {
        let c = KeyChange::Rotate {
            key: key(2),
            replaces: Box::new(key(1)),
            reason: "yearly".into(),
        };
        assert_eq!(KeyChange::from_content(&c.to_content()).unwrap(), c);
        let mut extra = c.to_content();
        extra.insert("x".into(), Value::Bool(true));
        assert!(KeyChange::from_content(&extra).is_err());
        let mut blank = c.to_content();
        blank.insert("reason".into(), Value::String(" ".into()));
        assert!(KeyChange::from_content(&blank).is_err());
    }

    #[test]
    fn history_rules() {
        let mut h = KeyHistory::from_genesis(&[key(1)], &[]);
        let reason = String::from("r");
        // Revoking the only key is refused.
        let only = KeyChange::Revoke {
            key: key(1),
            reason: reason.clone(),
        };
        assert!(h.apply(1, 0, &only, &[]).is_err());
        // Rotate 1 -> 2 at seq 3.
        let rot = KeyChange::Rotate {
            key: key(2),
            replaces: Box::new(key(1)),
            reason: reason.clone(),
        };
        h.apply(3, 0, &rot, &[]).unwrap();
        assert!(h.keys[0].active_at(3) && !h.keys[0].active_at(4));
        assert!(!h.keys[1].active_at(3) && h.keys[1].active_at(4));
        assert!(h.keys[0].counts_for(2, 5) && !h.keys[0].counts_for(4, 5));
        assert!(h.keys[1].trusted);
        // A revoked key cannot come back, and an active one cannot be added twice.
        let back = KeyChange::Add {
            key: key(1),
            reason: reason.clone(),
        };
        assert!(h
            .apply(5, 1, &back, &[])
            .unwrap_err()
            .to_string()
            .contains("revoked"));
        let twice = KeyChange::Add { key: key(2), reason };
        assert!(h.apply(5, 1, &twice, &[]).is_err());
    }

    #[test]
    fn trust_follows_trusted_signers_only() {
        // Pinned: key 1 only; genesis has keys 1 and 3.
        let mut h = KeyHistory::from_genesis(&[key(1), key(3)], &[key(1)]);
        assert!(h.keys[0].trusted && !h.keys[1].trusted);
        let by_untrusted = KeyChange::Add {
            key: key(4),
            reason: "r".into(),
        };
        h.apply(1, 1, &by_untrusted, &[key(1)]).unwrap();
        assert!(!h.keys[2].trusted);
        let by_trusted = KeyChange::Add {
            key: key(5),
            reason: "r".into(),
        };
        h.apply(2, 0, &by_trusted, &[key(1)]).unwrap();
        assert!(h.keys[3].trusted);
    }
}
