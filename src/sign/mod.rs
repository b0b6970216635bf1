//! Signers and verifier keys in the C2SP signed-note formats: a key name, a 4-byte key
//! ID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4], the verifier key string
//! `name+hex8+base64(0x01 ‖ public key)`. `Signer` has the key-file implementation here;
//! the HSM one in `yubihsm`.

pub mod file;
pub mod yubihsm;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// What can go wrong with keys and signing. HSM failures name the HSM; none of these
/// messages names a flag: the CLI words the hints.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no signing key given")]
    NoKey,
    #[error("key {0} is given twice")]
    Twice(String),
    #[error("invalid verifier key {}: {why}", crate::text::quoted(.text))]
    VerifierKey { text: String, why: &'static str },
    #[error("invalid key name {}: it must be non-empty, without '+' or spaces", crate::text::quoted(.0))]
    KeyName(String),
    #[error("key name {} is too long for an HSM label (at most 40 bytes)", crate::text::quoted(.0))]
    LabelTooLong(String),
    #[error("not an echoctl key file: {0}")]
    KeyFileFormat(&'static str),
    #[error("key file {}: not an echoctl key file: {why}", .path.display())]
    KeyFile { path: PathBuf, why: String },
    #[error("cannot read key file {}: {source}", .path.display())]
    ReadKeyFile { path: PathBuf, source: std::io::Error },
    #[error("key file {} is readable by others (mode {mode:o})", .path.display())]
    KeyFileMode { path: PathBuf, mode: u32 },
    #[error("key file {} already exists", .0.display())]
    KeyFileExists(PathBuf),
    #[error("cannot create key file {}: {source}", .path.display())]
    CreateKeyFile { path: PathBuf, source: std::io::Error },
    #[error("cannot create directory {}: {source}", .path.display())]
    Directory { path: PathBuf, source: std::io::Error },
    #[error("invalid HSM address {}", crate::text::quoted(.0))]
    HsmAddress(String),
    #[error("invalid YubiHSM2 serial number {}", crate::text::quoted(.0))]
    HsmSerial(String),
    #[error("this echoctl was built without USB support for the YubiHSM2")]
    NoUsb,
    #[error("the HSM at {address} already holds a key with id {key_id}")]
    HsmKeyTaken { address: String, key_id: u16 },
    #[error("{what}: the HSM at {address} has no such key")]
    HsmNoKey { what: String, address: String },
    #[error("{what}: the HSM already holds an object with that id")]
    HsmObjectExists { what: String },
    #[error("{what}: the authentication key may not do this")]
    HsmPermission { what: String },
    #[error("{what}: the HSM at {address} failed: {detail}")]
    HsmFailed {
        what: String,
        address: String,
        detail: String,
    },
    #[error("key {key_id} in the HSM at {address} is not an Ed25519 key")]
    HsmNotEd25519 { key_id: u16, address: String },
    #[error("key {key_id} in the HSM has the label {}, which is not a valid key name", crate::text::quoted(.label))]
    HsmLabel { key_id: u16, label: String },
    #[error("key {0} has a public key that is not 32 bytes")]
    HsmPublicKey(u16),
    #[error("HSM key {0} returned a signature that does not verify")]
    HsmBadSignature(u16),
    #[error("the HSM at {address} has no free session: {detail}")]
    HsmNoSession { address: String, detail: String },
    #[error(
        "the HSM at {address} refused authentication key {auth_key}: wrong password or key id ({detail})"
    )]
    HsmAuth {
        address: String,
        auth_key: u16,
        detail: String,
    },
    #[error("cannot reach the YubiHSM at {address}: {detail}")]
    HsmUnreachable { address: String, detail: String },
    #[error("the HSM holds a different public key than the file's")]
    HsmMismatch,
}

pub type Result<T, E = SignError> = std::result::Result<T, E>;

/// Signature type byte for Ed25519 in C2SP signed notes.
pub const ALG_ED25519: u8 = 0x01;
/// Signature type byte for Ed25519 `cosignature/v1` witness cosignatures.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Something that signs checkpoints with an Ed25519 key.
pub trait Signer: Send {
    /// The key name (for a ledger key: the ledger's origin).
    fn name(&self) -> &str;
    /// The Ed25519 public key.
    fn public_key(&self) -> [u8; 32];
    /// Signs `msg` with Ed25519.
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64]>;

    /// The verifier key of this signer.
    fn verifier(&self) -> VerifierKey {
        VerifierKey::new(self.name(), self.public_key())
    }
}

/// The keys that sign one write: the first names itself as the signer of the entries,
/// and every one of them signs the checkpoint (a note may carry several signatures).
pub struct Signers {
    list: Vec<Box<dyn Signer>>,
}

impl Signers {
    /// Signers in order; the first is the primary. Refuses an empty list and duplicates.
    pub fn new(list: Vec<Box<dyn Signer>>) -> Result<Self> {
        if list.is_empty() {
            return Err(SignError::NoKey);
        }
        for (i, s) in list.iter().enumerate() {
            if list[..i].iter().any(|o| o.public_key() == s.public_key()) {
                return Err(SignError::Twice(s.verifier().identity()));
            }
        }
        Ok(Signers { list })
    }

    /// One signer.
    pub fn one(signer: impl Signer + 'static) -> Self {
        Signers {
            list: vec![Box::new(signer)],
        }
    }

    /// The signer the entries name.
    pub fn primary(&self) -> &dyn Signer {
        self.list[0].as_ref()
    }

    /// The primary signer alone (for a statement one key signs).
    pub fn into_primary(mut self) -> Box<dyn Signer> {
        self.list.swap_remove(0)
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Signer> {
        self.list.iter().map(|s| s.as_ref())
    }

    /// Signers that share `shared` with other threads, holding its lock only while they
    /// sign (a validator's vote signing and its ledger writer use one key).
    pub fn shared(shared: &std::sync::Arc<std::sync::Mutex<Signers>>) -> Signers {
        let guard = shared.lock().unwrap_or_else(|p| p.into_inner());
        let list = guard
            .iter()
            .enumerate()
            .map(|(index, s)| {
                Box::new(Shared {
                    shared: std::sync::Arc::clone(shared),
                    index,
                    name: s.name().to_owned(),
                    public_key: s.public_key(),
                }) as Box<dyn Signer>
            })
            .collect();
        Signers { list }
    }
}

/// One of shared signers, locked only while it signs.
struct Shared {
    shared: std::sync::Arc<std::sync::Mutex<Signers>>,
    index: usize,
    name: String,
    public_key: [u8; 32],
}

impl Signer for Shared {
    fn name(&self) -> &str {
        &self.name
    }
    fn public_key(&self) -> [u8; 32] {
        self.public_key
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64]> {
        let guard = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        guard.list[self.index].sign(msg)
    }
}

/// Whether a key name is acceptable in a signed note: non-empty, no '+', no whitespace
/// or control characters.
pub fn valid_key_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && !name
            .chars()
            .any(|c| c == '+' || c.is_whitespace() || c.is_control())
}

/// C2SP key ID for an Ed25519 note-signing key.
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    key_id_for(name, ALG_ED25519, public_key)
}

/// C2SP key ID: SHA-256(name ‖ 0x0A ‖ signature type ‖ public key)[:4].
pub fn key_id_for(name: &str, alg: u8, public_key: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, alg]);
    h.update(public_key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A public key that verifies note signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    /// 0x01: signs checkpoints; 0x04: cosigns them (witness).
    pub alg: u8,
    pub key_id: u32,
    pub public_key: [u8; 32],
    verifying: VerifyingKey,
}

impl VerifierKey {
    /// A checkpoint-signing key (type 0x01).
    pub fn new(name: &str, public_key: [u8; 32]) -> Self {
        Self::with_alg(name, ALG_ED25519, public_key)
    }

    /// The witness (cosigner) form of a key (type 0x04).
    pub fn cosigner(name: &str, public_key: [u8; 32]) -> Self {
        Self::with_alg(name, ALG_COSIGNATURE_V1, public_key)
    }

    fn with_alg(name: &str, alg: u8, public_key: [u8; 32]) -> Self {
        // Signing keys always have valid public keys, and parse() checks the others; the
        // identity point only stands in for arbitrary bytes, which verify nothing.
        let verifying = VerifyingKey::from_bytes(&public_key)
            .unwrap_or_else(|_| VerifyingKey::from_bytes(&[0u8; 32]).expect("identity point is valid"));
        VerifierKey {
            name: name.to_owned(),
            alg,
            key_id: key_id_for(name, alg, &public_key),
            public_key,
            verifying,
        }
    }

    /// Parses `name+hex8+base64(type ‖ key)`, checking the key ID.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &'static str| SignError::VerifierKey {
            text: s.to_owned(),
            why,
        };
        let mut parts = s.trim().splitn(3, '+');
        let (Some(name), Some(hex8), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected three '+'-separated fields"));
        };
        if !valid_key_name(name) {
            return Err(bad("invalid key name"));
        }
        if hex8.len() != 8
            || !hex8
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(bad("the key ID must be 8 lowercase hex digits"));
        }
        let id = u32::from_str_radix(hex8, 16).map_err(|_| bad("bad key ID"))?;
        let raw = B64.decode(b64).map_err(|_| bad("bad base64"))?;
        if raw.len() != 33 || !matches!(raw[0], ALG_ED25519 | ALG_COSIGNATURE_V1) {
            return Err(bad(
                "expected an Ed25519 key (type 0x01, or 0x04 for a witness, and 32 bytes)",
            ));
        }
        let alg = raw[0];
        let mut pk = [0u8; 32];
        pk.copy_from_slice(&raw[1..]);
        let verifying = VerifyingKey::from_bytes(&pk).map_err(|_| bad("not a valid Ed25519 point"))?;
        if key_id_for(name, alg, &pk) != id {
            return Err(bad("the key ID does not match the name and key"));
        }
        Ok(VerifierKey {
            name: name.to_owned(),
            alg,
            key_id: id,
            public_key: pk,
            verifying,
        })
    }

    /// `name+hex8`: how entries and signature lines name this key.
    pub fn identity(&self) -> String {
        format!("{}+{:08x}", self.name, self.key_id)
    }

    /// Checks an Ed25519 signature over `msg` (strict verification: no malleability).
    pub fn verify(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        self.verifying
            .verify_strict(msg, &Signature::from_bytes(sig))
            .is_ok()
    }
}

impl std::fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.alg);
        raw.extend_from_slice(&self.public_key);
        write!(f, "{}+{:08x}+{}", self.name, self.key_id, B64.encode(raw))
    }
}
