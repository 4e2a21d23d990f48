//! A decoded scenario printed as .scn text parses back to itself.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| oracles::fuzz::scn_roundtrip(data));
