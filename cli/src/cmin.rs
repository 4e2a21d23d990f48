//! `bootfuzz cmin`: corpus minimization by semantic coverage. Every input
//! (raw bytes from any engine, or `.scn`) is replayed and its features
//! ([`oracles::coverage`]) collected; a greedy set cover keeps the input
//! that adds the most features not yet covered (the smaller on a tie),
//! then drops any kept input whose features the others cover. The kept
//! inputs are copied, unchanged and under their own names, to the output
//! directory; the inputs given are only read.

use crate::error::CliError;
use crate::input;
use bootmem::BugSet;
use oracles::coverage::Feature;
use oracles::BackendInfo;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One input and what it covers.
struct Covered {
    path: PathBuf,
    size: u64,
    features: HashSet<Feature>,
}

/// What `cmin` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Inputs read.
    pub inputs: usize,
    /// Inputs kept.
    pub kept: usize,
    /// Features covered, by the inputs and (the same) by the kept ones.
    pub features: usize,
}

/// Minimizes the inputs in `paths` (files or directories) into `out`,
/// which must not be one of them and is created if missing.
pub fn cmin(
    paths: &[PathBuf],
    out_dir: &Path,
    backends: &[BackendInfo],
    bugs: BugSet,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let files = input::expand(paths)?;
    let mut all = Vec::with_capacity(files.len());
    for path in files {
        let scenario = input::load(&path)?;
        let size = fs::metadata(&path)
            .map_err(|e| CliError::io(&path, e))?
            .len();
        let report = oracles::run_with_bugs(&scenario, backends, bugs);
        let features = report.features.into_iter().collect();
        all.push(Covered {
            path,
            size,
            features,
        });
    }
    let keep = cover(&all);
    let union: HashSet<&Feature> = all.iter().flat_map(|c| &c.features).collect();
    fs::create_dir_all(out_dir).map_err(|e| CliError::io(out_dir, e))?;
    let mut names: HashMap<std::ffi::OsString, usize> = HashMap::new();
    for &i in &keep {
        let from = &all[i].path;
        let name = from
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        // Two inputs of one name from two directories: number the second.
        let count = names.entry(name.clone()).or_insert(0);
        *count += 1;
        let mut target = out_dir.join(&name);
        if *count > 1 {
            let mut numbered = name.clone();
            numbered.push(format!(".{count}"));
            target = out_dir.join(numbered);
        }
        if target.exists() {
            return Err(CliError::io(
                &target,
                std::io::Error::new(std::io::ErrorKind::AlreadyExists, "would overwrite"),
            ));
        }
        fs::copy(from, &target).map_err(|e| CliError::io(&target, e))?;
    }
    let outcome = Outcome {
        inputs: all.len(),
        kept: keep.len(),
        features: union.len(),
    };
    writeln!(
        out,
        "cmin: {} inputs, {} features -> {} inputs with the same {} features, in {}",
        outcome.inputs,
        outcome.features,
        outcome.kept,
        outcome.features,
        out_dir.display()
    )?;
    Ok(outcome)
}

/// The indexes of a small subset of `all` covering every feature any of
/// them covers: greedy by most new features (smaller input on a tie,
/// then the earlier one), then redundant picks dropped, in input order.
fn cover(all: &[Covered]) -> Vec<usize> {
    let mut covered: HashSet<&Feature> = HashSet::new();
    let mut kept: Vec<usize> = Vec::new();
    loop {
        let best = all
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    i,
                    c.features.iter().filter(|f| !covered.contains(f)).count(),
                )
            })
            .filter(|&(_, gain)| gain > 0)
            .max_by(|a, b| {
                a.1.cmp(&b.1)
                    .then(all[b.0].size.cmp(&all[a.0].size))
                    .then(b.0.cmp(&a.0))
            });
        let Some((i, _)) = best else { break };
        covered.extend(&all[i].features);
        kept.push(i);
    }
    // A pick made early may be covered by later ones: drop it.
    let mut k = 0;
    while k < kept.len() {
        let others: HashSet<&Feature> = kept
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != k)
            .flat_map(|(_, &i)| &all[i].features)
            .collect();
        if all[kept[k]].features.iter().all(|f| others.contains(f)) {
            kept.remove(k);
        } else {
            k += 1;
        }
    }
    kept.sort_unstable();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use oracles::coverage::What;
    use oracles::OpKind;

    fn input(name: &str, size: u64, ids: &[u8]) -> Covered {
        Covered {
            path: PathBuf::from(name),
            size,
            features: ids
                .iter()
                .map(|&n| Feature {
                    backend: "rootmem",
                    op: OpKind::Alloc,
                    what: What::Depth(n),
                    hits: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn the_cover_keeps_every_feature_with_fewer_inputs() {
        let all = [
            input("a", 10, &[1, 2]),
            input("b", 10, &[2, 3]),
            input("c", 50, &[1, 2, 3, 4]),
            input("d", 5, &[4]),
            input("e", 1, &[]),
        ];
        // c alone covers 1..=4; a, b and d are redundant beside it.
        assert_eq!(cover(&all), vec![2]);
    }

    #[test]
    fn on_a_tie_the_smaller_input_is_kept() {
        let all = [input("big", 100, &[1]), input("small", 3, &[1])];
        assert_eq!(cover(&all), vec![1]);
    }

    #[test]
    fn an_early_pick_covered_by_later_ones_is_dropped() {
        // Greedy takes a (4 new features), then b for 5 and c for 6; b and
        // c together cover all of a's, so a goes.
        let all = [
            input("a", 1, &[1, 2, 3, 4]),
            input("b", 1, &[1, 2, 5]),
            input("c", 1, &[3, 4, 6]),
        ];
        assert_eq!(cover(&all), vec![1, 2]);
    }
}
