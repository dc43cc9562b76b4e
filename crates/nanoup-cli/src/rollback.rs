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
    let fetcher = crate::releases::Fetcher::new(&args.path, false)?;
    let fetch = |u: &nanoup_core::NanoUpdate| fetcher.fetch(u);
    let done = match nanoup_engine::rollback::rollback(&args.path, &args.id, &fetch) {
        Ok(done) => done,
        Err(reason) => {
            println!("refused  rollback of {}: {reason}", args.id);
            return Ok(ExitCode::from(1));
        }
    };
    let u = &done.inverse;
    match &done.outcome {
        Outcome::Applied { changed, method } => {
            if args.commit {
                let message = format!(
                    "revert(deps): roll back nano update {} {} -> {}\n\n{}: {}\n",
                    u.name,
                    u.to,
                    u.from,
                    nanoup_engine::git::ROLLBACK_TRAILER,
                    args.id
                );
                nanoup_engine::git::commit(&args.path, &[&u.file], &message)
                    .map_err(anyhow::Error::msg)?;
            }
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
            println!("refused  rollback of {}: {reason}", args.id);
            Ok(ExitCode::from(1))
        }
        Outcome::Planned { .. } => Ok(ExitCode::SUCCESS),
    }
}
