//! The resolved configuration: arguments validated, globs compiled, colour decided from the
//! terminal and the environment, all in one place so the rest of the program reads plain values.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::audit::{Checks, Depth};
use crate::cli::{CheckArgs, ColorChoice, FailOn, Format};

/// Everything a check run needs.
#[derive(Debug)]
pub struct Config {
    /// The paths to audit, as given.
    pub roots: Vec<PathBuf>,
    pub format: Format,
    /// NUL-separated paths (only with `Format::Paths`).
    pub print0: bool,
    /// Include records without a severity.
    pub all: bool,
    /// Colour the table.
    pub color: bool,
    pub fail_on: FailOn,
    pub follow: bool,
    pub exclude: GlobSet,
    /// How deep to check, and the environment the checks depend on.
    pub checks: Checks,
}

/// `SOURCE_DATE_EPOCH` as Python reads it (a decimal integer; unset, empty or not a number
/// means none).
pub(crate) fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}

impl Config {
    pub fn from_args(args: CheckArgs) -> Result<Config> {
        if args.print0 && args.format != Format::Paths {
            bail!("-0/--print0 needs --format paths");
        }
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => auto_color(),
        };
        Ok(Config {
            roots: args.paths,
            format: args.format,
            print0: args.print0,
            all: args.all,
            color,
            fail_on: args.fail_on,
            follow: args.follow,
            checks: Checks {
                depth: if args.deep {
                    Depth::Body
                } else {
                    Depth::Header
                },
                source_date_epoch: source_date_epoch(),
            },
            exclude: build_globs(&args.exclude)?,
        })
    }
}

/// Colour when stdout is a terminal, `NO_COLOR` is unset or empty, and `TERM` is not `dumb`.
pub(crate) fn auto_color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    std::io::stdout().is_terminal() && !no_color && !dumb
}

fn build_globs(patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern.trim_end_matches('/'))
            .literal_separator(true)
            .build()
            .with_context(|| format!("invalid --exclude glob {pattern:?}"))?;
        builder.add(glob);
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(args: &[&str]) -> Result<Config> {
        let cli = crate::cli::Cli::try_parse_from(
            std::iter::once("pyc-audit").chain(args.iter().copied()),
        )?;
        Config::from_args(cli.check)
    }

    #[test]
    fn print0_needs_paths_format() {
        assert!(config(&["-0"]).is_err());
        assert!(config(&["--format", "paths", "-0"]).unwrap().print0);
    }

    #[test]
    fn globs_match_names_and_relative_paths() {
        let c = config(&[
            "--exclude",
            "build",
            "--exclude",
            "vendor/*.pyc",
            "--color",
            "never",
        ])
        .unwrap();
        assert!(c.exclude.is_match("build"));
        assert!(c.exclude.is_match("vendor/a.pyc"));
        assert!(!c.exclude.is_match("vendor/sub/a.pyc"));
        assert!(!c.color);
        assert!(config(&["--exclude", "a[b"]).is_err());
    }
}
