//! The body of a c2sp.org/tlog-witness `add-checkpoint` request: an `old N` line, at most
//! 63 base64 hash lines (the consistency proof), an empty line, and the checkpoint note.

use crate::ledger::checkpoint::Checkpoint;
use crate::ledger::merkle::Hash;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// The largest body a witness reads: a checkpoint of a few KiB with its signatures, and
/// 63 proof lines, fit many times over.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most consistency proof lines the protocol allows.
pub const MAX_PROOF_LINES: usize = 63;

/// A parsed request.
#[derive(Debug)]
pub struct AddCheckpoint {
    pub old: u64,
    pub proof: Vec<Hash>,
    pub checkpoint: Checkpoint,
    /// The checkpoint note as sent.
    pub note: String,
}

/// Parses a request body; the error says what is malformed (a 400).
pub fn parse(body: &[u8]) -> Result<AddCheckpoint, String> {
    if body.len() > MAX_BODY_BYTES {
        return Err(format!("the body is larger than {MAX_BODY_BYTES} bytes"));
    }
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
    let (first, mut rest) = text
        .split_once('\n')
        .ok_or_else(|| "the body has no old size line".to_owned())?;
    let old = first
        .strip_prefix("old ")
        .filter(|n| is_decimal(n))
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| {
            format!("{first:?} is not an old size line ('old N', N decimal without leading zeroes)")
        })?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest
            .split_once('\n')
            .ok_or_else(|| "the proof lines do not end with an empty line".to_owned())?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(format!("more than {MAX_PROOF_LINES} consistency proof lines"));
        }
        let hash: Hash = B64
            .decode(line)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("proof line {} is not a base64 SHA-256 hash", proof.len() + 1))?;
        proof.push(hash);
    }
    let checkpoint = Checkpoint::parse(rest).map_err(|e| format!("the checkpoint is malformed: {e}"))?;
    Ok(AddCheckpoint {
        old,
        proof,
        checkpoint,
        note: rest.to_owned(),
    })
}

fn is_decimal(n: &str) -> bool {
    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
}

/// The body of a request, for the log's side.
pub fn encode(old: u64, proof: &[Hash], note: &str) -> String {
    let mut s = format!("old {old}\n");
    for h in proof {
        s.push_str(&B64.encode(h));
        s.push('\n');
    }
    s.push('\n');
    s.push_str(note);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A checkpoint note with a (meaningless) signature of the right length.
    fn note() -> String {
        format!(
            "example.com/log\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u{2014} example.com/log {}\n",
            B64.encode([0u8; 68])
        )
    }

    #[test]
    fn a_request_parses_back_from_its_encoding() {
        let note = note();
        let body = encode(7, &[[1; 32], [2; 32]], &note);
        let r = parse(body.as_bytes()).unwrap();
        assert_eq!((r.old, r.proof.len(), r.note.as_str()), (7, 2, note.as_str()));
        assert_eq!(r.proof[1], [2; 32]);
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        let n = note();
        for (body, says) in [
            (format!("old 01\n\n{n}"), "old size line"),
            (format!("old -1\n\n{n}"), "old size line"),
            (format!("new 1\n\n{n}"), "old size line"),
            (format!("old 1\nnot base64!\n\n{n}"), "not a base64"),
            (format!("old 1\nAAAA\n\n{n}"), "not a base64"),
            (
                format!("old 1\n{}\n{n}", vec![B64.encode([0u8; 32]); 64].join("\n")),
                "more than 63",
            ),
            ("old 1\n".to_owned(), "do not end"),
            ("old 1\n\nnot a checkpoint".to_owned(), "malformed"),
            ("x".repeat(MAX_BODY_BYTES + 1), "larger than"),
        ] {
            let e = parse(body.as_bytes()).unwrap_err();
            assert!(e.contains(says), "{says}: {e}");
        }
    }
}
