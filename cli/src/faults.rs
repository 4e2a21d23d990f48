//! `bootfuzz faults`: the planted historical bugs of `bootmem::bugs`, with
//! the backend each lives in, the invariant class it breaks, the finding
//! kinds that show that class, and the change it re-creates.

use crate::columns;
use bootmem::Bug;
use oracles::bug_kinds;
use std::io::{self, Write};

/// The cells of one fault's row.
fn cells(bug: Bug) -> [String; 5] {
    let kinds: Vec<&str> = bug_kinds::expected_kinds(bug.class())
        .iter()
        .map(|k| k.name())
        .collect();
    [
        bug.id().to_string(),
        bug.backend().to_string(),
        bug.class().name().to_string(),
        kinds.join(" "),
        bug.origin().to_string(),
    ]
}

const HEADERS: [&str; 5] = ["id", "backend", "class", "caught as", "re-creates"];

/// Prints every fault, one per line, columns aligned (or as a Markdown
/// table when `markdown`).
pub fn print(markdown: bool, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<[String; 5]> = Bug::ALL.into_iter().map(cells).collect();
    let table = if markdown {
        columns::markdown(HEADERS, &rows)
    } else {
        columns::aligned(HEADERS, &rows)
    };
    out.write_all(table.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_has_a_row_naming_its_backend_and_class() {
        let mut out = Vec::new();
        assert!(print(true, &mut out).is_ok());
        let text = String::from_utf8_lossy(&out);
        assert_eq!(text.lines().count(), 2 + Bug::ALL.len());
        assert!(text.contains("| B1 | bootmem | overlap | overlap metadata | 627240aaa92"));
    }
}
