//! pyc-audit: audit Python bytecode caches exactly as the interpreter that reads them would.
//!
//! The folders are the pipeline, and every import points down it:
//! `commands` (one module per command, driven by `cli` and the one resolved `config`) →
//! `report` (tables, JSON, SARIF…, exit codes, diagnostics) → `verdict` (the only code that
//! decides a status, the audit that applies it to every cache, tree-wide findings; `verify`
//! beside it) → `find` (walk → pair) → `python` (what interpreters do) → `pyc` (the bytes).
//! Only [`run`] and the CLI types are the binary's interface.

pub mod cli;
pub mod commands;
pub mod config;
pub mod find;
pub mod pyc;
pub mod python;
pub mod report;
pub mod settings;
pub mod verdict;
pub mod verify;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::commands::{check, clean, explain, generate};
use crate::config::CheckConfig;
use crate::report::diag;
use crate::report::exit::ExitStatus;

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
