//! What `clean` did with each path: a row per cache, file or directory it considered, and the
//! totals. These types are the JSON contract of `clean` (documented in the README): each row
//! is the audit's record plus `outcome`, `outcome_reason`, `bytes` and `rebuild`.

use serde::Serialize;

use crate::verdict::model::{Kind, Record, Summary};

/// What happened to one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Removed,
    /// `--dry-run`: it would have been removed.
    WouldRemove,
    /// Left in place on purpose: `--keep`, a symlink, fresh again since the audit, ...
    Kept,
    /// Already gone when its turn came (another process removed it).
    Gone,
    /// Could not be read or removed; the exit code is 2.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Removed => "removed",
            Outcome::WouldRemove => "would_remove",
            Outcome::Kept => "kept",
            Outcome::Gone => "gone",
            Outcome::Failed => "failed",
        }
    }

    /// Removed, or would be.
    pub fn removes(self) -> bool {
        matches!(self, Outcome::Removed | Outcome::WouldRemove)
    }
}

/// Whether a removed cache was rebuilt (`--recompile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RebuildOutcome {
    Rebuilt,
    /// `--dry-run`: it would be rebuilt with the interpreter named.
    WouldRebuild,
    NotRebuilt,
}

/// The rebuild of one removed cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rebuild {
    pub outcome: RebuildOutcome,
    /// The interpreter used (or that would be), when one was found.
    pub interpreter: Option<String>,
    /// What the audit says of the new cache, or why it was not rebuilt.
    pub reason: String,
}

/// One row: the record as the audit (or the re-check just before removal) judged it, and
/// what `clean` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    #[serde(flatten)]
    pub record: Record,
    pub outcome: Outcome,
    /// Why it was kept, gone or failed; null when removed as the audit says.
    pub outcome_reason: Option<String>,
    /// The size of a file removed (or that would be); 0 for directories and other outcomes.
    pub bytes: u64,
    pub rebuild: Option<Rebuild>,
}

impl Row {
    pub fn new(record: Record, outcome: Outcome, why: Option<String>) -> Row {
        Row {
            record,
            outcome,
            outcome_reason: why,
            bytes: 0,
            rebuild: None,
        }
    }

    pub fn is_directory(&self) -> bool {
        self.record.kind == Kind::Directory
    }
}

/// Totals of a clean run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct CleanSummary {
    pub dry_run: bool,
    /// Files removed (or that would be).
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// `__pycache__` directories removed (or that would be).
    pub directories: usize,
    pub kept: usize,
    pub gone: usize,
    /// Rows that failed, plus paths the walk could not read.
    pub failed: usize,
    pub rebuilt: usize,
    pub not_rebuilt: usize,
    /// The audit before anything was removed.
    pub audit: Summary,
}

impl CleanSummary {
    pub(crate) fn of(
        rows: &[Row],
        dry_run: bool,
        audit: Summary,
        walk_errors: usize,
    ) -> CleanSummary {
        let mut s = CleanSummary {
            dry_run,
            failed: walk_errors,
            audit,
            ..CleanSummary::default()
        };
        for row in rows {
            match row.outcome {
                Outcome::Removed | Outcome::WouldRemove if row.is_directory() => s.directories += 1,
                Outcome::Removed | Outcome::WouldRemove => {
                    s.files += 1;
                    s.bytes += row.bytes;
                }
                Outcome::Kept => s.kept += 1,
                Outcome::Gone => s.gone += 1,
                Outcome::Failed => s.failed += 1,
            }
            match row.rebuild.as_ref().map(|r| r.outcome) {
                Some(RebuildOutcome::Rebuilt | RebuildOutcome::WouldRebuild) => s.rebuilt += 1,
                Some(RebuildOutcome::NotRebuilt) => s.not_rebuilt += 1,
                None => {}
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::model::{Action, Status};
    use std::path::PathBuf;

    #[test]
    fn summary_counts_files_bytes_and_directories() {
        let mut file = Row::new(Record::example(), Outcome::Removed, None);
        file.bytes = 100;
        let mut rebuilt = file.clone();
        rebuilt.rebuild = Some(Rebuild {
            outcome: RebuildOutcome::Rebuilt,
            interpreter: Some("python3.11".into()),
            reason: String::new(),
        });
        let dir = Row::new(
            Record::finding(
                Kind::Directory,
                PathBuf::from("__pycache__"),
                Status::Debris,
                Action::Skip,
                String::new(),
            ),
            Outcome::Removed,
            None,
        );
        let kept = Row::new(Record::example(), Outcome::Kept, Some("--keep".into()));
        let failed = Row::new(Record::example(), Outcome::Failed, Some("EIO".into()));
        let rows = [file, rebuilt, dir, kept, failed];
        let s = CleanSummary::of(&rows, false, Summary::default(), 2);
        assert_eq!((s.files, s.bytes, s.directories), (2, 200, 1));
        assert_eq!((s.kept, s.failed, s.rebuilt, s.gone), (1, 3, 1, 0));
    }

    #[test]
    fn rows_serialise_flat() {
        let row = Row::new(Record::example(), Outcome::WouldRemove, None);
        let v = serde_json::to_value(&row).unwrap();
        assert_eq!(v["outcome"], "would_remove");
        assert_eq!(v["status"], "fresh");
        assert!(v["rebuild"].is_null());
        assert!(v.get("record").is_none());
    }
}
