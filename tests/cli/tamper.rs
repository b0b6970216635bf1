//! The tamper suite: an attacker with write access to the file drops the triggers and
//! edits it; `ledger verify` must exit 1 and name the first bad seq.

use crate::harness::{sqlite, TestEnv, ORIGIN};
use serde_json::Value;

/// A ledger of genesis + 9 observations, one append (so one checkpoint) each.
fn ledger() -> (TestEnv, String) {
    let env = TestEnv::new();
    let vkey = env.init();
    for i in 1..=9 {
        env.append(&format!(r#"{{"text":"observation {i}","n":{i}}}"#));
    }
    let (code, v) = env.verify_json(&["--trust-key", &vkey]);
    assert_eq!(code, 0, "{v}");
    (env, vkey)
}

pub(crate) fn attack(env: &TestEnv, sql: &str) {
    let conn = sqlite(&env.db());
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {t}")).unwrap();
    }
    conn.execute_batch(sql).unwrap();
}

#[track_caller]
fn assert_fails_at(env: &TestEnv, extra: &[&str], seq: u64) -> Value {
    let (code, v) = env.verify_json(extra);
    assert_eq!(code, 1, "verify must exit 1: {v}");
    assert_eq!(v["valid"], false);
    assert_eq!(v["failure"]["seq"], seq, "first bad seq: {v}");
    // The human form names the seq too.
    let mut args = vec!["ledger", "verify"];
    args.extend_from_slice(extra);
    let human = env.run(&args).code(1);
    assert!(
        human.stdout.contains(&format!("INVALID at seq {seq}")),
        "{}",
        human.stdout
    );
    v
}

/// The body of entry `seq` with `from` replaced by `to`, as SQL.
fn rewrite_body(env: &TestEnv, seq: u64, from: &str, to: &str, fix_leaf: bool) {
    let conn = sqlite(&env.db());
    let body: Vec<u8> = conn
        .query_row("SELECT body FROM entries WHERE seq = ?1", [seq], |r| r.get(0))
        .unwrap();
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains(from), "{text}");
    let new = text.replacen(from, to, 1);
    drop(conn);
    attack(env, "");
    let conn = sqlite(&env.db());
    conn.execute(
        "UPDATE entries SET body = ?1 WHERE seq = ?2",
        rusqlite::params![new.as_bytes(), seq],
    )
    .unwrap();
    if fix_leaf {
        let leaf = echoctl::ledger::merkle::leaf_hash(new.as_bytes());
        conn.execute(
            "UPDATE entries SET leaf = ?1 WHERE seq = ?2",
            rusqlite::params![&leaf[..], seq],
        )
        .unwrap();
    }
}

#[test]
fn untouched_ledger_verifies_with_every_anchor() {
    let (env, vkey) = ledger();
    let cp = env.run(&["ledger", "checkpoint"]).ok().stdout;
    std::fs::write(env.path("cp.txt"), cp).unwrap();
    let (code, v) = env.verify_json(&["--trust-key", &vkey, "--trust-checkpoint", "cp.txt"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 10);
    assert_eq!(v["checkpoints"], 10);
    assert_eq!(v["anchors"].as_array().unwrap().len(), 2);
}

#[test]
fn changed_byte_of_one_entry() {
    let (env, vkey) = ledger();
    rewrite_body(&env, 4, "observation 4", "observation X", false);
    let v = assert_fails_at(&env, &["--trust-key", &vkey], 4);
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("changed"),
        "{v}"
    );
}

#[test]
fn changed_byte_with_recomputed_leaf_hash() {
    let (env, vkey) = ledger();
    rewrite_body(&env, 4, "observation 4", "observation X", true);
    assert_fails_at(&env, &["--trust-key", &vkey], 4);
}

#[test]
fn changed_last_entry_is_caught_by_its_checkpoint() {
    let (env, vkey) = ledger();
    rewrite_body(&env, 9, "observation 9", "observation X", true);
    assert_fails_at(&env, &["--trust-key", &vkey], 9);
}

#[test]
fn changed_kind() {
    let (env, vkey) = ledger();
    rewrite_body(
        &env,
        3,
        "\"kind\":\"observation\"",
        "\"kind\":\"decision\"",
        false,
    );
    attack(&env, "UPDATE entries SET kind = 'decision' WHERE seq = 3");
    assert_fails_at(&env, &["--trust-key", &vkey], 3);
}

#[test]
fn changed_kind_column_only() {
    let (env, vkey) = ledger();
    attack(&env, "UPDATE entries SET kind = 'decision' WHERE seq = 6");
    assert_fails_at(&env, &["--trust-key", &vkey], 6);
}

#[test]
fn deleted_entry() {
    let (env, vkey) = ledger();
    attack(&env, "DELETE FROM entries WHERE seq = 5");
    assert_fails_at(&env, &["--trust-key", &vkey], 5);
}

#[test]
fn deleted_entry_with_renumbering() {
    let (env, vkey) = ledger();
    attack(
        &env,
        "DELETE FROM entries WHERE seq = 5; UPDATE entries SET seq = seq - 1 WHERE seq > 5;",
    );
    assert_fails_at(&env, &["--trust-key", &vkey], 5);
}

#[test]
fn swapped_entries() {
    let (env, vkey) = ledger();
    attack(
        &env,
        "UPDATE entries SET seq = -1 WHERE seq = 3; UPDATE entries SET seq = 3 WHERE seq = 6; \
         UPDATE entries SET seq = 6 WHERE seq = -1;",
    );
    assert_fails_at(&env, &["--trust-key", &vkey], 3);
}

#[test]
fn inserted_entry() {
    let (env, vkey) = ledger();
    // Forge a well-formed entry 4 that follows entry 3, and shift the rest up.
    let conn = sqlite(&env.db());
    let (body3, leaf3): (Vec<u8>, Vec<u8>) = conn
        .query_row("SELECT body, leaf FROM entries WHERE seq = 3", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    drop(conn);
    let mut forged: echoctl::ledger::entry::Entry = serde_json::from_slice(&body3).unwrap();
    forged.seq = 4;
    forged.id = "01KZZZZZZZZZZZZZZZZZZZZZZZ".into();
    forged.prev = leaf3.try_into().unwrap();
    forged.content.insert("text".into(), "forged".into());
    let bytes = forged.to_canonical();
    let leaf = echoctl::ledger::merkle::leaf_hash(&bytes);
    attack(&env, "UPDATE entries SET seq = seq + 100 WHERE seq >= 4; UPDATE entries SET seq = seq - 99 WHERE seq >= 104;");
    sqlite(&env.db())
        .execute(
            "INSERT INTO entries (seq, id, kind, ts, leaf, body) VALUES (4, ?1, 'observation', ?2, ?3, ?4)",
            rusqlite::params![forged.id, forged.ts, &leaf[..], bytes],
        )
        .unwrap();
    assert_fails_at(&env, &["--trust-key", &vkey], 4);
}

#[test]
fn appended_unsigned_entry() {
    let (env, vkey) = ledger();
    assert_eq!(crate::harness::forge_after_last(&env, |_| {}), 10);
    let v = assert_fails_at(&env, &["--trust-key", &vkey], 10);
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("not covered"),
        "{v}"
    );
}

#[test]
fn deleted_newest_entries_caught_with_trusted_checkpoint() {
    let (env, vkey) = ledger();
    let cp = env.run(&["ledger", "checkpoint"]).ok().stdout;
    std::fs::write(env.path("cp.txt"), cp).unwrap();
    // Truncate entries, their tree nodes and checkpoints consistently: internally the
    // shorter ledger is still valid ...
    attack(
        &env,
        "DELETE FROM entries WHERE seq >= 8; DELETE FROM checkpoints WHERE size > 8; \
         DELETE FROM tree_nodes WHERE (idx + 1) * (1 << level) > 8;",
    );
    let (code, v) = env.verify_json(&["--trust-key", &vkey]);
    assert_eq!(code, 0, "a consistent prefix is internally valid: {v}");
    // ... but not against the checkpoint CI pinned.
    let v = assert_fails_at(&env, &["--trust-key", &vkey, "--trust-checkpoint", "cp.txt"], 8);
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("truncated"),
        "{v}"
    );
}

#[test]
fn deleted_newest_entries_leaving_checkpoints() {
    let (env, vkey) = ledger();
    attack(&env, "DELETE FROM entries WHERE seq >= 8");
    assert_fails_at(&env, &["--trust-key", &vkey], 8);
}

#[test]
fn rebuilt_with_another_key() {
    let (env, vkey) = ledger();
    // The attacker rebuilds the same history under a key of their own, same origin.
    let evil = TestEnv::new();
    let evil = TestEnv {
        seed: "attacker".into(),
        ..evil
    };
    evil.run(&["init", "--origin", ORIGIN]).ok();
    for i in 1..=9 {
        evil.append(&format!(r#"{{"text":"observation {i}","n":{i}}}"#));
    }
    std::fs::copy(evil.db(), env.db()).unwrap();
    let (code, v) = env.verify_json(&[]);
    assert_eq!(
        code, 0,
        "without an anchor a re-signed ledger is internally consistent: {v}"
    );
    let v = assert_fails_at(&env, &["--trust-key", &vkey], 0);
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("trusted"),
        "{v}"
    );
}

#[test]
fn forged_checkpoint_signature() {
    let (env, vkey) = ledger();
    let conn = sqlite(&env.db());
    let note: String = conn
        .query_row("SELECT note FROM checkpoints WHERE size = 6", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    // Flip one character of the signature's base64.
    let at = note.rfind(' ').unwrap() + 10;
    let mut bytes = note.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(bytes).unwrap();
    attack(&env, "");
    sqlite(&env.db())
        .execute("UPDATE checkpoints SET note = ?1 WHERE size = 6", [forged])
        .unwrap();
    let v = assert_fails_at(&env, &["--trust-key", &vkey], 5);
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("signature"),
        "{v}"
    );
    // Without anchors the genesis keys are used, and the forgery is still caught.
    assert_fails_at(&env, &[], 5);
}

#[test]
fn forged_merkle_node() {
    let (env, vkey) = ledger();
    attack(
        &env,
        "UPDATE tree_nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 2",
    );
    assert_fails_at(&env, &["--trust-key", &vkey], 5);
}

#[test]
fn modification_through_sqlite_is_refused_by_triggers() {
    let (env, _) = ledger();
    let conn = sqlite(&env.db());
    for sql in [
        "UPDATE entries SET kind = 'decision' WHERE seq = 1",
        "DELETE FROM entries WHERE seq = 9",
        "UPDATE checkpoints SET note = 'x'",
        "DELETE FROM tree_nodes",
    ] {
        let err = conn.execute_batch(sql).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}
