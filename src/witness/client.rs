//! The log's side of c2sp.org/tlog-witness: asks a witness to cosign the newest
//! checkpoint. It first sends `old 0` unless it knows better; a 409 names the size the
//! witness last cosigned, and the request is made once more with the consistency proof
//! from that size, read from the ledger's own tree.

use super::request;
use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::store::Reads;
use std::time::Duration;

/// What a witness answered.
#[derive(Debug)]
pub enum Answer {
    /// Its cosignature lines (not yet verified: the caller checks them with its key).
    Cosigned(String),
    /// It refused: the HTTP status and the text it gave.
    Refused { status: u16, text: String },
    /// It could not be reached, or did not answer in time.
    Unreachable(String),
}

/// The most bytes of an answer read.
const MAX_ANSWER: u64 = 64 * 1024;

/// An HTTP client for witnesses: 30 s per request, keep-alive.
pub fn http_client() -> Result<reqwest::blocking::Client, String> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())
}

fn post(http: &reqwest::blocking::Client, url: &str, body: String) -> Result<(u16, String), String> {
    use std::io::Read;
    let r = http
        .post(format!("{}/add-checkpoint", url.trim_end_matches('/')))
        .body(body)
        .send()
        .map_err(|e| crate::text::with_causes(&e))?;
    let status = r.status().as_u16();
    let mut text = String::new();
    r.take(MAX_ANSWER)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    Ok((status, text))
}

/// Asks the witness at `url` to cosign `note` (the checkpoint `cp` of the ledger `tree`).
pub fn request_cosignature(
    http: &reqwest::blocking::Client,
    url: &str,
    tree: &dyn Reads,
    cp: &Checkpoint,
    note: &str,
) -> Answer {
    let mut old = 0u64;
    for attempt in 0..2 {
        let proof = if old == 0 || old >= cp.size {
            Vec::new()
        } else {
            match crate::ledger::tree::consistency_path(tree, old, cp.size) {
                Ok(p) => p,
                Err(e) => return Answer::Unreachable(format!("cannot read the consistency proof: {e}")),
            }
        };
        let (status, text) = match post(http, url, request::encode(old, &proof, note)) {
            Ok(x) => x,
            Err(e) => return Answer::Unreachable(e),
        };
        match status {
            200 => return Answer::Cosigned(text),
            409 if attempt == 0 => match text.trim_end_matches('\n').parse::<u64>() {
                Ok(size) if size != old && size <= cp.size => old = size,
                _ => return Answer::Refused { status, text },
            },
            _ => return Answer::Refused { status, text },
        }
    }
    Answer::Refused {
        status: 409,
        text: "the witness's size moved while we asked".into(),
    }
}
