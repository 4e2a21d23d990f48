//! `bootfuzz replay`: saved inputs, `.scn` files and directories.

mod common;

use common::{assert_one_line_error, bootfuzz, code, stderr, stdout, TempDir, SAMPLE_SCN};

#[test]
fn a_missing_file_is_one_line_naming_it() {
    let dir = TempDir::new("missing");
    let missing = dir.path().join("no-such-input.bin");
    let out = bootfuzz(["replay".as_ref(), missing.as_os_str()]);
    assert_one_line_error(&out, "no-such-input.bin");
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_malformed_scn_names_the_file_and_line() {
    let dir = TempDir::new("malformed");
    let file = dir.write("broken.scn", "this is not an op\n");
    let out = bootfuzz(["replay".as_ref(), file.as_os_str()]);
    assert_one_line_error(&out, "broken.scn:1: ");
}

#[test]
fn a_malformed_line_deep_in_a_scn_is_reported_at_its_line() {
    let dir = TempDir::new("malformed3");
    let text = "# bootfuzz scenario v1\nram start=0x1000 end=0x8000_0000 nid=0\nalloc size=what\n";
    let file = dir.write("deep.scn", text);
    let out = bootfuzz(["replay".as_ref(), file.as_os_str()]);
    assert_one_line_error(&out, "deep.scn:3: ");
}

#[test]
fn one_bad_input_stops_the_replay_before_anything_runs() {
    let dir = TempDir::new("onebad");
    let good = dir.write("good.bin", b"");
    let missing = dir.path().join("gone.scn");
    let out = bootfuzz([good.as_os_str(), missing.as_os_str()].iter().fold(
        vec![std::ffi::OsString::from("replay")],
        |mut v, a| {
            v.push(a.into());
            v
        },
    ));
    assert_one_line_error(&out, "gone.scn");
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_binary_input_prints_one_verdict_per_finding_or_ok() {
    let dir = TempDir::new("binary");
    let file = dir.write("input.bin", [0u8; 64]);
    let out = bootfuzz(["replay".as_ref(), file.as_os_str()]);
    let text = stdout(&out);
    assert!(matches!(code(&out), Some(0 | 1)), "{}", stderr(&out));
    assert!(!text.is_empty());
    let prefix = format!("{}: ", file.display());
    assert!(text.lines().all(|l| l.starts_with(&prefix)), "{text}");
    let ok = text.lines().any(|l| l.ends_with(": ok"));
    assert_eq!(code(&out), Some(if ok { 0 } else { 1 }), "{text}");
}

#[test]
fn a_directory_replays_its_regular_files_by_name() {
    let dir = TempDir::new("dir");
    dir.write("b-second", b"\x01\x02");
    dir.write("a-first.bin", b"");
    if let Err(e) = std::fs::create_dir(dir.path().join("c-subdir")) {
        panic!("mkdir: {e}");
    }
    let out = bootfuzz(["replay".as_ref(), dir.path().as_os_str()]);
    let text = stdout(&out);
    assert!(matches!(code(&out), Some(0 | 1)), "{}", stderr(&out));
    let mut names: Vec<String> = Vec::new();
    for line in text.lines() {
        let name = line
            .split(": ")
            .next()
            .and_then(|p| p.rsplit(['/', '\\']).next())
            .unwrap_or_default()
            .to_string();
        if names.last() != Some(&name) {
            names.push(name);
        }
    }
    assert_eq!(names, ["a-first.bin", "b-second"], "{text}");
}

#[test]
fn an_empty_directory_says_there_is_nothing_to_replay() {
    let dir = TempDir::new("empty");
    let out = bootfuzz(["replay".as_ref(), dir.path().as_os_str()]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "no inputs to replay\n");
}

#[test]
fn replay_never_changes_its_inputs() {
    let dir = TempDir::new("readonly");
    let bin = dir.write("keep.bin", b"\xde\xad\xbe\xef");
    let scn = dir.write("keep.scn", SAMPLE_SCN);
    let out = bootfuzz(["replay".as_ref(), bin.as_os_str(), scn.as_os_str()]);
    assert!(matches!(code(&out), Some(0 | 1)), "{}", stderr(&out));
    assert_eq!(
        std::fs::read(&bin).ok().as_deref(),
        Some(&b"\xde\xad\xbe\xef"[..])
    );
    assert_eq!(
        std::fs::read_to_string(&scn).ok().as_deref(),
        Some(SAMPLE_SCN)
    );
}

#[test]
fn the_sample_scenario_replays_clean_on_rootmem() {
    // Waits on the real `rootmem` backend (the stub refuses `add_memory`).
    let dir = TempDir::new("sample");
    let file = dir.write("sample.scn", SAMPLE_SCN);
    let out = bootfuzz([
        "replay".as_ref(),
        "--backend".as_ref(),
        "rootmem".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(stdout(&out), format!("{}: ok\n", file.display()));
    assert_eq!(code(&out), Some(0));
}

#[test]
fn an_unknown_backend_is_a_usage_error() {
    let dir = TempDir::new("replay-unknown");
    let file = dir.write("x.bin", b"");
    let out = bootfuzz([
        "replay".as_ref(),
        "--backend".as_ref(),
        "nosuch".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(code(&out), Some(2));
    assert!(stderr(&out).contains("rootmem"));
}

#[test]
fn native_memblock_inputs_replay_with_their_own_decoder() {
    // The committed seed queries a reserved range that wraps past 2^64:
    // clean on the faithful port, a wrong answer with M15 planted.
    let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus/native_memblock/overlaps-past-2-64.bin");
    let args = |bug: &str| -> Vec<std::ffi::OsString> {
        let mut v: Vec<std::ffi::OsString> =
            vec!["replay".into(), "--target=native_memblock".into()];
        if !bug.is_empty() {
            v.push(format!("--bug={bug}").into());
        }
        v.push(seed.clone().into());
        v
    };
    let clean = bootfuzz(args(""));
    assert_eq!(
        code(&clean),
        Some(0),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );
    let found = bootfuzz(args("M15"));
    let text = stdout(&found);
    assert_eq!(code(&found), Some(1), "{text}");
    assert!(
        text.contains("wrong-outcome/native_memblock/reserve/overlaps-wrong"),
        "{text}"
    );
    let scn = TempDir::new("native-scn");
    let file = scn.write("x.scn", "# bootfuzz scenario v1\n");
    let refused = bootfuzz([
        "replay".as_ref(),
        "--target=native_memblock".as_ref(),
        file.as_os_str(),
    ]);
    assert_one_line_error(&refused, "x.scn");
}
