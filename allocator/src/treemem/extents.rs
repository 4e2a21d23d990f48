//! The free extents: both trees over one pool, and the operations of wli's
//! changelog on them.
//!
//! Every free byte lies in exactly one extent; extents are maximal (no two
//! overlap or touch) and are merged regardless of node, so an extent may
//! run across the boundary of two touching RAM ranges of different nodes
//! (it never spans a hole: holes are never free). The operations:
//!
//! - [`Extents::remove_range`], `segment_complement()` in the changelog:
//!   subtracting a range from each extent it meets is one of four cases,
//!   **whole removal**, **prefix removal**, **suffix removal**, or a
//!   **split in the middle**, the one case that needs a new node;
//! - [`Extents::add_range`]: re-inserting a range merges it with the extent
//!   ending where it starts and the one starting where it ends; it needs a
//!   new node only when it touches neither;
//! - [`Extents::containing`] and [`Extents::intersects`],
//!   `segment_tree_contains_point()` and `segment_tree_intersects()`, the
//!   two searches whose wrong-child bug (reference 8.5, W2) the changelog
//!   fixed, and [`Extents::overlapping`], the walk that lists every extent
//!   a range intersects for `segment_complement()`; W2 can be planted there
//!   ([`crate::bugs::Bug::W2IntersectWrongChild`]);
//! - [`Extents::steal_candidate`] and [`Extents::steal`]: page stealing.
//!
//! Each mutating operation first counts the nodes it needs ([`Extents::
//! nodes_to_remove`], [`Extents::nodes_to_add`]) and refuses with `NoMem`
//! before touching anything when the pool cannot supply them.

use super::pool::{Idx, Node, Pool, NIL, NODES_PER_PAGE};
use super::treap::{self, ByAddr, BySize};
use crate::bugs::{Bug, BugSet};
use crate::range::{is_page_aligned, page_up};
use crate::{Error, Outcome, PhysAddr, Range, PAGE_SIZE};

/// The free extent set.
#[derive(Clone, Debug)]
pub(super) struct Extents {
    pool: Pool,
    /// Root of the tree ordered by address.
    addr_root: Idx,
    /// Root of the tree ordered by size.
    size_root: Idx,
    /// Planted historical bugs: W2 here, T1 in the fit test of
    /// [`super::place`].
    bugs: BugSet,
}

impl Extents {
    /// An empty set over a pool of `nr_segments` static nodes, with `bugs`
    /// planted.
    pub(super) fn new(nr_segments: u64, bugs: BugSet) -> Extents {
        Extents {
            pool: Pool::new(nr_segments),
            addr_root: NIL,
            size_root: NIL,
            bugs,
        }
    }

    /// The planted bugs.
    pub(super) fn bugs(&self) -> BugSet {
        self.bugs
    }

    /// The node in slot `i`.
    pub(super) fn node(&self, i: Idx) -> &Node {
        &self.pool.nodes()[i as usize]
    }

    /// The root of the size tree, where the allocation search starts.
    pub(super) fn size_root(&self) -> Idx {
        self.size_root
    }

    /// The longest extent's length (0 when there is none): the address
    /// root's summary.
    pub(super) fn longest(&self) -> u64 {
        if self.addr_root == NIL {
            0
        } else {
            self.node(self.addr_root).max_len
        }
    }

    /// Nodes that can be taken without stealing a page.
    pub(super) fn spare(&self) -> u64 {
        self.pool.spare()
    }

    /// Live extents (nodes in use).
    pub(super) fn count(&self) -> u64 {
        self.pool.in_use()
    }

    /// The stolen pages, sorted.
    pub(super) fn stolen(&self) -> &[Range] {
        self.pool.stolen()
    }

    /// The extents in address order.
    pub(super) fn ranges(&self) -> Vec<Range> {
        let mut out = Vec::with_capacity(self.count() as usize);
        self.in_order(self.addr_root, &mut out);
        out
    }

    fn in_order(&self, t: Idx, out: &mut Vec<Range>) {
        if t == NIL {
            return;
        }
        let n = self.node(t);
        self.in_order(n.addr.left, out);
        out.push(n.range());
        self.in_order(n.addr.right, out);
    }

    /// The extent with the highest start at or below `addr`
    /// (`segment_tree_contains_point()` descends the same way).
    fn floor(&self, addr: PhysAddr) -> Option<Idx> {
        let mut t = self.addr_root;
        let mut best = None;
        while t != NIL {
            let n = self.node(t);
            if n.start <= addr {
                best = Some(t);
                t = n.addr.right;
            } else {
                t = n.addr.left;
            }
        }
        best
    }

    /// The extent holding byte `addr`, if it is free.
    pub(super) fn containing(&self, addr: PhysAddr) -> Option<Idx> {
        self.floor(addr).filter(|&i| addr < self.node(i).end)
    }

    /// The extent starting exactly at `addr`.
    fn starting_at(&self, addr: PhysAddr) -> Option<Idx> {
        self.floor(addr).filter(|&i| self.node(i).start == addr)
    }

    /// The extent ending exactly at `addr`.
    fn ending_at(&self, addr: PhysAddr) -> Option<Idx> {
        let below = addr.checked_sub(1)?;
        self.containing(below).filter(|&i| self.node(i).end == addr)
    }

    /// True when every byte of the non-empty `range` is free, which, extents
    /// being maximal, means one extent holds it all.
    pub(super) fn contains(&self, range: Range) -> bool {
        self.containing(range.start())
            .is_some_and(|i| self.node(i).range().contains(range))
    }

    /// The extent with the lowest start at or above `addr`.
    fn ceil(&self, addr: PhysAddr) -> Option<Idx> {
        let mut t = self.addr_root;
        let mut best = None;
        while t != NIL {
            let n = self.node(t);
            if n.start >= addr {
                best = Some(t);
                t = n.addr.left;
            } else {
                t = n.addr.right;
            }
        }
        best
    }

    /// True when any byte of `range` is free (`segment_tree_intersects()`):
    /// an extent holds its first byte, or the next extent starts inside it.
    pub(super) fn intersects(&self, range: Range) -> bool {
        !range.is_empty()
            && (self.containing(range.start()).is_some()
                || self
                    .ceil(range.start())
                    .is_some_and(|i| self.node(i).start < range.end()))
    }

    /// The extents sharing a byte with `range`, in address order: a walk of
    /// the address tree that skips every subtree that lies wholly before or
    /// after it (extents are disjoint and sorted, so their ends are sorted
    /// too). With W2 planted, a node wholly past `range` sends the walk to
    /// its right child instead of its left, so only extents reached by
    /// right turns alone are found and the rest stay free when `range` is
    /// carved.
    pub(super) fn overlapping(&self, range: Range) -> Vec<Idx> {
        let mut out = Vec::new();
        if !range.is_empty() {
            self.collect(self.addr_root, range, &mut out);
        }
        out
    }

    fn collect(&self, t: Idx, range: Range, out: &mut Vec<Idx>) {
        if t == NIL {
            return;
        }
        let n = self.node(t);
        // Everything left of n ends at or before n.start.
        if n.start > range.start() {
            // W2, wli's changelog: the search followed the wrong child. Here
            // a node wholly past the range sends it right, where nothing
            // can overlap, so every extent on its left is missed.
            let next = if self.bugs.has(Bug::W2IntersectWrongChild) && n.start >= range.end() {
                n.addr.right
            } else {
                n.addr.left
            };
            self.collect(next, range, out);
        }
        if n.range().overlaps(range) {
            out.push(t);
        }
        // Everything right of n starts after n.end.
        if n.end < range.end() {
            self.collect(n.addr.right, range, out);
        }
    }

    /// Nodes that removing the free bytes of `range` takes from the pool: 1
    /// when one extent holds `range` with bytes left on both sides (the
    /// split in the middle), else 0.
    pub(super) fn nodes_to_remove(&self, range: Range) -> u64 {
        match self.containing(range.start()).map(|i| self.node(i)) {
            Some(n) if n.start < range.start() && range.end() < n.end => 1,
            _ => 0,
        }
    }

    /// Nodes that freeing the taken `range` takes from the pool: 1 when no
    /// extent touches it on either side, else 0.
    pub(super) fn nodes_to_add(&self, range: Range) -> u64 {
        let left = self.ending_at(range.start());
        let right = self.starting_at(range.end());
        u64::from(left.is_none() && right.is_none())
    }

    /// Takes node `i` out of both trees.
    fn detach(&mut self, i: Idx) {
        let nodes = self.pool.nodes_mut();
        self.addr_root = treap::remove::<ByAddr>(nodes, self.addr_root, i);
        self.size_root = treap::remove::<BySize>(nodes, self.size_root, i);
    }

    /// Puts the detached node `i` into both trees.
    fn attach(&mut self, i: Idx) {
        let nodes = self.pool.nodes_mut();
        self.addr_root = treap::insert::<ByAddr>(nodes, self.addr_root, i);
        self.size_root = treap::insert::<BySize>(nodes, self.size_root, i);
    }

    /// Gives node `i` new bounds (non-empty) that cover none of another
    /// extent's start, so its place in address order is unchanged: the
    /// size tree takes it out and back, the address tree only refreshes
    /// the summaries on its path. Every reshape here trims an extent or
    /// grows it over taken bytes, so the condition holds.
    fn reshape(&mut self, i: Idx, start: PhysAddr, end: PhysAddr) {
        let nodes = self.pool.nodes_mut();
        self.size_root = treap::remove::<BySize>(nodes, self.size_root, i);
        let n = &mut nodes[i as usize];
        n.start = start;
        n.end = end;
        treap::update::<ByAddr>(nodes, self.addr_root, i);
        self.size_root = treap::insert::<BySize>(nodes, self.size_root, i);
    }

    /// A new extent `[start, end)` in both trees, or `NoMem` when the pool
    /// is dry (nothing changes then).
    fn insert_new(&mut self, start: PhysAddr, end: PhysAddr) -> Outcome<()> {
        let i = self.pool.take(start, end).ok_or(Error::NoMem)?;
        self.attach(i);
        Ok(())
    }

    /// Setup only: grows the pool by a page already stolen from the RAM
    /// runs before they become extents.
    pub(super) fn grant_page(&mut self, page: Range) {
        self.pool.add_page(page);
    }

    /// Adds a free range that touches no extent and holds no free byte
    /// (setup's initial runs), merging nothing.
    pub(super) fn insert_run(&mut self, run: Range) -> Outcome<()> {
        if run.is_empty() {
            return Ok(());
        }
        self.insert_new(run.start(), run.end())
    }

    /// Removes every free byte of `range` from the extents: `reserve`'s and
    /// `alloc`'s `segment_complement()`. Each extent it meets loses all
    /// (whole removal), its start (prefix removal), its end (suffix
    /// removal) or its middle (split: the extent keeps its node for the
    /// left part and a new node holds the right part). `NoMem`, with
    /// nothing changed, when a split needs a node the pool does not have.
    pub(super) fn remove_range(&mut self, range: Range) -> Outcome<()> {
        if self.nodes_to_remove(range) > self.spare() {
            return Err(Error::NoMem);
        }
        for i in self.overlapping(range) {
            let n = *self.node(i);
            let keep_left = n.start < range.start();
            let keep_right = range.end() < n.end;
            match (keep_left, keep_right) {
                (false, false) => {
                    self.detach(i);
                    self.pool.give_back(i);
                }
                (false, true) => self.reshape(i, range.end(), n.end),
                (true, false) => self.reshape(i, n.start, range.start()),
                (true, true) => {
                    self.reshape(i, n.start, range.start());
                    self.insert_new(range.end(), n.end)?;
                }
            }
        }
        Ok(())
    }

    /// Returns the taken, non-empty `range` to the free extents, merged with
    /// the extent ending at its start and the one starting at its end.
    /// `NoMem`, with nothing changed, when it touches neither and the pool
    /// is dry.
    pub(super) fn add_range(&mut self, range: Range) -> Outcome<()> {
        let left = self.ending_at(range.start());
        let right = self.starting_at(range.end());
        match (left, right) {
            (None, None) => self.insert_new(range.start(), range.end())?,
            (Some(l), None) => {
                let start = self.node(l).start;
                self.reshape(l, start, range.end());
            }
            (None, Some(r)) => {
                let end = self.node(r).end;
                self.reshape(r, range.start(), end);
            }
            (Some(l), Some(r)) => {
                let (start, end) = (self.node(l).start, self.node(r).end);
                self.detach(r);
                self.pool.give_back(r);
                self.reshape(l, start, end);
            }
        }
        Ok(())
    }

    /// The page stealing would take: the lowest page-aligned page at or
    /// above `PAGE_SIZE` that is wholly free and shares no byte with
    /// `avoid` (the range the current operation works on). An in-order walk
    /// of the address tree that skips subtrees whose longest extent is
    /// shorter than a page and stops at the first fit.
    pub(super) fn steal_candidate(&self, avoid: Range) -> Option<Range> {
        self.find_page(self.addr_root, avoid)
    }

    fn find_page(&self, t: Idx, avoid: Range) -> Option<Range> {
        if t == NIL || self.node(t).max_len < PAGE_SIZE {
            return None;
        }
        let n = self.node(t);
        self.find_page(n.addr.left, avoid)
            .or_else(|| page_in(n.range(), avoid))
            .or_else(|| self.find_page(n.addr.right, avoid))
    }

    /// Steals `page` (a [`Extents::steal_candidate`]): the pool grows by a
    /// page of nodes first, so that carving the page out of its extent can
    /// always take the node a split needs.
    pub(super) fn steal(&mut self, page: Range) -> Outcome<()> {
        if !self.contains(page) || page.len() != PAGE_SIZE || !is_page_aligned(page.start()) {
            return Err(Error::NoMem);
        }
        self.pool.add_page(page);
        self.remove_range(page)
    }

    /// Makes sure `need` nodes can be taken, stealing one page (found with
    /// `avoid`) when the pool has fewer spare. `NoMem`, with nothing
    /// changed, when no page can be stolen. One page always suffices: it
    /// brings [`NODES_PER_PAGE`] nodes, and carving it out costs at most
    /// one.
    pub(super) fn reserve_nodes(&mut self, need: u64, avoid: Range) -> Outcome<()> {
        if self.spare() >= need {
            return Ok(());
        }
        if need >= NODES_PER_PAGE {
            return Err(Error::NoMem);
        }
        let page = self.steal_candidate(avoid).ok_or(Error::NoMem)?;
        self.steal(page)
    }

    /// The node storage and the two roots, for tests that corrupt a tree
    /// on purpose to see the invariant walk catch it.
    #[cfg(test)]
    pub(super) fn raw(&mut self) -> (&mut [Node], Idx, Idx) {
        (self.pool.nodes_mut(), self.addr_root, self.size_root)
    }

    /// The invariant walk: both trees ordered, heap-ordered and with fresh
    /// summaries; both holding exactly the live nodes; extents in address
    /// order neither overlapping nor touching; no extent over a stolen
    /// page; the pool's accounting right.
    pub(super) fn check(&self) -> Result<(), String> {
        self.pool.check()?;
        let nodes = self.pool.nodes();
        let mut live = vec![true; nodes.len()];
        for &i in self.pool.free_slots() {
            live[i as usize] = false;
        }
        let mut by_addr = vec![false; nodes.len()];
        let mut by_size = vec![false; nodes.len()];
        let in_addr = treap::check::<ByAddr>(nodes, self.addr_root, &mut by_addr)?;
        let in_size = treap::check::<BySize>(nodes, self.size_root, &mut by_size)?;
        if by_addr != live || by_size != live {
            return Err(format!(
                "the trees hold {in_addr} and {in_size} nodes, the pool {} live",
                self.pool.in_use()
            ));
        }
        let ranges = self.ranges();
        for pair in ranges.windows(2) {
            if pair[0].end() >= pair[1].start() {
                return Err(format!(
                    "extents {} and {} overlap or touch unmerged",
                    pair[0], pair[1]
                ));
            }
        }
        for page in self.stolen() {
            if self.intersects(*page) {
                return Err(format!("stolen page {page} is still free"));
            }
        }
        Ok(())
    }
}

/// The lowest page-aligned page at or above `PAGE_SIZE` wholly inside
/// `extent` and sharing no byte with `avoid`.
pub(super) fn page_in(extent: Range, avoid: Range) -> Option<Range> {
    let fit = |lo: PhysAddr| {
        let start = page_up(lo)?;
        let page = Range::from_base_size(start, PAGE_SIZE)?;
        extent.contains(page).then_some(page)
    };
    let page = fit(extent.start().max(PAGE_SIZE))?;
    if !page.overlaps(avoid) {
        return Some(page);
    }
    // Every page from here up to avoid's end overlaps it.
    fit(avoid.end())
}
