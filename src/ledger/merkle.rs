//! RFC 9162 Merkle tree hashing, the compact range ("frontier") that appends and roots
//! use, and verification of inclusion and consistency proofs, including the subtree
//! proofs of the Merkle Tree Certificates draft. Pure functions: no storage, no I/O.

use sha2::{Digest, Sha256};

/// A SHA-256 node or leaf hash.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// RFC 9162 leaf hash: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// RFC 9162 interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The perfect subtrees a tree of `size` leaves decomposes into, left to right, as
/// (level, index) node coordinates: level L index i covers leaves [i·2^L, (i+1)·2^L).
pub fn frontier_nodes(size: u64) -> Vec<(u32, u64)> {
    let mut out = Vec::new();
    let mut start = 0u64;
    for level in (0..64u32).rev() {
        if size & (1u64 << level) != 0 {
            out.push((level, start >> level));
            start += 1u64 << level;
        }
    }
    out
}

/// The compact range of a tree: the roots of its perfect subtrees, largest first.
/// Appending a leaf costs amortised O(1) hashes and yields the interior nodes it completed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// (level, hash), strictly decreasing levels.
    nodes: Vec<(u32, Hash)>,
}

impl Frontier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a frontier from the hashes of `frontier_nodes(size)`, in that order.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Option<Self> {
        let coords = frontier_nodes(size);
        if coords.len() != hashes.len() {
            return None;
        }
        let nodes = coords.iter().map(|(l, _)| *l).zip(hashes).collect();
        Some(Frontier { size, nodes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The roots of its perfect subtrees, largest first (the hashes `from_parts` takes).
    pub fn hashes(&self) -> Vec<Hash> {
        self.nodes.iter().map(|(_, h)| *h).collect()
    }

    /// Appends a leaf hash; calls `completed(level, index, hash)` for every interior
    /// node this append completes (level ≥ 1), lowest first.
    pub fn push(&mut self, leaf: Hash, completed: impl FnMut(u32, u64, &Hash)) {
        self.merge(0, leaf, completed);
    }

    /// Appends a whole perfect subtree of 2^level leaves, given its root. The tree's size
    /// must be a multiple of 2^level (the subtree is aligned), else nothing happens and
    /// `false` is returned.
    pub fn push_subtree(&mut self, level: u32, root: Hash) -> bool {
        if self.size % (1u64 << level) != 0 || self.nodes.last().is_some_and(|(l, _)| *l < level) {
            return false;
        }
        self.merge(level, root, |_, _, _| {});
        true
    }

    /// Adds a perfect subtree at `level` and merges equal-level neighbours upwards.
    fn merge(&mut self, mut level: u32, mut hash: Hash, mut completed: impl FnMut(u32, u64, &Hash)) {
        let width = 1u64 << level;
        let mut index = self.size >> level;
        while let Some(&(l, left)) = self.nodes.last() {
            if l != level {
                break;
            }
            self.nodes.pop();
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed(level, index, &hash);
        }
        self.nodes.push((level, hash));
        self.size += width;
    }

    /// The RFC 9162 root of the tree so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        match iter.next() {
            None => empty_root(),
            Some(&(_, last)) => iter.fold(last, |acc, (_, h)| node_hash(h, &acc)),
        }
    }
}

/// The root of a list of leaf hashes, computed from scratch by the RFC 9162 recursion
/// (MTH(D[n]) = HASH(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of two < n).
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = largest_power_of_two_below(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
pub fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofError(pub String);

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fail<T>(msg: impl Into<String>) -> Result<T, ProofError> {
    Err(ProofError(msg.into()))
}

/// Computes the root implied by an RFC 9162 §2.1.3.2 inclusion proof.
pub fn root_from_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash]) -> Result<Hash, ProofError> {
    if index >= size {
        return fail(format!("leaf index {index} is not below tree size {size}"));
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in path {
        if sn == 0 {
            return fail("inclusion proof is longer than the tree is high");
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return fail("inclusion proof is too short");
    }
    Ok(r)
}

/// Verifies an RFC 9162 inclusion proof against a root.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    path: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let r = root_from_inclusion(index, size, leaf, path)?;
    if &r != root {
        return fail("inclusion proof does not lead to the expected root");
    }
    Ok(())
}

/// Verifies an RFC 9162 §2.1.4.2 consistency proof between trees of `size1` and `size2`.
/// Roots are byte strings: equal sizes only need equal roots, whatever their length.
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    path: &[Hash],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return fail(format!("old size {size1} is larger than new size {size2}"));
    }
    if size1 == 0 {
        return fail("a consistency proof from the empty tree proves nothing");
    }
    verify_subtree_consistency(0, size1, size2, path, root1, root2)
}

/// Whether [start, end) is a subtree in the sense of the Merkle Tree Certificates draft:
/// start < end and start is a multiple of the smallest power of two ≥ end − start.
pub fn is_valid_subtree(start: u64, end: u64) -> bool {
    if start >= end {
        return false;
    }
    // A width of 2^64 does not fit a u64: then only start 0 is aligned.
    match (end - start).checked_next_power_of_two() {
        Some(width) => start % width == 0,
        None => start == 0,
    }
}

/// Verifies a subtree inclusion proof: leaf `index` inside the subtree [start, end)
/// whose hash is `subtree_root`.
pub fn verify_subtree_inclusion(
    index: u64,
    start: u64,
    end: u64,
    leaf: &Hash,
    path: &[Hash],
    subtree_root: &Hash,
) -> Result<(), ProofError> {
    if !is_valid_subtree(start, end) {
        return fail(format!("[{start}, {end}) is not a valid subtree"));
    }
    if index < start || index >= end {
        return fail(format!("leaf {index} is outside the subtree [{start}, {end})"));
    }
    verify_inclusion(index - start, end - start, leaf, path, subtree_root)
}

/// Verifies a subtree consistency proof (Merkle Tree Certificates draft, "Verifying a
/// Subtree Consistency Proof"): the subtree [start, end) with hash `node` sits at those
/// positions in the tree of `size` leaves with root `root`. With start = 0 and end = the
/// old size this is exactly the RFC 9162 consistency check. An empty subtree (start =
/// end) is consistent with any tree when its hash is the empty-tree hash and the proof is
/// empty, as in the transparency-dev conformance vectors.
pub fn verify_subtree_consistency(
    start: u64,
    end: u64,
    size: u64,
    path: &[Hash],
    node: &[u8],
    root: &[u8],
) -> Result<(), ProofError> {
    if start == end && end <= size {
        if !path.is_empty() {
            return fail("an empty subtree needs an empty proof");
        }
        if node != empty_root() {
            return fail("an empty subtree must have the empty-tree hash");
        }
        return Ok(());
    }
    if !is_valid_subtree(start, end) || end > size {
        return fail(format!(
            "[{start}, {end}) is not a valid subtree of a tree of size {size}"
        ));
    }
    if start == 0 && end == size {
        if !path.is_empty() {
            return fail("equal sizes need an empty proof");
        }
        if node != root {
            return fail("equal sizes but different roots");
        }
        return Ok(());
    }
    let (Ok(node), Ok(root)) = (<&Hash>::try_from(node), <&Hash>::try_from(root)) else {
        return fail("a root hash is not 32 bytes");
    };
    let (mut fn_, mut sn, mut tn) = (start, end - 1, size - 1);
    if sn == tn {
        while fn_ != sn {
            fn_ >>= 1;
            sn >>= 1;
            tn >>= 1;
        }
    } else {
        while fn_ != sn && sn & 1 == 1 {
            fn_ >>= 1;
            sn >>= 1;
            tn >>= 1;
        }
    }
    let (mut fr, mut sr, rest) = if fn_ == sn {
        (*node, *node, path)
    } else {
        match path.split_first() {
            Some((first, rest)) => (*first, *first, rest),
            None => return fail("empty consistency proof"),
        }
    };
    for c in rest {
        if tn == 0 {
            return fail("consistency proof is too long");
        }
        if sn & 1 == 1 || sn == tn {
            if fn_ < sn {
                fr = node_hash(c, &fr);
            }
            sr = node_hash(c, &sr);
            while sn & 1 == 0 {
                fn_ >>= 1;
                sn >>= 1;
                tn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
        tn >>= 1;
    }
    if tn != 0 {
        return fail("consistency proof is too short");
    }
    if &fr != node {
        return fail("consistency proof does not match the old root");
    }
    if &sr != root {
        return fail("consistency proof does not match the new root");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&(i as u64).to_be_bytes())).collect()
    }

    #[test]
    fn frontier_matches_recursive_root() {
        let ls = leaves(40);
        let mut f = Frontier::new();
        assert_eq!(f.root(), empty_root());
        for (i, l) in ls.iter().enumerate() {
            f.push(*l, |_, _, _| {});
            assert_eq!(f.root(), root_of(&ls[..=i]), "size {}", i + 1);
        }
    }

    #[test]
    fn pushing_aligned_subtrees_equals_pushing_leaves() {
        let ls = leaves(64);
        let mut f = Frontier::new();
        for chunk in ls.chunks(8) {
            assert!(f.push_subtree(3, root_of(chunk)));
        }
        assert_eq!(f.root(), root_of(&ls));
        let mut g = Frontier::new();
        g.push(ls[0], |_, _, _| {});
        assert!(
            !g.push_subtree(3, root_of(&ls[1..9])),
            "unaligned subtrees are refused"
        );
    }

    #[test]
    fn frontier_reports_completed_nodes() {
        let mut f = Frontier::new();
        let mut seen = Vec::new();
        for l in leaves(8) {
            f.push(l, |lvl, idx, _| seen.push((lvl, idx)));
        }
        assert_eq!(seen, vec![(1, 0), (1, 1), (2, 0), (1, 2), (1, 3), (2, 1), (3, 0)]);
    }

    #[test]
    fn subtree_validity() {
        assert!(is_valid_subtree(0, 1));
        assert!(is_valid_subtree(4, 6));
        assert!(!is_valid_subtree(2, 5));
        assert!(!is_valid_subtree(3, 3));
        assert!(is_valid_subtree(0, u64::MAX));
        assert!(!is_valid_subtree(1, u64::MAX));
    }
}
