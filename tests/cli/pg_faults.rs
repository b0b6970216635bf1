//! Many writers and real faults on a PostgreSQL ledger: 16 writer processes at once, writers
//! killed with SIGKILL mid-transaction, a held coordinator lock, the server restarted under
//! a running command, logins with and without the right password.

use crate::harness::{Run, TestEnv, ORIGIN};
use crate::pg_support::{server, PgEnv, PrivateServer};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// examples/ledger_writer, built if missing.
fn writer_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let helper = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("examples")
        .join(format!("ledger_writer{}", std::env::consts::EXE_SUFFIX));
    if !helper.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let built = Command::new(cargo)
            .args(["build", "--example", "ledger_writer"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("build the writer helper");
        assert!(built.success());
    }
    helper
}

fn key_of(env: &TestEnv) -> PathBuf {
    env.path("config/echoctl/keys/test.example_ledger.key")
}

fn spawn_writer(db: &str, key: &Path, count: u64, tag: &str) -> Child {
    Command::new(writer_bin())
        .args([db, &key.display().to_string(), &count.to_string(), tag])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn a writer")
}

fn count(sql: &mut postgres::Client, query: &str) -> i64 {
    sql.query_one(query, &[]).unwrap().get(0)
}

/// Entries are 0..n without a gap, one checkpoint per size written.
fn assert_gapless(sql: &mut postgres::Client, entries: i64) {
    assert_eq!(count(sql, "SELECT count(*) FROM entries"), entries);
    assert_eq!(
        count(sql, "SELECT COALESCE(max(seq) + 1, 0) FROM entries"),
        entries,
        "no gap"
    );
    assert_eq!(
        count(sql, "SELECT size FROM echo_ledger"),
        entries,
        "the coordinator holds the size"
    );
}

#[test]
fn sixteen_writer_processes_append_4000_entries_without_a_gap() {
    let Some(url) = server() else { return };
    let pg = PgEnv::new(&url);
    pg.run(&["init", "--origin", ORIGIN]).ok();
    let key = key_of(&pg.env);
    let writers: Vec<Child> = (0..16)
        .map(|w| spawn_writer(&pg.db.url, &key, 250, &format!("w{w}")))
        .collect();
    let mut seqs = BTreeSet::new();
    for w in writers {
        let out = w.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            assert!(
                seqs.insert(line.parse::<u64>().unwrap()),
                "seq {line} given twice"
            );
        }
    }
    assert_eq!(seqs.len(), 4000);
    assert_eq!(seqs.iter().next(), Some(&1));
    assert_eq!(seqs.iter().next_back(), Some(&4000));
    let mut sql = pg.db.sql();
    assert_gapless(&mut sql, 4001);
    // One checkpoint per transaction, and each is checked by verify.
    assert_eq!(count(&mut sql, "SELECT count(*) FROM checkpoints"), 4001);
    let v = pg.run(&["--json", "ledger", "verify"]).ok().json();
    assert_eq!(
        (v["entries"].as_u64(), v["checkpoints"].as_u64()),
        (Some(4001), Some(4001))
    );
}

#[test]
fn writers_killed_mid_transaction_leave_nothing_partial() {
    let Some(url) = server() else { return };
    let pg = PgEnv::new(&url);
    pg.run(&["init", "--origin", ORIGIN]).ok();
    let key = key_of(&pg.env);
    let mut acknowledged = BTreeSet::new();
    for round in 0..3 {
        let mut writers: Vec<Child> = (0..6)
            .map(|w| spawn_writer(&pg.db.url, &key, 1_000_000, &format!("r{round}w{w}")))
            .collect();
        // Let each commit a few, then kill them all where they stand.
        let mut readers: Vec<_> = writers
            .iter_mut()
            .map(|w| BufReader::new(w.stdout.take().unwrap()))
            .collect();
        for r in &mut readers {
            for _ in 0..(5 + round * 7) {
                let mut line = String::new();
                assert!(r.read_line(&mut line).unwrap() > 0, "a writer ended early");
                acknowledged.insert(line.trim().parse::<u64>().unwrap());
            }
        }
        for w in &mut writers {
            w.kill().unwrap();
            w.wait().unwrap();
        }
        for r in &mut readers {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(r, &mut rest);
            acknowledged.extend(rest.lines().filter_map(|l| l.trim().parse::<u64>().ok()));
        }
    }
    let mut sql = pg.db.sql();
    let n = count(&mut sql, "SELECT count(*) FROM entries");
    assert_gapless(&mut sql, n);
    assert!(
        acknowledged.iter().all(|s| (*s as i64) < n),
        "every acknowledged entry is there"
    );
    // Every stored size has its checkpoint: a write is whole or absent.
    assert_eq!(
        count(
            &mut sql,
            "SELECT count(*) FROM checkpoints WHERE size = (SELECT max(seq) + 1 FROM entries)"
        ),
        1
    );
    pg.run(&["ledger", "verify"]).ok();
    // The locks died with the writers: the next one is not kept waiting.
    pg.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "s",
        "--content",
        "{}",
    ])
    .ok();
}

#[test]
fn a_writer_that_waits_past_the_lock_timeout_exits_3_and_writes_nothing() {
    let Some(url) = server() else { return };
    let pg = PgEnv::new(&url);
    pg.run(&["init", "--origin", ORIGIN]).ok();
    let mut holder = pg.db.sql();
    holder
        .batch_execute("BEGIN; SELECT size FROM echo_ledger FOR UPDATE;")
        .unwrap();
    let r: Run = pg
        .command(&[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "{}",
        ])
        .env("ECHOCTL_LOCK_TIMEOUT", "0.3")
        .output()
        .unwrap()
        .into();
    let r = r.code(3);
    assert!(r.stderr.contains("locked"), "{}", r.stderr);
    assert!(r.stderr.contains("ECHOCTL_LOCK_TIMEOUT"), "{}", r.stderr);
    holder.batch_execute("ROLLBACK").unwrap();
    let mut sql = pg.db.sql();
    assert_gapless(&mut sql, 1);
    pg.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "s",
        "--content",
        "{}",
    ])
    .ok();
    assert_gapless(&mut sql, 2);
}

/// Creates the database `ledger` on a private server, owned by its superuser `owner`.
fn private_ledger(server: &PrivateServer) -> String {
    crate::pg_support::connect(&server.url("owner", "owner-secret", "postgres"))
        .batch_execute("CREATE DATABASE ledger")
        .unwrap();
    server.url("owner", "owner-secret", "ledger")
}

#[test]
fn a_server_restart_under_a_running_command_exits_3_and_a_retry_succeeds() {
    let Some(server) = PrivateServer::start() else {
        return;
    };
    let url = private_ledger(&server);
    let env = TestEnv::new();
    env.run(&["--db", &url, "init", "--origin", ORIGIN]).ok();
    let key = key_of(&env);
    // Writers that keep going, and a big batch that is mid-transaction when the server goes.
    let mut writers: Vec<Child> = (0..3)
        .map(|w| spawn_writer(&url, &key, 1_000_000, &format!("w{w}")))
        .collect();
    let batch: String = (0..300_000)
        .map(|i| format!("{{\"kind\":\"observation\",\"source\":\"batch\",\"content\":{{\"i\":{i}}}}}\n"))
        .collect();
    std::fs::write(env.path("batch.jsonl"), &batch).unwrap();
    let big = env
        .command(&["--db", &url, "ledger", "append", "--batch", "batch.jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the batch's transaction is open on the server, then restart it.
    let mut watch = crate::pg_support::connect(&url);
    loop {
        let open = count(
            &mut watch,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'echoctl' \
             AND query LIKE 'COPY entries%'",
        );
        if open > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(watch);
    server.restart();
    let out = big.wait_with_output().unwrap();
    let r: Run = out.into();
    let r = r.code(3);
    assert!(r.stderr.contains("database unavailable"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert!(!r.stderr.contains("owner-secret"), "{}", r.stderr);
    let mut acknowledged = BTreeSet::new();
    for w in writers.drain(..) {
        let out = w.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(3), "a writer cut off exits 3");
        assert!(String::from_utf8_lossy(&out.stderr).contains("database unavailable"));
        acknowledged.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| l.parse::<u64>().unwrap()),
        );
    }
    let mut sql = crate::pg_support::connect(&url);
    let before = count(&mut sql, "SELECT count(*) FROM entries");
    assert!(before < 300_000, "none of the batch was kept");
    assert!(acknowledged.iter().all(|s| (*s as i64) < before));
    assert_gapless(&mut sql, before);
    // Retried, the batch goes in whole.
    env.run(&["--db", &url, "ledger", "append", "--batch", "batch.jsonl"])
        .ok();
    assert_gapless(&mut sql, before + 300_000);
    env.run(&["--db", &url, "ledger", "verify"]).ok();
}

#[test]
fn a_password_comes_from_the_url_pgpassword_or_pgpass_and_is_never_printed() {
    let Some(server) = PrivateServer::start() else {
        return;
    };
    let url = private_ledger(&server);
    let env = TestEnv::new();
    env.run(&["--db", &url, "init", "--origin", ORIGIN]).ok();
    let bare = format!("postgres://owner@127.0.0.1:{}/ledger", server.port);
    // Wrong password in the URL: refused, exit 3, the password hidden.
    let wrong = server.url("owner", "not-the-secret", "ledger");
    let r = env.run(&["--db", &wrong, "ledger", "verify"]).code(3);
    assert!(r.stderr.contains("refused the login"), "{}", r.stderr);
    assert!(r.stderr.contains("owner:***@"), "{}", r.stderr);
    assert!(!r.stderr.contains("not-the-secret"), "{}", r.stderr);
    let r = env.run(&["--json", "--db", &wrong, "ledger", "log"]).code(3);
    assert!(!r.stdout.contains("not-the-secret") && !r.stderr.contains("not-the-secret"));
    // No password at all.
    env.run(&["--db", &bare, "ledger", "verify"]).code(3);
    // PGPASSWORD.
    env.run_env(
        &["--db", &bare, "ledger", "verify"],
        &[("PGPASSWORD", "owner-secret")],
    )
    .ok();
    // ~/.pgpass (HOME is the test's directory).
    std::fs::write(
        env.path(".pgpass"),
        format!("127.0.0.1:{}:ledger:owner:owner-secret\n", server.port),
    )
    .unwrap();
    // Readable by others, it is ignored (as libpq does); private, it is used.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.path(".pgpass"), std::fs::Permissions::from_mode(0o644)).unwrap();
    env.run(&["--db", &bare, "ledger", "verify"]).code(3);
    std::fs::set_permissions(env.path(".pgpass"), std::fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&["--db", &bare, "ledger", "verify"]).ok();
    let r = env.run(&["--json", "--db", &url, "ledger", "verify"]).ok();
    assert!(!r.stdout.contains("owner-secret") && !r.stderr.contains("owner-secret"));
    let r = env
        .run(&[
            "--json",
            "--db",
            &url,
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "{}",
        ])
        .ok();
    assert!(!r.stdout.contains("owner-secret") && !r.stderr.contains("owner-secret"));
}
