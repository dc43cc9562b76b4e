//! Tests of the in-place package-lock editor on the real corpus lockfiles (v1 coreui, v2
//! json-server, v3 husky) with the recorded npm packuments (tests/fixtures/registry/npm).

use super::*;
use crate::npm::registry::version_manifest;
use crate::testutil::{change, corpus, npm_release as release};

const COREUI: &str = "npm/coreui__coreui-free-react-admin-template__cd23931612";
const JSON_SERVER: &str = "npm/typicode__json-server__78ea713756";
const HUSKY: &str = "npm/typicode__husky__9baeb13260";

fn lock(set: &str) -> String {
    std::fs::read_to_string(corpus().join(set).join("package-lock.json")).unwrap()
}

fn packument(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/registry/npm")
            .join(format!("{name}.json")),
    )
    .unwrap()
}

fn manifest(name: &str, version: &str) -> VersionManifest {
    version_manifest(name, &packument(name), version).unwrap()
}

/// The 1-based numbers of the lines that differ (the texts must have as many lines).
fn differing_lines(old: &str, new: &str) -> Vec<usize> {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    assert_eq!(old.len(), new.len(), "the edit added or removed lines");
    old.iter()
        .zip(&new)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| i + 1)
        .collect()
}

/// Replaces the first `from` after the first `anchor` in `text` (to derive a variant of a real
/// lockfile in which one dependent asks for another range).
fn replace_after(text: &str, anchor: &str, from: &str, to: &str) -> String {
    let start = text.find(anchor).expect("anchor") + anchor.len();
    let at = start + text[start..].find(from).expect("text after anchor");
    format!("{}{}{}", &text[..at], to, &text[at + from.len()..])
}

// --- format -------------------------------------------------------------------------------------

#[test]
fn corpus_lockfiles_round_trip_byte_identical() {
    for set in [COREUI, JSON_SERVER, HUSKY] {
        let text = lock(set);
        let value: Value = serde_json::from_str(&text).unwrap();
        // The CRATES.md claim, verified: to_string_pretty + "\n" is npm's output.
        assert_eq!(
            serde_json::to_string_pretty(&value).unwrap() + "\n",
            text,
            "{set}"
        );
        assert_eq!(Style::detect(&text).write(&value), text, "{set}");
    }
}

#[test]
fn npm7_lockfiles_are_in_json_stringify_nice_order() {
    // Every object of the v2 and v3 lockfiles (the `packages` map, each entry, each
    // dependency map, the legacy section of v2) is already in the order `nice_sorted` gives.
    for set in [JSON_SERVER, HUSKY] {
        let text = lock(set);
        let value: Value = serde_json::from_str(&text).unwrap();
        let sorted = nice_sorted(value.clone());
        assert_eq!(Style::detect(&text).write(&sorted), text, "{set}");
    }
}

#[test]
fn npm6_lockfile_keeps_its_fixed_entry_order() {
    let value: Value = serde_json::from_str(&lock(COREUI)).unwrap();
    fn walk(deps: &Map<String, Value>, count: &mut usize) {
        for entry in deps.values() {
            let keys: Vec<&str> = entry
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let ranks: Vec<usize> = keys
                .iter()
                .map(|k| V1_KEY_ORDER.iter().position(|o| o == k).expect("known key"))
                .collect();
            assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
            if let Some(requires) = entry.get("requires").and_then(Value::as_object) {
                let names: Vec<&String> = requires.keys().collect();
                assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
                *count += 1;
            }
            if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                walk(nested, count);
            }
        }
    }
    let mut count = 0;
    walk(value["dependencies"].as_object().unwrap(), &mut count);
    assert!(count > 1000, "{count} requires maps checked");
}

#[test]
fn locale_order_matches_icu_on_names() {
    assert_eq!(locale_cmp("a-b", "a_b"), Ordering::Greater); // ICU: _ before -
    assert_eq!(locale_cmp("a-b", "a/b"), Ordering::Less);
    assert_eq!(locale_cmp("@babel/core", "abc"), Ordering::Less);
    assert_eq!(locale_cmp("B", "a"), Ordering::Greater);
    assert_eq!(locale_cmp("a", "A"), Ordering::Less);
    assert_eq!(
        locale_cmp("node_modules/a", "node_modules/a/node_modules/b"),
        Ordering::Less
    );
    // The order Node 20's `localeCompare(…, 'en')` gives for these (run on this machine).
    let node = "@babel/core a A a_b a-b a.b a/b a~b a$ a1 abc B node_modules/a \
                node_modules/a/node_modules/b";
    let expected: Vec<&str> = node.split_whitespace().collect();
    let mut sorted = expected.clone();
    sorted.reverse();
    sorted.sort_by(|a, b| locale_cmp(a, b));
    assert_eq!(sorted, expected);
}

// --- registry data ------------------------------------------------------------------------------

#[test]
fn version_manifest_reads_one_version_of_real_packuments() {
    let ms = manifest("ms", "2.1.3");
    assert_eq!(ms.version, "2.1.3");
    assert!(ms.dependencies.is_empty());
    assert_eq!(
        ms.tarball.as_deref(),
        Some("https://registry.npmjs.org/ms/-/ms-2.1.3.tgz")
    );
    assert_eq!(
        ms.integrity.as_deref(),
        Some(
            "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
        )
    );
    assert_eq!(ms.license, Some(Value::String("MIT".into())));

    let express = manifest("express", "4.18.3");
    assert_eq!(express.dependencies.len(), 31);
    assert_eq!(
        express.dependencies[2],
        ("body-parser".to_string(), "1.20.2".to_string())
    );
    assert_eq!(
        express.engines,
        Some(serde_json::json!({"node": ">= 0.10.0"}))
    );

    let core = manifest("@babel/core", "7.22.20");
    assert_eq!(core.name, "@babel/core");
    assert!(
        core.dependencies
            .iter()
            .any(|(n, r)| n == "debug" && r == "^4.1.0")
    );

    // Errors, never panics.
    assert!(version_manifest("ms", &packument("ms"), "9.9.9").is_err());
    assert!(version_manifest("left-pad", &packument("ms"), "2.1.3").is_err());
    let body = packument("ms");
    for cut in [0, 1, 10, body.len() / 2, body.len() - 1] {
        assert!(version_manifest("ms", &body[..cut], "2.1.3").is_err());
    }
    assert!(version_manifest("ms", b"[1,2]", "2.1.3").is_err());
}

#[test]
fn sha1_integrity_matches_npm() {
    // ms 2.0.0: dist.shasum 5608aeadfc00be6c2901df5f9861788de0d597c8 is the sha1 coreui's
    // lockfile records as `sha1-VgiurfwAvmwpAd9fmGF4jeDVl8g=`.
    assert_eq!(
        sha1_integrity("5608aeadfc00be6c2901df5f9861788de0d597c8").as_deref(),
        Some("sha1-VgiurfwAvmwpAd9fmGF4jeDVl8g=")
    );
    assert_eq!(sha1_integrity("xyz"), None);
}

// --- v1: coreui ---------------------------------------------------------------------------------

#[test]
fn v1_top_level_ms_moves_when_every_requirer_accepts() {
    // coreui: top-level ms 2.1.2 is required by debug 4.1.1, portfinder's and sockjs-client's
    // debug 3.2.6, all with "^2.1.1": 2.1.3 is accepted.
    let old = lock(COREUI);
    let edit = plan_edit(&old, "ms", "2.1.2", &manifest("ms", "2.1.3")).unwrap();
    assert_eq!(edit.locations, vec!["node_modules/ms".to_string()]);
    assert_eq!(
        edit.changed,
        vec![placed(change("ms", "2.1.2", "2.1.3"), "node_modules/ms")]
    );
    assert_eq!(changed_entries(&old, &edit.new_text).unwrap(), edit.changed);
    let lines = differing_lines(&old, &edit.new_text);
    assert_eq!(lines.len(), 3, "version, resolved, integrity: {lines:?}");
    let new_lines: Vec<&str> = edit.new_text.lines().collect();
    assert_eq!(new_lines[lines[0] - 1].trim(), "\"version\": \"2.1.3\",");
    assert_eq!(
        new_lines[lines[1] - 1].trim(),
        "\"resolved\": \"https://registry.npmjs.org/ms/-/ms-2.1.3.tgz\","
    );
    assert!(new_lines[lines[2] - 1].contains("sha512-6Flzub"));
    assert!(lines.windows(2).all(|w| w[1] == w[0] + 1));
}

#[test]
fn v1_nested_entries_are_found_and_checked() {
    // The nested copies of ms 2.0.0 (under body-parser/debug…) are all required as "2.0.0".
    let old = lock(COREUI);
    let refusal = plan_edit(&old, "ms", "2.0.0", &manifest("ms", "2.1.3")).unwrap_err();
    match &refusal {
        EditRefusal::RangeRejects {
            range,
            location,
            dependent_id,
            ..
        } => {
            assert_eq!(range, "2.0.0");
            assert!(location.contains("/node_modules/ms"), "{location}");
            assert_eq!(dependent_id, "debug@2.6.9");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        refusal.to_string().contains("asks for \"2.0.0\""),
        "{refusal}"
    );

    // A variant where send asks for "^2.1.1": its nested ms 2.1.1 moves, in the nested form.
    let relaxed = replace_after(
        &old,
        "\n    \"send\": {",
        "\"ms\": \"2.1.1\"",
        "\"ms\": \"^2.1.1\"",
    );
    let edit = plan_edit(&relaxed, "ms", "2.1.1", &manifest("ms", "2.1.3")).unwrap();
    assert_eq!(
        edit.locations,
        vec!["node_modules/send/node_modules/ms".to_string()]
    );
    assert_eq!(
        changed_entries(&relaxed, &edit.new_text).unwrap(),
        edit.changed
    );
    assert_eq!(differing_lines(&relaxed, &edit.new_text).len(), 3);
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    let nested = &new["dependencies"]["send"]["dependencies"]["ms"];
    assert_eq!(nested["version"], "2.1.3");
    assert_eq!(nested["dev"], true);
}

// --- v2: json-server ----------------------------------------------------------------------------

#[test]
fn v2_refuses_when_a_dependent_pins_the_old_version() {
    // node_modules/ms 2.1.2 is asked for as exactly "2.1.2" by debug 4.3.4.
    let old = lock(JSON_SERVER);
    let refusal = plan_edit(&old, "ms", "2.1.2", &manifest("ms", "2.1.3")).unwrap_err();
    assert_eq!(
        refusal,
        EditRefusal::RangeRejects {
            dependent: "node_modules/debug".into(),
            dependent_id: "debug@4.3.4".into(),
            range: "2.1.2".into(),
            location: "node_modules/ms".into(),
            to: "2.1.3".into(),
        }
    );
    // And the nested ms 2.0.0 copies, asked for as "2.0.0" by each debug 2.6.9.
    let refusal = plan_edit(&old, "ms", "2.0.0", &manifest("ms", "2.1.3")).unwrap_err();
    assert!(matches!(&refusal, EditRefusal::RangeRejects { range, .. } if range == "2.0.0"));
}

#[test]
fn v2_edits_both_sections_and_nothing_else() {
    // A variant of json-server's lockfile in which debug 4.3.4 asks for "^2.1.1" (as debug
    // 4.1.1 does) in both sections: then the eslint plugins' debug 3.2.7 ("^2.1.1") and it
    // accept ms 2.1.3 at node_modules/ms.
    let old = lock(JSON_SERVER);
    let relaxed = replace_after(
        &old,
        "\"node_modules/debug\": {",
        "\"ms\": \"2.1.2\"",
        "\"ms\": \"^2.1.1\"",
    );
    let relaxed = replace_after(
        &relaxed,
        "\n    \"debug\": {",
        "\"ms\": \"2.1.2\"",
        "\"ms\": \"^2.1.1\"",
    );
    assert_eq!(
        changed_entries(&old, &relaxed).unwrap(),
        vec![placed(
            change("debug", "4.3.4", "4.3.4"),
            "node_modules/debug"
        )]
    );

    let edit = plan_edit(&relaxed, "ms", "2.1.2", &manifest("ms", "2.1.3")).unwrap();
    assert_eq!(edit.locations, vec!["node_modules/ms".to_string()]);
    assert_eq!(
        edit.changed,
        vec![placed(change("ms", "2.1.2", "2.1.3"), "node_modules/ms")]
    );
    assert_eq!(
        changed_entries(&relaxed, &edit.new_text).unwrap(),
        edit.changed
    );
    // Three lines in `packages`, three in the legacy `dependencies`.
    let lines = differing_lines(&relaxed, &edit.new_text);
    assert_eq!(lines.len(), 6, "{lines:?}");
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    assert_eq!(new["packages"]["node_modules/ms"]["version"], "2.1.3");
    assert_eq!(new["dependencies"]["ms"]["version"], "2.1.3");
    assert_eq!(
        new["packages"]["node_modules/send/node_modules/ms"]["version"],
        "2.1.3"
    );
    assert_eq!(
        new["packages"]["node_modules/express/node_modules/ms"]["version"],
        "2.0.0"
    );
    // The rest of the file is byte-identical: re-serialising finds nothing else to change.
    assert_eq!(Style::detect(&edit.new_text).write(&new), edit.new_text);
}

#[test]
fn v2_refuses_when_the_new_version_needs_what_the_tree_lacks() {
    // express 4.18.3 needs body-parser "1.20.2"; from node_modules/express that resolves to
    // its own nested body-parser 1.20.1 first.
    let old = lock(JSON_SERVER);
    let refusal = plan_edit(&old, "express", "4.18.2", &manifest("express", "4.18.3")).unwrap_err();
    match &refusal {
        EditRefusal::Unsatisfied {
            location,
            dependency,
            range,
            found,
        } => {
            assert_eq!(location, "node_modules/express");
            assert_eq!(dependency, "body-parser");
            assert_eq!(range, "1.20.2");
            assert_eq!(
                found.as_ref().map(|(at, v)| (at.as_str(), v.as_str())),
                Some(("node_modules/express/node_modules/body-parser", "1.20.1"))
            );
        }
        other => panic!("{other:?}"),
    }
    // @babel/core 7.23.0 needs @babel/generator ^7.23.0; the tree has 7.22.x.
    let refusal = plan_edit(
        &old,
        "@babel/core",
        "7.22.20",
        &manifest("@babel/core", "7.23.0"),
    )
    .unwrap_err();
    assert!(
        matches!(refusal, EditRefusal::Unsatisfied { .. }),
        "{refusal}"
    );
}

// --- v3: husky ----------------------------------------------------------------------------------

#[test]
fn v3_edits_the_package_entry_only() {
    let old = lock(HUSKY);
    assert!(matches!(
        plan_edit(&old, "ms", "2.1.2", &manifest("ms", "2.1.3")),
        Err(EditRefusal::RangeRejects { .. })
    ));
    let relaxed = replace_after(
        &old,
        "\"node_modules/debug\": {",
        "\"ms\": \"2.1.2\"",
        "\"ms\": \"^2.1.1\"",
    );
    let edit = plan_edit(&relaxed, "ms", "2.1.2", &manifest("ms", "2.1.3")).unwrap();
    assert_eq!(
        edit.changed,
        vec![placed(change("ms", "2.1.2", "2.1.3"), "node_modules/ms")]
    );
    assert_eq!(
        changed_entries(&relaxed, &edit.new_text).unwrap(),
        edit.changed
    );
    assert_eq!(differing_lines(&relaxed, &edit.new_text).len(), 3);
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    let entry = new["packages"]["node_modules/ms"].as_object().unwrap();
    let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    assert_eq!(keys, ["version", "resolved", "integrity", "dev"]);
    // husky's lockfile (npm 7-9) records no `license` on dependencies, so none is added.
    assert!(!entry.contains_key("license"));
}

#[test]
fn keeps_the_files_own_indent_and_line_endings() {
    let old = lock(HUSKY);
    let relaxed = replace_after(
        &old,
        "\"node_modules/debug\": {",
        "\"ms\": \"2.1.2\"",
        "\"ms\": \"^2.1.1\"",
    );
    let value: Value = serde_json::from_str(&relaxed).unwrap();
    let four = Style {
        indent: "    ".into(),
        crlf: true,
        final_newline: true,
    }
    .write(&value);
    let edit = plan_edit(&four, "ms", "2.1.2", &manifest("ms", "2.1.3")).unwrap();
    assert!(
        edit.new_text.contains(
            "\r\n        \"node_modules/ms\": {\r\n            \"version\": \"2.1.3\",\r\n"
        )
    );
    assert_eq!(differing_lines(&four, &edit.new_text).len(), 3);

    // A file npm did not write (here: compact JSON) is refused, not reformatted.
    let compact = serde_json::to_string(&value).unwrap();
    assert!(matches!(
        plan_edit(&compact, "ms", "2.1.2", &manifest("ms", "2.1.3")),
        Err(EditRefusal::NotNpmFormat(_))
    ));
}

// --- graph changes on small lockfiles -----------------------------------------------------------

fn small_v3(entries: &str) -> String {
    let text = format!(
        r#"{{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": {{{entries}}}}}"#
    );
    let value: Value = serde_json::from_str(&text).unwrap();
    serde_json::to_string_pretty(&value).unwrap() + "\n"
}

#[test]
fn new_dependency_missing_from_the_tree_is_refused() {
    // axios 0.21.1 → 1.6.0 adds form-data and proxy-from-env.
    let text = small_v3(
        r#""": {"name": "app", "version": "1.0.0", "dependencies": {"axios": "^0.21.1 || ^1.0.0"}},
           "node_modules/axios": {"version": "0.21.1", "resolved": "https://registry.npmjs.org/axios/-/axios-0.21.1.tgz", "integrity": "sha512-x", "dependencies": {"follow-redirects": "^1.10.0"}},
           "node_modules/follow-redirects": {"version": "1.15.6", "resolved": "https://registry.npmjs.org/follow-redirects/-/follow-redirects-1.15.6.tgz", "integrity": "sha512-y"}"#,
    );
    let to = manifest("axios", "1.6.0");
    match plan_edit(&text, "axios", "0.21.1", &to).unwrap_err() {
        EditRefusal::Unsatisfied {
            dependency,
            found: None,
            ..
        } => {
            assert!(["form-data", "proxy-from-env"].contains(&dependency.as_str()));
        }
        other => panic!("{other:?}"),
    }
    // A patch with the same dependency: edited in place, the entry rebuilt in npm's order.
    let edit = plan_edit(&text, "axios", "0.21.1", &manifest("axios", "0.21.4")).unwrap();
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    let entry = new["packages"]["node_modules/axios"].as_object().unwrap();
    assert_eq!(entry["version"], "0.21.4");
    assert_eq!(entry["dependencies"]["follow-redirects"], "^1.14.0");
    assert_eq!(
        changed_entries(&text, &edit.new_text).unwrap(),
        vec![placed(
            change("axios", "0.21.1", "0.21.4"),
            "node_modules/axios"
        )]
    );
}

#[test]
fn new_edge_to_a_dev_only_package_is_a_graph_change() {
    // app depends on lib (prod) and on tool (dev); lib's new version depends on tool, so npm
    // would unflag tool's `dev`: not a nano update.
    let text = small_v3(
        r#""": {"name": "app", "version": "1.0.0", "dependencies": {"lib": "^1.0.0"}, "devDependencies": {"tool": "^2.0.0"}},
           "node_modules/lib": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/lib/-/lib-1.0.0.tgz", "integrity": "sha512-a"},
           "node_modules/tool": {"version": "2.0.0", "resolved": "https://registry.npmjs.org/tool/-/tool-2.0.0.tgz", "integrity": "sha512-b", "dev": true}"#,
    );
    let to = VersionManifest {
        name: "lib".into(),
        version: "1.0.1".into(),
        dependencies: vec![("tool".into(), "^2.0.0".into())],
        tarball: Some("https://registry.npmjs.org/lib/-/lib-1.0.1.tgz".into()),
        integrity: Some("sha512-c".into()),
        ..VersionManifest::default()
    };
    match plan_edit(&text, "lib", "1.0.0", &to).unwrap_err() {
        EditRefusal::GraphChange { location, reason } => {
            assert_eq!(location, "node_modules/tool");
            assert!(reason.contains("prod instead of dev"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Dropping lib's only dependency leaves it unreachable: npm prunes it, and so does the edit.
    let text = small_v3(
        r#""": {"name": "app", "version": "1.0.0", "dependencies": {"lib": "^1.0.0"}},
           "node_modules/lib": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/lib/-/lib-1.0.0.tgz", "integrity": "sha512-a", "dependencies": {"tool": "^2.0.0"}},
           "node_modules/tool": {"version": "2.0.0", "resolved": "https://registry.npmjs.org/tool/-/tool-2.0.0.tgz", "integrity": "sha512-b"}"#,
    );
    let to = VersionManifest {
        dependencies: Vec::new(),
        ..to
    };
    let edit = plan_edit(&text, "lib", "1.0.0", &to).unwrap();
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    assert!(new["packages"].get("node_modules/tool").is_none());
    assert_eq!(
        edit.changed,
        vec![
            placed(change("lib", "1.0.0", "1.0.1"), "node_modules/lib"),
            EntryChange {
                name: "tool".into(),
                from: Some("2.0.0".into()),
                to: None,
                path: Some("node_modules/tool".into()),
            },
        ]
    );
}

fn added(name: &str, version: &str, path: &str) -> EntryChange {
    EntryChange {
        name: name.into(),
        from: None,
        to: Some(version.into()),
        path: Some(path.into()),
    }
}

#[test]
fn a_new_dependency_is_added_where_npm_places_it() {
    // lib 1.1.0 needs `fresh` (not in the tree) and `shared` ^2 (the root holds shared 1.0.0,
    // which other still needs): fresh is hoisted to the root, shared 2 nested under lib; fresh's
    // own new dependency follows it. The added entries get the dev flag of their only dependent.
    let text = small_v3(
        r#""": {"name": "app", "version": "1.0.0", "dependencies": {"other": "^1.0.0"}, "devDependencies": {"lib": "^1.0.0"}},
           "node_modules/lib": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/lib/-/lib-1.0.0.tgz", "integrity": "sha512-a", "dev": true},
           "node_modules/other": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/other/-/other-1.0.0.tgz", "integrity": "sha512-b", "dependencies": {"shared": "^1.0.0"}},
           "node_modules/shared": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/shared/-/shared-1.0.0.tgz", "integrity": "sha512-c"}"#,
    );
    let lib = release("lib", "1.1.0", &[("fresh", "^3.0.0"), ("shared", "^2.0.0")]);
    let fresh = release("fresh", "3.2.0", &[("leaf", "~1.0.0")]);
    let leaf = release("leaf", "1.0.4", &[]);
    let shared = release("shared", "2.0.1", &[]);
    let moves = [Move {
        name: "lib",
        from: "1.0.0",
        to: &lib,
    }];
    // Without the new releases: every missing or rejected dependency is listed.
    let unmet = |added: &[&VersionManifest]| match try_group_edit(&text, &moves, added).unwrap() {
        GroupEdit::Unmet(needs) => needs,
        GroupEdit::Made(edit) => panic!("made: {edit:?}"),
    };
    let needs = unmet(&[]);
    let named: Vec<(&str, Option<&str>)> = needs
        .iter()
        .map(|n| (n.name.as_str(), n.found.as_ref().map(|(_, v)| v.as_str())))
        .collect();
    assert_eq!(named, vec![("fresh", None), ("shared", Some("1.0.0"))]);
    assert!(matches!(
        plan_group_edit(&text, &moves, &[]),
        Err(EditRefusal::Unsatisfied { .. })
    ));
    // With fresh only, its own dependency is what is missing next.
    let needs = unmet(&[&fresh, &shared]);
    assert_eq!(needs.len(), 1);
    assert_eq!(
        (needs[0].dependent.as_str(), needs[0].name.as_str()),
        ("node_modules/fresh", "leaf")
    );

    let edit = plan_group_edit(&text, &moves, &[&fresh, &shared, &leaf]).unwrap();
    assert_eq!(
        edit.changed,
        vec![
            added("fresh", "3.2.0", "node_modules/fresh"),
            added("leaf", "1.0.4", "node_modules/leaf"),
            placed(change("lib", "1.0.0", "1.1.0"), "node_modules/lib"),
            added("shared", "2.0.1", "node_modules/lib/node_modules/shared"),
        ]
    );
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    let keys: Vec<&String> = new["packages"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "",
            "node_modules/fresh",
            "node_modules/leaf",
            "node_modules/lib",
            "node_modules/lib/node_modules/shared",
            "node_modules/other",
            "node_modules/shared"
        ],
        "inserted in npm's order"
    );
    let fresh_entry = &new["packages"]["node_modules/fresh"];
    assert_eq!(fresh_entry["dev"], true);
    assert_eq!(
        fresh_entry["resolved"],
        "https://registry.npmjs.org/fresh/-/fresh-3.2.0.tgz"
    );
    assert_eq!(fresh_entry["dependencies"]["leaf"], "~1.0.0");
    assert_eq!(new["packages"]["node_modules/shared"]["version"], "1.0.0");
    // Written as npm writes: the text round-trips through npm's sort.
    assert_eq!(
        Style::detect(&edit.new_text).write(&nice_sorted(new)),
        edit.new_text
    );
}

#[test]
fn a_nested_copy_is_replaced_in_place_when_only_its_subtree_uses_it() {
    // lib 2 needs helper ^2; lib's own nested helper 1.0.0 is what it resolves to, and the root
    // helper 1.5.0 stays for `other`: the nested copy moves to 2.0.0, the root one stays.
    let text = small_v3(
        r#""": {"name": "app", "version": "1.0.0", "dependencies": {"lib": "^2.0.0", "other": "^1.0.0"}},
           "node_modules/helper": {"version": "1.5.0", "resolved": "https://registry.npmjs.org/helper/-/helper-1.5.0.tgz", "integrity": "sha512-h"},
           "node_modules/lib": {"version": "2.0.0", "resolved": "https://registry.npmjs.org/lib/-/lib-2.0.0.tgz", "integrity": "sha512-a", "dependencies": {"helper": "~1.0.0"}},
           "node_modules/lib/node_modules/helper": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/helper/-/helper-1.0.0.tgz", "integrity": "sha512-n"},
           "node_modules/other": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/other/-/other-1.0.0.tgz", "integrity": "sha512-b", "dependencies": {"helper": "^1.0.0"}}"#,
    );
    let lib = release("lib", "2.1.0", &[("helper", "^2.0.0")]);
    let helper = release("helper", "2.0.0", &[]);
    let moves = [Move {
        name: "lib",
        from: "2.0.0",
        to: &lib,
    }];
    let edit = plan_group_edit(&text, &moves, &[&helper]).unwrap();
    assert_eq!(
        edit.changed,
        vec![
            placed(
                change("helper", "1.0.0", "2.0.0"),
                "node_modules/lib/node_modules/helper"
            ),
            placed(change("lib", "2.0.0", "2.1.0"), "node_modules/lib"),
        ]
    );
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    assert_eq!(new["packages"]["node_modules/helper"]["version"], "1.5.0");
}

#[test]
fn a_placement_that_would_break_another_package_is_not_made() {
    // A new `dep` 2.0.0 for lib: the root slot is free, but `deep` (under other) asks for
    // dep ^1 and finds none today (it is optional there): hoisting dep 2 would hand it a
    // version it rejects, so dep goes under lib.
    let text = small_v3(
        r#""": {"name": "app", "version": "1.0.0", "dependencies": {"lib": "^1.0.0", "other": "^1.0.0"}},
           "node_modules/lib": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/lib/-/lib-1.0.0.tgz", "integrity": "sha512-a"},
           "node_modules/other": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/other/-/other-1.0.0.tgz", "integrity": "sha512-b", "optionalDependencies": {"dep": "^1.0.0"}}"#,
    );
    let lib = release("lib", "1.1.0", &[("dep", "^2.0.0")]);
    let dep = release("dep", "2.0.0", &[]);
    let moves = [Move {
        name: "lib",
        from: "1.0.0",
        to: &lib,
    }];
    let edit = plan_group_edit(&text, &moves, &[&dep]).unwrap();
    assert!(
        edit.changed
            .contains(&added("dep", "2.0.0", "node_modules/lib/node_modules/dep")),
        "{:?}",
        edit.changed
    );
}

#[test]
fn lockfile_v1_gets_a_new_entry_in_its_own_shape() {
    // The real coreui lockfile (v1, npm 6): a new dependency of a moved package is inserted in
    // the nested `dependencies` with npm 6's key order and flags, in code-unit order.
    let text = lock(COREUI);
    // ms 2.1.2 is a dev entry at the top level: its new dependency is dev too.
    let ms = release("ms", "2.1.3", &[("zz-new-dep", "^1.0.0")]);
    let new_dep = release("zz-new-dep", "1.0.0", &[]);
    let moves = [Move {
        name: "ms",
        from: "2.1.2",
        to: &ms,
    }];
    let edit = plan_group_edit(&text, &moves, &[&new_dep]).unwrap();
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    let entry = new["dependencies"]["zz-new-dep"].as_object().unwrap();
    let keys: Vec<&String> = entry.keys().collect();
    assert_eq!(keys, ["version", "resolved", "integrity", "dev"]);
    let new_keys: Vec<&String> = new["dependencies"].as_object().unwrap().keys().collect();
    let at = new_keys.iter().position(|k| *k == "zz-new-dep").unwrap();
    assert!(
        new_keys[at - 1].as_str() < "zz-new-dep",
        "inserted in order"
    );
    assert!(at + 1 == new_keys.len() || new_keys[at + 1].as_str() > "zz-new-dep");
    assert!(
        edit.changed
            .contains(&added("zz-new-dep", "1.0.0", "node_modules/zz-new-dep"))
    );
    assert_eq!(edit.changed.len(), 2, "{:?}", edit.changed);
}

#[test]
fn new_manifest_fields_go_where_npm_puts_them() {
    let text = small_v3(
        r#""": {"name": "app", "version": "1.0.0", "dependencies": {"lib": "^1.0.0"}},
           "node_modules/lib": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/lib/-/lib-1.0.0.tgz", "integrity": "sha512-a", "license": "MIT", "engines": {"node": ">=8"}}"#,
    );
    let to = VersionManifest {
        name: "lib".into(),
        version: "1.1.0".into(),
        bin: Some(Value::String("./bin/cli.js".into())),
        engines: Some(serde_json::json!({"node": ">=12"})),
        funding: Some(serde_json::json!({"url": "https://x", "type": "github"})),
        license: Some(serde_json::json!({"type": "ISC", "url": "https://y"})),
        has_install_script: true,
        shasum: Some("5608aeadfc00be6c2901df5f9861788de0d597c8".into()),
        tarball: Some("https://registry.npmjs.org/lib/-/lib-1.1.0.tgz".into()),
        ..VersionManifest::default()
    };
    let edit = plan_edit(&text, "lib", "1.0.0", &to).unwrap();
    let start = edit.new_text.find("\"node_modules/lib\"").unwrap();
    let entry = &edit.new_text[start..];
    let entry = &entry[..entry.find("\n    }").unwrap() + 6];
    assert_eq!(
        entry,
        r#""node_modules/lib": {
      "version": "1.1.0",
      "resolved": "https://registry.npmjs.org/lib/-/lib-1.1.0.tgz",
      "integrity": "sha1-VgiurfwAvmwpAd9fmGF4jeDVl8g=",
      "hasInstallScript": true,
      "license": "ISC",
      "bin": {
        "lib": "bin/cli.js"
      },
      "engines": {
        "node": ">=12"
      },
      "funding": {
        "type": "github",
        "url": "https://x"
      }
    }"#
    );
    // A `funding` URL string is recorded as npm records it: `{"url": ...}` (vite 4.5.2's).
    let to = VersionManifest {
        funding: Some(Value::String(
            "https://github.com/vitejs/vite?sponsor=1".into(),
        )),
        ..to
    };
    let edit = plan_edit(&text, "lib", "1.0.0", &to).unwrap();
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    assert_eq!(
        new["packages"]["node_modules/lib"]["funding"],
        serde_json::json!({"url": "https://github.com/vitejs/vite?sponsor=1"})
    );
}

// --- bad input ----------------------------------------------------------------------------------

#[test]
fn garbage_is_an_error_never_a_panic() {
    let ms = manifest("ms", "2.1.3");
    let real = lock(HUSKY);
    let mut inputs: Vec<String> = vec![
        String::new(),
        "not json".into(),
        "[]\n".into(),
        "{}\n".into(),
        "{\n  \"packages\": 5\n}\n".into(),
        "{\n  \"lockfileVersion\": \"x\"\n}\n".into(),
        "{\n  \"dependencies\": {\n    \"ms\": 1\n  }\n}\n".into(),
        "{\n  \"packages\": {\n    \"node_modules/ms\": {\n      \"version\": 7\n    }\n  }\n}\n"
            .into(),
    ];
    for cut in [1, 100, real.len() / 3, real.len() - 2] {
        inputs.push(real[..cut].to_string());
    }
    for input in &inputs {
        assert!(plan_edit(input, "ms", "2.1.2", &ms).is_err(), "{input:.60}");
        let _ = changed_entries(input, &real);
        let _ = changed_entries(&real, input);
    }
    assert!(matches!(
        plan_edit(&real, "ms", "9.9.9", &ms),
        Err(EditRefusal::NotFound { .. })
    ));
    assert!(matches!(
        plan_edit(&real, "ms", "2.1.2", &manifest("ms", "2.1.2")),
        Err(EditRefusal::Unsupported { .. })
    ));
    let error = changed_entries("{", &real).unwrap_err();
    assert_eq!(error.file, "package-lock.json");
}

#[test]
fn changed_entries_sees_every_kind_of_change() {
    let old = lock(HUSKY);
    let tampered = replace_after(&old, "\"node_modules/ms\": {", "sha512-", "sha512-X");
    assert_eq!(
        changed_entries(&old, &tampered).unwrap(),
        vec![placed(change("ms", "2.1.2", "2.1.2"), "node_modules/ms")]
    );
    let relabelled = old.replacen("\"lockfileVersion\": 3", "\"lockfileVersion\": 2", 1);
    let changes = changed_entries(&old, &relabelled).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].name, "package-lock.json field `lockfileVersion`");
    assert!(changed_entries(&old, &old).unwrap().is_empty());
}

#[test]
fn v1_requires_is_inserted_in_npm6_order() {
    // A (made-up) ms 2.1.3 that requires debug: coreui's top-level ms entry has no `requires`,
    // so one is added after `dev`, sorted by code unit.
    let old = lock(COREUI);
    let to = VersionManifest {
        dependencies: vec![
            ("debug".into(), "^4.1.0".into()),
            ("base64-js".into(), "^1.0.2".into()),
        ],
        ..manifest("ms", "2.1.3")
    };
    let edit = plan_edit(&old, "ms", "2.1.2", &to).unwrap();
    let new: Value = serde_json::from_str(&edit.new_text).unwrap();
    let entry = new["dependencies"]["ms"].as_object().unwrap();
    let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["version", "resolved", "integrity", "dev", "requires"]
    );
    let requires: Vec<&str> = entry["requires"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(requires, ["base64-js", "debug"]);
    assert_eq!(changed_entries(&old, &edit.new_text).unwrap(), edit.changed);
}

// --- what the npm fallback needs ------------------------------------------------------------

#[test]
fn refusals_that_npm_can_resolve() {
    // A dependency of the new version that the tree does not satisfy: npm can change the tree.
    let old = lock(JSON_SERVER);
    let refusal = plan_edit(&old, "express", "4.18.2", &manifest("express", "4.18.3")).unwrap_err();
    assert!(matches!(refusal, EditRefusal::Unsatisfied { .. }));
    assert!(refusal.npm_can_resolve());
    // A dependent that rejects the new version: npm may nest it, so it is npm's call too.
    let pinned = serde_json::to_string_pretty(&serde_json::json!({
        "name": "demo", "lockfileVersion": 3, "requires": true,
        "packages": {
            "": {"name": "demo", "dependencies": {"a": "^1.0.0"}},
            "node_modules/a": {"version": "1.0.0",
                "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
                "integrity": "sha512-a", "dependencies": {"ms": "2.0.0"}},
            "node_modules/ms": {"version": "2.0.0",
                "resolved": "https://registry.npmjs.org/ms/-/ms-2.0.0.tgz",
                "integrity": "sha512-ms"}
        }
    }))
    .unwrap()
        + "\n";
    let refusal = plan_edit(&pinned, "ms", "2.0.0", &manifest("ms", "2.1.3")).unwrap_err();
    assert!(
        matches!(refusal, EditRefusal::RangeRejects { .. }),
        "{refusal}"
    );
    assert!(refusal.npm_can_resolve());
    // Not installed at all, or unreadable: re-plan, npm would only add it.
    let missing = plan_edit(&old, "ms", "9.9.9", &manifest("ms", "2.1.3")).unwrap_err();
    assert!(matches!(missing, EditRefusal::NotFound { .. }));
    assert!(!missing.npm_can_resolve());
    let unreadable = plan_edit("{", "ms", "2.0.0", &manifest("ms", "2.1.3")).unwrap_err();
    assert!(!unreadable.npm_can_resolve());
}

#[test]
fn installed_lists_every_location_of_a_package() {
    let old = lock(JSON_SERVER);
    assert_eq!(
        installed(&old, "body-parser").unwrap(),
        [
            (
                "node_modules/body-parser".to_string(),
                Some("1.20.2".to_string())
            ),
            (
                "node_modules/express/node_modules/body-parser".to_string(),
                Some("1.20.1".to_string())
            ),
        ]
    );
    assert!(installed(&old, "no-such-package").unwrap().is_empty());
    // v1: the nested `dependencies` are the locations.
    let v1 = lock(COREUI);
    let ms = installed(&v1, "ms").unwrap();
    assert!(
        ms.iter()
            .any(|(l, v)| l == "node_modules/ms" && v.as_deref() == Some("2.1.2")),
        "{ms:?}"
    );
    let error = installed("{\"packages\": [", "ms").unwrap_err();
    assert_eq!(error.file, FILE);
}

#[test]
fn npm_format_options_keep_the_files_version_and_resolved_urls() {
    assert_eq!(
        npm_format_options(&lock(JSON_SERVER)).unwrap(),
        [
            "--lockfile-version=2",
            "--omit-lockfile-registry-resolved=false"
        ]
    );
    assert_eq!(
        npm_format_options(&lock(HUSKY)).unwrap(),
        [
            "--lockfile-version=3",
            "--omit-lockfile-registry-resolved=false"
        ]
    );
    assert_eq!(
        npm_format_options(&lock(COREUI)).unwrap(),
        [
            "--lockfile-version=1",
            "--omit-lockfile-registry-resolved=false"
        ]
    );
    // A lockfile written with omit-lockfile-registry-resolved: keep omitting them.
    let omitted = r#"{"name": "a", "lockfileVersion": 3, "requires": true, "packages": {
        "": {"name": "a", "dependencies": {"ms": "^2.0.0"}},
        "node_modules/ms": {"version": "2.0.0", "integrity": "sha512-x"}}}"#;
    assert_eq!(
        npm_format_options(omitted).unwrap(),
        [
            "--lockfile-version=3",
            "--omit-lockfile-registry-resolved=true"
        ]
    );
    // Nothing from a registry: nothing to say about it.
    assert_eq!(
        npm_format_options(r#"{"lockfileVersion": 3, "packages": {"": {}}}"#).unwrap(),
        ["--lockfile-version=3"]
    );
}

#[test]
fn license_fields_npm_adds_are_dropped_from_a_file_that_records_none() {
    // json-server's lockfile (npm 7-9) records no `license`; npm 11 adds one to every entry it
    // read from the registry, changed or not.
    let old = lock(JSON_SERVER);
    let with_license = replace_after(
        &old,
        "\"node_modules/ws\": {",
        "\"dev\": true,",
        "\"dev\": true,\n      \"license\": \"MIT\",",
    );
    let bumped = with_license.replace(
        "\"node_modules/braces\": {\n      \"version\": \"3.0.2\"",
        "\"node_modules/braces\": {\n      \"version\": \"3.0.3\"",
    );
    let kept = keep_license_style(&old, &bumped).unwrap();
    assert_eq!(
        changed_entries(&old, &kept).unwrap(),
        [placed(
            change("braces", "3.0.2", "3.0.3"),
            "node_modules/braces"
        )]
    );
    assert_eq!(
        kept,
        bumped.replace(
            "\"dev\": true,\n      \"license\": \"MIT\",",
            "\"dev\": true,"
        )
    );
    // The root's license stays; a file that records licenses keeps npm's text as it is.
    let root: Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(root["packages"][""]["license"], "MIT");
    assert_eq!(keep_license_style(&with_license, &bumped).unwrap(), bumped);
    assert_eq!(keep_license_style(&old, &old).unwrap(), old);
}

/// `value` written as npm writes it (2 spaces, final newline).
fn npm_text(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap() + "\n"
}

#[test]
fn splice_takes_what_the_update_changed_and_none_of_npms_normalisation_v3() {
    let old = lock(HUSKY);
    let old_value: Value = serde_json::from_str(&old).unwrap();
    // npm's normalisation: an optional platform package the old npm left out, sorted in.
    let mut baseline = old_value.clone();
    let packages = baseline["packages"].as_object_mut().unwrap();
    packages.insert(
        "node_modules/@esbuild/android-arm".into(),
        serde_json::json!({"version": "0.17.19", "resolved": "https://registry.npmjs.org/@esbuild/android-arm/-/android-arm-0.17.19.tgz", "integrity": "sha512-x", "cpu": ["arm"], "dev": true, "optional": true, "os": ["android"]}),
    );
    sort_keys_nicely(packages);
    // The update: braces and fill-range move, a new nested entry appears.
    let mut updated = baseline.clone();
    let packages = updated["packages"].as_object_mut().unwrap();
    packages["node_modules/braces"]["version"] = "3.0.3".into();
    packages["node_modules/fill-range"]["version"] = "7.1.1".into();
    packages.insert(
        "node_modules/braces/node_modules/x".into(),
        serde_json::json!({"version": "1.0.0", "integrity": "sha512-y", "dev": true}),
    );
    sort_keys_nicely(packages);
    let (baseline, updated) = (npm_text(&baseline), npm_text(&updated));
    let spliced = splice_npm_changes(&old, &baseline, &updated).unwrap();
    let mut changed = changed_entries(&old, &spliced).unwrap();
    changed.sort();
    assert_eq!(
        changed,
        [
            placed(change("braces", "3.0.2", "3.0.3"), "node_modules/braces"),
            placed(
                change("fill-range", "7.0.1", "7.1.1"),
                "node_modules/fill-range"
            ),
            EntryChange {
                name: "x".into(),
                from: None,
                to: Some("1.0.0".into()),
                path: Some("node_modules/braces/node_modules/x".into()),
            },
        ]
    );
    // In npm's key order, like the rest of the file.
    let value: Value = serde_json::from_str(&spliced).unwrap();
    assert_eq!(npm_text(&nice_sorted(value)), spliced);
    // npm's rewrite of the result changes only what it changes in the old file.
    assert_eq!(
        npm_normalises_only(&old, &baseline, &spliced, &updated),
        Ok(())
    );
    // Not when npm rewrites an entry the update changed, or one it did not.
    let other = updated.replace(
        "\"node_modules/braces/node_modules/x\": {\n      \"version\": \"1.0.0\"",
        "\"node_modules/braces/node_modules/x\": {\n      \"version\": \"1.0.1\"",
    );
    assert_ne!(other, updated);
    assert!(
        npm_normalises_only(&old, &baseline, &spliced, &other)
            .unwrap_err()
            .contains("node_modules/braces/node_modules/x")
    );
    let rewritten = updated.replace("\"version\": \"5.0.1\"", "\"version\": \"5.0.2\"");
    assert!(npm_normalises_only(&old, &baseline, &spliced, &rewritten).is_err());
}

#[test]
fn splice_edits_the_legacy_section_of_v2_too() {
    let old = lock(JSON_SERVER);
    let old_value: Value = serde_json::from_str(&old).unwrap();
    // Normalisation: a top-level entry npm adds in both sections.
    let mut baseline = old_value.clone();
    let extra = serde_json::json!({"version": "1.0.0", "resolved": "https://registry.npmjs.org/zzz-extra/-/zzz-extra-1.0.0.tgz", "integrity": "sha512-z", "dev": true});
    baseline["packages"]
        .as_object_mut()
        .unwrap()
        .insert("node_modules/zzz-extra".into(), extra.clone());
    baseline["dependencies"]
        .as_object_mut()
        .unwrap()
        .insert("zzz-extra".into(), extra);
    // The update: body-parser moves and gets a nested qs; express's nested body-parser goes.
    let mut updated = baseline.clone();
    updated["packages"]["node_modules/body-parser"]["version"] = "1.20.3".into();
    updated["dependencies"]["body-parser"]["version"] = "1.20.3".into();
    let qs = serde_json::json!({"version": "6.13.0", "integrity": "sha512-q"});
    let packages = updated["packages"].as_object_mut().unwrap();
    packages.insert(
        "node_modules/body-parser/node_modules/qs".into(),
        qs.clone(),
    );
    packages.shift_remove("node_modules/express/node_modules/body-parser");
    sort_keys_nicely(packages);
    let nested = updated["dependencies"]["body-parser"]["dependencies"]
        .as_object_mut()
        .unwrap();
    nested.insert("qs".into(), qs);
    sort_keys_nicely(nested);
    updated["dependencies"]["express"]["dependencies"]
        .as_object_mut()
        .unwrap()
        .shift_remove("body-parser");
    let (baseline, updated) = (npm_text(&baseline), npm_text(&updated));
    let spliced = splice_npm_changes(&old, &baseline, &updated).unwrap();
    let changed = changed_entries(&old, &spliced).unwrap();
    assert_eq!(
        changed,
        [
            EntryChange {
                name: "body-parser".into(),
                from: Some("1.20.1".into()),
                to: None,
                path: Some("node_modules/express/node_modules/body-parser".into()),
            },
            placed(
                change("body-parser", "1.20.2", "1.20.3"),
                "node_modules/body-parser"
            ),
            EntryChange {
                name: "qs".into(),
                from: None,
                to: Some("6.13.0".into()),
                path: Some("node_modules/body-parser/node_modules/qs".into()),
            },
        ]
    );
    let value: Value = serde_json::from_str(&spliced).unwrap();
    assert!(value["packages"].get("node_modules/zzz-extra").is_none());
    assert!(value["dependencies"].get("zzz-extra").is_none());
    assert_eq!(
        value["dependencies"]["body-parser"]["dependencies"]["qs"]["version"],
        "6.13.0"
    );
    assert_eq!(npm_text(&nice_sorted(value)), spliced);
    assert_eq!(
        npm_normalises_only(&old, &baseline, &spliced, &updated),
        Ok(())
    );
}

#[test]
fn splice_refuses_what_it_does_not_handle() {
    let old = lock(COREUI);
    assert!(splice_npm_changes(&old, &old, &old).is_err(), "v1");
    let husky = lock(HUSKY);
    let renamed = husky.replacen("\"name\": \"husky\"", "\"name\": \"other\"", 1);
    assert!(
        splice_npm_changes(&husky, &husky, &renamed)
            .unwrap_err()
            .contains("top-level")
    );
    assert!(splice_npm_changes(&husky, "{", &husky).is_err());
}

/// `change` at the install location `path` (the blast radius of an npm tree counts places).
fn placed(mut change: EntryChange, path: &str) -> EntryChange {
    change.path = Some(path.to_string());
    change
}
