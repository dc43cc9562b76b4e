//! `poetry.lock`: one `[[package]]` table per locked distribution.
//!
//! The scope comes from the entry's `category` (`main` → prod, `dev` → dev; Poetry before
//! 1.5) or `groups` (Poetry 2: prod when it lists `main`, else dev); an entry marked
//! `optional = true` (installed only through an extra) in the main category is optional.
//! When the lock says neither, the scope is reached from the `pyproject.toml` declarations.
//! The source comes from `[package.source]`: `git`, `directory`/`file` (a path), `url`, and
//! any other type (`legacy`, a private index) is a registry.

use nanoup_core::{LineIndex, ParseError, Scope, Source};
use toml_edit::{Item, Table};

use super::{Declared, LockedPackage, line_of};

/// Reads every `[[package]]` of a `poetry.lock`.
pub fn parse(file: &str, text: &str) -> Result<Vec<LockedPackage>, ParseError> {
    let doc = crate::toml_spans::parse(file, text)?;
    let index = LineIndex::new(text);
    let Some(packages) = doc.get("package") else {
        return Ok(Vec::new());
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
    tables
        .iter()
        .map(|table| package(file, text, &index, table))
        .collect()
}

/// [`parse`] shaped for the stack builder: a Poetry lock declares nothing itself.
pub fn parse_stack(
    file: &str,
    text: &str,
) -> Result<(Vec<LockedPackage>, Vec<Declared>), ParseError> {
    Ok((parse(file, text)?, Vec::new()))
}

/// [`parse`], counting the packages (for fuzzing).
pub fn count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse(file, text).map(|p| p.len())
}

/// A string field of a `[[package]]`, or an error at the table naming what is missing.
pub(crate) fn required_str<'t>(
    file: &str,
    text: &str,
    table: &'t Table,
    key: &str,
) -> Result<&'t str, ParseError> {
    match table.get(key) {
        Some(item) => item.as_str().ok_or_else(|| {
            let offset = item.span().map_or(0, |s| s.start);
            ParseError::at_offset(
                file,
                text,
                offset,
                format!("expected `{key}` to be a string"),
            )
        }),
        None => {
            let offset = table.span().map_or(0, |s| s.start);
            Err(ParseError::at_offset(
                file,
                text,
                offset,
                format!("expected a `{key}` in this `[[package]]`"),
            ))
        }
    }
}

fn package(
    file: &str,
    text: &str,
    index: &LineIndex,
    table: &Table,
) -> Result<LockedPackage, ParseError> {
    let name = required_str(file, text, table, "name")?;
    let version = required_str(file, text, table, "version")?;
    let mut package = LockedPackage::new(
        name,
        Some(version.to_string()),
        line_of(index, table.span()),
    );
    let optional = table
        .get("optional")
        .and_then(Item::as_bool)
        .unwrap_or(false);
    let main = if optional {
        Scope::Optional
    } else {
        Scope::Prod
    };
    package.scope = match table.get("category").and_then(Item::as_str) {
        Some("main") => Some(main),
        Some("dev") => Some(Scope::Dev),
        _ => table.get("groups").and_then(Item::as_array).map(|groups| {
            if groups.iter().any(|g| g.as_str() == Some("main")) {
                main
            } else {
                Scope::Dev
            }
        }),
    };
    if let Some(dependencies) = table.get("dependencies").and_then(Item::as_table_like) {
        package.dependencies = dependencies
            .iter()
            .map(|(name, _)| nanoup_core::normalize_pypi_name(name))
            .collect();
    }
    if let Some(source) = table.get("source").and_then(Item::as_table_like) {
        let get = |key: &str| source.get(key).and_then(Item::as_str).map(str::to_string);
        package.source = match get("type").as_deref() {
            Some("git") => Source::Git,
            Some("directory" | "file") => Source::Path,
            Some("url") => Source::Url,
            _ => Source::Registry,
        };
        if let Some(url) = get("url") {
            package.extra.insert("url".into(), url);
        }
        if let Some(revision) = get("resolved_reference").or_else(|| get("reference")) {
            package.extra.insert("revision".into(), revision);
        }
    }
    Ok(package)
}
