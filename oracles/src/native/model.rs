//! The model of memblock's native API: what the bytes are, not how the
//! arrays store them. Memory and reserved memory are each a sorted list
//! of disjoint byte spans with a label (node and flags), touching spans of
//! equal label joined, which is exactly the shape v6.18
//! `mm/memblock.c` keeps its arrays in (`memblock_merge_regions`); plus
//! the direction, `current_limit` and whether arrays may grow.
//!
//! Everything here is stated from the kernel's documented behaviour, not
//! from the port's code:
//!
//! - `memblock_cap_size`: a size is cut so that `base + size` stops at
//!   `PHYS_ADDR_MAX` ([`cap_size`]);
//! - `memblock_add_range`: the parts of the range no span covers get the
//!   new label, covered parts keep theirs ([`Spans::fill`]);
//! - `memblock_remove_range`: the range stops being covered
//!   ([`Spans::cut`]);
//! - `memblock_find_in_range_node`: a free block is a piece of **one**
//!   memory region outside every reservation, at or above `PAGE_SIZE`, in
//!   `[start, end)`; top-down takes the highest such block, bottom-up the
//!   lowest ([`Model::find`]).

use bootmem::memblock::{numa_valid_node, Array, Flags, Region};
use bootmem::range::{align_down, align_up};
use bootmem::{Nid, PhysAddr, PAGE_SIZE};

/// `memblock_cap_size` (v6.18): `size`, cut so that `base + size` does not
/// pass `PHYS_ADDR_MAX` (2^64 - 1).
pub const fn cap_size(base: PhysAddr, size: u64) -> u64 {
    let room = u64::MAX - base;
    if size < room {
        size
    } else {
        room
    }
}

/// `base + memblock_cap_size(base, size)`: the end of the range memblock
/// acts on. Never wraps.
pub const fn capped_end(base: PhysAddr, size: u64) -> PhysAddr {
    base + cap_size(base, size)
}

/// What a region says about its bytes besides their addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    /// The node (`None`: `NUMA_NO_NODE` / `MAX_NUMNODES`).
    pub nid: Option<Nid>,
    /// The region flags.
    pub flags: Flags,
}

impl Label {
    /// No node, no flags: what `memblock_add` and `memblock_reserve` store.
    pub const PLAIN: Label = Label {
        nid: None,
        flags: Flags::NONE,
    };

    /// `MEMBLOCK_RSRV_KERN` on `nid`: what an allocation or a doubled
    /// array is reserved with (v6.16 "memblock: add MEMBLOCK_RSRV_KERN
    /// flag").
    pub const fn kern(nid: Option<Nid>) -> Label {
        Label {
            nid,
            flags: Flags::RSRV_KERN,
        }
    }
}

/// One span: the bytes `[start, end)`, all with `label`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: PhysAddr,
    /// One past the last byte (`> start`).
    pub end: PhysAddr,
    /// The label of every byte.
    pub label: Label,
}

/// A labelled byte set: spans sorted by start, disjoint, non-empty, and
/// no two touching spans with equal labels (they are one span).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Spans(Vec<Span>);

impl Spans {
    /// The spans, in address order.
    pub fn spans(&self) -> &[Span] {
        &self.0
    }

    /// How many spans: the `cnt` of an array holding these bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no byte is covered.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes a region array covers, with its regions' labels, in the
    /// normal form (regions that could merge count as one span).
    pub fn from_regions(regions: &[Region]) -> Spans {
        let mut spans = Spans(
            regions
                .iter()
                .filter(|r| r.size() > 0)
                .map(|r| Span {
                    start: r.base(),
                    end: r.end(),
                    label: Label {
                        nid: r.nid(),
                        flags: r.flags(),
                    },
                })
                .collect(),
        );
        spans.normalize();
        spans
    }

    /// The uncovered parts of `[start, end)`, in order.
    pub fn holes(&self, start: PhysAddr, end: PhysAddr) -> Vec<(PhysAddr, PhysAddr)> {
        let mut out = Vec::new();
        let mut cursor = start;
        for s in self.0.iter().filter(|s| s.end > start && s.start < end) {
            if s.start > cursor {
                out.push((cursor, s.start));
            }
            cursor = cursor.max(s.end);
        }
        if cursor < end {
            out.push((cursor, end));
        }
        out
    }

    /// How many separate uncovered pieces `[start, end)` has: the regions
    /// `memblock_add_range` must insert for it.
    pub fn gaps(&self, start: PhysAddr, end: PhysAddr) -> usize {
        self.holes(start, end).len()
    }

    /// Gives the uncovered bytes of `[start, end)` the label `label`.
    pub fn fill(&mut self, start: PhysAddr, end: PhysAddr, label: Label) {
        let holes = self.holes(start, end);
        self.0.extend(
            holes
                .into_iter()
                .map(|(start, end)| Span { start, end, label }),
        );
        self.normalize();
    }

    /// Uncovers `[start, end)`.
    pub fn cut(&mut self, start: PhysAddr, end: PhysAddr) {
        if start >= end {
            return;
        }
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for s in &self.0 {
            if s.end <= start || s.start >= end {
                kept.push(*s);
                continue;
            }
            if s.start < start {
                kept.push(Span { end: start, ..*s });
            }
            if s.end > end {
                kept.push(Span { start: end, ..*s });
            }
        }
        self.0 = kept;
    }

    /// True when some byte of `[start, end)` is covered.
    pub fn intersects(&self, start: PhysAddr, end: PhysAddr) -> bool {
        self.0.iter().any(|s| s.start < end && start < s.end)
    }

    /// The span holding byte `addr`.
    pub fn holding(&self, addr: PhysAddr) -> Option<&Span> {
        self.0.iter().find(|s| s.start <= addr && addr < s.end)
    }

    /// The label of byte `addr`, `None` when it is not covered.
    pub fn label_at(&self, addr: PhysAddr) -> Option<Label> {
        self.holding(addr).map(|s| s.label)
    }

    fn normalize(&mut self) {
        self.0.retain(|s| s.start < s.end);
        self.0.sort_by_key(|s| s.start);
        let mut out: Vec<Span> = Vec::with_capacity(self.0.len());
        for s in self.0.drain(..) {
            match out.last_mut() {
                Some(last) if last.end == s.start && last.label == s.label => last.end = s.end,
                _ => out.push(s),
            }
        }
        self.0 = out;
    }
}

/// A free piece: bytes of one memory region that no reservation covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// First byte.
    pub start: PhysAddr,
    /// One past the last byte.
    pub end: PhysAddr,
    /// The memory region's node.
    pub nid: Option<Nid>,
}

/// `struct memblock` as bytes: the memory, the reservations, and the
/// settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    /// `memblock.memory`: the RAM, each byte with its node.
    pub memory: Spans,
    /// `memblock.reserved`: the taken bytes, each with its node and flags.
    pub reserved: Spans,
    /// `memblock_bottom_up()`.
    pub bottom_up: bool,
    /// `memblock.current_limit`.
    pub current_limit: PhysAddr,
    /// `memblock_can_resize`.
    pub can_resize: bool,
}

impl Default for Model {
    fn default() -> Model {
        Model::new()
    }
}

impl Model {
    /// The boot state: nothing added, nothing reserved, top-down,
    /// `current_limit = MEMBLOCK_ALLOC_ANYWHERE`, no resizing yet.
    pub fn new() -> Model {
        Model {
            memory: Spans::default(),
            reserved: Spans::default(),
            bottom_up: false,
            current_limit: u64::MAX,
            can_resize: false,
        }
    }

    /// The spans of one array.
    pub fn spans(&self, which: Array) -> &Spans {
        match which {
            Array::Memory => &self.memory,
            Array::Reserved => &self.reserved,
        }
    }

    fn spans_mut(&mut self, which: Array) -> &mut Spans {
        match which {
            Array::Memory => &mut self.memory,
            Array::Reserved => &mut self.reserved,
        }
    }

    /// `memblock_add_range`'s effect: the uncovered bytes of the capped
    /// range get `label`.
    pub fn add(&mut self, which: Array, base: PhysAddr, size: u64, label: Label) {
        self.spans_mut(which)
            .fill(base, capped_end(base, size), label);
    }

    /// `memblock_remove_range`'s effect: the capped range is uncovered.
    pub fn remove(&mut self, which: Array, base: PhysAddr, size: u64) {
        self.spans_mut(which).cut(base, capped_end(base, size));
    }

    /// The regions array `which` must have room for before
    /// `memblock_add_range(base, size)` can insert: its count plus the
    /// separate uncovered pieces of the range. `None` when the call
    /// inserts nothing or takes the empty-array shortcut (v6.18: the first
    /// region of an empty array is written without a room check).
    pub fn add_needs(&self, which: Array, base: PhysAddr, size: u64) -> Option<usize> {
        let spans = self.spans(which);
        let gaps = spans.gaps(base, capped_end(base, size));
        (gaps > 0 && !spans.is_empty()).then(|| spans.len() + gaps)
    }

    /// The regions array `which` must have room for before
    /// `memblock_isolate_range(base, size)`: two more than it holds (it
    /// makes room for two splits whether or not they happen), `None` for a
    /// capped size of 0.
    pub fn isolate_needs(&self, which: Array, base: PhysAddr, size: u64) -> Option<usize> {
        (cap_size(base, size) > 0).then(|| self.spans(which).len() + 2)
    }

    /// The free pieces of the memory regions `nid` selects (all of them
    /// unless `nid` is a valid node; `should_skip_region`), ascending.
    pub fn free_pieces(&self, nid: Option<Nid>) -> Vec<Piece> {
        let mut out = Vec::new();
        for m in self.memory.spans() {
            if numa_valid_node(nid) && m.label.nid != nid {
                continue;
            }
            for (start, end) in self.reserved.holes(m.start, m.end) {
                out.push(Piece {
                    start,
                    end,
                    nid: m.label.nid,
                });
            }
        }
        out
    }

    /// The search window of `memblock_find_in_range_node(start, end)`:
    /// an `end` of `MEMBLOCK_ALLOC_ACCESSIBLE` (0) or `_NOLEAKTRACE` (1)
    /// means `current_limit`; the start is raised to `PAGE_SIZE` (0 is the
    /// failure value, 25818f0f288c) and the end to the start.
    pub fn window(&self, start: PhysAddr, end: PhysAddr) -> (PhysAddr, PhysAddr) {
        let end = if end <= 1 { self.current_limit } else { end };
        let lo = start.max(PAGE_SIZE);
        (lo, end.max(lo))
    }

    /// True when `[a, a + size)` is a block `memblock_find_in_range_node(size,
    /// align, start, end, nid)` may return: aligned, inside the window,
    /// inside one free piece of the selected nodes. `align` must be a power
    /// of two and `size` non-zero.
    pub fn fits(
        &self,
        a: PhysAddr,
        size: u64,
        align: u64,
        (start, end): (PhysAddr, PhysAddr),
        nid: Option<Nid>,
    ) -> bool {
        let (lo, hi) = self.window(start, end);
        let Some(block_end) = a.checked_add(size) else {
            return false;
        };
        align_down(a, align) == Some(a)
            && lo <= a
            && block_end <= hi
            && self
                .free_pieces(nid)
                .iter()
                .any(|p| p.start <= a && block_end <= p.end)
    }

    /// `memblock_find_in_range_node(size, align, start, end, nid)`: the
    /// highest block that [`Model::fits`] top-down, the lowest bottom-up;
    /// `None` is the kernel's 0. `align` must be a power of two and `size`
    /// non-zero (a zero size is not modelled).
    pub fn find(
        &self,
        size: u64,
        align: u64,
        (start, end): (PhysAddr, PhysAddr),
        nid: Option<Nid>,
    ) -> Option<PhysAddr> {
        let (lo, hi) = self.window(start, end);
        let pieces = self.free_pieces(nid);
        let clamp = |p: &Piece| (p.start.clamp(lo, hi), p.end.clamp(lo, hi));
        if self.bottom_up {
            pieces.iter().find_map(|p| {
                let (s, e) = clamp(p);
                let a = align_up(s, align)?;
                (a.checked_add(size)? <= e).then_some(a)
            })
        } else {
            pieces.iter().rev().find_map(|p| {
                let (s, e) = clamp(p);
                let a = align_down(e.checked_sub(size)?, align)?;
                (a >= s).then_some(a)
            })
        }
    }

    /// True when a new array of `bytes` bytes could be placed by
    /// `memblock_double_array`: a page-aligned free block at or above
    /// `PAGE_SIZE`, ending at or below `current_limit`, outside `avoid`
    /// (the range about to be reserved, for the reserved array: the search
    /// looks above its end, then below its start, 48c3b583bbdd).
    pub fn array_fits(&self, bytes: u64, avoid: Option<(PhysAddr, PhysAddr)>) -> bool {
        let limit = self.current_limit;
        let windows = match avoid {
            None => vec![(0, limit)],
            Some((start, end)) => vec![(end, limit), (0, start.min(limit))],
        };
        windows.into_iter().any(|(start, end)| {
            let (lo, hi) = (start.max(PAGE_SIZE), end);
            self.free_pieces(None).iter().any(|p| {
                let (s, e) = (p.start.max(lo), p.end.min(hi));
                align_up(s, PAGE_SIZE)
                    .and_then(|a| a.checked_add(bytes))
                    .is_some_and(|block_end| block_end <= e)
            })
        })
    }

    /// `memblock_overlaps_region(which, base, size)` as fixed by
    /// 023accf5cdc1 (v5.14): true when some byte of the **capped** range
    /// is covered.
    pub fn overlaps(&self, which: Array, base: PhysAddr, size: u64) -> bool {
        let end = capped_end(base, size);
        base < end && self.spans(which).intersects(base, end)
    }

    /// `memblock_is_region_memory(base, size)`: the capped range lies
    /// inside the **one** memory region holding `base` (a size of 0 asks
    /// about `base` alone).
    pub fn is_region_memory(&self, base: PhysAddr, size: u64) -> bool {
        let end = capped_end(base, size);
        self.memory.holding(base).is_some_and(|m| m.end >= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, end: u64) -> Span {
        Span {
            start,
            end,
            label: Label::PLAIN,
        }
    }

    #[test]
    fn fill_keeps_covered_labels_and_joins_equal_neighbours() {
        let mut s = Spans::default();
        s.fill(0x1000, 0x2000, Label::kern(Some(1)));
        s.fill(0x3000, 0x4000, Label::PLAIN);
        assert_eq!(s.gaps(0, 0x5000), 3);
        s.fill(0x1800, 0x5000, Label::PLAIN);
        assert_eq!(
            s.spans(),
            [
                Span {
                    start: 0x1000,
                    end: 0x2000,
                    label: Label::kern(Some(1))
                },
                span(0x2000, 0x5000)
            ]
        );
    }

    #[test]
    fn cut_splits_spans_at_both_edges() {
        let mut s = Spans::default();
        s.fill(0x1000, 0x5000, Label::PLAIN);
        s.cut(0x2000, 0x3000);
        assert_eq!(s.spans(), [span(0x1000, 0x2000), span(0x3000, 0x5000)]);
        s.cut(0, u64::MAX);
        assert!(s.is_empty());
    }

    #[test]
    fn cap_size_stops_at_the_last_byte() {
        assert_eq!(capped_end(u64::MAX - 0xfff, u64::MAX), u64::MAX);
        assert_eq!(capped_end(0x1000, 0x1000), 0x2000);
        assert_eq!(cap_size(u64::MAX, 5), 0);
    }

    /// ```text
    ///   0x1000          0x5000
    ///   | free | R |  free  |
    ///         0x2000 0x3000
    /// ```
    /// Expect top-down to take the top of the highest piece, bottom-up the
    /// bottom of the lowest, each on the first page or above.
    #[test]
    fn find_takes_the_highest_or_lowest_fit() {
        let mut m = Model::new();
        m.add(Array::Memory, 0, 0x5000, Label::PLAIN);
        m.add(Array::Reserved, 0x2000, 0x1000, Label::PLAIN);
        let any = (0, 0);
        assert_eq!(m.find(0x1000, 0x1000, any, None), Some(0x4000));
        assert_eq!(m.find(0x2000, 0x1000, any, None), Some(0x3000));
        assert_eq!(m.find(0x2001, 1, any, None), None);
        m.bottom_up = true;
        assert_eq!(m.find(0x1000, 0x1000, any, None), Some(0x1000));
        assert_eq!(m.find(0x1001, 1, any, None), Some(0x3000));
    }
}
