//! From planned updates to what the search works on, and back to commits: learning each
//! update's edit (applied once, alone, by the engine), the order they are searched in, the
//! default test command of a stack, and landing the green ones as one commit each.

use std::path::Path;
use std::sync::atomic::Ordering;

use nanoup_core::{Ecosystem, FileDigest, NanoUpdate, UpdateKind};
use nanoup_engine::apply::{Outcome, RegistryFetch, apply};

use crate::compose::{Edit, Files, compose};
use crate::runner::INTERRUPTED;
use crate::session::VerifyError;
use crate::worktree::{Workspace, git};

/// The default test command of a stack whose updates are of `ecosystem` in `lockfile`, run with
/// `sh -c` in the stack's directory; None when nanoup knows no default (Maven, Go, Docker).
pub fn default_test(ecosystem: Ecosystem, lockfile: &str) -> Option<String> {
    let file = Path::new(lockfile)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let venv = "python3 -m venv .nanoup-venv && . .nanoup-venv/bin/activate";
    Some(match (ecosystem, file.as_str()) {
        (Ecosystem::Cargo, _) => "cargo test --locked".into(),
        (Ecosystem::Npm, _) => {
            "npm ci --ignore-scripts --prefer-offline --no-audit --no-fund && npm test".into()
        }
        (Ecosystem::PyPI, "uv.lock") => "uv sync --frozen && uv run python -m pytest".into(),
        (Ecosystem::PyPI, "poetry.lock") => {
            "poetry install --no-root && poetry run python -m pytest".into()
        }
        (Ecosystem::PyPI, _) => format!(
            "{venv} && pip install -q -r {file} && pip install -q pytest && python -m pytest"
        ),
        _ => return None,
    })
}

/// How likely an update is to break the tests, smallest first: majors, then minors, then
/// patches; within a kind, moves of a 0.x version (no compatibility promise in practice) before
/// the others. Sorting by it with a stable sort keeps plan order among equals.
pub fn risk(update: &NanoUpdate) -> (u8, u8) {
    let kind = match update.kind {
        UpdateKind::Major => 0,
        UpdateKind::Minor => 1,
        UpdateKind::Patch => 2,
    };
    let stable = update
        .from
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .is_some_and(|major| major.parse::<u64>().is_ok_and(|m| m > 0));
    (kind, u8::from(stable))
}

/// A directory name for the repository at `top`: its last component and a hash of its path.
pub fn workspace_key(top: &Path) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(top.to_string_lossy().as_bytes());
    let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
    let name: String = top
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("{name}-{hex}")
}

/// The first of the plan's files (`digests`, relative to `prefix` inside the repository at
/// `top`) whose content at `HEAD` is not what the plan was made from: verify tests committed
/// work only.
pub fn differs_from_head(top: &Path, prefix: &Path, digests: &[FileDigest]) -> Option<String> {
    digests.iter().find_map(|digest| {
        let path = prefix.join(&digest.path).to_string_lossy().into_owned();
        let same = nanoup_engine::git::file_at(top, "HEAD", &path)
            .is_ok_and(|bytes| FileDigest::of(digest.path.clone(), &bytes) == *digest);
        (!same).then_some(path)
    })
}

/// Each update's edit, or why the engine refused it. `base` holds every file an edit touches,
/// as at `HEAD`, keyed by its path in the repository.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The base files.
    pub base: Files,
    /// One per update, in order.
    pub edits: Vec<Result<Edit, String>>,
}

/// Applies each of `updates` alone, by the engine (which proves its blast radius), in a scratch
/// worktree at `HEAD`, and keeps its edit of the files. `prefix` is the plan's directory inside
/// the repository; `digests` the plan's file digests.
pub fn prepare(
    workspace: &mut Workspace,
    session: &str,
    prefix: &Path,
    digests: &[FileDigest],
    updates: &[&NanoUpdate],
    fetch: RegistryFetch<'_>,
) -> Result<Prepared, VerifyError> {
    let scratch = workspace.add(&format!("{session}-prepare"), None)?;
    let root = scratch.join(prefix);
    let mut base = Files::new();
    let mut edits = Vec::with_capacity(updates.len());
    for update in updates {
        if INTERRUPTED.load(Ordering::SeqCst) {
            workspace.remove(&scratch);
            return Err(VerifyError::Interrupted);
        }
        let files = match apply(&root, digests, update, false, fetch) {
            Outcome::Applied { files, .. } => files,
            Outcome::Refused { reason } => {
                edits.push(Err(reason));
                continue;
            }
            Outcome::Planned { .. } => {
                edits.push(Err("not applied (dry run)".into()));
                continue;
            }
        };
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| VerifyError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let mut after = Files::new();
        for file in &files {
            let key = prefix.join(file).to_string_lossy().into_owned();
            after.insert(key, read(&root.join(file))?);
        }
        // Back to HEAD for the next update, and the base text of every file it touched.
        let mut restore = vec!["checkout", "--quiet", "HEAD", "--"];
        restore.extend(files.iter().map(String::as_str));
        git(&root, &restore)?;
        let mut mine = Files::new();
        for key in after.keys() {
            let text = read(&scratch.join(key))?;
            base.insert(key.clone(), text.clone());
            mine.insert(key.clone(), text);
        }
        edits.push(Ok(Edit::between(&mine, &after)));
    }
    workspace.remove(&scratch);
    Ok(Prepared { base, edits })
}

/// What landing did: the branch and the commits on it, oldest first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Landed {
    /// `nanoup/verified-<date>` (or the current branch, with `here`).
    pub branch: String,
    /// One per green update, in plan order.
    pub commits: Vec<String>,
}

/// Commits `greens` (in the order given), each on top of the previous and each alone with its
/// trailers, in a worktree on a new branch `nanoup/verified-<date>` (`-2`, `-3`, … when taken);
/// with `here`, on the current branch instead, fast-forwarded to the new commits.
pub fn land(
    workspace: &mut Workspace,
    top: &Path,
    prefix: &Path,
    greens: &[(&NanoUpdate, &Edit)],
    base: &Files,
    here: bool,
) -> Result<Landed, VerifyError> {
    let date = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let branch = if here {
        git(top, &["rev-parse", "--abbrev-ref", "HEAD"])?
            .trim()
            .to_string()
    } else {
        let mut name = format!("nanoup/verified-{date}");
        let mut n = 2;
        while git(top, &["rev-parse", "--verify", "--quiet", &name]).is_ok() {
            name = format!("nanoup/verified-{date}-{n}");
            n += 1;
        }
        name
    };
    let tree = workspace.add(
        &format!("land-{}", std::process::id()),
        (!here).then_some(branch.as_str()),
    )?;
    let mut commits = Vec::new();
    let mut laid: Vec<(usize, &Edit)> = Vec::new();
    for (i, (update, edit)) in greens.iter().enumerate() {
        laid.push((i, edit));
        let files = compose(base, &laid).map_err(|e| VerifyError::Land(e.to_string()))?;
        let mut touched = Vec::new();
        for path in edit.paths() {
            let target = tree.join(path);
            std::fs::write(&target, &files[path]).map_err(|source| VerifyError::Write {
                path: target.clone(),
                source,
            })?;
            let relative = Path::new(path)
                .strip_prefix(prefix)
                .unwrap_or(Path::new(path));
            touched.push(relative.to_string_lossy().into_owned());
        }
        let touched: Vec<&str> = touched.iter().map(String::as_str).collect();
        let message = nanoup_engine::git::message(update);
        let sha = nanoup_engine::git::commit(&tree.join(prefix), &touched, &message)
            .map_err(VerifyError::Land)?;
        commits.push(sha);
    }
    if here && let Some(last) = commits.last() {
        git(top, &["merge", "--ff-only", "--quiet", last]).map_err(|e| {
            VerifyError::Land(format!(
                "the green updates are committed ({last}), but the current branch could not \
                 move to them: {e}"
            ))
        })?;
    }
    workspace.remove(&tree);
    Ok(Landed { branch, commits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(kind: UpdateKind, from: &str) -> NanoUpdate {
        NanoUpdate {
            id: String::new(),
            stack: ".".into(),
            ecosystem: Ecosystem::Cargo,
            name: "x".into(),
            from: from.into(),
            to: String::new(),
            kind,
            reasons: vec![],
            manifest_change: false,
            blast_radius: vec![],
            file: "Cargo.lock".into(),
            steps: Vec::new(),
            pins: Vec::new(),
            also: Vec::new(),
        }
    }

    #[test]
    fn majors_then_minors_then_patches_and_zero_versions_first() {
        let mut updates = [
            update(UpdateKind::Patch, "1.2.3"),
            update(UpdateKind::Patch, "0.1.11"),
            update(UpdateKind::Minor, "1.1.0"),
            update(UpdateKind::Major, "v2.0.0"),
        ];
        updates.sort_by_key(risk);
        let order: Vec<&str> = updates.iter().map(|u| u.from.as_str()).collect();
        assert_eq!(order, ["v2.0.0", "1.1.0", "0.1.11", "1.2.3"]);
    }

    #[test]
    fn workspace_keys_are_readable_and_distinct() {
        let a = workspace_key(Path::new("/home/me/my project"));
        let b = workspace_key(Path::new("/srv/my project"));
        assert!(
            a.starts_with("my_project-") && a.len() == "my_project-".len() + 12,
            "{a}"
        );
        assert_ne!(a, b);
    }

    #[test]
    fn default_tests_per_ecosystem() {
        assert_eq!(
            default_test(Ecosystem::Cargo, "Cargo.lock").as_deref(),
            Some("cargo test --locked")
        );
        assert!(
            default_test(Ecosystem::PyPI, "backend/uv.lock")
                .unwrap()
                .starts_with("uv sync")
        );
        assert!(
            default_test(Ecosystem::PyPI, "requirements-dev.txt")
                .unwrap()
                .contains("pip install -q -r requirements-dev.txt")
        );
        assert_eq!(default_test(Ecosystem::Maven, "pom.xml"), None);
    }
}
