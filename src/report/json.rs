//! JSON and JSON Lines renderers: the serde-derived model is the contract.
//!
//! A large audit's findings are rendered on every core: the records are serialized in chunks
//! in parallel, a window of chunks at a time (so memory stays bounded), and written in order.
//! The bytes are serde_json's own, record by record; the document around them is rendered
//! by serde_json with an empty list, which is then opened (a unit test checks the result is
//! byte for byte what serde_json writes for the whole document).

use std::io::{self, Write};

use rayon::prelude::*;
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

/// The empty list as serde_json's pretty printer writes it in the document.
const EMPTY_FINDINGS: &[u8] = b"\n  \"findings\": [],";

pub(super) fn render_document(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let empty = Document {
        findings: &[],
        summary: report.summary,
    };
    if report.shown.is_empty() {
        return write_document(SCHEMA_VERSION, &empty, out);
    }
    let mut frame = Vec::new();
    write_document(SCHEMA_VERSION, &empty, &mut frame)?;
    let at = find(&frame, EMPTY_FINDINGS).ok_or_else(|| io::Error::other("no findings list"))?;
    let (head, tail) = frame.split_at(at + EMPTY_FINDINGS.len() - 2);
    out.write_all(head)?;
    out.write_all(b"\n")?;
    write_records(&report.shown, Item::InDocument, out)?;
    out.write_all(b"\n  ")?;
    out.write_all(tail)
}

pub(super) fn render_lines(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_records(&report.shown, Item::Line, out)
}

/// How one record is written: an item of the document's list, or a line of its own.
#[derive(Clone, Copy)]
enum Item {
    InDocument,
    Line,
}

/// Records a chunk holds, and chunks a window: enough to share the work, few enough to keep
/// the rendered bytes small.
const CHUNK: usize = 64;
const WINDOW: usize = 16;

/// Writes the records, rendered a window of chunks at a time in parallel, in order.
fn write_records(records: &[&Record], item: Item, out: &mut dyn Write) -> io::Result<()> {
    let mut first = true;
    for window in records.chunks(CHUNK * WINDOW) {
        let parts: Vec<io::Result<Vec<u8>>> = window
            .par_chunks(CHUNK)
            .map(|chunk| render_chunk(chunk, item))
            .collect();
        for part in parts {
            if !first && matches!(item, Item::InDocument) {
                out.write_all(b",\n")?;
            }
            first = false;
            out.write_all(&part?)?;
        }
    }
    Ok(())
}

fn render_chunk(chunk: &[&Record], item: Item) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(chunk.len() * 1024);
    match item {
        // Rendered as the list of a document of its own, which puts each record at the
        // indentation of the real document's list; the list's brackets are cut off.
        Item::InDocument => {
            let doc = Chunk { findings: chunk };
            serde_json::to_writer_pretty(&mut buf, &doc)?;
            let inner = CHUNK_OPEN.len()..buf.len().saturating_sub(CHUNK_CLOSE.len());
            if !buf.starts_with(CHUNK_OPEN) || !buf.ends_with(CHUNK_CLOSE) {
                return Err(io::Error::other("unexpected JSON layout"));
            }
            buf.copy_within(inner.clone(), 0);
            buf.truncate(inner.len());
        }
        Item::Line => {
            for record in chunk {
                serde_json::to_writer(&mut buf, record)?;
                buf.push(b'\n');
            }
        }
    }
    Ok(buf)
}

/// A chunk of records, laid out as the document lays out its findings.
#[derive(Serialize)]
struct Chunk<'a> {
    findings: &'a [&'a Record],
}

const CHUNK_OPEN: &[u8] = b"{\n  \"findings\": [\n";
const CHUNK_CLOSE: &[u8] = b"\n  ]\n}";

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(records: &[&Record], summary: &Summary) -> Vec<u8> {
        let doc = Document {
            findings: records,
            summary,
        };
        let mut out = Vec::new();
        write_document(SCHEMA_VERSION, &doc, &mut out).unwrap();
        out
    }

    fn rendered(records: &[&Record], summary: &Summary, lines: bool) -> Vec<u8> {
        let report = Report {
            shown: records.to_vec(),
            summary,
            cleanable: None,
        };
        let mut out = Vec::new();
        match lines {
            false => render_document(&report, &mut out).unwrap(),
            true => render_lines(&report, &mut out).unwrap(),
        }
        out
    }

    #[test]
    fn the_document_is_serde_jsons_own_at_every_size() {
        let mut rec = Record::example();
        rec.reason = "a reason\nwith a newline, \"quotes\" and \u{1b}[31m".into();
        let summary = Summary::zero();
        for n in [0, 1, 2, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK * WINDOW + 3] {
            let records: Vec<&Record> = std::iter::repeat_n(&rec, n).collect();
            assert_eq!(
                String::from_utf8(rendered(&records, &summary, false)).unwrap(),
                String::from_utf8(whole(&records, &summary)).unwrap(),
                "{n} records"
            );
            let mut lines = Vec::new();
            for r in &records {
                serde_json::to_writer(&mut lines, r).unwrap();
                lines.push(b'\n');
            }
            assert_eq!(rendered(&records, &summary, true), lines, "{n} lines");
        }
    }
}
