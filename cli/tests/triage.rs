//! `bootfuzz triage`, `minimize` and `regress`: from crash files to
//! grouped, minimized reproducers, reports, pictures and regressions.

mod common;

use common::{assert_one_line_error, bootfuzz, code, stderr, stdout, TempDir};
use std::ffi::OsString;
use std::path::Path;

/// R1 (rootmem aligns relative to its span start) behind noise: two
/// nodes, a reservation, a node allocation, a free. The fifth op is
/// handed `0x5000` for alignment `0x2000`.
const R1_NOISY: &str = "\
ram start=0x1000 end=0x10_0000 nid=0
ram start=0x20_0000 end=0x30_0000 nid=1
reserve base=0x2000 size=0x2000 mode=default
reserve_node nid=1 base=0x20_1234 size=0x777 mode=exclusive
alloc size=0x123 align=0x40 goal=0x20_0000 limit=0x0 nid=1 policy=prefer fail=null
free base=0x2000 size=0x800
alloc size=0x1000 align=0x2000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
alloc size=0x40 align=0x40 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
release_all
";

/// R1 with less noise: the same finding, a smaller file.
const R1_SHORT: &str = "\
ram start=0x1000 end=0x10_0000 nid=0
reserve base=0x2000 size=0x2000 mode=default
alloc size=0x1000 align=0x2000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
release_all
";

/// K1 (bootmem2 changes state on a refused exclusive reserve) behind
/// noise.
const K1_NOISY: &str = "\
ram start=0x0 end=0x110_2000 nid=1
ram start=0x110_2000 end=0x200_0000 nid=0
alloc size=0x1 align=0x1 goal=0x0 limit=0x0 nid=0 policy=prefer fail=null
reserve base=0x20_0000 size=0x100_0000 mode=exclusive
alloc size=0x2345 align=0x1000 goal=0x40_0000 limit=0x0 nid=any policy=prefer fail=null
alloc size=0x10 align=0x10 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
release_all
";

const R1_SIG: &str = "misaligned/rootmem/alloc/start-not-aligned";
const K1_SIG: &str = "wrong-outcome/bootmem2/reserve/free-map-differs-after-error";

fn args(list: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    list.iter().map(|a| a.as_ref().to_os_string()).collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The ops of a `.scn` text: lines that are neither comments nor RAM.
fn ops(text: &str) -> usize {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("ram ") && !l.is_empty())
        .count()
}

#[test]
fn triage_groups_by_signature_and_writes_each_group_whole() {
    let dir = TempDir::new("triage");
    let inputs = dir.path().join("crashes");
    std::fs::create_dir_all(&inputs).unwrap_or_else(|e| panic!("{e}"));
    let files = [
        ("id:000000,r1", R1_NOISY),
        ("id:000001,r1", R1_SHORT),
        ("crash-k1", K1_NOISY),
        ("clean", "ram start=0x0 end=0x10_0000 nid=0\n"),
    ];
    for (name, text) in files {
        // Raw files are engine bytes; these are text, so name them .scn.
        std::fs::write(inputs.join(format!("{name}.scn")), text).unwrap_or_else(|e| panic!("{e}"));
    }
    let out_dir = dir.path().join("triage");
    let out = bootfuzz(args(&[
        &"triage", &inputs, &"--bug", &"R1,K1", &"--out", &out_dir,
    ]));
    let text = stdout(&out);
    assert_eq!(code(&out), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains(&format!("    2 x {R1_SIG}")), "{text}");
    assert!(text.contains(&format!("    1 x {K1_SIG}")), "{text}");
    assert!(
        text.contains("triage: 4 inputs, 2 groups, 1 without a finding"),
        "{text}"
    );

    for (sig, slug, smallest) in [
        (
            R1_SIG,
            "misaligned.rootmem.alloc.start-not-aligned",
            "id:000001,r1.scn",
        ),
        (
            K1_SIG,
            "wrong-outcome.bootmem2.reserve.free-map-differs-after-error",
            "crash-k1.scn",
        ),
    ] {
        let group = out_dir.join(slug);
        for file in [
            "minimized.scn",
            "report.md",
            "regression_test.rs",
            "memory-map.svg",
            smallest,
        ] {
            assert!(group.join(file).is_file(), "{}/{file}", group.display());
        }
        let minimized = group.join("minimized.scn");
        assert!(ops(&read(&minimized)) <= 2, "{}", read(&minimized));
        // The minimized file replays to the group's signature.
        let replay = bootfuzz(args(&[&"replay", &minimized, &"--bug", &"R1,K1"]));
        assert_eq!(code(&replay), Some(1));
        assert!(
            stdout(&replay).contains(&format!(": {sig} at op #")),
            "{}",
            stdout(&replay)
        );
        let report = read(&group.join("report.md"));
        assert!(report.starts_with(&format!("# {sig}\n")), "{report}");
        assert!(report.contains("## The op that triggered it"), "{report}");
        assert!(report.contains("<=="), "{report}");
        assert!(read(&group.join("memory-map.svg")).contains("<svg"));
    }
    let index = read(&out_dir.join("index.md"));
    assert!(index.contains(&format!("[`{R1_SIG}`]")), "{index}");
    assert!(index.contains("## Did not reproduce"), "{index}");
    assert!(index.contains("clean.scn"), "{index}");
    assert!(read(&out_dir.join("index.html")).contains("<table>"));
    // The inputs are as they were.
    for (name, text) in files {
        assert_eq!(read(&inputs.join(format!("{name}.scn"))), text);
    }
}

/// An input under `fuzz/artifacts/<target>/` replays on that target's
/// backend alone, as libFuzzer ran it; `--backend` overrides that.
#[test]
fn triage_replays_an_input_on_the_backend_its_target_names() {
    let dir = TempDir::new("triage-target");
    let rootmem = dir.path().join("fuzz/artifacts/rootmem");
    let native = dir.path().join("fuzz/artifacts/native_memblock");
    for d in [&rootmem, &native] {
        std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("{e}"));
    }
    // K1 lives in bootmem2: on the rootmem target it finds nothing.
    std::fs::write(rootmem.join("crash-k1.scn"), K1_NOISY).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(native.join("crash-1"), b"\x01\x02").unwrap_or_else(|e| panic!("{e}"));
    let out_dir = dir.path().join("triage");
    let triage = |extra: &[&str]| {
        let mut list = args(&[
            &"triage",
            &dir.path().join("fuzz/artifacts/rootmem"),
            &native,
        ]);
        list.extend(args(&[&"--bug", &"K1", &"--out", &out_dir]));
        list.extend(extra.iter().map(OsString::from));
        bootfuzz(list)
    };
    let out = triage(&[]);
    let text = stdout(&out);
    assert_eq!(code(&out), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("crash-k1.scn: no finding"), "{text}");
    assert!(
        text.contains("crash-1: not triaged: a native_memblock input"),
        "{text}"
    );
    assert!(
        text.contains("0 groups, 1 without a finding, 1 not triaged"),
        "{text}"
    );
    assert!(read(&out_dir.join("index.md")).contains("## Not triaged"));
    let all = triage(&["--backend", "rootmem", "--backend", "bootmem2"]);
    assert!(
        stdout(&all).contains(&format!("1 x {K1_SIG}")),
        "{}",
        stdout(&all)
    );
}

/// A replay past `--timeout` ends triage with exit 1, naming the input as
/// a hang, before anything is written (a stuck call cannot be stopped).
#[test]
fn a_replay_past_the_timeout_is_named_as_a_hang() {
    let dir = TempDir::new("triage-hang");
    // 256 MiB of RAM and 128 allocations on every backend, in 32 files:
    // far longer in all than the watchdog's tick, even on a loaded machine.
    let mut text = String::from("ram start=0x0 end=0x1000_0000 nid=0\n");
    for i in 0..128u64 {
        text.push_str(&format!(
            "alloc size={:#x} align=0x40 goal=0x0 limit=0x0 nid=any policy=prefer fail=null\n",
            0x40 + i * 0x1000
        ));
    }
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap_or_else(|e| panic!("{e}"));
    for n in 0..32 {
        let name = format!("heavy-{n:02}.scn");
        std::fs::write(inputs.join(name), &text).unwrap_or_else(|e| panic!("{e}"));
    }
    let out_dir = dir.path().join("triage");
    let out = bootfuzz(args(&[
        &"triage",
        &inputs,
        &"--timeout",
        &"0.000001",
        &"--out",
        &out_dir,
    ]));
    let text = stdout(&out);
    assert_eq!(code(&out), Some(1), "{text}{}", stderr(&out));
    let hang = text
        .lines()
        .find(|l| l.contains(": hang: its replay ran past 0.000 s"));
    assert!(hang.is_some_and(|l| l.contains("heavy-")), "{text}");
    assert!(!out_dir.join("index.md").exists());
}

#[test]
fn triage_refuses_an_output_directory_holding_its_inputs() {
    let dir = TempDir::new("triage-inside");
    dir.write("r1.scn", R1_SHORT);
    let out = bootfuzz(args(&[
        &"triage",
        &dir.path(),
        &"--bug",
        &"R1",
        &"--out",
        &dir.path(),
    ]));
    assert_one_line_error(&out, "inside the output directory");
}

#[test]
fn minimize_shrinks_to_the_same_signature_and_never_overwrites() {
    let dir = TempDir::new("minimize");
    let input = dir.write("r1.scn", R1_NOISY);
    let out = bootfuzz(args(&[&"minimize", &input, &"--bug", &"R1"]));
    let text = stdout(&out);
    assert_eq!(code(&out), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains(R1_SIG), "{text}");
    assert!(
        text.contains("ops 7 -> 1, RAM ranges 2 -> 1, nodes 2 -> 1"),
        "{text}"
    );
    let written = dir.path().join("r1.min.scn");
    let minimized = read(&written);
    assert!(
        minimized.starts_with(&format!("# signature: {R1_SIG}\n")),
        "{minimized}"
    );
    assert_eq!(ops(&minimized), 1, "{minimized}");
    let replay = bootfuzz(args(&[&"replay", &written, &"--bug", &"R1"]));
    assert!(stdout(&replay).contains(R1_SIG));

    let again = bootfuzz(args(&[&"minimize", &input, &"--bug", &"R1"]));
    assert_one_line_error(
        &again,
        "r1.min.scn: exists already and is never overwritten",
    );
    assert_eq!(read(&written), minimized);
}

#[test]
fn minimize_without_a_finding_says_so_in_one_line() {
    let dir = TempDir::new("minimize-clean");
    let input = dir.write("r1.scn", R1_NOISY);
    let out = bootfuzz(args(&[&"minimize", &input]));
    assert_one_line_error(&out, "r1.scn: no finding to keep with no bug planted");
    assert!(!dir.path().join("r1.min.scn").exists());
}

#[test]
fn regress_writes_a_minimized_regression_naming_its_signature() {
    let dir = TempDir::new("regress");
    let input = dir.write("k1.scn", K1_NOISY);
    let regressions = dir.path().join("regressions");
    let run = || {
        bootfuzz(args(&[
            &"regress",
            &input,
            &"--bug",
            &"K1",
            &"--dir",
            &regressions,
        ]))
    };
    let out = run();
    assert_eq!(code(&out), Some(0), "{}{}", stdout(&out), stderr(&out));
    let file = regressions.join("wrong-outcome.bootmem2.reserve.free-map-differs-after-error.scn");
    let text = read(&file);
    assert!(
        text.starts_with(&format!("# Regression: {K1_SIG}\n")),
        "{text}"
    );
    assert!(text.contains("# planted bugs: K1 "), "{text}");
    assert!(ops(&text) <= 2, "{text}");
    // Clean without the bug, as `cargo test` expects of a regression.
    let clean = bootfuzz(args(&[&"replay", &file]));
    assert_eq!(code(&clean), Some(0), "{}", stdout(&clean));
    assert_one_line_error(&run(), "exists already and is never overwritten");
}

/// The regression test triage writes is the one committed as
/// `oracles/tests/triage_example.rs`, which `cargo test` compiles and runs:
/// so the generated code compiles, passes, and is as rustfmt prints it.
#[test]
fn the_generated_regression_test_is_the_committed_example() {
    let dir = TempDir::new("triage-example");
    let inputs = dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(inputs.join("r1.scn"), R1_NOISY).unwrap_or_else(|e| panic!("{e}"));
    let out_dir = dir.path().join("triage");
    let out = bootfuzz(args(&[
        &"triage", &inputs, &"--bug", &"R1", &"--out", &out_dir,
    ]));
    assert_eq!(code(&out), Some(0), "{}", stderr(&out));
    let generated =
        read(&out_dir.join("misaligned.rootmem.alloc.start-not-aligned/regression_test.rs"));
    let committed =
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../oracles/tests/triage_example.rs"));
    assert_eq!(generated, committed);
}
