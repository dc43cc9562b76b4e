//! Pipenv: `Pipfile.lock` (JSON) and `Pipfile` (TOML).
//!
//! In `Pipfile.lock`, `default` holds the prod packages and `develop` the dev ones, each keyed
//! by name with `"version": "==x"`; other sections (Pipenv's custom categories) count as dev.
//! A package may sit in several sections; the stack merges it (most essential scope wins).
//! Entries without a version (`git`, `path`, `file`) are unresolved components with that source.
//! In `Pipfile`, `[packages]` are prod declarations, `[dev-packages]` and custom categories dev.

use std::collections::HashMap;

use nanoup_core::{LineIndex, ParseError, Scope, Source};

use super::pep508::pinned_version;
use super::pyproject::poetry_table;
use super::{Declared, LockedPackage};

/// Reads every package of every section of a `Pipfile.lock`.
pub fn parse_lock(file: &str, text: &str) -> Result<Vec<LockedPackage>, ParseError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        ParseError::new(
            file,
            u32::try_from(e.line()).unwrap_or(u32::MAX).max(1),
            u32::try_from(e.column()).unwrap_or(u32::MAX).max(1),
            format!("invalid JSON: {e}"),
        )
    })?;
    let Some(sections) = value.as_object() else {
        return Err(ParseError::new(
            file,
            1,
            1,
            "expected a JSON object with `default` and `develop` sections",
        ));
    };
    let index = LineIndex::new(text);
    let key_offsets = second_level_key_offsets(text);
    let line_of = |section: &str, name: &str| {
        key_offsets
            .get(&(section.to_string(), name.to_string()))
            .map_or(1, |offset| index.line(*offset))
    };
    let mut packages = Vec::new();
    for (section, entries) in sections {
        if section == "_meta" {
            continue;
        }
        let Some(entries) = entries.as_object() else {
            let line = key_offsets
                .iter()
                .filter(|((s, _), _)| s == section)
                .map(|(_, offset)| index.line(*offset))
                .min()
                .unwrap_or(1);
            return Err(ParseError::new(
                file,
                line,
                1,
                format!("expected section `{section}` to be an object of packages"),
            ));
        };
        let scope = if section == "default" {
            Scope::Prod
        } else {
            Scope::Dev
        };
        for (name, entry) in entries {
            let line = line_of(section, name);
            let Some(entry) = entry.as_object() else {
                return Err(ParseError::new(
                    file,
                    line,
                    1,
                    format!("expected `{name}` to be an object"),
                ));
            };
            let get = |key: &str| entry.get(key).and_then(serde_json::Value::as_str);
            let version = get("version").and_then(pinned_version);
            let mut package = LockedPackage::new(name, version, line);
            package.scope = Some(scope);
            if let Some(git) = get("git") {
                package.source = Source::Git;
                package.extra.insert("url".into(), git.to_string());
                if let Some(revision) = get("ref") {
                    package
                        .extra
                        .insert("revision".into(), revision.to_string());
                }
            } else if let Some(path) = get("path") {
                package.source = Source::Path;
                package.extra.insert("url".into(), path.to_string());
            } else if let Some(location) = get("file") {
                package.source = super::requirements::location_source(location);
                package.extra.insert("url".into(), location.to_string());
            }
            if let Some(markers) = get("markers") {
                package.extra.insert("marker".into(), markers.to_string());
            }
            packages.push(package);
        }
    }
    Ok(packages)
}

/// [`parse_lock`] shaped for the stack builder: the lock declares nothing itself.
pub fn parse_stack(
    file: &str,
    text: &str,
) -> Result<(Vec<LockedPackage>, Vec<Declared>), ParseError> {
    Ok((parse_lock(file, text)?, Vec::new()))
}

/// [`parse_lock`], counting the entries (for fuzzing).
pub fn count_lock(file: &str, text: &str) -> Result<usize, ParseError> {
    parse_lock(file, text).map(|p| p.len())
}

/// Tables of a Pipfile that are not package categories.
const NOT_CATEGORIES: [&str; 4] = ["source", "requires", "scripts", "pipenv"];

/// Reads the packages a `Pipfile` declares.
pub fn parse_manifest(file: &str, text: &str) -> Result<Vec<Declared>, ParseError> {
    let doc = crate::toml_spans::parse(file, text)?;
    let index = LineIndex::new(text);
    let mut declared = Vec::new();
    for (category, item) in doc.iter() {
        if NOT_CATEGORIES.contains(&category) {
            continue;
        }
        let Some(table) = item.as_table_like() else {
            continue;
        };
        let scope = if category == "packages" {
            Scope::Prod
        } else {
            Scope::Dev
        };
        poetry_table(&index, table, scope, &mut declared);
    }
    // `"*"` states no requirement at all.
    for d in &mut declared {
        if d.requirement.as_deref() == Some("*") {
            d.requirement = None;
        }
    }
    Ok(declared)
}

/// [`parse_manifest`], counting the declarations (for fuzzing).
pub fn count_manifest(file: &str, text: &str) -> Result<usize, ParseError> {
    parse_manifest(file, text).map(|d| d.len())
}

/// The byte offset of every key two objects deep, by (outer key, inner key): where each
/// package of each section is named. The text must already be known to be valid JSON.
fn second_level_key_offsets(text: &str) -> HashMap<(String, String), usize> {
    let mut offsets = HashMap::new();
    // Open containers: true for an object.
    let mut stack: Vec<bool> = Vec::new();
    let mut expect_key = false;
    let mut section = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                stack.push(true);
                expect_key = true;
            }
            '[' => {
                stack.push(false);
                expect_key = false;
            }
            '}' | ']' => {
                stack.pop();
                expect_key = false;
            }
            ',' => expect_key = stack.last() == Some(&true),
            ':' => expect_key = false,
            '"' => {
                let mut end = None;
                let mut escaped = false;
                for (j, d) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' {
                        escaped = true;
                    } else if d == '"' {
                        end = Some(j);
                        break;
                    }
                }
                let Some(end) = end else { break };
                if !expect_key {
                    continue;
                }
                let raw = text.get(i..=end).unwrap_or("\"\"");
                let key: String = serde_json::from_str(raw).unwrap_or_default();
                match stack.len() {
                    1 => section = key,
                    2 => {
                        offsets.entry((section.clone(), key)).or_insert(i);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    offsets
}
