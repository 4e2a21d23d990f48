//! The first-fit search: `find_early_area` (v2.6.34 `kernel/early_res.c`)
//! and `find_e820_area` (v2.6.34 `arch/x86/kernel/e820.c`).

use super::table::EarlyRes;
use crate::range::align_up;
use crate::{PhysAddr, Range};

impl EarlyRes {
    /// `find_early_area(ei_start, ei_last, start, end, size, align)`: the
    /// lowest `addr` with `addr % align == 0` (absolute alignment),
    /// `addr >= start`, `[addr, addr + size)` inside the RAM range `ei`,
    /// `addr + size <= end`, and no byte reserved by any entry (overlap_ok
    /// ones included). `None` where the kernel returns `-1ULL`.
    ///
    /// The kernel's loop (`bad_addr`): start at `round_up(max(ei_start,
    /// start), align)`; while the candidate overlaps an entry (the first in
    /// table order), move it to `round_up(entry end, align)`. Every start
    /// skipped that way overlaps the entry it was moved past, so the result
    /// is the lowest feasible start, bottom-up and byte granular.
    ///
    /// Not as in the kernel: `align` must be a power of two (the kernel's
    /// `round_up` silently computes nonsense otherwise), and arithmetic
    /// that would pass 2^64 means "does not fit" instead of wrapping.
    pub fn find_early_area(
        &self,
        ei: Range,
        start: PhysAddr,
        end: PhysAddr,
        size: u64,
        align: u64,
    ) -> Option<PhysAddr> {
        let mut addr = align_up(ei.start().max(start), align)?;
        if addr >= ei.end() {
            return None;
        }
        loop {
            let last = addr.checked_add(size)?;
            if last > ei.end() || last > end {
                return None;
            }
            match self.entries.iter().find(|r| r.overlaps(addr, last)) {
                Some(r) => addr = align_up(r.end(), align)?,
                None => return Some(addr),
            }
        }
    }

    /// `find_e820_area(start, end, size, align)`: [`EarlyRes::find_early_area`]
    /// in each RAM range in table order (ascending), the first hit. This is
    /// also `find_fw_memmap_area`, which the table's doubling uses.
    pub fn find_e820_area(
        &self,
        start: PhysAddr,
        end: PhysAddr,
        size: u64,
        align: u64,
    ) -> Option<PhysAddr> {
        self.e820
            .iter()
            .find_map(|&ei| self.find_early_area(ei, start, end, size, align))
    }
}

#[cfg(test)]
mod tests {
    //! One character is 0x100 bytes; `.` free RAM, a letter an entry, `x`
    //! a hole.

    use super::*;

    fn r(start: u64, end: u64) -> Range {
        Range::new(start, end).expect("test range")
    }

    /// ```text
    ///   0x0    0x400  0x800         0x1000      0x1800 0x2000
    ///   |xxxxxx|..AA..|xxxxxxxxxxxxxx|..BB.CC....|xxxxxx|........|
    ///           RAM 1                 RAM 2              RAM 3
    /// ```
    /// Expect the first fit bottom-up: the gaps of RAM 1 are too small for
    /// 0x300 bytes, RAM 2's first gap is too, its second gap fits.
    #[test]
    fn first_fit_is_bottom_up_across_ram_ranges_in_order() {
        let mut t = EarlyRes::new();
        t.add_ram(r(0x2000, 0x2800));
        t.add_ram(r(0x400, 0x800));
        t.add_ram(r(0x1000, 0x1800));
        assert_eq!(t.reserve_early(0x600, 0x700, "A"), Ok(()));
        assert_eq!(t.reserve_early(0x1200, 0x1300, "B"), Ok(()));
        assert_eq!(t.reserve_early(0x1400, 0x1500, "C"), Ok(()));
        assert_eq!(t.find_e820_area(0, u64::MAX, 0x300, 1), Some(0x1500));
        assert_eq!(t.find_e820_area(0, u64::MAX, 0x200, 1), Some(0x400));
        assert_eq!(t.find_e820_area(0, u64::MAX, 0x201, 1), Some(0x1500));
        assert_eq!(t.find_e820_area(0, u64::MAX, 0x301, 1), Some(0x2000));
        assert_eq!(t.find_e820_area(0, u64::MAX, 0x400, 1), Some(0x2000));
        assert_eq!(t.find_e820_area(0, u64::MAX, 0x900, 1), None);
    }

    /// Expect the window to bound the start from below and the end from
    /// above, and the alignment to be absolute.
    #[test]
    fn window_and_absolute_alignment() {
        let mut t = EarlyRes::new();
        t.add_ram(r(0x1010, 0x9000));
        assert_eq!(t.reserve_early(0x2000, 0x2100, "A"), Ok(()));
        assert_eq!(t.find_e820_area(0, u64::MAX, 1, 1), Some(0x1010));
        assert_eq!(t.find_e820_area(0, u64::MAX, 1, 0x1000), Some(0x1000 * 3));
        assert_eq!(t.find_e820_area(0x1fff, u64::MAX, 2, 1), Some(0x2100));
        assert_eq!(t.find_e820_area(0x1ffe, u64::MAX, 2, 1), Some(0x1ffe));
        assert_eq!(t.find_e820_area(0, 0x1011, 1, 1), Some(0x1010));
        assert_eq!(t.find_e820_area(0, 0x1010, 1, 1), None);
        assert_eq!(t.find_e820_area(0x1800, 0x2100, 0x801, 1), None);
        assert_eq!(t.find_e820_area(0x1800, 0x2000, 0x800, 1), Some(0x1800));
    }

    /// Expect overlap_ok entries to be skipped as well.
    #[test]
    fn overlap_ok_entries_are_not_free() {
        let mut t = EarlyRes::new();
        t.add_ram(r(0, 0x1000));
        assert_eq!(t.reserve_early_overlap_ok(0, 0x800, "ok"), Ok(()));
        assert_eq!(t.find_e820_area(0, u64::MAX, 0x10, 1), Some(0x800));
    }

    /// Expect sizes, alignments and windows near 2^64 never to wrap, and a
    /// non-power-of-two alignment to find nothing.
    #[test]
    fn extremes_never_wrap() {
        let mut t = EarlyRes::new();
        t.add_ram(r(u64::MAX - 0x1000, u64::MAX));
        t.add_ram(r(1 << 63, (1 << 63) + 0x1000));
        assert_eq!(t.find_e820_area(0, u64::MAX, u64::MAX, 1), None);
        assert_eq!(t.find_e820_area(0, u64::MAX, 1, 1 << 63), Some(1 << 63));
        assert_eq!(
            t.find_e820_area(u64::MAX - 1, u64::MAX, 1, 1),
            Some(u64::MAX - 1)
        );
        assert_eq!(t.find_e820_area(u64::MAX, u64::MAX, 1, 1), None);
        assert_eq!(t.find_e820_area(0, u64::MAX, 1, 3), None);
        assert_eq!(t.find_e820_area(0, u64::MAX, 1, 0), None);
        assert_eq!(t.reserve_early(u64::MAX - 0x10, u64::MAX, "top"), Ok(()));
        assert_eq!(
            t.find_e820_area(u64::MAX - 0x20, u64::MAX, 0x10, 1 << 4),
            None
        );
        assert_eq!(
            t.find_e820_area(u64::MAX - 0x20, u64::MAX, 0xf, 1 << 4),
            Some(u64::MAX - 0x1f)
        );
    }
}
