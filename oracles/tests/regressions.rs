//! Replays every `corpus/regressions/*.scn` against every registered
//! backend: each must pass (SPEC section 8). A regression pins down a bug
//! that was found and fixed; its first comment lines say which.

use oracles::{backends, run, text};
use std::path::Path;

#[test]
fn every_regression_passes_on_every_backend() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/regressions");
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "scn"))
            .collect(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    files.sort();
    assert!(!files.is_empty(), "no regressions in {}", dir.display());
    let all = backends();
    let mut failures = Vec::new();
    for file in &files {
        let source = match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => panic!("{}: {e}", file.display()),
        };
        let scenario = match text::parse(&source) {
            Ok(s) => s,
            Err(e) => panic!("{}:{}: {}", file.display(), e.line, e.message),
        };
        for finding in run(&scenario, &all).findings {
            failures.push(format!("{}: {finding}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
