//! PEP 440 (PyPI) versions via `pep440_rs`.

use std::str::FromStr;

use pep440_rs::{Operator, VersionSpecifier};

use crate::{ParsedRequirement, VersionScheme};

/// PyPI versions in PEP 440 order, via `pep440_rs` (epochs `1!2.0`, pre `a`/`b`/`rc` with
/// their alternative spellings `alpha`/`c`/`pre`/`preview`, post `.post1`/`-1`, dev `.dev1`,
/// local `+cu124`).
///
/// Input is normalised as PEP 440 prescribes: case-insensitive, optional leading `v`,
/// optional separators (`1.0RC1` == `1.0rc1`, `3.9.0c2` == `3.9.0rc2`), zero padding
/// (`3.8` == `3.8.0`). `pep440_rs`'s `Eq`/`Hash` agree with its `Ord`.
pub(crate) struct Pep440;

impl VersionScheme for Pep440 {
    type Key = pep440_rs::Version;

    fn parse(text: &str) -> Result<Self::Key, String> {
        text.parse::<pep440_rs::Version>().map_err(|e| {
            format!("a PEP 440 version such as 1.0, 1!2.0rc1 or 1.0.post1+local ({e})")
        })
    }

    fn is_prerelease(key: &Self::Key) -> bool {
        key.any_prerelease()
    }

    /// Alternatives (`||`, Poetry only); a version must satisfy one alternative entirely.
    type Req = Vec<Alternative>;

    fn parse_requirement(text: &str) -> Result<ParsedRequirement<Self::Req>, String> {
        let alternatives: Vec<&str> = if text.contains('|') {
            text.split('|')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .collect()
        } else {
            vec![text]
        };
        if alternatives.is_empty() {
            return Err(format!("{EXPECTED} (nothing between the `||`)"));
        }
        alternatives
            .into_iter()
            .map(parse_alternative)
            .collect::<Result<Vec<_>, _>>()
            .map(ParsedRequirement::range)
    }

    fn matches(req: &Self::Req, key: &Self::Key, text: &str) -> bool {
        req.iter()
            .any(|alt| (alt.names_prerelease || !key.any_prerelease()) && alt.contains(key, text))
    }

    fn matches_as_fallback(req: &Self::Req, key: &Self::Key, text: &str) -> bool {
        req.iter().any(|alt| alt.contains(key, text))
    }
}

const EXPECTED: &str = "PEP 440 version specifiers such as >=1.0,<2, ~=1.4, ==1.*, !=1.3 or \
    ===1.0, or Poetry constraints such as ^1.2, ~1.2, 1.2.* or *";

/// One `||` alternative: all clauses must hold.
#[derive(Clone, Debug)]
pub(crate) struct Alternative {
    clauses: Vec<Clause>,
    /// Whether a clause names a prerelease, which lets prereleases match (`packaging`'s rule).
    names_prerelease: bool,
}

/// One clause of an alternative.
#[derive(Clone, Debug)]
enum Clause {
    /// A PEP 440 specifier (Poetry's `^`/`~` are translated into two of them).
    Spec(VersionSpecifier),
    /// `===text`: arbitrary equality, a case-insensitive comparison of the version text.
    Arbitrary(String),
}

impl Alternative {
    fn contains(&self, key: &pep440_rs::Version, text: &str) -> bool {
        self.clauses.iter().all(|clause| match clause {
            Clause::Spec(spec) => spec.contains(key),
            Clause::Arbitrary(want) => text.eq_ignore_ascii_case(want),
        })
    }
}

/// Comma- and/or whitespace-separated clauses; an operator may be followed by spaces.
fn parse_alternative(text: &str) -> Result<Alternative, String> {
    let mut clauses = Vec::new();
    let pieces: Vec<&str> = text.split(',').map(str::trim).collect();
    if pieces.len() > 1 && pieces.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "{EXPECTED} (empty clause between commas in {text:?})"
        ));
    }
    for piece in pieces {
        let mut tokens = piece.split_whitespace();
        while let Some(token) = tokens.next() {
            let token = if token.chars().all(|c| "=!<>~^".contains(c)) {
                let version = tokens
                    .next()
                    .ok_or_else(|| format!("{EXPECTED} (operator {token:?} without a version)"))?;
                format!("{token}{version}")
            } else {
                token.to_string()
            };
            parse_clause(&token, &mut clauses)?;
        }
    }
    let names_prerelease = clauses.iter().any(|clause| match clause {
        Clause::Spec(spec) => {
            !matches!(spec.operator(), Operator::NotEqual | Operator::NotEqualStar)
                && spec.version().any_prerelease()
        }
        Clause::Arbitrary(text) => text
            .parse::<pep440_rs::Version>()
            .is_ok_and(|v| v.any_prerelease()),
    });
    Ok(Alternative {
        clauses,
        names_prerelease,
    })
}

/// One token (no whitespace) into zero, one or two clauses.
fn parse_clause(token: &str, clauses: &mut Vec<Clause>) -> Result<(), String> {
    let spec = |text: &str| {
        VersionSpecifier::from_str(text)
            .map(Clause::Spec)
            .map_err(|e| format!("{EXPECTED} ({e})"))
    };
    if token == "*" {
        return Ok(());
    }
    if let Some(rest) = token.strip_prefix("===") {
        if rest.is_empty() {
            return Err(format!("{EXPECTED} (`===` without a version)"));
        }
        clauses.push(Clause::Arbitrary(rest.to_string()));
    } else if ["~=", "==", "!=", "<=", ">=", "<", ">"]
        .iter()
        .any(|op| token.starts_with(op))
    {
        clauses.push(spec(token)?);
    } else if let Some(rest) = token.strip_prefix('^') {
        // Poetry: the next "breaking" version is the upper bound.
        let low = version(rest)?;
        let stable = low.release();
        let position = if stable.first().copied().unwrap_or(0) > 0 || stable.len() < 2 {
            0
        } else if stable[1] > 0 || stable.len() < 3 {
            1
        } else {
            2
        };
        push_bounds(clauses, low, position)?;
    } else if let Some(rest) = token.strip_prefix('~') {
        // Poetry: `~1` = `>=1,<2`; `~1.2` / `~1.2.3` = `>=1.2(.3),<1.3`.
        let low = version(rest)?;
        let position = usize::from(low.release().len() >= 2);
        push_bounds(clauses, low, position)?;
    } else if let Some(rest) = token.strip_prefix('=') {
        clauses.push(spec(&format!("=={rest}"))?);
    } else {
        clauses.push(spec(&format!("=={token}"))?);
    }
    Ok(())
}

fn version(text: &str) -> Result<pep440_rs::Version, String> {
    text.parse::<pep440_rs::Version>()
        .map_err(|e| format!("{EXPECTED} ({e})"))
}

/// `>=low` and `<` the release of `low` with the number at `position` incremented and the
/// rest dropped.
fn push_bounds(
    clauses: &mut Vec<Clause>,
    low: pep440_rs::Version,
    position: usize,
) -> Result<(), String> {
    let mut release: Vec<u64> = low.release().to_vec();
    release.resize(position + 1, 0);
    let bumped = release[position]
        .checked_add(1)
        .ok_or_else(|| format!("{EXPECTED} (version number too large)"))?;
    release[position] = bumped;
    let high = pep440_rs::Version::new(release).with_epoch(low.epoch());
    clauses.push(Clause::Spec(VersionSpecifier::greater_than_equal_version(
        low,
    )));
    clauses.push(Clause::Spec(VersionSpecifier::less_than_version(high)));
    Ok(())
}
