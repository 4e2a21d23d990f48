//! Every backend against its model and, where two share a profile, each other.
fn main() {
    bootfuzz_afl::run("differential");
}
