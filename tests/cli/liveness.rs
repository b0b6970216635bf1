//! Liveness when honest validators disagree about what is open: a subject only one
//! validator admitted is released, not held for ever; a subject one honest validator
//! refused is joined once f+1 validators vote on it. Four real validators without listed
//! proposers, validator 3 silent; the client is written from docs/PROTOCOL.md alone.

use crate::bft_net::Cluster;
use crate::hostile_peer::{ask, read_set};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// PROTOCOL.md §5: the proposer of round 0 is the first two bytes of SHA-256(subject),
/// big-endian, modulo n.
fn round0_proposer(subject: &str) -> usize {
    let h = Sha256::digest(subject.as_bytes());
    u16::from_be_bytes([h[0], h[1]]) as usize % 4
}

/// `count` subjects named `prefix-k` whose round-0 proposer is not validator 0.
fn not_proposed_by_0(prefix: &str, count: usize) -> Vec<String> {
    (0..)
        .map(|k| format!("{prefix}-{k}"))
        .filter(|s| round0_proposer(s) != 0)
        .take(count)
        .collect()
}

fn status(c: &Cluster, i: usize) -> Value {
    let s = ask(c.addr(i), &json!({"type": "status"})).expect("a status answer");
    assert_eq!(s["type"], "status", "{s}");
    s
}

/// Submits each subject to validator 0 alone; returns how many it admitted.
fn flood_validator_0(c: &Cluster, subjects: &[String]) -> usize {
    let addr = read_set(&c.env.path("validators.toml")).addresses[0];
    subjects
        .iter()
        .filter(|s| {
            let r = ask(
                addr,
                &json!({"type": "submit", "subject": s, "content": {"flood": s}}),
            );
            r.is_some_and(|v| v["type"] == "ok")
        })
        .count()
}

/// Waits (up to a minute) until `done` holds; false if it never did.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn subjects_only_one_validator_admitted_are_released_and_their_budget_freed() {
    let mut c = Cluster::new();
    for i in 0..3 {
        c.start_with(i, &["--release-after", "2"], &[]);
    }
    let subjects = not_proposed_by_0("lonely", 100);
    let admitted = flood_validator_0(&c, &subjects);
    assert_eq!(admitted, 64, "the budget of one address (PROTOCOL.md §7)");
    assert_eq!(status(&c, 0)["open"], 64);
    // A client waiting on one is told when it is released (the wait ends there).
    let addr = c.addr(0);
    let waiting = {
        let subject = subjects[1].clone();
        std::thread::spawn(move || {
            ask(
                addr,
                &json!({"type": "query", "subject": subject, "wait_ms": 10_000}),
            )
        })
    };
    // Nobody else opens them, so nobody else votes on them: released, not held for ever.
    assert!(
        eventually(|| status(&c, 0)["open"] == 0),
        "still open: {}",
        status(&c, 0)
    );
    let q = ask(addr, &json!({"type": "query", "subject": subjects[0]})).unwrap();
    assert_eq!(q["type"], "released", "{q}");
    let waited = waiting.join().unwrap().unwrap();
    assert_eq!(waited["type"], "released", "{waited}");
    assert!(c.log(0).contains("released undecided"), "{}", c.log(0));
    // The budget is free again: the same address is admitted, and a released subject can
    // be submitted again.
    let again = ask(
        addr,
        &json!({"type": "submit", "subject": subjects[0], "content": {"n": 1}}),
    )
    .unwrap();
    assert_eq!(again["type"], "ok", "{again}");
    // Nothing was decided for any of them, anywhere.
    for i in 0..3 {
        assert!(
            c.decisions(i)
                .iter()
                .all(|d| !subjects.contains(&d["subject"].as_str().unwrap_or("").to_owned())),
            "validator {i} decided a subject only one validator admitted"
        );
    }
}

#[test]
fn a_subject_one_honest_validator_refused_is_decided_when_f_plus_1_vote_on_it() {
    let mut c = Cluster::new();
    for i in 0..3 {
        c.start(i);
    }
    // Validator 0's budget for this address is full of subjects that cannot progress.
    let admitted = flood_validator_0(&c, &not_proposed_by_0("flood", 80));
    assert_eq!(admitted, 64);
    let addr = read_set(&c.env.path("validators.toml")).addresses[0];
    let refused = ask(
        addr,
        &json!({"type": "submit", "subject": "probe", "content": {}}),
    )
    .unwrap();
    assert_eq!(refused["type"], "error", "{refused}");
    // An honest proposal whose round-0 proposer is validator 0, which refuses it.
    let subject = (0..)
        .map(|k| format!("honest-{k}"))
        .find(|s| round0_proposer(s) == 0)
        .unwrap();
    let r = c.propose(&subject, r#"{"text":"deploy"}"#, "30");
    assert_eq!(r.code, 0, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_eq!(r.json()["decision"], "approve", "{}", r.stdout);
    // Every honest validator records it, once, validator 0 included.
    for i in 0..3 {
        assert!(
            eventually(|| c
                .decisions(i)
                .iter()
                .filter(|d| d["subject"] == subject.as_str())
                .count()
                == 1),
            "validator {i}: {:?}",
            c.decisions(i)
        );
        let (code, v) = c.verify(i);
        assert_eq!(code, 0, "validator {i}: {v}");
    }
}
