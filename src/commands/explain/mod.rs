//! `pyc-audit explain FILE...`: the screen to read while chasing a ghost. For a cache, every
//! header field decoded, the source it pairs with and that source's values, each rule the
//! judging interpreter applies in order with its outcome, what the import does, and the
//! command that fixes it; for a source, the same for each of its caches.
//!
//! The verdict is `check --deep`'s own: explain judges each cache once, with the verdict's
//! evaluator, and records the rules as the verdict applies them (`record`); it words them
//! (`words`) and, from the verdict's cause, says what the import does and how to fix it. Exit codes: 0 when no explained cache has a
//! finding, 1 when one has (of any severity), 2 when a FILE or a cache could not be read.

mod explanation;
mod fix;
mod record;
mod render;
mod resolve;
mod running;
mod targets;
#[cfg(test)]
mod tests;
mod verify;
mod words;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Serialize, Serializer};

use crate::cli::{ColorChoice, ExplainArgs, ExplainFormat, FailOn};
use crate::config;
use crate::config::Config;
use crate::find::source_caches::Where;
use crate::report::diag;
use crate::report::exit::{self, ExitStatus};
use crate::report::{escaped_path, write_document};
use crate::verdict::model::{display_path, Record, Status, Summary};
use crate::verdict::prefix::Place;
pub(crate) use explanation::Explanation;
pub(crate) use targets::TargetKind;

/// The version of the explain JSON document.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// One FILE argument, explained.
#[derive(Debug, Serialize)]
pub(crate) struct FileReport {
    #[serde(serialize_with = "lossy")]
    pub file: PathBuf,
    pub kind: TargetKind,
    pub exists: bool,
    /// Why the argument could not be explained; null when it was.
    pub error: Option<String>,
    /// Its caches: the file itself, or every cache of the source.
    pub caches: Vec<Explanation>,
}

fn lossy<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&display_path(path))
}

/// Explains every FILE and prints the result.
pub(crate) fn run(args: ExplainArgs) -> Result<ExitStatus> {
    let config = Config::load(&args.audit, Vec::new())?;
    let color = config::use_color(
        args.color
            .or(config.settings.color)
            .unwrap_or(ColorChoice::Auto),
    );
    config.announce();
    let mut reports: Vec<FileReport> = args
        .files
        .iter()
        .map(|f| explain_file(f, &config))
        .collect();
    if config.git {
        let mut cached: Vec<&mut Record> = reports
            .iter_mut()
            .flat_map(|r| r.caches.iter_mut().map(|e| &mut e.record))
            .collect();
        crate::verdict::git::mark(&mut cached);
    }
    let verified = config.checks.verify.then(|| verify::verify(&mut reports));
    let records: Vec<Record> = reports
        .iter()
        .flat_map(|r| r.caches.iter().map(|e| e.record.clone()))
        .collect();
    let errors = reports.iter().filter(|r| r.error.is_some()).count();
    diagnose(&reports, &records);
    let mut summary = Summary::of(&records);
    summary.errors += errors;
    summary.pycache_prefix = config.shown_prefix();
    summary.environment = config.environment.clone();
    summary.verify = verified;
    let status = exit::policy(&records, errors, FailOn::Info);
    if crate::report::diag::quiet() {
        return Ok(status);
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let printed = match args.format {
        ExplainFormat::Text => render::text(&reports, &summary, color, &mut out),
        ExplainFormat::Json => json(&reports, &summary, &mut out),
    };
    crate::report::ignore_broken_pipe(printed.and_then(|()| out.flush()))?;
    Ok(status)
}

/// Explains one FILE argument, under the configuration's pycache prefix.
pub(crate) fn explain_file(file: &Path, config: &Config) -> FileReport {
    let prefix = config.prefix_dir();
    let target = targets::resolve(file, prefix, &config.cwd);
    let caches = target
        .caches
        .iter()
        .map(|(found, name, found_in)| {
            let place = match (prefix, found_in) {
                (None, _) => None,
                (Some(p), Where::Tree) => Some(Place::InTree { prefix: p }),
                (Some(_), Where::PrefixTree) => Some(Place::PrefixTree),
            };
            explanation::explain(found, name, place, &config.running, config.optimize)
        })
        .collect();
    FileReport {
        file: target.file,
        kind: target.kind,
        exists: target.exists,
        error: target.error,
        caches,
    }
}

fn diagnose(reports: &[FileReport], records: &[Record]) {
    for r in reports {
        if let Some(error) = &r.error {
            diag::error(&format!("{}: {error}", escaped_path(&r.file)));
        }
    }
    for r in records.iter().filter(|r| r.status == Status::Unreadable) {
        diag::warning(&format!("{}: {}", escaped_path(&r.path), r.reason));
    }
}

#[derive(Serialize)]
struct Document<'a> {
    files: &'a [FileReport],
    summary: &'a Summary,
}

fn json(reports: &[FileReport], summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        files: reports,
        summary,
    };
    write_document(SCHEMA_VERSION, &doc, out)
}
