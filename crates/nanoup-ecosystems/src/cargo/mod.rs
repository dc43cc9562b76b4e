//! The Cargo ecosystem: a stack is a Cargo.lock with the workspace's manifests beside it.
//!
//! The lockfile gives every resolved package and the edges between them; the manifests say which
//! packages are the workspace's own (not components), which are direct dependencies, and in which
//! section (normal, optional, dev, build) they are declared. Transitive packages take the most
//! essential scope of any direct dependency that reaches them.

pub mod edit;
pub mod lockfile;
mod manifest;
pub mod registry;
pub mod splice;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, VecDeque};

use globset::Glob;
use nanoup_core::{Component, Ecosystem, ParseError, Scope, Source, Stack};

pub use lockfile::LockPackage;
pub use manifest::{DeclaredDependency, Manifest};

use crate::{NamedParser, Scanned, Tree, dir_of, join, relative_to};

/// The crates.io registry as Cargo.lock names it (git index and sparse index forms).
const CRATES_IO_SOURCES: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// The pure parsers of this ecosystem's file formats, for fuzzing and benchmarks.
pub const PARSERS: &[NamedParser] = &[
    NamedParser {
        name: "cargo_lock",
        file_name: "Cargo.lock",
        parse: |file, text| lockfile::parse(file, text).map(|p| p.len()),
    },
    NamedParser {
        name: "cargo_toml",
        file_name: "Cargo.toml",
        parse: |file, text| {
            manifest::parse(file, text, &BTreeMap::new()).map(|m| m.dependencies.len())
        },
    },
];

/// Finds and reads every Cargo stack (one per Cargo.lock) in `tree`.
pub fn scan(tree: &Tree) -> Scanned {
    let mut out = Scanned::default();
    for lock in tree.named("Cargo.lock") {
        out.extend(scan_stack(tree, lock));
    }
    out
}

/// Reads one workspace: its Cargo.lock, its root manifest and its members' manifests.
fn scan_stack(tree: &Tree, lock_file: &str) -> Scanned {
    let mut out = Scanned::default();
    let dir = dir_of(lock_file);
    let packages = match tree
        .read(lock_file)
        .and_then(|text| lockfile::parse(lock_file, &text))
    {
        Ok(packages) => packages,
        Err(error) => {
            out.errors.push(error);
            return out;
        }
    };
    let (manifests, manifest_errors) = read_workspace(tree, dir);
    out.errors.extend(manifest_errors);
    let mut files = vec!["Cargo.lock".to_string()];
    files.extend(
        manifests
            .iter()
            .filter_map(|(rel, _)| relative_to(dir, rel).map(str::to_string)),
    );
    let components = components(&packages, &manifests, lock_file);
    out.stacks
        .push(Stack::new(dir, Ecosystem::Cargo, files, components));
    out
}

/// The root manifest beside the lockfile and the manifests of the workspace members it lists.
fn read_workspace(tree: &Tree, dir: &str) -> (Vec<(String, Manifest)>, Vec<ParseError>) {
    let mut manifests = Vec::new();
    let mut errors = Vec::new();
    let root_file = join(dir, "Cargo.toml");
    if !tree.contains(&root_file) {
        return (manifests, errors);
    }
    let root = match tree
        .read(&root_file)
        .and_then(|text| manifest::parse(&root_file, &text, &BTreeMap::new()))
    {
        Ok(root) => root,
        Err(error) => {
            errors.push(error);
            return (manifests, errors);
        }
    };
    let member_globs: Vec<_> = root
        .members
        .iter()
        .filter_map(|pattern| Glob::new(pattern.trim_end_matches('/')).ok())
        .map(|g| g.compile_matcher())
        .collect();
    let excluded = |member_dir: &str| {
        root.exclude.iter().any(|e| {
            member_dir == e.trim_end_matches('/')
                || member_dir.starts_with(&format!("{}/", e.trim_end_matches('/')))
        })
    };
    for candidate in tree.named("Cargo.toml") {
        let Some(rel) = relative_to(dir, candidate) else {
            continue;
        };
        let member_dir = dir_of(rel);
        if member_dir == "."
            || excluded(member_dir)
            || !member_globs.iter().any(|g| g.is_match(member_dir))
        {
            continue;
        }
        match tree
            .read(candidate)
            .and_then(|text| manifest::parse(candidate, &text, &root.workspace_dependencies))
        {
            Ok(member) => manifests.push((candidate.to_string(), member)),
            Err(error) => errors.push(error),
        }
    }
    manifests.insert(0, (root_file, root));
    (manifests, errors)
}

/// The workspace's components: every locked package except the workspace's own crates.
fn components(
    packages: &[LockPackage],
    manifests: &[(String, Manifest)],
    lock_file: &str,
) -> Vec<Component> {
    let by_name: HashMap<&str, Vec<usize>> =
        packages
            .iter()
            .enumerate()
            .fold(HashMap::new(), |mut map, (i, p)| {
                map.entry(p.name.as_str()).or_default().push(i);
                map
            });
    let resolve = |reference: &str| -> Option<usize> {
        let name = reference.split_whitespace().next()?;
        by_name
            .get(name)?
            .iter()
            .copied()
            .find(|&i| packages[i].matches_reference(reference))
    };
    let is_member = |p: &LockPackage| {
        p.source.is_none()
            && manifests
                .iter()
                .any(|(_, m)| m.package.as_deref() == Some(p.name.as_str()))
    };

    // Direct dependencies: the lock edges of each member, with the manifest's section as scope.
    let mut scope: Vec<Option<Scope>> = vec![None; packages.len()];
    let mut direct = vec![false; packages.len()];
    let mut requirement: Vec<Option<String>> = vec![None; packages.len()];
    for (_, manifest) in manifests {
        let Some(name) = &manifest.package else {
            continue;
        };
        let Some(member) = packages
            .iter()
            .find(|p| &p.name == name && p.source.is_none())
        else {
            continue;
        };
        for reference in &member.dependencies {
            let Some(i) = resolve(reference) else {
                continue;
            };
            let declared = manifest.dependencies.get(&packages[i].name);
            let s = declared.map_or(Scope::Prod, |d| d.scope);
            direct[i] = true;
            scope[i] = Some(scope[i].map_or(s, |old| old.min(s)));
            if requirement[i].is_none() {
                requirement[i] = declared.and_then(|d| d.requirement.clone());
            }
        }
    }

    // Transitive scope: breadth-first from the direct dependencies, most essential scope first.
    let mut reached: Vec<Option<Scope>> = vec![None; packages.len()];
    for level in [Scope::Prod, Scope::Optional, Scope::Dev, Scope::Build] {
        let mut queue: VecDeque<usize> = (0..packages.len())
            .filter(|&i| scope[i] == Some(level))
            .collect();
        while let Some(i) = queue.pop_front() {
            if reached[i].is_some() {
                continue;
            }
            reached[i] = Some(level);
            queue.extend(packages[i].dependencies.iter().filter_map(|r| resolve(r)));
        }
    }

    packages
        .iter()
        .enumerate()
        .filter(|(_, p)| !is_member(p))
        .map(|(i, p)| {
            let mut c = Component::new(Ecosystem::Cargo, &p.name, &p.version, lock_file, p.line);
            c.direct = direct[i];
            c.scope = reached[i].unwrap_or(Scope::Prod);
            c.requirement = requirement[i].clone();
            match p.source.as_deref() {
                None => c.source = Source::Path,
                Some(s) if s.starts_with("git+") => {
                    c.source = Source::Git;
                    c.extra
                        .insert("git".into(), s.trim_start_matches("git+").to_string());
                }
                Some(s) if !CRATES_IO_SOURCES.contains(&s) => {
                    c.extra.insert("registry".into(), s.to_string());
                }
                Some(_) => {}
            }
            c
        })
        .collect()
}
