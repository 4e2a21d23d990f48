//! The built-in engine of `bootfuzz run` (stable toolchain, no fuzzer
//! installed): structure-aware mutation guided by semantic coverage.
//!
//! The run starts from the seeds (`seeds`, by default the committed
//! `corpus/`), then works in epochs. In each epoch every worker (`--jobs`)
//! makes a batch of inputs, each a mutant of a corpus entry
//! (`oracles::mutate`) or, now and then, fresh random bytes, and plays it
//! with `oracles::run` exactly as every other engine's target does
//! (through the bytes: a mutant is written with `oracles::encode`, so its
//! artifact replays identically under libFuzzer, AFL++ and honggfuzz). At
//! the end of the epoch the batches are merged in worker order: an input
//! that reached a feature (`oracles::coverage`) no earlier input reached
//! joins the corpus, and each distinct finding signature is reported once
//! and saved. Merging in a fixed order makes the run a function of
//! `--seed` and `--jobs`: the same inputs in the same order, whatever the
//! threads' timing (only where a `--time` limit cuts it varies).
//!
//! Each input is written to its worker's in-flight file before it runs; a
//! watchdog per worker turns an input past its time budget into a `hang`
//! finding (`hang`), and a backend panic is caught by the runner and
//! becomes `backend-panic`.

mod corpus;
mod hang;
mod seeds;
mod worker;

pub use seeds::default_dirs;

use crate::artifacts::Artifacts;
use crate::error::CliError;
use crate::prng::Prng;
use crate::progress::{rate, Counters, Progress};
use crate::watchdog::Watchdog;
use bootmem::BugSet;
use corpus::Corpus;
use oracles::{BackendInfo, Signature};
use std::collections::HashSet;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use worker::{Batch, Exec};

/// Inputs each worker runs per epoch.
const EPOCH: u64 = 32;

/// How inputs are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Mutants of corpus entries, kept by semantic coverage (the default).
    Structure,
    /// Fresh random bytes only (the engine before feedback; kept to
    /// measure what feedback buys). The corpus still records the features
    /// reached, so the two strategies' coverage can be compared, but no
    /// input is made from it.
    Random,
}

/// What one run does.
#[derive(Clone)]
pub struct Config {
    /// The seed of the input generator.
    pub seed: u64,
    /// Stop after this long; `None` for no time limit.
    pub time: Option<Duration>,
    /// Stop after this many executions; `None` for no cap.
    pub runs: Option<u64>,
    /// Longest fresh random input, in bytes; each length is drawn from
    /// `0..=max_len`.
    pub max_len: usize,
    /// The backends played against.
    pub backends: Vec<BackendInfo>,
    /// Historical bugs planted in them.
    pub bugs: BugSet,
    /// Where the in-flight inputs and the reproducers go.
    pub artifacts: PathBuf,
    /// Stop after the epoch that gave the first finding.
    pub stop_on_finding: bool,
    /// One input's time budget: past it the watchdog saves the input as a
    /// `hang` finding and ends the process (exit code 1). `None`: no
    /// watchdog.
    pub timeout: Option<Duration>,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Seed files and directories, read first.
    pub seeds: Vec<PathBuf>,
    /// Where every input that joins the corpus is also written, if
    /// anywhere.
    pub save_corpus: Option<PathBuf>,
    /// How inputs are made.
    pub strategy: Strategy,
}

/// The outcome of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Inputs run (seeds included).
    pub execs: u64,
    /// Wall time of the loop.
    pub elapsed: Duration,
    /// Distinct finding signatures.
    pub findings: usize,
    /// The seed, to reproduce the run.
    pub seed: u64,
    /// Inputs in the corpus at the end.
    pub corpus: usize,
    /// Features reached.
    pub features: usize,
}

impl fmt::Display for Summary {
    /// `done: N execs in T s (R exec/s), F distinct findings, seed S,
    /// corpus C, features X`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "done: {} execs in {:.1} s ({} exec/s), {} distinct findings, seed {}, corpus {}, features {}",
            self.execs,
            self.elapsed.as_secs_f64(),
            rate(self.execs, self.elapsed),
            self.findings,
            self.seed,
            self.corpus,
            self.features
        )
    }
}

/// The run's merged state.
struct State<'a> {
    config: &'a Config,
    artifacts: Artifacts,
    corpus: Corpus,
    seen: HashSet<Signature>,
    execs: u64,
    start: Instant,
    progress: Progress,
}

impl State<'_> {
    /// Merges one input that ran as exec number `number` (1-based, over
    /// the whole run): reports and saves its new findings, offers it to the
    /// corpus.
    fn merge(&mut self, number: u64, exec: Exec, out: &mut dyn Write) -> Result<(), CliError> {
        for finding in &exec.findings {
            if !self.seen.insert(finding.signature()) {
                continue;
            }
            let saved = self.artifacts.save(
                finding,
                &exec.entry.data,
                &exec.entry.scenario,
                self.config.seed,
                self.config.bugs,
            )?;
            let at = self.start.elapsed().as_secs_f64();
            self.progress.suspend(|| {
                writeln!(
                    out,
                    "finding: {finding} [{}] (exec {number}, {at:.3} s)",
                    saved.display()
                )
            })?;
        }
        self.corpus.offer(exec.entry, &exec.features)?;
        Ok(())
    }

    /// Worker `worker`'s view of the state for one batch.
    fn batch<'s>(
        &'s self,
        worker: usize,
        watchdog: Option<&'s Watchdog>,
        deadline: Option<Instant>,
    ) -> Batch<'s> {
        Batch {
            config: self.config,
            corpus: &self.corpus,
            seen: &self.seen,
            artifacts: &self.artifacts,
            worker,
            watchdog,
            deadline,
        }
    }

    fn counters(&self) -> Counters {
        Counters {
            execs: self.execs,
            findings: self.seen.len(),
            corpus: self.corpus.entries().len(),
            features: self.corpus.feature_count(),
        }
    }

    /// Whether the run has reached its run cap or its time, or its first
    /// finding when it stops there.
    fn done(&self) -> bool {
        let c = self.config;
        (c.stop_on_finding && !self.seen.is_empty())
            || c.runs.is_some_and(|cap| self.execs >= cap)
            || c.time.is_some_and(|limit| self.start.elapsed() >= limit)
    }
}

/// Runs the engine until the time or the run cap is reached, printing each
/// new finding to `out` as it is first seen, and returns the summary (which
/// the caller prints).
pub fn run(config: &Config, out: &mut dyn Write) -> Result<Summary, CliError> {
    let start = Instant::now();
    let jobs = config.jobs.max(1);
    let mut state = State {
        config,
        artifacts: Artifacts::open(&config.artifacts)?,
        corpus: Corpus::new(config.save_corpus.clone())?,
        seen: HashSet::new(),
        execs: 0,
        start,
        progress: Progress::new(start),
    };
    // Inputs finished, for the watchdog's finding line.
    let done_execs = Arc::new(AtomicU64::new(0));
    let watchdogs: Vec<Option<Watchdog>> = (0..jobs)
        .map(|w| {
            config.timeout.map(|budget| {
                let handler = hang::on_hang(config, w, budget, Arc::clone(&done_execs), start);
                Watchdog::start(budget, handler)
            })
        })
        .collect();
    let deadline = config.time.map(|t| start + t);

    let (seeds, skipped) = seeds::load(&config.seeds)?;
    if !config.seeds.is_empty() {
        let beyond = if skipped > 0 {
            format!(" ({skipped} .scn beyond the decode bounds skipped)")
        } else {
            String::new()
        };
        writeln!(out, "seeds: {} inputs{beyond}", seeds.len())?;
    }
    for seed in seeds {
        if state.done() {
            break;
        }
        let exec = state.batch(0, watchdogs[0].as_ref(), deadline).play(seed)?;
        state.execs += 1;
        let number = state.execs;
        state.merge(number, exec, out)?;
    }

    // One stream per worker, each seeded from the run's seed.
    let mut streams = Prng::new(config.seed);
    let mut rngs: Vec<Prng> = (0..jobs).map(|_| Prng::new(streams.next_u64())).collect();
    while !state.done() {
        let counts = shares(jobs, config.runs.map(|cap| cap.saturating_sub(state.execs)));
        let results: Vec<Result<(u64, Vec<Exec>), CliError>> = if jobs == 1 {
            vec![state
                .batch(0, watchdogs[0].as_ref(), deadline)
                .run(&mut rngs[0], counts[0])]
        } else {
            let state = &state;
            std::thread::scope(|scope| {
                let handles: Vec<_> = rngs
                    .iter_mut()
                    .zip(&counts)
                    .enumerate()
                    .map(|(w, (rng, &count))| {
                        let b = state.batch(w, watchdogs[w].as_ref(), deadline);
                        scope.spawn(move || b.run(rng, count))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            })
        };
        let base = state.execs;
        let mut offset = 0;
        for result in results {
            let (ran, kept) = result?;
            for exec in kept {
                state.merge(base + offset + exec.index + 1, exec, out)?;
            }
            offset += ran;
        }
        state.execs = base + offset;
        done_execs.store(state.execs, Ordering::Relaxed);
        let counters = state.counters();
        state.progress.update(counters);
    }

    drop(watchdogs);
    let elapsed = start.elapsed();
    let summary = Summary {
        execs: state.execs,
        elapsed,
        findings: state.seen.len(),
        seed: config.seed,
        corpus: state.corpus.entries().len(),
        features: state.corpus.feature_count(),
    };
    state.progress.finish();
    for w in 0..jobs {
        state.artifacts.clear_inflight_of(w)?;
    }
    Ok(summary)
}

/// Inputs per worker for the next epoch: [`EPOCH`] each, or the
/// `remaining` runs shared out, the first workers taking the remainder.
fn shares(jobs: usize, remaining: Option<u64>) -> Vec<u64> {
    let jobs_u = jobs as u64;
    match remaining {
        Some(left) if left < EPOCH * jobs_u => (0..jobs_u)
            .map(|w| left / jobs_u + u64::from(w < left % jobs_u))
            .collect(),
        _ => vec![EPOCH; jobs],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_epoch_shares_out_exactly_the_runs_left() {
        assert_eq!(shares(2, None), vec![EPOCH, EPOCH]);
        assert_eq!(shares(2, Some(1000)), vec![EPOCH, EPOCH]);
        assert_eq!(shares(2, Some(5)), vec![3, 2]);
        assert_eq!(shares(3, Some(1)), vec![1, 0, 0]);
        assert_eq!(shares(1, Some(7)), vec![7]);
    }
}
