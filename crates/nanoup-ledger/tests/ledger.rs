//! The ledger against real SQLite files and real git repositories in temporary directories.

use std::path::Path;
use std::process::Command;

use nanoup_core::{Ecosystem, EntryChange, NanoUpdate, UpdateKind};
use nanoup_ledger::{
    Event, EventKind, Filter, LEDGER_FILE, Ledger, LedgerError, normalize_time, repository_key,
};

fn event(kind: EventKind, repo: &str, id: &str, time: &str) -> Event {
    Event {
        time: time.to_string(),
        update_id: Some(id.to_string()),
        name: Some("smallvec".to_string()),
        from: Some("1.4.0".to_string()),
        to: Some("1.6.1".to_string()),
        ..Event::new(kind, repo)
    }
}

/// Runs a statement on the ledger file with the sqlite3 shell, outside nanoup.
fn sqlite(path: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(path)
        .arg(sql)
        .output()
        .expect("sqlite3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn migrations_run_on_a_fresh_dir_and_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("not/yet/there");
    let ledger = Ledger::open(&data).unwrap();
    assert_eq!(ledger.path(), data.join(LEDGER_FILE));
    let seq = ledger
        .record(&event(EventKind::Plan, "/r", "a1", "2026-01-01T00:00:00Z"))
        .unwrap();
    drop(ledger);
    let file = data.join(LEDGER_FILE);
    assert_eq!(
        sqlite(
            &file,
            "SELECT group_concat(version) FROM _sqlx_migrations ORDER BY version"
        ),
        "1,2"
    );
    assert_eq!(sqlite(&file, "PRAGMA journal_mode"), "wal");

    let ledger = Ledger::open(&data).unwrap();
    let all = ledger.list(&Filter::default()).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].seq, seq);
    assert_eq!(all[0].event.time, "2026-01-01T00:00:00.000Z");
    drop(ledger);
    assert_eq!(sqlite(&file, "SELECT count(*) FROM _sqlx_migrations"), "2");
}

#[test]
fn record_list_filter_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    // Recorded out of time order; one with an offset that is earlier in UTC than it looks.
    let a = ledger
        .record(&event(EventKind::Plan, "/r1", "a", "2026-03-01T10:00:00Z"))
        .unwrap();
    let b = ledger
        .record(&event(
            EventKind::Apply,
            "/r1",
            "a",
            "2026-03-01T12:00:00+01:00",
        ))
        .unwrap();
    let c = ledger
        .record(&event(
            EventKind::Apply,
            "/r2",
            "b",
            "2026-02-01T00:00:00.123456Z",
        ))
        .unwrap();
    let d = ledger
        .record(
            &event(EventKind::Refusal, "/r1", "c", "2026-03-01T11:30:00Z")
                .with_detail("reason", "changed serde too"),
        )
        .unwrap();
    // Same time as `d`: the later record comes first.
    let e = ledger
        .record(&event(
            EventKind::Rollback,
            "/r1",
            "a",
            "2026-03-01T11:30:00Z",
        ))
        .unwrap();
    let seqs = |filter: &Filter| -> Vec<i64> {
        ledger
            .list(filter)
            .unwrap()
            .into_iter()
            .map(|s| s.seq)
            .collect()
    };
    assert_eq!(seqs(&Filter::default()), vec![e, d, b, a, c]);
    let events = ledger.list(&Filter::default()).unwrap();
    assert_eq!(events[2].event.time, "2026-03-01T11:00:00.000Z");
    assert_eq!(events[4].event.time, "2026-02-01T00:00:00.123Z");
    assert_eq!(
        events[1].event.detail_value()["reason"],
        serde_json::json!("changed serde too")
    );
    let r1 = Filter {
        repository: Some("/r1".into()),
        ..Filter::default()
    };
    assert_eq!(seqs(&r1), vec![e, d, b, a]);
    assert_eq!(
        seqs(&Filter {
            update_id: Some("a".into()),
            ..r1.clone()
        }),
        vec![e, b, a]
    );
    assert_eq!(
        seqs(&Filter {
            kind: Some(EventKind::Apply),
            ..Filter::default()
        }),
        vec![b, c]
    );
    assert_eq!(
        seqs(&Filter {
            limit: Some(2),
            ..r1.clone()
        }),
        vec![e, d]
    );
    assert_eq!(
        seqs(&Filter {
            repository: Some("/elsewhere".into()),
            ..Filter::default()
        }),
        Vec::<i64>::new()
    );
    // JSON form: the detail is an object, not a string.
    let json = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(json["kind"], "refusal");
    assert_eq!(json["detail"]["reason"], "changed serde too");
    assert_eq!(json["seq"], d);
}

#[test]
fn invalid_events_are_refused_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    let bad_time = event(EventKind::Plan, "/r", "a", "yesterday");
    let err = ledger.record(&bad_time).unwrap_err();
    assert!(
        matches!(err, LedgerError::InvalidEvent { field: "time", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("yesterday"));
    let mut bad_detail = event(EventKind::Plan, "/r", "a", "2026-01-01T00:00:00Z");
    bad_detail.detail = "[1, 2]".into();
    let err = ledger.record(&bad_detail).unwrap_err();
    assert!(
        matches!(
            err,
            LedgerError::InvalidEvent {
                field: "detail",
                ..
            }
        ),
        "{err}"
    );
    bad_detail.detail = "{not json".into();
    assert!(ledger.record(&bad_detail).is_err());
    bad_detail.detail = String::new();
    ledger.record(&bad_detail).unwrap();
    let stored = ledger.list(&Filter::default()).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event.detail, "{}");
    assert!(normalize_time("2026-13-01T00:00:00Z").is_err());
}

#[test]
fn events_from_a_nano_update_carry_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    let update = NanoUpdate {
        id: NanoUpdate::id_for("app", Ecosystem::Cargo, "smallvec", "1.4.0", "1.6.1"),
        stack: "app".into(),
        ecosystem: Ecosystem::Cargo,
        name: "smallvec".into(),
        from: "1.4.0".into(),
        to: "1.6.1".into(),
        kind: UpdateKind::Minor,
        reasons: vec!["RUSTSEC-2021-0003".into()],
        manifest_change: false,
        blast_radius: vec![EntryChange {
            name: "smallvec".into(),
            from: Some("1.4.0".into()),
            to: Some("1.6.1".into()),
            path: None,
        }],
        file: "app/Cargo.lock".into(),
        steps: Vec::new(),
        pins: Vec::new(),
        also: Vec::new(),
    };
    ledger
        .record(&Event::for_update(EventKind::Apply, "/repo", &update))
        .unwrap();
    let stored = &ledger.list(&Filter::default()).unwrap()[0].event;
    assert_eq!(stored.update_id.as_deref(), Some(update.id.as_str()));
    assert_eq!(stored.ecosystem.as_deref(), Some("crates.io"));
    assert_eq!(stored.stack.as_deref(), Some("app"));
    let detail = stored.detail_value();
    assert_eq!(detail["reasons"][0], "RUSTSEC-2021-0003");
    assert_eq!(detail["blast_radius"][0]["to"], "1.6.1");
    assert_eq!(detail["update_kind"], "minor");
    assert!(
        stored.time.ends_with('Z') && stored.time.len() == 24,
        "{}",
        stored.time
    );
}

#[test]
fn applied_update_knows_commits_and_rollbacks() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    assert_eq!(ledger.applied_update("/r", "u1").unwrap(), None);
    ledger
        .record(&event(EventKind::Plan, "/r", "u1", "2026-01-01T00:00:00Z"))
        .unwrap();
    assert_eq!(ledger.applied_update("/r", "u1").unwrap(), None);
    let apply = ledger
        .record(&event(EventKind::Apply, "/r", "u1", "2026-01-01T00:01:00Z"))
        .unwrap();
    let mut commit = event(EventKind::Commit, "/r", "u1", "2026-01-01T00:01:01Z");
    commit.commit = Some("abc123".into());
    ledger.record(&commit).unwrap();
    let found = ledger.applied_update("/r", "u1").unwrap().unwrap();
    assert_eq!(found.applied.seq, apply);
    assert_eq!(found.commit.as_deref(), Some("abc123"));
    assert!(!found.is_rolled_back());
    // Another repository's rollback does not count.
    ledger
        .record(&event(
            EventKind::Rollback,
            "/other",
            "u1",
            "2026-01-02T00:00:00Z",
        ))
        .unwrap();
    assert!(
        !ledger
            .applied_update("/r", "u1")
            .unwrap()
            .unwrap()
            .is_rolled_back()
    );
    let rollback = ledger
        .record(&event(
            EventKind::Rollback,
            "/r",
            "u1",
            "2026-01-02T00:00:00Z",
        ))
        .unwrap();
    let found = ledger.applied_update("/r", "u1").unwrap().unwrap();
    assert_eq!(found.rolled_back.as_ref().map(|r| r.seq), Some(rollback));
    // Applied again after the rollback: live again.
    let again = ledger
        .record(&event(EventKind::Apply, "/r", "u1", "2026-01-03T00:00:00Z"))
        .unwrap();
    let found = ledger.applied_update("/r", "u1").unwrap().unwrap();
    assert_eq!(found.applied.seq, again);
    assert_eq!(found.commit, None);
    assert!(!found.is_rolled_back());
    // Recording the same commit event twice keeps one row and returns its number.
    let first = ledger.record(&commit).unwrap();
    assert_eq!(ledger.record(&commit).unwrap(), first);
}

#[test]
fn two_handles_write_concurrently_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Four openers race on a fresh directory: the migrations run exactly once.
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let data = data.clone();
            std::thread::spawn(move || {
                let ledger = Ledger::open(&data).unwrap();
                for i in 0..50 {
                    let time = format!("2026-01-01T00:{:02}:{:02}Z", t, i);
                    ledger
                        .record(&event(
                            EventKind::Apply,
                            &format!("/r{t}"),
                            &format!("{i}"),
                            &time,
                        ))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // Two handles in one thread, interleaved.
    let one = Ledger::open(&data).unwrap();
    let two = Ledger::open(&data).unwrap();
    for i in 0..10 {
        one.record(&event(
            EventKind::Plan,
            "/x",
            &format!("{i}"),
            "2026-02-01T00:00:00Z",
        ))
        .unwrap();
        two.record(&event(
            EventKind::Plan,
            "/y",
            &format!("{i}"),
            "2026-02-01T00:00:00Z",
        ))
        .unwrap();
        assert_eq!(
            two.list(&Filter::default()).unwrap().len(),
            200 + 2 * (i + 1)
        );
    }
    let all = one.list(&Filter::default()).unwrap();
    assert_eq!(all.len(), 220);
    let mut seqs: Vec<i64> = all.iter().map(|s| s.seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 220);
    drop((one, two));
    let file = data.join(LEDGER_FILE);
    assert_eq!(sqlite(&file, "PRAGMA integrity_check"), "ok");
    assert_eq!(sqlite(&file, "SELECT count(*) FROM _sqlx_migrations"), "2");
}

#[test]
fn works_inside_a_tokio_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let ledger = Ledger::open(dir.path()).unwrap();
        ledger
            .record(&event(EventKind::Plan, "/r", "a", "2026-01-01T00:00:00Z"))
            .unwrap();
        assert_eq!(ledger.list(&Filter::default()).unwrap().len(), 1);
    });
}

#[test]
fn a_corrupt_ledger_is_a_clear_error_naming_the_file() {
    for content in [
        b"this is not a database, just text that someone wrote here\n".repeat(100),
        {
            let mut bytes = b"SQLite format 3\0".to_vec();
            bytes.extend(std::iter::repeat_n(0xA5u8, 8192));
            bytes
        },
    ] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(LEDGER_FILE);
        std::fs::write(&file, &content).unwrap();
        let err = Ledger::open(dir.path()).unwrap_err();
        let message = err.to_string();
        eprintln!("{message}");
        assert!(matches!(err, LedgerError::Corrupt { .. }), "{message}");
        assert!(message.contains(&file.display().to_string()), "{message}");
        assert!(message.contains("nanoup log --rebuild"), "{message}");
        // The file is left alone.
        assert_eq!(std::fs::read(&file).unwrap(), content);
    }
}

#[test]
fn a_ledger_damaged_after_open_is_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    for i in 0..300 {
        ledger
            .record(&event(
                EventKind::Plan,
                "/r",
                &format!("{i}"),
                "2026-01-01T00:00:00Z",
            ))
            .unwrap();
    }
    drop(ledger);
    // Overwrite everything after the first page (the header and schema stay readable).
    let file = dir.path().join(LEDGER_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    assert!(bytes.len() > 8192, "{}", bytes.len());
    for b in &mut bytes[4096..] {
        *b = 0x5A;
    }
    std::fs::write(&file, &bytes).unwrap();
    match Ledger::open(dir.path()) {
        Err(err) => {
            eprintln!("open: {err}");
            assert!(
                err.to_string().contains(&file.display().to_string()),
                "{err}"
            );
        }
        Ok(ledger) => {
            let err = ledger.list(&Filter::default()).unwrap_err();
            eprintln!("list: {err}");
            assert!(
                err.to_string().contains(&file.display().to_string()),
                "{err}"
            );
        }
    }
}

#[test]
fn a_ledger_from_a_newer_nanoup_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Ledger::open(dir.path()).unwrap());
    let file = dir.path().join(LEDGER_FILE);
    sqlite(
        &file,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'future', 1, x'00', 0)",
    );
    let err = Ledger::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, LedgerError::NewerSchema { version: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer nanoup"), "{err}");
}

// --- rebuild from commit trailers -------------------------------------------------------------

/// Runs git in `repo`, isolated from the machine's configuration, with `env` added; returns
/// its trimmed output and fails the test with git's message on error.
fn run_git(repo: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "gc.auto=0",
            "-c",
            "maintenance.auto=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("LC_ALL", "C")
        .envs(env.iter().copied())
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn git(repo: &Path, args: &[&str]) -> String {
    run_git(repo, args, &[])
}

/// An empty commit with `message`, authored and committed at `date`; returns its id.
fn commit(repo: &Path, message: &str, date: &str) -> String {
    run_git(
        repo,
        &["commit", "--allow-empty", "-q", "-m", message],
        &[("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)],
    );
    git(repo, &["rev-parse", "HEAD"])
}

#[test]
fn rebuild_from_git_reads_trailers_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let data = dir.path().join("data");
    let ledger = Ledger::open(&data).unwrap();
    // No commits yet: nothing to add, no error.
    assert_eq!(ledger.rebuild_from_git(&repo).unwrap(), 0);

    commit(
        &repo,
        "initial commit\n\nNo trailers here.",
        "2026-01-01T09:00:00+00:00",
    );
    let update = commit(
        &repo,
        "chore(deps): nano update smallvec 1.4.0 -> 1.6.1\n\n\
         Nanoup-Update: 1a2b3c4d5e6f\n\
         Nanoup-Package: pkg:cargo/smallvec@1.4.0 -> 1.6.1\n\
         Nanoup-Reason: RUSTSEC-2021-0003\n\
         Nanoup-Blast-Radius: 1\n",
        "2026-01-02T10:00:00+02:00",
    );
    let npm = commit(
        &repo,
        "chore(deps): nano update @babel/core 7.0.0 -> 7.0.1\n\n\
         Nanoup-Update: 0f0f0f0f0f0f\n\
         Nanoup-Package: pkg:npm/%40babel/core@7.0.0 -> 7.0.1\n\
         Nanoup-Reason: GHSA-aaaa-bbbb-cccc\n\
         Nanoup-Reason: drift\n\
         Nanoup-Blast-Radius: 1\n",
        "2026-01-03T10:00:00+00:00",
    );
    let rollback = commit(
        &repo,
        "chore(deps): roll back nano update 1a2b3c4d5e6f\n\n\
         Nanoup-Rollback: 1a2b3c4d5e6f\n",
        "2026-01-04T10:00:00+00:00",
    );

    // An event nanoup recorded itself when it made the npm commit is not duplicated.
    let key = repository_key(&repo);
    let mut own = event(
        EventKind::Commit,
        &key,
        "0f0f0f0f0f0f",
        "2026-01-03T10:00:05Z",
    );
    own.commit = Some(npm.clone());
    ledger.record(&own).unwrap();

    assert_eq!(ledger.rebuild_from_git(&repo).unwrap(), 2);
    assert_eq!(ledger.rebuild_from_git(&repo).unwrap(), 0);
    // The path is normalised: a different spelling of the same directory adds nothing either.
    assert_eq!(ledger.rebuild_from_git(&repo.join(".")).unwrap(), 0);

    let events = ledger
        .list(&Filter {
            repository: Some(key.clone()),
            ..Filter::default()
        })
        .unwrap();
    let summary: Vec<(EventKind, &str, &str)> = events
        .iter()
        .map(|s| {
            (
                s.event.kind,
                s.event.update_id.as_deref().unwrap(),
                s.event.commit.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (EventKind::Rollback, "1a2b3c4d5e6f", rollback.as_str()),
            (EventKind::Commit, "0f0f0f0f0f0f", npm.as_str()),
            (EventKind::Commit, "1a2b3c4d5e6f", update.as_str()),
        ]
    );
    let smallvec = &events[2].event;
    assert_eq!(smallvec.time, "2026-01-02T08:00:00.000Z");
    assert_eq!(smallvec.ecosystem.as_deref(), Some("crates.io"));
    assert_eq!(smallvec.name.as_deref(), Some("smallvec"));
    assert_eq!(
        (smallvec.from.as_deref(), smallvec.to.as_deref()),
        (Some("1.4.0"), Some("1.6.1"))
    );
    let detail = smallvec.detail_value();
    assert_eq!(detail["reasons"], serde_json::json!(["RUSTSEC-2021-0003"]));
    assert_eq!(detail["blast_radius"], 1);
    assert_eq!(detail["rebuilt_from"], "git");
    assert_eq!(events[0].event.name.as_deref(), Some("smallvec"));

    // The rollback command's question, on a ledger that only knows the trailers.
    let found = ledger
        .applied_update(&key, "1a2b3c4d5e6f")
        .unwrap()
        .unwrap();
    assert_eq!(found.commit.as_deref(), Some(update.as_str()));
    assert!(found.is_rolled_back());
    let npm_found = ledger
        .applied_update(&key, "0f0f0f0f0f0f")
        .unwrap()
        .unwrap();
    assert!(!npm_found.is_rolled_back());

    // A fresh ledger (the old one lost) gets all three back.
    let fresh = Ledger::open(&dir.path().join("fresh")).unwrap();
    assert_eq!(fresh.rebuild_from_git(&repo).unwrap(), 3);
}

#[test]
fn rebuild_outside_a_repository_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("data")).unwrap();
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    // Keep git from finding a repository above the temp dir.
    let err = ledger.rebuild_from_git(&plain);
    if let Err(err) = err {
        assert!(matches!(err, LedgerError::Git { .. }), "{err}");
        assert!(
            err.to_string().contains(&plain.display().to_string()),
            "{err}"
        );
    }
    let missing = dir.path().join("missing");
    let err = ledger.rebuild_from_git(&missing).unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
}

#[test]
fn verify_runs_and_verdicts_are_kept_per_session() {
    use nanoup_ledger::{VerifyRun, VerifyVerdict};
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(dir.path()).unwrap();
    for number in 1..=2 {
        ledger
            .record_verify_run(&VerifyRun {
                session: "s1".into(),
                number,
                time: "2026-11-24T10:00:00Z".into(),
                repository: "/repo".into(),
                purpose: "decision".into(),
                updates: vec!["aaaaaaaaaaaa".into(), "bbbbbbbbbbbb".into()],
                command: "cargo test".into(),
                exit_code: if number == 1 { Some(101) } else { None },
                reason: (number == 2).then(|| "timeout".to_string()),
                duration_ms: 1200,
                log_path: format!("/logs/run-{number:03}.log"),
            })
            .unwrap();
    }
    ledger
        .record_verify_verdict(&VerifyVerdict {
            session: "s1".into(),
            time: "2026-11-24T10:00:05Z".into(),
            repository: "/repo".into(),
            update_id: "aaaaaaaaaaaa".into(),
            name: "unicode-width".into(),
            from: "0.1.5".into(),
            to: "0.1.14".into(),
            verdict: "culprit".into(),
            detail: "{}".into(),
        })
        .unwrap();
    let runs = ledger.verify_runs("s1").unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].exit_code, Some(101));
    assert_eq!(runs[1].reason.as_deref(), Some("timeout"));
    assert_eq!(runs[0].updates, ["aaaaaaaaaaaa", "bbbbbbbbbbbb"]);
    assert_eq!(runs[0].time, "2026-11-24T10:00:00.000Z");
    let verdicts = ledger.verify_verdicts("s1").unwrap();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].verdict, "culprit");
    // A verdict the schema does not know is refused.
    let mut bad = verdicts[0].clone();
    bad.update_id = "cccccccccccc".into();
    bad.verdict = "maybe".into();
    assert!(ledger.record_verify_verdict(&bad).is_err());
    assert!(ledger.verify_runs("other").unwrap().is_empty());
}
