//! `nanoup apply`: apply planned updates one at a time, each verified to change only its blast
//! radius.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use nanoup_core::Plan;
use nanoup_engine::apply::{Outcome, apply};

use crate::output::emit;

/// Arguments of `nanoup apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The directory the plan was made for.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The plan to apply (`nanoup plan --format json -o FILE`).
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// Apply only these updates (repeatable).
    #[arg(long = "id", value_name = "ID", required_unless_present = "all")]
    ids: Vec<String>,
    /// Apply every update of the plan, in plan order.
    #[arg(long, conflicts_with = "ids")]
    all: bool,
    /// Say what would be done, change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the results as nanoup.apply/v1 JSON.
    #[arg(long)]
    json: bool,
    /// Commit each applied update on its own (`chore(deps): nano update NAME FROM -> TO` with
    /// Nanoup-Update / Nanoup-Package / Nanoup-Reason / Nanoup-Blast-Radius trailers), so that
    /// any one can be rolled back alone. PATH must be the repository's root.
    #[arg(long)]
    commit: bool,
    /// With --commit, proceed even when the work tree has uncommitted changes.
    #[arg(long, requires = "commit")]
    allow_dirty: bool,
}

#[derive(serde::Serialize)]
struct ApplyResult<'a> {
    id: &'a str,
    stack: &'a str,
    name: &'a str,
    from: &'a str,
    to: &'a str,
    #[serde(flatten)]
    outcome: &'a Outcome,
}

/// A crash-test hook: with `NANOUP_CRASH_POINT` set to `point`, the process aborts there, as a
/// kill would, so tests can check that files are never torn and the ledger stays consistent.
fn crash_point(point: &str) {
    if std::env::var("NANOUP_CRASH_POINT").is_ok_and(|p| p == point) {
        eprintln!("NANOUP_CRASH_POINT={point}: aborting");
        std::process::abort();
    }
}

/// Writes what happened to `update` to the ledger: an apply (and its commit) or a refusal.
fn record(
    ledger: &nanoup_ledger::Ledger,
    repository: &str,
    update: &nanoup_core::NanoUpdate,
    outcome: &Outcome,
    commit: Option<String>,
) -> Result<()> {
    use nanoup_ledger::{Event, EventKind};
    let event = match outcome {
        Outcome::Planned { .. } => return Ok(()),
        Outcome::Applied {
            changed, method, ..
        } => Event::for_update(EventKind::Apply, repository, update)
            .with_detail("method", method)
            .with_detail("changed", changed),
        Outcome::Refused { reason } => {
            Event::for_update(EventKind::Refusal, repository, update).with_detail("reason", reason)
        }
    };
    ledger.record(&event)?;
    if let Some(sha) = commit {
        let mut event = Event::for_update(EventKind::Commit, repository, update);
        event.commit = Some(sha);
        ledger.record(&event)?;
    }
    Ok(())
}

/// Applies the chosen updates. Exit status 0 when every one applied, 1 when any was refused,
/// 2 on an error (unreadable plan, unknown id).
pub fn run(args: ApplyArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.plan)
        .with_context(|| format!("cannot read {}", args.plan.display()))?;
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a nanoup.plan/v1 document", args.plan.display()))?;
    for id in &args.ids {
        if !plan.updates.iter().any(|u| &u.id == id) {
            anyhow::bail!(
                "no update {id} in {}; run `nanoup plan` to see the ids",
                args.plan.display()
            );
        }
    }
    let chosen: Vec<_> = plan
        .updates
        .iter()
        .filter(|u| args.all || args.ids.contains(&u.id))
        .collect();
    if args.commit && !args.allow_dirty && !args.dry_run {
        let dirty = nanoup_engine::git::dirty_files(&args.path).map_err(anyhow::Error::msg)?;
        if !dirty.is_empty() {
            anyhow::bail!(
                "the work tree has uncommitted changes ({}); commit or stash them, or pass --allow-dirty",
                dirty.join(", ")
            );
        }
    }
    let ledger = crate::log::open_ledger()?;
    let repository = nanoup_ledger::repository_key(&args.path);
    let fetcher = crate::releases::Fetcher::new(&args.path, false)?;
    let fetch = |u: &nanoup_core::NanoUpdate| fetcher.fetch(u);
    let mut digests = plan.files.clone();
    let mut results = Vec::new();
    for update in chosen {
        let mut outcome = apply(&args.path, &digests, update, args.dry_run, &fetch);
        crash_point("after-write");
        let mut commit = None;
        if args.commit
            && let Outcome::Applied { files, changed, .. } = &outcome
        {
            // The trailer counts the verified blast radius (npm's fallback changes more).
            let mut done = update.clone();
            done.blast_radius = changed.clone();
            let message = nanoup_engine::git::message(&done);
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            match nanoup_engine::git::commit(&args.path, &files, &message) {
                Ok(sha) => commit = Some(sha),
                Err(e) => {
                    outcome = Outcome::Refused {
                        reason: format!("applied but not committed: {e}"),
                    }
                }
            }
        }
        record(&ledger, &repository, update, &outcome, commit)?;
        if matches!(outcome, Outcome::Applied { .. }) {
            // The next update of the same lockfile starts from what this one wrote.
            if let Ok(bytes) = std::fs::read(args.path.join(&update.file)) {
                digests.retain(|d| d.path != update.file);
                digests.push(nanoup_core::FileDigest::of(update.file.clone(), &bytes));
            }
        }
        results.push((update, outcome));
    }
    let refused = results
        .iter()
        .any(|(_, o)| matches!(o, Outcome::Refused { .. }));
    let rendered = if args.json {
        let list: Vec<ApplyResult> = results
            .iter()
            .map(|(u, o)| ApplyResult {
                id: &u.id,
                stack: &u.stack,
                name: &u.name,
                from: &u.from,
                to: &u.to,
                outcome: o,
            })
            .collect();
        let doc = serde_json::json!({"schema": "nanoup.apply/v1", "results": list});
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        results
            .iter()
            .map(|(u, o)| {
                let what = format!("{} {} {} -> {}", u.id, u.name, u.from, u.to);
                match o {
                    Outcome::Applied {
                        changed, method, ..
                    } => {
                        format!(
                            "applied  {what} via `{method}` ({} entry changed)\n",
                            changed.len()
                        )
                    }
                    Outcome::Planned { method } => format!("would    {what} via `{method}`\n"),
                    Outcome::Refused { reason } => format!("refused  {what}: {reason}\n"),
                }
            })
            .collect()
    };
    emit(&rendered, None)?;
    Ok(if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
