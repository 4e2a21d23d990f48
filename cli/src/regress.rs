//! `bootfuzz regress FILE`: pin a finding down as a regression. The input
//! is minimized ([`crate::minimize::shrink`]) and written to
//! `corpus/regressions/<name>.scn` with comment lines naming its
//! signature and the planted bugs that reproduce it. `cargo test`
//! replays every regression against every backend and expects it to pass
//! once the bug is fixed (`oracles/tests/regressions.rs`); for a planted
//! bug it also checks that planting the bug again brings the signature
//! back.

use crate::artifacts;
use crate::error::CliError;
use crate::input;
use crate::minimize::{bug_flag, scn_text, shrink, size_change};
use bootmem::BugSet;
use oracles::BackendInfo;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The regression's file name: `name` if given, else the signature's slug
/// (`overlap.bootmem.alloc.over-reserved.scn`).
pub fn file_name(name: Option<&str>, slug: &str) -> String {
    let stem = name.unwrap_or(slug);
    let stem = stem.strip_suffix(".scn").unwrap_or(stem);
    format!("{stem}.scn")
}

/// Minimizes `file` and writes it into `dir` (created if missing) as a
/// new regression; an existing regression of that name is an error, never
/// overwritten. Prints what was written and how to check it.
pub fn regress(
    file: &Path,
    dir: &Path,
    name: Option<&str>,
    backends: &[BackendInfo],
    bugs: BugSet,
    budget: usize,
    out: &mut dyn Write,
) -> Result<PathBuf, CliError> {
    let scenario = input::load(file)?;
    let shrunk = shrink(file, &scenario, backends, bugs, budget)?;
    let slug = artifacts::slug(&shrunk.signature());
    let target = dir.join(file_name(name, &slug));
    if target.exists() {
        return Err(CliError::Exists(target));
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    let text = scn_text(&shrunk, bugs, "Regression");
    artifacts::write_new(&target, text.as_bytes())?;
    let m = &shrunk.minimized;
    writeln!(
        out,
        "{}: {} ({})",
        file.display(),
        shrunk.signature(),
        size_change(m.before, m.after)
    )?;
    writeln!(out, "  wrote {}", target.display())?;
    writeln!(
        out,
        "  it fails now: bootfuzz replay {}{}",
        target.display(),
        bug_flag(bugs)
    )?;
    writeln!(
        out,
        "  cargo test -p oracles --test regressions replays it on every backend"
    )?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regression_is_named_after_its_signature_unless_named() {
        assert_eq!(
            file_name(None, "goal.rootmem.alloc.x"),
            "goal.rootmem.alloc.x.scn"
        );
        assert_eq!(file_name(Some("b1-packing"), "s"), "b1-packing.scn");
        assert_eq!(file_name(Some("b1.scn"), "s"), "b1.scn");
    }
}
