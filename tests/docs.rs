//! The documented command lines, run: every `console` block of the README and of `docs/` is
//! executed against the built binary from the repository's root, and its output and exit code
//! compared with what the docs show (trycmd). A change that alters an output fails here until
//! the docs follow; a link that a move of text left dead fails too. `[..]` and `...` stand where output depends on
//! the checkout (mtimes) or on the installed interpreters.

#[test]
fn documented_examples() {
    trycmd::TestCases::new()
        .register_bin(
            "pyc-audit",
            std::path::Path::new(env!("CARGO_BIN_EXE_pyc-audit")),
        )
        // The variables that add lines to a report or colour it count only when not empty: the
        // docs show what a plain environment prints, whatever the test's environment holds.
        .env("PYTHONDONTWRITEBYTECODE", "")
        .env("PYTHONPYCACHEPREFIX", "")
        .env("SOURCE_DATE_EPOCH", "")
        .env("PYTHONOPTIMIZE", "")
        .env("FORCE_COLOR", "")
        .env("CLICOLOR_FORCE", "0")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .case("README.md")
        .case("docs/*.md");
}

/// The Markdown files whose links are checked.
fn markdown_files() -> Vec<std::path::PathBuf> {
    let mut files = vec!["README.md".into(), "CONTRIBUTING.md".into()];
    let mut docs: Vec<_> = std::fs::read_dir("docs")
        .expect("docs/ exists")
        .map(|e| e.expect("docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

/// The lines of a Markdown file outside its code fences.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut in_fence = false;
    text.lines()
        .filter(|line| {
            if line.starts_with("```") {
                in_fence = !in_fence;
                return false;
            }
            !in_fence
        })
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    prose_lines(text)
        .iter()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|rest| slug(rest.trim_start_matches('#')))
        .collect()
}

/// The targets of the inline links `[text](target)` of one line.
fn link_targets(line: &str) -> Vec<&str> {
    line.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &line[at + 2..];
            rest.find(')').map(|end| &rest[..end])
        })
        .collect()
}

/// Every relative link of the README, CONTRIBUTING.md and docs/ names a file that exists, and
/// every `#anchor` a heading of its file: moving text between them cannot leave a dead link.
#[test]
fn relative_links_and_anchors_resolve() {
    let mut dead = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).expect("readable Markdown");
        let dir = file.parent().expect("a parent").to_path_buf();
        for line in prose_lines(&text) {
            for target in link_targets(line) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let linked = if path.is_empty() {
                    file.clone()
                } else {
                    dir.join(path)
                };
                if !linked.exists() {
                    dead.push(format!("{}: {target}: no such file", file.display()));
                    continue;
                }
                if anchor.is_empty() {
                    continue;
                }
                let linked_text = std::fs::read_to_string(&linked).unwrap_or_default();
                if !anchors(&linked_text).iter().any(|a| a == anchor) {
                    dead.push(format!("{}: {target}: no such heading", file.display()));
                }
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}
