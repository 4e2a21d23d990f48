//! One region array, `struct memblock_type`, and the primitives the native
//! calls are built from: `memblock_insert_region`, `memblock_remove_region`,
//! `memblock_merge_regions` and the splitting half of
//! `memblock_isolate_range`.
//!
//! The array is kept **sorted, non-overlapping and minimal**: no two
//! touching regions with equal nid and flags (the kernel asserts the first
//! two with `BUG_ON` in `memblock_merge_regions`). `max` is the room of the
//! array as the kernel sized it; the host `Vec` never holds more than `cnt`
//! entries, so a huge `max` costs nothing.

use super::{Array, Flags, MemblockError, REGION_BYTES};
use crate::range::page_up;
use crate::{Nid, PhysAddr, Range};

/// One region: `struct memblock_region`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    pub(super) base: PhysAddr,
    pub(super) size: u64,
    pub(super) nid: Option<Nid>,
    pub(super) flags: Flags,
}

impl Region {
    /// A region; `base + size` must not pass 2^64 (callers cap the size).
    pub const fn new(base: PhysAddr, size: u64, nid: Option<Nid>, flags: Flags) -> Region {
        Region {
            base,
            size,
            nid,
            flags,
        }
    }

    /// First byte.
    pub const fn base(&self) -> PhysAddr {
        self.base
    }

    /// Length in bytes.
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// One past the last byte. Sizes are capped when regions are made, so
    /// this never saturates in practice.
    pub const fn end(&self) -> PhysAddr {
        self.base.saturating_add(self.size)
    }

    /// The node, `None` for `NUMA_NO_NODE` / `MAX_NUMNODES`.
    pub const fn nid(&self) -> Option<Nid> {
        self.nid
    }

    /// The attributes.
    pub const fn flags(&self) -> Flags {
        self.flags
    }

    /// The bytes as a [`Range`].
    pub fn range(&self) -> Range {
        Range::new(self.base, self.end()).unwrap_or(Range::EMPTY)
    }

    /// True when `next` may be merged onto the end of `self`.
    fn merges_with(&self, next: &Region) -> bool {
        self.end() == next.base && self.nid == next.nid && self.flags == next.flags
    }
}

/// A region array: `struct memblock_type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionArray {
    kind: Array,
    regions: Vec<Region>,
    max: usize,
    total_size: u64,
    /// The bytes the array occupies when it was allocated by doubling,
    /// `PAGE_ALIGN(max * 24)` from its base; `None` while it is the static
    /// initial array (kernel data, not managed memory).
    placed: Option<Range>,
}

impl RegionArray {
    /// An empty static array with room for `max` regions (at least one, as
    /// the kernel's empty-array special case writes `regions[0]`).
    pub(super) fn new(kind: Array, max: usize) -> RegionArray {
        RegionArray {
            kind,
            regions: Vec::new(),
            max: max.max(1),
            total_size: 0,
            placed: None,
        }
    }

    /// `name`: "memory" or "reserved".
    pub const fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// Which array this is.
    pub const fn kind(&self) -> Array {
        self.kind
    }

    /// `cnt`: the number of regions.
    pub fn cnt(&self) -> usize {
        self.regions.len()
    }

    /// `max`: the room of the array.
    pub const fn max(&self) -> usize {
        self.max
    }

    /// `total_size`: the bytes of all regions, as the kernel keeps it, in
    /// unsigned `phys_addr_t` arithmetic that wraps (see
    /// [`super::Memblock::trim_memory`] for the one place it goes stale).
    pub const fn total_size(&self) -> u64 {
        self.total_size
    }

    /// The regions, sorted by base.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// Region `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&Region> {
        self.regions.get(i)
    }

    /// The physical base of the array when it was allocated by doubling;
    /// `None` for the static initial array.
    pub fn placed_at(&self) -> Option<PhysAddr> {
        self.placed.map(Range::start)
    }

    /// The bytes the array occupies in managed memory, `[addr, addr +
    /// PAGE_ALIGN(max * 24))`, when it was allocated by doubling.
    pub const fn placement(&self) -> Option<Range> {
        self.placed
    }

    /// The index of the region holding `addr` (`memblock_search`).
    pub fn search(&self, addr: PhysAddr) -> Option<usize> {
        let i = self.regions.partition_point(|r| r.end() <= addr);
        self.regions
            .get(i)
            .is_some_and(|r| r.base <= addr)
            .then_some(i)
    }

    /// True when some region shares a byte with `[base, end)`.
    pub fn overlaps(&self, base: PhysAddr, end: PhysAddr) -> bool {
        let i = self.regions.partition_point(|r| r.end() <= base);
        self.regions.get(i).is_some_and(|r| r.base < end)
    }

    /// The index of the first region that ends after `addr`.
    pub(super) fn first_ending_after(&self, addr: PhysAddr) -> usize {
        self.regions.partition_point(|r| r.end() <= addr)
    }

    /// Moves the array to `bytes` with room for `max` regions; returns
    /// where it was (`None`: the static array).
    pub(super) fn relocate(&mut self, bytes: Range, max: usize) -> Option<Range> {
        self.max = max;
        self.placed.replace(bytes)
    }

    /// The kernel's special case for an empty array in `memblock_add_range`:
    /// the first region is written to `regions[0]` without any room check.
    pub(super) fn set_first(&mut self, region: Region) {
        self.regions = vec![region];
        self.total_size = region.size;
    }

    /// The number of regions `[base, end)` needs: the uncovered gaps (the
    /// counting pass of `memblock_add_range`).
    pub(super) fn count_gaps(&self, base: PhysAddr, end: PhysAddr) -> usize {
        let mut base = base;
        let mut count = 0;
        for r in &self.regions[self.first_ending_after(base)..] {
            if r.base >= end {
                break;
            }
            if r.base > base {
                count += 1;
            }
            base = r.end().min(end);
        }
        count + usize::from(base < end)
    }

    /// `memblock_insert_region`: `region` at index `idx`.
    fn insert(&mut self, idx: usize, region: Region) -> Result<(), MemblockError> {
        if self.regions.len() >= self.max || idx > self.regions.len() {
            return Err(MemblockError::ArrayOverflow(self.kind));
        }
        self.regions.insert(idx, region);
        // Wrapping, as the kernel's unsigned `type->total_size += size`.
        // `isolate` inserts one half before it shrinks the other (the
        // kernel shrinks first), so for a region of more than half the
        // address space the sum passes 2^64 for a moment; only wrapping
        // brings it back exactly (saturating lost bytes at every split).
        self.total_size = self.total_size.wrapping_add(region.size);
        Ok(())
    }

    /// `memblock_remove_region`: drops region `idx`.
    pub(super) fn remove(&mut self, idx: usize) {
        if idx < self.regions.len() {
            let gone = self.regions.remove(idx);
            self.total_size = self.total_size.wrapping_sub(gone.size);
        }
    }

    /// The inserting pass of `memblock_add_range`: every gap of `[base,
    /// end)` not covered by a region becomes a region with `nid` and
    /// `flags`; covered parts keep the existing regions' nid and flags.
    /// Then the neighbourhood of the new regions is merged. The room must
    /// have been made by the caller.
    pub(super) fn insert_gaps(
        &mut self,
        base: PhysAddr,
        end: PhysAddr,
        nid: Option<Nid>,
        flags: Flags,
    ) -> Result<(), MemblockError> {
        let mut base = base;
        let mut idx = self.first_ending_after(base);
        let mut inserted: Option<(usize, usize)> = None;
        let mut note = |idx: usize| {
            let first = inserted.map_or(idx, |(first, _)| first);
            inserted = Some((first, idx + 1));
        };
        while let Some(r) = self.regions.get(idx).copied() {
            if r.base >= end {
                break;
            }
            if r.base > base {
                self.insert(idx, Region::new(base, r.base - base, nid, flags))?;
                note(idx);
                idx += 1;
            }
            base = r.end().min(end);
            idx += 1;
        }
        if base < end {
            self.insert(idx, Region::new(base, end - base, nid, flags))?;
            note(idx);
        }
        if let Some((first, last)) = inserted {
            self.merge(first, last);
        }
        Ok(())
    }

    /// The error path of `memblock_add_region` before 8f7a66051b7 "mm/memblock:
    /// properly handle overlaps and fix error path" (v3.0), planted by
    /// [`Bug::M5WrongRollback`](crate::bugs::Bug::M5WrongRollback): the gaps
    /// of `[base, end)` go in although the array is full (the arrays of
    /// 2.6.37 to 3.0 kept a spare slot, `INIT_MEMBLOCK_REGIONS + 1`, and
    /// doubled once it was taken), then `type->cnt--` drops the **last**
    /// regions, whichever they are, until the count is back where it was.
    /// A new range below the last region stays in; the last region, an
    /// existing reservation, is forgotten.
    // Only a planted fault calls this: keep it off the hot path.
    #[cold]
    #[inline(never)]
    pub(super) fn insert_then_drop_last(
        &mut self,
        base: PhysAddr,
        end: PhysAddr,
        nid: Option<Nid>,
        flags: Flags,
    ) {
        let (cnt, max) = (self.cnt(), self.max);
        self.max = usize::MAX;
        // With no room limit only an index past the end could fail, and
        // `insert_gaps` never makes one.
        let _ = self.insert_gaps(base, end, nid, flags);
        self.max = max;
        while self.cnt() > cnt {
            self.remove(self.cnt() - 1);
        }
    }

    /// `memblock_merge_regions`: merges compatible neighbours among the
    /// regions `[start_rgn - 1, end_rgn]`.
    pub(super) fn merge(&mut self, start_rgn: usize, end_rgn: usize) {
        let mut i = start_rgn.saturating_sub(1);
        let mut end_rgn = end_rgn.min(self.regions.len().saturating_sub(1));
        while i < end_rgn {
            let (Some(this), Some(next)) = (self.regions.get(i), self.regions.get(i + 1)) else {
                return;
            };
            if !this.merges_with(next) {
                i += 1;
                continue;
            }
            let grown = this.size.saturating_add(next.size);
            self.regions[i].size = grown;
            self.regions.remove(i + 1);
            end_rgn -= 1;
        }
    }

    /// The splitting half of `memblock_isolate_range`: regions crossing
    /// `base` or `end` are split there, so that `[base, end)` is covered by
    /// whole regions; returns the index range of those regions (`(0, 0)`
    /// when there are none). The room (two more regions) must have been
    /// made by the caller.
    pub(super) fn isolate(
        &mut self,
        base: PhysAddr,
        end: PhysAddr,
    ) -> Result<(usize, usize), MemblockError> {
        let (mut start_rgn, mut end_rgn) = (0, 0);
        let mut idx = self.first_ending_after(base);
        while let Some(r) = self.regions.get(idx).copied() {
            let rend = r.end();
            if r.base >= end {
                break;
            }
            if r.base < base {
                // Crosses `base`: keep the top half here, insert the bottom
                // half before it, and go on with the top half.
                self.insert(idx, Region::new(r.base, base - r.base, r.nid, r.flags))?;
                idx += 1;
                self.shrink_from_below(idx, base - r.base);
            } else if rend > end {
                // Crosses `end`: insert the bottom half and redo this index,
                // which now holds it.
                self.insert(idx, Region::new(r.base, end - r.base, r.nid, r.flags))?;
                self.shrink_from_below(idx + 1, end - r.base);
            } else {
                if end_rgn == 0 {
                    start_rgn = idx;
                }
                end_rgn = idx + 1;
                idx += 1;
            }
        }
        Ok((start_rgn, end_rgn))
    }

    /// Cuts `by` bytes off the bottom of region `idx`.
    fn shrink_from_below(&mut self, idx: usize, by: u64) {
        if let Some(r) = self.regions.get_mut(idx) {
            r.base = r.base.saturating_add(by);
            r.size = r.size.saturating_sub(by);
            self.total_size = self.total_size.wrapping_sub(by);
        }
    }

    /// Gives the array room for `max` regions without moving it.
    #[cfg(test)]
    pub(super) fn set_max_for_test(&mut self, max: usize) {
        self.max = max;
    }

    /// Sets the nid of the regions `[start_rgn, end_rgn)`.
    pub(super) fn set_nid(&mut self, start_rgn: usize, end_rgn: usize, nid: Option<Nid>) {
        for r in self.regions.iter_mut().take(end_rgn).skip(start_rgn) {
            r.nid = nid;
        }
    }

    /// Moves region `idx` to `[base, base + size)` without touching
    /// `total_size` (what `memblock_trim_memory` does).
    pub(super) fn retarget_keeping_total(&mut self, idx: usize, base: PhysAddr, size: u64) {
        if let Some(r) = self.regions.get_mut(idx) {
            r.base = base;
            r.size = size;
        }
    }
}

/// `PAGE_ALIGN(max * sizeof(struct memblock_region))`: the bytes an
/// allocated array with room for `max` regions takes; `None` when that
/// passes 2^64.
pub fn alloc_bytes(max: usize) -> Option<u64> {
    let bytes = u64::try_from(max).ok()?.checked_mul(REGION_BYTES)?;
    page_up(bytes)
}
