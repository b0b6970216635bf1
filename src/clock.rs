//! Time and randomness, passed into the domain as values so that tests and demos can pin
//! both (`ECHOCTL_TIMESTAMP`, `ECHOCTL_SEED`, resolved by the CLI) and replay byte for byte.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Where timestamps and random bytes come from for one command.
#[derive(Clone, Debug)]
pub struct Clock {
    /// The time every entry of this command is stamped with.
    pub now: Millis,
    /// A pinned seed makes ids and generated keys deterministic; `None` uses the OS.
    pub seed: Option<[u8; 32]>,
}

impl Clock {
    /// The real time and OS randomness.
    pub fn system() -> Self {
        let now = OffsetDateTime::now_utc();
        Clock {
            now: (now.unix_timestamp_nanos() / 1_000_000) as Millis,
            seed: None,
        }
    }

    /// Random bytes for `purpose` at position `index` (e.g. the entry seq): from the OS,
    /// or derived as SHA-256(seed ‖ purpose ‖ index) when a seed is pinned.
    pub fn random(&self, purpose: &str, index: u64, out: &mut [u8]) -> Result<()> {
        match &self.seed {
            Some(seed) => {
                for (counter, chunk) in (0u32..).zip(out.chunks_mut(32)) {
                    let mut h = Sha256::new();
                    h.update(seed);
                    h.update(purpose.as_bytes());
                    h.update(index.to_be_bytes());
                    h.update(counter.to_be_bytes());
                    let d = h.finalize();
                    chunk.copy_from_slice(&d[..chunk.len()]);
                }
                Ok(())
            }
            None => getrandom::getrandom(out)
                .map_err(|e| Error::env(format!("the operating system gave no random bytes: {e}"))),
        }
    }

    /// A ULID for the entry at `seq`, stamped with this clock's time.
    pub fn ulid(&self, seq: u64) -> Result<String> {
        let mut r = [0u8; 16];
        self.random("ulid", seq, &mut r[6..])?;
        let random = u128::from_be_bytes(r);
        let ms = u64::try_from(self.now).unwrap_or(0) & ((1 << 48) - 1);
        Ok(ulid::Ulid::from_parts(ms, random).to_string())
    }
}

/// Parses an RFC 3339 timestamp (any offset) into milliseconds since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<Millis> {
    let t = OffsetDateTime::parse(s.trim(), &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Formats milliseconds as the entry timestamp form `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC).
pub fn format_ts(ms: Millis) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Parses an entry timestamp, which must be exactly in the form `format_ts` writes.
pub fn parse_entry_ts(s: &str) -> Option<Millis> {
    let ms = parse_rfc3339(s)?;
    (format_ts(ms) == s).then_some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let ms = parse_rfc3339("2026-11-22T16:48:17.123+01:00").unwrap();
        assert_eq!(format_ts(ms), "2026-11-22T15:48:17.123Z");
        assert_eq!(parse_entry_ts("2026-11-22T15:48:17.123Z"), Some(ms));
        assert_eq!(parse_entry_ts("2026-11-22T15:48:17Z"), None);
    }

    #[test]
    fn seeded_ids_are_deterministic_and_distinct() {
        let c = Clock {
            now: 1_700_000_000_000,
            seed: Some([3; 32]),
        };
        assert_eq!(c.ulid(1).unwrap(), c.ulid(1).unwrap());
        assert_ne!(c.ulid(1).unwrap(), c.ulid(2).unwrap());
        assert!(crate::ledger::entry::is_valid_ulid(&c.ulid(1).unwrap()));
    }
}
