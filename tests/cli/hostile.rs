//! Hostile peers and clients against four real validators (issue 15). The attacker here
//! is written from docs/PROTOCOL.md alone — its framing, canonical JSON, sign bytes, set
//! hash and key file parsing are its own, not echoctl's — and holds at most one
//! validator's key. Honest work must still get done, memory must stay under the
//! documented bound (256 MiB), and a subject decided once must stay decided.

use crate::bft_net::Cluster;
use crate::hostile_peer::*;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The bound PROTOCOL.md §10 promises.
const BOUND_KIB: u64 = 256 * 1024;

// ---- The cluster under attack --------------------------------------------------------

fn rss_kib(c: &Cluster, i: usize) -> u64 {
    let pid = c.nodes[i].as_ref().unwrap().id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[track_caller]
fn within_bound(c: &Cluster, nodes: &[usize], what: &str) {
    for &i in nodes {
        let kib = rss_kib(c, i);
        assert!(
            kib < BOUND_KIB,
            "{what}: validator {i} holds {kib} KiB, above the bound"
        );
    }
}

fn status(c: &Cluster, i: usize) -> Value {
    let s = ask(c.addr(i), &json!({"type": "status"})).expect("a status answer");
    assert_eq!(s["type"], "status", "{s}");
    s
}

/// A cluster whose validators file lists one proposer; returns it and the proposer key.
fn with_proposer() -> (Cluster, (String, SigningKey)) {
    let c = Cluster::new();
    c.env
        .run(&[
            "key",
            "generate",
            "--name",
            "ops.example/proposer",
            "--out",
            "proposer.key",
        ])
        .ok();
    let key = load_key(&c.env.path("proposer.key"));
    let vkey = verifier_key(&key.0, &key.1);
    let path = c.env.path("validators.toml");
    let toml = std::fs::read_to_string(&path).unwrap();
    let toml = toml.replacen(
        "epoch = 1\n",
        &format!("epoch = 1\nproposers = [\"{vkey}\"]\n"),
        1,
    );
    std::fs::write(&path, toml).unwrap();
    (c, key)
}

fn propose_signed(c: &Cluster, subject: &str, content: &str) -> crate::harness::Run {
    c.env.run(&[
        "--json",
        "bft",
        "propose",
        "--validators",
        "validators.toml",
        "--subject",
        subject,
        "--content",
        content,
        "--timeout",
        "30",
        "--key",
        "proposer.key",
    ])
}

fn decisions_for(c: &Cluster, i: usize, subject: &str) -> usize {
    c.decisions(i).iter().filter(|d| d["subject"] == subject).count()
}

#[test]
fn issue_15_a_submit_flood_without_a_proposer_key_opens_nothing() {
    let (mut c, _) = with_proposer();
    c.start_all();
    let set = read_set(&c.env.path("validators.toml"));
    let idle: Vec<u64> = (0..4).map(|i| rss_kib(&c, i)).collect();
    // 10,000 unsigned submissions, spread over the four validators, each refused.
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let addr = set.addresses[i];
            std::thread::spawn(move || {
                let mut refused = 0;
                for n in 0..2_500 {
                    let r = ask(
                        addr,
                        &json!({"type": "submit", "subject": format!("flood-{i}-{n}"), "content": {"n": n}}),
                    );
                    refused += usize::from(r.is_some_and(|v| v["type"] == "error"));
                }
                refused
            })
        })
        .collect();
    // Meanwhile the proposer's own proposal is decided.
    let v = propose_signed(&c, "honest-during-flood", r#"{"text":"keep going"}"#)
        .ok()
        .json();
    assert_eq!(v["decision"], "approve", "{v}");
    let refused: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(refused, 10_000, "every unsigned submission is refused");
    for i in 0..4 {
        assert_eq!(status(&c, i)["open"], 0, "validator {i} opened a flooded subject");
    }
    within_bound(&c, &[0, 1, 2, 3], "after the submit flood");
    for (i, before) in idle.iter().enumerate() {
        let after = rss_kib(&c, i);
        assert!(
            after < 2 * before.max(&20_000),
            "validator {i}: {before} KiB idle, {after} KiB after"
        );
    }
    // A forged submission (signed by a key that is not the proposer's) is refused too.
    let stranger = (
        String::from("ops.example/proposer"),
        SigningKey::from_bytes(&[7; 32]),
    );
    let r = ask(
        set.addresses[0],
        &submit(&set, &stranger, "forged", &json!({"text": "x"})),
    )
    .unwrap();
    assert_eq!(r["type"], "error", "{r}");
}

#[test]
fn issue_15_open_admission_keeps_each_source_within_its_budget() {
    let mut c = Cluster::new();
    c.start_all();
    let set = read_set(&c.env.path("validators.toml"));
    // Without listed proposers anyone may submit; one address floods validator 0 with
    // pipelined submissions, reconnecting after each refusal.
    let addr = set.addresses[0];
    let flood = std::thread::spawn(move || {
        let (mut refused, mut n) = (0, 0);
        while n < 3_000 {
            let Ok(mut s) = TcpStream::connect(addr) else {
                break;
            };
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let burst: Vec<u8> = (n..n + 500)
                .flat_map(|k| {
                    frame(&json!({"type": "submit", "subject": format!("anon-{k}"), "content": {"n": k}}))
                })
                .collect();
            n += 500;
            let _ = s.write_all(&burst);
            while let Some(v) = recv(&mut s) {
                if v["type"] == "error" {
                    assert!(v["message"].as_str().unwrap().contains("limit"), "{v}");
                    refused += 1;
                    break;
                }
            }
        }
        refused
    });
    let mut most = [0u64; 4];
    while !flood.is_finished() {
        for (i, m) in most.iter_mut().enumerate() {
            *m = (*m).max(status(&c, i)["open"].as_u64().unwrap());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(flood.join().unwrap() > 0, "the budget refused some of the flood");
    for (i, m) in most.iter().enumerate() {
        assert!(*m <= 64, "validator {i} held {m} subjects of one source open");
    }
    within_bound(&c, &[0, 1, 2, 3], "after the anonymous flood");
}

#[test]
fn issue_15_a_byzantine_validators_votes_for_unknown_subjects_are_not_kept() {
    let (mut c, _) = with_proposer();
    for i in 0..3 {
        c.start(i);
    }
    let set = read_set(&c.env.path("validators.toml"));
    let (_, evil) = load_key(&key_path(&c, 3));
    // 11,000 signed nil prevotes for subjects nobody proposed, to each honest validator.
    let floods: Vec<_> = (0..3)
        .map(|i| {
            let frames: Vec<Value> = (0..11_000)
                .map(|n| vote(&set, &evil, 3, 2, &format!("ghost-{n}"), 0, None))
                .collect();
            let addr = set.addresses[i];
            std::thread::spawn(move || stream_frames(addr, frames.into_iter()))
        })
        .collect();
    let v = propose_signed(&c, "honest-vs-ghosts", r#"{"text":"still decided"}"#)
        .ok()
        .json();
    assert_eq!(v["decision"], "approve", "{v}");
    for f in floods {
        f.join().unwrap();
    }
    for i in 0..3 {
        assert_eq!(status(&c, i)["open"], 0, "validator {i} opened a ghost subject");
    }
    within_bound(&c, &[0, 1, 2], "after the ghost votes");
}

#[test]
fn issue_15_votes_for_far_rounds_are_not_kept() {
    let mut c = Cluster::new();
    for i in 0..3 {
        c.start(i);
    }
    let set = read_set(&c.env.path("validators.toml"));
    let (_, evil) = load_key(&key_path(&c, 3));
    // Open the subject at validator 0, then vote in rounds up to 544,000 for it.
    let subject = "far-rounds";
    let r = ask(
        set.addresses[0],
        &json!({"type": "submit", "subject": subject, "content": {"text": "x"}}),
    )
    .unwrap();
    assert_eq!(r["type"], "ok", "{r}");
    let before = rss_kib(&c, 0);
    let frames = (1..=544_000u64).step_by(2_000).flat_map(|round| {
        [
            vote(&set, &evil, 3, 2, subject, round, None),
            vote(&set, &evil, 3, 3, subject, round, None),
        ]
    });
    stream_frames(set.addresses[0], frames);
    let after = rss_kib(&c, 0);
    assert!(
        after < before + 32 * 1024,
        "{before} KiB before, {after} KiB after the far rounds"
    );
    within_bound(&c, &[0], "after the far-round votes");
    // One sender cannot drag a validator up the rounds; the subject is still decided.
    let v = c.propose(subject, r#"{"text":"x"}"#, "30").ok().json();
    assert_eq!(v["decision"], "approve", "{v}");
    assert!(v["round"].as_u64().unwrap() < 100, "{v}");
}

fn key_path(c: &Cluster, i: usize) -> std::path::PathBuf {
    let dir = c.env.path("config/echoctl/keys");
    dir.read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(&format!("node{i}")))
        .expect("the validator's key file")
}

#[test]
fn issue_15_a_subject_decided_long_ago_stays_decided_and_is_recorded_once() {
    let mut c = Cluster::new();
    c.start_all();
    let first = c.propose("once", r#"{"text":"the first"}"#, "30").ok().json();
    // More newer decisions than a validator keeps in memory.
    let set = c.set();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let set = set.clone();
            std::thread::spawn(move || {
                for n in 0..40 {
                    let content = serde_json::Map::from_iter([("n".to_string(), json!(n))]);
                    let r = echoctl::bft::client::propose(
                        &set,
                        &format!("later-{t}-{n}"),
                        &content,
                        None,
                        Duration::from_secs(30),
                    );
                    assert!(matches!(r, Ok(echoctl::bft::client::Outcome::Decided(_))));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    // Asked again, with other content: the first decision, from the ledger.
    for i in 0..4 {
        let q = ask(c.addr(i), &json!({"type": "query", "subject": "once"})).unwrap();
        assert_eq!(q["type"], "certificate", "validator {i}: {q}");
        assert_eq!(q["content"]["text"], "the first");
    }
    let again = c
        .propose("once", r#"{"text":"something else"}"#, "30")
        .ok()
        .json();
    assert_eq!(again["value"], first["value"], "{again}");
    assert_eq!(again["content"]["text"], "the first");
    std::thread::sleep(Duration::from_secs(2));
    for i in 0..4 {
        assert_eq!(decisions_for(&c, i, "once"), 1, "validator {i}");
        let (code, out) = c.verify(i);
        assert_eq!(code, 0, "validator {i}: {out}");
    }
    // Nothing is decided again without input.
    let counts: Vec<usize> = (0..4).map(|i| c.decisions(i).len()).collect();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(counts, (0..4).map(|i| c.decisions(i).len()).collect::<Vec<_>>());
}

#[test]
fn issue_15_a_restart_appends_nothing_twice_and_keeps_its_evidence() {
    let mut c = Cluster::new();
    c.start_all();
    let set = read_set(&c.env.path("validators.toml"));
    for n in 0..5 {
        c.propose(&format!("before-restart-{n}"), r#"{"text":"x"}"#, "30")
            .ok();
    }
    // Validator 3 equivocates to validator 0: two different prevotes in one slot.
    let (_, evil) = load_key(&key_path(&c, 3));
    let subject = "equivocated";
    let r = ask(
        set.addresses[0],
        &json!({"type": "submit", "subject": subject, "content": {"text": "e"}}),
    )
    .unwrap();
    assert_eq!(r["type"], "ok");
    stream_frames(
        set.addresses[0],
        [
            vote(
                &set,
                &evil,
                3,
                2,
                subject,
                3,
                Some(value_id(true, &proposal_hash(subject, &json!({"text": "e"})))),
            ),
            vote(&set, &evil, 3, 2, subject, 3, Some([2; 32])),
        ]
        .into_iter()
        .chain([vote(&set, &evil, 3, 2, subject, 3, Some([3; 32]))]),
    );
    let evidence = status(&c, 0)["evidence"].as_u64().unwrap();
    assert!(evidence >= 1, "the equivocation is held");
    std::thread::sleep(Duration::from_millis(500));
    c.kill(0);
    c.start(0);
    // Its peers resend their certificates on reconnect: nothing is appended twice.
    c.propose("after-restart", r#"{"text":"x"}"#, "30").ok();
    std::thread::sleep(Duration::from_secs(2));
    for n in 0..5 {
        assert_eq!(decisions_for(&c, 0, &format!("before-restart-{n}")), 1);
    }
    assert_eq!(
        status(&c, 0)["evidence"].as_u64().unwrap(),
        evidence,
        "evidence survives a restart"
    );
    let (code, out) = c.verify(0);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn issue_15_ledger_verify_fails_two_decisions_for_one_subject() {
    let mut c = Cluster::new();
    c.start_all();
    c.propose("twice", r#"{"text":"x"}"#, "30").ok();
    c.wait_decisions(1, 1);
    c.kill(1);
    let entry = c
        .env
        .run(&["--db", "n1.db", "--json", "ledger", "log", "--kind", "decision"])
        .ok()
        .json_lines()[0]
        .clone();
    // Appending the same decision again is refused, and writes nothing.
    let r = c
        .env
        .run(&[
            "--db",
            "n1.db",
            "ledger",
            "append",
            "--kind",
            "decision",
            "--source",
            "x",
            "--content",
            &entry["content"].to_string(),
        ])
        .code(2);
    assert!(
        r.stderr.contains("already recorded") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    // Forged into the file behind echoctl's back, verify fails the ledger.
    crate::harness::forge_after_last_in(&c.env.path("n1.db"), |e| {
        e.kind = "decision".into();
        e.refs = vec![];
        e.content = entry["content"].as_object().unwrap().clone();
    });
    let r = c
        .env
        .run(&["--db", "n1.db", "--json", "ledger", "verify"])
        .code(1);
    assert!(r.stdout.contains("second BFT decision"), "{}", r.stdout);
}

#[test]
fn issue_15_trickling_connections_do_not_lock_out_clients() {
    let mut c = Cluster::new();
    c.start_all();
    let addr = c.addr(0);
    // 300 connections, each sending one byte of a frame a second.
    let mut held: Vec<TcpStream> = (0..300).filter_map(|_| TcpStream::connect(addr).ok()).collect();
    let started = Instant::now();
    let mut closed = 0;
    let mut clients_served = false;
    while started.elapsed() < Duration::from_secs(14) {
        for s in &mut held {
            let _ = s.write_all(&[0]);
        }
        if !clients_served && started.elapsed() > Duration::from_secs(2) {
            // Meanwhile status and propose are served.
            let st = c
                .env
                .run(&["--json", "bft", "status", "--validators", "validators.toml"])
                .ok()
                .json();
            assert_eq!(st["reachable"], 4, "{st}");
            let v = c.propose("during-trickle", r#"{"text":"x"}"#, "30").ok().json();
            assert_eq!(v["decision"], "approve");
            clients_served = true;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(clients_served);
    // No trickling connection outlives the frame deadline (10 s).
    for s in &mut held {
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut b = [0u8; 64];
        // Closed: the end of the stream, a reset, or an error answer before the end.
        let open = matches!(s.read(&mut b), Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
        closed += usize::from(!open);
    }
    assert_eq!(
        closed,
        held.len(),
        "{closed} of {} trickling connections were closed",
        held.len()
    );
    within_bound(&c, &[0], "after the trickle");
}

/// A fake validator at `addr` that answers every request with `answer(request)`, one
/// byte every `pace` (zero: at once).
fn fake(addr: SocketAddr, pace: Duration, answer: impl Fn(&Value) -> Value + Send + 'static) {
    let l = std::net::TcpListener::bind(addr).unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let Some(req) = recv(&mut s) else { continue };
            let bytes = frame(&answer(&req));
            if pace.is_zero() {
                let _ = s.write_all(&bytes);
            } else {
                for b in bytes {
                    if s.write_all(&[b]).is_err() {
                        break;
                    }
                    std::thread::sleep(pace);
                }
            }
        }
    });
}

#[test]
fn issue_16_bft_status_counts_only_signed_answers_and_escapes_what_peers_say() {
    let c = Cluster::new();
    let set = read_set(&c.env.path("validators.toml"));
    let status_of = |index: u64, cluster: &str| {
        json!({"type": "status", "name": format!("node{index}"), "index": index, "cluster": cluster,
               "epoch": 1, "validators_hash": hex(&set.hash), "open": 0, "in_progress": [],
               "recent_decisions": [{"subject": "evil\x1b[2J\r\x07", "decision": "approve", "round": 0}],
               "peers": [], "decisions": 1, "evidence": 0})
    };
    // Validator 0 answers one byte a second (its answer would take minutes: status must
    // give up on it at its deadline); 1 is of another cluster; 2 claims to be validator
    // 0, unsigned; 3 answers a bare ok.
    let (s0, s1, s2) = (
        status_of(0, "test.cluster"),
        status_of(1, "other.cluster"),
        status_of(0, "test.cluster"),
    );
    fake(set.addresses[0], Duration::from_secs(1), move |_| s0.clone());
    fake(set.addresses[1], Duration::ZERO, move |_| s1.clone());
    fake(set.addresses[2], Duration::ZERO, move |_| s2.clone());
    fake(set.addresses[3], Duration::ZERO, |_| json!({"type": "ok"}));
    let r = c
        .env
        .run(&["--json", "bft", "status", "--validators", "validators.toml"])
        .code(3);
    let v = r.json();
    assert_eq!(v["reachable"], 0, "{v}");
    for (i, val) in v["validators"].as_array().unwrap().iter().enumerate() {
        assert_eq!(val["reachable"], false, "validator {i}: {val}");
        assert!(
            val["problem"].as_str().is_some_and(|p| !p.is_empty()),
            "validator {i}: {val}"
        );
    }
    let t = c
        .env
        .run(&[
            "bft",
            "status",
            "--validators",
            "validators.toml",
            "--timeout",
            "2",
        ])
        .code(3);
    for bad in ['\x1b', '\r', '\x07'] {
        assert!(
            !t.stdout.contains(bad) && !t.stderr.contains(bad),
            "{:?}",
            t.stdout
        );
    }
}
