//! [`encode`]: native calls back to bytes that [`super::decode`] reads as
//! exactly those calls, every value written through its literal strategy.
//! This is how hand-built call lists become seed inputs and tests.

use super::decode::{literal, CAPACITIES, MAX_OPS};
use super::ops::{NativeCalls, NativeOp};
use bootmem::memblock::Array;
use bootmem::Nid;

/// Bytes that [`super::decode`] turns back into `calls`; `None` when the
/// calls cannot be written: more than [`MAX_OPS`] calls, an array size
/// that is not one of [`CAPACITIES`], or a node above 255.
pub fn encode(calls: &NativeCalls) -> Option<Vec<u8>> {
    if calls.ops.len() > MAX_OPS {
        return None;
    }
    let capacity = |n: usize| CAPACITIES.iter().position(|&c| c == n);
    let mut out = Out(Vec::new());
    out.byte(u8::try_from(capacity(calls.memory_regions)?).ok()?);
    out.byte(u8::try_from(capacity(calls.reserved_regions)?).ok()?);
    out.byte(0); // the window: unused, every value below is literal
    for op in &calls.ops {
        out.op(op)?;
    }
    Some(out.0)
}

/// The byte writer, the mirror of the decoder's readers.
struct Out(Vec<u8>);

impl Out {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    /// `tag`, then a u64 as `arbitrary` reads it: eight little-endian bytes.
    fn tagged(&mut self, tag: u8, w: u64) {
        self.0.push(tag);
        self.0.extend_from_slice(&w.to_le_bytes());
    }

    fn range(&mut self, base: u64, size: u64) {
        self.tagged(literal::ADDR, base);
        self.tagged(literal::SIZE, size);
    }

    fn nid(&mut self, nid: Option<Nid>) -> Option<()> {
        match nid {
            None => self.byte(literal::NO_NODE),
            Some(n) => {
                self.byte(literal::NID);
                self.byte(u8::try_from(n).ok()?);
            }
        }
        Some(())
    }

    fn alloc(&mut self, tag: u8, size: u64, align: u64, min: u64, max: u64) {
        self.byte(tag);
        self.tagged(literal::SIZE, size);
        self.tagged(literal::ALIGN, align);
        self.tagged(literal::ADDR, min);
        self.tagged(literal::BOUND, max);
    }

    fn op(&mut self, op: &NativeOp) -> Option<()> {
        use literal as t;
        match *op {
            NativeOp::AddNode { base, size, nid } => {
                self.byte(t::ADD_NODE);
                self.range(base, size);
                self.nid(nid)?;
            }
            NativeOp::Add { base, size } => {
                self.byte(t::ADD);
                self.range(base, size);
            }
            NativeOp::Reserve { base, size } => {
                self.byte(t::RESERVE);
                self.range(base, size);
            }
            NativeOp::Remove { base, size } => {
                self.byte(t::REMOVE);
                self.range(base, size);
            }
            NativeOp::Free { base, size } => {
                self.byte(t::FREE);
                self.range(base, size);
            }
            NativeOp::PhysAllocRange {
                size,
                align,
                start,
                end,
            } => self.alloc(t::PHYS_ALLOC_RANGE, size, align, start, end),
            NativeOp::AllocTryNid {
                size,
                align,
                min,
                max,
                nid,
            } => {
                self.alloc(t::ALLOC_TRY_NID, size, align, min, max);
                self.nid(nid)?;
            }
            NativeOp::AllocExactNid {
                size,
                align,
                min,
                max,
                nid,
            } => {
                self.alloc(t::ALLOC_EXACT_NID, size, align, min, max);
                self.nid(nid)?;
            }
            NativeOp::SetBottomUp(enable) => {
                self.byte(t::SET_BOTTOM_UP);
                self.byte(u8::from(enable));
            }
            NativeOp::SetCurrentLimit(limit) => self.tagged_after(t::SET_CURRENT_LIMIT, limit),
            NativeOp::AllowResize => self.byte(t::ALLOW_RESIZE),
            NativeOp::IsRegionReserved { base, size } => {
                self.byte(t::IS_REGION_RESERVED);
                self.range(base, size);
            }
            NativeOp::IsRegionMemory { base, size } => {
                self.byte(t::IS_REGION_MEMORY);
                self.range(base, size);
            }
            NativeOp::Overlaps { which, base, size } => {
                self.byte(t::OVERLAPS);
                self.byte(u8::from(which == Array::Reserved));
                self.range(base, size);
            }
        }
        Some(())
    }

    /// A call tag followed by one literal bound.
    fn tagged_after(&mut self, tag: u8, bound: u64) {
        self.byte(tag);
        self.tagged(literal::BOUND, bound);
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode;
    use super::*;

    #[test]
    fn every_call_encodes_and_decodes_back() {
        let ops = vec![
            NativeOp::AddNode {
                base: 0x1000,
                size: u64::MAX,
                nid: Some(3),
            },
            NativeOp::AddNode {
                base: 1,
                size: 2,
                nid: None,
            },
            NativeOp::Add { base: 0, size: 0 },
            NativeOp::Reserve {
                base: u64::MAX,
                size: 1,
            },
            NativeOp::Remove { base: 5, size: 6 },
            NativeOp::Free { base: 7, size: 8 },
            NativeOp::PhysAllocRange {
                size: 1,
                align: 3,
                start: 4,
                end: 5,
            },
            NativeOp::AllocTryNid {
                size: 1,
                align: 0,
                min: 2,
                max: 3,
                nid: Some(64),
            },
            NativeOp::AllocExactNid {
                size: 1,
                align: 1 << 63,
                min: 2,
                max: 3,
                nid: None,
            },
            NativeOp::SetBottomUp(true),
            NativeOp::SetBottomUp(false),
            NativeOp::SetCurrentLimit(0x1234),
            NativeOp::AllowResize,
            NativeOp::IsRegionReserved { base: 9, size: 10 },
            NativeOp::IsRegionMemory { base: 11, size: 12 },
            NativeOp::Overlaps {
                which: Array::Memory,
                base: 13,
                size: 14,
            },
            NativeOp::Overlaps {
                which: Array::Reserved,
                base: 15,
                size: 16,
            },
        ];
        let calls = NativeCalls {
            memory_regions: 4,
            reserved_regions: 128,
            ops,
        };
        let bytes = encode(&calls);
        assert_eq!(bytes.as_deref().map(decode), Some(calls));
    }

    #[test]
    fn what_the_decoder_cannot_read_does_not_encode() {
        let calls = |memory_regions, ops| NativeCalls {
            memory_regions,
            reserved_regions: 2,
            ops,
        };
        assert_eq!(encode(&calls(5, vec![])), None);
        assert_eq!(
            encode(&calls(2, vec![NativeOp::AllowResize; MAX_OPS + 1])),
            None
        );
        let big_node = NativeOp::AddNode {
            base: 0,
            size: 1,
            nid: Some(256),
        };
        assert_eq!(encode(&calls(2, vec![big_node])), None);
        assert!(encode(&calls(2, vec![NativeOp::AllowResize; MAX_OPS])).is_some());
    }
}
