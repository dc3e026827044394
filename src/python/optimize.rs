//! The optimisation level Python runs with (`-O`, `-OO`, `PYTHONOPTIMIZE`), which decides the
//! cache names an import reads: at level N ≥ 1, Python 3.5+ reads `opt-N` caches (and a
//! sourceless legacy `.pyc` at any level), Python 2 and 3.0–3.4 read `.pyo` files; neither
//! reads the plain ones then.
//!
//! `PYTHONOPTIMIZE` is read in two ways (checked on each interpreter): CPython 3.7+ takes an
//! integer as the level (`0` is 0) and any other non-empty value as 1; Python 2, CPython 3.6
//! and PyPy take `atoi` of it, and any non-empty value that gives 0 as 1 (`0` is `-O`).

use crate::pyc::magic::{Implementation, PyVersion};
use crate::python::interp::Interpreter;

/// The level for each way of reading `PYTHONOPTIMIZE`; the same unless the variable set them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Optimize {
    /// Python 2, CPython 3.6 and older, PyPy: `atoi`, 0 meaning 1.
    pub atoi: u8,
    /// CPython 3.7+: an integer as is.
    pub integer: u8,
}

impl Optimize {
    /// `--optimize N`: the same level for every interpreter.
    pub fn flag(level: u8) -> Optimize {
        Optimize {
            atoi: level,
            integer: level,
        }
    }

    /// `PYTHONOPTIMIZE=value`, as each version reads it.
    pub fn from_env(value: &str) -> Optimize {
        if value.is_empty() {
            return Optimize::default();
        }
        let clamp = |n: i64| u8::try_from(n.clamp(0, 255)).unwrap_or(u8::MAX);
        let integer = value.trim().parse::<i64>().map_or(1, clamp);
        let digits: String = value
            .trim_start()
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
            .map(|(_, c)| c)
            .collect();
        let atoi = match digits.parse::<i64>().unwrap_or(0) {
            0 => 1,
            n => clamp(n),
        };
        Optimize { atoi, integer }
    }

    /// The level an interpreter runs at (unknown: a current CPython).
    pub fn level(self, interpreter: Option<Interpreter>) -> u8 {
        let Some(i) = interpreter else {
            return self.integer;
        };
        let integer = i.implementation == Implementation::CPython
            && i.python.is_none_or(|p| p >= PyVersion::new(3, 7));
        if integer {
            self.integer
        } else {
            self.atoi
        }
    }

    pub fn is_default(self) -> bool {
        self == Optimize::default()
    }
}

/// Whether this version names optimised caches `.pyo` (before 3.5) rather than `opt-N`.
pub(crate) fn uses_pyo(python: Option<PyVersion>) -> bool {
    python.is_some_and(|p| p < PyVersion::new(3, 5))
}

/// `-O` or `-OO` (`-OOO` for level 3), for the reasons.
pub(crate) fn flag_text(level: u8) -> String {
    format!("-{}", "O".repeat(usize::from(level.max(1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pythonoptimize_as_each_version_reads_it() {
        let at = |v: &str| {
            let o = Optimize::from_env(v);
            (o.atoi, o.integer)
        };
        assert_eq!(at(""), (0, 0));
        assert_eq!(at("0"), (1, 0));
        assert_eq!(at("1"), (1, 1));
        assert_eq!(at("2"), (2, 2));
        assert_eq!(at("3"), (3, 3));
        assert_eq!(at("abc"), (1, 1));
    }
}
