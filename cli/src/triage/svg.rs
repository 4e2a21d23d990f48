//! The memory map of a finding's scene as a standalone SVG picture: a node
//! lane (RAM per node, holes hatched), a state lane (the model's segments
//! before the failing op), the op's bytes outlined in red, hex addresses
//! under the boundaries, a legend. A piece's width grows with log2 of its
//! length, so a 0x40-byte allocation in 2^40 bytes of RAM stays visible and
//! the order of addresses is kept.

use super::report::returned;
use oracles::model::{Segment, State};
use oracles::scene::Scene;
use oracles::MemoryMap;
use std::fmt::Write;

/// `[start, end)` as `u128`, so that 2^64 (the end of the address space)
/// is a bound like any other.
type Span = (u128, u128);

/// One past the last address.
const ADDR_END: u128 = 1 << 64;
/// Left edge of the lanes, after the lane names.
const LEFT: f64 = 64.0;
/// Width the pieces share, before narrow ones are widened to `MIN_W`.
const PLOT_W: f64 = 1200.0;
/// The narrowest piece, in pixels.
const MIN_W: f64 = 6.0;
/// The most weight a stretch below or above all RAM gets (that of 4 KiB).
const OUTER_WEIGHT: f64 = 13.0;
/// Height of a lane.
const LANE_H: f64 = 30.0;
/// Closest two (rotated) address labels may be, in pixels.
const LABEL_GAP: f64 = 14.0;
/// The focus outline and its labels.
const RED: &str = "#d7191c";
/// Class, fill and legend label of every piece but RAM (filled by node).
const KEY: [(&str, &str, &str); 7] = [
    ("hole", "url(#hatch)", "hole (not RAM)"),
    ("unusable", "#e0e0e0", "RAM without segment"),
    ("seg free", "#d9f0d3", "free"),
    ("seg reserved", "#f1a340", "reserved"),
    ("seg allocated", "#74add1", "allocated"),
    ("seg slack", "#c2a5cf", "slack"),
    ("seg metadata", "#a0a0a0", "metadata"),
];
/// Fills of the node lane, by node id modulo their number.
const NODE_FILLS: [&str; 8] = [
    "#8dd3c7", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5", "#ffffb3", "#bc80bd",
];

/// The picture of `scene` on `map`, as a standalone SVG 1.1 document.
///
/// Contract: well-formed XML with an `svg` root, a size and a viewBox, no
/// scripts, no external references, every text escaped. One `rect` per
/// RAM range (`class="ram"`), per hole of `[0, 2^64)` (`class="hole"`),
/// per model segment (`class="seg STATE"`, STATE as [`State::name`]), per
/// stretch of RAM without a segment (`class="unusable"`: partial pages of
/// page backends), each with a `<title>` tooltip of its range, size, node
/// and state; and one `class="focus"` outline, at least 3 pixels wide,
/// exactly when `scene.snapshot.focus` is `Some`. Same input, same bytes;
/// never panics.
pub fn memory_map_svg(map: &MemoryMap, scene: &Scene) -> String {
    let ram: Vec<Span> = map.ranges().iter().map(|r| wide(r.range)).collect();
    let mut segs = scene.snapshot.before.clone();
    segs.sort_by_key(|s| s.range.start());
    let spans: Vec<Span> = segs.iter().map(|s| wide(s.range)).collect();
    let focus = scene.snapshot.focus.map(wide);
    let mut bounds = vec![0, ADDR_END];
    for &(s, e) in ram.iter().chain(&spans).chain(&focus) {
        bounds.extend([s, e]);
    }
    let scale = Scale::new(bounds, wide(map.span()));
    let width = (scale.right() + 40.0).max(900.0);
    let (title, lines) = header(scene, ((width - 20.0) / 6.5) as usize);
    let top = 46.0 + 20.0 * lines.len() as f64 + 30.0;
    let height = top + 2.0 * LANE_H + 230.0;
    let out = String::new();
    let mut c = Canvas { out, scale, top };
    let _ = write!(
        c.out,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">
<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b0b0b0" stroke-width="2"/></pattern></defs>
<rect width="100%" height="100%" fill="white"/>
"##
    );
    text(
        &mut c.out,
        (10.0, 26.0),
        &title,
        r#"font-size="16" font-weight="bold""#,
    );
    for (i, line) in lines.iter().enumerate() {
        text(
            &mut c.out,
            (10.0, 46.0 + 20.0 * i as f64),
            line,
            r#"font-size="12""#,
        );
    }
    c.lanes(map, &ram, &segs, &spans);
    if let Some(f) = focus {
        c.focus(f, width);
    }
    c.axis(focus, top + BOTH_ROWS.1 + 4.0);
    legend(&mut c.out, &map.nodes(), top + BOTH_ROWS.1 + 164.0, width);
    c.out.push_str("</svg>\n");
    c.out
}

/// The title (signature and op index) and the subtitle lines: the op, the
/// finding's detail wrapped at `cols` characters, what the backend
/// returned, and the focus or its absence.
fn header(scene: &Scene, cols: usize) -> (String, Vec<String>) {
    let (f, snap) = (&scene.finding, &scene.snapshot);
    let title = match f.op_index {
        Some(i) => format!("{} at op #{i}", f.signature()),
        None => format!("{} during {}", f.signature(), f.op_kind.name()),
    };
    let op = snap.op.map_or("setup (before any op)".into(), |op| {
        oracles::text::print_op(&op)
    });
    let detail: Vec<char> = format!("detail: {}", f.detail).chars().collect();
    let mut lines = vec![format!("op: {op}")];
    lines.extend(
        detail
            .chunks(cols.max(40))
            .map(|c| c.iter().collect::<String>()),
    );
    let returned = format!("the backend returned {}", returned(snap.returned));
    lines.push(match snap.focus.map(wide) {
        Some((s, e)) => format!("{returned}; focus (red): {}", span(s, e)),
        None => format!("{returned}; no focus: the op names no bytes, nothing is highlighted"),
    });
    (title, lines)
}

/// A range as a [`Span`].
fn wide(r: bootmem::Range) -> Span {
    (u128::from(r.start()), u128::from(r.end()))
}

/// The parts of `within` that no span of `covered` (sorted by start)
/// covers, in order.
fn uncovered(within: &[Span], covered: &[Span]) -> Vec<Span> {
    let mut gaps = Vec::new();
    for &(start, end) in within {
        let mut at = start;
        for &(s, e) in covered {
            if e <= at || s >= end {
                continue;
            }
            if s > at {
                gaps.push((at, s));
            }
            at = at.max(e);
        }
        if at < end {
            gaps.push((at, end));
        }
    }
    gaps
}

/// Where addresses go on the x axis: the sorted, distinct bounds of all
/// pieces; the stretch between two bounds gets a share of `PLOT_W` that
/// grows as `1 + log2(length)` (at most `OUTER_WEIGHT` outside the RAM's
/// span, so the RAM gets the room), and at least `MIN_W` pixels.
struct Scale {
    /// The bounds, ascending, distinct.
    bounds: Vec<u128>,
    /// The x of each bound, ascending.
    xs: Vec<f64>,
}

impl Scale {
    /// The scale over `bounds` (any order) for RAM spanning `ram_span`.
    fn new(mut bounds: Vec<u128>, ram_span: Span) -> Scale {
        bounds.sort_unstable();
        bounds.dedup();
        let weight = |w: &[u128]| {
            let log = 1.0 + ((w[1] - w[0]) as f64).log2();
            let outer = w[1] <= ram_span.0 || w[0] >= ram_span.1;
            if outer {
                log.min(OUTER_WEIGHT)
            } else {
                log
            }
        };
        let weights: Vec<f64> = bounds.windows(2).map(weight).collect();
        let total = weights.iter().sum::<f64>().max(1.0);
        let mut xs = vec![LEFT];
        for w in weights {
            let last = xs.last().copied().unwrap_or(LEFT);
            xs.push(last + (PLOT_W * w / total).max(MIN_W));
        }
        Scale { bounds, xs }
    }

    /// The x of `addr` (exact for a bound, else the next bound's).
    fn x(&self, addr: u128) -> f64 {
        let i = self.bounds.partition_point(|&b| b < addr);
        self.xs.get(i).or(self.xs.last()).copied().unwrap_or(LEFT)
    }

    /// The x of the last bound.
    fn right(&self) -> f64 {
        self.xs.last().copied().unwrap_or(LEFT)
    }
}

/// The document being written, the scale it is drawn on and the top of
/// its lanes.
struct Canvas {
    /// The SVG text so far.
    out: String,
    /// Where addresses go.
    scale: Scale,
    /// The y of the node lane; the state lane is under it.
    top: f64,
}

/// Rows (offset from the top of the lanes, height) of the node lane, the
/// state lane, and both.
const NODE_ROW: (f64, f64) = (0.0, LANE_H);
/// See [`NODE_ROW`].
const STATE_ROW: (f64, f64) = (LANE_H + 6.0, LANE_H);
/// See [`NODE_ROW`].
const BOTH_ROWS: (f64, f64) = (0.0, 2.0 * LANE_H + 6.0);

impl Canvas {
    /// Draws `[s, e)` as a `rect` of `class` on `rows` (offset from the
    /// top, height), its tooltip the range, size and `what`, with `name`
    /// inside if it fits.
    fn piece(
        &mut self,
        class: &str,
        (s, e): Span,
        rows: (f64, f64),
        fill: &str,
        what: &str,
        name: &str,
    ) {
        let (x0, x1) = (self.scale.x(s), self.scale.x(e));
        let (y, h) = (self.top + rows.0, rows.1);
        let tip = escape(&format!("{} ({} bytes) {what}", span(s, e), hex(e - s)));
        let _ = writeln!(
            self.out,
            r#"<rect class="{class}" x="{x0:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{fill}" stroke="white" stroke-width="0.5"><title>{tip}</title></rect>"#,
            x1 - x0
        );
        if (name.chars().count() as f64) * 7.0 + 6.0 <= x1 - x0 {
            let at = ((x0 + x1) / 2.0, y + h / 2.0 + 4.0);
            text(&mut self.out, at, name, r#"text-anchor="middle""#);
        }
    }

    /// The node lane (`ram`, the spans of `map`'s ranges) and the state
    /// lane (`segs` and their `spans`, sorted; RAM without a segment),
    /// holes across both.
    fn lanes(&mut self, map: &MemoryMap, ram: &[Span], segs: &[Segment], spans: &[Span]) {
        text(&mut self.out, (8.0, self.top + 19.0), "node", "");
        text(
            &mut self.out,
            (8.0, self.top + STATE_ROW.0 + 19.0),
            "state",
            "",
        );
        for hole in uncovered(&[(0, ADDR_END)], ram) {
            self.piece(
                "hole",
                hole,
                BOTH_ROWS,
                fill("hole"),
                "hole: not RAM",
                "hole",
            );
        }
        for (r, &span) in map.ranges().iter().zip(ram) {
            let name = format!("node {}", r.nid);
            let what = format!("{name} RAM");
            self.piece("ram", span, NODE_ROW, node_fill(r.nid), &what, &name);
        }
        for gap in uncovered(ram, spans) {
            let what = "RAM the model does not use (a partial page)";
            self.piece("unusable", gap, STATE_ROW, fill("unusable"), what, "");
        }
        for (seg, &span) in segs.iter().zip(spans) {
            let name = match seg.state {
                State::Allocated(id) | State::Slack(id) => format!("{} #{id}", seg.state.name()),
                other => other.name().to_string(),
            };
            let class = format!("seg {}", seg.state.name());
            let what = format!("node {} {name}", seg.nid);
            self.piece(&class, span, STATE_ROW, fill(&class), &what, &name);
        }
    }

    /// The red outline of `[s, e)` over both lanes, at least 3 pixels
    /// wide, and its range above them (inside a picture `width` wide).
    fn focus(&mut self, (s, e): Span, width: f64) {
        let (x0, x1, y) = (self.scale.x(s), self.scale.x(e), self.top);
        let w = (x1 - x0).max(3.0);
        let x0 = (x0 + x1 - w) / 2.0;
        let tip = format!("focus {} ({} bytes)", span(s, e), hex(e - s));
        let _ = writeln!(
            self.out,
            r#"<rect class="focus" x="{x0:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="none" stroke="{RED}" stroke-width="2.5"><title>{}</title></rect>"#,
            y - 5.0,
            BOTH_ROWS.1 + 10.0,
            escape(&tip)
        );
        let mid = (x0 + w / 2.0).clamp(LEFT + 160.0, (width - 160.0).max(LEFT + 160.0));
        let attrs = format!(r#"text-anchor="middle" fill="{RED}" font-weight="bold""#);
        text(&mut self.out, (mid, y - 10.0), &tip, &attrs);
    }

    /// Ticks and rotated hex labels from `y` down: the focus edges always,
    /// in red (the start's label left of its tick, the end's right of it,
    /// so they never cover each other); other bounds where they do not
    /// crowd a label already placed.
    fn axis(&mut self, focus: Option<Span>, y: f64) {
        let edges: Vec<(u128, f64)> = focus.map_or(Vec::new(), |(s, e)| vec![(s, -1.0), (e, 9.0)]);
        let mut placed: Vec<f64> = edges.iter().map(|&(a, _)| self.scale.x(a)).collect();
        let others = self
            .scale
            .bounds
            .iter()
            .filter(|&&b| edges.iter().all(|e| e.0 != b));
        let labels: Vec<(u128, f64)> = edges
            .iter()
            .copied()
            .chain(others.map(|&a| (a, 3.5)))
            .collect();
        for (i, (addr, dx)) in labels.into_iter().enumerate() {
            let (x, red) = (self.scale.x(addr), i < edges.len());
            if !red && placed.iter().any(|p| (p - x).abs() < LABEL_GAP) {
                continue;
            }
            placed.push(x);
            let colour = if red { RED } else { "#333333" };
            let (tx, ty) = (x + dx, y + 9.0);
            let _ = writeln!(
                self.out,
                r#"<line x1="{x:.1}" y1="{y:.1}" x2="{x:.1}" y2="{:.1}" stroke="{colour}"/>"#,
                y + 6.0
            );
            let attrs = format!(
                r#"transform="rotate(-90 {tx:.1} {ty:.1})" text-anchor="end" font-family="monospace" font-size="10" fill="{colour}""#
            );
            text(&mut self.out, (tx, ty), &hex(addr), &attrs);
        }
    }
}

/// The fill of node `nid`'s RAM.
fn node_fill(nid: bootmem::Nid) -> &'static str {
    NODE_FILLS[nid as usize % NODE_FILLS.len()]
}

/// The fill of piece `class` in [`KEY`].
fn fill(class: &str) -> &'static str {
    KEY.iter().find(|k| k.0 == class).map_or("white", |k| k.1)
}

/// Swatches from `y` down, in rows no wider than `width`: the nodes of
/// `nodes`, the [`KEY`], the focus.
fn legend(out: &mut String, nodes: &[bootmem::Nid], y: f64, width: f64) {
    let nodes = nodes.iter().map(|&n| (format!("node {n}"), node_fill(n)));
    let key = KEY.iter().map(|k| (k.2.to_string(), k.1));
    let mut items: Vec<(String, String)> = nodes
        .chain(key)
        .map(|(l, f)| (l, format!(r#"fill="{f}""#)))
        .collect();
    let outline = format!(r#"fill="none" stroke="{RED}" stroke-width="2.5""#);
    items.push(("focus: the bytes of the op".into(), outline));
    let (mut x, mut y) = (10.0, y);
    for (label, attrs) in items {
        let w = 30.0 + 6.5 * label.chars().count() as f64;
        if x + w > width {
            (x, y) = (10.0, y + 22.0);
        }
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="14" height="14" {attrs}/>"#
        );
        text(out, (x + 19.0, y + 11.0), &label, "");
        x += w;
    }
}

/// Writes `s`, escaped, as a `text` at `(x, y)` with raw extra `attrs`.
fn text(out: &mut String, (x, y): (f64, f64), s: &str, attrs: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" {attrs}>{}</text>"#,
        escape(s)
    );
}

/// `v` in hex with `_` every four digits, as `.scn` files print numbers.
fn hex(v: u128) -> String {
    let digits = format!("{v:x}");
    let mut out = String::from("0x");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 4 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// `[s, e)` in hex.
fn span(s: u128, e: u128) -> String {
    format!("[{}, {})", hex(s), hex(e))
}

/// `s` escaped for XML (and HTML) text and attributes; characters XML 1.0
/// forbids (controls but tab and newline, U+FFFE, U+FFFF) become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bootmem::{Bug, BugSet, Range};
    use oracles::differential::StepOutcome;
    use oracles::scene::Snapshot;
    use oracles::{Finding, FindingKind, OpKind, RamRange};
    use roxmltree::{Document, Node};

    /// rootmem with R1 (alignment relative to the span start): the scene of
    /// `misaligned/rootmem/alloc/start-not-aligned` at op #1, a reservation
    /// at `[0x2000, 0x4000)` and the misaligned allocation as focus.
    fn r1_scene() -> Result<(MemoryMap, Scene), String> {
        let scenario = oracles::text::parse(
            "ram start=0x1000 end=0x10_0000 nid=0\n\
             reserve base=0x2000 size=0x2000 mode=default\n\
             alloc size=0x1000 align=0x2000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null\n",
        )
        .map_err(|e| e.message)?;
        let rootmem = oracles::find_backend("rootmem").ok_or("rootmem")?;
        let bugs = BugSet::NONE.with(Bug::R1RelativeAlign);
        let report = oracles::run_with_bugs(&scenario, &[rootmem], bugs);
        let sig = report.findings.first().ok_or("R1 must fire")?.signature();
        let scene = oracles::scene::scene(&scenario, &[rootmem], bugs, &sig).ok_or("no scene")?;
        Ok((scenario.map, scene))
    }

    /// A scene by hand: RAM and segments as `(start, end, nid[, state])`,
    /// the focus, and the finding's detail.
    fn hand_scene(
        ram: &[(u64, u64, u32)],
        segs: &[(u64, u64, u32, State)],
        focus: Option<(u64, u64)>,
        detail: &str,
    ) -> Result<(MemoryMap, Scene), String> {
        let range = |s, e| Range::new(s, e).ok_or(format!("bad range {s:#x}..{e:#x}"));
        let ram = ram.iter().map(|&(s, e, nid)| {
            Ok(RamRange {
                range: range(s, e)?,
                nid,
            })
        });
        let map =
            MemoryMap::new(&ram.collect::<Result<Vec<_>, String>>()?).map_err(|e| e.to_string())?;
        let before = segs.iter().map(|&(s, e, nid, state)| {
            Ok(Segment {
                range: range(s, e)?,
                nid,
                state,
            })
        });
        let focus = focus.map(|(s, e)| range(s, e)).transpose()?;
        let finding = Finding {
            kind: FindingKind::Overlap,
            backend: "treemem",
            op_index: Some(3),
            op_kind: OpKind::Alloc,
            class: "over-allocated",
            detail: detail.to_string(),
        };
        let returned = focus.map_or(StepOutcome::Ok, |f| StepOutcome::Addr(f.start()));
        let before = before.collect::<Result<_, String>>()?;
        let snapshot = Snapshot {
            op: None,
            ram: Vec::new(),
            before,
            returned,
            focus,
        };
        Ok((map, Scene { finding, snapshot }))
    }

    /// The `rect`s of `doc` whose class is exactly `class`, and their widths.
    fn rects<'a>(doc: &'a Document<'a>, class: &str) -> Vec<(Node<'a, 'a>, f64)> {
        let width = |n: &Node| {
            n.attribute("width")
                .and_then(|w| w.parse().ok())
                .unwrap_or(-1.0)
        };
        doc.descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some(class))
            .map(|n| (n, width(&n)))
            .collect()
    }

    #[test]
    fn a_scene_is_a_standalone_svg_with_its_focus_outlined() -> Result<(), String> {
        let (map, scene) = r1_scene()?;
        let svg = memory_map_svg(&map, &scene);
        assert_eq!(svg, memory_map_svg(&map, &scene), "deterministic");
        assert!(svg.starts_with("<?xml version=\"1.0\""));
        assert!(!svg.contains("<script") && !svg.contains("href"));
        let doc = Document::parse(&svg).map_err(|e| e.to_string())?;
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert!(["width", "height", "viewBox"]
            .iter()
            .all(|a| root.attribute(*a).is_some()));
        let title = "misaligned/rootmem/alloc/start-not-aligned at op #1";
        assert!(doc.descendants().any(|n| n.text() == Some(title)));
        let focus = rects(&doc, "focus");
        assert_eq!(focus.len(), 1);
        assert!(focus.iter().all(|f| f.1 > 0.0));
        let mut none = scene.clone();
        none.snapshot.focus = None;
        let svg = memory_map_svg(&map, &none);
        let doc = Document::parse(&svg).map_err(|e| e.to_string())?;
        assert!(rects(&doc, "focus").is_empty());
        assert!(svg.contains("no focus: the op names no bytes"));
        Ok(())
    }

    /// ```text
    ///   0 hole 0x1000 node 0 0x8000 hole 0x1_0000 node 1 0x2_0000 hole 2^64
    ///          free|meta|reserved        alloc|slack|free|none
    /// ```
    #[test]
    fn every_ram_range_hole_and_segment_is_drawn_with_a_tooltip() -> Result<(), String> {
        use State::*;
        let segs = [
            (0x1000, 0x3000, 0, Free),
            (0x3000, 0x4000, 0, Metadata),
            (0x4000, 0x8000, 0, Reserved),
            (0x10000, 0x10040, 1, Allocated(0)),
            (0x10040, 0x11000, 1, Slack(0)),
            (0x11000, 0x1f000, 1, Free),
        ];
        let ram = [(0x1000, 0x8000, 0), (0x10000, 0x20000, 1)];
        let (map, scene) = hand_scene(&ram, &segs, Some((0x10000, 0x10040)), "")?;
        let svg = memory_map_svg(&map, &scene);
        let doc = Document::parse(&svg).map_err(|e| e.to_string())?;
        assert_eq!(rects(&doc, "ram").len(), 2);
        assert_eq!(rects(&doc, "hole").len(), 3);
        assert_eq!(
            rects(&doc, "unusable").len(),
            1,
            "[0x1f000, 0x20000) has no segment"
        );
        for state in ["free", "reserved", "allocated", "slack", "metadata"] {
            let want = segs.iter().filter(|s| s.3.name() == state).count();
            assert_eq!(rects(&doc, &format!("seg {state}")).len(), want, "{state}");
        }
        let slack = rects(&doc, "seg slack");
        let tip = slack
            .first()
            .and_then(|r| r.0.first_element_child())
            .and_then(|t| t.text());
        assert_eq!(
            tip,
            Some("[0x1_0040, 0x1_1000) (0xfc0 bytes) node 1 slack #0")
        );
        Ok(())
    }

    #[test]
    fn a_small_allocation_in_a_huge_range_stays_visible() -> Result<(), String> {
        let (a, tb) = (0x80_0000_0000, 0x100_0000_0000);
        let segs = [
            (0, a, 0, State::Free),
            (a, a + 0x40, 0, State::Allocated(7)),
            (a + 0x40, tb, 0, State::Free),
        ];
        let (map, scene) = hand_scene(&[(0, tb, 0)], &segs, Some((a, a + 0x40)), "")?;
        let svg = memory_map_svg(&map, &scene);
        let doc = Document::parse(&svg).map_err(|e| e.to_string())?;
        let small = rects(&doc, "seg allocated");
        assert_eq!(small.len(), 1);
        assert!(small
            .iter()
            .chain(&rects(&doc, "focus"))
            .all(|r| r.1 >= 4.0));
        assert!(
            svg.contains(">0x80_0000_0040<"),
            "the focus end is labelled"
        );
        Ok(())
    }

    #[test]
    fn text_is_escaped() -> Result<(), String> {
        let detail = "got <0x10> & \"expected\" \u{1}";
        let (map, scene) = hand_scene(&[(0x1000, 0x2000, 0)], &[], None, detail)?;
        let svg = memory_map_svg(&map, &scene);
        assert!(svg.contains("got &lt;0x10&gt; &amp; &quot;expected&quot; \u{fffd}"));
        let doc = Document::parse(&svg).map_err(|e| e.to_string())?;
        let want = "detail: got <0x10> & \"expected\" \u{fffd}";
        assert!(doc.descendants().any(|n| n.text() == Some(want)));
        Ok(())
    }

    #[test]
    fn edge_inputs_still_give_a_document() -> Result<(), String> {
        let top = u64::MAX - 0x2fff;
        let cases = [
            // No segments at all.
            hand_scene(&[(0x1000, 0x2000, 0)], &[], None, "")?,
            // RAM up to the last byte, a focus half in the hole below it.
            hand_scene(
                &[(top, u64::MAX, 3)],
                &[],
                Some((top - 0x800, top + 0x800)),
                "",
            )?,
            // All but one byte is reserved RAM; an empty focus.
            hand_scene(
                &[(0, u64::MAX, 63)],
                &[(0, u64::MAX, 63, State::Reserved)],
                Some((5, 5)),
                "",
            )?,
        ];
        for (map, scene) in &cases {
            let svg = memory_map_svg(map, scene);
            let doc = Document::parse(&svg).map_err(|e| e.to_string())?;
            let focus = rects(&doc, "focus");
            assert_eq!(focus.len(), usize::from(scene.snapshot.focus.is_some()));
            assert!(focus.iter().all(|f| f.1 > 0.0));
        }
        Ok(())
    }

    /// Writes pictures to `/tmp/bootfuzz-svg/NAME/memory-map.svg` to look
    /// at: `cargo test -p bootfuzz -- --ignored write_example_pictures`.
    #[test]
    #[ignore]
    fn write_example_pictures() -> Result<(), String> {
        let (a, tb) = (0x80_0000_0000, 0x100_0000_0000);
        let ram = [(0x1000, tb, 0), (0x200_0000_0000, 0x300_0000_0000, 1)];
        let mut segs = vec![
            (0x1000, 0x3000, 0, State::Metadata),
            (0x3000, a, 0, State::Free),
        ];
        segs.extend([
            (a, a + 0x40, 0, State::Allocated(7)),
            (a + 0x40, a + 0x1000, 0, State::Slack(7)),
        ]);
        segs.extend([
            (a + 0x1000, tb, 0, State::Reserved),
            (0x200_0000_0000, 0x300_0000_0000, 1, State::Free),
        ]);
        let dense: Vec<_> = (0..64u64)
            .map(|i| {
                (
                    i << 20,
                    (i + 1) << 20,
                    0,
                    [State::Free, State::Reserved][i as usize % 2],
                )
            })
            .collect();
        let pictures = [
            ("r1", r1_scene()?),
            (
                "huge",
                hand_scene(
                    &ram,
                    &segs,
                    Some((a + 0x20, a + 0x60)),
                    "alloc <a> & <b> overlap",
                )?,
            ),
            (
                "dense",
                hand_scene(&[(0, 64 << 20, 0)], &dense, Some((5 << 20, 6 << 20)), "")?,
            ),
        ];
        for (name, (map, scene)) in &pictures {
            let dir = std::path::Path::new("/tmp/bootfuzz-svg").join(name);
            std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
            let svg = memory_map_svg(map, scene);
            std::fs::write(dir.join("memory-map.svg"), svg).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
