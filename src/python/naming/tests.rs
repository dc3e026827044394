//! Cache names of every layout, tag and implementation, parsed without touching the disk.

use super::*;

fn name(p: &str) -> CacheName {
    parse(Path::new(p)).expect(p)
}

fn claim(p: &str) -> (Implementation, Option<PyVersion>) {
    let c = name(p).claim().expect(p);
    (c.implementation, c.python)
}

#[test]
fn pep3147_names_pair_with_their_source() {
    let n = name("pkg/__pycache__/mod.cpython-311.pyc");
    assert_eq!(n.layout, Layout::Pycache);
    assert_eq!(n.sources[0], Path::new("pkg/mod.py"));
    assert_eq!(n.sources[1], Path::new("pkg/mod.pyw"));
    assert_eq!(n.tag.as_ref().unwrap().text, "cpython-311");
    assert!(n.is_default_name());
    let dotted = name("__pycache__/foo.bar.cpython-311.opt-2.pyc");
    assert_eq!(dotted.sources[0], Path::new("foo.bar.py"));
    assert_eq!(dotted.opt, OptLevel::Level(2));
    assert!(!dotted.is_default_name());
    let init = name("pkg/__pycache__/__init__.cpython-32.pyo");
    assert_eq!(init.sources[0], Path::new("pkg/__init__.py"));
    assert_eq!(init.opt, OptLevel::Level(1));
    assert_eq!(
        claim("__pycache__/a.cpython-32.pyc").1,
        Some(PyVersion::new(3, 2))
    );
}

#[test]
fn legacy_names_sit_beside_the_source() {
    let n = name("lib/mod.pyc");
    assert_eq!(n.layout, Layout::Legacy);
    assert_eq!(n.sources[0], Path::new("lib/mod.py"));
    assert!(n.is_default_name());
    let o = name("mod.pyo");
    assert!(o.is_pyo && !o.is_default_name());
    assert_eq!(o.sources[0], Path::new("mod.py"));
}

#[test]
fn pytest_names_keep_their_version() {
    let n = name("t/__pycache__/test_x.cpython-311-pytest-8.3.4.pyc");
    assert_eq!(n.layout, Layout::Pytest);
    assert_eq!(n.pytest, Some(PytestVersion::Release("8.3.4".into())));
    assert_eq!(n.sources[0], Path::new("t/test_x.py"));
    assert_eq!(n.tag.as_ref().unwrap().text, "cpython-311");
    let old = name("__pycache__/test_y.cpython-37-PYTEST.pyc");
    assert_eq!(old.pytest, Some(PytestVersion::Legacy));
    assert_eq!(old.sources[0], Path::new("test_y.py"));
}

#[test]
fn tags_name_their_interpreter() {
    use Implementation::*;
    assert_eq!(
        claim("__pycache__/m.pypy39.pyc"),
        (PyPy, Some(PyVersion::new(3, 9)))
    );
    assert_eq!(
        claim("__pycache__/m.pypy310.pyc"),
        (PyPy, Some(PyVersion::new(3, 10)))
    );
    assert_eq!(claim("__pycache__/m.pypy3-71.pyc"), (PyPy, None));
    let graal = claim("__pycache__/m.graalpy250-312.pyc");
    assert_eq!(graal, (GraalPy, Some(PyVersion::new(3, 12))));
    let old_graal = claim("__pycache__/m.graalpython-38.pyc");
    assert_eq!(old_graal, (GraalPy, Some(PyVersion::new(3, 8))));
    let graal_dev = claim("__pycache__/m.graalpy240dev0123456789-310.opt-1.pyc");
    assert_eq!(graal_dev, (GraalPy, Some(PyVersion::new(3, 10))));
    let graal_capi = claim("__pycache__/m.graalpy231-5-310.pyc");
    assert_eq!(graal_capi, (GraalPy, Some(PyVersion::new(3, 10))));
    assert_eq!(
        claim("__pycache__/m.graalpy-38.pyc"),
        (GraalPy, Some(PyVersion::new(3, 8)))
    );
    assert_eq!(
        claim("__pycache__/m.rustpython-313.pyc"),
        (RustPython, Some(PyVersion::new(3, 13)))
    );
    let rust_opt = name("__pycache__/m.rustpython-314.opt-2.pyc");
    assert_eq!(rust_opt.opt, OptLevel::Level(2));
    assert_eq!(rust_opt.sources[0], Path::new("m.py"));
    assert_eq!(claim("__pycache__/m.rustpython-01.pyc"), (RustPython, None));
    assert_eq!(
        claim("__pycache__/m.rustpython-0_5.pyc"),
        (RustPython, None)
    );
    assert_eq!(name("__pycache__/m.rustpython-x.pyc").claim(), None);
    assert_eq!(name("__pycache__/m.rustpython-3.pyc").claim(), None);
    assert_eq!(name("__pycache__/m.jython-27.pyc").claim(), None);
    assert_eq!(name("__pycache__/m.cpython-x.pyc").claim(), None);
    let no_tag = name("__pycache__/plain.pyc");
    assert_eq!(no_tag.tag, None);
    assert!(!no_tag.is_default_name());
}

#[test]
fn prefix_names_pair_with_the_mirrored_directory() {
    let src = Path::new("/home/u/proj/pkg");
    let n = parse_prefixed(Path::new("/pfx/home/u/proj/pkg/m.cpython-311.pyc"), src).unwrap();
    assert_eq!(n.layout, Layout::Prefix);
    assert_eq!(n.sources[0], Path::new("/home/u/proj/pkg/m.py"));
    assert_eq!(n.tag.as_ref().unwrap().text, "cpython-311");
    assert!(n.is_default_name());
    let opt = parse_prefixed(Path::new("p/a.b.pypy39.opt-1.pyc"), Path::new("s")).unwrap();
    assert_eq!(opt.sources[0], Path::new("s/a.b.py"));
    assert_eq!(opt.opt, OptLevel::Level(1));
    let pytest = parse_prefixed(Path::new("p/t.cpython-312-pytest-8.3.4.pyc"), src).unwrap();
    assert_eq!(pytest.layout, Layout::Pytest);
    assert_eq!(pytest.sources[0], Path::new("/home/u/proj/pkg/t.py"));
    // A bare `m.pyc` in the prefix tree has no tag: nothing reads it there.
    let bare = parse_prefixed(Path::new("p/m.pyc"), src).unwrap();
    assert_eq!((bare.layout, bare.tag), (Layout::Prefix, None));
    assert!(parse_prefixed(Path::new("p/m.py"), src).is_none());
}

#[test]
fn only_cache_suffixes_parse() {
    assert!(parse(Path::new("a.py")).is_none());
    assert!(parse(Path::new("a.pyc.123")).is_none());
    assert!(parse(Path::new(".pyc")).is_some());
}

#[cfg(unix)]
#[test]
fn non_utf8_stems_are_kept_byte_for_byte() {
    use std::os::unix::ffi::OsStrExt;
    let raw = OsStr::from_bytes(b"__pycache__/caf\xe9.cpython-311.pyc");
    let n = parse(Path::new(raw)).unwrap();
    assert_eq!(n.sources[0].as_os_str().as_bytes(), b"caf\xe9.py");
}

#[test]
fn split_name_agrees_with_path_on_every_shape() {
    let shapes = [
        "",
        "/",
        ".",
        "..",
        "m.pyc",
        "/m.pyc",
        "//m.pyc",
        "./m.pyc",
        "../m.pyc",
        "a/m.pyc",
        "a//m.pyc",
        "a/./m.pyc",
        "a/../m.pyc",
        "a/.",
        "a/..",
        "a/",
        "a//",
        "./a/__pycache__/m.pyc",
        "/r/a/__pycache__/m.cpython-311.pyc",
        "a/.hidden",
        "a/b/.",
        "..a/b",
        "a/.b/c",
    ];
    for shape in shapes {
        let path = Path::new(shape);
        assert_eq!(
            split_name(path),
            (path.parent(), path.file_name()),
            "{shape:?}"
        );
    }
}

#[test]
fn cpython_tags_are_borrowed_and_every_tag_keeps_its_text() {
    for text in ["cpython-311", "cpython-27", "cpython-20", "cpython-331"] {
        assert!(
            matches!(tag_text(text.as_bytes()), Cow::Borrowed(t) if t == text),
            "{text}"
        );
    }
    for text in [
        "cpython-3011",
        "cpython-332",
        "cpython-4",
        "cpython-",
        "cpython-3x",
        "pypy39",
    ] {
        assert!(
            matches!(tag_text(text.as_bytes()), Cow::Owned(t) if t == text),
            "{text}"
        );
    }
}
