//! `index.md` and `index.html`: every group with its count, its first-seen
//! file and its minimized size, and the inputs that did not reproduce.

use super::group::Grouped;
use super::svg::escape;
use super::Triaged;
use std::fmt::Write;

/// The Markdown index.
pub fn index_md(groups: &[Triaged], grouped: &Grouped, inputs: usize) -> String {
    let clean = &grouped.clean;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# bootfuzz triage\n\n{inputs} inputs: {} groups, {} without a finding.\n",
        groups.len(),
        clean.len()
    );
    if !groups.is_empty() {
        let _ = writeln!(
            md,
            "| signature | inputs | first seen | minimized ops | minimized .scn bytes |\n|---|---|---|---|---|"
        );
    }
    for g in groups {
        let m = &g.shrunk.minimized;
        let _ = writeln!(
            md,
            "| [`{}`]({}/report.md) | {} | `{}` | {} (from {}) | {} |",
            g.signature,
            g.slug,
            g.count,
            g.first_seen.display(),
            m.after.ops,
            m.before.ops,
            m.after.text_bytes
        );
    }
    if !clean.is_empty() {
        let _ = writeln!(
            md,
            "\n## Did not reproduce\n\nNo finding when replayed with the same backends and bugs:\n"
        );
        for path in clean {
            let _ = writeln!(md, "- `{}`", path.display());
        }
    }
    if !grouped.skipped.is_empty() {
        let _ = writeln!(md, "\n## Not triaged\n\nInputs of targets that take no scenario (replay them with `bootfuzz replay --target NAME`):\n");
        for (path, target) in &grouped.skipped {
            let _ = writeln!(md, "- `{}` ({target})", path.display());
        }
    }
    md
}

/// The HTML index: the same table, each group linked to its report and
/// showing its memory map.
pub fn index_html(groups: &[Triaged], grouped: &Grouped, inputs: usize) -> String {
    let clean = &grouped.clean;
    let mut html = String::new();
    html.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>bootfuzz triage</title>\n<style>\n\
         body { font-family: sans-serif; margin: 2em; }\n\
         table { border-collapse: collapse; }\n\
         th, td { border: 1px solid #999; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }\n\
         code { font-size: 0.95em; }\n\
         img { max-width: 100%; border: 1px solid #ccc; }\n\
         </style>\n</head>\n<body>\n<h1>bootfuzz triage</h1>\n",
    );
    let _ = writeln!(
        html,
        "<p>{inputs} inputs: {} groups, {} without a finding.</p>",
        groups.len(),
        clean.len()
    );
    html.push_str(
        "<table>\n<thead><tr><th>signature</th><th>inputs</th><th>first seen</th>\
         <th>minimized ops</th><th>minimized .scn bytes</th></tr></thead>\n<tbody>\n",
    );
    for g in groups {
        let m = &g.shrunk.minimized;
        let _ = writeln!(
            html,
            "<tr><td><a href=\"{slug}/report.md\"><code>{sig}</code></a> \
             (<a href=\"{slug}/minimized.scn\">.scn</a>, <a href=\"{slug}/memory-map.svg\">map</a>)</td>\
             <td>{}</td><td><code>{}</code></td><td>{} (from {})</td><td>{}</td></tr>",
            g.count,
            escape(&g.first_seen.display().to_string()),
            m.after.ops,
            m.before.ops,
            m.after.text_bytes,
            slug = escape(&g.slug),
            sig = escape(&g.signature.to_string()),
        );
    }
    html.push_str("</tbody>\n</table>\n");
    for g in groups {
        let _ = writeln!(
            html,
            "<h2 id=\"{slug}\"><code>{sig}</code></h2>\n<p>{detail}</p>\n\
             <img src=\"{slug}/memory-map.svg\" alt=\"memory map of {sig}\">",
            slug = escape(&g.slug),
            sig = escape(&g.signature.to_string()),
            detail = escape(&g.shrunk.finding.detail),
        );
    }
    if !clean.is_empty() {
        html.push_str("<h2>Did not reproduce</h2>\n<ul>\n");
        for path in clean {
            let _ = writeln!(
                html,
                "<li><code>{}</code></li>",
                escape(&path.display().to_string())
            );
        }
        html.push_str("</ul>\n");
    }
    if !grouped.skipped.is_empty() {
        html.push_str("<h2>Not triaged</h2>\n<p>Inputs of targets that take no scenario (replay them with <code>bootfuzz replay --target NAME</code>):</p>\n<ul>\n");
        for (path, target) in &grouped.skipped {
            let _ = writeln!(
                html,
                "<li><code>{}</code> ({target})</li>",
                escape(&path.display().to_string())
            );
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_it_prints() {
        assert_eq!(escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
    }

    #[test]
    fn inputs_without_a_finding_are_listed() {
        let grouped = Grouped {
            clean: vec![std::path::PathBuf::from("fuzz/artifacts/x/crash-1")],
            ..Grouped::default()
        };
        assert!(index_md(&[], &grouped, 1).contains("- `fuzz/artifacts/x/crash-1`"));
        let html = index_html(&[], &grouped, 1);
        assert!(html.contains("<li><code>fuzz/artifacts/x/crash-1</code></li>"));
    }
}
