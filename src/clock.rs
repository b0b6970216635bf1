//! Time and randomness, passed into the domain as values so that tests and demos can pin
//! both (`ECHOCTL_TIMESTAMP`, `ECHOCTL_SEED`, resolved by the CLI) and replay byte for byte.

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The operating system had no random bytes to give.
#[derive(Debug, thiserror::Error)]
#[error("the operating system gave no random bytes: {0}")]
pub struct RandomError(String);

/// Where timestamps and random bytes come from for one command.
#[derive(Clone, Debug)]
pub struct Clock {
    /// The time every entry of this command is stamped with.
    pub now: Millis,
    /// A pinned seed makes ids and generated keys deterministic; `None` draws 32 bytes
    /// from the OS once per command.
    pub seed: Option<[u8; 32]>,
}

/// Monotonic ULIDs for the entries of one command: random 80 bits for the first, then
/// +1 per entry (the ULID spec's monotonic mode), so that the id index grows in order.
pub struct UlidSequence {
    ms: u64,
    next: u128,
}

impl UlidSequence {
    pub fn next_id(&mut self) -> String {
        ulid::Ulid(self.next_value()).to_string()
    }

    /// The next id as its 128-bit value.
    pub fn next_value(&mut self) -> u128 {
        const MASK: u128 = (1 << 80) - 1;
        let id = ulid::Ulid::from_parts(self.ms, self.next & MASK);
        self.next = (self.next + 1) & MASK;
        id.0
    }
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
    pub fn random(&self, purpose: &str, index: u64, out: &mut [u8]) -> Result<(), RandomError> {
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
            None => getrandom::getrandom(out).map_err(|e| RandomError(e.to_string())),
        }
    }

    /// The ids of the entries appended from `first_seq` on.
    pub fn ulids(&self, first_seq: u64) -> Result<UlidSequence, RandomError> {
        let mut r = [0u8; 16];
        self.random("ulid", first_seq, &mut r[6..])?;
        // Leave headroom so that +1 per entry never wraps within a command.
        r[6] &= 0x7f;
        let ms = u64::try_from(self.now).unwrap_or(0) & ((1 << 48) - 1);
        Ok(UlidSequence {
            ms,
            next: u128::from_be_bytes(r),
        })
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
    if !is_entry_ts(s) {
        return None;
    }
    parse_rfc3339(s)
}

/// Whether `s` is exactly `YYYY-MM-DDTHH:MM:SS.sssZ` with a real calendar date: the check
/// verify applies to every entry, without allocating.
pub fn is_entry_ts(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 24 {
        return false;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        };
        if !ok {
            return false;
        }
    }
    let num = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day) && num(11..13) < 24 && num(14..16) < 60 && num(17..19) < 60
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
        assert!(is_entry_ts("2024-02-29T23:59:59.999Z"));
        for bad in [
            "2023-02-29T00:00:00.000Z",
            "2026-13-01T00:00:00.000Z",
            "2026-11-22T24:00:00.000Z",
            "2026-11-22T15:48:17.123+00:00",
            "2026-11-22 15:48:17.123Z",
            "2026-11-22T15:48:60.000Z",
        ] {
            assert!(!is_entry_ts(bad), "{bad}");
        }
    }

    #[test]
    fn seeded_ids_are_deterministic_and_distinct() {
        let c = Clock {
            now: 1_700_000_000_000,
            seed: Some([3; 32]),
        };
        let (mut a, mut b) = (c.ulids(1).unwrap(), c.ulids(1).unwrap());
        let first = a.next_id();
        assert_eq!(first, b.next_id());
        let second = a.next_id();
        assert!(second > first, "monotonic");
        assert_ne!(c.ulids(2).unwrap().next_id(), first);
        assert!(crate::ledger::entry::is_valid_ulid(&first));
    }
}
