//! SemVer 2.0 (crates.io), and the lenient SemVer reader shared with npm and Go.

use crate::{ParsedRequirement, VersionScheme};

/// crates.io versions: SemVer 2.0 precedence.
///
/// Build metadata is dropped from the key (the `semver` crate orders by it, which SemVer 2.0,
/// Go and OSV do not — pitfall P7), and partial versions (`0.1`, `1`) are read as `0.1.0`,
/// `1.0.0` because OSV records use them.
pub(crate) struct SemVer;

impl VersionScheme for SemVer {
    type Key = semver::Version;

    fn parse(text: &str) -> Result<Self::Key, String> {
        parse_lenient(text)
    }

    fn is_prerelease(key: &Self::Key) -> bool {
        !key.pre.is_empty()
    }

    /// Cargo's requirement syntax, exactly as `semver::VersionReq` (which is what Cargo uses).
    type Req = semver::VersionReq;

    fn parse_requirement(text: &str) -> Result<ParsedRequirement<Self::Req>, String> {
        semver::VersionReq::parse(text)
            .map(ParsedRequirement::range)
            .map_err(|e| {
                format!(
                    "a Cargo version requirement such as 1.2 (= ^1.2), ~1.2.3, =1.2.3, \
                     >=1.2, <2 or * ({e})"
                )
            })
    }

    fn matches(req: &Self::Req, key: &Self::Key, _text: &str) -> bool {
        req.matches(key)
    }
}

/// Parses SemVer 2.0 with missing minor/patch filled with `0`, and drops build metadata.
///
/// `1.2-rc.1+b` becomes `1.2.0-rc.1`. Anything else that `semver` rejects is an error that
/// describes the expected shape.
pub(crate) fn parse_lenient(text: &str) -> Result<semver::Version, String> {
    const SHAPE: &str = "a SemVer version MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD]";
    let split = text.find(['-', '+']).unwrap_or(text.len());
    let (core, rest) = text.split_at(split);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "{SHAPE} (numeric dot-separated core, at most three parts)"
        ));
    }
    let mut full = parts.join(".");
    for _ in parts.len()..3 {
        full.push_str(".0");
    }
    full.push_str(rest);
    let mut version = semver::Version::parse(&full).map_err(|e| format!("{SHAPE} ({e})"))?;
    version.build = semver::BuildMetadata::EMPTY;
    Ok(version)
}
