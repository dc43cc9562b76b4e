//! yarn v1 and pnpm: a yarn.lock block, or a pnpm-lock.yaml entry with every dependent's
//! recorded version, edited in place from the registry's manifest of the new version when
//! nothing else in the lockfile has to change; otherwise refused with the reason and the native
//! tool's command (`yarn upgrade NAME@TO`, `pnpm update NAME@TO`), which nanoup does not run.

use std::path::Path;

use nanoup_core::NanoUpdate;

use nanoup_ecosystems::dir_of;

use super::npm::{manifest_method, version_manifest};
use super::{Outcome, RegistryFetch, edit_from_registry};

/// Whether `file` is a yarn lockfile (`yarn.lock`).
pub(super) fn is_yarn_lock(file: &str) -> bool {
    nanoup_ecosystems::file_name(file) == "yarn.lock"
}

/// Whether `file` is a pnpm lockfile (`pnpm-lock.yaml`).
pub(super) fn is_pnpm_lock(file: &str) -> bool {
    nanoup_ecosystems::file_name(file) == "pnpm-lock.yaml"
}

/// yarn v1: the block of NAME@FROM rewritten for TO from the registry's manifest (see
/// `nanoup_ecosystems::npm::yarn_edit`), verified against the blast radius like every
/// in-place edit. A refusal names `yarn upgrade NAME@TO` as the native fallback.
pub(super) fn apply_yarn(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::npm::yarn_edit;
    let file = update.file.as_str();
    if std::str::from_utf8(old).is_ok_and(nanoup_ecosystems::npm::berry_edit::is_berry) {
        return apply_berry(root, update, old, dry_run, fetch);
    }
    let method = manifest_method(update);
    let roots = declared_specifiers(root, file);
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let manifest = version_manifest(update, body)?;
        yarn_edit::plan_yarn_edit(
            file,
            old_text,
            &update.name,
            &update.from,
            &manifest,
            &roots,
        )
        .map(|edit| edit.new_text)
        .map_err(|refusal| {
            if refusal.yarn_can_resolve() {
                format!(
                    "{refusal}; the native fallback is `yarn upgrade {}@{}` in {} (yarn decides \
                     the larger change; nanoup does not run yarn)",
                    update.name,
                    update.to,
                    dir_of(file)
                )
            } else {
                refusal.to_string()
            }
        })
    };
    let diff = |old: &str, new: &str| {
        yarn_edit::changed_entries(file, old, new).map_err(|e| e.to_string())
    };
    edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff)
}

/// yarn 2+ (berry): the block of NAME@FROM rewritten for TO (`npm::berry_edit`), then completed
/// and accepted by yarn itself (`yarn install --mode=update-lockfile`: the new archive's
/// checksum, the blocks of dependencies the lockfile lacks, the ones nothing needs dropped; no
/// link step, no other package fetched), and run again to see it stable. The blast radius
/// is the one measured, yarn's additions included; every file is put back when yarn refuses.
/// A parent bump or a manifest change is left to `yarn up`, which nanoup does not run.
fn apply_berry(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::npm::berry_edit;
    let file = update.file.as_str();
    let refuse = |reason: String| Outcome::Refused { reason };
    let (name, from, to) = (&update.name, &update.from, &update.to);
    if update.manifest_change || !update.steps.is_empty() {
        return refuse(format!(
            "{file} is a yarn 2+ lockfile: nanoup moves one package inside its dependents' \
             ranges there; this update also changes {}; run `yarn up {name}@{to}` (yarn \
             decides the larger change)",
            if update.manifest_change {
                "package.json".to_string()
            } else {
                format!("{} other packages", update.steps.len())
            }
        ));
    }
    let method = format!(
        "in-place edit of the {file} block of {name}@{from} from the registry's manifest of \
         {to}, completed and accepted by `yarn install --mode=update-lockfile` (the checksum, \
         the blocks its dependencies need)"
    );
    if dry_run {
        return Outcome::Planned { method };
    }
    let Ok(old_text) = std::str::from_utf8(old) else {
        return refuse(format!("{file} is not UTF-8"));
    };
    let body = match fetch(update) {
        Ok(body) => body,
        Err(e) => return refuse(format!("cannot get {name} from the registry: {e}")),
    };
    let manifest = match version_manifest(update, &body) {
        Ok(manifest) => manifest,
        Err(e) => return refuse(e),
    };
    let edited = match berry_edit::plan_berry_edit(file, old_text, name, from, &manifest) {
        Ok(text) => text,
        Err(refusal) => {
            return refuse(format!(
                "{refusal}; the native fallback is `yarn up {name}@{to}` in {} (nanoup does not \
                 run it)",
                dir_of(file)
            ));
        }
    };
    let path = root.join(file);
    let dir = path.parent().unwrap_or(root);
    if let Err(e) = yarn_berry_version(dir) {
        return refuse(e);
    }
    let restore = |reason: String| {
        let failed = super::put_back(&[(&path, file, old)]);
        Outcome::Refused {
            reason: format!("{reason}; {file} restored{failed}"),
        }
    };
    if let Err(e) = super::write_atomically(&path, edited.as_bytes()) {
        return restore(format!("cannot write {file}: {e}"));
    }
    if let Err(e) = run_yarn(dir, &["install", "--mode=update-lockfile"]) {
        return restore(format!("yarn did not accept the edit: {e}"));
    }
    let new_text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => return restore(format!("cannot read {file} after yarn: {e}")),
    };
    if berry_edit::format_version(&new_text) != berry_edit::format_version(old_text) {
        return restore(format!(
            "yarn rewrote {file} in another lockfile format (the project's yarn is not the one \
             that wrote it; set NANOUP_YARN to it)"
        ));
    }
    let changed = match berry_edit::changed_entries(file, old_text, &new_text) {
        Ok(changed) => super::each_once(changed),
        Err(e) => return restore(format!("cannot read {file} after yarn: {e}")),
    };
    let moved = changed
        .iter()
        .any(|c| c.name == *name && c.from.as_deref() == Some(from) && c.to.as_deref() == Some(to));
    if !moved {
        return restore(format!("yarn did not keep {name}@{to} in place of {from}"));
    }
    // Accepted as it is: a second run changes nothing (`--immutable` does not combine with
    // `--mode=update-lockfile`, and without it yarn would fetch and link every package).
    if let Err(e) = run_yarn(dir, &["install", "--mode=update-lockfile"]) {
        return restore(format!("yarn does not accept the completed {file}: {e}"));
    }
    if std::fs::read_to_string(&path).ok().as_deref() != Some(new_text.as_str()) {
        return restore(format!(
            "yarn changed the completed {file} again on a second run: it is not stable"
        ));
    }
    Outcome::Applied {
        changed,
        files: vec![file.to_string()],
        method,
    }
}

/// The yarn nanoup runs on a yarn 2+ project: `NANOUP_YARN`, else `yarn` on the PATH.
fn yarn_program() -> std::ffi::OsString {
    std::env::var_os("NANOUP_YARN").unwrap_or_else(|| "yarn".into())
}

/// yarn's environment: never an immutable install by default (CI sets that), no telemetry,
/// no progress output, and corepack does not ask before fetching the project's yarn.
const YARN_ENV: [(&str, &str); 4] = [
    ("YARN_ENABLE_IMMUTABLE_INSTALLS", "false"),
    ("YARN_ENABLE_TELEMETRY", "0"),
    ("YARN_ENABLE_PROGRESS_BARS", "false"),
    ("COREPACK_ENABLE_DOWNLOAD_PROMPT", "0"),
];

/// Checks that the yarn run in `dir` is yarn 2 or later (yarn 1 cannot read a berry lockfile).
fn yarn_berry_version(dir: &Path) -> Result<(), String> {
    let program = yarn_program();
    let shown = program.to_string_lossy().into_owned();
    let needs = "a yarn 2+ lockfile is completed and checked by yarn 2+ itself: enable it \
                 (`corepack enable`) or set NANOUP_YARN";
    let output = std::process::Command::new(&program)
        .arg("--version")
        .current_dir(dir)
        .envs(YARN_ENV)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}; {needs}"))?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok());
    match major {
        Some(major) if output.status.success() && major >= 2 => Ok(()),
        _ => Err(format!(
            "`{shown} --version` says {:?}; {needs}",
            if version.is_empty() {
                String::from_utf8_lossy(&output.stderr).trim().to_string()
            } else {
                version
            }
        )),
    }
}

/// Runs yarn with `args` in `dir`, killed after `NANOUP_YARN_TIMEOUT` seconds (default 300);
/// a failure says yarn's error lines (`YN0001: ...`, on stdout).
fn run_yarn(dir: &Path, args: &[&str]) -> Result<(), String> {
    use super::tool::{error_lines, failure_tail, run_timed_all_output};
    let ran = run_timed_all_output(
        "yarn",
        &yarn_program(),
        args,
        dir,
        &YARN_ENV,
        "NANOUP_YARN_TIMEOUT",
    )?;
    let Err((shown, status, text)) = ran else {
        return Ok(());
    };
    let lines = error_lines(&text, |l| {
        l.contains("YN0001") || l.contains("YN0028") || l.contains("rror")
    });
    Err(failure_tail(&shown, status, &lines))
}

/// The `name@range` specifiers the project's manifests declare (the package.json beside the
/// lockfile and its workspace members, peer dependencies left out: yarn v1 does not install
/// them). They keep a specifier in yarn.lock when no block depends on it. A manifest that
/// cannot be read adds nothing, which only makes the editor more cautious.
fn declared_specifiers(root: &Path, lock_file: &str) -> Vec<String> {
    use nanoup_ecosystems::npm::parse_package_json;
    let dir = root.join(lock_file);
    let dir = dir.parent().unwrap_or(root);
    let read = |manifest_dir: &Path| {
        let path = manifest_dir.join("package.json");
        let text = std::fs::read_to_string(&path).ok()?;
        parse_package_json(&path.to_string_lossy(), &text).ok()
    };
    let Some(top) = read(dir) else {
        return Vec::new();
    };
    let mut manifests = vec![top.clone()];
    for pattern in &top.workspaces {
        let pattern = pattern.trim_end_matches('/');
        // `packages/*` and plain folders; other globs are not expanded.
        if let Some(parent) = pattern.strip_suffix("/*") {
            if parent.contains(['*', '?', '[', '{']) {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(dir.join(parent)) else {
                continue;
            };
            let mut members: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            members.sort();
            manifests.extend(members.iter().filter_map(|m| read(m)));
        } else if !pattern.contains(['*', '?', '[', '{']) {
            manifests.extend(read(&dir.join(pattern)));
        }
    }
    manifests
        .iter()
        .flat_map(|m| &m.dependencies)
        .filter(|d| d.section != "peerDependencies")
        .map(|d| format!("{}@{}", d.name, d.requirement))
        .collect()
}

/// pnpm: the entry of NAME@FROM moved in place to TO with every dependent's recorded version
/// (`npm::pnpm_edit`), the dependents' ranges read from the registry's packuments; refused,
/// naming `pnpm update NAME@TO` as the native fallback, when the tree must change otherwise
/// (a range that rejects TO, a dependency the lockfile lacks, peers). nanoup does not run pnpm.
pub(super) fn apply_pnpm(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    use nanoup_ecosystems::npm::pnpm_edit::plan_pnpm_edit;
    use nanoup_ecosystems::npm::registry::dependency_ranges;
    let file = update.file.as_str();
    let fallback = format!(
        "the native fallback is `pnpm update {}@{}` in {} (add `--recursive` in a workspace; \
         nanoup does not run pnpm)",
        update.name,
        update.to,
        dir_of(file)
    );
    let method = format!(
        "in-place edit of {file} from the registry's manifest of {}@{}, every dependent's \
         recorded version moved with it",
        update.name, update.to
    );
    let new_text = |old_text: &str, body: &[u8]| -> Result<String, String> {
        let manifest = super::npm::version_manifest(update, body)?;
        // The range each dependent release declares on the package, from its packument.
        let ranges = std::cell::RefCell::new(std::collections::BTreeMap::new());
        let dependent_range = |dependent: &str, version: &str| -> Option<String> {
            let mut known = ranges.borrow_mut();
            if !known.contains_key(dependent) {
                let asked = NanoUpdate {
                    name: dependent.to_string(),
                    from: version.to_string(),
                    to: version.to_string(),
                    ..update.clone()
                };
                let read = fetch(&asked)
                    .ok()
                    .and_then(|body| dependency_ranges(dependent, &body).ok());
                known.insert(dependent.to_string(), read);
            }
            known
                .get(dependent)?
                .as_ref()?
                .get(version)?
                .iter()
                .find(|(d, _)| *d == update.name)
                .map(|(_, r)| r.clone())
        };
        plan_pnpm_edit(
            old_text,
            &update.name,
            &update.from,
            &manifest,
            &dependent_range,
        )
        .map(|edit| edit.new_text)
        .map_err(|e| format!("{file}: {e}; {fallback}"))
    };
    let diff = |old: &str, new: &str| {
        nanoup_ecosystems::npm::pnpm_edit::changed_entries(file, old, new)
            .map_err(|e| e.to_string())
    };
    edit_from_registry(root, update, old, dry_run, fetch, method, new_text, diff)
}
