//! The bootmem2 backend against its model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::fuzz::backend("bootmem2", data));
