//! The `clean` command's arguments: definitions and help text only (see `clean::config` for
//! what they resolve to).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::{ColorChoice, Format};
use crate::model::Status;

#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// Files or directories to clean.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Remove the caches with these statuses (comma-separated); debris means leftover
    /// temporary files and empty __pycache__ directories.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "STATUS",
        default_value = "orphan,stale,mismatch,corrupt,suspect,diverged,debris"
    )]
    pub status: Vec<CleanStatus>,

    /// List what would be removed and why, and remove nothing (exit 1 if anything would be).
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Never remove anything matching GLOB or below it (by name, or by path below the root
    /// if it has a '/'): trees that ship sourceless caches by design; repeatable.
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

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// With --format paths: separate paths with NUL instead of newline (for xargs -0).
    #[arg(short = '0', long)]
    pub print0: bool,

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Also walk the whole marshal body of every cache, so caches damaged past the header are
    /// judged corrupt (and removed).
    #[arg(long)]
    pub deep: bool,

    /// Have each loaded cache's interpreter compile its source and compare the code with the
    /// cache's, so caches that hold other code than their source (diverged) are removed.
    #[arg(long)]
    pub verify: bool,

    /// Skip files and directories matching GLOB entirely: not audited, never removed;
    /// repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

/// The statuses `clean` can remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
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
        }
    }
}
