//! PyPI: requirements pins, poetry.lock and uv.lock edited in place from PyPI's file list for
//! the new version, a poetry.lock entry's dependencies from the release's `requires_dist` (the
//! JSON API's, else a wheel's core metadata: see `Datasource::completion_request`), and
//! `uv lock` as the fallback for a uv.lock entry whose dependencies the file list cannot vouch
//! for.

use std::path::Path;
use std::process::Command;

use nanoup_core::{EntryChange, NanoUpdate};

use super::tool::{ToolFailure, UV_TIMEOUT, run_tool, run_uv};
use super::{
    Outcome, RegistryFetch, describe_changes, edit_from_registry, fetch_step, put_back,
    verify_or_restore, write_atomically,
};

/// PyPI: requirements pins (and their `--hash` values), poetry.lock and uv.lock entries, edited
/// in place from the registry's file list for the new version. A lock entry whose dependencies
/// the file list cannot vouch for goes to uv for a uv.lock ([`uv_relock`]); a poetry.lock entry
/// gets its dependency tables from the release's `requires_dist` (PyPI's JSON API) when the
/// lock already satisfies them, and is refused otherwise, naming `poetry update NAME` (nanoup
/// does not run Poetry).
///
/// A requirements file's pins are only good together: an update with companions moves (or adds)
/// each of its pins ([`requirements_group`]), and every edited requirements file must still
/// resolve with uv where it did before ([`pins_accepted`]).
pub(super) fn apply_pypi(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::pypi::edit::FileKind;
    let kind = FileKind::of_path(&update.file);
    if kind == Some(FileKind::PoetryLock) && !update.steps.is_empty() {
        return poetry_group(root, update, old, dry_run, fetch);
    }
    if kind != Some(FileKind::Requirements) {
        return edit_pypi(root, update, old, dry_run, fetch);
    }
    let outcome = if update.steps.is_empty() {
        edit_pypi(root, update, old, dry_run, fetch)
    } else {
        requirements_group(root, update, old, dry_run, fetch)
    };
    pins_accepted(root, update, old, outcome)
}

/// A requirements update with companions: every step's pin moved (`==FROM` to `==TO`, hashes
/// from the index) or added, in one edit; the measured change must be the steps.
fn requirements_group(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::pypi::edit::{self, FileKind};
    let file = update.file.as_str();
    let method = format!(
        "in-place edit of {file}: the pins uv's resolution moves with {}=={} ({})",
        update.name,
        update.to,
        describe_changes(&update.blast_radius, "(new)")
    );
    let new_text = |old_text: &str, _: &[u8]| -> Result<String, String> {
        let mut text = old_text.to_string();
        for step in &update.steps {
            let Some(to) = &step.to else {
                return Err(format!(
                    "the step of {} removes a pin, which apply does not do",
                    step.name
                ));
            };
            let body = fetch_step(update, step, to, fetch)?;
            let files = nanoup_ecosystems::pypi::registry::files_of_release(&body, to)
                .map_err(|e| format!("cannot read the registry's answer for {}: {e}", step.name))?;
            let edited = match &step.from {
                Some(from) => edit::edit_requirements(file, &text, &step.name, from, to, &files),
                None => edit::add_requirement(file, &text, &step.name, to, &files),
            };
            text = edited.map_err(|refusal| refusal.to_string())?.text;
        }
        Ok(text)
    };
    let diff = |old: &str, new: &str| {
        edit::changed_entries(FileKind::Requirements, file, old, new).map_err(|e| e.to_string())
    };
    edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff)
}

/// A poetry.lock update with companions (see `crate::poetry`): every step's entry moved in the
/// plan's order, its files and dependency tables from the registry's answer about its release,
/// each refresh checking that the lock satisfies the new dependencies; the measured change must
/// be the steps.
fn poetry_group(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::pypi::edit::{self, FileKind};
    use nanoup_ecosystems::pypi::poetry_entry;
    let file = update.file.as_str();
    if update.manifest_change {
        return Outcome::Refused {
            reason: format!(
                "{} {} -> {} moves other entries of {file} and changes pyproject.toml; nanoup \
                 makes one or the other: run `poetry update {}`",
                update.name, update.from, update.to, update.name
            ),
        };
    }
    let method = format!(
        "in-place edit of {file}: {} {} with the entries its dependencies need ({}), each from \
         PyPI's files and dependencies of its release",
        update.name,
        update.to,
        describe_changes(&update.blast_radius, "(new)")
    );
    let notes: std::cell::RefCell<Vec<String>> = std::cell::RefCell::new(Vec::new());
    let new_text = |old_text: &str, _: &[u8]| -> Result<String, String> {
        let mut text = old_text.to_string();
        for step in &update.steps {
            let (Some(from), Some(to)) = (&step.from, &step.to) else {
                return Err(format!(
                    "the step of {} adds or removes an entry, which apply does not do in a \
                     poetry.lock",
                    step.name
                ));
            };
            let body = fetch_step(update, step, to, fetch)?;
            let refreshed = poetry_entry::move_entry(file, &text, &step.name, from, to, &body)
                .map_err(|refusal| refusal.to_string())?;
            notes.borrow_mut().extend(refreshed.notes);
            text = refreshed.text;
        }
        let moved: Vec<(&str, &str)> = update
            .steps
            .iter()
            .filter_map(|s| Some((s.name.as_str(), s.to.as_deref()?)))
            .collect();
        dependents_accept(file, &text, &moved)?;
        Ok(text)
    };
    let diff = |old: &str, new: &str| {
        edit::changed_entries(FileKind::PoetryLock, file, old, new).map_err(|e| e.to_string())
    };
    match edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff) {
        Outcome::Applied {
            changed,
            files,
            method,
        } if !notes.borrow().is_empty() => Outcome::Applied {
            changed,
            files,
            method: format!("{method}; {}", notes.borrow().join("; ")),
        },
        outcome => outcome,
    }
}

/// Checks that in the edited poetry.lock `text` every entry's (non-optional) constraint on each
/// `moved` package accepts its new version: otherwise a dependent needs a new release too, which
/// Poetry decides (`lxml` 6 under `authorizenet`'s `lxml >=4.0.0,<5.0.0`).
fn dependents_accept(file: &str, text: &str, moved: &[(&str, &str)]) -> Result<(), String> {
    use nanoup_ecosystems::pypi::poetry_entry;
    let rejecting: Vec<String> = moved
        .iter()
        .flat_map(|(name, to)| poetry_entry::rejecting_dependents(file, text, name, to, &[]))
        .collect();
    match rejecting.first() {
        None => Ok(()),
        Some(_) => Err(format!(
            "{file}: {}: moving {} would leave the lock inconsistent (a dependent must move \
             first); Poetry must relock: run `poetry update {}` (nanoup does not run Poetry)",
            rejecting.join(", "),
            moved
                .iter()
                .map(|(n, t)| format!("{n} to {t}"))
                .collect::<Vec<_>>()
                .join(", "),
            moved.last().map_or("", |(n, _)| n)
        )),
    }
}

/// Keeps an applied requirements edit only when uv resolves its pins together wherever it
/// resolved the file's pins before (`uv pip compile` of the pins): a pin moved alone can leave
/// the file uninstallable. When the check cannot be made (uv missing, a file that includes
/// others), the method says so.
fn pins_accepted(root: &Path, update: &NanoUpdate, old: &[u8], outcome: Outcome) -> Outcome {
    let Outcome::Applied {
        changed,
        files,
        method,
    } = outcome
    else {
        return outcome;
    };
    let file = update.file.as_str();
    let path = root.join(file);
    let restore = |reason: String| {
        let failed = put_back(&[(&path, file, old)]);
        Outcome::Refused {
            reason: format!("{reason}; {file} restored{failed}"),
        }
    };
    let (Ok(old_text), Ok(new_text)) = (
        String::from_utf8(old.to_vec()),
        std::fs::read_to_string(&path),
    ) else {
        return restore(format!("cannot read {file} after the edit"));
    };
    let before = crate::pypi::pins_conflict(file, &old_text);
    let after = crate::pypi::pins_conflict(file, &new_text);
    let method = match (before, after) {
        (Ok(None), Ok(Some(why))) => {
            return restore(format!(
                "uv cannot install the edited pins together ({why}); plan again: the update \
                 needs the pins that move with {}",
                update.name
            ));
        }
        (Ok(_), Ok(None)) => format!("{method}; the pins resolve together with uv"),
        (Ok(_), Ok(Some(_))) => {
            format!("{method}; uv cannot resolve the pins together, before the edit either")
        }
        (Err(why), _) | (_, Err(why)) => {
            format!("{method}; not checked with uv ({why})")
        }
    };
    Outcome::Applied {
        changed,
        files,
        method,
    }
}

fn edit_pypi(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::pypi::edit::{self, FileKind};
    use nanoup_ecosystems::pypi::{manifest_edit, poetry_entry, registry};
    let Some(kind) = FileKind::of_path(&update.file) else {
        return Outcome::Refused {
            reason: format!(
                "{} is not a file nanoup edits (requirements, poetry.lock, uv.lock)",
                update.file
            ),
        };
    };
    // A manifest change of a Poetry project: pyproject.toml's requirement widened, and the
    // lock's content-hash computed for the new pyproject.toml.
    let manifest = match (update.manifest_change, kind) {
        (true, FileKind::PoetryLock) => match PoetryManifest::prepare(root, update, old) {
            Ok(manifest) => Some(manifest),
            Err(reason) => return Outcome::Refused { reason },
        },
        (true, FileKind::UvLock) if !dry_run => return uv_manifest_change(root, update, old),
        (true, FileKind::UvLock) => {
            return Outcome::Planned {
                method: format!(
                    "pyproject.toml's requirement on {} widened, then `uv lock \
                     --upgrade-package {}=={}`",
                    update.name, update.name, update.to
                ),
            };
        }
        (true, _) => {
            return Outcome::Refused {
                reason: format!(
                    "{} {} needs a change of the manifest's requirement (it excludes {}), which \
                     apply makes for poetry.lock and uv.lock projects (pyproject.toml) but not yet \
                     for {}; widen it, then plan again",
                    update.name, update.from, update.to, update.file
                ),
            };
        }
        _ => None,
    };
    let method = match kind {
        FileKind::PoetryLock => format!(
            "in-place edit of {} from PyPI's file list and the dependencies (requires_dist) of \
             {} {}",
            update.file, update.name, update.to
        ),
        _ => format!("in-place edit of {} from PyPI's file list", update.file),
    };
    // A uv.lock edit whose dependencies need the resolver's word: (in-place text, caveats).
    let needs_uv: std::cell::RefCell<Option<(String, String)>> = std::cell::RefCell::new(None);
    // What a poetry.lock edit has to say beside its method.
    let notes: std::cell::RefCell<Vec<String>> = std::cell::RefCell::new(Vec::new());
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let files = nanoup_ecosystems::pypi::registry::files_of_release(body, &update.to)
            .map_err(|e| format!("cannot read the registry's answer for {}: {e}", update.name))?;
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
            let caveats = caveats.join("; ");
            if kind == FileKind::UvLock {
                *needs_uv.borrow_mut() = Some((edited.text, caveats.clone()));
                return Err(caveats);
            }
            let Some(release) = registry::release_metadata(body, to) else {
                return Err(format!(
                    "{caveats}; the index gave no dependencies (requires_dist) of {name} {to}: \
                     no JSON answer about that release, no core metadata (PEP 658) beside its \
                     wheel, and none read from the wheel itself or its sdist; nanoup does not run Poetry: run `poetry update {name}` (Poetry \
                     re-resolves the lock), or check the dependencies of {name} {to} by hand"
                ));
            };
            let refreshed =
                poetry_entry::refresh_dependencies(file, &edited.text, name, to, &release)
                    .map_err(|refusal| refusal.to_string())?;
            dependents_accept(file, &refreshed.text, &[(name, to)])?;
            *notes.borrow_mut() = refreshed.notes;
            return Ok(refreshed.text);
        }
        Ok(edited.text)
    };
    // With a manifest change, the content-hash is the one other line of the lock that moves.
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let text = new_text(old_text, body)?;
        match &manifest {
            Some(m) => manifest_edit::with_content_hash(&text, &m.hash),
            None => Ok(text),
        }
    };
    let diff = |old: &str, new: &str| {
        let new = match &manifest {
            Some(m) => manifest_edit::with_content_hash(new, &m.old_hash)?,
            None => new.to_string(),
        };
        edit::changed_entries(kind, &update.file, old, &new).map_err(|e| e.to_string())
    };
    let method = match &manifest {
        Some(m) => format!("{method}; {}", m.describe()),
        None => method,
    };
    let outcome = edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff);
    let outcome = match &manifest {
        Some(m) if matches!(outcome, Outcome::Applied { .. }) => {
            m.write(root, update, old, outcome)
        }
        _ => outcome,
    };
    match (outcome, needs_uv.into_inner()) {
        (Outcome::Refused { .. }, Some((in_place, caveats))) => {
            uv_relock(root, update, old, &in_place, &caveats)
        }
        (
            Outcome::Applied {
                changed,
                files,
                method,
            },
            _,
        ) if !notes.borrow().is_empty() => Outcome::Applied {
            changed,
            files,
            method: format!("{method}; {}", notes.borrow().join("; ")),
        },
        (outcome, _) => outcome,
    }
}

/// A Poetry project's pyproject.toml as a manifest change leaves it.
struct PoetryManifest {
    /// pyproject.toml, relative to the root.
    rel: String,
    /// Its bytes before.
    old: Vec<u8>,
    /// Its new text.
    new: String,
    /// The requirements changed: (where, old, new).
    changes: Vec<(String, String, String)>,
    /// The lock's content-hash before, and the one for the new pyproject.toml.
    old_hash: String,
    hash: String,
}

impl PoetryManifest {
    /// Reads pyproject.toml beside the lock, widens the requirement on the update's package to
    /// accept its new version, and computes the new content-hash with the rule (Poetry 1's or
    /// 2's) that gives the lock's current one. Refused when the lock is not current with
    /// pyproject.toml to begin with (Poetry would ask for `poetry lock` anyway).
    fn prepare(root: &Path, update: &NanoUpdate, old_lock: &[u8]) -> Result<Self, String> {
        use nanoup_ecosystems::pypi::manifest_edit;
        let rel =
            nanoup_ecosystems::join(nanoup_ecosystems::dir_of(&update.file), "pyproject.toml");
        let old = std::fs::read(root.join(&rel)).map_err(|e| format!("cannot read {rel}: {e}"))?;
        let text = String::from_utf8(old.clone()).map_err(|_| format!("{rel} is not UTF-8"))?;
        let lock =
            std::str::from_utf8(old_lock).map_err(|_| format!("{} is not UTF-8", update.file))?;
        let old_hash = manifest_edit::lock_content_hash(lock)
            .ok_or_else(|| format!("{} has no `[metadata] content-hash`", update.file))?;
        let rule = [false, true]
            .into_iter()
            .find(|poetry2| {
                manifest_edit::poetry_content_hash(&text, *poetry2).as_ref() == Ok(&old_hash)
            })
            .ok_or_else(|| {
                format!(
                    "{} is not current with {rel} (its content-hash is not {rel}'s): run \
                     `poetry lock` first, then plan again",
                    update.file
                )
            })?;
        let edited = manifest_edit::set_requirement(&text, &update.name, &update.to)
            .map_err(|e| format!("{rel}: {e}"))?;
        let hash = manifest_edit::poetry_content_hash(&edited.text, rule)
            .map_err(|e| format!("{rel}: {e}"))?;
        Ok(PoetryManifest {
            rel,
            old,
            new: edited.text,
            changes: edited.changes,
            old_hash,
            hash,
        })
    }

    /// What the method says about it.
    fn describe(&self) -> String {
        let changes: Vec<String> = self
            .changes
            .iter()
            .map(|(place, old, new)| format!("{place} {old} -> {new}"))
            .collect();
        format!(
            "{}: {} (and the lock's content-hash)",
            self.rel,
            changes.join(", ")
        )
    }

    /// Writes pyproject.toml once the lock is applied, and checks the pair with Poetry when
    /// it is on PATH (`poetry check --lock`); on any failure both files are put back.
    fn write(
        &self,
        root: &Path,
        update: &NanoUpdate,
        old_lock: &[u8],
        applied: Outcome,
    ) -> Outcome {
        let Outcome::Applied {
            changed,
            mut files,
            mut method,
        } = applied
        else {
            return applied;
        };
        let lock_path = root.join(&update.file);
        let manifest_path = root.join(&self.rel);
        let restore = |reason: String| {
            let failed = put_back(&[
                (&lock_path, &update.file, old_lock),
                (&manifest_path, &self.rel, &self.old),
            ]);
            Outcome::Refused {
                reason: format!(
                    "{reason}; {} and {} restored{failed}",
                    update.file, self.rel
                ),
            }
        };
        if let Err(e) = write_atomically(&manifest_path, self.new.as_bytes()) {
            return restore(format!("cannot write {}: {e}", self.rel));
        }
        let dir = lock_path.parent().unwrap_or(root);
        let poetry = std::env::var_os("NANOUP_POETRY").unwrap_or_else(|| "poetry".into());
        match run_tool(&poetry, &["check", "--lock"], dir, &[], UV_TIMEOUT) {
            Ok(()) => method.push_str("; `poetry check --lock` accepts the pair"),
            Err(ToolFailure::Spawn(e)) if e.kind() == std::io::ErrorKind::NotFound => method
                .push_str(
                    "; poetry is not on PATH: the content-hash was computed as Poetry computes it",
                ),
            Err(ToolFailure::Failed { stderr, .. }) => {
                let last = stderr
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                return restore(format!("`poetry check --lock` rejects the result: {last}"));
            }
            Err(other) => return restore(format!("`poetry check --lock` did not run: {other:?}")),
        }
        files.push(self.rel.clone());
        Outcome::Applied {
            changed,
            files,
            method,
        }
    }
}

/// Whether uv runs (`uv --version`).
fn uv_runs() -> bool {
    Command::new(super::tool::uv_program())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// uv.lock with a manifest change: pyproject.toml's requirement widened in place (as for
/// Poetry), then uv re-locks with the package pinned at TO (`uv lock --upgrade-package
/// NAME==TO`), keeping every other locked version it can. `uv lock --locked` must accept the
/// result. The blast radius is what uv changed, measured (the project's own entry records the
/// new requirement). Both files are put back on any failure.
fn uv_manifest_change(root: &Path, update: &NanoUpdate, old: &[u8]) -> Outcome {
    use nanoup_ecosystems::pypi::{edit, manifest_edit};
    let file = update.file.as_str();
    let path = root.join(file);
    let dir = path.parent().unwrap_or(root);
    let rel = nanoup_ecosystems::join(nanoup_ecosystems::dir_of(file), "pyproject.toml");
    let manifest_path = root.join(&rel);
    let spec = format!("{}=={}", update.name, update.to);
    if !uv_runs() {
        return Outcome::Refused {
            reason: format!(
                "{} {} needs a change of the manifest's requirement in {rel} and `uv lock \
                 --upgrade-package {spec}`, which needs uv, which is not on PATH: install it \
                 (`pip install uv`) and apply again",
                update.name, update.from
            ),
        };
    }
    let Ok(old_manifest) = std::fs::read(&manifest_path) else {
        return Outcome::Refused {
            reason: format!(
                "cannot read {rel}, whose requirement on {} must change",
                update.name
            ),
        };
    };
    let Ok(old_text) = std::str::from_utf8(&old_manifest) else {
        return Outcome::Refused {
            reason: format!("{rel} is not UTF-8"),
        };
    };
    let edited = match manifest_edit::set_requirement(old_text, &update.name, &update.to) {
        Ok(edited) => edited,
        Err(e) => {
            return Outcome::Refused {
                reason: format!("{rel}: {e}"),
            };
        }
    };
    let restore = |reason: String| {
        let failed = put_back(&[(&path, file, old), (&manifest_path, &rel, &old_manifest)]);
        Outcome::Refused {
            reason: format!("{reason}; {file} and {rel} restored{failed}"),
        }
    };
    if let Err(e) = write_atomically(&manifest_path, edited.text.as_bytes()) {
        return restore(format!("cannot write {rel}: {e}"));
    }
    if let Err(e) = run_uv(dir, &["lock", "--upgrade-package", &spec]) {
        return restore(format!("the manifest change needs uv, which failed: {e}"));
    }
    if let Err(e) = run_uv(dir, &["lock", "--locked"]) {
        return restore(format!(
            "uv does not accept the relocked {file} (`uv lock --locked`): {e}"
        ));
    }
    let new = match std::fs::read(&path) {
        Ok(new) => new,
        Err(e) => return restore(format!("cannot read {file} after `uv lock`: {e}")),
    };
    let (Ok(old_lock), Ok(new_lock)) = (std::str::from_utf8(old), std::str::from_utf8(&new)) else {
        return restore(format!("{file} is not UTF-8"));
    };
    let changed = match edit::changed_entries(edit::FileKind::UvLock, file, old_lock, new_lock) {
        Ok(changed) => changed,
        Err(e) => return restore(format!("cannot parse {file} after `uv lock`: {e}")),
    };
    if !update.blast_radius.iter().all(|c| changed.contains(c)) {
        return restore(format!(
            "`uv lock --upgrade-package {spec}` did not make the planned change (it changed: {})",
            describe_changes(&changed, "(new)")
        ));
    }
    // Rewrite what uv wrote through a rename, so the final file is whole.
    if let Err(e) = write_atomically(&path, &new) {
        return restore(format!("cannot write {file}: {e}"));
    }
    let changes: Vec<String> = edited
        .changes
        .iter()
        .map(|(place, old, new)| format!("{place} {old} -> {new}"))
        .collect();
    Outcome::Applied {
        method: format!(
            "fallback: {rel}: {}; `uv lock --upgrade-package {spec}` re-resolved {} entr{}",
            changes.join(", "),
            changed.len(),
            if changed.len() == 1 { "y" } else { "ies" }
        ),
        changed,
        files: vec![file.to_string(), rel],
    }
}

/// uv.lock, when the in-place edit cannot vouch for the new release's dependencies: uv decides.
/// `uv lock --upgrade-package NAME==FROM` (nothing moved, as this uv writes the lock) and
/// `uv lock --upgrade-package NAME==TO` are compared; the lockfile is put back byte for byte
/// after each run. When uv changes the planned entry alone, with the same dependencies, the
/// in-place edit stands (blast radius 1); otherwise uv's entries of every changed name are
/// spliced into the original text and the update reports that real, larger blast radius, with a
/// method saying it was the fallback. Either way `uv lock --locked` must accept the result, and
/// the change is verified like any other. Refused (file untouched) when uv is missing or fails.
fn uv_relock(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    in_place: &str,
    caveats: &str,
) -> Outcome {
    use nanoup_ecosystems::pypi::{edit, relock};
    let path = root.join(&update.file);
    let dir = path.parent().unwrap_or(root);
    let file = update.file.as_str();
    let spec = |version: &str| format!("{}=={version}", update.name);
    let upgrade = format!("uv lock --upgrade-package {}", spec(&update.to));
    let restore = |reason: String| {
        let reason = match write_atomically(&path, old) {
            Ok(()) => reason,
            Err(e) => format!("{reason}; and restoring {file} failed: {e}"),
        };
        Outcome::Refused { reason }
    };
    if !uv_runs() {
        return Outcome::Refused {
            reason: format!(
                "{caveats}; the fallback `{upgrade}` needs uv, which is not on PATH: install it \
                 (`pip install uv`) and apply again"
            ),
        };
    }
    let Ok(old_text) = std::str::from_utf8(old) else {
        return Outcome::Refused {
            reason: format!("{file} is not UTF-8"),
        };
    };
    // One relock pinned at `version`; the original bytes go back right after it.
    let relock_at = |version: &str| -> Result<String, String> {
        let spec = spec(version);
        let ran = run_uv(dir, &["lock", "--upgrade-package", &spec]);
        let text = std::fs::read_to_string(&path);
        write_atomically(&path, old).map_err(|e| format!("cannot restore {file}: {e}"))?;
        ran?;
        text.map_err(|e| format!("cannot read {file} after `uv lock`: {e}"))
    };
    let base = match relock_at(&update.from) {
        Ok(text) => text,
        Err(e) => {
            return restore(format!(
                "{caveats}; the fallback failed: {e}; {file} restored"
            ));
        }
    };
    let upgraded = match relock_at(&update.to) {
        Ok(text) => text,
        Err(e) => {
            return restore(format!(
                "{caveats}; the fallback failed: {e}; {file} restored"
            ));
        }
    };
    let changes = match relock::relock_changes(file, &base, &upgraded) {
        Ok(changes) => changes,
        Err(e) => return restore(format!("cannot read uv's relock of {file}: {e}")),
    };
    let shown = |changes: &[EntryChange]| describe_changes(changes, "(new)");
    if !update.blast_radius.iter().all(|c| changes.contains(c)) {
        return restore(format!(
            "`{upgrade}` did not make the planned change (it changed: {}); {file} restored",
            shown(&changes)
        ));
    }
    if let Some(outside) = changes.iter().find(|c| c.name.starts_with('[')) {
        return restore(format!(
            "`{upgrade}` also changes {} of {file}; relock by hand",
            outside.name
        ));
    }
    let one_entry = changes.len() == update.blast_radius.len();
    let same_dependencies = one_entry
        && relock::same_dependencies(
            file,
            &base,
            &upgraded,
            &update.name,
            &update.from,
            &update.to,
        )
        .unwrap_or(false);
    let (text, method) = if same_dependencies {
        (
            in_place.to_string(),
            format!(
                "in-place edit of {file} from PyPI's file list; the dependencies of {} {} \
                 checked with `{upgrade}`",
                update.name, update.to
            ),
        )
    } else {
        let names = changes.iter().map(|c| c.name.clone()).collect();
        match relock::splice_entries(file, old_text, &upgraded, &names) {
            Ok(text) => (
                text,
                format!(
                    "fallback: `{upgrade}` re-resolved {} entr{} ({}), spliced into {file}",
                    changes.len(),
                    if changes.len() == 1 { "y" } else { "ies" },
                    shown(&changes)
                ),
            ),
            Err(e) => return restore(format!("cannot splice uv's relock into {file}: {e}")),
        }
    };
    if let Err(e) = write_atomically(&path, text.as_bytes()) {
        return restore(format!("cannot write {file}: {e}"));
    }
    if let Err(e) = run_uv(dir, &["lock", "--locked"]) {
        return restore(format!(
            "uv does not accept the edited {file} (`uv lock --locked`): {e}; {file} restored"
        ));
    }
    let widened = NanoUpdate {
        blast_radius: changes,
        ..update.clone()
    };
    verify_or_restore(&path, file, old, &widened, None, method, |old, new| {
        edit::changed_entries(edit::FileKind::UvLock, file, old, new).map_err(|e| e.to_string())
    })
}
