//! The reference model (SPEC section 6): an interval map of the usable RAM
//! whose states are free, reserved, allocated (with id), slack (with id) and
//! metadata. Holes are simply not covered.
//!
//! The model decides every expected outcome of SPEC section 3 and every
//! feasibility question of SPEC section 4 by scanning intervals, and is kept
//! small enough to be obviously right: a sorted `Vec` of segments, scanned
//! in order. Two things keep it cheap without a second structure: a question
//! about one range binary-searches the segments it touches (an edit rebuilds
//! only those), and the free map, metadata and fingerprint are cached until
//! the next edit. Page-granular backends see the same code with every RAM
//! range rounded inward to whole pages and every op range rounded per the
//! contract.

use crate::differential;
use crate::scenario::MemoryMap;
use bootmem::range::{align_down, align_up, is_page_aligned, page_down, page_up};
use bootmem::{
    AllocRequest, Error, Granularity, Nid, NodePolicy, Outcome, PhysAddr, Profile, Range,
    ReserveMode, PAGE_SIZE,
};
use std::cell::OnceCell;

/// What one byte of usable RAM is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Free for allocation and hand-off.
    Free,
    /// Taken by a `reserve`.
    Reserved,
    /// Taken by the live allocation with this id.
    Allocated(u32),
    /// The unused tail of the last page of allocation `id` (page backends):
    /// not free, never handed out again while the allocation's page lives.
    Slack(u32),
    /// The backend's own metadata.
    Metadata,
}

impl State {
    /// A short name for reports and finding classes.
    pub const fn name(self) -> &'static str {
        match self {
            State::Free => "free",
            State::Reserved => "reserved",
            State::Allocated(_) => "allocated",
            State::Slack(_) => "slack",
            State::Metadata => "metadata",
        }
    }
}

/// A maximal piece of usable RAM of one node in one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The bytes.
    pub range: Range,
    /// The node whose RAM it is.
    pub nid: Nid,
    /// What the bytes are doing.
    pub state: State,
}

/// The stages of SPEC section 4, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// On the requested node, start `>= goal`.
    NodeGoal = 1,
    /// Any node, start `>= goal`.
    AnyGoal = 2,
    /// On the requested node, any start.
    NodeAny = 3,
    /// Any node, any start.
    AnyAny = 4,
}

impl Stage {
    /// The stages that apply to `req`, in order (SPEC section 4): no node
    /// skips 1 and 3; `exact` skips 2 and 4; goal 0 makes 3 and 4 repeats.
    /// `exact` without a node has no node to be exact about and acts as
    /// `prefer` (as memblock's `exact_nid` with `NUMA_NO_NODE` does).
    pub fn for_request(req: &AllocRequest) -> Vec<Stage> {
        Stage::of_request(req).collect()
    }

    /// [`Stage::for_request`], without collecting.
    pub fn of_request(req: &AllocRequest) -> impl Iterator<Item = Stage> + '_ {
        [
            Stage::NodeGoal,
            Stage::AnyGoal,
            Stage::NodeAny,
            Stage::AnyAny,
        ]
        .into_iter()
        .filter(|s| req.nid.is_some() || !s.on_node())
        .filter(|s| req.policy == NodePolicy::Prefer || req.nid.is_none() || s.on_node())
        .filter(|s| req.goal != 0 || s.above_goal())
    }

    /// True for the stages that require the requested node.
    pub const fn on_node(self) -> bool {
        matches!(self, Stage::NodeGoal | Stage::NodeAny)
    }

    /// True for the stages that require `start >= goal`.
    pub const fn above_goal(self) -> bool {
        matches!(self, Stage::NodeGoal | Stage::AnyGoal)
    }
}

/// The model's answer to an allocation request, computed before the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocVerdict {
    /// The request is malformed: the call must return `Invalid`.
    Invalid,
    /// No stage has a feasible placement: the call must fail.
    Infeasible,
    /// `stage` is the first stage with a feasible placement; `lowest` and
    /// `highest` are its extreme feasible starts.
    Feasible {
        /// The first non-empty stage.
        stage: Stage,
        /// Its lowest feasible start.
        lowest: PhysAddr,
        /// Its highest feasible start.
        highest: PhysAddr,
    },
}

/// Caches of values computed from a model's segments: each is filled when
/// first asked for, and [`Model::set`], the only writer of the segments,
/// empties them all.
#[derive(Clone, Debug, Default)]
struct Derived {
    /// [`Model::free_map`].
    free: OnceCell<Vec<Range>>,
    /// [`Model::metadata`].
    metadata: OnceCell<Vec<Range>>,
    /// [`Model::fingerprint`].
    fingerprint: OnceCell<u64>,
}

/// The reference model of one backend's memory.
#[derive(Clone, Debug)]
pub struct Model {
    granularity: Granularity,
    crosses_nodes: bool,
    /// The usable RAM ranges (whole pages for page backends), sorted.
    ram: Vec<(Range, Nid)>,
    /// Segments covering exactly the usable RAM, sorted, maximal (no two
    /// neighbours of the same node and state touch: the memory map joins
    /// touching ranges of one node, and [`Model::set`] coalesces).
    segs: Vec<Segment>,
    /// What is computed from `segs` on demand, kept until `segs` changes.
    derived: Derived,
    retired: bool,
}

impl Model {
    /// A model of `map` as a backend with `profile` sees it right after
    /// registration: every usable byte free.
    pub fn new(map: &MemoryMap, profile: &Profile) -> Model {
        let ram: Vec<(Range, Nid)> = map
            .ranges()
            .iter()
            .map(|r| match profile.granularity {
                Granularity::Page => (r.range.round_inward(), r.nid),
                Granularity::Byte => (r.range, r.nid),
            })
            .filter(|(r, _)| !r.is_empty())
            .collect();
        let segs = ram
            .iter()
            .map(|&(range, nid)| Segment {
                range,
                nid,
                state: State::Free,
            })
            .collect();
        Model {
            granularity: profile.granularity,
            crosses_nodes: profile.crosses_nodes,
            ram,
            segs,
            derived: Derived::default(),
            retired: false,
        }
    }

    /// The ranges of the segments in `state`, merged, one at a time.
    fn merged_in(&self, state: State) -> impl Iterator<Item = Range> + '_ {
        let ranges = self.segs.iter().filter(move |s| s.state == state);
        Merged::new(ranges.map(|s| s.range))
    }

    /// [`Model::merged_in`], collected.
    fn collect_merged_in(&self, state: State) -> Vec<Range> {
        // Sized once: at most one range per segment.
        let mut out = Vec::with_capacity(self.segs.len());
        out.extend(self.merged_in(state));
        out
    }

    /// The usable RAM ranges and their nodes.
    pub fn ram(&self) -> &[(Range, Nid)] {
        &self.ram
    }

    /// The current segments, sorted.
    pub fn segments(&self) -> &[Segment] {
        &self.segs
    }

    /// True once `release_all` succeeded.
    pub fn is_retired(&self) -> bool {
        self.retired
    }

    /// The indices in `segs` of the segments that may overlap `range`: a
    /// binary search, as the segments are sorted and disjoint (for an
    /// empty `range`, possibly one segment around it, which shares no byte).
    fn window(&self, range: Range) -> std::ops::Range<usize> {
        let lo = self
            .segs
            .partition_point(|s| s.range.end() <= range.start());
        let after = self.segs.get(lo..).unwrap_or_default();
        lo..lo + after.partition_point(|s| s.range.start() < range.end())
    }

    /// The segments overlapping `range`, clipped to it.
    pub fn pieces(&self, range: Range) -> impl Iterator<Item = Segment> + '_ {
        let window = self.segs.get(self.window(range)).unwrap_or_default();
        window.iter().filter_map(move |s| {
            s.range.intersect(range).map(|r| Segment {
                range: r,
                nid: s.nid,
                state: s.state,
            })
        })
    }

    /// True when every byte of `range` is usable RAM (an empty range is).
    pub fn is_ram(&self, range: Range) -> bool {
        let mut next = range.start();
        for seg in self.pieces(range) {
            if seg.range.start() != next {
                return false;
            }
            next = seg.range.end();
        }
        next == range.end()
    }

    /// True when `range` lies inside one usable RAM range of node `nid`.
    pub fn in_node_range(&self, nid: Nid, range: Range) -> bool {
        self.ram.iter().any(|&(r, n)| n == nid && r.contains(range))
    }

    /// The nodes whose RAM `range` touches, ascending, each once.
    pub fn nodes_of(&self, range: Range) -> Vec<Nid> {
        let mut nids: Vec<Nid> = self.pieces(range).map(|s| s.nid).collect();
        nids.sort_unstable();
        nids.dedup();
        nids
    }

    /// True when `range` touches RAM of node `nid` and of no other node:
    /// `nodes_of(range) == [nid]`, without building the list.
    pub fn only_on_node(&self, range: Range, nid: Nid) -> bool {
        let mut pieces = self.pieces(range).peekable();
        pieces.peek().is_some() && pieces.all(|s| s.nid == nid)
    }

    /// True when `range` touches RAM of two or more nodes:
    /// `nodes_of(range).len() > 1`, without building the list.
    pub fn spans_nodes(&self, range: Range) -> bool {
        let mut nids = self.pieces(range).map(|s| s.nid);
        nids.next().is_some_and(|first| nids.any(|n| n != first))
    }

    /// The first state other than `Free` in `range`, if any.
    pub fn first_taken(&self, range: Range) -> Option<Segment> {
        self.pieces(range).find(|s| s.state != State::Free)
    }

    /// The free RAM as sorted, maximal ranges (nodes merged where they touch).
    pub fn free_map(&self) -> Vec<Range> {
        self.free_ranges().to_vec()
    }

    /// As [`Model::free_map`], borrowed.
    pub fn free_ranges(&self) -> &[Range] {
        self.derived
            .free
            .get_or_init(|| self.collect_merged_in(State::Free))
    }

    /// The metadata as sorted, maximal ranges.
    pub fn metadata(&self) -> Vec<Range> {
        self.metadata_ranges().to_vec()
    }

    /// As [`Model::metadata`], borrowed.
    pub fn metadata_ranges(&self) -> &[Range] {
        self.derived
            .metadata
            .get_or_init(|| self.collect_merged_in(State::Metadata))
    }

    /// [`differential::fingerprint`] of the free map and metadata, computed
    /// once per state of the model. The free map is kept (a failed call's
    /// check compares it next); the metadata is hashed as it is walked.
    pub fn fingerprint(&self) -> u64 {
        *self.derived.fingerprint.get_or_init(|| {
            let free = self.free_ranges().iter().copied();
            differential::fingerprint(free, self.merged_in(State::Metadata))
        })
    }

    /// Sets every byte of `range` (which must be usable RAM) whose state
    /// satisfies `from` to `to`.
    pub fn set(&mut self, range: Range, from: impl Fn(State) -> bool, to: State) {
        if range.is_empty() {
            return;
        }
        // Only the segments overlapping `range` change; their neighbours on
        // either side are rebuilt with them so that pieces joining across
        // the window's edges coalesce (the rest is maximal already).
        let window = self.window(range);
        let lo = window.start.saturating_sub(1);
        let hi = (window.end + 1).min(self.segs.len());
        let mut out = Vec::with_capacity(hi - lo + 2);
        for seg in self.segs.get(lo..hi).unwrap_or_default() {
            match seg.range.intersect(range) {
                Some(mid) if from(seg.state) => {
                    let before = Range::new(seg.range.start(), mid.start());
                    let after = Range::new(mid.end(), seg.range.end());
                    for (r, state) in [(before, seg.state), (Some(mid), to), (after, seg.state)] {
                        if let Some(r) = r.filter(|r| !r.is_empty()) {
                            out.push(Segment {
                                range: r,
                                nid: seg.nid,
                                state,
                            });
                        }
                    }
                }
                _ => out.push(*seg),
            }
        }
        coalesce(&mut out);
        self.segs.splice(lo..hi, out);
        self.derived = Derived::default();
    }

    /// The range the contract says a `reserve` of `[base, base + size)`
    /// touches: rounded outward on page backends. `None` on overflow.
    fn reserve_range(&self, base: PhysAddr, size: u64) -> Option<Range> {
        let r = Range::from_base_size(base, size)?;
        match self.granularity {
            Granularity::Page => r.round_outward(),
            Granularity::Byte => Some(r),
        }
    }

    /// The range the contract says a `free` of `[base, base + size)`
    /// touches: rounded inward on page backends. `None` on overflow.
    fn free_range(&self, base: PhysAddr, size: u64) -> Option<Range> {
        let r = Range::from_base_size(base, size)?;
        match self.granularity {
            Granularity::Page => Some(r.round_inward()),
            Granularity::Byte => Some(r),
        }
    }

    /// The expected outcome of `reserve` / `reserve_node` (with `node`), and
    /// its effect applied when it is `Ok` (SPEC section 3).
    pub fn reserve(
        &mut self,
        node: Option<Nid>,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        if self.retired {
            return Err(Error::Retired);
        }
        if size == 0 {
            return Ok(());
        }
        let range = self.reserve_range(base, size).ok_or(Error::Invalid)?;
        if !self.is_ram(range) {
            return Err(Error::Invalid);
        }
        if let Some(nid) = node {
            if !self.in_node_range(nid, range) {
                return Err(Error::Invalid);
            }
        }
        if mode == ReserveMode::Exclusive && self.first_taken(range).is_some() {
            return Err(Error::Busy);
        }
        self.set(range, |s| s == State::Free, State::Reserved);
        Ok(())
    }

    /// The expected outcome of `free` / `free_node` (with `node`), and its
    /// effect applied when it is `Ok` (SPEC section 3).
    pub fn free(&mut self, node: Option<Nid>, base: PhysAddr, size: u64) -> Outcome<()> {
        if self.retired {
            return Err(Error::Retired);
        }
        if size == 0 {
            return Ok(());
        }
        let range = self.free_range(base, size).ok_or(Error::Invalid)?;
        if range.is_empty() {
            return Ok(());
        }
        if !self.is_ram(range) {
            return Err(Error::Invalid);
        }
        if let Some(nid) = node {
            if !self.in_node_range(nid, range) {
                return Err(Error::Invalid);
            }
        }
        if self.pieces(range).any(|s| s.state == State::Metadata) {
            return Err(Error::Invalid);
        }
        if self.pieces(range).any(|s| s.state == State::Free) {
            return Err(Error::DoubleFree);
        }
        self.set(range, |_| true, State::Free);
        Ok(())
    }

    /// The bytes an allocation `[a, a + size)` takes: whole pages on page
    /// backends. `None` on overflow.
    pub fn alloc_footprint(&self, a: PhysAddr, size: u64) -> Option<Range> {
        let r = Range::from_base_size(a, size)?;
        match self.granularity {
            Granularity::Page => Range::new(page_down(a), page_up(r.end())?),
            Granularity::Byte => Some(r),
        }
    }

    /// The free segments a stage may use: only node `on_node` if given.
    fn free_segs(&self, on_node: Option<Nid>) -> impl DoubleEndedIterator<Item = &Segment> {
        self.segs
            .iter()
            .filter(move |s| s.state == State::Free && on_node.is_none_or(|n| n == s.nid))
    }

    /// Maximal runs of contiguous free RAM a placement may lie in for a
    /// stage, ascending: only node `on_node` if given; split at node
    /// changes unless `cross` allows spanning nodes.
    fn free_runs(&self, on_node: Option<Nid>, cross: bool) -> impl Iterator<Item = Range> + '_ {
        join_runs(self.free_segs(on_node), cross)
    }

    /// The lowest and highest feasible starts of `req` in `stage`
    /// (SPEC section 4), or `None` when the stage is empty: the first
    /// feasible start of the lowest run that has one and the last of the
    /// highest, each found by walking the runs from its own end.
    pub fn stage_bounds(&self, req: &AllocRequest, stage: Stage) -> Option<(PhysAddr, PhysAddr)> {
        let on_node = if stage.on_node() { req.nid } else { None };
        let cross = self.crosses_nodes && req.nid.is_none();
        let page = self.granularity == Granularity::Page;
        let align = if page {
            req.align.max(PAGE_SIZE)
        } else {
            req.align
        };
        let taken_len = if page { page_up(req.size)? } else { req.size };
        let mut lo = PAGE_SIZE;
        if stage.above_goal() {
            lo = lo.max(req.goal);
        }
        // The first and last feasible starts within one run, if any.
        let feasible = |run: Range| -> Option<(PhysAddr, PhysAddr)> {
            let lo = lo.max(run.start());
            let mut hi = run.end().checked_sub(taken_len);
            if req.limit != 0 {
                hi = hi
                    .zip(req.limit.checked_sub(req.size))
                    .map(|(a, b)| a.min(b));
            }
            let first = align_up(lo, align)?;
            let hi = hi?;
            let last = align_down(hi, align)?;
            (first <= hi && first <= last).then_some((first, last))
        };
        let (lowest, _) = join_runs(self.free_segs(on_node), cross).find_map(feasible)?;
        let (_, highest) = join_runs(self.free_segs(on_node).rev(), cross).find_map(feasible)?;
        Some((lowest, highest))
    }

    /// True when some free RAM outside `exclude`, inside one RAM range, holds
    /// `bytes` page-aligned bytes starting at or above `PAGE_SIZE`: room for
    /// a backend's metadata to grow ([`bootmem::BootMem::metadata_growth`]).
    pub fn has_room(&self, bytes: u64, exclude: Range) -> bool {
        self.free_runs(None, false).any(|run| {
            let before = Range::new(run.start(), exclude.start().clamp(run.start(), run.end()));
            let after = Range::new(exclude.end().clamp(run.start(), run.end()), run.end());
            let pieces = if run.overlaps(exclude) {
                [before, after]
            } else {
                [Some(run), None]
            };
            pieces.into_iter().flatten().any(|piece| {
                align_up(piece.start().max(PAGE_SIZE), PAGE_SIZE)
                    .and_then(|lo| lo.checked_add(bytes))
                    .is_some_and(|hi| hi <= piece.end())
            })
        })
    }

    /// What the contract expects of `alloc(req)` right now.
    pub fn alloc_verdict(&self, req: &AllocRequest) -> AllocVerdict {
        if req.validate().is_err() {
            return AllocVerdict::Invalid;
        }
        for stage in Stage::of_request(req) {
            if let Some((lowest, highest)) = self.stage_bounds(req, stage) {
                return AllocVerdict::Feasible {
                    stage,
                    lowest,
                    highest,
                };
            }
        }
        AllocVerdict::Infeasible
    }

    /// True when a placement at `a` meets the node and goal rules of `stage`
    /// for `req` (the other feasibility rules are checked elsewhere).
    pub fn satisfies_stage(&self, req: &AllocRequest, stage: Stage, a: PhysAddr) -> bool {
        self.satisfies_stage_from(req, stage, a, a)
    }

    /// As [`Model::satisfies_stage`], with the goal compared against
    /// `goal_start` instead of `a` (a packed allocation's found block).
    pub fn satisfies_stage_from(
        &self,
        req: &AllocRequest,
        stage: Stage,
        a: PhysAddr,
        goal_start: PhysAddr,
    ) -> bool {
        let Some(foot) = self.alloc_footprint(a, req.size) else {
            return false;
        };
        let node_ok = match (stage.on_node(), req.nid) {
            (true, Some(n)) => self.only_on_node(foot, n),
            _ => true,
        };
        node_ok && (!stage.above_goal() || goal_start >= req.goal)
    }

    /// True when a placement at `a` meets the node and goal rules of at
    /// least one stage of `req`.
    pub fn meets_some_stage(&self, req: &AllocRequest, a: PhysAddr) -> bool {
        Stage::of_request(req).any(|stage| self.satisfies_stage(req, stage, a))
    }

    /// Records allocation `id` at `[a, a + size)`: its bytes become
    /// `Allocated(id)` and the rest of its last page `Slack(id)`.
    pub fn apply_alloc(&mut self, id: u32, a: PhysAddr, size: u64) {
        let (Some(bytes), Some(foot)) = (
            Range::from_base_size(a, size),
            self.alloc_footprint(a, size),
        ) else {
            return;
        };
        if let Some(slack) = Range::new(bytes.end(), foot.end()) {
            self.set(slack, |_| true, State::Slack(id));
        }
        self.set(bytes, |_| true, State::Allocated(id));
    }

    /// The pages `release_all` must hand over: every whole page of one
    /// node's RAM whose bytes are all free, or metadata when
    /// `metadata_released`, as sorted ranges. A page that straddles the RAM
    /// of two nodes belongs to neither (a page frame has one node; memblock's
    /// free ranges stop at region boundaries), so it is not expected, though
    /// a backend may still hand it over.
    pub fn expected_release(&self, metadata_released: bool) -> Vec<Range> {
        let mut runs: Vec<(Range, Nid)> = Vec::new();
        for seg in &self.segs {
            let handed =
                seg.state == State::Free || (metadata_released && seg.state == State::Metadata);
            if !handed {
                continue;
            }
            match runs.last_mut() {
                Some((run, nid)) if run.end() == seg.range.start() && *nid == seg.nid => {
                    *run = Range::new(run.start(), seg.range.end()).unwrap_or(*run);
                }
                _ => runs.push((seg.range, seg.nid)),
            }
        }
        runs.into_iter()
            .map(|(r, _)| r.round_inward())
            .filter(|r| !r.is_empty())
            .collect()
    }

    /// Marks the model retired: every later call must return `Retired`.
    pub fn retire(&mut self) {
        self.retired = true;
    }

    /// True when `a` is page aligned or the model is byte-granular.
    pub fn start_granular(&self, a: PhysAddr) -> bool {
        self.granularity == Granularity::Byte || is_page_aligned(a)
    }

    /// The model's granularity.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }
}

/// Sorted maximal ranges covering the union of `ranges` (which must be
/// sorted by start).
pub fn merge_ranges(ranges: impl Iterator<Item = Range>) -> Vec<Range> {
    Merged::new(ranges).collect()
}

/// The ranges [`merge_ranges`] returns, one at a time, without collecting
/// them: touching and overlapping neighbours of a sorted input joined.
pub struct Merged<I: Iterator<Item = Range>> {
    ranges: std::iter::Peekable<I>,
}

impl<I: Iterator<Item = Range>> Merged<I> {
    /// Merges `ranges`, which must be sorted by start.
    pub fn new(ranges: I) -> Merged<I> {
        Merged {
            ranges: ranges.peekable(),
        }
    }
}

impl<I: Iterator<Item = Range>> Iterator for Merged<I> {
    type Item = Range;

    fn next(&mut self) -> Option<Range> {
        let mut run = self.ranges.next()?;
        while let Some(r) = self.ranges.next_if(|r| run.end() >= r.start()) {
            run = Range::new(run.start(), run.end().max(r.end())).unwrap_or(run);
        }
        Some(run)
    }
}

/// Joins `segs` (sorted ascending or descending) into maximal runs of
/// touching segments, of one node unless `cross`. The runs are the same in
/// either order, and come in the order of `segs`.
fn join_runs<'a>(
    segs: impl Iterator<Item = &'a Segment>,
    cross: bool,
) -> impl Iterator<Item = Range> {
    let mut segs = segs.peekable();
    std::iter::from_fn(move || {
        let first = segs.next()?;
        let mut run = first.range;
        let joins = |run: Range, s: &Segment| {
            let touch = run.end() == s.range.start() || s.range.end() == run.start();
            touch && (cross || first.nid == s.nid)
        };
        while let Some(seg) = segs.next_if(|s| joins(run, s)) {
            let (start, end) = (
                run.start().min(seg.range.start()),
                run.end().max(seg.range.end()),
            );
            run = Range::new(start, end).unwrap_or(run);
        }
        Some(run)
    })
}

/// Merges neighbouring segments of the same node and state, in place.
fn coalesce(segs: &mut Vec<Segment>) {
    segs.dedup_by(|seg, last| {
        let joins =
            last.range.end() == seg.range.start() && last.nid == seg.nid && last.state == seg.state;
        if joins {
            last.range = Range::new(last.range.start(), seg.range.end()).unwrap_or(last.range);
        }
        joins
    });
}
