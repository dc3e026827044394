//! The table's last line: what to do next. How many files (and bytes) `pyc-audit clean` would
//! remove from the audited paths, as its plan decides with the default statuses (counted by
//! `commands::clean::plan::cleanable`, so the report never reaches up to the command), and
//! `pyc-audit explain PATH` for why.

/// What `pyc-audit clean` on the same paths would remove.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cleanable {
    pub files: usize,
    pub bytes: u64,
    pub directories: usize,
}

/// `pyc-audit clean would remove 11 files (1.2 KiB) and 1 directory; pyc-audit explain PATH
/// says why` (without the clean part when it would remove nothing, or was not planned).
pub(super) fn line(cleanable: Option<Cleanable>) -> String {
    let explain = "`pyc-audit explain PATH` says why";
    match cleanable {
        Some(c) if c.files + c.directories > 0 => {
            let mut what = Vec::new();
            if c.files > 0 {
                what.push(format!("{} ({})", plural(c.files, "file"), size(c.bytes)));
            }
            if c.directories > 0 {
                what.push(plural(c.directories, "directory"));
            }
            format!(
                "Next: `pyc-audit clean` on these paths would remove {}; {explain}",
                what.join(" and ")
            )
        }
        _ => format!("Next: {explain}"),
    }
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "directory") => format!("{n} directories"),
        _ => format!("{n} {word}s"),
    }
}

/// Bytes in B below 1 KiB, else KiB or MiB with one decimal.
fn size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if b < KIB * KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{:.1} MiB", b / (KIB * KIB))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_clean_would_remove_then_where_to_look() {
        let c = Cleanable {
            files: 11,
            bytes: 1300,
            directories: 1,
        };
        assert_eq!(
            line(Some(c)),
            "Next: `pyc-audit clean` on these paths would remove 11 files (1.3 KiB) and 1 \
             directory; `pyc-audit explain PATH` says why"
        );
        let one = Cleanable {
            files: 1,
            bytes: 16,
            directories: 0,
        };
        assert!(line(Some(one)).contains("remove 1 file (16 B);"));
        let dirs = Cleanable {
            directories: 2,
            ..Cleanable::default()
        };
        assert!(line(Some(dirs)).contains("remove 2 directories;"));
        assert_eq!(line(None), "Next: `pyc-audit explain PATH` says why");
        assert_eq!(line(Some(Cleanable::default())), line(None));
        assert_eq!(size(5 * 1024 * 1024 + 1), "5.0 MiB");
    }
}
