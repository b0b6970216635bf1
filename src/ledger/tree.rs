//! The RFC 9162 tree as stored: leaves are the entries' leaf hashes, interior nodes are
//! kept once complete. Frontiers, range hashes and inclusion paths read O(log n) nodes.

use super::error::{LedgerError, Result};
use super::merkle::{self, Frontier, Hash};
use super::store::Reads;

/// The stored node at (level, idx); level 0 is a leaf.
pub(crate) fn stored_node(r: &dyn Reads, level: u32, idx: u64) -> Result<Hash> {
    let found = if level == 0 {
        r.leaf(idx)?
    } else {
        r.node(level, idx)?
    };
    found.ok_or_else(|| {
        LedgerError::damaged(if level == 0 {
            format!("leaf {idx} is missing")
        } else {
            format!("Merkle node ({level}, {idx}) is missing")
        })
    })
}

/// The frontier of the first `size` leaves, from stored nodes.
pub(crate) fn load_frontier(r: &dyn Reads, size: u64) -> Result<Frontier> {
    let hashes = merkle::frontier_nodes(size)
        .into_iter()
        .map(|(l, i)| stored_node(r, l, i))
        .collect::<Result<Vec<_>>>()?;
    Frontier::from_parts(size, hashes).ok_or_else(|| LedgerError::damaged("frontier size mismatch"))
}

/// The hash of leaves [start, end) from stored nodes (RFC 9162 split).
pub(crate) fn range_hash(r: &dyn Reads, start: u64, end: u64) -> Result<Hash> {
    let n = end - start;
    if n.is_power_of_two() && start % n == 0 {
        return stored_node(r, n.trailing_zeros(), start / n);
    }
    let k = merkle::largest_power_of_two_below(n);
    Ok(merkle::node_hash(
        &range_hash(r, start, start + k)?,
        &range_hash(r, start + k, end)?,
    ))
}

/// The RFC 9162 inclusion path of leaf `index` in the tree of `size`, from stored nodes,
/// in O(log n) point reads: the siblings inside the perfect subtree of the frontier that
/// holds the leaf, then the fold of the frontier subtrees to its right (one node), then the
/// frontier subtrees to its left, nearest first.
pub(crate) fn inclusion_path(r: &dyn Reads, index: u64, size: u64) -> Result<Vec<Hash>> {
    let frontier = merkle::frontier_nodes(size);
    let Some(j) = frontier.iter().position(|(level, idx)| index >> level == *idx) else {
        return Err(LedgerError::NotInTree { index, size });
    };
    let level = frontier[j].0;
    let mut path = Vec::with_capacity(64);
    for l in 0..level {
        path.push(stored_node(r, l, (index >> l) ^ 1)?);
    }
    if j + 1 < frontier.len() {
        let (l, i) = frontier[frontier.len() - 1];
        let mut right = stored_node(r, l, i)?;
        for &(l, i) in frontier[j + 1..frontier.len() - 1].iter().rev() {
            right = merkle::node_hash(&stored_node(r, l, i)?, &right);
        }
        path.push(right);
    }
    for &(l, i) in frontier[..j].iter().rev() {
        path.push(stored_node(r, l, i)?);
    }
    Ok(path)
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[0:n], true) from stored nodes.
pub(crate) fn consistency_path(r: &dyn Reads, m: u64, n: u64) -> Result<Vec<Hash>> {
    if m == 0 || m >= n {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    subproof(r, m, 0, n, true, &mut out)?;
    Ok(out)
}

fn subproof(r: &dyn Reads, m: u64, lo: u64, hi: u64, b: bool, out: &mut Vec<Hash>) -> Result<()> {
    let n = hi - lo;
    if m == n {
        if !b {
            out.push(range_hash(r, lo, hi)?);
        }
        return Ok(());
    }
    let k = merkle::largest_power_of_two_below(n);
    if m <= k {
        subproof(r, m, lo, lo + k, b, out)?;
        out.push(range_hash(r, lo + k, hi)?);
    } else {
        subproof(r, m - k, lo + k, hi, false, out)?;
        out.push(range_hash(r, lo, lo + k)?);
    }
    Ok(())
}
