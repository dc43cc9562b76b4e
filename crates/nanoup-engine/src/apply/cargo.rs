//! Cargo: `cargo update --precise` for the step, with the manifests' requirements widened first
//! when the plan says so, and Cargo's resolution of the one entry spliced into the original text.

use std::ffi::OsStr;
use std::path::Path;

use nanoup_core::NanoUpdate;

use super::tool::{failure_tail, run_timed};
use super::{Outcome, verify_or_restore, write_atomically};

pub(super) fn apply_cargo(root: &Path, update: &NanoUpdate, old: &[u8], dry_run: bool) -> Outcome {
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

/// Runs `cargo update -p NAME@FROM --precise TO` in `dir`, stopped after `NANOUP_CARGO_TIMEOUT`
/// seconds (default 300); the failure's last lines, if any.
fn cargo_precise(dir: &Path, name: &str, from: &str, to: &str) -> Option<String> {
    let spec = format!("{name}@{from}");
    let args = ["update", "-p", spec.as_str(), "--precise", to];
    let env = [("CARGO_TERM_COLOR", "never")];
    match run_timed(
        "cargo",
        OsStr::new("cargo"),
        &args,
        dir,
        &env,
        "NANOUP_CARGO_TIMEOUT",
    ) {
        Ok(Ok(())) => None,
        Ok(Err((shown, status, stderr))) => {
            let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            Some(failure_tail(&shown, status, &lines))
        }
        Err(reason) => Some(reason),
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
