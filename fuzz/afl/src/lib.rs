//! AFL++ entry points: each bin in `fuzz_targets/` is one target of
//! [`oracles::fuzz::TARGETS`] and calls [`run`] with its name, so AFL++ feeds
//! the same body as cargo-fuzz, honggfuzz and `bootfuzz replay`.
//!
//! `cargo afl build` passes `--cfg fuzzing` and links AFL++'s runtime. A plain
//! `cargo build` leaves the `afl` crate out (its `__afl_*` symbols exist only
//! in that runtime), so the bins still build and lint on stable.

/// Runs the target named `target` in AFL++'s persistent loop: every input
/// goes to [`oracles::fuzz::body`]; a finding panics with
/// `bootfuzz finding: SIGNATURE`, afl.rs's hook prints it and aborts, and
/// AFL++ records the input in `<out>/default/crashes/`.
pub fn run(target: &'static str) {
    if !oracles::fuzz::TARGETS.contains(&target) {
        eprintln!("bootfuzz-afl: no fuzz target named {target}");
        std::process::exit(2);
    }
    #[cfg(fuzzing)]
    afl::fuzz!(|data: &[u8]| {
        oracles::fuzz::body(target, data);
    });
    #[cfg(not(fuzzing))]
    {
        eprintln!("bootfuzz-afl: {target} was built without AFL++; build it with `cargo afl build` (fuzz/ENGINES.md)");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    /// Every target has its bin here, and every bin is a target: adding a
    /// target to `oracles::fuzz::TARGETS` fails this until
    /// `fuzz_targets/<name>.rs` and its `[[bin]]` exist.
    #[test]
    fn one_bin_per_target() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        for target in oracles::fuzz::TARGETS {
            let path = dir.join(format!("fuzz_targets/{target}.rs"));
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                source.contains(&format!("run(\"{target}\")")),
                "{}",
                path.display()
            );
            assert!(
                manifest.contains(&format!(
                    "name = \"{target}\"\npath = \"fuzz_targets/{target}.rs\""
                )),
                "[[bin]] {target}"
            );
        }
        for entry in std::fs::read_dir(dir.join("fuzz_targets")).unwrap() {
            let name = entry.unwrap().path();
            let stem = name
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            assert!(
                oracles::fuzz::TARGETS.contains(&stem),
                "{} names no target",
                name.display()
            );
        }
    }
}
