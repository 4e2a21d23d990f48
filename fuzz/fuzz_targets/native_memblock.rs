//! memblock's native API, straight from the bytes, against its own model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::fuzz::native_memblock(data));
