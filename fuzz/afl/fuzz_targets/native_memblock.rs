//! memblock's native API against its own byte model.
fn main() {
    bootfuzz_afl::run("native_memblock");
}
