//! Replaying crash files and grouping them by the signature of their first
//! finding (SPEC section 6). An input that gives no finding is kept in a
//! list of its own, never dropped.

use crate::error::CliError;
use crate::input;
use bootmem::BugSet;
use oracles::minimize::first_signature;
use oracles::{BackendInfo, Scenario, Signature};
use std::path::PathBuf;
use std::time::SystemTime;

/// One crash file, read.
#[derive(Clone, Debug)]
pub struct Input {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// When the engine wrote it (its modification time).
    pub seen: SystemTime,
    /// What it decodes (or parses) to.
    pub scenario: Scenario,
    /// The backends it is replayed on.
    pub backends: Vec<BackendInfo>,
}

/// The inputs whose first finding has one signature.
#[derive(Clone, Debug)]
pub struct Group {
    /// The signature.
    pub signature: Signature,
    /// The inputs, first seen first (ties by path).
    pub inputs: Vec<Input>,
}

impl Group {
    /// The input written first: what an engine found first.
    pub fn first_seen(&self) -> Option<&Input> {
        self.inputs.first()
    }

    /// The smallest input in bytes (ties: the first seen): the one to
    /// minimize and keep.
    pub fn smallest(&self) -> Option<&Input> {
        self.inputs.iter().min_by_key(|i| i.bytes)
    }
}

/// Every input, grouped.
#[derive(Clone, Debug, Default)]
pub struct Grouped {
    /// The groups, the most inputs first (ties by signature).
    pub groups: Vec<Group>,
    /// Inputs that gave no finding, in the order given.
    pub clean: Vec<PathBuf>,
    /// Inputs of targets that take no scenario, with the target's name.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// How one input is replayed.
#[derive(Clone)]
pub enum Plan {
    /// Decoded as a scenario and played on these backends.
    Play(Vec<BackendInfo>),
    /// Not a scenario: an input of this target (`native_memblock`,
    /// `scn_roundtrip`).
    Skip(&'static str),
}

/// What [`group`] reports around each replay.
pub trait Replaying {
    /// The replay of `path` starts.
    fn start(&mut self, path: &std::path::Path);
    /// It finished; `done` replays so far.
    fn done(&mut self, done: usize);
}

/// Reads every file (a `.scn` that does not parse stops the command
/// before anything is replayed), replays each as `plan` says with `bugs`
/// planted, and groups them, telling `replaying` about each replay.
pub fn group(
    files: &[PathBuf],
    plan: &dyn Fn(&std::path::Path) -> Plan,
    bugs: BugSet,
    replaying: &mut dyn Replaying,
) -> Result<Grouped, CliError> {
    let mut grouped = Grouped::default();
    let mut inputs = Vec::with_capacity(files.len());
    for path in files {
        let backends = match plan(path) {
            Plan::Play(backends) => backends,
            Plan::Skip(target) => {
                grouped.skipped.push((path.clone(), target));
                continue;
            }
        };
        let meta = std::fs::metadata(path).map_err(|e| CliError::io(path, e))?;
        inputs.push(Input {
            path: path.clone(),
            bytes: meta.len(),
            seen: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            scenario: input::load(path)?,
            backends,
        });
    }
    for (done, input) in inputs.into_iter().enumerate() {
        replaying.start(&input.path);
        let signature = first_signature(&input.scenario, &input.backends, bugs);
        replaying.done(done + 1);
        match signature {
            None => grouped.clean.push(input.path),
            Some(signature) => match grouped.groups.iter_mut().find(|g| g.signature == signature) {
                Some(group) => group.inputs.push(input),
                None => grouped.groups.push(Group {
                    signature,
                    inputs: vec![input],
                }),
            },
        }
    }
    for group in &mut grouped.groups {
        group
            .inputs
            .sort_by(|a, b| (a.seen, &a.path).cmp(&(b.seen, &b.path)));
    }
    grouped
        .groups
        .sort_by(|a, b| (b.inputs.len(), a.signature).cmp(&(a.inputs.len(), b.signature)));
    Ok(grouped)
}
