//! The built-in engine's pseudo-random numbers: [`oracles::prng`]'s
//! SplitMix64, and a seed from the clock for a run without `--seed`.

use oracles::prng::mix;
use std::time::{SystemTime, UNIX_EPOCH};

pub use oracles::prng::Prng;

/// A seed for a run without `--seed`: the wall clock and the process id,
/// mixed. Printed at the start of the run so it can be reproduced.
pub fn clock_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    mix(nanos ^ (u64::from(std::process::id()) << 32))
}
