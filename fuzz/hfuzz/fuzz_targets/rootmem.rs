//! The rootmem backend against its model.
fn main() {
    bootfuzz_hfuzz::run("rootmem");
}
