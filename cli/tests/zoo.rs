//! `bootfuzz zoo`: the scoreboard of planted historical bugs.

mod common;

use common::{bootfuzz, code, stdout, TempDir};

#[test]
fn a_planted_fault_is_scored_and_the_control_is_clean() {
    let dir = TempDir::new("zoo");
    let out_dir = dir.path().join("zoo");
    let out = bootfuzz([
        "zoo".as_ref(),
        "--fault".as_ref(),
        "R1".as_ref(),
        "--seeds".as_ref(),
        "2".as_ref(),
        "--time".as_ref(),
        "2".as_ref(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    let text = stdout(&out);
    assert_eq!(code(&out), Some(0), "{text}");
    assert!(text.contains("zoo: control clean"), "{text}");
    let md = std::fs::read_to_string(out_dir.join("zoo.md")).unwrap_or_default();
    // R1 (rootmem aligns the bitmap-relative index) is found as
    // `misaligned`, its class's kind, in both seeds.
    assert!(
        md.contains("| R1 | rootmem | alignment | builtin | 2/2 |"),
        "{md}"
    );
    assert!(
        md.contains("| (none: control) | rootmem | - | builtin | 0/2 |"),
        "{md}"
    );
    let runs = std::fs::read_to_string(out_dir.join("runs.csv")).unwrap_or_default();
    assert_eq!(runs.lines().count(), 1 + 4, "{runs}");
    assert!(
        runs.contains("R1,rootmem,builtin,1,found,misaligned,"),
        "{runs}"
    );
    assert!(
        runs.contains("(none: control),rootmem,builtin,2,clean,,"),
        "{runs}"
    );
}

#[test]
fn an_unknown_fault_is_a_usage_error() {
    let out = bootfuzz(["zoo", "--fault", "Q9"]);
    assert_eq!(code(&out), Some(2));
}
