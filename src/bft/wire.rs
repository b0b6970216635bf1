//! Framing (docs/PROTOCOL.md §1): each frame is a u32 big-endian length (1 to
//! `MAX_FRAME`) and that many bytes of one JSON object. A receiver waits at most `idle`
//! for a frame to start and then at most `whole` for the rest of it to arrive, reading
//! only the bytes that came (no allocation by a declared length beyond the limit). The
//! frames themselves are typed in `frames`; the helpers at the end give the JSON forms
//! that ledger entries record.

pub use super::frames::ProposalBody;
use super::frames::{CertificateFrame, VoteFrame};
use super::message::{Certificate, Vote};
use serde::Serialize;
use serde_json::Value;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The largest frame accepted: 128 KiB (a proposal's content is at most 16 KiB).
pub const MAX_FRAME: u32 = 128 * 1024;
/// The longest subject accepted, in bytes.
pub const MAX_SUBJECT: usize = 256;

/// Why no frame could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("no frame started within {0:?}")]
    Idle(Duration),
    #[error("a frame must arrive whole within {0:?} of its first byte")]
    Slow(Duration),
    #[error("frame length {0} is outside 1..={MAX_FRAME}")]
    Length(u32),
    #[error("the connection closed in the middle of a frame")]
    Cut,
    #[error("read: {0}")]
    Io(String),
}

/// Reads one frame's bytes from `r`, with no deadline. `Ok(None)` at a clean end of stream.
pub fn read_bytes(r: &mut impl Read) -> Result<Option<Vec<u8>>, ReadError> {
    let mut first = [0u8; 1];
    loop {
        match r.read(&mut first) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e.to_string())),
        }
    }
    rest_of_frame(r, first[0], &mut |_| Ok(()))
}

/// Reads one frame's bytes from a socket: it must start within `idle` and arrive whole
/// within `whole` of its first byte. `Ok(None)` at a clean end of stream.
pub fn read_bytes_by(
    s: &mut TcpStream,
    idle: Duration,
    whole: Duration,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut first = [0u8; 1];
    let _ = s.set_read_timeout(Some(idle));
    loop {
        match s.read(&mut first) {
            Ok(0) => return Ok(None),
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(ReadError::Idle(idle))
            }
            Err(e) => return Err(ReadError::Io(e.to_string())),
        }
    }
    let deadline = Instant::now() + whole;
    let timer = s.try_clone().map_err(|e| ReadError::Io(e.to_string()))?;
    let mut before_read = |_: ()| {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ReadError::Slow(whole));
        }
        let _ = timer.set_read_timeout(Some(left));
        Ok(())
    };
    rest_of_frame(s, first[0], &mut before_read).map_err(|e| match e {
        ReadError::Io(_) if Instant::now() >= deadline => ReadError::Slow(whole),
        other => other,
    })
}

/// The rest of a frame whose first byte is `first`; `before_read` runs before each read.
fn rest_of_frame(
    r: &mut impl Read,
    first: u8,
    before_read: &mut dyn FnMut(()) -> Result<(), ReadError>,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut len = [first, 0, 0, 0];
    fill(r, &mut len[1..], before_read)?;
    let n = u32::from_be_bytes(len);
    if n == 0 || n > MAX_FRAME {
        return Err(ReadError::Length(n));
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    while buf.len() < n as usize {
        let want = (n as usize - buf.len()).min(chunk.len());
        fill(r, &mut chunk[..want], before_read)?;
        buf.extend_from_slice(&chunk[..want]);
    }
    Ok(Some(buf))
}

fn fill(
    r: &mut impl Read,
    mut out: &mut [u8],
    before_read: &mut dyn FnMut(()) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    while !out.is_empty() {
        before_read(())?;
        match r.read(out) {
            Ok(0) => return Err(ReadError::Cut),
            Ok(k) => out = &mut out[k..],
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(ReadError::Io(e.to_string())),
        }
    }
    Ok(())
}

/// Reads one frame as a JSON object, with no deadline. `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> Result<Option<Value>, String> {
    let Some(buf) = read_bytes(r).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let v: Value = serde_json::from_slice(&buf).map_err(|e| format!("frame is not JSON: {e}"))?;
    if !v.is_object() {
        return Err("frame is not a JSON object".into());
    }
    Ok(Some(v))
}

/// A frame's bytes: length and JSON.
pub fn encode(v: &impl Serialize) -> std::io::Result<Vec<u8>> {
    let bytes = serde_json::to_vec(v).map_err(std::io::Error::other)?;
    if bytes.is_empty() || bytes.len() > MAX_FRAME as usize {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut frame = Vec::with_capacity(4 + bytes.len());
    frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    frame.extend_from_slice(&bytes);
    Ok(frame)
}

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, v: &impl Serialize) -> std::io::Result<()> {
    w.write_all(&encode(v)?)?;
    w.flush()
}

/// A subject: 1 to 256 bytes, no control characters.
pub fn check_subject(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_SUBJECT || s.chars().any(char::is_control) {
        return Err(format!(
            "a subject must be 1 to {MAX_SUBJECT} bytes without control characters"
        ));
    }
    Ok(())
}

/// A vote as a `vote` frame's JSON.
pub fn vote_json(v: &Vote, body: Option<&ProposalBody>) -> Value {
    let mut j = serde_json::to_value(VoteFrame::new(v, body, None)).unwrap_or(Value::Null);
    j["type"] = Value::from("vote");
    j
}

/// Parses a `vote` frame's JSON (the signature is checked later, against the set).
pub fn parse_vote(v: &Value) -> Result<(Vote, Option<ProposalBody>), String> {
    serde_json::from_value::<VoteFrame>(v.clone())
        .map_err(|e| format!("a vote is malformed: {e}"))?
        .vote()
}

/// A certificate as JSON (in frames and in `decision` entries, docs/FORMAT.md §12).
pub fn certificate_json(c: &Certificate) -> Value {
    serde_json::to_value(CertificateFrame::new(c)).unwrap_or(Value::Null)
}

/// Parses a certificate's JSON (signatures are checked by `Certificate::verify`).
pub fn parse_certificate(v: &Value) -> Result<Certificate, String> {
    serde_json::from_value::<CertificateFrame>(v.clone())
        .map_err(|e| format!("a certificate is malformed: {e}"))?
        .certificate()
}
