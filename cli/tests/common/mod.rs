//! Helpers shared by the integration tests: running the binary and scratch
//! directories under the system temp dir.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The sample scenario of the brief: valid `.scn` syntax, every op kind the
/// text format needs for a round trip through `show` and `replay`.
pub const SAMPLE_SCN: &str = "\
# bootfuzz scenario v1
ram start=0x1000 end=0x8000_0000 nid=0
reserve base=0x1000 size=0x2000 mode=default
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
free_alloc index=0 part=all
release_all
";

/// Runs `bootfuzz` with `args` and returns what it did.
pub fn bootfuzz<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    match Command::new(env!("CARGO_BIN_EXE_bootfuzz"))
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!("cannot start bootfuzz: {e}"),
    }
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The exit code (`None` if killed by a signal).
pub fn code(out: &Output) -> Option<i32> {
    out.status.code()
}

/// Asserts the shape of a bad-input failure: exit 2, exactly one line on
/// stderr, starting `bootfuzz: error: ` and containing `needle`, no panic.
pub fn assert_one_line_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "stderr: {err}");
    assert!(err.starts_with("bootfuzz: error: "), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in stderr: {err}");
    assert!(!err.contains("panicked"), "stderr: {err}");
}

/// A scratch directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory whose name starts with `bootfuzz-<tag>-`.
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("bootfuzz-{tag}-{}-{n}-{nanos}", std::process::id()));
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("cannot create {}: {e}", dir.display());
        }
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `data` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        if let Err(e) = std::fs::write(&path, data) {
            panic!("cannot write {}: {e}", path.display());
        }
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
