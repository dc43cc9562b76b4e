//! yarn v1 and pnpm: a yarn.lock block edited in place from the registry's manifest of the new
//! version when nothing else in the lockfile has to change; otherwise, and for every
//! pnpm-lock.yaml, refused with the reason and the native tool's command (`yarn upgrade
//! NAME@TO`, `pnpm update NAME@TO`), which nanoup does not run.

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

/// pnpm: refused, naming `pnpm update NAME@TO` as the native fallback. A pnpm lockfile records
/// in every dependent (importers, package entries, and the peer suffixes of package keys) the
/// exact version it resolved, and for package entries not the range they asked for: moving
/// one package changes several entries, and whether each dependent accepts the new version
/// cannot be checked from the lockfile alone.
pub(super) fn apply_pnpm(update: &NanoUpdate, old: &[u8]) -> Outcome {
    use nanoup_ecosystems::npm::parse_pnpm_lock;
    let file = update.file.as_str();
    let Ok(text) = std::str::from_utf8(old) else {
        return Outcome::Refused {
            reason: format!("{file} is not UTF-8"),
        };
    };
    let lock = match parse_pnpm_lock(file, text) {
        Ok(lock) => lock,
        Err(e) => {
            return Outcome::Refused {
                reason: e.to_string(),
            };
        }
    };
    let holds = lock
        .components()
        .iter()
        .any(|c| c.name == update.name && c.version.as_deref() == Some(update.from.as_str()));
    if !holds {
        return Outcome::Refused {
            reason: format!(
                "{file} holds no {}@{}; re-plan against the current lockfile",
                update.name, update.from
            ),
        };
    }
    let references = pnpm_references(text, &update.name, &update.from);
    Outcome::Refused {
        reason: format!(
            "{file}: nanoup does not edit pnpm lockfiles in place: {}@{} is referred to by \
             exact version from {references} dependency line(s) of importers and packages (and \
             from the keys of packages resolved with it as a peer), and the lockfile does not \
             record the ranges package dependents ask for, so a change limited to the planned \
             entry cannot be verified; the native fallback is `pnpm update {}@{}` in {} (add \
             `--recursive` in a workspace; nanoup does not run pnpm)",
            update.name,
            update.from,
            update.name,
            update.to,
            dir_of(file)
        ),
    }
}

/// How many dependency lines of a pnpm lockfile (`name: version`, `'@scope/name': version`,
/// with or without a peer suffix) resolve `name` to `version`.
fn pnpm_references(text: &str, name: &str, version: &str) -> usize {
    let keys = [
        format!("{name}:"),
        format!("'{name}':"),
        format!("\"{name}\":"),
    ];
    text.lines()
        .filter(|line| line.starts_with("  "))
        .filter_map(|line| {
            let line = line.trim();
            keys.iter()
                .find_map(|k| line.strip_prefix(k.as_str()))
                .map(str::trim)
        })
        .filter(|value| {
            let value = value.trim_matches(['\'', '"']);
            value == version
                || value
                    .strip_prefix(version)
                    .is_some_and(|rest| rest.starts_with('_') || rest.starts_with('('))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_references_count_dependency_lines() {
        let text = "lockfileVersion: 5.4\n\nimporters:\n\n  .:\n    specifiers:\n      ms: ^2.1.1\n    dependencies:\n      ms: 2.1.2\n\npackages:\n\n  /debug/4.3.1:\n    dependencies:\n      ms: 2.1.2\n\n  /x/1.0.0_ms@2.1.2:\n    dependencies:\n      ms: 2.1.2_y@1.0.0\n      msx: 2.1.2\n      '@s/ms': 2.1.2\n\n  /ms/2.1.2:\n    resolution: {integrity: sha512-x}\n";
        assert_eq!(pnpm_references(text, "ms", "2.1.2"), 3);
        assert_eq!(pnpm_references(text, "@s/ms", "2.1.2"), 1);
    }
}
