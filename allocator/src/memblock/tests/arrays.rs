//! Adding, merging, overlapping, removing, capping: the region arrays
//! after each step.

use super::*;
use crate::bugs::{Bug, BugSet};

// ---- merging -------------------------------------------------------------

/// ```text
///   |xx|0000|          add [2P, 4P) on node 0
///   |xx|0000|0000|     add [4P, 6P) on node 0: touches, same nid and flags
///   |0000000000|       add [0, 2P) on node 0: touches from below
/// ```
/// Expect one region after each add: touching regions with equal nid and
/// flags merge, whichever side the new one comes from.
#[test]
fn touching_regions_with_equal_nid_and_flags_merge() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(2 * P, 2 * P, Some(0), NONE), Ok(()));
    assert_eq!(layout(mb.memory()), vec![(2 * P, 2 * P, Some(0), NONE)]);
    assert_eq!(mb.add_node(4 * P, 2 * P, Some(0), NONE), Ok(()));
    assert_eq!(layout(mb.memory()), vec![(2 * P, 4 * P, Some(0), NONE)]);
    assert_eq!(mb.add_node(0, 2 * P, Some(0), NONE), Ok(()));
    assert_eq!(layout(mb.memory()), vec![(0, 6 * P, Some(0), NONE)]);
    assert_eq!(mb.memory().total_size(), 6 * P);
}

/// ```text
///   |0000|    |0000|     two regions of node 0 with a hole
///   |0000|0000|0000|     add the hole on node 0
/// ```
/// Expect the region filling a hole to merge with both neighbours.
#[test]
fn a_region_filling_a_hole_merges_with_both_neighbours() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(0x1000, 0x1000, Some(0), NONE), Ok(()));
    assert_eq!(mb.add_node(0x3000, 0x1000, Some(0), NONE), Ok(()));
    assert_eq!(mb.memory().cnt(), 2);
    assert_eq!(mb.add_node(0x2000, 0x1000, Some(0), NONE), Ok(()));
    assert_eq!(layout(mb.memory()), vec![(0x1000, 0x3000, Some(0), NONE)]);
}

/// ```text
///   |0000|1111|      node 0 then node 1, touching
///   |0000|1111|xx|   add() with no node right after node 1
/// ```
/// Expect three regions: a different nid (and "no node" is a nid of its
/// own, `MAX_NUMNODES`) never merges.
#[test]
fn touching_regions_of_different_nodes_do_not_merge() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(0, 4 * P, Some(0), NONE), Ok(()));
    assert_eq!(mb.add_node(4 * P, 4 * P, Some(1), NONE), Ok(()));
    assert_eq!(mb.add(8 * P, 2 * P), Ok(()));
    assert_eq!(
        layout(mb.memory()),
        vec![
            (0, 4 * P, Some(0), NONE),
            (4 * P, 4 * P, Some(1), NONE),
            (8 * P, 2 * P, None, NONE),
        ]
    );
}

/// ```text
///   memory:   |0000|hhhh|        hhhh = HOTPLUG, same node
///   reserved: |rrrr|kkkk|kkkk|   reserve, then reserve_kern twice
/// ```
/// Expect flags to keep touching regions apart, and equal flags to merge:
/// a plain reservation never merges with an allocation (RSRV_KERN).
#[test]
fn touching_regions_with_different_flags_do_not_merge() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(0, 4 * P, Some(0), NONE), Ok(()));
    assert_eq!(mb.add_node(4 * P, 4 * P, Some(0), Flags::HOTPLUG), Ok(()));
    assert_eq!(
        layout(mb.memory()),
        vec![
            (0, 4 * P, Some(0), NONE),
            (4 * P, 4 * P, Some(0), Flags::HOTPLUG)
        ]
    );
    assert_eq!(mb.reserve(0, P), Ok(()));
    assert_eq!(mb.reserve_kern(P, P), Ok(()));
    assert_eq!(mb.reserve_kern(2 * P, P), Ok(()));
    assert_eq!(
        layout(mb.reserved()),
        vec![(0, P, None, NONE), (P, 2 * P, None, KERN)]
    );
}

/// ```text
///   reserved: |k0k0|k1k1|kkkk|    allocations on node 0, node 1, no node
/// ```
/// Expect three regions: reservations carry the allocating nid, so
/// allocations on different nodes do not merge even when they touch.
#[test]
fn reservations_with_different_nids_do_not_merge() {
    let mut mb = Memblock::new();
    assert_eq!(mb.reserve_with(0, P, Some(0), KERN), Ok(()));
    assert_eq!(mb.reserve_with(P, P, Some(1), KERN), Ok(()));
    assert_eq!(mb.reserve_with(2 * P, P, None, KERN), Ok(()));
    assert_eq!(mb.reserve_with(3 * P, P, None, KERN), Ok(()));
    assert_eq!(
        layout(mb.reserved()),
        vec![
            (0, P, Some(0), KERN),
            (P, P, Some(1), KERN),
            (2 * P, 2 * P, None, KERN)
        ]
    );
}

// ---- overlapping add and reserve -----------------------------------------

/// ```text
///   before: |  |hh|    |11|  |      node 1: a HOTPLUG page at 2, a page at 5
///   add:    [                 )     add_node [1P, 8P) node 1, NONE
///   after:  |11|hh|11111111111|
/// ```
/// Expect only the gaps inserted with the new nid and flags; the HOTPLUG
/// region keeps its flags, and the page at 5 merges with the gaps around
/// it.
#[test]
fn an_overlapping_add_inserts_only_the_gaps() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(2 * P, P, Some(1), Flags::HOTPLUG), Ok(()));
    assert_eq!(mb.add_node(5 * P, P, Some(1), NONE), Ok(()));
    assert_eq!(mb.add_node(P, 7 * P, Some(1), NONE), Ok(()));
    assert_eq!(
        layout(mb.memory()),
        vec![
            (P, P, Some(1), NONE),
            (2 * P, P, Some(1), Flags::HOTPLUG),
            (3 * P, 5 * P, Some(1), NONE),
        ]
    );
    assert_eq!(mb.phys_mem_size(), 7 * P);
}

/// ```text
///   before: |  |00|  |            node 0 at page 2
///   add:    [        )            add_node [1P, 4P) node 1
///   after:  |11|00|11|
/// ```
/// Expect the covered part to stay on node 0 (the kernel WARNs here): an
/// overlapping add never rewrites existing regions.
#[test]
fn an_overlapping_add_keeps_the_existing_nid() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(2 * P, P, Some(0), NONE), Ok(()));
    assert_eq!(mb.add_node(P, 3 * P, Some(1), NONE), Ok(()));
    assert_eq!(
        layout(mb.memory()),
        vec![
            (P, P, Some(1), NONE),
            (2 * P, P, Some(0), NONE),
            (3 * P, P, Some(1), NONE),
        ]
    );
}

/// ```text
///   before:  |  |kk|  |
///   reserve: [        )      reserve [1P, 4P): plain
///   after:   |rr|kk|rr|
///   again:   [        )      the same reserve, and one inside it
/// ```
/// Expect the gaps reserved with no flags and the allocation untouched;
/// then reserving what is already reserved changes nothing.
#[test]
fn an_overlapping_reserve_inserts_only_the_gaps() {
    let mut mb = Memblock::new();
    assert_eq!(mb.reserve_kern(2 * P, P), Ok(()));
    assert_eq!(mb.reserve(P, 3 * P), Ok(()));
    let expected = vec![
        (P, P, None, NONE),
        (2 * P, P, None, KERN),
        (3 * P, P, None, NONE),
    ];
    assert_eq!(layout(mb.reserved()), expected);
    assert_eq!(mb.reserve(P, 3 * P), Ok(()));
    assert_eq!(mb.reserve(P + 10, 20), Ok(()));
    assert_eq!(mb.reserve_kern(2 * P + 1, P - 1), Ok(()));
    assert_eq!(layout(mb.reserved()), expected);
    assert_eq!(mb.reserved_size(), 3 * P);
}

/// ```text
///   reserved: |rr|  |rr|  |rr|
///   reserve:  [              )   covers three regions and two gaps
/// ```
/// Expect one region: the gaps fill in and everything merges.
#[test]
fn a_reserve_over_several_regions_merges_them_all() {
    let mut mb = Memblock::new();
    for i in [0, 2, 4] {
        assert_eq!(mb.reserve(i * P, P), Ok(()));
    }
    assert_eq!(mb.reserved().cnt(), 3);
    assert_eq!(mb.reserve(0, 5 * P), Ok(()));
    assert_eq!(layout(mb.reserved()), vec![(0, 5 * P, None, NONE)]);
}

// ---- remove and free -----------------------------------------------------

/// ```text
///   |   00000000   |     memory [1P, 9P) on node 0
/// ```
/// Expect remove to take a whole region, a head, a tail, a middle (split
/// into two regions of the same node), and to ignore what is absent.
#[test]
fn remove_takes_whole_head_tail_and_middle_and_ignores_the_absent() {
    let base = |mb: &mut Memblock| {
        assert_eq!(mb.add_node(P, 8 * P, Some(0), NONE), Ok(()));
    };
    let cases: [(u64, u64, Vec<Rgn>); 6] = [
        (P, 8 * P, vec![]),
        (P, 2 * P, vec![(3 * P, 6 * P, Some(0), NONE)]),
        (7 * P, 2 * P, vec![(P, 6 * P, Some(0), NONE)]),
        (
            4 * P,
            P,
            vec![(P, 3 * P, Some(0), NONE), (5 * P, 4 * P, Some(0), NONE)],
        ),
        (10 * P, 5 * P, vec![(P, 8 * P, Some(0), NONE)]),
        (0, 2 * P, vec![(2 * P, 7 * P, Some(0), NONE)]),
    ];
    for (at, size, want) in cases {
        let mut mb = Memblock::new();
        base(&mut mb);
        assert_eq!(mb.remove(at, size), Ok(()), "remove {at:#x}+{size:#x}");
        assert_eq!(layout(mb.memory()), want, "remove {at:#x}+{size:#x}");
    }
}

/// ```text
///   memory: |0000|    |1111|
///   remove:    [          )     spans a tail, the hole and a head
///   after:  |00|        |11|
/// ```
/// Expect both regions trimmed and their nids kept.
#[test]
fn remove_across_a_hole_trims_both_sides() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(0, 4 * P, Some(0), NONE), Ok(()));
    assert_eq!(mb.add_node(8 * P, 4 * P, Some(1), NONE), Ok(()));
    assert_eq!(mb.remove(2 * P, 8 * P), Ok(()));
    assert_eq!(
        layout(mb.memory()),
        vec![(0, 2 * P, Some(0), NONE), (10 * P, 2 * P, Some(1), NONE)]
    );
}

/// ```text
///   reserved: |rrrr|kkkk|
///   free:        [  ]          one byte-exact hole across the boundary
/// ```
/// Expect free to split byte-exactly, keep each side's flags, and ignore
/// a second free of the same bytes.
#[test]
fn free_splits_reserved_regions_byte_exactly_and_is_silent_on_the_absent() {
    let mut mb = Memblock::new();
    assert_eq!(mb.reserve(0, 4 * P), Ok(()));
    assert_eq!(mb.reserve_kern(4 * P, 4 * P), Ok(()));
    assert_eq!(mb.free(4 * P - 3, 5), Ok(()));
    let want = vec![
        (0, 4 * P - 3, None, NONE),
        (4 * P + 2, 4 * P - 2, None, KERN),
    ];
    assert_eq!(layout(mb.reserved()), want);
    assert_eq!(mb.free(4 * P - 3, 5), Ok(()));
    assert_eq!(mb.free(100 * P, P), Ok(()));
    assert_eq!(layout(mb.reserved()), want);
    assert_eq!(mb.free(0, 8 * P), Ok(()));
    assert_eq!(layout(mb.reserved()), vec![]);
    assert_eq!(mb.reserved_size(), 0);
}

// ---- capping and size 0 --------------------------------------------------

/// ```text
///   |.............|xx   memory [2^64 - 2P, 2^64 - 1): the last byte is not
///                       addressable as a range end
/// ```
/// Expect sizes reaching past 2^64 to be cut at `PHYS_ADDR_MAX`, never to
/// wrap, in add, reserve, remove, free and the queries.
#[test]
fn sizes_are_capped_at_the_top_of_the_address_space() {
    let top = u64::MAX;
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(top - 2 * P, u64::MAX, Some(0), NONE), Ok(()));
    assert_eq!(
        layout(mb.memory()),
        vec![(top - 2 * P, 2 * P, Some(0), NONE)]
    );
    assert_eq!(mb.reserve(top - 5, 100), Ok(()));
    assert_eq!(layout(mb.reserved()), vec![(top - 5, 5, None, NONE)]);
    assert!(mb.is_region_memory(top - P, u64::MAX));
    assert!(mb.is_region_reserved(top - 1, u64::MAX));
    assert!(mb.overlaps_region(Array::Memory, top - 1, 2));
    assert_eq!(mb.remove(top - P, u64::MAX), Ok(()));
    assert_eq!(layout(mb.memory()), vec![(top - 2 * P, P, Some(0), NONE)]);
    assert_eq!(mb.free(top - 3, u64::MAX), Ok(()));
    assert_eq!(layout(mb.reserved()), vec![(top - 5, 2, None, NONE)]);
    assert_eq!(mb.add(top, 10), Ok(()), "capped to 0: a no-op");
    assert_eq!(mb.memory().cnt(), 1);
}

/// ```text
///   |r|rr...................................r|   reserved [0, 2^64 - 1)
///   |r|..|r.................................r|   free [P, 3P)
///    0 P  3P                           2^64 - 1
/// ```
/// Expect `total_size` to stay the sum of the sizes when a region of more
/// than half the address space is split. The port's split inserts the
/// lower half before it shrinks the upper one (v6.18's
/// `memblock_isolate_range` shrinks first), so the running sum passes 2^64
/// for a moment; unsigned wrapping arithmetic, the kernel's, brings it back
/// exactly. Found by the `native_memblock` fuzz target: the port used to
/// saturate and lost the split-off bytes from `total_size`.
#[test]
fn splitting_a_huge_region_keeps_total_size_exact() {
    let mut mb = Memblock::new();
    assert_eq!(mb.reserve(0, u64::MAX), Ok(()));
    assert_eq!(mb.reserved().total_size(), u64::MAX);
    assert_eq!(mb.free(P, 2 * P), Ok(()));
    assert_eq!(
        layout(mb.reserved()),
        vec![(0, P, None, NONE), (3 * P, u64::MAX - 3 * P, None, NONE)]
    );
    assert_eq!(mb.reserved_size(), u64::MAX - 2 * P);
}

/// Expect a size of 0 to change nothing anywhere, even on a full array
/// that may not grow (no doubling is attempted).
#[test]
fn size_zero_is_a_no_op() {
    let mut mb = Memblock::with_capacity(1);
    assert_eq!(mb.add(P, P), Ok(()));
    assert_eq!(mb.reserve(P, P), Ok(()));
    let before = mb.clone();
    assert_eq!(mb.add(5 * P, 0), Ok(()));
    assert_eq!(mb.reserve(5 * P, 0), Ok(()));
    assert_eq!(mb.reserve_kern(u64::MAX, 0), Ok(()));
    assert_eq!(mb.remove(P, 0), Ok(()));
    assert_eq!(mb.free(P, 0), Ok(()));
    assert_eq!(mb.set_node(P, 0, Array::Memory, Some(3)), Ok(()));
    assert_eq!(mb, before);
    assert!(!mb.overlaps_region(Array::Reserved, P, 0));
}

/// ```text
///   memory: |....|        one region, the array full (capacity 1)
///   remove:    [ ]        would split it
/// ```
/// Expect remove and free to need room for two more regions, whether or not
/// anything will be split, and before `allow_resize` to fail and change
/// nothing (the kernel panics).
#[test]
fn remove_needs_room_for_two_more_regions() {
    let mut mb = Memblock::with_capacity(1);
    assert_eq!(mb.add(P, 4 * P), Ok(()));
    let before = mb.clone();
    assert_eq!(
        mb.remove(2 * P, P),
        Err(MemblockError::CannotResize(Array::Memory))
    );
    assert_eq!(
        mb.free(2 * P, P),
        Err(MemblockError::CannotResize(Array::Reserved)),
        "even an empty array of capacity 1 lacks room for two more"
    );
    assert_eq!(mb, before);
}

// ---- set_node and trim_memory --------------------------------------------

/// ```text
///   |xxxxxxxxxxxx|      memory [0, 4P), no node
///   |xx|11|xxxxxx|      set_node [1P, 2P) to node 1
///   |xxxxxxxxxxxx|      and back to no node
/// ```
/// Expect set_node to split at its edges, and to merge what becomes equal.
#[test]
fn set_node_splits_at_its_edges_and_merges_what_becomes_equal() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add(0, 4 * P), Ok(()));
    assert_eq!(mb.set_node(P, P, Array::Memory, Some(1)), Ok(()));
    assert_eq!(
        layout(mb.memory()),
        vec![
            (0, P, None, NONE),
            (P, P, Some(1), NONE),
            (2 * P, 2 * P, None, NONE)
        ]
    );
    assert_eq!(mb.set_node(P, P, Array::Memory, None), Ok(()));
    assert_eq!(layout(mb.memory()), vec![(0, 4 * P, None, NONE)]);
}

/// The `(base, size)` of every memory region.
fn memory_spans(mb: &Memblock) -> Vec<(u64, u64)> {
    mb.memory()
        .regions()
        .iter()
        .map(|r| (r.base(), r.size()))
        .collect()
}

/// ```text
///   |x[....]xx[.]x|     memory [0x800, 0x3800) and [0x5100, 0x5f00)
///   trim to pages:      [0x1000, 0x3000); the second vanishes
/// ```
/// Expect the regions cut to the alignment and the empty one removed; and,
/// faithfully, `total_size` updated only by the removal.
#[test]
fn trim_memory_cuts_regions_to_the_alignment() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add(0x800, 0x3000), Ok(()));
    assert_eq!(mb.add_node(0x5100, 0xe00, Some(2), NONE), Ok(()));
    assert_eq!(mb.trim_memory(P), Ok(()));
    assert_eq!(memory_spans(&mb), vec![(0x1000, 0x2000)]);
    assert_eq!(
        mb.phys_mem_size(),
        0x3000,
        "stale: the trim itself does not update total_size"
    );
    assert_eq!(mb.trim_memory(3), Err(MemblockError::BadAlign));
    assert_eq!(mb.trim_memory(0), Err(MemblockError::BadAlign));
}

/// ```text
///   |[....]x|     memory [0x1000, 0x3800): the start is aligned, the end
///   |x[....]|     not; memory [0x800, 0x3000): the other way round
///   trim to pages: [0x1000, 0x3000) both times
/// ```
/// Expect a region with only its end, or only its start, off the
/// alignment trimmed too.
#[test]
fn trim_memory_cuts_a_region_off_the_alignment_at_one_end() {
    for (base, size, want) in [
        (0x1000, 0x2800, (0x1000, 0x2000)),
        (0x800, 0x2800, (0x1000, 0x2000)),
    ] {
        let mut mb = Memblock::new();
        assert_eq!(mb.add(base, size), Ok(()));
        assert_eq!(mb.trim_memory(P), Ok(()));
        assert_eq!(memory_spans(&mb), vec![want], "[{base:#x}, +{size:#x})");
    }
}

/// ```text
///   |[..]| x[.|.]x | x[.....]x|   memory [0x1000, 0x3000), [0x4800, 0x5800)
///                                 and [0x6800, 0x9800)
///   trim to pages: the first stays, the second vanishes (its aligned
///   start and end meet at 0x5000), the third becomes [0x7000, 0x9000)
/// ```
/// Expect the walk to go past an aligned region, drop the one that
/// shrinks to nothing, and cut the one after it.
#[test]
fn trim_memory_walks_past_aligned_regions_and_drops_empty_ones() {
    let mut mb = Memblock::new();
    for (base, size) in [(0x1000, 0x2000), (0x4800, 0x1000), (0x6800, 0x3000)] {
        assert_eq!(mb.add(base, size), Ok(()));
    }
    assert_eq!(mb.trim_memory(P), Ok(()));
    assert_eq!(memory_spans(&mb), vec![(0x1000, 0x2000), (0x7000, 0x2000)]);
}

/// Flags combine as sets and print by their kernel names.
#[test]
fn flags_combine_as_sets_and_print_their_names() {
    let both = Flags::HOTPLUG.union(Flags::NOMAP);
    assert_eq!(both.union(Flags::NOMAP), both, "a union is idempotent");
    assert_eq!(both.difference(Flags::NOMAP), Flags::HOTPLUG);
    assert_eq!(format!("{:?}", both), "HOTPLUG|NOMAP");
    assert_eq!(format!("{:?}", Flags::NONE), "NONE");
    assert_eq!(format!("{:?}", Flags::from_bits(0x81)), "HOTPLUG|0x80");
    assert_eq!(format!("{:?}", Flags::from_bits(0x100)), "0x100");
}

// ---- queries -------------------------------------------------------------

/// ```text
///   memory:   |0000|1111|   |00|
///   reserved:    |rr|
/// ```
/// Expect is_region_memory to ask for a subset of **one** region (so not
/// across the node boundary) and is_region_reserved for any intersection.
#[test]
fn region_queries_test_subset_of_one_memory_region_and_any_reserved_overlap() {
    let mut mb = Memblock::new();
    assert_eq!(mb.add_node(0, 4 * P, Some(0), NONE), Ok(()));
    assert_eq!(mb.add_node(4 * P, 4 * P, Some(1), NONE), Ok(()));
    assert_eq!(mb.add_node(11 * P, 2 * P, Some(0), NONE), Ok(()));
    assert_eq!(mb.reserve(2 * P, 2 * P), Ok(()));
    assert!(mb.is_region_memory(P, 3 * P));
    assert!(!mb.is_region_memory(3 * P, 2 * P), "spans two regions");
    assert!(!mb.is_region_memory(7 * P, 2 * P), "runs into the hole");
    assert!(mb.is_region_memory(12 * P, 0), "size 0 asks about base");
    assert!(!mb.is_region_memory(9 * P, P));
    assert!(mb.is_region_reserved(0, 2 * P + 1));
    assert!(!mb.is_region_reserved(0, 2 * P));
    assert!(!mb.is_region_reserved(4 * P, 100 * P));
    assert!(mb.is_memory(4 * P) && !mb.is_memory(8 * P));
    assert!(mb.is_reserved(4 * P - 1) && !mb.is_reserved(4 * P));
    assert!(mb.overlaps_region(Array::Memory, 8 * P, 3 * P + 1));
    assert!(!mb.overlaps_region(Array::Memory, 8 * P, 3 * P));
}

/// ```text
///   reserved: |..|rr|....|rr|..|
///             0  2P 4P   8P 10P
///                ^ region 0  ^ region 1
/// ```
/// Expect is_region_reserved to be true for an overlap with either region
/// and false for free memory; with `Bug::L13RegionReservedIndex` to be the
/// old return value read as a boolean: the index of the first overlapping
/// region or -1, so false for region 0, true for region 1, and true for
/// free memory.
#[test]
fn is_region_reserved_reads_the_old_index_as_a_boolean_with_l13_planted() {
    let l13 = BugSet::NONE.with(Bug::L13RegionReservedIndex);
    for (bugs, want) in [
        (BugSet::NONE, [true, true, true, false]),
        (l13, [false, false, true, true]),
    ] {
        let mut mb = Memblock::new().with_bugs(bugs);
        assert_eq!(mb.reserve(2 * P, 2 * P), Ok(()));
        assert_eq!(mb.reserve(8 * P, 2 * P), Ok(()));
        let got = [(3 * P, P), (0, 12 * P), (9 * P, P), (5 * P, P)]
            .map(|(base, size)| mb.is_region_reserved(base, size));
        assert_eq!(got, want, "{bugs:?}");
    }
}

/// ```text
///   memory:   |....|rr|    [top - 4P, top), top = 2^64 - 1, reserved
///                          from top - 2P
///   query:          [  ... [top - P, + 2P): the end passes 2^64
/// ```
/// Expect the query's size capped, so that it overlaps the memory and the
/// reservation at the top; with `Bug::M15OverlapsWrap` the end wraps to
/// `P - 1` and the query overlaps nothing, while is_region_reserved, which
/// capped the size itself before 023accf5cdc1, still answers right.
#[test]
fn an_overlap_query_past_2_64_wraps_with_m15_planted() {
    let top = u64::MAX;
    let m15 = BugSet::NONE.with(Bug::M15OverlapsWrap);
    for (bugs, overlaps) in [(BugSet::NONE, true), (m15, false)] {
        let mut mb = Memblock::new().with_bugs(bugs);
        assert_eq!(mb.add_node(top - 4 * P, 4 * P, Some(0), NONE), Ok(()));
        assert_eq!(mb.reserve(top - 2 * P, 2 * P), Ok(()));
        assert_eq!(
            mb.overlaps_region(Array::Memory, top - P, 2 * P),
            overlaps,
            "{bugs:?}"
        );
        assert_eq!(
            mb.overlaps_region(Array::Reserved, top - P, 2 * P),
            overlaps,
            "{bugs:?}"
        );
        assert!(mb.is_region_reserved(top - P, 2 * P));
        assert!(mb.overlaps_region(Array::Memory, top - P, P), "no wrap");
    }
}
