//! honggfuzz entry points: each bin in `fuzz_targets/` is one target of
//! [`oracles::fuzz::TARGETS`] and calls [`run`] with its name, so honggfuzz
//! feeds the same body as cargo-fuzz, AFL++ and `bootfuzz replay`
//! (`oracles/tests/engine_packages.rs` keeps the bins and the targets one to
//! one).
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
