//! Shrinking the memory map: fewer RAM ranges, fewer nodes, rounder
//! bounds.

use super::values::{simpler, Number};
use super::Tester;
use crate::scenario::{MemoryMap, Op, RamRange, Scenario};
use bootmem::{Nid, Range};

/// Tries to move the whole scenario down (every RAM range and every
/// address an op names), then to drop each RAM range (a map keeps at least
/// one), then to join
/// touching ranges of two nodes into one, then to move each node's RAM and
/// calls to a lower node, then to give each range rounder bounds. Returns
/// whether the map changed.
pub fn shrink_map(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let mut changed = move_down(best, tester);
    changed |= drop_ranges(best, tester);
    changed |= join_ranges(best, tester);
    changed |= merge_nodes(best, tester);
    changed |= round_bounds(best, tester);
    changed
}

/// Moves the whole scenario down so that its lowest RAM starts at 0 or,
/// failing that, at its start's remainder modulo 2^12, 2^16, ... 2^40
/// (which keeps alignments up to that power): the layout stays, the
/// addresses get short. Rounding one bound at a time cannot do this when
/// the map lies high: every step would grow the map past its limits.
fn move_down(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let start = best.map.span().start();
    if start == 0 {
        return false;
    }
    let keep_low_bits = [0u32, 12, 16, 20, 24, 28, 32, 36, 40];
    let candidates: Vec<Scenario> = keep_low_bits
        .iter()
        .filter_map(|&bits| {
            let low = if bits == 0 { 0 } else { start % (1u64 << bits) };
            (low < start)
                .then(|| moved_down(best, start - low))
                .flatten()
        })
        .collect();
    match tester.first_holding(candidates) {
        Some(moved) => {
            *best = moved;
            true
        }
        None => false,
    }
}

/// `scenario` with `by` taken from every RAM bound and every address an op
/// names (bases; goals and limits but 0, which means none); `None` if one
/// would go below 0.
fn moved_down(scenario: &Scenario, by: u64) -> Option<Scenario> {
    let down = |a: u64| a.checked_sub(by);
    let down_unless_zero = |a: u64| if a == 0 { Some(0) } else { down(a) };
    let ranges = scenario
        .map
        .ranges()
        .iter()
        .map(|r| {
            let range = Range::new(down(r.range.start())?, down(r.range.end())?)?;
            Some(RamRange { range, nid: r.nid })
        })
        .collect::<Option<Vec<RamRange>>>()?;
    let ops = scenario
        .ops
        .iter()
        .map(|&op| match op {
            Op::Alloc(mut req) => {
                req.goal = down_unless_zero(req.goal)?;
                req.limit = down_unless_zero(req.limit)?;
                Some(Op::Alloc(req))
            }
            other => other.with_base(|base, _| down(base)),
        })
        .collect::<Option<Vec<Op>>>()?;
    Some(Scenario {
        map: MemoryMap::new(&ranges).ok()?,
        ops,
    })
}

/// Drops RAM ranges, last first, while the finding still fires.
fn drop_ranges(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let mut changed = false;
    let mut index = best.map.ranges().len();
    while index > 0 && !tester.exhausted() {
        index -= 1;
        let mut ranges = best.map.ranges().to_vec();
        if ranges.len() < 2 || index >= ranges.len() {
            continue;
        }
        ranges.remove(index);
        if let Some(candidate) = with_ranges(best, &ranges) {
            if tester.holds(&candidate) {
                *best = candidate;
                changed = true;
            }
        }
    }
    changed
}

/// Gives a range the node of a range it touches, so that the map
/// normalizes them into one range, while the finding still fires: the
/// later range takes the earlier one's node first, then the other way.
fn join_ranges(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let mut changed = false;
    let mut index = 1;
    while index < best.map.ranges().len() && !tester.exhausted() {
        let ranges = best.map.ranges().to_vec();
        let (before, here) = (ranges[index - 1], ranges[index]);
        let mut joined = false;
        if before.range.end() == here.range.start() {
            for (at, nid) in [(index, before.nid), (index - 1, here.nid)] {
                let mut candidate_ranges = ranges.clone();
                candidate_ranges[at].nid = nid;
                let Some(candidate) = with_ranges(best, &candidate_ranges) else {
                    continue;
                };
                if tester.holds(&candidate) {
                    *best = candidate;
                    joined = true;
                    changed = true;
                    break;
                }
            }
        }
        if !joined {
            index += 1;
        }
    }
    changed
}

/// Moves every range and call of a node to a lower node (`0` first),
/// highest node first, while the finding still fires.
fn merge_nodes(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let mut changed = false;
    let nodes = best.map.nodes();
    for &from in nodes.iter().rev() {
        for to in 0..from {
            if tester.exhausted() {
                return changed;
            }
            let candidate = renumbered(best, from, to);
            if let Some(candidate) = candidate {
                if tester.holds(&candidate) {
                    *best = candidate;
                    changed = true;
                    break;
                }
            }
        }
    }
    changed
}

/// Gives each range a simpler start, then a simpler end, keeping it
/// non-empty and apart from the others.
fn round_bounds(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let mut changed = false;
    for index in 0..best.map.ranges().len() {
        for end in [false, true] {
            loop {
                let candidates = rounder_bound(best, index, end);
                let Some(simpler) = tester.first_holding(candidates) else {
                    break;
                };
                *best = simpler;
                changed = true;
            }
        }
    }
    changed
}

/// `scenario` with range number `index` given each simpler start (or end)
/// in turn, simplest first; bounds that would empty it, overlap another
/// range or join it to one (which renumbers the ranges) are left out.
fn rounder_bound(scenario: &Scenario, index: usize, end: bool) -> Vec<Scenario> {
    let Some(current) = scenario.map.ranges().get(index).copied() else {
        return Vec::new();
    };
    let (start, stop) = (current.range.start(), current.range.end());
    let value = if end { stop } else { start };
    simpler(value, Number::Address)
        .into_iter()
        .filter_map(|v| {
            let range = if end {
                Range::new(start, v)
            } else {
                Range::new(v, stop)
            }?;
            let mut ranges = scenario.map.ranges().to_vec();
            ranges[index] = RamRange {
                range,
                nid: current.nid,
            };
            with_ranges(scenario, &ranges)
                .filter(|c| c.map.ranges().len() == scenario.map.ranges().len())
        })
        .collect()
}

/// `scenario` with the map made of `ranges`, if they form a valid map.
fn with_ranges(scenario: &Scenario, ranges: &[RamRange]) -> Option<Scenario> {
    let map = MemoryMap::new(ranges).ok()?;
    Some(Scenario {
        map,
        ops: scenario.ops.clone(),
    })
}

/// `scenario` with node `from` called `to` everywhere: in the map and in
/// every call that names a node.
fn renumbered(scenario: &Scenario, from: Nid, to: Nid) -> Option<Scenario> {
    let rename = |nid: Nid| if nid == from { to } else { nid };
    let ranges: Vec<RamRange> = scenario
        .map
        .ranges()
        .iter()
        .map(|r| RamRange {
            range: r.range,
            nid: rename(r.nid),
        })
        .collect();
    let ops = scenario.ops.iter().map(|op| op.with_nid(rename)).collect();
    Some(Scenario {
        map: MemoryMap::new(&ranges).ok()?,
        ops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text;

    /// ```text
    ///   0x0     0x1000    0x2000    0x3000
    ///   | node 0 | node 1 | node 0 |
    /// ```
    /// Expect the three ranges joined into one when only the RAM's size
    /// matters.
    #[test]
    fn touching_ranges_of_two_nodes_are_joined() -> Result<(), String> {
        let mut s = text::parse(
            "ram start=0x0 end=0x1000 nid=0\n\
             ram start=0x1000 end=0x2000 nid=1\n\
             ram start=0x2000 end=0x3000 nid=0\n",
        )
        .map_err(|e| e.message)?;
        let mut keep = |c: &Scenario| c.map.total_bytes() == 0x3000;
        let mut tester = Tester {
            keep: &mut keep,
            replays: 0,
            budget: 100,
            limits: crate::minimize::MapLimits::of(&s),
        };
        assert!(join_ranges(&mut s, &mut tester));
        assert_eq!(s.map.ranges().len(), 1);
        Ok(())
    }

    #[test]
    fn moving_down_keeps_the_layout_and_the_alignment() -> Result<(), String> {
        let s = text::parse(
            "ram start=0x9ffd_0000_c000_0000 end=0x9ffd_0000_d000_0000 nid=0\n\
             reserve base=0x9ffd_0000_c000_1000 size=0x10 mode=default\n\
             alloc size=0x10 align=0x40 goal=0x9ffd_0000_c000_2000 limit=0x0 nid=any policy=prefer fail=null\n",
        )
        .map_err(|e| e.message)?;
        let moved = moved_down(&s, 0x9ffd_0000_c000_0000).ok_or("moves")?;
        let want = text::parse(
            "ram start=0x0 end=0x1000_0000 nid=0\n\
             reserve base=0x1000 size=0x10 mode=default\n\
             alloc size=0x10 align=0x40 goal=0x2000 limit=0x0 nid=any policy=prefer fail=null\n",
        )
        .map_err(|e| e.message)?;
        assert_eq!(moved, want);
        // Below 0 is no move.
        assert_eq!(moved_down(&want, 0x1000), None);
        Ok(())
    }

    #[test]
    fn renumbering_moves_ranges_and_calls_and_merges_touching_ranges() -> Result<(), String> {
        let s = text::parse(
            "ram start=0x0 end=0x1000 nid=0\n\
             ram start=0x1000 end=0x2000 nid=1\n\
             reserve_node nid=1 base=0x1000 size=0x10 mode=default\n",
        )
        .map_err(|e| e.message)?;
        let r = renumbered(&s, 1, 0).ok_or("valid")?;
        assert_eq!(r.map.ranges().len(), 1);
        assert_eq!(r.map.nodes(), vec![0]);
        assert!(matches!(r.ops[0], Op::ReserveNode { nid: 0, .. }));
        Ok(())
    }
}
