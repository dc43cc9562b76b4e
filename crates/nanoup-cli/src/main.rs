//! The `nanoup` command line: argument parsing and wiring of the library crates, nothing else.

mod db;
mod output;
mod scan;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// nanoup keeps software stacks current through nano updates: one component at a time, the
/// smallest version step that does the job, verified, pinpointed and undoable alone.
#[derive(Debug, Parser)]
#[command(name = "nanoup", version, about, long_about = None)]
#[command(
    after_help = "Data directory: $NANOUP_HOME, else $XDG_CACHE_HOME/nanoup, else ~/.cache/nanoup."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Inventory every stack under PATH: Cargo, npm/yarn/pnpm, PyPI, Maven, Go and Dockerfiles.
    ///
    /// Walks PATH (respecting .gitignore, never entering node_modules, target, .git, vendor or
    /// virtualenvs), reads every lockfile and manifest it recognises, and lists each component with
    /// its version, purl, direct/transitive, scope, source and the file and line declaring it.
    ///
    /// Exit status: 0 when every file parsed, 2 when any file could not be read (the other stacks
    /// are still reported, and the errors name file, line and column).
    Scan(scan::ScanArgs),
    /// Import, update and inspect the offline advisory database.
    Db(db::DbArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Db(args) => db::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
