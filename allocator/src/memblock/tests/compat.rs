//! The bootmem-compatible layer: SPEC section 3 at the boundary.

use super::*;
use crate::bugs::{Bug, BugSet};
use crate::memblock::testkit::{self, DEF, EXCL};
use crate::testing::{above, boot, on, release, req};
use crate::{AllocRequest, BootMem, Error, NodePolicy, OnFail, MAX_NODES};

/// A backend in `direction` with room for `cap` regions per array, `map`
/// registered (start, end, nid) and set up.
fn booted_with(direction: Direction, cap: usize, map: &[(u64, u64, Nid)]) -> MemblockBootMem {
    boot(
        MemblockBootMem::with_capacity(BugSet::NONE, direction, cap),
        map,
    )
}

/// Top-down with the kernel's capacity.
fn booted(map: &[(u64, u64, Nid)]) -> MemblockBootMem {
    booted_with(Direction::TopDown, INIT_MEMBLOCK_REGIONS, map)
}

/// Bottom-up with the kernel's capacity.
fn booted_bu(map: &[(u64, u64, Nid)]) -> MemblockBootMem {
    booted_with(Direction::BottomUp, INIT_MEMBLOCK_REGIONS, map)
}

// ---- identity and life ---------------------------------------------------

#[test]
fn names_and_profiles() {
    let td = MemblockBootMem::top_down(BugSet::NONE);
    let bu = MemblockBootMem::bottom_up(BugSet::NONE);
    assert_eq!((td.name(), bu.name()), ("memblock", "memblock_bu"));
    for (mb, placement) in [
        (&td, crate::Placement::Highest),
        (&bu, crate::Placement::Lowest),
    ] {
        let p = mb.profile();
        assert_eq!(p.granularity, crate::Granularity::Byte);
        assert_eq!(p.placement, placement);
        assert!(!p.packing && !p.crosses_nodes);
        assert_eq!(p.metadata, crate::MetadataHandoff::Kept);
        assert_eq!(p.registration, crate::Registration::AnyTime);
    }
    assert_eq!(td.native().memory().max(), INIT_MEMBLOCK_REGIONS);
}

/// Expect every call but add_memory to be Unsupported before setup, setup
/// to switch direction and allow resizing, and a second setup to be
/// Unsupported.
#[test]
fn before_setup_only_add_memory_works() {
    let mut mb = MemblockBootMem::bottom_up(BugSet::NONE);
    assert_eq!(mb.add_memory(r(0, MIB), 0), Ok(()));
    testkit::expect_unsupported_before_setup(&mut mb, DEF);
    assert!(!mb.native().bottom_up() && !mb.native().can_resize());
    assert_eq!(mb.setup(), Ok(()));
    assert!(mb.native().bottom_up() && mb.native().can_resize());
    assert_eq!(mb.setup(), Err(Error::Unsupported));
    assert!(mb.metadata().is_empty(), "the initial arrays are static");
    assert_eq!(mb.free_map(), vec![r(0, MIB)]);
}

#[test]
fn every_call_after_release_all_is_retired() {
    testkit::expect_retired_after_release_all(&mut booted(&[(0, MIB, 0)]));
}

// ---- add_memory ----------------------------------------------------------

/// Expect Invalid for an empty range, a node past MAX_NODES and any byte
/// overlap with registered RAM, before and after setup; touching ranges are
/// fine, and merge when their node is the same.
#[test]
fn add_memory_refuses_empty_ranges_bad_nodes_and_overlap_at_any_time() {
    let mut mb = MemblockBootMem::top_down(BugSet::NONE);
    testkit::expect_add_memory_refusals(&mut mb);
    assert_eq!(
        layout(mb.native().memory()),
        vec![
            (0, 4 * P, Some(MAX_NODES - 1), NONE),
            (4 * P, 5 * P, Some(1), NONE)
        ]
    );
}

/// Expect more memory regions than the static array holds to be NoMem
/// before setup (the kernel cannot resize yet and panics) and to change
/// nothing; after setup the array doubles into free memory.
#[test]
fn add_memory_past_the_capacity_needs_setup() {
    let mut mb = MemblockBootMem::with_capacity(BugSet::NONE, Direction::TopDown, 2);
    testkit::expect_add_memory_past_the_capacity_to_need_setup(&mut mb);
    assert_eq!(
        mb.free_map(),
        vec![r(0, MIB), r(2 * MIB, 3 * MIB - P), r(4 * MIB, 5 * MIB)]
    );
}

// ---- reserve -------------------------------------------------------------

#[test]
fn reserve_of_size_zero_is_ok_anywhere_and_overflow_is_invalid() {
    let mut mb = booted(&[(0, MIB, 0)]);
    testkit::expect_reserve_size_zero_ok_and_overflow_invalid(&mut mb);
    assert_eq!(mb.free_map(), vec![r(0, MIB)]);
}

/// ```text
///   |....0....|xx|....1....|     RAM [0, 0x4800) and [0x5000, 0x8000)
///          [      ]              touches the hole
/// ```
/// Expect Invalid for any byte outside RAM (memblock itself would reserve
/// it), byte-exact, and Ok up to the last byte of RAM.
#[test]
fn reserve_touching_non_ram_is_invalid_byte_exactly() {
    let mut mb = booted(&[(0, 0x4800, 0), (0x5000, 0x8000, 1)]);
    assert_eq!(mb.reserve(0x3800, 0x1001, DEF), Err(Error::Invalid));
    assert_eq!(mb.reserve(0x4800, 1, DEF), Err(Error::Invalid));
    assert_eq!(mb.reserve(0x4fff, 2, DEF), Err(Error::Invalid));
    assert_eq!(mb.reserve(MIB, P, DEF), Err(Error::Invalid));
    assert_eq!(mb.reserve(0x47ff, 1, DEF), Ok(()));
    assert_eq!(mb.reserve(0x5000, 1, DEF), Ok(()));
    assert_eq!(
        mb.free_map(),
        vec![r(0, 0x47ff), r(0x5001, 0x8000)],
        "byte granularity: no rounding"
    );
}

/// ```text
///   |..0..|..1..|     node 0 = [0, 4P), node 1 = [4P, 8P)
///       [     ]       reserve [3P, 5P)
/// ```
/// Expect reserve to span touching nodes and reserve_node to refuse it.
#[test]
fn reserve_may_span_touching_nodes_but_reserve_node_may_not() {
    let mut mb = booted(&[(0, 4 * P, 0), (4 * P, 8 * P, 1)]);
    assert_eq!(mb.reserve_node(0, 3 * P, 2 * P, DEF), Err(Error::Invalid));
    assert_eq!(mb.reserve_node(1, 3 * P, 2 * P, DEF), Err(Error::Invalid));
    assert_eq!(mb.reserve_node(1, 3 * P, P, DEF), Err(Error::Invalid));
    assert_eq!(mb.reserve_node(1, 4 * P, P, DEF), Ok(()));
    assert_eq!(mb.reserve(3 * P, 2 * P, DEF), Ok(()));
    assert_eq!(mb.free_map(), vec![r(0, 3 * P), r(5 * P, 8 * P)]);
}

/// ```text
///   |....|r|....|
///      [      ]     exclusive reserve over the reserved byte
/// ```
/// Expect Busy and no change; a default reserve of the same range is fine,
/// and merges.
#[test]
fn exclusive_reserve_of_partly_reserved_memory_is_busy_and_changes_nothing() {
    let mut mb = booted(&[(0, 16 * P, 0)]);
    assert_eq!(mb.reserve(3 * P, 1, EXCL), Ok(()));
    let before = mb.free_map();
    assert_eq!(mb.reserve(2 * P, 2 * P, EXCL), Err(Error::Busy));
    assert_eq!(mb.reserve_node(0, 3 * P, 1, EXCL), Err(Error::Busy));
    assert_eq!(mb.free_map(), before);
    assert_eq!(mb.reserve(2 * P, 2 * P, DEF), Ok(()));
    assert_eq!(
        layout(mb.native().reserved()),
        vec![(2 * P, 2 * P, None, NONE)]
    );
    assert_eq!(mb.reserve(4 * P, P, EXCL), Ok(()), "touching is not taken");
}

/// ```text
///   |..|rr|....|rr|..|..|    region 0 at 2P, region 1 at 8P
///         [ ]   [ ]  [ ]     exclusive reserves over region 0, region 1
///                            and free memory
/// ```
/// Expect Busy over either region and Ok on free memory; with
/// `Bug::L13RegionReservedIndex` (the old index read as a boolean) Ok over
/// region 0, which it reads as "not reserved", and Busy on free memory,
/// which it reads as -1.
#[test]
fn exclusive_reserve_reads_the_old_index_with_l13_planted() {
    let l13 = BugSet::NONE.with(Bug::L13RegionReservedIndex);
    for (bugs, over_region_0, over_free) in [
        (BugSet::NONE, Err(Error::Busy), Ok(())),
        (l13, Ok(()), Err(Error::Busy)),
    ] {
        let bm = MemblockBootMem::with_capacity(bugs, Direction::TopDown, 128);
        let mut mb = boot(bm, &[(0, 16 * P, 0)]);
        assert_eq!(mb.reserve(2 * P, 2 * P, DEF), Ok(()));
        assert_eq!(mb.reserve(8 * P, 2 * P, DEF), Ok(()));
        assert_eq!(mb.reserve(3 * P, P, EXCL), over_region_0, "{bugs:?}");
        assert_eq!(mb.reserve(9 * P, P, EXCL), Err(Error::Busy), "{bugs:?}");
        assert_eq!(mb.reserve(12 * P, P, EXCL), over_free, "{bugs:?}");
    }
}

/// ```text
///   |....|rr|   RAM [top - 4P, top), top = 2^64 - 1, reserved from
///                 top - 2P
///         [   ...  an exclusive reserve whose end passes 2^64
/// ```
/// Expect the same outcomes with `Bug::M15OverlapsWrap` as without: the
/// boundary refuses a range whose end passes 2^64 before any native call,
/// and `add_memory` takes a `Range`, which cannot wrap, so the uncapped
/// overlap test is never asked about a wrapping range through the layer.
#[test]
fn a_wrapping_range_never_reaches_the_overlap_test_through_the_layer() {
    let top = u64::MAX;
    for bugs in [BugSet::NONE, BugSet::NONE.with(Bug::M15OverlapsWrap)] {
        let bm = MemblockBootMem::with_capacity(bugs, Direction::TopDown, 128);
        let mut mb = boot(bm, &[(top - 4 * P, top, 0)]);
        assert_eq!(mb.reserve(top - 2 * P, 2 * P, DEF), Ok(()));
        assert_eq!(mb.reserve(top - P, 2 * P, EXCL), Err(Error::Invalid));
        assert_eq!(mb.reserve(top - P, P - 1, EXCL), Err(Error::Busy));
        assert_eq!(
            mb.add_memory(r(top - 8 * P, top - 2 * P), 1),
            Err(Error::Invalid)
        );
    }
}

/// Expect Invalid before Busy: a reserve that is both off RAM and over a
/// reservation is Invalid.
#[test]
fn reserve_errors_put_invalid_before_busy() {
    let mut mb = booted(&[(0, 4 * P, 0)]);
    assert_eq!(mb.reserve(3 * P, P, DEF), Ok(()));
    assert_eq!(mb.reserve(3 * P, 2 * P, EXCL), Err(Error::Invalid));
    assert_eq!(mb.reserve_node(1, 3 * P, P, EXCL), Err(Error::Invalid));
}

// ---- free ----------------------------------------------------------------

#[test]
fn free_of_size_zero_is_ok_and_overflow_is_invalid() {
    testkit::expect_free_size_zero_ok_and_overflow_invalid(&mut booted(&[(0, MIB, 0)]));
}

/// ```text
///   |..|rrrr|..|rr|....|
///         [        ]      a byte of it is free
/// ```
/// Expect DoubleFree and no change where memblock would be silent; then a
/// byte-exact partial free splits the reservation.
#[test]
fn free_of_partly_free_memory_is_a_double_free_and_changes_nothing() {
    let mut mb = booted(&[(0, 16 * P, 0)]);
    assert_eq!(mb.reserve(2 * P, 4 * P, DEF), Ok(()));
    assert_eq!(mb.reserve(6 * P + 1, P, DEF), Ok(()));
    let before = mb.free_map();
    assert_eq!(mb.free(5 * P, 2 * P), Err(Error::DoubleFree));
    assert_eq!(mb.free(9 * P, 1), Err(Error::DoubleFree));
    assert_eq!(mb.free_map(), before);
    assert_eq!(mb.free(3 * P + 5, 7), Ok(()));
    assert_eq!(
        layout(mb.native().reserved()),
        vec![
            (2 * P, P + 5, None, NONE),
            (3 * P + 12, 3 * P - 12, None, NONE),
            (6 * P + 1, P, None, NONE)
        ]
    );
}

/// Expect Invalid (not DoubleFree) for a free touching non-RAM, and free
/// to span touching nodes where free_node may not.
#[test]
fn free_checks_ram_and_nodes_before_double_free() {
    let mut mb = booted(&[(0, 4 * P, 0), (4 * P, 6 * P, 1)]);
    assert_eq!(mb.free(5 * P, 2 * P), Err(Error::Invalid));
    assert_eq!(mb.free(3 * P, P), Err(Error::DoubleFree));
    assert_eq!(mb.reserve(2 * P, 4 * P, DEF), Ok(()));
    assert_eq!(mb.free_node(0, 3 * P, 2 * P), Err(Error::Invalid));
    assert_eq!(mb.free_node(1, 3 * P, 2 * P), Err(Error::Invalid));
    assert_eq!(mb.free_node(0, 4 * P, P), Err(Error::Invalid));
    assert_eq!(mb.free(3 * P, 2 * P), Ok(()));
    assert_eq!(mb.free_node(1, 5 * P, P), Ok(()));
    assert_eq!(mb.free_map(), vec![r(0, 2 * P), r(3 * P, 6 * P)]);
}

/// ```text
///   |r|r|r|r|.........AA|     capacity 4: the fifth reservation doubles
///                    [  ]     free of the array
/// ```
/// Expect the doubled array reported as metadata, Invalid to free (even
/// with DoubleFree bytes beside it), and Busy to an exclusive reserve.
#[test]
fn a_doubled_array_is_metadata_that_cannot_be_freed() {
    let mut mb = booted_with(Direction::TopDown, 4, &[(0, MIB, 0)]);
    let array = testkit::double_the_reserved_array(&mut mb);
    testkit::expect_the_doubled_array_kept(&mut mb);
    assert_eq!(mb.reserve(MIB - 1, 1, DEF), Ok(()));
    assert_eq!(mb.metadata(), vec![array]);
}

/// ```text
///   |x|.|r|r|r|...|AA|rrrrrr|    capacity 4: a reserve that doubles once
///      [        )                and then fails natively
/// ```
/// Expect NoMem, and no trace: the doubled array the kernel would leave
/// behind is rolled back.
#[test]
fn a_reserve_that_fails_after_a_doubling_leaves_nothing_behind() {
    let mut mb = booted_with(Direction::TopDown, 4, &[(0, 0x20000, 0)]);
    for (base, end) in [
        (0x1100, 0x1200),
        (0x1300, 0x1400),
        (0x1500, 0x1600),
        (0x3000, 0x20000),
    ] {
        assert_eq!(mb.reserve(base, end - base, DEF), Ok(()));
    }
    let (free, native) = (mb.free_map(), mb.native().clone());
    assert_eq!(mb.reserve(0x1000, 0x800, DEF), Err(Error::NoMem));
    assert!(mb.metadata().is_empty());
    assert_eq!(mb.free_map(), free);
    assert_eq!(mb.native(), &native);
}

// ---- alloc ---------------------------------------------------------------

/// ```text
///   |rrrr|.rrr|.r.|rrrrrr|    reserved capacity 4, full, no whole page
///                             free (`.` is 0x100 bytes)
///   |rrrr|.rrr|.rk|...A..k|   with M5: the first attempt's failed
///                             doubling forgets [10P, 16P), and the retry
///                             from 0 puts the array and the block there
/// ```
/// Expect an allocation from 2P to fail (no room to grow the array) and to
/// change nothing; with `Bug::M5WrongRollback` to succeed, since the retry
/// from 0 runs in the same call, so the layer's rollback never sees the
/// failed attempt: the block and the doubled array lie in a reservation
/// the caller still holds.
#[test]
fn an_alloc_after_a_failed_doubling_hands_out_a_reservation_with_m5_planted() {
    let m5 = BugSet::NONE.with(Bug::M5WrongRollback);
    for (bugs, want) in [(BugSet::NONE, Err(Error::NoMem)), (m5, Ok(16 * P - 0x100))] {
        let bm = MemblockBootMem::with_capacities(bugs, Direction::TopDown, 128, 4);
        let mut mb = boot(bm, &[(0, 16 * P, 0)]);
        for (base, end) in super::M5_RESERVED {
            assert_eq!(mb.reserve(base, end - base, DEF), Ok(()));
        }
        let free = mb.free_map();
        assert_eq!(mb.alloc(&above(2 * P, req(0x100, 0x100))), want, "{bugs:?}");
        if want.is_ok() {
            assert_eq!(mb.metadata(), vec![r(14 * P, 15 * P)]);
            assert!(mb.free_map().contains(&r(10 * P, 14 * P)), "forgotten");
        } else {
            assert_eq!(mb.free_map(), free);
        }
    }
}

#[test]
fn alloc_refuses_size_zero_and_alignments_that_are_not_powers_of_two() {
    let mut mb = booted(&[(0, MIB, 0)]);
    assert_eq!(mb.alloc(&req(0, P)), Err(Error::Invalid));
    assert_eq!(mb.alloc(&req(P, 0)), Err(Error::Invalid), "native: 64");
    assert_eq!(mb.alloc(&req(P, 3 * P)), Err(Error::Invalid));
    assert_eq!(mb.alloc(&req(P, 1)), Ok(MIB - P));
}

/// ```text
///   top-down:  |x|..........kk|k|      highest fits, byte exact
///   bottom-up: |x|k|kk|..........|     lowest fits from PAGE_SIZE
/// ```
#[test]
fn alloc_takes_the_highest_or_the_lowest_fit_byte_exactly() {
    let mut td = booted(&[(0, 16 * P, 0)]);
    assert_eq!(td.alloc(&req(1, 1)), Ok(16 * P - 1));
    assert_eq!(td.alloc(&req(P + 1, 64)), Ok(15 * P - 64));
    let mut bu = booted_bu(&[(0, 16 * P, 0)]);
    assert_eq!(bu.alloc(&req(1, 1)), Ok(P));
    assert_eq!(bu.alloc(&req(P + 1, 64)), Ok(P + 64));
    assert_eq!(
        bu.free_map(),
        vec![r(0, P), r(P + 1, P + 64), r(2 * P + 65, 16 * P)]
    );
}

/// ```text
///   |x|... node 0: [1P, 8P) ...|... node 1: [8P, 16P) ...|
///                                   ^ goal 9P
/// ```
/// Expect a prefer request on node 0 with the goal in node 1 at the goal
/// side (stage 2 beats stage 3), an exact one on node 0 in node 0 (stage
/// 3), both directions.
#[test]
fn alloc_stage_order_puts_the_goal_before_the_node_fallback() {
    for (dir, stage2, stage3) in [
        (Direction::TopDown, 16 * P - P, 8 * P - P),
        (Direction::BottomUp, 9 * P, P),
    ] {
        let mut mb = booted_with(dir, 128, &[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
        let mut prefer = on(0, NodePolicy::Prefer, req(P, P));
        prefer.goal = 9 * P;
        assert_eq!(mb.alloc(&prefer), Ok(stage2), "{dir:?}");
        let exact = AllocRequest {
            policy: NodePolicy::Exact,
            ..prefer
        };
        assert_eq!(mb.alloc(&exact), Ok(stage3), "{dir:?}");
    }
}

/// ```text
///   |x|.. node 0 ..|rrrr node 1 rrrr|
/// ```
/// Expect a request on full node 1 to fall back to node 0 with Prefer and
/// to fail with Exact (NoMem or Panic as asked), changing nothing; a node
/// past MAX_NODES has no memory: Prefer acts as no node, Exact fails.
#[test]
fn alloc_falls_back_to_other_nodes_only_with_prefer() {
    let mut mb = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
    assert_eq!(mb.reserve_node(1, 8 * P, 8 * P, DEF), Ok(()));
    let before = mb.free_map();
    let mut exact = on(1, NodePolicy::Exact, req(P, P));
    assert_eq!(mb.alloc(&exact), Err(Error::NoMem));
    exact.on_fail = OnFail::Panic;
    assert_eq!(mb.alloc(&exact), Err(Error::Panic));
    assert_eq!(
        mb.alloc(&on(70, NodePolicy::Exact, req(P, P))),
        Err(Error::NoMem)
    );
    assert_eq!(mb.free_map(), before);
    assert_eq!(mb.alloc(&on(1, NodePolicy::Prefer, req(P, P))), Ok(7 * P));
    assert_eq!(mb.alloc(&on(70, NodePolicy::Prefer, req(P, P))), Ok(6 * P));
    let mut no_node_exact = req(P, P);
    no_node_exact.policy = NodePolicy::Exact;
    assert_eq!(mb.alloc(&no_node_exact), Ok(5 * P), "acts as prefer");
}

/// ```text
///   |x|.. n0 ..|.. n1 ..|     node 0 = [0, 4P), node 1 = [4P, 6P)
///      [ 4 pages  ]
/// ```
/// Expect no placement across the node boundary, even with no node.
#[test]
fn alloc_never_spans_two_nodes() {
    let mut mb = booted(&[(0, 4 * P, 0), (4 * P, 6 * P, 1)]);
    assert_eq!(mb.alloc(&req(4 * P, P)), Err(Error::NoMem));
    assert_eq!(mb.alloc(&req(3 * P, P)), Ok(P));
}

/// ```text
///   |x|......kk|...|     limit 0x5000 + 100
/// ```
/// Expect the limit to bound the end of the block; a limit that cannot be
/// met (below PAGE_SIZE + size, including 1, memblock's NOLEAKTRACE
/// sentinel) fails.
#[test]
fn alloc_keeps_the_end_at_or_below_the_limit() {
    let mut mb = booted(&[(0, 16 * P, 0)]);
    let mut limited = req(P + 100, P);
    limited.limit = 5 * P + 100;
    assert_eq!(mb.alloc(&limited), Ok(4 * P));
    limited.limit = 1;
    assert_eq!(mb.alloc(&limited), Err(Error::NoMem));
    limited.limit = 2 * P + 99;
    assert_eq!(mb.alloc(&limited), Err(Error::NoMem));
    limited.limit = 2 * P + 100;
    assert_eq!(mb.alloc(&limited), Ok(P));
    let mut huge = req(u64::MAX, 1);
    huge.limit = u64::MAX;
    assert_eq!(mb.alloc(&huge), Err(Error::NoMem));
}

/// Expect the goal to be a minimum that is dropped when nothing fits above
/// it (stage 4), in both directions, including a goal past the end.
#[test]
fn alloc_drops_the_goal_when_nothing_fits_above_it() {
    for (dir, want) in [(Direction::TopDown, 16 * P - P), (Direction::BottomUp, P)] {
        let mut mb = booted_with(dir, 128, &[(0, 16 * P, 0)]);
        let mut q = req(P, P);
        q.goal = u64::MAX;
        assert_eq!(mb.alloc(&q), Ok(want), "{dir:?}");
        q.goal = 8 * P;
        q.limit = 8 * P;
        let below = if dir == Direction::TopDown {
            7 * P
        } else {
            2 * P
        };
        assert_eq!(mb.alloc(&q), Ok(below), "{dir:?}: limit below goal");
    }
}

/// Expect values near 2^64 never to wrap: RAM ending at 2^64 - 1, the
/// largest alignment, a huge size.
#[test]
fn alloc_near_two_to_the_64_never_wraps() {
    let top = u64::MAX - 64 * P;
    let mut mb = booted(&[(top, u64::MAX, 0), ((1 << 63) - P, (1 << 63) + 2 * P, 1)]);
    assert_eq!(mb.alloc(&req(u64::MAX, 1)), Err(Error::NoMem));
    assert_eq!(mb.alloc(&req(2 * P, 1 << 63)), Ok(1 << 63));
    assert_eq!(mb.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
    assert_eq!(mb.alloc(&req(1, 1)), Ok(u64::MAX - 1));
    assert_eq!(mb.reserve(u64::MAX - 2, 1, EXCL), Ok(()));
    assert_eq!(mb.free(u64::MAX - 3, 2), Err(Error::DoubleFree));
    assert_eq!(mb.free(u64::MAX - 2, 2), Ok(()));
}

// ---- release_all ---------------------------------------------------------

/// ```text
///   |.|[r]..|....|   RAM [0, 0x2800) node 0, [0x2800, 0x6000) node 1
///      ^ reserved [0x1800, 0x1900)
/// ```
/// Expect the whole pages of each free range: [0, P), then nothing from
/// [0x1900, 0x2800) (page 2 straddles the node boundary and is in two free
/// ranges, whole in neither), then [0x3000, 0x6000): 4 pages.
#[test]
fn release_all_hands_over_whole_pages_of_each_free_range() {
    let mut mb = booted(&[(0, 0x2800, 0), (0x2800, 0x6000, 1)]);
    assert_eq!(mb.reserve(0x1800, 0x100, DEF), Ok(()));
    let (count, got) = release(&mut mb);
    assert_eq!(count, Ok(4));
    assert_eq!(got, vec![r(0, P), r(3 * P, 6 * P)]);
}

/// ```text
///   |.|A|...|r|.|r|    bottom-up, capacity 1: reserving page 5 doubles the
///                      array twice (the kernel's stale count of new
///                      regions); the second array is the lowest page
///                      below page 5, the first one, above it, is freed
/// ```
/// Expect the doubled array to stay reserved at hand-off (Kept).
#[test]
fn release_all_keeps_the_doubled_arrays() {
    let mut mb = booted_with(Direction::BottomUp, 1, &[(0, 8 * P, 0)]);
    assert_eq!(mb.reserve(7 * P, P, DEF), Ok(()));
    assert_eq!(mb.reserve(5 * P, P, DEF), Ok(()));
    assert_eq!(mb.metadata(), vec![r(P, 2 * P)]);
    let (count, got) = release(&mut mb);
    assert_eq!(got, vec![r(0, P), r(2 * P, 5 * P), r(6 * P, 7 * P)]);
    assert_eq!(count, Ok(5));
}

/// Expect free_map to join touching free ranges of different nodes.
#[test]
fn free_map_joins_touching_nodes() {
    let mut mb = booted(&[(0, 4 * P, 0), (4 * P, 8 * P, 1), (9 * P, 10 * P, 1)]);
    assert_eq!(mb.free_map(), vec![r(0, 8 * P), r(9 * P, 10 * P)]);
    assert_eq!(mb.reserve(P, 1, DEF), Ok(()));
    assert_eq!(
        mb.free_map(),
        vec![r(0, P), r(P + 1, 8 * P), r(9 * P, 10 * P)]
    );
}
