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
/// input file directly inside it ([`is_input_name`]), sorted by name;
/// anything else stays as given. A path that does not exist is an error
/// here, before anything runs.
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
        if !path.file_name().is_some_and(is_input_name) {
            continue;
        }
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

/// Whether a file found in a directory is an input: not hidden (a run's
/// own `.inflight`, AFL++'s `.state`), and not an engine's notes
/// (`*.txt` in any case: AFL++'s `crashes/README.txt`, honggfuzz's
/// `HONGGFUZZ.REPORT.TXT`). A file named on the command line is always
/// read.
pub fn is_input_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    let notes = Path::new(name.as_ref())
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("txt"));
    !name.starts_with('.') && !notes
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

    #[test]
    fn engine_notes_and_hidden_files_are_not_inputs() {
        let input = |n: &str| is_input_name(std::ffi::OsStr::new(n));
        assert!(!input("README.txt"));
        assert!(!input("HONGGFUZZ.REPORT.TXT"));
        assert!(!input(".inflight"));
        assert!(input("id:000000,sig:06,src:000000,time:235"));
        assert!(input("crash-6b1665ae7a04ae6e50285671a074c6cb8738701d"));
        assert!(input("SIGABRT.PC.7ffff7e3feec.fuzz"));
        assert!(input("a.scn"));
    }
}
