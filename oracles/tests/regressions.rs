//! Replays every `corpus/regressions/*.scn` against every registered
//! backend: each must pass (SPEC section 8). A regression pins down a bug
//! that was found and fixed; its first comment lines say which.

mod scn_dir;

use oracles::{backends, run};

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
