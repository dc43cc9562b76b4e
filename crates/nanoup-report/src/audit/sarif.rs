//! SARIF 2.1.0, the format code-scanning services (GitHub code scanning, Azure DevOps, GitLab,
//! SonarQube...) read static-analysis results in.

use std::collections::BTreeMap;

use nanoup_core::{AuditReport, Finding, FindingKind, Severity};
use serde_json::{Map, Value, json};

use super::{fix_sentence, one_line, report_order, severity_label};
use crate::cyclonedx::{content_uuid, to_pretty};

/// The `$schema` written in SARIF output: SchemaStore's copy of the OASIS SARIF 2.1.0 schema,
/// the URI GitHub's documentation uses.
pub const SARIF_SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// nanoup's home page, written as the tool's `informationUri` (the workspace's `repository`).
pub const INFORMATION_URI: &str = "https://example.invalid/nanoup";

/// The base that result locations are relative to: the scanned root.
const SRCROOT: &str = "%SRCROOT%";

/// The key of the fingerprint in `partialFingerprints`; bump the version if what it hashes
/// changes, so that services do not mix the two.
const FINGERPRINT_KEY: &str = "nanoupFinding/v1";

/// Renders `report` as a SARIF 2.1.0 log (pretty-printed, final newline) with one run of the
/// tool `nanoup` at `tool_version`.
///
/// The driver has one rule per advisory id (sorted by id): the summary as `shortDescription`,
/// the advisory's URL as `helpUri`, a default level, and properties `tags` (`security` and the
/// finding kind) and `security-severity` (the CVSS score when known, else 9.5 / 8.0 / 5.5 / 2.0
/// for critical / high / medium / low; absent when the severity is unknown or none), which is
/// how GitHub ranks security alerts. There is one result per finding and per warning, in report
/// order (stack, ecosystem, worst first): level `error` for critical and high vulnerabilities,
/// `note` for notices and `warning` otherwise; a message naming `package@version`, the advisory
/// and the fix; the lockfile line as location (relative to `%SRCROOT%`, the scanned root); and a
/// partial fingerprint derived from stack, ecosystem, package, version and advisory id, stable
/// across runs so that services can match a finding with the one they saw before. Ignored
/// findings are left out. Expired ignores, unreadable files and a stale database become tool
/// execution notifications. No timestamps or absolute paths are written, so the same report and
/// version always give the same bytes.
pub fn render(report: &AuditReport, tool_version: &str) -> String {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| report_order(a, b));
    let mut warnings: Vec<&Finding> = report.warnings.iter().collect();
    warnings.sort_by(|a, b| report_order(a, b));
    let all: Vec<&Finding> = findings.into_iter().chain(warnings).collect();

    // One rule per advisory id, described by the first finding (in report order) that has it.
    let mut by_id: BTreeMap<&str, &Finding> = BTreeMap::new();
    for finding in &all {
        by_id.entry(finding.id.as_str()).or_insert(finding);
    }
    let rule_index: BTreeMap<&str, usize> = by_id
        .keys()
        .enumerate()
        .map(|(index, id)| (*id, index))
        .collect();
    let rules: Vec<Value> = by_id.values().map(|finding| rule(finding)).collect();
    let results: Vec<Value> = all
        .iter()
        .map(|finding| result(finding, rule_index[finding.id.as_str()]))
        .collect();

    let mut driver = Map::new();
    driver.insert("name".into(), json!("nanoup"));
    if !tool_version.is_empty() {
        driver.insert("version".into(), json!(tool_version));
    }
    driver.insert("informationUri".into(), json!(INFORMATION_URI));
    driver.insert("rules".into(), Value::Array(rules));

    let mut run = Map::new();
    run.insert("tool".into(), json!({ "driver": driver }));
    let notifications = notifications(report);
    if !notifications.is_empty() {
        run.insert(
            "invocations".into(),
            json!([{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }]),
        );
    }
    run.insert(
        "originalUriBaseIds".into(),
        json!({ SRCROOT: { "description": { "text": "The root directory nanoup audited." } } }),
    );
    run.insert("results".into(), Value::Array(results));
    run.insert("columnKind".into(), json!("unicodeCodePoints"));
    run.insert("properties".into(), run_properties(report));

    to_pretty(&json!({
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    }))
}

fn rule(finding: &Finding) -> Value {
    let summary = one_line(&finding.summary);
    let short = if summary.is_empty() {
        finding.id.clone()
    } else {
        summary.clone()
    };
    let mut full = short.clone();
    if !finding.aliases.is_empty() {
        full = format!("{} (also known as {})", full, finding.aliases.join(", "));
    }
    let mut help = format!("{}: {short}.", finding.id);
    if let Some(url) = &finding.url {
        help.push_str(&format!(" See {url}."));
    }

    let mut properties = Map::new();
    properties.insert("tags".into(), json!(["security", finding.kind.as_str()]));
    if let Some(score) = security_severity(finding) {
        properties.insert("security-severity".into(), json!(score));
    }

    let mut rule = Map::new();
    rule.insert("id".into(), json!(finding.id));
    rule.insert("name".into(), json!(rule_name(finding.kind)));
    rule.insert("shortDescription".into(), json!({ "text": short }));
    rule.insert("fullDescription".into(), json!({ "text": full }));
    if let Some(url) = finding.url.as_deref().filter(|url| is_web_url(url)) {
        rule.insert("helpUri".into(), json!(url));
    }
    rule.insert("help".into(), json!({ "text": help }));
    rule.insert(
        "defaultConfiguration".into(),
        json!({ "level": level(finding) }),
    );
    rule.insert("properties".into(), Value::Object(properties));
    Value::Object(rule)
}

fn result(finding: &Finding, rule_index: usize) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(finding.id));
    result.insert("ruleIndex".into(), json!(rule_index));
    result.insert("level".into(), json!(level(finding)));
    result.insert("message".into(), json!({ "text": message(finding) }));
    if !finding.file.is_empty() {
        let mut physical = Map::new();
        physical.insert(
            "artifactLocation".into(),
            json!({ "uri": uri_path(&finding.file), "uriBaseId": SRCROOT }),
        );
        if finding.line >= 1 {
            physical.insert("region".into(), json!({ "startLine": finding.line }));
        }
        result.insert(
            "locations".into(),
            json!([{
                "physicalLocation": physical,
                "logicalLocations": [{
                    "name": format!("{}@{}", finding.name, finding.version),
                    "kind": "package",
                }],
            }]),
        );
    }
    result.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint(finding) }),
    );

    let mut properties = Map::new();
    properties.insert("stack".into(), json!(finding.stack));
    properties.insert("ecosystem".into(), json!(finding.ecosystem.osv_name()));
    properties.insert("package".into(), json!(finding.name));
    properties.insert("version".into(), json!(finding.version));
    properties.insert("kind".into(), json!(finding.kind.as_str()));
    properties.insert("severity".into(), json!(severity_label(finding.severity)));
    if let Some(score) = finding.cvss_score {
        properties.insert("cvssScore".into(), json!(score));
    }
    properties.insert("aliases".into(), json!(finding.aliases));
    properties.insert("fixed".into(), json!(finding.fixed));
    if let Some(lowest) = &finding.lowest_fix {
        properties.insert("lowestFix".into(), json!(lowest));
    }
    properties.insert("direct".into(), json!(finding.direct));
    result.insert("properties".into(), Value::Object(properties));
    Value::Object(result)
}

/// `error` for critical and high vulnerabilities, `note` for notices, `warning` for the rest.
fn level(finding: &Finding) -> &'static str {
    match (finding.kind, finding.severity) {
        (FindingKind::Vulnerability, Some(Severity::Critical | Severity::High)) => "error",
        (FindingKind::Notice, _) => "note",
        _ => "warning",
    }
}

/// A CVSS-like score as GitHub's `security-severity` wants it: the finding's own score when
/// known, else a score inside its severity band.
fn security_severity(finding: &Finding) -> Option<String> {
    if let Some(score) = finding.cvss_score.filter(|s| s.is_finite() && *s > 0.0) {
        return Some(format!("{:.1}", score.min(10.0)));
    }
    let band = match finding.severity? {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::None => return None,
    };
    Some(band.to_string())
}

fn rule_name(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Vulnerability => "VulnerableDependency",
        FindingKind::Unmaintained => "UnmaintainedDependency",
        FindingKind::Unsound => "UnsoundDependency",
        FindingKind::Notice => "DependencyNotice",
    }
}

/// `smallvec@1.4.0 (crates.io, direct) is affected by RUSTSEC-2021-0003 (high; CVE-2021-25900):
/// <summary>. Fix: upgrade to 1.6.1 (fixed in 0.6.14, 1.6.1).`
fn message(finding: &Finding) -> String {
    let package = format!(
        "{}@{} ({}, {} dependency in stack {})",
        finding.name,
        finding.version,
        finding.ecosystem,
        if finding.direct {
            "direct"
        } else {
            "transitive"
        },
        finding.stack
    );
    let mut advisory = finding.id.clone();
    let mut about = Vec::new();
    if finding.kind == FindingKind::Vulnerability {
        about.push(severity_label(finding.severity).to_string());
    }
    if !finding.aliases.is_empty() {
        about.push(finding.aliases.join(", "));
    }
    if !about.is_empty() {
        advisory = format!("{advisory} ({})", about.join("; "));
    }
    let verb = match finding.kind {
        FindingKind::Vulnerability => "is affected by",
        FindingKind::Unmaintained => "is unmaintained, says",
        FindingKind::Unsound => "has unsound APIs, says",
        FindingKind::Notice => "has a notice,",
    };
    let summary = one_line(&finding.summary);
    let summary = summary.trim_end_matches('.');
    let fix = fix_sentence(finding);
    let mut fix_chars = fix.chars();
    let fix = match fix_chars.next() {
        Some(first) => first.to_uppercase().chain(fix_chars).collect::<String>(),
        None => fix,
    };
    if summary.is_empty() {
        format!("{package} {verb} {advisory}. {fix}.")
    } else {
        format!("{package} {verb} {advisory}: {summary}. {fix}.")
    }
}

/// A stable fingerprint of what a finding is about, independent of its line and wording.
fn fingerprint(finding: &Finding) -> String {
    content_uuid(&format!(
        "sarif-finding\0{}\0{}\0{}\0{}\0{}",
        finding.stack, finding.ecosystem, finding.name, finding.version, finding.id
    ))
}

/// A relative path as a URI reference: every byte outside the unreserved set and `/` is
/// percent-encoded (so a `:` cannot be read as a scheme, nor a space break the URI).
fn uri_path(path: &str) -> String {
    let mut out = String::new();
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether `url` can stand as an absolute `helpUri` (http or https, no whitespace).
fn is_web_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Problems of the run itself, as SARIF notifications: a stale database, expired ignores, and
/// files that could not be read (with their place).
fn notifications(report: &AuditReport) -> Vec<Value> {
    let mut notifications = Vec::new();
    if let Some(stale) = &report.database.stale {
        notifications.push(json!({
            "level": "warning",
            "descriptor": { "id": "nanoup/stale-database" },
            "message": { "text": one_line(stale) },
        }));
    }
    for expired in &report.expired_ignores {
        notifications.push(json!({
            "level": "warning",
            "descriptor": { "id": "nanoup/expired-ignore" },
            "message": { "text": one_line(expired) },
        }));
    }
    let mut errors = report.errors.clone();
    errors.sort();
    for error in &errors {
        let mut region = Map::new();
        if error.line >= 1 {
            region.insert("startLine".into(), json!(error.line));
            if error.column >= 1 {
                region.insert("startColumn".into(), json!(error.column));
            }
        }
        let mut physical = Map::new();
        physical.insert(
            "artifactLocation".into(),
            json!({ "uri": uri_path(&error.file), "uriBaseId": SRCROOT }),
        );
        if !region.is_empty() {
            physical.insert("region".into(), Value::Object(region));
        }
        notifications.push(json!({
            "level": "error",
            "descriptor": { "id": "nanoup/parse-error" },
            "message": { "text": format!("{} could not be read, so it was not audited: {}",
                error.file, one_line(&error.message)) },
            "locations": [{ "physicalLocation": physical }],
        }));
    }
    notifications
}

/// What the audit matched against and what it left out, for readers of the log.
fn run_properties(report: &AuditReport) -> Value {
    let mut sources = report.database.sources.clone();
    sources.sort();
    let mut database = Map::new();
    database.insert("advisories".into(), json!(report.database.advisories));
    database.insert("sources".into(), json!(sources));
    if let Some(last_import) = &report.database.last_import {
        database.insert("lastImport".into(), json!(last_import));
    }
    json!({
        "database": database,
        "ignored": report.ignored.len(),
    })
}
