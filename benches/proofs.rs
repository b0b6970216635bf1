//! Proof and bundle benchmarks (never run by CI):
//!
//!   cargo build --release && cargo run --release --example bench_proofs -- [N] [BUNDLE_N]
//!
//! Builds an N-entry ledger (default 10,000,000) through the library, then times whole
//! `echoctl ledger proof SEQ` processes for random entries; then exports a BUNDLE_N-entry
//! ledger (default 1,000,000) and verifies the bundle.

use echoctl::clock::Clock;
use echoctl::ledger::store::Location;
use echoctl::ledger::{Ledger, NewEntry};
use echoctl::sign::file::KeyFile;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

fn build(db: &Path, n: u64) {
    let key = echoctl::sign::Signers::one(KeyFile::from_seed("bench.example/proofs", [7; 32]).unwrap());
    let clock = Clock {
        now: 1_790_000_000_000,
        seed: Some([2; 32]),
    };
    let mut ledger = Ledger::init(
        &Location::from(db),
        echoctl::cli::registry(),
        "bench.example/proofs",
        &key,
        &clock,
    )
    .unwrap()
    .ledger;
    let mut done = 1;
    while done < n {
        let chunk = (n - done).min(1_000_000);
        let entries = (0..chunk).map(|i| {
            let Value::Object(content) = json!({"text": format!("entry {}", done + i), "n": i}) else {
                unreachable!()
            };
            Ok(NewEntry {
                kind: "observation".into(),
                source: "bench".into(),
                content,
                refs: vec![],
            })
        });
        ledger
            .append::<echoctl::ledger::LedgerError>(&key, &clock, entries, &mut |_| {})
            .unwrap();
        done += chunk;
    }
}

fn echoctl(db: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"));
    c.arg("--db")
        .arg(db)
        .arg("--quiet")
        .args(args)
        .stdout(Stdio::null());
    c
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let bundle_n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("echoctl-bench-proofs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let big = dir.join("big.db");
    let t = Instant::now();
    build(&big, n);
    println!("built a {n}-entry ledger in {:.0} s", t.elapsed().as_secs_f64());
    let mut times = Vec::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for _ in 0..21 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let seq = (x % n).to_string();
        let t = Instant::now();
        assert!(echoctl(&big, &["ledger", "proof", &seq])
            .status()
            .unwrap()
            .success());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "ledger proof (whole process, {n} entries), 21 random entries: median {:.2} ms, max {:.2} ms",
        times[10], times[20]
    );
    let _ = std::fs::remove_file(&big);

    let small = dir.join("bundle.db");
    build(&small, bundle_n);
    let bundle = dir.join("ledger.bundle");
    let t = Instant::now();
    assert!(
        echoctl(&small, &["ledger", "export", "--out", bundle.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    let export = t.elapsed().as_secs_f64();
    let t = Instant::now();
    assert!(echoctl(
        &small,
        &["ledger", "verify", "--bundle", bundle.to_str().unwrap()]
    )
    .status()
    .unwrap()
    .success());
    let verify = t.elapsed().as_secs_f64();
    println!(
        "export {bundle_n} entries: {export:.2} s; verify --bundle: {verify:.2} s; together {:.2} s ({} MiB bundle)",
        export + verify,
        std::fs::metadata(&bundle).map(|m| m.len() >> 20).unwrap_or(0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
