//! One zoo run: a child process (`bootfuzz run`, or a libFuzzer target
//! binary; see [`super::engine`]), its output read back.
//!
//! Each run is its own process so that a planted bug that hangs or aborts
//! ends that run only: the zoo kills a child that outlives its budget by
//! [`GRACE`] and records a `hang`. The child's environment carries
//! `BOOTFUZZ_BUG` only when the job plants a fault, so a control run is a
//! run with no bug planted.

use super::engine::Engine;
use bootmem::Bug;
use oracles::FindingKind;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long past its time budget a child may run before it is killed and
/// its run recorded as a hang.
pub const GRACE: Duration = Duration::from_secs(30);

/// What one run is asked to do.
#[derive(Clone, Debug)]
pub struct Job {
    /// The planted fault, `None` for a control run.
    pub bug: Option<Bug>,
    /// The backend played against.
    pub backend: &'static str,
    /// The engine's seed.
    pub seed: u64,
    /// The time budget.
    pub time: Duration,
    /// Where the child saves its artifacts.
    pub artifacts: PathBuf,
    /// The engine.
    pub engine: Engine,
    /// Where the libFuzzer target binaries are.
    pub libfuzzer_dir: PathBuf,
}

/// How one run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The child reported a finding.
    Found {
        /// Its kind.
        kind: FindingKind,
        /// Its signature, as the child printed it.
        signature: String,
        /// Executions up to and including the finding input.
        execs: u64,
        /// Seconds from the start of the engine loop to the finding.
        secs: f64,
    },
    /// The budget ran out with nothing found.
    Clean {
        /// Executions in the budget.
        execs: u64,
    },
    /// The child outlived its budget by [`GRACE`] and was killed.
    Hang,
    /// The child could not be started or ended with an error of its own.
    Failed(String),
}

/// The child process of `job`: `bootfuzz run` from `exe`, or the
/// libFuzzer target binary.
fn command(exe: &Path, job: &Job) -> Command {
    let secs = job.time.as_secs().max(1).to_string();
    let mut command = match job.engine {
        Engine::Builtin | Engine::Random => {
            let mut c = Command::new(exe);
            c.arg("run")
                .args(["--backend", job.backend])
                .args(["--seed", &job.seed.to_string()])
                .args(["--time", &secs])
                .arg("--stop-on-finding")
                .arg("--no-seeds")
                .arg("--artifacts")
                .arg(&job.artifacts);
            if job.engine == Engine::Random {
                c.args(["--strategy", "random"]);
            }
            c
        }
        Engine::LibFuzzer => {
            let mut c = Command::new(job.libfuzzer_dir.join(job.backend));
            let mut prefix = job.artifacts.clone().into_os_string();
            prefix.push("/");
            let mut artifact_prefix = std::ffi::OsString::from("-artifact_prefix=");
            artifact_prefix.push(prefix);
            c.arg(format!("-seed={}", job.seed))
                .arg(format!("-max_total_time={secs}"))
                .arg("-timeout=10")
                .arg("-print_final_stats=1")
                .arg(artifact_prefix);
            c
        }
    };
    command
        .env_remove("BOOTFUZZ_BUG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    if let Some(bug) = job.bug {
        match job.engine {
            Engine::LibFuzzer => command.env("BOOTFUZZ_BUG", bug.id()),
            _ => command.args(["--bug", bug.id()]),
        };
    }
    command
}

/// Runs `job` (`bootfuzz run` from the binary at `exe`, or its libFuzzer
/// target) and waits for it.
pub fn run(exe: &Path, job: &Job) -> Outcome {
    if let Err(e) = std::fs::create_dir_all(&job.artifacts) {
        return Outcome::Failed(format!("{}: {e}", job.artifacts.display()));
    }
    let mut command = command(exe, job);
    let started = Instant::now();
    // The child's progress lines and errors go to a file beside its
    // artifacts: an undrained pipe could block a long run.
    let log = job.artifacts.with_extension("stderr.txt");
    match std::fs::File::create(&log) {
        Ok(f) => command.stderr(f),
        Err(e) => return Outcome::Failed(format!("{}: {e}", log.display())),
    };
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => return Outcome::Failed(format!("cannot start {}: {e}", exe.display())),
    };
    // Drain stdout on a thread so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = stdout.as_mut() {
            let _ = out.read_to_string(&mut text);
        }
        text
    });
    let deadline = Instant::now() + job.time + GRACE;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Outcome::Failed(format!("waiting for the child: {e}")),
        }
    };
    let wall = started.elapsed().as_secs_f64();
    let text = reader.join().unwrap_or_default();
    let Some(status) = status else {
        return Outcome::Hang;
    };
    if job.engine == Engine::LibFuzzer {
        let err = std::fs::read_to_string(&log).unwrap_or_default();
        return parse_libfuzzer(&err, job.backend, wall).unwrap_or_else(|| {
            Outcome::Failed(format!("child exited with {status}: see {}", log.display()))
        });
    }
    match status.code() {
        Some(0) | Some(1) => parse(&text),
        _ => {
            let err = std::fs::read_to_string(&log).unwrap_or_default();
            let line = err.lines().last().unwrap_or("no message").to_string();
            Outcome::Failed(format!("child exited with {status}: {line}"))
        }
    }
}

/// Reads a child's stdout: its first `finding:` line, or its `done:` line.
pub fn parse(text: &str) -> Outcome {
    if let Some(line) = text.lines().find_map(|l| l.strip_prefix("finding: ")) {
        return parse_finding(line)
            .unwrap_or_else(|| Outcome::Failed(format!("unreadable finding line: {line}")));
    }
    match text.lines().find_map(parse_done) {
        Some(execs) => Outcome::Clean { execs },
        None => Outcome::Failed("the child printed no summary".to_string()),
    }
}

/// `KIND/backend/op/detail at op #i: ... [path] (exec N, T s)`.
fn parse_finding(line: &str) -> Option<Outcome> {
    let signature = line.split_whitespace().next()?.to_string();
    let kind = FindingKind::from_name(signature.split('/').next()?)?;
    let (_, tail) = line.rsplit_once("(exec ")?;
    let (execs, rest) = tail.split_once(", ")?;
    let secs = rest.strip_suffix(" s)")?;
    Some(Outcome::Found {
        kind,
        signature,
        execs: execs.parse().ok()?,
        secs: secs.parse().ok()?,
    })
}

/// Reads a libFuzzer target's stderr: the signature from the target's
/// panic message (`bootfuzz finding: SIG`), a libFuzzer timeout as a
/// `hang`, the executions from `stat::number_of_executed_units`. libFuzzer
/// does not time its crash, so `wall` (the child's whole life, start-up
/// included) stands for the time to the finding.
pub fn parse_libfuzzer(stderr: &str, backend: &str, wall: f64) -> Option<Outcome> {
    let execs: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())?;
    let signature = stderr
        .lines()
        .find_map(|l| l.strip_prefix("bootfuzz finding: "))
        .map(str::to_string)
        .or_else(|| {
            stderr
                .contains("ERROR: libFuzzer: timeout")
                .then(|| format!("hang/{backend}/unknown/time-budget"))
        });
    match signature {
        Some(signature) => {
            let kind = FindingKind::from_name(signature.split('/').next()?)?;
            Some(Outcome::Found {
                kind,
                signature,
                execs,
                secs: wall,
            })
        }
        None if stderr.contains("ERROR: libFuzzer") || stderr.contains("==ERROR:") => None,
        None => Some(Outcome::Clean { execs }),
    }
}

/// `done: N execs in ...`.
fn parse_done(line: &str) -> Option<u64> {
    line.strip_prefix("done: ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_line_gives_kind_execs_and_seconds() {
        let text = "bootfuzz run: seed 1\n\
            finding: overlap/bootmem/alloc/over-allocated at op #95: x [a/b.bin] (exec 39, 0.012 s)\n\
            done: 39 execs in 0.0 s (3130 exec/s), 1 distinct findings, seed 1\n";
        assert_eq!(
            parse(text),
            Outcome::Found {
                kind: FindingKind::Overlap,
                signature: "overlap/bootmem/alloc/over-allocated".to_string(),
                execs: 39,
                secs: 0.012,
            }
        );
    }

    #[test]
    fn the_watchdogs_hang_line_parses_like_any_finding() {
        let text = "bootfuzz run: seed 1\n\nfinding: hang/early_res/free/time-budget at op #3: \
            the call was still running after 10.0 s [a/hang.bin] (exec 5, 10.104 s)\n";
        assert_eq!(
            parse(text),
            Outcome::Found {
                kind: FindingKind::Hang,
                signature: "hang/early_res/free/time-budget".to_string(),
                execs: 5,
                secs: 10.104,
            }
        );
    }

    #[test]
    fn a_libfuzzer_crash_gives_the_targets_signature_and_the_executed_units() {
        let err = "INFO: Seed: 3\n#2\tINITED cov: 10\n\
            thread '<unnamed>' panicked at oracles/src/fuzz.rs:120:9:\n\
            bootfuzz finding: overlap/bootmem/alloc/over-allocated\n\
            ==12== ERROR: libFuzzer: deadly signal\n\
            stat::number_of_executed_units: 4242\n";
        assert_eq!(
            parse_libfuzzer(err, "bootmem", 1.5),
            Some(Outcome::Found {
                kind: FindingKind::Overlap,
                signature: "overlap/bootmem/alloc/over-allocated".to_string(),
                execs: 4242,
                secs: 1.5,
            })
        );
        let done = "Done 900 runs in 2 second(s)\nstat::number_of_executed_units: 900\n";
        assert_eq!(
            parse_libfuzzer(done, "bootmem", 2.0),
            Some(Outcome::Clean { execs: 900 })
        );
        let oom = "==1== ERROR: libFuzzer: out-of-memory\nstat::number_of_executed_units: 5\n";
        assert_eq!(parse_libfuzzer(oom, "bootmem", 2.0), None);
        assert_eq!(parse_libfuzzer("garbage", "bootmem", 2.0), None);
    }

    #[test]
    fn a_clean_run_gives_its_exec_count_and_garbage_is_a_failure() {
        let text = "bootfuzz run: seed 1\ndone: 1234 execs in 10.0 s (123 exec/s), 0 distinct findings, seed 1\n";
        assert_eq!(parse(text), Outcome::Clean { execs: 1234 });
        assert!(matches!(parse("nothing"), Outcome::Failed(_)));
        assert!(matches!(
            parse("finding: nonsense (exec x, 1 s)"),
            Outcome::Failed(_)
        ));
    }
}
