//! memblock: today's Linux `mm/memblock.c`, with its native API, and a
//! bootmem-compatible layer on top of it.
//!
//! # History (reference section 5)
//!
//! memblock started as PowerPC's LMB (Peter Bergner, 2001), became generic
//! as `lib/lmb.c` in v2.6.26-rc1 (d9b2b2a2772), was renamed memblock in
//! v2.6.35 and reworked by Benjamin Herrenschmidt for v2.6.37 (resizable
//! arrays, top-down search, 0 = failure: 25818f0f288c "memblock: Make
//! MEMBLOCK_ERROR be 0", after which a search never starts below
//! `PAGE_SIZE`). 8f7a66051b75 "mm/memblock: properly handle overlaps and fix
//! error path" (2011) made add and remove tolerate arbitrary overlaps, and
//! Tejun Heo's rewrite for v3.3 gave it the shape modelled here:
//! `memblock_add_range` (insert the uncovered gaps, then merge),
//! `memblock_isolate_range` (split at the boundaries), a nid per region,
//! free-range iterators and size capping. Bottom-up mode and region flags
//! came in v3.13/v3.14 ("mm/memblock.c: introduce bottom-up allocation
//! mode"), exact-node allocation in v5.x, and `MEMBLOCK_RSRV_KERN` in 2025
//! ("memblock: add MEMBLOCK_RSRV_KERN flag", Mike Rapoport, the kexec
//! handover series, v6.16): every memblock allocation is now reserved with
//! that flag and the requested nid, so it no longer merges with plain
//! reservations. The model follows v6.18 (source S14).
//!
//! # Files
//!
//! - [`regions`]: one region array (`struct memblock_type`) and its
//!   primitives: insert, merge, split, remove;
//! - [`native`]: [`Memblock`], the native API: add, reserve, remove, free,
//!   array doubling, set_node, trim_memory, the queries;
//! - [`find`]: the free-range iterator and `memblock_find_in_range_node`;
//! - [`alloc`]: `memblock_alloc_range_nid`, `memblock_alloc_internal` and
//!   the allocation wrappers;
//! - [`compat`]: [`MemblockBootMem`], the SPEC section 3 contract on top;
//! - `boundary`: the contract's checks, life cycle and rollback, shared by
//!   [`compat`] and [`crate::nobootmem`], each of which keeps its own
//!   mapping onto native calls;
//! - `cover`: which bytes the region arrays cover (the boundary's queries);
//! - `report`: the metadata, free map and hand-off pages both layers report.
//!
//! # Deviations from mainline (all at the edges of the model)
//!
//! - No slab: `memblock_double_array` never uses `kmalloc`, so doubled
//!   arrays always come from memblock itself, and the allocation paths never
//!   take the "slab is already up" `kzalloc` branch.
//! - No mirrored memory, no `movable_node`, no KHO scratch-only mode:
//!   `choose_memblock_flags()` is always `MEMBLOCK_NONE`, so the "retry
//!   without MIRROR" loops never run. Region flags are kept and the free
//!   range iterator skips `NOMAP` and `DRIVER_MANAGED` memory as mainline
//!   does.
//! - Where the kernel panics or hits `BUG_ON`, the call returns a
//!   [`MemblockError`] instead (documented per variant). Where the kernel
//!   computes garbage from an alignment that is not a power of two
//!   (`round_up`/`round_down` are masks), the call returns
//!   [`MemblockError::BadAlign`].
//! - Contents are not modelled: the zeroing `alloc_try_nid` and the `_raw`
//!   forms differ only in name.
//! - A `nid` is `Option<Nid>`: `None` stands for both `NUMA_NO_NODE` (what
//!   `memblock_reserve` stores) and `MAX_NUMNODES` (what `memblock_add`
//!   stores); a `Some(n)` with `n >= MAX_NODES` is kept as given but, like in
//!   the kernel (`numa_valid_node`), selects no node.
//!
//! # Mainline quirks reproduced faithfully (by code reading of v6.18)
//!
//! Each has a test in `tests/` that pins it down:
//!
//! - **The reserved array on the memory array.** `memblock_double_array`
//!   frees the old array before it reserves the new one. When the memory
//!   array doubles for the second time, freeing its old (allocated) array
//!   may have to double the reserved array, whose search does not yet see
//!   the new memory array as reserved and can pick the same memory: both
//!   arrays then share bytes, and the next memory doubling frees the
//!   reserved array's memory while it is live
//!   (`a_second_memory_doubling_can_put_the_reserved_array_on_the_memory_array`).
//! - **A reservation from address 0 or 1 can swallow the new reserved
//!   array** (planted by `Bug::X2SentinelBelowEnd`; skipped by default,
//!   found by this harness's fuzzing). The "below the new range" search of `memblock_double_array`
//!   passes `min(new_area_start, current_limit)` as its end, which for 0 or
//!   1 is `MEMBLOCK_ALLOC_ACCESSIBLE` / `_NOLEAKTRACE`, i.e. no bound; a
//!   caller freeing its reservation later frees the array too
//!   (`a_reservation_from_zero_can_swallow_the_new_reserved_array`).
//! - **A stale count of new regions** (the variant where freeing the old
//!   array adds a gap is planted by `Bug::X1StaleGapCount`; the backend
//!   recounts by default). `memblock_add_range` keeps its
//!   count while the reserved array's own reservation takes a slot, so a
//!   reservation can double the array twice (`release_all_keeps_the_doubled_arrays`),
//!   and fail after the first doubling, leaving it in place
//!   (`a_reserve_can_double_once_and_then_fail`).
//! - **An allocation can fail with free memory left** when its reservation
//!   needs a bigger reserved array and no page is free for one
//!   (`an_allocation_fails_when_its_reservation_cannot_grow_the_array`).
//! - **`memblock_trim_memory` leaves `memory.total_size` stale**
//!   (`trim_memory_cuts_regions_to_the_alignment`).

pub mod alloc;
pub(crate) mod boundary;
pub mod compat;
pub(crate) mod cover;
pub mod find;
pub mod native;
pub mod regions;
pub(crate) mod report;

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

pub use compat::{Direction, MemblockBootMem};
pub use find::FreeRange;
pub use native::Memblock;
pub use regions::{Region, RegionArray};

use crate::{Nid, PhysAddr, MAX_NODES};
use std::fmt;

/// `INIT_MEMBLOCK_REGIONS`: the room of each static initial array.
pub const INIT_MEMBLOCK_REGIONS: usize = 128;

/// `sizeof(struct memblock_region)` on a 64-bit NUMA kernel: base, size,
/// flags and nid. A doubled array takes `PAGE_ALIGN(2 * max * 24)` bytes.
pub const REGION_BYTES: u64 = 24;

/// The metadata growth a compat-layer call may need, for
/// [`crate::BootMem::metadata_growth`]: the next doubled reserved array,
/// `PAGE_ALIGN(2 * max * 24)`, plus the one after it,
/// `PAGE_ALIGN(4 * max * 24)`. One call may double the array twice (a
/// reserve over many gaps, memblock_add_range's second pass), and the
/// second new array is placed while the first is still live, so room for
/// only the first is not room enough. Contiguous room for both is a
/// conservative bound: the oracle excuses a `NoMem` only where even that is
/// missing.
pub fn reserved_growth(max: usize) -> Option<u64> {
    let max = u64::try_from(max).ok()?;
    let next = crate::range::page_up(max.checked_mul(2 * REGION_BYTES)?)?;
    let after = crate::range::page_up(max.checked_mul(4 * REGION_BYTES)?)?;
    next.checked_add(after)
}

/// `PHYS_ADDR_MAX`: the top of the physical address space. Sizes are capped
/// so that `base + size` never passes it (`memblock_cap_size`).
pub const PHYS_ADDR_MAX: PhysAddr = u64::MAX;

/// `MEMBLOCK_ALLOC_ANYWHERE`: no upper bound, and the initial
/// `current_limit`.
pub const ALLOC_ANYWHERE: PhysAddr = u64::MAX;

/// `MEMBLOCK_ALLOC_ACCESSIBLE`: as an `end`/`max_addr`, "up to
/// `current_limit`".
pub const ALLOC_ACCESSIBLE: PhysAddr = 0;

/// `MEMBLOCK_ALLOC_NOLEAKTRACE`: as an `end`, "up to `current_limit`,
/// without kmemleak". `memblock_find_in_range_node` treats an `end` of 1
/// like [`ALLOC_ACCESSIBLE`], whoever passes it.
pub const ALLOC_NOLEAKTRACE: PhysAddr = 1;

/// `MEMBLOCK_LOW_LIMIT`: the default `min_addr` of the wrappers.
pub const LOW_LIMIT: PhysAddr = 0;

/// `ARCH_LOW_ADDRESS_LIMIT` (the generic default): the `max_addr` of
/// [`Memblock::alloc_low`].
pub const ARCH_LOW_ADDRESS_LIMIT: PhysAddr = 0xffff_ffff;

/// `numa_valid_node(nid)`: a node id below `MAX_NUMNODES`.
pub const fn numa_valid_node(nid: Option<Nid>) -> bool {
    matches!(nid, Some(n) if n < MAX_NODES)
}

/// Region attributes (`enum memblock_flags`), a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flags(u32);

impl Flags {
    /// `MEMBLOCK_NONE`.
    pub const NONE: Flags = Flags(0);
    /// `MEMBLOCK_HOTPLUG`: hot(un)pluggable memory.
    pub const HOTPLUG: Flags = Flags(0x1);
    /// `MEMBLOCK_MIRROR`: mirrored memory.
    pub const MIRROR: Flags = Flags(0x2);
    /// `MEMBLOCK_NOMAP`: not in the direct map; never allocated from.
    pub const NOMAP: Flags = Flags(0x4);
    /// `MEMBLOCK_DRIVER_MANAGED` (5.16): never allocated from.
    pub const DRIVER_MANAGED: Flags = Flags(0x8);
    /// `MEMBLOCK_RSRV_NOINIT`: reserved, struct pages not initialised.
    pub const RSRV_NOINIT: Flags = Flags(0x10);
    /// `MEMBLOCK_RSRV_KERN`: reserved for kernel use, by
    /// `memblock_reserve_kern` or by any memblock allocation.
    pub const RSRV_KERN: Flags = Flags(0x20);
    /// `MEMBLOCK_KHO_SCRATCH`: kexec handover scratch memory.
    pub const KHO_SCRATCH: Flags = Flags(0x40);

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The flags with these raw bits.
    pub const fn from_bits(bits: u32) -> Flags {
        Flags(bits)
    }

    /// True when every flag of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when some flag of `other` is set.
    pub const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// Both sets together.
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// `self` without the flags of `other`.
    pub const fn difference(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [&str; 7] = [
            "HOTPLUG", "MIRROR", "NOMAP", "DRV_MNG", "RSV_NIT", "RSV_KERN", "KHO_SCR",
        ];
        if self.0 == 0 {
            return f.write_str("NONE");
        }
        let mut first = true;
        for (bit, name) in NAMES.iter().enumerate() {
            if self.0 & (1 << bit) != 0 {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        let unknown = self.0 & !((1 << NAMES.len()) - 1);
        if unknown != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{unknown:#x}")?;
        }
        Ok(())
    }
}

/// Which of the two region arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Array {
    /// `memblock.memory`: the RAM.
    Memory,
    /// `memblock.reserved`: what is taken.
    Reserved,
}

impl Array {
    /// The array's name as the kernel prints it.
    pub const fn name(self) -> &'static str {
        match self {
            Array::Memory => "memory",
            Array::Reserved => "reserved",
        }
    }
}

/// Why a native call failed. The kernel's integer errors become values,
/// and so do its panics and `BUG_ON`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemblockError {
    /// An array had to grow before [`Memblock::allow_resize`]. v6.x panics
    /// in `memblock_double_array` ("memblock: cannot resize %s array");
    /// 3.x to 5.x returned -1, which surfaced as `-ENOMEM`. See also M21,
    /// arm64 "memblock: don't permit memblock resizing until linear mapping
    /// is up" (2018).
    CannotResize(Array),
    /// `memblock_double_array` found no free memory for the new array
    /// ("memblock: Failed to double %s array"): `-ENOMEM`.
    NoSpace(Array),
    /// Reserving a freshly doubled array failed: the kernel's
    /// `BUG_ON(memblock_reserve_kern(addr, new_alloc_size))`. Only the
    /// memory array's doubling can get there, when the reserved array must
    /// grow too and cannot.
    ReserveNewArray(Array),
    /// An insertion found the array full: the kernel's
    /// `BUG_ON(type->cnt >= type->max)` in `memblock_insert_region`. The
    /// doubling logic is meant to make this unreachable.
    ArrayOverflow(Array),
    /// An alignment that is not a power of two (after `align == 0` became
    /// `SMP_CACHE_BYTES`): the kernel's `round_up`/`round_down` masks would
    /// return a misaligned block.
    BadAlign,
    /// An allocation found no memory: the kernel's `0` / `NULL`.
    NoMemory,
}

impl fmt::Display for MemblockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemblockError::CannotResize(a) => write!(f, "cannot resize {} array", a.name()),
            MemblockError::NoSpace(a) => write!(f, "failed to double {} array", a.name()),
            MemblockError::ReserveNewArray(a) => {
                write!(f, "BUG: could not reserve the doubled {} array", a.name())
            }
            MemblockError::ArrayOverflow(a) => write!(f, "BUG: {} array overflow", a.name()),
            MemblockError::BadAlign => f.write_str("alignment is not a power of two"),
            MemblockError::NoMemory => f.write_str("out of memory"),
        }
    }
}

impl std::error::Error for MemblockError {}

/// `memblock_cap_size`: `size` cut so that `base + size` does not pass
/// [`PHYS_ADDR_MAX`].
pub const fn cap_size(base: PhysAddr, size: u64) -> u64 {
    let room = PHYS_ADDR_MAX - base;
    if size < room {
        size
    } else {
        room
    }
}
