//! The bounded node pool: where every tree node comes from.
//!
//! wli's patch took its segment nodes from a static pool of `NR_SEGMENTS`
//! entries (reference section 3) and proposed **page stealing** to refill
//! it: when fragmentation needs more extents than the pool holds, a page of
//! managed memory becomes node storage. This module is only the accounting
//! side of that: a capacity of `nr_segments` nodes plus [`NODES_PER_PAGE`]
//! for every stolen page, a free list of recycled slots, and the stolen
//! pages themselves. *Which* page is stolen is the extent set's business
//! ([`super::extents`]).
//!
//! The initial pool is the static array of the kernel image, not managed
//! memory, so it is not metadata; the stolen pages are (SPEC section 5).

use crate::{PhysAddr, Range, PAGE_SIZE};

/// The index of a node in the pool.
pub(super) type Idx = u32;

/// The null link.
pub(super) const NIL: Idx = Idx::MAX;

/// Bytes of one segment node in managed memory: two extent bounds, a
/// priority, four links and three subtree summaries, rounded to a cache
/// line. A stolen page holds `PAGE_SIZE / SEGMENT_BYTES` nodes.
pub const SEGMENT_BYTES: u64 = 64;

/// Tree nodes one stolen page adds to the pool.
pub const NODES_PER_PAGE: u64 = PAGE_SIZE / SEGMENT_BYTES;

/// The seed of the priority generator: the date of wli's RFC repost
/// (2001-11-17), so every run builds the same trees.
const SEED: u64 = 0x2001_1117_0000_0001;

/// Left and right children in one tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Links {
    pub(super) left: Idx,
    pub(super) right: Idx,
}

impl Links {
    /// No children.
    pub(super) const NONE: Links = Links {
        left: NIL,
        right: NIL,
    };
}

/// One free extent `[start, end)` (never empty), a node of both trees.
#[derive(Clone, Copy, Debug)]
pub(super) struct Node {
    /// First free byte.
    pub(super) start: PhysAddr,
    /// One past the last free byte.
    pub(super) end: PhysAddr,
    /// Treap priority, shared by both trees: a parent's is `>=` its
    /// children's in each.
    pub(super) prio: u64,
    /// Children in the tree ordered by address.
    pub(super) addr: Links,
    /// Children in the tree ordered by size.
    pub(super) size: Links,
    /// Address tree summary: the longest extent in this subtree.
    pub(super) max_len: u64,
    /// Size tree summary: the lowest start in this subtree.
    pub(super) min_start: PhysAddr,
    /// Size tree summary: the highest end in this subtree.
    pub(super) max_end: PhysAddr,
}

impl Node {
    /// The extent's bytes.
    pub(super) fn range(&self) -> Range {
        Range::new(self.start, self.end).unwrap_or(Range::EMPTY)
    }

    /// The extent's length (`end > start` always holds for a live node).
    pub(super) fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
}

/// The pool: node storage, capacity and the stolen pages.
#[derive(Clone, Debug)]
pub(super) struct Pool {
    /// Every slot ever handed out; `nodes.len() <= capacity`.
    nodes: Vec<Node>,
    /// Slots handed back, ready for reuse.
    free: Vec<Idx>,
    /// The static pool's size, `NR_SEGMENTS`.
    nr_segments: u64,
    /// Pages stolen from managed memory, sorted by address.
    stolen: Vec<Range>,
    /// Priority generator state (splitmix64).
    rng: u64,
}

impl Pool {
    /// A pool of `nr_segments` static nodes and no stolen page.
    pub(super) fn new(nr_segments: u64) -> Pool {
        Pool {
            nodes: Vec::new(),
            free: Vec::new(),
            nr_segments,
            stolen: Vec::new(),
            rng: SEED,
        }
    }

    /// Nodes the pool may hold: the static ones plus those of every stolen
    /// page.
    pub(super) fn capacity(&self) -> u64 {
        let paged = NODES_PER_PAGE.saturating_mul(self.stolen.len() as u64);
        self.nr_segments.saturating_add(paged)
    }

    /// Nodes in use (live extents).
    pub(super) fn in_use(&self) -> u64 {
        (self.nodes.len() - self.free.len()) as u64
    }

    /// Nodes that can still be taken without stealing.
    pub(super) fn spare(&self) -> u64 {
        self.capacity().saturating_sub(self.in_use())
    }

    /// A node for the extent `[start, end)` with a fresh priority and no
    /// children, or `None` when the pool is dry.
    pub(super) fn take(&mut self, start: PhysAddr, end: PhysAddr) -> Option<Idx> {
        if self.spare() == 0 {
            return None;
        }
        let node = Node {
            start,
            end,
            prio: self.next_prio(),
            addr: Links::NONE,
            size: Links::NONE,
            max_len: end.saturating_sub(start),
            min_start: start,
            max_end: end,
        };
        if let Some(i) = self.free.pop() {
            self.nodes[i as usize] = node;
            return Some(i);
        }
        let i = Idx::try_from(self.nodes.len()).ok().filter(|&i| i != NIL)?;
        self.nodes.push(node);
        Some(i)
    }

    /// Hands node `i` back (it must be in no tree any more).
    pub(super) fn give_back(&mut self, i: Idx) {
        self.free.push(i);
    }

    /// Records `page` as stolen: the pool grows by [`NODES_PER_PAGE`].
    pub(super) fn add_page(&mut self, page: Range) {
        let at = self.stolen.partition_point(|p| p.start() < page.start());
        self.stolen.insert(at, page);
    }

    /// The stolen pages, sorted.
    pub(super) fn stolen(&self) -> &[Range] {
        &self.stolen
    }

    /// The node storage.
    pub(super) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The node storage, for the tree algorithms.
    pub(super) fn nodes_mut(&mut self) -> &mut [Node] {
        &mut self.nodes
    }

    /// The slots on the free list.
    pub(super) fn free_slots(&self) -> &[Idx] {
        &self.free
    }

    /// Checks the pool's own accounting: slots within capacity, the free
    /// list without duplicates or strays, stolen pages whole, sorted and
    /// disjoint.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.nodes.len() as u64 > self.capacity() {
            return Err(format!(
                "pool holds {} slots, capacity {}",
                self.nodes.len(),
                self.capacity()
            ));
        }
        let mut seen = vec![false; self.nodes.len()];
        for &i in &self.free {
            match seen.get_mut(i as usize) {
                Some(s) if !*s => *s = true,
                _ => return Err(format!("free list holds slot {i} twice or out of range")),
            }
        }
        for (k, page) in self.stolen.iter().enumerate() {
            let whole = page.len() == PAGE_SIZE && crate::range::is_page_aligned(page.start());
            if !whole || page.start() < PAGE_SIZE {
                return Err(format!(
                    "stolen {page} is not one page at or above PAGE_SIZE"
                ));
            }
            if let Some(prev) = k.checked_sub(1).and_then(|p| self.stolen.get(p)) {
                if prev.end() > page.start() {
                    return Err(format!(
                        "stolen pages {prev} and {page} overlap or are unsorted"
                    ));
                }
            }
        }
        Ok(())
    }

    /// splitmix64: a deterministic stream of priorities.
    fn next_prio(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
