//! `echoctl witness serve` benchmarks (never run by CI), the release binary on loopback
//! with its state in SQLite (durable: every accepted checkpoint is committed with
//! synchronous=FULL before the answer):
//!
//!   cargo build --release && cargo run --release --example bench_witness
//!
//! - one log: one client advancing it checkpoint by checkpoint (each request depends on
//!   the last: a log's submissions are sequential by nature);
//! - 100 logs: 16 clients, each advancing its own logs;
//! - beside them, in this process: one cosignature (Ed25519 signing) and one durable
//!   state write (a record and a commit), the two costs inside a request.

use echoctl::clock::Clock;
use echoctl::ledger::checkpoint::Checkpoint;
use echoctl::ledger::store::{self, Location};
use echoctl::ledger::{proof, Ledger, NewEntry};
use echoctl::sign::file::KeyFile;
use echoctl::sign::{Signer as _, Signers};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl")
}

/// A log of `steps + 1` checkpoints: the request bodies that advance a witness along it
/// (the first with old 0).
fn chain(dir: &Path, i: usize, steps: usize) -> (String, Vec<String>) {
    let origin = format!("bench.example/log-{i}");
    let key = KeyFile::from_seed(&origin, [i as u8 + 1; 32]).unwrap();
    let vkey = key.verifier().to_string();
    let signers = Signers::one(key);
    let at = Location::File(dir.join(format!("log-{i}.db")));
    let mut ledger = Ledger::init(
        &at,
        echoctl::features::registry(),
        &origin,
        &signers,
        &Clock::system(),
    )
    .unwrap()
    .ledger;
    let mut bodies = Vec::new();
    let mut prev: Option<String> = None;
    for n in 0..=steps {
        if n > 0 {
            let mut content = serde_json::Map::new();
            content.insert("n".into(), n.into());
            let e = NewEntry {
                kind: "observation".into(),
                source: "bench".into(),
                content,
                refs: vec![],
            };
            ledger
                .append::<echoctl::ledger::LedgerError>(
                    &signers,
                    &Clock::system(),
                    std::iter::once(Ok(e)),
                    &mut |_| {},
                )
                .unwrap();
        }
        let note = proof::stored_checkpoint(&ledger, None).unwrap();
        let body = match &prev {
            None => format!("old 0\n\n{note}"),
            Some(old) => {
                let cp = Checkpoint::parse(old).unwrap();
                let p = proof::consistency(&ledger, &cp, old, Some(&note)).unwrap();
                let mut b = format!("old {}\n", cp.size);
                for h in &p.proof {
                    b.push_str(h);
                    b.push('\n');
                }
                format!("{b}\n{note}")
            }
        };
        bodies.push(body);
        prev = Some(note);
    }
    (
        format!("[[log]]\norigin = \"{origin}\"\nkeys = [\"{vkey}\"]\n\n"),
        bodies,
    )
}

/// One keep-alive connection posting bodies; the latency of each.
fn client(addr: &str, bodies: &[&String]) -> Vec<Duration> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut lat = Vec::with_capacity(bodies.len());
    for b in bodies {
        let t = Instant::now();
        write!(
            s,
            "POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{b}",
            b.len()
        )
        .unwrap();
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let mut len = 0usize;
        loop {
            let mut h = String::new();
            r.read_line(&mut h).unwrap();
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length: ") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        lat.push(t.elapsed());
    }
    lat
}

fn report(what: &str, mut lat: Vec<Duration>, wall: Duration) {
    lat.sort_unstable();
    let p = |q: f64| lat[((lat.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "{what}: {} requests, {:.0}/s; p50 {:.2} ms, p99 {:.2} ms",
        lat.len(),
        lat.len() as f64 / wall.as_secs_f64(),
        p(0.5),
        p(0.99)
    );
}

fn serve(dir: &Path, logs: &str) -> (std::process::Child, String) {
    std::fs::write(dir.join("logs.toml"), logs).unwrap();
    let wkey = KeyFile::from_seed("witness.example/bench", [200; 32]).unwrap();
    wkey.write_new(&dir.join("w.key")).unwrap_or(());
    let mut child = Command::new(bin())
        .args([
            "--json",
            "witness",
            "serve",
            "--key",
            "w.key",
            "--logs",
            "logs.toml",
            "--state",
            "state.db",
        ])
        .args(["--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr = v["listen"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    (child, addr)
}

fn main() {
    // One log, 2,000 checkpoints.
    let d1 = tempfile::tempdir().unwrap();
    let (logs, bodies) = chain(d1.path(), 0, 2_000);
    let (mut w, addr) = serve(d1.path(), &logs);
    let t = Instant::now();
    let lat = client(&addr, &bodies.iter().collect::<Vec<_>>());
    report("one log, one client", lat, t.elapsed());
    let _ = w.kill();

    // 100 logs of 40 checkpoints, 16 clients.
    let d2 = tempfile::tempdir().unwrap();
    let chains: Vec<(String, Vec<String>)> = (0..100).map(|i| chain(d2.path(), i, 40)).collect();
    let logs: String = chains.iter().map(|(l, _)| l.as_str()).collect();
    let (mut w, addr) = serve(d2.path(), &logs);
    let t = Instant::now();
    let lat: Vec<Duration> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..16)
            .map(|c| {
                let (addr, chains) = (&addr, &chains);
                s.spawn(move || {
                    // Client c advances logs c, c+16, ... step by step, round robin.
                    let mine: Vec<&Vec<String>> = chains.iter().skip(c).step_by(16).map(|(_, b)| b).collect();
                    let steps = mine[0].len();
                    let order: Vec<&String> =
                        (0..steps).flat_map(|k| mine.iter().map(move |b| &b[k])).collect();
                    client(addr, &order)
                })
            })
            .collect();
        clients.into_iter().flat_map(|c| c.join().unwrap()).collect()
    });
    report("100 logs, 16 clients", lat, t.elapsed());
    let _ = w.kill();

    // The two costs inside a request.
    let key = KeyFile::from_seed("witness.example/bench", [200; 32]).unwrap();
    let cp = Checkpoint::parse(bodies.last().unwrap().split_once("\n\n").unwrap().1).unwrap();
    let n = 10_000;
    let t = Instant::now();
    for i in 0..n {
        echoctl::ledger::witness::cosign_with(&key, &cp, i).unwrap();
    }
    println!(
        "one cosignature (Ed25519): {:.1} µs",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let at = Location::File(d1.path().join("writes.db"));
    let mut st = store::create(&at).unwrap();
    let n = 500u64;
    let t = Instant::now();
    for i in 0..n {
        let mut tx = st.write().unwrap();
        tx.put_record("witness/bench", &i.to_be_bytes(), b"{\"size\":1,\"root\":\"x\"}")
            .unwrap();
        tx.commit().unwrap();
    }
    println!(
        "one durable state write (record + commit, synchronous=FULL): {:.2} ms",
        t.elapsed().as_secs_f64() * 1000.0 / n as f64
    );
}
