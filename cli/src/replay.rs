//! `bootfuzz replay`: play saved inputs (engine bytes or `.scn` text, or
//! directories of them) against the backends and print what they find.

use crate::error::CliError;
use crate::input;
use bootmem::BugSet;
use oracles::BackendInfo;
use std::io::Write;
use std::path::PathBuf;

/// Replays every input in `paths` (directories expanded, sorted by name),
/// with `bugs` planted,
/// and prints `FILE: ok` or one `FILE: <finding>` line per finding (or
/// `no inputs to replay` when the directories hold none). Every
/// input is loaded before any runs, so a bad one stops the command before
/// it prints anything. Returns whether anything was found.
pub fn replay(
    paths: &[PathBuf],
    backends: &[BackendInfo],
    bugs: BugSet,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let files = input::expand(paths)?;
    let mut inputs = Vec::with_capacity(files.len());
    for file in files {
        let scenario = input::load(&file)?;
        inputs.push((file, scenario));
    }

    if inputs.is_empty() {
        // A directory with nothing in it: say so rather than print nothing.
        writeln!(out, "no inputs to replay")?;
        return Ok(false);
    }
    let mut found = false;
    for (file, scenario) in &inputs {
        let report = oracles::run_with_bugs(scenario, backends, bugs);
        if report.findings.is_empty() {
            writeln!(out, "{}: ok", file.display())?;
        }
        for finding in &report.findings {
            writeln!(out, "{}: {finding}", file.display())?;
            found = true;
        }
    }
    Ok(found)
}
