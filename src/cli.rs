//! Command-line arguments of every command (check, explain, clean, generate-*, and the audit
//! options they share): definitions and help text only, no I/O (see `config` for what
//! they resolve to).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

use crate::verdict::model::Status;

/// Audit Python bytecode caches: find the .pyc files that are stale, orphaned,
/// version-mismatched or corrupt, judged exactly as the interpreter that reads them.
#[derive(Debug, Parser)]
#[command(name = "pyc-audit", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub check: CheckArgs,

    /// Print nothing but errors; the exit code still tells the outcome.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit every cache under the given paths (the default command).
    Check(CheckArgs),
    /// Explain one cache, or every cache of a source: header, rules, import, fix.
    Explain(ExplainArgs),
    /// Remove the caches the audit condemns (orphan, stale, mismatch, corrupt, suspect) and
    /// debris; fresh caches and sources are never touched.
    Clean(CleanArgs),
    /// Print the shell completion script for SHELL.
    ///
    /// For example: `pyc-audit generate-shell-completion bash >
    /// ~/.local/share/bash-completion/completions/pyc-audit`.
    GenerateShellCompletion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) of pyc-audit.
    #[command(hide = true)]
    GenerateMan,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files or directories to audit, or sources (.py) whose every cache to audit [default: .,
    /// or with --pycache-prefix the whole prefix tree].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format [default: table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// With --format paths: separate paths with NUL instead of newline (for xargs -0).
    #[arg(short = '0', long)]
    pub print0: bool,

    /// Also list caches without findings (fresh ones).
    #[arg(short, long)]
    pub all: bool,

    /// When to colour the table [default: auto].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    /// Exit 1 when a finding at or above this severity exists [default: warning].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    #[command(flatten)]
    pub audit: AuditArgs,
}

/// The options every command shares: what is audited and how. `config` resolves them once,
/// with the config file and the environment, into the same `Config` for check, explain and
/// clean.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Audit options (shared by check, explain and clean)")]
pub struct AuditArgs {
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

    /// An interpreter that runs this tree (a version such as 3.12 or pypy3.9, or an
    /// executable); repeatable. Caches whose tag none of them uses are `leftover`, and legacy
    /// files are judged by each of them.
    #[arg(long = "python", value_name = "VERSION|EXECUTABLE")]
    pub pythons: Vec<String>,

    /// The optimisation level Python runs at, as with -O (1) or -OO (2): the import then reads
    /// opt-N caches (.pyo before 3.5) and not the plain ones. Overrides PYTHONOPTIMIZE.
    #[arg(long, value_name = "LEVEL", value_parser = clap::value_parser!(u8).range(0..=2))]
    pub optimize: Option<u8>,

    /// Do not ask git which caches it tracks or ignores.
    #[arg(long)]
    pub no_git: bool,

    /// Ignore the environment: PYTHONPYCACHEPREFIX, PYTHONDONTWRITEBYTECODE and
    /// SOURCE_DATE_EPOCH are neither honoured nor reported.
    #[arg(long)]
    pub no_env: bool,

    /// Skip files and directories matching GLOB (by name, or by path below the root if it has
    /// a '/'); repeatable; replaces the config file's `exclude`.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Like --exclude, but adds to the config file's `exclude` instead of replacing it.
    #[arg(long, value_name = "GLOB")]
    pub extend_exclude: Vec<String>,

    /// Read the settings from this TOML file (a pyproject.toml with a [tool.pyc-audit] table, or
    /// a pyc-audit.toml) instead of the one found from the current directory upwards.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Ignore every config file.
    #[arg(long)]
    pub isolated: bool,

    /// Say on stderr which config file was used.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A table of findings and a summary line.
    Table,
    /// One JSON document: schema_version, findings, summary.
    Json,
    /// One JSON record per line.
    Jsonl,
    /// One file per line (caches and temporary files; never a directory).
    Paths,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
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

    /// When to colour the text [default: auto].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// One block per cache: header, source, rules, import action, fix.
    Text,
    /// One JSON document: schema_version, files, summary.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

/// The arguments of `clean` (see `commands::clean::config` for what they resolve to).
#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// Files or directories to clean, or sources (.py) whose every cache to clean [default: .,
    /// or with --pycache-prefix the whole prefix tree].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Remove the caches with these statuses (comma-separated); debris means leftover
    /// temporary files and empty __pycache__ directories [default:
    /// orphan,stale,mismatch,corrupt,suspect,diverged,debris].
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STATUS")]
    pub status: Option<Vec<CleanStatus>>,

    /// List what would be removed and why, and remove nothing (exit 1 if anything would be).
    #[arg(short = 'n', long)]
    pub dry_run: bool,

    /// Never remove anything matching GLOB or below it (by name, or by path below the root
    /// if it has a '/'): trees that ship sourceless caches by design; repeatable; adds to the
    /// config file's `keep`.
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

    /// Output format [default: table].
    #[arg(long, value_parser = clean_format())]
    pub format: Option<Format>,

    /// With --format paths: separate paths with NUL instead of newline (for xargs -0).
    #[arg(short = '0', long)]
    pub print0: bool,

    /// When to colour the table [default: auto].
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,

    // The audit options (--exclude: not audited, never removed; --deep: caches damaged past
    // the header are judged corrupt and removed).
    #[command(flatten)]
    pub audit: AuditArgs,
}

/// The formats of a removal report: `github` and `sarif` annotate findings, which is `check`'s
/// job, so `clean` does not offer them.
fn clean_format() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["table", "json", "jsonl", "paths"])
        .map(|s| <Format as ValueEnum>::from_str(&s, false).expect("every listed name is a Format"))
}

/// The statuses `clean` can remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// Caches whose tag no interpreter given with `--python` uses (removed by default then).
    Leftover,
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
            CleanStatus::Leftover => Status::Leftover,
        }
    }
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
        assert_eq!(args.format, Some(Format::Json));
        assert!(args.paths.is_empty(), "config decides what no path means");
    }

    #[test]
    fn new_subcommands_keep_check_implicit() {
        let cli = Cli::parse_from(["pyc-audit", "generate-shell-completion", "zsh"]);
        assert!(matches!(
            cli.command,
            Some(Command::GenerateShellCompletion {
                shell: clap_complete::Shell::Zsh
            })
        ));
        let quiet = Cli::parse_from(["pyc-audit", "-q", "--format", "sarif", "src"]);
        assert!(quiet.quiet && quiet.command.is_none());
        assert_eq!(quiet.check.format, Some(Format::Sarif));
        let late = Cli::parse_from(["pyc-audit", "check", "src", "--quiet"]);
        assert!(late.quiet);
        assert!(Cli::try_parse_from(["pyc-audit", "generate-shell-completion", "tcsh"]).is_err());
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
