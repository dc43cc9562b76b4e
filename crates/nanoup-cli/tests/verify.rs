//! `nanoup verify` end to end, hermetic: a requirements.txt project in a git repository, drift
//! updates planned from recorded PyPI answers on a local replay server, a test script that
//! fails on one of the new versions; verify names it, lands the rest, touches nothing of the
//! user's, and cleans up after a kill.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::replay::Replay;
use common::repo::nanoup;
use serde_json::Value;

const REQUIREMENTS: &str =
    "# web app\nflask==3.1.0  # the framework\nrequests==2.31.0\nsix==1.16.0\n";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A committed project whose test script fails when `requests` is at a version other than
/// 2.31.0 (the recorded PyPI answers offer drift steps for flask and requests).
fn project(dir: &Path) {
    std::fs::write(dir.join("requirements.txt"), REQUIREMENTS).unwrap();
    std::fs::write(
        dir.join("check.sh"),
        "grep -q '^requests==2.31.0$' requirements.txt || { echo 'test_session fails'; exit 1; }\n",
    )
    .unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["config", "user.email", "t@example.invalid"]);
    git(dir, &["config", "user.name", "t"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "base"]);
}

fn plan(home: &Path, dir: &Path, index: &str) -> (std::path::PathBuf, Value) {
    let file = home.join("plan.json");
    let out = nanoup(home)
        .env("PIP_INDEX_URL", index)
        .args([
            "plan",
            "--drift",
            "--min-age",
            "0s",
            "--format",
            "json",
            "-o",
        ])
        .arg(&file)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    (file, plan)
}

fn worktrees(dir: &Path) -> usize {
    git(dir, &["worktree", "list"]).lines().count()
}

#[test]
fn verify_names_the_culprit_lands_the_rest_and_records_every_run() {
    let server = Replay::start(HashMap::new());
    let index = format!("{}/pypi/simple/", server.base());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path());
    let (plan_path, plan) = plan(home.path(), dir.path(), &index);
    let updates = plan["updates"].as_array().unwrap();
    assert!(updates.len() >= 2, "{plan}");
    let culprit = updates.iter().find(|u| u["name"] == "requests").unwrap();

    let out = nanoup(home.path())
        .env("PIP_INDEX_URL", &index)
        .args([
            "verify",
            "--all",
            "--json",
            "--land",
            "--test",
            "sh check.sh",
            "--plan",
        ])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let first = format!("verify: run 1: {} update(s)", updates.len());
    assert!(stderr.contains(&first), "progress: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "nanoup.verify/v1");
    for u in report["updates"].as_array().unwrap() {
        let expected = if u["name"] == "requests" {
            "culprit"
        } else {
            "green"
        };
        assert_eq!(u["verdict"], expected, "{u}");
    }
    let runs = report["runs"].as_u64().unwrap() as usize;
    assert_eq!(report["run_log"].as_array().unwrap().len(), runs);
    // n = 2, k = 1: all, the first half (green), the culprit twice alone; the rest is the
    // green half already seen.
    assert_eq!(runs, 4, "{report}");

    // The user's work tree is untouched, no worktree is left.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        REQUIREMENTS
    );
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");
    assert_eq!(worktrees(dir.path()), 1);

    // The green updates landed on a new branch, one commit per update, in plan order.
    let branch = report["landed"]["branch"].as_str().unwrap();
    assert!(branch.starts_with("nanoup/verified-"), "{branch}");
    let log = git(
        dir.path(),
        &["log", "--format=%s", &format!("main..{branch}")],
    );
    let subjects: Vec<&str> = log.lines().collect();
    assert_eq!(subjects.len(), updates.len() - 1, "{log}");
    assert!(
        subjects
            .iter()
            .all(|s| s.starts_with("chore(deps): nano update "))
    );
    assert!(!log.contains("requests"));
    let landed = git(dir.path(), &["show", &format!("{branch}:requirements.txt")]);
    assert!(
        landed.contains("requests==2.31.0") && !landed.contains("flask==3.1.0"),
        "{landed}"
    );
    assert!(
        landed.contains("# the framework"),
        "comments kept: {landed}"
    );
    // Each landed commit changes one line: revertible alone.
    for sha in git(dir.path(), &["rev-list", &format!("main..{branch}")]).lines() {
        let stat = git(dir.path(), &["show", "--numstat", "--format=", sha]);
        assert_eq!(stat.trim(), "1\t1\trequirements.txt", "{sha}");
    }

    // Every run and verdict is in the ledger.
    let ledger = nanoup_ledger::Ledger::open(&home.path().join("nanoup")).unwrap();
    let first_log = report["run_log"][0]["log"].as_str().unwrap();
    assert!(Path::new(first_log).is_file());
    // Logs go to runs/<session>-<stack number>/; the ledger keys runs and verdicts by session.
    let logs = Path::new(first_log)
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let session = logs.rsplit_once('-').unwrap().0;
    let recorded = ledger.verify_runs(session).unwrap();
    assert_eq!(recorded.len(), runs);
    assert_eq!(recorded[0].command, "sh check.sh");
    assert_eq!(recorded[0].updates.len(), updates.len());
    let verdicts = ledger.verify_verdicts(session).unwrap();
    assert_eq!(verdicts.len(), updates.len());
    assert!(
        verdicts
            .iter()
            .any(|v| v.update_id == culprit["id"].as_str().unwrap() && v.verdict == "culprit")
    );

    // `each`: one run per update, plus the culprit's second run.
    let out = nanoup(home.path())
        .env("PIP_INDEX_URL", &index)
        .args([
            "verify",
            "--all",
            "--json",
            "--strategy",
            "each",
            "--test",
            "sh check.sh",
            "--plan",
        ])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    let each: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(each["runs"], updates.len() + 1, "{each}");
}

#[test]
fn a_killed_verify_leaves_the_work_tree_alone_and_the_next_run_cleans_up() {
    let server = Replay::start(HashMap::new());
    let index = format!("{}/pypi/simple/", server.base());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path());
    let (plan_path, _) = plan(home.path(), dir.path(), &index);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("nanoup"))
        .env("NANOUP_HOME", home.path().join("nanoup"))
        .env("HOME", home.path())
        .env("PIP_INDEX_URL", &index)
        .args(["verify", "--all", "--test", "sleep 3", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until a test run is under way in a worktree, then kill -9.
    let started = Instant::now();
    while worktrees(dir.path()) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no worktree appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        REQUIREMENTS
    );
    assert_eq!(git(dir.path(), &["status", "--porcelain"]), "");
    assert!(worktrees(dir.path()) >= 2, "the kill left its worktree");

    let out = nanoup(home.path())
        .env("PIP_INDEX_URL", &index)
        .args(["verify", "--all", "--test", "true", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(worktrees(dir.path()), 1);
}

#[test]
fn a_plan_of_uncommitted_changes_is_refused_with_what_to_do() {
    let server = Replay::start(HashMap::new());
    let index = format!("{}/pypi/simple/", server.base());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path());
    std::fs::write(
        dir.path().join("requirements.txt"),
        REQUIREMENTS.replace("six==1.16.0\n", ""),
    )
    .unwrap();
    let (plan_path, _) = plan(home.path(), dir.path(), &index);
    let out = nanoup(home.path())
        .env("PIP_INDEX_URL", &index)
        .args(["verify", "--all", "--test", "true", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("requirements.txt at HEAD is not the file the plan was made from"),
        "{stderr}"
    );
    assert!(stderr.contains("commit your changes"), "{stderr}");
}

#[test]
fn ctrl_c_stops_the_tests_and_removes_the_worktrees_before_exiting() {
    let server = Replay::start(HashMap::new());
    let index = format!("{}/pypi/simple/", server.base());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path());
    let (plan_path, _) = plan(home.path(), dir.path(), &index);
    let marker = home.path().join("test-finished");
    let child = Command::new(assert_cmd::cargo::cargo_bin("nanoup"))
        .env("NANOUP_HOME", home.path().join("nanoup"))
        .env("HOME", home.path())
        .env("PIP_INDEX_URL", &index)
        .args(["verify", "--all", "--test"])
        .arg(format!("sleep 20; touch {}", marker.display()))
        .arg("--plan")
        .arg(&plan_path)
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while worktrees(dir.path()) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no worktree appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let interrupted = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        interrupted.elapsed() < Duration::from_secs(10),
        "the test run was stopped"
    );
    assert!(
        !marker.exists(),
        "the test command's process group was killed"
    );
    assert_eq!(
        worktrees(dir.path()),
        1,
        "verify removed its worktrees itself"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap(),
        REQUIREMENTS
    );
}
