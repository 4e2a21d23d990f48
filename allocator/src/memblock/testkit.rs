//! Test fixtures shared by the two bootmem-compatible layers over memblock,
//! [`MemblockBootMem`](super::MemblockBootMem) (`memblock/tests/compat.rs`)
//! and [`NoBootmem`](crate::nobootmem::NoBootmem) (`nobootmem/tests.rs`):
//! the boundary scenarios both layers must pass alike (SPEC section 3); the
//! fixtures of every backend's tests are in `crate::testing`. Each scenario asserts as it
//! goes and panics, failing the test, at the first assertion that does not
//! hold.

use super::boundary::Layer;
use crate::testing::{r, release, req, MIB, P};
use crate::{BootMem, Error, Range, ReserveMode, MAX_NODES};

/// A reserve that may meet reservations.
pub(crate) const DEF: ReserveMode = ReserveMode::Default;
/// A reserve that must not meet a reservation.
pub(crate) const EXCL: ReserveMode = ReserveMode::Exclusive;

/// On a layer not yet set up: expects every call but `add_memory` and
/// `setup` to be `Unsupported` (`reserve_node` tried with `node_mode`).
pub(crate) fn expect_unsupported_before_setup(backend: &mut dyn BootMem, node_mode: ReserveMode) {
    let unsupported = Err(Error::Unsupported);
    assert_eq!(backend.reserve(P, P, DEF), unsupported);
    assert_eq!(backend.reserve_node(0, P, P, node_mode), unsupported);
    assert_eq!(backend.free(P, 0), unsupported);
    assert_eq!(backend.free_node(0, P, P), unsupported);
    assert_eq!(backend.alloc(&req(P, P)), Err(Error::Unsupported));
    assert_eq!(release(backend).0, Err(Error::Unsupported));
}

/// On a layer booted on `[0, 1 MiB)`: expects `release_all` to succeed and
/// every call after it, a second `release_all` included, to be `Retired`,
/// with no metadata and an empty free map.
pub(crate) fn expect_retired_after_release_all(backend: &mut dyn BootMem) {
    assert!(release(backend).0.is_ok());
    let retired = Err(Error::Retired);
    assert_eq!(backend.add_memory(r(MIB, 2 * MIB), 0), retired);
    assert_eq!(backend.setup(), retired);
    assert_eq!(backend.reserve(P, P, DEF), retired);
    assert_eq!(backend.reserve_node(0, P, 0, DEF), retired);
    assert_eq!(backend.free(P, 0), retired);
    assert_eq!(backend.free_node(0, P, P), retired);
    assert_eq!(backend.alloc(&req(P, P)), Err(Error::Retired));
    assert_eq!(release(backend), (Err(Error::Retired), vec![]));
    assert!(backend.metadata().is_empty() && backend.free_map().is_empty());
}

/// On a new layer: expects `add_memory` to refuse with `Invalid` an empty
/// range, a node past `MAX_NODES` and any byte overlap with registered
/// memory, before and after `setup`, and to take touching ranges. Leaves
/// the memory array at `[0, 4P)` of node `MAX_NODES - 1` and `[4P, 9P)` of
/// node 1, in two registrations, for the caller to check.
pub(crate) fn expect_add_memory_refusals(backend: &mut dyn BootMem) {
    assert_eq!(backend.add_memory(r(P, P), 0), Err(Error::Invalid));
    assert_eq!(backend.add_memory(r(0, P), MAX_NODES), Err(Error::Invalid));
    assert_eq!(backend.add_memory(r(0, 4 * P), MAX_NODES - 1), Ok(()));
    assert_eq!(
        backend.add_memory(r(4 * P - 1, 8 * P), 1),
        Err(Error::Invalid)
    );
    assert_eq!(backend.setup(), Ok(()));
    assert_eq!(backend.add_memory(r(4 * P, 8 * P), 1), Ok(()));
    assert_eq!(backend.add_memory(r(8 * P, 9 * P), 1), Ok(()));
    assert_eq!(backend.add_memory(r(0, 1), 2), Err(Error::Invalid));
}

/// On a new layer with room for 2 memory regions: expects a third memory
/// region to be `NoMem` before `setup` (memblock cannot resize yet) and to
/// change nothing, and after `setup` the memory array to double onto the
/// highest free page, reported as metadata.
pub(crate) fn expect_add_memory_past_the_capacity_to_need_setup<L: Layer + BootMem>(
    backend: &mut L,
) {
    assert_eq!(backend.add_memory(r(0, MIB), 0), Ok(()));
    assert_eq!(backend.add_memory(r(2 * MIB, 3 * MIB), 0), Ok(()));
    assert_eq!(
        backend.add_memory(r(4 * MIB, 5 * MIB), 0),
        Err(Error::NoMem)
    );
    assert_eq!(backend.state().0.memory().cnt(), 2);
    assert_eq!(backend.setup(), Ok(()));
    assert_eq!(backend.add_memory(r(4 * MIB, 5 * MIB), 0), Ok(()));
    assert_eq!(backend.metadata(), vec![r(3 * MIB - P, 3 * MIB)]);
}

/// On a set-up layer: expects a reserve of size 0 to be `Ok` anywhere (even off RAM, on any node, exclusive) and one whose end
/// overflows to be `Invalid`.
pub(crate) fn expect_reserve_size_zero_ok_and_overflow_invalid(backend: &mut dyn BootMem) {
    assert_eq!(backend.reserve(u64::MAX, 0, EXCL), Ok(()));
    assert_eq!(backend.reserve_node(99, 5 * MIB, 0, DEF), Ok(()));
    assert_eq!(backend.reserve(u64::MAX - 10, 20, DEF), Err(Error::Invalid));
    assert_eq!(backend.reserve(P, u64::MAX, DEF), Err(Error::Invalid));
}

/// On a set-up layer: expects a free of size 0 to be `Ok` anywhere and one whose end overflows to be `Invalid`.
pub(crate) fn expect_free_size_zero_ok_and_overflow_invalid(backend: &mut dyn BootMem) {
    assert_eq!(backend.free(u64::MAX, 0), Ok(()));
    assert_eq!(backend.free_node(7, u64::MAX, 0), Ok(()));
    assert_eq!(backend.free(u64::MAX - 10, 20), Err(Error::Invalid));
    assert_eq!(backend.free_node(0, 2, u64::MAX), Err(Error::Invalid));
}

/// On a top-down layer booted on `[0, 1 MiB)` with room for 4 reserved
/// regions: reserves a byte at each of 2P, 4P, .. 10P, expects the fifth to
/// double the reserved array onto the last page, reported as the only
/// metadata, and returns that page.
pub(crate) fn double_the_reserved_array(backend: &mut dyn BootMem) -> Range {
    for i in 1..=5 {
        assert_eq!(backend.reserve(2 * i * P, 1, DEF), Ok(()));
    }
    let array = r(MIB - P, MIB);
    assert_eq!(backend.metadata(), vec![array]);
    array
}

/// After [`double_the_reserved_array`]: expects a free of the array to be
/// `Invalid`, even with unreserved bytes beside it (`Invalid` before
/// `DoubleFree`), and an exclusive reserve of its last byte `Busy`.
pub(crate) fn expect_the_doubled_array_kept(backend: &mut dyn BootMem) {
    assert_eq!(backend.free(MIB - P, P), Err(Error::Invalid));
    assert_eq!(backend.free(MIB - 2 * P, 2 * P), Err(Error::Invalid));
    assert_eq!(backend.reserve(MIB - 1, 1, EXCL), Err(Error::Busy));
}
