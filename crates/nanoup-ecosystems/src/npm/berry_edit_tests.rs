use super::*;
use crate::npm::registry::version_manifest;

/// The yarn 4 lockfile of tests/fixtures/yarn-berry (written by yarn; see its README).
fn lock() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/yarn-berry/yarn.lock"
    ))
    .unwrap()
}

/// The manifest of `name@version` from a recorded packument (tests/fixtures/registry/npm).
fn manifest(name: &str, version: &str) -> VersionManifest {
    let body = std::fs::read(format!(
        "{}/tests/fixtures/registry/npm/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    version_manifest(name, &body, version).unwrap()
}

/// The block whose header is `header` in `text`, up to the blank line that ends it.
fn block<'t>(text: &'t str, header: &str) -> &'t str {
    let start = text.find(&format!("\n{header}\n")).unwrap() + 1;
    let end = text[start..]
        .find("\n\n")
        .map_or(text.len(), |e| start + e + 1);
    &text[start..end]
}

#[test]
fn the_block_is_rewritten_from_the_registry_and_the_checksum_left_to_yarn() {
    let old = lock();
    assert!(is_berry(&old));
    assert_eq!(format_version(&old), Some(8));
    let express = manifest("express", "4.17.3");
    let new = plan_berry_edit("yarn.lock", &old, "express", "4.17.1", &express).unwrap();
    let header = "\"express@npm:^4.17.1\":";
    let edited = block(&new, header);
    assert!(edited.contains("  version: 4.17.3\n"), "{edited}");
    assert!(
        edited.contains("  resolution: \"express@npm:4.17.3\"\n"),
        "{edited}"
    );
    assert!(edited.contains("    \"qs\": \"npm:6.9.7\"\n"), "{edited}");
    assert!(
        edited.contains("    \"body-parser\": \"npm:1.19.2\"\n"),
        "{edited}"
    );
    assert!(!edited.contains("checksum"), "{edited}");
    assert!(
        edited.ends_with("  languageName: node\n  linkType: hard\n"),
        "{edited}"
    );
    // Every dependency of 4.17.3 is listed once, sorted as yarn sorts them.
    let listed: Vec<&str> = edited
        .lines()
        .filter(|l| l.starts_with("    \""))
        .map(|l| l.trim().split('"').nth(1).unwrap())
        .collect();
    let mut wanted: Vec<&str> = express
        .dependencies
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    wanted.sort();
    assert_eq!(listed, wanted);
    // Every other byte is kept.
    let old_block = block(&old, header);
    assert_eq!(new.replace(edited, ""), old.replace(old_block, ""));
    // What moved, as the blocks say (yarn adds and drops the dependencies' blocks).
    assert_eq!(
        changed_entries("yarn.lock", &old, &new).unwrap(),
        [EntryChange {
            name: "express".into(),
            from: Some("4.17.1".into()),
            to: Some("4.17.3".into()),
            path: None,
        }]
    );
}

#[test]
fn a_descriptor_that_rejects_the_new_version_is_refused() {
    // `express@^4.17.1` does not accept 5.0.1: the project's own range needs a change first.
    let old = lock();
    let express = manifest("express", "5.0.1");
    let refused = plan_berry_edit("yarn.lock", &old, "express", "4.17.1", &express).unwrap_err();
    assert!(
        matches!(&refused, YarnRefusal::RangeRejects { spec, to, .. } if spec == "express@^4.17.1" && to == "5.0.1"),
        "{refused:?}"
    );
    let missing = plan_berry_edit("yarn.lock", &old, "express", "4.16.0", &express).unwrap_err();
    assert!(
        matches!(missing, YarnRefusal::NotFound { .. }),
        "{missing:?}"
    );
}

#[test]
fn what_is_not_a_berry_lockfile_is_an_error_not_a_panic() {
    let express = manifest("express", "4.17.3");
    for bad in [
        "__metadata:\n  version: 8\n\nno colon here\n",
        "__metadata:\n  version: 8\n\n  orphan: field\n",
        "",
    ] {
        assert!(plan_berry_edit("yarn.lock", bad, "express", "4.17.1", &express).is_err());
    }
    assert!(!is_berry(
        "# yarn lockfile v1\n\nms@^2.0.0:\n  version \"2.1.2\"\n"
    ));
}
