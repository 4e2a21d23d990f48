//! A randomized cross-check against a tiny restatement of the rules.
//!
//! [`Model`] keeps the free memory as a sorted list of maximal ranges and
//! the stolen pages as another, and decides every outcome by scanning
//! them: SPEC section 3 and 4 with byte granularity, plus treemem's own
//! pool rule (a call that succeeds and leaves more free ranges than the
//! pool's capacity first steals the lowest wholly free page at or above
//! `PAGE_SIZE` outside its range; if there is none it is `NoMem`). After
//! every call the outcome, the free map and the metadata must match, and
//! the invariant walk must pass.

use super::*;
use crate::range::{align_up, page_up};
use crate::{NodePolicy, OnFail};

const P: u64 = PAGE_SIZE;
/// Pages in a scenario's address window.
const N: u64 = 48;

fn r(start: u64, end: u64) -> Range {
    Range::new(start, end).expect("model range")
}

/// `ranges` without the bytes of `cut`.
fn subtract(ranges: &[Range], cut: Range) -> Vec<Range> {
    let mut out = Vec::new();
    for &f in ranges {
        if !f.overlaps(cut) {
            out.push(f);
            continue;
        }
        if f.start() < cut.start() {
            out.push(r(f.start(), cut.start()));
        }
        if cut.end() < f.end() {
            out.push(r(cut.end(), f.end()));
        }
    }
    out
}

/// `ranges` with the bytes of `add`, merged into maximal ranges.
fn union(ranges: &[Range], add: Range) -> Vec<Range> {
    let mut all = ranges.to_vec();
    all.push(add);
    all.sort();
    let mut out: Vec<Range> = Vec::new();
    for f in all {
        match out.last_mut() {
            Some(last) if last.end() >= f.start() => {
                *last = r(last.start(), last.end().max(f.end()))
            }
            _ => out.push(f),
        }
    }
    out
}

struct Model {
    ram: Vec<(Range, Nid)>,
    free: Vec<Range>,
    meta: Vec<Range>,
    nr: u64,
}

impl Model {
    /// The model right after `setup`, or `NoMem`.
    fn setup(map: &[(Range, Nid)], nr: u64) -> Outcome<Model> {
        let mut sorted = map.to_vec();
        sorted.sort();
        let mut ram: Vec<(Range, Nid)> = Vec::new();
        for (range, nid) in sorted {
            match ram.last_mut() {
                Some((last, n)) if *n == nid && last.end() == range.start() => {
                    *last = r(last.start(), range.end());
                }
                _ => ram.push((range, nid)),
            }
        }
        let mut free = Vec::new();
        for &(range, _) in &ram {
            free = union(&free, range);
        }
        let mut model = Model {
            ram,
            free,
            meta: Vec::new(),
            nr,
        };
        while model.free.len() as u64 > model.capacity() {
            let page = model.lowest_page(Range::EMPTY).ok_or(Error::NoMem)?;
            model.steal(page);
        }
        Ok(model)
    }

    fn capacity(&self) -> u64 {
        self.nr + NODES_PER_PAGE * self.meta.len() as u64
    }

    /// The lowest page-aligned page at or above P, wholly free, outside
    /// `avoid`: page by page.
    fn lowest_page(&self, avoid: Range) -> Option<Range> {
        for f in &self.free {
            let mut at = page_up(f.start().max(P))?;
            while let Some(end) = at.checked_add(P).filter(|&e| e <= f.end()) {
                let page = r(at, end);
                if !page.overlaps(avoid) {
                    return Some(page);
                }
                at = end;
            }
        }
        None
    }

    fn steal(&mut self, page: Range) {
        self.free = subtract(&self.free, page);
        self.meta.push(page);
        self.meta.sort();
    }

    /// Applies `f` to the free list under the pool rule.
    fn commit(&mut self, avoid: Range, f: impl Fn(&[Range]) -> Vec<Range>) -> Outcome<()> {
        if f(&self.free).len() as u64 > self.capacity() {
            let page = self.lowest_page(avoid).ok_or(Error::NoMem)?;
            self.steal(page);
        }
        self.free = f(&self.free);
        Ok(())
    }

    fn is_ram(&self, range: Range) -> bool {
        let mut next = range.start();
        for &(ram, _) in &self.ram {
            if ram.start() <= next && next < ram.end() {
                next = ram.end();
            }
        }
        next >= range.end()
    }

    fn in_node(&self, nid: Nid, range: Range) -> bool {
        self.ram
            .iter()
            .any(|&(ram, n)| n == nid && ram.contains(range))
    }

    fn all_free(&self, range: Range) -> bool {
        self.free.iter().any(|f| f.contains(range))
    }

    fn any_free(&self, range: Range) -> bool {
        self.free.iter().any(|f| f.overlaps(range))
    }

    fn reserve(&mut self, nid: Option<Nid>, base: u64, size: u64, excl: bool) -> Outcome<()> {
        if size == 0 {
            return Ok(());
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        if !self.is_ram(range) || nid.is_some_and(|n| !self.in_node(n, range)) {
            return Err(Error::Invalid);
        }
        if excl && !self.all_free(range) {
            return Err(Error::Busy);
        }
        self.commit(range, |free| subtract(free, range))
    }

    fn free(&mut self, nid: Option<Nid>, base: u64, size: u64) -> Outcome<()> {
        if size == 0 {
            return Ok(());
        }
        let range = Range::from_base_size(base, size).ok_or(Error::Invalid)?;
        if !self.is_ram(range)
            || nid.is_some_and(|n| !self.in_node(n, range))
            || self.meta.iter().any(|m| m.overlaps(range))
        {
            return Err(Error::Invalid);
        }
        if self.any_free(range) {
            return Err(Error::DoubleFree);
        }
        self.commit(range, |free| union(free, range))
    }

    /// The lowest feasible start of the first non-empty stage.
    fn place(&self, q: &AllocRequest) -> Option<u64> {
        let plan = [(true, true), (false, true), (true, false), (false, false)];
        for (on_node, above_goal) in plan {
            if (on_node && q.nid.is_none())
                || (!on_node && q.policy == NodePolicy::Exact && q.nid.is_some())
                || (!above_goal && q.goal == 0)
            {
                continue;
            }
            let lo = if above_goal { q.goal.max(P) } else { P };
            let mut windows = Vec::new();
            for &f in &self.free {
                if q.nid.is_none() {
                    windows.push(f);
                    continue;
                }
                for &(ram, n) in &self.ram {
                    if on_node && Some(n) != q.nid {
                        continue;
                    }
                    windows.extend(f.intersect(ram));
                }
            }
            let fit = |w: &Range| {
                let a = align_up(w.start().max(lo), q.align)?;
                let end = a.checked_add(q.size)?;
                (end <= w.end() && (q.limit == 0 || end <= q.limit)).then_some(a)
            };
            if let Some(a) = windows.iter().filter_map(fit).min() {
                return Some(a);
            }
        }
        None
    }

    fn alloc(&mut self, q: &AllocRequest) -> Outcome<u64> {
        q.validate()?;
        let a = self.place(q).ok_or(q.failure())?;
        let range = r(a, a + q.size);
        if subtract(&self.free, range).len() as u64 > self.capacity() {
            let page = self.lowest_page(range).ok_or(Error::NoMem)?;
            self.steal(page);
        }
        // After a steal the placement is decided again, as the harness
        // does: the stolen page is already metadata when it looks.
        let a = self.place(q).ok_or(q.failure())?;
        self.free = subtract(&self.free, r(a, a + q.size));
        Ok(a)
    }

    fn release_count(&self) -> u64 {
        let pages: u64 = self.free.iter().map(|f| f.round_inward().len() / P).sum();
        pages + self.meta.len() as u64
    }
}

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

    /// An address near a page boundary of the window at `base`, or wild.
    fn addr(&mut self, base: u64) -> u64 {
        match self.below(10) {
            0 => u64::MAX - self.below(3 * P),
            1 => self.next(),
            2 => base.wrapping_add(self.below(N * P)),
            _ => base
                .wrapping_add(self.below(N + 1) * P)
                .wrapping_add(self.below(3))
                .wrapping_sub(1),
        }
    }

    fn size(&mut self) -> u64 {
        match self.below(10) {
            0 => 0,
            1 => u64::MAX - self.below(3),
            2..=4 => 1 + self.below(300),
            _ => self.below(6) * P + self.below(3),
        }
    }
}

/// A random small map at `base`: up to six ranges in order, often
/// touching, edges often off page boundaries, nodes 0..3.
fn random_map(rng: &mut Rng, base: u64) -> Vec<(Range, Nid)> {
    let mut map = Vec::new();
    let mut at = rng.below(3) * P + rng.below(2) * 0x800;
    for _ in 0..1 + rng.below(6) {
        let len = (1 + rng.below(12)) * P + rng.below(2) * (1 + rng.below(0xfff));
        let end = at + len;
        if end > N * P {
            break;
        }
        map.push((r(base + at, base + end), rng.below(3) as Nid));
        at = end + rng.below(3) * P * rng.below(2);
    }
    map
}

fn random_request(rng: &mut Rng, base: u64) -> AllocRequest {
    let align = rng.pick(&[0, 1, 1, 3, 8, 64, P, 2 * P, 4 * P, 1 << 63]);
    let mut q = AllocRequest::new(rng.size(), align);
    if rng.below(4) == 0 {
        q.size = 1 + rng.below(3 * P);
    }
    let goals = [0, 0, rng.addr(base), base + rng.below(N) * P];
    q.goal = rng.pick(&goals);
    let limits = [0, 0, rng.addr(base), base + rng.below(N) * P + rng.below(2)];
    q.limit = rng.pick(&limits);
    q.nid = rng.pick(&[None, None, Some(0), Some(1), Some(2), Some(70)]);
    q.policy = rng.pick(&[NodePolicy::Prefer, NodePolicy::Prefer, NodePolicy::Exact]);
    q.on_fail = rng.pick(&[OnFail::Null, OnFail::Panic]);
    q
}

/// Expect every outcome, free map and metadata list to match the model
/// over thousands of random scenarios with small pools, and the invariant
/// walk to pass after every call.
#[test]
fn random_scenarios_match_an_interval_list_model() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut steals = 0;
    for scenario in 0..4000 {
        let base = if rng.below(6) == 0 {
            u64::MAX - N * P - rng.below(2) * 0x800
        } else {
            0
        };
        let mut map = random_map(&mut rng, base);
        let nr = rng.pick(&[0, 1, 2, 3, 5, 8, DEFAULT_NR_SEGMENTS]);
        let mut tm = TreeMem::with_pool(nr, BugSet::NONE);
        tm.set_checking(true);
        let mut order = map.clone();
        if rng.below(2) == 0 {
            order.reverse();
        }
        for &(range, nid) in &order {
            assert_eq!(tm.add_memory(range, nid), Ok(()));
        }
        map.sort();
        let setup = tm.setup();
        let mut model = match Model::setup(&map, nr) {
            Ok(model) => model,
            Err(e) => {
                assert_eq!(setup, Err(e), "scenario {scenario} setup");
                continue;
            }
        };
        assert_eq!(setup, Ok(()), "scenario {scenario} setup {map:?}");
        let mut live: Vec<(u64, u64)> = Vec::new();
        for op in 0..60 {
            let ctx = format!("scenario {scenario} op {op} nr {nr} map {map:?}");
            let nid = rng.pick(&[None, None, Some(0), Some(1), Some(2)]);
            let metas_before = model.meta.len();
            let (got, want) = match rng.below(5) {
                0 => {
                    let excl = rng.below(2) == 0;
                    let mode = if excl { EXCL } else { DEF };
                    let (base, size) = (rng.addr(base), rng.size());
                    let got = match nid {
                        None => tm.reserve(base, size, mode),
                        Some(n) => tm.reserve_node(n, base, size, mode),
                    };
                    let want = model.reserve(nid, base, size, excl);
                    if got.is_ok() && size != 0 {
                        live.push((base, size));
                    }
                    (got.map(|()| 0), want.map(|()| 0))
                }
                1 | 2 if !live.is_empty() => {
                    let k = rng.below(live.len() as u64) as usize;
                    let (start, size) = live.swap_remove(k);
                    let (start, size) = match rng.below(4) {
                        0 => (start, size / 2),
                        1 => (start + size / 2, size - size / 2),
                        _ => (start, size),
                    };
                    let nid = nid.filter(|_| rng.below(3) == 0);
                    let got = match nid {
                        None => tm.free(start, size),
                        Some(n) => tm.free_node(n, start, size),
                    };
                    let want = model.free(nid, start, size);
                    (got.map(|()| 0), want.map(|()| 0))
                }
                1 => {
                    let (base, size) = (rng.addr(base), rng.size());
                    let got = match nid {
                        None => tm.free(base, size),
                        Some(n) => tm.free_node(n, base, size),
                    };
                    (got.map(|()| 0), model.free(nid, base, size).map(|()| 0))
                }
                _ => {
                    let q = random_request(&mut rng, base);
                    let got = tm.alloc(&q);
                    let want = model.alloc(&q);
                    if let Ok(a) = got {
                        live.push((a, q.size));
                    }
                    (got, want)
                }
            };
            assert_eq!(got, want, "{ctx}");
            assert_eq!(tm.free_map(), model.free, "{ctx}");
            assert_eq!(tm.metadata(), model.meta, "{ctx}");
            assert_eq!(tm.check_invariants(), Ok(()), "{ctx}");
            steals += model.meta.len() - metas_before;
        }
        let mut sunk = 0;
        let count = tm.release_all(&mut |range| sunk += range.len() / P);
        assert_eq!(count, Ok(model.release_count()), "scenario {scenario}");
        assert_eq!(count, Ok(sunk));
    }
    assert!(steals > 500, "only {steals} steals");
}

const DEF: ReserveMode = ReserveMode::Default;
const EXCL: ReserveMode = ReserveMode::Exclusive;
