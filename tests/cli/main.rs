//! Integration tests of the `pyc-audit` binary on trees built in temp dirs: exit codes,
//! every output format, bad input, unreadable entries, walking rules, the pycache prefix,
//! tree-wide findings.

// A test binary exports nothing: `pub` items here are for its sibling modules.
#![allow(unreachable_pub)]

mod annotations;
mod bad_input;
mod command_words;
mod config_file;
mod consistency;
mod determinism;
mod exit_codes;
mod explain;
mod formats;
mod git;
mod hostile;
mod implementations;
mod prefix;
mod running;
mod support;
mod terminal;
mod tree_findings;
mod walking;
