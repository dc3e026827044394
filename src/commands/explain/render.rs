//! The explain screen: one block per cache, read top to bottom. The verdict comes first (the
//! status coloured by severity, what the import does), then the header and the source side by
//! side in values, then every rule with a mark (`✓` pass, `✗` fail, `!` let through but wrong,
//! `-` not applied, `·` not reached), then the import in a sentence and the fix.

use std::io::{self, Write};

use super::record::{Outcome, Step};
use super::{Explanation, FileReport, TargetKind};
use crate::report::{escape, escaped_path, summary_line};
use crate::verdict::model::{Action, Severity, Summary};
use crate::verdict::text;

const RESET: &str = "\x1b[0m";
const BOLD: &str = "1";
const DIM: &str = "2";

struct Painter {
    color: bool,
}

impl Painter {
    /// Escapes the text (the one escaping function), then colours it.
    fn paint(&self, text: &str, code: &str) -> String {
        let text = escape(text);
        if self.color && !code.is_empty() {
            format!("\x1b[{code}m{text}{RESET}")
        } else {
            text.into_owned()
        }
    }
}

fn severity_code(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Error) => "1;31",
        Some(Severity::Warning) => "1;33",
        Some(Severity::Info) => "1;36",
        None => "1;32",
    }
}

/// Writes the screen for every FILE, then the summary line.
pub(super) fn text(
    reports: &[FileReport],
    summary: &Summary,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let p = Painter { color };
    for report in reports.iter().filter(|r| r.error.is_none()) {
        if report.kind == TargetKind::Source {
            writeln!(out, "{}", p.paint(&source_heading(report), BOLD))?;
            writeln!(out)?;
        }
        for e in &report.caches {
            block(e, &p, out)?;
            writeln!(out)?;
        }
    }
    writeln!(out, "{}", summary_line(summary, color))
}

fn source_heading(report: &FileReport) -> String {
    let file = escaped_path(&report.file);
    let n = report.caches.len();
    let caches = format!("{n} cache{}", if n == 1 { "" } else { "s" });
    match (report.exists, n) {
        (true, 0) => format!("{file}: no caches (none in __pycache__/, none beside it)"),
        (true, _) => format!("{file}: {caches}"),
        (false, 1) => format!("{file}: does not exist, but 1 cache of it remains"),
        (false, _) => format!("{file}: does not exist, but {caches} of it remain"),
    }
}

fn block(e: &Explanation, p: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let r = &e.record;
    writeln!(out, "{}", p.paint(&escaped_path(&r.path), BOLD))?;
    writeln!(out, "  {}", headline(e, p))?;
    writeln!(out, "  {}", escape(&r.reason))?;
    writeln!(out)?;
    cache_section(e, p, out)?;
    source_section(e, p, out)?;
    writeln!(out)?;
    rules_section(e, p, out)?;
    writeln!(out)?;
    writeln!(
        out,
        "  {}  {}",
        p.paint("on import", BOLD),
        escape(&e.on_import)
    )?;
    match &e.fix {
        Some(fix) => {
            let fix_label = p.paint("fix", BOLD);
            match &fix.command {
                Some(command) => {
                    writeln!(out, "  {fix_label}        {}", p.paint(command, "1;36"))?;
                    writeln!(out, "             {}", escape(&fix.note))
                }
                None => writeln!(out, "  {fix_label}        {}", escape(&fix.note)),
            }
        }
        None => writeln!(out, "  {}        nothing to fix", p.paint("fix", BOLD)),
    }
}

/// `STALE · Python 3.11 recompiles the source · warning`
fn headline(e: &Explanation, p: &Painter) -> String {
    let r = &e.record;
    let who = who(e);
    let action = match r.python_action {
        Action::Load => format!("{who} runs this file"),
        Action::Recompile => format!("{who} recompiles the source"),
        Action::Skip => format!("{who} never opens this file"),
        Action::Fail => "the import raises".to_string(),
        Action::Namespace => "the import gives a namespace package".to_string(),
    };
    let severity = r.severity.map_or("no finding", Severity::as_str);
    let code = severity_code(r.severity);
    format!(
        "{} · {action} · {}",
        p.paint(&r.status.as_str().to_uppercase(), code),
        p.paint(severity, code)
    )
}

fn who(e: &Explanation) -> &str {
    e.judge.as_deref().unwrap_or("Python")
}

fn field(out: &mut dyn Write, p: &Painter, name: &str, value: &str) -> io::Result<()> {
    let value = escape(value);
    writeln!(out, "    {} {value}", p.paint(&format!("{name:<8}"), DIM))
}

fn cache_section(e: &Explanation, p: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let r = &e.record;
    let mut title = match e.file_size {
        Some(n) => format!("{n} bytes"),
        None => "unreadable".to_string(),
    };
    if let Some(ns) = e.cache_mtime_ns {
        title.push_str(&format!(", written {}", precise_date(ns)));
    }
    writeln!(out, "  {}    {}", p.paint("cache", BOLD), escape(&title))?;
    if let Some(hex) = &e.header_hex {
        field(out, p, "header", hex)?;
    }
    if let Some(magic) = r.magic {
        let writer = e.magic_writer.as_deref().unwrap_or("unknown");
        field(out, p, "magic", &format!("{magic}, {writer}"))?;
    }
    if let Some(flags) = r.flags {
        let mode = r.invalidation.map_or("", invalidation_words);
        field(out, p, "flags", &format!("{flags:#x}, {mode}"))?;
    }
    let rec = &r.recorded;
    if let Some(m) = rec.mtime {
        field(out, p, "mtime", &format!("{m} = {}", text::date(m)))?;
    }
    if let Some(size) = rec.size {
        field(out, p, "size", &text::bytes(size))?;
    }
    if let Some(hash) = &rec.hash {
        field(out, p, "hash", hash)?;
    }
    Ok(())
}

fn invalidation_words(i: crate::pyc::header::Invalidation) -> &'static str {
    use crate::pyc::header::Invalidation::*;
    match i {
        Timestamp => "timestamp",
        CheckedHash => "checked-hash",
        UncheckedHash => "unchecked-hash",
    }
}

fn source_section(e: &Explanation, p: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let r = &e.record;
    let Some(source) = &r.source else {
        return writeln!(out, "  {}   none", p.paint("source", BOLD));
    };
    writeln!(
        out,
        "  {}   {}",
        p.paint("source", BOLD),
        escaped_path(source)
    )?;
    let Some(actual) = &r.actual else {
        return Ok(());
    };
    if let Some(m) = actual.mtime {
        let mut value = format!("{m}");
        if let Some(ns) = e.source_mtime_ns {
            value.push_str(&format!(" = {}", precise_date(ns)));
            if ns.div_euclid(1_000_000_000) != m {
                value.push_str(" (int(st_mtime) rounds the double up)");
            }
        }
        field(out, p, "mtime", &value)?;
    }
    if let Some(size) = actual.size {
        field(out, p, "size", &text::bytes(size))?;
    }
    if let Some(hash) = &actual.hash {
        field(out, p, "hash", hash)?;
    }
    Ok(())
}

/// A nanosecond timestamp as a UTC date with the fraction of a second.
fn precise_date(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let date = text::date(secs);
    match date.strip_suffix(" UTC") {
        Some(d) if frac != 0 => format!("{d}.{frac:09} UTC"),
        _ => date,
    }
}

fn rules_section(e: &Explanation, p: &Painter, out: &mut dyn Write) -> io::Result<()> {
    let title = format!("rules, as {} applies them on import", who(e));
    writeln!(out, "  {}", p.paint(&title, BOLD))?;
    let fail_code = severity_code(e.record.severity);
    for step in &e.rules {
        writeln!(out, "    {}", rule_line(step, fail_code, p))?;
    }
    Ok(())
}

fn rule_line(step: &Step, fail_code: &str, p: &Painter) -> String {
    let (mark, code) = match step.outcome {
        Outcome::Pass => ("✓", "32"),
        Outcome::Fail => ("✗", fail_code),
        Outcome::Warning => ("!", fail_code),
        Outcome::NotApplied => ("-", DIM),
        Outcome::NotReached => ("·", DIM),
    };
    let label = format!("{:<12}", step.rule.label());
    let detail = match step.outcome {
        Outcome::NotApplied if !step.detail.starts_with("not ") => {
            format!("not applied: {}", step.detail)
        }
        Outcome::NotReached if step.detail != "not reached" => {
            format!("not reached: {}", step.detail)
        }
        _ => step.detail.clone(),
    };
    let dim = matches!(step.outcome, Outcome::NotApplied | Outcome::NotReached);
    let text = format!("{label} {detail}");
    format!(
        "{} {}",
        p.paint(mark, code),
        if dim {
            p.paint(&text, DIM)
        } else {
            escape(&text).into_owned()
        }
    )
}
