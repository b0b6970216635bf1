//! Reader Edition benchmark (never run by CI):
//!
//!   cargo build --release && cargo run --release --example bench_reader -- [N] [AMENDMENTS]
//!
//! Builds a ledger of N entries of which AMENDMENTS are amendments (defaults 1,000,000
//! and 100,000: 60% corrections, 30% clarifications, 5% supersessions, 5% withdrawals)
//! through the library, then times `echoctl ledger reader` (Markdown to /dev/null) and
//! reports its peak resident memory (via /usr/bin/time).

use echoctl::clock::Clock;
use echoctl::ledger::amend::{Amendment, AmendmentType};
use echoctl::ledger::store::Location;
use echoctl::ledger::{Ledger, NewEntry};
use echoctl::sign::file::KeyFile;
use serde_json::{json, Map, Value};

use std::process::Command;
use std::time::Instant;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let amendments: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("echoctl-bench-reader-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("bench.db");
    let key = echoctl::sign::Signers::one(KeyFile::from_seed("bench.example/reader", [7; 32]).unwrap());
    let clock = Clock {
        now: 1_790_000_000_000,
        seed: Some([1; 32]),
    };
    let t = Instant::now();
    let mut ledger = Ledger::init(
        &Location::from(&db),
        echoctl::features::registry(),
        "bench.example/reader",
        &key,
        &clock,
    )
    .unwrap()
    .ledger;
    let entries = n - 1 - amendments;
    let kinds = ["observation", "decision", "outcome", "constraint", "test"];
    ledger
        .append::<echoctl::ledger::LedgerError>(
            &key,
            &clock,
            (0..entries).map(|i| {
                Ok(NewEntry {
                    kind: kinds[(i % 5) as usize].into(),
                    source: "bench".into(),
                    content: obj(json!({"text": format!("paragraph {i} of the bench ledger"), "host": format!("db{}", i % 17), "pct": i % 100})),
                    refs: vec![],
                })
            }),
            &mut |_| {},
        )
        .unwrap();
    fn id_of(ledger: &Ledger, seq: u64) -> String {
        ledger.entry_by_seq(seq).unwrap().unwrap().entry.id
    }
    let mut batch = Vec::new();
    let mut next_target = 1u64;
    for i in 0..amendments {
        let target = id_of(&ledger, next_target);
        next_target += 1;
        let a = match i % 20 {
            0 => {
                let replacement = id_of(&ledger, next_target);
                next_target += 1;
                Amendment {
                    kind: AmendmentType::Supersession,
                    target,
                    reason: "replaced".into(),
                    content: None,
                    superseded_by: Some(replacement),
                    ordered_by: None,
                }
            }
            1 => Amendment {
                kind: AmendmentType::Withdrawal,
                target,
                reason: "withdrawn".into(),
                content: None,
                superseded_by: None,
                ordered_by: None,
            },
            2..=7 => Amendment {
                kind: AmendmentType::Clarification,
                target,
                reason: "context".into(),
                content: Some(obj(json!({"text": "clarified"}))),
                superseded_by: None,
                ordered_by: None,
            },
            _ => Amendment {
                kind: AmendmentType::Correction,
                target,
                reason: "fix".into(),
                content: Some(obj(json!({"text": format!("corrected {i}")}))),
                superseded_by: None,
                ordered_by: None,
            },
        };
        batch.push(a);
        if batch.len() == 10_000 {
            ledger
                .amend_many(&key, &clock, "bench", std::mem::take(&mut batch))
                .unwrap();
        }
    }
    if !batch.is_empty() {
        ledger.amend_many(&key, &clock, "bench", batch).unwrap();
    }
    println!(
        "built {} entries ({} amendments) in {:.1} s",
        ledger.size().unwrap(),
        amendments,
        t.elapsed().as_secs_f64()
    );
    drop(ledger);

    let bin = std::env::var_os("ECHOCTL_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/echoctl"));
    for format in ["md", "html", "json"] {
        let mut times = Vec::new();
        let mut rss = String::new();
        for _ in 0..3 {
            let t = Instant::now();
            let out = Command::new("/usr/bin/time")
                .args(["-f", "%M"])
                .arg(&bin)
                .args(["--quiet", "--db"])
                .arg(&db)
                .args(["ledger", "reader", "--format", format])
                .stdout(std::process::Stdio::null())
                .output()
                .expect("run /usr/bin/time echoctl");
            times.push(t.elapsed().as_secs_f64());
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            rss = String::from_utf8_lossy(&out.stderr)
                .trim()
                .lines()
                .last()
                .unwrap_or_default()
                .to_owned();
        }
        times.sort_by(f64::total_cmp);
        let mib = rss.parse::<f64>().unwrap_or(0.0) / 1024.0;
        println!(
            "ledger reader --format {format}: median of 3 {:.2} s, peak RSS {mib:.0} MiB",
            times[1]
        );
    }
    if std::env::var_os("KEEP").is_some() {
        println!("kept {}", db.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
