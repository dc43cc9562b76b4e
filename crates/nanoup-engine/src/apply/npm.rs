//! npm: package-lock.json (and npm-shrinkwrap.json) edited in place from the registry's manifest
//! of the new version, or, when that is not possible, npm's own `npm install` as a fallback that
//! reports the real blast radius.

use std::path::Path;

use nanoup_core::{NanoUpdate, Step, StepRole};

use nanoup_ecosystems::npm::registry::VersionManifest;

use super::tool::{error_lines, failure_tail, run_timed};
use super::{
    Outcome, RegistryFetch, directory_of, each_once, edit_from_registry, fetch_step, put_back,
    write_atomically,
};
use crate::memo::RunMemo;

/// Whether `file` is a lockfile npm itself writes (`package-lock.json`, `npm-shrinkwrap.json`).
pub(super) fn is_npm_lock(file: &str) -> bool {
    file.ends_with("package-lock.json") || file.ends_with("npm-shrinkwrap.json")
}

/// npm: the package-lock entries of the package, edited in place from the registry's manifest of
/// the new version, when every dependent's range accepts it and its own dependencies are
/// satisfied by the tree. Otherwise (and for a manifest change) npm itself makes the update
/// (`npm_fallback`), and the real, larger blast radius is reported.
///
/// Either way npm must accept the result: `npm ls --package-lock-only --all` may report no
/// problem the tree did not have before the update ([`accepted_by_npm`]), else every file is
/// put back and the update refused.
pub(super) fn apply_npm(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    if dry_run {
        return edit_npm(root, update, old, dry_run, fetch);
    }
    let lock_path = root.join(&update.file);
    let dir = directory_of(&lock_path, root).to_path_buf();
    let manifest_rel =
        nanoup_ecosystems::join(nanoup_ecosystems::dir_of(&update.file), "package.json");
    let old_manifest = std::fs::read(root.join(&manifest_rel)).ok();
    let before = match npm_ls_problems(&dir, old, old_manifest.as_deref()) {
        Ok(problems) => problems,
        Err(e) => {
            return Outcome::Refused {
                reason: format!(
                    "npm must accept every edit of {} and cannot be asked: {e} (install npm, or \
                     set NANOUP_NPM)",
                    update.file
                ),
            };
        }
    };
    let outcome = edit_npm(root, update, old, dry_run, fetch);
    let Outcome::Applied { files, .. } = &outcome else {
        return outcome;
    };
    let restore = |reason: String| {
        let mut originals: Vec<(&Path, &str, &[u8])> = vec![(&lock_path, &update.file, old)];
        let manifest_path = root.join(&manifest_rel);
        if let Some(bytes) = &old_manifest
            && files.contains(&manifest_rel)
        {
            originals.push((&manifest_path, &manifest_rel, bytes));
        }
        let failed = put_back(&originals);
        Outcome::Refused {
            reason: format!("{reason}; every file restored{failed}"),
        }
    };
    let (Ok(new), new_manifest) = (
        std::fs::read(&lock_path),
        std::fs::read(root.join(&manifest_rel)).ok(),
    ) else {
        return restore(format!("cannot read {} after the edit", update.file));
    };
    match npm_ls_problems(&dir, &new, new_manifest.as_deref()) {
        Ok(after) => {
            let new_problems: Vec<&String> = after.difference(&before).collect();
            if new_problems.is_empty() {
                outcome
            } else {
                let shown: Vec<&str> = new_problems.iter().take(6).map(|s| s.as_str()).collect();
                restore(format!(
                    "npm does not accept the edited {}: `npm ls --package-lock-only --all` \
                     reports {} new problem(s): {}",
                    update.file,
                    new_problems.len(),
                    shown.join(" | ")
                ))
            }
        }
        Err(e) => restore(format!(
            "npm could not check the edited {}: {e}",
            update.file
        )),
    }
}

/// The problems npm finds in the tree a lockfile and its package.json describe (`npm ls
/// --package-lock-only --all`: `missing: …`, `invalid: …`, `extraneous: …`), as npm words them;
/// empty when it accepts the tree. Remembered per (directory, lockfile, package.json) for the
/// run, so that an update whose files are the previous update's result costs one npm run.
fn npm_ls_problems(
    dir: &Path,
    lock: &[u8],
    manifest: Option<&[u8]>,
) -> Result<std::collections::BTreeSet<String>, String> {
    use std::collections::BTreeSet;
    type Key = (std::path::PathBuf, String, Option<String>);
    static SEEN: RunMemo<Key, BTreeSet<String>> = RunMemo::new();
    let key: Key = (
        dir.to_path_buf(),
        nanoup_core::FileDigest::of("", lock).sha256,
        manifest.map(|m| nanoup_core::FileDigest::of("", m).sha256),
    );
    if let Some(problems) = SEEN.get(&key) {
        return Ok(problems);
    }
    let args = ["ls", "--package-lock-only", "--all"];
    let problems: BTreeSet<String> = match run_timed(
        "npm",
        &npm_program(),
        &args,
        dir,
        &NPM_ENV,
        "NANOUP_NPM_TIMEOUT",
    )? {
        Ok(()) => BTreeSet::new(),
        Err((_, _, stderr)) => {
            let problems: BTreeSet<String> = stderr
                .lines()
                .filter_map(|l| l.strip_prefix("npm error ").or(l.strip_prefix("npm ERR! ")))
                .filter(|l| !l.starts_with("code ") && !l.contains("A complete log of this run"))
                .map(str::to_string)
                .collect();
            if problems.is_empty() {
                // A failure that names no problem: count it as one, worded by its last line.
                BTreeSet::from([stderr.lines().last().unwrap_or("npm ls failed").to_string()])
            } else {
                problems
            }
        }
    };
    SEEN.insert(key, problems.clone());
    Ok(problems)
}

/// [`apply_npm`] without npm's acceptance check.
fn edit_npm(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::npm::edit;
    if update.manifest_change {
        let why = format!("the range in package.json does not accept {}", update.to);
        if dry_run {
            return Outcome::Planned {
                method: npm_fallback_method(update, &why),
            };
        }
        return npm_fallback(root, update, old, &why);
    }
    let method = manifest_method(update);
    // Set when the in-place edit is refused for a reason npm can resolve by changing the tree.
    let needs_npm = std::cell::RefCell::new(None::<String>);
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let manifest = version_manifest(update, body)?;
        // A group moves its parents and companions with the target, each from the registry's
        // manifest of its new version.
        // Entries the group adds are placed by the edit itself; those it removes are the ones
        // nothing reaches any more (both named by the plan, checked after the edit).
        let mut others = Vec::new();
        let mut added = Vec::new();
        for step in update.steps.iter().filter(|s| s.role != StepRole::Target) {
            let Some(to) = &step.to else {
                continue;
            };
            let body = fetch_step(update, step, to, fetch)?;
            let manifest = nanoup_ecosystems::npm::registry::version_manifest(
                &step.name, &body, to,
            )
            .map_err(|e| {
                format!(
                    "cannot read {}@{to} from the registry's answer: {e}",
                    step.name
                )
            })?;
            // A step made at one place (an entry added, one copy replaced) is placed by the
            // edit; the others move every copy.
            match (&step.from, &step.path) {
                (Some(from), None) => others.push((step.name.as_str(), from.as_str(), manifest)),
                _ => added.push(manifest),
            }
        }
        let mut moves: Vec<edit::Move<'_>> = others
            .iter()
            .map(|(name, from, to)| edit::Move { name, from, to })
            .collect();
        moves.push(edit::Move {
            name: &update.name,
            from: &update.from,
            to: &manifest,
        });
        let added: Vec<&VersionManifest> = added.iter().collect();
        edit::plan_group_edit(old_text, &moves, &added)
            .map(|planned| planned.new_text)
            .map_err(|refusal| {
                let reason = refusal.to_string();
                if refusal.npm_can_resolve() {
                    *needs_npm.borrow_mut() = Some(reason.clone());
                }
                reason
            })
    };
    // One package can be installed at several places of the tree: each place is an entry of
    // the measured blast radius (with its path), all moving from `from` to `to`.
    let diff = |old: &str, new: &str| {
        edit::changed_entries(old, new)
            .map(each_once)
            .map_err(|e| e.to_string())
    };
    let outcome = edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff);
    match (outcome, needs_npm.into_inner()) {
        // The edit was refused before anything was written: let npm change the tree.
        (Outcome::Refused { .. }, Some(why)) => npm_fallback(root, update, old, &why),
        (outcome, _) => outcome,
    }
}

/// The method of an in-place edit of a lockfile from the registry's manifest of the new version.
pub(super) fn manifest_method(update: &NanoUpdate) -> String {
    format!(
        "in-place edit of {} from the registry's manifest of {}@{}",
        update.file, update.name, update.to
    )
}

/// The registry's manifest of the version the update moves to, read from its answer about the
/// package (`body`), or why it cannot be read.
pub(super) fn version_manifest(
    update: &NanoUpdate,
    body: &[u8],
) -> Result<VersionManifest, String> {
    nanoup_ecosystems::npm::registry::version_manifest(&update.name, body, &update.to).map_err(
        |e| {
            format!(
                "cannot read {}@{} from the registry's answer: {e}",
                update.name, update.to
            )
        },
    )
}

/// The method string of the npm fallback, with why the in-place edit was not possible.
fn npm_fallback_method(update: &NanoUpdate, why: &str) -> String {
    format!(
        "npm install {} --package-lock-only --ignore-scripts (fallback: {why})",
        install_specs(update).join(" ")
    )
}

/// Every (name, version) the update moves away from: its steps', or its own.
fn moved_from(update: &NanoUpdate) -> Vec<(String, String)> {
    if update.steps.is_empty() {
        return vec![(update.name.clone(), update.from.clone())];
    }
    update
        .steps
        .iter()
        .filter_map(|s| Some((s.name.clone(), s.from.clone()?)))
        .collect()
}

/// What the fallback asks npm to install: `NAME@TO`, after the parents and companions that
/// move with it in a group (`OTHER@TO` each). For a group that changes package.json, only the packages whose
/// range there changes: npm saves a range for each package it is asked to install.
fn install_specs(update: &NanoUpdate) -> Vec<String> {
    let wanted = |s: &&Step| !update.manifest_change || s.manifest;
    let mut specs: Vec<String> = update
        .steps
        .iter()
        .filter(|s| s.role != StepRole::Target && s.from.is_some())
        .filter(wanted)
        .filter_map(|s| Some(format!("{}@{}", s.name, s.to.as_deref()?)))
        .collect();
    let target_step = update.steps.iter().find(|s| s.role == StepRole::Target);
    if target_step.is_none_or(|s| wanted(&s)) {
        specs.push(format!("{}@{}", update.name, update.to));
    }
    specs
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
    let dir = directory_of(&lock_path, root);
    let manifest_rel = nanoup_ecosystems::join(nanoup_ecosystems::dir_of(file), "package.json");
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
    // `--prefer-offline`: the packuments npm cached in an earlier run of this apply are used
    // without asking the registry again (npm still asks for what its cache lacks); on a large
    // tree that is most of each run's time.
    let mut options: Vec<String> = [
        "--package-lock-only",
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
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
    // Every package the update moves must still be where the plan found it: npm would
    // otherwise install a planned version over a newer one (a downgrade).
    for (name, from) in moved_from(update) {
        match edit::installed(old_text, &name) {
            Ok(places)
                if places
                    .iter()
                    .any(|(_, v)| v.as_deref() == Some(from.as_str())) => {}
            Ok(_) => {
                return Outcome::Refused {
                    reason: format!(
                        "{file} installs no {name}@{from} any more; re-plan against the current \
                         lockfile"
                    ),
                };
            }
            Err(e) => {
                return Outcome::Refused {
                    reason: parse_error(e),
                };
            }
        }
    }
    let mut sync = vec!["install".to_string()];
    sync.extend(options.iter().cloned());
    let specs = install_specs(update);
    // A parent release npm could not install earlier in the run (ERESOLVE, say) fails again:
    // say so at once instead of running npm for minutes.
    let parents: Vec<String> = update
        .steps
        .iter()
        .filter(|s| s.role == StepRole::Parent)
        .filter_map(|s| Some(format!("{}@{}", s.name, s.to.as_deref()?)))
        .collect();
    if let Some((spec, failure)) = parents
        .iter()
        .find_map(|spec| Some((spec, FAILED_INSTALLS.get(spec)?)))
    {
        return Outcome::Refused {
            reason: format!(
                "{why}; npm could not install {spec} earlier in this run, so the fallback is not \
                 tried again ({failure})"
            ),
        };
    }
    let spec = specs.join(" ");
    let mut install = vec!["install".to_string()];
    install.extend(specs.iter().cloned());
    install.extend(options.iter().cloned());
    // Puts back every file npm may have written; the reason says what happened.
    let restore = |reason: String| {
        let failed = put_back(&[
            (&lock_path, file, old),
            (&manifest_path, &manifest_rel, &old_manifest),
        ]);
        Outcome::Refused {
            reason: format!("{reason}; {file} and {manifest_rel} restored{failed}"),
        }
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

    // npm's own rewrite of the untouched file, which tells the update's changes from npm's
    // normalisation when they are spliced back (lockfileVersion 2 and 3: see
    // `splice_npm_changes`; a v1 file keeps npm's whole rewrite, so it needs none).
    // Remembered per file state for the run: a refused fallback puts the same file back for
    // the next one, and an applied one leaves a file whose rewrite npm has just made.
    let manifest_digest = nanoup_core::FileDigest::of(&manifest_rel, &old_manifest).sha256;
    let key = (
        nanoup_core::FileDigest::of(file, old).sha256,
        manifest_digest.clone(),
    );
    let baseline = if !edit::splices(old_text) {
        old_text.to_string()
    } else if let Some(text) = BASELINES.get(&key) {
        // The update runs on npm's rewrite, as when npm has just made it.
        match write_atomically(&lock_path, text.as_bytes()) {
            Ok(()) => text,
            Err(e) => return restore(format!("cannot write {file}: {e}")),
        }
    } else {
        if let Err(e) = run_npm(dir, &sync) {
            return restore(format!("{why}; the npm fallback failed: {e}"));
        }
        if !manifest_kept() {
            return restore(format!(
                "`npm install` without an update changed {manifest_rel}"
            ));
        }
        let text = match read_lock() {
            Ok(text) => text,
            Err(e) => return restore(e),
        };
        BASELINES.insert(key, text.clone());
        text
    };

    // The update.
    if let Err(e) = run_npm(dir, &install) {
        for spec in &parents {
            FAILED_INSTALLS.insert(spec.clone(), e.clone());
        }
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
            if let Err(e) = run_npm(dir, &sync) {
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
            run_npm(dir, &sync)?;
            let again = read_lock()?;
            edit::npm_normalises_only(old_text, &baseline, &spliced, &again)?;
            // npm's rewrite of the spliced file: the baseline of the next fallback on it.
            let spliced_key = (
                nanoup_core::FileDigest::of(file, spliced.as_bytes()).sha256,
                manifest_digest.clone(),
            );
            BASELINES.insert(spliced_key, again);
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
    // A group that changes package.json lets npm choose the target's version under the new
    // parent (it is not asked for by name): any version but FROM, reported as measured.
    let chosen_by_npm = update.manifest_change
        && !install_specs(update).contains(&format!("{}@{}", update.name, update.to));
    // The parents npm installed no longer need the package at all: it left the tree, and with
    // it every advisory on it (a fix by removal, as a Cargo parent bump can make).
    let removed = places.is_empty();
    if removed {
        method.push_str(&format!(
            "; {} left {file}: no installed package needs it now",
            update.name
        ));
    }
    if !removed
        && at(&update.to).is_empty()
        && !(chosen_by_npm && places.iter().any(|(_, v)| v.is_some()))
    {
        let found: Vec<String> = places
            .iter()
            .map(|(location, v)| {
                format!("{} at {location}", v.as_deref().unwrap_or("(no version)"))
            })
            .collect();
        return restore(format!(
            "`npm install {spec}` did not install {}: {} is {}",
            update.to,
            update.name,
            found.join(", ")
        ));
    }
    let changed = match edit::changed_entries(old_text, new_text) {
        Ok(changed) => each_once(changed),
        Err(e) => return restore(format!("cannot parse {file} after npm: {}", parse_error(e))),
    };
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

/// npm's rewrite of an untouched lockfile, by (lockfile, package.json) digest, for the run.
static BASELINES: RunMemo<(String, String), String> = RunMemo::new();

/// The parent releases (`name@version`) `npm install` failed on in this run, and how.
static FAILED_INSTALLS: RunMemo<String, String> = RunMemo::new();

/// The npm nanoup runs: `NANOUP_NPM`, else `npm` on the PATH.
fn npm_program() -> std::ffi::OsString {
    std::env::var_os("NANOUP_NPM").unwrap_or_else(|| "npm".into())
}

/// The environment of every npm run: no update notice, no progress output.
const NPM_ENV: [(&str, &str); 2] = [
    ("npm_config_update_notifier", "false"),
    ("npm_config_progress", "false"),
];

/// Runs npm ([`npm_program`]) with `args` in `dir`, without a terminal, killed after
/// `NANOUP_NPM_TIMEOUT` seconds (default 300); on failure, npm's error lines.
fn run_npm(dir: &Path, args: &[String]) -> Result<(), String> {
    let ran = run_timed(
        "npm",
        &npm_program(),
        args,
        dir,
        &NPM_ENV,
        "NANOUP_NPM_TIMEOUT",
    )?;
    let Err((shown, status, text)) = ran else {
        return Ok(());
    };
    let lines = error_lines(&text, |l| {
        (l.starts_with("npm error") || l.starts_with("npm ERR!"))
            && !l.contains("A complete log of this run")
    });
    Err(failure_tail(&shown, status, &lines))
}
