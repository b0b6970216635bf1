//! Ed25519 key files in the C2SP/Go note private-key format
//! `PRIVATE+KEY+name+hex8+base64(0x01 ‖ seed)`, one line, mode 0600. A key file that is
//! group- or world-readable is refused, as ssh does.

use super::{key_id, valid_key_name, Result, SignError, Signer, ALG_ED25519};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use std::io::Write;
use std::path::Path;

/// An Ed25519 key held in memory, loaded from or written to a key file.
pub struct KeyFile {
    name: String,
    key: SigningKey,
}

impl KeyFile {
    /// A key from a 32-byte seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self> {
        if !valid_key_name(name) {
            return Err(SignError::KeyName(name.to_owned()));
        }
        Ok(KeyFile {
            name: name.to_owned(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// The 32-byte seed (the private key), for importing it into an HSM.
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The private key string.
    pub fn encode(&self) -> String {
        let mut raw = Vec::with_capacity(33);
        raw.push(ALG_ED25519);
        raw.extend_from_slice(self.key.as_bytes());
        let id = key_id(&self.name, &self.public_key());
        format!("PRIVATE+KEY+{}+{id:08x}+{}", self.name, B64.encode(raw))
    }

    /// Parses a private key string.
    pub fn decode(text: &str) -> Result<Self> {
        let bad = SignError::KeyFileFormat;
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("it does not start with PRIVATE+KEY+"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hex8), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected name+keyid+key"));
        };
        let raw = B64.decode(b64).map_err(|_| bad("bad base64"))?;
        if raw.len() != 33 || raw[0] != ALG_ED25519 {
            return Err(bad("not an Ed25519 key"));
        }
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&raw[1..]);
        let kf = KeyFile::from_seed(name, seed)?;
        if format!("{:08x}", key_id(name, &kf.public_key())) != hex8 {
            return Err(bad("the key ID does not match the key"));
        }
        Ok(kf)
    }

    /// Loads a key file, refusing one that others can read.
    pub fn load(path: &Path) -> Result<Self> {
        let unreadable = |source| SignError::ReadKeyFile {
            path: path.to_owned(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(unreadable)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SignError::KeyFileMode {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
        let _ = meta;
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        KeyFile::decode(&text).map_err(|e| SignError::KeyFile {
            path: path.to_owned(),
            why: match e {
                SignError::KeyFileFormat(why) => why.to_owned(),
                other => other.to_string(),
            },
        })
    }

    /// Writes the key to a new file with mode 0600; never overwrites.
    pub fn write_new(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| SignError::Directory {
                path: dir.to_owned(),
                source,
            })?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let failed = |source| SignError::CreateKeyFile {
            path: path.to_owned(),
            source,
        };
        let mut f = opts.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                SignError::KeyFileExists(path.to_owned())
            } else {
                failed(e)
            }
        })?;
        f.write_all(format!("{}\n", self.encode()).as_bytes())
            .map_err(failed)?;
        f.sync_all().map_err(failed)
    }
}

impl Signer for KeyFile {
    fn name(&self) -> &str {
        &self.name
    }
    fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }
    fn sign(&self, msg: &[u8]) -> Result<[u8; 64]> {
        Ok(self.key.sign(msg).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::VerifierKey;

    #[test]
    fn round_trip_and_verify() {
        let k = KeyFile::from_seed("example.com/log", [7u8; 32]).unwrap();
        let again = KeyFile::decode(&k.encode()).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        let vk = VerifierKey::parse(&k.verifier().to_string()).unwrap();
        let sig = k.sign(b"hello").unwrap();
        assert!(vk.verify(b"hello", &sig));
        assert!(!vk.verify(b"hellp", &sig));
    }
}
