//! RFC 9162 conformance: every inclusion, consistency and subtree proof vector under
//! `$ECHOCTL_SHARED/testdata/merkle`, including those that must fail. The vectors stay in
//! ../shared; without the variable this test says it skipped.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use echoctl::ledger::merkle::{self, Hash};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn vectors_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("ECHOCTL_SHARED").filter(|v| !v.is_empty())?;
    Some(Path::new(&shared).join("testdata").join("merkle"))
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read vectors dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn hash(v: &Value) -> Result<Hash, String> {
    let s = v.as_str().ok_or("hash is not a string")?;
    let raw = B64.decode(s).map_err(|e| e.to_string())?;
    raw.try_into().map_err(|_| "hash is not 32 bytes".to_string())
}

fn bytes(v: &Value) -> Result<Vec<u8>, String> {
    B64.decode(v.as_str().ok_or("not a string")?)
        .map_err(|e| e.to_string())
}

fn path(v: &Value) -> Result<Vec<Hash>, String> {
    match v {
        Value::Null => Ok(vec![]),
        Value::Array(items) => items.iter().map(hash).collect(),
        _ => Err("proof is not an array".into()),
    }
}

fn num(v: &Value, k: &str) -> Result<u64, String> {
    v[k].as_u64().ok_or_else(|| format!("{k} missing"))
}

/// Runs one vector; Ok(()) means the proof verified.
fn check(kind: &str, v: &Value) -> Result<(), String> {
    let e = |r: Result<(), merkle::ProofError>| r.map_err(|e| e.0);
    match kind {
        "inclusion" => e(merkle::verify_inclusion(
            num(v, "leafIdx")?,
            num(v, "treeSize")?,
            &hash(&v["leafHash"])?,
            &path(&v["proof"])?,
            &hash(&v["root"])?,
        )),
        "consistency" => e(merkle::verify_consistency(
            num(v, "size1")?,
            num(v, "size2")?,
            &path(&v["proof"])?,
            &bytes(&v["root1"])?,
            &bytes(&v["root2"])?,
        )),
        "subtreeinclusion" => e(merkle::verify_subtree_inclusion(
            num(v, "leafIdx")?,
            num(v, "start")?,
            num(v, "end")?,
            &hash(&v["leafHash"])?,
            &path(&v["proof"])?,
            &hash(&v["root"])?,
        )),
        "subtreeconsistency" => e(merkle::verify_subtree_consistency(
            num(v, "start")?,
            num(v, "end")?,
            num(v, "size")?,
            &path(&v["proof"])?,
            &bytes(&v["root1"])?,
            &bytes(&v["root2"])?,
        )),
        other => Err(format!("unknown vector family {other}")),
    }
}

#[test]
fn rfc9162_merkle_vectors() {
    let Some(dir) = vectors_dir() else {
        eprintln!("skipped: set ECHOCTL_SHARED to the shared folder to run the RFC 9162 vectors");
        return;
    };
    let mut files = Vec::new();
    json_files(&dir, &mut files);
    files.sort();
    let (mut passed, mut must_fail) = (0, 0);
    let mut wrong = Vec::new();
    for f in &files {
        let kind = f
            .strip_prefix(&dir)
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().expect("wantErr");
        let got = check(&kind, &v);
        if got.is_err() != want_err {
            wrong.push(format!("{}: want error {want_err}, got {got:?}", f.display()));
        } else if want_err {
            must_fail += 1;
        } else {
            passed += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} vectors disagree:\n{}",
        wrong.len(),
        files.len(),
        wrong.join("\n")
    );
    assert!(
        files.len() >= 500,
        "expected the full vector set, found {}",
        files.len()
    );
    assert!(
        passed >= 30 && must_fail >= 400,
        "passed {passed}, refused {must_fail}"
    );
    eprintln!(
        "{} RFC 9162 vectors: {passed} verified, {must_fail} refused as they must be",
        files.len()
    );
}
