//! `echoctl witness serve` on loopback, fed by a client written here from
//! c2sp.org/tlog-witness alone (raw HTTP/1.1 over a TcpStream), its cosignatures read by an
//! independent signed-note implementation (cloudflare's `signed_note`) with a
//! cosignature/v1 verifier written here from c2sp.org/tlog-cosignature; and the log's
//! side, `ledger checkpoint --witness`, with a k-of-n policy enforced by verify.

use crate::harness::TestEnv;
use crate::serve::Served;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One add-checkpoint request as the spec describes it; (status, content type, body).
fn add(url: &str, body: &[u8]) -> (u16, String, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /add-checkpoint HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let kind = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (status, kind, body.to_owned())
}

/// `old N`, the proof lines, an empty line, the checkpoint.
fn body(old: u64, proof: &[String], note: &str) -> Vec<u8> {
    let mut b = format!("old {old}\n");
    for p in proof {
        b.push_str(p);
        b.push('\n');
    }
    b.push('\n');
    b.push_str(note);
    b.into_bytes()
}

/// A cosignature/v1 verifier from c2sp.org/tlog-cosignature: key ID =
/// SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]; signature = timestamp (8 bytes) ‖ Ed25519 over
/// "cosignature/v1\ntime <timestamp>\n" ‖ the note text.
struct Cosigner {
    name: String,
    id: u32,
    key: ed25519_dalek::VerifyingKey,
}

impl Cosigner {
    /// From a vkey `name+hex8+base64(0x04 ‖ key)`.
    fn parse(vkey: &str) -> Cosigner {
        let mut parts = vkey.splitn(3, '+');
        let name = parts.next().unwrap().to_owned();
        let _hint = parts.next().unwrap();
        let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, parts.next().unwrap())
            .unwrap();
        assert_eq!(raw[0], 0x04, "a cosigner key");
        let key = ed25519_dalek::VerifyingKey::from_bytes(&raw[1..].try_into().unwrap()).unwrap();
        Cosigner {
            id: signed_note::key_id(&name, &raw),
            name,
            key,
        }
    }
}

impl signed_note::Verifier for Cosigner {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        if sig.len() != 72 {
            return false;
        }
        let ts = u64::from_be_bytes(sig[..8].try_into().unwrap());
        let mut m = format!("cosignature/v1\ntime {ts}\n").into_bytes();
        m.extend_from_slice(msg);
        let s = ed25519_dalek::Signature::from_bytes(&sig[8..].try_into().unwrap());
        self.key.verify_strict(&m, &s).is_ok()
    }
}

/// Whether `lines` (an add-checkpoint answer) hold a valid cosignature of `note` by `vkey`,
/// read by signed_note.
fn cosigned_by(note: &str, lines: &str, vkey: &str) -> bool {
    let text = note.split_once("\n\n").unwrap().0;
    let whole = format!("{note}{lines}");
    let n = signed_note::Note::from_bytes(whole.as_bytes()).unwrap();
    assert_eq!(n.text(), format!("{text}\n").as_bytes());
    let list = signed_note::VerifierList::new(vec![Box::new(Cosigner::parse(vkey))]);
    n.verify(&list).is_ok_and(|(ok, _)| ok.len() == 1)
}

/// A witness key in `env`, and its vkey.
fn witness_key(env: &TestEnv, name: &str, file: &str) -> String {
    env.run(&["key", "generate", "--name", name, "--out", file]).ok();
    env.run(&["key", "show", "--witness", "--key", file])
        .ok()
        .stdout
        .trim()
        .to_owned()
}

fn start_witness(env: &TestEnv, key: &str, logs: &str, state: &str) -> Served {
    let args = [
        "--json",
        "witness",
        "serve",
        "--key",
        key,
        "--logs",
        logs,
        "--state",
        state,
        "--listen",
        "127.0.0.1:0",
    ];
    Served::spawn(env.command(&args))
}

fn logs_file(env: &TestEnv, name: &str, entries: &[(&str, &str)]) {
    let text: String = entries
        .iter()
        .map(|(origin, key)| format!("[[log]]\norigin = \"{origin}\"\nkeys = [\"{key}\"]\n\n"))
        .collect();
    std::fs::write(env.path(name), text).unwrap();
}

const ORIGIN: &str = "test.example/ledger";

fn checkpoint(env: &TestEnv) -> String {
    env.run(&["ledger", "checkpoint"]).ok().stdout
}

/// The consistency proof lines from the checkpoint `old` (a note) to the newest.
fn proof_from(env: &TestEnv, old: &str) -> Vec<String> {
    proof_between(env, old, None)
}

/// The consistency proof lines from the checkpoint `old` to `new` (default: the newest),
/// as `ledger consistency` prints them.
fn proof_between(env: &TestEnv, old: &str, new: Option<&str>) -> Vec<String> {
    std::fs::write(env.path("old.cp"), old).unwrap();
    let mut args = vec!["ledger", "consistency", "--from", "old.cp"];
    if let Some(n) = new {
        std::fs::write(env.path("to.cp"), n).unwrap();
        args.extend_from_slice(&["--to", "to.cp"]);
    }
    let p: Value = serde_json::from_str(&env.run(&args).ok().stdout).unwrap();
    p["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

fn size_of(note: &str) -> u64 {
    note.lines().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_witness_cosigns_one_consistent_history_and_refuses_a_fork_in_the_protocols_words() {
    let (a, b, log_key) = crate::proofs::fork();
    let other = TestEnv::new();
    let other_key = other
        .run(&["init", "--origin", "other.example/log"])
        .ok()
        .stdout
        .trim()
        .to_owned();
    let w = TestEnv::new();
    let wkey = witness_key(&w, "witness.example/w1", "w.key");
    logs_file(
        &w,
        "logs.toml",
        &[(ORIGIN, &log_key), ("other.example/log", &other_key)],
    );
    let witness = start_witness(&w, "w.key", "logs.toml", "state.db");
    let u = &witness.url;

    // History A (size 7), first contact: old 0, no proof.
    let cp7 = checkpoint(&a);
    assert_eq!(size_of(&cp7), 7);
    let (status, kind, lines) = add(u, &body(0, &[], &cp7));
    assert_eq!(status, 200, "{lines}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    assert!(
        lines.starts_with('\u{2014}') && lines.ends_with('\n'),
        "{lines:?}"
    );
    assert!(
        cosigned_by(&cp7, &lines, &wkey),
        "signed_note verifies the cosignature"
    );
    // The same checkpoint again: old is its size, no proof.
    assert_eq!(add(u, &body(7, &[], &cp7)).0, 200);

    // A grows; the witness names the size it knows; the proof from there is cosigned.
    a.append(r#"{"more":1}"#);
    let cp8 = checkpoint(&a);
    let (status, kind, text) = add(u, &body(0, &[], &cp8));
    assert_eq!(
        (status, kind.as_str(), text.as_str()),
        (409, "text/x.tlog.size", "7\n")
    );
    let proof = proof_from(&a, &cp7);
    let (status, _, lines) = add(u, &body(7, &proof, &cp8));
    assert_eq!(status, 200, "{lines}");
    assert!(cosigned_by(&cp8, &lines, &wkey));

    // History B (the same key, another entry 6): its size 8 has another root than the
    // one cosigned (409, a split view); its size 9, with B's proof from B's 8, does not
    // extend what the witness cosigned (422). Neither is cosigned.
    b.append(r#"{"more":"b"}"#);
    let b8 = checkpoint(&b);
    let (status, kind, text) = add(u, &body(8, &[], &b8));
    assert_eq!(
        (status, kind.as_str(), text.as_str()),
        (409, "text/x.tlog.size", "8\n")
    );
    b.append(r#"{"more":"b2"}"#);
    let b9 = checkpoint(&b);
    let (status, _, text) = add(u, &body(8, &proof_from(&b, &b8), &b9));
    assert_eq!(status, 422, "{text}");

    // The other refusals the protocol names.
    let third = TestEnv::new();
    third.run(&["init", "--origin", "third.example/log"]).ok();
    assert_eq!(
        add(u, &body(0, &[], &checkpoint(&third))).0,
        404,
        "unknown origin"
    );
    let unsigned = format!(
        "{}\n\n\u{2014} {ORIGIN} AAAAAAAA\n",
        cp8.split_once("\n\n").unwrap().0
    );
    assert_eq!(
        add(u, &body(8, &[], &unsigned)).0,
        403,
        "no trusted signature verifies"
    );
    assert_eq!(add(u, &body(9, &[], &cp8)).0, 400, "old past the size");
    let (status, _, text) = add(u, &body(0, &proof, &checkpoint(&other)));
    assert_eq!(status, 422, "a proof with old 0: {text}");
    for (what, b) in [
        ("64 proof lines", body(8, &vec![proof[0].clone(); 64], &cp8)),
        ("bad base64", body(8, &["!!!".to_owned()], &cp8)),
        ("a leading zero", format!("old 08\n\n{cp8}").into_bytes()),
        ("no empty line", b"old 8\n".to_vec()),
        ("not a checkpoint", b"old 8\n\nhello\n".to_vec()),
    ] {
        let (status, _, text) = add(u, &b);
        assert_eq!(status, 400, "{what}: {text}");
    }
    let many = format!(
        "{}\n\n{}",
        cp8.split_once("\n\n").unwrap().0,
        (0..101)
            .map(|i| format!("\u{2014} x{i}.example AAAAAAAA\n"))
            .collect::<String>()
    );
    assert_eq!(add(u, &body(8, &[], &many)).0, 400, "101 signatures");
    let huge = format!(
        "{ORIGIN}\n9223372036854775808\n{}\n\n\u{2014} {ORIGIN} AAAAAAAA\n",
        cp8.lines().nth(2).unwrap()
    );
    assert!(matches!(add(u, &body(0, &[], &huge)).0, 400 | 403), "size 2^63");
    assert_eq!(add(u, &vec![b'a'; 70_000]).0, 413);
    // After all of that, honest work still gets done.
    a.append(r#"{"more":2}"#);
    let cp9 = checkpoint(&a);
    let (status, _, lines) = add(u, &body(8, &proof_from(&a, &cp8), &cp9));
    assert_eq!(status, 200, "{lines}");
    assert!(cosigned_by(&cp9, &lines, &wkey));
    assert_eq!(witness.stop(), 0);
}

/// The sizes the witness stored for `origin`, in order (read from its SQLite file).
fn stored_sizes(path: &std::path::Path, origin: &str) -> Vec<u64> {
    let c = crate::harness::sqlite(path);
    let mut q = c
        .prepare("SELECT value FROM records WHERE space = ?1 ORDER BY key")
        .unwrap();
    let rows = q
        .query_map([format!("witness/{origin}")], |r| r.get::<_, Vec<u8>>(0))
        .unwrap();
    rows.map(|v| {
        serde_json::from_slice::<Value>(&v.unwrap()).unwrap()["size"]
            .as_u64()
            .unwrap()
    })
    .collect()
}

#[test]
fn two_hundred_racing_submissions_from_one_old_size_have_exactly_one_winner() {
    let (a, b, log_key) = crate::proofs::fork();
    let w = TestEnv::new();
    witness_key(&w, "witness.example/w1", "w.key");
    logs_file(&w, "logs.toml", &[(ORIGIN, &log_key)]);
    let witness = start_witness(&w, "w.key", "logs.toml", "state.db");
    // The common prefix (size 6) is cosigned; then checkpoints of A (sizes 7..=11) and of
    // B (7..=9), each with its proof from 6, race: whichever is first moves the witness
    // off 6, and every other one is told where it is.
    let base = a.run(&["ledger", "checkpoint", "--size", "6"]).ok().stdout;
    assert_eq!(add(&witness.url, &body(0, &[], &base)).0, 200);
    let from_base = |env: &TestEnv| {
        let cp = checkpoint(env);
        let proof = proof_from(env, &base);
        (cp, proof)
    };
    let mut jobs = vec![from_base(&a), from_base(&b)];
    for i in 0..4 {
        a.append(&format!(r#"{{"a":{i}}}"#));
        jobs.push(from_base(&a));
    }
    for i in 0..2 {
        b.append(&format!(r#"{{"b":{i}}}"#));
        jobs.push(from_base(&b));
    }
    let results: Vec<(u16, String, u64)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..200)
            .map(|i| {
                let (url, (cp, proof)) = (&witness.url, &jobs[i % jobs.len()]);
                s.spawn(move || {
                    let (status, _, text) = add(url, &body(6, proof, cp));
                    (status, text, size_of(cp))
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let winners: Vec<&(u16, String, u64)> = results.iter().filter(|r| r.0 == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    let won = winners[0].2;
    for (status, text, _) in results.iter().filter(|r| r.0 != 200) {
        assert_eq!((*status, text.as_str()), (409, format!("{won}\n").as_str()));
    }
    assert_eq!(witness.stop(), 0);
    assert_eq!(stored_sizes(&w.path("state.db"), ORIGIN), vec![6, won]);
}

#[test]
fn kill_9_at_any_point_never_loses_or_rolls_back_what_was_cosigned() {
    let (env, log_key) = {
        let env = TestEnv::new();
        let k = env.init();
        (env, k)
    };
    let w = TestEnv::new();
    witness_key(&w, "witness.example/w1", "w.key");
    logs_file(&w, "logs.toml", &[(ORIGIN, &log_key)]);
    let mut cps = vec![checkpoint(&env)];
    for i in 0..60 {
        env.append(&format!(r#"{{"i":{i}}}"#));
        cps.push(checkpoint(&env));
    }
    let proofs: Vec<Vec<String>> = (1..cps.len())
        .map(|i| proof_between(&env, &cps[i - 1], Some(&cps[i])))
        .collect();
    let mut acknowledged = 0u64;
    let mut next = 0usize;
    for round in 0..12 {
        let witness = start_witness(&w, "w.key", "logs.toml", "state.db");
        let url = witness.url.clone();
        // Submit in a thread; kill the witness partway through (a different point each round).
        let (tx, rx) = std::sync::mpsc::channel();
        let sub = {
            let (cps, proofs) = (cps.clone(), proofs.clone());
            std::thread::spawn(move || {
                let mut i = next;
                while i < cps.len() {
                    let old = if i == 0 { 0 } else { size_of(&cps[i - 1]) };
                    let proof = if i == 0 { Vec::new() } else { proofs[i - 1].clone() };
                    let (status, _, text) = add(&url, &body(old, &proof, &cps[i]));
                    match status {
                        200 => tx.send(size_of(&cps[i])).unwrap(),
                        409 => {
                            // The witness is further than we thought: carry on from there.
                            let at: u64 = text.trim().parse().unwrap();
                            i = cps.iter().position(|c| size_of(c) == at).unwrap();
                        }
                        _ => return,
                    }
                    i += 1;
                }
            })
        };
        std::thread::sleep(Duration::from_millis(15 + 20 * round as u64));
        drop(witness); // SIGKILL
        let _ = sub.join();
        for s in rx.try_iter() {
            acknowledged = acknowledged.max(s);
        }
        let stored = stored_sizes(&w.path("state.db"), ORIGIN);
        let last = stored.last().copied().unwrap_or(0);
        assert!(
            last >= acknowledged,
            "round {round}: acknowledged {acknowledged}, stored {last}"
        );
        assert!(stored.windows(2).all(|p| p[0] < p[1]), "{stored:?}");
        next = cps.iter().position(|c| size_of(c) == last).map_or(0, |p| p + 1);
        if next >= cps.len() {
            break;
        }
    }
    assert!(acknowledged > 0, "some checkpoint was cosigned");
    // A restarted witness refuses anything older than what it stored.
    let witness = start_witness(&w, "w.key", "logs.toml", "state.db");
    let (status, _, text) = add(&witness.url, &body(0, &[], &cps[1]));
    assert_eq!(status, 409, "{text}");
    assert!(text.trim().parse::<u64>().unwrap() >= acknowledged);
}

#[test]
fn the_log_asks_its_witnesses_and_verify_holds_it_to_a_k_of_n_policy() {
    let env = TestEnv::new();
    let log_key = env.init();
    env.append(r#"{"x":1}"#);
    let w = TestEnv::new();
    let k1 = witness_key(&w, "witness.example/w1", "w1.key");
    let k2 = witness_key(&w, "witness.example/w2", "w2.key");
    let k3 = witness_key(&w, "witness.example/w3", "w3.key");
    logs_file(&w, "logs.toml", &[(ORIGIN, &log_key)]);
    let w1 = start_witness(&w, "w1.key", "logs.toml", "s1.db");
    let w2 = start_witness(&w, "w2.key", "logs.toml", "s2.db");
    let ask = |extra: &[&str]| {
        let mut args = vec!["--json", "ledger", "checkpoint"];
        args.extend_from_slice(extra);
        env.run(&args)
    };
    let r = ask(&[
        "--witness",
        &w1.url,
        "--witness-key",
        &k1,
        "--witness",
        &w2.url,
        "--witness-key",
        &k2,
    ]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let v = r.json();
    assert_eq!(v["witnesses"][0]["status"], "cosigned");
    assert_eq!(v["witnesses"][1]["stored"], 1);
    // More entries: the witnesses answer 409 with what they know, and the proof follows.
    env.append(r#"{"x":2}"#);
    let r = ask(&[
        "--witness",
        &w1.url,
        "--witness-key",
        &k1,
        "--witness",
        &w2.url,
        "--witness-key",
        &k2,
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let note = checkpoint(&env);
    assert_eq!(
        note.matches('\u{2014}').count(),
        3,
        "the log's signature and two cosignatures: {note}"
    );

    let policy = |quorum: &str| {
        let text = format!(
            "log {log_key}\nwitness w1 {k1}\nwitness w2 {k2}\nwitness w3 {k3}\ngroup g {quorum} w1 w2 w3\nquorum g\n"
        );
        std::fs::write(env.path("policy.txt"), text).unwrap();
    };
    policy("2");
    let (code, v) = env.verify_json(&["--policy", "policy.txt"]);
    assert_eq!(code, 0, "{v}");
    policy("3");
    let (code, v) = env.verify_json(&["--policy", "policy.txt"]);
    assert_eq!(code, 1, "{v}");
    let why = v.to_string();
    assert!(why.contains("quorum is not met") && why.contains("w3"), "{why}");
    // The same policy over HTTP: a served ledger carries the cosigned checkpoint.
    let served = Served::start(&env);
    let r = env.run(&[
        "--json",
        "ledger",
        "verify",
        "--url",
        &served.url,
        "--policy",
        "policy.txt",
    ]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    policy("2");
    env.run(&["ledger", "verify", "--url", &served.url, "--policy", "policy.txt"])
        .ok();

    // The same witnesses from the config file.
    let r = ask(&["--ask-witnesses"]);
    assert_eq!(r.code, 2, "no [[witness]] yet: {}", r.stderr);
    std::fs::create_dir_all(env.path("config/echoctl")).unwrap();
    std::fs::write(
        env.path("config/echoctl/config.toml"),
        format!(
            "[[witness]]\nurl = \"{}\"\nkey = \"{k1}\"\n\n[[witness]]\nurl = \"{}\"\nkey = \"{k2}\"\n",
            w1.url, w2.url
        ),
    )
    .unwrap();
    env.append(r#"{"x":3}"#);
    let r = ask(&["--ask-witnesses"]);
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    let v = r.json();
    let statuses: Vec<&str> = v["witnesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["cosigned", "cosigned"]);
    std::fs::remove_file(env.path("config/echoctl/config.toml")).unwrap();

    // A witness that is not there: exit 3; one that refuses (it saw a larger tree of this
    // origin from somebody else): exit 1. Either way nothing is stored.
    drop(w2);
    let r = ask(&["--witness", "http://127.0.0.1:9", "--witness-key", &k3]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert_eq!(r.json()["witnesses"][0]["status"], "unreachable");
    let bad_key = ask(&["--witness", &w1.url, "--witness-key", &k2]);
    assert_eq!(
        bad_key.code, 1,
        "a cosignature by another key than the one given is refused: {}",
        bad_key.stdout
    );
    let r = env.run(&["ledger", "checkpoint", "--witness", &w1.url]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_bad_logs_file_is_a_usage_error_and_no_witness_starts() {
    let w = TestEnv::new();
    witness_key(&w, "witness.example/w1", "w.key");
    for (text, says) in [
        ("", "lists no log"),
        (
            "[[log]]\norigin = \"a.example/x\"\nkeys = []\n",
            "log signing keys",
        ),
        (
            "[[log]]\norigin = \"a.example/x\"\nkeys = [\"nonsense\"]\n",
            "a.example/x",
        ),
        (
            "[[log]]\norigin = \"a.example/x\"\nkeys = []\nextra = 1\n",
            "unknown field",
        ),
    ] {
        std::fs::write(w.path("logs.toml"), text).unwrap();
        let r = w.run(&[
            "witness",
            "serve",
            "--key",
            "w.key",
            "--logs",
            "logs.toml",
            "--state",
            "s.db",
            "--listen",
            "127.0.0.1:0",
        ]);
        assert_eq!(r.code, 2, "{text}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
        assert!(!w.path("s.db").exists(), "no state is created");
    }
    let r = w.run(&[
        "witness",
        "serve",
        "--key",
        "w.key",
        "--logs",
        "missing.toml",
        "--state",
        "s.db",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn the_offline_witness_and_the_served_one_share_one_state() {
    let env = TestEnv::new();
    let log_key = env.init();
    env.append(r#"{"x":1}"#);
    witness_key(&env, "witness.example/w1", "w.key");
    std::fs::write(env.path("cp"), checkpoint(&env)).unwrap();
    env.run(&[
        "ledger", "witness", "cosign", "cp", "--key", "w.key", "--state", "w.db",
    ])
    .ok();
    logs_file(&env, "logs.toml", &[(ORIGIN, &log_key)]);
    let witness = start_witness(&env, "w.key", "logs.toml", "w.db");
    let (status, _, size) = add(&witness.url, &body(0, &[], &checkpoint(&env)));
    assert_eq!(
        (status, size.as_str()),
        (409, "2\n"),
        "the served witness knows what the offline one cosigned"
    );
    assert_eq!(witness.stop(), 0);
    // And the other way round: the offline witness refuses to go back.
    let old = env.run(&["ledger", "checkpoint", "--size", "1"]).ok().stdout;
    std::fs::write(env.path("old"), old).unwrap();
    let r = env.run(&[
        "ledger", "witness", "cosign", "old", "--key", "w.key", "--state", "w.db",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("stale"), "{}", r.stderr);
}

#[test]
fn idle_connections_and_oversized_bodies_leave_the_witness_small_and_honest_work_done() {
    let env = TestEnv::new();
    let log_key = env.init();
    witness_key(&env, "witness.example/w1", "w.key");
    logs_file(&env, "logs.toml", &[(ORIGIN, &log_key)]);
    let witness = start_witness(&env, "w.key", "logs.toml", "w.db");
    let addr = witness.url.trim_start_matches("http://").to_owned();
    // 300 connections that send half a request head and stop; 64 clients at once sending
    // a body just under the limit that is not a request, and 16 over it.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"POST /add-checkpoint HTTP/1.1\r\nHo").unwrap();
            s
        })
        .collect();
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let clients: Vec<_> = (0..80)
            .map(|i| {
                let url = &witness.url;
                s.spawn(move || {
                    let n = if i < 64 { 65_000 } else { 200_000 };
                    add(url, &vec![b'x'; n]).0
                })
            })
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert!(statuses[..64].iter().all(|&c| c == 400), "{statuses:?}");
    assert!(statuses[64..].iter().all(|&c| c == 413 || c == 0), "{statuses:?}");
    let (status, _, text) = add(&witness.url, &body(0, &[], &checkpoint(&env)));
    assert_eq!(status, 200, "{text}");
    let peak = witness.peak_rss_kib();
    println!("peak RSS of the witness: {peak} KiB");
    assert!(peak < 96 * 1024, "peak RSS {peak} KiB");
    drop(idle);
}

#[test]
fn a_witness_keeps_its_state_in_postgres_across_restarts_and_races() {
    let Some(server) = crate::pg_support::server() else {
        return;
    };
    let db = crate::pg_support::PgDb::new(&server);
    let (a, b, log_key) = crate::proofs::fork();
    let w = TestEnv::new();
    witness_key(&w, "witness.example/w1", "w.key");
    logs_file(&w, "logs.toml", &[(ORIGIN, &log_key)]);
    let base = a.run(&["ledger", "checkpoint", "--size", "6"]).ok().stdout;
    let witness = start_witness(&w, "w.key", "logs.toml", &db.url);
    assert_eq!(add(&witness.url, &body(0, &[], &base)).0, 200);
    assert_eq!(witness.stop(), 0);
    // Restarted on the same database: it remembers.
    let witness = start_witness(&w, "w.key", "logs.toml", &db.url);
    let (status, _, size) = add(&witness.url, &body(0, &[], &checkpoint(&a)));
    assert_eq!((status, size.as_str()), (409, "6\n"));
    // Two histories race from 6 through the row lock: one wins, the other is told.
    let jobs = [
        (checkpoint(&a), proof_from(&a, &base)),
        (checkpoint(&b), proof_from(&b, &base)),
    ];
    let results: Vec<u16> = std::thread::scope(|s| {
        let t: Vec<_> = (0..40)
            .map(|i| {
                let (url, (cp, proof)) = (&witness.url, &jobs[i % 2]);
                s.spawn(move || add(url, &body(6, proof, cp)).0)
            })
            .collect();
        t.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|&&c| c == 200).count(), 1, "{results:?}");
    assert!(results.iter().all(|&c| c == 200 || c == 409), "{results:?}");
    assert_eq!(witness.stop(), 0);
}
