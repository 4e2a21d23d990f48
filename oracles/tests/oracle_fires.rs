//! Every finding kind of SPEC section 6 fires on a backend with the matching
//! defect, with the expected signature (`hang` comes with the watchdog).
//!
//! The faulty backend is rootmem behind a fault-injecting wrapper
//! (`common::Faulty`); `assert_fires` also checks that plain rootmem finds
//! nothing in the same scenario.

mod common;

use common::{findings, Fault, Faulty};
use oracles::{BackendInfo, FindingKind};

macro_rules! faulty {
    ($fault:ident) => {
        BackendInfo {
            name: "faulty",
            about: "rootmem with a planted fault",
            make: |_| Box::new(Faulty::new(Fault::$fault)),
        }
    };
}

const ROOTMEM: BackendInfo = BackendInfo {
    name: "rootmem",
    about: "correct rootmem",
    make: |_| Box::new(bootmem::RootMem::new()),
};

/// Asserts that `scn` on `backend` yields exactly one finding, with this
/// kind and signature.
fn assert_fires(scn: &str, backend: BackendInfo, kind: FindingKind, signature: &str) {
    let found = findings(scn, backend);
    assert_eq!(found.len(), 1, "expected one finding, got {found:?}");
    assert_eq!(found[0].kind, kind, "{}", found[0]);
    assert_eq!(found[0].signature().to_string(), signature, "{}", found[0]);
    assert!(
        findings(scn, ROOTMEM).is_empty(),
        "correct rootmem must pass the same scenario"
    );
}

/// ```text
///   0    1000   2000   3000                     100000
///   |hole|bitmap| A    | B = A?                 |
/// ```
/// Expect the second allocation, returned on top of the first, to be an
/// overlap.
const TWO_ALLOCS: &str = "
ram start=0x1000 end=0x10_0000 nid=0
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
";

#[test]
fn overlap_fires_when_an_allocation_is_handed_out_twice() {
    assert_fires(
        TWO_ALLOCS,
        faulty!(ReturnsPreviousAllocation),
        FindingKind::Overlap,
        "overlap/faulty/alloc/over-allocated",
    );
}

/// ```text
///   |hole| RAM ...          |hole: the result|
/// ```
/// Expect an allocation in the hole after RAM to be outside memory.
#[test]
fn outside_memory_fires_when_a_result_lies_in_a_hole() {
    assert_fires(
        TWO_ALLOCS,
        faulty!(ReturnsHole),
        FindingKind::OutsideMemory,
        "outside-memory/faulty/alloc/touches-hole",
    );
}

/// ```text
///   |hole|  node 0 (bitmap, room)  |  node 1 (room)  |
///                                   ^ request for node 1
/// ```
/// Expect a node-1 request placed on node 0, while node 1 had room, to be
/// out of node.
#[test]
fn out_of_node_fires_when_a_node_request_leaves_a_node_with_room() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
ram start=0x10_0000 end=0x20_0000 nid=1
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=1 policy=prefer fail=null
";
    assert_fires(
        scn,
        faulty!(IgnoresNode),
        FindingKind::OutOfNode,
        "out-of-node/faulty/alloc/left-node",
    );
}

/// ```text
///   0    1000   2000   ...   10000
///   |hole|bitmap| free  ...   | 64 KiB aligned
/// ```
/// Expect a 64 KiB-aligned request answered at 0x2000 to be misaligned.
#[test]
fn misaligned_fires_when_alignment_is_ignored() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
alloc size=0x1000 align=0x1_0000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
";
    assert_fires(
        scn,
        faulty!(IgnoresAlign),
        FindingKind::Misaligned,
        "misaligned/faulty/alloc/start-not-aligned",
    );
}

/// ```text
///   |hole|bitmap|reserved ....|8000 limit| free ...
/// ```
/// Expect a request limited to 0x8000, answered above it, to break the limit.
#[test]
fn limit_fires_when_the_limit_is_ignored() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
reserve base=0x1000 size=0x7000 mode=default
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x8000 nid=any policy=prefer fail=null
";
    assert_fires(
        scn,
        faulty!(IgnoresLimit),
        FindingKind::Limit,
        "limit/faulty/alloc/end-past-limit",
    );
}

/// ```text
///   |hole|bitmap| free ... |8_0000 goal| free ...
/// ```
/// Expect a result below the goal, while memory above it was free, to break
/// the goal.
#[test]
fn goal_fires_when_the_goal_is_ignored() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
alloc size=0x1000 align=0x1000 goal=0x8_0000 limit=0x0 nid=any policy=prefer fail=null
";
    assert_fires(
        scn,
        faulty!(IgnoresGoal),
        FindingKind::Goal,
        "goal/faulty/alloc/result-below-goal",
    );
}

/// Expect a failure while almost all of RAM is free to be spurious.
#[test]
fn spurious_failure_fires_when_a_feasible_request_fails() {
    assert_fires(
        TWO_ALLOCS,
        faulty!(AlwaysNoMem),
        FindingKind::SpuriousFailure,
        "spurious-failure/faulty/alloc/failed-while-feasible",
    );
}

/// ```text
///   |hole|bitmap|reserved|
///                ^ exclusive reserve again
/// ```
/// Expect `Ok` where `Busy` was due to be the wrong outcome.
#[test]
fn wrong_outcome_fires_when_an_exclusive_conflict_succeeds() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
reserve base=0x8000 size=0x2000 mode=default
reserve base=0x9000 size=0x2000 mode=exclusive
";
    assert_fires(
        scn,
        faulty!(IgnoresExclusive),
        FindingKind::WrongOutcome,
        "wrong-outcome/faulty/reserve/accepted-bad-call",
    );
}

/// ```text
///   |hole|bitmap| ... |A000 free|B000 reserved|
///                      ^ exclusive reserve of both: Busy, and A000 must stay free
/// ```
/// Expect an exclusive reserve that fails but keeps its first page to be a
/// state change on error.
#[test]
fn wrong_outcome_fires_when_a_failed_call_changes_state() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
reserve base=0xb000 size=0x1000 mode=default
reserve base=0xa000 size=0x2000 mode=exclusive
";
    assert_fires(
        scn,
        faulty!(SkipsRollback),
        FindingKind::WrongOutcome,
        "wrong-outcome/faulty/reserve/free-map-differs-after-error",
    );
}

/// ```text
///   |hole|bitmap| A | B |  free ...            |hole|
///                 ^ free(A) also frees B's page
/// ```
/// Expect the next failed call (a reserve of the hole) to find B's page
/// listed as free while it is allocated: an overlap waiting to happen.
#[test]
fn overlap_fires_when_the_free_map_holds_taken_bytes() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
free_alloc index=0 part=all
reserve base=0x20_0000 size=0x1000 mode=default
";
    assert_fires(
        scn,
        faulty!(FreesOnePageMore),
        FindingKind::Overlap,
        "overlap/faulty/reserve/taken-bytes-free",
    );
}

/// Expect a lowest-policy backend that returns its second-lowest fit to be
/// a placement finding.
#[test]
fn placement_fires_when_the_policy_is_not_followed() {
    assert_fires(
        TWO_ALLOCS,
        faulty!(SkipsLowest),
        FindingKind::Placement,
        "placement/faulty/alloc/not-lowest",
    );
}

/// ```text
///   |hole|bitmap| A |  free ....  |hole| free |
///                                       ^ forgotten at hand-off
/// ```
/// Expect free pages missing from the hand-off to be lost.
#[test]
fn lost_pages_fires_when_release_all_forgets_free_pages() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
ram start=0x20_0000 end=0x30_0000 nid=0
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
release_all
";
    assert_fires(
        scn,
        faulty!(ForgetsLastRange),
        FindingKind::LostPages,
        "lost-pages/faulty/release_all/free-pages-not-released",
    );
}

/// Expect a range handed over twice at hand-off to be a double release.
#[test]
fn double_release_fires_when_a_page_is_handed_over_twice() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
release_all
";
    assert_fires(
        scn,
        faulty!(ReleasesFirstTwice),
        FindingKind::DoubleRelease,
        "double-release/faulty/release_all/page-released-twice",
    );
}

/// ```text
///   |hole|bitmap| ... |reserved = "metadata"?|
/// ```
/// Expect metadata that appears over reserved memory to be a metadata
/// finding.
#[test]
fn metadata_fires_when_metadata_appears_over_taken_memory() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
reserve base=0x8000 size=0x2000 mode=default
reserve base=0x20000 size=0x2000 mode=default
";
    assert_fires(
        scn,
        faulty!(MetadataOverReserved),
        FindingKind::Metadata,
        "metadata/faulty/reserve/over-taken",
    );
}

/// Expect a Rust panic inside the backend to be caught and reported, not to
/// unwind through the harness.
#[test]
fn backend_panic_fires_when_the_backend_panics() {
    let scn = "
ram start=0x1000 end=0x10_0000 nid=0
reserve base=0x8000 size=0x2000 mode=default
free base=0x8000 size=0x2000
";
    let found = findings(scn, faulty!(PanicsOnFree));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, FindingKind::BackendPanic);
    assert_eq!(
        found[0].signature().to_string(),
        "backend-panic/faulty/free/panic"
    );
    assert!(
        found[0].detail.contains("index out of bounds"),
        "{}",
        found[0]
    );
    assert_eq!(found[0].op_index, Some(1));
}

/// Two backends that share a profile (here both historical, so each alone
/// gets validity checks only) must agree call by call.
///
/// ```text
///   |hole|bitmap| A (twin a) |  B (twin b: the second fit)  |
/// ```
/// Expect the twin that skips the lowest fit to diverge at the first alloc.
#[test]
fn divergence_fires_when_twins_of_one_profile_disagree() {
    let twin_a = BackendInfo {
        name: "twin-a",
        about: "rootmem, declared historical",
        make: |_| Box::new(Faulty::historical(Fault::None)),
    };
    let twin_b = BackendInfo {
        name: "twin-b",
        about: "rootmem, declared historical, skipping the lowest fit",
        make: |_| Box::new(Faulty::historical(Fault::SkipsLowest)),
    };
    let scenario = match oracles::text::parse(TWO_ALLOCS) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let alone = oracles::run(&scenario, &[twin_b]).findings;
    assert!(alone.is_empty(), "validity alone must pass: {alone:?}");
    let found = oracles::run(&scenario, &[twin_a, twin_b]).findings;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, FindingKind::Divergence);
    assert_eq!(
        found[0].signature().to_string(),
        "divergence/twin-b/alloc/address-differs"
    );
    assert_eq!(found[0].op_index, Some(0));
}

/// ```text
///   |hole|bitmap| R |  3.9 MiB free: room for 1 MiB of metadata  |
/// ```
/// Expect a `NoMem` blamed on metadata growth, while the model shows room
/// for it, to be the wrong outcome.
#[test]
fn wrong_outcome_fires_when_nomem_is_blamed_on_growth_that_had_room() {
    let scn = "
ram start=0x1000 end=0x40_0000 nid=0
reserve base=0x8000 size=0x1000 mode=default
reserve base=0x20_0000 size=0x1000 mode=default
";
    assert_fires(
        scn,
        faulty!(GrowthNoMem),
        FindingKind::WrongOutcome,
        "wrong-outcome/faulty/reserve/refused-valid-call",
    );
}

/// ```text
///   |hole|bitmap|  reserved .......................... | 0.5 MiB free |
/// ```
/// Expect the same `NoMem` to be accepted when no 1 MiB of free RAM is left
/// for the metadata to grow into, and to change nothing.
#[test]
fn nomem_is_excused_when_metadata_has_no_room_to_grow() {
    let scn = "
ram start=0x1000 end=0x40_0000 nid=0
reserve base=0x1000 size=0x37_f000 mode=default
reserve base=0x38_0000 size=0x1000 mode=default
release_all
";
    const _: () = assert!(common::GROWTH > 0x8_0000, "the free tail must be too small");
    let found = findings(scn, faulty!(GrowthNoMem));
    assert!(found.is_empty(), "{found:?}");
}

/// Expect a result below the goal to stay a goal finding when the metadata
/// had room to grow beside the placement the goal wanted.
#[test]
fn goal_fires_when_a_late_stage_is_blamed_on_growth_that_had_room() {
    let scn = "
ram start=0x1000 end=0x40_0000 nid=0
alloc size=0x1000 align=0x1000 goal=0x20_0000 limit=0x0 nid=any policy=prefer fail=null
";
    assert_fires(
        scn,
        faulty!(GrowthIgnoresGoal),
        FindingKind::Goal,
        "goal/faulty/alloc/result-below-goal",
    );
}

/// ```text
///   |hole|bitmap| free below the goal | reserved ...... |goal| 8 KiB |
/// ```
/// Expect a later stage to be excused when no room was left for the
/// metadata to grow (memblock moves on to its next attempt when the
/// reservation of the found block cannot double the array), as long as the
/// result still meets some stage of the request.
#[test]
fn a_late_stage_is_excused_when_metadata_has_no_room_to_grow() {
    let scn = "
ram start=0x1000 end=0x40_0000 nid=0
reserve base=0x8_0000 size=0x37_e000 mode=default
alloc size=0x1000 align=0x1000 goal=0x3f_e000 limit=0x0 nid=any policy=prefer fail=null
release_all
";
    let found = findings(scn, faulty!(GrowthIgnoresGoal));
    assert!(found.is_empty(), "{found:?}");
}
