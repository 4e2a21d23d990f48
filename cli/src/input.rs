//! Loading the files a user names: `.scn` text scenarios and raw engine
//! bytes, and directories of them. Inputs are only ever read.

use crate::error::CliError;
use oracles::Scenario;
use std::fs;
use std::path::{Path, PathBuf};

/// How a file is read, decided by its name alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A `.scn` text scenario, parsed with `oracles::text::parse`.
    Text,
    /// Raw engine bytes (any other name), decoded with `oracles::decode`.
    Bytes,
}

impl Format {
    /// `Text` for a name ending in `.scn`, else `Bytes`.
    pub fn of(path: &Path) -> Format {
        match path.extension() {
            Some(ext) if ext == "scn" => Format::Text,
            _ => Format::Bytes,
        }
    }
}

/// Reads `path` and turns it into a scenario according to its [`Format`].
pub fn load(path: &Path) -> Result<Scenario, CliError> {
    match Format::of(path) {
        Format::Text => {
            let text = fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
            oracles::text::parse(&text).map_err(|e| CliError::Parse {
                path: path.to_path_buf(),
                line: e.line,
                message: e.message,
            })
        }
        Format::Bytes => {
            let data = fs::read(path).map_err(|e| CliError::io(path, e))?;
            Ok(oracles::decode(&data))
        }
    }
}

/// Expands the paths given on the command line: a directory becomes every
/// regular file directly inside it, sorted by name; anything else stays as
/// given. A path that does not exist is an error here, before anything runs.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| CliError::io(path, e))?;
        if meta.is_dir() {
            files.extend(regular_files_in(path)?);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// The regular files directly inside `dir` (symbolic links followed,
/// dangling ones skipped), sorted by file name.
fn regular_files_in(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| CliError::io(dir, e))? {
        let path = entry.map_err(|e| CliError::io(dir, e))?.path();
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push(path),
            Ok(_) => {}
            // A dangling symbolic link is not a regular file.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CliError::io(&path, e)),
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::of(Path::new("a/b.scn")), Format::Text);
        assert_eq!(Format::of(Path::new("crash-123")), Format::Bytes);
        assert_eq!(Format::of(Path::new("x.scn.bin")), Format::Bytes);
        assert_eq!(Format::of(Path::new(".scn")), Format::Bytes);
    }
}
