//! `pyc-audit clean`: remove exactly the caches the audit condemns, and nothing else.
//!
//! The run is `config` → a guard on the roots → the audit (the same as `check`) → `plan`
//! (which records to act on: a pure function of the records, the statuses and `--keep`) →
//! `remove` (each file re-checked by `safety` and judged again right before its removal) →
//! `recompile` (optional) → the `__pycache__` directories left empty → `report` → exit code.
//! The order and the reasons it leaves a consistent tree after a crash are in `remove`.

pub mod args;
pub mod config;
pub mod interpreters;
pub mod outcome;
pub mod plan;
pub mod recompile;
pub mod remove;
pub mod report;
pub mod safety;

use std::collections::HashSet;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::audit;
use crate::diag;
use crate::exit::ExitStatus;
use crate::model::{Action, Kind, Status, Summary};
use crate::prefix::Plan;
use crate::report::escaped_path;
use crate::walk::WalkOptions;
use args::CleanArgs;
use config::{CleanConfig, Mode};
use outcome::{CleanSummary, Outcome, RebuildOutcome, Row};
use plan::Planned;

/// Runs `clean`; `Err` only for failures that stop the whole run before anything is removed.
pub fn run(args: CleanArgs) -> Result<ExitStatus> {
    let config = CleanConfig::from_args(args)?;
    if !config.force {
        guard_roots(&config.roots)?;
    }
    let (rows, summary) = clean(&config);
    warn(&rows, config.mode);
    let opts = report::Options {
        format: config.format,
        color: config.color,
        print0: config.print0,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    report::render(&rows, &summary, &opts, &mut out)?;
    out.flush()?;
    Ok(exit_status(&summary))
}

/// Audits, removes, rebuilds: every row, sorted by path, and the totals.
pub fn clean(config: &CleanConfig) -> (Vec<Row>, CleanSummary) {
    let opts = WalkOptions {
        follow: false,
        exclude: &config.exclude,
        prune: None,
    };
    // In-tree caches only: a pycache-prefix tree is audited by `check --pycache-prefix`.
    let plan = Plan::new(&config.roots, None, Path::new(""));
    let (mut records, walk_errors) = audit::audit(&plan, &opts, config.checks);
    let verified = config
        .checks
        .verify
        .then(|| crate::verify::verify_records(&mut records));
    for e in &walk_errors {
        diag::error(&format!("{}: {}", escaped_path(&e.path), e.message));
    }
    let mut audit_summary = Summary::of(&records);
    audit_summary.errors += walk_errors.len();
    audit_summary.verify = verified;
    let planned = plan::plan(records, &config.roots, &config.statuses, &config.keep);
    let mut rows = execute(planned, config);
    rows.sort_by(|a, b| a.record.path.cmp(&b.record.path));
    let dry_run = config.mode == Mode::DryRun;
    let summary = CleanSummary::of(&rows, dry_run, audit_summary, walk_errors.len());
    (rows, summary)
}

/// Removes the planned files, rebuilds, then removes the directories left empty; rebuilding
/// before the directories keeps a `__pycache__` whose caches are all rebuilt.
pub fn execute(planned: Vec<Planned>, config: &CleanConfig) -> Vec<Row> {
    let (dirs, files): (Vec<Planned>, Vec<Planned>) = planned
        .into_iter()
        .partition(|p| p.record.kind == Kind::Directory);
    let ctx = remove::Context {
        mode: config.mode,
        statuses: &config.statuses,
        depth: config.checks.depth,
    };
    let mut done = remove::files(files, &ctx);
    if config.recompile {
        let mut finder = interpreters::Finder::default();
        let rows = done.iter_mut().map(|d| &mut d.row);
        recompile::rebuild(rows, config.mode, config.checks.depth, &mut finder);
    }
    let staying: HashSet<PathBuf> = done
        .iter()
        .filter(|d| {
            d.row
                .rebuild
                .as_ref()
                .is_some_and(|r| r.outcome == RebuildOutcome::WouldRebuild)
        })
        .map(|d| d.row.record.path.clone())
        .collect();
    let dir_rows = remove::directories(dirs, &done, &staying, config.mode);
    done.into_iter().map(|d| d.row).chain(dir_rows).collect()
}

/// Refuses a root that is the filesystem root or the home directory.
fn guard_roots(roots: &[PathBuf]) -> Result<()> {
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .and_then(|h| Path::new(&h).canonicalize().ok());
    for root in roots {
        let Ok(canonical) = root.canonicalize() else {
            continue;
        };
        if let Some(why) = safety::refused_root(&canonical, home.as_deref()) {
            bail!(
                "refusing to clean {}: {why} (pass --force to clean it anyway)",
                escaped_path(root)
            );
        }
    }
    Ok(())
}

/// Diagnostics on stderr: failures, and sourceless caches that still imported.
fn warn(rows: &[Row], mode: Mode) {
    for row in rows.iter().filter(|r| r.outcome == Outcome::Failed) {
        let why = row.outcome_reason.as_deref().unwrap_or(&row.record.reason);
        diag::error(&format!("{}: {why}", escaped_path(&row.record.path)));
    }
    let importable = rows
        .iter()
        .filter(|r| {
            r.outcome.removes()
                && r.record.status == Status::Orphan
                && r.record.python_action == Action::Load
        })
        .count();
    if importable > 0 {
        let verb = match mode {
            Mode::DryRun => "would remove",
            Mode::Remove => "removed",
        };
        diag::warning(&format!(
            "{verb} {importable} sourceless cache(s) that Python could still import; if a tree \
             ships without sources by design, protect it with --keep"
        ));
    }
}

/// 2 when something could not be read or removed; with `--dry-run`, 1 when something would
/// be removed; else 0.
pub fn exit_status(summary: &CleanSummary) -> ExitStatus {
    if summary.failed > 0 {
        ExitStatus::Error
    } else if summary.dry_run && summary.files + summary.directories > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let mut s = CleanSummary::default();
        assert_eq!(exit_status(&s), ExitStatus::Success);
        s.files = 1;
        assert_eq!(exit_status(&s), ExitStatus::Success);
        s.dry_run = true;
        assert_eq!(exit_status(&s), ExitStatus::Findings);
        s.failed = 1;
        assert_eq!(exit_status(&s), ExitStatus::Error);
        let dirs_only = CleanSummary {
            dry_run: true,
            directories: 1,
            ..CleanSummary::default()
        };
        assert_eq!(exit_status(&dirs_only), ExitStatus::Findings);
    }
}
