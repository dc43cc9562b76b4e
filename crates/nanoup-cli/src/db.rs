//! `nanoup db`: import, update and inspect the advisory database.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

/// Arguments of `nanoup db`.
#[derive(Debug, Args)]
pub struct DbArgs {}

/// Runs a `nanoup db` subcommand.
pub fn run(_args: DbArgs) -> Result<ExitCode> {
    anyhow::bail!("not yet implemented")
}
