//! Bearer tokens for `POST /entries`: a token file of named tokens, each stored as the
//! SHA-256 of its secret (the secret itself is printed once, by `echoctl token add`, and
//! kept nowhere), optionally limited to some kinds. The file is JSON (README, "Appending
//! over HTTP"):
//!
//! ```json
//! {"version":1,"tokens":[{"name":"ci","sha256":"<64 hex>","kinds":["deploy"]}]}
//! ```
//!
//! `kinds` absent or empty: the token may append every user kind.

use crate::ledger::entry::{hex, is_kind_name};
use crate::ledger::files::write_atomically;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// The version this build reads and writes.
pub const TOKENS_VERSION: u32 = 1;
/// Every token starts with this, so that a leaked one is easy to find in logs and repos.
pub const TOKEN_PREFIX: &str = "echo_";
/// A token file larger than this is refused (about 4,000 tokens).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// What is wrong with a token file or a new token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("cannot read the token file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write the token file {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("the token file {path} is not valid: {why}")]
    Malformed { path: String, why: String },
    #[error("the token file {path} has version {version}; this build reads version {TOKENS_VERSION}")]
    Version { path: String, version: u32 },
    #[error("a token named {0:?} exists already")]
    Exists(String),
    #[error("no token is named {0:?}")]
    Missing(String),
    #[error("{0:?} is not a token name (1 to 64 letters, digits, '.', '_' or '-')")]
    Name(String),
    #[error("{0:?} is not a kind name")]
    Kind(String),
    #[error("cannot draw a random token: {0}")]
    Random(String),
}

/// One token as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredToken {
    pub name: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tokens: Vec<StoredToken>,
}

/// A token name: what the ledger records as the entry's source (`token:NAME`).
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The token file, loaded.
#[derive(Debug, Default)]
pub struct Tokens {
    list: Vec<StoredToken>,
    by_hash: HashMap<String, usize>,
}

impl Tokens {
    /// Reads `path`; a missing file is an empty list only when `missing_ok`.
    pub fn load(path: &Path, missing_ok: bool) -> Result<Tokens, TokenError> {
        let shown = path.display().to_string();
        let bytes = match std::fs::File::open(path) {
            Ok(f) => {
                let mut buf = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_FILE_BYTES + 1), &mut buf)
                    .map_err(|source| TokenError::Read {
                        path: shown.clone(),
                        source,
                    })?;
                buf
            }
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => return Ok(Tokens::default()),
            Err(source) => return Err(TokenError::Read { path: shown, source }),
        };
        let bad = |why: String| TokenError::Malformed {
            path: shown.clone(),
            why,
        };
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(bad("it is larger than 1 MiB".into()));
        }
        let file: File = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if file.version != TOKENS_VERSION {
            return Err(TokenError::Version {
                path: shown,
                version: file.version,
            });
        }
        let mut tokens = Tokens::default();
        for t in file.tokens {
            if !valid_name(&t.name) {
                return Err(bad(format!("{:?} is not a token name", t.name)));
            }
            if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("token {:?}: sha256 is not 64 hex digits", t.name)));
            }
            if let Some(k) = t.kinds.iter().find(|k| !is_kind_name(k)) {
                return Err(bad(format!("token {:?}: {k:?} is not a kind name", t.name)));
            }
            if tokens.list.iter().any(|o| o.name == t.name) {
                return Err(bad(format!("two tokens are named {:?}", t.name)));
            }
            tokens.push(t);
        }
        Ok(tokens)
    }

    fn push(&mut self, t: StoredToken) {
        self.by_hash
            .insert(t.sha256.to_ascii_lowercase(), self.list.len());
        self.list.push(t);
    }

    pub fn list(&self) -> &[StoredToken] {
        &self.list
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The token whose secret is `secret`, if any. Only the secret's hash is compared.
    pub fn find(&self, secret: &str) -> Option<&StoredToken> {
        self.by_hash.get(&digest(secret)).map(|&i| &self.list[i])
    }

    /// Adds a token named `name` and returns its secret (shown once, stored nowhere).
    pub fn add(&mut self, name: &str, kinds: Vec<String>) -> Result<String, TokenError> {
        if !valid_name(name) {
            return Err(TokenError::Name(name.to_owned()));
        }
        if let Some(k) = kinds.iter().find(|k| !is_kind_name(k)) {
            return Err(TokenError::Kind(k.clone()));
        }
        if self.list.iter().any(|t| t.name == name) {
            return Err(TokenError::Exists(name.to_owned()));
        }
        let mut raw = [0u8; 32];
        getrandom::getrandom(&mut raw).map_err(|e| TokenError::Random(e.to_string()))?;
        use base64::Engine as _;
        let secret = format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        );
        self.push(StoredToken {
            name: name.to_owned(),
            sha256: digest(&secret),
            kinds,
        });
        Ok(secret)
    }

    /// Removes the token named `name`.
    pub fn remove(&mut self, name: &str) -> Result<(), TokenError> {
        let at = self
            .list
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| TokenError::Missing(name.to_owned()))?;
        let list = std::mem::take(&mut self.list);
        self.by_hash.clear();
        for (i, t) in list.into_iter().enumerate() {
            if i != at {
                self.push(t);
            }
        }
        Ok(())
    }

    /// Writes the file (write-then-rename, readable by its owner only).
    pub fn save(&self, path: &Path) -> Result<(), TokenError> {
        let file = File {
            version: TOKENS_VERSION,
            tokens: self.list.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).map_err(|e| TokenError::Malformed {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        text.push('\n');
        let failed = |source| TokenError::Write {
            path: path.display().to_string(),
            source,
        };
        write_atomically(path, text.as_bytes(), true).map_err(failed)?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(failed)
    }
}

impl StoredToken {
    /// Whether this token may append an entry of `kind`.
    pub fn allows(&self, kind: &str) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_found_by_its_secret_and_by_nothing_else() {
        let mut t = Tokens::default();
        let secret = t.add("ci", vec!["deploy".into()]).unwrap();
        assert!(secret.starts_with(TOKEN_PREFIX));
        let found = t.find(&secret).unwrap();
        assert_eq!(found.name, "ci");
        assert!(found.allows("deploy") && !found.allows("note"));
        assert!(t.find(&t.list()[0].sha256.clone()).is_none());
        assert!(t.find(&format!("{secret}x")).is_none());
        assert!(matches!(t.add("ci", vec![]), Err(TokenError::Exists(_))));
        assert!(matches!(t.add("a b", vec![]), Err(TokenError::Name(_))));
        t.remove("ci").unwrap();
        assert!(t.find(&secret).is_none());
    }

    #[test]
    fn a_saved_token_file_loads_back_and_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let mut t = Tokens::default();
        let a = t.add("a", vec![]).unwrap();
        let b = t.add("b", vec!["note".into()]).unwrap();
        t.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&a) && !text.contains(&b));
        let back = Tokens::load(&path, false).unwrap();
        assert_eq!(back.find(&b).unwrap().kinds, vec!["note".to_owned()]);
        assert_eq!(back.find(&a).unwrap().name, "a");
        std::fs::write(&path, r#"{"version":2,"tokens":[]}"#).unwrap();
        assert!(matches!(
            Tokens::load(&path, false),
            Err(TokenError::Version { .. })
        ));
        std::fs::write(&path, r#"{"version":1,"tokens":[{"name":"x","sha256":"00"}]}"#).unwrap();
        assert!(matches!(
            Tokens::load(&path, false),
            Err(TokenError::Malformed { .. })
        ));
    }
}
