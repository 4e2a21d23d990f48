//! The nobootmem backend against its model.
fn main() {
    bootfuzz_afl::run("nobootmem");
}
