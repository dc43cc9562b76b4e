//! Cargo.lock: the resolved packages and the edges between them.

use nanoup_core::{LineIndex, ParseError};
use toml_edit::Item;

use crate::toml_spans::{self, str_at};

/// One `[[package]]` entry of a Cargo.lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockPackage {
    /// Crate name.
    pub name: String,
    /// Exact version.
    pub version: String,
    /// The `source` string (`registry+...`, `sparse+...`, `git+...#rev`); `None` for local crates.
    pub source: Option<String>,
    /// The `dependencies` references, as written (`name`, `name version` or `name version (source)`).
    pub dependencies: Vec<String>,
    /// 1-based line of the entry's `name` key.
    pub line: u32,
}

impl LockPackage {
    /// Whether a `dependencies` reference of another entry (`name [version [(source)]]`) names this one.
    pub fn matches_reference(&self, reference: &str) -> bool {
        let mut parts = reference.split_whitespace();
        let (Some(name), version, source) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        name == self.name
            && version.is_none_or(|v| v == self.version)
            && source.is_none_or(|s| {
                let s = s.trim_start_matches('(').trim_end_matches(')');
                self.source
                    .as_deref()
                    .is_some_and(|own| own == s || own.starts_with(s))
            })
    }
}

/// Parses a Cargo.lock (format v1 to v4). Every package needs a `name` and a `version`.
pub fn parse(file: &str, text: &str) -> Result<Vec<LockPackage>, ParseError> {
    let doc = toml_spans::parse(file, text)?;
    let lines = LineIndex::new(text);
    let Some(item) = doc.get("package") else {
        // A lockfile of a crate with no dependencies and no package list is still valid.
        return Ok(Vec::new());
    };
    let Some(packages) = item.as_array_of_tables() else {
        let offset = item.span().map_or(0, |s| s.start);
        return Err(ParseError::at_offset(
            file,
            text,
            offset,
            "expected `[[package]]` tables",
        ));
    };
    let mut out = Vec::with_capacity(packages.len());
    for table in packages.iter() {
        let start = table.span().map_or(0, |s| s.start);
        let field = |key: &str| -> Result<String, ParseError> {
            str_at(table, key).map(str::to_string).ok_or_else(|| {
                let offset = toml_spans::offset_of(table, key, start);
                ParseError::at_offset(
                    file,
                    text,
                    offset,
                    format!("expected a string `{key}` in this [[package]]"),
                )
            })
        };
        let name = field("name")?;
        let version = field("version")?;
        let dependencies = match table.get("dependencies") {
            None => Vec::new(),
            Some(Item::Value(v)) if v.as_array().is_some() => v
                .as_array()
                .into_iter()
                .flat_map(|a| a.iter())
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect(),
            Some(other) => {
                let offset = other.span().map_or(start, |s| s.start);
                return Err(ParseError::at_offset(
                    file,
                    text,
                    offset,
                    "expected `dependencies` to be an array of strings",
                ));
            }
        };
        out.push(LockPackage {
            line: lines.line(toml_spans::offset_of(table, "name", start)),
            name,
            version,
            source: str_at(table, "source").map(str::to_string),
            dependencies,
        });
    }
    Ok(out)
}
