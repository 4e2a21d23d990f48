//! `report.md` of one group: the finding, the op that triggered it,
//! expected against actual, the model's memory around the bytes involved,
//! and how to replay it.

use super::Triaged;
use crate::minimize::size_change;
use oracles::differential::StepOutcome;
use oracles::model::Segment;
use oracles::scene::Scene;
use std::fmt::Write;

/// Segments listed on each side of those the finding's range touches.
const NEIGHBOURS: usize = 2;

/// Segments listed when the finding names no range.
const UNFOCUSED: usize = 12;

/// What a backend call returned, in words.
pub fn returned(outcome: StepOutcome) -> String {
    match outcome {
        StepOutcome::Skipped => "nothing: no call was made, or it panicked".to_string(),
        StepOutcome::Ok => "Ok".to_string(),
        StepOutcome::Addr(a) => format!("Ok({a:#x})"),
        StepOutcome::Count(n) => format!("Ok({n} pages released)"),
        StepOutcome::Err(e) => e.name().to_string(),
    }
}

/// The report of `t`; `replay` is the command that replays the minimized
/// file.
pub fn report(t: &Triaged, replay: &str) -> String {
    let mut md = String::new();
    let m = &t.shrunk.minimized;
    let _ = writeln!(md, "# {}\n", t.signature);
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| inputs | {} |", t.count);
    let _ = writeln!(md, "| first seen | `{}` |", t.first_seen.display());
    let _ = writeln!(
        md,
        "| smallest | `{}` ({} bytes), copied here as `{}` |",
        t.smallest.display(),
        t.smallest_bytes,
        t.kept_copy
    );
    let _ = writeln!(
        md,
        "| minimized | [`minimized.scn`](minimized.scn): {}{} |",
        size_change(m.before, m.after),
        if m.complete { "" } else { " (budget spent)" }
    );
    let _ = writeln!(md, "| planted bugs | {} |", t.bugs_named);
    let _ = writeln!(md, "\n## Finding\n\n```text\n{}\n```\n", t.shrunk.finding);
    match &t.scene {
        Some(scene) => write_scene(&mut md, scene),
        None => {
            let _ = writeln!(
                md,
                "The finding fired while the map was registered: there is no op and no model yet.\n"
            );
        }
    }
    let _ = writeln!(md, "## Memory map\n\n![memory map](memory-map.svg)\n");
    let _ = writeln!(
        md,
        "## Minimized scenario\n\n```text\n{}```\n",
        oracles::text::print(&m.scenario)
    );
    let _ = writeln!(md, "## Reproduce\n\n```sh\n{replay}\n```\n");
    let _ = writeln!(
        md,
        "## Regression\n\n`regression_test.rs` is a test ready to paste into `oracles/tests/`; \
         or add the scenario to `corpus/regressions/` with\n\n```sh\n{}\n```",
        t.regress_command
    );
    md
}

/// The op, expected against actual, and the memory table.
fn write_scene(md: &mut String, scene: &Scene) {
    let s = &scene.snapshot;
    let op = match (&s.op, scene.finding.op_index) {
        (Some(op), Some(i)) => format!("op #{i}: {}", oracles::text::print_op(op)),
        _ => scene.finding.op_kind.name().to_string(),
    };
    let _ = writeln!(md, "## The op that triggered it\n\n```text\n{op}\n```\n");
    let _ = writeln!(
        md,
        "- **Expected against actual** (the oracle, SPEC section 6): {}",
        scene.finding.detail
    );
    let _ = writeln!(md, "- **The backend returned** {}", returned(s.returned));
    match s.focus {
        Some(range) => {
            let _ = writeln!(md, "- **Bytes involved**: {range}\n");
        }
        None => {
            let _ = writeln!(md, "- **Bytes involved**: the op names no range\n");
        }
    }
    let _ = writeln!(
        md,
        "## The model's memory before the op\n\n\
         `<==` marks the segments the bytes involved touch.\n\n\
         | range | bytes | node | state | |\n|---|---|---|---|---|"
    );
    for seg in around(&s.before, s.focus) {
        let touched = s.focus.is_some_and(|f| f.overlaps(seg.range));
        let _ = writeln!(
            md,
            "| `{}` | {:#x} | {} | {} | {} |",
            seg.range,
            seg.range.len(),
            seg.nid,
            state_name(seg),
            if touched { "<==" } else { "" }
        );
    }
    md.push('\n');
}

/// A segment's state, with the allocation's id where it has one.
fn state_name(seg: &Segment) -> String {
    match seg.state {
        oracles::model::State::Allocated(id) => format!("allocated #{id}"),
        oracles::model::State::Slack(id) => format!("slack of #{id}"),
        other => other.name().to_string(),
    }
}

/// The segments around `focus`: those it touches and [`NEIGHBOURS`] on
/// each side (or those nearest it when it touches none); the first
/// [`UNFOCUSED`] without a focus.
fn around(segs: &[Segment], focus: Option<bootmem::Range>) -> &[Segment] {
    let Some(f) = focus else {
        return &segs[..segs.len().min(UNFOCUSED)];
    };
    let first = segs.partition_point(|s| s.range.end() <= f.start());
    let last = segs.partition_point(|s| s.range.start() < f.end().max(f.start().saturating_add(1)));
    let lo = first.saturating_sub(NEIGHBOURS);
    let hi = (last + NEIGHBOURS).min(segs.len());
    &segs[lo.min(hi)..hi]
}

#[cfg(test)]
mod tests {
    use super::*;
    use bootmem::Range;
    use oracles::model::State;

    fn seg(start: u64, end: u64) -> Segment {
        Segment {
            range: Range::new(start, end).unwrap_or(Range::EMPTY),
            nid: 0,
            state: State::Free,
        }
    }

    #[test]
    fn the_table_shows_the_touched_segments_and_two_neighbours() {
        let segs: Vec<Segment> = (0..10).map(|i| seg(i * 0x1000, (i + 1) * 0x1000)).collect();
        let focus = Range::new(0x5800, 0x6800);
        let shown = around(&segs, focus);
        assert_eq!(shown.first().map(|s| s.range.start()), Some(0x3000));
        assert_eq!(shown.last().map(|s| s.range.start()), Some(0x8000));
        assert_eq!(around(&segs, None).len(), 10);
        // A range past every segment shows the last ones.
        assert_eq!(around(&segs, Range::new(0x20_0000, 0x20_1000)).len(), 2);
    }

    #[test]
    fn outcomes_read_as_calls_return() {
        assert_eq!(returned(StepOutcome::Addr(0x5000)), "Ok(0x5000)");
        assert_eq!(returned(StepOutcome::Err(bootmem::Error::NoMem)), "NoMem");
    }
}
