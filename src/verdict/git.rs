//! Caches in git: which ones a repository tracks, and whether the untracked ones are ignored.
//!
//! Committed caches are a ghost factory: a checkout stamps every file with the checkout time,
//! so a timestamp cache and its source no longer tell which is newer, and a cache committed
//! from one machine is read (or recompiled) on every other. Git itself is asked, once per PATH
//! argument and never per file: `git ls-files` for the tracked caches, and `git ls-files
//! --others --exclude-standard` (what `git check-ignore` would say of each) for the untracked
//! ones not ignored. Without git, outside a work tree, or with `--no-git`, nothing is said.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::verdict::model::{Action, Kind, Record, Status};
use crate::verdict::text;

/// What git says of the caches under one root.
pub(crate) struct Listed {
    /// The repository's top directory, which groups the roots in one repository.
    top: PathBuf,
    /// The root as given: where the repository's rows are shown.
    shown: PathBuf,
    tracked: HashSet<PathBuf>,
    unignored: usize,
}

/// Asks git about each root, on a thread of its own so that the audit walks meanwhile (what
/// git says does not depend on the walk).
pub(crate) fn ask(roots: &[PathBuf]) -> std::thread::JoinHandle<Vec<Listed>> {
    let roots = roots.to_vec();
    std::thread::spawn(move || roots.iter().filter_map(|r| list(r)).collect())
}

/// Marks tracked caches from what git said ([`ask`]); returns one row per repository that
/// tracks caches (and one per repository whose untracked caches are not ignored).
pub(crate) fn apply(listed: &[Listed], records: &mut [Record]) -> Vec<Record> {
    if listed.is_empty() {
        return Vec::new();
    }
    let tracked: HashSet<&PathBuf> = listed.iter().flat_map(|l| &l.tracked).collect();
    // Per repository: where its rows go (its first root), caches committed, not ignored.
    let mut repos: BTreeMap<&Path, (&Path, usize, usize)> = BTreeMap::new();
    // Committed caches are counted from git's own listing, not from the records: the audit
    // may keep only its findings, and a fresh committed cache is one too many all the same.
    let mut committed: BTreeMap<&Path, HashSet<&PathBuf>> = BTreeMap::new();
    for l in listed {
        repos.entry(&l.top).or_insert((&l.shown, 0, 0)).2 += l.unignored;
        committed.entry(&l.top).or_default().extend(&l.tracked);
    }
    for (top, paths) in committed {
        if let Some(repo) = repos.get_mut(top) {
            repo.1 = paths.len();
        }
    }
    for rec in records.iter_mut().filter(|r| r.kind == Kind::Cache) {
        rec.tracked = Some(tracked.contains(&clean_path(&rec.path)));
    }
    let mut rows = Vec::new();
    for (at, committed, unignored) in repos.into_values() {
        if committed > 0 {
            rows.push(tracked_row(at, committed));
        }
        if unignored > 0 {
            rows.push(unignored_row(at, unignored));
        }
    }
    rows
}

/// Marks the given cache records (`explain`'s files) as `check` does: one `git ls-files` per
/// directory, naming its files.
pub(crate) fn mark(records: &mut [&mut Record]) {
    let mut dirs: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, rec) in records.iter().enumerate() {
        let dir = rec.path.parent().map(Path::to_path_buf).unwrap_or_default();
        dirs.entry(dir).or_default().push(i);
    }
    for (dir, members) in dirs {
        let at = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let names: Vec<&OsStr> = members
            .iter()
            .filter_map(|&i| records[i].path.file_name())
            .collect();
        let mut args: Vec<&OsStr> =
            vec![OsStr::new("ls-files"), OsStr::new("-z"), OsStr::new("--")];
        args.extend(names.iter().copied());
        let Some(out) = git_os(&at, &args) else {
            continue;
        };
        let listed: HashSet<&[u8]> = split(&out).collect();
        for &i in &members {
            let name = records[i].path.file_name().map(OsStr::as_bytes);
            records[i].tracked = Some(name.is_some_and(|n| listed.contains(n)));
        }
    }
}

fn tracked_row(top: &Path, n: usize) -> Record {
    Record::finding(
        Kind::Tree,
        top.to_path_buf(),
        Status::Tracked,
        Action::Skip,
        format!(
            "git tracks {}: every checkout stamps them and their sources with the checkout \
             time, so Python cannot tell stale bytecode from fresh (a ghost factory); fix: \
             git rm -r --cached the caches, and add __pycache__/ and *.py[cod] to .gitignore",
            text::count(n, "cache")
        ),
    )
}

fn unignored_row(top: &Path, n: usize) -> Record {
    Record::finding(
        Kind::Tree,
        top.to_path_buf(),
        Status::Unignored,
        Action::Skip,
        format!(
            "{} not ignored by git: one `git add .` commits them; add __pycache__/ and \
             *.py[cod] to .gitignore",
            text::count(n, "untracked cache")
        ),
    )
}

/// A path as walked, without `./` components, to compare with git's.
fn clean_path(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

/// Asks git about one root; `None` outside a work tree or without git.
fn list(root: &Path) -> Option<Listed> {
    if !root.is_dir() {
        return None;
    }
    let top = git(root, &["rev-parse", "--show-toplevel"])?;
    let top = PathBuf::from(OsStr::from_bytes(top.trim_ascii_end()));
    let shown = if clean_path(root).as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        clean_path(root)
    };
    let caches = ["--", "*.pyc", "*.pyo"];
    let tracked = git(root, &[&["ls-files", "-z"][..], &caches].concat())?;
    let others = ["ls-files", "-z", "--others", "--exclude-standard"];
    let unignored = git(root, &[&others[..], &caches].concat())?;
    let join = |rel: &[u8]| clean_path(&shown.join(OsStr::from_bytes(rel)));
    Some(Listed {
        top,
        shown: shown.clone(),
        tracked: split(&tracked).map(join).collect(),
        unignored: split(&unignored).count(),
    })
}

fn split(out: &[u8]) -> impl Iterator<Item = &[u8]> {
    out.split(|&b| b == 0).filter(|p| !p.is_empty())
}

/// Runs git in `dir`; its stdout when it succeeds.
fn git(dir: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    git_os(dir, &args)
}

fn git_os(dir: &Path, args: &[&OsStr]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}
