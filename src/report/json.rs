//! JSON and JSON Lines renderers: the serde-derived model is the contract.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use crate::model::{Record, Summary, SCHEMA_VERSION};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    findings: &'a [&'a Record],
    summary: &'a Summary,
}

pub(super) fn render_document(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        findings: &report.shown,
        summary: report.summary,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

pub(super) fn render_lines(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for record in &report.shown {
        serde_json::to_writer(&mut *out, record)?;
        writeln!(out)?;
    }
    Ok(())
}
