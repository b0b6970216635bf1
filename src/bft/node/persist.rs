//! What must be on disk: our votes before they leave the process (the vote guard), the
//! evidence of equivocation we see, and our decisions — appended in batches, each subject
//! once, and retried until the ledger takes them: a decision is logged and kept, never
//! dropped.

use super::state::Slot;
use super::{lock, Node};
use crate::bft::frames::{Frame, VoteFrame};
use crate::bft::guard;
use crate::bft::kinds::{decided_key, FEATURE};
use crate::clock::Clock;
use crate::ledger::store::{Reads, Store, StoreResult};
use crate::ledger::{Ledger, LedgerError, NewEntry};
use crate::sign::Signers;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

/// The records space of evidence: key subject ‖ 0x00 ‖ round (u64) ‖ step ‖ validator
/// (u16), value `{"first": vote frame, "second": vote frame}`.
const EVIDENCE: &str = "bft/evidence";

pub enum Persist {
    Vote {
        key: Slot,
        frame: Box<VoteFrame>,
        nth: u64,
    },
    Evidence {
        first: Box<VoteFrame>,
        second: Box<VoteFrame>,
    },
}

/// A decision on its way to the ledger.
pub struct Decided {
    pub subject: String,
    pub entry: NewEntry,
}

/// The pairs of evidence a ledger holds.
pub fn evidence_count(r: &dyn Reads) -> StoreResult<u64> {
    r.record_count(EVIDENCE)
}

fn evidence_key(f: &VoteFrame) -> Vec<u8> {
    let mut k = f.subject.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(&f.round.to_be_bytes());
    k.push(f.kind as u8);
    k.extend_from_slice(&f.from.to_be_bytes());
    k
}

fn vote_text(frame: &VoteFrame) -> String {
    serde_json::to_string(&Frame::Vote(frame.clone())).unwrap_or_default()
}

impl Node {
    /// Makes signed votes durable in batches (one transaction, one fsync), then sends
    /// them: nothing leaves the process before it is on disk.
    pub(super) fn persister(&self, mut store: Box<dyn Store>, rx: Receiver<Persist>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < 256 {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            let committed = (|| -> StoreResult<()> {
                let mut tx = store.write()?;
                for p in &batch {
                    match p {
                        Persist::Vote {
                            key: (subject, round, step),
                            frame,
                            ..
                        } => guard::store(tx.as_mut(), subject, *round, *step, &vote_text(frame))?,
                        Persist::Evidence { first, second } => {
                            let value = serde_json::json!({"first": Frame::Vote((**first).clone()), "second": Frame::Vote((**second).clone())});
                            // A third conflicting vote for the slot adds nothing.
                            let _ =
                                tx.put_record(EVIDENCE, &evidence_key(second), value.to_string().as_bytes());
                        }
                    }
                }
                tx.commit()
            })();
            let votes = batch.iter().filter_map(|p| match p {
                Persist::Vote { key, frame, nth } => Some((key, frame, *nth)),
                Persist::Evidence { .. } => None,
            });
            let votes: Vec<_> = votes.collect();
            if let Err(e) = committed {
                tracing::error!(error = %e, votes = votes.len(), "cannot make votes durable; they are not sent");
                // Not durable, so never sent; the round's timeouts carry on without them.
                let mut st = lock(&self.state);
                for (key, _, _) in &votes {
                    st.inflight.remove(*key);
                }
                continue;
            }
            #[cfg(feature = "crash-points")]
            if votes
                .iter()
                .any(|(_, _, nth)| self.cfg.crash == Some(super::CrashPoint::AfterPersist(*nth)))
            {
                std::process::abort();
            }
            for (_, frame, _) in &votes {
                self.peers.broadcast(&Frame::Vote((***frame).clone()));
            }
            let mut st = lock(&self.state);
            for (key, _, _) in &votes {
                st.inflight.remove(*key);
            }
            for (key, _, _) in &votes {
                let subject = &key.0;
                let pending = st
                    .subjects
                    .get_mut(subject)
                    .and_then(|s| s.pending_decision.take());
                if let Some((value, round)) = pending {
                    self.conclude(&mut st, subject, value, round);
                }
            }
        }
    }

    /// Appends decisions as they come, as many as are waiting in one transaction (one
    /// fsync and one checkpoint for a burst). A subject the ledger already holds is not
    /// appended again; a batch the ledger refuses for any other reason is logged and
    /// retried, with a growing pause, until it is taken.
    pub(super) fn ledger_writer(
        &self,
        mut ledger: Ledger,
        clock: Box<dyn Fn() -> Clock + Send>,
        rx: Receiver<Decided>,
    ) {
        // The validator's key, locked only while the checkpoint is signed.
        let signers = Signers::shared(&lock(&self.state).signers);
        let mut waiting: Vec<Decided> = Vec::new();
        let mut pause = Duration::from_millis(100);
        loop {
            if waiting.is_empty() {
                match rx.recv() {
                    Ok(d) => waiting.push(d),
                    Err(_) => return,
                }
            }
            while waiting.len() < 512 {
                match rx.try_recv() {
                    Ok(d) => waiting.push(d),
                    Err(_) => break,
                }
            }
            // Each subject once: not if the ledger holds it, not twice in a batch.
            let mut recorded = Vec::new();
            let mut batch: Vec<Decided> = Vec::new();
            for d in waiting.drain(..) {
                let key = decided_key(&self.cfg.set.cluster, &d.subject);
                let held = matches!(ledger.claimed(FEATURE, &key), Ok(Some(_)));
                if held || batch.iter().any(|b| b.subject == d.subject) {
                    recorded.push(d.subject);
                } else {
                    batch.push(d);
                }
            }
            if !batch.is_empty() {
                // Each came from a certificate this node verified (or built from votes it
                // verified): the append need not verify it again under the write lock.
                for d in &batch {
                    self.cfg.vouched.vouch(&d.entry.content);
                }
                let result = ledger.append::<LedgerError>(
                    &signers,
                    &clock(),
                    batch.iter().map(|d| Ok(d.entry.clone())),
                    &mut |_| {},
                );
                match result {
                    Ok(a) => {
                        tracing::debug!(decisions = a.count, first_seq = a.first_seq, "recorded");
                        recorded.extend(batch.into_iter().map(|d| d.subject));
                        pause = Duration::from_millis(100);
                    }
                    Err(LedgerError::Claimed { key, .. }) => {
                        // Recorded meanwhile (another writer): the rest are retried at once.
                        tracing::info!(%key, "a decision was already in the ledger");
                        waiting = batch;
                    }
                    Err(e) => {
                        tracing::error!(error = %e, decisions = batch.len(), retry_in = ?pause, "cannot record decisions; retrying");
                        waiting = batch;
                        match rx.recv_timeout(pause) {
                            Ok(d) => waiting.push(d),
                            Err(RecvTimeoutError::Timeout) => {}
                            Err(RecvTimeoutError::Disconnected) => {}
                        }
                        pause = (pause * 2).min(Duration::from_secs(30));
                    }
                }
            }
            if !recorded.is_empty() {
                self.recorded(&recorded);
            }
        }
    }
}
