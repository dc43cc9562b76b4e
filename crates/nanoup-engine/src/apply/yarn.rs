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
