//! `uv.lock`: one `[[package]]` table per locked distribution, the project itself included.
//!
//! The project (source `editable = "."` or `virtual = "."`) and the workspace members named in
//! `[manifest] members` are not components: their own `dependencies` (prod),
//! `optional-dependencies` (optional) and `dev-dependencies` (dev) are the stack's direct
//! declarations, besides those of `pyproject.toml`. Sources: `registry`, `git`,
//! `path`/`directory`/`editable`/`virtual` (a path) and `url`.

use std::collections::BTreeSet;

use nanoup_core::{LineIndex, ParseError, Scope, Source, normalize_pypi_name};
use toml_edit::{Item, Table, Value};

use super::poetry::required_str;
use super::{Declared, LockedPackage, line_of};

/// What a `uv.lock` holds: the locked packages and the project's own declarations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UvLock {
    /// Every locked package except the project and workspace members.
    pub packages: Vec<LockedPackage>,
    /// The dependencies the project and workspace members declare.
    pub declared: Vec<Declared>,
}

/// Reads a `uv.lock`.
pub fn parse(file: &str, text: &str) -> Result<UvLock, ParseError> {
    let doc = crate::toml_spans::parse(file, text)?;
    let index = LineIndex::new(text);
    let members: BTreeSet<String> = doc
        .get("manifest")
        .and_then(|m| m.get("members"))
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(normalize_pypi_name)
                .collect()
        })
        .unwrap_or_default();
    let mut lock = UvLock::default();
    let Some(packages) = doc.get("package") else {
        return Ok(lock);
    };
    let Some(tables) = packages.as_array_of_tables() else {
        let offset = packages.span().map_or(0, |s| s.start);
        return Err(ParseError::at_offset(
            file,
            text,
            offset,
            format!(
                "expected `[[package]]` tables, found {}",
                packages.type_name()
            ),
        ));
    };
    for table in tables.iter() {
        let name = required_str(file, text, table, "name")?;
        let version = match table.get("version") {
            Some(_) => Some(required_str(file, text, table, "version")?.to_string()),
            None => None,
        };
        let mut package = LockedPackage::new(name, version, line_of(&index, table.span()));
        let source = table.get("source").and_then(Item::as_table_like);
        let source_field = |key: &str| source.and_then(|s| s.get(key)).and_then(Item::as_str);
        let is_project = ["editable", "virtual"]
            .iter()
            .any(|kind| source_field(kind) == Some("."))
            || members.contains(&package.name);
        if is_project {
            project_declarations(&index, table, &mut lock.declared);
            continue;
        }
        for (kind, source) in [
            ("registry", Source::Registry),
            ("git", Source::Git),
            ("path", Source::Path),
            ("directory", Source::Path),
            ("editable", Source::Path),
            ("virtual", Source::Path),
            ("url", Source::Url),
        ] {
            if let Some(location) = source_field(kind) {
                package.source = source;
                if source != Source::Registry {
                    package.extra.insert("url".into(), location.to_string());
                }
                break;
            }
        }
        package.dependencies = dependency_entries(table.get("dependencies"))
            .chain(
                table
                    .get("optional-dependencies")
                    .and_then(Item::as_table_like)
                    .into_iter()
                    .flat_map(|groups| {
                        groups
                            .iter()
                            .flat_map(|(_, list)| dependency_entries(Some(list)))
                    }),
            )
            .filter_map(|entry| {
                entry
                    .get("name")
                    .and_then(Value::as_str)
                    .map(normalize_pypi_name)
            })
            .collect();
        lock.packages.push(package);
    }
    Ok(lock)
}

/// [`parse`] shaped for the stack builder.
pub fn parse_stack(
    file: &str,
    text: &str,
) -> Result<(Vec<LockedPackage>, Vec<Declared>), ParseError> {
    parse(file, text).map(|lock| (lock.packages, lock.declared))
}

/// [`parse`], counting the packages (for fuzzing).
pub fn count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse(file, text).map(|lock| lock.packages.len())
}

/// The `{ name = ... }` tables of a dependency array.
fn dependency_entries(list: Option<&Item>) -> impl Iterator<Item = &toml_edit::InlineTable> {
    list.and_then(Item::as_array)
        .into_iter()
        .flat_map(|a| a.iter())
        .filter_map(Value::as_inline_table)
}

/// The declarations of the project's own lock entry.
fn project_declarations(index: &LineIndex, table: &Table, out: &mut Vec<Declared>) {
    let mut add = |list: Option<&Item>, scope: Scope| {
        for entry in dependency_entries(list) {
            let Some(name) = entry.get("name").and_then(Value::as_str) else {
                continue;
            };
            out.push(Declared {
                name: normalize_pypi_name(name),
                scope,
                requirement: None,
                source: Source::Registry,
                line: line_of(index, entry.span()),
            });
        }
    };
    add(table.get("dependencies"), Scope::Prod);
    for (key, scope) in [
        ("optional-dependencies", Scope::Optional),
        ("dev-dependencies", Scope::Dev),
    ] {
        if let Some(groups) = table.get(key).and_then(Item::as_table_like) {
            for (_, list) in groups.iter() {
                add(Some(list), scope);
            }
        }
    }
}
