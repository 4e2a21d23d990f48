//! Playing a scenario: every backend beside its own model, every op
//! checked, the first finding per backend kept (DESIGN "the walk of one
//! input", steps 3 and 4).
//!
//! Each call is judged in the same order: the backend makes the call (a
//! Rust panic becomes `backend-panic`); the metadata it now reports is
//! synced into the model as if it had appeared before the call's own effect
//! (that is where memblock puts a doubled array), while metadata that
//! disappeared stays taken until an allocation has been judged (its
//! placement was found before the old array was freed); then the outcome
//! is compared with the model's expectation, and a call that failed must
//! leave the backend's free map as it was.
//!
//! One excuse exists, for backends whose metadata grows
//! (`BootMem::metadata_growth`): a `NoMem` where the contract wanted `Ok`,
//! or an allocation in a later stage or at another address than the
//! policy's, is accepted only when the model shows no room for that growth
//! outside the call's own range. From then on that backend is no longer
//! compared with its differential peer.

use crate::check::{self, Violation};
use crate::coverage::{self, Feature, OutcomeClass, Pick, What};
use crate::differential::{self, Step, StepOutcome, Trace};
use crate::finding::{Finding, FindingKind};
use crate::guard::guarded;
use crate::model::{AllocVerdict, Model, Segment, Stage};
use crate::registry::BackendInfo;
use crate::scenario::{Op, OpKind, Scenario};
use crate::watch::Position;
use bootmem::{
    AllocRequest, BootMem, BugSet, Error, Outcome, PhysAddr, Placement, Profile, Range, ReserveMode,
};

/// What playing one scenario found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// At most one finding per backend, in backend order.
    pub findings: Vec<Finding>,
    /// Backends whose `setup` returned `NoMem` (no room for their metadata
    /// in this map): they played no op. Not a finding.
    pub skipped: Vec<&'static str>,
    /// Ops played, summed over backends.
    pub ops_played: usize,
    /// What the scenario made each backend do ([`crate::coverage`]), each
    /// feature once with its hit-count bucket, sorted.
    pub features: Vec<Feature>,
}

/// Plays `scenario` against each backend beside its own model and returns
/// every backend's first finding.
pub fn run(scenario: &Scenario, backends: &[BackendInfo]) -> Report {
    run_with_bugs(scenario, backends, BugSet::NONE)
}

/// As [`run`], with the historical `bugs` planted in every backend they
/// belong to (`bootmem::bugs`).
pub fn run_with_bugs(scenario: &Scenario, backends: &[BackendInfo], bugs: BugSet) -> Report {
    run_watched(scenario, backends, bugs, &Position::new())
}

/// As [`run_with_bugs`], recording in `position` the backend and op being
/// played, for a watchdog on another thread ([`crate::watch`]).
pub fn run_watched(
    scenario: &Scenario,
    backends: &[BackendInfo],
    bugs: BugSet,
    position: &Position,
) -> Report {
    let mut report = Report::default();
    let mut traces = Vec::with_capacity(backends.len());
    let profiles: Vec<Profile> = backends
        .iter()
        .map(|b| (b.make)(BugSet::NONE).profile())
        .collect();
    for (number, (info, profile)) in backends.iter().zip(&profiles).enumerate() {
        let has_peer = profiles.iter().filter(|p| *p == profile).count() > 1;
        let at = |op| position.set(number, op);
        let played = play(scenario, info, *profile, bugs, has_peer, &at, None);
        report.features.extend(played.features);
        report.ops_played += played.trace.steps.len();
        if played.skipped {
            report.skipped.push(info.name);
        }
        report.findings.extend(played.finding);
        traces.push(played.trace);
    }
    for divergence in differential::compare(&traces, backends) {
        if !report
            .findings
            .iter()
            .any(|f| f.backend == divergence.backend)
        {
            report.findings.push(divergence);
        }
    }
    report.features = coverage::with_hits(&report.features);
    report
}

/// Plays `scenario` on one backend alone, keeping a [`Snapshot`] of its
/// memory before the op that breaks the contract, or before op number
/// `at` if it gets there first. Returns the backend's first finding and
/// the snapshot, for [`crate::scene`].
pub(crate) fn snapshot_on(
    scenario: &Scenario,
    info: &BackendInfo,
    bugs: BugSet,
    at: Option<usize>,
) -> (Option<Finding>, Option<Snapshot>) {
    let profile = (info.make)(BugSet::NONE).profile();
    let want = Some(at.unwrap_or(usize::MAX));
    let played = play(scenario, info, profile, bugs, false, &|_| {}, want);
    (played.finding, played.scene)
}

/// A live allocation: its start and size.
#[derive(Clone, Copy, Debug)]
struct Live {
    start: PhysAddr,
    size: u64,
}

/// One backend beside its model, mid-scenario.
struct Player {
    backend: Box<dyn BootMem>,
    profile: Profile,
    model: Model,
    live: Vec<Live>,
    next_id: u32,
    /// What the current op's call returned, for the differential trace.
    outcome: StepOutcome,
    /// The metadata the backend reported at the last sync.
    metadata: Vec<Range>,
    /// The current op's `NoMem` was excused: no room for metadata growth.
    metadata_full: bool,
    /// The backend's name and the kind of the op being played, for
    /// features.
    name: &'static str,
    op: OpKind,
    /// Where the features go.
    features: Vec<Feature>,
    /// The bytes the current op is about, once known (for snapshots).
    focus: Option<Range>,
}

/// What went wrong in one step: a contract violation or a panic.
enum Stop {
    Violation(Violation),
    Panic(String),
}

impl From<Violation> for Stop {
    fn from(v: Violation) -> Stop {
        Stop::Violation(v)
    }
}

/// What playing a scenario on one backend gave.
struct Played {
    /// The backend's first finding.
    finding: Option<Finding>,
    /// The ops it played before it (with model fingerprints only when
    /// traced, i.e. when a peer with the same profile will be compared).
    trace: Trace,
    /// `setup` found no room for the backend's metadata.
    skipped: bool,
    /// Every sighting of a feature.
    features: Vec<Feature>,
    /// The memory around the finding, or around op `scene_at`, when asked
    /// for ([`crate::scene`]).
    scene: Option<Snapshot>,
}

/// Plays the scenario on one backend. With `scene_at`, also keeps a
/// [`Snapshot`] of the memory: before the failing op when the backend breaks
/// the contract, or before op number `scene_at` when it gets there.
fn play(
    scenario: &Scenario,
    info: &BackendInfo,
    profile: Profile,
    bugs: BugSet,
    traced: bool,
    at: &dyn Fn(Option<usize>),
    scene_at: Option<usize>,
) -> Played {
    at(None);
    let finding = |op_index, op_kind, stop: Stop| {
        let (kind, class, detail) = match stop {
            Stop::Violation(v) => (v.kind, v.class, v.detail),
            Stop::Panic(msg) => (FindingKind::BackendPanic, "panic", msg),
        };
        Finding {
            kind,
            backend: info.name,
            op_index,
            op_kind,
            class,
            detail,
        }
    };
    let mut played = Played {
        finding: None,
        trace: Trace {
            backend: info.name,
            profile,
            steps: Vec::new(),
        },
        skipped: false,
        features: Vec::new(),
        scene: None,
    };
    let mut player = match guarded(|| Player::new(scenario, info, bugs)) {
        Ok(Ok(p)) => p,
        Ok(Err((kind, stop))) => {
            played.finding = Some(finding(None, kind, stop));
            return played;
        }
        Err(msg) => {
            played.finding = Some(finding(None, OpKind::AddMemory, Stop::Panic(msg)));
            return played;
        }
    };
    player.op = OpKind::Setup;
    let setup_scene = scene_at.map(|_| player.snapshot(None));
    match player.setup() {
        Ok(true) => {}
        Ok(false) => {
            played.skipped = true;
            played.features = player.features;
            return played;
        }
        Err(stop) => {
            played.finding = Some(finding(None, OpKind::Setup, stop));
            played.scene = setup_scene;
            played.features = player.features;
            return played;
        }
    }
    for (index, op) in scenario.ops.iter().enumerate() {
        at(Some(index));
        let free_before = if traced {
            player.model.fingerprint()
        } else {
            0
        };
        let before = scene_at.map(|_| player.snapshot(Some(*op)));
        player.outcome = StepOutcome::Skipped;
        player.metadata_full = false;
        player.focus = None;
        player.op = op.kind();
        let stepped = player.step(op);
        if let Some(mut snapshot) = before {
            if stepped.is_err() || scene_at == Some(index) {
                snapshot.returned = player.outcome;
                snapshot.focus = player.focus;
                played.scene = Some(snapshot);
            }
        }
        if let Err(stop) = stepped {
            played.finding = Some(finding(Some(index), op.kind(), stop));
            played.features = player.features;
            return played;
        }
        player.note_step(index);
        played.trace.steps.push(Step {
            op_kind: op.kind(),
            outcome: player.outcome,
            free_before,
            metadata_full: player.metadata_full,
        });
    }
    played.features = player.features;
    played
}

/// The memory of one backend's model just before one op, and what the op
/// did: what triage draws and reports ([`crate::scene`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The op (`None` for `setup`).
    pub op: Option<Op>,
    /// The usable RAM and its nodes as the model sees it (whole pages for
    /// page backends), sorted.
    pub ram: Vec<(Range, bootmem::Nid)>,
    /// The model's segments before the op: free, reserved, allocated,
    /// slack and metadata.
    pub before: Vec<Segment>,
    /// What the backend's call returned (`Skipped` if it never returned).
    pub returned: StepOutcome,
    /// The bytes the op was about: the range reserved or freed, or the
    /// allocation the backend returned.
    pub focus: Option<Range>,
}

/// The differential outcome of a call that returns no value.
fn unit_outcome(got: &Outcome<()>) -> StepOutcome {
    match got {
        Ok(()) => StepOutcome::Ok,
        Err(e) => StepOutcome::Err(*e),
    }
}

/// Runs a backend call under the panic guard.
fn call<R>(f: impl FnOnce() -> R) -> Result<R, Stop> {
    guarded(f).map_err(Stop::Panic)
}

impl Player {
    /// A fresh backend with the map registered, and its model.
    fn new(
        scenario: &Scenario,
        info: &BackendInfo,
        bugs: BugSet,
    ) -> Result<Player, (OpKind, Stop)> {
        let mut backend = (info.make)(bugs);
        let profile = backend.profile();
        for r in scenario.map.ranges() {
            let got = backend.add_memory(r.range, r.nid);
            if let Some(v) = check::check_outcome(&Ok::<(), Error>(()), &got) {
                return Err((OpKind::AddMemory, v.into()));
            }
        }
        Ok(Player {
            model: Model::new(&scenario.map, &profile),
            backend,
            profile,
            live: Vec::new(),
            next_id: 0,
            outcome: StepOutcome::Skipped,
            metadata: Vec::new(),
            metadata_full: false,
            name: info.name,
            op: OpKind::AddMemory,
            features: Vec::new(),
            focus: None,
        })
    }

    /// The model's memory now, before `op` is played.
    fn snapshot(&self, op: Option<Op>) -> Snapshot {
        Snapshot {
            op,
            ram: self.model.ram().to_vec(),
            before: self.model.segments().to_vec(),
            returned: StepOutcome::Skipped,
            focus: None,
        }
    }

    /// Records that the current op reached `what`.
    fn reached(&mut self, what: What) {
        self.features.push(Feature {
            backend: self.name,
            op: self.op,
            what,
            hits: 0,
        });
    }

    /// Records the edges `range` touches in the model's RAM, and whether
    /// it overlaps the metadata the backend reported last.
    fn reached_edges(&mut self, range: Range) {
        for edge in coverage::edges(range, self.model.ram()) {
            self.reached(What::Edge(edge));
        }
        if self.metadata.iter().any(|m| m.overlaps(range)) {
            self.reached(What::Edge(coverage::Edge::Metadata));
        }
    }

    /// Records the features of an op played without a finding (op number
    /// `index`): its outcome, an excused `NoMem`, the free map's
    /// fragmentation, the depth reached.
    fn note_step(&mut self, index: usize) {
        let outcome = match self.outcome {
            StepOutcome::Skipped => OutcomeClass::Skipped,
            StepOutcome::Err(e) => OutcomeClass::Err(e),
            StepOutcome::Ok | StepOutcome::Addr(_) | StepOutcome::Count(_) => OutcomeClass::Ok,
        };
        self.reached(What::Outcome(outcome));
        if self.metadata_full {
            self.reached(What::MetadataFull);
        }
        let pieces = coverage::log2_bucket(self.model.segments().len());
        self.reached(What::Fragments(pieces));
        if (index + 1).is_power_of_two() {
            self.reached(What::Depth(coverage::log2_bucket(index + 1)));
        }
    }

    /// Records what an allocation at `a` of `req` did: the stage it met,
    /// which feasible start of that stage it took, packing below a page.
    fn note_alloc(&mut self, req: &AllocRequest, verdict: AllocVerdict, a: PhysAddr) {
        let range = Range::from_base_size(a, req.size).unwrap_or(Range::EMPTY);
        self.reached_edges(range);
        if !self.model.start_granular(a) || a % bootmem::PAGE_SIZE != 0 {
            self.reached(What::Packed);
        }
        let stage = Stage::of_request(req).find(|&s| self.model.satisfies_stage(req, s, a));
        if let Some(s) = stage {
            self.reached(What::Stage(s as u8));
        }
        if let AllocVerdict::Feasible {
            lowest, highest, ..
        } = verdict
        {
            let pick = if a == lowest {
                Pick::Lowest
            } else if a == highest {
                Pick::Highest
            } else {
                Pick::Between
            };
            self.reached(What::Pick(pick));
        }
    }

    /// Runs `setup`. `Ok(false)` when the backend found no room for its
    /// metadata (`NoMem`), which ends the scenario for it without a finding.
    fn setup(&mut self) -> Result<bool, Stop> {
        let backend = &mut self.backend;
        let got = call(|| backend.setup())?;
        match got {
            Err(Error::NoMem) => Ok(false),
            other => {
                self.sync_metadata(other.is_err())?;
                if let Some(v) = check::check_outcome(&Ok::<(), Error>(()), &other) {
                    return Err(v.into());
                }
                Ok(true)
            }
        }
    }

    /// Syncs and checks the backend's metadata (skipped once retired).
    fn sync_metadata(&mut self, call_failed: bool) -> Result<(), Stop> {
        let vanished = self.sync_metadata_keeping(call_failed)?;
        check::free_vanished(&mut self.model, &vanished);
        Ok(())
    }

    /// As [`Player::sync_metadata`], but metadata that disappeared stays
    /// taken in the model until the caller frees what this returns.
    fn sync_metadata_keeping(&mut self, call_failed: bool) -> Result<Vec<Range>, Stop> {
        if self.model.is_retired() {
            return Ok(Vec::new());
        }
        let backend = &self.backend;
        let reported = call(|| backend.metadata())?;
        if reported == self.metadata {
            // Unchanged since the last sync, which the model already holds.
            return Ok(Vec::new());
        }
        let vanished = check::check_metadata_keeping(&mut self.model, &reported, call_failed)?;
        let bytes = |ranges: &[Range]| ranges.iter().map(|r| r.len() as u128).sum::<u128>();
        let (now, before) = (bytes(&reported), bytes(&self.metadata));
        let pieces = u8::try_from(reported.len().min(8)).unwrap_or(8);
        self.reached(What::Metadata {
            grew: now > before,
            pieces,
        });
        // At most 64 for a u64 count of bytes; 128 bits cannot overflow.
        self.reached(What::MetadataBytes(now.checked_ilog2().unwrap_or(0) as u8));
        self.metadata = reported;
        Ok(vanished)
    }

    /// Compares a finished call's outcome with the model's expectation;
    /// a failed call must have changed nothing.
    fn judge<T>(&mut self, expected: &Outcome<()>, actual: &Outcome<T>) -> Result<(), Stop> {
        if let Some(v) = check::check_outcome(expected, actual) {
            // A free refused as DoubleFree that the model accepts means the
            // backend holds taken bytes as free: when its free map shows
            // that, the finding is the latent overlap, not the refusal.
            if matches!(actual, Err(Error::DoubleFree)) && !self.model.is_retired() {
                let backend = &self.backend;
                let free = call(|| backend.free_map())?;
                if let Some(o) = check::check_unchanged(&self.model, &free)
                    .filter(|o| o.kind == FindingKind::Overlap)
                {
                    return Err(o.into());
                }
            }
            return Err(v.into());
        }
        if actual.is_err() && !self.model.is_retired() {
            let backend = &self.backend;
            let free = call(|| backend.free_map())?;
            if let Some(v) = check::check_unchanged(&self.model, &free) {
                return Err(v.into());
            }
        }
        Ok(())
    }

    /// Plays one op.
    fn step(&mut self, op: &Op) -> Result<(), Stop> {
        match *op {
            Op::Reserve { base, size, mode } => self.reserve(None, base, size, mode),
            Op::ReserveNode {
                nid,
                base,
                size,
                mode,
            } => self.reserve(Some(nid), base, size, mode),
            Op::Free { base, size } => self.free(None, base, size),
            Op::FreeNode { nid, base, size } => self.free(Some(nid), base, size),
            Op::Alloc(req) => self.alloc(&req),
            Op::FreeAlloc { index, part } => {
                if self.live.is_empty() {
                    return Ok(());
                }
                let k = index as usize % self.live.len();
                let live = self.live.remove(k);
                let range = part.of(live.start, live.size).unwrap_or(Range::EMPTY);
                self.free(None, range.start(), range.len())
            }
            Op::ReleaseAll => self.release_all(),
        }
    }

    fn reserve(
        &mut self,
        nid: Option<u32>,
        base: PhysAddr,
        size: u64,
        mode: ReserveMode,
    ) -> Result<(), Stop> {
        let backend = &mut self.backend;
        let growth = call(|| backend.metadata_growth())?;
        let got = call(|| match nid {
            Some(n) => backend.reserve_node(n, base, size, mode),
            None => backend.reserve(base, size, mode),
        })?;
        self.outcome = unit_outcome(&got);
        self.sync_metadata(got.is_err())?;
        let range = Range::from_base_size(base, size).unwrap_or(Range::EMPTY);
        self.focus = Some(range);
        self.reached_edges(range);
        self.judge_recording(&got, growth, range, |m| m.reserve(nid, base, size, mode))
    }

    fn free(&mut self, nid: Option<u32>, base: PhysAddr, size: u64) -> Result<(), Stop> {
        let backend = &mut self.backend;
        let growth = call(|| backend.metadata_growth())?;
        let got = call(|| match nid {
            Some(n) => backend.free_node(n, base, size),
            None => backend.free(base, size),
        })?;
        self.outcome = unit_outcome(&got);
        self.sync_metadata(got.is_err())?;
        let range = Range::from_base_size(base, size).unwrap_or(Range::EMPTY);
        self.focus = Some(range);
        self.reached_edges(range);
        self.judge_recording(&got, growth, range, |m| m.free(nid, base, size))
    }

    /// Judges a call that records memory (reserve, free): `expect` computes
    /// the model's outcome and applies it. A `NoMem` where `Ok` was due is
    /// excused when the backend's metadata had to grow by `growth` bytes and
    /// the model shows no room for that outside `range` (SPEC section 5);
    /// the model then stays as it was.
    fn judge_recording(
        &mut self,
        got: &Outcome<()>,
        growth: Option<u64>,
        range: Range,
        expect: impl FnOnce(&mut Model) -> Outcome<()>,
    ) -> Result<(), Stop> {
        let snapshot = (*got == Err(Error::NoMem)).then(|| self.model.clone());
        let want = expect(&mut self.model);
        if let (Some(before), Ok(())) = (snapshot, want) {
            if self.no_room(growth, range) {
                self.model = before;
                self.metadata_full = true;
                return self.judge(got, got);
            }
        }
        self.judge(&want, got)
    }

    /// True when the backend said its metadata must grow by some bytes and
    /// the model has no room for them outside `exclude`.
    fn no_room(&self, growth: Option<u64>, exclude: Range) -> bool {
        growth.is_some_and(|bytes| !self.model.has_room(bytes, exclude))
    }

    fn alloc(&mut self, req: &AllocRequest) -> Result<(), Stop> {
        let backend = &mut self.backend;
        let growth = call(|| backend.metadata_growth())?;
        let got = call(|| backend.alloc(req))?;
        self.outcome = match got {
            Ok(a) => StepOutcome::Addr(a),
            Err(e) => StepOutcome::Err(e),
        };
        if let Ok(a) = got {
            self.focus = Range::from_base_size(a, req.size);
        }
        // The placement was found while the old metadata was still taken.
        let vanished = self.sync_metadata_keeping(got.is_err())?;
        if self.model.is_retired() {
            return self.judge(&Err(Error::Retired), &got);
        }
        let verdict = self.model.alloc_verdict(req);
        let result = self.judge_alloc(req, growth, verdict, got);
        if let (Ok(()), Ok(start)) = (&result, got) {
            self.note_alloc(req, verdict, start);
        }
        check::free_vanished(&mut self.model, &vanished);
        result?;
        if let Ok(start) = got {
            let id = self.next_id;
            self.next_id += 1;
            self.model.apply_alloc(id, start, req.size);
            self.live.push(Live {
                start,
                size: req.size,
            });
        }
        Ok(())
    }

    /// Judges an alloc's outcome against the verdict computed before it.
    fn judge_alloc(
        &mut self,
        req: &AllocRequest,
        growth: Option<u64>,
        verdict: AllocVerdict,
        got: Outcome<PhysAddr>,
    ) -> Result<(), Stop> {
        // Where the policy wanted it, and whether the backend's metadata had
        // room to grow beside that placement (SPEC section 5).
        let tight = match verdict {
            AllocVerdict::Feasible {
                lowest, highest, ..
            } => {
                let start = match self.profile.placement {
                    Placement::Highest => highest,
                    _ => lowest,
                };
                let placed = self.model.alloc_footprint(start, req.size);
                self.no_room(growth, placed.unwrap_or(Range::EMPTY))
            }
            _ => false,
        };
        if let (true, Err(e)) = (tight, got) {
            // The reservation of the found placement could not grow the
            // metadata, and nothing else could be found or reserved.
            if e == req.failure() {
                self.metadata_full = true;
                return self.judge(&Err(e), &got);
            }
        }
        if let Some(v) = check::check_alloc(&self.model, &self.profile, req, verdict, got) {
            // The reservation of the wanted placement could not grow the
            // metadata, so the search went on to a later attempt (memblock
            // tries the next stage when memblock_reserve fails): valid if
            // the result meets some stage of the request.
            let late = matches!(
                v.kind,
                FindingKind::Goal | FindingKind::OutOfNode | FindingKind::Placement
            );
            if let (true, true, Ok(a)) = (tight, late, got) {
                if self.model.meets_some_stage(req, a) {
                    self.metadata_full = true;
                    return Ok(());
                }
            }
            return Err(v.into());
        }
        match got {
            Ok(_) => Ok(()),
            Err(e) => self.judge(&Err(e), &got),
        }
    }

    fn release_all(&mut self) -> Result<(), Stop> {
        let mut released: Vec<Range> = Vec::new();
        let backend = &mut self.backend;
        let got = call(|| backend.release_all(&mut |r| released.push(r)))?;
        self.outcome = match got {
            Ok(n) => StepOutcome::Count(n),
            Err(e) => StepOutcome::Err(e),
        };
        if self.model.is_retired() {
            return self.judge(&Err(Error::Retired), &got);
        }
        match got {
            Ok(count) => {
                if let Some(v) = check::check_release(&self.model, &self.profile, &released, count)
                {
                    return Err(v.into());
                }
                self.model.retire();
                Ok(())
            }
            Err(_) => self.judge(&Ok(()), &got),
        }
    }
}
