//! `pnpm-lock.yaml`, lockfileVersion 5.x, 6.x and 9.x.
//!
//! | version | package key                    | peer suffix          | flags                 |
//! |---------|--------------------------------|----------------------|-----------------------|
//! | 5.x     | `/name/1.0.0`, `/@s/n/1.0.0`   | `_b@2.0.0`, `_hash`  | `dev`, `optional`     |
//! | 6.x     | `/name@1.0.0`                  | `(b@2.0.0)`          | `dev`, `optional`     |
//! | 9.x     | `name@1.0.0` (+ `snapshots:`)  | `(b@2.0.0)` in snapshots only | none         |
//!
//! `importers:` (or, for a single project, the top-level `dependencies` sections) say what
//! each workspace package declares and which locked key it resolved to: those are the direct
//! components. Scope comes from the `dev` flags (absent means used by prod and dev alike, so
//! prod) in 5.x and 6.x, and from the graph walked from the importers in 9.x, which has no
//! flags. Keys that are not registry keys (`github.com/u/r/sha`, `file:...`, `name@https://...`)
//! take their name and version from the entry's `name` and `version` fields.

use std::collections::HashMap;

use nanoup_core::{Component, Ecosystem, ParseError, Scope, Source};

use super::yaml_lite::{self, Node, Value};
use super::{is_git_url, propagate_scopes, split_name_at};

/// A parsed pnpm lockfile.
#[derive(Debug, Clone)]
pub struct PnpmLock {
    /// The `lockfileVersion` as written (`5.4`, `6.0`, `9.0`).
    pub lockfile_version: String,
    major: u32,
    file: String,
    packages: Vec<PnpmPackage>,
    /// Package key → index in `packages`.
    by_key: HashMap<String, usize>,
    /// 9.x snapshot key (with peers) → (package index, dependencies).
    snapshots: Vec<Snapshot>,
    by_snapshot: HashMap<String, usize>,
    importers: Vec<Importer>,
}

#[derive(Debug, Clone)]
struct PnpmPackage {
    name: String,
    version: Option<String>,
    line: u32,
    source: Source,
    resolved: Option<String>,
    /// Scope from the `dev`/`optional` flags (5.x, 6.x).
    flag_scope: Scope,
}

#[derive(Debug, Clone)]
struct Snapshot {
    package: Option<usize>,
    dependencies: Vec<(String, String, Scope)>,
}

#[derive(Debug, Clone)]
struct Importer {
    /// The workspace package's directory relative to the lockfile (`""` for the root).
    dir: String,
    /// (name, specifier, reference, scope) of each declared dependency.
    dependencies: Vec<(String, Option<String>, String, Scope)>,
}

/// The dependency sections of importers and packages, with their scope.
const SECTIONS: [(&str, Scope); 3] = [
    ("dependencies", Scope::Prod),
    ("optionalDependencies", Scope::Optional),
    ("devDependencies", Scope::Dev),
];

/// Reads a pnpm lockfile of version 5.x, 6.x or 9.x.
pub fn parse_pnpm_lock(file: &str, text: &str) -> Result<PnpmLock, ParseError> {
    let root = yaml_lite::parse(file, text)?;
    let version_node = root.entries().iter().find(|n| n.key == "lockfileVersion");
    let Some(lockfile_version) = version_node.and_then(|n| n.value.as_str()) else {
        return Err(ParseError::new(
            file,
            version_node.map_or(1, |n| n.line),
            1,
            "expected a `lockfileVersion` entry",
        ));
    };
    let major: u32 = lockfile_version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse().ok())
        .ok_or_else(|| {
            ParseError::new(
                file,
                version_node.map_or(1, |n| n.line),
                1,
                format!("expected a numeric `lockfileVersion`, found `{lockfile_version}`"),
            )
        })?;
    let mut lock = PnpmLock {
        lockfile_version: lockfile_version.to_string(),
        major,
        file: file.to_string(),
        packages: Vec::new(),
        by_key: HashMap::new(),
        snapshots: Vec::new(),
        by_snapshot: HashMap::new(),
        importers: Vec::new(),
    };
    for node in root.get("packages").map(Value::entries).unwrap_or(&[]) {
        let package = read_package(major, node);
        lock.by_key
            .entry(node.key.to_string())
            .or_insert(lock.packages.len());
        lock.packages.push(package);
    }
    for node in root.get("snapshots").map(Value::entries).unwrap_or(&[]) {
        let package_key = strip_peers(&node.key);
        let package = lock.by_key.get(package_key).copied();
        lock.by_snapshot
            .entry(node.key.to_string())
            .or_insert(lock.snapshots.len());
        lock.snapshots.push(Snapshot {
            package,
            dependencies: dependency_references(&node.value),
        });
    }
    match root.get("importers") {
        Some(importers) => {
            for node in importers.entries() {
                let dir = if node.key == "." {
                    ""
                } else {
                    node.key.trim_start_matches("./")
                };
                lock.importers.push(read_importer(dir, &node.value));
            }
        }
        // A single project keeps its sections at the top level.
        None => lock.importers.push(read_importer("", &root)),
    }
    Ok(lock)
}

fn read_package(major: u32, node: &Node) -> PnpmPackage {
    let key = node.key.as_ref();
    let fields = &node.value;
    let (key_name, key_version) = split_package_key(major, key);
    let name = fields
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or(key_name);
    let version = fields
        .get("version")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or(key_version);
    let resolution = fields.get("resolution");
    let field = |k: &str| resolution.and_then(|r| r.get(k)).and_then(Value::as_str);
    let registry_key = if major >= 9 {
        version
            .as_deref()
            .is_some_and(|v| v.bytes().next().is_some_and(|b| b.is_ascii_digit()))
    } else {
        key.starts_with('/')
    };
    let (source, resolved) = if field("type") == Some("git") || field("commit").is_some() {
        let repo = field("repo").unwrap_or("");
        let commit = field("commit").unwrap_or("");
        (Source::Git, Some(format!("{repo}#{commit}")))
    } else if let Some(directory) = field("directory") {
        (Source::Path, Some(directory.to_string()))
    } else if key.contains("file:") || key.starts_with("link:") {
        (Source::Path, Some(key.to_string()))
    } else if let Some(tarball) = field("tarball") {
        if tarball.starts_with("file:") {
            (Source::Path, Some(tarball.to_string()))
        } else if is_git_url(tarball)
            || tarball.contains("codeload.github.com")
            || tarball.contains("gitlab.com")
        {
            (Source::Git, Some(tarball.to_string()))
        } else if registry_key {
            (Source::Registry, None)
        } else {
            (Source::Url, Some(tarball.to_string()))
        }
    } else {
        (Source::Registry, None)
    };
    let flag_scope = if fields.get("dev").is_some_and(Value::is_true) {
        Scope::Dev
    } else if fields.get("optional").is_some_and(Value::is_true) {
        Scope::Optional
    } else {
        Scope::Prod
    };
    PnpmPackage {
        name: name.unwrap_or_else(|| key.to_string()),
        version: version.map(|v| strip_version_peers(major, &v).to_string()),
        line: node.line,
        source,
        resolved,
        flag_scope,
    }
}

/// The name and version in a registry package key, peers stripped; `(None, None)` for keys
/// of other shapes (`github.com/u/r/sha`, `file:...`).
fn split_package_key(major: u32, key: &str) -> (Option<String>, Option<String>) {
    if major >= 6 {
        let bare = if major >= 9 {
            key
        } else {
            match key.strip_prefix('/') {
                Some(bare) => bare,
                None => return (None, None),
            }
        };
        let (name, version) = split_name_at(bare);
        if name.is_empty() || version.is_empty() {
            return (None, None);
        }
        return (
            Some(name.to_string()),
            Some(strip_version_peers(major, version).to_string()),
        );
    }
    let Some(bare) = key.strip_prefix('/') else {
        return (None, None);
    };
    let segments = if bare.starts_with('@') { 2 } else { 1 };
    let mut parts = bare.splitn(segments + 1, '/');
    let name: Vec<&str> = parts.by_ref().take(segments).collect();
    match parts.next() {
        Some(version) if name.len() == segments && !version.is_empty() => (
            Some(name.join("/")),
            Some(strip_version_peers(major, version).to_string()),
        ),
        _ => (None, None),
    }
}

/// A version without its peer suffix: `1.0.0_b@2.0.0` (5.x) or `1.0.0(b@2.0.0)` (6.x, 9.x).
fn strip_version_peers(major: u32, version: &str) -> &str {
    let cut = if major >= 6 {
        version.find('(')
    } else {
        version.find('_')
    };
    cut.and_then(|at| version.get(..at)).unwrap_or(version)
}

/// A 9.x snapshot key without its peer suffix: `a@1.0.0(b@2.0.0)` gives `a@1.0.0`.
fn strip_peers(key: &str) -> &str {
    let (name, version) = split_name_at(key);
    match version.find('(') {
        Some(at) => key.get(..name.len() + 1 + at).unwrap_or(key),
        None => key,
    }
}

fn dependency_references(fields: &Value) -> Vec<(String, String, Scope)> {
    let mut references = Vec::new();
    for (section, scope) in SECTIONS {
        for dep in fields.get(section).map(Value::entries).unwrap_or(&[]) {
            if let Some(reference) = dep.value.as_str() {
                references.push((dep.key.to_string(), reference.to_string(), scope));
            }
        }
    }
    references
}

fn read_importer(dir: &str, fields: &Value) -> Importer {
    let specifiers = fields.get("specifiers");
    let mut dependencies = Vec::new();
    for (section, scope) in SECTIONS {
        for dep in fields.get(section).map(Value::entries).unwrap_or(&[]) {
            // 5.x: `name: reference` with `specifiers:` beside; 6.x+: `{specifier, version}`.
            let (specifier, reference) = match &dep.value {
                Value::Scalar(reference) => (
                    specifiers
                        .and_then(|s| s.get(&dep.key))
                        .and_then(Value::as_str),
                    Some(reference.as_ref()),
                ),
                map => (
                    map.get("specifier").and_then(Value::as_str),
                    map.get("version").and_then(Value::as_str),
                ),
            };
            if let Some(reference) = reference {
                dependencies.push((
                    dep.key.to_string(),
                    specifier.map(str::to_string),
                    reference.to_string(),
                    scope,
                ));
            }
        }
    }
    Importer {
        dir: dir.to_string(),
        dependencies,
    }
}

impl PnpmLock {
    /// How many entries `packages:` has.
    pub fn entry_count(&self) -> usize {
        self.packages.len()
    }

    /// The directories of the importers (workspace packages) relative to the lockfile, `""`
    /// for the root project.
    pub fn importer_dirs(&self) -> impl Iterator<Item = String> + '_ {
        self.importers.iter().map(|i| i.dir.clone())
    }

    /// The graph node a dependency `reference` of package `name` points at: a package index
    /// (5.x, 6.x) or a snapshot index (9.x). Links (`link:`) point at workspace folders: none.
    fn node_of(&self, name: &str, reference: &str) -> Option<usize> {
        if reference.starts_with("link:") {
            return None;
        }
        let table = if self.major >= 9 {
            &self.by_snapshot
        } else {
            &self.by_key
        };
        let candidates = [
            format!("/{name}/{reference}"),
            format!("/{name}@{reference}"),
            format!("{name}@{reference}"),
            reference.to_string(),
        ];
        candidates
            .iter()
            .find_map(|key| table.get(key.as_str()).copied())
    }

    /// The package index of a graph node.
    fn package_of(&self, node: usize) -> Option<usize> {
        if self.major >= 9 {
            self.snapshots.get(node).and_then(|s| s.package)
        } else {
            Some(node)
        }
    }

    /// The components of the lockfile: one per `packages:` entry; workspace links are not
    /// components. Direct and requirement come from the importers.
    pub fn components(&self) -> Vec<Component> {
        let mut roots = Vec::new();
        let mut requirement_of: HashMap<usize, Option<&str>> = HashMap::new();
        for importer in &self.importers {
            for (name, specifier, reference, scope) in &importer.dependencies {
                if let Some(node) = self.node_of(name, reference) {
                    roots.push((node, *scope));
                    if let Some(package) = self.package_of(node) {
                        let slot = requirement_of.entry(package).or_insert(None);
                        if slot.is_none() {
                            *slot = specifier.as_deref();
                        }
                    }
                }
            }
        }
        let graph_scope: Vec<Option<Scope>> = if self.major >= 9 {
            let edges: Vec<Vec<(usize, Scope)>> = self
                .snapshots
                .iter()
                .map(|s| {
                    s.dependencies
                        .iter()
                        .filter_map(|(n, r, scope)| self.node_of(n, r).map(|node| (node, *scope)))
                        .collect()
                })
                .collect();
            let by_snapshot = propagate_scopes(&edges, &roots);
            let mut by_package = vec![None; self.packages.len()];
            for (snapshot, scope) in self.snapshots.iter().zip(by_snapshot) {
                if let (Some(package), Some(scope)) = (snapshot.package, scope)
                    && let Some(slot) = by_package.get_mut(package)
                {
                    *slot = Some(slot.map_or(scope, |s: Scope| s.min(scope)));
                }
            }
            by_package
        } else {
            Vec::new()
        };
        self.packages
            .iter()
            .enumerate()
            .map(|(i, package)| {
                let mut c = match &package.version {
                    Some(version) => Component::new(
                        Ecosystem::Npm,
                        &package.name,
                        version,
                        &self.file,
                        package.line,
                    ),
                    None => Component::unresolved(
                        Ecosystem::Npm,
                        &package.name,
                        None,
                        "the lockfile records no version for this package",
                        &self.file,
                        package.line,
                    ),
                };
                c.direct = requirement_of.contains_key(&i);
                c.requirement = requirement_of
                    .get(&i)
                    .copied()
                    .flatten()
                    .map(str::to_string);
                c.scope = if self.major >= 9 {
                    graph_scope.get(i).copied().flatten().unwrap_or(Scope::Prod)
                } else {
                    package.flag_scope
                };
                c.source = package.source;
                if let Some(resolved) = &package.resolved {
                    c.extra.insert("resolved".into(), resolved.clone());
                }
                c
            })
            .collect()
    }
}
