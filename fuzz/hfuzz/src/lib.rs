//! honggfuzz entry points: each bin in `fuzz_targets/` is one target of
//! [`oracles::fuzz::TARGETS`] and calls [`run`] with its name, so honggfuzz
//! feeds the same body as cargo-fuzz, AFL++ and `bootfuzz replay`.
//!
//! `cargo hfuzz build` passes `--cfg fuzzing` and links honggfuzz's runtime;
//! a plain `cargo build` compiles the same bins without it (they only say how
//! to build them), so they lint on stable.

/// Runs the target named `target` in honggfuzz's persistent loop: every
/// input goes to [`oracles::fuzz::body`]; a finding panics, honggfuzz-rs's
/// hook aborts (the panic message is not printed), and honggfuzz saves the
/// input as `hfuzz_workspace/<target>/*.fuzz`.
pub fn run(target: &'static str) {
    if !oracles::fuzz::TARGETS.contains(&target) {
        eprintln!("bootfuzz-hfuzz: no fuzz target named {target}");
        std::process::exit(2);
    }
    loop {
        honggfuzz::fuzz(|data| {
            oracles::fuzz::body(target, data);
        });
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
