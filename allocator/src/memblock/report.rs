//! What the bootmem-compatible layers over memblock report and hand over:
//! the doubled arrays, the free map, and the whole free pages at hand-off.

use super::{Flags, Memblock};
use crate::range::{pfn_down, pfn_phys, pfn_up};
use crate::{Nid, Range};

/// The doubled region arrays (the initial ones are static kernel data),
/// sorted and merged where they touch or overlap.
pub(crate) fn metadata(mb: &Memblock) -> Vec<Range> {
    let mut ranges: Vec<Range> = mb.allocated_arrays().into_iter().map(|(_, r)| r).collect();
    ranges.sort();
    merge(ranges)
}

/// Memory minus reserved, as sorted maximal ranges: the free ranges of
/// `for_each_free_mem_range(NUMA_NO_NODE, MEMBLOCK_NONE)`, with touching
/// ones (of different nodes) joined.
pub(crate) fn free_map(mb: &Memblock) -> Vec<Range> {
    merge(
        mb.free_ranges(None, Flags::NONE)
            .into_iter()
            .map(|f| f.range)
            .collect(),
    )
}

/// The hand-off walk of `memblock_free_all` (v4.19:
/// `free_low_memory_core_early`): for each free range of
/// `for_each_free_mem_range(nid, MEMBLOCK_NONE)` (`nid` = `None` for
/// `NUMA_NO_NODE`, every node, as both layers pass), in address order,
/// hands `sink` its whole pages `PFN_UP(start)..PFN_DOWN(end)`, if any, and
/// returns how many pages it handed over. Free ranges end at memory-region
/// boundaries, so a page straddling two memory regions is never handed
/// over; the doubled arrays stay reserved. Changes nothing.
pub(crate) fn free_pages(mb: &Memblock, nid: Option<Nid>, sink: &mut dyn FnMut(Range)) -> u64 {
    let mut count = 0u64;
    for free in mb.free_ranges(nid, Flags::NONE) {
        let (Some(lo), hi) = (pfn_up(free.range.start()), pfn_down(free.range.end())) else {
            continue;
        };
        if lo >= hi {
            continue;
        }
        if let (Some(start), Some(end)) = (pfn_phys(lo), pfn_phys(hi)) {
            if let Some(pages) = Range::new(start, end) {
                sink(pages);
                count = count.saturating_add(hi - lo);
            }
        }
    }
    count
}

/// Sorted ranges joined where they touch or overlap.
fn merge(sorted: Vec<Range>) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::with_capacity(sorted.len());
    for r in sorted {
        match out.last_mut() {
            Some(last) if last.end() >= r.start() => {
                *last = Range::new(last.start(), last.end().max(r.end())).unwrap_or(*last);
            }
            _ => out.push(r),
        }
    }
    out
}
