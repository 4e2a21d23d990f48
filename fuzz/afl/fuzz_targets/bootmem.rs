//! The bootmem backend against its model.
fn main() {
    bootfuzz_afl::run("bootmem");
}
