//! The differential suites' report: every disagreement between pyc-audit and an interpreter,
//! over all interpreters, in one plain-text table.

use std::fmt::Write as _;

/// One disagreement between pyc-audit and the interpreter.
pub struct Row {
    pub interpreter: String,
    pub case: String,
    /// What pyc-audit said (status/action/severity, or which row is missing or extra).
    pub tool: String,
    pub reason: String,
    pub observed: String,
}

pub fn table(rows: &[Row]) -> String {
    let header = [
        "interpreter",
        "case",
        "tool status/action/severity",
        "tool reason",
        "observed",
    ];
    let cells: Vec<[&str; 5]> = rows
        .iter()
        .map(|r| {
            [
                &*r.interpreter,
                &*r.case,
                &*r.tool,
                &*r.reason,
                &*r.observed,
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for line in &cells {
        for (width, cell) in widths.iter_mut().zip(line) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for line in std::iter::once(header).chain(cells) {
        let padded: Vec<String> = line
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "| {} |", padded.join(" | ").trim_end());
    }
    out
}

/// Fails with every disagreement, in one table, and every other problem, if there are any.
pub fn assert_none(rows: &[Row], problems: &[String]) {
    let mut message = String::new();
    if !rows.is_empty() {
        let _ = write!(
            message,
            "{} disagreements between pyc-audit and the interpreters:\n{}",
            rows.len(),
            table(rows)
        );
    }
    for problem in problems {
        let _ = writeln!(message, "{problem}");
    }
    assert!(message.is_empty(), "\n{message}");
}
