//! nobootmem at the boundary and natively.
//!
//! In the pictures one character is one page unless labelled: `.` free
//! memory, `r` a plain reservation (`reserve` or a nobootmem allocation),
//! `k` a memblock allocation (`RSRV_KERN`), `A` a doubled region array, `x`
//! not memory (or page 0, which no search returns), `0`/`1` memory of that
//! node.

use super::*;
use crate::memblock::testkit::{self, DEF, EXCL};
use crate::memblock::{Direction, MemblockBootMem, Region};
use crate::testing::{above as from, boot, on, r, release, req, MIB, P};
use crate::{Error, Granularity, MetadataHandoff, OnFail, Outcome, Registration};

const NONE: Flags = Flags::NONE;
const KERN: Flags = Flags::RSRV_KERN;

/// One expected region: base, size, nid, flags.
type Rgn = (PhysAddr, u64, Option<Nid>, Flags);

/// The regions as tuples.
fn layout(regions: &[Region]) -> Vec<Rgn> {
    regions
        .iter()
        .map(|g| (g.base(), g.size(), g.nid(), g.flags()))
        .collect()
}

/// nobootmem with room for `memory` and `reserved` regions, `map`
/// registered (start, end, nid) and set up.
fn booted_with(memory: usize, reserved: usize, map: &[(u64, u64, Nid)]) -> NoBootmem {
    boot(
        NoBootmem::with_capacities(BugSet::NONE, memory, reserved),
        map,
    )
}

fn booted(map: &[(u64, u64, Nid)]) -> NoBootmem {
    booted_with(INIT_MEMBLOCK_REGIONS, INIT_MEMBLOCK_REGIONS, map)
}

/// The memblock backend (top-down) on the same map.
fn memblock_booted(reserved: usize, map: &[(u64, u64, Nid)]) -> MemblockBootMem {
    let mb = MemblockBootMem::with_capacities(
        BugSet::NONE,
        Direction::TopDown,
        INIT_MEMBLOCK_REGIONS,
        reserved,
    );
    boot(mb, map)
}

// ---- identity and life ---------------------------------------------------

/// Expect the name `nobootmem` and memblock's top-down profile, field for
/// field, and the registry's capacities to reach the arrays.
#[test]
fn name_and_profile_are_memblocks_top_down_ones() {
    let nb = NoBootmem::new(BugSet::NONE);
    assert_eq!(nb.name(), "nobootmem");
    assert_eq!(
        nb.profile(),
        MemblockBootMem::top_down(BugSet::NONE).profile()
    );
    let p = nb.profile();
    assert_eq!(
        (p.granularity, p.placement, p.packing, p.crosses_nodes),
        (Granularity::Byte, Placement::Highest, false, false)
    );
    assert_eq!(
        (p.metadata, p.registration),
        (MetadataHandoff::Kept, Registration::AnyTime)
    );
    assert_eq!(nb.memblock().memory().max(), INIT_MEMBLOCK_REGIONS);
    let small = NoBootmem::with_capacities(BugSet::NONE, 128, 8);
    assert_eq!(
        (
            small.memblock().memory().max(),
            small.memblock().reserved().max()
        ),
        (128, 8)
    );
    // PAGE_ALIGN(2 * 8 * 24) for the next array plus PAGE_ALIGN(4 * 8 * 24)
    // for the one after it: one call may double twice.
    assert_eq!(small.metadata_growth(), Some(2 * P));
    assert_eq!(
        NoBootmem::with_capacity(BugSet::NONE, 86).metadata_growth(),
        Some(5 * P),
        "PAGE_ALIGN(2 * 86 * 24) = 2 pages, plus PAGE_ALIGN(4 * 86 * 24) = 3 pages"
    );
}

/// Expect every call but add_memory to be Unsupported before setup.
#[test]
fn before_setup_only_add_memory_works() {
    let mut nb = NoBootmem::new(BugSet::NONE);
    assert_eq!(nb.add_memory(r(0, MIB), 0), Ok(()));
    testkit::expect_unsupported_before_setup(&mut nb, EXCL);
    assert!(nb.free_map().is_empty() && nb.metadata().is_empty());
    assert_eq!(nb.setup(), Ok(()));
    assert_eq!(nb.free_map(), vec![r(0, MIB)]);
}

#[test]
fn every_call_after_release_all_is_retired() {
    testkit::expect_retired_after_release_all(&mut booted(&[(0, MIB, 0)]));
}

// ---- the mapping table, row by row ---------------------------------------

/// Row `add_memory` -> `memblock_add_node`. Expect Invalid for an empty
/// range, a node past MAX_NODES and any byte already RAM, before and after
/// setup; touching ranges of one node merge.
#[test]
fn row_add_memory_is_memblock_add_node_with_the_contracts_refusals() {
    let mut nb = NoBootmem::new(BugSet::NONE);
    testkit::expect_add_memory_refusals(&mut nb);
    assert_eq!(
        layout(nb.memblock().memory().regions()),
        vec![
            (0, 4 * P, Some(MAX_NODES - 1), NONE),
            (4 * P, 5 * P, Some(1), NONE)
        ]
    );
}

/// Expect a third memory region past a capacity of 2 to be NoMem before
/// setup (memblock cannot resize yet) and to change nothing; after setup
/// the memory array doubles onto the highest free page.
#[test]
fn row_add_memory_past_the_capacity_needs_setup() {
    let mut nb = NoBootmem::with_capacity(BugSet::NONE, 2);
    testkit::expect_add_memory_past_the_capacity_to_need_setup(&mut nb);
}

/// Row `setup` -> `memblock_allow_resize`. Expect Ok, resizing allowed,
/// top-down kept, nothing placed, and a second setup Unsupported.
#[test]
fn row_setup_allows_resizing_and_places_nothing() {
    let mut nb = NoBootmem::new(BugSet::NONE);
    assert_eq!(nb.add_memory(r(0, MIB), 0), Ok(()));
    assert!(!nb.memblock().can_resize());
    assert_eq!(nb.setup(), Ok(()));
    assert!(nb.memblock().can_resize() && !nb.memblock().bottom_up());
    assert!(nb.metadata().is_empty(), "the initial arrays are static");
    assert_eq!(nb.setup(), Err(Error::Unsupported));
}

/// ```text
///   |....0....|xx|....1....|     RAM [0, 0x4800) and [0x5000, 0x8000)
///          [      ]              touches the hole
/// ```
/// Row `reserve` -> `memblock_reserve`. Expect size 0 Ok anywhere,
/// overflow Invalid, any byte outside RAM Invalid (memblock_reserve itself
/// would take it), byte exact.
#[test]
fn row_reserve_is_memblock_reserve_inside_ram_only() {
    let mut nb = booted(&[(0, 0x4800, 0), (0x5000, 0x8000, 1)]);
    testkit::expect_reserve_size_zero_ok_and_overflow_invalid(&mut nb);
    assert_eq!(nb.reserve(0x3800, 0x1001, DEF), Err(Error::Invalid));
    assert_eq!(nb.reserve(0x4fff, 2, DEF), Err(Error::Invalid));
    assert_eq!(nb.reserve(MIB, P, DEF), Err(Error::Invalid));
    let mut native = nb.clone();
    assert_eq!(native.reserve_bootmem(MIB, P), Ok(()), "natively fine");
    assert_eq!(nb.reserve(0x47ff, 1, DEF), Ok(()));
    assert_eq!(nb.reserve(0x5000, 1, DEF), Ok(()));
    assert_eq!(nb.free_map(), vec![r(0, 0x47ff), r(0x5001, 0x8000)]);
    assert_eq!(
        layout(nb.memblock().reserved().regions()),
        vec![(0x47ff, 1, None, NONE), (0x5000, 1, None, NONE)]
    );
}

/// ```text
///   |....|r|....|
///      [      ]     exclusive reserve over the reserved byte
/// ```
/// Row `reserve(Exclusive)`. Expect Busy and no change; a default reserve
/// of the same range is fine and merges into one plain region; Invalid
/// comes before Busy.
#[test]
fn row_exclusive_reserve_of_taken_memory_is_busy_and_changes_nothing() {
    let mut nb = booted(&[(0, 16 * P, 0)]);
    assert_eq!(nb.reserve(3 * P, 1, EXCL), Ok(()));
    let before = nb.memblock().clone();
    assert_eq!(nb.reserve(2 * P, 2 * P, EXCL), Err(Error::Busy));
    assert_eq!(nb.reserve_node(0, 3 * P, 1, EXCL), Err(Error::Busy));
    assert_eq!(nb.memblock(), &before);
    assert_eq!(nb.reserve(3 * P, 14 * P, EXCL), Err(Error::Invalid));
    assert_eq!(nb.reserve(2 * P, 2 * P, DEF), Ok(()));
    assert_eq!(nb.reserve(4 * P, P, EXCL), Ok(()), "touching is not taken");
    assert_eq!(
        layout(nb.memblock().reserved().regions()),
        vec![(2 * P, 3 * P, None, NONE)]
    );
}

/// ```text
///   |..0..|..1..|     node 0 = [0, 4P), node 1 = [4P, 8P)
///       [     ]       [3P, 5P)
/// ```
/// Rows `reserve_node` and `free_node`. Expect reserve and free to span
/// touching nodes, and the node forms to refuse it.
#[test]
fn row_node_forms_need_one_region_of_the_node() {
    let mut nb = booted(&[(0, 4 * P, 0), (4 * P, 8 * P, 1)]);
    assert_eq!(nb.reserve_node(0, 3 * P, 2 * P, DEF), Err(Error::Invalid));
    assert_eq!(nb.reserve_node(1, 3 * P, P, DEF), Err(Error::Invalid));
    assert_eq!(nb.reserve_node(1, 4 * P, P, DEF), Ok(()));
    assert_eq!(nb.reserve(3 * P, 2 * P, DEF), Ok(()));
    assert_eq!(nb.free_map(), vec![r(0, 3 * P), r(5 * P, 8 * P)]);
    assert_eq!(nb.free_node(0, 3 * P, 2 * P), Err(Error::Invalid));
    assert_eq!(nb.free_node(1, 3 * P, 2 * P), Err(Error::Invalid));
    assert_eq!(nb.free_node(0, 4 * P, P), Err(Error::Invalid));
    assert_eq!(nb.free_node(1, 4 * P, P), Ok(()));
    assert_eq!(nb.free(3 * P, P), Ok(()));
    assert_eq!(nb.free_map(), vec![r(0, 8 * P)]);
}

#[test]
fn row_free_of_size_zero_is_ok_and_overflow_is_invalid() {
    testkit::expect_free_size_zero_ok_and_overflow_invalid(&mut booted(&[(0, MIB, 0)]));
}

/// ```text
///   |..rrrr..........|    [2P, 6P) reserved
///         []              free [5P, 7P): page 6 is free
/// ```
/// Row `free` -> `memblock_free`. Expect DoubleFree and no change where
/// free_bootmem is silent (natively it frees page 5 and ignores page 6);
/// then a byte-exact partial free splits the reservation.
#[test]
fn row_free_maps_the_silent_native_free_onto_double_free() {
    let mut nb = booted(&[(0, 16 * P, 0)]);
    assert_eq!(nb.reserve(2 * P, 4 * P, DEF), Ok(()));
    let before = nb.memblock().clone();
    assert_eq!(nb.free(5 * P, 2 * P), Err(Error::DoubleFree));
    assert_eq!(nb.free(9 * P, 1), Err(Error::DoubleFree));
    assert_eq!(nb.memblock(), &before);

    let mut native = nb.clone();
    assert_eq!(native.free_bootmem(5 * P, 2 * P), Ok(()));
    assert_eq!(native.free_bootmem_node(3, 9 * P, 1), Ok(()));
    assert_eq!(
        layout(native.memblock().reserved().regions()),
        vec![(2 * P, 3 * P, None, NONE)]
    );

    assert_eq!(nb.free(3 * P + 5, 7), Ok(()));
    assert_eq!(
        layout(nb.memblock().reserved().regions()),
        vec![
            (2 * P, P + 5, None, NONE),
            (3 * P + 12, 3 * P - 12, None, NONE)
        ]
    );
}

/// Expect Invalid (not DoubleFree) for a free touching non-RAM.
#[test]
fn row_free_checks_ram_before_double_free() {
    let mut nb = booted(&[(0, 4 * P, 0), (4 * P, 6 * P, 1)]);
    assert_eq!(nb.free(5 * P, 2 * P), Err(Error::Invalid));
    assert_eq!(nb.free(3 * P, P), Err(Error::DoubleFree));
    assert_eq!(nb.free(3 * P, 2 * P), Err(Error::DoubleFree), "spans nodes");
}

/// ```text
///   |x.r.r.r.r.r ... A|    reserved capacity 4: a byte at each of 2P,
///                            4P, .. 10P; the fifth doubles the array onto
///                            the last page
/// ```
/// Row `free`, metadata. Expect the doubled array reported as metadata,
/// Invalid to free (even with free bytes beside it: Invalid before
/// DoubleFree), and Busy to an exclusive reserve.
#[test]
fn row_free_of_a_doubled_array_is_invalid() {
    let mut nb = booted_with(128, 4, &[(0, MIB, 0)]);
    let array = testkit::double_the_reserved_array(&mut nb);
    assert_eq!(nb.memblock().reserved().max(), 8);
    assert_eq!(
        nb.metadata_growth(),
        Some(2 * P),
        "two doublings of 8 regions"
    );
    testkit::expect_the_doubled_array_kept(&mut nb);
    assert_eq!(nb.metadata(), vec![array]);
}

/// Row `alloc`, refusals. Expect Invalid for size 0 and an alignment that
/// is not a power of two, 0 included (the native search finds nothing with
/// align 0, as v4.19's `round_down(x, 0)` does); a non-zero non-power is
/// BadAlign natively.
#[test]
fn row_alloc_refuses_size_zero_and_bad_alignments() {
    let mut nb = booted(&[(0, MIB, 0)]);
    assert_eq!(nb.alloc(&req(0, P)), Err(Error::Invalid));
    assert_eq!(nb.alloc(&req(P, 0)), Err(Error::Invalid));
    assert_eq!(nb.alloc(&req(P, 3 * P)), Err(Error::Invalid));
    assert_eq!(
        nb.alloc_bootmem_nopanic(P, 0, 0, NO_LIMIT),
        Err(MemblockError::NoMemory)
    );
    assert_eq!(
        nb.alloc_memory_core_early(None, P, 3 * P, 0, 0),
        Err(MemblockError::BadAlign)
    );
    assert_eq!(nb.memblock().reserved().cnt(), 0);
    assert_eq!(nb.alloc(&req(P, 1)), Ok(MIB - P));
    assert_eq!(nb.alloc(&req(1, 1)), Ok(MIB - P - 1), "byte exact");
}

/// ```text
///   |x.......|rrrrrrrr|      RAM [0, 16P): 15P allocated with a goal past
///            ^ goal 8P        the end, then [8P, 15P) reserved
/// ```
/// Row `alloc`, no node: `___alloc_bootmem_nopanic`, SPEC stages 2 and 4.
/// Expect the goal to be a minimum, dropped when nothing fits above it,
/// including a goal past the end of memory and a limit below the goal.
#[test]
fn row_alloc_without_a_node_drops_the_goal_on_failure() {
    let mut nb = booted(&[(0, 16 * P, 0)]);
    assert_eq!(nb.alloc(&from(u64::MAX, req(P, P))), Ok(15 * P));
    assert_eq!(nb.reserve(8 * P, 7 * P, DEF), Ok(()));
    assert_eq!(nb.alloc(&from(2 * P, req(P, P))), Ok(7 * P), "stage 2");
    assert_eq!(nb.alloc(&from(8 * P, req(P, P))), Ok(6 * P), "stage 4");
    let mut limited = from(5 * P, req(P, P));
    limited.limit = 5 * P;
    assert_eq!(
        nb.alloc(&limited),
        Ok(4 * P),
        "no room between goal and limit"
    );
    assert_eq!(
        nb.alloc_bootmem_nopanic(P, P, 9 * P, NO_LIMIT),
        Ok(5 * P),
        "natively the same"
    );
}

/// ```text
///   node 0 = [0, 8P), node 1 = [8P, 16P); every request is on node 0
///
///                 node 0   node 1
///   a: goal 2P  |x......r|........|   attempt 1: node 0 from 2P -> 7P
///   b: goal 9P  |x......r|.......r|   attempt 2: any node from 9P -> 15P
///   c: goal 9P  |x.....rr|.rrrrrrr|   ([9P, 15P) reserved first)
///                                     attempt 3: node 0 from 0 -> 6P
///   d: goal 9P  |xrrrrrrr|rrrrrrrr|   ([P, 6P) reserved first)
///                                     attempt 4: any node from 0 -> 8P
/// ```
/// Row `alloc`, node and Prefer: `___alloc_bootmem_node_nopanic`, whose
/// order node/goal, any/goal, node/0, any/0 is exactly SPEC stages 1 to 4.
/// Expect each attempt in turn to be the first that fits, then NoMem or
/// Panic with nothing changed.
#[test]
fn row_alloc_on_a_node_makes_the_four_attempts_in_order() {
    let mut nb = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
    let prefer = |goal| from(goal, on(0, NodePolicy::Prefer, req(P, P)));
    assert_eq!(nb.alloc(&prefer(2 * P)), Ok(7 * P), "attempt 1");
    assert_eq!(nb.alloc(&prefer(9 * P)), Ok(15 * P), "attempt 2");
    assert_eq!(nb.reserve(9 * P, 6 * P, DEF), Ok(()));
    let mut native = nb.clone();
    assert_eq!(nb.alloc(&prefer(9 * P)), Ok(6 * P), "attempt 3");
    assert_eq!(
        native.alloc_bootmem_node_nopanic(0, P, P, 9 * P, 0),
        Ok(6 * P),
        "natively the same"
    );
    assert_eq!(nb.reserve(P, 5 * P, DEF), Ok(()));
    assert_eq!(nb.alloc(&prefer(9 * P)), Ok(8 * P), "attempt 4");
    let before = nb.memblock().clone();
    assert_eq!(nb.alloc(&prefer(9 * P)), Err(Error::NoMem));
    let mut panicking = prefer(0);
    panicking.on_fail = OnFail::Panic;
    assert_eq!(nb.alloc(&panicking), Err(Error::Panic));
    assert_eq!(nb.memblock(), &before);
    assert_eq!(
        layout(nb.memblock().reserved().regions()),
        vec![(P, 15 * P, None, NONE)],
        "plain reservations and allocations merge into one region"
    );
}

/// ```text
///   |x|.. node 0 ..|.. node 1 ..|     goal 9P, in node 1
/// ```
/// Row `alloc`, node and Exact (not a bootmem notion): stages 1 and 3.
/// Expect the request on node 0 to stay on node 0 where Prefer goes to the
/// goal's side; a full node to fail with Exact; a node past MAX_NODES to
/// act as no node with Prefer and to fail with Exact; Exact without a node
/// to act as Prefer.
#[test]
fn row_alloc_exact_makes_attempts_one_and_three() {
    let mut nb = booted(&[(0, 8 * P, 0), (8 * P, 16 * P, 1)]);
    let exact = from(9 * P, on(0, NodePolicy::Exact, req(P, P)));
    assert_eq!(nb.alloc(&exact), Ok(7 * P), "stage 3, not stage 2");
    let prefer = AllocRequest {
        policy: NodePolicy::Prefer,
        ..exact
    };
    assert_eq!(nb.alloc(&prefer), Ok(15 * P), "stage 2");
    assert_eq!(nb.reserve_node(1, 8 * P, 7 * P, DEF), Ok(()));
    let before = nb.memblock().clone();
    assert_eq!(
        nb.alloc(&on(1, NodePolicy::Exact, req(P, P))),
        Err(Error::NoMem)
    );
    assert_eq!(
        nb.alloc(&on(MAX_NODES, NodePolicy::Exact, req(P, P))),
        Err(Error::NoMem)
    );
    assert_eq!(nb.memblock(), &before);
    assert_eq!(nb.alloc(&on(1, NodePolicy::Prefer, req(P, P))), Ok(6 * P));
    assert_eq!(nb.alloc(&on(70, NodePolicy::Prefer, req(P, P))), Ok(5 * P));
    let mut no_node_exact = req(P, P);
    no_node_exact.policy = NodePolicy::Exact;
    assert_eq!(nb.alloc(&no_node_exact), Ok(4 * P), "acts as prefer");
}

/// ```text
///   |x......r|........|    node 0 = [0, 16P); limit 8P (the bar), goal
///                          10P: goal + size > limit
/// ```
/// Expect the limit kept: mm/bootmem.c's `___alloc_bootmem_node_nopanic`
/// sets `limit = 0` when `goal + size > limit` and would return 15P;
/// mm/nobootmem.c never had that line, and the contract bounds the end
/// always, so the block ends at or below 8P (stage 3). A limit below
/// `PAGE_SIZE + size`, including memblock's NOLEAKTRACE value 1, cannot be
/// met.
#[test]
fn limit_is_kept_where_mm_bootmem_drops_it() {
    let mut nb = booted(&[(0, 16 * P, 0)]);
    let mut q = from(10 * P, on(0, NodePolicy::Prefer, req(P, P)));
    q.limit = 8 * P;
    assert_eq!(nb.alloc(&q), Ok(7 * P));
    assert_eq!(
        nb.alloc_bootmem_node_nopanic(0, P, P, 10 * P, 8 * P),
        Ok(6 * P),
        "natively the same"
    );
    q.limit = 1;
    assert_eq!(nb.alloc(&q), Err(Error::NoMem));
    q.limit = 2 * P - 1;
    assert_eq!(nb.alloc(&q), Err(Error::NoMem));
    q.limit = 2 * P;
    assert_eq!(nb.alloc(&q), Ok(P));
    let mut huge = req(u64::MAX, 1);
    huge.limit = u64::MAX;
    assert_eq!(nb.alloc(&huge), Err(Error::NoMem));
}

/// ```text
///   nobootmem: |x............rrr|     one plain region [13P, 16P)
///   memblock:  |x............kkr|     three regions: the allocations are
///                                     RSRV_KERN, with their node or none
/// ```
/// Expect the same addresses and free maps from both backends, and
/// different reserved arrays: nobootmem's allocation is a plain
/// memblock_reserve that merges with the touching reservation.
#[test]
fn a_plain_allocation_merges_with_a_touching_reservation_unlike_memblock() {
    let map = [(0, 16 * P, 0)];
    let mut nb = booted(&map);
    let mut mb = memblock_booted(INIT_MEMBLOCK_REGIONS, &map);
    let backends: [&mut dyn BootMem; 2] = [&mut nb, &mut mb];
    for b in backends {
        assert_eq!(b.reserve(15 * P, P, DEF), Ok(()));
        assert_eq!(b.alloc(&req(P, P)), Ok(14 * P));
        assert_eq!(b.alloc(&on(0, NodePolicy::Prefer, req(P, P))), Ok(13 * P));
        assert_eq!(b.free_map(), vec![r(0, 13 * P)]);
    }
    assert_eq!(
        layout(nb.memblock().reserved().regions()),
        vec![(13 * P, 3 * P, None, NONE)]
    );
    assert_eq!(
        layout(mb.native().reserved().regions()),
        vec![
            (13 * P, P, Some(0), KERN),
            (14 * P, P, None, KERN),
            (15 * P, P, None, NONE)
        ]
    );
}

/// ```text
///   reserved capacity 2, RAM [0, 1M):
///   nobootmem: |x ... ..rrr|        one region, no doubling
///   memblock:  |x ... .Akkr|        the second allocation doubles
/// ```
/// Expect merging to postpone doubling: after two allocations beside a
/// reservation nobootmem still has one region in its static array, while
/// memblock has doubled its reserved array onto the page below (its
/// RSRV_KERN array region then merges with the allocations). The free maps
/// now differ, which is where the harness stops comparing the two.
#[test]
fn merging_postpones_the_doubling_that_memblock_does() {
    let map = [(0, MIB, 0)];
    let mut nb = booted_with(INIT_MEMBLOCK_REGIONS, 2, &map);
    let mut mb = memblock_booted(2, &map);
    let backends: [&mut dyn BootMem; 2] = [&mut nb, &mut mb];
    for b in backends {
        assert_eq!(b.reserve(MIB - P, P, DEF), Ok(()));
        assert_eq!(b.alloc(&req(P, P)), Ok(MIB - 2 * P));
        assert_eq!(b.alloc(&req(P, P)), Ok(MIB - 3 * P));
    }
    assert!(nb.metadata().is_empty());
    assert_eq!(
        (
            nb.memblock().reserved().max(),
            layout(nb.memblock().reserved().regions())
        ),
        (2, vec![(MIB - 3 * P, 3 * P, None, NONE)])
    );
    assert_eq!(mb.metadata(), vec![r(MIB - 4 * P, MIB - 3 * P)]);
    assert_eq!(
        (
            mb.native().reserved().max(),
            layout(mb.native().reserved().regions())
        ),
        (
            4,
            vec![(MIB - 4 * P, 3 * P, None, KERN), (MIB - P, P, None, NONE)]
        )
    );
    assert_ne!(nb.free_map(), mb.free_map());
}

/// ```text
///   |xA.r|    RAM [0, 4P), reserved capacity 1, [2P + 64, 4P) reserved;
///     ^       64 bytes at 2P double the array onto page 1, then need a
///             second doubling, and no page is left
/// ```
/// Expect NoMem (or Panic) and no trace of the first doubling: the kernel
/// would keep the array it moved to [P, 2P) (memblock's stale count of new
/// regions needs two doublings here), the boundary rolls back.
#[test]
fn an_alloc_that_doubles_and_then_fails_leaves_nothing_behind() {
    let mut nb = booted_with(INIT_MEMBLOCK_REGIONS, 1, &[(0, 4 * P, 0)]);
    assert_eq!(nb.reserve(2 * P + 64, 2 * P - 64, DEF), Ok(()));
    let (free, before) = (nb.free_map(), nb.memblock().clone());

    let mut native = nb.clone();
    assert_eq!(
        native.alloc_bootmem_nopanic(64, 64, 0, NO_LIMIT),
        Err(MemblockError::NoMemory)
    );
    assert_eq!(
        native.metadata(),
        vec![r(P, 2 * P)],
        "natively the first doubling stays"
    );

    assert_eq!(nb.alloc(&req(64, 64)), Err(Error::NoMem));
    let mut panicking = on(0, NodePolicy::Prefer, req(64, 64));
    panicking.on_fail = OnFail::Panic;
    assert_eq!(nb.alloc(&panicking), Err(Error::Panic));
    assert!(nb.metadata().is_empty());
    assert_eq!(nb.free_map(), free);
    assert_eq!(nb.memblock(), &before);
}

// ---- release_all ---------------------------------------------------------

/// ```text
///   |.|[r]..|....|   RAM [0, 0x2800) node 0, [0x2800, 0x6000) node 1
///      ^ reserved [0x1800, 0x1900)
/// ```
/// Row `release_all` -> `free_all_bootmem`. Expect the whole pages of each
/// free range: [0, P); nothing from [0x1900, 0x2800) (page 2 straddles the
/// node boundary, whole in neither free range); [3P, 6P): 4 pages.
#[test]
fn row_release_all_hands_over_whole_pages_of_each_free_range() {
    let mut nb = booted(&[(0, 0x2800, 0), (0x2800, 0x6000, 1)]);
    assert_eq!(nb.reserve(0x1800, 0x100, DEF), Ok(()));
    let mut seen = Vec::new();
    assert_eq!(nb.free_all_bootmem(&mut |pages| seen.push(pages)), 4);
    let (count, got) = release(&mut nb);
    assert_eq!(count, Ok(4));
    assert_eq!(got, vec![r(0, P), r(3 * P, 6 * P)]);
    assert_eq!(got, seen, "the native call, which does not retire");
}

/// ```text
///   |....Ar.r|    reserved capacity 1: reserving page 5 doubles the
///                 array twice (the stale count of new regions): onto
///                 page 6, then onto page 4, freeing page 6
/// ```
/// Expect the doubled array to stay reserved at hand-off (Kept): 5 pages.
#[test]
fn release_all_keeps_the_doubled_array() {
    let mut nb = booted_with(INIT_MEMBLOCK_REGIONS, 1, &[(0, 8 * P, 0)]);
    assert_eq!(nb.reserve(7 * P, P, DEF), Ok(()));
    assert_eq!(nb.reserve(5 * P, P, DEF), Ok(()));
    assert_eq!(nb.metadata(), vec![r(4 * P, 5 * P)]);
    assert_eq!(
        layout(nb.memblock().reserved().regions()),
        vec![
            (4 * P, P, None, KERN),
            (5 * P, P, None, NONE),
            (7 * P, P, None, NONE)
        ]
    );
    let (count, got) = release(&mut nb);
    assert_eq!(got, vec![r(0, 4 * P), r(6 * P, 7 * P)]);
    assert_eq!(count, Ok(5));
}

/// ```text
///   |0000|1111|   RAM [0, 4P) node 0, [4P, 8P) node 1
///   |1111|        RAM [0, 4P) node 1 only: no RAM on node 0
/// ```
/// Expect every node's free pages handed over; with
/// `Bug::E10FreeAllNodeZero` only node 0's, so node 1's pages are lost, and
/// a machine without RAM on node 0 hands over nothing.
#[test]
fn release_all_hands_over_node_zero_only_with_e10_planted() {
    let e10 = BugSet::NONE.with(Bug::E10FreeAllNodeZero);
    let two_nodes: &[(u64, u64, Nid)] = &[(0, 4 * P, 0), (4 * P, 8 * P, 1)];
    let no_node_zero: &[(u64, u64, Nid)] = &[(0, 4 * P, 1)];
    for (bugs, map, want) in [
        (BugSet::NONE, two_nodes, vec![r(0, 4 * P), r(4 * P, 8 * P)]),
        (e10, two_nodes, vec![r(0, 4 * P)]),
        (BugSet::NONE, no_node_zero, vec![r(0, 4 * P)]),
        (e10, no_node_zero, vec![]),
    ] {
        let mut nb = boot(NoBootmem::new(bugs), map);
        let count = want.iter().map(|g| g.len() / P).sum::<u64>();
        assert_eq!(release(&mut nb), (Ok(count), want), "{bugs:?} {map:?}");
    }
}

// ---- agreement with memblock ---------------------------------------------

/// A small xorshift generator, so the scenarios are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// An address near the edges of `map`, a page, or anything.
fn addr(rng: &mut Rng, map: &[(u64, u64, Nid)]) -> u64 {
    let (start, end, _) = rng.pick(map);
    match rng.below(6) {
        0 => rng
            .pick(&[start, end])
            .wrapping_add(rng.pick(&[0, 1, u64::MAX])),
        1 => start + rng.below(end - start),
        2 => (start + rng.below(end - start)) & !(P - 1),
        3 => rng.pick(&[0, P, u64::MAX, u64::MAX - P]),
        _ => start + rng.below(end - start),
    }
}

fn size(rng: &mut Rng) -> u64 {
    match rng.below(6) {
        0 => rng.pick(&[0, 1, P - 1, P, P + 1, u64::MAX]),
        1 => rng.below(64) + 1,
        _ => rng.below(6 * P) + 1,
    }
}

/// Expect nobootmem and memblock to return the same outcome for every call
/// and to keep the same free map while neither has a doubled array: a
/// deterministic sweep of generated scenarios over interleaved nodes,
/// values at the edges, and values near 2^64 (which must never panic).
#[test]
fn outcomes_equal_memblocks_while_no_array_has_doubled() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut compared = 0u32;
    for _ in 0..400 {
        let base = rng.pick(&[0, 3 * P, 1 << 32, u64::MAX - 200 * P]);
        let mut map = Vec::new();
        let mut at = base;
        for _ in 0..=rng.below(4) {
            at += rng.pick(&[0, 1, P, 5 * P + 7]);
            let len = rng.pick(&[P, 3 * P + 100, 16 * P, 20 * P - 1]);
            map.push((at, at + len, rng.below(3) as Nid));
            at += len;
        }
        let mut nb = booted_with(INIT_MEMBLOCK_REGIONS, 8, &map);
        let mut mb = memblock_booted(8, &map);
        let mut live: Vec<(u64, u64)> = Vec::new();
        for _ in 0..40 {
            let nid = rng.pick(&[0, 1, 2, 70]) as Nid;
            let (a, n) = (addr(&mut rng, &map), size(&mut rng));
            let mode = rng.pick(&[DEF, EXCL]);
            let done = |x: Outcome<()>, y: Outcome<()>| (x.map(|()| 0), y.map(|()| 0));
            let (got, want) = match rng.below(7) {
                0 => done(nb.reserve(a, n, mode), mb.reserve(a, n, mode)),
                1 => done(
                    nb.reserve_node(nid, a, n, mode),
                    mb.reserve_node(nid, a, n, mode),
                ),
                2 => done(nb.free(a, n), mb.free(a, n)),
                3 => done(nb.free_node(nid, a, n), mb.free_node(nid, a, n)),
                4 if !live.is_empty() => {
                    let (s, l) = live.swap_remove(rng.below(live.len() as u64) as usize);
                    done(nb.free(s, l), mb.free(s, l))
                }
                _ => {
                    let mut q = req(size(&mut rng), rng.pick(&[0, 1, 3, 64, P, 4 * P]));
                    let (goal, limit) = (addr(&mut rng, &map), addr(&mut rng, &map));
                    q.goal = rng.pick(&[0, goal, u64::MAX]);
                    q.limit = rng.pick(&[0, 0, 1, limit, u64::MAX]);
                    if rng.below(3) > 0 {
                        q.nid = Some(nid);
                    }
                    q.policy = rng.pick(&[NodePolicy::Prefer, NodePolicy::Exact]);
                    q.on_fail = rng.pick(&[OnFail::Null, OnFail::Panic]);
                    let (x, y) = (nb.alloc(&q), mb.alloc(&q));
                    if let Ok(s) = x {
                        live.push((s, q.size));
                    }
                    (x, y)
                }
            };
            if !nb.metadata().is_empty() || !mb.metadata().is_empty() {
                break;
            }
            assert_eq!(got, want, "map {map:x?}");
            assert_eq!(nb.free_map(), mb.free_map(), "map {map:x?}");
            compared += 1;
        }
        let comparable = nb.metadata().is_empty() && mb.metadata().is_empty();
        let (x, y) = (release(&mut nb), release(&mut mb));
        if comparable {
            assert_eq!(x, y, "map {map:x?}");
        }
    }
    assert!(compared > 4000, "only {compared} calls compared");
}
