//! The bootmem2 backend against its model.
fn main() {
    bootfuzz_afl::run("bootmem2");
}
