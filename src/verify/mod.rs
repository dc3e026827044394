//! `--verify`: the interpreter that reads a cache compiles its source, and the two code
//! objects are compared, to find what no header shows (a source replaced at the same size with
//! its mtime kept or clamped, any same-mtime edit on Python 2).
//!
//! The engine: the requests of each interpreter (found as `clean --recompile` finds them, by
//! tag on `PATH` or under pyenv) go in batches over pipes to long-lived worker processes of
//! that interpreter, at most one per core (see `pool` and `worker`). A cache whose interpreter
//! is not installed is not verified, and is counted so, per interpreter.
//!
//! The comparison (in `worker.py`), decided by experiment on CPython 2.7, 3.6–3.13 and PyPy
//! 3.9, and exact for what the interpreter runs:
//! - The source is compiled as the import compiles it: its bytes (the coding cookie decides
//!   the decoding), mode `exec`, `dont_inherit=True` (the worker's own future flags must not
//!   leak in), and the cache's optimisation level (`optimize=N` for `opt-N`; Python 2 has no
//!   such argument, so the worker sets its own `Py_OptimizeFlag`, and a `.pyo` may be `-O` or
//!   `-OO`: either one matching is equal).
//! - The body after the header is unmarshalled by the same interpreter.
//! - The code objects are compared recursively on every field marshal stores, except
//!   `co_filename`: names (`co_name`, `co_qualname`), `co_firstlineno`, the argument counts,
//!   `co_nlocals`, `co_flags`, `co_names`, `co_varnames`, `co_freevars`, `co_cellvars`, the
//!   constants, `co_code`, `co_stacksize`, `co_exceptiontable`, and the line table
//!   (`co_linetable` from 3.10, which also holds columns from 3.11; `co_lnotab` before).
//!   `co_filename` is what the writer passed and the import rewrites it to the source path
//!   (`_fix_up_module`, `_imp._fix_co_filename`); the worker compiles with the recorded name so
//!   that equal code marshals to equal bytes (a fast path taken for most caches), and the
//!   name changes nothing else in a code object.
//! - Code `==` is not used: tried on each interpreter, it ignores the line table on 2.7 to
//!   3.10 (a line moved by a blank line compares equal) and `co_qualname` on 3.11 to 3.13 (a
//!   method of a renamed nested class compares equal). Constants are
//!   compared by type and value (`1`, `1.0` and `True` differ; floats and complex numbers by
//!   their bits, so `-0.0` differs from `0.0` and a NaN equals itself), tuples element-wise,
//!   frozensets as sets (marshal writes them in hash order, which two runs need not share),
//!   code objects recursively. Interning does not count.
//! - Known coarseness: Python 3.6 keeps the folded items of `x in {1, 2}` among its constants,
//!   so reordering such a literal reads as a difference there.
//!
//! Experiments: zero differences on every interpreter's installed standard library (as
//! byte-compiled at install, all optimisation levels) and on freshly compiled trees in every
//! invalidation mode; every same-size replacement (a constant, a name, `-0.0`, `True` for `1`,
//! a moved line, a column on 3.11+) found. `tests/verify.rs` keeps them.

mod pool;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::Serialize;

use crate::pyc::magic::{Implementation, PyVersion};
use crate::python::interp::Interpreter;
use crate::python::interpreters::{Finder, Wanted};
use crate::report::diag;
use crate::verdict::model::Record;
use crate::verdict::verify::{self as rule, Verification};

/// One cache to compare with its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub cache: PathBuf,
    pub source: PathBuf,
    /// The optimisation level the cache was compiled at (`opt-N`; 1 for a `.pyo`).
    pub level: u8,
    /// Where the marshal body starts.
    pub header_len: usize,
}

/// What `--verify` did, for the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Caches compared with their source.
    pub verified: usize,
    /// Of those, the ones whose code differs from the source's (or whose source no longer
    /// compiles).
    pub diverged: usize,
    /// Caches that would have been compared but were not, by interpreter.
    pub not_verified: BTreeMap<String, usize>,
}

/// Verifies every record `verdict::verify::wants`, applies the outcome to it, says on stderr
/// which interpreters were missing, and returns the tally.
pub(crate) fn verify_records(records: &mut [Record]) -> Tally {
    let (outcomes, tally) = verify(records);
    for (r, outcome) in records.iter_mut().zip(&outcomes) {
        if let Some(outcome) = outcome {
            rule::apply(r, outcome);
        }
    }
    tally
}

/// Compares the cache of every record `verdict::verify::wants` with its source: the outcome
/// for each record (`None` where not wanted) and the tally; says on stderr which interpreters
/// were missing.
pub(crate) fn verify(records: &[Record]) -> (Vec<Option<Verification>>, Tally) {
    let mut finder = Finder::default();
    let mut executables: Vec<PathBuf> = Vec::new();
    let mut index: HashMap<Wanted, Result<usize, String>> = HashMap::new();
    let mut requests: Vec<(usize, Request)> = Vec::new();
    let mut asked: Vec<usize> = Vec::new();
    let mut outcomes: Vec<Option<Verification>> = vec![None; records.len()];
    let mut missing: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        if !rule::wants(r) {
            continue;
        }
        outcomes[i] = Some(match request(r) {
            Ok((wanted, req)) => {
                let exe = index.entry(wanted).or_insert_with(|| {
                    let found = finder.find(wanted).ok_or_else(|| wanted.label())?;
                    executables.push(found);
                    Ok(executables.len() - 1)
                });
                match exe {
                    Ok(exe) => {
                        requests.push((*exe, req));
                        asked.push(i);
                        continue;
                    }
                    Err(label) => {
                        *missing.entry(label.clone()).or_default() += 1;
                        Verification::NoInterpreter(label.clone())
                    }
                }
            }
            Err(why) => Verification::Error(why),
        });
    }
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let answers = pool::run(&requests, &executables, jobs);
    for (i, outcome) in asked.into_iter().zip(answers) {
        outcomes[i] = Some(outcome);
    }
    for (label, n) in &missing {
        diag::warning(&format!(
            "{n} cache{} of {label} not verified: {label} is not installed (neither on PATH nor \
             under pyenv)",
            if *n == 1 { "" } else { "s" }
        ));
    }
    let mut tally = Tally::default();
    for (r, outcome) in records.iter().zip(&outcomes) {
        if let Some(outcome) = outcome {
            count(&mut tally, r, outcome);
        }
    }
    (outcomes, tally)
}

fn count(tally: &mut Tally, r: &Record, outcome: &Verification) {
    let who = || {
        r.python.as_deref().map_or_else(
            || "an unknown interpreter".to_string(),
            |p| {
                format!(
                    "{} {p}",
                    r.implementation.map_or("Python".into(), |i| i.to_string())
                )
            },
        )
    };
    match outcome {
        Verification::Equal => tally.verified += 1,
        Verification::Differs(_) | Verification::SourceDoesNotCompile(_) => {
            tally.verified += 1;
            tally.diverged += 1;
        }
        Verification::NoInterpreter(label) => {
            *tally.not_verified.entry(label.clone()).or_default() += 1
        }
        Verification::Error(_) => *tally.not_verified.entry(who()).or_default() += 1,
    }
}

/// The interpreter and request for a record `wants` verified.
fn request(r: &Record) -> Result<(Wanted, Request), String> {
    let version = r.python.as_deref().and_then(PyVersion::parse_prefix);
    let (Some(implementation), Some(version)) = (r.implementation, version) else {
        return Err("neither its name nor its magic number says which Python reads it".into());
    };
    if matches!(
        implementation,
        Implementation::GraalPy | Implementation::RustPython
    ) {
        return Err(format!(
            "{implementation} caches hold no CPython marshal code to compare"
        ));
    }
    let (Some(source), Some(level)) = (r.source.clone(), r.opt_level) else {
        return Err("no source or optimisation level".into());
    };
    let interpreter = Interpreter {
        implementation,
        python: Some(version),
    };
    let wanted = Wanted {
        implementation,
        version,
    };
    let req = Request {
        cache: r.path.clone(),
        source,
        level,
        header_len: interpreter.era().header_len(),
    };
    Ok((wanted, req))
}
