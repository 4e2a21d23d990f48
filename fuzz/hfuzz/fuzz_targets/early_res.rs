//! The early_res backend against its model.
fn main() {
    bootfuzz_hfuzz::run("early_res");
}
