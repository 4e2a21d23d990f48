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
//!   ([`crate::bitmap::Bitmap`]); a bitmap is `ceil(pages / 8)` bytes rounded
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

use crate::bitmap::Bitmap;
use crate::bugs::{Bug, BugSet};
use crate::range::{align_up, pfn_down, pfn_up};
use crate::{
    AllocRequest, BootMem, Error, Granularity, MetadataHandoff, Nid, NodePolicy, Outcome, Pfn,
    PhysAddr, Placement, Profile, Range, Registration, ReserveMode, MAX_NODES, PAGE_SHIFT,
    PAGE_SIZE,
};

/// The most whole pages, summed over all blocks, that `setup` will build
/// bitmaps for: 2^31 pages (8 TiB of RAM, 256 MiB of host bitmaps).
///
/// This is a limit of the host running the model, not of bootmem2: a map
/// with more RAM than this makes `setup` return [`Error::NoMem`], decided
/// before any bitmap is allocated, rather than exhaust the fuzzing host. It
/// is 2048 times the largest span the fuzzer generates by default (4 GiB,
/// SPEC section 2), and holes between blocks do not count.
pub const MAX_TOTAL_PAGES: u64 = 1 << 31;

/// The bootmem2 backend: the registered RAM ranges and, once set up, the
/// blocks with their bitmaps.
#[derive(Debug, Default)]
pub struct Bootmem2 {
    /// Registered RAM, sorted by start, normalized: adjacent ranges of one
    /// node are merged, so two entries of one node never touch. Each entry
    /// becomes one block at `setup`.
    ram: Vec<Ram>,
    /// Where the allocator is in its life.
    state: State,
    /// Planted historical bugs ([`crate::bugs`]); empty by default.
    bugs: BugSet,
}

/// One registered RAM range and its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ram {
    range: Range,
    nid: Nid,
}

/// The life of a bootmem2 instance.
#[derive(Debug, Default)]
enum State {
    /// Taking `add_memory` calls; nothing else works yet.
    #[default]
    Registering,
    /// `setup` succeeded: every block with a whole page has its bitmap.
    Ready(Ready),
    /// `release_all` ran: every call is `Retired`.
    Retired,
}

/// A half-open run of page frames `[lo, hi)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pages {
    lo: Pfn,
    hi: Pfn,
}

impl Pages {
    /// The whole pages inside `range`, or `None` when there is none.
    fn whole_in(range: Range) -> Option<Pages> {
        let lo = pfn_up(range.start())?;
        let hi = pfn_down(range.end());
        (lo < hi).then_some(Pages { lo, hi })
    }

    /// The pages of a page-aligned range (the result of rounding).
    fn of_aligned(range: Range) -> Pages {
        Pages {
            lo: pfn_down(range.start()),
            hi: pfn_down(range.end()),
        }
    }

    /// Number of pages.
    fn len(self) -> u64 {
        self.hi.saturating_sub(self.lo)
    }

    /// True when the run holds no page.
    fn is_empty(self) -> bool {
        self.lo >= self.hi
    }

    /// True when the two runs share a page.
    fn overlaps(self, other: Pages) -> bool {
        self.lo < other.hi && other.lo < self.hi
    }

    /// The byte range of these pages. Every PFN bootmem2 handles is a whole
    /// page inside a `Range`, hence below `2^64 / PAGE_SIZE`, so the shifts
    /// are exact.
    fn bytes(self) -> Range {
        Range::new(self.lo << PAGE_SHIFT, self.hi << PAGE_SHIFT).unwrap_or(Range::EMPTY)
    }
}

/// One block: a normalized RAM range with at least one whole page, its node
/// and its own bitmap.
#[derive(Debug)]
struct Block {
    /// The node owning the block.
    nid: Nid,
    /// The block's whole pages; bit `i` of `map` is page `pages.lo + i`.
    pages: Pages,
    /// One bit per whole page of the block, set = taken.
    map: Bitmap,
    /// Where this block's own bitmap lives (in this block or another).
    bitmap_at: Pages,
}

impl Block {
    /// The bit of page `pfn`, for a PFN inside the block or one past it;
    /// PFNs below the block map to bit 0 (the bitmap clamps the top).
    fn bit(&self, pfn: Pfn) -> u64 {
        pfn.saturating_sub(self.pages.lo)
    }

    /// The page of bit `bit` (`bit < len`, so the sum stays inside the
    /// block).
    fn pfn(&self, bit: u64) -> Pfn {
        self.pages.lo.saturating_add(bit)
    }

    /// The part of `pages` inside this block, as bits `(lo, hi)`; empty when
    /// they do not meet.
    fn piece(&self, pages: Pages) -> (u64, u64) {
        let lo = self.bit(pages.lo.max(self.pages.lo));
        let hi = self.bit(pages.hi.min(self.pages.hi));
        (lo, hi.max(lo))
    }

    /// True when any page of `pages` inside this block is taken.
    fn any_taken(&self, pages: Pages) -> bool {
        let (lo, hi) = self.piece(pages);
        self.map.any_set(lo, hi)
    }

    /// True when every page of `pages` inside this block is taken.
    fn all_taken(&self, pages: Pages) -> bool {
        let (lo, hi) = self.piece(pages);
        self.map.all_set(lo, hi)
    }

    /// Marks the pages of `pages` inside this block taken.
    fn mark(&mut self, pages: Pages) {
        let (lo, hi) = self.piece(pages);
        self.map.set_range(lo, hi);
    }

    /// Marks the pages of `pages` inside this block free.
    fn unmark(&mut self, pages: Pages) {
        let (lo, hi) = self.piece(pages);
        self.map.clear_range(lo, hi);
    }

    /// The maximal runs of free pages of the block, ascending.
    fn free_runs(&self) -> impl Iterator<Item = Pages> + '_ {
        self.map
            .clear_runs(0, self.map.len())
            .map(|(lo, hi)| Pages {
                lo: self.pfn(lo),
                hi: self.pfn(hi),
            })
    }

    /// The `fit.pages` free pages of this block inside `[lo, hi)` with the
    /// lowest start that is a multiple of `fit.step`: a first fit that skips
    /// taken pages a word at a time and steps by alignment (absolute PFNs,
    /// not block-relative indexes: the lesson of 481ebd0d76b).
    fn first_fit(&self, lo: Pfn, hi: Pfn, fit: Fit) -> Option<Pages> {
        let lo = lo.max(self.pages.lo);
        let hi = hi.min(self.pages.hi);
        let mut pos = lo;
        while pos < hi {
            let free = self.pfn(self.map.find_next_clear(self.bit(pos), self.bit(hi))?);
            let start = align_up(free, fit.step)?;
            let end = start.checked_add(fit.pages)?;
            if end > hi {
                return None;
            }
            match self.map.find_next_set(self.bit(start), self.bit(end)) {
                None => return Some(Pages { lo: start, hi: end }),
                Some(taken) => pos = self.pfn(taken).checked_add(1)?,
            }
        }
        None
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

/// What an allocation needs from a bitmap, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fit {
    /// Pages touched: `[a, page_up(a + size))` for a page-aligned `a`.
    pages: u64,
    /// Start alignment in PFNs: `max(align, PAGE_SIZE) / PAGE_SIZE`.
    step: u64,
    /// Exclusive bound on the end PFN that keeps `a + size <= limit`
    /// (`u64::MAX` without a limit).
    end_cap: Pfn,
}

impl Fit {
    /// The page shape of a validated request, or `None` when its limit is
    /// below its size, so that nothing can ever be feasible.
    fn of(req: &AllocRequest) -> Option<Fit> {
        let pages = req.size.div_ceil(PAGE_SIZE);
        let step = req.align.max(PAGE_SIZE) >> PAGE_SHIFT;
        let end_cap = if req.limit == 0 {
            u64::MAX
        } else {
            // a + size <= limit  <=>  a / PAGE_SIZE <= (limit - size) / PAGE_SIZE
            let last_start = req.limit.checked_sub(req.size)? >> PAGE_SHIFT;
            last_start.saturating_add(pages)
        };
        Some(Fit {
            pages,
            step,
            end_cap,
        })
    }
}

/// The stages of SPEC section 4 that apply to `req`, in order, mapped onto
/// the mail's two calls:
///
/// | request | stages | native call |
/// |---|---|---|
/// | node `n`, `Exact` | 1 (on `n`, `>= goal`), 3 (on `n`, any start) | `alloc_bootmem_node`: `[goal, limit)` on the node, then anywhere on the node |
/// | node `n`, `Prefer` | 1, 2 (any node, `>= goal`), 3, 4 (any node, any start) | none: native bootmem2 never leaves the node; the contract demands it |
/// | no node | 2, 4 | `alloc_bootmem`: `[goal, limit)`, then anywhere |
///
/// `Exact` without a node acts as `Prefer`. A zero goal drops the repeated
/// stages 3 and 4. A goal past the last page start makes the goal stages
/// empty (they are not skipped, they simply have no placement).
fn stages(req: &AllocRequest) -> Vec<Stage> {
    let on = req.nid.map(Nodes::On);
    let any = match (req.nid, req.policy) {
        (Some(_), NodePolicy::Exact) => None,
        _ => Some(Nodes::Any),
    };
    let mut starts = vec![pfn_up(req.goal)];
    if req.goal != 0 {
        starts.push(Some(0));
    }
    let mut out = Vec::with_capacity(4);
    for from in starts.into_iter().flatten() {
        let from = from.max(1); // a >= PAGE_SIZE: page 0 is never handed out
        out.extend(
            [on, any]
                .into_iter()
                .flatten()
                .map(|nodes| Stage { nodes, from }),
        );
    }
    out
}

/// Pages of a bitmap over `pages` pages: `ceil(pages / 8)` bytes rounded up
/// to `sizeof(long)` (`bootmem_bootmap_pages`), then to whole pages.
fn bitmap_pages(pages: u64) -> u64 {
    let bytes = pages.div_ceil(u64::BITS.into()) * 8;
    bytes.div_ceil(PAGE_SIZE)
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
/// RAM exceeds [`MAX_TOTAL_PAGES`].
fn plan_bitmaps(ram: &[Ram]) -> Outcome<Vec<Plan>> {
    let blocks: Vec<(Nid, Pages)> = ram
        .iter()
        .filter_map(|r| Pages::whole_in(r.range).map(|p| (r.nid, p)))
        .collect();
    if blocks.is_empty() {
        return Err(Error::NoMem);
    }
    let total = blocks
        .iter()
        .fold(0u64, |sum, (_, p)| sum.saturating_add(p.len()));
    if total > MAX_TOTAL_PAGES {
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

/// The set-up allocator, or `Unsupported` before `setup` and `Retired`
/// after `release_all`.
fn ready_mut(state: &mut State) -> Outcome<&mut Ready> {
    match state {
        State::Registering => Err(Error::Unsupported),
        State::Ready(ready) => Ok(ready),
        State::Retired => Err(Error::Retired),
    }
}

impl Ready {
    /// Builds the blocks of the normalized `ram`: plans the bitmaps, then
    /// allocates each (all clear) and marks every bitmap's pages in the
    /// bitmap of the block holding them. Nothing is allocated when the plan
    /// fails.
    fn build(ram: &[Ram], bugs: BugSet) -> Outcome<Ready> {
        let plans = plan_bitmaps(ram)?;
        let mut blocks = Vec::with_capacity(plans.len());
        for plan in &plans {
            blocks.push(Block {
                nid: plan.nid,
                pages: plan.pages,
                map: Bitmap::try_new(plan.pages.len(), false).ok_or(Error::NoMem)?,
                bitmap_at: plan.bitmap_at,
            });
        }
        let mut meta: Vec<Pages> = plans.iter().map(|p| p.bitmap_at).collect();
        meta.sort_by_key(|p| p.lo);
        let mut ready = Ready {
            blocks,
            meta: Vec::with_capacity(meta.len()),
            bugs,
        };
        for pages in meta {
            if let Some(i) = ready.block_at(pages.lo) {
                ready.blocks[i].mark(pages);
            }
            match ready.meta.last_mut() {
                Some(last) if last.hi == pages.lo => last.hi = pages.hi,
                _ => ready.meta.push(pages),
            }
        }
        Ok(ready)
    }

    /// The index of the block holding page `pfn`, if any.
    fn block_at(&self, pfn: Pfn) -> Option<usize> {
        let after = self.blocks.partition_point(|b| b.pages.lo <= pfn);
        let i = after.checked_sub(1)?;
        (pfn < self.blocks.get(i)?.pages.hi).then_some(i)
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
        while self.blocks.get(last)?.pages.hi < pages.hi {
            let next = self.blocks.get(last + 1)?;
            if next.pages.lo != self.blocks[last].pages.hi {
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
        let mut out: Vec<Pages> = Vec::new();
        for run in self.blocks.iter().flat_map(Block::free_runs) {
            match out.last_mut() {
                Some(last) if last.hi == run.lo => last.hi = run.hi,
                _ => out.push(run),
            }
        }
        out
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
        let ready = ready_mut(&mut self.state)?;
        if size == 0 {
            return Ok(());
        }
        let rounded = Range::from_base_size(base, size)
            .and_then(Range::round_outward)
            .ok_or(Error::Invalid)?;
        let pages = Pages::of_aligned(rounded);
        let covering = ready.covering(nid, pages)?;
        for i in covering.clone() {
            if mode == ReserveMode::Exclusive && ready.blocks[i].any_taken(pages) {
                let marked = covering.start..i;
                if !ready.bugs.has(Bug::K1SkipRollback) {
                    marked.for_each(|j| ready.blocks[j].unmark(pages));
                }
                return Err(Error::Busy);
            }
            ready.blocks[i].mark(pages);
        }
        Ok(())
    }

    /// `free` and `free_node` (`nid` = `Some`): inward rounding, usable RAM,
    /// the node rule and the bitmaps (all `Invalid`), then `DoubleFree` or
    /// clearing, in every block the range covers.
    fn free_pages(&mut self, nid: Option<Nid>, base: PhysAddr, size: u64) -> Outcome<()> {
        let ready = ready_mut(&mut self.state)?;
        if size == 0 {
            return Ok(());
        }
        let rounded = Range::from_base_size(base, size)
            .ok_or(Error::Invalid)?
            .round_inward();
        if rounded.is_empty() {
            return Ok(());
        }
        let pages = Pages::of_aligned(rounded);
        let covering = ready.covering(nid, pages)?;
        if ready.meta.iter().any(|m| m.overlaps(pages)) {
            return Err(Error::Invalid);
        }
        if !covering.clone().all(|i| ready.blocks[i].all_taken(pages)) {
            return Err(Error::DoubleFree);
        }
        covering.for_each(|i| ready.blocks[i].unmark(pages));
        Ok(())
    }

    /// Inserts a checked range, merging it with the ranges of the same node
    /// that end where it starts or start where it ends.
    fn insert_normalized(&mut self, range: Range, nid: Nid) {
        let mut merged = range;
        self.ram.retain(|r| {
            let touches = r.range.end() == range.start() || r.range.start() == range.end();
            if r.nid == nid && touches {
                let start = merged.start().min(r.range.start());
                let end = merged.end().max(r.range.end());
                merged = Range::new(start, end).unwrap_or(merged);
                false
            } else {
                true
            }
        });
        let at = self
            .ram
            .partition_point(|r| r.range.start() < merged.start());
        self.ram.insert(at, Ram { range: merged, nid });
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

    /// Registers RAM before `setup` (`Unsupported` after it, `Retired` after
    /// `release_all`). `Invalid` for an empty range, `nid >= MAX_NODES`, or
    /// any byte overlap with registered RAM. Adjacent ranges of the same
    /// node merge into one, which becomes one block.
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        match self.state {
            State::Registering => {}
            State::Ready(_) => return Err(Error::Unsupported),
            State::Retired => return Err(Error::Retired),
        }
        if range.is_empty() || nid >= MAX_NODES || self.ram.iter().any(|r| r.range.overlaps(range))
        {
            return Err(Error::Invalid);
        }
        self.insert_normalized(range, nid);
        Ok(())
    }

    /// Makes one block per registered range with a whole page, gives each
    /// its own bitmap (placed as [`plan_bitmaps`] says) and enables the
    /// allocator. `NoMem` when there is no usable page or some bitmap fits
    /// nowhere; a failed setup changes nothing, so more RAM may be added and
    /// setup retried. `Unsupported` when already set up.
    fn setup(&mut self) -> Outcome<()> {
        match self.state {
            State::Registering => {}
            State::Ready(_) => return Err(Error::Unsupported),
            State::Retired => return Err(Error::Retired),
        }
        self.state = State::Ready(Ready::build(&self.ram, self.bugs)?);
        Ok(())
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
        let ready = ready_mut(&mut self.state)?;
        req.validate()?;
        let Some(fit) = Fit::of(req) else {
            return Err(req.failure());
        };
        let found = stages(req)
            .into_iter()
            .find_map(|stage| ready.first_fit_in_stage(stage, fit));
        let Some((block, pages)) = found else {
            return Err(req.failure());
        };
        ready.blocks[block].mark(pages);
        Ok(pages.bytes().start())
    }

    /// Hands each maximal run of free pages of each block to `sink`, then
    /// every block's bitmap pages, and returns the number of pages handed
    /// over (free pages plus bitmap pages, as `free_all_bootmem` counts).
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        ready_mut(&mut self.state)?;
        let State::Ready(ready) = std::mem::replace(&mut self.state, State::Retired) else {
            return Err(Error::Unsupported);
        };
        let mut count = 0;
        for run in ready.blocks.iter().flat_map(Block::free_runs) {
            sink(run.bytes());
            count += run.len();
        }
        for block in &ready.blocks {
            sink(block.bitmap_at.bytes());
            count += block.bitmap_at.len();
        }
        Ok(count)
    }

    fn metadata(&self) -> Vec<Range> {
        match &self.state {
            State::Ready(ready) => ready.meta.iter().map(|m| m.bytes()).collect(),
            State::Registering | State::Retired => Vec::new(),
        }
    }

    fn free_map(&self) -> Vec<Range> {
        match &self.state {
            State::Ready(ready) => ready.free_runs().into_iter().map(Pages::bytes).collect(),
            State::Registering | State::Retired => Vec::new(),
        }
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
    use crate::{NodePolicy, OnFail};

    const P: u64 = PAGE_SIZE;
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    fn r(start: u64, end: u64) -> Range {
        Range::new(start, end).expect("test range")
    }

    /// A bootmem2 with `map` registered (start, end, nid) and set up.
    fn booted(map: &[(u64, u64, Nid)]) -> Bootmem2 {
        booted_with(map, BugSet::NONE)
    }

    /// As [`booted`], with `bugs` planted.
    fn booted_with(map: &[(u64, u64, Nid)], bugs: BugSet) -> Bootmem2 {
        let mut bm = Bootmem2::with_bugs(bugs);
        for &(start, end, nid) in map {
            assert_eq!(bm.add_memory(r(start, end), nid), Ok(()));
        }
        assert_eq!(bm.setup(), Ok(()));
        bm
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

    /// A request for `size` bytes with the given alignment and no goal, limit
    /// or node, that returns `NoMem` on failure.
    fn req(size: u64, align: u64) -> AllocRequest {
        AllocRequest::new(size, align)
    }

    /// The same request, on node `nid` with `policy`.
    fn on(nid: Nid, policy: NodePolicy, mut base: AllocRequest) -> AllocRequest {
        base.nid = Some(nid);
        base.policy = policy;
        base
    }

    fn release(bm: &mut Bootmem2) -> (Outcome<u64>, Vec<Range>) {
        let mut got = Vec::new();
        let count = bm.release_all(&mut |range| got.push(range));
        (count, got)
    }

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
        let State::Ready(ready) = &bm.state else {
            panic!("not set up");
        };
        let homes: Vec<Pages> = ready.blocks.iter().map(|b| b.bitmap_at).collect();
        assert_eq!(homes, vec![Pages { lo: 1, hi: 2 }, Pages { lo: 2, hi: 3 }]);
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
        let State::Ready(ready) = &bm.state else {
            panic!("not set up");
        };
        let homes: Vec<Pages> = ready.blocks.iter().map(|b| b.bitmap_at).collect();
        assert_eq!(
            homes,
            vec![
                Pages { lo: 5, hi: 6 },
                Pages { lo: 9, hi: 10 },
                Pages { lo: 10, hi: 11 }
            ]
        );
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
        let State::Ready(ready) = &bm.state else {
            panic!("not set up");
        };
        let homes: Vec<Pages> = ready.blocks.iter().map(|b| b.bitmap_at).collect();
        assert_eq!(
            homes,
            vec![
                Pages { lo: 1, hi: 2 },
                Pages { lo: 16, hi: 18 },
                Pages { lo: 2, hi: 3 }
            ]
        );
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

    /// Expect NoMem for more RAM than [`MAX_TOTAL_PAGES`], even though the
    /// one huge block could hold its bitmap: a host limit, decided before
    /// any bitmap is allocated.
    #[test]
    fn more_ram_than_the_host_limit_is_nomem() {
        let mut bm = Bootmem2::new();
        assert_eq!(bm.add_memory(r(0, 1 << 62), 0), Ok(()));
        assert_eq!(bm.setup(), Err(Error::NoMem));
        let mut two = Bootmem2::new();
        let half = MAX_TOTAL_PAGES / 2 * P;
        assert_eq!(two.add_memory(r(0, half), 0), Ok(()));
        assert_eq!(two.add_memory(r(1 << 62, (1 << 62) + half + P), 1), Ok(()));
        assert_eq!(two.setup(), Err(Error::NoMem), "the sum counts");
    }

    #[test]
    fn setup_twice_is_unsupported_and_so_is_add_memory_after_it() {
        let mut bm = booted(&[(0, MIB, 0)]);
        assert_eq!(bm.setup(), Err(Error::Unsupported));
        assert_eq!(bm.add_memory(r(MIB, 2 * MIB), 0), Err(Error::Unsupported));
        assert_eq!(bm.metadata(), vec![r(P, 2 * P)]);
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
            bm.ram,
            vec![Ram {
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
        let mut bm = Bootmem2::new();
        assert_eq!(bm.add_memory(r(0, MIB), 0), Ok(()));
        let unsupported = Err(Error::Unsupported);
        assert_eq!(bm.reserve(0, 0, ReserveMode::Default), unsupported);
        assert_eq!(
            bm.reserve_node(0, P, P, ReserveMode::Exclusive),
            unsupported
        );
        assert_eq!(bm.free(0, 0), unsupported);
        assert_eq!(bm.free_node(0, P, P), unsupported);
        assert_eq!(bm.alloc(&req(0, 3)), Err(Error::Unsupported));
        assert_eq!(release(&mut bm), (Err(Error::Unsupported), vec![]));
        assert!(bm.metadata().is_empty() && bm.free_map().is_empty());
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

    #[test]
    fn every_call_after_release_all_is_retired() {
        let mut bm = booted(&[(0, MIB, 0)]);
        assert!(release(&mut bm).0.is_ok());
        let retired = Err(Error::Retired);
        assert_eq!(bm.add_memory(r(MIB, 2 * MIB), 0), retired);
        assert_eq!(bm.setup(), retired);
        assert_eq!(bm.reserve(P, P, ReserveMode::Default), retired);
        assert_eq!(bm.reserve_node(0, P, 0, ReserveMode::Default), retired);
        assert_eq!(bm.free(P, 0), retired);
        assert_eq!(bm.free_node(0, P, P), retired);
        assert_eq!(bm.alloc(&req(P, P)), Err(Error::Retired));
        assert_eq!(release(&mut bm), (Err(Error::Retired), vec![]));
        assert!(bm.metadata().is_empty() && bm.free_map().is_empty());
    }

    // ---- reserve -------------------------------------------------------

    #[test]
    fn reserve_of_size_zero_is_ok_anywhere_and_changes_nothing() {
        let mut bm = booted(&[(0, MIB, 0)]);
        assert_eq!(bm.reserve(u64::MAX, 0, ReserveMode::Exclusive), Ok(()));
        assert_eq!(
            bm.reserve_node(99, 5 * MIB, 0, ReserveMode::Default),
            Ok(())
        );
        assert_eq!(bm.free_map(), vec![r(0, P), r(2 * P, MIB)]);
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

    /// ```text
    ///   |.|B|r|r|.....|    reserve(0x2800, 0x1000)
    ///         [ ]  the request straddles pages 2 and 3
    /// ```
    /// Expect both pages taken: reserve rounds outward.
    #[test]
    fn reserve_rounds_outward_to_whole_pages() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.reserve(0x2800, 0x1000, ReserveMode::Default), Ok(()));
        assert_eq!(bm.free_map(), vec![r(0, P), r(4 * P, 16 * P)]);
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
        let mut bm = booted(&[(0, MIB, 0)]);
        assert_eq!(bm.free(u64::MAX, 0), Ok(()));
        assert_eq!(bm.free_node(7, u64::MAX, 0), Ok(()));
        assert_eq!(bm.free(u64::MAX - 10, 20), Err(Error::Invalid));
        assert_eq!(bm.free_node(0, 2, u64::MAX), Err(Error::Invalid));
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

    /// ```text
    ///   |.|B|r|.|r|....|
    ///       [     ]      free of pages 2..5, page 3 already free
    /// ```
    /// Expect DoubleFree and no change.
    #[test]
    fn free_of_partly_free_memory_is_a_double_free_and_changes_nothing() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.reserve(2 * P, P, ReserveMode::Default), Ok(()));
        assert_eq!(bm.reserve(4 * P, P, ReserveMode::Default), Ok(()));
        let before = bm.free_map();
        assert_eq!(bm.free(2 * P, 3 * P), Err(Error::DoubleFree));
        assert_eq!(bm.free_node(0, 2 * P, 3 * P), Err(Error::DoubleFree));
        assert_eq!(bm.free(8 * P, P), Err(Error::DoubleFree));
        assert_eq!(bm.free_map(), before);
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
        let mut bm = booted(&[(0, MIB, 0)]);
        assert_eq!(bm.alloc(&req(0, P)), Err(Error::Invalid));
        assert_eq!(bm.alloc(&req(P, 0)), Err(Error::Invalid));
        assert_eq!(bm.alloc(&req(P, 3 * P)), Err(Error::Invalid));
        assert_eq!(bm.alloc(&req(P, 1)), Ok(2 * P));
    }

    /// ```text
    ///   |.|B|a|aa|aa|......|
    /// ```
    /// Expect first fit from page 2 up, whole pages per allocation.
    #[test]
    fn alloc_takes_the_lowest_free_pages_above_page_zero() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        assert_eq!(bm.alloc(&req(1, 1)), Ok(2 * P));
        assert_eq!(bm.alloc(&req(P + 1, 64)), Ok(3 * P));
        assert_eq!(bm.alloc(&req(2 * P, P)), Ok(5 * P));
        assert_eq!(bm.free_map(), vec![r(0, P), r(7 * P, 16 * P)]);
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

    /// ```text
    ///   |.|B|....|a|.....|
    ///            ^ goal 0xa001: the first page start at or above it is 11
    /// ```
    /// Expect the lowest start >= goal, and below it only when nothing fits
    /// above (stage 4 after stage 2).
    #[test]
    fn alloc_respects_the_goal_then_falls_back_below_it() {
        let mut bm = booted(&[(0, 16 * P, 0)]);
        let mut at_goal = req(P, P);
        at_goal.goal = 10 * P + 1;
        assert_eq!(bm.alloc(&at_goal), Ok(11 * P));
        at_goal.size = 5 * P;
        assert_eq!(bm.alloc(&at_goal), Ok(2 * P));
        at_goal.goal = u64::MAX;
        at_goal.size = P;
        assert_eq!(bm.alloc(&at_goal), Ok(7 * P));
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

    /// Expect the only 2^63-aligned page of RAM to be found.
    #[test]
    fn alloc_with_the_largest_alignment() {
        let mut bm = booted(&[((1 << 63) - 8 * P, (1 << 63) + 8 * P, 0)]);
        assert_eq!(bm.alloc(&req(2 * P, 1 << 63)), Ok(1 << 63));
        assert_eq!(bm.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
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

    const N: u64 = 48;

    impl Model {
        fn new(ram: &[(Range, Nid)], meta: &[Range]) -> Model {
            let mut norm: Vec<(Range, Nid)> = Vec::new();
            for &(range, nid) in ram {
                match norm.last_mut() {
                    Some((last, n)) if *n == nid && last.end() == range.start() => {
                        *last = r(last.start(), range.end());
                    }
                    _ => norm.push((range, nid)),
                }
            }
            let blocks: Vec<(u64, u64, Nid)> = norm
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

        fn reserve(&mut self, nid: Option<Nid>, base: u64, size: u64, excl: bool) -> Outcome<()> {
            if size == 0 {
                return Ok(());
            }
            let end = base.checked_add(size).ok_or(Error::Invalid)?;
            let lo = base / P;
            let hi = end.checked_add(P - 1).ok_or(Error::Invalid)? / P;
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
            if size == 0 {
                return Ok(());
            }
            let end = base.checked_add(size).ok_or(Error::Invalid)?;
            let Some(lo) = base.checked_add(P - 1).map(|b| b / P) else {
                return Ok(());
            };
            let hi = end / P;
            if lo >= hi {
                return Ok(());
            }
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
            let plan = [(true, true), (false, true), (true, false), (false, false)];
            for (on_node, goal) in plan {
                if (on_node && q.nid.is_none())
                    || (!on_node && q.policy == NodePolicy::Exact && q.nid.is_some())
                    || (!goal && q.goal == 0)
                {
                    continue;
                }
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
            let mut out: Vec<Range> = Vec::new();
            for p in (0..N).filter(|&p| self.pages[p as usize] == Pg::Free) {
                match out.last_mut() {
                    Some(last) if last.end() == p * P => *last = r(last.start(), (p + 1) * P),
                    _ => out.push(r(p * P, (p + 1) * P)),
                }
            }
            out
        }

        fn count(&self, state: Pg) -> u64 {
            self.pages.iter().filter(|&&s| s == state).count() as u64
        }
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// An address near a page boundary of the model's space, or wild.
        fn addr(&mut self) -> u64 {
            match self.below(8) {
                0 => u64::MAX - self.below(3 * P),
                1 => self.next(),
                _ => (self.below(N + 2) * P)
                    .wrapping_add(self.below(3))
                    .wrapping_sub(1),
            }
        }

        fn size(&mut self) -> u64 {
            match self.below(8) {
                0 => 0,
                1 => u64::MAX - self.below(3),
                2 => self.below(3 * P),
                _ => self.below(10) * P + self.below(3),
            }
        }
    }

    /// A random small map: up to six ranges in order, often touching, edges
    /// often off page boundaries, nodes 0..3, sometimes a one-page range at
    /// page 0 (whose bitmap must go elsewhere).
    fn random_map(rng: &mut Rng) -> Vec<(Range, Nid)> {
        let mut map = Vec::new();
        let mut at = rng.below(3) * P + rng.below(2) * 0x800;
        for _ in 0..1 + rng.below(6) {
            let len = (1 + rng.below(12)) * P + rng.below(2) * 0x800;
            let len = if at == 0 && rng.below(4) == 0 { P } else { len };
            let end = at + len;
            if end > N * P {
                break;
            }
            map.push((r(at, end), rng.below(3) as Nid));
            at = end + rng.below(3) * P * rng.below(2);
        }
        map
    }

    fn random_request(rng: &mut Rng) -> AllocRequest {
        let mut q = req(
            rng.size(),
            [0, 1, 3, 64, P, 2 * P, 4 * P, 1 << 63][rng.below(8) as usize],
        );
        if rng.below(8) == 0 {
            q.size = 1 + rng.below(20) * P / 3;
        }
        q.goal = [0, 0, rng.addr(), rng.below(N) * P][rng.below(4) as usize];
        q.limit = [0, 0, rng.addr(), rng.below(N) * P + rng.below(2)][rng.below(4) as usize];
        q.nid = [None, Some(0), Some(1), Some(2), Some(70)][rng.below(5) as usize];
        q.policy = if rng.below(3) == 0 {
            NodePolicy::Exact
        } else {
            NodePolicy::Prefer
        };
        q.on_fail = if rng.below(2) == 0 {
            OnFail::Null
        } else {
            OnFail::Panic
        };
        q
    }

    /// Expect every outcome and every free map to match the page-at-a-time
    /// model over thousands of random small scenarios, and release_all to
    /// count the free pages plus the bitmap pages.
    #[test]
    fn random_scenarios_match_a_page_at_a_time_model() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for scenario in 0..5000 {
            let map = random_map(&mut rng);
            let mut bm = Bootmem2::new();
            for &(range, nid) in &map {
                assert_eq!(bm.add_memory(range, nid), Ok(()));
            }
            if bm.setup().is_err() {
                continue;
            }
            let mut model = Model::new(&map, &bm.metadata());
            assert_eq!(bm.free_map(), model.free_map(), "scenario {scenario} setup");
            for op in 0..40 {
                let nid = [None, Some(0), Some(1), Some(2)][rng.below(4) as usize];
                let (base, size) = (rng.addr(), rng.size());
                let (got, want) = match rng.below(3) {
                    0 => {
                        let excl = rng.below(2) == 0;
                        let mode = if excl {
                            ReserveMode::Exclusive
                        } else {
                            ReserveMode::Default
                        };
                        let got = match nid {
                            None => bm.reserve(base, size, mode),
                            Some(n) => bm.reserve_node(n, base, size, mode),
                        };
                        (
                            got.map(|()| 0),
                            model.reserve(nid, base, size, excl).map(|()| 0),
                        )
                    }
                    1 => {
                        let got = match nid {
                            None => bm.free(base, size),
                            Some(n) => bm.free_node(n, base, size),
                        };
                        (got.map(|()| 0), model.free(nid, base, size).map(|()| 0))
                    }
                    _ => {
                        let q = random_request(&mut rng);
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
