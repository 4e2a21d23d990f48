//! `bootfuzz show`: an input's scenario as `.scn` text.

mod common;

use common::{assert_one_line_error, bootfuzz, code, stderr, stdout, TempDir, SAMPLE_SCN};

#[test]
fn a_binary_input_prints_as_a_scenario() {
    let dir = TempDir::new("show-bin");
    let file = dir.write("input", (0u8..=255).collect::<Vec<u8>>());
    let out = bootfuzz(["show".as_ref(), file.as_os_str()]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("# bootfuzz scenario"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_shown_binary_input_parses_back_to_the_same_text() {
    // Waits on the real `decode`: the stub's empty scenario has no RAM line.
    let dir = TempDir::new("show-bin-rt");
    let file = dir.write("input", (0u8..=255).cycle().take(2000).collect::<Vec<u8>>());
    let first = stdout(&bootfuzz(["show".as_ref(), file.as_os_str()]));
    let scn = dir.write("input.scn", &first);
    let again = bootfuzz(["show".as_ref(), scn.as_os_str()]);
    assert_eq!(code(&again), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again), first);
}

#[test]
fn a_scn_file_round_trips() {
    let dir = TempDir::new("show-scn");
    let file = dir.write("sample.scn", SAMPLE_SCN);
    let out = bootfuzz(["show".as_ref(), file.as_os_str()]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let first = stdout(&out);
    assert!(first.starts_with("# bootfuzz scenario v1\n"), "{first}");
    let ops: Vec<&str> = first
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        ops,
        ["ram", "reserve", "alloc", "free_alloc", "release_all"]
    );
    let normalized = dir.write("normalized.scn", &first);
    let second = stdout(&bootfuzz(["show".as_ref(), normalized.as_os_str()]));
    assert_eq!(second, first);
}

#[test]
fn a_missing_file_is_one_line_naming_it() {
    let dir = TempDir::new("show-missing");
    let missing = dir.path().join("absent.scn");
    let out = bootfuzz(["show".as_ref(), missing.as_os_str()]);
    assert_one_line_error(&out, "absent.scn");
}
