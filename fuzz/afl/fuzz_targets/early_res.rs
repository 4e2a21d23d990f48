//! The early_res backend against its model.
fn main() {
    bootfuzz_afl::run("early_res");
}
