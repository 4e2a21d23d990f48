//! Checked address, PFN and range arithmetic.
//!
//! Every backend does its address arithmetic through this module, so that no
//! computation anywhere wraps around silently (SPEC section 1: "a range whose
//! end would pass 2^64 is invalid input, never a wrap-around").

use std::fmt;

/// Size of a page in bytes (SPEC section 1).
pub const PAGE_SIZE: u64 = 4096;
/// log2 of [`PAGE_SIZE`].
pub const PAGE_SHIFT: u32 = 12;
/// Default cache-line alignment used by the kernel's `alloc_bootmem` wrappers.
pub const SMP_CACHE_BYTES: u64 = 64;

/// A physical byte address.
pub type PhysAddr = u64;
/// A page frame number: `address >> PAGE_SHIFT`.
pub type Pfn = u64;

/// A half-open byte range `[start, end)` with `start <= end`.
///
/// The constructor refuses `end < start`, so a `Range` can always be trusted;
/// a range can never contain the byte at address `u64::MAX`, because its end
/// would have to be 2^64.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Range {
    start: PhysAddr,
    end: PhysAddr,
}

impl Range {
    /// The range `[start, end)`, or `None` when `end < start`.
    pub const fn new(start: PhysAddr, end: PhysAddr) -> Option<Range> {
        if end < start {
            None
        } else {
            Some(Range { start, end })
        }
    }

    /// The range `[base, base + size)`, or `None` when the end would pass
    /// `u64::MAX` (the kernel's `base + size` overflow).
    pub const fn from_base_size(base: PhysAddr, size: u64) -> Option<Range> {
        match base.checked_add(size) {
            Some(end) => Some(Range { start: base, end }),
            None => None,
        }
    }

    /// The empty range at address 0.
    pub const EMPTY: Range = Range { start: 0, end: 0 };

    /// First byte of the range.
    pub const fn start(self) -> PhysAddr {
        self.start
    }

    /// One past the last byte of the range.
    pub const fn end(self) -> PhysAddr {
        self.end
    }

    /// Number of bytes in the range.
    pub const fn len(self) -> u64 {
        self.end - self.start
    }

    /// True when the range holds no byte.
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// True when `addr` lies inside the range.
    pub const fn contains_addr(self, addr: PhysAddr) -> bool {
        self.start <= addr && addr < self.end
    }

    /// True when every byte of `other` lies inside `self` (an empty `other`
    /// is contained when its start lies within `[start, end]`).
    pub const fn contains(self, other: Range) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// True when the two ranges share at least one byte.
    pub const fn overlaps(self, other: Range) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The bytes both ranges share, or `None` when they share none.
    pub fn intersect(self, other: Range) -> Option<Range> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        if start < end {
            Some(Range { start, end })
        } else {
            None
        }
    }

    /// The smallest page-aligned range covering every byte of `self`
    /// (`PFN_DOWN(start)..PFN_UP(end)`): bootmem's rounding for `reserve`.
    /// `None` when rounding the end up would pass 2^64. An empty range stays
    /// empty.
    pub fn round_outward(self) -> Option<Range> {
        if self.is_empty() {
            return Some(self);
        }
        Some(Range {
            start: page_down(self.start),
            end: page_up(self.end)?,
        })
    }

    /// The largest page-aligned range inside `self` (`PFN_UP(start)..
    /// PFN_DOWN(end)`): bootmem's rounding for `free`. Empty when no whole
    /// page fits; never fails.
    pub fn round_inward(self) -> Range {
        let start = match page_up(self.start) {
            Some(s) => s,
            None => return Range::EMPTY,
        };
        let end = page_down(self.end);
        if start < end {
            Range { start, end }
        } else {
            Range { start, end: start }
        }
    }
}

impl fmt::Debug for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:#x}, {:#x})", self.start, self.end)
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// `addr` rounded down to a page boundary (`PFN_DOWN(addr) << PAGE_SHIFT`).
pub const fn page_down(addr: PhysAddr) -> PhysAddr {
    addr & !(PAGE_SIZE - 1)
}

/// `addr` rounded up to a page boundary, or `None` past 2^64.
pub const fn page_up(addr: PhysAddr) -> Option<PhysAddr> {
    align_up(addr, PAGE_SIZE)
}

/// True when `addr` is a multiple of [`PAGE_SIZE`].
pub const fn is_page_aligned(addr: PhysAddr) -> bool {
    addr & (PAGE_SIZE - 1) == 0
}

/// `addr` rounded up to a multiple of `align` (a power of two), or `None`
/// when the result would pass 2^64 or `align` is not a power of two.
pub const fn align_up(addr: PhysAddr, align: u64) -> Option<PhysAddr> {
    if !align.is_power_of_two() {
        return None;
    }
    let mask = align - 1;
    match addr.checked_add(mask) {
        Some(v) => Some(v & !mask),
        None => None,
    }
}

/// `addr` rounded down to a multiple of `align` (a power of two), or `None`
/// when `align` is not a power of two.
pub const fn align_down(addr: PhysAddr, align: u64) -> Option<PhysAddr> {
    if !align.is_power_of_two() {
        return None;
    }
    Some(addr & !(align - 1))
}

/// The PFN holding byte `addr` (`PFN_DOWN`).
pub const fn pfn_down(addr: PhysAddr) -> Pfn {
    addr >> PAGE_SHIFT
}

/// The first PFN at or after byte `addr` (`PFN_UP`), or `None` past 2^64.
pub const fn pfn_up(addr: PhysAddr) -> Option<Pfn> {
    match page_up(addr) {
        Some(a) => Some(a >> PAGE_SHIFT),
        None => None,
    }
}

/// The byte address of page `pfn` (`PFN_PHYS`), or `None` when the PFN is
/// beyond the 64-bit address space.
pub const fn pfn_phys(pfn: Pfn) -> Option<PhysAddr> {
    if pfn > (u64::MAX >> PAGE_SHIFT) {
        None
    } else {
        Some(pfn << PAGE_SHIFT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_that_would_pass_two_to_the_64_is_refused() {
        assert_eq!(Range::from_base_size(u64::MAX - 1, 2), None);
        assert!(Range::from_base_size(u64::MAX - 1, 1).is_some());
        assert_eq!(Range::new(5, 4), None);
    }

    #[test]
    fn reserve_rounds_outward_and_free_rounds_inward() {
        let r = Range::new(0x1800, 0x3800).unwrap();
        assert_eq!(r.round_outward(), Range::new(0x1000, 0x4000));
        assert_eq!(r.round_inward(), Range::new(0x2000, 0x3000).unwrap());
        let sub_page = Range::new(0x1800, 0x1900).unwrap();
        assert!(sub_page.round_inward().is_empty());
    }

    #[test]
    fn rounding_near_the_top_of_the_address_space_never_wraps() {
        let top = Range::new(u64::MAX - 10, u64::MAX).unwrap();
        assert_eq!(top.round_outward(), None);
        assert!(top.round_inward().is_empty());
        assert_eq!(align_up(u64::MAX, 64), None);
        assert_eq!(align_up(7, 3), None);
        assert_eq!(pfn_phys(u64::MAX), None);
    }
}
