//! Op-level mutations: insert, delete, duplicate, repeat, swap, splice.

use super::below;
use crate::decode::OpGen;
use crate::scenario::{Op, Scenario};
use arbitrary::Unstructured;
use bootmem::PAGE_SIZE;

/// Inserts one op generated for this map (the decoder's own edge-aimed
/// generator) at a random place.
pub(super) fn insert(s: &mut Scenario, u: &mut Unstructured) {
    let op = OpGen::new(&s.map).op(u);
    let at = below(u, s.ops.len() + 1);
    s.ops.insert(at, op);
}

/// Removes one op, or a run of up to a quarter of them.
pub(super) fn delete(s: &mut Scenario, u: &mut Unstructured) {
    if s.ops.is_empty() {
        return;
    }
    let at = below(u, s.ops.len());
    let run = if u.ratio(1, 3).unwrap_or(false) {
        1 + below(u, (s.ops.len() / 4).max(1))
    } else {
        1
    };
    let end = (at + run).min(s.ops.len());
    s.ops.drain(at..end);
}

/// Copies one op to another place.
pub(super) fn duplicate(s: &mut Scenario, u: &mut Unstructured) {
    if s.ops.is_empty() {
        return;
    }
    let op = s.ops[below(u, s.ops.len())];
    let at = below(u, s.ops.len() + 1);
    s.ops.insert(at, op);
}

/// Repeats one op 2 to 16 times right after itself, each copy moved up by
/// a stride (twice its size, or a page), so reserves and frees make many
/// separate regions.
pub(super) fn repeat(s: &mut Scenario, u: &mut Unstructured) {
    if s.ops.is_empty() {
        return;
    }
    let at = below(u, s.ops.len());
    let op = s.ops[at];
    let copies = 2 + below(u, 15);
    let mut next = op;
    for k in 0..copies {
        next = shifted(next);
        s.ops.insert(at + 1 + k, next);
    }
}

/// `op` moved up by twice its size (at least a page); ops without an
/// address are copied as they are.
fn shifted(op: Op) -> Op {
    let stride = |size: u64| size.saturating_mul(2).max(PAGE_SIZE);
    match op {
        Op::FreeAlloc { index, part } => Op::FreeAlloc {
            index: index.wrapping_add(1),
            part,
        },
        other => other
            .with_base(|base, size| Some(base.saturating_add(stride(size))))
            .unwrap_or(other),
    }
}

/// Exchanges two ops.
pub(super) fn swap(s: &mut Scenario, u: &mut Unstructured) {
    if s.ops.len() < 2 {
        return;
    }
    let a = below(u, s.ops.len());
    let b = below(u, s.ops.len());
    s.ops.swap(a, b);
}

/// Either joins a prefix of `s` to a suffix of `donor`, or inserts a run
/// of `donor`'s ops into `s`. The map stays `s`'s.
pub(super) fn splice(s: &mut Scenario, donor: &Scenario, u: &mut Unstructured) {
    if donor.ops.is_empty() {
        return;
    }
    let cut = below(u, s.ops.len() + 1);
    let from = below(u, donor.ops.len());
    if u.ratio(1, 2).unwrap_or(false) {
        s.ops.truncate(cut);
        s.ops.extend_from_slice(&donor.ops[from..]);
    } else {
        let run = 1 + below(u, (donor.ops.len() - from).min(16));
        let chunk = donor.ops[from..from + run].to_vec();
        s.ops.splice(cut..cut, chunk);
    }
}
