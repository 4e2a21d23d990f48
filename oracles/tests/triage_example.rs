//! Regression for misaligned/rootmem/alloc/start-not-aligned, written by `bootfuzz triage`.

/// misaligned/rootmem/alloc/start-not-aligned at op #0: [0x3000, +0x1) is not aligned to 0x2000
///
/// ```text
/// # bootfuzz scenario v1
/// ram start=0x1000 end=0x4000 nid=0
/// alloc size=0x1 align=0x2000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
/// ```
///
/// Expect no finding on any backend, and misaligned/rootmem/alloc/start-not-aligned again with R1 planted.
mod misaligned_rootmem_alloc_start_not_aligned {
    const SCENARIO: &str = "\
# bootfuzz scenario v1\n\
ram start=0x1000 end=0x4000 nid=0\n\
alloc size=0x1 align=0x2000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null\n\
";

    #[test]
    fn no_backend_has_a_finding() {
        let scenario = oracles::text::parse(SCENARIO).expect("the scenario parses");
        let findings = oracles::run(&scenario, &oracles::backends()).findings;
        let found: Vec<String> = findings.iter().map(|f| f.to_string()).collect();
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    #[test]
    fn the_planted_bug_brings_it_back() {
        let scenario = oracles::text::parse(SCENARIO).expect("the scenario parses");
        let bugs = bootmem::BugSet::parse("R1").expect("known bug ids");
        let planted = oracles::run_with_bugs(&scenario, &oracles::backends(), bugs);
        let wanted = "misaligned/rootmem/alloc/start-not-aligned";
        let found = planted
            .findings
            .iter()
            .any(|f| f.signature().to_string() == wanted);
        assert!(found, "{:?}", planted.findings);
    }
}
