//! Judging one answer: what the model says a call must return and do,
//! and whether memblock's answer is that (v6.18 `mm/memblock.c`). The
//! result is the [`Effect`] the model then applies, or the violation.

use super::attempts::{attempts, Attempt};
use super::model::{capped_end, Label, Model};
use super::ops::NativeOp;
use super::oracle::Answer;
use crate::check::Violation;
use crate::finding::FindingKind;
use bootmem::memblock::{Array, Flags, Memblock, MemblockError};
use bootmem::range::align_down;
use bootmem::{PhysAddr, PAGE_SIZE};

/// What the model does after an accepted call (after any array moves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Effect {
    /// Nothing changes.
    Nothing,
    /// `[start, end)` gets one of `labels` where uncovered (several when
    /// the oracle cannot tell which allocation attempt succeeded).
    Fill {
        which: Array,
        start: PhysAddr,
        end: PhysAddr,
        labels: Vec<Label>,
    },
    /// `[start, end)` is uncovered.
    Cut {
        which: Array,
        start: PhysAddr,
        end: PhysAddr,
    },
    /// `memblock_set_bottom_up`.
    BottomUp(bool),
    /// `memblock_set_current_limit`.
    Limit(PhysAddr),
    /// `memblock_allow_resize`.
    Resize,
}

/// A condition on the state after the call's array moves, checked once
/// the oracle knows that state: a failure blamed on a full array is only
/// right when no new array of `bytes` fits outside any of `avoid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct NoRoom {
    /// The array that could not grow.
    pub(super) which: Array,
    /// The size of its next array.
    pub(super) bytes: u64,
    /// The ranges each failed doubling had to avoid.
    pub(super) avoid: Vec<Option<(PhysAddr, PhysAddr)>>,
}

/// Whether array `which` has room for `needed` regions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Room {
    /// It has room.
    Enough,
    /// It must grow and `memblock_allow_resize()` was not called.
    Blocked(Array),
    /// It must grow and may.
    Grows(Array),
}

/// Whether array `which` of `mb`, as it was before the call, has room for
/// `needed` regions (`None`: the call inserts nothing), and if not whether
/// it may grow.
fn room(pre: &Model, mb: &Memblock, which: Array, needed: Option<usize>) -> Room {
    match needed {
        Some(n) if n > mb.array(which).max() => {
            if pre.can_resize {
                Room::Grows(which)
            } else {
                Room::Blocked(which)
            }
        }
        _ => Room::Enough,
    }
}

/// A violation of `kind`.
pub(super) fn fail(kind: FindingKind, class: &'static str, detail: String) -> Violation {
    Violation {
        kind,
        class,
        detail,
    }
}

/// A `wrong-outcome` violation.
pub(super) fn wrong(class: &'static str, detail: String) -> Violation {
    fail(FindingKind::WrongOutcome, class, detail)
}

/// The effect an accepted answer has on the model and the condition its
/// failure must meet, or why the answer is wrong.
pub(super) type Judged = Result<(Effect, Option<NoRoom>), Violation>;

/// Judges `answer` against the model before the call (`pre`) and, where an
/// array had to grow, the plain state after the moves (`moved`).
pub(super) fn judge(
    op: &NativeOp,
    pre: &Model,
    moved: &Model,
    before: &Memblock,
    after: &Memblock,
    answer: Answer,
    any_moved: bool,
) -> Judged {
    if let Some(MemblockError::ArrayOverflow(a)) = answer.error() {
        return Err(wrong(
            "array-overflow",
            format!(
                "hit memblock_insert_region's BUG_ON(type->cnt >= type->max) on the {} array",
                a.name()
            ),
        ));
    }
    let query = |class, want: bool| match answer {
        Answer::Bool(got) if got == want => Ok((Effect::Nothing, None)),
        _ => Err(wrong(
            class,
            format!("returned {answer:?}, expected {want}"),
        )),
    };
    match *op {
        NativeOp::AddNode { base, size, nid } => {
            let label = Label {
                nid,
                flags: Flags::NONE,
            };
            judge_add(pre, before, after, answer, Array::Memory, base, size, label)
        }
        NativeOp::Add { base, size } => judge_add(
            pre,
            before,
            after,
            answer,
            Array::Memory,
            base,
            size,
            Label::PLAIN,
        ),
        NativeOp::Reserve { base, size } => judge_add(
            pre,
            before,
            after,
            answer,
            Array::Reserved,
            base,
            size,
            Label::PLAIN,
        ),
        NativeOp::Remove { base, size } => {
            judge_remove(pre, before, after, answer, Array::Memory, base, size)
        }
        NativeOp::Free { base, size } => {
            judge_remove(pre, before, after, answer, Array::Reserved, base, size)
        }
        NativeOp::PhysAllocRange { .. }
        | NativeOp::AllocTryNid { .. }
        | NativeOp::AllocExactNid { .. } => {
            judge_alloc(op, pre, moved, before, after, answer, any_moved)
        }
        NativeOp::SetBottomUp(enable) => Ok((Effect::BottomUp(enable), None)),
        NativeOp::SetCurrentLimit(limit) => Ok((Effect::Limit(limit), None)),
        NativeOp::AllowResize => Ok((Effect::Resize, None)),
        NativeOp::IsRegionReserved { base, size } => query(
            "is-region-reserved-wrong",
            pre.overlaps(Array::Reserved, base, size),
        ),
        NativeOp::IsRegionMemory { base, size } => {
            query("is-region-memory-wrong", pre.is_region_memory(base, size))
        }
        NativeOp::Overlaps { which, base, size } => {
            query("overlaps-wrong", pre.overlaps(which, base, size))
        }
    }
}

/// `memblock_add_range` into `which` (add, add_node, reserve).
#[allow(clippy::too_many_arguments)]
fn judge_add(
    pre: &Model,
    before: &Memblock,
    after: &Memblock,
    answer: Answer,
    which: Array,
    base: PhysAddr,
    size: u64,
    label: Label,
) -> Judged {
    let end = capped_end(base, size);
    let effect = Effect::Fill {
        which,
        start: base,
        end,
        labels: vec![label],
    };
    let room = room(pre, before, which, pre.add_needs(which, base, size));
    judge_unit(room, answer, effect, after, (base, end))
}

/// `memblock_remove_range` from `which` (remove, phys_free).
fn judge_remove(
    pre: &Model,
    before: &Memblock,
    after: &Memblock,
    answer: Answer,
    which: Array,
    base: PhysAddr,
    size: u64,
) -> Judged {
    let end = capped_end(base, size);
    let effect = Effect::Cut {
        which,
        start: base,
        end,
    };
    let room = room(pre, before, which, pre.isolate_needs(which, base, size));
    judge_unit(room, answer, effect, after, (base, end))
}

/// An `int` call that changes one array: 0 when there is room or the
/// array could grow; `CannotResize` when it must grow and may not; a
/// failed doubling (`NoSpace`) only when no new array fits.
fn judge_unit(
    room: Room,
    answer: Answer,
    effect: Effect,
    after: &Memblock,
    (base, end): (PhysAddr, PhysAddr),
) -> Judged {
    let Answer::Unit(result) = answer else {
        return Err(wrong("wrong-answer-type", format!("{answer:?}")));
    };
    match (room, result) {
        (Room::Enough, Ok(())) | (Room::Grows(_), Ok(())) => Ok((effect, None)),
        (Room::Enough, Err(e)) => Err(wrong(
            "refused-valid-call",
            format!("returned {e:?}; the array had room"),
        )),
        (Room::Blocked(w), Err(MemblockError::CannotResize(e))) if e == w => {
            Ok((Effect::Nothing, None))
        }
        (Room::Blocked(w), Ok(())) => Err(wrong(
            "accepted-bad-call",
            format!(
                "returned 0; the {} array is full and memblock_allow_resize() was not called",
                w.name()
            ),
        )),
        (Room::Grows(w), Err(MemblockError::NoSpace(e))) if e == w => {
            let bytes = Memblock::array_bytes(after.array(w).max().saturating_mul(2));
            let avoid = match w {
                Array::Reserved => Some((base, end)),
                Array::Memory => None,
            };
            Ok((
                Effect::Nothing,
                bytes.map(|bytes| NoRoom {
                    which: w,
                    bytes,
                    avoid: vec![avoid],
                }),
            ))
        }
        (Room::Grows(_), Err(MemblockError::ReserveNewArray(_))) => Ok((Effect::Nothing, None)),
        (_, Err(e)) => Err(wrong(
            "wrong-error",
            format!("returned {e:?}; expected {room:?}"),
        )),
    }
}

fn judge_alloc(
    op: &NativeOp,
    pre: &Model,
    moved: &Model,
    before: &Memblock,
    after: &Memblock,
    answer: Answer,
    any_moved: bool,
) -> Judged {
    let (Some((size, align, attempts)), Answer::Addr(result)) =
        (attempts(op, pre.current_limit), answer)
    else {
        return Err(wrong("wrong-answer-type", format!("{answer:?}")));
    };
    let nothing = Ok((Effect::Nothing, None));
    if !align.is_power_of_two() {
        return match result {
            Err(MemblockError::BadAlign) => nothing,
            other => Err(wrong(
                "accepted-bad-call",
                format!("returned {other:?} for alignment {align:#x}, expected BadAlign"),
            )),
        };
    }
    if size == 0 {
        return match result {
            Ok(_) | Err(MemblockError::NoMemory) => nothing,
            Err(e) => Err(wrong("wrong-error", format!("returned {e:?} for size 0"))),
        };
    }
    let found = |state: &Model| -> Vec<Option<PhysAddr>> {
        attempts
            .iter()
            .map(|t| state.find(size, align, (t.start, t.end), t.nid))
            .collect()
    };
    let candidates = found(pre);
    let first = candidates
        .iter()
        .enumerate()
        .find_map(|(k, c)| c.map(|c| (k, c)));
    let needed = (first.is_some() && !pre.reserved.is_empty()).then(|| pre.reserved.len() + 1);
    let fill = |a: PhysAddr, labels: Vec<Label>| Effect::Fill {
        which: Array::Reserved,
        start: a,
        end: a.saturating_add(size),
        labels,
    };
    let expected = first.map_or("NoMemory".to_string(), |(_, c)| format!("{c:#x}"));
    let misplaced = |a| {
        misplaced(
            pre,
            a,
            size,
            align,
            &attempts,
            first.map(|(k, _)| k),
            &expected,
        )
    };
    match (room(pre, before, Array::Reserved, needed), result) {
        (Room::Enough, Ok(a)) => match first {
            Some((k, c)) if c == a => Ok((fill(a, vec![Label::kern(attempts[k].reserve_nid)]), None)),
            _ => Err(misplaced(a)),
        },
        (Room::Enough, Err(MemblockError::NoMemory)) if first.is_none() => nothing,
        (Room::Enough, Err(MemblockError::NoMemory)) => Err(fail(
            FindingKind::SpuriousFailure,
            "failed-with-room",
            format!("returned NoMemory, expected {expected}"),
        )),
        (Room::Enough, Err(e)) => Err(wrong(
            if first.is_some() {
                "refused-valid-call"
            } else {
                "wrong-error"
            },
            format!("returned {e:?}, expected {expected}"),
        )),
        (Room::Blocked(_), Err(MemblockError::CannotResize(Array::Reserved))) => nothing,
        (Room::Blocked(_), Ok(a)) => Err(wrong(
            "accepted-bad-call",
            format!(
                "returned {a:#x}; the reserved array is full and memblock_allow_resize() was not called"
            ),
        )),
        (Room::Grows(_), Ok(a)) => {
            let after_moves = found(moved);
            let mut labels: Vec<Label> = attempts
                .iter()
                .zip(candidates.iter().zip(&after_moves))
                .filter(|(_, (c, d))| **c == Some(a) || **d == Some(a))
                .map(|(t, _)| Label::kern(t.reserve_nid))
                .collect();
            labels.dedup();
            if labels.is_empty() {
                return Err(misplaced(a));
            }
            Ok((fill(a, labels), None))
        }
        (Room::Grows(_), Err(MemblockError::NoMemory)) if !any_moved => {
            let bytes = Memblock::array_bytes(after.reserved().max().saturating_mul(2));
            let avoid = candidates
                .iter()
                .flatten()
                .map(|&c| Some((c, c.saturating_add(size))))
                .collect();
            Ok((
                Effect::Nothing,
                bytes.map(|bytes| NoRoom {
                    which: Array::Reserved,
                    bytes,
                    avoid,
                }),
            ))
        }
        (Room::Grows(_), Err(MemblockError::NoMemory | MemblockError::ReserveNewArray(_))) => {
            nothing
        }
        (room, Err(e)) => Err(wrong(
            "wrong-error",
            format!("returned {e:?}, expected {expected} ({room:?})"),
        )),
    }
}

/// Why `a` is not the block the model expected: the first rule it breaks,
/// from "not even memory" to "a valid block, but not the policy's".
fn misplaced(
    pre: &Model,
    a: PhysAddr,
    size: u64,
    align: u64,
    attempts: &[Attempt],
    expected_attempt: Option<usize>,
    expected: &str,
) -> Violation {
    let end = a.checked_add(size);
    let (kind, class, why) = match end {
        _ if align_down(a, align) != Some(a) => (
            FindingKind::Misaligned,
            "misaligned",
            format!("is not a multiple of {align:#x}"),
        ),
        Some(end) if pre.memory.holes(a, end).is_empty() => {
            if pre.memory.holding(a).is_none_or(|m| m.end < end) {
                (
                    FindingKind::OutsideMemory,
                    "spans-regions",
                    "spans two memory regions".to_string(),
                )
            } else if pre.reserved.intersects(a, end) {
                (
                    FindingKind::Overlap,
                    "over-reserved",
                    "overlaps reserved bytes".to_string(),
                )
            } else if a < PAGE_SIZE {
                (
                    FindingKind::Limit,
                    "first-page",
                    "starts in the first page".to_string(),
                )
            } else {
                unfit(pre, a, end, size, align, attempts, expected_attempt)
            }
        }
        _ => (
            FindingKind::OutsideMemory,
            "outside-memory",
            "is not all memory".to_string(),
        ),
    };
    fail(
        kind,
        class,
        format!("returned {a:#x}, which {why}; expected {expected}"),
    )
}

/// A free, aligned block the model did not pick: which promise it breaks.
fn unfit(
    pre: &Model,
    a: PhysAddr,
    end: PhysAddr,
    size: u64,
    align: u64,
    attempts: &[Attempt],
    expected_attempt: Option<usize>,
) -> (FindingKind, &'static str, String) {
    let fits = attempts
        .iter()
        .position(|t| pre.fits(a, size, align, (t.start, t.end), t.nid));
    let windows: Vec<_> = attempts
        .iter()
        .map(|t| pre.window(t.start, t.end))
        .collect();
    let lowest = windows.iter().map(|w| w.0).min().unwrap_or(PAGE_SIZE);
    let highest = windows.iter().map(|w| w.1).max().unwrap_or(u64::MAX);
    match (fits, expected_attempt) {
        _ if end > highest => (
            FindingKind::Limit,
            "past-end",
            format!("ends past {highest:#x}"),
        ),
        _ if a < lowest => (
            FindingKind::Limit,
            "below-start",
            format!("starts below {lowest:#x}"),
        ),
        (None, _) => (
            FindingKind::OutOfNode,
            "wrong-node",
            "is on a node no attempt may use".to_string(),
        ),
        (Some(j), Some(k)) if j > k && attempts[j].nid != attempts[k].nid => (
            FindingKind::OutOfNode,
            "wrong-node",
            "is on another node while the preferred node had room".to_string(),
        ),
        (Some(j), Some(k)) if j > k => (
            FindingKind::Goal,
            "below-min",
            "is below min_addr while there was room above it".to_string(),
        ),
        _ if pre.bottom_up => (
            FindingKind::Placement,
            "not-lowest-fit",
            "is not the lowest fit (bottom-up)".to_string(),
        ),
        _ => (
            FindingKind::Placement,
            "not-highest-fit",
            "is not the highest fit (top-down)".to_string(),
        ),
    }
}
