//! `bun.lock`: bun's text lockfile (bun 1.2+), JSON with trailing commas.
//!
//! `packages` maps an install path (`ms`, `debug/ms` for a copy nested under debug) to an array
//! whose first element is the resolved `name@version` (or `name@workspace:dir`,
//! `name@github:user/repo#sha`, `name@file:...`) and whose third holds the package's own
//! `dependencies`, `optionalDependencies` and `peerDependencies`. The workspace's packages
//! (`@workspace:`) are not components. Direct dependencies and scopes come from the manifests
//! (package.json), as for the other lockfiles, and scope follows the graph.

use std::collections::HashMap;

use nanoup_core::{Component, Ecosystem, LineIndex, ParseError, Scope, Source};
use serde_json::Value;

use super::{Member, propagate_scopes, source_of_spec, split_name_at};

/// A parsed bun.lock.
#[derive(Debug, Clone)]
pub struct BunLock {
    file: String,
    entries: Vec<BunEntry>,
}

#[derive(Debug, Clone)]
struct BunEntry {
    /// The install path (`debug/ms`).
    path: String,
    name: String,
    version: String,
    source: Source,
    line: u32,
    /// (name, scope of the edge) of each dependency the package declares.
    dependencies: Vec<(String, Scope)>,
}

/// `text` without the commas JSON forbids before `}` or `]` (outside strings).
fn without_trailing_commas(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut pending_comma: Option<String> = None;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if let Some(held) = pending_comma.as_mut() {
            if c.is_whitespace() {
                held.push(c);
                continue;
            }
            let held = pending_comma.take().unwrap_or_default();
            if c == '}' || c == ']' {
                // Drop the comma, keep the whitespace (and so the line numbers).
                out.push_str(&held[1..]);
            } else {
                out.push_str(&held);
            }
        }
        match c {
            ',' => pending_comma = Some(String::from(",")),
            '"' => {
                in_string = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if let Some(held) = pending_comma {
        out.push_str(&held);
    }
    out
}

/// The package names of an install path (`@types/node/undici-types` is `@types/node` then
/// `undici-types`).
fn segments(path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut scope: Option<&str> = None;
    for part in path.split('/') {
        match scope.take() {
            Some(s) => out.push(format!("{s}/{part}")),
            None if part.starts_with('@') => scope = Some(part),
            None => out.push(part.to_string()),
        }
    }
    out
}

/// Reads a bun.lock.
pub fn parse_bun_lock(file: &str, text: &str) -> Result<BunLock, ParseError> {
    let json = without_trailing_commas(text);
    let doc: Value = super::json::from_str(file, &json)?;
    let packages = doc
        .get("packages")
        .and_then(Value::as_object)
        .ok_or_else(|| ParseError::new(file, 1, 1, "expected a `packages` object"))?;
    let lines = LineIndex::new(text);
    let mut entries = Vec::new();
    for (path, value) in packages {
        let line = text
            .find(&format!("\"{path}\": ["))
            .map_or(1, |offset| lines.line(offset));
        let resolved = value
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ParseError::new(
                    file,
                    line,
                    1,
                    format!("expected `\"{path}\": [\"name@version\", ...]`"),
                )
            })?;
        let (name, version) = split_name_at(resolved);
        if name.is_empty() || version.is_empty() {
            return Err(ParseError::new(
                file,
                line,
                1,
                format!("expected `name@version`, found `{resolved}`"),
            ));
        }
        if version.starts_with("workspace:") {
            continue;
        }
        let source = source_of_spec(version);
        let info = value.as_array().and_then(|a| a.get(2));
        let mut dependencies = Vec::new();
        for (section, scope) in [
            ("dependencies", Scope::Prod),
            ("optionalDependencies", Scope::Optional),
            ("peerDependencies", Scope::Prod),
        ] {
            if let Some(map) = info.and_then(|i| i.get(section)).and_then(Value::as_object) {
                dependencies.extend(map.keys().map(|k| (k.clone(), scope)));
            }
        }
        entries.push(BunEntry {
            path: path.clone(),
            name: name.to_string(),
            version: version.to_string(),
            source,
            line,
            dependencies,
        });
    }
    Ok(BunLock {
        file: file.to_string(),
        entries,
    })
}

impl BunLock {
    /// How many packages the lockfile installs (the workspace's own left out).
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// The components: direct when a manifest of `members` declares the package, scopes along
    /// the graph from those declarations.
    pub fn components(&self, members: &[Member]) -> Vec<Component> {
        let by_path: HashMap<&str, usize> = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.path.as_str(), i))
            .collect();
        // A dependency of the package at `path` is installed at `path/dep`, else at the nearest
        // ancestor's level, else at the top.
        let resolve = |path: &str, dep: &str| -> Option<usize> {
            let mut base = segments(path);
            loop {
                let mut candidate = base.clone();
                candidate.push(dep.to_string());
                if let Some(i) = by_path.get(candidate.join("/").as_str()) {
                    return Some(*i);
                }
                base.pop()?;
            }
        };
        let edges: Vec<Vec<(usize, Scope)>> = self
            .entries
            .iter()
            .map(|e| {
                e.dependencies
                    .iter()
                    .filter_map(|(dep, scope)| resolve(&e.path, dep).map(|i| (i, *scope)))
                    .collect()
            })
            .collect();
        let mut roots = Vec::new();
        let mut requirement_of: HashMap<usize, String> = HashMap::new();
        for member in members {
            let owner = member.manifest.name.clone().unwrap_or_default();
            for declared in &member.manifest.dependencies {
                let nested = format!("{owner}/{}", declared.name);
                let found = by_path
                    .get(nested.as_str())
                    .or_else(|| by_path.get(declared.name.as_str()))
                    .copied();
                if let Some(i) = found {
                    roots.push((i, declared.scope));
                    requirement_of
                        .entry(i)
                        .or_insert_with(|| declared.requirement.clone());
                }
            }
        }
        let scopes = propagate_scopes(&edges, &roots);
        self.entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut c = Component::new(Ecosystem::Npm, &e.name, &e.version, &self.file, e.line);
                c.source = e.source;
                if e.source != Source::Registry {
                    c.version = None;
                    c.unresolved = Some(format!("installed from {}", e.version));
                    c.purl = nanoup_core::purl_for(Ecosystem::Npm, &e.name, None);
                }
                c.direct = requirement_of.contains_key(&i);
                c.requirement = requirement_of.get(&i).cloned();
                c.scope = scopes.get(i).copied().flatten().unwrap_or(Scope::Prod);
                c
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_paths_split_into_package_names() {
        assert_eq!(segments("debug/ms"), ["debug", "ms"]);
        assert_eq!(
            segments("@types/node/undici-types"),
            ["@types/node", "undici-types"]
        );
        assert_eq!(segments("a/@b/c/d"), ["a", "@b/c", "d"]);
    }

    #[test]
    fn trailing_commas_go_and_lines_stay() {
        let text = "{\n  \"a\": [1, 2,],\n  \"s\": \"x,]\",\n}\n";
        let json = without_trailing_commas(text);
        assert_eq!(json, "{\n  \"a\": [1, 2],\n  \"s\": \"x,]\"\n}\n");
        assert!(serde_json::from_str::<Value>(&json).is_ok());
    }
}
