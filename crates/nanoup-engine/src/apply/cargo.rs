//! Cargo: the update's pins replayed with Cargo on the real files (`cargo update -p NAME@AT
//! --precise TO`, a manifest's requirement widened first where the plan says so), all of Cargo's
//! resolution taken into the lockfile in its own format, Cargo's acceptance (`--locked`), and
//! the measured difference compared with the plan's blast radius. Anything else and every file
//! is put back.

use std::path::{Path, PathBuf};

use nanoup_core::{NanoUpdate, Pin};
use nanoup_ecosystems::cargo::edit::changed_entries;
use nanoup_ecosystems::cargo::splice::splice_resolution;

use super::{Outcome, describe_changes, directory_of, write_atomically};
use crate::cargo::{check_lock, manifests_under, run_pin};

/// The pins that make `update`: the planner's, or the one step of a plan made without them.
fn pins_of(update: &NanoUpdate) -> Vec<Pin> {
    if update.pins.is_empty() {
        vec![Pin {
            name: update.name.clone(),
            at: update.from.clone(),
            to: update.to.clone(),
            manifest: update.manifest_change,
        }]
    } else {
        update.pins.clone()
    }
}

/// How the pins are made, for the method.
fn describe_pins(pins: &[Pin]) -> String {
    pins.iter()
        .map(|p| {
            let command = format!("cargo update -p {}@{} --precise {}", p.name, p.at, p.to);
            if p.manifest {
                format!("requirement on {} set to {}, then {command}", p.name, p.to)
            } else {
                command
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn apply_cargo(root: &Path, update: &NanoUpdate, old: &[u8], dry_run: bool) -> Outcome {
    let pins = pins_of(update);
    let method = describe_pins(&pins);
    if dry_run {
        return Outcome::Planned { method };
    }
    let lock_path = root.join(&update.file);
    let dir = directory_of(&lock_path, root).to_path_buf();
    let manifests: Vec<(PathBuf, Vec<u8>)> = match manifests_under(&dir) {
        Ok(paths) => paths
            .into_iter()
            .filter_map(|p| std::fs::read(&p).ok().map(|b| (p, b)))
            .collect(),
        Err(e) => return Outcome::Refused { reason: e },
    };
    let restore = |reason: String| {
        let mut failed = Vec::new();
        if let Err(e) = write_atomically(&lock_path, old) {
            failed.push(format!("{}: {e}", update.file));
        }
        for (path, bytes) in &manifests {
            if std::fs::read(path).ok().as_deref() != Some(bytes.as_slice())
                && let Err(e) = write_atomically(path, bytes)
            {
                failed.push(format!("{}: {e}", path.display()));
            }
        }
        let reason = if failed.is_empty() {
            format!("{reason}; every file restored")
        } else {
            format!("{reason}; and restoring failed ({})", failed.join(", "))
        };
        Outcome::Refused { reason }
    };
    let Ok(old_text) = std::str::from_utf8(old) else {
        return Outcome::Refused {
            reason: format!("{} is not UTF-8", update.file),
        };
    };
    for pin in &pins {
        if let Err(e) = run_pin(&dir, pin) {
            return restore(e.message);
        }
    }
    let resolved = match std::fs::read_to_string(&lock_path) {
        Ok(text) => text,
        Err(e) => return restore(format!("cannot read {} after cargo: {e}", update.file)),
    };
    // Cargo's resolution in the file's own format; else Cargo's whole file.
    let mut kept_format = true;
    let mut text = match splice_resolution(old_text, &resolved) {
        Ok(spliced) => spliced,
        Err(_) => {
            kept_format = false;
            resolved.clone()
        }
    };
    if let Err(e) = write_atomically(&lock_path, text.as_bytes()) {
        return restore(format!("cannot write {}: {e}", update.file));
    }
    if let Err(spliced_refused) = check_lock(&dir) {
        if !kept_format {
            return restore(spliced_refused);
        }
        // The file's format could not be kept: Cargo's own text is the truth.
        kept_format = false;
        text = resolved;
        if let Err(e) = write_atomically(&lock_path, text.as_bytes()) {
            return restore(format!("cannot write {}: {e}", update.file));
        }
        if let Err(e) = check_lock(&dir) {
            return restore(e);
        }
    }
    let mut changed = match changed_entries(&update.file, old_text, &text) {
        Ok(changed) => changed,
        Err(e) => return restore(format!("cannot parse {} after cargo: {e}", update.file)),
    };
    let mut expected = update.blast_radius.clone();
    changed.sort();
    expected.sort();
    if changed != expected {
        let extra = describe_changes(changed.iter().filter(|c| !expected.contains(c)), "(none)");
        let missing = describe_changes(expected.iter().filter(|c| !changed.contains(c)), "(none)");
        return restore(format!(
            "Cargo's resolution differs from the plan (moved beyond it: {}; planned but not \
             moved: {}); run `nanoup plan` again",
            if extra.is_empty() { "nothing" } else { &extra },
            if missing.is_empty() {
                "nothing"
            } else {
                &missing
            }
        ));
    }
    let mut files = vec![update.file.clone()];
    for (path, bytes) in &manifests {
        if std::fs::read(path).ok().as_deref() != Some(bytes.as_slice()) {
            files.push(
                path.strip_prefix(root)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            );
        }
    }
    let method = if kept_format {
        method
    } else {
        format!("{method} (Cargo rewrote the lockfile in its own format)")
    };
    Outcome::Applied {
        changed,
        files,
        method,
    }
}
