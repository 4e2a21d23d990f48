//! Runs of whole page frames, and the bootmem rounding that makes them.
//!
//! The page-granular backends (rootmem, classic bootmem, bootmem2) keep
//! their state in whole pages (SPEC section 2): a RAM range contributes the
//! pages wholly inside it, `reserve` rounds outward and `free` rounds
//! inward. [`Pages`] is that unit, with the arithmetic they all share.

use crate::range::{pfn_down, pfn_up};
use crate::{Error, Outcome, Pfn, PhysAddr, Range, PAGE_SHIFT};

/// A half-open run of page frames `[lo, hi)`.
///
/// Every run a backend builds comes from a [`Range`] (its whole pages, or a
/// page-aligned rounding of it), so `hi <= 2^64 / PAGE_SIZE` and
/// [`Pages::bytes`] is exact. A run with `lo >= hi` is empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pages {
    /// First page frame of the run.
    pub(crate) lo: Pfn,
    /// One past the last page frame of the run.
    pub(crate) hi: Pfn,
}

impl Pages {
    /// The whole pages inside `range` (`PFN_UP(start)..PFN_DOWN(end)`), or
    /// `None` when there is none.
    pub(crate) fn whole_in(range: Range) -> Option<Pages> {
        let lo = pfn_up(range.start())?;
        let hi = pfn_down(range.end());
        (lo < hi).then_some(Pages { lo, hi })
    }

    /// The pages of a page-aligned range (the result of rounding).
    pub(crate) fn of_aligned(range: Range) -> Pages {
        Pages {
            lo: pfn_down(range.start()),
            hi: pfn_down(range.end()),
        }
    }

    /// The pages a `reserve` of `[base, base + size)` marks: the range
    /// rounded outward. `Ok(None)` for `size == 0` (nothing to do);
    /// `Invalid` when the end, or the end rounded up, would pass 2^64.
    pub(crate) fn to_reserve(base: PhysAddr, size: u64) -> Outcome<Option<Pages>> {
        if size == 0 {
            return Ok(None);
        }
        let rounded = Range::from_base_size(base, size)
            .and_then(Range::round_outward)
            .ok_or(Error::Invalid)?;
        Ok(Some(Pages::of_aligned(rounded)))
    }

    /// The pages a `free` of `[base, base + size)` clears: the range rounded
    /// inward. `Ok(None)` when no whole page is left (size 0 included);
    /// `Invalid` when the end would pass 2^64.
    pub(crate) fn to_free(base: PhysAddr, size: u64) -> Outcome<Option<Pages>> {
        if size == 0 {
            return Ok(None);
        }
        let rounded = Range::from_base_size(base, size)
            .ok_or(Error::Invalid)?
            .round_inward();
        Ok((!rounded.is_empty()).then(|| Pages::of_aligned(rounded)))
    }

    /// Number of pages (0 for an empty run).
    pub(crate) fn len(self) -> u64 {
        self.hi.saturating_sub(self.lo)
    }

    /// True when the run holds no page.
    pub(crate) fn is_empty(self) -> bool {
        self.lo >= self.hi
    }

    /// True when every page of `inner` is one of these pages.
    pub(crate) fn contains(self, inner: Pages) -> bool {
        self.lo <= inner.lo && inner.hi <= self.hi
    }

    /// True when the two runs share a page.
    pub(crate) fn overlaps(self, other: Pages) -> bool {
        self.lo < other.hi && other.lo < self.hi
    }

    /// The byte range of these pages; exact for every run built from a
    /// [`Range`] (see the type's doc), [`Range::EMPTY`] otherwise.
    pub(crate) fn bytes(self) -> Range {
        Range::new(self.lo << PAGE_SHIFT, self.hi << PAGE_SHIFT).unwrap_or(Range::EMPTY)
    }

    /// The lowest `count` contiguous pages inside one of `runs` (ascending),
    /// never including page 0: where a bitmap of `count` pages goes.
    pub(crate) fn lowest_fit(runs: &[Pages], count: u64) -> Option<Pages> {
        runs.iter().find_map(|run| {
            let lo = run.lo.max(1);
            let hi = lo.checked_add(count)?;
            (hi <= run.hi).then_some(Pages { lo, hi })
        })
    }

    /// `runs` (ascending, disjoint) with every two that touch joined into
    /// one, so that the result is maximal.
    pub(crate) fn joined(runs: impl IntoIterator<Item = Pages>) -> Vec<Pages> {
        let mut out: Vec<Pages> = Vec::new();
        for run in runs {
            match out.last_mut() {
                Some(last) if last.hi == run.lo => last.hi = run.hi,
                _ => out.push(run),
            }
        }
        out
    }

    /// Hands every run of `runs` to `sink` as bytes, in order, and returns
    /// the number of pages handed over (the `release_all` count).
    pub(crate) fn hand_over(
        runs: impl IntoIterator<Item = Pages>,
        sink: &mut dyn FnMut(Range),
    ) -> u64 {
        let mut count = 0;
        for run in runs {
            sink(run.bytes());
            count += run.len();
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{r, P};

    #[test]
    fn reserve_rounds_outward_and_free_rounds_inward() {
        let pages = |lo, hi| Some(Pages { lo, hi });
        assert_eq!(Pages::to_reserve(0x1800, 0x1000), Ok(pages(1, 3)));
        assert_eq!(Pages::to_free(0x1800, 0x2000), Ok(pages(2, 3)));
        assert_eq!(Pages::to_free(0x1800, 0x1000), Ok(None));
        assert_eq!(Pages::to_reserve(u64::MAX, 0), Ok(None));
        assert_eq!(Pages::to_free(u64::MAX, 0), Ok(None));
        assert_eq!(Pages::to_reserve(u64::MAX - 10, 5), Err(Error::Invalid));
        assert_eq!(Pages::to_free(u64::MAX - 10, 20), Err(Error::Invalid));
    }

    #[test]
    fn whole_pages_joining_and_the_lowest_fit() {
        assert_eq!(Pages::whole_in(r(0x1800, 0x2800)), None);
        assert_eq!(
            Pages::whole_in(r(0x800, 3 * P)),
            Some(Pages { lo: 1, hi: 3 })
        );
        let runs = [
            Pages { lo: 0, hi: 2 },
            Pages { lo: 2, hi: 4 },
            Pages { lo: 6, hi: 9 },
        ];
        let joined = Pages::joined(runs);
        assert_eq!(joined, vec![Pages { lo: 0, hi: 4 }, Pages { lo: 6, hi: 9 }]);
        assert_eq!(Pages::lowest_fit(&joined, 3), Some(Pages { lo: 1, hi: 4 }));
        assert_eq!(Pages::lowest_fit(&joined, 4), None);
        let mut got = Vec::new();
        assert_eq!(Pages::hand_over(joined, &mut |range| got.push(range)), 7);
        assert_eq!(got, vec![r(0, 4 * P), r(6 * P, 9 * P)]);
    }
}
