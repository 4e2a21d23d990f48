//! [`MemblockBootMem`]: the SPEC section 3 contract on top of the native
//! [`Memblock`], registered as `memblock` (top-down) and `memblock_bu`
//! (bottom-up from `setup` on).
//!
//! The layer is thin: each call checks what the contract demands and
//! memblock itself does not (the checks, life cycle and rollback shared
//! with `nobootmem`, in `super::boundary`), then makes one native call.
//!
//! | contract | native | what the layer adds |
//! |---|---|---|
//! | `add_memory(range, nid)` | `memblock_add_node(base, size, nid, NONE)` | `Invalid` for an empty range, `nid >= MAX_NODES` or any byte already RAM (memblock would silently keep the old regions) |
//! | `setup` | `memblock_allow_resize` (+ `memblock_set_bottom_up(true)`) | nothing is placed: the initial arrays are static kernel data |
//! | `reserve` | `memblock_reserve` | `Invalid` unless every byte is RAM (memblock reserves anything); `Busy` for an exclusive reserve that meets a reserved byte |
//! | `reserve_node` | `memblock_reserve` | also `Invalid` unless inside one memory region of the node |
//! | `free` | `memblock_phys_free` | `Invalid` unless all RAM, or when it touches a doubled array; `DoubleFree` unless every byte is reserved (memblock ignores what is absent) |
//! | `free_node` | `memblock_phys_free` | also `Invalid` unless inside one memory region of the node |
//! | `alloc` | `memblock_alloc_try_nid_raw` / `memblock_alloc_exact_nid_raw` | `Invalid` per `AllocRequest::validate`; the request's limit mapped to `max_addr` |
//! | `release_all` | `memblock_free_all` | `Retired` afterwards |
//!
//! **Stages.** For node `n` and goal `g` (= `min_addr`) the native attempt
//! order, `n` from `g`, any node from `g`, `n` from 0, any node from 0, is
//! exactly SPEC stages 1, 2, 3, 4; `exact_nid` gives stages 1 and 3; no node
//! gives stages 2 and 4. `Exact` without a node acts as `Prefer`. A node
//! `>= MAX_NODES` has no memory: with `Prefer` the request acts as one with
//! no node, with `Exact` it fails.
//!
//! **Limit.** The contract's `limit` is an exclusive bound on the end, as
//! memblock's `max_addr` is; 0 means none, i.e. `MEMBLOCK_ALLOC_ACCESSIBLE`
//! (`current_limit`, which the layer never lowers). A limit below
//! `PAGE_SIZE + size` cannot be met (a block starts at or above
//! `PAGE_SIZE`) and fails without a search, which also keeps the limit 1 from
//! reaching memblock, where it would be `MEMBLOCK_ALLOC_NOLEAKTRACE`, "no
//! limit".
//!
//! **Alignment 0.** Natively it means `SMP_CACHE_BYTES`; the contract says
//! `Invalid`, and the layer says so.
//!
//! **Failed calls change nothing.** memblock can change state and still
//! fail: an array may double and then the next doubling fail, or an
//! allocation's reservation may fail after a doubling. The layer snapshots
//! the allocator before every call that changes it and restores the
//! snapshot when the call fails, so a failed call never leaves a doubled
//! array behind. Failures that memblock has and the contract does not know
//! (no room to double an array: the kernel's `-ENOMEM`, or its panic before
//! `memblock_allow_resize`) are reported as [`Error::NoMem`](crate::Error::NoMem).
//!
//! **Metadata.** The initial arrays are static; once an array has doubled,
//! its `PAGE_ALIGN(max * 24)` bytes are reserved (`RSRV_KERN`) and reported
//! by [`BootMem::metadata`], and stay reserved at `release_all`
//! ([`MetadataHandoff::Kept`](crate::MetadataHandoff::Kept); the kernel frees them later, in
//! `memblock_discard`).
//!
//! **Hand-off.** `release_all` is `memblock_free_all`: each free range
//! (`for_each_free_mem_range`: one memory region minus the reservations)
//! hands over its whole pages, `PFN_UP(start)..PFN_DOWN(end)`. Free ranges
//! end at memory-region boundaries, so a page straddling two regions of
//! different nodes is never handed over, even when all its bytes are free.

use super::boundary::{self, Layer, Life};
use super::native::Memblock;
use super::report;
use super::{Flags, ALLOC_ACCESSIBLE, INIT_MEMBLOCK_REGIONS};
use crate::bugs::BugSet;
use crate::{
    AllocRequest, BootMem, Nid, NodePolicy, Outcome, PhysAddr, Placement, Profile, Range,
    ReserveMode, MAX_NODES,
};

/// The allocation direction chosen at `setup`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// memblock's default: the highest fit (`memblock`).
    TopDown,
    /// `memblock_set_bottom_up(true)`: the lowest fit (`memblock_bu`).
    BottomUp,
}

/// The bootmem-compatible memblock backend.
#[derive(Clone, Debug)]
pub struct MemblockBootMem {
    inner: Memblock,
    direction: Direction,
    life: Life,
    bugs: BugSet,
}

impl MemblockBootMem {
    /// `memblock`: top-down, the kernel's 128-region static arrays.
    pub fn top_down(bugs: BugSet) -> MemblockBootMem {
        Self::with_capacity(bugs, Direction::TopDown, INIT_MEMBLOCK_REGIONS)
    }

    /// `memblock_bu`: bottom-up from `setup` on, 128-region static arrays.
    pub fn bottom_up(bugs: BugSet) -> MemblockBootMem {
        Self::with_capacity(bugs, Direction::BottomUp, INIT_MEMBLOCK_REGIONS)
    }

    /// Either direction with room for `regions` regions in each static
    /// array, so that a short scenario reaches array doubling. Note that
    /// the memory array cannot double before `setup`, so registering more
    /// memory regions than that before `setup` fails with `NoMem`.
    pub fn with_capacity(bugs: BugSet, direction: Direction, regions: usize) -> MemblockBootMem {
        Self::with_capacities(bugs, direction, regions, regions)
    }

    /// As [`MemblockBootMem::with_capacity`] with separate room for the
    /// memory and the reserved array.
    pub fn with_capacities(
        bugs: BugSet,
        direction: Direction,
        memory: usize,
        reserved: usize,
    ) -> MemblockBootMem {
        MemblockBootMem {
            inner: Memblock::with_capacities(memory, reserved).with_bugs(bugs),
            direction,
            life: Life::Registering,
            bugs,
        }
    }

    /// The native allocator underneath, for inspection.
    pub const fn native(&self) -> &Memblock {
        &self.inner
    }

    /// The native allocator, mutable, for tests.
    #[cfg(test)]
    pub(super) fn native_mut(&mut self) -> &mut Memblock {
        &mut self.inner
    }

    /// The direction chosen at construction.
    pub const fn direction(&self) -> Direction {
        self.direction
    }

    /// The planted bugs.
    pub const fn bugs(&self) -> BugSet {
        self.bugs
    }

    /// The native call an allocation request maps to, or `None` when the
    /// request can be seen to fail without a search; on failure nothing
    /// changes.
    fn native_alloc(&mut self, req: &AllocRequest) -> Option<PhysAddr> {
        let max_addr = boundary::native_limit(req, ALLOC_ACCESSIBLE)?;
        let (nid, exact) = match (req.nid, req.policy) {
            (Some(n), NodePolicy::Exact) if n >= MAX_NODES => return None,
            (Some(n), _) if n >= MAX_NODES => (None, false),
            (Some(n), NodePolicy::Exact) => (Some(n), true),
            (nid, _) => (nid, false),
        };
        let (size, align, goal) = (req.size, req.align, req.goal);
        boundary::transaction(self, |mb| {
            if exact {
                mb.inner
                    .alloc_exact_nid_raw(size, align, goal, max_addr, nid)
            } else {
                mb.inner.alloc_try_nid_raw(size, align, goal, max_addr, nid)
            }
        })
        .ok()
    }
}

/// What the shared boundary (`super::boundary`) works on.
impl Layer for MemblockBootMem {
    fn state(&mut self) -> (&mut Memblock, &mut Life) {
        (&mut self.inner, &mut self.life)
    }
}

impl BootMem for MemblockBootMem {
    fn name(&self) -> &'static str {
        match self.direction {
            Direction::TopDown => "memblock",
            Direction::BottomUp => "memblock_bu",
        }
    }

    /// memblock's profile: the highest fit top-down, the lowest bottom-up.
    fn profile(&self) -> Profile {
        boundary::profile(match self.direction {
            Direction::TopDown => Placement::Highest,
            Direction::BottomUp => Placement::Lowest,
        })
    }

    /// `memblock_add_node(base, size, nid, MEMBLOCK_NONE)`, before or after
    /// `setup`. `Invalid` for an empty range, `nid >= MAX_NODES`, or a byte
    /// already registered; `NoMem` when the memory array is full and cannot
    /// double (before `setup`: not allowed yet; after: no free memory for
    /// it); `Retired` after `release_all`.
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        boundary::add_memory(self, range, nid, |mb| {
            mb.inner
                .add_node(range.start(), range.len(), Some(nid), Flags::NONE)
        })
    }

    /// `memblock_allow_resize`, and `memblock_set_bottom_up(true)` for
    /// `memblock_bu`. Nothing is placed, so this never fails;
    /// `Unsupported` when already set up.
    fn setup(&mut self) -> Outcome<()> {
        boundary::setup(self, |mb| {
            mb.inner.allow_resize();
            mb.inner.set_bottom_up(mb.direction == Direction::BottomUp);
        })
    }

    /// `memblock_reserve`, after the boundary's checks.
    fn reserve(&mut self, base: PhysAddr, size: u64, mode: ReserveMode) -> Outcome<()> {
        boundary::reserve(self, None, base, size, mode, |mb| {
            mb.inner.reserve(base, size)
        })
    }

    /// `memblock_reserve`, after the boundary's checks, node check included.
    fn reserve_node(
        &mut self,
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        boundary::reserve(self, Some(nid), base, size, mode, |mb| {
            mb.inner.reserve(base, size)
        })
    }

    /// `memblock_phys_free`, after the boundary's checks.
    fn free(&mut self, base: PhysAddr, size: u64) -> Outcome<()> {
        boundary::free(self, None, base, size, |mb| mb.inner.free(base, size))
    }

    /// `memblock_phys_free`, after the boundary's checks, node check
    /// included; the node is not passed on.
    fn free_node(&mut self, nid: Nid, base: PhysAddr, size: u64) -> Outcome<()> {
        boundary::free(self, Some(nid), base, size, |mb| mb.inner.free(base, size))
    }

    /// The native allocation of the request (see the module
    /// documentation); on failure nothing changes and the request's
    /// failure kind is returned.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        boundary::alloc(self, req, MemblockBootMem::native_alloc)
    }

    /// `memblock_free_all`: the whole pages of every free range, range by
    /// range (`report::free_pages`); the doubled arrays stay reserved.
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        boundary::release_all(self, sink, |mb, sink| {
            report::free_pages(&mb.inner, None, sink)
        })
    }

    /// The doubled arrays, sorted and merged where they touch or overlap.
    fn metadata(&self) -> Vec<Range> {
        boundary::metadata(&self.inner, self.life)
    }

    /// Room for the reserved array to double, twice if need be
    /// ([`super::reserved_growth`]): reserve, free and alloc record into
    /// the reserved array, and fail with `NoMem` when it is full and no free
    /// memory can hold its double.
    fn metadata_growth(&self) -> Option<u64> {
        super::reserved_growth(self.inner.reserved().max())
    }

    /// Memory minus reserved, as sorted maximal ranges (touching free
    /// ranges of different nodes joined).
    fn free_map(&self) -> Vec<Range> {
        boundary::free_map(&self.inner, self.life)
    }
}
