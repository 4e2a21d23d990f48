//! The bootmem backend against its model.
fn main() {
    bootfuzz_hfuzz::run("bootmem");
}
