//! Signers: keys inside a YubiHSM2 over the real connector protocol (MockHsm behind
//! yubihsm's HTTP server, in its own process), several signatures on one checkpoint, and
//! the key history (add, rotate, revoke) that `ledger verify` follows.

use crate::harness::{forge_after_last, sqlite, MockHsm, TestEnv, ORIGIN};
use crate::tamper::attack;
use echoctl::ledger::checkpoint::Checkpoint;
use echoctl::ledger::merkle::Frontier;
use echoctl::sign::file::KeyFile;
use echoctl::sign::Signer;
use serde_json::Value;

fn count_entries(env: &TestEnv) -> u64 {
    sqlite(&env.db())
        .query_row("SELECT COUNT(*) FROM entries", [], |r| r.get(0))
        .unwrap()
}

fn newest_note(env: &TestEnv) -> String {
    sqlite(&env.db())
        .query_row(
            "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// An HSM key named after the test origin, generated inside the MockHsm; its verifier key.
fn hsm_key(env: &TestEnv, hsm: &MockHsm, id: &str) -> String {
    let r = env
        .run_env(
            &[
                "--json", "key", "generate", "--name", ORIGIN, "--hsm", &hsm.url, "--key-id", id,
            ],
            &hsm.vars(),
        )
        .ok();
    let v = r.json();
    assert_eq!(v["hsm_key_id"], id.parse::<u64>().unwrap(), "{v}");
    v["verifier_key"].as_str().unwrap().to_owned()
}

#[test]
fn a_ledger_signed_inside_the_hsm_verifies_with_its_public_key() {
    let hsm = MockHsm::start();
    let env = TestEnv::new();
    let vkey = hsm_key(&env, &hsm, "7");
    // key show reads the same public key back from the HSM.
    let shown = env.run_env(&["key", "show", "--key", "hsm:7"], &hsm.vars()).ok();
    assert_eq!(shown.stdout.trim(), vkey);
    let init = env
        .run_env(&["--json", "init", "--key", "hsm:7"], &hsm.vars())
        .ok()
        .json();
    assert_eq!(init["verifier_key"], vkey.as_str());
    assert_eq!(init["origin"], ORIGIN);
    for i in 0..3 {
        env.run_env(
            &[
                "ledger",
                "append",
                "--kind",
                "observation",
                "--source",
                "t",
                "--content",
                &format!(r#"{{"n":{i}}}"#),
                "--key",
                "hsm:7",
            ],
            &hsm.vars(),
        )
        .ok();
    }
    let (code, v) = env.verify_json(&["--trust-key", &vkey]);
    assert_eq!((code, v["valid"].clone()), (0, Value::Bool(true)), "{v}");
    assert_eq!(v["entries"], 4);
    // The signature is an ordinary C2SP note signature by that key.
    let note = newest_note(&env);
    let cp = Checkpoint::parse(&note).unwrap();
    let vk = echoctl::sign::VerifierKey::parse(&vkey).unwrap();
    assert_eq!(
        cp.valid_signers(std::slice::from_ref(&vk)).unwrap().len(),
        1,
        "{note}"
    );
    // A key file of the same name is not the HSM key: verify with it fails.
    let other = env
        .run(&["key", "generate", "--name", ORIGIN, "--out", "other.key"])
        .ok();
    let (code, _) = env.verify_json(&["--trust-key", other.stdout.trim()]);
    assert_eq!(code, 1);
}

#[test]
fn hsm_failures_are_clear_exit_3_and_write_nothing() {
    let mut hsm = MockHsm::start();
    let env = TestEnv::new();
    hsm_key(&env, &hsm, "3");
    env.run_env(&["init", "--key", "hsm:3"], &hsm.vars()).ok();
    let append = [
        "ledger",
        "append",
        "--kind",
        "observation",
        "--source",
        "t",
        "--content",
        r#"{"a":1}"#,
        "--key",
        "hsm:3",
    ];
    env.run_env(&append, &hsm.vars()).ok();
    let before = count_entries(&env);

    // Wrong password.
    let mut vars = hsm.vars();
    vars[2] = ("ECHOCTL_HSM_PASSWORD", "not-the-password");
    let r = env.run_env(&append, &vars).code(3);
    assert!(r.stderr.contains("refused authentication key 1"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    // No password and no terminal to ask on.
    let r = env.run_env(&append, &[("ECHOCTL_HSM", hsm.url.as_str())]).code(3);
    assert!(r.stderr.contains("ECHOCTL_HSM_PASSWORD"), "{}", r.stderr);
    // A key id the HSM does not hold.
    let mut missing = append.to_vec();
    *missing.last_mut().unwrap() = "hsm:99";
    let r = env.run_env(&missing, &hsm.vars()).code(3);
    assert!(r.stderr.contains("no such key"), "{}", r.stderr);
    // hsm:ID without --hsm, and a malformed id, are usage errors.
    env.run(&append).code(2);
    *missing.last_mut().unwrap() = "hsm:zero";
    env.run_env(&missing, &hsm.vars()).code(2);
    // The connector goes away.
    hsm.stop();
    let r = env.run_env(&append, &hsm.vars()).code(3);
    assert!(r.stderr.contains("cannot reach the YubiHSM"), "{}", r.stderr);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);

    assert_eq!(
        count_entries(&env),
        before,
        "a failed HSM write must write nothing"
    );
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn a_key_file_and_an_hsm_key_sign_one_checkpoint() {
    let hsm = MockHsm::start();
    let env = TestEnv::new();
    let file_vkey = env.init();
    let hsm_vkey = hsm_key(&env, &hsm, "5");
    let key_file = env
        .path("config/echoctl/keys")
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let key_file = key_file.to_str().unwrap();
    // Add the HSM key (signed by the file key), then sign with both.
    env.run(&["key", "add", &hsm_vkey, "--reason", "migrating to the HSM"])
        .ok();
    env.run_env(
        &[
            "ledger",
            "append",
            "--kind",
            "decision",
            "--source",
            "t",
            "--content",
            r#"{"text":"both"}"#,
            "--key",
            key_file,
            "--key",
            "hsm:5",
        ],
        &hsm.vars(),
    )
    .ok();
    let cp = Checkpoint::parse(&newest_note(&env)).unwrap();
    assert_eq!(cp.signatures.len(), 2);
    // Either key alone is enough for a verifier who trusts it.
    for k in [&file_vkey, &hsm_vkey] {
        let (code, v) = env.verify_json(&["--trust-key", k]);
        assert_eq!(code, 0, "{k}: {v}");
    }
    // A signature by a key nobody knows is ignored, as C2SP signed notes require.
    let stranger = KeyFile::from_seed("someone.else/log", [9; 32]).unwrap();
    let mut cp2 = cp.clone();
    cp2.sign(&stranger).unwrap();
    attack(&env, "");
    sqlite(&env.db())
        .execute(
            "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
            rusqlite::params![cp2.to_note(), cp.size],
        )
        .unwrap();
    let (code, v) = env.verify_json(&["--trust-key", &file_vkey]);
    assert_eq!(code, 0, "{v}");
    // The same key twice is refused.
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "t",
        "--content",
        "{}",
        "--key",
        key_file,
        "--key",
        key_file,
    ])
    .code(2);
}

/// A ledger whose genesis key K1 (a file) was rotated to K2 (another file) at some seq;
/// returns the env, both verifier keys, both key files, and the rotation's seq.
fn rotated() -> (TestEnv, String, String, String, u64) {
    let env = TestEnv::new();
    let k1 = env.init();
    env.append(r#"{"text":"before the rotation"}"#);
    let k2 = env
        .run(&["key", "generate", "--name", ORIGIN, "--out", "k2.key"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let rot = env
        .run(&["--json", "key", "rotate", &k2, "--reason", "yearly rotation"])
        .ok()
        .json();
    let seq = rot["entries"][0]["seq"].as_u64().unwrap();
    let k2_file = env.path("k2.key").to_str().unwrap().to_owned();
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "observation",
        "--source",
        "t",
        "--content",
        r#"{"text":"after"}"#,
        "--key",
        &k2_file,
    ])
    .ok();
    (env, k1, k2, k2_file, seq)
}

#[test]
fn history_signed_before_a_rotation_stays_valid() {
    let (env, k1, k2, k2_file, seq) = rotated();
    for anchors in [vec![], vec!["--trust-key", &k1], vec!["--trust-key", &k2]] {
        let (code, v) = env.verify_json(&anchors);
        assert_eq!(code, 0, "{anchors:?}: {v}");
    }
    // Incremental verification from a checkpoint before the rotation follows it too.
    let cp = env.run(&["ledger", "checkpoint", "--size", "2"]).ok();
    std::fs::write(env.path("cp2.txt"), &cp.stdout).unwrap();
    for k in [&k1, &k2] {
        let (code, v) = env.verify_json(&["--since", "cp2.txt", "--trust-key", k]);
        assert_eq!(code, 0, "{v}");
        let (code, v) = env.verify_json(&["--trust-checkpoint", "cp2.txt", "--trust-key", k]);
        assert_eq!(code, 0, "{v}");
    }
    // key list shows the history.
    let list = env.run(&["--json", "key", "list"]).ok().json();
    let keys = list["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["status"], "revoked");
    assert_eq!(keys[0]["revoked_seq"], seq);
    assert_eq!(keys[1]["status"], "active");
    assert_eq!(keys[1]["added_seq"], seq);
    assert_eq!(list["events"][0]["action"], "rotate");
    assert_eq!(list["events"][0]["reason"], "yearly rotation");
    let human = env.run(&["key", "list"]).ok().stdout;
    assert!(human.contains("revoked") && human.contains("rotate"), "{human}");
    // The old key may no longer write; the new one may.
    let r = env.append_kind("observation", r#"{"text":"old key"}"#).code(2);
    assert!(r.stderr.contains("revoked"), "{}", r.stderr);
    env.run(&[
        "ledger",
        "append",
        "--kind",
        "test",
        "--source",
        "t",
        "--content",
        "{}",
        "--key",
        &k2_file,
    ])
    .ok();
    // Rules: the last key cannot be revoked; a revoked key cannot come back.
    env.run(&["key", "revoke", &k2, "--reason", "oops", "--key", &k2_file])
        .code(2);
    env.run(&["key", "add", &k1, "--reason", "back", "--key", &k2_file])
        .code(2);
    // The Reader Edition accepts the newest checkpoint, signed by the new key only.
    let md = env.run(&["ledger", "reader"]).ok().stdout;
    assert!(md.contains("signature verified"), "{md}");
}

/// Appends a checkpoint over every entry, signed by `keys`, storing the tree nodes the
/// new entries complete: what an attacker holding those keys could write.
fn seal(env: &TestEnv, keys: &[&KeyFile]) {
    attack(env, "");
    let conn = sqlite(&env.db());
    let leaves: Vec<Vec<u8>> = conn
        .prepare("SELECT leaf FROM entries ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut f = Frontier::new();
    for l in &leaves {
        f.push(l.as_slice().try_into().unwrap(), |level, idx, h| {
            conn.execute(
                "INSERT OR IGNORE INTO tree_nodes (level, idx, hash) VALUES (?1, ?2, ?3)",
                rusqlite::params![level, idx, &h[..]],
            )
            .unwrap();
        });
    }
    let mut cp = Checkpoint::new(ORIGIN, leaves.len() as u64, f.root());
    for k in keys {
        cp.sign(*k).unwrap();
    }
    conn.execute(
        "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
        rusqlite::params![cp.size, cp.to_note()],
    )
    .unwrap();
}

/// The key file `init` generated.
fn default_key(env: &TestEnv) -> KeyFile {
    let p = env
        .path("config/echoctl/keys")
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    KeyFile::load(&p).unwrap()
}

#[track_caller]
fn fails_at(env: &TestEnv, anchors: &[&str], seq: u64, why: &str) {
    let (code, v) = env.verify_json(anchors);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["failure"]["seq"], seq, "{v}");
    let reason = v["failure"]["reason"].as_str().unwrap();
    assert!(reason.contains(why), "{reason}");
}

#[test]
fn an_entry_signed_by_a_revoked_key_after_its_revocation_fails_verify() {
    let (env, k1, _, k2_file, _) = rotated();
    let old = default_key(&env);
    let new = KeyFile::load(std::path::Path::new(&k2_file)).unwrap();
    // The attacker still holds the old key and writes with it as if nothing happened.
    let forged = forge_after_last(&env, |e| e.signer = old.verifier().identity());
    seal(&env, &[&old, &new]);
    fails_at(&env, &[], forged, "revoked");
    fails_at(&env, &["--trust-key", &k1], forged, "revoked");
}

#[test]
fn a_checkpoint_signature_by_a_revoked_key_fails_verify() {
    let (env, _, _, k2_file, _) = rotated();
    let old = default_key(&env);
    let new = KeyFile::load(std::path::Path::new(&k2_file)).unwrap();
    // The entry names the new key, but the revoked key also signs the checkpoint.
    let forged = forge_after_last(&env, |e| {
        e.content.insert("text".into(), "forged".into());
    });
    seal(&env, &[&new, &old]);
    fails_at(&env, &[], forged, "revoked at seq");
}

#[test]
fn a_forged_rotation_fails_verify() {
    let env = TestEnv::new();
    let k1 = env.init();
    env.append(r#"{"text":"x"}"#);
    let genuine = default_key(&env);
    let evil = KeyFile::from_seed(ORIGIN, [66; 32]).unwrap();
    // 1. A rotation signed by a key the ledger never had.
    let copy = TestEnv::new();
    std::fs::create_dir_all(copy.path("config")).unwrap();
    std::fs::copy(env.db(), copy.db()).unwrap();
    let forged = forge_after_last(&copy, |e| {
        e.kind = "key".into();
        e.signer = evil.verifier().identity();
        e.content = rotate_content(&evil.verifier().to_string(), &k1);
    });
    seal(&copy, &[&evil]);
    fails_at(&copy, &[], forged, "not a key of this ledger");
    // 2. A rotation that names the genuine key as signer, but the attacker cannot make
    // that key sign the checkpoint over it.
    let forged = forge_after_last(&env, |e| {
        e.kind = "key".into();
        e.signer = genuine.verifier().identity();
        e.content = rotate_content(&evil.verifier().to_string(), &k1);
    });
    seal(&env, &[&evil]);
    let (code, v) = env.verify_json(&["--trust-key", &k1]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["failure"]["seq"], forged, "{v}");
}

fn rotate_content(new: &str, old: &str) -> serde_json::Map<String, Value> {
    let v = serde_json::json!({"action": "rotate", "key": new, "replaces": old, "reason": "takeover"});
    v.as_object().unwrap().clone()
}

#[test]
fn key_entries_are_strict_and_cannot_be_amended() {
    let (env, k1, _, k2_file, seq) = rotated();
    // Not through ledger append: key is a system kind.
    env.append_kind("key", r#"{"action":"add"}"#).code(2);
    // Not amendable.
    let id = env
        .run(&["--json", "ledger", "show", &seq.to_string()])
        .ok()
        .json();
    let id = id["id"]
        .as_str()
        .or(id["entry"]["id"].as_str())
        .unwrap()
        .to_owned();
    let r = env
        .run(&[
            "ledger",
            "amend",
            &id,
            "--type",
            "withdrawal",
            "--reason",
            "no",
            "--key",
            &k2_file,
        ])
        .code(2);
    assert!(r.stderr.contains("key entry"), "{}", r.stderr);
    // Revoking an unknown key, or a witness key, is refused.
    env.run(&[
        "key",
        "revoke",
        "nobody+00000000",
        "--reason",
        "x",
        "--key",
        &k2_file,
    ])
    .code(2);
    let w = env
        .run(&["key", "show", "--witness", "--key", &k2_file])
        .ok()
        .stdout;
    env.run(&["key", "add", w.trim(), "--reason", "x", "--key", &k2_file])
        .code(2);
    // Revoking by identity works (the old key is already revoked: refused; k1 names it).
    let r = env
        .run(&["key", "revoke", &k1, "--reason", "again", "--key", &k2_file])
        .code(2);
    assert!(r.stderr.contains("not an active key"), "{}", r.stderr);
}

#[test]
fn the_python_auditor_follows_the_key_history_too() {
    let (env, k1, k2, k2_file, _) = rotated();
    let Some((code, out)) = crate::audit::audit(&env, &["--trust-key", &k1]) else {
        eprintln!("skipped: python3 is not available");
        return;
    };
    assert_eq!(code, 0, "{out}");
    let (code, out) = crate::audit::audit(&env, &["--trust-key", &k2]).unwrap();
    assert_eq!(code, 0, "{out}");
    // The revoked key writes after its revocation: both verifiers refuse, at the same seq.
    let old = default_key(&env);
    let new = KeyFile::load(std::path::Path::new(&k2_file)).unwrap();
    let forged = forge_after_last(&env, |e| e.signer = old.verifier().identity());
    seal(&env, &[&old, &new]);
    let (code, out) = crate::audit::audit(&env, &[]).unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with(&format!("INVALID at seq {forged}")), "{out}");
    fails_at(&env, &[], forged, "revoked");
}

#[test]
fn a_schema_v2_ledger_gains_the_key_index_on_its_first_write() {
    let env = TestEnv::new();
    env.init();
    let conn = sqlite(&env.db());
    conn.execute_batch("DROP INDEX entries_keys").unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    drop(conn);
    env.append(r#"{"text":"after the upgrade"}"#);
    let conn = sqlite(&env.db());
    let version: i32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4, "migrated to the current schema");
    // The writer's key-history query reads the partial index, not every entry.
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT seq, body FROM entries WHERE kind = 'key' ORDER BY seq",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("entries_keys"), "{plan}");
    drop(conn);
    let (code, v) = env.verify_json(&[]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn an_imported_key_signs_from_inside_the_hsm() {
    let hsm = MockHsm::start();
    let env = TestEnv::new();
    let vkey = env.init();
    let file = env
        .path("config/echoctl/keys")
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = file.to_str().unwrap();
    let imported = env
        .run_env(
            &["key", "import", file, "--hsm", &hsm.url, "--key-id", "11"],
            &hsm.vars(),
        )
        .ok();
    assert!(
        imported.stderr.contains("never give it back"),
        "{}",
        imported.stderr
    );
    assert_eq!(imported.stdout.trim(), vkey);
    let shown = env
        .run_env(&["--json", "key", "show", "--key", "hsm:11"], &hsm.vars())
        .ok()
        .json();
    assert_eq!(shown["verifier_key"], vkey.as_str());
    // The same key, now signing from the HSM: the ledger does not see a difference.
    env.run_env(
        &[
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content",
            r#"{"from":"hsm"}"#,
            "--key",
            "hsm:11",
        ],
        &hsm.vars(),
    )
    .ok();
    let (code, v) = env.verify_json(&["--trust-key", &vkey]);
    assert_eq!(code, 0, "{v}");
    // Importing or generating onto an id that is taken is refused, before the HSM is asked.
    env.run_env(
        &["key", "import", file, "--hsm", &hsm.url, "--key-id", "11"],
        &hsm.vars(),
    )
    .code(2);
    let r = env
        .run_env(
            &[
                "key", "generate", "--name", ORIGIN, "--hsm", &hsm.url, "--key-id", "11",
            ],
            &hsm.vars(),
        )
        .code(2);
    assert!(
        r.stderr.contains("already holds a key with id 11"),
        "{}",
        r.stderr
    );
    // The HSM still signs with the imported key.
    env.run_env(&["key", "show", "--key", "hsm:11"], &hsm.vars()).ok();
}

#[test]
fn a_rotation_signed_by_a_revoked_key_fails_verify() {
    let (env, _, k2, k2_file, seq) = rotated();
    let old = default_key(&env);
    let new = KeyFile::load(std::path::Path::new(&k2_file)).unwrap();
    let evil = KeyFile::from_seed(ORIGIN, [77; 32]).unwrap();
    // The holder of the revoked key tries to rotate the current key away to their own.
    let forged = forge_after_last(&env, |e| {
        e.kind = "key".into();
        e.signer = old.verifier().identity();
        e.content = rotate_content(&evil.verifier().to_string(), &k2);
    });
    assert!(forged > seq);
    seal(&env, &[&old, &new, &evil]);
    fails_at(&env, &[], forged, "revoked");
}
