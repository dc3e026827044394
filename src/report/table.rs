//! The table renderer: one row per finding (status, Python, path, reason), then a summary.

use std::io::{self, Write};

use tabled::builder::Builder;
use tabled::settings::Style;

use super::{escape, escaped_path, Report};
use crate::clean::report::human_bytes;
use crate::model::{Record, Severity, Status, Summary};

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
        (Some(CPython), Some(p)) => p.clone(),
        (Some(imp), Some(p)) => format!("{imp} {p}"),
        (Some(imp), None) => imp.to_string(),
        (None, _) => "-".to_string(),
    }
}

pub(super) fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    if !report.shown.is_empty() {
        let mut builder = Builder::default();
        let header = ["STATUS", "PYTHON", "PATH", "REASON"].map(|h| paint(h, "1", color));
        builder.push_record(header);
        for record in &report.shown {
            builder.push_record([
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
        let mut table = builder.build();
        table.with(Style::blank());
        for line in table.to_string().lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(report.summary, color))?;
    for line in context_lines(report.summary) {
        writeln!(out, "{line}")?;
    }
    Ok(())
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
