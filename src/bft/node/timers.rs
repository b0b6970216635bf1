//! The consensus instances' timeouts: one heap, one thread that fires what is due.

use super::{lock, Node};
use crate::bft::consensus::Step;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often subjects that no other validator votes on are looked for.
const SWEEP: Duration = Duration::from_millis(250);

/// (when, order, subject, step, round).
type Entry = Reverse<(Instant, u64, String, StepKey, u64)>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct StepKey(u8);

impl From<Step> for StepKey {
    fn from(s: Step) -> Self {
        StepKey(match s {
            Step::Propose => 1,
            Step::Prevote => 2,
            Step::Precommit => 3,
        })
    }
}

impl StepKey {
    fn step(self) -> Step {
        match self.0 {
            1 => Step::Propose,
            2 => Step::Prevote,
            _ => Step::Precommit,
        }
    }
}

#[derive(Default)]
pub struct Timers {
    heap: Mutex<BinaryHeap<Entry>>,
    order: AtomicU64,
}

impl Timers {
    pub fn schedule(&self, subject: &str, step: Step, round: u64, after_ms: u64) {
        let at = Instant::now() + Duration::from_millis(after_ms);
        let seq = self.order.fetch_add(1, Ordering::Relaxed);
        lock(&self.heap).push(Reverse((at, seq, subject.to_owned(), step.into(), round)));
    }

    fn due(&self, now: Instant) -> Vec<(String, Step, u64)> {
        let mut t = lock(&self.heap);
        let mut out = Vec::new();
        while t.peek().is_some_and(|Reverse((at, ..))| *at <= now) {
            if let Some(Reverse((_, _, subject, step, round))) = t.pop() {
                out.push((subject, step.step(), round));
            }
        }
        out
    }
}

impl Node {
    pub(super) fn timer_loop(&self) {
        let mut swept = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(5));
            if swept.elapsed() >= SWEEP {
                swept = Instant::now();
                self.release_stalled(&mut lock(&self.state));
            }
            let due = self.timers.due(Instant::now());
            if due.is_empty() {
                continue;
            }
            let mut st = lock(&self.state);
            for (subject, step, round) in due {
                self.on_timeout(&mut st, &subject, step, round);
            }
        }
    }
}
