//! A GitHub-flavoured Markdown report of `nanoup audit`, for pull-request comments and job
//! summaries.

use std::fmt::Write;

use nanoup_core::{AuditReport, Finding, FindingKind};

use super::{
    by_stack, kind_counts, one_line, plural, severity_counts, severity_label, sorted_ignored,
};

/// Renders `report` as GitHub-flavoured Markdown.
///
/// A heading; a summary of the counts (vulnerabilities by severity, warnings by kind, ignored
/// findings, expired ignores, unreadable files) and of the database; one table per stack, worst
/// first, with the columns Severity | Package | Version | Dependency | Advisory (linked to the
/// advisory, aliases below) | Fixed in (the version to upgrade to in bold) | Summary; a table of
/// warnings with a Kind column; the ignored findings with their reason, rule and expiry; expired
/// ignores; unreadable files. Text from advisories is escaped: `|` cannot end a cell, a newline
/// becomes `<br>`, and `<`, `>` and `&` are written as entities, so a summary cannot break the
/// table or inject HTML.
pub fn render(report: &AuditReport) -> String {
    let mut out = String::from("# nanoup audit\n\n");
    write_summary(&mut out, report);

    write_section(
        &mut out,
        "Vulnerabilities",
        "Severity",
        &report.findings,
        |f| severity_label(f.severity),
    );
    write_section(&mut out, "Warnings", "Kind", &report.warnings, |f| {
        f.kind.as_str()
    });

    if !report.ignored.is_empty() {
        out.push_str("\n## Ignored\n\n");
        for ignored in sorted_ignored(&report.ignored) {
            let finding = &ignored.finding;
            let what = match finding.kind {
                FindingKind::Vulnerability => severity_label(finding.severity),
                kind => kind.as_str(),
            };
            let until = ignored
                .until
                .as_deref()
                .map(|until| format!(", until {}", escape(until)))
                .unwrap_or_default();
            let reason = if ignored.reason.trim().is_empty() {
                "no reason given".to_string()
            } else {
                escape(&ignored.reason)
            };
            let _ = writeln!(
                out,
                "- {} ({what}) on {} {} in {} ({}): {reason} — rule {}{until}",
                advisory_link(finding),
                code(&finding.name),
                escape(&finding.version),
                code(&finding.stack),
                finding.ecosystem,
                code(&ignored.rule),
            );
        }
    }

    if !report.expired_ignores.is_empty() {
        out.push_str("\n## Expired ignores\n\n");
        for expired in &report.expired_ignores {
            let _ = writeln!(out, "- ⚠️ {}", escape(expired));
        }
    }

    if !report.errors.is_empty() {
        out.push_str(
            "\n## Errors\n\nThese files could not be read, so their stacks were not audited.\n\n",
        );
        for error in &report.errors {
            let _ = writeln!(
                out,
                "- {}: {}",
                code(&format!("{}:{}:{}", error.file, error.line, error.column)),
                escape(&error.message)
            );
        }
    }
    out
}

fn write_summary(out: &mut String, report: &AuditReport) {
    if report.findings.is_empty() && !report.errors.is_empty() {
        let _ = write!(
            out,
            "⚠️ **Incomplete:** no known vulnerabilities in what could be read, but {} not read \
             and not audited.",
            plural(report.errors.len(), "file was", "files were")
        );
    } else if report.findings.is_empty() {
        out.push_str("✅ **No known vulnerabilities.**");
    } else {
        let _ = write!(
            out,
            "❌ **{}** ({})",
            plural(report.findings.len(), "vulnerability", "vulnerabilities"),
            severity_counts(&report.findings)
        );
    }
    let mut rest = Vec::new();
    if !report.warnings.is_empty() {
        rest.push(format!(
            "{} ({})",
            plural(report.warnings.len(), "warning", "warnings"),
            kind_counts(&report.warnings)
        ));
    }
    if !report.ignored.is_empty() {
        rest.push(format!("{} ignored", report.ignored.len()));
    }
    if !report.expired_ignores.is_empty() {
        rest.push(plural(
            report.expired_ignores.len(),
            "expired ignore",
            "expired ignores",
        ));
    }
    if !report.errors.is_empty() {
        rest.push(plural(
            report.errors.len(),
            "file not read",
            "files not read",
        ));
    }
    if !rest.is_empty() {
        let _ = write!(out, " · {}", rest.join(" · "));
    }
    out.push_str("\n\n");

    let database = &report.database;
    let _ = write!(
        out,
        "Database: {} from {}",
        plural(database.advisories, "advisory", "advisories"),
        plural(database.sources.len(), "source", "sources")
    );
    if !database.sources.is_empty() {
        let mut sources = database.sources.clone();
        sources.sort();
        let sources: Vec<String> = sources.iter().map(|s| code(s)).collect();
        let _ = write!(out, " ({})", sources.join(", "));
    }
    if let Some(last_import) = &database.last_import {
        let _ = write!(out, ", last import {}", escape(last_import));
    }
    out.push_str(".\n");
    if let Some(stale) = &database.stale {
        let _ = writeln!(out, "\n> [!WARNING]\n> {}", escape(stale));
    }
}

fn dependency(finding: &Finding) -> &'static str {
    if finding.direct {
        "direct"
    } else {
        "transitive"
    }
}

/// The advisory id linked to its URL, with its aliases below it.
fn advisory(finding: &Finding) -> String {
    let mut cell = advisory_link(finding);
    if !finding.aliases.is_empty() {
        let aliases: Vec<String> = finding.aliases.iter().map(|a| escape(a)).collect();
        let _ = write!(cell, "<br>{}", aliases.join(", "));
    }
    cell
}

fn advisory_link(finding: &Finding) -> String {
    match finding.url.as_deref().filter(|url| url.starts_with("http")) {
        Some(url) => format!(
            "[{}](<{}>)",
            escape_link_text(&finding.id),
            link_target(url)
        ),
        None => escape(&finding.id),
    }
}

/// The fixed versions, the one to upgrade to in bold; an em dash when none is known.
fn fixed(finding: &Finding) -> String {
    let lowest = finding.lowest_fix.as_deref();
    let mut versions: Vec<String> = finding
        .fixed
        .iter()
        .map(|version| {
            if Some(version.as_str()) == lowest {
                format!("**{}**", escape(version))
            } else {
                escape(version)
            }
        })
        .collect();
    if let Some(lowest) = lowest.filter(|l| !finding.fixed.iter().any(|f| f == l)) {
        versions.push(format!("**{}**", escape(lowest)));
    }
    if versions.is_empty() {
        "—".to_string()
    } else {
        versions.join(", ")
    }
}

/// Text for a table cell or a list item: HTML-significant characters as entities, `|` escaped,
/// line breaks as `<br>`, other control characters dropped.
pub(crate) fn escape(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<String> = text
        .trim()
        .split('\n')
        .map(|line| {
            let mut out = String::new();
            for c in line.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '|' => out.push_str("\\|"),
                    '\t' => out.push(' '),
                    c if c.is_control() => {}
                    c => out.push(c),
                }
            }
            out.trim().to_string()
        })
        .collect();
    lines.join("<br>")
}

/// Link text: [`escape`]d, with brackets escaped so they cannot close the link early.
fn escape_link_text(text: &str) -> String {
    escape(text).replace('[', "\\[").replace(']', "\\]")
}

/// A link destination inside `<...>`: characters that could end it, break the table or the
/// line are percent-encoded.
fn link_target(url: &str) -> String {
    let mut out = String::new();
    for c in url.chars() {
        match c {
            '<' | '>' | '|' | ' ' | '\\' | '`' => {
                let mut buffer = [0u8; 4];
                for byte in c.encode_utf8(&mut buffer).bytes() {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// [`code`] for a table cell: `|` is escaped, since GitHub splits cells before it parses code
/// spans (and unescapes `\|` inside them).
fn cell_code(text: &str) -> String {
    code(text).replace('|', "\\|")
}

/// `text` on one line as inline code, fenced with more backticks than it contains in a row.
fn code(text: &str) -> String {
    let text = one_line(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let padding = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{padding}{text}{padding}{fence}")
}

/// One section (vulnerabilities or warnings): a table per stack, worst first. The first column
/// is `first_column`, filled by `first`; the other columns are the same for both sections.
fn write_section(
    out: &mut String,
    title: &str,
    first_column: &str,
    findings: &[Finding],
    first: impl Fn(&Finding) -> &'static str,
) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}");
    for group in by_stack(findings) {
        let _ = writeln!(
            out,
            "\n### {} ({})\n",
            code(group.stack),
            escape(&group.ecosystem.to_string())
        );
        let _ = writeln!(
            out,
            "| {first_column} | Package | Version | Dependency | Advisory | Fixed in | Summary |"
        );
        out.push_str("|---|---|---|---|---|---|---|\n");
        for finding in &group.findings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                first(finding),
                cell_code(&finding.name),
                escape(&finding.version),
                dependency(finding),
                advisory(finding),
                fixed(finding),
                escape(&finding.summary),
            );
        }
    }
}
