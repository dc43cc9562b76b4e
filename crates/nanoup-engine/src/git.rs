//! The git edge: clean-tree checks, one commit per update with machine-readable trailers, and
//! finding an update's commit again by its id.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use nanoup_core::NanoUpdate;

use nanoup_core::{BLAST_RADIUS_TRAILER, PACKAGE_TRAILER, REASON_TRAILER};
pub use nanoup_core::{ROLLBACK_TRAILER, UPDATE_TRAILER};

fn git(root: &Path, args: &[&str]) -> Result<Output, String> {
    Command::new("git")
        .args(args)
        .current_dir(root)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| format!("cannot run git: {e}"))
}

/// Runs `git ARGS` in `root` (no prompts, C locale) and returns its stdout; on failure, the
/// command and git's stderr.
pub fn run(root: &Path, args: &[&str]) -> Result<String, String> {
    let out = git(root, args)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The bytes of `path` (relative to `root`) at `revision` (`git show REVISION:PATH`).
pub fn file_at(root: &Path, revision: &str, path: &str) -> Result<Vec<u8>, String> {
    let out = git(root, &["show", &format!("{revision}:{path}")])?;
    if !out.status.success() {
        return Err(format!(
            "`git show {revision}:{path}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// The work tree's uncommitted changes (`git status --porcelain`), empty when clean.
pub fn dirty_files(root: &Path) -> Result<Vec<String>, String> {
    Ok(
        run(root, &["status", "--porcelain", "--untracked-files=no"])?
            .lines()
            .map(|l| l.get(3..).unwrap_or(l).to_string())
            .collect(),
    )
}

/// The commit message of `update`: a subject, then the trailers of DESIGN.md.
pub fn message(update: &NanoUpdate) -> String {
    let purl = nanoup_core::purl_for(update.ecosystem, &update.name, Some(&update.from));
    // An update of several entries lists each, with its role and why when the plan gave them.
    let moves = if update.blast_radius.len() > 1 {
        let mut body = format!("Moves {} lockfile entries:\n", update.blast_radius.len());
        for change in &update.blast_radius {
            let step = update
                .steps
                .iter()
                .find(|s| s.name == change.name && s.from == change.from && s.to == change.to);
            let _ = writeln!(
                body,
                "- {} {} -> {}{}",
                change.name,
                change.from.as_deref().unwrap_or("(new)"),
                change.to.as_deref().unwrap_or(nanoup_core::REMOVED),
                step.map(|s| format!(" ({}: {})", s.role.as_str(), s.why))
                    .unwrap_or_default()
            );
        }
        body.push('\n');
        body
    } else {
        String::new()
    };
    format!(
        "chore(deps): nano update {} {} -> {}\n\n{moves}{UPDATE_TRAILER}: {}\n{PACKAGE_TRAILER}: {} -> {}\n\
         {REASON_TRAILER}: {}\n{BLAST_RADIUS_TRAILER}: {}\n",
        update.name,
        update.from,
        update.to,
        update.id,
        purl,
        update.to,
        update.reasons.join(", "),
        update.blast_radius.len()
    )
}

/// Commits `files` (relative to `root`) with `message`; returns the new commit's id. Uses the
/// repository's identity, or `nanoup <nanoup@localhost>` when none is configured.
pub fn commit(root: &Path, files: &[&str], message: &str) -> Result<String, String> {
    let mut add = vec!["add", "--"];
    add.extend_from_slice(files);
    run(root, &add)?;
    let has_identity = git(root, &["config", "user.email"]).is_ok_and(|o| o.status.success());
    let mut args: Vec<&str> = Vec::new();
    if !has_identity {
        args.extend([
            "-c",
            "user.name=nanoup",
            "-c",
            "user.email=nanoup@localhost",
        ]);
    }
    args.extend(["commit", "--quiet", "--no-verify", "-m", message, "--"]);
    args.extend_from_slice(files);
    run(root, &args)?;
    Ok(run(root, &["rev-parse", "HEAD"])?.trim().to_string())
}

/// The commits (newest first) whose `trailer` has `value`, as (commit id, full message).
pub fn commits_with_trailer(
    root: &Path,
    trailer: &str,
    value: &str,
) -> Result<Vec<(String, String)>, String> {
    let log = run(
        root,
        &[
            "log",
            "--format=%H%x1f%B%x1e",
            &format!("--grep=^{trailer}: {value}$"),
        ],
    )?;
    Ok(log
        .split('\u{1e}')
        .filter_map(|entry| {
            let (id, body) = entry.trim_start().split_once('\u{1f}')?;
            Some((id.to_string(), body.to_string()))
        })
        .filter(|(_, body)| {
            body.lines()
                .any(|l| l.trim() == format!("{trailer}: {value}"))
        })
        .collect())
}

/// Every nanoup update commit newer than `since` (exclusive), newest first, as (commit, message).
pub fn update_commits_since(root: &Path, since: &str) -> Result<Vec<(String, String)>, String> {
    let log = run(
        root,
        &[
            "log",
            "--format=%H%x1f%B%x1e",
            &format!("{since}..HEAD"),
            &format!("--grep=^{UPDATE_TRAILER}: "),
        ],
    )?;
    Ok(log
        .split('\u{1e}')
        .filter_map(|entry| {
            let (id, body) = entry.trim_start().split_once('\u{1f}')?;
            Some((id.to_string(), body.to_string()))
        })
        .collect())
}

/// The value of `trailer` in a commit message.
pub fn trailer<'a>(message: &'a str, trailer: &str) -> Option<&'a str> {
    message
        .lines()
        .find_map(|l| l.strip_prefix(trailer)?.strip_prefix(": "))
        .map(str::trim)
}

/// The files a commit changed, relative to the repository root.
pub fn changed_files(root: &Path, commit: &str) -> Result<Vec<String>, String> {
    Ok(run(root, &["show", "--name-only", "--format=", commit])?
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}
