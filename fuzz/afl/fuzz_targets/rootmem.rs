//! The rootmem backend against its model.
fn main() {
    bootfuzz_afl::run("rootmem");
}
