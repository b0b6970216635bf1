//! The ledger's behaviour through the real binary: the seed's tests, amendments, reading
//! commands and their --json output.

use crate::harness::{sqlite, TestEnv, ORIGIN};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn append_creates_an_entry_with_the_correct_hash() {
    let env = TestEnv::new();
    env.init();
    let e = env.append(r#"{"text":"disk 93% full","host":"db1","pct":93}"#);
    // Recompute independently from the stored bytes: SHA-256(0x00 ‖ canonical bytes).
    let body: Vec<u8> = sqlite(&env.db())
        .query_row("SELECT body FROM entries WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(&body);
    assert_eq!(e["leaf"], hex(&h.finalize()));
    assert_eq!(e["seq"], 1);
    // The stored bytes are canonical: sorted keys, no whitespace.
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.starts_with(r#"{"content":{"host":"db1","pct":93,"text":"disk 93% full"},"id":""#),
        "{text}"
    );
    assert!(text.ends_with(r#","v":1}"#), "{text}");
}

#[test]
fn append_maintains_the_chain() {
    let env = TestEnv::new();
    env.init();
    let a = env.append(r#"{"text":"a"}"#);
    let b = env.append(r#"{"text":"b"}"#);
    let log = env.run(&["--json", "ledger", "log"]).ok().json_lines();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0]["prev"], "0".repeat(64));
    assert_eq!(log[1]["prev"], log[0]["leaf"]);
    assert_eq!(log[2]["prev"], a["leaf"]);
    assert_eq!(log[2]["leaf"], b["leaf"]);
}

#[test]
fn modifying_an_existing_entry_fails() {
    let env = TestEnv::new();
    env.init();
    env.append(r#"{"text":"a"}"#);
    let err = sqlite(&env.db())
        .execute("UPDATE entries SET body = 'x' WHERE seq = 1", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    // And the CLI offers no way to edit: only amend.
    let r = env.run(&["ledger", "edit"]).code(2);
    assert!(r.stderr.contains("unrecognized subcommand"), "{}", r.stderr);
}

#[test]
fn an_amendment_links_to_its_original() {
    let env = TestEnv::new();
    env.init();
    let e = env.append(r#"{"text":"disk 93% full"}"#);
    let id = e["id"].as_str().unwrap();
    let r = env
        .run(&[
            "--json",
            "ledger",
            "amend",
            id,
            "--type",
            "correction",
            "--reason",
            "misread",
            "--content",
            r#"{"text":"disk 39% full"}"#,
        ])
        .ok();
    let amendment_id = r.json()["entries"][0]["id"].as_str().unwrap().to_owned();
    let shown = env.run(&["--json", "ledger", "show", &amendment_id]).ok().json();
    assert_eq!(shown["entry"]["kind"], "amendment");
    assert_eq!(shown["entry"]["refs"], serde_json::json!([id]));
    assert_eq!(shown["entry"]["content"]["target"], id);
    assert_eq!(shown["entry"]["content"]["type"], "correction");
    let original = env.run(&["--json", "ledger", "show", id]).ok().json();
    assert_eq!(
        original["entry"]["content"]["text"], "disk 93% full",
        "the original is untouched"
    );
    assert_eq!(original["effective_content"]["text"], "disk 39% full");
    assert_eq!(original["amendments"][0]["id"], amendment_id.as_str());
    assert_eq!(original["status"], "active");
}

#[test]
fn integrity_passes_on_a_valid_chain() {
    let env = TestEnv::new();
    let vkey = env.init();
    for i in 0..5 {
        env.append(&format!(r#"{{"i":{i}}}"#));
    }
    let (code, v) = env.verify_json(&["--trust-key", &vkey]);
    assert_eq!(code, 0);
    assert_eq!(v["valid"], true);
    assert_eq!(v["entries"], 6);
    assert_eq!(v["checkpoints"], 6);
    let human = env.run(&["ledger", "verify", "--trust-key", &vkey]).ok();
    assert!(
        human.stdout.starts_with("valid: 6 entries, 6 checkpoints, root "),
        "{}",
        human.stdout
    );
    assert!(
        !human.stderr.contains("warning"),
        "anchored verify has no warning: {}",
        human.stderr
    );
    let unanchored = env.run(&["ledger", "verify"]).ok();
    assert!(
        unanchored.stderr.contains("internal consistency only"),
        "{}",
        unanchored.stderr
    );
}

#[test]
fn integrity_fails_on_a_tampered_entry() {
    let env = TestEnv::new();
    env.init();
    env.append(r#"{"text":"a"}"#);
    env.append(r#"{"text":"b"}"#);
    let conn = sqlite(&env.db());
    conn.execute_batch("DROP TRIGGER entries_no_update").unwrap();
    conn.execute(
        "UPDATE entries SET body = replace(body, '\"a\"', '\"A\"') WHERE seq = 1",
        [],
    )
    .unwrap();
    drop(conn);
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(v["failure"]["seq"], 1);
}

#[test]
fn amendment_types_and_rules() {
    let env = TestEnv::new();
    env.init();
    let a = env.append(r#"{"text":"a"}"#)["id"].as_str().unwrap().to_owned();
    let b = env.append(r#"{"text":"b"}"#)["id"].as_str().unwrap().to_owned();
    let c = env.append(r#"{"text":"c"}"#)["id"].as_str().unwrap().to_owned();
    let amend = |args: &[&str]| {
        let mut v = vec!["--json", "ledger", "amend"];
        v.extend_from_slice(args);
        env.run(&v)
    };
    amend(&[
        &a,
        "--type",
        "clarification",
        "--reason",
        "context",
        "--content",
        r#"{"text":"measured at noon"}"#,
    ])
    .ok();
    // A correction needs content; a withdrawal takes none.
    let r = amend(&[&a, "--type", "correction", "--reason", "x"]).code(2);
    assert!(r.stderr.contains("needs the corrected content"), "{}", r.stderr);
    amend(&[&a, "--type", "withdrawal", "--reason", "x", "--content", "{}"]).code(2);
    // Supersession names an existing replacement.
    amend(&[&a, "--type", "supersession", "--reason", "x"]).code(2);
    let r = amend(&[
        &a,
        "--type",
        "supersession",
        "--reason",
        "x",
        "--superseded-by",
        "01KZZZZZZZZZZZZZZZZZZZZZZZ",
    ])
    .code(2);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
    amend(&[
        &a,
        "--type",
        "supersession",
        "--reason",
        "replaced",
        "--superseded-by",
        &b,
    ])
    .ok();
    let shown = env.run(&["--json", "ledger", "show", &a]).ok().json();
    assert_eq!(shown["status"], "superseded");
    assert_eq!(shown["superseded_by"], b.as_str());
    // A superseded entry is closed.
    let r = amend(&[&a, "--type", "clarification", "--reason", "late"]).code(2);
    assert!(r.stderr.contains("closed"), "{}", r.stderr);
    // Withdrawal closes too, and nothing may be amended afterwards.
    amend(&[&c, "--type", "withdrawal", "--reason", "wrong host"]).ok();
    let r = amend(&[&c, "--type", "correction", "--reason", "x", "--content", "{}"]).code(2);
    assert!(r.stderr.contains("withdrawn"), "{}", r.stderr);
    // A withdrawn entry cannot be a replacement; amendments and genesis cannot be amended.
    amend(&[
        &b,
        "--type",
        "supersession",
        "--reason",
        "x",
        "--superseded-by",
        &c,
    ])
    .code(2);
    let r = amend(&["0", "--type", "withdrawal", "--reason", "x"]).code(2);
    assert!(r.stderr.contains("genesis"), "{}", r.stderr);
    let last = env
        .run(&["--json", "ledger", "log"])
        .ok()
        .json_lines()
        .last()
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = amend(&[&last, "--type", "withdrawal", "--reason", "x"]).code(2);
    assert!(r.stderr.contains("amend the original"), "{}", r.stderr);
    // Missing target.
    let r = amend(&[
        "01KZZZZZZZZZZZZZZZZZZZZZZZ",
        "--type",
        "withdrawal",
        "--reason",
        "x",
    ])
    .code(2);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["entries"], 7);
}

#[test]
fn verify_rejects_an_amendment_that_breaks_the_rules() {
    // An attacker (or a buggy writer) appends a valid-looking amendment of a withdrawn
    // entry and re-signs nothing: the rules are checked offline.
    let env = TestEnv::new();
    env.init();
    let a = env.append(r#"{"text":"a"}"#)["id"].as_str().unwrap().to_owned();
    env.run(&["ledger", "amend", &a, "--type", "withdrawal", "--reason", "x"])
        .ok();
    let seq = crate::harness::forge_after_last(&env, |forged| {
        forged.content.insert("type".into(), "correction".into());
        forged
            .content
            .insert("content".into(), serde_json::json!({"text":"b"}));
    });
    assert_eq!(seq, 3);
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["failure"]["seq"], 3);
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("withdrawn"),
        "{v}"
    );
}

#[test]
fn log_filters_and_json_lines() {
    let env = TestEnv::new();
    env.init();
    let a = env.append(r#"{"text":"a"}"#)["id"].as_str().unwrap().to_owned();
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "decision",
        "--source",
        "ops",
        "--content",
        r#"{"text":"d"}"#,
    ])
    .ok();
    env.append(r#"{"text":"c"}"#);
    let all = env.run(&["--json", "ledger", "log"]).ok().json_lines();
    assert_eq!(all.len(), 4);
    let decisions = env
        .run(&["--json", "ledger", "log", "--kind", "decision"])
        .ok()
        .json_lines();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0]["content"]["text"], "d");
    let after = env
        .run(&["--json", "ledger", "log", "--since", &a])
        .ok()
        .json_lines();
    assert_eq!(
        after
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    let limited = env
        .run(&["--json", "ledger", "log", "--limit", "2"])
        .ok()
        .json_lines();
    assert_eq!(limited.len(), 2);
    let none = env
        .run(&["--json", "ledger", "log", "--since", "2030-01-01T00:00:00Z"])
        .ok();
    assert_eq!(none.stdout, "", "an empty stream is empty JSON Lines");
    let all_time = env
        .run(&["--json", "ledger", "log", "--since", "2026-11-22T12:00:00Z"])
        .ok()
        .json_lines();
    assert_eq!(all_time.len(), 4);
    let table = env.run(&["ledger", "log"]).ok();
    assert!(
        table.stdout.contains("decision") && table.stdout.contains("genesis"),
        "{}",
        table.stdout
    );
    env.run(&["ledger", "log", "--kind", "nonsense"]).code(2);
    env.run(&["ledger", "log", "--since", "yesterday"]).code(2);
}

#[test]
fn checkpoint_is_a_c2sp_signed_note() {
    let env = TestEnv::new();
    let vkey = env.init();
    env.append(r#"{"text":"a"}"#);
    let note = env.run(&["ledger", "checkpoint"]).ok().stdout;
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], ORIGIN);
    assert_eq!(lines[1], "2");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with(&format!("\u{2014} {ORIGIN} ")), "{note}");
    // The signature verifies with the printed verifier key, by an independent check.
    let vk = echoctl::sign::VerifierKey::parse(&vkey).unwrap();
    let cp = echoctl::ledger::checkpoint::Checkpoint::parse(&note).unwrap();
    assert_eq!(cp.valid_signers(&[vk]).unwrap().len(), 1);
    let j = env.run(&["--json", "ledger", "checkpoint"]).ok().json();
    assert_eq!(j["size"], 2);
    assert_eq!(j["note"], note.as_str());
}

#[test]
fn batch_appends_in_one_transaction() {
    let env = TestEnv::new();
    env.init();
    let batch: String = (0..120)
        .map(|i| format!("{{\"kind\":\"test\",\"content\":{{\"i\":{i}}}}}\n"))
        .collect();
    std::fs::write(env.path("b.jsonl"), &batch).unwrap();
    let r = env
        .run(&[
            "--json", "ledger", "append", "--batch", "b.jsonl", "--source", "ci",
        ])
        .ok();
    let v = r.json();
    assert_eq!(v["entries"].as_array().unwrap().len(), 120);
    assert_eq!(v["checkpoint"]["size"], 121);
    let human = env
        .run_stdin(&["ledger", "append", "--batch", "-", "--source", "ci"], &batch)
        .ok();
    assert!(
        human.stdout.contains("appended 120 entries (seq 121..240)"),
        "{}",
        human.stdout
    );
    // A bad line anywhere aborts the whole batch: nothing is written.
    let bad = format!("{batch}{{\"kind\":\"test\",\"content\":[1]}}\n");
    let r = env
        .run_stdin(&["ledger", "append", "--batch", "-", "--source", "ci"], &bad)
        .code(2);
    assert!(r.stderr.contains("batch line 121"), "{}", r.stderr);
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(v["entries"], 241);
    assert_eq!(v["checkpoints"], 3, "one checkpoint per command");
}

#[test]
fn refs_must_name_earlier_entries() {
    let env = TestEnv::new();
    env.init();
    let a = env.append(r#"{"text":"a"}"#)["id"].as_str().unwrap().to_owned();
    let r = env
        .run(&[
            "--json",
            "ledger",
            "append",
            "--kind",
            "outcome",
            "--source",
            "s",
            "--content",
            "{}",
            "--ref",
            &a,
        ])
        .ok();
    let id = r.json()["entries"][0]["id"].as_str().unwrap().to_owned();
    let shown = env.run(&["--json", "ledger", "show", &id]).ok().json();
    assert_eq!(shown["entry"]["refs"], serde_json::json!([a]));
    let r = env
        .run(&[
            "ledger",
            "append",
            "--kind",
            "outcome",
            "--source",
            "s",
            "--content",
            "{}",
            "--ref",
            "01KZZZZZZZZZZZZZZZZZZZZZZZ",
        ])
        .code(2);
    assert!(r.stderr.contains("not found"), "{}", r.stderr);
}

#[test]
fn content_from_stdin_and_file() {
    let env = TestEnv::new();
    env.init();
    env.run_stdin(
        &[
            "ledger",
            "append",
            "--kind",
            "test",
            "--source",
            "s",
            "--content",
            "-",
        ],
        r#"{"from":"stdin"}"#,
    )
    .ok();
    std::fs::write(env.path("c.json"), r#"{"from":"file"}"#).unwrap();
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "s",
        "--content-file",
        "c.json",
    ])
    .ok();
    let log = env
        .run(&["--json", "ledger", "log", "--kind", "test"])
        .ok()
        .json_lines();
    let froms: Vec<&Value> = log.iter().map(|e| &e["content"]["from"]).collect();
    assert_eq!(froms, vec!["stdin", "file"]);
}

#[test]
fn pinned_time_and_seed_replay_byte_for_byte() {
    let run = || {
        let env = TestEnv::new();
        env.init();
        env.append(r#"{"text":"a"}"#);
        env.run(&["ledger", "checkpoint"]).ok().stdout
    };
    assert_eq!(run(), run());
}

#[test]
fn key_generate_and_show() {
    let env = TestEnv::new();
    let r = env
        .run(&[
            "--json",
            "key",
            "generate",
            "--name",
            "witness.example",
            "--out",
            "w.key",
        ])
        .ok();
    let v = r.json();
    assert!(v["verifier_key"]
        .as_str()
        .unwrap()
        .starts_with("witness.example+"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("w.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let shown = env.run(&["key", "show", "--key", "w.key"]).ok();
    assert_eq!(shown.stdout.trim(), v["verifier_key"].as_str().unwrap());
    // Never overwritten.
    env.run(&["key", "generate", "--name", "x", "--out", "w.key"])
        .code(2);
    // The default key of a ledger.
    let vkey = env.init();
    assert_eq!(env.run(&["key", "show"]).ok().stdout.trim(), vkey);
}

#[test]
fn init_with_an_existing_key_and_refusals() {
    let env = TestEnv::new();
    env.run(&["key", "generate", "--name", ORIGIN, "--out", "k.key"])
        .ok();
    let init = env.run(&["--json", "init", "--key", "k.key"]).ok().json();
    assert_eq!(init["origin"], ORIGIN);
    assert_eq!(init["checkpoint"]["size"], 1);
    let r = env.run(&["init", "--key", "k.key"]).code(2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    let r = env
        .run(&[
            "--db",
            "other.db",
            "init",
            "--key",
            "k.key",
            "--origin",
            "another.example",
        ])
        .code(2);
    assert!(r.stderr.contains("origin"), "{}", r.stderr);
    assert!(
        !env.path("other.db").exists(),
        "nothing written on a refused init"
    );
    // Appending needs the key: ECHOCTL_KEY works.
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "s",
        "--content",
        "{}",
    ])
    .code(3);
    let r: crate::harness::Run = env
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
        .env("ECHOCTL_KEY", env.path("k.key"))
        .output()
        .unwrap()
        .into();
    assert_eq!(r.code, 0, "{}", r.stderr);
}
