//! Prometheus text exposition (`bft serve --metrics ADDR`): decisions, rounds, decision
//! latency, peers up, subjects open, connections and refusals.

use super::Node;
use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BUCKETS_MS: [u64; 7] = [5, 10, 20, 50, 100, 500, 1000];

#[derive(Default)]
pub struct Metrics {
    pub decisions: AtomicU64,
    rounds_sum: AtomicU64,
    latency_buckets: [AtomicU64; 8],
    latency_sum_us: AtomicU64,
    /// Subjects in progress (a gauge, set as they change).
    pub open: AtomicU64,
    /// Frames refused (malformed, unauthorised, over a limit).
    pub refused: AtomicU64,
    /// Connections closed to make room in a full pool.
    pub evicted: AtomicU64,
}

impl Metrics {
    pub fn decided(&self, round: u64, elapsed: Duration) {
        self.decisions.fetch_add(1, Ordering::Relaxed);
        self.rounds_sum.fetch_add(round + 1, Ordering::Relaxed);
        let ms = elapsed.as_millis() as u64;
        let b = BUCKETS_MS
            .iter()
            .position(|&x| ms <= x)
            .unwrap_or(BUCKETS_MS.len());
        self.latency_buckets[b].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

fn counter(s: &mut String, name: &str, help: &str, kind: &str, value: impl std::fmt::Display) {
    s.push_str(&format!(
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
    ));
}

impl Node {
    pub(super) fn metrics_loop(&self, l: TcpListener) {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
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
        counter(
            &mut s,
            "echoctl_bft_decisions_total",
            "Decisions this node reached.",
            "counter",
            decisions,
        );
        counter(
            &mut s,
            "echoctl_bft_rounds_per_decision_sum",
            "Rounds (1 = decided in round 0) summed over decisions.",
            "counter",
            m.rounds_sum.load(Ordering::Relaxed),
        );
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
        counter(
            &mut s,
            "echoctl_bft_peers_up",
            "Peers this node is connected to.",
            "gauge",
            self.peers.up(),
        );
        counter(
            &mut s,
            "echoctl_bft_subjects_open",
            "Subjects in progress.",
            "gauge",
            m.open.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "echoctl_bft_connections",
            "Inbound connections held.",
            "gauge",
            self.conns.held(),
        );
        counter(
            &mut s,
            "echoctl_bft_refused_total",
            "Frames refused: malformed, unauthorised or over a limit.",
            "counter",
            m.refused.load(Ordering::Relaxed),
        );
        counter(
            &mut s,
            "echoctl_bft_connections_evicted_total",
            "Connections closed to make room in a full pool.",
            "counter",
            m.evicted.load(Ordering::Relaxed),
        );
        s
    }
}
