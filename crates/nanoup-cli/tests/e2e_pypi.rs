//! End to end on temporary git copies of the PyPI corpus sets, against the real PyPI:
//! `nanoup audit` -> `nanoup plan` -> `nanoup apply --all --commit` -> `nanoup audit`.
//!
//! For every set: each applied update is its own commit touching only the lockfile; the lockfile
//! before and after differs in exactly the applied updates' entries (nanoup's own parse, both
//! `nanoup scan` and the PyPI editor's `changed_entries`); every advisory an applied update fixed
//! is gone; rolling back the newest update gives back the file as it was before it, and rolling
//! back every applied update (newest first) gives back the original file, byte for byte.
//! Refusals are allowed when explained (a manifest change, a lock entry whose dependencies only
//! the native resolver can refresh: for a poetry.lock, when the index gives no `requires_dist` of
//! the new version or the lock does not satisfy it); they are counted and printed
//! (`--nocapture` shows them).
//!
//! Where the real tool can judge the result it does: `uv lock --locked` on an edited uv.lock
//! when `uv` is on PATH (a notice is printed otherwise), and for requirements with `--hash`
//! lines, the hashes are compared with PyPI's own list for the new version.
//!
//! These need https://pypi.org (`#[ignore]`, run by CI with `--include-ignored`). Every command
//! has a timeout; PyPI being down fails the test at once with that reason. One hermetic test
//! (the replay server, no uv on PATH) checks the refusal when uv is missing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::repo::{git, import_osv, init_repository, nanoup, output_text, plan_file_with, shared};
use nanoup_core::EntryChange;
use nanoup_ecosystems::pypi::edit::{FileKind, changed_entries};
use serde_json::Value;

/// The longest any one command may run.
const TIMEOUT: Duration = Duration::from_secs(900);

fn corpus(set: &str) -> PathBuf {
    shared("corpus/python").join(set)
}

/// Fails the test at once, saying so, when PyPI cannot be reached.
fn require_pypi() {
    let out = std::process::Command::new("curl")
        .args([
            "-fsS",
            "--max-time",
            "30",
            "-o",
            "/dev/null",
            "https://pypi.org/pypi/pip/json",
        ])
        .output();
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "PyPI is unreachable (curl https://pypi.org/pypi/pip/json: {}); these live tests \
             need the real PyPI",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("cannot run curl to check that PyPI is reachable: {e}"),
    }
}

/// PyPI's JSON API answer for project `name` (curl, with a timeout and retries).
fn pypi_project(name: &str) -> Value {
    let url = format!("https://pypi.org/pypi/{name}/json");
    let out = std::process::Command::new("curl")
        .args(["-fsS", "--retry", "2", "--max-time", "60", &url])
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl: {e}"));
    assert!(
        out.status.success(),
        "{url}: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// The sha256 of every installable file (wheel or sdist) of `name` `version`, sorted, from
/// PyPI's JSON API (the release found by PEP 440 equality: PyPI may spell it `2020.11.08`):
/// what pip-compile writes as `--hash` options.
fn pypi_hashes(name: &str, version: &str) -> Vec<String> {
    use nanoup_versions::{Scheme, Version};
    let project = pypi_project(name);
    let wanted = Version::parse(Scheme::Pep440, version).unwrap();
    let files = project["releases"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(v, _)| Version::parse(Scheme::Pep440, v).is_ok_and(|v| v == wanted))
        .unwrap_or_else(|| panic!("PyPI has no release {version} of {name}"))
        .1
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut hashes: Vec<String> = files
        .iter()
        .filter(|f| {
            let file = f["filename"].as_str().unwrap_or("").to_ascii_lowercase();
            [
                ".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar",
            ]
            .iter()
            .any(|ext| file.ends_with(ext))
        })
        .filter_map(|f| f["digests"]["sha256"].as_str().map(str::to_string))
        .collect();
    hashes.sort();
    hashes.dedup();
    hashes
}

/// The `--hash=sha256:` values on the requirement of `name` in a requirements file (its line
/// and continuation lines), `None` when it has none.
fn hashes_of(text: &str, name: &str) -> Option<Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| {
        l.split_once("==")
            .is_some_and(|(n, _)| nanoup_core::normalize_pypi_name(n.trim()) == name)
    })?;
    let mut hashes = Vec::new();
    for line in &lines[start..] {
        hashes.extend(
            line.split_whitespace()
                .filter_map(|w| w.strip_prefix("--hash=sha256:"))
                .map(str::to_string),
        );
        if !line.trim_end().ends_with('\\') {
            break;
        }
    }
    (!hashes.is_empty()).then_some(hashes)
}

/// nanoup against the real PyPI: no index override from the environment, bounded HTTP, and a
/// timeout on the whole command.
fn live(home: &Path) -> assert_cmd::Command {
    let mut cmd = nanoup(home);
    cmd.env("NANOUP_HTTP_RETRIES", "3")
        .env("NANOUP_HTTP_TIMEOUT", "120")
        .env("NANOUP_HTTP_CONNECT_TIMEOUT", "20")
        .env_remove("PIP_INDEX_URL")
        .env_remove("UV_DEFAULT_INDEX")
        .env_remove("UV_INDEX_URL")
        .env_remove("NANOUP_UV")
        .timeout(TIMEOUT);
    cmd
}

/// Runs `cmd`, failing clearly when it was killed by the timeout.
fn run(cmd: &mut assert_cmd::Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.code().is_some(),
        "{what}: killed after {TIMEOUT:?} (a hung registry?)\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The advisories `nanoup audit` reports, as (name, version, advisory id).
fn audit(home: &Path, dir: &Path) -> BTreeSet<(String, String, String)> {
    let out = run(
        live(home).args(["audit", "--format", "json"]).arg(dir),
        "audit",
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "audit: {}",
        output_text(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["errors"].as_array().is_none_or(Vec::is_empty),
        "audit errors: {}",
        report["errors"]
    );
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("name"), s("version"), s("id"))
        })
        .collect()
}

/// The components `nanoup scan` finds, as (file, name, version) with their count.
fn scan(home: &Path, dir: &Path) -> BTreeMap<(String, String, String), usize> {
    let out = run(
        live(home).args(["scan", "--format", "json"]).arg(dir),
        "scan",
    );
    assert_eq!(out.status.code(), Some(0), "scan: {}", output_text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut out = BTreeMap::new();
    for stack in report["stacks"].as_array().unwrap() {
        for c in stack["components"].as_array().unwrap() {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            *out.entry((s("file"), s("name"), s("version"))).or_default() += 1;
        }
    }
    out
}

/// One applied or refused update, from `nanoup apply --json`.
#[derive(Debug, Clone)]
struct Result1 {
    id: String,
    name: String,
    from: String,
    to: String,
    reasons: Vec<String>,
    blast_radius: Vec<EntryChange>,
    refused: Option<String>,
    /// The files an applied update wrote (the lockfile, and pyproject.toml for a manifest
    /// change).
    files: Vec<String>,
}

/// What a run on one corpus set found, for the report.
#[derive(Debug)]
struct Figures {
    set: String,
    /// Distinct vulnerable name@version before.
    vulnerable: usize,
    findings_before: usize,
    planned: usize,
    manifest_changes: usize,
    unfixable: usize,
    applied: Vec<Result1>,
    refused: Vec<Result1>,
    findings_after: usize,
    /// Advisories (name, version, id) gone after the applies.
    gone: usize,
}

impl Figures {
    fn print(&self) {
        println!(
            "{}: {} vulnerable packages ({} advisories), {} planned ({} manifest changes, {} \
             unfixable), {} applied, {} refused; advisories gone: {}, left: {}",
            self.set,
            self.vulnerable,
            self.findings_before,
            self.planned,
            self.manifest_changes,
            self.unfixable,
            self.applied.len(),
            self.refused.len(),
            self.gone,
            self.findings_after
        );
        let mut kinds: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for r in &self.refused {
            kinds
                .entry(refusal_kind(r.refused.as_deref().unwrap_or("")))
                .or_default()
                .push(format!("{} {} -> {}", r.name, r.from, r.to));
        }
        for (kind, list) in kinds {
            println!("  refused, {kind}: {} ({})", list.len(), list.join(", "));
        }
    }
}

/// The explained kinds of refusal; anything else is a bug.
fn refusal_kind(reason: &str) -> &'static str {
    if reason.contains("needs a change of the manifest's requirement") {
        "needs a manifest change"
    } else if reason.contains("are still those of") && reason.contains("failed: `uv lock") {
        "the native resolver (uv) finds no solution with the new version"
    } else if reason.contains("are still those of")
        && reason.contains("the index gave no dependencies (requires_dist)")
    {
        "needs the native resolver (the index gave no requires_dist of the new version)"
    } else if reason.contains("are still those of") {
        "needs the native resolver (lock entry's dependencies not refreshed)"
    } else if reason.contains("which the lock does not satisfy") {
        "needs the native resolver (a dependency of the new version is not satisfied by the lock)"
    } else if reason.contains("requires Python") && reason.contains("but the lock is for Python") {
        "the new version excludes a Python the lock is for"
    } else if reason.contains("Poetry would change those entries too") {
        "needs the native resolver (a dependency's category or optional flag would change)"
    } else {
        "unexplained"
    }
}

/// Every constraint of a poetry.lock's entries that rejects the locked version of what it
/// constrains (optional dependencies left out), as `dependent VERSION requires NAME CONSTRAINT`.
fn poetry_rejections(file: &str, text: &str) -> BTreeSet<String> {
    use nanoup_ecosystems::pypi::poetry_entry::rejecting_dependents;
    nanoup_ecosystems::pypi::poetry::parse(file, text)
        .unwrap()
        .iter()
        .filter_map(|p| Some((p.name.clone(), p.version.clone()?)))
        .flat_map(|(name, version)| rejecting_dependents(file, text, &name, &version, &[]))
        .collect()
}

fn entry(name: &str, from: &str, to: &str) -> EntryChange {
    EntryChange {
        name: name.to_string(),
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        path: None,
    }
}

/// audit -> plan -> apply --all --commit -> audit on a git copy of `set`, whose lockfile is
/// `lockfile` (relative to the set); checks everything the module documentation promises and
/// returns the figures. `prepare` may change the copy before its first commit.
fn e2e(set: &str, lockfile: &str, prepare: impl FnOnce(&Path, &Path)) -> Figures {
    require_pypi();
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let (dir, home) = (dir.path(), home.path());
    copy_dir(&corpus(set), dir);
    let db = run(
        live(home)
            .args(["db", "import"])
            .arg(shared("osv/PyPI/all.zip")),
        "db import",
    );
    assert_eq!(db.status.code(), Some(0), "{}", output_text(&db));
    prepare(dir, home);
    init_repository(dir);
    let original = std::fs::read(dir.join(lockfile)).unwrap();
    let kind = FileKind::of_path(lockfile).unwrap();

    let before = audit(home, dir);
    assert!(!before.is_empty(), "{set} has known advisories");
    let scanned_before = scan(home, dir);

    let plan_path = home.join("plan.json");
    let out = run(
        live(home)
            .args(["plan", "--deadline", "240s", "--format", "json", "-o"])
            .arg(&plan_path)
            .arg(dir),
        "plan",
    );
    assert_eq!(out.status.code(), Some(0), "plan: {}", output_text(&out));
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    let unfixable = plan["unfixable"].as_array().cloned().unwrap_or_default();
    for u in &unfixable {
        let reason = u["reason"].as_str().unwrap_or("");
        assert!(
            !reason.contains("look-up failed"),
            "PyPI did not answer during the plan: {reason}"
        );
    }
    let updates = plan["updates"].as_array().cloned().unwrap_or_default();
    assert!(!updates.is_empty(), "{set}: nothing planned");
    for u in &updates {
        assert_eq!(u["file"], lockfile, "{u}");
    }

    let out = run(
        live(home)
            .args(["apply", "--all", "--commit", "--json", "--plan"])
            .arg(&plan_path)
            .arg(dir),
        "apply",
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "apply: {}",
        output_text(&out)
    );
    let results: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("apply --json: {e}: {}", output_text(&out)));
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), updates.len());
    let (mut applied, mut refused) = (Vec::new(), Vec::new());
    for (r, u) in results.iter().zip(&updates) {
        if r.get("replanned").is_none() {
            assert_eq!(r["id"], u["id"]);
        }
        let blast_radius: Vec<EntryChange> =
            serde_json::from_value(u["blast_radius"].clone()).unwrap();
        let one = Result1 {
            id: r["id"].as_str().unwrap().to_string(),
            name: r["name"].as_str().unwrap().to_string(),
            from: r["from"].as_str().unwrap().to_string(),
            to: r["to"].as_str().unwrap().to_string(),
            reasons: serde_json::from_value(u["reasons"].clone()).unwrap(),
            blast_radius: blast_radius.clone(),
            refused: r["reason"].as_str().map(str::to_string),
            files: serde_json::from_value(r["files"].clone()).unwrap_or_default(),
        };
        match r["status"].as_str() {
            Some("applied") => {
                // The verified change is the planned blast radius (or, for the resolver's
                // fallback, what it reports: it names itself in the method).
                let mut changed: Vec<EntryChange> =
                    serde_json::from_value(r["changed"].clone()).unwrap();
                changed.sort();
                // An update planned again during the run (an earlier one moved a package it
                // names) is checked against what it became.
                let mut planned = match r.get("replanned") {
                    Some(again) => serde_json::from_value(again.clone()).unwrap(),
                    None => blast_radius,
                };
                planned.sort();
                let method = r["method"].as_str().unwrap_or("");
                if method.contains("fallback") {
                    assert!(changed.iter().any(|c| planned.contains(c)), "{r}");
                } else {
                    assert_eq!(changed, planned, "{r}");
                }
                applied.push(Result1 {
                    blast_radius: changed,
                    ..one
                });
            }
            Some("refused") => {
                let reason = one.refused.as_deref().unwrap_or("");
                assert_ne!(
                    refusal_kind(reason),
                    "unexplained",
                    "{} {} -> {}: {reason}",
                    one.name,
                    one.from,
                    one.to
                );
                refused.push(one);
            }
            // An earlier update (a relock's larger blast radius) already moved the package.
            Some("skipped") => assert!(
                r["reason"]
                    .as_str()
                    .is_some_and(|reason| reason.contains("earlier update")),
                "{r}"
            ),
            other => panic!("unexpected status {other:?}: {r}"),
        }
    }

    // One commit per applied update (in plan order, but for an update tried again at the end of
    // the run), each changing only the lockfile (and pyproject.toml beside it for a manifest
    // change).
    let log = git(dir, &["log", "--reverse", "--format=%H %s", "HEAD"]);
    let commits: Vec<(&str, &str)> = log
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(commits.len(), applied.len(), "{log}");
    // The applied updates in the order of their commits.
    let mut in_commit_order = Vec::new();
    for (sha, subject) in &commits {
        let message = git(dir, &["log", "-1", "--format=%B", sha]);
        let a = applied
            .iter()
            .find(|a| message.contains(&format!("Nanoup-Update: {}\n", a.id)))
            .unwrap_or_else(|| panic!("commit {sha} names no applied update: {message}"));
        in_commit_order.push(a);
        assert_eq!(
            *subject,
            format!("chore(deps): nano update {} {} -> {}", a.name, a.from, a.to)
        );
        let mut files = a.files.clone();
        files.sort();
        assert_eq!(
            git(dir, &["show", "--name-only", "--format=", sha]).trim(),
            files.join("\n")
        );
        assert!(files.contains(&lockfile.to_string()), "{files:?}");
        // A requirements file's pins must still install together after every commit; a
        // poetry.lock's entries must still satisfy every (non-optional) constraint on them.
        if kind == FileKind::Requirements {
            let text = git(dir, &["show", &format!("{sha}:{lockfile}")]);
            pins_resolve(&text).unwrap_or_else(|e| panic!("after {subject}: {e}"));
        }
        if kind == FileKind::PoetryLock {
            let text = git(dir, &["show", &format!("{sha}:{lockfile}")]);
            let new: BTreeSet<String> = poetry_rejections(lockfile, &text)
                .difference(&poetry_rejections(
                    lockfile,
                    &String::from_utf8_lossy(&original),
                ))
                .cloned()
                .collect();
            assert!(new.is_empty(), "after {subject}: {new:?}");
        }
    }

    // Old and new lockfile differ in exactly the applied entries: nanoup's scan...
    let after_bytes = std::fs::read(dir.join(lockfile)).unwrap();
    let scanned_after = scan(home, dir);
    let mut expected = scanned_before.clone();
    for a in &applied {
        // A version move changes the scan; a same-version change (the project's own entry
        // recording a manifest change's new requirement) does not.
        for c in a.blast_radius.iter().filter(|c| c.from != c.to) {
            let key = |v: &Option<String>| {
                (
                    lockfile.to_string(),
                    c.name.clone(),
                    v.clone().unwrap_or_default(),
                )
            };
            if c.from.is_some()
                && let Some(n) = expected.get_mut(&key(&c.from))
            {
                *n -= 1;
            }
            if c.to.is_some() {
                *expected.entry(key(&c.to)).or_default() += 1;
            }
        }
    }
    expected.retain(|_, n| *n > 0);
    assert_eq!(scanned_after, expected, "scan before and after");
    // ... and the PyPI editor's blast-radius check over the whole run (contents too: hashes,
    // files).
    let (old_text, new_text) = (
        String::from_utf8(original.clone()).unwrap(),
        String::from_utf8(after_bytes.clone()).unwrap(),
    );
    let mut changed = changed_entries(kind, lockfile, &old_text, &new_text).unwrap();
    // A Poetry manifest change also rewrites the lock's `[metadata] content-hash`.
    let manifest_changed = applied
        .iter()
        .any(|a| a.files.iter().any(|f| f.ends_with("pyproject.toml")));
    if kind == FileKind::PoetryLock && manifest_changed {
        changed.retain(|c| c.name != "[metadata]");
    }
    let mut union: Vec<EntryChange> = applied
        .iter()
        .flat_map(|a| a.blast_radius.clone())
        .collect();
    union.sort();
    union.dedup();
    if applied
        .iter()
        .all(|a| a.blast_radius.len() == 1 && a.blast_radius[0] == entry(&a.name, &a.from, &a.to))
    {
        let expected: Vec<EntryChange> = applied
            .iter()
            .map(|a| entry(&a.name, &a.from, &a.to))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(changed, expected, "changed entries of {lockfile}");
    } else {
        assert!(
            changed.iter().all(|c| union
                .iter()
                .any(|u| u.name == c.name || c.name.starts_with('['))),
            "{changed:?} outside {union:?}"
        );
    }

    // Requirements with --hash lines: the new hashes are PyPI's for the new version.
    if kind == FileKind::Requirements {
        for a in &applied {
            let Some(mut hashes) = hashes_of(&new_text, &a.name) else {
                continue;
            };
            hashes.sort();
            assert_eq!(
                hashes,
                pypi_hashes(&a.name, &a.to),
                "--hash values of {} {}",
                a.name,
                a.to
            );
        }
    }

    // uv accepts the edited uv.lock as it stands.
    if kind == FileKind::UvLock && !applied.is_empty() {
        uv_locked(dir.join(lockfile).parent().unwrap());
    }

    // Every advisory an applied update clears (its reasons: all of them, or a partial fix's
    // share when no release within policy clears them all) is gone; a new version is reported
    // with none the old one did not have.
    let after = audit(home, dir);
    for a in &applied {
        for reason in &a.reasons {
            assert!(
                !after.iter().any(|(n, _, id)| *n == a.name && id == reason),
                "{} {reason} still reported after {} -> {}",
                a.name,
                a.from,
                a.to
            );
        }
        for (name, version, id) in &after {
            if *name == a.name && *version == a.to {
                assert!(
                    before.contains(&(name.clone(), a.from.clone(), id.clone())),
                    "{name} {} gained {id}",
                    a.to
                );
            }
        }
    }
    let gone = before.difference(&after).count();

    // Rollbacks: the newest alone gives back the file as it was before it; then every other
    // applied update, newest first, gives back the original file.
    if let Some(((newest_sha, _), newest)) = commits.last().zip(in_commit_order.last()) {
        let before_newest = git(dir, &["show", &format!("{newest_sha}^:{lockfile}")]);
        let out = run(
            live(home)
                .args(["rollback", "--commit", "--id", &newest.id])
                .arg(dir),
            "rollback",
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "rollback: {}",
            output_text(&out)
        );
        let now = std::fs::read_to_string(dir.join(lockfile)).unwrap();
        assert!(
            now == before_newest,
            "rolling back {} {} -> {} alone does not give back {lockfile} as it was; entries \
             that differ: {:?}",
            newest.name,
            newest.from,
            newest.to,
            changed_entries(kind, lockfile, &before_newest, &now)
        );
        for a in in_commit_order.iter().rev().skip(1) {
            let out = run(
                live(home)
                    .args(["rollback", "--commit", "--id", &a.id])
                    .arg(dir),
                "rollback",
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "rollback of {} {} -> {}: {}",
                a.name,
                a.from,
                a.to,
                output_text(&out)
            );
        }
        let back = std::fs::read(dir.join(lockfile)).unwrap();
        assert!(
            back == original,
            "after rolling back every update, {lockfile} differs from the original: {:?}",
            changed_entries(kind, lockfile, &old_text, &String::from_utf8_lossy(&back))
        );
        assert!(git(dir, &["status", "--porcelain"]).trim().is_empty());
    }

    Figures {
        set: set.to_string(),
        vulnerable: before
            .iter()
            .map(|(n, v, _)| (n, v))
            .collect::<BTreeSet<_>>()
            .len(),
        findings_before: before.len(),
        planned: updates.len(),
        manifest_changes: updates
            .iter()
            .filter(|u| u["manifest_change"] == true)
            .count(),
        unfixable: unfixable.len(),
        applied,
        refused,
        findings_after: after.len(),
        gone,
    }
}

/// Whether uv resolves the pins of a requirements file together (`uv pip compile`); uv's
/// message when it does not. Ok (with a notice) when uv is not installed.
fn pins_resolve(text: &str) -> Result<(), String> {
    let version = std::process::Command::new("uv").arg("--version").output();
    if !version.is_ok_and(|v| v.status.success()) {
        println!("notice: `uv` is not on PATH; pins not checked with `uv pip compile`");
        return Ok(());
    }
    let scratch = tempfile::tempdir().unwrap();
    std::fs::write(scratch.path().join("requirements.txt"), text).unwrap();
    let out = run(
        assert_cmd::Command::new("uv")
            .args([
                "pip",
                "compile",
                "requirements.txt",
                "--quiet",
                "-o",
                "out.txt",
            ])
            .current_dir(scratch.path())
            .env("UV_NO_PROGRESS", "1")
            .timeout(TIMEOUT),
        "uv pip compile",
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(output_text(&out))
    }
}

/// `uv lock --locked` in `project`: uv agrees the lock is up to date (and valid). Prints a
/// notice and checks nothing when uv is not installed.
fn uv_locked(project: &Path) {
    let version = std::process::Command::new("uv").arg("--version").output();
    if !version.is_ok_and(|v| v.status.success()) {
        println!(
            "notice: `uv` is not on PATH; the edited {} was not checked with `uv lock --locked` \
             (pip install uv)",
            project.join("uv.lock").display()
        );
        return;
    }
    let out = run(
        assert_cmd::Command::new("uv")
            .args(["lock", "--locked"])
            .current_dir(project)
            .env("UV_NO_PROGRESS", "1")
            .timeout(TIMEOUT),
        "uv lock --locked",
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "uv lock --locked rejects the edited lock: {}",
        output_text(&out)
    );
}

#[test]
#[ignore = "live: resolves against the real PyPI"]
fn ctfd_requirements_txt_audit_plan_apply_audit_rollback() {
    let figures = e2e("CTFd__CTFd__a33a31b1f8", "requirements.txt", |_, _| {});
    figures.print();
    // Pins in a requirements file are always edited in place.
    assert!(figures.refused.is_empty(), "{:?}", figures.refused);
    assert!(!figures.applied.is_empty());
}

#[test]
#[ignore = "live: resolves against the real PyPI"]
fn ctfd_requirements_with_hashes_get_pypis_hashes_of_the_new_versions() {
    // CTFd pins without hashes: give every vulnerable pin PyPI's hashes, laid out as
    // pip-compile --generate-hashes does, then run the same end to end.
    let figures = e2e("CTFd__CTFd__a33a31b1f8", "requirements.txt", |dir, home| {
        let vulnerable: BTreeSet<(String, String)> = audit(home, dir)
            .into_iter()
            .map(|(n, v, _)| (n, v))
            .collect();
        let path = dir.join("requirements.txt");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut out = String::new();
        for line in text.lines() {
            let (code, comment) = match line.find('#') {
                Some(at) => (line[..at].trim_end(), Some(line[at..].trim())),
                None => (line.trim_end(), None),
            };
            let pin = code.split_once("==").map(|(n, v)| {
                (
                    nanoup_core::normalize_pypi_name(n.trim()),
                    v.trim().to_string(),
                )
            });
            match pin {
                Some(pin) if vulnerable.contains(&pin) => {
                    out.push_str(code);
                    for hash in pypi_hashes(&pin.0, &pin.1) {
                        out.push_str(&format!(" \\\n    --hash=sha256:{hash}"));
                    }
                    out.push('\n');
                    if let Some(comment) = comment {
                        out.push_str(&format!("    {comment}\n"));
                    }
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        std::fs::write(&path, out).unwrap();
    });
    figures.print();
    assert!(figures.refused.is_empty(), "{:?}", figures.refused);
    assert!(!figures.applied.is_empty());
}

#[test]
#[ignore = "live: resolves against the real PyPI"]
fn saleor_poetry_lock_audit_plan_apply_audit_rollback() {
    let figures = e2e("saleor__saleor__98ebf96d65", "poetry.lock", |_, _| {});
    figures.print();
}

#[test]
#[ignore = "live: resolves against the real PyPI"]
fn fastapi_template_uv_lock_audit_plan_apply_audit_rollback() {
    let figures = e2e(
        "fastapi__full-stack-fastapi-template__7e5ca88dc2",
        "backend/uv.lock",
        |_, _| {},
    );
    figures.print();
}

/// Hermetic (not live): without uv on PATH, a uv.lock update whose dependencies the file list
/// cannot vouch for is refused, saying what to install, and the lockfile is left byte for byte.
#[test]
fn without_uv_a_uv_lock_update_is_refused_and_the_lock_left_alone() {
    let server = common::replay::Replay::start(Default::default());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"flask>=3.1\"]\n",
    )
    .unwrap();
    let registry = "source = { registry = \"https://pypi.org/simple\" }";
    let lock = format!(
        "version = 1\nrequires-python = \">=3.9\"\n\n\
         [[package]]\nname = \"blinker\"\nversion = \"1.9.0\"\n{registry}\n\
         sdist = {{ url = \"https://files.pythonhosted.org/blinker-1.9.0.tar.gz\", hash = \"sha256:00\", size = 1 }}\n\n\
         [[package]]\nname = \"demo\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\n\
         dependencies = [\n    {{ name = \"flask\" }},\n]\n\n\
         [package.metadata]\nrequires-dist = [{{ name = \"flask\", specifier = \">=3.1\" }}]\n\n\
         [[package]]\nname = \"flask\"\nversion = \"3.1.0\"\n{registry}\n\
         dependencies = [\n    {{ name = \"blinker\" }},\n]\n\
         sdist = {{ url = \"https://files.pythonhosted.org/flask-3.1.0.tar.gz\", hash = \"sha256:11\", size = 2 }}\n\
         wheels = [\n    {{ url = \"https://files.pythonhosted.org/flask-3.1.0-py3-none-any.whl\", hash = \"sha256:22\", size = 3 }},\n]\n"
    );
    std::fs::write(dir.path().join("uv.lock"), &lock).unwrap();
    let index = format!("{}/pypi/simple/", server.base());
    let without_uv = || {
        let mut cmd = nanoup(home.path());
        cmd.env("PIP_INDEX_URL", &index).env("PATH", "/nonexistent");
        cmd
    };
    import_osv(nanoup(home.path()), "PyPI");
    let (plan_path, _) = plan_file_with(without_uv(), home.path(), dir.path(), &[]);
    let out = without_uv()
        .args(["apply", "--all", "--plan"])
        .arg(&plan_path)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("refused") && text.contains("flask 3.1.0 -> 3.1.3"),
        "{text}"
    );
    assert!(
        text.contains("needs uv, which is not on PATH") && text.contains("pip install uv"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("uv.lock")).unwrap(),
        lock
    );
}
