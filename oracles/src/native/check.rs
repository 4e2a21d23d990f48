//! The checks run after every native call, one function per check, each
//! returning the first [`Violation`] it sees: the arrays' own invariants,
//! the doubled arrays' size and placement, and the arrays' bytes against
//! the model's.

use super::model::{Label, Model, Spans};
use crate::check::Violation;
use crate::finding::FindingKind;
use bootmem::memblock::{Array, Memblock, RegionArray};
use bootmem::{PhysAddr, Range, PAGE_SIZE};

fn violation(kind: FindingKind, class: &'static str, detail: String) -> Option<Violation> {
    Some(Violation {
        kind,
        class,
        detail,
    })
}

/// The invariants v6.18 keeps for a region array (`memblock_merge_regions`
/// BUG_ONs on the first two, `memblock_insert_region` on the count): every
/// region non-empty and below 2^64, regions sorted and disjoint, no two
/// touching regions of equal node and flags (they would have been merged),
/// `cnt <= max`, and `total_size` the sum of the sizes.
pub fn array_invariants(array: &RegionArray) -> Option<Violation> {
    let name = array.name();
    let meta = FindingKind::Metadata;
    if array.cnt() > array.max() {
        return violation(
            meta,
            "cnt-over-max",
            format!(
                "{name}: {} regions in room for {}",
                array.cnt(),
                array.max()
            ),
        );
    }
    let regions = array.regions();
    for r in regions {
        if r.size() == 0 {
            return violation(
                meta,
                "empty-region",
                format!("{name}: empty region at {:#x}", r.base()),
            );
        }
        if r.base().checked_add(r.size()).is_none() {
            return violation(
                meta,
                "region-wraps",
                format!("{name}: region {:#x}+{:#x} passes 2^64", r.base(), r.size()),
            );
        }
    }
    for pair in regions.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.end() > b.base() {
            return violation(
                meta,
                "regions-unsorted-or-overlapping",
                format!("{name}: {:?} then {:?}", a.range(), b.range()),
            );
        }
        if a.end() == b.base() && a.nid() == b.nid() && a.flags() == b.flags() {
            return violation(
                meta,
                "region-not-merged",
                format!(
                    "{name}: {:?} and {:?} touch with node {:?} and flags {:?} but are two regions",
                    a.range(),
                    b.range(),
                    a.nid(),
                    a.flags()
                ),
            );
        }
    }
    let sum = regions
        .iter()
        .try_fold(0u64, |sum, r| sum.checked_add(r.size()));
    if sum != Some(array.total_size()) {
        return violation(
            meta,
            "total-size-wrong",
            format!(
                "{name}: total_size {:#x}, regions sum to {sum:?}",
                array.total_size()
            ),
        );
    }
    None
}

/// Where an array was before a call and where it is after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Which array.
    pub which: Array,
    /// The bytes it occupied before the call (`None`: the static array).
    pub before: Option<Range>,
    /// Its `max` before the call.
    pub max_before: usize,
    /// The bytes it occupies after the call.
    pub after: Option<Range>,
    /// Its `max` after the call.
    pub max_after: usize,
}

impl Placement {
    /// Both arrays' placements, `before` taken from `earlier`.
    pub fn both(earlier: &Memblock, now: &Memblock) -> [Placement; 2] {
        [Array::Memory, Array::Reserved].map(|which| Placement {
            which,
            before: earlier.array(which).placement(),
            max_before: earlier.array(which).max(),
            after: now.array(which).placement(),
            max_after: now.array(which).max(),
        })
    }

    /// The new bytes when the array was reallocated during the call. A
    /// doubled array may take the very bytes of the old one (when a caller
    /// freed them, or both round to the same pages), so a doubled `max`
    /// counts as a move too.
    pub fn moved_to(&self) -> Option<Range> {
        self.after
            .filter(|_| self.after != self.before || self.max_after != self.max_before)
    }
}

/// The size of an array after a call (`memblock_double_array`): `max`
/// changes only when the array moves, and then only by doubling (once or
/// more); a moved array takes `PAGE_ALIGN(max * sizeof(struct
/// memblock_region))` bytes.
pub fn array_size(p: &Placement) -> Option<Violation> {
    let name = p.which.name();
    let meta = FindingKind::Metadata;
    let moved = p.moved_to().is_some();
    let doubled = p.max_after > p.max_before
        && p.max_after % p.max_before.max(1) == 0
        && (p.max_after / p.max_before.max(1)).is_power_of_two();
    if (moved && !doubled) || (!moved && p.max_after != p.max_before) {
        return violation(
            meta,
            "array-size-wrong",
            format!(
                "{name}: max {} -> {} while the array {}",
                p.max_before,
                p.max_after,
                if moved { "moved" } else { "stayed" }
            ),
        );
    }
    if let Some(r) = p.after {
        if Some(r.len()) != Memblock::array_bytes(p.max_after) {
            return violation(
                meta,
                "array-size-wrong",
                format!("{name}: {r:?} for {} regions", p.max_after),
            );
        }
    }
    None
}

/// Where `memblock_double_array` may put a new array (v6.18): a
/// page-aligned block at or above `PAGE_SIZE`, ending at or below
/// `current_limit`, inside one memory region, on bytes that were free
/// before the call or belonged to an array that moved away in it. A new
/// reserved array never lies in `new_area`, the range the call is about
/// to reserve (48c3b583bbdd: the search goes above it, then below it).
///
/// The memory array and the reserved array may land on each other: the
/// reserved array's search can run while the new memory array is not yet
/// reserved (the mainline quirk documented in `bootmem::memblock`).
pub fn array_placement(
    p: &Placement,
    before: &Model,
    moved_away: &[Range],
    new_area: Option<(PhysAddr, PhysAddr)>,
) -> Option<Violation> {
    let new = p.moved_to()?;
    let name = p.which.name();
    let meta = FindingKind::Metadata;
    let bad = |class, why: &str| violation(meta, class, format!("new {name} array {new:?} {why}"));
    if new.start() % PAGE_SIZE != 0 {
        return bad("array-misaligned", "is not page-aligned");
    }
    if new.start() < PAGE_SIZE {
        return bad("array-in-first-page", "starts below PAGE_SIZE");
    }
    if new.end() > before.current_limit {
        return bad(
            "array-past-limit",
            &format!("ends past current_limit {:#x}", before.current_limit),
        );
    }
    if before
        .memory
        .holding(new.start())
        .is_none_or(|m| m.end < new.end())
    {
        return bad("array-outside-memory", "is not inside one memory region");
    }
    let mut taken = before.reserved.clone();
    for r in moved_away {
        taken.cut(r.start(), r.end());
    }
    if taken.intersects(new.start(), new.end()) {
        return bad(
            "array-over-reserved",
            "covers bytes reserved before the call",
        );
    }
    if let (Array::Reserved, Some((start, end))) = (p.which, new_area) {
        if new.start() < end && start < new.end() {
            return bad(
                "array-in-new-range",
                &format!("lies in [{start:#x}, {end:#x}), the range being reserved"),
            );
        }
    }
    None
}

/// Where memblock's view of array `which` differs from the model's, as a
/// finding: first any bytes the model holds that memblock lost (for the
/// reserved array, what would be handed out again), then any bytes memblock
/// holds that the model does not, then bytes both hold with other labels;
/// the lowest such range of the first kind found.
pub fn same_bytes(which: Array, model: &Spans, memblock: &Spans) -> Option<Violation> {
    let mut edges: Vec<PhysAddr> = model
        .spans()
        .iter()
        .chain(memblock.spans())
        .flat_map(|s| [s.start, s.end])
        .collect();
    edges.sort_unstable();
    edges.dedup();
    let differences: Vec<_> = edges
        .windows(2)
        .map(|w| (model.label_at(w[0]), memblock.label_at(w[0]), w[0], w[1]))
        .filter(|(m, b, ..)| m != b)
        .collect();
    let (m, b, at, to) = differences
        .iter()
        .find(|(m, b, ..)| m.is_some() && b.is_none())
        .or_else(|| differences.iter().find(|(m, ..)| m.is_none()))
        .or_else(|| differences.first())
        .copied()?;
    let show = |l: Option<Label>| match l {
        None => "absent".to_string(),
        Some(l) => format!("node {:?} flags {:?}", l.nid, l.flags),
    };
    let detail = format!(
        "{} [{at:#x}, {to:#x}): model {}, memblock {}",
        which.name(),
        show(m),
        show(b)
    );
    let (kind, class) = match (which, m.is_some(), b.is_some()) {
        (Array::Memory, true, false) => (FindingKind::LostPages, "memory-lost"),
        (Array::Memory, false, _) => (FindingKind::OutsideMemory, "memory-extra"),
        (Array::Memory, true, true) => (FindingKind::OutOfNode, "memory-node-differs"),
        (Array::Reserved, true, false) => (FindingKind::Overlap, "reserved-lost"),
        (Array::Reserved, false, _) => (FindingKind::WrongOutcome, "reserved-extra"),
        (Array::Reserved, true, true) => (FindingKind::WrongOutcome, "reserved-label-differs"),
    };
    violation(kind, class, detail)
}

/// The settings memblock reports must be the ones set.
pub fn same_settings(model: &Model, mb: &Memblock) -> Option<Violation> {
    let got = (mb.bottom_up(), mb.current_limit(), mb.can_resize());
    let want = (model.bottom_up, model.current_limit, model.can_resize);
    (got != want).then(|| Violation {
        kind: FindingKind::WrongOutcome,
        class: "setting-not-kept",
        detail: format!("(bottom_up, current_limit, can_resize): memblock {got:?}, model {want:?}"),
    })
}
