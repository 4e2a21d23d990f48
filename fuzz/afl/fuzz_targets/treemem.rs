//! The treemem backend against its model.
fn main() {
    bootfuzz_afl::run("treemem");
}
