//! `nanoup outdated`: how far behind every component is, from the real registries.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use nanoup_drift::{Policy, Status};

use crate::output::emit;

/// Arguments of `nanoup outdated`.
#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// The directory to look at (every stack under it).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = OutdatedFormat::Table)]
    format: OutdatedFormat,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only the stacks' direct dependencies.
    #[arg(long)]
    direct: bool,
    /// Answer from the local HTTP cache only; answers older than the freshness window are
    /// marked stale, packages never fetched are unknown.
    #[arg(long)]
    offline: bool,
    /// Cooldown: releases younger than this are never "latest", only pending (e.g. 3d, 12h, 0s).
    /// Default: `min-age` in PATH/nanoup.toml, else 3d.
    #[arg(long, value_name = "AGE")]
    min_age: Option<String>,
    /// Look-ups in flight at once (each registry host also gets at most 32 connections).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Give up on look-ups still unanswered after this long; they are reported unknown.
    #[arg(long, value_name = "AGE", default_value = "120s")]
    deadline: String,
    /// With the table format, list current components too.
    #[arg(long, short)]
    all: bool,
}

/// The output formats of `nanoup outdated`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutdatedFormat {
    /// Per stack, worst offenders first.
    Table,
    /// nanoup.outdated/v1 JSON (see docs/formats.md).
    Json,
}

/// Looks up, assesses, renders. Exit status 0, or 2 on an error (a file that failed to parse,
/// or a bad option); unknown look-ups are reported, not fatal.
pub fn run(args: OutdatedArgs) -> Result<ExitCode> {
    let inventory = nanoup_ecosystems::scan(&args.path)?;
    let policy = crate::policy_file::load(&args.path)?;
    let (min_age_text, min_age) = match (&args.min_age, policy.min_age) {
        (Some(text), _) => (
            text.clone(),
            nanoup_policy::parse_age(text).map_err(|e| anyhow::anyhow!("--min-age: {e}"))?,
        ),
        (None, Some(from_file)) => from_file,
        (None, None) => ("3d".to_string(), jiff::SignedDuration::from_hours(72)),
    };
    let deadline =
        nanoup_policy::parse_age(&args.deadline).map_err(|e| anyhow::anyhow!("--deadline: {e}"))?;
    let components: Vec<_> = inventory
        .components()
        .filter(|(_, c)| !args.direct || c.direct)
        .collect();
    let answers = crate::releases::look_up(
        &args.path,
        &components,
        &crate::releases::LookupOptions {
            offline: args.offline,
            deadline,
            concurrency: args.concurrency,
        },
    )?;

    let policy = Policy {
        now: jiff::Timestamp::now(),
        min_age,
    };
    let drift = components
        .iter()
        .zip(answers)
        .map(|((stack, c), answer)| match answer {
            Ok(found) => {
                let mut d = nanoup_drift::assess(&stack.path, c, &found.releases, policy);
                d.stale = found.stale;
                d
            }
            Err(reason) => nanoup_drift::unknown(&stack.path, c, reason),
        })
        .collect();
    let report = nanoup_drift::summarize(drift, min_age_text);
    let rendered = match args.format {
        OutdatedFormat::Table => nanoup_report::outdated::table(&report, args.all),
        OutdatedFormat::Json => nanoup_report::outdated::json(&report),
    };
    emit(&rendered, args.output.as_deref())?;
    for error in &inventory.errors {
        eprintln!("error: {error}");
    }
    let unknown = report
        .components
        .iter()
        .filter(|c| c.status == Status::Unknown)
        .count();
    if unknown > 0 {
        eprintln!(
            "note: {unknown} components have status unknown (see their reasons); unknown never means up to date"
        );
    }
    Ok(if inventory.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
