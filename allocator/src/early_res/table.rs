//! The native table: `reserve_early`, `reserve_early_overlap_ok`,
//! `free_early`, `free_early_partial` and the doubling of
//! `__check_and_double_early_res`, as in v2.6.34 `kernel/early_res.c`.

use super::entry::{Entry, Name, ResError};
use crate::bugs::{Bug, BugSet};
use crate::range::page_down;
use crate::{PhysAddr, Range};

/// Slots of the initial, static table: `MAX_EARLY_RES_X` in v2.6.34 (32
/// since 6a1e008a091 "x86: Increase MAX_EARLY_RES; insufficient on 32-bit
/// NUMA", v2.6.33-rc2; 20 before).
pub const MAX_EARLY_RES_X: usize = 32;

/// Bytes per slot, used to size a doubled table and as its alignment:
/// `sizeof(struct early_res)` on x86-64 in v2.6.34, where the struct is
/// `{ u64 start, end; char name[15]; char overlap_ok; }` = 8 + 8 + 15 + 1 =
/// 32 bytes with no padding. (In `arch/x86/kernel/e820.c` since
/// c4ba1320b70, v2.6.27-rc1, `overlap_ok` followed a `char name[16]`,
/// which pads the struct to 40 bytes; the v2.6.34 struct has `name[15]`,
/// the commit that shrank it is not identified here. The doubling passes
/// this size as `find_fw_memmap_area`'s alignment, which `round_up` needs
/// to be a power of two: 32 is, 40 is not.)
pub const ENTRY_SIZE: u64 = 32;

/// What `free_early_partial`'s split does about the table's capacity before
/// it re-adds the tail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Split {
    /// The kernel's `reserve_early_without_check`: double if the slots are
    /// low, avoiding only the tail, so the new table may land in the bytes
    /// just freed.
    Checked,
    /// Nothing: the caller has made room already (the bootmem layer).
    Unchecked,
}

/// The early reservation table: the RAM it may use (the e820 RAM entries),
/// its used slots in insertion order, and its capacity.
///
/// Invariants: entries are pairwise disjoint (`reserve_early` drops the
/// overlap_ok parts it overlaps and refuses the rest; the internal
/// `without_check` appends only take free bytes) and never empty; `count() <=
/// max()`; when the table has doubled, entry 0 describes the table itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EarlyRes {
    /// RAM as `find_e820_area` sees it: sorted, overlapping and touching
    /// ranges merged (as `sanitize_e820_map` merges same-type neighbours).
    pub(super) e820: Vec<Range>,
    /// The used slots, the compact prefix of the kernel's array.
    pub(super) entries: Vec<Entry>,
    /// Number of slots, `max_early_res`.
    pub(super) max: usize,
    /// Where the table lives once it has doubled into RAM; `None` while it
    /// is the static `early_res_x[]` in kernel data, outside managed memory.
    pub(super) table: Option<Range>,
    /// Planted historical bugs ([`crate::bugs`]): E4 in
    /// [`EarlyRes::reserve_early`], E5 in [`EarlyRes::would_double`].
    pub(super) bugs: BugSet,
}

impl Default for EarlyRes {
    fn default() -> EarlyRes {
        EarlyRes::new()
    }
}

impl EarlyRes {
    /// An empty table with [`MAX_EARLY_RES_X`] static slots and no RAM.
    pub fn new() -> EarlyRes {
        EarlyRes::with_capacity(MAX_EARLY_RES_X)
    }

    /// An empty table with `capacity` static slots (at least 1: a zero-slot
    /// table would double to zero slots) and no RAM. Small capacities make
    /// doubling reachable in short scenarios.
    pub fn with_capacity(capacity: usize) -> EarlyRes {
        EarlyRes::with_capacity_and_bugs(capacity, BugSet::NONE)
    }

    /// As [`EarlyRes::with_capacity`], with the historical `bugs` planted.
    pub fn with_capacity_and_bugs(capacity: usize, bugs: BugSet) -> EarlyRes {
        EarlyRes {
            e820: Vec::new(),
            entries: Vec::new(),
            max: capacity.max(1),
            table: None,
            bugs,
        }
    }

    /// Adds `range` to the RAM the table may double into and that
    /// [`EarlyRes::find_e820_area`] searches; ranges that overlap or touch
    /// merge. An empty range is ignored.
    pub fn add_ram(&mut self, range: Range) {
        if range.is_empty() {
            return;
        }
        let mut merged = range;
        self.e820.retain(|r| {
            let joins = r.start() <= merged.end() && merged.start() <= r.end();
            if joins {
                let start = r.start().min(merged.start());
                let end = r.end().max(merged.end());
                merged = Range::new(start, end).unwrap_or(merged);
            }
            !joins
        });
        let at = self.e820.partition_point(|r| r.start() < merged.start());
        self.e820.insert(at, merged);
    }

    /// The RAM ranges, sorted and maximal.
    pub fn ram(&self) -> &[Range] {
        &self.e820
    }

    /// The used slots in table order: insertion order, except that a
    /// doubled table puts its own entry first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Used slots, `early_res_count`.
    pub fn count(&self) -> usize {
        self.entries.len()
    }

    /// Slots, `max_early_res`.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Where the doubled table lives, or `None` while it is the static one.
    pub fn table(&self) -> Option<Range> {
        self.table
    }

    /// Every reserved byte as sorted, maximal ranges (entries that touch
    /// are joined).
    pub fn reserved(&self) -> Vec<Range> {
        let mut ranges: Vec<Range> = self.entries.iter().map(Entry::range).collect();
        ranges.sort_unstable();
        let mut out: Vec<Range> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match out.last_mut() {
                Some(last) if last.end() >= r.start() => {
                    let end = last.end().max(r.end());
                    *last = Range::new(last.start(), end).unwrap_or(*last);
                }
                _ => out.push(r),
            }
        }
        out
    }

    /// `reserve_early(start, end, name)`: appends a non-overlap_ok entry.
    ///
    /// As in v2.6.34: `start >= end` is ignored and returns `Ok` with no
    /// change (46cb27f5169 "x86: check range in reserve_early()",
    /// v2.6.30-rc3); the table doubles first when free slots are
    /// `max(max/8, 2)` or fewer (28b1c57d3c1); overlap_ok entries that
    /// overlap the range are dropped and their parts below and above it
    /// re-added (at the end of the table, lower part first) as overlap_ok;
    /// an overlap with any other entry is [`ResError::Overlapping`] (the
    /// kernel's panic), and then nothing has changed, not even the doubling.
    /// Because the doubling comes first, a reservation that doubles the
    /// table may take the bytes of the table it just moved away from.
    ///
    /// With E4 planted ([`Bug::E4EmptyEntry`]) the check of 46cb27f5169 is
    /// gone: an empty `[s, s)` goes through like any range, and is recorded
    /// unless `s` lies strictly inside an entry, which the overlap test
    /// `end > r->start && start < r->end` sees as an overlap.
    pub fn reserve_early(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        name: &str,
    ) -> Result<(), ResError> {
        if start >= end && !self.bugs.has(Bug::E4EmptyEntry) {
            return Ok(());
        }
        self.transact(|t| t.reserve_body(start, end, Name::new(name)))
    }

    /// `reserve_early_overlap_ok(start, end, name)`: appends an entry that
    /// later reservations may overlap (c4ba1320b70, for the EBDA
    /// "paranoia" reservation). overlap_ok entries it overlaps are split
    /// around it first; an overlap with any other entry is
    /// [`ResError::Overlapping`].
    ///
    /// As in v2.6.34 this call never doubles the table, so a full table is
    /// [`ResError::TooMany`]. Not as in v2.6.34: `start >= end` is ignored
    /// here as in `reserve_early` (2.6.34 did not check it here, so an
    /// empty range could be recorded or could panic as an overlap).
    pub fn reserve_early_overlap_ok(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        name: &str,
    ) -> Result<(), ResError> {
        if start >= end {
            return Ok(());
        }
        self.transact(|t| t.overlap_ok_unchecked(start, end, Name::new(name)))
    }

    /// `free_early(start, end)`: removes the entry that is exactly
    /// `[start, end)`; the entries after it move down one slot.
    ///
    /// [`ResError::NotReserved`] (the kernel's panic) unless the first
    /// entry overlapping the range has exactly this start and end; also for
    /// `start >= end`, where 2.6.34's outcome depended on stale slot
    /// contents. [`ResError::TableInUse`] for the doubled table's own entry.
    pub fn free_early(&mut self, start: PhysAddr, end: PhysAddr) -> Result<(), ResError> {
        let not_reserved = ResError::NotReserved { start, end };
        if start >= end {
            return Err(not_reserved);
        }
        let i = self.first_overlap(start, end).ok_or(not_reserved)?;
        let exact = self
            .entries
            .get(i)
            .is_some_and(|r| r.start == start && r.end == end);
        if !exact {
            return Err(not_reserved);
        }
        if self.table.is_some() && i == 0 {
            return Err(ResError::TableInUse);
        }
        self.entries.remove(i);
        Ok(())
    }

    /// `free_early_partial(start, end)` (fb90ef93df6, v2.6.34): un-reserves
    /// every reserved byte of `[start, end)` and ignores the rest. Entries
    /// are visited in table order: one covered whole is dropped, one
    /// overlapped at its head or tail is trimmed in place, and one holding
    /// the range strictly inside is cut to its head, its tail re-added at
    /// the end of the table by `reserve_early_without_check` (which may
    /// double the table, and which re-adds the tail as *not* overlap_ok,
    /// as 2.6.34 did).
    ///
    /// `start == end` is `Ok` with no change; `start > end` is
    /// [`ResError::WrongRange`] (eed63519e3e: a `WARN`, then nothing).
    /// [`ResError::TableInUse`] when the range touches the doubled table
    /// (not in 2.6.34, which would have freed it).
    pub fn free_early_partial(&mut self, start: PhysAddr, end: PhysAddr) -> Result<(), ResError> {
        if start == end {
            return Ok(());
        }
        if start > end {
            return Err(ResError::WrongRange { start, end });
        }
        if self
            .table
            .is_some_and(|t| t.start() < end && start < t.end())
        {
            return Err(ResError::TableInUse);
        }
        self.transact(|t| t.free_partial(start, end, Split::Checked))
    }

    // ---- internals: these run on a copy that is kept only on success ----

    /// Runs `f` on a copy of the table and keeps the copy only when `f`
    /// succeeds, so that a failed call changes nothing.
    pub(super) fn transact<T>(
        &mut self,
        f: impl FnOnce(&mut EarlyRes) -> Result<T, ResError>,
    ) -> Result<T, ResError> {
        let mut next = self.clone();
        let value = f(&mut next)?;
        *self = next;
        Ok(value)
    }

    /// Index of the first entry in table order that overlaps `[start,
    /// end)`: `find_overlapped_early`, which returns the count when none
    /// does.
    pub(super) fn first_overlap(&self, start: PhysAddr, end: PhysAddr) -> Option<usize> {
        self.entries.iter().position(|r| r.overlaps(start, end))
    }

    /// The body of `reserve_early` for a non-empty range.
    pub(super) fn reserve_body(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        name: Name,
    ) -> Result<(), ResError> {
        self.check_and_double(start, end)?;
        self.drop_overlaps_that_are_ok(start, end)?;
        self.insert(start, end, name, false)
    }

    /// `reserve_early_overlap_ok` for a non-empty range.
    fn overlap_ok_unchecked(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        name: Name,
    ) -> Result<(), ResError> {
        self.drop_overlaps_that_are_ok(start, end)?;
        self.insert(start, end, name, true)
    }

    /// `__reserve_early`: appends the entry unless it overlaps one
    /// ([`ResError::Overlapping`], checked first, as the kernel's scan
    /// finds an overlap before running off the end) or every slot is used
    /// ([`ResError::TooMany`]).
    pub(super) fn insert(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        name: Name,
        overlap_ok: bool,
    ) -> Result<(), ResError> {
        if let Some(with) = self
            .first_overlap(start, end)
            .and_then(|i| self.entries.get(i))
        {
            return Err(ResError::Overlapping {
                start,
                end,
                with: *with,
            });
        }
        if self.entries.len() >= self.max {
            return Err(ResError::TooMany);
        }
        self.entries.push(Entry {
            start,
            end,
            name,
            overlap_ok,
        });
        Ok(())
    }

    /// The append of `reserve_early_without_check` after its doubling
    /// check: no overlap test, never overlap_ok. [`ResError::TooMany`] where
    /// the kernel would write past the array.
    fn append_without_check(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        name: Name,
    ) -> Result<(), ResError> {
        if self.entries.len() >= self.max {
            return Err(ResError::TooMany);
        }
        self.entries.push(Entry {
            start,
            end,
            name,
            overlap_ok: false,
        });
        Ok(())
    }

    /// `drop_overlaps_that_are_ok`: walks the table in order; each
    /// overlap_ok entry overlapping `[start, end)` is dropped and its parts
    /// below and above the range re-added with `reserve_early_overlap_ok`;
    /// the walk stops at the first overlapping entry that is not overlap_ok
    /// (the caller then refuses the reservation).
    fn drop_overlaps_that_are_ok(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
    ) -> Result<(), ResError> {
        let mut i = 0;
        while let Some(&r) = self.entries.get(i) {
            if !r.overlaps(start, end) {
                i += 1;
                continue;
            }
            if !r.overlap_ok {
                return Ok(());
            }
            self.entries.remove(i);
            // The parts are sub-ranges of a dropped entry, so (entries
            // being disjoint) they overlap nothing and recurse no deeper.
            if r.start < start {
                self.overlap_ok_unchecked(r.start, start, r.name)?;
            }
            if r.end > end {
                self.overlap_ok_unchecked(end, r.end, r.name)?;
            }
        }
        Ok(())
    }

    /// True when `insertions` more entries, each added by a call that
    /// checks first (`reserve_early`, `reserve_early_without_check`), would
    /// make one of those checks double the table: 28b1c57d3c1 doubles when
    /// free slots are `max(max/8, 2)` or fewer.
    ///
    /// With E5 planted ([`Bug::E5FixedTable`]) 28b1c57d3c1 is undone: the
    /// table never doubles, so once its slots are used up the next entry
    /// is [`ResError::TooMany`], the kernel's panic "Too many early
    /// reservations".
    pub(super) fn would_double(&self, insertions: usize) -> bool {
        if self.bugs.has(Bug::E5FixedTable) {
            return false;
        }
        let Some(before_last) = insertions.checked_sub(1) else {
            return false;
        };
        self.free_slots().saturating_sub(before_last) <= (self.max / 8).max(2)
    }

    /// Unused slots.
    pub(super) fn free_slots(&self) -> usize {
        self.max.saturating_sub(self.entries.len())
    }

    /// `__check_and_double_early_res(ex_start, ex_end)` (28b1c57d3c1):
    /// doubles the table, avoiding `[ex_start, ex_end)`, when the next
    /// entry needs it ([`EarlyRes::would_double`]).
    pub(super) fn check_and_double(
        &mut self,
        ex_start: PhysAddr,
        ex_end: PhysAddr,
    ) -> Result<(), ResError> {
        if self.would_double(1) {
            self.double(ex_start, ex_end)
        } else {
            Ok(())
        }
    }

    /// The doubling of `__check_and_double_early_res`: moves the table into
    /// `2 * max * ENTRY_SIZE` bytes of free RAM, found with
    /// `find_e820_area` (first fit, `ENTRY_SIZE` aligned) first in
    /// `[from, below_end)`, where `from` is 0 for the static table and the
    /// current doubled table's end otherwise, and then in `[above_start,
    /// max mapped)`. The kernel passes the range being reserved, so that
    /// the table goes below it, else above it. Each window is tried only
    /// when `window start + size < window end`, strictly, as in the kernel.
    pub(super) fn double(
        &mut self,
        below_end: PhysAddr,
        above_start: PhysAddr,
    ) -> Result<(), ResError> {
        let size = self.doubled_size().ok_or(ResError::NoSpaceForTable)?;
        let below_from = self.table.map_or(0, |t| t.end());
        let windows = [(below_from, below_end), (above_start, self.max_mapped())];
        self.double_into(
            windows
                .into_iter()
                .filter(|&(start, end)| start.checked_add(size).is_some_and(|last| last < end)),
        )
    }

    /// Bytes of the doubled table: `sizeof(struct early_res) * max * 2`.
    pub(super) fn doubled_size(&self) -> Option<u64> {
        u64::try_from(self.max.checked_mul(2)?)
            .ok()?
            .checked_mul(ENTRY_SIZE)
    }

    /// Moves the table into the first fit of its doubled size in the first
    /// `(start, end)` window that has one. The new table's own entry goes
    /// first; the static table's entries follow it, or a doubled table's
    /// entries other than its own, whose memory thereby becomes free.
    pub(super) fn double_into(
        &mut self,
        windows: impl IntoIterator<Item = (PhysAddr, PhysAddr)>,
    ) -> Result<(), ResError> {
        let size = self.doubled_size().ok_or(ResError::NoSpaceForTable)?;
        let table = windows
            .into_iter()
            .find_map(|(start, end)| self.find_e820_area(start, end, size, ENTRY_SIZE))
            .and_then(|mem| Range::from_base_size(mem, size))
            .ok_or(ResError::NoSpaceForTable)?;
        let own = Entry {
            start: table.start(),
            end: table.end(),
            name: Name::default(),
            overlap_ok: false,
        };
        match (self.table, self.entries.first_mut()) {
            (Some(_), Some(first)) => *first = own,
            _ => self.entries.insert(0, own),
        }
        self.table = Some(table);
        self.max = self.max.saturating_mul(2);
        Ok(())
    }

    /// `get_max_mapped()`: the end of the direct mapping, `max_pfn <<
    /// PAGE_SHIFT`, where `max_pfn` is `PFN_DOWN` of the highest RAM end.
    pub(super) fn max_mapped(&self) -> PhysAddr {
        self.e820.last().map_or(0, |r| page_down(r.end()))
    }

    /// The loop of `free_early_partial` for `start < end`.
    ///
    /// # Panics
    ///
    /// When an entry the overlap test finds has no byte to drop, which only
    /// an empty entry (E4 planted) can be: the kernel's `goto try_next`
    /// finds it again forever. The hang is re-created as a panic, so that
    /// the harness sees it.
    pub(super) fn free_partial(
        &mut self,
        start: PhysAddr,
        end: PhysAddr,
        split: Split,
    ) -> Result<(), ResError> {
        while let Some(i) = self.first_overlap(start, end) {
            let Some(&r) = self.entries.get(i) else {
                break;
            };
            self.drop_range_partial(i, start, end, split)?;
            if r.start <= start && end <= r.end {
                break; // the "hole" case: nothing else can overlap
            }
            if self.entries.get(i) == Some(&r) {
                panic!("free_early_partial [{start:#x}, {end:#x}) loops forever on {r:?}");
            }
        }
        Ok(())
    }

    /// `drop_range_partial(i, start, end)`: removes `[start, end)` from
    /// entry `i`. The entry's name is copied before the tail is re-added,
    /// since that may double (and move) the table: dce46a04d55 "early_res:
    /// Need to save the allocation name in drop_range_partial()"
    /// (v2.6.34-rc1).
    fn drop_range_partial(
        &mut self,
        i: usize,
        start: PhysAddr,
        end: PhysAddr,
        split: Split,
    ) -> Result<(), ResError> {
        let Some(&r) = self.entries.get(i) else {
            return Ok(());
        };
        let common_start = r.start.max(start);
        let common_end = r.end.min(end);
        if common_start >= common_end {
            return Ok(());
        }
        if r.start < common_start {
            if let Some(head) = self.entries.get_mut(i) {
                head.end = common_start;
            }
            if r.end > common_end {
                if split == Split::Checked {
                    self.check_and_double(common_end, r.end)?;
                }
                self.append_without_check(common_end, r.end, r.name)?;
            }
        } else if r.end > common_end {
            if let Some(tail) = self.entries.get_mut(i) {
                tail.start = common_end;
            }
        } else {
            self.entries.remove(i);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Scenarios in the style of the kernel's `tools/testing/memblock`:
    //! each step's table is stated in full, in table order, as
    //! `(start, end, name, overlap_ok)`. In the pictures one character is
    //! 0x100 bytes unless labelled; `.` is free RAM, a letter an entry, `T`
    //! a doubled table.

    use super::*;

    type Row = (u64, u64, &'static str, bool);

    fn rows(t: &EarlyRes) -> Vec<(u64, u64, String, bool)> {
        t.entries()
            .iter()
            .map(|e| (e.start(), e.end(), e.name().to_string(), e.overlap_ok()))
            .collect()
    }

    fn expect(t: &EarlyRes, want: &[Row]) {
        let want: Vec<(u64, u64, String, bool)> = want
            .iter()
            .map(|&(s, e, n, ok)| (s, e, n.to_string(), ok))
            .collect();
        assert_eq!(rows(t), want);
    }

    fn r(start: u64, end: u64) -> Range {
        Range::new(start, end).expect("test range")
    }

    /// A table over RAM `[0, 64 KiB)` with `capacity` static slots.
    fn table(capacity: usize) -> EarlyRes {
        let mut t = EarlyRes::with_capacity(capacity);
        t.add_ram(r(0, 0x10000));
        t
    }

    /// ```text
    ///   |....|BBBB|....|AAAA|....|CC|......
    ///   0x0 0x1000   0x3000   0x5000
    /// ```
    /// Expect entries in insertion order, not address order.
    #[test]
    fn entries_keep_insertion_order() {
        let mut t = table(32);
        assert_eq!(t.reserve_early(0x3000, 0x4000, "A"), Ok(()));
        assert_eq!(t.reserve_early(0x1000, 0x2000, "B"), Ok(()));
        assert_eq!(t.reserve_early(0x5000, 0x5100, "C"), Ok(()));
        expect(
            &t,
            &[
                (0x3000, 0x4000, "A", false),
                (0x1000, 0x2000, "B", false),
                (0x5000, 0x5100, "C", false),
            ],
        );
        assert_eq!((t.count(), t.max(), t.table()), (3, 32, None));
    }

    /// ```text
    ///   |..|AAAA|..|      A = [0x1000, 0x2000)
    ///        [xxxx]       [0x1fff, 0x3000): one byte shared with A
    /// ```
    /// Expect Overlapping, naming A, and no change; a range that only
    /// touches A is fine.
    #[test]
    fn an_overlap_with_an_ordinary_entry_is_refused() {
        let mut t = table(32);
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        let before = t.clone();
        let got = t.reserve_early(0x1fff, 0x3000, "B");
        let with = before.entries()[0];
        assert_eq!(
            got,
            Err(ResError::Overlapping {
                start: 0x1fff,
                end: 0x3000,
                with
            })
        );
        assert_eq!(t, before);
        assert_eq!(
            t.reserve_early_overlap_ok(0x0fff, 0x1001, "C")
                .map_err(|_| ()),
            Err(())
        );
        assert_eq!(t, before);
        assert_eq!(t.reserve_early(0x2000, 0x3000, "B"), Ok(()));
        expect(
            &t,
            &[(0x1000, 0x2000, "A", false), (0x2000, 0x3000, "B", false)],
        );
    }

    /// ```text
    ///   step 1  |..|EEEEEEEEEEEE|..|   E = [0x1000, 0x4000) overlap_ok
    ///   step 2  |..|EEE|KK|EEEEE|..|   K = [0x1800, 0x2000) cuts E
    ///   step 3  |..|EEE|KK|EE|NN|..|   N = [0x3000, 0x4000) eats E's tail
    /// ```
    /// Expect each reservation to drop the overlap_ok entry it overlaps
    /// and re-add its parts below and above, lower first, at the end of the
    /// table and still overlap_ok.
    #[test]
    fn an_overlap_ok_entry_may_be_overlapped_later() {
        let mut t = table(32);
        assert_eq!(t.reserve_early(0x8000, 0x9000, "X"), Ok(()));
        assert_eq!(t.reserve_early_overlap_ok(0x1000, 0x4000, "EBDA"), Ok(()));
        assert_eq!(t.reserve_early(0x1800, 0x2000, "K"), Ok(()));
        expect(
            &t,
            &[
                (0x8000, 0x9000, "X", false),
                (0x1000, 0x1800, "EBDA", true),
                (0x2000, 0x4000, "EBDA", true),
                (0x1800, 0x2000, "K", false),
            ],
        );
        assert_eq!(t.reserve_early(0x3000, 0x4000, "N"), Ok(()));
        expect(
            &t,
            &[
                (0x8000, 0x9000, "X", false),
                (0x1000, 0x1800, "EBDA", true),
                (0x1800, 0x2000, "K", false),
                (0x2000, 0x3000, "EBDA", true),
                (0x3000, 0x4000, "N", false),
            ],
        );
    }

    /// ```text
    ///   |..|EEEE|KKKK|EEEE|..|   E overlap_ok around K
    ///        [xxxxxxxxxxxx]      reserve over both E parts and K
    /// ```
    /// Expect Overlapping with K, and the overlap_ok parts left as they
    /// were (the kernel had already dropped one when it panicked).
    #[test]
    fn a_refused_reservation_leaves_overlap_ok_entries_alone() {
        let mut t = table(32);
        assert_eq!(t.reserve_early_overlap_ok(0x1000, 0x4000, "E"), Ok(()));
        assert_eq!(t.reserve_early(0x2000, 0x3000, "K"), Ok(()));
        let before = t.clone();
        assert!(matches!(
            t.reserve_early(0x1000, 0x4000, "Z"),
            Err(ResError::Overlapping { with, .. }) if with.name() == "K"
        ));
        assert_eq!(t, before);
    }

    /// Expect a second overlap_ok reservation to split the first around
    /// itself, as the 2.6.34 comment on `reserve_early_overlap_ok` allows.
    #[test]
    fn two_overlap_ok_entries_do_not_collide() {
        let mut t = table(32);
        assert_eq!(t.reserve_early_overlap_ok(0x1000, 0x3000, "P"), Ok(()));
        assert_eq!(t.reserve_early_overlap_ok(0x2000, 0x4000, "Q"), Ok(()));
        expect(
            &t,
            &[(0x1000, 0x2000, "P", true), (0x2000, 0x4000, "Q", true)],
        );
    }

    /// Expect free_early to drop only an exact match, and to refuse a
    /// range that is part of an entry, spans two, or is unreserved.
    #[test]
    fn free_early_needs_an_exact_match() {
        let mut t = table(32);
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        assert_eq!(t.reserve_early(0x2000, 0x3000, "B"), Ok(()));
        assert_eq!(t.reserve_early(0x5000, 0x6000, "C"), Ok(()));
        let before = t.clone();
        for (s, e) in [
            (0x1000, 0x1800),
            (0x1000, 0x3000),
            (0x3000, 0x4000),
            (0x1800, 0x1800),
        ] {
            assert_eq!(
                t.free_early(s, e),
                Err(ResError::NotReserved { start: s, end: e })
            );
            assert_eq!(t, before);
        }
        assert_eq!(t.free_early(0x2000, 0x3000), Ok(()));
        expect(
            &t,
            &[(0x1000, 0x2000, "A", false), (0x5000, 0x6000, "C", false)],
        );
    }

    /// ```text
    ///   step 0  |..|AAAAAAAA|..|BBBB|..|CCCC|..|DDDDDDDD|..
    ///   step 1  |..|..AAAAAA|..|BBBB|..|CCCC|..|DDDDDDDD|..   head of A
    ///   step 2  |..|..AAAA..|..|BBBB|..|CCCC|..|DDDDDDDD|..   tail of A
    ///   step 3  |..|..AAAA..|..|....|..|CCCC|..|DD....DD|..   B whole, D split
    ///   step 4  |..|..........................................  the rest
    /// ```
    /// Expect free_early_partial to trim heads and tails in place, drop
    /// covered entries (the rest move down), split an entry by re-adding
    /// its tail at the end as not overlap_ok, and ignore unreserved bytes.
    #[test]
    fn free_early_partial_trims_splits_and_drops() {
        let mut t = table(32);
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        assert_eq!(t.reserve_early(0x3000, 0x3800, "B"), Ok(()));
        assert_eq!(t.reserve_early_overlap_ok(0x4000, 0x4800, "C"), Ok(()));
        assert_eq!(t.reserve_early_overlap_ok(0x5000, 0x6000, "D"), Ok(()));
        assert_eq!(t.free_early_partial(0x0800, 0x1400), Ok(()));
        expect(
            &t,
            &[
                (0x1400, 0x2000, "A", false),
                (0x3000, 0x3800, "B", false),
                (0x4000, 0x4800, "C", true),
                (0x5000, 0x6000, "D", true),
            ],
        );
        assert_eq!(t.free_early_partial(0x1c00, 0x2800), Ok(()));
        assert_eq!(t.entries()[0].range(), r(0x1400, 0x1c00));
        assert_eq!(t.free_early_partial(0x2800, 0x3800), Ok(()));
        assert_eq!(t.free_early_partial(0x5400, 0x5c00), Ok(()));
        expect(
            &t,
            &[
                (0x1400, 0x1c00, "A", false),
                (0x4000, 0x4800, "C", true),
                (0x5000, 0x5400, "D", true),
                (0x5c00, 0x6000, "D", false),
            ],
        );
        assert_eq!(t.free_early_partial(0, 0x10000), Ok(()));
        expect(&t, &[]);
    }

    /// Expect an empty range to be ignored by reserve_early (46cb27f5169),
    /// reserve_early_overlap_ok and free_early_partial (eed63519e3e), a
    /// reversed one to be ignored by the reserves and refused with
    /// WrongRange by free_early_partial.
    #[test]
    fn empty_and_reversed_ranges() {
        let mut t = table(32);
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        let before = t.clone();
        assert_eq!(t.reserve_early(0x1800, 0x1800, "E"), Ok(()));
        assert_eq!(t.reserve_early(0x1800, 0x1000, "E"), Ok(()));
        assert_eq!(t.reserve_early_overlap_ok(0x1800, 0x1800, "E"), Ok(()));
        assert_eq!(t.free_early_partial(0x1800, 0x1800), Ok(()));
        assert_eq!(
            t.free_early_partial(0x1900, 0x1800),
            Err(ResError::WrongRange {
                start: 0x1900,
                end: 0x1800
            })
        );
        assert_eq!(t, before);
    }

    /// ```text
    ///   capacity 4, RAM [0, 0x10000)
    ///   step 1..2  |.|...|..........|AAAA|....|BBBB|...
    ///   step 3     |.|CCC|TTT|......|AAAA|....|BBBB|...   C = [0x100, 0x200)
    ///                     ^ 256-byte table: [0, 0x100) below C fails the
    ///                       strict "0 + 256 < 0x100" test, so it goes above
    ///   step 6     |.|CCC|...|UUUUU|...|AAAA|DEF|BBBB|...
    ///                         ^ 512-byte table at [0x300, 0x500): the
    ///                           search below F starts at T's end
    /// ```
    /// Expect the table to double when free slots fall to max(max/8, 2):
    /// first above the range being reserved (no room below it), then below
    /// it, starting at the old table's end; the new table's entry first,
    /// the old table's entry gone and its bytes free.
    #[test]
    fn the_table_doubles_above_then_below_the_range_being_reserved() {
        let mut t = table(4);
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        assert_eq!(t.reserve_early(0x3000, 0x4000, "B"), Ok(()));
        assert_eq!(t.table(), None, "3 free slots > 2");
        assert_eq!(t.reserve_early(0x100, 0x200, "C"), Ok(()));
        expect(
            &t,
            &[
                (0x200, 0x300, "", false),
                (0x1000, 0x2000, "A", false),
                (0x3000, 0x4000, "B", false),
                (0x100, 0x200, "C", false),
            ],
        );
        assert_eq!((t.max(), t.table()), (8, Some(r(0x200, 0x300))));
        assert_eq!(t.reserve_early(0x2000, 0x2400, "D"), Ok(()));
        assert_eq!(t.reserve_early(0x2400, 0x2800, "E"), Ok(()));
        assert_eq!(
            t.table(),
            Some(r(0x200, 0x300)),
            "2 free slots of 8: next time"
        );
        assert_eq!(t.reserve_early(0x2800, 0x3000, "F"), Ok(()));
        expect(
            &t,
            &[
                (0x300, 0x500, "", false),
                (0x1000, 0x2000, "A", false),
                (0x3000, 0x4000, "B", false),
                (0x100, 0x200, "C", false),
                (0x2000, 0x2400, "D", false),
                (0x2400, 0x2800, "E", false),
                (0x2800, 0x3000, "F", false),
            ],
        );
        assert_eq!((t.count(), t.max()), (7, 16));
        assert_eq!(t.reserved()[0], r(0x100, 0x200), "the old table is free");
    }

    /// ```text
    ///   RAM [0, 0x2000), capacity 2 (not to scale)
    ///   step 1  |T|...............|AAAAAAAAAAAAAAAA|   T = [0, 0x80)
    ///   step 2  reserve [0x80, 0x1000): 256 bytes needed, none free
    ///   step 3  |T|...............|..AAAAAAAAAAAAAA|   free [0x1000, 0x1100)
    ///   step 4  |.|BBBBBBBBBBBBBBB|TTAAAAAAAAAAAAAA|   T = [0x1000, 0x1100)
    /// ```
    /// Expect the first doubling of a tiny table to go below the range
    /// being reserved, at address 0 (the kernel's search has no page-0
    /// rule); a doubling with no room anywhere to be NoSpaceForTable with
    /// no change; and, once room is freed, the table to move there and the
    /// old one to become free.
    #[test]
    fn doubling_at_zero_then_no_room_then_room() {
        let mut t = EarlyRes::with_capacity(2);
        t.add_ram(r(0, 0x2000));
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        assert_eq!(t.table(), Some(r(0, 0x80)));
        assert_eq!((t.count(), t.max()), (2, 4));
        let before = t.clone();
        assert_eq!(
            t.reserve_early(0x80, 0x1000, "B"),
            Err(ResError::NoSpaceForTable)
        );
        assert_eq!(t, before);
        assert_eq!(t.free_early_partial(0x1000, 0x1100), Ok(()));
        assert_eq!(t.reserve_early(0x80, 0x1000, "B"), Ok(()));
        expect(
            &t,
            &[
                (0x1000, 0x1100, "", false),
                (0x1100, 0x2000, "A", false),
                (0x80, 0x1000, "B", false),
            ],
        );
        assert_eq!((t.count(), t.max()), (3, 8));
        assert_eq!(t.reserved(), vec![r(0x80, 0x2000)]);
    }

    /// ```text
    ///   step 1  |TT|......|AAAA|...   T = [0, 0x80), capacity 2
    ///   step 2  |OO|TTTT..|AAAA|...   reserve_early(0, 0x80) doubles first
    /// ```
    /// Expect a reservation over the doubled table to succeed when it is
    /// the reservation that doubles the table: 2.6.34 doubles before it
    /// looks for overlaps, and by then the old table's entry is gone. A
    /// reservation over the table that does not double is Overlapping.
    #[test]
    fn a_reservation_that_doubles_may_take_the_old_table() {
        let mut t = table(2);
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        assert_eq!(t.table(), Some(r(0, 0x80)));
        assert_eq!(t.reserve_early(0, 0x80, "over"), Ok(()));
        expect(
            &t,
            &[
                (0x80, 0x180, "", false),
                (0x1000, 0x2000, "A", false),
                (0, 0x80, "over", false),
            ],
        );
        assert!(matches!(
            t.reserve_early(0x100, 0x200, "B"),
            Err(ResError::Overlapping { with, .. }) if with.range() == r(0x80, 0x180)
        ));
    }

    /// Expect reserve_early_overlap_ok never to double: a full table is
    /// TooMany, with no change; reserve_early then doubles and succeeds.
    #[test]
    fn overlap_ok_reservations_never_double_the_table() {
        let mut t = table(2);
        assert_eq!(t.reserve_early_overlap_ok(0x1000, 0x2000, "P"), Ok(()));
        assert_eq!(t.reserve_early_overlap_ok(0x3000, 0x4000, "Q"), Ok(()));
        let before = t.clone();
        assert_eq!(
            t.reserve_early_overlap_ok(0x5000, 0x6000, "R"),
            Err(ResError::TooMany)
        );
        assert_eq!(t, before);
        assert_eq!(t.reserve_early(0x5000, 0x6000, "R"), Ok(()));
        assert_eq!((t.count(), t.max()), (4, 4));
    }

    /// ```text
    ///   capacity 4: A, B, then split B in the middle
    ///   |TT|..|AAAA|..|BB..BB|
    /// ```
    /// Expect the split in free_early_partial to double the table (3 of 4
    /// slots would be used) while re-adding the tail; the kernel's doubling
    /// avoids only the tail, so the table may land in the freed hole.
    /// (The bootmem layer makes room before the split instead.)
    #[test]
    fn a_split_may_double_the_table_into_the_hole() {
        let mut t = EarlyRes::with_capacity(4);
        t.add_ram(r(0x1000, 0x4000));
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        assert_eq!(t.reserve_early(0x2000, 0x4000, "B"), Ok(()));
        assert_eq!(t.free_early_partial(0x2800, 0x3000), Ok(()));
        assert_eq!(t.table(), Some(r(0x2800, 0x2900)));
        expect(
            &t,
            &[
                (0x2800, 0x2900, "", false),
                (0x1000, 0x2000, "A", false),
                (0x2000, 0x2800, "B", false),
                (0x3000, 0x4000, "B", false),
            ],
        );
    }

    /// Expect frees that touch the doubled table's own bytes to be refused.
    #[test]
    fn the_table_cannot_be_freed() {
        let mut t = table(2);
        assert_eq!(t.reserve_early(0x1000, 0x2000, "A"), Ok(()));
        let table = t.table().expect("doubled");
        let before = t.clone();
        assert_eq!(
            t.free_early(table.start(), table.end()),
            Err(ResError::TableInUse)
        );
        assert_eq!(
            t.free_early_partial(0, table.start() + 1),
            Err(ResError::TableInUse)
        );
        assert_eq!(t, before);
    }

    /// Expect touching and overlapping RAM to merge, and an empty range to
    /// be ignored.
    #[test]
    fn ram_ranges_merge() {
        let mut t = EarlyRes::new();
        t.add_ram(r(0x3000, 0x4000));
        t.add_ram(r(0x1000, 0x2000));
        t.add_ram(r(0x2000, 0x2800));
        t.add_ram(r(0x5000, 0x5000));
        assert_eq!(t.ram(), &[r(0x1000, 0x2800), r(0x3000, 0x4000)]);
        t.add_ram(r(0x2700, 0x3001));
        assert_eq!(t.ram(), &[r(0x1000, 0x4000)]);
        assert_eq!(t.max_mapped(), 0x4000);
    }

    /// Expect a capacity of 0 to act as 1, and addresses near 2^64 to be
    /// handled without wrapping.
    #[test]
    fn extremes_never_wrap() {
        let mut t = EarlyRes::with_capacity(0);
        assert_eq!(t.max(), 1);
        let top = u64::MAX - 0x1000;
        t.add_ram(r(top, u64::MAX));
        assert_eq!(t.reserve_early(u64::MAX - 0x10, u64::MAX, "top"), Ok(()));
        assert!(t.table().is_some());
        assert_eq!(t.free_early_partial(u64::MAX - 8, u64::MAX), Ok(()));
        let mut huge = EarlyRes::with_capacity(usize::MAX);
        assert_eq!(huge.reserve_early(0, u64::MAX, "all"), Ok(()));
        assert_eq!(huge.count(), 1);
    }
}
