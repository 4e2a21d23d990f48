//! The allocation calls: `memblock_alloc_range_nid` (find, then reserve),
//! `memblock_alloc_internal` (clamp to `current_limit`, then drop `min`),
//! and the public wrappers.
//!
//! # The attempt order
//!
//! For a request on node `n` with lower bound `min`:
//!
//! 1. on `n`, at or above `min`;
//! 2. on any node, at or above `min` (unless exact, and only when `n` is a
//!    valid node);
//! 3. on `n`, anywhere (only when `min != 0`);
//! 4. on any node, anywhere (as 2, and only when `min != 0`).
//!
//! Attempts 1 and 2 are one `memblock_alloc_range_nid`, 3 and 4 the retry
//! "without lower limit" in `memblock_alloc_internal` (present since the
//! v3.13 memblock allocation API, `memblock_virt_alloc_internal` in 4.19).
//! Every attempt searches `[max(min, PAGE_SIZE), max)` in the current
//! direction; `max` is clamped to `current_limit` first (M17,
//! f544e14f3e76). A found block is reserved with `MEMBLOCK_RSRV_KERN`: by
//! attempts 1 and 3 with the requested nid, by the any-node fallbacks with
//! `NUMA_NO_NODE` (`memblock_reserve_kern`), exactly as v6.18 does.
//!
//! A reservation that fails because the reserved array cannot grow
//! (`-ENOMEM`) makes that attempt fail and the next one run, as in the
//! kernel; where the kernel would panic or BUG instead, the error is
//! returned at once.
//!
//! Only `min` and `max` are addresses: `max` bounds the **end** of the
//! block (`a + size <= max`).

use super::native::Memblock;
use super::{
    numa_valid_node, Flags, MemblockError, ALLOC_ACCESSIBLE, ARCH_LOW_ADDRESS_LIMIT, LOW_LIMIT,
};
use crate::{Nid, PhysAddr, SMP_CACHE_BYTES};

impl Memblock {
    /// `memblock_alloc_range_nid`: a block of `size` bytes aligned to
    /// `align` in `[start, end)`, on node `nid` and then, unless
    /// `exact_nid` (or `nid` is no valid node), on any node; reserved with
    /// `MEMBLOCK_RSRV_KERN`. `end` = [`ALLOC_ACCESSIBLE`] means
    /// `current_limit`; any other `end` is **not** clamped to it here.
    ///
    /// `align == 0` becomes `SMP_CACHE_BYTES` (the kernel dumps the stack
    /// first: callers passing 0 were a real bug, M18, MIPS "Fix unable to
    /// reserve memory for Crash kernel", where an align of 0 reached
    /// `memblock_find_in_range` and its masks). A size of 0 "succeeds"
    /// without reserving anything, as in the kernel.
    pub fn alloc_range_nid(
        &mut self,
        size: u64,
        align: u64,
        start: PhysAddr,
        end: PhysAddr,
        nid: Option<Nid>,
        exact_nid: bool,
    ) -> Result<PhysAddr, MemblockError> {
        let align = if align == 0 { SMP_CACHE_BYTES } else { align };
        if !align.is_power_of_two() {
            return Err(MemblockError::BadAlign);
        }
        let flags = Flags::NONE;
        if let Some(found) = self.find_in_range_node(size, align, start, end, nid, flags) {
            if self.reserve_found(found, size, nid)? {
                return Ok(found);
            }
        }
        if numa_valid_node(nid) && !exact_nid {
            if let Some(found) = self.find_in_range_node(size, align, start, end, None, flags) {
                if self.reserve_found(found, size, None)? {
                    return Ok(found);
                }
            }
        }
        Err(MemblockError::NoMemory)
    }

    /// `__memblock_reserve(found, size, nid, MEMBLOCK_RSRV_KERN)` as the
    /// allocator uses it: `Ok(true)` when reserved, `Ok(false)` when the
    /// reserved array could not grow (the attempt fails), `Err` for what the
    /// kernel would panic or BUG on.
    fn reserve_found(
        &mut self,
        found: PhysAddr,
        size: u64,
        nid: Option<Nid>,
    ) -> Result<bool, MemblockError> {
        match self.reserve_with(found, size, nid, Flags::RSRV_KERN) {
            Ok(()) => Ok(true),
            Err(MemblockError::NoSpace(_)) => Ok(false),
            Err(fatal) => Err(fatal),
        }
    }

    /// `memblock_alloc_internal`: `max_addr` clamped to `current_limit`,
    /// then [`Memblock::alloc_range_nid`] from `min_addr`, then again from
    /// 0 when that failed and `min_addr` was not 0 ("the @min_addr limit is
    /// dropped if it can not be satisfied").
    fn alloc_internal(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<Nid>,
        exact_nid: bool,
    ) -> Result<PhysAddr, MemblockError> {
        let max_addr = max_addr.min(self.current_limit());
        match self.alloc_range_nid(size, align, min_addr, max_addr, nid, exact_nid) {
            Err(MemblockError::NoMemory) if min_addr != 0 => {
                self.alloc_range_nid(size, align, 0, max_addr, nid, exact_nid)
            }
            other => other,
        }
    }

    /// `memblock_alloc_try_nid`: node `nid` preferred, `min_addr`
    /// preferred, `max_addr` (or [`ALLOC_ACCESSIBLE`]) a hard bound on the
    /// end; the four attempts of the module documentation. The kernel
    /// zeroes the block; contents are not modelled.
    pub fn alloc_try_nid(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<Nid>,
    ) -> Result<PhysAddr, MemblockError> {
        self.alloc_internal(size, align, min_addr, max_addr, nid, false)
    }

    /// `memblock_alloc_try_nid_raw`: as [`Memblock::alloc_try_nid`],
    /// without zeroing.
    pub fn alloc_try_nid_raw(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<Nid>,
    ) -> Result<PhysAddr, MemblockError> {
        self.alloc_internal(size, align, min_addr, max_addr, nid, false)
    }

    /// `memblock_alloc_exact_nid_raw`: never another node (attempts 1 and
    /// 3); with `None` (or an invalid node) any node, as there is no node
    /// to be exact about.
    pub fn alloc_exact_nid_raw(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
        max_addr: PhysAddr,
        nid: Option<Nid>,
    ) -> Result<PhysAddr, MemblockError> {
        self.alloc_internal(size, align, min_addr, max_addr, nid, true)
    }

    /// `memblock_alloc`: any node, anywhere below `current_limit`.
    pub fn alloc(&mut self, size: u64, align: u64) -> Result<PhysAddr, MemblockError> {
        self.alloc_try_nid(size, align, LOW_LIMIT, ALLOC_ACCESSIBLE, None)
    }

    /// `memblock_alloc_from`: any node, preferably at or above `min_addr`.
    pub fn alloc_from(
        &mut self,
        size: u64,
        align: u64,
        min_addr: PhysAddr,
    ) -> Result<PhysAddr, MemblockError> {
        self.alloc_try_nid(size, align, min_addr, ALLOC_ACCESSIBLE, None)
    }

    /// `memblock_alloc_low`: any node, ending at or below
    /// [`ARCH_LOW_ADDRESS_LIMIT`] (and `current_limit`).
    pub fn alloc_low(&mut self, size: u64, align: u64) -> Result<PhysAddr, MemblockError> {
        self.alloc_try_nid(size, align, LOW_LIMIT, ARCH_LOW_ADDRESS_LIMIT, None)
    }

    /// `memblock_alloc_node`: node `nid` preferred.
    pub fn alloc_node(
        &mut self,
        size: u64,
        align: u64,
        nid: Option<Nid>,
    ) -> Result<PhysAddr, MemblockError> {
        self.alloc_try_nid(size, align, LOW_LIMIT, ALLOC_ACCESSIBLE, nid)
    }

    /// `memblock_phys_alloc_range`: any node, inside `[start, end)` with
    /// `start` a **hard** bound (no retry from 0) and `end` not clamped to
    /// `current_limit` unless it is [`ALLOC_ACCESSIBLE`].
    pub fn phys_alloc_range(
        &mut self,
        size: u64,
        align: u64,
        start: PhysAddr,
        end: PhysAddr,
    ) -> Result<PhysAddr, MemblockError> {
        self.alloc_range_nid(size, align, start, end, None, false)
    }

    /// `memblock_phys_alloc_try_nid`: node `nid` preferred, anywhere below
    /// `current_limit`.
    pub fn phys_alloc_try_nid(
        &mut self,
        size: u64,
        align: u64,
        nid: Option<Nid>,
    ) -> Result<PhysAddr, MemblockError> {
        self.alloc_range_nid(size, align, 0, ALLOC_ACCESSIBLE, nid, false)
    }
}
