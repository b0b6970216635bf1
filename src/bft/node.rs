//! A validator node: listens on TCP, runs one consensus instance per subject, signs and
//! persists its votes before sending them, and appends each decision with its certificate
//! to its own ledger. Threads: one acceptor, one per inbound connection (bounded), one
//! sender per peer (reconnecting, re-sending its certificates and latest votes on every
//! reconnect, which is how a node that was down catches up), one timer, and optionally
//! one metrics responder.

use super::consensus::{Action, Instance, Kind, Message, Step, Timeouts, ValueId};
use super::error::{BftError, Result};
use super::guard;
use super::message::{proposal_hash, value_id, Certificate, Decision, Vote};
use super::validators::ValidatorSet;
use super::wire::{self, ProposalBody};
use crate::clock::Clock;
use crate::ledger::constraint::Rule;
use crate::ledger::kinds::Kinds;
use crate::ledger::store::{Mode, Store};
use crate::ledger::{Ledger, LedgerError, LogFilter, NewEntry};
use crate::sign::Signers;
use serde_json::{json, Map, Value};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How a node judges proposals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Approve what passes the checks (docs/PROTOCOL.md §6), reject the rest.
    Auto,
    /// Wait for the operator (`bft vote`).
    Manual,
}

/// The largest proposal content accepted, canonical bytes.
pub const MAX_CONTENT: usize = 16 * 1024;
/// Subjects in progress at once; more are refused.
const MAX_OPEN_SUBJECTS: usize = 10_000;
/// Inbound connections at once.
const MAX_CONNECTIONS: usize = 256;
/// An inbound connection idle this long is closed (a half-open peer costs one thread
/// for at most this long).
const IDLE: Duration = Duration::from_secs(30);
/// Rounds beyond this are refused (a Byzantine sender cannot make us allocate forever).
const MAX_ROUND: u64 = 1_000_000;

pub struct NodeConfig {
    pub set: ValidatorSet,
    pub me: usize,
    pub listen: SocketAddr,
    pub policy: Policy,
    pub timeouts: Timeouts,
    pub metrics: Option<SocketAddr>,
    /// Test hook: abort the process at this point of the Nth vote this node signs.
    pub crash: Option<CrashPoint>,
}

/// Where a crash test stops the node (the CLI takes it from ECHOCTL_BFT_CRASH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After signing the Nth vote, before persisting it.
    BeforePersist(u64),
    /// After persisting the Nth vote, before sending it.
    AfterPersist(u64),
}

/// Signatures received, per (round, step byte, value), by validator index.
type SignatureBook = HashMap<(u64, u8, Option<ValueId>), BTreeMap<u16, [u8; 64]>>;
/// Pending timeouts: (when, order, subject, step byte, round).
type TimerHeap = BinaryHeap<Reverse<(Instant, u64, String, u8, u64)>>;

struct Subject {
    inst: Instance,
    /// Value id → what it stands for.
    values: HashMap<ValueId, ProposalBody>,
    /// Proposal hashes already judged.
    judged: Vec<[u8; 32]>,
    /// Manual policy: proposals waiting for the operator (hash → content).
    pending: Vec<([u8; 32], Map<String, Value>)>,
    /// Signatures received per (round, step byte, value).
    sigs: SignatureBook,
    /// Our own signed frames, for re-sending.
    own: Vec<Value>,
    decided: Option<Certificate>,
    /// Decided by the state machine, waiting for our own precommit to be durable.
    pending_decision: Option<(ValueId, u64)>,
    started: Instant,
}

struct State {
    ledger: Ledger,
    signers: Arc<Mutex<Signers>>,
    rules: Vec<Rule>,
    subjects: HashMap<String, Subject>,
    recent: VecDeque<String>,
    /// Votes signed but not yet durable: (subject, round, step byte) → frame.
    inflight: HashMap<(String, u64, u8), Value>,
}

/// A signed vote on its way to the disk, then to the peers.
struct Persist {
    key: (String, u64, u8),
    frame: Value,
    nth: u64,
}

#[derive(Default)]
struct Metrics {
    decisions: AtomicU64,
    rounds_sum: AtomicU64,
    latency_buckets: [AtomicU64; 8],
    latency_sum_us: AtomicU64,
}

const BUCKETS_MS: [u64; 7] = [5, 10, 20, 50, 100, 500, 1000];

struct Peer {
    /// Frames already encoded (length prefix and JSON), shared by every peer's queue.
    tx: SyncSender<Arc<Vec<u8>>>,
    up: AtomicBool,
}

/// A running node.
pub struct Node {
    cfg: NodeConfig,
    state: Mutex<State>,
    peers: Vec<Option<Peer>>,
    timers: Mutex<TimerHeap>,
    timer_seq: AtomicU64,
    decisions: Mutex<std::sync::mpsc::Sender<NewEntry>>,
    persist: Mutex<std::sync::mpsc::Sender<Persist>>,
    /// Notified on every decision (queries that wait).
    decided_cv: std::sync::Condvar,
    signed: AtomicU64,
    connections: AtomicUsize,
    metrics: Metrics,
}

fn step_byte(s: Step) -> u8 {
    match s {
        Step::Propose => 1,
        Step::Prevote => 2,
        Step::Precommit => 3,
    }
}

fn step_of(b: u8) -> Step {
    match b {
        1 => Step::Propose,
        2 => Step::Prevote,
        _ => Step::Precommit,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Node {
    /// Opens the node's ledger and vote guard, binds its port and starts its threads; then
    /// serves until the process ends.
    pub fn serve(
        cfg: NodeConfig,
        ledger: Ledger,
        signers: Signers,
        clock: Box<dyn Fn() -> Clock + Send>,
        ready: impl FnOnce(SocketAddr),
    ) -> Result<()> {
        let me = &cfg.set.validators[cfg.me];
        if signers.primary().public_key() != me.key.public_key {
            return Err(BftError::NotMyKey(me.name.clone()));
        }
        check_set_history(&ledger, &cfg.set)?;
        let mut rules = Vec::new();
        ledger.log(
            &LogFilter {
                kind: Some("constraint".into()),
                ..Default::default()
            },
            |e| {
                if let Ok(Some(r)) = Rule::from_content(&e.entry.content) {
                    rules.push(r);
                }
                Ok::<(), BftError>(())
            },
        )?;
        let listen = cfg.listen;
        let bind_failed = |source| BftError::Listen { addr: listen, source };
        let listener = TcpListener::bind(listen).map_err(bind_failed)?;
        let local = listener.local_addr().map_err(bind_failed)?;
        let stored = guard::all(ledger.store()).map_err(LedgerError::from)?;
        let mut receivers = Vec::new();
        let peers = (0..cfg.set.n())
            .map(|i| {
                if i == cfg.me {
                    receivers.push(None);
                    None
                } else {
                    let (tx, rx) = sync_channel(8192);
                    receivers.push(Some(rx));
                    Some(Peer {
                        tx,
                        up: AtomicBool::new(false),
                    })
                }
            })
            .collect();
        let metrics_addr = cfg.metrics;
        let signers = Arc::new(Mutex::new(signers));
        let (decisions_tx, decisions_rx) = std::sync::mpsc::channel();
        let (persist_tx, persist_rx) = std::sync::mpsc::channel();
        let guard_store =
            crate::ledger::store::open(ledger.path(), Mode::ReadWrite).map_err(LedgerError::from)?;
        {
            let (path, kinds, signers) = (
                ledger.path().to_owned(),
                Arc::clone(ledger.kinds()),
                Arc::clone(&signers),
            );
            std::thread::spawn(move || Node::ledger_writer(path, kinds, signers, clock, decisions_rx));
        }
        let node = Arc::new(Node {
            cfg,
            state: Mutex::new(State {
                ledger,
                signers,
                rules,
                subjects: HashMap::new(),
                recent: VecDeque::new(),
                inflight: HashMap::new(),
            }),
            peers,
            timers: Mutex::new(BinaryHeap::new()),
            timer_seq: AtomicU64::new(0),
            decisions: Mutex::new(decisions_tx),
            persist: Mutex::new(persist_tx),
            decided_cv: std::sync::Condvar::new(),
            signed: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
            metrics: Metrics::default(),
        });
        // A restarted node: replay its own stored votes into its state and re-send them.
        for frame in stored {
            if let Ok(v) = serde_json::from_str::<Value>(&frame) {
                node.on_frame(&v);
                node.broadcast_frame(&v);
            }
        }
        for (i, rx) in receivers.into_iter().enumerate() {
            if let Some(rx) = rx {
                let n = Arc::clone(&node);
                std::thread::spawn(move || n.sender(i, rx));
            }
        }
        {
            let n = Arc::clone(&node);
            std::thread::spawn(move || n.timer_loop());
        }
        {
            let n = Arc::clone(&node);
            std::thread::spawn(move || n.persister(guard_store, persist_rx));
        }
        if let Some(addr) = metrics_addr {
            let l = TcpListener::bind(addr).map_err(|source| BftError::Listen { addr, source })?;
            let n = Arc::clone(&node);
            std::thread::spawn(move || n.metrics_loop(l));
        }
        ready(local);
        for conn in listener.incoming() {
            let Ok(stream) = conn else { continue };
            if node.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                node.connections.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            let n = Arc::clone(&node);
            std::thread::spawn(move || {
                n.connection(stream);
                n.connections.fetch_sub(1, Ordering::SeqCst);
            });
        }
        Ok(())
    }

    /// One inbound connection: peer frames need no answer; client requests get one.
    fn connection(&self, mut stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(IDLE));
        let _ = stream.set_nodelay(true);
        let Ok(mut reader) = stream.try_clone() else {
            return;
        };
        loop {
            let frame = match wire::read_frame(&mut reader) {
                Ok(Some(v)) => v,
                Ok(None) => return,
                Err(why) => {
                    let _ = wire::write_frame(&mut stream, &json!({"type": "error", "message": why}));
                    return;
                }
            };
            let reply = match frame.get("type").and_then(Value::as_str) {
                Some("vote") | Some("certificate") => {
                    if let Err(why) = self.on_peer_frame(&frame) {
                        // A bad peer frame gets an error back and closes the connection.
                        let _ = wire::write_frame(&mut stream, &json!({"type": "error", "message": why}));
                        return;
                    }
                    continue;
                }
                Some("submit") => self.on_submit(&frame),
                Some("query") => self.on_query(&frame),
                Some("status") => Ok(self.status()),
                Some("operator") => self.on_operator(&frame),
                Some("pending") => Ok(self.pending()),
                other => Err(format!("unknown message type {other:?}")),
            };
            let (reply, close) = match reply {
                Ok(v) => (v, false),
                Err(why) => (json!({"type": "error", "message": why}), true),
            };
            if wire::write_frame(&mut stream, &reply).is_err() || close {
                return;
            }
        }
    }

    fn on_peer_frame(&self, frame: &Value) -> std::result::Result<(), String> {
        match frame.get("type").and_then(Value::as_str) {
            Some("vote") => {
                let (vote, body) = wire::parse_vote(frame)?;
                if vote.round > MAX_ROUND {
                    return Err("round too large".into());
                }
                if self.late_vote(&vote) {
                    return Ok(());
                }
                if !vote.verify(&self.cfg.set) {
                    return Err("the vote's signature is not the named validator's over these sign bytes (another cluster, set, subject, round, step or value?)".into());
                }
                if let (Kind::Proposal { value, .. }, Some(b)) = (&vote.kind, &body) {
                    if value_id(b.decision, &proposal_hash(&vote.subject, &b.content)) != *value {
                        return Err("the proposal's value is not its decision and content".into());
                    }
                } else if matches!(vote.kind, Kind::Proposal { .. }) {
                    return Err("a proposal must carry its decision and content".into());
                }
                let mut st = lock(&self.state);
                self.accept_vote(&mut st, vote, body)
            }
            Some("certificate") => {
                let cert = wire::parse_certificate(frame)?;
                // Already decided here: nothing to learn (and signatures are not free).
                if lock(&self.state)
                    .subjects
                    .get(&cert.subject)
                    .is_some_and(|s| s.decided.is_some())
                {
                    return Ok(());
                }
                cert.verify(&self.cfg.set)?;
                let mut st = lock(&self.state);
                self.adopt(&mut st, cert);
                Ok(())
            }
            _ => Err("not a peer message".into()),
        }
    }

    /// A vote for a subject already decided here that contradicts nothing we hold: the
    /// sender only needs the certificate, and its signature need not be checked (only a
    /// conflicting vote is worth verifying, as evidence).
    fn late_vote(&self, vote: &Vote) -> bool {
        let st = lock(&self.state);
        let Some(s) = st.subjects.get(&vote.subject) else {
            return false;
        };
        let Some(cert) = &s.decided else { return false };
        let (sb, value) = match &vote.kind {
            Kind::Proposal { value, .. } => (1, Some(*value)),
            Kind::Prevote(v) => (2, *v),
            Kind::Precommit(v) => (3, *v),
        };
        let conflicts = s.sigs.iter().any(|((r, k, v), by)| {
            *r == vote.round && *k == sb && *v != value && by.contains_key(&vote.from)
        });
        if conflicts {
            return false;
        }
        if let Some(Some(p)) = self.peers.get(vote.from as usize) {
            let _ = p.tx.try_send(encode(&cert_frame(cert)));
        }
        true
    }

    /// Our own stored frames (at startup) go through the same path as peers' frames.
    fn on_frame(&self, frame: &Value) {
        let _ = self.on_peer_frame(frame);
    }

    fn accept_vote(
        &self,
        st: &mut State,
        vote: Vote,
        body: Option<ProposalBody>,
    ) -> std::result::Result<(), String> {
        let subject = vote.subject.clone();
        if !st.subjects.contains_key(&subject) {
            self.open_subject(st, &subject)?;
        }
        let decided = st.subjects.get(&subject).and_then(|s| s.decided.clone());
        if let Some(cert) = decided {
            // Still worth reading: a conflicting vote is evidence, kept by the instance.
            if let Some(s) = st.subjects.get_mut(&subject) {
                s.inst.on_message(Message {
                    round: vote.round,
                    from: vote.from as usize,
                    kind: vote.kind,
                });
            }
            // A peer still voting on something we decided: show it the certificate.
            if let Some(Some(p)) = self.peers.get(vote.from as usize) {
                let _ = p.tx.try_send(encode(&cert_frame(&cert)));
            }
            return Ok(());
        }
        if let Some(b) = body {
            self.learn(st, &subject, b.content.clone());
        }
        let s = st.subjects.get_mut(&subject).ok_or("no such subject")?;
        let (value, sb) = match &vote.kind {
            Kind::Proposal { value, .. } => (Some(*value), 1),
            Kind::Prevote(v) => (*v, 2),
            Kind::Precommit(v) => (*v, 3),
        };
        s.sigs
            .entry((vote.round, sb, value))
            .or_default()
            .entry(vote.from)
            .or_insert(vote.sig);
        let actions = s.inst.on_message(Message {
            round: vote.round,
            from: vote.from as usize,
            kind: vote.kind,
        });
        self.run_actions(st, &subject, actions);
        Ok(())
    }

    fn open_subject(&self, st: &mut State, subject: &str) -> std::result::Result<(), String> {
        wire::check_subject(subject)?;
        let open = st.subjects.values().filter(|s| s.decided.is_none()).count();
        if open >= MAX_OPEN_SUBJECTS {
            return Err("too many subjects in progress".into());
        }
        let offset = u16::from_be_bytes([
            super::message::subject_hash(subject)[0],
            super::message::subject_hash(subject)[1],
        ]) as usize;
        let mut inst = Instance::new(self.cfg.set.n(), self.cfg.me, offset, self.cfg.timeouts);
        let start = inst.start();
        st.subjects.insert(
            subject.to_owned(),
            Subject {
                inst,
                values: HashMap::new(),
                judged: Vec::new(),
                pending: Vec::new(),
                sigs: HashMap::new(),
                own: Vec::new(),
                decided: None,
                pending_decision: None,
                started: Instant::now(),
            },
        );
        self.run_actions(st, subject, start);
        Ok(())
    }

    /// A proposal's content became known: record both values and judge it once.
    fn learn(&self, st: &mut State, subject: &str, content: Map<String, Value>) {
        let ph = proposal_hash(subject, &content);
        let rules_verdict = self.judge(st, &content);
        let Some(s) = st.subjects.get_mut(subject) else {
            return;
        };
        if s.judged.contains(&ph) {
            return;
        }
        s.judged.push(ph);
        for d in [Decision::Approve, Decision::Reject] {
            s.values.insert(
                value_id(d, &ph),
                ProposalBody {
                    decision: d,
                    content: content.clone(),
                },
            );
        }
        let actions = match self.cfg.policy {
            Policy::Auto => s.inst.support(value_id(rules_verdict, &ph)),
            Policy::Manual => {
                s.pending.push((ph, content));
                Vec::new()
            }
        };
        self.run_actions(st, subject, actions);
    }

    /// The auto policy (PROTOCOL.md §6): content within MAX_CONTENT canonical bytes, and
    /// no `constraint` rule of this node's ledger broken by it.
    fn judge(&self, st: &State, content: &Map<String, Value>) -> Decision {
        let size = crate::ledger::canon::to_canonical(&Value::Object(content.clone())).len();
        if size > MAX_CONTENT {
            return Decision::Reject;
        }
        // A change of validator set: a valid set of the same cluster, the next epoch.
        if let Some(next) = super::proposed_set(content) {
            let ok =
                next.is_ok_and(|n| n.cluster == self.cfg.set.cluster && n.epoch == self.cfg.set.epoch + 1);
            return if ok { Decision::Approve } else { Decision::Reject };
        }
        if st.rules.iter().any(|r| r.violated_by(content) == Some(true)) {
            return Decision::Reject;
        }
        Decision::Approve
    }

    fn run_actions(&self, st: &mut State, subject: &str, actions: Vec<Action>) {
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
                } => {
                    let at = Instant::now() + Duration::from_millis(after_ms);
                    let seq = self.timer_seq.fetch_add(1, Ordering::SeqCst);
                    lock(&self.timers).push(Reverse((at, seq, subject.to_owned(), step_byte(step), round)));
                }
                Action::Decide { value, round, .. } => self.conclude(st, subject, value, round),
            }
        }
    }

    /// Builds the certificate of a decision from the precommits held and adopts it. Our
    /// own precommit goes in only once it is durable (a certificate is a way out of the
    /// process too); if a quorum needs it, the persister concludes after its commit.
    fn conclude(&self, st: &mut State, subject: &str, value: ValueId, round: u64) {
        let own_inflight = st.inflight.contains_key(&(subject.to_owned(), round, 3));
        let me = self.cfg.me as u16;
        let Some(s) = st.subjects.get_mut(subject) else {
            return;
        };
        if s.decided.is_some() {
            return;
        }
        let Some(body) = s.values.get(&value).cloned() else {
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
        let sb = match m.kind {
            Kind::Proposal { .. } => 1,
            Kind::Prevote(_) => 2,
            Kind::Precommit(_) => 3,
        };
        let key = (subject.to_owned(), m.round, sb);
        let stored = match st.inflight.get(&key) {
            // Signed a moment ago, on its way to the disk: that vote, not a new one.
            Some(f) => Some(Err(f.clone())),
            None => guard::stored(st.ledger.store(), subject, m.round, sb)
                .ok()?
                .map(Ok),
        };
        let frame: Value = match stored {
            Some(Err(inflight)) => inflight,
            Some(Ok(text)) => {
                let f: Value = serde_json::from_str(&text).ok()?;
                self.broadcast_frame(&f);
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
                let body = match &m.kind {
                    Kind::Proposal { value, .. } => st.subjects.get(subject)?.values.get(value).cloned(),
                    _ => None,
                };
                let frame = wire::vote_json(&vote, body.as_ref());
                let nth = self.signed.fetch_add(1, Ordering::SeqCst) + 1;
                if self.cfg.crash == Some(CrashPoint::BeforePersist(nth)) {
                    std::process::abort();
                }
                // Durable before it leaves the process: the persister commits it (with
                // any other votes waiting, one fsync for all) and only then sends it.
                st.inflight.insert(key.clone(), frame.clone());
                let _ = lock(&self.persist).send(Persist {
                    key,
                    frame: frame.clone(),
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
                    self.broadcast_frame(&wire::vote_json(&v, None));
                }
            }
        }
        let s = st.subjects.get_mut(subject)?;
        s.own.push(frame.clone());
        if s.own.len() > 6 {
            s.own.remove(0);
        }
        let (vote, _) = wire::parse_vote(&frame).ok()?;
        let value = match &vote.kind {
            Kind::Proposal { value, .. } => Some(*value),
            Kind::Prevote(v) | Kind::Precommit(v) => *v,
        };
        s.sigs
            .entry((vote.round, sb, value))
            .or_default()
            .entry(vote.from)
            .or_insert(vote.sig);
        Some(s.inst.on_message(Message {
            round: vote.round,
            from: vote.from as usize,
            kind: vote.kind,
        }))
    }

    fn broadcast_frame(&self, frame: &Value) {
        let bytes = encode(frame);
        for p in self.peers.iter().flatten() {
            if let Err(TrySendError::Full(_)) = p.tx.try_send(Arc::clone(&bytes)) {
                // The peer is far behind or down: it catches up from the re-send on
                // reconnect.
            }
        }
    }

    /// Takes a verified certificate: decides (once), records it in the ledger, tells peers.
    fn adopt(&self, st: &mut State, cert: Certificate) {
        if !st.subjects.contains_key(&cert.subject) && self.open_subject(st, &cert.subject).is_err() {
            return;
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
        let elapsed = s.started.elapsed();
        st.recent.push_back(cert.subject.clone());
        if st.recent.len() > 1000 {
            if let Some(old) = st.recent.pop_front() {
                st.subjects.remove(&old);
            }
        }
        self.metrics.decisions.fetch_add(1, Ordering::Relaxed);
        self.metrics
            .rounds_sum
            .fetch_add(cert.round + 1, Ordering::Relaxed);
        let ms = elapsed.as_millis() as u64;
        let b = BUCKETS_MS
            .iter()
            .position(|&x| ms <= x)
            .unwrap_or(BUCKETS_MS.len());
        self.metrics.latency_buckets[b].fetch_add(1, Ordering::Relaxed);
        self.metrics
            .latency_sum_us
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        self.broadcast_frame(&cert_frame(&cert));
        // Into the ledger: one decision entry with its certificate and the validator set.
        let content = decision_content(&self.cfg.set, &cert);
        self.decided_cv.notify_all();
        // The ledger writer batches decisions: one transaction and checkpoint per batch.
        let _ = lock(&self.decisions).send(NewEntry {
            kind: "decision".into(),
            source: "bft".into(),
            content,
            refs: vec![],
        });
    }

    /// Makes signed votes durable in batches (one transaction, one fsync), then sends
    /// them: nothing leaves the process before it is on disk.
    fn persister(&self, mut store: Box<dyn Store>, rx: Receiver<Persist>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < 256 {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            let committed = (|| -> crate::ledger::store::StoreResult<()> {
                let mut tx = store.write()?;
                for p in &batch {
                    let (subject, round, step) = &p.key;
                    guard::store(tx.as_mut(), subject, *round, *step, &p.frame.to_string())?;
                }
                tx.commit()
            })();
            if committed.is_err() {
                // Not durable, so never sent; the round's timeouts carry on without it.
                let mut st = lock(&self.state);
                for p in &batch {
                    st.inflight.remove(&p.key);
                }
                continue;
            }
            if batch
                .iter()
                .any(|p| self.cfg.crash == Some(CrashPoint::AfterPersist(p.nth)))
            {
                std::process::abort();
            }
            for p in &batch {
                self.broadcast_frame(&p.frame);
            }
            let mut st = lock(&self.state);
            for p in &batch {
                st.inflight.remove(&p.key);
            }
            for p in &batch {
                let subject = &p.key.0;
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
    /// fsync and one checkpoint for a burst), on its own connection to the ledger.
    fn ledger_writer(
        path: std::path::PathBuf,
        kinds: Arc<Kinds>,
        signers: Arc<Mutex<Signers>>,
        clock: Box<dyn Fn() -> Clock + Send>,
        rx: Receiver<NewEntry>,
    ) {
        let Ok(mut ledger) = Ledger::open(&path, kinds) else {
            return;
        };
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < 512 {
                match rx.try_recv() {
                    Ok(e) => batch.push(e),
                    Err(_) => break,
                }
            }
            let clock = clock();
            let signers = lock(&signers);
            let _ = ledger.append::<LedgerError>(&signers, &clock, batch.into_iter().map(Ok), &mut |_| {});
        }
    }

    fn on_submit(&self, frame: &Value) -> std::result::Result<Value, String> {
        let subject = frame
            .get("subject")
            .and_then(Value::as_str)
            .ok_or("submit needs a subject")?
            .to_owned();
        wire::check_subject(&subject)?;
        let content = frame
            .get("content")
            .and_then(Value::as_object)
            .cloned()
            .ok_or("submit needs a content object")?;
        let mut st = lock(&self.state);
        if !st.subjects.contains_key(&subject) {
            self.open_subject(&mut st, &subject)?;
        }
        self.learn(&mut st, &subject, content);
        Ok(json!({"type": "ok"}))
    }

    fn on_query(&self, frame: &Value) -> std::result::Result<Value, String> {
        let subject = frame
            .get("subject")
            .and_then(Value::as_str)
            .ok_or("query needs a subject")?;
        // With wait_ms, block (up to 10 s) until the subject is decided: one request per
        // decision instead of polling.
        let wait = Duration::from_millis(
            frame
                .get("wait_ms")
                .and_then(Value::as_u64)
                .unwrap_or(0)
                .min(10_000),
        );
        let deadline = Instant::now() + wait;
        let mut st = lock(&self.state);
        loop {
            let decided = st.subjects.get(subject).is_some_and(|s| s.decided.is_some());
            let now = Instant::now();
            if decided || now >= deadline {
                break;
            }
            st = self
                .decided_cv
                .wait_timeout(st, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
        Ok(match st.subjects.get(subject) {
            Some(s) => match &s.decided {
                Some(c) => {
                    let mut v = wire::certificate_json(c);
                    v["type"] = json!("certificate");
                    v
                }
                None => {
                    json!({"type": "undecided", "round": s.inst.round(), "step": format!("{:?}", s.inst.step()).to_lowercase()})
                }
            },
            None => json!({"type": "unknown"}),
        })
    }

    fn on_operator(&self, frame: &Value) -> std::result::Result<Value, String> {
        let subject = frame
            .get("subject")
            .and_then(Value::as_str)
            .ok_or("operator vote needs a subject")?;
        let decision = frame
            .get("decision")
            .and_then(Value::as_str)
            .and_then(Decision::parse)
            .ok_or("operator vote needs decision approve or reject")?;
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
        Ok(json!({"type": "ok"}))
    }

    fn pending(&self) -> Value {
        let st = lock(&self.state);
        let list: Vec<Value> = st
            .subjects
            .iter()
            .flat_map(|(subject, s)| {
                s.pending
                    .iter()
                    .map(move |(_, c)| json!({"subject": subject, "content": Value::Object(c.clone())}))
            })
            .collect();
        json!({"type": "pending", "pending": list})
    }

    fn status(&self) -> Value {
        let st = lock(&self.state);
        let me = &self.cfg.set.validators[self.cfg.me];
        let in_progress: Vec<Value> = st
            .subjects
            .iter()
            .filter(|(_, s)| s.decided.is_none())
            .map(|(k, s)| json!({"subject": k, "round": s.inst.round(), "step": format!("{:?}", s.inst.step()).to_lowercase()}))
            .collect();
        let recent: Vec<Value> = st
            .recent
            .iter()
            .rev()
            .take(20)
            .filter_map(|k| st.subjects.get(k).and_then(|s| s.decided.as_ref()))
            .map(|c| json!({"subject": c.subject, "decision": c.decision.as_str(), "round": c.round}))
            .collect();
        let peers: Vec<Value> = self
            .cfg
            .set
            .validators
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let up = match &self.peers[i] {
                    None => true,
                    Some(p) => p.up.load(Ordering::Relaxed),
                };
                json!({"name": v.name, "address": v.address.to_string(), "up": up, "self": i == self.cfg.me})
            })
            .collect();
        json!({
            "type": "status", "name": me.name, "index": self.cfg.me, "cluster": self.cfg.set.cluster,
            "epoch": self.cfg.set.epoch, "validators_hash": crate::ledger::entry::hex(&self.cfg.set.hash),
            "in_progress": in_progress, "recent_decisions": recent, "peers": peers,
            "decisions": self.metrics.decisions.load(Ordering::Relaxed),
            "evidence": st.subjects.values().map(|s| s.inst.evidence.len()).sum::<usize>(),
        })
    }

    /// One peer's sender: connects, re-sends what the peer may have missed, then streams.
    fn sender(&self, i: usize, rx: Receiver<Arc<Vec<u8>>>) {
        let addr = self.cfg.set.validators[i].address;
        let Some(peer) = &self.peers[i] else { return };
        let mut backoff = Duration::from_millis(50);
        loop {
            let mut stream = match TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
                Ok(s) => s,
                Err(_) => {
                    peer.up.store(false, Ordering::Relaxed);
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
            backoff = Duration::from_millis(50);
            peer.up.store(true, Ordering::Relaxed);
            let catch_up = self.catch_up_frames();
            if catch_up
                .iter()
                .any(|f| wire::write_frame(&mut stream, f).is_err())
            {
                peer.up.store(false, Ordering::Relaxed);
                continue;
            }
            loop {
                match rx.recv_timeout(Duration::from_millis(500)) {
                    Ok(frame) => {
                        if stream.write_all(&frame).is_err() {
                            break;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        // Notice a peer that went away even when idle.
                        let mut probe = [0u8; 1];
                        let _ = stream.set_nonblocking(true);
                        let gone = matches!(std::io::Read::read(&mut stream, &mut probe), Ok(0));
                        let _ = stream.set_nonblocking(false);
                        if gone {
                            break;
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            peer.up.store(false, Ordering::Relaxed);
            let _ = stream.flush();
        }
    }

    /// What a (re)connected peer is sent first: recent certificates, and our latest votes
    /// for subjects still open.
    fn catch_up_frames(&self) -> Vec<Value> {
        let st = lock(&self.state);
        let mut out = Vec::new();
        for s in st.subjects.values() {
            match &s.decided {
                Some(c) => out.push(cert_frame(c)),
                None => out.extend(s.own.iter().cloned()),
            }
        }
        out
    }

    fn timer_loop(&self) {
        loop {
            std::thread::sleep(Duration::from_millis(5));
            let now = Instant::now();
            let mut due = Vec::new();
            {
                let mut t = lock(&self.timers);
                while t.peek().is_some_and(|Reverse((at, ..))| *at <= now) {
                    if let Some(Reverse((_, _, subject, step, round))) = t.pop() {
                        due.push((subject, step, round));
                    }
                }
            }
            if due.is_empty() {
                continue;
            }
            let mut st = lock(&self.state);
            for (subject, step, round) in due {
                let Some(s) = st.subjects.get_mut(&subject) else {
                    continue;
                };
                let actions = s.inst.on_timeout(step_of(step), round);
                self.run_actions(&mut st, &subject, actions);
            }
        }
    }

    fn metrics_loop(&self, l: TcpListener) {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let body = self.metrics_text();
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    }

    /// Prometheus text exposition.
    pub fn metrics_text(&self) -> String {
        let m = &self.metrics;
        let decisions = m.decisions.load(Ordering::Relaxed);
        let mut s = String::new();
        s.push_str("# HELP echoctl_bft_decisions_total Decisions this node reached.\n# TYPE echoctl_bft_decisions_total counter\n");
        s.push_str(&format!("echoctl_bft_decisions_total {decisions}\n"));
        s.push_str("# HELP echoctl_bft_rounds_per_decision_sum Rounds (1 = decided in round 0) summed over decisions.\n# TYPE echoctl_bft_rounds_per_decision_sum counter\n");
        s.push_str(&format!(
            "echoctl_bft_rounds_per_decision_sum {}\n",
            m.rounds_sum.load(Ordering::Relaxed)
        ));
        s.push_str("# HELP echoctl_bft_decision_latency_seconds From a subject's first message to its decision.\n# TYPE echoctl_bft_decision_latency_seconds histogram\n");
        let mut acc = 0;
        for (i, le) in BUCKETS_MS.iter().enumerate() {
            acc += m.latency_buckets[i].load(Ordering::Relaxed);
            s.push_str(&format!(
                "echoctl_bft_decision_latency_seconds_bucket{{le=\"{}\"}} {acc}\n",
                *le as f64 / 1000.0
            ));
        }
        acc += m.latency_buckets[BUCKETS_MS.len()].load(Ordering::Relaxed);
        s.push_str(&format!(
            "echoctl_bft_decision_latency_seconds_bucket{{le=\"+Inf\"}} {acc}\n"
        ));
        s.push_str(&format!(
            "echoctl_bft_decision_latency_seconds_sum {}\nechoctl_bft_decision_latency_seconds_count {decisions}\n",
            m.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        ));
        let up = self
            .peers
            .iter()
            .flatten()
            .filter(|p| p.up.load(Ordering::Relaxed))
            .count();
        s.push_str("# HELP echoctl_bft_peers_up Peers this node is connected to.\n# TYPE echoctl_bft_peers_up gauge\n");
        s.push_str(&format!("echoctl_bft_peers_up {up}\n"));
        s
    }
}

/// A node may serve a validator set only if its ledger's decisions were all made by that
/// set, or the ledger records the set's approval by a decision of an earlier set.
fn check_set_history(ledger: &Ledger, set: &ValidatorSet) -> Result<()> {
    let mut other = false;
    let mut approved = false;
    ledger.log(
        &LogFilter {
            kind: Some("decision".into()),
            ..Default::default()
        },
        |e| {
            if let Some(Ok(facts)) = super::check_decision_entry(&e.entry.content) {
                other |= facts.set_hash != set.hash;
                approved |= facts.approves_set == Some(set.hash);
            }
            Ok::<(), BftError>(())
        },
    )?;
    if other && !approved {
        return Err(BftError::SetHistory {
            cluster: set.cluster.clone(),
            epoch: set.epoch,
        });
    }
    Ok(())
}

/// A frame's bytes, encoded once for every peer.
fn encode(v: &Value) -> Arc<Vec<u8>> {
    let mut out = Vec::new();
    let _ = wire::write_frame(&mut out, v);
    Arc::new(out)
}

fn cert_frame(c: &Certificate) -> Value {
    let mut v = wire::certificate_json(c);
    v["type"] = json!("certificate");
    v
}

/// The `bft` object of a `decision` entry or a quorum ruling (docs/FORMAT.md §12): the
/// certificate and the validator set that made it.
pub fn certificate_record(set: &ValidatorSet, cert: &Certificate) -> Value {
    let mut bft = wire::certificate_json(cert);
    bft["cluster"] = json!(set.cluster);
    bft["epoch"] = json!(set.epoch);
    bft["validators_hash"] = json!(crate::ledger::entry::hex(&set.hash));
    bft["validators"] = Value::Array(
        set.validators
            .iter()
            .map(|v| json!({"name": v.name, "key": v.key.to_string()}))
            .collect(),
    );
    bft
}

/// The content of a `decision` entry (docs/FORMAT.md §12).
pub fn decision_content(set: &ValidatorSet, cert: &Certificate) -> Map<String, Value> {
    let bft = certificate_record(set, cert);
    let mut m = Map::new();
    m.insert(
        "text".into(),
        json!(format!(
            "{}: {} (BFT, round {})",
            cert.subject,
            cert.decision.as_str(),
            cert.round
        )),
    );
    m.insert("bft".into(), bft);
    m
}
