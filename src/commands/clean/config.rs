//! The resolved `clean` configuration: statuses to remove, `--keep` and `--exclude` globs
//! compiled, colour decided, all validated before anything is walked or removed.

use std::collections::HashSet;

use anyhow::{bail, Result};
use globset::GlobSet;

use crate::cli::{CleanArgs, CleanStatus};
use crate::cli::{ColorChoice, Format};
use crate::config::{globs_of, use_color, Config};
use crate::verdict::model::Status;

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

/// Everything a clean run needs: the audit's configuration, shared with check and explain,
/// and clean's own options.
#[derive(Debug)]
pub struct CleanConfig {
    pub audit: Config,
    /// The statuses whose caches (and, for debris, files and directories) are removed.
    pub statuses: HashSet<Status>,
    pub mode: Mode,
    pub keep: Keep,
    pub recompile: bool,
    pub force: bool,
    pub format: Format,
    pub print0: bool,
    pub color: bool,
}

/// What `clean` removes unless told otherwise (`--status`, or the config file's `status`).
pub(crate) const DEFAULT_STATUSES: [CleanStatus; 7] = [
    CleanStatus::Orphan,
    CleanStatus::Stale,
    CleanStatus::Mismatch,
    CleanStatus::Corrupt,
    CleanStatus::Suspect,
    CleanStatus::Diverged,
    CleanStatus::Debris,
];

/// The default selection; with `--python`, leftovers too (nothing that runs the tree reads
/// them).
fn default_statuses(audit: &Config) -> Vec<CleanStatus> {
    let mut statuses = DEFAULT_STATUSES.to_vec();
    if !audit.running.is_empty() {
        statuses.push(CleanStatus::Leftover);
    }
    statuses
}

impl CleanConfig {
    /// Resolves the arguments: the shared ones with the config file and the environment, then
    /// clean's own (command line, then `[tool.pyc-audit.clean]`, then the default; `--keep`
    /// adds to the file's `keep`).
    pub fn from_args(args: CleanArgs) -> Result<CleanConfig> {
        let audit = Config::load(&args.audit, args.paths.clone())?;
        CleanConfig::with(audit, args)
    }

    /// Resolves clean's own arguments on a resolved audit configuration.
    pub fn with(audit: Config, args: CleanArgs) -> Result<CleanConfig> {
        let s = &audit.settings;
        let format = args.format.or(s.format).unwrap_or(Format::Table);
        if args.print0 && format != Format::Paths {
            bail!("-0/--print0 needs --format paths");
        }
        let statuses = args
            .status
            .or_else(|| s.clean.status.clone())
            .unwrap_or_else(|| default_statuses(&audit));
        let mut keep = s.clean.keep.clone().unwrap_or_default();
        keep.extend(args.keep);
        let (keep_set, keep_patterns) = globs_of(&keep, "--keep", &audit.roots)?;
        Ok(CleanConfig {
            statuses: statuses.iter().map(|s| CleanStatus::status(*s)).collect(),
            mode: if args.dry_run {
                Mode::DryRun
            } else {
                Mode::Remove
            },
            keep: Keep {
                set: keep_set,
                patterns: keep_patterns,
            },
            recompile: args.recompile || s.clean.recompile == Some(true),
            force: args.force,
            format,
            print0: args.print0,
            color: use_color(args.color.or(s.color).unwrap_or(ColorChoice::Auto)),
            audit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::path::PathBuf;

    fn config(args: &[&str]) -> Result<CleanConfig> {
        let cli = crate::cli::Cli::try_parse_from(
            ["pyc-audit", "clean"]
                .into_iter()
                .chain(args.iter().copied()),
        )?;
        match cli.command {
            Some(crate::cli::Command::Clean(a)) => {
                let audit = Config::resolve(
                    &a.audit,
                    a.paths.clone(),
                    &|_| None,
                    Default::default(),
                    std::path::PathBuf::from("/w"),
                )?;
                CleanConfig::with(audit, a)
            }
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
        assert_eq!(c.audit.roots, [PathBuf::from(".")]);
        assert!(!c.statuses.contains(&Status::Fresh));
    }

    #[test]
    fn status_list_keep_and_flags() {
        let c = config(&["--status", "orphan,debris", "--keep", "deploy", "-n", "x"]).unwrap();
        assert_eq!(c.statuses, [Status::Orphan, Status::Debris].into());
        assert_eq!(c.mode, Mode::DryRun);
        assert!(c.keep.set.is_match("deploy"));
        assert_eq!(c.audit.roots, [PathBuf::from("x")]);
        assert!(config(&["--status", "fresh"]).is_err());
        assert!(config(&["--status", "unreadable"]).is_err());
        assert!(config(&["--keep", "a[b"]).is_err());
        assert!(config(&["-0"]).is_err());
    }
}
