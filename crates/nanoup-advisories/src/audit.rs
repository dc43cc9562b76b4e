//! Turning raw findings into an audit report: ignore rules applied, warnings apart, worst first.

use nanoup_core::{
    AUDIT_SCHEMA, AuditReport, DatabaseInfo, Finding, FindingKind, IgnoredFinding, ParseError,
};
use nanoup_policy::IgnoreRule;

/// Builds the report of `findings` on `today` (`YYYY-MM-DD`), where `rules_for(stack)` gives the
/// ignore rules that apply to a stack and `all_rules` every rule (for expiry notices).
///
/// A rule silences every finding of its stacks whose id or alias it names, unless it has expired:
/// an expired rule silences nothing and is listed in `expired_ignores`, so the report says why a
/// finding came back. Vulnerabilities go to `findings`, informational advisories to `warnings`, in the
/// order they came; the renderers (`nanoup_report::audit`) own the presentation order.
pub fn build_report(
    findings: Vec<Finding>,
    rules_for: &dyn Fn(&str) -> Vec<IgnoreRule>,
    all_rules: &[IgnoreRule],
    today: &str,
    database: DatabaseInfo,
    errors: Vec<ParseError>,
) -> AuditReport {
    let expired: Vec<&IgnoreRule> = all_rules.iter().filter(|r| r.expired(today)).collect();
    let mut per_stack: std::collections::HashMap<String, Vec<IgnoreRule>> = Default::default();
    let mut report = AuditReport {
        schema: AUDIT_SCHEMA.to_string(),
        database,
        findings: Vec::new(),
        warnings: Vec::new(),
        ignored: Vec::new(),
        expired_ignores: expired
            .iter()
            .map(|r| {
                format!(
                    "ignore of {} ({}) expired on {}: no longer silenced",
                    r.id,
                    r.origin,
                    r.until.as_deref().unwrap_or_default()
                )
            })
            .collect(),
        errors,
        unread: Vec::new(),
    };
    for finding in findings {
        let rules = per_stack
            .entry(finding.stack.clone())
            .or_insert_with(|| rules_for(&finding.stack));
        let rule = rules
            .iter()
            .filter(|r| !r.expired(today))
            .find(|r| r.id == finding.id || finding.aliases.contains(&r.id));
        match (rule, finding.kind) {
            (Some(rule), _) => report.ignored.push(IgnoredFinding {
                finding,
                reason: rule.reason.clone(),
                rule: rule.origin.clone(),
                until: rule.until.clone(),
            }),
            (None, FindingKind::Vulnerability) => report.findings.push(finding),
            (None, _) => report.warnings.push(finding),
        }
    }
    report
}
