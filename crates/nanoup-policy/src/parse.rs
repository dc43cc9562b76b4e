//! Reading `nanoup.toml` with exact error places.

use std::collections::BTreeSet;

use nanoup_core::{Ecosystem, LineIndex, ParseError, UpdateKind};
use nanoup_versions::Scheme;
use toml_edit::{Document, Item, TableLike, Value};

use crate::{Hold, IgnoreRule, Limits, Policy, StackRule, normalize_path, parse_age};

const TOP_LEVEL_KEYS: &[&str] = &[
    "min-age",
    "allow",
    "test",
    "hold",
    "ignore",
    "stack",
    "max-blast-radius",
    "manifest-changes",
];
const STACK_KEYS: &[&str] = &[
    "path",
    "min-age",
    "allow",
    "test",
    "hold",
    "ignore",
    "max-blast-radius",
    "manifest-changes",
];
const IGNORE_KEYS: &[&str] = &["id", "reason", "until"];
const HOLD_KEYS: &[&str] = &["package", "below", "ecosystem", "until", "reason"];

/// Parses the text of a policy file named `file`.
///
/// Errors name the file, line and column: invalid TOML, unknown keys (at the top level, in a
/// `[[stack]]`, a hold or an ignore rule), wrong types, missing `id`/`package`/`below`/`reason`/
/// `path`, invalid dates, ages, update kinds, globs and ecosystems, and a `below` that is not a
/// version of the hold's `ecosystem`.
pub fn parse(file: &str, text: &str) -> Result<Policy, ParseError> {
    let doc = Document::parse(text.to_string()).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().replace('\n', " ");
        ParseError::at_offset(file, text, offset, format!("invalid TOML: {message}"))
    })?;
    let cx = Cx {
        file,
        lines: LineIndex::new(text),
    };
    let root = doc.as_table();
    cx.check_keys(root, 0, TOP_LEVEL_KEYS, "")?;
    let common = cx.common(root, 0, "")?;
    let mut stacks = Vec::new();
    if let Some(item) = root.get("stack") {
        for (table, start) in cx.tables(item, "stack", "[[stack]] tables")? {
            stacks.push(cx.stack(table, start)?);
        }
    }
    Ok(Policy {
        ignores: common.ignores,
        min_age: common.min_age,
        allow: common.allow,
        test: common.test,
        holds: common.holds,
        limits: common.limits,
        stacks,
    })
}

/// The keys the top level and a `[[stack]]` share.
struct Common {
    allow: Option<BTreeSet<UpdateKind>>,
    min_age: Option<(String, jiff::SignedDuration)>,
    test: Option<String>,
    holds: Vec<Hold>,
    ignores: Vec<IgnoreRule>,
    limits: Limits,
}

/// The file being read, for error places.
struct Cx<'a> {
    file: &'a str,
    lines: LineIndex<'a>,
}

/// The start offset of an item, or `fallback` when it has no span.
fn start_of(item: &Item, fallback: usize) -> usize {
    item.span().map_or(fallback, |s| s.start)
}

/// The start offset of a value, or `fallback` when it has no span.
fn value_start(value: &Value, fallback: usize) -> usize {
    value.span().map_or(fallback, |s| s.start)
}

impl Cx<'_> {
    fn at(&self, offset: usize, message: impl Into<String>) -> ParseError {
        let (line, column) = self.lines.line_column(offset);
        ParseError::new(self.file, line, column, message)
    }

    fn origin(&self, offset: usize) -> String {
        format!("{}:{}", self.file, self.lines.line(offset))
    }

    /// Fails on the first key of `table` not in `allowed`, at the key's place.
    fn check_keys(
        &self,
        table: &dyn TableLike,
        start: usize,
        allowed: &[&str],
        context: &str,
    ) -> Result<(), ParseError> {
        for (name, _) in table.iter() {
            if allowed.contains(&name) {
                continue;
            }
            let offset = table
                .get_key_value(name)
                .and_then(|(key, _)| key.span())
                .map_or(start, |s| s.start);
            return Err(self.at(
                offset,
                format!(
                    "unknown key `{name}`{context}; expected one of: {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// The tables of `[[key]]` or of `key = [{ ... }, ...]`, with their start offsets.
    fn tables<'d>(
        &self,
        item: &'d Item,
        key: &str,
        expected: &str,
    ) -> Result<Vec<(&'d dyn TableLike, usize)>, ParseError> {
        match item {
            Item::ArrayOfTables(array) => Ok(array
                .iter()
                .map(|t| (t as &dyn TableLike, t.span().map_or(0, |s| s.start)))
                .collect()),
            Item::Value(Value::Array(array)) => {
                let mut tables = Vec::new();
                for value in array.iter() {
                    let offset = value_start(value, start_of(item, 0));
                    match value.as_inline_table() {
                        Some(t) => tables.push((t as &dyn TableLike, offset)),
                        None => {
                            return Err(self.at(
                                offset,
                                format!("expected `{key}` to hold inline tables `{{ ... }}`"),
                            ));
                        }
                    }
                }
                Ok(tables)
            }
            other => Err(self.at(
                start_of(other, 0),
                format!("expected `{key}` to be {expected} or an array of inline tables"),
            )),
        }
    }

    /// A non-empty string value of `key`, trimmed, with its offset.
    fn string(
        &self,
        table: &dyn TableLike,
        key: &str,
        start: usize,
        hint: &str,
    ) -> Result<Option<(String, usize)>, ParseError> {
        let Some(item) = table.get(key) else {
            return Ok(None);
        };
        let offset = start_of(item, start);
        match item.as_str() {
            Some(s) if !s.trim().is_empty() => Ok(Some((s.trim().to_string(), offset))),
            _ => Err(self.at(
                offset,
                format!("expected `{key}` to be a non-empty string{hint}"),
            )),
        }
    }

    /// The `until` date of a rule: a TOML local date or a `YYYY-MM-DD` string.
    fn until(&self, table: &dyn TableLike, start: usize) -> Result<Option<String>, ParseError> {
        let Some(item) = table.get("until") else {
            return Ok(None);
        };
        let offset = start_of(item, start);
        let text = match item.as_value() {
            Some(Value::Datetime(d)) if d.value().time.is_none() && d.value().offset.is_none() => {
                d.value().to_string()
            }
            Some(Value::String(s)) => s.value().trim().to_string(),
            _ => String::new(),
        };
        if !is_date(&text) {
            return Err(self.at(
                offset,
                "expected `until` to be a date like 2027-01-01 (the last day the rule applies)",
            ));
        }
        Ok(Some(text))
    }

    /// `min-age`: a string age like `"3d"`.
    fn min_age(
        &self,
        table: &dyn TableLike,
        start: usize,
    ) -> Result<Option<(String, jiff::SignedDuration)>, ParseError> {
        let Some(item) = table.get("min-age") else {
            return Ok(None);
        };
        let offset = start_of(item, start);
        let text = item
            .as_str()
            .ok_or_else(|| self.at(offset, "expected `min-age` to be a string like \"3d\""))?;
        let age =
            parse_age(text).map_err(|e| self.at(offset, format!("invalid `min-age`: {e}")))?;
        Ok(Some((text.trim().to_string(), age)))
    }

    /// `allow`: an array of distinct update kinds.
    fn allow(
        &self,
        table: &dyn TableLike,
        start: usize,
    ) -> Result<Option<BTreeSet<UpdateKind>>, ParseError> {
        let Some(item) = table.get("allow") else {
            return Ok(None);
        };
        let offset = start_of(item, start);
        let array = item.as_array().ok_or_else(|| {
            self.at(
                offset,
                "expected `allow` to be an array of update kinds like [\"patch\", \"minor\"]",
            )
        })?;
        let mut kinds = BTreeSet::new();
        for value in array.iter() {
            let at = value_start(value, offset);
            let kind = match value.as_str() {
                Some("patch") => UpdateKind::Patch,
                Some("minor") => UpdateKind::Minor,
                Some("major") => UpdateKind::Major,
                Some(other) => {
                    return Err(self.at(
                        at,
                        format!(
                            "unknown update kind `{other}`; expected \"patch\", \"minor\" or \"major\""
                        ),
                    ));
                }
                None => {
                    return Err(self.at(
                        at,
                        "expected an update kind: \"patch\", \"minor\" or \"major\"",
                    ));
                }
            };
            if !kinds.insert(kind) {
                return Err(self.at(at, "this update kind is listed twice in `allow`"));
            }
        }
        Ok(Some(kinds))
    }

    /// The keys shared by the top level and `[[stack]]` tables.
    fn common(
        &self,
        table: &dyn TableLike,
        start: usize,
        context: &str,
    ) -> Result<Common, ParseError> {
        let allow = self.allow(table, start)?;
        let min_age = self.min_age(table, start)?;
        let test = self
            .string(table, "test", start, " (a shell command)")?
            .map(|(s, _)| s);
        let mut holds = Vec::new();
        if let Some(item) = table.get("hold") {
            for (hold, at) in self.tables(item, "hold", "[[hold]] tables")? {
                holds.push(self.hold(hold, at, context)?);
            }
        }
        let mut ignores = Vec::new();
        if let Some(item) = table.get("ignore") {
            for (rule, at) in self.tables(item, "ignore", "[[ignore]] tables")? {
                ignores.push(self.ignore(rule, at, context)?);
            }
        }
        let limits = self.limits(table, start)?;
        Ok(Common {
            allow,
            min_age,
            test,
            holds,
            ignores,
            limits,
        })
    }

    /// `max-blast-radius` (entries, 0 for no limit) and `manifest-changes` (a boolean).
    fn limits(&self, table: &dyn TableLike, start: usize) -> Result<Limits, ParseError> {
        let max_blast_radius = match table.get("max-blast-radius") {
            None => None,
            Some(item) => {
                let offset = start_of(item, start);
                let n = item.as_integer().filter(|n| *n >= 0).ok_or_else(|| {
                    self.at(
                        offset,
                        "expected `max-blast-radius` to be a number of lockfile entries (0: no \
                         limit)",
                    )
                })?;
                Some(n as usize)
            }
        };
        let manifest_changes = match table.get("manifest-changes") {
            None => None,
            Some(item) => Some(item.as_bool().ok_or_else(|| {
                self.at(
                    start_of(item, start),
                    "expected `manifest-changes` to be true or false",
                )
            })?),
        };
        Ok(Limits {
            max_blast_radius,
            manifest_changes,
        })
    }

    fn ignore(
        &self,
        table: &dyn TableLike,
        start: usize,
        context: &str,
    ) -> Result<IgnoreRule, ParseError> {
        self.check_keys(
            table,
            start,
            IGNORE_KEYS,
            &format!(" in an ignore rule{context}"),
        )?;
        let id = self
            .string(table, "id", start, "")?
            .ok_or_else(|| self.at(start, "an ignore rule needs an `id`"))?
            .0;
        let reason = self
            .string(table, "reason", start, "")?
            .ok_or_else(|| self.at(start, format!("the ignore rule for {id} needs a `reason`")))?
            .0;
        let until = self.until(table, start)?;
        Ok(IgnoreRule {
            id,
            reason,
            until,
            origin: self.origin(start),
        })
    }

    fn hold(&self, table: &dyn TableLike, start: usize, context: &str) -> Result<Hold, ParseError> {
        self.check_keys(table, start, HOLD_KEYS, &format!(" in a hold{context}"))?;
        let package = self
            .string(table, "package", start, "")?
            .ok_or_else(|| self.at(start, "a hold needs a `package`"))?
            .0;
        let ecosystem = match self.string(table, "ecosystem", start, "")? {
            None => None,
            Some((name, at)) => Some(
                Ecosystem::ALL
                    .into_iter()
                    .find(|e| e.osv_name() == name)
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            Ecosystem::ALL.iter().map(|e| e.osv_name()).collect();
                        self.at(
                            at,
                            format!(
                                "unknown ecosystem `{name}`; expected one of: {}",
                                names.join(", ")
                            ),
                        )
                    })?,
            ),
        };
        let (below, below_at) = self
            .string(table, "below", start, " (quote versions: below = \"3.13\")")?
            .ok_or_else(|| {
                self.at(
                    start,
                    format!("the hold of {package} needs `below`, the first version not allowed"),
                )
            })?;
        if let Some(scheme) = ecosystem.and_then(|e| Scheme::for_ecosystem(e.osv_name()))
            && let Err(e) = scheme.parse(&below)
        {
            return Err(self.at(below_at, format!("invalid `below`: {e}")));
        }
        let reason = self
            .string(table, "reason", start, "")?
            .ok_or_else(|| self.at(start, format!("the hold of {package} needs a `reason`")))?
            .0;
        let until = self.until(table, start)?;
        Ok(Hold {
            package,
            below,
            ecosystem,
            until,
            reason,
            origin: self.origin(start),
        })
    }

    fn stack(&self, table: &dyn TableLike, start: usize) -> Result<StackRule, ParseError> {
        self.check_keys(table, start, STACK_KEYS, " in a [[stack]] table")?;
        let (pattern, at) = self
            .string(table, "path", start, " (a glob like \"services/*\")")?
            .ok_or_else(|| {
                self.at(
                    start,
                    "a [[stack]] table needs a `path` glob like \"services/*\"",
                )
            })?;
        let path = normalize_path(&pattern).to_string();
        let matcher = globset::GlobBuilder::new(&path)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| {
                let detail = e.kind().to_string();
                self.at(at, format!("invalid glob in `path`: {detail}"))
            })?
            .compile_matcher();
        let context = format!(" of the [[stack]] at line {}", self.lines.line(start));
        let common = self.common(table, start, &context)?;
        Ok(StackRule {
            path,
            allow: common.allow,
            min_age: common.min_age,
            test: common.test,
            holds: common.holds,
            ignores: common.ignores,
            limits: common.limits,
            origin: self.origin(start),
            matcher,
        })
    }
}

/// Whether `text` is a calendar date `YYYY-MM-DD` that exists (2027-02-30 does not).
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i16>().ok())
            .flatten()
    };
    match (num(y, 4), num(m, 2), num(d, 2)) {
        (Some(y), Some(m), Some(d)) => {
            jiff::civil::Date::new(y, m as i8, d as i8).is_ok() && (1..=12).contains(&m)
        }
        _ => false,
    }
}
