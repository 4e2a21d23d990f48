//! `regression_test.rs` of one group: a Rust test ready to paste into
//! `oracles/tests/`, in the style of the kernel's memblock tests: the
//! scenario in the doc comment, one "Expect" sentence, real assertions.

use crate::minimize::Shrunk;
use bootmem::BugSet;

/// The test's function name: the slug with `.` and `-` as `_`.
pub fn test_name(slug: &str) -> String {
    slug.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The test source for `shrunk`: a module named after `slug` holding the
/// scenario and its tests. One asserts that no backend has a finding (it
/// passes once the bug is fixed); when `bugs` were planted, another
/// asserts that planting them brings the signature back. The code is as
/// `rustfmt` would print it.
pub fn regression_test(shrunk: &Shrunk, slug: &str, bugs: BugSet) -> String {
    let scenario = oracles::text::print(&shrunk.minimized.scenario);
    let signature = shrunk.signature();
    let finding = shrunk.finding.to_string();
    let mut code = format!("//! Regression for {signature}, written by `bootfuzz triage`.\n\n");
    code.push_str(&format!(
        "/// {}\n///\n/// ```text\n",
        finding.lines().next().unwrap_or_default()
    ));
    for line in scenario.lines() {
        code.push_str(&format!("/// {line}\n"));
    }
    code.push_str("/// ```\n///\n");
    if bugs.is_empty() {
        code.push_str("/// Expect no finding on any backend.\n");
    } else {
        code.push_str(&format!(
            "/// Expect no finding on any backend, and {signature} again with {} planted.\n",
            bugs
        ));
    }
    code.push_str(&format!("mod {} {{\n", test_name(slug)));
    code.push_str("    const SCENARIO: &str = \"\\\n");
    for line in scenario.lines() {
        code.push_str(&line.replace('\\', "\\\\").replace('"', "\\\""));
        code.push_str("\\n\\\n");
    }
    code.push_str("\";\n\n");
    code.push_str(
        "    #[test]\n    \
         fn no_backend_has_a_finding() {\n        \
         let scenario = oracles::text::parse(SCENARIO).expect(\"the scenario parses\");\n        \
         let findings = oracles::run(&scenario, &oracles::backends()).findings;\n        \
         let found: Vec<String> = findings.iter().map(|f| f.to_string()).collect();\n        \
         assert!(found.is_empty(), \"{}\", found.join(\"\\n\"));\n    \
         }\n",
    );
    if !bugs.is_empty() {
        code.push_str(&format!(
            "\n    #[test]\n    \
             fn the_planted_bug_brings_it_back() {{\n        \
             let scenario = oracles::text::parse(SCENARIO).expect(\"the scenario parses\");\n        \
             let bugs = bootmem::BugSet::parse(\"{ids}\").expect(\"known bug ids\");\n        \
             let planted = oracles::run_with_bugs(&scenario, &oracles::backends(), bugs);\n        \
             let wanted = \"{signature}\";\n        \
             let found = planted\n            \
             .findings\n            \
             .iter()\n            \
             .any(|f| f.signature().to_string() == wanted);\n        \
             assert!(found, \"{{:?}}\", planted.findings);\n    \
             }}\n",
            ids = bugs
        ));
    }
    code.push_str("}\n");
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_names_are_rust_identifiers() {
        assert_eq!(
            test_name("overlap.bootmem.alloc.over-reserved"),
            "overlap_bootmem_alloc_over_reserved"
        );
    }
}
