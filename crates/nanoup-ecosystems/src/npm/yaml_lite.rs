//! A reader for the block-YAML subset that pnpm writes, keeping the line of every key.
//!
//! pnpm lockfiles are generated: block mappings indented by spaces, block and flow sequences,
//! one-line flow mappings (`resolution: {integrity: ...}`), plain and quoted scalars. A general
//! YAML parser (serde-saphyr) reads the 250 kB vue lockfile in ~9 ms, ~35 ms per MB; this reader
//! builds the same tree in well under that, with each key's line for free. Anything outside the
//! subset that pnpm never writes (anchors, complex keys, tags) is read as plain text or reported
//! as an error with its line; multi-line scalars are folded into one value.

use std::borrow::Cow;

use nanoup_core::ParseError;

/// How deeply mappings may nest before the input is refused (pnpm needs 4).
const MAX_DEPTH: usize = 64;

/// One `key: value` of a mapping.
#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub key: Cow<'a, str>,
    pub line: u32,
    pub value: Value<'a>,
}

/// A value of the subset.
#[derive(Debug, Clone)]
pub(crate) enum Value<'a> {
    /// Nothing after the key.
    Null,
    /// A scalar, unquoted.
    Scalar(Cow<'a, str>),
    /// A block or flow mapping.
    Map(Vec<Node<'a>>),
    /// A block or flow sequence (its items are not needed and not kept).
    List,
}

impl<'a> Value<'a> {
    /// The scalar's text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The mapping's entries (empty for anything else).
    pub fn entries(&self) -> &[Node<'a>] {
        match self {
            Value::Map(nodes) => nodes,
            _ => &[],
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.entries()
            .iter()
            .find(|n| n.key == key)
            .map(|n| &n.value)
    }

    /// Whether this is the scalar `true`.
    pub fn is_true(&self) -> bool {
        self.as_str() == Some("true")
    }
}

struct Line<'a> {
    no: u32,
    offset: usize,
    indent: usize,
    content: &'a str,
}

/// Reads `text` as a YAML document of the subset; of several `---` documents, the last one
/// (pnpm 10 puts its config-dependency document first and the lockfile proper last).
pub(crate) fn parse<'a>(file: &str, text: &'a str) -> Result<Value<'a>, ParseError> {
    let mut lines: Vec<Line<'a>> = Vec::new();
    let mut offset = 0;
    for (index, raw) in text.split('\n').enumerate() {
        let line_offset = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let content = line.trim_start_matches(' ');
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        let no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if content.starts_with('\t') {
            return Err(ParseError::at_offset(
                file,
                text,
                line_offset + indent,
                "expected spaces for indentation, found a tab",
            ));
        }
        if indent == 0 && (content.trim_end() == "---" || content.starts_with("--- ")) {
            lines.clear();
            continue;
        }
        if indent == 0 && content.trim_end() == "..." {
            continue;
        }
        lines.push(Line {
            no,
            offset: line_offset,
            indent,
            content: content.trim_end(),
        });
    }
    let mut reader = Reader {
        file,
        text,
        lines,
        pos: 0,
    };
    let first_indent = reader.lines.first().map_or(0, |l| l.indent);
    let root = reader.mapping(first_indent, 0)?;
    if let Some(line) = reader.lines.get(reader.pos) {
        return Err(reader.error(
            line,
            0,
            "expected a top-level `key: value` entry at this indentation",
        ));
    }
    Ok(Value::Map(root))
}

struct Reader<'f, 'a> {
    file: &'f str,
    text: &'a str,
    lines: Vec<Line<'a>>,
    pos: usize,
}

impl<'a> Reader<'_, 'a> {
    fn error(&self, line: &Line, at: usize, message: &str) -> ParseError {
        ParseError::at_offset(
            self.file,
            self.text,
            line.offset + line.indent + at,
            message,
        )
    }

    /// Reads the mapping whose keys sit at `indent`.
    fn mapping(&mut self, indent: usize, depth: usize) -> Result<Vec<Node<'a>>, ParseError> {
        if depth > MAX_DEPTH {
            let line = self.lines.get(self.pos).or(self.lines.last());
            return Err(match line {
                Some(line) => self.error(line, 0, "expected at most 64 levels of nesting"),
                None => ParseError::new(self.file, 1, 1, "expected at most 64 levels of nesting"),
            });
        }
        let mut nodes = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return Err(self.error(
                    line,
                    0,
                    "expected this line to line up with the keys above it",
                ));
            }
            let content = line.content;
            let no = line.no;
            if content == "-" || content.starts_with("- ") {
                return Err(self.error(
                    line,
                    0,
                    "expected a `key: value` entry, found a list item",
                ));
            }
            let (key, rest) = split_key(content).map_err(|(at, m)| self.error(line, at, &m))?;
            self.pos += 1;
            let value = self.value_after_key(indent, rest.trim(), depth)?;
            nodes.push(Node {
                key,
                line: no,
                value,
            });
        }
        Ok(nodes)
    }

    /// Reads what follows `key:` on its line (`rest`) and on the deeper lines below it.
    fn value_after_key(
        &mut self,
        indent: usize,
        rest: &'a str,
        depth: usize,
    ) -> Result<Value<'a>, ParseError> {
        let rest = strip_comment(rest);
        if rest.is_empty() {
            let Some(next) = self.lines.get(self.pos) else {
                return Ok(Value::Null);
            };
            let is_item = next.content == "-" || next.content.starts_with("- ");
            if is_item && next.indent >= indent {
                // A block sequence, indented or at the key's own indentation.
                let item_indent = next.indent;
                while self.lines.get(self.pos).is_some_and(|l| {
                    l.indent > item_indent
                        || (l.indent == item_indent
                            && (l.content == "-" || l.content.starts_with("- ")))
                }) {
                    self.pos += 1;
                }
                return Ok(Value::List);
            }
            if next.indent > indent {
                let child_indent = next.indent;
                return Ok(Value::Map(self.mapping(child_indent, depth + 1)?));
            }
            return Ok(Value::Null);
        }
        // Continuation lines (deeper than the key) belong to this value.
        let mut full: Cow<'a, str> = Cow::Borrowed(rest);
        while let Some(next) = self.lines.get(self.pos).filter(|l| l.indent > indent) {
            let continued = full.to_mut();
            continued.push(' ');
            continued.push_str(next.content);
            self.pos += 1;
        }
        let line_index = self.pos.saturating_sub(1);
        let fail = |reader: &Self, message: &str| match reader.lines.get(line_index) {
            Some(line) => reader.error(line, 0, message),
            None => ParseError::new(reader.file, 1, 1, message),
        };
        match full.as_bytes().first() {
            Some(b'{') => parse_flow_map(&full).map_err(|m| fail(self, &m)),
            Some(b'[') => Ok(Value::List),
            Some(b'|') | Some(b'>') => Ok(Value::Scalar(Cow::Borrowed(""))),
            Some(b'&') | Some(b'*') | Some(b'!') => Err(fail(
                self,
                "expected a plain value; anchors, aliases and tags are not used by pnpm",
            )),
            Some(b'"') | Some(b'\'') => {
                let (value, len) = unquote(&full).map_err(|m| fail(self, &m))?;
                if !strip_comment(full.get(len..).unwrap_or("").trim()).is_empty() {
                    return Err(fail(
                        self,
                        "expected the end of the line after a quoted value",
                    ));
                }
                Ok(Value::Scalar(Cow::Owned(value)))
            }
            _ => Ok(Value::Scalar(full)),
        }
    }
}

/// Splits `key: rest` (or `key:` at the end of the line); the key may be quoted.
fn split_key(content: &str) -> Result<(Cow<'_, str>, &str), (usize, String)> {
    if content.starts_with("? ") || content == "?" {
        return Err((
            0,
            "expected a simple key; complex `?` keys are not used by pnpm".into(),
        ));
    }
    if content.starts_with('"') || content.starts_with('\'') {
        let (key, len) = unquote(content).map_err(|m| (0, m))?;
        let after = content.get(len..).unwrap_or("");
        return match after.strip_prefix(':') {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => Ok((Cow::Owned(key), rest)),
            _ => Err((len, "expected `:` after the quoted key".into())),
        };
    }
    if let Some(at) = content.find(": ") {
        let key = content.get(..at).unwrap_or("");
        return Ok((
            Cow::Borrowed(key.trim_end()),
            content.get(at + 1..).unwrap_or(""),
        ));
    }
    match content.strip_suffix(':') {
        Some(key) if !key.is_empty() => Ok((Cow::Borrowed(key), "")),
        _ => Err((0, "expected a `key: value` entry".into())),
    }
}

/// The text before a ` #` comment.
fn strip_comment(s: &str) -> &str {
    if s.starts_with('"') || s.starts_with('\'') {
        return s; // the quoted value decides where it ends
    }
    match s.find(" #") {
        Some(at) => s.get(..at).unwrap_or(s).trim_end(),
        None => s,
    }
}

/// Reads a single- or double-quoted scalar at the start of `s`: its value and the byte length
/// it spans.
pub(crate) fn unquote(s: &str) -> Result<(String, usize), String> {
    let mut chars = s.char_indices();
    let Some((_, quote)) = chars.next() else {
        return Err("expected a quoted string".into());
    };
    let mut value = String::new();
    let mut chars = chars.peekable();
    while let Some((i, c)) = chars.next() {
        if quote == '\'' && c == '\'' {
            if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                chars.next();
                value.push('\'');
                continue;
            }
            return Ok((value, i + 1));
        }
        if quote == '"' && c == '"' {
            return Ok((value, i + 1));
        }
        if quote == '"' && c == '\\' {
            match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, other)) => value.push(other),
                None => break,
            }
            continue;
        }
        value.push(c);
    }
    Err(format!("expected a closing `{quote}`"))
}

/// Reads a flow mapping `{a: b, c: 'd'}` of scalars (nested flow values are kept as text).
fn parse_flow_map(s: &str) -> Result<Value<'static>, String> {
    let inner = s
        .strip_prefix('{')
        .and_then(|s| strip_comment(s.trim_end()).strip_suffix('}'))
        .ok_or_else(|| {
            "expected a flow mapping `{key: value, ...}` closed on its line".to_string()
        })?;
    let mut nodes = Vec::new();
    for item in split_top_level(inner) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (key, value) = match split_key(item) {
            Ok((key, rest)) => (key.into_owned(), rest.trim()),
            Err(_) => (item.to_string(), ""),
        };
        let value = if value.starts_with('"') || value.starts_with('\'') {
            unquote(value)?.0
        } else {
            value.to_string()
        };
        nodes.push(Node {
            key: Cow::Owned(key),
            line: 0,
            value: Value::Scalar(Cow::Owned(value)),
        });
    }
    Ok(Value::Map(nodes))
}

/// Splits at the commas that are outside quotes and nested brackets.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(s.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s.get(start..).unwrap_or(""));
    parts
}
