//! What the walk notices besides caches, for the checks that look at a whole directory or
//! tree: which directories hold sources (their own, or anywhere below), which hold an
//! `__init__` source, how many entries each has, and leftover temporary files; and for the
//! import's directory lookup (`verdict::resolution`), each directory's `__init__` files and
//! extension modules, which can shadow a module's source and caches.
//!
//! The walk reads each directory whole and counts its listing here, so this costs no extra
//! system call: only a look at each name. Whether sources lie anywhere below a directory is
//! folded up by the walk as its parallel recursion returns.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

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

/// Every directory walked (in no particular order: the walk is parallel), and the temporary
/// files found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Survey {
    pub dirs: Vec<DirFacts>,
    pub debris: Vec<PathBuf>,
}

impl Survey {
    /// Adds another part of the walk's survey.
    pub(crate) fn merge(&mut self, other: Survey) {
        self.dirs.extend(other.dirs);
        self.debris.extend(other.debris);
    }
}

impl DirFacts {
    /// The facts of a directory before any of its entries is counted.
    pub(crate) fn new(path: PathBuf) -> DirFacts {
        DirFacts {
            path,
            entries: 0,
            sources: false,
            sources_below: false,
            init_source: false,
            inits: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// Counts one entry directly inside, named `name`. An entry the walk prunes (`--exclude`,
    /// a VCS directory) counts too: it is not audited, but it is there for Python (a
    /// `__pycache__` whose caches are all excluded is not empty, a directory whose source is
    /// excluded still has one).
    pub(crate) fn count(&mut self, name: &OsStr, is_dir: bool) {
        self.entries += 1;
        if is_dir {
            return;
        }
        if is_source(name) {
            self.sources = true;
            self.sources_below = true;
            self.init_source |= is_init(name);
        }
        note_module(self, name);
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
    fn counting_a_listing() {
        let mut d = DirFacts::new(PathBuf::from("r/pkg"));
        for (name, is_dir) in [
            ("__init__.py", false),
            ("mod.cpython-311-x86_64-linux-gnu.so", false),
            ("__pycache__", true),
            ("data.txt", false),
            ("sub.py", true),
        ] {
            d.count(OsStr::new(name), is_dir);
        }
        assert_eq!(d.entries, 5);
        assert!(d.sources && d.sources_below && d.init_source);
        assert_eq!(d.inits, [OsString::from("__init__.py")]);
        assert_eq!(
            d.extensions,
            [OsString::from("mod.cpython-311-x86_64-linux-gnu.so")]
        );
        let mut e = DirFacts::new(PathBuf::from("r/ghost/__pycache__"));
        e.count(OsStr::new("m.cpython-311.pyc"), false);
        assert!(!e.sources && !e.init_source && e.entries == 1);
    }
}
