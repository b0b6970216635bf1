//! Property tests: the Merkle tree against an independent from-scratch implementation of
//! RFC 9162 §2.1, and the chain against random histories and random byte flips.

use echoctl::clock::Clock;
use echoctl::ledger::merkle::{self, Frontier, Hash};
use echoctl::ledger::store::Location;
use echoctl::ledger::verify::{self, Anchors};
use echoctl::ledger::{Ledger, NewEntry};
use echoctl::sign::file::KeyFile;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

/// MTH(D[n]) exactly as RFC 9162 §2.1.1 writes it.
fn mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => Sha256::digest([]).into(),
        1 => {
            let mut h = Sha256::new();
            h.update([0]);
            h.update(&d[0]);
            h.finalize().into()
        }
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            let mut h = Sha256::new();
            h.update([1]);
            h.update(mth(&d[..k]));
            h.update(mth(&d[k..]));
            h.finalize().into()
        }
    }
}

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// PATH(m, D[n]), RFC 9162 §2.1.3.1.
fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    if d.len() <= 1 {
        return vec![];
    }
    let k = split(d.len());
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1.
fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_prefix_root_equals_a_recomputation(data in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..150)) {
        let mut f = Frontier::new();
        for (i, leaf) in data.iter().enumerate() {
            f.push(merkle::leaf_hash(leaf), |_, _, _| {});
            prop_assert_eq!(f.root(), mth(&data[..=i]));
        }
    }

    #[test]
    fn inclusion_and_consistency_proofs_verify_and_bit_flips_fail(
        data in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..8), 2..100),
        pick in any::<prop::sample::Index>(),
        old in any::<prop::sample::Index>(),
        flip in any::<prop::sample::Index>(),
    ) {
        let n = data.len();
        let root = mth(&data);
        let m = pick.index(n);
        let leaf = merkle::leaf_hash(&data[m]);
        let p = path(m, &data);
        prop_assert!(merkle::verify_inclusion(m as u64, n as u64, &leaf, &p, &root).is_ok());
        if !p.is_empty() {
            let mut bad = p.clone();
            let i = flip.index(bad.len());
            bad[i][0] ^= 1;
            prop_assert!(merkle::verify_inclusion(m as u64, n as u64, &leaf, &bad, &root).is_err());
        }
        let s = old.index(n - 1) + 1;
        let c = subproof(s, &data, true);
        let old_root = mth(&data[..s]);
        prop_assert!(merkle::verify_consistency(s as u64, n as u64, &c, &old_root, &root).is_ok());
        if !c.is_empty() {
            let mut bad = c.clone();
            let i = flip.index(bad.len());
            bad[i][31] ^= 0x80;
            prop_assert!(merkle::verify_consistency(s as u64, n as u64, &bad, &old_root, &root).is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn random_histories_verify_and_any_byte_flip_is_caught(
        batches in prop::collection::vec(prop::collection::vec("[a-z ]{0,24}", 1..12), 1..6),
        victim in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("l.db");
        let key = echoctl::sign::Signers::one(KeyFile::from_seed("prop.example/log", [5; 32]).unwrap());
        let clock = Clock { now: 1_790_000_000_000, seed: Some([9; 32]) };
        let made = Ledger::init(&Location::from(&db), echoctl::features::registry(), "prop.example/log", &key, &clock).unwrap();
        let mut ledger = made.ledger;
        let mut total = 1u64;
        for texts in &batches {
            let entries = texts.iter().map(|t| {
                let mut content = serde_json::Map::new();
                content.insert("text".into(), t.clone().into());
                Ok(NewEntry { kind: "observation".into(), source: "prop".into(), content, refs: vec![] })
            });
            ledger.append::<echoctl::ledger::LedgerError>(&key, &clock, entries, &mut |_| {}).unwrap();
            total += texts.len() as u64;
        }
        drop(ledger);
        let report = verify::verify(echoctl::ledger::store::open(&Location::from(&db), echoctl::ledger::store::Mode::ReadOnly).unwrap().as_ref(), &echoctl::features::registry(), &Anchors::default(), &mut |_, _| {}).unwrap();
        prop_assert!(report.valid(), "{:?}", report.failure);
        prop_assert_eq!(report.entries, total);

        let seq = victim.index(total as usize) as u64;
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("DROP TRIGGER entries_no_update").unwrap();
        let mut body: Vec<u8> = conn.query_row("SELECT body FROM entries WHERE seq = ?1", [seq], |r| r.get(0)).unwrap();
        let i = byte.index(body.len());
        body[i] ^= mask;
        conn.execute("UPDATE entries SET body = ?1 WHERE seq = ?2", rusqlite::params![body, seq]).unwrap();
        drop(conn);
        let report = verify::verify(echoctl::ledger::store::open(&Location::from(&db), echoctl::ledger::store::Mode::ReadOnly).unwrap().as_ref(), &echoctl::features::registry(), &Anchors::default(), &mut |_, _| {}).unwrap();
        let failure = report.failure.expect("a flipped byte is always caught");
        prop_assert_eq!(failure.seq, seq, "{}", failure.reason);
    }
}

#[test]
fn receipts_for_every_entry_at_every_size_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let key = echoctl::sign::Signers::one(KeyFile::from_seed("prop.example/log", [5; 32]).unwrap());
    let clock = Clock {
        now: 1_790_000_000_000,
        seed: Some([9; 32]),
    };
    let mut ledger = Ledger::init(
        &Location::from(&db),
        echoctl::features::registry(),
        "prop.example/log",
        &key,
        &clock,
    )
    .unwrap()
    .ledger;
    for i in 0..40 {
        let mut content = serde_json::Map::new();
        content.insert("i".into(), i.into());
        let e = NewEntry {
            kind: "test".into(),
            source: "prop".into(),
            content,
            refs: vec![],
        };
        ledger
            .append::<echoctl::ledger::LedgerError>(&key, &clock, std::iter::once(Ok(e)), &mut |_| {})
            .unwrap();
    }
    let vk = key.primary().verifier();
    for size in 1..=41u64 {
        for seq in 0..size {
            let r = echoctl::ledger::proof::receipt(&ledger, seq, Some(size)).unwrap();
            let cp = echoctl::ledger::checkpoint::Checkpoint::parse(&r.note).unwrap();
            assert_eq!(cp.size, size);
            // Independently of the receipt code: the path leads to the signed root.
            let leaf = merkle::leaf_hash(&r.entry);
            merkle::verify_inclusion(seq, size, &leaf, &r.path, &cp.root).unwrap();
            assert_eq!(cp.valid_signers(std::slice::from_ref(&vk)).unwrap().len(), 1);
        }
    }
}
