//! Bytes to [`NativeCalls`]: the only way an input becomes native calls
//! (as [`crate::decode`] is for scenarios). Never panics, reads at most
//! [`MAX_OPS`] calls, and ends the list when the bytes run out (a value cut
//! short reads its missing bytes as 0).
//!
//! Values are drawn to hit edges: 0 and 1 (`MEMBLOCK_ALLOC_ACCESSIBLE` and
//! `_NOLEAKTRACE` as bounds), page edges plus or minus one inside a
//! 256 KiB window chosen per input (low memory, 4 GiB, the top of the
//! address space), the bases and ends of earlier calls' ranges, addresses
//! within a few pages of 2^64, and sizes that end exactly at or past 2^64
//! (so that `base + size` wraps, the input `memblock_cap_size` exists for),
//! alignments 0, non-powers of two and powers up to 2^63. Every value has a
//! literal strategy ([`literal`]) so that [`super::encode`] can write any
//! call list back as bytes.
//!
//! Layout: one byte each for the two static arrays' sizes
//! ([`CAPACITIES`]) and for the window ([`WINDOWS`]), then per call a tag
//! byte (`% 32`, [`literal`] names the first tag of each call) and the
//! call's values in the order of its fields.

use super::ops::{NativeCalls, NativeOp};
use arbitrary::{Arbitrary, Unstructured};
use bootmem::memblock::Array;
use bootmem::{Nid, PhysAddr, MAX_NODES, PAGE_SIZE, SMP_CACHE_BYTES};

/// At most this many calls per input.
pub const MAX_OPS: usize = 64;

/// The static arrays' sizes an input can choose (`byte % 6`): small ones
/// make the arrays fill and double within a few calls; 128 is the kernel's
/// `INIT_MEMBLOCK_REGIONS`.
pub const CAPACITIES: [usize; 6] = [2, 3, 4, 8, 16, 128];

/// The bases of the 256 KiB windows most addresses fall in (`byte % 4`):
/// low memory (page 0 included), 1 MiB, across 4 GiB, and the top 256 KiB
/// of the address space.
pub const WINDOWS: [PhysAddr; 4] = [0, 0x10_0000, 0xfffe_0000, 0u64.wrapping_sub(0x4_0000)];

/// Points (bases and ends of earlier ranges) remembered for later values.
const MAX_POINTS: usize = 16;

/// The strategy tags whose payload is the literal value (what
/// [`super::encode`] writes), and the first tag of each call.
pub mod literal {
    /// `byte % 12`: an address is a u64.
    pub const ADDR: u8 = 0;
    /// `byte % 12`: a size is a u64.
    pub const SIZE: u8 = 0;
    /// `byte % 10`: an alignment is a u64.
    pub const ALIGN: u8 = 0;
    /// `byte % 8`: a bound (end, max, limit) is a u64.
    pub const BOUND: u8 = 0;
    /// `byte % 8`: a node is `Some(next byte)`.
    pub const NID: u8 = 0;
    /// `byte % 8`: the node is `NUMA_NO_NODE`.
    pub const NO_NODE: u8 = 1;
    /// Call tags (`byte % 32`).
    pub const ADD_NODE: u8 = 0;
    /// See [`ADD_NODE`].
    pub const ADD: u8 = 5;
    /// See [`ADD_NODE`].
    pub const RESERVE: u8 = 7;
    /// See [`ADD_NODE`].
    pub const REMOVE: u8 = 12;
    /// See [`ADD_NODE`].
    pub const FREE: u8 = 14;
    /// See [`ADD_NODE`].
    pub const PHYS_ALLOC_RANGE: u8 = 17;
    /// See [`ADD_NODE`].
    pub const ALLOC_TRY_NID: u8 = 20;
    /// See [`ADD_NODE`].
    pub const ALLOC_EXACT_NID: u8 = 24;
    /// See [`ADD_NODE`]; the next byte's low bit is the flag.
    pub const SET_BOTTOM_UP: u8 = 25;
    /// See [`ADD_NODE`].
    pub const SET_CURRENT_LIMIT: u8 = 26;
    /// See [`ADD_NODE`].
    pub const ALLOW_RESIZE: u8 = 27;
    /// See [`ADD_NODE`].
    pub const IS_REGION_RESERVED: u8 = 28;
    /// See [`ADD_NODE`].
    pub const IS_REGION_MEMORY: u8 = 29;
    /// See [`ADD_NODE`]; the next byte's low bit picks the array (1:
    /// reserved).
    pub const OVERLAPS: u8 = 30;
}

/// Decodes `data` into native calls. Never panics; any byte string (the
/// empty one included) gives a valid list of at most [`MAX_OPS`] calls.
pub fn decode(data: &[u8]) -> NativeCalls {
    let mut u = Unstructured::new(data);
    let memory_regions = CAPACITIES[usize::from(byte(&mut u)) % CAPACITIES.len()];
    let reserved_regions = CAPACITIES[usize::from(byte(&mut u)) % CAPACITIES.len()];
    let window = WINDOWS[usize::from(byte(&mut u)) % WINDOWS.len()];
    let mut gen = Gen {
        window,
        points: Vec::new(),
    };
    let mut ops = Vec::new();
    while ops.len() < MAX_OPS && !u.is_empty() {
        ops.push(gen.op(&mut u));
    }
    NativeCalls {
        memory_regions,
        reserved_regions,
        ops,
    }
}

/// Reads one byte; 0 once the bytes have run out.
fn byte(u: &mut Unstructured) -> u8 {
    u8::arbitrary(u).unwrap_or(0)
}

/// Reads a little-endian u64 (missing bytes read as 0).
fn word(u: &mut Unstructured) -> u64 {
    u64::arbitrary(u).unwrap_or(0)
}

/// The generator's memory: the window and recent range edges.
struct Gen {
    window: PhysAddr,
    points: Vec<PhysAddr>,
}

impl Gen {
    fn op(&mut self, u: &mut Unstructured) -> NativeOp {
        use literal as t;
        let tag = byte(u) % 32;
        match tag {
            0..=4 => {
                let (base, size) = self.range(u);
                let nid = nid(u);
                NativeOp::AddNode { base, size, nid }
            }
            5..=6 => {
                let (base, size) = self.range(u);
                NativeOp::Add { base, size }
            }
            7..=11 => {
                let (base, size) = self.range(u);
                NativeOp::Reserve { base, size }
            }
            12..=13 => {
                let (base, size) = self.range(u);
                NativeOp::Remove { base, size }
            }
            14..=16 => {
                let (base, size) = self.range(u);
                NativeOp::Free { base, size }
            }
            17..=19 => NativeOp::PhysAllocRange {
                size: self.size(u, 0),
                align: align(u),
                start: self.addr(u),
                end: self.bound(u),
            },
            20..=24 => {
                let size = self.size(u, 0);
                let align = align(u);
                let min = self.addr(u);
                let max = self.bound(u);
                let nid = nid(u);
                if tag == t::ALLOC_EXACT_NID {
                    NativeOp::AllocExactNid {
                        size,
                        align,
                        min,
                        max,
                        nid,
                    }
                } else {
                    NativeOp::AllocTryNid {
                        size,
                        align,
                        min,
                        max,
                        nid,
                    }
                }
            }
            t::SET_BOTTOM_UP => NativeOp::SetBottomUp(byte(u) & 1 == 1),
            t::SET_CURRENT_LIMIT => NativeOp::SetCurrentLimit(self.bound(u)),
            t::ALLOW_RESIZE => NativeOp::AllowResize,
            t::IS_REGION_RESERVED => {
                let (base, size) = self.query(u);
                NativeOp::IsRegionReserved { base, size }
            }
            t::IS_REGION_MEMORY => {
                let (base, size) = self.query(u);
                NativeOp::IsRegionMemory { base, size }
            }
            _ => {
                let which = if byte(u) & 1 == 1 {
                    Array::Reserved
                } else {
                    Array::Memory
                };
                let (base, size) = self.query(u);
                NativeOp::Overlaps { which, base, size }
            }
        }
    }

    /// A range for a call that changes an array; its edges are remembered.
    fn range(&mut self, u: &mut Unstructured) -> (PhysAddr, u64) {
        let base = self.addr(u);
        let size = self.size(u, base);
        self.remember(base);
        self.remember(base.saturating_add(size));
        (base, size)
    }

    /// A range for a query; nothing is remembered.
    fn query(&mut self, u: &mut Unstructured) -> (PhysAddr, u64) {
        let base = self.addr(u);
        (base, self.size(u, base))
    }

    fn remember(&mut self, point: PhysAddr) {
        if self.points.len() >= MAX_POINTS {
            self.points.remove(0);
        }
        self.points.push(point);
    }

    /// A remembered point (the window's base before there is any).
    fn point(&self, u: &mut Unstructured) -> PhysAddr {
        let i = usize::from(byte(u));
        match self.points.len() {
            0 => self.window,
            n => self.points[i % n],
        }
    }

    /// `window + k pages`, `k < 64`.
    fn in_window(&self, u: &mut Unstructured) -> PhysAddr {
        self.window
            .wrapping_add(u64::from(byte(u) % 64).wrapping_mul(PAGE_SIZE))
    }

    fn addr(&self, u: &mut Unstructured) -> PhysAddr {
        match byte(u) % 12 {
            literal::ADDR => word(u),
            1 => 0,
            2 => 1,
            3 => self.in_window(u),
            4 => self.in_window(u).wrapping_add(1),
            5 => self.in_window(u).wrapping_sub(1),
            6 => self.point(u),
            7 => self.point(u).wrapping_add(1),
            8 => self.point(u).wrapping_sub(1),
            9 => self
                .point(u)
                .wrapping_add(u64::from(1 + byte(u) % 16) * PAGE_SIZE),
            // The last bytes below 2^64: u64::MAX - k pages.
            10 => u64::MAX - u64::from(byte(u) % 16) * PAGE_SIZE,
            // Page edges just below 2^64.
            _ => 0u64.wrapping_sub(u64::from(1 + byte(u) % 16) * PAGE_SIZE),
        }
    }

    /// A size for a range starting at `base`.
    fn size(&self, u: &mut Unstructured, base: PhysAddr) -> u64 {
        let pages = |u: &mut Unstructured| u64::from(1 + byte(u) % 32) * PAGE_SIZE;
        match byte(u) % 12 {
            literal::SIZE => word(u),
            1 => 0,
            2 => 1,
            3 => pages(u),
            4 => pages(u) + 1,
            5 => pages(u) - 1,
            6 => u64::MAX,
            // Ends exactly at 2^64: `base + size` wraps to 0.
            7 => 0u64.wrapping_sub(base),
            // Ends past 2^64 by some pages: `base + size` wraps above 0.
            8 => 0u64
                .wrapping_sub(base)
                .wrapping_add(u64::from(1 + byte(u) % 4) * PAGE_SIZE),
            // Ends on a remembered point.
            9 => self.point(u).wrapping_sub(base),
            10 => 1 << 63,
            _ => u64::from(1 + byte(u) % 16) * 16 * PAGE_SIZE,
        }
    }

    /// An end bound, `max_addr` or `current_limit`.
    fn bound(&self, u: &mut Unstructured) -> PhysAddr {
        match byte(u) % 8 {
            literal::BOUND => word(u),
            1 => 0,
            2 => 1,
            3 => u64::MAX,
            4 => self.in_window(u),
            5 => self.point(u),
            6 => self
                .point(u)
                .wrapping_add(u64::from(byte(u) % 8) * PAGE_SIZE),
            _ => bootmem::memblock::ARCH_LOW_ADDRESS_LIMIT,
        }
    }
}

fn align(u: &mut Unstructured) -> u64 {
    match byte(u) % 10 {
        literal::ALIGN => word(u),
        1 => 0,
        2 => 1,
        3 => 8,
        4 => SMP_CACHE_BYTES,
        5 | 9 => PAGE_SIZE,
        6 => PAGE_SIZE << (byte(u) % 9),
        7 => 1 << (byte(u) % 64),
        _ => [3, 24, PAGE_SIZE + 1][usize::from(byte(u) % 3)],
    }
}

fn nid(u: &mut Unstructured) -> Option<Nid> {
    match byte(u) % 8 {
        literal::NID => Some(u32::from(byte(u))),
        literal::NO_NODE => None,
        6 => Some(0),
        // Not a valid node: `numa_valid_node` is false, so it selects no
        // node, yet a reservation keeps it.
        7 => Some(MAX_NODES),
        tag => Some(u32::from(tag - 2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_input_is_no_calls_with_the_smallest_arrays() {
        let calls = decode(b"");
        assert!(calls.ops.is_empty());
        assert_eq!((calls.memory_regions, calls.reserved_regions), (2, 2));
    }

    #[test]
    fn a_literal_reserve_decodes_exactly() {
        let mut data = vec![5, 0, 0, literal::RESERVE, literal::ADDR];
        data.extend_from_slice(&0x1000u64.to_le_bytes());
        data.push(literal::SIZE);
        data.extend_from_slice(&0x2000u64.to_le_bytes());
        let calls = decode(&data);
        assert_eq!(calls.memory_regions, 128);
        assert_eq!(
            calls.ops,
            [NativeOp::Reserve {
                base: 0x1000,
                size: 0x2000
            }]
        );
        assert_eq!(
            calls.ops[0].to_string(),
            "memblock_reserve(0x1000, 0x2000);"
        );
    }

    #[test]
    fn decoding_never_panics_and_stays_bounded() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..2_000usize {
            let data: Vec<u8> = (0..len % 700)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let calls = decode(&data);
            assert!(calls.ops.len() <= MAX_OPS);
            assert!(CAPACITIES.contains(&calls.memory_regions));
            assert!(CAPACITIES.contains(&calls.reserved_regions));
        }
        assert_eq!(decode(&[0xff; 10_000]).ops.len(), MAX_OPS);
    }

    #[test]
    fn wrapping_ranges_are_drawn() {
        // A reserve at the top page with size tag 6 (u64::MAX).
        let data = [0, 0, 3, literal::RESERVE, 11, 0, 6];
        let calls = decode(&data);
        let NativeOp::Reserve { base, size } = calls.ops[0] else {
            panic!("{calls}");
        };
        assert!(base.checked_add(size).is_none(), "{calls}");
    }
}
