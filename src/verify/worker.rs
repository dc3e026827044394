//! One long-lived verifying process of one interpreter: it runs `worker.py`, reads batches of
//! requests on stdin and answers each batch on stdout, so an interpreter starts once per
//! worker, never once per cache.
//!
//! A batch is written whole before its answers are read; the script reads the whole batch
//! before it writes, so neither side can block on a full pipe while the other waits.

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use super::Request;
use crate::clean::interpreters::python_command;
use crate::verdict::verify::Verification;

const SCRIPT: &str = include_str!("worker.py");

/// A running worker.
pub(super) struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    /// Starts `executable` on the script: `-S` (no site: faster, and no user code runs), `-B`
    /// (it writes no cache of its own).
    pub(super) fn spawn(executable: &Path) -> io::Result<Worker> {
        let mut child = python_command(executable)
            .args(["-S", "-B", "-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(BufReader::new);
        match stdout {
            Some(stdout) => Ok(Worker {
                child,
                stdin,
                stdout,
            }),
            None => Err(io::Error::other("no pipe to the worker")),
        }
    }

    /// Verifies one batch; `Err` when the worker died (its answers are lost).
    pub(super) fn run(&mut self, batch: &[&Request]) -> io::Result<Vec<Verification>> {
        let mut text = Vec::with_capacity(batch.len() * 128);
        for r in batch {
            write_request(&mut text, r);
        }
        text.push(b'\n');
        let stdin = self.stdin.as_mut().ok_or(io::ErrorKind::BrokenPipe)?;
        stdin.write_all(&text)?;
        stdin.flush()?;
        let mut answers = Vec::with_capacity(batch.len());
        let mut line = Vec::new();
        for _ in batch {
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

impl Drop for Worker {
    fn drop(&mut self) {
        // End of input ends the script.
        self.stdin.take();
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
