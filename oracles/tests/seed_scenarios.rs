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

use oracles::{backends, decode, encode, run, text, Scenario};
use std::path::{Path, PathBuf};

/// The command that (re)writes the encoded seeds. `encode` never
/// overwrites, so a stale `.bin` must be removed first.
const REENCODE: &str = "bootfuzz encode corpus/scenarios --out corpus/differential";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

/// Every seed scenario with its file stem, in name order.
fn seeds() -> Vec<(String, Scenario)> {
    let dir = corpus().join("scenarios");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "scn"))
            .collect(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    files.sort();
    assert!(!files.is_empty(), "no seed scenarios in {}", dir.display());
    files
        .iter()
        .map(|file| {
            let source = match std::fs::read_to_string(file) {
                Ok(s) => s,
                Err(e) => panic!("{}: {e}", file.display()),
            };
            let scenario = match text::parse(&source) {
                Ok(s) => s,
                Err(e) => panic!("{}:{}: {}", file.display(), e.line, e.message),
            };
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
        let bin = corpus().join("differential").join(format!("{stem}.bin"));
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
