//! `nanoup outdated`: how far behind every component is, from the real registries.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use nanoup_core::{Ecosystem, Source};
use nanoup_drift::lookup::{Wanted, lookup_all, lookup_key};
use nanoup_drift::{Policy, Status};
use nanoup_ecosystems::datasource::Datasource;
use nanoup_http::{CachedClient, Client, Config, Mode};

use crate::output::emit;

/// The registries of one stack, or why each could not be configured.
type StackRegistries = HashMap<Ecosystem, Result<Arc<dyn Datasource>, String>>;

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
    let policy_file = args.path.join(nanoup_policy::POLICY_FILE);
    let policy = if policy_file.is_file() {
        let text = std::fs::read_to_string(&policy_file)
            .with_context(|| format!("cannot read {}", policy_file.display()))?;
        nanoup_policy::parse(&policy_file.display().to_string(), &text)?
    } else {
        nanoup_policy::Policy::default()
    };
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
    let data_dir = nanoup_core::data_dir().context("no data directory: set NANOUP_HOME or HOME")?;
    let config = Config::from_env()?;
    let client = Client::new(Config {
        deadline: Some(Instant::now() + Duration::from_secs(deadline.as_secs().max(1) as u64)),
        ..config
    })?;
    let mode = if args.offline {
        Mode::Offline
    } else {
        Mode::Online
    };
    let cached = CachedClient::new(client, data_dir.join("http-cache"), mode);

    // Registries are configured per stack: a stack's own .npmrc or .cargo/config.toml decides
    // where its packages are looked up. Look-ups are shared by URL.
    let env = |key: &str| std::env::var(key).ok();
    let mut configured: HashMap<String, StackRegistries> = HashMap::new();
    let mut wanted: BTreeMap<String, Wanted> = BTreeMap::new();
    let keys: Vec<Result<String, String>> = components
        .iter()
        .map(|(stack, c)| {
            if c.source != Source::Registry {
                return Err(format!(
                    "{} dependency: no registry to ask",
                    c.source.as_str()
                ));
            }
            if c.version.is_none() {
                return Err("no resolved version to look up".to_string());
            }
            let registries = configured.entry(stack.path.clone()).or_insert_with(|| {
                nanoup_ecosystems::registries(&args.path.join(&stack.path), &env)
                    .into_iter()
                    .map(|(e, r)| (e, r.map_err(|e| format!("registry configuration: {e}"))))
                    .collect()
            });
            let source = match registries.get(&c.ecosystem) {
                None => return Err(format!("no registry look-up for {} packages", c.ecosystem)),
                Some(Err(reason)) => return Err(reason.clone()),
                Some(Ok(source)) => Arc::clone(source),
            };
            let w = Wanted {
                name: c.name.clone(),
                source,
            };
            let key = lookup_key(&w)?;
            wanted.entry(key.clone()).or_insert(w);
            Ok(key)
        })
        .collect();
    let bar = progress_bar(wanted.len() as u64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let answers = runtime.block_on(lookup_all(&cached, wanted, args.concurrency, &|done, _| {
        if let Some(bar) = &bar {
            bar.set_position(done as u64);
        }
    }));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    let policy = Policy {
        now: jiff::Timestamp::now(),
        min_age,
    };
    let drift = components
        .iter()
        .zip(&keys)
        .map(
            |((stack, c), key)| match key.as_ref().map(|k| answers.get(k)) {
                Err(reason) => nanoup_drift::unknown(&stack.path, c, reason.clone()),
                Ok(Some(Ok(found))) => {
                    let mut d = nanoup_drift::assess(&stack.path, c, &found.releases, policy);
                    d.stale = found.stale;
                    d
                }
                Ok(Some(Err(reason))) => nanoup_drift::unknown(&stack.path, c, reason.clone()),
                Ok(None) => nanoup_drift::unknown(&stack.path, c, "not looked up"),
            },
        )
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

/// A progress bar on stderr, only when stderr is a terminal.
fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "looking up {pos}/{len} packages {wide_bar} {elapsed}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}
