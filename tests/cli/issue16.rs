//! The findings of the black-box fuzz campaign (issue 16), one test each: hostile files,
//! damaged databases, numbers out of range, partial output, peers that lie.

use crate::harness::{sqlite, TestEnv};
use sha2::{Digest, Sha256};

pub(crate) fn ledger(n: usize) -> (TestEnv, String) {
    let env = TestEnv::new();
    let vkey = env.init();
    for i in 0..n {
        env.append(&format!(r#"{{"text":"entry {i}","i":{i}}}"#));
    }
    (env, vkey)
}

fn size(env: &TestEnv) -> i64 {
    sqlite(&env.db())
        .query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
        .unwrap()
}

/// A bundle whose lines are `lines` with its `end` line recomputed: it is whole, and only
/// what the lines say can make it fail.
pub(crate) fn resealed(lines: &[String]) -> String {
    let mut text: String = lines
        .iter()
        .filter(|l| !l.starts_with("end "))
        .map(|l| format!("{l}\n"))
        .collect();
    let end = hex(&Sha256::digest(text.as_bytes()));
    text.push_str(&format!("end {end}\n"));
    text
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies and imports `bundle`; both must refuse it with `codes`, and import must
/// leave no ledger behind.
#[track_caller]
pub(crate) fn refused_bundle(env: &TestEnv, vkey: &str, what: &str, bundle: &str, codes: &[i32]) {
    std::fs::write(env.path("bad"), bundle).unwrap();
    let v = env.run(&["ledger", "verify", "--bundle", "bad", "--trust-key", vkey]);
    assert!(
        codes.contains(&v.code),
        "{what}: verify exit {} ({})",
        v.code,
        v.stderr
    );
    let db = env.path("imported.db");
    let i = env.run(&[
        "--db",
        db.to_str().unwrap(),
        "ledger",
        "import",
        "bad",
        "--trust-key",
        vkey,
    ]);
    assert!(
        codes.contains(&i.code),
        "{what}: import exit {} ({})",
        i.code,
        i.stderr
    );
    assert!(!db.exists(), "{what}: nothing imported");
    if i.code >= 2 {
        assert!(i.stderr.contains("hint:"), "{what}: {}", i.stderr);
    }
}

pub(crate) fn exported(env: &TestEnv) -> Vec<String> {
    env.run(&["ledger", "export", "--out", "good"]).ok();
    std::fs::read_to_string(env.path("good"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn issue_16_bundle_header_is_checked_byte_for_byte() {
    let (env, vkey) = ledger(3);
    let lines = exported(&env);
    // The control: resealing an unchanged bundle keeps it valid, and importing it gives
    // the same bytes back.
    let good = resealed(&lines);
    assert_eq!(good, std::fs::read_to_string(env.path("good")).unwrap());
    let header = |i: usize, new: &str| {
        let mut l = lines.clone();
        l[i] = new.to_owned();
        resealed(&l)
    };
    let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
    let (origin, key, entries) = (at("origin "), at("key "), at("entries "));
    let n = &lines[entries]["entries ".len()..];
    let cases: Vec<(&str, String, &[i32])> = vec![
        (
            "another origin",
            header(origin, "origin evil.example/other"),
            &[1, 2],
        ),
        (
            "an origin with ANSI escapes",
            header(origin, &format!("{}\x1b[31m", lines[origin])),
            &[1, 2],
        ),
        (
            "an origin with a trailing CR",
            header(origin, &format!("{}\r", lines[origin])),
            &[1, 2],
        ),
        ("entries +N", header(entries, &format!("entries +{n}")), &[2]),
        ("entries 0N", header(entries, &format!("entries 0{n}")), &[2]),
        (
            "a key with a trailing space",
            header(key, &format!("{} ", lines[key])),
            &[1, 2],
        ),
        (
            "a checkpoint count with a sign",
            {
                let c = at("checkpoints ");
                header(c, &lines[c].replace("checkpoints ", "checkpoints +"))
            },
            &[2],
        ),
    ];
    for (what, bundle, codes) in cases {
        refused_bundle(&env, &vkey, what, &bundle, codes);
    }
}

#[test]
fn issue_16_each_checkpoint_sits_right_after_its_last_entry() {
    let (env, vkey) = ledger(4);
    let lines = exported(&env);
    let first_c = lines.iter().position(|l| l.starts_with("C ")).unwrap();
    // One entry later.
    let mut later = lines.clone();
    later.swap(first_c, first_c + 1);
    assert!(later[first_c].starts_with("E "), "a C line followed by an E line");
    refused_bundle(
        &env,
        &vkey,
        "a checkpoint moved one entry later",
        &resealed(&later),
        &[1],
    );
    // Every checkpoint after the last entry.
    let (cs, rest): (Vec<String>, Vec<String>) = lines.iter().cloned().partition(|l| l.starts_with("C "));
    let end = rest.len() - 1;
    let mut all_last = rest[..end].to_vec();
    all_last.extend(cs);
    all_last.push(rest[end].clone());
    refused_bundle(
        &env,
        &vkey,
        "all checkpoints at the end",
        &resealed(&all_last),
        &[1],
    );
}

#[test]
fn issue_16_integers_beyond_2_53_are_refused_everywhere() {
    let (env, _) = ledger(1);
    let target = env.append(r#"{"text":"to amend"}"#)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = size(&env);
    for n in [
        "9007199254740992",
        "18446744073709551616",
        "-9223372036854775809",
        "12345678901234567890123",
    ] {
        let content = format!(r#"{{"n":{n}}}"#);
        let r = env.append_kind("observation", &content).code(2);
        assert!(
            r.stderr.contains("2^53") && r.stderr.contains("hint:"),
            "{n}: {}",
            r.stderr
        );
        std::fs::write(
            env.path("batch"),
            format!(r#"{{"kind":"observation","source":"t","content":{content}}}"#),
        )
        .unwrap();
        let r = env.run(&["ledger", "append", "--batch", "batch"]).code(2);
        assert!(r.stderr.contains("hint:"), "{n} in a batch: {}", r.stderr);
        let r = env
            .run(&[
                "ledger",
                "amend",
                &target,
                "--type",
                "correction",
                "--reason",
                "r",
                "--content",
                &content,
            ])
            .code(2);
        assert!(r.stderr.contains("hint:"), "{n} in an amendment: {}", r.stderr);
        // Deep inside, too.
        let deep = format!(r#"{{"a":[{{"b":[1,{n}]}}]}}"#);
        env.append_kind("observation", &deep).code(2);
    }
    assert_eq!(size(&env), before, "nothing was stored");
    // The largest exact integers are fine, and stored as written.
    let e = env.append(r#"{"max":9007199254740991,"min":-9007199254740991}"#);
    let shown = env
        .run(&["--json", "ledger", "show", e["id"].as_str().unwrap()])
        .ok()
        .json();
    assert_eq!(shown["entry"]["content"]["max"], 9007199254740991_u64);
}

#[test]
fn issue_16_a_bad_signature_beside_a_good_one_rejects_the_note() {
    let (env, vkey) = ledger(3);
    let receipt = env.run(&["ledger", "proof", "1"]).ok().stdout;
    let note = env.run(&["ledger", "checkpoint"]).ok().stdout;
    let line = note
        .lines()
        .find(|l| l.starts_with('\u{2014}'))
        .unwrap()
        .to_owned();
    // The same key's line again, its last signature byte changed.
    let (head, sig) = line.rsplit_once(' ').unwrap();
    let mut raw = base64_decode(sig);
    *raw.last_mut().unwrap() ^= 1;
    let bad_line = format!("{head} {}", base64_encode(&raw));
    let doubled = format!("{note}{bad_line}\n");
    let auditor = TestEnv::new();
    let write = |name: &str, text: &str| std::fs::write(auditor.path(name), text).unwrap();
    // Receipts.
    write("good.proof", &receipt);
    auditor
        .run(&["ledger", "proof", "verify", "good.proof", "--trust-key", &vkey])
        .ok();
    write(
        "bad.proof",
        &receipt.replacen(&format!("{line}\n"), &format!("{line}\n{bad_line}\n"), 1),
    );
    let r = auditor
        .run(&[
            "--json",
            "ledger",
            "proof",
            "verify",
            "bad.proof",
            "--trust-key",
            &vkey,
        ])
        .code(1);
    assert!(
        r.stdout.is_empty() && r.stderr.contains("does not verify"),
        "{}",
        r.stderr
    );
    // Consistency proofs.
    env.append(r#"{"text":"later"}"#);
    std::fs::write(env.path("old.cp"), &note).unwrap();
    let proof = env
        .run(&["ledger", "consistency", "--from", "old.cp"])
        .ok()
        .stdout;
    write("good.cproof", &proof);
    auditor
        .run(&[
            "ledger",
            "consistency",
            "--verify",
            "good.cproof",
            "--trust-key",
            &vkey,
        ])
        .ok();
    let escaped = |s: &str| serde_json::to_string(s).unwrap();
    let bad_proof = proof.replacen(
        &escaped(&note)[1..escaped(&note).len() - 1],
        &escaped(&doubled)[1..escaped(&doubled).len() - 1],
        1,
    );
    assert_ne!(bad_proof, proof);
    write("bad.cproof", &bad_proof);
    auditor
        .run(&[
            "ledger",
            "consistency",
            "--verify",
            "bad.cproof",
            "--trust-key",
            &vkey,
        ])
        .code(1);
    // verify --since and --trust-checkpoint.
    std::fs::write(env.path("good.cp"), &note).unwrap();
    env.run(&["ledger", "verify", "--since", "good.cp", "--trust-key", &vkey])
        .ok();
    std::fs::write(env.path("bad.cp"), &doubled).unwrap();
    env.run(&["ledger", "verify", "--since", "bad.cp", "--trust-key", &vkey])
        .code(1);
    env.run(&["ledger", "verify", "--trust-checkpoint", "bad.cp"])
        .code(1);
    // And the consistency proof a ledger hands out from it.
    env.run(&["ledger", "consistency", "--from", "bad.cp"]).code(1);
}

#[test]
fn issue_16_consistency_from_needs_a_signature_of_this_ledger() {
    let (env, _) = ledger(3);
    let note = env.run(&["ledger", "checkpoint"]).ok().stdout;
    env.append(r#"{"text":"later"}"#);
    let body: String = note.split("\n\n").next().unwrap().to_owned() + "\n\n";
    let other = TestEnv {
        seed: "other".into(),
        ..TestEnv::new()
    };
    other.init();
    let foreign_line = other
        .run(&["ledger", "checkpoint"])
        .ok()
        .stdout
        .lines()
        .find(|l| l.starts_with('\u{2014}'))
        .unwrap()
        .to_owned();
    for (what, text) in [
        ("no signature", body.clone()),
        ("another ledger's key", format!("{body}{foreign_line}\n")),
    ] {
        std::fs::write(env.path("from.cp"), &text).unwrap();
        let r = env.run(&["ledger", "consistency", "--from", "from.cp"]);
        assert!(r.code == 1 || r.code == 2, "{what}: exit {} {}", r.code, r.stderr);
        assert!(r.stdout.is_empty(), "{what}: no proof is printed");
    }
    std::fs::write(env.path("from.cp"), &note).unwrap();
    env.run(&["ledger", "consistency", "--from", "from.cp"]).ok();
}

#[test]
fn issue_16_cosignatures_are_verified_before_they_are_stored() {
    let (env, _) = ledger(2);
    env.run(&["key", "generate", "--name", "witness.example/w", "--out", "w.key"])
        .ok();
    env.run(&["key", "generate", "--name", "witness.example/x", "--out", "x.key"])
        .ok();
    let wkey = |f: &str| {
        env.run(&["key", "show", "--witness", "--key", f])
            .ok()
            .stdout
            .trim()
            .to_owned()
    };
    let (w, x) = (wkey("w.key"), wkey("x.key"));
    let old_size = env.run(&["--json", "ledger", "checkpoint"]).ok().json()["size"].clone();
    std::fs::write(env.path("cp"), env.run(&["ledger", "checkpoint"]).ok().stdout).unwrap();
    let line = env
        .run(&[
            "ledger", "witness", "cosign", "cp", "--key", "w.key", "--state", "s.json",
        ])
        .ok()
        .stdout;
    std::fs::write(env.path("c"), &line).unwrap();
    env.append(r#"{"text":"later"}"#);
    let stored = || {
        sqlite(&env.db())
            .query_row("SELECT count(*) FROM cosignatures", [], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    // For another size (the newest), by a key not given, with no key at all.
    env.run(&[
        "ledger",
        "checkpoint",
        "--add-cosignature",
        "c",
        "--witness-key",
        &w,
    ])
    .code(1);
    let old = old_size.to_string();
    env.run(&[
        "ledger",
        "checkpoint",
        "--size",
        &old,
        "--add-cosignature",
        "c",
        "--witness-key",
        &x,
    ])
    .code(1);
    env.run(&["ledger", "checkpoint", "--size", &old, "--add-cosignature", "c"])
        .code(2);
    // A log key is not a witness key.
    let vkey = env.run(&["key", "show"]).ok().stdout.trim().to_owned();
    env.run(&[
        "ledger",
        "checkpoint",
        "--size",
        &old,
        "--add-cosignature",
        "c",
        "--witness-key",
        &vkey,
    ])
    .code(2);
    assert_eq!(stored(), 0);
    // A good line beside a bad one: all or nothing.
    let (head, sig) = line.trim_end().rsplit_once(' ').unwrap();
    let mut raw = base64_decode(sig);
    *raw.last_mut().unwrap() ^= 1;
    std::fs::write(env.path("two"), format!("{line}{head} {}\n", base64_encode(&raw))).unwrap();
    env.run(&[
        "ledger",
        "checkpoint",
        "--size",
        &old,
        "--add-cosignature",
        "two",
        "--witness-key",
        &w,
    ])
    .code(1);
    assert_eq!(stored(), 0);
    let r = env
        .run(&[
            "--json",
            "ledger",
            "checkpoint",
            "--size",
            &old,
            "--add-cosignature",
            "c",
            "--witness-key",
            &w,
        ])
        .ok();
    assert_eq!(r.json()["added"], 1);
    assert_eq!(stored(), 1);
}

#[test]
fn issue_16_append_refuses_a_ledger_whose_tip_is_not_whole() {
    // An entry forged behind echoctl's back, with no checkpoint: `verify` rejects the
    // ledger, and append must not sign onto it.
    let (env, _) = ledger(2);
    crate::harness::forge_after_last(&env, |e| e.source = "forged".into());
    let before = std::fs::read(env.db()).unwrap();
    let r = env.append_kind("observation", r#"{"text":"honest"}"#).code(3);
    assert!(
        r.stderr.contains("damaged") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    assert_eq!(std::fs::read(env.db()).unwrap(), before, "nothing was written");
    // A checkpoint note changed behind its back: the same.
    let (env, _) = ledger(2);
    let conn = sqlite(&env.db());
    crate::harness::unguard(&conn, "checkpoints");
    conn.execute(
        "UPDATE checkpoints SET note = replace(note, '\n3\n', '\n4\n') WHERE size = 3",
        [],
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(env.db()).unwrap();
    env.append_kind("observation", r#"{"text":"honest"}"#).code(3);
    assert_eq!(std::fs::read(env.db()).unwrap(), before, "nothing was written");
}

#[test]
fn issue_16_a_refused_write_on_a_damaged_file_writes_nothing() {
    // Every page of a small ledger copied over every other page, then one append. It may
    // succeed (the damage is where append does not look: `verify` finds it), or it may be
    // refused; refused, the file is exactly as it was.
    let (env, _) = ledger(24);
    let pristine = std::fs::read(env.db()).unwrap();
    let pages = pristine.len() / 4096;
    assert!(pages > 8, "a ledger of several pages");
    let (mut refused, mut accepted) = (0, 0);
    for src in 1..pages {
        for dst in 1..pages {
            if src == dst {
                continue;
            }
            let mut damaged = pristine.clone();
            damaged.copy_within(src * 4096..(src + 1) * 4096, dst * 4096);
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(env.path(&format!("echo.db{suffix}")));
            }
            std::fs::write(env.db(), &damaged).unwrap();
            let r = env.append_kind("observation", r#"{"text":"after damage"}"#);
            assert!(!r.stderr.contains("panicked"), "{src}->{dst}: {}", r.stderr);
            if r.code == 0 {
                accepted += 1;
                r.json();
                continue;
            }
            refused += 1;
            assert_eq!(r.code, 3, "{src}->{dst}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{src}->{dst}: {}", r.stdout);
            assert!(r.stderr.contains("hint:"), "{src}->{dst}: {}", r.stderr);
            let after = std::fs::read(env.db()).unwrap();
            let wal = std::fs::metadata(env.path("echo.db-wal")).map_or(0, |m| m.len());
            assert!(
                after == damaged && wal == 0,
                "{src}->{dst}: exit {} but the file changed: {}",
                r.code,
                r.stderr
            );
        }
    }
    assert!(
        refused > 0 && accepted > 0,
        "{refused} refused, {accepted} accepted"
    );
}

pub(crate) fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub(crate) fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Replaces the body of entry `seq` behind echoctl's back (the append-only triggers
/// dropped), as a damaged or tampered file would hold it.
fn damage_body(env: &TestEnv, seq: u64, sql_value: &str) {
    let conn = sqlite(&env.db());
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
    }
    conn.execute(
        &format!("UPDATE entries SET body = {sql_value} WHERE seq = ?1"),
        [seq],
    )
    .unwrap();
}

#[test]
fn issue_16_no_partial_output_that_looks_whole() {
    let (env, _) = ledger(40);
    damage_body(&env, 30, "5");
    // Documents: show and checkpoint print nothing on error.
    for args in [&["ledger", "show", "30"][..], &["--json", "ledger", "show", "30"]] {
        let r = env.run(args).code(3);
        assert!(
            r.stdout.is_empty() && r.stderr.contains("hint:"),
            "{args:?}: {}",
            r.stderr
        );
    }
    // The table of `log` is printed whole or not at all.
    let r = env.run(&["ledger", "log"]).code(3);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // `log --json` streams: every line it printed is a complete entry, in order, and the
    // exit status says the list is cut short.
    let r = env.run(&["--json", "ledger", "log"]).code(3);
    let lines = r.json_lines();
    assert!(r.stdout.ends_with('\n'));
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["seq"], i as u64);
    }
    assert!(lines.len() <= 30);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    // `export --out -` streams too, but a bundle cut short has no end line: verify and
    // import call it truncated.
    let r = env.run(&["ledger", "export", "--out", "-"]).code(3);
    assert!(
        !r.stdout.contains("\nend "),
        "a partial bundle never ends like a whole one"
    );
    assert!(
        r.stderr.contains("hint:") && !r.stderr.contains("stdout"),
        "{}",
        r.stderr
    );
    std::fs::write(env.path("partial"), &r.stdout).unwrap();
    let v = env
        .run(&["--json", "ledger", "verify", "--bundle", "partial"])
        .code(1);
    assert!(
        v.json()["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("truncated"),
        "{}",
        v.stdout
    );
    // To a file, nothing at all.
    env.run(&["ledger", "export", "--out", "b"]).code(3);
    assert!(!env.path("b").exists());
}

#[test]
fn issue_16_a_refused_trade_keeps_no_snapshot() {
    let env = TestEnv::new();
    env.init();
    let snap = crate::wealth::write_bundle(&env, "snap.json", &crate::wealth::bundle(&[]));
    let kept = env.path("echo.db.snapshots");
    let count = || std::fs::read_dir(&kept).map_or(0, |d| d.count());
    crate::wealth::trade(&env, &snap, &["--best", "--size", "1000.01"]).code(1);
    assert_eq!(count(), 0, "over the limit");
    let r = crate::wealth::trade(&env, &snap, &["--best", "--size", "0"]).code(2);
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert_eq!(count(), 0, "size zero");
    // An accepted trade keeps it.
    crate::wealth::trade(&env, &snap, &["--best", "--size", "100"]).ok();
    assert_eq!(count(), 1);
}

#[test]
fn issue_16_sizes_beyond_i64_are_bad_input_with_a_hint() {
    let (env, _) = ledger(2);
    for n in [
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
    ] {
        for args in [
            &["ledger", "reader", "--at", n][..],
            &["ledger", "proof", "1", "--size", n],
            &["ledger", "checkpoint", "--size", n],
            &["ledger", "show", n],
            &["ledger", "proof", n],
        ] {
            let r = env.run(args).code(2);
            assert!(
                r.stderr.contains("hint:") && r.stdout.is_empty(),
                "{args:?}: {}",
                r.stderr
            );
            assert!(
                !r.stderr.contains("out of range integral"),
                "{args:?}: {}",
                r.stderr
            );
        }
    }
    // One past u64 is refused by the argument parser, also with exit 2.
    env.run(&["ledger", "checkpoint", "--size", "18446744073709551616"])
        .code(2);
}

#[test]
fn issue_16_every_refusal_of_bad_input_carries_a_hint() {
    let (env, _) = ledger(3);
    let id = env.append(r#"{"text":"target"}"#)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let snap = crate::wealth::write_bundle(&env, "snap.json", &crate::wealth::bundle(&[]));
    let files: &[(&str, &str)] = &[
        ("garbage", "hello\x07\n\x1b[2J world\n"),
        ("empty", ""),
        ("json.txt", r#"{"a":1}"#),
        ("toml.txt", "cluster = 5\n[[validator]]\nname = 1\n"),
        (
            "half.toml",
            "cluster = \"c\"\nepoch = 1\n[[validator]]\nname = \"a\"\n",
        ),
        ("fees.toml", "[binance]\ntaker = \"lots\"\n"),
        ("fees2.toml", "[nowhere]\ntaker = \"0.1\"\n"),
        ("policy", "log x\nwitness\nquorum\n"),
        (
            "badbatch",
            "{\"kind\":\"observation\",\"content\":{}}\nnot json\n",
        ),
        (
            "badbatch2",
            "{\"kind\":\"observation\",\"source\":\"t\",\"content\":[]}\n",
        ),
        (
            "badbatch3",
            "{\"kind\":\"observation\",\"source\":\"t\",\"content\":{},\"refs\":[\"x\"]}\n",
        ),
        (
            "badbatch4",
            "{\"kind\":\"nope\",\"source\":\"t\",\"content\":{}}\n",
        ),
        ("receipt", "c2sp.org/tlog-proof@v1\nextra AAAA\nindex 1\n\nx\n"),
        (
            "cproof",
            r#"{"format":"echoctl/consistency-proof@v1","old":"x","new":"y","proof":[]}"#,
        ),
        (
            "note",
            "test.example/ledger\n99\nAAAA\n\n\u{2014} test.example/ledger AAAA\n",
        ),
        ("cosig", "\u{2014} witness.example/w AAAA\n"),
        ("snap-bad.json", "{\"format\":\"nope\"}"),
    ];
    for (name, text) in files {
        std::fs::write(env.path(name), text).unwrap();
    }
    std::fs::write(env.path("notsqlite.db"), "SQLite format 2\0garbage").unwrap();
    std::fs::create_dir(env.path("dir.db")).unwrap();
    let w = "witness.example/w+00000000+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let cases: Vec<Vec<&str>> = vec![
        // The command line itself.
        vec!["ledger", "append", "--bogus"],
        vec!["ledger", "append", "--kind"],
        vec!["nonsense"],
        vec!["ledger", "checkpoint", "--size", "-1"],
        // Content and batches.
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content",
            "not json",
        ],
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content",
            "[1]",
        ],
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content",
            "{\"a\":1,\"a\":2}",
        ],
        vec![
            "ledger",
            "append",
            "--kind",
            "bogus",
            "--source",
            "t",
            "--content",
            "{}",
        ],
        vec![
            "ledger",
            "append",
            "--kind",
            "case",
            "--source",
            "t",
            "--content",
            "{}",
        ],
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "",
            "--content",
            "{}",
        ],
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content",
            "{}",
            "--ref",
            "x",
        ],
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content",
            "{}",
            "--ref",
            "01KZZZZZZZZZZZZZZZZZZZZZZZ",
        ],
        vec!["ledger", "append", "--batch", "badbatch"],
        vec!["ledger", "append", "--batch", "badbatch2", "--source", "t"],
        vec!["ledger", "append", "--batch", "badbatch3"],
        vec!["ledger", "append", "--batch", "badbatch4"],
        vec!["ledger", "append", "--batch", "empty"],
        vec!["ledger", "append", "--batch", "missing-file"],
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content-file",
            "garbage",
        ],
        // Amendments.
        vec![
            "ledger",
            "amend",
            "01KZZZZZZZZZZZZZZZZZZZZZZZ",
            "--type",
            "correction",
            "--reason",
            "r",
            "--content",
            "{}",
        ],
        vec!["ledger", "amend", &id, "--type", "correction", "--reason", "r"],
        vec!["ledger", "amend", &id, "--type", "supersession", "--reason", "r"],
        vec![
            "ledger",
            "amend",
            &id,
            "--type",
            "withdrawal",
            "--reason",
            "r",
            "--content",
            "{}",
        ],
        vec!["ledger", "amend", "0", "--type", "withdrawal", "--reason", "r"],
        vec!["ledger", "amend", &id, "--type", "withdrawal", "--reason", ""],
        // Lookups.
        vec!["ledger", "show", "01KZZZZZZZZZZZZZZZZZZZZZZZ"],
        vec!["ledger", "show", "999"],
        vec!["ledger", "show", "not-an-id"],
        vec!["ledger", "proof", "999"],
        vec!["ledger", "checkpoint", "--size", "0"],
        vec!["ledger", "log", "--since", "yesterday"],
        vec!["ledger", "log", "--kind", "bogus"],
        vec!["ledger", "reader", "--at", "99999"],
        // Proof documents.
        vec!["ledger", "proof", "verify", "garbage", "--trust-key", "x"],
        vec!["ledger", "proof", "verify", "receipt", "--trust-key", "x"],
        vec!["ledger", "proof", "verify", "receipt"],
        vec!["ledger", "consistency", "--verify", "cproof", "--trust-key", "x"],
        vec!["ledger", "consistency", "--verify", "garbage"],
        vec!["ledger", "consistency", "--from", "garbage"],
        vec!["ledger", "consistency", "--from", "note"],
        vec!["ledger", "verify", "--trust-key", "nonsense"],
        vec!["ledger", "verify", "--trust-checkpoint", "garbage"],
        vec!["ledger", "verify", "--since", "garbage"],
        vec!["ledger", "verify", "--policy", "policy"],
        vec!["ledger", "verify", "--policy", "missing-file"],
        vec![
            "ledger",
            "verify",
            "--trust-witness",
            "nonsense",
            "--witness-quorum",
            "1",
        ],
        vec!["ledger", "verify", "--bundle", "garbage"],
        vec![
            "ledger",
            "checkpoint",
            "--add-cosignature",
            "garbage",
            "--witness-key",
            w,
        ],
        vec![
            "ledger",
            "checkpoint",
            "--add-cosignature",
            "cosig",
            "--witness-key",
            "nonsense",
        ],
        vec!["ledger", "witness", "cosign", "garbage", "--key", "missing.key"],
        vec!["--db", "new.db", "ledger", "import", "garbage"],
        vec!["--db", "new.db", "ledger", "import", "json.txt"],
        // Keys.
        vec!["key", "show", "--key", "garbage"],
        vec!["key", "show", "--key", "missing.key"],
        vec!["key", "add", "nonsense", "--reason", "r"],
        vec!["key", "revoke", "nobody+00000000", "--reason", "r"],
        vec![
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "t",
            "--content",
            "{}",
            "--key",
            "garbage",
        ],
        // Databases.
        vec!["--db", "missing.db", "ledger", "log"],
        vec!["--db", "notsqlite.db", "ledger", "log"],
        vec!["--db", "garbage", "ledger", "verify"],
        vec!["--db", "dir.db", "ledger", "log"],
        vec!["--db", "echo.db", "init"],
        // BFT files and peers.
        vec!["bft", "status", "--validators", "garbage"],
        vec!["bft", "status", "--validators", "toml.txt"],
        vec!["bft", "status", "--validators", "half.toml"],
        vec!["bft", "status", "--validators", "missing.toml"],
        vec![
            "bft",
            "propose",
            "--subject",
            "s",
            "--validators",
            "toml.txt",
            "--content",
            "{}",
        ],
        vec!["bft", "pending", "--node", "not-an-address"],
        vec!["bft", "pending", "--node", "127.0.0.1:1"],
        // Wealth.
        vec!["wealth", "scan", "--snapshot", "garbage"],
        vec!["wealth", "scan", "--snapshot", "snap-bad.json"],
        vec!["wealth", "scan", "--snapshot", "missing.json"],
        vec!["wealth", "scan", "--snapshot", &snap, "--fees", "fees.toml"],
        vec!["wealth", "scan", "--snapshot", &snap, "--fees", "fees2.toml"],
        vec!["wealth", "scan", "--snapshot", &snap, "--fees", "garbage"],
        vec!["wealth", "scan", "--snapshot", &snap, "--capital", "lots"],
        vec!["wealth", "scan", "--snapshot", &snap, "--min-profit", "-x"],
        vec!["wealth", "scan", "--snapshot", &snap, "--max-position", "2"],
        vec!["wealth", "trade", "--best", "--snapshot", &snap, "--size", "-5"],
        vec![
            "wealth",
            "trade",
            "--best",
            "--snapshot",
            &snap,
            "--stop-loss",
            "x",
        ],
        vec!["wealth", "trade", "--best", "--snapshot", "garbage"],
        vec!["wealth", "replay", "--snapshot", "garbage"],
        vec!["wealth", "reset-kill-switch", "--reason", "r"],
        // Governance.
        vec!["court", "open", "--entry", &id, "--description", "d"],
        vec![
            "court",
            "open",
            "--entry",
            "01KZZZZZZZZZZZZZZZZZZZZZZZ",
            "--entry",
            &id,
            "--description",
            "d",
        ],
        vec![
            "court",
            "rule",
            "01KZZZZZZZZZZZZZZZZZZZZZZZ",
            "--decision",
            "d",
            "--reasoning",
            "r",
        ],
        vec![
            "treasury",
            "record",
            "--task",
            "t",
            "--cost",
            "abc",
            "--risk",
            "low",
            "--expected-value",
            "1",
            "--proof-burden",
            "x",
        ],
        vec!["treasury", "settle", "none", "--actual-value", "1"],
    ];
    let before = size(&env);
    let mut missing = Vec::new();
    for args in &cases {
        let r = env.run(args);
        if r.code != 2 && r.code != 3 {
            missing.push(format!(
                "{args:?}: exit {} (stdout {:?}, stderr {:?})",
                r.code, r.stdout, r.stderr
            ));
            continue;
        }
        assert!(r.stdout.is_empty(), "{args:?}: stdout {:?}", r.stdout);
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
        // What came from a file is escaped: no raw escape or bell reaches the terminal.
        assert!(
            !r.stderr.contains('\x1b') && !r.stderr.contains('\x07'),
            "{args:?}: {:?}",
            r.stderr
        );
        if !r.stderr.lines().any(|l| l.starts_with("hint: ") && l.len() > 10) {
            missing.push(format!("{args:?}: {}", r.stderr.trim()));
        }
    }
    assert!(missing.is_empty(), "no hint:\n{}", missing.join("\n"));
    assert_eq!(size(&env), before, "nothing was written");
}
