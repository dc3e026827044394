//! One long-lived verifying process of one interpreter: it runs `worker.py`, reads batches of
//! requests on stdin and answers each batch on stdout, so an interpreter starts once per
//! worker, never once per cache.
//!
//! The two ends are separate so that a writer thread and a reader thread can block on them
//! independently (see `pool`).

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use super::Request;
use crate::python::interpreters::python_command;
use crate::verdict::verify::Verification;

const SCRIPT: &str = include_str!("worker.py");

/// The reading end of a running worker: its answers; dropping it waits for the process.
pub(super) struct Worker {
    child: Child,
    stdout: BufReader<ChildStdout>,
}

/// The writing end of a running worker: its requests; closing it ends the script.
pub(super) struct Feeder {
    stdin: Option<ChildStdin>,
}

impl Worker {
    /// Starts `executable` on the script: `-S` (no site: faster, and no user code runs), `-B`
    /// (it writes no cache of its own).
    pub(super) fn spawn(executable: &Path) -> io::Result<(Feeder, Worker)> {
        let mut child = python_command(executable)
            .args(["-S", "-B", "-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take();
        let Some(stdout) = child.stdout.take().map(BufReader::new) else {
            return Err(io::Error::other("no pipe to the worker"));
        };
        Ok((Feeder { stdin }, Worker { child, stdout }))
    }

    /// Reads the answers to one batch; `Err` when the worker died (its answers are lost).
    pub(super) fn read(&mut self, n: usize) -> io::Result<Vec<Verification>> {
        let mut answers = Vec::with_capacity(n);
        let mut line = Vec::new();
        for _ in 0..n {
            line.clear();
            if self.stdout.read_until(b'\n', &mut line)? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the interpreter exited",
                ));
            }
            answers.push(parse_answer(&line));
        }
        Ok(answers)
    }
}

impl Feeder {
    /// Writes one batch: its requests, then an empty line.
    pub(super) fn write(&mut self, batch: &[&Request]) -> io::Result<()> {
        let mut text = Vec::with_capacity(batch.len() * 128);
        for r in batch {
            write_request(&mut text, r);
        }
        text.push(b'\n');
        let stdin = self.stdin.as_mut().ok_or(io::ErrorKind::BrokenPipe)?;
        stdin.write_all(&text)?;
        stdin.flush()
    }

    /// End of input: the script answers what it has and exits.
    pub(super) fn close(&mut self) {
        self.stdin.take();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // The feeder is closed by then: the script has exited or is about to.
        let _ = self.child.wait();
    }
}

/// `LEVEL HEADER_LEN HEX(cache) HEX(source)\n`: hex carries any path bytes through a line.
fn write_request(out: &mut Vec<u8>, r: &Request) {
    out.extend_from_slice(format!("{} {} ", r.level, r.header_len).as_bytes());
    hex(out, r.cache.as_os_str().as_encoded_bytes());
    out.push(b' ');
    hex(out, r.source.as_os_str().as_encoded_bytes());
    out.push(b'\n');
}

fn hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

fn parse_answer(line: &[u8]) -> Verification {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end_matches('\n');
    let (kind, text) = line.split_once('\t').unwrap_or((line, ""));
    let text = text.to_string();
    match kind {
        "equal" => Verification::Equal,
        "differs" => Verification::Differs(text),
        "nocompile" => Verification::SourceDoesNotCompile(text),
        "error" => Verification::Error(text),
        _ => Verification::Error(format!("unexpected answer from the interpreter: {line}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn requests_carry_any_path_bytes() {
        let r = Request {
            cache: PathBuf::from("a\nb.pyc"),
            source: PathBuf::from("é.py"),
            level: 2,
            header_len: 16,
        };
        let mut out = Vec::new();
        write_request(&mut out, &r);
        assert_eq!(out, b"2 16 610a622e707963 c3a92e7079\n");
    }

    #[test]
    fn answers() {
        assert_eq!(parse_answer(b"equal\n"), Verification::Equal);
        assert_eq!(
            parse_answer(b"differs\tbytecode of f (line 3)\n"),
            Verification::Differs("bytecode of f (line 3)".into())
        );
        assert!(matches!(parse_answer(b"what\n"), Verification::Error(_)));
    }
}
