//! The hand-written seed scenarios, `corpus/scenarios/*.scn`: shapes that
//! broke early allocators historically, written as text so they can be
//! read and edited, and encoded into `corpus/differential/` so every engine
//! starts from them. Each one must
//! - parse (SPEC section 8);
//! - lie within the default decode bounds, so that it can be encoded
//!   (`oracles::encode`);
//! - pass on every registered backend: seeds are not regressions, a seed
//!   that finds something is a bug in a backend or in the oracle;
//! - have its bytes, `corpus/differential/<stem>.bin`, decode to exactly
//!   the scenario, so a scenario edited without re-encoding fails here.
//!
//! `corpus_replay.rs` skips `corpus/scenarios/`: it is text, replayed here.

mod scn_dir;

use oracles::{backends, decode, encode, run, Scenario};

/// The command that (re)writes the encoded seeds. `encode` never
/// overwrites, so a stale `.bin` must be removed first.
const REENCODE: &str = "bootfuzz encode corpus/scenarios --out corpus/differential";

/// Every seed scenario with its file stem, in name order.
fn seeds() -> Vec<(String, Scenario)> {
    scn_dir::load("scenarios")
        .into_iter()
        .map(|(file, scenario)| {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_else(|| panic!("{}: not a UTF-8 name", file.display()))
                .to_string();
            (stem, scenario)
        })
        .collect()
}

#[test]
fn every_seed_scenario_lies_within_the_decode_bounds() {
    let mut failures = Vec::new();
    for (stem, scenario) in seeds() {
        if let Err(e) = encode(&scenario) {
            failures.push(format!("corpus/scenarios/{stem}.scn: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_seed_scenario_passes_on_every_backend() {
    let all = backends();
    let mut failures = Vec::new();
    for (stem, scenario) in seeds() {
        let report = run(&scenario, &all);
        for finding in report.findings {
            failures.push(format!("corpus/scenarios/{stem}.scn: {finding}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_seed_scenario_is_encoded_in_the_differential_corpus() {
    let mut failures = Vec::new();
    for (stem, scenario) in seeds() {
        let bin = scn_dir::corpus_dir("differential").join(format!("{stem}.bin"));
        match std::fs::read(&bin) {
            Ok(bytes) if decode(&bytes) == scenario => {}
            Ok(_) => failures.push(format!(
                "corpus/differential/{stem}.bin does not decode to corpus/scenarios/{stem}.scn \
                 (edited without re-encoding?): remove it and run `{REENCODE}`"
            )),
            Err(e) => failures.push(format!(
                "corpus/differential/{stem}.bin: {e}: run `{REENCODE}`"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
