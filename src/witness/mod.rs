//! A witness on the network: c2sp.org/tlog-witness v1 `add-checkpoint` for any number of
//! logs (any log that speaks the protocol, not only Echo's), with cosignatures per
//! c2sp.org/tlog-cosignature (cosignature/v1, Ed25519) through the `Signer` trait (a key
//! file or a YubiHSM2 key).
//!
//! What the witness remembers of each log lives in an echoctl store (SQLite or
//! PostgreSQL), as records: space `witness/<origin>`, key the big-endian number of the
//! state (the newest is the largest key, found through the index), value `{"size":N,"root":"base64"}`. A new state is a new record, written in the
//! store's exclusive write transaction after reading the latest one (compare and swap:
//! two submissions racing for one log, in one process or several, are serialised by it,
//! and a record key written twice fails the transaction), and committed durably before
//! the answer is sent. The history of states is kept: nothing is ever overwritten, so a
//! restart never rolls the witness back.

pub mod client;
pub mod request;
pub mod serve;

use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::merkle;
use crate::ledger::store::{self, Location, Store, StoreError};
use crate::sign::{Signer, VerifierKey};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use request::AddCheckpoint;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

/// What went wrong setting a witness up.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    #[error("cannot read the logs file {path}: {source}")]
    ReadLogs { path: String, source: std::io::Error },
    #[error("the logs file {path} is not valid: {why}")]
    Logs { path: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the witness state {location} is damaged: {why}")]
    Damaged { location: String, why: String },
}

/// One log the witness follows.
#[derive(Clone, Debug)]
pub struct Log {
    pub origin: String,
    /// Its signing keys (type 0x01): a checkpoint needs a valid signature by one.
    pub keys: Vec<VerifierKey>,
    /// Requests per second for this log (0: no limit).
    pub rate: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsFile {
    #[serde(default)]
    log: Vec<LogEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogEntry {
    origin: String,
    keys: Vec<String>,
    #[serde(default)]
    rate: u32,
}

/// Reads a logs file (TOML: `[[log]]` tables of `origin`, `keys`, optional `rate`).
pub fn load_logs(path: &std::path::Path) -> Result<Vec<Log>, WitnessError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| WitnessError::ReadLogs {
        path: shown.clone(),
        source,
    })?;
    let bad = |why: String| WitnessError::Logs {
        path: shown.clone(),
        why,
    };
    let file: LogsFile = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let mut logs: Vec<Log> = Vec::new();
    for l in file.log {
        if logs.iter().any(|o| o.origin == l.origin) {
            return Err(bad(format!("the log {:?} is listed twice", l.origin)));
        }
        let keys = l
            .keys
            .iter()
            .map(|k| VerifierKey::parse(k).map_err(|e| bad(format!("log {:?}: {e}", l.origin))))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() || keys.iter().any(|k| k.alg != crate::sign::ALG_ED25519) {
            return Err(bad(format!(
                "log {:?}: give one or more log signing keys",
                l.origin
            )));
        }
        logs.push(Log {
            origin: l.origin,
            keys,
            rate: l.rate,
        });
    }
    if logs.is_empty() {
        return Err(bad("it lists no log ([[log]] with origin and keys)".into()));
    }
    Ok(logs)
}

/// A witness's memory of one log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seen {
    pub size: u64,
    /// base64 root hash.
    pub root: String,
}

/// The answer to an `add-checkpoint` request (the HTTP statuses of the protocol).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200: the cosignature lines.
    Cosigned(String),
    /// 400: malformed, or old is past the checkpoint's size.
    BadRequest(String),
    /// 403: no signature by a key of the log verifies.
    Forbidden,
    /// 404: the witness does not follow this origin.
    UnknownLog,
    /// 409: `old` is not the size last cosigned (given), or the same size has another
    /// root (a split view).
    Conflict { size: u64, why: &'static str },
    /// 422: the consistency proof does not verify, or is not empty where it must be.
    Unprocessable(String),
}

fn space(origin: &str) -> String {
    format!("witness/{origin}")
}

/// A witness: its key, its logs and its state.
pub struct Witness {
    signer: Mutex<Box<dyn Signer>>,
    name: String,
    logs: HashMap<String, Log>,
    state: Mutex<Box<dyn Store>>,
}

impl Witness {
    /// Opens (or creates) the state at `at`.
    pub fn open(signer: Box<dyn Signer>, logs: Vec<Log>, at: &Location) -> Result<Witness, WitnessError> {
        let state = match store::open(at, store::Mode::ReadWrite) {
            Ok(s) => s,
            Err(StoreError::Missing(_)) => store::create(at)?,
            Err(e) => return Err(e.into()),
        };
        Ok(Witness {
            name: signer.name().to_owned(),
            signer: Mutex::new(signer),
            logs: logs.into_iter().map(|l| (l.origin.clone(), l)).collect(),
            state: Mutex::new(state),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn log(&self, origin: &str) -> Option<&Log> {
        self.logs.get(origin)
    }

    /// The verifier key of this witness's cosignatures (type 0x04).
    pub fn verifier(&self) -> VerifierKey {
        let s = self.signer.lock().unwrap_or_else(|p| p.into_inner());
        VerifierKey::cosigner(s.name(), s.public_key())
    }

    /// The latest state of `origin`, if the witness ever cosigned for it.
    pub fn seen(&self, origin: &str) -> Result<Option<Seen>, WitnessError> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        latest(st.as_ref(), origin, st.location()).map(|(seen, _)| seen)
    }

    /// Handles one request, `now`: seconds since the epoch for the cosignature.
    pub fn add_checkpoint(&self, req: &AddCheckpoint, now: u64) -> Result<Outcome, WitnessError> {
        let cp = &req.checkpoint;
        let Some(log) = self.logs.get(&cp.origin) else {
            return Ok(Outcome::UnknownLog);
        };
        if !cp.valid_signers(&log.keys).is_ok_and(|v| !v.is_empty()) {
            return Ok(Outcome::Forbidden);
        }
        if req.old > cp.size {
            return Ok(Outcome::BadRequest(format!(
                "old size {} is past the checkpoint's size {}",
                req.old, cp.size
            )));
        }
        let root = B64.encode(cp.root);
        {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let location = st.location().clone();
            let mut tx = st.write()?;
            let (last, next_number) = latest(tx.as_ref(), &cp.origin, &location)?;
            let last_size = last.as_ref().map_or(0, |s| s.size);
            if req.old != last_size {
                return Ok(Outcome::Conflict {
                    size: last_size,
                    why: "old is not the size this witness last cosigned",
                });
            }
            if let Some(refused) = check_extension(req, last.as_ref(), &root) {
                return Ok(refused);
            }
            let next = Seen {
                size: cp.size,
                root: root.clone(),
            };
            if last.as_ref() != Some(&next) {
                let value = serde_json::to_vec(&next).unwrap_or_default();
                tx.put_record(&space(&cp.origin), &next_number.to_be_bytes(), &value)?;
                tx.commit()?;
            }
        }
        let line = {
            let s = self.signer.lock().unwrap_or_else(|p| p.into_inner());
            crate::ledger::witness::cosign_with(s.as_ref(), cp, now)
        };
        match line {
            Ok(l) => Ok(Outcome::Cosigned(l)),
            Err(e) => Err(WitnessError::Damaged {
                location: "the witness key".into(),
                why: e.to_string(),
            }),
        }
    }
}

/// Whether the checkpoint extends what was last cosigned, by the request's proof.
fn check_extension(req: &AddCheckpoint, last: Option<&Seen>, root: &str) -> Option<Outcome> {
    let cp: &Checkpoint = &req.checkpoint;
    if req.old == 0 {
        return (!req.proof.is_empty())
            .then(|| Outcome::Unprocessable("a consistency proof from size 0 must be empty".into()));
    }
    let last = last?;
    if req.old == cp.size {
        if last.root != root {
            return Some(Outcome::Conflict {
                size: last.size,
                why: "another root at the size this witness last cosigned: a split view",
            });
        }
        return (!req.proof.is_empty())
            .then(|| Outcome::Unprocessable("a consistency proof between equal sizes must be empty".into()));
    }
    let old_root = B64.decode(&last.root).unwrap_or_default();
    match merkle::verify_consistency(req.old, cp.size, &req.proof, &old_root, &cp.root) {
        Ok(()) => None,
        Err(e) => Some(Outcome::Unprocessable(format!(
            "the consistency proof does not verify: {e}"
        ))),
    }
}

/// The newest state of `origin`, and the number its successor's record takes. Found
/// through the records' index (the largest key), whatever the length of the history.
fn latest(
    r: &dyn crate::ledger::store::Reads,
    origin: &str,
    location: &Location,
) -> Result<(Option<Seen>, u64), WitnessError> {
    let Some((key, value)) = r.last_record(&space(origin))? else {
        return Ok((None, 0));
    };
    let damaged = |why: String| WitnessError::Damaged {
        location: location.to_string(),
        why,
    };
    let number = <[u8; 8]>::try_from(key.as_slice())
        .map(u64::from_be_bytes)
        .map_err(|_| {
            damaged(format!(
                "a state record of {origin:?} has a key of {} bytes",
                key.len()
            ))
        })?;
    let seen =
        serde_json::from_slice(&value).map_err(|e| damaged(format!("state {number} of {origin:?}: {e}")))?;
    Ok((Some(seen), number + 1))
}

/// `ledger witness cosign`: the offline witness, on the same state as `witness serve`
/// (records in the store at `at`, compare and swap in its write transaction). The
/// checkpoint is checked against the newest state of its origin as
/// `ledger::witness::check_consistent` rules (a stale size, a split view, or a missing or
/// wrong proof is refused); the state moves, durably, before the cosignature is made.
pub fn cosign_offline(
    at: &Location,
    signer: &dyn Signer,
    note: &str,
    proof: Option<&crate::ledger::proof::ConsistencyProof>,
    log_key: Option<&VerifierKey>,
    now: u64,
) -> crate::ledger::Result<String> {
    use crate::ledger::witness::{check_consistent, WitnessState};
    use crate::ledger::LedgerError;
    let cp = Checkpoint::parse(note)?;
    let mut st = match store::open(at, store::Mode::ReadWrite) {
        Ok(s) => s,
        Err(StoreError::Missing(_)) => store::create(at)?,
        Err(e) => return Err(e.into()),
    };
    let location = st.location().clone();
    let mut tx = st.write()?;
    let (last, next_number) = latest(tx.as_ref(), &cp.origin, &location).map_err(|e| match e {
        WitnessError::Store(s) => LedgerError::Store(s),
        other => LedgerError::damaged(other.to_string()),
    })?;
    let last = last.map(|s| WitnessState {
        origin: cp.origin.clone(),
        size: s.size,
        root: s.root,
    });
    let next = check_consistent(&cp, note, last.as_ref(), proof, log_key)?;
    if last.as_ref() != Some(&next) {
        let value = serde_json::to_vec(&Seen {
            size: next.size,
            root: next.root.clone(),
        })
        .unwrap_or_default();
        tx.put_record(&space(&cp.origin), &next_number.to_be_bytes(), &value)?;
        tx.commit()?;
    }
    crate::ledger::witness::cosign_with(signer, &cp, now)
}
