//! `package-lock.json` and `npm-shrinkwrap.json`, lockfileVersion 1, 2 and 3.
//!
//! Versions 2 and 3 list every installed folder under `packages`, keyed by install path
//! (`node_modules/a/node_modules/b`); version 1 nests `dependencies` objects the same way. Both
//! are read into one list of install paths so that direct dependencies are found the way Node
//! resolves them: from a manifest's folder up through each `node_modules`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use nanoup_core::{Component, Ecosystem, LineIndex, ParseError, Scope, Source};
use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Entries};
use super::package_json::workspace_globs;
use super::{Member, glob_matches, normalize_glob, source_of_resolved, split_alias};

/// A parsed npm lockfile: its installed packages and what its root and workspace entries declare.
#[derive(Debug, Clone)]
pub struct PackageLock {
    /// The `lockfileVersion` (1 when absent).
    pub lockfile_version: u64,
    file: String,
    entries: Vec<LockEntry>,
    /// Folder entries of v2/v3 (`""`, workspace folders, `file:` folders): path → version.
    folders: HashMap<String, Option<String>>,
    /// Dependencies declared by folder entries (v2/v3 copy each manifest's sections).
    declared: Vec<(String, String, String)>,
    workspace_globs: Vec<String>,
}

/// One installed package of the lockfile.
#[derive(Debug, Clone)]
struct LockEntry {
    /// The install path, `node_modules/a/node_modules/b` (synthesised for lockfile v1).
    path: String,
    name: String,
    version: Option<String>,
    line: u32,
    scope: Scope,
    source: Source,
    /// `resolved` (or, in v1, a non-version `version`) for non-registry sources.
    resolved: Option<String>,
    /// For v2/v3 `link: true` entries: the linked folder, relative to the lockfile.
    link_target: Option<String>,
}

#[derive(Deserialize)]
struct RawLock<'a> {
    #[serde(default, rename = "lockfileVersion")]
    lockfile_version: Option<Value>,
    #[serde(default, borrow)]
    packages: Option<Entries<'a, RawPackage<'a>>>,
    #[serde(default, borrow)]
    dependencies: Option<Entries<'a, RawV1Dependency<'a>>>,
}

/// A `resolved` value: where the package came from, or `false`, which npm 6 writes for an
/// optional package it did not fetch (fsevents on Linux): no source recorded.
#[derive(Deserialize)]
#[serde(untagged)]
enum Resolved<'a> {
    Text(#[serde(borrow)] Cow<'a, str>),
    Flag(#[allow(dead_code)] bool),
}

impl Resolved<'_> {
    fn as_text(&self) -> Option<&str> {
        match self {
            Resolved::Text(text) => Some(text),
            Resolved::Flag(_) => None,
        }
    }
}

#[derive(Deserialize)]
struct RawPackage<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    resolved: Option<Resolved<'a>>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default, rename = "devOptional")]
    dev_optional: bool,
    #[serde(default, borrow)]
    dependencies: Option<Entries<'a, Value>>,
    #[serde(default, borrow, rename = "devDependencies")]
    dev_dependencies: Option<Entries<'a, Value>>,
    #[serde(default, borrow, rename = "optionalDependencies")]
    optional_dependencies: Option<Entries<'a, Value>>,
    #[serde(default, borrow, rename = "peerDependencies")]
    peer_dependencies: Option<Entries<'a, Value>>,
    #[serde(default)]
    workspaces: Option<Value>,
}

#[derive(Deserialize)]
struct RawV1Dependency<'a> {
    #[serde(default, borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    resolved: Option<Resolved<'a>>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default, borrow)]
    dependencies: Option<Entries<'a, RawV1Dependency<'a>>>,
}

/// Reads an npm lockfile (`package-lock.json` or `npm-shrinkwrap.json`) of any version: the
/// `packages` map when present (v2, v3), else the nested `dependencies` (v1).
pub fn parse_package_lock(file: &str, text: &str) -> Result<PackageLock, ParseError> {
    let raw: RawLock = json::from_str(file, text)?;
    let index = LineIndex::new(text);
    let lockfile_version = match &raw.lockfile_version {
        None => 1,
        Some(value) => value.as_u64().ok_or_else(|| {
            ParseError::new(
                file,
                1,
                1,
                format!("expected `lockfileVersion` to be a number, found {value}"),
            )
        })?,
    };
    let mut lock = PackageLock {
        lockfile_version,
        file: file.to_string(),
        entries: Vec::new(),
        folders: HashMap::new(),
        declared: Vec::new(),
        workspace_globs: Vec::new(),
    };
    if let Some(packages) = raw.packages {
        for (key, package) in packages.0 {
            read_package(&mut lock, key.as_str(), key.line(text, &index), package);
        }
    } else if let Some(dependencies) = raw.dependencies {
        read_v1_dependencies(&mut lock, "", dependencies, text, &index);
    }
    Ok(lock)
}

fn read_package(lock: &mut PackageLock, path: &str, line: u32, package: RawPackage) {
    let Some(installed_name) = installed_name(path) else {
        // A folder: the root project (""), a workspace package or a `file:` directory.
        lock.folders.insert(
            path.to_string(),
            package.version.as_deref().map(str::to_string),
        );
        if path.is_empty() {
            lock.workspace_globs = workspace_globs(package.workspaces.as_ref());
        }
        let sections = [
            package.dependencies,
            package.dev_dependencies,
            package.optional_dependencies,
            package.peer_dependencies,
        ];
        for (name, value) in sections.into_iter().flatten().flat_map(|s| s.0) {
            if let Value::String(requirement) = value {
                lock.declared
                    .push((path.to_string(), name.as_str().to_string(), requirement));
            }
        }
        return;
    };
    let scope = if package.dev {
        Scope::Dev
    } else if package.optional || package.dev_optional {
        // devOptional: optional for prod, required for dev; the most essential use wins.
        Scope::Optional
    } else {
        Scope::Prod
    };
    let name = package
        .name
        .as_deref()
        .map_or(installed_name, |n| n)
        .to_string();
    let resolved = package
        .resolved
        .as_ref()
        .and_then(Resolved::as_text)
        .map(str::to_string);
    let (source, link_target) = if package.link {
        (Source::Path, resolved.clone())
    } else {
        (
            resolved
                .as_deref()
                .map_or(Source::Registry, source_of_resolved),
            None,
        )
    };
    lock.entries.push(LockEntry {
        path: path.to_string(),
        name,
        version: package.version.as_deref().map(str::to_string),
        line,
        scope,
        source,
        resolved: resolved.filter(|_| source != Source::Registry),
        link_target,
    });
}

/// The package name an install path installs (`a/node_modules/@s/b` gives `@s/b`), or `None`
/// for a folder outside any `node_modules`.
fn installed_name(path: &str) -> Option<&str> {
    let (before, name) = path.rsplit_once("node_modules/")?;
    (before.is_empty() || before.ends_with('/')).then_some(name)
}

fn read_v1_dependencies(
    lock: &mut PackageLock,
    parent: &str,
    dependencies: Entries<RawV1Dependency>,
    text: &str,
    index: &LineIndex,
) {
    for (key, dependency) in dependencies.0 {
        let path = if parent.is_empty() {
            format!("node_modules/{}", key.as_str())
        } else {
            format!("{parent}/node_modules/{}", key.as_str())
        };
        let scope = if dependency.dev {
            Scope::Dev
        } else if dependency.optional {
            Scope::Optional
        } else {
            Scope::Prod
        };
        let raw_version = dependency.version.as_deref().unwrap_or("");
        // v1 aliases write `npm:real-name@1.2.3` as the version.
        let (name, version) = match split_alias(raw_version) {
            Some((real, version)) => (real.to_string(), version),
            None => (key.as_str().to_string(), raw_version),
        };
        let is_version = version.bytes().next().is_some_and(|b| b.is_ascii_digit());
        let (version, source, resolved) = if is_version {
            let resolved = dependency.resolved.as_ref().and_then(Resolved::as_text);
            let source = resolved.map_or(Source::Registry, source_of_resolved);
            let resolved = resolved
                .filter(|_| source != Source::Registry)
                .map(str::to_string);
            (Some(version.to_string()), source, resolved)
        } else {
            // A git URL, a `file:` path or a tarball URL stands where the version would.
            let source = if version.is_empty() {
                Source::Registry
            } else {
                source_of_resolved(version)
            };
            (
                None,
                source,
                Some(version.to_string()).filter(|v| !v.is_empty()),
            )
        };
        lock.entries.push(LockEntry {
            path: path.clone(),
            name,
            version,
            line: key.line(text, index),
            scope,
            source,
            resolved,
            link_target: None,
        });
        if let Some(nested) = dependency.dependencies {
            read_v1_dependencies(lock, &path, nested, text, index);
        }
    }
}

impl PackageLock {
    /// How many installed-package entries the lockfile has (folders and the root excluded).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// The workspace globs recorded in the lockfile's root entry (v2/v3).
    pub fn workspace_globs(&self) -> &[String] {
        &self.workspace_globs
    }

    /// The components of the lockfile. `members` are the stack's manifests (root and
    /// workspace packages): their declarations (and those the lockfile copies from them) mark
    /// the packages they resolve to as direct. Links to workspace folders are left out.
    pub fn components(&self, members: &[Member]) -> Vec<Component> {
        let by_path: HashMap<&str, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.as_str(), i))
            .collect();
        let mut requirement_of: HashMap<usize, &str> = HashMap::new();
        let mut direct: HashSet<usize> = HashSet::new();
        let declarations = members
            .iter()
            .flat_map(|m| {
                m.manifest
                    .dependencies
                    .iter()
                    .map(move |d| (m.dir.as_str(), d.name.as_str(), d.requirement.as_str()))
            })
            .chain(
                self.declared
                    .iter()
                    .map(|(dir, n, r)| (dir.as_str(), n.as_str(), r.as_str())),
            );
        for (dir, name, requirement) in declarations {
            if let Some(&i) = resolve(&by_path, dir, name).and_then(|p| by_path.get(p.as_str())) {
                direct.insert(i);
                requirement_of.entry(i).or_insert(requirement);
            }
        }

        let mut globs: Vec<String> = self
            .workspace_globs
            .iter()
            .map(|g| normalize_glob(g))
            .collect();
        if let Some(root) = members.iter().find(|m| m.dir.is_empty()) {
            globs.extend(root.manifest.workspaces.iter().map(|g| normalize_glob(g)));
        }
        let is_workspace = |target: &str| {
            let target = target.trim_start_matches("./");
            members.iter().any(|m| !m.dir.is_empty() && m.dir == target)
                || (!target.starts_with("..")
                    && globs
                        .iter()
                        .filter(|g| !g.starts_with('!'))
                        .any(|g| glob_matches(g, target))
                    && !globs
                        .iter()
                        .filter_map(|g| g.strip_prefix('!'))
                        .any(|g| glob_matches(g, target)))
        };

        let mut components = Vec::with_capacity(self.entries.len());
        for (i, entry) in self.entries.iter().enumerate() {
            let mut version = entry.version.clone();
            if let Some(target) = &entry.link_target {
                if is_workspace(target) {
                    continue;
                }
                version = self.folders.get(target.as_str()).cloned().flatten();
            }
            let mut component = match version {
                Some(version) => {
                    Component::new(Ecosystem::Npm, &entry.name, version, &self.file, entry.line)
                }
                None => {
                    let mut c = Component::unresolved(
                        Ecosystem::Npm,
                        &entry.name,
                        None,
                        "the lockfile records no version for this package",
                        &self.file,
                        entry.line,
                    );
                    c.direct = false;
                    c
                }
            };
            component.direct = direct.contains(&i);
            component.requirement = requirement_of.get(&i).map(|r| r.to_string());
            component.scope = entry.scope;
            component.source = entry.source;
            if let Some(resolved) = entry.link_target.as_ref().or(entry.resolved.as_ref()) {
                component.extra.insert("resolved".into(), resolved.clone());
            }
            components.push(component);
        }
        components
    }
}

/// The install path Node would load `name` from, for a manifest in folder `dir` (relative to
/// the lockfile, `""` for the root): `dir/node_modules/name`, then up through each parent.
fn resolve(by_path: &HashMap<&str, usize>, dir: &str, name: &str) -> Option<String> {
    let mut dir = dir.trim_matches('/');
    loop {
        let candidate = if dir.is_empty() {
            format!("node_modules/{name}")
        } else {
            format!("{dir}/node_modules/{name}")
        };
        if by_path.contains_key(candidate.as_str()) {
            return Some(candidate);
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}
