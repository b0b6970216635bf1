//! The client side: `bft propose`, `bft vote`, `bft pending` and `bft status` talk to
//! validators with one request frame and one reply frame per question.

use super::error::{BftError, Result};
use super::message::{Certificate, Decision};
use super::validators::ValidatorSet;
use super::wire;
use serde_json::{json, Map, Value};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One request, one reply.
pub fn request(addr: SocketAddr, frame: &Value, timeout: Duration) -> Result<Value> {
    let unreachable = |source: std::io::Error| BftError::Unreachable { addr, source };
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(unreachable)?;
    s.set_read_timeout(Some(timeout)).map_err(unreachable)?;
    s.set_write_timeout(Some(timeout)).map_err(unreachable)?;
    let _ = s.set_nodelay(true);
    wire::write_frame(&mut s, frame).map_err(unreachable)?;
    let reply = wire::read_frame(&mut s)
        .map_err(|why| BftError::Protocol { addr, why })?
        .ok_or(BftError::NoAnswer(addr))?;
    if reply.get("type").and_then(Value::as_str) == Some("error") {
        let message = reply
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("error")
            .to_owned();
        return Err(BftError::Refused { addr, message });
    }
    Ok(reply)
}

/// What `propose` found.
pub enum Outcome {
    Decided(Certificate),
    /// Not decided within the timeout; how many validators answered.
    Undecided {
        reachable: usize,
    },
}

/// Submits a proposal to every validator, then waits for a verified certificate.
pub fn propose(
    set: &ValidatorSet,
    subject: &str,
    content: &Map<String, Value>,
    timeout: Duration,
) -> Result<Outcome> {
    wire::check_subject(subject).map_err(BftError::Subject)?;
    let submit = json!({"type": "submit", "subject": subject, "content": Value::Object(content.clone())});
    let per_request = Duration::from_millis(1000).min(timeout);
    let mut reachable = Vec::new();
    let mut last_err = None;
    for v in &set.validators {
        match request(v.address, &submit, per_request) {
            Ok(_) => reachable.push(v.address),
            Err(e) => last_err = Some(e),
        }
    }
    if reachable.len() < set.quorum() {
        return Err(BftError::NoQuorum {
            reachable: reachable.len(),
            n: set.n(),
            quorum: set.quorum(),
            detail: last_err.map(|e| e.to_string()).unwrap_or_default(),
        });
    }
    let deadline = Instant::now() + timeout;
    let mut i = 0;
    while Instant::now() < deadline {
        let addr = reachable[i % reachable.len()];
        i += 1;
        // Each query waits at the validator for the decision (up to a second), so a
        // proposal costs a few requests, not a poll loop; a validator that does not answer
        // with a valid certificate is passed over for the next.
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = left.min(Duration::from_secs(1));
        let query = json!({"type": "query", "subject": subject, "wait_ms": wait.as_millis() as u64});
        if let Ok(reply) = request(addr, &query, wait + Duration::from_millis(500)) {
            if reply.get("type").and_then(Value::as_str) == Some("certificate") {
                if let Ok(cert) = wire::parse_certificate(&reply) {
                    // Trust no single validator: the certificate must verify.
                    if cert.verify(set).is_ok() && cert.subject == subject {
                        return Ok(Outcome::Decided(cert));
                    }
                }
            }
        }
    }
    Ok(Outcome::Undecided {
        reachable: reachable.len(),
    })
}

/// An operator's judgement sent to their own node.
pub fn vote(node: SocketAddr, subject: &str, decision: Decision, reason: Option<&str>) -> Result<()> {
    request(
        node,
        &json!({"type": "operator", "subject": subject, "decision": decision.as_str(), "reason": reason}),
        Duration::from_secs(5),
    )?;
    Ok(())
}
