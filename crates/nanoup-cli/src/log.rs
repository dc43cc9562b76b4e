//! `nanoup log`: what nanoup did in a repository (plans, applies, refusals, rollbacks, commits),
//! read from the ledger in the data directory, optionally rebuilt from commit trailers first.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;
use nanoup_ledger::{Filter, Ledger, StoredEvent, repository_key};

use crate::output::emit;

/// Arguments of `nanoup log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// The repository whose events to list (the directory given to plan, apply and rollback).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Only the events of this update id.
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Show at most this many events, newest first (0 for all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    limit: u32,
    /// List the events of every repository in the ledger, not only PATH's.
    #[arg(long)]
    all: bool,
    /// Print the events as nanoup.log/v1 JSON.
    #[arg(long)]
    json: bool,
    /// First add what PATH's commit trailers record and the ledger lacks (`Nanoup-Update`,
    /// `Nanoup-Rollback`): for a ledger that was lost, moved aside or kept on another machine.
    /// Safe to repeat: nothing is added twice.
    #[arg(long)]
    rebuild: bool,
}

/// Lists the ledger's events, newest first. Exit status 0, or 2 on an error (no data directory,
/// unreadable ledger, failed rebuild).
pub fn run(args: LogArgs) -> Result<ExitCode> {
    if !args.path.is_dir() {
        bail!(
            "{} is not a directory; give the repository nanoup worked on",
            args.path.display()
        );
    }
    let ledger = open_ledger()?;
    let rebuilt = if args.rebuild {
        let added = ledger.rebuild_from_git(&args.path)?;
        eprintln!(
            "added {added} event{} from the commit trailers of {}",
            if added == 1 { "" } else { "s" },
            args.path.display()
        );
        Some(added)
    } else {
        None
    };
    let repository = (!args.all).then(|| repository_key(&args.path));
    let filter = Filter {
        repository: repository.clone(),
        update_id: args.id.clone(),
        kind: None,
        limit: (args.limit > 0).then_some(args.limit),
    };
    let events = ledger.list(&filter)?;
    let text = if args.json {
        let document = serde_json::json!({
            "schema": "nanoup.log/v1",
            "ledger": ledger.path(),
            "repository": repository,
            "rebuilt": rebuilt,
            "events": events,
        });
        let mut text = serde_json::to_string_pretty(&document)?;
        text.push('\n');
        text
    } else if events.is_empty() {
        let place = match &repository {
            Some(repo) => format!("for {repo}"),
            None => "at all".to_string(),
        };
        let id = args
            .id
            .as_deref()
            .map(|id| format!(" about update {id}"))
            .unwrap_or_default();
        format!(
            "no events recorded {place}{id} (ledger {}); `nanoup log --rebuild` reads them from \
             the commit trailers\n",
            ledger.path().display()
        )
    } else {
        table(&events, args.all)
    };
    emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}

/// The events as an aligned table: time, kind, id, package and a one-line detail; with the
/// repository as well when several may be listed.
fn table(events: &[StoredEvent], with_repository: bool) -> String {
    let mut header = vec!["TIME", "KIND", "ID", "PACKAGE"];
    if with_repository {
        header.push("REPOSITORY");
    }
    header.push("DETAIL");
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|stored| {
            let e = &stored.event;
            let mut row = vec![
                short_time(&e.time),
                e.kind.to_string(),
                e.update_id.clone().unwrap_or_else(|| "-".into()),
                package(stored),
            ];
            if with_repository {
                row.push(e.repository.clone());
            }
            row.push(summary(stored));
            row
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `2026-11-22T10:00:00.000Z` as `2026-11-22 10:00:00Z`.
fn short_time(time: &str) -> String {
    match (time.get(..10), time.get(11..19)) {
        (Some(date), Some(clock)) => format!("{date} {clock}Z"),
        _ => time.to_string(),
    }
}

/// `name from -> to`, as far as the event knows them.
fn package(stored: &StoredEvent) -> String {
    let e = &stored.event;
    let Some(name) = &e.name else {
        return "-".into();
    };
    match (&e.from, &e.to) {
        (Some(from), Some(to)) => format!("{name} {from} -> {to}"),
        (Some(from), None) => format!("{name} {from}"),
        (None, Some(to)) => format!("{name} -> {to}"),
        (None, None) => name.clone(),
    }
}

/// One line from the detail: reasons, refusal reason, blast radius, manifest change, commit.
fn summary(stored: &StoredEvent) -> String {
    let detail = stored.event.detail_value();
    let mut parts = Vec::new();
    if let Some(reason) = detail.get("reason").and_then(|r| r.as_str()) {
        parts.push(reason.to_string());
    }
    if let Some(reasons) = detail.get("reasons").and_then(|r| r.as_array()) {
        let reasons: Vec<&str> = reasons.iter().filter_map(|r| r.as_str()).collect();
        if !reasons.is_empty() {
            parts.push(reasons.join(", "));
        }
    }
    let blast = detail.get("blast_radius").and_then(|b| {
        b.as_array()
            .map(|entries| entries.len() as u64)
            .or_else(|| b.as_u64())
    });
    if let Some(blast) = blast {
        parts.push(format!("blast radius {blast}"));
    }
    if detail.get("manifest_change").and_then(|m| m.as_bool()) == Some(true) {
        parts.push("manifest change".into());
    }
    if let Some(commit) = &stored.event.commit {
        parts.push(format!("commit {}", commit.get(..12).unwrap_or(commit)));
    }
    if detail.get("rebuilt_from").is_some() {
        parts.push("(from trailers)".into());
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}

/// The ledger in the data directory: every command that changes a repository records there.
pub fn open_ledger() -> Result<Ledger> {
    let data_dir = nanoup_core::data_dir()
        .context("no data directory: set NANOUP_HOME (or XDG_CACHE_HOME or HOME)")?;
    Ok(Ledger::open(&data_dir)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nanoup_ledger::{Event, EventKind};

    fn stored(seq: i64, event: Event) -> StoredEvent {
        StoredEvent { seq, event }
    }

    #[test]
    fn table_lines_up_and_summarises_the_detail() {
        let mut apply = Event::new(EventKind::Apply, "/repo");
        apply.time = "2026-11-22T10:00:00.000Z".into();
        apply.update_id = Some("1a2b3c4d5e6f".into());
        apply.name = Some("smallvec".into());
        apply.from = Some("1.4.0".into());
        apply.to = Some("1.6.1".into());
        apply.detail =
            r#"{"reasons":["RUSTSEC-2021-0003"],"blast_radius":[{"name":"smallvec"}]}"#.into();
        let mut refusal = Event::new(EventKind::Refusal, "/repo");
        refusal.time = "2026-11-22T11:00:00.000Z".into();
        refusal.update_id = Some("ffffffffffff".into());
        refusal.name = Some("serde".into());
        refusal.detail = r#"{"reason":"changed 2 entries outside the blast radius"}"#.into();
        let mut commit = Event::new(EventKind::Commit, "/repo");
        commit.time = "2026-11-22T12:00:00.000Z".into();
        commit.commit = Some("0123456789abcdef0123456789abcdef01234567".into());
        commit.detail = r#"{"rebuilt_from":"git","blast_radius":1}"#.into();
        let text = table(
            &[stored(3, commit), stored(2, refusal), stored(1, apply)],
            false,
        );
        let expected = "\
TIME                  KIND     ID            PACKAGE                  DETAIL
2026-11-22 12:00:00Z  commit   -             -                        blast radius 1; commit 0123456789ab; (from trailers)
2026-11-22 11:00:00Z  refusal  ffffffffffff  serde                    changed 2 entries outside the blast radius
2026-11-22 10:00:00Z  apply    1a2b3c4d5e6f  smallvec 1.4.0 -> 1.6.1  RUSTSEC-2021-0003; blast radius 1
";
        assert_eq!(text, expected);
        let with_repo = table(&[stored(1, Event::new(EventKind::Plan, "/r"))], true);
        assert!(with_repo.starts_with("TIME"), "{with_repo}");
        assert!(with_repo.contains("REPOSITORY"), "{with_repo}");
        assert_eq!(short_time("garbage"), "garbage");
    }
}
