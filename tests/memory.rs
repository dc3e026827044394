//! Memory follows the work, not the input: a checked-hash cache whose source is a 2 GiB
//! sparse file is judged with a peak RSS of a few MiB (the source is hashed a buffer at a
//! time). The peak is sampled from `/proc/PID/status` (VmHWM) while the run goes on, printed,
//! and held to a generous bound; no timing is asserted.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The child's peak resident set so far, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_2_gib_source_is_hashed_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("m.py");
    fs::File::create(&source).unwrap().set_len(2 << 30).unwrap();
    fs::create_dir(dir.path().join("__pycache__")).unwrap();
    // A 3.11 checked-hash header (flags 3) recording a hash the source does not have.
    let mut cache = vec![0xa7, 0x0d, b'\r', b'\n', 3, 0, 0, 0];
    cache.extend_from_slice(&[0; 8]);
    cache.push(0xe3);
    fs::write(dir.path().join("__pycache__/m.cpython-311.pyc"), cache).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_pyc-audit"))
        .args(["--format", "json", "--no-env"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        peak = peak_kib(pid).unwrap_or(0).max(peak);
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = doc["findings"][0]["reason"].as_str().unwrap_or_default();
    assert_eq!(doc["findings"][0]["status"], "stale", "{doc:#}");
    assert!(reason.contains("source hashes to"), "{reason}");
    eprintln!("2 GiB sparse source, checked-hash cache: peak RSS {peak} KiB");
    assert!(peak > 0, "no sample of the child's memory");
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB for a 2 GiB source");
}
