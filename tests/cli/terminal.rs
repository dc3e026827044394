//! What a person at a terminal sees: the table fits the terminal's width (under a pseudo
//! terminal from `script`, its width set by `COLUMNS`), the next-step line, `--quiet`, forced
//! colour, shell completions and the man page.

use crate::support::{pep552, Tree, T};

/// A stale cache (a long reason), an orphan and a debris file, under short paths.
fn findings() -> Tree {
    Tree::new()
        .fresh_311("ok", b"x = 1\n")
        .file("s.py", b"x = 22\n")
        .file("__pycache__/s.cpython-311.pyc", &pep552(3495, 0, 1, 6))
        .file(
            "__pycache__/gone.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 6),
        )
        .file("__pycache__/m.cpython-311.pyc.123", b"xy")
}

/// Runs the binary with stdout on a pseudo terminal `columns` wide; returns its lines.
fn on_terminal(tree: &Tree, args: &str, columns: usize) -> Vec<String> {
    let binary = env!("CARGO_BIN_EXE_pyc-audit");
    let output = std::process::Command::new("script")
        .args(["-qec", &format!("'{binary}' {args}"), "/dev/null"])
        .current_dir(tree.dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("COLUMNS", columns.to_string())
        .output()
        .expect("script (util-linux) runs the binary on a pseudo terminal");
    let text = String::from_utf8_lossy(&output.stdout).replace('\r', "");
    assert!(text.contains("STATUS"), "{text}");
    text.lines().map(str::to_string).collect()
}

#[test]
fn the_table_fits_80_and_120_columns_and_wraps_only_reasons() {
    let tree = findings();
    let flat = tree.run(&[]).stdout();
    let widest = flat.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(
        widest > 120,
        "not a terminal: one row per line, nothing wraps\n{flat}"
    );
    for columns in [80, 120] {
        let lines = on_terminal(&tree, "", columns);
        for line in &lines {
            assert!(
                line.chars().count() <= columns,
                "{columns}: {line:?}\n{lines:#?}"
            );
        }
        let table: String = lines.join("\n");
        for path in [
            "__pycache__/s.cpython-311.pyc",
            "__pycache__/gone.cpython-311.pyc",
            "__pycache__/m.cpython-311.pyc.123",
        ] {
            assert!(table.contains(path), "a path is never cut: {path}\n{table}");
        }
        // Every word of every reason is still there, whole.
        let words =
            |text: &str| -> Vec<String> { text.split_whitespace().map(str::to_string).collect() };
        let reason_words: Vec<String> = flat.lines().skip(1).take(3).flat_map(&words).collect();
        let wrapped_words = words(&table);
        for word in reason_words {
            assert!(
                wrapped_words.contains(&word),
                "{word} cut at {columns}\n{table}"
            );
        }
    }
}

#[test]
fn long_paths_put_each_reason_under_its_row() {
    let dir = format!("{}/m", "d".repeat(20));
    let tree = Tree::new()
        .file(&format!("{dir}/s-1.py"), b"x = 22\n")
        .file(
            &format!("{dir}/__pycache__/s-1.cpython-311.pyc"),
            &pep552(3495, 0, 1, 6),
        );
    let lines = on_terminal(&tree, "", 80);
    let row = lines.iter().position(|l| l.starts_with(" stale")).unwrap();
    assert!(
        lines[row].ends_with("/__pycache__/s-1.cpython-311.pyc"),
        "{lines:#?}"
    );
    assert!(
        lines[row + 1].starts_with("     recorded mtime"),
        "{lines:#?}"
    );
    for line in &lines {
        assert!(line.chars().count() <= 80, "{line:?}\n{lines:#?}");
    }
    // Wider than the terminal, a path is still whole (and only its line is wider).
    let long = format!("{}/m", "d".repeat(100));
    let tree = Tree::new().file(
        &format!("{long}/__pycache__/x-y.cpython-311.pyc"),
        &pep552(3495, 0, T as u32, 6),
    );
    let lines = on_terminal(&tree, "", 80);
    let path = format!("{long}/__pycache__/x-y.cpython-311.pyc");
    assert!(lines.iter().any(|l| l.ends_with(&path)), "{lines:#?}");
    for line in lines.iter().filter(|l| l.chars().count() > 80) {
        assert!(
            line.contains(&long),
            "only a path makes a line wider: {lines:#?}"
        );
    }
    assert!(
        lines.iter().all(|l| !l.ends_with("pyc-")),
        "no break at a hyphen"
    );
}

#[test]
fn a_next_step_line_follows_the_summary_of_findings() {
    let tree = findings();
    let run = tree.run(&[]);
    run.expect(1);
    let out = run.stdout();
    let last = out.lines().last().unwrap();
    // The stale and orphan caches (pep552 of an empty module) and the 2-byte debris file.
    let bytes = 2 * pep552(3495, 0, 0, 0).len() + 2;
    assert_eq!(
        last,
        format!(
            "Next: `pyc-audit clean` on these paths would remove 3 files ({bytes} B); \
             `pyc-audit explain PATH` says why"
        )
    );
    let clean = Tree::new().fresh_311("ok", b"x = 1\n").run(&[]).stdout();
    assert!(!clean.contains("Next:"), "{clean}");
    for format in ["json", "jsonl", "paths", "github", "sarif"] {
        let out = tree.run(&["--format", format]).stdout();
        assert!(!out.contains("Next:"), "{format}: {out}");
    }
}

#[test]
fn quiet_prints_nothing_but_errors_and_keeps_the_exit_code() {
    let tree = findings();
    let run = tree.run_env(&["-q"], &[("PYTHONPYCACHEPREFIX", "pfx")]);
    run.expect(1);
    assert_eq!((run.stdout(), run.stderr()), (String::new(), String::new()));
    tree.run(&["check", "--quiet", "--fail-on", "never"])
        .expect(0);
    let missing = tree.run(&["-q", "no-such-dir"]);
    missing.expect(2);
    assert!(
        missing.stderr().starts_with("pyc-audit: error: "),
        "{}",
        missing.stderr()
    );
    assert_eq!(missing.stdout(), "");
    let dry = tree.run(&["clean", "-q", "--dry-run", "."]);
    dry.expect(1);
    assert_eq!(dry.stdout(), "");
}

#[test]
fn force_color_and_clicolor_force_colour_a_pipe() {
    let tree = findings();
    let ansi = |vars: &[(&str, &str)]| tree.run_env(&[], vars).stdout().contains("\x1b[");
    assert!(!ansi(&[]));
    assert!(
        ansi(&[("FORCE_COLOR", "1")]),
        "FORCE_COLOR beats NO_COLOR, as in ruff"
    );
    assert!(!ansi(&[("FORCE_COLOR", "")]));
    assert!(ansi(&[("CLICOLOR_FORCE", "1")]));
    assert!(!ansi(&[("CLICOLOR_FORCE", "0")]));
    let never = tree.run_env(&["--color", "never"], &[("FORCE_COLOR", "1")]);
    assert!(!never.stdout().contains("\x1b["), "the flag wins");
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    let tree = Tree::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = tree.run(&["generate-shell-completion", shell]);
        run.expect(0);
        assert!(run.stdout().contains("pyc-audit"), "{shell}");
        assert!(
            run.stdout().contains("explain"),
            "{shell}: subcommands complete"
        );
    }
    tree.run(&["generate-shell-completion", "tcsh"]).expect(2);
    let man = tree.run(&["generate-man"]);
    man.expect(0);
    assert!(man.stdout().contains(".TH pyc-audit 1"), "{}", man.stdout());
    assert!(man.stdout().contains("fail\\-on"));
}
