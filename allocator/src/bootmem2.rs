//! bootmem2: blocks, each with its own bitmap; nodes own blocks.
//!
//! Johannes Weiner's design mail, "[RFC no patch yet] bootmem2: Another
//! try", LKML, 2008-05-07 (reference section 2.2, S17), written four days
//! after rootmem ([`crate::rootmem`]). The allocator is **block-oriented**:
//! a block is a contiguous range of physical memory and **each block has its
//! own bitmap**. A **node model sits on top**: a node provides one or more
//! blocks, and with several blocks per node the arch code registers each
//! block separately. The mail states the call semantics this backend keeps:
//!
//! - `free_bootmem` / `reserve_bootmem`: the range must be contiguous but
//!   may cross block and node boundaries (the mail's example: node 0 owns
//!   `[0,2G)` and `[4G,6G)`, node 1 owns `[2G,4G)` and `[6G,8G)`, and
//!   `free_bootmem(1.5G, 3G)` is valid);
//! - `free_bootmem_node` / `reserve_bootmem_node`: strict, the range must lie
//!   completely within **one block** of the node (two blocks of one node are
//!   never contiguous);
//! - `alloc_bootmem_node`: `[goal, limit)` on the node, then any free range
//!   **on that node**; `alloc_bootmem`: `[goal, limit)`, then any free range
//!   in the system.
//!
//! No patch was ever posted, so everything the mail leaves open follows the
//! SPEC contract (sections 3 to 5) and classic bootmem's bitmap conventions
//! (reference section 1.1):
//!
//! - every normalized RAM range (adjacent ranges of one node merged) is one
//!   block, owned by its node; its usable RAM is the whole pages inside it,
//!   and the partial pages at its edges are holes. A block with no whole page
//!   has no bitmap and no pages;
//! - one bit per whole page of the block, set = taken, clear = free
//!   ([`crate::page_map`]); a bitmap is `ceil(pages / 8)` bytes rounded
//!   up to `sizeof(long)`, in whole pages. Holes between blocks cost no bits
//!   at all (unlike rootmem's one bitmap over the whole span);
//! - each bitmap lives in managed memory (SPEC section 5): block by block in
//!   address order, each block's bitmap takes the lowest free pages at or
//!   above `PAGE_SIZE` that hold it inside one block, of **any** block, its
//!   own or not. Early boot code allocates the bitmaps of later nodes from
//!   early memory the same way: all bitmaps usually end up together at the
//!   bottom of the first block, and a bitmap goes higher (into its own block
//!   or a later one) only when no lower block has room left for it. Its
//!   pages are set in the bitmap of the block holding them, reported by
//!   [`BootMem::metadata`], and handed over at `release_all`;
//! - an allocation is a lowest-first, word-at-a-time first fit inside one
//!   block (a placement never crosses blocks, hence never nodes), block by
//!   block in address order, stage by stage (SPEC section 4).
//!
//! A consequence of the placement rule: a block whose bitmap went elsewhere
//! starts with free pages, so free runs do cross the edges of touching
//! blocks, and the mail's "may cross blocks and nodes" is observable: a
//! `free` across a block edge succeeds when every page it covers is taken,
//! as the mail's own `free_bootmem(1.5G, 3G)` does on its interleaved map
//! once the range is reserved, and an exclusive `reserve` across a block
//! edge succeeds when every page it covers is free. An exclusive `reserve` that conflicts in a later block clears
//! what it marked in the earlier ones (the rollback that K1 skips). An
//! allocation still never uses such a run across an edge, even when both
//! sides belong to different nodes and are free.
//!
//! # Where the mail and the contract differ
//!
//! The contract is the law at the API boundary; these are the places where
//! it asks for something the mail's bootmem2 would not do:
//!
//! - **Node fallback.** Native `alloc_bootmem_node` never leaves its node.
//!   The contract's policy `Prefer` with a node falls back to other nodes
//!   (SPEC stages 1, 2, 3, 4: on the node from the goal, any node from the
//!   goal, on the node from anywhere, anywhere), so only policy `Exact` is
//!   the native node behaviour (stages 1 and 3). A request with no node is
//!   native `alloc_bootmem` (stages 2 and 4); `Exact` without a node has no
//!   node to be exact about and acts as `Prefer`, as in rootmem.
//! - **Stage order under `Prefer`.** Even where the mail would fall back,
//!   it would do so node first (goal, then anywhere on the node); the
//!   contract puts "any node from the goal" before "the node from anywhere".
//! - **The limit.** The mail's fallback is "any free range"; the contract
//!   keeps the limit in every stage, and bounds the allocation's **end**
//!   (`a + size <= limit`) rather than its last page, so the last page may
//!   reach past the limit.
//! - **Errors.** The mail states no failure behaviour; classic bootmem
//!   BUG()s on a double free, on a range outside every node, and on a
//!   `_node` range outside its node. The contract returns `DoubleFree` and
//!   `Invalid` instead and changes nothing.
//! - **Blocks.** In the mail the arch code registers every block itself;
//!   here `add_memory` ranges are normalized first (SPEC section 2), so two
//!   touching ranges of one node are one block with one bitmap.

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

/// The bootmem2 backend: the registered RAM ranges and, once set up, the
/// blocks with their bitmaps.
#[derive(Debug, Default)]
pub struct Bootmem2 {
    /// Registered RAM, sorted and normalized. Each range with a whole page
    /// becomes one block at `setup`.
    ram: RamList,
    /// Where the allocator is in its life.
    state: Lifecycle<Ready>,
    /// Planted historical bugs ([`crate::bugs`]); empty by default.
    bugs: BugSet,
}

/// One block: a normalized RAM range with at least one whole page, its node
/// and its own bitmap.
#[derive(Debug)]
struct Block {
    /// The node owning the block.
    nid: Nid,
    /// One bit per whole page of the block, set = taken; its window is the
    /// block's whole pages.
    map: PageMap,
    /// Where this block's own bitmap lives (in this block or another).
    bitmap_at: Pages,
}

impl Block {
    /// The block's whole pages.
    fn pages(&self) -> Pages {
        self.map.window()
    }

    /// The `fit.pages` free pages of this block inside `[lo, hi)` with the
    /// lowest start that is a multiple of `fit.step`: a first fit that skips
    /// taken pages a word at a time and steps by alignment (absolute PFNs,
    /// not block-relative indexes: the lesson of 481ebd0d76b).
    fn first_fit(&self, lo: Pfn, hi: Pfn, fit: Fit) -> Option<Pages> {
        self.map
            .first_fit(lo, hi, fit.pages, |pfn| align_up(pfn, fit.step))
    }
}

/// The set-up allocator: the blocks, each with its bitmap.
#[derive(Debug)]
struct Ready {
    /// The blocks with at least one whole page, in address order. Blocks of
    /// different nodes may touch; blocks of one node never do.
    blocks: Vec<Block>,
    /// Every bitmap's pages, sorted, merged where adjacent.
    meta: Vec<Pages>,
    /// Planted historical bugs, copied from the instance.
    bugs: BugSet,
}

/// The node rule of one placement stage (SPEC section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nodes {
    /// Only inside one block of this node.
    On(Nid),
    /// Inside one block of any node. bootmem2 never crosses blocks, so a
    /// request with no node is no different (profile: `crosses_nodes`
    /// false).
    Any,
}

/// One placement stage: a node rule and the lowest start PFN allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stage {
    nodes: Nodes,
    from: Pfn,
}

/// The stages of SPEC section 4 that apply to `req`
/// ([`search::Stage::plan`]), in order, mapped onto the mail's two calls:
///
/// | request | stages | native call |
/// |---|---|---|
/// | node `n`, `Exact` | 1 (on `n`, `>= goal`), 3 (on `n`, any start) | `alloc_bootmem_node`: `[goal, limit)` on the node, then anywhere on the node |
/// | node `n`, `Prefer` | 1, 2 (any node, `>= goal`), 3, 4 (any node, any start) | none: native bootmem2 never leaves the node; the contract demands it |
/// | no node | 2, 4 | `alloc_bootmem`: `[goal, limit)`, then anywhere |
///
/// `Exact` without a node acts as `Prefer`. A zero goal drops the repeated
/// stages 3 and 4. A stage starts at `PFN_UP(goal)`, never at page 0; a
/// goal past the last page start makes the goal stages empty (they are not
/// skipped, they simply have no placement).
fn stages(req: &AllocRequest) -> Vec<Stage> {
    search::Stage::plan(req)
        .into_iter()
        .filter_map(|stage| {
            let nodes = stage.nid.map_or(Nodes::Any, Nodes::On);
            let from = stage.first_pfn()?;
            Some(Stage { nodes, from })
        })
        .collect()
}

/// A block before its bitmap exists: its node, its whole pages, and where
/// its bitmap will live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    nid: Nid,
    pages: Pages,
    bitmap_at: Pages,
}

/// Decides, without allocating any bitmap, where every block's bitmap goes.
///
/// Blocks are the whole pages of the normalized RAM ranges, in address
/// order; a range without a whole page has no block. Block by block, in
/// address order, the bitmap takes the lowest free pages at or above
/// `PAGE_SIZE` that hold it inside one block, of any block (its own is not
/// preferred): the bitmaps of later blocks come from early memory. Within a
/// block the bitmaps placed so far always form one run from its first page
/// (not page 0) up, so a cursor per block is its free space, and the first
/// block whose cursor leaves room holds the lowest fit.
/// `NoMem` when there is no usable page, some bitmap fits nowhere, or the
/// RAM exceeds [`MAX_BITMAP_PAGES`].
fn plan_bitmaps(ram: &RamList) -> Outcome<Vec<Plan>> {
    let blocks: Vec<(Nid, Pages)> = ram.whole_pages().map(|(p, nid)| (nid, p)).collect();
    if blocks.is_empty() {
        return Err(Error::NoMem);
    }
    let total = blocks
        .iter()
        .fold(0u64, |sum, (_, p)| sum.saturating_add(p.len()));
    if total > MAX_BITMAP_PAGES {
        return Err(Error::NoMem);
    }
    let mut cursor: Vec<Pfn> = blocks.iter().map(|(_, p)| p.lo.max(1)).collect();
    let mut plans = Vec::with_capacity(blocks.len());
    for &(nid, pages) in &blocks {
        let need = bitmap_pages(pages.len());
        let fits = |j: usize| {
            let lo = cursor[j];
            lo.checked_add(need)
                .filter(|&hi| hi <= blocks[j].1.hi)
                .map(|hi| (j, Pages { lo, hi }))
        };
        let (j, bitmap_at) = (0..blocks.len()).find_map(fits).ok_or(Error::NoMem)?;
        cursor[j] = bitmap_at.hi;
        plans.push(Plan {
            nid,
            pages,
            bitmap_at,
        });
    }
    Ok(plans)
}

impl Ready {
    /// Builds the blocks of the normalized `ram`: plans the bitmaps, then
    /// allocates each (all clear) and marks every bitmap's pages in the
    /// bitmap of the block holding them. Nothing is allocated when the plan
    /// fails.
    fn build(ram: &RamList, bugs: BugSet) -> Outcome<Ready> {
        let plans = plan_bitmaps(ram)?;
        let mut blocks = Vec::with_capacity(plans.len());
        for plan in &plans {
            blocks.push(Block {
                nid: plan.nid,
                map: PageMap::try_new(plan.pages, false).ok_or(Error::NoMem)?,
                bitmap_at: plan.bitmap_at,
            });
        }
        let mut meta: Vec<Pages> = plans.iter().map(|p| p.bitmap_at).collect();
        meta.sort_by_key(|p| p.lo);
        let mut ready = Ready {
            blocks,
            meta: Vec::new(),
            bugs,
        };
        for &pages in &meta {
            if let Some(i) = ready.block_at(pages.lo) {
                ready.blocks[i].map.mark_taken(pages);
            }
        }
        ready.meta = Pages::joined(meta);
        Ok(ready)
    }

    /// The index of the block holding page `pfn`, if any.
    fn block_at(&self, pfn: Pfn) -> Option<usize> {
        let after = self.blocks.partition_point(|b| b.pages().lo <= pfn);
        let i = after.checked_sub(1)?;
        (pfn < self.blocks.get(i)?.pages().hi).then_some(i)
    }

    /// The indexes of the blocks the non-empty run `pages` covers, when every
    /// page of it is usable RAM: consecutive blocks, each starting where the
    /// previous one ends (the mail's "contiguous, may cross blocks and
    /// nodes"). `None` when it touches a hole.
    fn blocks_covering(&self, pages: Pages) -> Option<std::ops::Range<usize>> {
        if pages.is_empty() {
            return None;
        }
        let first = self.block_at(pages.lo)?;
        let mut last = first;
        while self.blocks.get(last)?.pages().hi < pages.hi {
            let next = self.blocks.get(last + 1)?;
            if next.pages().lo != self.blocks[last].pages().hi {
                return None;
            }
            last += 1;
        }
        Some(first..last + 1)
    }

    /// The blocks covering `pages` for `reserve` (`nid` = `None`) or a
    /// strict `_node` call: the run must then lie inside one block of `nid`.
    /// `Invalid` otherwise.
    fn covering(&self, nid: Option<Nid>, pages: Pages) -> Outcome<std::ops::Range<usize>> {
        let blocks = self.blocks_covering(pages).ok_or(Error::Invalid)?;
        match nid {
            None => Ok(blocks),
            Some(nid) if blocks.len() == 1 && self.blocks[blocks.start].nid == nid => Ok(blocks),
            Some(_) => Err(Error::Invalid),
        }
    }

    /// The feasible placement of `stage` with the lowest start: the first
    /// fit of each of the stage's blocks, in address order, cut to the goal
    /// and the limit.
    fn first_fit_in_stage(&self, stage: Stage, fit: Fit) -> Option<(usize, Pages)> {
        self.blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| match stage.nodes {
                Nodes::On(nid) => b.nid == nid,
                Nodes::Any => true,
            })
            .find_map(|(i, b)| b.first_fit(stage.from, fit.end_cap, fit).map(|p| (i, p)))
    }

    /// The maximal runs of free pages of all blocks, ascending, with the
    /// runs of touching blocks joined.
    fn free_runs(&self) -> Vec<Pages> {
        Pages::joined(self.blocks.iter().flat_map(|b| b.map.free_runs()))
    }
}

impl Bootmem2 {
    /// An allocator with no RAM registered, waiting for `add_memory` calls
    /// and then `setup`.
    pub fn new() -> Bootmem2 {
        Bootmem2::default()
    }

    /// As [`Bootmem2::new`], with the historical `bugs` planted
    /// ([`crate::bugs`]).
    pub fn with_bugs(bugs: BugSet) -> Bootmem2 {
        Bootmem2 {
            bugs,
            ..Bootmem2::default()
        }
    }

    /// `reserve` and `reserve_node` (`nid` = `Some`): outward rounding,
    /// usable RAM and the node rule (`Invalid`), then block by block: in
    /// `Exclusive` mode a block whose part is partly taken ends the call with
    /// `Busy`, after the parts marked in earlier blocks are cleared again
    /// (the rollback of the 2.6.27 rewrite's `mark_bootmem`).
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
        let covering = ready.covering(nid, pages)?;
        for i in covering.clone() {
            if mode == ReserveMode::Exclusive && ready.blocks[i].map.any_taken(pages) {
                let marked = covering.start..i;
                if !ready.bugs.has(Bug::K1SkipRollback) {
                    marked.for_each(|j| ready.blocks[j].map.mark_free(pages));
                }
                return Err(Error::Busy);
            }
            ready.blocks[i].map.mark_taken(pages);
        }
        Ok(())
    }

    /// `free` and `free_node` (`nid` = `Some`): inward rounding, usable RAM,
    /// the node rule and the bitmaps (all `Invalid`), then `DoubleFree` or
    /// clearing, in every block the range covers.
    fn free_pages(&mut self, nid: Option<Nid>, base: PhysAddr, size: u64) -> Outcome<()> {
        let ready = self.state.ready_mut()?;
        let Some(pages) = Pages::to_free(base, size)? else {
            return Ok(());
        };
        let covering = ready.covering(nid, pages)?;
        if ready.meta.iter().any(|m| m.overlaps(pages)) {
            return Err(Error::Invalid);
        }
        if !covering
            .clone()
            .all(|i| ready.blocks[i].map.all_taken(pages))
        {
            return Err(Error::DoubleFree);
        }
        covering.for_each(|i| ready.blocks[i].map.mark_free(pages));
        Ok(())
    }
}

impl BootMem for Bootmem2 {
    fn name(&self) -> &'static str {
        "bootmem2"
    }

    fn profile(&self) -> Profile {
        Profile {
            granularity: Granularity::Page,
            placement: Placement::Lowest,
            packing: false,
            crosses_nodes: false,
            metadata: MetadataHandoff::Released,
            registration: Registration::BeforeSetup,
        }
    }

    /// Registers RAM (`RamList::add`) before `setup` only: each
    /// normalized range becomes one block with its own bitmap
    /// (`Lifecycle::check_registering`).
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        self.state.check_registering()?;
        self.ram.add(range, nid)
    }

    /// Makes one block per registered range with a whole page, gives each
    /// its own bitmap (placed as [`plan_bitmaps`] says) and enables the
    /// allocator. `NoMem` when there is no usable page or some bitmap fits
    /// nowhere; a failed setup changes nothing, so more RAM may be added and
    /// setup retried. `Unsupported` when already set up.
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

    /// The lowest feasible page-aligned start, inside one block, of the
    /// first stage that has one ([`stages`], SPEC section 4); its pages are
    /// marked taken in that block's bitmap.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        let ready = self.state.ready_mut()?;
        let fit = Fit::of(req)?;
        let found = stages(req)
            .into_iter()
            .find_map(|stage| ready.first_fit_in_stage(stage, fit));
        let Some((block, pages)) = found else {
            return Err(req.failure());
        };
        ready.blocks[block].map.mark_taken(pages);
        Ok(pages.bytes().start())
    }

    /// Hands each maximal run of free pages of each block to `sink`, then
    /// every block's bitmap pages, and returns the number of pages handed
    /// over (free pages plus bitmap pages, as `free_all_bootmem` counts).
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        let ready = self.state.retire()?;
        let mut blocks: Vec<&Block> = ready.blocks.iter().collect();
        if self.bugs.has(Bug::K2ReleaseNodeZeroOnly) {
            // Planted: only node 0's blocks are walked (`NODE_DATA(0)`).
            blocks.retain(|b| b.nid == 0);
        }
        let free = blocks.iter().flat_map(|b| b.map.free_runs());
        let bitmaps = blocks.iter().map(|b| b.bitmap_at);
        Ok(Pages::hand_over(free.chain(bitmaps), sink))
    }

    fn metadata(&self) -> Vec<Range> {
        self.state
            .ready()
            .map(|ready| ready.meta.iter().map(|m| m.bytes()).collect())
            .unwrap_or_default()
    }

    fn free_map(&self) -> Vec<Range> {
        self.state
            .ready()
            .map(|ready| ready.free_runs().into_iter().map(Pages::bytes).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    //! Tests in the style of the kernel's `tools/testing/memblock`: each
    //! draws the memory layout it builds and states what it expects.
    //! In the pictures `B` is a bitmap, `r` reserved, `a` allocated, `.`
    //! free, `x` a hole, `|` a block edge; one character is one page unless
    //! labelled.
    //!
    //! One consequence of the placement rule runs through them: every
    //! bitmap goes to the lowest fit anywhere, so on most maps all bitmaps
    //! sit together from page 1 up and the later blocks start with free
    //! pages. Free runs then cross the edges of touching blocks, a `free` or
    //! an exclusive `reserve` across a block edge can succeed, and an
    //! allocation must still refuse such a run.

    use super::*;
    use crate::ram::Ram;
    use crate::range::pfn_up;
    use crate::testing::contract;
    use crate::testing::model::{self, PageModel, N};
    use crate::testing::random::{MapShape, Rng};
    use crate::testing::{boot, on, r, release, req, try_boot, GIB, MIB, P};
    use crate::{NodePolicy, OnFail, MAX_NODES, PAGE_SHIFT};

    /// A bootmem2 with `map` registered (start, end, nid) and set up.
    fn booted(map: &[(u64, u64, Nid)]) -> Bootmem2 {
        booted_with(map, BugSet::NONE)
    }

    /// As [`booted`], with `bugs` planted.
    fn booted_with(map: &[(u64, u64, Nid)], bugs: BugSet) -> Bootmem2 {
        boot(Bootmem2::with_bugs(bugs), map)
    }

    /// Where each block's bitmap lives, in block order, as `(lo, hi)` PFNs.
    fn bitmap_homes(bm: &Bootmem2) -> Vec<(Pfn, Pfn)> {
        let ready = bm.state.ready().expect("set up");
        ready
            .blocks
            .iter()
            .map(|b| (b.bitmap_at.lo, b.bitmap_at.hi))
            .collect()
    }

    /// The mail's interleaved map: node 0 = [0,2G) + [4G,6G), node 1 =
    /// [2G,4G) + [6G,8G).
    const MAIL_MAP: [(u64, u64, Nid); 4] = [
        (0, 2 * GIB, 0),
        (2 * GIB, 4 * GIB, 1),
        (4 * GIB, 6 * GIB, 0),
        (6 * GIB, 8 * GIB, 1),
    ];

    /// The same shape in eight-page blocks: node 0 = pages 0..8 + 16..24,
    /// node 1 = pages 8..16 + 24..32.
    const SMALL_MAIL_MAP: [(u64, u64, Nid); 4] = [
        (0, 8 * P, 0),
        (8 * P, 16 * P, 1),
        (16 * P, 24 * P, 0),
        (24 * P, 32 * P, 1),
    ];

    // ---- setup ---------------------------------------------------------

    /// ```text
    ///   |.|B|B|... node 0, 1 MiB .....|xx hole xx|....... node 1, 1 MiB .....|
    ///      ^ ^ 256 pages: 32 bytes, one page each
    ///      | node 1's bitmap: the lowest fit anywhere, not its own block
    ///      node 0's bitmap
    /// ```
    /// Expect one bitmap per block, each at the lowest free pages of any
    /// block (not page 0): node 1's follows node 0's in node 0's block, and
    /// node 1's block is free from its first page.
    #[test]
    fn setup_gives_each_block_its_own_bitmap_at_the_lowest_fit_anywhere() {
        let bm = booted(&[(0, MIB, 0), (2 * MIB, 3 * MIB, 1)]);
        assert_eq!(bm.metadata(), vec![r(P, 3 * P)]);
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(3 * P, MIB), r(2 * MIB, 3 * MIB)]
        );
        assert_eq!(bitmap_homes(&bm), [(1, 2), (2, 3)]);
    }

    /// ```text
    ///   |.|x x x x|B|x x x|B|B|. . . . .|x[x]x|
    ///    0         5       9 10           no whole page: no block
    ///   n0: page 0 only     n0: pages 9..16
    ///             n1: page 5 only
    /// ```
    /// Expect block 0's bitmap (page 0 is never used) at the lowest fit
    /// anywhere, page 5; block 1's then fits nowhere in blocks 0 and 1 and
    /// goes to page 9; block 2's follows at page 10. The two touching bitmaps
    /// are reported as one range.
    #[test]
    fn a_bitmap_that_does_not_fit_its_block_goes_to_the_lowest_fit_anywhere() {
        let bm = booted(&[
            (0, P, 0),
            (5 * P, 6 * P, 1),
            (9 * P, 16 * P, 0),
            (16 * P + 0x800, 17 * P + 0x800, 2),
        ]);
        assert_eq!(bm.metadata(), vec![r(5 * P, 6 * P), r(9 * P, 11 * P)]);
        assert_eq!(bm.free_map(), vec![r(0, P), r(11 * P, 16 * P)]);
        assert_eq!(bitmap_homes(&bm), [(5, 6), (9, 10), (10, 11)]);
    }

    /// ```text
    ///   |.|B|B|xx|B B . . 33024 pages . .|xx|. . 16 pages . .|
    ///    0 1 2    16                         X
    ///      | ^ block 2's bitmap (third): the page left below block 1's
    ///      ^ block 0's bitmap (first)
    ///             ^^^ block 1's two pages (second) fit nowhere lower
    /// ```
    /// Block 0 is pages 0..3, block 1 holds 33024 pages (a two-page bitmap),
    /// block 2 sixteen pages at `X`. Expect each bitmap at the lowest fit
    /// when its turn comes, not after the previous one: block 1's does not
    /// fit in page 2 and goes to its own first pages, and block 2's then
    /// takes page 2, below block 1's.
    #[test]
    fn each_bitmap_takes_the_lowest_fit_in_its_turn_not_the_next_free_page() {
        let big = 33_024;
        assert_eq!(bitmap_pages(big), 2);
        let x = (16 + big + 4) * P;
        let bm = booted(&[
            (0, 3 * P, 0),
            (16 * P, (16 + big) * P, 1),
            (x, x + 16 * P, 2),
        ]);
        assert_eq!(bm.metadata(), vec![r(P, 3 * P), r(16 * P, 18 * P)]);
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(18 * P, (16 + big) * P), r(x, x + 16 * P)]
        );
        assert_eq!(bitmap_homes(&bm), [(1, 2), (16, 18), (2, 3)]);
    }

    /// ```text
    ///   |.|   a single page of RAM: page 0
    /// ```
    /// Expect NoMem: no bitmap may live on page 0. Then RAM without a whole
    /// page: NoMem again, and nothing changed, so RAM may still be added;
    /// with pages 16..32 added, page 0's block keeps its bitmap at page 16
    /// and the new block's own goes to page 17.
    #[test]
    fn setup_without_room_for_a_bitmap_is_nomem_and_changes_nothing() {
        let mut bm = Bootmem2::new();
        assert_eq!(bm.add_memory(r(0, P), 0), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        assert_eq!(bm.add_memory(r(0x1800, 0x2800), 1), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        assert!(bm.metadata().is_empty() && bm.free_map().is_empty());
        assert_eq!(bm.alloc(&req(1, 1)), Err(Error::Unsupported));
        assert_eq!(bm.add_memory(r(16 * P, 32 * P), 0), Ok(()));
        assert_eq!(bm.setup(), Ok(()));
        assert_eq!(bm.metadata(), vec![r(16 * P, 18 * P)]);
        assert_eq!(bm.free_map(), vec![r(0, P), r(18 * P, 32 * P)]);
    }

    /// ```text
    ///   |x[xxxxx]x|   RAM 0x1800..0x2800 holds no whole page
    /// ```
    /// Expect NoMem: there is no usable page at all.
    #[test]
    fn setup_without_a_whole_page_is_nomem() {
        let mut bm = Bootmem2::new();
        assert_eq!(bm.add_memory(r(0x1800, 0x2800), 0), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        assert_eq!(plan_bitmaps(&bm.ram), Err(Error::NoMem));
    }

    /// ```text
    ///   |.BB 1 MiB ..|xxxxxxxxxx 2^63 bytes of hole xxxxxxxxxx|... 1 MiB ..|
    /// ```
    /// Expect Ok with two one-page bitmaps, both low in the first block:
    /// holes between blocks cost no bits (rootmem's single bitmap would need
    /// 2^48 bytes here).
    #[test]
    fn holes_between_blocks_cost_no_bitmap() {
        let bm = booted(&[(0, MIB, 0), (1 << 63, (1 << 63) + MIB, 1)]);
        assert_eq!(bm.metadata(), vec![r(P, 3 * P)]);
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(3 * P, MIB), r(1 << 63, (1 << 63) + MIB)]
        );
    }

    /// Expect NoMem for more RAM than [`MAX_BITMAP_PAGES`], even though the
    /// one huge block could hold its bitmap: a host limit, decided before
    /// any bitmap is allocated.
    #[test]
    fn more_ram_than_the_host_limit_is_nomem() {
        let mut bm = Bootmem2::new();
        assert_eq!(bm.add_memory(r(0, 1 << 62), 0), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        let mut two = Bootmem2::new();
        let half = MAX_BITMAP_PAGES / 2 * P;
        assert_eq!(two.add_memory(r(0, half), 0), Ok(()));
        assert_eq!(two.add_memory(r(1 << 62, (1 << 62) + half + P), 1), Ok(()));
        assert_eq!(two.setup(), Err(Error::NoMem), "the sum counts");
    }

    #[test]
    fn setup_twice_is_unsupported_and_so_is_add_memory_after_it() {
        contract::setup_twice_is_unsupported_and_so_is_add_memory_after_it(booted);
    }

    // ---- the mail's map ------------------------------------------------

    /// ```text
    ///   node:   0               1               0               1
    ///         |.BBBB..........|...............|...............|...............|
    ///         0              2G              4G              6G              8G
    ///                    [=======)                 reserve / free (1.5G, 1.5G)
    ///                    [=======================)     reserve / free (1.5G, 3G)
    /// ```
    /// Real sizes: 2 GiB is 512 Ki pages, a 64 KiB bitmap of 16 pages per
    /// block, all four at the bottom of node 0's first block. The mail's
    /// `free_bootmem(1.5G, 3G)` read as the range from 1.5G to 3G, and read
    /// as the kernel's `(addr, size)`, 1.5G to 4.5G over three blocks of
    /// both nodes. Expect, for each: a reserve across the node 0 / node 1
    /// edge(s) to succeed, the free of the same range to succeed and give
    /// back exactly the setup free map (the mail: contiguous ranges may
    /// cross blocks and nodes), a second free to be a DoubleFree, and a free
    /// reaching down into the bitmaps to be Invalid.
    #[test]
    fn the_mail_s_interleaved_map_with_a_free_across_the_node_boundary() {
        let mut bm = booted(&MAIL_MAP);
        let bitmaps = 4 * 16 * P;
        assert_eq!(bm.metadata(), vec![r(P, P + bitmaps)]);
        let setup = vec![r(0, P), r(P + bitmaps, 8 * GIB)];
        assert_eq!(bm.free_map(), setup);
        let base = 3 * GIB / 2;
        for size in [3 * GIB / 2, 3 * GIB] {
            assert_eq!(bm.reserve(base, size, ReserveMode::Default), Ok(()));
            assert_eq!(
                bm.free_map(),
                vec![r(0, P), r(P + bitmaps, base), r(base + size, 8 * GIB)]
            );
            assert_eq!(bm.free(0, base + size), Err(Error::Invalid), "bitmaps");
            assert_eq!(bm.free(base, size), Ok(()), "free_bootmem(1.5G, ..)");
            assert_eq!(bm.free_map(), setup);
            assert_eq!(bm.free(base, size), Err(Error::DoubleFree));
        }
        assert_eq!(bm.reserve(base, GIB, ReserveMode::Exclusive), Ok(()));
        assert_eq!(bm.free_node(0, base, GIB), Err(Error::Invalid), "strict");
        assert_eq!(bm.free_node(1, base, GIB), Err(Error::Invalid), "strict");
        assert_eq!(bm.free(base, GIB), Ok(()));
        let (count, _) = release(&mut bm);
        assert_eq!(count, Ok(8 * GIB / P), "every page, bitmaps included");
    }

    /// ```text
    ///   node: 0               1               0               1
    ///        |. B B B B r r .|. . . . . . . .|. r . . . . . .|. . . . . . . .|
    ///        0               8               16              24              32
    ///                    [                       ]  reserve_node(0, 6..18): Invalid
    ///                                          [ ]  reserve_node(0, 17..18): Ok
    /// ```
    /// Expect the `_node` calls to accept a range inside one block of the
    /// node and to refuse one that spans node 0's two blocks (and node 1's
    /// block between them), one that crosses a node edge, or one that lies
    /// on another node, even where that node's bitmap lives; plain `reserve`
    /// and `free` take the spanning range, which `free_node` refuses.
    #[test]
    fn node_variants_are_strict_to_one_block_of_the_node() {
        let mut bm = booted(&SMALL_MAIL_MAP);
        let mode = ReserveMode::Default;
        assert_eq!(bm.metadata(), vec![r(P, 5 * P)]);
        assert_eq!(bm.reserve_node(0, 5 * P, 2 * P, mode), Ok(()));
        assert_eq!(bm.reserve_node(0, 17 * P, P, mode), Ok(()));
        let before = bm.free_map();
        assert_eq!(before, vec![r(0, P), r(7 * P, 17 * P), r(18 * P, 32 * P)]);
        assert_eq!(bm.reserve_node(0, 6 * P, 12 * P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(1, 6 * P, 12 * P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(1, 5 * P, P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(1, 2 * P, P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(0, 7 * P, 2 * P, mode), Err(Error::Invalid));
        assert_eq!(bm.free_node(0, 6 * P, 12 * P), Err(Error::Invalid));
        assert_eq!(bm.free_node(1, 5 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(bm.free_map(), before);
        assert_eq!(bm.free_node(0, 5 * P, 2 * P), Ok(()));
        assert_eq!(bm.free_node(0, 17 * P, P), Ok(()));
        assert_eq!(bm.reserve(6 * P, 12 * P, mode), Ok(()));
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(5 * P, 6 * P), r(18 * P, 32 * P)]
        );
        assert_eq!(bm.free_node(0, 6 * P, 12 * P), Err(Error::Invalid));
        assert_eq!(bm.free(6 * P, 12 * P), Ok(()), "across three blocks");
        assert_eq!(bm.free_map(), vec![r(0, P), r(5 * P, 32 * P)]);
    }

    /// ```text
    ///   node: 0               1
    ///        |. B B . r r r r|r r r r . . . .|
    ///        0       4       8       12      16
    ///                [               ]  exclusive reserve of pages 4..12
    /// ```
    /// Expect an exclusive reserve across the node edge to succeed when both
    /// sides are free (with K1 too: K1 only matters when one fails), a
    /// second one to be Busy, and the free of the same range to succeed.
    #[test]
    fn exclusive_reserve_across_a_block_edge_succeeds_when_both_sides_are_free() {
        let map = [(0, 8 * P, 0), (8 * P, 16 * P, 1)];
        for bugs in [BugSet::NONE, BugSet::NONE.with(Bug::K1SkipRollback)] {
            let mut bm = booted_with(&map, bugs);
            assert_eq!(bm.metadata(), vec![r(P, 3 * P)]);
            assert_eq!(bm.free_map(), vec![r(0, P), r(3 * P, 16 * P)]);
            assert_eq!(bm.reserve(4 * P, 8 * P, ReserveMode::Exclusive), Ok(()));
            let reserved = vec![r(0, P), r(3 * P, 4 * P), r(12 * P, 16 * P)];
            assert_eq!(bm.free_map(), reserved);
            let busy = bm.reserve(4 * P, 8 * P, ReserveMode::Exclusive);
            assert_eq!(busy, Err(Error::Busy));
            assert_eq!(bm.free_map(), reserved);
            assert_eq!(bm.free(4 * P, 8 * P), Ok(()));
            assert_eq!(bm.free_map(), vec![r(0, P), r(3 * P, 16 * P)]);
        }
    }

    /// ```text
    ///   node: 0               1
    ///        |. B B . . . . .|. . r . . . . .|
    ///        0       4       8   10          16
    ///                [               ]  exclusive reserve of pages 4..12
    ///                 marked      ^ page 10: reserved, taken
    /// ```
    /// Expect Busy with no change: the pages marked in the first block are
    /// cleared again. With K1 planted they stay marked, and the free map
    /// says so.
    #[test]
    fn exclusive_reserve_that_conflicts_in_its_second_block_rolls_back() {
        let map = [(0, 8 * P, 0), (8 * P, 16 * P, 1)];
        let mut bm = booted(&map);
        assert_eq!(bm.reserve(10 * P, P, ReserveMode::Default), Ok(()));
        let before = bm.free_map();
        assert_eq!(before, vec![r(0, P), r(3 * P, 10 * P), r(11 * P, 16 * P)]);
        let busy = bm.reserve(4 * P, 8 * P, ReserveMode::Exclusive);
        assert_eq!(busy, Err(Error::Busy));
        assert_eq!(bm.free_map(), before);

        let mut k1 = booted_with(&map, BugSet::NONE.with(Bug::K1SkipRollback));
        assert_eq!(k1.reserve(10 * P, P, ReserveMode::Default), Ok(()));
        let busy = k1.reserve(4 * P, 8 * P, ReserveMode::Exclusive);
        assert_eq!(busy, Err(Error::Busy));
        assert_eq!(
            k1.free_map(),
            vec![
                r(0, P),
                r(3 * P, 4 * P),
                r(8 * P, 10 * P),
                r(11 * P, 16 * P)
            ],
            "K1: pages 4..8 stay marked"
        );
    }

    /// ```text
    ///   node: 0           1       2
    ///        |. B B B . r|. . . .|. . . .|
    ///        0       4   6       10      14
    ///                [                 ]  exclusive reserve of pages 4..13
    /// ```
    /// Expect a conflict in the first block to mark nothing, with K1 too
    /// (K1 only skips the rollback of earlier blocks).
    #[test]
    fn exclusive_reserve_that_conflicts_in_its_first_block_marks_nothing() {
        let map = [(0, 6 * P, 0), (6 * P, 10 * P, 1), (10 * P, 14 * P, 2)];
        for bugs in [BugSet::NONE, BugSet::NONE.with(Bug::K1SkipRollback)] {
            let mut bm = booted_with(&map, bugs);
            assert_eq!(bm.metadata(), vec![r(P, 4 * P)]);
            assert_eq!(bm.reserve(5 * P, P, ReserveMode::Exclusive), Ok(()));
            let before = bm.free_map();
            let busy = bm.reserve(4 * P, 9 * P, ReserveMode::Exclusive);
            assert_eq!(busy, Err(Error::Busy));
            assert_eq!(bm.free_map(), before);
            let busy = bm.reserve(3 * P, P, ReserveMode::Exclusive);
            assert_eq!(busy, Err(Error::Busy), "the bitmap is taken");
            assert_eq!(bm.reserve(4 * P, P, ReserveMode::Exclusive), Ok(()));
            assert_eq!(bm.reserve(6 * P, 7 * P, ReserveMode::Exclusive), Ok(()));
            assert_eq!(bm.free_map(), vec![r(0, P), r(13 * P, 14 * P)]);
        }
    }

    // ---- add_memory ----------------------------------------------------

    #[test]
    fn add_memory_refuses_empty_ranges_bad_nodes_and_overlap() {
        let mut bm = Bootmem2::new();
        assert_eq!(bm.add_memory(r(P, P), 0), Err(Error::Invalid));
        assert_eq!(bm.add_memory(r(0, P), MAX_NODES), Err(Error::Invalid));
        assert_eq!(bm.add_memory(r(0, 4 * P), MAX_NODES - 1), Ok(()));
        assert_eq!(bm.add_memory(r(4 * P - 1, 8 * P), 1), Err(Error::Invalid));
        assert_eq!(
            bm.add_memory(r(P, 2 * P), MAX_NODES - 1),
            Err(Error::Invalid)
        );
        assert_eq!(bm.add_memory(r(4 * P, 8 * P), 1), Ok(()));
    }

    /// ```text
    ///   |.|B|.|..........|     node 0: 0..0x2800 + 0x2800..0x5000
    ///          ^ page 2 straddles the two ranges
    /// ```
    /// Expect one block with one bitmap, and page 2 to be RAM: adjacent
    /// ranges of one node merge.
    #[test]
    fn adjacent_ranges_of_one_node_are_one_block() {
        let bm = booted(&[(0x2800, 0x5000, 0), (0, 0x2800, 0)]);
        assert_eq!(
            bm.ram.ranges(),
            [Ram {
                range: r(0, 0x5000),
                nid: 0
            }]
        );
        assert_eq!(bm.metadata(), vec![r(P, 2 * P)]);
        assert_eq!(bm.free_map(), vec![r(0, P), r(2 * P, 5 * P)]);
    }

    /// ```text
    ///   |.|B|x|B|.|     node 0: 0..0x2800, node 1: 0x2800..0x5000
    ///        ^ page 2 is partial in both ranges
    /// ```
    /// Expect two blocks, two bitmaps, and page 2 a hole: ranges of
    /// different nodes never merge.
    #[test]
    fn adjacent_ranges_of_two_nodes_are_two_blocks() {
        let mut bm = booted(&[(0, 0x2800, 0), (0x2800, 0x5000, 1)]);
        assert_eq!(bm.metadata(), vec![r(P, 2 * P), r(3 * P, 4 * P)]);
        assert_eq!(bm.free_map(), vec![r(0, P), r(4 * P, 5 * P)]);
        assert_eq!(
            bm.reserve(2 * P, 1, ReserveMode::Default),
            Err(Error::Invalid)
        );
    }

    // ---- life cycle ----------------------------------------------------

    #[test]
    fn every_call_but_registration_before_setup_is_unsupported() {
        let bm = contract::every_call_but_registration_before_setup_is_unsupported(Bootmem2::new());
        assert_eq!(bm.profile().registration, Registration::BeforeSetup);
        assert!(!bm.profile().crosses_nodes);
        assert_eq!(bm.name(), "bootmem2");
    }

    /// ```text
    ///   node: 0                               1
    ///        |. B B r . . . . . . . . . . . .|. . . . . . . . . . . . . . . .|
    ///        0                               16                              32
    /// ```
    /// Expect release_all to hand over the free runs of each block (split
    /// at the block edge), then both bitmaps, node 0's and node 1's, both in
    /// node 0's block: 1 + 12 + 16 free pages + 2 bitmap pages = 31.
    #[test]
    fn release_all_counts_the_free_pages_and_every_bitmap_page() {
        let mut bm = booted(&[(0, 16 * P, 0), (16 * P, 32 * P, 1)]);
        assert_eq!(bm.reserve(3 * P, 1, ReserveMode::Default), Ok(()));
        let (count, got) = release(&mut bm);
        assert_eq!(count, Ok(31));
        assert_eq!(
            got,
            vec![
                r(0, P),
                r(4 * P, 16 * P),
                r(16 * P, 32 * P),
                r(P, 2 * P),
                r(2 * P, 3 * P),
            ]
        );
    }

    /// ```text
    ///   node: 0                               1
    ///        |. B B r . . . . . . . . . . . .|. . . . . . . . . . . . . . . .|
    ///        0                               16                              32
    /// ```
    /// Expect release_all to walk the blocks of every node (31 pages, as
    /// above); with K2 only node 0's block is walked: its 1 + 12 free pages
    /// and its own bitmap, 14 in all, and node 1's 16 free pages and its
    /// bitmap (page 2) are lost. Without RAM on node 0 nothing is handed
    /// over.
    #[test]
    fn release_all_walks_every_node_and_k2_only_node_0() {
        let k2 = BugSet::NONE.with(Bug::K2ReleaseNodeZeroOnly);
        let mut buggy = booted_with(&[(0, 16 * P, 0), (16 * P, 32 * P, 1)], k2);
        assert_eq!(buggy.reserve(3 * P, 1, ReserveMode::Default), Ok(()));
        let (count, got) = release(&mut buggy);
        assert_eq!(count, Ok(14));
        assert_eq!(got, vec![r(0, P), r(4 * P, 16 * P), r(P, 2 * P)]);
        let no_node_0 = [(0, 16 * P, 1), (16 * P, 32 * P, 2)];
        assert_eq!(release(&mut booted(&no_node_0)).0, Ok(32));
        let (count, got) = release(&mut booted_with(&no_node_0, k2));
        assert_eq!((count, got), (Ok(0), vec![]));
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
        let mut bm = booted(&[(0, MIB, 0)]);
        let mode = ReserveMode::Default;
        assert_eq!(bm.reserve(u64::MAX - 10, 20, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(u64::MAX - 10, 5, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(P, u64::MAX, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve_node(0, P, u64::MAX, mode), Err(Error::Invalid));
    }

    #[test]
    fn reserve_rounds_outward_to_whole_pages() {
        contract::reserve_rounds_outward_to_whole_pages(booted);
    }

    /// ```text
    ///   |.|B|B|.|[x]|xx|.|.|   RAM 0..0x4800 (node 0), 6P..8P (node 1)
    ///           [  ]   reserve(0x3800, 0x1000): page 4 is partial
    /// ```
    /// Expect Invalid: a reserve touching a hole, even after rounding, or
    /// spanning the hole between two blocks.
    #[test]
    fn reserve_touching_a_hole_is_invalid() {
        let mut bm = booted(&[(0, 0x4800, 0), (6 * P, 8 * P, 1)]);
        let mode = ReserveMode::Default;
        assert_eq!(bm.reserve(0x3800, 0x1000, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(0x4000, 1, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(3 * P, 4 * P, mode), Err(Error::Invalid));
        assert_eq!(bm.reserve(MIB, P, mode), Err(Error::Invalid));
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(3 * P, 4 * P), r(6 * P, 8 * P)]
        );
        assert_eq!(bm.reserve(0x3fff, 1, mode), Ok(()));
        assert_eq!(bm.free_map(), vec![r(0, P), r(6 * P, 8 * P)]);
    }

    /// ```text
    ///   |.|B|.|r|.|....|
    ///       [       ]  exclusive reserve of pages 2..5
    /// ```
    /// Expect Busy and no change; a default reserve of the same range is fine.
    #[test]
    fn exclusive_reserve_of_partly_taken_memory_is_busy_and_changes_nothing() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.reserve(3 * P, P, ReserveMode::Exclusive), Ok(()));
        let before = bm.free_map();
        assert_eq!(
            bm.reserve(2 * P, 3 * P, ReserveMode::Exclusive),
            Err(Error::Busy)
        );
        assert_eq!(
            bm.reserve_node(0, 2 * P, 3 * P, ReserveMode::Exclusive),
            Err(Error::Busy)
        );
        assert_eq!(bm.free_map(), before);
        assert_eq!(bm.reserve(2 * P, 3 * P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.free_map(), vec![r(0, P), r(5 * P, 16 * P)]);
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
    /// Expect the first free to be an Ok no-op (even on a wrong node) and
    /// the second to free pages 2 and 3 only: free rounds inward.
    #[test]
    fn free_rounds_inward() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.reserve(2 * P, 4 * P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.free(0x3400, 0xa00), Ok(()));
        assert_eq!(bm.free_node(9, 0x3400, 0xa00), Ok(()), "empty");
        assert_eq!(bm.free_map(), vec![r(0, P), r(6 * P, 16 * P)]);
        assert_eq!(bm.free(0x1800, 0x3000), Ok(()));
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(2 * P, 4 * P), r(6 * P, 16 * P)]
        );
    }

    #[test]
    fn free_of_partly_free_memory_is_a_double_free_and_changes_nothing() {
        contract::free_of_partly_free_memory_is_a_double_free_and_changes_nothing(booted);
    }

    /// ```text
    ///   node: 0       1
    ///        |. B B r|r . r .|
    ///        0       4       8
    ///          [ ]  free of node 0's bitmap
    ///            [   ]  free of node 1's bitmap (in node 0's
    ///                     block) and a reserved page
    ///              [   ]  free of the reserved pages 3..5: Ok
    /// ```
    /// Expect Invalid, before DoubleFree: the bitmaps are not the caller's
    /// to free, wherever they live. The reserved pages 3..5 across the node
    /// edge free fine.
    #[test]
    fn free_of_a_bitmap_is_invalid() {
        let mut bm = booted(&[(0, 4 * P, 0), (4 * P, 8 * P, 1)]);
        assert_eq!(bm.metadata(), vec![r(P, 3 * P)]);
        assert_eq!(bm.reserve(3 * P, 2 * P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.reserve(6 * P, P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.free(P, P), Err(Error::Invalid));
        assert_eq!(bm.free(2 * P, P), Err(Error::Invalid));
        assert_eq!(bm.free(2 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(bm.free(2 * P, 3 * P), Err(Error::Invalid));
        assert_eq!(bm.free(0, 3 * P), Err(Error::Invalid));
        assert_eq!(bm.free_node(0, 2 * P, P), Err(Error::Invalid));
        assert_eq!(bm.free_node(1, 2 * P, P), Err(Error::Invalid));
        assert_eq!(bm.metadata(), vec![r(P, 3 * P)]);
        assert_eq!(
            bm.free_map(),
            vec![r(0, P), r(5 * P, 6 * P), r(7 * P, 8 * P)]
        );
        assert_eq!(bm.free(3 * P, 2 * P), Ok(()));
        assert_eq!(bm.free_node(1, 6 * P, P), Ok(()));
        assert_eq!(bm.free_map(), vec![r(0, P), r(3 * P, 8 * P)]);
    }

    /// ```text
    ///   |.|B|.|.|xx|     RAM 0..0x4000, then a hole
    ///         [      ]   free of page 3 (free) and page 4 (hole)
    /// ```
    /// Expect Invalid rather than DoubleFree: Invalid takes precedence.
    #[test]
    fn free_touching_a_hole_is_invalid_before_double_free() {
        let mut bm = booted(&[(0, 4 * P, 0)]);
        assert_eq!(bm.free(3 * P, 2 * P), Err(Error::Invalid));
        assert_eq!(bm.free_node(1, 3 * P, P), Err(Error::Invalid));
        assert_eq!(bm.free(3 * P, P), Err(Error::DoubleFree));
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
    ///   |x|B|.|r|.|.|.|.|.|.|.|.|.|.|.|.|a|...   block from page 1, align 16 pages
    /// ```
    /// Expect the start aligned absolutely (not relative to the block's
    /// first page) to the larger of align and a page.
    #[test]
    fn alloc_aligns_absolutely_to_the_larger_of_align_and_a_page() {
        let mut bm = booted(&[(P, 64 * P, 0)]);
        assert_eq!(bm.reserve(3 * P, P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.alloc(&req(2 * P, 2 * P)), Ok(4 * P));
        assert_eq!(bm.alloc(&req(P, 16 * P)), Ok(16 * P));
        assert_eq!(bm.alloc(&req(17 * P, 16 * P)), Ok(32 * P));
        assert_eq!(bm.alloc(&req(17 * P, 16 * P)), Err(Error::NoMem));
    }

    /// ```text
    ///   node: 0                               1
    ///        |. B B . . . . . . . . . . . . .|. . . .|
    ///        0     3                 12      16      20
    ///              [                           ]  14 pages: NoMem
    ///                                [           ]  6 pages from the goal page 12
    ///                                  [       ]  4 pages from the goal page 13
    /// ```
    /// Pages 3..20 are one free run over the node 0 / node 1 edge. Expect an
    /// allocation never to span the two blocks: 14 pages (13 free in node
    /// 0's block, 4 in node 1's) are NoMem, with a node or not, changing
    /// nothing; 6 pages from the goal page 12 fit at or above the goal only
    /// across the edge, so they come from the next stage, below the goal at
    /// page 3; then 4 pages from the goal page 13 land at node 1's first
    /// page 16, not at 13 across the edge.
    #[test]
    fn alloc_never_crosses_blocks() {
        let mut bm = booted(&[(0, 16 * P, 0), (16 * P, 20 * P, 1)]);
        let setup = vec![r(0, P), r(3 * P, 20 * P)];
        assert_eq!(bm.free_map(), setup);
        assert_eq!(bm.alloc(&req(14 * P, P)), Err(Error::NoMem));
        let prefer = on(1, NodePolicy::Prefer, req(14 * P, P));
        assert_eq!(bm.alloc(&prefer), Err(Error::NoMem));
        assert_eq!(bm.free_map(), setup);
        let mut from_goal = req(6 * P, P);
        from_goal.goal = 12 * P;
        assert_eq!(bm.alloc(&from_goal), Ok(3 * P), "stage 4, not page 12");
        from_goal.goal = 13 * P;
        from_goal.size = 4 * P;
        assert_eq!(bm.alloc(&from_goal), Ok(16 * P), "not page 13");
        assert_eq!(bm.free_map(), vec![r(0, P), r(9 * P, 16 * P)]);
    }

    #[test]
    fn alloc_respects_the_goal_then_falls_back_below_it() {
        contract::alloc_respects_the_goal_then_falls_back_below_it(booted);
    }

    /// ```text
    ///   node: 0               1
    ///        |. B B . . . . .|. . a . . . . .|
    ///                             ^ goal page 10
    /// ```
    /// Expect, for a request on node 0 with the goal in node 1: with Prefer
    /// the goal (stage 2: any node from the goal comes before stage 3, the
    /// node from anywhere); with Exact page 3 (stage 3: the node, as native
    /// `alloc_bootmem_node`); and an Exact request on node 1 with a goal in
    /// node 0 at node 1's first page 8, free as its bitmap is at page 2
    /// (stage 1).
    #[test]
    fn alloc_stage_order_puts_the_goal_before_the_node_fallback() {
        let mut bm = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
        let mut prefer = on(0, NodePolicy::Prefer, req(P, P));
        prefer.goal = 10 * P;
        assert_eq!(bm.alloc(&prefer), Ok(10 * P));
        let exact = AllocRequest {
            policy: NodePolicy::Exact,
            ..prefer
        };
        assert_eq!(bm.alloc(&exact), Ok(3 * P));
        let mut on_node_1 = on(1, NodePolicy::Exact, req(P, P));
        on_node_1.goal = 3 * P;
        assert_eq!(bm.alloc(&on_node_1), Ok(8 * P), "stage 1");
        assert_eq!(stages(&prefer).len(), 4);
        assert_eq!(stages(&exact).len(), 2);
        assert_eq!(stages(&req(P, P)).len(), 1, "goal 0, no node: stage 2");
    }

    /// ```text
    ///   node: 0               1               0
    ///        |. B B B . . . .|r r r r r r r r|. . . . . . . .|
    ///        0               8               16              24
    /// ```
    /// Expect a request on full node 1 to fall back to node 0 with Prefer
    /// (what the contract demands), and to fail with Exact (what native
    /// `alloc_bootmem_node` does: it never leaves the node), as NoMem or
    /// Panic as asked, changing nothing. An Exact request on node 0 whose
    /// first block is full finds node 0's second block.
    #[test]
    fn alloc_falls_back_to_other_nodes_only_with_prefer() {
        let mut bm = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1), (16 * P, 24 * P, 0)]);
        let mode = ReserveMode::Default;
        assert_eq!(bm.metadata(), vec![r(P, 4 * P)]);
        assert_eq!(bm.reserve_node(1, 8 * P, 8 * P, mode), Ok(()));
        let before = bm.free_map();
        let mut exact = on(1, NodePolicy::Exact, req(P, P));
        assert_eq!(bm.alloc(&exact), Err(Error::NoMem));
        exact.on_fail = OnFail::Panic;
        assert_eq!(bm.alloc(&exact), Err(Error::Panic));
        assert_eq!(bm.free_map(), before);
        assert_eq!(bm.alloc(&on(1, NodePolicy::Prefer, req(P, P))), Ok(4 * P));
        assert_eq!(bm.alloc(&on(33, NodePolicy::Prefer, req(P, P))), Ok(5 * P));
        assert_eq!(
            bm.alloc(&on(33, NodePolicy::Exact, req(P, P))),
            Err(Error::NoMem)
        );
        assert_eq!(bm.reserve_node(0, 4 * P, 4 * P, mode), Ok(()));
        let node_0 = on(0, NodePolicy::Exact, req(P, P));
        assert_eq!(bm.alloc(&node_0), Ok(16 * P), "node 0's second block");
    }

    /// ```text
    ///   node: 0               1
    ///        |. B B a a . . .|. . . . . . . .|
    ///                 ^ limit 0x4000 + 100: the end may not pass it
    /// ```
    /// Expect the limit to bound the end of the allocation (not its last
    /// page): `P + 100` bytes fit at page 3 exactly, and then nowhere, in
    /// every stage.
    #[test]
    fn alloc_keeps_the_end_at_or_below_the_limit() {
        let mut bm = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
        assert_eq!(bm.metadata(), vec![r(P, 3 * P)]);
        let mut limited = on(1, NodePolicy::Prefer, req(P + 100, P));
        limited.limit = 4 * P + 100;
        limited.goal = 9 * P;
        assert_eq!(bm.alloc(&limited), Ok(3 * P), "ends exactly at the limit");
        assert_eq!(bm.alloc(&limited), Err(Error::NoMem));
        limited.limit = 0;
        assert_eq!(bm.alloc(&limited), Ok(9 * P));
        let mut too_low = req(P, P);
        too_low.limit = P - 1;
        assert_eq!(bm.alloc(&too_low), Err(Error::NoMem), "limit below size");
        too_low.limit = 3 * P;
        assert_eq!(bm.alloc(&too_low), Err(Error::NoMem));
    }

    /// Expect huge sizes, alignments and goals near 2^64 to fail or fall
    /// back cleanly, never to wrap.
    #[test]
    fn alloc_near_two_to_the_64_never_wraps() {
        let top = u64::MAX - 64 * P;
        let mut bm = booted(&[(top, u64::MAX, 0)]);
        let first = pfn_up(top).map(|p| p << PAGE_SHIFT).unwrap_or(0);
        assert_eq!(bm.metadata(), vec![r(first, first + P)]);
        assert_eq!(bm.alloc(&req(u64::MAX, 1)), Err(Error::NoMem));
        assert_eq!(bm.alloc(&req(u64::MAX - first, 1)), Err(Error::NoMem));
        assert_eq!(bm.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
        let mut high_goal = req(P, P);
        high_goal.goal = u64::MAX;
        high_goal.limit = u64::MAX;
        assert_eq!(bm.alloc(&high_goal), Ok(first + P));
        assert_eq!(
            bm.reserve(u64::MAX - 1, 1, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(bm.free(u64::MAX - 3 * P, 3 * P + 1), Err(Error::Invalid));
        assert_eq!(bm.free(u64::MAX - 3 * P, 3 * P), Err(Error::DoubleFree));
        assert_eq!(bm.free(u64::MAX - 1, 1), Ok(()), "no whole page");
        assert_eq!(
            bm.reserve_node(0, u64::MAX - 2 * P, P, ReserveMode::Exclusive),
            Ok(())
        );
    }

    #[test]
    fn alloc_with_the_largest_alignment() {
        contract::alloc_with_the_largest_alignment(booted);
    }

    /// Expect an Exact request without a node to act as Prefer: there is
    /// no node to be exact about, so it is placed anywhere.
    #[test]
    fn alloc_exact_without_a_node_acts_as_prefer() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        let mut exact = req(P, P);
        exact.policy = NodePolicy::Exact;
        assert_eq!(stages(&exact).len(), 1);
        assert_eq!(bm.alloc(&exact), Ok(2 * P));
    }

    /// Expect the mail's 8 GiB map (2 Mi pages in four blocks) to stay
    /// fast: thousands of allocations, each a word-at-a-time first fit per
    /// block.
    #[test]
    fn many_allocations_over_the_mail_s_map() {
        let mut bm = booted(&MAIL_MAP);
        let mut count = 0u64;
        for i in 0..20_000u64 {
            let mut request = req(P + (i % 7) * 1000, P << (i % 5));
            request.nid = (i % 3 != 0).then_some((i % 2) as Nid);
            request.goal = (i % 11) * GIB * 3 / 4;
            if i % 5 == 0 {
                request.policy = NodePolicy::Exact;
            }
            if bm.alloc(&request).is_ok() {
                count += 1;
            }
            if i % 97 == 0 {
                let _ = bm.free(request.goal, 64 * P);
            }
        }
        assert_eq!(count, 20_000);
    }

    // ---- a brute-force cross-check -------------------------------------

    /// Page states of the reference model.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Pg {
        Hole,
        Free,
        Taken,
        Bitmap,
    }

    /// The rules of the brief, restated one page at a time over the first
    /// `N` pages, so that the block and bitmap code is checked against
    /// something obviously right.
    struct Model {
        /// Blocks as (first page, end page, nid).
        blocks: Vec<(u64, u64, Nid)>,
        pages: Vec<Pg>,
    }

    impl Model {
        fn new(ram: &[(Range, Nid)], meta: &[Range]) -> Model {
            let blocks: Vec<(u64, u64, Nid)> = model::normalized(ram)
                .iter()
                .map(|&(range, nid)| (range.start().div_ceil(P), range.end() / P, nid))
                .filter(|&(lo, hi, _)| lo < hi)
                .collect();
            let mut pages = vec![Pg::Hole; N as usize];
            for &(lo, hi, _) in &blocks {
                for p in lo..hi {
                    pages[p as usize] = Pg::Free;
                }
            }
            for m in meta {
                for p in m.start() / P..m.end() / P {
                    assert_eq!(pages[p as usize], Pg::Free, "bitmap on free RAM");
                    pages[p as usize] = Pg::Bitmap;
                }
            }
            Model { blocks, pages }
        }

        fn state(&self, p: u64) -> Pg {
            if p < N {
                self.pages[p as usize]
            } else {
                Pg::Hole
            }
        }

        fn usable(&self, lo: u64, hi: u64) -> bool {
            (lo..hi).all(|p| self.state(p) != Pg::Hole)
        }

        fn in_block(&self, nid: Option<Nid>, lo: u64, hi: u64) -> bool {
            self.blocks
                .iter()
                .any(|&(b_lo, b_hi, n)| nid.is_none_or(|w| w == n) && b_lo <= lo && hi <= b_hi)
        }

        fn mark(&mut self, lo: u64, hi: u64, from: Pg, to: Pg) {
            for p in lo..hi {
                if self.pages[p as usize] == from {
                    self.pages[p as usize] = to;
                }
            }
        }

        fn feasible(&self, q: &AllocRequest, a: u64, on_node: bool, goal: bool) -> bool {
            let Some(end) = a.checked_add(q.size) else {
                return false;
            };
            let Some(end_page) = crate::range::page_up(end) else {
                return false;
            };
            let (lo, hi) = (a / P, end_page / P);
            let node = if on_node { q.nid } else { None };
            a % q.align == 0
                && (q.limit == 0 || end <= q.limit)
                && (!goal || a >= q.goal)
                && (lo..hi).all(|p| self.state(p) == Pg::Free)
                && self.in_block(node, lo, hi)
        }

        fn alloc(&mut self, q: &AllocRequest) -> Outcome<u64> {
            q.validate()?;
            for (on_node, goal) in model::stages(q) {
                if let Some(a) = (1..N)
                    .map(|p| p * P)
                    .find(|&a| self.feasible(q, a, on_node, goal))
                {
                    let hi = (a + q.size).div_ceil(P);
                    self.mark(a / P, hi, Pg::Free, Pg::Taken);
                    return Ok(a);
                }
            }
            Err(q.failure())
        }

        fn free_map(&self) -> Vec<Range> {
            model::free_runs(|p| self.pages[p as usize] == Pg::Free)
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
            if !self.usable(lo, hi) || (nid.is_some() && !self.in_block(nid, lo, hi)) {
                return Err(Error::Invalid);
            }
            if excl && (lo..hi).any(|p| self.state(p) != Pg::Free) {
                return Err(Error::Busy);
            }
            self.mark(lo, hi, Pg::Free, Pg::Taken);
            Ok(())
        }

        fn free(&mut self, nid: Option<Nid>, base: u64, size: u64) -> Outcome<()> {
            let Some((lo, hi)) = model::whole(base, size)? else {
                return Ok(());
            };
            if !self.usable(lo, hi) || (nid.is_some() && !self.in_block(nid, lo, hi)) {
                return Err(Error::Invalid);
            }
            if (lo..hi).any(|p| self.state(p) == Pg::Bitmap) {
                return Err(Error::Invalid);
            }
            if (lo..hi).any(|p| self.state(p) == Pg::Free) {
                return Err(Error::DoubleFree);
            }
            self.mark(lo, hi, Pg::Taken, Pg::Free);
            Ok(())
        }
    }

    /// Random small maps: up to six ranges of up to twelve pages, sometimes
    /// a one-page range at page 0 (whose bitmap must go elsewhere).
    const SHAPE: MapShape = MapShape {
        ranges: 6,
        pages: 12,
        one_page_at_zero: true,
    };

    /// Expect every outcome and every free map to match the page-at-a-time
    /// model over thousands of random small scenarios, and release_all to
    /// count the free pages plus the bitmap pages.
    #[test]
    fn random_scenarios_match_a_page_at_a_time_model() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for scenario in 0..5000 {
            let map = rng.map(SHAPE);
            let Some(mut bm) = try_boot(Bootmem2::new(), &map) else {
                continue;
            };
            let mut model = Model::new(&map, &bm.metadata());
            assert_eq!(bm.free_map(), model.free_map(), "scenario {scenario} setup");
            for op in 0..40 {
                let target = rng.target(10);
                let (got, want) = match rng.below(3) {
                    0 => {
                        let (got, want) = target.reserve(&mut rng, &mut bm, &mut model);
                        (got.map(|()| 0), want.map(|()| 0))
                    }
                    1 => {
                        let (got, want) = target.free(&mut bm, &mut model);
                        (got.map(|()| 0), want.map(|()| 0))
                    }
                    _ => {
                        let q = rng.request(10);
                        (bm.alloc(&q), model.alloc(&q))
                    }
                };
                assert_eq!(got, want, "scenario {scenario} op {op} map {map:?}");
                assert_eq!(
                    bm.free_map(),
                    model.free_map(),
                    "scenario {scenario} op {op}"
                );
            }
            let want = model.count(Pg::Free) + model.count(Pg::Bitmap);
            assert_eq!(release(&mut bm).0, Ok(want), "scenario {scenario}");
        }
    }
}
