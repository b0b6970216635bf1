//! C2SP tlog-checkpoint bodies inside C2SP signed notes: formatting, signing, parsing
//! and signature checking. A checkpoint is text (origin, tree size, base64 root, then
//! optional extension lines), a blank line, and one signature line per signer:
//! `— <key name> <base64(key ID (4 bytes, BE) ‖ Ed25519 signature)>`.

use super::error::{Document, LedgerError, Result};
use super::merkle::Hash;
use crate::sign::{SignError, Signer, VerifierKey};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// A signed note is at most this large; more is refused unread.
pub const MAX_NOTE_BYTES: usize = 1 << 20;
/// At most this many signature lines are examined.
pub const MAX_SIGNATURES: usize = 100;

/// A signature line under a known key's name and key ID that does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("it carries a signature under the name and key ID of {0} that does not verify")]
pub struct BadSignature(pub String);

/// One signature line of a note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The signature bytes after the key ID (64 for Ed25519; other lengths are kept so
    /// that unknown signature types can be ignored, as the spec asks).
    pub sig: Vec<u8>,
}

/// A parsed checkpoint with its signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extension lines after the root, without their newlines.
    pub extensions: Vec<String>,
    pub signatures: Vec<NoteSignature>,
}

impl Checkpoint {
    /// The checkpoint body that signatures cover.
    pub fn body(&self) -> String {
        let mut s = format!("{}\n{}\n{}\n", self.origin, self.size, B64.encode(self.root));
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// The whole signed note.
    pub fn to_note(&self) -> String {
        let mut s = self.body();
        s.push('\n');
        for sig in &self.signatures {
            let mut raw = sig.key_id.to_be_bytes().to_vec();
            raw.extend_from_slice(&sig.sig);
            s.push_str(&format!("\u{2014} {} {}\n", sig.name, B64.encode(raw)));
        }
        s
    }

    /// A new unsigned checkpoint.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
            signatures: Vec::new(),
        }
    }

    /// Adds a signature by `signer` over the body.
    pub fn sign(&mut self, signer: &dyn Signer) -> Result<(), SignError> {
        let sig = signer.sign(self.body().as_bytes())?;
        let vk = signer.verifier();
        self.signatures.push(NoteSignature {
            name: vk.name.clone(),
            key_id: vk.key_id,
            sig: sig.to_vec(),
        });
        Ok(())
    }

    /// The keys among `keys` that made a valid signature on this checkpoint. A signature
    /// line under the name and key ID of one of `keys` that does not verify rejects the
    /// whole note (C2SP signed-note; stricter than Go's `note.Open`, which looks only at
    /// the first such line): a valid line beside it changes nothing.
    pub fn valid_signers<'k>(&self, keys: &'k [VerifierKey]) -> Result<Vec<&'k VerifierKey>, BadSignature> {
        let body = self.body();
        let mut out = Vec::new();
        for k in keys.iter().filter(|k| k.alg == crate::sign::ALG_ED25519) {
            let mut lines = self
                .signatures
                .iter()
                .filter(|s| s.name == k.name && s.key_id == k.key_id)
                .peekable();
            if lines.peek().is_none() {
                continue;
            }
            let all_valid = lines.all(|s| {
                <[u8; 64]>::try_from(s.sig.as_slice()).is_ok_and(|sig| k.verify(body.as_bytes(), &sig))
            });
            if !all_valid {
                return Err(BadSignature(k.identity()));
            }
            out.push(k);
        }
        Ok(out)
    }

    /// Parses a signed note holding a checkpoint.
    pub fn parse(note: &str) -> Result<Self> {
        let bad = |why: &str| LedgerError::malformed(Document::Checkpoint, why);
        if note.len() > MAX_NOTE_BYTES {
            return Err(bad("larger than 1 MiB"));
        }
        if note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(bad("contains control characters"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line before the signatures"))?;
        let (text, sigs) = (&note[..=split], &note[split + 2..]);
        if !sigs.ends_with('\n') {
            return Err(bad("the signature block must end with a newline"));
        }
        let mut lines = text.lines();
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size_line = lines.next().ok_or_else(|| bad("no tree size line"))?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(bad("the tree size is not a decimal number"));
        }
        let size = size_line
            .parse::<u64>()
            .map_err(|_| bad("the tree size is too large"))?;
        let root_line = lines.next().ok_or_else(|| bad("no root hash line"))?;
        let root: Hash = B64
            .decode(root_line)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("the root hash is not 32 bytes of base64"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(String::is_empty) {
            return Err(bad("empty extension line"));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(bad("too many signatures"));
            }
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or_else(|| bad("a signature line must start with '— '"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| bad("a signature line needs a name and a signature"))?;
            let raw = B64.decode(b64).map_err(|_| bad("bad base64 in a signature"))?;
            if raw.len() < 5 {
                return Err(bad("a signature is too short"));
            }
            let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id,
                sig: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("no signatures"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
            signatures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::file::KeyFile;

    #[test]
    fn sign_parse_verify() {
        let k = KeyFile::from_seed("example.com/log", [1u8; 32]).unwrap();
        let mut cp = Checkpoint::new("example.com/log", 5, [9u8; 32]);
        cp.sign(&k).unwrap();
        let note = cp.to_note();
        let parsed = Checkpoint::parse(&note).unwrap();
        assert_eq!(parsed, cp);
        let vk = k.verifier();
        assert_eq!(parsed.valid_signers(std::slice::from_ref(&vk)).unwrap().len(), 1);
        let forged = note.replacen("\n5\n", "\n6\n", 1);
        assert!(Checkpoint::parse(&forged)
            .unwrap()
            .valid_signers(std::slice::from_ref(&vk))
            .is_err());
        // An invalid line beside a valid one, under the same name and key ID, rejects it.
        let bad = parsed.signatures[0].clone();
        let mut twice = parsed.clone();
        let mut broken = bad.clone();
        broken.sig[0] ^= 1;
        twice.signatures.push(broken);
        assert_eq!(
            twice.valid_signers(std::slice::from_ref(&vk)),
            Err(BadSignature(vk.identity()))
        );
        // Lines of other keys are ignored.
        let other = KeyFile::from_seed("example.com/other", [2u8; 32])
            .unwrap()
            .verifier();
        assert!(twice.valid_signers(&[other]).unwrap().is_empty());
        assert!(Checkpoint::parse("x\n1\n").is_err());
    }
}
