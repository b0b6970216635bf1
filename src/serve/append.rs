//! `POST /entries`: appends over HTTP. One writer thread owns the writable ledger and
//! the signers; requests queue to it (a bounded queue: a full one answers 503), and it
//! commits what has gathered as one transaction with one checkpoint, as Tessera batches:
//! up to `max_batch` entries or until the oldest request is `batch_age` old. A request is
//! all or nothing; when a batch is refused, its requests are retried one by one, so that
//! one client's bad entry never fails another's.

use crate::clock::Clock;
use crate::ledger::error::LedgerError;
use crate::ledger::{Ledger, NewEntry};
use crate::sign::Signers;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How the writer batches.
#[derive(Clone, Copy, Debug)]
pub struct Batching {
    /// Entries per transaction (a request is never split; one may take a batch past it).
    pub max_batch: usize,
    /// How long the first request of a batch may wait for others (zero: only for those
    /// already queued).
    pub batch_age: Duration,
    /// Requests waiting for the writer; more are answered 503.
    pub queue: usize,
}

/// What an accepted request wrote.
#[derive(Clone, Debug)]
pub struct Written {
    pub first_seq: u64,
    pub ids: Vec<String>,
    /// The size of the checkpoint that covers them (the batch's).
    pub size: u64,
}

/// Why a request's entries were not written.
#[derive(Clone, Debug)]
pub struct Refused {
    /// The entries themselves are at fault (an unknown kind, a missing ref, too large, a
    /// feature's rule): the client's to fix. Otherwise the server could not write.
    pub by_rule: bool,
    pub message: String,
}

impl Refused {
    fn from(e: &LedgerError) -> Refused {
        use LedgerError as L;
        let by_rule = !matches!(
            e,
            L::Store(_)
                | L::Damaged(_)
                | L::Io { .. }
                | L::Worker
                | L::Random(_)
                | L::Sign(_)
                | L::Revoked { .. }
        );
        Refused {
            by_rule,
            message: crate::text::with_causes(e),
        }
    }
}

struct Job {
    entries: Vec<NewEntry>,
    reply: oneshot::Sender<Result<Written, Refused>>,
}

/// Why a request was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    /// The queue is full: try again shortly.
    Full,
    /// The writer has stopped (it failed, or the server is stopping).
    Stopped,
}

/// The handle requests use to reach the writer thread.
#[derive(Clone)]
pub struct Appender {
    jobs: SyncSender<Job>,
}

impl Appender {
    /// Starts the writer thread on `ledger`. It stops when every `Appender` is dropped,
    /// after committing what was queued.
    pub fn start(
        ledger: Ledger,
        signers: Signers,
        clock: Box<dyn Fn() -> Clock + Send>,
        batching: Batching,
    ) -> std::io::Result<(Appender, std::thread::JoinHandle<()>)> {
        let (tx, rx) = std::sync::mpsc::sync_channel(batching.queue.max(1));
        let handle = std::thread::Builder::new()
            .name("appender".into())
            .spawn(move || writer(ledger, signers, clock, batching, rx))?;
        Ok((Appender { jobs: tx }, handle))
    }

    /// Queues `entries` and waits for the batch that holds them to commit.
    pub async fn append(&self, entries: Vec<NewEntry>) -> Result<Result<Written, Refused>, QueueError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.try_send(Job { entries, reply }).map_err(|e| match e {
            TrySendError::Full(_) => QueueError::Full,
            TrySendError::Disconnected(_) => QueueError::Stopped,
        })?;
        answer.await.map_err(|_| QueueError::Stopped)
    }
}

fn writer(
    mut ledger: Ledger,
    signers: Signers,
    clock: Box<dyn Fn() -> Clock + Send>,
    b: Batching,
    rx: Receiver<Job>,
) {
    while let Ok(first) = rx.recv() {
        let deadline = Instant::now() + b.batch_age;
        let mut count = first.entries.len();
        let mut jobs = vec![first];
        while count < b.max_batch {
            let next = if b.batch_age.is_zero() {
                rx.try_recv().ok()
            } else {
                rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    .ok()
            };
            let Some(j) = next else { break };
            count += j.entries.len();
            jobs.push(j);
        }
        commit(&mut ledger, &signers, &clock(), jobs);
    }
}

/// Commits `jobs` as one transaction; if that is refused, each on its own.
fn commit(ledger: &mut Ledger, signers: &Signers, clock: &Clock, jobs: Vec<Job>) {
    let started = Instant::now();
    let all = jobs.iter().flat_map(|j| j.entries.iter().cloned()).map(Ok);
    match ledger.append::<LedgerError>(signers, clock, all, &mut |_| {}) {
        Ok(a) => {
            metrics::counter!("echoctl_http_append_batches_total").increment(1);
            metrics::histogram!("echoctl_http_append_batch_entries").record(a.count as f64);
            metrics::histogram!("echoctl_http_append_commit_seconds").record(started.elapsed().as_secs_f64());
            let mut at = 0;
            for j in jobs {
                let n = j.entries.len();
                let ids = a.entries[at..at + n].iter().map(|w| w.id_text()).collect();
                let _ = j.reply.send(Ok(Written {
                    first_seq: a.first_seq + at as u64,
                    ids,
                    size: a.checkpoint.size,
                }));
                at += n;
            }
        }
        Err(e) if jobs.len() == 1 || !Refused::from(&e).by_rule => {
            let refused = Refused::from(&e);
            if !refused.by_rule {
                tracing::error!(error = %refused.message, "append failed");
            }
            for j in jobs {
                let _ = j.reply.send(Err(refused.clone()));
            }
        }
        Err(_) => {
            for j in jobs {
                commit(ledger, signers, clock, vec![j]);
            }
        }
    }
}
