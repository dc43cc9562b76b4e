use nanoup_core::{Component, Scope, Source, Stack};

use super::*;
use crate::testutil::{corpus, corpus_tree};

fn only_stack(set: &str) -> Stack {
    let scanned = scan(&corpus_tree(set));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 1, "one stack in {set}");
    scanned.stacks.into_iter().next().unwrap()
}

fn find<'a>(stack: &'a Stack, name: &str, version: &str) -> &'a Component {
    stack
        .components
        .iter()
        .find(|c| c.name == name && c.version.as_deref() == Some(version))
        .unwrap_or_else(|| panic!("{name}@{version} not found"))
}

fn members(manifests: &[(&str, &str)]) -> Vec<Member> {
    manifests
        .iter()
        .map(|(dir, text)| Member {
            dir: dir.to_string(),
            manifest: parse_package_json("package.json", text).unwrap(),
        })
        .collect()
}

/// Writes `files` into a fresh directory and scans it.
fn scan_files(files: &[(&str, &str)]) -> Scanned {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    scan(&Tree::walk(dir.path()).unwrap())
}

// --- corpus sets -------------------------------------------------------------------------

#[test]
fn lockfile_v1_coreui() {
    // MANIFEST: 1839 entries, 1491 distinct name@version. Cross-checked with python3 walking
    // `dependencies` recursively: 1839 (key, version) entries, 1491 distinct; no version is a
    // git URL, `file:` path or alias, so every entry is a registry component.
    let set = "npm/coreui__coreui-free-react-admin-template__cd23931612";
    let stack = only_stack(set);
    assert_eq!(stack.path, ".");
    assert_eq!(stack.files, ["package-lock.json", "package.json"]);
    assert_eq!(stack.components.len(), 1491);
    let text = std::fs::read_to_string(corpus().join(set).join("package-lock.json")).unwrap();
    assert_eq!(
        parse_package_lock("package-lock.json", &text)
            .unwrap()
            .entry_count(),
        1839
    );

    let code_frame = find(&stack, "@babel/code-frame", "7.10.4");
    assert_eq!(
        (code_frame.line, code_frame.scope, code_frame.direct),
        (7, Scope::Dev, false)
    );
    assert_eq!(code_frame.purl, "pkg:npm/%40babel/code-frame@7.10.4");
    let react = find(&stack, "react", "16.13.1");
    assert_eq!(
        (react.line, react.scope, react.direct),
        (12790, Scope::Prod, true)
    );
    assert_eq!(react.requirement.as_deref(), Some("^16.13.1"));
    assert_eq!(react.file, "package-lock.json");
    assert_eq!(react.source, Source::Registry);
    let scripts = stack
        .components
        .iter()
        .find(|c| c.name == "react-scripts")
        .unwrap();
    assert_eq!(
        (scripts.line, scripts.scope, scripts.direct),
        (13159, Scope::Dev, true)
    );
    // 19 dependencies + 1 devDependency, all in the lockfile's top level.
    assert_eq!(stack.direct_count(), 20);
}

#[test]
fn lockfile_v2_json_server() {
    // MANIFEST: 1063 entries, 921 distinct. python3: `packages` has 1064 keys, the root "" is
    // the project itself; the other 1063 are all under node_modules (no links, no folders)
    // and give 921 distinct (name, version).
    let stack = only_stack("npm/typicode__json-server__78ea713756");
    assert_eq!(stack.components.len(), 921);
    let yargs = find(&stack, "yargs", "17.7.2");
    assert_eq!(
        (yargs.line, yargs.scope, yargs.direct),
        (13061, Scope::Prod, true)
    );
    assert_eq!(yargs.requirement.as_deref(), Some("^17.0.1"));
    let eslint = stack
        .components
        .iter()
        .find(|c| c.name == "eslint")
        .unwrap();
    assert_eq!(
        (eslint.line, eslint.scope, eslint.direct),
        (4517, Scope::Dev, true)
    );
    // 19 dependencies + 25 devDependencies.
    assert_eq!(stack.direct_count(), 44);
}

#[test]
fn lockfile_v3_husky() {
    // MANIFEST: 363 entries, 359 distinct; python3 on `packages` agrees (364 keys with "").
    let stack = only_stack("npm/typicode__husky__9baeb13260");
    assert_eq!(stack.components.len(), 359);
    let typescript = find(&stack, "typescript", "5.0.4");
    assert_eq!(
        (typescript.line, typescript.scope, typescript.direct),
        (3986, Scope::Dev, true)
    );
    // husky itself has no dependencies: everything is dev.
    assert!(stack.components.iter().all(|c| c.scope != Scope::Prod));
    assert_eq!(stack.direct_count(), 7);
}

#[test]
fn yarn_v1_bulletproof_react() {
    // MANIFEST: 2178 packages. python3 counted 2178 header lines; the one alias
    // (`tailwindcss@npm:@tailwindcss/postcss7-compat`) is its real package's only block, so
    // 2178 distinct (name, version). The python3 graph walk (specifier → block) from
    // package.json reaches 1520 blocks from `dependencies` and the other 658 only from
    // `devDependencies`.
    let stack = only_stack("npm/alan2207__bulletproof-react__32ed545844");
    assert_eq!(stack.files, ["package.json", "yarn.lock"]);
    assert_eq!(stack.components.len(), 2178);
    let dev = stack
        .components
        .iter()
        .filter(|c| c.scope == Scope::Dev)
        .count();
    assert_eq!(dev, 658);
    // 36 dependencies + 44 devDependencies, each matched to its block by `name@range`.
    assert_eq!(stack.direct_count(), 80);

    let code_frame = find(&stack, "@babel/code-frame", "7.10.4");
    assert_eq!((code_frame.line, code_frame.direct), (5, false));
    let react = stack.components.iter().find(|c| c.name == "react").unwrap();
    assert_eq!(
        (react.line, react.scope, react.direct),
        (13906, Scope::Prod, true)
    );
    assert_eq!(react.requirement.as_deref(), Some("^17.0.2"));
    let alias = find(&stack, "@tailwindcss/postcss7-compat", "2.1.4");
    assert_eq!(
        (alias.line, alias.scope, alias.direct),
        (15561, Scope::Dev, true)
    );
    assert!(!stack.components.iter().any(|c| c.name == "tailwindcss"));
    let request = stack
        .components
        .iter()
        .find(|c| c.name == "@cypress/request")
        .unwrap();
    assert_eq!(
        (request.line, request.scope, request.direct),
        (1382, Scope::Dev, false)
    );
    let cypress = stack
        .components
        .iter()
        .find(|c| c.name == "cypress")
        .unwrap();
    assert_eq!(
        (cypress.line, cypress.scope, cypress.direct),
        (6211, Scope::Dev, true)
    );
}

#[test]
fn pnpm_5_vue_core_with_importers() {
    // MANIFEST: 958 packages. python3 over the `  /` keys of `packages:` with the `_peers`
    // suffix cut: 957 distinct, as `/vite/3.0.9` and `/vite/3.0.9_terser@5.15.1` merge.
    let stack = only_stack("npm/vuejs__core__6f663d47e5");
    assert_eq!(stack.components.len(), 957);
    // The lockfile, the root manifest and the 16 importers' manifests (pnpm-workspace.yaml
    // is not read: the importers name the workspace packages).
    assert_eq!(stack.files.len(), 18);
    assert!(
        stack
            .files
            .contains(&"packages/compiler-core/package.json".to_string())
    );
    assert!(stack.files.contains(&"pnpm-lock.yaml".to_string()));
    // Workspace links are not components.
    assert!(!stack.components.iter().any(|c| c.name.starts_with("@vue/")
        && c.name != "@vue/consolidate"
        && c.name != "@vue/repl"));

    // python3 over all 17 package.json files: 67 distinct declared names that are not
    // `workspace:` links to the @vue/* packages; each resolves to one component.
    assert_eq!(stack.direct_count(), 67);
    let vite = find(&stack, "vite", "3.0.9");
    assert_eq!((vite.line, vite.direct), (7225, true));
    let parser = find(&stack, "@babel/parser", "7.16.4");
    assert_eq!(
        (parser.line, parser.scope, parser.direct),
        (484, Scope::Prod, true)
    );
    assert_eq!(parser.requirement.as_deref(), Some("^7.16.4"));
    let helper = stack
        .components
        .iter()
        .find(|c| c.name == "@babel/helper-compilation-targets")
        .unwrap();
    assert_eq!(
        (helper.version.as_deref(), helper.line, helper.scope),
        (Some("7.16.3"), 351, Scope::Dev)
    );
}

#[test]
fn workspace_manifests_of_a_lockfile_stack_are_not_stacks() {
    let set = "npm/vuejs__core__6f663d47e5";
    let scanned = scan(&corpus_tree(set));
    assert_eq!(scanned.stacks.len(), 1);
}

// --- inline fixtures ---------------------------------------------------------------------

const PNPM_6: &str = "lockfileVersion: '6.0'

settings:
  autoInstallPeers: true

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)
    devDependencies:
      '@types/react':
        specifier: ^18
        version: 18.2.0

  packages/app:
    dependencies:
      lib:
        specifier: workspace:*
        version: link:../lib
      react:
        specifier: ^18.2.0
        version: 18.2.0

packages:

  /@types/react@18.2.0:
    resolution: {integrity: sha512-aaa==}
    dev: true

  /loose-envify@1.4.0:
    resolution: {integrity: sha512-bbb==}
    hasBin: true
    dependencies:
      js-tokens: 4.0.0
    dev: false

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-ccc==}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
    dev: false

  /react@18.2.0:
    resolution: {integrity: sha512-ddd==}
    engines: {node: '>=0.10.0'}
    dependencies:
      loose-envify: 1.4.0
    dev: false

  /fsevents@2.3.2:
    resolution: {integrity: sha512-eee==}
    os: [darwin]
    requiresBuild: true
    optional: true

  github.com/user/tool/0123abc:
    resolution: {tarball: https://codeload.github.com/user/tool/tar.gz/0123abc}
    name: tool
    version: 1.2.0
    dev: false
";

#[test]
fn pnpm_6_keys_peers_and_flags() {
    let lock = parse_pnpm_lock("pnpm-lock.yaml", PNPM_6).unwrap();
    assert_eq!(lock.entry_count(), 6);
    let dirs: Vec<String> = lock.importer_dirs().collect();
    assert_eq!(dirs, ["", "packages/app"]);
    let stack = Stack::new(".", Ecosystem::Npm, vec![], lock.components());
    assert_eq!(stack.components.len(), 6);
    let react_dom = find(&stack, "react-dom", "18.2.0");
    assert_eq!(
        (react_dom.line, react_dom.scope, react_dom.direct),
        (40, Scope::Prod, true)
    );
    assert_eq!(react_dom.requirement.as_deref(), Some("^18.2.0"));
    let types = find(&stack, "@types/react", "18.2.0");
    assert_eq!(
        (types.line, types.scope, types.direct),
        (29, Scope::Dev, true)
    );
    let react = find(&stack, "react", "18.2.0");
    assert!(react.direct, "declared by packages/app");
    assert_eq!(find(&stack, "fsevents", "2.3.2").scope, Scope::Optional);
    let tool = find(&stack, "tool", "1.2.0");
    assert_eq!((tool.source, tool.line), (Source::Git, 62));
    assert!(!stack.components.iter().any(|c| c.name == "lib"));
}

const PNPM_9: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)
      string-width-cjs:
        specifier: npm:string-width@^4.2.0
        version: string-width@4.2.3
      local:
        specifier: file:./local
        version: file:local
    devDependencies:
      typescript:
        specifier: ^5.0.0
        version: 5.4.5

packages:

  js-tokens@4.0.0:
    resolution: {integrity: sha512-aaa==}

  local@file:local:
    resolution: {directory: local, type: directory}
    version: 0.1.0

  loose-envify@1.4.0:
    resolution: {integrity: sha512-bbb==}
    hasBin: true

  react-dom@18.2.0:
    resolution: {integrity: sha512-ccc==}
    peerDependencies:
      react: ^18.2.0

  react@18.2.0:
    resolution: {integrity: sha512-ddd==}
    engines: {node: '>=0.10.0'}

  string-width@4.2.3:
    resolution: {integrity: sha512-eee==}

  typescript@5.4.5:
    resolution: {integrity: sha512-fff==}
    engines: {node: '>=14.17'}
    hasBin: true

  dev-only@1.0.0:
    resolution: {integrity: sha512-ggg==}

snapshots:

  js-tokens@4.0.0: {}

  local@file:local: {}

  loose-envify@1.4.0:
    dependencies:
      js-tokens: 4.0.0

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0

  react@18.2.0:
    dependencies:
      loose-envify: 1.4.0

  string-width@4.2.3: {}

  typescript@5.4.5:
    dependencies:
      dev-only: 1.0.0

  dev-only@1.0.0: {}
";

#[test]
fn pnpm_9_packages_snapshots_and_graph_scope() {
    let lock = parse_pnpm_lock("pnpm-lock.yaml", PNPM_9).unwrap();
    assert_eq!(lock.entry_count(), 8);
    let stack = Stack::new(".", Ecosystem::Npm, vec![], lock.components());
    assert_eq!(stack.components.len(), 8);
    let react_dom = find(&stack, "react-dom", "18.2.0");
    assert_eq!(
        (react_dom.line, react_dom.scope, react_dom.direct),
        (38, Scope::Prod, true)
    );
    // Transitive, reached from a prod dependency: prod.
    let tokens = find(&stack, "js-tokens", "4.0.0");
    assert_eq!((tokens.scope, tokens.direct), (Scope::Prod, false));
    // Reached only under a dev dependency: dev.
    assert_eq!(find(&stack, "dev-only", "1.0.0").scope, Scope::Dev);
    assert_eq!(find(&stack, "typescript", "5.4.5").scope, Scope::Dev);
    // An alias resolves to the real package.
    let width = find(&stack, "string-width", "4.2.3");
    assert!(width.direct);
    assert_eq!(
        width.requirement.as_deref(),
        Some("npm:string-width@^4.2.0")
    );
    let local = find(&stack, "local", "0.1.0");
    assert_eq!((local.source, local.direct), (Source::Path, true));
}

#[test]
fn pnpm_5_peer_suffixes_are_stripped() {
    let text = "lockfileVersion: 5.3

specifiers:
  '@babel/plugin-x': ^7.0.0

devDependencies:
  '@babel/plugin-x': 7.8.3_@babel+core@7.16.0

packages:

  /@babel/plugin-x/7.8.3_@babel+core@7.16.0:
    resolution: {integrity: sha512-aaa==}
    peerDependencies:
      '@babel/core': ^7.0.0-0
    dev: true

  /a/1.0.0_b@2.0.0:
    resolution: {integrity: sha512-bbb==}
    dev: false
";
    let lock = parse_pnpm_lock("pnpm-lock.yaml", text).unwrap();
    let stack = Stack::new(".", Ecosystem::Npm, vec![], lock.components());
    let plugin = find(&stack, "@babel/plugin-x", "7.8.3");
    assert_eq!(
        (plugin.line, plugin.scope, plugin.direct),
        (11, Scope::Dev, true)
    );
    assert_eq!(plugin.requirement.as_deref(), Some("^7.0.0"));
    let a = find(&stack, "a", "1.0.0");
    assert_eq!((a.line, a.scope, a.direct), (17, Scope::Prod, false));
}

const SHRINKWRAP_V1: &str = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "debug": {
      "version": "2.6.9",
      "resolved": "https://registry.npmjs.org/debug/-/debug-2.6.9.tgz",
      "requires": {
        "ms": "2.0.0"
      },
      "dependencies": {
        "ms": {
          "version": "2.0.0",
          "resolved": "https://registry.npmjs.org/ms/-/ms-2.0.0.tgz"
        }
      }
    },
    "fsevents": {
      "version": "1.2.13",
      "resolved": "https://registry.npmjs.org/fsevents/-/fsevents-1.2.13.tgz",
      "optional": true
    },
    "ms": {
      "version": "2.1.2",
      "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.2.tgz",
      "dev": true
    },
    "mytool": {
      "version": "git+https://github.com/user/mytool.git#0123456789abcdef",
      "from": "git+https://github.com/user/mytool.git"
    },
    "locallib": {
      "version": "file:../locallib"
    },
    "sw": {
      "version": "npm:string-width@4.2.3",
      "resolved": "https://registry.npmjs.org/string-width/-/string-width-4.2.3.tgz"
    }
  }
}
"#;

const SHRINKWRAP_MANIFEST: &str = r#"{
  "name": "app",
  "dependencies": { "debug": "^2.6.0", "mytool": "user/mytool", "locallib": "file:../locallib",
    "sw": "npm:string-width@^4" },
  "devDependencies": { "ms": "^2.1.0" }
}"#;

#[test]
fn lockfile_v1_shrinkwrap_sources_aliases_and_nesting() {
    let lock = parse_package_lock("npm-shrinkwrap.json", SHRINKWRAP_V1).unwrap();
    assert_eq!((lock.lockfile_version, lock.entry_count()), (1, 7));
    let stack = Stack::new(
        ".",
        Ecosystem::Npm,
        vec![],
        lock.components(&members(&[("", SHRINKWRAP_MANIFEST)])),
    );
    assert_eq!(stack.components.len(), 7);
    let debug = find(&stack, "debug", "2.6.9");
    assert_eq!(
        (debug.line, debug.scope, debug.direct),
        (7, Scope::Prod, true)
    );
    let nested_ms = find(&stack, "ms", "2.0.0");
    assert_eq!((nested_ms.line, nested_ms.direct), (14, false));
    let top_ms = find(&stack, "ms", "2.1.2");
    assert_eq!(
        (top_ms.line, top_ms.scope, top_ms.direct),
        (25, Scope::Dev, true)
    );
    assert_eq!(find(&stack, "fsevents", "1.2.13").scope, Scope::Optional);
    let tool = stack
        .components
        .iter()
        .find(|c| c.name == "mytool")
        .unwrap();
    assert_eq!(
        (tool.source, tool.version.as_deref(), tool.direct),
        (Source::Git, None, true)
    );
    assert_eq!(
        tool.extra.get("resolved").map(String::as_str),
        Some("git+https://github.com/user/mytool.git#0123456789abcdef")
    );
    let local = stack
        .components
        .iter()
        .find(|c| c.name == "locallib")
        .unwrap();
    assert_eq!((local.source, local.line), (Source::Path, 34));
    let alias = find(&stack, "string-width", "4.2.3");
    assert_eq!((alias.line, alias.direct), (37, true));
}

#[test]
fn shrinkwrap_wins_over_package_lock_in_one_directory() {
    let scanned = scan_files(&[
        ("npm-shrinkwrap.json", SHRINKWRAP_V1),
        ("package-lock.json", "{ this is not read }"),
        ("package.json", SHRINKWRAP_MANIFEST),
    ]);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 1);
    assert_eq!(
        scanned.stacks[0].files,
        ["npm-shrinkwrap.json", "package.json"]
    );
}

#[test]
fn npm_workspaces_links_and_member_manifests() {
    let lock = r#"{
  "name": "mono",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "mono",
      "workspaces": ["packages/*"],
      "devDependencies": { "prettier": "^3.0.0" }
    },
    "node_modules/@mono/a": {
      "resolved": "packages/a",
      "link": true
    },
    "node_modules/ext": {
      "resolved": "../ext",
      "link": true
    },
    "node_modules/prettier": {
      "version": "3.0.0",
      "resolved": "https://registry.npmjs.org/prettier/-/prettier-3.0.0.tgz",
      "dev": true
    },
    "node_modules/ms": {
      "version": "2.1.3",
      "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz"
    },
    "packages/a": {
      "name": "@mono/a",
      "version": "1.0.0",
      "dependencies": { "ms": "^2.1.0", "ext": "file:../../ext" }
    },
    "packages/a/node_modules/semver": {
      "version": "7.5.4",
      "resolved": "https://registry.npmjs.org/semver/-/semver-7.5.4.tgz",
      "devOptional": true
    },
    "../ext": {
      "name": "ext",
      "version": "0.3.0"
    }
  }
}
"#;
    let scanned = scan_files(&[
        ("package-lock.json", lock),
        (
            "package.json",
            r#"{"name":"mono","workspaces":["packages/*"],"devDependencies":{"prettier":"^3.0.0"}}"#,
        ),
        (
            "packages/a/package.json",
            r#"{"name":"@mono/a","dependencies":{"ms":"^2.1.0","semver":"^7"}}"#,
        ),
        (
            "examples/demo/package.json",
            r#"{"name":"demo","dependencies":{"left-pad":"1.3.0","ms":"^2"}}"#,
        ),
    ]);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(
        scanned.stacks.len(),
        2,
        "the lockfile stack and the stray example"
    );
    let stack = scanned.stacks.iter().find(|s| s.path == ".").unwrap();
    assert_eq!(
        stack.files,
        [
            "package-lock.json",
            "package.json",
            "packages/a/package.json"
        ]
    );
    let names: Vec<&str> = stack.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["ext", "ms", "prettier", "semver"]);
    let ms = find(stack, "ms", "2.1.3");
    assert!(ms.direct, "declared by the workspace package");
    let semver = find(stack, "semver", "7.5.4");
    assert_eq!((semver.scope, semver.direct), (Scope::Optional, true));
    let ext = find(stack, "ext", "0.3.0");
    assert_eq!((ext.source, ext.line), (Source::Path, 15));

    // A package.json outside every workspace is a stack of its own, unresolved but for exact pins.
    let demo = scanned
        .stacks
        .iter()
        .find(|s| s.path == "examples/demo")
        .unwrap();
    assert_eq!(demo.files, ["package.json"]);
    let left_pad = find(demo, "left-pad", "1.3.0");
    assert_eq!(
        (left_pad.file.as_str(), left_pad.line, left_pad.direct),
        ("examples/demo/package.json", 1, true)
    );
    let ms = demo.components.iter().find(|c| c.name == "ms").unwrap();
    assert_eq!(
        (ms.version.as_deref(), ms.requirement.as_deref()),
        (None, Some("^2"))
    );
    assert!(ms.unresolved.is_some());
}

#[test]
fn yarn_workspaces_and_sources() {
    let yarn = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@scope/x@^1.0.0", "@scope/x@^1.1.0":
  version "1.1.0"
  resolved "https://registry.yarnpkg.com/@scope/x/-/x-1.1.0.tgz#abc"
  dependencies:
    ms "^2.1.1"
  optionalDependencies:
    fsevents "~2.3.2"

fsevents@~2.3.2:
  version "2.3.2"
  resolved "https://registry.yarnpkg.com/fsevents/-/fsevents-2.3.2.tgz#def"

"gitdep@git+https://github.com/u/gitdep.git#v1":
  version "0.0.1"
  resolved "git+https://github.com/u/gitdep.git#0123abcd"

"local@file:./vendor/local":
  version "0.2.0"

ms@^2.1.1:
  version "2.1.3"
  resolved "https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#ghi"
"#;
    let scanned = scan_files(&[
        ("yarn.lock", yarn),
        (
            "package.json",
            r#"{"private":true,"workspaces":{"packages":["apps/**"]},"devDependencies":{"gitdep":"git+https://github.com/u/gitdep.git#v1"}}"#,
        ),
        (
            "apps/web/package.json",
            r#"{"name":"web","dependencies":{"@scope/x":"^1.0.0","local":"file:./vendor/local"}}"#,
        ),
    ]);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 1);
    let stack = &scanned.stacks[0];
    assert_eq!(
        stack.files,
        ["apps/web/package.json", "package.json", "yarn.lock"]
    );
    let x = find(stack, "@scope/x", "1.1.0");
    assert_eq!(
        (x.line, x.scope, x.direct, x.source),
        (5, Scope::Prod, true, Source::Registry)
    );
    assert_eq!(find(stack, "ms", "2.1.3").scope, Scope::Prod);
    assert_eq!(find(stack, "fsevents", "2.3.2").scope, Scope::Optional);
    let git = find(stack, "gitdep", "0.0.1");
    assert_eq!(
        (git.source, git.scope, git.direct, git.line),
        (Source::Git, Scope::Dev, true, 17)
    );
    assert_eq!(find(stack, "local", "0.2.0").source, Source::Path);
}

// --- errors --------------------------------------------------------------------------------

#[test]
fn malformed_inputs_give_errors_at_the_right_line() {
    let err = parse_package_lock(
        "package-lock.json",
        "{\n  \"lockfileVersion\": 2,\n  \"packages\": {\n    \"x\": [}\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 4);
    assert!(err.message.starts_with("invalid JSON"), "{}", err.message);

    let err = parse_yarn_lock(
        "yarn.lock",
        "# yarn lockfile v1\n\nms@^2:\n  resolved \"x\"\n\nother@1:\n  version \"1\"\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.message.contains("`version`"), "{}", err.message);

    let err = parse_yarn_lock("yarn.lock", "ms@^2:\n  version \"2.1.3\n").unwrap_err();
    assert_eq!(err.line, 2);
    assert!(err.message.contains("closing"), "{}", err.message);

    // A berry lockfile with nothing but its metadata has no packages; a berry field without
    // its colon is an error at its place.
    assert_eq!(
        parse_yarn_lock("yarn.lock", "__metadata:\n  version: 6\n")
            .unwrap()
            .entry_count(),
        0
    );
    let err = parse_yarn_lock(
        "yarn.lock",
        "__metadata:\n  version: 6\n\n\"ms@npm:^2\":\n  version 2.1.3\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 5);

    let err = parse_pnpm_lock(
        "pnpm-lock.yaml",
        "lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n      dev: true\n    optional: true\n",
    )
    .unwrap_err();
    assert_eq!(err.line, 5);
    assert!(err.message.contains("line up"), "{}", err.message);

    let err =
        parse_pnpm_lock("pnpm-lock.yaml", "packages:\n  /a@1.0.0:\n    dev: true\n").unwrap_err();
    assert!(err.message.contains("lockfileVersion"), "{}", err.message);

    let err = parse_package_json(
        "package.json",
        "{\n  \"dependencies\": {\n    \"a\": 1\n  }\n}",
    )
    .unwrap_err();
    assert_eq!(err.line, 3);
    assert!(
        err.message.contains("expected a version range string"),
        "{}",
        err.message
    );
}

#[test]
fn a_bad_manifest_keeps_the_lockfile_stack_and_reports_the_error() {
    let scanned = scan_files(&[
        ("package-lock.json", SHRINKWRAP_V1),
        ("package.json", "{ \"dependencies\": "),
    ]);
    assert_eq!(scanned.stacks.len(), 1);
    assert_eq!(scanned.stacks[0].components.len(), 7);
    assert_eq!(scanned.errors.len(), 1);
    assert_eq!(scanned.errors[0].file, "package.json");
}

#[test]
fn glob_matching() {
    assert!(glob_matches("packages/*", "packages/a"));
    assert!(!glob_matches("packages/*", "packages/a/b"));
    assert!(glob_matches("packages/**", "packages/a/b"));
    assert!(glob_matches("**", "a"));
    assert!(glob_matches("plugins/plugin-*", "plugins/plugin-x"));
    assert!(!glob_matches("packages/*", "packages/.hidden"));
    assert_eq!(normalize_glob("./packages/*/"), "packages/*");
    assert_eq!(
        normalize_glob("!packages/skip/package.json"),
        "!packages/skip"
    );
}

// --- robustness ----------------------------------------------------------------------------

/// Feeds every corpus file of this module's formats, cut at many offsets and mangled, to
/// every parser: none may panic.
#[test]
fn parsers_never_panic_on_truncated_or_mangled_input() {
    let sets = [
        "npm/alan2207__bulletproof-react__32ed545844/yarn.lock",
        "npm/alan2207__bulletproof-react__32ed545844/package.json",
        "npm/coreui__coreui-free-react-admin-template__cd23931612/package-lock.json",
        "npm/typicode__husky__9baeb13260/package-lock.json",
        "npm/vuejs__core__6f663d47e5/pnpm-lock.yaml",
    ];
    let mut inputs: Vec<String> = vec![PNPM_6.into(), PNPM_9.into(), SHRINKWRAP_V1.into()];
    for set in sets {
        inputs.push(std::fs::read_to_string(corpus().join(set)).unwrap());
    }
    for text in &inputs {
        // Cuts: every 101 bytes of the first 8 kB, then 8 spread over the rest.
        let step_far = (text.len() / 8).max(101);
        let cuts = (0..text.len().min(8_000))
            .step_by(101)
            .chain((8_000..text.len()).step_by(step_far));
        for cut in cuts {
            let mut end = cut;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let prefix = &text[..end];
            run_all(prefix);
        }
        let mut head_end = text.len().min(8_000);
        while !text.is_char_boundary(head_end) {
            head_end -= 1;
        }
        let head = &text[..head_end];
        for mangled in [
            head.replace(':', ""),
            head.replace('"', "'"),
            head.replace("  ", "\t"),
            head.replace('\n', "\n  "),
            head.replace('{', "["),
            head.replace("node_modules/", "node_modules/node_modules/"),
            head.replace('@', "@@"),
            head.replace(' ', ""),
        ] {
            run_all(&mangled);
        }
    }
    for odd in [
        "",
        "\u{feff}",
        "\"",
        "'",
        "-",
        "? x",
        "a:\n  - b\n  c: d",
        "{",
        "[]",
        "null",
        "x: {",
        "é:\n é",
    ] {
        run_all(odd);
    }
}

fn run_all(text: &str) {
    for parser in PARSERS {
        let _ = (parser.parse)(parser.file_name, text);
    }
    // The component builders run on whatever parsed.
    if let Ok(lock) = parse_package_lock("package-lock.json", text) {
        lock.components(&[]);
    }
    if let Ok(lock) = parse_yarn_lock("yarn.lock", text) {
        lock.components(&[]);
    }
    if let Ok(lock) = parse_pnpm_lock("pnpm-lock.yaml", text) {
        lock.components();
    }
}

#[test]
fn npm6_resolved_false_is_no_source_not_an_error() {
    // npm 6 writes `"resolved": false` for an optional package it did not fetch (fsevents on
    // Linux); the rest of the stack must still be read.
    let lock = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "fsevents": {
      "version": "1.2.13",
      "resolved": false,
      "integrity": "sha512-oWb1Z6mkHIskLzEJ/XWX0srkpkTQ7vaopMQkyaEIoq0fmtFVxOthb8cCxeT+p3ynTdkk/RZwbgG4brR5BeWECw==",
      "dev": true,
      "optional": true
    },
    "lodash": {
      "version": "4.17.15",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz",
      "integrity": "sha512-8xOcRHvCjnocdS5cpwqQXuqDhd3LiYh4yBW4HIaiTjFKLaUOy0MLbEE1ChkmBPOVNbTc5M5STZUxULpixh3DjA=="
    }
  }
}"#;
    let manifest = r#"{"name": "app", "version": "1.0.0", "dependencies": {"lodash": "^4.17.0"}, "devDependencies": {"fsevents": "^1.2.0"}}"#;
    let scanned = scan_files(&[("package-lock.json", lock), ("package.json", manifest)]);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let stack = &scanned.stacks[0];
    let fsevents = find(stack, "fsevents", "1.2.13");
    assert_eq!(fsevents.source, Source::Registry);
    find(stack, "lodash", "4.17.15");
    // `true` is not a place either: still read, no source recorded.
    let odd = lock.replace("\"resolved\": false", "\"resolved\": true");
    assert!(parse_package_lock("package-lock.json", &odd).is_ok());
}

/// A yarn 4 (berry) lockfile as yarn 4 writes it for a workspace depending on ms, debug (whose
/// range `^2.1.1` of ms shares ms's block) and an optional fsevents.
const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"debug@npm:^4.3.4":
  version: 4.3.4
  resolution: "debug@npm:4.3.4"
  dependencies:
    ms: "npm:2.1.2"
  peerDependenciesMeta:
    supports-color:
      optional: true
  checksum: 10c0/cedbec45298dd5c501d01b92b119cd3faebe5438c3917ff11ae1bff86a6c722930ac9c8659792824013168ba6db7c4668225d845c633fbdafbbf902a6389f736
  languageName: node
  linkType: hard

"fsevents@npm:^2.3.2":
  version: 2.3.3
  resolution: "fsevents@npm:2.3.3"
  dependencies:
    node-gyp: "npm:latest"
  checksum: 10c0/a1f0c44595123ed717febbc478aa952e47adfc28e2092be66b8ab1635147254ca6cfe1df792a8997f22716d4cbafc73309899ff7bfac2ac3ad8cf2e4ecc3ec60
  conditions: os=darwin
  languageName: node
  linkType: hard

"ms@npm:2.1.2, ms@npm:^2.1.1":
  version: 2.1.2
  resolution: "ms@npm:2.1.2"
  checksum: 10c0/a437714e2f90dbf881b5191d35a6db792efbca5badf112f87b9e1c712aace4b4b9b742dd6537f3edf90fd6f684de897cec230abde57e87883766712ddda297cc
  languageName: node
  linkType: hard

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    debug: "npm:^4.3.4"
    fsevents: "npm:^2.3.2"
    ms: "npm:^2.1.1"
  dependenciesMeta:
    fsevents:
      optional: true
  languageName: unknown
  linkType: soft
"#;

#[test]
fn yarn_berry_lockfiles_are_read_in_full() {
    let lock = parse_yarn_lock("yarn.lock", BERRY).unwrap();
    // debug, fsevents and ms; the workspace's own package is not a component.
    assert_eq!(lock.entry_count(), 3);
    let manifest = r#"{"name": "app", "dependencies": {"debug": "^4.3.4", "ms": "^2.1.1"}, "optionalDependencies": {"fsevents": "^2.3.2"}}"#;
    let scanned = scan_files(&[("yarn.lock", BERRY), ("package.json", manifest)]);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let stack = &scanned.stacks[0];
    let ms = find(stack, "ms", "2.1.2");
    assert!(
        ms.direct,
        "package.json asks for ms@^2.1.1, which ms's block resolves"
    );
    assert_eq!(ms.source, Source::Registry);
    let debug = find(stack, "debug", "4.3.4");
    assert!(debug.direct);
    assert_eq!(find(stack, "fsevents", "2.3.3").scope, Scope::Optional);
    assert_eq!(stack.components.len(), 3);
}

/// A bun.lock as bun 1.2 writes it (text format, trailing commas) for a project depending on
/// debug (which needs ms 2.1.2, nested under it) and ms 2.1.3, with typescript for development.
const BUN_LOCK: &str = r#"{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": {
        "debug": "^4.3.4",
        "ms": "^2.1.3",
      },
      "devDependencies": {
        "typescript": "^5.7.2",
      },
    },
  },
  "packages": {
    "debug": ["debug@4.3.4", "", { "dependencies": { "ms": "2.1.2" } }, "sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ=="],

    "ms": ["ms@2.1.3", "", {}, "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="],

    "typescript": ["typescript@5.7.2", "", { "bin": { "tsc": "bin/tsc", "tsserver": "bin/tsserver" } }, "sha512-i5t66RHxDvVN40HfDd1PsEThGNnlMCMT3jMUuoh9/0TaqWevNontacunWyN02LA9/fIbEWlcHZcgTKb9QoaLfg=="],

    "debug/ms": ["ms@2.1.2", "", {}, "sha512-sGkPx+VjMtmA6MX27oA4FBFELFCZZ4S4XqeGOXCv68tT+jb3vk/RyaKWP0PTKyWtmLSM0b+adUTEvbs1PEaH2w=="],
  }
}
"#;

#[test]
fn bun_text_lockfiles_are_read() {
    let manifest = r#"{"name": "app", "dependencies": {"debug": "^4.3.4", "ms": "^2.1.3"}, "devDependencies": {"typescript": "^5.7.2"}}"#;
    let scanned = scan_files(&[("bun.lock", BUN_LOCK), ("package.json", manifest)]);
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    let stack = &scanned.stacks[0];
    assert_eq!(stack.files, ["bun.lock", "package.json"]);
    assert_eq!(stack.components.len(), 4);
    let debug = find(stack, "debug", "4.3.4");
    assert!(debug.direct);
    assert_eq!(debug.line, 16);
    assert_eq!(find(stack, "typescript", "5.7.2").scope, Scope::Dev);
    // ms 2.1.2 is debug's copy: transitive, prod through debug.
    let nested = find(stack, "ms", "2.1.2");
    assert!(!nested.direct);
    assert_eq!(nested.scope, Scope::Prod);
    assert!(find(stack, "ms", "2.1.3").direct);
    // A truncated file is an error at its place, not a panic.
    let cut = &BUN_LOCK[..BUN_LOCK.len() / 2];
    let scanned = scan_files(&[("bun.lock", cut), ("package.json", manifest)]);
    assert_eq!(scanned.errors.len(), 1);
    assert_eq!(scanned.errors[0].file, "bun.lock");
}
