//! The OSV wire format (https://ossf.github.io/osv-schema/) and its conversion to [`Advisory`].
//!
//! The structs are deliberately tolerant: ecosystems are strings (`Debian:12` and new ones must
//! not break an import), free-form `database_specific` parts are JSON values, and every field but
//! `id` may be missing.

use serde::Deserialize;
use serde_json::Value;

use crate::advisory::{
    Advisory, AffectedPackage, AffectedRange, RangeEvent, RangeKind, SeverityVector,
};

/// One OSV record as written.
#[derive(Debug, Deserialize)]
pub struct OsvRecord {
    /// The record id.
    pub id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    references: Option<Vec<OsvReference>>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    score: String,
}

#[derive(Debug, Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct OsvRange {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    events: Vec<OsvEvent>,
}

#[derive(Debug, Deserialize)]
struct OsvEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
    limit: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OsvReference {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: String,
}

/// Why an OSV document could not become an advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsvError(pub String);

impl std::fmt::Display for OsvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OsvError {}

/// Reads one OSV JSON document into an [`Advisory`].
pub fn parse_json(text: &str) -> Result<Advisory, OsvError> {
    let record: OsvRecord = serde_json::from_str(text).map_err(|e| {
        OsvError(format!(
            "not an OSV record (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    from_record(record)
}

/// Converts a deserialised OSV record (from JSON or YAML) into an [`Advisory`].
pub fn from_record(record: OsvRecord) -> Result<Advisory, OsvError> {
    if record.id.trim().is_empty() {
        return Err(OsvError("OSV record without an id".into()));
    }
    let informational = record
        .affected
        .iter()
        .flatten()
        .filter_map(|a| a.database_specific.as_ref())
        .chain(record.database_specific.as_ref())
        .find_map(|d| d.get("informational").and_then(Value::as_str))
        .map(str::to_string);
    let database_severity = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut severity: Vec<SeverityVector> = record
        .severity
        .iter()
        .flatten()
        .chain(
            record
                .affected
                .iter()
                .flatten()
                .flat_map(|a| a.severity.iter().flatten()),
        )
        .filter(|s| !s.score.is_empty())
        .map(|s| SeverityVector {
            kind: s.kind.clone(),
            vector: s.score.clone(),
        })
        .collect();
    severity.dedup();
    let url = record
        .references
        .iter()
        .flatten()
        .find(|r| r.kind == "ADVISORY")
        .or_else(|| record.references.iter().flatten().next())
        .map(|r| r.url.clone());
    let summary = record
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            record
                .details
                .as_deref()
                .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
                .map(str::to_string)
        })
        .unwrap_or_default()
        .trim()
        .to_string();
    let affected = record
        .affected
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let package = a.package?;
            Some(AffectedPackage {
                name: normalize_name(&package.ecosystem, &package.name),
                ecosystem: package.ecosystem,
                ranges: a
                    .ranges
                    .into_iter()
                    .flatten()
                    .filter_map(|r| {
                        let kind = match r.kind.as_str() {
                            "SEMVER" => RangeKind::Semver,
                            "ECOSYSTEM" => RangeKind::Ecosystem,
                            _ => return None, // GIT ranges name commits, not versions.
                        };
                        let events = r.events.into_iter().filter_map(event).collect();
                        Some(AffectedRange { kind, events })
                    })
                    .collect(),
                versions: a.versions.unwrap_or_default(),
                patched: Vec::new(),
                unaffected: Vec::new(),
            })
        })
        .collect();
    Ok(Advisory {
        id: record.id.trim().to_string(),
        aliases: record.aliases.unwrap_or_default(),
        summary,
        modified: record.modified.unwrap_or_default(),
        published: record.published,
        withdrawn: record.withdrawn,
        informational,
        severity,
        database_severity,
        url,
        affected,
    })
}

fn event(e: OsvEvent) -> Option<RangeEvent> {
    e.introduced
        .map(RangeEvent::Introduced)
        .or(e.fixed.map(RangeEvent::Fixed))
        .or(e.last_affected.map(RangeEvent::LastAffected))
        .or(e.limit.map(RangeEvent::Limit))
}

/// A package name in the form nanoup's inventory uses for `ecosystem`, so look-ups are exact:
/// PEP 503 for PyPI; every other ecosystem keeps its names as they are.
pub fn normalize_name(ecosystem: &str, name: &str) -> String {
    match ecosystem {
        "PyPI" => nanoup_core::normalize_pypi_name(name),
        _ => name.trim().to_string(),
    }
}
