//! `--format sarif`: a SARIF 2.1.0 log for code scanning, rendered through serde. One rule per
//! finding status, one result per finding. Locations are relative to the working directory
//! under the `%SRCROOT%` base (given as an absolute `file:` URI), so the log can be uploaded
//! from a checkout; the primary location is the source when it exists (as for `--format
//! github`), with the cache as a related location, else the cache alone. Every location is
//! the file's first line, as code scanning needs a line to show a result on.

use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use super::Report;
use crate::verdict::model::{reported, Record, Severity, Status};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: std::collections::BTreeMap<&'static str, ArtifactLocation>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text,
    help: Text,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

/// The first line: a finding is about a whole file, but code scanning places results only on
/// lines.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

/// The statuses that can be findings, in rule-index order: every status but `fresh`, so a new
/// status gets its rule (its words in `rule_text`, which the compiler asks for).
fn rules() -> impl Iterator<Item = Status> {
    Status::ALL.into_iter().filter(|&s| s != Status::Fresh)
}

/// Writes the log for the findings of `report`; `cwd` is the directory paths are relative to.
pub(super) fn render(report: &Report, cwd: &Path, out: &mut dyn Write) -> io::Result<()> {
    let results = report
        .shown
        .iter()
        .filter_map(|r| r.severity.map(|s| result(r, s, cwd)))
        .collect();
    let base = ArtifactLocation {
        uri: directory_uri(cwd),
        uri_base_id: None,
    };
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "pyc-audit",
                    version: env!("CARGO_PKG_VERSION"),
                    rules: rules().map(rule).collect(),
                },
            },
            original_uri_base_ids: [(SRCROOT, base)].into(),
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn result(record: &Record, severity: Severity, cwd: &Path) -> SarifResult {
    let level = match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    let cache = physical(&record.path, cwd);
    let (primary, related) = match (&record.source, &record.source_stat) {
        (Some(source), Some(_)) => {
            let related = Location {
                id: Some(0),
                physical_location: cache,
                message: Some(Text {
                    text: "the cache".into(),
                }),
            };
            (physical(source, cwd), vec![related])
        }
        _ => (cache, Vec::new()),
    };
    SarifResult {
        rule_id: record.status.as_str(),
        rule_index: rules().position(|s| s == record.status).unwrap_or(0),
        level,
        message: Text {
            text: format!(
                "{}: {}",
                crate::verdict::model::display_path(&record.path),
                record.reason
            ),
        },
        locations: vec![Location {
            id: None,
            physical_location: primary,
            message: None,
        }],
        related_locations: related,
    }
}

/// A path as a URI reference: relative to `%SRCROOT%` when it lies below the working
/// directory (or is relative), else an absolute `file:` URI.
fn physical(path: &Path, cwd: &Path) -> PhysicalLocation {
    let path = reported(path);
    let relative = if path.is_absolute() {
        path.strip_prefix(cwd).ok()
    } else {
        Some(path)
    };
    let artifact_location = match relative {
        Some(rel) => ArtifactLocation {
            uri: percent_encoded(rel),
            uri_base_id: Some(SRCROOT),
        },
        None => ArtifactLocation {
            uri: format!("file://{}", percent_encoded(path)),
            uri_base_id: None,
        },
    };
    PhysicalLocation {
        artifact_location,
        region: Region { start_line: 1 },
    }
}

/// The working directory as the absolute `file:` URI of a directory (ending in `/`).
fn directory_uri(cwd: &Path) -> String {
    let mut uri = format!("file://{}", percent_encoded(cwd));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The path's bytes with everything but unreserved characters and `/` percent-encoded, so any
/// name (spaces, `#`, `%`, bytes that are not UTF-8) is an exact URI path.
fn percent_encoded(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(status: Status) -> Rule {
    let (short, help) = rule_text(status);
    Rule {
        id: status.as_str(),
        short_description: Text { text: short.into() },
        help: Text { text: help },
    }
}

fn rule_text(status: Status) -> (&'static str, String) {
    let (short, help) = match status {
        Status::Fresh => ("The cache matches its source", "Nothing to do."),
        Status::Stale => (
            "The cache does not match its source",
            "Its recorded mtime and size, or source hash, differ from the source's: Python \
             recompiles it, or runs the old bytecode of an unchecked-hash cache.",
        ),
        Status::Suspect => (
            "The source changed after the cache was written, in the same second and at the same size",
            "The header matches, so Python runs bytecode that may not be the source's.",
        ),
        Status::Orphan => (
            "The cache has no source",
            "A __pycache__ orphan is never read; a legacy .pyc beside a deleted source still \
             imports, or makes the import fail.",
        ),
        Status::Mismatch => (
            "The cache's name and its magic number disagree",
            "The interpreter the name designates recompiles it, or never reads it.",
        ),
        Status::Corrupt => (
            "The file is not a valid cache",
            "Too short, bad magic, invalid flags, or a body that does not unmarshal: the import \
             recompiles the source or raises.",
        ),
        Status::Unreadable => (
            "The cache could not be read",
            "An I/O error (a dangling symlink, permissions, a directory named like a cache): \
             the audit could not judge it, and exits 2.",
        ),
        Status::Debris => (
            "A leftover temporary file or an empty __pycache__ directory",
            "An interrupted cache write left it; nothing reads it.",
        ),
        Status::Ghost => (
            "A directory that still imports because caches outlived its sources",
            "Its import gives an empty namespace package, or runs a deleted package's bytecode; \
             `pyc-audit clean` removes its orphaned caches.",
        ),
        Status::Diverged => (
            "The cache holds other code than its source compiles to",
            "Its header matches its source, but `--verify` found that the source compiles to \
             other code: Python runs the cache's old code.",
        ),
        Status::Leftover => (
            "No interpreter that runs this tree reads this cache",
            "Its tag names an interpreter none of `--python` is: it is never read, only disk \
             wasted.",
        ),
        Status::Tracked => (
            "The repository tracks bytecode caches",
            "A checkout stamps them with the checkout time, so they look fresh whatever the \
             sources say: `git rm --cached` them and ignore `__pycache__/` and `*.py[cod]`.",
        ),
        Status::Unignored => (
            "Untracked caches are not ignored",
            "They may be committed by accident: add `__pycache__/` and `*.py[cod]` to \
             `.gitignore`.",
        ),
        Status::Clamped => (
            "The sources' mtimes are clamped",
            "Timestamp caches cannot tell one version of a source from the next; use \
             `python -m compileall --invalidation-mode checked-hash`.",
        ),
    };
    let clean = if status.is_removable() {
        "`pyc-audit clean` removes it; "
    } else {
        ""
    };
    (
        short,
        format!("{help} {clean}`pyc-audit explain PATH` shows every rule."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_and_relative_below_the_working_directory() {
        let cwd = Path::new("/w/proj");
        let uri = |p: &str| physical(Path::new(p), cwd).artifact_location;
        let rel = uri("./a b/#x%.pyc");
        assert_eq!(
            (rel.uri.as_str(), rel.uri_base_id),
            ("a%20b/%23x%25.pyc", Some(SRCROOT))
        );
        assert_eq!(uri("/w/proj/m.pyc").uri, "m.pyc");
        let outside = uri("/etc/m.pyc");
        assert_eq!(
            (outside.uri.as_str(), outside.uri_base_id),
            ("file:///etc/m.pyc", None)
        );
        assert_eq!(directory_uri(cwd), "file:///w/proj/");
        assert_eq!(directory_uri(Path::new("/")), "file:///");
    }

    #[test]
    fn every_finding_status_has_one_rule() {
        let ids: Vec<&str> = rules().map(|s| rule(s).id).collect();
        let unique: std::collections::HashSet<&&str> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        assert_eq!(ids.len(), Status::ALL.len() - 1);
        assert!(!ids.contains(&"fresh"));
    }
}
