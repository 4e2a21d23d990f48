//! Playing a scenario on a backend alone: no model, no checks, no metadata
//! sync, no panic guard.
//!
//! This is the baseline against which the oracle's cost is measured (the
//! `oracle_overhead` bench): [`play_bare`] makes exactly the backend calls
//! that [`crate::run`] makes for a scenario's map and ops, with the same
//! live-allocation bookkeeping for `free_alloc`, and nothing else. The
//! difference between the two is what the models, the checks and the
//! differential traces cost. It judges nothing: use [`crate::run`] for
//! that.

use crate::registry::BackendInfo;
use crate::scenario::{Op, Scenario};
use bootmem::{BootMem, BugSet, PhysAddr, Range};

/// Plays `scenario` on a fresh instance of `info`'s backend with `bugs`
/// planted, as [`crate::run`] would but with no model beside it, and
/// returns the number of ops played.
///
/// The map is registered with `add_memory` and `setup` runs; a failed
/// `add_memory` or `setup` ends the scenario with no op played (where
/// `run` reports a finding or, for `setup`'s `NoMem`, a skip). Then every op
/// is played in order: `free_alloc` frees `part` of live allocation number
/// `index % live.len()` (skipped, but counted, when none is live) and that
/// allocation stops being live, as in `run`. Ops are counted whatever they
/// return, so for a backend on which `run` finds nothing the count equals
/// `Report::ops_played`.
///
/// A backend panic is not caught: it unwinds out of this function.
pub fn play_bare(scenario: &Scenario, info: &BackendInfo, bugs: BugSet) -> usize {
    let mut backend = (info.make)(bugs);
    for r in scenario.map.ranges() {
        if backend.add_memory(r.range, r.nid).is_err() {
            return 0;
        }
    }
    if backend.setup().is_err() {
        return 0;
    }
    let mut live: Vec<(PhysAddr, u64)> = Vec::new();
    let mut played = 0;
    for op in &scenario.ops {
        step(backend.as_mut(), op, &mut live);
        played += 1;
    }
    played
}

/// Makes `op`'s backend call, keeping `live` as `run`'s player does.
fn step(backend: &mut dyn BootMem, op: &Op, live: &mut Vec<(PhysAddr, u64)>) {
    // Outcomes are dropped: a call behind `dyn BootMem` is made whether or
    // not its result is read.
    match *op {
        Op::Reserve { base, size, mode } => {
            let _ = backend.reserve(base, size, mode);
        }
        Op::ReserveNode {
            nid,
            base,
            size,
            mode,
        } => {
            let _ = backend.reserve_node(nid, base, size, mode);
        }
        Op::Free { base, size } => {
            let _ = backend.free(base, size);
        }
        Op::FreeNode { nid, base, size } => {
            let _ = backend.free_node(nid, base, size);
        }
        Op::Alloc(req) => {
            if let Ok(start) = backend.alloc(&req) {
                live.push((start, req.size));
            }
        }
        Op::FreeAlloc { index, part } => {
            if live.is_empty() {
                return;
            }
            let k = index as usize % live.len();
            let (start, size) = live.remove(k);
            let range = part.of(start, size).unwrap_or(Range::EMPTY);
            let _ = backend.free(range.start(), range.len());
        }
        Op::ReleaseAll => {
            let mut pages = 0u64;
            let _ = backend.release_all(&mut |r| pages = pages.wrapping_add(r.len()));
            std::hint::black_box(pages);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::backends;
    use crate::{decode, run};

    /// One step of xorshift64.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Seeded scenarios: lengths in `0..4096`, deterministic bytes.
    fn scenarios(seed: u64, count: usize) -> Vec<Scenario> {
        let mut state = seed;
        (0..count)
            .map(|_| {
                let len = (xorshift(&mut state) % 4096) as usize;
                let bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
                decode(&bytes)
            })
            .collect()
    }

    #[test]
    fn plays_as_many_ops_as_run_reports_for_a_clean_backend() {
        let mut played_some = false;
        for info in backends() {
            for scenario in scenarios(0x9e37_79b9_7f4a_7c15, 40) {
                let report = run(&scenario, std::slice::from_ref(&info));
                // Clean backends have no finding, so `run` plays every op
                // (or none, when `setup` found no room), like `play_bare`.
                assert!(
                    report.findings.is_empty(),
                    "{}: {:?}",
                    info.name,
                    report.findings
                );
                let bare = play_bare(&scenario, &info, BugSet::NONE);
                assert_eq!(bare, report.ops_played, "{}", info.name);
                let skipped = !report.skipped.is_empty();
                assert_eq!(bare, if skipped { 0 } else { scenario.ops.len() });
                played_some |= bare > 0;
            }
        }
        assert!(played_some);
    }
}
