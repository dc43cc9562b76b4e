//! Verification through real git worktrees and a real test script that reads the lockfile:
//! the grid of n in {1, 8, 32, 64} and k in {0, 1, 2, 4}, an interacting pair with a flaky
//! package, the lock against a second verify, and the clean-up of worktrees a killed run left.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nanoup_verify::compose::{Edit, Files};
use nanoup_verify::runner::TestCommand;
use nanoup_verify::search::{Strategy, Verdict, decision_bound};
use nanoup_verify::session::{Batch, Settings, verify};
use nanoup_verify::worktree::{Workspace, WorkspaceError};

/// Red when a culprit package is at 2.0.0, when both packages of the pair are, or (flaky) on
/// the first run of each lockfile content holding the flaky package at 2.0.0.
const SCRIPT: &str = r#"#!/bin/sh
[ -n "$DELAY" ] && sleep "$DELAY"
f=versions.lock
for c in $CULPRITS; do
  if grep -qx "pkg-$c 2.0.0" "$f"; then echo "culprit pkg-$c"; exit 1; fi
done
if [ -n "$PAIR" ]; then
  set -- $PAIR
  if grep -qx "pkg-$1 2.0.0" "$f" && grep -qx "pkg-$2 2.0.0" "$f"; then echo "pair"; exit 1; fi
fi
if [ -n "$FLAKY" ] && grep -qx "pkg-$FLAKY 2.0.0" "$f"; then
  key=$(cksum < "$f" | cut -d' ' -f1)
  if [ ! -e "$STATE/$key" ]; then touch "$STATE/$key"; echo "flaky"; exit 1; fi
fi
echo ok
"#;

fn git(dir: &Path, args: &[&str]) {
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
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn lockfile(n: usize, moved: &[usize]) -> String {
    (0..n)
        .map(|i| {
            let v = if moved.contains(&i) { "2.0.0" } else { "1.0.0" };
            format!("pkg-{i} {v}\n")
        })
        .collect()
}

/// A repository with `versions.lock` at 1.0.0 for all `n` packages, and one edit per package
/// moving it to 2.0.0.
fn repository(dir: &Path, n: usize) -> Batch {
    std::fs::write(dir.join("versions.lock"), lockfile(n, &[])).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "base"]);
    let base = Files::from([("versions.lock".to_string(), lockfile(n, &[]))]);
    let edits = (0..n)
        .map(|i| {
            let after = Files::from([("versions.lock".to_string(), lockfile(n, &[i]))]);
            Edit::between(&base, &after)
        })
        .collect();
    Batch { base, edits }
}

struct Case {
    n: usize,
    culprits: Vec<usize>,
    pair: Option<(usize, usize)>,
    flaky: Option<usize>,
}

fn settings(case: &Case, script: &Path, state: &Path, strategy: Strategy) -> Settings {
    let words = |v: &[usize]| {
        v.iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    Settings {
        strategy,
        jobs: 1,
        command: TestCommand {
            shell: format!("sh {}", script.display()),
            env: vec![
                ("CULPRITS".into(), words(&case.culprits)),
                (
                    "PAIR".into(),
                    case.pair.map_or(String::new(), |(a, b)| words(&[a, b])),
                ),
                (
                    "FLAKY".into(),
                    case.flaky.map_or(String::new(), |f| f.to_string()),
                ),
                ("STATE".into(), state.display().to_string()),
            ],
            timeout: Duration::from_secs(60),
        },
        stack_dir: ".".into(),
        session: format!("n{}", case.n),
    }
}

fn verify_case(case: &Case, strategy: Strategy) -> nanoup_verify::session::Verification {
    verify_case_with_jobs(case, strategy, 1)
}

fn verify_case_with_jobs(
    case: &Case,
    strategy: Strategy,
    jobs: usize,
) -> nanoup_verify::session::Verification {
    let repo = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    let script = data.path().join("check.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let batch = repository(repo.path(), case.n);
    let before = std::fs::read(repo.path().join("versions.lock")).unwrap();
    let mut workspace = Workspace::open(data.path(), repo.path(), "repo").unwrap();
    let mut settings = settings(case, &script, state.path(), strategy);
    settings.jobs = jobs;
    if jobs > 1 {
        // Runs long enough for side-by-side to show in the wall time.
        settings.command.env.push(("DELAY".into(), "0.3".into()));
    }
    let verification = verify(&mut workspace, &batch, &settings, &mut |_| {}).unwrap();
    drop(workspace);
    // The user's work tree is untouched and no worktree is left.
    assert_eq!(
        std::fs::read(repo.path().join("versions.lock")).unwrap(),
        before
    );
    let listed = Command::new("git")
        .args(["worktree", "list"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), 1);
    // Every run left a log.
    for run in &verification.runs {
        assert!(run.report.log.is_file(), "{}", run.report.log.display());
    }
    verification
}

#[test]
fn the_grid_through_worktrees_and_a_real_script() {
    let mut table = String::from("n   k  split runs (decision)  each runs\n");
    for n in [1usize, 8, 32, 64] {
        for k in [0usize, 1, 2, 4] {
            if k > n {
                continue;
            }
            // Culprits spread over the list, from the end backwards.
            let culprits: Vec<usize> = (0..k).map(|j| (n - 1 - j * (n / 4).max(1)) % n).collect();
            let case = Case {
                n,
                culprits: culprits.clone(),
                pair: None,
                flaky: None,
            };
            let split = verify_case(&case, Strategy::Split);
            let found: BTreeSet<usize> = split
                .outcome
                .verdicts
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != Verdict::Green)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(found, culprits.iter().copied().collect(), "n={n} k={k}");
            assert!(
                split
                    .outcome
                    .verdicts
                    .iter()
                    .all(|v| matches!(v, Verdict::Green | Verdict::Culprit))
            );
            assert!(split.outcome.decision_runs() <= decision_bound(n, k));
            let each = if n <= 8 {
                let each = verify_case(&case, Strategy::Each);
                assert_eq!(each.outcome.verdicts, split.outcome.verdicts);
                each.runs.len().to_string()
            } else {
                "-".into()
            };
            table.push_str(&format!(
                "{n:<3} {k}  {:<3} ({:<3})              {each}\n",
                split.runs.len(),
                split.outcome.decision_runs()
            ));
        }
    }
    println!("{table}");
}

#[test]
fn a_pair_that_fails_only_together_and_a_flaky_package() {
    let case = Case {
        n: 8,
        culprits: vec![5],
        pair: Some((1, 6)),
        flaky: Some(3),
    };
    let v = verify_case(&case, Strategy::Split);
    let verdicts = &v.outcome.verdicts;
    assert_eq!(verdicts[5], Verdict::Culprit);
    assert_eq!(verdicts[1], Verdict::Interaction { with: vec![1, 6] });
    assert_eq!(verdicts[6], Verdict::Interaction { with: vec![1, 6] });
    assert_eq!(verdicts[3], Verdict::Flaky);
    for i in [0, 2, 4, 7] {
        assert_eq!(verdicts[i], Verdict::Green, "{i}");
    }
}

#[test]
fn a_second_verify_of_the_same_repository_is_refused() {
    let repo = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    repository(repo.path(), 2);
    let _first = Workspace::open(data.path(), repo.path(), "repo").unwrap();
    let second = Workspace::open(data.path(), repo.path(), "repo").unwrap_err();
    assert!(matches!(second, WorkspaceError::Busy { .. }), "{second}");
    assert!(second.to_string().contains("another `nanoup verify`"));
}

#[test]
fn worktrees_left_by_a_killed_verify_are_removed_by_the_next() {
    let repo = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    repository(repo.path(), 2);
    let mut workspace = Workspace::open(data.path(), repo.path(), "repo").unwrap();
    let left = workspace.add("killed-0", None).unwrap();
    // A kill: the process dies without running its destructors.
    std::mem::forget(workspace);
    assert!(left.is_dir());
    // The forgotten value still holds the lock file open in this process; a new process would
    // not. Release it the way process exit does.
    let lock = data.path().join("verify/repo/lock");
    std::fs::remove_file(&lock).unwrap();
    let workspace = Workspace::open(data.path(), repo.path(), "repo").unwrap();
    assert!(!left.exists());
    let listed = Command::new("git")
        .args(["worktree", "list"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), 1);
    drop(workspace);
}

#[test]
fn two_jobs_run_side_by_side_and_reach_the_same_verdicts() {
    for strategy in [Strategy::Split, Strategy::Each] {
        let case = Case {
            n: 8,
            culprits: vec![2, 6],
            pair: None,
            flaky: None,
        };
        let one = verify_case(&case, strategy);
        let two = verify_case_with_jobs(&case, strategy, 2);
        assert_eq!(two.outcome.verdicts, one.outcome.verdicts, "{strategy:?}");
        // Two runs at a time: the wall time is well under the sum of the runs' times.
        let sum: f64 = two
            .runs
            .iter()
            .map(|r| r.report.duration.as_secs_f64())
            .sum();
        assert!(
            two.wall.as_secs_f64() < 0.8 * sum,
            "{strategy:?}: wall {:?}, runs {sum:.2} s",
            two.wall
        );
    }
}
