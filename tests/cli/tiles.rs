//! `ledger tiles` and `ledger verify --tiles`: the ledger as C2SP tlog-tiles, read back by
//! an independent client (the `tlog_tiles` crate, a port of Go's sumdb/tlog) and by our
//! own verifier, which must catch every changed, missing or rewritten file.

use crate::harness::{TestEnv, ORIGIN};
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A ledger of `n` entries after genesis, appended in one batch of `tag`ged observations.
fn ledger_of(n: usize, tag: &str) -> (TestEnv, String) {
    let env = TestEnv::new();
    let key = env.init();
    grow(&env, n, tag);
    (env, key)
}

fn grow(env: &TestEnv, n: usize, tag: &str) {
    let batch: String = (0..n)
        .map(|i| format!("{{\"kind\":\"observation\",\"content\":{{\"{tag}\":{i}}}}}\n"))
        .collect();
    std::fs::write(env.path("b.jsonl"), &batch).unwrap();
    env.run(&["ledger", "append", "--batch", "b.jsonl", "--source", "t", "-q"])
        .ok();
}

fn publish(env: &TestEnv, dir: &str) -> Value {
    env.run(&["--json", "ledger", "tiles", "--out", dir]).ok().json()
}

fn verify_tiles(env: &TestEnv, dir: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--json", "ledger", "verify", "--tiles", dir];
    args.extend_from_slice(extra);
    let r = env.run(&args);
    (r.code, r.json())
}

/// Every file under `dir`, relative, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, at: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The entries of an entry bundle, split by its uint16 length prefixes.
fn bundle_entries(data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        out.push(rest[2..2 + len].to_vec());
        rest = &rest[2 + len..];
    }
    out
}

#[test]
fn a_published_ledger_has_the_tlog_tiles_layout_and_verifies_from_it_alone() {
    let (env, key) = ledger_of(600, "a");
    let p = publish(&env, "pub");
    assert_eq!((p["from"].as_u64(), p["size"].as_u64()), (Some(0), Some(601)));
    let dir = env.path("pub");
    assert_eq!(
        files(&dir),
        [
            "checkpoint",
            "tile/0/000",
            "tile/0/001",
            "tile/0/002.p/89",
            "tile/1/000.p/2",
            "tile/entries/000",
            "tile/entries/001",
            "tile/entries/002.p/89",
        ]
    );
    // Entry bundles hold the canonical entries, in order; hash tiles their leaf hashes.
    let bundle = bundle_entries(&std::fs::read(dir.join("tile/entries/001")).unwrap());
    assert_eq!(bundle.len(), 256);
    let first: Value = serde_json::from_slice(&bundle[0]).unwrap();
    assert_eq!(first["seq"], 256);
    let tile = std::fs::read(dir.join("tile/0/001")).unwrap();
    let mut leaf = Sha256::new();
    leaf.update([0u8]);
    leaf.update(&bundle[0]);
    assert_eq!(&tile[..32], &leaf.finalize()[..]);
    let shown = env.run(&["ledger", "checkpoint"]).ok().stdout;
    assert_eq!(std::fs::read_to_string(dir.join("checkpoint")).unwrap(), shown);

    let (code, v) = verify_tiles(&env, "pub", &["--trust-key", &key]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["valid"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(601))
    );
    let (_, file) = env.verify_json(&[]);
    assert_eq!(v["root"], file["root"]);
}

#[test]
fn a_second_run_writes_only_the_tiles_the_tree_grew() {
    let (env, _) = ledger_of(300, "a");
    publish(&env, "pub");
    let full = env.path("pub/tile/entries/000");
    let before = std::fs::metadata(&full).unwrap().modified().unwrap();
    let again = publish(&env, "pub");
    assert_eq!(
        (again["written"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(0))
    );
    grow(&env, 300, "b");
    let grown = publish(&env, "pub");
    assert_eq!(
        (grown["from"].as_u64(), grown["size"].as_u64()),
        (Some(301), Some(601))
    );
    // tile/0 and entries 001 (full now) and 002.p/89, tile/1/000.p/2: five files.
    assert_eq!(grown["written"], 5, "{grown}");
    assert_eq!(std::fs::metadata(&full).unwrap().modified().unwrap(), before);
    // The old partial tiles stay for readers of the older checkpoint.
    assert!(env.path("pub/tile/entries/001.p/45").exists());
    assert_eq!(verify_tiles(&env, "pub", &[]).0, 0);
}

#[test]
fn a_directory_of_another_history_is_refused_and_left_as_it_was() {
    let (a, _) = ledger_of(10, "a");
    publish(&a, "pub");
    let mut b = TestEnv::new();
    b.seed = a.seed.clone();
    b.init();
    grow(&b, 20, "b");
    let target = a.path("pub");
    let before: Vec<(String, Vec<u8>)> = files(&target)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(target.join(&f)).unwrap()))
        .collect();
    let r = b
        .run(&["ledger", "tiles", "--out", target.to_str().unwrap()])
        .code(1);
    assert!(r.stderr.contains("does not extend"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: nothing was written"), "{}", r.stderr);
    let after: Vec<(String, Vec<u8>)> = files(&target)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(target.join(&f)).unwrap()))
        .collect();
    assert_eq!(before, after);
    // Another log altogether: refused the same way.
    let c = TestEnv::new();
    c.run(&["init", "--origin", "other.example/log"]).ok();
    let r = c
        .run(&["ledger", "tiles", "--out", target.to_str().unwrap()])
        .code(1);
    assert!(r.stderr.contains("publishes the log"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: nothing was written"), "{}", r.stderr);
}

/// Flips one byte of `file` under `dir`.
fn flip(dir: &Path, file: &str, at: usize) {
    let path = dir.join(file);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[at] ^= 1;
    std::fs::write(&path, bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    for f in files(from) {
        let dest = to.join(&f);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&f), dest).unwrap();
    }
}

/// A way to damage a published directory.
type Damage = Box<dyn Fn(&Path)>;

#[test]
fn any_changed_or_missing_tile_fails_verification_from_the_tiles() {
    let (env, key) = ledger_of(300, "a");
    publish(&env, "pub");
    let good = env.path("pub");
    let cases: Vec<(&str, Damage)> = vec![
        (
            "a byte of an entry",
            Box::new(|d| flip(d, "tile/entries/000", 400)),
        ),
        (
            "a byte of a partial bundle",
            Box::new(|d| flip(d, "tile/entries/001.p/45", 9)),
        ),
        ("a leaf hash", Box::new(|d| flip(d, "tile/0/001.p/45", 3))),
        ("a level-1 hash", Box::new(|d| flip(d, "tile/1/000.p/1", 31))),
        (
            "the checkpoint's root",
            Box::new(|d| {
                let note = std::fs::read_to_string(d.join("checkpoint")).unwrap();
                let lines: Vec<&str> = note.lines().collect();
                let other = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
                std::fs::write(d.join("checkpoint"), note.replace(lines[2], &other)).unwrap();
            }),
        ),
        (
            "a missing hash tile",
            Box::new(|d| std::fs::remove_file(d.join("tile/0/000")).unwrap()),
        ),
        (
            "a missing bundle",
            Box::new(|d| std::fs::remove_file(d.join("tile/entries/001.p/45")).unwrap()),
        ),
        (
            "a missing checkpoint",
            Box::new(|d| std::fs::remove_file(d.join("checkpoint")).unwrap()),
        ),
        (
            "a cut bundle",
            Box::new(|d| {
                let p = d.join("tile/entries/000");
                let b = std::fs::read(&p).unwrap();
                std::fs::write(&p, &b[..b.len() - 1]).unwrap();
            }),
        ),
    ];
    for (what, damage) in cases {
        let dir = env.path(&format!("bad-{}", what.replace(' ', "-")));
        copy_dir(&good, &dir);
        damage(&dir);
        let (code, v) = verify_tiles(&env, dir.to_str().unwrap(), &["--trust-key", &key]);
        assert_eq!(code, 1, "{what}: {v}");
        assert_eq!(v["valid"], false, "{what}: {v}");
        assert!(v["failure"]["reason"].is_string(), "{what}: {v}");
    }
    // Another key than the log's: the signature is not trusted.
    let mut other = TestEnv::new();
    other.seed = "another-seed".into();
    let stranger = other.init();
    let (code, v) = verify_tiles(&env, "pub", &["--trust-key", &stranger]);
    assert_eq!(code, 1, "{v}");
}

#[test]
fn with_a_state_file_only_new_entries_are_read_and_a_rewritten_history_fails() {
    let (env, key) = ledger_of(300, "a");
    publish(&env, "pub");
    let state = ["--trust-key", &key, "--state", "seen.json"];
    let (code, v) = verify_tiles(&env, "pub", &state);
    assert_eq!((code, v["incremental"].as_bool()), (0, Some(false)), "{v}");
    grow(&env, 300, "b");
    publish(&env, "pub");
    let (code, v) = verify_tiles(&env, "pub", &state);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["incremental"], true);
    // Entries below the last full tile seen before are not read again.
    assert_eq!(v["checked_from"], 256, "{v}");
    let saved = std::fs::read(env.path("seen.json")).unwrap();
    // Damage an old full tile: the resumed run does not read it and still passes...
    flip(&env.path("pub"), "tile/entries/000", 100);
    assert_eq!(verify_tiles(&env, "pub", &state).0, 0);
    // ...while a full run catches it.
    assert_eq!(verify_tiles(&env, "pub", &["--trust-key", &key]).0, 1);

    // The same key and origin, another history: refused, and the state is kept.
    let mut fork = TestEnv::new();
    fork.seed = env.seed.clone();
    fork.init();
    grow(&fork, 700, "c");
    publish(&fork, "forked");
    std::fs::write(fork.path("seen.json"), &saved).unwrap();
    let (code, v) = verify_tiles(&fork, "forked", &state);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["failure"]["reason"]
            .as_str()
            .unwrap()
            .contains("rewrote history"),
        "{v}"
    );
    assert_eq!(std::fs::read(fork.path("seen.json")).unwrap(), saved);

    // A log rolled back below what was seen.
    let (small, _) = ledger_of(5, "a");
    publish(&small, "small");
    std::fs::write(small.path("seen.json"), &saved).unwrap();
    let (code, v) = verify_tiles(&small, "small", &state);
    assert_eq!(code, 1, "{v}");
    assert!(
        v["failure"]["reason"].as_str().unwrap().contains("rolled back"),
        "{v}"
    );

    // A state file of another log, or not a state file: the verifier's own file is wrong.
    let mut stranger = TestEnv::new();
    stranger.seed = "stranger".into();
    stranger.run(&["init", "--origin", "other.example/log"]).ok();
    publish(&stranger, "pub");
    std::fs::write(stranger.path("seen.json"), &saved).unwrap();
    let r = stranger
        .run(&["ledger", "verify", "--tiles", "pub", "--state", "seen.json"])
        .code(3);
    assert!(r.stderr.contains("not of \"other.example/log\""), "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: pass the --state file of this log"),
        "{}",
        r.stderr
    );
    std::fs::write(stranger.path("junk.json"), "{").unwrap();
    let r = stranger
        .run(&["ledger", "verify", "--tiles", "pub", "--state", "junk.json"])
        .code(3);
    assert!(r.stderr.contains("malformed verifier state"), "{}", r.stderr);
}

#[test]
fn an_entry_of_65535_bytes_is_published_and_one_byte_more_is_refused() {
    let env = TestEnv::new();
    env.init();
    env.append(r#"{"t":"x"}"#);
    publish(&env, "probe");
    let bundle = bundle_entries(&std::fs::read(env.path("probe/tile/entries/000.p/2")).unwrap());
    let overhead = bundle[1].len() - 1;
    let text = "x".repeat(65_535 - overhead);
    env.append(&format!(r#"{{"t":"{text}"}}"#));
    let r = env
        .append_kind("observation", &format!(r#"{{"t":"{text}y"}}"#))
        .code(2);
    assert!(r.stderr.contains("65,535 bytes"), "{}", r.stderr);
    publish(&env, "pub");
    let bundle = bundle_entries(&std::fs::read(env.path("pub/tile/entries/000.p/3")).unwrap());
    assert_eq!(bundle[2].len(), 65_535);
    assert_eq!(verify_tiles(&env, "pub", &[]).0, 0);
}

// ---- an independent client: the tlog_tiles crate, checkpoint signature from the spec ----

/// Reads hash tiles from a c2sp.org/tlog-tiles directory for `tlog_tiles`, whose paths
/// are Go sumdb's (`tile/8/L/N`): the c2sp path is that without the height.
struct DirTiles(PathBuf);

impl tlog_tiles::TileReader for DirTiles {
    fn height(&self) -> u8 {
        8
    }
    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        tiles
            .iter()
            .map(|t| {
                let path = t.path().replacen("tile/8/", "tile/", 1);
                std::fs::read(self.0.join(path)).map_err(|_| tlog_tiles::Error::InvalidTile)
            })
            .collect()
    }
    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
}

/// Checks a signed note's Ed25519 signature by `vkey` (`name+keyid+base64(0x01‖key)`), as
/// c2sp.org/signed-note defines it; returns the note's body.
fn check_note(note: &str, vkey: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut parts = vkey.splitn(3, '+');
    let (name, id, key) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let key = b64.decode(key).unwrap();
    assert_eq!(key[0], 0x01, "an Ed25519 key");
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(&key);
    let key_id = &h.finalize()[..4];
    assert_eq!(hex(key_id), id);
    let (body, sigs) = note.split_at(note.find("\n\n").unwrap() + 1);
    let vk = ed25519_dalek::VerifyingKey::from_bytes(key[1..].try_into().unwrap()).unwrap();
    let line = sigs
        .lines()
        .find(|l| l.starts_with(&format!("\u{2014} {name} ")))
        .expect("a signature line by the log's key");
    let raw = b64.decode(line.rsplit(' ').next().unwrap()).unwrap();
    assert_eq!(&raw[..4], key_id);
    let sig = ed25519_dalek::Signature::from_slice(&raw[4..]).unwrap();
    vk.verify_strict(body.as_bytes(), &sig)
        .expect("the log's signature verifies");
    body.to_owned()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn an_independent_tlog_tiles_client_proves_inclusion_and_consistency_from_our_tiles() {
    let (env, key) = ledger_of(70_000, "a");
    publish(&env, "pub");
    let old_note = std::fs::read_to_string(env.path("pub/checkpoint")).unwrap();
    grow(&env, 1_000, "b");
    publish(&env, "pub");
    let dir = env.path("pub");
    let note = std::fs::read_to_string(dir.join("checkpoint")).unwrap();
    let cp = tlog_tiles::Checkpoint::from_bytes(check_note(&note, &key).as_bytes()).unwrap();
    let old = tlog_tiles::Checkpoint::from_bytes(check_note(&old_note, &key).as_bytes()).unwrap();
    assert_eq!((cp.origin(), cp.size(), old.size()), (ORIGIN, 71_001, 70_001));

    let tiles = DirTiles(dir.clone());
    let reader = tlog_tiles::TileHashReader::new(cp.size(), *cp.hash(), &tiles);
    assert!(tlog_tiles::tree_hash(cp.size(), &reader).unwrap() == *cp.hash());
    for n in [0u64, 1, 255, 256, 65_535, 65_536, 70_000, 71_000] {
        let width = (cp.size() - n / 256 * 256).min(256) as u32;
        let t = tlog_tiles::Tile::new(8, 0, n / 256, width, false);
        let bundle = std::fs::read(dir.join(t.path().replacen("tile/8/0/", "tile/entries/", 1))).unwrap();
        let entry = &bundle_entries(&bundle)[(n % 256) as usize];
        let proof = tlog_tiles::prove_record(cp.size(), n, &reader).unwrap();
        tlog_tiles::check_record(&proof, cp.size(), *cp.hash(), n, tlog_tiles::record_hash(entry))
            .unwrap_or_else(|e| panic!("entry {n}: {e}"));
    }
    let proof = tlog_tiles::prove_tree(cp.size(), old.size(), &reader).unwrap();
    tlog_tiles::check_tree(&proof, cp.size(), *cp.hash(), old.size(), *old.hash()).unwrap();
    // A changed hash in a tile is caught by the client too.
    let entry = bundle_entries(&std::fs::read(dir.join("tile/entries/001")).unwrap())[44].clone();
    let record = tlog_tiles::record_hash(&entry);
    let prove = |reader: &tlog_tiles::TileHashReader<'_>| {
        tlog_tiles::prove_record(cp.size(), 300, reader)
            .and_then(|p| tlog_tiles::check_record(&p, cp.size(), *cp.hash(), 300, record))
    };
    assert!(prove(&tlog_tiles::TileHashReader::new(cp.size(), *cp.hash(), &tiles)).is_ok());
    flip(&dir, "tile/0/001", 0);
    assert!(prove(&tlog_tiles::TileHashReader::new(cp.size(), *cp.hash(), &tiles)).is_err());
}
