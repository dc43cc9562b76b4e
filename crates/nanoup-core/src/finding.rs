use serde::{Deserialize, Serialize};

use crate::Ecosystem;

/// The schema tag of `nanoup audit --format json`.
pub const AUDIT_SCHEMA: &str = "nanoup.audit/v1";

/// What an advisory says about a component: a vulnerability, or an informational warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FindingKind {
    /// A security vulnerability.
    Vulnerability,
    /// The package is no longer maintained (RustSec `informational = "unmaintained"`).
    Unmaintained,
    /// The package has unsound APIs (RustSec `informational = "unsound"`).
    Unsound,
    /// Any other informational advisory (`notice` and unknown kinds).
    Notice,
}

impl FindingKind {
    /// The kind for a RustSec-style `informational` value (`None` is a vulnerability).
    pub fn from_informational(informational: Option<&str>) -> FindingKind {
        match informational {
            None => FindingKind::Vulnerability,
            Some("unmaintained") => FindingKind::Unmaintained,
            Some("unsound") => FindingKind::Unsound,
            Some(_) => FindingKind::Notice,
        }
    }

    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Unmaintained => "unmaintained",
            FindingKind::Unsound => "unsound",
            FindingKind::Notice => "notice",
        }
    }
}

/// Qualitative severity, as CVSS defines the bands (none < low < medium < high < critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS 0.0.
    None,
    /// CVSS 0.1–3.9.
    Low,
    /// CVSS 4.0–6.9 (also GHSA `MODERATE`).
    Medium,
    /// CVSS 7.0–8.9.
    High,
    /// CVSS 9.0–10.0.
    Critical,
}

impl Severity {
    /// The band of a CVSS base score.
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::None,
        }
    }

    /// A database's own word (`LOW`, `MODERATE`, `MEDIUM`, `HIGH`, `CRITICAL`), case-insensitive.
    pub fn from_label(label: &str) -> Option<Severity> {
        match label.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Severity::None),
            "low" => Some(Severity::Low),
            "moderate" | "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The lowercase name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// One component affected by one vulnerability (all aliases of it merged into one finding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The stack's path, as in the inventory.
    pub stack: String,
    /// The component's ecosystem.
    pub ecosystem: Ecosystem,
    /// The component's name.
    pub name: String,
    /// The affected version.
    pub version: String,
    /// The ecosystem database's own id (RUSTSEC for crates.io, PYSEC for PyPI, GO for Go, GHSA
    /// elsewhere), or the first id in sort order when none is the database's own.
    pub id: String,
    /// Every other id of the vulnerability, sorted.
    pub aliases: Vec<String>,
    /// Vulnerability or warning kind.
    pub kind: FindingKind,
    /// Qualitative severity, when the advisories give one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The CVSS base score the severity was computed from, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    /// Versions the advisories name as fixed (sorted in the ecosystem's order).
    pub fixed: Vec<String>,
    /// The lowest fixed version above the current one that clears every advisory on this package
    /// at this version (from advisory events only; not checked against real releases).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowest_fix: Option<String>,
    /// One-line summary.
    pub summary: String,
    /// A URL to read more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The lockfile (relative to the scanned root) and line declaring the component.
    pub file: String,
    /// See `file`.
    pub line: u32,
    /// Whether the component is a direct dependency.
    pub direct: bool,
}

/// What the audit knew: the size and origin of the advisory database it matched against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// Advisory records in the index.
    pub advisories: usize,
    /// The imported sources (paths or URLs), sorted.
    pub sources: Vec<String>,
    /// RFC 3339 time of the most recent import.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_import: Option<String>,
    /// Set when the data is older than the staleness threshold: says how old and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
}

/// A finding silenced by an ignore rule, kept so that reports can say what was silenced and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoredFinding {
    /// The silenced finding.
    pub finding: Finding,
    /// The reason the rule gives.
    pub reason: String,
    /// Where the rule comes from (`--ignore` or `nanoup.toml:LINE`).
    pub rule: String,
    /// The rule's expiry date (YYYY-MM-DD), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

/// The result of `nanoup audit`: findings, warnings, what was ignored, and what could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    /// Always [`AUDIT_SCHEMA`].
    pub schema: String,
    /// The advisory database matched against.
    pub database: DatabaseInfo,
    /// Vulnerabilities, sorted by stack, then severity (worst first), then package and id.
    pub findings: Vec<Finding>,
    /// Informational advisories (unmaintained, unsound, notice), sorted like `findings`.
    pub warnings: Vec<Finding>,
    /// Findings silenced by ignore rules.
    pub ignored: Vec<IgnoredFinding>,
    /// Ignore rules whose expiry date has passed: they no longer silence anything.
    pub expired_ignores: Vec<String>,
    /// Files the scan could not read (their stacks are missing from the audit).
    pub errors: Vec<crate::ParseError>,
    /// Dependency files nanoup does not read at all (their dependencies are not audited).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<crate::UnreadFile>,
}
