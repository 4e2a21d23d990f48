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
//! - each bitmap lives in managed memory (SPEC section 5): at the lowest free
//!   pages of its own block at or above `PAGE_SIZE` when it fits there, else
//!   at the lowest fit inside one block of any block, in address order. Its
//!   pages are set in the bitmap of the block holding them, reported by
//!   [`BootMem::metadata`], and handed over at `release_all`;
//! - an allocation is a lowest-first, word-at-a-time first fit inside one
//!   block (a placement never crosses blocks, hence never nodes), block by
//!   block in address order, stage by stage (SPEC section 4).
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
/// order; a range without a whole page has no block. Block by block, the
/// bitmap takes the lowest free pages of its own block at or above
/// `PAGE_SIZE` if it fits there, else the lowest fit inside one block of any
/// block. Within a block the bitmaps placed so far always form one run from
/// its first page (not page 0) up, so a cursor per block is its free space.
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
    for (i, &(nid, pages)) in blocks.iter().enumerate() {
        let need = bitmap_pages(pages.len());
        let fits = |j: usize| {
            let lo = cursor[j];
            lo.checked_add(need)
                .filter(|&hi| hi <= blocks[j].1.hi)
                .map(|hi| (j, Pages { lo, hi }))
        };
        let (j, bitmap_at) = fits(i)
            .or_else(|| (0..blocks.len()).find_map(fits))
            .ok_or(Error::NoMem)?;
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
