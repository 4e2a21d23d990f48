//! Checks of the contract (SPEC sections 3 and 4) that the page-granular
//! bitmap backends pass with the very same outcomes: on a one-range map each
//! puts its bitmap on page 1 and a fresh instance hands out the lowest free
//! pages first. Each takes the backend's `booted(map)` and is called from a
//! test of that name in each backend's tests.
//!
//! In the pictures `B` is the bitmap, `r` reserved, `a` allocated, `.`
//! free; one character is one page.

use super::{r, release, req, MIB, P};
use crate::{BootMem, Error, Nid, ReserveMode};

/// Expect `setup` and `add_memory` after `setup` to be `Unsupported`, with
/// no change.
pub(crate) fn setup_twice_is_unsupported_and_so_is_add_memory_after_it<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, MIB, 0)]);
    assert_eq!(bm.setup(), Err(Error::Unsupported));
    assert_eq!(bm.add_memory(r(MIB, 2 * MIB), 0), Err(Error::Unsupported));
    assert_eq!(bm.metadata(), vec![r(P, 2 * P)]);
}

/// Expect every call but `add_memory` to be `Unsupported` before `setup`
/// and to change nothing; returns the instance for the backend's own
/// checks.
pub(crate) fn every_call_but_registration_before_setup_is_unsupported<B: BootMem>(mut bm: B) -> B {
    assert_eq!(bm.add_memory(r(0, MIB), 0), Ok(()));
    let unsupported = Err(Error::Unsupported);
    assert_eq!(bm.reserve(0, 0, ReserveMode::Default), unsupported);
    assert_eq!(
        bm.reserve_node(0, P, P, ReserveMode::Exclusive),
        unsupported
    );
    assert_eq!(bm.free(0, 0), unsupported);
    assert_eq!(bm.free_node(0, P, P), unsupported);
    assert_eq!(bm.alloc(&req(0, 3)), Err(Error::Unsupported));
    assert_eq!(release(&mut bm), (Err(Error::Unsupported), vec![]));
    assert!(bm.metadata().is_empty() && bm.free_map().is_empty());
    bm
}

/// Expect every call after `release_all` to be `Retired`.
pub(crate) fn every_call_after_release_all_is_retired<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, MIB, 0)]);
    assert!(release(&mut bm).0.is_ok());
    let retired = Err(Error::Retired);
    assert_eq!(bm.add_memory(r(MIB, 2 * MIB), 0), retired);
    assert_eq!(bm.setup(), retired);
    assert_eq!(bm.reserve(P, P, ReserveMode::Default), retired);
    assert_eq!(bm.reserve_node(0, P, 0, ReserveMode::Default), retired);
    assert_eq!(bm.free(P, 0), retired);
    assert_eq!(bm.free_node(0, P, P), retired);
    assert_eq!(bm.alloc(&req(P, P)), Err(Error::Retired));
    assert_eq!(release(&mut bm), (Err(Error::Retired), vec![]));
    assert!(bm.metadata().is_empty() && bm.free_map().is_empty());
}

/// Expect a reserve of size 0 to be `Ok` anywhere, on any node, and to
/// change nothing.
pub(crate) fn reserve_of_size_zero_is_ok_anywhere_and_changes_nothing<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, MIB, 0)]);
    assert_eq!(bm.reserve(u64::MAX, 0, ReserveMode::Exclusive), Ok(()));
    assert_eq!(
        bm.reserve_node(99, 5 * MIB, 0, ReserveMode::Default),
        Ok(())
    );
    assert_eq!(bm.free_map(), vec![r(0, P), r(2 * P, MIB)]);
}

/// ```text
///   |.|B|r|r|.....|    reserve(0x2800, 0x1000)
///         [ ]  the request straddles pages 2 and 3
/// ```
/// Expect both pages taken: reserve rounds outward.
pub(crate) fn reserve_rounds_outward_to_whole_pages<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, 16 * P, 0)]);
    assert_eq!(bm.reserve(0x2800, 0x1000, ReserveMode::Default), Ok(()));
    assert_eq!(bm.free_map(), vec![r(0, P), r(4 * P, 16 * P)]);
}

/// Expect a free of size 0 to be `Ok` anywhere, on any node, and a free
/// whose end would pass 2^64 to be `Invalid`.
pub(crate) fn free_of_size_zero_is_ok_and_overflow_is_invalid<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, MIB, 0)]);
    assert_eq!(bm.free(u64::MAX, 0), Ok(()));
    assert_eq!(bm.free_node(7, u64::MAX, 0), Ok(()));
    assert_eq!(bm.free(u64::MAX - 10, 20), Err(Error::Invalid));
    assert_eq!(bm.free_node(0, 2, u64::MAX), Err(Error::Invalid));
}

/// ```text
///   |.|B|r|.|r|....|
///       [     ]      free of pages 2..5, page 3 already free
/// ```
/// Expect DoubleFree and no change.
pub(crate) fn free_of_partly_free_memory_is_a_double_free_and_changes_nothing<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, 16 * P, 0)]);
    assert_eq!(bm.reserve(2 * P, P, ReserveMode::Default), Ok(()));
    assert_eq!(bm.reserve(4 * P, P, ReserveMode::Default), Ok(()));
    let before = bm.free_map();
    assert_eq!(bm.free(2 * P, 3 * P), Err(Error::DoubleFree));
    assert_eq!(bm.free_node(0, 2 * P, 3 * P), Err(Error::DoubleFree));
    assert_eq!(bm.free(8 * P, P), Err(Error::DoubleFree));
    assert_eq!(bm.free_map(), before);
}

/// Expect `Invalid` for size 0 and for alignments that are not powers of
/// two; alignment 1 is fine.
pub(crate) fn alloc_refuses_size_zero_and_alignments_that_are_not_powers_of_two<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, MIB, 0)]);
    assert_eq!(bm.alloc(&req(0, P)), Err(Error::Invalid));
    assert_eq!(bm.alloc(&req(P, 0)), Err(Error::Invalid));
    assert_eq!(bm.alloc(&req(P, 3 * P)), Err(Error::Invalid));
    assert_eq!(bm.alloc(&req(P, 1)), Ok(2 * P));
}

/// ```text
///   |.|B|a|aa|aa|......|
/// ```
/// Expect first fit from page 2 up, whole pages per allocation.
pub(crate) fn alloc_takes_the_lowest_free_pages_above_page_zero<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, 16 * P, 0)]);
    assert_eq!(bm.alloc(&req(1, 1)), Ok(2 * P));
    assert_eq!(bm.alloc(&req(P + 1, 64)), Ok(3 * P));
    assert_eq!(bm.alloc(&req(2 * P, P)), Ok(5 * P));
    assert_eq!(bm.free_map(), vec![r(0, P), r(7 * P, 16 * P)]);
}

/// ```text
///   |.|B|....|a|.....|
///            ^ goal 0xa001: the first page start at or above it is 11
/// ```
/// Expect the lowest start >= goal, and below it only when nothing fits
/// above (stage 4 after stage 2).
pub(crate) fn alloc_respects_the_goal_then_falls_back_below_it<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[(0, 16 * P, 0)]);
    let mut at_goal = req(P, P);
    at_goal.goal = 10 * P + 1;
    assert_eq!(bm.alloc(&at_goal), Ok(11 * P));
    at_goal.size = 5 * P;
    assert_eq!(bm.alloc(&at_goal), Ok(2 * P));
    at_goal.goal = u64::MAX;
    at_goal.size = P;
    assert_eq!(bm.alloc(&at_goal), Ok(7 * P));
}

/// Expect the only 2^63-aligned page of RAM to be found.
pub(crate) fn alloc_with_the_largest_alignment<B: BootMem>(
    booted: impl Fn(&[(u64, u64, Nid)]) -> B,
) {
    let mut bm = booted(&[((1 << 63) - 8 * P, (1 << 63) + 8 * P, 0)]);
    assert_eq!(bm.alloc(&req(2 * P, 1 << 63)), Ok(1 << 63));
    assert_eq!(bm.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
}
