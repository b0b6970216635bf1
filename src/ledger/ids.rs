//! Entry ids as numbers: a ULID's 128 bits, and the one hasher the ledger's maps of ids
//! use (verify's and the Reader Edition's).

use std::collections::HashMap;

/// The 128-bit value of a canonical ULID.
pub fn ulid_value(id: &str) -> Option<u128> {
    ulid::Ulid::from_string(id).ok().map(u128::from)
}

/// The canonical text of a ULID value.
pub fn ulid_text(id: u128) -> String {
    ulid::Ulid(id).to_string()
}

/// A hasher for ULID values. Ids written by one command differ only in their low bits
/// (+1 per entry); one multiply spreads them over both the bucket bits and the tag bits.
#[derive(Default)]
pub struct UlidHasher(u64);

impl std::hash::Hasher for UlidHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = ((v as u64) ^ ((v >> 64) as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by ULID values (or seqs).
pub type UlidMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<UlidHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, BuildHasherDefault};

    #[test]
    fn monotonic_ids_hash_apart() {
        // 200,000 ids of one command, as `Clock::ulids` makes them: the shape of a
        // bulk-appended ledger.
        let clock = crate::clock::Clock {
            now: 1_790_000_000_000,
            seed: Some([1; 32]),
        };
        let mut ids = clock.ulids(1).unwrap();
        let b = BuildHasherDefault::<UlidHasher>::default();
        let n = 200_000;
        let mut hashes: Vec<u64> = (0..n)
            .map(|_| b.hash_one(ulid_value(&ids.next_id()).unwrap()))
            .collect();
        // Low bits are hashbrown's bucket index: uniform hashing would fill about 140,000
        // of 2^18 buckets.
        let mut buckets: Vec<u64> = hashes.iter().map(|h| h & ((1 << 18) - 1)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), n, "two ids share a hash");
        buckets.sort_unstable();
        buckets.dedup();
        assert!(buckets.len() > 130_000, "{} buckets used", buckets.len());
        let first = ulid_value("01JDQ4K4Z0A1B2C3D4E5F6G7H8").unwrap();
        assert_eq!(ulid_text(first), "01JDQ4K4Z0A1B2C3D4E5F6G7H8");
        assert_eq!(ulid_value("not a ulid"), None);
    }
}
