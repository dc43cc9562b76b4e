//! Renderers for `nanoup outdated`: a terminal table, worst offenders first, and the
//! `nanoup.outdated/v1` JSON document.

use std::fmt::Write;

use nanoup_drift::{ComponentDrift, OutdatedReport, Status};

/// The report as `nanoup.outdated/v1` JSON: pretty, final newline.
pub fn json(report: &OutdatedReport) -> String {
    let mut out = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise the report: {e}\"}}"));
    out.push('\n');
    out
}

/// Per stack: a summary line (libyears, outdated, share a major behind, oldest component), then
/// its outdated and unknown components, most libyears first. Current components are counted, not
/// listed, unless `all` is set.
pub fn table(report: &OutdatedReport, all: bool) -> String {
    let mut out = String::new();
    for stack in &report.stacks {
        let _ = writeln!(
            out,
            "{} ({}): {} components, {} outdated, {} unknown, {:.2} libyears, {:.0}% a major or more behind{}",
            stack.path,
            stack.ecosystem,
            stack.components,
            stack.outdated,
            stack.unknown,
            stack.libyears,
            stack.major_behind_share * 100.0,
            match (&stack.oldest, &stack.oldest_published) {
                (Some(name), Some(date)) => format!(", oldest {name} ({})", day(date)),
                _ => String::new(),
            }
        );
        let rows: Vec<&ComponentDrift> = report
            .components
            .iter()
            .filter(|c| c.stack == stack.path && c.ecosystem == stack.ecosystem)
            .filter(|c| all || c.status != Status::Current)
            .collect();
        if rows.is_empty() {
            out.push('\n');
            continue;
        }
        let mut cells = vec![[
            "PACKAGE".to_string(),
            "CURRENT".to_string(),
            "LATEST".to_string(),
            "COMPATIBLE".to_string(),
            "BEHIND".to_string(),
            "LIBYEARS".to_string(),
            "NOTES".to_string(),
        ]];
        cells.extend(rows.iter().map(|c| row(c)));
        let widths: Vec<usize> = (0..7)
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for r in &cells {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i == 4 || i == 5 {
                        format!("{cell:>w$}", w = widths[i])
                    } else {
                        format!("{cell:<w$}", w = widths[i])
                    }
                })
                .collect();
            let _ = writeln!(out, "  {}", line.join("  ").trim_end());
        }
        out.push('\n');
    }
    let outdated = report
        .components
        .iter()
        .filter(|c| c.status == Status::Outdated)
        .count();
    let unknown = report
        .components
        .iter()
        .filter(|c| c.status == Status::Unknown)
        .count();
    let libyears: f64 = report.stacks.iter().map(|s| s.libyears).sum();
    let _ = writeln!(
        out,
        "{} components: {} outdated, {} unknown, {:.2} libyears in all; cooldown {}",
        report.components.len(),
        outdated,
        unknown,
        libyears,
        report.min_age
    );
    out
}

fn row(c: &ComponentDrift) -> [String; 7] {
    let dated = |v: &str, d: &Option<String>| match d {
        Some(d) => format!("{v} ({})", day(d)),
        None => v.to_string(),
    };
    let mut notes = Vec::new();
    if c.status == Status::Unknown {
        notes.push(format!(
            "unknown: {}",
            c.reason.as_deref().unwrap_or("no answer")
        ));
    }
    if c.yanked {
        notes.push("current is yanked".into());
    }
    if let Some(d) = &c.deprecated {
        notes.push(format!("deprecated: {}", one_line(d, 48)));
    }
    if c.major_behind {
        notes.push("major".into());
    }
    if !c.pending.is_empty() {
        notes.push(format!("pending {}", c.pending.join(", ")));
    }
    if c.stale {
        notes.push("stale cache".into());
    }
    [
        format!("{}{}", c.name, if c.direct { "" } else { " (t)" }),
        dated(&c.version, &c.current_published),
        c.latest
            .as_deref()
            .map_or_else(|| "-".to_string(), |l| dated(l, &c.latest_published)),
        c.latest_compatible.clone().unwrap_or_else(|| "-".into()),
        c.releases_behind
            .map_or_else(|| "-".into(), |n| n.to_string()),
        c.libyears.map_or_else(|| "-".into(), |y| format!("{y:.2}")),
        notes.join("; "),
    ]
}

/// The date part of an RFC 3339 time.
fn day(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max - 1).collect::<String>())
    }
}
