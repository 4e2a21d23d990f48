//! `decode`: the only way bytes become a [`Scenario`] (DESIGN "the walk of
//! one input", step 2). Every engine, the built-in one included, calls it, so
//! an input found by one engine replays identically under every other.
//!
//! The decoder is structure-aware: bytes choose among strategies that aim at
//! the edges SPEC section 2 lists (range and node boundaries, page edges
//! plus or minus one, sizes 0 and near 2^64, non-power-of-two alignments,
//! goals past the end, limits below the goal, maps within a few pages of
//! 2^64, interleaved nodes). It is bounded by [`DecodeBounds`], never
//! panics, and stops the op list when the bytes run out.

use crate::scenario::{MemoryMap, Op, Part, RamRange, Scenario};
use arbitrary::{Arbitrary, Unstructured};
use bootmem::{
    AllocRequest, Nid, NodePolicy, OnFail, PhysAddr, Range, ReserveMode, MAX_NODES, PAGE_SIZE,
    SMP_CACHE_BYTES,
};

/// Generation bounds (SPEC section 2 defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeBounds {
    /// At most this many distinct nodes (`<= MAX_NODES`).
    pub max_nodes: u32,
    /// At most this many RAM ranges.
    pub max_ranges: usize,
    /// At most this many bytes of RAM in all.
    pub max_ram: u64,
    /// The map spans at most this many bytes.
    pub max_span: u64,
    /// At most this many ops.
    pub max_ops: usize,
}

impl Default for DecodeBounds {
    fn default() -> DecodeBounds {
        DecodeBounds {
            max_nodes: 8,
            max_ranges: 16,
            max_ram: 256 << 20,
            max_span: 4 << 30,
            max_ops: 128,
        }
    }
}

/// Decodes `data` into a scenario within the default bounds. Never panics;
/// any byte string (the empty one included) gives a valid scenario.
pub fn decode(data: &[u8]) -> Scenario {
    decode_with(data, &DecodeBounds::default())
}

/// Decodes `data` into a scenario within `bounds`.
pub fn decode_with(data: &[u8], bounds: &DecodeBounds) -> Scenario {
    let mut u = Unstructured::new(data);
    generate(&mut u, bounds)
}

impl<'a> Arbitrary<'a> for Scenario {
    /// The same generator as [`decode`], so `arbtest` properties and fuzz
    /// targets see the same distribution.
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Scenario> {
        Ok(generate(u, &DecodeBounds::default()))
    }
}

/// The strategy tags whose payload is a literal value, so that any
/// scenario within the bounds can be written as bytes that decode back to
/// it exactly (`crate::encode`). Each comment names the modulus the tag is
/// taken with.
pub(crate) mod literal {
    /// `nid_style = byte % 5`: every range's nid is its own byte.
    pub const NID_STYLE: u8 = 4;
    /// `byte % 7`: the gap before a range is a u64.
    pub const GAP: u8 = 6;
    /// `byte % 7`: a range's length is a u64.
    pub const LEN: u8 = 6;
    /// `byte % 8`: the base is a u64 (capped so the map fits below 2^64).
    pub const BASE: u8 = 5;
    /// `byte % 20`: the op kinds.
    pub const OP_RESERVE: u8 = 0;
    /// See [`OP_RESERVE`].
    pub const OP_RESERVE_NODE: u8 = 4;
    /// See [`OP_RESERVE`].
    pub const OP_FREE: u8 = 6;
    /// See [`OP_RESERVE`].
    pub const OP_FREE_NODE: u8 = 9;
    /// See [`OP_RESERVE`].
    pub const OP_ALLOC: u8 = 10;
    /// See [`OP_RESERVE`].
    pub const OP_FREE_ALLOC: u8 = 17;
    /// `byte % 11`: an address is a u64.
    pub const ADDR: u8 = 10;
    /// `byte % 11`: a size is a u64.
    pub const SIZE: u8 = 10;
    /// `byte % 8`: a request's size comes from the size picker.
    pub const REQ_SIZE: u8 = 4;
    /// `byte % 13`: an alignment is a u64.
    pub const ALIGN: u8 = 12;
    /// `byte % 7`: a goal or a limit is a u64.
    pub const GOAL_LIMIT: u8 = 6;
    /// `byte % 8`: a node id is the next byte (mod 64).
    pub const NID: u8 = 0;
}

/// Reads one byte; 0 once the bytes have run out.
fn byte(u: &mut Unstructured) -> u8 {
    u8::arbitrary(u).unwrap_or(0)
}

/// Reads a little-endian u64 (missing bytes read as 0).
fn word(u: &mut Unstructured) -> u64 {
    u64::arbitrary(u).unwrap_or(0)
}

/// Reads a u16.
fn half(u: &mut Unstructured) -> u64 {
    u64::from(u16::arbitrary(u).unwrap_or(0))
}

/// The whole generator: a map, then ops until the bytes or the bound run out.
fn generate(u: &mut Unstructured, bounds: &DecodeBounds) -> Scenario {
    let map = generate_map(u, bounds);
    let mut gen = OpGen::new(&map);
    let release_at_end = byte(u) % 4 != 0;
    let mut ops = Vec::new();
    let max_ops = if release_at_end {
        bounds.max_ops.saturating_sub(1)
    } else {
        bounds.max_ops
    };
    while ops.len() < max_ops && !u.is_empty() {
        ops.push(gen.op(u));
    }
    if release_at_end && bounds.max_ops > 0 {
        ops.push(Op::ReleaseAll);
    }
    Scenario { map, ops }
}

/// A map that is always valid: ranges laid out left to right with gaps,
/// then moved to a base address chosen among edge cases.
fn generate_map(u: &mut Unstructured, bounds: &DecodeBounds) -> MemoryMap {
    let max_nodes = bounds.max_nodes.clamp(1, MAX_NODES);
    let nodes = 1 + u32::from(byte(u)) % max_nodes;
    let count = 1 + usize::from(byte(u)) % bounds.max_ranges.max(1);
    let nid_style = byte(u) % 5;
    let spread = byte(u) % 2 == 1;
    let node_id = |k: u32| -> Nid {
        if spread {
            (k * 7 + 3) % MAX_NODES
        } else {
            k
        }
    };
    let mut layout: Vec<(u64, u64, Nid)> = Vec::new(); // (offset, len, nid)
    let (mut cursor, mut ram) = (0u64, 0u64);
    for i in 0..count {
        let gap = match byte(u) % 7 {
            literal::GAP => word(u),
            0 | 1 => 0,
            2 => (1 + half(u) % 256) * PAGE_SIZE,
            3 => 1 + half(u) % (2 * PAGE_SIZE),
            4 => (1 + half(u)) << 16,
            _ => (1 + half(u) % 64) * PAGE_SIZE + PAGE_SIZE / 2,
        };
        let len = match byte(u) % 7 {
            literal::LEN => word(u),
            0 | 1 => (1 + half(u) % 4096) * PAGE_SIZE,
            2 => (1 + half(u) % 512) * PAGE_SIZE + half(u) % PAGE_SIZE,
            3 => 1 + half(u) % (3 * PAGE_SIZE),
            4 => (1 + half(u) % 1024) << 16,
            _ => (1 + half(u) % 64) * PAGE_SIZE,
        };
        let i = i as u32;
        let nid = match nid_style {
            0 => node_id(i % nodes),
            1 => node_id(i * nodes / count as u32),
            2 => node_id(u32::from(byte(u)) % nodes),
            3 => node_id((i / 2) % nodes),
            _ => {
                // A literal nid; a new one past `nodes` distinct reuses the first.
                let nid = u32::from(byte(u)) % MAX_NODES;
                let mut seen: Vec<Nid> = layout.iter().map(|l| l.2).collect();
                seen.sort_unstable();
                seen.dedup();
                match (seen.contains(&nid), layout.first()) {
                    (false, Some(first)) if seen.len() as u32 >= nodes => first.2,
                    _ => nid,
                }
            }
        };
        let gap = if i == 0 { gap % (4 * PAGE_SIZE) } else { gap };
        let len = len.min(bounds.max_ram.saturating_sub(ram));
        let start = cursor.saturating_add(gap);
        let end = start.saturating_add(len);
        if len == 0 || end > bounds.max_span {
            break;
        }
        layout.push((start, len, nid));
        cursor = end;
        ram += len;
    }
    if layout.is_empty() {
        layout.push((PAGE_SIZE, 16 * PAGE_SIZE, node_id(0)));
        cursor = 17 * PAGE_SIZE;
    }
    let base = choose_base(u, cursor);
    let ranges: Vec<RamRange> = layout
        .iter()
        .filter_map(|&(off, len, nid)| {
            let start = base.checked_add(off)?;
            Some(RamRange {
                range: Range::from_base_size(start, len)?,
                nid,
            })
        })
        .collect();
    MemoryMap::new(&ranges).unwrap_or_else(|_| fallback_map())
}

/// Where the map starts: low memory, a 4 GiB boundary, a random place, or
/// within a few pages of 2^64 (to reach overflow paths).
fn choose_base(u: &mut Unstructured, span: u64) -> PhysAddr {
    let room = u64::MAX - span;
    let base = match byte(u) % 8 {
        literal::BASE => word(u),
        0..=2 => 0,
        3 => (half(u) % 64) << 32,
        4 => word(u).checked_rem(room).unwrap_or(0) & !(PAGE_SIZE - 1),
        6 => room.saturating_sub((half(u) % 4) * PAGE_SIZE + 1),
        _ => (1 + half(u) % 4096) << 20,
    };
    base.min(room)
}

fn fallback_map() -> MemoryMap {
    let r = RamRange {
        range: Range::EMPTY,
        nid: 0,
    };
    MemoryMap::new(&[RamRange {
        range: Range::new(0, 16 * PAGE_SIZE).unwrap_or(r.range),
        ..r
    }])
    .unwrap_or_default()
}

/// Op generation with the map's interesting points at hand.
pub(crate) struct OpGen {
    /// Range and node boundaries, plus the span's ends.
    points: Vec<PhysAddr>,
    /// RAM ranges, for picks inside RAM.
    ranges: Vec<RamRange>,
    /// Node ids with RAM.
    nodes: Vec<Nid>,
    /// Addresses used by earlier ops, so frees meet reserves.
    history: Vec<PhysAddr>,
}

impl OpGen {
    /// A generator aimed at the edges of `map`.
    pub(crate) fn new(map: &MemoryMap) -> OpGen {
        let mut points: Vec<PhysAddr> = map
            .ranges()
            .iter()
            .flat_map(|r| [r.range.start(), r.range.end()])
            .collect();
        points.dedup();
        OpGen {
            points,
            ranges: map.ranges().to_vec(),
            nodes: map.nodes(),
            history: Vec::new(),
        }
    }

    /// One op, drawn from `u`.
    pub(crate) fn op(&mut self, u: &mut Unstructured) -> Op {
        // Tags: see `literal::OP_*`.
        let op = match byte(u) % 20 {
            0..=3 => Op::Reserve {
                base: self.addr(u),
                size: self.size(u),
                mode: if byte(u) % 3 == 0 {
                    ReserveMode::Exclusive
                } else {
                    ReserveMode::Default
                },
            },
            4 | 5 => Op::ReserveNode {
                nid: self.nid(u),
                base: self.addr(u),
                size: self.size(u),
                mode: if byte(u) % 3 == 0 {
                    ReserveMode::Exclusive
                } else {
                    ReserveMode::Default
                },
            },
            6..=8 => Op::Free {
                base: self.addr(u),
                size: self.size(u),
            },
            9 => Op::FreeNode {
                nid: self.nid(u),
                base: self.addr(u),
                size: self.size(u),
            },
            10..=16 => Op::Alloc(self.request(u)),
            _ => Op::FreeAlloc {
                index: u32::from(byte(u)),
                part: match byte(u) % 6 {
                    0..=2 => Part::All,
                    3 => Part::Head,
                    4 => Part::Tail,
                    _ => Part::Middle,
                },
            },
        };
        if let Op::Reserve { base, size, .. } | Op::ReserveNode { base, size, .. } = op {
            self.remember(base);
            self.remember(base.wrapping_add(size));
        }
        op
    }

    /// One of the map's RAM ranges.
    fn some_range(&self, u: &mut Unstructured) -> Range {
        let fallback = Range::new(PAGE_SIZE, 2 * PAGE_SIZE).unwrap_or(Range::EMPTY);
        Self::pick(
            u,
            &self.ranges,
            RamRange {
                range: fallback,
                nid: 0,
            },
        )
        .range
    }

    fn remember(&mut self, addr: PhysAddr) {
        if self.history.len() >= 32 {
            self.history.remove(0);
        }
        self.history.push(addr);
    }

    fn pick<T: Copy>(u: &mut Unstructured, items: &[T], default: T) -> T {
        if items.is_empty() {
            return default;
        }
        items[usize::from(byte(u)) % items.len()]
    }

    /// An address aimed at an edge.
    fn addr(&mut self, u: &mut Unstructured) -> PhysAddr {
        let point = Self::pick(u, &self.points, PAGE_SIZE);
        match byte(u) % 11 {
            literal::ADDR => word(u),
            0 | 1 => point,
            2 | 3 => {
                let delta = Self::pick(
                    u,
                    &[1, PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 2 * PAGE_SIZE],
                    1,
                );
                if byte(u) % 2 == 0 {
                    point.wrapping_add(delta)
                } else {
                    point.wrapping_sub(delta)
                }
            }
            4 | 5 => {
                let r = self.some_range(u);
                let pages = r.len() / PAGE_SIZE;
                r.start() + (word(u) % pages.max(1)) * PAGE_SIZE
            }
            6 => {
                let r = self.some_range(u);
                r.start() + word(u) % r.len().max(1)
            }
            7 => Self::pick(u, &self.history, point),
            8 => u64::MAX - half(u) % (4 * PAGE_SIZE),
            _ => Self::pick(u, &[0, PAGE_SIZE, PAGE_SIZE - 1], 0),
        }
    }

    /// A size aimed at an edge.
    fn size(&mut self, u: &mut Unstructured) -> u64 {
        match byte(u) % 11 {
            literal::SIZE => word(u),
            0..=2 => (1 + half(u) % 64) * PAGE_SIZE,
            3 => 1 + half(u) % (2 * PAGE_SIZE),
            4 => Self::pick(u, &[0, 1, PAGE_SIZE - 1, PAGE_SIZE + 1], 0),
            5 => u64::MAX - half(u) % (4 * PAGE_SIZE),
            6 => self.some_range(u).len(),
            7 => (1 + half(u) % 4096) * PAGE_SIZE,
            _ => half(u) % (64 * PAGE_SIZE),
        }
    }

    /// A node id: mostly one with RAM, sometimes one without.
    fn nid(&mut self, u: &mut Unstructured) -> Nid {
        if byte(u) % 8 == 0 {
            u32::from(byte(u)) % MAX_NODES
        } else {
            Self::pick(u, &self.nodes, 0)
        }
    }

    fn align(u: &mut Unstructured) -> u64 {
        match byte(u) % 13 {
            literal::ALIGN => word(u),
            0..=2 => SMP_CACHE_BYTES,
            3 | 4 => PAGE_SIZE,
            5 => 1 << (byte(u) % 31),
            6 => 0,
            7 => Self::pick(u, &[3, 48, 0x1800, PAGE_SIZE + 1], 3),
            8 => 1,
            9 => 1 << (byte(u) % 64),
            _ => 8,
        }
    }

    fn request(&mut self, u: &mut Unstructured) -> AllocRequest {
        let size = match byte(u) % 8 {
            0..=2 => 1 + half(u) % (4 * PAGE_SIZE),
            3 => (1 + half(u) % 256) * PAGE_SIZE,
            _ => self.size(u),
        };
        let align = Self::align(u);
        let goal = match byte(u) % 7 {
            literal::GOAL_LIMIT => word(u),
            0..=2 => 0,
            3 => self.addr(u),
            4 => Self::pick(u, &self.points, 0).saturating_add(half(u) * PAGE_SIZE),
            _ => self
                .points
                .last()
                .copied()
                .unwrap_or(0)
                .saturating_add(PAGE_SIZE),
        };
        let limit = match byte(u) % 7 {
            literal::GOAL_LIMIT => word(u),
            0..=2 => 0,
            3 => self.addr(u),
            4 => goal.saturating_sub(half(u) % (4 * PAGE_SIZE)),
            _ => Self::pick(u, &self.points, 0),
        };
        let flags = byte(u);
        AllocRequest {
            size,
            align,
            goal,
            limit,
            nid: if flags % 3 == 0 {
                None
            } else {
                Some(self.nid(u))
            },
            policy: if flags & 8 != 0 {
                NodePolicy::Exact
            } else {
                NodePolicy::Prefer
            },
            on_fail: if flags & 16 != 0 {
                OnFail::Panic
            } else {
                OnFail::Null
            },
        }
    }
}
