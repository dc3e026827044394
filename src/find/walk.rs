//! Walking the given paths to find every bytecode cache, on every core.
//!
//! Each directory is opened once and read whole (`getdents`, with the entry types the kernel
//! gives, so nothing is stat'ed to tell a directory from a file); its subdirectories become
//! jobs for the thread pool, so the walk itself runs on all cores. A directory's caches are
//! handed over as one batch while the directory is still open, so that the caller can open
//! each cache relative to it: a `__pycache__` directory is walked inside its parent's job,
//! with the parent open too, where the sources are. Opening relative to a held directory
//! saves the kernel from resolving every component of every path again.
//!
//! Every entry whose name ends in `.pyc` or `.pyo` is handed over, whatever it is (a regular
//! file, a symlink, even a directory named like a cache, which becomes an `unreadable` row),
//! plus the directories that could not be read. `.git`, `.hg` and `.svn` are skipped,
//! `--exclude` globs prune what they match (as does the pycache-prefix tree, walked on its
//! own), and symlinked directories are entered only with `--follow`. The walk never reads a
//! file and never prints: problems are returned as data, sorted by path so that they do not
//! depend on which thread found them.

use std::ffi::OsStr;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use globset::GlobSet;

use crate::find::survey::{is_debris_name, DirFacts, Survey};
use crate::python::naming::is_cache_file_name;
use handles::{open_dir, Ahead, DirFd};
use listing::Subdir;

/// One entry named like a cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub kind: EntryKind,
}

/// What the walk saw at a cache path, before opening it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Symlink,
    Directory,
}

/// A path the walk could not read (a root that does not exist, a directory it cannot list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// What to walk and how.
#[derive(Clone, Copy)]
pub struct WalkOptions<'a> {
    pub follow: bool,
    pub exclude: &'a GlobSet,
    /// A directory not to enter, by its real path (the pycache-prefix tree).
    pub prune: Option<&'a Path>,
}

const SKIPPED_DIRS: [&str; 3] = [".git", ".hg", ".svn"];

/// A directory held open while its caches are judged, and its path.
#[derive(Clone, Copy)]
pub(crate) struct Held<'a> {
    pub(crate) path: &'a Path,
    pub(crate) fd: BorrowedFd<'a>,
}

/// One directory's caches, handed over while it is open.
pub(crate) struct Batch<'a> {
    pub(crate) found: Vec<Found>,
    /// The directory that holds them; `None` for a root given as a file.
    pub(crate) dir: Option<Held<'a>>,
    /// Its parent, when that is open too: for a `__pycache__`, where the sources are.
    pub(crate) parent: Option<Held<'a>>,
}

impl Batch<'_> {
    /// The caches alone, for a caller that opens them by path.
    fn detached(found: Vec<Found>) -> Batch<'static> {
        Batch {
            found,
            dir: None,
            parent: None,
        }
    }
}

/// What the walk returns once every cache has been handed over.
#[derive(Debug, Default)]
pub(crate) struct Walked {
    /// The paths that could not be read, sorted.
    pub errors: Vec<WalkError>,
    /// What was seen of every directory, for the tree-wide checks.
    pub survey: Survey,
}

/// Walks every root in order, each on all cores, handing caches over in per-directory
/// batches from whichever thread read the directory.
pub(crate) fn walk(
    roots: &[PathBuf],
    opts: &WalkOptions,
    on_batch: impl Fn(Batch<'_>) + Sync,
) -> Walked {
    let mut walked = Walked::default();
    for root in roots {
        let walker = Walker {
            opts,
            root,
            on_batch: &on_batch,
            errors: Mutex::new(Vec::new()),
            dirs: Mutex::new(Vec::new()),
            debris: Mutex::new(Vec::new()),
            next_id: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
            budget: handles::ahead_budget(),
        };
        walker.walk_root();
        let (errors, survey) = walker.finish();
        walked.errors.extend(errors);
        walked.survey.merge(survey);
    }
    walked.errors.sort_by(|a, b| a.path.cmp(&b.path));
    walked
}

/// One root's walk, shared by the jobs of its directories.
struct Walker<'a, F> {
    opts: &'a WalkOptions<'a>,
    root: &'a Path,
    on_batch: &'a F,
    errors: Mutex<Vec<WalkError>>,
    /// Each directory's facts, with its id, its parent's id and its depth.
    dirs: Mutex<Vec<Visited>>,
    debris: Mutex<Vec<PathBuf>>,
    next_id: AtomicUsize,
    /// The handles opened ahead and not yet closed, and how many may be.
    held: AtomicUsize,
    budget: usize,
}

struct Visited {
    id: usize,
    parent: Option<usize>,
    depth: usize,
    sources_below: bool,
    /// The facts of a directory the tree-wide checks may ask about (see [`needed`]); the
    /// others are dropped as soon as the directory is walked, so that memory does not grow
    /// with every directory of a large tree.
    facts: Option<Box<DirFacts>>,
}

/// Whether the tree-wide checks and the import lookup can ask about this directory: it holds
/// caches (itself or in its `__pycache__`), is a `__pycache__` (empty, or holding one), or
/// holds an `__init__` or an extension module (which can shadow a module beside it).
fn needed(facts: &DirFacts, had_caches: bool) -> bool {
    had_caches
        || facts.init_source
        || !facts.inits.is_empty()
        || !facts.extensions.is_empty()
        || facts.path.file_name() == Some(OsStr::new("__pycache__"))
}

/// A directory to walk.
struct DirJob<'w> {
    path: PathBuf,
    /// Its handle, when it was opened ahead from its parent's.
    ahead: Option<Ahead<'w>>,
    depth: usize,
    parent: Option<usize>,
    /// Open it through a final symlink: a root, or a symlinked directory under `--follow`.
    through_link: bool,
    /// The device and inode of every directory above it, under `--follow`, to stop at a loop.
    ancestors: Vec<(u64, u64)>,
}

impl<'a, F: Fn(Batch<'_>) + Sync> Walker<'a, F> {
    fn walk_root(&self) {
        let root = self.root;
        let meta = match root.symlink_metadata() {
            Ok(meta) => meta,
            Err(e) => return self.error(root.to_path_buf(), e.to_string()),
        };
        let is_link = meta.file_type().is_symlink();
        // A root is followed through a symlink, as it is named on the command line.
        let is_dir = match is_link {
            false => meta.is_dir(),
            true => match std::fs::metadata(root) {
                Ok(target) => target.is_dir(),
                Err(e) => return self.error(root.to_path_buf(), e.to_string()),
            },
        };
        let name = root.file_name().unwrap_or(root.as_os_str());
        if is_cache_file_name(name) {
            let kind = entry_kind(is_link, is_dir);
            let found = vec![Found {
                path: root.to_path_buf(),
                kind,
            }];
            (self.on_batch)(Batch::detached(found));
        }
        if !is_dir {
            if is_debris_name(name) {
                lock(&self.debris).push(root.to_path_buf());
            }
            return;
        }
        let job = DirJob {
            path: root.to_path_buf(),
            ahead: None,
            depth: 0,
            parent: None,
            through_link: true,
            ancestors: Vec::new(),
        };
        rayon::in_place_scope(|scope| {
            self.visit(scope, job, None);
        });
    }

    /// Walks one directory: lists it, walks its `__pycache__` and hands over its caches while
    /// it is open, then queues its other subdirectories. Returns true if it held caches.
    fn visit<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        mut job: DirJob<'s>,
        parent: Option<Held<'_>>,
    ) -> bool {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let ahead = job.ahead.take();
        let mut facts = DirFacts::new(std::mem::take(&mut job.path));
        let opened = match ahead {
            Some(ahead) => Ok(DirFd::Ahead(ahead)),
            None => open_dir(parent, &facts.path, job.through_link).map(DirFd::Opened),
        };
        let fd = match opened {
            Ok(fd) => fd,
            Err(e) => {
                self.error(facts.path.clone(), io_message(e));
                self.done(id, &job, facts, false);
                return false;
            }
        };
        let mut ancestors = job.ancestors.clone();
        if self.opts.follow {
            if let Ok(st) = rustix::fs::fstat(&fd) {
                ancestors.push((st.st_dev, st.st_ino));
            }
        }
        let listing = self.list(fd.as_fd(), &mut facts, &ancestors);
        let held = Held {
            path: &facts.path,
            fd: fd.as_fd(),
        };
        let child = |sub: Subdir, ahead| DirJob {
            path: sub.path,
            ahead,
            depth: job.depth + 1,
            parent: Some(id),
            through_link: sub.through_link,
            ancestors: ancestors.clone(),
        };
        let mut had_caches = !listing.caches.is_empty();
        if let Some(pycache) = listing.pycache {
            had_caches |= self.visit(scope, child(pycache, None), Some(held));
        }
        let own_caches = !listing.caches.is_empty();
        if own_caches {
            (self.on_batch)(Batch {
                found: listing.caches,
                dir: Some(held),
                parent,
            });
        }
        for sub in listing.subdirs {
            let ahead = self.open_ahead(held, &sub);
            let sub = child(sub, ahead);
            scope.spawn(move |scope| {
                self.visit(scope, sub, None);
            });
        }
        drop(fd);
        self.done(id, &job, facts, had_caches);
        own_caches
    }

    fn done(&self, id: usize, job: &DirJob, facts: DirFacts, had_caches: bool) {
        let visited = Visited {
            id,
            parent: job.parent,
            depth: job.depth,
            sources_below: facts.sources_below,
            facts: needed(&facts, had_caches).then(|| Box::new(facts)),
        };
        lock(&self.dirs).push(visited);
    }

    fn error(&self, path: PathBuf, message: String) {
        lock(&self.errors).push(WalkError { path, message });
    }

    /// The errors and the survey, with "sources below" folded up the tree.
    fn finish(self) -> (Vec<WalkError>, Survey) {
        let mut dirs = self.dirs.into_inner().unwrap_or_else(|e| e.into_inner());
        dirs.sort_unstable_by_key(|v| v.id);
        let mut deepest_first: Vec<usize> = (0..dirs.len()).collect();
        deepest_first.sort_unstable_by_key(|&i| std::cmp::Reverse(dirs[i].depth));
        for i in deepest_first {
            if let (true, Some(parent)) = (dirs[i].sources_below, dirs[i].parent) {
                dirs[parent].sources_below = true;
            }
        }
        let kept = dirs.into_iter().filter_map(|v| {
            let mut facts = *v.facts?;
            facts.sources_below = v.sources_below;
            Some(facts)
        });
        let survey = Survey {
            dirs: kept.collect(),
            debris: self.debris.into_inner().unwrap_or_else(|e| e.into_inner()),
        };
        let errors = self.errors.into_inner().unwrap_or_else(|e| e.into_inner());
        (errors, survey)
    }
}

/// `dir/name`, allocated once at its final size.
fn child_path(dir: &Path, name: &OsStr) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}

fn entry_kind(is_link: bool, is_dir: bool) -> EntryKind {
    if is_link {
        EntryKind::Symlink
    } else if is_dir {
        EntryKind::Directory
    } else {
        EntryKind::File
    }
}

fn io_message(e: rustix::io::Errno) -> String {
    match e {
        rustix::io::Errno::LOOP => "symlink loop".into(),
        e => std::io::Error::from(e).to_string(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

mod handles;
mod listing;

#[cfg(test)]
mod tests;
