//! Hostile input, second round: arguments that are not UTF-8, bundles that verify and
//! import must judge alike, stored cosignatures that verify must read, refusals that must
//! carry a hint, and what a read or a refused command must not leave behind.

use crate::harness::{sqlite, unguard, Run, TestEnv};
use crate::issue16::{base64_decode, base64_encode, exported, ledger, refused_bundle, resealed};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

/// echoctl run with `args`, one of which may be any bytes.
fn run_os(env: &TestEnv, args: &[&[u8]]) -> Run {
    let mut c = env.command(&[]);
    c.args(args.iter().map(|a| OsStr::from_bytes(a)));
    c.output().expect("run echoctl").into()
}

/// `ledger verify --json --bundle` of `bundle` against `vkey`.
fn verify_bundle(env: &TestEnv, vkey: &str, bundle: &str) -> Run {
    std::fs::write(env.path("bad"), bundle).unwrap();
    env.run(&[
        "--json",
        "ledger",
        "verify",
        "--bundle",
        "bad",
        "--trust-key",
        vkey,
    ])
}

#[track_caller]
fn refused_with_hint(r: &Run, code: i32) {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stderr.contains("hint:"), "no hint: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn an_argument_that_is_not_utf8_is_refused_with_a_hint_never_a_panic() {
    let (env, _) = ledger(1);
    let bad: &[u8] = b"\xff\xfe";
    let cases: &[&[&[u8]]] = &[
        &[b"ledger", b"show", bad],
        &[
            b"ledger",
            b"append",
            b"--kind",
            bad,
            b"--source",
            b"s",
            b"--content",
            b"{}",
        ],
        &[b"court", b"rule", bad, b"--decision", b"d", b"--reasoning", b"r"],
        &[
            b"court",
            b"rule",
            b"1",
            b"--decision",
            b"d",
            b"--reasoning",
            b"r",
            b"--amend",
            bad,
            b"--type",
            b"correction",
        ],
        &[bad],
        &[b"--color", bad, b"ledger", b"log"],
    ];
    for args in cases {
        let r = run_os(&env, args);
        refused_with_hint(&r, 2);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
    // A path that is not UTF-8 is still a path: no such ledger, exit 3 with a hint.
    let r = run_os(&env, &[b"--db", b"no\xffwhere.db", b"ledger", b"log"]);
    refused_with_hint(&r, 3);
}

#[test]
fn court_rule_pairs_each_flag_with_the_amend_before_it_in_every_spelling() {
    let (env, a, b, _) = crate::governance::conflict();
    let case = crate::governance::open_case(&env, &a, &b);
    // `--flag=value` and `--flag value` mixed, and a value that looks like a flag.
    let amend_b = format!("--amend={b}");
    let r = env
        .run(&[
            "--json",
            "court",
            "rule",
            &case,
            "--decision=--amend",
            "--reasoning=--type correction, says the inventory",
            "--amend",
            &a,
            "--type=clarification",
            &amend_b,
            "--content",
            r#"{"key":"db1.region","value":"eu-west","text":"corrected"}"#,
            "--type",
            "correction",
        ])
        .ok()
        .json();
    let amended: Vec<(String, String)> = r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "amendment")
        .map(|e| {
            let shown = env
                .run(&["--json", "ledger", "show", e["id"].as_str().unwrap()])
                .ok()
                .json();
            let content = &shown["entry"]["content"];
            (
                content["target"].as_str().unwrap().to_owned(),
                content["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        amended,
        vec![
            (a.clone(), "clarification".into()),
            (b.clone(), "correction".into())
        ],
        "{r}"
    );
    // A --type before any --amend is refused with the usual hint, and nothing is written.
    let before = sqlite(&env.db())
        .query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0))
        .unwrap();
    let r = env.run(&[
        "court",
        "rule",
        &case,
        "--decision",
        "d",
        "--reasoning",
        "r",
        "--type",
        "correction",
        "--amend",
        &a,
    ]);
    refused_with_hint(&r, 2);
    assert!(r.stderr.contains("must follow the --amend"), "{}", r.stderr);
    let after = sqlite(&env.db())
        .query_row("SELECT count(*) FROM entries", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn a_repeated_or_empty_checkpoint_line_is_refused_by_verify_and_import_alike() {
    let (env, vkey) = ledger(3);
    let lines = exported(&env);
    let c = lines.iter().rposition(|l| l.starts_with("C ")).unwrap();
    let declared = lines.iter().position(|l| l.starts_with("checkpoints ")).unwrap();
    let count: u64 = lines[declared]["checkpoints ".len()..].parse().unwrap();
    let mut repeated = lines.clone();
    repeated.insert(c + 1, lines[c].clone());
    repeated[declared] = format!("checkpoints {}", count + 1);
    refused_bundle(&env, &vkey, "a repeated checkpoint", &resealed(&repeated), &[1]);
    let v = verify_bundle(&env, &vkey, &resealed(&repeated));
    let reason = v.json()["failure"]["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains(&format!("line {}", c + 2)) && reason.contains("repeats"),
        "{reason}"
    );
    // A checkpoint of no entries, before the genesis entry.
    let first_e = lines.iter().position(|l| l.starts_with("E ")).unwrap();
    let empty_cp = format!(
        "C {}",
        base64_encode(
            format!(
                "{}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— x AAAA\n",
                crate::harness::ORIGIN
            )
            .as_bytes()
        )
    );
    let mut empty = lines.clone();
    empty.insert(first_e, empty_cp);
    empty[declared] = format!("checkpoints {}", count + 1);
    refused_bundle(&env, &vkey, "a checkpoint of size 0", &resealed(&empty), &[1, 2]);
}

/// A small deterministic generator: the same mutations every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn verify_and_import_agree_on_every_reshuffled_bundle() {
    let (env, vkey) = ledger(4);
    let amended = env.append(r#"{"text":"to amend"}"#)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.run(&[
        "ledger",
        "amend",
        &amended,
        "--type",
        "withdrawal",
        "--reason",
        "r",
    ])
    .ok();
    let lines = exported(&env);
    let body_start = lines.iter().position(String::is_empty).unwrap() + 1;
    let body_end = lines.len() - 1; // the end line
    let mut rng = Lcg(7);
    let mut accepted = 0;
    for round in 0..40 {
        let mut m = lines[..body_end].to_vec();
        let n = body_end - body_start;
        let (i, j) = (body_start + rng.below(n), body_start + rng.below(n));
        match round % 4 {
            0 => {
                let line = m[i].clone();
                m.insert(j, line);
            }
            1 => m.swap(i, j),
            2 => {
                m.remove(i);
            }
            _ => {
                let line = m.remove(i);
                m.insert(j.min(m.len()), line);
            }
        }
        // Keep the declared counts true, so that only the order and the records decide.
        let count = |p: &str| m[body_start..].iter().filter(|l| l.starts_with(p)).count();
        let (e, c) = (count("E "), count("C "));
        for l in &mut m[..body_start] {
            if l.starts_with("entries ") {
                *l = format!("entries {e}");
            } else if l.starts_with("checkpoints ") {
                *l = format!("checkpoints {c}");
            }
        }
        std::fs::write(env.path("m"), resealed(&m)).unwrap();
        let v = env.run(&["ledger", "verify", "--bundle", "m", "--trust-key", &vkey]);
        let db = env.path(&format!("m{round}.db"));
        let i = env.run(&[
            "--db",
            db.to_str().unwrap(),
            "ledger",
            "import",
            "m",
            "--trust-key",
            &vkey,
        ]);
        assert_ne!(
            i.code, 3,
            "round {round}: import exits 3 on a file's content: {}",
            i.stderr
        );
        assert_eq!(
            v.code == 0,
            i.code == 0,
            "round {round}: verify exit {} ({}), import exit {} ({})",
            v.code,
            v.stderr,
            i.code,
            i.stderr
        );
        assert_eq!(db.exists(), i.code == 0, "round {round}");
        accepted += usize::from(v.code == 0);
    }
    // Swapping a line with itself keeps the bundle whole: some rounds must pass.
    assert!(accepted < 40, "every mutation accepted: the check is vacuous");
}

/// Inserts a cosignature line for the newest checkpoint behind echoctl's back.
fn store_cosignature(env: &TestEnv, size: i64, line: &str) {
    let conn = sqlite(&env.db());
    unguard(&conn, "cosignatures");
    conn.execute(
        "INSERT INTO cosignatures (size, line) VALUES (?1, ?2)",
        rusqlite::params![size, line],
    )
    .unwrap();
}

fn newest_size(env: &TestEnv) -> i64 {
    sqlite(&env.db())
        .query_row("SELECT max(size) FROM checkpoints", [], |r| r.get(0))
        .unwrap()
}

/// A ledger of two entries whose newest checkpoint carries a genuine witness cosignature;
/// returns it, its verifier key and the cosignature line.
fn cosigned_ledger() -> (TestEnv, String, String) {
    let (env, vkey) = ledger(2);
    env.run(&["key", "generate", "--name", "witness.example/w", "--out", "w.key"])
        .ok();
    let wkey = env
        .run(&["key", "show", "--witness", "--key", "w.key"])
        .ok()
        .stdout;
    std::fs::write(env.path("cp"), env.run(&["ledger", "checkpoint"]).ok().stdout).unwrap();
    let cosig = env
        .run(&[
            "ledger", "witness", "cosign", "cp", "--key", "w.key", "--state", "s.json",
        ])
        .ok()
        .stdout;
    std::fs::write(env.path("c"), &cosig).unwrap();
    env.run(&[
        "ledger",
        "checkpoint",
        "--add-cosignature",
        "c",
        "--witness-key",
        wkey.trim(),
    ])
    .ok();
    (env, vkey, cosig)
}

#[test]
fn verify_reads_and_checks_every_stored_cosignature_line() {
    // A genuine witness cosignature passes.
    let (env, vkey, cosig) = cosigned_ledger();
    let (code, v) = env.verify_json(&["--trust-key", &vkey]);
    assert_eq!(code, 0, "{v}");

    let size = newest_size(&env);
    // verify of a copy of the ledger with `line` stored for the checkpoint of `at`.
    let with_line = |at: i64, line: &str| {
        let copy = TestEnv::new();
        std::fs::copy(env.db(), copy.db()).unwrap();
        store_cosignature(&copy, at, line);
        copy.verify_json(&["--trust-key", &vkey])
    };
    // A line that is not a signature line at all.
    let (code, v) = with_line(size, "garbage\n");
    assert_eq!(code, 1, "{v}");
    let reason = v["failure"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("\"garbage\"") && reason.contains("cosignature"),
        "{reason}"
    );

    // A line under the log key's own name and id whose signature does not verify.
    let note = env.run(&["ledger", "checkpoint"]).ok().stdout;
    let own = note
        .lines()
        .find(|l| l.starts_with(&format!("— {}", crate::harness::ORIGIN)))
        .unwrap();
    let (head, sig) = own.rsplit_once(' ').unwrap();
    let mut raw = base64_decode(sig);
    *raw.last_mut().unwrap() ^= 1;
    let (code, v) = with_line(size, &format!("{head} {}\n", base64_encode(&raw)));
    assert_eq!(code, 1, "{v}");

    // Lines stored for a size that has no checkpoint.
    let (code, v) = with_line(size + 7, &cosig);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("no checkpoint"),
        "{v}"
    );
}

#[test]
fn a_damaged_page_over_the_cosignatures_fails_verify_and_drops_nothing_silently() {
    let (env, vkey, _) = cosigned_ledger();
    let (page, page_size): (i64, i64) = {
        let conn = sqlite(&env.db());
        let page = conn
            .query_row(
                "SELECT rootpage FROM sqlite_master WHERE name = 'cosignatures'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (
            page,
            conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap(),
        )
    };
    let mut bytes = std::fs::read(env.db()).unwrap();
    let at = ((page - 1) * page_size) as usize;
    bytes[at..at + 16].fill(0xff);
    std::fs::write(env.db(), bytes).unwrap();

    let (code, v) = env.verify_json(&["--trust-key", &vkey]);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("corrupt"),
        "{v}"
    );
    let size = newest_size(&env).to_string();
    let r = env.run(&["ledger", "checkpoint", "--size", &size]);
    refused_with_hint(&r, 3);
    assert!(
        r.stdout.is_empty(),
        "a note without its cosignatures: {}",
        r.stdout
    );
}

#[test]
fn bft_status_without_a_quorum_says_so_with_a_hint() {
    // Validators that are not running: nothing listens on their addresses.
    let c = crate::bft_net::Cluster::new();
    let r = c.env.run(&[
        "bft",
        "status",
        "--validators",
        "validators.toml",
        "--timeout",
        "0.2",
    ]);
    refused_with_hint(&r, 3);
    assert!(r.stderr.contains("0 of 4 validators answered"), "{}", r.stderr);
    // The answers are still data on stdout, valid JSON with --json.
    let r = c.env.run(&[
        "--json",
        "bft",
        "status",
        "--validators",
        "validators.toml",
        "--timeout",
        "0.2",
    ]);
    refused_with_hint(&r, 3);
    assert_eq!(r.json()["reachable"], 0, "{}", r.stdout);
}

#[test]
fn a_refused_trade_leaves_no_snapshot_folder_behind() {
    let env = TestEnv::new();
    env.init();
    let snap = crate::wealth::write_bundle(&env, "snap.json", &crate::wealth::bundle(&[]));
    crate::wealth::trade(&env, &snap, &["--best", "--size", "1000.01"]).code(1);
    assert!(!env.path("echo.db.snapshots").exists(), "over the limit");
    // A folder the operator made stays, empty.
    std::fs::create_dir(env.path("mine")).unwrap();
    crate::wealth::trade(
        &env,
        &snap,
        &["--best", "--size", "1000.01", "--snapshot-dir", "mine"],
    )
    .code(1);
    assert!(env.path("mine").is_dir());
    assert_eq!(std::fs::read_dir(env.path("mine")).unwrap().count(), 0);
}

#[test]
fn read_only_commands_leave_no_wal_or_shm_files() {
    let (env, _) = ledger(2);
    let side = |suffix: &str| env.path(&format!("echo.db{suffix}")).exists();
    assert!(!side("-wal") && !side("-shm"), "after the writes");
    for args in [
        &["ledger", "log"][..],
        &["ledger", "verify"],
        &["ledger", "show", "1"],
        &["ledger", "checkpoint"],
        &["ledger", "reader"],
        &["ledger", "export", "--out", "b"],
        &["key", "list"],
        &["court", "list"],
        &["wealth", "pnl"],
    ] {
        env.run(args).ok();
        assert!(!side("-wal") && !side("-shm"), "{args:?} left them");
    }
    // A copy this process may not write is still read (and verified).
    let mut perms = std::fs::metadata(env.db()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o444);
    std::fs::set_permissions(env.db(), perms).unwrap();
    env.run(&["ledger", "verify"]).ok();
}

#[test]
fn a_number_refusal_quotes_the_literal_as_written() {
    let (env, _) = ledger(0);
    for literal in [
        "-12345678901234567891",
        "9007199254740993.5",
        "5e20",
        "99999999999999999999",
        "-9007199254740993",
    ] {
        let r = env.append_kind("observation", &format!("{{\"a\":[1,\n {literal}]}}"));
        refused_with_hint(&r, 2);
        assert!(
            r.stderr.contains(&format!(" {literal} ")),
            "{literal}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_misplaced_checkpoint_is_reported_at_the_entry_it_follows() {
    let (env, vkey) = ledger(6);
    let lines = exported(&env);
    // Move the last checkpoint before the last entry.
    let c = lines.iter().rposition(|l| l.starts_with("C ")).unwrap();
    let mut moved = lines.clone();
    moved.swap(c - 1, c);
    let r = verify_bundle(&env, &vkey, &resealed(&moved));
    let v = r.json();
    assert_eq!(r.code, 1, "{v}");
    let entries = lines.iter().filter(|l| l.starts_with("E ")).count() as u64;
    // It follows entry entries-2 and claims to cover them all.
    assert_eq!(v["failure"]["seq"], entries - 2, "{v}");
}

#[test]
fn verify_fails_not_errors_on_a_checkpoint_that_is_not_utf8() {
    let (env, _) = ledger(1);
    let conn = sqlite(&env.db());
    unguard(&conn, "checkpoints");
    conn.execute(
        "UPDATE checkpoints SET note = CAST(x'ff00fe' AS BLOB) WHERE size = (SELECT max(size) FROM checkpoints)",
        [],
    )
    .unwrap();
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 1, "{v}");
}

#[test]
fn json_problem_strings_carry_the_text_not_rust_escapes() {
    let (env, _) = ledger(1);
    crate::harness::forge_after_last(&env, |e| e.kind = "\u{1b}[31mred".into());
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 1, "{v}");
    let reason = v["failure"]["reason"].as_str().unwrap();
    assert!(reason.contains("\"\u{1b}[31mred\""), "{reason:?}");
    assert!(!reason.contains("\\u{1b}"), "{reason:?}");
    // For a terminal, the same text with its control characters escaped.
    let r = env.run(&["ledger", "verify"]).code(1);
    assert!(
        r.stdout.contains("\\u{1b}[31mred") && !r.stdout.contains('\u{1b}'),
        "{}",
        r.stdout
    );
}
