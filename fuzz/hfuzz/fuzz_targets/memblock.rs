//! The memblock backend against its model.
fn main() {
    bootfuzz_hfuzz::run("memblock");
}
