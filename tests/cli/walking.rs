//! Walking rules: VCS dirs skipped, --exclude, symlinked dirs only with --follow, file roots.

use crate::support::{pep552, Tree, T};

fn orphan() -> Vec<u8> {
    pep552(3495, 0, T as u32, 6)
}

/// The caches listed (these trees of orphans also yield ghost-directory findings).
fn paths(t: &Tree, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--format", "paths", "--all"];
    all.extend_from_slice(args);
    t.run(&all)
        .stdout()
        .lines()
        .filter(|l| l.ends_with(".pyc"))
        .map(str::to_string)
        .collect()
}

#[test]
fn vcs_dirs_are_skipped_and_excludes_prune() {
    let t = Tree::new()
        .file(".git/objects/__pycache__/x.cpython-311.pyc", &orphan())
        .file(".hg/y.pyc", &orphan())
        .file("build/lib/__pycache__/z.cpython-311.pyc", &orphan())
        .file("src/__pycache__/a.cpython-311.pyc", &orphan())
        .file(".venv/lib/__pycache__/v.cpython-311.pyc", &orphan());
    let all = paths(&t, &[]);
    assert_eq!(
        all,
        [
            ".venv/lib/__pycache__/v.cpython-311.pyc",
            "build/lib/__pycache__/z.cpython-311.pyc",
            "src/__pycache__/a.cpython-311.pyc"
        ]
    );
    assert_eq!(
        paths(&t, &["--exclude", "build", "--exclude", ".venv"]),
        ["src/__pycache__/a.cpython-311.pyc"]
    );
    assert_eq!(paths(&t, &["--exclude", "src/__pycache__"]).len(), 2);
    assert_eq!(paths(&t, &["--exclude", "*.cpython-311.pyc"]).len(), 0);
}

#[test]
fn symlinked_directories_are_followed_only_on_request() {
    let t = Tree::new()
        .file("real/__pycache__/r.cpython-311.pyc", &orphan())
        .symlink("tree/link", "../real");
    assert_eq!(paths(&t, &["tree"]), Vec::<String>::new());
    assert_eq!(
        paths(&t, &["--follow", "tree"]),
        ["tree/link/__pycache__/r.cpython-311.pyc"]
    );
}

#[test]
fn a_cache_can_be_given_directly_and_check_is_optional() {
    let t = Tree::new().fresh_311("m", b"x = 1\n");
    assert_eq!(
        paths(&t, &["__pycache__/m.cpython-311.pyc"]),
        ["__pycache__/m.cpython-311.pyc"]
    );
    let run = t.run(&["check", "--format", "paths", "--all"]);
    assert_eq!(run.stdout(), "__pycache__/m.cpython-311.pyc\n");
}
