//! Soak benchmark (never run by CI): four release `echoctl bft serve` processes with one
//! listed proposer, and the floods of issue 15 one after another — unsigned submissions,
//! a Byzantine validator's votes for unknown subjects, votes for far rounds, trickling
//! connections. For each: the latency of honest, signed proposals while it runs (p50,
//! p99), and every validator's peak RSS during it and its RSS 5 s after it ends. The
//! attacker is the hostile peer of the tests, written from docs/PROTOCOL.md alone.
//!
//!   cargo build --release && cargo run --release --example bench_bft_soak -- [PROPOSALS]

#[path = "../tests/cli/hostile_peer.rs"]
mod hostile_peer;

#[path = "cluster.rs"]
mod cluster;

use cluster::BenchCluster;
use echoctl::bft::client::{propose, Outcome};
use echoctl::sign::file::KeyFile;
use ed25519_dalek::SigningKey;
use hostile_peer::*;
use serde_json::json;
use std::io::Write;
use std::net::TcpStream;

use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

type Flood = Box<dyn Fn(Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<()>>>;

/// The Byzantine validator (index 3, key `evil`) sends honest validators 0 to 2, on a new
/// connection each time, the frames `batch` makes from its counter, until stopped.
fn vote_flood(
    wire: &Set,
    evil: &SigningKey,
    batch: impl Fn(&Set, &SigningKey, &mut u64) -> Vec<u8> + Clone + Send + 'static,
) -> Flood {
    let (addrs, evil, cluster, hash) = (
        wire.addresses.clone(),
        evil.clone(),
        wire.cluster.clone(),
        wire.hash,
    );
    Box::new(move |stop| {
        (0..3)
            .map(|i| {
                let (stop, addr, evil, batch) = (Arc::clone(&stop), addrs[i], evil.clone(), batch.clone());
                let set = Set {
                    cluster: cluster.clone(),
                    hash,
                    addresses: Vec::new(),
                };
                std::thread::spawn(move || {
                    let mut counter = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let bytes = batch(&set, &evil, &mut counter);
                        if let Ok(mut s) = TcpStream::connect(addr) {
                            let _ = s.write_all(&bytes);
                        }
                    }
                })
            })
            .collect()
    })
}

fn main() {
    let proposals: usize = std::env::args()
        .nth(1)
        .map_or(50, |a| a.parse().expect("PROPOSALS"));
    let cluster = BenchCluster::start("soak", |run| {
        run(&[
            "key",
            "generate",
            "--name",
            "soak/proposer",
            "--out",
            "proposer.key",
        ]);
        let proposer = run(&["key", "show", "--key", "proposer.key"]);
        format!("proposers = [\"{}\"]\n", proposer.trim())
    });
    let dir = &cluster.dir;
    let set = &cluster.set;
    let wire_set = read_set(&dir.path().join("v.toml"));
    let proposer = KeyFile::load(&dir.path().join("proposer.key")).unwrap();
    let key3 = std::fs::read_dir(dir.path().join("echoctl/keys"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("node3"))
        .unwrap();
    let (_, evil) = load_key(&key3);
    let pids: Vec<u32> = cluster.nodes.iter().map(Child::id).collect();
    let seq = AtomicU64::new(0);
    let honest = |label: &str| -> Vec<Duration> {
        let mut lat: Vec<Duration> = (0..proposals)
            .map(|_| {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let subject = format!("soak-{label}-{n}");
                let content = json!({"text": subject}).as_object().unwrap().clone();
                let t = Instant::now();
                match propose(set, &subject, &content, Some(&proposer), Duration::from_secs(60)).unwrap() {
                    Outcome::Decided(_) => t.elapsed(),
                    Outcome::Undecided { .. } => panic!("{subject} undecided"),
                }
            })
            .collect();
        lat.sort();
        lat
    };
    let addrs = wire_set.addresses.clone();
    let floods: Vec<(&str, Flood)> = vec![
        ("idle", Box::new(|_| Vec::new())),
        (
            "unsigned submissions",
            Box::new(move |stop| {
                (0..4)
                    .map(|i| {
                        let (stop, addr) = (Arc::clone(&stop), addrs[i]);
                        std::thread::spawn(move || {
                            let mut n = 0u64;
                            while !stop.load(Ordering::Relaxed) {
                                n += 1;
                                let _ = ask(addr, &json!({"type": "submit", "subject": format!("flood-{i}-{n}"), "content": {"n": n}}));
                            }
                        })
                    })
                    .collect()
            }),
        ),
        (
            "votes for unknown subjects",
            vote_flood(&wire_set, &evil, |set, evil, n| {
                (0..1_000)
                    .flat_map(|_| {
                        *n += 1;
                        frame(&vote(set, evil, 3, 2, &format!("ghost-{n}"), 0, None))
                    })
                    .collect()
            }),
        ),
        ("votes for far rounds", {
            let proposals = proposals as u64;
            // Far rounds of the subjects the honest proposer is about to use.
            vote_flood(&wire_set, &evil, move |set, evil, round| {
                (0..1_000u64)
                    .flat_map(|k| {
                        *round = (*round + 997) % 544_000;
                        let subject = format!("soak-votes for far rounds-{}", k % (5 * proposals));
                        frame(&vote(set, evil, 3, 3, &subject, *round + 5, None))
                    })
                    .collect()
            })
        }),
        ("300 trickling connections", {
            let addrs = wire_set.addresses.clone();
            Box::new(move |stop| {
                let addrs = addrs.clone();
                vec![std::thread::spawn(move || {
                    let mut held: Vec<TcpStream> = Vec::new();
                    while !stop.load(Ordering::Relaxed) {
                        for &a in &addrs {
                            while held.len() < 300 * addrs.len() {
                                match TcpStream::connect(a) {
                                    Ok(s) => held.push(s),
                                    Err(_) => break,
                                }
                                if held.len() % 300 == 0 {
                                    break;
                                }
                            }
                        }
                        held.retain_mut(|s| s.write_all(&[0]).is_ok());
                        std::thread::sleep(Duration::from_secs(1));
                    }
                })]
            })
        }),
    ];
    println!("{proposals} signed proposals per phase; RSS in MiB (max over the four validators)");
    println!(
        "{:<28} {:>8} {:>8} {:>12} {:>12}",
        "flood", "p50 ms", "p99 ms", "RSS during", "RSS after"
    );
    for (name, flood) in floods {
        let stop = Arc::new(AtomicBool::new(false));
        let attackers = flood(Arc::clone(&stop));
        std::thread::sleep(Duration::from_millis(if attackers.is_empty() {
            0
        } else {
            2_000
        }));
        let peak = Arc::new(AtomicU64::new(0));
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (peak, sampling, pids) = (Arc::clone(&peak), Arc::clone(&sampling), pids.clone());
            std::thread::spawn(move || {
                while sampling.load(Ordering::Relaxed) {
                    let m = pids.iter().map(|p| rss_kib(*p)).max().unwrap_or(0);
                    peak.fetch_max(m, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        let lat = honest(name);
        sampling.store(false, Ordering::Relaxed);
        sampler.join().unwrap();
        stop.store(true, Ordering::Relaxed);
        for a in attackers {
            a.join().unwrap();
        }
        std::thread::sleep(Duration::from_secs(5));
        let after = pids.iter().map(|p| rss_kib(*p)).max().unwrap_or(0);
        println!(
            "{:<28} {:>8.1} {:>8.1} {:>12.1} {:>12.1}",
            name,
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            peak.load(Ordering::Relaxed) as f64 / 1024.0,
            after as f64 / 1024.0
        );
    }
    let decisions: Vec<usize> = (0..4)
        .map(|i| {
            cluster
                .run(&[
                    "--db",
                    &format!("n{i}.db"),
                    "--json",
                    "ledger",
                    "log",
                    "--kind",
                    "decision",
                ])
                .lines()
                .count()
        })
        .collect();
    println!(
        "decision entries per ledger: {decisions:?} (5 phases × {proposals} proposals = {})",
        5 * proposals
    );
}
