//! Applying one planned update to the files on disk, and proving it changed only what it named.
//!
//! The promise, checked after every edit: the lockfile is parsed before and after, and the
//! entries that differ must be exactly the update's blast radius. Anything else and the file is
//! put back as it was and the update is refused. Files are replaced atomically (temporary file +
//! rename), and an update whose lockfile changed since the plan is refused (re-plan first).
//!
//! This module holds the flow every ecosystem shares ([`apply`], the in-place edit, with or
//! without the registry's answer, the check against the blast radius, [`write_atomically`]);
//! each ecosystem's own way of making the change lives in a submodule (`cargo`, `npm`, `yarn`,
//! `pypi`, `golang`, `maven`, `docker`), and `tool` runs the external tools some of them call.

mod cargo;
mod docker;
mod golang;
mod maven;
mod npm;
mod pypi;
pub(crate) mod tool;
mod yarn;

use std::path::Path;

use nanoup_core::{Ecosystem, EntryChange, FileDigest, NanoUpdate};
use serde::{Deserialize, Serialize};

pub(crate) use self::docker::restore_pinned as restore_pinned_digest;

use self::cargo::apply_cargo;
use self::npm::{apply_npm, is_npm_lock};
use self::pypi::apply_pypi;

/// What happened to one update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Outcome {
    /// The files now hold the update; `changed` is the verified blast radius.
    Applied {
        /// The entries that changed (equal to the plan's blast radius).
        changed: Vec<EntryChange>,
        /// The files written, relative to the root (the lockfile, and a manifest when its
        /// requirement had to change).
        files: Vec<String>,
        /// How it was done (`cargo update --precise`, ...).
        method: String,
    },
    /// Nothing was changed (or the change was undone), for `reason`.
    Refused {
        /// Why, and what to do.
        reason: String,
    },
    /// `--dry-run`: what would be done.
    Planned {
        /// How it would be done.
        method: String,
    },
}

/// Fetches the registry's answer about the release an update moves to (its body), as configured
/// for a stack: apply needs registry data (file hashes, integrity, the release's dependencies, an
/// image's manifest) for the version it moves to. The per-release answer where the registry has
/// one (PyPI's per-version JSON, a Docker manifest), else the package's. Given by the caller,
/// which owns the network.
pub type RegistryFetch<'a> = &'a dyn Fn(&NanoUpdate) -> Result<Vec<u8>, String>;

/// Applies `update` under `root`, checking the lockfile against the plan's `digests` first.
/// An update that also names other files pinning the package (`also`) moves each the same way:
/// all of them or, on any refusal, none (every file put back).
pub fn apply(
    root: &Path,
    digests: &[FileDigest],
    update: &NanoUpdate,
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    if update.also.is_empty() {
        return apply_one(root, digests, update, dry_run, fetch);
    }
    let files: Vec<&String> = std::iter::once(&update.file).chain(&update.also).collect();
    let originals: Vec<(&String, Option<Vec<u8>>)> = files
        .iter()
        .map(|f| (*f, std::fs::read(root.join(f)).ok()))
        .collect();
    let paths: Vec<std::path::PathBuf> = originals.iter().map(|(f, _)| root.join(f)).collect();
    let restore = |reason: String| {
        let files: Vec<(&Path, &str, &[u8])> = originals
            .iter()
            .zip(&paths)
            .filter_map(|((file, bytes), path)| {
                Some((path.as_path(), file.as_str(), bytes.as_deref()?))
            })
            .collect();
        Outcome::Refused {
            reason: format!("{reason}{}", put_back(&files)),
        }
    };
    let (mut changed_all, mut files_all, mut method_all) = (Vec::new(), Vec::new(), None);
    for file in &files {
        let one = NanoUpdate {
            file: (*file).clone(),
            also: Vec::new(),
            ..update.clone()
        };
        match apply_one(root, digests, &one, dry_run, fetch) {
            Outcome::Applied {
                changed,
                files,
                method,
            } => {
                // Each file's entries count apart: the blast radius is one per file.
                changed_all.extend(changed.into_iter().map(|c| EntryChange {
                    path: Some((*file).clone()),
                    ..c
                }));
                files_all.extend(files);
                method_all.get_or_insert(method);
            }
            Outcome::Planned { method } => {
                method_all.get_or_insert(method);
            }
            Outcome::Refused { reason } => {
                return restore(format!(
                    "{file}: {reason}; every file of the update left as it was"
                ));
            }
        }
    }
    let method = format!(
        "{} (and the same in {})",
        method_all.unwrap_or_default(),
        update.also.join(", ")
    );
    if dry_run {
        return Outcome::Planned { method };
    }
    files_all.dedup();
    Outcome::Applied {
        changed: changed_all,
        files: files_all,
        method,
    }
}

/// [`apply`] for the update's one file.
fn apply_one(
    root: &Path,
    digests: &[FileDigest],
    update: &NanoUpdate,
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    let refuse = |reason: String| Outcome::Refused { reason };
    let lock_path = root.join(&update.file);
    let old = match std::fs::read(&lock_path) {
        Ok(bytes) => bytes,
        Err(e) => return refuse(format!("cannot read {}: {e}", update.file)),
    };
    match digests.iter().find(|d| d.path == update.file) {
        Some(d) if *d == FileDigest::of(update.file.clone(), &old) => {}
        Some(_) => {
            return refuse(format!(
                "{} changed since the plan; run `nanoup plan` again",
                update.file
            ));
        }
        None => {
            return refuse(format!(
                "the plan has no digest of {}; run `nanoup plan` again",
                update.file
            ));
        }
    }
    // npm: a manifest change goes through `npm install NAME@TO` (see `apply_npm`).
    let npm_lock = update.ecosystem == Ecosystem::Npm && is_npm_lock(&update.file);
    let manifest_edited =
        matches!(update.ecosystem, Ecosystem::Cargo | Ecosystem::PyPI) || npm_lock;
    if update.manifest_change && !manifest_edited {
        return refuse(format!(
            "{} {} needs a change of the manifest's requirement, which apply makes only for \
             Cargo, npm and Poetry so far; widen the requirement to allow {}, then plan again",
            update.name, update.from, update.to
        ));
    }
    match update.ecosystem {
        Ecosystem::Cargo => apply_cargo(root, update, &old, dry_run),
        Ecosystem::PyPI => apply_pypi(root, update, &old, dry_run, fetch),
        Ecosystem::Npm if npm_lock => apply_npm(root, update, &old, dry_run, fetch),
        Ecosystem::Npm if yarn::is_yarn_lock(&update.file) => {
            yarn::apply_yarn(root, update, &old, dry_run, fetch)
        }
        Ecosystem::Npm if yarn::is_pnpm_lock(&update.file) => {
            yarn::apply_pnpm(root, update, &old, dry_run, fetch)
        }
        Ecosystem::Go => golang::apply_go(root, update, &old, dry_run),
        Ecosystem::Maven => maven::apply_maven(root, update, &old, dry_run),
        Ecosystem::Docker => docker::apply_docker(root, update, &old, dry_run, fetch),
        other => refuse(format!("applying {other} updates is not available yet")),
    }
}

/// The registry's answer about the release a step of `update` moves to (or adds): `fetch`
/// asked for that package, as for an update of its own.
fn fetch_step(
    update: &NanoUpdate,
    step: &nanoup_core::Step,
    to: &str,
    fetch: RegistryFetch<'_>,
) -> Result<Vec<u8>, String> {
    let asked = NanoUpdate {
        name: step.name.clone(),
        from: step.from.clone().unwrap_or_default(),
        to: to.to_string(),
        ..update.clone()
    };
    fetch(&asked).map_err(|e| format!("cannot get {} from the registry: {e}", step.name))
}

/// The shape of every in-place edit from the registry's answer: fetch it, compute the new text
/// from the old, then [`edit_in_place`]. `edit` gets the old text and the registry's body and
/// says why it cannot edit. A dry run fetches nothing and says `method`.
#[allow(clippy::too_many_arguments)]
fn edit_from_registry(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
    method: String,
    edit: impl FnOnce(&str, &[u8]) -> Result<String, String>,
    diff: impl Fn(&str, &str) -> Result<Vec<EntryChange>, String>,
) -> Outcome {
    let refuse = |reason: String| Outcome::Refused { reason };
    if dry_run {
        return Outcome::Planned { method };
    }
    if std::str::from_utf8(old).is_err() {
        return refuse(not_utf8(update));
    }
    let body = match fetch(update) {
        Ok(body) => body,
        Err(e) => return refuse(format!("cannot get {} from the registry: {e}", update.name)),
    };
    let edit = |old_text: &str| Ok((edit(old_text, &body)?, method));
    edit_in_place(root, update, old, false, edit, diff)
}

/// The shape of an in-place edit of the update's file: `edit` computes the new text from the
/// old, with the method that says what it changed, or says why it cannot edit; the new text is
/// written atomically and kept only if `diff` finds exactly the blast radius. A dry run
/// computes the edit too (nothing is written), so it says whether the update would be refused.
fn edit_in_place(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    edit: impl FnOnce(&str) -> Result<(String, String), String>,
    diff: impl Fn(&str, &str) -> Result<Vec<EntryChange>, String>,
) -> Outcome {
    let refuse = |reason: String| Outcome::Refused { reason };
    let Ok(old_text) = std::str::from_utf8(old) else {
        return refuse(not_utf8(update));
    };
    let (new_text, method) = match edit(old_text) {
        Ok(edited) => edited,
        Err(reason) => return refuse(reason),
    };
    if dry_run {
        return Outcome::Planned { method };
    }
    let path = root.join(&update.file);
    if let Err(e) = write_atomically(&path, new_text.as_bytes()) {
        return refuse(format!("cannot write {}: {e}", update.file));
    }
    verify_or_restore(&path, &update.file, old, update, None, method, diff)
}

/// An in-place edit by an editor that needs nothing from the registry (a pom's version, a
/// Dockerfile's tag), through [`edit_in_place`]: `edit` gives the new text and what it changed,
/// for the method `in-place edit of FILE: WHAT`, or its refusal. `changed_entries(file, old,
/// new)` is the editor's blast-radius check, which reports the same package once per place of
/// the file: the blast radius names it once ([`each_once`]).
fn edit_text<R: std::fmt::Display, E: std::fmt::Display>(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    edit: impl FnOnce(&str) -> Result<(String, String), R>,
    changed_entries: impl Fn(&str, &str, &str) -> Result<Vec<EntryChange>, E>,
) -> Outcome {
    let file = update.file.as_str();
    let edit = |old_text: &str| {
        let (text, what) = edit(old_text).map_err(|refusal| refusal.to_string())?;
        Ok((text, format!("in-place edit of {file}: {what}")))
    };
    let diff = |old: &str, new: &str| {
        changed_entries(file, old, new)
            .map(each_once)
            .map_err(|e| e.to_string())
    };
    edit_in_place(root, update, old, dry_run, edit, diff)
}

/// Why an update whose file is not UTF-8 is refused.
fn not_utf8(update: &NanoUpdate) -> String {
    format!("{} is not UTF-8", update.file)
}

/// `changed` with each entry once, sorted: the same package at several places of a file (a
/// managed entry and a dependency following it, the stages of a Dockerfile) is one step, which
/// the blast radius names once. (The places of an npm tree carry their `path` and stay apart.)
fn each_once(mut changed: Vec<EntryChange>) -> Vec<EntryChange> {
    changed.sort();
    changed.dedup();
    changed
}

/// `changes` for a message: `NAME FROM -> TO` each, joined by commas, with `absent` for a
/// missing `from` and `(removed)` for a missing `to`; empty when there are none.
fn describe_changes<'a>(
    changes: impl IntoIterator<Item = &'a EntryChange>,
    absent: &str,
) -> String {
    changes
        .into_iter()
        .map(|c| {
            format!(
                "{} {} -> {}",
                c.name,
                c.from.as_deref().unwrap_or(absent),
                c.to.as_deref().unwrap_or(nanoup_core::REMOVED)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The directory of `path`, a file under `root`: `root` when the path has no parent.
fn directory_of<'a>(path: &'a Path, root: &'a Path) -> &'a Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(root)
}

/// The check behind the promise: compare the entries before and after; keep the new file only
/// when the difference is exactly the blast radius, else put the old bytes back.
fn verify_or_restore(
    path: &Path,
    name: &str,
    old: &[u8],
    update: &NanoUpdate,
    failure: Option<String>,
    method: String,
    diff: impl Fn(&str, &str) -> Result<Vec<EntryChange>, String>,
) -> Outcome {
    let restore = |reason: String| {
        let reason = match write_atomically(path, old) {
            Ok(()) => reason,
            Err(e) => format!("{reason}; and restoring {name} failed: {e}"),
        };
        Outcome::Refused { reason }
    };
    if let Some(reason) = failure {
        return restore(reason);
    }
    let new = match std::fs::read(path) {
        Ok(new) => new,
        Err(e) => return restore(format!("cannot read {name} after the edit: {e}")),
    };
    let (Ok(old_text), Ok(new_text)) = (std::str::from_utf8(old), std::str::from_utf8(&new)) else {
        return restore(format!("{name} is not UTF-8 after the edit"));
    };
    let mut changed = match diff(old_text, new_text) {
        Ok(changed) => changed,
        Err(e) => return restore(format!("cannot parse {name} after the edit: {e}")),
    };
    changed.sort();
    // The plan names steps; the edit may have made a step at several places (each counted).
    let (made, expected) = (
        EntryChange::steps(&changed),
        EntryChange::steps(&update.blast_radius),
    );
    if made != expected {
        let outside = describe_changes(made.iter().filter(|c| !expected.contains(c)), "(none)");
        return restore(format!(
            "the edit changed entries outside the blast radius ({}); {name} restored",
            if outside.is_empty() {
                "fewer entries than planned"
            } else {
                &outside
            }
        ));
    }
    // Rewrite what the tool wrote in place through a rename, so the final file is whole.
    if let Err(e) = write_atomically(path, &new) {
        return restore(format!("cannot write {name}: {e}"));
    }
    Outcome::Applied {
        changed,
        files: vec![name.to_string()],
        method,
    }
}

/// Puts each file (path, name shown, bytes) back as it was, leaving alone those that already
/// are; what could not be put back, to append to a refusal's reason (empty when all were).
fn put_back(files: &[(&Path, &str, &[u8])]) -> String {
    let mut failed = String::new();
    for (path, name, bytes) in files {
        if std::fs::read(path).ok().as_deref() != Some(*bytes)
            && let Err(e) = write_atomically(path, bytes)
        {
            failed.push_str(&format!(", but restoring {name} failed: {e}"));
        }
    }
    failed
}

/// Replaces `path` with `bytes` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = directory_of(path, Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
