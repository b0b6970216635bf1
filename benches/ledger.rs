//! Ledger benchmarks (never run by CI). Runs the release `echoctl` binary as a user would:
//!
//!   cargo build --release && cargo run --release --example bench_ledger -- [N]
//!
//! Reports batch-append throughput, single-append latency (process start to durable
//! commit), full verify time, and incremental verify of 1,000 entries on top of N-1,000.

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

fn write_batch(path: &Path, from: usize, n: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in from..from + n {
        writeln!(f, r#"{{"kind":"observation","content":{{"host":"db{}","metric":"disk","pct":{},"text":"sample {i}"}}}}"#, i % 17, i % 100).unwrap();
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = std::env::temp_dir().join(format!("echoctl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let dir = tmp.as_path();
    run(dir, &["init", "--origin", "bench.example/ledger"]);

    let main_part = n.saturating_sub(1_000).max(1);
    write_batch(&dir.join("main.jsonl"), 0, main_part - 1);
    let d = run(
        dir,
        &["ledger", "append", "--batch", "main.jsonl", "--source", "bench"],
    );
    println!(
        "append --batch {} entries: {:.2} s = {:.0} entries/s",
        main_part - 1,
        d.as_secs_f64(),
        (main_part - 1) as f64 / d.as_secs_f64()
    );

    // echoctl prints an append's result only after its COMMIT (fsync of the WAL) has
    // returned; closing the database (checkpointing the WAL into the file) comes after.
    // So the first byte on stdout marks the durable commit; exit marks the whole process.
    let (mut commit, mut exit) = (Vec::new(), Vec::new());
    for i in 0..101 {
        use std::io::Read;
        let content = format!(r#"{{"i":{i}}}"#);
        let t = Instant::now();
        let mut child = echoctl(
            dir,
            &[
                "ledger",
                "append",
                "--kind",
                "test",
                "--source",
                "bench",
                "--content",
                &content,
            ],
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
        let mut first = [0u8; 1];
        child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
        commit.push(t.elapsed());
        let mut rest = Vec::new();
        child.stdout.take().unwrap().read_to_end(&mut rest).unwrap();
        assert!(child.wait().unwrap().success());
        exit.push(t.elapsed());
    }
    commit.sort();
    exit.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "single append, 101 runs: process start to durable commit median {:.2} ms (p90 {:.2}); to exit median {:.2} ms (p90 {:.2})",
        ms(commit[50]),
        ms(commit[90]),
        ms(exit[50]),
        ms(exit[90])
    );

    let cp = echoctl(dir, &["ledger", "checkpoint"])
        .stdout(Stdio::piped())
        .output()
        .unwrap()
        .stdout;
    std::fs::write(dir.join("trusted.cp"), cp).unwrap();
    write_batch(&dir.join("tail.jsonl"), main_part, 1_000);
    run(
        dir,
        &["ledger", "append", "--batch", "tail.jsonl", "--source", "bench"],
    );

    let mut full = Vec::new();
    for _ in 0..3 {
        full.push(run(dir, &["ledger", "verify", "--quiet"]));
    }
    full.sort();
    println!(
        "verify (full) of {} entries: median of 3 {:.2} s",
        main_part + 101 + 1_000,
        full[1].as_secs_f64()
    );

    let mut inc = Vec::new();
    for _ in 0..11 {
        inc.push(run(
            dir,
            &["ledger", "verify", "--quiet", "--since", "trusted.cp"],
        ));
    }
    inc.sort();
    println!(
        "verify --since (1,000 new entries): median of 11 {:.1} ms",
        inc[5].as_secs_f64() * 1e3
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
