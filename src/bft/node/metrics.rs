//! The validator's metrics (`bft serve --metrics ADDR`), recorded through the program's
//! one metrics recorder (`crate::telemetry`) and served as Prometheus text by the same
//! HTTP stack as `echoctl serve`: decisions, rounds, decision latency, peers up, subjects
//! open, connections and refusals.

use super::Node;
use axum::routing::get;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What the node also keeps itself (`bft status` reports decisions).
#[derive(Default)]
pub struct Metrics {
    pub decisions: AtomicU64,
}

impl Metrics {
    pub fn decided(&self, round: u64, elapsed: Duration) {
        self.decisions.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("echoctl_bft_decisions_total").increment(1);
        metrics::counter!("echoctl_bft_rounds_per_decision_sum").increment(round + 1);
        metrics::histogram!("echoctl_bft_decision_latency_seconds").record(elapsed.as_secs_f64());
    }

    /// Subjects in progress.
    pub fn open(&self, n: usize) {
        metrics::gauge!("echoctl_bft_subjects_open").set(n as f64);
    }

    /// A frame refused: malformed, unauthorised or over a limit.
    pub fn refused(&self) {
        metrics::counter!("echoctl_bft_refused_total").increment(1);
    }

    /// A connection closed to make room in a full pool.
    pub fn evicted(&self) {
        metrics::counter!("echoctl_bft_connections_evicted_total").increment(1);
    }
}

/// Installs the recorder and names the series, before the node's threads record any.
pub(super) fn prepare() {
    crate::telemetry::install();
    describe();
    metrics::counter!("echoctl_bft_decisions_total").absolute(0);
    metrics::counter!("echoctl_bft_refused_total").absolute(0);
    metrics::counter!("echoctl_bft_connections_evicted_total").absolute(0);
    metrics::gauge!("echoctl_bft_subjects_open").set(0.0);
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!("echoctl_bft_decisions_total", "Decisions this node reached.");
    describe_counter!(
        "echoctl_bft_rounds_per_decision_sum",
        "Rounds (1 = decided in round 0) summed over decisions."
    );
    describe_histogram!(
        "echoctl_bft_decision_latency_seconds",
        metrics::Unit::Seconds,
        "From a subject's first message to its decision."
    );
    describe_gauge!("echoctl_bft_peers_up", "Peers this node is connected to.");
    describe_gauge!("echoctl_bft_subjects_open", "Subjects in progress.");
    describe_gauge!("echoctl_bft_connections", "Inbound connections held.");
    describe_counter!(
        "echoctl_bft_refused_total",
        "Frames refused: malformed, unauthorised or over a limit."
    );
    describe_counter!(
        "echoctl_bft_connections_evicted_total",
        "Connections closed to make room in a full pool."
    );
}

impl Node {
    /// Serves `GET /metrics` on `l` for the life of the process.
    pub(super) fn metrics_loop(self: Arc<Self>, l: std::net::TcpListener) {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return tracing::error!(error = %e, "cannot start the metrics server"),
        };
        let node = self;
        let app = axum::Router::new().route(
            "/metrics",
            get(move || {
                let node = Arc::clone(&node);
                async move {
                    metrics::gauge!("echoctl_bft_peers_up").set(node.peers.up() as f64);
                    metrics::gauge!("echoctl_bft_connections").set(node.conns.held() as f64);
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
                        crate::telemetry::render(),
                    )
                }
            }),
        );
        let limits = crate::serve::ConnLimits {
            max_connections: 64,
            header_timeout: Duration::from_secs(10),
            drain: Duration::from_secs(1),
        };
        rt.block_on(async move {
            if l.set_nonblocking(true).is_err() {
                return;
            }
            let Ok(l) = tokio::net::TcpListener::from_std(l) else {
                return;
            };
            crate::serve::http::serve(l, app, limits, std::future::pending()).await;
        });
    }
}
