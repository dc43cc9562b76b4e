//! Cargo.toml: the package it declares, its dependency sections, and workspace membership.

use std::collections::BTreeMap;

use nanoup_core::{ParseError, Scope};
use toml_edit::{Item, TableLike};

use crate::toml_spans::{self, str_at};

/// What nanoup needs from one Cargo.toml.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// `[package] name`, when the manifest declares a package (a virtual workspace does not).
    pub package: Option<String>,
    /// `[workspace] members` globs, relative to the manifest's directory.
    pub members: Vec<String>,
    /// `[workspace] exclude` paths.
    pub exclude: Vec<String>,
    /// Every dependency the package declares: real crate name → (most essential scope, requirement).
    pub dependencies: BTreeMap<String, DeclaredDependency>,
    /// `[workspace.dependencies]`: key → real crate name, for members that say `workspace = true`.
    pub workspace_dependencies: BTreeMap<String, String>,
}

/// A dependency as a manifest declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredDependency {
    /// How the package uses it (normal → prod, optional → optional, dev → dev, build → build).
    pub scope: Scope,
    /// The version requirement, when one is written.
    pub requirement: Option<String>,
}

const SECTIONS: [(&str, Scope); 3] = [
    ("dependencies", Scope::Prod),
    ("dev-dependencies", Scope::Dev),
    ("build-dependencies", Scope::Build),
];

/// Parses a Cargo.toml. `inherited` is the workspace root's `[workspace.dependencies]` map (key →
/// real crate name), used to resolve `name.workspace = true`; pass an empty map for the root.
pub fn parse(
    file: &str,
    text: &str,
    inherited: &BTreeMap<String, String>,
) -> Result<Manifest, ParseError> {
    let doc = toml_spans::parse(file, text)?;
    let root = doc.as_table();
    let mut manifest = Manifest {
        package: root
            .get("package")
            .and_then(Item::as_table_like)
            .and_then(|p| str_at(p, "name"))
            .map(str::to_string),
        ..Manifest::default()
    };
    if let Some(ws) = root.get("workspace").and_then(Item::as_table_like) {
        manifest.members = string_array(ws, "members");
        manifest.exclude = string_array(ws, "exclude");
        if let Some(deps) = ws.get("dependencies").and_then(Item::as_table_like) {
            for (key, item) in deps.iter() {
                let real = item
                    .as_table_like()
                    .and_then(|t| str_at(t, "package"))
                    .unwrap_or(key);
                manifest
                    .workspace_dependencies
                    .insert(key.to_string(), real.to_string());
            }
        }
    }
    let mut tables: Vec<(&dyn TableLike, Scope)> = Vec::new();
    for (section, scope) in SECTIONS {
        if let Some(t) = root.get(section).and_then(Item::as_table_like) {
            tables.push((t, scope));
        }
    }
    // `[target.'cfg(...)'.dependencies]` and friends.
    if let Some(targets) = root.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            let Some(target) = target.as_table_like() else {
                continue;
            };
            for (section, scope) in SECTIONS {
                if let Some(t) = target.get(section).and_then(Item::as_table_like) {
                    tables.push((t, scope));
                }
            }
        }
    }
    for (table, section_scope) in tables {
        for (key, item) in table.iter() {
            let detail = item.as_table_like();
            let flag = |name: &str| {
                detail
                    .and_then(|t| t.get(name))
                    .and_then(Item::as_bool)
                    .unwrap_or(false)
            };
            let real = match detail.and_then(|t| str_at(t, "package")) {
                Some(renamed) => renamed,
                None if flag("workspace") => inherited.get(key).map_or(key, String::as_str),
                None => key,
            };
            let scope = if flag("optional") && section_scope == Scope::Prod {
                Scope::Optional
            } else {
                section_scope
            };
            let requirement = item
                .as_str()
                .or_else(|| detail.and_then(|t| str_at(t, "version")))
                .map(str::to_string);
            let entry =
                manifest
                    .dependencies
                    .entry(real.to_string())
                    .or_insert(DeclaredDependency {
                        scope,
                        requirement: None,
                    });
            entry.scope = entry.scope.min(scope);
            if entry.requirement.is_none() {
                entry.requirement = requirement;
            }
        }
    }
    Ok(manifest)
}

fn string_array(table: &dyn TableLike, key: &str) -> Vec<String> {
    table
        .get(key)
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
