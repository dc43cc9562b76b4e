//! `yarn.lock` version 1 (yarn classic).
//!
//! The format is yarn's own, not YAML: a block per resolved package, headed by the comma
//! separated specifiers it satisfies (`"ms@^2.0.0", ms@^2.1.1:`), with two-space indented
//! fields (`version "2.1.3"`, `resolved "..."`) and four-space indented dependency lists.
//! yarn.lock has no dev or optional flags: scope is derived from the graph (see the module
//! documentation of `npm`).
//!
//! Yarn 2+ ("berry") lockfiles are YAML of the same shape: a `__metadata` entry first, headers
//! that are one quoted string (`"ms@npm:^2.0.0, ms@npm:^2.1.1":`), `key: value` fields
//! (`version: 2.1.3`, `resolution: "ms@npm:2.1.3"`), nested maps nanoup does not need
//! (`dependenciesMeta`, `peerDependenciesMeta`). They are read into the same model: a
//! specifier's `npm:` protocol is dropped (`ms@npm:^2.0.0` is `ms@^2.0.0`, as dependency lists
//! write it), and the workspace's own packages (`@workspace:`) are not components.

use std::collections::HashMap;

use nanoup_core::{Component, Ecosystem, ParseError, Scope, Source};

use super::{Member, propagate_scopes, source_of_spec, split_alias, split_name_at};

/// A parsed yarn v1 lockfile.
#[derive(Debug, Clone)]
pub struct YarnLock {
    file: String,
    entries: Vec<YarnEntry>,
    /// `name@range` specifier → entry.
    by_spec: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
struct YarnEntry {
    name: String,
    version: String,
    line: u32,
    source: Source,
    resolved: Option<String>,
    /// (name, range, edge scope) of each dependency.
    dependencies: Vec<(String, String, Scope)>,
}

/// A block being read: its header's line and specifiers and the fields seen so far.
struct Block {
    line: u32,
    offset: usize,
    specs: Vec<String>,
    version: Option<String>,
    resolved: Option<String>,
    dependencies: Vec<(String, String, Scope)>,
}

/// Reads a yarn v1 lockfile.
pub fn parse_yarn_lock(file: &str, text: &str) -> Result<YarnLock, ParseError> {
    let mut lock = YarnLock {
        file: file.to_string(),
        entries: Vec::new(),
        by_spec: HashMap::new(),
    };
    let mut block: Option<Block> = None;
    let mut section: Option<Scope> = None;
    let mut offset = 0;
    // A yarn 2+ lockfile (it starts with `__metadata:`), and lines of a block being skipped.
    let mut berry = false;
    let mut skipping = false;
    for (line_index, raw_line) in text.split('\n').enumerate() {
        let line_offset = offset;
        offset += raw_line.len() + 1;
        let line_no = u32::try_from(line_index + 1).unwrap_or(u32::MAX);
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        let error = |at: usize, message: String| {
            ParseError::at_offset(file, text, line_offset + at, message)
        };
        if content.starts_with('\t') {
            return Err(error(
                indent,
                "expected spaces for indentation, found a tab".into(),
            ));
        }
        if indent == 0 && content.starts_with("__metadata:") && lock.entries.is_empty() {
            berry = true;
            skipping = true;
            continue;
        }
        if skipping && indent > 0 {
            continue;
        }
        skipping = false;
        match indent {
            0 => {
                if let Some(done) = block.take() {
                    finish_block(&mut lock, text, done)?;
                }
                section = None;
                let Some(header) = content.strip_suffix(':') else {
                    return Err(error(
                        content.len(),
                        "expected `:` at the end of a package header line".into(),
                    ));
                };
                let mut specs =
                    parse_specifiers(header).map_err(|(at, message)| error(at, message))?;
                if berry {
                    specs = berry_specifiers(&specs);
                    // The workspace's own packages are not components.
                    if specs
                        .iter()
                        .any(|s| split_name_at(s).1.starts_with("workspace:"))
                    {
                        skipping = true;
                        continue;
                    }
                }
                block = Some(Block {
                    line: line_no,
                    offset: line_offset,
                    specs,
                    version: None,
                    resolved: None,
                    dependencies: Vec::new(),
                });
            }
            2 => {
                let Some(current) = block.as_mut() else {
                    return Err(error(
                        2,
                        "expected a package header line before this field".into(),
                    ));
                };
                section = None;
                let (key, value) = if berry {
                    berry_field(content)
                } else {
                    split_field(content)
                }
                .map_err(|(at, m)| error(indent + at, m))?;
                match (key.as_str(), value) {
                    ("dependencies", None) => section = Some(Scope::Prod),
                    ("optionalDependencies", None) => section = Some(Scope::Optional),
                    (_, None) => section = Some(Scope::Build), // a list nanoup does not read
                    ("version", Some(v)) => current.version = Some(v),
                    ("resolved", Some(v)) => current.resolved = Some(v),
                    _ => {}
                }
            }
            4 => {
                let (Some(current), Some(scope)) = (block.as_mut(), section) else {
                    return Err(error(
                        4,
                        "expected a `dependencies:` line before this entry".into(),
                    ));
                };
                let (name, range) = if berry {
                    berry_field(content)
                } else {
                    split_field(content)
                }
                .map_err(|(at, m)| error(indent + at, m))?;
                if scope != Scope::Build {
                    current
                        .dependencies
                        .push((name, range.unwrap_or_default(), scope));
                }
            }
            // Berry nests maps nanoup does not read (`dependenciesMeta: fsevents: optional`).
            6.. if berry => {}
            _ => {
                return Err(error(
                    indent,
                    format!("expected an indentation of 0, 2 or 4 spaces, found {indent}"),
                ));
            }
        }
    }
    if let Some(done) = block.take() {
        finish_block(&mut lock, text, done)?;
    }
    Ok(lock)
}

fn finish_block(lock: &mut YarnLock, text: &str, block: Block) -> Result<(), ParseError> {
    let Some(version) = block.version else {
        return Err(ParseError::at_offset(
            &lock.file,
            text,
            block.offset,
            "expected a `version` field in this package's block",
        ));
    };
    let first = block.specs.first().map(String::as_str).unwrap_or("");
    let (declared_name, range) = split_name_at(first);
    // `alias@npm:real@range`: the component is the real package.
    let name = split_alias(range)
        .map_or(declared_name, |(real, _)| real)
        .to_string();
    let mut source = source_of_spec(range);
    if source == Source::Url && block.resolved.as_deref().is_some_and(super::is_git_url) {
        source = Source::Git;
    }
    let resolved = block.resolved.filter(|_| source != Source::Registry);
    let index = lock.entries.len();
    for spec in block.specs {
        lock.by_spec.entry(spec).or_insert(index);
    }
    lock.entries.push(YarnEntry {
        name,
        version,
        line: block.line,
        source,
        resolved,
        dependencies: block.dependencies,
    });
    Ok(())
}

/// The comma-separated, optionally double-quoted specifiers of a header (without its `:`).
/// Errors carry the byte position within `header`.
pub(super) fn parse_specifiers(header: &str) -> Result<Vec<String>, (usize, String)> {
    let mut specs = Vec::new();
    let mut rest = header;
    loop {
        let trimmed = rest.trim_start();
        let at = header.len() - trimmed.len();
        if trimmed.is_empty() {
            return Err((at, "expected a package specifier like `name@range`".into()));
        }
        let (spec, after) = if trimmed.starts_with('"') {
            let (spec, len) = unquote(trimmed).map_err(|m| (at, m))?;
            (spec, trimmed.get(len..).unwrap_or(""))
        } else {
            let end = trimmed.find(',').unwrap_or(trimmed.len());
            let spec = trimmed.get(..end).unwrap_or("").trim_end();
            (spec.to_string(), trimmed.get(end..).unwrap_or(""))
        };
        if spec.is_empty() {
            return Err((at, "expected a package specifier like `name@range`".into()));
        }
        specs.push(spec);
        let after = after.trim_start();
        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None if after.is_empty() => return Ok(specs),
            None => {
                return Err((
                    header.len() - after.len(),
                    "expected `,` between package specifiers".into(),
                ));
            }
        }
    }
}

/// Splits a field line into its key and, unless it opens a nested list (`key:`), its value.
/// Keys and values may be double-quoted.
pub(super) fn split_field(content: &str) -> Result<(String, Option<String>), (usize, String)> {
    let (key, key_len) = if content.starts_with('"') {
        unquote(content).map_err(|m| (0, m))?
    } else {
        let end = content.find([' ', ':']).unwrap_or(content.len());
        (content.get(..end).unwrap_or("").to_string(), end)
    };
    let rest = content.get(key_len..).unwrap_or("");
    if rest == ":" {
        return Ok((key, None));
    }
    let value = rest.trim_start();
    if value.is_empty() || rest.len() == value.len() {
        return Err((key_len, format!("expected a value after `{key}`")));
    }
    let at = content.len() - value.len();
    let value = if value.starts_with('"') {
        let (value, len) = unquote(value).map_err(|m| (at, m))?;
        if !content.get(at + len..).unwrap_or("").trim().is_empty() {
            return Err((
                at + len,
                "expected the end of the line after a quoted value".into(),
            ));
        }
        value
    } else {
        value.trim_end().to_string()
    };
    Ok((key, Some(value)))
}

/// A berry header's specifiers as yarn 1 and the dependency lists write them: a header is one
/// quoted string of comma-separated specifiers, and the `npm:` protocol of a registry range is
/// dropped (`ms@npm:^2.0.0` is `ms@^2.0.0`; an alias `a@npm:b@^1` keeps it).
pub(super) fn berry_specifiers(specs: &[String]) -> Vec<String> {
    specs
        .iter()
        .flat_map(|s| s.split(", "))
        .map(|spec| {
            let (name, range) = split_name_at(spec.trim());
            match range.strip_prefix("npm:") {
                Some(plain) if !plain.contains('@') => {
                    format!("{name}@{plain}")
                }
                _ => spec.trim().to_string(),
            }
        })
        .collect()
}

/// Splits a berry field line (`key: value`, `"key": value`, `key:` opening a nested map) into its
/// key and value; values may be quoted. Errors carry the byte position within `content`.
pub(super) fn berry_field(content: &str) -> Result<(String, Option<String>), (usize, String)> {
    let (key, key_len) = if content.starts_with('"') {
        unquote(content).map_err(|m| (0, m))?
    } else {
        let end = content.find(':').unwrap_or(content.len());
        (content.get(..end).unwrap_or("").to_string(), end)
    };
    let Some(rest) = content.get(key_len..).and_then(|r| r.strip_prefix(':')) else {
        return Err((key_len, format!("expected `:` after `{key}`")));
    };
    let value = rest.trim();
    if value.is_empty() {
        return Ok((key, None));
    }
    let at = content.len() - rest.trim_start().len();
    let value = if value.starts_with('"') {
        unquote(value).map_err(|m| (at, m))?.0
    } else {
        value.to_string()
    };
    Ok((key, Some(value)))
}

/// Reads a double-quoted string at the start of `s`: its value and the byte length it spans.
fn unquote(s: &str) -> Result<(String, usize), String> {
    let mut escaped = false;
    let mut has_escape = false;
    for (i, c) in s.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
            has_escape = true;
        } else if c == '"' {
            let quoted = s.get(..=i).unwrap_or("");
            let value = if has_escape {
                serde_json::from_str::<String>(quoted)
                    .map_err(|e| format!("invalid escape in quoted string: {e}"))?
            } else {
                let inner = quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"'));
                inner.unwrap_or("").to_string()
            };
            return Ok((value, i + 1));
        }
    }
    Err("expected a closing `\"`".into())
}

impl YarnLock {
    /// How many package blocks the lockfile has.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// The components of the lockfile. A declaration of `members` marks the block whose
    /// header lists its exact `name@range` as direct (or, failing that, the only block of
    /// that name); scope follows the graph from those declarations.
    pub fn components(&self, members: &[Member]) -> Vec<Component> {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, entry) in self.entries.iter().enumerate() {
            by_name.entry(entry.name.as_str()).or_default().push(i);
        }
        let mut roots = Vec::new();
        let mut requirement_of: HashMap<usize, &str> = HashMap::new();
        for member in members {
            for dep in &member.manifest.dependencies {
                let spec = format!("{}@{}", dep.name, dep.requirement);
                let found = self.by_spec.get(&spec).copied().or_else(|| {
                    let name =
                        split_alias(&dep.requirement).map_or(dep.name.as_str(), |(real, _)| real);
                    match by_name.get(name).map(Vec::as_slice) {
                        Some(&[only]) => Some(only),
                        _ => None,
                    }
                });
                if let Some(i) = found {
                    roots.push((i, dep.scope));
                    requirement_of.entry(i).or_insert(dep.requirement.as_str());
                }
            }
        }
        let edges: Vec<Vec<(usize, Scope)>> = self
            .entries
            .iter()
            .map(|entry| {
                entry
                    .dependencies
                    .iter()
                    .filter_map(|(name, range, scope)| {
                        self.by_spec
                            .get(&format!("{name}@{range}"))
                            .map(|&i| (i, *scope))
                    })
                    .collect()
            })
            .collect();
        let scopes = propagate_scopes(&edges, &roots);
        self.entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let mut c = Component::new(
                    Ecosystem::Npm,
                    &entry.name,
                    &entry.version,
                    &self.file,
                    entry.line,
                );
                c.direct = requirement_of.contains_key(&i);
                c.requirement = requirement_of.get(&i).map(|r| r.to_string());
                c.scope = scopes.get(i).copied().flatten().unwrap_or(Scope::Prod);
                c.source = entry.source;
                if let Some(resolved) = &entry.resolved {
                    c.extra.insert("resolved".into(), resolved.clone());
                }
                c
            })
            .collect()
    }
}
