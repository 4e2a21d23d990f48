//! Semantic coverage: what an input made the backends do, in the terms of
//! the contract rather than of branches (issue 7). The built-in engine
//! keeps an input when it reaches a [`Feature`] no earlier input reached,
//! and `bootfuzz cmin` keeps a smallest set of inputs with the same
//! features. Features need no instrumentation, so they are the same on the
//! stable toolchain, under every engine and on every machine.
//!
//! A feature is always about one backend and one op kind. What it records:
//! - the call's outcome (`ok`, each error, `skipped`);
//! - the edges the call's range touched: the start or end of a RAM range,
//!   a hole, a second node, a start off a page edge, a size of zero;
//! - the backend's metadata growing or shrinking (an array doubled) and
//!   how many pieces it is in;
//! - an allocation packed below a page edge, the stage an allocation was
//!   met in (node fallback is a stage past the first), and whether it took
//!   the lowest, the highest or another feasible start;
//! - a `NoMem` excused because metadata had no room to grow;
//! - how fragmented the model's free map is, and how deep into the
//!   scenario the backend got, both in powers of two.
//!
//! Like AFL's hit counts, a feature also carries how often the scenario
//! reached it, in buckets (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128 and
//! more): an input that doubles an array three times where others did
//! once reaches something new.

use crate::scenario::OpKind;
use bootmem::{Error, Range};
use std::fmt;

/// One thing an input made a backend do. Equal features are the same
/// coverage, whichever input reached them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Feature {
    /// The backend's registry name.
    pub backend: &'static str,
    /// The op that reached it.
    pub op: OpKind,
    /// What was reached.
    pub what: What,
    /// How often one scenario reached it, as a bucket ([`hit_bucket`]); 0
    /// for a single sighting before [`with_hits`] counts them.
    pub hits: u8,
}

/// The kinds of [`Feature`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum What {
    /// The call returned this outcome.
    Outcome(OutcomeClass),
    /// The call's range (an allocation's result) touched this edge.
    Edge(Edge),
    /// The reported metadata changed: grew (`true`) or shrank, now in this
    /// many pieces (capped at 8).
    Metadata { grew: bool, pieces: u8 },
    /// The reported metadata changed to about `2^n` bytes in all: each
    /// doubling of an array is a new feature.
    MetadataBytes(u8),
    /// An allocation started off a page edge: packed into slack.
    Packed,
    /// An allocation met its request in this stage (1-based, SPEC section
    /// 4); `2` and later are node or goal fallbacks.
    Stage(u8),
    /// An allocation took its stage's lowest (`Lowest`), highest or
    /// another feasible start.
    Pick(Pick),
    /// A `NoMem` or a late stage excused because the metadata had no room
    /// to grow.
    MetadataFull,
    /// After the op, the model's free map was in about `2^n` pieces.
    Fragments(u8),
    /// The backend played at least `2^n` ops of the scenario.
    Depth(u8),
}

/// A call's outcome, without its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutcomeClass {
    /// Succeeded.
    Ok,
    /// Failed with this error.
    Err(Error),
    /// Not played (a `free_alloc` with nothing live).
    Skipped,
}

/// An edge a range touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edge {
    /// It starts where a RAM range starts.
    RamStart,
    /// It ends where a RAM range ends.
    RamEnd,
    /// Some of it is not RAM, some is.
    Hole,
    /// None of it is RAM.
    NoRam,
    /// It covers RAM of two or more nodes.
    Nodes,
    /// It starts off a page edge.
    SubPage,
    /// It is empty.
    Empty,
    /// It overlaps the backend's own metadata (a bitmap, an array).
    Metadata,
}

/// Which feasible start an allocation took.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pick {
    /// The lowest feasible start of its stage.
    Lowest,
    /// The highest.
    Highest,
    /// Another one.
    Between,
}

impl fmt::Display for Feature {
    /// `backend/op/what xHITS`, e.g. `bootmem/alloc/edge=RamEnd x1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/", self.backend, self.op.name())?;
        match self.what {
            What::Outcome(OutcomeClass::Ok) => write!(f, "ok"),
            What::Outcome(OutcomeClass::Err(e)) => write!(f, "err={e:?}"),
            What::Outcome(OutcomeClass::Skipped) => write!(f, "skipped"),
            What::Edge(e) => write!(f, "edge={e:?}"),
            What::Metadata { grew, pieces } => {
                let how = if grew { "grew" } else { "shrank" };
                write!(f, "metadata-{how}={pieces}")
            }
            What::MetadataBytes(n) => write!(f, "metadata-bytes=2^{n}"),
            What::Packed => write!(f, "packed"),
            What::Stage(s) => write!(f, "stage={s}"),
            What::Pick(p) => write!(f, "pick={p:?}"),
            What::MetadataFull => write!(f, "metadata-full"),
            What::Fragments(n) => write!(f, "fragments=2^{n}"),
            What::Depth(n) => write!(f, "depth=2^{n}"),
        }?;
        write!(f, " x{}", self.hits)
    }
}

/// AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+ give
/// 1 to 8 (0 for 0).
pub fn hit_bucket(count: usize) -> u8 {
    match count {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4..=7 => 4,
        8..=15 => 5,
        16..=31 => 6,
        32..=127 => 7,
        _ => 8,
    }
}

/// The features of one scenario, each once, with how often it was
/// reached as its [`hit_bucket`], sorted. `sightings` lists every time a
/// feature was reached (their `hits` are ignored).
pub fn with_hits(sightings: &[Feature]) -> Vec<Feature> {
    let mut sorted: Vec<Feature> = sightings
        .iter()
        .map(|f| Feature { hits: 0, ..*f })
        .collect();
    sorted.sort_unstable();
    let mut out: Vec<Feature> = Vec::with_capacity(sorted.len());
    let mut run = 0;
    for (i, f) in sorted.iter().enumerate() {
        run += 1;
        if sorted.get(i + 1) != Some(f) {
            out.push(Feature {
                hits: hit_bucket(run),
                ..*f
            });
            run = 0;
        }
    }
    out
}

/// `floor(log2(n))` for `n >= 1`, 0 for 0: the bucket of a count.
pub fn log2_bucket(n: usize) -> u8 {
    // At most 63, so the cast keeps every value.
    n.checked_ilog2().unwrap_or(0) as u8
}

/// The edges `range` touches in a map of RAM ranges `ram` (sorted, each
/// with its node).
pub fn edges(range: Range, ram: &[(Range, bootmem::Nid)]) -> Vec<Edge> {
    let mut out = Vec::new();
    if range.is_empty() {
        out.push(Edge::Empty);
        return out;
    }
    if range.start() % bootmem::PAGE_SIZE != 0 {
        out.push(Edge::SubPage);
    }
    if ram.iter().any(|(r, _)| r.start() == range.start()) {
        out.push(Edge::RamStart);
    }
    if ram.iter().any(|(r, _)| r.end() == range.end()) {
        out.push(Edge::RamEnd);
    }
    let mut covered: u128 = 0;
    let mut first_nid = None;
    let mut nodes = false;
    for (r, nid) in ram {
        if let Some(piece) = r.intersect(range) {
            covered += piece.len() as u128;
            match first_nid {
                None => first_nid = Some(*nid),
                Some(n) if n != *nid => nodes = true,
                Some(_) => {}
            }
        }
    }
    if covered == 0 {
        out.push(Edge::NoRam);
    } else if covered < range.len() as u128 {
        out.push(Edge::Hole);
    }
    if nodes {
        out.push(Edge::Nodes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: u64, end: u64) -> Range {
        Range::new(start, end).unwrap_or(Range::EMPTY)
    }

    ///  RAM:  |  node 0  |  hole  |  node 1  |
    ///        0x0     0x4000  0x8000      0xc000
    ///  range:          [0x3000 ........ 0x9000)
    /// Expect: a hole and two nodes, neither RAM edge.
    #[test]
    fn a_range_across_a_hole_into_the_next_node_touches_both() {
        let ram = [(r(0, 0x4000), 0), (r(0x8000, 0xc000), 1)];
        let got = edges(r(0x3000, 0x9000), &ram);
        assert_eq!(got, vec![Edge::Hole, Edge::Nodes]);
    }

    #[test]
    fn edges_of_ram_ranges_and_sub_pages() {
        let ram = [(r(0x1000, 0x4000), 0)];
        assert_eq!(
            edges(r(0x1000, 0x4000), &ram),
            vec![Edge::RamStart, Edge::RamEnd]
        );
        assert_eq!(edges(r(0x1010, 0x1020), &ram), vec![Edge::SubPage]);
        assert_eq!(edges(r(0x5000, 0x6000), &ram), vec![Edge::NoRam]);
        assert_eq!(edges(Range::EMPTY, &ram), vec![Edge::Empty]);
    }

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!(log2_bucket(0), 0);
        assert_eq!(log2_bucket(1), 0);
        assert_eq!(log2_bucket(2), 1);
        assert_eq!(log2_bucket(3), 1);
        assert_eq!(log2_bucket(128), 7);
    }

    #[test]
    fn features_print_as_backend_op_what() {
        let f = Feature {
            backend: "bootmem",
            op: OpKind::Alloc,
            what: What::Edge(Edge::RamEnd),
            hits: 2,
        };
        assert_eq!(f.to_string(), "bootmem/alloc/edge=RamEnd x2");
    }

    #[test]
    fn sightings_are_counted_into_hit_buckets() {
        let seen = |what| Feature {
            backend: "rootmem",
            op: OpKind::Reserve,
            what,
            hits: 0,
        };
        let mut sightings = vec![seen(What::Packed); 5];
        sightings.push(seen(What::MetadataFull));
        let got = with_hits(&sightings);
        assert_eq!(
            got,
            vec![
                Feature {
                    hits: 4,
                    ..seen(What::Packed)
                },
                Feature {
                    hits: 1,
                    ..seen(What::MetadataFull)
                },
            ]
        );
        assert_eq!(
            (1..=200)
                .map(hit_bucket)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            8
        );
    }
}
