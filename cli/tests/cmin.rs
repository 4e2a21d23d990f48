//! `bootfuzz cmin`: a smaller corpus with the same semantic features.

mod common;

use common::{bootfuzz, code, stderr, stdout, TempDir};
use std::path::{Path, PathBuf};

/// `cmin: N inputs, F features -> K inputs with the same F features, ...`
/// as `(N, F, K)`.
fn numbers(text: &str) -> (u64, u64, u64) {
    let line = text
        .lines()
        .find(|l| l.starts_with("cmin: "))
        .unwrap_or_else(|| panic!("no cmin line in {text}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let num = |i: usize| -> u64 {
        words
            .get(i)
            .and_then(|w| w.trim_end_matches(',').parse().ok())
            .unwrap_or_else(|| panic!("bad cmin line: {line}"))
    };
    (num(1), num(3), num(6))
}

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../corpus")
        .join(name)
}

#[test]
fn the_kept_inputs_reach_every_feature_of_the_whole_corpus() {
    let dir = TempDir::new("cmin");
    let first = dir.path().join("first");
    let out = bootfuzz([
        "cmin".as_ref(),
        corpus("differential").as_os_str(),
        corpus("regressions").as_os_str(),
        "--out".as_ref(),
        first.as_os_str(),
    ]);
    let text = stdout(&out);
    assert_eq!(code(&out), Some(0), "{text}{}", stderr(&out));
    let (inputs, features, kept) = numbers(&text);
    assert!(inputs >= 18, "{text}");
    assert!(kept < inputs && kept > 0, "{text}");
    let copied = std::fs::read_dir(&first).map_or(0, |d| d.count()) as u64;
    assert_eq!(copied, kept);
    // The kept set alone covers the same features, and is already minimal.
    let second = dir.path().join("second");
    let again = bootfuzz([
        "cmin".as_ref(),
        first.as_os_str(),
        "--out".as_ref(),
        second.as_os_str(),
    ]);
    let (inputs2, features2, kept2) = numbers(&stdout(&again));
    assert_eq!((inputs2, features2, kept2), (kept, features, kept));
}

#[test]
fn an_existing_file_in_the_output_is_never_overwritten() {
    let dir = TempDir::new("cmin-keep");
    let _ = std::fs::create_dir_all(dir.path().join("in"));
    let input = dir.write(
        "in/a.scn",
        "# bootfuzz scenario v1\nram start=0x0 end=0x10000 nid=0\n",
    );
    let out_dir = input.parent().map(Path::to_path_buf).unwrap_or_default();
    let out = bootfuzz([
        "cmin".as_ref(),
        out_dir.as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    common::assert_one_line_error(&out, "a.scn");
    assert!(input.is_file());
}
