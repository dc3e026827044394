//! Finding and running the real interpreters, shared by the differential test binaries.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A Command for a Python process with no PYTHON* variables (PYTHONDONTWRITEBYTECODE,
/// PYTHONPYCACHEPREFIX, ... would change what is written and read) and no SOURCE_DATE_EPOCH.
pub fn python_command(executable: &Path) -> Command {
    let mut command = Command::new(executable);
    for (key, _) in env::vars_os() {
        let name = key.to_string_lossy();
        if (name.starts_with("PYTHON") && name != "PYTHONHOME") || name == "SOURCE_DATE_EPOCH" {
            command.env_remove(&key);
        }
    }
    command
}

/// How an optimisation level reaches an interpreter: `-O`/`-OO` or `PYTHONOPTIMIZE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Via {
    Flag,
    Env,
}

/// [`python_command`] at optimisation `level`, given the way `via` says (level 0 by flag is
/// no flag at all).
pub fn optimized_command(executable: &Path, level: u8, via: Via) -> Command {
    let mut command = python_command(executable);
    match via {
        Via::Flag if level > 0 => {
            command.arg(format!("-{}", "O".repeat(level.into())));
        }
        Via::Env => {
            command.env("PYTHONOPTIMIZE", level.to_string());
        }
        Via::Flag => {}
    }
    command
}

/// pyenv's root: `$PYENV_ROOT`, else `pyenv root`, else `~/.pyenv`.
pub fn pyenv_root() -> Option<PathBuf> {
    if let Some(root) = env::var_os("PYENV_ROOT").filter(|r| !r.is_empty()) {
        return Some(PathBuf::from(root));
    }
    if let Ok(output) = Command::new("pyenv").arg("root").output() {
        let root = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if output.status.success() && !root.is_empty() {
            return Some(PathBuf::from(root));
        }
    }
    env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv"))
}

/// The first file called `name` on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
