//! The documented command lines, run: every `console` block of the README and of `docs/`, and
//! the cases under `tests/cmd/`, are executed against the built binary from the repository's
//! root and their output compared with what the docs show (trycmd). A change that alters an
//! output fails here until the docs follow. `[..]` and `...` stand where output depends on
//! the checkout (mtimes) or on the installed interpreters.

#[test]
fn documented_examples() {
    trycmd::TestCases::new()
        .register_bin("pyc-audit", std::path::Path::new(env!("CARGO_BIN_EXE_pyc-audit")))
        .case("README.md")
        .case("docs/*.md")
        .case("tests/cmd/*.toml")
        .case("tests/cmd/*.trycmd");
}
