//! A walk over the scenario's engine bytes: a way out of a local minimum.
//!
//! The structural passes change one thing at a time, so a finding that
//! needs several things to change together stays where it is. For example,
//! with bootmem2 and K1, an exclusive reserve must meet a taken page in
//! its second block. The structural minimum uses a second op to take that
//! page. A one-op form also exists: a first block of one page, too small
//! for the block bitmaps, so that they take the second block's first page.
//! Getting there needs the map, the reserve and the op list to change at
//! once. `cargo fuzz tmin` sometimes gets there, because it fuzzes the
//! crash's bytes under a length cap, and one changed byte makes the
//! decoder read everything after it differently.
//!
//! This pass does the same from the structural minimum, with a fixed seed:
//! it writes the scenario back as engine bytes ([`crate::encode`]), applies
//! one to four byte mutations (erase, insert, set, flip a bit, copy a run)
//! without growing it, and decodes the result. It moves to any mutant that
//! keeps the finding and is no bigger: no more ops, then RAM ranges, then
//! nodes. It stops at the first mutant that is smaller. The same input
//! always takes the same walk.

use super::Tester;
use crate::prng::Prng;
use crate::scenario::Scenario;
use crate::{decode, encode};

/// Byte mutants made from one local minimum.
pub const STEPS: u64 = 20_000;

/// The seeds of the walks' choices, tried in turn until one walk finds a
/// smaller scenario ("bootfuzz", "minimize", "smaller!" in ASCII): one
/// walk misses some exits that another finds.
const SEEDS: [u64; 3] = [
    0x626f_6f74_6675_7a7a,
    0x6d69_6e69_6d69_7a65,
    0x736d_616c_6c65_7221,
];

/// Ops, RAM ranges, nodes: the order in which "smaller" is judged here.
/// ([`super::Size`] without its text bytes: this runs for every mutant, and
/// printing the scenario would cost more than the rest of the step.)
fn shape(s: &Scenario) -> (usize, usize, usize) {
    (s.ops.len(), s.map.ranges().len(), s.map.nodes().len())
}

/// The walk's fixed sequence of choices.
struct Choices(Prng);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Applies one byte mutation to `b`, never making it longer than `cap`.
fn mutate_bytes(b: &mut Vec<u8>, cap: usize, c: &mut Choices) {
    if b.is_empty() {
        b.push(c.next() as u8);
        return;
    }
    let at = c.below(b.len());
    match c.below(5) {
        0 => {
            let len = 1 + c.below(8);
            b.drain(at..(at + len).min(b.len()));
        }
        1 if b.len() < cap => b.insert(at, c.next() as u8),
        2 => b[at] = c.next() as u8,
        3 => b[at] ^= 1 << c.below(8),
        _ => {
            let from = c.below(b.len());
            let len = (1 + c.below(8)).min(b.len() - from).min(b.len() - at);
            let run: Vec<u8> = b[from..from + len].to_vec();
            b[at..at + len].copy_from_slice(&run);
        }
    }
}

/// Walks [`STEPS`] byte mutants from `best`, once per seed of [`SEEDS`]
/// until one walk succeeds, and replaces `best` by the first mutant that
/// is structurally smaller and keeps the finding. Returns whether it did;
/// a scenario past the decode bounds (which cannot be encoded) is left as
/// it is.
pub fn smaller_by_bytes(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let Ok(start) = encode(best) else {
        return false;
    };
    SEEDS
        .into_iter()
        .any(|seed| walk(best, &start, seed, tester))
}

/// One walk from `start` (the encoding of `best`) with choices from
/// `seed`.
fn walk(best: &mut Scenario, start: &[u8], seed: u64, tester: &mut Tester<'_>) -> bool {
    let goal = shape(best);
    let cap = start.len();
    let mut here = start.to_vec();
    let mut choices = Choices(Prng::new(seed));
    for _ in 0..STEPS {
        let mut bytes = here.clone();
        for _ in 0..=choices.below(4) {
            mutate_bytes(&mut bytes, cap, &mut choices);
        }
        let candidate = decode(&bytes);
        if shape(&candidate) > goal {
            continue;
        }
        if !tester.holds(&candidate) {
            if tester.exhausted() {
                return false;
            }
            continue;
        }
        if shape(&candidate) < goal {
            *best = candidate;
            return true;
        }
        here = bytes;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text;

    #[test]
    fn byte_mutations_never_grow_past_the_cap() {
        let mut c = Choices(Prng::new(1));
        let mut b = vec![7u8; 16];
        for _ in 0..10_000 {
            mutate_bytes(&mut b, 16, &mut c);
            assert!(b.len() <= 16);
        }
    }

    #[test]
    fn the_walk_finds_a_smaller_scenario_and_is_the_same_every_time() -> Result<(), String> {
        let start = text::parse(
            "ram start=0x0 end=0x10_0000 nid=0\n\
             ram start=0x20_0000 end=0x30_0000 nid=1\n\
             reserve base=0x1000 size=0x1000 mode=default\n\
             reserve base=0x3000 size=0x1000 mode=default\n",
        )
        .map_err(|e| e.message)?;
        let walk = || {
            let mut s = start.clone();
            // Any scenario with an op keeps the "finding".
            let mut keep = |c: &Scenario| !c.ops.is_empty();
            let mut tester = Tester {
                keep: &mut keep,
                replays: 0,
                budget: 10_000,
                limits: crate::minimize::MapLimits::of(&start),
            };
            let found = smaller_by_bytes(&mut s, &mut tester);
            (found, s)
        };
        let (found, s) = walk();
        assert!(found);
        assert!(shape(&s) < shape(&start), "{}", text::print(&s));
        assert!(!s.ops.is_empty());
        assert_eq!(walk().1, s);
        Ok(())
    }
}
