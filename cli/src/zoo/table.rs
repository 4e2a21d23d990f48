//! The zoo's scoreboard: one row per (fault, engine), from the runs' outcomes,
//! printed as a table and written as Markdown and CSV.

use super::child::Outcome;
use bootmem::Bug;
use oracles::bug_kinds;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Every run of one fault (or of the control on one backend) with one engine.
#[derive(Clone, Debug)]
pub struct Row {
    /// The fault, `None` for the false-positive control.
    pub bug: Option<Bug>,
    /// The backend played against.
    pub backend: &'static str,
    /// The engine.
    pub engine: super::engine::Engine,
    /// The time budget of each run, in seconds.
    pub budget: u64,
    /// One outcome per seed, in seed order.
    pub outcomes: Vec<Outcome>,
}

impl Row {
    /// Runs that found something (a hang the zoo caught included).
    pub fn detected(&self) -> usize {
        self.outcomes.iter().filter(|o| is_detection(o)).count()
    }

    /// Runs that could not be carried out.
    pub fn failed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Failed(_)))
            .count()
    }

    /// The finding kinds seen, by name, each once.
    pub fn kinds(&self) -> BTreeSet<&'static str> {
        self.outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::Found { kind, .. } => Some(kind.name()),
                Outcome::Hang => Some("hang"),
                _ => None,
            })
            .collect()
    }

    /// True when some detection was of a kind outside the fault's class:
    /// caught, but by a consequence rather than the broken invariant.
    pub fn flagged(&self) -> bool {
        let Some(bug) = self.bug else {
            return false;
        };
        self.outcomes.iter().any(|o| match o {
            Outcome::Found { kind, .. } => !bug_kinds::is_expected(bug.class(), *kind),
            Outcome::Hang => !bug_kinds::is_expected(bug.class(), oracles::FindingKind::Hang),
            _ => false,
        })
    }

    /// Median seconds to first finding over every seed, a miss counting as
    /// never (so `None` once half the seeds or more missed).
    pub fn median_secs(&self) -> Option<f64> {
        median(self.outcomes.iter().map(|o| match o {
            Outcome::Found { secs, .. } => Some(*secs),
            Outcome::Hang => Some(self.budget as f64),
            _ => None,
        }))
    }

    /// The slowest detection, in seconds, if every seed detected.
    pub fn max_secs(&self) -> Option<f64> {
        self.outcomes
            .iter()
            .map(|o| match o {
                Outcome::Found { secs, .. } => Some(*secs),
                Outcome::Hang => Some(self.budget as f64),
                _ => None,
            })
            .try_fold(0.0f64, |m, s| s.map(|s| m.max(s)))
    }

    /// Median executions to first finding, a miss counting as never.
    pub fn median_execs(&self) -> Option<f64> {
        median(self.outcomes.iter().map(|o| match o {
            Outcome::Found { execs, .. } => Some(*execs as f64),
            _ => None,
        }))
    }

    fn fault_cell(&self) -> String {
        self.bug
            .map_or("(none: control)".to_string(), |b| b.id().to_string())
    }

    fn class_cell(&self) -> &'static str {
        self.bug.map_or("-", |b| b.class().name())
    }

    fn cells(&self) -> [String; 10] {
        let secs = |v: Option<f64>| v.map_or("-".to_string(), |s| format!("{s:.2}"));
        [
            self.fault_cell(),
            self.backend.to_string(),
            self.class_cell().to_string(),
            self.engine.to_string(),
            format!("{}/{}", self.detected(), self.outcomes.len()),
            secs(self.median_secs()),
            secs(self.max_secs()),
            self.median_execs()
                .map_or("-".to_string(), |e| format!("{e:.0}")),
            self.kinds().into_iter().collect::<Vec<_>>().join(" "),
            if self.flagged() { "unrelated kind" } else { "" }.to_string(),
        ]
    }
}

/// Whether an outcome counts as the harness finding something.
fn is_detection(o: &Outcome) -> bool {
    matches!(o, Outcome::Found { .. } | Outcome::Hang)
}

/// The median of values where `None` is larger than every value; `None`
/// when the median itself is a `None`.
fn median(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<Option<f64>> = values.collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        Some((v[n / 2 - 1]? + v[n / 2]?) / 2.0)
    }
}

const HEADERS: [&str; 10] = [
    "fault",
    "backend",
    "class",
    "engine",
    "detected",
    "median s",
    "max s",
    "median execs",
    "kinds",
    "flag",
];

/// The rows as an aligned plain-text table.
pub fn text(rows: &[Row]) -> String {
    let cells: Vec<[String; 10]> = rows.iter().map(Row::cells).collect();
    crate::columns::aligned(HEADERS, &cells)
}

/// The rows as a Markdown table.
pub fn markdown(rows: &[Row]) -> String {
    let cells: Vec<[String; 10]> = rows.iter().map(Row::cells).collect();
    crate::columns::markdown(HEADERS, &cells)
}

/// The rows as CSV (no field holds a comma or a quote).
pub fn csv(rows: &[Row]) -> String {
    let mut out = HEADERS.join(",") + "\n";
    for row in rows {
        let _ = writeln!(out, "{}", row.cells().join(","));
    }
    out
}

/// One CSV line per run: fault, backend, engine, seed, result, kind, execs,
/// seconds.
pub fn runs_csv(rows: &[Row], seeds: &[u64]) -> String {
    let mut out = "fault,backend,engine,seed,result,kind,execs,secs\n".to_string();
    for row in rows {
        for (seed, o) in seeds.iter().zip(&row.outcomes) {
            let (result, kind, execs, secs) = match o {
                Outcome::Found {
                    kind, execs, secs, ..
                } => (
                    "found",
                    kind.name(),
                    execs.to_string(),
                    format!("{secs:.3}"),
                ),
                Outcome::Clean { execs } => ("clean", "", execs.to_string(), String::new()),
                Outcome::Hang => ("hang", "hang", String::new(), String::new()),
                Outcome::Failed(_) => ("failed", "", String::new(), String::new()),
            };
            let _ = writeln!(
                out,
                "{},{},{},{seed},{result},{kind},{execs},{secs}",
                row.fault_cell(),
                row.backend,
                row.engine
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oracles::FindingKind;

    fn found(kind: FindingKind, secs: f64) -> Outcome {
        Outcome::Found {
            kind,
            signature: String::new(),
            execs: (secs * 100.0) as u64,
            secs,
        }
    }

    #[test]
    fn medians_count_misses_as_never() {
        let mut row = Row {
            bug: Some(Bug::B1LooseMerge),
            backend: "bootmem",
            engine: super::super::engine::Engine::Builtin,
            budget: 60,
            outcomes: vec![
                found(FindingKind::Overlap, 1.0),
                found(FindingKind::Overlap, 3.0),
                Outcome::Clean { execs: 5 },
            ],
        };
        assert_eq!(row.detected(), 2);
        assert_eq!(row.median_secs(), Some(3.0));
        assert_eq!(row.max_secs(), None);
        assert!(!row.flagged());
        row.outcomes.push(Outcome::Clean { execs: 5 });
        assert_eq!(row.median_secs(), None);
    }

    #[test]
    fn a_detection_of_another_class_is_flagged() {
        let row = Row {
            bug: Some(Bug::B1LooseMerge),
            backend: "bootmem",
            engine: super::super::engine::Engine::Builtin,
            budget: 60,
            outcomes: vec![found(FindingKind::WrongOutcome, 2.0)],
        };
        assert!(row.flagged());
        assert_eq!(row.max_secs(), Some(2.0));
        assert!(markdown(&[row]).contains("| B1 | bootmem | overlap | builtin | 1/1 |"));
    }
}
