//! Sub-page packing (SPEC section 4): a page backend that packs may start a
//! small allocation in the unused tail (slack) of an earlier allocation's
//! page; the oracle accepts exactly that and nothing more.

use bootmem::{
    AllocRequest, Granularity, MetadataHandoff, Placement, Profile, Range, Registration,
};
use oracles::check::check_alloc;
use oracles::model::{AllocVerdict, Model, State};
use oracles::{FindingKind, MemoryMap, RamRange};

const PACKING: Profile = Profile {
    granularity: Granularity::Page,
    placement: Placement::Historical,
    packing: true,
    crosses_nodes: false,
    metadata: MetadataHandoff::Released,
    registration: Registration::BeforeSetup,
};

/// One node, `[0, 64 KiB)`, with allocation 0 at `[0x1000, +0x840)`: its
/// slack is `[0x1840, 0x2000)`.
fn model_with_one_allocation() -> Model {
    let map = MemoryMap::new(&[RamRange {
        range: Range::new(0, 0x10000).expect("range"),
        nid: 0,
    }])
    .expect("map");
    let mut model = Model::new(&map, &PACKING);
    model.apply_alloc(0, 0x1000, 0x840);
    model
}

fn judge(model: &Model, req: &AllocRequest, a: u64) -> Option<(FindingKind, &'static str)> {
    let verdict = model.alloc_verdict(req);
    check_alloc(model, &PACKING, req, verdict, Ok(a)).map(|v| (v.kind, v.class))
}

/// ```text
///   0x1000        0x1840   0x2000        0x3000
///   | alloc 0     |slack   | free        |
///                  ^ 0x1840: 0x100 bytes packed, rest continues on 0x2000
/// ```
/// Expect a packed allocation in the slack to be valid, and to take that slack.
#[test]
fn packing_into_the_slack_of_the_previous_page_is_valid() {
    let mut model = model_with_one_allocation();
    let req = AllocRequest::new(0x100, 0x40);
    assert_eq!(judge(&model, &req, 0x1840), None);
    model.apply_alloc(1, 0x1840, 0x100);
    assert_eq!(
        judge(&model, &req, 0x1840),
        Some((FindingKind::Overlap, "over-allocated"))
    );
}

/// Expect a packed allocation that continues over a taken page to overlap.
#[test]
fn a_packed_allocation_must_continue_on_free_pages() {
    let mut model = model_with_one_allocation();
    model.set(
        Range::new(0x2000, 0x3000).expect("range"),
        |_| true,
        State::Reserved,
    );
    let req = AllocRequest::new(0x1000, 0x40);
    assert_eq!(
        judge(&model, &req, 0x1840),
        Some((FindingKind::Overlap, "over-reserved"))
    );
}

/// ```text
///   0x1000        0x2000
///   | freed page  |
///       ^ packed here: the page is free, nobody reserved it
/// ```
/// Expect packing into a page that is free (not slack) to be an overlap in the
/// making: the page would be handed out again.
#[test]
fn packing_into_a_free_page_is_not_allowed() {
    let mut model = model_with_one_allocation();
    model.set(
        Range::new(0x1000, 0x2000).expect("range"),
        |_| true,
        State::Free,
    );
    let req = AllocRequest::new(0x100, 0x40);
    assert_eq!(
        judge(&model, &req, 0x1840),
        Some((FindingKind::Overlap, "packed-outside-slack"))
    );
}

/// Expect a packed allocation below the goal to be valid when the block it
/// continues on starts at or above the goal (reference 1.4 consequence (b)),
/// and an unpacked one below the goal not to be.
#[test]
fn packing_may_land_below_the_goal() {
    let model = model_with_one_allocation();
    let mut req = AllocRequest::new(0x100, 0x40);
    req.goal = 0x2000;
    assert!(matches!(
        model.alloc_verdict(&req),
        AllocVerdict::Feasible { .. }
    ));
    assert_eq!(judge(&model, &req, 0x1840), None);
    assert_eq!(judge(&model, &req, 0x3000), None);
    req.goal = 0x4000;
    assert_eq!(
        judge(&model, &req, 0x3000),
        Some((FindingKind::Goal, "result-below-goal"))
    );
}

/// Expect a backend that does not pack to be held to page-aligned starts.
#[test]
fn without_packing_a_start_inside_a_page_is_misaligned() {
    let model = model_with_one_allocation();
    let req = AllocRequest::new(0x100, 0x40);
    let no_packing = Profile {
        packing: false,
        ..PACKING
    };
    let verdict = model.alloc_verdict(&req);
    let v = check_alloc(&model, &no_packing, &req, verdict, Ok(0x1840));
    assert_eq!(
        v.map(|v| (v.kind, v.class)),
        Some((FindingKind::Misaligned, "start-inside-page"))
    );
}
