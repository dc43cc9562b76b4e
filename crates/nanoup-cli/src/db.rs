//! `nanoup db`: import, update and inspect the advisory database.
//!
//! The database is one index file in the data directory (`$NANOUP_HOME/advisories.idx`); every
//! write goes to a temporary file that is renamed into place, so a failed command leaves the
//! previous index in use.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand};
use nanoup_advisories::db::{self, ImportSummary};
use nanoup_advisories::index::{INDEX_FILE, Index, IndexError};
use nanoup_advisories::update::{self, DEFAULT_BASE_URL, Outcome};
use nanoup_core::Ecosystem;

/// How many skipped entries a summary names before it says "and N more".
const SKIPPED_SHOWN: usize = 5;

/// Arguments of `nanoup db`.
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Import advisories from local files into the index.
    ///
    /// Each SOURCE is one of: an osv.dev per-ecosystem export (`all.zip`), a directory of OSV
    /// JSON or PyPA-style YAML files (searched recursively), a single OSV `.json`/`.yaml` file,
    /// or a checkout of RustSec's advisory-db (Markdown advisories under `crates/`).
    ///
    /// A source is known by its canonical path: importing it again replaces its earlier records,
    /// and other sources are kept. Bad entries are skipped and counted, never fatal. The import
    /// is all or nothing: if any SOURCE cannot be read, the index is left as it was.
    ///
    /// Exit status: 0 on success, 2 when the import failed.
    Import(ImportArgs),
    /// Download osv.dev exports for the ecosystems in use and import them.
    ///
    /// Fetches `URL/<ecosystem>/all.zip` for each ecosystem: those given with --ecosystem, else
    /// the ecosystems of the stacks found under PATH (as `nanoup scan` sees them; Dockerfiles
    /// have no OSV ecosystem and are left out). Requests are conditional (ETag /
    /// Last-Modified), so an export that has not changed is not downloaded again.
    ///
    /// Every download is made before anything is written: if one fails, the index is left as it
    /// was. Timeouts and retries can be tuned with NANOUP_HTTP_TIMEOUT (seconds per attempt),
    /// NANOUP_HTTP_READ_TIMEOUT (seconds without data), NANOUP_HTTP_CONNECT_TIMEOUT,
    /// NANOUP_HTTP_RETRIES and NANOUP_HTTP_BACKOFF_MS (first delay between attempts).
    ///
    /// Exit status: 0 on success (also when nothing was found to update), 2 on failure.
    Update(UpdateArgs),
    /// Show what the index holds: sources, record counts per ecosystem, and freshness.
    ///
    /// Prints every source (key, kind, import time, records, per ecosystem), the totals, and a
    /// warning when the newest import is at least --max-age old. The exit status is 0 in every
    /// case but an unreadable index (2).
    Status(StatusArgs),
}

/// Arguments of `nanoup db import`.
#[derive(Debug, Args)]
struct ImportArgs {
    /// Files or directories to import (all.zip, OSV JSON/YAML directory, RustSec checkout).
    #[arg(required = true, value_name = "SOURCE")]
    sources: Vec<PathBuf>,
    /// List every skipped entry, not only the first few.
    #[arg(long, short)]
    verbose: bool,
}

/// Arguments of `nanoup db update`.
#[derive(Debug, Args)]
struct UpdateArgs {
    /// The directory whose stacks choose the ecosystems (ignored with --ecosystem).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Base URL of an osv.dev-style export bucket, holding `<ecosystem>/all.zip`.
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
    source: String,
    /// Update this OSV ecosystem (repeatable): crates.io, npm, PyPI, Maven, Go, or any other
    /// ecosystem of the bucket. Common spellings (cargo, pypi, golang) are accepted.
    #[arg(long = "ecosystem", short, value_name = "E")]
    ecosystems: Vec<String>,
    /// List every skipped entry, not only the first few.
    #[arg(long, short)]
    verbose: bool,
}

/// Arguments of `nanoup db status`.
#[derive(Debug, Args)]
struct StatusArgs {
    /// Warn when the newest import is at least this old (e.g. 7d, 12h, 30m, 0s).
    #[arg(long, value_name = "AGE", default_value = "7d", value_parser = nanoup_policy::parse_age)]
    max_age: jiff::SignedDuration,
}

/// Runs a `nanoup db` subcommand.
pub fn run(args: DbArgs) -> Result<ExitCode> {
    match args.command {
        DbCommand::Import(a) => import(a),
        DbCommand::Update(a) => update_cmd(a),
        DbCommand::Status(a) => status(a),
    }
}

/// The index file, in the data directory.
pub(crate) fn index_path() -> Result<PathBuf> {
    let dir = nanoup_core::data_dir().ok_or_else(|| {
        anyhow!("cannot find a data directory: set NANOUP_HOME (or HOME) to choose one")
    })?;
    Ok(dir.join(INDEX_FILE))
}

/// The index file, with its directory created.
fn writable_index_path() -> Result<PathBuf> {
    let path = index_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    Ok(path)
}

/// Now, as RFC 3339 UTC to the second.
fn now() -> String {
    rfc3339(jiff::Timestamp::now())
}

fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn import(args: ImportArgs) -> Result<ExitCode> {
    let path = writable_index_path()?;
    let summaries = db::import(&path, &args.sources, &now())
        .context("import failed; the advisory index was left unchanged")?;
    let mut out = String::new();
    for s in &summaries {
        write_import(&mut out, "imported", s, args.verbose);
    }
    write_index_line(&mut out, &path)?;
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn update_cmd(args: UpdateArgs) -> Result<ExitCode> {
    let ecosystems = if args.ecosystems.is_empty() {
        let found = ecosystems_in(&args.path)?;
        if found.is_empty() {
            println!(
                "no stacks with an OSV ecosystem under {}; nothing to update \
                 (choose with --ecosystem, e.g. --ecosystem crates.io)",
                args.path.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        found
    } else {
        args.ecosystems
            .iter()
            .map(|e| canonical_ecosystem(e))
            .collect()
    };
    let path = writable_index_path()?;
    let config = nanoup_http::Config::from_env()?;
    let client = nanoup_http::Client::new(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(update::update(
        &path,
        &args.source,
        &ecosystems,
        &client,
        &now(),
    ))?;
    let mut out = String::new();
    for e in &summary.ecosystems {
        match &e.outcome {
            Outcome::NotModified { records } => {
                let _ = writeln!(
                    out,
                    "{}: not modified, kept {records} records ({})",
                    e.ecosystem, e.url
                );
            }
            Outcome::Downloaded { bytes, import } => {
                let _ = writeln!(out, "{}: downloaded {}", e.ecosystem, human_bytes(*bytes));
                write_import(&mut out, "  imported", import, args.verbose);
            }
        }
    }
    if summary
        .ecosystems
        .iter()
        .all(|e| matches!(e.outcome, Outcome::NotModified { .. }))
    {
        out.push_str("records unchanged: every export is current (checked now)\n");
    }
    write_index_line(&mut out, &path)?;
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The OSV ecosystems of the stacks under `path`, in nanoup's ecosystem order; Docker has none.
fn ecosystems_in(path: &Path) -> Result<Vec<String>> {
    let inventory = nanoup_ecosystems::scan(path)
        .with_context(|| format!("cannot scan {} for stacks", path.display()))?;
    let found: BTreeSet<Ecosystem> = inventory
        .stacks
        .iter()
        .map(|s| s.ecosystem)
        .filter(|e| *e != Ecosystem::Docker)
        .collect();
    Ok(found
        .into_iter()
        .map(|e| e.osv_name().to_string())
        .collect())
}

/// The OSV spelling of an ecosystem name typed by a user; unknown names pass through as given.
fn canonical_ecosystem(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let known = match lower.as_str() {
        "crates.io" | "cargo" | "crates" | "rust" => Ecosystem::Cargo,
        "npm" | "yarn" | "pnpm" => Ecosystem::Npm,
        "pypi" | "python" | "pip" => Ecosystem::PyPI,
        "maven" => Ecosystem::Maven,
        "go" | "golang" => Ecosystem::Go,
        _ => return name.trim().to_string(),
    };
    known.osv_name().to_string()
}

/// One source's import, as a few readable lines.
fn write_import(out: &mut String, verb: &str, s: &ImportSummary, verbose: bool) {
    let per: Vec<String> = s
        .per_ecosystem
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    let per = if per.is_empty() {
        String::new()
    } else {
        format!(" ({})", per.join(", "))
    };
    let _ = write!(
        out,
        "{verb} {} [{}]: {} records{per}",
        s.key, s.kind, s.records
    );
    if s.replaced > 0 {
        let _ = write!(out, ", replacing {} earlier", s.replaced);
    }
    let _ = writeln!(out, ", {} skipped", s.skipped.len());
    let shown = if verbose {
        s.skipped.len()
    } else {
        SKIPPED_SHOWN
    };
    for reason in s.skipped.iter().take(shown) {
        let _ = writeln!(out, "    skipped {reason}");
    }
    if s.skipped.len() > shown {
        let _ = writeln!(
            out,
            "    ... and {} more (--verbose lists all)",
            s.skipped.len() - shown
        );
    }
}

fn write_index_line(out: &mut String, path: &Path) -> Result<()> {
    let index = Index::open(path)?;
    let _ = writeln!(
        out,
        "index {}: {} records from {} sources",
        path.display(),
        index.record_count(),
        index.sources().len()
    );
    Ok(())
}

fn status(args: StatusArgs) -> Result<ExitCode> {
    let path = index_path()?;
    let index = match Index::open(&path) {
        Ok(index) => index,
        Err(IndexError::Missing(_)) => {
            println!(
                "no advisory index yet at {}: run `nanoup db import SOURCE` or `nanoup db update`",
                path.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(other) => return Err(other.into()),
    };
    let mut out = String::new();
    let _ = writeln!(out, "index {}", path.display());
    let _ = writeln!(out, "sources: {}", index.sources().len());
    let mut newest: Option<jiff::Timestamp> = None;
    for s in index.sources() {
        let _ = writeln!(out, "  {}", s.key);
        let _ = writeln!(
            out,
            "    kind {}, imported {}, checked {}, {} records, {} skipped",
            s.kind, s.imported_at, s.checked_at, s.records, s.skipped
        );
        for (e, n) in &s.per_ecosystem {
            let _ = writeln!(out, "    {e:<12} {n:>7}");
        }
        if let Ok(t) = s.checked_at.parse::<jiff::Timestamp>() {
            newest = newest.max(Some(t));
        }
    }
    let _ = writeln!(out, "records: {}", index.record_count());
    for (e, n) in index.counts_per_ecosystem() {
        let _ = writeln!(out, "  {e:<14} {n:>7}");
    }
    print!("{out}");
    let now = jiff::Timestamp::now();
    match newest {
        Some(t) => {
            let age = now.duration_since(t);
            if age >= args.max_age {
                eprintln!(
                    "warning: the advisory data was last checked current at {} ({} ago), at least \
                     the --max-age of {}; run `nanoup db update`",
                    rfc3339(t),
                    friendly(age),
                    friendly(args.max_age)
                );
            }
        }
        None if !index.sources().is_empty() => {
            eprintln!("warning: no source has a readable import time; run `nanoup db update`");
        }
        None => {
            eprintln!("warning: the index holds no sources; run `nanoup db update`");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A duration like `7d 2h` (days of 24 hours), for messages.
fn friendly(d: jiff::SignedDuration) -> String {
    let secs = d.as_secs().max(0);
    let (days, hours, mins, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m"), (s, "s")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".to_string()
    } else {
        parts.join(" ")
    }
}

/// Parses `--max-age`: a friendly span (`7d`, `12h`, `1w 2d`, `0s`) or ISO 8601 (`P7D`), with
/// days of 24 hours. Months and years are refused (their length varies).
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_spellings() {
        assert_eq!(canonical_ecosystem("cargo"), "crates.io");
        assert_eq!(canonical_ecosystem("pypi"), "PyPI");
        assert_eq!(canonical_ecosystem("golang"), "Go");
        assert_eq!(canonical_ecosystem("Debian:12"), "Debian:12");
    }

    #[test]
    fn friendly_durations() {
        assert_eq!(
            friendly(jiff::SignedDuration::from_secs(90_061)),
            "1d 1h 1m 1s"
        );
        assert_eq!(friendly(jiff::SignedDuration::ZERO), "0s");
        assert_eq!(human_bytes(1_215_249), "1.2 MiB");
    }
}
