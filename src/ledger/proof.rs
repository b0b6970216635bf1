//! Proofs that travel in files: receipts (a C2SP tlog-proof whose `extra` line carries
//! the entry's canonical bytes) and consistency proofs between two checkpoints. Both are
//! built from stored tree nodes, O(log n) reads, and verified with no ledger at all.

use super::checkpoint::Checkpoint;
use super::entry::Entry;
use super::error::{Document, LedgerError, Result};
use super::kinds::Kinds;
use super::merkle::{self, Hash};
use super::tree::{consistency_path, inclusion_path};
use super::Ledger;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The first line of a receipt.
pub const RECEIPT_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// The `format` of a consistency proof document.
pub const CONSISTENCY_FORMAT: &str = "echoctl/consistency-proof@v1";
/// Receipts and consistency proofs larger than this are refused unread.
pub const MAX_PROOF_BYTES: usize = 1 << 20;

/// A receipt: an entry, its inclusion path and the signed checkpoint it is included in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    pub index: u64,
    pub entry: Vec<u8>,
    pub path: Vec<Hash>,
    /// The checkpoint note verbatim (with any witness cosignatures).
    pub note: String,
}

impl Receipt {
    pub fn encode(&self) -> String {
        let mut s = format!(
            "{RECEIPT_HEADER}\nextra {}\nindex {}\n",
            B64.encode(&self.entry),
            self.index
        );
        for h in &self.path {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.note);
        s
    }

    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| LedgerError::malformed(Document::Receipt, why);
        if text.len() > MAX_PROOF_BYTES {
            return Err(bad("larger than 1 MiB"));
        }
        let (head, note) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.lines();
        if lines.next() != Some(RECEIPT_HEADER) {
            return Err(bad(&format!("the first line must be {RECEIPT_HEADER}")));
        }
        let extra = lines
            .next()
            .and_then(|l| l.strip_prefix("extra "))
            .ok_or_else(|| bad("no extra line with the entry"))?;
        let entry = B64.decode(extra).map_err(|_| bad("the entry is not base64"))?;
        let index = lines
            .next()
            .and_then(|l| l.strip_prefix("index "))
            .filter(|n| {
                !n.is_empty()
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && (n.len() == 1 || !n.starts_with('0'))
            })
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad("no valid index line"))?;
        let path = lines
            .map(|l| {
                B64.decode(l)
                    .ok()
                    .and_then(|h| Hash::try_from(h).ok())
                    .ok_or_else(|| bad("a proof line is not a 32-byte base64 hash"))
            })
            .collect::<Result<Vec<_>>>()?;
        if path.len() > 64 {
            return Err(bad("the inclusion path is longer than any tree is high"));
        }
        Ok(Receipt {
            index,
            entry,
            path,
            note: note.to_owned(),
        })
    }

    /// Verifies the receipt offline: the entry is canonical, of a known kind and at
    /// `index`, it is included in the checkpoint's tree, and `trusted` accepts the
    /// checkpoint. Returns the entry and checkpoint.
    pub fn verify(
        &self,
        kinds: &Kinds,
        trusted: &dyn Fn(&Checkpoint) -> Result<(), String>,
    ) -> Result<(Entry, Checkpoint)> {
        let invalid = |why: String| LedgerError::Invalid(format!("the receipt does not verify: {why}"));
        let cp = Checkpoint::parse(&self.note)?;
        let entry = Entry::parse_canonical(&self.entry).map_err(|e| invalid(e.to_string()))?;
        if !kinds.knows(&entry.kind) {
            return Err(invalid(format!(
                "unknown kind {}",
                crate::text::quoted(&entry.kind)
            )));
        }
        if entry.seq != self.index {
            return Err(invalid(format!(
                "the entry says it is entry {}, the proof is for index {}",
                entry.seq, self.index
            )));
        }
        let leaf = merkle::leaf_hash(&self.entry);
        merkle::verify_inclusion(self.index, cp.size, &leaf, &self.path, &cp.root)
            .map_err(|e| invalid(e.0))?;
        trusted(&cp).map_err(invalid)?;
        Ok((entry, cp))
    }
}

/// A consistency proof between two checkpoints of one log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub format: String,
    /// The older checkpoint note, verbatim.
    pub old: String,
    /// The newer checkpoint note, verbatim.
    pub new: String,
    /// RFC 9162 §2.1.4 consistency path, base64.
    pub proof: Vec<String>,
}

impl ConsistencyProof {
    pub fn parse(text: &str) -> Result<Self> {
        if text.len() > MAX_PROOF_BYTES {
            return Err(LedgerError::malformed(
                Document::ConsistencyProof,
                "larger than 1 MiB",
            ));
        }
        let p: ConsistencyProof = serde_json::from_str(text)
            .map_err(|e| LedgerError::malformed(Document::ConsistencyProof, e.to_string()))?;
        if p.format != CONSISTENCY_FORMAT {
            return Err(LedgerError::malformed(
                Document::ConsistencyProof,
                format!("format must be {CONSISTENCY_FORMAT}"),
            ));
        }
        Ok(p)
    }

    fn path(&self) -> Result<Vec<Hash>> {
        if self.proof.len() > 128 {
            return Err(LedgerError::malformed(
                Document::ConsistencyProof,
                "too many hashes",
            ));
        }
        self.proof
            .iter()
            .map(|h| {
                B64.decode(h)
                    .ok()
                    .and_then(|v| Hash::try_from(v).ok())
                    .ok_or_else(|| {
                        LedgerError::malformed(Document::ConsistencyProof, "a hash is not 32 bytes of base64")
                    })
            })
            .collect()
    }

    /// Verifies offline: same origin, both checkpoints accepted by `trusted`, and the proof
    /// shows the newer tree extends the older one.
    pub fn verify(
        &self,
        trusted: &dyn Fn(&Checkpoint) -> Result<(), String>,
    ) -> Result<(Checkpoint, Checkpoint)> {
        let invalid =
            |why: String| LedgerError::Invalid(format!("the consistency proof does not verify: {why}"));
        let old = Checkpoint::parse(&self.old)?;
        let new = Checkpoint::parse(&self.new)?;
        if old.origin != new.origin {
            return Err(invalid("the checkpoints are of different logs".into()));
        }
        trusted(&old).map_err(|e| invalid(format!("old checkpoint: {e}")))?;
        trusted(&new).map_err(|e| invalid(format!("new checkpoint: {e}")))?;
        merkle::verify_consistency(old.size, new.size, &self.path()?, &old.root, &new.root)
            .map_err(|e| invalid(e.0))?;
        Ok((old, new))
    }
}

/// The note of the stored checkpoint of `size` (default: the newest) with its stored
/// cosignatures, if any.
pub fn stored_checkpoint(ledger: &Ledger, size: Option<u64>) -> Result<String> {
    let r = ledger.store();
    let found = r.checkpoint(size)?;
    let (_, note) = found.ok_or_else(|| match size {
        Some(size) => LedgerError::NoCheckpoint {
            size,
            nearest: r.nearest_checkpoints(size, 5).unwrap_or_default(),
        },
        None => LedgerError::NoCheckpoints,
    })?;
    super::witness::with_cosignatures(r, &note)
}

/// Builds a receipt for the entry at `seq` against the checkpoint of `size` (default:
/// the newest).
pub fn receipt(ledger: &Ledger, seq: u64, size: Option<u64>) -> Result<Receipt> {
    let note = stored_checkpoint(ledger, size)?;
    let cp = Checkpoint::parse(&note)?;
    if seq >= cp.size {
        return Err(LedgerError::NotCovered { seq, size: cp.size });
    }
    let r = ledger.store();
    let entry = r
        .body(seq)?
        .ok_or_else(|| LedgerError::damaged(format!("entry {seq} is missing")))?;
    let path = inclusion_path(r, seq, cp.size)?;
    let receipt = Receipt {
        index: seq,
        entry,
        path,
        note,
    };
    // Never hand out a receipt that does not verify: the stored nodes may be damaged.
    receipt
        .verify(ledger.kinds(), &|_| Ok(()))
        .map_err(|e| LedgerError::damaged(e.to_string()))?;
    Ok(receipt)
}

/// Requires a valid signature on `cp` by a key of the ledger's history added below its
/// size, and no line under a known key that does not verify (§4).
fn signed_by_history(history: &super::keys::KeyHistory, cp: &Checkpoint, which: &str) -> Result<()> {
    let keys: Vec<_> = history
        .keys
        .iter()
        .filter(|r| r.counts_for(0, cp.size))
        .map(|r| r.key.clone())
        .collect();
    let invalid =
        |why: String| LedgerError::Invalid(format!("the {which} checkpoint (size {}) {why}", cp.size));
    match cp.valid_signers(&keys) {
        Err(e) => Err(invalid(e.to_string())),
        Ok(v) if v.is_empty() => Err(invalid(
            "carries no valid signature by a key of this ledger".into(),
        )),
        Ok(_) => Ok(()),
    }
}

/// Builds the consistency proof from the checkpoint `old` to `new` (default: the newest
/// stored checkpoint). Fails with `Invalid` when the ledger does not extend `old`.
pub fn consistency(
    ledger: &Ledger,
    old: &Checkpoint,
    old_note: &str,
    new_note: Option<&str>,
) -> Result<ConsistencyProof> {
    let new_note = match new_note {
        Some(n) => n.to_owned(),
        None => stored_checkpoint(ledger, None)?,
    };
    let new = Checkpoint::parse(&new_note)?;
    let origin = &ledger.genesis.origin;
    if old.origin != *origin || new.origin != *origin {
        return Err(LedgerError::Mismatch(
            "the checkpoint is not of this ledger (another origin)".into(),
        ));
    }
    if old.size > new.size {
        return Err(LedgerError::Mismatch(format!(
            "the old checkpoint ({}) is larger than the new one ({})",
            old.size, new.size
        )));
    }
    let history = ledger.key_history()?;
    signed_by_history(&history, old, "old")?;
    signed_by_history(&history, &new, "new")?;
    let size = ledger.size()?;
    if new.size > size {
        return Err(LedgerError::Invalid(format!(
            "the ledger holds {size} entries, fewer than the checkpoint's {}",
            new.size
        )));
    }
    let path = consistency_path(ledger.store(), old.size, new.size)?;
    let proof = ConsistencyProof {
        format: CONSISTENCY_FORMAT.into(),
        old: old_note.to_owned(),
        new: new_note,
        proof: path.iter().map(|h| B64.encode(h)).collect(),
    };
    proof.verify(&|_| Ok(())).map_err(|e| {
        LedgerError::Invalid(format!(
            "this ledger is not consistent with the given checkpoint: {e}"
        ))
    })?;
    Ok(proof)
}
