//! Rendering the audit: a table for people, JSON and JSON Lines for programs, bare paths for
//! `xargs`, workflow commands for GitHub Actions and SARIF for code scanning. Renderers write
//! to any `Write`, so tests can check the bytes; stdout carries the report and nothing else.

pub mod diag;
pub(crate) mod exit;
mod github;
mod json;
mod next;
pub(crate) mod paths;
pub(crate) mod progress;
mod sarif;
pub(crate) mod table;
pub(crate) mod terminal;

use std::borrow::Cow;
use std::io::{self, Write};

use crate::cli::Format;
use crate::verdict::model::{Record, Summary};

pub(crate) use json::write_document;
pub(crate) use next::Cleanable;
// Cell helpers shared with the clean report.
pub(crate) use table::{paint, python_cell, severity_code};

/// What to render.
pub(crate) struct Report<'a> {
    /// The records to show (findings, or every record with `--all`), sorted by path.
    pub shown: Vec<&'a Record>,
    pub summary: &'a Summary,
    /// What `clean` would remove, for the table's next-step line (`None`: no such line).
    pub cleanable: Option<Cleanable>,
}

/// How to render it.
pub(crate) struct RenderOptions {
    pub format: Format,
    pub color: bool,
    pub print0: bool,
    /// The terminal's width in columns, which the table fits in; `None` when stdout is not a
    /// terminal (nothing wraps).
    pub width: Option<usize>,
    /// The directory SARIF locations are relative to (the working directory).
    pub cwd: std::path::PathBuf,
}

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    match opts.format {
        Format::Table => table::render(report, opts.color, opts.width, out),
        Format::Json => json::render_document(report, out),
        Format::Jsonl => json::render_lines(report, out),
        Format::Paths => paths::render(report, opts.print0, out),
        Format::Github => github::render(report, out),
        Format::Sarif => sarif::render(report, &opts.cwd, out),
    }
}

/// The table's closing line (`5 findings in 12 caches (...): 7 fresh, ...`), for other screens.
pub(crate) fn summary_line(summary: &crate::verdict::model::Summary, color: bool) -> String {
    table::summary_line(summary, color)
}

/// A path for a terminal: invalid UTF-8 bytes as `\xNN`, control characters escaped, so a
/// hostile or undecodable name is shown unambiguously and cannot drive the terminal.
pub(crate) fn escaped_path(path: &std::path::Path) -> String {
    let path = crate::verdict::model::reported(path);
    let mut out = String::new();
    let mut rest = path.as_os_str().as_encoded_bytes();
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                push_escaped(&mut out, s);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                push_escaped(&mut out, std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len());
                for b in &bad[..n] {
                    out.push_str(&format!("\\x{b:02x}"));
                }
                rest = &bad[n..];
            }
        }
    }
    out
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else {
            push_char(out, c);
        }
    }
}

/// The one escaping function of every human-readable output (tables, `explain` text, summary
/// and environment lines, diagnostics): control characters (C0, DEL and C1) are shown as
/// `\n`, `\t`, `\u{1b}`, ... so that no byte from a file name, a file or the environment can
/// drive the terminal. Nothing else changes, so text already escaped passes unchanged.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_char(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_char(out: &mut String, c: char) {
    if c.is_control() {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

/// A reader that stopped reading (`| head`) ends the printing, not the run: the exit code
/// stays the one the audit earned, so a `pipefail` gate still sees the findings.
pub(crate) fn ignore_broken_pipe(printed: io::Result<()>) -> io::Result<()> {
    match printed {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn escapes_control_and_invalid_bytes() {
        assert_eq!(escaped_path(Path::new("./a/b.pyc")), "a/b.pyc");
        assert_eq!(escaped_path(Path::new("a\nb.pyc")), "a\\nb.pyc");
        assert_eq!(escaped_path(Path::new("a\\b.pyc")), "a\\\\b.pyc");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let p = Path::new(std::ffi::OsStr::from_bytes(b"caf\xe9/x.pyc"));
            assert_eq!(escaped_path(p), "caf\\xe9/x.pyc");
        }
    }

    #[test]
    fn escape_shows_every_control_character_and_is_idempotent() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let shown = escape(&text);
            assert!(!shown.chars().any(char::is_control), "{shown:?}");
            assert_eq!(escape(&shown), shown);
        }
        assert_eq!(escape("\x1b[31mred\x07"), "\\u{1b}[31mred\\u{7}");
        assert_eq!(escape("a\\nb"), "a\\nb");
        assert_eq!(escape("\u{85}"), "\\u{85}");
    }
}
