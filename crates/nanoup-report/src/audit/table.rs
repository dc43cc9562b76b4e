//! The terminal report of `nanoup audit`, laid out the way cargo-audit does: vulnerabilities per
//! stack, then warnings apart from them, then what was ignored or could not be read, then one
//! summary line.

use std::fmt::Write;

use nanoup_core::{AuditReport, DatabaseInfo, Finding, FindingKind};

use super::{
    StackGroup, by_stack, cut, kind_counts, one_line, plural, severity_counts, severity_label,
    sorted_ignored,
};

/// The widest a summary cell gets before it is cut (an ellipsis marks the cut).
const SUMMARY_WIDTH: usize = 64;
/// The widest a "fixed in" cell gets.
const FIXED_WIDTH: usize = 24;

/// Renders `report` as plain text for a terminal.
///
/// Sections, each only when it has something to say: the database used; vulnerabilities grouped
/// by stack, worst first, one line per finding (severity, id, `package@version`, the lowest
/// version to upgrade to, every fixed version, direct or transitive, the summary cut to a
/// readable width); warnings (unmaintained, unsound, notice) per stack in the same layout;
/// ignored findings with the rule's reason, place and expiry; expired ignores; files that could
/// not be read. A final line counts vulnerabilities by severity, warnings, ignored findings and
/// the advisories matched against. Without vulnerabilities, a line says that none are known.
pub fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    write_database(&mut out, &report.database);

    if report.findings.is_empty() && !report.errors.is_empty() {
        // A file that could not be read is never "no vulnerabilities": its stack was not audited.
        let _ = writeln!(
            out,
            "\nNo known vulnerabilities in what could be read, but {} not read and not \
             audited (see below): the result is incomplete.",
            plural(report.errors.len(), "file was", "files were")
        );
    } else if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "\nNo known vulnerabilities found{}.",
            if report.database.advisories == 0 {
                " (but the advisory database is empty, so nothing was checked)"
            } else {
                ""
            }
        );
    } else {
        for group in by_stack(&report.findings) {
            let _ = writeln!(
                out,
                "\n{} in {}:",
                plural(group.findings.len(), "vulnerability", "vulnerabilities"),
                group.title()
            );
            write_rows(&mut out, &group, "SEVERITY");
        }
    }

    for group in by_stack(&report.warnings) {
        let _ = writeln!(
            out,
            "\n{} in {}:",
            plural(group.findings.len(), "warning", "warnings"),
            group.title()
        );
        write_rows(&mut out, &group, "KIND");
    }

    write_ignored(&mut out, report);

    if !report.expired_ignores.is_empty() {
        out.push('\n');
        for expired in &report.expired_ignores {
            let _ = writeln!(out, "warning: {}", one_line(expired));
        }
    }

    if !report.unread.is_empty() {
        out.push('\n');
        for unread in &report.unread {
            let _ = writeln!(out, "warning: {unread}");
        }
    }

    if !report.errors.is_empty() {
        out.push('\n');
        for error in &report.errors {
            let _ = writeln!(
                out,
                "error: {}:{}:{}: {} (not audited)",
                error.file,
                error.line,
                error.column,
                one_line(&error.message)
            );
        }
    }

    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

fn write_database(out: &mut String, database: &DatabaseInfo) {
    let mut sources = database.sources.clone();
    sources.sort();
    let sources = if sources.is_empty() {
        "no source".to_string()
    } else {
        sources.join(", ")
    };
    let _ = write!(
        out,
        "Matched against {} from {}",
        plural(database.advisories, "advisory", "advisories"),
        sources
    );
    if let Some(last_import) = &database.last_import {
        let _ = write!(out, " (last import {last_import})");
    }
    out.push('\n');
    if let Some(stale) = &database.stale {
        let _ = writeln!(out, "warning: {}", one_line(stale));
    }
}

/// One aligned row per finding; the first column is the severity for vulnerabilities and the
/// kind for warnings.
fn write_rows(out: &mut String, group: &StackGroup<'_>, first: &str) {
    let mut rows: Vec<[String; 7]> = vec![[
        first.into(),
        "ID".into(),
        "PACKAGE".into(),
        "UPGRADE TO".into(),
        "FIXED IN".into(),
        "DEPENDENCY".into(),
        "SUMMARY".into(),
    ]];
    rows.extend(group.findings.iter().map(|finding| row(finding)));
    let widths: Vec<usize> = (0..7)
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
}

fn row(finding: &Finding) -> [String; 7] {
    let first = match finding.kind {
        FindingKind::Vulnerability => severity_label(finding.severity).to_string(),
        kind => kind.as_str().to_string(),
    };
    let fixed = if finding.fixed.is_empty() {
        "-".to_string()
    } else {
        cut(&one_line(&finding.fixed.join(", ")), FIXED_WIDTH)
    };
    [
        first,
        one_line(&finding.id),
        format!("{}@{}", one_line(&finding.name), one_line(&finding.version)),
        finding
            .lowest_fix
            .as_deref()
            .map_or_else(|| "-".to_string(), one_line),
        fixed,
        if finding.direct {
            "direct"
        } else {
            "transitive"
        }
        .to_string(),
        cut(&one_line(&finding.summary), SUMMARY_WIDTH),
    ]
}

fn write_ignored(out: &mut String, report: &AuditReport) {
    if report.ignored.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nIgnored ({}):", report.ignored.len());
    for ignored in sorted_ignored(&report.ignored) {
        let finding = &ignored.finding;
        let what = match finding.kind {
            FindingKind::Vulnerability => severity_label(finding.severity),
            kind => kind.as_str(),
        };
        let until = ignored
            .until
            .as_deref()
            .map(|until| format!(", until {until}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} ({what}) {}@{} in {} ({}): {} [ignored by {}{until}]",
            one_line(&finding.id),
            one_line(&finding.name),
            one_line(&finding.version),
            finding.stack,
            finding.ecosystem,
            if ignored.reason.trim().is_empty() {
                "no reason given".to_string()
            } else {
                one_line(&ignored.reason)
            },
            one_line(&ignored.rule),
        );
    }
}

/// `2 vulnerabilities (1 critical, 1 high), 1 warning (1 unmaintained), 1 ignored, ...;
/// database: N advisories from M sources`.
fn summary_line(report: &AuditReport) -> String {
    let mut parts = Vec::new();
    let vulnerabilities = plural(report.findings.len(), "vulnerability", "vulnerabilities");
    parts.push(if report.findings.is_empty() {
        vulnerabilities
    } else {
        format!("{vulnerabilities} ({})", severity_counts(&report.findings))
    });
    let warnings = plural(report.warnings.len(), "warning", "warnings");
    parts.push(if report.warnings.is_empty() {
        warnings
    } else {
        format!("{warnings} ({})", kind_counts(&report.warnings))
    });
    parts.push(format!("{} ignored", report.ignored.len()));
    if !report.expired_ignores.is_empty() {
        parts.push(plural(
            report.expired_ignores.len(),
            "expired ignore",
            "expired ignores",
        ));
    }
    if !report.errors.is_empty() {
        parts.push(plural(
            report.errors.len(),
            "file not read",
            "files not read",
        ));
    }
    format!(
        "{}; database: {} from {}",
        parts.join(", "),
        plural(report.database.advisories, "advisory", "advisories"),
        plural(report.database.sources.len(), "source", "sources")
    )
}
