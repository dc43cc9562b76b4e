//! The npm ecosystem: detect its stacks and extract their components.
//!
//! A stack is one lockfile (`package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock` v1 or
//! `pnpm-lock.yaml`) anchored at its directory, read together with the `package.json` beside it
//! and the `package.json` of every workspace package it covers. A `package.json` that no
//! lockfile covers is a stack of its own whose direct dependencies are unresolved.
//!
//! Components come from the lockfile; the manifests say which are direct and with what
//! requirement. Scope comes from the lockfile's flags where it has them (npm lockfiles,
//! pnpm 5/6) and otherwise from the dependency graph walked from the manifests' declarations
//! (yarn v1, pnpm 9): a package reachable through prod edges is prod, else optional, else dev.
//! A package that no declaration reaches (a stale lockfile, a missing manifest) counts as prod,
//! the cautious choice for an audit.

pub mod berry_edit;
mod bun_lock;
pub mod edit;
mod json;
mod package_json;
mod package_lock;
pub mod pnpm_edit;
mod pnpm_lock;
pub mod registry;
mod yaml_lite;
pub mod yarn_edit;
mod yarn_lock;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, VecDeque};

use nanoup_core::{Component, Ecosystem, ParseError, Scope, Source, Stack};

pub use package_json::{Declared, PackageJson, parse_package_json};
pub use package_lock::{PackageLock, parse_package_lock};
pub use pnpm_lock::{PnpmLock, parse_pnpm_lock};
pub use yarn_lock::{YarnLock, parse_yarn_lock};

use crate::{NamedParser, Scanned, Tree, dir_of, join, relative_to};

/// The pure parsers of this ecosystem's file formats, for fuzzing and benchmarks.
pub const PARSERS: &[NamedParser] = &[
    NamedParser {
        name: "npm_package_lock",
        file_name: "package-lock.json",
        parse: |file, text| parse_package_lock(file, text).map(|lock| lock.entry_count()),
    },
    NamedParser {
        name: "npm_yarn_lock",
        file_name: "yarn.lock",
        parse: |file, text| parse_yarn_lock(file, text).map(|lock| lock.entry_count()),
    },
    NamedParser {
        name: "npm_pnpm_lock",
        file_name: "pnpm-lock.yaml",
        parse: |file, text| parse_pnpm_lock(file, text).map(|lock| lock.entry_count()),
    },
    NamedParser {
        name: "npm_bun_lock",
        file_name: "bun.lock",
        parse: |file, text| bun_lock::parse_bun_lock(file, text).map(|lock| lock.entry_count()),
    },
    NamedParser {
        name: "npm_package_json",
        file_name: "package.json",
        parse: |file, text| {
            parse_package_json(file, text).map(|manifest| manifest.dependencies.len())
        },
    },
];

/// The manifest file name of an npm project.
const PACKAGE_JSON: &str = "package.json";

/// The lockfile names this module reads, in the order npm itself prefers them within one
/// directory (`npm-shrinkwrap.json` wins over `package-lock.json`).
const LOCKFILE_NAMES: &[&str] = &[
    "npm-shrinkwrap.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
];

/// One parsed `package.json` of a stack, placed relative to the stack's directory.
#[derive(Debug, Clone)]
pub struct Member {
    /// The manifest's directory relative to the stack directory (`""` for the stack's root).
    pub dir: String,
    /// What the manifest declares.
    pub manifest: PackageJson,
}

/// Finds and reads every npm stack in `tree`.
pub fn scan(tree: &Tree) -> Scanned {
    let mut scanned = Scanned::default();
    let manifests: BTreeSet<&str> = tree.named(PACKAGE_JSON).collect();
    let mut claimed: BTreeSet<String> = BTreeSet::new();

    let mut lockfiles: Vec<&str> = Vec::new();
    for name in LOCKFILE_NAMES {
        lockfiles.extend(tree.named(name));
    }
    lockfiles.retain(|lock| {
        // npm ignores package-lock.json when npm-shrinkwrap.json sits beside it.
        !(crate::file_name(lock) == "package-lock.json"
            && tree.contains(&join(dir_of(lock), "npm-shrinkwrap.json")))
    });
    lockfiles.sort();

    for lockfile in &lockfiles {
        let dir = dir_of(lockfile);
        claimed.insert(join(dir, PACKAGE_JSON));
        if let Some(stack) = scan_lockfile(
            tree,
            &manifests,
            lockfile,
            &mut claimed,
            &mut scanned.errors,
        ) {
            scanned.stacks.push(stack);
        }
    }

    // Manifests without a lockfile, shallowest first so that a workspace root claims its members.
    let mut rest: Vec<&str> = manifests
        .iter()
        .copied()
        .filter(|m| !claimed.contains(*m))
        .collect();
    rest.sort_by_key(|m| (m.matches('/').count(), *m));
    for manifest_path in rest {
        if claimed.contains(manifest_path) {
            continue;
        }
        claimed.insert(manifest_path.to_string());
        let dir = dir_of(manifest_path);
        let root = match read_manifest(tree, manifest_path) {
            Ok(root) => root,
            Err(error) => {
                scanned.errors.push(error);
                continue;
            }
        };
        let globs = root.workspaces.clone();
        let mut members = vec![Member {
            dir: String::new(),
            manifest: root,
        }];
        let mut files = vec![PACKAGE_JSON.to_string()];
        for member_dir in workspace_members(&manifests, dir, &globs) {
            let rel = join(&member_dir, PACKAGE_JSON);
            let path = join(dir, &rel);
            claimed.insert(path.clone());
            match read_manifest(tree, &path) {
                Ok(manifest) => {
                    files.push(rel);
                    members.push(Member {
                        dir: member_dir,
                        manifest,
                    });
                }
                Err(error) => scanned.errors.push(error),
            }
        }
        let components = unlocked_components(&members, dir);
        if components.is_empty() {
            continue;
        }
        scanned
            .stacks
            .push(Stack::new(dir, Ecosystem::Npm, files, components));
    }
    scanned
}

/// Reads one lockfile stack; `None` when the lockfile itself cannot be read.
fn scan_lockfile(
    tree: &Tree,
    manifests: &BTreeSet<&str>,
    lockfile: &str,
    claimed: &mut BTreeSet<String>,
    errors: &mut Vec<ParseError>,
) -> Option<Stack> {
    let dir = dir_of(lockfile);
    let lock_name = crate::file_name(lockfile);
    let root_path = join(dir, PACKAGE_JSON);
    let mut files = vec![lock_name.to_string()];
    let mut members = Vec::new();
    if manifests.contains(root_path.as_str()) {
        files.push(PACKAGE_JSON.to_string());
        match read_manifest(tree, &root_path) {
            Ok(manifest) => members.push(Member {
                dir: String::new(),
                manifest,
            }),
            Err(error) => errors.push(error),
        }
    }
    let text = match tree.read(lockfile) {
        Ok(text) => text,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };
    let lock = match lock_name {
        "yarn.lock" => parse_yarn_lock(lockfile, &text).map(Lock::Yarn),
        "pnpm-lock.yaml" => parse_pnpm_lock(lockfile, &text).map(Lock::Pnpm),
        "bun.lock" => bun_lock::parse_bun_lock(lockfile, &text).map(Lock::Bun),
        _ => parse_package_lock(lockfile, &text).map(Lock::Npm),
    };
    let lock = match lock {
        Ok(lock) => lock,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };

    // Workspace members: pnpm lists its importers; npm and yarn declare globs in package.json
    // (npm lockfiles v2/v3 copy them into their root entry).
    let member_dirs: Vec<String> = match &lock {
        Lock::Pnpm(pnpm) => pnpm
            .importer_dirs()
            .filter(|d| {
                !d.is_empty() && manifests.contains(join(dir, &join(d, PACKAGE_JSON)).as_str())
            })
            .collect(),
        Lock::Npm(npm) => {
            let mut globs = npm.workspace_globs().to_vec();
            if let Some(root) = members.first() {
                globs.extend(root.manifest.workspaces.iter().cloned());
            }
            workspace_members(manifests, dir, &globs)
        }
        Lock::Yarn(_) | Lock::Bun(_) => {
            let globs = members
                .first()
                .map(|m| m.manifest.workspaces.clone())
                .unwrap_or_default();
            workspace_members(manifests, dir, &globs)
        }
    };
    for member_dir in member_dirs {
        let rel = join(&member_dir, PACKAGE_JSON);
        let path = join(dir, &rel);
        claimed.insert(path.clone());
        files.push(rel);
        match read_manifest(tree, &path) {
            Ok(manifest) => members.push(Member {
                dir: member_dir,
                manifest,
            }),
            Err(error) => errors.push(error),
        }
    }
    let components = match &lock {
        Lock::Npm(npm) => npm.components(&members),
        Lock::Yarn(yarn) => yarn.components(&members),
        Lock::Pnpm(pnpm) => pnpm.components(),
        Lock::Bun(bun) => bun.components(&members),
    };
    Some(Stack::new(dir, Ecosystem::Npm, files, components))
}

/// A parsed lockfile of any of the three package managers.
enum Lock {
    Npm(PackageLock),
    Yarn(YarnLock),
    Bun(bun_lock::BunLock),
    Pnpm(PnpmLock),
}

fn read_manifest(tree: &Tree, path: &str) -> Result<PackageJson, ParseError> {
    let text = tree.read(path)?;
    parse_package_json(path, &text)
}

/// The components of a stack that has manifests but no lockfile: each declared dependency,
/// direct, with its requirement; a version only when the requirement pins an exact one.
fn unlocked_components(members: &[Member], stack_dir: &str) -> Vec<Component> {
    let mut components = Vec::new();
    for member in members {
        let file = join(stack_dir, &join(&member.dir, PACKAGE_JSON));
        for dep in &member.manifest.dependencies {
            let source = source_of_spec(&dep.requirement);
            if dep.requirement.starts_with("workspace:") || dep.requirement.starts_with("link:") {
                continue; // a workspace link, not a component
            }
            let (name, range) = match split_alias(&dep.requirement) {
                Some((real, range)) => (real.to_string(), range.to_string()),
                None => (dep.name.clone(), dep.requirement.clone()),
            };
            let mut component = if source == Source::Registry && is_exact_version(&range) {
                let mut c = Component::new(Ecosystem::Npm, name, range, file.clone(), dep.line);
                c.direct = true;
                c
            } else {
                Component::unresolved(
                    Ecosystem::Npm,
                    name,
                    Some(dep.requirement.clone()),
                    "no lockfile: package.json gives a range, not a version",
                    file.clone(),
                    dep.line,
                )
            };
            component.requirement = Some(dep.requirement.clone());
            component.scope = dep.scope;
            component.source = source;
            components.push(component);
        }
    }
    components
}

/// Whether `spec` is one exact semver version (`1.2.3`, `1.2.3-beta.1`, optional `=`/`v`).
fn is_exact_version(spec: &str) -> bool {
    let spec = spec.trim().trim_start_matches('=').trim_start_matches('v');
    let core = spec.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && spec
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-+.".contains(&b))
}

/// The directories (relative to `stack_dir`) of the manifests matched by workspace `globs`,
/// excluding the stack directory itself. Globs starting with `!` exclude.
fn workspace_members(manifests: &BTreeSet<&str>, stack_dir: &str, globs: &[String]) -> Vec<String> {
    if globs.is_empty() {
        return Vec::new();
    }
    let (excludes, includes): (Vec<String>, Vec<String>) = globs
        .iter()
        .map(|g| normalize_glob(g))
        .partition(|g| g.starts_with('!'));
    let mut members = Vec::new();
    for manifest in manifests {
        let Some(rel) = relative_to(stack_dir, manifest) else {
            continue;
        };
        let member_dir = dir_of(rel);
        if member_dir == "." {
            continue;
        }
        let included = includes.iter().any(|g| glob_matches(g, member_dir));
        let excluded = excludes
            .iter()
            .any(|g| glob_matches(g.trim_start_matches('!'), member_dir));
        if included && !excluded {
            members.push(member_dir.to_string());
        }
    }
    members
}

/// A workspace glob without a leading `./` or a trailing `/` or `/package.json`.
fn normalize_glob(glob: &str) -> String {
    let glob = glob.trim();
    let (negation, body) = match glob.strip_prefix('!') {
        Some(body) => ("!", body),
        None => ("", glob),
    };
    let body = body.trim_start_matches("./");
    let body = body
        .strip_suffix("/package.json")
        .unwrap_or(body)
        .trim_end_matches('/');
    format!("{negation}{body}")
}

/// Whether the `/`-separated `path` matches `pattern`, where `**` matches any number of
/// segments and `*`/`?` match within one segment. Hidden segments match only patterns that
/// name them with a leading dot.
fn glob_matches(pattern: &str, path: &str) -> bool {
    let mut segments: Vec<&str> = Vec::new();
    for segment in pattern.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if !(segment == "**" && segments.last() == Some(&"**")) {
            segments.push(segment);
        }
    }
    if segments.len() > 32 {
        return false;
    }
    let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segments_match(&segments, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => {
            (0..=path.len()).any(|skip| path.get(skip..).is_some_and(|p| segments_match(rest, p)))
        }
        Some((first, rest)) => match path.split_first() {
            Some((segment, path_rest)) => {
                let visible = !segment.starts_with('.') || first.starts_with('.');
                visible
                    && wildcard_match(first.as_bytes(), segment.as_bytes())
                    && segments_match(rest, path_rest)
            }
            None => false,
        },
    }
}

/// `*` and `?` wildcard matching of one path segment (iterative, linear in practice).
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Where a dependency specifier (a package.json value or the range part of a yarn header)
/// points: a local path, a git repository, a tarball URL, or the registry.
pub fn source_of_spec(spec: &str) -> Source {
    let spec = spec.trim();
    if let Some((_, range)) = split_alias(spec) {
        return source_of_spec(range);
    }
    if ["file:", "link:", "portal:", "workspace:"]
        .iter()
        .any(|p| spec.starts_with(p))
        || spec.starts_with("./")
        || spec.starts_with("../")
        || spec.starts_with('/')
        || spec.starts_with("~/")
    {
        return Source::Path;
    }
    if is_git_url(spec) {
        return Source::Git;
    }
    if spec.starts_with("http://") || spec.starts_with("https://") {
        return Source::Url;
    }
    // `user/repo` and `user/repo#ref` are GitHub shorthands.
    if !spec.starts_with('@') && spec.contains('/') && !spec.contains(' ') && !spec.contains(':') {
        return Source::Git;
    }
    Source::Registry
}

/// Whether a resolved URL or specifier names a git repository (rather than a tarball).
fn is_git_url(url: &str) -> bool {
    const GIT_PREFIXES: &[&str] = &[
        "git:",
        "git+",
        "git@",
        "github:",
        "gitlab:",
        "bitbucket:",
        "gist:",
        "ssh://",
    ];
    GIT_PREFIXES.iter().any(|p| url.starts_with(p))
        || url.starts_with("https://codeload.github.com/")
        || ((url.starts_with("https://") || url.starts_with("http://"))
            && url.split('#').next().is_some_and(|u| u.ends_with(".git")))
}

/// Where a lockfile's `resolved` URL says the code came from: a registry tarball has `/-/` in
/// its path (`https://registry.npmjs.org/ms/-/ms-2.1.2.tgz`); other URLs are tarballs or git.
fn source_of_resolved(resolved: &str) -> Source {
    if resolved.starts_with("file:") || resolved.starts_with("link:") {
        Source::Path
    } else if is_git_url(resolved) {
        Source::Git
    } else if (resolved.starts_with("https://") || resolved.starts_with("http://"))
        && !resolved.contains("/-/")
    {
        Source::Url
    } else if resolved.contains("://") || resolved.is_empty() {
        Source::Registry
    } else {
        // A bare relative path (npm lockfile v2/v3 links resolve to directories).
        Source::Path
    }
}

/// Splits an npm alias `npm:real-name@range` into the real name and its range
/// (`npm:@tailwindcss/postcss7-compat` gives the name and an empty range).
pub fn split_alias(spec: &str) -> Option<(&str, &str)> {
    let rest = spec.strip_prefix("npm:")?;
    Some(split_name_at(rest))
}

/// Splits `name@rest` at the `@` that ends the (possibly scoped) name; `rest` is empty when
/// there is none.
fn split_name_at(spec: &str) -> (&str, &str) {
    let search_from = usize::from(spec.starts_with('@'));
    match spec.get(search_from..).and_then(|s| s.find('@')) {
        Some(at) => {
            let at = at + search_from;
            (
                spec.get(..at).unwrap_or(spec),
                spec.get(at + 1..).unwrap_or(""),
            )
        }
        None => (spec, ""),
    }
}

/// The best scope of every node of a dependency graph, given the declared roots.
///
/// A node's scope is the most essential over all paths from a root, where a path's scope is
/// its least essential step (a prod package's optional dependency is optional; anything under
/// a dev dependency is dev). Nodes no root reaches get `None`. Runs in linear time.
fn propagate_scopes(edges: &[Vec<(usize, Scope)>], roots: &[(usize, Scope)]) -> Vec<Option<Scope>> {
    const LEVELS: [Scope; 4] = [Scope::Prod, Scope::Optional, Scope::Dev, Scope::Build];
    let mut best: Vec<Option<Scope>> = vec![None; edges.len()];
    let mut queues: Vec<VecDeque<usize>> = vec![VecDeque::new(); LEVELS.len()];
    let level_of = |s: Scope| LEVELS.iter().position(|l| *l == s).unwrap_or(0);
    let offer = |best: &mut Vec<Option<Scope>>,
                 queues: &mut Vec<VecDeque<usize>>,
                 node: usize,
                 scope: Scope| {
        if let Some(slot) = best.get_mut(node)
            && slot.is_none_or(|s| scope < s)
        {
            *slot = Some(scope);
            if let Some(queue) = queues.get_mut(level_of(scope)) {
                queue.push_back(node);
            }
        }
    };
    for &(node, scope) in roots {
        offer(&mut best, &mut queues, node, scope);
    }
    for (level, scope) in LEVELS.iter().enumerate() {
        while let Some(node) = queues.get_mut(level).and_then(|q| q.pop_front()) {
            if best.get(node).copied().flatten() != Some(*scope) {
                continue; // already improved and queued at a better level
            }
            for &(child, edge) in edges.get(node).map(Vec::as_slice).unwrap_or(&[]) {
                offer(&mut best, &mut queues, child, (*scope).max(edge));
            }
        }
    }
    best
}
