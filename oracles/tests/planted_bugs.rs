//! Every planted historical bug (`bootmem::bugs`) is found by the seeded
//! decode-and-run loop `bootfuzz run` uses, within a bounded number of
//! scenarios, and the same scenarios are clean without it. This is the
//! oracle failing on a faulty backend, with bugs from the allocators'
//! history rather than made up for the test.

use bootmem::{Bug, BugClass, BugSet};
use oracles::{decode, find_backend, run, run_with_bugs, FindingKind};

/// The finding kinds that count as catching a bug of `class`.
fn expected_kinds(class: BugClass) -> &'static [FindingKind] {
    match class {
        BugClass::Overlap => &[FindingKind::Overlap],
        BugClass::Alignment => &[FindingKind::Misaligned],
        BugClass::LostPages => &[FindingKind::LostPages],
        BugClass::OutOfNode => &[FindingKind::OutOfNode],
        BugClass::GoalOrLimit => &[FindingKind::Goal, FindingKind::Limit],
        BugClass::Overflow => &[FindingKind::BackendPanic],
        BugClass::Robustness => &[
            FindingKind::BackendPanic,
            FindingKind::WrongOutcome,
            FindingKind::Hang,
        ],
    }
}

#[test]
fn every_planted_bug_is_found_within_20k_scenarios() {
    // M0 needs a rare shape (a reserve over the live doubled array that had
    // merged into a bigger region); its regression in corpus/regressions
    // pins it instead (`memblock-recount-gaps-after-doubling.scn`).
    for bug in Bug::ALL.into_iter().filter(|b| *b != Bug::M0StaleGapCount) {
        let backend = match find_backend(bug.backend()) {
            Some(b) => b,
            None => panic!("{bug}: backend {} is not registered", bug.backend()),
        };
        let bugs = BugSet::NONE.with(bug);
        let mut state: u64 = 0x0b5e_55ed;
        let mut kinds = Vec::new();
        for _ in 0..20_000 {
            let data: Vec<u8> = (0..1024)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
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

/// The regression found by fuzzing memblock_bu fails again with the
/// mainline behaviour planted back, and passes without it.
#[test]
fn m0_regression_fails_with_the_stale_gap_count_planted() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../corpus/regressions/memblock-recount-gaps-after-doubling.scn"
    );
    let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let scenario = oracles::text::parse(&source).unwrap_or_else(|e| panic!("{path}: {e}"));
    let backend = find_backend("memblock_bu").unwrap_or_else(|| panic!("memblock_bu"));
    assert!(run(&scenario, &[backend]).findings.is_empty());
    let planted = run_with_bugs(
        &scenario,
        &[backend],
        BugSet::NONE.with(Bug::M0StaleGapCount),
    );
    assert_eq!(planted.findings.len(), 1, "{:?}", planted.findings);
    assert_eq!(planted.findings[0].kind, FindingKind::WrongOutcome);
}
