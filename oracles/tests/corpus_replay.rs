//! Replays the committed seed corpus, `corpus/<target>/*`, through the body
//! of each fuzz target (`oracles::fuzz`), exactly as the engines feed it:
//! every input must pass. A directory that names no target is an error, so
//! a seed directory no target reads cannot go unnoticed.

use oracles::fuzz::{body, TARGETS};
use oracles::guard::guarded;
use std::path::Path;

#[test]
fn every_corpus_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    let dirs = match std::fs::read_dir(&root) {
        Ok(d) => d,
        Err(e) => panic!("{}: {e}", root.display()),
    };
    let mut failures = Vec::new();
    let mut inputs = 0;
    for dir in dirs.filter_map(Result::ok).map(|e| e.path()) {
        let Some(target) = dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !dir.is_dir() || target == "regressions" || target == "scenarios" {
            // .scn text: regressions/ is replayed by regressions.rs,
            // scenarios/ (the seeds, encoded into differential/) by
            // seed_scenarios.rs.
            continue;
        }
        assert!(
            TARGETS.contains(&target),
            "corpus/{target}/ names no fuzz target ({TARGETS:?})"
        );
        let mut files: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(d) => d.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(e) => panic!("{}: {e}", dir.display()),
        };
        files.sort();
        for file in files.iter().filter(|f| f.is_file()) {
            let data = match std::fs::read(file) {
                Ok(d) => d,
                Err(e) => panic!("{}: {e}", file.display()),
            };
            inputs += 1;
            if let Err(message) = guarded(|| body(target, &data)) {
                failures.push(format!("{}: {message}", file.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    eprintln!("replayed {inputs} corpus inputs");
}
