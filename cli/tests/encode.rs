//! `bootfuzz encode`: `.scn` text to engine bytes that decode back to it.

mod common;

use common::{bootfuzz, code, stderr, stdout, TempDir};

/// A scenario within the decoder's bounds (256 MiB of RAM, few ops).
const SMALL_SCN: &str = "\
# bootfuzz scenario v1
ram start=0x1000 end=0x100_0000 nid=0
ram start=0x100_0000 end=0x200_0000 nid=1
reserve base=0x1000 size=0x2000 mode=default
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=1 policy=exact fail=null
free_alloc index=0 part=all
release_all
";

#[test]
fn an_encoded_scenario_shows_as_the_same_text() {
    let dir = TempDir::new("encode");
    dir.write("sample.scn", SMALL_SCN.as_bytes());
    let out_dir = dir.path().join("bytes");
    let out = bootfuzz([
        "encode".as_ref(),
        dir.path().join("sample.scn").as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let bin = out_dir.join("sample.bin");
    assert!(bin.is_file(), "{}", stdout(&out));
    let from_text = bootfuzz(["show".as_ref(), dir.path().join("sample.scn").as_os_str()]);
    let from_bytes = bootfuzz(["show".as_ref(), bin.as_os_str()]);
    assert_eq!(code(&from_bytes), Some(0), "{}", stderr(&from_bytes));
    assert_eq!(stdout(&from_bytes), stdout(&from_text));
}

#[test]
fn a_scenario_past_the_decode_bounds_is_one_line_and_exit_2() {
    let dir = TempDir::new("encode-big");
    dir.write(
        "big.scn",
        b"ram start=0x1000 end=0x2_0000_0000 nid=0\nrelease_all\n",
    );
    let out = bootfuzz([
        "encode".as_ref(),
        dir.path().join("big.scn").as_os_str(),
        "--out".as_ref(),
        dir.path().join("bytes").as_os_str(),
    ]);
    assert_eq!(code(&out), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("big.scn: cannot encode"), "{err}");
    assert!(!dir.path().join("bytes").exists(), "nothing written");
}
