//! The artifacts directory of `bootfuzz run`: the input in flight, and one
//! saved reproducer per distinct finding signature.
//!
//! A finding with signature `kind/backend/op/class` found on input bytes `B`
//! is saved as `<kind.backend.op.class>-<FNV-1a 64 of B, 16 hex>.bin` (the raw
//! bytes, replayable by every engine) and `.scn` (the decoded scenario as
//! text, preceded by `#` comments with the finding and the seed). Files that
//! already exist are never overwritten.

use crate::error::CliError;
use crate::hash::fnv1a64;
use bootmem::BugSet;
use oracles::{Finding, Scenario, Signature};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Name of the file that holds the input being run right now.
pub const INFLIGHT: &str = ".inflight";

/// An artifacts directory, created if missing.
#[derive(Debug)]
pub struct Artifacts {
    dir: PathBuf,
}

impl Artifacts {
    /// Creates `dir` (and its parents) if needed.
    pub fn open(dir: &Path) -> Result<Artifacts, CliError> {
        fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
        Ok(Artifacts {
            dir: dir.to_path_buf(),
        })
    }

    /// Path of worker `worker`'s in-flight file: `.inflight` for worker 0,
    /// `.inflight.N` for the others.
    pub fn inflight_path_of(&self, worker: usize) -> PathBuf {
        match worker {
            0 => self.dir.join(INFLIGHT),
            n => self.dir.join(format!("{INFLIGHT}.{n}")),
        }
    }

    /// Writes `data` to worker `worker`'s in-flight file before it runs, so
    /// an abort or a hang cannot lose the input that caused it.
    pub fn set_inflight_of(&self, worker: usize, data: &[u8]) -> Result<(), CliError> {
        let path = self.inflight_path_of(worker);
        fs::write(&path, data).map_err(|e| CliError::io(path, e))
    }

    /// Removes worker `worker`'s in-flight file at a normal end of the run.
    pub fn clear_inflight_of(&self, worker: usize) -> Result<(), CliError> {
        let path = self.inflight_path_of(worker);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(CliError::io(path, e)),
            _ => Ok(()),
        }
    }

    /// Saves the reproducer of a new finding: the raw `data` as `.bin` and
    /// the decoded `scenario` as `.scn`. Returns the `.bin` path.
    pub fn save(
        &self,
        finding: &Finding,
        data: &[u8],
        scenario: &Scenario,
        seed: u64,
        bugs: BugSet,
    ) -> Result<PathBuf, CliError> {
        let stem = file_stem(&finding.signature(), data);
        let bin = self.dir.join(format!("{stem}.bin"));
        let scn = self.dir.join(format!("{stem}.scn"));
        write_new(&bin, data)?;
        write_new(&scn, scn_text(finding, scenario, seed, bugs).as_bytes())?;
        Ok(bin)
    }
}

/// The `.scn` reproducer text: comment lines naming the finding, the seed
/// and the planted bugs (replay needs the same `--bug`), then the scenario.
pub fn scn_text(finding: &Finding, scenario: &Scenario, seed: u64, bugs: BugSet) -> String {
    let mut text = String::new();
    for line in finding.to_string().lines() {
        text.push_str("# finding: ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!("# seed: {seed} (bootfuzz run --seed {seed})\n"));
    if !bugs.is_empty() {
        let ids = bugs.to_string();
        text.push_str(&format!(
            "# planted bugs: {ids} (replay with --bug {ids})\n"
        ));
    }
    text.push_str(&oracles::text::print(scenario));
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

/// `<slug>-<16 hex>`: the signature as a file name, and the input's hash.
pub fn file_stem(signature: &Signature, data: &[u8]) -> String {
    format!("{}-{:016x}", slug(signature), fnv1a64(data))
}

/// The signature with `/` replaced by `.`, and anything that does not
/// belong in a portable file name replaced by `_`.
pub fn slug(signature: &Signature) -> String {
    signature
        .to_string()
        .chars()
        .map(|c| match c {
            '/' => '.',
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' => c,
            _ => '_',
        })
        .collect()
}

/// Writes a file that does not exist yet; an existing file (the same input
/// and signature saved before) is left as it is.
pub fn write_new(path: &Path, data: &[u8]) -> Result<(), CliError> {
    let file = OpenOptions::new().write(true).create_new(true).open(path);
    match file {
        Ok(mut f) => f.write_all(data).map_err(|e| CliError::io(path, e)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(CliError::io(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scratch::temp_dir;
    use oracles::{FindingKind, OpKind};

    fn finding() -> Finding {
        Finding {
            kind: FindingKind::Goal,
            backend: "rootmem",
            op_index: Some(3),
            op_kind: OpKind::Alloc,
            class: "result-below-goal",
            detail: "got 0x1000, expected >= 0x2000".to_string(),
        }
    }

    #[test]
    fn slug_and_stem() {
        let sig = finding().signature();
        assert_eq!(slug(&sig), "goal.rootmem.alloc.result-below-goal");
        assert_eq!(
            file_stem(&sig, b""),
            "goal.rootmem.alloc.result-below-goal-cbf29ce484222325"
        );
    }

    #[test]
    fn save_writes_both_files_and_never_overwrites() -> Result<(), CliError> {
        let dir = temp_dir("save");
        let art = Artifacts::open(&dir)?;
        let bin = art.save(&finding(), b"abc", &Scenario::default(), 42, BugSet::NONE)?;
        let scn = bin.with_extension("scn");
        assert_eq!(fs::read(&bin).map_err(|e| CliError::io(&bin, e))?, b"abc");
        let text = fs::read_to_string(&scn).map_err(|e| CliError::io(&scn, e))?;
        assert!(text.starts_with("# finding: goal/rootmem/alloc/result-below-goal at op #3"));
        assert!(text.contains("# seed: 42"));
        fs::write(&scn, "kept").map_err(|e| CliError::io(&scn, e))?;
        art.save(&finding(), b"abc", &Scenario::default(), 43, BugSet::NONE)?;
        assert_eq!(fs::read_to_string(&scn).ok().as_deref(), Some("kept"));
        art.set_inflight_of(0, b"xyz")?;
        assert!(art.inflight_path_of(0).exists());
        art.clear_inflight_of(0)?;
        assert!(!art.inflight_path_of(0).exists());
        art.clear_inflight_of(0)?;
        let _ = fs::remove_dir_all(&dir);
        Ok(())
    }
}
