//! The attempts of an allocation, in the order v6.18 `mm/memblock.c`
//! makes them: each one a `memblock_find_in_range_node` and, when it finds
//! a block, a `__memblock_reserve` of it with `MEMBLOCK_RSRV_KERN`.

use super::ops::NativeOp;
use bootmem::memblock::numa_valid_node;
use bootmem::{Nid, PhysAddr, SMP_CACHE_BYTES};

/// One `memblock_find_in_range_node` + `__memblock_reserve` attempt of an
/// allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Attempt {
    /// The node searched (`None` or an invalid node: every node).
    pub(super) nid: Option<Nid>,
    /// The node the block is reserved with.
    pub(super) reserve_nid: Option<Nid>,
    /// The search's `start`.
    pub(super) start: PhysAddr,
    /// The search's `end`.
    pub(super) end: PhysAddr,
}

/// `memblock_alloc_range_nid` (v6.18): on `nid`, then on any node unless
/// `exact` or `nid` is no valid node.
fn range_nid(start: PhysAddr, end: PhysAddr, nid: Option<Nid>, exact: bool) -> Vec<Attempt> {
    let mut attempts = vec![Attempt {
        nid,
        reserve_nid: nid,
        start,
        end,
    }];
    if numa_valid_node(nid) && !exact {
        attempts.push(Attempt {
            nid: None,
            reserve_nid: None,
            start,
            end,
        });
    }
    attempts
}

/// `memblock_alloc_internal` (v6.18): `max_addr` clamped to
/// `current_limit`, then from `min_addr`, then, if that failed and
/// `min_addr` is not 0, from 0.
fn internal(
    min: PhysAddr,
    max: PhysAddr,
    nid: Option<Nid>,
    exact: bool,
    limit: PhysAddr,
) -> Vec<Attempt> {
    let max = max.min(limit);
    let mut attempts = range_nid(min, max, nid, exact);
    if min != 0 {
        attempts.extend(range_nid(0, max, nid, exact));
    }
    attempts
}

/// The allocation's size, alignment (0 made `SMP_CACHE_BYTES`) and
/// attempts in order.
pub(super) fn attempts(op: &NativeOp, limit: PhysAddr) -> Option<(u64, u64, Vec<Attempt>)> {
    let (size, align, attempts) = match *op {
        NativeOp::PhysAllocRange {
            size,
            align,
            start,
            end,
        } => (size, align, range_nid(start, end, None, false)),
        NativeOp::AllocTryNid {
            size,
            align,
            min,
            max,
            nid,
        } => (size, align, internal(min, max, nid, false, limit)),
        NativeOp::AllocExactNid {
            size,
            align,
            min,
            max,
            nid,
        } => (size, align, internal(min, max, nid, true, limit)),
        _ => return None,
    };
    let align = if align == 0 { SMP_CACHE_BYTES } else { align };
    Some((size, align, attempts))
}
