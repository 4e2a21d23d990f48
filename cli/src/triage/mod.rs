//! `bootfuzz triage PATH...`: from a pile of crash files, from any engine,
//! to one readable, minimized reproducer per distinct finding.
//!
//! Every input is replayed and grouped by the signature of its first
//! finding ([`group`]); inputs that give none are listed, never dropped.
//! For each group, `triage/<signature-slug>/` receives a copy of the
//! smallest input, the minimized `.scn` ([`crate::minimize`]), a
//! `report.md` ([`report`]), a `regression_test.rs` ([`test_code`]) and a
//! `memory-map.svg` of the failing op ([`svg`]); `index.md` and
//! `index.html` list the groups ([`index`]). The inputs are only read:
//! the output directory may not contain them, and copies never overwrite.

pub mod collect;
pub mod group;
pub mod index;
pub mod report;
pub mod svg;
pub mod test_code;

use crate::artifacts::{self, slug};
use crate::error::CliError;
use crate::minimize::{bug_flag, scn_text, shrink, Shrunk};
use crate::watchdog::Watchdog;
use bootmem::BugSet;
use indicatif::{ProgressBar, ProgressDrawTarget};
use oracles::scene::{self, Scene};
use oracles::{BackendInfo, Signature};
use std::fs;
use std::io::IsTerminal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How to triage.
#[derive(Clone)]
pub struct Options {
    /// Where the groups and indexes go (created if missing).
    pub out_dir: PathBuf,
    /// The backends to replay on.
    pub backends: Vec<BackendInfo>,
    /// Whether the user chose `backends` (`--backend`): then every input
    /// plays on them. Otherwise an input whose path names a backend's
    /// fuzz target plays on that backend alone, as its engine ran it.
    pub chosen: bool,
    /// The bugs planted while replaying.
    pub bugs: BugSet,
    /// Replays each group's minimization may spend.
    pub budget: usize,
    /// How long one input's replay may run before triage stops and names
    /// it as a hang (`None`: no limit).
    pub timeout: Option<Duration>,
}

/// One group, triaged: what the report and the indexes show.
#[derive(Debug)]
pub struct Triaged {
    /// The group's signature.
    pub signature: Signature,
    /// Its directory's name under the output directory.
    pub slug: String,
    /// How many inputs it holds.
    pub count: usize,
    /// The input written first.
    pub first_seen: PathBuf,
    /// The smallest input.
    pub smallest: PathBuf,
    /// Its size in bytes.
    pub smallest_bytes: u64,
    /// The name of its copy in the group's directory.
    pub kept_copy: String,
    /// Its minimization.
    pub shrunk: Shrunk,
    /// The memory around the minimized finding.
    pub scene: Option<Scene>,
    /// `B1` or `none`.
    pub bugs_named: String,
    /// The `bootfuzz regress` command that pins the group down.
    pub regress_command: String,
}

/// Triages the crash files in `paths` ([`collect::crash_files`]) into
/// `options.out_dir`, printing one line per group.
pub fn triage(paths: &[PathBuf], options: &Options, out: &mut dyn Write) -> Result<(), CliError> {
    let files = collect::crash_files(paths)?;
    refuse_inputs_inside(&files, &options.out_dir)?;
    let plan = |path: &Path| plan(path, options);
    let mut watch = Watch::new(files.len(), options.timeout);
    let grouped = group::group(&files, &plan, options.bugs, &mut watch)?;
    watch.bar.finish_and_clear();
    drop(watch);
    fs::create_dir_all(&options.out_dir).map_err(|e| CliError::io(&options.out_dir, e))?;
    let mut triaged = Vec::with_capacity(grouped.groups.len());
    for g in &grouped.groups {
        let t = triage_group(g, options)?;
        let m = &t.shrunk.minimized;
        writeln!(
            out,
            "{:>5} x {}  ->  {}/{}/minimized.scn ({} ops, from {})",
            t.count,
            t.signature,
            options.out_dir.display(),
            t.slug,
            m.after.ops,
            m.before.ops
        )?;
        triaged.push(t);
    }
    for path in &grouped.clean {
        writeln!(out, "{}: no finding (listed in the index)", path.display())?;
    }
    for (path, target) in &grouped.skipped {
        writeln!(
            out,
            "{}: not triaged: a {target} input is no scenario (bootfuzz replay --target {target})",
            path.display()
        )?;
    }
    let md = index::index_md(&triaged, &grouped, files.len());
    let html = index::index_html(&triaged, &grouped, files.len());
    write_file(&options.out_dir.join("index.md"), &md)?;
    write_file(&options.out_dir.join("index.html"), &html)?;
    writeln!(
        out,
        "triage: {} inputs, {} groups, {} without a finding, {} not triaged; see {}",
        files.len(),
        triaged.len(),
        grouped.clean.len(),
        grouped.skipped.len(),
        options.out_dir.join("index.html").display()
    )?;
    Ok(())
}

/// Minimizes a group's smallest input and writes its directory.
fn triage_group(g: &group::Group, options: &Options) -> Result<Triaged, CliError> {
    let (Some(first), Some(smallest)) = (g.first_seen(), g.smallest()) else {
        return Err(CliError::Unavailable(format!(
            "group {} is empty",
            g.signature
        )));
    };
    let backends = &smallest.backends;
    let shrunk = shrink(
        &smallest.path,
        &smallest.scenario,
        backends,
        options.bugs,
        options.budget,
    )?;
    let slug = slug(&g.signature);
    let dir = options.out_dir.join(&slug);
    fs::create_dir_all(&dir).map_err(|e| CliError::io(&dir, e))?;
    let kept_copy = smallest
        .path
        .file_name()
        .map_or_else(|| "input".to_string(), |n| n.to_string_lossy().into_owned());
    let data = fs::read(&smallest.path).map_err(|e| CliError::io(&smallest.path, e))?;
    artifacts::write_new(&dir.join(&kept_copy), &data)?;
    let minimized_path = dir.join("minimized.scn");
    write_file(
        &minimized_path,
        &scn_text(&shrunk, options.bugs, "signature"),
    )?;
    let scene = scene::scene(
        &shrunk.minimized.scenario,
        &options.backends,
        options.bugs,
        &g.signature,
    );
    let flags = format!(
        "{}{}",
        backend_flags(&options.backends),
        bug_flag(options.bugs)
    );
    let t = Triaged {
        signature: g.signature,
        slug: slug.clone(),
        count: g.inputs.len(),
        first_seen: first.path.clone(),
        smallest: smallest.path.clone(),
        smallest_bytes: smallest.bytes,
        kept_copy,
        scene,
        bugs_named: match bug_flag(options.bugs).strip_prefix(" --bug ") {
            Some(ids) => format!("{ids} (replay with `--bug {ids}`)"),
            None => "none".to_string(),
        },
        regress_command: format!("bootfuzz regress {}{flags}", minimized_path.display()),
        shrunk,
    };
    let replay = format!("bootfuzz replay {}{flags}", minimized_path.display());
    write_file(&dir.join("report.md"), &report::report(&t, &replay))?;
    write_file(
        &dir.join("regression_test.rs"),
        &test_code::regression_test(&t.shrunk, &slug, options.bugs),
    )?;
    if let Some(scene) = &t.scene {
        let picture = svg::memory_map_svg(&t.shrunk.minimized.scenario.map, scene);
        write_file(&dir.join("memory-map.svg"), &picture)?;
    }
    Ok(t)
}

/// How `path` is replayed: on the chosen backends, or on the backend its
/// fuzz target names ([`collect::target_of`]); an input of a target that
/// takes no scenario is skipped.
fn plan(path: &Path, options: &Options) -> group::Plan {
    let target = collect::target_of(path);
    if let Some(t @ ("native_memblock" | "scn_roundtrip")) = target {
        return group::Plan::Skip(t);
    }
    match target.and_then(oracles::find_backend) {
        Some(info) if !options.chosen => group::Plan::Play(vec![info]),
        _ => group::Plan::Play(options.backends.clone()),
    }
}

/// Watches the replays of [`group::group`]: a bar counting them on stderr
/// when it is a terminal, and a watchdog that ends the command when one
/// replay runs past the time budget. A stuck backend call cannot be
/// stopped from outside, so the watchdog prints the input as a hang and
/// exits with code 1 (a finding), before anything is written.
struct Watch {
    bar: ProgressBar,
    dog: Option<Watchdog>,
    current: Arc<Mutex<PathBuf>>,
}

impl Watch {
    fn new(len: usize, timeout: Option<Duration>) -> Watch {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let current = Arc::new(Mutex::new(PathBuf::new()));
        let dog = timeout.map(|budget| {
            let stuck = Arc::clone(&current);
            Watchdog::start(budget, move |_| {
                let path = stuck.lock().map(|p| p.clone()).unwrap_or_default();
                let mut stdout = std::io::stdout();
                let _ = writeln!(
                    stdout,
                    "{}: hang: its replay ran past {:.3} s; triage stopped before writing \
                     anything (move the file aside to triage the rest)",
                    path.display(),
                    budget.as_secs_f64()
                );
                let _ = stdout.flush();
                std::process::exit(1);
            })
        });
        Watch {
            bar: ProgressBar::with_draw_target(Some(len as u64), target),
            dog,
            current,
        }
    }
}

impl group::Replaying for Watch {
    fn start(&mut self, path: &Path) {
        if let Ok(mut current) = self.current.lock() {
            *current = path.to_path_buf();
        }
        if let Some(dog) = &self.dog {
            dog.begin();
        }
    }

    fn done(&mut self, done: usize) {
        if let Some(dog) = &self.dog {
            dog.end();
        }
        self.bar.set_position(done as u64);
    }
}

/// ` --backend a --backend b`, or nothing when every backend is played.
fn backend_flags(backends: &[BackendInfo]) -> String {
    if backends.len() == oracles::backends().len() {
        return String::new();
    }
    backends
        .iter()
        .map(|b| format!(" --backend {}", b.name))
        .collect()
}

/// A generated file: written whole, replacing an earlier triage's.
fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    fs::write(path, text).map_err(|e| CliError::io(path, e))
}

/// An error when any input lies inside `out_dir`: triage would write
/// among the inputs it was given.
fn refuse_inputs_inside(files: &[PathBuf], out_dir: &Path) -> Result<(), CliError> {
    let Ok(out) = out_dir.canonicalize() else {
        return Ok(()); // It does not exist yet, so it holds no input.
    };
    for file in files {
        let Ok(path) = file.canonicalize() else {
            continue;
        };
        if path.starts_with(&out) {
            return Err(CliError::Unavailable(format!(
                "{}: the input lies inside the output directory {}; choose another --out",
                file.display(),
                out_dir.display()
            )));
        }
    }
    Ok(())
}
