//! The engines a zoo can drive, and how each one's child is started.
//!
//! - `builtin`: `bootfuzz run` with its default structure-aware strategy.
//! - `random`: `bootfuzz run --strategy random`, fresh random bytes with no
//!   feedback: what the structure and the feedback buy.
//! - `libfuzzer`: the cargo-fuzz target named after the backend, run
//!   directly from its build directory (`cargo fuzz build -O --fuzz-dir
//!   fuzz` puts it in `fuzz/target/<triple>/release/`), with the fault
//!   planted through `BOOTFUZZ_BUG`.
//!
//! Every engine starts from no seed inputs, so that a committed
//! regression cannot hand it the fault.

use std::fmt;
use std::path::{Path, PathBuf};

/// One engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Engine {
    /// `bootfuzz run` (structure-aware, coverage-guided).
    Builtin,
    /// `bootfuzz run --strategy random`.
    Random,
    /// The cargo-fuzz (libFuzzer) target binary.
    LibFuzzer,
}

impl Engine {
    /// Every engine, in table order.
    pub const ALL: [Engine; 3] = [Engine::Builtin, Engine::Random, Engine::LibFuzzer];

    /// The name on the command line and in the tables.
    pub const fn name(self) -> &'static str {
        match self {
            Engine::Builtin => "builtin",
            Engine::Random => "random",
            Engine::LibFuzzer => "libfuzzer",
        }
    }

    /// The engine called `name`.
    pub fn parse(name: &str) -> Result<Engine, String> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == name)
            .ok_or_else(|| format!("`{name}` is not an engine (builtin, random, libfuzzer)"))
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where `cargo fuzz build -O --fuzz-dir fuzz` puts the target binaries,
/// relative to the repository root.
pub fn default_libfuzzer_dir() -> PathBuf {
    Path::new("fuzz/target")
        .join(format!("{}-unknown-linux-gnu", std::env::consts::ARCH))
        .join("release")
}

/// Why `engine` cannot run a job against `backend`, if it cannot: the
/// libFuzzer target binary is missing.
pub fn unavailable(engine: Engine, backend: &str, libfuzzer_dir: &Path) -> Option<String> {
    match engine {
        Engine::Builtin | Engine::Random => None,
        Engine::LibFuzzer => {
            let bin = libfuzzer_dir.join(backend);
            (!bin.is_file()).then(|| {
                format!(
                    "{} is not built (run `cargo +nightly fuzz build -O --fuzz-dir fuzz`)",
                    bin.display()
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        for e in Engine::ALL {
            assert_eq!(Engine::parse(e.name()), Ok(e));
        }
        assert!(Engine::parse("afl").is_err());
    }

    #[test]
    fn a_missing_target_binary_makes_libfuzzer_unavailable() {
        let nowhere = Path::new("/nonexistent-bootfuzz-dir");
        assert!(unavailable(Engine::LibFuzzer, "bootmem", nowhere).is_some());
        assert!(unavailable(Engine::Builtin, "bootmem", nowhere).is_none());
    }
}
