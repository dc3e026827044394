use super::*;
use globset::{Glob, GlobSetBuilder};
use rustix::fs::{FileType, Mode};
use std::fs;

fn walk_opts(roots: &[PathBuf], opts: &WalkOptions) -> (Vec<Vec<Found>>, Walked) {
    let batches = Mutex::new(Vec::new());
    let walked = walk(roots, opts, |b| {
        if let Some(dir) = b.dir {
            assert!(b.found.iter().all(|f| f.path.parent() == Some(dir.path)));
        }
        lock(&batches).push(b.found)
    });
    (batches.into_inner().unwrap(), walked)
}

fn collect(roots: &[PathBuf], exclude: &GlobSet) -> (Vec<Vec<Found>>, Walked) {
    let opts = WalkOptions {
        follow: false,
        exclude,
        prune: None,
    };
    walk_opts(roots, &opts)
}

fn names(batches: &[Vec<Found>], root: &Path) -> Vec<String> {
    let mut v: Vec<String> = batches
        .iter()
        .flatten()
        .map(|f| {
            f.path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

fn touch(root: &Path, files: &[&str]) {
    for f in files {
        let p = root.join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"").unwrap();
    }
}

#[test]
fn finds_caches_skips_vcs_and_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(
        root,
        &[
            "a.pyc",
            "b.py",
            "__pycache__/b.cpython-311.pyc",
            ".git/x.pyc",
            "skip/y.pyc",
            "c.pyo",
        ],
    );
    fs::create_dir_all(root.join("d.pyc")).unwrap();
    let mut b = GlobSetBuilder::new();
    b.add(Glob::new("skip").unwrap());
    let exclude = b.build().unwrap();
    let (batches, walked) = collect(&[root.to_path_buf()], &exclude);
    assert_eq!(
        names(&batches, root),
        ["__pycache__/b.cpython-311.pyc", "a.pyc", "c.pyo", "d.pyc"]
    );
    let dir_entry = batches
        .iter()
        .flatten()
        .find(|f| f.path.ends_with("d.pyc"))
        .unwrap();
    assert_eq!(dir_entry.kind, EntryKind::Directory);
    assert!(walked.errors.is_empty());
    // One batch per directory.
    assert!(batches
        .iter()
        .all(|b| b.iter().all(|f| f.path.parent() == b[0].path.parent())));
}

#[test]
fn the_pruned_directory_is_not_entered_whatever_its_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    touch(&root, &["a.pyc", "pfx/x/b.pyc", "sub/pfx/c.pyc"]);
    let pruned = root.join("pfx").canonicalize().unwrap();
    let exclude = GlobSet::empty();
    let opts = WalkOptions {
        follow: false,
        exclude: &exclude,
        prune: Some(&pruned),
    };
    let (batches, walked) = walk_opts(&[root.join("sub/..")], &opts);
    assert!(walked.errors.is_empty());
    let found = names(&batches, &root.join("sub/.."));
    assert_eq!(
        found,
        ["a.pyc", "sub/pfx/c.pyc"],
        "a same-named directory stays"
    );
}

#[test]
fn a_missing_root_is_an_error_not_a_panic() {
    let (batches, walked) = collect(
        &[PathBuf::from("/nonexistent/pyc-audit")],
        &GlobSet::empty(),
    );
    assert_eq!(walked.errors.len(), 1);
    assert!(batches.is_empty());
}

#[test]
fn the_survey_counts_every_entry_and_folds_sources_up() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    touch(
        &root,
        &[
            "ghost/__pycache__/m.cpython-311.pyc",
            "ghost/__pycache__/m.cpython-311.pyc.99",
            "pkg/sub/deeper/__init__.py",
            "pkg/m.pyc",
            "pkg/empty/__pycache__/keep",
            "plain/data.txt",
            "x.pyc",
            "skip/x.py",
        ],
    );
    fs::remove_file(root.join("pkg/empty/__pycache__/keep")).unwrap();
    let mut b = GlobSetBuilder::new();
    b.add(Glob::new("skip").unwrap());
    let exclude = b.build().unwrap();
    let (_, walked) = collect(std::slice::from_ref(&root), &exclude);
    let survey = walked.survey;
    let find = |p: &str| {
        let p = root.join(p);
        survey.dirs.iter().find(|d| d.path == p)
    };
    let get = |p: &str| find(p).unwrap();
    assert!(!get("ghost").sources_below);
    assert_eq!(get("ghost/__pycache__").entries, 2);
    assert!(get("pkg").sources_below && !get("pkg").sources);
    assert!(get("pkg/sub/deeper").init_source);
    assert_eq!(get("pkg/empty/__pycache__").entries, 0);
    assert!(get("").sources_below, "the root");
    assert_eq!(get("").entries, 5, "the excluded directory counts");
    // Directories no check asks about are not kept: no caches, __init__ or extension.
    for gone in ["pkg/sub", "pkg/empty", "plain", "skip"] {
        assert!(find(gone).is_none(), "{gone}");
    }
    assert_eq!(
        survey.debris,
        [root.join("ghost/__pycache__/m.cpython-311.pyc.99")]
    );
    assert_eq!(survey.dirs.len(), 6);
}

#[test]
fn symlinks_are_rows_and_are_entered_only_when_followed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    touch(&root, &["real/__pycache__/m.cpython-311.pyc", "real/m.py"]);
    std::os::unix::fs::symlink(root.join("real"), root.join("link")).unwrap();
    std::os::unix::fs::symlink(root.join("nowhere.pyc"), root.join("gone.pyc")).unwrap();
    std::os::unix::fs::symlink(&root, root.join("real/loop")).unwrap();
    let (batches, walked) = collect(std::slice::from_ref(&root), &GlobSet::empty());
    assert_eq!(
        names(&batches, &root),
        ["gone.pyc", "real/__pycache__/m.cpython-311.pyc"]
    );
    assert!(walked.errors.is_empty());
    let exclude = GlobSet::empty();
    let follow = WalkOptions {
        follow: true,
        exclude: &exclude,
        prune: None,
    };
    let (batches, walked) = walk_opts(std::slice::from_ref(&root), &follow);
    assert_eq!(
        names(&batches, &root),
        [
            "gone.pyc",
            "link/__pycache__/m.cpython-311.pyc",
            "real/__pycache__/m.cpython-311.pyc"
        ]
    );
    let gone = batches
        .iter()
        .flatten()
        .find(|f| f.path.ends_with("gone.pyc"));
    assert_eq!(gone.unwrap().kind, EntryKind::Symlink);
    let loops: Vec<_> = walked.errors.iter().map(|e| &e.message).collect();
    assert!(
        loops.iter().all(|m| *m == "symlink loop") && !loops.is_empty(),
        "{loops:?}"
    );
}

#[test]
fn a_root_named_like_a_cache_is_itself_a_row() {
    let dir = tempfile::tempdir().unwrap();
    touch(
        dir.path(),
        &["m.pyc", "d.pyc/__pycache__/x.cpython-311.pyc"],
    );
    let roots = [dir.path().join("m.pyc"), dir.path().join("d.pyc")];
    let (batches, walked) = collect(&roots, &GlobSet::empty());
    assert!(walked.errors.is_empty());
    assert_eq!(
        names(&batches, dir.path()),
        ["d.pyc", "d.pyc/__pycache__/x.cpython-311.pyc", "m.pyc"]
    );
}

#[test]
fn an_unreadable_directory_is_an_error_and_the_rest_is_walked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("r");
    touch(&root, &["ok/a.pyc"]);
    // A FIFO named like a directory is listed as a FIFO, never opened: nothing to enter.
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo.pyc"),
        FileType::Fifo,
        Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let (batches, walked) = collect(std::slice::from_ref(&root), &GlobSet::empty());
    assert_eq!(names(&batches, &root), ["fifo.pyc", "ok/a.pyc"]);
    assert!(walked.errors.is_empty());
}
