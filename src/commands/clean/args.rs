//! The `clean` command's arguments: definitions and help text only (see `clean::config` for
//! what they resolve to).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use serde::Deserialize;

use crate::cli::{AuditArgs, ColorChoice, Format};
use crate::verdict::model::Status;

#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// Files or directories to clean, or sources (.py) whose every cache to clean [default: .,
    /// or with --pycache-prefix the whole prefix tree].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Remove the caches with these statuses (comma-separated); debris means leftover
    /// temporary files and empty __pycache__ directories [default:
    /// orphan,stale,mismatch,corrupt,suspect,diverged,debris].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
    pub status: Option<Vec<CleanStatus>>,

    /// List what would be removed and why, and remove nothing (exit 1 if anything would be).
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Never remove anything matching GLOB or below it (by name, or by path below the root
    /// if it has a '/'): trees that ship sourceless caches by design; repeatable; adds to the
    /// config file's `keep`.
    #[arg(long, value_name = "GLOB")]
    pub keep: Vec<String>,

    /// Rebuild the removed stale, suspect, mismatched and corrupt caches whose source exists,
    /// with the interpreter that reads them, keeping their invalidation mode and optimisation
    /// level.
    #[arg(long)]
    pub recompile: bool,

    /// Allow a root that is the filesystem root or the home directory.
    #[arg(long)]
    pub force: bool,

    /// Output format [default: table].
    #[arg(long, value_parser = clean_format())]
    pub format: Option<Format>,

    /// With --format paths: separate paths with NUL instead of newline (for xargs -0).
    #[arg(short = '0', long)]
    pub print0: bool,

    /// When to colour the table [default: auto].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    // The audit options (--exclude: not audited, never removed; --deep: caches damaged past
    // the header are judged corrupt and removed).
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// The formats of a removal report: `github` and `sarif` annotate findings, which is `check`'s
/// job, so `clean` does not offer them.
fn clean_format() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["table", "json", "jsonl", "paths"])
        .map(|s| <Format as ValueEnum>::from_str(&s, false).expect("every listed name is a Format"))
}

/// The statuses `clean` can remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CleanStatus {
    Orphan,
    Stale,
    Mismatch,
    Corrupt,
    Suspect,
    /// Caches whose code is not their source's (found only with --verify).
    Diverged,
    /// Temporary files of interrupted cache writes, and empty `__pycache__` directories.
    Debris,
    /// Caches whose tag no interpreter given with `--python` uses (removed by default then).
    Leftover,
}

impl CleanStatus {
    pub fn status(self) -> Status {
        match self {
            CleanStatus::Orphan => Status::Orphan,
            CleanStatus::Stale => Status::Stale,
            CleanStatus::Mismatch => Status::Mismatch,
            CleanStatus::Corrupt => Status::Corrupt,
            CleanStatus::Suspect => Status::Suspect,
            CleanStatus::Diverged => Status::Diverged,
            CleanStatus::Debris => Status::Debris,
            CleanStatus::Leftover => Status::Leftover,
        }
    }
}
