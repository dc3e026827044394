//! What the walk notices besides caches, for the checks that look at a whole directory or
//! tree: which directories hold sources (their own, or anywhere below), which hold an
//! `__init__` source, how many entries each has, and leftover temporary files; and for the
//! import's directory lookup (`verdict::resolution`), each directory's `__init__` files and
//! extension modules, which can shadow a module's source and caches.
//!
//! The walk visits entries depth-first; a directory is complete once an entry at its depth
//! or above arrives, so this costs no extra system call: only a look at each name.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// What the walk saw in one directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DirFacts {
    pub path: PathBuf,
    /// Entries directly inside, excluded ones included (they are there for Python).
    pub entries: usize,
    /// A Python source or extension module directly inside.
    pub sources: bool,
    /// A Python source or extension module here or anywhere below.
    pub sources_below: bool,
    /// An `__init__` source or extension module directly inside: a regular package.
    pub init_source: bool,
    /// The `__init__` files directly inside (source, legacy cache or extension module): what
    /// makes this directory a regular package, for the interpreters that accept that suffix.
    pub inits: Vec<OsString>,
    /// The extension modules (`.so`, `.pyd`) directly inside, by file name.
    pub extensions: Vec<OsString>,
}

/// Every directory walked, in walk order, and the temporary files found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Survey {
    pub dirs: Vec<DirFacts>,
    pub debris: Vec<PathBuf>,
}

/// Builds a [`Survey`] from the walk's entries.
#[derive(Default)]
pub(crate) struct Surveyor {
    open: Vec<(usize, DirFacts)>,
    survey: Survey,
}

impl Surveyor {
    /// Takes one walked entry, named `name`, at `depth` (the root is 0). The walker hands the
    /// name over: taking it from the path again would parse every path of the tree.
    pub(crate) fn see(&mut self, path: &Path, name: &OsStr, depth: usize, is_dir: bool) {
        self.count(name, depth, is_dir);
        if is_dir {
            let facts = DirFacts {
                path: path.to_path_buf(),
                entries: 0,
                sources: false,
                sources_below: false,
                init_source: false,
                inits: Vec::new(),
                extensions: Vec::new(),
            };
            self.open.push((depth, facts));
        } else if is_debris_name(name) {
            self.survey.debris.push(path.to_path_buf());
        }
    }

    /// Takes an entry the walk prunes (`--exclude`, a VCS directory): it is not audited, but it
    /// is there for Python, so it still counts in its parent (a `__pycache__` whose caches are
    /// all excluded is not empty, a directory whose source is excluded still has one).
    pub(crate) fn see_pruned(&mut self, name: &OsStr, depth: usize, is_dir: bool) {
        self.count(name, depth, is_dir);
    }

    fn count(&mut self, name: &OsStr, depth: usize, is_dir: bool) {
        self.close_to(depth);
        if let Some((_, parent)) = self.open.last_mut() {
            parent.entries += 1;
            if !is_dir && is_source(name) {
                parent.sources = true;
                parent.sources_below = true;
                parent.init_source |= is_init(name);
            }
            if !is_dir {
                note_module(parent, name);
            }
        }
    }

    /// Closes every directory at `depth` or deeper: none of their entries are left.
    fn close_to(&mut self, depth: usize) {
        while self.open.last().is_some_and(|(d, _)| *d >= depth) {
            let (_, facts) = self.open.pop().expect("checked above");
            if let Some((_, parent)) = self.open.last_mut() {
                parent.sources_below |= facts.sources_below;
            }
            self.survey.dirs.push(facts);
        }
    }

    /// Ends one root's walk.
    pub(crate) fn end_root(&mut self) {
        self.close_to(0);
    }

    pub(crate) fn finish(mut self) -> Survey {
        self.end_root();
        self.survey
    }
}

/// Keeps the names the import's directory lookup needs: `__init__` files and extension modules.
fn note_module(dir: &mut DirFacts, name: &OsStr) {
    let bytes = name.as_encoded_bytes();
    let init = is_init(name)
        && [&b".py"[..], b".pyc", b".pyo", b".so", b".pyd"]
            .iter()
            .any(|ext| bytes.ends_with(ext));
    if init {
        dir.inits.push(name.to_owned());
    } else if bytes.ends_with(b".so") || bytes.ends_with(b".pyd") {
        dir.extensions.push(name.to_owned());
    }
}

/// A file Python imports as a module: source or extension module (`.so` includes any shared
/// library, which errs on the side of "this directory has code").
fn is_source(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    [&b".py"[..], b".pyw", b".so", b".pyd"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

fn is_init(name: &OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b"__init__.")
}

/// `NAME.pyc.<digits>` (or `.pyo`): the temporary file of an atomic cache write that never
/// reached its rename (importlib appends `id(path)`, pytest its process id).
pub(crate) fn is_debris_name(name: &OsStr) -> bool {
    let name = name.as_encoded_bytes();
    let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
        return false;
    };
    let (stem, digits) = (&name[..dot], &name[dot + 1..]);
    !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (stem.ends_with(b".pyc") || stem.ends_with(b".pyo"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(path: &str) -> &OsStr {
        Path::new(path).file_name().unwrap()
    }

    #[test]
    fn debris_names() {
        for yes in ["m.cpython-311.pyc.140234567", "m.pyc.42", "x.pyo.1"] {
            assert!(is_debris_name(OsStr::new(yes)), "{yes}");
        }
        for no in [
            "m.pyc",
            "m.pyc.",
            "m.pyc.12a",
            "m.py.123",
            "pyc.1x",
            "m.cpython-311.pyc",
        ] {
            assert!(!is_debris_name(OsStr::new(no)), "{no}");
        }
    }

    #[test]
    fn pruned_entries_count_but_are_not_entered() {
        let mut s = Surveyor::default();
        s.see(Path::new("r"), name("r"), 0, true);
        s.see(Path::new("r/__pycache__"), name("r/__pycache__"), 1, true);
        s.see_pruned(name("r/__pycache__/m.cpython-311.opt-1.pyc"), 2, false);
        s.see_pruned(name("r/m.py"), 1, false);
        s.see_pruned(name("r/vendor"), 1, true);
        s.see_pruned(name("r/x.pyc.12"), 1, false);
        let survey = s.finish();
        assert_eq!(survey.dirs.len(), 2, "a pruned directory is not walked");
        assert_eq!(survey.dirs[0].entries, 1);
        assert!(survey.dirs[1].sources && survey.dirs[1].entries == 4);
        assert!(survey.debris.is_empty(), "pruned debris is not reported");
    }

    #[test]
    fn facts_fold_up_the_tree() {
        let mut s = Surveyor::default();
        for (path, depth, dir) in [
            ("r", 0, true),
            ("r/ghost", 1, true),
            ("r/ghost/__pycache__", 2, true),
            ("r/ghost/__pycache__/m.cpython-311.pyc", 3, false),
            ("r/ghost/__pycache__/m.cpython-311.pyc.99", 3, false),
            ("r/pkg", 1, true),
            ("r/pkg/sub", 2, true),
            ("r/pkg/sub/__init__.py", 3, false),
            ("r/pkg/__pycache__", 2, true),
        ] {
            s.see(Path::new(path), name(path), depth, dir);
        }
        let survey = s.finish();
        let get = |p: &str| survey.dirs.iter().find(|d| d.path == Path::new(p)).unwrap();
        assert!(!get("r/ghost").sources_below);
        assert_eq!(get("r/ghost/__pycache__").entries, 2);
        assert!(get("r/pkg").sources_below && !get("r/pkg").sources);
        assert!(get("r/pkg/sub").init_source);
        assert_eq!(get("r/pkg/__pycache__").entries, 0);
        assert!(get("r").sources_below);
        assert_eq!(
            survey.debris,
            [PathBuf::from("r/ghost/__pycache__/m.cpython-311.pyc.99")]
        );
        assert_eq!(survey.dirs.len(), 6);
    }
}
