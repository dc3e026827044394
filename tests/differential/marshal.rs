//! Differential test of the marshal validator: `pyc_audit::internals::check_body` must
//! accept a body exactly when the interpreter's own `marshal.loads` returns a code object.
//!
//! Interpreters are discovered, never configured: every `<pyenv root>/versions/*/bin/python`
//! (`$PYENV_ROOT`, else `pyenv root`, else `$HOME/.pyenv`), then `python3` and `pypy3` on
//! `PATH`, de-duplicated by their real executable. For each one, `tests/marshal/oracle.py`
//! compiles a slice of that interpreter's own standard library and a few synthetic modules,
//! hands the bodies over in a file, then judges a seeded, deterministic list of cases (each
//! body untouched, with trailing bytes, truncated, zero-filled from some point on, and with
//! bytes flipped or overwritten, most of them near type codes) in one subprocess, over stdin
//! and stdout; disagreements are judged again, each in a process of its own. Every case where
//! the validator and the interpreter still disagree is listed with its exact bytes and fails
//! the test, except where check_body calls the case undefined behaviour and the interpreter
//! happened to survive it (listed as excused). `MARSHAL_DIFF_DUMP=DIR` writes each
//! disagreeing body to DIR; `MARSHAL_DIFF_ONLY=TEXT` keeps the interpreters whose path
//! contains TEXT; `MARSHAL_DIFF_FLIPS` and `MARSHAL_DIFF_SEED` make a longer, other campaign.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

// A seeded generator: the same damaged cases on every run.
use fastrand::Rng;

use pyc_audit::internals::check_body;
use pyc_audit::internals::Interpreter;
use pyc_audit::internals::{Implementation, PyVersion};

/// An interpreter found on this machine (not to be confused with pyc-audit's `Interpreter`).
use crate::common::interpreters::{self, Interpreter as Python};
use crate::common::pythons;

/// How many standard-library files each interpreter compiles.
const STDLIB_FILES: usize = 150;

/// Every marshal type code, for flips that turn one type into another.
const TYPE_CODES: &[u8] = b"0NFTS.iIfgxylstRr()[{cu<>aAzZ:";

/// A change to a body, as the oracle reads it.
#[derive(Clone, Debug)]
enum Mutation {
    Untouched,
    Truncate(usize),
    Xor(usize, u8),
    Write(usize, Vec<u8>),
    Append(Vec<u8>),
    /// Zeros from a position to the end, as a file system leaves an unwritten tail.
    Zero(usize),
}

impl Mutation {
    fn apply(&self, body: &[u8]) -> Vec<u8> {
        let mut data = body.to_vec();
        match self {
            Mutation::Untouched => {}
            Mutation::Truncate(len) => data.truncate(*len),
            Mutation::Xor(at, mask) => data[*at] ^= mask,
            Mutation::Write(at, bytes) => {
                let end = (*at + bytes.len()).min(data.len());
                data[*at..end].copy_from_slice(&bytes[..end - at]);
            }
            Mutation::Append(bytes) => data.extend_from_slice(bytes),
            Mutation::Zero(at) => data[*at..].fill(0),
        }
        data
    }

    fn line(&self) -> String {
        match self {
            Mutation::Untouched => "n".to_string(),
            Mutation::Truncate(len) => format!("t {len}"),
            Mutation::Xor(at, mask) => format!("x {at} {mask}"),
            Mutation::Write(at, bytes) => format!("s {at} {}", hex(bytes)),
            Mutation::Append(bytes) => format!("a {}", hex(bytes)),
            Mutation::Zero(at) => format!("z {at}"),
        }
    }

    /// Where the change is, for showing the bytes around it.
    fn position(&self, len: usize) -> usize {
        match self {
            Mutation::Untouched | Mutation::Append(_) => len,
            Mutation::Truncate(at)
            | Mutation::Xor(at, _)
            | Mutation::Write(at, _)
            | Mutation::Zero(at) => *at,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A position at or just after a byte that looks like a type code (its length or integer
/// field), found from a random start.
fn near_type_code(rng: &mut Rng, body: &[u8]) -> Option<(usize, usize)> {
    let from = rng.usize(..body.len());
    let found = body[from..]
        .iter()
        .take(64)
        .position(|b| TYPE_CODES.contains(&(b & 0x7F)))?;
    let at = from + found;
    let offset = rng.usize(..5);
    (at + offset < body.len()).then_some((at, offset))
}

fn flip(rng: &mut Rng, body: &[u8]) -> Mutation {
    let nonzero = |rng: &mut Rng| rng.u8(..).max(1);
    if rng.usize(..10) < 4 {
        return Mutation::Xor(rng.usize(..body.len()), nonzero(rng));
    }
    let Some((at, offset)) = near_type_code(rng, body) else {
        return Mutation::Xor(rng.usize(..body.len()), nonzero(rng));
    };
    match (offset, rng.usize(..3)) {
        (0, 0) => {
            let code = TYPE_CODES[rng.usize(..TYPE_CODES.len())] | (rng.u8(..) & 0x80);
            Mutation::Write(at, vec![code])
        }
        (1, 0) => {
            let values: [i32; 7] = [0, 1, 2, -1, 0x7FFF_FFFF, i32::MIN, 0x100];
            let value = values[rng.usize(..values.len())];
            Mutation::Write(at + 1, value.to_le_bytes().to_vec())
        }
        _ => Mutation::Xor(at + offset, nonzero(rng)),
    }
}

/// Flips per body: `MARSHAL_DIFF_FLIPS`, default 20 (raise it for a longer campaign; set
/// `MARSHAL_DIFF_SEED` to draw other cases).
fn flips_per_body() -> usize {
    env::var("MARSHAL_DIFF_FLIPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

fn cases_for(rng: &mut Rng, body: &[u8]) -> Vec<Mutation> {
    let mut cases = vec![Mutation::Untouched];
    if body.is_empty() {
        return cases;
    }
    if rng.usize(..4) == 0 {
        cases.push(Mutation::Append((0..8).map(|_| rng.u8(..)).collect()));
    }
    for _ in 0..3 {
        cases.push(Mutation::Truncate(rng.usize(..body.len())));
    }
    cases.push(Mutation::Zero(rng.usize(..body.len())));
    for _ in 0..flips_per_body() {
        cases.push(flip(rng, body));
    }
    cases
}

/// A clean interpreter command (see `pythons`) with a fixed hash seed.
fn python_command(executable: &Path) -> Command {
    let mut command = pythons::python_command(executable);
    command.env("PYTHONHASHSEED", "0");
    command
}

/// What one interpreter's run gives.
struct Report {
    label: String,
    bodies: usize,
    cases: usize,
    accepted: usize,
    rejected: usize,
    crashed: usize,
    /// Disagreements of the first pass, judged again in isolation.
    rejudged: usize,
    /// How the interpreter rejected the cases: its error, without the details.
    reasons: BTreeMap<String, usize>,
    seconds: f64,
    disagreements: Vec<String>,
    /// The interpreter survived what check_body calls undefined behaviour: PyPy reading past
    /// co_varnames, CPython 3.12+ writing past the bytecode (a crash, a garbage name or a
    /// corrupted heap, depending on what lies beyond).
    excused: Vec<String>,
}

struct Header {
    interpreter: Interpreter,
    label: String,
    names: Vec<String>,
    trailing_import_ok: bool,
}

fn parse_header(line: &str) -> Result<Header, String> {
    let json: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
    let implementation = match json["implementation"].as_str() {
        Some("CPython") => Implementation::CPython,
        Some("PyPy") => Implementation::PyPy,
        other => return Err(format!("unexpected implementation {other:?}")),
    };
    let version: Vec<u8> = json["version"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|n| n.as_u64())
                .map(|n| n as u8)
                .collect()
        })
        .unwrap_or_default();
    let (major, minor) = match version[..] {
        [major, minor] => (major, minor),
        _ => return Err(format!("bad version in {line}")),
    };
    let names = json["bodies"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok(Header {
        interpreter: Interpreter {
            implementation,
            python: Some(PyVersion::new(major, minor)),
        },
        label: format!("{implementation} {major}.{minor}"),
        names,
        trailing_import_ok: json["trailing_import_ok"].as_bool() == Some(true),
    })
}

fn read_bodies(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bodies = Vec::new();
    let mut at = 0;
    while at + 4 <= data.len() {
        let len = u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        let end = at + 4 + len as usize;
        bodies.push(
            data.get(at + 4..end)
                .ok_or("truncated bodies file")?
                .to_vec(),
        );
        at = end;
    }
    Ok(bodies)
}

/// The bytes around a change, before and after it.
fn window(body: &[u8], mutated: &[u8], at: usize) -> String {
    let start = at.saturating_sub(12);
    let before = &body[start.min(body.len())..(at + 12).min(body.len())];
    let after = &mutated[start.min(mutated.len())..(at + 12).min(mutated.len())];
    format!("bytes {start}..: {} -> {}", hex(before), hex(after))
}

/// One case: a body, a change to it, and check_body's verdict on the result.
struct Case {
    body: usize,
    mutation: Mutation,
    ours: Result<(), String>,
}

impl Case {
    /// The oracle's line; "!" asks for a child of its own, for a case that check_body calls
    /// undefined behaviour (it may corrupt the heap of the process that judges it).
    fn line(&self, isolated: bool) -> String {
        let ub = matches!(&self.ours, Err(e) if e.contains("undefined behaviour"));
        let mark = if isolated || ub { " !" } else { "" };
        format!("{} {}{mark}", self.body, self.mutation.line())
    }
}

/// A running oracle, its answers read line by line.
struct Oracle {
    child: std::process::Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
    errors_file: PathBuf,
}

impl Oracle {
    fn spawn(python: &Python, dir: &Path, args: &[&str]) -> Result<Oracle, String> {
        let errors_file = dir.join(format!("oracle{}.err", args.len()));
        let errors = std::fs::File::create(&errors_file).map_err(|e| e.to_string())?;
        let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/marshal/oracle.py");
        let mut child = python_command(&python.executable)
            .arg(&oracle)
            .arg(dir.join("bodies.bin"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(errors)
            .spawn()
            .map_err(|e| format!("{}: {e}", python.executable.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let lines = BufReader::new(stdout).lines();
        Ok(Oracle {
            child,
            lines,
            errors_file,
        })
    }

    fn line(&mut self) -> Result<String, String> {
        self.lines.next().and_then(Result::ok).ok_or_else(|| {
            let stderr = std::fs::read(&self.errors_file).unwrap_or_default();
            let tail = &stderr[stderr.len().saturating_sub(800)..];
            format!(
                "the oracle stopped; its stderr ends: {}",
                String::from_utf8_lossy(tail)
            )
        })
    }

    /// Sends every case, then reads one answer per case.
    fn judge(mut self, cases: &[&Case], isolated: bool) -> Result<Vec<String>, String> {
        let mut script = String::new();
        for case in cases {
            let _ = writeln!(script, "{}", case.line(isolated));
        }
        let mut stdin = self.child.stdin.take().ok_or("no stdin")?;
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| e.to_string())?;
        drop(stdin);
        let answers = cases.iter().map(|_| self.line()).collect();
        let _ = self.child.wait();
        answers
    }
}

fn make_cases(header: &Header, bodies: &[Vec<u8>]) -> Vec<Case> {
    let seed = env::var("MARSHAL_DIFF_SEED").unwrap_or_default();
    let mut rng = Rng::with_seed(
        header
            .label
            .bytes()
            .chain(seed.bytes())
            .fold(0x5EED, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))),
    );
    let mut cases = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        for mutation in cases_for(&mut rng, body) {
            let ours = check_body(&mutation.apply(body), &header.interpreter);
            cases.push(Case {
                body: i,
                mutation,
                ours: ours.map_err(|e| e.to_string()),
            });
        }
    }
    cases
}

fn run(python: &Python) -> Result<Report, String> {
    let started = Instant::now();
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut oracle = Oracle::spawn(python, temp.path(), &[&STDLIB_FILES.to_string()])?;
    let header = parse_header(&oracle.line()?)?;
    let bodies = read_bodies(&temp.path().join("bodies.bin"))?;
    let cases = make_cases(&header, &bodies);
    let all: Vec<&Case> = cases.iter().collect();
    let mut answers = oracle.judge(&all, false)?;

    // Every disagreement is judged again, each case in a child of its own.
    let disagreeing: Vec<usize> = (0..cases.len())
        .filter(|&n| cases[n].ours.is_ok() != (answers[n] == "1"))
        .collect();
    let rejudged = disagreeing.len();
    if rejudged > 0 {
        let again: Vec<&Case> = disagreeing.iter().map(|&n| &cases[n]).collect();
        let mut oracle = Oracle::spawn(python, temp.path(), &["--reuse"])?;
        oracle.line()?;
        for (n, answer) in disagreeing.iter().zip(oracle.judge(&again, true)?) {
            answers[*n] = answer;
        }
    }

    let mut report = Report {
        label: header.label.clone(),
        bodies: bodies.len(),
        cases: cases.len(),
        accepted: answers.iter().filter(|a| a.starts_with('1')).count(),
        rejected: answers.iter().filter(|a| a.starts_with('0')).count(),
        crashed: answers.iter().filter(|a| a.starts_with('C')).count(),
        rejudged,
        reasons: BTreeMap::new(),
        seconds: 0.0,
        disagreements: Vec::new(),
        excused: Vec::new(),
    };
    if !header.trailing_import_ok {
        report
            .disagreements
            .push("an import rejected a cache with trailing bytes; check_body accepts them".into());
    }
    for answer in &answers {
        if answer != "1" {
            *report.reasons.entry(reason(answer)).or_default() += 1;
        }
    }
    for (n, (case, answer)) in cases.iter().zip(&answers).enumerate() {
        if case.ours.is_ok() != (answer == "1") {
            record(&mut report, &header, &bodies, n, case, answer);
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// An oracle answer without its details: the exception and the message up to its first
/// number or quoted value ("crash" for a crash).
fn reason(answer: &str) -> String {
    if answer.starts_with('C') {
        return "crash (abort or SIGSEGV)".to_string();
    }
    let text = answer.trim_start_matches("0 ");
    let end = text
        .char_indices()
        .find(|&(i, c)| c.is_ascii_digit() || (c == '\'' && i > 0 && !text[..i].ends_with(' ')))
        .map_or(text.len(), |(i, _)| i);
    let end = text[..end].rfind(": '").map_or(end, |i| i);
    text[..end].trim_end_matches([' ', ':', '(']).to_string()
}

/// Files a disagreement: excused where check_body calls it undefined behaviour and the
/// interpreter happened to survive it.
fn record(
    report: &mut Report,
    header: &Header,
    bodies: &[Vec<u8>],
    n: usize,
    case: &Case,
    answer: &str,
) {
    let body = &bodies[case.body];
    let mutated = case.mutation.apply(body);
    let verdict = match &case.ours {
        Ok(()) => "accepts".to_string(),
        Err(e) => format!("rejects: {e}"),
    };
    let excused = answer == "1" && verdict.contains("undefined behaviour");
    let line = format!(
        "{label} body {i} ({name}, {len} bytes) case `{mutation}`: python says `{answer}`, \
         check_body {verdict}; {bytes}",
        label = header.label,
        i = case.body,
        name = header.names.get(case.body).map_or("?", String::as_str),
        len = body.len(),
        mutation = case.mutation.line(),
        bytes = window(body, &mutated, case.mutation.position(body.len())),
    );
    match excused {
        true => report.excused.push(line),
        false => {
            report.disagreements.push(line);
            dump(&header.label, n, &mutated);
        }
    }
}

fn dump(label: &str, n: usize, body: &[u8]) {
    if let Some(dir) = env::var_os("MARSHAL_DIFF_DUMP") {
        let dir = PathBuf::from(dir).join(label.replace(' ', "-"));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{n}.bin")), body);
    }
}

#[test]
fn check_body_agrees_with_every_interpreter() {
    let _one = crate::common::one_suite_at_a_time();
    let only = env::var("MARSHAL_DIFF_ONLY").unwrap_or_default();
    let pythons: Vec<Python> = interpreters::discover("marshal differential")
        .into_iter()
        .filter(|p| p.executable.to_string_lossy().contains(only.as_str()))
        .collect();
    let missing = interpreters::missing(&pythons);
    if only.is_empty() && !missing.is_empty() {
        eprintln!("marshal differential: not found: {}", missing.join(", "));
        assert!(
            !interpreters::all_required(),
            "CI=true but interpreters are missing: {}",
            missing.join(", ")
        );
    }
    if pythons.is_empty() {
        assert!(!interpreters::all_required(), "no interpreter found");
        eprintln!("marshal differential: no interpreter found; skipped");
        return;
    }
    let queue = Arc::new(Mutex::new(pythons));
    let results = Arc::new(Mutex::new(Vec::new()));
    let workers = thread::available_parallelism().map_or(2, usize::from);
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (queue, results) = (Arc::clone(&queue), Arc::clone(&results));
            thread::spawn(move || loop {
                let next = queue.lock().map(|mut q| q.pop());
                let Ok(Some(python)) = next else { break };
                let outcome =
                    run(&python).map_err(|e| format!("{}: {e}", python.executable.display()));
                if let Ok(mut all) = results.lock() {
                    all.push(outcome);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("worker thread");
    }
    let mut results = std::mem::take(&mut *results.lock().expect("results"));
    results.sort_by_key(|r| r.as_ref().map(|r| r.label.clone()).unwrap_or_default());

    let mut failures = Vec::new();
    eprintln!(
        "{:<14} {:>6} {:>6} {:>9} {:>9} {:>8} {:>9} {:>13} {:>8} {:>7}",
        "interpreter",
        "bodies",
        "cases",
        "accepted",
        "rejected",
        "crashed",
        "rejudged",
        "disagreements",
        "excused",
        "seconds"
    );
    let mut excused = Vec::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for result in results {
        match result {
            Ok(r) => {
                eprintln!(
                    "{:<14} {:>6} {:>6} {:>9} {:>9} {:>8} {:>9} {:>13} {:>8} {:>7.1}",
                    r.label,
                    r.bodies,
                    r.cases,
                    r.accepted,
                    r.rejected,
                    r.crashed,
                    r.rejudged,
                    r.disagreements.len(),
                    r.excused.len(),
                    r.seconds
                );
                failures.extend(r.disagreements);
                excused.extend(r.excused);
                for (reason, count) in r.reasons {
                    *reasons.entry(reason).or_default() += count;
                }
            }
            Err(e) => failures.push(e),
        }
    }
    let mut reasons: Vec<(String, usize)> = reasons.into_iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    eprintln!("rejections by the interpreters' own error, all interpreters:");
    for (reason, count) in &reasons {
        eprintln!("{count:>7}  {reason}");
    }
    for case in &excused {
        eprintln!("excused (undefined behaviour): {case}");
    }
    for failure in &failures {
        eprintln!("{failure}");
    }
    assert!(failures.is_empty(), "{} disagreement(s)", failures.len());
}
