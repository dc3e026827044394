//! Reading one directory whole: every entry is counted in the directory's facts (for the
//! tree-wide checks) and sorted out into the caches to judge and the subdirectories to walk,
//! from the entry types `getdents` gives (a stat only where the file system gives none, or a
//! symlink is to be followed), and what `--exclude`, the VCS directories and the pycache
//! prefix prune.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::mem::MaybeUninit;
use std::os::fd::BorrowedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, RawDir};

use super::{child_path, entry_kind, io_message, lock, Batch, Found, Walker, SKIPPED_DIRS};
use crate::find::survey::{is_debris_name, DirFacts};
use crate::python::naming::is_cache_file_name;

/// What one directory's listing holds for the walk.
#[derive(Default)]
pub(super) struct Listing {
    pub(super) caches: Vec<Found>,
    pub(super) subdirs: Vec<Subdir>,
    pub(super) pycache: Option<Subdir>,
}

/// A subdirectory to walk, and whether it is reached through a symlink (`--follow`).
pub(super) struct Subdir {
    pub(super) path: PathBuf,
    pub(super) through_link: bool,
}

thread_local! {
    /// The buffer `getdents` fills, one per thread.
    static DIRENTS: RefCell<Vec<MaybeUninit<u8>>> =
        RefCell::new(vec![MaybeUninit::uninit(); 32 * 1024]);
}

impl<F: Fn(Batch<'_>) + Sync> Walker<'_, F> {
    /// Reads a directory whole: counts every entry in its facts, and sorts out its caches and
    /// the subdirectories to walk.
    pub(super) fn list(
        &self,
        fd: BorrowedFd,
        facts: &mut DirFacts,
        ancestors: &[(u64, u64)],
    ) -> Listing {
        let mut listing = Listing::default();
        let in_pycache = facts.path.file_name() == Some(OsStr::new("__pycache__"));
        DIRENTS.with_borrow_mut(|buf| {
            let mut dir = RawDir::new(fd, buf.as_mut_slice());
            while let Some(entry) = dir.next() {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        self.error(facts.path.clone(), io_message(e));
                        break;
                    }
                };
                let name = OsStr::from_bytes(entry.file_name().to_bytes());
                if name == "." || name == ".." {
                    continue;
                }
                self.take(
                    fd,
                    name,
                    entry.file_type(),
                    facts,
                    ancestors,
                    in_pycache,
                    &mut listing,
                );
            }
        });
        listing
    }

    /// Sorts out one entry of a listing.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &self,
        fd: BorrowedFd,
        name: &OsStr,
        file_type: FileType,
        facts: &mut DirFacts,
        ancestors: &[(u64, u64)],
        in_pycache: bool,
        listing: &mut Listing,
    ) {
        let file_type = match file_type {
            FileType::Unknown => rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW)
                .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode)),
            known => known,
        };
        let is_link = file_type == FileType::Symlink;
        let is_dir = match (is_link, self.opts.follow) {
            (true, true) => match rustix::fs::statat(fd, name, AtFlags::empty()) {
                Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                    let id = (st.st_dev, st.st_ino);
                    if ancestors.contains(&id) {
                        return self.error(child_path(&facts.path, name), "symlink loop".into());
                    }
                    true
                }
                Ok(_) => false,
                // -L cannot follow it: a cache named so is still a row; anything else is a
                // walk error, as it cannot be told what it is.
                Err(e) if !is_cache_file_name(name) => {
                    return self.error(child_path(&facts.path, name), io_message(e));
                }
                Err(_) => false,
            },
            _ => file_type == FileType::Directory,
        };
        facts.count(name, is_dir);
        if self.pruned(&facts.path, name, is_dir) {
            return;
        }
        if is_cache_file_name(name) {
            listing.caches.push(Found {
                path: child_path(&facts.path, name),
                kind: entry_kind(is_link, is_dir),
            });
        } else if !is_dir && is_debris_name(name) {
            lock(&self.debris).push(child_path(&facts.path, name));
        }
        if is_dir {
            let sub = Subdir {
                path: child_path(&facts.path, name),
                through_link: is_link,
            };
            if name == "__pycache__" && !in_pycache && listing.pycache.is_none() {
                listing.pycache = Some(sub);
            } else {
                listing.subdirs.push(sub);
            }
        }
    }

    /// Returns true if and only if the entry is a VCS directory, the pruned directory, or
    /// matches an `--exclude` glob (by file name, or by its path relative to the root for
    /// globs with a `/`).
    fn pruned(&self, dir: &Path, name: &OsStr, is_dir: bool) -> bool {
        if is_dir && SKIPPED_DIRS.iter().any(|d| name == *d) {
            return true;
        }
        if let Some(pruned) = self.opts.prune {
            // Only a directory with the same name can be it: canonicalize just those.
            if is_dir
                && pruned.file_name() == Some(name)
                && dir
                    .join(name)
                    .canonicalize()
                    .is_ok_and(|real| real == pruned)
            {
                return true;
            }
        }
        let exclude = self.opts.exclude;
        if exclude.is_empty() {
            return false;
        }
        let path = dir.join(name);
        let relative = path.strip_prefix(self.root).unwrap_or(&path);
        exclude.is_match(name) || exclude.is_match(relative)
    }
}
