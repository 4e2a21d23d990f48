//! One worker's share of an epoch: it makes inputs (mutants of corpus
//! entries, or fresh random bytes), saves each as its in-flight file before
//! running it, runs it, and returns the ones that reached a new feature or
//! a new finding. Workers only read the corpus; the epoch's merge (in
//! `super`) changes it, in worker order, so a run is the same for the same
//! seed whatever the threads' timing.

use super::corpus::{Corpus, Entry};
use super::{Config, Strategy};
use crate::artifacts::Artifacts;
use crate::error::CliError;
use crate::prng::Prng;
use crate::watchdog::Watchdog;
use oracles::coverage::Feature;
use oracles::watch::Position;
use oracles::{Finding, Signature};
use std::collections::HashSet;
use std::time::Instant;

/// Out of this many inputs, one is fresh random bytes even when the
/// corpus has entries, so the decoder's own edge strategies keep feeding
/// the corpus. Measured with `bootfuzz zoo` (README, "Numbers"): one in
/// eight reached the most features but found shallow planted bugs (K1, M5)
/// three to five times later than random bytes alone; one in two keeps
/// most of the features and finds them as fast as random bytes.
const FRESH_ONE_IN: u64 = 2;

/// Bytes of noise one mutation reads its choices from.
const NOISE: usize = 256;

/// An input run by a worker that the merge must look at.
#[derive(Debug)]
pub struct Exec {
    /// Its number within the worker's batch (0-based).
    pub index: u64,
    /// The input.
    pub entry: Entry,
    /// Every feature it reached.
    pub features: Vec<Feature>,
    /// Its findings.
    pub findings: Vec<Finding>,
}

/// What one worker needs for one batch.
pub struct Batch<'a> {
    /// The run's configuration.
    pub config: &'a Config,
    /// The corpus as the epoch started.
    pub corpus: &'a Corpus,
    /// Signatures already reported.
    pub seen: &'a HashSet<Signature>,
    /// Where in-flight files go.
    pub artifacts: &'a Artifacts,
    /// This worker's number.
    pub worker: usize,
    /// Its watchdog, if the run has a time budget per input.
    pub watchdog: Option<&'a Watchdog>,
    /// Stop making inputs once this instant has passed.
    pub deadline: Option<Instant>,
}

impl Batch<'_> {
    /// Runs up to `count` inputs drawn from `rng`. Returns how many ran
    /// and the ones with a new feature or finding, in order.
    pub fn run(&self, rng: &mut Prng, count: u64) -> Result<(u64, Vec<Exec>), CliError> {
        let mut local: HashSet<Feature> = HashSet::new();
        let mut keep = Vec::new();
        let mut ran = 0;
        while ran < count && self.deadline.is_none_or(|d| Instant::now() < d) {
            let mut exec = self.play(self.next_input(rng))?;
            exec.index = ran;
            let fresh = exec
                .features
                .iter()
                .filter(|f| self.corpus.is_new(f))
                .fold(false, |any, f| local.insert(*f) | any);
            if fresh || !exec.findings.is_empty() {
                keep.push(exec);
            }
            ran += 1;
        }
        Ok((ran, keep))
    }

    /// Runs one input, saved first as this worker's in-flight file, under
    /// the watchdog. Its findings are those not reported yet.
    pub fn play(&self, entry: Entry) -> Result<Exec, CliError> {
        let unwatched = Position::new();
        let position = self.watchdog.map_or(&unwatched, Watchdog::position);
        self.artifacts.set_inflight_of(self.worker, &entry.data)?;
        if let Some(w) = self.watchdog {
            w.begin();
        }
        let report = oracles::run_watched(
            &entry.scenario,
            &self.config.backends,
            self.config.bugs,
            position,
        );
        if let Some(w) = self.watchdog {
            w.end();
        }
        let findings: Vec<Finding> = report
            .findings
            .into_iter()
            .filter(|f| !self.seen.contains(&f.signature()))
            .collect();
        Ok(Exec {
            index: 0,
            entry,
            features: report.features,
            findings,
        })
    }

    /// The next input: a mutant of a corpus entry (spliced with another),
    /// or, when the corpus is empty, one time in [`FRESH_ONE_IN`] or under
    /// the random strategy, fresh random bytes.
    fn next_input(&self, rng: &mut Prng) -> Entry {
        let entries = self.corpus.entries();
        let fresh = entries.is_empty()
            || self.config.strategy == Strategy::Random
            || rng.up_to(FRESH_ONE_IN - 1) == 0;
        if !fresh {
            let pick = |rng: &mut Prng| {
                let i = rng.up_to(entries.len() as u64 - 1);
                &entries[usize::try_from(i).unwrap_or(0)]
            };
            let (base, donor) = (pick(rng), pick(rng));
            let mut noise = [0u8; NOISE];
            rng.fill(&mut noise);
            let scenario = oracles::mutate::mutate(&base.scenario, &donor.scenario, &noise);
            if let Ok(data) = oracles::encode(&scenario) {
                return Entry { data, scenario };
            }
        }
        let len = usize::try_from(rng.up_to(self.config.max_len as u64)).unwrap_or(0);
        let mut data = vec![0; len];
        rng.fill(&mut data);
        let scenario = oracles::decode(&data);
        Entry { data, scenario }
    }
}
