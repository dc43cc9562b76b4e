//! `nanoup audit`: scan, then match every component against the offline advisory database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, ValueEnum};
use nanoup_core::{DatabaseInfo, FindingKind, Severity};
use nanoup_policy::IgnoreRule;

use crate::output::emit;

/// Arguments of `nanoup audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The directory to audit (every stack under it).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = AuditFormat::Table)]
    format: AuditFormat,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with status 1 only for vulnerabilities at or above this severity. A vulnerability
    /// whose advisories give no severity counts as meeting every threshold.
    #[arg(long, value_enum, default_value_t = FailOn::Any)]
    fail_on: FailOn,
    /// Silence an advisory (id or alias) for this run; repeatable. For lasting ignores with a
    /// reason and an expiry date, use `[[ignore]]` in nanoup.toml.
    #[arg(long, value_name = "ID")]
    ignore: Vec<String>,
    /// Warn when the newest import of the advisory data is older than this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    max_age_days: i64,
}

/// The output formats of `nanoup audit`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum AuditFormat {
    /// Grouped by stack, worst first; warnings apart.
    Table,
    /// nanoup.audit/v1 JSON (see docs/formats.md).
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards; locations are lockfile lines.
    Sarif,
    /// A Markdown report for pull requests and issues.
    Markdown,
}

/// The lowest severity that fails the audit.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    /// Any vulnerability.
    Any,
    /// Low or worse.
    Low,
    /// Medium or worse.
    Medium,
    /// High or worse.
    High,
    /// Critical only.
    Critical,
}

impl FailOn {
    fn threshold(self) -> Severity {
        match self {
            FailOn::Any => Severity::None,
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// Audits, renders and writes. Exit status: 0 no vulnerability at or above `--fail-on`, 1 some,
/// 2 an error (no database, unreadable policy, or a file that failed to parse).
pub fn run(args: AuditArgs) -> Result<ExitCode> {
    let index_path = crate::db::index_path()?;
    let index = nanoup_advisories::index::Index::open(&index_path)?;
    let inventory = nanoup_ecosystems::scan(&args.path)?;
    let (policy, cli_rules) = ignore_rules(&args)?;
    let rules_for = |stack: &str| -> Vec<IgnoreRule> {
        let mut rules = cli_rules.clone();
        rules.extend(policy.for_stack(stack).ignores);
        rules
    };
    let mut all_rules = cli_rules.clone();
    all_rules.extend(policy.ignores.iter().cloned());
    all_rules.extend(policy.stacks.iter().flat_map(|s| s.ignores.iter().cloned()));
    let findings = nanoup_advisories::matching::match_inventory(&index, &inventory)?;
    let now = jiff::Timestamp::now();
    let today = now.strftime("%Y-%m-%d").to_string();
    let database = database_info(&index, now, args.max_age_days);
    let mut report = nanoup_advisories::audit::build_report(
        findings,
        &rules_for,
        &all_rules,
        &today,
        database,
        inventory.errors.clone(),
    );
    report.unread = inventory.unread.clone();
    let rendered = match args.format {
        AuditFormat::Table => nanoup_report::audit::table(&report),
        AuditFormat::Json => nanoup_report::audit::json(&report),
        AuditFormat::Sarif => nanoup_report::audit::sarif(&report, env!("CARGO_PKG_VERSION")),
        AuditFormat::Markdown => nanoup_report::audit::markdown(&report),
    };
    emit(&rendered, args.output.as_deref())?;
    if let Some(stale) = &report.database.stale {
        eprintln!("warning: {stale}");
    }
    if !matches!(args.format, AuditFormat::Table) || args.output.is_some() {
        for error in &report.errors {
            eprintln!("error: {error}");
        }
        for expired in &report.expired_ignores {
            eprintln!("warning: {expired}");
        }
    }
    let threshold = args.fail_on.threshold();
    let failing = report
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::Vulnerability && f.severity.is_none_or(|s| s >= threshold));
    Ok(if !report.errors.is_empty() {
        ExitCode::from(2)
    } else if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// PATH/nanoup.toml (its ignore rules, top-level and per stack) and the `--ignore` flags.
fn ignore_rules(args: &AuditArgs) -> Result<(nanoup_policy::Policy, Vec<IgnoreRule>)> {
    let rules: Vec<IgnoreRule> = args
        .ignore
        .iter()
        .map(|id| IgnoreRule {
            id: id.clone(),
            reason: "ignored on the command line".into(),
            until: None,
            origin: "--ignore".into(),
        })
        .collect();
    let policy = crate::policy_file::load(&args.path)?;
    Ok((policy, rules))
}

/// Size, sources and freshness of the index.
fn database_info(
    index: &nanoup_advisories::index::Index,
    now: jiff::Timestamp,
    max_age_days: i64,
) -> DatabaseInfo {
    let last_import = index.sources().iter().map(|s| s.imported_at.clone()).max();
    let stale = index.last_checked().and_then(|t| t.parse::<jiff::Timestamp>().ok()).and_then(|t| {
        let days = (now.as_second() - t.as_second()) / 86_400;
        (days > max_age_days).then(|| {
            format!("advisory data is {days} days old (last checked {t}); run `nanoup db update` or re-import")
        })
    });
    let mut sources: Vec<String> = index.sources().iter().map(|s| s.key.clone()).collect();
    sources.sort();
    DatabaseInfo {
        advisories: index.record_count(),
        sources,
        last_import,
        stale,
    }
}
