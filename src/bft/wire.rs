//! Framing and messages on the wire (docs/PROTOCOL.md §1–§2): each frame is a u32
//! big-endian length (1 to `MAX_FRAME`) and that many bytes of one JSON object. Anything
//! else (a zero or oversized length, bytes that are not a JSON object, an unknown type, a
//! malformed field) is refused; the receiver answers an error and closes the connection.

use super::consensus::{Kind, ValueId};
use super::message::{Certificate, Decision, Vote};
use crate::ledger::entry::{hex, parse_hash_hex};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::io::{Read, Write};

/// The largest frame accepted: 1 MiB.
pub const MAX_FRAME: u32 = 1 << 20;
/// The longest subject accepted, in bytes.
pub const MAX_SUBJECT: usize = 256;

/// Reads one frame. `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> Result<Option<Value>, String> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(format!("read: {e}")),
    }
    let n = u32::from_be_bytes(len);
    if n == 0 || n > MAX_FRAME {
        return Err(format!("frame length {n} is outside 1..={MAX_FRAME}"));
    }
    let mut buf = vec![0u8; n as usize];
    r.read_exact(&mut buf).map_err(|e| format!("read: {e}"))?;
    let v: Value = serde_json::from_slice(&buf).map_err(|e| format!("frame is not JSON: {e}"))?;
    if !v.is_object() {
        return Err("frame is not a JSON object".into());
    }
    Ok(Some(v))
}

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, v: &Value) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(v).map_err(std::io::Error::other)?;
    if bytes.len() > MAX_FRAME as usize {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut frame = Vec::with_capacity(4 + bytes.len());
    frame.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    frame.extend_from_slice(&bytes);
    w.write_all(&frame)?;
    w.flush()
}

/// The proposal a `proposal` vote carries, from which its value id is recomputed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposalBody {
    pub decision: Decision,
    pub content: Map<String, Value>,
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Proposal { .. } => "proposal",
        Kind::Prevote(_) => "prevote",
        Kind::Precommit(_) => "precommit",
    }
}

/// A vote as a frame.
pub fn vote_json(v: &Vote, body: Option<&ProposalBody>) -> Value {
    let value = match &v.kind {
        Kind::Proposal { value, .. } => Some(*value),
        Kind::Prevote(x) | Kind::Precommit(x) => *x,
    };
    let mut j = json!({
        "type": "vote", "kind": kind_name(&v.kind), "subject": v.subject, "round": v.round,
        "from": v.from, "value": value.map(|x| hex(&x)), "sig": B64.encode(v.sig),
    });
    if let Kind::Proposal { valid_round, .. } = &v.kind {
        j["valid_round"] = json!(valid_round);
        if let Some(b) = body {
            j["decision"] = json!(b.decision.as_str());
            j["content"] = Value::Object(b.content.clone());
        }
    }
    j
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, String> {
    v.get(name).ok_or_else(|| format!("missing field {name:?}"))
}

fn text(v: &Value, name: &str) -> Result<String, String> {
    field(v, name)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("field {name:?} must be a string"))
}

fn number(v: &Value, name: &str) -> Result<u64, String> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| format!("field {name:?} must be a non-negative integer"))
}

fn sig(s: &str) -> Result<[u8; 64], String> {
    B64.decode(s)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| "a signature must be 64 bytes of base64".to_string())
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

/// Parses a `vote` frame (the signature is checked later, against the validator set).
pub fn parse_vote(v: &Value) -> Result<(Vote, Option<ProposalBody>), String> {
    let subject = text(v, "subject")?;
    check_subject(&subject)?;
    let round = number(v, "round")?;
    let from = u16::try_from(number(v, "from")?).map_err(|_| "field \"from\" is too large".to_string())?;
    let value: Option<ValueId> = match field(v, "value")? {
        Value::Null => None,
        Value::String(s) => Some(parse_hash_hex(s).ok_or("field \"value\" must be 64 hex digits")?),
        _ => return Err("field \"value\" must be a string or null".into()),
    };
    let mut body = None;
    let kind = match text(v, "kind")?.as_str() {
        "proposal" => {
            let value = value.ok_or("a proposal has a value")?;
            let valid_round = match v.get("valid_round") {
                None | Some(Value::Null) => None,
                Some(x) => Some(
                    x.as_u64()
                        .ok_or("field \"valid_round\" must be an integer or null")?,
                ),
            };
            let decision = Decision::parse(&text(v, "decision")?)
                .ok_or("field \"decision\" must be approve or reject")?;
            let content = field(v, "content")?
                .as_object()
                .cloned()
                .ok_or("field \"content\" must be an object")?;
            body = Some(ProposalBody { decision, content });
            Kind::Proposal { value, valid_round }
        }
        "prevote" => Kind::Prevote(value),
        "precommit" => Kind::Precommit(value),
        other => return Err(format!("unknown vote kind {other:?}")),
    };
    let sig = sig(&text(v, "sig")?)?;
    Ok((
        Vote {
            subject,
            round,
            from,
            kind,
            sig,
        },
        body,
    ))
}

/// A certificate as JSON (in frames and in `decision` entries).
pub fn certificate_json(c: &Certificate) -> Value {
    json!({
        "subject": c.subject, "round": c.round, "decision": c.decision.as_str(),
        "content": Value::Object(c.content.clone()), "value": hex(&c.value()),
        "precommits": c.precommits.iter().map(|(i, s)| json!({"validator": i, "sig": B64.encode(s)})).collect::<Vec<_>>(),
    })
}

/// Parses a certificate (signatures are checked by `Certificate::verify`).
pub fn parse_certificate(v: &Value) -> Result<Certificate, String> {
    let subject = text(v, "subject")?;
    check_subject(&subject)?;
    let round = number(v, "round")?;
    let decision =
        Decision::parse(&text(v, "decision")?).ok_or("field \"decision\" must be approve or reject")?;
    let content = field(v, "content")?
        .as_object()
        .cloned()
        .ok_or("field \"content\" must be an object")?;
    let list = field(v, "precommits")?
        .as_array()
        .ok_or("field \"precommits\" must be an array")?;
    if list.len() > 256 {
        return Err("too many precommits".into());
    }
    let precommits = list
        .iter()
        .map(|p| {
            let i = u16::try_from(number(p, "validator")?)
                .map_err(|_| "validator index too large".to_string())?;
            Ok((i, sig(&text(p, "sig")?)?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Certificate {
        subject,
        round,
        decision,
        content,
        precommits,
    })
}
