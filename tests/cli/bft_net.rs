//! Real validators: four `echoctl bft serve` processes on loopback, each with its own
//! ledger, and the real `echoctl bft propose` client. A malicious validator is played by a
//! test client that speaks the protocol with validator 3's key.

use crate::harness::{Run, TestEnv};
use echoctl::bft::consensus::Kind;
use echoctl::bft::message::{proposal_hash, value_id, Decision, Vote};
use echoctl::bft::validators::ValidatorSet;
use echoctl::bft::wire;
use echoctl::ledger::store::Location;
use echoctl::sign::file::KeyFile;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

pub struct Cluster {
    pub env: TestEnv,
    pub ports: Vec<u16>,
    pub nodes: Vec<Option<Child>>,
    pub keys: Vec<String>,
    /// Each validator's ledger: n{i}.db, or a PostgreSQL database.
    pub dbs: Vec<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

impl Cluster {
    /// Four ledgers and keys, and the validators file naming them.
    pub fn new() -> Self {
        Self::seeded("test-seed")
    }

    /// A cluster whose keys come from another seed (another set of validators).
    pub fn seeded(seed: &str) -> Self {
        Self::on(seed, (0..4).map(|i| format!("n{i}.db")).collect())
    }

    /// A cluster whose validators keep their ledgers at `dbs`.
    pub fn on(seed: &str, dbs: Vec<String>) -> Self {
        let env = TestEnv {
            seed: seed.into(),
            ..TestEnv::new()
        };
        let mut toml = String::from("cluster = \"test.cluster\"\nepoch = 1\n");
        let mut ports = Vec::new();
        let mut keys = Vec::new();
        for (i, db) in dbs.iter().enumerate() {
            let vkey = env
                .run(&["--db", db, "init", "--origin", &format!("node{i}.example")])
                .ok()
                .stdout
                .trim()
                .to_owned();
            let port = free_port();
            toml.push_str(&format!(
                "[[validator]]\nname = \"node{i}\"\nkey = \"{vkey}\"\naddress = \"127.0.0.1:{port}\"\n"
            ));
            ports.push(port);
            keys.push(vkey);
        }
        std::fs::write(env.path("validators.toml"), toml).unwrap();
        Cluster {
            env,
            ports,
            nodes: (0..4).map(|_| None).collect(),
            keys,
            dbs,
        }
    }

    pub fn start(&mut self, i: usize) {
        self.start_with(i, &[], &[]);
    }

    /// Starts validator i with extra arguments and environment.
    pub fn start_with(&mut self, i: usize, extra: &[&str], vars: &[(&str, &str)]) {
        let db = self.dbs[i].clone();
        let mut args = vec!["--db", db.as_str(), "bft", "serve", "--timeout-ms", "200"];
        if !extra.contains(&"--validators") {
            args.extend_from_slice(&["--validators", "validators.toml"]);
        }
        args.extend_from_slice(extra);
        let mut cmd = self.env.command(&args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        // Its log, kept across restarts: n{i}.log.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.env.path(&format!("n{i}.log")))
            .expect("open the validator's log");
        let child = cmd
            .env_remove("ECHOCTL_TIMESTAMP")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start a validator");
        self.nodes[i] = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.ports[i]));
        let t = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "validator {i} did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn start_all(&mut self) {
        for i in 0..4 {
            self.start(i);
        }
    }

    /// What validator i logged so far.
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.env.path(&format!("n{i}.log"))).unwrap_or_default()
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn propose(&self, subject: &str, content: &str, timeout: &str) -> Run {
        self.env.run(&[
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
            timeout,
        ])
    }

    pub fn set(&self) -> ValidatorSet {
        ValidatorSet::load(&self.env.path("validators.toml")).unwrap()
    }

    pub fn addr(&self, i: usize) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.ports[i]))
    }

    /// The decision entries of node i's ledger (their `bft` objects).
    pub fn decisions(&self, i: usize) -> Vec<Value> {
        let db = &self.dbs[i];
        self.env
            .run(&["--db", db, "--json", "ledger", "log", "--kind", "decision"])
            .ok()
            .json_lines()
            .into_iter()
            .map(|e| e["content"]["bft"].clone())
            .collect()
    }

    pub fn verify(&self, i: usize) -> (i32, Value) {
        let r = self
            .env
            .run(&["--db", &self.dbs[i], "--json", "ledger", "verify"]);
        let v = r.json();
        (r.code, v)
    }

    /// Waits until node i's ledger holds `n` decisions.
    pub fn wait_decisions(&self, i: usize, n: usize) -> Vec<Value> {
        let t = Instant::now();
        loop {
            let d = self.decisions(i);
            if d.len() >= n || t.elapsed() > Duration::from_secs(20) {
                return d;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Node `from`'s first decision with one byte of one precommit signature changed: a
    /// certificate that must not verify. `ledger append` refuses it (exit 2, nothing
    /// written); it is then written into ledger `db` behind echoctl's back.
    pub fn append_forged_decision(&self, from: usize, db: &str) {
        let mut forged = self.decisions(from)[0].clone();
        let sig = forged["precommits"][0]["sig"].as_str().unwrap().to_owned();
        let mut bytes = sig.into_bytes();
        bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
        forged["precommits"][0]["sig"] = json!(String::from_utf8(bytes).unwrap());
        let content = json!({"text": "forged", "bft": forged});
        let text = content.to_string();
        let size = |env: &TestEnv| {
            env.run(&["--db", db, "--json", "ledger", "log"])
                .ok()
                .json_lines()
                .len()
        };
        let before = size(&self.env);
        let r = self
            .env
            .run(&[
                "--db",
                db,
                "ledger",
                "append",
                "--kind",
                "decision",
                "--source",
                "x",
                "--content",
                &text,
            ])
            .code(2);
        assert!(r.stderr.contains("does not verify"), "{}", r.stderr);
        assert_eq!(size(&self.env), before, "a refused append writes nothing");
        crate::harness::forge_after_last_in(&self.env.path(db), |e| {
            e.kind = "decision".into();
            e.source = "x".into();
            e.refs = vec![];
            e.content = content.as_object().unwrap().clone();
        });
    }

    /// Validator 3's key file, for playing the malicious validator.
    pub fn key_of(&self, i: usize) -> KeyFile {
        let dir = self.env.path("config/echoctl/keys");
        let path = dir.join(format!("node{i}.example.key"));
        KeyFile::load(&path).unwrap_or_else(|_| {
            let found = dir
                .read_dir()
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().contains(&format!("node{i}")))
                .expect("key file");
            KeyFile::load(&found).unwrap()
        })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..4 {
            self.kill(i);
        }
    }
}

#[test]
fn four_validators_decide_and_every_ledger_verifies_the_certificate() {
    let mut c = Cluster::new();
    let metrics = free_port();
    let metrics_addr = format!("127.0.0.1:{metrics}");
    c.start_with(0, &["--metrics", &metrics_addr], &[]);
    for i in 1..4 {
        c.start(i);
    }
    let r = c
        .propose("deploy-v2", r#"{"text":"deploy v2 to production"}"#, "20")
        .ok();
    let v = r.json();
    assert_eq!(v["decided"], true, "{v}");
    assert_eq!(v["decision"], "approve");
    assert!(v["precommits"].as_array().unwrap().len() >= 3, "{v}");
    let value = v["value"].clone();
    for i in 0..4 {
        let d = c.wait_decisions(i, 1);
        assert_eq!(d.len(), 1, "node {i}");
        assert_eq!(d[0]["subject"], "deploy-v2");
        assert_eq!(d[0]["value"], value, "node {i} decided something else");
        assert_eq!(d[0]["validators"].as_array().unwrap().len(), 4);
        let (code, v) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {v}");
    }
    // Status, as JSON: everyone reachable, the decision listed.
    let st = c
        .env
        .run(&["--json", "bft", "status", "--validators", "validators.toml"])
        .ok()
        .json();
    assert_eq!(st["reachable"], 4);
    assert_eq!(st["quorum"], 3);
    assert_eq!(
        st["validators"][0]["status"]["recent_decisions"][0]["subject"], "deploy-v2",
        "{st}"
    );
    // Prometheus metrics from node 0 (its peer connections may still be in reconnect
    // backoff right after start: wait for them).
    let scrape = || {
        let mut m = TcpStream::connect(("127.0.0.1", metrics)).unwrap();
        m.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        m.read_to_string(&mut text).unwrap();
        text
    };
    let t = Instant::now();
    let mut text = scrape();
    while !text.contains("echoctl_bft_peers_up 3") && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
        text = scrape();
    }
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains("\nechoctl_bft_decisions_total 1\n"), "{text}");
    assert!(
        text.contains("echoctl_bft_decision_latency_seconds_count 1"),
        "{text}"
    );
    assert!(
        text.contains("echoctl_bft_decision_latency_seconds_bucket{le=\"+Inf\"} 1"),
        "{text}"
    );
    assert!(text.contains("echoctl_bft_peers_up 3"), "{text}");
    // A subject is decided once: proposing it again returns the same certificate.
    let again = c
        .propose("deploy-v2", r#"{"text":"something else"}"#, "20")
        .ok()
        .json();
    assert_eq!(again["value"], value);

    // verify re-checks certificates offline: a decision entry whose certificate does not
    // verify (one signature byte changed) fails the ledger.
    c.append_forged_decision(0, "n1.db");
    let (code, v) = c.verify(1);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("certificate"),
        "{v}"
    );
}

#[test]
fn one_down_the_others_decide_two_down_nothing_until_they_return() {
    let mut c = Cluster::new();
    c.start_all();
    c.kill(3);
    let v = c.propose("one-down", r#"{"text":"a"}"#, "20").ok().json();
    assert_eq!(v["decision"], "approve", "{v}");
    c.kill(2);
    // Two of four: no quorum reachable (exit 3), and no decision anywhere.
    let r = c.propose("two-down", r#"{"text":"b"}"#, "2").code(3);
    assert!(r.stderr.contains("quorum"), "{}", r.stderr);
    std::thread::sleep(Duration::from_millis(500));
    for i in 0..2 {
        assert!(
            c.decisions(i).iter().all(|d| d["subject"] != "two-down"),
            "node {i} decided without a quorum"
        );
    }
    // Bring them back: the open subject is decided, and the nodes that were down catch
    // up on what they missed.
    c.start(2);
    c.start(3);
    for i in 0..4 {
        let d = c.wait_decisions(i, 2);
        let subjects: Vec<&str> = d.iter().filter_map(|x| x["subject"].as_str()).collect();
        assert!(
            subjects.contains(&"two-down") && subjects.contains(&"one-down"),
            "node {i}: {subjects:?}"
        );
        let (code, v) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {v}");
    }
    let values: Vec<Value> = (0..4)
        .map(|i| {
            c.decisions(i)
                .into_iter()
                .find(|d| d["subject"] == "two-down")
                .unwrap()["value"]
                .clone()
        })
        .collect();
    assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
}

/// Sends raw bytes and returns what the node answered before closing (if anything).
fn raw(addr: SocketAddr, bytes: &[u8]) -> Option<Value> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).unwrap();
    wire::read_frame(&mut s).ok().flatten()
}

fn frame(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    wire::write_frame(&mut out, v).unwrap();
    out
}

#[test]
fn a_malicious_validator_and_garbage_do_not_stop_the_honest_three() {
    let mut c = Cluster::new();
    for i in 0..3 {
        c.start(i);
    }
    let addr = c.addr(0);
    let set = c.set();
    let evil = c.key_of(3);
    // A connection held half-open: two bytes of a length prefix, then nothing.
    let mut half_open = TcpStream::connect(addr).unwrap();
    half_open.write_all(&[0, 0]).unwrap();

    let error = |v: Option<Value>| {
        let v = v.expect("an answer");
        assert_eq!(v["type"], "error", "{v}");
        v["message"].as_str().unwrap().to_owned()
    };
    // Garbage, oversized and empty frames, not JSON, not an object, unknown types.
    assert!(error(raw(addr, &[0xff, 0xff, 0xff, 0xff])).contains("frame length"));
    assert!(error(raw(addr, &[0, 0, 0, 0])).contains("frame length"));
    let mut junk = vec![0, 0, 0, 5];
    junk.extend_from_slice(b"hello");
    assert!(error(raw(addr, &junk)).contains("not JSON"));
    assert!(error(raw(addr, &frame(&json!([1, 2])))).contains("not a JSON object"));
    assert!(error(raw(addr, &frame(&json!({"type": "launch"})))).contains("unknown"));

    // Votes from validator 3 that must all be refused.
    let subject = "evil-test";
    let content = serde_json::Map::from_iter([("text".to_string(), json!("x"))]);
    let ph = proposal_hash(subject, &content);
    let v = value_id(Decision::Approve, &ph);
    let good = Vote::sign(&set, &evil, subject, 0, Kind::Prevote(Some(v)), 3).unwrap();
    let refused = |vote: &Vote, why: &str| {
        let msg = error(raw(addr, &frame(&wire::vote_json(vote, None))));
        assert!(msg.contains("signature"), "{why}: {msg}");
    };
    // A bad signature.
    let mut bad = good.clone();
    bad.sig[0] ^= 1;
    refused(&bad, "bad signature");
    // A key that is not a validator's.
    let stranger = KeyFile::from_seed("stranger", [4; 32]).unwrap();
    refused(
        &Vote::sign(&set, &stranger, subject, 0, Kind::Prevote(Some(v)), 3).unwrap(),
        "non-validator key",
    );
    // Another cluster id (a set with the same validators under another name).
    let other_toml = std::fs::read_to_string(c.env.path("validators.toml"))
        .unwrap()
        .replace("test.cluster", "other.cluster");
    let other = ValidatorSet::parse(&other_toml).unwrap();
    refused(
        &Vote::sign(&other, &evil, subject, 0, Kind::Prevote(Some(v)), 3).unwrap(),
        "other cluster",
    );
    // Replayed into another subject, another round, or as a precommit.
    let mut replay = good.clone();
    replay.subject = "another-subject".into();
    refused(&replay, "other subject");
    let mut replay = good.clone();
    replay.round = 1;
    refused(&replay, "other round");
    let mut replay = good.clone();
    replay.kind = Kind::Precommit(Some(v));
    refused(&replay, "prevote as precommit");
    // The same valid vote twice is accepted (and counted once): no error, connection stays.
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(&frame(&wire::vote_json(&good, None))).unwrap();
    s.write_all(&frame(&wire::vote_json(&good, None))).unwrap();
    s.write_all(&frame(&json!({"type": "status"}))).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let status = wire::read_frame(&mut s).unwrap().unwrap();
    assert_eq!(status["type"], "status", "{status}");
    // Validator 3 also equivocates: a precommit for reject to node 0 of the same subject.
    let rv = value_id(Decision::Reject, &ph);
    let equivocation = Vote::sign(&set, &evil, subject, 0, Kind::Precommit(Some(rv)), 3).unwrap();
    s.write_all(&frame(&wire::vote_json(&equivocation, None)))
        .unwrap();

    // The honest three still decide, and answer.
    let v = c.propose(subject, r#"{"text":"x"}"#, "20").ok().json();
    assert_eq!(v["decision"], "approve", "{v}");
    for i in 0..3 {
        let (code, out) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {out}");
    }
    let mut buf = [0u8; 1];
    half_open
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let _ = half_open.read(&mut buf);
}

#[test]
fn fifty_concurrent_subjects_are_all_decided() {
    let mut c = Cluster::new();
    c.start_all();
    let set = c.set();
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let set = set.clone();
            std::thread::spawn(move || {
                let content = serde_json::Map::from_iter([("n".to_string(), json!(i))]);
                echoctl::bft::client::propose(
                    &set,
                    &format!("subject-{i}"),
                    &content,
                    None,
                    Duration::from_secs(30),
                )
            })
        })
        .collect();
    for h in handles {
        match h.join().unwrap().unwrap() {
            echoctl::bft::client::Outcome::Decided(cert) => assert_eq!(cert.decision, Decision::Approve),
            echoctl::bft::client::Outcome::Undecided { .. } => panic!("a subject was not decided"),
        }
    }
    for i in 0..4 {
        let d = c.wait_decisions(i, 50);
        assert_eq!(d.len(), 50, "node {i}");
        let (code, v) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {v}");
    }
}

#[test]
fn validators_files_are_checked_at_load() {
    let c = Cluster::new();
    let good = std::fs::read_to_string(c.env.path("validators.toml")).unwrap();
    assert!(ValidatorSet::parse(&good).is_ok());
    // Three validators: refused.
    let three: String = good
        .split("[[validator]]")
        .take(4)
        .collect::<Vec<_>>()
        .join("[[validator]]");
    assert!(ValidatorSet::parse(&three)
        .unwrap_err()
        .to_string()
        .contains("at least 4"));
    // The same key twice.
    let dup = good.replace(&c.keys[1], &c.keys[0]);
    assert!(ValidatorSet::parse(&dup)
        .unwrap_err()
        .to_string()
        .contains("same key"));
    // The CLI says so with exit 2.
    std::fs::write(c.env.path("bad.toml"), dup).unwrap();
    let r = c
        .env
        .run(&[
            "bft",
            "propose",
            "--validators",
            "bad.toml",
            "--subject",
            "s",
            "--content",
            "{}",
        ])
        .code(2);
    assert!(r.stderr.contains("same key"), "{}", r.stderr);
    // No validators reachable at all: exit 3.
    c.env
        .run(&[
            "bft",
            "propose",
            "--validators",
            "validators.toml",
            "--subject",
            "s",
            "--content",
            "{}",
            "--timeout",
            "1",
        ])
        .code(3);
    c.env
        .run(&["bft", "status", "--validators", "validators.toml"])
        .code(3);
}

#[test]
fn manual_policy_waits_for_operators_and_auto_policy_applies_constraints() {
    let mut c = Cluster::new();
    for i in 0..4 {
        c.start_with(i, &["--policy", "manual"], &[]);
    }
    // Nobody has judged: not decided within the timeout (exit 1).
    let r = c.propose("hire", r#"{"text":"hire a DBA"}"#, "1").code(1);
    assert_eq!(r.json()["decided"], false);
    let node = |i: usize| format!("127.0.0.1:{}", c.ports[i]);
    let pending = c
        .env
        .run(&["--json", "bft", "pending", "--node", &node(0)])
        .ok()
        .json();
    assert_eq!(pending["pending"][0]["subject"], "hire", "{pending}");
    // Three operators approve; the fourth never answers.
    for i in 0..3 {
        c.env
            .run(&[
                "bft",
                "vote",
                "hire",
                "approve",
                "--node",
                &node(i),
                "--reason",
                "needed",
            ])
            .ok();
    }
    let v = c.propose("hire", r#"{"text":"hire a DBA"}"#, "20").ok().json();
    assert_eq!(v["decision"], "approve", "{v}");
    // Voting on something decided, or unknown, is refused (exit 2).
    c.env
        .run(&["bft", "vote", "hire", "reject", "--node", &node(3)])
        .code(2);
    c.env
        .run(&["bft", "vote", "nothing-here", "approve", "--node", &node(3)])
        .code(2);
    for i in 0..4 {
        c.kill(i);
    }

    // Auto policy: a constraint in the validators' ledgers rejects what breaks it.
    for i in 0..4 {
        let db = format!("n{i}.db");
        c.env
            .run(&[
                "--db",
                &db,
                "ledger",
                "append",
                "--kind",
                "constraint",
                "--source",
                "ops",
                "--content",
                r#"{"text":"disks stay under 90%","rule":{"key":"disk.pct","op":"<=","value":90}}"#,
            ])
            .ok();
        c.start(i);
    }
    let r = c
        .propose("fill-disk", r#"{"text":"fill it","disk":{"pct":95}}"#, "20")
        .code(1);
    assert_eq!(r.json()["decision"], "reject", "{}", r.stdout);
    let v = c
        .propose("small", r#"{"text":"fine","disk":{"pct":50}}"#, "20")
        .ok()
        .json();
    assert_eq!(v["decision"], "approve");
}

/// A subject (prefix-N) whose round-0 proposer is validator `i` of 4 (PROTOCOL.md §5).
pub fn subject_proposed_by(i: usize, prefix: &str) -> String {
    (0..)
        .map(|k| format!("{prefix}-{k}"))
        .find(|s| {
            let h = echoctl::bft::message::subject_hash(s);
            u16::from_be_bytes([h[0], h[1]]) as usize % 4 == i
        })
        .unwrap()
}

/// The evidence each running validator holds (conflicting votes it received).
fn evidence(c: &Cluster, nodes: &[usize]) -> Vec<u64> {
    nodes
        .iter()
        .map(|&i| {
            let frame = echoctl::bft::frames::Frame::Status { nonce: None };
            match echoctl::bft::client::request(c.addr(i), &frame, Duration::from_secs(5)).unwrap() {
                echoctl::bft::frames::Reply::Status(s) => s.evidence,
                other => panic!("not a status: {other:?}"),
            }
        })
        .collect()
}

/// The votes a validator stored (docs/FORMAT.md §1: records of space "bft/votes", key
/// subject ‖ 0x00 ‖ round (u64 BE) ‖ step), by round and step.
fn stored_votes(c: &Cluster, i: usize) -> Vec<(String, i64, i64, String)> {
    let conn = crate::harness::sqlite(&c.env.path(&format!("n{i}.db")));
    let mut stmt = conn
        .prepare("SELECT key, value FROM records WHERE space = 'bft/votes' ORDER BY key")
        .unwrap();
    let mut rows: Vec<(String, i64, i64, String)> = stmt
        .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .unwrap()
        .map(|r| {
            let (key, value) = r.unwrap();
            let nul = key.iter().position(|b| *b == 0).unwrap();
            let round = u64::from_be_bytes(key[nul + 1..nul + 9].try_into().unwrap());
            let subject = String::from_utf8(key[..nul].to_vec()).unwrap();
            (
                subject,
                round as i64,
                i64::from(key[nul + 9]),
                String::from_utf8(value).unwrap(),
            )
        })
        .collect();
    rows.sort_by_key(|r| (r.1, r.2));
    rows
}

#[test]
fn a_validator_killed_around_persisting_a_vote_never_signs_another_for_that_slot() {
    for (point, rows_after_crash) in [("before-persist:1", 0), ("after-persist:1", 1)] {
        let mut c = Cluster::new();
        for i in 1..4 {
            c.start(i);
        }
        c.start_with(0, &[], &[("ECHOCTL_BFT_CRASH", point)]);
        // A subject whose round-0 proposer is node 0, so its first vote is its proposal.
        let subject = subject_proposed_by(0, "crash");
        let v = c.propose(&subject, r#"{"text":"c"}"#, "20").ok().json();
        assert_eq!(v["decision"], "approve", "{point}: {v}");
        // Node 0 aborted at its first vote.
        let t = Instant::now();
        let status = loop {
            if let Some(s) = c.nodes[0].as_mut().unwrap().try_wait().unwrap() {
                break s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{point}: node 0 did not crash"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(!status.success());
        c.nodes[0] = None;
        // Before the first persist nothing is stored; after it, the first vote is, and
        // so may be the vote the node signed next if the persister took both in one
        // transaction (it commits whatever is waiting, one fsync for all).
        let stored = stored_votes(&c, 0).len();
        match rows_after_crash {
            0 => assert_eq!(stored, 0, "{point}"),
            _ => assert!((1..=2).contains(&stored), "{point}: {stored} votes stored"),
        }
        let before = stored_votes(&c, 0);
        // Restarted, it re-sends what it stored, catches up, and never contradicts it.
        c.start(0);
        let d = c.wait_decisions(0, 1);
        assert_eq!(d.len(), 1, "{point}");
        assert_eq!(d[0]["value"], v["value"]);
        let after = stored_votes(&c, 0);
        for row in &before {
            assert!(after.contains(row), "{point}: a stored vote changed");
        }
        assert_eq!(
            evidence(&c, &[0, 1, 2, 3]),
            vec![0, 0, 0, 0],
            "{point}: someone saw conflicting votes"
        );
        for i in 0..4 {
            let (code, out) = c.verify(i);
            assert_eq!(code, 0, "{point} node {i}: {out}");
        }
    }
}

#[test]
fn the_vote_guard_sends_the_stored_vote_not_a_new_one() {
    let mut c = Cluster::new();
    let set = c.set();
    let key0 = c.key_of(0);
    // Node 0 already prevoted nil in round 0 of this subject (before a crash, say).
    let stored = Vote::sign(&set, &key0, "guarded", 0, Kind::Prevote(None), 0).unwrap();
    let frame = wire::vote_json(&stored, None).to_string();
    {
        use echoctl::ledger::store::{self, Mode};
        let mut s = store::open(&Location::from(&c.env.path("n0.db")), Mode::ReadWrite).unwrap();
        let mut tx = s.write().unwrap();
        echoctl::bft::guard::store(tx.as_mut(), "guarded", 0, 2, &frame).unwrap();
        tx.commit().unwrap();
    }
    c.start_all();
    let v = c.propose("guarded", r#"{"text":"g"}"#, "20").ok().json();
    assert_eq!(v["decision"], "approve", "{v}");
    for i in 0..4 {
        c.wait_decisions(i, 1);
    }
    // It would have prevoted for the proposal; the guard made it send the stored nil
    // prevote instead, so nobody saw two different prevotes from it.
    let rows = stored_votes(&c, 0);
    let prevotes: Vec<_> = rows
        .iter()
        .filter(|r| r.0 == "guarded" && r.1 == 0 && r.2 == 2)
        .collect();
    assert_eq!(prevotes.len(), 1);
    assert_eq!(prevotes[0].3, frame);
    assert_eq!(evidence(&c, &[0, 1, 2, 3]), vec![0, 0, 0, 0]);
}

#[test]
fn issue_14_a_decision_the_ledger_cannot_take_yet_is_logged_and_retried_not_dropped() {
    let mut c = Cluster::new();
    for i in 0..3 {
        c.start(i);
    }
    c.start_with(3, &[], &[("ECHOCTL_LOCK_TIMEOUT", "0.2")]);
    // Another process holds validator 3's file for writing: it can neither make its
    // votes durable nor record the decision the other three reach and push to it.
    let blocker = crate::harness::sqlite(&c.env.path("n3.db"));
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let v = c.propose("held", r#"{"text":"h"}"#, "20").ok().json();
    assert_eq!(v["decision"], "approve", "{v}");
    let t = Instant::now();
    while !c.log(3).contains("cannot record decisions") {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "no failure logged: {}",
            c.log(3)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(c.decisions(3).is_empty());
    // The file is free again: the decision it kept is recorded, once.
    blocker.execute_batch("ROLLBACK").unwrap();
    drop(blocker);
    let d = c.wait_decisions(3, 1);
    assert_eq!(d.len(), 1, "{}", c.log(3));
    assert_eq!(d[0]["subject"], "held");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(c.decisions(3).len(), 1);
    assert_eq!(c.verify(3).0, 0);
}

/// Sends one peer frame to a validator (fire and forget).
fn send_frame(addr: SocketAddr, v: &Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(&frame(v)).unwrap();
    s.flush().unwrap();
    // Give the node a moment before the connection closes.
    std::thread::sleep(Duration::from_millis(20));
}

#[test]
fn an_equivocating_proposer_gets_at_most_one_value_decided() {
    let mut c = Cluster::new();
    for i in 0..3 {
        c.start(i);
    }
    let set = c.set();
    let evil = c.key_of(3);
    // Validator 3 (a second process holding its key) is round 0's proposer and proposes
    // one thing to validators 0 and 1, another to validator 2, and votes both ways.
    let subject = subject_proposed_by(3, "equivocate");
    let p1 = serde_json::Map::from_iter([("text".to_string(), json!("plan one"))]);
    let p2 = serde_json::Map::from_iter([("text".to_string(), json!("plan two"))]);
    let v1 = value_id(Decision::Approve, &proposal_hash(&subject, &p1));
    let v2 = value_id(Decision::Approve, &proposal_hash(&subject, &p2));
    let proposal = |value, content: &serde_json::Map<String, Value>| {
        let vote = Vote::sign(
            &set,
            &evil,
            &subject,
            0,
            Kind::Proposal {
                value,
                valid_round: None,
            },
            3,
        )
        .unwrap();
        wire::vote_json(
            &vote,
            Some(&wire::ProposalBody {
                decision: Decision::Approve,
                content: content.clone(),
            }),
        )
    };
    let vote = |kind| wire::vote_json(&Vote::sign(&set, &evil, &subject, 0, kind, 3).unwrap(), None);
    for (to, value, content) in [(0, v1, &p1), (1, v1, &p1), (2, v2, &p2)] {
        send_frame(c.addr(to), &proposal(value, content));
        send_frame(c.addr(to), &vote(Kind::Prevote(Some(value))));
        send_frame(c.addr(to), &vote(Kind::Precommit(Some(value))));
    }
    // And both prevotes to validator 0: caught as equivocation.
    send_frame(c.addr(0), &vote(Kind::Prevote(Some(v2))));
    // Wait for the honest three.
    let mut decided = Vec::new();
    for i in 0..3 {
        let d = c.wait_decisions(i, 1);
        assert_eq!(d.len(), 1, "node {i} did not decide");
        decided.push(d[0]["value"].clone());
    }
    assert!(
        decided.windows(2).all(|w| w[0] == w[1]),
        "two values decided: {decided:?}"
    );
    let ev = evidence(&c, &[0, 1, 2]);
    assert!(
        ev.iter().sum::<u64>() > 0,
        "the conflicting votes were not kept: {ev:?}"
    );
    for i in 0..3 {
        let (code, out) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {out}");
    }
}

/// A TCP proxy that can be cut (all its connections dropped, new ones refused) and
/// healed: the fault injector between two validators.
struct Proxy {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    fn new(target: SocketAddr) -> Proxy {
        use std::sync::atomic::Ordering;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = cut.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(inbound) = conn else { continue };
                if flag.load(Ordering::SeqCst) {
                    continue; // dropped: the connection closes at once
                }
                let Ok(outbound) = TcpStream::connect(target) else {
                    continue;
                };
                for (mut from, mut to) in [
                    (inbound.try_clone().unwrap(), outbound.try_clone().unwrap()),
                    (outbound, inbound),
                ] {
                    let flag = flag.clone();
                    std::thread::spawn(move || {
                        from.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                        let mut buf = [0u8; 16 * 1024];
                        loop {
                            if flag.load(Ordering::SeqCst) {
                                break;
                            }
                            match from.read(&mut buf) {
                                Ok(0) => break,
                                Ok(n) => {
                                    if to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                                Err(e)
                                    if matches!(
                                        e.kind(),
                                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                                    ) => {}
                                Err(_) => break,
                            }
                        }
                        let _ = from.shutdown(std::net::Shutdown::Both);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Proxy { port, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.store(cut, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_two_two_partition_decides_nothing_then_one_value_after_healing() {
    let mut c = Cluster::new();
    let base = std::fs::read_to_string(c.env.path("validators.toml")).unwrap();
    // Node i reaches node j through proxy (i, j); each node has its own view of the
    // addresses (addresses are not part of the set hash).
    let mut proxies = Vec::new();
    for i in 0..4 {
        let mut view = base.clone();
        for j in 0..4 {
            if i != j {
                let p = Proxy::new(c.addr(j));
                view = view.replace(
                    &format!("127.0.0.1:{}\"", c.ports[j]),
                    &format!("127.0.0.1:{}\"", p.port),
                );
                proxies.push((i, j, p));
            }
        }
        std::fs::write(c.env.path(&format!("view{i}.toml")), view).unwrap();
    }
    let side = |i: usize| i / 2;
    for (i, j, p) in &proxies {
        p.set_cut(side(*i) != side(*j));
    }
    for i in 0..4 {
        let listen = format!("127.0.0.1:{}", c.ports[i]);
        let view = format!("view{i}.toml");
        c.start_with(i, &["--validators", &view, "--listen", &listen], &[]);
    }
    // Each side is asked to decide something different for the same subject.
    let submit = |i: usize, text: &str| {
        echoctl::bft::client::request(
            c.addr(i),
            &echoctl::bft::frames::Frame::Submit(echoctl::bft::frames::SubmitFrame {
                subject: "split".into(),
                content: json!({"text": text}).as_object().unwrap().clone(),
                proposer: None,
                sig: None,
            }),
            Duration::from_secs(5),
        )
        .unwrap();
    };
    submit(0, "left");
    submit(1, "left");
    submit(2, "right");
    submit(3, "right");
    std::thread::sleep(Duration::from_secs(2));
    for i in 0..4 {
        assert!(c.decisions(i).is_empty(), "node {i} decided while partitioned");
    }
    // Heal: one decision, everywhere, within a bound.
    for (_, _, p) in &proxies {
        p.set_cut(false);
    }
    let healed = Instant::now();
    let mut values = Vec::new();
    for i in 0..4 {
        let d = c.wait_decisions(i, 1);
        assert_eq!(d.len(), 1, "node {i} did not decide after healing");
        values.push(d[0]["value"].clone());
    }
    assert!(healed.elapsed() < Duration::from_secs(20));
    assert!(values.windows(2).all(|w| w[0] == w[1]), "{values:?}");
    for i in 0..4 {
        let (code, out) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {out}");
    }
}

#[test]
fn a_client_written_from_protocol_md_alone_gets_and_checks_a_decision() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/bft_client.py");
    let python_ok = std::process::Command::new("python3")
        .args(["-c", "import tomllib, cryptography"])
        .status()
        .is_ok_and(|s| s.success());
    if !python_ok {
        eprintln!("skipped: python3 with tomllib and cryptography is not available");
        return;
    }
    let mut c = Cluster::new();
    c.start_all();
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(c.env.path("validators.toml"))
        .args(["from-python", r#"{"text":"written from the spec","n":3}"#])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("approve signed by"), "{stdout}");
    // And echoctl's own client sees the same decision.
    let v = c
        .propose("from-python", r#"{"text":"written from the spec","n":3}"#, "20")
        .ok()
        .json();
    assert_eq!(v["decision"], "approve");
}

#[test]
fn a_new_validator_set_is_a_decision_of_the_old_one() {
    let mut c = Cluster::new();
    c.start_all();
    c.propose("before", r#"{"text":"epoch 1"}"#, "20").ok();
    let base = std::fs::read_to_string(c.env.path("validators.toml")).unwrap();
    std::fs::write(c.env.path("epoch2.toml"), base.replace("epoch = 1", "epoch = 2")).unwrap();
    std::fs::write(c.env.path("epoch3.toml"), base.replace("epoch = 1", "epoch = 3")).unwrap();
    // Skipping an epoch is refused by the client, and would be rejected by validators.
    c.env
        .run(&[
            "bft",
            "propose",
            "--validators",
            "validators.toml",
            "--new-validators",
            "epoch3.toml",
        ])
        .code(2);
    let v = c
        .env
        .run(&[
            "--json",
            "bft",
            "propose",
            "--validators",
            "validators.toml",
            "--new-validators",
            "epoch2.toml",
            "--timeout",
            "20",
        ])
        .ok()
        .json();
    assert_eq!(v["decision"], "approve", "{v}");
    assert_eq!(v["subject"], "validator-set/test.cluster/epoch-2");
    for i in 0..4 {
        c.wait_decisions(i, 2);
        c.kill(i);
    }
    // A set nobody approved cannot take over these ledgers.
    let r = c
        .env
        .run(&["--db", "n0.db", "bft", "serve", "--validators", "epoch3.toml"])
        .code(2);
    assert!(r.stderr.contains("no decision in it approves"), "{}", r.stderr);
    // The approved one can; it decides, and every ledger verifies across the change.
    for i in 0..4 {
        c.start_with(i, &["--validators", "epoch2.toml"], &[]);
    }
    let v = c
        .env
        .run(&[
            "--json",
            "bft",
            "propose",
            "--validators",
            "epoch2.toml",
            "--subject",
            "after",
            "--content",
            r#"{"text":"epoch 2"}"#,
        ])
        .ok()
        .json();
    assert_eq!(v["decision"], "approve");
    for i in 0..4 {
        let d = c.wait_decisions(i, 3);
        assert_eq!(d[2]["epoch"], 2, "node {i}");
        let (code, out) = c.verify(i);
        assert_eq!(code, 0, "node {i}: {out}");
    }
    // A decision certified by a set this ledger never approved fails verify.
    let mut other = Cluster::seeded("another cluster");
    other.start_all();
    other
        .propose("elsewhere", r#"{"text":"another cluster"}"#, "20")
        .ok();
    let foreign = other.wait_decisions(0, 1)[0].clone();
    let content = json!({"text": "smuggled", "bft": foreign}).to_string();
    c.env
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
            &content,
        ])
        .ok();
    let (code, out) = c.verify(1);
    assert_eq!(code, 1, "{out}");
    assert!(
        out["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("no earlier set approved"),
        "{out}"
    );
}

#[test]
fn a_court_ruling_can_require_the_validators_quorum() {
    let mut c = Cluster::new();
    c.start_all();
    let env = &c.env;
    env.run(&["--db", "court.db", "init", "--origin", "court.example"])
        .ok();
    let append = |text: &str| -> String {
        env.run(&[
            "--db",
            "court.db",
            "--json",
            "ledger",
            "append",
            "--kind",
            "observation",
            "--source",
            "ops",
            "--content",
            text,
        ])
        .ok()
        .first_id()
    };
    let a = append(r#"{"text":"db1 is up","key":"db1","value":"up"}"#);
    let b = append(r#"{"text":"db1 is down","key":"db1","value":"down"}"#);
    let open = |d: &str| {
        env.run(&[
            "--db",
            "court.db",
            "--json",
            "court",
            "open",
            "--entry",
            &a,
            "--entry",
            &b,
            "--description",
            d,
        ])
        .ok()
        .first_id()
    };
    let case = open("up or down");
    let rule = |case: &str, decision: &str| {
        env.run(&[
            "--db",
            "court.db",
            "court",
            "rule",
            case,
            "--decision",
            decision,
            "--reasoning",
            "the probe was wrong",
            "--amend",
            &a,
            "--type",
            "withdrawal",
            "--quorum",
            "validators.toml",
        ])
    };
    rule(&case, "db1 was down").ok();
    let ruling = env
        .run(&["--db", "court.db", "--json", "ledger", "log", "--kind", "ruling"])
        .ok()
        .json_lines()
        .remove(0);
    let bft = &ruling["content"]["bft"];
    assert_eq!(bft["decision"], "approve", "{ruling}");
    assert_eq!(bft["content"]["case"], case.as_str());
    assert!(bft["precommits"].as_array().unwrap().len() >= 3);
    let r = env.run(&["--db", "court.db", "--json", "ledger", "verify"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    // A ruling the validators refuse (its proposal is over 16 KiB) is not written: exit 2.
    let case2 = open("again");
    let huge = "x".repeat(17 * 1024);
    let before = env
        .run(&["--db", "court.db", "--json", "ledger", "log"])
        .ok()
        .json_lines()
        .len();
    let r = rule(&case2, &huge).code(2);
    assert!(r.stderr.contains("16384"), "{}", r.stderr);
    assert_eq!(
        env.run(&["--db", "court.db", "--json", "ledger", "log"])
            .ok()
            .json_lines()
            .len(),
        before
    );
    // Without a quorum of validators: exit 3, nothing written.
    for i in 0..3 {
        c.kill(i);
    }
    c.env
        .run(&[
            "--db",
            "court.db",
            "court",
            "rule",
            &case2,
            "--decision",
            "d",
            "--reasoning",
            "r",
            "--quorum",
            "validators.toml",
            "--timeout",
            "2",
        ])
        .code(3);
    // The check verify applies: the certificate must approve this very ruling. Reused
    // under another decision text (the writer refuses a second ruling on a closed case,
    // so this is what an attacker rewriting the file would produce), it fails.
    use echoctl::ledger::kinds::Feature;
    let mut entry = ruling.clone();
    entry.as_object_mut().unwrap().remove("leaf");
    let entry: echoctl::ledger::entry::Entry = serde_json::from_value(entry).unwrap();
    assert!(echoctl::court::Court.inspect(&entry).is_ok());
    assert!(
        echoctl::bft::Bft::default().inspect(&entry).unwrap().is_some(),
        "the certificate verifies"
    );
    let mut forged = entry.clone();
    forged.content.insert("decision".into(), json!("db1 was up"));
    let err = echoctl::court::Court.inspect(&forged).err().unwrap();
    assert!(err.contains("another ruling"), "{err}");
}

#[test]
fn the_python_auditor_checks_bft_certificates_too() {
    let mut c = Cluster::new();
    c.start_all();
    c.propose("audited", r#"{"text":"checked by audit.py","x":1.5}"#, "20")
        .ok();
    c.wait_decisions(1, 1);
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/audit.py");
    let audit = |db: &str| {
        std::process::Command::new("python3")
            .arg(&script)
            .arg(c.env.path(db))
            .output()
            .ok()
            .map(|o| {
                (
                    o.status.code().unwrap_or(-1),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                )
            })
    };
    let Some((code, out)) = audit("n1.db") else {
        eprintln!("skipped: python3 is not available");
        return;
    };
    assert_eq!(code, 0, "{out}");
    // A certificate with one signature changed, appended by hand: both verifiers refuse it.
    c.append_forged_decision(1, "n1.db");
    let (code, out) = audit("n1.db").unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("INVALID at seq 2"), "{out}");
    let (code, v) = c.verify(1);
    assert_eq!((code, v["failure"]["seq"].as_u64()), (1, Some(2)), "{v}");
}
