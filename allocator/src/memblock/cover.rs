//! Which bytes the region arrays cover: the queries behind the boundary's
//! `Invalid` and `DoubleFree` checks (see `boundary`).

use super::{Memblock, Region};
use crate::{Nid, Range};

/// True when every byte of the non-empty `range` is memory (touching
/// memory regions of different nodes are fine).
pub(crate) fn is_ram(mb: &Memblock, range: Range) -> bool {
    covered(mb.memory().regions(), range)
}

/// True when every byte of the non-empty `range` is reserved, whatever the
/// flags and nodes of the reservations.
pub(crate) fn all_reserved(mb: &Memblock, range: Range) -> bool {
    covered(mb.reserved().regions(), range)
}

/// True when `range` lies inside one memory region of node `nid`.
pub(crate) fn in_node(mb: &Memblock, nid: Nid, range: Range) -> bool {
    let memory = mb.memory();
    memory
        .search(range.start())
        .and_then(|i| memory.get(i))
        .is_some_and(|r| r.nid() == Some(nid) && r.end() >= range.end())
}

/// True when the sorted, non-overlapping `regions` cover every byte of the
/// non-empty `range`.
fn covered(regions: &[Region], range: Range) -> bool {
    let first = regions.partition_point(|r| r.end() <= range.start());
    let mut next = range.start();
    for r in regions.get(first..).unwrap_or_default() {
        if r.base() > next {
            return false;
        }
        next = next.max(r.end());
        if next >= range.end() {
            return true;
        }
    }
    false
}
