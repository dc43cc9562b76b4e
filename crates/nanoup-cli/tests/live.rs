//! Live end-to-end checks against the real registries, run by `.ci/run` (`--include-ignored`):
//! `nanoup outdated` on a copy of a real project, compared with what the real `npm` client says.
//! Network errors are retried by nanoup's client; a registry that is down fails these tests
//! with the look-up's reason, never a hang (nanoup's --deadline bounds every run).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel)
}

/// `nanoup outdated --direct` (no cooldown) on a temporary copy of `files` of a corpus set.
fn outdated_direct(set: &str, files: &[&str]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for f in files {
        std::fs::copy(corpus(set).join(f), dir.path().join(f)).unwrap();
    }
    let out = assert_cmd::Command::cargo_bin("nanoup")
        .unwrap()
        .env("NANOUP_HOME", home.path())
        .args([
            "outdated",
            "--direct",
            "--min-age",
            "0s",
            "--deadline",
            "60s",
            "--format",
            "json",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    report["components"].as_array().unwrap().clone()
}

#[test]
#[ignore = "live: talks to the npm registry"]
fn outdated_agrees_with_npm_on_the_latest_versions_of_huskys_direct_dependencies() {
    let components = outdated_direct(
        "npm/typicode__husky__9baeb13260",
        &["package.json", "package-lock.json"],
    );
    assert_eq!(components.len(), 7, "husky has 7 direct devDependencies");
    for c in &components {
        let name = c["name"].as_str().unwrap();
        assert_ne!(c["status"], "unknown", "{name}: {}", c["reason"]);
        // npm's own answer: the `latest` dist-tag. nanoup's latest is the newest stable release,
        // which is the dist-tag or newer (a package may tag an older line as latest).
        let npm = Command::new("npm")
            .args(["view", &format!("{name}@latest"), "version", "--json"])
            .output()
            .expect("npm is installed");
        assert!(
            npm.status.success(),
            "npm view {name}: {}",
            String::from_utf8_lossy(&npm.stderr)
        );
        let tagged: Value = serde_json::from_slice(&npm.stdout).unwrap();
        let tagged = semver::Version::parse(tagged.as_str().unwrap()).unwrap();
        let ours = semver::Version::parse(
            c["latest"]
                .as_str()
                .unwrap_or(c["version"].as_str().unwrap()),
        )
        .unwrap();
        assert!(
            ours >= tagged,
            "{name}: nanoup says {ours}, npm's latest tag is {tagged}"
        );
    }
}

#[test]
#[ignore = "live: talks to crates.io"]
fn outdated_on_a_real_cargo_lock_reaches_crates_io() {
    let components = outdated_direct(
        "cargo/Rigellute__spotify-tui__7a5a04c91a",
        &["Cargo.toml", "Cargo.lock"],
    );
    assert_eq!(components.len(), 14);
    for c in &components {
        assert_ne!(c["status"], "unknown", "{c}");
    }
    let outdated: Vec<&Value> = components
        .iter()
        .filter(|c| c["status"] == "outdated")
        .collect();
    assert!(
        outdated.len() >= 10,
        "a 2020 lockfile is behind on most direct crates: {outdated:?}"
    );
    assert!(
        outdated
            .iter()
            .all(|c| c["libyears"].as_f64().unwrap() > 0.0)
    );
    // clipboard 0.5.0 (2018) is still its newest release.
    let clipboard = components
        .iter()
        .find(|c| c["name"] == "clipboard")
        .unwrap();
    assert_eq!(clipboard["status"], "current");
}
