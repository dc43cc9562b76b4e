//! `nanoup rollback`: undo one update by its id, alone.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use nanoup_engine::apply::Outcome;

/// Arguments of `nanoup rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The repository's root.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The id of the update to roll back (from `nanoup plan`, or the commit's Nanoup-Update trailer).
    #[arg(long = "id", value_name = "ID")]
    id: String,
    /// Commit the rollback, with a `Nanoup-Rollback: ID` trailer.
    #[arg(long)]
    commit: bool,
}

/// Rolls back and reports. Exit status 0 rolled back, 1 refused, 2 error.
pub fn run(args: RollbackArgs) -> Result<ExitCode> {
    let ledger = crate::log::open_ledger()?;
    let repository = nanoup_ledger::repository_key(&args.path);
    let fetcher = crate::releases::Fetcher::new(&args.path, false)?;
    let fetch = |u: &nanoup_core::NanoUpdate| fetcher.fetch(u);
    let done = match nanoup_engine::rollback::rollback(&args.path, &args.id, &fetch) {
        Ok(done) => done,
        Err(reason) => {
            let mut event =
                nanoup_ledger::Event::new(nanoup_ledger::EventKind::Refusal, &repository)
                    .with_detail("rolls_back", &args.id)
                    .with_detail("reason", &reason);
            event.update_id = Some(args.id.clone());
            ledger.record(&event)?;
            println!("refused  rollback of {}: {reason}", args.id);
            return Ok(ExitCode::from(1));
        }
    };
    let u = &done.inverse;
    let kind = match &done.outcome {
        Outcome::Refused { .. } => nanoup_ledger::EventKind::Refusal,
        _ => nanoup_ledger::EventKind::Rollback,
    };
    let mut event =
        nanoup_ledger::Event::for_update(kind, &repository, u).with_detail("rolls_back", &args.id);
    if let Outcome::Refused { reason } = &done.outcome {
        event = event.with_detail("reason", reason);
    }
    match &done.outcome {
        Outcome::Applied {
            changed, method, ..
        } => {
            if args.commit {
                let message = format!(
                    "revert(deps): roll back nano update {} {} -> {}\n\n{}: {}\n",
                    u.name,
                    u.to,
                    u.from,
                    nanoup_engine::git::ROLLBACK_TRAILER,
                    args.id
                );
                let sha = nanoup_engine::git::commit(&args.path, &[&u.file], &message)
                    .map_err(anyhow::Error::msg)?;
                event.commit = Some(sha);
            }
            ledger.record(&event)?;
            println!(
                "rolled back {} ({} {} -> {}) via `{method}`: {} entry changed",
                args.id,
                u.name,
                u.from,
                u.to,
                changed.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Refused { reason } => {
            ledger.record(&event)?;
            println!("refused  rollback of {}: {reason}", args.id);
            Ok(ExitCode::from(1))
        }
        Outcome::Planned { .. } => Ok(ExitCode::SUCCESS),
    }
}
