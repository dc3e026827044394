//! Running the audit: read each cache's first bytes, stat each source once, judge in parallel.
//!
//! Caches are grouped by the source they pair with, so a source shared by several caches
//! (one per interpreter, optimisation level or pytest) is stat'ed once and, when a hash-based
//! cache needs it, read and hashed once per hash variant and key. Groups are judged on all
//! cores with rayon while the walk goes on (the walker hands over one directory's caches at a
//! time); the verdict itself is the pure function in `verdict`. With a pycache prefix, the part
//! of the prefix tree that mirrors the roots is walked and judged too (see `find::prefix`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::find::prefix::Plan;
use crate::find::walk::{self, EntryKind, Found, WalkError, WalkOptions};
use crate::python::naming::{self, CacheName};
use crate::python::open::open_regular;
use crate::python::optimize::Optimize;
use crate::python::pythons::Running;
use crate::python::source::SourceStat;
use crate::verdict::model::{Record, Summary};
use crate::verdict::prefix::{self as prefix_rule, Place};
use crate::verdict::tree;
use crate::verdict::{
    self, split_read, CacheError, CacheRead, Disk, Evidence, SourceBytes, SourceState, HEAD_LEN,
};

/// How far to check each cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Depth {
    /// The header and the first byte of the body: 17 bytes at most.
    #[default]
    Header,
    /// Also the whole marshal body of every cache whose header its interpreter accepts.
    Body,
}

impl Depth {
    /// The depth `--deep` asks for.
    pub fn of(deep: bool) -> Depth {
        if deep {
            Depth::Body
        } else {
            Depth::Header
        }
    }
}

/// What to check beyond the walk's own options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    pub depth: Depth,
    /// `SOURCE_DATE_EPOCH`, a clamp value for source mtimes.
    pub source_date_epoch: Option<i64>,
    /// `--verify`: compare each loaded cache's code with its source's (see `crate::verify`);
    /// the commands run it on the audit's records.
    pub verify: bool,
}

/// Which records the audit hands back once judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Every record (`--all`, and the tests that compare every verdict).
    All,
    /// The records with a severity: what a report without `--all` prints and `clean` acts on.
    Findings,
}

impl Keep {
    /// What a run keeps: every record with `--all`, and with `--verify`, which compares the
    /// fresh caches too; else the findings.
    pub fn for_run(all: bool, checks: Checks) -> Keep {
        if all || checks.verify {
            Keep::All
        } else {
            Keep::Findings
        }
    }

    fn keeps(self, record: &Record) -> bool {
        self == Keep::All || record.severity.is_some()
    }
}

impl Audited {
    /// `--verify`: compares the loaded caches' code with their sources' (every record must have
    /// been kept), then counts the records again, since verification changes statuses.
    pub fn verify(&mut self) {
        let tally = crate::verify::verify_records(&mut self.records);
        self.summary = Summary::of(&self.records);
        self.summary.verify = Some(tally);
    }
}

/// What an audit hands back.
pub struct Audited {
    /// The kept records, sorted by path.
    pub records: Vec<Record>,
    /// Counts over every record judged, kept or not (walk errors not included).
    pub summary: Summary,
    pub errors: Vec<WalkError>,
}

/// What the judging of some batches gathered: merged into one as batches finish.
struct Gathered {
    kept: Vec<Record>,
    summary: Summary,
    index: tree::Index,
}

impl Gathered {
    fn new(roots: usize) -> Gathered {
        Gathered {
            kept: Vec::new(),
            summary: Summary::zero(),
            index: tree::Index::new(roots),
        }
    }

    /// Counts and indexes every record, and keeps those `keep` asks for.
    fn take(&mut self, records: Vec<Record>, keep: Keep, roots: &[PathBuf]) {
        for record in records {
            self.summary.add(&record);
            self.index.add(&record, roots);
            if keep.keeps(&record) {
                self.kept.push(record);
            }
        }
    }

    fn merge(&mut self, other: Gathered) {
        self.kept.extend(other.kept);
        self.summary.merge(&other.summary);
        self.index.merge(other.index);
    }
}

/// Walks the plan's roots (and its part of the prefix tree), judges every cache found and adds
/// the findings about temporary files, directories and whole trees; records are sorted by path.
pub fn audit(plan: &Plan, opts: &WalkOptions, checks: Checks) -> (Vec<Record>, Vec<WalkError>) {
    let audited = collect(plan, opts, checks, Keep::All, &Counts::default());
    (audited.records, audited.errors)
}

/// [`audit`], keeping only the records `keep` asks for: each batch's records are counted and
/// indexed for the tree-wide checks as they are judged, so that memory grows with what is
/// kept, not with the caches judged. Only the kept records are sorted. `counts` follows the
/// progress, for a progress line.
///
/// The passes after the walk see the kept records only, which is exact: the directory lookup
/// only ever makes an import skip a cache (its status stays; a record without a severity keeps
/// none), so the findings are recounted from the kept records, which hold every finding; git
/// marks the kept caches and counts the committed ones from its own listing.
pub fn collect(
    plan: &Plan,
    opts: &WalkOptions,
    checks: Checks,
    keep: Keep,
    counts: &Counts,
) -> Audited {
    let depth = checks.depth;
    let roots = &plan.roots;
    let gathered = Mutex::new(Gathered::new(roots.len()));
    let prefix = plan.prefix.as_ref();
    let in_tree = WalkOptions {
        prune: prefix.and_then(|p| p.canonical.as_deref()),
        ..*opts
    };
    let in_tree_place = prefix.map(|p| Place::InTree { prefix: &p.dir });
    let how = |place| How {
        place,
        depth,
        running: &plan.running,
        optimize: plan.optimize,
    };
    let (walked, prefix_errors) = rayon::in_place_scope(|scope| {
        let gathered = &gathered;
        let walked = walk::walk(roots, &in_tree, |batch| {
            let how = how(in_tree_place);
            scope.spawn(move |_| {
                let judged = judge_named(name_batch(batch), how);
                gather(gathered, judged, keep, roots, counts);
            });
        });
        let prefix_errors = plan.walk_prefix(opts, |batch| {
            let how = how(Some(Place::PrefixTree));
            scope.spawn(move |_| {
                let judged = judge_named(batch, how);
                gather(gathered, judged, keep, roots, counts);
            });
        });
        (walked, prefix_errors)
    });
    let mut gathered = gathered.into_inner().unwrap_or_else(|e| e.into_inner());
    crate::verdict::lookup::apply(&mut gathered.kept, &walked.survey, plan);
    let found = tree::findings(
        roots,
        &walked.survey,
        &gathered.index,
        checks.source_date_epoch,
        &plan.running,
    );
    gathered.take(found, keep, roots);
    let mut records = gathered.kept;
    let git_rows = match plan.git {
        true => crate::verdict::git::apply(roots, &mut records),
        false => Vec::new(),
    };
    records.par_sort_by_cached_key(|r| tree_key(&r.path));
    // A cache reached twice (two spellings of one root) is still one record.
    records.dedup_by(|a, b| a.path == b.path && a.kind == b.kind);
    let mut summary = gathered.summary;
    for row in git_rows {
        summary.add(&row);
        let key = tree_key(&row.path);
        let at = records.partition_point(|r| tree_key(&r.path) <= key);
        records.insert(at, row);
    }
    summary.recount_findings(&records);
    let mut errors = walked.errors;
    errors.extend(prefix_errors);
    Audited {
        records,
        summary,
        errors,
    }
}

/// Counts, indexes and keeps one batch's records, then merges them into the audit's, under the
/// lock for the merge only.
fn gather(
    into: &Mutex<Gathered>,
    judged: Vec<Record>,
    keep: Keep,
    roots: &[PathBuf],
    counts: &Counts,
) {
    let findings = judged.iter().filter(|r| r.severity.is_some()).count();
    counts.add(judged.len(), findings);
    let mut part = Gathered::new(roots.len());
    part.take(judged, keep, roots);
    into.lock().unwrap_or_else(|e| e.into_inner()).merge(part);
}

/// A sort key that orders paths as a tree listing (`a/x` before `a.b`): the raw bytes with
/// `/` lowest. Cached once per record, then compared with memcmp; `Path`'s component-wise
/// comparison was a quarter of the whole run on a large tree.
fn tree_key(path: &Path) -> Vec<u8> {
    let bytes = path.as_os_str().as_encoded_bytes();
    bytes
        .iter()
        .map(|&c| if c == b'/' { 0 } else { c })
        .collect()
}

/// Judges one directory's caches, grouped by the source they pair with.
pub fn judge_batch(batch: Vec<Found>, depth: Depth) -> Vec<Record> {
    let how = How {
        place: None,
        depth,
        running: &[],
        optimize: Optimize::default(),
    };
    judge_named(name_batch(batch), how)
}

/// How the audit judges: where the caches were found (with a pycache prefix), how deep, and
/// for which running interpreters (`--python`).
#[derive(Clone, Copy)]
struct How<'a> {
    place: Option<Place<'a>>,
    depth: Depth,
    running: &'a [Running],
    optimize: Optimize,
}

/// How the audit of `plan` names and places a cache: in the prefix tree, paired with the source
/// directory it mirrors, or in-tree. `None` when it is no cache.
fn placed_name<'p>(found: &Found, plan: &'p Plan) -> Option<(CacheName, Option<Place<'p>>)> {
    let Some(prefix) = &plan.prefix else {
        return Some((naming::parse(&found.path)?, None));
    };
    let mirrored = prefix
        .canonical
        .as_deref()
        .and_then(|c| crate::find::prefix::name_in_tree(found, c));
    Some(match mirrored {
        Some(name) => (name, Some(Place::PrefixTree)),
        None => (
            naming::parse(&found.path)?,
            Some(Place::InTree {
                prefix: &prefix.dir,
            }),
        ),
    })
}

/// Names in-tree caches. Every path the walk yields ends in .pyc/.pyo, so it always parses.
fn name_batch(batch: Vec<Found>) -> Vec<(Found, CacheName)> {
    batch
        .into_iter()
        .filter_map(|f| naming::parse(&f.path).map(|name| (f, name)))
        .collect()
}

/// Judges named caches, grouped by the source they pair with; `place` says where they were
/// found when a pycache prefix is in effect.
fn judge_named(batch: Vec<(Found, CacheName)>, how: How) -> Vec<Record> {
    // Keyed by the source's bytes: hashing a `Path` walks its components, a cost that showed.
    let mut groups: HashMap<OsString, Vec<(Found, CacheName)>> = HashMap::new();
    for (f, name) in batch {
        let key = name
            .sources
            .first()
            .map(|s| s.as_os_str().to_owned())
            .unwrap_or_default();
        groups.entry(key).or_default().push((f, name));
    }
    groups
        .values()
        .flat_map(|g| judge_group(g, how, read_head))
        .collect()
}

/// Judges one cache from a handle already open on it (`clean`'s re-check right before a
/// removal), named and placed as the audit of `plan` judged it: the bytes judged are the held
/// file's, whatever its name refers to by then. `None` when the path is not named like a cache.
pub fn judge_held(
    found: Found,
    file: File,
    meta: &fs::Metadata,
    plan: &Plan,
    depth: Depth,
) -> Option<Record> {
    let (name, place) = placed_name(&found, plan)?;
    let held = RefCell::new(Some(read_head_from(file, meta)));
    let open = |found: &Found| held.borrow_mut().take().unwrap_or_else(|| read_head(found));
    let how = How {
        place,
        depth,
        running: &plan.running,
        optimize: plan.optimize,
    };
    judge_group(&[(found, name)], how, open).pop()
}

fn judge_group(
    group: &[(Found, CacheName)],
    how: How,
    open: impl Fn(&Found) -> Result<(CacheRead, File), CacheError>,
) -> Vec<Record> {
    let source = stat_source(&group[0].1.sources);
    let content = SourceBytes::of(&source);
    group
        .iter()
        .map(|(found, name)| {
            let (cache, file) = split_read(open(found));
            let ev = Evidence {
                path: &found.path,
                name,
                cache: cache.as_ref(),
                source: &source,
                deep: how.depth == Depth::Body,
                optimize: how.optimize,
            };
            let record = verdict::judge(&ev, &mut Disk::new(file, &content));
            let mut record = match how.place {
                Some(place) => prefix_rule::apply(record, name, place),
                None => record,
            };
            verdict::running::apply(&mut record, name, how.running, how.optimize);
            record
        })
        .collect()
}

/// Stats the source candidates in the order the interpreter tries them (a stat, which never
/// blocks; the source is only opened, non-blocking, if its hash is needed). A symlink that does
/// not resolve (dangling, or a loop) is no source, as the import system's `isfile` sees it.
pub fn stat_source(candidates: &[PathBuf]) -> SourceState {
    for path in candidates {
        match fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                let stat = SourceStat::from_metadata(&meta);
                return SourceState::Present {
                    path: path.clone(),
                    stat,
                    read_error: read_error(path, &meta),
                };
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(_) if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {}
            Err(e) => {
                return SourceState::Unreadable {
                    path: path.clone(),
                    kind: e.kind(),
                    error: e.to_string(),
                }
            }
        }
    }
    SourceState::Missing
}

/// Why the source cannot be read, if it cannot: a file readable by everyone is taken as
/// readable without a syscall; any other is opened once (and closed) to find out.
fn read_error(path: &Path, meta: &fs::Metadata) -> Option<CacheError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o444 == 0o444 {
            return None;
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    open_regular(path).err().map(CacheError::from)
}

/// Reads the first bytes of a cache and its mtime, and keeps the file open (positioned after
/// those bytes) in case the verdict needs the body. Never blocks: anything but a regular file
/// (a FIFO, a socket, a device, a symlink to one) is an error, and is never read.
pub fn read_head(found: &Found) -> Result<(CacheRead, File), CacheError> {
    if found.kind == EntryKind::Directory {
        return Err(CacheError::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    let (file, meta) =
        open_regular(&found.path).map_err(|e| open_error(&found.path, found.kind, &e))?;
    read_head_from(file, &meta)
}

/// [`read_head`] from a handle already opened and checked to be a regular file.
pub fn read_head_from(file: File, meta: &fs::Metadata) -> Result<(CacheRead, File), CacheError> {
    let written_ns = SourceStat::from_metadata(meta).mtime_ns();
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&file).take(HEAD_LEN as u64).read_to_end(&mut head)?;
    let cache = CacheRead {
        head,
        written_ns,
        len: meta.len(),
    };
    Ok((cache, file))
}

fn open_error(path: &Path, kind: EntryKind, e: &io::Error) -> CacheError {
    let text = match (e.kind(), kind) {
        (io::ErrorKind::NotFound, EntryKind::Symlink) => match fs::read_link(path) {
            Ok(target) => format!("dangling symlink to {}", target.display()),
            Err(_) => "dangling symlink".into(),
        },
        (io::ErrorKind::NotFound, _) => "vanished during the scan".into(),
        _ => e.to_string(),
    };
    CacheError::new(e.kind(), text)
}
/// What the audit has done so far, bumped from any thread (`report::progress` draws it).
#[derive(Debug, Default)]
pub struct Counts {
    judged: AtomicUsize,
    findings: AtomicUsize,
}

impl Counts {
    /// Adds some records judged, of which `findings` have a severity.
    pub(crate) fn add(&self, judged: usize, findings: usize) {
        self.judged.fetch_add(judged, Ordering::Relaxed);
        self.findings.fetch_add(findings, Ordering::Relaxed);
    }

    /// The records judged so far, and how many of them are findings.
    pub(crate) fn so_far(&self) -> (usize, usize) {
        let judged = self.judged.load(Ordering::Relaxed);
        (judged, self.findings.load(Ordering::Relaxed))
    }
}
