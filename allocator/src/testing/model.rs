//! Pieces of the page-at-a-time reference models that the bitmap backends'
//! random tests check against: the models restate the contract one page at
//! a time over the first [`N`] pages, so that the real code is checked
//! against something obviously right.

use super::{r, P};
use crate::{AllocRequest, Error, Nid, NodePolicy, Outcome, Range};

/// Pages a model tracks: page frames `0..N`.
pub(crate) const N: u64 = 48;

/// A model's `reserve` and `free`, with the backend's outcomes.
pub(crate) trait PageModel {
    /// `reserve` (`nid` = `None`) or `reserve_node` of `[base, base +
    /// size)`, exclusive when `excl`.
    fn reserve(&mut self, nid: Option<Nid>, base: u64, size: u64, excl: bool) -> Outcome<()>;

    /// `free` (`nid` = `None`) or `free_node` of `[base, base + size)`.
    fn free(&mut self, nid: Option<Nid>, base: u64, size: u64) -> Outcome<()>;
}

/// A sorted map with touching ranges of one node merged (the backends'
/// normalization, for maps generated in address order).
pub(crate) fn normalized(map: &[(Range, Nid)]) -> Vec<(Range, Nid)> {
    let mut norm: Vec<(Range, Nid)> = Vec::new();
    for &(range, nid) in map {
        match norm.last_mut() {
            Some((last, n)) if *n == nid && last.end() == range.start() => {
                *last = r(last.start(), range.end());
            }
            _ => norm.push((range, nid)),
        }
    }
    norm
}

/// The stages of SPEC section 4 that apply to `q`, restated as `(on_node,
/// goal)` pairs in order: on the node from the goal, any node from the
/// goal, on the node from anywhere, any node from anywhere; no node skips
/// the on-node stages, `Exact` with a node the any-node ones, and a zero
/// goal the repeated ones.
pub(crate) fn stages(q: &AllocRequest) -> Vec<(bool, bool)> {
    [(true, true), (false, true), (true, false), (false, false)]
        .into_iter()
        .filter(|&(on_node, goal)| {
            !((on_node && q.nid.is_none())
                || (!on_node && q.policy == NodePolicy::Exact && q.nid.is_some())
                || (!goal && q.goal == 0))
        })
        .collect()
}

/// The pages `(lo, hi)` a reserve of `[base, base + size)` touches
/// (rounded outward): `Ok(None)` for size 0, `Invalid` past 2^64.
pub(crate) fn touched(base: u64, size: u64) -> Outcome<Option<(u64, u64)>> {
    if size == 0 {
        return Ok(None);
    }
    let end = base.checked_add(size).ok_or(Error::Invalid)?;
    let hi = end.checked_add(P - 1).ok_or(Error::Invalid)? / P;
    Ok(Some((base / P, hi)))
}

/// The whole pages `(lo, hi)` inside `[base, base + size)` (rounded
/// inward): `Ok(None)` when there is none, `Invalid` past 2^64.
pub(crate) fn whole(base: u64, size: u64) -> Outcome<Option<(u64, u64)>> {
    if size == 0 {
        return Ok(None);
    }
    let end = base.checked_add(size).ok_or(Error::Invalid)?;
    let Some(lo) = base.checked_add(P - 1).map(|b| b / P) else {
        return Ok(None);
    };
    let hi = end / P;
    Ok((lo < hi).then_some((lo, hi)))
}

/// The maximal runs of pages `0..N` for which `free` holds, as ranges.
pub(crate) fn free_runs(free: impl Fn(u64) -> bool) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    for p in (0..N).filter(|&p| free(p)) {
        match out.last_mut() {
            Some(last) if last.end() == p * P => *last = r(last.start(), (p + 1) * P),
            _ => out.push(r(p * P, (p + 1) * P)),
        }
    }
    out
}
