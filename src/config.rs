//! The resolved configuration: arguments validated, globs compiled, colour decided from the
//! terminal and the environment, the pycache prefix taken from the flag or the environment,
//! all in one place so the rest of the program reads plain values.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::cli::{AuditArgs, CheckArgs, ColorChoice, FailOn, Format};
use crate::find::prefix::{Plan, PrefixPlan};
use crate::find::source_caches;
use crate::python::environment::{self, EnvVariable};
use crate::python::optimize::Optimize;
use crate::python::pythons::{self, Running};
use crate::report::{self, diag};
use crate::settings::{self, Choice, Settings};
use crate::verdict::audit::{Checks, Depth};

/// What every command audits and how: the shared options resolved once, with the config file
/// and the environment, so check, explain and clean audit the same caches with the same
/// verdicts and report the same environment.
#[derive(Debug)]
pub struct Config {
    /// The paths to audit, as given; `.` when none were given, except with `--pycache-prefix`
    /// on the command line, where no path means the whole prefix tree.
    pub roots: Vec<PathBuf>,
    /// The pycache prefix Python runs with, if any.
    pub prefix: Option<PycachePrefix>,
    /// The environment variables that change what Python does with caches (none with
    /// `--no-env`).
    pub environment: Vec<EnvVariable>,
    pub follow: bool,
    pub exclude: GlobSet,
    /// How deep to check, and the environment the checks depend on.
    pub checks: Checks,
    /// The config file's values, for the options of one command; defaults when none.
    pub settings: Settings,
    /// The current directory, absolute (Python mirrors sources by absolute path).
    pub cwd: PathBuf,
    /// The interpreters that run the tree (`--python`, else the config file's `python`).
    pub running: Vec<Running>,
    /// The optimisation level Python runs at: `--optimize`, else the config file's
    /// `optimize`, else `PYTHONOPTIMIZE` (unless `--no-env`).
    pub optimize: Optimize,
    /// Ask git about the caches (`--no-git` or the config file's `no-git` say no).
    pub git: bool,
}

/// Everything a check run needs.
#[derive(Debug)]
pub(crate) struct CheckConfig {
    pub audit: Config,
    pub format: Format,
    /// NUL-separated paths (only with `Format::Paths`).
    pub print0: bool,
    /// Include records without a severity.
    pub all: bool,
    /// Colour the table.
    pub color: bool,
    pub fail_on: FailOn,
}

/// A pycache prefix and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PycachePrefix {
    /// As given: relative to the current directory when relative, as Python resolves it (from
    /// a config file: relative to the file's directory).
    pub dir: PathBuf,
    pub origin: PrefixOrigin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrefixOrigin {
    Flag,
    ConfigFile,
    Environment,
}

impl Config {
    /// Resolves the shared options against the config file they choose and the process
    /// environment; says which file was used with `--verbose`.
    pub fn load(args: &AuditArgs, paths: Vec<PathBuf>) -> Result<Config> {
        // A deleted current directory still allows an audit of absolute paths.
        let cwd = std::env::current_dir();
        let choice = match (&args.config, args.isolated, &cwd) {
            (_, true, _) => Choice::Isolated,
            (Some(file), false, _) => Choice::Named(file),
            (None, false, Ok(cwd)) => Choice::Discover(cwd),
            (None, false, Err(_)) => Choice::Isolated,
        };
        let loaded = settings::load(choice)?;
        if args.verbose {
            match &loaded.file {
                Some(file) => {
                    diag::note(&format!("using config file {}", report::escaped_path(file)))
                }
                None if args.isolated => diag::note("no config file (--isolated)"),
                None => diag::note("no config file found"),
            }
        }
        let lookup = |key: &str| std::env::var_os(key);
        let config = Config::resolve(args, paths, &lookup, loaded.settings, PathBuf::new())?;
        let cwd = match (&config.prefix, cwd) {
            (_, Ok(cwd)) => cwd,
            (None, Err(_)) => PathBuf::new(),
            (Some(_), Err(e)) => {
                return Err(e).context("cannot read the current directory");
            }
        };
        Ok(Config { cwd, ..config })
    }

    /// Resolves the shared options, looking environment variables up with `lookup`.
    pub fn resolve(
        args: &AuditArgs,
        paths: Vec<PathBuf>,
        lookup: &dyn Fn(&str) -> Option<OsString>,
        settings: Settings,
        cwd: PathBuf,
    ) -> Result<Config> {
        let none: &dyn Fn(&str) -> Option<OsString> = &|_| None;
        let no_env = args.no_env || settings.no_env == Some(true);
        let lookup = if no_env { none } else { lookup };
        let prefix = match (&args.pycache_prefix, &settings.pycache_prefix) {
            (Some(dir), _) => Some((dir.clone(), PrefixOrigin::Flag)),
            (None, Some(dir)) if !dir.as_os_str().is_empty() => {
                Some((dir.clone(), PrefixOrigin::ConfigFile))
            }
            _ => environment::pycache_prefix(lookup).map(|d| (d, PrefixOrigin::Environment)),
        }
        .map(|(dir, origin)| PycachePrefix { dir, origin });
        let from_flag = prefix
            .as_ref()
            .is_some_and(|p| p.origin == PrefixOrigin::Flag);
        let roots = if paths.is_empty() && !from_flag {
            vec![PathBuf::from(".")]
        } else {
            paths
        };
        let mut environment = environment::report(lookup);
        if let Some(p) = prefix
            .as_ref()
            .filter(|p| p.origin != PrefixOrigin::Environment)
        {
            let instead = match p.origin {
                PrefixOrigin::Flag => "--pycache-prefix",
                _ => "the config file's pycache-prefix",
            };
            for var in environment
                .iter_mut()
                .filter(|v| v.name == environment::PYCACHE_PREFIX)
            {
                var.effect
                    .push_str(&format!(" (this audit uses {instead} instead)"));
            }
        }
        let mut patterns = match (&args.exclude[..], &settings.exclude) {
            ([], Some(file)) => file.clone(),
            (given, _) => given.to_vec(),
        };
        patterns.extend(settings.extend_exclude.iter().flatten().cloned());
        patterns.extend(args.extend_exclude.iter().cloned());
        let specs = match (&args.pythons[..], &settings.python) {
            ([], Some(file)) => file.clone(),
            (given, _) => given.to_vec(),
        };
        let running = pythons::resolve_all(&specs).map_err(anyhow::Error::msg)?;
        let optimize = match args.optimize.or(settings.optimize) {
            Some(level) => {
                for var in environment
                    .iter_mut()
                    .filter(|v| v.name == environment::OPTIMIZE)
                {
                    var.effect
                        .push_str(&format!(" (this audit uses level {level} instead)"));
                }
                Optimize::flag(level)
            }
            None => environment::optimize(lookup),
        };
        Ok(Config {
            prefix,
            environment,
            follow: args.follow || settings.follow == Some(true),
            checks: Checks {
                depth: Depth::of(args.deep || settings.deep == Some(true)),
                source_date_epoch: environment::source_date_epoch(lookup),
                verify: args.verify || settings.verify == Some(true),
            },
            exclude: globs(&patterns, "--exclude", &roots)?,
            roots,
            running,
            optimize,
            git: !(args.no_git || settings.no_git == Some(true)),
            settings,
            cwd,
        })
    }

    /// What to walk: the roots (a source argument stands for its caches) and, with a prefix,
    /// the part of the prefix tree that mirrors them.
    pub fn plan(&self) -> Plan {
        Plan {
            running: self.running.clone(),
            optimize: self.optimize,
            git: self.git,
            ..self.walked()
        }
    }

    fn walked(&self) -> Plan {
        let prefix = self.prefix.as_ref().map(|p| p.dir.as_path());
        if self.roots.is_empty() {
            return Plan::new(&[], prefix, &self.cwd);
        }
        let roots = self.expanded_roots();
        if roots.is_empty() {
            // Only sources without caches: nothing to walk (not the whole prefix tree).
            let mut plan = Plan::new(&[], prefix, &self.cwd);
            plan.prefix = plan.prefix.map(|p| PrefixPlan {
                trees: Vec::new(),
                ..p
            });
            return plan;
        }
        Plan::new(&roots, prefix, &self.cwd)
    }

    /// The roots with every source argument replaced by its caches; a source that neither
    /// exists nor left a cache stays, for the walk to report it missing.
    fn expanded_roots(&self) -> Vec<PathBuf> {
        let prefix = self.prefix.as_ref().map(|p| p.dir.as_path());
        let mut roots = Vec::new();
        for root in &self.roots {
            if !source_caches::is_source_argument(root) {
                roots.push(root.clone());
                continue;
            }
            let found = source_caches::find(root, prefix, &self.cwd);
            for error in &found.errors {
                diag::error(&format!("{}: {error}", report::escaped_path(root)));
            }
            if found.caches.is_empty() && root.symlink_metadata().is_err() {
                roots.push(root.clone());
            }
            roots.extend(found.caches.into_iter().map(|(f, _, _)| f.path));
        }
        roots
    }

    /// Says once where the prefix comes from when the environment or a config file set it,
    /// and warns when it does not exist beside paths to audit (nothing was cached there yet,
    /// or it is misspelt; alone, a missing prefix is a path that cannot be walked).
    pub fn announce(&self) {
        let Some(prefix) = &self.prefix else {
            return;
        };
        let shown = report::escaped_path(&prefix.dir);
        let absolute = report::escaped_path(&crate::find::prefix::lexical_absolute(
            &prefix.dir,
            &self.cwd,
        ));
        let origin = match prefix.origin {
            PrefixOrigin::Environment => Some(format!(
                "PYTHONPYCACHEPREFIX={shown}: Python 3.8+ keeps its caches in {absolute}, so \
                 those are audited and __pycache__ files count as never read (--no-env ignores it)"
            )),
            PrefixOrigin::ConfigFile => Some(format!(
                "pycache-prefix from the config file: Python 3.8+ keeps its caches in {absolute}, \
                 so those are audited and __pycache__ files count as never read"
            )),
            PrefixOrigin::Flag => None,
        };
        if let Some(note) = origin {
            diag::note(&note);
        }
        if !self.roots.is_empty() && prefix.dir.symlink_metadata().is_err() {
            diag::warning(&format!("pycache prefix {shown} does not exist"));
        }
    }

    /// The prefix directory as the summary shows it (absolute).
    pub fn shown_prefix(&self) -> Option<String> {
        let dir = &self.prefix.as_ref()?.dir;
        Some(crate::verdict::model::display_path(
            &crate::find::prefix::lexical_absolute(dir, &self.cwd),
        ))
    }

    /// A prefix directory, if any, as a path.
    pub fn prefix_dir(&self) -> Option<&Path> {
        self.prefix.as_ref().map(|p| p.dir.as_path())
    }
}

impl CheckConfig {
    /// Resolves `check`'s arguments: the shared ones, then its own (command line, then the
    /// config file, then the default).
    pub(crate) fn from_args(args: CheckArgs) -> Result<CheckConfig> {
        let audit = Config::load(&args.audit, args.paths)?;
        CheckConfig::with(
            audit,
            args.format,
            args.print0,
            args.all,
            args.color,
            args.fail_on,
        )
    }

    fn with(
        audit: Config,
        format: Option<Format>,
        print0: bool,
        all: bool,
        color: Option<ColorChoice>,
        fail_on: Option<FailOn>,
    ) -> Result<CheckConfig> {
        let s = &audit.settings;
        let format = format.or(s.format).unwrap_or(Format::Table);
        if print0 && format != Format::Paths {
            bail!("-0/--print0 needs --format paths");
        }
        Ok(CheckConfig {
            format,
            print0,
            all: all || s.all == Some(true),
            color: use_color(color.or(s.color).unwrap_or(ColorChoice::Auto)),
            fail_on: fail_on.or(s.fail_on).unwrap_or(FailOn::Warning),
            audit,
        })
    }
}

/// Colour when `FORCE_COLOR` is set and not empty or `CLICOLOR_FORCE` is set and not `0` (as
/// ruff honours them, even over `NO_COLOR`); otherwise when stdout is a terminal, `NO_COLOR` is
/// unset or empty, and `TERM` is not `dumb`.
pub(crate) fn auto_color() -> bool {
    let forced = std::env::var_os("FORCE_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0");
    if forced {
        return true;
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
    std::io::stdout().is_terminal() && !no_color && !dumb
}

/// Whether to colour: `--color always`, `never`, or for `auto` as [`auto_color`] decides.
pub(crate) fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto_color(),
    }
}

/// Compiles the globs of `flag` (`--exclude`, `--keep`): `/` is literal; every spelling of a
/// place below a root (`./x`, `x/`, `root/x`, `/abs/root/x`) becomes `x` (see `spelling`).
pub(crate) fn globs(patterns: &[String], flag: &str, roots: &[PathBuf]) -> Result<GlobSet> {
    Ok(globs_of(patterns, flag, roots)?.0)
}

/// [`globs`], and for each compiled glob the pattern it was written as.
pub(crate) fn globs_of(
    patterns: &[String],
    flag: &str,
    roots: &[PathBuf],
) -> Result<(GlobSet, Vec<String>)> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut builder = GlobSetBuilder::new();
    let mut written = Vec::new();
    for pattern in patterns {
        for form in crate::find::spelling::spellings(pattern, roots, &cwd) {
            let glob = GlobBuilder::new(&form)
                .literal_separator(true)
                .build()
                .with_context(|| format!("invalid {flag} glob {pattern:?}"))?;
            builder.add(glob);
            written.push(pattern.clone());
        }
    }
    Ok((builder.build()?, written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn resolve_with(args: &[&str], env: &[(&str, &str)], file: Settings) -> Result<CheckConfig> {
        let cli = crate::cli::Cli::try_parse_from(
            std::iter::once("pyc-audit").chain(args.iter().copied()),
        )?;
        let lookup = |key: &str| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        };
        let a = cli.check;
        let audit = Config::resolve(&a.audit, a.paths, &lookup, file, PathBuf::from("/w"))?;
        CheckConfig::with(audit, a.format, a.print0, a.all, a.color, a.fail_on)
    }

    fn config_in(args: &[&str], env: &[(&str, &str)]) -> Result<Config> {
        resolve_with(args, env, Settings::default()).map(|c| c.audit)
    }

    fn config(args: &[&str]) -> Result<CheckConfig> {
        resolve_with(args, &[], Settings::default())
    }

    #[test]
    fn no_path_means_dot_or_the_whole_prefix_tree() {
        let plain = config_in(&[], &[]).unwrap();
        assert_eq!(
            (plain.roots, plain.prefix),
            (vec![PathBuf::from(".")], None)
        );
        let whole = config_in(&["--pycache-prefix", "/pfx"], &[]).unwrap();
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
        assert!(c.audit.exclude.is_match("build"));
        assert!(c.audit.exclude.is_match("vendor/a.pyc"));
        assert!(!c.audit.exclude.is_match("vendor/sub/a.pyc"));
        assert!(!c.color);
        assert!(config(&["--exclude", "a[b"]).is_err());
    }

    #[test]
    fn the_command_line_beats_the_file_and_the_file_beats_the_defaults() {
        let file = Settings {
            exclude: Some(vec!["build".into()]),
            extend_exclude: Some(vec!["dist".into()]),
            fail_on: Some(FailOn::Error),
            format: Some(Format::Json),
            deep: Some(true),
            pycache_prefix: Some(PathBuf::from("/file-pfx")),
            ..Settings::default()
        };
        let env = [("PYTHONPYCACHEPREFIX", "/env")];
        let from_file = resolve_with(&[], &env, file.clone()).unwrap();
        assert_eq!(from_file.format, Format::Json);
        assert_eq!(from_file.fail_on, FailOn::Error);
        assert_eq!(from_file.audit.checks.depth, Depth::Body);
        assert!(from_file.audit.exclude.is_match("build"));
        assert!(from_file.audit.exclude.is_match("dist"));
        let prefix = from_file.audit.prefix.unwrap();
        assert_eq!(prefix.origin, PrefixOrigin::ConfigFile);
        assert_eq!(
            from_file.audit.roots,
            [PathBuf::from(".")],
            "a file prefix is ambient"
        );
        let args = [
            "--format",
            "table",
            "--fail-on",
            "info",
            "--exclude",
            "other",
            "--pycache-prefix",
            "/f",
        ];
        let cli = resolve_with(&args, &env, file).unwrap();
        assert_eq!((cli.format, cli.fail_on), (Format::Table, FailOn::Info));
        assert!(
            !cli.audit.exclude.is_match("build"),
            "--exclude replaces the file's"
        );
        assert!(
            cli.audit.exclude.is_match("dist"),
            "extend-exclude still adds"
        );
        assert_eq!(cli.audit.prefix.unwrap().dir, PathBuf::from("/f"));
        let defaults = config(&[]).unwrap();
        assert_eq!(
            (defaults.format, defaults.fail_on),
            (Format::Table, FailOn::Warning)
        );
    }
}
