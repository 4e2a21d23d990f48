//! The checks of SPEC section 6, one function per check. Each compares what
//! a backend did with what the model expects and returns the first
//! [`Violation`], which the runner turns into a [`crate::Finding`].

use crate::finding::FindingKind;
use crate::model::{AllocVerdict, Merged, Model, Stage, State};
use bootmem::range::{is_page_aligned, page_up};
use bootmem::{
    AllocRequest, Error, Granularity, MetadataHandoff, NodePolicy, Outcome, PhysAddr, Placement,
    Profile, Range, PAGE_SIZE,
};
use std::fmt;

/// A broken promise, before the runner adds the backend and op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The finding kind.
    pub kind: FindingKind,
    /// The stable detail class (no numbers).
    pub class: &'static str,
    /// The human detail (with numbers).
    pub detail: String,
}

fn violation(kind: FindingKind, class: &'static str, detail: String) -> Option<Violation> {
    Some(violation_value(kind, class, detail))
}

fn violation_value(kind: FindingKind, class: &'static str, detail: String) -> Violation {
    Violation {
        kind,
        class,
        detail,
    }
}

/// The name of an outcome's kind.
pub fn outcome_name<T>(outcome: &Outcome<T>) -> &'static str {
    match outcome {
        Ok(_) => "Ok",
        Err(e) => e.name(),
    }
}

/// Checks that a call's outcome kind is the one the contract expects.
pub fn check_outcome<T, U>(expected: &Outcome<T>, actual: &Outcome<U>) -> Option<Violation> {
    let (want, got) = (outcome_name(expected), outcome_name(actual));
    if want == got {
        return None;
    }
    let class = match (expected, actual) {
        (Ok(_), Err(_)) => "refused-valid-call",
        (Err(_), Ok(_)) => "accepted-bad-call",
        _ => "wrong-error",
    };
    violation(
        FindingKind::WrongOutcome,
        class,
        format!("expected {want}, got {got}"),
    )
}

/// Checks that a call which returned an error changed nothing: the
/// backend's own free map must still equal the model's (both merged, so
/// that only the bytes count, not how a backend splits its list).
///
/// A difference where the backend lists as free bytes that the model holds
/// as taken is reported as `overlap`: an earlier call lost track of them
/// and they would be handed out again. Any other difference is a
/// `wrong-outcome`.
pub fn check_unchanged(model: &Model, backend_free: &[Range]) -> Option<Violation> {
    // The model's map is sorted and maximal already; only the backend's
    // needs joining. The common case, a sorted list that joins to the
    // model's map, is settled without copying it.
    let sorted = backend_free.windows(2).all(|pair| pair[0] <= pair[1]);
    if sorted && Merged::new(backend_free.iter().copied()).eq(model.free_ranges().iter().copied()) {
        return None;
    }
    let expected = model.free_map();
    let actual = merged(backend_free.to_vec());
    if expected == actual {
        return None;
    }
    if let Some((free, seg)) = actual.iter().find_map(|r| {
        model
            .pieces(*r)
            .find(|s| s.state != State::Free)
            .map(|s| (*r, s))
    }) {
        return violation(
            FindingKind::Overlap,
            "taken-bytes-free",
            format!(
                "the backend lists {free} as free, but {} is {} in the model \
                 (an earlier call lost track of it; it would be handed out again)",
                seg.range,
                seg.state.name()
            ),
        );
    }
    let at = first_difference(&expected, &actual);
    violation(
        FindingKind::WrongOutcome,
        "free-map-differs-after-error",
        format!(
            "after a failed call the backend's free map differs from the model's near {at:#x} \
             (the call changed state, or an earlier call did so silently)"
        ),
    )
}

/// `ranges` sorted, with touching and overlapping ranges joined.
fn merged(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort();
    crate::model::merge_ranges(ranges.into_iter())
}

fn first_difference(a: &[Range], b: &[Range]) -> PhysAddr {
    for (x, y) in a.iter().zip(b) {
        if x.start() != y.start() {
            return x.start().min(y.start());
        }
        if x.end() != y.end() {
            return x.end().min(y.end());
        }
    }
    let longer = if a.len() > b.len() { a } else { b };
    longer.get(a.len().min(b.len())).map_or(0, |r| r.start())
}

/// Syncs the model with the metadata the backend reports and checks it
/// (SPEC section 5): new metadata must be usable RAM and free right now;
/// metadata that disappeared becomes free again. `call_failed` says whether
/// the call returned an error, in which case no metadata may change.
pub fn check_metadata(
    model: &mut Model,
    reported: &[Range],
    call_failed: bool,
) -> Option<Violation> {
    match check_metadata_keeping(model, reported, call_failed) {
        Ok(vanished) => {
            free_vanished(model, &vanished);
            None
        }
        Err(v) => Some(v),
    }
}

/// Frees metadata that [`check_metadata_keeping`] kept.
pub fn free_vanished(model: &mut Model, vanished: &[Range]) {
    for &r in vanished {
        model.set(r, |s| s == State::Metadata, State::Free);
    }
}

/// As [`check_metadata`], but metadata that disappeared stays metadata in
/// the model and is returned, for the caller to free after judging the
/// call: an allocation is found before the array that held the old
/// metadata is freed (memblock_double_array frees the old array after
/// placing the new one), so the old array still counted as taken.
pub fn check_metadata_keeping(
    model: &mut Model,
    reported: &[Range],
    call_failed: bool,
) -> Result<Vec<Range>, Violation> {
    let page = model.granularity() == Granularity::Page;
    let mut reported_norm: Vec<Range> = Vec::with_capacity(reported.len());
    for &r in reported {
        let r = if page {
            match r.round_outward() {
                Some(r) => r,
                None => {
                    return Err(violation_value(
                        FindingKind::Metadata,
                        "outside-ram",
                        format!("metadata {r} reaches past 2^64"),
                    ))
                }
            }
        } else {
            r
        };
        if !r.is_empty() {
            reported_norm.push(r);
        }
    }
    reported_norm.sort();
    let reported = crate::model::merge_ranges(reported_norm.into_iter());
    let known = model.metadata_ranges();
    if reported == known {
        return Ok(Vec::new());
    }
    if call_failed {
        return Err(violation_value(
            FindingKind::WrongOutcome,
            "metadata-moved-on-error",
            format!("the call failed but the metadata moved: {known:?} -> {reported:?}"),
        ));
    }
    for &r in &reported {
        if !model.is_ram(r) {
            return Err(violation_value(
                FindingKind::Metadata,
                "outside-ram",
                format!("metadata {r} is not all usable RAM"),
            ));
        }
        if let Some(seg) = model
            .pieces(r)
            .find(|s| s.state != State::Free && s.state != State::Metadata)
        {
            return Err(violation_value(
                FindingKind::Metadata,
                "over-taken",
                format!(
                    "new metadata {r} covers {} bytes at {}",
                    seg.state.name(),
                    seg.range
                ),
            ));
        }
    }
    let vanished: Vec<Range> = known.iter().flat_map(|&k| subtract(k, &reported)).collect();
    for &r in &reported {
        model.set(r, |_| true, State::Metadata);
    }
    Ok(vanished)
}

/// The parts of `r` not covered by any of the sorted `cover` ranges.
fn subtract(r: Range, cover: &[Range]) -> Vec<Range> {
    let mut out = Vec::new();
    let mut start = r.start();
    for c in cover.iter().filter(|c| c.overlaps(r)) {
        if c.start() > start {
            out.extend(Range::new(start, c.start()));
        }
        start = start.max(c.end());
    }
    if start < r.end() {
        out.extend(Range::new(start, r.end()));
    }
    out
}

/// Checks the outcome of `alloc(req)` against the model's verdict computed
/// before the call (SPEC section 4): validity for every backend, exact
/// placement for canonical ones.
pub fn check_alloc(
    model: &Model,
    profile: &Profile,
    req: &AllocRequest,
    verdict: AllocVerdict,
    actual: Outcome<PhysAddr>,
) -> Option<Violation> {
    match (verdict, actual) {
        (AllocVerdict::Invalid, actual) => check_outcome(&Err::<(), _>(Error::Invalid), &actual),
        (_, Err(Error::Invalid)) => violation(
            FindingKind::WrongOutcome,
            "refused-valid-call",
            "expected a placement or a failure, got Invalid".into(),
        ),
        (AllocVerdict::Infeasible, Err(e)) => {
            check_outcome(&Err::<(), _>(req.failure()), &Err::<(), _>(e))
        }
        (AllocVerdict::Feasible { stage, lowest, .. }, Err(e)) => violation(
            FindingKind::SpuriousFailure,
            "failed-while-feasible",
            format!(
                "got {e}, but stage {} had a placement at {lowest:#x}",
                stage as u8
            ),
        ),
        (verdict, Ok(a)) => check_placement(model, profile, req, verdict, a),
    }
}

/// Checks a successful allocation at `a`: each rule of SPEC section 4 in
/// turn, then the canonical policy.
fn check_placement(
    model: &Model,
    profile: &Profile,
    req: &AllocRequest,
    verdict: AllocVerdict,
    a: PhysAddr,
) -> Option<Violation> {
    let place = Place { a, size: req.size };
    let Some(foot) = model.alloc_footprint(a, req.size) else {
        return violation(
            FindingKind::OutsideMemory,
            "end-past-2^64",
            format!("{place} ends past 2^64"),
        );
    };
    if a < PAGE_SIZE {
        return violation(
            FindingKind::OutsideMemory,
            "first-page",
            format!("{place} starts in the first page, which is never handed out"),
        );
    }
    if a % req.align != 0 {
        return violation(
            FindingKind::Misaligned,
            "start-not-aligned",
            format!("{place} is not aligned to {:#x}", req.align),
        );
    }
    if !profile.packing && !model.start_granular(a) {
        return violation(
            FindingKind::Misaligned,
            "start-inside-page",
            format!("{place} does not start on a page boundary"),
        );
    }
    if req.limit != 0 && a.saturating_add(req.size) > req.limit {
        return violation(
            FindingKind::Limit,
            "end-past-limit",
            format!("{place} ends past the limit {:#x}", req.limit),
        );
    }
    if !model.is_ram(foot) {
        return violation(
            FindingKind::OutsideMemory,
            "touches-hole",
            format!("{place} takes {foot}, which is not all usable RAM"),
        );
    }
    let packed = profile.packing && !is_page_aligned(a);
    if let Some(v) = check_taken_bytes(model, a, req.size, foot, packed, place) {
        return Some(v);
    }
    if model.spans_nodes(foot) && !(req.nid.is_none() && profile.crosses_nodes) {
        return violation(
            FindingKind::OutOfNode,
            "spans-nodes",
            format!("{place} spans nodes {:?}", model.nodes_of(foot)),
        );
    }
    if packed {
        return check_packed_stage(model, req, verdict, a, place);
    }
    check_stage(model, profile, req, verdict, a, place, foot)
}

/// An allocation's place as findings print it, `[a, +size)`; formatted only
/// when a finding is built.
#[derive(Clone, Copy)]
struct Place {
    a: PhysAddr,
    size: u64,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:#x}, +{:#x})", self.a, self.size)
    }
}

/// Checks that an allocation takes only free memory. A packed allocation
/// (SPEC section 4, "Sub-page packing") starts inside the unused tail of an
/// earlier allocation's page: its bytes in that first page must be slack,
/// and every later page it takes must be free.
fn check_taken_bytes(
    model: &Model,
    a: PhysAddr,
    size: u64,
    foot: Range,
    packed: bool,
    place: Place,
) -> Option<Violation> {
    let mut whole = foot;
    if packed {
        let tail_end = page_up(a).unwrap_or(foot.end()).min(foot.end());
        let tail = Range::new(a, tail_end.max(a)).unwrap_or(Range::EMPTY);
        let used = Range::new(a, a.saturating_add(size).min(tail_end).max(a)).unwrap_or(tail);
        if let Some(seg) = model
            .pieces(used)
            .find(|s| !matches!(s.state, State::Slack(_)))
        {
            let class = match seg.state {
                State::Free => "packed-outside-slack",
                other => overlap_class(other),
            };
            return violation(
                FindingKind::Overlap,
                class,
                format!(
                    "{place} is packed into {}, but {} there is {}, not an allocation's slack",
                    tail,
                    seg.range,
                    seg.state.name()
                ),
            );
        }
        whole = Range::new(tail_end, foot.end()).unwrap_or(Range::EMPTY);
    }
    let seg = model.first_taken(whole)?;
    violation(
        FindingKind::Overlap,
        overlap_class(seg.state),
        format!(
            "{place} takes {foot}, which overlaps {} bytes at {}",
            seg.state.name(),
            seg.range
        ),
    )
}

/// The stage rule for a packed allocation: packing may start below the
/// goal (SPEC section 4; reference 1.4 consequence (b)), so the goal is
/// measured at the page the block search found, the one after the packed
/// start. The result must meet a stage no later than the first feasible
/// one; the model does not search packed placements itself, so with no
/// feasible stage any stage will do.
fn check_packed_stage(
    model: &Model,
    req: &AllocRequest,
    verdict: AllocVerdict,
    a: PhysAddr,
    place: Place,
) -> Option<Violation> {
    let found_block = page_up(a).unwrap_or(a);
    let last_allowed = match verdict {
        AllocVerdict::Feasible { stage, .. } => Some(stage),
        _ => None,
    };
    let met = Stage::of_request(req)
        .filter(|s| last_allowed.is_none_or(|last| *s <= last))
        .any(|s| model.satisfies_stage_from(req, s, a, found_block));
    if met {
        return None;
    }
    violation(
        FindingKind::OutOfNode,
        "packed-off-stage",
        format!(
            "packed {place} meets no stage up to {:?} (node {:?}, goal {:#x})",
            last_allowed, req.nid, req.goal
        ),
    )
}

fn overlap_class(state: State) -> &'static str {
    match state {
        State::Free => "over-free",
        State::Reserved => "over-reserved",
        State::Allocated(_) => "over-allocated",
        State::Slack(_) => "over-slack",
        State::Metadata => "over-metadata",
    }
}

/// Checks that `a` lands in the first feasible stage, then the canonical
/// placement of that stage.
fn check_stage(
    model: &Model,
    profile: &Profile,
    req: &AllocRequest,
    verdict: AllocVerdict,
    a: PhysAddr,
    place: Place,
    foot: Range,
) -> Option<Violation> {
    let AllocVerdict::Feasible {
        stage,
        lowest,
        highest,
    } = verdict
    else {
        if req.policy == NodePolicy::Exact && req.nid.is_some_and(|n| !model.only_on_node(foot, n))
        {
            return violation(
                FindingKind::OutOfNode,
                "left-exact-node",
                format!(
                    "{place} is on nodes {:?}, not on the exact node {:?}",
                    model.nodes_of(foot),
                    req.nid
                ),
            );
        }
        return violation(
            FindingKind::WrongOutcome,
            "success-while-infeasible",
            format!("{place} succeeded, but the model found no feasible placement"),
        );
    };
    if !model.satisfies_stage(req, stage, a) {
        let off_node = stage.on_node() && req.nid.is_some_and(|n| !model.only_on_node(foot, n));
        return if off_node {
            violation(
                FindingKind::OutOfNode,
                "left-node",
                format!(
                    "{place} is on nodes {:?}, but node {:?} had room (stage {})",
                    model.nodes_of(foot),
                    req.nid,
                    stage as u8
                ),
            )
        } else {
            violation(
                FindingKind::Goal,
                "result-below-goal",
                format!(
                    "{place} is below the goal {:#x}, but stage {} had room at {lowest:#x}",
                    req.goal, stage as u8
                ),
            )
        };
    }
    let want = match profile.placement {
        Placement::Lowest => lowest,
        Placement::Highest => highest,
        Placement::Historical => return None,
    };
    if a != want {
        let class = match profile.placement {
            Placement::Highest => "not-highest",
            _ => "not-lowest",
        };
        return violation(
            FindingKind::Placement,
            class,
            format!(
                "{place}: the {class} rule of stage {} wants {want:#x}",
                stage as u8
            ),
        );
    }
    None
}

/// Checks `release_all` (SPEC section 3 and 6): every expected page handed
/// over once, nothing taken handed over, and the count right.
pub fn check_release(
    model: &Model,
    profile: &Profile,
    released: &[Range],
    count: u64,
) -> Option<Violation> {
    let metadata_released = profile.metadata == MetadataHandoff::Released;
    let mut sunk: Vec<Range> = released.to_vec();
    sunk.sort();
    let mut pages: u64 = 0;
    for (i, r) in sunk.iter().enumerate() {
        if !bootmem::range::is_page_aligned(r.start()) || !bootmem::range::is_page_aligned(r.end())
        {
            return violation(
                FindingKind::WrongOutcome,
                "released-partial-page",
                format!("released {r}, which is not whole pages"),
            );
        }
        if let Some(prev) = i.checked_sub(1).and_then(|p| sunk.get(p)) {
            if prev.overlaps(*r) {
                return violation(
                    FindingKind::DoubleRelease,
                    "page-released-twice",
                    format!("{prev} and {r} were both released"),
                );
            }
        }
        if !model.is_ram(*r) {
            return violation(
                FindingKind::OutsideMemory,
                "released-hole",
                format!("released {r}, which is not all usable RAM"),
            );
        }
        if let Some(seg) = model.pieces(*r).find(|s| {
            !(s.state == State::Free || (metadata_released && s.state == State::Metadata))
        }) {
            return violation(
                FindingKind::DoubleRelease,
                "taken-page-released",
                format!(
                    "released {r}, which holds {} bytes at {}",
                    seg.state.name(),
                    seg.range
                ),
            );
        }
        pages += r.len() / PAGE_SIZE;
    }
    let expected = model.expected_release(metadata_released);
    let sunk_merged = crate::model::merge_ranges(sunk.into_iter());
    // Judge each run by what was missed, not by the whole run, and report
    // lost free pages before unreleased metadata: a node skipped at hand-off
    // loses both, and its free pages are what the buddy allocator misses.
    let mut missed_metadata = None;
    for want in &expected {
        let missed = uncovered(*want, &sunk_merged);
        if missed.is_empty() {
            continue;
        }
        let lost_free = missed
            .iter()
            .any(|gap| model.pieces(*gap).any(|s| s.state == State::Free));
        if lost_free {
            return violation(
                FindingKind::LostPages,
                "free-pages-not-released",
                format!("free pages in {want} were not released"),
            );
        }
        missed_metadata.get_or_insert(*want);
    }
    if let Some(want) = missed_metadata {
        return violation(
            FindingKind::Metadata,
            "metadata-not-released",
            format!("metadata pages in {want} were not released"),
        );
    }
    if pages != count {
        return violation(
            FindingKind::WrongOutcome,
            "release-count",
            format!("release_all returned {count}, but handed over {pages} pages"),
        );
    }
    None
}

/// The parts of `want` that no range of `covers` (sorted, merged) holds.
fn uncovered(want: Range, covers: &[Range]) -> Vec<Range> {
    let mut gaps = Vec::new();
    let mut at = want.start();
    for c in covers {
        if c.end() <= at || c.start() >= want.end() {
            continue;
        }
        if c.start() > at {
            gaps.extend(Range::new(at, c.start()));
        }
        at = at.max(c.end());
    }
    if at < want.end() {
        gaps.extend(Range::new(at, want.end()));
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> Range {
        Range::new(start, end).unwrap_or_else(|| panic!("bad range {start:#x}..{end:#x}"))
    }

    #[test]
    fn uncovered_lists_the_gaps_of_a_run_between_the_released_ranges() {
        //   want     [0x1000 ........................ 0x9000)
        //   released        [0x3000 0x4000)  [0x6000 ......... 0xa000)
        //   missed   [0x1000 0x3000)  [0x4000 0x6000)
        let covers = [r(0x3000, 0x4000), r(0x6000, 0xa000)];
        assert_eq!(
            uncovered(r(0x1000, 0x9000), &covers),
            vec![r(0x1000, 0x3000), r(0x4000, 0x6000)]
        );
        assert_eq!(uncovered(r(0x3000, 0x4000), &covers), vec![]);
        assert_eq!(
            uncovered(r(0xa000, 0xb000), &covers),
            vec![r(0xa000, 0xb000)]
        );
    }
}
