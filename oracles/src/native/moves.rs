//! The arrays that moved during a call (`memblock_double_array`, v6.18)
//! and what that did to the reserved bytes: the model states the call may
//! have left, and the one memblock shows.

use super::check::{self, Placement};
use super::judge::{wrong, Effect};
use super::model::{Label, Model, Spans};
use super::oracle::Answer;
use crate::check::Violation;
use bootmem::memblock::{Array, Memblock, MemblockError};
use bootmem::Range;

/// What became of a moved array's new bytes in the reserved array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NewBytes {
    /// Reserved with `MEMBLOCK_RSRV_KERN`, as `memblock_double_array` ends.
    Reserved,
    /// Not reserved: the call failed reserving them.
    Unreserved,
    /// Reserved or not, byte by byte, as memblock shows: the other array
    /// doubled more than once in the call, and freeing its intermediate
    /// array (never seen from outside the call) cut whatever of these
    /// bytes it shared.
    AsShown,
}

/// The model after the call's array moves, before the call's own effect:
/// every combination the v6.18 code allows, the plain one first (each old
/// array freed, each new array reserved with `MEMBLOCK_RSRV_KERN`). Old
/// arrays are freed before new ones are reserved, so when both arrays
/// moved, the old bytes of one never cut the new bytes of the other.
///
/// The other combinations are faithful v6.18 behaviour the oracle cannot
/// predict from outside the call: an old array stays reserved when freeing
/// it needed a reserved array that could not grow (`memblock_double_array`
/// ignores the failure); a new array stays unreserved when the call failed
/// reserving it; and a new reserved array placed on a new memory array
/// that is not yet reserved (the quirk documented in `bootmem::memblock`)
/// loses its reservation when that memory array is itself replaced in the
/// same call ([`NewBytes::AsShown`]).
pub(super) fn moved_states(
    pre: &Model,
    placements: &[Placement; 2],
    answer: Answer,
    shown: &Spans,
) -> Vec<Model> {
    type Choice = (Option<Range>, Range, NewBytes);
    let mut combos: Vec<Vec<Choice>> = vec![Vec::new()];
    for p in placements {
        let Some(new) = p.moved_to() else {
            continue;
        };
        let mut frees = vec![p.before];
        if p.before.is_some() {
            frees.push(None); // the free of the old array failed
        }
        let mut reserves = vec![NewBytes::Reserved];
        if answer.error() == Some(MemblockError::ReserveNewArray(p.which)) {
            reserves.push(NewBytes::Unreserved);
        }
        if placements
            .iter()
            .any(|q| q.which != p.which && q.max_after >= q.max_before.saturating_mul(4))
        {
            reserves.push(NewBytes::AsShown);
        }
        let mut next = Vec::new();
        for combo in &combos {
            for &free in &frees {
                for &reserve in &reserves {
                    let mut c = combo.clone();
                    c.push((free, new, reserve));
                    next.push(c);
                }
            }
        }
        combos = next;
    }
    combos
        .into_iter()
        .map(|combo| {
            let mut s = pre.clone();
            for old in combo.iter().filter_map(|c| c.0) {
                s.reserved.cut(old.start(), old.end());
            }
            for &(_, new, what) in &combo {
                match what {
                    NewBytes::Reserved => {
                        s.reserved.fill(new.start(), new.end(), Label::kern(None));
                    }
                    NewBytes::Unreserved => {}
                    NewBytes::AsShown => {
                        s.reserved.cut(new.start(), new.end());
                        for span in shown.spans() {
                            let (start, end) =
                                (span.start.max(new.start()), span.end.min(new.end()));
                            if start < end {
                                s.reserved.fill(start, end, span.label);
                            }
                        }
                    }
                }
            }
            s
        })
        .collect()
}

/// Applies `effect` to each state of `moves` and returns the first that
/// matches memblock's arrays; when none does, the difference from the
/// plain one.
pub(super) fn adopt(moves: &[Model], effect: &Effect, mb: &Memblock) -> Result<Model, Violation> {
    let memory = Spans::from_regions(mb.memory().regions());
    let reserved = Spans::from_regions(mb.reserved().regions());
    let mut first = None;
    for state in moves {
        for after in apply(state, effect) {
            if after.memory == memory && after.reserved == reserved {
                return Ok(after);
            }
            first.get_or_insert(after);
        }
    }
    let Some(want) = first else {
        return Err(wrong("no-model-state", String::new()));
    };
    Err(check::same_bytes(Array::Memory, &want.memory, &memory)
        .or_else(|| check::same_bytes(Array::Reserved, &want.reserved, &reserved))
        .unwrap_or_else(|| wrong("state-differs", String::new())))
}

fn apply(state: &Model, effect: &Effect) -> Vec<Model> {
    let mut s = state.clone();
    match effect {
        Effect::Nothing => {}
        Effect::Fill {
            which,
            start,
            end,
            labels,
        } => {
            return labels
                .iter()
                .map(|label| {
                    let mut s = state.clone();
                    match which {
                        Array::Memory => s.memory.fill(*start, *end, *label),
                        Array::Reserved => s.reserved.fill(*start, *end, *label),
                    }
                    s
                })
                .collect();
        }
        Effect::Cut { which, start, end } => match which {
            Array::Memory => s.memory.cut(*start, *end),
            Array::Reserved => s.reserved.cut(*start, *end),
        },
        Effect::BottomUp(enable) => s.bottom_up = *enable,
        Effect::Limit(limit) => s.current_limit = *limit,
        Effect::Resize => s.can_resize = true,
    }
    vec![s]
}
