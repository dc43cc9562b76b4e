//! In-place edits of a `go.mod`: move one `require`d module to another version, byte for byte
//! everything else, and the check that proves it.
//!
//! Without the `go` command nanoup cannot run `go get MOD@V`; it rewrites the version of the
//! module's `require` line instead (single-line `require m v` or a line of a `require ( ... )`
//! block). Only the version token changes: indentation, quoting, the `// indirect` comment and
//! every other line are kept. go.sum is not touched: the hashes of the new version's module
//! zip are in no registry answer nanoup reads, so `go mod tidy` has to add them (and may raise
//! other requirements the new version needs). [`changed_entries`] compares two go.mod texts
//! through the parser and is the blast-radius check run after every edit, by the in-place edit
//! and by `go get` alike.

use std::collections::BTreeMap;

use nanoup_core::{EntryChange, ParseError};

use super::{GoMod, IGNORED_DIRECTIVES, is_version_like, lex_line, parse_go_mod};

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;

/// The result of [`edit_require`]: the new go.mod text and the line it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequireEdit {
    /// The whole new go.mod text.
    pub new_text: String,
    /// The 1-based line of the `require` that was edited.
    pub line: u32,
}

/// Sets the version of the `require` of `module` at `from` to `to` in the go.mod `text` (read
/// from `file`, which names the errors), changing nothing but that version token.
///
/// Refused, with the place and what to do, when the file does not parse, the module is not
/// required at `from` (or is required more than once), a `replace` directive decides the
/// module's version (the `require` line would change nothing that is built), `to` is
/// `exclude`d, or `to` is not a plain module version. The result is checked with
/// [`changed_entries`] before it is returned.
pub fn edit_require(
    file: &str,
    text: &str,
    module: &str,
    from: &str,
    to: &str,
) -> Result<RequireEdit, ParseError> {
    let whole = |message: String| ParseError::new(file, 1, 1, message);
    if !is_version_like(to)
        || !to
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
    {
        return Err(whole(format!(
            "`{to}` is not a module version nanoup can write for {module}; expected \
             v<major>.<minor>.<patch>; re-plan"
        )));
    }
    let go_mod = parse_go_mod(file, text)?;
    let requires: Vec<_> = go_mod
        .requires
        .iter()
        .filter(|r| r.path == module)
        .collect();
    let require = match requires.as_slice() {
        [] => {
            return Err(whole(format!(
                "{module} is not required; re-plan against the current go.mod"
            )));
        }
        [only] => *only,
        [first, second, ..] => {
            return Err(ParseError::new(
                file,
                second.line,
                1,
                format!(
                    "{module} is required more than once (also at line {}); run `go mod tidy` \
                     first, then plan again",
                    first.line
                ),
            ));
        }
    };
    let at_line = |message: String| ParseError::new(file, require.line, 1, message);
    // A replacement decides the version that is built (the plan names the replacement's
    // version then): the `require` line is not the place to change.
    for version in [require.version.as_str(), to] {
        if let Some(replace) = go_mod.replacement_for(module, version) {
            let target = match &replace.new_version {
                Some(v) => format!("{} {v}", replace.new_path),
                None => replace.new_path.clone(),
            };
            return Err(ParseError::new(
                file,
                replace.line,
                1,
                format!(
                    "{module} {version} is replaced by {target}: the `require` line does not \
                     decide the version that is built; edit the `replace` directive (or drop \
                     it), then plan again"
                ),
            ));
        }
    }
    if require.version != from {
        return Err(at_line(format!(
            "{module} is required at {}, not {from}; re-plan against the current go.mod",
            require.version
        )));
    }
    if go_mod
        .excludes
        .iter()
        .any(|(path, version)| path == module && version == to)
    {
        return Err(at_line(format!(
            "{module} {to} is excluded by an `exclude` directive; choose another version or \
             drop the exclusion"
        )));
    }

    let (start, end) = line_span(text, require.line).ok_or_else(|| {
        at_line("the line of the requirement cannot be found again; re-plan".into())
    })?;
    let line = text.get(start..end).unwrap_or("");
    let (version_start, version_end, quote) = version_span(line).ok_or_else(|| {
        at_line(format!(
            "cannot find the version of {module} on this line; edit it by hand"
        ))
    })?;
    let mut new_text = String::with_capacity(text.len() + to.len());
    new_text.push_str(text.get(..start + version_start).unwrap_or(""));
    match quote {
        Some(q) => {
            new_text.push(q);
            new_text.push_str(to);
            new_text.push(q);
        }
        None => new_text.push_str(to),
    }
    new_text.push_str(text.get(start + version_end..).unwrap_or(""));

    let expected = vec![EntryChange {
        name: module.to_string(),
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        path: None,
    }];
    let changed = changed_entries(file, text, &new_text)?;
    if changed != expected {
        return Err(at_line(format!(
            "the edit of {module} would change {changed:?}, not only {module} {from} -> {to}; \
             edit go.mod by hand or with `go get {module}@{to}`"
        )));
    }
    Ok(RequireEdit {
        new_text,
        line: require.line,
    })
}

/// The byte range of the 1-based `line` of `text`, without its `\n` or `\r\n` (as
/// `str::lines` numbers them, which is how the parser counts).
fn line_span(text: &str, line: u32) -> Option<(usize, usize)> {
    let mut start = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        if u32::try_from(index + 1).ok()? == line {
            let content = raw.strip_suffix('\n').unwrap_or(raw);
            let content = content.strip_suffix('\r').unwrap_or(content);
            return Some((start, start + content.len()));
        }
        start += raw.len();
    }
    None
}

/// Where the version token of a `require` line is (`require m v`, `m v`, either maybe
/// followed by a comment): its byte range in `line`, quotes included, and the quote character
/// when it is quoted.
fn version_span(line: &str) -> Option<(usize, usize, Option<char>)> {
    let (tokens, _) = lex_line(line).ok()?;
    let token = tokens.iter().rev().find(|t| !t.punctuation)?;
    let rest = line.get(token.offset..)?;
    match rest.chars().next()? {
        q @ ('"' | '`') => {
            // The closing quote (a version holds no escapes, but skip them as the lexer does).
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    return Some((token.offset, token.offset + i + c.len_utf8(), Some(q)));
                }
            }
            None
        }
        _ => Some((token.offset, token.offset + token.text.len(), None)),
    }
}

/// Compares two go.mod texts (both read as `file`) through the parser and returns one
/// [`EntryChange`] per thing that differs, sorted:
///
/// - a required module whose version changed (`name`: the module path), was added (`from:
///   None`) or removed (`to: None`), or whose `// indirect` mark changed (the same version as
///   `from` and `to`);
/// - any other directive that changed, as a pseudo-entry named after it: ``go.mod `module` ``,
///   ``go.mod `go` ``, ``go.mod `replace` PATH``, ``go.mod `exclude` PATH``, and
///   ``go.mod `toolchain` `` (likewise `godebug`, `tool`, `retract`, `ignore`), with the old
///   and new values as `from` and `to`.
///
/// Comments and layout are not entries. This is the blast-radius check run after every edit.
pub fn changed_entries(
    file: &str,
    old_text: &str,
    new_text: &str,
) -> Result<Vec<EntryChange>, ParseError> {
    let old = parse_go_mod(file, old_text)?;
    let new = parse_go_mod(file, new_text)?;
    let mut changes = Vec::new();

    // Requirements, per module path.
    type Versions = Vec<(String, bool)>;
    let by_path = |go_mod: &GoMod| {
        let mut map: BTreeMap<String, Versions> = BTreeMap::new();
        for r in &go_mod.requires {
            map.entry(r.path.clone())
                .or_default()
                .push((r.version.clone(), r.indirect));
        }
        map
    };
    let (old_requires, new_requires) = (by_path(&old), by_path(&new));
    let paths: std::collections::BTreeSet<&String> =
        old_requires.keys().chain(new_requires.keys()).collect();
    for path in paths {
        let empty = Vec::new();
        let before = old_requires.get(path).unwrap_or(&empty);
        let after = new_requires.get(path).unwrap_or(&empty);
        if before == after {
            continue;
        }
        let pairs = |list: &Versions| -> Vec<(String, String)> {
            list.iter()
                .map(|(v, _)| (path.clone(), v.clone()))
                .collect()
        };
        let versions = EntryChange::diff(&pairs(before), &pairs(after));
        if versions.is_empty() {
            // Same versions, another `// indirect` mark.
            for ((version, was), (_, is)) in before.iter().zip(after) {
                if was != is {
                    changes.push(EntryChange {
                        name: path.clone(),
                        from: Some(version.clone()),
                        to: Some(version.clone()),
                        path: None,
                    });
                }
            }
        } else {
            changes.extend(versions);
        }
    }

    // Every other directive, as `(entry name, value)` pairs.
    let directives = |go_mod: &GoMod, text: &str| -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(module) = &go_mod.module {
            out.push(("go.mod `module`".to_string(), module.clone()));
        }
        if let Some(go) = &go_mod.go_version {
            out.push(("go.mod `go`".to_string(), go.clone()));
        }
        for r in &go_mod.replaces {
            let old = match &r.old_version {
                Some(v) => format!("{} {v}", r.old_path),
                None => r.old_path.clone(),
            };
            let new = match &r.new_version {
                Some(v) => format!("{} {v}", r.new_path),
                None => r.new_path.clone(),
            };
            out.push((
                format!("go.mod `replace` {}", r.old_path),
                format!("{old} => {new}"),
            ));
        }
        for (path, version) in &go_mod.excludes {
            out.push((format!("go.mod `exclude` {path}"), version.clone()));
        }
        out.extend(other_directives(text));
        out
    };
    changes.extend(EntryChange::diff(
        &directives(&old, old_text),
        &directives(&new, new_text),
    ));
    changes.sort();
    Ok(changes)
}

/// The directives the parser accepts but does not keep (`toolchain`, `godebug`, `tool`,
/// `retract`, `ignore`), as (``go.mod `VERB` ``, the entry's tokens) pairs, block lines
/// included. The text has already been parsed, so it is well formed.
fn other_directives(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        let Ok((tokens, _)) = lex_line(line) else {
            continue;
        };
        let Some(first) = tokens.first() else {
            continue;
        };
        let words = |from: usize| -> String {
            tokens
                .get(from..)
                .unwrap_or(&[])
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        if let Some(verb) = &block {
            if first.punctuation && first.text == ")" {
                block = None;
            } else if IGNORED_DIRECTIVES.contains(&verb.as_str()) {
                out.push((format!("go.mod `{verb}`"), words(0)));
            }
            continue;
        }
        let opens = tokens
            .get(1)
            .is_some_and(|t| t.punctuation && t.text == "(");
        if opens && tokens.len() == 2 {
            block = Some(first.text.clone());
        } else if IGNORED_DIRECTIVES.contains(&first.text.as_str()) {
            out.push((format!("go.mod `{}`", first.text), words(1)));
        }
    }
    out
}
