//! The bug zoo: historical allocator bugs re-injected behind a runtime
//! switch, so that the harness can be shown to find them (and timed doing
//! so).
//!
//! A backend is built with a [`BugSet`]; every planted defect is one
//! `if bugs.has(Bug::X)` around the historical wrong line, so with the empty
//! set (the default) each costs one bit test. The set belongs to the
//! instance, not to the process, so tests that plant bugs run beside tests
//! that do not.
//!
//! Sources are `shared/reference/early-allocators.md` section 8. rootmem
//! was never merged, so its faults are the classic bootmem bugs transposed
//! to its single bitmap: the same wrong arithmetic, on the index the
//! rootmem design has.

use std::fmt;

/// The class of invariant a bug breaks (reference section 8.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BugClass {
    /// Two live things share memory.
    Overlap,
    /// Free pages are lost or the hand-off count is wrong.
    LostPages,
    /// A result is on the wrong node.
    OutOfNode,
    /// Arithmetic wraps.
    Overflow,
    /// A result is misaligned.
    Alignment,
    /// The goal or the limit is ignored.
    GoalOrLimit,
    /// A crash, a hang, or a capacity failure.
    Robustness,
}

impl BugClass {
    /// The class's name.
    pub const fn name(self) -> &'static str {
        match self {
            BugClass::Overlap => "overlap",
            BugClass::LostPages => "lost-pages",
            BugClass::OutOfNode => "out-of-node",
            BugClass::Overflow => "overflow",
            BugClass::Alignment => "alignment",
            BugClass::GoalOrLimit => "goal-or-limit",
            BugClass::Robustness => "robustness",
        }
    }
}

/// A named, historical fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// rootmem, transposed from 481ebd0d76b "bootmem: fix aligning of
    /// node-relative indexes" (v2.6.27-rc4): the first fit aligns the
    /// bitmap-relative index (`pfn - span start`) instead of the absolute
    /// PFN, so when the span does not start on an alignment boundary an
    /// "aligned" result is misaligned.
    R1RelativeAlign,
    /// rootmem, transposed from a5645a61b3b "mm: allow reserve_bootmem()
    /// cross nodes" (v2.6.26-rc1): a reserve marks only the pages of the RAM
    /// range its start lies in, so the rest of a reservation that crosses a
    /// node boundary stays free and is handed out again later.
    R2ReserveFirstRange,
    /// bootmem, 627240aaa92 "bootmem allocator: alloc_bootmem_core():
    /// page-align the end offset" (v2.6.27-rc4), undone: packing is tried
    /// whenever `last_end_off != 0` instead of only when it is not page
    /// aligned, so after alloc(PAGE) / alloc(64) / free(first) / alloc(PAGE)
    /// / alloc(64) the same pointer is returned twice.
    B1LooseMerge,
    /// bootmem, 481ebd0d76b "bootmem: fix aligning of node-relative
    /// indexes" (v2.6.27-rc4), undone: the start index is aligned relative
    /// to the node's first PFN, not absolutely, so on a node that does not
    /// start on an alignment boundary the result is misaligned.
    B2NodeRelativeAlign,
    /// bootmem, 0f3caba211b "bootmem: respect goal more likely"
    /// (v2.6.27-rc1), undone: the goal is honoured only in the first node
    /// whose window can hold it; otherwise the walk takes low memory of an
    /// earlier node although memory above the goal was free.
    B4GoalFirstNodeOnly,
    /// bootmem, a5645a61b3b "mm: allow reserve_bootmem() cross nodes"
    /// (v2.6.26-rc1), undone: a reserve marks only the node holding its
    /// start, so the part on the next node stays free and is handed out.
    B7ReserveOneNode,
    /// bootmem2, transposed from the rollback of the 2.6.27 rewrite's
    /// `mark_bootmem` ("bootmem: free/reserve helpers", v2.6.27-rc1): an
    /// exclusive reserve that meets a taken page in its second block does
    /// not release what it reserved in the first block.
    K1SkipRollback,
    /// memblock, mainline v6.18 by code reading, unfixed there; found by
    /// this harness (memblock_bu, 2026-11-22): `memblock_add_range` counts
    /// the gaps once and keeps the count while it doubles the reserved
    /// array. The doubling frees the old array; when that array lies inside
    /// the range being reserved and its bytes had merged into a bigger
    /// region, freeing it splits the region and opens a gap the stale count
    /// misses, so the insert pass runs past `max` (in the kernel
    /// `memblock_insert_region`'s `BUG_ON(type->cnt >= type->max)`; here
    /// an error, so a valid reserve fails). The backend recounts by default.
    X1StaleGapCount,
    /// memblock, mainline v6.18 by code reading, unfixed there; found by
    /// this harness (all backends, seed 2027, 2026-11-22):
    /// `memblock_double_array` searches below the range being reserved with
    /// an end of `min(new_area_start, current_limit)`, which for a range
    /// starting at 0 or 1 is `MEMBLOCK_ALLOC_ACCESSIBLE` /
    /// `_NOLEAKTRACE`, no bound at all, so the new reserved array can land
    /// inside the range being reserved; a caller freeing its reservation
    /// later frees the live array. The backend skips that search by default.
    X2SentinelBelowEnd,
    /// bootmem, 4cc278b721d "bootmem: Make __alloc_bootmem_low_node fall
    /// back to other nodes" (v2.6.27-rc1), undone: a node-preferring
    /// request is the per-node core alone (the node from the goal, then
    /// from its start), so when its node has no room it returns NULL
    /// instead of falling back to the other nodes, while the other variants
    /// do fall back.
    B5NodeNoFallback,
    /// bootmem, 66d43e98ea6 "fix in __alloc_bootmem_core() when there is
    /// no free page in first node's memory" (v2.6.15-rc6), undone: when no
    /// free page is left from the scan's position to the end of the node's
    /// window (a full node), the scan does not stop at `eidx`; it tests the
    /// bit past the window (past the node's span it reads clear), and a
    /// single-page request whose bit is clear hits `BUG_ON(start >= eidx)`
    /// (here a panic) instead of moving to the next node.
    B8FullNodePanics,
    /// bootmem, ad09315cad1 "mm: fix alloc_bootmem_core to use fast
    /// searching for all nodes" (v2.6.26-rc1), undone: after a candidate
    /// fails, the index is advanced by the alignment step before it is
    /// aligned, so the next aligned candidate is skipped: the first fit is
    /// no longer complete (false out-of-memory or a higher placement).
    B10SkipAfterFailedBlock,
    /// bootmem, aa235fc712f "bootmem, x86: Fix 32bit numa system without
    /// RAM on node 0" (v2.6.34-rc4), undone: `free_all_bootmem()` walks
    /// only node 0 (`NODE_DATA(0)`), so every other node's free pages and
    /// bitmap are lost at hand-off, all of them when node 0 has no RAM.
    B13ReleaseNodeZeroOnly,
    /// bootmem, c91c4773b33 "bootmem: fix slab fallback on numa"
    /// (v2.6.31-rc1), transposed: a node-specific request was served by a
    /// node-blind allocator. Here the exact-node variant falls back to any
    /// node when its own node has no room, so the result lies on the wrong
    /// node.
    B14ExactNodeIgnored,
    /// bootmem2, aa235fc712f "bootmem, x86: Fix 32bit numa system without
    /// RAM on node 0" (v2.6.34-rc4), transposed to bootmem2's blocks: the
    /// hand-off walks only the blocks of node 0, so the free pages of every
    /// other node's blocks, and those blocks' bitmaps, are lost.
    K2ReleaseNodeZeroOnly,
    /// treemem, wli's tree bootmem changelog (2001, against 2.4.x /
    /// 2.5.1-pre6): `segment_tree_intersects()` followed the wrong
    /// children during its search, so an extent that intersects the query
    /// is missed and a range already taken is handed out or reserved
    /// again. Here it is the walk listing the extents an allocation or a
    /// reservation carves: at a node wholly past the range it turns right
    /// instead of left, so the extents on that node's left keep their
    /// bytes free.
    W2IntersectWrongChild,
    /// treemem, 023accf5cdc1 "memblock: ensure there is no overflow in
    /// memblock_overlaps_region()" (v5.14, 2021-06), transposed to
    /// treemem's fit test: `start + size` is computed with wrapping
    /// arithmetic, as in C, so a placement that starts near 2^64 (its goal
    /// is there) wraps past 2^64, "fits" and is handed out. (A huge size
    /// never gets that far: the size tree's length tests cannot wrap.)
    T1WrappingEnd,
    /// early_res, 46cb27f5169 "x86: check range in reserve_early()"
    /// (v2.6.30-rc3), undone: an empty reservation (`start == end`) is
    /// recorded as an entry, which the overlap test `end > r->start &&
    /// start < r->end` finds in every range that straddles s. Recording it
    /// strictly inside a reservation panics "Overlapping early
    /// reservations"; later, an allocation across s is moved past it
    /// (`bad_addr`), an exclusive reserve across it is Busy, and
    /// `free_early_partial` across it loops forever (here a panic). (An
    /// empty entry at 0 looked like a free slot to the kernel; here it
    /// takes a slot.)
    E4EmptyEntry,
    /// early_res, 28b1c57d3c1 "x86: Dynamically increase early_res array
    /// size" (v2.6.34-rc1), undone: the table never doubles; once it is
    /// full `__reserve_early` panics "Too many early reservations".
    E5FixedTable,
    /// nobootmem, 337998587f8 "nobootmem, x86: Fix 32bit numa system
    /// without RAM on node 0" (v2.6.34-rc4), undone: the NO_BOOTMEM
    /// `free_all_bootmem()` hands over only node 0's free ranges, so every
    /// other node's pages are lost.
    E10FreeAllNodeZero,
    /// memblock, 8f7a66051b7 "mm/memblock: properly handle overlaps and fix
    /// error path" (v3.0, 2011), undone: when doubling the array fails
    /// during an insert, the error path removes the array's last region
    /// instead of the one just inserted, so an existing reservation is
    /// forgotten and handed out again. The model doubles before it
    /// inserts, so the range goes in anyway (the old arrays' spare slot)
    /// and the last regions are dropped back to the old count. The layer
    /// rolls a failed call back, so it shows only where an allocation's
    /// failed attempt is followed by a retry that succeeds; the retry's
    /// doubled array lands in the forgotten reservation, so the harness
    /// first sees metadata over a live reservation.
    M5WrongRollback,
    /// memblock, 023accf5cdc1 "memblock: ensure there is no overflow in
    /// memblock_overlaps_region()" (v5.14, 2021-06), undone: the overlap
    /// test adds `base + size` without capping it, so a range that wraps
    /// past 2^64 is reported as overlapping nothing.
    /// `memblock_is_region_reserved` capped the size itself until that
    /// commit, so only direct callers were exposed; in this model the
    /// layer's one direct call (`add_memory`'s memory overlap test) takes a
    /// `Range`, which cannot wrap, and reserve refuses an end past 2^64
    /// before any native call: the fault is not reachable through the
    /// bootmem-compatible contract. It is reachable through the native
    /// memblock API only ([`Bug::reachable_through_layer`]).
    M15OverlapsWrap,
    /// memblock, f1c2c19c498 "memblock: Fix memblock_is_region_reserved()
    /// to return a boolean" (2010-08), undone: the call returned the index
    /// of the first overlapping region, or -1, and callers read it as a
    /// boolean: an overlap with region 0 read as 0, "not reserved", and no
    /// overlap at all as -1, "reserved". The layer's exclusive reserve
    /// then answers Busy on free memory and Ok over region 0: the harness
    /// sees a wrong outcome, the robustness class of reference section 8.6,
    /// not an overlap.
    L13RegionReservedIndex,
}

impl Bug {
    /// Every bug, grouped by backend.
    pub const ALL: [Bug; 23] = [
        Bug::R1RelativeAlign,
        Bug::R2ReserveFirstRange,
        Bug::B1LooseMerge,
        Bug::B2NodeRelativeAlign,
        Bug::B4GoalFirstNodeOnly,
        Bug::B5NodeNoFallback,
        Bug::B7ReserveOneNode,
        Bug::B8FullNodePanics,
        Bug::B10SkipAfterFailedBlock,
        Bug::B13ReleaseNodeZeroOnly,
        Bug::B14ExactNodeIgnored,
        Bug::K1SkipRollback,
        Bug::K2ReleaseNodeZeroOnly,
        Bug::W2IntersectWrongChild,
        Bug::T1WrappingEnd,
        Bug::E4EmptyEntry,
        Bug::E5FixedTable,
        Bug::E10FreeAllNodeZero,
        Bug::L13RegionReservedIndex,
        Bug::M5WrongRollback,
        Bug::M15OverlapsWrap,
        Bug::X1StaleGapCount,
        Bug::X2SentinelBelowEnd,
    ];

    /// The short id used by `--bug` and `BOOTFUZZ_BUG`.
    pub const fn id(self) -> &'static str {
        match self {
            Bug::R1RelativeAlign => "R1",
            Bug::R2ReserveFirstRange => "R2",
            Bug::B1LooseMerge => "B1",
            Bug::B2NodeRelativeAlign => "B2",
            Bug::B4GoalFirstNodeOnly => "B4",
            Bug::B7ReserveOneNode => "B7",
            Bug::K1SkipRollback => "K1",
            Bug::X1StaleGapCount => "X1",
            Bug::X2SentinelBelowEnd => "X2",
            Bug::B5NodeNoFallback => "B5",
            Bug::B8FullNodePanics => "B8",
            Bug::B10SkipAfterFailedBlock => "B10",
            Bug::B13ReleaseNodeZeroOnly => "B13",
            Bug::B14ExactNodeIgnored => "B14",
            Bug::K2ReleaseNodeZeroOnly => "K2",
            Bug::W2IntersectWrongChild => "W2",
            Bug::T1WrappingEnd => "T1",
            Bug::E4EmptyEntry => "E4",
            Bug::E5FixedTable => "E5",
            Bug::E10FreeAllNodeZero => "E10",
            Bug::M5WrongRollback => "M5",
            Bug::M15OverlapsWrap => "M15",
            Bug::L13RegionReservedIndex => "L13",
        }
    }

    /// The backend the bug is planted in.
    pub const fn backend(self) -> &'static str {
        match self {
            Bug::R1RelativeAlign | Bug::R2ReserveFirstRange => "rootmem",
            Bug::B1LooseMerge
            | Bug::B2NodeRelativeAlign
            | Bug::B4GoalFirstNodeOnly
            | Bug::B7ReserveOneNode
            | Bug::B5NodeNoFallback
            | Bug::B8FullNodePanics
            | Bug::B10SkipAfterFailedBlock
            | Bug::B13ReleaseNodeZeroOnly
            | Bug::B14ExactNodeIgnored => "bootmem",
            Bug::K1SkipRollback | Bug::K2ReleaseNodeZeroOnly => "bootmem2",
            Bug::W2IntersectWrongChild | Bug::T1WrappingEnd => "treemem",
            Bug::E4EmptyEntry | Bug::E5FixedTable => "early_res",
            Bug::E10FreeAllNodeZero => "nobootmem",
            Bug::X1StaleGapCount
            | Bug::X2SentinelBelowEnd
            | Bug::M5WrongRollback
            | Bug::M15OverlapsWrap
            | Bug::L13RegionReservedIndex => "memblock",
        }
    }

    /// The invariant class it breaks.
    pub const fn class(self) -> BugClass {
        match self {
            Bug::R1RelativeAlign | Bug::B2NodeRelativeAlign => BugClass::Alignment,
            Bug::R2ReserveFirstRange
            | Bug::B1LooseMerge
            | Bug::B7ReserveOneNode
            | Bug::X2SentinelBelowEnd
            | Bug::W2IntersectWrongChild
            | Bug::M5WrongRollback => BugClass::Overlap,
            Bug::B4GoalFirstNodeOnly => BugClass::GoalOrLimit,
            Bug::B13ReleaseNodeZeroOnly | Bug::K2ReleaseNodeZeroOnly | Bug::E10FreeAllNodeZero => {
                BugClass::LostPages
            }
            Bug::B5NodeNoFallback | Bug::B14ExactNodeIgnored => BugClass::OutOfNode,
            Bug::T1WrappingEnd | Bug::M15OverlapsWrap => BugClass::Overflow,
            Bug::K1SkipRollback
            | Bug::X1StaleGapCount
            | Bug::B8FullNodePanics
            | Bug::B10SkipAfterFailedBlock
            | Bug::E4EmptyEntry
            | Bug::E5FixedTable
            | Bug::L13RegionReservedIndex => BugClass::Robustness,
        }
    }

    /// The historical commit it re-creates, in one line.
    pub const fn origin(self) -> &'static str {
        match self {
            Bug::R1RelativeAlign => {
                "481ebd0d76b \"bootmem: fix aligning of node-relative indexes\" (v2.6.27-rc4)"
            }
            Bug::R2ReserveFirstRange | Bug::B7ReserveOneNode => {
                "a5645a61b3b \"mm: allow reserve_bootmem() cross nodes\" (v2.6.26-rc1)"
            }
            Bug::B1LooseMerge => {
                "627240aaa92 \"bootmem allocator: alloc_bootmem_core(): page-align the end offset\" (v2.6.27-rc4)"
            }
            Bug::B2NodeRelativeAlign => {
                "481ebd0d76b \"bootmem: fix aligning of node-relative indexes\" (v2.6.27-rc4)"
            }
            Bug::B4GoalFirstNodeOnly => {
                "0f3caba211b \"bootmem: respect goal more likely\" (v2.6.27-rc1)"
            }
            Bug::X2SentinelBelowEnd => {
                "memblock_double_array's search below a range from 0 or 1 with a sentinel end (v6.18, code reading)"
            }
            Bug::X1StaleGapCount => {
                "memblock_add_range's stale gap count after memblock_double_array (v6.18, code reading)"
            }
            Bug::K1SkipRollback => {
                "mark_bootmem rollback, \"bootmem: free/reserve helpers\" (v2.6.27-rc1), transposed to bootmem2 blocks"
            }
            Bug::B5NodeNoFallback => {
                "4cc278b721d \"bootmem: Make __alloc_bootmem_low_node fall back to other nodes\" (v2.6.27-rc1)"
            }
            Bug::B8FullNodePanics => {
                "66d43e98ea6 \"fix in __alloc_bootmem_core() when there is no free page in first node's memory\" (v2.6.15-rc6)"
            }
            Bug::B10SkipAfterFailedBlock => {
                "ad09315cad1 \"mm: fix alloc_bootmem_core to use fast searching for all nodes\" (v2.6.26-rc1)"
            }
            Bug::B13ReleaseNodeZeroOnly => {
                "aa235fc712f \"bootmem, x86: Fix 32bit numa system without RAM on node 0\" (v2.6.34-rc4)"
            }
            Bug::B14ExactNodeIgnored => {
                "c91c4773b33 \"bootmem: fix slab fallback on numa\" (v2.6.31-rc1), transposed to the exact-node variant"
            }
            Bug::K2ReleaseNodeZeroOnly => {
                "aa235fc712f \"bootmem, x86: Fix 32bit numa system without RAM on node 0\" (v2.6.34-rc4), transposed to bootmem2 blocks"
            }
            Bug::W2IntersectWrongChild => {
                "wli tree bootmem changelog (2001): segment_tree_intersects() followed the wrong children"
            }
            Bug::T1WrappingEnd => {
                "023accf5cdc1 \"memblock: ensure there is no overflow in memblock_overlaps_region()\" (v5.14), transposed to treemem's fit test"
            }
            Bug::E4EmptyEntry => {
                "46cb27f5169 \"x86: check range in reserve_early()\" (v2.6.30-rc3)"
            }
            Bug::E5FixedTable => {
                "28b1c57d3c1 \"x86: Dynamically increase early_res array size\" (v2.6.34-rc1)"
            }
            Bug::E10FreeAllNodeZero => {
                "337998587f8 \"nobootmem, x86: Fix 32bit numa system without RAM on node 0\" (v2.6.34-rc4)"
            }
            Bug::M5WrongRollback => {
                "8f7a66051b7 \"mm/memblock: properly handle overlaps and fix error path\" (v3.0)"
            }
            Bug::M15OverlapsWrap => {
                "023accf5cdc1 \"memblock: ensure there is no overflow in memblock_overlaps_region()\" (v5.14)"
            }
            Bug::L13RegionReservedIndex => {
                "f1c2c19c498 \"memblock: Fix memblock_is_region_reserved() to return a boolean\" (2010-08)"
            }
        }
    }

    /// Whether the bug re-creates a change from the allocators' history
    /// (reference section 8). X1 and X2 are not history: they are mainline
    /// behaviours this harness found, planted back to pin their fixes.
    pub const fn historical(self) -> bool {
        !matches!(self, Bug::X1StaleGapCount | Bug::X2SentinelBelowEnd)
    }

    /// Whether scenarios of the bootmem-compatible API can reach the bug.
    /// Only M15 cannot: the contract refuses a wrapping range before any
    /// native memblock call, so it needs the native API driven directly.
    /// The zoo and the planted-bug tests measure the reachable ones.
    pub const fn reachable_through_layer(self) -> bool {
        !matches!(self, Bug::M15OverlapsWrap)
    }

    /// The bug with this id (case-insensitive), if any.
    pub fn from_id(id: &str) -> Option<Bug> {
        Bug::ALL
            .into_iter()
            .find(|b| b.id().eq_ignore_ascii_case(id.trim()))
    }

    const fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A set of planted bugs; empty by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BugSet(u64);

impl BugSet {
    /// No bug planted: the faithful allocators.
    pub const NONE: BugSet = BugSet(0);

    /// The set with `bug` added.
    pub const fn with(self, bug: Bug) -> BugSet {
        BugSet(self.0 | bug.bit())
    }

    /// True when `bug` is planted. Built with `--cfg bootfuzz_no_faults`,
    /// always false, so that every fault compiles out (the `fault_switch`
    /// bench measures the difference).
    #[inline]
    pub const fn has(self, bug: Bug) -> bool {
        !cfg!(bootfuzz_no_faults) && self.0 & bug.bit() != 0
    }

    /// True when no bug is planted.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The planted bugs, in id order.
    pub fn bugs(self) -> Vec<Bug> {
        Bug::ALL.into_iter().filter(|b| self.has(*b)).collect()
    }

    /// Parses a comma-separated list of ids (`"R1,R2"`); an empty string is
    /// the empty set. The error names the first unknown id.
    pub fn parse(list: &str) -> Result<BugSet, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .try_fold(BugSet::NONE, |set, id| match Bug::from_id(id) {
                Some(bug) => Ok(set.with(bug)),
                None => Err(format!(
                    "unknown bug '{id}' (known: {})",
                    Bug::ALL.map(Bug::id).join(", ")
                )),
            })
    }
}

impl fmt::Display for BugSet {
    /// The ids, comma-separated, in id order (`R1,R2`): the list
    /// [`BugSet::parse`] reads back. Nothing for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.bugs().into_iter().map(Bug::id).collect();
        f.write_str(&ids.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_back_to_their_bugs() {
        for bug in Bug::ALL {
            assert_eq!(Bug::from_id(bug.id()), Some(bug));
            assert!(BugSet::parse(bug.id()).is_ok_and(|s| s.has(bug)));
        }
        assert_eq!(BugSet::parse(""), Ok(BugSet::NONE));
        assert!(BugSet::NONE.is_empty());
        assert!(!BugSet::NONE.with(Bug::B1LooseMerge).is_empty());
        assert!(BugSet::parse("R1, nope").is_err_and(|e| e.contains("'nope'")));
    }

    #[test]
    fn a_set_prints_as_the_list_it_parses_from() {
        let set = BugSet::NONE
            .with(Bug::K1SkipRollback)
            .with(Bug::R1RelativeAlign);
        assert_eq!(set.to_string(), "R1,K1");
        assert_eq!(BugSet::parse(&set.to_string()), Ok(set));
        assert_eq!(BugSet::NONE.to_string(), "");
    }
}
