//! Free memory and the search for a block in it: the free-range iterator
//! (`for_each_free_mem_range`, `__next_mem_range`) and
//! `memblock_find_in_range_node` with its two directions.
//!
//! A free range is a piece of **one** memory region that no reservation
//! covers, so a block found in one never spans two memory regions, and in
//! particular never two nodes: regions of different nids (or flags) are
//! never merged.

use super::native::Memblock;
use super::regions::Region;
use super::{numa_valid_node, Flags, ALLOC_ACCESSIBLE, ALLOC_NOLEAKTRACE};
use crate::range::{align_down, align_up};
use crate::{Nid, PhysAddr, Range, PAGE_SIZE};

/// One free range: a piece of one memory region outside every reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeRange {
    /// The bytes.
    pub range: Range,
    /// The node of the memory region it lies in.
    pub nid: Option<Nid>,
}

impl Memblock {
    /// `should_skip_region` for a memory region: another node when a valid
    /// node is asked for, `MIRROR` wanted but missing, `NOMAP` or
    /// `DRIVER_MANAGED` not asked for, `KHO_SCRATCH` wanted but missing.
    /// (`movable_node` is not modelled, so `HOTPLUG` never skips.)
    fn skips(region: &Region, nid: Option<Nid>, flags: Flags) -> bool {
        let f = region.flags();
        (numa_valid_node(nid) && nid != region.nid())
            || (flags.contains(Flags::MIRROR) && !f.contains(Flags::MIRROR))
            || (!flags.contains(Flags::NOMAP) && f.contains(Flags::NOMAP))
            || (!flags.contains(Flags::DRIVER_MANAGED) && f.contains(Flags::DRIVER_MANAGED))
            || (flags.contains(Flags::KHO_SCRATCH) && !f.contains(Flags::KHO_SCRATCH))
    }

    /// `for_each_free_mem_range(i, nid, flags, ...)`: the free ranges of
    /// the memory regions that `nid` and `flags` select, ascending. (The
    /// kernel's iterator can also yield empty ranges between touching
    /// reservations; they are left out.)
    pub fn free_ranges(&self, nid: Option<Nid>, flags: Flags) -> Vec<FreeRange> {
        let reserved = self.reserved().regions();
        let mut out = Vec::new();
        for m in self.memory().regions() {
            if Self::skips(m, nid, flags) {
                continue;
            }
            let (m_start, m_end) = (m.base(), m.end());
            let mut cursor = m_start;
            let first = self.reserved().first_ending_after(m_start);
            for r in reserved.iter().skip(first) {
                if r.base() >= m_end {
                    break;
                }
                if r.base() > cursor {
                    out.extend(free(cursor, r.base(), m.nid()));
                }
                cursor = cursor.max(r.end());
            }
            if cursor < m_end {
                out.extend(free(cursor, m_end, m.nid()));
            }
        }
        out
    }

    /// `memblock_find_in_range_node`: a free, `align`-aligned block of
    /// `size` bytes in `[start, end)` on node `nid` (any node for `None` or
    /// an invalid node), in the current direction; `None` is the kernel's
    /// 0.
    ///
    /// `end` = [`ALLOC_ACCESSIBLE`] or [`ALLOC_NOLEAKTRACE`] means
    /// `current_limit`; `start` is raised to `PAGE_SIZE` so that the first
    /// page is never handed out (25818f0f288c "memblock: Make MEMBLOCK_ERROR
    /// be 0") and `end` to `start`. Top-down takes the highest fit: in each
    /// free range from the top, clamped to `[start, end)`, the candidate
    /// `round_down(end - size, align)`. Bottom-up takes the lowest: the
    /// candidate `round_up(start, align)`. `align` must be a power of two;
    /// any other alignment (0 included) finds nothing.
    ///
    /// Public for [`crate::nobootmem`], whose allocations are this search
    /// followed by a plain [`Memblock::reserve`] (4.19
    /// `__alloc_memory_core_early`).
    pub fn find_in_range_node(
        &self,
        size: u64,
        align: u64,
        start: PhysAddr,
        end: PhysAddr,
        nid: Option<Nid>,
        flags: Flags,
    ) -> Option<PhysAddr> {
        let end = if end == ALLOC_ACCESSIBLE || end == ALLOC_NOLEAKTRACE {
            self.current_limit()
        } else {
            end
        };
        let start = start.max(PAGE_SIZE);
        let end = end.max(start);
        let ranges = self.free_ranges(nid, flags);
        let clamp = |r: &FreeRange| {
            (
                r.range.start().clamp(start, end),
                r.range.end().clamp(start, end),
            )
        };
        if self.bottom_up() {
            ranges.iter().find_map(|r| {
                let (this_start, this_end) = clamp(r);
                let cand = align_up(this_start, align)?;
                (cand < this_end && this_end - cand >= size).then_some(cand)
            })
        } else {
            ranges.iter().rev().find_map(|r| {
                let (this_start, this_end) = clamp(r);
                let cand = align_down(this_end.checked_sub(size)?, align)?;
                (cand >= this_start).then_some(cand)
            })
        }
    }

    /// `memblock_find_in_range`: any node, no special flags (no mirrored
    /// memory is modelled, so its "retry without MIRROR" never runs).
    pub(super) fn find_in_range(
        &self,
        start: PhysAddr,
        end: PhysAddr,
        size: u64,
        align: u64,
    ) -> Option<PhysAddr> {
        self.find_in_range_node(size, align, start, end, None, Flags::NONE)
    }
}

/// The free range `[start, end)` of node `nid`, when not empty.
fn free(start: PhysAddr, end: PhysAddr, nid: Option<Nid>) -> Option<FreeRange> {
    Range::new(start, end)
        .filter(|r| !r.is_empty())
        .map(|range| FreeRange { range, nid })
}
