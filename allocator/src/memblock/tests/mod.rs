//! Tests in the style of the kernel's `tools/testing/memblock`: each one
//! draws the layout it builds and states the region arrays it expects
//! after each step.
//!
//! In the pictures one character is one page unless labelled: `.` free
//! memory, `r` reserved, `k` reserved `RSRV_KERN` (an allocation), `A` a
//! doubled region array, `x` not memory, `0`/`1` memory of that node.

mod alloc;
mod arrays;
mod compat;
mod doubling;
mod model;

use super::*;
use crate::{Nid, PhysAddr, PAGE_SIZE};

pub(super) const P: u64 = PAGE_SIZE;
pub(super) const MIB: u64 = 1 << 20;
pub(super) const NONE: Flags = Flags::NONE;
pub(super) const KERN: Flags = Flags::RSRV_KERN;

/// One expected region: base, size, nid, flags.
pub(super) type Rgn = (PhysAddr, u64, Option<Nid>, Flags);

/// The regions of `array` as tuples, after checking the array's
/// invariants: sorted, non-overlapping, minimal, `cnt <= max`, and
/// `total_size` the sum of the sizes.
pub(super) fn layout(array: &RegionArray) -> Vec<Rgn> {
    check_invariants(array);
    array
        .regions()
        .iter()
        .map(|r| (r.base(), r.size(), r.nid(), r.flags()))
        .collect()
}

/// Asserts the invariants of a region array.
pub(super) fn check_invariants(array: &RegionArray) {
    let regions = array.regions();
    assert!(array.cnt() <= array.max(), "{} over capacity", array.name());
    for r in regions {
        assert!(r.size() > 0, "{} has an empty region {r:?}", array.name());
        assert!(r.base().checked_add(r.size()).is_some(), "{r:?} wraps");
    }
    for pair in regions.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!(
            a.end() <= b.base(),
            "{} unsorted or overlapping: {a:?} {b:?}",
            array.name()
        );
        assert!(
            !(a.end() == b.base() && a.nid() == b.nid() && a.flags() == b.flags()),
            "{} not minimal: {a:?} {b:?}",
            array.name()
        );
    }
    let sum = regions.iter().map(|r| r.size()).sum::<u64>();
    assert_eq!(array.total_size(), sum, "{} total_size", array.name());
}

/// The reservations of the `Bug::M5WrongRollback` tests on `[0, 16P)`,
/// (start, end): with room for 4 reserved regions the array is full, and
/// no whole page is free for a doubled one (`.` is 0x100 free bytes).
///
/// ```text
///   |rrrr|.rrr|.r.|rrrrrr|
///    0    4P   8P 10P   16P
/// ```
pub(super) const M5_RESERVED: [(u64, u64); 4] = [
    (0, 4 * P),
    (4 * P + 0x100, 8 * P),
    (8 * P + 0x100, 10 * P - 0x100),
    (10 * P, 16 * P),
];

/// A memblock with resizing allowed.
pub(super) fn resizable(memory: usize, reserved: usize) -> Memblock {
    let mut mb = Memblock::with_capacities(memory, reserved);
    mb.allow_resize();
    mb
}

/// The range `[start, end)`.
pub(super) fn r(start: u64, end: u64) -> crate::Range {
    crate::Range::new(start, end).expect("test range")
}
