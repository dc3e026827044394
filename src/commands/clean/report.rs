//! Rendering a clean run in the formats of `check`: a table with one row per path acted on
//! and a summary line; a JSON document (`findings` holds the rows, `summary` the totals);
//! JSON Lines (the rows); or the paths removed (or that would be), for `xargs`.

use std::io::{self, Write};

use serde::Serialize;

use super::outcome::{CleanSummary, Outcome, RebuildOutcome, Row};
use crate::cli::Format;
use crate::report::table::{human_bytes, table_lines};
use crate::report::{escaped_path, paint, python_cell, severity_code, write_document};
use crate::verdict::model::SCHEMA_VERSION;

#[derive(Serialize)]
struct Document<'a> {
    command: &'static str,
    findings: &'a [Row],
    summary: &'a CleanSummary,
}

/// How to render.
pub(crate) struct Options {
    pub format: Format,
    pub color: bool,
    pub print0: bool,
    /// The terminal's width, for the table to fit (none off a terminal).
    pub width: Option<usize>,
}

pub(crate) fn render(
    rows: &[Row],
    summary: &CleanSummary,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    match opts.format {
        // `clean --format` offers neither github nor sarif (see `args`).
        Format::Table | Format::Github | Format::Sarif => table(rows, summary, opts, out),
        Format::Json => {
            let doc = Document {
                command: "clean",
                findings: rows,
                summary,
            };
            write_document(SCHEMA_VERSION, &doc, out)
        }
        Format::Jsonl => {
            for row in rows {
                serde_json::to_writer(&mut *out, row)?;
                writeln!(out)?;
            }
            Ok(())
        }
        Format::Paths => {
            let removed = rows.iter().filter(|r| r.outcome.removes());
            let paths = removed.map(|r| r.record.path.as_path());
            crate::report::paths::write(paths, opts.print0, out)?;
            Ok(())
        }
    }
}

fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Removed | Outcome::WouldRemove => "32",
        Outcome::Kept | Outcome::Gone => "36",
        Outcome::Failed => "1;31",
    }
}

/// The row's reason: why it was kept or failed, else the audit's; then the rebuild.
fn reason(row: &Row) -> String {
    let mut text = row
        .outcome_reason
        .clone()
        .unwrap_or_else(|| row.record.reason.to_string());
    if let Some(rebuild) = &row.rebuild {
        let with = rebuild.interpreter.as_deref().unwrap_or("?");
        text.push_str(&match rebuild.outcome {
            RebuildOutcome::Rebuilt => format!("; rebuilt with {with}"),
            RebuildOutcome::WouldRebuild => format!("; would rebuild with {with}"),
            RebuildOutcome::NotRebuilt => format!("; not rebuilt: {}", rebuild.reason),
        });
    }
    crate::report::escape(&text).into_owned()
}

fn table(
    rows: &[Row],
    summary: &CleanSummary,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    let color = opts.color;
    if !rows.is_empty() {
        let header =
            ["OUTCOME", "STATUS", "PYTHON", "PATH", "REASON"].map(|h| paint(h, "1", color));
        let mut cells = vec![header];
        for row in rows {
            let r = &row.record;
            cells.push([
                paint(row.outcome.as_str(), outcome_code(row.outcome), color),
                paint(r.status.as_str(), severity_code(r.severity), color),
                python_cell(r),
                escaped_path(&r.path),
                reason(row),
            ]);
        }
        for line in table_lines(cells, opts.width) {
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(summary))
}

fn plural(n: usize, word: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    match word.strip_suffix('y') {
        Some(stem) if n != 1 => format!("{n} {stem}ies"),
        _ => format!("{n} {word}{s}"),
    }
}

/// `removed 3 files (1.2 KiB) and 1 directory; 1 kept; 2 rebuilt; 14 caches audited`
pub(crate) fn summary_line(s: &CleanSummary) -> String {
    let verb = if s.dry_run { "would remove" } else { "removed" };
    let mut parts = vec![format!(
        "{verb} {} ({}) and {}",
        plural(s.files, "file"),
        human_bytes(s.bytes),
        plural(s.directories, "directory")
    )];
    let counts = [
        (s.kept, "kept"),
        (s.gone, "already gone"),
        (s.failed, "failed"),
    ];
    let others: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if !others.is_empty() {
        parts.push(others.join(", "));
    }
    let rebuilt = if s.dry_run {
        "would be rebuilt"
    } else {
        "rebuilt"
    };
    let rebuilds: Vec<String> = [(s.rebuilt, rebuilt), (s.not_rebuilt, "not rebuilt")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if !rebuilds.is_empty() {
        parts.push(rebuilds.join(", "));
    }
    parts.push(format!("{} audited", plural(s.audit.caches, "cache")));
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::model::{Record, Summary};

    #[test]
    fn summary_lines() {
        let mut s = CleanSummary {
            files: 3,
            bytes: 1536,
            directories: 1,
            kept: 1,
            rebuilt: 2,
            audit: Summary {
                caches: 14,
                ..Summary::default()
            },
            ..CleanSummary::default()
        };
        assert_eq!(
            summary_line(&s),
            "removed 3 files (1.5 KiB) and 1 directory; 1 kept; 2 rebuilt; 14 caches audited"
        );
        s = CleanSummary {
            dry_run: true,
            failed: 2,
            ..CleanSummary::default()
        };
        assert_eq!(
            summary_line(&s),
            "would remove 0 files (0 B) and 0 directories; 2 failed; 0 caches audited"
        );
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn paths_lists_only_what_goes() {
        let mut removed = Row::new(Record::example(), Outcome::WouldRemove, None);
        removed.record.path = "./a/__pycache__/m.cpython-311.pyc".into();
        let kept = Row::new(Record::example(), Outcome::Kept, Some("--keep".into()));
        let opts = Options {
            format: Format::Paths,
            color: false,
            print0: true,
            width: None,
        };
        let mut out = Vec::new();
        render(&[removed, kept], &CleanSummary::default(), &opts, &mut out).unwrap();
        assert_eq!(out, b"a/__pycache__/m.cpython-311.pyc\0");
    }

    #[test]
    fn table_shows_why_and_rebuild() {
        let mut row = Row::new(Record::example(), Outcome::Removed, None);
        row.record.reason = "recorded size 1 B, source 2 B".into();
        row.rebuild = Some(super::super::outcome::Rebuild {
            outcome: RebuildOutcome::NotRebuilt,
            interpreter: None,
            reason: "no CPython 3.11 found".into(),
        });
        let mut out = Vec::new();
        let opts = Options {
            format: Format::Table,
            color: false,
            print0: false,
            width: None,
        };
        render(&[row.clone()], &CleanSummary::default(), &opts, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("OUTCOME"), "{text}");
        assert!(text.contains(" removed   fresh "), "{text}");
        assert!(
            text.contains("; not rebuilt: no CPython 3.11 found"),
            "{text}"
        );
        // On a terminal the table fits its width: the reason wraps between words.
        let narrow = Options {
            width: Some(72),
            ..opts
        };
        let mut out = Vec::new();
        render(&[row], &CleanSummary::default(), &narrow, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest <= 72, "{widest} columns:\n{text}");
        assert!(text.contains("no CPython"), "{text}");
    }
}
