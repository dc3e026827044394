//! The recorder: explain's observer of the verdict. It decides nothing. It keeps each rule the
//! verdict reports, in words (`words`), notes the few values the fix needs, and on closing
//! fills in every rule the verdict never reached, so the screen lists all of them in order.

use serde::Serialize;

use super::words;
use crate::python::interp::Interpreter;
use crate::python::naming::CacheName;
use crate::python::source::MtimeRule;
use crate::verdict::compare::never_matches;
use crate::verdict::rule::{self, Observer, Rule, Seen};

/// How a rule came out, as explain shows it: the verdict's outcomes, and "not reached".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    Pass,
    /// The rule rejects the file (or, for `judge`, `source` and `lookup`, says no).
    Fail,
    /// The interpreter lets the file through, but what it runs is not quite the source's.
    Warning,
    /// The rule does not exist for this interpreter or this kind of cache.
    NotApplied,
    /// An earlier rule decided.
    NotReached,
}

impl From<rule::Outcome> for Outcome {
    fn from(o: rule::Outcome) -> Outcome {
        match o {
            rule::Outcome::Pass => Outcome::Pass,
            rule::Outcome::Fail => Outcome::Fail,
            rule::Outcome::Warning => Outcome::Warning,
            rule::Outcome::NotApplied => Outcome::NotApplied,
        }
    }
}

/// One rule and how it came out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Step {
    pub rule: Rule,
    pub outcome: Outcome,
    pub detail: String,
}

/// What the mtime and size rules found, for the fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TimestampCheck {
    pub mtime_ok: bool,
    /// True unless the size rule was applied and failed.
    pub size_ok: bool,
    /// The interpreter's comparison can never match the source's mtime.
    pub never_matches: bool,
    /// The source's `st_mtime`, as a double, rounds up into the next second: `py_compile` of
    /// an interpreter that compares whole `time_t` seconds (Python 2, 3.0-3.2) records a
    /// second its own import never matches.
    pub rounds_up: bool,
}

/// What the verdict reported, kept for the screen and the fix.
#[derive(Clone, Debug, Default)]
pub(super) struct Facts {
    /// Every rule, in the order the judge applies them.
    pub steps: Vec<Step>,
    pub interpreter: Option<Interpreter>,
    /// Why the judge never opens this file under default settings, if it does not.
    pub never_read: Option<String>,
    /// Each reader the directory lookup turns away, by label, with what its import finds
    /// first (`` `import m` finds the package m/ (its m/__init__.py) first ``).
    pub shadowed: Vec<(String, String)>,
    /// The header length the judge reads, once the magic is accepted.
    pub header_len: Option<usize>,
    pub timestamp: Option<TimestampCheck>,
    /// The recorded size and the source's, kept to show them when the size rule is not
    /// reached (the mtime already differs).
    sizes: Option<(u32, u64)>,
}

/// Records the verdict's rules for one cache.
pub(super) struct Recorder<'a> {
    pub(super) name: &'a CacheName,
    pub(super) facts: Facts,
}

impl<'a> Recorder<'a> {
    pub(super) fn new(name: &'a CacheName) -> Recorder<'a> {
        Recorder {
            name,
            facts: Facts::default(),
        }
    }

    /// The judge as a subject: `Python 3.11`, `PyPy 3.9`, or `Python` when unknown.
    pub(super) fn who(&self) -> String {
        self.facts
            .interpreter
            .map_or_else(|| "Python".to_string(), |i| i.to_string())
    }

    /// Every rule once, in order; those the verdict never reached say so.
    pub(super) fn close(mut self) -> Facts {
        for rule in Rule::ALL {
            if self.facts.steps.iter().any(|s| s.rule == rule) {
                continue;
            }
            let detail = match (rule, self.facts.sizes) {
                (Rule::Size, Some((recorded, source))) => words::sizes(recorded, source),
                _ => "not reached".to_string(),
            };
            self.facts.steps.push(Step {
                rule,
                outcome: Outcome::NotReached,
                detail,
            });
        }
        self.facts.steps.sort_by_key(|s| s.rule);
        self.facts
    }

    /// Keeps the values the fix and the closing need.
    fn note(&mut self, outcome: rule::Outcome, seen: &Seen) {
        let f = &mut self.facts;
        match *seen {
            Seen::Judge { judge, .. } => f.interpreter = judge.interpreter,
            Seen::Lookup { never_read, .. } => f.never_read = never_read.map(str::to_string),
            Seen::Length { era: Some(era), .. } => f.header_len = Some(era.header_len()),
            Seen::Mtime {
                source,
                rule,
                stat,
                size,
                ..
            } => {
                f.timestamp = Some(TimestampCheck {
                    mtime_ok: outcome == rule::Outcome::Pass,
                    size_ok: true,
                    never_matches: never_matches(rule, source),
                    rounds_up: rule == MtimeRule::Signed32
                        && stat.python_mtime(MtimeRule::Masked) != stat.sec,
                });
                f.sizes = size.map(|s| (s, stat.size));
            }
            Seen::Size { .. } => {
                if let Some(t) = f.timestamp.as_mut() {
                    t.size_ok = outcome == rule::Outcome::Pass;
                }
            }
            _ => {}
        }
    }
}

impl Observer for Recorder<'_> {
    fn rule(&mut self, rule: Rule, outcome: rule::Outcome, seen: Seen<'_>) {
        self.note(outcome, &seen);
        let detail = words::detail(self, rule, outcome, &seen);
        self.facts.steps.push(Step {
            rule,
            outcome: outcome.into(),
            detail,
        });
    }
}
