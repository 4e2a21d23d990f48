//! Minimization that keeps a finding's signature (SPEC section 6): the
//! smallest, roundest scenario a person can read at once.
//!
//! Byte-level minimizers (`cargo fuzz tmin`, `afl-tmin`) cut bytes and
//! stall on structured inputs; every input here decodes to a [`Scenario`],
//! so this works on its structure. Rounds of three passes run until a whole
//! round changes nothing or the budget of replays is spent:
//!
//! 1. drop ops by delta debugging ([`ops::drop_ops`]);
//! 2. move the whole scenario down, drop RAM ranges, join and merge
//!    nodes, round the map's bounds ([`map`]);
//! 3. simplify each op: node calls to plain ones, options to defaults,
//!    numbers toward round edges, sizes down ([`ops::simplify_ops`]);
//!
//! and when a round of those changes nothing, a walk of byte mutants of the
//! scenario's encoding that stops at the first structurally smaller one,
//! to leave a local minimum ([`bytewalk`]).
//!
//! Every step is kept only if the finding still fires, so the result
//! replays to the same signature. Nothing depends on chance (the byte
//! walk draws its choices from fixed seeds): the same input, backends and
//! bugs always give the same result.

pub mod bytewalk;
pub mod map;
pub mod ops;
pub mod values;

use crate::registry::BackendInfo;
use crate::scenario::Scenario;
use crate::{run_with_bugs, FindingKind, Signature};
use bootmem::BugSet;
use std::fmt;

/// The replays one minimization may spend by default: under a second for
/// the largest decoded scenarios on one backend (a walk out of a local
/// minimum, [`bytewalk`], takes up to [`bytewalk::STEPS`] of them).
pub const DEFAULT_BUDGET: usize = 100_000;

/// How big a scenario is, in the units a reader counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    /// Ops.
    pub ops: usize,
    /// RAM ranges of the normalized map.
    pub ranges: usize,
    /// Nodes owning RAM.
    pub nodes: usize,
    /// Bytes of its `.scn` text.
    pub text_bytes: usize,
}

impl Size {
    /// The size of `scenario`.
    pub fn of(scenario: &Scenario) -> Size {
        Size {
            ops: scenario.ops.len(),
            ranges: scenario.map.ranges().len(),
            nodes: scenario.map.nodes().len(),
            text_bytes: crate::text::print(scenario).len(),
        }
    }
}

/// A minimized scenario and what it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minimized {
    /// The smallest scenario found that keeps the finding.
    pub scenario: Scenario,
    /// The size of the input.
    pub before: Size,
    /// The size of the result.
    pub after: Size,
    /// Replays spent.
    pub replays: usize,
    /// False when the budget ran out before a round changed nothing: the
    /// result keeps the finding but might shrink further.
    pub complete: bool,
}

/// Counts the replays of a minimization against its budget, and keeps
/// candidates as cheap to replay as the input.
pub struct Tester<'a> {
    keep: &'a mut dyn FnMut(&Scenario) -> bool,
    replays: usize,
    budget: usize,
    /// The most RAM and the widest span a candidate may have.
    limits: MapLimits,
}

/// How big a candidate's map may grow. A rounder bound can mean more RAM
/// (`0x5454_5000_0000_0000` is simpler than `0x5454_5454_5454_5000`), and
/// the bitmap backends' cost grows with it: a candidate may not go past the
/// input's size or the decoder's bounds, whichever is bigger.
#[derive(Clone, Copy, Debug)]
struct MapLimits {
    ram: u128,
    span: u64,
}

impl MapLimits {
    /// The limits for minimizing `input`.
    fn of(input: &Scenario) -> MapLimits {
        let bounds = crate::DecodeBounds::default();
        MapLimits {
            ram: input.map.total_bytes().max(u128::from(bounds.max_ram)),
            span: input.map.span().len().max(bounds.max_span),
        }
    }

    /// Whether `candidate`'s map is within the limits.
    fn admit(&self, candidate: &Scenario) -> bool {
        let map = &candidate.map;
        map.total_bytes() <= self.ram && map.span().len() <= self.span
    }
}

impl Tester<'_> {
    /// Whether the finding still fires on `candidate`; false, without a
    /// replay, once the budget is spent or when its map outgrows the
    /// input's limits.
    pub fn holds(&mut self, candidate: &Scenario) -> bool {
        if self.exhausted() || !self.limits.admit(candidate) {
            return false;
        }
        self.replays += 1;
        (self.keep)(candidate)
    }

    /// Whether the budget is spent.
    pub fn exhausted(&self) -> bool {
        self.replays >= self.budget
    }

    /// The first of `candidates`, in order, under which the finding still
    /// fires; `None` when none does or the budget runs out.
    pub fn first_holding(
        &mut self,
        candidates: impl IntoIterator<Item = Scenario>,
    ) -> Option<Scenario> {
        candidates.into_iter().find(|c| self.holds(c))
    }
}

/// Shrinks `scenario` while `keep` holds, spending at most `budget` calls
/// of `keep`. `keep(scenario)` should hold; if it does not, the result is
/// `scenario` itself.
pub fn minimize(
    scenario: &Scenario,
    keep: &mut dyn FnMut(&Scenario) -> bool,
    budget: usize,
) -> Minimized {
    let mut tester = Tester {
        keep,
        replays: 0,
        budget,
        limits: MapLimits::of(scenario),
    };
    let mut best = scenario.clone();
    let mut complete = false;
    while !tester.exhausted() {
        let mut changed = ops::drop_ops(&mut best, &mut tester);
        changed |= map::shrink_map(&mut best, &mut tester);
        changed |= ops::simplify_ops(&mut best, &mut tester);
        // Only out of a local minimum: the structural passes are cheaper.
        changed = changed || bytewalk::smaller_by_bytes(&mut best, &mut tester);
        if !changed {
            complete = !tester.exhausted();
            break;
        }
    }
    Minimized {
        before: Size::of(scenario),
        after: Size::of(&best),
        scenario: best,
        replays: tester.replays,
        complete,
    }
}

/// The input does not give the finding to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotReproduced {
    /// The signature asked for.
    pub wanted: Signature,
    /// What the first finding was instead, if any.
    pub got: Option<Signature>,
}

impl fmt::Display for NotReproduced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.got {
            Some(got) => write!(f, "the first finding is {got}, not {}", self.wanted),
            None => write!(f, "no finding (wanted {})", self.wanted),
        }
    }
}

/// The signature of the first finding of `scenario` on `backends` with
/// `bugs` planted, if any: what triage groups an input by.
pub fn first_signature(
    scenario: &Scenario,
    backends: &[BackendInfo],
    bugs: BugSet,
) -> Option<Signature> {
    run_with_bugs(scenario, backends, bugs)
        .findings
        .first()
        .map(|f| f.signature())
}

/// Minimizes `scenario` so that its first finding on `backends` with
/// `bugs` planted keeps `signature`. A finding of one backend (anything
/// but a divergence) is first minimized on that backend alone, which is
/// several times faster; if the result does not keep the signature on all
/// of `backends`, the minimization starts again on all of them.
pub fn minimize_finding(
    scenario: &Scenario,
    backends: &[BackendInfo],
    bugs: BugSet,
    signature: Signature,
    budget: usize,
) -> Result<Minimized, NotReproduced> {
    let first = |s: &Scenario, on: &[BackendInfo]| first_signature(s, on, bugs);
    let got = first(scenario, backends);
    if got != Some(signature) {
        return Err(NotReproduced {
            wanted: signature,
            got,
        });
    }
    let alone: Vec<BackendInfo> = backends
        .iter()
        .filter(|b| b.name == signature.backend)
        .copied()
        .collect();
    if signature.kind != FindingKind::Divergence && alone.len() < backends.len() {
        let mut keep = |s: &Scenario| first(s, &alone) == Some(signature);
        let mut narrow = minimize(scenario, &mut keep, budget);
        narrow.replays += 1;
        if first(&narrow.scenario, backends) == Some(signature) {
            return Ok(narrow);
        }
    }
    let mut keep = |s: &Scenario| first(s, backends) == Some(signature);
    Ok(minimize(scenario, &mut keep, budget))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{backends, find_backend};
    use crate::text;
    use bootmem::Bug;

    /// ```text
    ///   0x1000                                             0x10_0000
    ///   | reserve | noise | alloc align 0x2000 (R1: misaligned) |
    /// ```
    /// Expect the noise ops gone and the misaligned alloc kept.
    fn noisy_r1() -> Result<Scenario, String> {
        text::parse(
            "ram start=0x1000 end=0x10_0000 nid=0\n\
             ram start=0x20_0000 end=0x30_0000 nid=1\n\
             reserve base=0x2000 size=0x2000 mode=default\n\
             reserve_node nid=1 base=0x20_1234 size=0x777 mode=exclusive\n\
             alloc size=0x123 align=0x40 goal=0x20_0000 limit=0x0 nid=1 policy=prefer fail=null\n\
             free base=0x2000 size=0x800\n\
             alloc size=0x1000 align=0x2000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null\n\
             alloc size=0x40 align=0x40 goal=0x0 limit=0x0 nid=any policy=prefer fail=null\n\
             release_all\n",
        )
        .map_err(|e| e.message)
    }

    fn r1() -> BugSet {
        BugSet::NONE.with(Bug::R1RelativeAlign)
    }

    #[test]
    fn minimizing_keeps_the_signature_and_drops_the_noise() -> Result<(), String> {
        let scenario = noisy_r1()?;
        let all = backends();
        let sig = first_signature(&scenario, &all, r1()).ok_or("R1 fires")?;
        let min = minimize_finding(&scenario, &all, r1(), sig, DEFAULT_BUDGET)
            .map_err(|e| e.to_string())?;
        assert!(min.complete);
        assert_eq!(first_signature(&min.scenario, &all, r1()), Some(sig));
        assert!(min.after.ops < min.before.ops, "{:?}", min.after);
        assert_eq!(min.after.ops, 1, "{}", text::print(&min.scenario));
        assert_eq!(min.after.ranges, 1);
        assert_eq!(min.after.nodes, 1);
        // Without the bug the minimized scenario is clean.
        assert!(crate::run(&min.scenario, &all).findings.is_empty());
        Ok(())
    }

    #[test]
    fn minimizing_is_deterministic() -> Result<(), String> {
        let scenario = noisy_r1()?;
        let rootmem = [find_backend("rootmem").ok_or("rootmem")?];
        let sig = first_signature(&scenario, &rootmem, r1()).ok_or("R1 fires")?;
        let a = minimize_finding(&scenario, &rootmem, r1(), sig, DEFAULT_BUDGET);
        let b = minimize_finding(&scenario, &rootmem, r1(), sig, DEFAULT_BUDGET);
        assert_eq!(a, b);
        Ok(())
    }

    #[test]
    fn a_spent_budget_still_keeps_the_signature() -> Result<(), String> {
        let scenario = noisy_r1()?;
        let rootmem = [find_backend("rootmem").ok_or("rootmem")?];
        let sig = first_signature(&scenario, &rootmem, r1()).ok_or("R1 fires")?;
        let min = minimize_finding(&scenario, &rootmem, r1(), sig, 3).map_err(|e| e.to_string())?;
        assert!(!min.complete);
        assert!(min.replays <= 3);
        assert_eq!(first_signature(&min.scenario, &rootmem, r1()), Some(sig));
        Ok(())
    }

    /// A finding that only needs RAM at a ragged high address: rounding
    /// the start down to 0 would be simpler but would make exabytes of
    /// RAM; expect the map to stay within the decoder's bounds.
    #[test]
    fn rounder_bounds_never_grow_the_map_past_the_decoder_bounds() -> Result<(), String> {
        let scenario = text::parse(
            "ram start=0x5454_5454_5454_5000 end=0x5454_5454_5854_5000 nid=0\n\
             reserve base=0x5454_5454_5454_8000 size=0x20 mode=default\n",
        )
        .map_err(|e| e.message)?;
        // The finding needs RAM under the reservation.
        let under = bootmem::Range::new(0x5454_5454_5454_8000, 0x5454_5454_5454_8020);
        let mut keep = |s: &Scenario| {
            let covers = |r: &crate::RamRange| under.is_some_and(|u| r.range.contains(u));
            !s.ops.is_empty() && s.map.ranges().iter().any(covers)
        };
        let min = minimize(&scenario, &mut keep, DEFAULT_BUDGET);
        let bounds = crate::DecodeBounds::default();
        let ram = min.scenario.map.total_bytes();
        assert!(ram <= u128::from(bounds.max_ram), "{ram:#x}");
        assert!(min.scenario.map.span().len() <= bounds.max_span);
        Ok(())
    }

    #[test]
    fn an_input_without_the_finding_is_refused() -> Result<(), String> {
        let scenario = noisy_r1()?;
        let all = backends();
        let sig = first_signature(&scenario, &all, r1()).ok_or("R1 fires")?;
        let err = minimize_finding(&scenario, &all, BugSet::NONE, sig, 10);
        assert_eq!(
            err,
            Err(NotReproduced {
                wanted: sig,
                got: None
            })
        );
        Ok(())
    }
}
