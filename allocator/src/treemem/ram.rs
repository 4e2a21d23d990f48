//! The registered RAM: ranges and their nodes.
//!
//! The trees track free extents regardless of node, so every node rule
//! (the `_node` calls, the node stages of an allocation) is decided here,
//! against the list of registered ranges.

use crate::{Error, Nid, Outcome, Range, MAX_NODES};

/// One registered RAM range and its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ram {
    pub(super) range: Range,
    pub(super) nid: Nid,
}

/// The registered RAM, sorted by start and normalized: adjacent ranges of
/// one node are merged, so two ranges of one node never touch.
#[derive(Clone, Debug, Default)]
pub(super) struct RamMap {
    ranges: Vec<Ram>,
}

impl RamMap {
    /// Registers `range` on node `nid`: `Invalid` when it is empty, the node
    /// is out of range, or it shares a byte with registered RAM. It merges
    /// with ranges of the same node that it touches.
    pub(super) fn add(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        if range.is_empty()
            || nid >= MAX_NODES
            || self.ranges.iter().any(|r| r.range.overlaps(range))
        {
            return Err(Error::Invalid);
        }
        let mut merged = range;
        self.ranges.retain(|r| {
            let touches = r.range.end() == range.start() || r.range.start() == range.end();
            if r.nid == nid && touches {
                let start = merged.start().min(r.range.start());
                let end = merged.end().max(r.range.end());
                merged = Range::new(start, end).unwrap_or(merged);
                false
            } else {
                true
            }
        });
        let at = self
            .ranges
            .partition_point(|r| r.range.start() < merged.start());
        self.ranges.insert(at, Ram { range: merged, nid });
        Ok(())
    }

    /// The ranges, sorted.
    #[cfg(test)]
    pub(super) fn ranges(&self) -> &[Ram] {
        &self.ranges
    }

    /// The maximal runs of RAM: touching ranges joined, across nodes. These
    /// are setup's initial free extents.
    pub(super) fn runs(&self) -> Vec<Range> {
        let mut runs: Vec<Range> = Vec::new();
        for r in &self.ranges {
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
        let first = self
            .ranges
            .partition_point(|r| r.range.end() <= range.start());
        self.ranges
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
