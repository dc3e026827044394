//! Formatting the compared values for reasons and JSON: UTC dates, sizes, hashes.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike};

// These run for every cache, so they avoid strftime patterns (parsed anew on every call).

/// A mtime as `2023-11-14 22:13:20 UTC`; raw seconds when chrono cannot place it.
pub(crate) fn date(secs: i64) -> String {
    match DateTime::from_timestamp(secs, 0) {
        Some(d) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minute(),
            d.second()
        ),
        None => format!("{secs} s"),
    }
}

/// A mtime as an RFC 3339 UTC date for JSON (`2023-11-14T22:13:20Z`).
pub(crate) fn rfc3339(secs: i64) -> Option<String> {
    DateTime::from_timestamp(secs, 0).map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// A byte count as `6 B`.
pub(crate) fn bytes(n: u64) -> String {
    format!("{n} B")
}

/// A duration in nanoseconds as seconds with millisecond precision.
pub(crate) fn seconds(ns: i128) -> String {
    format!("{:.3} s", ns as f64 / 1e9)
}

/// The first bytes of a file as spaced hex, for "bad magic" reasons.
pub(crate) fn hex_bytes(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(empty)".into();
    }
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1 cache`, `3 caches`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(date(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(date(-315_619_200), "1960-01-01 00:00:00 UTC");
        assert_eq!(rfc3339(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(7_258_118_400).unwrap(), "2200-01-01T00:00:00Z");
        assert_eq!(date(i64::MAX), format!("{} s", i64::MAX));
        assert_eq!(seconds(420_000_000), "0.420 s");
        assert_eq!(hex_bytes(&[0x61, 0x0d]), "61 0d");
        assert_eq!(hex_bytes(&[]), "(empty)");
    }
}
