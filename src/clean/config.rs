//! The resolved `clean` configuration: statuses to remove, `--keep` and `--exclude` globs
//! compiled, colour decided, all validated before anything is walked or removed.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{bail, Result};
use globset::GlobSet;

use super::args::{CleanArgs, CleanStatus};
use crate::audit::{Checks, Depth};
use crate::cli::Format;
use crate::config::{globs, use_color};
use crate::environment;
use crate::model::Status;

/// Whether anything is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Report what would be removed; touch nothing.
    DryRun,
    Remove,
}

/// `--keep`: the globs and their text, to say which one protected a path.
#[derive(Debug)]
pub struct Keep {
    pub set: GlobSet,
    pub patterns: Vec<String>,
}

/// Everything a clean run needs.
#[derive(Debug)]
pub struct CleanConfig {
    pub roots: Vec<PathBuf>,
    /// The statuses whose caches (and, for debris, files and directories) are removed.
    pub statuses: HashSet<Status>,
    pub mode: Mode,
    pub keep: Keep,
    pub recompile: bool,
    pub force: bool,
    pub format: Format,
    pub print0: bool,
    pub color: bool,
    pub exclude: GlobSet,
    pub checks: Checks,
}

impl CleanConfig {
    pub fn from_args(args: CleanArgs) -> Result<CleanConfig> {
        if args.print0 && args.format != Format::Paths {
            bail!("-0/--print0 needs --format paths");
        }
        Ok(CleanConfig {
            roots: args.paths,
            statuses: args
                .status
                .iter()
                .map(|s| CleanStatus::status(*s))
                .collect(),
            mode: if args.dry_run {
                Mode::DryRun
            } else {
                Mode::Remove
            },
            keep: Keep {
                set: globs(&args.keep, "--keep")?,
                patterns: args.keep,
            },
            recompile: args.recompile,
            force: args.force,
            format: args.format,
            print0: args.print0,
            color: use_color(args.color),
            exclude: globs(&args.exclude, "--exclude")?,
            checks: Checks {
                depth: Depth::of(args.deep),
                source_date_epoch: environment::source_date_epoch(&|key| std::env::var_os(key)),
                verify: args.verify,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(args: &[&str]) -> Result<CleanConfig> {
        let cli = crate::cli::Cli::try_parse_from(
            ["pyc-audit", "clean"]
                .into_iter()
                .chain(args.iter().copied()),
        )?;
        match cli.command {
            Some(crate::cli::Command::Clean(a)) => CleanConfig::from_args(a),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults_remove_every_useless_status() {
        let c = config(&[]).unwrap();
        let want: HashSet<Status> = [
            Status::Orphan,
            Status::Stale,
            Status::Mismatch,
            Status::Corrupt,
            Status::Suspect,
            Status::Diverged,
            Status::Debris,
        ]
        .into();
        assert_eq!(c.statuses, want);
        assert_eq!(c.mode, Mode::Remove);
        assert_eq!(c.roots, [PathBuf::from(".")]);
        assert!(!c.statuses.contains(&Status::Fresh));
    }

    #[test]
    fn status_list_keep_and_flags() {
        let c = config(&["--status", "orphan,debris", "--keep", "deploy", "-n", "x"]).unwrap();
        assert_eq!(c.statuses, [Status::Orphan, Status::Debris].into());
        assert_eq!(c.mode, Mode::DryRun);
        assert!(c.keep.set.is_match("deploy"));
        assert_eq!(c.roots, [PathBuf::from("x")]);
        assert!(config(&["--status", "fresh"]).is_err());
        assert!(config(&["--status", "unreadable"]).is_err());
        assert!(config(&["--keep", "a[b"]).is_err());
        assert!(config(&["-0"]).is_err());
    }
}
