//! Native allocation: the four attempts in both directions, the bounds,
//! and what an allocation leaves in `reserved`.

use super::*;

/// Node 0 = [1 MiB, 2 MiB), node 1 = [2 MiB, 3 MiB), touching.
fn two_nodes(bottom_up: bool) -> Memblock {
    let mut mb = Memblock::new();
    mb.set_bottom_up(bottom_up);
    assert_eq!(mb.add_node(MIB, MIB, Some(0), NONE), Ok(()));
    assert_eq!(mb.add_node(2 * MIB, MIB, Some(1), NONE), Ok(()));
    mb
}

const ACC: PhysAddr = ALLOC_ACCESSIBLE;

/// ```text
///   |x ... |....... node 0 .......|....... node 1 .......|
///          1M          ^ 1.5M     2M                     3M
///   1. node 0, min 1.5M:               on node 0 above min    ....k0|
///   2. node 0, min 2M:                 any node above min            ...kk|
///   3. exact node 0, min 2M:           min dropped, node 0    ...k0k0|
///   4. node 1 full, node 1, min 2M+:   min dropped, any node  ..kkk0k0|rrrr|
/// ```
/// Expect top-down to take the highest fit of the first attempt that has
/// one, reserving RSRV_KERN with the requested nid (node attempts) or
/// none (the any-node fallback), so the two do not merge.
#[test]
fn top_down_attempts_node_then_any_node_then_both_again_without_min() {
    let mut mb = two_nodes(false);
    let mid = MIB + MIB / 2;
    assert_eq!(mb.alloc_try_nid(P, P, mid, ACC, Some(0)), Ok(2 * MIB - P));
    assert_eq!(layout(mb.reserved()), vec![(2 * MIB - P, P, Some(0), KERN)]);

    assert_eq!(
        mb.alloc_try_nid(P, P, 2 * MIB, ACC, Some(0)),
        Ok(3 * MIB - P)
    );
    assert_eq!(
        layout(mb.reserved())[1],
        (3 * MIB - P, P, None, KERN),
        "any-node fallback: NUMA_NO_NODE"
    );

    assert_eq!(
        mb.alloc_exact_nid_raw(P, P, 2 * MIB, ACC, Some(0)),
        Ok(2 * MIB - 2 * P),
        "exact: no any-node attempt, so min is dropped first"
    );
    assert_eq!(
        layout(mb.reserved())[0],
        (2 * MIB - 2 * P, 2 * P, Some(0), KERN)
    );

    assert_eq!(mb.reserve(2 * MIB, MIB - P), Ok(()));
    assert_eq!(
        mb.alloc_exact_nid_raw(P, P, 0, ACC, Some(1)),
        Err(MemblockError::NoMemory)
    );
    assert_eq!(
        mb.alloc_try_nid(P, P, 2 * MIB + P, ACC, Some(1)),
        Ok(2 * MIB - 3 * P),
        "all four attempts: the last one, any node from 0"
    );
    assert_eq!(
        layout(mb.reserved()),
        vec![
            (2 * MIB - 3 * P, P, None, KERN),
            (2 * MIB - 2 * P, 2 * P, Some(0), KERN),
            (2 * MIB, MIB - P, None, NONE),
            (3 * MIB - P, P, None, KERN),
        ]
    );
}

/// ```text
///   |x ... |....... node 0 .......|....... node 1 .......|
///   1. node 1, min 1.5M:               on node 1 above min    |k1....
///   2. node 0, min 2M:                 any node above min     |k1kk...
///   3. exact node 1, min 3M:           min dropped, node 1    |k1kkk1..
///   4. node 0 full, node 0, min 3M:    min dropped, any node  |k1kkk1kk..
/// ```
/// Expect bottom-up to take the lowest fit of the same attempts.
#[test]
fn bottom_up_attempts_node_then_any_node_then_both_again_without_min() {
    let mut mb = two_nodes(true);
    let mid = MIB + MIB / 2;
    assert_eq!(mb.alloc_try_nid(P, P, mid, ACC, Some(1)), Ok(2 * MIB));
    assert_eq!(
        mb.alloc_try_nid(P, P, 2 * MIB, ACC, Some(0)),
        Ok(2 * MIB + P)
    );
    assert_eq!(
        mb.alloc_exact_nid_raw(P, P, 3 * MIB, ACC, Some(1)),
        Ok(2 * MIB + 2 * P)
    );
    assert_eq!(mb.reserve(MIB, MIB), Ok(()));
    assert_eq!(
        mb.alloc_try_nid(P, P, 3 * MIB, ACC, Some(0)),
        Ok(2 * MIB + 3 * P)
    );
    assert_eq!(
        layout(mb.reserved()),
        vec![
            (MIB, MIB, None, NONE),
            (2 * MIB, P, Some(1), KERN),
            (2 * MIB + P, P, None, KERN),
            (2 * MIB + 2 * P, P, Some(1), KERN),
            (2 * MIB + 3 * P, P, None, KERN),
        ]
    );
}

/// ```text
///   |x|..n0..|..n1..|     node 0 = [1P, 3P), node 1 = [3P, 5P)
/// ```
/// Expect no block across the two regions, even with no node asked for;
/// once node 1 grows by a touching region of its own, the merged region
/// holds a 3-page block.
#[test]
fn a_block_never_spans_two_memory_regions() {
    for bottom_up in [false, true] {
        let mut mb = Memblock::new();
        mb.set_bottom_up(bottom_up);
        assert_eq!(mb.add_node(P, 2 * P, Some(0), NONE), Ok(()));
        assert_eq!(mb.add_node(3 * P, 2 * P, Some(1), NONE), Ok(()));
        assert_eq!(mb.alloc(3 * P, P), Err(MemblockError::NoMemory));
        assert_eq!(mb.add_node(5 * P, P, Some(1), NONE), Ok(()));
        assert_eq!(mb.alloc(3 * P, P), Ok(3 * P));
    }
}

/// ```text
///   |.|...|    memory [0, 2P): page 0 is never handed out
/// ```
#[test]
fn the_first_page_is_never_handed_out() {
    for bottom_up in [false, true] {
        let mut mb = Memblock::new();
        mb.set_bottom_up(bottom_up);
        assert_eq!(mb.add(0, 2 * P), Ok(()));
        assert_eq!(mb.alloc(2 * P, 1), Err(MemblockError::NoMemory));
        assert_eq!(mb.alloc(P, 1), Ok(P));
        assert_eq!(mb.alloc(1, 1), Err(MemblockError::NoMemory));
    }
}

/// ```text
///   |........ 1 MiB ........|
///                ^ current limit 512K
/// ```
/// Expect `max_addr` clamped to the current limit and bounding the end;
/// `phys_alloc_range` with an explicit end is not clamped.
#[test]
fn max_addr_is_clamped_to_the_current_limit_and_bounds_the_end() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add(0, MIB), Ok(()));
    mb.set_current_limit(MIB / 2);
    assert_eq!(mb.alloc(P, P), Ok(MIB / 2 - P));
    assert_eq!(
        mb.alloc_try_nid(P, P, 0, 3 * MIB / 4, None),
        Ok(MIB / 2 - 2 * P)
    );
    assert_eq!(mb.phys_alloc_range(P, P, 0, ALLOC_ANYWHERE), Ok(MIB - P));
    assert_eq!(mb.phys_alloc_range(P, P, 0, ACC), Ok(MIB / 2 - 3 * P));
    assert_eq!(
        mb.alloc_try_nid(0x1800, P, 0, 0x5800, None),
        Ok(0x4000),
        "the end may touch max_addr"
    );
    assert_eq!(
        mb.alloc_try_nid(P, P, 0, P, None),
        Err(MemblockError::NoMemory)
    );
}

/// Expect `min` to be a preference for `alloc_from` (dropped when nothing
/// fits above it) and a hard bound for `phys_alloc_range`.
#[test]
fn phys_alloc_range_keeps_its_start_but_alloc_from_drops_min() {
    for bottom_up in [false, true] {
        let mut mb = Memblock::new();
        mb.set_bottom_up(bottom_up);
        assert_eq!(mb.add(0, MIB), Ok(()));
        assert_eq!(mb.reserve(MIB / 2, MIB / 2), Ok(()));
        assert_eq!(
            mb.phys_alloc_range(P, P, MIB / 2, ALLOC_ANYWHERE),
            Err(MemblockError::NoMemory)
        );
        let want = if bottom_up { P } else { MIB / 2 - P };
        assert_eq!(mb.alloc_from(P, P, MIB / 2), Ok(want));
    }
}

/// ```text
///   |x|..|k|   memory [0, 0x3000): a one-byte block with align 0
/// ```
/// Expect align 0 to mean `SMP_CACHE_BYTES` (the M18 trap: the MIPS crash
/// kernel reservation passed 0), and an alignment that is not a power of
/// two to be refused.
#[test]
fn align_zero_means_smp_cache_bytes() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add(0, 0x3000), Ok(()));
    assert_eq!(mb.alloc(1, 0), Ok(0x3000 - 64));
    assert_eq!(mb.alloc(1, 3), Err(MemblockError::BadAlign));
    assert_eq!(
        mb.phys_alloc_range(1, 96, 0, ACC),
        Err(MemblockError::BadAlign)
    );
}

/// ```text
///   |..... 4 GiB - 1 MiB ..... 4 GiB ..... 4 GiB + 1 MiB .....|
///                        ^ ARCH_LOW_ADDRESS_LIMIT = 0xffff_ffff
/// ```
/// Expect `alloc_low` to end at or below 0xffff_ffff, which leaves the last
/// page under 4 GiB unused (the limit is an address, not a page bound).
#[test]
fn alloc_low_ends_at_or_below_the_low_address_limit() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add((4 << 30) - MIB, 2 * MIB), Ok(()));
    assert_eq!(mb.alloc_low(P, P), Ok(0xffff_e000));
    assert_eq!(mb.alloc(P, P), Ok((4 << 30) + MIB - P));
    assert_eq!(mb.alloc_node(P, P, Some(7)), Ok((4 << 30) + MIB - 2 * P));
    assert_eq!(
        mb.phys_alloc_try_nid(P, P, None),
        Ok((4 << 30) + MIB - 3 * P)
    );
}

/// Expect `NOMAP` and `DRIVER_MANAGED` memory never to be allocated from,
/// while `HOTPLUG` memory is (no `movable_node`).
#[test]
fn nomap_and_driver_managed_memory_is_never_allocated() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(0, MIB, Some(0), Flags::NOMAP), Ok(()));
    assert_eq!(
        mb.add_node(MIB, MIB, Some(0), Flags::DRIVER_MANAGED),
        Ok(())
    );
    assert_eq!(mb.alloc(P, P), Err(MemblockError::NoMemory));
    assert!(mb.free_ranges(None, NONE).is_empty());
    assert_eq!(mb.free_ranges(None, Flags::NOMAP).len(), 1);
    assert_eq!(mb.add_node(2 * MIB, MIB, Some(0), Flags::HOTPLUG), Ok(()));
    assert_eq!(mb.alloc(P, P), Ok(3 * MIB - P));
}

/// Expect a size of 0 to "succeed" at some address and reserve nothing,
/// as in the kernel (the compat layer refuses it first).
#[test]
fn a_size_zero_allocation_reserves_nothing() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add(0, MIB), Ok(()));
    assert_eq!(mb.alloc(0, P), Ok(MIB));
    assert_eq!(mb.reserved().cnt(), 0);
}

/// ```text
///   |r|r|...................|AA|kk|    capacity 2: reserved full
/// ```
/// Expect an allocation whose reservation needs a bigger reserved array to
/// get it from the search avoiding the block, then to merge with it: both
/// are RSRV_KERN with no node.
///
/// ```text
///   |r|.....................|A2|..|kk|  capacity 1
/// ```
/// With room for one region, the kernel's count of one new region, kept
/// while the array's own reservation takes a slot, makes it double twice:
/// the second array lands below the first, which is freed.
#[test]
fn an_allocation_that_doubles_the_reserved_array_keeps_the_array_off_the_block() {
    let mut mb = resizable(4, 2);
    assert_eq!(mb.add(0, MIB), Ok(()));
    assert_eq!(mb.reserve(0, P), Ok(()));
    assert_eq!(mb.reserve(2 * P, P), Ok(()));
    assert_eq!(mb.alloc(P, P), Ok(MIB - P));
    assert_eq!(mb.reserved().placement(), Some(r(MIB - 2 * P, MIB - P)));
    assert_eq!(
        layout(mb.reserved()),
        vec![
            (0, P, None, NONE),
            (2 * P, P, None, NONE),
            (MIB - 2 * P, 2 * P, None, KERN)
        ]
    );

    let mut mb = resizable(4, 1);
    assert_eq!(mb.add(0, MIB), Ok(()));
    assert_eq!(mb.reserve(0, P), Ok(()));
    assert_eq!(mb.alloc(P, P), Ok(MIB - P));
    assert_eq!(mb.reserved().placement(), Some(r(MIB - 3 * P, MIB - 2 * P)));
    assert_eq!(mb.reserved().max(), 4);
    assert_eq!(
        layout(mb.reserved()),
        vec![
            (0, P, None, NONE),
            (MIB - 3 * P, P, None, KERN),
            (MIB - P, P, None, KERN)
        ]
    );
}

/// ```text
///   |r|.|     memory [0, 2P), page 0 reserved, capacity 1
/// ```
/// Expect (faithfully) the allocation to fail although page 1 is free: its
/// reservation needs a bigger array and there is no page for one.
#[test]
fn an_allocation_fails_when_its_reservation_cannot_grow_the_array() {
    let mut mb = resizable(4, 1);
    assert_eq!(mb.add(0, 2 * P), Ok(()));
    assert_eq!(mb.reserve(0, P), Ok(()));
    let before = mb.clone();
    assert_eq!(mb.alloc(P, P), Err(MemblockError::NoMemory));
    assert_eq!(mb, before);
}

/// Expect huge sizes and alignments near 2^64 to fail cleanly in both
/// directions, and the only 2^63-aligned block to be found.
#[test]
fn extreme_sizes_and_alignments_never_wrap() {
    for bottom_up in [false, true] {
        let mut mb = Memblock::new();
        mb.set_bottom_up(bottom_up);
        assert_eq!(mb.add(u64::MAX - 16 * P, u64::MAX), Ok(()));
        assert_eq!(mb.add((1 << 63) - 4 * P, 8 * P), Ok(()));
        assert_eq!(mb.alloc(u64::MAX, 1), Err(MemblockError::NoMemory));
        assert_eq!(mb.alloc_from(P, 1 << 63, u64::MAX), Ok(1 << 63));
        assert_eq!(mb.alloc(1, 1 << 63), Err(MemblockError::NoMemory));
        let top = mb.alloc(P, P);
        assert!(top.is_ok_and(|a| a.checked_add(P).is_some()), "{top:?}");
    }
}
