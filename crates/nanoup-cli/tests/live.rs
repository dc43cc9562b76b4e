//! Live end-to-end checks against the real registries, run by `.ci/run` (`--include-ignored`):
//! `nanoup outdated` on a copy of a real project, compared with what the real `npm` client says.
//! Network errors are retried by nanoup's client; a registry that is down fails these tests
//! with the look-up's reason, never a hang (nanoup's --deadline bounds every run).

mod common;

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

#[test]
#[ignore = "live: resolves against crates.io with the real cargo"]
fn audit_plan_apply_audit_on_a_copy_of_spotify_tui() {
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    for f in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(
            corpus("cargo/Rigellute__spotify-tui__7a5a04c91a").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    let nanoup = || {
        let mut cmd = assert_cmd::Command::cargo_bin("nanoup").unwrap();
        cmd.env("NANOUP_HOME", home.path());
        cmd
    };
    nanoup()
        .args(["db", "import"])
        .arg(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv/crates.io/all.zip"),
        )
        .assert()
        .success();
    let audit = |label: &str| -> Vec<(String, String)> {
        let out = nanoup()
            .args(["audit", "--format", "json"])
            .arg(dir.path())
            .output()
            .unwrap();
        let report: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{label}: {e}"));
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_string(),
                    f["id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let before = audit("before");
    let plan_file = home.path().join("plan.json");
    nanoup()
        .args([
            "plan",
            "--min-age",
            "0s",
            "--deadline",
            "60s",
            "--format",
            "json",
            "-o",
        ])
        .arg(&plan_file)
        .arg(dir.path())
        .assert()
        .success();
    let out = nanoup()
        .args(["apply", "--all", "--json", "--plan"])
        .arg(&plan_file)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut fixed = Vec::new();
    for r in results["results"].as_array().unwrap() {
        match r["status"].as_str().unwrap() {
            "applied" => {
                // The verified blast radius is the one planned entry.
                assert_eq!(r["changed"].as_array().unwrap().len(), 1, "{r}");
                fixed.push(r["name"].as_str().unwrap().to_string());
            }
            "refused" => assert!(!r["reason"].as_str().unwrap().is_empty()),
            other => panic!("unexpected status {other}"),
        }
    }
    // Fixes whose new version has the same dependency list are one-entry nano updates; the rest
    // (new dependencies, conflicts Cargo reports, manifest changes) are refused with the reason.
    for name in ["arc-swap", "futures-task", "smallvec"] {
        assert!(
            fixed.contains(&name.to_string()),
            "{name} should apply: {results}"
        );
    }
    // Cargo accepts the result as it stands.
    // (Run outside `cargo test`'s environment; one retry for a transient registry failure.)
    let tree = || {
        let mut cmd = std::process::Command::new("cargo");
        cmd.args(["tree", "--locked", "--quiet"])
            .current_dir(dir.path());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if (key.starts_with("CARGO_") && key != "CARGO_HOME") || key.starts_with("RUSTC") {
                cmd.env_remove(key);
            }
        }
        cmd.output().unwrap()
    };
    let mut tree_out = tree();
    if !tree_out.status.success() {
        tree_out = tree();
    }
    let tree = tree_out;
    assert!(
        tree.status.success(),
        "cargo tree --locked: {}",
        String::from_utf8_lossy(&tree.stderr)
    );
    // Every advisory of an applied fix is gone.
    let after = audit("after");
    for (name, id) in &before {
        if fixed.contains(name) {
            assert!(
                !after.contains(&(name.clone(), id.clone())),
                "{name} {id} still reported"
            );
        }
    }
    assert!(after.len() < before.len());
}

/// Copies `from` (without `target/`) into `to`, recursively.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if src.is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

#[test]
#[ignore = "live: plans against crates.io and runs the example's tests with the real cargo"]
fn verify_names_the_genuine_culprit_of_the_example_project_and_lands_the_rest() {
    // examples/verify-cargo pins 16 crates; unicode-width 0.1.14 measures an emoji modifier
    // sequence as one glyph, which the project's golden layout test catches (see its README).
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let repo = dir.path().join("coltab");
    copy_tree(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/verify-cargo"),
        &repo,
    );
    let git = |args: &[&str]| common::repo::git(&repo, args);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    let out = assert_cmd::Command::cargo_bin("nanoup")
        .unwrap()
        .env("NANOUP_HOME", home.path())
        .env_remove("CARGO_TARGET_DIR")
        .args([
            "verify",
            "--drift",
            "--all",
            "--land",
            "--json",
            "--timeout",
            "10m",
        ])
        .arg(&repo)
        .timeout(std::time::Duration::from_secs(1500))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let updates = report["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 16, "{report}");
    for u in updates {
        let expected = if u["name"] == "unicode-width" {
            "culprit"
        } else {
            "green"
        };
        assert_eq!(u["verdict"], expected, "{u}\n{stderr}");
    }
    // Far fewer runs than one per update.
    let runs = report["runs"].as_u64().unwrap();
    assert!(runs <= 8, "{runs} runs\n{stderr}");
    // The 15 green updates landed, one commit each; unicode-width stayed where it was.
    let branch = report["landed"]["branch"].as_str().unwrap();
    let subjects = git(&["log", "--format=%s", &format!("main..{branch}")]);
    assert_eq!(subjects.lines().count(), 15, "{subjects}");
    let lock = git(&["show", &format!("{branch}:Cargo.lock")]);
    assert!(lock.contains("name = \"unicode-width\"\nversion = \"0.1.11\""));
    assert!(!lock.contains("name = \"adler\"\nversion = \"1.0.0\""));
    assert_eq!(git(&["status", "--porcelain"]), "");
}
