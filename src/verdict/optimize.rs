//! The optimisation level Python runs with (`-O`, `-OO`, `PYTHONOPTIMIZE`), which decides the
//! cache names an import reads: at level N ≥ 1, Python 3.5+ reads `opt-N` caches (and a
//! sourceless legacy `.pyc` at any level), Python 2 and 3.0–3.4 read `.pyo` files; neither
//! reads the plain ones then.
//!
//! `PYTHONOPTIMIZE` is read differently by each major version: Python 3 takes an integer as
//! the level (`0` is 0) and any other non-empty value as 1; Python 2 takes `atoi` of it and
//! any non-empty value that gives 0 as 1.

use crate::pyc::magic::PyVersion;

/// The level for each major version; both are the same unless `PYTHONOPTIMIZE` set them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Optimize {
    pub python2: u8,
    pub python3: u8,
}

impl Optimize {
    /// `--optimize N`: the same level for every interpreter.
    pub fn flag(level: u8) -> Optimize {
        Optimize {
            python2: level,
            python3: level,
        }
    }

    /// `PYTHONOPTIMIZE=value`, as each version reads it.
    pub fn from_env(value: &str) -> Optimize {
        if value.is_empty() {
            return Optimize::default();
        }
        let clamp = |n: i64| u8::try_from(n.clamp(0, 255)).unwrap_or(u8::MAX);
        let python3 = value.trim().parse::<i64>().map_or(1, clamp);
        let digits: String = value
            .trim_start()
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')))
            .map(|(_, c)| c)
            .collect();
        let python2 = match digits.parse::<i64>().unwrap_or(0) {
            0 => 1,
            n => clamp(n),
        };
        Optimize { python2, python3 }
    }

    /// The level an interpreter of this version runs at (unknown: Python 3).
    pub fn level(self, python: Option<PyVersion>) -> u8 {
        match python {
            Some(p) if p.major == 2 => self.python2,
            _ => self.python3,
        }
    }

    pub fn is_default(self) -> bool {
        self == Optimize::default()
    }
}

/// Whether this version names optimised caches `.pyo` (before 3.5) rather than `opt-N`.
pub fn uses_pyo(python: Option<PyVersion>) -> bool {
    python.is_some_and(|p| p < PyVersion::new(3, 5))
}

/// `-O` or `-OO` (`-OOO` for level 3), for the reasons.
pub fn flag_text(level: u8) -> String {
    format!("-{}", "O".repeat(usize::from(level.max(1))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pythonoptimize_as_each_version_reads_it() {
        let at = |v: &str| {
            let o = Optimize::from_env(v);
            (o.python2, o.python3)
        };
        assert_eq!(at(""), (0, 0));
        assert_eq!(at("0"), (1, 0));
        assert_eq!(at("1"), (1, 1));
        assert_eq!(at("2"), (2, 2));
        assert_eq!(at("3"), (3, 3));
        assert_eq!(at("abc"), (1, 1));
    }
}
