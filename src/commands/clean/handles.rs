//! Directory handles below a root, and every act of `clean` made through them.
//!
//! Each root is opened once. A directory below it is opened relative to the root's handle
//! with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` where the kernel has it, else one
//! component at a time with `openat(O_NOFOLLOW | O_DIRECTORY)`: a symlink anywhere between
//! the root and the file makes the open fail, so a directory swapped for a symlink mid-run
//! makes that file fail, never escape. Every later act (open, rename, stat, unlink, write)
//! names the file relative to that directory handle: no path is resolved again between the
//! check and the act.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use rustix::fs::{openat, openat2, Mode, OFlags, ResolveFlags, CWD};
use rustix::io::Errno;

use super::safety::{below_root, Refusal};

/// Flags of every directory open: never a symlink, never blocking, never inherited.
fn dir_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK
}

/// A directory handle and a plain name in it: where a file is, for every act on it.
pub(crate) struct Place {
    pub dir: Rc<OwnedFd>,
    pub name: OsString,
}

impl Place {
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.dir.as_fd()
    }

    /// Opens the file itself for reading: never through a final symlink, never blocking.
    pub(crate) fn open_file(&self) -> io::Result<File> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        Ok(File::from(openat(
            self.fd(),
            &*self.name,
            flags,
            Mode::empty(),
        )?))
    }
}

/// The roots' handles, opened on first use and kept for the run.
#[derive(Default)]
pub(crate) struct Handles {
    roots: RefCell<HashMap<PathBuf, Rc<OwnedFd>>>,
}

impl Handles {
    /// Where `path` is, below `root`: its directory opened from the root's handle without
    /// following any symlink, and its name.
    pub(crate) fn locate(&self, root: &Path, path: &Path) -> Result<Place, Refusal> {
        let rel = below_root(root, path)
            .ok_or_else(|| Refusal::Unsafe("not below a given root".into()))?;
        let Some(name) = path.file_name() else {
            return Err(Refusal::Unsafe("no file name".into()));
        };
        if rel.as_os_str().is_empty() {
            // The root is the file itself: its directory is the user's own path.
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = openat(
                CWD,
                parent.unwrap_or(Path::new(".")),
                root_flags(),
                Mode::empty(),
            )
            .map_err(|e| refusal(e, path))?;
            return Ok(place(Rc::new(dir), name));
        }
        let root_fd = self.root(root).map_err(|e| refusal(e, root))?;
        let dir_rel = rel.parent().unwrap_or(Path::new(""));
        let dir = if dir_rel.as_os_str().is_empty() {
            root_fd
        } else {
            Rc::new(open_beneath(root_fd.as_fd(), dir_rel).map_err(|e| refusal(e, path))?)
        };
        Ok(place(dir, name))
    }

    fn root(&self, root: &Path) -> rustix::io::Result<Rc<OwnedFd>> {
        if let Some(fd) = self.roots.borrow().get(root) {
            return Ok(Rc::clone(fd));
        }
        let fd = Rc::new(openat(CWD, root, root_flags(), Mode::empty())?);
        self.roots
            .borrow_mut()
            .insert(root.to_path_buf(), Rc::clone(&fd));
        Ok(fd)
    }
}

/// The root as the user named it: a symlink given as the root is followed (only then).
fn root_flags() -> OFlags {
    OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NONBLOCK
}

fn place(dir: Rc<OwnedFd>, name: &OsStr) -> Place {
    Place {
        dir,
        name: name.to_owned(),
    }
}

/// Opens the directory `rel` (plain names only) below `dir`, following no symlink.
pub(crate) fn open_beneath(dir: BorrowedFd, rel: &Path) -> rustix::io::Result<OwnedFd> {
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS;
    match openat2(dir, rel, dir_flags(), Mode::empty(), resolve) {
        Err(Errno::NOSYS | Errno::PERM | Errno::INVAL | Errno::AGAIN) => {}
        other => return other,
    }
    open_components(dir, rel)
}

/// No openat2 (or a sandbox refusing it): one component at a time, each with `O_NOFOLLOW`.
fn open_components(dir: BorrowedFd, rel: &Path) -> rustix::io::Result<OwnedFd> {
    let mut current: Option<OwnedFd> = None;
    for c in rel.components() {
        let Component::Normal(name) = c else {
            return Err(Errno::INVAL);
        };
        let base = current.as_ref().map_or(dir, |fd| fd.as_fd());
        current = Some(openat(base, name, dir_flags(), Mode::empty())?);
    }
    match current {
        Some(fd) => Ok(fd),
        None => openat(dir, ".", dir_flags(), Mode::empty()),
    }
}

/// Why a directory could not be opened, as a refusal.
fn refusal(e: Errno, path: &Path) -> Refusal {
    match e {
        Errno::NOENT => Refusal::Vanished,
        Errno::LOOP | Errno::NOTDIR | Errno::XDEV => Refusal::Unsafe(format!(
            "a directory on the way to {} is a symlink or is no longer a directory: clean \
             never acts through one",
            crate::report::escaped_path(path)
        )),
        e => Refusal::Io(io::Error::from(e).to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn a_symlink_on_the_way_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.join("a/__pycache__")).unwrap();
        fs::write(root.join("a/__pycache__/m.pyc"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("l")).unwrap();
        fs::create_dir(outside.path().join("__pycache__")).unwrap();
        let h = Handles::default();
        let place = h
            .locate(root, &root.join("a/__pycache__/m.pyc"))
            .ok()
            .unwrap();
        assert_eq!(place.name, "m.pyc");
        assert!(place.open_file().is_ok());
        let refused = h.locate(root, &root.join("l/__pycache__/m.pyc"));
        assert!(matches!(refused, Err(Refusal::Unsafe(_))));
        let gone = h.locate(root, &root.join("b/__pycache__/m.pyc"));
        assert!(matches!(gone, Err(Refusal::Vanished)));
        // The component-by-component fallback refuses the same.
        let root_fd = h.root(root).unwrap();
        let one_by_one = |rel: &str| open_components(root_fd.as_fd(), Path::new(rel));
        assert!(one_by_one("a/__pycache__").is_ok());
        let through_link = one_by_one("l/__pycache__").err();
        assert!(matches!(through_link, Some(Errno::LOOP | Errno::NOTDIR)));
        assert_eq!(one_by_one("../x").err(), Some(Errno::INVAL));
    }
}
