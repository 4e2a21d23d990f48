//! Fixtures shared by the backends' unit tests: sizes, ranges, requests,
//! booting an instance and collecting its hand-off.
//!
//! `contract` holds the checks that the page-granular backends pass
//! identically, `model` the pieces of the page-at-a-time reference models
//! and `random` the generator of their random scenarios.

pub(crate) mod contract;
pub(crate) mod model;
pub(crate) mod random;

use crate::{AllocRequest, BootMem, Nid, NodePolicy, Outcome, Range, PAGE_SIZE};

/// One page, in bytes.
pub(crate) const P: u64 = PAGE_SIZE;
/// One mebibyte.
pub(crate) const MIB: u64 = 1 << 20;
/// One gibibyte.
pub(crate) const GIB: u64 = 1 << 30;

/// The range `[start, end)`; panics (failing the test) when `end < start`.
pub(crate) fn r(start: u64, end: u64) -> Range {
    Range::new(start, end).expect("test range")
}

/// `backend` with `map` registered (start, end, nid) and set up; every
/// call must succeed.
pub(crate) fn boot<B: BootMem>(mut backend: B, map: &[(u64, u64, Nid)]) -> B {
    for &(start, end, nid) in map {
        assert_eq!(backend.add_memory(r(start, end), nid), Ok(()));
    }
    assert_eq!(backend.setup(), Ok(()));
    backend
}

/// `backend` with `map` registered (every call must succeed) and set up,
/// or `None` when `setup` fails.
pub(crate) fn try_boot<B: BootMem>(mut backend: B, map: &[(Range, Nid)]) -> Option<B> {
    for &(range, nid) in map {
        assert_eq!(backend.add_memory(range, nid), Ok(()));
    }
    backend.setup().ok().map(|()| backend)
}

/// `release_all`'s count and every range it handed over, in order.
pub(crate) fn release(backend: &mut dyn BootMem) -> (Outcome<u64>, Vec<Range>) {
    let mut got = Vec::new();
    let count = backend.release_all(&mut |range| got.push(range));
    (count, got)
}

/// A request for `size` bytes aligned to `align`, any node, `NoMem` on
/// failure.
pub(crate) fn req(size: u64, align: u64) -> AllocRequest {
    AllocRequest::new(size, align)
}

/// The same request with a goal.
pub(crate) fn above(goal: u64, mut base: AllocRequest) -> AllocRequest {
    base.goal = goal;
    base
}

/// The same request, on node `nid` with `policy`.
pub(crate) fn on(nid: Nid, policy: NodePolicy, mut base: AllocRequest) -> AllocRequest {
    base.nid = Some(nid);
    base.policy = policy;
    base
}
