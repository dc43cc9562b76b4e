//! `nanoup verify`: test a batch of planned updates with the project's own tests in git
//! worktrees, with few runs, and name the update that breaks them; `--land` commits the green
//! ones on a branch, one commit per update.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use nanoup_core::{Ecosystem, NanoUpdate, Plan};
use nanoup_verify::compose::Edit;
use nanoup_verify::runner::{INTERRUPTED, TestCommand};
use nanoup_verify::search::{Purpose, Strategy, Verdict};
use nanoup_verify::session::{Batch, Progress, Settings, Verification, verify};
use nanoup_verify::updates::{
    Prepared, default_test, differs_from_head, land, prepare, risk, workspace_key,
};
use nanoup_verify::worktree::{Workspace, git};
use serde::Serialize;

use crate::output::emit;

/// Arguments of `nanoup verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The directory the plan is for (inside a git repository; its committed state is tested).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// The plan to verify (`nanoup plan --format json -o FILE`). Without it, verify plans like
    /// `nanoup plan PATH` (with --drift when given).
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Without --plan: plan drift steps too.
    #[arg(long, conflicts_with = "plan")]
    drift: bool,
    /// Verify only these updates (repeatable).
    #[arg(long = "id", value_name = "ID", required_unless_present = "all")]
    ids: Vec<String>,
    /// Verify every update of the plan.
    #[arg(long, conflicts_with = "ids")]
    all: bool,
    /// The test command (run with `sh -c` in the stack's directory). Default: the stack's `test`
    /// in nanoup.toml, else `cargo test --locked`, `npm ci … && npm test`, or pytest in a venv.
    #[arg(long, value_name = "CMD")]
    test: Option<String>,
    /// How to search: split (adaptive group testing) or each (one run per update).
    #[arg(long, value_enum, default_value_t = StrategyArg::Split)]
    strategy: StrategyArg,
    /// Test runs side by side.
    #[arg(long, value_name = "N", default_value_t = 1)]
    jobs: usize,
    /// A test run longer than this is red, with reason `timeout`.
    #[arg(long, value_name = "AGE", default_value = "30m")]
    timeout: String,
    /// Commit the green updates on a new branch `nanoup/verified-<date>`, one commit per update.
    #[arg(long)]
    land: bool,
    /// With --land: commit on the current branch instead (the work tree must be clean).
    #[arg(long, requires = "land")]
    here: bool,
    /// Print the result as nanoup.verify/v1 JSON.
    #[arg(long)]
    json: bool,
}

/// The `--strategy` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum StrategyArg {
    /// Adaptive group testing: all together, then halve what is red.
    Split,
    /// One run per update.
    Each,
}

/// One update's verdict, as printed.
#[derive(Debug, Serialize)]
struct UpdateVerdict<'a> {
    id: &'a str,
    stack: &'a str,
    name: &'a str,
    from: &'a str,
    to: &'a str,
    verdict: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    with: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// One run, as printed in JSON.
#[derive(Debug, Serialize)]
struct RunSummary {
    stack: String,
    updates: Vec<String>,
    purpose: Purpose,
    red: bool,
    exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    duration_ms: u128,
    log: String,
}

/// Everything verify found, across stacks.
#[derive(Debug, Default)]
struct Report<'a> {
    verdicts: Vec<UpdateVerdict<'a>>,
    runs: Vec<RunSummary>,
    wall: Duration,
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Green => "green",
        Verdict::Culprit => "culprit",
        Verdict::Interaction { .. } => "interaction",
        Verdict::Flaky => "flaky",
    }
}

/// The repository's top directory and PATH relative to it.
fn repository_of(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let top = git(path, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        anyhow::anyhow!(
            "{}: verify works on a git repository's committed state ({e})",
            path.display()
        )
    })?;
    let top = PathBuf::from(top.trim());
    let here = std::fs::canonicalize(path).with_context(|| format!("{}", path.display()))?;
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let prefix = here
        .strip_prefix(&top)
        .unwrap_or(Path::new(""))
        .to_path_buf();
    Ok((top, prefix))
}

fn describe(updates: &[&NanoUpdate], set: &[usize]) -> String {
    let names: Vec<String> = set
        .iter()
        .take(4)
        .map(|&i| format!("{} {}", updates[i].name, updates[i].to))
        .collect();
    let more = if set.len() > 4 {
        format!(", … {} more", set.len() - 4)
    } else {
        String::new()
    };
    format!("{} update(s): {}{more}", set.len(), names.join(", "))
}

/// Runs `nanoup verify`. Exit status 0 when every update is green, 1 when any is not, 2 on an
/// error.
pub fn run(args: VerifyArgs) -> Result<ExitCode> {
    if args.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    let timeout =
        nanoup_policy::parse_age(&args.timeout).map_err(|e| anyhow::anyhow!("--timeout: {e}"))?;
    let timeout = Duration::from_secs(timeout.as_secs().max(1) as u64);
    let (top, prefix) = repository_of(&args.path)?;
    let plan: Plan = match &args.plan {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a nanoup.plan/v1 document", file.display()))?
        }
        None => {
            crate::plan::make(&crate::plan::PlanArgs::defaults(
                args.path.clone(),
                args.drift,
            ))?
            .0
        }
    };
    for id in &args.ids {
        if !plan.updates.iter().any(|u| &u.id == id) {
            bail!("no update {id} in the plan; run `nanoup plan` to see the ids");
        }
    }
    let chosen: Vec<&NanoUpdate> = plan
        .updates
        .iter()
        .filter(|u| args.all || args.ids.contains(&u.id))
        .collect();
    if let Some(path) = differs_from_head(&top, &prefix, &plan.files) {
        bail!(
            "{path} at HEAD is not the file the plan was made from; verify tests committed work: \
             commit your changes, or run `nanoup plan` again"
        );
    }
    let data_dir = nanoup_core::data_dir().context("no data directory: set NANOUP_HOME or HOME")?;
    let key = workspace_key(&top);
    let mut workspace = Workspace::open(&data_dir, &top, &key)?;
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let session = format!(
        "{}-{}",
        jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S"),
        std::process::id()
    );
    let policy = crate::policy_file::load(&args.path)?;
    let fetcher = crate::releases::Fetcher::new(&args.path, false)?;
    let fetch = |u: &NanoUpdate| fetcher.fetch(u);
    eprintln!(
        "verify: applying {} update(s) one by one to learn their edits",
        chosen.len()
    );
    let Prepared { base, edits } = prepare(
        &mut workspace,
        &session,
        &prefix,
        &plan.files,
        &chosen,
        &fetch,
    )?;
    let ledger = crate::log::open_ledger()?;
    let repository = nanoup_ledger::repository_key(&args.path);

    let mut report = Report::default();
    let mut not_applied: BTreeMap<usize, String> = BTreeMap::new();
    for (i, edit) in edits.iter().enumerate() {
        if let Err(reason) = edit {
            not_applied.insert(i, reason.clone());
        }
    }
    // One verification per stack: each has its own test command and directory.
    // Per stack, riskiest first: halving tests first halves, so a culprit near the front is
    // found on red runs alone, and one at the back costs a confirmation run more.
    let mut stacks: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, update) in chosen.iter().enumerate() {
        if !not_applied.contains_key(&i) {
            stacks.entry(update.stack.as_str()).or_default().push(i);
        }
    }
    let mut verdicts: BTreeMap<usize, Verdict> = BTreeMap::new();
    let mut greens: Vec<usize> = Vec::new();
    for (stack, members) in &mut stacks {
        members.sort_by_key(|&i| risk(chosen[i]));
        let mut batch = Batch {
            base: base.clone(),
            edits: members
                .iter()
                .map(|&i| edits[i].clone().unwrap_or_default())
                .collect(),
        };
        let mut kept: Vec<usize> = members.clone();
        for (index, conflict) in batch.conflicts().into_iter().rev() {
            not_applied.insert(members[index], conflict.to_string());
            kept.remove(index);
            batch.edits.remove(index);
        }
        let first = chosen[kept[0]];
        let command = match (args.test.clone(), policy.for_stack(stack).test) {
            (Some(cmd), _) | (None, Some(cmd)) => cmd,
            (None, None) => default_test(first.ecosystem, &first.file).with_context(|| {
                format!(
                    "no default test command for {} stacks; pass --test CMD or set `test` in \
                     nanoup.toml",
                    first.ecosystem
                )
            })?,
        };
        let mut env = Vec::new();
        if first.ecosystem == Ecosystem::Cargo && std::env::var_os("CARGO_TARGET_DIR").is_none() {
            let target = workspace.area().join("cargo-target");
            env.push(("CARGO_TARGET_DIR".into(), target.display().to_string()));
        }
        let settings = Settings {
            strategy: match args.strategy {
                StrategyArg::Split => Strategy::Split,
                StrategyArg::Each => Strategy::Each,
            },
            jobs: args.jobs,
            command: TestCommand {
                shell: command.clone(),
                env,
                timeout,
            },
            stack_dir: prefix.join(stack),
            session: format!("{session}-{}", report.runs.len()),
        };
        let members: Vec<&NanoUpdate> = kept.iter().map(|&i| chosen[i]).collect();
        eprintln!(
            "verify: stack {stack}: {} update(s), `{command}`, strategy {:?}",
            members.len(),
            settings.strategy
        );
        let mut used = 0usize;
        let mut progress = |p: Progress<'_>| match p {
            Progress::Starting {
                number,
                set,
                purpose,
            } => {
                used = number;
                let why = match purpose {
                    Purpose::Decision => "",
                    Purpose::Confirmation => " (confirming)",
                };
                eprintln!("verify: run {number}{why}: {}", describe(&members, set));
            }
            Progress::Finished { number, report } => {
                let how = match (&report.reason, report.exit_code) {
                    (Some(reason), _) => reason.clone(),
                    (None, Some(0)) => "green".into(),
                    (None, Some(code)) => format!("red (exit {code})"),
                    (None, None) => "red".into(),
                };
                eprintln!(
                    "verify: run {number}: {how} in {:.1} s; {used} run(s) so far",
                    report.duration.as_secs_f64()
                );
            }
        };
        let verification: Verification = verify(&mut workspace, &batch, &settings, &mut progress)?;
        report.wall += verification.wall;
        for run in &verification.runs {
            let ids: Vec<String> = run.set.iter().map(|&i| members[i].id.clone()).collect();
            ledger.record_verify_run(&nanoup_ledger::VerifyRun {
                session: session.clone(),
                number: report.runs.len() as i64 + 1,
                time: jiff::Timestamp::now().to_string(),
                repository: repository.clone(),
                purpose: match run.purpose {
                    Purpose::Decision => "decision".into(),
                    Purpose::Confirmation => "confirmation".into(),
                },
                updates: ids.clone(),
                command: command.clone(),
                exit_code: run.report.exit_code.map(i64::from),
                reason: run.report.reason.clone(),
                duration_ms: run.report.duration.as_millis() as i64,
                log_path: run.report.log.display().to_string(),
            })?;
            report.runs.push(RunSummary {
                stack: stack.to_string(),
                updates: ids,
                purpose: run.purpose,
                red: run.report.red(),
                exit_code: run.report.exit_code,
                reason: run.report.reason.clone(),
                duration_ms: run.report.duration.as_millis(),
                log: run.report.log.display().to_string(),
            });
        }
        for (local, verdict) in verification.outcome.verdicts.into_iter().enumerate() {
            let global = kept[local];
            if verdict == Verdict::Green {
                greens.push(global);
            }
            let verdict = match verdict {
                Verdict::Interaction { with } => Verdict::Interaction {
                    with: with.into_iter().map(|l| kept[l]).collect(),
                },
                other => other,
            };
            verdicts.insert(global, verdict);
        }
    }
    for (i, update) in chosen.iter().enumerate() {
        let (verdict, with, reason) = match (verdicts.get(&i), not_applied.get(&i)) {
            (_, Some(reason)) => ("not_applied", Vec::new(), Some(reason.clone())),
            (Some(Verdict::Interaction { with }), _) => (
                "interaction",
                with.iter()
                    .filter(|&&j| j != i)
                    .map(|&j| chosen[j].id.clone())
                    .collect(),
                None,
            ),
            (Some(v), _) => (verdict_name(v), Vec::new(), None),
            (None, None) => ("not_applied", Vec::new(), Some("not verified".into())),
        };
        let detail = serde_json::json!({"with": with, "reason": reason});
        ledger.record_verify_verdict(&nanoup_ledger::VerifyVerdict {
            session: session.clone(),
            time: jiff::Timestamp::now().to_string(),
            repository: repository.clone(),
            update_id: update.id.clone(),
            name: update.name.clone(),
            from: update.from.clone(),
            to: update.to.clone(),
            verdict: verdict.into(),
            detail: detail.to_string(),
        })?;
        report.verdicts.push(UpdateVerdict {
            id: &update.id,
            stack: &update.stack,
            name: &update.name,
            from: &update.from,
            to: &update.to,
            verdict,
            with,
            reason,
        });
    }
    greens.sort_unstable();
    let landed = if args.land && !greens.is_empty() {
        if args.here {
            let dirty = nanoup_engine::git::dirty_files(&top).map_err(anyhow::Error::msg)?;
            if !dirty.is_empty() {
                bail!(
                    "--here commits on the current branch, but the work tree has uncommitted \
                     changes ({}); commit or stash them",
                    dirty.join(", ")
                );
            }
        }
        let green_edits: Vec<(&NanoUpdate, &Edit)> = greens
            .iter()
            .filter_map(|&i| Some((chosen[i], edits[i].as_ref().ok()?)))
            .collect();
        Some(land(
            &mut workspace,
            &top,
            &prefix,
            &green_edits,
            &base,
            args.here,
        )?)
    } else {
        None
    };
    drop(workspace);

    let all_green = report.verdicts.iter().all(|v| v.verdict == "green");
    let rendered = if args.json {
        let mut doc = serde_json::json!({
            "schema": "nanoup.verify/v1",
            "strategy": match args.strategy { StrategyArg::Split => "split", StrategyArg::Each => "each" },
            "runs": report.runs.len(),
            "wall_seconds": (report.wall.as_secs_f64() * 10.0).round() / 10.0,
            "updates": report.verdicts,
            "run_log": report.runs,
        });
        if let Some(landed) = &landed {
            doc["landed"] = serde_json::to_value(landed)?;
        }
        format!("{}\n", serde_json::to_string_pretty(&doc)?)
    } else {
        let mut out = String::new();
        for v in &report.verdicts {
            let extra = match (&v.reason, v.with.is_empty()) {
                (Some(reason), _) => format!("  ({reason})"),
                (None, false) => format!("  (with {})", v.with.join(", ")),
                (None, true) => String::new(),
            };
            let _ = writeln!(
                out,
                "{:<12} {} {} {} -> {}{extra}",
                v.verdict, v.id, v.name, v.from, v.to
            );
        }
        let _ = writeln!(
            out,
            "{} run(s), {:.1} s of test runs",
            report.runs.len(),
            report.wall.as_secs_f64()
        );
        if let Some(landed) = &landed {
            let _ = writeln!(
                out,
                "landed {} commit(s) on {}",
                landed.commits.len(),
                landed.branch
            );
        }
        out
    };
    emit(&rendered, None)?;
    Ok(if all_green {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
