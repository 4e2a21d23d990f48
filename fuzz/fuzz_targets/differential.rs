//! Every backend against its model and, where two share a profile, each other.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::fuzz::differential(data));
