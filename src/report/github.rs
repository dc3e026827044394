//! `--format github`: one GitHub Actions workflow command per finding, which the runner turns
//! into an annotation. The annotation goes on the source when it exists (caches are rarely
//! tracked, and an annotation on an untracked file shows nowhere), else on the cache itself;
//! the message always names the cache. Values are escaped as the runner requires, so no path
//! or reason can end a command early or forge another one.

use std::io::{self, Write};

use super::Report;
use crate::verdict::model::{display_path, Record, Severity};

pub(super) fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for record in &report.shown {
        let Some(severity) = record.severity else {
            continue;
        };
        let command = match severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = format!("pyc-audit {}", record.status.as_str());
        let message = format!("{}: {}", display_path(&record.path), record.reason);
        writeln!(
            out,
            "::{command} file={},title={}::{}",
            property(&annotated_file(record)),
            property(&title),
            data(&message)
        )?;
    }
    Ok(())
}

/// The file an annotation is placed on: the source when it exists, else the cache.
pub(super) fn annotated_file(record: &Record) -> String {
    match (&record.source, &record.source_stat) {
        (Some(source), Some(_)) => display_path(source),
        _ => display_path(&record.path),
    }
}

/// A command's message: `%`, CR and LF escaped.
fn data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A command's property value: as [`data`], and `:` and `,`, which end a property.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::model::{Action, Status, Summary};

    fn line(record: Record) -> String {
        let summary = Summary::default();
        let report = Report {
            shown: vec![&record],
            summary: &summary,
            cleanable: None,
        };
        let mut out = Vec::new();
        render(&report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_as_workflow_commands_require() {
        assert_eq!(data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(property("a%b:c,d\ne"), "a%25b%3Ac%2Cd%0Ae");
        let mut r = Record::example();
        r.path = "d,1/__pycache__/m:x.cpython-311.pyc".into();
        r.source = Some("d,1/m:x.py".into());
        (r.status, r.python_action) = (Status::Stale, Action::Recompile);
        r.severity = Severity::of(r.status, r.python_action);
        r.reason = "size 1%\nnext".into();
        assert_eq!(
            line(r),
            "::warning file=d%2C1/__pycache__/m%3Ax.cpython-311.pyc,title=pyc-audit stale::\
             d,1/__pycache__/m:x.cpython-311.pyc: size 1%25%0Anext\n"
        );
    }

    #[test]
    fn severity_picks_the_command_and_an_existing_source_the_file() {
        let mut r = Record::example();
        (r.status, r.python_action) = (Status::Suspect, Action::Load);
        r.severity = Severity::of(r.status, r.python_action);
        r.reason = "why".into();
        r.source_stat = Some(crate::python::source::SourceStat {
            sec: 0,
            nsec: 0,
            size: 0,
        });
        assert_eq!(
            line(r.clone()),
            "::error file=m.py,title=pyc-audit suspect::__pycache__/m.cpython-311.pyc: why\n"
        );
        r.severity = Some(Severity::Info);
        assert!(line(r.clone()).starts_with("::notice file=m.py,"));
        r.severity = None;
        assert_eq!(line(r), "", "fresh caches are no annotation");
    }
}
