//! `bootfuzz encode`: `.scn` scenarios turned into the engine bytes that
//! decode back to them, so hand-written scenarios can seed any engine's
//! corpus (`oracles::encode`, the inverse of `oracles::decode`).

use crate::error::CliError;
use crate::input;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Encodes each `.scn` file of `files` (directories expanded) into
/// `out_dir/<stem>.bin`, refusing to overwrite a file that differs, and
/// prints one line per file written. Every input is encoded before any file
/// is written, so a bad one stops the command with nothing half-done.
pub fn encode(files: &[PathBuf], out_dir: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let mut encoded = Vec::new();
    for file in input::expand(files)? {
        let scenario = input::load(&file)?;
        let bytes = oracles::encode(&scenario).map_err(|e| CliError::Encode {
            path: file.clone(),
            message: e.to_string(),
        })?;
        let stem = file
            .file_stem()
            .map_or_else(|| "input".into(), |s| s.to_os_string());
        let target = out_dir.join(stem).with_extension("bin");
        encoded.push((file, target, bytes));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| CliError::io(out_dir, e))?;
    for (file, target, bytes) in encoded {
        match std::fs::read(&target) {
            Ok(existing) if existing == bytes => {}
            Ok(_) => {
                return Err(CliError::io(
                    &target,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "exists with other bytes; not overwritten",
                    ),
                ))
            }
            Err(_) => std::fs::write(&target, &bytes).map_err(|e| CliError::io(&target, e))?,
        }
        writeln!(
            out,
            "{} -> {} ({} bytes)",
            file.display(),
            target.display(),
            bytes.len()
        )?;
    }
    Ok(())
}
