//! What the memory looked like when a finding fired: the failing op, the
//! model's segments just before it, what the backend returned and the
//! bytes involved. `bootfuzz triage` turns a scene into a report and a
//! picture.

use crate::registry::BackendInfo;
use crate::run::snapshot_on;
use crate::scenario::Scenario;
use crate::{run_with_bugs, Finding, FindingKind, Signature};
use bootmem::BugSet;

pub use crate::run::Snapshot;

/// A finding and the memory of its backend's model around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scene {
    /// The finding, as `run` reports it.
    pub finding: Finding,
    /// The backend's model just before the finding's op (for `setup`, just
    /// before setup; for a divergence, before the op where the backends
    /// parted).
    pub snapshot: Snapshot,
}

/// The scene of the first finding with `signature` that playing
/// `scenario` on `backends` with `bugs` planted gives, or `None` when no
/// such finding occurs or it fires while the map is registered (there is
/// no model yet).
pub fn scene(
    scenario: &Scenario,
    backends: &[BackendInfo],
    bugs: BugSet,
    signature: &Signature,
) -> Option<Scene> {
    let report = run_with_bugs(scenario, backends, bugs);
    let finding = report
        .findings
        .into_iter()
        .find(|f| f.signature() == *signature)?;
    let info = backends.iter().find(|b| b.name == finding.backend)?;
    // A divergence is no finding of the backend alone: stop at its op.
    let at = match finding.kind {
        FindingKind::Divergence => finding.op_index,
        _ => None,
    };
    let (_, snapshot) = snapshot_on(scenario, info, bugs, at);
    Some(Scene {
        finding,
        snapshot: snapshot?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::differential::StepOutcome;
    use crate::model::State;
    use crate::registry::find_backend;
    use crate::text;
    use bootmem::{Bug, Range};

    /// ```text
    ///   0x1000  0x2000      0x4000  0x5000                  0x10_0000
    ///   | free  | reserved  | free  | R1 hands out 0x5000 ...  |
    /// ```
    /// rootmem with R1 aligns the index relative to the span start 0x1000.
    /// Expect the scene to show the reservation before the op, and the
    /// misaligned result the backend returned as its focus.
    #[test]
    fn a_scene_shows_the_memory_before_the_failing_op() -> Result<(), String> {
        let scenario = text::parse(
            "ram start=0x1000 end=0x10_0000 nid=0\n\
             reserve base=0x2000 size=0x2000 mode=default\n\
             alloc size=0x1000 align=0x2000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null\n",
        )
        .map_err(|e| e.message)?;
        let rootmem = find_backend("rootmem").ok_or("rootmem")?;
        let report = run_with_bugs(
            &scenario,
            &[rootmem],
            BugSet::NONE.with(Bug::R1RelativeAlign),
        );
        let first = report.findings.first().ok_or("R1 must fire")?;
        let scene = scene(
            &scenario,
            &[rootmem],
            BugSet::NONE.with(Bug::R1RelativeAlign),
            &first.signature(),
        )
        .ok_or("no scene")?;
        assert_eq!(scene.finding, *first);
        let op = first.op_index.ok_or("an op")?;
        assert_eq!(scene.snapshot.op, Some(scenario.ops[op]));
        assert!(scene
            .snapshot
            .before
            .iter()
            .any(|s| s.state == State::Reserved
                && s.range == Range::new(0x2000, 0x4000).unwrap_or(Range::EMPTY)));
        match scene.snapshot.returned {
            StepOutcome::Addr(a) => {
                assert_eq!(scene.snapshot.focus, Range::from_base_size(a, 0x1000));
            }
            other => return Err(format!("expected an address, got {other:?}")),
        }
        Ok(())
    }

    #[test]
    fn no_scene_for_a_signature_that_does_not_fire() -> Result<(), String> {
        let scenario = text::parse("ram start=0x0 end=0x10_0000 nid=0\n").map_err(|e| e.message)?;
        let rootmem = find_backend("rootmem").ok_or("rootmem")?;
        let sig = Signature {
            kind: FindingKind::Overlap,
            backend: "rootmem",
            op_kind: crate::OpKind::Alloc,
            class: "over-allocated",
        };
        assert_eq!(scene(&scenario, &[rootmem], BugSet::NONE, &sig), None);
        Ok(())
    }
}
