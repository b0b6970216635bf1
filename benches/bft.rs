//! BFT benchmarks (never run by CI): four release `echoctl bft serve` processes on
//! loopback with key files and durable votes (SQLite synchronous=FULL), driven by the
//! library client:
//!
//!   cargo build --release && cargo run --release --example bench_bft -- [SEQUENTIAL] [CONCURRENT] [THREADS]
//!
//! 1. Latency: SEQUENTIAL proposals (default 200) one after another; from the first
//!    submit to holding a verified certificate.
//! 2. Throughput: CONCURRENT subjects (default 1000) proposed from THREADS client threads
//!    (default 16); decisions per second until every certificate is in hand.

#[path = "cluster.rs"]
mod cluster;

use cluster::BenchCluster;
use echoctl::bft::client::{propose, Outcome};
use serde_json::json;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let sequential: usize = args.next().map_or(200, |a| a.parse().expect("SEQUENTIAL"));
    let concurrent: usize = args.next().map_or(1000, |a| a.parse().expect("CONCURRENT"));
    let threads: usize = args.next().map_or(16, |a| a.parse().expect("THREADS"));
    let cluster = BenchCluster::start("bench", |_| String::new());
    let set = &cluster.set;
    let decide = |subject: &str| {
        let content = json!({"text": subject}).as_object().unwrap().clone();
        match propose(set, subject, &content, None, Duration::from_secs(30)).unwrap() {
            Outcome::Decided(_) => {}
            Outcome::Undecided { .. } => panic!("{subject} undecided"),
        }
    };
    // Warm up.
    for i in 0..10 {
        decide(&format!("warm-{i}"));
    }
    let mut lat: Vec<Duration> = (0..sequential)
        .map(|i| {
            let t = Instant::now();
            decide(&format!("seq-{i}"));
            t.elapsed()
        })
        .collect();
    lat.sort();
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    println!(
        "decision latency, {sequential} sequential proposals: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..threads {
            let decide = &decide;
            s.spawn(move || {
                for i in (k..concurrent).step_by(threads) {
                    decide(&format!("conc-{i}"));
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "throughput, {concurrent} subjects from {threads} client threads: {secs:.2} s = {:.0} decisions/s",
        concurrent as f64 / secs
    );
}
