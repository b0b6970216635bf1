//! The client side: `bft propose`, `bft vote`, `bft pending` and `bft status` talk to
//! validators with one request frame and one answer frame per question, each exchange
//! within a deadline however slowly the other side answers, and trust no validator's word
//! they can check: a certificate must verify, a status answer must be signed by the
//! validator it claims to be over our fresh challenge.

use super::admission::Submission;
use super::error::{BftError, Result};
use super::frames::{Frame, Hex32, Reply, StatusReply, SubmitFrame};
use super::message::{Certificate, Decision};
use super::node::status_bytes;
use super::validators::ValidatorSet;
use super::wire;
use crate::sign::Signer;
use serde_json::{Map, Value};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// One request, one answer, all of it within `timeout`.
pub fn request(addr: SocketAddr, frame: &Frame, timeout: Duration) -> Result<Reply> {
    let start = Instant::now();
    let left = || {
        timeout
            .saturating_sub(start.elapsed())
            .max(Duration::from_millis(1))
    };
    let unreachable = |source: std::io::Error| BftError::Unreachable { addr, source };
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(unreachable)?;
    s.set_write_timeout(Some(left())).map_err(unreachable)?;
    let _ = s.set_nodelay(true);
    wire::write_frame(&mut s, frame).map_err(unreachable)?;
    let bytes = wire::read_bytes_by(&mut s, left(), left())
        .map_err(|e| BftError::Protocol {
            addr,
            why: e.to_string(),
        })?
        .ok_or(BftError::NoAnswer(addr))?;
    if start.elapsed() > timeout {
        return Err(BftError::Protocol {
            addr,
            why: format!("no whole answer within {timeout:?}"),
        });
    }
    match Reply::parse(&bytes).map_err(|why| BftError::Protocol { addr, why })? {
        Reply::Error { message } => Err(BftError::Refused { addr, message }),
        other => Ok(other),
    }
}

/// Asks every validator at once; answers in validator order.
fn ask_all(
    set: &ValidatorSet,
    frame: &(dyn Fn(usize) -> Frame + Sync),
    timeout: Duration,
) -> Vec<Result<Reply>> {
    std::thread::scope(|scope| {
        let asks: Vec<_> = set
            .validators
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let f = frame(i);
                scope.spawn(move || request(v.address, &f, timeout))
            })
            .collect();
        asks.into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(BftError::Protocol {
                        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                        why: "the request failed".into(),
                    })
                })
            })
            .collect()
    })
}

/// What `propose` found.
pub enum Outcome {
    Decided(Certificate),
    /// Not decided within the timeout; how many validators answered, and whether every
    /// one that answered last had released the subject undecided (PROTOCOL.md §7).
    Undecided {
        reachable: usize,
        released: bool,
    },
}

fn verified(reply: Reply, set: &ValidatorSet, subject: &str) -> Option<Certificate> {
    let Reply::Certificate(frame) = reply else {
        return None;
    };
    let cert = frame.certificate().ok()?;
    // Trust no single validator: the certificate must verify.
    (cert.subject == subject && cert.verify(set).is_ok()).then_some(cert)
}

/// Submits a proposal to every validator — signed by `proposer` when given (required by
/// validators that list proposers) — then waits for a verified certificate. A subject
/// decided before is answered with its certificate, whatever was proposed now.
pub fn propose(
    set: &ValidatorSet,
    subject: &str,
    content: &Map<String, Value>,
    proposer: Option<&dyn Signer>,
    timeout: Duration,
) -> Result<Outcome> {
    wire::check_subject(subject).map_err(BftError::Subject)?;
    let submission = proposer
        .map(|p| Submission::sign(p, set, subject, content))
        .transpose()?;
    let submit = Frame::Submit(SubmitFrame {
        subject: subject.to_owned(),
        content: content.clone(),
        proposer: submission.as_ref().map(|s| s.proposer.clone()),
        sig: submission.as_ref().map(|s| s.sig),
    });
    let per_request = Duration::from_millis(1000).min(timeout);
    // Validators that answered: those that admitted the proposal, then those that refused
    // it (a full budget, say), which join it once f+1 validators vote on it (§7).
    let mut reachable = Vec::new();
    let mut refused = Vec::new();
    let mut last_err = None;
    for (v, answer) in set
        .validators
        .iter()
        .zip(ask_all(set, &|_| submit.clone(), per_request))
    {
        match answer {
            Ok(reply) => {
                if let Some(cert) = verified(reply, set, subject) {
                    return Ok(Outcome::Decided(cert));
                }
                reachable.push(v.address);
            }
            Err(e @ BftError::Refused { .. }) => {
                refused.push(v.address);
                last_err = Some(e);
            }
            Err(e) => {
                if !matches!(last_err, Some(BftError::Refused { .. })) {
                    last_err = Some(e);
                }
            }
        }
    }
    if reachable.len() > set.f() {
        reachable.append(&mut refused);
    }
    if reachable.len() < set.quorum() {
        // Refused for a reason (too large, not signed): that reason, not "unreachable".
        if let Some(e @ BftError::Refused { .. }) = last_err {
            return Err(e);
        }
        return Err(BftError::NoQuorum {
            reachable: reachable.len(),
            n: set.n(),
            quorum: set.quorum(),
            detail: last_err.map(|e| e.to_string()).unwrap_or_default(),
        });
    }
    let deadline = Instant::now() + timeout;
    let mut i = 0;
    // The validators whose latest answer was "released".
    let mut released = vec![false; reachable.len()];
    while Instant::now() < deadline {
        let at = i % reachable.len();
        let addr = reachable[at];
        i += 1;
        // Each query waits at the validator for the decision (up to a second), so a
        // proposal costs a few requests, not a poll loop; a validator that does not answer
        // with a valid certificate is passed over for the next.
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = left.min(Duration::from_secs(1));
        let query = Frame::Query {
            subject: subject.to_owned(),
            wait_ms: Some(wait.as_millis() as u64),
        };
        if let Ok(reply) = request(addr, &query, wait + Duration::from_millis(500)) {
            released[at] = reply == Reply::Released;
            if let Some(cert) = verified(reply, set, subject) {
                return Ok(Outcome::Decided(cert));
            }
            // Nobody is deciding it any more: no point in waiting.
            if released.iter().all(|r| *r) {
                break;
            }
        }
    }
    Ok(Outcome::Undecided {
        reachable: reachable.len(),
        released: released.iter().all(|r| *r),
    })
}

/// An operator's judgement sent to their own node.
pub fn vote(node: SocketAddr, subject: &str, decision: Decision, reason: Option<&str>) -> Result<()> {
    let frame = Frame::Operator {
        subject: subject.to_owned(),
        decision,
        reason: reason.map(str::to_owned),
    };
    request(node, &frame, Duration::from_secs(5)).map(drop)
}

/// What one validator said to `status`, once checked.
pub struct Answer {
    /// Its answer, if it is the validator it should be.
    pub status: Option<StatusReply>,
    /// Why it does not count as reachable.
    pub problem: Option<String>,
}

/// Asks every validator for its status at once, all within `timeout`. An answer counts
/// only if it is signed over our fresh challenge by the key of the validator at that
/// address, for this cluster and validator set.
pub fn status(set: &ValidatorSet, timeout: Duration) -> Result<Vec<Answer>> {
    let nonces: Vec<[u8; 32]> = (0..set.n())
        .map(|_| {
            let mut n = [0u8; 32];
            getrandom::getrandom(&mut n).map(|()| n)
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| BftError::Protocol {
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            why: format!("no randomness for a challenge: {e}"),
        })?;
    let answers = ask_all(
        set,
        &|i| Frame::Status {
            nonce: Some(Hex32(nonces[i])),
        },
        timeout,
    );
    Ok(answers
        .into_iter()
        .enumerate()
        .map(|(i, a)| match a {
            Err(e) => Answer {
                status: None,
                problem: Some(e.to_string()),
            },
            Ok(Reply::Status(s)) => match check_status(set, i, &nonces[i], &s) {
                Ok(()) => Answer {
                    status: Some(*s),
                    problem: None,
                },
                Err(why) => Answer {
                    status: None,
                    problem: Some(why),
                },
            },
            Ok(_) => Answer {
                status: None,
                problem: Some("it answered something other than a status".into()),
            },
        })
        .collect())
}

fn check_status(
    set: &ValidatorSet,
    i: usize,
    nonce: &[u8; 32],
    s: &StatusReply,
) -> std::result::Result<(), String> {
    let v = &set.validators[i];
    if s.cluster != set.cluster || s.epoch != set.epoch || s.validators_hash.0 != set.hash {
        return Err("it serves another cluster or validator set".into());
    }
    if s.index as usize != i || s.name != v.name {
        return Err(format!(
            "it answers as validator {} ({}), not {}",
            s.index,
            crate::text::quoted(&s.name),
            v.name
        ));
    }
    let signed = s.nonce.map(|n| n.0) == Some(*nonce)
        && s.sig.is_some_and(|sig| {
            v.key
                .verify(&status_bytes(&set.cluster, &set.hash, s.index, nonce), &sig.0)
        });
    if !signed {
        return Err(format!(
            "its answer is not signed by {}'s key over our challenge",
            v.name
        ));
    }
    Ok(())
}
