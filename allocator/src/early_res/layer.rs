//! The bootmem-compatible layer: SPEC section 3 on top of the early_res
//! table, the way 2.6.34's `CONFIG_NO_BOOTMEM` (08677214e31, v2.6.34-rc1)
//! served the bootmem API from it.
//!
//! - **RAM** is kept per node, as `early_node_map` does, sorted and
//!   normalized (touching ranges of one node merge); the table sees it
//!   node-less, as e820 does (touching ranges merge across nodes).
//! - **reserve** is byte exact. Exclusive is `Busy` when any byte is
//!   already reserved, else one `reserve_early`. Default reserves only the
//!   bytes not yet reserved: each maximal unreserved piece becomes one
//!   `reserve_early` entry, so the table's no-overlap rule holds and
//!   nothing is refused. (2.6.34's `reserve_bootmem` under NO_BOOTMEM just
//!   panicked.) An empty reserve is `reserve_early(base, base)`, which
//!   ignores it (46cb27f5169), wherever `base` is.
//! - **free** is byte exact and needs every byte reserved; it is then
//!   `free_early_partial`, which trims, splits and drops entries. (2.6.34's
//!   `free_bootmem` was `free_early`, an exact match or a panic; the
//!   partial form lets a free hit part of an allocation, as the contract
//!   wants.)
//! - **alloc** is `__alloc_memory_core_early`: find, then reserve. The find
//!   is `find_early_area` over the RAM ranges in ascending order (only node
//!   `n`'s in an on-node stage), so it returns the lowest feasible start
//!   and never spans two RAM ranges. Stages per SPEC section 4.
//! - **release_all** is `get_free_all_memory_range(MAX_NUMNODES)`: the
//!   whole pages of each node's RAM ranges (`early_node_map`'s active
//!   ranges, so a page that straddles two nodes' RAM belongs to neither)
//!   minus the entries, each rounded outward to pages, i.e. every whole
//!   page of one RAM range whose bytes are all free. Not as in 2.6.34: the
//!   doubled table stays
//!   (`MetadataHandoff::Kept`). 2.6.34's `subtract_early_res` skipped entry
//!   0 of a doubled table and so handed the table's pages over with the
//!   free ones; kept, it gives early_res the profile of `memblock_bu`, and
//!   SPEC section 7 compares the two call by call.
//!
//! **Doubling.** Each call makes room for the entries it will add before
//! adding them, with the kernel's doubling (`__check_and_double_early_res`)
//! and only its trigger and the range it avoids chosen here, so that the
//! harness can judge the call (SPEC section 5; `oracles/src/run.rs` syncs
//! new metadata into its model before the call's own effect, and an
//! alloc's old metadata after judging it):
//!
//! - exclusive reserve: as the kernel, the table avoids the range;
//! - default reserve: when its pieces will need the table to double, it
//!   doubles once up front, avoiding the whole range; when no free RAM
//!   outside the range can hold it and the free slots do not suffice,
//!   anywhere free, which may be the range's own free bytes (they are then the table's, not a reservation,
//!   and free again when the table moves on, as SPEC's model has it). A
//!   table that moves out of the range leaves bytes that are reserved
//!   again;
//! - free: a split that needs a slot doubles first, while the bytes being
//!   freed are still reserved, so the table never lands in them;
//! - alloc: as the kernel, find, then double avoiding the block, then
//!   reserve it; the old table's bytes were taken when the block was found.
//!
//! Where the kernel's windows hold no room, the table goes to the lowest
//! free bytes outside the range instead, and with none there the call goes
//! on without doubling while a slot is free (2.6.34 panicked at once, "can
//! not find more space for early_res array"). Only a full table with no
//! room fails: `NoMem` (alloc: the request's failure), nothing changed,
//! counted in [`EarlyResBootMem::table_failures`], and reported ahead by
//! [`BootMem::metadata_growth`].
//!
//! A call that fails changes nothing: each call works on a copy of the
//! table and keeps it only on success.
//!
//! The table's other refusals, `Overlapping` and `TooMany`, never meet a
//! call the layer has prepared (it checks for overlaps and makes room
//! first). Only a planted bug gets them there (E4: an empty entry; E5: a
//! table that never doubles), and then they are what they were in the
//! kernel: panics.

use super::entry::{Name, ResError};
use super::table::{EarlyRes, Split, MAX_EARLY_RES_X};
use crate::bugs::BugSet;
use crate::lifecycle::Lifecycle;
use crate::ram::RamList;
use crate::search::Stage;
use crate::{
    AllocRequest, BootMem, Error, Granularity, MetadataHandoff, Nid, Outcome, PhysAddr, Placement,
    Profile, Range, Registration, ReserveMode, PAGE_SHIFT, PAGE_SIZE,
};

/// Name of the entries `reserve` adds.
const RESERVE_NAME: &str = "reserve";
/// Name of the entries `alloc` adds: `__alloc_memory_core_early` reserves
/// its blocks as "BOOTMEM".
const ALLOC_NAME: &str = "BOOTMEM";

/// The early_res backend: RAM per node plus, once set up, the table.
#[derive(Clone, Debug)]
pub struct EarlyResBootMem {
    /// Registered RAM, sorted and normalized (adjacent ranges of one node
    /// merged).
    ram: RamList,
    /// Where the allocator is in its life; `setup` builds the table.
    state: Lifecycle<EarlyRes>,
    /// Slots of the static table `setup` starts with.
    capacity: usize,
    /// Planted historical bugs ([`crate::bugs`]), handed to the table at
    /// `setup`: E4 and E5.
    bugs: BugSet,
    /// Calls that failed because the table had to double and found no room.
    table_failures: u64,
}

/// The lowest maximal sub-range of `range` that no entry covers, if any.
fn first_unreserved(table: &EarlyRes, range: Range) -> Option<Range> {
    let mut at = range.start();
    for r in table.reserved() {
        if at >= range.end() {
            return None;
        }
        if r.end() <= at {
            continue;
        }
        if r.start() > at {
            return Range::new(at, r.start().min(range.end()));
        }
        at = r.end();
    }
    Range::new(at, range.end()).filter(|gap| !gap.is_empty())
}

/// `ram` minus `taken`, for `ram` sorted and disjoint and `taken` sorted by
/// start: sorted ranges, maximal inside each range of `ram`.
fn subtract(ram: &[Range], taken: &[Range]) -> Vec<Range> {
    let mut out = Vec::new();
    for &run in ram {
        let mut at = run.start();
        for r in taken.iter().filter(|r| r.overlaps(run)) {
            if r.start() > at {
                out.extend(Range::new(at, r.start()));
            }
            at = at.max(r.end());
        }
        if at < run.end() {
            out.extend(Range::new(at, run.end()));
        }
    }
    out
}

impl Default for EarlyResBootMem {
    fn default() -> EarlyResBootMem {
        EarlyResBootMem::new()
    }
}

impl EarlyResBootMem {
    /// An allocator with no RAM registered, whose table starts with
    /// [`MAX_EARLY_RES_X`] = 32 static slots as in v2.6.34.
    pub fn new() -> EarlyResBootMem {
        EarlyResBootMem::with_capacity_and_bugs(MAX_EARLY_RES_X, BugSet::NONE)
    }

    /// As [`EarlyResBootMem::new`], with the historical `bugs` planted
    /// ([`crate::bugs`]).
    pub fn with_bugs(bugs: BugSet) -> EarlyResBootMem {
        EarlyResBootMem::with_capacity_and_bugs(MAX_EARLY_RES_X, bugs)
    }

    /// As [`EarlyResBootMem::new`], with `capacity` static slots (at least
    /// 1), so that short scenarios reach the doubling.
    pub fn with_capacity(capacity: usize) -> EarlyResBootMem {
        EarlyResBootMem::with_capacity_and_bugs(capacity, BugSet::NONE)
    }

    /// `capacity` static slots and `bugs` planted.
    pub fn with_capacity_and_bugs(capacity: usize, bugs: BugSet) -> EarlyResBootMem {
        EarlyResBootMem {
            ram: RamList::default(),
            state: Lifecycle::Registering,
            capacity: capacity.max(1),
            bugs,
            table_failures: 0,
        }
    }

    /// The planted bugs.
    pub fn bugs(&self) -> BugSet {
        self.bugs
    }

    /// The native table, once set up (read only: the contract's calls are
    /// the only way to change it).
    pub fn table(&self) -> Option<&EarlyRes> {
        self.state.ready()
    }

    /// How many calls failed because the table was full and no free RAM
    /// outside the call's range could hold a doubled one (2.6.34's panic
    /// "can not find more space for early_res array"), with `NoMem` (alloc:
    /// the request's failure). SPEC section 5 allows such a failure only
    /// then; this counter tells it apart from other errors.
    pub fn table_failures(&self) -> u64 {
        self.table_failures
    }

    /// True when `range` (non-empty) is RAM: inside one maximal run of RAM,
    /// across touching ranges of different nodes.
    fn is_ram(table: &EarlyRes, range: Range) -> bool {
        table.ram().iter().any(|run| run.contains(range))
    }

    /// Maps a table error of a call the contract expects to succeed.
    ///
    /// # Panics
    ///
    /// On [`ResError::Overlapping`] and [`ResError::TooMany`], the kernel's
    /// panics, which only a planted bug lets through (module docs).
    fn table_error(failures: &mut u64, err: ResError) -> Error {
        match err {
            ResError::Overlapping { .. } | ResError::TooMany => panic!("{err}"),
            ResError::NoSpaceForTable => *failures += 1,
            _ => {}
        }
        Error::NoMem
    }

    /// Makes room for the `insertions` entries a call is about to add,
    /// before it adds them: while adding them would make 2.6.34 double the
    /// table, doubles it, first with the kernel's windows around `avoid`
    /// (below it from the current table's end, else above it up to the end
    /// of the direct mapping; with nothing to avoid, from the current
    /// table's end, else from 0), and when those hold no room, in the
    /// lowest free bytes anywhere outside `avoid`. A tiny table may double
    /// more than once; each doubling frees the last table.
    ///
    /// Not as in 2.6.34, which panicked as soon as a doubling found no room
    /// in its windows: the wider search, and, when no free RAM outside
    /// `avoid` can hold the new table but the free slots suffice, going on
    /// without doubling. Only a table too full for the call, with no room
    /// outside `avoid`, is [`ResError::NoSpaceForTable`], which is then
    /// also what the harness's model sees (SPEC section 5,
    /// [`BootMem::metadata_growth`]).
    fn make_room(
        table: &mut EarlyRes,
        insertions: usize,
        avoid: Option<Range>,
    ) -> Result<(), ResError> {
        let (lo, hi) = avoid.map_or((u64::MAX, 0), |r| (r.start(), r.end()));
        while table.would_double(insertions) {
            if table.double(lo, hi).is_ok() || table.double_into([(0, lo), (hi, u64::MAX)]).is_ok()
            {
                continue;
            }
            if table.free_slots() >= insertions {
                break;
            }
            return Err(ResError::NoSpaceForTable);
        }
        Ok(())
    }

    /// `reserve` and `reserve_node` (`nid` = `Some`).
    fn reserve_bytes(
        &mut self,
        nid: Option<Nid>,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        let table = self.state.ready_mut()?;
        if size == 0 {
            return table
                .reserve_early(base, base, RESERVE_NAME)
                .map_err(|e| Self::table_error(&mut self.table_failures, e));
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        self.ram.check_node(nid, range)?;
        if !Self::is_ram(table, range) {
            return Err(Error::Invalid);
        }
        let name = Name::new(RESERVE_NAME);
        let done = match mode {
            ReserveMode::Exclusive => {
                if table.reserved().iter().any(|r| r.overlaps(range)) {
                    return Err(Error::Busy);
                }
                table.transact(|t| {
                    Self::make_room(t, 1, Some(range))?;
                    t.insert(range.start(), range.end(), name, false)
                })
            }
            ReserveMode::Default => table.transact(|t| {
                let pieces = subtract(&[range], &t.reserved()).len();
                Self::make_room(t, pieces, Some(range))
                    .or_else(|_| Self::make_room(t, pieces, None))?;
                while let Some(piece) = first_unreserved(t, range) {
                    Self::make_room(t, 1, Some(range)).or_else(|_| Self::make_room(t, 1, None))?;
                    t.insert(piece.start(), piece.end(), name, false)?;
                }
                Ok(())
            }),
        };
        done.map_err(|e| Self::table_error(&mut self.table_failures, e))
    }

    /// `free` and `free_node` (`nid` = `Some`).
    fn free_bytes(&mut self, nid: Option<Nid>, base: PhysAddr, size: u64) -> Outcome<()> {
        let table = self.state.ready_mut()?;
        if size == 0 {
            return Ok(());
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        self.ram.check_node(nid, range)?;
        if !Self::is_ram(table, range) || table.table().is_some_and(|t| t.overlaps(range)) {
            return Err(Error::Invalid);
        }
        if !table.reserved().iter().any(|r| r.contains(range)) {
            return Err(Error::DoubleFree);
        }
        let splits = table
            .entries()
            .iter()
            .any(|e| e.start() < range.start() && range.end() < e.end());
        table
            .transact(|t| {
                Self::make_room(t, usize::from(splits), None)?;
                t.free_partial(range.start(), range.end(), Split::Unchecked)
            })
            .map_err(|e| Self::table_error(&mut self.table_failures, e))
    }

    /// The lowest feasible start of `stage`: `find_early_area` in each of
    /// the stage's RAM ranges, ascending, from the goal but never below
    /// `PAGE_SIZE` (the first page is never handed out).
    fn find(ram: &RamList, table: &EarlyRes, req: &AllocRequest, stage: Stage) -> Option<PhysAddr> {
        let from = stage.goal.max(PAGE_SIZE);
        let end = if req.limit == 0 { u64::MAX } else { req.limit };
        ram.ranges()
            .iter()
            .filter(|r| stage.nid.is_none_or(|n| n == r.nid))
            .find_map(|r| table.find_early_area(r.range, from, end, req.size, req.align))
    }

    /// RAM minus every entry, as sorted maximal ranges across nodes.
    fn unreserved(table: &EarlyRes) -> Vec<Range> {
        subtract(table.ram(), &table.reserved())
    }
}

impl BootMem for EarlyResBootMem {
    fn name(&self) -> &'static str {
        "early_res"
    }

    fn profile(&self) -> Profile {
        Profile {
            granularity: Granularity::Byte,
            placement: Placement::Lowest,
            packing: false,
            crosses_nodes: false,
            metadata: MetadataHandoff::Kept,
            registration: Registration::AnyTime,
        }
    }

    /// Registers RAM (`RamList::add`) at any time until `release_all`
    /// (`Retired` after); once set up, the table sees the new range too.
    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        if self.state.is_retired() {
            return Err(Error::Retired);
        }
        self.ram.add(range, nid)?;
        if let Ok(table) = self.state.ready_mut() {
            table.add_ram(range);
        }
        Ok(())
    }

    /// Starts the table: empty, static (outside managed memory), with the
    /// configured number of slots. Never `NoMem`; `Unsupported` when
    /// repeated.
    fn setup(&mut self) -> Outcome<()> {
        self.state.set_up(|| {
            let mut table = EarlyRes::with_capacity_and_bugs(self.capacity, self.bugs);
            for r in self.ram.ranges() {
                table.add_ram(r.range);
            }
            Ok(table)
        })
    }

    fn reserve(&mut self, base: PhysAddr, size: u64, mode: ReserveMode) -> Outcome<()> {
        self.reserve_bytes(None, base, size, mode)
    }

    fn reserve_node(
        &mut self,
        nid: Nid,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Outcome<()> {
        self.reserve_bytes(Some(nid), base, size, mode)
    }

    fn free(&mut self, base: PhysAddr, size: u64) -> Outcome<()> {
        self.free_bytes(None, base, size)
    }

    fn free_node(&mut self, nid: Nid, base: PhysAddr, size: u64) -> Outcome<()> {
        self.free_bytes(Some(nid), base, size)
    }

    /// The lowest feasible start of the first stage that has one (SPEC
    /// section 4), then `reserve_early` of the block, whose doubling, if
    /// any, avoids the block (as the kernel's does). When the table cannot
    /// make room, the alloc fails with the request's failure and nothing
    /// changes.
    fn alloc(&mut self, req: &AllocRequest) -> Outcome<PhysAddr> {
        let table = self.state.ready_mut()?;
        req.validate()?;
        let found = Stage::plan(req)
            .into_iter()
            .find_map(|stage| Self::find(&self.ram, table, req, stage))
            .and_then(|a| Range::from_base_size(a, req.size));
        let Some(block) = found else {
            return Err(req.failure());
        };
        let name = Name::new(ALLOC_NAME);
        let placed = table.transact(|t| {
            Self::make_room(t, 1, Some(block))?;
            t.insert(block.start(), block.end(), name, false)
        });
        match placed {
            Ok(()) => Ok(block.start()),
            Err(e) => {
                Self::table_error(&mut self.table_failures, e);
                Err(req.failure())
            }
        }
    }

    /// Hands over every whole page of one RAM range that no entry covers
    /// (PFN_UP(start)..PFN_DOWN(end) of each maximal free range, cut at the
    /// RAM ranges' edges), and returns the page count. The doubled table is
    /// kept.
    fn release_all(&mut self, sink: &mut dyn FnMut(Range)) -> Outcome<u64> {
        let table = self.state.retire()?;
        let ram: Vec<Range> = self.ram.ranges().iter().map(|r| r.range).collect();
        let mut count = 0;
        for range in subtract(&ram, &table.reserved()) {
            let pages = range.round_inward();
            if !pages.is_empty() {
                sink(pages);
                count += pages.len() >> PAGE_SHIFT;
            }
        }
        Ok(count)
    }

    /// The doubled table, if the table has doubled.
    fn metadata(&self) -> Vec<Range> {
        self.table().and_then(EarlyRes::table).into_iter().collect()
    }

    /// The bytes of the next doubled table, `2 * max * ENTRY_SIZE`: every
    /// call that adds entries (reserve, a free that splits an entry, alloc)
    /// may need it, and fails with `NoMem` when the table is full and no
    /// free RAM outside the call's own range holds it.
    fn metadata_growth(&self) -> Option<u64> {
        self.table().and_then(EarlyRes::doubled_size)
    }

    /// RAM minus every entry, as sorted maximal ranges (touching ranges of
    /// different nodes joined).
    fn free_map(&self) -> Vec<Range> {
        self.table().map(Self::unreserved).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    //! Scenarios with the table or the free map expected after each step.
    //! In the pictures one character is 0x100 bytes unless labelled: `.`
    //! free RAM, `r` reserved, `a` allocated, `T` the doubled table, `x` a
    //! hole.

    use super::*;
    use crate::bugs::Bug;
    use crate::testing::{above, boot, r, release, req, P};
    use crate::{NodePolicy, OnFail, MAX_NODES};

    /// An early_res of `capacity` static slots with `map` registered
    /// (start, end, nid) and set up.
    fn booted(capacity: usize, map: &[(u64, u64, Nid)]) -> EarlyResBootMem {
        boot(EarlyResBootMem::with_capacity(capacity), map)
    }

    /// As [`booted`], with `bug` planted.
    fn planted(bug: Bug, capacity: usize, map: &[(u64, u64, Nid)]) -> EarlyResBootMem {
        let bugs = BugSet::NONE.with(bug);
        boot(EarlyResBootMem::with_capacity_and_bugs(capacity, bugs), map)
    }

    /// The message of the panic `f` raises, or `None` when it returns.
    fn panic_message(f: impl FnOnce()) -> Option<String> {
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).err()?;
        let text = payload.downcast_ref::<String>().cloned();
        text.or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
    }

    fn entries(er: &EarlyResBootMem) -> Vec<(u64, u64, String)> {
        er.table()
            .map(|t| {
                t.entries()
                    .iter()
                    .map(|e| (e.start(), e.end(), e.name().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    // ---- life cycle ----------------------------------------------------

    /// Expect every call but add_memory to be Unsupported before setup,
    /// setup to be Unsupported when repeated, and every call to be Retired
    /// after release_all.
    #[test]
    fn life_cycle() {
        let mut er = EarlyResBootMem::new();
        assert_eq!(er.name(), "early_res");
        assert_eq!(
            er.reserve(P, 1, ReserveMode::Default),
            Err(Error::Unsupported)
        );
        assert_eq!(er.free(P, 1), Err(Error::Unsupported));
        assert_eq!(er.alloc(&req(1, 1)), Err(Error::Unsupported));
        assert_eq!(release(&mut er).0, Err(Error::Unsupported));
        assert_eq!(er.add_memory(r(0, 4 * P), 0), Ok(()));
        assert_eq!(er.setup(), Ok(()));
        assert_eq!(er.setup(), Err(Error::Unsupported));
        assert_eq!(release(&mut er).0, Ok(4));
        assert_eq!(er.add_memory(r(8 * P, 9 * P), 0), Err(Error::Retired));
        assert_eq!(er.setup(), Err(Error::Retired));
        assert_eq!(er.reserve(P, 1, ReserveMode::Default), Err(Error::Retired));
        assert_eq!(er.free_node(0, P, 1), Err(Error::Retired));
        assert_eq!(er.alloc(&req(1, 1)), Err(Error::Retired));
        assert_eq!(release(&mut er).0, Err(Error::Retired));
        assert!(er.metadata().is_empty() && er.free_map().is_empty());
    }

    /// ```text
    ///   |..n0..|..n1..|xx|..n0..|..n0..|
    ///   0x1000 0x1800 0x2000 0x3000 0x3800 0x4000
    /// ```
    /// Expect add_memory to refuse empty ranges, big node ids and overlaps;
    /// to merge touching ranges of one node only; and to work after setup.
    /// The free map joins touching ranges of different nodes.
    #[test]
    fn add_memory_rules() {
        let mut er = EarlyResBootMem::new();
        assert_eq!(er.add_memory(r(0x1000, 0x1000), 0), Err(Error::Invalid));
        assert_eq!(
            er.add_memory(r(0x1000, 0x1800), MAX_NODES),
            Err(Error::Invalid)
        );
        assert_eq!(er.add_memory(r(0x1000, 0x1800), 0), Ok(()));
        assert_eq!(er.add_memory(r(0x17ff, 0x1900), 1), Err(Error::Invalid));
        assert_eq!(er.add_memory(r(0x1800, 0x2000), 1), Ok(()));
        assert_eq!(er.setup(), Ok(()));
        assert_eq!(er.free_map(), vec![r(0x1000, 0x2000)]);
        assert_eq!(er.add_memory(r(0x3800, 0x4000), 0), Ok(()));
        assert_eq!(er.add_memory(r(0x3000, 0x3800), 0), Ok(()));
        assert_eq!(er.free_map(), vec![r(0x1000, 0x2000), r(0x3000, 0x4000)]);
        assert_eq!(er.ram.ranges().len(), 3, "n0, n1 and the merged n0");
        assert_eq!(
            er.reserve_node(0, 0x3000, 0x1000, ReserveMode::Default),
            Ok(())
        );
        assert_eq!(
            er.reserve_node(0, 0x1700, 0x200, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert!(er.metadata().is_empty(), "the static table is not in RAM");
    }

    // ---- reserve -------------------------------------------------------

    /// ```text
    ///   |..n0..|..n1..|xxxx|..n0..|
    ///   0x1000 0x2000 0x3000 0x4000 0x5000
    /// ```
    /// Expect size 0 to be Ok anywhere, an overflow or any byte of hole to
    /// be Invalid, a range across the touching n0/n1 boundary to be fine
    /// for reserve and Invalid for reserve_node.
    #[test]
    fn reserve_checks_ram_and_nodes() {
        let mut er = booted(
            32,
            &[
                (0x1000, 0x2000, 0),
                (0x2000, 0x3000, 1),
                (0x4000, 0x5000, 0),
            ],
        );
        let d = ReserveMode::Default;
        assert_eq!(er.reserve(u64::MAX, 0, d), Ok(()));
        assert_eq!(er.reserve_node(9, 0x3000, 0, d), Ok(()));
        assert_eq!(er.reserve(u64::MAX, 2, d), Err(Error::Invalid));
        assert_eq!(er.reserve(0xfff, 2, d), Err(Error::Invalid));
        assert_eq!(er.reserve(0x2fff, 2, d), Err(Error::Invalid));
        assert_eq!(er.reserve(0x4fff, 2, d), Err(Error::Invalid));
        assert_eq!(er.reserve_node(0, 0x1f00, 0x200, d), Err(Error::Invalid));
        assert_eq!(er.reserve_node(1, 0x1000, 0x10, d), Err(Error::Invalid));
        assert!(entries(&er).is_empty());
        assert_eq!(er.reserve(0x1f00, 0x200, d), Ok(()));
        assert_eq!(
            er.reserve_node(0, 0x4000, 0x10, ReserveMode::Exclusive),
            Ok(())
        );
        assert_eq!(
            er.free_map(),
            vec![r(0x1000, 0x1f00), r(0x2100, 0x3000), r(0x4010, 0x5000)]
        );
    }

    /// ```text
    ///   step 1  |..rr....rr..|          A = [0x1200, 0x1400), B = [0x1800, 0x1a00)
    ///   step 2  |..rr....rr..|          exclusive [0x1300, 0x1900): Busy
    ///   step 3  |.rrrrrrrrrrr|          default   [0x1100, 0x1c00)
    /// ```
    /// Expect an exclusive reserve over reserved bytes to be Busy with no
    /// change, and a default one to add only the unreserved pieces, lowest
    /// first, so the table never holds an overlap.
    #[test]
    fn default_reserve_adds_only_the_unreserved_pieces() {
        let mut er = booted(32, &[(0x1000, 0x2000, 0)]);
        assert_eq!(er.reserve(0x1200, 0x200, ReserveMode::Exclusive), Ok(()));
        assert_eq!(er.reserve(0x1800, 0x200, ReserveMode::Default), Ok(()));
        let before = entries(&er);
        assert_eq!(
            er.reserve(0x1300, 0x600, ReserveMode::Exclusive),
            Err(Error::Busy)
        );
        assert_eq!(entries(&er), before);
        assert_eq!(er.reserve(0x1100, 0xb00, ReserveMode::Default), Ok(()));
        let name = || RESERVE_NAME.to_string();
        assert_eq!(
            entries(&er),
            vec![
                (0x1200, 0x1400, name()),
                (0x1800, 0x1a00, name()),
                (0x1100, 0x1200, name()),
                (0x1400, 0x1800, name()),
                (0x1a00, 0x1c00, name()),
            ]
        );
        assert_eq!(er.reserve(0x1100, 0xb00, ReserveMode::Default), Ok(()));
        assert_eq!(entries(&er).len(), 5, "all reserved already: nothing added");
        assert_eq!(er.free_map(), vec![r(0x1000, 0x1100), r(0x1c00, 0x2000)]);
    }

    /// ```text
    ///   capacity 4, RAM [0x1000, 0x3000) + [0x8000, 0x9000)
    ///   step 1..3  |rr|TT|rr|...|rr|.................|   |........|
    ///   step 4     |rr|TT|rr|...|rr|......|rr|.......|   |........|
    ///   step 5     default [0x1000, 0x3000): 3 pieces, the table must double
    ///              |rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr|   |TTTT....|
    /// ```
    /// Expect the doubling a default reserve needs to happen up front and
    /// to avoid the whole range (here: no room below it, so above it), and
    /// the old table's bytes, inside the range, to be reserved again.
    #[test]
    fn a_default_reserve_moves_the_table_out_of_its_range() {
        let mut er = booted(4, &[(0x1000, 0x3000, 0), (0x8000, 0x9000, 0)]);
        let d = ReserveMode::Default;
        assert_eq!(er.reserve(0x1000, 0x100, d), Ok(()));
        assert_eq!(er.reserve(0x1200, 0x100, d), Ok(()));
        assert_eq!(er.metadata(), Vec::<Range>::new());
        assert_eq!(er.reserve(0x1800, 0x100, d), Ok(()));
        assert_eq!(er.metadata(), vec![r(0x1100, 0x1200)], "below the range");
        assert_eq!(er.reserve(0x2000, 0x100, d), Ok(()));
        assert_eq!(er.table().map(EarlyRes::count), Some(5));
        assert_eq!(er.reserve(0x1000, 0x2000, d), Ok(()));
        assert_eq!(er.metadata(), vec![r(0x8000, 0x8200)]);
        assert_eq!(er.free_map(), vec![r(0x8200, 0x9000)]);
        assert_eq!(er.free(0x1100, 0x100), Ok(()), "the old table's bytes");
    }

    /// ```text
    ///   capacity 4, RAM [0x1000, 0x2000)
    ///   step 1..5  |rr|TT|rr|..|rr|..|rr|..|rr|..............|
    ///   step 6     |rrrrrrrrrrrrrrrrrrrrrrrrrrrrr|TTTTTTTT|rrrrrr|
    ///              default [0x1000, 0x2000): no room outside the range for
    ///              a 512-byte table, so it takes [0x1900, 0x1b00) inside
    /// ```
    /// Expect a default reserve whose table has no room outside the range
    /// to put it in the range's own free bytes, not to fail.
    #[test]
    fn a_default_reserve_with_no_room_outside_uses_its_own_free_bytes() {
        let mut er = booted(4, &[(0x1000, 0x2000, 0)]);
        let d = ReserveMode::Default;
        for base in [0x1000, 0x1200, 0x1400, 0x1600, 0x1800] {
            assert_eq!(er.reserve(base, 0x100, d), Ok(()));
        }
        assert_eq!(er.metadata(), vec![r(0x1100, 0x1200)]);
        assert_eq!(er.table().map(EarlyRes::count), Some(6));
        assert_eq!(er.reserve(0x1000, 0x1000, d), Ok(()));
        assert_eq!(er.metadata(), vec![r(0x1900, 0x1b00)]);
        assert_eq!(er.free_map(), Vec::<Range>::new());
        assert_eq!(er.free(0x1100, 0x100), Ok(()), "the old table's bytes");
        assert_eq!(er.free(0x1900, 1), Err(Error::Invalid), "the table");
        assert_eq!(er.table_failures(), 0);
    }

    /// ```text
    ///   capacity 2, RAM [0x1000, 0x1100): 256 bytes, max mapped 0x1000
    ///   step 1     |r.TTTTTTTT......|   the kernel's windows are empty: the
    ///                                   table goes to the lowest free bytes
    ///   step 2..3  |r.TTTTTTTTr.r...|   no room for 256 bytes: no doubling
    ///   step 4..   full, no room: reserve, alloc, a splitting free fail
    /// ```
    /// Expect a doubling with no room in the kernel's windows to go to the
    /// lowest free bytes outside the range; with no room at all, calls to
    /// go on without doubling while slots are free (2.6.34 panicked); a
    /// full table with no room to make every call that adds an entry fail
    /// with NoMem (alloc: the request's failure) and change nothing.
    #[test]
    fn a_table_that_cannot_double_fills_up_then_fails() {
        let mut er = booted(2, &[(0x1000, 0x1100, 0)]);
        let x = ReserveMode::Exclusive;
        assert_eq!(er.reserve(0x1000, 0x10, x), Ok(()));
        assert_eq!(er.metadata(), vec![r(0x1020, 0x10a0)]);
        assert_eq!(er.metadata_growth(), Some(0x100));
        assert_eq!(er.reserve(0x10a0, 0x10, x), Ok(()));
        assert_eq!(er.reserve(0x10c0, 0x10, x), Ok(()));
        assert_eq!(er.table().map(|t| (t.count(), t.max())), Some((4, 4)));
        let before = entries(&er);
        assert_eq!(er.reserve(0x10e0, 0x10, x), Err(Error::NoMem));
        assert_eq!(
            er.reserve(0x10e0, 0x10, ReserveMode::Default),
            Err(Error::NoMem)
        );
        let mut panicky = req(0x10, 1);
        panicky.on_fail = OnFail::Panic;
        assert_eq!(er.alloc(&panicky), Err(Error::Panic));
        assert_eq!(er.free(0x1004, 4), Err(Error::NoMem), "a split");
        assert_eq!((entries(&er), er.table_failures()), (before, 4));
        assert_eq!(er.free(0x1000, 8), Ok(()), "a trim needs no slot");
        assert_eq!(er.table_failures(), 4);
    }

    /// ```text
    ///   |....AAAA......|   RAM [0x1000, 0x2000), A = [0x1400, 0x1800)
    ///          ^   ^       empty reserves at 0x1600 (inside A) and 0x1a00
    /// ```
    /// Expect empty reserves to be Ok and to add no entry (46cb27f5169), so
    /// that a reserve, a free and an allocation across 0x1a00 work. With E4
    /// the empty reserve inside A panics "Overlapping early reservations";
    /// the one at 0x1a00 is recorded as `[0x1a00, 0x1a00)`, which the
    /// overlap test sees in every range that straddles 0x1a00: an exclusive
    /// reserve across it is Busy, a free across it would loop forever (a
    /// panic here), and an allocation is moved past it.
    #[test]
    fn an_empty_reserve_adds_no_entry_and_e4_records_one() {
        let map = [(0x1000, 0x2000, 0)];
        let (x, d) = (ReserveMode::Exclusive, ReserveMode::Default);
        let across = above(0x1900, req(0x200, 1));
        let mut er = booted(32, &map);
        assert_eq!(er.reserve(0x1400, 0x400, x), Ok(()));
        assert_eq!(er.reserve(0x1600, 0, x), Ok(()));
        assert_eq!(er.reserve(0x1a00, 0, d), Ok(()));
        assert_eq!(entries(&er).len(), 1);
        assert_eq!(er.reserve(0x1900, 0x200, x), Ok(()));
        assert_eq!(er.free(0x1900, 0x200), Ok(()));
        assert_eq!(er.alloc(&across), Ok(0x1900));

        let mut e4 = planted(Bug::E4EmptyEntry, 32, &map);
        assert_eq!(e4.reserve(0x1400, 0x400, x), Ok(()));
        let inside = panic_message(|| {
            let _ = e4.reserve(0x1600, 0, x);
        });
        assert!(inside.is_some_and(|m| m.starts_with("Overlapping early reservations")));
        assert_eq!(e4.reserve(0x1a00, 0, d), Ok(()));
        assert_eq!(entries(&e4)[1], (0x1a00, 0x1a00, RESERVE_NAME.to_string()));
        assert_eq!(e4.reserve(0x1900, 0x200, x), Err(Error::Busy));
        assert_eq!(e4.reserve(0x1900, 0x200, d), Ok(()));
        let across_free = panic_message(|| {
            let _ = e4.free(0x1900, 0x200);
        });
        assert!(across_free.is_some_and(|m| m.contains("loops forever")));
        assert_eq!(e4.free(0x1900, 0x100), Ok(()), "up to 0x1a00");
        assert_eq!(e4.free(0x1a00, 0x100), Ok(()), "from 0x1a00");
        assert_eq!(e4.alloc(&across), Ok(0x1a00), "moved past 0x1a00");
    }

    /// ```text
    ///   capacity 4, RAM [0x1000, 0x2000)
    ///   |r.r.r.r.r.......|   five exclusive reserves of 0x100 bytes
    /// ```
    /// Expect the table to double when two slots are left, and all five to
    /// succeed. With E5 it never doubles: four entries fill the static
    /// table and the fifth panics "Too many early reservations".
    #[test]
    fn a_full_table_doubles_and_e5_panics_instead() {
        let map = [(0x1000, 0x2000, 0)];
        let x = ReserveMode::Exclusive;
        let bases = [0x1000, 0x1200, 0x1400, 0x1600];
        let mut er = booted(4, &map);
        for base in bases {
            assert_eq!(er.reserve(base, 0x100, x), Ok(()));
        }
        assert_eq!(er.reserve(0x1800, 0x100, x), Ok(()));
        assert_eq!(er.table().map(EarlyRes::max), Some(8));
        assert_eq!(er.metadata().len(), 1);

        let bugs = BugSet::NONE.with(Bug::E5FixedTable);
        assert_eq!(EarlyResBootMem::with_bugs(bugs).bugs(), bugs);
        let mut e5 = planted(Bug::E5FixedTable, 4, &map);
        for base in bases {
            assert_eq!(e5.reserve(base, 0x100, x), Ok(()));
        }
        assert_eq!(e5.table().map(|t| (t.count(), t.max())), Some((4, 4)));
        assert!(e5.metadata().is_empty());
        let fifth = panic_message(|| {
            let _ = e5.reserve(0x1800, 0x100, x);
        });
        assert_eq!(fifth.as_deref(), Some("Too many early reservations"));
    }

    // ---- free ----------------------------------------------------------

    /// ```text
    ///   |..aaaaaaaa..|xx|..|       A = [0x1200, 0x1a00)
    /// ```
    /// Expect size 0 to be Ok; overflow and hole bytes to be Invalid
    /// before DoubleFree; a partly free range to be DoubleFree with no
    /// change; partial frees to trim and split; a free across two touching
    /// entries to work.
    #[test]
    fn free_is_byte_exact_and_needs_every_byte_reserved() {
        let mut er = booted(32, &[(0x1000, 0x2000, 0), (0x3000, 0x3100, 1)]);
        assert_eq!(er.reserve(0x1200, 0x800, ReserveMode::Default), Ok(()));
        assert_eq!(er.free(0x5000, 0), Ok(()));
        assert_eq!(er.free(u64::MAX, 2), Err(Error::Invalid));
        assert_eq!(er.free(0x1f00, 0x200), Err(Error::Invalid));
        assert_eq!(er.free_node(1, 0x1200, 0x10), Err(Error::Invalid));
        assert_eq!(er.free(0x11ff, 2), Err(Error::DoubleFree));
        assert_eq!(er.free(0x3000, 1), Err(Error::DoubleFree));
        assert_eq!(er.free_node(0, 0x1400, 0x100), Ok(()));
        assert_eq!(er.free(0x1200, 0x100), Ok(()));
        assert_eq!(er.free(0x1900, 0x100), Ok(()));
        let name = || RESERVE_NAME.to_string();
        assert_eq!(
            entries(&er),
            vec![(0x1300, 0x1400, name()), (0x1500, 0x1900, name())]
        );
        assert_eq!(er.free(0x1400, 0x100), Err(Error::DoubleFree));
        assert_eq!(er.reserve(0x1400, 0x100, ReserveMode::Default), Ok(()));
        assert_eq!(er.free(0x1300, 0x600), Ok(()));
        assert!(entries(&er).is_empty());
        assert_eq!(er.free_map(), vec![r(0x1000, 0x2000), r(0x3000, 0x3100)]);
    }

    /// ```text
    ///   capacity 2, RAM [0x1000, 0x2000) + [0x8000, 0x9000)
    ///   |rrrrrrrrrrrrrrrr|    |TT......|   one 4 KiB entry, the table
    ///   |rrrr....rrrrrrrr|    |..TTTT..|   split: the doubling avoids the
    ///                                      whole entry, not only its tail
    /// ```
    /// Expect freeing the doubled table to be Invalid, and a split that
    /// doubles the table never to put the table in the bytes being freed.
    #[test]
    fn free_never_touches_the_table() {
        let mut er = booted(2, &[(0x1000, 0x2000, 0), (0x8000, 0x9000, 0)]);
        assert_eq!(er.reserve(0x1000, 0x1000, ReserveMode::Default), Ok(()));
        assert_eq!(er.metadata(), vec![r(0x8000, 0x8080)]);
        assert_eq!(er.free(0x8000, 1), Err(Error::Invalid));
        assert_eq!(er.free(0x1400, 0x400), Ok(()));
        assert_eq!(er.metadata(), vec![r(0x8080, 0x8180)]);
        assert_eq!(
            er.free_map(),
            vec![r(0x1400, 0x1800), r(0x8000, 0x8080), r(0x8180, 0x9000)]
        );
    }

    // ---- alloc ---------------------------------------------------------

    /// ```text
    ///   |....|..rr..|.....|      RAM [0, 0x3000), r = [0x1000, 0x1010)
    ///   0x0  0x1000      0x3000
    /// ```
    /// Expect the lowest feasible byte start at or above PAGE_SIZE, aligned
    /// absolutely, never below the first page; Invalid for size 0 or a bad
    /// alignment; the request's failure when nothing fits, with no change.
    #[test]
    fn alloc_is_the_lowest_byte_granular_first_fit() {
        let mut er = booted(32, &[(0, 0x3000, 0)]);
        assert_eq!(er.reserve(0x1000, 0x10, ReserveMode::Default), Ok(()));
        assert_eq!(er.alloc(&req(0, 1)), Err(Error::Invalid));
        assert_eq!(er.alloc(&req(1, 0)), Err(Error::Invalid));
        assert_eq!(er.alloc(&req(1, 3)), Err(Error::Invalid));
        assert_eq!(er.alloc(&req(5, 1)), Ok(0x1010));
        assert_eq!(er.alloc(&req(5, 1)), Ok(0x1015));
        assert_eq!(er.alloc(&req(1, 64)), Ok(0x1040));
        assert_eq!(er.alloc(&req(0x1000, 0x1000)), Ok(0x2000));
        let mut panicky = req(0x1000, 1);
        panicky.on_fail = OnFail::Panic;
        let before = entries(&er);
        assert_eq!(er.alloc(&panicky), Err(Error::Panic));
        assert_eq!(er.alloc(&req(0x1000, 1)), Err(Error::NoMem));
        assert_eq!(entries(&er), before);
        assert_eq!(er.alloc(&req(0x1000 - 0x41, 1)), Ok(0x1041));
    }

    /// ```text
    ///   |..n0..|..n1..|..n0..|..n1..|   4 ranges of 0x1000 from 0x1000
    /// ```
    /// Expect the four stages: node and goal, any node and goal, node
    /// anywhere, any node anywhere; Exact skips the any-node stages; a
    /// block never spans the touching n0/n1 boundary.
    #[test]
    fn alloc_walks_the_stages() {
        let map = [
            (0x1000, 0x2000, 0),
            (0x2000, 0x3000, 1),
            (0x3000, 0x4000, 0),
            (0x4000, 0x5000, 1),
        ];
        let mut er = booted(32, &map);
        let mut q = req(0x100, 1);
        q.nid = Some(1);
        q.goal = 0x3000;
        assert_eq!(er.alloc(&q), Ok(0x4000), "stage 1: node 1 from the goal");
        q.nid = Some(0);
        q.goal = 0x3f80;
        assert_eq!(er.alloc(&q), Ok(0x4100), "stage 2: any node from the goal");
        q.limit = 0x4100;
        assert_eq!(er.alloc(&q), Ok(0x1000), "stage 3: node 0 anywhere");
        q.nid = Some(7);
        q.goal = 0;
        q.limit = 0;
        assert_eq!(er.alloc(&q), Ok(0x1100), "stage 4 (= 2): node 7 has no RAM");
        q.policy = NodePolicy::Exact;
        assert_eq!(er.alloc(&q), Err(Error::NoMem), "Exact on node 7");
        q.nid = None;
        assert_eq!(
            er.alloc(&q),
            Ok(0x1200),
            "Exact without a node acts as Prefer"
        );
        let mut spanning = req(0x1000, 1);
        spanning.goal = 0x1f00;
        assert_eq!(er.alloc(&spanning), Ok(0x2000), "not across 0x2000");
    }

    /// Expect the limit to bound the end, exclusively: a block ending
    /// exactly at the limit is fine.
    #[test]
    fn alloc_keeps_the_end_at_or_below_the_limit() {
        let mut er = booted(32, &[(0x1000, 0x3000, 0)]);
        let mut q = req(0x100, 1);
        q.limit = 0x1100;
        assert_eq!(er.alloc(&q), Ok(0x1000));
        assert_eq!(er.alloc(&q), Err(Error::NoMem));
        q.limit = 0xff;
        assert_eq!(er.alloc(&q), Err(Error::NoMem));
    }

    /// Expect sizes, goals and alignments near 2^64 never to wrap.
    #[test]
    fn alloc_near_two_to_the_64_never_wraps() {
        let top = u64::MAX - 0x2000;
        let mut er = booted(32, &[(top, u64::MAX, 0), (1 << 63, (1 << 63) + 0x100, 1)]);
        assert_eq!(er.alloc(&req(u64::MAX, 1)), Err(Error::NoMem));
        assert_eq!(er.alloc(&req(1, 1 << 63)), Ok(1 << 63));
        assert_eq!(er.alloc(&req(1, 1 << 63)), Err(Error::NoMem));
        let mut high = req(0x10, 1);
        high.goal = u64::MAX;
        high.limit = u64::MAX;
        assert_eq!(er.alloc(&high), Ok((1 << 63) + 1));
        high.goal = u64::MAX - 0x10;
        assert_eq!(er.alloc(&high), Ok(u64::MAX - 0x10));
        assert_eq!(
            er.reserve(u64::MAX - 1, 2, ReserveMode::Default),
            Err(Error::Invalid)
        );
        assert_eq!(er.free(u64::MAX - 0x10, 0x10), Ok(()));
        assert_eq!(er.free(u64::MAX - 0x10, 0x11), Err(Error::Invalid));
    }

    /// ```text
    ///   capacity 4, RAM [0x1000, 0x2000)
    ///   |aa|aa|aa|TT|aa|.....|   after four 0x100-byte allocations
    /// ```
    /// Expect the doubling the third allocation's reserve needs to avoid
    /// the block found, as the kernel's does: the table goes above it.
    #[test]
    fn an_alloc_that_doubles_the_table_keeps_its_block() {
        let mut er = booted(4, &[(0x1000, 0x2000, 0)]);
        assert_eq!(er.alloc(&req(0x100, 1)), Ok(0x1000));
        assert_eq!(er.alloc(&req(0x100, 1)), Ok(0x1100));
        assert!(er.metadata().is_empty());
        assert_eq!(er.alloc(&req(0x100, 1)), Ok(0x1200));
        assert_eq!(er.metadata(), vec![r(0x1300, 0x1400)]);
        assert_eq!(er.alloc(&req(0x100, 1)), Ok(0x1400));
        assert_eq!(er.free_map(), vec![r(0x1500, 0x2000)]);
    }

    /// ```text
    ///   capacity 4, RAM [0x1000, 0x10000)
    ///   before  |TT|rrrrrrrrrrrrrrrrrrrrrrrrrrrrr|.........|   T = [0x1000, 0x1100)
    ///   alloc 64 bytes: found at 0x6000; the reserve doubles the table,
    ///   avoiding the block: nothing free below it, so above, at 0x6040
    ///   after   |..|rrrrrrrrrrrrrrrrrrrrrrrrrrrrr|aTTTT....|
    /// ```
    /// Expect find-then-reserve as in 2.6.34: the block is the lowest fit
    /// while the old table is still in place, and the old table's bytes are
    /// free afterwards.
    #[test]
    fn an_alloc_keeps_the_block_found_before_the_table_moves() {
        let mut er = booted(4, &[(0x1000, 0x10000, 0)]);
        let d = ReserveMode::Default;
        assert_eq!(er.reserve(0x1100, 0xf00, d), Ok(()));
        assert_eq!(er.reserve(0x2000, 0x1000, d), Ok(()));
        assert_eq!(er.reserve(0x3000, 0x1000, d), Ok(()));
        assert_eq!(er.metadata(), vec![r(0x1000, 0x1100)]);
        assert_eq!(er.reserve(0x4000, 0x1000, d), Ok(()));
        assert_eq!(er.reserve(0x5000, 0x1000, d), Ok(()));
        assert_eq!(er.alloc(&req(64, 64)), Ok(0x6000));
        assert_eq!(er.metadata(), vec![r(0x6040, 0x6240)]);
        assert_eq!(er.free_map()[0], r(0x1000, 0x1100));
    }

    // ---- release_all ---------------------------------------------------

    /// ```text
    ///   |T.|.r|r.|..|..|x|..n1..|n2|n3:n3|   page-sized characters
    ///   0  1  2  3  4  5  6     8  8.5  9.5   T = [0, 0x80),
    ///                                         r = [0x1800, 0x2800)
    /// ```
    /// Expect every whole free page of one RAM range to be handed over
    /// once; pages partly reserved, partly the table's, or straddling two
    /// nodes' RAM (page 8: n2 and n3) kept; the table kept; and the count.
    #[test]
    fn release_all_hands_over_whole_free_pages_and_keeps_the_table() {
        let mut er = booted(
            2,
            &[
                (0, 0x5000, 0),
                (0x6000, 0x8000, 1),
                (0x8000, 0x8800, 2),
                (0x8800, 0x9800, 3),
            ],
        );
        assert_eq!(er.reserve(0x1800, 0x1000, ReserveMode::Default), Ok(()));
        assert_eq!(er.metadata(), vec![r(0, 0x80)]);
        assert_eq!(er.free_map()[2], r(0x6000, 0x9800), "one free range");
        let (count, got) = release(&mut er);
        assert_eq!(got, vec![r(0x3000, 0x5000), r(0x6000, 0x8000)]);
        assert_eq!(count, Ok(4));
        assert_eq!(er.free_map(), Vec::<Range>::new());
    }

    /// Expect the profile of SPEC section 7.
    #[test]
    fn profile() {
        let p = EarlyResBootMem::with_bugs(BugSet::NONE).profile();
        assert_eq!(p.granularity, Granularity::Byte);
        assert_eq!(p.placement, Placement::Lowest);
        assert!(!p.packing && !p.crosses_nodes);
        assert_eq!(p.metadata, MetadataHandoff::Kept);
        assert_eq!(p.registration, Registration::AnyTime);
        assert_eq!(EarlyResBootMem::default().capacity, MAX_EARLY_RES_X);
    }
}
