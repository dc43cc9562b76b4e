//! Fixes that are more than one entry, on real Cargo workspaces, with the real `cargo` resolving
//! against the recorded crates.io index (replay server on 127.0.0.1): a parent bump, a fix that
//! needs a companion, a manifest change that moves a second crate, and a refusal that restores
//! every file. Every commit's lockfile is accepted by Cargo and its trailer counts the measured
//! difference.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::replay::Replay;
use common::repo::{
    assert_trailer_is_the_lock_diff, cargo_lock_entries, git, import_osv, init_repository, nanoup,
    output_text, plan_file, rollback_commit,
};
use serde_json::Value;

/// Copies the fixture workspace `name` into `dir`, with an empty `src/lib.rs` and Cargo's
/// registry replaced by the replay server at `base`.
fn workspace(dir: &Path, name: &str, base: &str) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cargo-groups");
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(fixtures.join(name).join(file), dir.join(file)).unwrap();
    }
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::create_dir_all(dir.join(".cargo")).unwrap();
    std::fs::write(
        dir.join(".cargo/config.toml"),
        format!("[source.crates-io]\nreplace-with = \"replay\"\n\n[source.replay]\nregistry = \"sparse+{base}/crates.io/\"\n"),
    )
    .unwrap();
}

/// The fixture workspace `name` in a new git repository, against a new replay server, with the
/// crates.io advisories imported into a new nanoup home: (server, repository, home). The server
/// answers while it is kept.
fn project(name: &str) -> (Replay, tempfile::TempDir, tempfile::TempDir) {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    workspace(dir.path(), name, &server.base());
    init_repository(dir.path());
    import_osv(nanoup(home.path()), "crates.io");
    (server, dir, home)
}

/// `name from -> to` of each entry that differs, sorted (`-` for absent).
fn moved(old: &str, new: &str) -> Vec<String> {
    let (old, new) = (cargo_lock_entries(old), cargo_lock_entries(new));
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<&String> =
        old.iter().chain(&new).map(|(n, _)| n).collect();
    for name in names {
        let of = |list: &[(String, String)]| -> Vec<String> {
            list.iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .collect()
        };
        let (a, b) = (of(&old), of(&new));
        if a != b {
            let show = |v: &[String]| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    v.join(",")
                }
            };
            out.push(format!("{name} {} -> {}", show(&a), show(&b)));
        }
    }
    out
}

/// Cargo's own verdict on the lockfile of `dir` (resolution against the replayed index).
fn cargo_accepts(dir: &Path, home: &Path) -> bool {
    std::process::Command::new("cargo")
        .args(["update", "--workspace", "--locked"])
        .current_dir(dir)
        .env("CARGO_HOME", home.join("cargo"))
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .unwrap()
        .status
        .success()
}

/// Runs `nanoup apply --all --commit --json` (planning first) in `dir`; the JSON results.
fn apply_all(home: &Path, dir: &Path) -> Value {
    let out = nanoup(home)
        .args(["apply", "--all", "--commit", "--json", "--min-age", "0s"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks every nanoup commit of `dir`: Cargo accepts its lockfile, and its blast-radius
/// trailer equals the entries that differ from its parent's lockfile.
fn every_commit_is_honest(dir: &Path, home: &Path) -> usize {
    let commits = git(dir, &["log", "--format=%H", "--grep", "Nanoup-Update"]);
    let mut count = 0;
    for sha in commits.lines() {
        let message = git(dir, &["log", "-1", "--format=%B", sha]);
        let after = git(dir, &["show", &format!("{sha}:Cargo.lock")]);
        let before = git(dir, &["show", &format!("{sha}^:Cargo.lock")]);
        assert_trailer_is_the_lock_diff(&message, &before, &after, sha);
        // Cargo accepts the lockfile of the commit, with the manifest of the commit.
        let check = tempfile::tempdir().unwrap();
        for file in ["Cargo.toml", "Cargo.lock"] {
            let text = git(dir, &["show", &format!("{sha}:{file}")]);
            std::fs::write(check.path().join(file), text).unwrap();
        }
        std::fs::create_dir_all(check.path().join("src")).unwrap();
        std::fs::write(check.path().join("src/lib.rs"), "").unwrap();
        std::fs::create_dir_all(check.path().join(".cargo")).unwrap();
        std::fs::copy(
            dir.join(".cargo/config.toml"),
            check.path().join(".cargo/config.toml"),
        )
        .unwrap();
        assert!(cargo_accepts(check.path(), home), "{sha}");
        count += 1;
    }
    count
}

#[test]
fn a_fix_blocked_by_a_parents_requirement_moves_the_parent_too() {
    let (_server, dir, home) = project("parent-bump");
    let (_, plan) = plan_file(home.path(), dir.path(), &[]);
    let update = &plan["updates"][0];
    assert_eq!(update["name"], "spin");
    assert_eq!(update["to"], "0.5.2");
    let steps: Vec<(String, String)> = update["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                format!(
                    "{} {} -> {}",
                    s["name"].as_str().unwrap(),
                    s["from"].as_str().unwrap(),
                    s["to"].as_str().unwrap()
                ),
                s["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "lazy_static 1.2.0 -> 1.3.0".to_string(),
                "parent".to_string()
            ),
            ("spin 0.4.10 -> 0.5.2".to_string(), "target".to_string()),
        ]
    );
    assert!(
        update["steps"][0]["why"]
            .as_str()
            .unwrap()
            .contains("requires spin ^0.4.10"),
        "{update}"
    );
    let before = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    let result = apply_all(home.path(), dir.path());
    assert_eq!(result["results"][0]["status"], "applied", "{result}");
    let after = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    assert_eq!(
        moved(&before, &after),
        ["lazy_static 1.2.0 -> 1.3.0", "spin 0.4.10 -> 0.5.2"]
    );
    // The file keeps its format (version = 3): only the two entries' lines differ.
    assert!(after.contains("version = 3\n"));
    let differing = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(differing, 4, "two versions and two checksums:\n{after}");
    assert_eq!(every_commit_is_honest(dir.path(), home.path()), 1);
    // The commit says what moved and why.
    let message = git(dir.path(), &["log", "-1", "--format=%B"]);
    assert!(
        message.contains("Moves 2 lockfile entries:\n- lazy_static 1.2.0 -> 1.3.0 (parent: lazy_static 1.2.0 requires spin ^0.4.10")
            && message.contains("- spin 0.4.10 -> 0.5.2 (target: RUSTSEC-2019-0013)"),
        "{message}"
    );

    // Rolling the group back by its id restores every entry it moved, byte for byte.
    let id = result["results"][0]["id"].as_str().unwrap();
    rollback_commit(nanoup(home.path()), dir.path(), id);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap(),
        before
    );
    assert!(cargo_accepts(dir.path(), home.path()));
}

#[test]
fn a_fix_that_needs_a_companion_names_it_at_its_lowest_accepted_version() {
    let (_server, dir, home) = project("companion");
    let before = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    let result = apply_all(home.path(), dir.path());
    let first = &result["results"][0];
    assert_eq!(first["status"], "applied", "{result}");
    let after = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    assert_eq!(
        moved(&before, &after),
        [
            "lazy_static 1.5.1 -> -",
            "once_cell - -> 1.5.2",
            "thread_local 1.0.1 -> 1.1.4"
        ]
    );
    assert_eq!(first["changed"].as_array().unwrap().len(), 3);
    assert_eq!(every_commit_is_honest(dir.path(), home.path()), 1);
}

#[test]
fn a_manifest_change_moves_the_second_crate_it_needs_and_a_refusal_restores_every_file() {
    let (_server, dir, home) = project("manifest-change");
    let (_, plan) = plan_file(home.path(), dir.path(), &[]);
    let update = &plan["updates"][0];
    assert_eq!(update["manifest_change"], true, "{update}");
    let lock_before = std::fs::read(dir.path().join("Cargo.lock")).unwrap();
    let toml_before = std::fs::read(dir.path().join("Cargo.toml")).unwrap();

    // A plan whose blast radius leaves out the companion: Cargo's resolution differs from it,
    // so both files come back byte for byte and the update is refused.
    let mut wrong = plan.clone();
    let radius = wrong["updates"][0]["blast_radius"].as_array_mut().unwrap();
    radius.retain(|c| c["name"] != "once_cell");
    let wrong_file = home.path().join("wrong.json");
    std::fs::write(&wrong_file, wrong.to_string()).unwrap();
    let out = nanoup(home.path())
        .args(["apply", "--all", "--plan"])
        .arg(&wrong_file)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("differs from the plan") && text.contains("once_cell"),
        "{text}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("Cargo.lock")).unwrap(),
        lock_before
    );
    assert_eq!(
        std::fs::read(dir.path().join("Cargo.toml")).unwrap(),
        toml_before
    );

    // The real plan: the manifest and both entries move together, in one commit.
    let result = apply_all(home.path(), dir.path());
    assert_eq!(result["results"][0]["status"], "applied", "{result}");
    let files: Vec<&str> = result["results"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(files, ["Cargo.lock", "Cargo.toml"]);
    let after = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    assert_eq!(
        moved(&String::from_utf8(lock_before.clone()).unwrap(), &after),
        [
            "lazy_static 1.5.1 -> -",
            "once_cell 1.4.1 -> 1.5.2",
            "thread_local 0.3.6 -> 1.1.4"
        ]
    );
    let toml = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    assert!(toml.contains("thread_local = \"1.1.4\""), "{toml}");
    assert_eq!(every_commit_is_honest(dir.path(), home.path()), 1);

    // Rolled back by id: the lockfile and the manifest come back byte for byte.
    let id = result["results"][0]["id"].as_str().unwrap();
    rollback_commit(nanoup(home.path()), dir.path(), id);
    assert_eq!(
        std::fs::read(dir.path().join("Cargo.lock")).unwrap(),
        lock_before
    );
    assert_eq!(
        std::fs::read(dir.path().join("Cargo.toml")).unwrap(),
        toml_before
    );
}

#[test]
fn an_update_above_the_size_limit_is_shown_and_refused_until_allowed() {
    // The companion fix moves 3 entries (thread_local, once_cell added, lazy_static removed).
    let (_server, dir, home) = project("companion");
    let lock = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    // A limit of 2 in nanoup.toml: planned and shown, refused by apply, nothing changed.
    std::fs::write(dir.path().join("nanoup.toml"), "max-blast-radius = 2\n").unwrap();
    git(dir.path(), &["add", "nanoup.toml"]);
    git(dir.path(), &["commit", "-qm", "limit"]);
    let apply = |extra: &[&str]| {
        let out = nanoup(home.path())
            .args(["apply", "--all", "--commit", "--json", "--min-age", "0s"])
            .args(extra)
            .arg(dir.path())
            .output()
            .unwrap();
        let result: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", output_text(&out)));
        (out.status.code(), result)
    };
    let (code, refused) = apply(&[]);
    assert_eq!(code, Some(1), "{refused}");
    let first = &refused["results"][0];
    assert_eq!(first["status"], "refused", "{refused}");
    let reason = first["reason"].as_str().unwrap();
    assert!(
        reason.contains("blast radius is 3 entries, above max-blast-radius = 2")
            && reason.contains("--allow-large"),
        "{reason}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap(),
        lock
    );
    // --max-blast-radius 0 (no limit) overrides nanoup.toml; --allow-large applies it too.
    let (code, result) = apply(&["--max-blast-radius", "0", "--dry-run"]);
    assert_eq!(code, Some(0), "{result}");
    assert_eq!(result["results"][0]["status"], "planned", "{result}");
    let (code, applied) = apply(&["--allow-large"]);
    assert_eq!(code, Some(0), "{applied}");
    assert_eq!(applied["results"][0]["status"], "applied", "{applied}");
    assert_eq!(every_commit_is_honest(dir.path(), home.path()), 1);
}
