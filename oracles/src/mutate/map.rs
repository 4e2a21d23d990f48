//! Memory-map mutations: an edge moved, a range split, dropped, added or
//! given to another node. A change the map's own rules refuse (overlap,
//! empty range) is not made.

use super::below;
use crate::scenario::{MemoryMap, RamRange, Scenario};
use arbitrary::Unstructured;
use bootmem::{Range, MAX_NODES, PAGE_SIZE};

/// Applies one change to the map of `s`, if the result is a valid map.
pub(super) fn perturb(s: &mut Scenario, u: &mut Unstructured) {
    let mut ranges: Vec<RamRange> = s.map.ranges().to_vec();
    if ranges.is_empty() {
        return;
    }
    let i = below(u, ranges.len());
    let r = ranges[i];
    let steps = [1, PAGE_SIZE / 2, PAGE_SIZE, 16 * PAGE_SIZE];
    let step = steps[below(u, steps.len())];
    match below(u, 6) {
        // Move the start or the end by a step, either way.
        0 | 1 => {
            let (start, end) = (r.range.start(), r.range.end());
            let grow = u.ratio(1, 2).unwrap_or(false);
            let moved = if below(u, 2) == 0 {
                let start = if grow {
                    start.saturating_sub(step)
                } else {
                    start.saturating_add(step)
                };
                Range::new(start, end)
            } else {
                let end = if grow {
                    end.saturating_add(step)
                } else {
                    end.saturating_sub(step)
                };
                Range::new(start, end)
            };
            match moved {
                Some(range) if !range.is_empty() => ranges[i].range = range,
                _ => return,
            }
        }
        // Split in two at a page edge (or a step off it); the upper half
        // may go to another node: interleaved nodes.
        2 => {
            let len = r.range.len();
            let half = (len / 2) & !(PAGE_SIZE - 1);
            let cut = if u.ratio(1, 4).unwrap_or(false) {
                half.saturating_add(step % PAGE_SIZE)
            } else {
                half
            };
            let (Some(lo), Some(hi)) = (
                Range::new(r.range.start(), r.range.start().saturating_add(cut)),
                Range::new(r.range.start().saturating_add(cut), r.range.end()),
            ) else {
                return;
            };
            let nid = if u.ratio(1, 2).unwrap_or(false) {
                other_nid(&ranges, r.nid, u)
            } else {
                r.nid
            };
            ranges[i].range = lo;
            ranges.insert(i + 1, RamRange { range: hi, nid });
        }
        // Drop a range (the map keeps at least one).
        3 => {
            if ranges.len() > 1 {
                ranges.remove(i);
            }
        }
        // A new range after the last one, past a gap.
        4 => {
            let last = ranges.iter().map(|r| r.range.end()).max().unwrap_or(0);
            let gap = [0, PAGE_SIZE, 1 << 20][below(u, 3)];
            let len = [PAGE_SIZE, 16 * PAGE_SIZE, 1 << 20][below(u, 3)];
            let start = last.saturating_add(gap);
            let Some(range) = Range::new(start, start.saturating_add(len)) else {
                return;
            };
            let nid = other_nid(&ranges, r.nid, u);
            ranges.push(RamRange { range, nid });
        }
        // Give a range to another node.
        _ => ranges[i].nid = other_nid(&ranges, r.nid, u),
    }
    if let Ok(map) = MemoryMap::new(&ranges) {
        s.map = map;
    }
}

/// A node other than `not`: mostly one the map already has, sometimes a
/// new one.
fn other_nid(ranges: &[RamRange], not: u32, u: &mut Unstructured) -> u32 {
    let mut nids: Vec<u32> = ranges.iter().map(|r| r.nid).filter(|&n| n != not).collect();
    nids.sort_unstable();
    nids.dedup();
    if nids.is_empty() || u.ratio(1, 3).unwrap_or(false) {
        let fresh = (not + 1 + below(u, 7) as u32) % MAX_NODES;
        return fresh;
    }
    nids[below(u, nids.len())]
}
