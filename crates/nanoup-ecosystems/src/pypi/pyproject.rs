//! `pyproject.toml`: the dependencies a Python project declares, in the PEP 621 `[project]`
//! table, PEP 735 `[dependency-groups]`, `[tool.uv]` and `[tool.poetry]`.
//!
//! Scopes: `[project] dependencies`, `[tool.poetry.dependencies]` and the Poetry group `main`
//! are prod; `[project.optional-dependencies]` and Poetry dependencies marked
//! `optional = true` are optional; `[dependency-groups]`, `[tool.uv] dev-dependencies`,
//! `[tool.poetry.dev-dependencies]` and every other Poetry group are dev. `[build-system]
//! requires` is not read: build requirements are not locked with the project.

use nanoup_core::{LineIndex, ParseError, Scope, Source, normalize_pypi_name};
use toml_edit::{Item, TableLike, Value};

use super::pep508::{self, Parsed};
use super::{Declared, line_of};

/// Reads the dependencies `pyproject.toml` declares.
///
/// A dependency string that is not PEP 508 is an error at its line.
pub fn parse(file: &str, text: &str) -> Result<Vec<Declared>, ParseError> {
    let doc = crate::toml_spans::parse(file, text)?;
    let index = LineIndex::new(text);
    let mut declared = Vec::new();
    let root = doc.as_item();
    let project = root.get("project");
    if let Some(list) = project.and_then(|p| p.get("dependencies")) {
        pep508_list(file, text, &index, list, Scope::Prod, &mut declared)?;
    }
    if let Some(groups) = project
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(Item::as_table_like)
    {
        for (_, list) in groups.iter() {
            pep508_list(file, text, &index, list, Scope::Optional, &mut declared)?;
        }
    }
    if let Some(groups) = root.get("dependency-groups").and_then(Item::as_table_like) {
        for (_, list) in groups.iter() {
            pep508_list(file, text, &index, list, Scope::Dev, &mut declared)?;
        }
    }
    let tool = root.get("tool");
    if let Some(list) = tool
        .and_then(|t| t.get("uv"))
        .and_then(|u| u.get("dev-dependencies"))
    {
        pep508_list(file, text, &index, list, Scope::Dev, &mut declared)?;
    }
    if let Some(poetry) = tool.and_then(|t| t.get("poetry")) {
        if let Some(table) = poetry.get("dependencies").and_then(Item::as_table_like) {
            poetry_table(&index, table, Scope::Prod, &mut declared);
        }
        if let Some(table) = poetry.get("dev-dependencies").and_then(Item::as_table_like) {
            poetry_table(&index, table, Scope::Dev, &mut declared);
        }
        if let Some(groups) = poetry.get("group").and_then(Item::as_table_like) {
            for (group, item) in groups.iter() {
                let scope = if group == "main" {
                    Scope::Prod
                } else {
                    Scope::Dev
                };
                if let Some(table) = item.get("dependencies").and_then(Item::as_table_like) {
                    poetry_table(&index, table, scope, &mut declared);
                }
            }
        }
    }
    Ok(declared)
}

/// [`parse`], counting the declarations (for fuzzing).
pub fn count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse(file, text).map(|d| d.len())
}

/// An array of PEP 508 strings; other elements (`{include-group = ...}`) are skipped.
fn pep508_list(
    file: &str,
    text: &str,
    index: &LineIndex,
    list: &Item,
    scope: Scope,
    out: &mut Vec<Declared>,
) -> Result<(), ParseError> {
    let Some(array) = list.as_array() else {
        let offset = list.span().map_or(0, |s| s.start);
        return Err(ParseError::at_offset(
            file,
            text,
            offset,
            format!(
                "expected an array of dependency strings, found {}",
                list.type_name()
            ),
        ));
    };
    for value in array.iter() {
        let Some(spec) = value.as_str() else { continue };
        let span = value.span();
        let offset = span.as_ref().map_or(0, |s| s.start);
        match pep508::parse(spec) {
            Ok(Parsed::Requirement(requirement)) => {
                out.push(declared_from_pep508(requirement, scope, index.line(offset)))
            }
            Ok(Parsed::NotAName) => {
                return Err(ParseError::at_offset(
                    file,
                    text,
                    offset,
                    format!("expected a dependency starting with a project name, found `{spec}`"),
                ));
            }
            // The string's offset, plus one for the opening quote, points into the string.
            Err(e) => {
                return Err(ParseError::at_offset(
                    file,
                    text,
                    offset + 1 + e.offset,
                    e.message,
                ));
            }
        }
    }
    Ok(())
}

/// A declaration from a PEP 508 string.
pub(crate) fn declared_from_pep508(
    requirement: pep508::Requirement,
    scope: Scope,
    line: u32,
) -> Declared {
    let (source, requirement_text) = match requirement.url {
        Some(url) => (super::requirements::location_source(&url), Some(url)),
        None => (
            Source::Registry,
            (!requirement.specifier.is_empty()).then_some(requirement.specifier),
        ),
    };
    Declared {
        name: normalize_pypi_name(&requirement.name),
        scope,
        requirement: requirement_text,
        source,
        line,
    }
}

/// A Poetry (or Pipfile) dependency table: `name = "spec"`, `name = { version = ..., git = ...
/// }` or a list of such tables. `python` is the interpreter, not a dependency.
pub(crate) fn poetry_table(
    index: &LineIndex,
    table: &dyn TableLike,
    scope: Scope,
    out: &mut Vec<Declared>,
) {
    for (name, item) in table.iter() {
        if name.eq_ignore_ascii_case("python") {
            continue;
        }
        let span = table
            .get_key_value(name)
            .and_then(|(key, _)| key.span())
            .or_else(|| item.span());
        let line = line_of(index, span);
        let (requirement, source, optional) = match item {
            Item::Value(Value::String(s)) => (Some(s.value().clone()), Source::Registry, false),
            Item::Value(Value::Array(array)) => {
                // Several constraints by marker: the first table tells the kind.
                let first = array.iter().find_map(Value::as_inline_table);
                first.map_or((None, Source::Registry, false), |t| table_requirement(t))
            }
            other => other
                .as_table_like()
                .map_or((None, Source::Registry, false), table_requirement),
        };
        out.push(Declared {
            name: normalize_pypi_name(name),
            scope: if optional && scope == Scope::Prod {
                Scope::Optional
            } else {
                scope
            },
            requirement,
            source,
            line,
        });
    }
}

/// The requirement, source and optional flag of a dependency given as a table.
fn table_requirement(table: &dyn TableLike) -> (Option<String>, Source, bool) {
    let get = |key: &str| table.get(key).and_then(Item::as_str).map(str::to_string);
    let optional = table
        .get("optional")
        .and_then(Item::as_bool)
        .unwrap_or(false);
    if let Some(git) = get("git") {
        (Some(git), Source::Git, optional)
    } else if let Some(path) = get("path") {
        (Some(path), Source::Path, optional)
    } else if let Some(file) = get("file") {
        let source = super::requirements::location_source(&file);
        (Some(file), source, optional)
    } else if let Some(url) = get("url") {
        (Some(url), Source::Url, optional)
    } else {
        (get("version"), Source::Registry, optional)
    }
}
