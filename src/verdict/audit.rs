//! Running the audit: read each cache's first bytes, stat each source once, judge in parallel.
//!
//! Caches are grouped by the source they pair with, so a source shared by several caches
//! (one per interpreter, optimisation level or pytest) is stat'ed once and, when a hash-based
//! cache needs it, read and hashed once per hash variant and key. Groups are judged on all
//! cores with rayon while the walk goes on (the walker hands over one directory's caches at a
//! time); the verdict itself is the pure function in `verdict`. With a pycache prefix, the part
//! of the prefix tree that mirrors the roots is walked and judged too (see `find::prefix`).

use std::cell::RefCell;
use std::fs::{self, File};
use std::path::Path;

use rayon::prelude::*;

use crate::find::prefix::Plan;
use crate::find::walk::{self, Found, WalkError, WalkOptions};
use crate::python::naming::{self, CacheName};
use crate::python::optimize::Optimize;
use crate::python::pythons::Running;
use crate::python::source::SourceStat;
use crate::verdict::model::{Record, Summary};
use crate::verdict::prefix::{self as prefix_rule, Place};
use crate::verdict::read::{read_head, read_head_at, read_head_from, stat_source_at, At};
use crate::verdict::tree;
pub use gather::Counts;
use gather::{gather, PerThread};

mod gather;
use crate::verdict::{self, split_read, CacheError, CacheRead, Disk, Evidence, SourceBytes};

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
    let git = plan.git.then(|| crate::verdict::git::ask(roots));
    let gathered = PerThread::new(roots.len());
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
    // Each directory's caches are judged on the thread that read it, while it is open.
    let walked = walk::walk(roots, &in_tree, |batch| {
        let at = At {
            dir: batch.dir,
            parent: batch.parent,
        };
        JUDGED.with_borrow_mut(|judged| {
            judge_named(name_batch(batch.found), how(in_tree_place), &at, judged);
            gather(&gathered, judged, keep, roots, counts);
        });
    });
    let prefix_errors = plan.walk_prefix(opts, |batch| {
        JUDGED.with_borrow_mut(|judged| {
            judge_named(batch, how(Some(Place::PrefixTree)), &At::default(), judged);
            gather(&gathered, judged, keep, roots, counts);
        });
    });
    let mut gathered = gathered.merged(roots.len());
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
    let git_rows = match git.map(|asked| asked.join()) {
        Some(Ok(listed)) => crate::verdict::git::apply(&listed, &mut records),
        Some(Err(panic)) => std::panic::resume_unwind(panic),
        None => Vec::new(),
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

/// A sort key whose byte order is `Path`'s own order (component by component, a root before
/// `.` before `..` before a name), to sort many paths with memcmp instead of parsing their
/// components at every comparison: each component is its kind, its bytes and a NUL, which no
/// component holds.
pub(crate) fn component_key(path: &Path) -> Vec<u8> {
    use std::path::Component;
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for component in path.components() {
        key.push(match component {
            Component::Prefix(_) => 0,
            Component::RootDir => 1,
            Component::CurDir => 2,
            Component::ParentDir => 3,
            Component::Normal(_) => 4,
        });
        key.extend_from_slice(component.as_os_str().as_encoded_bytes());
        key.push(0);
    }
    key
}

/// Judges one directory's caches, grouped by the source they pair with.
pub fn judge_batch(batch: Vec<Found>, depth: Depth) -> Vec<Record> {
    let how = How {
        place: None,
        depth,
        running: &[],
        optimize: Optimize::default(),
    };
    let mut out = Vec::new();
    judge_named(name_batch(batch), how, &At::default(), &mut out);
    out
}

thread_local! {
    /// The records of the batch this thread is judging: one buffer a thread, emptied into the
    /// thread's share after each batch, not a vector (of large records) allocated per batch.
    /// Judging a batch makes no call into the pool, so no other batch can start on this thread
    /// while the buffer is borrowed.
    static JUDGED: RefCell<Vec<Record>> = const { RefCell::new(Vec::new()) };
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

/// Judges named caches, grouped by the source they pair with, into `out`; `place` says where
/// they were found when a pycache prefix is in effect.
fn judge_named(mut batch: Vec<(Found, CacheName)>, how: How, at: &At, out: &mut Vec<Record>) {
    // Sorted by the source's bytes, so that each source's caches are one run: no key is
    // copied or hashed.
    batch.sort_unstable_by(|a, b| source_key(&a.1).cmp(source_key(&b.1)));
    out.reserve(batch.len());
    for group in batch.chunk_by(|a, b| source_key(&a.1) == source_key(&b.1)) {
        judge_group(group, how, at, |found| read_head_at(found, at), out);
    }
}

/// The first source candidate of a cache, as bytes: what groups the caches of one source.
fn source_key(name: &CacheName) -> &[u8] {
    name.sources
        .first()
        .map_or(&[][..], |s| s.as_os_str().as_encoded_bytes())
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
    let stat = SourceStat::from_metadata(meta);
    let held = RefCell::new(Some(read_head_from(file, stat)));
    let open = |found: &Found| held.borrow_mut().take().unwrap_or_else(|| read_head(found));
    let how = How {
        place,
        depth,
        running: &plan.running,
        optimize: plan.optimize,
    };
    let mut out = Vec::with_capacity(1);
    judge_group(&[(found, name)], how, &At::default(), open, &mut out);
    out.pop()
}

fn judge_group(
    group: &[(Found, CacheName)],
    how: How,
    at: &At,
    open: impl Fn(&Found) -> Result<(CacheRead, File), CacheError>,
    out: &mut Vec<Record>,
) {
    let source = stat_source_at(&group[0].1.sources, at);
    let content = SourceBytes::of(&source);
    out.extend(group.iter().map(|(found, name)| {
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
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_keys_sort_as_paths_do() {
        let paths = [
            "", "/", "/a", "a", "a/b", "a.b", "a/b/c", "a-b", "ab", "./a", "../a", "-x", "..", ".",
            ".a", "a//b", "a/./b", "a/b/", "/..", "a/../b", "a/\u{e9}", "a/\u{1}", "A",
        ];
        for x in paths {
            for y in paths {
                let (x, y) = (Path::new(x), Path::new(y));
                let by_key = component_key(x).cmp(&component_key(y));
                assert_eq!(by_key, x.cmp(y), "{x:?} against {y:?}");
            }
        }
    }
}
