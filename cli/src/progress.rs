//! Live progress of `bootfuzz run` on stderr: one line updated a few times
//! per second when stderr is a terminal, otherwise a plain line every ten
//! seconds (so logs of unattended runs stay readable).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the live line is redrawn.
const REDRAW: Duration = Duration::from_millis(250);
/// How often a plain line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

/// The counters shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Inputs run so far.
    pub execs: u64,
    /// Distinct finding signatures so far.
    pub findings: usize,
    /// Inputs in the corpus.
    pub corpus: usize,
    /// Semantic features reached.
    pub features: usize,
}

enum Display {
    /// A live line (stderr is a terminal).
    Live(ProgressBar),
    /// Plain lines (stderr is a file or a pipe).
    Plain,
}

/// The progress reporter of one run.
pub struct Progress {
    display: Display,
    start: Instant,
    next: Duration,
}

impl Progress {
    /// Starts reporting; the clock of the run starts at `start`.
    pub fn new(start: Instant) -> Progress {
        let display = if io::stderr().is_terminal() {
            Display::Live(live_line())
        } else {
            Display::Plain
        };
        let next = match display {
            Display::Live(_) => Duration::ZERO,
            Display::Plain => PLAIN_EVERY,
        };
        Progress {
            display,
            start,
            next,
        }
    }

    /// Shows `counters` if it is time to.
    pub fn update(&mut self, counters: Counters) {
        let elapsed = self.start.elapsed();
        if elapsed < self.next {
            return;
        }
        match &self.display {
            Display::Live(bar) => {
                bar.set_message(format!(
                    "{} execs  {} exec/s  corpus {}  features {}  {} findings",
                    counters.execs,
                    rate(counters.execs, elapsed),
                    counters.corpus,
                    counters.features,
                    counters.findings
                ));
                self.next = elapsed + REDRAW;
            }
            Display::Plain => {
                // A failure to write progress must not stop the run.
                let _ = writeln!(
                    io::stderr(),
                    "bootfuzz: {} s, {} execs, {} exec/s, corpus {}, features {}, {} findings",
                    elapsed.as_secs(),
                    counters.execs,
                    rate(counters.execs, elapsed),
                    counters.corpus,
                    counters.features,
                    counters.findings
                );
                self.next = elapsed + PLAIN_EVERY;
            }
        }
    }

    /// Runs `f` (which prints to stdout) with the live line out of the way.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.display {
            Display::Live(bar) => bar.suspend(f),
            Display::Plain => f(),
        }
    }

    /// Clears the live line.
    pub fn finish(self) {
        if let Display::Live(bar) = self.display {
            bar.finish_and_clear();
        }
    }
}

/// Executions per second, rounded down; `execs` itself under a millisecond.
pub fn rate(execs: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs < 0.001 {
        execs
    } else {
        (execs as f64 / secs) as u64
    }
}

/// The live line: a spinner, the elapsed time and the counters.
fn live_line() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(4));
    if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(REDRAW);
    bar
}
