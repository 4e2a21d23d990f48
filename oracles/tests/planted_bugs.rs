//! Every planted historical bug (`bootmem::bugs`) is found by the seeded
//! decode-and-run loop `bootfuzz run` uses, within a bounded number of
//! scenarios, and the same scenarios are clean without it. This is the
//! oracle failing on a faulty backend, with bugs from the allocators'
//! history rather than made up for the test.

mod seeded;

use bootmem::{Bug, BugSet};
use oracles::bug_kinds::expected_kinds;
use oracles::{decode, find_backend, run, run_with_bugs, FindingKind};
use seeded::xorshift;

#[test]
fn every_planted_bug_is_found_within_20k_scenarios() {
    // X1 and X2 were found by fuzzing and need rare shapes; their
    // regressions in corpus/regressions pin them instead (below).
    // M15 cannot be reached through the bootmem-compatible API at all.
    for bug in Bug::ALL
        .into_iter()
        .filter(|b| b.historical() && b.reachable_through_layer())
    {
        let backend = match find_backend(bug.backend()) {
            Some(b) => b,
            None => panic!("{bug}: backend {} is not registered", bug.backend()),
        };
        let bugs = BugSet::NONE.with(bug);
        let mut state: u64 = 0x0b5e_55ed;
        let mut kinds = Vec::new();
        for _ in 0..20_000 {
            let data: Vec<u8> = (0..1024).map(|_| xorshift(&mut state) as u8).collect();
            let scenario = decode(&data);
            let report = run_with_bugs(&scenario, &[backend], bugs);
            if let Some(f) = report.findings.first() {
                assert!(
                    run(&scenario, &[backend]).findings.is_empty(),
                    "{bug}: the scenario must be clean without the bug"
                );
                kinds.push(f.kind);
                if expected_kinds(bug.class()).contains(&f.kind) {
                    break;
                }
            }
        }
        assert!(
            kinds
                .iter()
                .any(|k| expected_kinds(bug.class()).contains(k)),
            "{bug} ({}) not found as {:?} in 20k scenarios; found {kinds:?}",
            bug.origin(),
            expected_kinds(bug.class())
        );
    }
}

/// Each regression found by fuzzing fails again with the mainline
/// behaviour planted back, and passes without it.
#[test]
fn harness_found_regressions_fail_with_their_bug_planted() {
    for (file, backend, bug, kind) in [
        (
            "memblock-recount-gaps-after-doubling.scn",
            "memblock_bu",
            Bug::X1StaleGapCount,
            FindingKind::WrongOutcome,
        ),
        (
            "memblock-no-search-below-a-range-from-zero.scn",
            "nobootmem",
            Bug::X2SentinelBelowEnd,
            FindingKind::WrongOutcome,
        ),
    ] {
        let path = format!(
            "{}/../corpus/regressions/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let scenario = oracles::text::parse(&source).unwrap_or_else(|e| panic!("{path}: {e}"));
        let info = find_backend(backend).unwrap_or_else(|| panic!("{backend}"));
        assert!(run(&scenario, &[info]).findings.is_empty(), "{file}");
        let planted = run_with_bugs(&scenario, &[info], BugSet::NONE.with(bug));
        assert_eq!(planted.findings.len(), 1, "{file}: {:?}", planted.findings);
        assert_eq!(planted.findings[0].kind, kind, "{file}");
    }
}
