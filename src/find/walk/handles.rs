//! The directory handles of the walk: each directory is opened relative to its parent's
//! handle where that is still open, never through a symlink unless the walk follows them, and
//! the handles queued jobs hold are counted against a budget.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustix::fs::{Mode, OFlags};

use super::listing::Subdir;
use super::{Batch, Held, Walker};

/// How many directory handles may wait in queued jobs at once: opening a subdirectory relative
/// to its parent's handle spares the kernel a walk of its whole path, but a queued job must
/// not hold a descriptor without bound (a directory may have thousands of subdirectories).
/// At most 256, and a quarter of the process's descriptor limit, so that a low `ulimit -n`
/// still leaves room for the caches and sources being read.
pub(super) fn ahead_budget() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    limit.map_or(256, |n| usize::try_from(n / 4).unwrap_or(256).min(256))
}

/// A directory handle opened ahead of its job, counted against [`ahead_budget`].
pub(super) struct Ahead<'w> {
    fd: OwnedFd,
    held: &'w AtomicUsize,
}

impl Drop for Ahead<'_> {
    fn drop(&mut self) {
        self.held.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A directory's handle, however it was opened.
pub(super) enum DirFd<'w> {
    Opened(OwnedFd),
    Ahead(Ahead<'w>),
}

impl AsFd for DirFd<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            DirFd::Opened(fd) => fd.as_fd(),
            DirFd::Ahead(ahead) => ahead.fd.as_fd(),
        }
    }
}

impl<F: Fn(Batch<'_>) + Sync> Walker<'_, F> {
    /// Opens a subdirectory relative to its parent's handle, if the budget allows.
    pub(super) fn open_ahead(&self, parent: Held, sub: &Subdir) -> Option<Ahead<'_>> {
        if self.held.fetch_add(1, Ordering::Relaxed) >= self.budget {
            self.held.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        match open_dir(Some(parent), &sub.path, sub.through_link) {
            Ok(fd) => Some(Ahead {
                fd,
                held: &self.held,
            }),
            Err(_) => {
                // Its own job opens it again, and reports what stops it.
                self.held.fetch_sub(1, Ordering::Relaxed);
                None
            }
        }
    }
}

/// Opens a directory to list it: relative to its parent when that is held, and through a
/// final symlink only when asked (a symlinked directory is not entered without `--follow`,
/// even if the entry was swapped for one since it was listed).
pub(super) fn open_dir(
    parent: Option<Held>,
    path: &Path,
    through_link: bool,
) -> rustix::io::Result<OwnedFd> {
    let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    if !through_link {
        flags |= OFlags::NOFOLLOW;
    }
    match (parent, path.file_name()) {
        (Some(parent), Some(name)) => rustix::fs::openat(parent.fd, name, flags, Mode::empty()),
        _ => rustix::fs::open(path, flags, Mode::empty()),
    }
}
