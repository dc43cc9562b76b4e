use super::*;
use crate::testutil::corpus_tree;

fn stack(set: &str) -> Stack {
    let scanned = scan(&corpus_tree(set));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 1);
    scanned.stacks.into_iter().next().unwrap()
}

fn component<'a>(stack: &'a Stack, name: &str) -> &'a Component {
    stack
        .components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} not in stack"))
}

// Counts: `grep -c '^\[\[package\]\]' Cargo.lock` minus the workspace's own crates
// (the [package] of the root and member manifests), cross-checked with
// python3 -c 'import tomllib; ...' over name/version pairs (all distinct in these locks).
#[test]
fn ripgrep_workspace_members_are_not_components() {
    let s = stack("cargo/BurntSushi__ripgrep__7cb211378a");
    // 65 [[package]] entries, 10 of them workspace crates (ripgrep + 9 in crates/*).
    assert_eq!(s.components.len(), 65 - 10);
    for member in ["ripgrep", "grep-searcher", "ignore", "globset"] {
        assert!(
            s.components.iter().all(|c| c.name != member),
            "{member} is a workspace crate"
        );
    }
    assert_eq!(s.files.len(), 11, "{:?}", s.files);
    let bstr = component(&s, "bstr");
    assert!(bstr.direct, "bstr is a dependency of crates/searcher");
    assert_eq!(bstr.source, Source::Registry);
    assert_eq!(bstr.file, "Cargo.lock");
    assert_eq!(
        bstr.purl,
        format!("pkg:cargo/bstr@{}", bstr.version.as_deref().unwrap())
    );
    // serde_json is only a dev-dependency of ripgrep and grep-printer's optional one.
    let lazy_static = component(&s, "lazy_static");
    assert!(lazy_static.direct);
    assert_eq!(lazy_static.scope, Scope::Prod);
}

#[test]
fn lines_point_at_the_package_name() {
    let tree = corpus_tree("cargo/Rigellute__spotify-tui__7a5a04c91a");
    let text = tree.read("Cargo.lock").unwrap();
    let s = stack("cargo/Rigellute__spotify-tui__7a5a04c91a");
    for c in &s.components {
        let line = text.lines().nth(c.line as usize - 1).unwrap();
        assert_eq!(line, format!("name = \"{}\"", c.name));
    }
}

#[test]
fn spotify_tui_counts_and_scopes() {
    let s = stack("cargo/Rigellute__spotify-tui__7a5a04c91a");
    // 224 [[package]] entries, one of them spotify-tui itself.
    assert_eq!(s.components.len(), 223);
    let tokio = component(&s, "tokio");
    assert!(tokio.direct);
    assert_eq!(tokio.scope, Scope::Prod);
    assert!(tokio.requirement.is_some());
}

#[test]
fn zola_members_and_dev_scope() {
    let s = stack("cargo/getzola__zola__a3a5b9ea06");
    let members = [
        "zola",
        "config",
        "errors",
        "front_matter",
        "imageproc",
        "library",
        "link_checker",
        "rebuild",
        "rendering",
        "search",
        "site",
        "templates",
        "utils",
    ];
    for m in members {
        assert!(
            s.components.iter().all(|c| c.name != m),
            "{m} is a workspace crate"
        );
    }
    // 317 [[package]] entries less the 13 workspace crates.
    assert_eq!(s.components.len(), 304);
    assert_eq!(s.files.len(), 14, "{:?}", s.files);
    assert_eq!(
        s.components
            .iter()
            .filter(|c| c.source == Source::Path)
            .count(),
        0
    );
}

#[test]
fn git_and_path_sources() {
    let lock = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["local", "remote", "serde 1.0.100", "cc"]

[[package]]
name = "local"
version = "0.2.0"

[[package]]
name = "remote"
version = "0.3.0"
source = "git+https://github.com/o/remote?branch=main#0123456789abcdef"

[[package]]
name = "serde"
version = "1.0.100"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "serde"
version = "0.9.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "cc"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["serde 0.9.0"]
"#;
    let toml = r#"
[package]
name = "app"
[dependencies]
local = { path = "../local" }
remote = { git = "https://github.com/o/remote" }
serde = "1"
[build-dependencies]
cc = "1"
"#;
    let packages = lockfile::parse("Cargo.lock", lock).unwrap();
    let manifest = manifest::parse("Cargo.toml", toml, &BTreeMap::new()).unwrap();
    let stack = Stack::new(
        ".",
        Ecosystem::Cargo,
        vec![],
        components(&packages, &[("Cargo.toml".into(), manifest)], "Cargo.lock"),
    );
    let find = |n: &str, v: &str| {
        stack
            .components
            .iter()
            .find(|c| c.name == n && c.version.as_deref() == Some(v))
            .unwrap()
    };
    assert_eq!(find("local", "0.2.0").source, Source::Path);
    assert_eq!(find("remote", "0.3.0").source, Source::Git);
    assert!(find("serde", "1.0.100").direct);
    assert!(!find("serde", "0.9.0").direct);
    assert_eq!(find("serde", "0.9.0").scope, Scope::Build);
    assert_eq!(find("cc", "1.0.0").scope, Scope::Build);
    assert_eq!(stack.components.len(), 5);
}

#[test]
fn malformed_lockfiles_name_the_place() {
    let err =
        lockfile::parse("Cargo.lock", "[[package]]\nname = \"a\"\nversion = 1\n").unwrap_err();
    assert_eq!((err.line, err.file.as_str()), (3, "Cargo.lock"));
    assert!(err.message.contains("version"), "{err}");
    let err = lockfile::parse("Cargo.lock", "[[package]]\nname = \"a\n").unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.message.starts_with("invalid TOML"), "{err}");
}

#[test]
fn truncated_corpus_files_never_panic() {
    for set in [
        "cargo/BurntSushi__ripgrep__7cb211378a",
        "cargo/getzola__zola__a3a5b9ea06",
    ] {
        let tree = corpus_tree(set);
        for file in tree.files() {
            let text = tree.read(file).unwrap();
            for cut in (0..text.len())
                .step_by(331)
                .filter(|&i| text.is_char_boundary(i))
            {
                for parser in PARSERS {
                    let _ = (parser.parse)(file, &text[..cut]);
                }
            }
        }
    }
}
