//! bootmem: the classic per-node bitmap allocator, 2.6.27-era semantics.
//!
//! `mm/bootmem.c` as rewritten in place by Johannes Weiner for v2.6.27-rc1
//! (about twenty commits ending with 3560e249abd; reference sections 1.1 to
//! 1.4, source S6) and kept until v4.19 (S13): one `bootmem_data`
//! descriptor per node, each with a bitmap over the node's PFN span, set =
//! taken, clear = free ([`crate::page_map`]), plus the two pieces of
//! allocation state that make placement depend on more than the free map:
//!
//! - `hint_idx`, a next-fit hint: where the previous allocation on the node
//!   ended, lowered by every free;
//! - `last_end_off`, where the previous allocation ended in bytes, so that
//!   the next small allocation can be packed into the unused tail of that
//!   page ("merge").
//!
//! The backend keeps the rewrite's structure and names: [`BootmemData`] is
//! `bootmem_data_t`, [`BootmemData::alloc_bdata`] is `alloc_bootmem_core`
//! (2.6.27) / `alloc_bootmem_bdata` (4.19), [`ClassicBootmem::alloc`] is
//! `___alloc_bootmem_nopanic` and `___alloc_bootmem_node_nopanic`
//! (b54bbf7b811, v2.6.27), and the descriptors are walked in ascending order
//! of their start PFN, as `bdata_list` has been kept sorted since
//! 679bc9fbb508 (v2.6.17-rc1).
//!
//! # Where this backend deviates from the kernel
//!
//! SPEC section 3 and 4 are the law at the API boundary, so:
//!
//! 1. **Every page lives in the bitmap of the node whose RAM holds it.** The
//!    kernel's `mark_bootmem` ("bootmem: free/reserve helpers", v2.6.27-rc1)
//!    walks node *spans*, so with interleaved nodes (node 0 = [0,2G) +
//!    [4G,6G), node 1 = [2G,4G) + [6G,8G)) a reserve of node 1's RAM inside
//!    node 0's span lands in node 0's bitmap, where it means nothing. Here a
//!    range is split at RAM-range boundaries and each piece is marked,
//!    cleared or tested in its owner's bitmap; another node's RAM inside a
//!    span keeps its bit set forever, like a hole.
//! 2. **Errors instead of `BUG()`**: a reserve or free that touches non-RAM,
//!    a `_node` call outside one RAM range of the node, and a free of a
//!    bitmap page are `Invalid`; a free of a free page is `DoubleFree`.
//!    Every error changes nothing: an exclusive reserve checks all pages
//!    first instead of marking and rolling back (the kernel's rollback also
//!    lowered `hint_idx`; here a failed call leaves the hint alone).
//! 3. **Page 0 is never handed out**: the search window starts at PFN 1 at
//!    least (SPEC section 4, `a >= PAGE_SIZE`).
//! 4. **The goal is a byte bound**: the search starts at `PFN_UP(goal)`
//!    (the kernel uses `PFN_DOWN(goal)`, which can return a start below the
//!    goal), and a goal at or past a node's window leaves that node nothing
//!    in a goal pass (the kernel then searches the node from its start, which
//!    the global walk only avoids for nodes that end below the goal, not
//!    for windows cut by the limit nor for the node variant's first try).
//!    [`Bug::B4GoalFirstNodeOnly`] restores the per-node fallback.
//! 5. **The limit bounds the end of the allocation**: `a + size <= limit`,
//!    so the last page may reach past the limit (the kernel cuts the window
//!    at `PFN_DOWN(limit)`). The kernel's `BUG_ON(goal + size > limit)` and
//!    the node variant's dropping of such a limit are not reproduced: such a
//!    goal pass simply finds nothing, and the limit always holds.
//! 6. **Packing only into slack**: when a free clears the page holding a
//!    node's `last_end_off` tail, `last_end_off` is reset to the page
//!    boundary, so nothing is packed into that page any more. The kernel
//!    kept `last_end_off` and could pack into a page that is free in the
//!    bitmap (or was reserved again since); SPEC section 4 allows packing
//!    only into the unused tail (slack) of a live allocation's page.
//! 7. **`setup` places the bitmaps itself**: the arch code passed
//!    `init_bootmem_node` a free PFN and had to reserve the bitmap; here each
//!    node's bitmap goes to the lowest run of its own usable pages at or
//!    above PFN 1 that holds it, inside one RAM range, and is reported as
//!    metadata. Only nodes with a usable page get a descriptor (memoryless
//!    nodes are skipped, 7c309a64d6a, v2.6.20-rc1).
//! 8. **Policy `Exact`** (not a bootmem notion) tries only the node, with
//!    the goal and then without; `Exact` without a node acts as `Prefer`.
//! 9. **`release_all`** walks every node (as `free_all_bootmem` does from
//!    aa235fc712f, v2.6.34-rc4; 2.6.27 callers walked the nodes themselves):
//!    each node's free runs, then its bitmap pages; the count is their sum.

use crate::bugs::{Bug, BugSet};
use crate::lifecycle::Lifecycle;
use crate::page_map::{bitmap_pages, PageMap, MAX_BITMAP_PAGES};
use crate::pages::Pages;
use crate::ram::RamList;
use crate::range::{align_up, is_page_aligned, page_up, pfn_down, pfn_up};
use crate::search::{Fit, Stage};
use crate::{
    AllocRequest, BootMem, Error, Granularity, MetadataHandoff, Nid, NodePolicy, Outcome, Pfn,
    PhysAddr, Placement, Profile, Range, Registration, ReserveMode, PAGE_SHIFT,
};

/// The classic bootmem backend: registered RAM ranges plus, once set up, one
/// [`BootmemData`] per node.
#[derive(Debug, Default)]
pub struct ClassicBootmem {
    /// Registered RAM, sorted and normalized.
    ram: RamList,
    /// Where the allocator is in its life.
    state: Lifecycle<Ready>,
    /// Planted historical bugs ([`crate::bugs`]); empty by default.
    bugs: BugSet,
}

/// One node's `bootmem_data` (2.6.27 layout, reference section 1.1).
#[derive(Debug)]
struct BootmemData {
    /// The node.
    nid: Nid,
    /// One bit per page of `[node_min_pfn, node_low_pfn)`, set = taken:
    /// the node's span from its lowest usable page to one past its highest.
    /// Holes and other nodes' RAM inside the span stay set forever.
    node_bootmem_map: PageMap,
    /// The pages holding the bitmap itself (inside this node's RAM).
    map_pages: Pages,
    /// Byte offset from `node_min_pfn` where the previous allocation ended.
    last_end_off: u64,
    /// Bitmap index where the next search starts (next fit).
    hint_idx: u64,
}

/// A run of usable pages (the whole pages of one RAM range) and the index of
/// its node's descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Piece {
    pages: Pages,
    node: usize,
}

/// The set-up allocator.
#[derive(Debug)]
struct Ready {
    /// The descriptors in ascending `node_min_pfn` order (`bdata_list`).
    bdata: Vec<BootmemData>,
    /// Every RAM range's whole pages, ascending, with its owner: the map
    /// from a page to the bitmap that manages it.
    pieces: Vec<Piece>,
    /// Planted historical bugs, copied from the instance.
    bugs: BugSet,
}

/// Aligns `x` up to a multiple of `align` (a power of two), absolutely, or,
/// with [`Bug::B2NodeRelativeAlign`] planted, relative to `origin` (the
/// node's first PFN or byte). `None` past 2^64.
///
/// The kernel's `align_idx` / `align_off` ("bootmem: fix aligning of
/// node-relative indexes", 481ebd0d76b, v2.6.27-rc4) align `base + idx`;
/// before that fix the index itself was aligned.
fn align_in_node(bugs: BugSet, origin: u64, x: u64, align: u64) -> Option<u64> {
    if bugs.has(Bug::B2NodeRelativeAlign) {
        // Planted: the node-relative offset is aligned, not the address.
        return origin.checked_add(align_up(x.checked_sub(origin)?, align)?);
    }
    align_up(x, align)
}

impl BootmemData {
    /// PFN of bit 0: the node's lowest usable page.
    fn node_min_pfn(&self) -> Pfn {
        self.node_bootmem_map.base()
    }

    /// One past the node's highest usable page.
    fn node_low_pfn(&self) -> Pfn {
        self.node_bootmem_map.window().hi
    }

    /// Byte address of the node's first page: the origin of `last_end_off`.
    fn base_addr(&self) -> PhysAddr {
        self.node_min_pfn() << PAGE_SHIFT
    }

    /// Marks `pages` (this node's RAM) free (`__free`): the hint drops to
    /// the first freed index, and a freed `last_end_off` page can no longer
    /// be packed into (deviation 6 of the module doc).
    fn free(&mut self, pages: Pages) {
        let map = &mut self.node_bootmem_map;
        let (lo, hi) = (map.bit(pages.lo), map.bit(pages.hi));
        map.mark_free(pages);
        self.hint_idx = self.hint_idx.min(lo);
        let tail_page = pfn_down(self.last_end_off);
        if !is_page_aligned(self.last_end_off) && lo <= tail_page && tail_page < hi {
            self.last_end_off = page_up(self.last_end_off).unwrap_or(0);
        }
    }

    /// `align_idx` on an absolute PFN.
    fn align_pfn(&self, bugs: BugSet, pfn: Pfn, step: u64) -> Option<Pfn> {
        align_in_node(bugs, self.node_min_pfn(), pfn, step)
    }

    /// The first block of `pages` free pages at or after `from` whose start
    /// is a multiple of `step` and whose end is at most `max`: the
    /// `find_block` loop, a word at a time. On a taken page the search
    /// restarts at that page aligned up, or one step past it when it is
    /// already aligned.
    fn find_block(&self, bugs: BugSet, from: Pfn, max: Pfn, pages: u64, step: u64) -> Option<Pfn> {
        let map = &self.node_bootmem_map;
        let mut pos = from;
        loop {
            let free = map.next_free(pos, max);
            if bugs.has(Bug::B8FullNodePanics) && pos < max {
                // Planted: no `if (i >= eidx) break;` after the aligned
                // `find_next_zero_bit`, which returns `eidx` when nothing
                // is free: the scan goes on past the window.
                let start = self.align_pfn(bugs, free.unwrap_or(max), step)?;
                if start >= max {
                    return self.scan_past_the_window(start, pages);
                }
            }
            let start = self.align_pfn(bugs, free?, step)?;
            let end = start.checked_add(pages)?;
            if start >= max || end > max {
                return None;
            }
            let Some(taken) = map.next_taken(start, end) else {
                return Some(start);
            };
            let aligned = self.align_pfn(bugs, taken, step)?;
            pos = if bugs.has(Bug::B10SkipAfterFailedBlock) {
                // Planted: `i = ALIGN(j, incr)`, then the loop's `i += incr`.
                aligned.checked_add(step)?
            } else if aligned == taken {
                taken.checked_add(step)?
            } else {
                aligned
            };
        }
    }

    /// [`Bug::B8FullNodePanics`]: the 2.6.15 scan at an index `i` at or
    /// past the window's end, without the `i >= eidx` break that
    /// 66d43e98ea6 (v2.6.15-rc6) added. `test_bit(i)` reads a bit past the
    /// window: a page of the node cut off by the limit, or past the node's
    /// span, which reads clear (this port's bitmap keeps no set padding; the
    /// kernel read on past its map). A set bit moves on and ends the pass,
    /// as does a block of more than one page (`j >= eidx`); a single page
    /// is "found" and `BUG_ON(start >= eidx)` fires.
    // Only a planted fault calls this: keep it off the hot path.
    #[cold]
    #[inline(never)]
    fn scan_past_the_window(&self, i: Pfn, pages: u64) -> Option<Pfn> {
        let bit = Pages {
            lo: i,
            hi: i.saturating_add(1),
        };
        if pages > 1 || self.node_bootmem_map.any_taken(bit) {
            return None;
        }
        panic!(
            "kernel BUG at mm/bootmem.c: __alloc_bootmem_core: BUG_ON(start >= eidx) at \
             pfn {i:#x}, node {}",
            self.nid
        );
    }

    /// The per-node allocator (`alloc_bootmem_core` 2.6.27,
    /// `alloc_bootmem_bdata` 4.19) with `goal` (0 = none): the window, the
    /// next-fit hint and its second pass, the block search, and sub-page
    /// packing. Changes nothing and returns `None` when nothing fits.
    fn alloc_bdata(
        &mut self,
        bugs: BugSet,
        req: &AllocRequest,
        fit: Fit,
        goal: PhysAddr,
    ) -> Option<PhysAddr> {
        // The window [min, max): the node, never page 0, and (SPEC) no block
        // whose page-aligned start would put the end past the limit.
        let min = self.node_min_pfn().max(1);
        let max = self.node_low_pfn().min(fit.end_cap);
        if max <= min {
            return None;
        }
        let start = match (goal, pfn_up(goal)) {
            (0, _) => min,
            (_, Some(g)) if g < max => g.max(min),
            // Planted: a goal outside the window is ignored, not obeyed.
            _ if bugs.has(Bug::B4GoalFirstNodeOnly) => min,
            _ => return None,
        };
        let (pages, step) = (fit.pages, fit.step);
        let start = self.align_pfn(bugs, start, step)?;
        let hint = self.node_bootmem_map.pfn(self.hint_idx);
        let found = if hint > start {
            let first = self
                .align_pfn(bugs, hint, step)
                .and_then(|from| self.find_block(bugs, from, max, pages, step));
            first.or_else(|| self.find_block(bugs, start, max, pages, step))
        } else {
            self.find_block(bugs, start, max, pages, step)
        }?;
        self.take(bugs, req, found)
    }

    /// Takes the free block found at page `sidx_pfn`, packing into the tail
    /// of the previous allocation's page when that page is the one just
    /// before the block ("merge", with the condition tightened by
    /// 627240aaa92 "bootmem allocator: alloc_bootmem_core(): page-align the
    /// end offset", v2.6.27-rc4), and returns the start address.
    fn take(&mut self, bugs: BugSet, req: &AllocRequest, sidx_pfn: Pfn) -> Option<PhysAddr> {
        let base = self.base_addr();
        let sidx = self.node_bootmem_map.bit(sidx_pfn);
        let block_off = sidx << PAGE_SHIFT;
        let tail = if bugs.has(Bug::B1LooseMerge) {
            // Planted: any non-zero end offset merges, even a page-aligned one.
            self.last_end_off != 0
        } else {
            !is_page_aligned(self.last_end_off)
        };
        let start_off = if tail && pfn_down(self.last_end_off).checked_add(1) == Some(sidx) {
            let at = align_in_node(bugs, base, base.checked_add(self.last_end_off)?, req.align)?;
            at.checked_sub(base)?.min(block_off)
        } else {
            block_off
        };
        let merge = u64::from(pfn_down(start_off) < sidx);
        let end_off = start_off.checked_add(req.size)?;
        let addr = base.checked_add(start_off)?;
        addr.checked_add(req.size)?;
        let hint_idx = pfn_up(end_off)?;
        let map = &mut self.node_bootmem_map;
        let taken = Pages {
            lo: map.pfn(pfn_down(start_off) + merge),
            hi: map.pfn(hint_idx),
        };
        map.mark_taken(taken);
        self.last_end_off = end_off;
        self.hint_idx = hint_idx;
        Some(addr)
    }
}

impl Ready {
    /// Builds one descriptor per node with a usable page, from the sorted,
    /// normalized RAM list: every bit set, the node's usable pages cleared,
    /// its bitmap placed and set. `NoMem` when there is no usable page, a
    /// node's bitmap fits in none of its ranges, or the bitmaps together
    /// pass the host limit ([`MAX_BITMAP_PAGES`] bits). Sizes and places
    /// are decided before any host allocation.
    fn build(ram: &RamList, bugs: BugSet) -> Outcome<Ready> {
        let whole: Vec<(Pages, Nid)> = ram.whole_pages().collect();
        // Nodes in order of their first usable page: ascending start PFN.
        let mut nids: Vec<Nid> = Vec::new();
        for &(_, nid) in &whole {
            if !nids.contains(&nid) {
                nids.push(nid);
            }
        }
        if nids.is_empty() {
            return Err(Error::NoMem);
        }
        let mut plans = Vec::with_capacity(nids.len());
        let mut total_span: u64 = 0;
        for &nid in &nids {
            let ranges: Vec<Pages> = whole
                .iter()
                .filter(|(_, n)| *n == nid)
                .map(|(p, _)| *p)
                .collect();
            let (Some(first), Some(last)) = (ranges.first(), ranges.last()) else {
                return Err(Error::NoMem);
            };
            let span = Pages {
                lo: first.lo,
                hi: last.hi,
            };
            let map_pages =
                Pages::lowest_fit(&ranges, bitmap_pages(span.len())).ok_or(Error::NoMem)?;
            total_span = total_span.checked_add(span.len()).ok_or(Error::NoMem)?;
            plans.push((nid, span, map_pages, ranges));
        }
        if total_span > MAX_BITMAP_PAGES {
            return Err(Error::NoMem);
        }
        let mut bdata = Vec::with_capacity(plans.len());
        for (nid, span, map_pages, ranges) in plans {
            let mut map = PageMap::try_new(span, true).ok_or(Error::NoMem)?;
            for run in ranges {
                map.mark_free(run);
            }
            map.mark_taken(map_pages);
            bdata.push(BootmemData {
                nid,
                node_bootmem_map: map,
                map_pages,
                last_end_off: 0,
                hint_idx: 0,
            });
        }
        let pieces = whole
            .iter()
            .filter_map(|&(pages, nid)| {
                let node = bdata.iter().position(|b| b.nid == nid)?;
                Some(Piece { pages, node })
            })
            .collect();
        Ok(Ready {
            bdata,
            pieces,
            bugs,
        })
    }

    /// `pages` split at RAM-range boundaries, each piece with the index of
    /// the descriptor whose bitmap manages it; `None` when a page of `pages`
    /// is not usable RAM. Pieces of touching ranges of different nodes
    /// follow each other (the "may cross nodes" rule of `reserve_bootmem`
    /// and `free_bootmem`).
    fn split(&self, pages: Pages) -> Option<Vec<(usize, Pages)>> {
        let mut i = self.pieces.partition_point(|p| p.pages.hi <= pages.lo);
        let mut at = pages.lo;
        let mut out = Vec::new();
        while at < pages.hi {
            let piece = self.pieces.get(i)?;
            if piece.pages.lo > at {
                return None;
            }
            let hi = piece.pages.hi.min(pages.hi);
            out.push((piece.node, Pages { lo: at, hi }));
            at = hi;
            i += 1;
        }
        Some(out)
    }

    /// Tries each descriptor in `bdata_list` order (`nid` = `None`) or the
    /// node's own (`Some`), with `goal`; the first success wins.
    fn alloc_stage(&mut self, req: &AllocRequest, fit: Fit, stage: Stage) -> Option<PhysAddr> {
        let bugs = self.bugs;
        self.bdata
            .iter_mut()
            .filter(|b| stage.nid.is_none_or(|n| n == b.nid))
            .find_map(|b| b.alloc_bdata(bugs, req, fit, stage.goal))
    }
}

impl ClassicBootmem {
    /// An allocator with no RAM registered, waiting for `add_memory` calls
    /// and then `setup`.
    pub fn new() -> ClassicBootmem {
        ClassicBootmem::default()
    }

    /// As [`ClassicBootmem::new`], with the historical `bugs` planted
    /// ([`crate::bugs`]).
    pub fn with_bugs(bugs: BugSet) -> ClassicBootmem {
        ClassicBootmem {
            bugs,
            ..ClassicBootmem::default()
        }
    }

    /// `reserve` and `reserve_node` (`nid` = `Some`): outward rounding,
    /// usable RAM and the node rule (`Invalid`), then `Busy` or marking in
    /// each owner's bitmap. The node rule is the strict
    /// `reserve_bootmem_node`'s, whose `BUG_ON` becomes an error.
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
        let pieces = ready.split(pages).ok_or(Error::Invalid)?;
        let busy = pieces.iter().any(|&(n, p)| {
            ready
                .bdata
                .get(n)
                .is_some_and(|b| b.node_bootmem_map.any_taken(p))
        });
        if mode == ReserveMode::Exclusive && busy {
            return Err(Error::Busy);
        }
        let first = pieces.first().map(|&(n, _)| n);
        for (n, p) in pieces {
            if self.bugs.has(Bug::B7ReserveOneNode) && Some(n) != first {
                continue; // Planted: only the node holding the start is marked.
            }
            if let Some(b) = ready.bdata.get_mut(n) {
                b.node_bootmem_map.mark_taken(p); // `__reserve`
            }
        }
        Ok(())
    }

    /// `free` and `free_node` (`nid` = `Some`): inward rounding, usable RAM,
    /// the node rule (the strict `free_bootmem_node`'s) and the bitmaps (all
    /// `Invalid`), then `DoubleFree` or clearing in each owner's bitmap.
    fn free_pages(&mut self, nid: Option<Nid>, base: PhysAddr, size: u64) -> Outcome<()> {
        let ready = self.state.ready_mut()?;
        let Some(pages) = Pages::to_free(base, size)? else {
            return Ok(());
        };
        self.ram.check_node(nid, pages.bytes())?;
        let pieces = ready.split(pages).ok_or(Error::Invalid)?;
        if ready.bdata.iter().any(|b| b.map_pages.overlaps(pages)) {
            return Err(Error::Invalid);
        }
        let all_taken = pieces.iter().all(|&(n, p)| {
            ready
                .bdata
                .get(n)
                .is_some_and(|b| b.node_bootmem_map.all_taken(p))
        });
        if !all_taken {
            return Err(Error::DoubleFree);
        }
        for (n, p) in pieces {
            if let Some(b) = ready.bdata.get_mut(n) {
                b.free(p);
            }
        }
        Ok(())
    }
}

impl BootMem for ClassicBootmem {
    fn name(&self) -> &'static str {
        "bootmem"
    }

    fn profile(&self) -> Profile {
        Profile {
            granularity: Granularity::Page,
            placement: Placement::Historical,
            packing: true,
            crosses_nodes: false,
            metadata: MetadataHandoff::Released,
            registration: Registration::BeforeSetup,
        }
    }

    /// Registers RAM (`RamList::add`) before `setup` only: the nodes'
    /// bitmaps are sized from it (`Lifecycle::check_registering`).
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        self.state.check_registering()?;
        self.ram.add(range, nid)
    }

    /// `init_bootmem_node` for every node with a usable page, in ascending
    /// start order: a bitmap over the node's PFN span, all set, the node's
    /// usable pages freed, the bitmap placed in the node's own RAM and
    /// reserved. `NoMem` (and no change) when some node's bitmap fits
    /// nowhere or there is no usable page.
    fn setup(&mut self) -> Outcome<()> {
        self.state.set_up(|| Ready::build(&self.ram, self.bugs))
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

    /// The stages of `Stage::plan` in order, each a walk of the
    /// descriptors with the per-node allocator; the first success wins. A
    /// failure changes nothing (neither bitmaps nor hints nor
    /// `last_end_off`).
    ///
    /// The stages are the kernel's: `___alloc_bootmem_node_nopanic`
    /// (3.x/4.19) tries the node and then every node with the goal, then
    /// both again with goal 0; without a node, `___alloc_bootmem_nopanic`
    /// walks every node with the goal and then with goal 0 ("bootmem:
    /// respect goal more likely", 0f3caba211b, v2.6.27-rc1). Policy `Exact`
    /// keeps only the node's stages.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        let ready = self.state.ready_mut()?;
        let fit = Fit::of(req)?;
        let mut policy = req.policy;
        if self.bugs.has(Bug::B5NodeNoFallback) {
            // Planted: the node variant is the per-node core alone.
            policy = NodePolicy::Exact;
        }
        if self.bugs.has(Bug::B14ExactNodeIgnored) {
            // Planted: the exact-node variant falls back to any node.
            policy = NodePolicy::Prefer;
        }
        Stage::plan(&AllocRequest { policy, ..*req })
            .into_iter()
            .find_map(|stage| ready.alloc_stage(req, fit, stage))
            .ok_or(req.failure())
    }

    /// `free_all_bootmem` over every node: each node's maximal free runs,
    /// then its bitmap pages; returns the number of pages handed over.
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        let ready = self.state.retire()?;
        let mut count = 0;
        for b in &ready.bdata {
            if self.bugs.has(Bug::B13ReleaseNodeZeroOnly) && b.nid != 0 {
                continue; // Planted: `free_all_bootmem_core(NODE_DATA(0)->bdata)`.
            }
            let runs = b.node_bootmem_map.free_runs().chain([b.map_pages]);
            count += Pages::hand_over(runs, sink);
        }
        Ok(count)
    }

    fn metadata(&self) -> Vec<Range> {
        let Some(ready) = self.state.ready() else {
            return Vec::new();
        };
        let mut out: Vec<Range> = ready.bdata.iter().map(|b| b.map_pages.bytes()).collect();
        out.sort();
        out
    }

    fn free_map(&self) -> Vec<Range> {
        let Some(ready) = self.state.ready() else {
            return Vec::new();
        };
        let mut runs: Vec<Pages> = ready
            .bdata
            .iter()
            .flat_map(|b| b.node_bootmem_map.free_runs())
            .collect();
        runs.sort_by_key(|p| p.lo);
        Pages::joined(runs).into_iter().map(Pages::bytes).collect()
    }
}

#[cfg(test)]
mod tests {
    //! Tests in the style of the kernel's `tools/testing/memblock`: each
    //! draws the memory layout it builds and states what it expects.
    //! In the pictures `B` is a bitmap, `r` reserved, `a` allocated, `.`
    //! free, `x` a hole; one character is one page unless labelled.

    use super::*;
    use crate::page_map::bitmap_pages;
    use crate::testing::contract;
    use crate::testing::model::{self, PageModel, N};
    use crate::testing::random::{MapShape, Rng};
    use crate::testing::{above, boot, on, r, release, req, try_boot, MIB, P};
    use crate::{NodePolicy, OnFail, MAX_NODES};

    /// A bootmem with `map` registered (start, end, nid) and set up, with
    /// `bugs` planted.
    fn booted_with(bugs: BugSet, map: &[(u64, u64, Nid)]) -> ClassicBootmem {
        boot(ClassicBootmem::with_bugs(bugs), map)
    }

    /// A bootmem with `map` registered (start, end, nid) and set up.
    fn booted(map: &[(u64, u64, Nid)]) -> ClassicBootmem {
        booted_with(BugSet::NONE, map)
    }

    /// The `(hint_idx, last_end_off)` of the descriptor of node `nid`.
    fn node_state(bm: &ClassicBootmem, nid: Nid) -> (u64, u64) {
        let ready = bm.state.ready().expect("set up");
        let b = ready.bdata.iter().find(|b| b.nid == nid).expect("node");
        (b.hint_idx, b.last_end_off)
    }

    /// The two-node map most tests use: node 0 on pages 0..16, node 1 on
    /// pages 16..32, bitmaps on pages 1 and 16.
    const TWO_NODES: [(u64, u64, Nid); 2] = [(0, 16 * P, 0), (16 * P, 32 * P, 1)];

    /// Interleaved nodes: node 0 on pages 0..8 and 16..24, node 1 on pages
    /// 8..16 and 24..32. Spans: node 0 pages 0..24, node 1 pages 8..32.
    const INTERLEAVED: [(u64, u64, Nid); 4] = [
        (0, 8 * P, 0),
        (8 * P, 16 * P, 1),
        (16 * P, 24 * P, 0),
        (24 * P, 32 * P, 1),
    ];

    // ---- setup -------------------------------------------------------

    /// ```text
    ///   |.|B|..... node 0 .....|B|...... node 1 ......|
    ///    0 1                    16
    /// ```
    /// Expect one bitmap per node, each on the lowest page of its own RAM
    /// (never page 0).
    #[test]
    fn setup_gives_each_node_a_bitmap_in_its_own_ram() {
        let bm = booted(&TWO_NODES);
        assert_eq!(bm.metadata(), vec![r(P, 2 * P), r(16 * P, 17 * P)]);
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(2 * P, 16 * P), r(17 * P, 32 * P)]
        );
    }

    /// ```text
    ///   |.|B|. n0 .|B|. n1 .|. n0 .|. n1 .|
    ///    0 1        8        16     24    32
    ///   node 0's span: pages 0..24 (its bitmap has bits for 8..16, set)
    ///   node 1's span: pages 8..32 (its bitmap has bits for 16..24, set)
    /// ```
    /// Expect each page to be marked, cleared and tested in the bitmap of
    /// the node whose RAM holds it: a reserve of pages 6..11 takes pages
    /// 9 and 10 from node 1, so node 1's first free page is 11 (a span walk
    /// as in the kernel's `mark_bootmem` would mark them in node 0's bitmap
    /// and node 1 would hand out page 9); node 0's search skips node 1's
    /// pages 14 and 15.
    #[test]
    fn interleaved_nodes_keep_every_page_in_its_owners_bitmap() {
        let mut bm = booted(&INTERLEAVED);
        assert_eq!(bm.metadata(), vec![r(P, 2 * P), r(8 * P, 9 * P)]);
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(2 * P, 8 * P), r(9 * P, 32 * P)]
        );
        assert_eq!(bm.reserve(6 * P, 5 * P, ReserveMode::Default), Ok(()));
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(2 * P, 6 * P), r(11 * P, 32 * P)]
        );
        let node_1 = on(1, NodePolicy::Exact, req(P, P));
        assert_eq!(bm.alloc(&node_1), Ok(11 * P));
        assert_eq!(bm.free(9 * P, 2 * P), Ok(()));
        assert_eq!(
            bm.alloc(&node_1),
            Ok(9 * P),
            "the free lowered node 1's hint"
        );
        let node_0 = on(0, NodePolicy::Exact, above(14 * P, req(3 * P, P)));
        assert_eq!(bm.alloc(&node_0), Ok(16 * P));
        assert_eq!(bm.free_node(1, 14 * P, P), Err(Error::DoubleFree));
        assert_eq!(bm.free_node(0, 14 * P, P), Err(Error::Invalid));
    }

    /// ```text
    ///   |.|. node 1: pages 1..16 ...|     node 0: page 0 only
    /// ```
    /// Expect NoMem: node 0's bitmap fits nowhere in node 0 (page 0 is
    /// never used), although node 1 has room. Nothing changes, so RAM may
    /// be added to node 0 and setup retried.
    #[test]
    fn setup_is_nomem_when_one_nodes_bitmap_fits_nowhere_in_that_node() {
        let mut bm = ClassicBootmem::new();
        assert_eq!(bm.add_memory(r(0, P), 0), Ok(()));
        assert_eq!(bm.add_memory(r(P, 16 * P), 1), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        assert!(bm.metadata().is_empty() && bm.free_map().is_empty());
        assert_eq!(bm.alloc(&req(1, 1)), Err(Error::Unsupported));
        assert_eq!(bm.add_memory(r(16 * P, 18 * P), 0), Ok(()));
        assert_eq!(bm.setup(), Ok(()));
        assert_eq!(bm.metadata(), vec![r(P, 2 * P), r(16 * P, 17 * P)]);
    }

    /// ```text
    ///   |x[xxxxx]x|   RAM 0x1800..0x2800 holds no whole page
    /// ```
    /// Expect NoMem: no node has a usable page.
    #[test]
    fn setup_without_a_whole_page_is_nomem() {
        let mut bm = ClassicBootmem::new();
        assert_eq!(bm.add_memory(r(0x1800, 0x2800), 0), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        assert!(bm.metadata().is_empty());
    }

    /// ```text
    ///   |x|.|xxxx hole up to 200 MiB xxxx|BB|.... node 0, 1 MiB ....|
    ///      ^ page 1: too small for a 2-page bitmap (span 51456 pages)
    /// ```
    /// Expect the bitmap in node 0's second range, and its size from
    /// `bootmem_bootmap_pages`: bytes rounded up to a long, then to pages.
    #[test]
    fn the_bitmap_goes_to_the_lowest_range_of_the_node_that_holds_it() {
        assert_eq!(bitmap_pages(1), 1);
        assert_eq!(bitmap_pages(8 * P), 1);
        assert_eq!(bitmap_pages(8 * P + 1), 2);
        let bm = booted(&[(P, 2 * P, 0), (200 * MIB, 201 * MIB, 0)]);
        assert_eq!(bm.metadata(), vec![r(200 * MIB, 200 * MIB + 2 * P)]);
        assert_eq!(bm.free_map()[0], r(P, 2 * P));
    }

    /// ```text
    ///   |B.. 1 MiB ..|xxxxxxxxxx 2^63 bytes of hole xxxxxxxxxx|.. 1 MiB ..|
    ///   one node
    /// ```
    /// Expect NoMem, decided before allocating a 2^48-byte host bitmap.
    #[test]
    fn an_absurd_span_is_nomem_without_allocating_its_bitmap() {
        let mut bm = ClassicBootmem::new();
        assert_eq!(bm.add_memory(r(0, MIB), 0), Ok(()));
        assert_eq!(bm.add_memory(r(1 << 63, (1 << 63) + MIB), 0), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        assert!(bm.metadata().is_empty());
        let mut bm = ClassicBootmem::new();
        assert_eq!(bm.add_memory(r(0, 1 << 62), 0), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem), "past the host limit");
    }

    #[test]
    fn setup_twice_is_unsupported_and_so_is_add_memory_after_it() {
        contract::setup_twice_is_unsupported_and_so_is_add_memory_after_it(booted);
    }

    // ---- add_memory ----------------------------------------------------

    #[test]
    fn add_memory_refuses_empty_ranges_bad_nodes_and_overlap() {
        let mut bm = ClassicBootmem::new();
        assert_eq!(bm.add_memory(r(P, P), 0), Err(Error::Invalid));
        assert_eq!(bm.add_memory(r(0, P), MAX_NODES), Err(Error::Invalid));
        assert_eq!(bm.add_memory(r(0, 4 * P), MAX_NODES - 1), Ok(()));
        assert_eq!(bm.add_memory(r(4 * P - 1, 8 * P), 1), Err(Error::Invalid));
        assert_eq!(bm.add_memory(r(4 * P, 8 * P), 1), Ok(()));
    }

    /// ```text
    ///   |.|B|.|..........|     node 0: 0..0x2800 + 0x2800..0x5000
    ///        ^ page 2 straddles the two ranges
    /// ```
    /// Expect page 2 to be RAM: adjacent ranges of one node merge. Between
    /// two nodes the shared partial page is a hole.
    #[test]
    fn adjacent_ranges_of_one_node_merge_and_of_two_nodes_do_not() {
        let bm = booted(&[(0x2800, 0x5000, 0), (0, 0x2800, 0)]);
        assert_eq!(bm.free_map(), vec![r(0, P), r(2 * P, 5 * P)]);
        let bm = booted(&[(0, 0x2800, 0), (0x2800, 0x5000, 1)]);
        assert_eq!(bm.free_map(), vec![r(0, P), r(4 * P, 5 * P)]);
        assert_eq!(bm.metadata(), vec![r(P, 2 * P), r(3 * P, 4 * P)]);
    }

    // ---- life cycle ----------------------------------------------------

    #[test]
    fn every_call_but_registration_before_setup_is_unsupported() {
        let bm = contract::every_call_but_registration_before_setup_is_unsupported(
            ClassicBootmem::new(),
        );
        assert_eq!(bm.name(), "bootmem");
        let profile = bm.profile();
        assert_eq!(profile.placement, Placement::Historical);
        assert!(profile.packing && !profile.crosses_nodes);
    }

    /// ```text
    ///   |.|B|r|.............|B|...............|
    ///    0 1 2               16
    /// ```
    /// Expect release_all to hand over each node's free runs and then its
    /// bitmap: (1 + 13 + 1) + (15 + 1) = 31 pages, bitmap pages included.
    #[test]
    fn release_all_counts_free_pages_and_every_bitmap_page() {
        let mut bm = booted(&TWO_NODES);
        assert_eq!(bm.reserve(2 * P, 1, ReserveMode::Default), Ok(()));
        let (count, got) = release(&mut bm);
        assert_eq!(count, Ok(31));
        assert_eq!(
            got,
            vec![
                r(0, P),
                r(3 * P, 16 * P),
                r(P, 2 * P),
                r(17 * P, 32 * P),
                r(16 * P, 17 * P)
            ]
        );
    }

    #[test]
    fn every_call_after_release_all_is_retired() {
        contract::every_call_after_release_all_is_retired(booted);
    }

    /// ```text
    ///   |.|B|r|.............|B|...............|
    ///    0 1 2               16
    /// ```
    /// Expect release_all to walk every node (aa235fc712f); with B13 only
    /// node 0 is walked: its 1 + 13 free pages and its bitmap page, 15 in
    /// all, and node 1's 16 pages are lost. On a map without RAM on node 0
    /// (the commit's 32-bit NUMA case) nothing at all is handed over.
    #[test]
    fn release_all_walks_every_node_and_b13_only_node_0() {
        let b13 = BugSet::NONE.with(Bug::B13ReleaseNodeZeroOnly);
        let mut buggy = booted_with(b13, &TWO_NODES);
        assert_eq!(buggy.reserve(2 * P, 1, ReserveMode::Default), Ok(()));
        let (count, got) = release(&mut buggy);
        assert_eq!(count, Ok(15));
        assert_eq!(got, vec![r(0, P), r(3 * P, 16 * P), r(P, 2 * P)]);
        let no_node_0 = [(0, 16 * P, 1), (16 * P, 32 * P, 2)];
        assert_eq!(release(&mut booted(&no_node_0)).0, Ok(32));
        let (count, got) = release(&mut booted_with(b13, &no_node_0));
        assert_eq!((count, got), (Ok(0), vec![]));
    }

    // ---- reserve -------------------------------------------------------

    /// ```text
    ///   |.|B|r|r|.....|x|   reserve(0x2800, 0x1000); RAM ends at 0xf800
    /// ```
    /// Expect outward rounding, `Ok` for size 0 anywhere, and `Invalid` for
    /// overflow or a page touching a hole.
    #[test]
    fn reserve_rounds_outward_and_refuses_holes_and_overflow() {
        let mut bm = booted(&[(0, 0xf800, 0)]);
        let mode = ReserveMode::Default;
        assert_eq!(bm.reserve(u64::MAX, 0, ReserveMode::Exclusive), Ok(()));
        assert_eq!(bm.reserve_node(9, 5 * MIB, 0, mode), Ok(()));
        assert_eq!(bm.reserve(u64::MAX - 10, 20, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(u64::MAX - 10, 5, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(0xe800, 0x1000, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(0x2800, 0x1000, mode), Ok(()));
        assert_eq!(bm.free_map(), vec![r(0, P), r(4 * P, 15 * P)]);
    }

    /// ```text
    ///   |.|B|.|.|a|.|.|.|B|.|r|...|   node 0: pages 0..8, node 1: 8..16
    ///       [ exclusive ]            pages 2..5: page 4 taken
    ///               [ exclusive ]    pages 6..10: node 1's bitmap taken
    /// ```
    /// Expect Busy and no change at all: not in the bitmaps, and not in the
    /// hint (the kernel marks pages 2 and 3, meets page 4, frees them again
    /// and so lowers the hint to page 2; the next allocation would land
    /// there instead of at page 5).
    #[test]
    fn exclusive_reserve_that_meets_a_taken_page_changes_nothing() {
        let mut bm = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
        assert_eq!(bm.alloc(&req(P, 4 * P)), Ok(4 * P));
        assert_eq!(bm.reserve(10 * P, P, ReserveMode::Default), Ok(()));
        let before = bm.free_map();
        let excl = ReserveMode::Exclusive;
        assert_eq!(bm.reserve(2 * P, 3 * P, excl), Err(Error::Busy));
        assert_eq!(bm.reserve(6 * P, 4 * P, excl), Err(Error::Busy));
        assert_eq!(bm.reserve_node(1, 9 * P, 2 * P, excl), Err(Error::Busy));
        assert_eq!(bm.free_map(), before);
        assert_eq!(bm.alloc(&req(P, P)), Ok(5 * P));
        assert_eq!(bm.reserve(6 * P, 3 * P, ReserveMode::Default), Ok(()));
    }

    /// ```text
    ///   |.|B|.|.|B|.|.|.|.|.|.|.|x|B|.|x|.|.|
    ///    0 1     4       8       12  14  16
    ///   node 0: pages 0..4 and 8..12, node 1: 4..8, node 2: 13..15 and
    ///   16..18 (a hole at page 15)
    ///                 [   ]            pages 7..9 cross from node 1 to 0
    /// ```
    /// Expect reserve and free to span touching nodes, and the `_node`
    /// variants to require one RAM range of the node.
    #[test]
    fn reserve_and_free_span_touching_nodes_but_the_node_variants_do_not() {
        let mut bm = booted(&[
            (0, 4 * P, 0),
            (4 * P, 8 * P, 1),
            (8 * P, 12 * P, 0),
            (13 * P, 15 * P, 2),
            (16 * P, 18 * P, 2),
        ]);
        let mode = ReserveMode::Default;
        assert_eq!(bm.reserve_node(0, 7 * P, 2 * P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(1, 7 * P, 2 * P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(2, 14 * P, 3 * P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(7, 14 * P, P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(14 * P, 3 * P, mode), Err(Error::Invalid), "hole");
        assert_eq!(bm.reserve(7 * P, 2 * P, mode), Ok(()));
        let node_2 = [r(14 * P, 15 * P), r(16 * P, 18 * P)];
        let mut want = vec![r(0, P), r(2 * P, 4 * P), r(5 * P, 7 * P), r(9 * P, 12 * P)];
        assert_eq!(bm.free_map(), [want.clone(), node_2.to_vec()].concat());
        assert_eq!(bm.free_node(0, 7 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(bm.free_node(1, 7 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(bm.free(7 * P, 2 * P), Ok(()));
        assert_eq!(bm.reserve_node(2, 16 * P + 1, 1, mode), Ok(()));
        assert_eq!(bm.free_node(2, 16 * P, P), Ok(()));
        want.splice(2..4, [r(5 * P, 12 * P)]);
        assert_eq!(bm.free_map(), [want, node_2.to_vec()].concat());
    }

    /// ```text
    ///   |.|B|.|.|.|.|.|.|B|.|.|...   node 0: pages 0..8, node 1: 8..16
    ///               [ reserve ]      pages 6..10
    /// ```
    /// Expect node 1's page 9 reserved too, so node 1 hands out page 10;
    /// with B7 only node 0's part is marked and page 9 is handed out.
    #[test]
    fn a_reserve_marks_every_node_it_covers_and_b7_only_the_first() {
        let map = [(0, 8 * P, 0), (8 * P, 16 * P, 1)];
        let node_1 = on(1, NodePolicy::Exact, req(P, P));
        let mut bm = booted(&map);
        assert_eq!(bm.reserve(6 * P, 4 * P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.alloc(&node_1), Ok(10 * P));
        let mut buggy = booted_with(BugSet::NONE.with(Bug::B7ReserveOneNode), &map);
        assert_eq!(buggy.reserve(6 * P, 4 * P, ReserveMode::Default), Ok(()));
        assert_eq!(buggy.alloc(&node_1), Ok(9 * P));
    }

    // ---- free ----------------------------------------------------------

    /// ```text
    ///   |.|B|r|r|r|r|....|
    ///          [  ]        free(0x3400, 0xa00): no whole page
    ///       [         ]    free(0x1800, 0x3000): pages 2..4 whole
    /// ```
    /// Expect size 0 and sub-page frees to be Ok no-ops, overflow Invalid,
    /// and inward rounding.
    #[test]
    fn free_rounds_inward() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.reserve(2 * P, 4 * P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.free(u64::MAX, 0), Ok(()));
        assert_eq!(bm.free(u64::MAX - 10, 20), Err(Error::Invalid));
        assert_eq!(bm.free(0x3400, 0xa00), Ok(()));
        assert_eq!(
            bm.free_node(9, 0x3400, 0xa00),
            Ok(()),
            "empty after rounding"
        );
        assert_eq!(bm.free_map(), vec![r(0, P), r(6 * P, 16 * P)]);
        assert_eq!(bm.free(0x1800, 0x3000), Ok(()));
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(2 * P, 4 * P), r(6 * P, 16 * P)]
        );
    }

    /// ```text
    ///   |.|B|a|a|a|.........|
    ///       [                 ]   free of pages 2..11: pages 5.. are free
    /// ```
    /// Expect DoubleFree and no change at all: the bitmap keeps pages 2..5
    /// and the hint stays at page 5 (clearing the prefix, or lowering the
    /// hint, would send the next allocation to page 2).
    #[test]
    fn double_free_changes_nothing_not_even_the_hint() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        for at in [2, 3, 4] {
            assert_eq!(bm.alloc(&req(P, P)), Ok(at * P));
        }
        let before = bm.free_map();
        assert_eq!(bm.free(2 * P, 9 * P), Err(Error::DoubleFree));
        assert_eq!(bm.free_node(0, 2 * P, 9 * P), Err(Error::DoubleFree));
        assert_eq!(bm.free_map(), before);
        assert_eq!(bm.alloc(&req(P, P)), Ok(5 * P));
    }

    /// ```text
    ///   |.|B|.|.|xx|     RAM 0..0x4000, then a hole
    ///     [ ]            free of the bitmap's page
    ///         [      ]   free of page 3 (free) and page 4 (hole)
    /// ```
    /// Expect Invalid for both: the bitmap is not the caller's to free, and
    /// Invalid takes precedence over DoubleFree.
    #[test]
    fn free_of_a_bitmap_or_a_hole_is_invalid_before_double_free() {
        let mut bm = booted(&[(0, 4 * P, 0)]);
        assert_eq!(bm.free(P, P), Err(Error::Invalid));
        assert_eq!(bm.free(0, 3 * P), Err(Error::Invalid));
        assert_eq!(bm.free(3 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(bm.free(3 * P, P), Err(Error::DoubleFree));
        assert_eq!(bm.metadata(), vec![r(P, 2 * P)]);
    }

    // ---- alloc: the per-node allocator ---------------------------------

    #[test]
    fn alloc_refuses_size_zero_and_alignments_that_are_not_powers_of_two() {
        contract::alloc_refuses_size_zero_and_alignments_that_are_not_powers_of_two(booted);
    }

    /// ```text
    ///   |x|x|x|B|a|.|.|a|...   node 0 starts at page 3, align 4 pages
    ///          ^ index 0: aligning the index would give page 3 + 4 = 7
    /// ```
    /// Expect page 4 (481ebd0d76b: the PFN is aligned, not the index); with
    /// B2 the node-relative index is aligned and the result is page 7,
    /// misaligned.
    #[test]
    fn alignment_is_absolute_on_a_node_that_starts_off_boundary() {
        let map = [(3 * P, 64 * P, 0)];
        let mut bm = booted(&map);
        assert_eq!(bm.metadata(), vec![r(3 * P, 4 * P)]);
        assert_eq!(bm.alloc(&req(P, 4 * P)), Ok(4 * P));
        assert_eq!(bm.alloc(&req(P, 16 * P)), Ok(16 * P));
        let mut buggy = booted_with(BugSet::NONE.with(Bug::B2NodeRelativeAlign), &map);
        assert_eq!(buggy.alloc(&req(P, 4 * P)), Ok(7 * P));
    }

    /// ```text
    ///   |.|B|.|.|a|a|rrrrrrrrrr|
    ///    0 1 2 3 4 5 6 .... 16
    /// ```
    /// Expect next fit: after the aligned page 4 the next page-sized
    /// request goes to page 5 (the hint), not to the lower free page 2; once
    /// nothing is free past the hint, the second pass from the window start
    /// finds page 2.
    #[test]
    fn next_fit_hint_and_its_second_pass() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&req(P, 4 * P)), Ok(4 * P));
        assert_eq!(node_state(&bm, 0).0, 5);
        assert_eq!(bm.alloc(&req(P, P)), Ok(5 * P));
        assert_eq!(bm.reserve(6 * P, 10 * P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.alloc(&req(P, P)), Ok(2 * P));
        assert_eq!(bm.alloc(&req(P, P)), Ok(3 * P));
        assert_eq!(bm.alloc(&req(P, P)), Err(Error::NoMem));
    }

    /// ```text
    ///   |.|B|.|.|.|r|.|.|.|.|.|.|     one node, pages 0..12
    ///    0 1 2 3 4 5 6 7 8 9 10 11
    ///            [  4  ]              the block at page 4 fails at page 5
    /// ```
    /// Expect 4 pages aligned to 4 pages at page 8: after the failed block
    /// the search goes on at page 5 aligned up. With B10 the index is
    /// advanced by the step after aligning (page 12), skipping page 8, and
    /// the request fails although page 8 fits.
    #[test]
    fn a_failed_block_resumes_at_the_next_aligned_page_and_b10_skips_it() {
        let map = [(0, 12 * P, 0)];
        let b10 = BugSet::NONE.with(Bug::B10SkipAfterFailedBlock);
        for (bugs, want) in [(BugSet::NONE, Ok(8 * P)), (b10, Err(Error::NoMem))] {
            let mut bm = booted_with(bugs, &map);
            assert_eq!(bm.reserve(5 * P, P, ReserveMode::Default), Ok(()));
            assert_eq!(bm.alloc(&req(4 * P, 4 * P)), want);
        }
    }

    /// ```text
    ///   |.|B|rrrrrr|B|. node 1 .|     node 0: pages 0..8, node 1: 8..16
    ///    0 1 2    8 9
    /// ```
    /// Expect a page-sized request to skip the full node 0 and get page 9.
    /// With B8 the scan of node 0 runs past its last bit, reads a clear bit
    /// there and hits `BUG_ON(start >= eidx)`: a panic. A two-page request
    /// fails its block past the end (`j >= eidx`) and still moves on.
    #[test]
    fn a_full_node_is_skipped_and_b8_panics_on_it() {
        let map = [(0, 8 * P, 0), (8 * P, 16 * P, 1)];
        let full_node_0 = |bugs| {
            let mut bm = booted_with(bugs, &map);
            assert_eq!(
                bm.reserve_node(0, 2 * P, 6 * P, ReserveMode::Default),
                Ok(())
            );
            bm
        };
        assert_eq!(full_node_0(BugSet::NONE).alloc(&req(P, P)), Ok(9 * P));
        let b8 = BugSet::NONE.with(Bug::B8FullNodePanics);
        assert_eq!(full_node_0(b8).alloc(&req(2 * P, P)), Ok(9 * P));
        let mut buggy = full_node_0(b8);
        let panicked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| buggy.alloc(&req(P, P))));
        let message = panicked
            .err()
            .and_then(|p| p.downcast::<String>().ok())
            .map(|m| *m);
        assert!(
            message.is_some_and(|m| m.contains("BUG_ON(start >= eidx)")),
            "B8 must panic"
        );
    }

    /// ```text
    ///   |.|B|a|.|a|.....|     page 3 freed after pages 2, 3, 4
    /// ```
    /// Expect a free to lower the hint: the next allocation reuses page 3.
    #[test]
    fn a_free_lowers_the_hint() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        for at in [2, 3, 4] {
            assert_eq!(bm.alloc(&req(P, P)), Ok(at * P));
        }
        assert_eq!(bm.free(3 * P, P), Ok(()));
        assert_eq!(node_state(&bm, 0).0, 3);
        assert_eq!(bm.alloc(&req(P, P)), Ok(3 * P));
    }

    /// ```text
    ///   0x2000          0x2840  0x2940   0x3000          0x3940
    ///   | a: 0x840      | b     |  c ...  |... c continues |
    ///   page 2                            page 3
    /// ```
    /// Expect packing: b starts where a ended (a 64-byte boundary) and
    /// takes no new page; c starts where b ended and takes page 3. Live
    /// allocations share page 2 but never overlap; a larger alignment is
    /// honoured inside the tail.
    #[test]
    fn small_allocations_pack_into_the_previous_page_without_overlapping() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&req(0x840, 64)), Ok(0x2000));
        assert_eq!(bm.alloc(&req(0x100, 64)), Ok(0x2840));
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(3 * P, 16 * P)],
            "b took no page"
        );
        assert_eq!(bm.alloc(&req(0x1000, 64)), Ok(0x2940));
        assert_eq!(bm.free_map(), vec![r(0, P), r(4 * P, 16 * P)]);
        assert_eq!(node_state(&bm, 0), (4, 0x3940));
        assert_eq!(
            bm.alloc(&req(100, 0x400)),
            Ok(0x3c00),
            "absolute alignment in the tail"
        );
    }

    /// ```text
    ///   |.|B|a..|r|.....|    a ends inside page 2; page 3 is reserved
    /// ```
    /// Expect no packing even for 64 bytes that would fit in page 2's tail:
    /// the block found is page 4, not the page right after a's.
    #[test]
    fn packing_needs_the_next_page_free() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&req(0x840, 64)), Ok(0x2000));
        assert_eq!(bm.reserve(3 * P, P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.alloc(&req(0x40, 64)), Ok(4 * P));
    }

    /// ```text
    ///   |.|B|a..|.|....|
    ///            ^ goal 0x3000: the block found is page 3
    /// ```
    /// Expect the packed result 0x2840, below the goal (reference 1.4 (b)).
    #[test]
    fn packing_may_start_below_the_goal() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&req(0x840, 64)), Ok(0x2000));
        assert_eq!(bm.alloc(&above(3 * P, req(0x100, 64))), Ok(0x2840));
    }

    /// ```text
    ///   alloc(PAGE) = page 2, alloc(64) = page 3, free(page 2),
    ///   alloc(PAGE) = page 2 again (ends page aligned at 0x3000), alloc(64)
    /// ```
    /// Expect the last alloc on page 4: the end offset 0x3000 is page
    /// aligned, so nothing merges (627240aaa92). With B1 (`last_end_off !=
    /// 0`) it merges into page 3 and returns 0x3000 a second time.
    #[test]
    fn the_merge_condition_is_the_tightened_one_and_b1_loosens_it() {
        for (bugs, last) in [
            (BugSet::NONE, 4 * P),
            (BugSet::NONE.with(Bug::B1LooseMerge), 3 * P),
        ] {
            let mut bm = booted_with(bugs, &[(0, 16 * P, 0)]);
            assert_eq!(bm.alloc(&req(P, P)), Ok(2 * P));
            assert_eq!(bm.alloc(&req(64, 64)), Ok(3 * P));
            assert_eq!(bm.free(2 * P, P), Ok(()));
            assert_eq!(bm.alloc(&req(P, P)), Ok(2 * P));
            assert_eq!(bm.alloc(&req(64, 64)), Ok(last));
        }
    }

    /// ```text
    ///   |.|B|a..|.|....|   a = [0x2000, 0x2840); then page 2 is freed
    ///   |.|B|...|.|....|   (and, in the second case, reserved again)
    /// ```
    /// Expect the next small allocation whose block is page 3 to start at
    /// 0x3000, not at 0x2840: the free reset `last_end_off` to the page
    /// boundary (deviation 6). The kernel would pack into page 2, which is
    /// free (first case) or reserved by someone else (second case).
    #[test]
    fn freeing_the_tail_page_stops_packing_into_it() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&req(0x840, 64)), Ok(0x2000));
        assert_eq!(bm.free(2 * P, P), Ok(()));
        assert_eq!(node_state(&bm, 0), (2, 0x3000));
        assert_eq!(bm.alloc(&above(3 * P, req(0x100, 64))), Ok(0x3000));

        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&req(0x840, 64)), Ok(0x2000));
        assert_eq!(bm.free(2 * P, P), Ok(()));
        assert_eq!(bm.reserve(2 * P, P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.alloc(&req(0x100, 64)), Ok(0x3000));
    }

    /// ```text
    ///   |.|B|a..|.|.|.|r|....|   a = [0x2000, 0x2840); page 6 reserved,
    ///                  ^ then freed: it lies above a's tail page
    /// ```
    /// Expect packing to survive a free that does not touch the tail page:
    /// the next small allocation still starts at 0x2840.
    #[test]
    fn a_free_above_the_tail_page_keeps_it_packable() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.reserve(6 * P, P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.alloc(&req(0x840, 64)), Ok(0x2000));
        assert_eq!(bm.free(6 * P, P), Ok(()));
        assert_eq!(bm.alloc(&req(0x100, 64)), Ok(0x2840));
    }

    /// ```text
    ///   |.|B|r|a|a|....|
    ///               ^ limit 0x4000 + 100: the end may not pass it
    /// ```
    /// Expect the limit to bound the end of the allocation, not its last
    /// page (SPEC; the kernel cuts the window at PFN_DOWN(limit) and would
    /// fail): `P + 100` bytes fit at page 3 exactly, and then nowhere.
    #[test]
    fn the_limit_bounds_the_end_of_the_allocation() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.reserve(2 * P, P, ReserveMode::Default), Ok(()));
        let mut limited = req(P + 100, P);
        limited.limit = 4 * P + 100;
        assert_eq!(bm.alloc(&limited), Ok(3 * P), "ends exactly at the limit");
        assert_eq!(bm.alloc(&limited), Err(Error::NoMem));
        let mut too_low = req(P, P);
        too_low.limit = P - 1;
        assert_eq!(bm.alloc(&too_low), Err(Error::NoMem), "limit below size");
        let packed = req(P + 100, 64);
        assert_eq!(
            bm.alloc(&packed),
            Ok(0x4080),
            "packed after the end at 0x4064"
        );
    }

    // ---- alloc: the node walk and the stages ---------------------------

    /// ```text
    ///   |.|B|.. node 1 ..|B|.. node 0 ..|
    ///    0 1              16
    /// ```
    /// Expect a request with no node on node 1, whose RAM starts first:
    /// descriptors are walked by start PFN, not by node id.
    #[test]
    fn nodes_are_walked_in_ascending_start_order() {
        let mut bm = booted(&[(16 * P, 32 * P, 0), (0, 16 * P, 1)]);
        assert_eq!(bm.alloc(&req(P, P)), Ok(2 * P));
        assert_eq!(bm.alloc(&on(0, NodePolicy::Prefer, req(P, P))), Ok(17 * P));
    }

    /// ```text
    ///   |.|B|rrrrrr|B|. n1 .|. n0 .|. n1 .|
    ///    0 1 2    8 9       16     24
    /// ```
    /// Expect page 16: node 0 (start 0) is walked before node 1 (start 8)
    /// and still has room, although node 1's page 9 is lower.
    #[test]
    fn interleaved_nodes_are_walked_by_start_not_by_address() {
        let mut bm = booted(&INTERLEAVED);
        assert_eq!(bm.reserve(2 * P, 6 * P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.alloc(&req(P, P)), Ok(16 * P));
    }

    /// ```text
    ///   |.|B|.. node 0 ..|B|.. node 1 ..|
    ///                        ^ goal page 20
    /// ```
    /// Expect the goal honoured in every node: page 20 (0f3caba211b skips
    /// nodes below the goal). With B4 node 0 is searched from its start and
    /// the result is page 2.
    #[test]
    fn the_goal_is_honoured_in_every_node_and_b4_only_in_its_own() {
        let goal = above(20 * P, req(P, P));
        let mut bm = booted(&TWO_NODES);
        assert_eq!(bm.alloc(&goal), Ok(20 * P));
        let mut buggy = booted_with(BugSet::NONE.with(Bug::B4GoalFirstNodeOnly), &TWO_NODES);
        assert_eq!(buggy.alloc(&goal), Ok(2 * P));
    }

    /// ```text
    ///   |.|B|........|.|a|....|
    ///                 ^ goal 0xa001, inside page 10
    /// ```
    /// Expect page 11: the search starts at `PFN_UP(goal)`, so an unpacked
    /// start is never below the goal (the kernel's `PFN_DOWN` gives page 10).
    #[test]
    fn the_goal_is_a_byte_bound() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&above(10 * P + 1, req(P, P))), Ok(11 * P));
    }

    /// ```text
    ///   |.|B|....|aaaaaaaaa|     goal page 12: pages 12..16 hold 4 pages
    /// ```
    /// Expect a goal pass that finds nothing to be repeated with goal 0:
    /// the result is below the goal, from the window start.
    #[test]
    fn a_failed_goal_pass_is_retried_with_goal_zero() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&above(12 * P, req(4 * P, P))), Ok(12 * P));
        assert_eq!(bm.alloc(&above(12 * P, req(P, P))), Ok(2 * P));
        assert_eq!(bm.alloc(&above(u64::MAX, req(P, P))), Ok(3 * P));
    }

    /// ```text
    ///   |.|B|.. node 0: pages 0..16 ..|B|.. node 1: pages 16..32 ..|
    /// ```
    /// Expect the stages 1-4 of the node variant, each on a fresh instance:
    /// node 0 with goal page 20 (in node 1) finds nothing on node 0 above
    /// the goal, so the walk with the goal wins (page 20) before node 0
    /// without it; Exact skips that walk (page 2); node 1 with goal page 4
    /// stays on node 1 (page 17); node 1 with a goal past all RAM falls
    /// back to node 1 without the goal (page 17) before any node.
    #[test]
    fn node_requests_follow_stages_one_to_four() {
        let cases = [
            (
                on(0, NodePolicy::Prefer, above(20 * P, req(P, P))),
                Ok(20 * P),
            ),
            (
                on(0, NodePolicy::Exact, above(20 * P, req(P, P))),
                Ok(2 * P),
            ),
            (
                on(1, NodePolicy::Prefer, above(4 * P, req(P, P))),
                Ok(17 * P),
            ),
            (
                on(1, NodePolicy::Prefer, above(99 * P, req(P, P))),
                Ok(17 * P),
            ),
            (
                on(7, NodePolicy::Prefer, above(99 * P, req(P, P))),
                Ok(2 * P),
            ),
            (on(7, NodePolicy::Exact, req(P, P)), Err(Error::NoMem)),
        ];
        for (i, (request, want)) in cases.into_iter().enumerate() {
            let mut bm = booted(&TWO_NODES);
            assert_eq!(bm.alloc(&request), want, "case {i}");
        }
    }

    /// ```text
    ///   |.|B|rrrrrr|.. node 1 ..|
    /// ```
    /// Expect Exact on a full node to fail as asked (NoMem or Panic) and
    /// change nothing, Prefer to fall back, and Exact without a node to act
    /// as Prefer.
    #[test]
    fn exact_stays_on_its_node_and_a_failure_changes_nothing() {
        let mut bm = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
        assert_eq!(
            bm.reserve_node(0, 2 * P, 6 * P, ReserveMode::Default),
            Ok(())
        );
        let before = (bm.free_map(), node_state(&bm, 0), node_state(&bm, 1));
        let mut exact = on(0, NodePolicy::Exact, req(P, P));
        assert_eq!(bm.alloc(&exact), Err(Error::NoMem));
        exact.on_fail = OnFail::Panic;
        assert_eq!(bm.alloc(&exact), Err(Error::Panic));
        assert_eq!(
            (bm.free_map(), node_state(&bm, 0), node_state(&bm, 1)),
            before
        );
        assert_eq!(bm.alloc(&on(0, NodePolicy::Prefer, req(P, P))), Ok(9 * P));
        let mut no_node = req(P, P);
        no_node.policy = NodePolicy::Exact;
        assert_eq!(bm.alloc(&no_node), Ok(10 * P));
    }

    /// ```text
    ///   |.|B|rrrrrr|B|. node 1 .|     node 0: pages 0..8, node 1: 8..16
    ///    0 1 2    8 9
    /// ```
    /// Expect Prefer on the full node 0 to fall back to node 1 (page 9;
    /// 4cc278b721d), and the next request with no node to get page 10.
    /// With B5 the node variant stays on node 0 and fails, while the
    /// request with no node still gets page 9.
    #[test]
    fn prefer_falls_back_to_other_nodes_and_b5_does_not() {
        let map = [(0, 8 * P, 0), (8 * P, 16 * P, 1)];
        let prefer = on(0, NodePolicy::Prefer, req(P, P));
        let b5 = BugSet::NONE.with(Bug::B5NodeNoFallback);
        let cases = [
            (BugSet::NONE, Ok(9 * P), Ok(10 * P)),
            (b5, Err(Error::NoMem), Ok(9 * P)),
        ];
        for (bugs, want, then_any_node) in cases {
            let mut bm = booted_with(bugs, &map);
            assert_eq!(
                bm.reserve_node(0, 2 * P, 6 * P, ReserveMode::Default),
                Ok(())
            );
            assert_eq!(bm.alloc(&prefer), want);
            assert_eq!(bm.alloc(&req(P, P)), then_any_node);
        }
    }

    /// ```text
    ///   |.|B|rrrrrr|B|. node 1 .|     node 0: pages 0..8, node 1: 8..16
    ///    0 1 2    8 9
    /// ```
    /// Expect Exact on the full node 0 to fail. With B14 it falls back to
    /// node 1 and returns page 9, on the wrong node.
    #[test]
    fn exact_never_leaves_its_node_and_b14_does() {
        let map = [(0, 8 * P, 0), (8 * P, 16 * P, 1)];
        let exact = on(0, NodePolicy::Exact, req(P, P));
        let b14 = BugSet::NONE.with(Bug::B14ExactNodeIgnored);
        for (bugs, want) in [(BugSet::NONE, Err(Error::NoMem)), (b14, Ok(9 * P))] {
            let mut bm = booted_with(bugs, &map);
            assert_eq!(
                bm.reserve_node(0, 2 * P, 6 * P, ReserveMode::Default),
                Ok(())
            );
            assert_eq!(bm.alloc(&exact), want);
        }
    }

    /// ```text
    ///   |.|B|.|.|B|.|.|.|      node 0: pages 0..4, node 1: pages 4..8
    ///   |.|B|.|.|x|.|.|        a hole at page 4 instead
    /// ```
    /// Expect no allocation across the node boundary or the hole: 3 pages
    /// fit only in node 1 (pages 5..8), 4 pages nowhere; across the hole
    /// 3 pages fit nowhere.
    #[test]
    fn alloc_never_spans_two_nodes_or_a_hole() {
        let mut bm = booted(&[(0, 4 * P, 0), (4 * P, 8 * P, 1)]);
        assert_eq!(bm.alloc(&req(4 * P, P)), Err(Error::NoMem));
        assert_eq!(bm.alloc(&req(3 * P, P)), Ok(5 * P));
        let mut bm = booted(&[(0, 4 * P, 0), (5 * P, 7 * P, 0)]);
        assert_eq!(bm.alloc(&req(3 * P, P)), Err(Error::NoMem));
        assert_eq!(bm.alloc(&req(2 * P, P)), Ok(2 * P));
    }

    // ---- robustness ----------------------------------------------------

    /// Expect huge sizes, alignments and goals near 2^64 to fail or fall
    /// back cleanly, never to wrap or panic.
    #[test]
    fn alloc_near_two_to_the_64_never_wraps() {
        let top = u64::MAX - 64 * P;
        let mut bm = booted(&[(top, u64::MAX, 0)]);
        let meta_end = bm.metadata()[0].end();
        assert_eq!(bm.alloc(&req(u64::MAX, 1)), Err(Error::NoMem));
        assert_eq!(bm.alloc(&req(u64::MAX - meta_end, 1)), Err(Error::NoMem));
        assert_eq!(bm.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
        let mut high_goal = req(P, P);
        high_goal.goal = u64::MAX;
        high_goal.limit = u64::MAX;
        assert_eq!(bm.alloc(&high_goal), Ok(meta_end));
        assert_eq!(bm.alloc(&req(100, 64)), Ok(meta_end + P), "page-sized end");
        assert_eq!(bm.alloc(&req(u64::MAX - 200, 64)), Err(Error::NoMem));
        assert_eq!(
            bm.reserve(u64::MAX - 1, 1, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(bm.free(u64::MAX - 3 * P, 3 * P + 1), Err(Error::Invalid));
        assert_eq!(bm.free(u64::MAX - 3 * P, 3 * P), Err(Error::DoubleFree));
        let (count, _) = release(&mut bm);
        assert_eq!(count, Ok(63 - 2));
    }

    #[test]
    fn alloc_with_the_largest_alignment() {
        contract::alloc_with_the_largest_alignment(booted);
    }

    /// Expect a 4 GiB span of eight interleaved nodes (every bitmap spans
    /// most of it) to stay fast: thousands of allocations, each a
    /// word-at-a-time search.
    #[test]
    fn many_allocations_over_a_four_gib_span_of_interleaved_nodes() {
        let gib = 1u64 << 30;
        let map: Vec<(u64, u64, Nid)> = (0..16u64)
            .map(|i| (i * gib / 4, i * gib / 4 + 16 * MIB, (i % 8) as Nid))
            .collect();
        let mut bm = booted(&map);
        let mut count = 0u64;
        for i in 0..20_000u64 {
            let mut request = req(P + (i % 7) * 1000, 64 << (i % 9));
            request.nid = (i % 3 != 0).then_some((i % 8) as Nid);
            request.goal = (i % 11) * gib / 3;
            if let Ok(a) = bm.alloc(&request) {
                count += 1;
                if i % 5 == 0 {
                    assert_eq!(bm.free(a, request.size), Ok(()), "{i}");
                }
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
        Reserved,
        Allocated,
        Bitmap,
    }

    /// The contract restated one page at a time over the first `N` pages:
    /// exact outcomes for reserve and free, and for alloc the validity rules
    /// of SPEC section 4 (the profile is historical), with packing allowed
    /// only into the tail of a page after every live allocation in it.
    struct Model {
        pages: Vec<Pg>,
        nid: Vec<Option<Nid>>,
        ranges: Vec<(Nid, u64, u64)>,
        live: Vec<(u64, u64)>,
    }

    impl Model {
        fn new(map: &[(Range, Nid)], meta: &[Range]) -> Model {
            let mut ranges = Vec::new();
            let mut pages = vec![Pg::Hole; N as usize];
            let mut nid = vec![None; N as usize];
            for (range, n) in model::normalized(map) {
                let (lo, hi) = (range.start().div_ceil(P), range.end() / P);
                if lo < hi {
                    ranges.push((n, lo, hi));
                }
                for p in lo..hi {
                    pages[p as usize] = Pg::Free;
                    nid[p as usize] = Some(n);
                }
            }
            for m in meta {
                for p in m.start() / P..m.end() / P {
                    pages[p as usize] = Pg::Bitmap;
                }
            }
            Model {
                pages,
                nid,
                ranges,
                live: Vec::new(),
            }
        }

        fn page(&self, p: u64) -> Pg {
            self.pages.get(p as usize).copied().unwrap_or(Pg::Hole)
        }

        fn in_node(&self, nid: Option<Nid>, lo: u64, hi: u64) -> bool {
            nid.is_none_or(|n| {
                self.ranges
                    .iter()
                    .any(|&(m, a, b)| m == n && a <= lo && hi <= b)
            })
        }

        /// The pages `[lo, hi)` are all free and of one node (`want`, if
        /// given).
        fn free_on_one_node(&self, lo: u64, hi: u64, want: Option<Nid>) -> bool {
            let first = self.nid.get(lo as usize).copied().flatten();
            first.is_some()
                && want.is_none_or(|n| first == Some(n))
                && (lo..hi).all(|p| {
                    self.page(p) == Pg::Free && self.nid.get(p as usize).copied().flatten() == first
                })
        }

        fn feasible(&self, q: &AllocRequest, a: u64, node: Option<Nid>, goal: bool) -> bool {
            let align = q.align.max(P);
            let Some(end) = a.checked_add(q.size) else {
                return false;
            };
            a % align == 0
                && (q.limit == 0 || end <= q.limit)
                && (!goal || a >= q.goal)
                && self.free_on_one_node(a / P, end.div_ceil(P), node)
        }

        /// The first stage with a feasible placement: (node or any, goal
        /// applies).
        fn first_stage(&self, q: &AllocRequest) -> Option<(Option<Nid>, bool)> {
            model::stages(q)
                .into_iter()
                .map(|(on_node, goal)| (if on_node { q.nid } else { None }, goal))
                .find(|&(node, goal)| (1..N).any(|p| self.feasible(q, p * P, node, goal)))
        }

        /// Checks the backend's answer to `q` and applies it.
        fn alloc(&mut self, q: &AllocRequest, got: Outcome<u64>, ctx: &str) {
            if q.validate().is_err() {
                assert_eq!(got, Err(Error::Invalid), "{ctx}");
                return;
            }
            let stage = self.first_stage(q);
            let Ok(a) = got else {
                assert_eq!(stage, None, "{ctx}: failed while feasible");
                assert_eq!(got, Err(q.failure()), "{ctx}");
                return;
            };
            let Some((node, goal)) = stage else {
                panic!("{ctx}: {a:#x} while nothing was feasible");
            };
            let end = a.checked_add(q.size).expect("no overflow");
            assert!(a >= P && a % q.align == 0, "{ctx}: {a:#x}");
            assert!(
                q.limit == 0 || end <= q.limit,
                "{ctx}: {a:#x} past the limit"
            );
            let block = a.div_ceil(P);
            let last = end.div_ceil(P);
            let block_ok = block == last || self.free_on_one_node(block, last, node);
            assert!(block_ok, "{ctx}: {a:#x} takes pages not free on the node");
            assert!(!goal || block * P >= q.goal, "{ctx}: {a:#x} below the goal");
            if a % P != 0 {
                let page = a / P;
                assert_eq!(
                    self.page(page),
                    Pg::Allocated,
                    "{ctx}: packed outside slack"
                );
                assert!(
                    node.is_none_or(|n| self.nid[page as usize] == Some(n)),
                    "{ctx}: packed on another node"
                );
                assert!(
                    block == last || self.nid[page as usize] == self.nid[block as usize],
                    "{ctx}: packed across nodes"
                );
                let slack = self
                    .live
                    .iter()
                    .filter(|&&(s, e)| s < (page + 1) * P && e > page * P)
                    .all(|&(_, e)| e <= a);
                assert!(slack, "{ctx}: packed {a:#x} over a live allocation");
            }
            for p in block..last {
                self.pages[p as usize] = Pg::Allocated;
            }
            self.live.push((a, end));
        }

        fn free_map(&self) -> Vec<Range> {
            model::free_runs(|p| self.page(p) == Pg::Free)
        }

        fn count(&self, state: Pg) -> u64 {
            self.pages.iter().filter(|&&s| s == state).count() as u64
        }
    }

    impl PageModel for Model {
        fn reserve(&mut self, nid: Option<Nid>, base: u64, size: u64, excl: bool) -> Outcome<()> {
            let Some((lo, hi)) = model::touched(base, size)? else {
                return Ok(());
            };
            if (lo..hi).any(|p| self.page(p) == Pg::Hole) || !self.in_node(nid, lo, hi) {
                return Err(Error::Invalid);
            }
            if excl && (lo..hi).any(|p| self.page(p) != Pg::Free) {
                return Err(Error::Busy);
            }
            for p in lo..hi {
                if self.page(p) == Pg::Free {
                    self.pages[p as usize] = Pg::Reserved;
                }
            }
            Ok(())
        }

        fn free(&mut self, nid: Option<Nid>, base: u64, size: u64) -> Outcome<()> {
            let Some((lo, hi)) = model::whole(base, size)? else {
                return Ok(());
            };
            if (lo..hi).any(|p| matches!(self.page(p), Pg::Hole | Pg::Bitmap))
                || !self.in_node(nid, lo, hi)
            {
                return Err(Error::Invalid);
            }
            if (lo..hi).any(|p| self.page(p) == Pg::Free) {
                return Err(Error::DoubleFree);
            }
            for p in lo..hi {
                self.pages[p as usize] = Pg::Free;
            }
            let (cut_lo, cut_hi) = (lo * P, hi * P);
            self.live = self
                .live
                .iter()
                .flat_map(|&(a, b)| [(a, b.min(cut_lo)), (a.max(cut_hi), b)])
                .filter(|(a, b)| a < b)
                .collect();
            Ok(())
        }
    }

    /// Random small maps: up to six ranges of up to ten pages, often
    /// interleaving nodes.
    const SHAPE: MapShape = MapShape {
        ranges: 6,
        pages: 10,
        one_page_at_zero: false,
    };

    /// A random request, mostly small and often packable: any alignment
    /// (invalid ones included), goals and limits often off page boundaries.
    fn random_request(rng: &mut Rng) -> AllocRequest {
        let mut q = req(
            rng.size(6),
            [0, 1, 3, 64, 256, P, 2 * P, 4 * P, 1 << 63][rng.below(9) as usize],
        );
        if rng.below(3) != 0 {
            q.size = 1 + rng.below(3 * P / 2);
        }
        q.goal = [0, 0, rng.addr(), rng.below(N) * P + rng.below(2) * 0x800][rng.below(4) as usize];
        q.limit =
            [0, 0, rng.addr(), rng.below(N) * P + rng.below(3) * 0x700][rng.below(4) as usize];
        rng.node_and_failure(q)
    }

    /// Expect every reserve and free outcome and every free map to match
    /// the page-at-a-time model, every allocation to be valid for its first
    /// feasible stage (packed ones only in slack), and release_all to count
    /// free and bitmap pages, over thousands of random small scenarios,
    /// with and without frees of live allocations.
    #[test]
    fn random_scenarios_match_a_page_at_a_time_model() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut played = 0;
        for scenario in 0..4000 {
            let map = rng.map(SHAPE);
            let Some(mut bm) = try_boot(ClassicBootmem::new(), &map) else {
                continue;
            };
            played += 1;
            let mut model = Model::new(&map, &bm.metadata());
            assert_eq!(bm.free_map(), model.free_map(), "scenario {scenario} setup");
            let mut allocs: Vec<(u64, u64)> = Vec::new();
            for op in 0..60 {
                let ctx = format!("scenario {scenario} op {op} map {map:?}");
                let target = rng.target(6);
                match rng.below(5) {
                    0 => {
                        let (got, want) = target.reserve(&mut rng, &mut bm, &mut model);
                        assert_eq!(got, want, "{ctx}");
                    }
                    1 => {
                        let (got, want) = target.free(&mut bm, &mut model);
                        assert_eq!(got, want, "{ctx}");
                    }
                    2 if !allocs.is_empty() => {
                        let k = rng.below(allocs.len() as u64) as usize;
                        let (a, len) = allocs.swap_remove(k);
                        let (base, size) = match rng.below(3) {
                            0 => (a, len),
                            1 => (a.saturating_sub(P / 2), len + P),
                            _ => (a + len / 2, len - len / 2),
                        };
                        assert_eq!(bm.free(base, size), model.free(None, base, size), "{ctx}");
                    }
                    _ => {
                        let q = random_request(&mut rng);
                        let got = bm.alloc(&q);
                        model.alloc(&q, got, &format!("{ctx} {q:?}"));
                        if let Ok(a) = got {
                            allocs.push((a, q.size));
                        }
                    }
                }
                assert_eq!(bm.free_map(), model.free_map(), "{ctx}");
            }
            let want = model.count(Pg::Free) + model.count(Pg::Bitmap);
            assert_eq!(release(&mut bm).0, Ok(want), "scenario {scenario}");
        }
        assert!(played > 2000, "{played}");
    }
}
