//! nobootmem: the bootmem API mapped onto memblock, as in `mm/nobootmem.c`
//! from v3.x to v4.19 (reference section 6, sources S12 and S13).
//!
//! # History
//!
//! `CONFIG_NO_BOOTMEM` first appeared in v2.6.34 as `#ifdef`s inside
//! `mm/bootmem.c`, mapping the bootmem calls onto x86's early_res table
//! (LWN 382559), then onto x86 memblock in v2.6.37, and became the separate
//! `mm/nobootmem.c` that every memblock architecture selected. Its last
//! form, v4.19, is modelled here; v4.20 removed the file ("mm: remove
//! nobootmem", Mike Rapoport) once every caller used memblock directly.
//!
//! What the shim changed, compared with classic bootmem:
//!
//! - **The goal became the minimum of a top-down search**, dropped when
//!   nothing fits above it (classic bootmem: the start of a bottom-up first
//!   fit).
//! - **Allocations are byte exact** and never packed: an allocation is
//!   `memblock_find_in_range_node` followed by a plain `memblock_reserve`.
//! - **free is byte exact and silent**: `free_bootmem` is `memblock_free`,
//!   which splits reservations and ignores what is not reserved (classic
//!   bootmem rounded inward to pages and `BUG()`ed on a double free).
//!
//! # The native calls (v4.19)
//!
//! [`NoBootmem`] keeps a [`Memblock`] and offers the calls of
//! `mm/nobootmem.c` on it, under their kernel names:
//!
//! - [`NoBootmem::alloc_memory_core_early`], `__alloc_memory_core_early(nid,
//!   size, align, goal, limit)`: `limit` clamped to `current_limit`, then
//!   `memblock_find_in_range_node(size, align, goal, limit, nid)` (top-down,
//!   from `max(goal, PAGE_SIZE)`, a block that ends at or below `limit`,
//!   inside one memory region), then `memblock_reserve(addr, size)`. The
//!   reservation is **plain**: no node (`MAX_NUMNODES`) and no flags, so it
//!   merges with touching plain reservations. (v6.16+ memblock reserves its
//!   own allocations with `MEMBLOCK_RSRV_KERN` and the requested node, so
//!   they never merge with plain reservations: the region arrays, and so the
//!   moments they double, differ between the two backends.)
//! - [`NoBootmem::alloc_bootmem_nopanic`], `___alloc_bootmem_nopanic(size,
//!   align, goal, limit)`: any node from `goal`, then any node from 0.
//! - [`NoBootmem::alloc_bootmem_node_nopanic`],
//!   `___alloc_bootmem_node_nopanic(pgdat, size, align, goal, limit)`: node
//!   from `goal`, any node from `goal`, then with `goal = 0` node and any
//!   node again.
//! - [`NoBootmem::free_bootmem`] and [`NoBootmem::free_bootmem_node`]:
//!   `memblock_free(addr, size)`; the node is ignored.
//! - [`NoBootmem::reserve_bootmem`]: v4.19 has no `reserve_bootmem` under
//!   `CONFIG_NO_BOOTMEM`; its callers call `memblock_reserve`, which this is.
//! - [`NoBootmem::free_all_bootmem`], `free_all_bootmem` /
//!   `free_low_memory_core_early`: for each free range (one memory region
//!   minus the reservations) the whole pages `PFN_UP(start)..PFN_DOWN(end)`.
//!
//! # The contract (SPEC section 3) on top
//!
//! | contract | native | what the boundary adds |
//! |---|---|---|
//! | `add_memory(range, nid)` | `memblock_add_node(base, size, nid)` | `Invalid` for an empty range, `nid >= MAX_NODES` or any byte already RAM; `NoMem` when the memory array cannot double; `Retired` after `release_all` |
//! | `setup` | `memblock_allow_resize` | `Ok`; nothing is placed (the initial arrays are static kernel data); a second `setup` is `Unsupported` |
//! | `reserve(range, Default)` | `memblock_reserve` | size 0 `Ok`; overflow `Invalid`; any byte not RAM `Invalid` |
//! | `reserve(range, Exclusive)` | `memblock_reserve` | as `Default`, then `Busy` (and no change) if any byte is already reserved, as `BOOTMEM_EXCLUSIVE` did |
//! | `reserve_node(nid, ...)` | `memblock_reserve` | also `Invalid` unless inside one memory region of `nid` |
//! | `free(range)` | `free_bootmem` = `memblock_free` | size 0 `Ok`; overflow `Invalid`; not all RAM `Invalid`; touches a doubled array `Invalid`; any byte not reserved `DoubleFree` (natively silent); else byte exact |
//! | `free_node(nid, ...)` | `free_bootmem_node` = `memblock_free` | also `Invalid` unless inside one memory region of `nid` |
//! | `alloc`, no node | `___alloc_bootmem_nopanic` | `Invalid` per [`AllocRequest::validate`]; SPEC stages 2, 4 |
//! | `alloc`, node `n`, `Prefer` | `___alloc_bootmem_node_nopanic` | stages 1, 2, 3, 4: exactly the kernel's order |
//! | `alloc`, node `n`, `Exact` | not a bootmem call: node from `goal`, node from 0 | stages 1, 3 |
//! | `alloc` failure | `NULL` (`_nopanic`) / `panic("Out of memory")` | [`AllocRequest::failure`]: `NoMem` or `Panic`; nothing changes |
//! | `release_all` | `free_all_bootmem` | the page count; `Retired` for every later call |
//!
//! Every call but `add_memory` is `Unsupported` before `setup`.
//!
//! **Profile.** Exactly memblock's top-down profile: byte granularity,
//! highest placement, no packing, no crossing of nodes, metadata kept,
//! registration at any time. The harness compares `nobootmem` with
//! `memblock` call by call while their models agree on what is taken, so
//! every outcome the contract determines is the same as
//! [`MemblockBootMem`](crate::memblock::MemblockBootMem)'s; the checks at
//! the boundary are the same as there, in the same order: both layers run
//! them through `crate::memblock::boundary`, and differ only in the native
//! calls they make.
//!
//! **Alignment 0.** The bootmem.h wrappers (`alloc_bootmem`,
//! `alloc_bootmem_node`, ...) pass `SMP_CACHE_BYTES` themselves; a caller
//! passing 0 straight to `__alloc_bootmem` reached the search's
//! `round_down(x, 0)`, whose mask is 0, so every candidate was address 0,
//! below the search's `PAGE_SIZE` floor: nothing was ever found (and
//! `__alloc_bootmem` panicked). Natively the model does the same
//! ([`MemblockError::NoMemory`]); an alignment that is not a power of two
//! and not 0 is [`MemblockError::BadAlign`]. The contract refuses both with
//! `Invalid`.
//!
//! **Nodes past `MAX_NODES`.** A `Prefer` request for such a node acts as
//! one with no node (its node stages are empty), an `Exact` one fails
//! without a search; natively, `__alloc_memory_core_early` with such a node
//! finds nothing, except that `MAX_NUMNODES` itself meant any node (with a
//! `WARN`) in v4.19's free-range iterator.
//!
//! **Limit.** The contract's `limit` bounds the end (`a + size <= limit`),
//! as the kernel's does; 0 means none: `-1UL` (no node) or 0
//! (`MEMBLOCK_ALLOC_ACCESSIBLE`, node variant), both `current_limit`, which
//! is never lowered here. A limit below `PAGE_SIZE + size` cannot be met and
//! fails without a search, as the kernel's search does (its `end` is raised
//! to its `start`). Classic `mm/bootmem.c`'s `___alloc_bootmem_node_nopanic`
//! drops the limit when `goal + size > limit` ("if (limit && goal + size >
//! limit) limit = 0", Yinghai Lu, "bootmem: Make
//! ___alloc_bootmem_node_nopanic() to be real nopanic", 2012);
//! `mm/nobootmem.c` never had that line (checked in v4.19), so nobootmem
//! keeps the limit, and so does the contract: there is no deviation to make.
//!
//! **Failed calls change nothing.** A reservation may double the reserved
//! array and then fail to double it again (memblock's stale count of new
//! regions), leaving the first doubled array behind; an allocation's failed
//! reservation makes that attempt fail (`__alloc_memory_core_early` returns
//! `NULL`) and the next attempt run. As in the memblock backend, the
//! boundary snapshots the allocator before a call that changes it and
//! restores the snapshot when the call fails, so a failed call never leaves
//! a doubled array behind. An array that cannot double (the kernel's
//! `-ENOMEM`) is `NoMem`.
//!
//! **Metadata** is memblock's: the doubled region arrays,
//! `PAGE_ALIGN(max * 24)` bytes each, reported by [`BootMem::metadata`] and
//! kept at hand-off ([`MetadataHandoff::Kept`](crate::MetadataHandoff::Kept): v4.19 frees them later, in
//! `memblock_discard`). [`BootMem::metadata_growth`] is the next doubling of
//! the reserved array, `PAGE_ALIGN(2 * max * 24)`.
//!
//! # Deviations from v4.19
//!
//! - The memblock underneath is the shared model of v6.18 (`crate::memblock`).
//!   Where the two differ in what nobootmem uses: a doubled array is
//!   reserved with `MEMBLOCK_RSRV_KERN` (v4.19: plain `memblock_reserve`, so
//!   it could merge with a touching plain reservation and a doubling could
//!   leave one region fewer); the free-range iterator's `MAX_NUMNODES`
//!   special case is handled here, in
//!   [`NoBootmem::alloc_memory_core_early`].
//! - No slab: the `WARN_ON_ONCE(slab_is_available())` / `kzalloc` branches
//!   never run. No mirrored memory: `choose_memblock_flags()` is always
//!   `MEMBLOCK_NONE`, so the "retry without MIRROR" never runs.
//! - No `HIGHMEM`: `free_all_bootmem` does not clip at `max_low_pfn`, every
//!   page is low memory.
//! - Contents are not modelled: the kernel zeroes every block.
//! - Where the kernel would `BUG()` (a doubled array that cannot be
//!   reserved, an array overflow) the call returns the [`MemblockError`].

#[cfg(test)]
mod tests;

use crate::bugs::{Bug, BugSet};
use crate::memblock::boundary::{self, Layer, Life};
use crate::memblock::report;
use crate::memblock::{Flags, Memblock, MemblockError, ALLOC_ACCESSIBLE, INIT_MEMBLOCK_REGIONS};
use crate::{
    AllocRequest, BootMem, Nid, NodePolicy, Outcome, PhysAddr, Placement, Profile, Range,
    ReserveMode, MAX_NODES,
};

/// `-1UL`: the `limit` that `__alloc_bootmem` and `__alloc_bootmem_nopanic`
/// pass, clamped to `current_limit` by `__alloc_memory_core_early`.
pub const NO_LIMIT: PhysAddr = u64::MAX;

/// The nobootmem backend: memblock's two region arrays, driven by the
/// bootmem calls of v4.19 `mm/nobootmem.c`.
#[derive(Clone, Debug)]
pub struct NoBootmem {
    mb: Memblock,
    life: Life,
    bugs: BugSet,
}

impl NoBootmem {
    /// `nobootmem` with the kernel's 128-region static arrays.
    pub fn new(bugs: BugSet) -> NoBootmem {
        Self::with_capacities(bugs, INIT_MEMBLOCK_REGIONS, INIT_MEMBLOCK_REGIONS)
    }

    /// Room for `regions` regions in each static array, so that a short
    /// scenario reaches array doubling. The memory array cannot double
    /// before `setup`, so registering more memory regions than that before
    /// `setup` fails with `NoMem`.
    pub fn with_capacity(bugs: BugSet, regions: usize) -> NoBootmem {
        Self::with_capacities(bugs, regions, regions)
    }

    /// Separate room for the static memory and reserved arrays (each at
    /// least 1).
    pub fn with_capacities(bugs: BugSet, memory: usize, reserved: usize) -> NoBootmem {
        NoBootmem {
            mb: Memblock::with_capacities(memory, reserved).with_bugs(bugs),
            life: Life::Registering,
            bugs,
        }
    }

    /// The memblock underneath, for inspection.
    pub const fn memblock(&self) -> &Memblock {
        &self.mb
    }

    /// The planted bugs.
    pub const fn bugs(&self) -> BugSet {
        self.bugs
    }

    // ---- the native calls ------------------------------------------------

    /// `__alloc_memory_core_early(nid, size, align, goal, limit)`: `limit`
    /// clamped to `current_limit`; `memblock_find_in_range_node(size, align,
    /// goal, limit, nid, MEMBLOCK_NONE)`, top-down: the highest block of
    /// `size` bytes aligned to `align`, starting at or above `max(goal,
    /// PAGE_SIZE)`, ending at or below `limit` (0 =
    /// `MEMBLOCK_ALLOC_ACCESSIBLE`, i.e. `current_limit`), inside one memory
    /// region of node `nid` (`None` = `NUMA_NO_NODE`, any node); then a plain
    /// `memblock_reserve(addr, size)`.
    ///
    /// [`MemblockError::NoMemory`] is the kernel's `NULL`: nothing found, or
    /// the reservation failed because the reserved array could not double.
    /// A node `>= MAX_NODES` selects no memory region, except
    /// `MAX_NUMNODES` itself, which v4.19's iterator turns into
    /// `NUMA_NO_NODE` with a `WARN`. An `align` of 0 finds nothing (see the
    /// module documentation); any other alignment that is not a power of
    /// two is [`MemblockError::BadAlign`]. The kernel's `BUG()`s
    /// ([`MemblockError::ReserveNewArray`], [`MemblockError::ArrayOverflow`])
    /// are returned as they are.
    pub fn alloc_memory_core_early(
        &mut self,
        nid: Option<Nid>,
        size: u64,
        align: u64,
        goal: PhysAddr,
        limit: PhysAddr,
    ) -> Result<PhysAddr, MemblockError> {
        if align != 0 && !align.is_power_of_two() {
            return Err(MemblockError::BadAlign);
        }
        let nid = match nid {
            Some(n) if n == MAX_NODES => None,
            Some(n) if n > MAX_NODES => return Err(MemblockError::NoMemory),
            other => other,
        };
        let limit = limit.min(self.mb.current_limit());
        let addr = self
            .mb
            .find_in_range_node(size, align, goal, limit, nid, Flags::NONE)
            .ok_or(MemblockError::NoMemory)?;
        match self.mb.reserve(addr, size) {
            Ok(()) => Ok(addr),
            Err(MemblockError::NoSpace(_) | MemblockError::CannotResize(_)) => {
                Err(MemblockError::NoMemory)
            }
            Err(fatal) => Err(fatal),
        }
    }

    /// `___alloc_bootmem_nopanic(size, align, goal, limit)`: any node from
    /// `goal`, then, if `goal != 0`, any node from 0. `limit` is
    /// [`NO_LIMIT`] for `__alloc_bootmem_nopanic` and `__alloc_bootmem`
    /// (which panics where this returns [`MemblockError::NoMemory`]),
    /// `ARCH_LOW_ADDRESS_LIMIT` for the `_low` forms.
    pub fn alloc_bootmem_nopanic(
        &mut self,
        size: u64,
        align: u64,
        goal: PhysAddr,
        limit: PhysAddr,
    ) -> Result<PhysAddr, MemblockError> {
        let mut goal = goal;
        loop {
            match self.alloc_memory_core_early(None, size, align, goal, limit) {
                Err(MemblockError::NoMemory) if goal != 0 => goal = 0,
                other => return other,
            }
        }
    }

    /// `___alloc_bootmem_node_nopanic(pgdat, size, align, goal, limit)`:
    /// node `nid` from `goal`, any node from `goal`, and, if `goal != 0`,
    /// the same two from 0. `limit` is 0 (`MEMBLOCK_ALLOC_ACCESSIBLE`) for
    /// `__alloc_bootmem_node(_nopanic)`, `ARCH_LOW_ADDRESS_LIMIT` for
    /// `__alloc_bootmem_low_node`, and is **kept** when `goal + size >
    /// limit` (unlike `mm/bootmem.c`'s function of the same name).
    pub fn alloc_bootmem_node_nopanic(
        &mut self,
        nid: Nid,
        size: u64,
        align: u64,
        goal: PhysAddr,
        limit: PhysAddr,
    ) -> Result<PhysAddr, MemblockError> {
        let mut goal = goal;
        loop {
            for node in [Some(nid), None] {
                match self.alloc_memory_core_early(node, size, align, goal, limit) {
                    Err(MemblockError::NoMemory) => {}
                    other => return other,
                }
            }
            if goal == 0 {
                return Err(MemblockError::NoMemory);
            }
            goal = 0;
        }
    }

    /// Not a bootmem call: node `nid` only, from `goal`, then from 0 (the
    /// contract's `Exact` policy, as memblock's `memblock_alloc_exact_nid_raw`
    /// orders it).
    pub fn alloc_bootmem_exact_nid_nopanic(
        &mut self,
        nid: Nid,
        size: u64,
        align: u64,
        goal: PhysAddr,
        limit: PhysAddr,
    ) -> Result<PhysAddr, MemblockError> {
        match self.alloc_memory_core_early(Some(nid), size, align, goal, limit) {
            Err(MemblockError::NoMemory) if goal != 0 => {
                self.alloc_memory_core_early(Some(nid), size, align, 0, limit)
            }
            other => other,
        }
    }

    /// `free_bootmem(addr, size)` = `memblock_free(addr, size)`: byte exact,
    /// splitting reservations at the edges; what is not reserved is
    /// silently ignored. Fails only when the split needs a doubled reserved
    /// array and none can be had.
    pub fn free_bootmem(&mut self, addr: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.mb.free(addr, size)
    }

    /// `free_bootmem_node(pgdat, addr, size)`: the same `memblock_free`; the
    /// node is ignored ("The range must reside completely on the specified
    /// node" is the caller's promise, never checked).
    pub fn free_bootmem_node(
        &mut self,
        _nid: Nid,
        addr: PhysAddr,
        size: u64,
    ) -> Result<(), MemblockError> {
        self.mb.free(addr, size)
    }

    /// `memblock_reserve(addr, size)`, what v4.19 callers use in place of
    /// `reserve_bootmem`: a plain reservation, merged with touching plain
    /// ones; reserving what is reserved, or what is not memory, is fine.
    pub fn reserve_bootmem(&mut self, addr: PhysAddr, size: u64) -> Result<(), MemblockError> {
        self.mb.reserve(addr, size)
    }

    /// `free_all_bootmem` (`free_low_memory_core_early`): hands `sink` the
    /// whole pages `PFN_UP(start)..PFN_DOWN(end)` of every free range
    /// (`for_each_free_mem_range(NUMA_NO_NODE, MEMBLOCK_NONE)`: one memory
    /// region minus the reservations, so a page straddling two memory
    /// regions is never handed over) and returns their number. The doubled
    /// arrays stay reserved.
    pub fn free_all_bootmem(&self, sink: &mut dyn FnMut(Range)) -> u64 {
        // Before 337998587f8, 2.6.34's NO_BOOTMEM free_all_bootmem() called
        // free_all_memory_core_early(NODE_DATA(0)->node_id), which walks
        // node 0's ranges only; the fix passes MAX_NUMNODES, every node.
        // Planted by `Bug::E10FreeAllNodeZero`.
        let nid = if self.bugs.has(Bug::E10FreeAllNodeZero) {
            Some(0)
        } else {
            None
        };
        report::free_pages(&self.mb, nid, sink)
    }

    // ---- the boundary ----------------------------------------------------

    /// The native call an allocation request maps to (see the module
    /// documentation), or `None` when it fails, with nothing changed.
    fn native_alloc(&mut self, req: &AllocRequest) -> Option<PhysAddr> {
        // `native_limit` also keeps the limit 1 (memblock's
        // MEMBLOCK_ALLOC_NOLEAKTRACE, "no limit", which v4.19 did not have)
        // away from the search.
        let (size, align, goal) = (req.size, req.align, req.goal);
        match (req.nid, req.policy) {
            (Some(n), NodePolicy::Exact) if n >= MAX_NODES => None,
            (Some(n), NodePolicy::Exact) => {
                let limit = boundary::native_limit(req, ALLOC_ACCESSIBLE)?;
                boundary::transaction(self, |nb| {
                    nb.alloc_bootmem_exact_nid_nopanic(n, size, align, goal, limit)
                })
                .ok()
            }
            (Some(n), NodePolicy::Prefer) if n < MAX_NODES => {
                let limit = boundary::native_limit(req, ALLOC_ACCESSIBLE)?;
                boundary::transaction(self, |nb| {
                    nb.alloc_bootmem_node_nopanic(n, size, align, goal, limit)
                })
                .ok()
            }
            _ => {
                let limit = boundary::native_limit(req, NO_LIMIT)?;
                boundary::transaction(self, |nb| {
                    nb.alloc_bootmem_nopanic(size, align, goal, limit)
                })
                .ok()
            }
        }
    }
}

/// What the shared boundary (`crate::memblock::boundary`) works on.
impl Layer for NoBootmem {
    fn state(&mut self) -> (&mut Memblock, &mut Life) {
        (&mut self.mb, &mut self.life)
    }
}

impl BootMem for NoBootmem {
    fn name(&self) -> &'static str {
        "nobootmem"
    }

    /// memblock's top-down profile, field for field.
    fn profile(&self) -> Profile {
        boundary::profile(Placement::Highest)
    }

    /// `memblock_add_node(base, size, nid)`, before or after `setup`.
    /// `Invalid` for an empty range, `nid >= MAX_NODES`, or a byte already
    /// registered; `NoMem` when the memory array is full and cannot double
    /// (before `setup`: not allowed yet; after: no free memory for it);
    /// `Retired` after `release_all`.
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        boundary::add_memory(self, range, nid, |nb| {
            nb.mb
                .add_node(range.start(), range.len(), Some(nid), Flags::NONE)
        })
    }

    /// `memblock_allow_resize`; top-down stays the direction. Nothing is
    /// placed, so this never fails; `Unsupported` when already set up.
    fn setup(&mut self) -> Outcome<()> {
        boundary::setup(self, |nb| nb.mb.allow_resize())
    }

    /// `memblock_reserve` ([`NoBootmem::reserve_bootmem`]), after the
    /// boundary's checks.
    fn reserve(&mut self, base: PhysAddr, size: u64, mode: ReserveMode) -> Outcome<()> {
        boundary::reserve(self, None, base, size, mode, |nb| {
            nb.reserve_bootmem(base, size)
        })
    }

    /// `memblock_reserve` ([`NoBootmem::reserve_bootmem`]), after the
    /// boundary's checks, node check included.
    fn reserve_node(
        &mut self,
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        boundary::reserve(self, Some(nid), base, size, mode, |nb| {
            nb.reserve_bootmem(base, size)
        })
    }

    /// [`NoBootmem::free_bootmem`], after the boundary's checks.
    fn free(&mut self, base: PhysAddr, size: u64) -> Outcome<()> {
        boundary::free(self, None, base, size, |nb| nb.free_bootmem(base, size))
    }

    /// [`NoBootmem::free_bootmem_node`], after the boundary's checks, node
    /// check included.
    fn free_node(&mut self, nid: Nid, base: PhysAddr, size: u64) -> Outcome<()> {
        boundary::free(self, Some(nid), base, size, |nb| {
            nb.free_bootmem_node(nid, base, size)
        })
    }

    /// The native allocation of the request (see the module
    /// documentation); on failure nothing changes and the request's failure
    /// kind is returned.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        boundary::alloc(self, req, NoBootmem::native_alloc)
    }

    /// `free_all_bootmem`: the whole pages of every free range, range by
    /// range; the doubled arrays stay reserved. Then `Retired`.
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        boundary::release_all(self, sink, |nb, sink| nb.free_all_bootmem(sink))
    }

    /// The doubled arrays, sorted and merged where they touch or overlap.
    fn metadata(&self) -> Vec<Range> {
        boundary::metadata(&self.mb, self.life)
    }

    /// Room for the reserved array to double, twice if need be
    /// ([`crate::memblock::reserved_growth`]): reserve, free and alloc
    /// record into the reserved array, and fail with `NoMem` when it is
    /// full and no free memory can hold its double.
    fn metadata_growth(&self) -> Option<u64> {
        crate::memblock::reserved_growth(self.mb.reserved().max())
    }

    /// Memory minus reserved, as sorted maximal ranges (touching free
    /// ranges of different nodes joined).
    fn free_map(&self) -> Vec<Range> {
        boundary::free_map(&self.mb, self.life)
    }
}
