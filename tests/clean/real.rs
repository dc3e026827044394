//! `clean` on trees written by every real interpreter: it removes exactly the orphan, stale,
//! mismatched, corrupt and suspect caches and the debris, and touches nothing else: fresh
//! caches keep their bytes and mtime, sources are untouched, symlinks out of the tree (to
//! files and directories) survive with their targets, `--keep` holds, a dry run removes
//! nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::for_each;
use crate::interpreters::Interpreter;
use crate::snapshot::{self, Entry, Snapshot};
use crate::{ensure, json_run, relative, rows, tree_py, with_outcome};

const CLEANED: [&str; 6] = [
    "orphan", "stale", "mismatch", "corrupt", "suspect", "debris",
];

#[test]
fn clean_removes_exactly_what_the_audit_condemns() {
    for_each("clean", check_interpreter);
}

/// The statuses `check --all` gives, by path relative to the root.
fn statuses(root: &Path) -> Result<BTreeMap<PathBuf, String>, String> {
    let (_, doc) = json_run(
        &["check", "--all", "--format", "json", "--fail-on", "never"],
        &[root],
    )?;
    Ok(rows(&doc)
        .iter()
        .map(|r| {
            (
                relative(r, root),
                r["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}

fn is_symlink(snap: &Snapshot, path: &Path) -> bool {
    matches!(snap.get(path), Some(Entry::Link(_)))
}

fn check_interpreter(interp: &Interpreter) -> Result<(), String> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (root, outside) = (temp.path().join("root"), temp.path().join("outside"));
    std::fs::create_dir_all(&outside).map_err(|e| e.to_string())?;
    let built = tree_py(
        &interp.executable,
        &["audit".as_ref(), root.as_os_str(), outside.as_os_str()],
    )?;
    let expect: BTreeMap<PathBuf, String> = built["expect"]
        .as_object()
        .ok_or("no expectations")?
        .iter()
        .map(|(k, v)| (PathBuf::from(k), v.as_str().unwrap_or("").to_string()))
        .collect();

    // The tree holds what it was built to hold, as the audit sees it.
    let audited = statuses(&root)?;
    for (path, status) in &expect {
        let got = audited.get(path).map(String::as_str);
        ensure!(
            got == Some(status),
            "{}: built {status}, audited {got:?}",
            path.display()
        );
    }
    let before = snapshot::take(&root);
    let outside_before = snapshot::take(&outside);
    let keep = ["--keep", "sourceless", "--format", "json"];

    // A dry run lists what would go, exits 1, and changes nothing.
    let (code, dry) = json_run(&[&["clean", "--dry-run"][..], &keep].concat(), &[&root])?;
    ensure!(code == 1, "dry run exited {code}");
    let changed = snapshot::diff(&before, &snapshot::take(&root));
    ensure!(
        changed.is_empty(),
        "the dry run changed the tree: {changed:?}"
    );
    let would = with_outcome(&dry, "would_remove", &root);

    let (code, done) = json_run(&[&["clean"][..], &keep].concat(), &[&root])?;
    ensure!(code == 0, "clean exited {code}: {done}");
    let removed = with_outcome(&done, "removed", &root);
    ensure!(
        removed == would,
        "removed {removed:?}\nbut the dry run said {would:?}"
    );
    for (path, status) in &expect {
        let protected = path.starts_with("sourceless") || is_symlink(&before, path);
        let should_go = CLEANED.contains(&status.as_str()) && !protected;
        ensure!(
            removed.contains(path) == should_go,
            "{} ({status}): removed {}",
            path.display(),
            removed.contains(path)
        );
    }
    for dir in ["empty/__pycache__", "ghost/__pycache__"] {
        ensure!(!root.join(dir).exists(), "{dir} is still there");
    }

    // Nothing left at the cleaned statuses, but what --keep and the symlink rule protect.
    let after = snapshot::take(&root);
    for (path, status) in statuses(&root)? {
        let protected = path.starts_with("sourceless") || is_symlink(&before, &path);
        ensure!(
            !CLEANED.contains(&status.as_str()) || protected,
            "{} is still {status}",
            path.display()
        );
    }
    untouched(&before, &after, &audited)?;
    let outside_changed = snapshot::diff(&outside_before, &snapshot::take(&outside));
    ensure!(
        outside_changed.is_empty(),
        "outside the root: {outside_changed:?}"
    );

    // Without --keep the sourceless deployment goes too, and then nothing is left to do.
    let (code, dry) = json_run(&["clean", "-n", "--format", "json"], &[&root])?;
    let sourceless: BTreeSet<PathBuf> = expect
        .keys()
        .filter(|p| p.starts_with("sourceless"))
        .cloned()
        .collect();
    let would = with_outcome(&dry, "would_remove", &root);
    ensure!(
        code == 1 && would == sourceless,
        "exit {code}, would remove {would:?}"
    );
    let (code, _) = json_run(&["clean", "--format", "json"], &[&root])?;
    ensure!(code == 0, "second clean exited {code}");
    let (code, dry) = json_run(&["clean", "-n", "--format", "json"], &[&root])?;
    let left = with_outcome(&dry, "would_remove", &root);
    ensure!(
        code == 0 && left.is_empty(),
        "exit {code}, still to remove: {left:?}"
    );
    Ok(())
}

/// Fresh caches, sources, symlinks and the kept tree are exactly as they were.
fn untouched(
    before: &Snapshot,
    after: &Snapshot,
    audited: &BTreeMap<PathBuf, String>,
) -> Result<(), String> {
    let fresh: BTreeSet<&PathBuf> = audited
        .iter()
        .filter(|(_, s)| *s == "fresh")
        .map(|(p, _)| p)
        .collect();
    ensure!(
        fresh.len() >= 3,
        "only {} fresh caches: {fresh:?}",
        fresh.len()
    );
    for (path, entry) in before {
        let name = path.to_string_lossy();
        let keep = fresh.contains(path)
            || name.ends_with(".py")
            || matches!(entry, Entry::Link(_))
            || path.starts_with("sourceless");
        if keep {
            ensure!(
                after.get(path) == Some(entry),
                "{} changed or vanished",
                path.display()
            );
        }
    }
    Ok(())
}
