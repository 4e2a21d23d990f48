//! Tests of the trees themselves: the searches whose wrong-child bug wli's
//! changelog fixed (reference 8.5, W2), balance under sorted insertion,
//! and the invariant walk catching each kind of corruption.

use super::extents::Extents;
use super::pool::{Idx, Node, NIL};
use crate::bugs::BugSet;
use crate::{Range, PAGE_SIZE};

const P: u64 = PAGE_SIZE;

fn r(start: u64, end: u64) -> Range {
    Range::new(start, end).expect("test range")
}

/// `count` extents `[k * 3P, k * 3P + P + k)`, inserted in ascending
/// order (the worst order for an unbalanced search tree).
fn ladder(count: u64) -> Extents {
    let mut ext = Extents::new(count, BugSet::NONE);
    for k in 0..count {
        assert_eq!(ext.insert_run(r(k * 3 * P, k * 3 * P + P + k)), Ok(()));
    }
    assert_eq!(ext.check(), Ok(()));
    ext
}

fn depth(nodes: &[Node], t: Idx, links: fn(&Node) -> (Idx, Idx)) -> u32 {
    if t == NIL {
        return 0;
    }
    let (l, rt) = links(&nodes[t as usize]);
    1 + depth(nodes, l, links).max(depth(nodes, rt, links))
}

/// Expect both treaps to stay shallow when 4096 extents arrive in address
/// order, which is also ascending size order.
#[test]
fn sorted_insertion_keeps_both_trees_shallow() {
    let mut ext = ladder(4096);
    let (nodes, addr, size) = ext.raw();
    let by_addr = depth(nodes, addr, |n| (n.addr.left, n.addr.right));
    let by_size = depth(nodes, size, |n| (n.size.left, n.size.right));
    assert!(by_addr <= 40 && by_size <= 40, "{by_addr} {by_size}");
}

/// ```text
///   |e|..|e|..|e|..   extents every 3 pages; probe every byte edge
/// ```
/// Expect `containing`, `intersects` and `overlapping` to agree with a
/// linear scan at every extent edge: a search that follows the wrong
/// child (W2) misses extents on one side.
#[test]
fn point_and_range_searches_agree_with_a_linear_scan() {
    let ext = ladder(200);
    let all = ext.ranges();
    let probes = (0..200 * 3 * P).step_by(97).chain(
        all.iter()
            .flat_map(|e| [e.start().wrapping_sub(1), e.start(), e.end() - 1, e.end()]),
    );
    for at in probes {
        let want = all.iter().position(|e| e.contains_addr(at));
        let got = ext.containing(at).map(|i| ext.node(i).range());
        assert_eq!(got, want.map(|k| all[k]), "point {at:#x}");
        for len in [1, 2, P, 3 * P, 10 * P] {
            let Some(q) = Range::from_base_size(at, len) else {
                continue;
            };
            let want: Vec<Range> = all.iter().copied().filter(|e| e.overlaps(q)).collect();
            let got: Vec<Range> = ext
                .overlapping(q)
                .into_iter()
                .map(|i| ext.node(i).range())
                .collect();
            assert_eq!(got, want, "range {q}");
            assert_eq!(ext.intersects(q), !want.is_empty());
            let inside = all.iter().any(|e| e.contains(q));
            assert_eq!(ext.contains(q), inside, "range {q}");
        }
    }
}

/// Expect the walk to name each corruption: an out-of-order key, a broken
/// heap, a stale summary, touching extents, and a node missing from one
/// tree.
#[test]
fn the_invariant_walk_catches_each_corruption() {
    let corrupt = |f: fn(&mut [Node], Idx, Idx)| {
        let mut ext = ladder(64);
        let (nodes, addr, size) = ext.raw();
        f(nodes, addr, size);
        ext.check().expect_err("corruption not caught")
    };
    let out_of_order = corrupt(|nodes, addr, _| {
        let left = nodes[addr as usize].addr.left;
        let child = if left == NIL {
            nodes[addr as usize].addr.right
        } else {
            left
        };
        nodes.swap(addr as usize, child as usize);
    });
    assert!(!out_of_order.is_empty());
    let heap = corrupt(|nodes, addr, _| {
        let child = nodes[addr as usize]
            .addr
            .left
            .min(nodes[addr as usize].addr.right);
        nodes[child as usize].prio = u64::MAX;
        nodes[addr as usize].prio = 0;
    });
    assert!(heap.contains("heap"), "{heap}");
    let stale = corrupt(|nodes, addr, _| nodes[addr as usize].max_len += 1);
    assert!(stale.contains("summary"), "{stale}");
    let stale = corrupt(|nodes, _, size| nodes[size as usize].min_start += 1);
    assert!(stale.contains("summary"), "{stale}");
    let empty = corrupt(|nodes, addr, _| {
        let n = &mut nodes[addr as usize];
        n.end = n.start;
    });
    assert!(!empty.is_empty());
    let missing = corrupt(|nodes, _, size| {
        let n = &mut nodes[size as usize];
        n.size.left = NIL;
        n.size.right = NIL;
    });
    assert!(!missing.is_empty());
}

/// Expect two extents that touch (a merge that did not happen) to be
/// caught even when both trees are well-formed.
#[test]
fn the_invariant_walk_catches_unmerged_touching_extents() {
    let mut ext = Extents::new(4, BugSet::NONE);
    assert_eq!(ext.insert_run(r(P, 2 * P)), Ok(()));
    assert_eq!(ext.insert_run(r(2 * P, 3 * P)), Ok(()));
    let err = ext.check().expect_err("touching extents not caught");
    assert!(err.contains("touch"), "{err}");
}
