//! Structure-aware mutation: a new scenario from one the engine already
//! keeps, changed at the scenario level rather than byte by byte (issue 7):
//! ops inserted, deleted, duplicated, repeated at a stride, swapped and
//! spliced from a second scenario; numbers nudged to neighbouring edges
//! (RAM and node boundaries, page edges plus or minus one, 0, 2^64 - 1);
//! the memory map perturbed (edges moved, ranges split, dropped, added,
//! given to another node).
//!
//! Every choice is read from an [`Unstructured`], so the same bytes give
//! the same mutant: the engine stays deterministic under `--seed`. The
//! result always lies within the decode bounds and can be written back
//! as bytes with [`crate::encode`], so a mutant found by the built-in
//! engine replays identically under every other engine.

mod map;
mod ops;
mod values;

use crate::decode::DecodeBounds;
use crate::encode::encode;
use crate::scenario::{Op, Scenario};
use arbitrary::Unstructured;

/// One kind of change, as counted by the engine's statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mutation {
    /// A new op, aimed at the map's edges, at a random place.
    InsertOp,
    /// One op or a run of ops removed.
    DeleteOps,
    /// An op copied to another place.
    DuplicateOp,
    /// An op repeated a few times, each copy shifted by a stride (many
    /// separate regions: array doubling, pool exhaustion).
    RepeatOp,
    /// Two ops exchanged.
    SwapOps,
    /// A prefix of this scenario joined to a suffix of another, or a run
    /// of the other's ops inserted.
    Splice,
    /// One number of one op moved to a neighbouring edge.
    NudgeValue,
    /// A mode, policy, failure action, node or part changed.
    FlipChoice,
    /// The memory map changed.
    PerturbMap,
}

impl Mutation {
    /// Every mutation, in the order the engine draws them.
    pub const ALL: [Mutation; 9] = [
        Mutation::InsertOp,
        Mutation::DeleteOps,
        Mutation::DuplicateOp,
        Mutation::RepeatOp,
        Mutation::SwapOps,
        Mutation::Splice,
        Mutation::NudgeValue,
        Mutation::FlipChoice,
        Mutation::PerturbMap,
    ];
}

/// Reads an index below `n` (`n > 0`); 0 when the bytes ran out.
pub(crate) fn below(u: &mut Unstructured, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    u.int_in_range(0..=n - 1).unwrap_or(0)
}

/// A mutant of `base`: one to four stacked mutations, `donor` feeding
/// splices, every choice read from `noise` (the same noise gives the same
/// mutant). Always within the default decode bounds and encodable; when no
/// mutation could make a valid change the result may equal `base`.
pub fn mutate(base: &Scenario, donor: &Scenario, noise: &[u8]) -> Scenario {
    let u = &mut Unstructured::new(noise);
    let bounds = DecodeBounds::default();
    let mut s = base.clone();
    let rounds = 1 + below(u, 4);
    for _ in 0..rounds {
        let which = Mutation::ALL[below(u, Mutation::ALL.len())];
        apply(&mut s, which, donor, u);
        fit(&mut s, &bounds);
    }
    if encode(&s).is_err() {
        // A map change the bounds refuse (fit checks ops only): keep the
        // ops, restore the map.
        s.map = base.map.clone();
        fit(&mut s, &bounds);
    }
    if encode(&s).is_err() {
        return base.clone();
    }
    s
}

/// Applies one mutation of kind `which` to `s`.
pub fn apply(s: &mut Scenario, which: Mutation, donor: &Scenario, u: &mut Unstructured) {
    match which {
        Mutation::InsertOp => ops::insert(s, u),
        Mutation::DeleteOps => ops::delete(s, u),
        Mutation::DuplicateOp => ops::duplicate(s, u),
        Mutation::RepeatOp => ops::repeat(s, u),
        Mutation::SwapOps => ops::swap(s, u),
        Mutation::Splice => ops::splice(s, donor, u),
        Mutation::NudgeValue => values::nudge(s, u),
        Mutation::FlipChoice => values::flip(s, u),
        Mutation::PerturbMap => map::perturb(s, u),
    }
}

/// Brings the ops within what the decoder can produce: at most
/// `max_ops`, `release_all` only last, `free_alloc` indexes below 256.
pub fn fit(s: &mut Scenario, bounds: &DecodeBounds) {
    let last_is_release = matches!(s.ops.last(), Some(Op::ReleaseAll));
    s.ops.retain(|op| *op != Op::ReleaseAll);
    let room = if last_is_release {
        bounds.max_ops.saturating_sub(1)
    } else {
        bounds.max_ops
    };
    s.ops.truncate(room);
    if last_is_release && bounds.max_ops > 0 {
        s.ops.push(Op::ReleaseAll);
    }
    for op in &mut s.ops {
        if let Op::FreeAlloc { index, .. } = op {
            *index %= 256;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode;

    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn every_mutant_encodes_and_decodes_back_to_itself() {
        for seed in 1..400u64 {
            let base = decode(&bytes(seed, 600));
            let donor = decode(&bytes(seed + 1000, 300));
            let noise = bytes(seed + 7, 256);
            let m = mutate(&base, &donor, &noise);
            let data = encode(&m);
            assert!(data.is_ok(), "seed {seed}: {data:?}");
            let data = data.unwrap_or_default();
            assert_eq!(decode(&data), m, "seed {seed}");
        }
    }

    #[test]
    fn the_same_bytes_give_the_same_mutant() {
        let base = decode(&bytes(5, 800));
        let donor = decode(&bytes(6, 800));
        let noise = bytes(9, 256);
        let a = mutate(&base, &donor, &noise);
        let b = mutate(&base, &donor, &noise);
        assert_eq!(a, b);
    }

    #[test]
    fn mutants_differ_from_their_base_most_of_the_time() {
        let mut changed = 0;
        for seed in 1..200u64 {
            let base = decode(&bytes(seed, 600));
            let noise = bytes(seed * 31, 256);
            if mutate(&base, &base, &noise) != base {
                changed += 1;
            }
        }
        assert!(changed > 150, "only {changed} of 199 mutants changed");
    }

    #[test]
    fn each_mutation_changes_some_scenario() {
        for which in Mutation::ALL {
            let changed = (1..100u64).any(|seed| {
                let mut s = decode(&bytes(seed, 600));
                let before = s.clone();
                let donor = decode(&bytes(seed + 77, 600));
                let noise = bytes(seed * 13, 64);
                apply(&mut s, which, &donor, &mut Unstructured::new(&noise));
                s != before
            });
            assert!(changed, "{which:?} never changed anything");
        }
    }

    #[test]
    fn fit_keeps_release_all_last_and_the_op_bound() {
        let mut s = decode(&bytes(3, 600));
        s.ops = vec![Op::ReleaseAll; 3];
        s.ops.extend(vec![
            Op::FreeAlloc {
                index: 300,
                part: crate::Part::All
            };
            200
        ]);
        s.ops.push(Op::ReleaseAll);
        fit(&mut s, &DecodeBounds::default());
        assert_eq!(s.ops.len(), 128);
        assert_eq!(s.ops.last(), Some(&Op::ReleaseAll));
        assert_eq!(s.ops.iter().filter(|o| **o == Op::ReleaseAll).count(), 1);
        assert!(s.ops.iter().all(|o| match o {
            Op::FreeAlloc { index, .. } => *index < 256,
            _ => true,
        }));
    }
}
