//! `nanoup rollback --cascade`: with A (x 1.0 -> 1.1) and a later B (x 1.1 -> 1.2) committed,
//! rolling back A alone is refused naming B; with --cascade, B is rolled back first, then A, each
//! as its own commit and ledger event, and the lockfile comes back byte for byte. A refusal stops
//! the cascade and says what was done so far. Registries are the local replay server.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::replay::Replay;
use common::repo::{
    cargo_project_with_checksum, git, import_osv, init_repository, nanoup, output_text, plan_file,
    plan_file_with, registry_fixture,
};
use serde_json::Value;

/// The update of `name` in `plan`, as (id, from, to).
fn update_of(plan: &Value, name: &str) -> (String, String, String) {
    let u = plan["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == name)
        .unwrap_or_else(|| panic!("no update of {name} in {plan}"));
    let s = |k: &str| u[k].as_str().unwrap().to_string();
    (s("id"), s("from"), s("to"))
}

/// Applies A (the RUSTSEC-2021-0003 fix, smallvec 1.4.0 -> 1.6.1) then B (drift from 1.6.1),
/// each with --commit; their ids.
fn apply_a_then_b(home: &Path, dir: &Path) -> (String, String) {
    import_osv(nanoup(home), "crates.io");
    let (plan_a, plan) = plan_file(home, dir, &[]);
    let (a, from, to) = update_of(&plan, "smallvec");
    assert_eq!((from.as_str(), to.as_str()), ("1.4.0", "1.6.1"));
    nanoup(home)
        .args(["apply", "--commit", "--id", &a, "--plan"])
        .arg(&plan_a)
        .arg(dir)
        .assert()
        .success();
    let (plan_b, plan) = plan_file(home, dir, &["--drift", "--direct"]);
    let (b, from, to) = update_of(&plan, "smallvec");
    assert_eq!(from, "1.6.1");
    assert_ne!(to, "1.6.1");
    nanoup(home)
        .args(["apply", "--commit", "--id", &b, "--plan"])
        .arg(&plan_b)
        .arg(dir)
        .assert()
        .success();
    (a, b)
}

#[test]
fn cascade_rolls_back_the_later_update_first_and_gives_back_the_lockfile_byte_for_byte() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let original = cargo_project_with_checksum(dir.path(), &server.base());
    init_repository(dir.path());
    let (a, b) = apply_a_then_b(home.path(), dir.path());
    let applied = std::fs::read(dir.path().join("Cargo.lock")).unwrap();

    // Without --cascade: refused, naming B and the way out; nothing changes.
    let out = nanoup(home.path())
        .args(["rollback", "--commit", "--id", &a])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let said = output_text(&out);
    assert!(said.contains(&format!("a later update, {b}")), "{said}");
    assert!(said.contains("--cascade"), "{said}");
    assert_eq!(
        std::fs::read(dir.path().join("Cargo.lock")).unwrap(),
        applied
    );

    // With --cascade: B then A, one commit each.
    let out = nanoup(home.path())
        .args(["rollback", "--cascade", "--commit", "--id", &a])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let (at_b, at_a) = (
        said.find(&format!("rolled back {b}")),
        said.find(&format!("rolled back {a}")),
    );
    assert!(
        matches!((at_b, at_a), (Some(x), Some(y)) if x < y),
        "B first, then A: {said}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap(),
        original,
        "byte for byte"
    );
    let newest = git(dir.path(), &["log", "-2", "--format=%B%x1e"]);
    let messages: Vec<&str> = newest.split('\u{1e}').map(str::trim).collect();
    assert!(
        messages[0].contains(&format!("Nanoup-Rollback: {a}")),
        "{messages:?}"
    );
    assert!(
        messages[1].contains(&format!("Nanoup-Rollback: {b}")),
        "{messages:?}"
    );
    for commit in ["HEAD", "HEAD~1"] {
        assert_eq!(
            git(dir.path(), &["show", "--name-only", "--format=", commit]).trim(),
            "Cargo.lock"
        );
    }

    // The ledger has one rollback per update, B's marked as part of A's cascade.
    let log = nanoup(home.path())
        .args(["log", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(log.status.code(), Some(0), "{}", output_text(&log));
    let log: Value = serde_json::from_slice(&log.stdout).unwrap();
    let rollbacks: Vec<&Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "rollback")
        .collect();
    assert_eq!(rollbacks.len(), 2, "{log}");
    let detail = |e: &Value, key: &str| e["detail"][key].as_str().map(str::to_string);
    // Newest first: A's rollback, then B's.
    assert_eq!(detail(rollbacks[0], "rolls_back"), Some(a.clone()));
    assert_eq!(detail(rollbacks[1], "rolls_back"), Some(b.clone()));
    assert_eq!(detail(rollbacks[1], "cascade_of"), Some(a.clone()));
    assert_eq!(detail(rollbacks[0], "cascade_of"), None);
    assert!(rollbacks.iter().all(|e| e["commit"].is_string()), "{log}");

    // Once more: A was already rolled back; refused before anything is done.
    let again = nanoup(home.path())
        .args(["rollback", "--cascade", "--commit", "--id", &a])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        output_text(&again).contains("already rolled back"),
        "{}",
        output_text(&again)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap(),
        original
    );
}

#[test]
fn a_refusal_stops_the_cascade_and_says_what_was_done() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    cargo_project_with_checksum(dir.path(), &server.base());
    init_repository(dir.path());
    let (a, b) = apply_a_then_b(home.path(), dir.path());
    // By hand, after both: the manifest now requires 1.6, so A's inverse (back to 1.4.0) cannot
    // resolve, while B's (back to 1.6.1) can.
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        manifest.replace("smallvec = \"1.4\"", "smallvec = \"1.6\""),
    )
    .unwrap();
    git(dir.path(), &["commit", "-qam", "require smallvec 1.6"]);

    let out = nanoup(home.path())
        .args(["rollback", "--cascade", "--commit", "--id", &a])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.contains(&format!("rolled back {b}")), "{said}");
    assert!(
        said.contains(&format!("refused  rollback of {a}")),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "cascade stopped at {a}: rolled back so far: {b} (committed)"
        )),
        "{said}"
    );
    // B's rollback stays, committed; A is still applied, and its entry is at 1.6.1.
    assert!(
        git(dir.path(), &["log", "-1", "--format=%B"]).contains(&format!("Nanoup-Rollback: {b}"))
    );
    let lock = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    assert!(lock.contains("version = \"1.6.1\""), "{lock}");
    assert!(
        git(dir.path(), &["status", "--porcelain"])
            .trim()
            .is_empty()
    );
}

/// flask's sha256s of `version` in the recorded simple index, as pip-compile writes them.
fn flask_hashes(version: &str) -> Vec<String> {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(registry_fixture("pypi/simple/flask.json")).unwrap(),
    )
    .unwrap();
    let mut hashes: Vec<String> = index["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let name = f["filename"].as_str().unwrap();
            name == format!("flask-{version}.tar.gz")
                || name == format!("flask-{version}-py3-none-any.whl")
        })
        .map(|f| f["hashes"]["sha256"].as_str().unwrap().to_string())
        .collect();
    hashes.sort();
    hashes
}

#[test]
fn cascade_without_commit_on_a_hashed_requirements_file() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let hashes = flask_hashes("3.0.0");
    assert_eq!(hashes.len(), 2);
    let original = format!(
        "# pinned by pip-compile\nflask==3.0.0 \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}\n    # via -r requirements.in\n",
        hashes[0], hashes[1]
    );
    std::fs::write(dir.path().join("requirements.txt"), &original).unwrap();
    init_repository(dir.path());
    let index = format!("{}/pypi/simple/", server.base());
    let with_index = || {
        let mut cmd = nanoup(home.path());
        cmd.env("PIP_INDEX_URL", &index);
        cmd
    };
    let run = |args: &[&str]| with_index().args(args).arg(dir.path()).output().unwrap();
    // No advisory index: the plans are drift steps, 3.0.0 -> 3.0.3 (the newest patch), then
    // 3.0.3 -> 3.1.3 (the next line).
    let mut ids = Vec::new();
    for (from, to) in [("3.0.0", "3.0.3"), ("3.0.3", "3.1.3")] {
        let (plan_path, plan) = plan_file_with(with_index(), home.path(), dir.path(), &["--drift"]);
        let (id, f, t) = update_of(&plan, "flask");
        assert_eq!((f.as_str(), t.as_str()), (from, to));
        let out = run(&[
            "apply",
            "--commit",
            "--all",
            "--plan",
            plan_path.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
        ids.push(id);
    }
    let now = std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
    for hash in flask_hashes("3.1.3") {
        assert!(now.contains(&hash), "{now}");
    }
    let out = run(&["rollback", "--cascade", "--id", &ids[0]]);
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        original,
        "byte for byte, hashes included"
    );
    // Without --commit the rollbacks are in the work tree only.
    assert_eq!(
        git(dir.path(), &["status", "--porcelain"]).trim(),
        "M requirements.txt"
    );
    assert!(!git(dir.path(), &["log", "--format=%B"]).contains("Nanoup-Rollback"));
}
