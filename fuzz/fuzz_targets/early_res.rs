//! The early_res backend against its model.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::fuzz::backend("early_res", data));
