//! The ledger as C2SP tlog-tiles (c2sp.org/tlog-tiles): a signed `checkpoint`, hash tiles
//! `tile/<L>/<N>[.p/<W>]` (256 hashes of tree level 8·L each) and entry bundles
//! `tile/entries/<N>[.p/<W>]` (the canonical entries, each behind a big-endian uint16
//! length). The layout (`TileRef`), the tiles of a tree, and reading a tile's bytes from a
//! store; writing a directory is `publish`, verifying one is `check`, copying one into a
//! local ledger is `mirror`.

pub mod check;
pub mod mirror;
pub mod publish;

use super::entry::MAX_ENTRY_BYTES;
use super::error::{LedgerError, Result};
use super::merkle::Hash;
use super::store::Reads;

/// Hashes (or entries) in a full tile.
pub const WIDTH: u64 = 256;
/// Tree levels one tile level spans.
pub const HEIGHT: u32 = 8;
/// The highest tile level a tree of 2^64 leaves can have.
const MAX_LEVEL: u8 = 7;

/// One tile: a hash tile of `level`, or an entry bundle (`level` None), by index and
/// width (1..=256; 256 is a full tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileRef {
    pub level: Option<u8>,
    pub index: u64,
    pub width: u16,
}

/// A path that is not a tile of the c2sp.org/tlog-tiles layout.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a tlog-tiles path: {0}")]
pub struct BadPath(pub String);

impl TileRef {
    pub fn hashes(level: u8, index: u64, width: u16) -> Self {
        TileRef {
            level: Some(level),
            index,
            width,
        }
    }

    pub fn entries(index: u64, width: u16) -> Self {
        TileRef {
            level: None,
            index,
            width,
        }
    }

    pub fn is_full(&self) -> bool {
        u64::from(self.width) == WIDTH
    }

    /// The tile's path: the index in groups of three digits, every group but the last
    /// prefixed `x` (1234067 is `x001/x234/067`), `.p/<W>` for a partial tile.
    pub fn path(&self) -> String {
        let mut groups = vec![format!("{:03}", self.index % 1000)];
        let mut n = self.index / 1000;
        while n > 0 {
            groups.push(format!("x{:03}", n % 1000));
            n /= 1000;
        }
        groups.reverse();
        let level = match self.level {
            Some(l) => l.to_string(),
            None => "entries".to_owned(),
        };
        let mut p = format!("tile/{level}/{}", groups.join("/"));
        if !self.is_full() {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// Parses a tile path, accepting only the one canonical spelling of each tile (no
    /// leading zeros or `x000` groups, widths 1 to 255 after `.p/`).
    pub fn parse(path: &str) -> std::result::Result<Self, BadPath> {
        let bad = || BadPath(crate::text::quoted(path).to_string());
        let rest = path.strip_prefix("tile/").ok_or_else(bad)?;
        let (level, rest) = rest.split_once('/').ok_or_else(bad)?;
        let level = match level {
            "entries" => None,
            l => Some(
                canonical_number(l)
                    .filter(|l| *l <= u64::from(MAX_LEVEL))
                    .ok_or_else(bad)? as u8,
            ),
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((i, w)) => {
                let w = canonical_number(w)
                    .filter(|w| (1..WIDTH).contains(w))
                    .ok_or_else(bad)?;
                (i, w as u16)
            }
            None => (rest, WIDTH as u16),
        };
        let groups: Vec<&str> = index_part.split('/').collect();
        let mut index: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let last = i + 1 == groups.len();
            let digits = if last {
                *g
            } else {
                g.strip_prefix('x').ok_or_else(bad)?
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let d: u64 = digits.parse().map_err(|_| bad())?;
            if i == 0 && !last && d == 0 {
                return Err(bad());
            }
            index = index
                .checked_mul(1000)
                .and_then(|x| x.checked_add(d))
                .ok_or_else(bad)?;
        }
        Ok(TileRef { level, index, width })
    }

    /// The first leaf (entry bundles) or level-8·L node index the tile holds.
    fn first(&self) -> u64 {
        self.index * WIDTH
    }
}

fn canonical_number(s: &str) -> Option<u64> {
    if s.is_empty()
        || s.len() > 20
        || (s.len() > 1 && s.starts_with('0'))
        || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

/// How many complete nodes tile level `level` has in a tree of `size` (level 0: leaves).
fn nodes_at(level: u8, size: u64) -> u64 {
    size.checked_shr(HEIGHT * u32::from(level)).unwrap_or(0)
}

/// Whether `t` is a tile of the tree of `size`: a full tile below its edge, or the one
/// partial tile at the edge with exactly the width the tree gives it.
pub fn in_tree(t: &TileRef, size: u64) -> bool {
    let count = nodes_at(t.level.unwrap_or(0), size);
    let end = t.first() + u64::from(t.width);
    if t.is_full() {
        end <= count
    } else {
        end == count
    }
}

/// The tiles of a tree of `size` that a tree of `old` (≤ size) did not have: every tile
/// of `size` from the one that held the edge of `old` on, at each level, hash tiles and
/// entry bundles.
pub fn new_tiles(old: u64, size: u64) -> Vec<TileRef> {
    let mut out = Vec::new();
    for level in 0..=MAX_LEVEL {
        let count = nodes_at(level, size);
        if count == 0 {
            break;
        }
        let old_count = nodes_at(level, old.min(size));
        for index in old_count / WIDTH..count.div_ceil(WIDTH) {
            let width = (count - index * WIDTH).min(WIDTH) as u16;
            if index * WIDTH + u64::from(width) <= old_count {
                continue;
            }
            out.push(TileRef::hashes(level, index, width));
            if level == 0 {
                out.push(TileRef::entries(index, width));
            }
        }
    }
    out
}

/// An entry that an entry bundle cannot hold (written before the limit was 65,535 bytes).
pub fn too_large(seq: u64, len: usize) -> LedgerError {
    LedgerError::Invalid(format!(
        "entry {seq} is {len} bytes, above the 65,535 bytes a tlog-tiles entry bundle can hold: \
         this ledger cannot be published as tiles"
    ))
}

/// The bytes of tile `t` of the tree the store holds, from its stored leaves, nodes and
/// entries (None when `t` is not a tile of a tree of `size`).
pub fn read(r: &dyn Reads, t: &TileRef, size: u64) -> Result<Option<Vec<u8>>> {
    if !in_tree(t, size) {
        return Ok(None);
    }
    let (from, width) = (t.first(), u64::from(t.width));
    let mut out = Vec::with_capacity(width as usize * 32);
    let mut next = from;
    match t.level {
        None => {
            let mut failed = None;
            r.scan(from, from + width, false, &mut |row| {
                let (seq, body) = (row.seq as u64, row.body);
                let Some(body) = body.filter(|_| seq == next) else {
                    failed = Some(LedgerError::damaged(format!("entry {next} is missing")));
                    return false;
                };
                if body.len() > MAX_ENTRY_BYTES {
                    failed = Some(too_large(seq, body.len()));
                    return false;
                }
                out.extend_from_slice(&(body.len() as u16).to_be_bytes());
                out.extend_from_slice(body);
                next += 1;
                true
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Some(0) => {
            let mut failed = false;
            r.leaves(from, from + width, &mut |seq, leaf, _| {
                failed |= seq != next || leaf.len() != 32;
                out.extend_from_slice(leaf);
                next += 1;
            })?;
            if failed {
                return Err(LedgerError::damaged(format!(
                    "a leaf hash in {from}..{} is missing",
                    from + width
                )));
            }
        }
        Some(level) => {
            let tree_level = HEIGHT * u32::from(level);
            for (idx, hash) in r.nodes_from(tree_level, from, width as usize)? {
                if idx != next {
                    break;
                }
                out.extend_from_slice(&hash);
                next += 1;
            }
        }
    }
    if next != from + width {
        return Err(LedgerError::damaged(format!(
            "tile {} cannot be read: the ledger lacks {}",
            t.path(),
            match t.level {
                None | Some(0) => format!("entry {next}"),
                Some(l) => format!("Merkle node ({}, {next})", HEIGHT * u32::from(l)),
            }
        )));
    }
    Ok(Some(out))
}

/// Splits a hash tile into its hashes (None when its length is not `width` hashes).
pub fn split_hashes(data: &[u8], width: u16) -> Option<Vec<Hash>> {
    if data.len() != usize::from(width) * 32 {
        return None;
    }
    Some(
        data.chunks_exact(32)
            .map(|c| c.try_into().unwrap_or([0; 32]))
            .collect(),
    )
}

/// Splits an entry bundle into its entries (None when it is not exactly `width` of them).
pub fn split_bundle(data: &[u8], width: u16) -> Option<Vec<&[u8]>> {
    let mut out = Vec::with_capacity(usize::from(width));
    let mut rest = data;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len || out.len() == usize::from(width) {
            return None;
        }
        out.push(&tail[..len]);
        rest = &tail[len..];
    }
    (out.len() == usize::from(width)).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_and_read_in_the_one_canonical_spelling() {
        for (t, p) in [
            (TileRef::hashes(0, 0, 256), "tile/0/000"),
            (TileRef::hashes(1, 1234067, 256), "tile/1/x001/x234/067"),
            (TileRef::entries(5, 7), "tile/entries/005.p/7"),
            (TileRef::hashes(2, 1000, 255), "tile/2/x001/000.p/255"),
        ] {
            assert_eq!(t.path(), p);
            assert_eq!(TileRef::parse(p), Ok(t));
        }
        for bad in [
            "tile/0/00",
            "tile/0/x000/001",
            "tile/00/000",
            "tile/8/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/0/001/002",
            "tile/data/000",
            "tile/0/x1/000",
            "checkpoint",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/000",
        ] {
            assert!(TileRef::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_tree_has_its_full_tiles_and_one_partial_tile_per_level() {
        let size = 256 * 256 + 3;
        assert!(in_tree(&TileRef::hashes(0, 255, 256), size));
        assert!(in_tree(&TileRef::hashes(0, 256, 3), size));
        assert!(!in_tree(&TileRef::hashes(0, 256, 2), size));
        assert!(in_tree(&TileRef::hashes(1, 0, 256), size));
        assert!(in_tree(&TileRef::hashes(2, 0, 1), size));
        assert!(!in_tree(&TileRef::hashes(1, 1, 1), size));
        let all = new_tiles(0, size);
        assert_eq!(all.len(), 256 * 2 + 2 + 1 + 1);
        let grown = new_tiles(size, size + 300);
        assert!(grown.contains(&TileRef::hashes(0, 256, 256)));
        assert!(grown.contains(&TileRef::entries(257, 47)));
        assert!(!grown.contains(&TileRef::hashes(0, 255, 256)));
        assert!(new_tiles(size, size).is_empty());
    }

    #[test]
    fn a_bundle_splits_only_into_exactly_its_width() {
        let b = [0, 1, b'a', 0, 2, b'b', b'c'];
        assert_eq!(split_bundle(&b, 2), Some(vec![&b"a"[..], &b"bc"[..]]));
        assert_eq!(split_bundle(&b, 1), None);
        assert_eq!(split_bundle(&b[..6], 2), None);
    }
}
