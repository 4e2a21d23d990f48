//! Allocation placement: the stages of SPEC section 4 and the search of the
//! size tree.
//!
//! # The search, and why it returns the lowest start
//!
//! wli's allocator did "a depth-first exhaustive search on a restricted
//! subtree (restriction enforced in logarithmic time)" of its trees
//! (reference section 3). Here the search is a depth-first branch and bound
//! over the **size tree** (key `(len, start)`), for one stage at a time:
//!
//! 1. **Restriction by size.** A node shorter than the request cannot hold
//!    it, nor can anything in its left subtree (smaller keys, so no longer
//!    extents): both are skipped and only its right subtree is searched.
//!    The extents long enough are thus reached along `O(log n)` boundary
//!    paths.
//! 2. **Restriction by address window.** Each size-tree node summarizes its
//!    subtree's lowest start and highest end. A subtree whose highest end is
//!    below `from + size` cannot hold a placement starting at or above the
//!    stage's lower bound; one whose lowest start is above `limit - size`
//!    cannot hold one ending at or below the limit. Both are skipped.
//! 3. **Bound by the best so far.** A placement inside an extent starts at
//!    or after the extent's start, so a subtree whose lowest start is at or
//!    above the best placement found cannot improve it and is skipped.
//!    Children are visited lower-lowest-start first, so the bound tightens
//!    early.
//!
//! Every extent that is not skipped is evaluated: the lowest start inside
//! it that is aligned, at or above `max(from, PAGE_SIZE)`, ends inside the
//! extent and at or below the limit, and obeys the stage's node rule
//! (inside one RAM range of the node, inside one RAM range of any node, or
//! anywhere in the extent for a request with no node: extents never span a
//! hole). Each skip discards only extents that provably hold no placement
//! lower than the best, so the minimum over the evaluated extents is the
//! lowest feasible start of the stage. The stages are tried in order and
//! the first with a placement wins.

use super::extents::Extents;
use super::pool::{Idx, NIL};
use super::ram::RamMap;
use crate::bugs::{Bug, BugSet};
use crate::range::align_up;
use crate::{AllocRequest, Nid, NodePolicy, PhysAddr, Range, PAGE_SIZE};

/// The node rule of one placement stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Nodes {
    /// Inside one RAM range of this node.
    On(Nid),
    /// Inside one RAM range of any node (a request that names a node never
    /// crosses into another node's RAM).
    AnyOneRange,
    /// Anywhere in one free extent, across touching ranges of several nodes
    /// (a request with no node: treemem crosses nodes).
    Anywhere,
}

/// One placement stage: a node rule and the lowest start it allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Stage {
    pub(super) nodes: Nodes,
    pub(super) from: PhysAddr,
}

/// The stages of SPEC section 4 for `req`, in order: on the node from the
/// goal, any node from the goal, on the node anywhere, any node anywhere.
/// No node skips the node stages; `Exact` with a node skips the any-node
/// stages (`Exact` without a node acts as `Prefer`); a zero goal drops the
/// repeated stages 3 and 4.
pub(super) fn stages(req: &AllocRequest) -> Vec<Stage> {
    let any = match (req.nid, req.policy) {
        (Some(_), NodePolicy::Exact) => None,
        (Some(_), NodePolicy::Prefer) => Some(Nodes::AnyOneRange),
        (None, _) => Some(Nodes::Anywhere),
    };
    let on = req.nid.map(Nodes::On);
    let mut starts = vec![req.goal];
    if req.goal != 0 {
        starts.push(0);
    }
    let mut out = Vec::with_capacity(4);
    for from in starts {
        out.extend(
            [on, any]
                .into_iter()
                .flatten()
                .map(|nodes| Stage { nodes, from }),
        );
    }
    out
}

/// The end of a placement, `start + size`: `None` when it would pass 2^64.
///
/// With T1 planted ([`Bug::T1WrappingEnd`]; 023accf5cdc1's overflow in
/// memblock_overlaps_region(), transposed) the sum wraps, as an unsigned
/// addition in C does: a placement that starts near 2^64 (its goal is
/// there) gets a small end, which every "ends by" test of the search
/// passes, so it "fits" any extent and is handed out.
pub(super) fn end_of(bugs: BugSet, start: PhysAddr, size: u64) -> Option<PhysAddr> {
    if bugs.has(Bug::T1WrappingEnd) {
        Some(start.wrapping_add(size))
    } else {
        start.checked_add(size)
    }
}

/// What a placement must satisfy in one stage, apart from the node rule.
#[derive(Clone, Copy, Debug)]
struct Want {
    size: u64,
    align: u64,
    /// Lowest start: `max(from, PAGE_SIZE)`.
    lo: PhysAddr,
    /// Lowest end any placement can have: `lo + size`.
    min_end: PhysAddr,
    /// Highest start the limit allows: `limit - size` (`u64::MAX` without
    /// a limit).
    max_start: PhysAddr,
    /// The planted bugs, for [`end_of`].
    bugs: BugSet,
}

impl Want {
    /// The window of a validated request in a stage starting at `from`, or
    /// `None` when nothing can be feasible (overflow, limit below size).
    fn of(req: &AllocRequest, from: PhysAddr, bugs: BugSet) -> Option<Want> {
        let lo = from.max(PAGE_SIZE);
        let max_start = if req.limit == 0 {
            u64::MAX
        } else {
            req.limit.checked_sub(req.size)?
        };
        Some(Want {
            size: req.size,
            align: req.align,
            lo,
            min_end: end_of(bugs, lo, req.size)?,
            max_start,
            bugs,
        })
    }

    /// The lowest feasible start inside `window`, node rules aside.
    fn lowest_in(&self, window: Range) -> Option<PhysAddr> {
        let a = align_up(window.start().max(self.lo), self.align)?;
        let end = end_of(self.bugs, a, self.size)?;
        (end <= window.end() && a <= self.max_start).then_some(a)
    }
}

/// The lowest feasible start of the first stage that has one, or `None`.
/// `req` must be validated.
pub(super) fn find(ext: &Extents, ram: &RamMap, req: &AllocRequest) -> Option<PhysAddr> {
    if ext.longest() < req.size {
        return None;
    }
    stages(req)
        .into_iter()
        .find_map(|stage| lowest_in_stage(ext, ram, req, stage))
}

/// The lowest feasible start of `stage`, by the branch and bound above.
pub(super) fn lowest_in_stage(
    ext: &Extents,
    ram: &RamMap,
    req: &AllocRequest,
    stage: Stage,
) -> Option<PhysAddr> {
    let want = Want::of(req, stage.from, ext.bugs())?;
    let eval = |extent: Range| -> Option<PhysAddr> {
        let on = |nid: Option<Nid>| {
            ram.overlapping(extent)
                .filter(|r| nid.is_none_or(|n| n == r.nid))
                .find_map(|r| want.lowest_in(r.range.intersect(extent)?))
        };
        match stage.nodes {
            Nodes::Anywhere => want.lowest_in(extent),
            Nodes::AnyOneRange => on(None),
            Nodes::On(nid) => on(Some(nid)),
        }
    };
    let mut best = None;
    search(ext, ext.size_root(), &want, &eval, &mut best);
    best
}

/// One subtree of the branch and bound.
fn search(
    ext: &Extents,
    t: Idx,
    want: &Want,
    eval: &dyn Fn(Range) -> Option<PhysAddr>,
    best: &mut Option<PhysAddr>,
) {
    if t == NIL {
        return;
    }
    let n = ext.node(t);
    if best.is_some_and(|b| n.min_start >= b)
        || n.max_end < want.min_end
        || n.min_start > want.max_start
    {
        return;
    }
    if n.len() < want.size {
        search(ext, n.size.right, want, eval, best);
        return;
    }
    if let Some(a) = eval(n.range()) {
        if best.is_none_or(|b| a < b) {
            *best = Some(a);
        }
    }
    let lowest = |c: Idx| {
        if c == NIL {
            u64::MAX
        } else {
            ext.node(c).min_start
        }
    };
    let (l, r) = (n.size.left, n.size.right);
    let (first, second) = if lowest(l) <= lowest(r) {
        (l, r)
    } else {
        (r, l)
    };
    search(ext, first, want, eval, best);
    search(ext, second, want, eval, best);
}
