//! `bootfuzz backends`: the table of registered backends.

mod common;

use common::{bootfuzz, code, stdout};

#[test]
fn the_table_lists_rootmem_and_its_profile() {
    let out = bootfuzz(["backends"]);
    assert_eq!(code(&out), Some(0));
    let text = stdout(&out);
    let header = text.lines().next().unwrap_or_default();
    for column in [
        "name",
        "granularity",
        "placement",
        "packing",
        "crosses nodes",
    ] {
        assert!(header.contains(column), "{header}");
    }
    let row = text
        .lines()
        .find(|l| l.starts_with("rootmem "))
        .unwrap_or_else(|| panic!("no rootmem row in: {text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cells.get(1..3), Some(&["page", "lowest"][..]), "{row}");
}
