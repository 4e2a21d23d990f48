//! rootmem: one bitmap for all PFNs of all nodes.
//!
//! Johannes Weiner's proposal, "[RFC 0/2] Rootmem: boot-time memory
//! allocator", LKML, 2008-05-03 (reference section 2.1, S16). Instead of
//! classic bootmem's bitmap per node, rootmem keeps **one bitmap for all
//! PFNs of all nodes together**, so nodes whose PFN ranges interleave stop
//! being a special case and "allocations crossing node boundaries work
//! implicitly". Every node is registered first (`add_memory`), then
//! `setup` places the bitmap and enables the allocator; the rest of the API
//! is bootmem-compatible. The patch body was never found in the archives, so
//! the details below follow the SPEC contract (sections 3 to 5) and classic
//! bootmem's bitmap conventions (reference section 1.1):
//!
//! - one bit per page from the lowest usable page to one past the highest,
//!   set = taken, clear = free ([`crate::page_map`]);
//! - the bitmap is `ceil(pages / 8)` bytes rounded up to `sizeof(long)`, and
//!   lives in the lowest run of contiguous usable pages (not page 0) that can
//!   hold it; its pages are set in the bitmap itself, reported by
//!   [`BootMem::metadata`], and handed over at `release_all`;
//! - usable RAM is the whole pages inside registered ranges; partial pages
//!   and the gaps between ranges are holes, whose bits stay set forever;
//! - allocation is a lowest-first first fit over the bitmap, stage by stage
//!   (SPEC section 4).

use crate::bugs::{Bug, BugSet};
use crate::lifecycle::Lifecycle;
use crate::page_map::{bitmap_pages, PageMap, MAX_BITMAP_PAGES};
use crate::pages::Pages;
use crate::ram::RamList;
use crate::range::align_up;
use crate::search::{self, Fit};
use crate::{
    AllocRequest, BootMem, Error, Granularity, MetadataHandoff, Nid, Outcome, Pfn, PhysAddr,
    Placement, Profile, Range, Registration, ReserveMode,
};

/// The rootmem backend: registered RAM ranges plus, once set up, the one
/// bitmap covering every PFN of every node.
#[derive(Debug, Default)]
pub struct RootMem {
    /// Registered RAM, sorted and normalized.
    ram: RamList,
    /// Where the allocator is in its life.
    state: Lifecycle<Ready>,
    /// Planted historical bugs ([`crate::bugs`]); empty by default.
    bugs: BugSet,
}

/// The set-up allocator: the bitmap and what `setup` learned from the map.
#[derive(Debug)]
struct Ready {
    /// One bit per page from the lowest usable page to one past the
    /// highest, set = taken.
    map: PageMap,
    /// The bitmap's own pages.
    meta: Pages,
    /// The maximal runs of usable pages, ascending: whole pages of the
    /// registered ranges, with runs of touching ranges joined even across
    /// nodes. A page is usable RAM exactly when it lies in one of them.
    runs: Vec<Pages>,
    /// Planted historical bugs, copied from the instance.
    bugs: BugSet,
}

/// The node rule of one placement stage (SPEC section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nodes {
    /// Only inside one RAM range of this node.
    On(Nid),
    /// Inside one RAM range of any node (requests that name a node).
    AnyOneRange,
    /// Inside one run of usable pages: anywhere without a hole, across
    /// touching ranges of different nodes (requests with no node: rootmem
    /// crosses nodes).
    Anywhere,
}

/// One placement stage: a node rule and the lowest start PFN allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stage {
    nodes: Nodes,
    from: Pfn,
}

/// The stages of SPEC section 4 that apply to `req`, in order
/// ([`search::Stage::plan`]), in pages: a stage starts at `PFN_UP(goal)`,
/// and never at page 0. A goal past the last page start makes the goal
/// stages empty (they are not skipped, they simply have no placement).
fn stages(req: &AllocRequest) -> Vec<Stage> {
    search::Stage::plan(req)
        .into_iter()
        .filter_map(|stage| {
            let nodes = match (stage.nid, req.nid) {
                (Some(nid), _) => Nodes::On(nid),
                (None, Some(_)) => Nodes::AnyOneRange,
                (None, None) => Nodes::Anywhere,
            };
            let from = stage.first_pfn()?;
            Some(Stage { nodes, from })
        })
        .collect()
}

impl Ready {
    /// Builds the bitmap over the usable `runs` (ascending, maximal): all
    /// bits set, usable pages cleared, the bitmap's own pages set. `NoMem`
    /// when there is no usable page, no run can hold the bitmap, or the host
    /// cannot hold it ([`MAX_BITMAP_PAGES`]). Decided from the runs before
    /// any host allocation.
    fn build(runs: Vec<Pages>, bugs: BugSet) -> Outcome<Ready> {
        let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
            return Err(Error::NoMem);
        };
        let span = Pages {
            lo: first.lo,
            hi: last.hi,
        };
        let meta = Pages::lowest_fit(&runs, bitmap_pages(span.len())).ok_or(Error::NoMem)?;
        if span.len() > MAX_BITMAP_PAGES {
            return Err(Error::NoMem);
        }
        let mut map = PageMap::try_new(span, true).ok_or(Error::NoMem)?;
        for run in &runs {
            map.mark_free(*run);
        }
        map.mark_taken(meta);
        Ok(Ready {
            map,
            meta,
            runs,
            bugs,
        })
    }

    /// True when every page of the non-empty run `pages` is usable RAM.
    fn is_usable(&self, pages: Pages) -> bool {
        let after = self.runs.partition_point(|run| run.lo <= pages.lo);
        after
            .checked_sub(1)
            .and_then(|i| self.runs.get(i))
            .is_some_and(|run| pages.lo < pages.hi && run.contains(pages))
    }

    /// The maximal runs of free pages, ascending. Only the usable runs are
    /// scanned, not the holes between them (a 256 MiB map may span 4 GiB);
    /// runs are separated by holes, so free runs of two of them never touch.
    fn free_runs(&self) -> impl Iterator<Item = Pages> + '_ {
        self.runs
            .iter()
            .flat_map(move |run| self.map.free_runs_in(*run))
    }

    /// The `fit.pages` free pages inside `[lo, hi)` with the lowest start
    /// that is a multiple of `fit.step`: a first fit that skips taken pages
    /// a word at a time and steps by alignment.
    fn first_fit(&self, lo: Pfn, hi: Pfn, fit: Fit) -> Option<Pages> {
        let base = self.map.base();
        let relative = self.bugs.has(Bug::R1RelativeAlign);
        self.map.first_fit(lo, hi, fit.pages, |free| {
            if relative {
                // Planted: the bitmap-relative index is aligned, not the PFN.
                base.checked_add(align_up(free.checked_sub(base)?, fit.step)?)
            } else {
                align_up(free, fit.step)
            }
        })
    }

    /// The feasible placement of `stage` with the lowest start: the first
    /// fit in each of the stage's windows, in ascending order, cut to the
    /// goal and the limit.
    fn first_fit_in_stage(&self, ram: &RamList, stage: Stage, fit: Fit) -> Option<Pages> {
        let windows: Vec<Pages> = match stage.nodes {
            Nodes::On(nid) => ram
                .whole_pages()
                .filter(|&(_, n)| n == nid)
                .map(|(pages, _)| pages)
                .collect(),
            Nodes::AnyOneRange => ram.whole_pages().map(|(pages, _)| pages).collect(),
            // A run is maximal, so no placement spans two: the runs are the
            // bitmap's span without its holes, which the scan need not visit.
            Nodes::Anywhere => self.runs.clone(),
        };
        windows.into_iter().find_map(|window| {
            let lo = window.lo.max(stage.from);
            let hi = window.hi.min(fit.end_cap);
            self.first_fit(lo, hi, fit)
        })
    }
}

impl RootMem {
    /// An allocator with no RAM registered, waiting for `add_memory` calls
    /// and then `setup`.
    pub fn new() -> RootMem {
        RootMem::default()
    }

    /// As [`RootMem::new`], with the historical `bugs` planted
    /// ([`crate::bugs`]).
    pub fn with_bugs(bugs: BugSet) -> RootMem {
        RootMem {
            bugs,
            ..RootMem::default()
        }
    }

    /// `reserve` and `reserve_node` (`nid` = `Some`): outward rounding,
    /// usable RAM, the node rule, then `Busy` or marking.
    fn reserve_pages(
        &mut self,
        nid: Option<Nid>,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        let ready = self.state.ready_mut()?;
        let Some(pages) = Pages::to_reserve(base, size)? else {
            return Ok(());
        };
        self.ram.check_node(nid, pages.bytes())?;
        if !ready.is_usable(pages) {
            return Err(Error::Invalid);
        }
        if mode == ReserveMode::Exclusive && ready.map.any_taken(pages) {
            return Err(Error::Busy);
        }
        if self.bugs.has(Bug::R2ReserveFirstRange) {
            // Planted: only the RAM range holding the start is marked.
            let first = self
                .ram
                .whole_pages()
                .find(|(r, _)| r.lo <= pages.lo && pages.lo < r.hi);
            if let Some((range, _)) = first {
                ready.map.mark_taken(Pages {
                    lo: pages.lo,
                    hi: pages.hi.min(range.hi),
                });
                return Ok(());
            }
        }
        ready.map.mark_taken(pages);
        Ok(())
    }

    /// `free` and `free_node` (`nid` = `Some`): inward rounding, usable RAM,
    /// the node rule and the metadata (all `Invalid`), then `DoubleFree` or
    /// clearing.
    fn free_pages(&mut self, nid: Option<Nid>, base: PhysAddr, size: u64) -> Outcome<()> {
        let ready = self.state.ready_mut()?;
        let Some(pages) = Pages::to_free(base, size)? else {
            return Ok(());
        };
        self.ram.check_node(nid, pages.bytes())?;
        if !ready.is_usable(pages) || pages.overlaps(ready.meta) {
            return Err(Error::Invalid);
        }
        if !ready.map.all_taken(pages) {
            return Err(Error::DoubleFree);
        }
        ready.map.mark_free(pages);
        Ok(())
    }
}

impl BootMem for RootMem {
    fn name(&self) -> &'static str {
        "rootmem"
    }

    fn profile(&self) -> Profile {
        Profile {
            granularity: Granularity::Page,
            placement: Placement::Lowest,
            packing: false,
            crosses_nodes: true,
            metadata: MetadataHandoff::Released,
            registration: Registration::BeforeSetup,
        }
    }

    /// Registers RAM (`RamList::add`) before `setup` only: the bitmap is
    /// sized from it (`Lifecycle::check_registering`).
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        self.state.check_registering()?;
        self.ram.add(range, nid)
    }

    /// Places the one bitmap in the lowest run of contiguous usable pages
    /// (not page 0) that holds it and enables the allocator. `NoMem` when
    /// there is no usable page or no such run; a failed setup changes
    /// nothing, so more RAM may be added and setup retried. `Unsupported`
    /// when already set up.
    fn setup(&mut self) -> Outcome<()> {
        // The maximal runs of usable whole pages: touching runs (of ranges
        // of different nodes) are joined.
        let runs = Pages::joined(self.ram.whole_pages().map(|(pages, _)| pages));
        self.state.set_up(|| Ready::build(runs, self.bugs))
    }

    fn reserve(&mut self, base: PhysAddr, size: u64, mode: ReserveMode) -> Outcome<()> {
        self.reserve_pages(None, base, size, mode)
    }

    fn reserve_node(
        &mut self,
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        self.reserve_pages(Some(nid), base, size, mode)
    }

    fn free(&mut self, base: PhysAddr, size: u64) -> Outcome<()> {
        self.free_pages(None, base, size)
    }

    fn free_node(&mut self, nid: Nid, base: PhysAddr, size: u64) -> Outcome<()> {
        self.free_pages(Some(nid), base, size)
    }

    /// The lowest feasible page-aligned start of the first stage that has
    /// one (SPEC section 4); its pages are marked taken.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        let ready = self.state.ready_mut()?;
        let fit = Fit::of(req)?;
        let found = stages(req)
            .into_iter()
            .find_map(|stage| ready.first_fit_in_stage(&self.ram, stage, fit));
        let Some(pages) = found else {
            return Err(req.failure());
        };
        ready.map.mark_taken(pages);
        Ok(pages.bytes().start())
    }

    /// Hands each maximal run of free pages to `sink`, then the bitmap's
    /// pages, and returns the number of pages handed over.
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        let ready = self.state.retire()?;
        Ok(Pages::hand_over(
            ready.free_runs().chain([ready.meta]),
            sink,
        ))
    }

    fn metadata(&self) -> Vec<Range> {
        self.state
            .ready()
            .map(|ready| vec![ready.meta.bytes()])
            .unwrap_or_default()
    }

    fn free_map(&self) -> Vec<Range> {
        self.state
            .ready()
            .map(|ready| ready.free_runs().map(Pages::bytes).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    //! Tests in the style of the kernel's `tools/testing/memblock`: each
    //! draws the memory layout it builds and states what it expects.
    //! In the pictures `B` is the bitmap, `r` reserved, `a` allocated, `.`
    //! free, `x` a hole; one character is one page unless labelled.

    use super::*;
    use crate::ram::Ram;
    use crate::range::pfn_up;
    use crate::testing::contract;
    use crate::testing::model::{self, PageModel, N};
    use crate::testing::random::{MapShape, Rng};
    use crate::testing::{boot, on, r, release, req, try_boot, MIB, P};
    use crate::{NodePolicy, OnFail, MAX_NODES, PAGE_SHIFT};

    /// A rootmem with `map` registered (start, end, nid) and set up.
    fn booted(map: &[(u64, u64, Nid)]) -> RootMem {
        boot(RootMem::new(), map)
    }

    // ---- planted bugs ------------------------------------------------

    /// ```text
    ///   |x|B|.|.|.|....   RAM from page 1: the bitmap's index 0 is PFN 1
    ///        ^ PFN 2, 8 KiB aligned
    /// ```
    /// Expect an 8 KiB-aligned page at PFN 2; with R1 the bitmap-relative
    /// index is aligned instead, and the result is PFN 3, misaligned.
    #[test]
    fn alignment_is_absolute_and_r1_makes_it_bitmap_relative() {
        for (bugs, want) in [
            (BugSet::NONE, 2 * P),
            (BugSet::NONE.with(Bug::R1RelativeAlign), 3 * P),
        ] {
            let mut rm = boot(RootMem::with_bugs(bugs), &[(P, 16 * P, 0)]);
            assert_eq!(rm.alloc(&req(P, 2 * P)), Ok(want), "{bugs:?}");
        }
    }

    /// ```text
    ///   |.|B|.... node 0 ....|rr|rr|.... node 1 ....|
    ///                         14 16 18
    /// ```
    /// Expect a reserve across the node boundary to take pages 14..18; with
    /// R2 only the part in the first RAM range is marked and 16..18 stay
    /// free.
    #[test]
    fn a_reserve_crosses_ram_ranges_and_r2_stops_at_the_first() {
        for (bugs, free) in [
            (
                BugSet::NONE,
                vec![r(0, P), r(2 * P, 14 * P), r(18 * P, 32 * P)],
            ),
            (
                BugSet::NONE.with(Bug::R2ReserveFirstRange),
                vec![r(0, P), r(2 * P, 14 * P), r(16 * P, 32 * P)],
            ),
        ] {
            let map = [(0, 16 * P, 0), (16 * P, 32 * P, 1)];
            let mut rm = boot(RootMem::with_bugs(bugs), &map);
            assert_eq!(rm.reserve(14 * P, 4 * P, ReserveMode::Default), Ok(()));
            assert_eq!(rm.free_map(), free, "{bugs:?}");
        }
    }

    // ---- setup -------------------------------------------------------

    /// ```text
    ///   |.|B|.............. node 0, 1 MiB ..............|
    ///      ^ bitmap: 256 pages need 32 bytes, one page
    /// ```
    /// Expect the bitmap on page 1: page 0 is never handed out.
    #[test]
    fn setup_places_the_bitmap_on_the_lowest_page_after_page_zero() {
        let rm = booted(&[(0, MIB, 0)]);
        assert_eq!(rm.metadata(), vec![r(P, 2 * P)]);
        assert_eq!(rm.free_map(), vec![r(0, P), r(2 * P, MIB)]);
    }

    /// ```text
    ///   |x|..|xxxx hole up to 256 MiB xxxx|BBB|..... node 1, 128 MiB .....|
    ///     node 0: 2 pages                  ^ bitmap: 98303 pages, 3 pages
    /// ```
    /// Expect the bitmap in node 1: node 0's run is too small to hold it.
    #[test]
    fn setup_skips_a_run_too_small_for_the_bitmap() {
        let rm = booted(&[(P, 3 * P, 0), (256 * MIB, 384 * MIB, 1)]);
        assert_eq!(rm.metadata(), vec![r(256 * MIB, 256 * MIB + 3 * P)]);
        assert_eq!(rm.free_map()[0], r(P, 3 * P));
    }

    /// ```text
    ///   |x|n0|n0|n1|n1|xxxx hole up to 400 MiB xxxx|... node 2, 1 MiB ...|
    ///      BBBBBBBBBBB  bitmap: 102655 pages need 4 pages
    /// ```
    /// Expect the bitmap across the touching ranges of nodes 0 and 1.
    #[test]
    fn setup_places_the_bitmap_across_touching_ranges_of_two_nodes() {
        let rm = booted(&[(P, 3 * P, 0), (3 * P, 5 * P, 1), (400 * MIB, 401 * MIB, 2)]);
        assert_eq!(rm.metadata(), vec![r(P, 5 * P)]);
        assert_eq!(rm.free_map(), vec![r(400 * MIB, 401 * MIB)]);
    }

    /// ```text
    ///   |.|   a single page of RAM: page 0
    /// ```
    /// Expect NoMem: the bitmap may not live on page 0.
    #[test]
    fn setup_never_places_the_bitmap_on_page_zero() {
        let mut rm = RootMem::new();
        assert_eq!(rm.add_memory(r(0, P), 0), Ok(()));
        assert_eq!(rm.setup(), Err(Error::NoMem));
    }

    /// ```text
    ///   |x[xxxxx]x|   RAM 0x1800..0x2800 holds no whole page
    /// ```
    /// Expect NoMem, and no change: RAM may still be added and setup retried.
    #[test]
    fn setup_without_a_whole_page_is_nomem_and_changes_nothing() {
        let mut rm = RootMem::new();
        assert_eq!(rm.add_memory(r(0x1800, 0x2800), 0), Ok(()));
        assert_eq!(rm.setup(), Err(Error::NoMem));
        assert_eq!(rm.setup(), Err(Error::NoMem));
        assert!(rm.metadata().is_empty());
        assert_eq!(rm.alloc(&req(1, 1)), Err(Error::Unsupported));
        assert_eq!(rm.add_memory(r(16 * P, 32 * P), 0), Ok(()));
        assert_eq!(rm.setup(), Ok(()));
        assert_eq!(rm.metadata(), vec![r(16 * P, 17 * P)]);
    }

    /// ```text
    ///   |B.. 1 MiB ..|xxxxxxxxxx 2^63 bytes of hole xxxxxxxxxx|.. 1 MiB ..|
    /// ```
    /// Expect NoMem, decided before allocating a 2^48-byte host bitmap.
    #[test]
    fn an_absurd_span_is_nomem_without_allocating_its_bitmap() {
        let mut rm = RootMem::new();
        assert_eq!(rm.add_memory(r(0, MIB), 0), Ok(()));
        assert_eq!(rm.add_memory(r(1 << 63, (1 << 63) + MIB), 1), Ok(()));
        assert_eq!(rm.setup(), Err(Error::NoMem));
        assert!(rm.metadata().is_empty());
    }

    /// Expect NoMem for a span past [`MAX_BITMAP_PAGES`], even when one huge
    /// range could hold its bitmap: a host limit, not a rootmem one.
    #[test]
    fn a_span_past_the_host_limit_is_nomem() {
        let mut rm = RootMem::new();
        assert_eq!(rm.add_memory(r(0, 1 << 62), 0), Ok(()));
        assert_eq!(rm.setup(), Err(Error::NoMem));
    }

    /// Expect a 4 GiB span (one million pages, a 128 KiB bitmap) to work.
    #[test]
    fn a_four_gib_span_sets_up() {
        let rm = booted(&[(0, 2 * MIB, 0), ((4 << 30) - 2 * MIB, 4 << 30, 1)]);
        assert_eq!(rm.metadata(), vec![r(P, 33 * P)]);
    }

    #[test]
    fn setup_twice_is_unsupported_and_so_is_add_memory_after_it() {
        contract::setup_twice_is_unsupported_and_so_is_add_memory_after_it(booted);
    }

    // ---- add_memory ----------------------------------------------------

    #[test]
    fn add_memory_refuses_empty_ranges_bad_nodes_and_overlap() {
        let mut rm = RootMem::new();
        assert_eq!(rm.add_memory(r(P, P), 0), Err(Error::Invalid));
        assert_eq!(rm.add_memory(r(0, P), MAX_NODES), Err(Error::Invalid));
        assert_eq!(rm.add_memory(r(0, 4 * P), MAX_NODES - 1), Ok(()));
        assert_eq!(rm.add_memory(r(4 * P - 1, 8 * P), 1), Err(Error::Invalid));
        assert_eq!(
            rm.add_memory(r(P, 2 * P), MAX_NODES - 1),
            Err(Error::Invalid)
        );
        assert_eq!(rm.add_memory(r(4 * P, 8 * P), 1), Ok(()));
    }

    /// ```text
    ///   |.|B|.|..........|     node 0: 0..0x2800 + 0x2800..0x5000
    ///          ^ page 2 straddles the two ranges
    /// ```
    /// Expect page 2 to be RAM: adjacent ranges of one node merge.
    #[test]
    fn adjacent_ranges_of_one_node_merge_so_their_shared_page_is_ram() {
        let rm = booted(&[(0x2800, 0x5000, 0), (0, 0x2800, 0)]);
        assert_eq!(
            rm.ram.ranges(),
            [Ram {
                range: r(0, 0x5000),
                nid: 0
            }]
        );
        assert_eq!(rm.free_map(), vec![r(0, P), r(2 * P, 5 * P)]);
    }

    /// ```text
    ///   |.|B|x|.|.|     node 0: 0..0x2800, node 1: 0x2800..0x5000
    ///        ^ page 2 is partial in both ranges
    /// ```
    /// Expect page 2 to be a hole: ranges of different nodes never merge.
    #[test]
    fn adjacent_ranges_of_two_nodes_leave_their_shared_page_a_hole() {
        let rm = booted(&[(0, 0x2800, 0), (0x2800, 0x5000, 1)]);
        assert_eq!(rm.ram.ranges().len(), 2);
        assert_eq!(rm.free_map(), vec![r(0, P), r(3 * P, 5 * P)]);
    }

    // ---- life cycle ----------------------------------------------------

    #[test]
    fn every_call_but_registration_before_setup_is_unsupported() {
        let rm = contract::every_call_but_registration_before_setup_is_unsupported(RootMem::new());
        assert_eq!(rm.profile().registration, Registration::BeforeSetup);
        assert_eq!(rm.name(), "rootmem");
    }

    /// ```text
    ///   |.|B|r|.........|
    /// ```
    /// Expect release_all to hand over page 0, pages 3.. and then the
    /// bitmap: 1 + 13 + 1 = 15 pages.
    #[test]
    fn release_all_hands_over_free_runs_then_the_bitmap_and_counts_pages() {
        let mut rm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(rm.reserve(2 * P, 1, ReserveMode::Default), Ok(()));
        let (count, got) = release(&mut rm);
        assert_eq!(count, Ok(15));
        assert_eq!(got, vec![r(0, P), r(3 * P, 16 * P), r(P, 2 * P)]);
    }

    #[test]
    fn every_call_after_release_all_is_retired() {
        contract::every_call_after_release_all_is_retired(booted);
    }

    // ---- reserve -------------------------------------------------------

    #[test]
    fn reserve_of_size_zero_is_ok_anywhere_and_changes_nothing() {
        contract::reserve_of_size_zero_is_ok_anywhere_and_changes_nothing(booted);
    }

    #[test]
    fn reserve_that_overflows_or_rounds_past_two_to_the_64_is_invalid() {
        let mut rm = booted(&[(0, MIB, 0)]);
        assert_eq!(
            rm.reserve(u64::MAX - 10, 20, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(
            rm.reserve(u64::MAX - 10, 5, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(
            rm.reserve(P, u64::MAX, ReserveMode::Default),
            Err(Error::Invalid)
        );
    }

    #[test]
    fn reserve_rounds_outward_to_whole_pages() {
        contract::reserve_rounds_outward_to_whole_pages(booted);
    }

    /// ```text
    ///   |.|B|.|.|[x]   RAM ends at 0x4800: page 4 is partial, a hole
    ///           [  ]   reserve(0x3800, 0x1000)
    /// ```
    /// Expect Invalid: a reserve touching a hole, even after rounding.
    #[test]
    fn reserve_touching_a_hole_is_invalid() {
        let mut rm = booted(&[(0, 0x4800, 0)]);
        assert_eq!(
            rm.reserve(0x3800, 0x1000, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(
            rm.reserve(0x4000, 1, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(rm.reserve(0x3fff, 1, ReserveMode::Default), Ok(()));
        assert_eq!(
            rm.reserve(MIB, P, ReserveMode::Default),
            Err(Error::Invalid)
        );
    }

    /// ```text
    ///   |.|B|.|r|.|....|
    ///       [       ]  exclusive reserve of pages 2..5
    /// ```
    /// Expect Busy and no change; a default reserve of the same range is fine.
    #[test]
    fn exclusive_reserve_of_partly_taken_memory_is_busy_and_changes_nothing() {
        let mut rm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(rm.reserve(3 * P, P, ReserveMode::Exclusive), Ok(()));
        let before = rm.free_map();
        assert_eq!(
            rm.reserve(2 * P, 3 * P, ReserveMode::Exclusive),
            Err(Error::Busy)
        );
        assert_eq!(
            rm.reserve_node(0, 2 * P, 3 * P, ReserveMode::Exclusive),
            Err(Error::Busy)
        );
        assert_eq!(rm.reserve(P, 1, ReserveMode::Exclusive), Err(Error::Busy));
        assert_eq!(rm.free_map(), before);
        assert_eq!(rm.reserve(2 * P, 3 * P, ReserveMode::Default), Ok(()));
        assert_eq!(rm.free_map(), vec![r(0, P), r(5 * P, 16 * P)]);
    }

    /// ```text
    ///   |.|B|.|.|.|.|  node 0: pages 0..4, node 1: pages 4..6
    ///           [   ]  reserve of pages 3..5
    /// ```
    /// Expect reserve to span the node boundary, and reserve_node to refuse.
    #[test]
    fn reserve_may_span_touching_nodes_but_reserve_node_may_not() {
        let mut rm = booted(&[(0, 4 * P, 0), (4 * P, 6 * P, 1)]);
        let mode = ReserveMode::Default;
        assert_eq!(rm.reserve_node(0, 3 * P, 2 * P, mode), Err(Error::Invalid));
        assert_eq!(rm.reserve_node(1, 3 * P, 2 * P, mode), Err(Error::Invalid));
        assert_eq!(rm.reserve_node(1, 3 * P, P, mode), Err(Error::Invalid));
        assert_eq!(rm.free_map(), vec![r(0, P), r(2 * P, 6 * P)]);
        assert_eq!(rm.reserve_node(1, 4 * P + 1, 1, mode), Ok(()));
        assert_eq!(rm.reserve(3 * P, 2 * P, mode), Ok(()));
        assert_eq!(
            rm.free_map(),
            vec![r(0, P), r(2 * P, 3 * P), r(5 * P, 6 * P)]
        );
    }

    /// ```text
    ///   |.|B|..node 0..|xx|..node 0..|   two ranges of node 0 with a hole
    ///            [            ]
    /// ```
    /// Expect Invalid from reserve_node: not inside one range of the node.
    #[test]
    fn reserve_node_must_lie_inside_one_range_of_the_node() {
        let mut rm = booted(&[(0, 4 * P, 0), (5 * P, 8 * P, 0)]);
        let mode = ReserveMode::Default;
        assert_eq!(rm.reserve_node(0, 3 * P, 3 * P, mode), Err(Error::Invalid));
        assert_eq!(rm.reserve_node(0, 5 * P, 3 * P, mode), Ok(()));
        assert_eq!(
            rm.reserve_node(MAX_NODES, 2 * P, P, mode),
            Err(Error::Invalid)
        );
    }

    // ---- free ----------------------------------------------------------

    #[test]
    fn free_of_size_zero_is_ok_and_overflow_is_invalid() {
        contract::free_of_size_zero_is_ok_and_overflow_is_invalid(booted);
    }

    /// ```text
    ///   |.|B|r|r|r|r|....|
    ///          [  ]        free(0x3400, 0xa00): no whole page
    ///       [         ]    free(0x1800, 0x3000): pages 2..4 whole
    /// ```
    /// Expect the first free to be an Ok no-op and the second to free pages
    /// 2 and 3 only: free rounds inward.
    #[test]
    fn free_rounds_inward() {
        let mut rm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(rm.reserve(2 * P, 4 * P, ReserveMode::Default), Ok(()));
        assert_eq!(rm.free(0x3400, 0xa00), Ok(()));
        assert_eq!(
            rm.free_node(9, 0x3400, 0xa00),
            Ok(()),
            "empty after rounding"
        );
        assert_eq!(rm.free_map(), vec![r(0, P), r(6 * P, 16 * P)]);
        assert_eq!(rm.free(0x1800, 0x3000), Ok(()));
        assert_eq!(
            rm.free_map(),
            vec![r(0, P), r(2 * P, 4 * P), r(6 * P, 16 * P)]
        );
    }

    #[test]
    fn free_of_partly_free_memory_is_a_double_free_and_changes_nothing() {
        contract::free_of_partly_free_memory_is_a_double_free_and_changes_nothing(booted);
    }

    /// ```text
    ///   |.|B|.|
    ///     [ ]    free of the bitmap's page
    /// ```
    /// Expect Invalid: the bitmap is not the caller's to free.
    #[test]
    fn free_of_the_bitmap_is_invalid() {
        let mut rm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(rm.free(P, P), Err(Error::Invalid));
        assert_eq!(rm.free(0, 3 * P), Err(Error::Invalid));
        assert_eq!(rm.metadata(), vec![r(P, 2 * P)]);
    }

    /// ```text
    ///   |.|B|.|.|xx|     RAM 0..0x4000, then a hole
    ///         [      ]   free of page 3 (free) and page 4 (hole)
    /// ```
    /// Expect Invalid rather than DoubleFree: Invalid takes precedence.
    #[test]
    fn free_touching_a_hole_is_invalid_before_double_free() {
        let mut rm = booted(&[(0, 4 * P, 0)]);
        assert_eq!(rm.free(3 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(rm.free(3 * P, P), Err(Error::DoubleFree));
    }

    /// ```text
    ///   |.|B|r|r|r|r|  node 0: pages 0..4, node 1: pages 4..6
    ///           [   ]  free of pages 3..5
    /// ```
    /// Expect free to span the node boundary, and free_node to refuse it.
    #[test]
    fn free_may_span_touching_nodes_but_free_node_may_not() {
        let mut rm = booted(&[(0, 4 * P, 0), (4 * P, 6 * P, 1)]);
        assert_eq!(rm.reserve(2 * P, 4 * P, ReserveMode::Default), Ok(()));
        assert_eq!(rm.free_node(0, 3 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(rm.free_node(1, 3 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(rm.free_node(0, 4 * P, P), Err(Error::Invalid));
        assert_eq!(rm.free(3 * P, 2 * P), Ok(()));
        assert_eq!(rm.free_node(1, 5 * P, P), Ok(()));
        assert_eq!(rm.free_map(), vec![r(0, P), r(3 * P, 6 * P)]);
    }

    // ---- alloc ---------------------------------------------------------

    #[test]
    fn alloc_refuses_size_zero_and_alignments_that_are_not_powers_of_two() {
        contract::alloc_refuses_size_zero_and_alignments_that_are_not_powers_of_two(booted);
    }

    #[test]
    fn alloc_takes_the_lowest_free_pages_above_page_zero() {
        contract::alloc_takes_the_lowest_free_pages_above_page_zero(booted);
    }

    /// ```text
    ///   |.|B|.|r|.|.|.|.|.|.|.|.|.|.|.|.|a|...   align 16 pages
    /// ```
    /// Expect the start aligned to the larger of align and a page.
    #[test]
    fn alloc_aligns_to_the_larger_of_align_and_a_page() {
        let mut rm = booted(&[(0, 64 * P, 0)]);
        assert_eq!(rm.reserve(3 * P, P, ReserveMode::Default), Ok(()));
        assert_eq!(rm.alloc(&req(2 * P, 2 * P)), Ok(4 * P));
        assert_eq!(rm.alloc(&req(P, 16 * P)), Ok(16 * P));
        assert_eq!(rm.alloc(&req(17 * P, 16 * P)), Ok(32 * P));
        assert_eq!(rm.alloc(&req(17 * P, 16 * P)), Err(Error::NoMem));
    }

    #[test]
    fn alloc_respects_the_goal_then_falls_back_below_it() {
        contract::alloc_respects_the_goal_then_falls_back_below_it(booted);
    }

    /// ```text
    ///   |.|B|.. node 0: pages 2..8 ..|.. node 1: pages 8..16 ..|
    ///                                     ^ goal page 9
    /// ```
    /// Expect a prefer request on node 0 with the goal in node 1 at the
    /// goal (stage 2: the goal beats the node), and an exact one on node 0
    /// at page 2 (stage 3: the node beats the goal).
    #[test]
    fn alloc_stage_order_puts_the_goal_before_the_node_fallback() {
        let mut rm = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
        let mut prefer = on(0, NodePolicy::Prefer, req(P, P));
        prefer.goal = 9 * P;
        assert_eq!(rm.alloc(&prefer), Ok(9 * P));
        let exact = AllocRequest {
            policy: NodePolicy::Exact,
            ..prefer
        };
        assert_eq!(rm.alloc(&exact), Ok(2 * P));
        let mut on_node_1 = on(1, NodePolicy::Exact, req(P, P));
        on_node_1.goal = 3 * P;
        assert_eq!(
            rm.alloc(&on_node_1),
            Ok(8 * P),
            "stage 1: on node 1, >= goal"
        );
    }

    /// ```text
    ///   |.|B|.. node 0 ..|rrrr node 1 rrrr|
    /// ```
    /// Expect a request on full node 1 to fall back to node 0 with Prefer,
    /// and to fail with Exact (NoMem or Panic as asked), changing nothing.
    #[test]
    fn alloc_falls_back_to_other_nodes_only_with_prefer() {
        let mut rm = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
        assert_eq!(
            rm.reserve_node(1, 8 * P, 8 * P, ReserveMode::Default),
            Ok(())
        );
        let before = rm.free_map();
        let mut exact = on(1, NodePolicy::Exact, req(P, P));
        assert_eq!(rm.alloc(&exact), Err(Error::NoMem));
        exact.on_fail = OnFail::Panic;
        assert_eq!(rm.alloc(&exact), Err(Error::Panic));
        assert_eq!(rm.free_map(), before);
        assert_eq!(rm.alloc(&on(1, NodePolicy::Prefer, req(P, P))), Ok(2 * P));
        assert_eq!(rm.alloc(&on(33, NodePolicy::Prefer, req(P, P))), Ok(3 * P));
    }

    /// ```text
    ///   |.|B|. n0 .|. n1 .|     node 0: pages 0..4, node 1: pages 4..6
    ///       [ 4 pages   ]
    /// ```
    /// Expect a request with no node to be placed across the node boundary,
    /// and a request with a node (even with Prefer) to fail.
    #[test]
    fn alloc_without_a_node_crosses_node_boundaries_and_with_one_does_not() {
        let mut rm = booted(&[(0, 4 * P, 0), (4 * P, 6 * P, 1)]);
        assert_eq!(
            rm.alloc(&on(0, NodePolicy::Prefer, req(4 * P, P))),
            Err(Error::NoMem)
        );
        assert_eq!(
            rm.alloc(&on(1, NodePolicy::Prefer, req(4 * P, P))),
            Err(Error::NoMem)
        );
        assert_eq!(rm.alloc(&req(4 * P, P)), Ok(2 * P));
    }

    /// ```text
    ///   |.|B|. n0 .|x|. n1 .|     a hole at page 4
    /// ```
    /// Expect a request with no node never to span the hole.
    #[test]
    fn alloc_never_spans_a_hole() {
        let mut rm = booted(&[(0, 4 * P, 0), (5 * P, 7 * P, 1)]);
        assert_eq!(rm.alloc(&req(3 * P, P)), Err(Error::NoMem));
        assert_eq!(rm.alloc(&req(2 * P, P)), Ok(2 * P));
    }

    /// ```text
    ///   |.|B|r|a|a|....|
    ///               ^ limit 0x5000 + 100: the end may not pass it
    /// ```
    /// Expect the limit to bound the end of the allocation (not its last
    /// page): `P + 100` bytes fit at page 3 exactly, and then nowhere.
    #[test]
    fn alloc_keeps_the_end_at_or_below_the_limit() {
        let mut rm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(rm.reserve(2 * P, P, ReserveMode::Default), Ok(()));
        let mut limited = req(P + 100, P);
        limited.limit = 4 * P + 100;
        assert_eq!(rm.alloc(&limited), Ok(3 * P), "ends exactly at the limit");
        assert_eq!(rm.alloc(&limited), Err(Error::NoMem));
        limited.limit = 0;
        assert_eq!(rm.alloc(&limited), Ok(5 * P));
        let mut too_low = req(P, P);
        too_low.limit = P - 1;
        assert_eq!(rm.alloc(&too_low), Err(Error::NoMem), "limit below size");
        too_low.limit = 3 * P;
        assert_eq!(rm.alloc(&too_low), Err(Error::NoMem));
    }

    /// Expect huge sizes, alignments and goals near 2^64 to fail or fall
    /// back cleanly, never to wrap.
    #[test]
    fn alloc_near_two_to_the_64_never_wraps() {
        let top = u64::MAX - 64 * P;
        let mut rm = booted(&[(top, u64::MAX, 0)]);
        let first = pfn_up(top).map(|p| p << PAGE_SHIFT).unwrap_or(0);
        assert_eq!(rm.alloc(&req(u64::MAX, 1)), Err(Error::NoMem));
        assert_eq!(rm.alloc(&req(u64::MAX - first, 1)), Err(Error::NoMem));
        assert_eq!(rm.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
        let mut high_goal = req(P, P);
        high_goal.goal = u64::MAX;
        high_goal.limit = u64::MAX;
        let meta_end = rm.metadata()[0].end();
        assert_eq!(rm.alloc(&high_goal), Ok(meta_end));
        assert_eq!(
            rm.reserve(u64::MAX - 1, 1, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(rm.free(u64::MAX - 3 * P, 3 * P + 1), Err(Error::Invalid));
        assert_eq!(rm.free(u64::MAX - 3 * P, 3 * P), Err(Error::DoubleFree));
    }

    #[test]
    fn alloc_with_the_largest_alignment() {
        contract::alloc_with_the_largest_alignment(booted);
    }

    /// Expect an Exact request without a node to act as Prefer: there is
    /// no node to be exact about, so it is placed anywhere.
    #[test]
    fn alloc_exact_without_a_node_acts_as_prefer() {
        let mut rm = booted(&[(0, 16 * P, 0)]);
        let mut exact = req(P, P);
        exact.policy = NodePolicy::Exact;
        assert_eq!(stages(&exact).len(), 1);
        assert_eq!(rm.alloc(&exact), Ok(2 * P));
    }

    /// Expect a 4 GiB span of interleaved nodes to stay fast: thousands of
    /// allocations, each a word-at-a-time first fit.
    #[test]
    fn many_allocations_over_a_four_gib_span() {
        let gib = 1u64 << 30;
        let map: Vec<(u64, u64, Nid)> = (0..8u64)
            .map(|i| (i * gib / 2, i * gib / 2 + 32 * MIB, (i % 4) as Nid))
            .collect();
        let mut rm = booted(&map);
        let mut count = 0u64;
        for i in 0..20_000u64 {
            let mut request = req(P + (i % 7) * 1000, P << (i % 5));
            request.nid = (i % 3 != 0).then_some((i % 4) as Nid);
            request.goal = (i % 11) * gib / 3;
            if rm.alloc(&request).is_ok() {
                count += 1;
            }
        }
        assert!(count > 10_000, "{count}");
    }

    // ---- a brute-force cross-check -------------------------------------

    /// Page states of the reference model.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Pg {
        Hole,
        Free,
        Taken,
    }

    /// The rules of the brief, restated one page at a time over the first
    /// `N` pages, so that the bitmap code is checked against something
    /// obviously right.
    struct Model {
        ram: Vec<(Range, Nid)>,
        pages: Vec<Pg>,
        meta: Pages,
    }

    impl Model {
        fn new(ram: &[(Range, Nid)], meta: Range) -> Model {
            let norm = model::normalized(ram);
            let mut pages = vec![Pg::Hole; N as usize];
            for (p, page) in pages.iter_mut().enumerate() {
                let bytes = r(p as u64 * P, (p as u64 + 1) * P);
                if norm.iter().any(|(range, _)| range.contains(bytes)) {
                    *page = Pg::Free;
                }
            }
            let meta = Pages::of_aligned(meta);
            for p in meta.lo..meta.hi {
                pages[p as usize] = Pg::Taken;
            }
            Model {
                ram: norm,
                pages,
                meta,
            }
        }

        fn all(&self, lo: u64, hi: u64, state: Pg) -> bool {
            (lo..hi).all(|p| p < N && self.pages[p as usize] == state)
        }

        fn usable(&self, lo: u64, hi: u64) -> bool {
            (lo..hi).all(|p| p < N && self.pages[p as usize] != Pg::Hole)
        }

        fn in_node(&self, nid: Option<Nid>, bytes: Range) -> bool {
            self.ram
                .iter()
                .any(|&(range, n)| nid.is_none_or(|want| want == n) && range.contains(bytes))
        }

        fn mark(&mut self, lo: u64, hi: u64, state: Pg) {
            for p in lo..hi {
                self.pages[p as usize] = state;
            }
        }

        fn feasible(
            &self,
            q: &AllocRequest,
            a: u64,
            node: Option<Option<Nid>>,
            goal: bool,
        ) -> bool {
            let Some(end) = a.checked_add(q.size) else {
                return false;
            };
            let Some(end_page) = crate::range::page_up(end) else {
                return false;
            };
            let node_ok = match node {
                None => q.nid.is_none() || self.in_node(None, r(a, end_page)),
                Some(n) => self.in_node(n, r(a, end_page)),
            };
            a % q.align == 0
                && (q.limit == 0 || end <= q.limit)
                && (!goal || a >= q.goal)
                && self.all(a / P, end_page / P, Pg::Free)
                && node_ok
        }

        fn alloc(&mut self, q: &AllocRequest) -> Outcome<u64> {
            q.validate()?;
            for (on_node, goal) in model::stages(q) {
                let node = on_node.then_some(q.nid);
                if let Some(a) = (1..N)
                    .map(|p| p * P)
                    .find(|&a| self.feasible(q, a, node, goal))
                {
                    let hi = (a + q.size).div_ceil(P);
                    self.mark(a / P, hi, Pg::Taken);
                    return Ok(a);
                }
            }
            Err(q.failure())
        }

        fn free_map(&self) -> Vec<Range> {
            model::free_runs(|p| self.pages[p as usize] == Pg::Free)
        }
    }

    impl PageModel for Model {
        fn reserve(&mut self, nid: Option<Nid>, base: u64, size: u64, excl: bool) -> Outcome<()> {
            let Some((lo, hi)) = model::touched(base, size)? else {
                return Ok(());
            };
            let bytes = r(lo * P, hi * P);
            if !self.usable(lo, hi) || (nid.is_some() && !self.in_node(nid, bytes)) {
                return Err(Error::Invalid);
            }
            if excl && !self.all(lo, hi, Pg::Free) {
                return Err(Error::Busy);
            }
            self.mark(lo, hi, Pg::Taken);
            Ok(())
        }

        fn free(&mut self, nid: Option<Nid>, base: u64, size: u64) -> Outcome<()> {
            let Some((lo, hi)) = model::whole(base, size)? else {
                return Ok(());
            };
            let bytes = r(lo * P, hi * P);
            let meta = (lo..hi).any(|p| self.meta.lo <= p && p < self.meta.hi);
            if !self.usable(lo, hi) || meta || (nid.is_some() && !self.in_node(nid, bytes)) {
                return Err(Error::Invalid);
            }
            if !self.all(lo, hi, Pg::Taken) {
                return Err(Error::DoubleFree);
            }
            self.mark(lo, hi, Pg::Free);
            Ok(())
        }
    }

    /// Random small maps: up to five ranges of up to twelve pages.
    const SHAPE: MapShape = MapShape {
        ranges: 5,
        pages: 12,
        one_page_at_zero: false,
    };

    /// Expect every outcome and every free map to match the page-at-a-time
    /// model over thousands of random small scenarios.
    #[test]
    fn random_scenarios_match_a_page_at_a_time_model() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for scenario in 0..3000 {
            let map = rng.map(SHAPE);
            let Some(mut rm) = try_boot(RootMem::new(), &map) else {
                continue;
            };
            let mut model = Model::new(&map, rm.metadata()[0]);
            assert_eq!(rm.free_map(), model.free_map(), "scenario {scenario} setup");
            for op in 0..40 {
                let target = rng.target(6);
                let (got, want) = match rng.below(3) {
                    0 => {
                        let (got, want) = target.reserve(&mut rng, &mut rm, &mut model);
                        (got.map(|()| 0), want.map(|()| 0))
                    }
                    1 => {
                        let (got, want) = target.free(&mut rm, &mut model);
                        (got.map(|()| 0), want.map(|()| 0))
                    }
                    _ => {
                        let q = rng.request(6);
                        (rm.alloc(&q), model.alloc(&q))
                    }
                };
                assert_eq!(got, want, "scenario {scenario} op {op} map {map:?}");
                assert_eq!(
                    rm.free_map(),
                    model.free_map(),
                    "scenario {scenario} op {op}"
                );
            }
            let free: u64 = model.free_map().iter().map(|f| f.len() / P).sum();
            assert_eq!(release(&mut rm).0, Ok(free + model.meta.len()));
        }
    }
}
