//! Witness cosignatures (C2SP `cosignature/v1`, Ed25519, signature type 0x04): making
//! one only for a checkpoint consistent with the last one this witness cosigned for the
//! log, checking them, and keeping them beside the ledger's checkpoints. A witness's
//! memory is kept by the `witness` feature, in a store (`crate::witness`).

use super::checkpoint::{BadSignature, Checkpoint};
use super::error::{Document, LedgerError, Result};
use super::proof::ConsistencyProof;
use super::store::{Reads, Writes};
use crate::sign::file::KeyFile;
use crate::sign::{Signer, VerifierKey, ALG_COSIGNATURE_V1};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// What a witness remembers of a log: the largest checkpoint it cosigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessState {
    pub origin: String,
    pub size: u64,
    /// base64 root hash.
    pub root: String,
}

/// The signed message of an Ed25519 cosignature/v1.
pub fn cosigned_message(cp: &Checkpoint, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{}", cp.body())
}

/// The cosigner (witness) verifier key of a key file: type 0x04.
pub fn cosigner_key(key: &KeyFile) -> VerifierKey {
    VerifierKey::cosigner(key.name(), key.public_key())
}

/// A cosignature line for `cp` at `timestamp` (seconds since the epoch).
pub fn cosign(key: &KeyFile, cp: &Checkpoint, timestamp: u64) -> Result<String> {
    cosign_with(key, cp, timestamp)
}

/// A cosignature line for `cp` at `timestamp` by any signer (a key file, an HSM key).
pub fn cosign_with(key: &dyn Signer, cp: &Checkpoint, timestamp: u64) -> Result<String> {
    let sig = key
        .sign(cosigned_message(cp, timestamp).as_bytes())
        .map_err(LedgerError::from)?;
    let vk = VerifierKey::cosigner(key.name(), key.public_key());
    let mut raw = vk.key_id.to_be_bytes().to_vec();
    raw.extend_from_slice(&timestamp.to_be_bytes());
    raw.extend_from_slice(&sig);
    Ok(format!("\u{2014} {} {}\n", vk.name, B64.encode(raw)))
}

/// Whether a signature line is `key`'s valid cosignature of `cp`.
fn cosigns(cp: &Checkpoint, key: &VerifierKey, s: &super::checkpoint::NoteSignature) -> bool {
    if s.sig.len() != 72 {
        return false;
    }
    let timestamp = u64::from_be_bytes(s.sig[..8].try_into().unwrap_or([0; 8]));
    let sig: [u8; 64] = s.sig[8..].try_into().unwrap_or([0; 64]);
    timestamp < (1 << 63) && key.verify(cosigned_message(cp, timestamp).as_bytes(), &sig)
}

/// The witnesses among `keys` (type 0x04) with a valid cosignature on `cp`; a line under
/// a witness's name and key ID that does not verify rejects the note, as for signatures.
pub fn valid_cosigners<'k>(
    cp: &Checkpoint,
    keys: &'k [VerifierKey],
) -> Result<Vec<&'k VerifierKey>, BadSignature> {
    let mut out = Vec::new();
    for k in keys.iter().filter(|k| k.alg == ALG_COSIGNATURE_V1) {
        let mut lines = cp
            .signatures
            .iter()
            .filter(|s| s.name == k.name && s.key_id == k.key_id)
            .peekable();
        if lines.peek().is_none() {
            continue;
        }
        if !lines.all(|s| cosigns(cp, k, s)) {
            return Err(BadSignature(k.identity()));
        }
        out.push(k);
    }
    Ok(out)
}

/// Whether `cp` carries a valid signature by `key` (and no invalid one under its name).
fn signed_by(cp: &Checkpoint, key: &VerifierKey) -> bool {
    cp.valid_signers(std::slice::from_ref(key))
        .is_ok_and(|v| !v.is_empty())
}

/// Decides whether a witness may cosign `cp`, given what it cosigned before. Returns the
/// new state. Refusals are `Invalid` (exit 1): a stale checkpoint, a fork, or a larger
/// checkpoint without a proof that it extends the last one.
pub fn check_consistent(
    cp: &Checkpoint,
    note: &str,
    state: Option<&WitnessState>,
    proof: Option<&ConsistencyProof>,
    log_key: Option<&VerifierKey>,
) -> Result<WitnessState> {
    if let Some(k) = log_key {
        if !signed_by(cp, k) {
            return Err(LedgerError::Invalid(
                "the checkpoint is not signed by the log's key".into(),
            ));
        }
    }
    let root = B64.encode(cp.root);
    let next = WitnessState {
        origin: cp.origin.clone(),
        size: cp.size,
        root: root.clone(),
    };
    let Some(last) = state else {
        return Ok(next);
    };
    if last.origin != cp.origin {
        return Err(LedgerError::Mismatch(format!(
            "the witness state is for {}, the checkpoint for {}",
            last.origin, cp.origin
        )));
    }
    if cp.size < last.size {
        return Err(LedgerError::Invalid(format!(
            "stale checkpoint: size {} is older than the size {} this witness already cosigned",
            cp.size, last.size
        )));
    }
    if cp.size == last.size {
        if root != last.root {
            return Err(LedgerError::Invalid(format!(
                "split view: the log shows two different trees of size {}; refusing to cosign",
                cp.size
            )));
        }
        return Ok(next);
    }
    let Some(proof) = proof else {
        return Err(LedgerError::Invalid(format!(
            "this witness cosigned size {} before: a consistency proof from it to size {} is required",
            last.size, cp.size
        )));
    };
    let (old, new) = proof.verify(&|c| match log_key {
        Some(k) if !signed_by(c, k) => Err("not signed by the log's key".into()),
        _ => Ok(()),
    })?;
    if old.size != last.size || B64.encode(old.root) != last.root {
        return Err(LedgerError::Invalid(
            "split view: the consistency proof starts from a checkpoint this witness never cosigned".into(),
        ));
    }
    if new.body() != cp.body() {
        let _ = note;
        return Err(LedgerError::Invalid(
            "the consistency proof ends at another checkpoint than the one to cosign".into(),
        ));
    }
    Ok(next)
}

pub fn with_cosignatures(r: &dyn Reads, note: &str) -> Result<String> {
    let cp = Checkpoint::parse(note)?;
    let mut out = note.to_owned();
    for line in r.cosignatures(cp.size)? {
        if !out.contains(&line) {
            out.push_str(&line);
        }
    }
    Ok(out)
}

/// Stores cosignature lines for the checkpoint of `size` (default: the newest), all or
/// none: each line must be a valid cosignature/v1 of that very checkpoint by one of
/// `witnesses` (type-0x04 verifier keys). A line by another key, or one that does not
/// verify (made for another checkpoint, or damaged), is refused (`Invalid`).
pub(crate) fn add_cosignatures(
    tx: &mut dyn Writes,
    size: Option<u64>,
    lines: &str,
    witnesses: &[VerifierKey],
) -> Result<usize> {
    if let Some(k) = witnesses.iter().find(|k| k.alg != ALG_COSIGNATURE_V1) {
        return Err(LedgerError::malformed(
            Document::Cosignature,
            format!("{} is not a witness key (type 0x04)", k.identity()),
        ));
    }
    let stored = tx.checkpoint(size)?;
    let (size, note) = stored.ok_or_else(|| match size {
        Some(size) => LedgerError::NoCheckpoint {
            size,
            nearest: Vec::new(),
        },
        None => LedgerError::NoCheckpoints,
    })?;
    let cp = Checkpoint::parse(&note)?;
    let mut accepted = Vec::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let probe = format!("{}\n{line}\n", cp.body());
        let parsed = Checkpoint::parse(&probe).map_err(|e| match e {
            LedgerError::Malformed { why, .. } => LedgerError::malformed(Document::Cosignature, why),
            other => other,
        })?;
        let sig = &parsed.signatures[0];
        if sig.sig.len() != 72 {
            return Err(LedgerError::malformed(
                Document::Cosignature,
                "not a cosignature/v1 line (timestamp and Ed25519 signature)",
            ));
        }
        let Some(key) = witnesses
            .iter()
            .find(|k| k.name == sig.name && k.key_id == sig.key_id)
        else {
            return Err(LedgerError::Invalid(format!(
                "the cosignature by {} is not by any of the given witness keys",
                sig.name
            )));
        };
        if !cosigns(&cp, key, sig) {
            return Err(LedgerError::Invalid(format!(
                "the cosignature by {} does not verify for the checkpoint of size {size}",
                key.identity()
            )));
        }
        accepted.push(format!("{line}\n"));
    }
    let mut added = 0;
    for line in accepted {
        added += usize::from(tx.insert_cosignature(size, &line)?);
    }
    Ok(added)
}
