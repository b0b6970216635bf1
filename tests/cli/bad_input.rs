//! Bad input gets `error:` and `hint:` on stderr, an empty stdout, the documented exit
//! code, and writes nothing.

use crate::harness::{sqlite, Run, TestEnv};

fn ledger() -> TestEnv {
    let env = TestEnv::new();
    env.init();
    env.append(r#"{"text":"a"}"#);
    env
}

fn size(env: &TestEnv) -> i64 {
    sqlite(&env.db())
        .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap()
}

#[track_caller]
fn refused(r: Run, code: i32, needle: &str) {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "stdout must be empty on error: {}", r.stdout);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains(needle), "expected {needle:?} in: {}", r.stderr);
}

fn append(env: &TestEnv, kind: &str, content: &str) -> Run {
    env.append_kind(kind, content)
}

#[test]
fn malformed_and_non_object_content() {
    let env = ledger();
    refused(append(&env, "observation", r#"{"text":"#), 2, "not valid JSON");
    refused(append(&env, "observation", "[1,2]"), 2, "must be a JSON object");
    refused(append(&env, "observation", r#"{"a":1,"a":2}"#), 2, "duplicate");
    refused(
        append(&env, "observation", r#"{"n":12345678901234567890}"#),
        2,
        "2^53",
    );
    assert_eq!(size(&env), 2);
}

#[test]
fn unknown_kind_lists_the_valid_ones() {
    let env = ledger();
    let r = append(&env, "rumour", "{}");
    refused(r, 2, "unknown kind");
    let r = append(&env, "rumour", "{}");
    assert!(
        r.stderr
            .contains("hint: valid kinds: observation, decision, outcome, constraint, test"),
        "{}",
        r.stderr
    );
    refused(append(&env, "amendment", "{}"), 2, "ledger amend");
    refused(append(&env, "genesis", "{}"), 2, "unknown kind");
    assert_eq!(size(&env), 2);
}

#[test]
fn oversized_content_is_refused_not_truncated() {
    let env = ledger();
    let big = format!(r#"{{"text":"{}"}}"#, "x".repeat(70_000));
    std::fs::write(env.path("big.json"), &big).unwrap();
    refused(
        env.run(&[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content-file",
            "big.json",
        ]),
        2,
        "65,535 bytes",
    );
    let huge = format!(r#"{{"text":"{}"}}"#, "x".repeat(2_000_000));
    std::fs::write(env.path("huge.json"), &huge).unwrap();
    refused(
        env.run(&[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content-file",
            "huge.json",
        ]),
        2,
        "1 MiB",
    );
    // Just under the limit is fine.
    let fits = format!(r#"{{"text":"{}"}}"#, "x".repeat(65_000));
    std::fs::write(env.path("fits.json"), &fits).unwrap();
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "s",
        "--content-file",
        "fits.json",
    ])
    .ok();
    assert_eq!(size(&env), 3);
}

#[test]
fn missing_entry() {
    let env = ledger();
    refused(
        env.run(&["ledger", "show", "01KZZZZZZZZZZZZZZZZZZZZZZZ"]),
        2,
        "not found",
    );
    refused(env.run(&["ledger", "show", "99"]), 2, "not found");
}

#[test]
fn missing_ledger_is_an_environment_error() {
    let env = TestEnv::new();
    for args in [
        &["ledger", "verify"][..],
        &["ledger", "log"],
        &[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "{}",
        ],
    ] {
        let r = env.run(args);
        refused(r, 3, "no ledger at");
    }
    assert!(!env.db().exists(), "reading commands never create a ledger");
}

#[test]
fn a_file_that_is_not_a_ledger() {
    let env = TestEnv::new();
    std::fs::write(
        env.db(),
        b"this is not a database, just some text that is long enough to look like one",
    )
    .unwrap();
    refused(env.run(&["ledger", "verify"]), 2, "not an echoctl ledger");
    // A SQLite database of some other program.
    let other = env.path("other.db");
    sqlite(&other)
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    refused(
        env.run(&["--db", "other.db", "ledger", "log"]),
        2,
        "not an echoctl ledger",
    );
}

#[test]
fn a_ledger_with_a_newer_schema() {
    let env = ledger();
    sqlite(&env.db()).pragma_update(None, "user_version", 99).unwrap();
    let r = env.run(&["ledger", "verify"]);
    refused(r, 2, "newer than this echoctl supports");
    let r = append(&env, "test", "{}");
    assert!(r.stderr.contains("hint: upgrade echoctl"), "{}", r.stderr);
}

#[test]
fn missing_or_unreadable_key() {
    let env = ledger();
    refused(
        env.run(&[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "{}",
            "--key",
            "nope.key",
        ]),
        3,
        "cannot read key file",
    );
    // A key others can read is refused, as ssh does.
    env.run(&[
        "key",
        "generate",
        "--name",
        crate::harness::ORIGIN,
        "--out",
        "open.key",
    ])
    .ok();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(env.path("open.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let r = env.run(&[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "{}",
            "--key",
            "open.key",
        ]);
        refused(r, 3, "readable by others");
    }
    // A valid key that is not this ledger's.
    env.run(&[
        "key",
        "generate",
        "--name",
        crate::harness::ORIGIN,
        "--out",
        "other.key",
    ])
    .ok();
    let r = env.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "s",
        "--content",
        "{}",
        "--key",
        "other.key",
    ]);
    refused(r, 2, "not a signing key of this ledger");
    std::fs::write(env.path("garbage.key"), "hello").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(env.path("garbage.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    refused(
        env.run(&["key", "show", "--key", "garbage.key"]),
        2,
        "not an echoctl key file",
    );
    assert_eq!(size(&env), 2);
}

#[test]
fn a_locked_ledger() {
    let env = ledger();
    let conn = sqlite(&env.db());
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let r: Run = env
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
        .env("ECHOCTL_LOCK_TIMEOUT", "0.2")
        .output()
        .unwrap()
        .into();
    refused(r, 3, "locked");
    // Readers are not blocked by a writer (WAL).
    env.run(&["ledger", "verify"]).ok();
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    append(&env, "test", "{}").ok();
}

#[test]
fn a_corrupt_ledger() {
    let env = ledger();
    for i in 0..30 {
        env.append(&format!(r#"{{"text":"{}"}}"#, "y".repeat(2000 + i)));
    }
    // Overwrite pages in the middle of the file with garbage.
    let mut bytes = std::fs::read(env.db()).unwrap();
    let len = bytes.len();
    for b in &mut bytes[len / 3..len / 3 + 8192] {
        *b = 0xA5;
    }
    std::fs::write(env.db(), bytes).unwrap();
    let (code, _) = (env.run(&["ledger", "verify"]).code, ());
    assert_eq!(code, 1, "a damaged file fails verification");
    let r = env.run(&["ledger", "log"]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    if r.code != 0 {
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn bad_flags_and_anchors() {
    let env = ledger();
    refused(
        env.run(&["ledger", "verify", "--trust-key", "not-a-key"]),
        2,
        "invalid verifier key",
    );
    refused(
        env.run(&["ledger", "verify", "--trust-checkpoint", "missing.txt"]),
        2,
        "cannot read checkpoint file",
    );
    std::fs::write(env.path("cp.txt"), "garbage\n").unwrap();
    refused(
        env.run(&["ledger", "verify", "--trust-checkpoint", "cp.txt"]),
        2,
        "malformed checkpoint",
    );
    let r = env.run(&["ledger", "frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    let r = env.run(&["ledger", "append", "--kind", "test"]);
    assert_eq!(r.code, 2, "missing required flags: {}", r.stderr);
    let r = env
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
        .env("ECHOCTL_TIMESTAMP", "noon")
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    env.run(&["--help"]).ok();
}

#[test]
fn a_trusted_checkpoint_of_another_log() {
    let env = ledger();
    let other = TestEnv {
        seed: "other".into(),
        ..TestEnv::new()
    };
    other.run(&["init", "--origin", "other.example/log"]).ok();
    std::fs::write(
        env.path("cp.txt"),
        other.run(&["ledger", "checkpoint"]).ok().stdout,
    )
    .unwrap();
    let (code, v) = env.verify_json(&["--trust-checkpoint", "cp.txt"]);
    assert_eq!(code, 1, "{v}");
    assert!(v["failure"]["reason"].as_str().unwrap().contains("origin"), "{v}");
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let env = ledger();
    for i in 0..300 {
        env.append(&format!(r#"{{"i":{i}}}"#));
    }
    // `echoctl ledger log --json | head -1`: the pipe closes after one line.
    let mut child = env
        .command(&["--json", "ledger", "log"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}
