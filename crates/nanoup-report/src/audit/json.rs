//! The `nanoup.audit/v1` JSON document (documented in docs/formats.md).

use nanoup_core::{AUDIT_SCHEMA, AuditReport, Finding, Severity};
use serde_json::{Map, Value, json};

use super::{SEVERITY_KEYS, report_order, sorted_ignored};

/// Renders `report` as the `nanoup.audit/v1` document: pretty-printed, final newline.
///
/// The fields are those of [`AuditReport`] as serde writes them (`schema`, `database`,
/// `findings`, `warnings`, `ignored`, `expired_ignores`, `errors`), with `schema` always
/// [`AUDIT_SCHEMA`], followed by a `summary` object of counts for CI scripts
/// (`vulnerabilities`, `by_severity`, `warnings`, `ignored`, `expired_ignores`, `errors`).
/// Findings, warnings and ignored findings are sorted by stack, ecosystem, then worst first, and
/// errors by file and place, so the same report always gives the same bytes whatever order it
/// was built in. Reading the document back into an [`AuditReport`] ignores `summary`.
pub fn render(report: &AuditReport) -> String {
    let mut sorted = report.clone();
    sorted.schema = AUDIT_SCHEMA.to_string();
    sorted.findings.sort_by(report_order);
    sorted.warnings.sort_by(report_order);
    sorted.ignored = sorted_ignored(&report.ignored)
        .into_iter()
        .cloned()
        .collect();
    sorted.errors.sort();
    sorted.database.sources.sort();

    let mut document = match serde_json::to_value(&sorted) {
        Ok(Value::Object(map)) => map,
        Ok(_) | Err(_) => Map::new(),
    };
    document.insert("summary".into(), summary(report));
    let mut out = serde_json::to_string_pretty(&Value::Object(document))
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise audit report: {e}\"}}"));
    out.push('\n');
    out
}

fn summary(report: &AuditReport) -> Value {
    let by_severity: Map<String, Value> = SEVERITY_KEYS
        .iter()
        .map(|(severity, key)| {
            let count = count(&report.findings, *severity);
            ((*key).to_string(), json!(count))
        })
        .collect();
    json!({
        "vulnerabilities": report.findings.len(),
        "by_severity": by_severity,
        "warnings": report.warnings.len(),
        "ignored": report.ignored.len(),
        "expired_ignores": report.expired_ignores.len(),
        "errors": report.errors.len(),
    })
}

fn count(findings: &[Finding], severity: Option<Severity>) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}
