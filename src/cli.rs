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
    /// Explain one cache, or every cache of a source: header, rules, import, fix.
    Explain(ExplainArgs),
    /// Remove the caches the audit condemns (orphan, stale, mismatch, corrupt, suspect) and
    /// debris; fresh caches and sources are never touched.
    Clean(crate::clean::args::CleanArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files or directories to audit [default: ., or with --pycache-prefix the whole prefix tree].
    #[arg(value_name = "PATH")]
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

    /// Have each loaded cache's interpreter compile its source and compare the code with the
    /// cache's: finds sources replaced under a matching header (status diverged).
    #[arg(long)]
    pub verify: bool,

    /// Audit the caches Python keeps under DIR for the given paths (as with PYTHONPYCACHEPREFIX or -X pycache_prefix=DIR).
    #[arg(long, value_name = "DIR")]
    pub pycache_prefix: Option<PathBuf>,

    /// Ignore PYTHONPYCACHEPREFIX and report no environment variables.
    #[arg(long)]
    pub no_env: bool,

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
    /// One file per line (caches and temporary files; never a directory).
    Paths,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// Caches (.pyc, .pyo) to explain, or sources (.py) whose every cache to explain.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,

    /// When to colour the text.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Also have the cache's interpreter compile the source and compare the code (one more
    /// rule, verify).
    #[arg(long)]
    pub verify: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// One block per cache: header, source, rules, import action, fix.
    Text,
    /// One JSON document: schema_version, files, summary.
    Json,
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
        assert!(args.paths.is_empty(), "config decides what no path means");
    }

    #[test]
    fn explain_takes_files() {
        let cli = Cli::parse_from(["pyc-audit", "explain", "--format", "json", "m.py", "x.pyc"]);
        let Some(Command::Explain(args)) = cli.command else {
            panic!()
        };
        assert_eq!(args.files, [PathBuf::from("m.py"), PathBuf::from("x.pyc")]);
        assert_eq!(args.format, ExplainFormat::Json);
        assert!(Cli::try_parse_from(["pyc-audit", "explain"]).is_err());
    }
}
