//! Tables for the terminal and for Markdown, shared by the commands that
//! print one (`backends`, `faults`, `zoo`).

/// `headers` then `rows` with every column padded to its widest cell and
/// two spaces between columns; trailing spaces are trimmed from each line.
pub fn aligned<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let header = headers.map(String::from);
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `headers` then `rows` as a Markdown table.
pub fn markdown<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let mut out = format!("| {} |\n|{}\n", headers.join(" | "), "---|".repeat(N));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_to_their_widest_cell_and_lines_trimmed() {
        let rows = [["long-name".to_string(), "x".to_string()]];
        assert_eq!(aligned(["a", "b"], &rows), "a          b\nlong-name  x\n");
        assert_eq!(
            markdown(["a", "b"], &rows),
            "| a | b |\n|---|---|\n| long-name | x |\n"
        );
    }
}
