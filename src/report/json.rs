//! JSON and JSON Lines renderers: the serde-derived model is the contract.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use crate::verdict::model::{Record, Summary, SCHEMA_VERSION};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

/// What every JSON document starts with: the schema version and the tool that wrote it, then
/// the command's own fields.
#[derive(Serialize)]
struct Envelope<'a, T> {
    schema_version: u32,
    tool: Tool,
    #[serde(flatten)]
    body: &'a T,
}

/// Writes a command's JSON document, pretty-printed with a final newline: the envelope every
/// document shares (with the schema version of that kind of document), then the fields of
/// `body`.
pub(crate) fn write_document<T: Serialize>(
    schema_version: u32,
    body: &T,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = Envelope {
        schema_version,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        body,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[derive(Serialize)]
struct Document<'a> {
    findings: &'a [&'a Record],
    summary: &'a Summary,
}

pub(super) fn render_document(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        findings: &report.shown,
        summary: report.summary,
    };
    write_document(SCHEMA_VERSION, &doc, out)
}

pub(super) fn render_lines(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for record in &report.shown {
        serde_json::to_writer(&mut *out, record)?;
        writeln!(out)?;
    }
    Ok(())
}
