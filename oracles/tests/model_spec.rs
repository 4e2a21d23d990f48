//! The reference model, read against SPEC sections 3 and 4: one test per
//! row of the call table and per stage rule.

use bootmem::{
    AllocRequest, Error, Granularity, MetadataHandoff, NodePolicy, OnFail, Placement, Profile,
    Range, Registration, ReserveMode, PAGE_SIZE,
};
use oracles::model::{AllocVerdict, Model, Stage, State};
use oracles::{MemoryMap, RamRange};

const PAGE: Profile = Profile {
    granularity: Granularity::Page,
    placement: Placement::Lowest,
    packing: false,
    crosses_nodes: true,
    metadata: MetadataHandoff::Released,
    registration: Registration::BeforeSetup,
};

const BYTE: Profile = Profile {
    granularity: Granularity::Byte,
    crosses_nodes: false,
    ..PAGE
};

fn range(start: u64, end: u64) -> Range {
    Range::new(start, end).expect("test range")
}

fn map(ranges: &[(u64, u64, u32)]) -> MemoryMap {
    let ranges: Vec<RamRange> = ranges
        .iter()
        .map(|&(s, e, nid)| RamRange {
            range: range(s, e),
            nid,
        })
        .collect();
    MemoryMap::new(&ranges).expect("test map")
}

fn req(size: u64, align: u64) -> AllocRequest {
    AllocRequest::new(size, align)
}

/// ```text
///   0x800     0x1000          0x5000  0x5800
///   |partial  | 4 whole pages |partial|
/// ```
/// Expect a page backend to see only the whole pages, a byte backend every byte.
#[test]
fn usable_ram_depends_on_granularity() {
    let m = map(&[(0x800, 0x5800, 0)]);
    assert_eq!(
        Model::new(&m, &PAGE).free_map(),
        vec![range(0x1000, 0x5000)]
    );
    assert_eq!(Model::new(&m, &BYTE).free_map(), vec![range(0x800, 0x5800)]);
}

#[test]
fn reserve_rounds_outward_and_reserving_what_is_reserved_is_fine() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0x1800, 0x100, ReserveMode::Default),
        Ok(())
    );
    assert_eq!(
        model.free_map(),
        vec![range(0, 0x1000), range(0x2000, 0x10000)]
    );
    assert_eq!(
        model.reserve(None, 0x1000, 0x1000, ReserveMode::Default),
        Ok(())
    );
}

#[test]
fn reserve_of_an_empty_range_is_an_ok_no_op() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0x100_0000, 0, ReserveMode::Exclusive),
        Ok(())
    );
    assert_eq!(model.free_map(), vec![range(0, 0x10000)]);
}

#[test]
fn reserve_that_touches_non_ram_or_overflows_is_invalid() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0), (0x20000, 0x30000, 0)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0xf000, 0x2000, ReserveMode::Default),
        Err(Error::Invalid)
    );
    assert_eq!(
        model.reserve(None, u64::MAX - 10, 0x20, ReserveMode::Default),
        Err(Error::Invalid)
    );
    assert_eq!(
        model.free_map(),
        vec![range(0, 0x10000), range(0x20000, 0x30000)]
    );
}

#[test]
fn exclusive_reserve_is_busy_if_anything_is_taken_and_changes_nothing() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &BYTE);
    assert_eq!(
        model.reserve(None, 0x5000, 0x10, ReserveMode::Default),
        Ok(())
    );
    let before = model.free_map();
    assert_eq!(
        model.reserve(None, 0x4000, 0x2000, ReserveMode::Exclusive),
        Err(Error::Busy)
    );
    assert_eq!(model.free_map(), before);
}

/// ```text
///   | node 0 [0, 64K) | node 1 [64K, 128K) |
///              ^^^^^^^^^^^ reserve_node(0, ...) across the boundary
/// ```
/// Expect `Invalid`: a node variant must stay inside one RAM range of its node.
#[test]
fn reserve_node_must_lie_inside_one_range_of_the_node() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0), (0x10000, 0x20000, 1)]), &PAGE);
    assert_eq!(
        model.reserve(Some(0), 0xf000, 0x2000, ReserveMode::Default),
        Err(Error::Invalid)
    );
    assert_eq!(
        model.reserve(Some(1), 0x1000, 0x1000, ReserveMode::Default),
        Err(Error::Invalid)
    );
    assert_eq!(
        model.reserve(Some(1), 0x11000, 0x1000, ReserveMode::Default),
        Ok(())
    );
    assert_eq!(
        model.reserve(None, 0xf000, 0x2000, ReserveMode::Default),
        Ok(())
    );
}

#[test]
fn free_rounds_inward_and_a_sub_page_free_is_a_no_op() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0x1000, 0x3000, ReserveMode::Default),
        Ok(())
    );
    assert_eq!(model.free(None, 0x1800, 0x1000), Ok(()));
    assert_eq!(model.free(None, 0x1800, 0x1800), Ok(()));
    assert_eq!(
        model.free_map(),
        vec![
            range(0, 0x1000),
            range(0x2000, 0x3000),
            range(0x4000, 0x10000)
        ]
    );
}

#[test]
fn free_of_free_memory_is_a_double_free_and_changes_nothing() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0x1000, 0x1000, ReserveMode::Default),
        Ok(())
    );
    assert_eq!(model.free(None, 0x1000, 0x2000), Err(Error::DoubleFree));
    assert_eq!(
        model.free_map(),
        vec![range(0, 0x1000), range(0x2000, 0x10000)]
    );
}

#[test]
fn free_of_non_ram_or_metadata_is_invalid() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    model.set(range(0x2000, 0x3000), |_| true, State::Metadata);
    assert_eq!(model.free(None, 0x2000, 0x1000), Err(Error::Invalid));
    assert_eq!(model.free(None, 0xf000, 0x2000), Err(Error::Invalid));
}

#[test]
fn free_may_span_contiguous_ranges_of_several_nodes_but_free_node_may_not() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0), (0x10000, 0x20000, 1)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0xf000, 0x2000, ReserveMode::Default),
        Ok(())
    );
    assert_eq!(model.free(Some(0), 0xf000, 0x2000), Err(Error::Invalid));
    assert_eq!(model.free(None, 0xf000, 0x2000), Ok(()));
}

#[test]
fn alloc_of_size_zero_or_a_bad_alignment_is_invalid() {
    let model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    assert_eq!(model.alloc_verdict(&req(0, 8)), AllocVerdict::Invalid);
    assert_eq!(model.alloc_verdict(&req(8, 0)), AllocVerdict::Invalid);
    assert_eq!(model.alloc_verdict(&req(8, 48)), AllocVerdict::Invalid);
}

#[test]
fn alloc_that_fits_nowhere_fails_with_nomem_or_panic() {
    let model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    let mut r = req(0x10000, 8);
    assert_eq!(model.alloc_verdict(&r), AllocVerdict::Infeasible);
    assert_eq!(r.failure(), Error::NoMem);
    r.on_fail = OnFail::Panic;
    assert_eq!(r.failure(), Error::Panic);
}

/// ```text
///   0      0x1000
///   |page 0| free ...
/// ```
/// Expect the first page never to be handed out, so no allocation looks like NULL.
#[test]
fn the_first_page_is_never_a_placement() {
    let model = Model::new(&map(&[(0, 0x10000, 0)]), &BYTE);
    let verdict = model.alloc_verdict(&req(16, 16));
    assert!(
        matches!(verdict, AllocVerdict::Feasible { lowest: 0x1000, .. }),
        "{verdict:?}"
    );
}

#[test]
fn alignment_is_absolute_and_page_backends_start_on_pages() {
    let model = Model::new(&map(&[(0x3000, 0x40000, 0)]), &PAGE);
    let verdict = model.alloc_verdict(&req(16, 0x10000));
    assert!(
        matches!(
            verdict,
            AllocVerdict::Feasible {
                lowest: 0x10000,
                highest: 0x30000,
                ..
            }
        ),
        "{verdict:?}"
    );
    let verdict = model.alloc_verdict(&req(16, 16));
    assert!(
        matches!(
            verdict,
            AllocVerdict::Feasible {
                lowest: 0x3000,
                highest: 0x3f000,
                ..
            }
        ),
        "{verdict:?}"
    );
}

#[test]
fn limit_bounds_the_end_exclusively() {
    let model = Model::new(&map(&[(0, 0x10000, 0)]), &BYTE);
    let mut r = req(0x100, 0x100);
    r.limit = 0x1100;
    assert!(matches!(
        model.alloc_verdict(&r),
        AllocVerdict::Feasible {
            lowest: 0x1000,
            highest: 0x1000,
            ..
        }
    ));
    r.limit = 0x10ff;
    assert_eq!(model.alloc_verdict(&r), AllocVerdict::Infeasible);
}

/// ```text
///   | node 0 [0, 64K) | node 1 [64K, 128K) |
///        goal ^ in node 0, request for node 1
/// ```
/// Expect stage 1 (node 1 at or above the goal) first.
#[test]
fn stage_one_is_the_node_at_or_above_the_goal() {
    let model = Model::new(&map(&[(0, 0x10000, 0), (0x10000, 0x20000, 1)]), &PAGE);
    let mut r = req(0x1000, 0x1000);
    r.nid = Some(1);
    r.goal = 0x8000;
    assert!(matches!(
        model.alloc_verdict(&r),
        AllocVerdict::Feasible {
            stage: Stage::NodeGoal,
            lowest: 0x10000,
            ..
        }
    ));
}

#[test]
fn stage_two_is_any_node_at_or_above_the_goal_when_the_node_is_below_it() {
    let model = Model::new(&map(&[(0, 0x10000, 0), (0x10000, 0x20000, 1)]), &PAGE);
    let mut r = req(0x1000, 0x1000);
    r.nid = Some(0);
    r.goal = 0x18000;
    assert!(matches!(
        model.alloc_verdict(&r),
        AllocVerdict::Feasible {
            stage: Stage::AnyGoal,
            lowest: 0x18000,
            ..
        }
    ));
}

#[test]
fn stage_three_is_the_node_below_the_goal_when_nothing_is_above_it() {
    let model = Model::new(&map(&[(0, 0x10000, 0), (0x10000, 0x20000, 1)]), &PAGE);
    let mut r = req(0x1000, 0x1000);
    r.nid = Some(1);
    r.goal = 0x40000;
    assert!(matches!(
        model.alloc_verdict(&r),
        AllocVerdict::Feasible {
            stage: Stage::NodeAny,
            lowest: 0x10000,
            ..
        }
    ));
}

#[test]
fn stage_four_is_any_node_anywhere() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0), (0x10000, 0x20000, 1)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0x10000, 0x10000, ReserveMode::Default),
        Ok(())
    );
    let mut r = req(0x1000, 0x1000);
    r.nid = Some(1);
    r.goal = 0x40000;
    assert!(matches!(
        model.alloc_verdict(&r),
        AllocVerdict::Feasible {
            stage: Stage::AnyAny,
            lowest: 0x1000,
            ..
        }
    ));
}

#[test]
fn exact_policy_skips_the_any_node_stages() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0), (0x10000, 0x20000, 1)]), &PAGE);
    assert_eq!(
        model.reserve(None, 0x10000, 0x10000, ReserveMode::Default),
        Ok(())
    );
    let mut r = req(0x1000, 0x1000);
    r.nid = Some(1);
    r.policy = NodePolicy::Exact;
    assert_eq!(model.alloc_verdict(&r), AllocVerdict::Infeasible);
    assert_eq!(Stage::for_request(&r), vec![Stage::NodeGoal]);
}

#[test]
fn no_node_skips_the_node_stages_and_goal_zero_skips_the_repeats() {
    let r = req(0x1000, 0x1000);
    assert_eq!(Stage::for_request(&r), vec![Stage::AnyGoal]);
    let mut r = r;
    r.goal = 0x5000;
    assert_eq!(Stage::for_request(&r), vec![Stage::AnyGoal, Stage::AnyAny]);
    r.nid = Some(2);
    assert_eq!(
        Stage::for_request(&r),
        vec![
            Stage::NodeGoal,
            Stage::AnyGoal,
            Stage::NodeAny,
            Stage::AnyAny
        ]
    );
}

/// ```text
///   | node 0: 0x1000 free | node 1: 0x1000 free |
///          ^^^^^^^^^^^^^^^^^^^^^^^ 0x2000 wanted
/// ```
/// Expect a crossing profile to span the boundary for a node-less request
/// only, and a non-crossing profile never to.
#[test]
fn a_placement_spans_nodes_only_without_a_node_on_a_crossing_backend() {
    let m = map(&[(0x1000, 0x2000, 0), (0x2000, 0x3000, 1)]);
    let r = req(0x2000, 0x1000);
    assert!(matches!(
        Model::new(&m, &PAGE).alloc_verdict(&r),
        AllocVerdict::Feasible { lowest: 0x1000, .. }
    ));
    assert_eq!(
        Model::new(&m, &BYTE).alloc_verdict(&r),
        AllocVerdict::Infeasible
    );
    let mut on_node = r;
    on_node.nid = Some(0);
    assert_eq!(
        Model::new(&m, &PAGE).alloc_verdict(&on_node),
        AllocVerdict::Infeasible
    );
}

#[test]
fn a_placement_never_spans_a_hole() {
    let m = map(&[(0x1000, 0x2000, 0), (0x3000, 0x4000, 0)]);
    assert_eq!(
        Model::new(&m, &BYTE).alloc_verdict(&req(0x1800, 8)),
        AllocVerdict::Infeasible
    );
}

#[test]
fn release_all_hands_over_free_whole_pages_and_released_metadata() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &BYTE);
    model.set(range(0x1000, 0x2000), |_| true, State::Metadata);
    assert_eq!(
        model.reserve(None, 0x3800, 0x100, ReserveMode::Default),
        Ok(())
    );
    assert_eq!(
        model.expected_release(true),
        vec![range(0, 0x3000), range(0x4000, 0x10000)]
    );
    assert_eq!(
        model.expected_release(false),
        vec![
            range(0, 0x1000),
            range(0x2000, 0x3000),
            range(0x4000, 0x10000)
        ]
    );
}

#[test]
fn every_call_after_release_all_is_retired() {
    let mut model = Model::new(&map(&[(0, 0x10000, 0)]), &PAGE);
    model.retire();
    assert_eq!(
        model.reserve(None, 0x1000, 0x1000, ReserveMode::Default),
        Err(Error::Retired)
    );
    assert_eq!(model.free(None, 0x1000, 0x1000), Err(Error::Retired));
    assert_eq!(PAGE_SIZE, 0x1000);
}
