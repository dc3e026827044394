//! The audit's results: one `Record` per cache (and per finding about a temporary file, a
//! directory or a whole tree) and a `Summary`. These types are the JSON contract
//! (`schema_version` 2): field names, order and values are documented in the README and must
//! only change with a new schema version.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use crate::pyc::header::Invalidation;
use crate::pyc::magic::Implementation;
use crate::python::environment::EnvVariable;
use crate::python::naming::Layout;
use crate::python::source::SourceStat;

pub(crate) const SCHEMA_VERSION: u32 = 3;

/// What a record is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A bytecode cache (`.pyc`, `.pyo`).
    Cache,
    /// A temporary file left by an interrupted cache write.
    File,
    /// A directory: an empty `__pycache__`, or a package that lost its sources.
    Directory,
    /// A whole audited tree (a given path).
    Tree,
}

/// How a cache stands against its source, or what a non-cache finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Fresh,
    Stale,
    Suspect,
    Orphan,
    /// A cache whose tag no interpreter that runs the tree uses (`--python`): never read.
    Leftover,
    Mismatch,
    Corrupt,
    Unreadable,
    /// A leftover temporary file or an empty `__pycache__` directory.
    Debris,
    /// A directory that still imports (or imports differently) because caches outlived
    /// its sources.
    Ghost,
    /// A tree whose sources' mtimes cannot tell versions apart.
    Clamped,
    /// (`--verify`) The header matches, but the cache's code is not what its source compiles
    /// to: the interpreter runs code the source no longer holds.
    Diverged,
    /// (kind `tree`) a git repository that tracks caches.
    Tracked,
    /// (kind `tree`) a git repository whose untracked caches are not ignored.
    Unignored,
}

impl Status {
    pub const ALL: [Status; 14] = [
        Status::Fresh,
        Status::Stale,
        Status::Suspect,
        Status::Orphan,
        Status::Leftover,
        Status::Mismatch,
        Status::Corrupt,
        Status::Unreadable,
        Status::Debris,
        Status::Ghost,
        Status::Clamped,
        Status::Diverged,
        Status::Tracked,
        Status::Unignored,
    ];

    /// The statuses `clean` removes (by default, all of them): a ghost is a directory of
    /// caches listed on their own, and fresh caches, clamped trees and unreadable entries are
    /// never removed.
    pub fn is_removable(self) -> bool {
        matches!(
            self,
            Status::Orphan
                | Status::Leftover
                | Status::Stale
                | Status::Mismatch
                | Status::Corrupt
                | Status::Suspect
                | Status::Diverged
                | Status::Debris
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fresh => "fresh",
            Status::Stale => "stale",
            Status::Suspect => "suspect",
            Status::Orphan => "orphan",
            Status::Leftover => "leftover",
            Status::Mismatch => "mismatch",
            Status::Corrupt => "corrupt",
            Status::Unreadable => "unreadable",
            Status::Debris => "debris",
            Status::Ghost => "ghost",
            Status::Clamped => "clamped",
            Status::Diverged => "diverged",
            Status::Tracked => "tracked",
            Status::Unignored => "unignored",
        }
    }
}

/// What the judging interpreter does with this file when the module is imported with
/// default settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// It executes this file's bytecode.
    Load,
    /// It ignores the file and compiles the source (rewriting the cache where it can).
    Recompile,
    /// It never looks at the file.
    Skip,
    /// The import raises.
    Fail,
    /// (A directory) the import gives an empty namespace package.
    Namespace,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Load => "load",
            Action::Recompile => "recompile",
            Action::Skip => "skip",
            Action::Fail => "fail",
            Action::Namespace => "namespace",
        }
    }
}

/// How much a finding matters; fresh caches have none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The severity table, documented in the README: error where Python runs bytecode that
    /// does not match the source or the import fails; info where default settings never read
    /// the file; warning for the rest of what is wrong.
    pub fn of(status: Status, action: Action) -> Option<Severity> {
        match (status, action) {
            (Status::Fresh, _) => None,
            (Status::Debris | Status::Clamped | Status::Leftover | Status::Unignored, _) => {
                Some(Severity::Info)
            }
            (Status::Tracked, _) => Some(Severity::Warning),
            (Status::Unreadable, Action::Fail) => Some(Severity::Error),
            (Status::Unreadable, _) => Some(Severity::Warning),
            // A sound code object followed by stray bytes: it runs, but the file is damaged.
            (Status::Corrupt, Action::Load) => Some(Severity::Warning),
            (_, Action::Fail) | (_, Action::Load) => Some(Severity::Error),
            (Status::Orphan | Status::Ghost, _) => Some(Severity::Warning),
            (_, Action::Skip) => Some(Severity::Info),
            (_, Action::Recompile | Action::Namespace) => Some(Severity::Warning),
        }
    }
}

/// What one running interpreter does with a cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ByPython {
    /// `CPython 3.12`.
    pub python: String,
    pub python_action: Action,
}

/// Seconds since the epoch, written as an RFC 3339 UTC date (`null` out of range) only when
/// the record is written out: most records are counted and dropped, never printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcDate(pub i64);

impl Serialize for UtcDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match crate::verdict::text::rfc3339(self.0) {
            Some(date) => s.serialize_str(&date),
            None => s.serialize_none(),
        }
    }
}

/// The compared values on one side: what the header records, or what the source has.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Values {
    /// Seconds since the epoch (recorded: the 32-bit header field; actual: `int(st_mtime)`).
    pub mtime: Option<i64>,
    /// `mtime` as an RFC 3339 UTC date.
    pub mtime_utc: Option<UtcDate>,
    pub size: Option<u64>,
    /// The source hash as 16 hex digits in file order.
    pub hash: Option<String>,
}

/// One cache and its verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Record {
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    pub path_bytes_hex: Option<String>,
    pub kind: Kind,
    #[serde(serialize_with = "lossy_opt_path")]
    pub source: Option<PathBuf>,
    /// `None` for records that are not caches.
    pub layout: Option<Layout>,
    pub implementation: Option<Implementation>,
    pub python: Option<Cow<'static, str>>,
    pub magic: Option<u16>,
    pub magic_python: Option<Cow<'static, str>>,
    pub tag: Option<Cow<'static, str>>,
    pub opt_level: Option<u8>,
    pub invalidation: Option<Invalidation>,
    pub flags: Option<u32>,
    /// The cache file's size on disk; null for records that are not caches, or when it
    /// could not be read.
    pub bytes: Option<u64>,
    pub status: Status,
    pub python_action: Action,
    pub severity: Option<Severity>,
    pub reason: Cow<'static, str>,
    pub recorded: Values,
    pub actual: Option<Values>,
    /// When `--python` names several interpreters, what each does with the file, in order.
    pub by_python: Option<Vec<ByPython>>,
    /// Whether git tracks the cache; null outside a git work tree or with `--no-git`.
    pub tracked: Option<bool>,
    /// The source's exact mtime and size, for the tree-wide checks (not in the contract).
    #[serde(skip)]
    pub source_stat: Option<SourceStat>,
}

impl Record {
    /// A finding that is not about one cache: a temporary file, a directory or a tree.
    pub fn finding(
        kind: Kind,
        path: PathBuf,
        status: Status,
        action: Action,
        reason: impl Into<Cow<'static, str>>,
    ) -> Record {
        Record {
            path_bytes_hex: raw_bytes_hex(&path),
            path,
            kind,
            source: None,
            layout: None,
            implementation: None,
            python: None,
            magic: None,
            magic_python: None,
            tag: None,
            opt_level: None,
            invalidation: None,
            flags: None,
            bytes: None,
            status,
            python_action: action,
            severity: Severity::of(status, action),
            reason: reason.into(),
            recorded: Values::default(),
            actual: None,
            by_python: None,
            tracked: None,
            source_stat: None,
        }
    }

    /// A record for tests of code that consumes records.
    #[cfg(test)]
    pub fn example() -> Record {
        Record {
            path: PathBuf::from("__pycache__/m.cpython-311.pyc"),
            path_bytes_hex: None,
            kind: Kind::Cache,
            source: Some(PathBuf::from("m.py")),
            layout: Some(Layout::Pycache),
            implementation: Some(Implementation::CPython),
            python: Some("3.11".into()),
            magic: Some(3495),
            magic_python: Some("3.11".into()),
            tag: Some("cpython-311".into()),
            opt_level: Some(0),
            invalidation: Some(Invalidation::Timestamp),
            flags: Some(0),
            bytes: None,
            status: Status::Fresh,
            python_action: Action::Load,
            severity: None,
            reason: Cow::Borrowed(""),
            recorded: Values::default(),
            actual: None,
            by_python: None,
            tracked: None,
            source_stat: None,
        }
    }
}

/// Counts over every record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Every cache judged (records of kind `cache`).
    pub caches: usize,
    /// Records with a severity.
    pub findings: usize,
    pub by_status: BTreeMap<&'static str, usize>,
    pub by_severity: BTreeMap<&'static str, usize>,
    /// Entries that could not be read (rows with status `unreadable`, unreadable directories).
    pub errors: usize,
    /// The bytes the caches take, in all and by status.
    pub bytes: u64,
    pub bytes_by_status: BTreeMap<&'static str, u64>,
    /// The bytes `clean`'s default selection would remove.
    pub reclaimable_bytes: u64,
    /// The pycache prefix the audit assumed Python runs with (absolute), if any.
    pub pycache_prefix: Option<String>,
    /// The environment variables that change what Python does with caches, as set for this run.
    pub environment: Vec<EnvVariable>,
    /// With `--verify`: how many caches were compared with their source, and which were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<crate::verify::Tally>,
}

impl Summary {
    pub fn of(records: &[Record]) -> Summary {
        let mut summary = Summary::zero();
        records.iter().for_each(|r| summary.add(r));
        summary
    }

    /// No record counted yet, every status and severity listed at zero.
    pub fn zero() -> Summary {
        let mut summary = Summary::default();
        for status in Status::ALL {
            summary.by_status.insert(status.as_str(), 0);
            summary.bytes_by_status.insert(status.as_str(), 0);
        }
        for severity in [Severity::Error, Severity::Warning, Severity::Info] {
            summary.by_severity.insert(severity.as_str(), 0);
        }
        summary
    }

    /// Counts one record: the audit counts every record as it is judged, and keeps only those
    /// it prints (memory stays flat in the number of fresh caches).
    pub fn add(&mut self, record: &Record) {
        if record.kind == Kind::Cache {
            self.caches += 1;
        }
        *self.by_status.entry(record.status.as_str()).or_default() += 1;
        let bytes = record.bytes.unwrap_or(0);
        self.bytes += bytes;
        *self
            .bytes_by_status
            .entry(record.status.as_str())
            .or_default() += bytes;
        if record.status.is_removable() {
            self.reclaimable_bytes += bytes;
        }
        self.add_severity(record);
        if record.status == Status::Unreadable {
            self.errors += 1;
        }
    }

    /// Counts one record's severity (a finding, by its severity).
    pub fn add_severity(&mut self, record: &Record) {
        if let Some(severity) = record.severity {
            self.findings += 1;
            *self.by_severity.entry(severity.as_str()).or_default() += 1;
        }
    }

    /// Counts the findings again from `records`, which must hold every record with a severity:
    /// after a pass that changed what the import does with some (the directory lookup), the
    /// statuses are the same but the severities may not be.
    pub fn recount_findings(&mut self, records: &[Record]) {
        self.findings = 0;
        self.by_severity.values_mut().for_each(|n| *n = 0);
        records.iter().for_each(|r| self.add_severity(r));
    }

    /// Adds the counts of another summary (of other records).
    pub fn merge(&mut self, other: &Summary) {
        self.caches += other.caches;
        self.findings += other.findings;
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.reclaimable_bytes += other.reclaimable_bytes;
        for (k, n) in &other.bytes_by_status {
            *self.bytes_by_status.entry(k).or_default() += n;
        }
        for (k, n) in &other.by_status {
            *self.by_status.entry(k).or_default() += n;
        }
        for (k, n) in &other.by_severity {
            *self.by_severity.entry(k).or_default() += n;
        }
    }
}

/// A path as reported: without the leading `./` the walk of `.` puts on every entry.
pub(crate) fn reported(path: &Path) -> &Path {
    path.strip_prefix(".")
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path)
}

/// A path as shown in JSON: the reported path, lossy UTF-8.
pub(crate) fn display_path(path: &Path) -> String {
    reported(path).to_string_lossy().into_owned()
}

/// Hex of the raw bytes of a reported path that is not valid UTF-8; `None` for a UTF-8 path.
pub(crate) fn raw_bytes_hex(path: &Path) -> Option<String> {
    let os = reported(path).as_os_str();
    os.to_str().is_none().then(|| {
        os.as_encoded_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

fn lossy_path<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&display_path(path))
}

fn lossy_opt_path<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match path {
        Some(p) => lossy_path(p, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_table() {
        use Action::*;
        use Status::*;
        let table = [
            (Fresh, Load, None),
            (Fresh, Skip, None),
            (Stale, Recompile, Some(Severity::Warning)),
            (Stale, Load, Some(Severity::Error)),
            (Stale, Skip, Some(Severity::Info)),
            (Suspect, Load, Some(Severity::Error)),
            (Orphan, Skip, Some(Severity::Warning)),
            (Orphan, Load, Some(Severity::Error)),
            (Orphan, Fail, Some(Severity::Error)),
            (Mismatch, Recompile, Some(Severity::Warning)),
            (Mismatch, Skip, Some(Severity::Info)),
            (Corrupt, Recompile, Some(Severity::Warning)),
            (Corrupt, Fail, Some(Severity::Error)),
            (Corrupt, Load, Some(Severity::Warning)),
            (Corrupt, Skip, Some(Severity::Info)),
            (Unreadable, Recompile, Some(Severity::Warning)),
            (Unreadable, Skip, Some(Severity::Warning)),
            (Debris, Skip, Some(Severity::Info)),
            (Clamped, Load, Some(Severity::Info)),
            (Ghost, Namespace, Some(Severity::Warning)),
            (Ghost, Load, Some(Severity::Error)),
            (Ghost, Fail, Some(Severity::Error)),
            (Diverged, Load, Some(Severity::Error)),
            (Diverged, Skip, Some(Severity::Info)),
        ];
        for (status, action, want) in table {
            assert_eq!(Severity::of(status, action), want, "{status:?} {action:?}");
        }
    }

    #[test]
    fn paths_drop_the_dot_prefix() {
        assert_eq!(display_path(Path::new("./a/b.pyc")), "a/b.pyc");
        assert_eq!(display_path(Path::new(".")), ".");
        assert_eq!(display_path(Path::new("../x.pyc")), "../x.pyc");
        assert_eq!(raw_bytes_hex(Path::new("a.pyc")), None);
        assert_eq!(reported(Path::new("./a.pyc")), Path::new("a.pyc"));
    }
}
