//! Command-line arguments: definitions and help text only, no I/O (see `config` for what
//! they resolve to).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Audit Python bytecode caches: find the .pyc files that are stale, orphaned,
/// version-mismatched or corrupt, judged exactly as the interpreter that reads them.
#[derive(Debug, Parser)]
#[command(name = "pyc-audit", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub check: CheckArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit every cache under the given paths (the default command).
    Check(CheckArgs),
    /// Remove the caches the audit condemns (orphan, stale, mismatch, corrupt, suspect) and
    /// debris; fresh caches and sources are never touched.
    Clean(crate::clean::args::CleanArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files or directories to audit.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// With --format paths: separate paths with NUL instead of newline (for xargs -0).
    #[arg(short = '0', long)]
    pub print0: bool,

    /// Also list caches without findings (fresh ones).
    #[arg(short, long)]
    pub all: bool,

    /// When to colour the table.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Exit 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Warning, value_name = "SEVERITY")]
    pub fail_on: FailOn,

    /// Follow symlinked directories.
    #[arg(short = 'L', long)]
    pub follow: bool,

    /// Walk the whole marshal body of every cache whose header is accepted, to find cut or
    /// damaged bodies (about 2x the time of the default header check).
    #[arg(long)]
    pub deep: bool,

    /// Skip files and directories matching GLOB (by name, or by path below the root if it has a '/'); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table of findings and a summary line.
    Table,
    /// One JSON document: schema_version, findings, summary.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// One cache path per line.
    Paths,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn check_is_the_default_command() {
        let bare = Cli::parse_from(["pyc-audit", "--all", "src"]);
        assert!(bare.command.is_none());
        assert_eq!(bare.check.paths, [PathBuf::from("src")]);
        let explicit = Cli::parse_from(["pyc-audit", "check", "--format", "json"]);
        let Some(Command::Check(args)) = explicit.command else {
            panic!()
        };
        assert_eq!(args.format, Format::Json);
        assert_eq!(args.paths, [PathBuf::from(".")]);
    }
}
