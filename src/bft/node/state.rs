//! What a validator holds in memory, and its bounds (docs/PROTOCOL.md §8): the subjects in
//! progress (each charged to the source that opened it), the few most recent decisions,
//! and small per-sender buffers for votes that arrive early — for a subject not yet open
//! here, or for a round far ahead of the subject's own.

use super::super::admission::{Budgets, Source, Submission};
use super::super::consensus::{Instance, ValueId};
use super::super::frames::{ProposalBody, VoteFrame};
use super::super::message::Certificate;
use crate::ledger::constraint::Rule;
use crate::ledger::Ledger;
use crate::sign::Signers;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Decided subjects kept in memory (for late peers and catch-up); older ones are answered
/// from the ledger.
pub const RECENT: usize = 128;
/// Subjects not open here for which one sender's early votes are kept, and votes kept
/// per such subject.
pub const UNKNOWN_SUBJECTS_PER_SENDER: usize = 16;
pub const UNKNOWN_VOTES_PER_SUBJECT: usize = 8;
/// Subjects released undecided whose names are kept, to answer a client that asks.
pub const RELEASED: usize = 1024;
/// Distinct proposals (contents) a subject holds at most; more are ignored.
pub const CONTENTS_PER_SUBJECT: usize = 4;
/// A vote already signed for a slot: (subject, round, step byte).
pub type Slot = (String, u64, u8);
/// Signatures received, per (round, step byte, value), by validator index.
pub type SignatureBook = HashMap<(u64, u8, Option<ValueId>), BTreeMap<u16, [u8; 64]>>;

/// A value's decision and its proposal's content, kept as canonical JSON (at most 16 KiB)
/// rather than as a parsed tree.
#[derive(Clone, Debug)]
pub struct Held {
    pub decision: super::super::message::Decision,
    pub canonical: Arc<Vec<u8>>,
}

impl Held {
    /// The proposal body, parsed again.
    pub fn body(&self) -> Option<ProposalBody> {
        match serde_json::from_slice(&self.canonical) {
            Ok(Value::Object(content)) => Some(ProposalBody {
                decision: self.decision,
                content,
            }),
            _ => None,
        }
    }
}

pub struct Subject {
    pub inst: Instance,
    /// Value id → what it stands for (the content as canonical bytes, shared by the
    /// approve and reject values of one proposal).
    pub values: HashMap<ValueId, Held>,
    /// Proposal hashes already judged.
    pub judged: Vec<[u8; 32]>,
    /// Manual policy: proposals waiting for the operator (hash → content).
    pub pending: Vec<([u8; 32], Map<String, Value>)>,
    pub sigs: SignatureBook,
    /// Our own signed frames, for re-sending (the newest six).
    pub own: VecDeque<VoteFrame>,
    pub decided: Option<Certificate>,
    /// The decision is in the ledger (so the subject may leave memory).
    pub durable: bool,
    /// Decided by the state machine, waiting for our own precommit to be durable.
    pub pending_decision: Option<(ValueId, u64)>,
    pub started: Instant,
    /// When another validator last voted on it (or when it opened): a subject nobody else
    /// takes part in is released after a while (docs/PROTOCOL.md §7).
    pub heard: Instant,
    /// Who holds this open subject's budget (None once decided, or for a certificate).
    pub source: Option<Source>,
    /// The proposer's submission that admitted it; our proposals carry it.
    pub submission: Option<Submission>,
    /// Per sender, its highest-round vote beyond the instance's window.
    pub ahead: HashMap<u16, VoteFrame>,
}

impl Subject {
    pub fn new(inst: Instance, source: Option<Source>, submission: Option<Submission>) -> Self {
        Subject {
            inst,
            values: HashMap::new(),
            judged: Vec::new(),
            pending: Vec::new(),
            sigs: HashMap::new(),
            own: VecDeque::new(),
            decided: None,
            durable: false,
            pending_decision: None,
            started: Instant::now(),
            heard: Instant::now(),
            source,
            submission,
            ahead: HashMap::new(),
        }
    }
}

/// Early votes for subjects not open here, per sender: the newest subjects first out
/// when a sender exceeds its share.
#[derive(Default)]
pub struct Unknown {
    per_sender: HashMap<u16, VecDeque<(String, Vec<VoteFrame>)>>,
}

impl Unknown {
    /// Keeps an early prevote or precommit (proposals are not kept: they are large, and
    /// one that may open a subject has opened it).
    pub fn keep(&mut self, from: u16, frame: VoteFrame) {
        if frame.content.is_some() {
            return;
        }
        let list = self.per_sender.entry(from).or_default();
        if let Some((_, votes)) = list.iter_mut().find(|(s, _)| *s == frame.subject) {
            if votes.len() < UNKNOWN_VOTES_PER_SUBJECT && !votes.contains(&frame) {
                votes.push(frame);
            }
            return;
        }
        if list.len() >= UNKNOWN_SUBJECTS_PER_SENDER {
            list.pop_front();
        }
        list.push_back((frame.subject.clone(), vec![frame]));
    }

    /// The distinct validators whose early votes for `subject` are kept, in index order.
    pub fn senders(&self, subject: &str) -> Vec<u16> {
        let mut out: Vec<u16> = self
            .per_sender
            .iter()
            .filter(|(_, list)| list.iter().any(|(s, _)| s == subject))
            .map(|(i, _)| *i)
            .collect();
        out.sort_unstable();
        out
    }

    /// The votes kept for `subject`, now that it is open.
    pub fn take(&mut self, subject: &str) -> Vec<VoteFrame> {
        let mut out = Vec::new();
        for list in self.per_sender.values_mut() {
            if let Some(i) = list.iter().position(|(s, _)| s == subject) {
                if let Some((_, votes)) = list.remove(i) {
                    out.extend(votes);
                }
            }
        }
        out
    }
}

pub struct State {
    /// The node's own reading connection to its ledger: the vote guard and the index of
    /// decided subjects.
    pub ledger: Ledger,
    pub signers: Arc<Mutex<Signers>>,
    pub rules: Vec<Rule>,
    pub subjects: HashMap<String, Subject>,
    /// Decided subjects in memory, oldest first.
    pub recent: VecDeque<String>,
    /// Votes signed but not yet durable.
    pub inflight: HashMap<Slot, VoteFrame>,
    pub budgets: Budgets,
    pub unknown: Unknown,
    /// Pairs of conflicting votes held as evidence (persisted).
    pub evidence: u64,
    /// Subjects released undecided, newest last (at most `RELEASED`).
    pub released: VecDeque<String>,
}

impl State {
    /// Subjects in progress.
    pub fn open(&self) -> usize {
        self.subjects.values().filter(|s| s.decided.is_none()).count()
    }

    /// Remembers a subject released undecided.
    pub fn remember_released(&mut self, subject: &str) {
        self.released.retain(|s| s != subject);
        if self.released.len() >= RELEASED {
            self.released.pop_front();
        }
        self.released.push_back(subject.to_owned());
    }

    /// Lets the oldest decided subjects go once more than `RECENT` are held and their
    /// decisions are in the ledger.
    pub fn forget_old(&mut self) {
        let mut kept = VecDeque::new();
        while self.recent.len() + kept.len() > RECENT {
            let Some(old) = self.recent.pop_front() else { break };
            if self.subjects.get(&old).is_some_and(|s| s.durable) {
                self.subjects.remove(&old);
            } else {
                kept.push_back(old);
            }
        }
        while let Some(k) = kept.pop_back() {
            self.recent.push_front(k);
        }
    }
}
