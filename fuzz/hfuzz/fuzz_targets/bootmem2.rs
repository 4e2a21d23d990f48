//! The bootmem2 backend against its model.
fn main() {
    bootfuzz_hfuzz::run("bootmem2");
}
