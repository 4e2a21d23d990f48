//! Native memblock calls: memblock's native API (the port of v6.18
//! `mm/memblock.c` in `bootmem::memblock`) as a fuzz input.
//!
//! Bytes [`decode`] to [`NativeCalls`]: the sizes of the two static region
//! arrays and at most [`MAX_OPS`] native calls (`memblock_add_node`,
//! `memblock_reserve`, `memblock_phys_alloc_range`,
//! `memblock_overlaps_region`, ...) with raw values aimed at edges, ranges
//! passing 2^64 included; [`encode`] writes any such list back as bytes.

pub mod decode;
pub mod encode;
pub mod ops;

pub use decode::{decode, MAX_OPS};
pub use encode::encode;
pub use ops::{NativeCalls, NativeOp};

/// The calls `data` decodes to, for a person: a comment line with the
/// arrays' sizes, then one C call per line with hex values and its index
/// (`memblock_reserve(0x1000, 0x2000); // #3`).
pub fn describe(data: &[u8]) -> String {
    decode(data).to_string()
}
