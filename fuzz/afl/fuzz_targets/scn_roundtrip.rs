//! A decoded scenario printed as .scn text parses back to itself.
fn main() {
    bootfuzz_afl::run("scn_roundtrip");
}
