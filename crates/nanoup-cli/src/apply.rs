//! `nanoup apply`: apply planned updates one at a time, each verified to change only its blast
//! radius.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use nanoup_core::{FileDigest, NanoUpdate, Plan};
use nanoup_engine::apply::{Outcome, apply};

use crate::output::emit;

/// Arguments of `nanoup apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The directory the plan was made for.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The plan to apply (`nanoup plan --format json -o FILE`). Without it, apply plans first
    /// (with the planning options below, as `nanoup plan` does).
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
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
    /// Also apply updates whose blast radius exceeds the limit (`--max-blast-radius`, else
    /// `max-blast-radius` in nanoup.toml, else 50 entries); when apply plans itself, it then
    /// plans full fixes however large.
    #[arg(long)]
    allow_large: bool,
    /// Planning options (used without --plan, and when an update is planned again because an
    /// earlier one changed its lockfile).
    #[command(flatten)]
    planning: crate::plan::PlanOptions,
}

/// What became of one update of the plan.
enum Row {
    /// Applied, refused or (dry run) planned.
    Done(Outcome),
    /// Not attempted: planned again against the files an earlier update changed, it was no
    /// longer needed.
    Skipped(String),
}

#[derive(serde::Serialize)]
struct ApplyResult<'a> {
    id: &'a str,
    stack: &'a str,
    name: &'a str,
    from: &'a str,
    to: &'a str,
    /// The blast radius of the update as planned again against the files an earlier update
    /// changed (absent when the plan's own update was attempted).
    #[serde(skip_serializing_if = "Option::is_none")]
    replanned: Option<&'a [nanoup_core::EntryChange]>,
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

/// The plan to apply: `--plan FILE`, else a fresh one.
fn load_plan(args: &ApplyArgs) -> Result<Plan> {
    match &args.plan {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a nanoup.plan/v1 document", file.display()))
        }
        None => {
            let options = crate::plan::PlanArgs::json(args.path.clone(), planning_options(args));
            let (plan, errors) = crate::plan::make(&options)?;
            for error in errors {
                eprintln!("error: {error}");
            }
            Ok(plan)
        }
    }
}

/// The options apply plans with: its planning options, without a blast-radius limit when
/// large updates are allowed (the plan then proposes full fixes rather than partial ones).
fn planning_options(args: &ApplyArgs) -> crate::plan::PlanOptions {
    let mut options = args.planning.clone();
    if args.allow_large {
        options.max_blast_radius = Some(0);
    }
    options
}

/// What planning an update again against the files as they are now found.
enum Replanned {
    /// The fresh update of the same package, with the digests of the files it read.
    Fresh(Box<NanoUpdate>, Vec<FileDigest>),
    /// The package is no longer at the update's `from` version: an earlier update moved it.
    Moved,
    /// The package is still at `from` and the plan proposes nothing else for it.
    Same,
}

/// `update` planned again against the files as they are now (an earlier update changed its
/// lockfile).
fn replan(args: &ApplyArgs, update: &NanoUpdate, planned_ids: &[String]) -> Result<Replanned> {
    let mut options = planning_options(args);
    options.drift = update.reasons.iter().any(|r| r == "drift");
    let plan_args = crate::plan::PlanArgs::json(args.path.clone(), options);
    let only = |stack: &str, c: &nanoup_core::Component| {
        stack == update.stack && c.ecosystem == update.ecosystem && c.name == update.name
    };
    let (fresh, _) = crate::plan::make_for(&plan_args, &only)?;
    // The same entry (a package may be locked at several versions, each its own update), else
    // the version an earlier update moved it to, when that one still needs a fix (express
    // 4.20.0 pins cookie 0.6.0, still affected): an update the plan did not have.
    let same = |u: &&NanoUpdate| u.name == update.name && u.stack == update.stack;
    let found =
        fresh
            .updates
            .iter()
            .filter(same)
            .find(|u| u.from == update.from)
            .or_else(|| {
                fresh.updates.iter().filter(same).find(|u| {
                    !planned_ids.contains(&u.id) && u.reasons.iter().any(|r| r != "drift")
                })
            });
    if let Some(found) = found {
        return Ok(Replanned::Fresh(Box::new(found.clone()), fresh.files));
    }
    if let Some(unfixable) = fresh
        .unfixable
        .iter()
        .find(|u| u.name == update.name && u.stack == update.stack && u.version == update.from)
    {
        anyhow::bail!("planned again: {}", unfixable.reason);
    }
    let inventory = nanoup_ecosystems::scan(&args.path)?;
    let still_there = inventory.components().any(|(s, c)| {
        s.path == update.stack
            && c.ecosystem == update.ecosystem
            && c.name == update.name
            && c.version.as_deref() == Some(update.from.as_str())
    });
    Ok(if still_there {
        Replanned::Same
    } else {
        Replanned::Moved
    })
}

/// The digest of `file` under `root` now, if it can be read.
fn digest_now(root: &std::path::Path, file: &str) -> Option<FileDigest> {
    std::fs::read(root.join(file))
        .ok()
        .map(|bytes| FileDigest::of(file.to_string(), &bytes))
}

/// Applies the chosen updates. Exit status 0 when every one applied (or was no longer needed),
/// 1 when any was refused, 2 on an error (unreadable plan, unknown id).
/// Whether `reason` names the package `name` as a word (`urllib3` in "needs `urllib3>=1.26.11`",
/// not in "urllib3-secure").
fn names_package(reason: &str, name: &str) -> bool {
    let part_of_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/');
    reason.match_indices(name).any(|(at, _)| {
        let before = reason[..at].chars().next_back();
        let after = reason[at + name.len()..].chars().next();
        !before.is_some_and(part_of_name) && !after.is_some_and(|c| part_of_name(c) && c != '.')
    })
}

pub fn run(args: ApplyArgs) -> Result<ExitCode> {
    let plan = load_plan(&args)?;
    for id in &args.ids {
        if !plan.updates.iter().any(|u| &u.id == id) {
            anyhow::bail!("no update {id} in the plan; run `nanoup plan` to see the ids");
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
    let policy = crate::policy_file::load(&args.path)?;
    let ledger = crate::log::open_ledger()?;
    let repository = nanoup_ledger::repository_key(&args.path);
    let fetcher = crate::releases::Fetcher::new(&args.path, false)?;
    let fetch = |u: &nanoup_core::NanoUpdate| fetcher.fetch(u);
    // The digests each file had when the plan was made: an update whose file no longer has it
    // (an earlier update changed it) is tried as it is, else planned again. Never refreshed:
    // every later update of a changed file goes through the same check.
    let digests = plan.files.clone();
    let planned_ids: Vec<String> = plan.updates.iter().map(|u| u.id.clone()).collect();
    // Each update attempted, what came of it, and whether it was planned again.
    let mut results: Vec<(NanoUpdate, Row, bool)> = Vec::new();
    // One update attempted: planned again when its files changed, applied, committed and
    // recorded; what came of it, and whether it was planned again.
    let attempt_once = |planned: NanoUpdate| -> Result<(NanoUpdate, Row, bool)> {
        let mut update = planned;
        // A lockfile that changed since the plan (an earlier update of this run, or anything
        // else): the update is planned again against it, so "stale" never ends an update that
        // still has a fix.
        let files_of = |u: &NanoUpdate| -> Vec<String> {
            std::iter::once(&u.file).chain(&u.also).cloned().collect()
        };
        let stale = files_of(&update).iter().any(|file| {
            digests
                .iter()
                .find(|d| d.path == *file)
                .is_some_and(|d| digest_now(&args.path, file).is_some_and(|now| now != *d))
        });
        let limit_of = |update: &NanoUpdate| {
            crate::plan::blast_radius_cap(
                args.planning.max_blast_radius,
                &policy.for_stack(&update.stack),
            )
        };
        let within_limit = |update: &NanoUpdate| -> Result<(), Outcome> {
            match limit_of(update) {
                Some(max) if update.blast_radius.len() > max && !args.allow_large => {
                    Err(Outcome::Refused {
                        reason: format!(
                            "its blast radius is {} entries, above max-blast-radius = {max} \
                             (--max-blast-radius or nanoup.toml); pass --allow-large to apply it",
                            update.blast_radius.len()
                        ),
                    })
                }
                _ => Ok(()),
            }
        };
        let attempt = |update: &NanoUpdate, digests: &[FileDigest]| -> Outcome {
            match within_limit(update) {
                Ok(()) => apply(&args.path, digests, update, args.dry_run, &fetch),
                Err(refused) => refused,
            }
        };
        // Far above the limit, planning it again against the changed files would not bring it
        // within: it is refused as planned, without the search's Cargo runs.
        let far_above_limit = !args.allow_large
            && nanoup_engine::plan::far_above_limit(limit_of(&update), update.blast_radius.len());
        let mut outcome = None;
        let mut replanned = false;
        if stale && !args.dry_run && !far_above_limit {
            // The planned update on the files as they are now: kept when it still moves
            // exactly what it planned (the earlier updates touched other entries). A group or a
            // manifest change is planned again at once: what its parents and companions need
            // depends on the tree as it is now.
            let now: Vec<FileDigest> = files_of(&update)
                .iter()
                .filter_map(|file| digest_now(&args.path, file))
                .collect();
            let first = if update.steps.is_empty() && !update.manifest_change {
                attempt(&update, &now)
            } else {
                Outcome::Refused {
                    reason: format!("{} changed since the plan", update.file),
                }
            };
            if matches!(first, Outcome::Applied { .. }) {
                outcome = Some(first);
            } else {
                match replan(&args, &update, &planned_ids) {
                    Ok(Replanned::Fresh(fresh, files)) => {
                        update = *fresh;
                        replanned = true;
                        outcome = Some(attempt(&update, &files));
                    }
                    // Nothing else to propose: the first attempt's answer stands.
                    Ok(Replanned::Same) => outcome = Some(first),
                    Ok(Replanned::Moved) => {
                        let reason = format!(
                            "an earlier update moved {} from {}; planned again, it needs no \
                             update now",
                            update.name, update.from
                        );
                        return Ok((update, Row::Skipped(reason), false));
                    }
                    Err(e) => {
                        let outcome = Outcome::Refused {
                            reason: e.to_string(),
                        };
                        record(&ledger, &repository, &update, &outcome, None)?;
                        return Ok((update, Row::Done(outcome), false));
                    }
                }
            }
        }
        let mut outcome = match outcome {
            Some(done) => done,
            None => attempt(&update, &digests),
        };
        crash_point("after-write");
        // The target left the tree (the parents npm installed no longer need it): the commit,
        // the ledger and the JSON say "(removed)", not the version it was meant to reach.
        if let Outcome::Applied { changed, .. } = &outcome {
            let target: Vec<_> = changed.iter().filter(|c| c.name == update.name).collect();
            if !target.is_empty() && target.iter().all(|c| c.to.is_none()) {
                update.to = nanoup_core::REMOVED.into();
            }
        }
        let mut commit = None;
        if args.commit
            && let Outcome::Applied { files, changed, .. } = &outcome
        {
            // The trailer counts the measured blast radius.
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
        record(&ledger, &repository, &update, &outcome, commit)?;
        Ok((update, Row::Done(outcome), replanned))
    };
    // Every chosen update once; then once more each one refused for a package a later update
    // of the run moved (what it lacked, `urllib3>=1.26.11`, may be there now), its result
    // taking the first's place.
    for planned in chosen {
        results.push(attempt_once(planned.clone())?);
    }
    if !args.dry_run {
        for index in 0..results.len() {
            let Row::Done(Outcome::Refused { reason }) = &results[index].1 else {
                continue;
            };
            let moved_later = results[index + 1..].iter().any(|(_, row, _)| match row {
                Row::Done(Outcome::Applied { changed, .. }) => {
                    changed.iter().any(|c| names_package(reason, &c.name))
                }
                _ => false,
            });
            if moved_later {
                results[index] = attempt_once(results[index].0.clone())?;
            }
        }
    }
    let refused = results
        .iter()
        .any(|(_, o, _)| matches!(o, Row::Done(Outcome::Refused { .. })));
    let rendered = if args.json {
        let list: Vec<serde_json::Value> = results
            .iter()
            .map(|(u, row, replanned)| {
                let outcome = match row {
                    Row::Done(o) => serde_json::to_value(o).unwrap_or_default(),
                    Row::Skipped(reason) => {
                        serde_json::json!({"status": "skipped", "reason": reason})
                    }
                };
                let mut value = serde_json::to_value(ApplyResult {
                    id: &u.id,
                    stack: &u.stack,
                    name: &u.name,
                    from: &u.from,
                    to: &u.to,
                    replanned: replanned.then_some(u.blast_radius.as_slice()),
                })
                .unwrap_or_default();
                if let (Some(obj), Some(extra)) = (value.as_object_mut(), outcome.as_object()) {
                    obj.extend(extra.clone());
                }
                value
            })
            .collect();
        let doc = serde_json::json!({"schema": "nanoup.apply/v1", "results": list});
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        results
            .iter()
            .map(|(u, row, _)| {
                let what = format!("{} {} {} -> {}", u.id, u.name, u.from, u.to);
                match row {
                    Row::Done(Outcome::Applied {
                        changed, method, ..
                    }) => {
                        let n = changed.len();
                        let entries = if n == 1 { "entry" } else { "entries" };
                        format!("applied  {what} via `{method}` ({n} {entries} changed)\n")
                    }
                    Row::Done(Outcome::Planned { method }) => {
                        format!("would    {what} via `{method}`\n")
                    }
                    Row::Done(Outcome::Refused { reason }) => {
                        format!("refused  {what}: {reason}\n")
                    }
                    Row::Skipped(reason) => format!("skipped  {what}: {reason}\n"),
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

#[cfg(test)]
mod tests {
    use super::names_package;

    #[test]
    fn a_refusal_names_a_package_only_as_a_whole_word() {
        let reason = "poetry.lock:2186: `sentry-sdk` 1.45.1 needs `urllib3>=1.26.11` (the lock \
                      has 1.26.2), which the lock does not satisfy";
        assert!(names_package(reason, "urllib3"));
        assert!(names_package(reason, "sentry-sdk"));
        assert!(!names_package(reason, "sdk"));
        assert!(!names_package(reason, "sentry"));
        assert!(!names_package(reason, "url"));
        let npm = "the new version at \"node_modules/@svgr/webpack\" needs @babel/core@\"^7.12.3\"";
        assert!(names_package(npm, "@babel/core"));
        assert!(!names_package(npm, "webpack"));
    }
}
