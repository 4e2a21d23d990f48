//! The treemem backend against its model.
fn main() {
    bootfuzz_hfuzz::run("treemem");
}
