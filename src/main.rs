//! The `pyc-audit` binary: parse arguments, run, map the outcome to an exit code.
//!
//! `check` is the implicit command, so a first word could name a command or a path. A command
//! word given without paths while a file of that name exists here (`pyc-audit clean` beside a
//! directory `clean`) is refused with the two ways to say it; an unknown bare word that is no
//! existing path is an unknown command, with clap's suggestion. Every argument error is
//! printed with the `pyc-audit:` prefix of all diagnostics.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use pyc_audit::cli::Cli;
use pyc_audit::diag;
use pyc_audit::escape;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
    let (matches, cli) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return argument_error(e),
    };
    if let Some(why) = ambiguous(&matches) {
        diag::error(&why);
        return ExitCode::from(2);
    }
    if let Some(e) = unknown_command(&cli) {
        return argument_error(e);
    }
    match pyc_audit::run(cli) {
        Ok(status) => status.into(),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            diag::error(&format!("{err:#}"));
            ExitCode::from(2)
        }
    }
}

/// A command word given without a path while a file or directory of that name exists here.
fn ambiguous(matches: &ArgMatches) -> Option<String> {
    let (word, sub) = matches.subcommand()?;
    // Only `check` and `clean` default to `.`; the other commands name what they act on.
    if !matches!(word, "check" | "clean") {
        return None;
    }
    let given = sub
        .value_source("paths")
        .is_some_and(|s| s == ValueSource::CommandLine);
    if given || Path::new(word).symlink_metadata().is_err() {
        return None;
    }
    Some(format!(
        "`{word}` is both a command and a path here: to audit the path, run \
         `pyc-audit check ./{word}`; to run the command, give its path (`pyc-audit {word} .`)"
    ))
}

/// clap's "unrecognized subcommand" error, with its suggestion, when the only path is a bare
/// word (no `/`, no `.`) that does not exist: most likely a misspelt command. Among other
/// paths, it stays a path that cannot be read (the rest is still audited).
fn unknown_command(cli: &Cli) -> Option<clap::Error> {
    let [first] = cli.check.paths.as_slice() else {
        return None;
    };
    if cli.command.is_some() {
        return None;
    }
    let bytes = first.as_os_str().as_encoded_bytes();
    if bytes.contains(&b'/') || bytes.contains(&b'.') || first.symlink_metadata().is_ok() {
        return None;
    }
    // The commands alone: clap then says what it says of any unknown subcommand.
    let full = Cli::command();
    let commands = clap::Command::new("pyc-audit")
        .subcommands(full.get_subcommands().cloned())
        .subcommand_required(true);
    let argv = [OsString::from("pyc-audit"), first.as_os_str().to_owned()];
    commands.try_get_matches_from(argv).err()
}

/// Prints a clap error (help and version as they are), errors with the `pyc-audit:` prefix and
/// escaped; exits as clap would (2 for a usage error).
fn argument_error(e: clap::Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
    }
    let text = e.render().to_string();
    let mut lines = text.trim_end().lines();
    if let Some(first) = lines.next() {
        eprintln!("pyc-audit: {}", escape(first));
    }
    for line in lines {
        eprintln!("{}", escape(line));
    }
    ExitCode::from(2)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
