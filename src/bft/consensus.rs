//! One single-shot Tendermint instance (Buchman, Kwon, Milosevic 2018, "The latest gossip
//! on BFT consensus", Algorithm 1) for one subject, as a pure state machine: no I/O, no
//! clock, no signatures. The node feeds it messages whose signatures it has verified and
//! timeouts that fired; it answers with actions (send a message, schedule a timeout,
//! decide). The line numbers in comments are Algorithm 1's.
//!
//! Values are opaque 32-byte ids (for echoctl, approve(P) or reject(P) of a proposal P).
//! `valid(v)` is the node's own judgement: the set of values it is willing to support.
//! Safety (at most one value decided by honest nodes, never an honest equivocation) holds
//! with at most f Byzantine of n ≥ 3f+1 validators, whatever the network does; liveness
//! needs the network to deliver eventually and timeouts to grow, which they do per round.

use std::collections::{BTreeMap, HashSet};

/// A value id.
pub type ValueId = [u8; 32];

/// The step of a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Propose,
    Prevote,
    Precommit,
}

/// What a message says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// PROPOSAL(round, value, valid_round) from the round's proposer.
    Proposal {
        value: ValueId,
        valid_round: Option<u64>,
    },
    /// PREVOTE(round, id(value) or nil).
    Prevote(Option<ValueId>),
    /// PRECOMMIT(round, id(value) or nil).
    Precommit(Option<ValueId>),
}

impl Kind {
    /// The step a message of this kind belongs to.
    pub fn step(&self) -> Step {
        match self {
            Kind::Proposal { .. } => Step::Propose,
            Kind::Prevote(_) => Step::Prevote,
            Kind::Precommit(_) => Step::Precommit,
        }
    }
}

/// A message, with the index of the validator that signed it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    pub round: u64,
    pub from: usize,
    pub kind: Kind,
}

/// What the node must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Sign (after making the vote durable) and send to every validator, this one included.
    Broadcast(Message),
    /// Call `on_timeout(step, round)` after this many milliseconds.
    Timeout { step: Step, round: u64, after_ms: u64 },
    /// The decision, with the validators whose precommits certify it.
    Decide {
        value: ValueId,
        round: u64,
        certificate: Vec<usize>,
    },
}

/// Timeouts: `base + round × delta` milliseconds per step, so they grow until the network
/// keeps up.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub base_ms: u64,
    pub delta_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            base_ms: 300,
            delta_ms: 200,
        }
    }
}

/// Rounds this far above the current one are kept in full; a message of a round beyond
/// is only remembered as its sender's highest round (for the round skip, line 55), so a
/// sender cannot make an instance hold rounds it will never reach.
pub const WINDOW: u64 = 4;
/// Distinct votes of one kind kept per sender and round: the first, and one conflicting
/// vote as evidence. More say nothing new.
const MAX_VOTES_PER_SENDER: usize = 2;

/// Messages a round has collected. The proposal: the first from the round's proposer.
/// Votes: every distinct vote per sender, each counted once for its value. A sender with
/// two different votes of one kind is equivocating (kept as evidence); counting both is
/// still safe, because two quorums of 2f+1 share at least f+1 validators, one of them
/// honest, and an honest validator never votes twice. It is also what lets a validator
/// that is shown another's justification (forwarded, signed votes) catch up.
#[derive(Default, Debug)]
struct RoundState {
    proposal: Option<(ValueId, Option<u64>)>,
    prevotes: BTreeMap<usize, Vec<Option<ValueId>>>,
    precommits: BTreeMap<usize, Vec<Option<ValueId>>>,
    senders: HashSet<usize>,
    prevote_timeout_scheduled: bool,
    precommit_timeout_scheduled: bool,
    line36_done: bool,
    proposal_conflict: bool,
}

impl RoundState {
    fn prevotes_for(&self, v: Option<ValueId>) -> usize {
        self.prevotes.values().filter(|x| x.contains(&v)).count()
    }
    fn precommit_senders_for(&self, v: ValueId) -> Vec<usize> {
        self.precommits
            .iter()
            .filter(|(_, x)| x.contains(&Some(v)))
            .map(|(i, _)| *i)
            .collect()
    }
}

/// One validator's instance for one subject.
#[derive(Debug)]
pub struct Instance {
    n: usize,
    f: usize,
    me: usize,
    /// The first proposer: a per-subject offset, so subjects spread the proposer role.
    proposer_offset: usize,
    timeouts: Timeouts,
    round: u64,
    step: Step,
    started: bool,
    locked: Option<(ValueId, u64)>,
    valid: Option<(ValueId, u64)>,
    decided: Option<ValueId>,
    rounds: BTreeMap<u64, RoundState>,
    /// Values this validator supports (its policy or its operator's vote).
    acceptable: HashSet<ValueId>,
    /// What it proposes when it is the proposer and has no valid value yet.
    preferred: Option<ValueId>,
    /// Pairs of conflicting messages from the same sender (kept as evidence).
    pub evidence: Vec<(Message, Message)>,
    /// Per sender, its highest round beyond the window (not kept in `rounds`).
    ahead: BTreeMap<usize, u64>,
}

impl Instance {
    /// An instance for validator `me` of `n` (n ≥ 4; f = ⌊(n−1)/3⌋).
    pub fn new(n: usize, me: usize, proposer_offset: usize, timeouts: Timeouts) -> Self {
        Instance {
            n,
            f: (n.saturating_sub(1)) / 3,
            me,
            proposer_offset,
            timeouts,
            round: 0,
            step: Step::Propose,
            started: false,
            locked: None,
            valid: None,
            decided: None,
            rounds: BTreeMap::new(),
            acceptable: HashSet::new(),
            preferred: None,
            evidence: Vec::new(),
            ahead: BTreeMap::new(),
        }
    }

    /// The quorum: ⌊2n/3⌋ + 1 (2f+1 when n = 3f+1).
    pub fn quorum(&self) -> usize {
        2 * self.n / 3 + 1
    }

    pub fn round(&self) -> u64 {
        self.round
    }

    pub fn step(&self) -> Step {
        self.step
    }

    /// Round, step, lock and valid value, for diagnostics.
    pub fn summary(&self) -> String {
        let short = |v: Option<(ValueId, u64)>| v.map(|(v, r)| format!("{:02x}@{r}", v[0]));
        format!(
            "round {} {:?} locked {:?} valid {:?} decided {:?}",
            self.round,
            self.step,
            short(self.locked),
            short(self.valid),
            self.decided.map(|v| v[0])
        )
    }

    pub fn decided(&self) -> Option<ValueId> {
        self.decided
    }

    /// Whether this validator holds a lock or a valid value: state that a node must never
    /// forget while the subject is undecided (a validator that forgot its lock could help
    /// decide another value in a later round).
    pub fn holds_value(&self) -> bool {
        self.locked.is_some() || self.valid.is_some()
    }

    /// The proposer of a round.
    pub fn proposer(&self, round: u64) -> usize {
        ((self.proposer_offset as u64 + round) % self.n as u64) as usize
    }

    /// Sets this validator's judgement: it supports `value` (and proposes it). Calling it
    /// again adds support; the node may call it before or after `start`.
    pub fn support(&mut self, value: ValueId) -> Vec<Action> {
        self.acceptable.insert(value);
        if self.preferred.is_none() {
            self.preferred = Some(value);
        }
        let mut out = Vec::new();
        // A proposer that was waiting for a judgement proposes now.
        if self.started
            && self.decided.is_none()
            && self.step == Step::Propose
            && self.proposer(self.round) == self.me
            && self.rounds.get(&self.round).is_none_or(|r| r.proposal.is_none())
        {
            self.propose(&mut out);
        }
        self.recheck(&mut out);
        out
    }

    /// Starts round 0 (line 10).
    pub fn start(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            self.start_round(0, &mut out);
            self.recheck(&mut out);
        }
        out
    }

    fn start_round(&mut self, round: u64, out: &mut Vec<Action>) {
        self.round = round;
        self.step = Step::Propose;
        if self.proposer(round) == self.me {
            self.propose(out);
        }
        out.push(Action::Timeout {
            step: Step::Propose,
            round,
            after_ms: self.timeout_ms(round),
        });
    }

    /// Lines 14–19: propose the valid value if there is one, else our own.
    fn propose(&mut self, out: &mut Vec<Action>) {
        let (value, valid_round) = match self.valid {
            Some((v, r)) => (Some(v), Some(r)),
            None => (self.preferred, None),
        };
        if let Some(value) = value {
            out.push(Action::Broadcast(Message {
                round: self.round,
                from: self.me,
                kind: Kind::Proposal { value, valid_round },
            }));
        }
    }

    fn timeout_ms(&self, round: u64) -> u64 {
        self.timeouts
            .base_ms
            .saturating_add(self.timeouts.delta_ms.saturating_mul(round))
    }

    /// Takes in a message (its signature already checked by the caller). Messages from
    /// unknown indices are ignored; a second, different message of the same kind from the
    /// same sender in the same round is kept as evidence and otherwise ignored.
    pub fn on_message(&mut self, m: Message) -> Vec<Action> {
        let mut out = Vec::new();
        if m.from >= self.n {
            return out;
        }
        if m.round > self.window() {
            let hi = self.ahead.entry(m.from).or_insert(m.round);
            *hi = (*hi).max(m.round);
            if self.started {
                self.recheck(&mut out);
            }
            return out;
        }
        let proposer = self.proposer(m.round);
        let rs = self.rounds.entry(m.round).or_default();
        let conflict = match &m.kind {
            Kind::Proposal { value, valid_round } => {
                if m.from != proposer || valid_round.is_some_and(|vr| vr >= m.round) {
                    return out;
                }
                match rs.proposal {
                    None => {
                        rs.proposal = Some((*value, *valid_round));
                        None
                    }
                    Some((v, vr)) if (v, vr) == (*value, *valid_round) => return out,
                    // One conflicting proposal is evidence; more are noise.
                    Some(_) if rs.proposal_conflict => return out,
                    Some((v, vr)) => {
                        rs.proposal_conflict = true;
                        Some(Kind::Proposal {
                            value: v,
                            valid_round: vr,
                        })
                    }
                }
            }
            Kind::Prevote(v) => {
                let votes = rs.prevotes.entry(m.from).or_default();
                if votes.contains(v) || votes.len() >= MAX_VOTES_PER_SENDER {
                    return out;
                }
                votes.push(*v);
                (votes.len() > 1).then(|| Kind::Prevote(votes[0]))
            }
            Kind::Precommit(v) => {
                let votes = rs.precommits.entry(m.from).or_default();
                if votes.contains(v) || votes.len() >= MAX_VOTES_PER_SENDER {
                    return out;
                }
                votes.push(*v);
                (votes.len() > 1).then(|| Kind::Precommit(votes[0]))
            }
        };
        if let Some(first) = conflict {
            let first = Message {
                round: m.round,
                from: m.from,
                kind: first,
            };
            let is_proposal = matches!(m.kind, Kind::Proposal { .. });
            self.evidence.push((first, m.clone()));
            if is_proposal {
                return out;
            }
        }
        rs.senders.insert(m.from);
        if self.started {
            self.recheck(&mut out);
        }
        out
    }

    /// The highest round whose messages are kept in full.
    pub fn window(&self) -> u64 {
        self.round.saturating_add(WINDOW)
    }

    /// Whether this exact message is among those the instance holds (so its signature is
    /// worth keeping for a certificate or a justification).
    pub fn holds(&self, m: &Message) -> bool {
        let Some(rs) = self.rounds.get(&m.round) else {
            return false;
        };
        match &m.kind {
            Kind::Proposal { value, valid_round } => {
                m.from == self.proposer(m.round) && rs.proposal == Some((*value, *valid_round))
            }
            Kind::Prevote(v) => rs.prevotes.get(&m.from).is_some_and(|x| x.contains(v)),
            Kind::Precommit(v) => rs.precommits.get(&m.from).is_some_and(|x| x.contains(v)),
        }
    }

    /// How many rounds the instance holds messages for.
    pub fn rounds_held(&self) -> usize {
        self.rounds.len()
    }

    /// A decision certificate another node showed: 2f+1 precommits for `value` in
    /// `round` by the validators `signers`, whose signatures the caller verified. It is a
    /// proof on its own (at least f+1 honest validators precommitted the value, so no
    /// other value can be decided), so a lagging validator adopts it even if a Byzantine
    /// signer of it sent this validator something else before.
    pub fn adopt_certificate(&mut self, value: ValueId, round: u64, signers: &[usize]) -> Vec<Action> {
        let mut distinct: Vec<usize> = signers.iter().copied().filter(|&i| i < self.n).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if self.decided.is_some() || distinct.len() < self.quorum() {
            return Vec::new();
        }
        self.decided = Some(value);
        vec![Action::Decide {
            value,
            round,
            certificate: distinct,
        }]
    }

    /// The prevotes for `value` in `round` this validator holds: what a proposer forwards
    /// with a proposal whose valid round is `round`, so that every validator can check it.
    pub fn justification(&self, round: u64, value: ValueId) -> Vec<Message> {
        self.rounds.get(&round).map_or_else(Vec::new, |rs| {
            rs.prevotes
                .iter()
                .filter(|(_, v)| v.contains(&Some(value)))
                .map(|(from, _)| Message {
                    round,
                    from: *from,
                    kind: Kind::Prevote(Some(value)),
                })
                .collect()
        })
    }

    /// A timeout scheduled earlier fired (lines 57–65).
    pub fn on_timeout(&mut self, step: Step, round: u64) -> Vec<Action> {
        let mut out = Vec::new();
        if self.decided.is_some() || round != self.round {
            return out;
        }
        match step {
            Step::Propose if self.step == Step::Propose => {
                self.broadcast(Kind::Prevote(None), &mut out);
                self.step = Step::Prevote;
            }
            Step::Prevote if self.step == Step::Prevote => {
                self.broadcast(Kind::Precommit(None), &mut out);
                self.step = Step::Precommit;
            }
            Step::Precommit => {
                self.start_round(round + 1, &mut out);
            }
            _ => return out,
        }
        self.recheck(&mut out);
        out
    }

    fn broadcast(&mut self, kind: Kind, out: &mut Vec<Action>) {
        out.push(Action::Broadcast(Message {
            round: self.round,
            from: self.me,
            kind,
        }));
    }

    /// The round to skip to: each sender's highest round above ours (kept in full or
    /// beyond the window); the (f+1)-th highest of those, if f+1 senders have one.
    fn skip_to(&self) -> Option<u64> {
        let mut highest: BTreeMap<usize, u64> = BTreeMap::new();
        for (r, rs) in self.rounds.range(self.round + 1..) {
            for s in &rs.senders {
                highest.insert(*s, *r);
            }
        }
        for (s, r) in &self.ahead {
            if *r > self.round {
                let h = highest.entry(*s).or_insert(*r);
                *h = (*h).max(*r);
            }
        }
        if highest.len() <= self.f {
            return None;
        }
        let mut rounds: Vec<u64> = highest.into_values().collect();
        rounds.sort_unstable_by(|a, b| b.cmp(a));
        Some(rounds[self.f])
    }

    /// Applies the "upon" rules until none fires.
    fn recheck(&mut self, out: &mut Vec<Action>) {
        loop {
            if !self.rules_once(out) {
                break;
            }
        }
    }

    /// One pass over the rules; whether one of them changed the state.
    fn rules_once(&mut self, out: &mut Vec<Action>) -> bool {
        let q = self.quorum();
        // Line 49: a decision in any round: 2f+1 precommits for one value.
        if self.decided.is_none() {
            let found = self.rounds.iter().find_map(|(r, rs)| {
                let mut values: Vec<ValueId> = rs.precommits.values().flatten().flatten().copied().collect();
                values.sort();
                values.dedup();
                values.into_iter().find_map(|v| {
                    let senders = rs.precommit_senders_for(v);
                    (senders.len() >= q).then_some((*r, v, senders))
                })
            });
            if let Some((round, value, certificate)) = found {
                self.decided = Some(value);
                out.push(Action::Decide {
                    value,
                    round,
                    certificate,
                });
                return true;
            }
        } else {
            return false;
        }
        // Line 55: f+1 validators sent messages of higher rounds: skip to the highest
        // round at least f+1 of them reached (so at least one honest validator is there).
        if let Some(r) = self.skip_to() {
            self.start_round(r, out);
            return true;
        }
        let round = self.round;
        let step = self.step;
        let locked = self.locked;
        let Some(rs) = self.rounds.get(&round) else {
            return false;
        };
        let proposal = rs.proposal;
        if step == Step::Propose {
            if let Some((v, vr)) = proposal {
                match vr {
                    // Line 22.
                    None => {
                        let ok = self.acceptable.contains(&v) && locked.is_none_or(|(lv, _)| lv == v);
                        self.broadcast(Kind::Prevote(ok.then_some(v)), out);
                        self.step = Step::Prevote;
                        return true;
                    }
                    // Line 28.
                    Some(vr) => {
                        let backed = self.rounds.get(&vr).is_some_and(|r| r.prevotes_for(Some(v)) >= q);
                        if backed {
                            let ok = self.acceptable.contains(&v)
                                && locked.is_none_or(|(lv, lr)| lr <= vr || lv == v);
                            self.broadcast(Kind::Prevote(ok.then_some(v)), out);
                            self.step = Step::Prevote;
                            return true;
                        }
                    }
                }
            }
        }
        let rs = self.rounds.get_mut(&round).expect("round exists");
        // Line 34: 2f+1 prevotes of any kind: schedule the prevote timeout, once.
        if step == Step::Prevote && rs.prevotes.len() >= q && !rs.prevote_timeout_scheduled {
            rs.prevote_timeout_scheduled = true;
            out.push(Action::Timeout {
                step: Step::Prevote,
                round,
                after_ms: self.timeout_ms(round),
            });
            return true;
        }
        // Line 36: the proposal and 2f+1 prevotes for it, first time, step ≥ prevote.
        if let Some((v, _)) = proposal {
            if step >= Step::Prevote
                && !rs.line36_done
                && rs.prevotes_for(Some(v)) >= q
                && self.acceptable.contains(&v)
            {
                rs.line36_done = true;
                if step == Step::Prevote {
                    self.locked = Some((v, round));
                    self.broadcast(Kind::Precommit(Some(v)), out);
                    self.step = Step::Precommit;
                }
                self.valid = Some((v, round));
                return true;
            }
        }
        let rs = self.rounds.get_mut(&round).expect("round exists");
        // Line 44: 2f+1 nil prevotes.
        if step == Step::Prevote && rs.prevotes_for(None) >= q {
            self.broadcast(Kind::Precommit(None), out);
            self.step = Step::Precommit;
            return true;
        }
        let rs = self.rounds.get_mut(&round).expect("round exists");
        // Line 47: 2f+1 precommits of any kind: schedule the precommit timeout, once.
        if rs.precommits.len() >= q && !rs.precommit_timeout_scheduled {
            rs.precommit_timeout_scheduled = true;
            out.push(Action::Timeout {
                step: Step::Precommit,
                round,
                after_ms: self.timeout_ms(round),
            });
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(round: u64, from: usize, kind: Kind) -> Message {
        Message { round, from, kind }
    }

    #[test]
    fn far_rounds_are_not_kept_but_still_let_f_plus_one_skip() {
        let mut i = Instance::new(4, 0, 0, Timeouts::default());
        i.start();
        // One sender (at most f) cannot move us, however high it goes, nor make us hold
        // its rounds.
        for r in 1..=5_000 {
            i.on_message(vote(r, 3, Kind::Prevote(None)));
        }
        assert_eq!(i.round(), 0);
        assert!(
            i.rounds_held() <= WINDOW as usize + 1,
            "{} rounds held",
            i.rounds_held()
        );
        // A second sender beyond the window: f+1 = 2 senders are past round 900.
        i.on_message(vote(900, 2, Kind::Prevote(None)));
        assert_eq!(i.round(), 900);
        assert!(i.rounds_held() <= 2 * (WINDOW as usize + 1));
    }

    #[test]
    fn a_sender_keeps_at_most_two_votes_per_round_and_kind() {
        let mut i = Instance::new(4, 0, 0, Timeouts::default());
        i.start();
        for b in 0..100u8 {
            i.on_message(vote(0, 3, Kind::Prevote(Some([b; 32]))));
        }
        assert_eq!(i.evidence.len(), 1, "one pair of evidence");
        assert!(i.holds(&vote(0, 3, Kind::Prevote(Some([0; 32])))));
        assert!(i.holds(&vote(0, 3, Kind::Prevote(Some([1; 32])))));
        assert!(!i.holds(&vote(0, 3, Kind::Prevote(Some([2; 32])))));
    }
}
