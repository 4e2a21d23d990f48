//! Value-level mutations: numbers nudged to neighbouring edges, choices
//! flipped.

use super::below;
use crate::scenario::{Op, Part, Scenario};
use arbitrary::Unstructured;
use bootmem::{NodePolicy, OnFail, PhysAddr, ReserveMode, MAX_NODES, PAGE_SIZE, SMP_CACHE_BYTES};

/// The addresses worth landing on: every RAM range's start and end, and
/// every op's own start and end (so a free meets a reserve exactly, or
/// misses it by one).
fn edges(s: &Scenario) -> Vec<PhysAddr> {
    let mut out: Vec<PhysAddr> = vec![0, u64::MAX];
    for r in s.map.ranges() {
        out.extend([r.range.start(), r.range.end()]);
    }
    for op in &s.ops {
        match *op {
            Op::Reserve { base, size, .. }
            | Op::ReserveNode { base, size, .. }
            | Op::Free { base, size }
            | Op::FreeNode { base, size, .. } => {
                out.extend([base, base.saturating_add(size)]);
            }
            Op::Alloc(req) => out.extend([req.goal, req.limit]),
            _ => {}
        }
    }
    out
}

/// `v` moved to a neighbouring edge: plus or minus one, a cache line or a
/// page; rounded to a page; doubled or halved; the next power of two; or
/// one of `edges` plus or minus 0, 1 or a page.
fn neighbour(v: u64, edges: &[PhysAddr], u: &mut Unstructured) -> u64 {
    let deltas = [0, 1, SMP_CACHE_BYTES, PAGE_SIZE];
    let delta = deltas[below(u, deltas.len())];
    match below(u, 8) {
        0 => v.wrapping_add(delta.max(1)),
        1 => v.wrapping_sub(delta.max(1)),
        2 => v & !(PAGE_SIZE - 1),
        3 => v.saturating_mul(2),
        4 => v / 2,
        5 => v.checked_next_power_of_two().unwrap_or(u64::MAX),
        _ => {
            let e = edges.get(below(u, edges.len())).copied().unwrap_or(0);
            if u.ratio(1, 2).unwrap_or(false) {
                e.wrapping_add(delta)
            } else {
                e.wrapping_sub(delta)
            }
        }
    }
}

/// Nudges one number of one op: an address, a size, an alignment, a goal
/// or a limit.
pub(super) fn nudge(s: &mut Scenario, u: &mut Unstructured) {
    if s.ops.is_empty() {
        return;
    }
    let edges = edges(s);
    let at = below(u, s.ops.len());
    let size_edges = [0, 1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, u64::MAX];
    let field = below(u, 2);
    match &mut s.ops[at] {
        Op::Reserve { base, size, .. }
        | Op::ReserveNode { base, size, .. }
        | Op::Free { base, size }
        | Op::FreeNode { base, size, .. } => {
            if field == 0 {
                *base = neighbour(*base, &edges, u);
            } else {
                *size = neighbour(*size, &size_edges, u);
            }
        }
        Op::Alloc(req) => match below(u, 4) {
            0 => req.size = neighbour(req.size, &size_edges, u),
            1 => {
                let aligns = [0, 1, 3, SMP_CACHE_BYTES, PAGE_SIZE, 1 << 21];
                req.align = neighbour(req.align, &aligns, u);
            }
            2 => req.goal = neighbour(req.goal, &edges, u),
            _ => req.limit = neighbour(req.limit, &edges, u),
        },
        Op::FreeAlloc { index, .. } => *index = index.wrapping_add(1 + below(u, 3) as u32),
        Op::ReleaseAll => {}
    }
}

/// Flips one choice of one op: the reserve mode, the node policy, the
/// failure action, the node (or having one), the part freed.
pub(super) fn flip(s: &mut Scenario, u: &mut Unstructured) {
    if s.ops.is_empty() {
        return;
    }
    let nodes = s.map.nodes();
    let other_node = |u: &mut Unstructured| {
        if u.ratio(1, 8).unwrap_or(false) {
            below(u, MAX_NODES as usize) as u32
        } else {
            nodes.get(below(u, nodes.len())).copied().unwrap_or(0)
        }
    };
    let at = below(u, s.ops.len());
    let toggle = |m: ReserveMode| match m {
        ReserveMode::Default => ReserveMode::Exclusive,
        ReserveMode::Exclusive => ReserveMode::Default,
    };
    let op = s.ops[at];
    s.ops[at] = match op {
        Op::Reserve { base, size, mode } => {
            if u.ratio(1, 2).unwrap_or(false) {
                Op::Reserve {
                    base,
                    size,
                    mode: toggle(mode),
                }
            } else {
                Op::ReserveNode {
                    nid: other_node(u),
                    base,
                    size,
                    mode,
                }
            }
        }
        Op::ReserveNode {
            nid,
            base,
            size,
            mode,
        } => match below(u, 3) {
            0 => Op::Reserve { base, size, mode },
            1 => Op::ReserveNode {
                nid,
                base,
                size,
                mode: toggle(mode),
            },
            _ => Op::ReserveNode {
                nid: other_node(u),
                base,
                size,
                mode,
            },
        },
        Op::Free { base, size } => Op::FreeNode {
            nid: other_node(u),
            base,
            size,
        },
        Op::FreeNode { base, size, .. } => {
            if u.ratio(1, 2).unwrap_or(false) {
                Op::Free { base, size }
            } else {
                Op::FreeNode {
                    nid: other_node(u),
                    base,
                    size,
                }
            }
        }
        Op::Alloc(mut req) => {
            match below(u, 3) {
                0 => {
                    req.policy = match req.policy {
                        NodePolicy::Prefer => NodePolicy::Exact,
                        NodePolicy::Exact => NodePolicy::Prefer,
                    }
                }
                1 => {
                    req.on_fail = match req.on_fail {
                        OnFail::Null => OnFail::Panic,
                        OnFail::Panic => OnFail::Null,
                    }
                }
                _ => {
                    req.nid = match req.nid {
                        Some(_) if u.ratio(1, 3).unwrap_or(false) => None,
                        _ => Some(other_node(u)),
                    }
                }
            }
            Op::Alloc(req)
        }
        Op::FreeAlloc { index, .. } => {
            let parts = [Part::All, Part::Head, Part::Tail, Part::Middle];
            Op::FreeAlloc {
                index,
                part: parts[below(u, parts.len())],
            }
        }
        Op::ReleaseAll => Op::ReleaseAll,
    };
}
