//! One module per command: `check` (the default), `explain`, `clean` and the `generate-*`
//! commands. Each takes its resolved configuration, drives the pipeline (find → verdict →
//! report) and returns the exit status; none of them decides a status itself.

pub(crate) mod check;
pub(crate) mod clean;
pub(crate) mod explain;
pub(crate) mod generate;
