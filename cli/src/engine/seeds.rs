//! The seeds of a run: the inputs in the seed directories (by default the
//! committed `corpus/`), read before anything is mutated. Raw engine bytes
//! are taken as they are; `.scn` scenarios are written as the bytes that
//! decode back to them (`oracles::encode`).

use super::corpus::Entry;
use crate::error::CliError;
use crate::input::{self, Format};
use oracles::BackendInfo;
use std::fs;
use std::path::{Path, PathBuf};

/// The default seed directories under `root`, those that exist: the
/// `differential` corpus, one per chosen backend, and the regressions.
pub fn default_dirs(root: &Path, backends: &[BackendInfo]) -> Vec<PathBuf> {
    let mut names = vec!["differential".to_string()];
    names.extend(backends.iter().map(|b| b.name.to_string()));
    names.push("regressions".to_string());
    names
        .into_iter()
        .map(|n| root.join(n))
        .filter(|d| d.is_dir())
        .collect()
}

/// The seeds found in `dirs` (each a directory or a file), in order, and
/// how many `.scn` files were skipped because they exceed the decode
/// bounds (they still replay with `bootfuzz replay`, but have no engine
/// bytes).
pub fn load(dirs: &[PathBuf]) -> Result<(Vec<Entry>, usize), CliError> {
    let mut seeds = Vec::new();
    let mut skipped = 0;
    for path in input::expand(dirs)? {
        match Format::of(&path) {
            Format::Bytes => {
                let data = fs::read(&path).map_err(|e| CliError::io(&path, e))?;
                let scenario = oracles::decode(&data);
                seeds.push(Entry { data, scenario });
            }
            Format::Text => {
                let scenario = input::load(&path)?;
                match oracles::encode(&scenario) {
                    Ok(data) => seeds.push(Entry { data, scenario }),
                    Err(_) => skipped += 1,
                }
            }
        }
    }
    Ok((seeds, skipped))
}
