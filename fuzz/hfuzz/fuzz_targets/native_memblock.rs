//! memblock's native API against its own byte model.
fn main() {
    bootfuzz_hfuzz::run("native_memblock");
}
