//! Scratch directories for unit tests.

use std::path::PathBuf;

/// A fresh path under the system temp directory, `bootfuzz-unit-<name>-`
/// followed by the process id and a clock seed; nothing exists there yet.
/// The test removes it when done.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "bootfuzz-unit-{name}-{}-{}",
        std::process::id(),
        crate::prng::clock_seed()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
