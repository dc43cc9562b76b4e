//! `nanoup.toml`, the repository's policy file.
//!
//! Today it holds ignore rules for `nanoup audit`:
//!
//! ```toml
//! [[ignore]]
//! id = "RUSTSEC-2020-0071"          # an advisory id or any of its aliases
//! reason = "only reachable through chrono's `oldtime` feature, which we disable"
//! until = 2027-01-01                # optional; a TOML date or a "YYYY-MM-DD" string
//! ```
//!
//! and the cooldown of `nanoup outdated` (and later the planner):
//!
//! ```toml
//! min-age = "3d"                    # releases younger than this are never proposed
//! ```
//!
//! Every rule needs a reason. Unknown keys are errors that name the line and column, so a typo
//! never silently turns a rule off.

use nanoup_core::{LineIndex, ParseError};
use toml_edit::{Document, Item, Value};

/// The policy file's name, at the repository root.
pub const POLICY_FILE: &str = "nanoup.toml";

/// The parsed policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Ignore rules, in file order.
    pub ignores: Vec<IgnoreRule>,
    /// The minimum release age (cooldown), when the file sets one: (as written, duration).
    pub min_age: Option<(String, jiff::SignedDuration)>,
}

/// Reads an age such as `3d`, `12h`, `30m`, `1w` or `0s` (days are 24 hours). Used for the
/// cooldown (`--min-age`, `min-age`) and for staleness thresholds (`--max-age`).
pub fn parse_age(text: &str) -> Result<jiff::SignedDuration, String> {
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|e| format!("expected an age like 7d, 12h or 30m: {e}"))?;
    let age = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("use weeks, days, hours, minutes or seconds: {e}"))?;
    if age.is_negative() {
        return Err("the age cannot be negative".into());
    }
    Ok(age)
}

/// Silences an advisory (by id or alias) in audit results, for a reason and possibly until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// The advisory id or alias to silence.
    pub id: String,
    /// Why it is safe to ignore.
    pub reason: String,
    /// The last day the rule applies (`YYYY-MM-DD`); from the next day on it no longer silences.
    pub until: Option<String>,
    /// Where the rule comes from: `--ignore` or `nanoup.toml:LINE`.
    pub origin: String,
}

impl IgnoreRule {
    /// Whether the rule has expired on `today` (`YYYY-MM-DD`): it applies through its `until` day.
    pub fn expired(&self, today: &str) -> bool {
        self.until.as_deref().is_some_and(|until| until < today)
    }
}

const TOP_LEVEL_KEYS: &[&str] = &["ignore", "min-age"];
const IGNORE_KEYS: &[&str] = &["id", "reason", "until"];

/// Parses the text of a policy file named `file`.
pub fn parse(file: &str, text: &str) -> Result<Policy, ParseError> {
    let doc = Document::parse(text.to_string()).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim().replace('\n', " ");
        ParseError::at_offset(file, text, offset, format!("invalid TOML: {message}"))
    })?;
    let lines = LineIndex::new(text);
    let at = |offset: usize, message: String| {
        let (line, column) = lines.line_column(offset);
        ParseError::new(file, line, column, message)
    };
    let key_offset =
        |key: &toml_edit::Key, fallback: usize| key.span().map_or(fallback, |s| s.start);
    let root = doc.as_table();
    for key in root
        .iter()
        .filter_map(|(name, _)| root.get_key_value(name).map(|(k, _)| k))
    {
        if !TOP_LEVEL_KEYS.contains(&key.get()) {
            return Err(at(
                key_offset(key, 0),
                format!(
                    "unknown key `{}`; expected one of: {}",
                    key.get(),
                    TOP_LEVEL_KEYS.join(", ")
                ),
            ));
        }
    }
    let mut policy = Policy::default();
    if let Some(item) = doc.get("min-age") {
        let offset = item.span().map_or(0, |s| s.start);
        let text = item.as_str().ok_or_else(|| {
            at(
                offset,
                "expected `min-age` to be a string like \"3d\"".into(),
            )
        })?;
        let age = parse_age(text).map_err(|e| at(offset, format!("invalid `min-age`: {e}")))?;
        policy.min_age = Some((text.trim().to_string(), age));
    }
    let Some(item) = doc.get("ignore") else {
        return Ok(policy);
    };
    let tables: Vec<(&dyn toml_edit::TableLike, usize)> = match item {
        Item::ArrayOfTables(array) => array
            .iter()
            .map(|t| {
                (
                    t as &dyn toml_edit::TableLike,
                    t.span().map_or(0, |s| s.start),
                )
            })
            .collect(),
        Item::Value(Value::Array(array)) => {
            let mut tables = Vec::new();
            for value in array.iter() {
                match value.as_inline_table() {
                    Some(t) => tables.push((
                        t as &dyn toml_edit::TableLike,
                        t.span().map_or(0, |s| s.start),
                    )),
                    None => {
                        let offset = value.span().map_or(0, |s| s.start);
                        return Err(at(
                            offset,
                            "expected an inline table `{ id = ..., reason = ... }`".into(),
                        ));
                    }
                }
            }
            tables
        }
        other => {
            let offset = other.span().map_or(0, |s| s.start);
            return Err(at(offset, "expected `[[ignore]]` tables".into()));
        }
    };
    for (table, start) in tables {
        for key in table
            .iter()
            .filter_map(|(name, _)| table.get_key_value(name).map(|(k, _)| k))
        {
            let name = key.get();
            if !IGNORE_KEYS.contains(&name) {
                let offset = key_offset(key, start);
                return Err(at(
                    offset,
                    format!(
                        "unknown key `{name}` in an ignore rule; expected one of: {}",
                        IGNORE_KEYS.join(", ")
                    ),
                ));
            }
        }
        let string = |key: &str| -> Result<Option<String>, ParseError> {
            match table.get(key) {
                None => Ok(None),
                Some(item) => match item.as_str() {
                    Some(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
                    _ => Err(at(
                        item.span().map_or(start, |s| s.start),
                        format!("expected `{key}` to be a non-empty string"),
                    )),
                },
            }
        };
        let id = string("id")?.ok_or_else(|| at(start, "an ignore rule needs an `id`".into()))?;
        let reason = string("reason")?
            .ok_or_else(|| at(start, format!("the ignore rule for {id} needs a `reason`")))?;
        let until = match table.get("until") {
            None => None,
            Some(item) => {
                let offset = item.span().map_or(start, |s| s.start);
                let text = match item.as_value() {
                    Some(Value::Datetime(d))
                        if d.value().time.is_none() && d.value().offset.is_none() =>
                    {
                        d.value().to_string()
                    }
                    Some(Value::String(s)) => s.value().trim().to_string(),
                    _ => String::new(),
                };
                if !is_date(&text) {
                    return Err(at(
                        offset,
                        "expected `until` to be a date like 2027-01-01".into(),
                    ));
                }
                Some(text)
            }
        };
        policy.ignores.push(IgnoreRule {
            id,
            reason,
            until,
            origin: format!("{file}:{}", lines.line(start)),
        });
    }
    Ok(policy)
}

/// Whether `text` is a calendar date `YYYY-MM-DD` (month 1-12, day 1-31).
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let num = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    matches!(
        (num(y, 4), num(m, 2), num(d, 2)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_with_reasons_and_dates() {
        let text = "# policy\n[[ignore]]\nid = \"RUSTSEC-2020-0071\"\nreason = \"not reachable\"\nuntil = 2027-01-01\n\n[[ignore]]\nid = \"GHSA-x\"\nreason = \"dev only\"\n";
        let policy = parse("nanoup.toml", text).unwrap();
        assert_eq!(policy.ignores.len(), 2);
        assert_eq!(policy.ignores[0].until.as_deref(), Some("2027-01-01"));
        assert_eq!(policy.ignores[0].origin, "nanoup.toml:2");
        assert!(!policy.ignores[0].expired("2027-01-01"));
        assert!(policy.ignores[0].expired("2027-01-02"));
        assert!(!policy.ignores[1].expired("2099-01-01"));
        let inline = "ignore = [{ id = \"A\", reason = \"r\", until = \"2026-02-03\" }]\n";
        assert_eq!(
            parse("nanoup.toml", inline).unwrap().ignores[0]
                .until
                .as_deref(),
            Some("2026-02-03")
        );
    }

    #[test]
    fn cooldown_and_ages() {
        let policy = parse("nanoup.toml", "min-age = \"5d\"\n").unwrap();
        assert_eq!(
            policy.min_age,
            Some(("5d".to_string(), jiff::SignedDuration::from_hours(120)))
        );
        assert_eq!(parse_age("0s").unwrap(), jiff::SignedDuration::ZERO);
        assert_eq!(
            parse_age("1w").unwrap(),
            jiff::SignedDuration::from_hours(168)
        );
        assert!(parse_age("1 month").is_err());
        assert!(parse_age("-1d").is_err());
        let err = parse("nanoup.toml", "\nmin-age = \"soon\"\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("invalid `min-age`"), "{err}");
    }

    #[test]
    fn mistakes_name_their_place() {
        let err = parse(
            "nanoup.toml",
            "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntill = 2027-01-01\n",
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (4, 1));
        assert!(err.message.contains("unknown key `untill`"), "{err}");
        let err = parse("nanoup.toml", "[ignores]\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("unknown key `ignores`"), "{err}");
        let err = parse("nanoup.toml", "[[ignore]]\nid = \"A\"\n").unwrap_err();
        assert!(err.message.contains("needs a `reason`"), "{err}");
        let err = parse(
            "nanoup.toml",
            "[[ignore]]\nid = \"A\"\nreason = \"r\"\nuntil = \"soon\"\n",
        )
        .unwrap_err();
        assert_eq!(err.line, 4);
        let err = parse("nanoup.toml", "[[ignore]\n").unwrap_err();
        assert!(err.message.starts_with("invalid TOML"), "{err}");
    }
}
