//! [`NativeOp`]: one call of memblock's native API as v6.18
//! `mm/memblock.c` names it, and [`NativeCalls`], the decoded input: the
//! sizes of the two static arrays and the calls in order.
//!
//! Each call prints as the C call it stands for (`memblock_reserve(0x1000,
//! 0x2000);`), numbers in hex, so a finding's call list reads like a
//! kernel boot path.

use crate::scenario::OpKind;
use bootmem::memblock::Array;
use bootmem::{Nid, PhysAddr};
use std::fmt;

/// One native memblock call. Addresses and sizes are raw `phys_addr_t`
/// values: nothing is checked or rounded before the call, so ranges whose
/// end passes 2^64 reach memblock exactly as a buggy caller would pass
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NativeOp {
    /// `memblock_add_node(base, size, nid, MEMBLOCK_NONE)`.
    AddNode {
        /// First byte.
        base: PhysAddr,
        /// Length (capped by memblock at the top of the address space).
        size: u64,
        /// The node; `None` is `NUMA_NO_NODE`.
        nid: Option<Nid>,
    },
    /// `memblock_add(base, size)`: memory with no node (`MAX_NUMNODES`).
    Add {
        /// First byte.
        base: PhysAddr,
        /// Length.
        size: u64,
    },
    /// `memblock_reserve(base, size)`.
    Reserve {
        /// First byte.
        base: PhysAddr,
        /// Length.
        size: u64,
    },
    /// `memblock_remove(base, size)`.
    Remove {
        /// First byte.
        base: PhysAddr,
        /// Length.
        size: u64,
    },
    /// `memblock_phys_free(base, size)`.
    Free {
        /// First byte.
        base: PhysAddr,
        /// Length.
        size: u64,
    },
    /// `memblock_phys_alloc_range(size, align, start, end)`: any node,
    /// `start` a hard bound.
    PhysAllocRange {
        /// Bytes wanted.
        size: u64,
        /// Alignment (0 means `SMP_CACHE_BYTES`).
        align: u64,
        /// Lowest start.
        start: PhysAddr,
        /// Bound on the end (`0`/`1`: `current_limit`).
        end: PhysAddr,
    },
    /// `memblock_alloc_try_nid(size, align, min_addr, max_addr, nid)`:
    /// `nid` and `min_addr` preferred, `max_addr` clamped to
    /// `current_limit`.
    AllocTryNid {
        /// Bytes wanted.
        size: u64,
        /// Alignment (0 means `SMP_CACHE_BYTES`).
        align: u64,
        /// Preferred lowest start (dropped when nothing fits above it).
        min: PhysAddr,
        /// Bound on the end.
        max: PhysAddr,
        /// Preferred node; `None` is `NUMA_NO_NODE`.
        nid: Option<Nid>,
    },
    /// `memblock_alloc_exact_nid_raw(size, align, min_addr, max_addr,
    /// nid)`: as [`NativeOp::AllocTryNid`] but never on another node.
    AllocExactNid {
        /// Bytes wanted.
        size: u64,
        /// Alignment (0 means `SMP_CACHE_BYTES`).
        align: u64,
        /// Preferred lowest start.
        min: PhysAddr,
        /// Bound on the end.
        max: PhysAddr,
        /// The node; `None` is `NUMA_NO_NODE` (any node).
        nid: Option<Nid>,
    },
    /// `memblock_set_bottom_up(enable)`.
    SetBottomUp(bool),
    /// `memblock_set_current_limit(limit)`.
    SetCurrentLimit(PhysAddr),
    /// `memblock_allow_resize()`.
    AllowResize,
    /// `memblock_is_region_reserved(base, size)`.
    IsRegionReserved {
        /// First byte.
        base: PhysAddr,
        /// Length.
        size: u64,
    },
    /// `memblock_is_region_memory(base, size)`.
    IsRegionMemory {
        /// First byte.
        base: PhysAddr,
        /// Length.
        size: u64,
    },
    /// `memblock_overlaps_region(&memblock.<which>, base, size)`.
    Overlaps {
        /// The array asked about.
        which: Array,
        /// First byte.
        base: PhysAddr,
        /// Length.
        size: u64,
    },
}

impl NativeOp {
    /// The kernel function's name.
    pub const fn name(&self) -> &'static str {
        match self {
            NativeOp::AddNode { .. } => "memblock_add_node",
            NativeOp::Add { .. } => "memblock_add",
            NativeOp::Reserve { .. } => "memblock_reserve",
            NativeOp::Remove { .. } => "memblock_remove",
            NativeOp::Free { .. } => "memblock_phys_free",
            NativeOp::PhysAllocRange { .. } => "memblock_phys_alloc_range",
            NativeOp::AllocTryNid { .. } => "memblock_alloc_try_nid",
            NativeOp::AllocExactNid { .. } => "memblock_alloc_exact_nid_raw",
            NativeOp::SetBottomUp(_) => "memblock_set_bottom_up",
            NativeOp::SetCurrentLimit(_) => "memblock_set_current_limit",
            NativeOp::AllowResize => "memblock_allow_resize",
            NativeOp::IsRegionReserved { .. } => "memblock_is_region_reserved",
            NativeOp::IsRegionMemory { .. } => "memblock_is_region_memory",
            NativeOp::Overlaps { .. } => "memblock_overlaps_region",
        }
    }

    /// The [`OpKind`] a finding at this call carries in its signature.
    /// The contract's vocabulary has no native calls, so each maps onto the
    /// contract call nearest to what it touches:
    ///
    /// | native call | op kind |
    /// |---|---|
    /// | `memblock_add`, `memblock_add_node`, `memblock_remove` | `add_memory` (the memory array) |
    /// | `memblock_reserve` | `reserve` |
    /// | `memblock_phys_free` | `free` |
    /// | the three allocations | `alloc` |
    /// | `set_bottom_up`, `set_current_limit`, `allow_resize` | `setup` |
    /// | `is_region_memory`, `overlaps_region(memory)` | `add_memory` |
    /// | `is_region_reserved`, `overlaps_region(reserved)` | `reserve` |
    ///
    /// The finding's class names the call where the op kind alone would
    /// not (`overlaps-wrong`, `is-region-memory-wrong`).
    pub const fn op_kind(&self) -> OpKind {
        match self {
            NativeOp::AddNode { .. }
            | NativeOp::Add { .. }
            | NativeOp::Remove { .. }
            | NativeOp::IsRegionMemory { .. }
            | NativeOp::Overlaps {
                which: Array::Memory,
                ..
            } => OpKind::AddMemory,
            NativeOp::Reserve { .. }
            | NativeOp::IsRegionReserved { .. }
            | NativeOp::Overlaps {
                which: Array::Reserved,
                ..
            } => OpKind::Reserve,
            NativeOp::Free { .. } => OpKind::Free,
            NativeOp::PhysAllocRange { .. }
            | NativeOp::AllocTryNid { .. }
            | NativeOp::AllocExactNid { .. } => OpKind::Alloc,
            NativeOp::SetBottomUp(_) | NativeOp::SetCurrentLimit(_) | NativeOp::AllowResize => {
                OpKind::Setup
            }
        }
    }
}

/// A node as the kernel source spells it: `NUMA_NO_NODE` or a number.
struct NidArg(Option<Nid>);

impl fmt::Display for NidArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("NUMA_NO_NODE"),
            Some(n) => write!(f, "{n}"),
        }
    }
}

impl fmt::Display for NativeOp {
    /// The C call, e.g. `memblock_reserve(0x1000, 0x2000);`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name();
        match *self {
            NativeOp::AddNode { base, size, nid } => {
                write!(
                    f,
                    "{name}({base:#x}, {size:#x}, {}, MEMBLOCK_NONE);",
                    NidArg(nid)
                )
            }
            NativeOp::Add { base, size }
            | NativeOp::Reserve { base, size }
            | NativeOp::Remove { base, size }
            | NativeOp::Free { base, size }
            | NativeOp::IsRegionReserved { base, size }
            | NativeOp::IsRegionMemory { base, size } => write!(f, "{name}({base:#x}, {size:#x});"),
            NativeOp::PhysAllocRange {
                size,
                align,
                start,
                end,
            } => write!(f, "{name}({size:#x}, {align:#x}, {start:#x}, {end:#x});"),
            NativeOp::AllocTryNid {
                size,
                align,
                min,
                max,
                nid,
            }
            | NativeOp::AllocExactNid {
                size,
                align,
                min,
                max,
                nid,
            } => write!(
                f,
                "{name}({size:#x}, {align:#x}, {min:#x}, {max:#x}, {});",
                NidArg(nid)
            ),
            NativeOp::SetBottomUp(enable) => write!(f, "{name}({enable});"),
            NativeOp::SetCurrentLimit(limit) => write!(f, "{name}({limit:#x});"),
            NativeOp::AllowResize => write!(f, "{name}();"),
            NativeOp::Overlaps { which, base, size } => write!(
                f,
                "{name}(&memblock.{}, {base:#x}, {size:#x});",
                which.name()
            ),
        }
    }
}

/// A decoded input: memblock built with static arrays of
/// `memory_regions` and `reserved_regions` slots (the per-arch
/// `INIT_MEMBLOCK_MEMORY_REGIONS` / `INIT_MEMBLOCK_RESERVED_REGIONS`),
/// then `ops` called in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NativeCalls {
    /// Slots of the static memory array (at least 1).
    pub memory_regions: usize,
    /// Slots of the static reserved array (at least 1).
    pub reserved_regions: usize,
    /// The calls.
    pub ops: Vec<NativeOp>,
}

impl fmt::Display for NativeCalls {
    /// A comment line with the array sizes, then one call per line, each
    /// followed by its index (`// #3`), which findings refer to.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "// INIT_MEMBLOCK_MEMORY_REGIONS {}, INIT_MEMBLOCK_RESERVED_REGIONS {}",
            self.memory_regions, self.reserved_regions
        )?;
        for (i, op) in self.ops.iter().enumerate() {
            writeln!(f, "{op} // #{i}")?;
        }
        Ok(())
    }
}
