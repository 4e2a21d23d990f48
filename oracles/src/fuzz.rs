//! The bodies of the fuzz targets: every engine (cargo-fuzz, AFL++,
//! honggfuzz, `cargo test`'s corpus replay) hands its `&[u8]` to one of
//! these, so a crash file from any engine replays identically under the
//! others and under `bootfuzz replay`.
//!
//! A finding panics, as engines expect, with a message a person can read at
//! once: the signature on the first line, then the finding, then the
//! scenario minimized within a small budget of replays
//! ([`PANIC_MINIMIZE_BUDGET`]), then the scenario as decoded, both as
//! `.scn` text. Bugs named in `BOOTFUZZ_BUG` (`bootmem::bugs`)
//! are planted in every backend they belong to.
//!
//! One target reads its bytes differently: `native_memblock` decodes them
//! into native memblock calls ([`crate::native`]), not into a scenario, and
//! prints the call list instead of `.scn` text.

use crate::minimize::{minimize_finding, Minimized};
use crate::native::{self, NativeCalls};
use crate::registry::{backends, find_backend, BackendInfo};
use crate::run::run_with_bugs;
use crate::scenario::Scenario;
use crate::{decode, text, Finding};
use bootmem::BugSet;
use std::sync::OnceLock;

/// The bugs planted by `BOOTFUZZ_BUG`, read once; an unknown id panics at
/// the first input (the target is misconfigured, not fuzzed).
pub fn planted_bugs() -> BugSet {
    static BUGS: OnceLock<BugSet> = OnceLock::new();
    *BUGS.get_or_init(|| {
        let list = std::env::var("BOOTFUZZ_BUG").unwrap_or_default();
        BugSet::parse(&list).unwrap_or_else(|e| panic!("BOOTFUZZ_BUG: {e}"))
    })
}

/// The fuzz targets by name (`fuzz/fuzz_targets/<name>.rs`): each calls
/// [`body`] with its own name.
pub const TARGETS: [&str; 11] = [
    "differential",
    "bootmem",
    "rootmem",
    "bootmem2",
    "treemem",
    "memblock",
    "memblock_bu",
    "nobootmem",
    "early_res",
    "scn_roundtrip",
    "native_memblock",
];

/// Runs the body of the target named `target` on `data`; false when no
/// target has that name.
pub fn body(target: &str, data: &[u8]) -> bool {
    match target {
        "differential" => differential(data),
        "scn_roundtrip" => scn_roundtrip(data),
        "native_memblock" => native_memblock(data),
        name if TARGETS.contains(&name) => backend(name, data),
        _ => return false,
    }
    true
}

/// The `differential` target: every backend against its model and, where
/// two share a profile, against each other.
pub fn differential(data: &[u8]) {
    play(data, &backends());
}

/// A one-backend target: `name` against its model. Panics on a name the
/// registry does not know.
pub fn backend(name: &str, data: &[u8]) {
    let info = find_backend(name).unwrap_or_else(|| panic!("no backend named {name}"));
    play(data, &[info]);
}

/// The `scn_roundtrip` target: a decoded scenario printed as `.scn` text
/// parses back to the same scenario.
pub fn scn_roundtrip(data: &[u8]) {
    let scenario = decode(data);
    let printed = text::print(&scenario);
    match text::parse(&printed) {
        Ok(parsed) if parsed == scenario => {}
        Ok(parsed) => panic!(
            "bootfuzz finding: scn-roundtrip/mismatch\n--- printed ---\n{printed}--- parsed back ---\n{}",
            text::print(&parsed)
        ),
        Err(e) => panic!(
            "bootfuzz finding: scn-roundtrip/parse-error\nline {}: {}\n--- printed ---\n{printed}",
            e.line, e.message
        ),
    }
}

/// The `native_memblock` target: memblock's native API against its own
/// model ([`crate::native`]), the bugs of `BOOTFUZZ_BUG` planted. Panics
/// with [`native_panic_message`] on a finding.
pub fn native_memblock(data: &[u8]) {
    if let Some(finding) = native::play(data, planted_bugs()) {
        panic!("{}", native_panic_message(&finding, &native::decode(data)));
    }
}

/// `bootfuzz finding: SIGNATURE`, the finding, and the native calls, one
/// C call per line: the [`panic_message`] shape for the `native_memblock`
/// target.
pub fn native_panic_message(finding: &Finding, calls: &NativeCalls) -> String {
    format!(
        "bootfuzz finding: {}\n{finding}\n--- native memblock calls ---\n{calls}",
        finding.signature()
    )
}

/// Replays a finding's minimization may spend inside a fuzz target before
/// it panics: tens of milliseconds on one backend, so that an engine that
/// keeps going after crashes (AFL++, honggfuzz, libFuzzer's `-fork`) is
/// not slowed much. `bootfuzz minimize` goes further.
pub const PANIC_MINIMIZE_BUDGET: usize = 400;

fn play(data: &[u8], backends: &[BackendInfo]) {
    let scenario = decode(data);
    let bugs = planted_bugs();
    let report = run_with_bugs(&scenario, backends, bugs);
    if let Some(first) = report.findings.first() {
        let sig = first.signature();
        let minimized = minimize_finding(&scenario, backends, bugs, sig, PANIC_MINIMIZE_BUDGET);
        panic!(
            "{}",
            panic_message(first, &scenario, minimized.ok().as_ref())
        );
    }
}

/// `bootfuzz finding: SIGNATURE`, the finding, the `minimized` scenario
/// (when there is one) and the scenario as decoded, both as `.scn`.
pub fn panic_message(
    finding: &Finding,
    scenario: &Scenario,
    minimized: Option<&Minimized>,
) -> String {
    let mut message = format!("bootfuzz finding: {}\n{finding}\n", finding.signature());
    if let Some(m) = minimized {
        let how = if m.complete {
            "minimized"
        } else {
            "partly minimized, budget spent; `bootfuzz minimize` goes further"
        };
        message.push_str(&format!(
            "--- scenario, {how}: {} -> {} ops (.scn; replay with `bootfuzz replay`) ---\n{}",
            m.before.ops,
            m.after.ops,
            text::print(&m.scenario)
        ));
    }
    message.push_str(&format!(
        "--- scenario as decoded (.scn; replay with `bootfuzz replay`) ---\n{}",
        text::print(scenario)
    ));
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::guarded;

    #[test]
    fn clean_inputs_pass_every_body() {
        for data in [&b""[..], b"\x00\x01\x02\x03", &[0xff; 64]] {
            assert!(guarded(|| differential(data)).is_ok());
            assert!(guarded(|| backend("rootmem", data)).is_ok());
            assert!(guarded(|| scn_roundtrip(data)).is_ok());
            assert!(guarded(|| native_memblock(data)).is_ok());
            for target in TARGETS {
                assert_eq!(guarded(|| body(target, data)), Ok(true), "{target}");
            }
        }
        assert_eq!(guarded(|| body("nope", b"")), Ok(false));
    }

    #[test]
    fn every_backend_target_names_a_registered_backend() {
        let special = ["differential", "scn_roundtrip", "native_memblock"];
        for target in TARGETS {
            assert!(
                special.contains(&target) || find_backend(target).is_some(),
                "{target}"
            );
        }
        assert_eq!(backends().len() + special.len(), TARGETS.len());
    }

    #[test]
    fn a_native_finding_panics_with_its_signature_first_and_the_calls() {
        let calls = native::decode(b"");
        let finding = Finding {
            kind: crate::FindingKind::WrongOutcome,
            backend: native::BACKEND,
            op_index: Some(0),
            op_kind: crate::OpKind::Reserve,
            class: "overlaps-wrong",
            detail: "detail".to_string(),
        };
        let message = native_panic_message(&finding, &calls);
        let first = message.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "bootfuzz finding: wrong-outcome/native_memblock/reserve/overlaps-wrong"
        );
        assert!(
            message.contains("INIT_MEMBLOCK_MEMORY_REGIONS"),
            "{message}"
        );
    }

    #[test]
    fn a_finding_panics_with_its_signature_first_and_the_scenario() {
        let scenario = decode(b"");
        let finding = Finding {
            kind: crate::FindingKind::Overlap,
            backend: "rootmem",
            op_index: Some(0),
            op_kind: crate::OpKind::Alloc,
            class: "over-allocated",
            detail: "detail".to_string(),
        };
        let message = panic_message(&finding, &scenario, None);
        let first = message.lines().next().unwrap_or_default();
        assert_eq!(
            first,
            "bootfuzz finding: overlap/rootmem/alloc/over-allocated"
        );
        assert!(message.contains("# bootfuzz scenario v1"), "{message}");
    }

    /// R1 planted in rootmem: the target's panic carries the minimized
    /// scenario before the decoded one, and it keeps the signature.
    #[test]
    fn a_target_panics_with_the_minimized_scenario_first() -> Result<(), String> {
        let bugs = BugSet::NONE.with(bootmem::Bug::R1RelativeAlign);
        let rootmem = [find_backend("rootmem").ok_or("rootmem")?];
        let found = (0..2000u32).find_map(|seed| {
            let data: Vec<u8> = (0..512u32)
                .map(|i| {
                    (seed
                        .wrapping_mul(2_654_435_761)
                        .wrapping_add(i.wrapping_mul(40_503))
                        >> 13) as u8
                })
                .collect();
            let scenario = decode(&data);
            let report = run_with_bugs(&scenario, &rootmem, bugs);
            report.findings.first().cloned().map(|f| (scenario, f))
        });
        let (scenario, finding) = found.ok_or("R1 found in 2000 inputs")?;
        let minimized = minimize_finding(
            &scenario,
            &rootmem,
            bugs,
            finding.signature(),
            PANIC_MINIMIZE_BUDGET,
        )
        .map_err(|e| e.to_string())?;
        let message = panic_message(&finding, &scenario, Some(&minimized));
        let at = |needle: &str| message.find(needle);
        let (small, decoded) = (at("--- scenario, "), at("--- scenario as decoded"));
        assert!(small.is_some() && small < decoded, "{message}");
        assert!(minimized.after.ops <= minimized.before.ops);
        let sig = run_with_bugs(&minimized.scenario, &rootmem, bugs)
            .findings
            .first()
            .map(|f| f.signature());
        assert_eq!(sig, Some(finding.signature()));
        Ok(())
    }
}
