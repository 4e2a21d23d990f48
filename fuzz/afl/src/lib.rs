//! AFL++ entry points: each bin in `fuzz_targets/` is one target of
//! [`oracles::fuzz::TARGETS`] and calls [`run`] with its name, so AFL++ feeds
//! the same body as cargo-fuzz, honggfuzz and `bootfuzz replay`
//! (`oracles/tests/engine_packages.rs` keeps the bins and the targets one to
//! one).
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
