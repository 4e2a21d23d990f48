//! Treaps over the pool's nodes, one generic implementation for both
//! orderings.
//!
//! A treap (Seidel and Aragon's randomized search tree, the structure wli's
//! patch used, reference section 3) is a binary search tree by key and a
//! max-heap by a random priority at once; its expected depth is
//! logarithmic whatever the insertion order. Both trees thread through the
//! same [`Node`]s with separate links ([`Order::links`]), and each keeps
//! its own subtree summary, recomputed bottom-up by [`Order::pull`]:
//!
//! - [`ByAddr`]: key `start`; summary: the longest extent below
//!   (`max_len`);
//! - [`BySize`]: key `(len, start)`; summaries: the lowest start and the
//!   highest end below (`min_start`, `max_end`), which bound the
//!   allocation search ([`super::place`]).
//!
//! Insertion and removal are split and merge, recursive, so the recursion
//! depth is the tree depth. A node's key may change while it is in a tree
//! only if its order among the other keys stays the same, followed by
//! [`update`]; otherwise the node is taken out, edited and put back.

use super::pool::{Idx, Links, Node, NIL};

/// One ordering of the nodes: which links it uses, its key, its summary.
pub(super) trait Order {
    /// The tree's name, for invariant reports.
    const NAME: &'static str;
    /// The node's links in this tree.
    fn links(n: &Node) -> Links;
    /// Sets the node's links in this tree.
    fn set_links(n: &mut Node, links: Links);
    /// The node's key in this tree; keys of live nodes are distinct.
    fn key(n: &Node) -> (u64, u64);
    /// Recomputes node `i`'s summary from its own extent and its children's
    /// summaries.
    fn pull(nodes: &mut [Node], i: Idx);
    /// True when node `i`'s stored summary is what [`Order::pull`] would
    /// compute.
    fn summary_ok(nodes: &[Node], i: Idx) -> bool;
}

/// The address ordering (free, reserve, contains, intersects, stealing).
pub(super) struct ByAddr;

/// The size ordering (fitting).
pub(super) struct BySize;

fn at(nodes: &[Node], i: Idx) -> &Node {
    &nodes[i as usize]
}

fn at_mut(nodes: &mut [Node], i: Idx) -> &mut Node {
    &mut nodes[i as usize]
}

/// `f` of child `i`'s summary, or `none` for a null child.
fn child<T>(nodes: &[Node], i: Idx, none: T, f: impl Fn(&Node) -> T) -> T {
    if i == NIL {
        none
    } else {
        f(at(nodes, i))
    }
}

impl ByAddr {
    fn max_len(nodes: &[Node], i: Idx) -> u64 {
        let n = at(nodes, i);
        let l = child(nodes, n.addr.left, 0, |c| c.max_len);
        let r = child(nodes, n.addr.right, 0, |c| c.max_len);
        n.len().max(l).max(r)
    }
}

impl Order for ByAddr {
    const NAME: &'static str = "address tree";

    fn links(n: &Node) -> Links {
        n.addr
    }

    fn set_links(n: &mut Node, links: Links) {
        n.addr = links;
    }

    fn key(n: &Node) -> (u64, u64) {
        (n.start, 0)
    }

    fn pull(nodes: &mut [Node], i: Idx) {
        let max_len = ByAddr::max_len(nodes, i);
        at_mut(nodes, i).max_len = max_len;
    }

    fn summary_ok(nodes: &[Node], i: Idx) -> bool {
        at(nodes, i).max_len == ByAddr::max_len(nodes, i)
    }
}

impl BySize {
    fn bounds(nodes: &[Node], i: Idx) -> (u64, u64) {
        let n = at(nodes, i);
        let (l, r) = (n.size.left, n.size.right);
        let min_start = n
            .start
            .min(child(nodes, l, u64::MAX, |c| c.min_start))
            .min(child(nodes, r, u64::MAX, |c| c.min_start));
        let max_end = n
            .end
            .max(child(nodes, l, 0, |c| c.max_end))
            .max(child(nodes, r, 0, |c| c.max_end));
        (min_start, max_end)
    }
}

impl Order for BySize {
    const NAME: &'static str = "size tree";

    fn links(n: &Node) -> Links {
        n.size
    }

    fn set_links(n: &mut Node, links: Links) {
        n.size = links;
    }

    fn key(n: &Node) -> (u64, u64) {
        (n.len(), n.start)
    }

    fn pull(nodes: &mut [Node], i: Idx) {
        let (min_start, max_end) = BySize::bounds(nodes, i);
        let n = at_mut(nodes, i);
        n.min_start = min_start;
        n.max_end = max_end;
    }

    fn summary_ok(nodes: &[Node], i: Idx) -> bool {
        let n = at(nodes, i);
        (n.min_start, n.max_end) == BySize::bounds(nodes, i)
    }
}

/// Splits tree `t` into the nodes with keys below `key` and the rest.
fn split<O: Order>(nodes: &mut [Node], t: Idx, key: (u64, u64)) -> (Idx, Idx) {
    if t == NIL {
        return (NIL, NIL);
    }
    let links = O::links(at(nodes, t));
    if O::key(at(nodes, t)) < key {
        let (lo, hi) = split::<O>(nodes, links.right, key);
        O::set_links(at_mut(nodes, t), Links { right: lo, ..links });
        O::pull(nodes, t);
        (t, hi)
    } else {
        let (lo, hi) = split::<O>(nodes, links.left, key);
        O::set_links(at_mut(nodes, t), Links { left: hi, ..links });
        O::pull(nodes, t);
        (lo, t)
    }
}

/// Joins trees `a` and `b`, every key of `a` below every key of `b`.
fn merge<O: Order>(nodes: &mut [Node], a: Idx, b: Idx) -> Idx {
    if a == NIL {
        return b;
    }
    if b == NIL {
        return a;
    }
    if at(nodes, a).prio >= at(nodes, b).prio {
        let links = O::links(at(nodes, a));
        let right = merge::<O>(nodes, links.right, b);
        O::set_links(at_mut(nodes, a), Links { right, ..links });
        O::pull(nodes, a);
        a
    } else {
        let links = O::links(at(nodes, b));
        let left = merge::<O>(nodes, a, links.left);
        O::set_links(at_mut(nodes, b), Links { left, ..links });
        O::pull(nodes, b);
        b
    }
}

/// Inserts the detached node `i` into tree `root`; returns the new root.
pub(super) fn insert<O: Order>(nodes: &mut [Node], root: Idx, i: Idx) -> Idx {
    let key = O::key(at(nodes, i));
    O::set_links(at_mut(nodes, i), Links::NONE);
    O::pull(nodes, i);
    let (lo, hi) = split::<O>(nodes, root, key);
    let lo = merge::<O>(nodes, lo, i);
    merge::<O>(nodes, lo, hi)
}

/// Removes node `i` (found by its key) from tree `t`; returns the new root.
/// A tree without `i` comes back unchanged.
pub(super) fn remove<O: Order>(nodes: &mut [Node], t: Idx, i: Idx) -> Idx {
    if t == NIL {
        return NIL;
    }
    let key = O::key(at(nodes, i));
    let links = O::links(at(nodes, t));
    let here = O::key(at(nodes, t));
    if here == key {
        O::set_links(at_mut(nodes, t), Links::NONE);
        return merge::<O>(nodes, links.left, links.right);
    }
    let links = if key < here {
        Links {
            left: remove::<O>(nodes, links.left, i),
            ..links
        }
    } else {
        Links {
            right: remove::<O>(nodes, links.right, i),
            ..links
        }
    };
    O::set_links(at_mut(nodes, t), links);
    O::pull(nodes, t);
    t
}

/// Refreshes the summaries on the path from `t` down to node `i`, after
/// `i`'s extent changed in a way that keeps its place in this tree's order
/// (its key still sorts between the same neighbours). Cheaper than a
/// removal and a reinsertion: one descent, no restructuring.
pub(super) fn update<O: Order>(nodes: &mut [Node], t: Idx, i: Idx) {
    if t == NIL {
        return;
    }
    if t != i {
        let links = O::links(at(nodes, t));
        let next = if O::key(at(nodes, i)) < O::key(at(nodes, t)) {
            links.left
        } else {
            links.right
        };
        update::<O>(nodes, next, i);
    }
    O::pull(nodes, t);
}

/// The invariant walk of one tree: strict key order, the heap property,
/// correct summaries, every node reached once. Marks the nodes it reaches
/// in `seen` and returns how many it reached.
pub(super) fn check<O: Order>(nodes: &[Node], root: Idx, seen: &mut [bool]) -> Result<u64, String> {
    let mut count = 0;
    walk::<O>(nodes, root, None, None, u64::MAX, seen, &mut count)?;
    Ok(count)
}

/// One subtree of [`check`]: keys strictly inside `(lo, hi)`, priorities at
/// most `prio`.
fn walk<O: Order>(
    nodes: &[Node],
    t: Idx,
    lo: Option<(u64, u64)>,
    hi: Option<(u64, u64)>,
    prio: u64,
    seen: &mut [bool],
    count: &mut u64,
) -> Result<(), String> {
    if t == NIL {
        return Ok(());
    }
    let name = O::NAME;
    match seen.get_mut(t as usize) {
        Some(s) if !*s => *s = true,
        Some(_) => return Err(format!("{name}: node {t} reached twice")),
        None => return Err(format!("{name}: link to slot {t} past the pool")),
    }
    *count += 1;
    let n = at(nodes, t);
    let key = O::key(n);
    if n.start >= n.end {
        return Err(format!("{name}: node {t} holds an empty extent"));
    }
    if lo.is_some_and(|lo| key <= lo) || hi.is_some_and(|hi| key >= hi) {
        return Err(format!("{name}: node {t} key {key:?} out of order"));
    }
    if n.prio > prio {
        return Err(format!("{name}: node {t} breaks the heap property"));
    }
    if !O::summary_ok(nodes, t) {
        return Err(format!("{name}: node {t} has a stale summary"));
    }
    let links = O::links(n);
    walk::<O>(nodes, links.left, lo, Some(key), n.prio, seen, count)?;
    walk::<O>(nodes, links.right, Some(key), hi, n.prio, seen, count)
}
