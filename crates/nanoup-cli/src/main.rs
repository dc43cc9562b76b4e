//! The `nanoup` command line: argument parsing and wiring of the library crates, nothing else.

mod apply;
mod audit;
mod db;
mod log;
mod outdated;
mod output;
mod plan;
mod policy_file;
mod releases;
mod rollback;
mod scan;
mod verify;

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
    /// Audit every stack under PATH against the offline advisory database.
    ///
    /// Scans like `nanoup scan`, then matches every component against the advisories imported
    /// with `nanoup db import` / `nanoup db update`, with each ecosystem's own version order.
    /// Aliases (RUSTSEC, PYSEC, GO, GHSA, CVE) of one vulnerability make one finding.
    /// Informational advisories (unmaintained, unsound, notice) are warnings, kept apart.
    /// Ignores: `--ignore ID`, or `[[ignore]]` rules with a reason and optional `until` date in
    /// PATH/nanoup.toml; an expired rule stops silencing and says so.
    ///
    /// Exit status: 0 no vulnerability at or above --fail-on, 1 some, 2 error.
    Audit(audit::AuditArgs),
    /// How far behind every component is, from the real registries (crates.io, npm, PyPI, ...).
    ///
    /// For each component: its release date, the latest eligible release, the latest one the
    /// manifest's range allows, releases behind, libyears; yanked or deprecated current versions.
    /// Per stack: total libyears, the share a major or more behind, the oldest component.
    /// A cooldown (--min-age, default 3d) keeps fresh releases pending. Answers are cached in the
    /// data directory and revalidated; --offline answers from the cache alone.
    /// A failed look-up is reported as `unknown` with its reason, never as up to date.
    Outdated(outdated::OutdatedArgs),
    /// Plan nano updates: for each vulnerable component, the lowest real release that clears every
    /// advisory on it (inside the manifest's range if one exists, else marked as a manifest
    /// change); with --drift, one step per outdated component by policy.
    ///
    /// Each update has a stable id (a hash of stack, ecosystem, name, from, to), its kind
    /// (patch, minor, major), its reasons and its blast radius (the lockfile entries it changes).
    /// A vulnerable component without an allowed fix is listed as unfixable, with why.
    Plan(plan::PlanArgs),
    /// Apply planned updates one at a time, each proven to change only its blast radius.
    ///
    /// Reads a plan (`nanoup plan --format json -o plan.json`), refuses an update whose lockfile
    /// changed since the plan, edits (Cargo: `cargo update -p NAME@FROM --precise TO`), then
    /// re-parses the lockfile: if any entry outside the update's blast radius changed, the file is
    /// restored and the update refused. Exit status 0 all applied, 1 some refused, 2 error.
    Apply(apply::ApplyArgs),
    /// Roll back one update by its id, alone: the inverse step of exactly the entries it changed,
    /// verified like any apply. Refuses when a later update changed the same package, unless
    /// --cascade (the later updates are rolled back first, newest first, each on its own).
    Rollback(rollback::RollbackArgs),
    /// Verify planned updates with the project's own tests, with few runs, and name the
    /// update that breaks them.
    ///
    /// Works in git worktrees under the data directory (never in your work tree) on the
    /// committed state. Strategy `split` (default): all updates together, then halve what is
    /// red until one update is left — a culprit once it failed twice alone; updates that fail
    /// only together are an interaction; a red that does not come back is flaky. Strategy
    /// `each`: one run per update. Every run and verdict goes to the ledger; each run's output
    /// to a log under the data directory. --land commits the green updates on a new branch
    /// `nanoup/verified-<date>`, one commit per update, each revertible alone.
    ///
    /// Exit status: 0 every update green, 1 some not, 2 error.
    Verify(verify::VerifyArgs),
    /// List what nanoup did in a repository: every plan, apply, refusal, rollback and commit.
    ///
    /// Reads the ledger in the data directory (ledger.sqlite), newest first: time, kind,
    /// update id, package and versions, and a one-line detail (reasons, blast radius, refusal
    /// reason, commit). --rebuild first adds what PATH's commit trailers (Nanoup-Update,
    /// Nanoup-Rollback) record and the ledger lacks, so a lost ledger can be recovered; it
    /// never adds an event twice.
    ///
    /// Exit status: 0, or 2 on an error (unreadable or damaged ledger, failed rebuild).
    Log(log::LogArgs),
    /// Import, update and inspect the offline advisory database.
    Db(db::DbArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Db(args) => db::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Rollback(args) => rollback::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Log(args) => log::run(args),
        Command::Outdated(args) => outdated::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
