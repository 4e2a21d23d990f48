//! The nobootmem backend against its model.
fn main() {
    bootfuzz_hfuzz::run("nobootmem");
}
