//! What the watchdog does when one worker's input runs past its budget:
//! the in-flight input (already on disk) is decoded again, saved as a
//! `hang` finding at the position the worker was stuck at, reported on
//! stdout like any finding, and the process exits with code 1. It runs on
//! the watchdog's thread while the stuck call still spins, so it never
//! returns.

use super::Config;
use crate::artifacts::Artifacts;
use crate::error::CliError;
use oracles::watch;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The handler for worker `worker`'s watchdog. `done_execs` counts the
/// inputs the whole run has finished.
pub fn on_hang(
    config: &Config,
    worker: usize,
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
            let path = artifacts.inflight_path_of(worker);
            let data = std::fs::read(&path).map_err(|e| CliError::io(path, e))?;
            let scenario = oracles::decode(&data);
            let finding = watch::hang_finding(&scenario, &backends, at, budget);
            let bin = artifacts.save(&finding, &data, &scenario, seed, bugs)?;
            Ok((finding, bin))
        });
        match saved {
            Ok((finding, bin)) => {
                // The same line as any finding: the stuck input is one past
                // those finished, and the time is when the watchdog gave up.
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
