use super::*;
use crate::pypi::edit::{FileKind, changed_entries, edit_poetry_lock};
use crate::pypi::registry::{parse_files, release_metadata};

/// The recorded JSON API answer of `project` (its `info` is the newest release's).
fn recorded(project: &str) -> Vec<u8> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/pypi/json")
        .join(format!("{project}.json"));
    std::fs::read(path).expect("fixture")
}

fn metadata(requires: &[&str], python: Option<&str>) -> ReleaseMetadata {
    ReleaseMetadata {
        version: "3.1.3".into(),
        requires_dist: Some(requires.iter().map(|r| r.to_string()).collect()),
        requires_python: python.map(str::to_string),
        summary: Some("A simple framework for building complex web applications.".into()),
    }
}

/// A lock (format 2.0) where flask already moved to 3.1.3 (files and version), its tables
/// still those of 3.1.0.
fn lock(python: &str, markupsafe: bool) -> String {
    let package = |name: &str, version: &str, deps: &str| {
        format!(
            "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"{name}\"\noptional = false\npython-versions = \">=3.8\"\nfiles = [\n    {{file = \"{name}-{version}.tar.gz\", hash = \"sha256:00\"}},\n]\n{deps}\n"
        )
    };
    let mut text = String::new();
    text.push_str(&package("blinker", "1.9.0", ""));
    text.push_str(&package(
        "click",
        "8.1.8",
        "\n[package.dependencies]\ncolorama = {version = \"*\", markers = \"platform_system == \\\"Windows\\\"\"}\n",
    ));
    text.push_str(&package("colorama", "0.4.6", ""));
    text.push_str(
        "[[package]]\nname = \"flask\"\nversion = \"3.1.3\"\ndescription = \"A simple framework for building complex web applications.\"\noptional = false\npython-versions = \">=3.9\"\nfiles = [\n    {file = \"flask-3.1.3.tar.gz\", hash = \"sha256:11\"},\n]\n\n\
         [package.dependencies]\nblinker = \">=1.9\"\nclick = \">=8.1.3\"\nimportlib-metadata = {version = \">=3.6\", markers = \"python_version < \\\"3.10\\\"\"}\nitsdangerous = \">=2.2\"\nJinja2 = \">=3.1.2\"\nWerkzeug = \">=3.1\"\n\n\
         [package.extras]\nasync = [\"asgiref (>=3.2)\"]\ndotenv = [\"python-dotenv\"]\n\n",
    );
    text.push_str(&package("importlib-metadata", "8.5.0", ""));
    text.push_str(&package("itsdangerous", "2.2.0", ""));
    text.push_str(&package(
        "jinja2",
        "3.1.5",
        "\n[package.dependencies]\nMarkupSafe = \">=2.0\"\n",
    ));
    if markupsafe {
        text.push_str(&package("markupsafe", "3.0.2", ""));
    }
    text.push_str(&package(
        "werkzeug",
        "3.1.3",
        "\n[package.dependencies]\nMarkupSafe = \">=2.1.1\"\n",
    ));
    text.push_str(&format!(
        "[metadata]\nlock-version = \"2.0\"\npython-versions = \"{python}\"\ncontent-hash = \"abc\"\n"
    ));
    text
}

const FLASK_313: [&str; 9] = [
    "blinker>=1.9.0",
    "click>=8.1.3",
    "importlib-metadata>=3.6.0; python_version < \"3.10\"",
    "itsdangerous>=2.2.0",
    "jinja2>=3.1.2",
    "markupsafe>=2.1.1",
    "werkzeug>=3.1.0",
    "asgiref>=3.2; extra == \"async\"",
    "python-dotenv; extra == \"dotenv\"",
];

#[test]
fn the_dependency_tables_are_rewritten_in_poetrys_format_and_nothing_else_moves() {
    let old = lock("^3.9", true);
    let done = refresh_dependencies(
        "poetry.lock",
        &old,
        "flask",
        "3.1.3",
        &metadata(&FLASK_313, Some(">=3.9")),
    )
    .unwrap();
    let expected = old.replace(
        "[package.dependencies]\nblinker = \">=1.9\"\nclick = \">=8.1.3\"\nimportlib-metadata = {version = \">=3.6\", markers = \"python_version < \\\"3.10\\\"\"}\nitsdangerous = \">=2.2\"\nJinja2 = \">=3.1.2\"\nWerkzeug = \">=3.1\"\n\n\
         [package.extras]\nasync = [\"asgiref (>=3.2)\"]\ndotenv = [\"python-dotenv\"]\n",
        "[package.dependencies]\nasgiref = {version = \">=3.2\", optional = true, markers = \"extra == \\\"async\\\"\"}\nblinker = \">=1.9.0\"\nclick = \">=8.1.3\"\nimportlib-metadata = {version = \">=3.6.0\", markers = \"python_version < \\\"3.10\\\"\"}\nitsdangerous = \">=2.2.0\"\njinja2 = \">=3.1.2\"\nmarkupsafe = \">=2.1.1\"\npython-dotenv = {version = \"*\", optional = true, markers = \"extra == \\\"dotenv\\\"\"}\nwerkzeug = \">=3.1.0\"\n\n\
         [package.extras]\nasync = [\"asgiref (>=3.2)\"]\ndotenv = [\"python-dotenv\"]\n",
    );
    assert_eq!(done.text, expected);
    assert!(done.notes.is_empty(), "{:?}", done.notes);
    let changed = changed_entries(FileKind::PoetryLock, "poetry.lock", &old, &done.text).unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0].name, "flask");
}

#[test]
fn a_dependency_the_lock_lacks_is_refused_by_name() {
    let old = lock("^3.9", false);
    let refusal = refresh_dependencies(
        "poetry.lock",
        &old,
        "flask",
        "3.1.3",
        &metadata(&FLASK_313, Some(">=3.9")),
    )
    .unwrap_err();
    let text = refusal.to_string();
    assert!(
        text.starts_with("poetry.lock:")
            && text.contains("`markupsafe>=2.1.1` (not in the lock)")
            && text.contains("poetry update flask"),
        "{text}"
    );
    // A version the specifier rejects is named with what the lock has.
    let old = lock("^3.9", true).replace("version = \"3.0.2\"", "version = \"2.0.0\"");
    let text = refresh_dependencies(
        "poetry.lock",
        &old,
        "flask",
        "3.1.3",
        &metadata(&FLASK_313, Some(">=3.9")),
    )
    .unwrap_err()
    .to_string();
    assert!(
        text.contains("`markupsafe>=2.1.1` (the lock has 2.0.0)"),
        "{text}"
    );
}

#[test]
fn dependencies_for_no_python_of_the_lock_are_left_out() {
    // From 3.10 on, importlib-metadata is not needed (and need not be locked).
    let old = lock("^3.10", true).replace(
        "[[package]]\nname = \"importlib-metadata\"",
        "[[package]]\nname = \"importlib-metadata-gone\"",
    );
    let done = refresh_dependencies(
        "poetry.lock",
        &old,
        "flask",
        "3.1.3",
        &metadata(&FLASK_313, Some(">=3.9")),
    )
    .unwrap();
    assert!(
        !done.text.contains("importlib-metadata = "),
        "{}",
        done.text
    );
    assert!(
        done.notes
            .iter()
            .any(|n| n.contains("no longer depends on importlib-metadata")),
        "{:?}",
        done.notes
    );
    // The lock's Pythons must all be allowed by the release.
    let text = refresh_dependencies(
        "poetry.lock",
        &lock("^3.8", true),
        "flask",
        "3.1.3",
        &metadata(&FLASK_313, Some(">=3.9")),
    )
    .unwrap_err()
    .to_string();
    assert!(
        text.contains("requires Python >=3.9, but the lock is for Python ^3.8"),
        "{text}"
    );
}

#[test]
fn an_extra_another_entry_asks_for_must_be_locked_too() {
    // werkzeug asks for flask[async]: asgiref must then be in the lock.
    let old = lock("^3.9", true).replace(
        "[package.dependencies]\nMarkupSafe = \">=2.1.1\"\n",
        "[package.dependencies]\nMarkupSafe = \">=2.1.1\"\nflask = {version = \">=3\", extras = [\"async\"]}\n",
    );
    let text = refresh_dependencies(
        "poetry.lock",
        &old,
        "flask",
        "3.1.3",
        &metadata(&FLASK_313, Some(">=3.9")),
    )
    .unwrap_err()
    .to_string();
    assert!(text.contains("`asgiref>=3.2` (not in the lock)"), "{text}");
}

#[test]
fn a_dependency_locked_for_development_only_is_refused() {
    let old = lock("^3.9", true)
        .replace("optional = false", "category = \"main\"\noptional = false")
        .replace(
            "name = \"markupsafe\"\nversion = \"3.0.2\"\ndescription = \"markupsafe\"\ncategory = \"main\"",
            "name = \"markupsafe\"\nversion = \"3.0.2\"\ndescription = \"markupsafe\"\ncategory = \"dev\"",
        );
    let text = refresh_dependencies(
        "poetry.lock",
        &old,
        "flask",
        "3.1.3",
        &metadata(&FLASK_313, Some(">=3.9")),
    )
    .unwrap_err()
    .to_string();
    assert!(
        text.contains("`markupsafe` is locked for development only"),
        "{text}"
    );
}

#[test]
fn unknown_dependencies_are_refused_unless_the_entry_had_none() {
    let mut release = metadata(&[], Some(">=3.9"));
    release.requires_dist = None;
    let text = refresh_dependencies(
        "poetry.lock",
        &lock("^3.9", true),
        "flask",
        "3.1.3",
        &release,
    )
    .unwrap_err()
    .to_string();
    assert!(text.contains("gives no dependencies"), "{text}");
    // blinker has no tables: none stays none.
    let old = lock("^3.9", true);
    let mut release = metadata(&[], Some(">=3.8"));
    release.requires_dist = None;
    release.summary = Some("blinker".into());
    release.version = "1.9.0".into();
    let done = refresh_dependencies("poetry.lock", &old, "blinker", "1.9.0", &release).unwrap();
    assert_eq!(done.text, old);
}

#[test]
fn tables_are_added_and_removed_in_poetrys_order() {
    let old = lock("^3.9", true);
    // blinker gains a dependency and an extra.
    let mut release = metadata(
        &[
            "colorama>=0.4; sys_platform == 'win32'",
            "click; extra == 'cli'",
        ],
        Some(">=3.8"),
    );
    release.summary = Some("blinker".into());
    let done = refresh_dependencies("poetry.lock", &old, "blinker", "1.9.0", &release).unwrap();
    assert!(
        done.text.contains(
            "files = [\n    {file = \"blinker-1.9.0.tar.gz\", hash = \"sha256:00\"},\n]\n\n\
             [package.dependencies]\nclick = {version = \"*\", optional = true, markers = \"extra == \\\"cli\\\"\"}\ncolorama = {version = \">=0.4\", markers = \"sys_platform == \\\"win32\\\"\"}\n\n\
             [package.extras]\ncli = [\"click\"]\n\n[[package]]\nname = \"click\""
        ),
        "{}",
        done.text
    );
    // jinja2 loses its only dependency: the table goes, and its blank line.
    let mut release = metadata(&[], Some(">=3.8"));
    release.summary = Some("jinja2".into());
    let done = refresh_dependencies("poetry.lock", &old, "jinja2", "3.1.5", &release).unwrap();
    assert!(
        done.text.contains(
            "{file = \"jinja2-3.1.5.tar.gz\", hash = \"sha256:00\"},\n]\n\n[[package]]\nname = \"markupsafe\""
        ),
        "{}",
        done.text
    );
    let changed = changed_entries(FileKind::PoetryLock, "poetry.lock", &old, &done.text).unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
}

#[test]
fn poetry_constraints() {
    for (specifier, poetry) in [
        ("", "*"),
        ("==5.0.0", "5.0.0"),
        ("~=1.12", ">=1.12,<2.0"),
        ("~=1.4.0", ">=1.4.0,<1.5.0"),
        ("==1.4.*", ">=1.4.0,<1.5.0"),
        ("==2.*", ">=2.0.0,<3.0.0"),
        ("<1.27,>=1.21.1", ">=1.21.1,<1.27"),
        (">=2.0.0, <3.0.0", ">=2.0.0,<3.0.0"),
        ("<4,>=2", ">=2,<4"),
        (">1.0", ">1.0"),
        ("<=7,>=3", ">=3,<=7"),
        ("!=1.5.7,>=1.5.6", ">=1.5.6,<1.5.7 || >1.5.7"),
        ("!=2.0", "!=2.0"),
        ("===1.0", "===1.0"),
        ("==1.0,>=0.9", "==1.0,>=0.9"),
        ("~=18446744073709551615.1", "~=18446744073709551615.1"),
        ("==18446744073709551615.*", "==18446744073709551615.*"),
    ] {
        assert_eq!(poetry_constraint(specifier), poetry, "{specifier}");
    }
}

#[test]
fn markers_read_print_and_evaluate() {
    let marker = Marker::parse("(python_version<'3.8' and extra=='a') or extra == \"b\"").unwrap();
    assert_eq!(
        marker.render(),
        "python_version < \"3.8\" and extra == \"a\" or extra == \"b\""
    );
    let mut extras = Vec::new();
    marker.extras(&mut extras);
    assert_eq!(extras, ["a", "b"]);
    let and_of_or =
        Marker::parse("sys_platform == 'win32' and (extra == 'a' or extra == 'b')").unwrap();
    assert_eq!(
        and_of_or.render(),
        "sys_platform == \"win32\" and (extra == \"a\" or extra == \"b\")"
    );
    let py = |short: &str, full: &str| Python {
        short: short.into(),
        full: full.into(),
    };
    let old = Marker::parse("python_version < \"3.8\"").unwrap();
    assert_eq!(old.evaluate(&py("3.8", "3.8.0")), Some(false));
    assert_eq!(old.evaluate(&py("3.7", "3.7.0")), Some(true));
    let platform = Marker::parse("python_version < '3.8' and sys_platform == 'linux'").unwrap();
    assert_eq!(platform.evaluate(&py("3.7", "3.7.0")), None);
    assert_eq!(platform.evaluate(&py("3.9", "3.9.0")), Some(false));
    let full = Marker::parse("python_full_version >= '3.8.1' or os_name == 'nt'").unwrap();
    assert_eq!(full.evaluate(&py("3.9", "3.9.0")), Some(true));
    assert_eq!(full.evaluate(&py("3.8", "3.8.0")), None);
    assert_eq!(
        Marker::parse("'linux' in sys_platform and platform_machine not in 'x86_64 aarch64'")
            .unwrap()
            .render(),
        "\"linux\" in sys_platform and platform_machine not in \"x86_64 aarch64\""
    );
    for bad in [
        "",
        "python_version <",
        "(extra == 'a'",
        "extra = 'a'",
        "extra == 'a",
        "a b c",
    ] {
        assert!(Marker::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        pythons_of("~3.8")
            .unwrap()
            .iter()
            .map(|p| p.short.as_str())
            .collect::<Vec<_>>(),
        ["3.8"]
    );
    assert!(pythons_of("not a constraint").is_none());
}

#[test]
fn saleor_real_lock_and_recorded_releases() {
    let path = crate::testutil::corpus().join("python/saleor__saleor__98ebf96d65/poetry.lock");
    let old = std::fs::read_to_string(path).unwrap();
    // six 1.17.0 (the newest release in the recording): PyPI gives no requires_dist, and the
    // locked six has no dependencies: only its description and python-versions may move.
    let body = recorded("six");
    let six = release_metadata(&body, "1.17.0").unwrap();
    let files = parse_files(&body).unwrap().remove("1.17.0").unwrap();
    let moved = edit_poetry_lock("poetry.lock", &old, "six", "1.15.0", "1.17.0", &files).unwrap();
    let done = refresh_dependencies("poetry.lock", &moved.text, "six", "1.17.0", &six).unwrap();
    let changed = changed_entries(FileKind::PoetryLock, "poetry.lock", &old, &done.text).unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(
        done.text.contains(
            "name = \"six\"\nversion = \"1.17.0\"\ndescription = \"Python 2 and 3 compatibility utilities\"\ncategory = \"main\"\noptional = false\npython-versions = \"!=3.0.*,!=3.1.*,!=3.2.*,>=2.7\"\n\n[[package]]"
        ),
        "{}",
        done.text
    );
    // requests 2.34.2 needs Python 3.10; saleor locks for ~3.8.
    let body = recorded("requests");
    let requests = release_metadata(&body, "2.34.2").unwrap();
    let files = parse_files(&body).unwrap().remove("2.34.2").unwrap();
    let moved =
        edit_poetry_lock("poetry.lock", &old, "requests", "2.25.1", "2.34.2", &files).unwrap();
    let text = refresh_dependencies("poetry.lock", &moved.text, "requests", "2.34.2", &requests)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("requires Python >=3.10, but the lock is for Python ~3.8"),
        "{text}"
    );
}

#[test]
fn an_entry_is_restored_from_an_older_text_byte_for_byte() {
    let path = crate::testutil::corpus().join("python/saleor__saleor__98ebf96d65/poetry.lock");
    let old = std::fs::read_to_string(path).unwrap();
    let body = recorded("six");
    let six = release_metadata(&body, "1.17.0").unwrap();
    let files = parse_files(&body).unwrap().remove("1.17.0").unwrap();
    let moved = edit_poetry_lock("poetry.lock", &old, "six", "1.15.0", "1.17.0", &files).unwrap();
    let new = refresh_dependencies("poetry.lock", &moved.text, "six", "1.17.0", &six)
        .unwrap()
        .text;
    let back = restore_entry("poetry.lock", &new, &old, "six", "1.17.0", "1.15.0").unwrap();
    assert_eq!(back, old);
    assert!(matches!(
        restore_entry("poetry.lock", &new, &old, "six", "9.9", "1.15.0"),
        Err(EditRefusal::NotFound { .. })
    ));
}

#[test]
fn garbage_never_panics() {
    let release = metadata(&FLASK_313, None);
    for text in [
        "",
        "[[package]]\nname = 1\n",
        "[metadata]\n",
        "garbage = [",
        "[[package]]\nname = \"flask\"\nversion = \"3.1.3\"\n[package.dependencies.x]\na = 1\n",
    ] {
        let _ = refresh_dependencies("poetry.lock", text, "flask", "3.1.3", &release);
        let _ = restore_entry("poetry.lock", text, text, "flask", "3.1.3", "3.1.0");
    }
    let weird = metadata(&["@@@", "x @ https://e/x.whl", "y; python_version <"], None);
    let old = lock("^3.9", true);
    for requirement in weird.requires_dist.clone().unwrap_or_default() {
        let mut one = weird.clone();
        one.requires_dist = Some(vec![requirement]);
        assert!(matches!(
            refresh_dependencies("poetry.lock", &old, "flask", "3.1.3", &one),
            Err(DependencyRefusal::Unreadable { .. })
        ));
    }
}

#[test]
fn the_dependents_constraints_decide_where_an_entry_may_move() {
    // saleor's lock: authorizenet 1.1.3 asks for `lxml = ">=4.0.0,<5.0.0"`, another entry for
    // `lxml = "*"`; requests 2.25.1 for `idna = ">=2.5,<3"`.
    let path = crate::testutil::corpus().join("python/saleor__saleor__98ebf96d65/poetry.lock");
    let lock = std::fs::read_to_string(path).unwrap();
    let on_lxml = constraints_on("poetry.lock", &lock, "LXML");
    assert!(
        on_lxml.contains(&(
            "authorizenet".to_string(),
            "1.1.3".to_string(),
            vec![">=4.0.0,<5.0.0".to_string()]
        )),
        "{on_lxml:?}"
    );
    assert_eq!(
        rejecting_dependents("poetry.lock", &lock, "lxml", "6.1.0", &[]),
        ["authorizenet 1.1.3 requires lxml >=4.0.0,<5.0.0"]
    );
    assert!(rejecting_dependents("poetry.lock", &lock, "lxml", "4.9.1", &[]).is_empty());
    // A dependent that moves with the update does not count.
    assert!(
        rejecting_dependents(
            "poetry.lock",
            &lock,
            "lxml",
            "6.1.0",
            &["authorizenet".to_string()]
        )
        .is_empty()
    );
    assert!(!rejecting_dependents("poetry.lock", &lock, "idna", "3.15", &[]).is_empty());

    // An optional dependency (for an extra) binds nothing; a marker alternative that accepts
    // the version is enough.
    let made = "[[package]]\nname = \"a\"\nversion = \"1.0\"\n\n[package.dependencies]\n\
                pytest = {version = \">=7.3.1\", optional = true, markers = \"extra == \\\"test\\\"\"}\n\
                typing-extensions = [\n    {version = \">=3.10\", markers = \"python_version < \\\"3.10\\\"\"},\n    {version = \"<3\", markers = \"python_version >= \\\"3.10\\\"\"},\n]\n";
    assert!(constraints_on("poetry.lock", made, "pytest").is_empty());
    assert!(rejecting_dependents("poetry.lock", made, "pytest", "6.2.1", &[]).is_empty());
    assert!(
        rejecting_dependents("poetry.lock", made, "typing-extensions", "3.10.0.2", &[]).is_empty()
    );
    assert_eq!(
        rejecting_dependents("poetry.lock", made, "typing-extensions", "3.5", &[]).len(),
        1
    );
}
