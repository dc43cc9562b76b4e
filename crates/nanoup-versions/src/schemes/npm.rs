//! npm versions: SemVer 2.0 with npm's tolerated spellings.

use nodejs_semver::{Identifier, Range};

use crate::schemes::semver::parse_lenient;
use crate::{ParsedRequirement, RequirementKind, VersionScheme};

/// npm versions: SemVer 2.0 precedence (prereleases below their release, identifiers compared
/// numerically or lexically per the spec), build metadata ignored.
///
/// Like `semver.clean()`, a leading `=` and/or `v` (with whitespace around it) is stripped.
/// Partial versions are read as in [`crate::Scheme::SemVer`], since OSV records use them.
pub(crate) struct Npm;

impl VersionScheme for Npm {
    type Key = semver::Version;

    fn parse(text: &str) -> Result<Self::Key, String> {
        let mut rest = text.trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            rest = r.trim_start();
        }
        if let Some(r) = rest.strip_prefix(['v', 'V']) {
            rest = r.trim_start();
        }
        parse_lenient(rest).map_err(|e| format!("{e}, optionally prefixed by `=` or `v`"))
    }

    fn is_prerelease(key: &Self::Key) -> bool {
        !key.pre.is_empty()
    }

    /// A node-semver range, or `None` for a requirement that matches nothing (a dist-tag other
    /// than `latest`, an external source).
    type Req = Option<Range>;

    fn parse_requirement(text: &str) -> Result<ParsedRequirement<Self::Req>, String> {
        if let Some(aliased) = text.strip_prefix("npm:") {
            return parse_alias(aliased);
        }
        parse_spec(text)
    }

    fn matches(req: &Self::Req, key: &Self::Key, _text: &str) -> bool {
        req.as_ref()
            .is_some_and(|range| range.satisfies(&to_node(key)))
    }
}

const EXPECTED: &str = "an npm version range such as ^1.2.3, ~1.2, 1.x, >=1 <3, 1.0 - 2.0, \
    ^1 || ^2 or *, a dist-tag, or npm:name@range";

/// `name@range` (after `npm:`); `@scope/name@range` too. No range means `latest`.
fn parse_alias(text: &str) -> Result<ParsedRequirement<Option<Range>>, String> {
    let at = if let Some(scoped) = text.strip_prefix('@') {
        scoped.find('@').map(|i| i + 1)
    } else {
        text.find('@')
    };
    let (name, spec) = match at {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => (text, ""),
    };
    let name = name.trim();
    let scope_ok = match name.strip_prefix('@') {
        Some(scoped) => scoped
            .split_once('/')
            .is_some_and(|(scope, rest)| !scope.is_empty() && !rest.is_empty()),
        None => !name.contains('/'),
    };
    let valid_name = !name.is_empty()
        && scope_ok
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@/-._~".contains(c));
    if !valid_name {
        return Err(format!(
            "{EXPECTED} (the alias names no valid package: {name:?})"
        ));
    }
    let mut parsed = parse_spec(if spec.is_empty() { "latest" } else { spec })?;
    if let RequirementKind::External(source) = &parsed.kind {
        return Err(format!(
            "{EXPECTED} (an npm: alias must name a registry range, not a {source} source)"
        ));
    }
    parsed.alias = Some(name.to_string());
    Ok(parsed)
}

/// A range, a dist-tag or an external source.
fn parse_spec(text: &str) -> Result<ParsedRequirement<Option<Range>>, String> {
    if let Some(source) = external_source(text) {
        return Ok(ParsedRequirement::with_kind(
            None,
            RequirementKind::External(source.to_string()),
        ));
    }
    // nodejs-semver is not expected to panic, but requirement text comes from the user's
    // manifests: a bug there must not take nanoup down.
    let parse = |text: &str| {
        std::panic::catch_unwind(|| Range::parse(text)).unwrap_or(Err(nodejs_semver::SemverError))
    };
    let parsed = parse(text);
    // nodejs-semver's loose mode silently drops an invalid `||` alternative (`^1 || %`); npm
    // rejects the whole spec, and so do we.
    if parsed.is_ok()
        && text.contains("||")
        && let Some(bad) = text
            .split("||")
            .map(str::trim)
            .find(|alt| !alt.is_empty() && parse(alt).is_err())
    {
        return Err(format!("{EXPECTED} (invalid alternative {bad:?})"));
    }
    match parsed {
        Ok(range) => Ok(ParsedRequirement::range(Some(range))),
        Err(_) if is_tag(text) => {
            // `latest` points to the newest stable release in practice; `*` is the same set.
            let req = (text == "latest").then(Range::any);
            Ok(ParsedRequirement::with_kind(
                req,
                RequirementKind::Tag(text.to_string()),
            ))
        }
        Err(e) => Err(format!("{EXPECTED} ({e})")),
    }
}

/// The source of a non-registry dependency spec, as npm-package-arg classifies it.
fn external_source(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    const PREFIXES: [(&str, &str); 15] = [
        ("git+", "git"),
        ("git://", "git"),
        ("git@", "git"),
        ("ssh://", "git"),
        ("github:", "github"),
        ("gitlab:", "gitlab"),
        ("bitbucket:", "bitbucket"),
        ("gist:", "gist"),
        ("http://", "url"),
        ("https://", "url"),
        ("file:", "file"),
        ("link:", "link"),
        ("workspace:", "workspace"),
        ("portal:", "portal"),
        ("patch:", "patch"),
    ];
    if let Some((_, source)) = PREFIXES.iter().find(|(p, _)| lower.starts_with(p)) {
        return Some(source);
    }
    if ["./", "../", "/", "~/", ".\\", "..\\"]
        .iter()
        .any(|p| text.starts_with(p))
        || text == "."
        || text == ".."
        || [".tgz", ".tar.gz", ".tar"]
            .iter()
            .any(|e| lower.ends_with(e))
    {
        return Some("file");
    }
    // `user/repo` or `user/repo#ref`: GitHub shorthand (a range never contains `/`).
    let (path, _) = text.split_once('#').unwrap_or((text, ""));
    if let Some((user, repo)) = path.split_once('/')
        && !user.is_empty()
        && !repo.is_empty()
        && !user.starts_with('@')
        && !repo.contains('/')
        && !path.contains(char::is_whitespace)
    {
        return Some("github");
    }
    None
}

/// npm's dist-tag rule: the tag survives `encodeURIComponent` unchanged.
fn is_tag(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c))
}

/// The same version in `nodejs-semver`'s type (build metadata is already dropped from keys).
fn to_node(key: &semver::Version) -> nodejs_semver::Version {
    let pre = if key.pre.is_empty() {
        Vec::new()
    } else {
        key.pre
            .as_str()
            .split('.')
            .map(|id| match id.parse::<u64>() {
                Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) => Identifier::Numeric(n),
                _ => Identifier::AlphaNumeric(id.to_string()),
            })
            .collect()
    };
    nodejs_semver::Version::new(key.major, key.minor, key.patch, pre, Vec::new())
}
