//! `bootfuzz backends`: a table of every registered backend and its
//! profile (SPEC section 7).

use bootmem::{Granularity, MetadataHandoff, Placement, Profile, Registration};
use oracles::BackendInfo;
use std::io::{self, Write};

/// Column headers, in order.
const HEADERS: [&str; 8] = [
    "name",
    "granularity",
    "placement",
    "packing",
    "crosses nodes",
    "metadata at hand-off",
    "registration",
    "about",
];

/// Prints the table of `backends` to `out`, columns aligned.
pub fn print_table(backends: &[BackendInfo], out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<[String; 8]> = backends.iter().map(row).collect();
    out.write_all(crate::columns::aligned(HEADERS, &rows).as_bytes())
}

/// The cells of one backend's row.
fn row(info: &BackendInfo) -> [String; 8] {
    let p: Profile = info.profile();
    [
        info.name,
        granularity(p.granularity),
        placement(p.placement),
        yes_no(p.packing),
        yes_no(p.crosses_nodes),
        handoff(p.metadata),
        registration(p.registration),
        info.about,
    ]
    .map(String::from)
}

fn granularity(g: Granularity) -> &'static str {
    match g {
        Granularity::Page => "page",
        Granularity::Byte => "byte",
    }
}

fn placement(p: Placement) -> &'static str {
    match p {
        Placement::Lowest => "lowest",
        Placement::Highest => "highest",
        Placement::Historical => "historical",
    }
}

fn handoff(m: MetadataHandoff) -> &'static str {
    match m {
        MetadataHandoff::Released => "released",
        MetadataHandoff::Kept => "kept",
    }
}

fn registration(r: Registration) -> &'static str {
    match r {
        Registration::BeforeSetup => "before setup",
        Registration::AnyTime => "any time",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}
