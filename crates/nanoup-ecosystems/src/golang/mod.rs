//! The Go ecosystem: modules required by a `go.mod`, checked against its `go.sum`.
//!
//! Every `go.mod` is a stack. Its components are the `require`d modules, direct unless marked
//! `// indirect`: since Go 1.17 a module's go.mod lists every module of its build list, so the
//! requirements are the inventory. `replace` directives are applied (a module replaced by
//! another module takes the replacement's version; one replaced by a local directory becomes a
//! path source) and `exclude`d versions are dropped. `go.sum` is parsed and validated (errors
//! name the line), and its `h1:` hash of each component's module zip is kept in
//! `extra["checksum"]`; modules that appear only in `go.sum` are not components, because
//! go.sum also holds hashes of go.mod files of modules pruned from the build (cli/cli lists
//! 629 module versions in go.sum for 32 requirements).

use nanoup_core::{Component, Ecosystem, ParseError, Source, Stack};

use crate::{NamedParser, Scanned, Tree, dir_of, join};
pub mod edit;
pub mod registry;

/// The pure parsers of this ecosystem's file formats, for fuzzing and benchmarks.
pub const PARSERS: &[NamedParser] = &[
    NamedParser {
        name: "go_mod",
        file_name: "go.mod",
        parse: parse_go_mod_count,
    },
    NamedParser {
        name: "go_sum",
        file_name: "go.sum",
        parse: parse_go_sum_count,
    },
];

/// Finds every `go.mod` in `tree` and reads it (with the `go.sum` beside it) as a stack.
pub fn scan(tree: &Tree) -> Scanned {
    let mut scanned = Scanned::default();
    for go_mod_file in tree.named("go.mod") {
        let dir = dir_of(go_mod_file);
        let go_mod = match tree
            .read(go_mod_file)
            .and_then(|text| parse_go_mod(go_mod_file, &text))
        {
            Ok(go_mod) => go_mod,
            Err(error) => {
                scanned.errors.push(error);
                continue;
            }
        };
        let mut files = vec!["go.mod".to_string()];
        let go_sum_file = join(dir, "go.sum");
        let mut go_sum = GoSum::default();
        if tree.contains(&go_sum_file) {
            match tree
                .read(&go_sum_file)
                .and_then(|text| parse_go_sum(&go_sum_file, &text))
            {
                Ok(parsed) => {
                    go_sum = parsed;
                    files.push("go.sum".to_string());
                }
                Err(error) => scanned.errors.push(error),
            }
        }
        let components = go_mod.components(go_mod_file, &go_sum);
        scanned
            .stacks
            .push(Stack::new(dir, Ecosystem::Go, files, components));
    }
    scanned
}

/// A `require` line: one module at a minimum version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The module path.
    pub path: String,
    /// The version as written (`v1.2.3`, a pseudo-version, `+incompatible`...).
    pub version: String,
    /// Marked `// indirect`: needed by a dependency, not imported by this module.
    pub indirect: bool,
    /// 1-based line of the requirement.
    pub line: u32,
}

/// A `replace` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// The replaced module path.
    pub old_path: String,
    /// The replaced version; `None` replaces every version.
    pub old_version: Option<String>,
    /// The replacement: a module path, or a directory when `new_version` is `None`.
    pub new_path: String,
    /// The replacement module's version; `None` for a local directory.
    pub new_version: Option<String>,
    /// 1-based line of the directive.
    pub line: u32,
}

/// The parts of a `go.mod` that decide the build list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoMod {
    /// The `module` path.
    pub module: Option<String>,
    /// The `go` version.
    pub go_version: Option<String>,
    /// The `require`d modules, in file order.
    pub requires: Vec<Requirement>,
    /// The `replace` directives.
    pub replaces: Vec<Replacement>,
    /// The `exclude`d (path, version) pairs.
    pub excludes: Vec<(String, String)>,
}

impl GoMod {
    /// The replacement that applies to `path` at `version`: one naming the version wins over
    /// one for every version, as in cmd/go.
    pub fn replacement_for(&self, path: &str, version: &str) -> Option<&Replacement> {
        let for_path = || {
            self.replaces
                .iter()
                .rev()
                .filter(move |r| r.old_path == path)
        };
        for_path()
            .find(|r| r.old_version.as_deref() == Some(version))
            .or_else(|| for_path().find(|r| r.old_version.is_none()))
    }

    /// The requirements as components declared in `file` (relative to the scan root), with
    /// replacements applied, excluded versions dropped and go.sum checksums attached.
    pub fn components(&self, file: &str, go_sum: &GoSum) -> Vec<Component> {
        let mut components = Vec::new();
        for require in &self.requires {
            if self
                .excludes
                .iter()
                .any(|(path, version)| *path == require.path && *version == require.version)
            {
                continue;
            }
            let replacement = self.replacement_for(&require.path, &require.version);
            let version = replacement
                .and_then(|r| r.new_version.clone())
                .unwrap_or_else(|| require.version.clone());
            let mut component = Component::new(
                Ecosystem::Go,
                require.path.clone(),
                version.clone(),
                file,
                require.line,
            );
            component.direct = !require.indirect;
            component.requirement = Some(require.version.clone());
            let (sum_path, sum_version) = match replacement {
                Some(r) => {
                    match &r.new_version {
                        Some(new_version) => {
                            component.extra.insert(
                                "replace".into(),
                                format!("{} {}", r.new_path, new_version),
                            );
                        }
                        None => {
                            component.extra.insert("replace".into(), r.new_path.clone());
                            component.source = Source::Path;
                        }
                    }
                    (r.new_path.as_str(), r.new_version.as_deref())
                }
                None => (require.path.as_str(), Some(require.version.as_str())),
            };
            if let Some(checksum) = sum_version.and_then(|v| go_sum.module_hash(sum_path, v)) {
                component
                    .extra
                    .insert("checksum".into(), checksum.to_string());
            }
            components.push(component);
        }
        components
    }
}

/// One `go.sum` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumEntry {
    /// The module path.
    pub path: String,
    /// The module version, without the `/go.mod` suffix.
    pub version: String,
    /// Whether the hash is of the module's go.mod file only (`v1.2.3/go.mod`).
    pub go_mod_only: bool,
    /// The hash, `h1:<base64>`.
    pub hash: String,
    /// 1-based line.
    pub line: u32,
}

/// A parsed `go.sum`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoSum {
    /// Every line, in file order.
    pub entries: Vec<SumEntry>,
}

impl GoSum {
    /// The hash of the module zip of `path` at `version`, when go.sum records it.
    pub fn module_hash(&self, path: &str, version: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| !e.go_mod_only && e.path == path && e.version == version)
            .map(|e| e.hash.as_str())
    }
}

fn parse_go_mod_count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse_go_mod(file, text).map(|m| m.requires.len() + m.replaces.len() + m.excludes.len())
}

fn parse_go_sum_count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse_go_sum(file, text).map(|s| s.entries.len())
}

/// Reads a `go.sum`: every non-blank line must be `<module> <version>[/go.mod] <algo>:<hash>`.
pub fn parse_go_sum(file: &str, text: &str) -> Result<GoSum, ParseError> {
    let mut sum = GoSum::default();
    for (number, line) in text.lines().enumerate() {
        let line_number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let error = |column_of: &str, message: String| {
            let column = column_of_field(line, column_of);
            ParseError::new(file, line_number, column, message)
        };
        let [path, version, hash] = fields.as_slice() else {
            return Err(error(
                line.trim_start(),
                format!(
                    "found {} fields; expected `<module> <version>[/go.mod] h1:<hash>`",
                    fields.len()
                ),
            ));
        };
        let (version, go_mod_only) = match version.strip_suffix("/go.mod") {
            Some(v) => (v, true),
            None => (*version, false),
        };
        if !is_version_like(version) {
            return Err(error(
                version,
                format!("`{version}` is not a module version; expected v<major>.<minor>.<patch>"),
            ));
        }
        match hash.split_once(':') {
            Some((algo, payload))
                if !algo.is_empty()
                    && !payload.is_empty()
                    && payload
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) => {}
            _ => {
                return Err(error(
                    hash,
                    format!("`{hash}` is not a hash; expected h1:<base64>"),
                ));
            }
        }
        sum.entries.push(SumEntry {
            path: path.to_string(),
            version: version.to_string(),
            go_mod_only,
            hash: hash.to_string(),
            line: line_number,
        });
    }
    Ok(sum)
}

/// The 1-based character column where `field` (a sub-slice of `line`) starts.
fn column_of_field(line: &str, field: &str) -> u32 {
    let offset = (field.as_ptr() as usize).saturating_sub(line.as_ptr() as usize);
    let prefix = line.get(..offset.min(line.len())).unwrap_or("");
    u32::try_from(prefix.chars().count() + 1).unwrap_or(u32::MAX)
}

/// A Go module version: `v` then a digit (`v1.2.3`, `v0.0.0-2020...-abcdef`, `v2.0.0+incompatible`).
fn is_version_like(version: &str) -> bool {
    let mut chars = version.chars();
    chars.next() == Some('v') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// A token of a go.mod line, with its byte offset in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    offset: usize,
    /// `(` or `)` written as punctuation (not inside quotes).
    punctuation: bool,
}

/// The tokens of a go.mod line and its `//` comment (the text after the slashes).
type LexedLine<'a> = (Vec<Token>, Option<&'a str>);

/// Splits one go.mod line into tokens and its `//` comment; errors are (byte offset, message).
fn lex_line(line: &str) -> Result<LexedLine<'_>, (usize, String)> {
    let mut tokens = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if line.get(start..).is_some_and(|rest| rest.starts_with("//")) {
            return Ok((tokens, line.get(start + 2..)));
        }
        if c == '(' || c == ')' {
            chars.next();
            tokens.push(Token {
                text: c.to_string(),
                offset: start,
                punctuation: true,
            });
            continue;
        }
        if c == '"' || c == '`' {
            chars.next();
            let mut text = String::new();
            let mut closed = false;
            while let Some((_, q)) = chars.next() {
                if q == c {
                    closed = true;
                    break;
                }
                if q == '\\' && c == '"' {
                    match chars.next() {
                        Some((_, escaped)) => text.push(escaped),
                        None => break,
                    }
                    continue;
                }
                text.push(q);
            }
            if !closed {
                return Err((
                    start,
                    format!("unterminated quoted string; expected a closing {c}"),
                ));
            }
            tokens.push(Token {
                text,
                offset: start,
                punctuation: false,
            });
            continue;
        }
        let mut end = start;
        while let Some(&(i, w)) = chars.peek() {
            if w.is_whitespace() || w == '(' || w == ')' || w == '"' || w == '`' {
                break;
            }
            if line.get(i..).is_some_and(|rest| rest.starts_with("//")) {
                break;
            }
            end = i + w.len_utf8();
            chars.next();
        }
        tokens.push(Token {
            text: line.get(start..end).unwrap_or("").to_string(),
            offset: start,
            punctuation: false,
        });
    }
    Ok((tokens, None))
}

/// Whether a `//` comment marks a requirement indirect (`// indirect`, `// indirect; note`).
fn is_indirect_comment(comment: Option<&str>) -> bool {
    comment.is_some_and(|c| {
        let c = c.trim();
        c == "indirect" || c.starts_with("indirect;")
    })
}

/// Whether a replacement target is a directory rather than a module path.
fn is_local_path(path: &str) -> bool {
    path == "."
        || path == ".."
        || path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path.starts_with(".\\")
        || path.starts_with("..\\")
        || path.starts_with('\\')
        || path.as_bytes().get(1) == Some(&b':')
}

/// Directives that are valid but do not change the components.
const IGNORED_DIRECTIVES: &[&str] = &["retract", "toolchain", "godebug", "tool", "ignore"];

/// Reads a `go.mod`: `module`, `go`, `require`, `replace` and `exclude` (single-line and
/// block forms), quoted paths and `//` comments; `retract`, `toolchain`, `godebug`, `tool` and
/// `ignore` are accepted and skipped. Errors name the line and column of the first token that
/// does not fit, like cmd/go does.
pub fn parse_go_mod(file: &str, text: &str) -> Result<GoMod, ParseError> {
    let mut go_mod = GoMod::default();
    let mut block: Option<(String, u32)> = None;
    for (number, line) in text.lines().enumerate() {
        let line_number = u32::try_from(number + 1).unwrap_or(u32::MAX);
        let error = |offset: usize, message: String| {
            let prefix = line.get(..offset.min(line.len())).unwrap_or("");
            let column = u32::try_from(prefix.chars().count() + 1).unwrap_or(u32::MAX);
            ParseError::new(file, line_number, column, message)
        };
        let (tokens, comment) =
            lex_line(line).map_err(|(offset, message)| error(offset, message))?;
        let Some(first) = tokens.first() else {
            continue;
        };
        if let Some((verb, _)) = &block {
            if first.punctuation && first.text == ")" {
                if let Some(extra) = tokens.get(1) {
                    return Err(error(
                        extra.offset,
                        format!("unexpected `{}` after `)`", extra.text),
                    ));
                }
                block = None;
                continue;
            }
            let verb = verb.clone();
            apply_directive(&mut go_mod, &verb, &tokens, comment, line_number)
                .map_err(|(o, m)| error(o, m))?;
            continue;
        }
        if first.punctuation {
            return Err(error(
                first.offset,
                format!("unexpected `{}`; expected a directive", first.text),
            ));
        }
        let verb = first.text.clone();
        let rest = tokens.get(1..).unwrap_or(&[]);
        if rest.first().is_some_and(|t| t.punctuation && t.text == "(") {
            match rest.get(1) {
                None => {
                    check_verb(&verb).map_err(|m| error(first.offset, m))?;
                    block = Some((verb, line_number));
                }
                Some(t) if t.punctuation && t.text == ")" && rest.len() == 2 => {}
                Some(t) => {
                    return Err(error(
                        t.offset,
                        format!("unexpected `{}`; expected a new line after `(`", t.text),
                    ));
                }
            }
            continue;
        }
        if verb == "module" || verb == "go" {
            let [value] = rest else {
                return Err(error(first.offset, format!("expected `{verb} <value>`")));
            };
            if verb == "module" {
                if go_mod.module.is_some() {
                    return Err(error(
                        first.offset,
                        "repeated module statement; expected one".into(),
                    ));
                }
                go_mod.module = Some(value.text.clone());
            } else {
                go_mod.go_version = Some(value.text.clone());
            }
            continue;
        }
        check_verb(&verb).map_err(|m| error(first.offset, m))?;
        apply_directive(&mut go_mod, &verb, rest, comment, line_number)
            .map_err(|(o, m)| error(o, m))?;
    }
    if let Some((verb, line)) = block {
        return Err(ParseError::new(
            file,
            line,
            1,
            format!("`{verb} (` block is never closed; expected `)`"),
        ));
    }
    Ok(go_mod)
}

fn check_verb(verb: &str) -> Result<(), String> {
    if matches!(verb, "require" | "replace" | "exclude") || IGNORED_DIRECTIVES.contains(&verb) {
        Ok(())
    } else {
        Err(format!(
            "unknown directive `{verb}`; expected module, go, require, replace, exclude or retract"
        ))
    }
}

/// Applies one entry of `verb` (the tokens after the verb, or a block line). Errors are
/// (byte offset in the line, message).
fn apply_directive(
    go_mod: &mut GoMod,
    verb: &str,
    args: &[Token],
    comment: Option<&str>,
    line: u32,
) -> Result<(), (usize, String)> {
    let at = |i: usize| args.get(i).or(args.last()).map_or(0, |t| t.offset);
    if let Some(paren) = args.iter().find(|t| t.punctuation) {
        return Err((
            paren.offset,
            format!("unexpected `{}` in {verb}", paren.text),
        ));
    }
    match verb {
        "require" | "exclude" => {
            let [path, version] = args else {
                return Err((at(0), format!("expected `{verb} <module path> <version>`")));
            };
            if !is_version_like(&version.text) {
                return Err((
                    version.offset,
                    format!(
                        "`{}` is not a module version; expected v<major>.<minor>.<patch>",
                        version.text
                    ),
                ));
            }
            if verb == "require" {
                go_mod.requires.push(Requirement {
                    path: path.text.clone(),
                    version: version.text.clone(),
                    indirect: is_indirect_comment(comment),
                    line,
                });
            } else {
                go_mod
                    .excludes
                    .push((path.text.clone(), version.text.clone()));
            }
        }
        "replace" => {
            let arrow = args.iter().position(|t| t.text == "=>");
            let (old, new) = match arrow {
                Some(i) => (args.get(..i).unwrap_or(&[]), args.get(i + 1..).unwrap_or(&[])),
                None => return Err((at(0), "expected `replace <module> [version] => <module> <version>` or `=> <directory>`".into())),
            };
            let (old_path, old_version) = match old {
                [path] => (path, None),
                [path, version] => (path, Some(version)),
                _ => {
                    return Err((
                        at(0),
                        "expected `<module path> [version]` before `=>`".into(),
                    ));
                }
            };
            let (new_path, new_version) = match new {
                [path] => (path, None),
                [path, version] => (path, Some(version)),
                _ => {
                    return Err((
                        at(old.len()),
                        "expected `<module path> <version>` or a directory after `=>`".into(),
                    ));
                }
            };
            for version in [old_version, new_version].into_iter().flatten() {
                if !is_version_like(&version.text) {
                    return Err((
                        version.offset,
                        format!(
                            "`{}` is not a module version; expected v<major>.<minor>.<patch>",
                            version.text
                        ),
                    ));
                }
            }
            if new_version.is_none() && !is_local_path(&new_path.text) {
                return Err((
                    new_path.offset,
                    format!(
                        "replacement `{}` has no version; expected a version, or a directory starting with ./ or ../",
                        new_path.text
                    ),
                ));
            }
            go_mod.replaces.push(Replacement {
                old_path: old_path.text.clone(),
                old_version: old_version.map(|t| t.text.clone()),
                new_path: new_path.text.clone(),
                new_version: new_version.map(|t| t.text.clone()),
                line,
            });
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
