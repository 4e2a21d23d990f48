//! The one error type of the command line: every failure the user can cause
//! with an input, formatted as exactly one line (`main` prefixes it with
//! `bootfuzz: error: ` and exits with code 2).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A failure that ends the command with exit code 2.
#[derive(Debug)]
pub enum CliError {
    /// Reading, writing or listing `path` failed.
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A `.scn` file does not parse.
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first error.
        line: usize,
        /// What is wrong with that line.
        message: String,
    },
    /// `--backend` named a backend that is not registered.
    UnknownBackend {
        /// The name given.
        name: String,
        /// Every registered name.
        known: Vec<&'static str>,
    },
    /// A scenario cannot be encoded as engine bytes (it exceeds a decode
    /// bound).
    Encode {
        /// The file.
        path: PathBuf,
        /// Why, in words.
        message: String,
    },
    /// A tool the command needs is not there (what, and how to get it).
    Unavailable(String),
    /// An input to minimize, triage or pin has no finding with the bugs
    /// planted.
    NoFinding {
        /// The input.
        path: PathBuf,
        /// The bugs that were planted.
        bugs: bootmem::BugSet,
    },
    /// An input's finding did not survive (a flaky finding: a harness
    /// defect).
    NotReproduced {
        /// The input.
        path: PathBuf,
        /// What happened instead.
        message: String,
    },
    /// An output file exists already and is never overwritten.
    Exists(PathBuf),
    /// Writing our own output to stdout failed.
    Output(io::Error),
}

impl CliError {
    /// An IO error about `path`.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> CliError {
        CliError::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether this is stdout closing under us (`bootfuzz show x | head`),
    /// which ends the command quietly.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl From<io::Error> for CliError {
    /// Any bare IO error is a failure to write our own output.
    fn from(e: io::Error) -> CliError {
        CliError::Output(e)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CliError::Parse {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            CliError::UnknownBackend { name, known } => {
                write!(f, "unknown backend `{name}` (known: {})", known.join(", "))
            }
            CliError::Encode { path, message } => {
                write!(f, "{}: cannot encode: {message}", path.display())
            }
            CliError::Unavailable(why) => f.write_str(why),
            CliError::NoFinding { path, bugs } if bugs.is_empty() => write!(
                f,
                "{}: no finding to keep with no bug planted (a planted bug needs --bug ID)",
                path.display()
            ),
            CliError::NoFinding { path, bugs } => {
                write!(
                    f,
                    "{}: no finding to keep with {bugs} planted",
                    path.display()
                )
            }
            CliError::NotReproduced { path, message } => {
                write!(
                    f,
                    "{}: the finding did not reproduce: {message}",
                    path.display()
                )
            }
            CliError::Exists(path) => write!(
                f,
                "{}: exists already and is never overwritten",
                path.display()
            ),
            CliError::Output(e) => write!(f, "<stdout>: {e}"),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CliError::Io { source, .. } | CliError::Output(source) => Some(source),
            CliError::Parse { .. }
            | CliError::UnknownBackend { .. }
            | CliError::Encode { .. }
            | CliError::Unavailable(_)
            | CliError::NoFinding { .. }
            | CliError::NotReproduced { .. }
            | CliError::Exists(_) => None,
        }
    }
}
