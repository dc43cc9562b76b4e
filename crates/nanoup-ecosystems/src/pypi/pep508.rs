//! A small reader of PEP 508 dependency specifications (`name[extras] specifier ; marker` or
//! `name[extras] @ url ; marker`), the strings found in requirements files and `pyproject.toml`.
//!
//! It splits a specification into its parts and checks their shape; it does not evaluate
//! markers nor compare versions, which nanoup has no need for when listing components.

/// The parts of one PEP 508 dependency specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The project name as written (not normalised).
    pub name: String,
    /// The extras asked for, as written.
    pub extras: Vec<String>,
    /// The version specifier without parentheses, e.g. `>=1.0,<2`; empty when there is none.
    pub specifier: String,
    /// The direct reference after `@`, when the dependency names a URL instead of versions.
    pub url: Option<String>,
    /// The environment marker after `;`, when there is one.
    pub marker: Option<String>,
}

/// Why a specification could not be read: the byte offset in the input and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset within the specification string.
    pub offset: usize,
    /// What was found and what was expected.
    pub message: String,
}

/// How the text after a name starts, when it is not a PEP 508 continuation: the caller may
/// then read the whole string as a URL or a path (requirements files allow bare URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A well-formed specification.
    Requirement(Requirement),
    /// Not a specification starting with a name (e.g. `./pkg`, `https://...`).
    NotAName,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

const OPERATORS: [&str; 8] = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"];

/// Reads `text` (already stripped of comments) as a PEP 508 specification.
pub fn parse(text: &str) -> Result<Parsed, SyntaxError> {
    let err = |offset: usize, message: String| SyntaxError { offset, message };
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    if !rest
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return Ok(Parsed::NotAName);
    }
    let name_len = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
    let name = &rest[..name_len];
    let mut pos = start + name_len;
    let mut extras = Vec::new();
    pos = skip_ws(text, pos);
    if text[pos..].starts_with('[') {
        let close = match text[pos..].find(']') {
            Some(close) => pos + close,
            None => return Err(err(pos, "expected `]` closing the extras list".into())),
        };
        for extra in text[pos + 1..close].split(',') {
            let extra = extra.trim();
            if extra.is_empty() {
                continue;
            }
            if !extra.chars().all(is_name_char) {
                return Err(err(
                    pos + 1,
                    format!("expected extra names, found `{extra}`"),
                ));
            }
            extras.push(extra.to_string());
        }
        pos = skip_ws(text, close + 1);
    }
    let after = &text[pos..];
    let mut requirement = Requirement {
        name: name.to_string(),
        extras,
        specifier: String::new(),
        url: None,
        marker: None,
    };
    let marker_at = if let Some(url_part) = after.strip_prefix('@') {
        let url_start = skip_ws(text, pos + 1);
        let url_len = text[url_start..]
            .find(char::is_whitespace)
            .unwrap_or(text.len() - url_start);
        let url = &text[url_start..url_start + url_len];
        if url.is_empty() || url_part.trim().is_empty() {
            return Err(err(url_start, "expected a URL after `@`".into()));
        }
        requirement.url = Some(url.to_string());
        skip_ws(text, url_start + url_len)
    } else if after.starts_with('(') {
        let close = match after.find(')') {
            Some(close) => pos + close,
            None => {
                return Err(err(
                    pos,
                    "expected `)` closing the version specifier".into(),
                ));
            }
        };
        requirement.specifier = check_specifier(text, pos + 1, close)?;
        skip_ws(text, close + 1)
    } else if after.is_empty() || after.starts_with(';') {
        pos
    } else if after.starts_with(|c: char| "<>=!~".contains(c)) {
        let end = after.find(';').map_or(text.len(), |i| pos + i);
        requirement.specifier = check_specifier(text, pos, end)?;
        end
    } else if pos == start + name_len && after.starts_with(['/', ':', '\\']) {
        // `https://...`, `./dir`, `C:\...`: a location, not a name.
        return Ok(Parsed::NotAName);
    } else {
        let found: String = after.chars().take(12).collect();
        return Err(err(
            pos,
            format!("expected a version specifier, `@ url` or `;` after `{name}`, found `{found}`"),
        ));
    };
    let tail = &text[marker_at..];
    if let Some(marker) = tail.strip_prefix(';') {
        let marker = marker.trim();
        if marker.is_empty() {
            return Err(err(
                marker_at,
                "expected an environment marker after `;`".into(),
            ));
        }
        requirement.marker = Some(marker.to_string());
    } else if !tail.trim().is_empty() {
        let found: String = tail.trim().chars().take(12).collect();
        return Err(err(
            marker_at,
            format!("expected `;` and a marker or the end, found `{found}`"),
        ));
    }
    Ok(Parsed::Requirement(requirement))
}

fn skip_ws(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    pos + (rest.len() - rest.trim_start().len())
}

/// Checks that `text[from..to]` is a comma-separated list of `<op> <version>` clauses and
/// returns it trimmed.
fn check_specifier(text: &str, from: usize, to: usize) -> Result<String, SyntaxError> {
    let spec = text.get(from..to).unwrap_or("");
    let mut offset = from;
    for clause in spec.split(',') {
        let trimmed = clause.trim();
        let at = offset + (clause.len() - clause.trim_start().len());
        offset += clause.len() + 1;
        if trimmed.is_empty() && spec.trim().is_empty() {
            continue;
        }
        let Some(op) = OPERATORS.iter().find(|op| trimmed.starts_with(**op)) else {
            return Err(SyntaxError {
                offset: at,
                message: format!(
                    "expected a comparison operator (==, >=, ~=...), found `{trimmed}`"
                ),
            });
        };
        let version = trimmed[op.len()..].trim();
        if version.is_empty() || version.contains(char::is_whitespace) {
            return Err(SyntaxError {
                offset: at,
                message: format!("expected one version after `{op}`"),
            });
        }
    }
    Ok(spec.trim().to_string())
}

/// The exact version a specifier pins, when it has an `==` clause without a wildcard or an
/// `===` clause: `==1.2.3` gives `1.2.3`, `>=1,<2` and `==1.*` give `None`.
pub fn pinned_version(specifier: &str) -> Option<String> {
    specifier.split(',').find_map(|clause| {
        let clause = clause.trim();
        let version = clause
            .strip_prefix("===")
            .or_else(|| clause.strip_prefix("=="))?
            .trim();
        (!version.is_empty() && !version.contains('*')).then(|| version.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(text: &str) -> Requirement {
        match parse(text) {
            Ok(Parsed::Requirement(r)) => r,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn reads_the_parts_of_a_specification() {
        let r = req("Flask-Login[a, b] >=1.0,<2 ; python_version < '3.8'");
        assert_eq!(r.name, "Flask-Login");
        assert_eq!(r.extras, ["a", "b"]);
        assert_eq!(r.specifier, ">=1.0,<2");
        assert_eq!(r.marker.as_deref(), Some("python_version < '3.8'"));
        let r = req("pip @ https://example.com/pip.zip ; os_name == 'nt'");
        assert_eq!(r.url.as_deref(), Some("https://example.com/pip.zip"));
        assert_eq!(r.marker.as_deref(), Some("os_name == 'nt'"));
        assert_eq!(req("name (==1.0)").specifier, "==1.0");
        assert_eq!(req("name").specifier, "");
        assert_eq!(
            req("name;python_version<'3'").marker.as_deref(),
            Some("python_version<'3'")
        );
        assert_eq!(parse("./local/dir"), Ok(Parsed::NotAName));
        assert_eq!(parse("https://x.org/a.whl"), Ok(Parsed::NotAName));
    }

    #[test]
    fn malformed_specifications_are_errors_with_offsets() {
        assert_eq!(parse("name[a").unwrap_err().offset, 4);
        assert_eq!(parse("name >=").unwrap_err().offset, 5);
        assert_eq!(parse("name 1.0").unwrap_err().offset, 5);
        assert!(parse("name ==1.0 ;").is_err());
        assert!(parse("name (==1.0").is_err());
        assert!(parse("name @ ").is_err());
        assert!(parse("näme").is_err());
    }

    #[test]
    fn only_exact_clauses_pin() {
        assert_eq!(pinned_version("==1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(pinned_version("=== 1.0-foo").as_deref(), Some("1.0-foo"));
        assert_eq!(pinned_version("==1.*"), None);
        assert_eq!(pinned_version(">=1,<2"), None);
        assert_eq!(pinned_version(""), None);
    }
}
