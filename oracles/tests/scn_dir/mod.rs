//! Loading a directory of `.scn` scenarios under `corpus/`, for the tests
//! that replay them (regressions, hand-written seeds).

use oracles::{text, Scenario};
use std::path::{Path, PathBuf};

/// `corpus/<name>/`.
pub fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(name)
}

/// Every `corpus/<name>/*.scn`, parsed, with its path, in name order.
/// Panics (failing the test) on an unreadable directory or file, a parse
/// error (naming the file and line), or a directory with no scenario.
pub fn load(name: &str) -> Vec<(PathBuf, Scenario)> {
    load_with_comments(name)
        .into_iter()
        .map(|(file, scenario, _)| (file, scenario))
        .collect()
}

/// As [`load`], with each file's `#` comment lines (the `#` and one space
/// removed).
pub fn load_with_comments(name: &str) -> Vec<(PathBuf, Scenario, Vec<String>)> {
    let dir = corpus_dir(name);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "scn"))
            .collect(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    files.sort();
    assert!(!files.is_empty(), "no scenarios in {}", dir.display());
    files
        .into_iter()
        .map(|file| {
            let source = match std::fs::read_to_string(&file) {
                Ok(s) => s,
                Err(e) => panic!("{}: {e}", file.display()),
            };
            let comments = source
                .lines()
                .filter_map(|l| l.strip_prefix('#'))
                .map(|l| l.strip_prefix(' ').unwrap_or(l).to_string())
                .collect();
            match text::parse(&source) {
                Ok(scenario) => (file, scenario, comments),
                Err(e) => panic!("{}:{}: {}", file.display(), e.line, e.message),
            }
        })
        .collect()
}
