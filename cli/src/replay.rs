//! `bootfuzz replay`: play saved inputs (engine bytes or `.scn` text, or
//! directories of them) against the backends and print what they find.

use crate::error::CliError;
use crate::input;
use bootmem::BugSet;
use oracles::BackendInfo;
use std::io::Write;
use std::path::PathBuf;

/// What the inputs are for: how they decode and what plays them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Scenarios (every target but `native_memblock`): `.scn` text or
    /// bytes through `oracles::decode`, played on the chosen backends.
    Scenario,
    /// `native_memblock`: bytes through `oracles::native::decode`, native
    /// memblock calls played against their byte model.
    NativeMemblock,
}

impl Target {
    /// The target named `name`: `native_memblock`, or any other fuzz
    /// target (they all take scenarios).
    pub fn parse(name: &str) -> Result<Target, String> {
        match name {
            "native_memblock" => Ok(Target::NativeMemblock),
            n if oracles::fuzz::TARGETS.contains(&n) => Ok(Target::Scenario),
            n => Err(format!(
                "`{n}` is not a fuzz target ({})",
                oracles::fuzz::TARGETS.join(", ")
            )),
        }
    }
}

/// Replays native memblock inputs (raw bytes only) with `bugs` planted,
/// printing `FILE: ok` or `FILE: <finding>`. Returns whether anything was
/// found.
pub fn replay_native(
    paths: &[PathBuf],
    bugs: BugSet,
    out: &mut dyn Write,
) -> Result<bool, CliError> {
    let mut inputs = Vec::new();
    for file in input::expand(paths)? {
        if input::Format::of(&file) == input::Format::Text {
            return Err(CliError::Unavailable(format!(
                "{}: native_memblock inputs are raw bytes, not .scn text",
                file.display()
            )));
        }
        let data = std::fs::read(&file).map_err(|e| CliError::io(&file, e))?;
        inputs.push((file, data));
    }
    if inputs.is_empty() {
        writeln!(out, "no inputs to replay")?;
        return Ok(false);
    }
    let mut found = false;
    for (file, data) in &inputs {
        match oracles::native::play(data, bugs) {
            None => writeln!(out, "{}: ok", file.display())?,
            Some(finding) => {
                writeln!(out, "{}: {finding}", file.display())?;
                found = true;
            }
        }
    }
    Ok(found)
}

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
