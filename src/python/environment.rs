//! The environment variables that change what Python does with caches, read once.
//!
//! `PYTHONPYCACHEPREFIX` moves every cache of Python 3.8+ into a mirror tree (an empty value
//! means none, as in Python); `PYTHONDONTWRITEBYTECODE` stops imports from rewriting stale
//! caches; `SOURCE_DATE_EPOCH` makes `py_compile` and `compileall` write checked-hash caches.
//! The audit honours the first and reports all three in the summary. Lookups go through a
//! function so tests never depend on the caller's environment.

use std::ffi::OsString;
use std::path::PathBuf;

use serde::Serialize;

use crate::python::optimize::Optimize;

/// One variable that is set, with what it does to caches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnvVariable {
    pub name: &'static str,
    /// The value, lossy UTF-8.
    pub value: String,
    pub effect: String,
}

pub(crate) const PYCACHE_PREFIX: &str = "PYTHONPYCACHEPREFIX";
pub(crate) const OPTIMIZE: &str = "PYTHONOPTIMIZE";

/// The optimisation level `PYTHONOPTIMIZE` sets, as each Python version reads it.
pub(crate) fn optimize(lookup: &dyn Fn(&str) -> Option<OsString>) -> Optimize {
    lookup(OPTIMIZE).map_or_else(Optimize::default, |v| {
        Optimize::from_env(&v.to_string_lossy())
    })
}

/// The variables, in report order, with their effect when set to a non-empty value.
const VARIABLES: [(&str, &str); 4] = [
    (
        "PYTHONDONTWRITEBYTECODE",
        "imports never rewrite a cache, so a stale one is recompiled on every run \
         (py_compile and compileall still write)",
    ),
    (
        OPTIMIZE,
        "imports run as under -O: they read opt-N caches (.pyo before Python 3.5) and not the \
         plain ones",
    ),
    (
        PYCACHE_PREFIX,
        "Python 3.8+ reads and writes its caches in this mirror tree, never in __pycache__",
    ),
    (
        "SOURCE_DATE_EPOCH",
        "py_compile and compileall (and installers using them) write checked-hash caches; \
         imports still write timestamp ones",
    ),
];

/// The pycache prefix the environment sets: `PYTHONPYCACHEPREFIX` when non-empty.
pub(crate) fn pycache_prefix(lookup: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    lookup(PYCACHE_PREFIX)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `SOURCE_DATE_EPOCH` as Python reads it: a decimal integer; unset, empty or not a number
/// means none.
pub(crate) fn source_date_epoch(lookup: &dyn Fn(&str) -> Option<OsString>) -> Option<i64> {
    lookup("SOURCE_DATE_EPOCH")?.to_str()?.trim().parse().ok()
}

/// The variables set to a non-empty value (the only values Python acts on).
pub(crate) fn report(lookup: &dyn Fn(&str) -> Option<OsString>) -> Vec<EnvVariable> {
    VARIABLES
        .iter()
        .filter_map(|&(name, effect)| {
            let value = lookup(name).filter(|v| !v.is_empty())?;
            Some(EnvVariable {
                name,
                value: value.to_string_lossy().into_owned(),
                effect: effect.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn empty_values_mean_unset() {
        let lookup = env(&[("PYTHONPYCACHEPREFIX", ""), ("PYTHONDONTWRITEBYTECODE", "")]);
        assert_eq!(pycache_prefix(&lookup), None);
        assert!(report(&lookup).is_empty());
    }

    #[test]
    fn set_variables_are_reported_in_order() {
        let lookup = env(&[
            ("SOURCE_DATE_EPOCH", "0"),
            ("PYTHONPYCACHEPREFIX", "rel/pfx"),
            ("PYTHONDONTWRITEBYTECODE", "1"),
            ("PYTHONOPTIMIZE", "1"),
            ("PYTHONVERBOSE", "1"),
        ]);
        assert_eq!(pycache_prefix(&lookup), Some(PathBuf::from("rel/pfx")));
        let names: Vec<&str> = report(&lookup).iter().map(|v| v.name).collect();
        assert_eq!(
            names,
            [
                "PYTHONDONTWRITEBYTECODE",
                "PYTHONOPTIMIZE",
                "PYTHONPYCACHEPREFIX",
                "SOURCE_DATE_EPOCH"
            ]
        );
        assert_eq!(report(&lookup)[2].value, "rel/pfx");
    }

    #[test]
    fn source_date_epoch_is_an_integer_or_none() {
        let with = |v: &'static str| move |k: &str| (k == "SOURCE_DATE_EPOCH").then(|| v.into());
        assert_eq!(source_date_epoch(&with("1700000000")), Some(1_700_000_000));
        assert_eq!(source_date_epoch(&with(" 42 ")), Some(42));
        assert_eq!(source_date_epoch(&with("")), None);
        assert_eq!(source_date_epoch(&with("soon")), None);
        assert_eq!(source_date_epoch(&|_| None), None);
    }
}
