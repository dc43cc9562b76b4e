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

/// `cmd` without the variables `cargo test` sets for the test (so that a nested cargo behaves
/// as a user's would).
fn plain(mut cmd: std::process::Command) -> std::process::Command {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if (key.starts_with("CARGO_") && key != "CARGO_HOME") || key.starts_with("RUSTC") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs cargo with `args` in `dir` (one retry for a transient registry failure); its output.
fn cargo_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let run = || {
        let mut cmd = std::process::Command::new("cargo");
        cmd.args(args).current_dir(dir);
        plain(cmd).output().unwrap()
    };
    let first = run();
    if first.status.success() { first } else { run() }
}

/// The scalpel against the hammer on a copy of a real, old Cargo workspace (`set` of the
/// corpus, with `stubs` as its source files): `nanoup apply --all --commit` fixes at least what
/// a whole `cargo update` fixes, every commit's lockfile is accepted by Cargo, and every
/// commit's `Nanoup-Blast-Radius` equals the entries that differ from its parent's lockfile.
fn scalpel_against_hammer(set: &str, stubs: &[&str]) -> (usize, usize, usize, usize) {
    let home = tempfile::tempdir().unwrap();
    let copy = |dir: &std::path::Path| {
        copy_tree(&corpus(&format!("cargo/{set}")), dir);
        for stub in stubs {
            let path = dir.join(stub);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(
                &path,
                if stub.ends_with("lib.rs") {
                    ""
                } else {
                    "fn main() {}\n"
                },
            )
            .unwrap();
        }
    };
    let (scalpel, hammer) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    copy(scalpel.path());
    copy(hammer.path());
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(scalpel.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "init"]);
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
    let audit = |dir: &std::path::Path| -> std::collections::BTreeSet<(String, String)> {
        let out = nanoup()
            .args(["audit", "--format", "json"])
            .arg(dir)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
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
    let before = audit(scalpel.path());
    let out = nanoup()
        .args(["apply", "--all", "--commit", "--json", "--min-age", "0s"])
        .arg(scalpel.path())
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every commit: Cargo accepts its lockfile, its trailer counts the measured difference.
    let entries = common::repo::cargo_lock_entries;
    let branch = git(&["rev-parse", "--abbrev-ref", "HEAD"])
        .trim()
        .to_string();
    let commits = git(&["log", "--format=%H", "--grep", "Nanoup-Update"]);
    for sha in commits.lines() {
        git(&["checkout", "-q", sha]);
        let check = cargo_in(scalpel.path(), &["update", "--workspace", "--locked"]);
        assert!(
            check.status.success(),
            "{sha}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let message = git(&["log", "-1", "--format=%B", sha]);
        common::repo::assert_trailer_is_the_lock_diff(
            &message,
            &git(&["show", &format!("{sha}^:Cargo.lock")]),
            &git(&["show", &format!("{sha}:Cargo.lock")]),
            sha,
        );
    }
    git(&["checkout", "-q", &branch]);
    let moved = nanoup_core::EntryChange::diff(
        &entries(&git(&["show", "HEAD~0:Cargo.lock"])),
        &entries(&std::fs::read_to_string(corpus(&format!("cargo/{set}/Cargo.lock"))).unwrap()),
    )
    .len();
    // The final lockfile passes `cargo metadata --locked` (the crates are downloaded).
    let metadata = cargo_in(
        scalpel.path(),
        &["metadata", "--locked", "--format-version", "1"],
    );
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );
    let fixed: usize = before.difference(&audit(scalpel.path())).count();
    // The hammer.
    let update = cargo_in(hammer.path(), &["update"]);
    assert!(
        update.status.success(),
        "{}",
        String::from_utf8_lossy(&update.stderr)
    );
    let hammer_fixed = before.difference(&audit(hammer.path())).count();
    let hammer_moved = nanoup_core::EntryChange::diff(
        &entries(&std::fs::read_to_string(corpus(&format!("cargo/{set}/Cargo.lock"))).unwrap()),
        &entries(&std::fs::read_to_string(hammer.path().join("Cargo.lock")).unwrap()),
    )
    .len();
    assert!(
        fixed >= hammer_fixed,
        "nanoup fixed {fixed}, cargo update {hammer_fixed}"
    );
    eprintln!(
        "{set}: nanoup fixed {fixed} moving {moved} entries; cargo update fixed {hammer_fixed} moving {hammer_moved}"
    );
    (fixed, moved, hammer_fixed, hammer_moved)
}

#[test]
#[ignore = "live: resolves against crates.io with the real cargo"]
fn apply_on_a_copy_of_ripgrep_fixes_what_cargo_update_fixes_with_a_tenth_of_its_changes() {
    let (fixed, moved, hammer_fixed, hammer_moved) = scalpel_against_hammer(
        "BurntSushi__ripgrep__7cb211378a",
        &[
            "src/lib.rs",
            "crates/core/main.rs",
            "tests/tests.rs",
            "build.rs",
            "crates/cli/src/lib.rs",
            "crates/globset/src/lib.rs",
            "crates/grep/src/lib.rs",
            "crates/ignore/src/lib.rs",
            "crates/matcher/src/lib.rs",
            "crates/matcher/tests/tests.rs",
            "crates/pcre2/src/lib.rs",
            "crates/printer/src/lib.rs",
            "crates/regex/src/lib.rs",
            "crates/searcher/src/lib.rs",
        ],
    );
    assert!(fixed >= hammer_fixed && fixed > 0);
    // cargo update moves every entry with a newer compatible release; the fixes move a few.
    assert!(moved * 5 <= hammer_moved, "{moved} vs {hammer_moved}");
}

#[test]
#[ignore = "live: resolves against crates.io with the real cargo"]
fn apply_on_a_copy_of_spotify_tui_fixes_what_cargo_update_fixes_with_under_half_its_changes() {
    let (fixed, moved, hammer_fixed, hammer_moved) = scalpel_against_hammer(
        "Rigellute__spotify-tui__7a5a04c91a",
        &["src/lib.rs", "src/main.rs"],
    );
    // The default limit (50 entries per update) keeps out the fixes that need rspotify's next
    // majors (160 entries and more); cargo update's in-range fixes all fit within it.
    assert!(fixed >= hammer_fixed, "{fixed} vs {hammer_fixed}");
    assert!(moved * 2 <= hammer_moved, "{moved} vs {hammer_moved}");
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
