//! Tests of the in-place yarn.lock editor on bulletproof-react's real yarn.lock (and variants
//! of it) with the recorded npm packuments (tests/fixtures/registry/npm), and on small
//! hand-written lockfiles.

use super::*;
use crate::npm::registry::version_manifest;
use crate::testutil::{byte_diff, change_of, corpus};

const BULLETPROOF: &str = "npm/alan2207__bulletproof-react__32ed545844/yarn.lock";

fn corpus_lock() -> String {
    std::fs::read_to_string(corpus().join(BULLETPROOF)).unwrap()
}

fn manifest(name: &str, version: &str) -> VersionManifest {
    let body = std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/registry/npm")
            .join(format!("{name}.json")),
    )
    .unwrap();
    version_manifest(name, &body, version).unwrap()
}

/// [`plan_yarn_edit`] of `yarn.lock` whose text is `lock`: `name` from `from` to the recorded
/// manifest of `to`, with no specifiers declared by manifests.
fn edit_to(lock: &str, name: &str, from: &str, to: &str) -> Result<YarnEdit, YarnRefusal> {
    plan_yarn_edit("yarn.lock", lock, name, from, &manifest(name, to), &[])
}

/// The corpus lockfile with `follow-redirects@^1.14.0` added to the header of the
/// follow-redirects block (1.14.1), as if another package asked for it.
fn corpus_with_follow_redirects_1_14() -> String {
    let old = "follow-redirects@^1.0.0, follow-redirects@^1.10.0:\n";
    let lock = corpus_lock();
    assert!(lock.contains(old));
    lock.replace(
        old,
        "follow-redirects@^1.0.0, follow-redirects@^1.10.0, follow-redirects@^1.14.0:\n",
    )
}

// --- the corpus -------------------------------------------------------------------------------

#[test]
fn corpus_axios_needs_a_specifier_no_header_lists() {
    let lock = corpus_lock();
    let refusal = edit_to(&lock, "axios", "0.21.1", "0.21.4").unwrap_err();
    assert_eq!(
        refusal,
        YarnRefusal::NeedsNewSpecifier {
            file: "yarn.lock".into(),
            spec: "follow-redirects@^1.14.0".into(),
            satisfied_by: Some((7920, "1.14.1".into())),
        }
    );
    assert!(refusal.yarn_can_resolve());
    let text = refusal.to_string();
    assert!(
        text.contains("the block at line 7920 (1.14.1) satisfies it, but yarn would add"),
        "{text}"
    );
}

#[test]
fn corpus_exact_pin_rejects_the_new_version() {
    // `ms@2.1.2:` is a block of its own (asked for exactly); 2.1.3 is `ms@^2.1.1`'s.
    let refusal = edit_to(&corpus_lock(), "ms", "2.1.2", "2.1.3").unwrap_err();
    assert_eq!(
        refusal,
        YarnRefusal::RangeRejects {
            file: "yarn.lock".into(),
            line: 11328,
            spec: "ms@2.1.2".into(),
            to: "2.1.3".into(),
        }
    );
    assert!(refusal.to_string().starts_with("yarn.lock:11328: "));
}

#[test]
fn corpus_babel_core_and_express_need_new_blocks_or_specifiers() {
    let lock = corpus_lock();
    let babel = edit_to(&lock, "@babel/core", "7.14.5", "7.14.6").unwrap_err();
    assert!(
        matches!(&babel, YarnRefusal::NeedsNewSpecifier { spec, .. } if spec == "@babel/helpers@^7.14.6"),
        "{babel}"
    );
    let express = edit_to(&lock, "express", "4.17.1", "4.17.2").unwrap_err();
    assert!(
        matches!(&express, YarnRefusal::NeedsNewSpecifier { spec, .. } if spec == "body-parser@1.19.1"),
        "{express}"
    );
}

#[test]
fn corpus_not_found_asks_to_replan() {
    let refusal = plan_yarn_edit(
        "web/yarn.lock",
        &corpus_lock(),
        "axios",
        "0.21.0",
        &manifest("axios", "0.21.4"),
        &[],
    )
    .unwrap_err();
    assert!(!refusal.yarn_can_resolve());
    assert_eq!(
        refusal.to_string(),
        "web/yarn.lock: no block resolves axios@0.21.0; re-plan against the current lockfile"
    );
}

#[test]
fn corpus_dropped_specifier_nothing_else_asks_for_is_refused() {
    // With `follow-redirects@^1.14.0` listed, axios 0.21.4's dependency is satisfied; but
    // 0.21.1's `follow-redirects@^1.10.0` is asked for by nothing else: yarn would drop it.
    let lock = corpus_with_follow_redirects_1_14();
    let refusal = edit_to(&lock, "axios", "0.21.1", "0.21.4").unwrap_err();
    assert_eq!(
        refusal,
        YarnRefusal::Orphaned {
            file: "yarn.lock".into(),
            line: 4277,
            spec: "follow-redirects@^1.10.0".into(),
        }
    );
}

#[test]
fn corpus_axios_moves_in_place_when_the_tree_allows() {
    let old = corpus_with_follow_redirects_1_14();
    // A manifest declaring `follow-redirects@^1.10.0` keeps that specifier in the lockfile.
    let roots = vec!["follow-redirects@^1.10.0".to_string()];
    let edit = plan_yarn_edit(
        "yarn.lock",
        &old,
        "axios",
        "0.21.1",
        &manifest("axios", "0.21.4"),
        &roots,
    )
    .unwrap();
    assert_eq!(edit.line, 4277);
    assert_eq!(
        edit.changed,
        vec![change_of("axios", Some("0.21.1"), Some("0.21.4"))]
    );
    let (at, before, after) = byte_diff(&old, &edit.new_text);
    let block_start = old.find("axios@^0.21.1:\n").unwrap();
    let block_end = old.find("axobject-query@^2.2.0:").unwrap();
    assert!(at >= block_start && at + before.len() <= block_end);
    assert_eq!(
        &edit.new_text[block_start..block_end + edit.new_text.len() - old.len()],
        "axios@^0.21.1:\n  version \"0.21.4\"\n  resolved \"https://registry.yarnpkg.com/axios/-/axios-0.21.4.tgz#c67b90dc0568e5c1cf2b0b858c43ba28e2eda575\"\n  integrity sha512-ut5vewkiu8jjGBdqpM44XxjuCjq9LAKeHVmoVfHVzy8eHgxxq8SbAVQNovDA8mVi05kP0Ea/n/UzcSHcTJQfNg==\n  dependencies:\n    follow-redirects \"^1.14.0\"\n\n"
    );
    assert!(!after.is_empty());
    assert_eq!(
        changed_entries("yarn.lock", &old, &edit.new_text).unwrap(),
        edit.changed
    );
    // The scan reads the result.
    let lock = parse_yarn_lock("yarn.lock", &edit.new_text).unwrap();
    let components = lock.components(&[]);
    assert!(
        components
            .iter()
            .any(|c| c.name == "axios" && c.version.as_deref() == Some("0.21.4"))
    );
}

// --- hand-written lockfiles ---------------------------------------------------------------

const HEADER: &str =
    "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n\n";

#[test]
fn old_format_block_keeps_its_fields_and_sha1_integrity_is_derived() {
    // An old yarn wrote no `integrity` and no `#sha1`; the edit keeps that shape.
    let old = format!(
        "{HEADER}debug@^4.0.0:\n  version \"4.3.1\"\n  dependencies:\n    ms \"^2.1.1\"\n\nms@^2.1.1:\n  version \"2.1.1\"\n  resolved \"https://registry.npmjs.org/ms/-/ms-2.1.1.tgz\"\n"
    );
    let edit = edit_to(&old, "ms", "2.1.1", "2.1.3").unwrap();
    assert_eq!(
        edit.new_text,
        old.replace("version \"2.1.1\"", "version \"2.1.3\"")
            .replace("ms-2.1.1.tgz", "ms-2.1.3.tgz")
    );
    assert_eq!(
        sha1_integrity("5608aeadfc00be6c2901df5f9861788de0d597c8").as_deref(),
        Some("sha1-VgiurfwAvmwpAd9fmGF4jeDVl8g=")
    );
    assert_eq!(sha1_integrity("xyz"), None);
}

#[test]
fn integrity_from_shasum_when_the_manifest_has_none() {
    let old = format!(
        "{HEADER}left-pad@^1.1.0:\n  version \"1.1.0\"\n  resolved \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.1.0.tgz#0123456789abcdef0123456789abcdef01234567\"\n  integrity sha1-ASNFZ4mrze8BI0VniavN7wEjRWc=\n"
    );
    let mut to = manifest("left-pad", "1.1.3");
    to.integrity = None;
    let shasum = to.shasum.clone().unwrap();
    let edit = plan_yarn_edit("yarn.lock", &old, "left-pad", "1.1.0", &to, &[]).unwrap();
    let expected = format!(
        "{HEADER}left-pad@^1.1.0:\n  version \"1.1.3\"\n  resolved \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.1.3.tgz#{shasum}\"\n  integrity {}\n",
        sha1_integrity(&shasum).unwrap()
    );
    assert_eq!(edit.new_text, expected);
}

#[test]
fn crlf_and_aliases_and_optional_dependencies() {
    let old = format!(
        "{HEADER}a@^1.0.0:\r\n  version \"1.0.0\"\r\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.0.tgz#0000000000000000000000000000000000000000\"\r\n  integrity sha512-old==\r\n  dependencies:\r\n    b \"^2.0.0\"\r\n\r\n\"a-alias@npm:a@^1.0.0\", a@~1.0.0:\r\n  version \"1.0.1\"\r\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.1.tgz#1111111111111111111111111111111111111111\"\r\n  integrity sha512-one==\r\n\r\nb@^2.0.0:\r\n  version \"2.0.0\"\r\n  resolved \"https://registry.yarnpkg.com/b/-/b-2.0.0.tgz#2222222222222222222222222222222222222222\"\r\n  integrity sha512-b==\r\n\r\nfsevents@^2.3.2:\r\n  version \"2.3.2\"\r\n  resolved \"https://registry.yarnpkg.com/fsevents/-/fsevents-2.3.2.tgz#3333333333333333333333333333333333333333\"\r\n  integrity sha512-f==\r\n"
    );
    // The aliased block moves 1.0.1 -> 1.0.2; npm's manifest lists the optional dependency in
    // both maps, yarn only under optionalDependencies.
    let to = VersionManifest {
        name: "a".into(),
        version: "1.0.2".into(),
        dependencies: vec![
            ("fsevents".into(), "^2.3.2".into()),
            ("b".into(), "^2.0.0".into()),
        ],
        optional_dependencies: vec![("fsevents".into(), "^2.3.2".into())],
        integrity: Some("sha512-two==".into()),
        shasum: Some("4444444444444444444444444444444444444444".into()),
        tarball: Some("https://registry.npmjs.org/a/-/a-1.0.2.tgz".into()),
        ..VersionManifest::default()
    };
    let edit = plan_yarn_edit("yarn.lock", &old, "a", "1.0.1", &to, &[]).unwrap();
    assert_eq!(edit.line, 12);
    let (_, before, after) = byte_diff(&old, &edit.new_text);
    assert_eq!(
        before,
        "1\"\r\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.1.tgz#1111111111111111111111111111111111111111\"\r\n  integrity sha512-one=="
    );
    assert_eq!(
        after,
        "2\"\r\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.2.tgz#4444444444444444444444444444444444444444\"\r\n  integrity sha512-two==\r\n  dependencies:\r\n    b \"^2.0.0\"\r\n  optionalDependencies:\r\n    fsevents \"^2.3.2\""
    );
    assert_eq!(
        edit.changed,
        vec![change_of("a", Some("1.0.1"), Some("1.0.2"))]
    );
}

#[test]
fn merging_several_blocks_and_foreign_sources_are_refused() {
    let two = format!(
        "{HEADER}ms@^2.1.1:\n  version \"2.1.1\"\n  resolved \"https://registry.yarnpkg.com/ms/-/ms-2.1.1.tgz\"\n\nms@2.1.3:\n  version \"2.1.3\"\n  resolved \"https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz\"\n"
    );
    let refusal = edit_to(&two, "ms", "2.1.1", "2.1.3").unwrap_err();
    assert_eq!(
        refusal,
        YarnRefusal::WouldMerge {
            file: "yarn.lock".into(),
            line: 9,
            id: "ms@2.1.3".into(),
        }
    );

    let same = two.replace(
        "ms@2.1.3:\n  version \"2.1.3\"",
        "ms@~2.1.1:\n  version \"2.1.1\"",
    );
    let refusal = edit_to(&same, "ms", "2.1.1", "2.1.3").unwrap_err();
    assert!(
        matches!(&refusal, YarnRefusal::SeveralBlocks { lines, .. } if *lines == vec![5, 9]),
        "{refusal}"
    );

    let git = format!(
        "{HEADER}ms@github:vercel/ms#2.1.1:\n  version \"2.1.1\"\n  resolved \"https://codeload.github.com/vercel/ms/tar.gz/abc\"\n"
    );
    let refusal = edit_to(&git, "ms", "2.1.1", "2.1.3").unwrap_err();
    assert!(
        refusal.to_string().contains("is not a registry tarball"),
        "{refusal}"
    );

    let extra = format!(
        "{HEADER}ms@^2.1.1:\n  version \"2.1.1\"\n  uid \"x\"\n  resolved \"https://registry.yarnpkg.com/ms/-/ms-2.1.1.tgz\"\n"
    );
    let refusal = edit_to(&extra, "ms", "2.1.1", "2.1.3").unwrap_err();
    assert!(refusal.to_string().contains("`uid` field"), "{refusal}");
}

#[test]
fn unsatisfied_dependency_and_unreadable_file() {
    let old = format!(
        "{HEADER}a@^1.0.0:\n  version \"1.0.0\"\n  resolved \"https://registry.yarnpkg.com/a/-/a-1.0.0.tgz\"\n\nb@^2.1.0:\n  version \"2.0.0\"\n  resolved \"https://registry.yarnpkg.com/b/-/b-2.0.0.tgz\"\n"
    );
    let to = VersionManifest {
        name: "a".into(),
        version: "1.0.1".into(),
        dependencies: vec![("b".into(), "^2.1.0".into())],
        tarball: Some("https://registry.npmjs.org/a/-/a-1.0.1.tgz".into()),
        ..VersionManifest::default()
    };
    let refusal = plan_yarn_edit("yarn.lock", &old, "a", "1.0.0", &to, &[]).unwrap_err();
    assert_eq!(
        refusal,
        YarnRefusal::Unsatisfied {
            file: "yarn.lock".into(),
            line: 9,
            spec: "b@^2.1.0".into(),
            version: "2.0.0".into(),
        }
    );
    let broken = plan_yarn_edit(
        "yarn.lock",
        "a@^1:\n  dependencies:\n",
        "a",
        "1.0.0",
        &to,
        &[],
    )
    .unwrap_err();
    assert!(matches!(broken, YarnRefusal::Unreadable(_)), "{broken}");
    assert!(!broken.yarn_can_resolve());
}

#[test]
fn last_block_without_a_final_newline() {
    let old = format!(
        "{HEADER}ms@^2.1.1:\n  version \"2.1.1\"\n  resolved \"https://registry.npmjs.org/ms/-/ms-2.1.1.tgz\""
    );
    let edit = edit_to(&old, "ms", "2.1.1", "2.1.3").unwrap();
    assert_eq!(
        edit.new_text,
        old.replace("2.1.1", "2.1.3")
            .replace("ms@^2.1.3", "ms@^2.1.1")
    );
}

#[test]
fn yarn_quoting_and_key_order() {
    for (raw, written) in [
        ("follow-redirects", "follow-redirects"),
        ("@babel/core", "\"@babel/core\""),
        ("^1.0.0", "\"^1.0.0\""),
        ("1.0.0", "\"1.0.0\""),
        ("latest", "latest"),
        ("true-case-path", "\"true-case-path\""),
        ("a b", "\"a b\""),
        ("https://x/y", "\"https://x/y\""),
        ("sha512-ab/+==", "sha512-ab/+=="),
        ("q\"uote", "\"q\\\"uote\""),
    ] {
        assert_eq!(maybe_wrap(raw), written, "{raw}");
    }
    let mut keys = vec!["b", "dependencies", "a", "version", "B", "@x/y", "name"];
    keys.sort_by(|a, b| priority_then_alpha(a, b));
    assert_eq!(
        keys,
        vec!["name", "version", "dependencies", "@x/y", "B", "a", "b"]
    );
}

#[test]
fn changed_entries_sees_headers_blocks_and_content() {
    let old = format!(
        "{HEADER}a@^1.0.0:\n  version \"1.0.0\"\n  resolved \"https://r/a/-/a-1.0.0.tgz\"\n\nb@^2.0.0:\n  version \"2.0.0\"\n  resolved \"https://r/b/-/b-2.0.0.tgz\"\n\nc@^3.0.0:\n  version \"3.0.0\"\n  resolved \"https://r/c/-/c-3.0.0.tgz\"\n"
    );
    // Quoting and blank lines are not entries.
    let requoted = old
        .replace("a@^1.0.0:", "\"a@^1.0.0\":")
        .replace("\n\nb@", "\n\n\nb@");
    assert_eq!(
        changed_entries("yarn.lock", &old, &requoted).unwrap(),
        vec![]
    );
    // A specifier added to b's header, c's integrity added, a removed, d added.
    let new = format!(
        "{HEADER}b@^2.0.0, b@^2.0.1:\n  version \"2.0.0\"\n  resolved \"https://r/b/-/b-2.0.0.tgz\"\n\nc@^3.0.0:\n  version \"3.0.0\"\n  resolved \"https://r/c/-/c-3.0.0.tgz\"\n  integrity sha512-c==\n\nd@^4.0.0:\n  version \"4.0.0\"\n  resolved \"https://r/d/-/d-4.0.0.tgz\"\n"
    );
    assert_eq!(
        changed_entries("yarn.lock", &old, &new).unwrap(),
        vec![
            change_of("a", Some("1.0.0"), None),
            change_of("b", Some("2.0.0"), Some("2.0.0")),
            change_of("c", Some("3.0.0"), Some("3.0.0")),
            change_of("d", None, Some("4.0.0")),
        ]
    );
    let error = changed_entries("yarn.lock", &old, "a@^1:\n  version\n").unwrap_err();
    assert_eq!(error.file, "yarn.lock");
}
