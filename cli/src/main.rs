//! `bootfuzz`: the command-line front door of the harness.
//!
//! This file parses the arguments and dispatches; each command lives in its
//! own module. Exit codes: 0 when nothing was found, 1 when a finding was
//! reported, 2 for a usage error or bad input (one line on stderr,
//! `bootfuzz: error: ...`, never a panic).

mod artifacts;
mod backends;
mod cmin;
mod columns;
mod encode;
mod engine;
mod error;
mod faults;
mod hash;
mod input;
mod minimize;
mod prng;
mod progress;
mod regress;
mod replay;
#[cfg(test)]
mod scratch;
mod select;
mod show;
mod triage;
mod watchdog;
mod zoo;

use bootmem::BugSet;
use clap::{Args, Parser, Subcommand};
use error::CliError;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Fuzzing and differential testing of Linux early-boot memory allocators.
#[derive(Parser)]
#[command(name = "bootfuzz", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fuzz with the built-in engine: structure-aware mutation of scenarios,
    /// kept by semantic coverage, seeded from corpus/ (stable toolchain, no
    /// fuzzer needed).
    Run(RunArgs),
    /// Replay inputs (raw engine bytes, `.scn` files, or directories of
    /// them) and print what they find.
    Replay(ReplayArgs),
    /// Minimize a corpus: keep a smallest set of inputs (from any engine)
    /// that reaches the same semantic features, copied to --out.
    Cmin(CminArgs),
    /// Group crash files from any engine by finding signature, and write a
    /// minimized reproducer, a report, a regression test and a memory map
    /// per group, with index.md and index.html.
    Triage(TriageArgs),
    /// Shrink one input (ops, RAM ranges, nodes, numbers) while its first
    /// finding keeps its signature; writes a commented `.scn`.
    Minimize(MinimizeArgs),
    /// Minimize an input and add it to corpus/regressions/, which
    /// `cargo test` replays against every backend.
    Regress(RegressArgs),
    /// Print the scenario of an input as `.scn` text.
    Show(ShowArgs),
    /// Turn `.scn` scenarios into the engine bytes that decode back to
    /// them (seed corpora for every engine).
    Encode(EncodeArgs),
    /// List the registered backends and their profiles.
    Backends,
    /// List the planted historical bugs (`--bug`, `zoo --fault`).
    Faults {
        /// Print a Markdown table.
        #[arg(long)]
        markdown: bool,
    },
    /// Measure how fast the engines find each planted historical bug, with
    /// a no-bug control; writes zoo.md, zoo.csv and runs.csv.
    Zoo(ZooArgs),
}

/// `--backend`, shared by the commands that play scenarios.
#[derive(Args)]
struct BackendArgs {
    /// Play against this backend (repeatable) [default: every registered backend].
    #[arg(long = "backend", value_name = "NAME", value_parser = select::name_parser())]
    backends: Vec<String>,
    /// Plant historical bugs (comma-separated ids, e.g. `R1`) in the
    /// backends they belong to; see `bootmem::bugs` [default: none].
    #[arg(long = "bug", value_name = "IDS", env = "BOOTFUZZ_BUG",
          default_value = "", hide_default_value = true, value_parser = parse_bugs)]
    bugs: BugSet,
}

/// The clap parser for `--timeout`: non-negative seconds, fractions allowed.
fn parse_timeout(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` is not a usable time budget"))
}

/// The clap parser for `--strategy`.
fn parse_strategy(text: &str) -> Result<engine::Strategy, String> {
    match text {
        "structure" => Ok(engine::Strategy::Structure),
        "random" => Ok(engine::Strategy::Random),
        _ => Err(format!("`{text}` is not a strategy (structure, random)")),
    }
}

/// The clap parser for `--bug`: an unknown id is a usage error (exit 2).
fn parse_bugs(list: &str) -> Result<BugSet, String> {
    BugSet::parse(list)
}

#[derive(Args)]
struct RunArgs {
    /// Stop after this many seconds (0: no time limit).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    time: u64,
    /// Seed of the input generator [default: from the clock; always printed].
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Stop after this many executions.
    #[arg(long, value_name = "N")]
    runs: Option<u64>,
    /// Longest fresh random input in bytes; lengths are drawn from 0..=N.
    #[arg(long, value_name = "N", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(0..=1 << 24))]
    max_len: u32,
    /// Worker threads. The run is the same for the same --seed and --jobs.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    /// Seed inputs: files or directories of raw bytes and `.scn` (repeatable)
    /// [default: corpus/differential, corpus/<backend>, corpus/regressions,
    /// those that exist].
    #[arg(long = "corpus", value_name = "DIR")]
    corpus: Vec<PathBuf>,
    /// Start from no seed inputs.
    #[arg(long, conflicts_with = "corpus")]
    no_seeds: bool,
    /// Also write every input that joins the in-memory corpus to DIR.
    #[arg(long, value_name = "DIR")]
    save_corpus: Option<PathBuf>,
    /// `structure`: mutants of corpus entries kept by semantic coverage;
    /// `random`: fresh random bytes only, no feedback.
    #[arg(long, value_name = "HOW", default_value = "structure", value_parser = parse_strategy)]
    strategy: engine::Strategy,
    /// Directory for the in-flight input and the saved reproducers.
    #[arg(long, value_name = "DIR", default_value = "artifacts")]
    artifacts: PathBuf,
    /// Stop at the first finding, as libFuzzer does by default.
    #[arg(long)]
    stop_on_finding: bool,
    /// One input's time budget in seconds (fractions allowed): past it the
    /// input is saved as a `hang` finding and the run ends with code 1
    /// (0: no watchdog).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    timeout: Duration,
    #[command(flatten)]
    backends: BackendArgs,
}

#[derive(Args)]
struct ReplayArgs {
    /// Inputs: `.scn` text, raw engine bytes (any other name), or directories.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// The fuzz target the inputs come from: `native_memblock` decodes them
    /// as native memblock calls; every other target takes scenarios
    /// [default: a scenario target].
    #[arg(long, value_name = "NAME", value_parser = replay::Target::parse)]
    target: Option<replay::Target>,
    #[command(flatten)]
    backends: BackendArgs,
}

/// The replays one minimization may spend.
#[derive(Args)]
struct BudgetArgs {
    /// Replays one minimization may spend; past it the result keeps the
    /// finding but may shrink further.
    #[arg(long, value_name = "N", default_value_t = oracles::minimize::DEFAULT_BUDGET)]
    budget: usize,
}

#[derive(Args)]
struct TriageArgs {
    /// Crash files or directories: fuzz/artifacts/<target>/, an AFL++
    /// output directory, hfuzz_workspace/<target>/, artifacts/ of
    /// `bootfuzz run`, or any files of raw bytes or `.scn`. An input under
    /// a directory named after a backend's fuzz target replays on that
    /// backend alone unless --backend is given.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Directory for the groups, index.md and index.html.
    #[arg(long, value_name = "DIR", default_value = "triage")]
    out: PathBuf,
    /// One input's replay time budget in seconds (fractions allowed): past
    /// it the input is printed as a hang and triage stops with code 1
    /// (0: no limit).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_timeout)]
    timeout: Duration,
    #[command(flatten)]
    budget: BudgetArgs,
    #[command(flatten)]
    backends: BackendArgs,
}

#[derive(Args)]
struct MinimizeArgs {
    /// The input: raw engine bytes or `.scn`.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Where to write the minimized `.scn` (never over an existing file)
    /// [default: FILE.min.scn].
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    budget: BudgetArgs,
    #[command(flatten)]
    backends: BackendArgs,
}

#[derive(Args)]
struct RegressArgs {
    /// The input: raw engine bytes or `.scn` (minimized first).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The regression's file name [default: the signature's slug].
    #[arg(long, value_name = "NAME", value_parser = parse_regression_name)]
    name: Option<String>,
    /// The regressions directory.
    #[arg(long, value_name = "DIR", default_value = "corpus/regressions")]
    dir: PathBuf,
    #[command(flatten)]
    budget: BudgetArgs,
    #[command(flatten)]
    backends: BackendArgs,
}

/// The clap parser for `regress --name`: a plain file name.
fn parse_regression_name(name: &str) -> Result<String, String> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(name.to_string())
    } else {
        Err(format!(
            "`{name}` is not a plain file name (letters, digits, `-`, `_`, `.`)"
        ))
    }
}

#[derive(Args)]
struct CminArgs {
    /// Inputs: raw engine bytes, `.scn` files, or directories of them.
    #[arg(value_name = "DIR", required = true)]
    inputs: Vec<PathBuf>,
    /// Directory the kept inputs are copied to (created if missing; an
    /// existing file is never overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    #[command(flatten)]
    backends: BackendArgs,
}

#[derive(Args)]
struct ZooArgs {
    /// The faults to measure (comma-separated ids) [default: every
    /// historical fault the bootmem-compatible API can reach: all but M15,
    /// X1 and X2].
    #[arg(long = "fault", value_name = "IDS", value_parser = parse_bugs)]
    faults: Option<BugSet>,
    /// Seeds per fault and engine.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    seeds: u64,
    /// The first seed; the others follow it.
    #[arg(long, value_name = "N", default_value_t = 1)]
    first_seed: u64,
    /// Time budget of each run, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    time: u64,
    /// Runs at once (each is its own process).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
    /// Directory for zoo.md, zoo.csv, runs.csv and the runs' artifacts.
    #[arg(long, value_name = "DIR", default_value = "zoo")]
    out: PathBuf,
    /// Skip the false-positive control.
    #[arg(long)]
    no_control: bool,
    /// The engines (comma-separated): builtin, random (the built-in engine
    /// with no structure or feedback), libfuzzer (the cargo-fuzz targets,
    /// built first with `cargo +nightly fuzz build -O --fuzz-dir fuzz`).
    #[arg(long = "engine", value_name = "NAMES", default_value = "builtin",
          value_delimiter = ',', value_parser = zoo::engine::Engine::parse)]
    engines: Vec<zoo::engine::Engine>,
    /// Where the libFuzzer target binaries are [default:
    /// fuzz/target/<arch>-unknown-linux-gnu/release].
    #[arg(long, value_name = "DIR")]
    libfuzzer_dir: Option<PathBuf>,
}

#[derive(Args)]
struct EncodeArgs {
    /// `.scn` files, or directories of them.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Directory for the `.bin` files (one per input, same stem).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Args)]
struct ShowArgs {
    /// An input: `.scn` text or raw engine bytes.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The fuzz target the input comes from (`native_memblock` prints its
    /// native calls) [default: a scenario target].
    #[arg(long, value_name = "NAME", value_parser = replay::Target::parse)]
    target: Option<replay::Target>,
}

/// How a command that ran to its end went.
enum Status {
    /// Nothing found.
    Clean,
    /// At least one finding.
    Findings,
}

impl Status {
    fn from_found(found: bool) -> Status {
        if found {
            Status::Findings
        } else {
            Status::Clean
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Err(e) if e.is_broken_pipe() => ExitCode::from(2),
        Err(e) => {
            let line = e.to_string().replace(['\n', '\r'], " ");
            // Nothing more can be done if stderr itself is gone.
            let _ = writeln!(io::stderr(), "bootfuzz: error: {line}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(command: Command) -> Result<Status, CliError> {
    // Not locked for the whole command: the watchdog's thread must be able
    // to print a hang while the main thread is stuck in a call.
    let mut out = io::stdout();
    match command {
        Command::Run(args) => run(args, &mut out),
        Command::Replay(args) if args.target == Some(replay::Target::NativeMemblock) => {
            replay::replay_native(&args.files, args.backends.bugs, &mut out).map(Status::from_found)
        }
        Command::Replay(args) => {
            let backends = select::chosen(&args.backends.backends)?;
            replay::replay(&args.files, &backends, args.backends.bugs, &mut out)
                .map(Status::from_found)
        }
        Command::Cmin(args) => {
            let backends = select::chosen(&args.backends.backends)?;
            cmin::cmin(
                &args.inputs,
                &args.out,
                &backends,
                args.backends.bugs,
                &mut out,
            )
            .map(|_| Status::Clean)
        }
        Command::Triage(args) => {
            let options = triage::Options {
                out_dir: args.out,
                backends: select::chosen(&args.backends.backends)?,
                chosen: !args.backends.backends.is_empty(),
                bugs: args.backends.bugs,
                budget: args.budget.budget,
                timeout: (!args.timeout.is_zero()).then_some(args.timeout),
            };
            triage::triage(&args.paths, &options, &mut out).map(|()| Status::Clean)
        }
        Command::Minimize(args) => {
            let backends = select::chosen(&args.backends.backends)?;
            minimize::minimize_file(
                &args.file,
                args.out.as_deref(),
                &backends,
                args.backends.bugs,
                args.budget.budget,
                &mut out,
            )
            .map(|()| Status::Clean)
        }
        Command::Regress(args) => {
            let backends = select::chosen(&args.backends.backends)?;
            regress::regress(
                &args.file,
                &args.dir,
                args.name.as_deref(),
                &backends,
                args.backends.bugs,
                args.budget.budget,
                &mut out,
            )
            .map(|_| Status::Clean)
        }
        Command::Show(args) if args.target == Some(replay::Target::NativeMemblock) => {
            show::show_native(&args.file, &mut out).map(|()| Status::Clean)
        }
        Command::Show(args) => show::show(&args.file, &mut out).map(|()| Status::Clean),
        Command::Encode(args) => {
            encode::encode(&args.files, &args.out, &mut out).map(|()| Status::Clean)
        }
        Command::Zoo(args) => zoo(args, &mut out),
        Command::Faults { markdown } => {
            faults::print(markdown, &mut out)?;
            Ok(Status::Clean)
        }
        Command::Backends => {
            backends::print_table(&oracles::backends(), &mut out)?;
            Ok(Status::Clean)
        }
    }
}

/// The planted bugs for the start line: `none` or `R1,R2`.
fn bug_names(bugs: BugSet) -> String {
    if bugs.is_empty() {
        return "none".to_string();
    }
    bugs.to_string()
}

fn run(args: RunArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    let backends = select::chosen(&args.backends.backends)?;
    let seeds = if args.no_seeds {
        Vec::new()
    } else if args.corpus.is_empty() {
        engine::default_dirs(std::path::Path::new("corpus"), &backends)
    } else {
        args.corpus
    };
    let config = engine::Config {
        seed: args.seed.unwrap_or_else(prng::clock_seed),
        time: (args.time > 0).then(|| Duration::from_secs(args.time)),
        runs: args.runs,
        max_len: args.max_len as usize,
        backends,
        bugs: args.backends.bugs,
        artifacts: args.artifacts,
        stop_on_finding: args.stop_on_finding,
        timeout: (!args.timeout.is_zero()).then_some(args.timeout),
        jobs: usize::try_from(args.jobs).unwrap_or(1),
        seeds,
        save_corpus: args.save_corpus,
        strategy: args.strategy,
    };
    let seed_dirs: Vec<String> = config
        .seeds
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    writeln!(
        out,
        "bootfuzz run: seed {}, backends {}, bugs {}, time {}, runs {}, jobs {}, strategy {}, seeds {}, max-len {}, artifacts {}",
        config.seed,
        select::names(&config.backends),
        bug_names(config.bugs),
        config
            .time
            .map_or("unlimited".to_string(), |t| format!("{} s", t.as_secs())),
        config
            .runs
            .map_or("unlimited".to_string(), |r| r.to_string()),
        config.jobs,
        match config.strategy {
            engine::Strategy::Structure => "structure",
            engine::Strategy::Random => "random",
        },
        if seed_dirs.is_empty() {
            "none".to_string()
        } else {
            seed_dirs.join(" ")
        },
        config.max_len,
        config.artifacts.display()
    )?;
    out.flush()?;
    let summary = engine::run(&config, out)?;
    writeln!(out, "{summary}")?;
    Ok(Status::from_found(summary.findings > 0))
}

fn zoo(args: ZooArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::io("bootfuzz", e))?;
    let bugs = match args.faults {
        Some(set) => set.bugs(),
        None => bootmem::Bug::ALL
            .into_iter()
            .filter(|b| b.historical() && b.reachable_through_layer())
            .collect(),
    };
    let config = zoo::Config {
        bugs,
        seeds: (0..args.seeds)
            .map(|i| args.first_seed.wrapping_add(i))
            .collect(),
        time: Duration::from_secs(args.time),
        out: args.out,
        jobs: usize::try_from(args.jobs).unwrap_or(1),
        control: !args.no_control,
        engines: {
            let mut engines = args.engines;
            engines.sort_unstable();
            engines.dedup();
            engines
        },
        libfuzzer_dir: args
            .libfuzzer_dir
            .unwrap_or_else(zoo::engine::default_libfuzzer_dir),
    };
    let board = zoo::run(&exe, &config, out)?;
    if board.sound() {
        let control = if config.control {
            "control clean"
        } else {
            "no control run"
        };
        writeln!(out, "zoo: {control}, every run completed")?;
        Ok(Status::Clean)
    } else {
        writeln!(
            out,
            "zoo: FAILED: the control found something or a run failed (see above): a defect in the harness"
        )?;
        Ok(Status::Findings)
    }
}
