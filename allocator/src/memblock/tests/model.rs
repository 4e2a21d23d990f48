//! A brute-force cross-check: thousands of random small scenarios played
//! against the layer and against a model of SPEC sections 3 and 4 that
//! keeps nothing but sorted byte ranges, so that the arrays, the doubling
//! and the rollback are checked against something obviously right.
//!
//! The model tolerates exactly one disagreement, and checks that it
//! changed nothing: memblock failing a call with `NoMem` because the
//! reserved array had to grow and found no room (a faithful `-ENOMEM`
//! that the contract does not know).

use super::*;
use crate::bugs::BugSet;
use crate::range::{align_down, align_up};
use crate::{AllocRequest, BootMem, Error, NodePolicy, OnFail, Outcome, Range, ReserveMode};

/// A set of bytes as sorted, disjoint, non-touching `(start, end)` pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Set(Vec<(u64, u64)>);

impl Set {
    fn add(&mut self, a: u64, b: u64) {
        if a >= b {
            return;
        }
        let (mut a, mut b) = (a, b);
        let mut out = Vec::new();
        for &(s, e) in &self.0 {
            if e < a || s > b {
                out.push((s, e));
            } else {
                a = a.min(s);
                b = b.max(e);
            }
        }
        out.push((a, b));
        out.sort_unstable();
        self.0 = out;
    }

    fn sub(&mut self, a: u64, b: u64) {
        let mut out = Vec::new();
        for &(s, e) in &self.0 {
            if e <= a || s >= b {
                out.push((s, e));
                continue;
            }
            if s < a {
                out.push((s, a));
            }
            if b < e {
                out.push((b, e));
            }
        }
        self.0 = out;
    }

    fn overlaps(&self, a: u64, b: u64) -> bool {
        self.0.iter().any(|&(s, e)| s < b && a < e)
    }

    fn covers(&self, a: u64, b: u64) -> bool {
        self.0.iter().any(|&(s, e)| s <= a && b <= e)
    }
}

/// The model: RAM (normalized), taken bytes, and the metadata among them.
struct Model {
    ram: Vec<(u64, u64, Nid)>,
    taken: Set,
    meta: Set,
    top_down: bool,
}

impl Model {
    fn add_ram(&mut self, a: u64, b: u64, nid: Nid) -> Outcome<()> {
        if a >= b || nid >= crate::MAX_NODES || self.ram.iter().any(|&(s, e, _)| s < b && a < e) {
            return Err(Error::Invalid);
        }
        self.ram.push((a, b, nid));
        self.ram.sort_unstable();
        let mut norm: Vec<(u64, u64, Nid)> = Vec::new();
        for &(s, e, n) in &self.ram {
            match norm.last_mut() {
                Some(last) if last.1 == s && last.2 == n => last.1 = e,
                _ => norm.push((s, e, n)),
            }
        }
        self.ram = norm;
        Ok(())
    }

    fn is_ram(&self, a: u64, b: u64) -> bool {
        let mut next = a;
        for &(s, e, _) in &self.ram {
            if s <= next && next < e {
                next = e;
            }
        }
        next >= b
    }

    fn in_node(&self, nid: Nid, a: u64, b: u64) -> bool {
        self.ram
            .iter()
            .any(|&(s, e, n)| n == nid && s <= a && b <= e)
    }

    /// Free pieces of each RAM range: `(start, end, nid)`, ascending.
    fn pieces(&self) -> Vec<(u64, u64, Nid)> {
        let mut out = Vec::new();
        for &(s, e, n) in &self.ram {
            let mut free = Set(vec![(s, e)]);
            for &(ts, te) in &self.taken.0 {
                free.sub(ts, te);
            }
            out.extend(free.0.into_iter().map(|(a, b)| (a, b, n)));
        }
        out
    }

    fn free_map(&self) -> Vec<Range> {
        let mut all = Set::default();
        for (a, b, _) in self.pieces() {
            all.add(a, b);
        }
        all.0.into_iter().map(|(a, b)| r(a, b)).collect()
    }

    fn reserve(&mut self, nid: Option<Nid>, base: u64, size: u64, excl: bool) -> Outcome<()> {
        if size == 0 {
            return Ok(());
        }
        let end = base.checked_add(size).ok_or(Error::Invalid)?;
        if !self.is_ram(base, end) || nid.is_some_and(|n| !self.in_node(n, base, end)) {
            return Err(Error::Invalid);
        }
        if excl && self.taken.overlaps(base, end) {
            return Err(Error::Busy);
        }
        self.taken.add(base, end);
        Ok(())
    }

    fn free(&mut self, nid: Option<Nid>, base: u64, size: u64) -> Outcome<()> {
        if size == 0 {
            return Ok(());
        }
        let end = base.checked_add(size).ok_or(Error::Invalid)?;
        if !self.is_ram(base, end)
            || nid.is_some_and(|n| !self.in_node(n, base, end))
            || self.meta.overlaps(base, end)
        {
            return Err(Error::Invalid);
        }
        if !self.taken.covers(base, end) {
            return Err(Error::DoubleFree);
        }
        self.taken.sub(base, end);
        Ok(())
    }

    /// The placement SPEC section 4 demands, or the failure.
    fn alloc_verdict(&self, q: &AllocRequest) -> Outcome<u64> {
        q.validate()?;
        let stages = [(true, true), (false, true), (true, false), (false, false)];
        for (on_node, above_goal) in stages {
            if (on_node && q.nid.is_none())
                || (!on_node && q.policy == NodePolicy::Exact && q.nid.is_some())
                || (!above_goal && q.goal == 0)
            {
                continue;
            }
            let mut best: Option<u64> = None;
            for (s, e, n) in self.pieces() {
                if on_node && Some(n) != q.nid {
                    continue;
                }
                let mut lo = s.max(P);
                if above_goal {
                    lo = lo.max(q.goal);
                }
                let mut end = e;
                if q.limit != 0 {
                    end = end.min(q.limit);
                }
                let (Some(first), Some(last_start)) =
                    (align_up(lo, q.align), end.checked_sub(q.size))
                else {
                    continue;
                };
                let Some(last) = align_down(last_start, q.align) else {
                    continue;
                };
                if first > last {
                    continue;
                }
                best = Some(match best {
                    None if self.top_down => last,
                    None => first,
                    Some(b) if self.top_down => b.max(last),
                    Some(b) => b.min(first),
                });
            }
            if let Some(a) = best {
                return Ok(a);
            }
        }
        Err(q.failure())
    }

    /// Takes in the metadata the backend reports after a call: what went
    /// away is free again, what is new must have been free.
    fn sync_meta(&mut self, reported: &[Range], ctx: &str) {
        let new = Set(reported.iter().map(|m| (m.start(), m.end())).collect());
        for &(a, b) in &self.meta.0 {
            if !new.covers(a, b) {
                self.taken.sub(a, b);
            }
        }
        for &(a, b) in &new.0 {
            let mut fresh = Set(vec![(a, b)]);
            for &(ms, me) in &self.meta.0 {
                fresh.sub(ms, me);
            }
            for &(fa, fb) in &fresh.0 {
                assert!(
                    self.is_ram(fa, fb),
                    "{ctx}: metadata {fa:#x}..{fb:#x} off RAM"
                );
                assert!(
                    !self.taken.overlaps(fa, fb),
                    "{ctx}: new metadata {fa:#x}..{fb:#x} over taken memory"
                );
            }
            self.taken.add(a, b);
        }
        self.meta = new;
    }

    /// The pages `memblock_free_all` hands over: whole pages of each free
    /// piece, piece by piece.
    fn release(&self) -> Vec<Range> {
        self.pieces()
            .into_iter()
            .filter_map(|(a, b, _)| {
                let lo = align_up(a, P)?;
                let hi = b & !(P - 1);
                (lo < hi).then(|| r(lo, hi))
            })
            .collect()
    }
}

/// A xorshift generator, and the address the scenario's RAM starts near.
struct Rng {
    state: u64,
    origin: u64,
}

impl Rng {
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An address near a page boundary of the 100 pages from the origin,
    /// or wild.
    fn addr(&mut self) -> u64 {
        let near = match self.below(10) {
            0 => return u64::MAX - self.below(3 * P),
            1 => return self.next(),
            2 => self.below(100 * P),
            _ => (self.below(100) * P)
                .wrapping_add(self.below(3))
                .wrapping_sub(1),
        };
        self.origin.wrapping_add(near)
    }

    /// The origin plus a random offset from `offset`, or the top of the
    /// address space.
    fn at(&mut self, offset: impl FnOnce(&mut Rng) -> u64) -> u64 {
        let offset = offset(self);
        self.origin.saturating_add(offset)
    }

    fn size(&mut self) -> u64 {
        match self.below(10) {
            0 => 0,
            1 => u64::MAX - self.below(3),
            2..=4 => 1 + self.below(3 * P),
            _ => (self.below(6) * P + self.below(3)).wrapping_sub(1),
        }
    }
}

/// A random small map in the 48 pages from the origin: up to five ranges,
/// often touching, often off page boundaries, sometimes from the origin
/// itself.
fn random_map(rng: &mut Rng) -> Vec<(u64, u64, Nid)> {
    let mut map = Vec::new();
    let mut at = rng.at(|g| g.below(3) * P + g.pick(&[0, 0, 0x800, 1, 0x10]));
    for _ in 0..1 + rng.below(5) {
        let len = (1 + rng.below(12)) * P + rng.pick(&[0, 0, 0x800, 0x7f, 1]);
        let end = at.saturating_add(len);
        if end > rng.origin.saturating_add(48 * P) {
            break;
        }
        map.push((at, end, rng.below(3) as Nid));
        at = end.saturating_add(rng.below(3) * P * rng.below(2));
    }
    map
}

fn random_request(rng: &mut Rng) -> AllocRequest {
    let mut q = AllocRequest::new(
        rng.size(),
        rng.pick(&[0, 1, 3, 16, 64, P, 2 * P, 4 * P, 1 << 63]),
    );
    if rng.below(4) == 0 {
        q.size = 1 + rng.below(3 * P);
    }
    let goals = [0, 0, rng.addr(), rng.at(|g| g.below(48) * P)];
    q.goal = rng.pick(&goals);
    let limits = [
        0,
        0,
        1,
        rng.addr(),
        rng.at(|g| g.below(48) * P + g.below(2)),
    ];
    q.limit = rng.pick(&limits);
    q.nid = rng.pick(&[None, Some(0), Some(1), Some(2), Some(70)]);
    q.policy = if rng.below(3) == 0 {
        NodePolicy::Exact
    } else {
        NodePolicy::Prefer
    };
    q.on_fail = if rng.below(2) == 0 {
        OnFail::Null
    } else {
        OnFail::Panic
    };
    q
}

/// One call of a random scenario.
#[derive(Clone, Copy, Debug)]
enum Op {
    Reserve(Option<Nid>, u64, u64, ReserveMode),
    Free(Option<Nid>, u64, u64),
    AddMemory(u64, u64, Nid),
    Alloc(AllocRequest),
}

impl Op {
    /// Plays the call on the backend.
    fn apply(self, mb: &mut MemblockBootMem) -> Outcome<u64> {
        match self {
            Op::Reserve(None, base, size, mode) => mb.reserve(base, size, mode).map(|()| 0),
            Op::Reserve(Some(n), base, size, mode) => {
                mb.reserve_node(n, base, size, mode).map(|()| 0)
            }
            Op::Free(None, base, size) => mb.free(base, size).map(|()| 0),
            Op::Free(Some(n), base, size) => mb.free_node(n, base, size).map(|()| 0),
            Op::AddMemory(start, end, nid) => Range::new(start, end)
                .map_or(Err(Error::Invalid), |range| mb.add_memory(range, nid))
                .map(|()| 0),
            Op::Alloc(q) => mb.alloc(&q),
        }
    }

    /// The error memblock's own `-ENOMEM` becomes.
    fn failure(self) -> Error {
        match self {
            Op::Alloc(q) => q.failure(),
            _ => Error::NoMem,
        }
    }

    /// The model's expected outcome, applied to the model when it is `Ok`
    /// (allocations are applied by the caller, once the address is known).
    fn expect(self, model: &mut Model) -> Outcome<u64> {
        match self {
            Op::Reserve(nid, base, size, mode) => model
                .reserve(nid, base, size, mode == ReserveMode::Exclusive)
                .map(|()| 0),
            Op::Free(nid, base, size) => model.free(nid, base, size).map(|()| 0),
            Op::AddMemory(start, end, nid) => model.add_ram(start, end, nid).map(|()| 0),
            Op::Alloc(q) => model.alloc_verdict(&q),
        }
    }
}

/// A random call; frees often hit a live allocation.
fn random_op(rng: &mut Rng, live: &mut Vec<(u64, u64)>) -> Op {
    let nid = rng.pick(&[None, Some(0), Some(1), Some(2)]);
    match rng.below(9) {
        0 | 1 => {
            let mode = if rng.below(2) == 0 {
                ReserveMode::Exclusive
            } else {
                ReserveMode::Default
            };
            Op::Reserve(nid, rng.addr(), rng.size(), mode)
        }
        2 | 3 => Op::Free(nid, rng.addr(), rng.size()),
        4 if !live.is_empty() => {
            let k = rng.below(live.len() as u64) as usize;
            let (a, size) = live.swap_remove(k);
            let (base, size) = match rng.below(3) {
                0 => (a, size),
                1 => (a, size / 2),
                _ => (a + size / 2, size - size / 2),
            };
            Op::Free(None, base, size)
        }
        5 => {
            let start = rng.at(|g| 64 * P + g.below(32) * P + g.pick(&[0, 1, 0x800]));
            let end = start.saturating_add(rng.size().min(8 * P));
            Op::AddMemory(start, end, rng.below(3) as Nid)
        }
        _ => Op::Alloc(random_request(rng)),
    }
}

/// A copy of the backend whose arrays never need to grow.
fn roomy(mb: &MemblockBootMem) -> MemblockBootMem {
    let mut copy = mb.clone();
    for which in [Array::Memory, Array::Reserved] {
        copy.native_mut().array_mut(which).set_max_for_test(1 << 20);
    }
    copy
}

/// True when the memory and the reserved array occupy common bytes.
fn arrays_share_memory(mb: &MemblockBootMem) -> bool {
    let native = mb.native();
    match (native.memory().placement(), native.reserved().placement()) {
        (Some(m), Some(r)) => m.overlaps(r),
        _ => false,
    }
}

/// One random scenario; returns the number of tolerated `NoMem`s and
/// whether it ended early on the shared-array quirk.
fn play(rng: &mut Rng, scenario: usize) -> (u32, u32) {
    let direction = if rng.below(2) == 0 {
        Direction::TopDown
    } else {
        Direction::BottomUp
    };
    let memory_cap = rng.pick(&[1, 2, 3, 4, 128]);
    let reserved_cap = rng.pick(&[1, 2, 3, 4, 8, 128]);
    let mut mb =
        MemblockBootMem::with_capacities(BugSet::NONE, direction, memory_cap, reserved_cap);
    let mut model = Model {
        ram: Vec::new(),
        taken: Set::default(),
        meta: Set::default(),
        top_down: direction == Direction::TopDown,
    };
    for (start, end, nid) in random_map(rng) {
        match mb.add_memory(r(start, end), nid) {
            Ok(()) => assert_eq!(model.add_ram(start, end, nid), Ok(())),
            Err(Error::NoMem) => assert_eq!(mb.native().memory().cnt(), memory_cap),
            other => panic!("scenario {scenario}: add_memory {other:?}"),
        }
    }
    assert_eq!(mb.setup(), Ok(()));
    let mut live: Vec<(u64, u64)> = Vec::new();
    let mut tolerated = 0;
    for i in 0..48 {
        let op = random_op(rng, &mut live);
        let ctx = format!(
            "scenario {scenario} op {i} {op:?} {direction:?} caps {memory_cap}/{reserved_cap}"
        );
        let before = (mb.free_map(), mb.metadata());
        let snapshot = (model.ram.clone(), model.taken.clone(), model.meta.clone());
        let spare = roomy(&mb);
        // As the oracle does: an allocation's verdict comes from the state
        // before the call; the other calls are judged after the metadata
        // they moved has been taken in.
        let verdict = matches!(op, Op::Alloc(_)).then(|| op.expect(&mut model));
        let got = op.apply(&mut mb);
        mb_sync(&mut model, &mb, &got, &ctx);
        let want = verdict.unwrap_or_else(|| op.expect(&mut model));
        if let (Op::Alloc(q), Ok(a)) = (op, got) {
            assert!(!model.taken.overlaps(a, a + q.size), "{ctx}: over taken");
            model.taken.add(a, a + q.size);
            live.push((a, q.size));
        }
        if got != want {
            // Only memblock's own array growth may make it differ: the same
            // call on a copy whose arrays need not grow gives the model's
            // answer. The growth then either failed (-ENOMEM, nothing may
            // change) or, in an allocation, succeeded part way and changed
            // the free memory the next attempt searched.
            let mut spare = spare;
            assert_eq!(
                op.apply(&mut spare),
                want,
                "{ctx}: roomy arrays, got {got:?}"
            );
            match got {
                Err(e) => {
                    assert_eq!(e, op.failure(), "{ctx}: model {want:?}");
                    (model.ram, model.taken, model.meta) = snapshot;
                }
                Ok(_) => assert!(matches!(op, Op::Alloc(_)), "{ctx}: model {want:?}"),
            }
            tolerated += 1;
        }
        if got.is_err() {
            assert_eq!(
                (mb.free_map(), mb.metadata()),
                before,
                "{ctx}: changed on error"
            );
        }
        layout(mb.native().memory());
        layout(mb.native().reserved());
        if arrays_share_memory(&mb) {
            // The mainline quirk of `a_second_memory_doubling_can_put_the_
            // reserved_array_on_the_memory_array`: from here on the model
            // cannot follow (the next memory doubling frees the reserved
            // array's memory), so the scenario ends.
            return (tolerated, 1);
        }
        assert_eq!(mb.free_map(), model.free_map(), "{ctx}");
    }
    let mut sunk = Vec::new();
    let count = mb.release_all(&mut |range| sunk.push(range));
    let want = model.release();
    assert_eq!(sunk, want, "scenario {scenario} release");
    assert_eq!(count, Ok(want.iter().map(|r| r.len() / P).sum()));
    (tolerated, 0)
}

/// Syncs the model with the metadata after a call; a failed call must not
/// have moved it.
fn mb_sync<T>(model: &mut Model, mb: &MemblockBootMem, got: &Outcome<T>, ctx: &str) {
    let reported = mb.metadata();
    if got.is_err() {
        let known: Vec<Range> = model.meta.0.iter().map(|&(a, b)| r(a, b)).collect();
        assert_eq!(reported, known, "{ctx}: metadata moved on error");
        return;
    }
    model.sync_meta(&reported, ctx);
}

/// Plays `scenarios` random scenarios with RAM near `origin`.
fn play_many(seed: u64, origin: u64, scenarios: usize) {
    let mut rng = Rng {
        state: seed,
        origin,
    };
    let (mut tolerated, mut shared) = (0, 0);
    for scenario in 0..scenarios {
        let (t, s) = play(&mut rng, scenario);
        tolerated += t;
        shared += s;
    }
    assert!(
        tolerated < scenarios as u32,
        "{tolerated} tolerated NoMem failures in {scenarios} scenarios"
    );
    assert!(
        shared < scenarios as u32 / 10,
        "{shared} scenarios hit the shared array"
    );
}

/// Expect every outcome, free map, metadata change and hand-off to match
/// the range model over thousands of random small scenarios, in both
/// directions and with tiny arrays that double all the time.
#[test]
fn random_scenarios_match_a_range_model() {
    play_many(0x9e37_79b9_7f4a_7c15, 0, 3000);
}

/// Expect the same near 2^63 (the largest alignment) and within a few
/// pages of 2^64, where every sum must be checked.
#[test]
fn random_scenarios_near_the_top_of_the_address_space() {
    play_many(0x2545_f491_4f6c_dd1d, (1 << 63) - 40 * P, 1000);
    play_many(0xd1b5_4a32_d192_ed03, u64::MAX - 100 * P, 1000);
    play_many(0x8cb9_2ba7_2f3d_8dd7, u64::MAX - 48 * P + 1, 1000);
}
