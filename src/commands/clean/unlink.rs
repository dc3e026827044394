//! Removing the very file that was judged, and nothing written by someone else.
//!
//! A name can be given to another file at any moment (importlib writes a new cache to a
//! temporary file and renames it over the old one), and `unlink` removes whatever the name
//! refers to. So the judged file's name is first renamed, with `RENAME_NOREPLACE`, to a
//! private quarantine name in the same directory (`.pyc-audit-PID-N.quarantine`), where no
//! one else writes. The file now under that name is compared with the handle held since the
//! judgement (same device and inode, same size and mtime on the handle); only if it is the
//! judged file, unchanged, is the quarantine name unlinked. Anything else is renamed back to
//! its name (again without replacing: if a new file took the name meanwhile, the other stays
//! under the quarantine name and the row fails, naming it). The handle stays open until the
//! name is gone, so its inode number cannot be reused by another file in between.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{linkat, renameat, renameat_with, statat, unlinkat, AtFlags, RenameFlags};
use rustix::io::Errno;

use super::handles::Place;

/// What identifies the judged file and tells whether it changed since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
}

impl Identity {
    /// The identity of the file behind a held handle.
    pub(crate) fn of(file: &File) -> io::Result<Identity> {
        Ok(Identity::from_metadata(&file.metadata()?))
    }

    /// The identity of the file a held handle's metadata describes.
    pub(crate) fn from_metadata(m: &std::fs::Metadata) -> Identity {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: m.mtime(),
            mtime_nsec: m.mtime_nsec(),
        }
    }
}

/// What became of a removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unlinked {
    Removed,
    /// The name was gone before the rename.
    Vanished,
    /// Another file had the name, or the judged one changed: it is back in place.
    Changed,
    /// Could not be done; the reason.
    Failed(String),
}

static QUARANTINED: AtomicU64 = AtomicU64::new(0);

/// Removes the name `place` if and only if it still refers to the held, judged file.
pub(crate) fn remove_judged(place: &Place, held: &File, judged: Identity) -> Unlinked {
    let n = QUARANTINED.fetch_add(1, Ordering::Relaxed);
    let quarantine = OsString::from(format!(".pyc-audit-{}-{n}.quarantine", std::process::id()));
    let dir = place.fd();
    match set_aside(place, &quarantine) {
        Ok(()) => {}
        Err(Errno::NOENT) => return Unlinked::Vanished,
        Err(e) => return Unlinked::Failed(format!("cannot rename it to remove it: {e}")),
    }
    let moved = statat(dir, &*quarantine, AtFlags::SYMLINK_NOFOLLOW);
    // The stat fields are u64 on some targets and narrower on others.
    #[allow(clippy::unnecessary_cast)]
    let same_file =
        moved.is_ok_and(|st| (st.st_dev as u64, st.st_ino as u64) == (judged.dev, judged.ino));
    let unchanged = Identity::of(held).is_ok_and(|now| now == judged);
    if same_file && unchanged {
        return match unlinkat(dir, &*quarantine, AtFlags::empty()) {
            Ok(()) => Unlinked::Removed,
            Err(e) => put_back(place, &quarantine, format!("cannot remove it: {e}")),
        };
    }
    match put_back(place, &quarantine, String::new()) {
        Unlinked::Removed => Unlinked::Changed,
        other => other,
    }
}

/// Renames the name to the quarantine name, never replacing a file there. A filesystem without
/// `RENAME_NOREPLACE` (EINVAL) gets a plain rename once the private name is seen free.
fn set_aside(place: &Place, quarantine: &OsString) -> rustix::io::Result<()> {
    let dir = place.fd();
    match renameat_with(
        dir,
        &*place.name,
        dir,
        &**quarantine,
        RenameFlags::NOREPLACE,
    ) {
        Err(Errno::INVAL) => match statat(dir, &**quarantine, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => renameat(dir, &*place.name, dir, &**quarantine),
            Ok(_) => Err(Errno::EXIST),
            Err(e) => Err(e),
        },
        other => other,
    }
}

/// Gives the quarantined file its name back, never replacing a file that took the name: with
/// `RENAME_NOREPLACE`, or else a hard link (which fails if the name exists) and an unlink.
fn restore(place: &Place, quarantine: &OsString) -> rustix::io::Result<()> {
    let dir = place.fd();
    match renameat_with(
        dir,
        &**quarantine,
        dir,
        &*place.name,
        RenameFlags::NOREPLACE,
    ) {
        Err(Errno::INVAL) => {
            linkat(dir, &**quarantine, dir, &*place.name, AtFlags::empty())?;
            unlinkat(dir, &**quarantine, AtFlags::empty())
        }
        other => other,
    }
}

/// Renames the quarantined file back; `Removed` stands for "back in place" here, else why not.
fn put_back(place: &Place, quarantine: &OsString, why: String) -> Unlinked {
    match restore(place, quarantine) {
        Ok(()) if why.is_empty() => Unlinked::Removed,
        Ok(()) => Unlinked::Failed(why),
        Err(e) => Unlinked::Failed(format!(
            "another file took its name while it was set aside ({e}); the file that was there \
             is left as {}",
            crate::report::escaped_path(std::path::Path::new(quarantine))
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::clean::handles::Handles;
    use std::fs;

    #[test]
    fn only_the_held_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let path = root.join("m.pyc");
        fs::write(&path, b"old").unwrap();
        let handles = Handles::default();
        let place = handles.locate(root, &path).ok().unwrap();
        let held = place.open_file().unwrap();
        let judged = Identity::of(&held).unwrap();
        // Replaced by another file, as importlib does: it stays.
        fs::write(root.join("m.pyc.123"), b"new").unwrap();
        fs::rename(root.join("m.pyc.123"), &path).unwrap();
        assert_eq!(remove_judged(&place, &held, judged), Unlinked::Changed);
        assert_eq!(fs::read(&path).unwrap(), b"new");
        // The judged file itself goes, and nothing is left behind.
        let held = place.open_file().unwrap();
        let judged = Identity::of(&held).unwrap();
        assert_eq!(remove_judged(&place, &held, judged), Unlinked::Removed);
        assert_eq!(fs::read_dir(root).unwrap().count(), 0);
        assert_eq!(remove_judged(&place, &held, judged), Unlinked::Vanished);
    }
}
