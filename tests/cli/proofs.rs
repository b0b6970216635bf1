//! Receipts, consistency proofs, witnesses, policies and bundles: everything an auditor
//! checks away from the operator's machine.

use crate::harness::{Run, TestEnv, ORIGIN};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// A ledger with `n` single appends (so n+1 checkpoints); returns its verifier key.
fn ledger(n: usize) -> (TestEnv, String) {
    let env = TestEnv::new();
    let vkey = env.init();
    for i in 0..n {
        env.append(&format!(r#"{{"text":"entry {i}","i":{i}}}"#));
    }
    (env, vkey)
}

fn write(env: &TestEnv, name: &str, text: &str) -> String {
    std::fs::write(env.path(name), text).unwrap();
    name.to_owned()
}

#[test]
fn receipts_verify_offline_and_fail_on_any_change() {
    let (env, vkey) = ledger(12);
    let receipt = env.run(&["ledger", "proof", "7"]).ok().stdout;
    assert!(receipt.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{receipt}");
    // Verify in a directory with no ledger at all.
    let auditor = TestEnv::new();
    write(&auditor, "r.proof", &receipt);
    let v = auditor
        .run(&[
            "--json",
            "ledger",
            "proof",
            "verify",
            "r.proof",
            "--trust-key",
            &vkey,
        ])
        .ok()
        .json();
    assert_eq!((v["valid"].as_bool(), v["seq"].as_u64()), (Some(true), Some(7)));
    assert!(!auditor.db().exists());
    // Against an older checkpoint too.
    let old = env.run(&["ledger", "proof", "3", "--size", "5"]).ok().stdout;
    write(&auditor, "old.proof", &old);
    auditor
        .run(&["ledger", "proof", "verify", "old.proof", "--trust-key", &vkey])
        .ok();
    env.run(&["ledger", "proof", "7", "--size", "5"]).code(2);

    let lines: Vec<&str> = receipt.lines().collect();
    let extra_line = 1;
    let path_line = 3;
    let root_line = lines.iter().position(|l| *l == ORIGIN).unwrap() + 2;
    let sig_line = lines.len() - 1;
    let flip_b64 = |line: &str, prefix: &str| -> String {
        let body = line.strip_prefix(prefix).unwrap();
        let mut raw = B64.decode(body).unwrap();
        let i = raw.len() / 2;
        raw[i] ^= 1;
        format!("{prefix}{}", B64.encode(raw))
    };
    let cases = [
        ("entry byte", extra_line, flip_b64(lines[extra_line], "extra ")),
        ("path hash", path_line, flip_b64(lines[path_line], "")),
        ("checkpoint root", root_line, flip_b64(lines[root_line], "")),
        ("signature", sig_line, {
            let (head, sig) = lines[sig_line].rsplit_once(' ').unwrap();
            format!("{head} {}", flip_b64(sig, "").trim_start())
        }),
    ];
    for (what, at, replacement) in cases {
        let mut changed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        changed[at] = replacement;
        write(&auditor, "bad.proof", &(changed.join("\n") + "\n"));
        let r = auditor.run(&["ledger", "proof", "verify", "bad.proof", "--trust-key", &vkey]);
        assert_eq!(r.code, 1, "a changed {what} must fail: {} {}", r.stdout, r.stderr);
        assert!(r.stdout.is_empty());
    }
    // Another log's key does not vouch for it.
    let other = TestEnv {
        seed: "other".into(),
        ..TestEnv::new()
    };
    let other_key = other.run(&["init", "--origin", ORIGIN]).ok().stdout;
    auditor
        .run(&[
            "ledger",
            "proof",
            "verify",
            "r.proof",
            "--trust-key",
            other_key.trim(),
        ])
        .code(1);
    // No anchor at all is a usage error; garbage is malformed.
    auditor.run(&["ledger", "proof", "verify", "r.proof"]).code(2);
    write(&auditor, "garbage.proof", "hello\n\nworld\n");
    auditor
        .run(&["ledger", "proof", "verify", "garbage.proof", "--trust-key", &vkey])
        .code(2);
}

#[test]
fn consistency_proofs_between_every_pair_of_checkpoints() {
    let (env, vkey) = ledger(24);
    let notes: Vec<String> = (1..=25)
        .map(|size| {
            env.run(&["ledger", "checkpoint", "--size", &size.to_string()])
                .ok()
                .stdout
        })
        .collect();
    for (i, n) in notes.iter().enumerate() {
        write(&env, &format!("cp{}", i + 1), n);
    }
    let auditor = TestEnv::new();
    let mut checked = 0;
    for a in 1..=25 {
        for b in a..=25 {
            let p = env
                .run(&[
                    "ledger",
                    "consistency",
                    "--from",
                    &format!("cp{a}"),
                    "--to",
                    &format!("cp{b}"),
                ])
                .ok()
                .stdout;
            write(&auditor, "p.json", &p);
            auditor
                .run(&[
                    "ledger",
                    "consistency",
                    "--verify",
                    "p.json",
                    "--trust-key",
                    &vkey,
                ])
                .ok();
            checked += 1;
        }
    }
    assert_eq!(checked, 325);
    // The newest by default; JSON output parses.
    let p = env.run(&["ledger", "consistency", "--from", "cp3"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&p).unwrap();
    assert_eq!(v["format"], "echoctl/consistency-proof@v1");
    // A tampered proof fails.
    let mut bad = v.clone();
    bad["proof"][0] = serde_json::Value::String(B64.encode([7u8; 32]));
    write(&auditor, "bad.json", &bad.to_string());
    auditor
        .run(&[
            "ledger",
            "consistency",
            "--verify",
            "bad.json",
            "--trust-key",
            &vkey,
        ])
        .code(1);
}

/// Two ledgers with the same key and a common prefix that then diverge.
pub fn fork() -> (TestEnv, TestEnv, String) {
    let (a, vkey) = ledger(5);
    let b = TestEnv::new();
    std::fs::create_dir_all(b.path("config")).unwrap();
    copy_dir(&a.path("config"), &b.path("config"));
    std::fs::copy(a.db(), b.db()).unwrap();
    a.append(r#"{"text":"history A"}"#);
    b.append(r#"{"text":"history B"}"#);
    (a, b, vkey)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn consistency_fails_for_forks() {
    let (a, b, vkey) = fork();
    write(&a, "a.cp", &a.run(&["ledger", "checkpoint"]).ok().stdout);
    write(&b, "a.cp", &a.run(&["ledger", "checkpoint"]).ok().stdout);
    // B cannot prove it extends A's checkpoint of the same size.
    let r = b.run(&["ledger", "consistency", "--from", "a.cp"]);
    assert_eq!(r.code, 1, "{} {}", r.stdout, r.stderr);
    // And A's ledger verify rejects B's checkpoint as a trusted anchor.
    write(&a, "b.cp", &b.run(&["ledger", "checkpoint"]).ok().stdout);
    let (code, _) = a.verify_json(&["--trust-key", &vkey, "--trust-checkpoint", "b.cp"]);
    assert_eq!(code, 1);
}

#[test]
fn a_witness_refuses_a_split_view() {
    let (a, b, vkey) = fork();
    let w = TestEnv::new();
    let wkey_file = "w.key";
    w.run(&[
        "key",
        "generate",
        "--name",
        "witness.example/w1",
        "--out",
        wkey_file,
    ])
    .ok();
    let wvkey = w
        .run(&["key", "show", "--witness", "--key", wkey_file])
        .ok()
        .stdout
        .trim()
        .to_owned();
    assert!(wvkey.contains("+B"), "a witness key has type 0x04: {wvkey}");
    let cosign = |cp: &str, extra: &[&str]| -> Run {
        let mut args = vec![
            "ledger",
            "witness",
            "cosign",
            cp,
            "--key",
            wkey_file,
            "--log-key",
            &vkey,
            "--state",
            "state.json",
        ];
        args.extend_from_slice(extra);
        w.run(&args)
    };
    write(&w, "a.cp", &a.run(&["ledger", "checkpoint"]).ok().stdout);
    write(&w, "b.cp", &b.run(&["ledger", "checkpoint"]).ok().stdout);
    let line = cosign("a.cp", &[]).ok().stdout;
    assert!(line.starts_with("\u{2014} witness.example/w1 "), "{line}");
    assert_eq!(
        B64.decode(line.trim().rsplit(' ').next().unwrap()).unwrap().len(),
        4 + 8 + 64
    );
    // Same size, other root: the split view is refused.
    let r = cosign("b.cp", &[]).code(1);
    assert!(r.stderr.contains("split view"), "{}", r.stderr);
    // Cosigning the same checkpoint again is fine; an older one is stale.
    cosign("a.cp", &[]).ok();
    write(
        &w,
        "a5.cp",
        &a.run(&["ledger", "checkpoint", "--size", "5"]).ok().stdout,
    );
    assert!(cosign("a5.cp", &[]).code(1).stderr.contains("stale"));
    // Growth needs a consistency proof, and B's proof from the shared prefix does not
    // start at what the witness cosigned.
    b.append(r#"{"text":"more B"}"#);
    write(&w, "b2.cp", &b.run(&["ledger", "checkpoint"]).ok().stdout);
    assert!(cosign("b2.cp", &[]).code(1).stderr.contains("consistency proof"));
    write(&b, "b.cp", &std::fs::read_to_string(w.path("b.cp")).unwrap());
    write(
        &w,
        "b.proof",
        &b.run(&["ledger", "consistency", "--from", "b.cp"]).ok().stdout,
    );
    assert!(cosign("b2.cp", &["--proof", "b.proof"])
        .code(1)
        .stderr
        .contains("split view"));
    // A's honest growth is cosigned.
    a.append(r#"{"text":"more A"}"#);
    write(&a, "a.cp", &std::fs::read_to_string(w.path("a.cp")).unwrap());
    write(
        &w,
        "a.proof",
        &a.run(&["ledger", "consistency", "--from", "a.cp"]).ok().stdout,
    );
    write(&w, "a2.cp", &a.run(&["ledger", "checkpoint"]).ok().stdout);
    cosign("a2.cp", &["--proof", "a.proof"]).ok();
}

#[test]
fn witness_quorum_and_policy() {
    let (env, vkey) = ledger(3);
    let mut witness_keys = Vec::new();
    for i in 1..=3 {
        let file = format!("w{i}.key");
        env.run(&[
            "key",
            "generate",
            "--name",
            &format!("witness.example/w{i}"),
            "--out",
            &file,
        ])
        .ok();
        witness_keys.push(
            env.run(&["key", "show", "--witness", "--key", &file])
                .ok()
                .stdout
                .trim()
                .to_owned(),
        );
    }
    write(&env, "cp", &env.run(&["ledger", "checkpoint"]).ok().stdout);
    let wk: Vec<&str> = witness_keys.iter().map(String::as_str).collect();
    let verify = |extra: &[&str]| env.verify_json(extra).0;
    let quorum2 = [
        "--trust-key",
        &vkey,
        "--trust-witness",
        wk[0],
        "--trust-witness",
        wk[1],
        "--trust-witness",
        wk[2],
        "--witness-quorum",
        "2",
    ];
    assert_eq!(verify(&quorum2), 1, "no cosignatures yet");
    for i in 1..=2 {
        let line = env
            .run(&[
                "ledger",
                "witness",
                "cosign",
                "cp",
                "--key",
                &format!("w{i}.key"),
                "--state",
                &format!("s{i}.json"),
            ])
            .ok()
            .stdout;
        write(&env, &format!("c{i}"), &line);
    }
    env.run(&[
        "ledger",
        "checkpoint",
        "--add-cosignature",
        "c1",
        "--witness-key",
        wk[0],
    ])
    .ok();
    assert_eq!(verify(&quorum2), 1, "one of two");
    env.run(&[
        "ledger",
        "checkpoint",
        "--add-cosignature",
        "c2",
        "--witness-key",
        wk[1],
    ])
    .ok();
    assert_eq!(verify(&quorum2), 0, "two of two");
    // The stored cosignatures travel with the checkpoint and in receipts.
    let note = env.run(&["ledger", "checkpoint"]).ok().stdout;
    assert_eq!(note.matches('\u{2014}').count(), 3);
    // The same through a C2SP policy file, for verify, proof verify and verify --bundle.
    let policy = format!(
        "# trust policy\nlog {vkey}\nwitness w1 {}\nwitness w2 {}\nwitness w3 {}\ngroup all-three all w1 w2 w3\ngroup two 2 w1 w2 w3\nquorum two\n",
        wk[0], wk[1], wk[2]
    );
    write(&env, "policy", &policy);
    assert_eq!(verify(&["--policy", "policy"]), 0);
    write(&env, "strict", &policy.replace("quorum two", "quorum all-three"));
    assert_eq!(verify(&["--policy", "strict"]), 1);
    write(&env, "r.proof", &env.run(&["ledger", "proof", "2"]).ok().stdout);
    env.run(&["ledger", "proof", "verify", "r.proof", "--policy", "policy"])
        .ok();
    env.run(&["ledger", "proof", "verify", "r.proof", "--policy", "strict"])
        .code(1);
    env.run(&["ledger", "export", "--out", "b"]).ok();
    env.run(&["ledger", "verify", "--bundle", "b", "--policy", "policy"])
        .ok();
    env.run(&["ledger", "verify", "--bundle", "b", "--policy", "strict"])
        .code(1);
    // Malformed policies are usage errors.
    for bad in [
        "log nonsense\nquorum none\n",
        "witness w1 x\n",
        "quorum w9\n",
        "group g 5 \nquorum g\n",
        "log a b c d\nquorum none\n",
    ] {
        write(&env, "badpolicy", bad);
        env.run(&["ledger", "verify", "--policy", "badpolicy"]).code(2);
    }
}

#[test]
fn bundle_round_trip_is_byte_identical() {
    let (env, vkey) = ledger(6);
    let id = env.append(r#"{"text":"to amend"}"#)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    env.run(&["ledger", "amend", &id, "--type", "withdrawal", "--reason", "test"])
        .ok();
    let r = env
        .run(&["--json", "ledger", "export", "--out", "one.bundle"])
        .ok()
        .json();
    assert_eq!(r["entries"], 9);
    let auditor = TestEnv::new();
    std::fs::copy(env.path("one.bundle"), auditor.path("one.bundle")).unwrap();
    let v = auditor
        .run(&[
            "--json",
            "ledger",
            "verify",
            "--bundle",
            "one.bundle",
            "--trust-key",
            &vkey,
        ])
        .ok()
        .json();
    assert_eq!(
        (v["valid"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(9))
    );
    auditor
        .run(&["ledger", "import", "one.bundle", "--trust-key", &vkey])
        .ok();
    let (code, v2) = auditor.verify_json(&["--trust-key", &vkey]);
    assert_eq!(code, 0, "{v2}");
    assert_eq!(v2["root"], v["root"]);
    auditor.run(&["ledger", "export", "--out", "two.bundle"]).ok();
    assert_eq!(
        std::fs::read(env.path("one.bundle")).unwrap(),
        std::fs::read(auditor.path("two.bundle")).unwrap()
    );
    // The imported ledger works like any other.
    let shown = auditor.run(&["--json", "ledger", "show", &id]).ok().json();
    assert_eq!(shown["status"], "withdrawn");
    // Import refuses an existing ledger and stdin.
    auditor.run(&["ledger", "import", "one.bundle"]).code(2);
}

#[test]
fn corrupt_truncated_and_hostile_bundles() {
    let (env, vkey) = ledger(8);
    env.run(&["ledger", "export", "--out", "good"]).ok();
    let good = std::fs::read_to_string(env.path("good")).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let with_line = |i: usize, new: &str| {
        let mut l: Vec<String> = lines.iter().map(|x| x.to_string()).collect();
        l[i] = new.to_owned();
        l.join("\n") + "\n"
    };
    let first_entry = lines.iter().position(|l| l.starts_with("E ")).unwrap();
    let cases: Vec<(&str, String, &[i32])> = vec![
        ("empty", String::new(), &[2]),
        ("not a bundle", "hello\n".into(), &[2]),
        ("truncated mid-line", good[..good.len() / 2].to_owned(), &[1]),
        (
            "truncated at a line",
            lines[..first_entry + 5].join("\n") + "\n",
            &[1],
        ),
        ("no end line", lines[..lines.len() - 1].join("\n") + "\n", &[1]),
        (
            "huge count",
            good.replacen("entries 9", "entries 18446744073709551615", 1),
            &[1],
        ),
        ("wrong count", good.replacen("entries 9", "entries 8", 1), &[1]),
        (
            "changed entry",
            with_line(
                first_entry + 2,
                &lines[first_entry + 2].replacen("entry", "Entry", 1),
            ),
            &[1],
        ),
        (
            "bad base64",
            with_line(first_entry + 1, "C !!!not base64!!!"),
            &[2],
        ),
        ("unknown record", with_line(first_entry + 1, "X something"), &[2]),
        (
            "huge line",
            with_line(first_entry, &format!("E {}", "x".repeat(3 << 20))),
            &[2],
        ),
        ("trailing data", format!("{good}more\n"), &[2]),
        (
            "wrong end hash",
            good.replace(lines[lines.len() - 1], &format!("end {}", "0".repeat(64))),
            &[1],
        ),
        (
            "header keys differ",
            good.replacen(
                &vkey,
                &TestEnv {
                    seed: "x".into(),
                    ..TestEnv::new()
                }
                .init(),
                1,
            ),
            &[1, 2],
        ),
    ];
    for (what, bundle, codes) in cases {
        std::fs::write(env.path("bad"), &bundle).unwrap();
        let r = env.run(&[
            "--json",
            "ledger",
            "verify",
            "--bundle",
            "bad",
            "--trust-key",
            &vkey,
        ]);
        assert!(
            codes.contains(&r.code),
            "{what}: exit {} ({} / {})",
            r.code,
            r.stdout,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{what}: {}", r.stderr);
        if r.code == 1 {
            assert_eq!(r.json()["valid"], false, "{what}");
        }
        let imported = env.run(&["--db", "imported.db", "ledger", "import", "bad"]);
        assert!(
            imported.code == 1 || imported.code == 2,
            "{what}: import exit {}",
            imported.code
        );
        assert!(
            !env.path("imported.db").exists(),
            "{what}: nothing imported from a bad bundle"
        );
    }
}
