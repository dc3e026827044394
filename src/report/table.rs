//! The table renderer: one row per finding (status, Python, path, reason), then a summary and
//! a line saying what to do next. In a terminal the table fits its width: only the reason
//! column wraps, between words; a path is never cut, so it can always be copied. Outside a
//! terminal nothing wraps, one row per line.

use std::io::{self, Write};

use tabled::builder::Builder;
use tabled::grid::util::string::get_text_width;
use tabled::settings::Style;

use super::{escaped_path, Report};
use crate::model::{Kind, Record, Severity, Status, Summary};

const RESET: &str = "\x1b[0m";

pub(crate) fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}{RESET}")
    } else {
        text.to_string()
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

pub(crate) fn python_cell(record: &Record) -> String {
    use crate::pyc::magic::Implementation::*;
    match (record.implementation, &record.python) {
        (Some(CPython), Some(p)) => p.clone(),
        (Some(imp), Some(p)) => format!("{imp} {p}"),
        (Some(imp), None) => imp.to_string(),
        (None, _) if record.kind != Kind::Cache => "-".to_string(),
        (None, _) => "?".to_string(),
    }
}

/// The narrowest the reason column gets, however long the paths: below it, a reason would be
/// a column of single words.
const MIN_REASON_WIDTH: usize = 20;

pub(super) fn render(
    report: &Report,
    color: bool,
    width: Option<usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    if !report.shown.is_empty() {
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
                record.reason.replace(['\n', '\r'], " "),
            ]);
        }
        let mut table = build(&rows);
        if let Some(width) = width {
            if let Some(target) = reason_width(&table, width) {
                let wrap = textwrap::Options::new(target).break_words(false);
                for row in rows.iter_mut().skip(1) {
                    row[3] = textwrap::wrap(&row[3], &wrap).join("\n");
                }
                table = build(&rows);
            }
        }
        for line in table.to_string().lines() {
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
                let wrap = textwrap::Options::new(width).break_words(false);
                for part in textwrap::wrap(line, &wrap) {
                    writeln!(out, "{part}")?;
                }
            }
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

fn build(rows: &[[String; 4]]) -> tabled::Table {
    let mut table = Builder::from_iter(rows.iter().cloned()).build();
    table.with(Style::blank());
    table
}

/// The width the reason column (the last) must wrap to for the table to fit in `width`
/// columns, `None` when it fits already. The other columns keep their width, so when the
/// paths alone leave less than [`MIN_REASON_WIDTH`], the reason gets that much and the table
/// is wider than the terminal: a path is never cut.
fn reason_width(table: &tabled::Table, width: usize) -> Option<usize> {
    // Lines are printed without the last column's trailing padding.
    let printed = table.total_width() - 1;
    if printed <= width {
        return None;
    }
    let reason = table
        .get_records()
        .iter()
        .filter_map(|row| row.last())
        .map(|cell| get_text_width(cell.as_ref()))
        .max()
        .unwrap_or(0);
    let others = printed - reason;
    Some(width.saturating_sub(others).max(MIN_REASON_WIDTH))
}

/// The pycache prefix and the environment the verdicts assume, under the summary line.
pub(super) fn context_lines(summary: &Summary) -> Vec<String> {
    let prefix = summary.pycache_prefix.iter().map(|p| {
        let p = p.replace(['\n', '\r'], " ");
        format!("pycache prefix {p}: Python 3.8+ reads caches there, not in __pycache__")
    });
    let variables = summary.environment.iter().map(|v| {
        let value = v.value.replace(['\n', '\r'], " ");
        format!("{}={value}: {}", v.name, v.effect)
    });
    prefix.chain(variables).collect()
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
    let walk_errors = summary.errors - summary.by_status.get("unreadable").copied().unwrap_or(0);
    if walk_errors > 0 {
        line.push_str(&format!(
            "; {} could not be read",
            plural(walk_errors, "path")
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

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
            environment: vec![crate::environment::EnvVariable {
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
