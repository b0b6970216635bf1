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

use echoctl::bft::client::{propose, Outcome};
use echoctl::bft::validators::ValidatorSet;
use serde_json::json;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let sequential: usize = args.next().map_or(200, |a| a.parse().expect("SEQUENTIAL"));
    let concurrent: usize = args.next().map_or(1000, |a| a.parse().expect("CONCURRENT"));
    let threads: usize = args.next().map_or(16, |a| a.parse().expect("THREADS"));
    let bin = std::env::var_os("ECHOCTL_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"));
    assert!(bin.exists(), "build echoctl first: cargo build --release");
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .args(args)
            .current_dir(dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let mut toml = String::from("cluster = \"bench\"\nepoch = 1\n");
    for i in 0..4 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let vkey = run(&[
            "--db",
            &format!("n{i}.db"),
            "init",
            "--origin",
            &format!("node{i}.bench"),
        ]);
        toml.push_str(&format!(
            "[[validator]]\nname = \"n{i}\"\nkey = \"{}\"\naddress = \"127.0.0.1:{port}\"\n",
            vkey.trim()
        ));
    }
    std::fs::write(dir.path().join("v.toml"), &toml).unwrap();
    let mut nodes: Vec<Child> = (0..4)
        .map(|i| {
            Command::new(&bin)
                .args([
                    "--db",
                    &format!("n{i}.db"),
                    "-q",
                    "bft",
                    "serve",
                    "--validators",
                    "v.toml",
                ])
                .current_dir(dir.path())
                .env("XDG_CONFIG_HOME", dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let set = ValidatorSet::load(&dir.path().join("v.toml")).unwrap();
    for v in &set.validators {
        while std::net::TcpStream::connect(v.address).is_err() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let decide = |subject: &str| {
        let content = json!({"text": subject}).as_object().unwrap().clone();
        match propose(&set, subject, &content, None, Duration::from_secs(30)).unwrap() {
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
    for n in &mut nodes {
        let _ = n.kill();
        let _ = n.wait();
    }
}
