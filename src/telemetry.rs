//! The program's metrics: one recorder for the whole process (the `metrics` facade, read
//! out as Prometheus text by `metrics-exporter-prometheus`). Library code records with
//! `metrics::counter!`, `gauge!` and `histogram!`; a long-running command (`serve`,
//! `bft serve`) installs the recorder once and answers `GET /metrics` with [`render`].
//! Nothing is recorded (and nothing costs) until [`install`] has run.
//!
//! Histograms have fixed buckets (Prometheus `_bucket` series, not summaries): seconds
//! for names ending in `_seconds`, counts for names ending in `_entries`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

const SECONDS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];
const COUNTS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 64.0, 256.0, 1024.0, 4096.0];

/// Installs the process's recorder (once; later calls return the same). None if another
/// recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let b = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS)
                .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_entries".into()), &COUNTS))
                .ok()?;
            b.install_recorder().ok()
        })
        .as_ref()
}

/// The Prometheus text exposition of everything recorded so far.
pub fn render() -> String {
    match HANDLE.get().and_then(Option::as_ref) {
        Some(h) => {
            h.run_upkeep();
            h.render()
        }
        None => String::new(),
    }
}
