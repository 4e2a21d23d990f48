//! Tests in the style of the kernel's `tools/testing/memblock`: each draws
//! the memory it builds and states what it expects. In the pictures `.` is
//! free, `r` reserved, `a` allocated, `S` a stolen page (metadata), `x` a
//! hole; one character is one page unless labelled. Every instance runs
//! with checking on, so the invariant walk runs after every call (a broken
//! invariant panics the test).

use super::*;
use crate::bugs::Bug;
use crate::{NodePolicy, OnFail, MAX_NODES};

const P: u64 = PAGE_SIZE;
const MIB: u64 = 1 << 20;

fn r(start: u64, end: u64) -> Range {
    Range::new(start, end).expect("test range")
}

/// A treemem with a pool of `nr` nodes, `map` registered (start, end,
/// nid), set up, and checking on.
fn booted_with(nr: u64, map: &[(u64, u64, Nid)]) -> TreeMem {
    let mut tm = TreeMem::with_pool(nr, BugSet::NONE);
    tm.set_checking(true);
    for &(start, end, nid) in map {
        assert_eq!(tm.add_memory(r(start, end), nid), Ok(()));
    }
    assert_eq!(tm.setup(), Ok(()));
    tm
}

/// As [`booted_with`], with the default pool.
fn booted(map: &[(u64, u64, Nid)]) -> TreeMem {
    booted_with(DEFAULT_NR_SEGMENTS, map)
}

/// As [`booted`], with `bugs` planted.
fn planted(bugs: BugSet, map: &[(u64, u64, Nid)]) -> TreeMem {
    let mut tm = TreeMem::with_bugs(bugs);
    tm.set_checking(true);
    for &(start, end, nid) in map {
        assert_eq!(tm.add_memory(r(start, end), nid), Ok(()));
    }
    assert_eq!(tm.setup(), Ok(()));
    tm
}

/// A request for `size` bytes aligned to `align`, any node, NoMem.
fn req(size: u64, align: u64) -> AllocRequest {
    AllocRequest::new(size, align)
}

/// The same request, on node `nid` with `policy`.
fn on(nid: Nid, policy: NodePolicy, mut base: AllocRequest) -> AllocRequest {
    base.nid = Some(nid);
    base.policy = policy;
    base
}

fn release(tm: &mut TreeMem) -> (Outcome<u64>, Vec<Range>) {
    let mut got = Vec::new();
    let count = tm.release_all(&mut |range| got.push(range));
    (count, got)
}

/// The free map and the metadata, to show that a failed call changed
/// nothing.
fn snapshot(tm: &TreeMem) -> (Vec<Range>, Vec<Range>) {
    (tm.free_map(), tm.metadata())
}

const DEF: ReserveMode = ReserveMode::Default;
const EXCL: ReserveMode = ReserveMode::Exclusive;

// ---- setup and registration ---------------------------------------------

/// ```text
///   |..... n0 .....|..... n1 .....|xx|[.. n2 ..]|
///   0             16P            32P 40P+0x800   48P+3
/// ```
/// Expect every byte free, one extent per maximal run: the touching ranges
/// of nodes 0 and 1 are one extent, and no metadata (the static pool is not
/// managed memory).
#[test]
fn setup_makes_every_byte_free_one_extent_per_run() {
    let tm = booted(&[
        (0, 16 * P, 0),
        (16 * P, 32 * P, 1),
        (40 * P + 0x800, 48 * P + 3, 2),
    ]);
    assert_eq!(
        tm.free_map(),
        vec![r(0, 32 * P), r(40 * P + 0x800, 48 * P + 3)]
    );
    assert!(tm.metadata().is_empty());
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 2)));
    assert_eq!(tm.check_invariants(), Ok(()));
}

/// ```text
///   |[.|S|.|xx|...|xx|..|    pool of 2 nodes, three runs
///    0x800
/// ```
/// Expect setup to steal the lowest whole page at or above PAGE_SIZE,
/// page 1, splitting the first run: four extents in a pool of 2 + 64.
#[test]
fn setup_steals_a_page_when_the_pool_cannot_hold_the_runs() {
    let tm = booted_with(
        2,
        &[(0x800, 3 * P, 0), (5 * P, 8 * P, 1), (10 * P, 12 * P, 0)],
    );
    assert_eq!(tm.metadata(), vec![r(P, 2 * P)]);
    assert_eq!(
        tm.free_map(),
        vec![
            r(0x800, P),
            r(2 * P, 3 * P),
            r(5 * P, 8 * P),
            r(10 * P, 12 * P)
        ]
    );
    assert_eq!(tm.pool_usage(), Some((2 + NODES_PER_PAGE, 4)));
    assert_eq!(tm.metadata_growth(), None, "spare nodes: no growth due");
}

/// ```text
///   |.|      a single page of RAM, page 0; a pool of no node
/// ```
/// Expect NoMem: page 0 may not be stolen. Nothing changes, so RAM may be
/// added and setup retried.
#[test]
fn setup_without_a_page_to_steal_is_nomem_and_changes_nothing() {
    let mut tm = TreeMem::with_pool(0, BugSet::NONE);
    assert_eq!(tm.add_memory(r(0, P), 0), Ok(()));
    assert_eq!(tm.setup(), Err(Error::NoMem));
    assert_eq!(tm.alloc(&req(1, 1)), Err(Error::Unsupported));
    assert!(tm.metadata().is_empty() && tm.free_map().is_empty());
    assert_eq!(tm.add_memory(r(P, 2 * P), 1), Ok(()));
    assert_eq!(tm.setup(), Ok(()));
    assert_eq!(tm.metadata(), vec![r(P, 2 * P)]);
    assert_eq!(tm.free_map(), vec![r(0, P)]);
}

/// Expect an allocator without RAM to set up and find nothing.
#[test]
fn setup_without_ram_is_an_empty_allocator() {
    let mut tm = booted(&[]);
    assert!(tm.free_map().is_empty());
    assert_eq!(tm.alloc(&req(1, 1)), Err(Error::NoMem));
    assert_eq!(tm.reserve(P, 1, DEF), Err(Error::Invalid));
    assert_eq!(release(&mut tm), (Ok(0), vec![]));
}

#[test]
fn add_memory_refuses_empty_ranges_bad_nodes_and_overlap() {
    let mut tm = TreeMem::new();
    assert_eq!(tm.add_memory(r(P, P), 0), Err(Error::Invalid));
    assert_eq!(tm.add_memory(r(0, P), MAX_NODES), Err(Error::Invalid));
    assert_eq!(tm.add_memory(r(0, 4 * P), MAX_NODES - 1), Ok(()));
    assert_eq!(tm.add_memory(r(4 * P - 1, 8 * P), 1), Err(Error::Invalid));
    assert_eq!(tm.add_memory(r(4 * P, 8 * P), 1), Ok(()));
    assert_eq!(tm.add_memory(r(u64::MAX - 1, u64::MAX), 1), Ok(()));
}

/// ```text
///   |..... n0 .....|..... n0 .....|   registered as two ranges
///                 [     ]          reserve_node(0, ...) across the seam
/// ```
/// Expect touching ranges of one node to merge into one range.
#[test]
fn touching_ranges_of_one_node_merge() {
    let mut tm = booted(&[(8 * P + 5, 16 * P, 0), (0, 8 * P + 5, 0)]);
    assert_eq!(tm.ram.ranges().len(), 1);
    assert_eq!(tm.reserve_node(0, 7 * P, 2 * P, EXCL), Ok(()));
}

#[test]
fn setup_twice_is_unsupported_and_so_is_add_memory_after_it() {
    let mut tm = booted(&[(0, MIB, 0)]);
    assert_eq!(tm.setup(), Err(Error::Unsupported));
    assert_eq!(tm.add_memory(r(MIB, 2 * MIB), 0), Err(Error::Unsupported));
    assert_eq!(tm.free_map(), vec![r(0, MIB)]);
    assert_eq!(tm.profile().registration, Registration::BeforeSetup);
}

#[test]
fn every_call_but_registration_before_setup_is_unsupported() {
    let mut tm = TreeMem::new();
    assert_eq!(tm.add_memory(r(0, MIB), 0), Ok(()));
    let unsupported = Err(Error::Unsupported);
    assert_eq!(tm.reserve(0, 0, DEF), unsupported);
    assert_eq!(tm.reserve_node(0, P, P, EXCL), unsupported);
    assert_eq!(tm.free(0, 0), unsupported);
    assert_eq!(tm.free_node(0, P, P), unsupported);
    assert_eq!(tm.alloc(&req(0, 3)), Err(Error::Unsupported));
    assert_eq!(release(&mut tm), (Err(Error::Unsupported), vec![]));
    assert!(tm.metadata().is_empty() && tm.free_map().is_empty());
    assert_eq!(tm.name(), "treemem");
    let profile = tm.profile();
    assert_eq!(profile.granularity, Granularity::Byte);
    assert_eq!(profile.placement, Placement::Lowest);
    assert!(profile.crosses_nodes && !profile.packing);
    assert_eq!(profile.metadata, MetadataHandoff::Released);
}

#[test]
fn every_call_after_release_all_is_retired() {
    let mut tm = booted(&[(0, MIB, 0)]);
    assert!(release(&mut tm).0.is_ok());
    let retired = Err(Error::Retired);
    assert_eq!(tm.add_memory(r(MIB, 2 * MIB), 0), retired);
    assert_eq!(tm.setup(), retired);
    assert_eq!(tm.reserve(P, P, DEF), retired);
    assert_eq!(tm.reserve_node(0, P, 0, DEF), retired);
    assert_eq!(tm.free(P, 0), retired);
    assert_eq!(tm.free_node(0, P, P), retired);
    assert_eq!(tm.alloc(&req(P, P)), Err(Error::Retired));
    assert_eq!(release(&mut tm), (Err(Error::Retired), vec![]));
    assert!(tm.metadata().is_empty() && tm.free_map().is_empty());
}

// ---- the four cases of segment_complement ---------------------------------

/// ```text
///   |rrrrrrrr|   reserve all of [P, 9P): the extent goes
/// ```
/// Expect whole removal: no extent left, its node back in the pool.
#[test]
fn reserve_removes_a_whole_extent() {
    let mut tm = booted(&[(P, 9 * P, 0)]);
    assert_eq!(tm.reserve(P, 8 * P, EXCL), Ok(()));
    assert!(tm.free_map().is_empty());
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 0)));
}

/// ```text
///   |rr......|   reserve the first two pages and one byte
/// ```
/// Expect prefix removal: the extent now starts after the reservation.
#[test]
fn reserve_removes_a_prefix() {
    let mut tm = booted(&[(P, 9 * P, 0)]);
    assert_eq!(tm.reserve(P, 2 * P + 1, EXCL), Ok(()));
    assert_eq!(tm.free_map(), vec![r(3 * P + 1, 9 * P)]);
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 1)));
}

/// ```text
///   |......rr|   reserve the last two pages less one byte
/// ```
/// Expect suffix removal: the extent now ends where the reservation starts.
#[test]
fn reserve_removes_a_suffix() {
    let mut tm = booted(&[(P, 9 * P, 0)]);
    assert_eq!(tm.reserve(7 * P + 1, 2 * P - 1, EXCL), Ok(()));
    assert_eq!(tm.free_map(), vec![r(P, 7 * P + 1)]);
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 1)));
}

/// ```text
///   |...r....|   reserve one byte in the middle
/// ```
/// Expect a split: two extents, one more node in use.
#[test]
fn reserve_splits_an_extent_in_the_middle() {
    let mut tm = booted(&[(P, 9 * P, 0)]);
    assert_eq!(tm.reserve(4 * P, 1, EXCL), Ok(()));
    assert_eq!(tm.free_map(), vec![r(P, 4 * P), r(4 * P + 1, 9 * P)]);
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 2)));
}

/// ```text
///   |..r..r..r..|     three reservations, four extents
///     [        ]      default reserve across them
/// ```
/// Expect one range to cut a suffix, remove whole extents and cut a prefix.
#[test]
fn default_reserve_across_several_extents_takes_only_their_free_parts() {
    let mut tm = booted(&[(P, 13 * P, 0)]);
    for page in [3, 6, 9] {
        assert_eq!(tm.reserve(page * P, P, EXCL), Ok(()));
    }
    assert_eq!(tm.reserve(2 * P, 9 * P, EXCL), Err(Error::Busy));
    assert_eq!(tm.reserve(2 * P, 9 * P, DEF), Ok(()));
    assert_eq!(tm.free_map(), vec![r(P, 2 * P), r(11 * P, 13 * P)]);
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 2)));
}

/// ```text
///   |..rrrr..|   then free each piece back
/// ```
/// Expect the four ways a free meets its neighbours: touching neither
/// (a new extent), the left one, the right one, and both (two extents
/// become one and a node goes back to the pool).
#[test]
fn free_merges_with_the_extents_it_touches() {
    let mut tm = booted(&[(P, 9 * P, 0)]);
    assert_eq!(tm.reserve(3 * P, 4 * P, EXCL), Ok(()));
    assert_eq!(tm.free(4 * P + 7, 100), Ok(()), "touches neither");
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 3)));
    assert_eq!(tm.free(3 * P, P), Ok(()), "touches the left extent only");
    assert_eq!(tm.free(6 * P, P), Ok(()), "touches the right extent only");
    assert_eq!(
        tm.free_map(),
        vec![r(P, 4 * P), r(4 * P + 7, 4 * P + 107), r(6 * P, 9 * P)]
    );
    assert_eq!(tm.free(4 * P, 7), Ok(()), "touches both");
    assert_eq!(tm.free(4 * P + 107, 2 * P - 107), Ok(()), "touches both");
    assert_eq!(tm.free_map(), vec![r(P, 9 * P)]);
    assert_eq!(tm.pool_usage(), Some((DEFAULT_NR_SEGMENTS, 1)));
}

/// ```text
///   |x|aaa.|xxxx|....|xxxx|....|   three runs, three extents; alloc 3P
///    0    4P   8P  12P  16P  20P
/// ```
/// Expect the allocation carved out of the lowest extent, so that the next
/// one goes above it and an exclusive reserve of it is Busy. With W2 the
/// walk that lists the extents to carve turns right at the extent of 8P,
/// which lies wholly past the allocation, and misses the lowest extent on
/// its left: pages 1..4 stay free and are handed out again.
#[test]
fn carving_finds_every_extent_and_w2_misses_one_on_the_left() {
    let map = [(0, 4 * P, 0), (8 * P, 12 * P, 0), (16 * P, 20 * P, 0)];
    let mut tm = booted(&map);
    assert_eq!(tm.alloc(&req(3 * P, P)), Ok(P));
    assert_eq!(tm.alloc(&req(3 * P, P)), Ok(8 * P));
    assert_eq!(tm.reserve(P, 3 * P, EXCL), Err(Error::Busy));
    let mut w2 = planted(BugSet::NONE.with(Bug::W2IntersectWrongChild), &map);
    assert_eq!(w2.alloc(&req(3 * P, P)), Ok(P));
    assert_eq!(
        w2.free_map(),
        vec![r(0, 4 * P), r(8 * P, 12 * P), r(16 * P, 20 * P)]
    );
    assert_eq!(w2.alloc(&req(3 * P, P)), Ok(P), "handed out twice");
    assert_eq!(w2.reserve(P, 3 * P, EXCL), Ok(()), "reserved again");
}

// ---- reserve and free ------------------------------------------------------

#[test]
fn reserve_of_size_zero_is_ok_anywhere_and_changes_nothing() {
    let mut tm = booted(&[(0, MIB, 0)]);
    assert_eq!(tm.reserve(u64::MAX, 0, EXCL), Ok(()));
    assert_eq!(tm.reserve_node(99, 5 * MIB, 0, DEF), Ok(()));
    assert_eq!(tm.free(u64::MAX, 0), Ok(()));
    assert_eq!(tm.free_map(), vec![r(0, MIB)]);
}

/// ```text
///   |....[xx   RAM ends at 0x4800, byte granular: 0x4000..0x4800 is RAM
/// ```
/// Expect Invalid for any byte outside RAM or an end past 2^64, and no
/// rounding: the last byte of RAM may be reserved.
#[test]
fn reserve_is_exact_and_refuses_holes_and_overflow() {
    let mut tm = booted(&[(0, 0x4800, 0)]);
    assert_eq!(tm.reserve(0x47ff, 2, DEF), Err(Error::Invalid));
    assert_eq!(tm.reserve(u64::MAX - 10, 20, DEF), Err(Error::Invalid));
    assert_eq!(tm.reserve(P, u64::MAX, DEF), Err(Error::Invalid));
    assert_eq!(tm.reserve(0x47ff, 1, EXCL), Ok(()));
    assert_eq!(tm.reserve(0x1801, 0x7fe, EXCL), Ok(()));
    assert_eq!(tm.free_map(), vec![r(0, 0x1801), r(0x1fff, 0x47ff)]);
}

/// ```text
///   |..r.....|   exclusive reserve of pages 1..4 meets page 2
/// ```
/// Expect Busy and no change; a default reserve of the same range is fine.
#[test]
fn exclusive_reserve_of_partly_taken_memory_is_busy_and_changes_nothing() {
    let mut tm = booted(&[(0, 16 * P, 0)]);
    assert_eq!(tm.reserve(2 * P, P, EXCL), Ok(()));
    let before = snapshot(&tm);
    assert_eq!(tm.reserve(P, 3 * P, EXCL), Err(Error::Busy));
    assert_eq!(tm.reserve_node(0, P, 3 * P, EXCL), Err(Error::Busy));
    assert_eq!(tm.reserve(3 * P - 1, 1, EXCL), Err(Error::Busy));
    assert_eq!(snapshot(&tm), before);
    assert_eq!(tm.reserve(P, 3 * P, DEF), Ok(()));
    assert_eq!(tm.free_map(), vec![r(0, P), r(4 * P, 16 * P)]);
}

/// ```text
///   |.... n0 ....|.. n1 ..|xx|.. n0 ..|
///             [     ]                  across the node seam
/// ```
/// Expect reserve and free to span touching nodes, and their `_node`
/// forms to stay inside one range of the node.
#[test]
fn reserve_and_free_may_span_touching_nodes_but_their_node_forms_may_not() {
    let mut tm = booted(&[(0, 4 * P, 0), (4 * P, 6 * P, 1), (8 * P, 10 * P, 0)]);
    let seam = (3 * P, 2 * P);
    assert_eq!(tm.reserve_node(0, seam.0, seam.1, DEF), Err(Error::Invalid));
    assert_eq!(tm.reserve_node(1, seam.0, seam.1, DEF), Err(Error::Invalid));
    assert_eq!(tm.reserve_node(0, 3 * P, 6 * P, DEF), Err(Error::Invalid));
    assert_eq!(tm.reserve(3 * P, 6 * P, DEF), Err(Error::Invalid), "a hole");
    assert_eq!(tm.reserve(seam.0, seam.1, EXCL), Ok(()));
    assert_eq!(tm.free_node(0, seam.0, seam.1), Err(Error::Invalid));
    assert_eq!(tm.free_node(1, 4 * P, P), Ok(()));
    assert_eq!(tm.free_node(0, 3 * P, P), Ok(()));
    assert_eq!(tm.free_map(), vec![r(0, 6 * P), r(8 * P, 10 * P)]);
    assert_eq!(tm.reserve_node(0, 8 * P, 2 * P, EXCL), Ok(()));
    assert_eq!(tm.reserve_node(9, 0, P, DEF), Err(Error::Invalid));
}

/// ```text
///   |.rrrr...|   free a range that is partly free, partly a hole, ...
/// ```
/// Expect Invalid before DoubleFree, DoubleFree for any free byte, and no
/// change after either.
#[test]
fn free_of_free_bytes_is_a_double_free_and_invalid_comes_first() {
    let mut tm = booted(&[(0, 8 * P, 0)]);
    assert_eq!(tm.reserve(P, 4 * P, EXCL), Ok(()));
    let before = snapshot(&tm);
    assert_eq!(tm.free(P, 4 * P + 1), Err(Error::DoubleFree));
    assert_eq!(tm.free(P - 1, 2), Err(Error::DoubleFree));
    assert_eq!(tm.free(6 * P, 4 * P), Err(Error::Invalid));
    assert_eq!(tm.free(u64::MAX - 1, 2), Err(Error::Invalid));
    assert_eq!(tm.free_node(1, P, P), Err(Error::Invalid));
    assert_eq!(snapshot(&tm), before);
    assert_eq!(tm.free(2 * P + 3, 5), Ok(()));
    assert_eq!(tm.free(2 * P + 3, 5), Err(Error::DoubleFree));
}

// ---- allocation --------------------------------------------------------

/// ```text
///   |x|a.......|   byte allocations pack: the lowest start wins
///     ^ PAGE_SIZE: page 0 is never handed out
/// ```
#[test]
fn alloc_returns_the_lowest_aligned_start_at_or_above_page_size() {
    let mut tm = booted(&[(0, 16 * P, 0)]);
    assert_eq!(tm.alloc(&req(10, 1)), Ok(P));
    assert_eq!(tm.alloc(&req(10, 1)), Ok(P + 10));
    assert_eq!(tm.alloc(&req(1, 64)), Ok(P + 64));
    assert_eq!(tm.alloc(&req(3, 2)), Ok(P + 20));
    assert_eq!(tm.alloc(&req(P, P)), Ok(2 * P));
    assert_eq!(
        tm.free_map(),
        vec![
            r(0, P),
            r(P + 23, P + 64),
            r(P + 65, 2 * P),
            r(3 * P, 16 * P)
        ]
    );
}

#[test]
fn alloc_refuses_size_zero_and_alignments_that_are_not_powers_of_two() {
    let mut tm = booted(&[(0, 16 * P, 0)]);
    assert_eq!(tm.alloc(&req(0, 1)), Err(Error::Invalid));
    assert_eq!(tm.alloc(&req(1, 0)), Err(Error::Invalid));
    assert_eq!(tm.alloc(&req(1, 3)), Err(Error::Invalid));
    let mut panicking = req(32 * P, 1);
    panicking.on_fail = OnFail::Panic;
    assert_eq!(tm.alloc(&panicking), Err(Error::Panic));
    assert_eq!(tm.alloc(&req(32 * P, 1)), Err(Error::NoMem));
    assert_eq!(tm.free_map(), vec![r(0, 16 * P)]);
}

/// ```text
///   |x|.......g.......|     goal g at 8P + 1
/// ```
/// Expect the goal honoured, then the fallback below it when nothing fits
/// above; the limit bounds the end.
#[test]
fn alloc_honours_the_goal_then_falls_back_and_keeps_the_limit() {
    let mut tm = booted(&[(0, 16 * P, 0)]);
    let mut q = req(4 * P, 1);
    q.goal = 8 * P + 1;
    assert_eq!(tm.alloc(&q), Ok(8 * P + 1));
    assert_eq!(tm.alloc(&q), Ok(P), "nothing above the goal: from anywhere");
    let mut limited = req(P, 1);
    limited.limit = 6 * P;
    assert_eq!(tm.alloc(&limited), Ok(5 * P));
    assert_eq!(tm.alloc(&limited), Err(Error::NoMem));
    limited.limit = P - 1;
    assert_eq!(tm.alloc(&limited), Err(Error::NoMem), "limit below size");
    let mut past = req(1, 1);
    past.goal = u64::MAX;
    assert_eq!(tm.alloc(&past), Ok(6 * P), "goal past the end");
}

/// ```text
///   |x|. n0 .|. n1 .|. n0 .|xx|. n1 .|
///    0   P    4P     8P     12P 16P  20P
/// ```
/// Expect the stages: on the node from the goal, any node from the goal,
/// on the node anywhere, anywhere; Exact never leaves the node.
#[test]
fn alloc_walks_the_stages_of_a_node_request() {
    let mut tm = booted(&[
        (0, 4 * P, 0),
        (4 * P, 8 * P, 1),
        (8 * P, 12 * P, 0),
        (16 * P, 20 * P, 1),
    ]);
    let mut q = on(1, NodePolicy::Prefer, req(P, P));
    q.goal = 9 * P;
    assert_eq!(tm.alloc(&q), Ok(16 * P), "stage 1: node 1 from the goal");
    q.goal = 19 * P + 1;
    assert_eq!(tm.alloc(&q), Ok(4 * P), "stage 3: node 1 anywhere");
    let mut exact = on(0, NodePolicy::Exact, req(2 * P, P));
    exact.goal = 11 * P;
    assert_eq!(tm.alloc(&exact), Ok(P), "exact: stage 3, not node 1 above");
    let mut any = on(2, NodePolicy::Prefer, req(P, P));
    any.goal = 9 * P;
    assert_eq!(tm.alloc(&any), Ok(9 * P), "stage 2: any node from the goal");
    let mut nowhere = on(2, NodePolicy::Exact, req(P, P));
    nowhere.on_fail = OnFail::Panic;
    assert_eq!(tm.alloc(&nowhere), Err(Error::Panic));
    let mut exact_no_node = req(P, P);
    exact_no_node.policy = NodePolicy::Exact;
    assert_eq!(tm.alloc(&exact_no_node), Ok(3 * P), "acts as prefer");
}

/// ```text
///   |x|... n0 ...|... n1 ...|xx|.. n2 ..|
///    P          6P         10P 12P      16P
/// ```
/// Expect a request with no node to span the touching ranges of nodes 0
/// and 1 (treemem crosses nodes), a request with a node never to, and no
/// request to span the hole.
#[test]
fn alloc_crosses_touching_nodes_only_without_a_node_and_never_a_hole() {
    let map = [(0, 6 * P, 0), (6 * P, 10 * P, 1), (12 * P, 16 * P, 2)];
    let mut tm = booted(&map);
    let big = req(7 * P, P);
    let mut prefer = on(2, NodePolicy::Prefer, big);
    prefer.on_fail = OnFail::Panic;
    assert_eq!(tm.alloc(&prefer), Err(Error::Panic), "no single range fits");
    assert_eq!(tm.alloc(&req(10 * P, 1)), Err(Error::NoMem), "a hole");
    assert_eq!(tm.alloc(&big), Ok(P), "across nodes 0 and 1");
    let mut tm = booted(&map);
    let node1 = on(1, NodePolicy::Prefer, req(2 * P, 1));
    assert_eq!(tm.reserve(P, 4 * P, EXCL), Ok(()));
    let mut goal = node1;
    goal.goal = 5 * P;
    goal.nid = Some(3);
    assert_eq!(tm.alloc(&goal), Ok(6 * P), "any one range, not 5P across");
    assert_eq!(tm.alloc(&req(2 * P, 1)), Ok(8 * P));
}

/// Expect huge sizes, alignments and goals near 2^64 to fail or fall back
/// cleanly, never to wrap.
#[test]
fn alloc_near_two_to_the_64_never_wraps() {
    let top = u64::MAX - 64 * P;
    let mut tm = booted(&[(top, u64::MAX, 0)]);
    assert_eq!(tm.alloc(&req(u64::MAX, 1)), Err(Error::NoMem));
    assert_eq!(tm.alloc(&req(64 * P + 1, 1)), Err(Error::NoMem));
    assert_eq!(tm.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
    let mut high = req(P, 1);
    high.goal = u64::MAX;
    high.limit = u64::MAX;
    assert_eq!(tm.alloc(&high), Ok(top));
    assert_eq!(tm.alloc(&req(62 * P, 1)), Ok(top + P));
    assert_eq!(tm.free_map(), vec![r(u64::MAX - P, u64::MAX)]);
    assert_eq!(tm.reserve(u64::MAX - 1, 2, DEF), Err(Error::Invalid));
    assert_eq!(tm.reserve(u64::MAX - 1, 1, EXCL), Ok(()));
    assert_eq!(tm.free(u64::MAX - 1, 1), Ok(()));
    assert_eq!(tm.alloc(&req(P, 1)), Ok(u64::MAX - P));
    assert_eq!(tm.free(u64::MAX - 3 * P, 3 * P), Ok(()));
}

/// ```text
///   |x|...............|   RAM [0, 16P); alloc(3P) with its goal 2P below 2^64
/// ```
/// Expect the goal dropped and page 1 handed out: no placement at or above
/// the goal ends below 2^64. With T1 the fit test's `start + size` wraps,
/// 2^64 - 2P + 3P = P, which "ends inside" the extent: 2^64 - 2P is handed
/// out, outside RAM, and nothing is carved.
#[test]
fn a_placement_never_ends_past_two_to_the_64_and_t1_wraps_it() {
    let mut near_top = req(3 * P, P);
    near_top.goal = 0u64.wrapping_sub(2 * P);
    let mut tm = booted(&[(0, 16 * P, 0)]);
    assert_eq!(tm.alloc(&near_top), Ok(P));
    assert_eq!(tm.free_map(), vec![r(0, P), r(4 * P, 16 * P)]);
    let mut t1 = planted(BugSet::NONE.with(Bug::T1WrappingEnd), &[(0, 16 * P, 0)]);
    assert_eq!(t1.alloc(&near_top), Ok(near_top.goal));
    assert_eq!(t1.free_map(), vec![r(0, 16 * P)]);
}

/// Expect the only 2^63-aligned byte of RAM to be found.
#[test]
fn alloc_with_the_largest_alignment() {
    let mut tm = booted(&[((1 << 63) - 8 * P, (1 << 63) + 8 * P, 0)]);
    assert_eq!(tm.alloc(&req(2 * P, 1 << 63)), Ok(1 << 63));
    assert_eq!(tm.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
}

// ---- the pool and page stealing ----------------------------------------

/// ```text
///   |.|S|r.........r......|    pool of 2: the second split steals page 1
/// ```
/// Expect the split that would pass the pool's two nodes to steal the
/// lowest whole free page at or above PAGE_SIZE first, then succeed.
#[test]
fn a_split_past_the_pool_steals_the_lowest_free_page() {
    let mut tm = booted_with(2, &[(0, 32 * P, 0)]);
    assert_eq!(tm.reserve(2 * P + 1, 1, EXCL), Ok(()));
    assert_eq!(tm.pool_usage(), Some((2, 2)));
    assert!(tm.metadata().is_empty());
    assert_eq!(
        tm.metadata_growth(),
        Some(P),
        "a full pool declares a steal"
    );
    assert_eq!(tm.reserve(5 * P, 1, EXCL), Ok(()));
    assert_eq!(tm.metadata(), vec![r(P, 2 * P)]);
    assert_eq!(
        tm.free_map(),
        vec![
            r(0, P),
            r(2 * P, 2 * P + 1),
            r(2 * P + 2, 5 * P),
            r(5 * P + 1, 32 * P)
        ]
    );
    assert_eq!(tm.pool_usage(), Some((2 + NODES_PER_PAGE, 4)));
}

/// ```text
///   |.|rr......|   pool of 1; reserve page 2 of [P, 3P): S must avoid it
/// ```
/// Expect the stolen page to share no byte with the range being reserved,
/// so the exclusive reserve is not made Busy by its own steal.
#[test]
fn the_stolen_page_avoids_the_range_being_reserved() {
    let mut tm = booted_with(1, &[(0, 16 * P, 0)]);
    assert_eq!(tm.reserve(P + 5, P, EXCL), Ok(()));
    assert_eq!(tm.metadata(), vec![r(3 * P, 4 * P)]);
    assert_eq!(
        tm.free_map(),
        vec![r(0, P + 5), r(2 * P + 5, 3 * P), r(4 * P, 16 * P)]
    );
}

/// ```text
///   |x|a|S|    pool of 1: allocating page 1 splits [0, 3P)
/// ```
/// Expect the allocation at the lowest start and the stolen page beside
/// it, not on it.
#[test]
fn an_allocation_that_splits_steals_a_page_other_than_its_own() {
    let mut tm = booted_with(1, &[(0, 3 * P, 0)]);
    assert_eq!(tm.alloc(&req(P, P)), Ok(P));
    assert_eq!(tm.metadata(), vec![r(2 * P, 3 * P)]);
    assert_eq!(tm.free_map(), vec![r(0, P)]);
}

/// ```text
///   |.|rrrr|.|...    pool of 2, free [2P, 3P) touches no extent
/// ```
/// Expect a free that needs a node to steal one too.
#[test]
fn a_free_that_needs_a_node_steals_a_page() {
    let mut tm = booted_with(2, &[(0, 8 * P, 0)]);
    assert_eq!(tm.reserve(P, 4 * P, EXCL), Ok(()));
    assert_eq!(tm.pool_usage(), Some((2, 2)));
    assert_eq!(tm.free(2 * P, P), Ok(()));
    assert_eq!(tm.metadata(), vec![r(5 * P, 6 * P)]);
    assert_eq!(
        tm.free_map(),
        vec![r(0, P), r(2 * P, 3 * P), r(6 * P, 8 * P)]
    );
}

/// ```text
///   |.|.r.|      RAM [0, 2P), pool of 2, page 1 holds a reserved byte
/// ```
/// Expect every call that needs a third node to fail with NoMem and change
/// nothing: page 0 may not be stolen and page 1 is not wholly free.
#[test]
fn when_no_page_can_be_stolen_the_call_fails_and_changes_nothing() {
    let mut tm = booted_with(2, &[(0, 2 * P, 0)]);
    assert_eq!(tm.reserve(P + 10, 10, EXCL), Ok(()));
    let before = snapshot(&tm);
    assert_eq!(tm.reserve(100, 1, EXCL), Err(Error::NoMem));
    assert_eq!(tm.reserve(100, 1, DEF), Err(Error::NoMem));
    assert_eq!(tm.alloc(&req(1, 1)), Err(Error::NoMem), "P + 1 splits");
    assert_eq!(snapshot(&tm), before);
    assert_eq!(tm.alloc(&req(10, 1)), Ok(P), "a prefix needs no node");
    let before = snapshot(&tm);
    assert_eq!(tm.free(P + 15, 1), Err(Error::NoMem), "touches nothing");
    assert_eq!(
        tm.free(P + 5, 1),
        Err(Error::NoMem),
        "inside the allocation"
    );
    assert_eq!(snapshot(&tm), before);
    assert_eq!(tm.free(P + 19, 1), Ok(()), "merges: no node needed");
    assert_eq!(tm.free_map(), vec![r(0, P), r(P + 19, 2 * P)]);
    assert_eq!(tm.pool_usage(), Some((2, 2)));
}

/// ```text
///   |x|a a|    RAM [0, 2P + 100), pool of 1
/// ```
/// Expect an allocation whose only stealable page is its own to fail with
/// NoMem and change nothing.
#[test]
fn an_allocation_never_steals_its_own_page() {
    let mut tm = booted_with(1, &[(0, 2 * P + 100, 0)]);
    let before = snapshot(&tm);
    assert_eq!(tm.alloc(&req(P, P)), Err(Error::NoMem));
    assert_eq!(snapshot(&tm), before);
}

/// ```text
///   |.|S|...|   the stolen page is metadata
/// ```
/// Expect a free touching it to be Invalid, an exclusive reserve over it
/// Busy, a default one to leave it metadata, and release_all to hand it
/// over after the free pages.
#[test]
fn stolen_pages_are_metadata_until_the_hand_off() {
    let mut tm = booted_with(1, &[(0, 8 * P, 0)]);
    assert_eq!(tm.reserve(4 * P, 1, EXCL), Ok(()));
    assert_eq!(tm.metadata(), vec![r(P, 2 * P)]);
    assert_eq!(tm.free(2 * P - 1, 2), Err(Error::Invalid));
    assert_eq!(tm.reserve(P, 1, EXCL), Err(Error::Busy));
    assert_eq!(tm.reserve(0, 3 * P, DEF), Ok(()));
    assert_eq!(tm.metadata(), vec![r(P, 2 * P)]);
    assert_eq!(tm.free(0, P), Ok(()));
    let (count, got) = release(&mut tm);
    assert_eq!(
        got,
        vec![r(0, P), r(3 * P, 4 * P), r(5 * P, 8 * P), r(P, 2 * P)]
    );
    assert_eq!(count, Ok(6));
}

/// Expect heavy fragmentation to steal page after page, lowest first,
/// with the invariants holding after every call, and every fragment to
/// merge back when freed.
#[test]
fn fragmentation_steals_page_after_page() {
    let mut tm = booted_with(4, &[(0, 8 * MIB, 0)]);
    for k in 0..300 {
        assert_eq!(tm.reserve(MIB + k * 3 * P, 1, EXCL), Ok(()), "{k}");
    }
    let stolen = tm.metadata();
    assert_eq!(stolen.len(), 5, "301 extents: 4 + 5 * 64 nodes");
    assert_eq!(stolen[0], r(P, 2 * P));
    assert_eq!(stolen[4], r(5 * P, 6 * P));
    for k in 0..300 {
        assert_eq!(tm.free(MIB + k * 3 * P, 1), Ok(()), "{k}");
    }
    assert_eq!(tm.free_map(), vec![r(0, P), r(6 * P, 8 * MIB)]);
    assert_eq!(tm.check_invariants(), Ok(()));
}

// ---- hand-off ----------------------------------------------------------

/// ```text
///   |[..|.|..]r|......[...]|   extents with partial pages at their edges
/// ```
/// Expect release_all to hand over the whole pages of each extent only
/// (PFN_UP(start)..PFN_DOWN(end)) and count them.
#[test]
fn release_all_hands_over_the_whole_pages_of_each_extent() {
    let mut tm = booted(&[(0x800, 16 * P + 0x800, 0)]);
    assert_eq!(tm.reserve(4 * P - 1, 2, EXCL), Ok(()));
    let (count, got) = release(&mut tm);
    assert_eq!(got, vec![r(P, 3 * P), r(5 * P, 16 * P)]);
    assert_eq!(count, Ok(13));
}
