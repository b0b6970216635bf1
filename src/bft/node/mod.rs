//! A validator node (docs/PROTOCOL.md): listens on TCP, runs one consensus instance per
//! subject, signs and persists its votes before sending them, and appends each decision
//! with its certificate to its own ledger, once.
//!
//! - `conn`: the listener, connection pools per kind, frames read against deadlines;
//! - `driver`: votes, proposals and certificates into the consensus instances, and their
//!   actions out; `timers`: the instances' timeouts;
//! - `rpc`: client requests (submit, query, status, operator, pending);
//! - `persist`: votes and evidence made durable before they leave, decisions appended
//!   (logged and retried on failure, never dropped);
//! - `peers`: one sender per peer, with a bounded queue and catch-up on reconnect;
//! - `state`: what is held in memory and its bounds; `metrics`: Prometheus text.

mod conn;
mod driver;
mod metrics;
mod peers;
mod persist;
mod rpc;
mod state;
mod sync;
mod timers;

use super::consensus::Timeouts;
use super::error::{BftError, Result};
use super::guard;
use super::message::Certificate;
use super::validators::ValidatorSet;
use super::wire;
use crate::clock::Clock;
use crate::ledger::constraint::Rule;
use crate::ledger::store::Mode;
use crate::ledger::{Ledger, LedgerError, LogFilter};
use crate::sign::Signers;
use serde_json::{json, Map, Value};
use state::State;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

pub use metrics::Metrics;
pub use rpc::status_bytes;

/// How a node judges proposals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Approve what passes the checks (docs/PROTOCOL.md §7), reject the rest.
    Auto,
    /// Wait for the operator (`bft vote`).
    Manual,
}

/// The largest proposal content accepted, canonical bytes.
pub const MAX_CONTENT: usize = 16 * 1024;

pub struct NodeConfig {
    pub set: ValidatorSet,
    pub me: usize,
    pub listen: SocketAddr,
    pub policy: Policy,
    pub timeouts: Timeouts,
    pub metrics: Option<SocketAddr>,
    /// Test hook: abort the process at this point of the Nth vote this node signs.
    pub crash: Option<CrashPoint>,
    /// Shared with the BFT feature of the node's ledger: the decisions the node vouches for.
    pub vouched: crate::bft::Vouched,
    /// How long a write waits for another writer of the file (None: the store's default).
    pub lock_timeout: Option<std::time::Duration>,
    /// An undecided subject no other validator has voted on for this long is released
    /// (docs/PROTOCOL.md §7).
    pub release_after: std::time::Duration,
}

/// The default of `NodeConfig::release_after`.
pub const RELEASE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Where a crash test stops the node (the CLI takes it from ECHOCTL_BFT_CRASH).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After signing the Nth vote, before persisting it.
    BeforePersist(u64),
    /// After persisting the Nth vote, before sending it.
    AfterPersist(u64),
}

/// A running node.
pub struct Node {
    cfg: NodeConfig,
    state: Mutex<State>,
    peers: peers::Peers,
    timers: timers::Timers,
    decisions: Mutex<std::sync::mpsc::Sender<persist::Decided>>,
    persist: Mutex<std::sync::mpsc::Sender<persist::Persist>>,
    /// Notified on every decision (queries that wait).
    decided_cv: Condvar,
    signed: AtomicU64,
    conns: conn::Pools,
    permits: conn::Permits,
    metrics: Metrics,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Spawns a named thread with a small stack (a node runs one per connection).
fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(512 * 1024)
        .spawn(f)
        .map(drop)
}

impl Node {
    /// Checks the node's key and ledger, binds its port, starts its threads; then serves
    /// until the process ends. `ready` gets the bound address.
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
        let rules = constraint_rules(&ledger)?;
        let listen = cfg.listen;
        let bind_failed = |source| BftError::Listen { addr: listen, source };
        let listener = TcpListener::bind(listen).map_err(bind_failed)?;
        let local = listener.local_addr().map_err(bind_failed)?;
        // The index of decided subjects, built once for a ledger written before it.
        let mut writer = Ledger::open(ledger.location(), Arc::clone(ledger.kinds()))?;
        writer.index_claims(super::kinds::FEATURE)?;
        let stored = guard::all(ledger.store()).map_err(LedgerError::from)?;
        let evidence = persist::evidence_count(ledger.store()).map_err(LedgerError::from)?;
        let guard_store =
            crate::ledger::store::open(ledger.location(), Mode::ReadWrite).map_err(LedgerError::from)?;
        if let Some(t) = cfg.lock_timeout {
            writer.set_lock_timeout(t)?;
            guard_store.set_lock_timeout(t).map_err(LedgerError::from)?;
        }
        let (decisions_tx, decisions_rx) = std::sync::mpsc::channel();
        let (persist_tx, persist_rx) = std::sync::mpsc::channel();
        let metrics_addr = cfg.metrics;
        if metrics_addr.is_some() {
            metrics::prepare();
        }
        let peers = peers::Peers::new(cfg.set.n(), cfg.me);
        let node = Arc::new(Node {
            state: Mutex::new(State {
                ledger,
                signers: Arc::new(Mutex::new(signers)),
                rules,
                subjects: Default::default(),
                recent: Default::default(),
                inflight: Default::default(),
                budgets: Default::default(),
                unknown: Default::default(),
                evidence,
                released: Default::default(),
            }),
            cfg,
            peers,
            timers: timers::Timers::default(),
            decisions: Mutex::new(decisions_tx),
            persist: Mutex::new(persist_tx),
            decided_cv: Condvar::new(),
            signed: AtomicU64::new(0),
            conns: conn::Pools::default(),
            permits: conn::Permits::default(),
            metrics: Metrics::default(),
        });
        let thread_failed = |source| BftError::Listen { addr: listen, source };
        {
            let n = Arc::clone(&node);
            spawn("ledger-writer", move || {
                n.ledger_writer(writer, clock, decisions_rx)
            })
            .map_err(thread_failed)?;
        }
        {
            let n = Arc::clone(&node);
            spawn("persister", move || n.persister(guard_store, persist_rx)).map_err(thread_failed)?;
        }
        // A restarted node: its own stored votes back into its state (subjects decided
        // in its ledger stay decided), and re-sent.
        node.replay_own_votes(stored);
        for i in 0..node.cfg.set.n() {
            if i != node.cfg.me {
                let n = Arc::clone(&node);
                spawn(&format!("peer-{i}"), move || n.sender(i)).map_err(thread_failed)?;
            }
        }
        {
            let n = Arc::clone(&node);
            spawn("timers", move || n.timer_loop()).map_err(thread_failed)?;
        }
        if let Some(addr) = metrics_addr {
            let l = TcpListener::bind(addr).map_err(|source| BftError::Listen { addr, source })?;
            let n = Arc::clone(&node);
            spawn("metrics", move || n.metrics_loop(l)).map_err(thread_failed)?;
        }
        tracing::info!(
            validator = %node.cfg.set.validators[node.cfg.me].name,
            index = node.cfg.me,
            address = %local,
            cluster = %node.cfg.set.cluster,
            epoch = node.cfg.set.epoch,
            proposers = node.cfg.set.proposers.len(),
            "serving"
        );
        ready(local);
        node.accept_loop(listener);
        Ok(())
    }

    /// The count of signed votes, for the crash hook.
    fn next_signed(&self) -> u64 {
        self.signed.fetch_add(1, Ordering::SeqCst) + 1
    }
}

/// The `constraint` rules of the node's ledger as it stands (the auto policy applies them).
fn constraint_rules(ledger: &Ledger) -> Result<Vec<Rule>> {
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
    Ok(rules)
}

/// A node may serve a validator set only if its ledger's decisions were all made by that
/// set, or the ledger records the set's approval by a decision of an earlier set.
fn check_set_history(ledger: &Ledger, set: &ValidatorSet) -> Result<()> {
    let mut other = false;
    let mut approved = false;
    ledger.log(
        &LogFilter {
            kind: Some(super::kinds::KIND_DECISION.into()),
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
