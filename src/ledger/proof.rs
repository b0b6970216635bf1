//! Proofs that travel in files: receipts (a C2SP tlog-proof whose `extra` line carries
//! the entry's canonical bytes) and consistency proofs between two checkpoints. Both are
//! built from stored tree nodes, O(log n) reads, and verified with no ledger at all.

use super::checkpoint::Checkpoint;
use super::entry::Entry;
use super::merkle::{self, Hash};
use super::Ledger;
use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rusqlite::OptionalExtension;
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
        let bad = |why: &str| Error::input(format!("malformed receipt: {why}"));
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

    /// Verifies the receipt offline: the entry is canonical and at `index`, it is included
    /// in the checkpoint's tree, and `trusted` accepts the checkpoint. Returns the entry
    /// and checkpoint.
    pub fn verify(&self, trusted: &dyn Fn(&Checkpoint) -> Result<(), String>) -> Result<(Entry, Checkpoint)> {
        let invalid = |why: String| Error::invalid(format!("the receipt does not verify: {why}"));
        let cp = Checkpoint::parse(&self.note)?;
        let entry = Entry::parse_canonical(&self.entry).map_err(invalid)?;
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
            return Err(Error::input("malformed consistency proof: larger than 1 MiB"));
        }
        let p: ConsistencyProof = serde_json::from_str(text)
            .map_err(|e| Error::input(format!("malformed consistency proof: {e}")))?;
        if p.format != CONSISTENCY_FORMAT {
            return Err(Error::input(format!(
                "malformed consistency proof: format must be {CONSISTENCY_FORMAT}"
            )));
        }
        Ok(p)
    }

    fn path(&self) -> Result<Vec<Hash>> {
        if self.proof.len() > 128 {
            return Err(Error::input("malformed consistency proof: too many hashes"));
        }
        self.proof
            .iter()
            .map(|h| {
                B64.decode(h)
                    .ok()
                    .and_then(|v| Hash::try_from(v).ok())
                    .ok_or_else(|| {
                        Error::input("malformed consistency proof: a hash is not 32 bytes of base64")
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
        let invalid = |why: String| Error::invalid(format!("the consistency proof does not verify: {why}"));
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

/// The note of the stored checkpoint of `size` with its stored cosignatures, if any.
pub fn stored_checkpoint(ledger: &Ledger, size: Option<u64>) -> Result<String> {
    let conn = &ledger.conn;
    let note: Option<String> = match size {
        Some(s) => conn
            .query_row("SELECT note FROM checkpoints WHERE size = ?1", [s], |r| r.get(0))
            .optional()?,
        None => conn
            .query_row(
                "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?,
    };
    let note = note.ok_or_else(|| match size {
        Some(s) => Error::input(format!("there is no checkpoint of size {s}"))
            .hint("'echoctl ledger log' lists entries; every command that appended wrote one checkpoint"),
        None => Error::env("the ledger has no checkpoint"),
    })?;
    super::witness::with_cosignatures(conn, &note)
}

/// Builds a receipt for the entry at `seq` against the checkpoint of `size` (default:
/// the newest).
pub fn receipt(ledger: &Ledger, seq: u64, size: Option<u64>) -> Result<Receipt> {
    let note = stored_checkpoint(ledger, size)?;
    let cp = Checkpoint::parse(&note)?;
    if seq >= cp.size {
        return Err(Error::input(format!(
            "entry {seq} is not covered by the checkpoint of size {}",
            cp.size
        ))
        .hint("choose a later checkpoint with --size"));
    }
    let entry: Vec<u8> = ledger
        .conn
        .query_row("SELECT body FROM entries WHERE seq = ?1", [seq], |r| r.get(0))?;
    let path = super::inclusion_path(&ledger.conn, seq, cp.size)?;
    let r = Receipt {
        index: seq,
        entry,
        path,
        note,
    };
    // Never hand out a receipt that does not verify: the stored nodes may be damaged.
    r.verify(&|_| Ok(())).map_err(|e| {
        Error::env(format!("the ledger is damaged: {}", e.message)).hint("run 'echoctl ledger verify'")
    })?;
    Ok(r)
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
    if old.origin != ledger.genesis.origin || new.origin != ledger.genesis.origin {
        return Err(Error::input(
            "the checkpoint is not of this ledger (another origin)",
        ));
    }
    if old.size > new.size {
        return Err(Error::input(format!(
            "the old checkpoint ({}) is larger than the new one ({})",
            old.size, new.size
        )));
    }
    let size = ledger.size()?;
    if new.size > size {
        return Err(Error::invalid(format!(
            "the ledger holds {size} entries, fewer than the checkpoint's {}",
            new.size
        )));
    }
    let path = consistency_path(&ledger.conn, old.size, new.size)?;
    let proof = ConsistencyProof {
        format: CONSISTENCY_FORMAT.into(),
        old: old_note.to_owned(),
        new: new_note,
        proof: path.iter().map(|h| B64.encode(h)).collect(),
    };
    proof.verify(&|_| Ok(())).map_err(|e| {
        Error::invalid(format!(
            "this ledger is not consistent with the given checkpoint: {}",
            e.message
        ))
    })?;
    Ok(proof)
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[0:n], true) from stored nodes.
pub(crate) fn consistency_path(conn: &rusqlite::Connection, m: u64, n: u64) -> Result<Vec<Hash>> {
    if m == 0 || m >= n {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    subproof(conn, m, 0, n, true, &mut out)?;
    Ok(out)
}

fn subproof(
    conn: &rusqlite::Connection,
    m: u64,
    lo: u64,
    hi: u64,
    b: bool,
    out: &mut Vec<Hash>,
) -> Result<()> {
    let n = hi - lo;
    if m == n {
        if !b {
            out.push(super::range_hash(conn, lo, hi)?);
        }
        return Ok(());
    }
    let k = merkle::largest_power_of_two_below(n);
    if m <= k {
        subproof(conn, m, lo, lo + k, b, out)?;
        out.push(super::range_hash(conn, lo + k, hi)?);
    } else {
        subproof(conn, m - k, lo + k, hi, false, out)?;
        out.push(super::range_hash(conn, lo, lo + k)?);
    }
    Ok(())
}
