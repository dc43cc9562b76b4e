//! Requirements (version ranges) per scheme, and "the latest version a requirement allows".
//!
//! A [`Requirement`] is what a manifest says about a dependency's version: Cargo's `^1.2`,
//! npm's `>=1 <3 || 4.x`, PEP 440's `>=1.0,<2` (and Poetry's `^1.2`), Maven's `[1.0,2.0)`, a Go
//! `require` line's version. Each scheme parses its own syntax (in `src/schemes/<name>.rs`) and
//! applies its own prerelease rule; see [`Scheme::parse_requirement`] for the per-scheme rules.

use std::fmt;

use crate::{Req, Scheme, Version, VersionError};

/// What kind of requirement a manifest entry is, beyond "a range".
///
/// Only [`RequirementKind::Range`] and [`RequirementKind::Minimum`] constrain versions in the
/// ordinary way. `non_exhaustive`: match with a wildcard arm.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequirementKind {
    /// A version range, evaluated by [`Requirement::matches`].
    Range,
    /// A bare version read as "this version or a newer one": a Maven soft requirement (`1.0`,
    /// matched as `[1.0,)`) or a Go `require` (minimal version selection).
    Minimum,
    /// A named tag rather than a range: npm dist-tags (`latest`, `next`) and Maven's
    /// `LATEST`/`RELEASE` meta-versions. Which version a tag points to is the registry's
    /// answer, so [`Requirement::matches`] approximates: npm `latest` and Maven `RELEASE`
    /// match every non-prerelease version, Maven `LATEST` every version, any other tag none.
    Tag(String),
    /// Not a registry version at all: an npm git/GitHub/tarball URL, `file:`/`link:` path or
    /// `workspace:` protocol. The string names the source (`"git"`, `"github"`, `"url"`,
    /// `"file"`, `"link"`, `"workspace"`, ...). Matches nothing.
    External(String),
}

/// A parsed version requirement of one [`Scheme`]: cheap to clone, never panics.
///
/// Build it with [`Scheme::parse_requirement`]. [`Requirement::as_str`] returns the text as given.
#[derive(Clone, Debug)]
pub struct Requirement {
    text: Box<str>,
    scheme: Scheme,
    kind: RequirementKind,
    alias: Option<Box<str>>,
    req: Req,
}

impl Scheme {
    /// Parses `text` as a requirement (a version range) of this scheme.
    ///
    /// Surrounding whitespace is ignored. Never panics: unparseable text is a [`VersionError`]
    /// naming the text and the expected syntax. Per scheme:
    ///
    /// - **SemVer** (crates.io): Cargo's syntax via `semver::VersionReq`; a bare `1.2` means
    ///   `^1.2`; `*`; comma-separated comparators are all required. A prerelease matches only
    ///   when a comparator names a prerelease of the same `x.y.z` (`>=1.2.3-beta.1` matches
    ///   `1.2.3-beta.2`, not `1.2.4-beta.1`).
    /// - **npm**: node-semver ranges via `nodejs-semver` (`^`, `~`, x-ranges, hyphen ranges,
    ///   `||`, `*`, empty = any), with npm's default prerelease rule (`includePrerelease=false`:
    ///   a prerelease matches only if a comparator of the same `||` alternative names a
    ///   prerelease of the same `x.y.z`). `npm:name@range` is an alias: the range is parsed and
    ///   the real name is [`Requirement::alias_of`]. Dist-tags (`latest`, `next`) are
    ///   [`RequirementKind::Tag`]; git, GitHub shorthand (`user/repo`), tarball URLs, `file:`,
    ///   `link:`, `workspace:` and similar are [`RequirementKind::External`].
    /// - **PEP 440**: specifier sets (`>=1.0,<2`, `~=1.4`, `==1.*`, `!=1.3`, `===1.0`), plus the
    ///   Poetry/Pipfile dialect (`*`, `^1.2`, `~1.2`, bare `1.2` = `==1.2`, `1.2.*`,
    ///   whitespace as separator, `||` for alternatives). Prerelease rule of `packaging`: a
    ///   prerelease (or dev release) matches only if a specifier of the same alternative names
    ///   a prerelease (any operator but `!=`); and [`latest_matching`] falls back to
    ///   prereleases when no final release matches ("the only available version that
    ///   satisfies the specifier is a pre-release"). The "already installed" exception of
    ///   PEP 440 is left to the caller.
    /// - **Maven**: version ranges `[1.0,2.0)`, `(,1.0]`, `[1.0,)`, `[1.2]` and unions
    ///   `[1,2),[3,4)`. A bare version `1.0` is a soft requirement ([`RequirementKind::Minimum`],
    ///   matched as `[1.0,)`): Maven would use any version conflict mediation picks, but
    ///   proposing a downgrade below what the manifest names is never wanted. `LATEST` /
    ///   `RELEASE` are [`RequirementKind::Tag`]. Unresolved property references (`${x}`) are
    ///   an error: resolve them first. Unlike Maven's resolver, a prerelease (alpha, beta,
    ///   milestone, rc, snapshot) matches a range only if one of that range's bounds is itself
    ///   a prerelease, so `[1.0,2.0)` does not offer `2.0-rc1`.
    /// - **Go**: modules have no ranges. The requirement is a version (`v1.2.3`, pseudo-versions
    ///   too) and, as in minimal version selection, means "this version or newer"
    ///   ([`RequirementKind::Minimum`]), within the same module path: for a `v0`/`v1`
    ///   requirement only `v0`/`v1` versions match, for `vN` (N >= 2) only `vN`; a
    ///   `+incompatible` requirement allows any higher version. Prereleases (including
    ///   pseudo-versions) match only when the requirement is itself a prerelease.
    pub fn parse_requirement(&self, text: &str) -> Result<Requirement, VersionError> {
        match self.parse_req(text.trim()) {
            Ok(parsed) => Ok(Requirement {
                text: text.into(),
                scheme: *self,
                kind: parsed.kind,
                alias: parsed.alias.map(String::into_boxed_str),
                req: parsed.req,
            }),
            Err(expected) => Err(VersionError {
                scheme: *self,
                text: text.to_string(),
                expected,
            }),
        }
    }
}

impl Requirement {
    /// Same as [`Scheme::parse_requirement`]; here for discoverability.
    pub fn parse(scheme: Scheme, text: &str) -> Result<Requirement, VersionError> {
        scheme.parse_requirement(text)
    }

    /// The text this requirement was parsed from, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme this requirement belongs to.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// What kind of requirement this is (range, minimum, tag, external source).
    pub fn kind(&self) -> &RequirementKind {
        &self.kind
    }

    /// For an npm alias (`npm:string-width@^4.2.0`), the package the versions come from
    /// (`string-width`); `None` otherwise.
    pub fn alias_of(&self) -> Option<&str> {
        self.alias.as_deref()
    }

    /// Whether `version` satisfies this requirement, with the scheme's prerelease rule (see
    /// [`Scheme::parse_requirement`]).
    ///
    /// A version of another scheme never matches. [`RequirementKind::External`] requirements
    /// match nothing.
    pub fn matches(&self, version: &Version) -> bool {
        self.req.matches(version, false)
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The highest of `versions` that `req` allows, or `None`.
///
/// Uses [`Requirement::matches`]; if nothing matches and the scheme says a prerelease may be
/// taken when nothing else fits (PEP 440), the highest prerelease inside the specifiers is
/// returned instead. Among equal versions (`1.0` and `1.0.0` in PEP 440) the last one given
/// wins. Versions of another scheme are ignored.
pub fn latest_matching<'a>(
    req: &Requirement,
    versions: impl IntoIterator<Item = &'a Version>,
) -> Option<&'a Version> {
    let mut best: Option<&'a Version> = None;
    let mut best_fallback: Option<&'a Version> = None;
    for version in versions {
        if req.req.matches(version, false) {
            if best.is_none_or(|b| version >= b) {
                best = Some(version);
            }
        } else if best.is_none()
            && req.req.matches(version, true)
            && best_fallback.is_none_or(|b| version >= b)
        {
            best_fallback = Some(version);
        }
    }
    best.or(best_fallback)
}
