//! A hostile peer and client, written from docs/PROTOCOL.md alone: its framing, canonical
//! JSON, sign bytes, set hash and key file parsing are its own, not echoctl's. Used by the
//! hostile-peer tests (tests/cli/hostile.rs) and the soak benchmark (benches/bft_soak.rs).
#![allow(dead_code)]

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A key file (§4): `PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)`, split at the first two
/// `+` after the prefix (base64 may hold `+`).
pub fn load_key(path: &std::path::Path) -> (String, SigningKey) {
    let text = std::fs::read_to_string(path).unwrap();
    let rest = text.trim().strip_prefix("PRIVATE+KEY+").unwrap();
    let mut parts = rest.splitn(3, '+');
    let (name, _hex8, b64) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let raw = B64.decode(b64).unwrap();
    assert_eq!(raw[0], 1);
    (
        name.to_owned(),
        SigningKey::from_bytes(&raw[1..33].try_into().unwrap()),
    )
}

pub fn verifier_key(name: &str, sk: &SigningKey) -> String {
    let pk = sk.verifying_key().to_bytes();
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, 0x01]);
    h.update(pk);
    let id = h.finalize();
    let mut raw = vec![1u8];
    raw.extend_from_slice(&pk);
    format!("{name}+{}+{}", hex(&id[..4]), B64.encode(raw))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn lp(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

/// What a peer needs to know of the validators file (§4).
pub struct Set {
    pub cluster: String,
    pub hash: [u8; 32],
    pub addresses: Vec<SocketAddr>,
}

pub fn read_set(path: &std::path::Path) -> Set {
    let file: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cluster = file["cluster"].as_str().unwrap().to_owned();
    let epoch = file["epoch"].as_integer().unwrap() as u64;
    let validators = file["validator"].as_array().unwrap();
    let mut b = b"echoctl/bft/validators/v1".to_vec();
    lp(&mut b, cluster.as_bytes());
    b.extend_from_slice(&epoch.to_be_bytes());
    b.extend_from_slice(&(validators.len() as u16).to_be_bytes());
    let mut addresses = Vec::new();
    for v in validators {
        lp(&mut b, v["name"].as_str().unwrap().as_bytes());
        lp(&mut b, v["key"].as_str().unwrap().as_bytes());
        addresses.push(v["address"].as_str().unwrap().parse().unwrap());
    }
    Set {
        cluster,
        hash: Sha256::digest(&b).into(),
        addresses,
    }
}

/// RFC 8785 for the JSON this attacker writes: objects, arrays, strings, small integers.
pub fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let items: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        canonical(&Value::String((*k).clone())),
                        canonical(&m[*k])
                    )
                })
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

pub fn proposal_hash(subject: &str, content: &Value) -> [u8; 32] {
    Sha256::digest(canonical(&json!({"content": content, "subject": subject})).as_bytes()).into()
}

pub fn value_id(approve: bool, ph: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"echoctl/bft/value/v1");
    h.update([u8::from(approve)]);
    h.update(ph);
    h.finalize().into()
}

/// A signed `vote` frame (§4): kind 1 proposal, 2 prevote, 3 precommit.
pub fn vote(
    set: &Set,
    sk: &SigningKey,
    from: u16,
    kind: u8,
    subject: &str,
    round: u64,
    value: Option<[u8; 32]>,
) -> Value {
    let mut b = b"echoctl/bft/v1".to_vec();
    b.push(kind);
    lp(&mut b, set.cluster.as_bytes());
    b.extend_from_slice(&set.hash);
    b.extend_from_slice(&Sha256::digest(subject.as_bytes()));
    b.extend_from_slice(&round.to_be_bytes());
    match value {
        None => b.push(0),
        Some(v) => {
            b.push(1);
            b.extend_from_slice(&v);
        }
    }
    if kind == 1 {
        b.push(0);
    }
    b.extend_from_slice(&from.to_be_bytes());
    let name = ["", "proposal", "prevote", "precommit"][kind as usize];
    json!({"type": "vote", "kind": name, "subject": subject, "round": round, "from": from,
           "value": value.map(|v| hex(&v)), "sig": B64.encode(sk.sign(&b).to_bytes())})
}

/// A signed `submit` (§4, §7).
pub fn submit(set: &Set, proposer: &(String, SigningKey), subject: &str, content: &Value) -> Value {
    let mut b = b"echoctl/bft/submit/v1".to_vec();
    lp(&mut b, set.cluster.as_bytes());
    b.extend_from_slice(&set.hash);
    b.extend_from_slice(&proposal_hash(subject, content));
    let id: String = {
        let vk = verifier_key(&proposer.0, &proposer.1);
        vk.rsplit_once('+').unwrap().0.to_owned()
    };
    json!({"type": "submit", "subject": subject, "content": content, "proposer": id,
           "sig": B64.encode(proposer.1.sign(&b).to_bytes())})
}

pub fn frame(v: &Value) -> Vec<u8> {
    let body = v.to_string().into_bytes();
    let mut f = (body.len() as u32).to_be_bytes().to_vec();
    f.extend_from_slice(&body);
    f
}

pub fn recv(s: &mut TcpStream) -> Option<Value> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    s.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// One request, one answer, on a fresh connection.
pub fn ask(addr: SocketAddr, v: &Value) -> Option<Value> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(15))).ok()?;
    s.write_all(&frame(v)).ok()?;
    recv(&mut s)
}

/// A peer connection that streams frames (peer messages get no answer).
pub fn stream_frames(addr: SocketAddr, frames: impl Iterator<Item = Value>) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut buf = Vec::new();
    for f in frames {
        buf.extend_from_slice(&frame(&f));
        if buf.len() > 1 << 16 {
            if s.write_all(&buf).is_err() {
                return;
            }
            buf.clear();
        }
    }
    let _ = s.write_all(&buf);
    // Let the validator read it all before the connection goes.
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 256];
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
}
