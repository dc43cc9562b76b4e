//! `nanoup scan`: the inventory of every stack under a directory.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::output::emit;

/// Arguments of `nanoup scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The directory to scan.
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = ScanFormat::Table)]
    format: ScanFormat,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// With the table format, list every component under its stack.
    #[arg(long, short)]
    verbose: bool,
}

/// The output formats of `nanoup scan`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScanFormat {
    /// One line per stack with counts (`-v` lists components).
    Table,
    /// nanoup.scan/v1 JSON (see docs/formats.md).
    Json,
    /// CycloneDX 1.6 JSON SBOM.
    Cyclonedx,
    /// SPDX 2.3 JSON SBOM.
    Spdx,
}

/// Scans, renders and writes; exit status 2 when any file failed to parse.
pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let inventory = nanoup_ecosystems::scan(&args.path)?;
    let rendered = match args.format {
        ScanFormat::Table => nanoup_report::table::scan(&inventory, args.verbose),
        ScanFormat::Json => nanoup_report::json::scan(&inventory),
        ScanFormat::Cyclonedx => nanoup_report::cyclonedx::render(&inventory, &sbom_meta(&args)),
        ScanFormat::Spdx => nanoup_report::spdx::render(&inventory, &sbom_meta(&args)),
    };
    emit(&rendered, args.output.as_deref())?;
    for error in &inventory.errors {
        if !matches!(args.format, ScanFormat::Table) || args.output.is_some() {
            eprintln!("error: {error}");
        }
    }
    Ok(if inventory.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// What an SBOM says about itself: the scanned root's name, nanoup's version, and the creation
/// time (`SOURCE_DATE_EPOCH` when set, for reproducible builds; else now).
fn sbom_meta(args: &ScanArgs) -> nanoup_report::SbomMeta {
    let name = std::fs::canonicalize(&args.path)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| args.path.display().to_string());
    let timestamp = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
        .unwrap_or_else(jiff::Timestamp::now);
    nanoup_report::SbomMeta {
        name,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        timestamp: Some(timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
    }
}
