//! What to walk when Python runs with a pycache prefix: the given paths, minus the prefix tree,
//! and the part of the prefix tree that mirrors them.
//!
//! A directory root is mirrored at its absolute path as Python spells it (joined to the
//! current directory, `.` and `..` folded, symlinks kept) and, when it differs, at its real
//! path (Python's own current directory is always real). Sources in the mirror are reported as
//! spelled from the root, so `pyc-audit --pycache-prefix P .` pairs `P/<cwd>/m.<tag>.pyc` with
//! `m.py`. A root inside the prefix tree is walked as prefix tree. With no root at all, the
//! whole prefix tree is walked and every directory pairs with the one it mirrors from the
//! filesystem root. File roots (single caches) have no mirror.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::find::walk::{self, Found, WalkError, WalkOptions};
use crate::python::mirror;
use crate::python::naming::{self, CacheName};

/// Everything the audit walks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Paths walked for in-tree caches.
    pub roots: Vec<PathBuf>,
    pub prefix: Option<PrefixPlan>,
    /// The interpreters that run the tree (`--python`); empty: each cache's own.
    pub running: Vec<crate::python::pythons::Running>,
    /// The optimisation level Python runs at (`--optimize`, `PYTHONOPTIMIZE`).
    pub optimize: crate::python::optimize::Optimize,
    /// Ask git which caches it tracks (not with `--no-git`).
    pub git: bool,
}

/// The prefix and the parts of its tree to walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixPlan {
    /// The prefix as given (relative to the current directory when relative).
    pub dir: PathBuf,
    /// Its real path, when it exists: the in-tree walk does not enter it.
    pub canonical: Option<PathBuf>,
    pub trees: Vec<MirrorTree>,
}

/// One walk in the prefix tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirrorTree {
    /// Where the walk starts: a directory, or a single cache file.
    pub walk: PathBuf,
    /// The prefix-tree directory that mirrors `sources` (`walk`, or a file's directory).
    pub caches: PathBuf,
    /// The source directory it mirrors.
    pub sources: PathBuf,
    /// A missing `walk` is an error (a path the user named), not an empty mirror.
    pub required: bool,
}

impl Plan {
    /// The plan for `roots` (none: the whole prefix tree) under an optional prefix.
    pub fn new(roots: &[PathBuf], prefix: Option<&Path>, cwd: &Path) -> Plan {
        let Some(prefix) = prefix else {
            return Plan {
                roots: without_overlaps(roots),
                ..Plan::default()
            };
        };
        let canonical = fs::canonicalize(prefix).ok();
        let mut plan = Plan::default();
        let mut trees = Vec::new();
        if roots.is_empty() {
            trees.push(MirrorTree {
                walk: prefix.to_path_buf(),
                caches: prefix.to_path_buf(),
                sources: mirror::native_source_dir(Path::new("")),
                required: true,
            });
        }
        for root in roots {
            match inside(root, canonical.as_deref()) {
                Some(tree) => trees.push(tree),
                None => {
                    plan.roots.push(root.clone());
                    trees.extend(mirrors(root, prefix, cwd));
                }
            }
        }
        plan.roots = without_overlaps(&plan.roots);
        let mut seen = HashSet::new();
        trees.retain(|t| seen.insert(t.walk.clone()));
        plan.prefix = Some(PrefixPlan {
            dir: prefix.to_path_buf(),
            canonical,
            trees,
        });
        plan
    }

    /// Walks the prefix tree's parts, handing over batches of named caches.
    pub fn walk_prefix(
        &self,
        opts: &WalkOptions,
        on_batch: impl Fn(Vec<(Found, CacheName)>) + Sync,
    ) -> Vec<WalkError> {
        let Some(prefix) = &self.prefix else {
            return Vec::new();
        };
        let mut errors = Vec::new();
        for tree in &prefix.trees {
            if !tree.required && tree.walk.symlink_metadata().is_err() {
                continue; // Nothing cached there yet.
            }
            let roots = [tree.walk.clone()];
            // The prefix tree holds no sources or __pycache__: its survey is not needed.
            let walked = walk::walk(&roots, opts, |batch| {
                on_batch(
                    batch
                        .found
                        .into_iter()
                        .filter_map(|f| tree.name(f))
                        .collect(),
                );
            });
            errors.extend(walked.errors);
        }
        errors
    }
}

impl MirrorTree {
    fn name(&self, found: Found) -> Option<(Found, CacheName)> {
        let dir = found.path.parent()?;
        let below = dir.strip_prefix(&self.caches).ok()?;
        let sources = if below.as_os_str().is_empty() {
            self.sources.clone()
        } else {
            self.sources.join(below)
        };
        let name = naming::parse_prefixed(&found.path, &sources)?;
        Some((found, name))
    }
}

/// The name of a cache inside the prefix tree (whose real path is `canonical`), paired with
/// the source directory its directory mirrors; `None` when the file is not inside it.
pub(crate) fn name_in_tree(found: &Found, canonical: &Path) -> Option<CacheName> {
    let tree = inside(&found.path, Some(canonical))?;
    tree.name(found.clone()).map(|(_, name)| name)
}

/// A root inside the prefix tree, walked as prefix tree.
fn inside(root: &Path, prefix: Option<&Path>) -> Option<MirrorTree> {
    let real = fs::canonicalize(root).ok()?;
    let below = real.strip_prefix(prefix?).ok()?;
    let is_file = fs::metadata(root).is_ok_and(|m| !m.is_dir());
    let (caches, below) = match (is_file, root.parent(), below.parent()) {
        (true, Some(dir), Some(below)) => (dir.to_path_buf(), below),
        _ => (root.to_path_buf(), below),
    };
    Some(MirrorTree {
        walk: root.to_path_buf(),
        caches,
        sources: mirror::native_source_dir(below),
        required: true,
    })
}

/// The prefix-tree directories that mirror a directory root: its absolute path, and its real
/// path when that differs.
fn mirrors(root: &Path, prefix: &Path, cwd: &Path) -> Vec<MirrorTree> {
    if !fs::metadata(root).is_ok_and(|m| m.is_dir()) {
        return Vec::new();
    }
    let mut dirs = vec![lexical_absolute(root, cwd)];
    if let Ok(real) = fs::canonicalize(root) {
        if real != dirs[0] {
            dirs.push(real);
        }
    }
    dirs.into_iter()
        .map(|dir| {
            let caches = mirror::native_cache_dir(prefix, &dir, cwd);
            MirrorTree {
                walk: caches.clone(),
                caches,
                sources: root.to_path_buf(),
                required: false,
            }
        })
        .collect()
}

/// The roots minus those another root's walk already covers (the same path, or one inside a
/// directory root, by real path), so that overlapping arguments audit each cache once. Roots
/// that cannot be resolved stay, for the walk to report.
pub(crate) fn without_overlaps(roots: &[PathBuf]) -> Vec<PathBuf> {
    let is_dir: Vec<bool> = roots
        .iter()
        .map(|r| fs::metadata(r).is_ok_and(|m| m.is_dir()))
        .collect();
    // A file root is its real directory plus its own name: a symlinked cache is itself.
    let real: Vec<Option<PathBuf>> = roots
        .iter()
        .zip(&is_dir)
        .map(|(r, &dir)| match (dir, r.parent(), r.file_name()) {
            (false, Some(parent), Some(name)) if r.symlink_metadata().is_ok() => {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                fs::canonicalize(parent).ok().map(|p| p.join(name))
            }
            _ => fs::canonicalize(r).ok(),
        })
        .collect();
    let covered = |i: usize| {
        let Some(mine) = &real[i] else {
            return false;
        };
        real.iter().enumerate().any(|(j, other)| {
            let Some(other) = other else {
                return false;
            };
            let same = other == mine && j < i;
            same || (j != i && is_dir[j] && other != mine && mine.starts_with(other))
        })
    };
    (0..roots.len())
        .filter(|&i| !covered(i))
        .map(|i| roots[i].clone())
        .collect()
}

/// `path` joined to `cwd`, with `.` dropped and `..` folded, symlinks kept.
pub(crate) fn lexical_absolute(path: &Path, cwd: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn names(plan: &Plan) -> Vec<(Found, CacheName)> {
        let exclude = globset::GlobSet::empty();
        let opts = WalkOptions {
            follow: false,
            exclude: &exclude,
            prune: None,
        };
        let all = std::sync::Mutex::new(Vec::new());
        let errors = plan.walk_prefix(&opts, |b| all.lock().unwrap().extend(b));
        assert!(errors.is_empty(), "{errors:?}");
        let mut all = all.into_inner().unwrap();
        all.sort_by(|a, b| a.0.path.cmp(&b.0.path));
        all
    }

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"").unwrap();
    }

    #[test]
    fn lexical_absolute_folds_dots_but_not_symlinks() {
        let cwd = Path::new("/w/proj");
        assert_eq!(lexical_absolute(Path::new("."), cwd), Path::new("/w/proj"));
        assert_eq!(
            lexical_absolute(Path::new("../x/./y"), cwd),
            Path::new("/w/x/y")
        );
        assert_eq!(lexical_absolute(Path::new("/abs"), cwd), Path::new("/abs"));
    }

    #[test]
    fn roots_pair_with_their_mirror_and_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(tmp.path()).unwrap();
        let (proj, pfx) = (base.join("proj"), base.join("pfx"));
        fs::create_dir_all(proj.join("pkg")).unwrap();
        let mirror = pfx.join(base.strip_prefix("/").unwrap()).join("proj");
        touch(&mirror.join("pkg/m.cpython-311.pyc"));
        touch(&pfx.join("elsewhere/x.cpython-311.pyc"));
        let plan = Plan::new(&[PathBuf::from(".")], Some(&pfx), &proj);
        assert_eq!(plan.roots, [PathBuf::from(".")]);
        let found = names(&plan);
        assert_eq!(found.len(), 1, "only the mirror of the root");
        assert_eq!(found[0].1.sources[0], Path::new("./pkg/m.py"));
        assert_eq!(found[0].1.layout, naming::Layout::Prefix);

        let whole = Plan::new(&[], Some(&pfx), &proj);
        assert!(whole.roots.is_empty());
        let found = names(&whole);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1.sources[0], Path::new("/elsewhere/x.py"));
        assert_eq!(found[1].1.sources[0], proj.join("pkg/m.py"));
    }

    #[test]
    fn a_root_inside_the_prefix_is_prefix_tree() {
        let tmp = tempfile::tempdir().unwrap();
        let pfx = fs::canonicalize(tmp.path()).unwrap();
        let cache = pfx.join("srv/app/m.cpython-312.pyc");
        touch(&cache);
        for root in [pfx.join("srv"), cache.clone()] {
            let plan = Plan::new(std::slice::from_ref(&root), Some(&pfx), Path::new("/"));
            assert!(plan.roots.is_empty(), "{root:?} is not walked in-tree");
            let found = names(&plan);
            assert_eq!(found.len(), 1);
            assert_eq!(found[0].1.sources[0], Path::new("/srv/app/m.py"));
        }
    }

    #[test]
    fn a_symlinked_root_is_mirrored_under_both_spellings() {
        let tmp = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(tmp.path()).unwrap();
        fs::create_dir_all(base.join("real")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        let pfx = base.join("pfx");
        let rel = base.strip_prefix("/").unwrap();
        touch(&pfx.join(rel).join("real/a.cpython-311.pyc"));
        touch(&pfx.join(rel).join("link/b.cpython-311.pyc"));
        let plan = Plan::new(&[base.join("link")], Some(&pfx), &base);
        let sources: Vec<PathBuf> = names(&plan)
            .into_iter()
            .map(|(_, n)| n.sources[0].clone())
            .collect();
        assert_eq!(sources, [base.join("link/b.py"), base.join("link/a.py")]);
    }
}
