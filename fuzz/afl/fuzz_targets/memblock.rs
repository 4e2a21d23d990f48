//! The memblock backend against its model.
fn main() {
    bootfuzz_afl::run("memblock");
}
