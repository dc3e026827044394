//! Integration tests of the `pyc-audit` binary on trees built in temp dirs: exit codes,
//! every output format, bad input, unreadable entries, walking rules.

mod bad_input;
mod exit_codes;
mod explain;
mod formats;
mod support;
mod walking;
