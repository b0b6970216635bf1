//! `echoctl serve` benchmarks (never run by CI), with the release `echoctl` on loopback:
//!
//!   cargo build --release && cargo run --release --example bench_serve -- [N]
//!
//! Side by side in one run:
//! - `POST /entries` from 16 concurrent clients (one entry per request, keep-alive), on
//!   SQLite: entries/s and latency percentiles;
//! - tile requests/s with wrk (if installed) against `echoctl serve` and against
//!   `python3 -m http.server` serving the same `ledger tiles` directory;
//! - `ledger verify --url` of a ledger of N entries (default 1,000,000) against
//!   `ledger verify` of the file.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    std::env::var_os("ECHOCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"))
}

fn echoctl(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("ECHOCTL_DB", dir.join("bench.db"));
    c
}

fn run(dir: &Path, args: &[&str]) -> (Duration, String) {
    let t = Instant::now();
    let out = echoctl(dir, args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run echoctl");
    let d = t.elapsed();
    assert!(out.status.success(), "echoctl {args:?} failed");
    (d, String::from_utf8_lossy(&out.stdout).into_owned())
}

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["--json", "serve", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    let mut child = echoctl(dir, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = v["listen"].as_str().unwrap().to_owned();
    Server(child, url)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn posts(dir: &Path) {
    let (_, out) = run(
        dir,
        &["--json", "token", "add", "bench", "--tokens", "tokens.json"],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let token = v["token"].as_str().unwrap().to_owned();
    let server = serve(dir, &["--tokens", "tokens.json", "--rate", "0"]);
    let (clients, each) = (16, 1_000);
    let t = Instant::now();
    let mut lat: Vec<Duration> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|c| {
                let (url, token) = (&server.1, &token);
                s.spawn(move || {
                    let http = reqwest::blocking::Client::new();
                    let mut lat = Vec::with_capacity(each);
                    for i in 0..each {
                        let body = format!(r#"{{"kind":"observation","content":{{"client":{c},"i":{i}}}}}"#);
                        let t = Instant::now();
                        let r = http
                            .post(format!("{url}/entries"))
                            .bearer_auth(token)
                            .header("content-type", "application/json")
                            .body(body)
                            .send()
                            .unwrap();
                        assert_eq!(r.status(), 201);
                        let _ = r.bytes().unwrap();
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let wall = t.elapsed();
    lat.sort_unstable();
    let n = clients * each;
    println!(
        "POST /entries, {clients} clients x {each}: {:.0} entries/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        n as f64 / wall.as_secs_f64(),
        pct(&lat, 0.5),
        pct(&lat, 0.99),
        pct(&lat, 1.0)
    );
    drop(server);
    let (_, out) = run(dir, &["--json", "ledger", "verify"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    println!(
        "  after: {} entries in {} checkpoints (requests per transaction: {:.1})",
        v["entries"],
        v["checkpoints"],
        n as f64 / (v["checkpoints"].as_f64().unwrap() - 1.0)
    );
}

fn wrk(url: &str) -> Option<String> {
    let out = Command::new("wrk")
        .args(["-t2", "-c32", "-d10s", url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .find(|l| l.starts_with("Requests/sec"))
        .map(str::to_owned)
}

fn tiles(dir: &Path) {
    run(dir, &["ledger", "tiles", "--out", "pub", "--no-sync"]);
    let server = serve(dir, &["--readers", "4"]);
    let port = 18000 + (std::process::id() % 1000) as u16;
    let mut static_host = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1"])
        .current_dir(dir.join("pub"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let path = "tile/0/x001/000";
    match (
        wrk(&format!("{}/{path}", server.1)),
        wrk(&format!("http://127.0.0.1:{port}/{path}")),
    ) {
        (Some(a), Some(b)) => {
            println!("tile requests (wrk -t2 -c32 -d10s): echoctl serve {a}; python3 -m http.server {b}")
        }
        _ => println!("tile requests: wrk is not installed (apt install wrk): skipped"),
    }
    let _ = static_host.kill();
    let _ = static_host.wait();
}

fn verify_url(dir: &Path) {
    let (file, _) = run(dir, &["ledger", "verify"]);
    let server = serve(dir, &["--readers", "8"]);
    let (url, _) = run(dir, &["ledger", "verify", "--url", &server.1]);
    println!(
        "verify: the file {:.2} s, --url over loopback {:.2} s ({:.2}x)",
        file.as_secs_f64(),
        url.as_secs_f64(),
        url.as_secs_f64() / file.as_secs_f64()
    );
}

fn main() {
    let n: usize = std::env::args().nth(1).map_or(1_000_000, |a| a.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d, &["init", "--origin", "bench.example/serve"]);
    posts(d);
    let mut f = std::io::BufWriter::new(std::fs::File::create(d.join("b.jsonl")).unwrap());
    for i in 0..n {
        writeln!(
            f,
            r#"{{"kind":"observation","content":{{"host":"db{}","pct":{},"text":"sample {i}"}}}}"#,
            i % 17,
            i % 100
        )
        .unwrap();
    }
    drop(f);
    run(
        d,
        &[
            "ledger", "append", "--batch", "b.jsonl", "--source", "bench", "-q",
        ],
    );
    println!("ledger: {} entries more", n);
    tiles(d);
    verify_url(d);
}
