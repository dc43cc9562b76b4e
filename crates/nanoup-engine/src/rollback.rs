//! Rolling back one update by its id, found again through its commit's trailers: the inverse
//! step (`to -> from`) of exactly the entries it changed, verified like any apply. A uv.lock
//! update is undone from git instead: the entries its commit changed are put back as the commit's
//! parent had them (byte for byte, also after uv's fallback changed several entries). So is a
//! poetry.lock update: its entry comes back as Poetry wrote it, not rewritten from the registry.
//!
//! A later update of the same package stands in the way (its entry no longer holds the version
//! the rollback starts from). [`cascade_order`] names those later updates, newest first, so that
//! a caller can roll them back one by one before the update itself (`nanoup rollback --cascade`);
//! [`rollback_after`] then treats the ones already undone in the work tree as gone, committed or
//! not.

use std::collections::BTreeSet;
use std::path::Path;

use nanoup_core::{Ecosystem, EntryChange, FileDigest, NanoUpdate, UpdateKind, parse_purl};
use nanoup_ecosystems::pypi::edit::FileKind;

use crate::apply::{Outcome, RegistryFetch, apply};
use crate::git;

/// What a rollback found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    /// The commit that applied the update.
    pub applied_in: String,
    /// The inverse update that was applied.
    pub inverse: NanoUpdate,
    /// What applying it did.
    pub outcome: Outcome,
}

/// One applied update, as its commit's trailers record it.
struct Applied {
    commit: String,
    ecosystem: Ecosystem,
    name: String,
    from: String,
    to: String,
}

/// Finds the commit that applied update `id` and reads its package trailer. Refuses when no
/// commit applied it or when it was already rolled back.
fn find_applied(root: &Path, id: &str) -> Result<Applied, String> {
    let applied = git::commits_with_trailer(root, git::UPDATE_TRAILER, id)?;
    let Some((commit, message)) = applied.into_iter().next() else {
        return Err(format!(
            "no commit carries `{}: {id}`; was the update applied with --commit?",
            git::UPDATE_TRAILER
        ));
    };
    if let Some((undone, _)) = git::commits_with_trailer(root, git::ROLLBACK_TRAILER, id)?
        .into_iter()
        .next()
    {
        return Err(format!(
            "update {id} was already rolled back in commit {}",
            short(&undone)
        ));
    }
    let package = git::trailer(&message, nanoup_core::PACKAGE_TRAILER)
        .ok_or_else(|| format!("commit {} has no Nanoup-Package trailer", short(&commit)))?;
    let (purl, to) = package.split_once(" -> ").ok_or_else(|| {
        format!(
            "cannot read `Nanoup-Package: {package}` in commit {}",
            short(&commit)
        )
    })?;
    let (ecosystem, name, from) = parse_purl(purl)
        .and_then(|(e, n, v)| Some((e, n, v?)))
        .ok_or_else(|| {
            format!(
                "cannot read the package URL {purl} in commit {}",
                short(&commit)
            )
        })?;
    Ok(Applied {
        to: to.trim().to_string(),
        commit,
        ecosystem,
        name,
        from,
    })
}

/// The updates committed after `applied` that changed the same package and still stand (not
/// rolled back in git, not in `undone`), newest first, as (id, commit).
fn later_standing(
    root: &Path,
    applied: &Applied,
    undone: &[String],
) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (later, later_message) in git::update_commits_since(root, &applied.commit)? {
        let same = git::trailer(&later_message, nanoup_core::PACKAGE_TRAILER)
            .and_then(|p| parse_purl(p.split(" -> ").next()?))
            .is_some_and(|(e, n, _)| e == applied.ecosystem && n == applied.name);
        if !same {
            continue;
        }
        let later_id = git::trailer(&later_message, git::UPDATE_TRAILER)
            .unwrap_or("?")
            .to_string();
        // A later update that was itself rolled back no longer stands in the way.
        if undone.contains(&later_id)
            || !git::commits_with_trailer(root, git::ROLLBACK_TRAILER, &later_id)?.is_empty()
        {
            continue;
        }
        out.push((later_id, later));
    }
    Ok(out)
}

/// The rollbacks `--cascade` makes for update `id`, in order: every later update of the same
/// package that still stands, newest first, then `id` itself. Refuses (before anything is
/// changed) when no commit applied `id` or when it was already rolled back.
pub fn cascade_order(root: &Path, id: &str) -> Result<Vec<String>, String> {
    let applied = find_applied(root, id)?;
    let mut order: Vec<String> = later_standing(root, &applied, &[])?
        .into_iter()
        .map(|(later_id, _)| later_id)
        .collect();
    order.push(id.to_string());
    Ok(order)
}

/// Rolls back update `id` in the repository at `root`. Refuses when no commit applied it, when
/// it was already rolled back, or when a later update changed the same package (naming it).
pub fn rollback(root: &Path, id: &str, fetch: RegistryFetch<'_>) -> Result<Rollback, String> {
    rollback_after(root, id, &[], fetch)
}

/// [`rollback`], where the updates in `undone` count as rolled back although no commit says so
/// yet (a cascade without `--commit` undoes them in the work tree only).
pub fn rollback_after(
    root: &Path,
    id: &str,
    undone: &[String],
    fetch: RegistryFetch<'_>,
) -> Result<Rollback, String> {
    let applied = find_applied(root, id)?;
    if let Some((later_id, later)) = later_standing(root, &applied, undone)?.into_iter().next() {
        return Err(format!(
            "a later update, {later_id} (commit {}), changed {} again; roll that one back \
             first, or pass --cascade to roll back the later updates too (newest first)",
            short(&later),
            applied.name
        ));
    }
    let Applied {
        commit,
        ecosystem,
        name,
        from,
        to,
    } = applied;
    let files = git::changed_files(root, &commit)?;
    let mut holding = files.into_iter().filter(|f| holds_versions(f));
    let file = holding
        .next()
        .ok_or_else(|| format!("commit {} changed no lockfile", short(&commit)))?;
    // Requirements files the update moved together (one including another): undone together.
    let also: Vec<String> = holding
        .filter(|f| {
            FileKind::of_path(f) == Some(FileKind::Requirements)
                && FileKind::of_path(&file) == Some(FileKind::Requirements)
        })
        .collect();
    let stack = match file.rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => ".".to_string(),
    };
    let inverse = NanoUpdate {
        id: NanoUpdate::id_for(&stack, ecosystem, &name, &to, &from),
        stack,
        ecosystem,
        kind: UpdateKind::between(&to, &from),
        reasons: vec![format!("rollback of {id}")],
        manifest_change: false,
        blast_radius: vec![EntryChange {
            name: name.clone(),
            from: Some(to.clone()),
            to: Some(from.clone()),
            path: None,
        }],
        file: file.clone(),
        steps: Vec::new(),
        pins: Vec::new(),
        also,
        name,
        from: to,
        to: from,
    };
    if FileKind::of_path(&file) == Some(FileKind::UvLock) {
        let mut inverse = inverse;
        let outcome = restore_uv_entries(root, &commit, &mut inverse);
        return Ok(Rollback {
            applied_in: commit,
            inverse,
            outcome,
        });
    }
    if ecosystem == Ecosystem::Docker
        && let Some(digest) = pinned_digest(root, &commit, &file, &inverse.name, &inverse.to)
    {
        let bytes =
            std::fs::read(root.join(&file)).map_err(|e| format!("cannot read {file}: {e}"))?;
        let outcome = crate::apply::restore_pinned_digest(root, &inverse, &bytes, &digest);
        return Ok(Rollback {
            applied_in: commit,
            inverse,
            outcome,
        });
    }
    if ecosystem == Ecosystem::Cargo && moved_more_than_one_entry(root, &commit, &file) {
        let mut inverse = inverse;
        let outcome = restore_cargo_entries(root, &commit, &mut inverse);
        return Ok(Rollback {
            applied_in: commit,
            inverse,
            outcome,
        });
    }
    let mut inverse = inverse;
    if ecosystem == Ecosystem::Npm
        && let Some(outcome) = restore_npm_entries(root, &commit, &mut inverse)
    {
        return Ok(Rollback {
            applied_in: commit,
            inverse,
            outcome,
        });
    }
    if FileKind::of_path(&file) == Some(FileKind::Requirements)
        && inverse.also.is_empty()
        && let Some(outcome) = restore_requirement_pins(root, &commit, &mut inverse)
    {
        return Ok(Rollback {
            applied_in: commit,
            inverse,
            outcome,
        });
    }
    if FileKind::of_path(&file) == Some(FileKind::PoetryLock) {
        let outcome = restore_poetry_entry(root, &commit, &mut inverse);
        return Ok(Rollback {
            applied_in: commit,
            inverse,
            outcome,
        });
    }
    let mut digests = Vec::new();
    for f in std::iter::once(&file).chain(&inverse.also) {
        let bytes = std::fs::read(root.join(f)).map_err(|e| format!("cannot read {f}: {e}"))?;
        digests.push(FileDigest::of(f.clone(), &bytes));
    }
    let outcome = apply(root, &digests, &inverse, false, fetch);
    Ok(Rollback {
        applied_in: commit,
        inverse,
        outcome,
    })
}

/// The text `manifest` had before `commit` when the commit changed it (a manifest change beside
/// its lockfile), to be put back with the lockfile's entries: `None` when the commit left it
/// alone, an error when it changed again since.
fn manifest_to_restore(
    root: &Path,
    commit: &str,
    manifest: &str,
) -> Result<Option<String>, String> {
    let changed = git::changed_files(root, commit)?;
    if !changed.iter().any(|f| f == manifest) {
        return Ok(None);
    }
    let (old, new, now) = texts_around(root, commit, manifest)?;
    if now != new {
        return Err(format!(
            "{manifest} changed again after commit {}; revert that change first",
            short(commit)
        ));
    }
    Ok(Some(old))
}

/// Writes the restored lockfile `file` and each manifest's old text; on a failure puts back
/// what was written (the lockfile's `current` text, the manifests as they are) and says why.
fn write_restored(
    root: &Path,
    file: &str,
    restored: &str,
    current: &str,
    manifests: &[(String, String)],
) -> Result<(), String> {
    let lock_path = root.join(file);
    let now: Vec<Option<Vec<u8>>> = manifests
        .iter()
        .map(|(path, _)| std::fs::read(root.join(path)).ok())
        .collect();
    let mut written = crate::apply::write_atomically(&lock_path, restored.as_bytes());
    for (path, old) in manifests {
        written = written.and(crate::apply::write_atomically(
            &root.join(path),
            old.as_bytes(),
        ));
    }
    written.map_err(|e| {
        let _ = crate::apply::write_atomically(&lock_path, current.as_bytes());
        for ((path, _), bytes) in manifests.iter().zip(&now) {
            if let Some(bytes) = bytes {
                let _ = crate::apply::write_atomically(&root.join(path), bytes);
            }
        }
        format!("cannot write the restored files: {e}; every file left as it was")
    })
}

/// The text of `path` at `revision` (`git show REVISION:PATH`).
fn file_at(root: &Path, revision: &str, path: &str) -> Result<String, String> {
    let bytes = git::file_at(root, revision, path)?;
    String::from_utf8(bytes).map_err(|_| format!("{path} at {revision} is not UTF-8"))
}

/// A uv.lock update (in place, or uv's relock spliced in with a larger blast radius) is undone
/// by putting back the entries its commit changed exactly as the commit's parent had them: no
/// registry and no resolver, and the entries come back byte for byte. Refused when a later
/// commit changed one of those entries again, or when the update changed more than entries.
/// `inverse.blast_radius` becomes the entries restored.
fn restore_uv_entries(root: &Path, commit: &str, inverse: &mut NanoUpdate) -> Outcome {
    use nanoup_ecosystems::pypi::{edit, relock};
    let file = inverse.file.clone();
    let refuse = |reason: String| Outcome::Refused { reason };
    let (before, after, current) = match texts_around(root, commit, &file) {
        Ok(texts) => texts,
        Err(e) => return refuse(e),
    };
    let changed = |old: &str, new: &str| {
        edit::changed_entries(FileKind::UvLock, &file, old, new).map_err(|e| e.to_string())
    };
    let applied = match changed(&before, &after) {
        Ok(changes) => changes,
        Err(e) => {
            return refuse(format!(
                "cannot compare {file} before and after commit {}: {e}",
                short(commit)
            ));
        }
    };
    let pyproject = nanoup_ecosystems::join(nanoup_ecosystems::dir_of(&file), "pyproject.toml");
    let manifests: Vec<(String, String)> = match manifest_to_restore(root, commit, &pyproject) {
        Ok(old) => old.map(|old| (pyproject, old)).into_iter().collect(),
        Err(e) => return refuse(e),
    };
    if current == after {
        // Nothing changed the lockfile since the commit: it comes back whole, as the commit's
        // parent had it (uv's relock may also have changed tables such as
        // `[resolution-markers]`).
        if let Err(e) = write_restored(root, &file, &before, &current, &manifests) {
            return refuse(e);
        }
        let expected = undone(&applied);
        inverse.blast_radius = expected.clone();
        let mut files = vec![file.clone()];
        files.extend(manifests.into_iter().map(|(path, _)| path));
        return Outcome::Applied {
            changed: expected,
            files,
            method: format!(
                "{file} put back as it was before commit {} (unchanged since)",
                short(commit)
            ),
        };
    }
    if let Some(other) = applied.iter().find(|c| c.name.starts_with('[')) {
        return refuse(format!(
            "commit {} changed {} of {file} as well as entries, and {file} changed since; \
             revert it by hand",
            short(commit),
            other.name
        ));
    }
    let names: BTreeSet<String> = applied.iter().map(|c| c.name.clone()).collect();
    let since = match changed(&after, &current) {
        Ok(changes) => changes,
        Err(e) => return refuse(format!("cannot read {file}: {e}")),
    };
    let again: Vec<String> = since
        .iter()
        .filter(|c| names.contains(&c.name))
        .map(|c| c.name.clone())
        .collect();
    if !again.is_empty() {
        return refuse(format!(
            "{} changed again in {file} after commit {} (by hand or by another update); roll \
             back or revert that change first",
            again.join(", "),
            short(commit)
        ));
    }
    let expected = undone(&applied);
    let restored = match relock::splice_entries(&file, &current, &before, &names) {
        Ok(text) => text,
        Err(e) => return refuse(format!("cannot put the old entries back into {file}: {e}")),
    };
    match changed(&current, &restored) {
        Ok(mut done) => {
            done.sort();
            if done != expected {
                return refuse(format!(
                    "putting back the entries of commit {} would change {done:?}, not {expected:?}; {file} left as it is",
                    short(commit)
                ));
            }
        }
        Err(e) => return refuse(format!("cannot parse the restored {file}: {e}")),
    }
    if let Err(e) = write_restored(root, &file, &restored, &current, &manifests) {
        return refuse(e);
    }
    inverse.blast_radius = expected.clone();
    let mut files = vec![file.clone()];
    files.extend(manifests.into_iter().map(|(path, _)| path));
    Outcome::Applied {
        changed: expected,
        files,
        method: format!(
            "entries {} of {file} put back as they were before commit {}",
            names.into_iter().collect::<Vec<_>>().join(", "),
            short(commit)
        ),
    }
}

/// Whether the Cargo update of `commit` changed more than one entry of `file` or a manifest
/// (a group update, companions, a manifest change): it is undone from git, not by an inverse
/// step.
fn moved_more_than_one_entry(root: &Path, commit: &str, file: &str) -> bool {
    let manifests = git::changed_files(root, commit)
        .is_ok_and(|files| files.iter().any(|f| f.ends_with("Cargo.toml")));
    let entries = texts_around(root, commit, file).is_ok_and(|(before, after, _)| {
        nanoup_ecosystems::cargo::edit::changed_entries(file, &before, &after)
            .is_ok_and(|c| c.len() > 1)
    });
    manifests || entries
}

/// A Cargo update that moved several entries (and maybe manifests) is undone by putting back
/// every entry its commit changed as the commit's parent had it, byte for byte, and each
/// manifest it changed (when nothing changed it since); Cargo must accept the result. Refused,
/// with every file left as it was, when a later change touched one of those entries or
/// manifests. `inverse.blast_radius` becomes the entries restored.
fn restore_cargo_entries(root: &Path, commit: &str, inverse: &mut NanoUpdate) -> Outcome {
    use nanoup_ecosystems::cargo::{edit, splice};
    let file = inverse.file.clone();
    let refuse = |reason: String| Outcome::Refused { reason };
    let (before, after, current) = match texts_around(root, commit, &file) {
        Ok(texts) => texts,
        Err(e) => return refuse(e),
    };
    let restored = match splice::revert_update(&current, &before, &after) {
        Ok(text) => text,
        Err(e) => {
            return refuse(format!(
                "cannot undo commit {} in {file}: {e}",
                short(commit)
            ));
        }
    };
    let mut manifests = Vec::new();
    for changed in git::changed_files(root, commit).unwrap_or_default() {
        if !changed.ends_with("Cargo.toml") {
            continue;
        }
        let old = match manifest_to_restore(root, commit, &changed) {
            Ok(Some(old)) => old,
            Ok(None) => continue,
            Err(e) => return refuse(e),
        };
        let Ok(now) = std::fs::read_to_string(root.join(&changed)) else {
            return refuse(format!("cannot read {changed}"));
        };
        manifests.push((changed, old, now));
    }
    let done = match edit::changed_entries(&file, &current, &restored) {
        Ok(done) => done,
        Err(e) => return refuse(format!("cannot parse the restored {file}: {e}")),
    };
    let lock_path = root.join(&file);
    let write_all = |lock: &str, manifests: &[(String, String, String)], old: bool| {
        let mut result = crate::apply::write_atomically(&lock_path, lock.as_bytes());
        for (path, before, now) in manifests {
            let text = if old { before } else { now };
            result = result.and(crate::apply::write_atomically(
                &root.join(path),
                text.as_bytes(),
            ));
        }
        result
    };
    if let Err(e) = write_all(&restored, &manifests, true) {
        let _ = write_all(&current, &manifests, false);
        return refuse(format!("cannot write the restored files: {e}"));
    }
    let dir = lock_path.parent().unwrap_or(root);
    if let Err(e) = crate::cargo::check_lock(dir) {
        let _ = write_all(&current, &manifests, false);
        return refuse(format!("{e}; every file left as it was"));
    }
    inverse.blast_radius = done.clone();
    let mut files = vec![file.clone()];
    files.extend(manifests.iter().map(|(path, _, _)| path.clone()));
    Outcome::Applied {
        changed: done,
        files,
        method: format!(
            "the entries commit {} changed in {file} put back as they were before it",
            short(commit)
        ),
    }
}

/// A requirements update that moved several pins (a group with its companions, added pins) is
/// undone by putting back every pin its commit changed as the commit's parent had it (its whole
/// line, hashes included), removing the pins it added. `None` when the commit moved one pin
/// (the inverse update is applied instead). Refused, the file left as it was, when a later
/// change touched one of those pins.
fn restore_requirement_pins(
    root: &Path,
    commit: &str,
    inverse: &mut NanoUpdate,
) -> Option<Outcome> {
    use nanoup_ecosystems::pypi::edit::{changed_entries, restore_pins};
    let file = inverse.file.clone();
    let refuse = |reason: String| Some(Outcome::Refused { reason });
    let (before, after, current) = match texts_around(root, commit, &file) {
        Ok(texts) => texts,
        Err(e) => return refuse(e),
    };
    let moved = match changed_entries(FileKind::Requirements, &file, &before, &after) {
        Ok(moved) => moved,
        Err(e) => {
            return refuse(format!(
                "cannot read {file} around commit {}: {e}",
                short(commit)
            ));
        }
    };
    if moved.len() < 2 {
        return None;
    }
    let since = match changed_entries(FileKind::Requirements, &file, &after, &current) {
        Ok(since) => since,
        Err(e) => return refuse(format!("cannot read {file}: {e}")),
    };
    if let Some(touched) = since
        .iter()
        .find(|c| moved.iter().any(|m| m.name == c.name))
    {
        return refuse(format!(
            "{} changed in {file} since commit {}; roll that change back first",
            touched.name,
            short(commit)
        ));
    }
    let names: Vec<String> = moved.iter().map(|m| m.name.clone()).collect();
    let restored = match restore_pins(&file, &before, &current, &names) {
        Ok(text) => text,
        Err(e) => {
            return refuse(format!(
                "cannot undo commit {} in {file}: {e}",
                short(commit)
            ));
        }
    };
    let done = match changed_entries(FileKind::Requirements, &file, &current, &restored) {
        Ok(done) => done,
        Err(e) => return refuse(format!("cannot parse the restored {file}: {e}")),
    };
    let mut undo: Vec<EntryChange> = moved
        .iter()
        .map(|m| EntryChange {
            name: m.name.clone(),
            from: m.to.clone(),
            to: m.from.clone(),
            path: None,
        })
        .collect();
    undo.sort();
    if done != undo {
        return refuse(format!(
            "putting back the pins of commit {} would change {done:?} in {file}, not {undo:?}",
            short(commit)
        ));
    }
    if let Err(e) = crate::apply::write_atomically(&root.join(&file), restored.as_bytes()) {
        return refuse(format!("cannot write {file}: {e}"));
    }
    inverse.blast_radius = done.clone();
    Some(Outcome::Applied {
        changed: done,
        files: vec![file.clone()],
        method: format!(
            "the pins commit {} changed in {file} put back as they were before it",
            short(commit)
        ),
    })
}

/// An npm update that moved several install locations (a group with its parents, npm's
/// fallback, a package installed at several places) or package.json is undone by putting back
/// every location its commit changed as the commit's parent had it, byte for byte, and
/// package.json when nothing changed it since. `None` when the commit moved one location and
/// left package.json alone, or the lockfile is of version 1 (the inverse update is applied
/// instead). Refused, every file left as it was, when a later change touched one of those
/// locations or package.json.
fn restore_npm_entries(root: &Path, commit: &str, inverse: &mut NanoUpdate) -> Option<Outcome> {
    use nanoup_ecosystems::npm::edit;
    let file = inverse.file.clone();
    let refuse = |reason: String| Some(Outcome::Refused { reason });
    let (before, after, current) = texts_around(root, commit, &file).ok()?;
    let moved = edit::changed_entries(&before, &after).ok()?;
    let manifest = nanoup_ecosystems::join(nanoup_ecosystems::dir_of(&file), "package.json");
    let old_manifest = match manifest_to_restore(root, commit, &manifest) {
        Ok(old) => old,
        Err(e) => return refuse(e),
    };
    if moved.len() <= 1 && old_manifest.is_none() {
        return None;
    }
    let restored = edit::splice_npm_changes(&current, &after, &before).ok()?;
    let later = match edit::changed_entries(&after, &current) {
        Ok(later) => later,
        Err(e) => return refuse(format!("cannot parse {file}: {e}")),
    };
    if let Some(again) = later
        .iter()
        .find(|c| moved.iter().any(|m| m.path == c.path && m.name == c.name))
    {
        return refuse(format!(
            "{} at {} changed again after commit {}; roll that change back first",
            again.name,
            again.path.as_deref().unwrap_or("(top level)"),
            short(commit)
        ));
    }
    let manifests: Vec<(String, String)> = old_manifest
        .map(|old| (manifest, old))
        .into_iter()
        .collect();
    let done = match edit::changed_entries(&current, &restored) {
        Ok(done) => done,
        Err(e) => return refuse(format!("cannot parse the restored {file}: {e}")),
    };
    let expected = undone(&moved);
    if done != expected {
        return refuse(format!(
            "putting back the locations commit {} changed would change other entries of {file}",
            short(commit)
        ));
    }
    if let Err(e) = write_restored(root, &file, &restored, &current, &manifests) {
        return refuse(e);
    }
    inverse.blast_radius = done.clone();
    let mut files = vec![file.clone()];
    files.extend(manifests.into_iter().map(|(path, _)| path));
    Some(Outcome::Applied {
        changed: done,
        files,
        method: format!(
            "the locations commit {} changed in {file} put back as they were before it",
            short(commit)
        ),
    })
}

/// A poetry.lock update is undone by putting back every entry its commit moved (the target's,
/// and a group's companions), each as the commit's parent had it (with its `[metadata.files]`
/// list in a lock of format 1): byte for byte, without the registry, whose `requires_dist` of
/// the old release may be written otherwise than Poetry wrote it. Refused when the commit did
/// more than move versions (one of them the target's), or an entry is no longer at the version
/// the commit gave it. `inverse.blast_radius` becomes the entries restored.
fn restore_poetry_entry(root: &Path, commit: &str, inverse: &mut NanoUpdate) -> Outcome {
    use nanoup_ecosystems::pypi::{edit, manifest_edit, poetry_entry};
    let file = inverse.file.as_str();
    let refuse = |reason: String| Outcome::Refused { reason };
    let (before, after, current) = match texts_around(root, commit, file) {
        Ok(texts) => texts,
        Err(e) => return refuse(e),
    };
    // A manifest change also changed pyproject.toml and the lock's content-hash: both come
    // back too (the hash compared apart from the entries).
    let pyproject = nanoup_ecosystems::join(nanoup_ecosystems::dir_of(file), "pyproject.toml");
    let manifest = match manifest_to_restore(root, commit, &pyproject) {
        Ok(manifest) => manifest,
        Err(e) => return refuse(e),
    };
    let hash_before = manifest_edit::lock_content_hash(&before).unwrap_or_default();
    let unhashed = |text: &str| match &manifest {
        Some(_) => manifest_edit::with_content_hash(text, &hash_before),
        None => Ok(text.to_string()),
    };
    let changed = |old: &str, new: &str| {
        let new = unhashed(new)?;
        edit::changed_entries(FileKind::PoetryLock, file, old, &new).map_err(|e| e.to_string())
    };
    // What the commit applied: the target's entry, and a group's companions, each a version
    // move; the inverse puts each back.
    let target = EntryChange {
        name: inverse.name.clone(),
        from: Some(inverse.to.clone()),
        to: Some(inverse.from.clone()),
        path: None,
    };
    match changed(&before, &after) {
        Ok(changes)
            if changes.contains(&target)
                && changes.iter().all(|c| c.from.is_some() && c.to.is_some()) =>
        {
            inverse.blast_radius = undone(&changes);
        }
        Ok(changes) => {
            return refuse(format!(
                "commit {} changed {changes:?} in {file}, not the entries of an update of {} \
                 (its own and its companions' versions); revert it by hand",
                short(commit),
                inverse.name
            ));
        }
        Err(e) => {
            return refuse(format!(
                "cannot compare {file} before and after commit {}: {e}",
                short(commit)
            ));
        }
    }
    let mut restored = current.clone();
    for entry in &inverse.blast_radius {
        let (Some(now), Some(was)) = (&entry.from, &entry.to) else {
            continue; // every one is a version move (checked above)
        };
        restored =
            match poetry_entry::restore_entry(file, &restored, &before, &entry.name, now, was) {
                Ok(text) => text,
                Err(e) => {
                    return refuse(format!(
                        "cannot put the old entry of {} back into {file}: {e}",
                        entry.name
                    ));
                }
            };
    }
    let restored = match &manifest {
        Some(_)
            if manifest_edit::lock_content_hash(&current)
                != manifest_edit::lock_content_hash(&after) =>
        {
            return refuse(format!(
                "{file}'s content-hash changed again after commit {}; revert that change first",
                short(commit)
            ));
        }
        Some(_) => match manifest_edit::with_content_hash(&restored, &hash_before) {
            Ok(text) => text,
            Err(e) => return refuse(format!("{file}: {e}")),
        },
        None => restored,
    };
    let compared = match &manifest {
        Some(_) => unhashed(&current),
        None => Ok(current.clone()),
    };
    let done = compared.and_then(|current| changed(&current, &restored));
    match done.map(|mut done| {
        done.sort();
        done
    }) {
        Ok(done) if done == inverse.blast_radius => {}
        Ok(done) => {
            return refuse(format!(
                "putting back the entry of commit {} would change {done:?}, not {:?}; {file} \
                 left as it is",
                short(commit),
                inverse.blast_radius
            ));
        }
        Err(e) => return refuse(format!("cannot parse the restored {file}: {e}")),
    }
    let manifests: Vec<(String, String)> =
        manifest.map(|old| (pyproject, old)).into_iter().collect();
    if let Err(e) = write_restored(root, file, &restored, &current, &manifests) {
        return refuse(e);
    }
    let mut files = vec![file.to_string()];
    files.extend(manifests.into_iter().map(|(path, _)| path));
    Outcome::Applied {
        changed: inverse.blast_radius.clone(),
        files,
        method: format!(
            "entry {} of {file} put back as it was before commit {}",
            inverse.name,
            short(commit)
        ),
    }
}

/// The digest the Dockerfile `file` pinned for image `name` at `tag` before `commit` (in the
/// commit's parent), if it pinned one: a rollback puts that digest back.
fn pinned_digest(root: &Path, commit: &str, file: &str, name: &str, tag: &str) -> Option<String> {
    use nanoup_ecosystems::docker::{Base, parse_dockerfile};
    let before = file_at(root, &format!("{commit}^"), file).ok()?;
    let dockerfile = parse_dockerfile(file, &before).ok()?;
    dockerfile
        .stages
        .iter()
        .find_map(|stage| match &stage.base {
            Base::Image {
                name: image,
                tag: Some(written),
                digest: Some(digest),
            } if image == name && written == tag => Some(digest.clone()),
            _ => None,
        })
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// Whether `path` is a file an update writes its version into: a lockfile, a requirements
/// file, a pom.xml, a Dockerfile or a go.mod (not a manifest whose range an update widened
/// beside its lockfile).
fn holds_versions(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    nanoup_ecosystems::is_lockfile(path)
        || name.ends_with(".txt")
        || name == "pom.xml"
        || name == "go.mod"
        || name.starts_with("Dockerfile")
}

/// `file` before `commit`, at `commit`, and in the work tree now.
fn texts_around(root: &Path, commit: &str, file: &str) -> Result<(String, String, String), String> {
    let before = file_at(root, &format!("{commit}^"), file)?;
    let after = file_at(root, commit, file)?;
    let current =
        std::fs::read_to_string(root.join(file)).map_err(|e| format!("cannot read {file}: {e}"))?;
    Ok((before, after, current))
}

/// The entries `changes` moved, turned round (what undoing them moves), sorted.
fn undone(changes: &[EntryChange]) -> Vec<EntryChange> {
    let mut undone: Vec<EntryChange> = changes
        .iter()
        .map(|c| EntryChange {
            from: c.to.clone(),
            to: c.from.clone(),
            ..c.clone()
        })
        .collect();
    undone.sort();
    undone
}
