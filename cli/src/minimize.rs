//! `bootfuzz minimize`: shrink one input while its first finding keeps
//! its signature ([`oracles::minimize`]), and write the result as a
//! commented `.scn` file. Also the shared step of `regress` and `triage`.

use crate::error::CliError;
use crate::input;
use bootmem::BugSet;
use oracles::minimize::{self, Minimized, Size};
use oracles::{BackendInfo, Finding, Scenario, Signature};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A minimized input: where it came from, its finding, the result.
#[derive(Debug)]
pub struct Shrunk {
    /// The input file.
    pub source: PathBuf,
    /// The first finding of the minimized scenario (its signature is the
    /// input's).
    pub finding: Finding,
    /// The minimization.
    pub minimized: Minimized,
}

impl Shrunk {
    /// The signature kept.
    pub fn signature(&self) -> Signature {
        self.finding.signature()
    }
}

/// Minimizes `scenario` (read from `source`) keeping the signature of its
/// first finding on `backends` with `bugs` planted; an input without a
/// finding is an error naming the file.
pub fn shrink(
    source: &Path,
    scenario: &Scenario,
    backends: &[BackendInfo],
    bugs: BugSet,
    budget: usize,
) -> Result<Shrunk, CliError> {
    let Some(signature) = minimize::first_signature(scenario, backends, bugs) else {
        return Err(CliError::NoFinding {
            path: source.to_path_buf(),
            bugs,
        });
    };
    let minimized = minimize::minimize_finding(scenario, backends, bugs, signature, budget)
        .map_err(|e| CliError::NotReproduced {
            path: source.to_path_buf(),
            message: e.to_string(),
        })?;
    let report = oracles::run_with_bugs(&minimized.scenario, backends, bugs);
    match report.findings.into_iter().next() {
        Some(finding) if finding.signature() == signature => Ok(Shrunk {
            source: source.to_path_buf(),
            finding,
            minimized,
        }),
        other => Err(CliError::NotReproduced {
            path: source.to_path_buf(),
            message: format!(
                "the minimized scenario gives {}, not {signature}",
                other.map_or("no finding".to_string(), |f| f.signature().to_string())
            ),
        }),
    }
}

/// `ops 37 -> 3, RAM ranges 2 -> 1, nodes 2 -> 1, .scn 1234 -> 210 bytes`.
pub fn size_change(before: Size, after: Size) -> String {
    format!(
        "ops {} -> {}, RAM ranges {} -> {}, nodes {} -> {}, .scn {} -> {} bytes",
        before.ops,
        after.ops,
        before.ranges,
        after.ranges,
        before.nodes,
        after.nodes,
        before.text_bytes,
        after.text_bytes
    )
}

/// The `--bug` flag that replays a finding made with `bugs` planted, or an
/// empty string.
pub fn bug_flag(bugs: BugSet) -> String {
    if bugs.is_empty() {
        return String::new();
    }
    format!(" --bug {bugs}")
}

/// The minimized `.scn` text: `#` comments naming the signature (`#
/// <title>: SIGNATURE`), the finding, the planted bugs and the source,
/// then the scenario.
pub fn scn_text(shrunk: &Shrunk, bugs: BugSet, title: &str) -> String {
    let m = &shrunk.minimized;
    let mut text = format!("# {title}: {}\n", shrunk.signature());
    for line in shrunk.finding.to_string().lines() {
        text.push_str(&format!("# finding: {line}\n"));
    }
    if !bugs.is_empty() {
        let flag = bug_flag(bugs);
        text.push_str(&format!(
            "# planted bugs:{} (replay with{flag})\n",
            flag.trim_start_matches(" --bug")
        ));
    }
    text.push_str(&format!(
        "# minimized from {}: {}{}\n",
        shrunk.source.display(),
        size_change(m.before, m.after),
        if m.complete { "" } else { " (budget spent)" }
    ));
    text.push_str(&oracles::text::print(&m.scenario));
    text
}

/// The default output of `minimize FILE`: `FILE.min.scn` (a `.scn` input
/// loses its extension first: `x.scn` gives `x.min.scn`).
pub fn default_out(file: &Path) -> PathBuf {
    let stem = match input::Format::of(file) {
        input::Format::Text => file.with_extension(""),
        input::Format::Bytes => file.to_path_buf(),
    };
    let mut name = stem.into_os_string();
    name.push(".min.scn");
    PathBuf::from(name)
}

/// `bootfuzz minimize FILE`: minimizes it, writes `out` (never over an
/// existing file) and prints the signature and the sizes before and after.
pub fn minimize_file(
    file: &Path,
    out_path: Option<&Path>,
    backends: &[BackendInfo],
    bugs: BugSet,
    budget: usize,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let target = out_path.map_or_else(|| default_out(file), Path::to_path_buf);
    if target.exists() {
        return Err(CliError::Exists(target));
    }
    let scenario = input::load(file)?;
    let shrunk = shrink(file, &scenario, backends, bugs, budget)?;
    crate::artifacts::write_new(&target, scn_text(&shrunk, bugs, "signature").as_bytes())?;
    let m = &shrunk.minimized;
    writeln!(out, "{}: {}", file.display(), shrunk.signature())?;
    writeln!(
        out,
        "  {} ({} replays{})",
        size_change(m.before, m.after),
        m.replays,
        if m.complete { "" } else { ", budget spent" }
    )?;
    writeln!(
        out,
        "  wrote {} (bootfuzz replay {}{})",
        target.display(),
        target.display(),
        bug_flag(bugs)
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_output_sits_beside_the_input() {
        assert_eq!(
            default_out(Path::new("a/crash-12ab")),
            PathBuf::from("a/crash-12ab.min.scn")
        );
        assert_eq!(default_out(Path::new("x.scn")), PathBuf::from("x.min.scn"));
    }
}
