//! The JSON shapes of answers that more than one front end prints: `--json` of the CLI
//! and `echoctl serve` write the same types, so an entry or a checkpoint reads the same
//! whichever way it was fetched.

use super::StoredEntry;
use crate::ledger::entry::hex;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

/// Standard base64, as checkpoints and proofs write hashes.
pub fn b64(h: &[u8]) -> String {
    B64.encode(h)
}

/// An entry in JSON: its fields plus its leaf hash, keys in byte order.
#[derive(Serialize)]
pub struct EntryJson<'a> {
    pub content: &'a Map<String, Value>,
    pub id: &'a str,
    pub kind: &'a str,
    pub leaf: String,
    pub prev: String,
    pub refs: &'a [String],
    pub seq: u64,
    pub signer: &'a str,
    pub source: &'a str,
    pub ts: &'a str,
    pub v: u32,
}

impl<'a> From<&'a StoredEntry> for EntryJson<'a> {
    fn from(e: &'a StoredEntry) -> Self {
        let x = &e.entry;
        EntryJson {
            content: &x.content,
            id: &x.id,
            kind: &x.kind,
            leaf: hex(&e.leaf),
            prev: hex(&x.prev),
            refs: &x.refs,
            seq: x.seq,
            signer: &x.signer,
            source: &x.source,
            ts: &x.ts,
            v: x.v,
        }
    }
}

/// A checkpoint in JSON.
#[derive(Serialize)]
pub struct CheckpointJson<'a> {
    pub origin: &'a str,
    pub root: String,
    pub size: u64,
}

impl<'a> From<&'a crate::ledger::checkpoint::Checkpoint> for CheckpointJson<'a> {
    fn from(cp: &'a crate::ledger::checkpoint::Checkpoint) -> Self {
        CheckpointJson {
            origin: &cp.origin,
            root: b64(&cp.root),
            size: cp.size,
        }
    }
}
