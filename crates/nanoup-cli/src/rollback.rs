//! `nanoup rollback`: undo one update by its id, alone; with `--cascade`, the later updates of
//! the same package first (newest first), each as its own rollback.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use nanoup_engine::apply::{Outcome, RegistryFetch};
use nanoup_ledger::{Event, EventKind, Ledger};

/// Arguments of `nanoup rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The repository's root.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The id of the update to roll back (from `nanoup plan`, or the commit's Nanoup-Update trailer).
    #[arg(long = "id", value_name = "ID")]
    id: String,
    /// Commit the rollback, with a `Nanoup-Rollback: ID` trailer (with --cascade, one commit
    /// per rolled-back update).
    #[arg(long)]
    commit: bool,
    /// When later updates changed the same package, roll them back first, newest first, each
    /// on its own, then ID; stops at the first refusal.
    #[arg(long)]
    cascade: bool,
}

/// Where the rollbacks of one run are recorded.
struct Context<'a> {
    args: &'a RollbackArgs,
    ledger: &'a Ledger,
    repository: &'a str,
    fetch: RegistryFetch<'a>,
}

/// Rolls back and reports. Exit status 0 rolled back, 1 refused, 2 error.
pub fn run(args: RollbackArgs) -> Result<ExitCode> {
    let ledger = crate::log::open_ledger()?;
    let repository = nanoup_ledger::repository_key(&args.path);
    let fetcher = crate::releases::Fetcher::new(&args.path, false)?;
    let fetch = |u: &nanoup_core::NanoUpdate| fetcher.fetch(u);
    let context = Context {
        args: &args,
        ledger: &ledger,
        repository: &repository,
        fetch: &fetch,
    };
    let order = if args.cascade {
        match nanoup_engine::rollback::cascade_order(&args.path, &args.id) {
            Ok(order) => order,
            Err(reason) => {
                context.refused_before_start(&args.id, &reason)?;
                return Ok(ExitCode::from(1));
            }
        }
    } else {
        vec![args.id.clone()]
    };
    if let Some((_, later)) = order.split_last()
        && !later.is_empty()
    {
        println!(
            "cascade: rolling back {} first (newest first), then {}",
            later.join(", "),
            args.id
        );
    }
    let mut done: Vec<String> = Vec::new();
    for id in &order {
        if !context.step(id, &done)? {
            if args.cascade {
                println!(
                    "cascade stopped at {id}: {}; {} not rolled back",
                    if done.is_empty() {
                        "nothing was rolled back".to_string()
                    } else {
                        format!(
                            "rolled back so far: {}{}",
                            done.join(", "),
                            if args.commit {
                                " (committed)"
                            } else {
                                " (in the work tree, not committed)"
                            }
                        )
                    },
                    args.id
                );
            }
            return Ok(ExitCode::from(1));
        }
        done.push(id.clone());
    }
    Ok(ExitCode::SUCCESS)
}

impl Context<'_> {
    /// Records and prints a refusal that came before any rollback was tried.
    fn refused_before_start(&self, id: &str, reason: &str) -> Result<()> {
        let mut event = Event::new(EventKind::Refusal, self.repository)
            .with_detail("rolls_back", id)
            .with_detail("reason", reason);
        event.update_id = Some(id.to_string());
        self.ledger.record(&event)?;
        println!("refused  rollback of {id}: {reason}");
        Ok(())
    }

    /// Rolls back update `id` (the updates in `done` already rolled back by this run), commits
    /// it with --commit, records it; whether it was rolled back.
    fn step(&self, id: &str, done: &[String]) -> Result<bool> {
        let args = self.args;
        let rolled = match nanoup_engine::rollback::rollback_after(&args.path, id, done, self.fetch)
        {
            Ok(rolled) => rolled,
            Err(reason) => {
                self.refused_before_start(id, &reason)?;
                return Ok(false);
            }
        };
        let u = &rolled.inverse;
        let kind = match &rolled.outcome {
            Outcome::Refused { .. } => EventKind::Refusal,
            _ => EventKind::Rollback,
        };
        let mut event = Event::for_update(kind, self.repository, u).with_detail("rolls_back", id);
        if args.cascade && id != args.id {
            event = event.with_detail("cascade_of", &args.id);
        }
        if let Outcome::Refused { reason } = &rolled.outcome {
            event = event.with_detail("reason", reason);
        }
        match &rolled.outcome {
            Outcome::Applied {
                changed,
                method,
                files,
            } => {
                if args.commit {
                    let message = format!(
                        "revert(deps): roll back nano update {} {} -> {}\n\n{}: {}\n",
                        u.name,
                        u.to,
                        u.from,
                        nanoup_engine::git::ROLLBACK_TRAILER,
                        id
                    );
                    // Every file the rollback wrote: the lockfile, and the manifests or other
                    // pinning files the update had changed with it.
                    let written: Vec<&str> = files.iter().map(String::as_str).collect();
                    match nanoup_engine::git::commit(&args.path, &written, &message) {
                        Ok(sha) => event.commit = Some(sha),
                        Err(e) => {
                            // As apply does: the work tree holds the rollback, git does not.
                            let reason = format!(
                                "rolled back in the work tree but not committed: {e}; commit \
                                 {} by hand with the trailer `{}: {id}`",
                                files.join(", "),
                                nanoup_engine::git::ROLLBACK_TRAILER
                            );
                            let mut refusal =
                                Event::for_update(EventKind::Refusal, self.repository, u)
                                    .with_detail("rolls_back", id)
                                    .with_detail("reason", &reason);
                            if args.cascade && id != args.id {
                                refusal = refusal.with_detail("cascade_of", &args.id);
                            }
                            self.ledger.record(&refusal)?;
                            println!("refused  rollback of {id}: {reason}");
                            return Ok(false);
                        }
                    }
                }
                self.ledger.record(&event)?;
                println!(
                    "rolled back {id} ({} {} -> {}) via `{method}`: {} entry changed",
                    u.name,
                    u.from,
                    u.to,
                    changed.len()
                );
                Ok(true)
            }
            Outcome::Refused { reason } => {
                self.ledger.record(&event)?;
                println!("refused  rollback of {id}: {reason}");
                Ok(false)
            }
            Outcome::Planned { .. } => Ok(true),
        }
    }
}
