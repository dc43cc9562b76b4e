//! plan -> apply -> audit on a real Cargo project, with the real `cargo` resolving against the
//! recorded crates.io index served by the replay server: the fix lands, only its entry changes,
//! a stale plan is refused, and an edit outside the blast radius is undone byte for byte.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::replay::Replay;
use common::repo::{
    assert_ok, cargo_project, cargo_project_with_checksum, git, import_osv, init_repository,
    nanoup, output_text, plan_file, rollback_commit,
};
use serde_json::Value;

fn lock_versions(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("version = \""))
        .map(str::to_string)
        .collect()
}

#[test]
fn plan_apply_audit_on_a_cargo_project() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    cargo_project(dir.path(), &server.base());
    import_osv(nanoup(home.path()), "crates.io");
    let (plan_path, plan) = plan_file(home.path(), dir.path(), &[]);
    let id = plan["updates"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(plan["updates"][0]["to"], "1.6.1");

    // A blast radius that does not match what the edit does: the file is restored, byte for byte.
    let before = std::fs::read(dir.path().join("Cargo.lock")).unwrap();
    let mut wrong = plan.clone();
    wrong["updates"][0]["blast_radius"][0]["to"] = Value::from("1.6.0");
    let wrong_file = home.path().join("wrong.json");
    std::fs::write(&wrong_file, wrong.to_string()).unwrap();
    let out = nanoup(home.path())
        .args(["apply", "--all", "--plan"])
        .arg(&wrong_file)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("refused") && text.contains("differs from the plan"),
        "{text}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("Cargo.lock")).unwrap(),
        before,
        "restored byte for byte"
    );

    // Dry run changes nothing.
    nanoup(home.path())
        .args(["apply", "--dry-run", "--id", &id, "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .assert()
        .success();
    assert_eq!(
        std::fs::read(dir.path().join("Cargo.lock")).unwrap(),
        before
    );

    // The real apply: cargo update --precise through the replayed index; one entry changes.
    let out = nanoup(home.path())
        .args(["apply", "--json", "--id", &id, "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["results"][0]["status"], "applied");
    assert_eq!(
        result["results"][0]["changed"],
        serde_json::json!([{"name": "smallvec", "from": "1.4.0", "to": "1.6.1"}])
    );
    assert_eq!(
        lock_versions(dir.path()),
        ["version = \"0.1.0\"", "version = \"1.6.1\""]
    );
    let after = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    // Only the smallvec entry differs: Cargo 1.95 rewrote the file as format 4, but nanoup keeps
    // the original text (format 3) and takes Cargo's entry, which now records its checksum.
    let old = String::from_utf8(before).unwrap();
    let checksum = after
        .lines()
        .find(|l| l.starts_with("checksum = "))
        .expect("Cargo records the new entry's checksum");
    assert_eq!(
        after,
        format!(
            "{}{checksum}\n",
            old.replace("version = \"1.4.0\"", "version = \"1.6.1\"")
        )
    );

    // The advisory is gone.
    let audit = nanoup(home.path())
        .args(["audit", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        audit.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
    // Applying the same plan again: the lockfile changed since, so the update is planned
    // again, and smallvec needs none now.
    let again = nanoup(home.path())
        .args(["apply", "--all", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", output_text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("skipped"));
}

#[test]
fn requirements_pin_fix_from_pypi_files() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let requirements = "# web app\nflask==3.1.0  # the framework\nsix==1.16.0\n";
    std::fs::write(dir.path().join("requirements.txt"), requirements).unwrap();
    import_osv(nanoup(home.path()), "PyPI");
    let env_base = format!("{}/pypi/simple/", server.base());
    let run = |args: &[&str], plan: Option<&Path>| {
        let mut cmd = nanoup(home.path());
        cmd.env("PIP_INDEX_URL", &env_base).args(args);
        if let Some(plan) = plan {
            cmd.arg("--plan").arg(plan);
        }
        cmd.arg(dir.path()).output().unwrap()
    };
    let out = run(&["plan", "--min-age", "0s", "--format", "json"], None);
    assert_ok(&out);
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flask = plan["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "flask")
        .unwrap();
    // PYSEC-2026-1377 is fixed in 3.1.1 and PYSEC-2026-2151 in 3.1.3: 3.1.3 clears both.
    assert_eq!(flask["to"], "3.1.3");
    let plan_path = home.path().join("plan.json");
    std::fs::write(&plan_path, serde_json::to_string(&plan).unwrap()).unwrap();
    let out = run(&["apply", "--all"], Some(&plan_path));
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let after = std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
    assert_eq!(
        after,
        requirements.replace("flask==3.1.0", "flask==3.1.3"),
        "only the pin moved"
    );
    let audit = run(&["audit", "--format", "json"], None);
    let report: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["name"] != "flask"),
        "{report}"
    );
}

/// A project with `ms` 2.0.0 in a v3 package-lock, its registry the replay `server`: the
/// lockfile (as a value and as written).
fn npm_ms_project(dir: &Path, server: &Replay) -> (Value, String) {
    let root =
        serde_json::json!({"name": "demo", "version": "1.0.0", "dependencies": {"ms": "^2.0.0"}});
    std::fs::write(
        dir.join("package.json"),
        format!("{}\n", serde_json::to_string_pretty(&root).unwrap()),
    )
    .unwrap();
    let lock = serde_json::json!({
        "name": "demo", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
        "packages": {
            "": {"name": "demo", "version": "1.0.0", "dependencies": {"ms": "^2.0.0"}},
            "node_modules/ms": {
                "version": "2.0.0",
                "resolved": "https://registry.npmjs.org/ms/-/ms-2.0.0.tgz",
                "integrity": "sha512-Tpp60P6IUJDTuOq/5Z8cdskzJujfwqfOTkrwIwj7IRISpnkJnT6SyJ4PCPnGMoFjC9ddhal5KVIYtAt97ix05A=="
            }
        }
    });
    let lock_text = format!("{}\n", serde_json::to_string_pretty(&lock).unwrap());
    std::fs::write(dir.join("package-lock.json"), &lock_text).unwrap();
    std::fs::write(
        dir.join(".npmrc"),
        format!("registry={}/npm/\n", server.base()),
    )
    .unwrap();
    (lock, lock_text)
}

#[test]
fn npm_lock_entry_is_edited_in_place_from_the_packument() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let (lock, _) = npm_ms_project(dir.path(), &server);
    let (plan_path, plan) = plan_file(home.path(), dir.path(), &["--drift", "--direct"]);
    let ms = plan["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "ms")
        .unwrap();
    assert_eq!(
        (ms["from"].as_str(), ms["to"].as_str()),
        (Some("2.0.0"), Some("2.1.3"))
    );
    let out = nanoup(home.path())
        .args(["apply", "--all", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let after: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap(),
    )
    .unwrap();
    let entry = &after["packages"]["node_modules/ms"];
    assert_eq!(entry["version"], "2.1.3");
    assert!(
        entry["resolved"]
            .as_str()
            .unwrap()
            .ends_with("ms-2.1.3.tgz")
    );
    assert_ne!(
        entry["integrity"],
        lock["packages"]["node_modules/ms"]["integrity"]
    );
    assert_eq!(
        after["packages"][""], lock["packages"][""],
        "the root entry is untouched"
    );
}

/// npm has the last word on every edit: an edit npm reports a new problem in is undone.
#[cfg(unix)]
#[test]
fn an_npm_edit_that_npm_ls_rejects_is_restored_and_refused() {
    use std::os::unix::fs::PermissionsExt;
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let (_, lock_text) = npm_ms_project(dir.path(), &server);
    // A stand-in for npm whose `ls` rejects any tree holding ms 2.1.3, as npm words it.
    let tools = tempfile::tempdir().unwrap();
    let npm = tools.path().join("npm");
    std::fs::write(
        &npm,
        "#!/bin/sh\nif [ \"$1\" = ls ] && grep -q 'ms-2.1.3' package-lock.json; then\n  \
         echo 'npm error code ELSPROBLEMS' >&2\n  \
         echo 'npm error invalid: ms@2.1.3 node_modules/ms' >&2\n  exit 1\nfi\nexit 0\n",
    )
    .unwrap();
    std::fs::set_permissions(&npm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (plan_path, _) = plan_file(home.path(), dir.path(), &["--drift", "--direct"]);
    let out = nanoup(home.path())
        .args(["apply", "--all", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .env("NANOUP_NPM", &npm)
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("npm does not accept the edited package-lock.json")
            && text.contains("invalid: ms@2.1.3"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("package-lock.json")).unwrap(),
        lock_text,
        "the lockfile is put back byte for byte"
    );
}

#[test]
fn apply_commit_then_rollback_by_id_gives_back_the_lockfile_byte_for_byte() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    // A real lockfile records each registry package's checksum: take 1.4.0's from the index.
    let lock = cargo_project_with_checksum(dir.path(), &server.base());
    init_repository(dir.path());

    import_osv(nanoup(home.path()), "crates.io");
    let (plan_path, plan) = plan_file(home.path(), dir.path(), &[]);
    let id = plan["updates"][0]["id"].as_str().unwrap().to_string();
    // A dirty work tree is refused with --commit.
    std::fs::write(dir.path().join("src/lib.rs"), "// wip\n").unwrap();
    let out = nanoup(home.path())
        .args(["apply", "--all", "--commit", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("uncommitted changes"));
    git(dir.path(), &["checkout", "--", "src/lib.rs"]);

    nanoup(home.path())
        .args(["apply", "--all", "--commit", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .assert()
        .success();
    let message = git(dir.path(), &["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("chore(deps): nano update smallvec 1.4.0 -> 1.6.1\n"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Nanoup-Update: {id}\n")),
        "{message}"
    );
    assert!(
        message.contains("Nanoup-Package: pkg:cargo/smallvec@1.4.0 -> 1.6.1\n"),
        "{message}"
    );
    assert!(
        message.contains("Nanoup-Reason: RUSTSEC-2021-0003\n")
            && message.contains("Nanoup-Blast-Radius: 1\n")
    );
    assert_eq!(
        git(dir.path(), &["show", "--name-only", "--format="]).trim(),
        "Cargo.lock"
    );

    // A later update of the same package: rolling back the first is refused, naming the later.
    let (drift_path, drift) = plan_file(home.path(), dir.path(), &["--drift", "--direct"]);
    let later = drift["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "smallvec")
        .unwrap();
    let later_id = later["id"].as_str().unwrap().to_string();
    assert_eq!(later["from"], "1.6.1");
    nanoup(home.path())
        .args(["apply", "--commit", "--id", &later_id, "--plan"])
        .arg(&drift_path)
        .arg(dir.path())
        .assert()
        .success();
    let refused = nanoup(home.path())
        .args(["rollback", "--id", &id])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let text = String::from_utf8_lossy(&refused.stdout);
    assert!(
        text.contains(&format!("a later update, {later_id}")),
        "{text}"
    );
    nanoup(home.path())
        .args(["rollback", "--commit", "--id", &later_id])
        .arg(dir.path())
        .assert()
        .success();

    rollback_commit(nanoup(home.path()), dir.path(), &id);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap(),
        lock,
        "byte for byte"
    );
    // Twice is refused, naming the rollback commit.
    let again = nanoup(home.path())
        .args(["rollback", "--id", &id])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stdout).contains("already rolled back"));

    // The ledger saw it all, newest first; a lost ledger is rebuilt from the commit trailers.
    let log = nanoup(home.path())
        .args(["log", "--json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_ok(&log);
    let log: Value = serde_json::from_slice(&log.stdout).unwrap();
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in ["plan", "apply", "commit", "rollback", "refusal"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let fresh = tempfile::tempdir().unwrap();
    let rebuilt = nanoup(fresh.path())
        .args(["log", "--json", "--rebuild"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_ok(&rebuilt);
    let rebuilt: Value = serde_json::from_slice(&rebuilt.stdout).unwrap();
    // Two updates committed and two rollbacks committed.
    assert_eq!(rebuilt["events"].as_array().unwrap().len(), 4, "{rebuilt}");
}

#[test]
fn a_manifest_change_widens_the_requirement_and_keeps_the_manifests_formatting() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    cargo_project(dir.path(), &server.base());
    let manifest = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n# pinned while we audit it\nsmallvec = \"=1.4.0\" # exact\n";
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    init_repository(dir.path());
    import_osv(nanoup(home.path()), "crates.io");
    let (plan_path, plan) = plan_file(home.path(), dir.path(), &[]);
    assert_eq!(plan["updates"][0]["manifest_change"], true);
    let out = nanoup(home.path())
        .args(["apply", "--all", "--commit", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap(),
        manifest.replace("\"=1.4.0\"", "\"1.6.1\""),
        "only the requirement changed; comments kept"
    );
    assert_eq!(
        lock_versions(dir.path()),
        ["version = \"0.1.0\"", "version = \"1.6.1\""]
    );
    let committed = git(dir.path(), &["show", "--name-only", "--format="]);
    let mut files: Vec<&str> = committed.lines().filter(|l| !l.is_empty()).collect();
    files.sort();
    assert_eq!(files, ["Cargo.lock", "Cargo.toml"]);
}

#[test]
fn a_crash_between_write_and_commit_leaves_a_whole_file_and_a_consistent_ledger() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    cargo_project(dir.path(), &server.base());
    init_repository(dir.path());
    let before = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    import_osv(nanoup(home.path()), "crates.io");
    let (plan_path, _) = plan_file(home.path(), dir.path(), &[]);
    let out = nanoup(home.path())
        .env("NANOUP_CRASH_POINT", "after-write")
        .args(["apply", "--all", "--commit", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the process was aborted");
    // The lockfile is whole: the old text or the new one, never a torn mix, and it parses.
    let after = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    let applied = before.replace("version = \"1.4.0\"", "version = \"1.6.1\"");
    assert!(
        after == before
            || after.starts_with(&applied) && after.lines().count() == applied.lines().count() + 1,
        "{after}"
    );
    // Nothing was committed, and the ledger, rebuilt from the repository, agrees: no commit event.
    assert_eq!(git(dir.path(), &["log", "--format=%s"]).trim(), "init");
    let log = nanoup(home.path())
        .args(["log", "--json", "--rebuild"])
        .arg(dir.path())
        .output()
        .unwrap();
    let log: Value = serde_json::from_slice(&log.stdout).unwrap();
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains(&"commit") && !kinds.contains(&"apply"),
        "{kinds:?}"
    );
    // The work tree shows the uncommitted edit; `git checkout` undoes it, or apply can be re-run
    // after a new plan.
    assert!(git(dir.path(), &["status", "--porcelain"]).contains("Cargo.lock"));
}
