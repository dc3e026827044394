//! The resolved configuration: arguments validated, globs compiled, colour decided from the
//! terminal and the environment, the pycache prefix taken from the flag or the environment,
//! all in one place so the rest of the program reads plain values.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::audit::{Checks, Depth};
use crate::cli::{CheckArgs, ColorChoice, FailOn, Format};
use crate::environment::{self, EnvVariable};

/// Everything a check run needs.
#[derive(Debug)]
pub struct Config {
    /// The paths to audit, as given; `.` when none were given, except with `--pycache-prefix`,
    /// where no path means the whole prefix tree.
    pub roots: Vec<PathBuf>,
    /// The pycache prefix Python runs with, if any.
    pub prefix: Option<PycachePrefix>,
    /// The environment variables that change what Python does with caches (none with
    /// `--no-env`).
    pub environment: Vec<EnvVariable>,
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

/// A pycache prefix and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PycachePrefix {
    /// As given: relative to the current directory when relative, as Python resolves it.
    pub dir: PathBuf,
    pub origin: PrefixOrigin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixOrigin {
    Flag,
    Environment,
}

impl Config {
    /// Resolves the arguments against the process environment.
    pub fn from_args(args: CheckArgs) -> Result<Config> {
        Config::resolve(args, &|key| std::env::var_os(key))
    }

    /// Resolves the arguments, looking environment variables up with `lookup`.
    pub fn resolve(args: CheckArgs, lookup: &dyn Fn(&str) -> Option<OsString>) -> Result<Config> {
        if args.print0 && args.format != Format::Paths {
            bail!("-0/--print0 needs --format paths");
        }
        let color = use_color(args.color);
        let none: &dyn Fn(&str) -> Option<OsString> = &|_| None;
        let lookup = if args.no_env { none } else { lookup };
        let prefix = match (args.pycache_prefix, environment::pycache_prefix(lookup)) {
            (Some(dir), _) => Some(PycachePrefix {
                dir,
                origin: PrefixOrigin::Flag,
            }),
            (None, Some(dir)) => Some(PycachePrefix {
                dir,
                origin: PrefixOrigin::Environment,
            }),
            (None, None) => None,
        };
        let from_flag = prefix
            .as_ref()
            .is_some_and(|p| p.origin == PrefixOrigin::Flag);
        let roots = if args.paths.is_empty() && !from_flag {
            vec![PathBuf::from(".")]
        } else {
            args.paths
        };
        let mut environment = environment::report(lookup);
        if from_flag {
            for var in environment
                .iter_mut()
                .filter(|v| v.name == environment::PYCACHE_PREFIX)
            {
                var.effect
                    .push_str(" (this audit uses --pycache-prefix instead)");
            }
        }
        Ok(Config {
            roots,
            prefix,
            environment,
            format: args.format,
            print0: args.print0,
            all: args.all,
            color,
            fail_on: args.fail_on,
            follow: args.follow,
            checks: Checks {
                depth: Depth::of(args.deep),
                source_date_epoch: environment::source_date_epoch(lookup),
                verify: args.verify,
            },
            exclude: globs(&args.exclude, "--exclude")?,
        })
    }
}

/// Colour when stdout is a terminal, `NO_COLOR` is unset or empty, and `TERM` is not `dumb`.
pub fn auto_color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    std::io::stdout().is_terminal() && !no_color && !dumb
}

/// Whether to colour: `--color always`, `never`, or for `auto` as [`auto_color`] decides.
pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto_color(),
    }
}

/// Compiles the globs of `flag` (`--exclude`, `--keep`): `/` is literal, a trailing `/`
/// ignored.
pub(crate) fn globs(patterns: &[String], flag: &str) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern.trim_end_matches('/'))
            .literal_separator(true)
            .build()
            .with_context(|| format!("invalid {flag} glob {pattern:?}"))?;
        builder.add(glob);
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config_in(args: &[&str], env: &[(&str, &str)]) -> Result<Config> {
        let cli = crate::cli::Cli::try_parse_from(
            std::iter::once("pyc-audit").chain(args.iter().copied()),
        )?;
        let lookup = |key: &str| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        };
        Config::resolve(cli.check, &lookup)
    }

    fn config(args: &[&str]) -> Result<Config> {
        config_in(args, &[])
    }

    #[test]
    fn no_path_means_dot_or_the_whole_prefix_tree() {
        let plain = config(&[]).unwrap();
        assert_eq!(
            (plain.roots, plain.prefix),
            (vec![PathBuf::from(".")], None)
        );
        let whole = config(&["--pycache-prefix", "/pfx"]).unwrap();
        assert!(whole.roots.is_empty());
        assert_eq!(whole.prefix.unwrap().origin, PrefixOrigin::Flag);
        // A prefix from the environment is ambient: no path still means `.`.
        let env = [("PYTHONPYCACHEPREFIX", "rel")];
        let ambient = config_in(&[], &env).unwrap();
        assert_eq!(ambient.roots, [PathBuf::from(".")]);
        let prefix = ambient.prefix.unwrap();
        assert_eq!(prefix.dir, PathBuf::from("rel"));
        assert_eq!(prefix.origin, PrefixOrigin::Environment);
    }

    #[test]
    fn the_flag_beats_the_environment_and_no_env_ignores_it() {
        let env = [("PYTHONPYCACHEPREFIX", "/env"), ("SOURCE_DATE_EPOCH", "1")];
        let flag = config_in(&["--pycache-prefix", "/flag", "src"], &env).unwrap();
        assert_eq!(flag.prefix.unwrap().dir, PathBuf::from("/flag"));
        assert_eq!(flag.environment.len(), 2);
        let clean = config_in(&["--no-env"], &env).unwrap();
        assert_eq!(clean.prefix, None);
        assert!(clean.environment.is_empty());
        let empty = config_in(&[], &[("PYTHONPYCACHEPREFIX", "")]).unwrap();
        assert_eq!(empty.prefix, None);
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
