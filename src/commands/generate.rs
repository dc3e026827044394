//! `generate-shell-completion SHELL` and the hidden `generate-man`: completion scripts and the
//! man page, rendered from the same clap definition as the parser, so they never go stale.

use std::io::{self, Write};

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;
use crate::report::exit::ExitStatus;

/// Prints the completion script for `shell` on stdout.
pub(crate) fn completion(shell: clap_complete::Shell) -> Result<ExitStatus> {
    let mut command = Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(shell, &mut command, "pyc-audit", &mut out);
    out.flush()?;
    Ok(ExitStatus::Success)
}

/// Prints the man page (roff) on stdout.
pub(crate) fn man() -> Result<ExitStatus> {
    let mut out = io::stdout().lock();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    out.flush()?;
    Ok(ExitStatus::Success)
}
