//! Version ordering per ecosystem, and OSV range evaluation on top of it.
//!
//! nanoup never compares version strings with a generic rule: every ecosystem has its own order
//! (SemVer for crates.io, npm's SemVer dialect, PEP 440 for PyPI, Maven's `ComparableVersion`,
//! Go's `v`-prefixed SemVer with pseudo-versions). This crate turns a version string into an
//! opaque, owned, totally ordered [`Version`] for one [`Scheme`], evaluates OSV
//! `affected[].ranges[].events` against it ([`osv_range`]), and parses and matches the
//! requirements written in manifests ([`Scheme::parse_requirement`], [`Requirement`],
//! [`latest_matching`]).
//!
//! ```
//! use nanoup_versions::{Scheme, latest_matching};
//!
//! let req = Scheme::Npm.parse_requirement("^1.2.3").unwrap();
//! let versions: Vec<_> = ["1.2.3", "1.9.0", "1.10.0-beta.1", "2.0.0"]
//!     .iter()
//!     .map(|t| Scheme::Npm.parse(t).unwrap())
//!     .collect();
//! assert_eq!(latest_matching(&req, &versions).unwrap().as_str(), "1.9.0");
//! ```
//!
//! ```
//! use nanoup_versions::{Scheme, osv_range::{Event, affected}};
//!
//! let scheme = Scheme::for_ecosystem("Maven").unwrap();
//! let v = scheme.parse("2.15.0-rc1").unwrap();
//! let events = [Event::Introduced("2.13.0".into()), Event::Fixed("2.15.0".into())];
//! assert!(affected(scheme, &v, &events));
//! ```
//!
//! # Adding a scheme
//! Write `src/schemes/<name>.rs` with a unit struct implementing the crate-private
//! `VersionScheme` trait (parse into an `Ord + Hash` key, say whether a key is a prerelease,
//! parse a requirement and say whether a key matches it), and add
//! one line to the `schemes!` invocation below (variant, module, display name, OSV ecosystem
//! names). Nothing else changes: [`Scheme`], [`Version`] and the OSV evaluation are generated from
//! that list. Debian (`debversion`) is the next one planned.
//!
//! This crate does no I/O and never panics on input: bad input is a [`VersionError`].

#![warn(missing_docs)]

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

pub mod osv_range;
mod requirement;

pub use requirement::{Requirement, RequirementKind, latest_matching};

/// What each version scheme provides: a parser into an ordered key.
///
/// The key's `Eq` and `Hash` must agree with its `Ord` (two keys are equal exactly when they
/// compare `Equal`), because [`Version`] delegates all three to it.
trait VersionScheme {
    /// The normalised, comparable form of a version in this scheme.
    type Key: Ord + Hash + Clone + fmt::Debug;

    /// Parses `text` (already trimmed, non-empty). On failure returns a short description of
    /// what was expected, which becomes [`VersionError::expected`].
    fn parse(text: &str) -> Result<Self::Key, String>;

    /// Whether the key is a prerelease (alpha, beta, rc, dev, snapshot, pseudo-version, ...).
    fn is_prerelease(key: &Self::Key) -> bool;

    /// The parsed form of a requirement (range) of this scheme.
    type Req: Clone + fmt::Debug;

    /// Parses a requirement (`text` is trimmed, possibly empty). On failure returns a short
    /// description of what was expected, which becomes [`VersionError::expected`].
    fn parse_requirement(text: &str) -> Result<ParsedRequirement<Self::Req>, String>;

    /// Whether a version (its key and original text) satisfies the requirement, with the
    /// scheme's own prerelease rule.
    fn matches(req: &Self::Req, key: &Self::Key, text: &str) -> bool;

    /// The second chance used by [`latest_matching`] when no version [`matches`]: schemes
    /// whose rules say "take a prerelease if nothing else fits" (PEP 440) override this.
    ///
    /// [`matches`]: VersionScheme::matches
    fn matches_as_fallback(_req: &Self::Req, _key: &Self::Key, _text: &str) -> bool {
        false
    }
}

/// What a scheme's requirement parser returns besides the parsed requirement.
struct ParsedRequirement<R> {
    req: R,
    kind: RequirementKind,
    /// The real package name of an npm alias (`npm:name@range`).
    alias: Option<String>,
}

impl<R> ParsedRequirement<R> {
    /// An ordinary range.
    fn range(req: R) -> Self {
        ParsedRequirement {
            req,
            kind: RequirementKind::Range,
            alias: None,
        }
    }

    /// A requirement of the given kind.
    fn with_kind(req: R, kind: RequirementKind) -> Self {
        ParsedRequirement {
            req,
            kind,
            alias: None,
        }
    }
}

/// Declares every scheme once and generates [`Scheme`], the private `Key` enum and the dispatch.
macro_rules! schemes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident => $module:ident :: $imp:ident, name = $name:literal, ecosystems = [$($eco:literal),* $(,)?];
    )*) => {
        mod schemes {
            $(pub(crate) mod $module;)*
        }

        /// A version ordering scheme: one per family of ecosystems.
        ///
        /// Pick it with [`Scheme::for_ecosystem`] (OSV ecosystem names) or
        /// [`Scheme::for_range`] (an OSV range type plus ecosystem). `non_exhaustive` because
        /// more schemes (Debian next) will be added; match with a wildcard arm.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum Scheme {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Scheme {
            /// Every scheme, in declaration order (which is also their order in a mixed sort).
            pub const ALL: &'static [Scheme] = &[$(Scheme::$variant),*];

            /// A short human name of the scheme (`"SemVer"`, `"PEP 440"`, ...), for messages.
            pub fn name(self) -> &'static str {
                match self { $(Scheme::$variant => $name,)* }
            }

            /// The OSV ecosystem names (without `:suffix`) that use this scheme.
            pub fn ecosystems(self) -> &'static [&'static str] {
                match self { $(Scheme::$variant => &[$($eco),*],)* }
            }

            fn parse_key(self, text: &str) -> Result<Key, String> {
                match self {
                    $(Scheme::$variant =>
                        <schemes::$module::$imp as VersionScheme>::parse(text).map(Key::$variant),)*
                }
            }
        }

        impl Scheme {
            fn parse_req(self, text: &str) -> Result<ParsedRequirement<Req>, String> {
                match self {
                    $(Scheme::$variant =>
                        <schemes::$module::$imp as VersionScheme>::parse_requirement(text)
                            .map(|p| ParsedRequirement {
                                req: Req::$variant(p.req),
                                kind: p.kind,
                                alias: p.alias,
                            }),)*
                }
            }
        }

        /// The parsed form of a [`Requirement`], one variant per scheme.
        #[derive(Clone, Debug)]
        enum Req {
            $($variant(<schemes::$module::$imp as VersionScheme>::Req),)*
        }

        impl Req {
            /// Whether `version` satisfies the requirement; `fallback` selects
            /// `matches_as_fallback`. A version of another scheme never matches.
            fn matches(&self, version: &Version, fallback: bool) -> bool {
                match (self, &version.key) {
                    $((Req::$variant(req), Key::$variant(key)) => {
                        let text = version.text.trim();
                        if fallback {
                            <schemes::$module::$imp as VersionScheme>::matches_as_fallback(req, key, text)
                        } else {
                            <schemes::$module::$imp as VersionScheme>::matches(req, key, text)
                        }
                    })*
                    #[allow(unreachable_patterns)]
                    _ => false,
                }
            }
        }

        /// The comparable form of a [`Version`]. Variant order = [`Scheme`] order, so versions
        /// of different schemes sort by scheme first (consistent, if meaningless).
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        enum Key {
            $($variant(<schemes::$module::$imp as VersionScheme>::Key),)*
        }

        impl Key {
            fn scheme(&self) -> Scheme {
                match self { $(Key::$variant(_) => Scheme::$variant,)* }
            }

            fn is_prerelease(&self) -> bool {
                match self {
                    $(Key::$variant(k) => <schemes::$module::$imp as VersionScheme>::is_prerelease(k),)*
                }
            }
        }
    };
}

schemes! {
    /// SemVer 2.0 as crates.io uses it: build metadata ignored for order, partial versions
    /// (`0.1`) read as `0.1.0`.
    SemVer => semver::SemVer, name = "SemVer", ecosystems = ["crates.io"];
    /// npm's SemVer: like [`Scheme::SemVer`], plus a leading `=` / `v` is accepted and stripped.
    Npm => npm::Npm, name = "npm SemVer", ecosystems = ["npm"];
    /// PEP 440 (PyPI), via `pep440_rs`: epochs, pre/post/dev releases, local versions, with
    /// the standard normalisation (`1.0RC1`, `v1.0`, `3.9.0c2`).
    Pep440 => pep440::Pep440, name = "PEP 440", ecosystems = ["PyPI"];
    /// Maven's `ComparableVersion` order (in-house port of the algorithm).
    Maven => maven::Maven, name = "Maven", ecosystems = ["Maven"];
    /// Go modules: SemVer with an optional leading `v`, `+incompatible` ignored, pseudo-versions
    /// ordered as prereleases; Go toolchain spellings such as `go1.17rc1` are accepted too.
    Go => go::Go, name = "Go", ecosystems = ["Go"];
}

impl Scheme {
    /// The scheme for an OSV `affected[].package.ecosystem` value (`crates.io`, `npm`, `PyPI`,
    /// `Maven`, `Go`), or `None` for an ecosystem nanoup cannot order (yet).
    ///
    /// OSV ecosystem strings may carry a `:suffix` (`Debian:12`, `Ubuntu:22.04:LTS`); only the
    /// part before the first `:` is looked up. Exact spelling is tried first, then ASCII
    /// case-insensitively, so `pypi` works too.
    pub fn for_ecosystem(ecosystem: &str) -> Option<Scheme> {
        let base = ecosystem.split(':').next().unwrap_or_default().trim();
        let find = |eq: &dyn Fn(&str) -> bool| {
            Scheme::ALL
                .iter()
                .copied()
                .find(|s| s.ecosystems().iter().any(|e| eq(e)))
        };
        find(&|e| e == base).or_else(|| find(&|e| e.eq_ignore_ascii_case(base)))
    }

    /// The scheme in which to evaluate one OSV range, from its `type` and the package's
    /// ecosystem; `None` when the range must not be evaluated by version.
    ///
    /// - `ECOSYSTEM`: the ecosystem's scheme ([`Scheme::for_ecosystem`]).
    /// - `SEMVER`: SemVer 2.0. For ecosystems whose scheme already is a SemVer dialect (npm, Go)
    ///   that dialect is used, so that their spellings (`v1.2.3`) parse; otherwise
    ///   [`Scheme::SemVer`].
    /// - `GIT` and anything unknown: `None` (GIT ranges are commit ranges, ignored by nanoup).
    pub fn for_range(range_type: &str, ecosystem: &str) -> Option<Scheme> {
        match range_type {
            "ECOSYSTEM" => Scheme::for_ecosystem(ecosystem),
            "SEMVER" => match Scheme::for_ecosystem(ecosystem) {
                Some(s @ (Scheme::Npm | Scheme::Go)) => Some(s),
                _ => Some(Scheme::SemVer),
            },
            _ => None,
        }
    }

    /// Parses `text` as a version of this scheme.
    ///
    /// Surrounding whitespace is ignored; [`Version::as_str`] still returns the text as given.
    /// Never panics: anything unparseable is a [`VersionError`] naming the text and what was
    /// expected.
    pub fn parse(&self, text: &str) -> Result<Version, VersionError> {
        let trimmed = text.trim();
        let result = if trimmed.is_empty() {
            Err("a non-empty version".to_string())
        } else {
            self.parse_key(trimmed)
        };
        match result {
            Ok(key) => Ok(Version {
                text: text.into(),
                key,
            }),
            Err(expected) => Err(VersionError {
                scheme: *self,
                text: text.to_string(),
                expected,
            }),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed version of one [`Scheme`]: owned, cheap to clone, totally ordered.
///
/// Ordering, equality and hashing use the scheme's normalised form, not the text: in PEP 440
/// `1.0 == 1.0.0`, in Maven `1 == 1.0 == 1-ga`, in SemVer `1.0.0+a == 1.0.0+b`. The original text
/// is kept for display ([`Version::as_str`]). Compare versions of the same scheme only; across
/// schemes the order is consistent (by scheme first, see [`Scheme::ALL`]) but carries no meaning.
#[derive(Clone, Debug)]
pub struct Version {
    text: Box<str>,
    key: Key,
}

impl Version {
    /// Same as [`Scheme::parse`]; here for discoverability.
    pub fn parse(scheme: Scheme, text: &str) -> Result<Version, VersionError> {
        scheme.parse(text)
    }

    /// The text this version was parsed from, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme this version belongs to.
    pub fn scheme(&self) -> Scheme {
        self.key.scheme()
    }

    /// Whether this is a prerelease in its scheme (SemVer/npm/Go: has a `-pre` part, which
    /// includes Go pseudo-versions; PEP 440: `a`/`b`/`rc`/`dev`; Maven: an alpha, beta,
    /// milestone, rc or snapshot qualifier). Used to avoid proposing prereleases as updates.
    pub fn is_prerelease(&self) -> bool {
        self.key.is_prerelease()
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A version string that does not parse in its scheme.
///
/// Carries the scheme, the offending text and what was expected, so that the caller can add
/// its own place (file, line) and report it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {text:?}: expected {expected}")]
pub struct VersionError {
    /// The scheme the text was parsed in.
    pub scheme: Scheme,
    /// The text as given.
    pub text: String,
    /// What a valid version of this scheme looks like, and what went wrong.
    pub expected: String,
}
