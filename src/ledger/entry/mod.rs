//! Ledger entries (format v1): the fields, the canonical bytes (RFC 8785) that are stored
//! and hashed, and the two ways to read stored bytes: the strict parser a verifier applies
//! (here) and the borrowing view the Reader Edition renders from (`view`). Which kinds
//! exist is the registry's business (`kinds`). An entry is never changed once written.

pub mod view;

use super::canon::{write_canonical, write_object, write_string};
use super::merkle::Hash;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The entry format version.
pub const FORMAT_VERSION: u32 = 1;
/// The largest canonical entry written: what a tlog-tiles entry bundle can hold (its
/// length prefix is a big-endian uint16).
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// The largest stored entry a verifier accepts: ledgers written before the limit was
/// lowered to `MAX_ENTRY_BYTES` may hold entries of exactly 64 KiB (FORMAT.md §2).
pub const MAX_STORED_ENTRY_BYTES: usize = 64 * 1024;
/// The longest `source` accepted.
pub const MAX_SOURCE_BYTES: usize = 1024;

/// Why stored bytes are not a well-formed entry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("entry is {0} bytes, above the 64 KiB limit")]
    TooLarge(usize),
    #[error("not a well-formed entry: {0}")]
    Json(String),
    #[error("stored bytes are not the RFC 8785 canonical form of the entry")]
    NotCanonical,
    #[error("unsupported entry format version {0}")]
    Version(u32),
    #[error("id {} is not a canonical ULID", crate::text::quoted(.0))]
    Id(String),
    #[error("ts {} is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS.sssZ)", crate::text::quoted(.0))]
    Ts(String),
    #[error("kind {} is not a kind name", crate::text::quoted(.0))]
    Kind(String),
    #[error("source must be 1 to 1024 bytes")]
    Source,
    #[error("ref {} is not a canonical ULID", crate::text::quoted(.0))]
    Ref(String),
}

/// Whether `kind` has the shape of a kind name: 1 to 64 lower-case ASCII letters, digits
/// and underscores. Which kinds exist is the registry's business.
pub fn is_kind_name(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 64
        && kind
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}

/// A ledger entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub v: u32,
    pub seq: u64,
    pub id: String,
    pub ts: String,
    pub kind: String,
    pub source: String,
    pub content: Map<String, Value>,
    pub refs: Vec<String>,
    #[serde(with = "hex_hash")]
    pub prev: Hash,
    pub signer: String,
}

impl Entry {
    /// The RFC 8785 canonical bytes. The top-level keys are ASCII, so their canonical order
    /// is the byte order written here.
    pub fn to_canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"content\":");
        write_object(&self.content, &mut out);
        self.write_tail(&mut out);
        out
    }

    /// Like `to_canonical` without cloning the content (hot path of batch appends).
    pub fn canonical_with(&self, content: &Value) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"content\":");
        write_canonical(content, &mut out);
        self.write_tail(&mut out);
        out
    }

    fn write_tail(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b",\"id\":");
        write_string(&self.id, out);
        out.extend_from_slice(b",\"kind\":");
        write_string(&self.kind, out);
        out.extend_from_slice(b",\"prev\":\"");
        out.extend_from_slice(hex(&self.prev).as_bytes());
        out.extend_from_slice(b"\",\"refs\":[");
        for (i, r) in self.refs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_string(r, out);
        }
        out.extend_from_slice(b"],\"seq\":");
        out.extend_from_slice(self.seq.to_string().as_bytes());
        out.extend_from_slice(b",\"signer\":");
        write_string(&self.signer, out);
        out.extend_from_slice(b",\"source\":");
        write_string(&self.source, out);
        out.extend_from_slice(b",\"ts\":");
        write_string(&self.ts, out);
        out.extend_from_slice(b",\"v\":");
        out.extend_from_slice(self.v.to_string().as_bytes());
        out.push(b'}');
    }

    /// Parses stored bytes and checks that they are exactly the canonical form of a
    /// well-formed v1 entry. Returns why not, otherwise the entry.
    pub fn parse_canonical(bytes: &[u8]) -> Result<Entry, EntryError> {
        if bytes.len() > MAX_STORED_ENTRY_BYTES {
            return Err(EntryError::TooLarge(bytes.len()));
        }
        let e: Entry = serde_json::from_slice(bytes).map_err(|err| EntryError::Json(err.to_string()))?;
        if e.to_canonical() != bytes {
            return Err(EntryError::NotCanonical);
        }
        e.check_fields()?;
        Ok(e)
    }

    /// Field rules that do not depend on other entries (nor on which kinds exist).
    pub fn check_fields(&self) -> Result<(), EntryError> {
        if self.v != FORMAT_VERSION {
            return Err(EntryError::Version(self.v));
        }
        if !is_valid_ulid(&self.id) {
            return Err(EntryError::Id(self.id.clone()));
        }
        if !crate::clock::is_entry_ts(&self.ts) {
            return Err(EntryError::Ts(self.ts.clone()));
        }
        if !is_kind_name(&self.kind) {
            return Err(EntryError::Kind(self.kind.clone()));
        }
        if self.source.is_empty() || self.source.len() > MAX_SOURCE_BYTES {
            return Err(EntryError::Source);
        }
        if let Some(bad) = self.refs.iter().find(|r| !is_valid_ulid(r)) {
            return Err(EntryError::Ref(bad.clone()));
        }
        Ok(())
    }
}

/// Whether `s` is a ULID in canonical form: 26 upper-case Crockford base32 characters,
/// first character at most '7'.
pub fn is_valid_ulid(s: &str) -> bool {
    s.len() == 26
        && s.as_bytes()[0] <= b'7'
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'H' | b'J' | b'K' | b'M' | b'N' | b'P'..=b'T' | b'V'..=b'Z'))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 0xf) as usize] as char);
    }
    s
}

/// Nibble values of lower-case hex digits; 0xff for anything else.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut c = 0;
    while c < 10 {
        t[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        t[b'a' as usize + c] = 10 + c as u8;
        c += 1;
    }
    t
};

/// Parses 64 lower-case hex digits.
pub fn parse_hash_hex(s: &str) -> Option<Hash> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let (hi, lo) = (HEX_VALUE[pair[0] as usize], HEX_VALUE[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    (bad & 0xf0 == 0).then_some(out)
}

mod hex_hash {
    use super::*;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        parse_hash_hex(&s).ok_or_else(|| serde::de::Error::custom("prev must be 64 lower-case hex digits"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        let mut content = Map::new();
        content.insert("text".into(), Value::String("héllo \"x\"".into()));
        content.insert("n".into(), Value::from(3));
        Entry {
            v: 1,
            seq: 7,
            id: "01JDQ4K4Z0A1B2C3D4E5F6G7H8".into(),
            ts: "2026-11-22T15:48:17.123Z".into(),
            kind: "observation".into(),
            source: "ops".into(),
            content,
            refs: vec!["01JDQ4K4Z0A1B2C3D4E5F6G7H9".into()],
            prev: [0xab; 32],
            signer: "log+01020304".into(),
        }
    }

    #[test]
    fn canonical_round_trip() {
        let e = sample();
        let bytes = e.to_canonical();
        // The hand-written top level agrees with the generic canonicaliser.
        let generic = super::super::canon::to_canonical(&serde_json::from_slice(&bytes).unwrap());
        assert_eq!(bytes, generic);
        assert_eq!(Entry::parse_canonical(&bytes).unwrap(), e);
    }

    #[test]
    fn non_canonical_bytes_are_refused() {
        let bytes = sample().to_canonical();
        let spaced = String::from_utf8(bytes).unwrap().replacen(":", ": ", 1);
        assert_eq!(
            Entry::parse_canonical(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        );
    }

    #[test]
    fn ulid_shape() {
        assert!(is_valid_ulid("01JDQ4K4Z0A1B2C3D4E5F6G7H8"));
        assert!(!is_valid_ulid("01jdq4k4z0a1b2c3d4e5f6g7h8"));
        assert!(!is_valid_ulid("81JDQ4K4Z0A1B2C3D4E5F6G7H8"));
        assert!(!is_valid_ulid("01JDQ4K4Z0A1B2C3D4E5F6G7HU"));
    }
}
