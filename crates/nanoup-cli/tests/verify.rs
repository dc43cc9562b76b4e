//! `nanoup verify` end to end, hermetic: a requirements.txt project in a git repository, drift
//! updates planned from recorded PyPI answers on a local replay server, a test script that
//! fails on one of the new versions; verify names it, lands the rest, touches nothing of the
//! user's, and cleans up after a kill.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::replay::Replay;
use common::repo::{git, nanoup};
use serde_json::Value;

const REQUIREMENTS: &str =
    "# web app\nflask==3.1.0  # the framework\nrequests==2.31.0\nsix==1.16.0\n";

/// A committed requirements.txt project whose test script fails when `requests` is at a
/// version other than 2.31.0 (the recorded PyPI answers offer drift steps for flask and
/// requests), its drift plan, and the replay server the plan's registry answers come from.
struct Fixture {
    _server: Replay,
    index: String,
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
    plan_path: PathBuf,
    plan: Value,
}

impl Fixture {
    /// The project, committed; `edit` may change the work tree before the plan is made.
    fn new(edit: impl FnOnce(&Path)) -> Fixture {
        let server = Replay::start(HashMap::new());
        let index = format!("{}/pypi/simple/", server.base());
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("requirements.txt"), REQUIREMENTS).unwrap();
        std::fs::write(
            root.join("check.sh"),
            "grep -q '^requests==2.31.0$' requirements.txt || { echo 'test_session fails'; exit 1; }\n",
        )
        .unwrap();
        git(root, &["init", "-q", "-b", "main"]);
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "base"]);
        edit(root);
        let plan_path = home.path().join("plan.json");
        let out = nanoup(home.path())
            .env("PIP_INDEX_URL", &index)
            .args([
                "plan",
                "--drift",
                "--min-age",
                "0s",
                "--format",
                "json",
                "-o",
            ])
            .arg(&plan_path)
            .arg(root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let plan = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
        Fixture {
            _server: server,
            index,
            dir,
            home,
            plan_path,
            plan,
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `nanoup verify --plan PLAN ARGS... ROOT`, to the end.
    fn verify(&self, args: &[&str]) -> Output {
        nanoup(self.home.path())
            .env("PIP_INDEX_URL", &self.index)
            .arg("verify")
            .args(args)
            .arg("--plan")
            .arg(&self.plan_path)
            .arg(self.root())
            .output()
            .unwrap()
    }

    /// `nanoup verify --all --test TEST`, started, once a test run is under way in a worktree.
    fn verify_under_way(&self, test: &str) -> Child {
        let child = Command::new(assert_cmd::cargo::cargo_bin("nanoup"))
            .env("NANOUP_HOME", self.home.path().join("nanoup"))
            .env("HOME", self.home.path())
            .env("PIP_INDEX_URL", &self.index)
            .args(["verify", "--all", "--test", test, "--plan"])
            .arg(&self.plan_path)
            .arg(self.root())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while self.worktrees() < 2 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "no worktree appeared"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        child
    }

    fn worktrees(&self) -> usize {
        git(self.root(), &["worktree", "list"]).lines().count()
    }

    /// The user's work tree is as committed.
    fn assert_untouched(&self) {
        assert_eq!(
            std::fs::read_to_string(self.root().join("requirements.txt")).unwrap(),
            REQUIREMENTS
        );
        assert_eq!(git(self.root(), &["status", "--porcelain"]), "");
    }
}

#[test]
fn verify_names_the_culprit_lands_the_rest_and_records_every_run() {
    let fx = Fixture::new(|_| {});
    let updates = fx.plan["updates"].as_array().unwrap();
    assert!(updates.len() >= 2, "{}", fx.plan);
    let culprit = updates.iter().find(|u| u["name"] == "requests").unwrap();

    let out = fx.verify(&["--all", "--json", "--land", "--test", "sh check.sh"]);
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
    // n = 2, k = 1, the culprit (a minor step) searched first: all, the culprit alone twice,
    // the rest.
    assert_eq!(runs, 4, "{report}");

    fx.assert_untouched();
    assert_eq!(fx.worktrees(), 1);

    // The green updates landed on a new branch, one commit per update, in plan order.
    let branch = report["landed"]["branch"].as_str().unwrap();
    assert!(branch.starts_with("nanoup/verified-"), "{branch}");
    let log = git(
        fx.root(),
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
    let landed = git(fx.root(), &["show", &format!("{branch}:requirements.txt")]);
    assert!(
        landed.contains("requests==2.31.0") && !landed.contains("flask==3.1.0"),
        "{landed}"
    );
    assert!(
        landed.contains("# the framework"),
        "comments kept: {landed}"
    );
    // Each landed commit changes one line: revertible alone.
    for sha in git(fx.root(), &["rev-list", &format!("main..{branch}")]).lines() {
        let stat = git(fx.root(), &["show", "--numstat", "--format=", sha]);
        assert_eq!(stat.trim(), "1\t1\trequirements.txt", "{sha}");
    }

    // Every run and verdict is in the ledger. Logs go to runs/<session>-<stack number>/; the
    // ledger keys runs and verdicts by session.
    let ledger = nanoup_ledger::Ledger::open(&fx.home.path().join("nanoup")).unwrap();
    let first_log = Path::new(report["run_log"][0]["log"].as_str().unwrap());
    assert!(first_log.is_file());
    let logs = first_log
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
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
    let out = fx.verify(&[
        "--all",
        "--json",
        "--strategy",
        "each",
        "--test",
        "sh check.sh",
    ]);
    let each: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(each["runs"], updates.len() + 1, "{each}");
}

#[test]
fn a_killed_verify_leaves_the_work_tree_alone_and_the_next_run_cleans_up() {
    let fx = Fixture::new(|_| {});
    let mut child = fx.verify_under_way("sleep 3");
    child.kill().unwrap();
    child.wait().unwrap();
    fx.assert_untouched();
    assert!(fx.worktrees() >= 2, "the kill left its worktree");

    let out = fx.verify(&["--all", "--test", "true"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fx.worktrees(), 1);
}

#[test]
fn a_plan_of_uncommitted_changes_is_refused_with_what_to_do() {
    let fx = Fixture::new(|root| {
        let file = root.join("requirements.txt");
        std::fs::write(file, REQUIREMENTS.replace("six==1.16.0\n", "")).unwrap();
    });
    let out = fx.verify(&["--all", "--test", "true"]);
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
    let fx = Fixture::new(|_| {});
    let marker = fx.home.path().join("test-finished");
    let child = fx.verify_under_way(&format!("sleep 20; touch {}", marker.display()));
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
    assert_eq!(fx.worktrees(), 1, "verify removed its worktrees itself");
    fx.assert_untouched();
}
