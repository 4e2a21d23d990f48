//! Replays every `corpus/regressions/*.scn` against every registered
//! backend: each must pass (SPEC section 8). A regression pins down a bug
//! that was found and fixed; its first comment lines say which.
//!
//! A regression written by `bootfuzz regress` from a planted bug carries
//! `# Regression: SIGNATURE` and `# planted bugs: IDS (...)` lines: planting
//! those bugs again must bring that signature back among the findings, so
//! the regression is known to catch the bug it pins.

mod scn_dir;

use bootmem::BugSet;
use oracles::{backends, run, run_with_bugs};

#[test]
fn every_regression_passes_on_every_backend() {
    let all = backends();
    let mut failures = Vec::new();
    for (file, scenario) in scn_dir::load("regressions") {
        for finding in run(&scenario, &all).findings {
            failures.push(format!("{}: {finding}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The value of the comment line `# <key>: <value>`, if any.
fn comment<'a>(comments: &'a [String], key: &str) -> Option<&'a str> {
    comments
        .iter()
        .find_map(|c| c.strip_prefix(key)?.strip_prefix(": "))
}

#[test]
fn a_regression_of_a_planted_bug_fails_again_with_the_bug_planted() {
    let all = backends();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, scenario, comments) in scn_dir::load_with_comments("regressions") {
        let (Some(signature), Some(planted)) = (
            comment(&comments, "Regression"),
            comment(&comments, "planted bugs"),
        ) else {
            continue;
        };
        let ids = planted.split_whitespace().next().unwrap_or_default();
        let bugs = match BugSet::parse(ids) {
            Ok(bugs) => bugs,
            Err(e) => {
                failures.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        let report = run_with_bugs(&scenario, &all, bugs);
        let found: Vec<String> = report
            .findings
            .iter()
            .map(|f| f.signature().to_string())
            .collect();
        if !found.iter().any(|s| s == signature) {
            failures.push(format!(
                "{}: with {ids} planted the findings are {found:?}, without {signature}",
                file.display()
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 0, "no regression names a planted bug");
}
