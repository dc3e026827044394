//! What the terminal on stdout allows: its width, so the table can fit in it. Outside a
//! terminal there is no width, and nothing wraps.

use std::io::IsTerminal;

/// The width of the terminal stdout writes to: `COLUMNS` when it is a positive number (as
/// shells export it, and so a width can be chosen), else the terminal's own; `None` when
/// stdout is not a terminal.
pub(crate) fn width() -> Option<usize> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS").ok();
    columns_or(columns.as_deref(), || {
        terminal_size::terminal_size_of(&stdout).map(|(w, _)| usize::from(w.0))
    })
}

fn columns_or(columns: Option<&str>, terminal: impl FnOnce() -> Option<usize>) -> Option<usize> {
    match columns.and_then(|c| c.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => Some(n),
        _ => terminal().filter(|&n| n > 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_wins_when_it_is_a_positive_number() {
        assert_eq!(columns_or(Some("80"), || Some(100)), Some(80));
        assert_eq!(columns_or(Some("0"), || Some(100)), Some(100));
        assert_eq!(columns_or(Some("wide"), || Some(100)), Some(100));
        assert_eq!(columns_or(None, || Some(0)), None);
        assert_eq!(columns_or(None, || None), None);
    }
}
