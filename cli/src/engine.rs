//! The built-in engine of `bootfuzz run` (stable toolchain, no
//! instrumentation): random byte strings from a seeded [`Prng`], each decoded
//! with `oracles::decode` exactly as every other engine does, played with
//! `oracles::run`, and each distinct finding signature reported once and
//! saved.

use crate::artifacts::Artifacts;
use crate::error::CliError;
use crate::prng::Prng;
use crate::progress::{rate, Counters, Progress};
use crate::watchdog::Watchdog;
use bootmem::BugSet;
use oracles::watch::{self, Position};
use oracles::{BackendInfo, Signature};
use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one run does.
#[derive(Clone)]
pub struct Config {
    /// The seed of the input generator.
    pub seed: u64,
    /// Stop after this long; `None` for no time limit.
    pub time: Option<Duration>,
    /// Stop after this many executions; `None` for no cap.
    pub runs: Option<u64>,
    /// Longest input, in bytes; each length is drawn from `0..=max_len`.
    pub max_len: usize,
    /// The backends played against.
    pub backends: Vec<BackendInfo>,
    /// Historical bugs planted in them.
    pub bugs: BugSet,
    /// Where the in-flight input and the reproducers go.
    pub artifacts: PathBuf,
    /// Stop after the input that gave the first finding.
    pub stop_on_finding: bool,
    /// One input's time budget: past it the watchdog saves the input as a
    /// `hang` finding and ends the process (exit code 1). `None`: no
    /// watchdog.
    pub timeout: Option<Duration>,
}

/// The outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Inputs run.
    pub execs: u64,
    /// Wall time of the loop.
    pub elapsed: Duration,
    /// Distinct finding signatures.
    pub findings: usize,
    /// The seed, to reproduce the run.
    pub seed: u64,
}

impl fmt::Display for Summary {
    /// `done: N execs in T s (R exec/s), F distinct findings, seed S`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "done: {} execs in {:.1} s ({} exec/s), {} distinct findings, seed {}",
            self.execs,
            self.elapsed.as_secs_f64(),
            rate(self.execs, self.elapsed),
            self.findings,
            self.seed
        )
    }
}

/// Runs the engine until the time or the run cap is reached, printing each
/// new finding to `out` as it is first seen, and returns the summary (which
/// the caller prints).
pub fn run(config: &Config, out: &mut dyn Write) -> Result<Summary, CliError> {
    let artifacts = Artifacts::open(&config.artifacts)?;
    let mut rng = Prng::new(config.seed);
    let mut seen: HashSet<Signature> = HashSet::new();
    let mut data: Vec<u8> = Vec::with_capacity(config.max_len);
    let start = Instant::now();
    let mut progress = Progress::new(start);
    let mut execs: u64 = 0;
    // Inputs finished, for the watchdog's finding line.
    let done_execs = Arc::new(AtomicU64::new(0));
    let watchdog = config.timeout.map(|budget| {
        Watchdog::start(
            budget,
            on_hang(config, budget, Arc::clone(&done_execs), start),
        )
    });
    let unwatched = Position::new();
    let position = watchdog.as_ref().map_or(&unwatched, Watchdog::position);

    while !done(config, execs, start, seen.len()) {
        let len = usize::try_from(rng.up_to(config.max_len as u64)).unwrap_or(config.max_len);
        data.resize(len, 0);
        rng.fill(&mut data);

        artifacts.set_inflight(&data)?;
        let scenario = oracles::decode(&data);
        if let Some(w) = &watchdog {
            w.begin();
        }
        let report = oracles::run_watched(&scenario, &config.backends, config.bugs, position);
        if let Some(w) = &watchdog {
            w.end();
        }
        execs += 1;
        done_execs.store(execs, Ordering::Relaxed);

        for finding in &report.findings {
            if !seen.insert(finding.signature()) {
                continue;
            }
            let saved = artifacts.save(finding, &data, &scenario, config.seed, config.bugs)?;
            let at = start.elapsed().as_secs_f64();
            progress.suspend(|| {
                writeln!(
                    out,
                    "finding: {finding} [{}] (exec {execs}, {at:.3} s)",
                    saved.display()
                )
            })?;
        }
        progress.update(Counters {
            execs,
            findings: seen.len(),
        });
    }

    let elapsed = start.elapsed();
    progress.finish();
    artifacts.clear_inflight()?;
    Ok(Summary {
        execs,
        elapsed,
        findings: seen.len(),
        seed: config.seed,
    })
}

/// The watchdog's handler: the input in flight (already on disk) is decoded
/// again, saved as a `hang` finding at the position the run was stuck at,
/// reported on stdout like any finding, and the process exits with code 1.
/// It runs on the watchdog's thread while the stuck call still spins, so it
/// never returns.
fn on_hang(
    config: &Config,
    budget: Duration,
    done_execs: Arc<AtomicU64>,
    start: Instant,
) -> impl FnOnce((usize, Option<usize>)) + Send {
    let (dir, backends, bugs, seed) = (
        config.artifacts.clone(),
        config.backends.clone(),
        config.bugs,
        config.seed,
    );
    move |at| {
        let mut stdout = std::io::stdout();
        let saved = Artifacts::open(&dir).and_then(|artifacts| {
            let path = artifacts.inflight_path();
            let data = std::fs::read(&path).map_err(|e| CliError::io(path, e))?;
            let scenario = oracles::decode(&data);
            let finding = watch::hang_finding(&scenario, &backends, at, budget);
            let bin = artifacts.save(&finding, &data, &scenario, seed, bugs)?;
            Ok((finding, bin))
        });
        match saved {
            Ok((finding, bin)) => {
                // The same line as any finding: the stuck input is the
                // next exec, and the time is when the watchdog gave up.
                let exec = done_execs.load(Ordering::Relaxed) + 1;
                let at = start.elapsed().as_secs_f64();
                let _ = writeln!(
                    stdout,
                    "\nfinding: {finding} [{}] (exec {exec}, {at:.3} s)",
                    bin.display()
                );
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "bootfuzz: error: saving a hang: {e}");
            }
        }
        let _ = stdout.flush();
        std::process::exit(1);
    }
}

/// Whether the run has reached its run cap or its time, or its first
/// finding when it stops there.
fn done(config: &Config, execs: u64, start: Instant, findings: usize) -> bool {
    (config.stop_on_finding && findings > 0)
        || config.runs.is_some_and(|cap| execs >= cap)
        || config.time.is_some_and(|limit| start.elapsed() >= limit)
}
