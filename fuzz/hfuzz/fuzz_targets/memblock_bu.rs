//! The memblock_bu backend against its model.
fn main() {
    bootfuzz_hfuzz::run("memblock_bu");
}
