//! The PyPI ecosystem: requirements files, Poetry, uv and Pipenv projects.
//!
//! Stacks:
//! - one per directory holding requirements files (see [`requirements`]);
//! - one per `poetry.lock`, with the `pyproject.toml` beside it (see [`poetry`]);
//! - one per `uv.lock`, with the `pyproject.toml` beside it (see [`uv`]);
//! - one per `Pipfile.lock`, with the `Pipfile` beside it (see [`pipfile`]);
//! - one per `pyproject.toml` or `Pipfile` with no lockfile beside it and no `uv.lock` above it
//!   (a uv workspace member), listing its declared dependencies as unresolved components.
//!
//! In a lock stack a component is direct when the manifest (or, for uv, the project's own entry
//! in the lock) declares it. Its scope is the lock's own statement when it makes one (Poetry's
//! `category`/`groups`, Pipfile.lock's sections), else the most essential scope among the
//! manifest's declarations that reach it through the lock's dependency graph (a package no
//! declaration reaches is `prod`). Names are normalised per PEP 503.

use std::collections::{BTreeMap, HashMap, VecDeque};

use nanoup_core::{
    Component, Ecosystem, LineIndex, ParseError, Scope, Source, Stack, normalize_pypi_name,
};

use crate::{NamedParser, Scanned, Tree, dir_of, join};

pub mod dist_file;
pub mod edit;
pub mod manifest_edit;
mod pep508;
pub mod pipfile;
pub mod poetry;
pub mod poetry_entry;
pub mod pyproject;
pub mod registry;
pub mod relock;
pub mod requirements;
pub mod uv;

#[cfg(test)]
mod tests;

/// The pure parsers of this ecosystem's file formats, for fuzzing and benchmarks.
pub const PARSERS: &[NamedParser] = &[
    NamedParser {
        name: "pypi_requirements",
        file_name: "requirements.txt",
        parse: requirements::count,
    },
    NamedParser {
        name: "pypi_poetry_lock",
        file_name: "poetry.lock",
        parse: poetry::count,
    },
    NamedParser {
        name: "pypi_uv_lock",
        file_name: "uv.lock",
        parse: uv::count,
    },
    NamedParser {
        name: "pypi_pipfile_lock",
        file_name: "Pipfile.lock",
        parse: pipfile::count_lock,
    },
    NamedParser {
        name: "pypi_pipfile",
        file_name: "Pipfile",
        parse: pipfile::count_manifest,
    },
    NamedParser {
        name: "pypi_pyproject",
        file_name: "pyproject.toml",
        parse: pyproject::count,
    },
];

/// A package pinned by a lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    /// The PEP 503 normalised name.
    pub name: String,
    /// The locked version; `None` when the lock pins a source rather than a version (a git
    /// checkout or a local path in Pipfile.lock, a dynamic version in uv.lock).
    pub version: Option<String>,
    /// 1-based line of the entry.
    pub line: u32,
    /// The scope the lock states for the package, when it states one.
    pub scope: Option<Scope>,
    /// Where the package comes from.
    pub source: Source,
    /// Normalised names of the packages it depends on (including through extras).
    pub dependencies: Vec<String>,
    /// Facts worth keeping (source URL, git revision, markers).
    pub extra: BTreeMap<String, String>,
}

impl LockedPackage {
    /// A registry package with nothing else known yet.
    pub fn new(name: &str, version: Option<String>, line: u32) -> LockedPackage {
        LockedPackage {
            name: normalize_pypi_name(name),
            version,
            line,
            scope: None,
            source: Source::Registry,
            dependencies: Vec::new(),
            extra: BTreeMap::new(),
        }
    }
}

/// A dependency a manifest declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The PEP 503 normalised name.
    pub name: String,
    /// The scope of the declaration (prod dependencies, optional extras, dev groups).
    pub scope: Scope,
    /// The requirement as written (a specifier, a URL...), when there is one.
    pub requirement: Option<String>,
    /// Where the dependency comes from, as far as the manifest says.
    pub source: Source,
    /// 1-based line of the declaration.
    pub line: u32,
}

/// The 1-based line of a span start, or 1 when the item has no span.
pub(crate) fn line_of(index: &LineIndex, span: Option<std::ops::Range<usize>>) -> u32 {
    span.map_or(1, |s| index.line(s.start))
}

/// The component list of a lock stack: every locked package, direct when `declared` names
/// it, with the lock's scope or else the scope reached from the declarations.
pub(crate) fn lock_components(
    lock_file: &str,
    packages: Vec<LockedPackage>,
    declared: &[Declared],
) -> Vec<Component> {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, package) in packages.iter().enumerate() {
        by_name.entry(package.name.as_str()).or_default().push(i);
    }
    // The most essential scope from which each package is reachable.
    let mut reached: Vec<Option<Scope>> = vec![None; packages.len()];
    for scope in [Scope::Prod, Scope::Optional, Scope::Dev, Scope::Build] {
        let mut queue: VecDeque<usize> = declared
            .iter()
            .filter(|d| d.scope == scope)
            .flat_map(|d| by_name.get(d.name.as_str()).into_iter().flatten().copied())
            .collect();
        while let Some(i) = queue.pop_front() {
            let Some(slot) = reached.get_mut(i) else {
                continue;
            };
            if slot.is_some() {
                continue;
            }
            *slot = Some(scope);
            if let Some(package) = packages.get(i) {
                for dependency in &package.dependencies {
                    queue.extend(
                        by_name
                            .get(dependency.as_str())
                            .into_iter()
                            .flatten()
                            .copied(),
                    );
                }
            }
        }
    }
    // Per declared name: the most essential scope and the first requirement written.
    let mut declarations: HashMap<&str, (Scope, Option<&str>)> = HashMap::new();
    for d in declared {
        let entry = declarations
            .entry(d.name.as_str())
            .or_insert((d.scope, d.requirement.as_deref()));
        entry.0 = entry.0.min(d.scope);
        entry.1 = entry.1.or(d.requirement.as_deref());
    }
    packages
        .into_iter()
        .zip(reached)
        .map(|(package, reached)| {
            let declaration = declarations.get(package.name.as_str());
            let mut component = match &package.version {
                Some(version) => Component::new(
                    Ecosystem::PyPI,
                    &package.name,
                    version,
                    lock_file,
                    package.line,
                ),
                None => {
                    let mut c = Component::unresolved(
                        Ecosystem::PyPI,
                        &package.name,
                        None,
                        "the lockfile pins a source, not a version",
                        lock_file,
                        package.line,
                    );
                    c.direct = false;
                    c
                }
            };
            component.direct = declaration.is_some();
            component.requirement = declaration.and_then(|d| d.1).map(str::to_string);
            component.scope = package
                .scope
                .or(reached)
                .or(declaration.map(|d| d.0))
                .unwrap_or(Scope::Prod);
            component.source = package.source;
            component.extra = package.extra;
            component
        })
        .collect()
}

/// A stack of unresolved components from a manifest that has no lockfile.
fn manifest_components(manifest_file: &str, declared: Vec<Declared>) -> Vec<Component> {
    declared
        .into_iter()
        .map(|d| {
            let version = (d.source == Source::Registry)
                .then(|| d.requirement.as_deref().and_then(pep508::pinned_version))
                .flatten();
            let mut component = match version {
                Some(version) => {
                    Component::new(Ecosystem::PyPI, &d.name, version, manifest_file, d.line)
                }
                None => Component::unresolved(
                    Ecosystem::PyPI,
                    &d.name,
                    None,
                    "no lockfile pins a version",
                    manifest_file,
                    d.line,
                ),
            };
            component.direct = true;
            component.requirement = d.requirement;
            component.scope = d.scope;
            component.source = d.source;
            component
        })
        .collect()
}

/// The kinds of lock stacks: lock file name, manifest file name, lock parser, manifest parser.
type LockParser = fn(&str, &str) -> Result<(Vec<LockedPackage>, Vec<Declared>), ParseError>;
type ManifestParser = fn(&str, &str) -> Result<Vec<Declared>, ParseError>;

const LOCK_KINDS: [(&str, &str, LockParser, ManifestParser); 3] = [
    (
        "poetry.lock",
        "pyproject.toml",
        poetry::parse_stack,
        pyproject::parse,
    ),
    (
        "uv.lock",
        "pyproject.toml",
        uv::parse_stack,
        pyproject::parse,
    ),
    (
        "Pipfile.lock",
        "Pipfile",
        pipfile::parse_stack,
        pipfile::parse_manifest,
    ),
];

/// Lockfiles that make a `pyproject.toml` or `Pipfile` beside them part of a lock stack.
const LOCK_NAMES: [&str; 4] = ["poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock"];

/// Finds and reads every PyPI stack in `tree`.
pub fn scan(tree: &Tree) -> Scanned {
    let mut out = requirements::scan(tree);
    for (lock_name, manifest_name, parse_lock, parse_manifest) in LOCK_KINDS {
        for lock in tree.named(lock_name) {
            let dir = dir_of(lock);
            let packages = match tree.read(lock).and_then(|text| parse_lock(lock, &text)) {
                Ok(found) => found,
                Err(error) => {
                    out.errors.push(error);
                    continue;
                }
            };
            let (packages, mut declared) = packages;
            let mut files = vec![lock_name.to_string()];
            let manifest = join(dir, manifest_name);
            if tree.contains(&manifest) {
                files.push(manifest_name.to_string());
                match tree
                    .read(&manifest)
                    .and_then(|text| parse_manifest(&manifest, &text))
                {
                    Ok(found) => declared.extend(found),
                    Err(error) => out.errors.push(error),
                }
            }
            let components = lock_components(lock, packages, &declared);
            out.stacks
                .push(Stack::new(dir, Ecosystem::PyPI, files, components));
        }
    }
    for (manifest_name, parse_manifest) in [
        ("pyproject.toml", pyproject::parse as ManifestParser),
        ("Pipfile", pipfile::parse_manifest),
    ] {
        for manifest in tree.named(manifest_name) {
            let dir = dir_of(manifest);
            let has_lock = LOCK_NAMES
                .iter()
                .any(|lock| tree.contains(&join(dir, lock)));
            if has_lock || in_uv_workspace(tree, dir) {
                continue;
            }
            let declared = match tree
                .read(manifest)
                .and_then(|text| parse_manifest(manifest, &text))
            {
                Ok(declared) => declared,
                Err(error) => {
                    out.errors.push(error);
                    continue;
                }
            };
            if declared.is_empty() {
                continue;
            }
            let components = manifest_components(manifest, declared);
            out.stacks.push(Stack::new(
                dir,
                Ecosystem::PyPI,
                vec![manifest_name.to_string()],
                components,
            ));
        }
    }
    out
}

/// Whether a directory above `dir` holds a `uv.lock`, making `dir` a workspace member.
fn in_uv_workspace(tree: &Tree, dir: &str) -> bool {
    let mut current = dir;
    while current != "." {
        current = dir_of(current);
        if tree.contains(&join(current, "uv.lock")) {
            return true;
        }
    }
    false
}
