//! The `native_memblock` target: memblock's native API (the port of v6.18
//! `mm/memblock.c` in `bootmem::memblock`) driven directly, against a
//! small model of its bytes, without the bootmem-compatible layer.
//!
//! # Contract
//!
//! Bytes [`decode`] to [`NativeCalls`]: the sizes of the two static region
//! arrays and at most [`MAX_OPS`] native calls (`memblock_add_node`,
//! `memblock_reserve`, `memblock_phys_alloc_range`,
//! `memblock_overlaps_region`, ...) with raw values aimed at edges, ranges
//! passing 2^64 included. [`oracle::run`] makes each call on a fresh
//! [`bootmem::memblock::Memblock`] and, after each one, requires:
//!
//! - the answer v6.18 gives: every query equal to the model's, every
//!   `int` call 0 unless an array must grow and may not (`CannotResize`)
//!   or no new array fits (`NoSpace`), every allocation the highest
//!   (top-down) or lowest (bottom-up) fit of its first attempt that finds
//!   one, or a failure only when no attempt finds one;
//! - both arrays sorted, disjoint, non-empty, merged, within `max`, with
//!   `total_size` their sum; a doubled array the right size, in free
//!   memory, below `current_limit`;
//! - the memory and reserved bytes, with their nodes and flags, equal to
//!   the model's ([`model`]), doubled arrays included;
//! - no Rust panic (a `backend-panic` finding).
//!
//! The first broken promise is a [`Finding`] of backend [`BACKEND`],
//! signature `kind/native_memblock/op/class`, where `op` is the contract
//! call nearest to the native one ([`NativeOp::op_kind`]).
//!
//! The bootmem-compatible scenarios never pass memblock a range that wraps
//! past 2^64, so some historical faults are reachable only here:
//! `Bug::M15OverlapsWrap` (023accf5cdc1) first of all.

mod attempts;
pub mod check;
pub mod decode;
pub mod encode;
mod judge;
pub mod model;
mod moves;
pub mod ops;
pub mod oracle;

pub use decode::{decode, MAX_OPS};
pub use encode::encode;
pub use ops::{NativeCalls, NativeOp};
pub use oracle::run;

use crate::Finding;
use bootmem::BugSet;

/// The backend name findings of this target carry: the native API, told
/// apart from the `memblock` backend of the bootmem-compatible layer.
pub const BACKEND: &str = "native_memblock";

/// Decodes `data` and plays it with `bugs` planted; the first finding, or
/// `None`. Never panics on any input (a panic inside memblock is caught and
/// returned as a `backend-panic` finding). Same input, same answer.
pub fn play(data: &[u8], bugs: BugSet) -> Option<Finding> {
    run(&decode(data), bugs)
}

/// The calls `data` decodes to, for a person: a comment line with the
/// arrays' sizes, then one C call per line with hex values and its index
/// (`memblock_reserve(0x1000, 0x2000); // #3`).
pub fn describe(data: &[u8]) -> String {
    decode(data).to_string()
}
