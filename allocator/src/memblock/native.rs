//! [`Memblock`]: `struct memblock` and the native calls that change its
//! arrays, as in v6.18 `mm/memblock.c` (S14). The allocation calls are in
//! [`super::alloc`], the search in [`super::find`].

use super::regions::{alloc_bytes, Region, RegionArray};
use super::{cap_size, Array, Flags, MemblockError, ALLOC_ANYWHERE, INIT_MEMBLOCK_REGIONS};
use crate::bugs::{Bug, BugSet};
use crate::range::{align_down, align_up};
use crate::{Nid, PhysAddr, PAGE_SIZE};

/// `struct memblock`: the `memory` and `reserved` region arrays, the
/// allocation direction and the current limit, plus the module's
/// `memblock_can_resize` switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memblock {
    memory: RegionArray,
    reserved: RegionArray,
    bottom_up: bool,
    current_limit: PhysAddr,
    can_resize: bool,
    bugs: BugSet,
}

impl Default for Memblock {
    fn default() -> Memblock {
        Memblock::new()
    }
}

impl Memblock {
    /// The boot state: both arrays empty, static, with room for
    /// [`INIT_MEMBLOCK_REGIONS`] regions; top-down; `current_limit` =
    /// `MEMBLOCK_ALLOC_ANYWHERE`; resizing not yet allowed.
    pub fn new() -> Memblock {
        Memblock::with_capacities(INIT_MEMBLOCK_REGIONS, INIT_MEMBLOCK_REGIONS)
    }

    /// As [`Memblock::new`] with room for `regions` regions in each static
    /// array (at least 1). With the kernel's 128, a scenario of at most 128
    /// calls can never reach region 129; a small capacity lets a fuzzer
    /// exercise array doubling.
    pub fn with_capacity(regions: usize) -> Memblock {
        Memblock::with_capacities(regions, regions)
    }

    /// As [`Memblock::new`] with separate room for the two static arrays,
    /// like the per-arch `INIT_MEMBLOCK_MEMORY_REGIONS` and
    /// `INIT_MEMBLOCK_RESERVED_REGIONS` overrides (each at least 1).
    pub fn with_capacities(memory: usize, reserved: usize) -> Memblock {
        Memblock {
            memory: RegionArray::new(Array::Memory, memory),
            reserved: RegionArray::new(Array::Reserved, reserved),
            bottom_up: false,
            current_limit: ALLOC_ANYWHERE,
            can_resize: false,
            bugs: BugSet::NONE,
        }
    }

    /// The same memblock with the historical `bugs` planted
    /// ([`crate::bugs`]).
    pub fn with_bugs(mut self, bugs: BugSet) -> Memblock {
        self.bugs = bugs;
        self
    }

    /// The planted bugs.
    pub const fn bugs(&self) -> BugSet {
        self.bugs
    }

    /// `memblock.memory`.
    pub const fn memory(&self) -> &RegionArray {
        &self.memory
    }

    /// `memblock.reserved`.
    pub const fn reserved(&self) -> &RegionArray {
        &self.reserved
    }

    /// One of the two arrays.
    pub const fn array(&self, which: Array) -> &RegionArray {
        match which {
            Array::Memory => &self.memory,
            Array::Reserved => &self.reserved,
        }
    }

    pub(super) fn array_mut(&mut self, which: Array) -> &mut RegionArray {
        match which {
            Array::Memory => &mut self.memory,
            Array::Reserved => &mut self.reserved,
        }
    }

    // ---- settings ------------------------------------------------------

    /// `memblock_set_bottom_up`: allocate from low addresses up (v3.13,
    /// "mm/memblock.c: introduce bottom-up allocation mode"). v6.18 has no
    /// kernel-end restriction any more (4.19 started above `__pa(_end)`).
    pub fn set_bottom_up(&mut self, enable: bool) {
        self.bottom_up = enable;
    }

    /// `memblock_bottom_up`.
    pub const fn bottom_up(&self) -> bool {
        self.bottom_up
    }

    /// `memblock_allow_resize`: from now on a full array doubles instead of
    /// failing ([`MemblockError::CannotResize`]).
    pub fn allow_resize(&mut self) {
        self.can_resize = true;
    }

    /// True once [`Memblock::allow_resize`] ran.
    pub const fn can_resize(&self) -> bool {
        self.can_resize
    }

    /// `memblock_set_current_limit`: the highest end an accessible
    /// allocation (and a doubled array) may have.
    pub fn set_current_limit(&mut self, limit: PhysAddr) {
        self.current_limit = limit;
    }

    /// `memblock_get_current_limit`.
    pub const fn current_limit(&self) -> PhysAddr {
        self.current_limit
    }

    // ---- adding --------------------------------------------------------

    /// `memblock_add`: `[base, base + size)` becomes memory with no node
    /// (`MAX_NUMNODES`) and no flags.
    pub fn add(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.add_range(Array::Memory, base, size, None, Flags::NONE)
    }

    /// `memblock_add_node`: `[base, base + size)` becomes memory of `nid`
    /// with `flags`.
    pub fn add_node(
        &mut self,
        base: PhysAddr,
        size: u64,
        nid: Option<Nid>,
        flags: Flags,
    ) -> Result<(), MemblockError> {
        self.add_range(Array::Memory, base, size, nid, flags)
    }

    /// `memblock_reserve`: `[base, base + size)` becomes reserved, with no
    /// node and no flags. Reserving what is reserved, or what is not
    /// memory, is fine.
    pub fn reserve(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.add_range(Array::Reserved, base, size, None, Flags::NONE)
    }

    /// `memblock_reserve_kern`: as [`Memblock::reserve`] with
    /// `MEMBLOCK_RSRV_KERN`.
    pub fn reserve_kern(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.add_range(Array::Reserved, base, size, None, Flags::RSRV_KERN)
    }

    /// `__memblock_reserve`: a reservation with a node and flags.
    pub fn reserve_with(
        &mut self,
        base: PhysAddr,
        size: u64,
        nid: Option<Nid>,
        flags: Flags,
    ) -> Result<(), MemblockError> {
        self.add_range(Array::Reserved, base, size, nid, flags)
    }

    /// `memblock_add_range`: the size is capped at the top of the address
    /// space and 0 is a no-op; an empty array takes the region as is;
    /// otherwise the gaps of `[base, base + size)` that no region covers
    /// are counted, the array doubles while they do not fit (avoiding
    /// `[base, base + size)` when it is the reserved array), and they are
    /// inserted with `nid` and `flags` and merged with their neighbours.
    /// Parts already covered keep their regions' nid and flags (the kernel
    /// WARNs when those differ; the model does not).
    pub(super) fn add_range(
        &mut self,
        which: Array,
        base: PhysAddr,
        size: u64,
        nid: Option<Nid>,
        flags: Flags,
    ) -> Result<(), MemblockError> {
        let size = cap_size(base, size);
        if size == 0 {
            return Ok(());
        }
        let end = base + size;
        let array = self.array_mut(which);
        if array.cnt() == 0 {
            array.set_first(Region::new(base, size, nid, flags));
            return Ok(());
        }
        // The kernel counts with the first pass and keeps that count while
        // it doubles, comparing it with the growing `cnt`. A doubling frees
        // the old array; when that lies inside `[base, end)` and shared a
        // merged region, freeing it splits the region and adds a gap the
        // stale count misses, and the insert pass overflows the array
        // (memblock_insert_region's BUG_ON). Found by this harness; planted
        // back by `Bug::X1StaleGapCount`. By default the gaps are recounted
        // after each doubling.
        let mut nr_new = array.count_gaps(base, end);
        if nr_new == 0 {
            return Ok(());
        }
        while self.array(which).cnt().saturating_add(nr_new) > self.array(which).max() {
            if let Err(e) = self.double_array(which, base, size) {
                // Before 8f7a66051b7 the range went in first, into the
                // spare slot the old arrays kept, and when the doubling that
                // followed failed, `type->cnt--` dropped the array's last
                // region instead of the new one. Planted by
                // `Bug::M5WrongRollback`; by default nothing is inserted.
                if self.bugs.has(Bug::M5WrongRollback) {
                    self.array_mut(which)
                        .insert_then_drop_last(base, end, nid, flags);
                }
                return Err(e);
            }
            if !self.bugs.has(Bug::X1StaleGapCount) {
                nr_new = self.array(which).count_gaps(base, end);
            }
        }
        self.array_mut(which).insert_gaps(base, end, nid, flags)
    }

    // ---- removing ------------------------------------------------------

    /// `memblock_remove`: `[base, base + size)` stops being memory; regions
    /// crossing its edges are split, what is absent is ignored.
    pub fn remove(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.remove_range(Array::Memory, base, size)
    }

    /// `memblock_phys_free`: `[base, base + size)` stops being reserved,
    /// byte-exact; regions crossing its edges are split, and freeing what
    /// is not reserved is silently ignored.
    pub fn free(&mut self, base: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.remove_range(Array::Reserved, base, size)
    }

    /// `memblock_remove_range`: isolate, then drop the regions inside.
    fn remove_range(
        &mut self,
        which: Array,
        base: PhysAddr,
        size: u64,
    ) -> Result<(), MemblockError> {
        let (start_rgn, end_rgn) = self.isolate_range(which, base, size)?;
        let array = self.array_mut(which);
        for i in (start_rgn..end_rgn).rev() {
            array.remove(i);
        }
        Ok(())
    }

    /// `memblock_isolate_range`: makes room for two more regions (doubling
    /// even when nothing will be split), then splits the regions crossing
    /// the edges of `[base, base + size)` (capped) and returns the index
    /// range of the regions inside it.
    fn isolate_range(
        &mut self,
        which: Array,
        base: PhysAddr,
        size: u64,
    ) -> Result<(usize, usize), MemblockError> {
        let size = cap_size(base, size);
        if size == 0 {
            return Ok((0, 0));
        }
        while self.array(which).cnt().saturating_add(2) > self.array(which).max() {
            self.double_array(which, base, size)?;
        }
        self.array_mut(which).isolate(base, base + size)
    }

    // ---- doubling ------------------------------------------------------

    /// `memblock_double_array`: moves array `which` into a new array of
    /// twice the room, `PAGE_ALIGN(2 * max * 24)` bytes of free memory
    /// found by `memblock_find_in_range` in the current direction, at or
    /// above `PAGE_SIZE` and below `current_limit`.
    ///
    /// For the reserved array the search first looks at or above the end of
    /// the range about to be reserved (`[new_area_start, + new_area_size)`)
    /// and then below its start (48c3b583bbdd); for the memory array it
    /// looks everywhere. Faithfully, a "below" bound of 0 or 1 is
    /// `MEMBLOCK_ALLOC_ACCESSIBLE` / `_NOLEAKTRACE` to the search and means
    /// `current_limit`: when the range being reserved starts at 0 or 1 and
    /// nothing fits above it, the new array may land inside it.
    ///
    /// Then, as the kernel does and in its order: the array switches, `max`
    /// doubles, the old array is freed if it was itself allocated (the
    /// static initial array is kernel data), ignoring any failure of that
    /// free, and the new array is reserved with `MEMBLOCK_RSRV_KERN`.
    pub(super) fn double_array(
        &mut self,
        which: Array,
        new_area_start: PhysAddr,
        new_area_size: u64,
    ) -> Result<(), MemblockError> {
        if !self.can_resize {
            return Err(MemblockError::CannotResize(which));
        }
        let no_space = MemblockError::NoSpace(which);
        let old_max = self.array(which).max();
        let new_max = old_max.checked_mul(2).ok_or(no_space)?;
        let old_alloc = alloc_bytes(old_max).ok_or(no_space)?;
        let new_alloc = alloc_bytes(new_max).ok_or(no_space)?;
        let (avoid_start, avoid_size) = match which {
            Array::Reserved => (new_area_start, new_area_size),
            Array::Memory => (0, 0),
        };
        let limit = self.current_limit;
        let mut addr = self.find_in_range(
            avoid_start.saturating_add(avoid_size),
            limit,
            new_alloc,
            PAGE_SIZE,
        );
        // The kernel searches below with an end of min(new_area_start,
        // current_limit); for a new area starting at 0 or 1 that end is
        // MEMBLOCK_ALLOC_ACCESSIBLE or _NOLEAKTRACE, i.e. no bound, and the
        // new array can land inside the range being reserved. Nothing
        // page-aligned at or above PAGE_SIZE lies below PAGE_SIZE, so the
        // search below is skipped there; `Bug::X2SentinelBelowEnd` plants
        // the kernel's unbounded search back.
        let below_end = avoid_start.min(limit);
        let searchable = below_end >= PAGE_SIZE || self.bugs.has(Bug::X2SentinelBelowEnd);
        if addr.is_none() && avoid_size != 0 && searchable {
            addr = self.find_in_range(0, below_end, new_alloc, PAGE_SIZE);
        }
        let addr = addr.ok_or(no_space)?;
        let bytes = crate::Range::from_base_size(addr, new_alloc).ok_or(no_space)?;
        if let Some(old) = self.array_mut(which).relocate(bytes, new_max) {
            // `memblock_free(old_array, old_alloc_size)` returns nothing.
            let _ = self.remove_range(Array::Reserved, old.start(), old_alloc);
        }
        self.add_range(Array::Reserved, addr, new_alloc, None, Flags::RSRV_KERN)
            .map_err(|_| MemblockError::ReserveNewArray(which))
    }

    // ---- rewriting -----------------------------------------------------

    /// `memblock_set_node`: the regions of `which` inside `[base, base +
    /// size)` get node `nid` (regions crossing the edges are split first),
    /// then merge where they can.
    pub fn set_node(
        &mut self,
        base: PhysAddr,
        size: u64,
        which: Array,
        nid: Option<Nid>,
    ) -> Result<(), MemblockError> {
        let (start_rgn, end_rgn) = self.isolate_range(which, base, size)?;
        let array = self.array_mut(which);
        array.set_nid(start_rgn, end_rgn, nid);
        array.merge(start_rgn, end_rgn);
        Ok(())
    }

    /// `memblock_trim_memory`: every memory region is cut to `align`
    /// boundaries, and removed when nothing is left.
    ///
    /// Faithful to v6.18 in two odd details: a trimmed region's new size is
    /// written without updating `memory.total_size` (only removals update
    /// it), so `total_size` overstates memory after a trim; and nothing is
    /// merged. Where the kernel's `round_up` would wrap past 2^64 (a region
    /// within `align` of the top), the region is removed here. An `align`
    /// that is not a power of two is [`MemblockError::BadAlign`] (the
    /// kernel's masks would give nonsense; `align = 0` would remove every
    /// region).
    pub fn trim_memory(&mut self, align: u64) -> Result<(), MemblockError> {
        if !align.is_power_of_two() {
            return Err(MemblockError::BadAlign);
        }
        let mut i = 0;
        while let Some(r) = self.memory.get(i).copied() {
            let start = align_up(r.base(), align);
            let end = align_down(r.end(), align).unwrap_or(0);
            if start == Some(r.base()) && end == r.end() {
                i += 1;
                continue;
            }
            match start {
                Some(start) if start < end => {
                    self.memory.retarget_keeping_total(i, start, end - start);
                    i += 1;
                }
                _ => self.memory.remove(i),
            }
        }
        Ok(())
    }

    // ---- queries -------------------------------------------------------

    /// `memblock_overlaps_region`: true when some region of `which` shares
    /// a byte with `[base, base + size)` (the size capped: 023accf5cdc1
    /// "memblock: ensure there is no overflow in memblock_overlaps_region()").
    pub fn overlaps_region(&self, which: Array, base: PhysAddr, size: u64) -> bool {
        if self.bugs.has(Bug::M15OverlapsWrap) {
            // Before 023accf5cdc1: `memblock_addrs_overlap(base, size, ...)`
            // adds `base + size` uncapped, so an end past 2^64 wraps to a
            // small address and the range overlaps almost nothing.
            return size != 0 && self.array(which).overlaps(base, base.wrapping_add(size));
        }
        let end = base + cap_size(base, size);
        base < end && self.array(which).overlaps(base, end)
    }

    /// `memblock_is_region_memory`: true when `[base, base + size)` lies
    /// inside **one** memory region (a subset test, unlike the intersect
    /// test of [`Memblock::is_region_reserved`]; the asymmetry is
    /// intentional, eab309494ae2). A size of 0 asks about `base` alone.
    pub fn is_region_memory(&self, base: PhysAddr, size: u64) -> bool {
        let end = base + cap_size(base, size);
        self.memory
            .search(base)
            .and_then(|i| self.memory.get(i))
            .is_some_and(|r| r.end() >= end)
    }

    /// `memblock_is_region_reserved`: true when `[base, base + size)`
    /// intersects a reservation. The size is capped here as well, as it was
    /// until 023accf5cdc1 moved the cap into `memblock_overlaps_region`, so
    /// [`Bug::M15OverlapsWrap`] leaves this query safe, as it was then.
    pub fn is_region_reserved(&self, base: PhysAddr, size: u64) -> bool {
        let size = cap_size(base, size);
        if self.bugs.has(Bug::L13RegionReservedIndex) {
            // Before f1c2c19c498 the call returned what
            // `memblock_overlaps_region` returned then, the index of the
            // first overlapping region or -1, and callers read it as a
            // boolean: -1 (no overlap) is true, region 0 is false.
            return self.first_overlapping(Array::Reserved, base, size) != Some(0);
        }
        self.overlaps_region(Array::Reserved, base, size)
    }

    /// The index of the first region of `which` sharing a byte with `[base,
    /// base + size)` (capped), the value `memblock_overlaps_region` returned
    /// before f1c2c19c498 (with `None` for its -1).
    // Only a planted fault calls this: keep it off the hot path.
    #[cold]
    #[inline(never)]
    fn first_overlapping(&self, which: Array, base: PhysAddr, size: u64) -> Option<usize> {
        let end = base + cap_size(base, size);
        let array = self.array(which);
        let i = array.first_ending_after(base);
        array
            .get(i)
            .is_some_and(|r| base < end && r.base() < end)
            .then_some(i)
    }

    /// `memblock_is_memory`.
    pub fn is_memory(&self, addr: PhysAddr) -> bool {
        self.memory.search(addr).is_some()
    }

    /// `memblock_is_reserved`.
    pub fn is_reserved(&self, addr: PhysAddr) -> bool {
        self.reserved.search(addr).is_some()
    }

    /// `memblock_phys_mem_size`: `memory.total_size`.
    pub const fn phys_mem_size(&self) -> u64 {
        self.memory.total_size()
    }

    /// `memblock_reserved_size`: `reserved.total_size`.
    pub const fn reserved_size(&self) -> u64 {
        self.reserved.total_size()
    }

    /// The arrays that were allocated by doubling and where they are, as
    /// `PAGE_ALIGN(max * 24)`-byte ranges, memory first. The static initial
    /// arrays are kernel data and are never listed.
    pub fn allocated_arrays(&self) -> Vec<(Array, crate::Range)> {
        [&self.memory, &self.reserved]
            .into_iter()
            .filter_map(|a| a.placement().map(|r| (a.kind(), r)))
            .collect()
    }

    /// `PAGE_ALIGN(max * 24)` for a doubled array of `max` regions.
    pub fn array_bytes(max: usize) -> Option<u64> {
        alloc_bytes(max)
    }
}
