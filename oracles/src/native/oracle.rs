//! The oracle: plays native calls against [`Memblock`] and the [`Model`]
//! side by side and, after every call, judges the call's answer, the
//! arrays' invariants, the doubled arrays, the settings, and the arrays'
//! bytes against the model's.
//!
//! # Exact where the model can be, valid elsewhere
//!
//! The model decides every answer exactly except when an array must grow
//! while resizing is allowed: `memblock_double_array` (v6.18) then places
//! a new array by its own search, possibly twice, possibly failing half
//! way. There the oracle watches instead of predicting: an array that
//! moved must have moved to a valid place ([`check::array_placement`]),
//! its old bytes are freed and its new bytes reserved in the model; a
//! result must be one an attempt could have found; a failure must leave no
//! room for the new array. Three faithful v6.18 outcomes are accepted
//! there and only there (see [`super::moves`]): the old array's bytes stay
//! reserved when freeing them needed a reserved array that could not grow
//! (`memblock_double_array` ignores that failure); the new array's bytes
//! stay unreserved when the call failed reserving them (the kernel's
//! `BUG_ON`, here [`MemblockError::ReserveNewArray`]); and a new array's
//! bytes may lose their reservation when the other array doubled more than
//! once in the same call (its intermediate array, freed before the call
//! returns, can share them).
//!
//! The judgement of each answer is in [`super::judge`], the allocation
//! attempts in [`super::attempts`], the array moves in [`super::moves`].
//!
//! A zero-size allocation is not judged beyond "nothing changes": v6.18
//! returns whatever the search arithmetic gives for size 0 and reserves
//! nothing.

use super::check::{self, Placement};
use super::judge::{fail, judge};
use super::model::{capped_end, Model, Spans};
use super::moves::{adopt, moved_states};
use super::ops::{NativeCalls, NativeOp};
use super::BACKEND;
use crate::check::Violation;
use crate::finding::{Finding, FindingKind};
use crate::guard::guarded;
use crate::scenario::OpKind;
use bootmem::memblock::{Array, Flags, Memblock, MemblockError};
use bootmem::{BugSet, PhysAddr, Range};

/// Plays `calls` on a memblock with `bugs` planted and returns the first
/// finding, `None` when every call did what v6.18 does. Deterministic.
pub fn run(calls: &NativeCalls, bugs: BugSet) -> Option<Finding> {
    let mut mb =
        Memblock::with_capacities(calls.memory_regions, calls.reserved_regions).with_bugs(bugs);
    let mut model = Model::new();
    let rooms = (mb.memory().max(), mb.reserved().max());
    if rooms != (calls.memory_regions, calls.reserved_regions) {
        return Some(Finding {
            kind: FindingKind::Metadata,
            backend: BACKEND,
            op_index: None,
            op_kind: OpKind::Setup,
            class: "array-size-wrong",
            detail: format!(
                "static arrays with room for {rooms:?} regions, asked for ({}, {})",
                calls.memory_regions, calls.reserved_regions
            ),
        });
    }
    for (i, op) in calls.ops.iter().enumerate() {
        if let Err(v) = step(&mut mb, &mut model, op) {
            return Some(Finding {
                kind: v.kind,
                backend: BACKEND,
                op_index: Some(i),
                op_kind: op.op_kind(),
                class: v.class,
                detail: format!("{op} {}", v.detail),
            });
        }
    }
    None
}

/// What a native call returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Answer {
    /// An `int` call: 0 or an error.
    Unit(Result<(), MemblockError>),
    /// An allocation: an address or the failure.
    Addr(Result<PhysAddr, MemblockError>),
    /// A query.
    Bool(bool),
}

impl Answer {
    /// The error, if the call returned one.
    pub(super) fn error(self) -> Option<MemblockError> {
        match self {
            Answer::Unit(Err(e)) | Answer::Addr(Err(e)) => Some(e),
            _ => None,
        }
    }
}

fn call(mb: &mut Memblock, op: &NativeOp) -> Answer {
    use Answer::{Addr, Bool, Unit};
    match *op {
        NativeOp::AddNode { base, size, nid } => Unit(mb.add_node(base, size, nid, Flags::NONE)),
        NativeOp::Add { base, size } => Unit(mb.add(base, size)),
        NativeOp::Reserve { base, size } => Unit(mb.reserve(base, size)),
        NativeOp::Remove { base, size } => Unit(mb.remove(base, size)),
        NativeOp::Free { base, size } => Unit(mb.free(base, size)),
        NativeOp::PhysAllocRange {
            size,
            align,
            start,
            end,
        } => Addr(mb.phys_alloc_range(size, align, start, end)),
        NativeOp::AllocTryNid {
            size,
            align,
            min,
            max,
            nid,
        } => Addr(mb.alloc_try_nid(size, align, min, max, nid)),
        NativeOp::AllocExactNid {
            size,
            align,
            min,
            max,
            nid,
        } => Addr(mb.alloc_exact_nid_raw(size, align, min, max, nid)),
        NativeOp::SetBottomUp(enable) => {
            mb.set_bottom_up(enable);
            Unit(Ok(()))
        }
        NativeOp::SetCurrentLimit(limit) => {
            mb.set_current_limit(limit);
            Unit(Ok(()))
        }
        NativeOp::AllowResize => {
            mb.allow_resize();
            Unit(Ok(()))
        }
        NativeOp::IsRegionReserved { base, size } => Bool(mb.is_region_reserved(base, size)),
        NativeOp::IsRegionMemory { base, size } => Bool(mb.is_region_memory(base, size)),
        NativeOp::Overlaps { which, base, size } => Bool(mb.overlaps_region(which, base, size)),
    }
}

/// One call: predict, call, check, and bring the model along.
fn step(mb: &mut Memblock, model: &mut Model, op: &NativeOp) -> Result<(), Violation> {
    let before = mb.clone();
    let answer = guarded(|| call(mb, op)).map_err(|panic| {
        fail(
            FindingKind::BackendPanic,
            "panic",
            format!("panicked: {panic}"),
        )
    })?;
    for which in [Array::Memory, Array::Reserved] {
        if let Some(v) = check::array_invariants(mb.array(which)) {
            return Err(v);
        }
    }
    let placements = Placement::both(&before, mb);
    let moved = placements.iter().any(|p| p.moved_to().is_some());
    let shown = Spans::from_regions(mb.reserved().regions());
    let moves = moved_states(model, &placements, answer, &shown);
    let primary = moves.first().unwrap_or(model);
    let (effect, no_room) = judge(op, model, primary, &before, mb, answer, moved)?;
    let away: Vec<Range> = placements
        .iter()
        .filter(|q| q.moved_to().is_some())
        .filter_map(|q| q.before)
        .collect();
    for p in &placements {
        if let Some(v) = check::array_size(p) {
            return Err(v);
        }
        if let Some(v) = check::array_placement(p, model, &away, new_area(op, answer)) {
            return Err(v);
        }
    }
    let adopted = adopt(&moves, &effect, mb)?;
    if let Some(no_room) = no_room {
        // The state after the moves is the adopted state: a failed call
        // has no effect of its own.
        if no_room
            .avoid
            .iter()
            .any(|avoid| adopted.array_fits(no_room.bytes, *avoid))
        {
            return Err(fail(
                FindingKind::SpuriousFailure,
                "failed-with-room",
                format!(
                    "failed with {answer:?}, but a new {} array of {:#x} bytes fits",
                    no_room.which.name(),
                    no_room.bytes
                ),
            ));
        }
    }
    *model = adopted;
    check::same_settings(model, mb).map_or(Ok(()), Err)
}

/// The range a reservation in this call is about to take, which a new
/// reserved array must avoid.
fn new_area(op: &NativeOp, answer: Answer) -> Option<(PhysAddr, PhysAddr)> {
    match (*op, answer) {
        (NativeOp::Reserve { base, size } | NativeOp::Free { base, size }, _) => {
            Some((base, capped_end(base, size)))
        }
        (_, Answer::Addr(Ok(a))) => {
            let size = alloc_size(op)?;
            Some((a, a.checked_add(size)?)).filter(|_| size > 0)
        }
        _ => None,
    }
}

fn alloc_size(op: &NativeOp) -> Option<u64> {
    match *op {
        NativeOp::PhysAllocRange { size, .. }
        | NativeOp::AllocTryNid { size, .. }
        | NativeOp::AllocExactNid { size, .. } => Some(size),
        _ => None,
    }
}
