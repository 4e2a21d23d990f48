//! The registered RAM: ranges and their nodes.
//!
//! The trees track free extents regardless of node, so every node rule
//! (the `_node` calls, the node stages of an allocation) is decided here,
//! against the list of registered ranges.

use crate::ram::{Ram, RamList};
use crate::{Nid, Outcome, Range};

/// The registered RAM ([`RamList`]: sorted, same-node neighbours merged)
/// with the queries treemem's node rules need.
#[derive(Clone, Debug, Default)]
pub(super) struct RamMap {
    list: RamList,
}

impl RamMap {
    /// Registers `range` on node `nid` ([`RamList::add`]: `Invalid` when it
    /// is empty, the node is out of range, or it shares a byte with
    /// registered RAM).
    pub(super) fn add(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        self.list.add(range, nid)
    }

    /// The ranges, sorted.
    pub(super) fn ranges(&self) -> &[Ram] {
        self.list.ranges()
    }

    /// The maximal runs of RAM: touching ranges joined, across nodes. These
    /// are setup's initial free extents.
    pub(super) fn runs(&self) -> Vec<Range> {
        let mut runs: Vec<Range> = Vec::new();
        for r in self.ranges() {
            match runs.last_mut() {
                Some(last) if last.end() == r.range.start() => {
                    *last = Range::new(last.start(), r.range.end()).unwrap_or(*last);
                }
                _ => runs.push(r.range),
            }
        }
        runs
    }

    /// The ranges sharing a byte with `range`, in address order.
    pub(super) fn overlapping(&self, range: Range) -> impl Iterator<Item = &Ram> + '_ {
        let ranges = self.ranges();
        let first = ranges.partition_point(|r| r.range.end() <= range.start());
        ranges
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(move |r| r.range.start() < range.end())
    }

    /// True when every byte of the non-empty `range` is RAM: the ranges it
    /// meets cover it without a gap (they may belong to several nodes).
    pub(super) fn is_ram(&self, range: Range) -> bool {
        let mut next = range.start();
        for r in self.overlapping(range) {
            if r.range.start() > next {
                return false;
            }
            next = r.range.end();
        }
        next >= range.end()
    }

    /// True when `range` lies inside one RAM range of node `nid`.
    pub(super) fn in_node_range(&self, nid: Nid, range: Range) -> bool {
        self.overlapping(range)
            .any(|r| r.nid == nid && r.range.contains(range))
    }
}
