//! Applying one planned update to the files on disk, and proving it changed only what it named.
//!
//! The promise, checked after every edit: the lockfile is parsed before and after, and the
//! entries that differ must be exactly the update's blast radius. Anything else and the file is
//! put back as it was and the update is refused. Files are replaced atomically (temporary file +
//! rename), and an update whose lockfile changed since the plan is refused (re-plan first).

use std::path::Path;
use std::process::Command;

use nanoup_core::{Ecosystem, EntryChange, FileDigest, NanoUpdate};
use serde::{Deserialize, Serialize};

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

/// Fetches the registry's answer about a package (its body), as configured for a stack: apply
/// needs registry data (file hashes, integrity) for the version it moves to. Given by the caller,
/// which owns the network.
pub type RegistryFetch<'a> = &'a dyn Fn(&NanoUpdate) -> Result<Vec<u8>, String>;

/// Applies `update` under `root`, checking the lockfile against the plan's `digests` first.
pub fn apply(
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
    if update.manifest_change && update.ecosystem != Ecosystem::Cargo {
        return refuse(format!(
            "{} {} needs a change of the manifest's requirement, which apply makes only for Cargo \
             so far; widen the requirement to allow {}, then plan again",
            update.name, update.from, update.to
        ));
    }
    match update.ecosystem {
        Ecosystem::Cargo => apply_cargo(root, update, &old, dry_run),
        Ecosystem::PyPI => apply_pypi(root, update, &old, dry_run, fetch),
        Ecosystem::Npm
            if update.file.ends_with("package-lock.json")
                || update.file.ends_with("npm-shrinkwrap.json") =>
        {
            apply_npm(root, update, &old, dry_run, fetch)
        }
        other => refuse(format!("applying {other} updates is not available yet")),
    }
}

/// The shape of every in-place edit: fetch the registry's answer about the package, compute the
/// new text from the old, write it atomically, then keep it only if `diff` finds exactly the
/// blast radius. `edit` gets the old text and the registry's body and says why it cannot edit.
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
    let Ok(old_text) = std::str::from_utf8(old) else {
        return refuse(format!("{} is not UTF-8", update.file));
    };
    let body = match fetch(update) {
        Ok(body) => body,
        Err(e) => return refuse(format!("cannot get {} from the registry: {e}", update.name)),
    };
    let new_text = match edit(old_text, &body) {
        Ok(text) => text,
        Err(reason) => return refuse(reason),
    };
    let path = root.join(&update.file);
    if let Err(e) = write_atomically(&path, new_text.as_bytes()) {
        return refuse(format!("cannot write {}: {e}", update.file));
    }
    verify_or_restore(&path, &update.file, old, update, None, method, diff)
}

/// npm: the package-lock entries of the package, edited in place from the registry's manifest of
/// the new version, when every dependent's range accepts it and its own dependencies are
/// satisfied by the tree; otherwise refused with the dependent or dependency that blocks it.
fn apply_npm(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::npm::{edit, registry};
    let method = format!(
        "in-place edit of {} from the registry's manifest of {}@{}",
        update.file, update.name, update.to
    );
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let manifest = registry::version_manifest(&update.name, body, &update.to).map_err(|e| {
            format!(
                "cannot read {}@{} from the registry's answer: {e}",
                update.name, update.to
            )
        })?;
        edit::plan_edit(old_text, &update.name, &update.from, &manifest)
            .map(|planned| planned.new_text)
            .map_err(|refusal| {
                format!(
                    "{refusal} (npm's own `npm install {}@{} --package-lock-only --ignore-scripts` fallback is not wired yet)",
                    update.name, update.to
                )
            })
    };
    // One package can be installed at several places of the tree: each place is an entry, all
    // moving from `from` to `to`; the blast radius names the step once.
    let diff = |old: &str, new: &str| {
        let mut changed = edit::changed_entries(old, new).map_err(|e| e.to_string())?;
        changed.sort();
        changed.dedup();
        Ok(changed)
    };
    edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff)
}

/// PyPI: requirements pins (and their `--hash` values), poetry.lock and uv.lock entries, edited
/// in place from the registry's file list for the new version.
fn apply_pypi(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::pypi::edit::{self, FileKind};
    let Some(kind) = FileKind::of_path(&update.file) else {
        return Outcome::Refused {
            reason: format!(
                "{} is not a file nanoup edits (requirements, poetry.lock, uv.lock)",
                update.file
            ),
        };
    };
    let method = format!("in-place edit of {} from PyPI's file list", update.file);
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let files = nanoup_ecosystems::pypi::registry::parse_files(body)
            .map_err(|e| format!("cannot read the registry's answer for {}: {e}", update.name))?
            .remove(&update.to)
            .unwrap_or_default();
        let (file, name, from, to) = (
            update.file.as_str(),
            update.name.as_str(),
            update.from.as_str(),
            update.to.as_str(),
        );
        let edited = match kind {
            FileKind::Requirements => {
                edit::edit_requirements(file, old_text, name, from, to, &files)
            }
            FileKind::PoetryLock => edit::edit_poetry_lock(file, old_text, name, from, to, &files),
            FileKind::UvLock => edit::edit_uv_lock(file, old_text, name, from, to, &files),
        }
        .map_err(|refusal| refusal.to_string())?;
        if edited.needs_fallback() {
            let caveats: Vec<String> = edited.caveats.iter().map(|c| c.to_string()).collect();
            return Err(format!(
                "{}; the resolver fallback (`uv lock --upgrade-package` / `poetry lock`) is not available yet",
                caveats.join("; ")
            ));
        }
        Ok(edited.text)
    };
    let diff = |old: &str, new: &str| {
        edit::changed_entries(kind, &update.file, old, new).map_err(|e| e.to_string())
    };
    edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff)
}

fn apply_cargo(root: &Path, update: &NanoUpdate, old: &[u8], dry_run: bool) -> Outcome {
    let method = format!(
        "cargo update -p {}@{} --precise {}",
        update.name, update.from, update.to
    );
    if dry_run {
        return Outcome::Planned { method };
    }
    let lock_path = root.join(&update.file);
    let dir = lock_path.parent().unwrap_or(root);
    let manifests = if update.manifest_change {
        match widen_manifests(root, dir, update) {
            Ok(manifests) => manifests,
            Err(reason) => return Outcome::Refused { reason },
        }
    } else {
        Vec::new()
    };
    let mut failure = cargo_precise(dir, &update.name, &update.from, &update.to);
    // With a widened requirement Cargo first re-resolves the crate to its newest match; step it
    // back to the planned version.
    if failure.is_none()
        && update.manifest_change
        && let Ok(resolved) = std::fs::read_to_string(&lock_path)
        && let Ok(entries) = nanoup_ecosystems::cargo::edit::lock_entries(&update.file, &resolved)
        && !entries
            .iter()
            .any(|(n, v)| n == &update.name && v == &update.to)
        && let Some((_, newest)) = entries
            .iter()
            .find(|(n, v)| n == &update.name && v != &update.from)
    {
        failure = cargo_precise(dir, &update.name, newest, &update.to);
    }
    if failure.is_none() {
        failure = splice_cargo(&lock_path, old, update).err();
    }
    let outcome = verify_or_restore(
        &lock_path,
        &update.file,
        old,
        update,
        failure,
        method,
        |old, new| {
            let names: Vec<&str> = update
                .blast_radius
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            nanoup_ecosystems::cargo::edit::untouched_outside(old, new, &names)?;
            nanoup_ecosystems::cargo::edit::changed_entries(&update.file, old, new)
                .map_err(|e| e.to_string())
        },
    );
    match outcome {
        Outcome::Applied {
            changed,
            mut files,
            method,
        } => {
            files.extend(manifests.iter().map(|(rel, _, _)| rel.clone()));
            let method = if manifests.is_empty() {
                method
            } else {
                format!(
                    "requirement set to {} in {}, then {method}",
                    update.to,
                    manifests
                        .iter()
                        .map(|(rel, _, _)| rel.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            Outcome::Applied {
                changed,
                files,
                method,
            }
        }
        refused => {
            // The lockfile is back; put the manifests back too.
            for (_, path, bytes) in &manifests {
                let _ = write_atomically(path, bytes);
            }
            refused
        }
    }
}

/// Runs `cargo update -p NAME@FROM --precise TO` in `dir`; the failure's last lines, if any.
fn cargo_precise(dir: &Path, name: &str, from: &str, to: &str) -> Option<String> {
    let spec = format!("{name}@{from}");
    let ran = Command::new("cargo")
        .args(["update", "-p", &spec, "--precise", to])
        .current_dir(dir)
        .env("CARGO_TERM_COLOR", "never")
        .output();
    match ran {
        Err(e) => Some(format!("cannot run cargo: {e}")),
        Ok(out) if !out.status.success() => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(4).collect();
            Some(format!(
                "`cargo update -p {spec} --precise {to}` failed: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ))
        }
        Ok(_) => None,
    }
}

/// Sets the requirement on `update.name` to `update.to` in every Cargo.toml under the stack that
/// declares it (formatting and comments kept), and returns (path relative to root, path, old
/// bytes) of each file changed, for the commit and for restoring.
fn widen_manifests(
    root: &Path,
    dir: &Path,
    update: &NanoUpdate,
) -> Result<Vec<(String, std::path::PathBuf, Vec<u8>)>, String> {
    let tree = nanoup_ecosystems::Tree::walk(dir).map_err(|e| e.to_string())?;
    let mut changed = Vec::new();
    for rel in tree.named("Cargo.toml") {
        let path = dir.join(rel);
        let old =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let Ok(text) = std::str::from_utf8(&old) else {
            continue;
        };
        let (new, count) =
            nanoup_ecosystems::cargo::edit::set_requirement(text, &update.name, &update.to)
                .map_err(|e| format!("cannot edit {}: {e}", path.display()))?;
        if count > 0 {
            let shown = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .display()
                .to_string();
            changed.push((shown, path, old, new));
        }
    }
    if changed.is_empty() {
        return Err(format!(
            "no Cargo.toml under the stack declares {}; cannot widen its requirement",
            update.name
        ));
    }
    for (_, path, _, new) in &changed {
        write_atomically(path, new.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(changed
        .into_iter()
        .map(|(shown, path, old, _)| (shown, path, old))
        .collect())
}

/// Reads Cargo's resolution of the update and splices just that entry into the original text,
/// written atomically over what Cargo wrote (Cargo may have rewritten the whole file, even in
/// another format).
fn splice_cargo(lock_path: &Path, old: &[u8], update: &NanoUpdate) -> Result<(), String> {
    let resolved = std::fs::read_to_string(lock_path)
        .map_err(|e| format!("cannot read the lockfile after cargo: {e}"))?;
    let old = std::str::from_utf8(old).map_err(|_| "the lockfile was not UTF-8".to_string())?;
    let spliced = nanoup_ecosystems::cargo::edit::splice_update(
        old,
        &resolved,
        &update.name,
        &update.from,
        &update.to,
    )?;
    write_atomically(lock_path, spliced.as_bytes())
        .map_err(|e| format!("cannot write the lockfile: {e}"))
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
    let mut expected = update.blast_radius.clone();
    changed.sort();
    expected.sort();
    if changed != expected {
        let outside: Vec<String> = changed
            .iter()
            .filter(|c| !expected.contains(c))
            .map(|c| {
                format!(
                    "{} {} -> {}",
                    c.name,
                    c.from.as_deref().unwrap_or("(none)"),
                    c.to.as_deref().unwrap_or("(removed)")
                )
            })
            .collect();
        return restore(format!(
            "the edit changed entries outside the blast radius ({}); {name} restored",
            if outside.is_empty() {
                "fewer entries than planned".to_string()
            } else {
                outside.join(", ")
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

/// Replaces `path` with `bytes` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
