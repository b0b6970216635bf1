//! PostgreSQL beside SQLite, in one run (never run by CI):
//!
//!   cargo build --release && cargo run --release --example bench_pg -- [URL] [N]
//!
//! URL is a server (default postgres://postgres@127.0.0.1:5432/postgres; the bench creates
//! and drops its own databases), N the size of the verify and copy ledgers (default
//! 1,000,000). It reports:
//!   0. pgbench, 16 clients, the smallest serialised transaction (lock the coordinator row,
//!      insert one 300-byte row, update the row, commit): the ceiling to compare with;
//!   a. 16 long-lived writers driving the library, one entry and one checkpoint a
//!      transaction, on PostgreSQL;
//!   b. 16 loops of whole-process `echoctl ledger append`, on PostgreSQL and on SQLite;
//!   c. `ledger append --batch` of 100,000 entries, both engines;
//!   d. `ledger verify` of an N-entry ledger, both engines, with peak RSS;
//!   e. `ledger copy` of the N entries SQLite to PostgreSQL and back.
//!
//! `ONLY=ab` (any of the letters, 0 for pgbench) runs only those parts.

use echoctl::clock::Clock;
use echoctl::ledger::store::Location;
use echoctl::ledger::{Ledger, LedgerError, NewEntry};
use echoctl::sign::file::KeyFile;
use echoctl::sign::Signers;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const ORIGIN: &str = "bench.example/pg";
const RUN: Duration = Duration::from_secs(10);

fn bin() -> PathBuf {
    std::env::var_os("ECHOCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"))
}

fn with_db(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let start = base.find("://").map_or(0, |i| i + 3);
    let path = base[start..].find('/').map_or(base.len(), |i| start + i);
    let mut out = format!("{}/{db}", &base[..path]);
    if let Some(q) = query {
        out = format!("{out}?{q}");
    }
    out
}

fn admin(server: &str, sql: &str) {
    let mut c = postgres::Client::connect(server, postgres::NoTls).expect("connect to the server");
    c.batch_execute(sql).expect(sql);
}

fn fresh_db(server: &str, name: &str) -> String {
    admin(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    admin(server, &format!("CREATE DATABASE {name}"));
    with_db(server, name)
}

fn key(dir: &Path) -> (Signers, PathBuf) {
    let path = dir.join("bench.key");
    let k = KeyFile::from_seed(ORIGIN, [9; 32]).unwrap();
    if !path.exists() {
        k.write_new(&path).unwrap();
    }
    (Signers::one(k), path)
}

fn entry(i: u64) -> NewEntry {
    let mut content = serde_json::Map::new();
    content.insert("text".into(), format!("entry {i}: {}", "x".repeat(200)).into());
    content.insert("n".into(), i.into());
    NewEntry {
        kind: "observation".into(),
        source: "bench".into(),
        content,
        refs: vec![],
    }
}

fn init(at: &Location, signers: &Signers) {
    Ledger::init(
        at,
        echoctl::features::registry(),
        ORIGIN,
        signers,
        &Clock::system(),
    )
    .expect("init");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn pgbench(server: &str, dir: &Path) -> f64 {
    let url = fresh_db(server, "echo_bench_pgbench");
    admin(
        &url,
        "CREATE TABLE head (one boolean PRIMARY KEY, size bigint NOT NULL);
         INSERT INTO head VALUES (true, 0);
         CREATE TABLE rows (n bigint PRIMARY KEY, body bytea NOT NULL);",
    );
    let script = dir.join("pgbench.sql");
    std::fs::write(
        &script,
        "BEGIN;\nSELECT size FROM head WHERE one FOR UPDATE \\gset\n\
         INSERT INTO rows VALUES (:size, convert_to(repeat('x', 300), 'UTF8'));\n\
         UPDATE head SET size = size + 1;\nCOMMIT;\n",
    )
    .unwrap();
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            "16",
            "-j",
            "2",
            "-T",
            &RUN.as_secs().to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(&url)
        .output()
        .expect("run pgbench (Debian: postgresql-contrib or postgresql-15)");
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0);
    admin(server, "DROP DATABASE IF EXISTS echo_bench_pgbench WITH (FORCE)");
    tps
}

/// (a): 16 threads, each its own connection and `Ledger`, appending for RUN.
fn library_writers(at: &Location, signers: &Signers) -> (f64, f64, f64) {
    let start = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|w| {
            let at = at.clone();
            let signers = Signers::one(KeyFile::from_seed(ORIGIN, [9; 32]).unwrap());
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut ledger = Ledger::open(&at, echoctl::features::registry()).unwrap();
                ledger.set_lock_timeout(Duration::from_secs(60)).unwrap();
                start.wait();
                let t0 = Instant::now();
                let mut lat = Vec::new();
                let mut i = 0;
                while t0.elapsed() < RUN {
                    let t = Instant::now();
                    ledger
                        .append::<LedgerError>(
                            &signers,
                            &Clock::system(),
                            std::iter::once(Ok(entry(w * 1_000_000 + i))),
                            &mut |_| {},
                        )
                        .unwrap();
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                    i += 1;
                }
                lat
            })
        })
        .collect();
    let _ = signers;
    let mut all: Vec<f64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort_by(f64::total_cmp);
    (
        all.len() as f64 / RUN.as_secs_f64(),
        pct(&all, 0.5),
        pct(&all, 0.99),
    )
}

/// (b): 16 shell-like loops of whole processes.
fn process_loops(db: &str, dir: &Path, keyfile: &Path) -> (f64, f64, f64) {
    let start = Arc::new(Barrier::new(16));
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let (db, dir, keyfile, start) = (
                db.to_owned(),
                dir.to_owned(),
                keyfile.to_owned(),
                Arc::clone(&start),
            );
            std::thread::spawn(move || {
                start.wait();
                let t0 = Instant::now();
                let mut lat = Vec::new();
                while t0.elapsed() < RUN {
                    let t = Instant::now();
                    let st = Command::new(bin())
                        .args([
                            "--quiet",
                            "--db",
                            &db,
                            "ledger",
                            "append",
                            "--kind",
                            "observation",
                            "--source",
                            "loop",
                        ])
                        .args(["--content", r#"{"text":"one append"}"#, "--key"])
                        .arg(&keyfile)
                        .env("ECHOCTL_LOCK_TIMEOUT", "60")
                        .current_dir(&dir)
                        .stdout(Stdio::null())
                        .status()
                        .unwrap();
                    assert!(st.success());
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<f64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort_by(f64::total_cmp);
    (
        all.len() as f64 / RUN.as_secs_f64(),
        pct(&all, 0.5),
        pct(&all, 0.99),
    )
}

/// Runs echoctl under /usr/bin/time: (seconds, peak RSS MiB).
fn timed(args: &[&str], dir: &Path, stdin: Option<&Path>) -> (f64, f64) {
    let t = Instant::now();
    let mut c = Command::new("/usr/bin/time");
    c.args(["-f", "%M"])
        .arg(bin())
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null());
    if let Some(p) = stdin {
        c.stdin(std::fs::File::open(p).unwrap());
    }
    let out = c.output().expect("run /usr/bin/time echoctl");
    let secs = t.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "echoctl {args:?}: {err}");
    let kib: f64 = err.trim().lines().last().unwrap_or("0").parse().unwrap_or(0.0);
    (secs, kib / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let server = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (signers, keyfile) = key(d);
    let kf = keyfile.display().to_string();

    let only = std::env::var("ONLY").unwrap_or_else(|_| "0abcde".into());
    let part = |c: char| only.contains(c);
    let tps = if part('0') || part('a') {
        pgbench(&server, d)
    } else {
        0.0
    };
    if part('0') || part('a') {
        println!("0. pgbench, 16 clients, lock + 300-byte insert + update: {tps:.0} transactions/s");
    }

    if part('a') {
        let pg = fresh_db(&server, "echo_bench_writers");
        let at = Location::parse(pg.as_ref());
        init(&at, &signers);
        let (rate, p50, p99) = library_writers(&at, &signers);
        println!(
        "a. 16 library writers on PostgreSQL: {rate:.0} appends/s ({:.2}x pgbench), p50 {p50:.1} ms, p99 {p99:.1} ms",
        rate / tps.max(1.0)
    );
    }
    if part('b') {
        let lite = d.join("loops.db");
        init(&Location::from(&lite), &signers);
        let pg_loops = fresh_db(&server, "echo_bench_loops");
        init(&Location::parse(pg_loops.as_ref()), &signers);
        for (engine, db) in [
            ("PostgreSQL", pg_loops.clone()),
            ("SQLite", lite.display().to_string()),
        ] {
            let (rate, p50, p99) = process_loops(&db, d, &keyfile);
            println!("b. 16 loops of `echoctl ledger append` on {engine}: {rate:.0} appends/s, p50 {p50:.1} ms, p99 {p99:.1} ms");
        }
    }
    if part('c') {
        let batch = d.join("batch.jsonl");
        let lines: String = (0..100_000)
        .map(|i| format!("{{\"kind\":\"observation\",\"source\":\"batch\",\"content\":{{\"text\":\"batch entry {i}\",\"n\":{i}}}}}\n"))
        .collect();
        std::fs::write(&batch, lines).unwrap();
        let pg_batch = fresh_db(&server, "echo_bench_batch");
        init(&Location::parse(pg_batch.as_ref()), &signers);
        let lite_batch = d.join("batch.db");
        init(&Location::from(&lite_batch), &signers);
        for (engine, db) in [
            ("PostgreSQL", pg_batch.clone()),
            ("SQLite", lite_batch.display().to_string()),
        ] {
            let (secs, rss) = timed(
                &[
                    "--quiet", "--db", &db, "ledger", "append", "--batch", "-", "--key", &kf,
                ],
                d,
                Some(&batch),
            );
            println!(
            "c. append --batch of 100,000 on {engine}: {:.0} entries/s ({secs:.2} s, peak RSS {rss:.0} MiB)",
            1e5 / secs
        );
        }
    }
    if !(part('d') || part('e')) {
        return;
    }

    // d and e: an N-entry SQLite ledger through the library, copied to PostgreSQL.
    let big = d.join("big.db");
    let big_at = Location::from(&big);
    init(&big_at, &signers);
    let mut ledger = Ledger::open(&big_at, echoctl::features::registry()).unwrap();
    let mut done = 1;
    while done < n {
        let chunk = (n - done).min(250_000);
        let entries = (done..done + chunk).map(|i| Ok(entry(i)));
        ledger
            .append::<LedgerError>(&signers, &Clock::system(), entries, &mut |_| {})
            .unwrap();
        done += chunk;
    }
    drop(ledger);
    let pg_big = fresh_db(&server, "echo_bench_big");
    let big_s = big.display().to_string();
    let (to_pg, _) = timed(
        &["--quiet", "ledger", "copy", "--from", &big_s, "--to", &pg_big],
        d,
        None,
    );
    let back = d.join("back.db").display().to_string();
    let (to_lite, _) = timed(
        &["--quiet", "ledger", "copy", "--from", &pg_big, "--to", &back],
        d,
        None,
    );
    let mut verify = Vec::new();
    for (engine, db) in [("SQLite", big_s.clone()), ("PostgreSQL", pg_big.clone())] {
        let (secs, rss) = timed(&["--quiet", "--db", &db, "ledger", "verify"], d, None);
        println!("d. verify of {n} entries on {engine}: {secs:.2} s, peak RSS {rss:.0} MiB");
        verify.push(secs);
    }
    println!(
        "   PostgreSQL / SQLite verify time: {:.2}x",
        verify[1] / verify[0]
    );
    println!(
        "e. ledger copy of {n} entries (copy, then verify of the destination): SQLite -> PostgreSQL {:.0} entries/s ({to_pg:.1} s), PostgreSQL -> SQLite {:.0} entries/s ({to_lite:.1} s)",
        n as f64 / to_pg,
        n as f64 / to_lite
    );
    for db in [
        "echo_bench_writers",
        "echo_bench_loops",
        "echo_bench_batch",
        "echo_bench_big",
    ] {
        admin(&server, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    }
}
