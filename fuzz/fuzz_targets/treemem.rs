//! The treemem backend against its model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::fuzz::backend("treemem", data));
