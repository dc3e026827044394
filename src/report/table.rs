//! The table renderer: one row per finding (status, Python, path, reason), then a summary and
//! a line saying what to do next. In a terminal the table fits its width: only the reason
//! column wraps, between words; a path is never cut, so it can always be copied. Outside a
//! terminal nothing wraps, one row per line.

use std::io::{self, Write};

use tabled::builder::Builder;
use tabled::grid::util::string::get_text_width;
use tabled::settings::Style;

use super::{escape, escaped_path, Report};
use crate::verdict::model::{Record, Severity, Status, Summary};

const RESET: &str = "\x1b[0m";

pub(crate) fn paint(text: &str, code: &str, color: bool) -> String {
    let text = escape(text);
    if color {
        format!("\x1b[{code}m{text}{RESET}")
    } else {
        text.into_owned()
    }
}

pub(crate) fn severity_code(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Error) => "1;31",
        Some(Severity::Warning) => "33",
        Some(Severity::Info) => "36",
        None => "32",
    }
}

/// The PYTHON cell of every table: the interpreter that judges the row, `-` when none is
/// known (a directory, a temporary file, a cache no tag or magic names).
pub(crate) fn python_cell(record: &Record) -> String {
    use crate::pyc::magic::Implementation::*;
    match (record.implementation, &record.python) {
        (Some(CPython), Some(p)) => p.to_string(),
        (Some(imp), Some(p)) => format!("{imp} {p}"),
        (Some(imp), None) => imp.to_string(),
        (None, _) => "-".to_string(),
    }
}

/// The narrowest the reason column gets beside the paths: below it, each reason goes on lines
/// of its own under its row instead.
const MIN_REASON_WIDTH: usize = 24;

/// How far a reason under its row is indented.
const STACKED_INDENT: &str = "     ";

pub(super) fn render(
    report: &Report,
    color: bool,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if !report.shown.is_empty() {
        for line in table_lines(rows(report, color), width) {
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(out)?;
    }
    let mut lines = vec![summary_line(report.summary, color)];
    lines.extend(context_lines(report.summary));
    if report.summary.findings > 0 {
        lines.push(super::next::line(report.cleanable));
    }
    for line in &lines {
        match width {
            Some(width) => {
                for part in textwrap::wrap(line, words(width)) {
                    writeln!(out, "{part}")?;
                }
            }
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// The header and one row per shown record: status, Python, path, reason.
fn rows(report: &Report, color: bool) -> Vec<[String; 4]> {
    let header = ["STATUS", "PYTHON", "PATH", "REASON"].map(|h| paint(h, "1", color));
    let mut rows = vec![header];
    for record in &report.shown {
        rows.push([
            paint(
                record.status.as_str(),
                severity_code(record.severity),
                color,
            ),
            python_cell(record),
            escaped_path(&record.path),
            escape(&record.reason).into_owned(),
        ]);
    }
    rows
}

/// Wrapping at spaces only: a word longer than the width (a path) stays whole, and a hyphen
/// (`cpython-311`, `pyc-audit`) is never a break.
fn words(width: usize) -> textwrap::Options<'static> {
    textwrap::Options::new(width)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
}

/// The table's lines (`check`'s and `clean`'s; the last column is the reason). Without a width,
/// one line per row. With one, the table fits it: the reason column wraps, and when the other columns leave it less than [`MIN_REASON_WIDTH`],
/// each reason goes under its row, across the width. Paths are never cut, so a path wider
/// than the terminal still makes a wider line.
pub(crate) fn table_lines<const N: usize>(
    mut rows: Vec<[String; N]>,
    width: Option<usize>,
) -> Vec<String> {
    let last = N - 1;
    if width.is_none() {
        // Nothing to fit: the rows go into the table, not a copy of them (a long report's
        // peak memory).
        let mut table = Builder::from_iter(rows).build();
        table.with(Style::blank());
        return lines(&table);
    }
    let table = build(&rows);
    // Lines are printed without the last column's trailing padding.
    let printed = table.total_width() - 1;
    let Some(width) = width.filter(|&w| printed > w) else {
        return lines(&table);
    };
    let reason = column_width(&table, last);
    let others = printed - reason;
    if width >= others + MIN_REASON_WIDTH {
        for row in rows.iter_mut().skip(1) {
            row[last] = textwrap::wrap(&row[last], words(width - others)).join("\n");
        }
        return lines(&build(&rows));
    }
    let reasons: Vec<String> = rows
        .iter_mut()
        .map(|r| std::mem::take(&mut r[last]))
        .collect();
    let narrow = width
        .saturating_sub(STACKED_INDENT.len())
        .max(MIN_REASON_WIDTH);
    let mut out = Vec::new();
    for (i, (line, reason)) in lines(&build(&rows)).into_iter().zip(&reasons).enumerate() {
        out.push(line);
        // The header's reason cell was the column title.
        if i > 0 {
            let wrapped = textwrap::wrap(reason, words(narrow));
            out.extend(wrapped.iter().map(|l| format!("{STACKED_INDENT}{l}")));
        }
    }
    out
}

fn build<const N: usize>(rows: &[[String; N]]) -> tabled::Table {
    let mut table = Builder::from_iter(rows.iter().cloned()).build();
    table.with(Style::blank());
    table
}

fn lines(table: &tabled::Table) -> Vec<String> {
    table.to_string().lines().map(str::to_string).collect()
}

/// The widest cell of column `index`, header included.
fn column_width(table: &tabled::Table, index: usize) -> usize {
    table
        .get_records()
        .iter()
        .filter_map(|row| row.get(index))
        .map(|cell| get_text_width(cell.as_ref()))
        .max()
        .unwrap_or(0)
}

/// The pycache prefix and the environment the verdicts assume, under the summary line.
pub(super) fn context_lines(summary: &Summary) -> Vec<String> {
    let prefix = summary.pycache_prefix.iter().map(|p| {
        let line =
            format!("pycache prefix {p}: Python 3.8+ reads caches there, not in __pycache__");
        escape(&line).into_owned()
    });
    let variables = summary
        .environment
        .iter()
        .map(|v| escape(&format!("{}={}: {}", v.name, v.value, v.effect)).into_owned());
    let verify = summary.verify.iter().map(|t| {
        let mut line = format!(
            "--verify: {} compared with {} (by their interpreter), {} diverged",
            text_count(t.verified, "cache"),
            if t.verified == 1 {
                "its source"
            } else {
                "their sources"
            },
            t.diverged
        );
        let skipped: Vec<String> = t
            .not_verified
            .iter()
            .map(|(who, n)| format!("{} of {who}", text_count(*n, "cache")))
            .collect();
        if !skipped.is_empty() {
            line.push_str(&format!("; not verified: {}", skipped.join(", ")));
        }
        escape(&line).into_owned()
    });
    prefix.chain(variables).chain(verify).collect()
}

fn text_count(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `5 findings in 12 caches (1 error, 3 warnings, 1 info): 7 fresh, 2 stale, ...`
pub(super) fn summary_line(summary: &Summary, color: bool) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "{} in {}",
        plural(summary.findings, "finding"),
        plural(summary.caches, "cache")
    );
    let severities: Vec<String> = [Severity::Error, Severity::Warning, Severity::Info]
        .into_iter()
        .filter_map(|s| {
            let n = summary.by_severity.get(s.as_str()).copied().unwrap_or(0);
            let word = if s == Severity::Info {
                format!("{n} info")
            } else {
                plural(n, s.as_str())
            };
            (n > 0).then(|| paint(&word, severity_code(Some(s)), color))
        })
        .collect();
    if !severities.is_empty() {
        line.push_str(&format!(" ({})", severities.join(", ")));
    }
    let statuses: Vec<String> = Status::ALL
        .into_iter()
        .filter_map(|s| {
            let n = summary.by_status.get(s.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect();
    if !statuses.is_empty() {
        line.push_str(&format!(": {}", statuses.join(", ")));
    }
    if summary.bytes > 0 {
        line.push_str(&format!(
            "; {} in caches, {} reclaimable",
            human_bytes(summary.bytes),
            human_bytes(summary.reclaimable_bytes)
        ));
    }
    let walk_errors = summary.errors - summary.by_status.get("unreadable").copied().unwrap_or(0);
    if walk_errors > 0 {
        line.push_str(&format!(
            "; {} could not be read",
            plural(walk_errors, "path")
        ));
    }
    line
}

/// `1.5 KiB`, `300 B`: bytes for people.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_fits_the_width_it_is_given() {
        let header = ["STATUS", "PYTHON", "PATH", "REASON"].map(String::from);
        let row = |path: &str| {
            let reason = "a reason-with-hyphens ".repeat(12);
            [
                "stale".into(),
                "3.11".into(),
                path.to_string(),
                reason.trim_end().to_string(),
            ]
        };
        let short = vec![header.clone(), row("a/__pycache__/m.cpython-311.pyc")];
        assert_eq!(
            table_lines(short.clone(), None).len(),
            2,
            "no width, no wrap"
        );
        for width in [80, 120] {
            let lines = table_lines(short.clone(), Some(width));
            assert!(lines.len() > 2);
            for line in &lines {
                assert!(line.trim_end().chars().count() <= width, "{line:?}");
                assert!(!line.trim_end().ends_with('-'), "{line:?}");
            }
        }
        let long = vec![header, row(&"d/".repeat(28))];
        let lines = table_lines(long, Some(80));
        assert!(lines[1].trim_end().ends_with("d/d/"), "{lines:#?}");
        assert!(lines[2].starts_with(STACKED_INDENT), "{lines:#?}");
        assert!(lines.iter().all(|l| l.trim_end().chars().count() <= 80));
    }

    #[test]
    fn summary_counts_and_plurals() {
        let mut s = Summary {
            caches: 3,
            findings: 2,
            errors: 1,
            ..Summary::default()
        };
        s.by_status.insert("fresh", 1);
        s.by_status.insert("stale", 1);
        s.by_status.insert("unreadable", 1);
        s.by_severity.insert("warning", 2);
        let line = summary_line(&s, false);
        assert_eq!(
            line,
            "2 findings in 3 caches (2 warnings): 1 fresh, 1 stale, 1 unreadable"
        );
        let empty = Summary::default();
        assert_eq!(summary_line(&empty, false), "0 findings in 0 caches");
        assert!(context_lines(&empty).is_empty());
    }

    #[test]
    fn the_prefix_and_environment_follow_the_summary() {
        let s = Summary {
            pycache_prefix: Some("/pfx".into()),
            environment: vec![crate::python::environment::EnvVariable {
                name: "SOURCE_DATE_EPOCH",
                value: "0".into(),
                effect: "checked-hash".into(),
            }],
            ..Summary::default()
        };
        assert_eq!(
            context_lines(&s),
            [
                "pycache prefix /pfx: Python 3.8+ reads caches there, not in __pycache__",
                "SOURCE_DATE_EPOCH=0: checked-hash"
            ]
        );
    }
}
