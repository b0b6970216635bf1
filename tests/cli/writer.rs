//! A long-lived writer (a validator's ledger handle) takes two shortcuts: it does not verify
//! again the signatures of the checkpoint it committed itself, and its BFT feature takes
//! as verified the decisions the validator vouches for. Neither may let through what a
//! fresh writer would refuse.

use crate::harness::{sqlite, TestEnv};
use echoctl::bft::message::{Certificate, Decision};
use echoctl::bft::validators::ValidatorSet;
use echoctl::bft::{Bft, Vouched};
use echoctl::clock::Clock;
use echoctl::ledger::kinds::Kinds;
use echoctl::ledger::store::Location;
use echoctl::ledger::{Ledger, LedgerError, NewEntry};
use echoctl::sign::file::KeyFile;
use echoctl::sign::{Signer, Signers};
use serde_json::{json, Map, Value};
use std::path::Path;
use std::sync::Arc;

const ORIGIN: &str = "writer.example/ops";

fn clock() -> Clock {
    Clock {
        now: 1_790_000_000_000,
        seed: Some([3; 32]),
    }
}

fn signers() -> Signers {
    Signers::one(KeyFile::from_seed(ORIGIN, [9; 32]).unwrap())
}

fn append(ledger: &mut Ledger, content: Map<String, Value>) -> Result<(), LedgerError> {
    let entry = NewEntry {
        kind: "decision".into(),
        source: "bft".into(),
        content,
        refs: vec![],
    };
    ledger
        .append::<LedgerError>(&signers(), &clock(), std::iter::once(Ok(entry)), &mut |_| {})
        .map(drop)
}

fn text(t: &str) -> Map<String, Value> {
    json!({ "text": t }).as_object().unwrap().clone()
}

#[test]
fn a_long_lived_writer_checks_again_a_checkpoint_changed_behind_its_back() {
    let env = TestEnv::new();
    let db = env.db();
    let mut ledger = Ledger::init(
        &Location::from(&db),
        Arc::new(Kinds::ledger()),
        ORIGIN,
        &signers(),
        &clock(),
    )
    .unwrap()
    .ledger;
    append(&mut ledger, text("one")).unwrap();
    append(&mut ledger, text("two")).expect("its own checkpoint is taken as it wrote it");
    // Another hand spoils the newest checkpoint's signature (same size, same root).
    let conn = sqlite(&db);
    crate::harness::unguard(&conn, "checkpoints");
    let (size, note): (i64, String) = conn
        .query_row(
            "SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let sig_line = note.lines().last().unwrap();
    let spoiled_line = {
        let (head, sig) = sig_line.rsplit_once(' ').unwrap();
        let mut sig = sig.to_owned().into_bytes();
        sig[10] = if sig[10] == b'A' { b'B' } else { b'A' };
        format!("{head} {}", String::from_utf8(sig).unwrap())
    };
    let spoiled = note.replace(sig_line, &spoiled_line);
    assert_ne!(spoiled, note);
    conn.execute(
        "UPDATE checkpoints SET note = ?1 WHERE size = ?2",
        rusqlite::params![spoiled, size],
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(&db).unwrap();
    let err = append(&mut ledger, text("three")).unwrap_err();
    assert!(err.to_string().contains("checkpoint"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing was written");
}

/// A decision content whose certificate has well-formed but wrong signatures.
fn forged_decision(dir: &Path, subject: &str) -> Map<String, Value> {
    let mut toml = String::from("cluster = \"writer\"\nepoch = 1\n");
    for i in 0..4u8 {
        let key = KeyFile::from_seed(&format!("v{i}.writer"), [i + 1; 32]).unwrap();
        toml.push_str(&format!(
            "[[validator]]\nname = \"v{i}\"\nkey = \"{}\"\naddress = \"127.0.0.1:{}\"\n",
            key.verifier(),
            7100 + u16::from(i)
        ));
    }
    let path = dir.join("validators.toml");
    std::fs::write(&path, toml).unwrap();
    let set = ValidatorSet::load(&path).unwrap();
    let cert = Certificate {
        subject: subject.into(),
        round: 0,
        decision: Decision::Approve,
        content: text("forged"),
        precommits: (0..3u16).map(|i| (i, [7u8; 64])).collect(),
    };
    echoctl::bft::node::decision_content(&set, &cert)
}

#[test]
fn only_what_the_validator_vouched_for_skips_the_certificate_check() {
    let env = TestEnv::new();
    let db = env.db();
    let vouched = Vouched::default();
    let kinds = Arc::new(Kinds::ledger().with(Bft::trusting(vouched.clone())));
    let mut ledger = Ledger::init(&Location::from(&db), kinds, ORIGIN, &signers(), &clock())
        .unwrap()
        .ledger;
    let forged = forged_decision(env.dir.path(), "s-1");

    // Not vouched for: verified, and refused.
    let err = append(&mut ledger, forged.clone()).unwrap_err();
    assert!(err.to_string().contains("BFT decision"), "{err}");

    // Vouched for something else, or for the same content one byte apart: still refused.
    vouched.vouch(&forged_decision(env.dir.path(), "s-2"));
    append(&mut ledger, forged.clone()).unwrap_err();

    // Vouched for, then pushed out by 1,024 newer ones: refused again.
    vouched.vouch(&forged);
    for i in 0..1024 {
        vouched.vouch(&text(&format!("filler {i}")));
    }
    append(&mut ledger, forged.clone()).unwrap_err();

    // Vouched for: taken as the validator's word, without a second verification.
    vouched.vouch(&forged);
    append(&mut ledger, forged).expect("vouched for");
    // `ledger verify` trusts no such word: it finds the forged certificate.
    let r = env.run(&["ledger", "verify"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("BFT") || r.stdout.contains("BFT"),
        "{}",
        r.stderr
    );
}
