//! treemem: wli's tree-based bootmem, extents instead of bits.
//!
//! William Lee Irwin III, "\[RFC\] tree-based bootmem", LKML, 2001-11-17, and
//! "\[CFT\] tree-based bootmem", 2001-12-09, against 2.4.x and 2.5.1-pre6,
//! never merged (reference section 3, S18). Instead of a bitmap the
//! allocator **tracks ranges explicitly**, so its space grows with the
//! number of fragments, not with memory size; it works at **byte
//! granularity**; and it is **insensitive to the order or interleaving of
//! the nodes' memory**. The patch body was not retrievable; what the
//! sources state is kept, and the SPEC contract (sections 3 to 5) decides
//! the rest:
//!
//! - the free extents are kept in **two treaps** (randomized search trees
//!   with a deterministic seed), one keyed by address for free, reserve,
//!   contains and intersects, one keyed by size for fitting (`treap.rs`,
//!   `extents.rs`);
//! - allocation is a **depth-first search of the size tree restricted** to
//!   extents that can satisfy the size, the alignment and the address
//!   window; it returns the lowest feasible start (profile `lowest`; the
//!   argument is in `place.rs`);
//! - tree nodes come from a **bounded pool** of `NR_SEGMENTS` nodes
//!   (a constructor parameter, [`DEFAULT_NR_SEGMENTS`]); when fragmentation
//!   needs more, a page of free managed memory is **stolen** and becomes
//!   [`NODES_PER_PAGE`] nodes (`pool.rs`). Stolen pages are the backend's
//!   metadata ([`BootMem::metadata`]) and are handed over at
//!   `release_all`. The initial pool is a static array in the kernel image,
//!   not managed memory, and is not metadata;
//! - wli's changelog fixed bugs in exactly the operations of the extent
//!   set (reference section 8.5): W1, `reserve_bootmem()` passing a
//!   `treap_node_t **` for a `treap_node_t *`, is a type confusion Rust's
//!   types rule out; W2, `segment_tree_contains_point()` and
//!   `segment_tree_intersects()` following the wrong children, is what the
//!   search tests of `tree_tests.rs` and the invariant walk guard, and it
//!   can be planted in the overlap walk
//!   ([`crate::bugs::Bug::W2IntersectWrongChild`]). T1, a fit test whose
//!   `start + size` wraps as C's does, can be planted in `place.rs`
//!   ([`crate::bugs::Bug::T1WrappingEnd`]).
//!
//! # Decisions beyond the sources
//!
//! - **Registration**: [`Registration::BeforeSetup`]. `setup` is wli's
//!   "finalise the memory map" step; `add_memory` afterwards is
//!   `Unsupported`.
//! - **The stealing rule.** A page is stolen only by a call that will
//!   succeed and whose node count would pass the pool's capacity, before
//!   that call changes anything. The page is the **lowest page-aligned
//!   4 KiB page at or above `PAGE_SIZE` that is wholly free and shares no
//!   byte with the range the call works on** (the range reserved, the
//!   range freed, or the placement of an allocation, found before the
//!   steal). An allocation's placement is therefore unchanged by the steal:
//!   the stolen page is outside it and removing free memory cannot lower
//!   the lowest feasible start of an earlier stage. `setup` steals with the
//!   same rule, from all RAM, until the pool holds the initial extents.
//! - **When nothing can be stolen** (the pool is dry and there is no whole
//!   free page outside the call's range), the call returns
//!   [`Error::NoMem`] and changes nothing, whatever the contract expected
//!   of it; this is the one place the design can disagree with the
//!   contract. It needs `NR_SEGMENTS` extents and not one whole free page.
//! - **Invariant walk**: [`TreeMem::check_invariants`]; it runs after every
//!   call when checking is on, which is the default in debug builds
//!   (`cfg(debug_assertions)`) and can be switched with
//!   [`TreeMem::set_checking`]. A broken invariant panics, which the
//!   harness reports as a `backend-panic` finding.

mod extents;
mod place;
mod pool;
mod ram;
mod treap;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tree_tests;

pub use pool::{NODES_PER_PAGE, SEGMENT_BYTES};

use crate::bugs::BugSet;
use crate::{
    AllocRequest, BootMem, Error, Granularity, MetadataHandoff, Nid, Outcome, PhysAddr, Placement,
    Profile, Range, Registration, ReserveMode, PAGE_SIZE,
};
use extents::Extents;
use ram::RamMap;

/// The default size of the static node pool, `NR_SEGMENTS`: small, so that
/// the fragmentation of generated scenarios exhausts it and steals pages.
pub const DEFAULT_NR_SEGMENTS: u64 = 32;

/// The treemem backend: registered RAM and, once set up, the free extents.
#[derive(Clone, Debug)]
pub struct TreeMem {
    ram: RamMap,
    state: State,
    /// Static pool size (`NR_SEGMENTS`).
    nr_segments: u64,
    /// Planted historical bugs ([`crate::bugs`]): W2 and T1, handed to the
    /// extent set when `setup` builds it.
    bugs: BugSet,
    /// Run the invariant walk after every call.
    checking: bool,
}

/// The life of a treemem instance.
#[derive(Clone, Debug)]
enum State {
    /// Taking `add_memory` calls.
    Registering,
    /// `setup` succeeded: the trees exist.
    Ready(Extents),
    /// `release_all` ran.
    Retired,
}

impl Default for TreeMem {
    fn default() -> TreeMem {
        TreeMem::with_pool(DEFAULT_NR_SEGMENTS, BugSet::NONE)
    }
}

/// The trees, or `Unsupported` before `setup` and `Retired` after
/// `release_all`.
fn ready_mut(state: &mut State) -> Outcome<&mut Extents> {
    match state {
        State::Registering => Err(Error::Unsupported),
        State::Ready(ext) => Ok(ext),
        State::Retired => Err(Error::Retired),
    }
}

/// Removes the page-aligned `page` from the sorted, disjoint `runs` (it
/// lies inside one of them).
fn carve(runs: &mut Vec<Range>, page: Range) {
    let Some(at) = runs.iter().position(|r| r.contains(page)) else {
        return;
    };
    let run = runs.remove(at);
    let right = Range::new(page.end(), run.end()).filter(|r| !r.is_empty());
    let left = Range::new(run.start(), page.start()).filter(|r| !r.is_empty());
    for piece in [right, left].into_iter().flatten() {
        runs.insert(at, piece);
    }
}

impl TreeMem {
    /// An allocator with a pool of [`DEFAULT_NR_SEGMENTS`] nodes and no
    /// RAM, waiting for `add_memory` calls and then `setup`.
    pub fn new() -> TreeMem {
        TreeMem::default()
    }

    /// As [`TreeMem::new`], with the historical `bugs` planted.
    pub fn with_bugs(bugs: BugSet) -> TreeMem {
        TreeMem::with_pool(DEFAULT_NR_SEGMENTS, bugs)
    }

    /// An allocator whose static pool holds `nr_segments` nodes.
    pub fn with_pool(nr_segments: u64, bugs: BugSet) -> TreeMem {
        TreeMem {
            ram: RamMap::default(),
            state: State::Registering,
            nr_segments,
            bugs,
            checking: cfg!(debug_assertions),
        }
    }

    /// Turns the invariant walk after every call on or off.
    pub fn set_checking(&mut self, on: bool) {
        self.checking = on;
    }

    /// The planted bugs.
    pub fn bugs(&self) -> BugSet {
        self.bugs
    }

    /// The pool's capacity and the nodes in use, once set up: the static
    /// nodes plus [`NODES_PER_PAGE`] per stolen page, and one node per
    /// free extent.
    pub fn pool_usage(&self) -> Option<(u64, u64)> {
        match &self.state {
            State::Ready(ext) => Some((ext.spare() + ext.count(), ext.count())),
            State::Registering | State::Retired => None,
        }
    }

    /// The invariant walk: both trees ordered by their keys, heap-ordered by
    /// priority and with fresh subtree summaries; both holding exactly the
    /// pool's live nodes; extents neither overlapping nor touching
    /// unmerged; every extent and stolen page registered RAM; no stolen
    /// page free or below `PAGE_SIZE`. The report names the first broken
    /// invariant.
    pub fn check_invariants(&self) -> Result<(), String> {
        let State::Ready(ext) = &self.state else {
            return Ok(());
        };
        ext.check()?;
        for extent in ext.ranges() {
            if !self.ram.is_ram(extent) {
                return Err(format!("free extent {extent} is not all RAM"));
            }
        }
        for page in ext.stolen() {
            if !self.ram.is_ram(*page) {
                return Err(format!("stolen page {page} is not RAM"));
            }
        }
        Ok(())
    }

    /// Runs the invariant walk when checking is on, and passes `out` on.
    fn checked<T>(&self, out: Outcome<T>) -> Outcome<T> {
        if self.checking {
            if let Err(broken) = self.check_invariants() {
                panic!("treemem invariant broken: {broken}");
            }
        }
        out
    }

    /// Builds the trees: every RAM run one extent, after stealing pages
    /// until the pool holds them all.
    fn build(&self) -> Outcome<Extents> {
        let mut runs = self.ram.runs();
        let mut stolen = Vec::new();
        loop {
            let pages = NODES_PER_PAGE.saturating_mul(stolen.len() as u64);
            if runs.len() as u64 <= self.nr_segments.saturating_add(pages) {
                break;
            }
            let page = runs
                .iter()
                .find_map(|&run| extents::page_in(run, Range::EMPTY))
                .ok_or(Error::NoMem)?;
            carve(&mut runs, page);
            stolen.push(page);
        }
        let mut ext = Extents::new(self.nr_segments, self.bugs);
        for page in stolen {
            ext.grant_page(page);
        }
        for run in runs {
            ext.insert_run(run)?;
        }
        Ok(ext)
    }

    /// `reserve` and `reserve_node` (`nid` = `Some`): exact bytes.
    fn reserve_bytes(
        &mut self,
        nid: Option<Nid>,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        let ext = ready_mut(&mut self.state)?;
        if size == 0 {
            return Ok(());
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        if !self.ram.is_ram(range) || nid.is_some_and(|n| !self.ram.in_node_range(n, range)) {
            return Err(Error::Invalid);
        }
        if mode == ReserveMode::Exclusive && !ext.contains(range) {
            return Err(Error::Busy);
        }
        ext.reserve_nodes(ext.nodes_to_remove(range), range)?;
        ext.remove_range(range)
    }

    /// `free` and `free_node` (`nid` = `Some`): exact bytes.
    fn free_bytes(&mut self, nid: Option<Nid>, base: PhysAddr, size: u64) -> Outcome<()> {
        let ext = ready_mut(&mut self.state)?;
        if size == 0 {
            return Ok(());
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        if !self.ram.is_ram(range)
            || nid.is_some_and(|n| !self.ram.in_node_range(n, range))
            || ext.stolen().iter().any(|page| page.overlaps(range))
        {
            return Err(Error::Invalid);
        }
        if ext.intersects(range) {
            return Err(Error::DoubleFree);
        }
        ext.reserve_nodes(ext.nodes_to_add(range), range)?;
        ext.add_range(range)
    }

    /// The allocation: find the placement, make sure the pool can carve it
    /// (stealing a page outside it if need be), carve it.
    fn alloc_bytes(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        let ext = ready_mut(&mut self.state)?;
        req.validate()?;
        let start = place::find(ext, &self.ram, req).ok_or(req.failure())?;
        let end = place::end_of(ext.bugs(), start, req.size).ok_or(req.failure())?;
        // The end lies below the start only when it wrapped (T1 planted):
        // as in C, no extent meets such a range and nothing is carved.
        if let Some(range) = Range::new(start, end) {
            ext.reserve_nodes(ext.nodes_to_remove(range), range)?;
            ext.remove_range(range)?;
        }
        Ok(start)
    }

    /// The hand-off: the whole pages of every free extent, then the stolen
    /// pages.
    fn release(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        ready_mut(&mut self.state)?;
        let State::Ready(ext) = std::mem::replace(&mut self.state, State::Retired) else {
            return Err(Error::Unsupported);
        };
        let mut count = 0;
        for extent in ext.ranges() {
            let pages = extent.round_inward();
            if !pages.is_empty() {
                sink(pages);
                count += pages.len() / PAGE_SIZE;
            }
        }
        for &page in ext.stolen() {
            sink(page);
            count += 1;
        }
        Ok(count)
    }
}

impl BootMem for TreeMem {
    fn name(&self) -> &'static str {
        "treemem"
    }

    fn profile(&self) -> Profile {
        Profile {
            granularity: Granularity::Byte,
            placement: Placement::Lowest,
            packing: false,
            crosses_nodes: true,
            metadata: MetadataHandoff::Released,
            registration: Registration::BeforeSetup,
        }
    }

    /// Registers RAM before `setup`: `Invalid` for an empty range, a node
    /// `>= MAX_NODES` or any byte shared with registered RAM; touching
    /// ranges of one node merge. `Unsupported` after `setup`, `Retired`
    /// after `release_all`.
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        match self.state {
            State::Registering => self.ram.add(range, nid),
            State::Ready(_) => Err(Error::Unsupported),
            State::Retired => Err(Error::Retired),
        }
    }

    /// Builds the trees with every byte of RAM free, one extent per maximal
    /// run of touching ranges (of any nodes). `NoMem` when the pool cannot
    /// hold the runs and no page can be stolen; a failed setup changes
    /// nothing. `Unsupported` when already set up.
    fn setup(&mut self) -> Outcome<()> {
        match self.state {
            State::Registering => {}
            State::Ready(_) => return Err(Error::Unsupported),
            State::Retired => return Err(Error::Retired),
        }
        self.state = State::Ready(self.build()?);
        self.checked(Ok(()))
    }

    fn reserve(&mut self, base: PhysAddr, size: u64, mode: ReserveMode) -> Outcome<()> {
        let out = self.reserve_bytes(None, base, size, mode);
        self.checked(out)
    }

    fn reserve_node(
        &mut self,
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        let out = self.reserve_bytes(Some(nid), base, size, mode);
        self.checked(out)
    }

    fn free(&mut self, base: PhysAddr, size: u64) -> Outcome<()> {
        let out = self.free_bytes(None, base, size);
        self.checked(out)
    }

    fn free_node(&mut self, nid: Nid, base: PhysAddr, size: u64) -> Outcome<()> {
        let out = self.free_bytes(Some(nid), base, size);
        self.checked(out)
    }

    /// The lowest feasible start of the first stage that has one (SPEC
    /// section 4), carved out of its extent.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        let out = self.alloc_bytes(req);
        self.checked(out)
    }

    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        self.release(sink)
    }

    fn metadata(&self) -> Vec<Range> {
        match &self.state {
            State::Ready(ext) => ext.stolen().to_vec(),
            State::Registering | State::Retired => Vec::new(),
        }
    }

    /// One page ([`PAGE_SIZE`]) while the pool has no spare node, so that
    /// the next call that needs a node must steal a page; `None` otherwise.
    fn metadata_growth(&self) -> Option<u64> {
        match &self.state {
            State::Ready(ext) if ext.spare() == 0 => Some(crate::PAGE_SIZE),
            _ => None,
        }
    }

    fn free_map(&self) -> Vec<Range> {
        match &self.state {
            State::Ready(ext) => ext.ranges(),
            State::Registering | State::Retired => Vec::new(),
        }
    }
}
