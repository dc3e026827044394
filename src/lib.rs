//! pyc-audit: audit Python bytecode caches exactly as the interpreter that reads them would.
//!
//! The folders are the pipeline, and every import points down it:
//! `commands` (one module per command, driven by `cli` and the one resolved `config`) →
//! `report` (tables, JSON, SARIF…, exit codes, diagnostics) → `verdict` (the only code that
//! decides a status, the audit that applies it to every cache, tree-wide findings; `verify`
//! beside it) → `find` (walk → pair) → `python` (what interpreters do) → `pyc` (the bytes).
//! Only [`run`], the CLI types and what `main` prints with are the binary's interface; the
//! integration tests reach further through [`internals`].

pub mod cli;
pub(crate) mod commands;
pub(crate) mod config;
pub(crate) mod find;
pub(crate) mod pyc;
pub(crate) mod python;
pub(crate) mod report;
pub(crate) mod settings;
pub(crate) mod verdict;
pub(crate) mod verify;

pub use crate::report::exit::ExitStatus;
/// What `main` prints with: the `pyc-audit:` diagnostics and the escaping of all human output.
pub use crate::report::{diag, escape};

/// What the project's integration tests drive below the command line, and nothing else: the
/// marshal validator against the interpreters, the byte formats it needs, and clean's plan
/// and removal against races. Re-exported from where each item lives, so that every module
/// stays `pub(crate)`; no stability is promised to anyone else.
pub mod internals {
    pub use crate::commands::clean::config::CleanConfig;
    pub use crate::commands::clean::outcome::Outcome;
    pub use crate::commands::clean::{execute, plan};
    pub use crate::find::prefix::Plan;
    pub use crate::find::walk::WalkOptions;
    pub use crate::pyc::magic::{identify, Implementation, MagicId, PyVersion};
    pub use crate::python::interp::{check_body, Interpreter};
    pub use crate::verdict::audit;
}

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::commands::{check, clean, explain, generate};
use crate::config::CheckConfig;

/// Runs the command line; `Err` only for failures that stop the whole run.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    diag::set_quiet(cli.quiet);
    let args = match cli.command {
        Some(Command::Check(args)) => args,
        Some(Command::Explain(args)) => return explain::run(args),
        Some(Command::Clean(args)) => return clean::run(args),
        Some(Command::GenerateShellCompletion { shell }) => return generate::completion(shell),
        Some(Command::GenerateMan) => return generate::man(),
        None => cli.check,
    };
    check::check(CheckConfig::from_args(args)?)
}
