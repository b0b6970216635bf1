//! Votes, proposals and certificates into the consensus instances, and their actions out:
//! admission of subjects (docs/PROTOCOL.md §6), the per-sender buffers for early votes,
//! signing our own votes (durable before they leave), and adopting decisions — once: a
//! subject decided at any time in the ledger is never opened again.

use super::persist::{Decided, Persist};
use super::state::{Held, State, Subject, CONTENTS_PER_SUBJECT};
use super::{lock, Node, Policy, MAX_CONTENT};
use crate::bft::admission::{Source, Submission};
use crate::bft::consensus::{Action, Instance, Kind, Message, Step, ValueId};
use crate::bft::frames::{CertificateFrame, ProposalBody, VoteFrame};
use crate::bft::guard;
use crate::bft::message::{proposal_hash, subject_hash, value_id, Certificate, Decision, Vote};
use crate::ledger::canon::to_canonical;
use crate::ledger::NewEntry;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::net::IpAddr;

pub(super) type Refused = String;

pub(super) fn step_byte(kind: &Kind) -> u8 {
    crate::bft::message::kind_byte(kind)
}

fn value_of(kind: &Kind) -> Option<ValueId> {
    match kind {
        Kind::Proposal { value, .. } => Some(*value),
        Kind::Prevote(v) | Kind::Precommit(v) => *v,
    }
}

fn message(v: &Vote) -> Message {
    Message {
        round: v.round,
        from: v.from as usize,
        kind: v.kind.clone(),
    }
}

/// The canonical size check every proposal content passes.
pub(super) fn check_content(content: &Map<String, Value>) -> Result<(), Refused> {
    let size = to_canonical(&Value::Object(content.clone())).len();
    if size > MAX_CONTENT {
        return Err(format!(
            "the proposal is {size} bytes of canonical JSON, above {MAX_CONTENT}"
        ));
    }
    Ok(())
}

impl Node {
    /// A `vote` frame from a peer. An error answers the peer and closes its connection.
    pub(super) fn on_vote(&self, frame: VoteFrame) -> Result<(), Refused> {
        let (vote, body) = frame.vote()?;
        if let Some(b) = &body {
            check_content(&b.content)?;
            if value_id(b.decision, &proposal_hash(&vote.subject, &b.content))
                != value_of(&vote.kind).unwrap_or_default()
            {
                return Err("the proposal's value is not its decision and content".into());
            }
        }
        if self.late_vote(&vote) {
            return Ok(());
        }
        if !vote.verify(&self.cfg.set) {
            return Err("the vote's signature is not the named validator's over these sign bytes (another cluster, set, subject, round, step or value?)".into());
        }
        let mut st = lock(&self.state);
        if !st.subjects.contains_key(&vote.subject) {
            if self.answer_if_decided(&mut st, &vote.subject, vote.from)? {
                return Ok(());
            }
            let admitted = match (&body, &frame.submission) {
                (Some(b), submission) if matches!(vote.kind, Kind::Proposal { .. }) => {
                    self.admit_proposal(&vote, b, submission.as_ref())
                }
                _ => None,
            };
            match admitted {
                Some((source, submission)) => {
                    if let Err(why) = self.open_subject(&mut st, &vote.subject, Some(source), submission) {
                        tracing::debug!(subject = %vote.subject, from = vote.from, %why, "proposal not admitted");
                        return Ok(());
                    }
                }
                None => {
                    let subject = vote.subject.clone();
                    st.unknown.keep(vote.from, frame);
                    self.join_if_voted(&mut st, &subject);
                    return Ok(());
                }
            }
        }
        self.deliver(&mut st, vote, body, frame);
        Ok(())
    }

    /// Opens a subject not open here once f+1 distinct validators have voted on it: at
    /// least one of them is honest and admitted it, so this validator takes part too, even
    /// if it refused the subject itself (a full budget, a restart, a release). It is
    /// charged to the first of those validators with room in its budget, not to a client.
    fn join_if_voted(&self, st: &mut State, subject: &str) {
        let voters = st.unknown.senders(subject);
        if voters.len() <= self.cfg.set.f() {
            return;
        }
        for v in voters {
            if self
                .open_subject(st, subject, Some(Source::Validator(v)), None)
                .is_ok()
            {
                tracing::debug!(%subject, "joined: f+1 validators vote on it");
                return;
            }
        }
        tracing::debug!(%subject, "f+1 validators vote on it, but none of them has room in its budget");
    }

    /// Releases the undecided subjects that no other validator has voted on for
    /// `release_after` and that hold no lock or valid value here: dropped from memory,
    /// their budget freed, their names kept (a client that asks is told), their stored
    /// votes kept (a slot is never signed twice). Submitted again, a subject opens anew.
    pub(super) fn release_stalled(&self, st: &mut State) {
        let after = self.cfg.release_after;
        let stalled: Vec<String> = st
            .subjects
            .iter()
            .filter(|(_, s)| s.decided.is_none() && !s.inst.holds_value() && s.heard.elapsed() >= after)
            .map(|(k, _)| k.clone())
            .collect();
        let mut released = false;
        for subject in stalled {
            let Some(s) = st.subjects.remove(&subject) else {
                continue;
            };
            if let Some(src) = s.source {
                st.budgets.release(src);
            }
            st.remember_released(&subject);
            tracing::info!(%subject, round = s.inst.round(), "released undecided: no other validator voted on it");
            released = true;
        }
        // Queries waiting on a released subject answer at once.
        if released {
            self.decided_cv.notify_all();
        }
    }

    /// Who a proposal for a subject not open here is charged to, if it may open it: a
    /// listed proposer's valid submission; without listed proposers, the proposing
    /// validator.
    fn admit_proposal(
        &self,
        vote: &Vote,
        body: &ProposalBody,
        submission: Option<&Submission>,
    ) -> Option<(Source, Option<Submission>)> {
        let set = &self.cfg.set;
        if let Some(s) = submission {
            if let Ok(i) = s.verify(set, &vote.subject, &body.content) {
                return Some((Source::Proposer(i), Some(s.clone())));
            }
        }
        set.proposers
            .is_empty()
            .then_some((Source::Validator(vote.from), None))
    }

    /// A vote for a subject decided and in memory that contradicts nothing we hold: the
    /// sender only needs the certificate, and its signature need not be checked (only a
    /// conflicting vote is worth verifying, as evidence).
    fn late_vote(&self, vote: &Vote) -> bool {
        let st = lock(&self.state);
        let Some(s) = st.subjects.get(&vote.subject) else {
            return false;
        };
        let Some(cert) = &s.decided else { return false };
        let (sb, value) = (step_byte(&vote.kind), value_of(&vote.kind));
        let conflicts = s.sigs.iter().any(|((r, k, v), by)| {
            *r == vote.round && *k == sb && *v != value && by.contains_key(&vote.from)
        });
        if conflicts {
            return false;
        }
        self.peers.certificate_to(vote.from as usize, cert);
        true
    }

    /// For a subject not open here: when its decision is in the ledger, sends it to the
    /// peer that still votes on it and says so. A ledger that cannot be read refuses.
    fn answer_if_decided(&self, st: &mut State, subject: &str, from: u16) -> Result<bool, Refused> {
        match self.decided_in_ledger(st, subject) {
            Ok(Some(cert)) => {
                self.peers.certificate_to(from as usize, &cert);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => {
                tracing::error!(%subject, error = %e, "cannot read the index of decided subjects");
                Err("this validator cannot read its ledger".into())
            }
        }
    }

    /// The decision recorded in the ledger for `subject`, at any time.
    pub(super) fn decided_in_ledger(
        &self,
        st: &State,
        subject: &str,
    ) -> crate::ledger::Result<Option<Certificate>> {
        let key = crate::bft::kinds::decided_key(&self.cfg.set.cluster, subject);
        let Some(seq) = st.ledger.claimed(crate::bft::kinds::FEATURE, &key)? else {
            return Ok(None);
        };
        let Some(e) = st.ledger.entry_by_seq(seq)? else {
            return Ok(None);
        };
        Ok(e.entry
            .content
            .get("bft")
            .and_then(|b| crate::bft::wire::parse_certificate(b).ok()))
    }

    /// A signature-checked vote of an open subject: into the instance, or kept aside when
    /// its round is beyond the instance's window.
    fn deliver(&self, st: &mut State, vote: Vote, body: Option<ProposalBody>, frame: VoteFrame) {
        let subject = vote.subject.clone();
        let Some(s) = st.subjects.get_mut(&subject) else {
            return;
        };
        if usize::from(vote.from) != self.cfg.me {
            s.heard = std::time::Instant::now();
        }
        if s.decided.is_some() {
            let evidence_before = s.inst.evidence.len();
            s.inst.on_message(message(&vote));
            if s.inst.evidence.len() > evidence_before {
                self.record_evidence(st, &subject, &frame);
            }
            return;
        }
        if vote.round > s.inst.window() {
            // Only its round counts for a proposal this far ahead (it is large, and the
            // round's proposer is heard again there).
            let keep = body.is_none() && s.ahead.get(&vote.from).is_none_or(|f| f.round < vote.round);
            if keep {
                s.ahead.insert(vote.from, frame);
            }
            let before = s.inst.round();
            let actions = s.inst.on_message(message(&vote));
            self.run_actions(st, &subject, actions);
            self.after_round_change(st, &subject, before);
            return;
        }
        if let Some(b) = body {
            self.learn(st, &subject, b.content);
        }
        let Some(s) = st.subjects.get_mut(&subject) else {
            return;
        };
        let before = s.inst.round();
        let evidence_before = s.inst.evidence.len();
        let m = message(&vote);
        let actions = s.inst.on_message(m.clone());
        if s.inst.holds(&m) {
            s.sigs
                .entry((vote.round, step_byte(&vote.kind), value_of(&vote.kind)))
                .or_default()
                .entry(vote.from)
                .or_insert(vote.sig);
        }
        if s.inst.evidence.len() > evidence_before {
            self.record_evidence(st, &subject, &frame);
        }
        self.run_actions(st, &subject, actions);
        self.after_round_change(st, &subject, before);
    }

    /// The instance moved on: votes kept aside that are now within its window go in.
    fn after_round_change(&self, st: &mut State, subject: &str, before: u64) {
        let Some(s) = st.subjects.get_mut(subject) else {
            return;
        };
        if s.inst.round() == before || s.ahead.is_empty() || s.decided.is_some() {
            return;
        }
        let window = s.inst.window();
        let due: Vec<u16> = s
            .ahead
            .iter()
            .filter(|(_, f)| f.round <= window)
            .map(|(i, _)| *i)
            .collect();
        for i in due {
            let Some(frame) = s_ahead_take(st, subject, i) else {
                continue;
            };
            if let Ok((vote, body)) = frame.vote() {
                self.deliver(st, vote, body, frame);
            }
        }
    }

    /// Keeps the pair of conflicting votes a validator sent, durably: evidence of
    /// equivocation outlives a restart.
    fn record_evidence(&self, st: &mut State, subject: &str, second: &VoteFrame) {
        let Some(s) = st.subjects.get(subject) else { return };
        let Some((first, _)) = s.inst.evidence.last() else {
            return;
        };
        let first_sig = s
            .sigs
            .get(&(first.round, step_byte(&first.kind), value_of(&first.kind)))
            .and_then(|m| m.get(&(first.from as u16)));
        let Some(sig) = first_sig else { return };
        let first = VoteFrame::new(
            &Vote {
                subject: subject.to_owned(),
                round: first.round,
                from: first.from as u16,
                kind: first.kind.clone(),
                sig: *sig,
            },
            None,
            None,
        );
        tracing::warn!(%subject, validator = second.from, round = second.round, "equivocation: two different votes of one kind in one round");
        st.evidence += 1;
        let _ = lock(&self.persist).send(Persist::Evidence {
            first: Box::new(first),
            second: Box::new(second.clone()),
        });
    }

    /// Opens a subject charged to `source` (None: not charged, e.g. a restart), or says
    /// why not. Early votes kept for it go in.
    pub(super) fn open_subject(
        &self,
        st: &mut State,
        subject: &str,
        source: Option<Source>,
        submission: Option<Submission>,
    ) -> Result<(), Refused> {
        crate::bft::wire::check_subject(subject)?;
        // A halt of this validator's ledger (emergency powers) stops it opening anything:
        // it neither proposes nor decides until the halt is lifted.
        if let Err(e) = crate::emergency::check_not_halted(&st.ledger, crate::emergency::Area::Bft) {
            return Err(e.to_string());
        }
        if let Some(src) = source {
            st.budgets.take(src)?;
        }
        let h = subject_hash(subject);
        let offset = u16::from_be_bytes([h[0], h[1]]) as usize;
        let mut inst = Instance::new(self.cfg.set.n(), self.cfg.me, offset, self.cfg.timeouts);
        let start = inst.start();
        st.released.retain(|s| s != subject);
        st.subjects
            .insert(subject.to_owned(), Subject::new(inst, source, submission));
        self.run_actions(st, subject, start);
        for frame in st.unknown.take(subject) {
            if let Ok((vote, body)) = frame.vote() {
                self.deliver(st, vote, body, frame);
            }
        }
        Ok(())
    }

    /// A client's proposal for `subject`: opens it (charged to the proposer, or to the
    /// client's address without listed proposers) and judges the content.
    pub(super) fn submit(
        &self,
        subject: &str,
        content: Map<String, Value>,
        submission: Option<Submission>,
        client: IpAddr,
    ) -> Result<Option<Certificate>, Refused> {
        crate::bft::wire::check_subject(subject)?;
        check_content(&content)?;
        let set = &self.cfg.set;
        let source =
            match &submission {
                Some(s) => Source::Proposer(s.verify(set, subject, &content)?),
                None if set.proposers.is_empty() => Source::Address(client),
                None => return Err(
                    "this validator admits only proposals signed by a proposer listed in its validators file"
                        .into(),
                ),
            };
        let mut st = lock(&self.state);
        if let Some(cert) = st.subjects.get(subject).and_then(|s| s.decided.clone()) {
            return Ok(Some(cert));
        }
        if !st.subjects.contains_key(subject) {
            match self.decided_in_ledger(&st, subject) {
                Ok(Some(cert)) => return Ok(Some(cert)),
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(%subject, error = %e, "cannot read the index of decided subjects");
                    return Err("this validator cannot read its ledger".into());
                }
            }
            self.open_subject(&mut st, subject, Some(source), submission.clone())?;
        } else if let Some(s) = st.subjects.get_mut(subject) {
            if s.submission.is_none() {
                s.submission = submission;
            }
        }
        self.learn(&mut st, subject, content);
        Ok(None)
    }

    /// A proposal's content became known: record both values and judge it once.
    pub(super) fn learn(&self, st: &mut State, subject: &str, content: Map<String, Value>) {
        let ph = proposal_hash(subject, &content);
        let verdict = self.judge(st, &content);
        let Some(s) = st.subjects.get_mut(subject) else {
            return;
        };
        if s.judged.contains(&ph) || s.judged.len() >= CONTENTS_PER_SUBJECT {
            return;
        }
        s.judged.push(ph);
        let canonical = std::sync::Arc::new(to_canonical(&Value::Object(content.clone())));
        for d in [Decision::Approve, Decision::Reject] {
            s.values.insert(
                value_id(d, &ph),
                Held {
                    decision: d,
                    canonical: std::sync::Arc::clone(&canonical),
                },
            );
        }
        let actions = match self.cfg.policy {
            Policy::Auto => s.inst.support(value_id(verdict, &ph)),
            Policy::Manual => {
                s.pending.push((ph, content));
                Vec::new()
            }
        };
        self.run_actions(st, subject, actions);
    }

    /// The auto policy (PROTOCOL.md §7): no `constraint` rule of this node's ledger broken
    /// by the content; a validator-set change only to the next epoch of the same cluster.
    fn judge(&self, st: &State, content: &Map<String, Value>) -> Decision {
        if let Some(next) = crate::bft::proposed_set(content) {
            let ok =
                next.is_ok_and(|n| n.cluster == self.cfg.set.cluster && n.epoch == self.cfg.set.epoch + 1);
            return if ok { Decision::Approve } else { Decision::Reject };
        }
        if st.rules.iter().any(|r| r.violated_by(content) == Some(true)) {
            return Decision::Reject;
        }
        Decision::Approve
    }

    pub(super) fn run_actions(&self, st: &mut State, subject: &str, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(a) = queue.pop_front() {
            match a {
                Action::Broadcast(m) => {
                    if let Some(more) = self.send_own(st, subject, m) {
                        queue.extend(more);
                    }
                }
                Action::Timeout {
                    step,
                    round,
                    after_ms,
                } => self.timers.schedule(subject, step, round, after_ms),
                Action::Decide { value, round, .. } => self.conclude(st, subject, value, round),
            }
        }
    }

    /// Builds the certificate of a decision from the precommits held and adopts it. Our
    /// own precommit goes in only once it is durable (a certificate is a way out of the
    /// process too); if a quorum needs it, the persister concludes after its commit.
    pub(super) fn conclude(&self, st: &mut State, subject: &str, value: ValueId, round: u64) {
        let own_inflight = st.inflight.contains_key(&(subject.to_owned(), round, 3));
        let me = self.cfg.me as u16;
        let Some(s) = st.subjects.get_mut(subject) else {
            return;
        };
        if s.decided.is_some() {
            return;
        }
        let Some(body) = s.values.get(&value).and_then(Held::body) else {
            return;
        };
        let precommits: Vec<(u16, [u8; 64])> = s
            .sigs
            .get(&(round, 3, Some(value)))
            .map(|m| {
                m.iter()
                    .filter(|(i, _)| !(own_inflight && **i == me))
                    .map(|(i, sig)| (*i, *sig))
                    .collect()
            })
            .unwrap_or_default();
        // Every precommit in it was verified when it arrived (ours we signed).
        if precommits.len() < self.cfg.set.quorum() {
            s.pending_decision = Some((value, round));
            return;
        }
        let cert = Certificate {
            subject: subject.to_owned(),
            round,
            decision: body.decision,
            content: body.content,
            precommits,
        };
        self.adopt(st, cert);
    }

    /// Signs (or takes the stored vote for the slot), persists, sends to every peer, and
    /// delivers to itself; returns the actions that delivery caused.
    fn send_own(&self, st: &mut State, subject: &str, m: Message) -> Option<Vec<Action>> {
        let sb = step_byte(&m.kind);
        let key = (subject.to_owned(), m.round, sb);
        let stored = match st.inflight.get(&key) {
            // Signed a moment ago, on its way to the disk: that vote, not a new one.
            Some(f) => Some(Err(f.clone())),
            None => guard::stored(st.ledger.store(), subject, m.round, sb)
                .ok()?
                .map(Ok),
        };
        let frame: VoteFrame = match stored {
            Some(Err(inflight)) => inflight,
            Some(Ok(text)) => {
                let f: VoteFrame = serde_json::from_str(&text).ok()?;
                self.peers.broadcast(&crate::bft::frames::Frame::Vote(f.clone()));
                f
            }
            None => {
                let vote = Vote::sign(
                    &self.cfg.set,
                    lock(&st.signers).primary(),
                    subject,
                    m.round,
                    m.kind.clone(),
                    self.cfg.me as u16,
                )
                .ok()?;
                let s = st.subjects.get(subject)?;
                let body = match &m.kind {
                    Kind::Proposal { value, .. } => s.values.get(value).and_then(Held::body),
                    _ => None,
                };
                let frame = VoteFrame::new(&vote, body.as_ref(), s.submission.as_ref());
                let nth = self.next_signed();
                #[cfg(feature = "crash-points")]
                if self.cfg.crash == Some(super::CrashPoint::BeforePersist(nth)) {
                    std::process::abort();
                }
                // Durable before it leaves the process: the persister commits it (with
                // any other votes waiting, one fsync for all) and only then sends it.
                st.inflight.insert(key.clone(), frame.clone());
                let _ = lock(&self.persist).send(Persist::Vote {
                    key,
                    frame: Box::new(frame.clone()),
                    nth,
                });
                frame
            }
        };
        // A proposal for a value from an earlier round travels with the prevotes that
        // justify it.
        if let Kind::Proposal {
            value,
            valid_round: Some(vr),
        } = m.kind
        {
            let s = st.subjects.get(subject)?;
            for j in s.inst.justification(vr, value) {
                if let Some(sig) = s
                    .sigs
                    .get(&(vr, 2, Some(value)))
                    .and_then(|m| m.get(&(j.from as u16)))
                {
                    let v = Vote {
                        subject: subject.to_owned(),
                        round: vr,
                        from: j.from as u16,
                        kind: j.kind,
                        sig: *sig,
                    };
                    self.peers
                        .broadcast(&crate::bft::frames::Frame::Vote(VoteFrame::new(&v, None, None)));
                }
            }
        }
        let s = st.subjects.get_mut(subject)?;
        s.own.push_back(frame.clone());
        if s.own.len() > 6 {
            s.own.pop_front();
        }
        let (vote, _) = frame.vote().ok()?;
        let msg = message(&vote);
        let actions = s.inst.on_message(msg.clone());
        if s.inst.holds(&msg) {
            s.sigs
                .entry((vote.round, sb, value_of(&vote.kind)))
                .or_default()
                .entry(vote.from)
                .or_insert(vote.sig);
        }
        Some(actions)
    }

    /// A `certificate` frame from a peer.
    pub(super) fn on_certificate(&self, frame: CertificateFrame) -> Result<(), Refused> {
        let cert = frame.certificate()?;
        // Already decided here: nothing to learn (and signatures are not free).
        if lock(&self.state)
            .subjects
            .get(&cert.subject)
            .is_some_and(|s| s.decided.is_some())
        {
            return Ok(());
        }
        check_content(&cert.content)?;
        cert.verify(&self.cfg.set)?;
        let mut st = lock(&self.state);
        self.adopt(&mut st, cert);
        Ok(())
    }

    /// Takes a verified certificate: decides (once), records it in the ledger (once, ever),
    /// tells the peers.
    pub(super) fn adopt(&self, st: &mut State, cert: Certificate) {
        if !st.subjects.contains_key(&cert.subject) {
            match self.decided_in_ledger(st, &cert.subject) {
                Ok(None) => {}
                Ok(Some(_)) => return,
                Err(e) => {
                    tracing::error!(subject = %cert.subject, error = %e, "cannot read the index of decided subjects");
                    return;
                }
            }
            let h = subject_hash(&cert.subject);
            let inst = Instance::new(
                self.cfg.set.n(),
                self.cfg.me,
                u16::from_be_bytes([h[0], h[1]]) as usize,
                self.cfg.timeouts,
            );
            st.subjects
                .insert(cert.subject.clone(), Subject::new(inst, None, None));
        }
        let Some(s) = st.subjects.get_mut(&cert.subject) else {
            return;
        };
        if s.decided.is_some() {
            return;
        }
        let signers: Vec<usize> = cert.precommits.iter().map(|(i, _)| *i as usize).collect();
        s.inst.adopt_certificate(cert.value(), cert.round, &signers);
        s.decided = Some(cert.clone());
        s.pending.clear();
        s.ahead.clear();
        let source = s.source.take();
        let elapsed = s.started.elapsed();
        if let Some(src) = source {
            st.budgets.release(src);
        }
        st.recent.push_back(cert.subject.clone());
        st.forget_old();
        self.metrics.decided(cert.round, elapsed);
        tracing::debug!(subject = %cert.subject, decision = cert.decision.as_str(), round = cert.round, "decided");
        self.peers
            .broadcast(&crate::bft::frames::Frame::Certificate(CertificateFrame::new(
                &cert,
            )));
        self.decided_cv.notify_all();
        // The ledger writer batches decisions: one transaction and checkpoint per batch.
        let entry = NewEntry {
            kind: crate::bft::kinds::KIND_DECISION.into(),
            source: "bft".into(),
            content: super::decision_content(&self.cfg.set, &cert),
            refs: vec![],
        };
        let _ = lock(&self.decisions).send(Decided {
            subject: cert.subject,
            entry,
        });
    }

    /// Marks decisions durable once the ledger holds them.
    pub(super) fn recorded(&self, subjects: &[String]) {
        let mut st = lock(&self.state);
        for subject in subjects {
            if let Some(s) = st.subjects.get_mut(subject) {
                s.durable = true;
            }
        }
        st.forget_old();
    }

    /// A timeout fired.
    pub(super) fn on_timeout(&self, st: &mut State, subject: &str, step: Step, round: u64) {
        let Some(s) = st.subjects.get_mut(subject) else {
            return;
        };
        let before = s.inst.round();
        let actions = s.inst.on_timeout(step, round);
        self.run_actions(st, subject, actions);
        self.after_round_change(st, subject, before);
    }

    /// At start: our own stored votes of subjects not decided in the ledger go back into
    /// the instances (so locks survive a restart) and to the peers.
    pub(super) fn replay_own_votes(&self, stored: Vec<String>) {
        let mut st = lock(&self.state);
        let mut decided: Vec<String> = Vec::new();
        for text in stored {
            let Ok(frame) = serde_json::from_str::<VoteFrame>(&text) else {
                continue;
            };
            let Ok((vote, body)) = frame.vote() else { continue };
            if decided.contains(&vote.subject) {
                continue;
            }
            if !st.subjects.contains_key(&vote.subject) {
                match self.decided_in_ledger(&st, &vote.subject) {
                    Ok(None) => {}
                    _ => {
                        decided.push(vote.subject.clone());
                        continue;
                    }
                }
                if self
                    .open_subject(&mut st, &vote.subject, None, frame.submission.clone())
                    .is_err()
                {
                    continue;
                }
            }
            self.peers
                .broadcast(&crate::bft::frames::Frame::Vote(frame.clone()));
            self.deliver(&mut st, vote, body, frame);
        }
        self.metrics.open(st.open());
    }
}

fn s_ahead_take(st: &mut State, subject: &str, i: u16) -> Option<VoteFrame> {
    st.subjects.get_mut(subject)?.ahead.remove(&i)
}
