//! The memblock_bu backend against its model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::fuzz::backend("memblock_bu", data));
