//! Tests of the PyPI editors on the corpus files (CTFd's requirements.txt, saleor's
//! poetry.lock, the FastAPI template's uv.lock) with the recorded PyPI fixtures.

use std::collections::BTreeMap;

use nanoup_core::EntryChange;

use super::*;
use crate::pypi::registry::parse_files;
use crate::testutil::{change, corpus};

const CTFD: &str = "python/CTFd__CTFd__a33a31b1f8/requirements.txt";
const SALEOR: &str = "python/saleor__saleor__98ebf96d65/poetry.lock";
const FASTAPI: &str = "python/fastapi__full-stack-fastapi-template__7e5ca88dc2/backend/uv.lock";

fn read_corpus(path: &str) -> String {
    std::fs::read_to_string(corpus().join(path)).expect("corpus file")
}

/// The recorded JSON API files of `project`, per version.
fn releases(project: &str) -> BTreeMap<String, Vec<DistFile>> {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/pypi/json")
        .join(format!("{project}.json"));
    parse_files(&std::fs::read(path).expect("fixture")).expect("fixture parses")
}

fn files(project: &str, version: &str) -> Vec<DistFile> {
    releases(project)
        .remove(version)
        .unwrap_or_else(|| panic!("{project} {version} is in the fixture"))
}

/// The lines that differ, as (old, new) pairs, when both texts have the same line count.
fn changed_lines<'a>(old: &'a str, new: &'a str) -> Vec<(&'a str, &'a str)> {
    assert_eq!(
        old.lines().count(),
        new.lines().count(),
        "line count changed"
    );
    old.lines()
        .zip(new.lines())
        .filter(|(a, b)| a != b)
        .collect()
}

const FLASK_114_WHEEL: &str = "c34f04500f2cbbea882b1acb02002ad6fe6b7ffa64a6164577995657f50aed22";
const FLASK_114_SDIST: &str = "0fbeb6180d383a9186d0d6ed954e0042ad9f18e0e8de088b2b419d526927d196";
const REQUESTS_2240_SDIST: &str =
    "b3559a131db72c33ee969480840fff4bb6dd111de7dd27c8ee1f820f4f00231b";
const REQUESTS_2240_WHEEL: &str =
    "fe75cc94a9443b9246fc7049224f75604b113c36acb93f87b80ed42c44cbb898";
const SIX_1160_SDIST: &str = "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926";
const SIX_1160_WHEEL: &str = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254";

// ---- requirements ----------------------------------------------------------------------------

#[test]
fn ctfd_flask_pin_moves_and_nothing_else() {
    let old = read_corpus(CTFD);
    let edit = edit_requirements(
        "requirements.txt",
        &old,
        "Flask",
        "1.1.2",
        "1.1.4",
        &files("flask", "1.1.4"),
    )
    .expect("edit");
    assert_eq!(
        changed_lines(&old, &edit.text),
        [(
            "flask==1.1.2              # via -r requirements.in, flask-caching, flask-marshmallow, flask-migrate, flask-restx, flask-script, flask-sqlalchemy",
            "flask==1.1.4              # via -r requirements.in, flask-caching, flask-marshmallow, flask-migrate, flask-restx, flask-script, flask-sqlalchemy",
        )]
    );
    assert_eq!(edit.lines, [26]);
    assert!(edit.caveats.is_empty() && !edit.needs_fallback());
    assert_eq!(
        changed_entries(FileKind::Requirements, "requirements.txt", &old, &edit.text).unwrap(),
        [change("flask", "1.1.2", "1.1.4")]
    );
    // Back again gives the original bytes.
    let back = edit_requirements(
        "requirements.txt",
        &edit.text,
        "flask",
        "1.1.4",
        "1.1.2",
        &[],
    )
    .expect("edit back");
    assert_eq!(back.text, old);
}

#[test]
fn ctfd_dotted_and_dashed_names_match_per_pep_503() {
    let old = read_corpus(CTFD);
    let edit = edit_requirements("r.txt", &old, "Zope_Event", "4.5.0", "4.5.1", &[]).unwrap();
    assert_eq!(
        changed_lines(&old, &edit.text),
        [(
            "zope.event==4.5.0         # via gevent",
            "zope.event==4.5.1         # via gevent"
        )]
    );
    assert_eq!(
        changed_entries(FileKind::Requirements, "r.txt", &old, &edit.text).unwrap(),
        [change("zope-event", "4.5.0", "4.5.1")]
    );
}

const HASHED: &str = "\
# pip-compile --generate-hashes
--index-url https://pypi.org/simple

flask[async] == 1.1.2 ; python_version >= \"3.6\" \\
    --hash=sha256:4efa1ae2d7c9865af48986de8aeb8504bf32c7f3d6fdc9353d34b21f4b127060 \\
    --hash=sha256:8a4fdd8936eba2512e9c85df320a37e694c93945b33ef33c89946a340a238557
    # via -r requirements.in
requests==2.23.0 \\
    --hash=sha256:43999036bfa82904b6af1d99e4882b560e5e2c68e5c4b0aa03b655f3d7d73fee \\
    --hash=sha256:5d2d0ffbb515f39417009a46c14256291061ac01ba8f875b90cad137de83beb4 \\
    --hash=sha256:b3f43d496c6daba4493e7c431722aeb7dbc6288f52a6e04e7b6023b0247817e6
    # via flask
six==1.15.0 \\
    --hash=sha256:30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259
    # via flask
";

#[test]
fn hashes_follow_the_continuation_layout_when_their_number_shrinks() {
    // requests 2.23.0 has three files (one an egg); 2.24.0 has two.
    let edit = edit_requirements(
        "requirements.txt",
        HASHED,
        "requests",
        "2.23.0",
        "2.24.0",
        &files("requests", "2.24.0"),
    )
    .unwrap();
    let expected = HASHED.replace(
        "requests==2.23.0 \\
    --hash=sha256:43999036bfa82904b6af1d99e4882b560e5e2c68e5c4b0aa03b655f3d7d73fee \\
    --hash=sha256:5d2d0ffbb515f39417009a46c14256291061ac01ba8f875b90cad137de83beb4 \\
    --hash=sha256:b3f43d496c6daba4493e7c431722aeb7dbc6288f52a6e04e7b6023b0247817e6
",
        &format!(
            "requests==2.24.0 \\
    --hash=sha256:{REQUESTS_2240_SDIST} \\
    --hash=sha256:{REQUESTS_2240_WHEEL}
"
        ),
    );
    assert_eq!(edit.text, expected);
    assert_eq!(edit.lines, [8]);
    assert_eq!(
        changed_entries(
            FileKind::Requirements,
            "requirements.txt",
            HASHED,
            &edit.text
        )
        .unwrap(),
        [change("requests", "2.23.0", "2.24.0")]
    );
}

#[test]
fn hashes_keep_extras_markers_and_spacing() {
    let edit = edit_requirements(
        "requirements.txt",
        HASHED,
        "flask",
        "1.1.2",
        "1.1.4",
        &files("flask", "1.1.4"),
    )
    .unwrap();
    let (sdist, wheel) = (FLASK_114_SDIST, FLASK_114_WHEEL);
    let expected = HASHED.replace(
        "flask[async] == 1.1.2 ; python_version >= \"3.6\" \\
    --hash=sha256:4efa1ae2d7c9865af48986de8aeb8504bf32c7f3d6fdc9353d34b21f4b127060 \\
    --hash=sha256:8a4fdd8936eba2512e9c85df320a37e694c93945b33ef33c89946a340a238557
",
        &format!(
            "flask[async] == 1.1.4 ; python_version >= \"3.6\" \\
    --hash=sha256:{sdist} \\
    --hash=sha256:{wheel}
"
        ),
    );
    assert_eq!(edit.text, expected);
}

#[test]
fn a_single_hash_line_grows_into_one_line_per_hash() {
    let edit = edit_requirements(
        "requirements.txt",
        HASHED,
        "six",
        "1.15.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .unwrap();
    let expected = HASHED.replace(
        "six==1.15.0 \\
    --hash=sha256:30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259
",
        &format!(
            "six==1.16.0 \\
    --hash=sha256:{SIX_1160_SDIST} \\
    --hash=sha256:{SIX_1160_WHEEL}
"
        ),
    );
    assert_eq!(edit.text, expected);
    assert_eq!(
        changed_entries(FileKind::Requirements, "r.txt", HASHED, &edit.text).unwrap(),
        [change("six", "1.15.0", "1.16.0")]
    );
}

#[test]
fn inline_hashes_crlf_and_option_spelling_are_kept() {
    let old = "six==1.15.0 --hash sha256:aa --hash sha256:bb  # pinned\r\nflask==1.1.2\r\n";
    let edit = edit_requirements(
        "r.txt",
        old,
        "six",
        "1.15.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .unwrap();
    assert_eq!(
        edit.text,
        format!(
            "six==1.16.0 --hash sha256:{SIX_1160_SDIST} --hash sha256:{SIX_1160_WHEEL}  # pinned\r\nflask==1.1.2\r\n"
        )
    );
    let old = "six==1.15.0 \\\r\n    --hash=sha256:aa\r\n";
    let edit = edit_requirements(
        "r.txt",
        old,
        "six",
        "1.15.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .unwrap();
    assert_eq!(
        edit.text,
        format!(
            "six==1.16.0 \\\r\n    --hash=sha256:{SIX_1160_SDIST} \\\r\n    --hash=sha256:{SIX_1160_WHEEL}\r\n"
        )
    );
}

#[test]
fn requirements_refusals_say_why() {
    let six = files("six", "1.16.0");
    let edit = |text: &str, name: &str, files: &[DistFile]| {
        edit_requirements("req.txt", text, name, "1.15.0", "1.16.0", files).unwrap_err()
    };
    // The pin lives in an included file: the caller is told which files to look in.
    assert_eq!(
        edit("-r base.txt\n-c constraints.txt\nflask\n", "six", &six),
        EditRefusal::InIncludedFile {
            file: "req.txt".into(),
            name: "six".into(),
            includes: vec!["base.txt".into(), "constraints.txt".into()],
        }
    );
    assert!(matches!(
        edit("-c constraints.txt\nsix\n", "six", &six),
        EditRefusal::InIncludedFile { .. }
    ));
    assert!(matches!(
        edit("six>=1.15.0\n", "six", &six),
        EditRefusal::NotExactPin { line: 1, .. }
    ));
    assert!(matches!(
        edit("# x\nsix==1.15.0,!=1.15.1\n", "six", &six),
        EditRefusal::NotExactPin { line: 2, .. }
    ));
    assert!(matches!(
        edit("six @ https://x.org/six-1.15.0.tar.gz\n", "six", &six),
        EditRefusal::NotExactPin { .. }
    ));
    assert_eq!(
        edit("six==1.14.0\n", "six", &six),
        EditRefusal::NotFound {
            file: "req.txt".into(),
            name: "six".into(),
            version: "1.15.0".into(),
            found: vec!["1.14.0".into()],
        }
    );
    assert!(matches!(
        edit("flask==1.0\n", "six", &six),
        EditRefusal::NotFound { .. }
    ));
    // Hashes are needed but none are known.
    assert!(matches!(
        edit("six==1.15.0 --hash=sha256:aa\n", "six", &[]),
        EditRefusal::MissingHashes { line: 1, .. }
    ));
    let mut unhashed = six.clone();
    unhashed[0].sha256 = None;
    assert!(matches!(
        edit("six==1.15.0 --hash=sha256:aa\n", "six", &unhashed),
        EditRefusal::MissingHashes { .. }
    ));
    // No hashes asked for: no files needed.
    assert!(edit_requirements("r.txt", "six==1.15.0\n", "six", "1.15.0", "1.16.0", &[]).is_ok());
    // Garbage is an error with its place, never a panic.
    let error = edit("six==\n", "six", &six);
    let EditRefusal::Parse(parse) = &error else {
        panic!("{error:?}")
    };
    assert_eq!((parse.file.as_str(), parse.line), ("req.txt", 1));
    assert!(error.to_string().contains("req.txt:1:"));
}

// ---- poetry.lock -----------------------------------------------------------------------------

#[test]
fn saleor_poetry_lock_six_moves_in_its_entry_and_metadata_files() {
    let old = read_corpus(SALEOR);
    let edit = edit_poetry_lock(
        "poetry.lock",
        &old,
        "six",
        "1.15.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .expect("edit");
    assert_eq!(
        changed_lines(&old, &edit.text),
        [
            ("version = \"1.15.0\"", "version = \"1.16.0\""),
            (
                "    {file = \"six-1.15.0-py2.py3-none-any.whl\", hash = \"sha256:8b74bedcbbbaca38ff6d7491d76f2b06b3592611af620f8426e82dddb04a5ced\"},",
                "    {file = \"six-1.16.0-py2.py3-none-any.whl\", hash = \"sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\"},",
            ),
            (
                "    {file = \"six-1.15.0.tar.gz\", hash = \"sha256:30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259\"},",
                "    {file = \"six-1.16.0.tar.gz\", hash = \"sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926\"},",
            ),
        ]
    );
    assert_eq!(edit.lines, [2140]);
    assert!(edit.needs_fallback());
    assert_eq!(
        edit.caveats,
        [Caveat::DependenciesNotRefreshed {
            name: "six".into(),
            version: "1.15.0".into()
        }]
    );
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", &old, &edit.text).unwrap(),
        [change("six", "1.15.0", "1.16.0")]
    );
    // Moving back with 1.15.0's files gives the original bytes: the format is Poetry's.
    let back = edit_poetry_lock(
        "poetry.lock",
        &edit.text,
        "six",
        "1.16.0",
        "1.15.0",
        &files("six", "1.15.0"),
    )
    .unwrap();
    assert_eq!(back.text, old);
}

#[test]
fn saleor_poetry_lock_requests_gets_its_new_python_versions() {
    let old = read_corpus(SALEOR);
    let edit = edit_poetry_lock(
        "poetry.lock",
        &old,
        "requests",
        "2.25.1",
        "2.26.0",
        &files("requests", "2.26.0"),
    )
    .unwrap();
    let lines = changed_lines(&old, &edit.text);
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert_eq!(
        lines[1],
        (
            "python-versions = \">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*\"",
            "python-versions = \">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*\""
        )
    );
    // The content-hash hashes pyproject.toml and stays.
    let hash_line = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("content-hash"))
            .map(str::to_string)
    };
    assert_eq!(hash_line(&old), hash_line(&edit.text));
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", &old, &edit.text).unwrap(),
        [change("requests", "2.25.1", "2.26.0")]
    );
}

const POETRY2: &str = r#"# This file is automatically @generated by Poetry 2.1.3 and should not be changed by hand.

[[package]]
name = "requests"
version = "2.25.1"
description = "Python HTTP for Humans."
optional = false
python-versions = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*"
groups = ["main"]
files = [
    {file = "requests-2.25.1-py2.py3-none-any.whl", hash = "sha256:c210084e36a42ae6b9219e00e48287def368a26d03a048ddad7bfee44f75871e"},
    {file = "requests-2.25.1.tar.gz", hash = "sha256:27973dd4a904a4f13b263a19c866c13b92a39ed1c964655f025f3f8d3d75b804"},
]

[package.dependencies]
six = ">=1.5"

[[package]]
name = "six"
version = "1.15.0"
description = "Python 2 and 3 compatibility utilities"
optional = false
python-versions = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*"
groups = ["main"]
files = [
    {file = "six-1.15.0-py2.py3-none-any.whl", hash = "sha256:8b74bedcbbbaca38ff6d7491d76f2b06b3592611af620f8426e82dddb04a5ced"},
    {file = "six-1.15.0.tar.gz", hash = "sha256:30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259"},
]

[metadata]
lock-version = "2.1"
python-versions = "^3.9"
content-hash = "0123456789abcdef"
"#;

#[test]
fn poetry_lock_2_files_are_replaced_inside_the_entry() {
    let edit = edit_poetry_lock(
        "poetry.lock",
        POETRY2,
        "six",
        "1.15.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .unwrap();
    let expected = POETRY2
        .replace("version = \"1.15.0\"", "version = \"1.16.0\"")
        .replace(
            "six-1.15.0-py2.py3-none-any.whl\", hash = \"sha256:8b74bedcbbbaca38ff6d7491d76f2b06b3592611af620f8426e82dddb04a5ced",
            &format!("six-1.16.0-py2.py3-none-any.whl\", hash = \"sha256:{SIX_1160_WHEEL}"),
        )
        .replace(
            "six-1.15.0.tar.gz\", hash = \"sha256:30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259",
            &format!("six-1.16.0.tar.gz\", hash = \"sha256:{SIX_1160_SDIST}"),
        );
    assert_eq!(edit.text, expected);
    assert_eq!(edit.lines, [18]);
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", POETRY2, &edit.text).unwrap(),
        [change("six", "1.15.0", "1.16.0")]
    );
}

#[test]
fn poetry_refusals_and_garbage() {
    let six = files("six", "1.16.0");
    let refuse = |text: &str, from: &str, files: &[DistFile]| {
        edit_poetry_lock("poetry.lock", text, "six", from, "1.16.0", files).unwrap_err()
    };
    assert!(matches!(
        refuse(POETRY2, "1.14.0", &six),
        EditRefusal::NotFound { ref found, .. } if found == &["1.15.0".to_string()]
    ));
    assert!(matches!(
        refuse(POETRY2, "1.15.0", &[]),
        EditRefusal::MissingHashes { line: 18, .. }
    ));
    let git = POETRY2.replace(
        "groups = [\"main\"]\nfiles = [\n    {file = \"six-1.15.0",
        "groups = [\"main\"]\nsource = {type = \"git\", url = \"https://g/six\", reference = \"x\"}\nfiles = [\n    {file = \"six-1.15.0",
    );
    assert!(matches!(
        refuse(&git, "1.15.0", &six),
        EditRefusal::NotRegistry { .. }
    ));
    let no_files = "[[package]]\nname = \"six\"\nversion = \"1.15.0\"\n";
    assert!(matches!(
        refuse(no_files, "1.15.0", &six),
        EditRefusal::Layout { .. }
    ));
    assert!(matches!(
        refuse("[[package]\nname = ", "1.15.0", &six),
        EditRefusal::Parse(_)
    ));
    assert!(matches!(
        refuse("package = 3\n", "1.15.0", &six),
        EditRefusal::Parse(_)
    ));
}

// ---- uv.lock ---------------------------------------------------------------------------------

#[test]
fn fastapi_uv_lock_six_round_trips_byte_for_byte() {
    let old = read_corpus(FASTAPI);
    let edit = edit_uv_lock(
        "uv.lock",
        &old,
        "six",
        "1.16.0",
        "1.17.0",
        &files("six", "1.17.0"),
    )
    .expect("edit");
    assert_eq!(
        changed_lines(&old, &edit.text),
        [
            ("version = \"1.16.0\"", "version = \"1.17.0\""),
            (
                "sdist = { url = \"https://files.pythonhosted.org/packages/71/39/171f1c67cd00715f190ba0b100d606d440a28c93c7714febeca8b79af85e/six-1.16.0.tar.gz\", hash = \"sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926\", size = 34041 }",
                "sdist = { url = \"https://files.pythonhosted.org/packages/94/e7/b2c673351809dca68a0e064b6af791aa332cf192da575fd474ed7d6f16a2/six-1.17.0.tar.gz\", hash = \"sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81\", size = 34031 }",
            ),
            (
                "    { url = \"https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl\", hash = \"sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\", size = 11053 },",
                "    { url = \"https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl\", hash = \"sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274\", size = 11050 },",
            ),
        ]
    );
    assert!(edit.needs_fallback());
    assert_eq!(
        changed_entries(FileKind::UvLock, "uv.lock", &old, &edit.text).unwrap(),
        [change("six", "1.16.0", "1.17.0")]
    );
    let back = edit_uv_lock(
        "uv.lock",
        &edit.text,
        "six",
        "1.17.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .unwrap();
    assert_eq!(back.text, old);
}

#[test]
fn fastapi_uv_lock_requests_moves_alone() {
    let old = read_corpus(FASTAPI);
    let edit = edit_uv_lock(
        "uv.lock",
        &old,
        "requests",
        "2.32.3",
        "2.32.4",
        &files("requests", "2.32.4"),
    )
    .unwrap();
    assert_eq!(changed_lines(&old, &edit.text).len(), 3);
    assert_eq!(
        changed_entries(FileKind::UvLock, "uv.lock", &old, &edit.text).unwrap(),
        [change("requests", "2.32.3", "2.32.4")]
    );
    let back = edit_uv_lock(
        "uv.lock",
        &edit.text,
        "requests",
        "2.32.4",
        "2.32.3",
        &files("requests", "2.32.3"),
    )
    .unwrap();
    assert_eq!(back.text, old);
}

const UV_REVISION_2: &str = r#"version = 1
revision = 2
requires-python = ">=3.10"

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "six" },
]
sdist = { url = "https://files.pythonhosted.org/packages/63/70/2bf7780ad2d390a8d301ad0b550f1581eadbd9a20f896afe06353c2a2913/requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760", size = 131218, upload-time = "2024-05-29T15:37:49.536Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/f9/9b/335f9764261e915ed497fcdeb11df5dfd6f7bf257d4a6a2a686d80da4d54/requests-2.32.3-py3-none-any.whl", hash = "sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6", size = 64928, upload-time = "2024-05-29T15:37:47.027Z" },
]

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/71/39/171f1c67cd00715f190ba0b100d606d440a28c93c7714febeca8b79af85e/six-1.16.0.tar.gz", hash = "sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926", size = 34041, upload-time = "2021-05-05T14:18:18.379Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl", hash = "sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254", size = 11053, upload-time = "2021-05-05T14:18:17.237Z" },
]
"#;

#[test]
fn uv_upload_times_are_written_when_the_lock_records_them() {
    let edit = edit_uv_lock(
        "uv.lock",
        UV_REVISION_2,
        "requests",
        "2.32.3",
        "2.32.4",
        &files("requests", "2.32.4"),
    )
    .unwrap();
    assert!(edit.text.contains(
        "requests-2.32.4.tar.gz\", hash = \"sha256:27d0316682c8a29834d3264820024b62a36942083d52caf2f14c0591336d3422\", size = 135258, upload-time = \"2025-06-09T16:43:07.34Z\" }"
    ));
    assert!(edit.text.contains(
        "requests-2.32.4-py3-none-any.whl\", hash = \"sha256:27babd3cda2a6d50b30443204ee89830707d396671944c998b5975b031ac2b2c\", size = 64847, upload-time = \"2025-06-09T16:43:05.728Z\" },"
    ));
    assert_eq!(
        changed_entries(FileKind::UvLock, "uv.lock", UV_REVISION_2, &edit.text).unwrap(),
        [change("requests", "2.32.3", "2.32.4")]
    );
    // The recorded times of six 1.16.0 are written back exactly as uv wrote them.
    let six = edit_uv_lock(
        "uv.lock",
        UV_REVISION_2,
        "six",
        "1.16.0",
        "1.17.0",
        &files("six", "1.17.0"),
    )
    .unwrap();
    let back = edit_uv_lock(
        "uv.lock",
        &six.text,
        "six",
        "1.17.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .unwrap();
    assert_eq!(back.text, UV_REVISION_2);
}

#[test]
fn uv_sdist_only_and_wheel_only_releases_drop_the_other_key() {
    let mut sdist_only = files("six", "1.17.0");
    sdist_only.retain(|f| f.filename.ends_with(".tar.gz"));
    let edit = edit_uv_lock(
        "uv.lock",
        UV_REVISION_2,
        "six",
        "1.16.0",
        "1.17.0",
        &sdist_only,
    )
    .unwrap();
    assert!(!edit.text.contains("six-1.16.0"));
    assert!(!edit.text.contains("six-1.17.0-py2.py3-none-any.whl"));
    assert_eq!(edit.text.lines().count(), UV_REVISION_2.lines().count() - 3);
    assert_eq!(
        changed_entries(FileKind::UvLock, "uv.lock", UV_REVISION_2, &edit.text).unwrap(),
        [change("six", "1.16.0", "1.17.0")]
    );
    // And back: the wheels come back after the sdist.
    let back = edit_uv_lock(
        "uv.lock",
        &edit.text,
        "six",
        "1.17.0",
        "1.16.0",
        &files("six", "1.16.0"),
    )
    .unwrap();
    assert_eq!(back.text, UV_REVISION_2);
}

#[test]
fn uv_refusals_and_garbage() {
    let six = files("six", "1.17.0");
    let refuse = |text: &str, files: &[DistFile]| {
        edit_uv_lock("uv.lock", text, "six", "1.16.0", "1.17.0", files).unwrap_err()
    };
    assert!(matches!(
        refuse(UV_REVISION_2, &[]),
        EditRefusal::MissingHashes { line: 17, .. }
    ));
    let mut no_url = six.clone();
    no_url[0].url = None;
    assert!(matches!(
        refuse(UV_REVISION_2, &no_url),
        EditRefusal::Layout { .. }
    ));
    let git = UV_REVISION_2.replace(
        "version = \"1.16.0\"\nsource = { registry = \"https://pypi.org/simple\" }",
        "version = \"1.16.0\"\nsource = { git = \"https://github.com/benjaminp/six?rev=1.16.0\" }",
    );
    assert!(matches!(
        refuse(&git, &six),
        EditRefusal::NotRegistry { .. }
    ));
    assert!(matches!(
        refuse("[[package]]\nname = 1\n", &six),
        EditRefusal::Parse(_)
    ));
    assert!(matches!(refuse("= = =", &six), EditRefusal::Parse(_)));
}

#[test]
fn wheels_that_cannot_run_on_requires_python_are_left_out() {
    let at = (3, 10);
    for kept in [
        "six-1.17.0-py2.py3-none-any.whl",
        "requests-2.32.4-py3-none-any.whl",
        "pydantic_core-2.23.4-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "pydantic_core-2.23.4-cp313-none-win32.whl",
        "cryptography-43.0.1-cp39-abi3-manylinux_2_28_x86_64.whl",
        "pydantic_core-2.23.4-pp310-pypy310_pp73-win_amd64.whl",
        "odd-1.0-weird-tag-any.whl",
    ] {
        assert!(wheel_runs_on(kept, at), "{kept}");
    }
    for dropped in [
        "pydantic_core-2.23.4-cp38-cp38-win_amd64.whl",
        "pydantic_core-2.23.4-cp39-none-win32.whl",
        "pydantic_core-2.23.4-pp39-pypy39_pp73-win_amd64.whl",
        "futures-3.4.0-py2-none-any.whl",
    ] {
        assert!(!wheel_runs_on(dropped, at), "{dropped}");
    }
    assert_eq!(lower_bound(">=3.10, <4.0"), Some((3, 10)));
    assert_eq!(lower_bound(">=3.8"), Some((3, 8)));
    assert_eq!(lower_bound("<4"), None);
}

#[test]
fn uv_upload_time_is_truncated_to_milliseconds() {
    assert_eq!(
        uv_upload_time("2020-06-17T16:30:14.123456Z").as_deref(),
        Some("2020-06-17T16:30:14.123Z")
    );
    assert_eq!(
        uv_upload_time("2026-05-14T19:25:26.443000Z").as_deref(),
        Some("2026-05-14T19:25:26.443Z")
    );
    assert_eq!(
        uv_upload_time("2024-01-01T00:00:00Z").as_deref(),
        Some("2024-01-01T00:00:00Z")
    );
    // uv writes jiff's shortest form: trailing zeros of the fraction go.
    assert_eq!(
        uv_upload_time("2025-06-09T16:43:07.340534Z").as_deref(),
        Some("2025-06-09T16:43:07.34Z")
    );
    assert_eq!(uv_upload_time("yesterday"), None);
}

// ---- blast-radius check ----------------------------------------------------------------------

#[test]
fn changed_entries_catches_changes_outside_the_plan() {
    // A hash of another entry changed: reported with the same version on both sides.
    let tampered = HASHED.replace(
        "30639c035cdb23534cd4aa2dd52c3bf48f06e5f4a941509c8bafd8ce11080259",
        "0000000000000000000000000000000000000000000000000000000000000000",
    );
    assert_eq!(
        changed_entries(FileKind::Requirements, "r.txt", HASHED, &tampered).unwrap(),
        [change("six", "1.15.0", "1.15.0")]
    );
    // An index option changed.
    let other_index = HASHED.replace("https://pypi.org/simple", "https://evil.example/simple");
    let changes = changed_entries(FileKind::Requirements, "r.txt", HASHED, &other_index).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].name, "[options]");
    // A dependency of another uv entry changed.
    let uv = read_corpus(FASTAPI);
    let tampered = uv.replacen("    { name = \"mako\" },\n", "", 1);
    assert_eq!(
        changed_entries(FileKind::UvLock, "uv.lock", &uv, &tampered).unwrap(),
        [change("alembic", "1.13.2", "1.13.2")]
    );
    // An entry removed, a metadata field changed.
    let poetry = read_corpus(SALEOR);
    let tampered = poetry.replace("lock-version = \"1.1\"", "lock-version = \"1.2\"");
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", &poetry, &tampered).unwrap(),
        [EntryChange {
            name: "[metadata]".into(),
            from: None,
            to: None,
            path: None,
        }]
    );
    let start = POETRY2.find("[[package]]\nname = \"requests\"").unwrap();
    let end = POETRY2.find("[[package]]\nname = \"six\"").unwrap();
    let removed = format!("{}{}", &POETRY2[..start], &POETRY2[end..]);
    assert_eq!(
        changed_entries(FileKind::PoetryLock, "poetry.lock", POETRY2, &removed).unwrap(),
        [EntryChange {
            name: "requests".into(),
            from: Some("2.25.1".into()),
            to: None,
            path: None,
        }]
    );
    // Formatting alone is not a change.
    let reformatted = uv.replace(
        "source = { registry = \"https://pypi.org/simple\" }",
        "source = {registry=\"https://pypi.org/simple\"}",
    );
    assert_eq!(
        changed_entries(FileKind::UvLock, "uv.lock", &uv, &reformatted).unwrap(),
        []
    );
    // Garbage is an error, not a panic.
    assert!(changed_entries(FileKind::UvLock, "uv.lock", &uv, "[[package]\n").is_err());
    assert!(changed_entries(FileKind::Requirements, "r.txt", "six==\n", "").is_err());
}

#[test]
fn file_kinds_come_from_names() {
    assert_eq!(
        FileKind::of_path("a/poetry.lock"),
        Some(FileKind::PoetryLock)
    );
    assert_eq!(FileKind::of_path("uv.lock"), Some(FileKind::UvLock));
    assert_eq!(
        FileKind::of_path("requirements/dev.txt"),
        Some(FileKind::Requirements)
    );
    assert_eq!(FileKind::of_path("Cargo.lock"), None);
}

#[test]
fn prefixes_of_the_corpus_files_never_panic() {
    let six = files("six", "1.17.0");
    for path in [CTFD, SALEOR, FASTAPI] {
        let text = read_corpus(path);
        let mut cut = 0;
        while cut < text.len() {
            if let Some(prefix) = text.get(..cut) {
                let _ = edit_requirements("f", prefix, "six", "1.15.0", "1.17.0", &six);
                let _ = edit_poetry_lock("f", prefix, "six", "1.15.0", "1.17.0", &six);
                let _ = edit_uv_lock("f", prefix, "six", "1.16.0", "1.17.0", &six);
            }
            cut += 997;
        }
    }
}

#[test]
fn a_new_pin_goes_where_pip_compile_sorts_it() {
    // The real CTFd file: a pin flask 3 needs (blinker) goes before the first name after it.
    let text = read_corpus("python/CTFd__CTFd__a33a31b1f8/requirements.txt");
    let edit = add_requirement("requirements.txt", &text, "Blinker", "1.9.0", &[]).unwrap();
    let old_lines: Vec<&str> = text.lines().collect();
    let new_lines: Vec<&str> = edit.text.lines().collect();
    assert_eq!(new_lines.len(), old_lines.len() + 1);
    let at = new_lines
        .iter()
        .position(|l| *l == "blinker==1.9.0")
        .unwrap();
    assert!(
        new_lines[at - 1].starts_with("bcrypt=="),
        "{}",
        new_lines[at - 1]
    );
    assert!(
        new_lines[at + 1].starts_with("boto3=="),
        "{}",
        new_lines[at + 1]
    );
    assert_eq!(
        changed_entries(
            FileKind::Requirements,
            "requirements.txt",
            &text,
            &edit.text
        )
        .unwrap(),
        vec![EntryChange {
            name: "blinker".into(),
            from: None,
            to: Some("1.9.0".into()),
            path: None,
        }]
    );
    // After every name: appended, the last line ended first.
    let edit = add_requirement("r.txt", "flask==1.0", "zzz", "2.0", &[]).unwrap();
    assert_eq!(edit.text, "flask==1.0\nzzz==2.0\n");
    // Already required: refused.
    assert!(add_requirement("r.txt", "flask==1.0\n", "Flask", "2.0", &[]).is_err());
}

#[test]
fn a_new_pin_in_a_hashed_file_gets_its_hashes() {
    let text = "flask==3.1.1 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n";
    let flask = files("flask", "3.1.1");
    let edit = add_requirement("r.txt", text, "blinker", "3.1.1", &flask).unwrap();
    let added = &edit.text[..edit.text.find("flask==").unwrap()];
    assert!(
        added.starts_with("blinker==3.1.1 \\\n    --hash=sha256:"),
        "{added}"
    );
    assert_eq!(
        added.matches("--hash=sha256:").count(),
        flask.iter().filter(|f| is_installable(f)).count()
    );
    // Without the new version's hashes: refused, nothing written.
    assert!(matches!(
        add_requirement("r.txt", text, "blinker", "1.9.0", &[]),
        Err(EditRefusal::MissingHashes { .. })
    ));
}

#[test]
fn restore_pins_puts_a_group_back_and_keeps_later_changes() {
    // A group on the real CTFd file: flask moved and blinker added; then a later, unrelated
    // change (six). Restoring the group's pins gives back the original lines of flask and
    // removes blinker, and keeps the later six.
    let old = read_corpus(CTFD);
    let moved = edit_requirements("requirements.txt", &old, "flask", "1.1.2", "1.1.4", &[])
        .unwrap()
        .text;
    let grouped = add_requirement("requirements.txt", &moved, "blinker", "1.9.0", &[])
        .unwrap()
        .text;
    let later = edit_requirements("requirements.txt", &grouped, "six", "1.15.0", "1.16.0", &[])
        .unwrap()
        .text;
    let names = ["flask".to_string(), "blinker".to_string()];
    let restored = restore_pins("requirements.txt", &old, &later, &names).unwrap();
    assert_eq!(
        changed_entries(FileKind::Requirements, "requirements.txt", &old, &restored).unwrap(),
        [change("six", "1.15.0", "1.16.0")]
    );
    let undone = edit_requirements(
        "requirements.txt",
        &restored,
        "six",
        "1.16.0",
        "1.15.0",
        &[],
    )
    .unwrap()
    .text;
    assert_eq!(undone, old, "byte for byte once six is undone too");
    // A pin missing now (removed) comes back where pip-compile sorts it: here, where it was.
    let six = ["six".to_string()];
    let at = old.find("six==").unwrap();
    let line_end = at + old[at..].find('\n').unwrap() + 1;
    let without_six = format!("{}{}", &old[..at], &old[line_end..]);
    assert!(!without_six.contains("six=="));
    assert_eq!(
        restore_pins("requirements.txt", &old, &without_six, &six).unwrap(),
        old
    );
}
