//! The advisory model nanoup stores and matches: what OSV says, minus what matching never reads.

use serde::{Deserialize, Serialize};

/// One advisory, as stored in the index.
///
/// Built from an OSV record (or a RustSec Markdown advisory); keeps the fields matching and
/// reporting need and drops the rest (details, references beyond the first advisory URL, credits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The advisory's own id (`RUSTSEC-2021-0003`, `PYSEC-2021-1`, `GO-2022-0288`, `GHSA-...`).
    pub id: String,
    /// Other ids of the same vulnerability (CVE, GHSA, ...).
    pub aliases: Vec<String>,
    /// One-line summary (OSV `summary`, else the first line of `details`).
    pub summary: String,
    /// RFC 3339 time of the last change.
    pub modified: String,
    /// RFC 3339 time of publication, when known.
    pub published: Option<String>,
    /// RFC 3339 time of withdrawal; a withdrawn advisory is never reported.
    pub withdrawn: Option<String>,
    /// `unmaintained`, `unsound`, `notice`... (RustSec `informational`); `None` for a vulnerability.
    pub informational: Option<String>,
    /// CVSS vectors given by the advisory.
    pub severity: Vec<SeverityVector>,
    /// A qualitative severity given by the database (`database_specific.severity`, e.g. GHSA's
    /// `HIGH`), used when no CVSS vector is present.
    pub database_severity: Option<String>,
    /// A URL for people to read (the advisory page when present).
    pub url: Option<String>,
    /// The packages the advisory affects.
    pub affected: Vec<AffectedPackage>,
}

/// A CVSS vector as OSV gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityVector {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, or another OSV severity type.
    pub kind: String,
    /// The vector string (`CVSS:3.1/AV:N/...`).
    pub vector: String,
}

/// The affected versions of one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// OSV ecosystem name as written (`crates.io`, `PyPI`, `Debian:12`, ...).
    pub ecosystem: String,
    /// The package name, normalised per ecosystem (PEP 503 for PyPI) so look-ups are exact.
    pub name: String,
    /// Version ranges (GIT ranges are dropped on import: they name commits, not versions).
    pub ranges: Vec<AffectedRange>,
    /// Versions listed one by one; matched by exact string.
    pub versions: Vec<String>,
    /// RustSec-native requirements: a version is affected unless it matches a `patched` or an
    /// `unaffected` requirement (cargo-audit's rule). Empty for OSV records.
    pub patched: Vec<String>,
    /// See `patched`.
    pub unaffected: Vec<String>,
}

/// How a range's event versions are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    /// SemVer 2.0 order, whatever the ecosystem.
    Semver,
    /// The package ecosystem's own order.
    Ecosystem,
}

/// One OSV range: its ordering and its events, in the order the record gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// The ordering the events are evaluated in.
    pub kind: RangeKind,
    /// `introduced` / `fixed` / `last_affected` / `limit` events.
    pub events: Vec<RangeEvent>,
}

/// One event of an OSV range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeEvent {
    /// Versions from this one on are affected (`0` meaning all).
    Introduced(String),
    /// Versions from this one on are not affected.
    Fixed(String),
    /// Versions after this one are not affected.
    LastAffected(String),
    /// An upper bound on the range (exclusive).
    Limit(String),
}

impl Advisory {
    /// Whether the advisory is informational (a warning) rather than a vulnerability.
    pub fn is_informational(&self) -> bool {
        self.informational.is_some()
    }
}
