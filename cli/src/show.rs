//! `bootfuzz show`: print the scenario of an input as `.scn` text.

use crate::error::CliError;
use crate::input;
use std::io::Write;
use std::path::Path;

/// Prints the scenario of `path` (engine bytes decoded, or a `.scn` file
/// parsed and printed again, normalized) to `out`.
pub fn show(path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let scenario = input::load(path)?;
    let text = oracles::text::print(&scenario);
    out.write_all(text.as_bytes())?;
    if !text.is_empty() && !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}
