//! The registered RAM of an instance: `add_memory`'s rules and the
//! normalized list of ranges it builds (SPEC sections 2 and 3).

use crate::pages::Pages;
use crate::{Error, Nid, Outcome, Range, MAX_NODES};

/// One registered RAM range and its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ram {
    /// The bytes of RAM.
    pub(crate) range: Range,
    /// The node they belong to.
    pub(crate) nid: Nid,
}

/// The registered RAM, sorted by start and normalized: adjacent ranges of
/// one node are merged, so two ranges of one node never touch (ranges of
/// different nodes may).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RamList {
    ranges: Vec<Ram>,
}

impl RamList {
    /// Registers `range` as RAM of node `nid`, merging it with the ranges
    /// of the same node that end where it starts or start where it ends.
    /// `Invalid`, and no change, when the range is empty, `nid >=
    /// MAX_NODES`, or it shares a byte with registered RAM.
    pub(crate) fn add(&mut self, range: Range, nid: Nid) -> Outcome<()> {
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

    /// The ranges, sorted by start.
    pub(crate) fn ranges(&self) -> &[Ram] {
        &self.ranges
    }

    /// The whole pages of each range that has any, with its node, in
    /// address order. Two runs of one node never touch.
    pub(crate) fn whole_pages(&self) -> impl Iterator<Item = (Pages, Nid)> + '_ {
        self.ranges
            .iter()
            .filter_map(|r| Some((Pages::whole_in(r.range)?, r.nid)))
    }

    /// The `_node` rule: `Ok` when `nid` is `None`, or when `range` lies
    /// inside one RAM range of node `nid`; `Invalid` otherwise. For a page
    /// backend `range` is the rounded, page-aligned range, so this is "inside
    /// the whole pages of one range of the node".
    pub(crate) fn check_node(&self, nid: Option<Nid>, range: Range) -> Outcome<()> {
        let inside = |n: Nid| {
            self.ranges
                .iter()
                .any(|r| r.nid == n && r.range.contains(range))
        };
        if nid.is_none_or(inside) {
            Ok(())
        } else {
            Err(Error::Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::r;

    /// ```text
    ///   n0 [0x2800, 0x5000) + n0 [0, 0x2800) + n1 [0x5000, 0x6800)
    /// ```
    #[test]
    fn touching_ranges_merge_only_within_a_node() {
        let mut ram = RamList::default();
        assert_eq!(ram.add(r(0x2800, 0x5000), 0), Ok(()));
        assert_eq!(ram.add(r(0x5000, 0x6800), 1), Ok(()));
        assert_eq!(ram.add(r(0, 0x2800), 0), Ok(()));
        let want = [(r(0, 0x5000), 0), (r(0x5000, 0x6800), 1)];
        assert_eq!(ram.ranges(), want.map(|(range, nid)| Ram { range, nid }));
        let whole: Vec<(Pages, Nid)> = ram.whole_pages().collect();
        assert_eq!(
            whole,
            vec![(Pages { lo: 0, hi: 5 }, 0), (Pages { lo: 5, hi: 6 }, 1)]
        );
        assert_eq!(ram.check_node(None, r(0x4000, 0x6000)), Ok(()));
        assert_eq!(ram.check_node(Some(0), r(0x4000, 0x5000)), Ok(()));
        assert_eq!(
            ram.check_node(Some(0), r(0x4000, 0x6000)),
            Err(Error::Invalid)
        );
        assert_eq!(ram.check_node(Some(2), r(0, 1)), Err(Error::Invalid));
    }
}
