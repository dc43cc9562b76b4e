//! Plain-text tables for a terminal.

use std::fmt::Write;

use nanoup_core::{Inventory, Source, Stack};

/// One line per stack with its counts; with `verbose`, every component under its stack; then
/// every parse error.
pub fn scan(inventory: &Inventory, verbose: bool) -> String {
    let mut rows: Vec<[String; 6]> = vec![[
        "STACK".into(),
        "ECOSYSTEM".into(),
        "COMPONENTS".into(),
        "DIRECT".into(),
        "UNRESOLVED".into(),
        "FILES".into(),
    ]];
    for stack in &inventory.stacks {
        rows.push(stack_row(stack));
    }
    let widths: Vec<usize> = (0..6)
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(col, cell)| {
                if (2..5).contains(&col) {
                    format!("{cell:>width$}", width = widths[col])
                } else {
                    format!("{cell:<width$}", width = widths[col])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
        if verbose && i > 0 {
            write_components(&mut out, &inventory.stacks[i - 1]);
        }
    }
    let total: usize = inventory.stacks.iter().map(|s| s.components.len()).sum();
    let _ = writeln!(
        out,
        "\n{} stacks, {} components, {} files with errors",
        inventory.stacks.len(),
        total,
        inventory.errors.len()
    );
    for error in &inventory.errors {
        let _ = writeln!(out, "error: {error}");
    }
    for unread in &inventory.unread {
        let _ = writeln!(out, "warning: {unread}");
    }
    out
}

fn stack_row(stack: &Stack) -> [String; 6] {
    [
        stack.path.clone(),
        stack.ecosystem.to_string(),
        stack.components.len().to_string(),
        stack.direct_count().to_string(),
        stack.unresolved_count().to_string(),
        files_cell(&stack.files),
    ]
}

/// The stack's files, the first three named and the rest counted, so rows stay readable.
fn files_cell(files: &[String]) -> String {
    const SHOWN: usize = 3;
    if files.len() <= SHOWN {
        return files.join(", ");
    }
    format!(
        "{}, +{} more",
        files[..SHOWN].join(", "),
        files.len() - SHOWN
    )
}

fn write_components(out: &mut String, stack: &Stack) {
    for c in &stack.components {
        let version = match &c.version {
            Some(v) => v.clone(),
            None => format!(
                "unresolved ({})",
                c.requirement.as_deref().unwrap_or("no version")
            ),
        };
        let mut tags = vec![c.scope.as_str()];
        if c.direct {
            tags.insert(0, "direct");
        }
        if c.source != Source::Registry {
            tags.push(c.source.as_str());
        }
        let _ = writeln!(
            out,
            "    {} {} [{}] {}:{}",
            c.name,
            version,
            tags.join(", "),
            c.file,
            c.line
        );
    }
}
