//! Brute-force cross-checks, one byte at a time over a small address space:
//!
//! - the bootmem layer against the rules of SPEC sections 3 and 4, with
//!   random maps, capacities and ops, comparing every outcome and every free
//!   map;
//! - the native table against the rules of `reserve_early`,
//!   `reserve_early_overlap_ok`, `free_early` and `free_early_partial`,
//!   comparing every outcome and which byte is covered by what.
//!
//! Neither model knows where the table goes; it takes the metadata the
//! backend reports after each successful call and checks it the way SPEC
//! section 5 asks: new metadata lies on bytes that were free before the
//! call and not in the call's own range, and metadata that disappears
//! becomes free. A doubling that finds no room (the kernel's panic) is the
//! one allowed disagreement: the backend counts it, and must then have
//! changed nothing.

use super::{EarlyRes, EarlyResBootMem, ResError};
use crate::range::{align_up, page_up};
use crate::{
    AllocRequest, BootMem, Error, Nid, NodePolicy, OnFail, Outcome, Range, ReserveMode, MAX_NODES,
    PAGE_SIZE,
};

const P: u64 = PAGE_SIZE;
/// The model's address space: `[0, N)`; every byte above is a hole.
const N: u64 = 4 * P;

fn r(start: u64, end: u64) -> Range {
    Range::new(start, end).expect("model range")
}

/// What one byte is doing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Byte {
    Hole,
    Free,
    Taken,
    Meta,
}

/// The byte-at-a-time restatement.
struct Model {
    /// Normalized RAM: sorted, touching ranges of one node merged.
    ram: Vec<(Range, Nid)>,
    bytes: Vec<Byte>,
    /// Index into `ram` of the range holding each byte (`usize::MAX` for
    /// holes), so that no block spans two ranges.
    owner: Vec<usize>,
}

impl Model {
    fn new() -> Model {
        Model {
            ram: Vec::new(),
            bytes: vec![Byte::Hole; N as usize],
            owner: vec![usize::MAX; N as usize],
        }
    }

    fn add_memory(&mut self, range: Range, nid: Nid) -> Outcome<()> {
        if range.is_empty()
            || nid >= MAX_NODES
            || self.ram.iter().any(|(ram, _)| ram.overlaps(range))
        {
            return Err(Error::Invalid);
        }
        self.ram.push((range, nid));
        self.ram.sort_by_key(|(ram, _)| ram.start());
        let mut merged: Vec<(Range, Nid)> = Vec::new();
        for &(ram, n) in &self.ram {
            match merged.last_mut() {
                Some((last, m)) if *m == n && last.end() == ram.start() => {
                    *last = r(last.start(), ram.end());
                }
                _ => merged.push((ram, n)),
            }
        }
        self.ram = merged;
        for b in range.start().min(N)..range.end().min(N) {
            self.bytes[b as usize] = Byte::Free;
        }
        for (i, (ram, _)) in self.ram.iter().enumerate() {
            for b in ram.start().min(N)..ram.end().min(N) {
                self.owner[b as usize] = i;
            }
        }
        Ok(())
    }

    fn slice(&self, range: Range) -> &[Byte] {
        &self.bytes[range.start() as usize..range.end() as usize]
    }

    /// Every byte of the non-empty `range` is RAM.
    fn is_ram(&self, range: Range) -> bool {
        range.end() <= N && self.slice(range).iter().all(|&b| b != Byte::Hole)
    }

    fn in_node(&self, nid: Option<Nid>, range: Range) -> bool {
        nid.is_none_or(|n| {
            self.ram
                .iter()
                .any(|&(ram, m)| m == n && ram.contains(range))
        })
    }

    fn mark(&mut self, range: Range, from: Byte, to: Byte) {
        for b in &mut self.bytes[range.start() as usize..range.end() as usize] {
            if *b == from {
                *b = to;
            }
        }
    }

    /// The verdict and the range to mark on success.
    fn reserve(&self, nid: Option<Nid>, base: u64, size: u64, excl: bool) -> Outcome<Range> {
        if size == 0 {
            return Ok(Range::EMPTY);
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        if !self.is_ram(range) || !self.in_node(nid, range) {
            return Err(Error::Invalid);
        }
        if excl && self.slice(range).iter().any(|&b| b != Byte::Free) {
            return Err(Error::Busy);
        }
        Ok(range)
    }

    fn free(&self, nid: Option<Nid>, base: u64, size: u64) -> Outcome<Range> {
        if size == 0 {
            return Ok(Range::EMPTY);
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        if !self.is_ram(range)
            || !self.in_node(nid, range)
            || self.slice(range).contains(&Byte::Meta)
        {
            return Err(Error::Invalid);
        }
        if self.slice(range).contains(&Byte::Free) {
            return Err(Error::DoubleFree);
        }
        Ok(range)
    }

    /// SPEC section 4: the lowest feasible start of the first stage that
    /// has one.
    fn alloc(&self, q: &AllocRequest) -> Outcome<Range> {
        q.validate()?;
        // run[i]: free bytes from i on, inside the RAM range holding i.
        let mut run = vec![0u64; N as usize + 1];
        for i in (0..N as usize).rev() {
            if self.bytes[i] == Byte::Free {
                let same = i + 1 < N as usize && self.owner[i + 1] == self.owner[i];
                run[i] = 1 + if same { run[i + 1] } else { 0 };
            }
        }
        let plan = [(true, true), (false, true), (true, false), (false, false)];
        for (on_node, with_goal) in plan {
            if (on_node && q.nid.is_none())
                || (!on_node && q.nid.is_some() && q.policy == NodePolicy::Exact)
                || (!with_goal && q.goal == 0)
            {
                continue;
            }
            let from = if with_goal { q.goal.max(P) } else { P };
            let Some(mut a) = align_up(from, q.align) else {
                continue;
            };
            while a < N {
                let feasible = a.checked_add(q.size).is_some_and(|end| {
                    (q.limit == 0 || end <= q.limit)
                        && run[a as usize] >= q.size
                        && (!on_node
                            || q.nid
                                .is_some_and(|n| self.ram[self.owner[a as usize]].1 == n))
                });
                if feasible {
                    return Ok(r(a, a + q.size));
                }
                let Some(next) = a.checked_add(q.align) else {
                    break;
                };
                a = next;
            }
        }
        Err(q.failure())
    }

    /// Adopts the metadata the backend reports after a successful call, as
    /// if it had appeared before the call's effect: new metadata must be
    /// RAM that was free. Metadata that went away is returned, still
    /// marked, for [`Model::free_vanished`] (at once for reserve and free;
    /// after judging an alloc, whose block was found while the old table
    /// was still in place).
    fn sync_metadata(&mut self, reported: &[Range]) -> Result<Vec<u64>, String> {
        for &m in reported {
            if m.end() > N || !self.is_ram(m) {
                return Err(format!("metadata {m} outside RAM"));
            }
            let taken = self
                .slice(m)
                .iter()
                .find(|&&b| b != Byte::Free && b != Byte::Meta);
            if let Some(b) = taken {
                return Err(format!("new metadata {m} over {b:?} bytes"));
            }
        }
        let vanished = (0..N)
            .filter(|&i| self.bytes[i as usize] == Byte::Meta)
            .filter(|&i| !reported.iter().any(|m| m.contains_addr(i)))
            .collect();
        for &m in reported {
            self.mark(m, Byte::Free, Byte::Meta);
        }
        Ok(vanished)
    }

    fn free_vanished(&mut self, vanished: &[u64]) {
        for &i in vanished {
            self.bytes[i as usize] = Byte::Free;
        }
    }

    /// True when free bytes outside `exclude` hold `bytes` bytes at a
    /// multiple of 32 (`ENTRY_SIZE`): room for the doubled table.
    fn has_room(&self, bytes: u64, exclude: Range) -> bool {
        self.free_map().into_iter().any(|run| {
            let below = Range::new(run.start(), exclude.start().clamp(run.start(), run.end()));
            let above = Range::new(exclude.end().clamp(run.start(), run.end()), run.end());
            let pieces = if run.overlaps(exclude) {
                [below, above]
            } else {
                [Some(run), None]
            };
            pieces.into_iter().flatten().any(|piece| {
                align_up(piece.start(), super::ENTRY_SIZE)
                    .and_then(|a| a.checked_add(bytes))
                    .is_some_and(|end| end <= piece.end())
            })
        })
    }

    /// Maximal runs of bytes for which `keep` holds.
    fn runs(&self, keep: impl Fn(Byte) -> bool) -> Vec<Range> {
        let mut out: Vec<Range> = Vec::new();
        let mut at = 0;
        while let Some(start) = self.bytes[at..].iter().position(|&b| keep(b)) {
            let start = at + start;
            let end = self.bytes[start..]
                .iter()
                .position(|&b| !keep(b))
                .map_or(self.bytes.len(), |len| start + len);
            out.push(r(start as u64, end as u64));
            at = end;
        }
        out
    }

    fn free_map(&self) -> Vec<Range> {
        self.runs(|b| b == Byte::Free)
    }

    /// Whole pages of free bytes of one RAM range (the table is kept).
    fn release(&self) -> Vec<Range> {
        let mut out = Vec::new();
        for &(ram, _) in &self.ram {
            for run in self.free_map() {
                if let Some(free) = run.intersect(ram) {
                    out.push(free.round_inward());
                }
            }
        }
        out.retain(|p| !p.is_empty());
        out
    }
}

/// xorshift64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An address: near a page or quarter-page boundary of the model's
    /// space, anywhere in it, or wild.
    fn addr(&mut self) -> u64 {
        match self.below(10) {
            0 => u64::MAX - self.below(2 * P),
            1 => self.next(),
            2..=5 => self.below(N + P),
            _ => (self.below(4 * (N / P) + 2) * P / 4)
                .wrapping_add(self.below(3))
                .wrapping_sub(1),
        }
    }

    /// A size: mostly small, so that entries are many.
    fn size(&mut self) -> u64 {
        match self.below(12) {
            0 => 0,
            1 => u64::MAX - self.below(3),
            2 => self.below(2 * P),
            3 => self.below(5) * P / 4 + self.below(3),
            _ => 1 + self.below(0x180),
        }
    }
}

/// Up to five ranges in `[0, N)`, in order, often touching, edges often
/// off page boundaries, nodes 0..3.
fn random_map(rng: &mut Rng) -> Vec<(Range, Nid)> {
    let mut map = Vec::new();
    let mut at = rng.pick(&[0, 0, 0x10, P / 2, P - 1, P]);
    for _ in 0..1 + rng.below(5) {
        let len = 1 + rng.below(2 * P);
        let Some(end) = at.checked_add(len).filter(|&e| e <= N) else {
            break;
        };
        map.push((r(at, end), rng.below(3) as Nid));
        at = end + rng.pick(&[0, 0, 0, 1, 0x100]);
    }
    map
}

fn random_request(rng: &mut Rng) -> AllocRequest {
    let mut q = AllocRequest::new(
        rng.pick(&[1, 2, 7, 0x40, 0x100, 0x333, P, 0]),
        rng.pick(&[0, 1, 1, 3, 8, 16, 64, 0x100, P, 2 * P, 1 << 63]),
    );
    if rng.below(4) == 0 {
        q.size = rng.size();
    }
    let (wild, near) = (rng.addr(), rng.below(N + 1));
    q.goal = rng.pick(&[0, 0, wild, near]);
    let (wild, near) = (rng.addr(), rng.below(N + 1));
    q.limit = rng.pick(&[0, 0, wild, near]);
    q.nid = rng.pick(&[None, None, Some(0), Some(1), Some(2), Some(70)]);
    if rng.below(3) == 0 {
        q.policy = NodePolicy::Exact;
    }
    if rng.below(2) == 0 {
        q.on_fail = OnFail::Panic;
    }
    q
}

/// What one random op did, for the messages.
#[derive(Debug, Clone, Copy)]
enum Op {
    Add(Range, Nid),
    Reserve(Option<Nid>, u64, u64, bool),
    Free(Option<Nid>, u64, u64),
    Alloc(AllocRequest),
}

/// Expect every outcome, every free map and the hand-off to match the
/// byte-at-a-time model over thousands of random small scenarios, many of
/// them doubling the table.
#[test]
fn random_scenarios_match_a_byte_at_a_time_model() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut doubled = 0;
    let mut table_failures = 0;
    let mut ok_allocs = 0;
    for scenario in 0..1500 {
        let capacity = rng.pick(&[1, 2, 3, 4, 5, 8, 32]);
        let map = random_map(&mut rng);
        let mut be = EarlyResBootMem::with_capacity(capacity);
        let mut model = Model::new();
        for &(range, nid) in &map {
            assert_eq!(be.add_memory(range, nid), model.add_memory(range, nid));
        }
        assert_eq!(be.setup(), Ok(()));
        assert_eq!(be.free_map(), model.free_map(), "scenario {scenario} setup");
        let mut live: Vec<Range> = Vec::new();
        for step in 0..60 {
            let op = match rng.below(16) {
                0 => {
                    let start = rng.below(N);
                    let end = (start + 1 + rng.below(P)).min(N);
                    Op::Add(r(start, end), rng.pick(&[0, 1, 2, 64]))
                }
                1..=5 => Op::Reserve(
                    rng.pick(&[None, None, Some(0), Some(1)]),
                    rng.addr(),
                    rng.size(),
                    rng.below(3) == 0,
                ),
                6..=8 if !live.is_empty() => {
                    let block = live[rng.below(live.len() as u64) as usize];
                    let from = block.start() + rng.below(block.len());
                    let len = 1 + rng.below(block.end() - from);
                    Op::Free(None, from, len)
                }
                6..=9 => Op::Free(
                    rng.pick(&[None, None, Some(0), Some(1)]),
                    rng.addr(),
                    rng.size(),
                ),
                _ => Op::Alloc(random_request(&mut rng)),
            };
            let ctx = || format!("scenario {scenario} step {step} {op:?} map {map:?}");
            let meta_before = be.metadata();
            let free_before = be.free_map();
            let failures_before = be.table_failures();
            let growth = be.metadata_growth();
            // The backend first; then its new metadata, synced into the
            // model as if it had appeared before the call's own effect;
            // then the model's verdict on that state (the harness's order).
            let got = match op {
                Op::Add(range, nid) => be.add_memory(range, nid).map(|()| 0),
                Op::Reserve(nid, base, size, excl) => {
                    let mode = if excl {
                        ReserveMode::Exclusive
                    } else {
                        ReserveMode::Default
                    };
                    match nid {
                        None => be.reserve(base, size, mode),
                        Some(n) => be.reserve_node(n, base, size, mode),
                    }
                    .map(|()| 0)
                }
                Op::Free(nid, base, size) => match nid {
                    None => be.free(base, size),
                    Some(n) => be.free_node(n, base, size),
                }
                .map(|()| 0),
                Op::Alloc(q) => be.alloc(&q),
            };
            let verdict = |model: &Model| match op {
                Op::Add(..) => Ok(Range::EMPTY),
                Op::Reserve(nid, base, size, excl) => model.reserve(nid, base, size, excl),
                Op::Free(nid, base, size) => model.free(nid, base, size),
                Op::Alloc(q) => model.alloc(&q),
            };
            if be.table_failures() != failures_before {
                // A full table with no room to double: only a call the
                // contract lets succeed gets here, only when there is no
                // room outside the call's range (for a default reserve,
                // none at all), and it must have changed nothing.
                table_failures += 1;
                let want = verdict(&model);
                let exclude = match (op, want) {
                    (Op::Reserve(_, _, _, false), _) => Range::EMPTY,
                    (_, Ok(range)) => range,
                    (_, Err(_)) => panic!("{}: a valid call was due", ctx()),
                };
                let growth = growth.expect("set up");
                assert!(!model.has_room(growth, exclude), "{}", ctx());
                assert!(
                    matches!(got, Err(Error::NoMem) | Err(Error::Panic)),
                    "{}",
                    ctx()
                );
                assert_eq!(be.metadata(), meta_before, "{}", ctx());
                assert_eq!(be.free_map(), free_before, "{}", ctx());
                continue;
            }
            let mut vanished = Vec::new();
            if got.is_err() {
                assert_eq!(be.metadata(), meta_before, "{}", ctx());
            } else {
                match model.sync_metadata(&be.metadata()) {
                    Ok(gone) => vanished = gone,
                    Err(e) => panic!("{}: {e}", ctx()),
                }
            }
            if !matches!(op, Op::Alloc(_)) {
                model.free_vanished(&vanished);
            }
            let want = verdict(&model);
            model.free_vanished(&vanished);
            if let Op::Add(range, nid) = op {
                assert_eq!(got.map(|_| ()), model.add_memory(range, nid), "{}", ctx());
            } else if let Op::Alloc(_) = op {
                assert_eq!(got, want.map(|block| block.start()), "{}", ctx());
            } else {
                assert_eq!(got.map(|_| ()), want.map(|_| ()), "{}", ctx());
            }
            match (&op, want) {
                (_, Err(_)) | (Op::Add(..), _) => {}
                (Op::Reserve(..), Ok(range)) => model.mark(range, Byte::Free, Byte::Taken),
                (Op::Free(..), Ok(range)) => model.mark(range, Byte::Taken, Byte::Free),
                (Op::Alloc(_), Ok(block)) => {
                    model.mark(block, Byte::Free, Byte::Taken);
                    live.push(block);
                    ok_allocs += 1;
                }
            }
            assert_eq!(be.free_map(), model.free_map(), "{}", ctx());
        }
        if !be.metadata().is_empty() {
            doubled += 1;
        }
        let mut sunk = Vec::new();
        let count = be.release_all(&mut |range| sunk.push(range));
        let want = model.release();
        assert_eq!(sunk, want, "scenario {scenario} release");
        let pages: u64 = want.iter().map(|p| p.len() / P).sum();
        assert_eq!(count, Ok(pages), "scenario {scenario} release count");
        assert!(want.iter().all(|p| page_up(p.start()) == Some(p.start())));
    }
    // The run must reach what it is meant to check.
    assert!(doubled > 300, "{doubled} scenarios doubled the table");
    assert!(ok_allocs > 8_000, "{ok_allocs} successful allocs");
    assert!(table_failures < 1_000, "{table_failures} table failures");
}

// ---- the native table ---------------------------------------------------

/// What covers one byte in the native model: a plain byte, so that whole
/// maps compare with `memcmp`.
type Cover = u8;
/// No entry.
const UNCOVERED: Cover = 0;
/// An entry that is not overlap_ok.
const ENTRY: Cover = 1;
/// An overlap_ok entry.
const ENTRY_OK: Cover = 2;
/// The doubled table's own entry.
const TABLE: Cover = 3;

/// The cover of an entry.
fn entry(overlap_ok: bool) -> Cover {
    if overlap_ok {
        ENTRY_OK
    } else {
        ENTRY
    }
}

/// Each byte's cover according to the table itself.
fn covers(t: &EarlyRes) -> Vec<Cover> {
    let mut out = vec![UNCOVERED; N as usize];
    for (i, e) in t.entries().iter().enumerate() {
        let cover = if i == 0 && t.table().is_some() {
            TABLE
        } else {
            entry(e.overlap_ok())
        };
        for b in e.start().min(N)..e.end().min(N) {
            out[b as usize] = cover;
        }
    }
    out
}

/// The table's own invariants.
fn check_invariants(t: &EarlyRes) -> Result<(), String> {
    if t.count() > t.max() {
        return Err(format!("{} entries in {} slots", t.count(), t.max()));
    }
    let mut ranges: Vec<Range> = t.entries().iter().map(|e| e.range()).collect();
    ranges.sort();
    if ranges.iter().any(|r| r.is_empty()) || ranges.windows(2).any(|w| w[0].overlaps(w[1])) {
        return Err(format!("entries empty or overlapping: {:?}", t.entries()));
    }
    if let Some(table) = t.table() {
        let own = t
            .entries()
            .first()
            .map(|e| (e.range(), e.overlap_ok(), e.name()));
        if own != Some((table, false, "")) || !t.ram().iter().any(|r| r.contains(table)) {
            return Err(format!("table {table} badly described: {:?}", t.entries()));
        }
        if Some(table.len()) != u64::try_from(t.max()).ok().map(|m| m * super::ENTRY_SIZE) {
            return Err(format!("table {table} for {} slots", t.max()));
        }
    }
    Ok(())
}

/// A native op.
#[derive(Debug, Clone, Copy)]
enum NativeOp {
    Reserve(u64, u64),
    ReserveOk(u64, u64),
    Free(u64, u64),
    FreePartial(u64, u64),
}

/// Expect the native calls to follow their rules, byte by byte: a
/// reservation fails exactly when it overlaps a byte of an entry that is
/// not overlap_ok (or the table), and then covers its range; free_early
/// succeeds exactly on an entry's exact range; free_early_partial uncovers
/// its range and re-adds the tail of a split entry as not overlap_ok; the
/// table moves only into uncovered RAM, outside what the call reserves.
/// Running out of room or slots may fail an otherwise good call, which
/// must then change nothing.
#[test]
fn random_native_ops_match_a_byte_model() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut doubled = 0;
    for scenario in 0..1500 {
        let mut t = EarlyRes::with_capacity(rng.pick(&[1, 2, 3, 4, 8]));
        let mut ram = vec![false; N as usize];
        for (range, _) in random_map(&mut rng) {
            t.add_ram(range);
            for b in range.start()..range.end() {
                ram[b as usize] = true;
            }
        }
        let mut model = covers(&t);
        for step in 0..60 {
            let start = rng.below(N);
            let len = match rng.below(4) {
                0 => rng.below(3),
                1 => rng.below(P),
                _ => 1 + rng.below(0x100),
            };
            let end = (start + len).min(N);
            let (start, end) = if rng.below(20) == 0 {
                (end, start)
            } else {
                (start, end)
            };
            let op = match rng.below(8) {
                0..=2 => NativeOp::Reserve(start, end),
                3 => NativeOp::ReserveOk(start, end),
                4 => {
                    // Often an exact entry, sometimes not.
                    let exact = t.entries().get(rng.below(t.count() as u64 + 1) as usize);
                    match exact {
                        Some(e) if rng.below(4) != 0 => NativeOp::Free(e.start(), e.end()),
                        _ => NativeOp::Free(start, end),
                    }
                }
                _ => NativeOp::FreePartial(start, end),
            };
            let before = t.clone();
            let ctx = || {
                format!(
                    "scenario {scenario} step {step} {op:?} {:?}",
                    before.entries()
                )
            };
            let span = |s: u64, e: u64| s.min(N) as usize..e.clamp(s, N) as usize;
            let taken = |m: &[Cover], s: u64, e: u64| {
                m[span(s, e)].iter().any(|&c| c == ENTRY || c == TABLE)
            };
            let mut next = model.clone();
            let (got, want) = match op {
                NativeOp::Reserve(s, e) | NativeOp::ReserveOk(s, e) => {
                    let ok = matches!(op, NativeOp::ReserveOk(..));
                    let got = if ok {
                        t.reserve_early_overlap_ok(s, e, "ok")
                    } else {
                        t.reserve_early(s, e, "res")
                    };
                    // reserve_early doubles before it checks for overlaps,
                    // so the old table's bytes are free by then.
                    let doubles = before.max() - before.count() <= (before.max() / 8).max(2);
                    let mut seen = model.clone();
                    if !ok && doubles {
                        for c in seen.iter_mut().filter(|c| **c == TABLE) {
                            *c = UNCOVERED;
                        }
                    }
                    let want = if s < e && taken(&seen, s, e) {
                        Err(())
                    } else {
                        Ok(())
                    };
                    next[span(s, e)].fill(entry(ok));
                    (got, want)
                }
                NativeOp::Free(s, e) => {
                    let got = t.free_early(s, e);
                    let hit = before
                        .entries()
                        .iter()
                        .position(|x| (x.start(), x.end()) == (s, e));
                    let want = match hit {
                        Some(0) if before.table().is_some() => Err(()),
                        Some(_) => Ok(()),
                        None => Err(()),
                    };
                    next[span(s, e)].fill(UNCOVERED);
                    (got, want)
                }
                NativeOp::FreePartial(s, e) => {
                    let got = t.free_early_partial(s, e);
                    let on_table = before
                        .table()
                        .is_some_and(|x| s < e && x.start() < e && s < x.end());
                    let want = if s > e || on_table { Err(()) } else { Ok(()) };
                    // A split entry's tail comes back as not overlap_ok.
                    let split = before
                        .entries()
                        .iter()
                        .find(|x| s < e && x.start() < s && e < x.end());
                    if let Some(x) = split {
                        next[span(e, x.end())].fill(ENTRY);
                    }
                    if s < e {
                        next[span(s, e)].fill(UNCOVERED);
                    }
                    (got, want)
                }
            };
            let room = matches!(got, Err(ResError::NoSpaceForTable));
            let slots = matches!(got, Err(ResError::TooMany));
            if (room || slots) && want.is_ok() {
                assert_eq!(t, before, "{}", ctx());
                if slots {
                    assert!(before.count() + 1 >= before.max(), "{}", ctx());
                }
                continue;
            }
            assert_eq!(got.map_err(|_| ()), want, "{}", ctx());
            assert_eq!(check_invariants(&t), Ok(()), "{}", ctx());
            if got.is_err() {
                assert_eq!(t, before, "{}", ctx());
                continue;
            }
            if t.table() != before.table() {
                let table = t.table().expect("a table never goes back to static");
                let fresh = span(table.start(), table.end());
                assert!(
                    next[fresh.clone()]
                        .iter()
                        .all(|&c| c == UNCOVERED || c == TABLE)
                        && ram[fresh].iter().all(|&r| r),
                    "{}",
                    ctx()
                );
                assert!(!matches!(op, NativeOp::ReserveOk(..)), "{}", ctx());
                for c in next.iter_mut().filter(|c| **c == TABLE) {
                    *c = UNCOVERED;
                }
                next[span(table.start(), table.end())].fill(TABLE);
            }
            model = next;
            let got = covers(&t);
            if got != model {
                let first = (0..N as usize).find(|&b| got[b] != model[b]);
                panic!(
                    "{} {:?}: first differing byte {first:x?}",
                    ctx(),
                    t.entries()
                );
            }
        }
        if t.table().is_some() {
            doubled += 1;
        }
    }
    assert!(doubled > 300, "{doubled} scenarios doubled the table");
}
