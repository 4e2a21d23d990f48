//! Every engine package (cargo-fuzz `fuzz/`, AFL++ `fuzz/afl/`, honggfuzz
//! `fuzz/hfuzz/`) has exactly one bin per fuzz target of
//! `oracles::fuzz::TARGETS`, each a file naming its target: adding a target
//! fails this test until each engine can run it.

use oracles::fuzz::TARGETS;
use std::path::Path;

/// The problems with one package's bins, empty when it matches `TARGETS`.
fn mismatches(package: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(package);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let mut problems = Vec::new();
    for target in TARGETS {
        let path = dir.join(format!("fuzz_targets/{target}.rs"));
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let names_it = source.contains(&format!("\"{target}\""))
            || source.contains(&format!("fuzz::{target}("));
        if !names_it {
            problems.push(format!("{} does not run {target}", path.display()));
        }
        let entry = format!("name = \"{target}\"\npath = \"fuzz_targets/{target}.rs\"");
        if !manifest.contains(&entry) {
            problems.push(format!("{package}/Cargo.toml has no [[bin]] {target}"));
        }
    }
    let files = std::fs::read_dir(dir.join("fuzz_targets"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for file in files {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if !TARGETS.contains(&stem) {
            problems.push(format!("{} names no target", file.display()));
        }
    }
    problems
}

#[test]
fn cargo_fuzz_has_one_bin_per_target() {
    assert_eq!(mismatches("fuzz"), Vec::<String>::new());
}

#[test]
fn afl_has_one_bin_per_target() {
    assert_eq!(mismatches("fuzz/afl"), Vec::<String>::new());
}

#[test]
fn honggfuzz_has_one_bin_per_target() {
    assert_eq!(mismatches("fuzz/hfuzz"), Vec::<String>::new());
}
