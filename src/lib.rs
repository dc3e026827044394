//! pyc-audit: audit Python bytecode caches exactly as the interpreter that reads them would.
//!
//! The pipeline is `config` → `walk` → `audit` (which calls the pure `verdict` on every cache,
//! in parallel) → `report` → `exit`. Only [`run`] and the CLI types are the binary's interface.

pub mod audit;
pub mod clean;
pub mod cli;
pub mod config;
pub mod diag;
pub mod environment;
pub mod exit;
pub mod explain;
pub mod mirror;
pub mod model;
pub mod naming;
pub mod prefix;
pub mod pyc;
pub mod report;
pub mod source;
pub mod survey;
pub mod tree;
pub mod verdict;
pub mod verify;
pub mod walk;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use crate::config::{Config, PrefixOrigin, PycachePrefix};
use crate::exit::ExitStatus;
use crate::model::{display_path, Status, Summary};
use crate::prefix::Plan;
use crate::report::{RenderOptions, Report};
use crate::walk::WalkOptions;

/// Runs the command line; `Err` only for failures that stop the whole run.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    let args = match cli.command {
        Some(Command::Check(args)) => args,
        Some(Command::Explain(args)) => return explain::run(args),
        Some(Command::Clean(args)) => return clean::run(args),
        None => cli.check,
    };
    check(Config::from_args(args)?)
}

fn check(config: Config) -> Result<ExitStatus> {
    let opts = WalkOptions {
        follow: config.follow,
        exclude: &config.exclude,
        prune: None,
    };
    // Python mirrors sources by absolute path: only a prefix needs the current directory.
    let cwd = match &config.prefix {
        Some(_) => std::env::current_dir().context("cannot read the current directory")?,
        None => PathBuf::new(),
    };
    let prefix_dir = config.prefix.as_ref().map(|p| p.dir.as_path());
    let plan = Plan::new(&config.roots, prefix_dir, &cwd);
    if let Some(prefix) = &config.prefix {
        announce(prefix, &cwd, !config.roots.is_empty());
    }
    let (mut records, walk_errors) = audit::audit(&plan, &opts, config.checks);
    let verified = config
        .checks
        .verify
        .then(|| verify::verify_records(&mut records));
    for e in &walk_errors {
        diag::error(&format!("{}: {}", report::escaped_path(&e.path), e.message));
    }
    for r in records.iter().filter(|r| r.status == Status::Unreadable) {
        diag::warning(&format!("{}: {}", report::escaped_path(&r.path), r.reason));
    }
    let mut summary = Summary::of(&records);
    summary.errors += walk_errors.len();
    summary.pycache_prefix = prefix_dir.map(|p| display_path(&prefix::lexical_absolute(p, &cwd)));
    summary.environment = config.environment.clone();
    summary.verify = verified;
    let shown = records
        .iter()
        .filter(|r| config.all || r.severity.is_some())
        .collect();
    let report = Report {
        shown,
        summary: &summary,
    };
    let opts = RenderOptions {
        format: config.format,
        color: config.color,
        print0: config.print0,
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    report::render(&report, &opts, &mut out)?;
    out.flush()?;
    Ok(exit::policy(&records, walk_errors.len(), config.fail_on))
}

/// Says once where the prefix comes from when the environment set it, and warns when it does
/// not exist beside paths to audit (nothing was cached there yet, or it is misspelt; alone, a
/// missing prefix is a path that cannot be walked).
fn announce(prefix: &PycachePrefix, cwd: &Path, with_paths: bool) {
    let shown = report::escaped_path(&prefix.dir);
    if prefix.origin == PrefixOrigin::Environment {
        let absolute = report::escaped_path(&prefix::lexical_absolute(&prefix.dir, cwd));
        diag::note(&format!(
            "PYTHONPYCACHEPREFIX={shown}: Python 3.8+ keeps its caches in {absolute}, so those \
             are audited and __pycache__ files count as never read (--no-env ignores it)"
        ));
    }
    if with_paths && prefix.dir.symlink_metadata().is_err() {
        diag::warning(&format!("pycache prefix {shown} does not exist"));
    }
}
