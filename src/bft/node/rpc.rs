//! Client requests (docs/PROTOCOL.md §2): one answer frame each. A subject decided at any
//! time is answered from memory or from the ledger's index, with its certificate.

use super::{lock, Node};
use crate::bft::frames::{
    CertificateFrame, Frame, Hex32, InProgress, PeerStatus, PendingItem, RecentDecision, Reply, Sig64,
    StatusReply, MAX_WAIT_MS,
};
use crate::bft::message::{value_id, Certificate, Decision};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// `status` lists at most this many subjects in progress (`open` counts them all).
const LISTED: usize = 100;
/// The domain tag of a status answer's signature.
pub const STATUS_DOMAIN: &[u8] = b"echoctl/bft/status/v1";

/// `"echoctl/bft/status/v1" ‖ lp(cluster) ‖ set hash ‖ index u16 ‖ nonce (32)`.
pub fn status_bytes(cluster: &str, set_hash: &[u8; 32], index: u16, nonce: &[u8; 32]) -> Vec<u8> {
    let mut b = STATUS_DOMAIN.to_vec();
    b.extend_from_slice(&(cluster.len() as u16).to_be_bytes());
    b.extend_from_slice(cluster.as_bytes());
    b.extend_from_slice(set_hash);
    b.extend_from_slice(&index.to_be_bytes());
    b.extend_from_slice(nonce);
    b
}

fn certificate(c: &Certificate) -> Reply {
    Reply::Certificate(CertificateFrame::new(c))
}

fn step_name(s: crate::bft::consensus::Step) -> String {
    format!("{s:?}").to_lowercase()
}

impl Node {
    /// Answers a client request (`frame` is not a peer message).
    pub(super) fn on_request(&self, frame: Frame, client: IpAddr) -> Reply {
        let answer = match frame {
            Frame::Submit(s) => s.submission().and_then(|sub| {
                self.submit(&s.subject, s.content, sub, client)
                    .map(|decided| match decided {
                        Some(c) => certificate(&c),
                        None => Reply::Ok,
                    })
            }),
            Frame::Query { subject, wait_ms } => Ok(self.query(&subject, wait_ms.unwrap_or(0))),
            Frame::Status { nonce } => Ok(self.status(nonce)),
            Frame::Operator {
                subject, decision, ..
            } => self.operator(&subject, decision),
            Frame::Pending => Ok(self.pending()),
            Frame::Decisions { from, since } => self.decisions(from.unwrap_or(0), since),
            Frame::Vote(_) | Frame::Certificate(_) => Err("not a client request".into()),
        };
        let reply = answer.unwrap_or_else(Reply::error);
        self.metrics.open(lock(&self.state).open());
        reply
    }

    /// The decision of `subject`, waiting up to `wait_ms` (at most 10 s) for it.
    fn query(&self, subject: &str, wait_ms: u64) -> Reply {
        let deadline = Instant::now() + Duration::from_millis(wait_ms.min(MAX_WAIT_MS));
        let mut st = lock(&self.state);
        loop {
            let decided = st.subjects.get(subject).is_some_and(|s| s.decided.is_some());
            let released = !st.subjects.contains_key(subject) && st.released.iter().any(|s| s == subject);
            let now = Instant::now();
            if decided || released || now >= deadline {
                break;
            }
            st = self
                .decided_cv
                .wait_timeout(st, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        match st.subjects.get(subject) {
            Some(s) => match &s.decided {
                Some(c) => certificate(c),
                None => Reply::Undecided {
                    round: s.inst.round(),
                    step: step_name(s.inst.step()),
                },
            },
            None => match self.decided_in_ledger(&st, subject) {
                Ok(Some(c)) => certificate(&c),
                Ok(None) if st.released.iter().any(|s| s == subject) => Reply::Released,
                Ok(None) => Reply::Unknown,
                Err(e) => Reply::error(format!("this validator cannot read its ledger: {e}")),
            },
        }
    }

    /// A page of the decisions in this validator's ledger from seq `from` on (stamped at
    /// or after `since`), at most `SYNC_PAGE` of them and about `SYNC_PAGE_BYTES`.
    fn decisions(&self, from: u64, since: Option<String>) -> Result<Reply, String> {
        if since.as_deref().is_some_and(|s| !crate::clock::is_entry_ts(s)) {
            return Err("since must be an entry timestamp, YYYY-MM-DDTHH:MM:SS.sssZ".into());
        }
        let filter = crate::ledger::LogFilter {
            kind: Some(crate::bft::kinds::KIND_DECISION.into()),
            from_seq: Some(from),
            since_ts: since,
            limit: Some(super::sync::SYNC_PAGE as u64 + 1),
        };
        let (mut certificates, mut bytes, mut next, mut more) = (Vec::new(), 0, from, false);
        let st = lock(&self.state);
        let read = st.ledger.log(&filter, |e| -> crate::ledger::Result<()> {
            if more {
                return Ok(());
            }
            if certificates.len() == super::sync::SYNC_PAGE || bytes > super::sync::SYNC_PAGE_BYTES {
                more = true;
                return Ok(());
            }
            next = e.entry.seq + 1;
            let Some(cert) = e
                .entry
                .content
                .get("bft")
                .and_then(|b| crate::bft::wire::parse_certificate(b).ok())
            else {
                return Ok(());
            };
            let frame = CertificateFrame::new(&cert);
            bytes += serde_json::to_vec(&frame).map_or(0, |v| v.len());
            certificates.push(frame);
            Ok(())
        });
        if let Err(e) = read {
            return Err(format!("this validator cannot read its ledger: {e}"));
        }
        Ok(Reply::Decisions {
            certificates,
            next,
            more,
        })
    }

    fn operator(&self, subject: &str, decision: Decision) -> Result<Reply, String> {
        let mut st = lock(&self.state);
        let s = st
            .subjects
            .get_mut(subject)
            .ok_or_else(|| format!("no proposal for subject {subject:?} here"))?;
        if s.decided.is_some() {
            return Err(format!("subject {subject:?} is already decided"));
        }
        if s.pending.is_empty() {
            return Err(format!("nothing pending for subject {subject:?}"));
        }
        let mut actions = Vec::new();
        for (ph, _) in std::mem::take(&mut s.pending) {
            actions.extend(s.inst.support(value_id(decision, &ph)));
        }
        let subject = subject.to_owned();
        self.run_actions(&mut st, &subject, actions);
        Ok(Reply::Ok)
    }

    fn pending(&self) -> Reply {
        let st = lock(&self.state);
        let pending = st
            .subjects
            .iter()
            .flat_map(|(subject, s)| {
                s.pending.iter().map(move |(_, c)| PendingItem {
                    subject: subject.clone(),
                    content: c.clone(),
                })
            })
            .take(LISTED)
            .collect();
        Reply::Pending { pending }
    }

    fn status(&self, nonce: Option<Hex32>) -> Reply {
        let st = lock(&self.state);
        let set = &self.cfg.set;
        let me = &set.validators[self.cfg.me];
        let in_progress = st
            .subjects
            .iter()
            .filter(|(_, s)| s.decided.is_none())
            .take(LISTED)
            .map(|(k, s)| InProgress {
                subject: k.clone(),
                round: s.inst.round(),
                step: step_name(s.inst.step()),
            })
            .collect();
        let recent_decisions = st
            .recent
            .iter()
            .rev()
            .take(20)
            .filter_map(|k| st.subjects.get(k).and_then(|s| s.decided.as_ref()))
            .map(|c| RecentDecision {
                subject: c.subject.clone(),
                decision: c.decision,
                round: c.round,
            })
            .collect();
        let peers = set
            .validators
            .iter()
            .enumerate()
            .map(|(i, v)| PeerStatus {
                name: v.name.clone(),
                address: v.address.to_string(),
                up: self.peers.is_up(i),
                is_self: i == self.cfg.me,
            })
            .collect();
        let index = self.cfg.me as u16;
        let sig = nonce.and_then(|n| {
            lock(&st.signers)
                .primary()
                .sign(&status_bytes(&set.cluster, &set.hash, index, &n.0))
                .ok()
                .map(Sig64)
        });
        Reply::Status(Box::new(StatusReply {
            name: me.name.clone(),
            index,
            cluster: set.cluster.clone(),
            epoch: set.epoch,
            validators_hash: Hex32(set.hash),
            open: st.open() as u64,
            in_progress,
            recent_decisions,
            peers,
            decisions: self.metrics.decisions.load(Ordering::Relaxed),
            evidence: st.evidence,
            nonce,
            sig,
        }))
    }
}
