//! Go module and toolchain versions.

use crate::schemes::semver::parse_lenient;
use crate::{ParsedRequirement, RequirementKind, VersionScheme};

/// Go versions: SemVer with a leading `v` (optional, since OSV writes them without it).
///
/// Build metadata (`+incompatible`) is ignored for ordering. Pseudo-versions
/// (`v0.0.0-20210101000000-abcdef123456`, `v1.2.4-0.20210101000000-abcdef123456`) are SemVer
/// prereleases and therefore sort below their base release and above earlier prereleases,
/// which is Go's own order. Go toolchain spellings (`go1.17`, `go1.17.4`, `go1.21rc2`,
/// `go1.18beta1`) are mapped to the SemVer form vulndb uses (`1.17.0`, `1.17.4`, `1.21.0-rc.2`,
/// `1.18.0-beta.1`).
pub(crate) struct Go;

impl VersionScheme for Go {
    type Key = semver::Version;

    fn parse(text: &str) -> Result<Self::Key, String> {
        if let Some(toolchain) = text.strip_prefix("go") {
            return parse_toolchain(toolchain).ok_or_else(|| {
                "a Go toolchain version such as go1.17, go1.17.4 or go1.21rc2".to_string()
            });
        }
        let rest = text.strip_prefix('v').unwrap_or(text);
        parse_lenient(rest).map_err(|e| format!("{e}, optionally prefixed by `v`"))
    }

    fn is_prerelease(key: &Self::Key) -> bool {
        !key.pre.is_empty()
    }

    /// The minimum version, and whether it is `+incompatible`.
    type Req = (semver::Version, bool);

    fn parse_requirement(text: &str) -> Result<ParsedRequirement<Self::Req>, String> {
        let min = <Go as VersionScheme>::parse(text)
            .map_err(|e| format!("a Go module version such as v1.2.3 (Go has no ranges: {e})"))?;
        Ok(ParsedRequirement::with_kind(
            (min, is_incompatible(text)),
            RequirementKind::Minimum,
        ))
    }

    fn matches(req: &Self::Req, key: &Self::Key, text: &str) -> bool {
        let (min, incompatible) = req;
        let same_module = if *incompatible {
            true
        } else if min.major <= 1 {
            key.major <= 1 && !is_incompatible(text)
        } else {
            key.major == min.major && !is_incompatible(text)
        };
        same_module && key >= min && (key.pre.is_empty() || !min.pre.is_empty())
    }
}

/// Whether the version text carries `+incompatible` (a v2+ version of a module without go.mod).
fn is_incompatible(text: &str) -> bool {
    text.ends_with("+incompatible")
}

/// `1.21rc2` → `1.21.0-rc.2`; `None` if it is not a toolchain version.
fn parse_toolchain(text: &str) -> Option<semver::Version> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (core, pre) = text.split_at(split);
    let pre = if pre.is_empty() {
        String::new()
    } else {
        let digits = pre.find(|c: char| c.is_ascii_digit())?;
        let (kind, number) = pre.split_at(digits);
        if !matches!(kind, "rc" | "beta" | "alpha") {
            return None;
        }
        format!("-{kind}.{number}")
    };
    if core.ends_with('.') || core.split('.').count() > 3 {
        return None;
    }
    parse_lenient(&format!("{core}{pre}")).ok()
}
