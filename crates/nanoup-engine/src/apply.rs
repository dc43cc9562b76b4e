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
    // npm: a manifest change goes through `npm install NAME@TO` (see `apply_npm`).
    let npm_lock = update.ecosystem == Ecosystem::Npm && is_npm_lock(&update.file);
    if update.manifest_change && update.ecosystem != Ecosystem::Cargo && !npm_lock {
        return refuse(format!(
            "{} {} needs a change of the manifest's requirement, which apply makes only for Cargo \
             and npm so far; widen the requirement to allow {}, then plan again",
            update.name, update.from, update.to
        ));
    }
    match update.ecosystem {
        Ecosystem::Cargo => apply_cargo(root, update, &old, dry_run),
        Ecosystem::PyPI => apply_pypi(root, update, &old, dry_run, fetch),
        Ecosystem::Npm if npm_lock => apply_npm(root, update, &old, dry_run, fetch),
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

/// Whether `file` is a lockfile npm itself writes (`package-lock.json`, `npm-shrinkwrap.json`).
fn is_npm_lock(file: &str) -> bool {
    file.ends_with("package-lock.json") || file.ends_with("npm-shrinkwrap.json")
}

/// npm: the package-lock entries of the package, edited in place from the registry's manifest of
/// the new version, when every dependent's range accepts it and its own dependencies are
/// satisfied by the tree. Otherwise (and for a manifest change) npm itself makes the update
/// (`npm_fallback`), and the real, larger blast radius is reported.
fn apply_npm(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::npm::{edit, registry};
    if update.manifest_change {
        let why = format!("the range in package.json does not accept {}", update.to);
        if dry_run {
            return Outcome::Planned {
                method: npm_fallback_method(update, &why),
            };
        }
        return npm_fallback(root, update, old, &why);
    }
    let method = format!(
        "in-place edit of {} from the registry's manifest of {}@{}",
        update.file, update.name, update.to
    );
    // Set when the in-place edit is refused for a reason npm can resolve by changing the tree.
    let needs_npm = std::cell::RefCell::new(None::<String>);
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
                let reason = refusal.to_string();
                if refusal.npm_can_resolve() {
                    *needs_npm.borrow_mut() = Some(reason.clone());
                }
                reason
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
    let outcome = edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff);
    match (outcome, needs_npm.into_inner()) {
        // The edit was refused before anything was written: let npm change the tree.
        (Outcome::Refused { .. }, Some(why)) => npm_fallback(root, update, old, &why),
        (outcome, _) => outcome,
    }
}

/// The method string of the npm fallback, with why the in-place edit was not possible.
fn npm_fallback_method(update: &NanoUpdate, why: &str) -> String {
    format!(
        "npm install {}@{} --package-lock-only --ignore-scripts (fallback: {why})",
        update.name, update.to
    )
}

/// The npm fallback: `npm install NAME@TO --package-lock-only --ignore-scripts --no-audit
/// --no-fund` in the lockfile's directory (the user's npm config, node_modules untouched, the
/// lockfile's own format kept: see `edit::npm_format_options`), each npm run bounded by
/// `NANOUP_NPM_TIMEOUT`.
///
/// - npm saves the range `^TO` for NAME in package.json (adding NAME when it was only a
///   transitive dependency). Unless the update is a manifest change, package.json is put back
///   and a plain `npm install --package-lock-only` brings the lockfile's root entry back in
///   line with it; NAME stays at TO when its dependents accept it.
/// - A newer npm may rewrite entries of an old lockfile that no update touches (platform
///   packages an older npm left out, say). npm is first run on the untouched file; when it
///   changes it, only the entries that differ between that run and the update's are spliced
///   into the old text, and the result is kept when npm, run on it, changes nothing but what it
///   changes in the untouched file. Otherwise npm's whole rewrite is kept, and said so.
/// - The update is kept only when no copy of NAME@FROM is left and NAME@TO is installed; the
///   changed entries (the real blast radius, often more than one) are reported. On any failure
///   both files are restored byte for byte.
fn npm_fallback(root: &Path, update: &NanoUpdate, old: &[u8], why: &str) -> Outcome {
    use nanoup_ecosystems::npm::edit;
    let file = update.file.as_str();
    let lock_path = root.join(file);
    let dir = lock_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(root)
        .to_path_buf();
    let manifest_rel = match file.rsplit_once('/') {
        Some((parent, _)) => format!("{parent}/package.json"),
        None => "package.json".to_string(),
    };
    let manifest_path = root.join(&manifest_rel);
    let old_manifest = match std::fs::read(&manifest_path) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Outcome::Refused {
                reason: format!(
                    "{why}; npm's fallback needs {manifest_rel}, which cannot be read: {e}"
                ),
            };
        }
    };
    let parse_error = |e: nanoup_core::ParseError| {
        let mut e = e;
        e.file = file.to_string();
        e.to_string()
    };
    let Ok(old_text) = std::str::from_utf8(old) else {
        return Outcome::Refused {
            reason: format!("{file} is not UTF-8"),
        };
    };
    let mut options: Vec<String> = [
        "--package-lock-only",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
    ]
    .map(String::from)
    .to_vec();
    match edit::npm_format_options(old_text) {
        Ok(format) => options.extend(format),
        Err(e) => {
            return Outcome::Refused {
                reason: parse_error(e),
            };
        }
    }
    let mut sync = vec!["install".to_string()];
    sync.extend(options.iter().cloned());
    let spec = format!("{}@{}", update.name, update.to);
    let mut install = vec!["install".to_string(), spec.clone()];
    install.extend(options.iter().cloned());
    // Puts back every file npm may have written; the reason says what happened.
    let restore = |reason: String| {
        let mut reason = format!("{reason}; {file} and {manifest_rel} restored");
        for (path, rel, bytes) in [
            (&lock_path, file, old),
            (
                &manifest_path,
                manifest_rel.as_str(),
                old_manifest.as_slice(),
            ),
        ] {
            if std::fs::read(path).ok().as_deref() != Some(bytes)
                && let Err(e) = write_atomically(path, bytes)
            {
                reason.push_str(&format!(", but restoring {rel} failed: {e}"));
            }
        }
        Outcome::Refused { reason }
    };
    // What npm wrote, in the old file's `license` style.
    let read_lock = || -> Result<String, String> {
        let bytes =
            std::fs::read(&lock_path).map_err(|e| format!("cannot read {file} after npm: {e}"))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{file} is not UTF-8 after npm"))?;
        edit::keep_license_style(old_text, &text)
            .map_err(|e| format!("cannot parse {file} after npm: {}", parse_error(e)))
    };
    let manifest_kept = || std::fs::read(&manifest_path).ok().as_ref() == Some(&old_manifest);

    // npm's own rewrite of the untouched file.
    if let Err(e) = run_npm(&dir, &sync) {
        return restore(format!("{why}; the npm fallback failed: {e}"));
    }
    if !manifest_kept() {
        return restore(format!(
            "`npm install` without an update changed {manifest_rel}"
        ));
    }
    let baseline = match read_lock() {
        Ok(text) => text,
        Err(e) => return restore(e),
    };

    // The update.
    if let Err(e) = run_npm(&dir, &install) {
        return restore(format!("{why}; the npm fallback failed: {e}"));
    }
    let mut files = vec![file.to_string()];
    if !manifest_kept() {
        if update.manifest_change {
            files.push(manifest_rel.clone());
        } else {
            // Keep package.json as it was; npm re-syncs the lockfile's root entry with it.
            if let Err(e) = write_atomically(&manifest_path, &old_manifest) {
                return restore(format!("cannot restore {manifest_rel} after npm: {e}"));
            }
            if let Err(e) = run_npm(&dir, &sync) {
                return restore(format!(
                    "{why}; npm changed {manifest_rel}, and re-syncing {file} with the original failed: {e}"
                ));
            }
            if !manifest_kept() {
                return restore(format!(
                    "npm changed {manifest_rel} again while re-syncing {file}"
                ));
            }
        }
    }
    let updated = match read_lock() {
        Ok(text) => text,
        Err(e) => return restore(e),
    };

    // Only the update's entries, when npm agrees.
    let mut method = npm_fallback_method(update, why);
    let new_text = if baseline == old_text {
        updated
    } else {
        let checked = edit::splice_npm_changes(old_text, &baseline, &updated).and_then(|spliced| {
            write_atomically(&lock_path, spliced.as_bytes())
                .map_err(|e| format!("cannot write {file}: {e}"))?;
            run_npm(&dir, &sync)?;
            let again = read_lock()?;
            edit::npm_normalises_only(old_text, &baseline, &spliced, &again)?;
            Ok(spliced)
        });
        match checked {
            Ok(spliced) => spliced,
            Err(e) => {
                method.push_str(&format!(
                    "; npm's rewrite of the whole file kept, with the entries it also rewrites \
                     without the update ({e})"
                ));
                updated
            }
        }
    };
    if !manifest_kept() && !update.manifest_change {
        return restore(format!("npm changed {manifest_rel}"));
    }
    let new_text = new_text.as_str();
    let places = match edit::installed(new_text, &update.name) {
        Ok(places) => places,
        Err(e) => return restore(format!("cannot parse {file} after npm: {}", parse_error(e))),
    };
    let at = |version: &str| -> Vec<&str> {
        places
            .iter()
            .filter(|(_, v)| v.as_deref() == Some(version))
            .map(|(location, _)| location.as_str())
            .collect()
    };
    let left = at(&update.from);
    if !left.is_empty() {
        return restore(format!(
            "{why}; and `npm install {spec}` left {}@{} at {} without a change to {manifest_rel} \
             (a dependent still asks for it: update that dependent first)",
            update.name,
            update.from,
            left.join(", ")
        ));
    }
    if at(&update.to).is_empty() {
        let found: Vec<String> = places
            .iter()
            .map(|(location, v)| {
                format!("{} at {location}", v.as_deref().unwrap_or("(no version)"))
            })
            .collect();
        return restore(format!(
            "`npm install {spec}` did not install {}: {}",
            update.to,
            if found.is_empty() {
                format!("{} is no longer in {file}", update.name)
            } else {
                format!("{} is {}", update.name, found.join(", "))
            }
        ));
    }
    let mut changed = match edit::changed_entries(old_text, new_text) {
        Ok(changed) => changed,
        Err(e) => return restore(format!("cannot parse {file} after npm: {}", parse_error(e))),
    };
    changed.sort();
    changed.dedup();
    // Rewrite what npm wrote in place through a rename, so the final file is whole.
    if let Err(e) = write_atomically(&lock_path, new_text.as_bytes()) {
        return restore(format!("cannot write {file}: {e}"));
    }
    Outcome::Applied {
        changed,
        files,
        method,
    }
}

/// Runs npm (`NANOUP_NPM`, else `npm` on the PATH) with `args` in `dir`, without a terminal,
/// killed after `NANOUP_NPM_TIMEOUT` seconds (default 300); on failure, npm's error lines.
fn run_npm(dir: &Path, args: &[String]) -> Result<(), String> {
    use std::time::{Duration, Instant};
    let program = std::env::var_os("NANOUP_NPM").unwrap_or_else(|| "npm".into());
    let shown = format!("npm {}", args.join(" "));
    let limit = std::env::var("NANOUP_NPM_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(300);
    // npm's output goes to a file, so that a full pipe can never block it.
    let log = tempfile::tempfile().map_err(|e| format!("cannot create a log file for npm: {e}"))?;
    let stderr = log
        .try_clone()
        .map_err(|e| format!("cannot create a log file for npm: {e}"))?;
    let mut child = Command::new(&program)
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .env("npm_config_update_notifier", "false")
        .env("npm_config_progress", "false")
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.to_string_lossy()))?;
    let deadline = Instant::now() + Duration::from_secs(limit);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{shown}` did not finish within {limit} s (NANOUP_NPM_TIMEOUT)"
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("cannot wait for `{shown}`: {e}")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    {
        use std::io::{Read, Seek};
        let mut log = log;
        let _ = log.rewind();
        let _ = log.read_to_string(&mut text);
    }
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("npm error") || l.starts_with("npm ERR!"))
        .filter(|l| !l.contains("A complete log of this run"))
        .collect();
    let lines: Vec<&str> = if errors.is_empty() {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    } else {
        errors
    };
    let tail: Vec<&str> = lines.iter().rev().take(6).rev().copied().collect();
    Err(format!("`{shown}` failed ({status}): {}", tail.join(" | ")))
}

/// PyPI: requirements pins (and their `--hash` values), poetry.lock and uv.lock entries, edited
/// in place from the registry's file list for the new version. A lock entry whose dependencies
/// the file list cannot vouch for goes to uv for a uv.lock ([`uv_relock`]); a poetry.lock one is
/// refused (no `poetry lock` fallback yet).
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
    // A uv.lock edit whose dependencies need the resolver's word: (in-place text, caveats).
    let needs_uv: std::cell::RefCell<Option<(String, String)>> = std::cell::RefCell::new(None);
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let files = pypi_files_of(body, &update.to)
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
            return Err(format!(
                "{caveats}; nanoup has no `poetry lock` fallback yet: run `poetry update {name}` \
                 (Poetry re-resolves the lock), or check the dependencies of {name} {to} by hand"
            ));
        }
        Ok(edited.text)
    };
    let diff = |old: &str, new: &str| {
        edit::changed_entries(kind, &update.file, old, new).map_err(|e| e.to_string())
    };
    let outcome = edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff);
    match (outcome, needs_uv.into_inner()) {
        (Outcome::Refused { .. }, Some((in_place, caveats))) => {
            uv_relock(root, update, old, &in_place, &caveats)
        }
        (outcome, _) => outcome,
    }
}

/// The files of `version` in a PyPI answer, found by PEP 440 equality when the index spells the
/// version otherwise than the lock (`2020.11.08` for `2020.11.8`); empty when it has none.
fn pypi_files_of(
    body: &[u8],
    version: &str,
) -> Result<Vec<nanoup_ecosystems::pypi::registry::DistFile>, String> {
    use nanoup_versions::{Scheme, Version};
    let mut releases =
        nanoup_ecosystems::pypi::registry::parse_files(body).map_err(|e| e.to_string())?;
    if let Some(files) = releases.remove(version) {
        return Ok(files);
    }
    let Ok(wanted) = Version::parse(Scheme::Pep440, version) else {
        return Ok(Vec::new());
    };
    let key = releases
        .keys()
        .find(|k| Version::parse(Scheme::Pep440, k).is_ok_and(|v| v == wanted))
        .cloned();
    Ok(key.and_then(|k| releases.remove(&k)).unwrap_or_default())
}

/// How long one `uv` run may take before it is stopped.
const UV_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs `uv ARGS` in `dir` with a timeout; the failure (first and last lines of its stderr,
/// which can be long for a resolver conflict), if any.
fn run_uv(dir: &Path, args: &[&str]) -> Result<(), String> {
    use std::io::{Read, Seek};
    let shown = format!("uv {}", args.join(" "));
    let mut stderr = tempfile::tempfile().map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let mut child = Command::new("uv")
        .args(args)
        .current_dir(dir)
        .env("UV_NO_PROGRESS", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(
            stderr
                .try_clone()
                .map_err(|e| format!("cannot run `{shown}`: {e}"))?,
        )
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let started = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > UV_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{shown}` did not finish in {UV_TIMEOUT:?}; stopped"
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(e) => return Err(format!("cannot wait for `{shown}`: {e}")),
        }
    };
    if status.success() {
        return Ok(());
    }
    let mut text = String::new();
    let _ = stderr.rewind();
    let _ = stderr.read_to_string(&mut text);
    // The first error line and the conclusion (a resolver conflict explains itself at length
    // in between), each cut to a readable length.
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("error"))
        .unwrap_or(0);
    let mut picked: Vec<&str> = lines.get(first).copied().into_iter().collect();
    let tail = (first + 1).max(lines.len().saturating_sub(2));
    if tail > first + 1 {
        picked.push("...");
    }
    picked.extend(lines.iter().skip(tail));
    let cut = |l: &str| match l.char_indices().nth(400) {
        Some((at, _)) => format!("{}...", l.get(..at).unwrap_or(l)),
        None => l.to_string(),
    };
    let said = picked.into_iter().map(cut).collect::<Vec<_>>().join(" | ");
    Err(format!("`{shown}` failed ({status}): {said}"))
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
    let uv_runs = Command::new("uv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !uv_runs {
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
    let shown = |changes: &[EntryChange]| {
        changes
            .iter()
            .map(|c| {
                format!(
                    "{} {} -> {}",
                    c.name,
                    c.from.as_deref().unwrap_or("(new)"),
                    c.to.as_deref().unwrap_or("(removed)")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
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
