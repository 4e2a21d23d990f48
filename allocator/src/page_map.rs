//! The bootmem bitmap: one bit per page of a window of page frames, set =
//! taken, clear = free (reference section 1.1).
//!
//! rootmem keeps one over all nodes, classic bootmem one per node, bootmem2
//! one per block; `PageMap` is the part they share: addressing the bits
//! by PFN, marking and testing runs of pages, the free runs, and the
//! word-at-a-time first fit. How each backend sizes, places and searches
//! its bitmaps stays in the backend.

use crate::bitmap::Bitmap;
use crate::pages::Pages;
use crate::{Pfn, PAGE_SIZE};

/// The most pages that the bitmaps of one instance may cover together:
/// 2^31 pages (8 TiB of address space, 256 MiB of host bitmaps).
///
/// This is a limit of the host running the model, not of any allocator: a
/// map whose bitmaps would cover more makes `setup` return
/// [`crate::Error::NoMem`], decided before any bitmap is allocated, rather
/// than exhaust the fuzzing host. It is 2048 times the default generation
/// bound (a 4 GiB span, SPEC section 2).
pub const MAX_BITMAP_PAGES: u64 = 1 << 31;

/// Pages of a bitmap over `pages` pages (`bootmem_bootmap_pages`):
/// `ceil(pages / 8)` bytes rounded up to `sizeof(long)`, then to whole
/// pages.
pub(crate) fn bitmap_pages(pages: u64) -> u64 {
    let bytes = pages.div_ceil(u64::BITS.into()) * 8;
    bytes.div_ceil(PAGE_SIZE)
}

/// A bitmap over the pages of a window `[base, base + len)`.
///
/// PFNs below the window map to bit 0 and PFNs past it are clamped, so
/// every operation on a run of pages acts on the part of the run inside the
/// window only.
#[derive(Debug)]
pub(crate) struct PageMap {
    /// PFN of bit 0.
    base: Pfn,
    /// One bit per page of the window, set = taken.
    bits: Bitmap,
}

impl PageMap {
    /// A bitmap over `window`, every page taken when `all_taken` (bootmem's
    /// initialisation: taken until freed) or free otherwise; `None` when
    /// the host cannot allocate it.
    pub(crate) fn try_new(window: Pages, all_taken: bool) -> Option<PageMap> {
        Some(PageMap {
            base: window.lo,
            bits: Bitmap::try_new(window.len(), all_taken)?,
        })
    }

    /// PFN of bit 0: the window's first page.
    pub(crate) fn base(&self) -> Pfn {
        self.base
    }

    /// The bit of page `pfn` (0 for PFNs below the window).
    pub(crate) fn bit(&self, pfn: Pfn) -> u64 {
        pfn.saturating_sub(self.base)
    }

    /// The page of bit `bit`.
    pub(crate) fn pfn(&self, bit: u64) -> Pfn {
        self.base.saturating_add(bit)
    }

    /// The window: every page the bitmap has a bit for.
    pub(crate) fn window(&self) -> Pages {
        Pages {
            lo: self.base,
            hi: self.pfn(self.bits.len()),
        }
    }

    /// True when any page of `pages` inside the window is taken.
    pub(crate) fn any_taken(&self, pages: Pages) -> bool {
        self.bits.any_set(self.bit(pages.lo), self.bit(pages.hi))
    }

    /// True when every page of `pages` inside the window is taken
    /// (vacuously true when none is inside).
    pub(crate) fn all_taken(&self, pages: Pages) -> bool {
        self.bits.all_set(self.bit(pages.lo), self.bit(pages.hi))
    }

    /// Marks the pages of `pages` inside the window taken.
    pub(crate) fn mark_taken(&mut self, pages: Pages) {
        let (lo, hi) = (self.bit(pages.lo), self.bit(pages.hi));
        self.bits.set_range(lo, hi);
    }

    /// Marks the pages of `pages` inside the window free.
    pub(crate) fn mark_free(&mut self, pages: Pages) {
        let (lo, hi) = (self.bit(pages.lo), self.bit(pages.hi));
        self.bits.clear_range(lo, hi);
    }

    /// The lowest free page of `[from, to)`, if any.
    pub(crate) fn next_free(&self, from: Pfn, to: Pfn) -> Option<Pfn> {
        let bit = self.bits.find_next_clear(self.bit(from), self.bit(to))?;
        Some(self.pfn(bit))
    }

    /// The lowest taken page of `[from, to)`, if any.
    pub(crate) fn next_taken(&self, from: Pfn, to: Pfn) -> Option<Pfn> {
        let bit = self.bits.find_next_set(self.bit(from), self.bit(to))?;
        Some(self.pfn(bit))
    }

    /// The maximal runs of free pages inside `within`, ascending; a run
    /// that continues past `within` is cut at its edge.
    pub(crate) fn free_runs_in(&self, within: Pages) -> impl Iterator<Item = Pages> + '_ {
        self.bits
            .clear_runs(self.bit(within.lo), self.bit(within.hi))
            .map(move |(lo, hi)| Pages {
                lo: self.pfn(lo),
                hi: self.pfn(hi),
            })
    }

    /// The maximal runs of free pages of the whole window, ascending.
    pub(crate) fn free_runs(&self) -> impl Iterator<Item = Pages> + '_ {
        self.free_runs_in(self.window())
    }

    /// The `count` free pages inside `[lo, hi)` (cut to the window) with
    /// the lowest start that `align` accepts: a first fit that skips taken
    /// pages a word at a time. `align` maps a free page to the first
    /// acceptable start at or above it (`None`: none below 2^64); after a
    /// taken page the search goes on from the page after it.
    pub(crate) fn first_fit(
        &self,
        lo: Pfn,
        hi: Pfn,
        count: u64,
        align: impl Fn(Pfn) -> Option<Pfn>,
    ) -> Option<Pages> {
        let hi = hi.min(self.window().hi);
        let mut pos = lo.max(self.base);
        loop {
            let start = align(self.next_free(pos, hi)?)?;
            let end = start.checked_add(count)?;
            if end > hi {
                return None;
            }
            match self.next_taken(start, end) {
                None => return Some(Pages { lo: start, hi: end }),
                Some(taken) => pos = taken.checked_add(1)?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::range::align_up;

    #[test]
    fn bitmap_sizes_follow_bootmem_bootmap_pages() {
        assert_eq!(bitmap_pages(1), 1);
        assert_eq!(bitmap_pages(8 * PAGE_SIZE), 1);
        assert_eq!(bitmap_pages(8 * PAGE_SIZE + 1), 2);
    }

    /// ```text
    ///   window pages 10..30: |.....|r|....r.............|
    ///                         10   15   20
    /// ```
    #[test]
    fn runs_are_addressed_by_pfn_and_cut_to_the_window() {
        let mut map = PageMap::try_new(Pages { lo: 10, hi: 30 }, false).expect("small");
        map.mark_taken(Pages { lo: 15, hi: 16 });
        map.mark_taken(Pages { lo: 20, hi: 21 });
        assert!(map.any_taken(Pages { lo: 0, hi: 16 }));
        assert!(!map.any_taken(Pages { lo: 16, hi: 20 }));
        assert!(map.all_taken(Pages { lo: 40, hi: 50 }), "outside: vacuous");
        let runs: Vec<Pages> = map.free_runs().collect();
        let want = [(10, 15), (16, 20), (21, 30)].map(|(lo, hi)| Pages { lo, hi });
        assert_eq!(runs, want);
        let step = |pfn| align_up(pfn, 4);
        assert_eq!(
            map.first_fit(0, 99, 4, step),
            Some(Pages { lo: 16, hi: 20 })
        );
        assert_eq!(
            map.first_fit(0, 99, 3, step),
            Some(Pages { lo: 12, hi: 15 })
        );
        assert_eq!(map.first_fit(25, 99, 4, step), None);
        assert_eq!(map.next_taken(16, 30), Some(20));
        map.mark_free(Pages { lo: 0, hi: 99 });
        assert_eq!(map.next_taken(0, 99), None);
    }
}
