//! Renderers for `nanoup audit`: a terminal table, the `nanoup.audit/v1` JSON document, SARIF
//! 2.1.0 for code-scanning services and a GitHub-flavoured Markdown report.
//!
//! Each renderer is a pure function of a [`nanoup_core::AuditReport`], so the same report always
//! gives the same bytes: findings are re-sorted here (stack, ecosystem, then worst first —
//! severity descending, then kind, name, version and id) instead of trusting the order they came
//! in.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use nanoup_core::{Ecosystem, Finding, FindingKind, IgnoredFinding, Severity};

mod json;
mod markdown;
mod sarif;
mod table;

pub use json::render as json;
pub use markdown::render as markdown;
pub use sarif::{INFORMATION_URI, SARIF_SCHEMA_URI, render as sarif};
pub use table::render as table;

/// Worst first: severity descending (an unknown severity after every known one), then kind
/// (vulnerability, unmaintained, unsound, notice), name, version and id; file, line and summary
/// only break the remaining ties so that the order is total.
pub(crate) fn worst_first(a: &Finding, b: &Finding) -> Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.kind.cmp(&b.kind))
        .then_with(|| a.name.cmp(&b.name))
        .then_with(|| a.version.cmp(&b.version))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.file.cmp(&b.file))
        .then_with(|| a.line.cmp(&b.line))
        .then_with(|| a.summary.cmp(&b.summary))
}

/// Stack, then ecosystem, then [`worst_first`]: the one order every audit renderer uses.
pub(crate) fn report_order(a: &Finding, b: &Finding) -> Ordering {
    a.stack
        .cmp(&b.stack)
        .then_with(|| a.ecosystem.cmp(&b.ecosystem))
        .then_with(|| worst_first(a, b))
}

/// The findings of one stack (a directory and an ecosystem), worst first.
pub(crate) struct StackGroup<'a> {
    /// The stack's path.
    pub stack: &'a str,
    /// The stack's ecosystem.
    pub ecosystem: Ecosystem,
    /// Its findings, worst first.
    pub findings: Vec<&'a Finding>,
}

impl StackGroup<'_> {
    /// `path (ecosystem)`, the way tables and headings name a stack.
    pub fn title(&self) -> String {
        format!("{} ({})", self.stack, self.ecosystem)
    }
}

/// `findings` grouped by stack (sorted by path, then ecosystem), each group worst first.
pub(crate) fn by_stack(findings: &[Finding]) -> Vec<StackGroup<'_>> {
    let mut groups: BTreeMap<(&str, Ecosystem), Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        groups
            .entry((finding.stack.as_str(), finding.ecosystem))
            .or_default()
            .push(finding);
    }
    groups
        .into_iter()
        .map(|((stack, ecosystem), mut findings)| {
            findings.sort_by(|a, b| worst_first(a, b));
            StackGroup {
                stack,
                ecosystem,
                findings,
            }
        })
        .collect()
}

/// Ignored findings in report order (their finding's order, then rule and reason).
pub(crate) fn sorted_ignored(ignored: &[IgnoredFinding]) -> Vec<&IgnoredFinding> {
    let mut sorted: Vec<&IgnoredFinding> = ignored.iter().collect();
    sorted.sort_by(|a, b| {
        report_order(&a.finding, &b.finding)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.reason.cmp(&b.reason))
    });
    sorted
}

/// The lowercase severity name, `unknown` when the advisories give none.
pub(crate) fn severity_label(severity: Option<Severity>) -> &'static str {
    severity.map_or("unknown", Severity::as_str)
}

/// Severities from worst to least, then "unknown" (`None`), with their names: the order in
/// which counts are listed.
pub(crate) const SEVERITY_KEYS: [(Option<Severity>, &str); 6] = [
    (Some(Severity::Critical), "critical"),
    (Some(Severity::High), "high"),
    (Some(Severity::Medium), "medium"),
    (Some(Severity::Low), "low"),
    (Some(Severity::None), "none"),
    (None, "unknown"),
];

/// `1 critical, 2 high` — the non-zero counts per severity, worst first (empty when none).
pub(crate) fn severity_counts(findings: &[Finding]) -> String {
    SEVERITY_KEYS
        .iter()
        .filter_map(|(severity, name)| {
            let count = findings.iter().filter(|f| f.severity == *severity).count();
            (count > 0).then(|| format!("{count} {name}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `2 unmaintained, 1 unsound` — the non-zero counts per kind (empty when none).
pub(crate) fn kind_counts(findings: &[Finding]) -> String {
    [
        FindingKind::Vulnerability,
        FindingKind::Unmaintained,
        FindingKind::Unsound,
        FindingKind::Notice,
    ]
    .iter()
    .filter_map(|kind| {
        let count = findings.iter().filter(|f| f.kind == *kind).count();
        (count > 0).then(|| format!("{count} {}", kind.as_str()))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// `1 thing` or `2 things`.
pub(crate) fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// What to upgrade to, in words: the lowest fix when known, else the fixed versions, else none.
pub(crate) fn fix_sentence(finding: &Finding) -> String {
    match (&finding.lowest_fix, finding.fixed.is_empty()) {
        (Some(lowest), true) => format!("upgrade to {lowest}"),
        (Some(lowest), false) => {
            format!(
                "upgrade to {lowest} (fixed in {})",
                finding.fixed.join(", ")
            )
        }
        (None, false) => format!("fixed in {}", finding.fixed.join(", ")),
        (None, true) => "no fixed version is known".to_string(),
    }
}

/// `text` on one line: every run of whitespace (newlines included) becomes one space and
/// control characters are dropped.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace()
        .map(|word| word.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` cut to at most `width` characters, an ellipsis marking the cut.
pub(crate) fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_keeps_short_text_and_marks_a_cut() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("exactly10!", 10), "exactly10!");
        assert_eq!(cut("a much longer text", 8), "a much…");
        assert_eq!(cut("ééééé", 3), "éé…");
    }

    #[test]
    fn one_line_folds_whitespace_and_drops_controls() {
        assert_eq!(one_line("a\n b\r\n\tc\u{7}d"), "a b cd");
    }
}
