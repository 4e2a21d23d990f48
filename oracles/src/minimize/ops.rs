//! Shrinking the op list: delta debugging over ops, then simpler versions
//! of each op (fewer options, rounder numbers, smaller sizes).

use super::values::{simpler, smaller_alignments, Number};
use super::Tester;
use crate::scenario::{Op, Part, Scenario};
use bootmem::{AllocRequest, NodePolicy, OnFail, ReserveMode};

/// Delta debugging over the ops (Zeller's ddmin, complements only): tries
/// to drop chunks of `len / n` ops for `n = 2, 4, ...` until single ops,
/// keeping every drop after which the finding still fires. Returns whether
/// anything was dropped.
pub fn drop_ops(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let mut dropped = false;
    let mut chunks = 2usize;
    while !best.ops.is_empty() && !tester.exhausted() {
        let len = best.ops.len();
        let chunk = len.div_ceil(chunks.min(len));
        let mut start = 0;
        let mut progress = false;
        // From the end: ops after the failing one go first, in one try.
        while start < best.ops.len() {
            let end = best.ops.len() - start;
            let from = end.saturating_sub(chunk);
            let mut candidate = best.clone();
            candidate.ops.drain(from..end);
            if tester.holds(&candidate) {
                *best = candidate;
                progress = true;
                dropped = true;
            } else {
                start += end - from;
            }
        }
        if !progress {
            if chunk == 1 {
                break;
            }
            chunks = chunks.saturating_mul(2);
        }
    }
    dropped
}

/// Replaces each op, first to last, by the first of its simpler versions
/// ([`simpler_ops`]) under which the finding still fires, until none
/// helps. Returns whether any op changed.
pub fn simplify_ops(best: &mut Scenario, tester: &mut Tester<'_>) -> bool {
    let mut changed = false;
    for index in 0..best.ops.len() {
        loop {
            let candidates = simpler_ops(&best.ops[index]).into_iter().map(|op| {
                let mut candidate = best.clone();
                candidate.ops[index] = op;
                candidate
            });
            let Some(simpler) = tester.first_holding(candidates) else {
                break;
            };
            *best = simpler;
            changed = true;
        }
    }
    changed
}

/// Versions of `op` that are simpler in one respect, simplest first: a
/// node-less call for a node call, default mode, no node, `prefer`,
/// `null`, no goal, no limit, smaller alignment, then rounder or smaller
/// numbers ([`simpler`]).
pub fn simpler_ops(op: &Op) -> Vec<Op> {
    let mut out = Vec::new();
    match *op {
        Op::ReserveNode {
            nid,
            base,
            size,
            mode,
        } => {
            out.push(Op::Reserve { base, size, mode });
            out.extend(simpler_mode(mode).map(|mode| Op::ReserveNode {
                nid,
                base,
                size,
                mode,
            }));
            let with = |base, size| Op::ReserveNode {
                nid,
                base,
                size,
                mode,
            };
            out.extend(simpler_range(base, size, with));
        }
        Op::Reserve { base, size, mode } => {
            out.extend(simpler_mode(mode).map(|mode| Op::Reserve { base, size, mode }));
            out.extend(simpler_range(base, size, |base, size| Op::Reserve {
                base,
                size,
                mode,
            }));
        }
        Op::FreeNode { nid, base, size } => {
            out.push(Op::Free { base, size });
            out.extend(simpler_range(base, size, |base, size| Op::FreeNode {
                nid,
                base,
                size,
            }));
        }
        Op::Free { base, size } => {
            out.extend(simpler_range(base, size, |base, size| Op::Free {
                base,
                size,
            }));
        }
        Op::Alloc(req) => out.extend(simpler_requests(&req).into_iter().map(Op::Alloc)),
        Op::FreeAlloc { index, part } => {
            if part != Part::All {
                out.push(Op::FreeAlloc {
                    index,
                    part: Part::All,
                });
            }
            out.extend(
                simpler(u64::from(index), Number::Size)
                    .into_iter()
                    .map(|i| Op::FreeAlloc {
                        index: u32::try_from(i).unwrap_or(0),
                        part,
                    }),
            );
        }
        Op::ReleaseAll => {}
    }
    out
}

/// `Default` for `Exclusive`.
fn simpler_mode(mode: ReserveMode) -> Option<ReserveMode> {
    (mode == ReserveMode::Exclusive).then_some(ReserveMode::Default)
}

/// The op with a simpler base, then with a simpler size.
fn simpler_range(base: u64, size: u64, with: impl Fn(u64, u64) -> Op) -> Vec<Op> {
    let bases = simpler(base, Number::Address)
        .into_iter()
        .map(|b| with(b, size));
    let sizes = simpler(size, Number::Size)
        .into_iter()
        .map(|s| with(base, s));
    bases.chain(sizes).collect()
}

/// Requests simpler than `req` in one field, simplest first.
fn simpler_requests(req: &AllocRequest) -> Vec<AllocRequest> {
    let mut out = Vec::new();
    let with = |f: &dyn Fn(&mut AllocRequest)| {
        let mut r = *req;
        f(&mut r);
        r
    };
    if req.nid.is_some() {
        out.push(with(&|r| r.nid = None));
    }
    if req.policy != NodePolicy::Prefer {
        out.push(with(&|r| r.policy = NodePolicy::Prefer));
    }
    if req.on_fail != OnFail::Null {
        out.push(with(&|r| r.on_fail = OnFail::Null));
    }
    out.extend(
        simpler(req.goal, Number::Address)
            .into_iter()
            .map(|v| with(&|r| r.goal = v)),
    );
    out.extend(
        simpler(req.limit, Number::Address)
            .into_iter()
            .map(|v| with(&|r| r.limit = v)),
    );
    out.extend(
        smaller_alignments(req.align)
            .into_iter()
            .map(|v| with(&|r| r.align = v)),
    );
    out.extend(
        simpler(req.size, Number::Size)
            .into_iter()
            .filter(|&v| v != 0)
            .map(|v| with(&|r| r.size = v)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_call_first_becomes_the_plain_call() {
        let op = Op::ReserveNode {
            nid: 1,
            base: 0x1000,
            size: 0x1000,
            mode: ReserveMode::Exclusive,
        };
        assert_eq!(
            simpler_ops(&op).first(),
            Some(&Op::Reserve {
                base: 0x1000,
                size: 0x1000,
                mode: ReserveMode::Exclusive
            })
        );
    }

    #[test]
    fn simplest_allocation_has_no_simpler_version() {
        let req = AllocRequest::new(1, 1);
        assert!(simpler_requests(&req).is_empty());
        assert!(simpler_ops(&Op::ReleaseAll).is_empty());
    }
}
