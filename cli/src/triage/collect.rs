//! Finding the crash files in what a user names: files, and directories in
//! the layouts the engines leave behind.
//!
//! - cargo-fuzz: `fuzz/artifacts/<target>/` holds `crash-`, `timeout-`,
//!   `oom-` and `slow-unit-` files: every file in it is an input.
//! - AFL++: `-o out` holds one directory per fuzzer instance, each with a
//!   `crashes/` (and `hangs/`) directory; naming `out`, `out/default` or
//!   `out/default/crashes` all work. Its queue is not a crash and is never
//!   read.
//! - honggfuzz: `hfuzz_workspace/<target>/` holds `*.fuzz` crash files
//!   beside its `input/` corpus directory, which is not read; with `-u
//!   --crashdir hfuzz_workspace/<target>/crashes` they are in `crashes/`,
//!   found as an AFL++ instance's are.
//! - `bootfuzz run`: `artifacts/` holds each finding twice, as `X.bin`
//!   and its readable twin `X.scn`; only the `.bin` is read.
//!
//! Engine notes (`*.txt`) and hidden files are skipped ([`input::expand`]).
//!
//! The fuzz target an input came from is read from its path
//! ([`target_of`]): the engines name their directories after it.

use crate::error::CliError;
use crate::input;
use std::path::{Path, PathBuf};

/// The directories under an AFL++ instance that hold inputs worth triage.
const AFL_FINDINGS: [&str; 2] = ["crashes", "hangs"];

/// The crash files in `paths`, each once, in the order given (files in a
/// directory sorted by name).
pub fn crash_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        for dir_or_file in afl_dirs(path)?.unwrap_or_else(|| vec![path.clone()]) {
            files.extend(without_twins(input::expand(&[dir_or_file])?));
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.clone()));
    Ok(files)
}

/// When `path` is an AFL++ output directory (`out/`, with instances) or
/// one instance (`out/default/`), the `crashes/` and `hangs/` directories
/// in it; `None` for anything else.
fn afl_dirs(path: &Path) -> Result<Option<Vec<PathBuf>>, CliError> {
    if !path.is_dir() {
        return Ok(None);
    }
    let findings_in = |dir: &Path| -> Vec<PathBuf> {
        AFL_FINDINGS
            .iter()
            .map(|name| dir.join(name))
            .filter(|d| d.is_dir())
            .collect()
    };
    let own = findings_in(path);
    if !own.is_empty() {
        return Ok(Some(own));
    }
    let mut instances = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| CliError::io(path, e))? {
        let sub = entry.map_err(|e| CliError::io(path, e))?.path();
        if sub.is_dir() {
            instances.extend(findings_in(&sub));
        }
    }
    instances.sort();
    Ok((!instances.is_empty()).then_some(instances))
}

/// The fuzz target named by the last directory of `path` that has a
/// target's name (`fuzz/artifacts/bootmem/crash-1` gives `bootmem`,
/// `hfuzz_workspace/rootmem/x.fuzz` gives `rootmem`, an AFL++ output
/// directory `-o out/bootmem2` gives `bootmem2`), if any.
pub fn target_of(path: &Path) -> Option<&'static str> {
    let parent = path.parent()?;
    parent.components().rev().find_map(|c| {
        let name = c.as_os_str().to_str()?;
        oracles::fuzz::TARGETS.iter().copied().find(|t| *t == name)
    })
}

/// `files` without the `.scn` twin of a `.bin` also listed.
fn without_twins(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let bins: std::collections::HashSet<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "bin"))
        .map(|f| f.with_extension(""))
        .collect();
    files
        .into_iter()
        .filter(|f| {
            !(f.extension().is_some_and(|e| e == "scn") && bins.contains(&f.with_extension("")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::temp_dir;
    use std::fs;

    fn touch(path: &Path) -> Result<(), CliError> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
        }
        fs::write(path, b"x").map_err(|e| CliError::io(path, e))
    }

    #[test]
    fn the_target_is_the_last_directory_named_after_one() {
        let of = |p: &str| target_of(Path::new(p));
        assert_eq!(of("fuzz/artifacts/bootmem/crash-1"), Some("bootmem"));
        assert_eq!(
            of("fuzz/afl/out/bootmem2/default/crashes/id:0"),
            Some("bootmem2")
        );
        assert_eq!(of("hfuzz_workspace/rootmem/SIGABRT.fuzz"), Some("rootmem"));
        assert_eq!(
            of("/src/bootmem/fuzz/artifacts/differential/crash-2"),
            Some("differential")
        );
        assert_eq!(of("artifacts/x.bin"), None);
        // The file's own name does not count.
        assert_eq!(of("crashes/bootmem"), None);
    }

    #[test]
    fn an_afl_output_directory_gives_its_crashes_and_hangs_not_its_queue() -> Result<(), CliError> {
        let out = temp_dir("afl");
        touch(&out.join("default/crashes/id:000000,sig:06"))?;
        touch(&out.join("default/crashes/README.txt"))?;
        touch(&out.join("default/hangs/id:000001"))?;
        touch(&out.join("default/queue/id:000002"))?;
        touch(&out.join("default/.cur_input"))?;
        for named in [
            out.clone(),
            out.join("default"),
            out.join("default/crashes"),
        ] {
            let files = crash_files(std::slice::from_ref(&named))?;
            let names: Vec<String> = files
                .iter()
                .filter_map(|f| f.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            let want: &[&str] = if named.ends_with("crashes") {
                &["id:000000,sig:06"]
            } else {
                &["id:000000,sig:06", "id:000001"]
            };
            assert_eq!(names, want, "{}", named.display());
        }
        let _ = fs::remove_dir_all(&out);
        Ok(())
    }

    #[test]
    fn a_run_artifact_counts_once_and_honggfuzz_corpus_is_not_read() -> Result<(), CliError> {
        let dir = temp_dir("twins");
        touch(&dir.join("artifacts/goal.x-00.bin"))?;
        touch(&dir.join("artifacts/goal.x-00.scn"))?;
        touch(&dir.join("artifacts/hand.scn"))?;
        touch(&dir.join("hfuzz/SIGABRT.PC.1.fuzz"))?;
        touch(&dir.join("hfuzz/HONGGFUZZ.REPORT.TXT"))?;
        touch(&dir.join("hfuzz/input/corpus-entry"))?;
        let files = crash_files(&[dir.join("artifacts"), dir.join("hfuzz")])?;
        let names: Vec<String> = files
            .iter()
            .filter_map(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["goal.x-00.bin", "hand.scn", "SIGABRT.PC.1.fuzz"]);
        let _ = fs::remove_dir_all(&dir);
        Ok(())
    }
}
