//! The memblock_bu backend against its model.
fn main() {
    bootfuzz_afl::run("memblock_bu");
}
