//! `bootfuzz zoo`: how fast, and how surely, each engine finds each planted
//! historical bug (`bootmem::bugs`), with a no-bug control.
//!
//! For every chosen fault, engine ([`engine`]) and seed the zoo runs one
//! child ([`child`]: `bootfuzz run --stop-on-finding`, or the libFuzzer
//! target) against the fault's backend, and records the time and
//! executions to the first finding and its kind.
//! The control plays the same seeds with the same budget on every backend
//! involved, with nothing planted: any finding there is a defect in the
//! harness, and the command fails. Results go to stdout as a table and to
//! `zoo.md`, `zoo.csv` (one row per fault and engine) and `runs.csv` (one
//! line per run) in the output directory.

pub mod child;
pub mod engine;
pub mod table;

use crate::error::CliError;
use bootmem::Bug;
use child::{Job, Outcome};
use engine::Engine;
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};
use std::time::Duration;
use table::Row;

/// Engines the zoo does not drive, and the cargo subcommand binary that
/// shows each is installed.
const UNDRIVEN: [(&str, &str); 2] = [("afl", "cargo-afl"), ("honggfuzz", "cargo-hfuzz")];

/// What one zoo does.
#[derive(Clone, Debug)]
pub struct Config {
    /// The faults measured, in id order.
    pub bugs: Vec<Bug>,
    /// Seeds per fault and engine.
    pub seeds: Vec<u64>,
    /// The time budget of each run.
    pub time: Duration,
    /// Where the tables and the runs' artifacts go.
    pub out: PathBuf,
    /// Runs at once.
    pub jobs: usize,
    /// Whether to run the false-positive control.
    pub control: bool,
    /// The engines, each run on every fault and control.
    pub engines: Vec<Engine>,
    /// Where the libFuzzer target binaries are.
    pub libfuzzer_dir: PathBuf,
}

/// The result of a zoo: every row, the control's rows last.
pub struct Scoreboard {
    /// One row per fault and engine, then one per control backend.
    pub rows: Vec<Row>,
}

impl Scoreboard {
    /// True when the control found nothing and no run failed.
    pub fn sound(&self) -> bool {
        self.rows
            .iter()
            .all(|r| r.failed() == 0 && (r.bug.is_some() || r.detected() == 0))
    }
}

/// The line that says which engines run and why the others do not.
pub fn engines_line(engines: &[Engine]) -> String {
    let driven: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    let others: Vec<String> = UNDRIVEN
        .iter()
        .map(|(engine, tool)| {
            if on_path(tool) {
                format!("{engine}: installed, not driven by the zoo")
            } else {
                format!("{engine}: not installed ({tool} not on PATH)")
            }
        })
        .collect();
    format!("engines: {} ({})", driven.join(", "), others.join("; "))
}

/// Whether an executable named `name` is on `PATH`.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
}

/// Runs the zoo with the `bootfuzz` binary at `exe`, printing a line per
/// finished run and the table to `out`, and writes the table files.
pub fn run(exe: &Path, config: &Config, out: &mut dyn Write) -> Result<Scoreboard, CliError> {
    let artifacts = config.out.join("artifacts");
    std::fs::create_dir_all(&artifacts).map_err(|e| CliError::io(&artifacts, e))?;
    let mut rows = plan(config);
    for row in &rows {
        if let Some(why) = engine::unavailable(row.engine, row.backend, &config.libfuzzer_dir) {
            return Err(CliError::Unavailable(format!("{}: {why}", row.engine)));
        }
    }
    let mut queue = VecDeque::new();
    for (r, row) in rows.iter().enumerate() {
        for (s, &seed) in config.seeds.iter().enumerate() {
            let name = format!(
                "{}-{}-{}-s{seed}",
                row.bug.map_or("control", |b| b.id()),
                row.backend,
                row.engine
            );
            let job = Job {
                bug: row.bug,
                backend: row.backend,
                seed,
                time: config.time,
                artifacts: artifacts.join(name),
                engine: row.engine,
                libfuzzer_dir: config.libfuzzer_dir.clone(),
            };
            queue.push_back((r, s, job));
        }
    }
    let total = queue.len();
    writeln!(
        out,
        "bootfuzz zoo: {} faults, {} seeds ({}..={}), {} s per run, {} runs, {} at once, output {}",
        config.bugs.len(),
        config.seeds.len(),
        config.seeds.first().copied().unwrap_or(0),
        config.seeds.last().copied().unwrap_or(0),
        config.time.as_secs(),
        total,
        config.jobs,
        config.out.display()
    )?;
    writeln!(out, "{}", engines_line(&config.engines))?;
    out.flush()?;

    let queue = Mutex::new(queue);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| -> Result<(), CliError> {
        for _ in 0..config.jobs.max(1) {
            let tx = tx.clone();
            let queue = &queue;
            scope.spawn(move || loop {
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some((r, s, job)) = next else { break };
                let outcome = child::run(exe, &job);
                if tx.send((r, s, job, outcome)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (done, (r, s, job, outcome)) in rx.iter().enumerate() {
            writeln!(out, "[{}/{total}] {}", done + 1, describe(&job, &outcome))?;
            out.flush()?;
            if let Some(row) = rows.get_mut(r) {
                if let Some(slot) = row.outcomes.get_mut(s) {
                    *slot = outcome;
                }
            }
        }
        Ok(())
    })?;

    let board = Scoreboard { rows };
    writeln!(out)?;
    write!(out, "{}", table::text(&board.rows))?;
    write_file(&config.out.join("zoo.md"), &markdown(config, &board))?;
    write_file(&config.out.join("zoo.csv"), &table::csv(&board.rows))?;
    write_file(
        &config.out.join("runs.csv"),
        &table::runs_csv(&board.rows, &config.seeds),
    )?;
    Ok(board)
}

/// The rows to fill: each fault with each engine, then the control on each
/// backend the faults live in, with each engine.
fn plan(config: &Config) -> Vec<Row> {
    let pending = || vec![Outcome::Failed("not run".to_string()); config.seeds.len()];
    let row = |bug: Option<Bug>, backend: &'static str, engine: Engine| Row {
        bug,
        backend,
        engine,
        budget: config.time.as_secs(),
        outcomes: pending(),
    };
    let mut rows: Vec<Row> = Vec::new();
    for &b in &config.bugs {
        for &e in &config.engines {
            rows.push(row(Some(b), b.backend(), e));
        }
    }
    if config.control {
        let mut backends: Vec<&'static str> = config.bugs.iter().map(|b| b.backend()).collect();
        backends.sort_unstable();
        backends.dedup();
        for b in backends {
            for &e in &config.engines {
                rows.push(row(None, b, e));
            }
        }
    }
    rows
}

/// One progress line: what ran and what it gave.
fn describe(job: &Job, outcome: &Outcome) -> String {
    let what = format!(
        "{} {} {} seed {}",
        job.bug.map_or("control", |b| b.id()),
        job.backend,
        job.engine,
        job.seed
    );
    match outcome {
        Outcome::Found {
            signature,
            execs,
            secs,
            ..
        } => format!("{what}: {signature} after {execs} execs, {secs:.3} s"),
        Outcome::Clean { execs } => format!("{what}: nothing in {execs} execs"),
        Outcome::Hang => format!("{what}: hang (killed past the budget)"),
        Outcome::Failed(why) => format!("{what}: FAILED: {why}"),
    }
}

/// `zoo.md`: how it was made, the table, and the control's verdict.
fn markdown(config: &Config, board: &Scoreboard) -> String {
    let verdict = match (config.control, board.sound()) {
        (true, true) => "The control is clean: no finding with no bug planted.",
        (true, false) => "**The control is not clean or a run failed: a defect in the harness.**",
        (false, true) => "No control was run (`--no-control`); every run completed.",
        (false, false) => "No control was run (`--no-control`). **A run failed.**",
    };
    format!(
        "# Bug zoo\n\n{} seeds ({}..={}), {} s per run, {}.\n\n{}\n{verdict}\n",
        config.seeds.len(),
        config.seeds.first().copied().unwrap_or(0),
        config.seeds.last().copied().unwrap_or(0),
        config.time.as_secs(),
        engines_line(&config.engines),
        table::markdown(&board.rows)
    )
}

fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text).map_err(|e| CliError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oracles::FindingKind;

    fn row(bug: Option<Bug>, outcome: Outcome) -> Row {
        Row {
            bug,
            backend: "rootmem",
            engine: Engine::Builtin,
            budget: 1,
            outcomes: vec![outcome],
        }
    }

    #[test]
    fn a_control_finding_or_a_failed_run_makes_the_zoo_unsound() {
        let found = Outcome::Found {
            kind: FindingKind::Overlap,
            signature: String::new(),
            execs: 1,
            secs: 0.0,
        };
        let clean = Outcome::Clean { execs: 9 };
        let fault = Some(Bug::R1RelativeAlign);
        let sound = |rows| Scoreboard { rows }.sound();
        assert!(sound(vec![
            row(fault, found.clone()),
            row(None, clean.clone())
        ]));
        assert!(sound(vec![
            row(fault, clean.clone()),
            row(None, clean.clone())
        ]));
        assert!(!sound(vec![row(fault, found.clone()), row(None, found)]));
        assert!(!sound(vec![row(None, Outcome::Hang)]));
        assert!(!sound(vec![row(fault, Outcome::Failed("x".into()))]));
    }

    #[test]
    fn the_plan_adds_one_control_row_per_backend() {
        let config = Config {
            bugs: vec![
                Bug::B1LooseMerge,
                Bug::B2NodeRelativeAlign,
                Bug::R1RelativeAlign,
            ],
            seeds: vec![1, 2],
            time: Duration::from_secs(1),
            out: PathBuf::from("zoo"),
            jobs: 1,
            control: true,
            engines: vec![Engine::Builtin],
            libfuzzer_dir: PathBuf::new(),
        };
        let rows = plan(&config);
        let controls: Vec<&str> = rows
            .iter()
            .filter(|r| r.bug.is_none())
            .map(|r| r.backend)
            .collect();
        assert_eq!(rows.len(), 5);
        assert_eq!(controls, ["bootmem", "rootmem"]);
        assert!(rows.iter().all(|r| r.outcomes.len() == 2));
    }
}
