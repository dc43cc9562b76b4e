use std::path::Path;

use nanoup_core::{Component, ParseError, Scope, Source, Stack};

use super::*;
use crate::testutil::{corpus, corpus_tree};

fn only_stack(scanned: &Scanned) -> &Stack {
    assert!(scanned.errors.is_empty(), "errors: {:?}", scanned.errors);
    assert_eq!(
        scanned.stacks.len(),
        1,
        "stacks: {:?}",
        scanned.stacks.iter().map(|s| &s.path).collect::<Vec<_>>()
    );
    &scanned.stacks[0]
}

fn find<'a>(stack: &'a Stack, name: &str) -> &'a Component {
    stack
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} not in stack {}", stack.path))
}

fn scope_count(stack: &Stack, scope: Scope) -> usize {
    stack.components.iter().filter(|c| c.scope == scope).count()
}

/// A tree over files written into a temporary directory.
fn temp_tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Tree) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    let tree = Tree::from_files(dir.path(), files.iter().map(|(p, _)| p.to_string()));
    (dir, tree)
}

#[test]
fn ctfd_requirements_pins_every_line() {
    let scanned = scan(&corpus_tree("python/CTFd__CTFd__a33a31b1f8"));
    let stack = only_stack(&scanned);
    assert_eq!(stack.path, ".");
    assert_eq!(stack.files, ["requirements.txt"]);
    // `grep -cE '^[A-Za-z0-9][^ ]*==' requirements.txt` gives 59, and no other line is a requirement.
    assert_eq!(stack.components.len(), 59);
    assert!(
        stack
            .components
            .iter()
            .all(|c| c.direct && c.version.is_some() && c.scope == Scope::Prod)
    );
    let alembic = find(stack, "alembic");
    assert_eq!(alembic.version.as_deref(), Some("1.4.3"));
    assert_eq!(
        (alembic.file.as_str(), alembic.line),
        ("requirements.txt", 7)
    );
    assert_eq!(alembic.requirement.as_deref(), Some("==1.4.3"));
    assert_eq!(alembic.purl, "pkg:pypi/alembic@1.4.3");
    // `zope.interface==5.2.0` on line 65, normalised per PEP 503.
    let zope = find(stack, "zope-interface");
    assert_eq!((zope.version.as_deref(), zope.line), (Some("5.2.0"), 65));
}

#[test]
fn fastapi_uv_lock_without_the_project_itself() {
    let scanned = scan(&corpus_tree(
        "python/fastapi__full-stack-fastapi-template__7e5ca88dc2",
    ));
    let stack = only_stack(&scanned);
    assert_eq!(stack.path, "backend");
    assert_eq!(stack.files, ["pyproject.toml", "uv.lock"]);
    // 81 `[[package]]` tables (grep -c), minus the project `app` (source `editable = "."`).
    assert_eq!(stack.components.len(), 80);
    assert!(stack.components.iter().all(|c| c.name != "app"));
    // python3 + tomllib over the lock: `app` lists 16 dependencies and 6 dev-dependencies;
    // walking `dependencies` (and optional ones) from them reaches 62 prod and 18 dev-only packages.
    assert_eq!(stack.direct_count(), 22);
    assert_eq!(scope_count(stack, Scope::Prod), 62);
    assert_eq!(scope_count(stack, Scope::Dev), 18);
    let fastapi = find(stack, "fastapi");
    assert_eq!(fastapi.version.as_deref(), Some("0.115.0"));
    assert!(fastapi.direct);
    assert_eq!(fastapi.scope, Scope::Prod);
    assert_eq!(fastapi.requirement.as_deref(), Some("<1.0.0,>=0.114.2"));
    assert_eq!(fastapi.file, "backend/uv.lock");
    // The `[[package]]` header of fastapi is line 376 (`name = "fastapi"` is on 377).
    assert_eq!(fastapi.line, 376);
    let pytest = find(stack, "pytest");
    assert_eq!(
        (pytest.version.as_deref(), pytest.direct, pytest.scope),
        (Some("7.4.4"), true, Scope::Dev)
    );
    let pluggy = find(stack, "pluggy");
    assert_eq!((pluggy.direct, pluggy.scope), (false, Scope::Dev));
    let starlette = find(stack, "starlette");
    assert_eq!(
        (
            starlette.version.as_deref(),
            starlette.direct,
            starlette.scope
        ),
        (Some("0.38.6"), false, Scope::Prod)
    );
}

#[test]
fn saleor_pipfile_lock_merges_both_sections() {
    let scanned = scan(&corpus_tree("python/saleor__saleor__33da5754e1"));
    let stack = only_stack(&scanned);
    assert_eq!(stack.files, ["Pipfile", "Pipfile.lock"]);
    // python3 json: default has 121 entries, develop 72 (193); 12 names sit in both with the same
    // version, so 181 distinct (name, version) pairs; 121 prod and 60 dev-only.
    assert_eq!(stack.components.len(), 181);
    assert_eq!(scope_count(stack, Scope::Prod), 121);
    assert_eq!(scope_count(stack, Scope::Dev), 60);
    // Every one of the 81 Pipfile names (normalised) is in the lock.
    assert_eq!(stack.direct_count(), 81);
    let amqp = find(stack, "amqp");
    assert_eq!(
        (amqp.version.as_deref(), amqp.line, amqp.direct),
        (Some("2.5.0"), 19, false)
    );
    let pytest = find(stack, "pytest");
    assert_eq!(
        (pytest.version.as_deref(), pytest.line, pytest.scope),
        (Some("5.0.0"), 1455, Scope::Dev)
    );
    assert!(pytest.direct);
    // `Django = ">=1.11"` in [packages], and in both lock sections.
    let django = find(stack, "django");
    assert_eq!((django.scope, django.direct), (Scope::Prod, true));
    assert_eq!(django.requirement.as_deref(), Some(">=1.11"));
}

#[test]
fn saleor_poetry_lock_scopes_from_categories() {
    let scanned = scan(&corpus_tree("python/saleor__saleor__98ebf96d65"));
    let stack = only_stack(&scanned);
    assert_eq!(stack.files, ["poetry.lock", "pyproject.toml"]);
    // python3 tomllib: 208 packages, 208 distinct (name, version); category main 142, dev 66.
    assert_eq!(stack.components.len(), 208);
    assert_eq!(scope_count(stack, Scope::Prod), 142);
    assert_eq!(scope_count(stack, Scope::Dev), 66);
    // 86 names in [tool.poetry.dependencies] (without python) and dev-dependencies, all locked.
    assert_eq!(stack.direct_count(), 86);
    let black = find(stack, "black");
    assert_eq!(
        (black.version.as_deref(), black.scope, black.direct),
        (Some("19.10b0"), Scope::Dev, true)
    );
    assert_eq!(black.line, 145); // `[[package]]` above `name = "black"` (grep -n: 146)
    let adyen = find(stack, "adyen");
    assert_eq!(
        (adyen.version.as_deref(), adyen.requirement.as_deref()),
        (Some("3.1.0"), Some("^3.0.0"))
    );
    assert_eq!(adyen.source, Source::Registry);
}

const BASE: &str = "\
# comment line
-i https://pypi.org/simple
--extra-index-url https://example.org/simple
Django==3.2.1 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
requests[socks, security] >= 2.0 ; python_version >= \"3.6\"  # range
six
attrs===20.3.0
-e git+https://github.com/org/lib.git@v1.0#egg=Some_Lib
https://example.org/pkgs/Foo_Bar-1.2.3.tar.gz
-e .
-c constraints.txt
";

#[test]
fn requirements_lines_in_all_their_forms() {
    let entries = requirements::parse("requirements.txt", BASE).expect("parses");
    let requirements: Vec<_> = entries
        .iter()
        .filter_map(|e| match e {
            requirements::Entry::Requirement(r) => Some(r),
            _ => None,
        })
        .collect();
    let names: Vec<_> = requirements.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["django", "requests", "six", "attrs", "some-lib", "foo-bar"]
    );
    let django = requirements[0];
    assert_eq!((django.version.as_deref(), django.line), (Some("3.2.1"), 4));
    let requests = requirements[1];
    assert_eq!(requests.version, None);
    assert_eq!(requests.specifier, ">= 2.0");
    assert_eq!(requests.extras, ["socks", "security"]);
    assert_eq!(
        requests.marker.as_deref(),
        Some("python_version >= \"3.6\"")
    );
    assert_eq!(requests.line, 7);
    assert_eq!(requirements[3].version.as_deref(), Some("20.3.0"));
    let lib = requirements[4];
    assert_eq!(
        (lib.source, lib.editable, lib.line),
        (Source::Git, true, 10)
    );
    assert_eq!(requirements[5].source, Source::Url);
    // A byte-order mark does not hide the first requirement; CRLF line ends are fine.
    let with_bom = requirements::parse("r.txt", "\u{feff}Flask==1.0\r\nsix\r\n").expect("parses");
    assert_eq!(with_bom.len(), 2);
    assert!(entries.contains(&requirements::Entry::Include {
        constraint: true,
        target: "constraints.txt".into(),
        line: 13,
    }));
}

#[test]
fn requirements_stack_follows_includes_and_constraints() {
    let (_dir, tree) = temp_tree(&[
        ("requirements.txt", BASE),
        ("constraints.txt", "six==1.16.0\nunused==1.0\n"),
        (
            "requirements-dev.txt",
            "-r requirements.txt\npytest==7.0.0\n--requirement=requirements/lint.txt\n",
        ),
        (
            "requirements/lint.txt",
            "flake8>=4\n-r ../requirements.txt\n",
        ),
        ("docs/requirements.txt", "sphinx==5.0\n-r ../missing.txt\n"),
    ]);
    let scanned = scan(&tree);
    // docs/requirements.txt names a missing include: an error at its line, the stack goes on.
    assert_eq!(
        scanned.errors,
        [ParseError::new(
            "docs/requirements.txt",
            2,
            1,
            "included file `../missing.txt` not found"
        )]
    );
    // requirements/lint.txt is included from the root folder: the `requirements/` folder is
    // read in the root's stack, not as a second stack claiming the same files.
    let paths: Vec<_> = scanned.stacks.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, [".", "docs"]);
    let root = &scanned.stacks[0];
    // requirements.txt is included by requirements-dev.txt: one stack, read through it.
    assert_eq!(
        root.files,
        [
            "constraints.txt",
            "requirements-dev.txt",
            "requirements.txt",
            "requirements/lint.txt"
        ]
    );
    let names: Vec<_> = root.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "attrs", "django", "flake8", "foo-bar", "pytest", "requests", "six", "some-lib"
        ]
    );
    assert!(root.components.iter().all(|c| c.direct));
    // The constraint pins six; `unused` is only a constraint, not a component.
    let six = find(root, "six");
    assert_eq!(six.version.as_deref(), Some("1.16.0"));
    assert_eq!((six.file.as_str(), six.line), ("requirements.txt", 8));
    assert_eq!(
        six.extra.get("constraint").map(String::as_str),
        Some("constraints.txt:1")
    );
    let requests = find(root, "requests");
    assert_eq!(requests.version, None);
    assert_eq!(requests.requirement.as_deref(), Some(">= 2.0"));
    assert!(requests.unresolved.is_some());
    assert_eq!(
        (find(root, "django").scope, find(root, "pytest").scope),
        (Scope::Prod, Scope::Dev)
    );
    let lib = find(root, "some-lib");
    assert_eq!((lib.source, lib.version.as_deref()), (Source::Git, None));
    assert_eq!(find(root, "flake8").file, "requirements/lint.txt");
    assert_eq!(scanned.stacks[1].components.len(), 1);
}

#[test]
fn a_requirements_folder_included_from_its_parent_is_one_stack_with_it() {
    // The layout of many Django projects: requirements.txt at the root includes the production
    // pins of requirements/main.txt; requirements/docs.txt and requirements/dev.txt include it
    // too. Every file belongs to one stack, so every finding is reported once.
    let (_dir, tree) = temp_tree(&[
        (
            "requirements.txt",
            "-r requirements/main.txt
",
        ),
        (
            "requirements/main.txt",
            "django==3.2.0
requests==2.25.0
",
        ),
        (
            "requirements/docs.txt",
            "-r main.txt
sphinx==5.0
",
        ),
        (
            "requirements/dev.txt",
            "-r main.txt
pytest==7.0.0
",
        ),
    ]);
    let scanned = scan(&tree);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 1);
    let stack = &scanned.stacks[0];
    assert_eq!(stack.path, ".");
    assert_eq!(
        stack.files,
        [
            "requirements.txt",
            "requirements/dev.txt",
            "requirements/docs.txt",
            "requirements/main.txt"
        ]
    );
    let django: Vec<_> = stack
        .components
        .iter()
        .filter(|c| c.name == "django")
        .collect();
    assert_eq!(django.len(), 1);
    assert_eq!(django[0].file, "requirements/main.txt");
}

#[test]
fn a_pin_in_several_files_is_reported_at_the_production_one_with_the_others_listed() {
    let (_dir, tree) = temp_tree(&[
        (
            "requirements/docs.txt",
            "sphinx==5.0
django==3.2.0
",
        ),
        (
            "requirements/main.txt",
            "requests==2.25.0
django==3.2.0
",
        ),
    ]);
    let scanned = scan(&tree);
    let stack = &scanned.stacks[0];
    let django = find(stack, "django");
    assert_eq!(
        (django.file.as_str(), django.line),
        ("requirements/main.txt", 2)
    );
    assert_eq!(django.scope, Scope::Prod);
    assert_eq!(
        django.also,
        [nanoup_core::Place {
            file: "requirements/docs.txt".into(),
            line: 2
        }]
    );
    assert_eq!(find(stack, "sphinx").scope, Scope::Dev);
}

#[test]
fn requirements_include_cycles_are_reported_not_followed() {
    let (_dir, tree) = temp_tree(&[
        ("requirements-a.txt", "a==1\n-r requirements-b.txt\n"),
        ("requirements-b.txt", "b==1\n\n-r requirements-a.txt\n"),
    ]);
    let scanned = scan(&tree);
    assert_eq!(scanned.errors.len(), 1, "{:?}", scanned.errors);
    let error = &scanned.errors[0];
    assert_eq!((error.file.as_str(), error.line), ("requirements-b.txt", 3));
    assert!(error.message.contains("cycle"), "{}", error.message);
    let stack = &scanned.stacks[0];
    assert_eq!(stack.components.len(), 2);
    assert_eq!(stack.files, ["requirements-a.txt", "requirements-b.txt"]);
}

#[test]
fn malformed_files_are_errors_at_their_line() {
    let error = requirements::parse("r.txt", "a==1\n\nflask 1.0\n").unwrap_err();
    assert_eq!((error.line, error.column), (3, 7));
    assert!(
        error.message.contains("version specifier"),
        "{}",
        error.message
    );
    let error = requirements::parse("r.txt", "a==1\n  %weird\n").unwrap_err();
    assert_eq!((error.line, error.column), (2, 3));
    let error = requirements::parse("r.txt", "a==1\n-r\n").unwrap_err();
    assert_eq!(error.line, 2);
    // A continued line: the error points into its second physical line.
    let error = requirements::parse("r.txt", "a \\\n  [x\n").unwrap_err();
    assert_eq!((error.line, error.column), (2, 3));

    let error =
        poetry::parse("poetry.lock", "[[package]]\nname = \"a\"\nversion = \n").unwrap_err();
    assert_eq!(error.line, 3);
    let error = poetry::parse(
        "poetry.lock",
        "[[package]]\nname = \"a\"\nversion = \"1\"\n[[package]]\nversion = \"1\"\n",
    )
    .unwrap_err();
    assert_eq!(error.line, 4);
    assert!(error.message.contains("`name`"), "{}", error.message);
    let error = uv::parse("uv.lock", "version = 1\npackage = 3\n").unwrap_err();
    assert_eq!(error.line, 2);
    let error = pipfile::parse_lock(
        "Pipfile.lock",
        "{\n  \"default\": {\n    \"a\": {\"version\": \"==1\"},\n  }\n}",
    )
    .unwrap_err();
    assert_eq!(error.line, 4);
    let error = pipfile::parse_lock("Pipfile.lock", "{\"default\": {\n\"a\": 3}}").unwrap_err();
    assert_eq!(error.line, 2);
    let error = pyproject::parse(
        "pyproject.toml",
        "[project]\ndependencies = [\n  \"ok\",\n  \"bad dep\",\n]\n",
    )
    .unwrap_err();
    assert_eq!((error.line, error.column), (4, 8));
}

#[test]
fn broken_manifest_still_reports_the_lock_stack() {
    let lock = "[[package]]\nname = \"Six\"\nversion = \"1.16.0\"\ncategory = \"main\"\n";
    let (_dir, tree) = temp_tree(&[
        ("app/poetry.lock", lock),
        ("app/pyproject.toml", "[tool.poetry\n"),
    ]);
    let scanned = scan(&tree);
    assert_eq!(scanned.errors.len(), 1);
    assert_eq!(scanned.errors[0].file, "app/pyproject.toml");
    let stack = &scanned.stacks[0];
    assert_eq!((stack.path.as_str(), stack.components.len()), ("app", 1));
    assert_eq!(stack.components[0].name, "six");
}

#[test]
fn poetry_groups_and_sources_without_categories() {
    let lock = r#"
[[package]]
name = "web"
version = "1.0"
groups = ["main"]

[package.dependencies]
Helper_Lib = ">=1"

[[package]]
name = "helper-lib"
version = "2.0"
groups = ["main", "dev"]

[package.source]
type = "git"
url = "https://github.com/org/helper.git"
reference = "main"
resolved_reference = "abc123"

[[package]]
name = "pytest"
version = "8.0"
groups = ["dev"]
"#;
    let packages = poetry::parse("poetry.lock", lock).expect("parses");
    assert_eq!(packages.len(), 3);
    assert_eq!(packages[0].dependencies, ["helper-lib"]);
    assert_eq!(packages[1].source, Source::Git);
    assert_eq!(
        packages[1].extra.get("revision").map(String::as_str),
        Some("abc123")
    );
    assert_eq!(
        (packages[1].scope, packages[2].scope),
        (Some(Scope::Prod), Some(Scope::Dev))
    );
    let manifest = "[project]\nname = \"x\"\ndependencies = [\"web>=1\"]\n\n[tool.poetry.group.test.dependencies]\npytest = \"^8\"\n";
    let declared = pyproject::parse("pyproject.toml", manifest).expect("parses");
    let components = lock_components("poetry.lock", packages, &declared);
    let direct: Vec<_> = components
        .iter()
        .filter(|c| c.direct)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(direct, ["web", "pytest"]);
    assert_eq!(components[2].requirement.as_deref(), Some("^8"));
}

#[test]
fn uv_scopes_are_reached_without_a_manifest() {
    let lock = r#"
version = 1

[[package]]
name = "proj"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "a" }]

[package.dev-dependencies]
dev = [{ name = "d" }]

[[package]]
name = "a"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "b" }]

[[package]]
name = "b"
version = "1.0"
source = { git = "https://github.com/org/b?rev=x#abc" }

[[package]]
name = "d"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "b" }, { name = "e" }]

[[package]]
name = "e"
source = { directory = "libs/e" }
"#;
    let (_dir, tree) = temp_tree(&[("uv.lock", lock)]);
    let scanned = scan(&tree);
    let stack = only_stack(&scanned);
    let summary: Vec<_> = stack
        .components
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.direct,
                c.scope,
                c.source,
                c.version.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a", true, Scope::Prod, Source::Registry, true),
            ("b", false, Scope::Prod, Source::Git, true),
            ("d", true, Scope::Dev, Source::Registry, true),
            ("e", false, Scope::Dev, Source::Path, false),
        ]
    );
}

#[test]
fn manifests_without_lockfiles_list_unresolved_declarations() {
    let pyproject = "[project]\nname = \"lib\"\ndependencies = [\n  \"requests>=2\",\n  \"attrs==21.1\",\n]\n\n[project.optional-dependencies]\nfast = [\"orjson\"]\n";
    let pipfile = "[packages]\nflask = \"*\"\n\n[dev-packages]\npytest = {version = \">=7\"}\n";
    let (_dir, tree) = temp_tree(&[
        ("lib/pyproject.toml", pyproject),
        ("svc/Pipfile", pipfile),
        ("ws/uv.lock", "version = 1\n"),
        ("ws/member/pyproject.toml", pyproject),
    ]);
    let scanned = scan(&tree);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let paths: Vec<_> = scanned.stacks.iter().map(|s| s.path.as_str()).collect();
    // The uv workspace member is covered by ws/uv.lock, not a stack of its own.
    assert_eq!(paths, ["ws", "lib", "svc"]);
    let lib = &scanned.stacks[1];
    let requests = find(lib, "requests");
    assert_eq!(
        (requests.version.as_deref(), requests.line, requests.direct),
        (None, 4, true)
    );
    assert_eq!(find(lib, "attrs").version.as_deref(), Some("21.1"));
    assert_eq!(find(lib, "orjson").scope, Scope::Optional);
    let svc = &scanned.stacks[2];
    assert_eq!(
        (find(svc, "flask").scope, find(svc, "pytest").scope),
        (Scope::Prod, Scope::Dev)
    );
    assert_eq!(find(svc, "pytest").requirement.as_deref(), Some(">=7"));
}

/// Prefixes of every corpus file of our formats (every 101 bytes over the first 4 KiB, then 48
/// cuts spread over the rest, each moved to a char boundary) go through that file's parser, and
/// a few mangled variants go through every parser: none may panic.
#[test]
fn no_panic_on_truncated_or_mangled_input() {
    let files = [
        (
            "python/CTFd__CTFd__a33a31b1f8/requirements.txt",
            "pypi_requirements",
        ),
        (
            "python/fastapi__full-stack-fastapi-template__7e5ca88dc2/backend/uv.lock",
            "pypi_uv_lock",
        ),
        (
            "python/fastapi__full-stack-fastapi-template__7e5ca88dc2/backend/pyproject.toml",
            "pypi_pyproject",
        ),
        (
            "python/saleor__saleor__33da5754e1/Pipfile.lock",
            "pypi_pipfile_lock",
        ),
        ("python/saleor__saleor__33da5754e1/Pipfile", "pypi_pipfile"),
        (
            "python/saleor__saleor__98ebf96d65/poetry.lock",
            "pypi_poetry_lock",
        ),
        (
            "python/saleor__saleor__98ebf96d65/pyproject.toml",
            "pypi_pyproject",
        ),
    ];
    let mut everywhere: Vec<String> = vec![
        String::new(),
        BASE.to_string(),
        "-r".into(),
        "x @".into(),
        "é[".into(),
        "a==1 \\".into(),
        "{\"default\": []}".into(),
        "[".repeat(10_000),
        "{".repeat(10_000),
        "-e git+https://h/é.git@\\\n#egg=".into(),
    ];
    for (file, parser_name) in files {
        let text = std::fs::read_to_string(corpus().join(file)).expect("corpus file");
        let parser = PARSERS
            .iter()
            .find(|p| p.name == parser_name)
            .expect("parser");
        let head = (0..text.len().min(4096)).step_by(101);
        let spread = (0..48).map(|i| 4096 + i * text.len().saturating_sub(4096) / 48);
        for cut in head.chain(spread).filter(|&c| c < text.len()) {
            let end = (cut..text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            let _ = (parser.parse)(parser.file_name, &text[..end]);
        }
        let head: String = text.chars().take(3000).collect();
        everywhere.push(head.replace('"', "'"));
        everywhere.push(head.replace('=', "é"));
        everywhere.push(head.replace('[', "").replace('{', "["));
        everywhere.push(head.replace('\n', "\\\n"));
        everywhere.push(text.replace("==", "= ="));
    }
    for input in &everywhere {
        for parser in PARSERS {
            let _ = (parser.parse)(parser.file_name, input);
        }
    }
}

#[test]
fn parsers_accept_the_corpus_files() {
    let base = corpus().join("python");
    let read = |p: &str| std::fs::read_to_string(base.join(p)).expect("corpus file");
    assert_eq!(
        requirements::count("r", &read("CTFd__CTFd__a33a31b1f8/requirements.txt")),
        Ok(59)
    );
    assert_eq!(
        poetry::count("p", &read("saleor__saleor__98ebf96d65/poetry.lock")),
        Ok(208)
    );
    assert_eq!(
        pipfile::count_lock("p", &read("saleor__saleor__33da5754e1/Pipfile.lock")),
        Ok(193)
    );
    assert_eq!(
        pipfile::count_manifest("p", &read("saleor__saleor__33da5754e1/Pipfile")),
        Ok(81)
    );
    // 16 dependencies + 6 dev-dependencies in pyproject.toml.
    let pyproject = "fastapi__full-stack-fastapi-template__7e5ca88dc2/backend/pyproject.toml";
    assert_eq!(pyproject::count("p", &read(pyproject)), Ok(22));
    assert!(Path::new(&base).is_dir());
}
