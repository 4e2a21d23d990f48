//! Scenario, memory map and operations (SPEC section 2).
//!
//! A [`Scenario`] is what every engine decodes its input bytes into
//! (`crate::decode`), what the `.scn` text format prints (`crate::text`),
//! and what the runner plays against each backend (`crate::run`).

use bootmem::{AllocRequest, Nid, PhysAddr, Range, ReserveMode, MAX_NODES};
use std::fmt;

/// One RAM range of the memory map and the node it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RamRange {
    /// The bytes of RAM, `[start, end)`, never empty.
    pub range: Range,
    /// The node that owns them, `< MAX_NODES`.
    pub nid: Nid,
}

/// Why a list of RAM ranges is not a valid memory map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// Range number `index` (in the order given) is empty.
    Empty { index: usize },
    /// Range number `index` names a node `>= MAX_NODES`.
    BadNode { index: usize },
    /// Ranges number `first` and `second` share bytes.
    Overlap { first: usize, second: usize },
    /// The map holds no range at all.
    NoRam,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Empty { index } => write!(f, "RAM range #{index} is empty"),
            MapError::BadNode { index } => {
                write!(f, "RAM range #{index} names a node >= {MAX_NODES}")
            }
            MapError::Overlap { first, second } => {
                write!(f, "RAM ranges #{first} and #{second} overlap")
            }
            MapError::NoRam => write!(f, "the memory map has no RAM range"),
        }
    }
}

/// A validated memory map: RAM ranges sorted by start, non-overlapping, each
/// non-empty, adjacent ranges of one node merged (SPEC section 2: "the map is
/// normalized when it is registered"). Holes between ranges are not RAM.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct MemoryMap {
    ranges: Vec<RamRange>,
}

impl MemoryMap {
    /// Validates and normalizes `ranges` (any order). Errors name ranges by
    /// their index in `ranges`.
    pub fn new(ranges: &[RamRange]) -> Result<MemoryMap, MapError> {
        if ranges.is_empty() {
            return Err(MapError::NoRam);
        }
        for (index, r) in ranges.iter().enumerate() {
            if r.range.is_empty() {
                return Err(MapError::Empty { index });
            }
            if r.nid >= MAX_NODES {
                return Err(MapError::BadNode { index });
            }
        }
        let mut order: Vec<usize> = (0..ranges.len()).collect();
        order.sort_by_key(|&i| ranges[i].range.start());
        for pair in order.windows(2) {
            if ranges[pair[0]].range.overlaps(ranges[pair[1]].range) {
                let (first, second) = (pair[0].min(pair[1]), pair[0].max(pair[1]));
                return Err(MapError::Overlap { first, second });
            }
        }
        let mut merged: Vec<RamRange> = Vec::with_capacity(ranges.len());
        for &i in &order {
            let r = ranges[i];
            match merged.last_mut() {
                Some(last) if last.nid == r.nid && last.range.end() == r.range.start() => {
                    last.range =
                        Range::new(last.range.start(), r.range.end()).unwrap_or(last.range);
                }
                _ => merged.push(r),
            }
        }
        Ok(MemoryMap { ranges: merged })
    }

    /// The normalized RAM ranges, sorted by start.
    pub fn ranges(&self) -> &[RamRange] {
        &self.ranges
    }

    /// The node ids that own RAM, ascending, each once.
    pub fn nodes(&self) -> Vec<Nid> {
        let mut nids: Vec<Nid> = self.ranges.iter().map(|r| r.nid).collect();
        nids.sort_unstable();
        nids.dedup();
        nids
    }

    /// Total bytes of RAM.
    pub fn total_bytes(&self) -> u128 {
        self.ranges.iter().map(|r| r.range.len() as u128).sum()
    }

    /// `[lowest start, highest end)` over all ranges.
    pub fn span(&self) -> Range {
        match (self.ranges.first(), self.ranges.last()) {
            (Some(first), Some(last)) => {
                Range::new(first.range.start(), last.range.end()).unwrap_or(Range::EMPTY)
            }
            _ => Range::EMPTY,
        }
    }
}

/// Which part of a live allocation a `free_alloc` op frees. Offsets are
/// computed from the allocation's size, so they mean the same thing on every
/// backend whatever address it chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// `[a, a + size)`.
    All,
    /// `[a, a + size / 2)`.
    Head,
    /// `[a + size / 2, a + size)`.
    Tail,
    /// `[a + size / 4, a + size - size / 4)`.
    Middle,
}

impl Part {
    /// The byte range of this part of an allocation `[start, start + size)`.
    /// `None` only if the allocation itself would pass 2^64.
    pub fn of(self, start: PhysAddr, size: u64) -> Option<Range> {
        let whole = Range::from_base_size(start, size)?;
        let (lo, hi) = match self {
            Part::All => (0, size),
            Part::Head => (0, size / 2),
            Part::Tail => (size / 2, size),
            Part::Middle => (size / 4, size - size / 4),
        };
        Range::new(whole.start() + lo, whole.start() + hi)
    }

    /// The name used by the text format.
    pub const fn name(self) -> &'static str {
        match self {
            Part::All => "all",
            Part::Head => "head",
            Part::Tail => "tail",
            Part::Middle => "middle",
        }
    }
}

/// One operation of a scenario (SPEC section 2). The vocabulary is stable:
/// new ops are appended, never renumbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `reserve([base, base + size), mode)`.
    Reserve {
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    },
    /// `reserve_node(nid, [base, base + size), mode)`.
    ReserveNode {
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    },
    /// `free([base, base + size))`.
    Free { base: PhysAddr, size: u64 },
    /// `free_node(nid, [base, base + size))`.
    FreeNode { nid: Nid, base: PhysAddr, size: u64 },
    /// `alloc(request)`.
    Alloc(AllocRequest),
    /// Frees `part` of the live allocation number `index % live_count`
    /// (in the order they were made); skipped when none is live. The
    /// allocation stops being live whichever part is freed.
    FreeAlloc { index: u32, part: Part },
    /// The hand-off; always last if present.
    ReleaseAll,
}

/// The kind of an op, used in finding signatures and coverage features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// Registering the memory map (`add_memory`).
    AddMemory,
    /// `setup`.
    Setup,
    /// [`Op::Reserve`].
    Reserve,
    /// [`Op::ReserveNode`].
    ReserveNode,
    /// [`Op::Free`].
    Free,
    /// [`Op::FreeNode`].
    FreeNode,
    /// [`Op::Alloc`].
    Alloc,
    /// [`Op::FreeAlloc`].
    FreeAlloc,
    /// [`Op::ReleaseAll`].
    ReleaseAll,
}

impl OpKind {
    /// The name used by the text format and by signatures.
    pub const fn name(self) -> &'static str {
        match self {
            OpKind::AddMemory => "add_memory",
            OpKind::Setup => "setup",
            OpKind::Reserve => "reserve",
            OpKind::ReserveNode => "reserve_node",
            OpKind::Free => "free",
            OpKind::FreeNode => "free_node",
            OpKind::Alloc => "alloc",
            OpKind::FreeAlloc => "free_alloc",
            OpKind::ReleaseAll => "release_all",
        }
    }
}

impl Op {
    /// This op's kind.
    pub const fn kind(&self) -> OpKind {
        match self {
            Op::Reserve { .. } => OpKind::Reserve,
            Op::ReserveNode { .. } => OpKind::ReserveNode,
            Op::Free { .. } => OpKind::Free,
            Op::FreeNode { .. } => OpKind::FreeNode,
            Op::Alloc(_) => OpKind::Alloc,
            Op::FreeAlloc { .. } => OpKind::FreeAlloc,
            Op::ReleaseAll => OpKind::ReleaseAll,
        }
    }
}

impl Op {
    /// The op with `f(base, size)` as the start of the range it names
    /// (reserves and frees); any other op as it is. `None` when `f` gives
    /// `None`.
    pub fn with_base(self, f: impl FnOnce(PhysAddr, u64) -> Option<PhysAddr>) -> Option<Op> {
        Some(match self {
            Op::Reserve { base, size, mode } => Op::Reserve {
                base: f(base, size)?,
                size,
                mode,
            },
            Op::ReserveNode {
                nid,
                base,
                size,
                mode,
            } => Op::ReserveNode {
                nid,
                base: f(base, size)?,
                size,
                mode,
            },
            Op::Free { base, size } => Op::Free {
                base: f(base, size)?,
                size,
            },
            Op::FreeNode { nid, base, size } => Op::FreeNode {
                nid,
                base: f(base, size)?,
                size,
            },
            other => other,
        })
    }

    /// The op with `f(nid)` as the node it names (node calls, and
    /// allocations that name a node); any other op as it is.
    pub fn with_nid(self, f: impl FnOnce(Nid) -> Nid) -> Op {
        match self {
            Op::ReserveNode {
                nid,
                base,
                size,
                mode,
            } => Op::ReserveNode {
                nid: f(nid),
                base,
                size,
                mode,
            },
            Op::FreeNode { nid, base, size } => Op::FreeNode {
                nid: f(nid),
                base,
                size,
            },
            Op::Alloc(mut req) => {
                req.nid = req.nid.map(f);
                Op::Alloc(req)
            }
            other => other,
        }
    }
}

/// A memory map plus a sequence of operations.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Scenario {
    /// The RAM, registered before `setup`.
    pub map: MemoryMap,
    /// The ops, played in order after `setup`.
    pub ops: Vec<Op>,
}
