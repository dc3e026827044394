//! The config file: `[tool.pyc-audit]` in `pyproject.toml`, or the top level of a
//! `pyc-audit.toml` / `.pyc-audit.toml`, found as ruff finds its settings.
//!
//! Discovery starts in the current directory and goes up to the filesystem root; the first
//! directory that has one wins, and in it `.pyc-audit.toml` beats `pyc-audit.toml`, which beats
//! a `pyproject.toml` with a `[tool.pyc-audit]` table (a `pyproject.toml` without one is passed
//! over). `--config FILE` names the file instead (a file named `pyproject.toml` is read for its
//! table, any other for its top level); `--isolated` reads none. Keys are the long options in
//! kebab-case, with a `[clean]` sub-table for the clean-only ones; an unknown key, a bad value
//! or malformed TOML is an error naming the file, the line and the key. A relative
//! `pycache-prefix` is relative to the file's directory, as ruff resolves paths.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use serde::Deserialize;

use crate::cli::CleanStatus;
use crate::cli::{ColorChoice, FailOn, Format};

/// The options a config file may set; unset keys leave the built-in default.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    pub exclude: Option<Vec<String>>,
    pub extend_exclude: Option<Vec<String>>,
    pub fail_on: Option<FailOn>,
    pub deep: Option<bool>,
    pub verify: Option<bool>,
    pub pycache_prefix: Option<PathBuf>,
    pub no_env: Option<bool>,
    pub follow: Option<bool>,
    pub format: Option<Format>,
    pub color: Option<ColorChoice>,
    pub all: Option<bool>,
    /// `python = ["3.12", "pypy3.9"]`: the interpreters that run the tree (`--python`).
    pub python: Option<Vec<String>>,
    /// `optimize = 1`: the level Python runs at (`--optimize`).
    pub optimize: Option<u8>,
    pub no_git: Option<bool>,
    #[serde(default)]
    pub clean: CleanSettings,
}

/// `[tool.pyc-audit.clean]`: the options only `clean` has.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CleanSettings {
    pub status: Option<Vec<CleanStatus>>,
    pub keep: Option<Vec<String>>,
    pub recompile: Option<bool>,
}

/// The settings and the file they came from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Loaded {
    pub file: Option<PathBuf>,
    pub settings: Settings,
}

/// Which config file to read.
#[derive(Clone, Debug)]
pub(crate) enum Choice<'a> {
    /// `--isolated`: none.
    Isolated,
    /// `--config FILE`.
    Named(&'a Path),
    /// Found from this directory upwards.
    Discover(&'a Path),
}

/// The file names looked for in each directory, most specific first.
const NAMES: [&str; 3] = [".pyc-audit.toml", "pyc-audit.toml", "pyproject.toml"];

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    #[serde(rename = "pyc-audit")]
    pyc_audit: Option<Settings>,
}

/// Reads the chosen config file; `Ok` with no file when there is none.
pub(crate) fn load(choice: Choice) -> Result<Loaded> {
    match choice {
        Choice::Isolated => Ok(Loaded::default()),
        Choice::Named(file) => {
            let settings = read(file)?.unwrap_or_default();
            Ok(resolved(file, settings))
        }
        Choice::Discover(start) => {
            for dir in start.ancestors() {
                for name in NAMES {
                    let file = dir.join(name);
                    if !file.is_file() {
                        continue;
                    }
                    if let Some(settings) = read(&file)? {
                        return Ok(resolved(&file, settings));
                    }
                }
            }
            Ok(Loaded::default())
        }
    }
}

/// Parses one file: `None` for a `pyproject.toml` without a `[tool.pyc-audit]` table.
fn read(file: &Path) -> Result<Option<Settings>> {
    let text = fs::read_to_string(file)
        .with_context(|| format!("cannot read config file {}", file.display()))?;
    let is_pyproject = file.file_name().is_some_and(|n| n == "pyproject.toml");
    let parsed = if is_pyproject {
        toml::from_str::<Pyproject>(&text).map(|p| p.tool.and_then(|t| t.pyc_audit))
    } else {
        toml::from_str::<Settings>(&text).map(Some)
    };
    let settings = parsed.map_err(|e| located(file, &text, &e))?;
    if let Some(s) = &settings {
        check_globs(file, &text, s)?;
    }
    Ok(settings)
}

/// Compiles every glob of the file, so that a bad one is reported with its file, key and line.
fn check_globs(file: &Path, text: &str, s: &Settings) -> Result<()> {
    let lists = [
        ("exclude", &s.exclude),
        ("extend-exclude", &s.extend_exclude),
        ("keep", &s.clean.keep),
    ];
    for (key, patterns) in lists {
        for pattern in patterns.iter().flatten() {
            if let Err(e) = crate::config::globs(std::slice::from_ref(pattern), key, &[]) {
                let line_no = text
                    .lines()
                    .position(|l| l.trim_start().starts_with(key) && l.contains(pattern.as_str()))
                    .or_else(|| text.lines().position(|l| l.trim_start().starts_with(key)))
                    .map_or(0, |i| i + 1);
                return Err(anyhow!("{}:{line_no}: key `{key}`: {e:#}", file.display()));
            }
        }
    }
    Ok(())
}

/// A TOML or schema error as `FILE:LINE: key `KEY`: MESSAGE`.
fn located(file: &Path, text: &str, e: &toml::de::Error) -> anyhow::Error {
    let message = e.message().trim_end();
    let Some(span) = e.span() else {
        return anyhow!("{}: {message}", file.display());
    };
    let start = span.start.min(text.len());
    let line_no = text[..start].matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    match key_of(line) {
        Some(key) => anyhow!("{}:{line_no}: key `{key}`: {message}", file.display()),
        None => anyhow!("{}:{line_no}: {message}", file.display()),
    }
}

/// The key a TOML line sets (`key = ...`), or the last part of the table it opens (`[a.b]`).
fn key_of(line: &str) -> Option<String> {
    let line = line.trim();
    let key = match line.strip_prefix('[') {
        Some(header) => header
            .trim_matches(|c| c == '[' || c == ']')
            .rsplit('.')
            .next()?,
        None => line.split_once('=')?.0,
    };
    let key = key.trim().trim_matches('"').trim_matches('\'');
    (!key.is_empty()).then(|| key.to_string())
}

/// Settings with their paths made relative to the file's directory.
fn resolved(file: &Path, mut settings: Settings) -> Loaded {
    let dir = file.parent().unwrap_or(Path::new(""));
    if let Some(prefix) = &settings.pycache_prefix {
        if prefix.is_relative() && !prefix.as_os_str().is_empty() {
            settings.pycache_prefix = Some(dir.join(prefix));
        }
    }
    Loaded {
        file: Some(file.to_path_buf()),
        settings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn every_key_parses() {
        let s: Settings = toml::from_str(
            r#"
            exclude = ["build"]
            extend-exclude = ["vendor/*"]
            fail-on = "error"
            deep = true
            pycache-prefix = "pfx"
            no-env = true
            follow = true
            format = "json"
            color = "never"
            all = true
            [clean]
            status = ["orphan", "debris"]
            keep = ["deploy"]
            recompile = true
            "#,
        )
        .unwrap();
        assert_eq!(s.fail_on, Some(FailOn::Error));
        assert_eq!(s.format, Some(Format::Json));
        assert_eq!(
            s.clean.status,
            Some(vec![CleanStatus::Orphan, CleanStatus::Debris])
        );
    }

    #[test]
    fn the_closest_file_wins_and_pyproject_needs_the_table() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "pyproject.toml", "[tool.pyc-audit]\ndeep = true\n");
        write(root, "a/pyproject.toml", "[tool.ruff]\nline-length = 1\n");
        write(root, "a/b/c/x", "");
        let found = load(Choice::Discover(&root.join("a/b/c"))).unwrap();
        assert_eq!(found.file, Some(root.join("pyproject.toml")));
        assert_eq!(found.settings.deep, Some(true));
        write(root, "a/pyc-audit.toml", "follow = true\n");
        write(root, "a/.pyc-audit.toml", "all = true\n");
        let found = load(Choice::Discover(&root.join("a/b"))).unwrap();
        assert_eq!(found.file, Some(root.join("a/.pyc-audit.toml")));
        let none = load(Choice::Isolated).unwrap();
        assert_eq!((none.file, none.settings), (None, Settings::default()));
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let cases = [
            (
                "[tool.pyc-audit]\ndeep = true\nfrobnicate = 1\n",
                ":3: key `frobnicate`",
            ),
            (
                "[tool.pyc-audit]\n\nfail-on = \"sometimes\"\n",
                ":3: key `fail-on`",
            ),
            ("[tool.pyc-audit]\ndeep = \"yes\"\n", ":2: key `deep`"),
            (
                "[tool.pyc-audit.clean]\nstatus = [\"fresh\"]\n",
                ":2: key `status`",
            ),
            ("[tool.pyc-audit.other]\nx = 1\n", ":1: key `other`"),
            ("[tool.pyc-audit]\ndeep = \n", ":2:"),
        ];
        for (text, want) in cases {
            let file = write(root, "pyproject.toml", text);
            let err = load(Choice::Named(&file)).unwrap_err().to_string();
            assert!(err.starts_with(&file.display().to_string()), "{err}");
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_relative_prefix_is_relative_to_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = write(
            tmp.path(),
            "sub/pyc-audit.toml",
            "pycache-prefix = \"pfx\"\n",
        );
        let loaded = load(Choice::Named(&file)).unwrap();
        let want = tmp.path().join("sub/pfx");
        assert_eq!(loaded.settings.pycache_prefix, Some(want));
    }
}
