//! tlog-tiles benchmarks (never run by CI), with the release `echoctl` as a user runs it:
//!
//!   cargo build --release && cargo run --release --example bench_tiles -- [N]
//!
//! Side by side in one run, on a ledger of N entries (default 1,000,000):
//! - `ledger tiles --out DIR` into an empty directory, against one sequential write of the
//!   same bytes into one file (what the disk alone costs);
//! - a second `ledger tiles` after 1,000 more entries (incremental);
//! - `ledger verify --tiles DIR` against `ledger verify` of the file, and a resumed
//!   `verify --tiles --state` after the 1,000.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn echoctl(dir: &Path, args: &[&str]) -> Command {
    let bin = std::env::var_os("ECHOCTL_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"));
    let mut c = Command::new(bin);
    c.args(args)
        .current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("ECHOCTL_DB", dir.join("bench.db"))
        .stdout(Stdio::null());
    c
}

fn run(dir: &Path, args: &[&str]) -> Duration {
    let t = Instant::now();
    let st = echoctl(dir, args).status().expect("run echoctl");
    let d = t.elapsed();
    assert!(st.success(), "echoctl {args:?} failed");
    d
}

fn batch(path: &Path, from: usize, n: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in from..from + n {
        writeln!(f, r#"{{"kind":"observation","content":{{"host":"db{}","metric":"disk","pct":{},"text":"sample {i}"}}}}"#, i % 17, i % 100).unwrap();
    }
}

/// Total bytes of the files under `dir`.
fn bytes_under(dir: &Path) -> (u64, usize) {
    let (mut bytes, mut files) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                bytes += m.len();
                files += 1;
            }
        }
    }
    (bytes, files)
}

/// Flushes everything earlier steps left dirty, so that no step pays for another's writes.
fn settle() {
    let _ = Command::new("sync").status();
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = std::env::temp_dir().join(format!("echoctl-bench-tiles-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let dir = tmp.as_path();
    run(dir, &["init", "--origin", "bench.example/tiles"]);
    batch(&dir.join("main.jsonl"), 0, n - 1);
    run(
        dir,
        &[
            "-q",
            "ledger",
            "append",
            "--batch",
            "main.jsonl",
            "--source",
            "bench",
        ],
    );
    let key = String::from_utf8(
        echoctl(dir, &["key", "list", "--json"])
            .stdout(Stdio::piped())
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let key: serde_json::Value = serde_json::from_str(&key).unwrap();
    let key = key["keys"][0]["verifier_key"].as_str().unwrap().to_owned();

    settle();
    let d = run(dir, &["-q", "ledger", "tiles", "--out", "tiles"]);
    let (bytes, files) = bytes_under(&dir.join("tiles"));
    println!(
        "ledger tiles, {n} entries: {:.2} s ({files} files, {:.1} MiB)",
        d.as_secs_f64(),
        bytes as f64 / 1048576.0
    );
    settle();
    let d = run(
        dir,
        &["-q", "ledger", "tiles", "--out", "tiles-nosync", "--no-sync"],
    );
    println!("ledger tiles --no-sync: {:.2} s", d.as_secs_f64());
    settle();
    let chunk = vec![0x5au8; 1 << 20];
    let t = Instant::now();
    let mut f = std::fs::File::create(dir.join("sequential")).unwrap();
    let mut left = bytes;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        f.write_all(&chunk[..k]).unwrap();
        left -= k as u64;
    }
    f.sync_all().unwrap();
    println!(
        "sequential write of the same {:.1} MiB (one file, synced): {:.2} s",
        bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );

    let d = run(dir, &["-q", "ledger", "verify", "--trust-key", &key]);
    println!("ledger verify (file): {:.2} s", d.as_secs_f64());
    let d = run(
        dir,
        &[
            "-q",
            "ledger",
            "verify",
            "--tiles",
            "tiles",
            "--trust-key",
            &key,
            "--state",
            "seen.json",
        ],
    );
    println!("ledger verify --tiles: {:.2} s", d.as_secs_f64());

    batch(&dir.join("more.jsonl"), n, 1_000);
    run(
        dir,
        &[
            "-q",
            "ledger",
            "append",
            "--batch",
            "more.jsonl",
            "--source",
            "bench",
        ],
    );
    settle();
    let d = run(dir, &["-q", "ledger", "tiles", "--out", "tiles"]);
    println!("ledger tiles after 1,000 more entries: {:.3} s", d.as_secs_f64());
    let d = run(
        dir,
        &[
            "-q",
            "ledger",
            "verify",
            "--tiles",
            "tiles",
            "--trust-key",
            &key,
            "--state",
            "seen.json",
        ],
    );
    println!(
        "ledger verify --tiles --state after 1,000 more: {:.3} s",
        d.as_secs_f64()
    );
    std::fs::remove_dir_all(dir).unwrap();
}
