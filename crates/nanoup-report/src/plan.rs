//! Renderers for `nanoup plan`: a terminal table and the `nanoup.plan/v1` JSON document.

use std::fmt::Write;

use nanoup_core::Plan;

/// The plan as `nanoup.plan/v1` JSON: pretty, final newline.
pub fn json(plan: &Plan) -> String {
    let mut out = serde_json::to_string_pretty(plan)
        .unwrap_or_else(|e| format!("{{\"error\":\"cannot serialise the plan: {e}\"}}"));
    out.push('\n');
    out
}

/// One line per update (id, stack, package, step, kind, why, whether the manifest changes), then
/// the unfixable components with their reason.
pub fn table(plan: &Plan) -> String {
    let mut rows: Vec<[String; 8]> = vec![[
        "ID".to_string(),
        "STACK".to_string(),
        "PACKAGE".to_string(),
        "FROM".to_string(),
        "TO".to_string(),
        "KIND".to_string(),
        "MOVES".to_string(),
        "REASONS".to_string(),
    ]];
    for u in &plan.updates {
        rows.push([
            u.id.clone(),
            format!("{} ({})", u.stack, u.ecosystem),
            u.name.clone(),
            u.from.clone(),
            u.to.clone(),
            format!(
                "{}{}{}",
                u.kind.as_str(),
                if u.is_group() { " group" } else { "" },
                if u.manifest_change { " +manifest" } else { "" }
            ),
            u.blast_radius.len().to_string(),
            u.reasons.join(", "),
        ]);
    }
    let widths: Vec<usize> = (0..8)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    if plan.updates.is_empty() {
        out.push_str("No updates to propose.\n");
    } else {
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
                .collect();
            let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        }
    }
    // The entries of updates that move more than their target, each with its role and why.
    for u in plan.updates.iter().filter(|u| !u.steps.is_empty()) {
        let _ = writeln!(out, "\n{} {} {} -> {} moves:", u.id, u.name, u.from, u.to);
        for s in &u.steps {
            let _ = writeln!(
                out,
                "  {:<9} {} {} -> {}{}: {}",
                s.role.as_str(),
                s.name,
                s.from.as_deref().unwrap_or("(new)"),
                s.to.as_deref().unwrap_or(nanoup_core::REMOVED),
                if s.manifest { " +manifest" } else { "" },
                s.why
            );
        }
    }
    if !plan.unfixable.is_empty() {
        let _ = writeln!(out, "\nunfixable:");
        for u in &plan.unfixable {
            let _ = writeln!(
                out,
                "  {} ({}) {}@{}: {} [{}]",
                u.stack,
                u.ecosystem,
                u.name,
                u.version,
                u.reason,
                u.advisories.join(", ")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{} updates ({} with a manifest change), {} unfixable",
        plan.updates.len(),
        plan.updates.iter().filter(|u| u.manifest_change).count(),
        plan.unfixable.len()
    );
    out
}
