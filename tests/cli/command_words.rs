//! A first word that could be a command or a path is never taken silently; unknown words and
//! bad arguments are errors with the `pyc-audit:` prefix.

use crate::support::{pep552, Tree, T};

#[test]
fn a_command_word_that_is_also_a_path_here_is_refused() {
    let t = Tree::new()
        .file(
            "clean/__pycache__/o.cpython-311.pyc",
            &pep552(3495, 0, T as u32, 1),
        )
        .file("check", b"");
    for word in ["clean", "check"] {
        let run = t.run(&[word]);
        run.expect(2);
        assert_eq!(run.stdout(), "");
        let err = run.stderr();
        assert!(err.starts_with("pyc-audit: error: "), "{err}");
        assert!(err.contains(&format!("pyc-audit check ./{word}")), "{err}");
        assert!(err.contains(&format!("pyc-audit {word} .")), "{err}");
    }
    assert!(t.path("clean/__pycache__/o.cpython-311.pyc").exists());
    // Each way of saying it works.
    t.run(&["check", "./clean"]).expect(1);
    let run = t.run(&["clean", "--dry-run", "."]);
    run.expect(1);
    assert!(run.stdout().contains("clean/__pycache__/o.cpython-311.pyc"));
}

#[test]
fn an_unknown_word_is_an_unknown_command_with_a_suggestion() {
    let t = Tree::new();
    let run = t.run(&["clena"]);
    run.expect(2);
    let err = run.stderr();
    assert!(
        err.starts_with("pyc-audit: error: unrecognized subcommand 'clena'"),
        "{err}"
    );
    assert!(err.contains("'clean'"), "{err}");
    // A path-like word that does not exist is still a path that cannot be read.
    let run = t.run(&["missing.d"]);
    run.expect(2);
    assert!(run.stderr().contains("missing.d"), "{}", run.stderr());
}

#[test]
fn argument_errors_carry_the_prefix() {
    let t = Tree::new();
    for args in [
        &["--bogus"][..],
        &["--format", "xml"],
        &["clean", "--status", "fresh"],
    ] {
        let run = t.run(args);
        run.expect(2);
        assert!(
            run.stderr().starts_with("pyc-audit: error: "),
            "{args:?}: {}",
            run.stderr()
        );
    }
    let help = t.run(&["--help"]);
    help.expect(0);
    assert!(help.stdout().contains("Usage"));
}
