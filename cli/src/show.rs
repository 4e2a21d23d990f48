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

/// Prints the native memblock calls that the bytes of `path` decode to.
pub fn show_native(path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let data = std::fs::read(path).map_err(|e| CliError::io(path, e))?;
    let text = oracles::native::describe(&data);
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}
