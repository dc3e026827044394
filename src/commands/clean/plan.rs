//! Which of the audit's records `clean` acts on, and how: a pure function of the records, the
//! roots, the selected statuses and `--keep`.
//!
//! Caches with a selected status are removed; so are debris (temporary files, empty
//! `__pycache__` directories) when `debris` is selected. Unreadable caches are rows that fail:
//! the audit could not judge them, so the run cannot say that nothing is left to do. Fresh
//! caches and clamped rows (advice about a whole tree) are never acted on; a ghost package
//! directory (its orphaned caches are rows of their own) is removed only when the removals
//! leave it empty, so that `import` of the deleted package stops succeeding.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use super::config::{Keep, DEFAULT_STATUSES};
use super::safety::below_root;
use crate::report::Cleanable;
use crate::verdict::model::{Kind, Record, Status};

/// What to do with one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Remove,
    /// A ghost package directory: removed (`rmdir`) only once the removals leave it empty.
    RemoveIfEmptied,
    Keep(String),
    Fail(String),
}

/// A record `clean` acts on, with the root it was found under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub record: Record,
    pub root: PathBuf,
    pub decision: Decision,
}

/// Plans every record; records found under two overlapping roots are planned once.
pub fn plan(
    records: Vec<Record>,
    roots: &[PathBuf],
    statuses: &HashSet<Status>,
    keep: &Keep,
) -> Vec<Planned> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for record in records {
        if !seen.insert((record.path.clone(), record.kind == Kind::Directory)) {
            continue;
        }
        let Some(decision) = decide(&record, statuses) else {
            continue;
        };
        let Some(root) = roots.iter().find(|r| below_root(r, &record.path).is_some()) else {
            let decision = Decision::Keep("not below a given root".into());
            out.push(Planned {
                root: PathBuf::new(),
                record,
                decision,
            });
            continue;
        };
        let decision = match (decision, kept_by(keep, root, &record.path)) {
            (Decision::Remove, Some(glob)) => {
                Decision::Keep(format!("protected by --keep {glob:?}"))
            }
            (Decision::RemoveIfEmptied, Some(_)) => continue,
            (d, _) => d,
        };
        out.push(Planned {
            root: root.clone(),
            record,
            decision,
        });
    }
    out
}

/// What the selection says of a record, before `--keep`; `None` for records left alone.
fn decide(record: &Record, statuses: &HashSet<Status>) -> Option<Decision> {
    match (record.kind, record.status) {
        (_, Status::Unreadable) => Some(Decision::Fail(record.reason.to_string())),
        (Kind::Directory, Status::Ghost) => Some(Decision::RemoveIfEmptied),
        (Kind::Cache | Kind::File | Kind::Directory, status)
            if status.is_removable() && statuses.contains(&status) =>
        {
            Some(Decision::Remove)
        }
        _ => None,
    }
}

/// The `--keep` glob that protects `path`: one matching the name of `path` or of a directory
/// between the root and it, or the path of one of them relative to the root.
pub fn kept_by<'k>(keep: &'k Keep, root: &Path, path: &Path) -> Option<&'k str> {
    if keep.set.is_empty() {
        return None;
    }
    let rel = below_root(root, path)?;
    let mut prefix = PathBuf::new();
    let names: Vec<&std::ffi::OsStr> = if rel.as_os_str().is_empty() {
        path.file_name().into_iter().collect()
    } else {
        rel.components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n),
                _ => None,
            })
            .collect()
    };
    for name in names {
        prefix.push(name);
        let hit = keep
            .set
            .matches(name)
            .into_iter()
            .chain(keep.set.matches(&prefix))
            .next();
        if let Some(i) = hit {
            return Some(&keep.patterns[i]);
        }
    }
    None
}

/// The `--keep` patterns that protected nothing this run would otherwise act on.
pub fn unused_keeps<'k>(planned: &[Planned], keep: &'k Keep) -> Vec<&'k str> {
    let used: HashSet<&str> = planned
        .iter()
        .filter_map(|p| kept_by(keep, &p.root, &p.record.path))
        .collect();
    let mut unused: Vec<&str> = Vec::new();
    for pattern in keep.patterns.iter().map(String::as_str) {
        if !used.contains(pattern) && !unused.contains(&pattern) {
            unused.push(pattern);
        }
    }
    unused
}

/// What `clean` would remove, for `check`'s next-step line: plans `clean` with its default
/// statuses over `records`; the bytes are the files' sizes now (a file already gone counts
/// none).
pub(crate) fn cleanable(records: &[Record], roots: &[PathBuf]) -> Cleanable {
    let statuses: HashSet<Status> = DEFAULT_STATUSES.iter().map(|s| s.status()).collect();
    let keep = Keep {
        set: globset::GlobSet::empty(),
        patterns: Vec::new(),
    };
    let mut cleanable = Cleanable::default();
    for planned in plan(records.to_vec(), roots, &statuses, &keep) {
        if planned.decision != Decision::Remove {
            continue;
        }
        if planned.record.kind == Kind::Directory {
            cleanable.directories += 1;
        } else {
            cleanable.files += 1;
            let meta = planned.record.path.symlink_metadata();
            cleanable.bytes += meta.map(|m| m.len()).unwrap_or(0);
        }
    }
    cleanable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::model::Action;
    use globset::GlobSetBuilder;

    fn keep(patterns: &[&str]) -> Keep {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            b.add(
                globset::GlobBuilder::new(p)
                    .literal_separator(true)
                    .build()
                    .unwrap(),
            );
        }
        Keep {
            set: b.build().unwrap(),
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn rec(path: &str, kind: Kind, status: Status) -> Record {
        let mut r = Record::finding(kind, path.into(), status, Action::Skip, "why");
        r.kind = kind;
        r
    }

    #[test]
    fn keep_matches_names_and_relative_paths_of_ancestors() {
        let k = keep(&["deploy", "vendor/*/legacy", "*.opt-1.pyc"]);
        let root = Path::new("r");
        let hit = |p: &str| kept_by(&k, root, Path::new(p));
        assert_eq!(hit("r/deploy/a.pyc"), Some("deploy"));
        assert_eq!(
            hit("r/x/deploy/__pycache__/a.cpython-311.pyc"),
            Some("deploy")
        );
        assert_eq!(hit("r/vendor/lib/legacy/m.pyc"), Some("vendor/*/legacy"));
        assert_eq!(hit("r/x/vendor/lib/legacy/m.pyc"), None);
        assert_eq!(
            hit("r/__pycache__/m.cpython-311.opt-1.pyc"),
            Some("*.opt-1.pyc")
        );
        assert_eq!(hit("r/src/m.pyc"), None);
        assert_eq!(
            kept_by(&k, Path::new("r/deploy"), Path::new("r/deploy/a.pyc")),
            None
        );
        assert_eq!(kept_by(&keep(&[]), root, Path::new("r/deploy/a.pyc")), None);
    }

    #[test]
    fn selects_statuses_fails_unreadable_and_ignores_the_rest() {
        let all: HashSet<Status> = [Status::Orphan, Status::Stale, Status::Debris].into();
        let records = vec![
            rec("r/a.pyc", Kind::Cache, Status::Fresh),
            rec("r/b.pyc", Kind::Cache, Status::Stale),
            rec("r/c.pyc", Kind::Cache, Status::Corrupt),
            rec("r/d.pyc", Kind::Cache, Status::Unreadable),
            rec("r/e.pyc.123", Kind::File, Status::Debris),
            rec("r/p/__pycache__", Kind::Directory, Status::Debris),
            rec("r/g", Kind::Directory, Status::Ghost),
            rec("r", Kind::Tree, Status::Clamped),
            rec("r/keep/o.pyc", Kind::Cache, Status::Orphan),
            rec("r/b.pyc", Kind::Cache, Status::Stale),
        ];
        let planned = plan(records, &[PathBuf::from("r")], &all, &keep(&["keep"]));
        let got: Vec<(&str, &Decision)> = planned
            .iter()
            .map(|p| (p.record.path.to_str().unwrap(), &p.decision))
            .collect();
        assert_eq!(
            got,
            [
                ("r/b.pyc", &Decision::Remove),
                ("r/d.pyc", &Decision::Fail("why".into())),
                ("r/e.pyc.123", &Decision::Remove),
                ("r/p/__pycache__", &Decision::Remove),
                ("r/g", &Decision::RemoveIfEmptied),
                (
                    "r/keep/o.pyc",
                    &Decision::Keep("protected by --keep \"keep\"".into())
                ),
            ]
        );
    }
}
