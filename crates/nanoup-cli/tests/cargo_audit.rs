//! Side by side with cargo-audit: for every Cargo.lock of ../shared/corpus, nanoup reports the
//! same (crate, version, RUSTSEC id) vulnerabilities, and the same warnings per kind, as
//! `cargo audit` reading the same RustSec database snapshot.
//!
//! Needs cargo-audit (`cargo install cargo-audit --locked`; .ci/run installs it). Deliberate
//! differences, if any, are explained in docs/audit.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

type Triples = BTreeSet<(String, String, String)>;

fn triple(package: &Value, id: &Value) -> (String, String, String) {
    (
        package["name"].as_str().unwrap().to_string(),
        package["version"].as_str().unwrap().to_string(),
        id.as_str().unwrap().to_string(),
    )
}

/// cargo-audit's vulnerabilities and warnings (by kind) for one lockfile.
fn cargo_audit(lockfile: &Path) -> (Triples, BTreeSet<(String, String, String, String)>) {
    let out = Command::new("cargo")
        .args(["audit", "--db"])
        .arg(shared("advisory-db/rustsec"))
        .args(["--no-fetch", "--no-yanked", "--json", "-f"])
        .arg(lockfile)
        .output()
        .expect("run cargo");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "cargo audit gave no JSON (is cargo-audit installed? `cargo install cargo-audit --locked`): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let vulnerabilities = json["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| triple(&v["package"], &v["advisory"]["id"]))
        .collect();
    let mut warnings = BTreeSet::new();
    for (kind, list) in json["warnings"].as_object().unwrap() {
        for w in list.as_array().unwrap() {
            let (name, version, id) = triple(&w["package"], &w["advisory"]["id"]);
            warnings.insert((kind.clone(), name, version, id));
        }
    }
    (vulnerabilities, warnings)
}

/// nanoup's vulnerabilities and warnings, with the RustSec snapshot imported in its native form.
fn nanoup(home: &Path, dir: &Path) -> (Triples, BTreeSet<(String, String, String, String)>) {
    let out = assert_cmd::Command::cargo_bin("nanoup")
        .unwrap()
        .env("NANOUP_HOME", home)
        .args(["audit", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = |f: &Value| {
        // cargo-audit names the RUSTSEC id; nanoup shows it too (the database's own id).
        (
            f["name"].as_str().unwrap().to_string(),
            f["version"].as_str().unwrap().to_string(),
            f["id"].as_str().unwrap().to_string(),
        )
    };
    let vulnerabilities = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(ids)
        .collect();
    let warnings = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let (n, v, id) = ids(w);
            (w["kind"].as_str().unwrap().to_string(), n, v, id)
        })
        .collect();
    (vulnerabilities, warnings)
}

#[test]
fn nanoup_agrees_with_cargo_audit_on_every_corpus_cargo_lock() {
    let home = tempfile::tempdir().unwrap();
    assert_cmd::Command::cargo_bin("nanoup")
        .unwrap()
        .env("NANOUP_HOME", home.path())
        .args(["db", "import"])
        .arg(shared("advisory-db/rustsec"))
        .assert()
        .success();
    let mut compared = 0;
    for entry in std::fs::read_dir(shared("corpus/cargo")).unwrap() {
        let dir = entry.unwrap().path();
        let (theirs_v, theirs_w) = cargo_audit(&dir.join("Cargo.lock"));
        let (ours_v, ours_w) = nanoup(home.path(), &dir);
        assert_eq!(
            ours_v,
            theirs_v,
            "vulnerabilities differ for {}",
            dir.display()
        );
        assert_eq!(ours_w, theirs_w, "warnings differ for {}", dir.display());
        assert!(
            !theirs_v.is_empty(),
            "these 2020 lockfiles do have known vulnerabilities"
        );
        compared += 1;
    }
    assert_eq!(compared, 3);
}
