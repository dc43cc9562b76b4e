//! `nanoup plan`: the nano updates that fix vulnerabilities (and, with --drift, reduce drift).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use nanoup_core::{Ecosystem, FileDigest, FindingKind, PLAN_SCHEMA, Plan, Unfixable, UpdateKind};
use nanoup_ecosystems::pypi::edit::FileKind;
use nanoup_engine::cargo::search::{SearchError, SearchPolicy};
use nanoup_engine::plan::{
    StepPolicy, affecting, clean_versions, drift_step, fix_step, fix_targets, partial_versions,
    step_allowed,
};
use nanoup_versions::Scheme;

use crate::output::emit;

/// Arguments of `nanoup plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The directory to plan for (every stack under it).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = PlanFormat::Table)]
    format: PlanFormat,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// What to plan, and how to look up releases.
    #[command(flatten)]
    pub options: PlanOptions,
}

/// The planning options `nanoup plan` shares with `nanoup apply` (which plans first when it is
/// given no plan, and plans an update again when an earlier one changed its lockfile).
#[derive(Debug, Clone, Args)]
pub struct PlanOptions {
    /// Also propose one drift step per outdated component (newest patch first, then the next
    /// minor; majors only when allowed).
    #[arg(long)]
    pub drift: bool,
    /// With --drift, only direct dependencies.
    #[arg(long)]
    pub direct: bool,
    /// Step kinds allowed (comma-separated). Default: patch,minor,major for vulnerability fixes
    /// (a major fix is still better than none, and is marked), patch,minor for drift.
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub allow: Vec<String>,
    /// Cooldown: releases younger than this are never proposed. Default: `min-age` in
    /// PATH/nanoup.toml, else 3d.
    #[arg(long, value_name = "AGE")]
    pub min_age: Option<String>,
    /// Answer registry look-ups from the local cache only.
    #[arg(long)]
    pub offline: bool,
    /// Give up on look-ups still unanswered after this long.
    #[arg(long, value_name = "AGE", default_value = "120s")]
    pub deadline: String,
    /// Updates may move at most N lockfile entries (overrides `max-blast-radius` in
    /// nanoup.toml; default 50; 0: no limit): where the full fix of a Cargo crate moves more,
    /// the plan proposes a partial fix within N when one exists, and apply refuses larger
    /// updates unless given --allow-large, saying so.
    #[arg(long, value_name = "N")]
    pub max_blast_radius: Option<usize>,
}

impl PlanOptions {
    /// The defaults of `nanoup plan` (with `--drift` when `drift`).
    pub fn defaults(drift: bool) -> PlanOptions {
        PlanOptions {
            drift,
            direct: false,
            allow: Vec::new(),
            min_age: None,
            offline: false,
            deadline: "120s".into(),
            max_blast_radius: None,
        }
    }
}

/// The output formats of `nanoup plan`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum PlanFormat {
    /// One line per update, then what cannot be fixed.
    Table,
    /// nanoup.plan/v1 JSON (see docs/formats.md).
    Json,
}

fn kinds(names: &[String]) -> Result<Option<BTreeSet<UpdateKind>>> {
    if names.is_empty() {
        return Ok(None);
    }
    names
        .iter()
        .map(|n| match n.trim() {
            "patch" => Ok(UpdateKind::Patch),
            "minor" => Ok(UpdateKind::Minor),
            "major" => Ok(UpdateKind::Major),
            other => {
                anyhow::bail!("--allow: unknown kind {other:?}; expected patch, minor or major")
            }
        })
        .collect::<Result<_>>()
        .map(Some)
}

/// Plans and renders. Exit status 0, or 2 on an error (no advisory index, a file that failed to
/// parse).
pub fn run(args: PlanArgs) -> Result<ExitCode> {
    let (plan, errors) = make(&args)?;
    let rendered = match args.format {
        PlanFormat::Table => nanoup_report::plan::table(&plan),
        PlanFormat::Json => nanoup_report::plan::json(&plan),
    };
    emit(&rendered, args.output.as_deref())?;
    for error in &errors {
        eprintln!("error: {error}");
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

impl PlanArgs {
    /// The arguments `nanoup plan PATH [--drift]` gets by default: what `nanoup verify` plans
    /// with when it is given no plan.
    pub fn defaults(path: PathBuf, drift: bool) -> PlanArgs {
        PlanArgs::json(path, PlanOptions::defaults(drift))
    }

    /// `nanoup plan PATH --format json` with `options`.
    pub fn json(path: PathBuf, options: PlanOptions) -> PlanArgs {
        PlanArgs {
            path,
            format: PlanFormat::Json,
            output: None,
            options,
        }
    }
}

/// Makes the plan (and records it in the ledger); also returns the files that could not be
/// read, each with its place.
pub fn make(args: &PlanArgs) -> Result<(Plan, Vec<String>)> {
    make_for(args, &|_, _| true)
}

/// [`make`] for the components `only` selects (by stack path and component).
pub fn make_for(
    args: &PlanArgs,
    only: &dyn Fn(&str, &nanoup_core::Component) -> bool,
) -> Result<(Plan, Vec<String>)> {
    let inventory = nanoup_ecosystems::scan(&args.path)?;
    let policy = crate::policy_file::load(&args.path)?;
    let default_min_age = match (&args.options.min_age, &policy.min_age) {
        (Some(text), _) => {
            nanoup_policy::parse_age(text).map_err(|e| anyhow::anyhow!("--min-age: {e}"))?
        }
        (None, Some((_, age))) => *age,
        (None, None) => jiff::SignedDuration::from_hours(72),
    };
    let deadline = nanoup_policy::parse_age(&args.options.deadline)
        .map_err(|e| anyhow::anyhow!("--deadline: {e}"))?;
    let allowed = kinds(&args.options.allow)?;
    let now = jiff::Timestamp::now();
    let today = now.strftime("%Y-%m-%d").to_string();
    // The step policy of one component: --allow, else the stack's `allow` in nanoup.toml, else
    // patch+minor+major for fixes and patch+minor for drift; the stack's cooldown; its holds.
    let step_policy =
        |stack: &str, ecosystem: nanoup_core::Ecosystem, name: &str, fixing: bool| -> StepPolicy {
            let rules = policy.for_stack(stack);
            let explicit = policy.allow.is_some()
                || policy
                    .stacks
                    .iter()
                    .any(|r| r.allow.is_some() && r.matches(stack));
            let allow = match (&allowed, explicit, fixing) {
                (Some(kinds), _, _) => kinds.clone(),
                (None, true, _) => rules.allow.clone(),
                (None, false, true) => {
                    [UpdateKind::Patch, UpdateKind::Minor, UpdateKind::Major].into()
                }
                (None, false, false) => [UpdateKind::Patch, UpdateKind::Minor].into(),
            };
            let min_age = match (&args.options.min_age, &rules.min_age) {
                (Some(_), _) | (None, None) => default_min_age,
                (None, Some((_, age))) => *age,
            };
            let held_below =
                nanoup_versions::Scheme::for_ecosystem(ecosystem.osv_name()).and_then(|scheme| {
                    rules
                        .holds
                        .iter()
                        .find(|h| {
                            h.applies_to(ecosystem) && !h.expired(&today) && h.names(name, scheme)
                        })
                        .map(|h| h.below.clone())
                });
            StepPolicy {
                now,
                min_age,
                allow,
                held_below,
            }
        };

    // Drift planning needs no advisories; fixing vulnerabilities does.
    let index = match nanoup_advisories::index::Index::open(&crate::db::index_path()?) {
        Ok(index) => index,
        Err(nanoup_advisories::index::IndexError::Missing(path)) if args.options.drift => {
            eprintln!(
                "warning: no advisory index at {}: planning drift only",
                path.display()
            );
            nanoup_advisories::index::Index::empty(&path)
        }
        Err(other) => return Err(other.into()),
    };
    let findings = nanoup_advisories::matching::match_inventory(&index, &inventory)?;
    let active: Vec<_> = policy
        .ignores
        .iter()
        .filter(|r| !r.expired(&today))
        .collect();
    let mut reasons: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f.kind == FindingKind::Vulnerability)
    {
        if active
            .iter()
            .any(|r| r.id == f.id || f.aliases.contains(&r.id))
        {
            continue;
        }
        reasons
            .entry((f.stack.clone(), f.name.clone(), f.version.clone()))
            .or_default()
            .push(f.id.clone());
    }

    let components: Vec<_> = inventory
        .components()
        .filter(|(s, c)| only(&s.path, c))
        .filter(|(s, c)| {
            let vulnerable = c.version.as_ref().is_some_and(|v| {
                reasons.contains_key(&(s.path.clone(), c.name.clone(), v.clone()))
            });
            vulnerable || (args.options.drift && (!args.options.direct || c.direct))
        })
        .collect();
    let answers = crate::releases::look_up(
        &args.path,
        &components,
        &crate::releases::LookupOptions {
            offline: args.options.offline,
            deadline,
            concurrency: 64,
        },
    )?;

    let fetcher = crate::releases::Fetcher::new(&args.path, args.options.offline)?;
    let fetch_index =
        |stack: &str, name: &str| fetcher.fetch_package(stack, Ecosystem::Cargo, name);
    let mut cargo_planner = nanoup_engine::cargo::Planner::new(&args.path, &fetch_index);
    // Each PyPI lockfile's text, read once (see `runnable_releases`).
    let mut locks: HashMap<String, Option<String>> = HashMap::new();
    // Whether policy lets a parent or companion of a fix move (in the stack at `stack`).
    let may_move_in = |stack: &str, ecosystem: Ecosystem| {
        let stack = stack.to_string();
        let scheme = Scheme::for_ecosystem(ecosystem.osv_name()).unwrap_or(Scheme::SemVer);
        let step_policy = &step_policy;
        let index = &index;
        move |name: &str, from: Option<&str>, to: &str, published: Option<&str>| {
            let rules = step_policy(&stack, ecosystem, name, true);
            // An added entry is no step: only its advisories matter. A moved one may keep
            // advisories it already had (a parent still vulnerable otherwise, as the native
            // tool would leave it) but gain none.
            let advisories = index
                .advisories_for(ecosystem.osv_name(), name)
                .unwrap_or_default();
            let ids = |v: &str| affecting(ecosystem.osv_name(), name, &advisories, v);
            from.is_none_or(|from| step_allowed(scheme, from, to, published, &rules))
                && ids(to).is_subset(&from.map(&ids).unwrap_or_default())
        }
    };
    let mut plan = Plan {
        schema: PLAN_SCHEMA.to_string(),
        updates: Vec::new(),
        unfixable: Vec::new(),
        files: Vec::new(),
    };
    for ((stack, c), answer) in components.iter().zip(answers) {
        let version = c.version.clone().unwrap_or_default();
        let ids = reasons.get(&(stack.path.clone(), c.name.clone(), version.clone()));
        match (ids, answer) {
            (Some(ids), Ok(found)) => {
                let advisories = index.advisories_for(c.ecosystem.osv_name(), &c.name)?;
                let rules = step_policy(&stack.path, c.ecosystem, &c.name, true);
                let releases = runnable_releases(&args.path, c, &found.releases, &mut locks);
                let step = fix_step(&stack.path, c, &releases, &advisories, ids.clone(), &rules);
                // What a search for the minimal consistent change may move besides the target.
                let may_move = may_move_in(&stack.path, c.ecosystem);
                let stack_policy = policy.for_stack(&stack.path);
                let cap = blast_radius_cap(args.options.max_blast_radius, &stack_policy);
                let search_policy = SearchPolicy {
                    manifest_changes: stack_policy.manifest_changes,
                    may_move: &may_move,
                    max_blast_radius: cap,
                };
                let read_file = || {
                    std::fs::read_to_string(args.path.join(&c.file))
                        .with_context(|| format!("cannot read {}", c.file))
                };
                // A step that clears only some of the advisories (no release clears them all
                // within policy and the lock's Pythons): the rest are named as unfixable.
                if let Ok(update) = &step
                    && !(c.ecosystem == Ecosystem::Cargo && is_cargo_lock(&c.file))
                {
                    let left: Vec<String> = ids
                        .iter()
                        .filter(|id| !update.reasons.contains(id))
                        .cloned()
                        .collect();
                    if !left.is_empty() {
                        let reason = format!(
                            "no release within policy{} clears these; {} {} clears the others",
                            if releases.len() < found.releases.len() {
                                " that the lock's Pythons and dependents accept"
                            } else {
                                ""
                            },
                            update.name,
                            update.to
                        );
                        plan.unfixable
                            .push(unfixable(stack, c, &version, &left, reason));
                    }
                }
                match step {
                    Ok(update) if c.ecosystem == Ecosystem::Cargo && is_cargo_lock(&c.file) => {
                        // The lowest clean version may not fit the dependents: search the
                        // minimal consistent change with Cargo.
                        let clean = clean_versions(c, &found.releases, &advisories, &rules);
                        // When no fix fits (or none within the cap), the smallest step that
                        // clears some of the advisories and gains none.
                        let partial = |planner: &mut nanoup_engine::cargo::Planner<'_>,
                                       reason: String| {
                            let versions =
                                partial_versions(c, &found.releases, &advisories, &rules);
                            let found = (!versions.is_empty())
                                .then(|| planner.refine(update.clone(), &versions, &search_policy))
                                .and_then(Result::ok)
                                .filter(|p| cap.is_none_or(|m| p.blast_radius.len() <= m));
                            found.map(|p| {
                                let cleared = affecting(
                                    Ecosystem::Cargo.osv_name(),
                                    &c.name,
                                    &advisories,
                                    &p.to,
                                );
                                let (left, fixed): (Vec<String>, Vec<String>) =
                                    ids.iter().cloned().partition(|id| cleared.contains(id));
                                let left_behind = (!left.is_empty())
                                    .then(|| unfixable(stack, c, &version, &left, reason.clone()));
                                (with_reasons(p, fixed), left_behind)
                            })
                        };
                        match cargo_planner.refine(update.clone(), &clean, &search_policy) {
                            Ok(refined) if cap.is_none_or(|m| refined.blast_radius.len() <= m) => {
                                plan.updates.push(refined)
                            }
                            Ok(refined) => {
                                let reason = format!(
                                    "the fix ({} -> {}) moves {} entries, above \
                                     max-blast-radius = {}",
                                    refined.from,
                                    refined.to,
                                    refined.blast_radius.len(),
                                    cap.unwrap_or_default()
                                );
                                match partial(&mut cargo_planner, reason) {
                                    Some((p, left)) => {
                                        plan.updates.push(p);
                                        plan.unfixable.extend(left);
                                    }
                                    // apply refuses it, naming the cap.
                                    None => plan.updates.push(refined),
                                }
                            }
                            Err(SearchError::NoFix(reason)) => {
                                match partial(&mut cargo_planner, reason.clone()) {
                                    Some((p, left)) => {
                                        plan.updates.push(p);
                                        plan.unfixable.extend(left);
                                    }
                                    None => plan
                                        .unfixable
                                        .push(unfixable(stack, c, &version, ids, reason)),
                                }
                            }
                            Err(SearchError::Unavailable(reason)) => {
                                eprintln!(
                                    "warning: {} {}: planned without the resolver-aware \
                                     search ({reason}); apply checks it with Cargo",
                                    c.name, version
                                );
                                plan.updates.push(update)
                            }
                        }
                    }
                    Ok(update) if c.ecosystem == Ecosystem::Npm && is_npm_lock(&c.file) => {
                        // The dependents' ranges (in the lockfile) may exclude the lowest clean
                        // version, or every one: search for the version they accept, or the
                        // parent bumps that make one acceptable.
                        let clean = fix_targets(c, &releases, &advisories, &rules);
                        let lock = read_file()?;
                        let fetch =
                            |name: &str| fetcher.fetch_package(&stack.path, Ecosystem::Npm, name);
                        let target = nanoup_engine::npm::Target {
                            name: &c.name,
                            from: &version,
                            clean: &clean,
                            why: update.reasons.join(", "),
                        };
                        match nanoup_engine::npm::find_fix(&lock, &target, &fetch, &search_policy) {
                            Ok(found) => plan
                                .updates
                                .push(nanoup_engine::npm::with_found(update, found)),
                            Err(SearchError::NoFix(reason)) => plan
                                .unfixable
                                .push(unfixable(stack, c, &version, ids, reason)),
                            Err(SearchError::Unavailable(reason)) => {
                                eprintln!(
                                    "warning: {} {}: planned without reading its dependents' \
                                     ranges ({reason}); apply checks them",
                                    c.name, version
                                );
                                plan.updates.push(update)
                            }
                        }
                    }
                    Ok(update)
                        if c.ecosystem == Ecosystem::PyPI
                            && update.also.is_empty()
                            && FileKind::of_path(&c.file) == Some(FileKind::Requirements) =>
                    {
                        // The file's pins are only good together: uv's resolution says which
                        // pins move with the fixed version.
                        let clean = fix_targets(c, &releases, &advisories, &rules);
                        let text = read_file()?;
                        let target = nanoup_engine::pypi::Target {
                            name: &c.name,
                            from: &version,
                            clean: &clean,
                            why: update.reasons.join(", "),
                        };
                        match nanoup_engine::pypi::find_fix(&c.file, &text, &target, &search_policy)
                        {
                            Ok(found) => plan
                                .updates
                                .push(nanoup_engine::pypi::with_found(update, found)),
                            Err(SearchError::NoFix(reason)) => plan
                                .unfixable
                                .push(unfixable(stack, c, &version, ids, reason)),
                            Err(SearchError::Unavailable(reason)) => {
                                eprintln!(
                                    "warning: {} {}: planned without checking the other pins \
                                     of {} ({reason}); apply checks them with uv",
                                    c.name, version, c.file
                                );
                                plan.updates.push(update)
                            }
                        }
                    }
                    Ok(update)
                        if c.ecosystem == Ecosystem::PyPI
                            && !update.manifest_change
                            && FileKind::of_path(&c.file) == Some(FileKind::PoetryLock) =>
                    {
                        // The new release's dependencies must be satisfied by the lock: the
                        // entries that move with it are found on a copy, as apply edits them.
                        let clean = fix_targets(c, &releases, &advisories, &rules);
                        let text = read_file()?;
                        let release = |name: &str, version: &str| {
                            fetcher.fetch(&nanoup_core::NanoUpdate {
                                name: name.to_string(),
                                to: version.to_string(),
                                ..update.clone()
                            })
                        };
                        let package =
                            |name: &str| fetcher.fetch_package(&stack.path, Ecosystem::PyPI, name);
                        let registry = nanoup_engine::poetry::Registry {
                            release: &release,
                            package: &package,
                        };
                        let target = nanoup_engine::plan::Target {
                            name: &c.name,
                            from: &version,
                            clean: &clean,
                            why: update.reasons.join(", "),
                        };
                        match nanoup_engine::poetry::find_fix(
                            &c.file,
                            &text,
                            &target,
                            &registry,
                            &search_policy,
                        ) {
                            Ok(found) => plan
                                .updates
                                .push(nanoup_engine::poetry::with_found(update, found)),
                            // apply says why it refuses, naming `poetry update`.
                            Err(_) => plan.updates.push(update),
                        }
                    }
                    Ok(update) => plan.updates.push(update),
                    Err(no) => plan
                        .unfixable
                        .push(unfixable(stack, c, &version, ids, no.0)),
                }
            }
            (Some(ids), Err(reason)) => plan.unfixable.push(unfixable(
                stack,
                c,
                &version,
                ids,
                format!("registry look-up failed: {reason}"),
            )),
            (None, Ok(found)) => {
                let rules = step_policy(&stack.path, c.ecosystem, &c.name, false);
                plan.updates
                    .extend(drift_step(&stack.path, c, &found.releases, &rules))
            }
            (None, Err(_)) => {}
        }
    }
    plan.updates.sort_by(|a, b| {
        (&a.stack, a.ecosystem, &a.name, &a.from).cmp(&(&b.stack, b.ecosystem, &b.name, &b.from))
    });
    plan.updates.dedup_by(|a, b| a.id == b.id);
    let files: BTreeSet<String> = plan
        .updates
        .iter()
        .flat_map(|u| std::iter::once(&u.file).chain(&u.also))
        .cloned()
        .collect();
    for file in files {
        let bytes =
            std::fs::read(args.path.join(&file)).with_context(|| format!("cannot read {file}"))?;
        plan.files.push(FileDigest::of(file, &bytes));
    }
    // Every planned update goes to the ledger.
    let ledger = crate::log::open_ledger()?;
    let repository = nanoup_ledger::repository_key(&args.path);
    for update in &plan.updates {
        ledger.record(&nanoup_ledger::Event::for_update(
            nanoup_ledger::EventKind::Plan,
            &repository,
            update,
        ))?;
    }
    let errors = inventory.errors.iter().map(|e| e.to_string()).collect();
    Ok((plan, errors))
}

/// The releases of `component` a fix may move it to as far as its lockfile goes: for a
/// poetry.lock or uv.lock, those whose `Requires-Python` admits every Python the lock is for
/// (the lock keeps its Pythons; a release that drops one needs a relock that drops it too); for
/// a poetry.lock, also only those every dependent's (non-optional) constraint accepts (moving a
/// dependent is Poetry's call); every release otherwise. `locks` remembers each lockfile's text
/// for the run.
fn runnable_releases<'r>(
    root: &std::path::Path,
    component: &nanoup_core::Component,
    releases: &'r [nanoup_core::Release],
    locks: &mut HashMap<String, Option<String>>,
) -> std::borrow::Cow<'r, [nanoup_core::Release]> {
    use nanoup_ecosystems::pypi::poetry_entry::{
        constraints_on, lock_python, runs_on_every_python,
    };
    let kind = FileKind::of_path(&component.file);
    let lock = matches!(kind, Some(FileKind::PoetryLock | FileKind::UvLock));
    if component.ecosystem != Ecosystem::PyPI || !lock {
        return releases.into();
    }
    let text = locks
        .entry(component.file.clone())
        .or_insert_with(|| std::fs::read_to_string(root.join(&component.file)).ok());
    let Some(text) = text.as_deref() else {
        return releases.into();
    };
    let python = lock_python(text);
    // Each dependent's alternatives, read once.
    let dependents: Vec<Vec<nanoup_versions::Requirement>> = if kind == Some(FileKind::PoetryLock) {
        constraints_on(&component.file, text, &component.name)
            .into_iter()
            .filter(|(dependent, _, _)| {
                *dependent != nanoup_core::normalize_pypi_name(&component.name)
            })
            .map(|(_, _, alternatives)| {
                alternatives
                    .iter()
                    .filter_map(|c| Scheme::Pep440.parse_requirement(c.trim()).ok())
                    .collect::<Vec<_>>()
            })
            .filter(|alternatives| !alternatives.is_empty())
            .collect()
    } else {
        Vec::new()
    };
    releases
        .iter()
        .filter(
            |r| match (r.requires_python.as_deref(), python.as_deref()) {
                (Some(requires), Some(python)) => runs_on_every_python(requires, python),
                _ => true,
            },
        )
        .filter(|r| {
            let Ok(version) = nanoup_versions::Version::parse(Scheme::Pep440, &r.version) else {
                return true;
            };
            dependents
                .iter()
                .all(|alternatives| alternatives.iter().any(|a| a.matches(&version)))
        })
        .cloned()
        .collect::<Vec<_>>()
        .into()
}

/// The most lockfile entries an update of a stack may move: `--max-blast-radius` (0: no limit),
/// else the stack's `max-blast-radius` in nanoup.toml, else the default (see
/// [`nanoup_policy::DEFAULT_MAX_BLAST_RADIUS`]).
pub fn blast_radius_cap(
    option: Option<usize>,
    stack: &nanoup_policy::StackPolicy,
) -> Option<usize> {
    match option {
        Some(n) => nanoup_policy::blast_radius_limit(Some(n)),
        None => stack.max_blast_radius,
    }
}

/// Whether `file` is a Cargo.lock (Cargo components are also read from manifests).
fn is_cargo_lock(file: &str) -> bool {
    file == "Cargo.lock" || file.ends_with("/Cargo.lock")
}

/// Whether `file` is a lockfile npm writes (package-lock.json, npm-shrinkwrap.json).
fn is_npm_lock(file: &str) -> bool {
    let name = nanoup_ecosystems::file_name(file);
    name == "package-lock.json" || name == "npm-shrinkwrap.json"
}

/// `update` as a partial fix: it clears the advisories `fixed` only (the others stay, and
/// are listed as unfixable beside it).
fn with_reasons(update: nanoup_core::NanoUpdate, fixed: Vec<String>) -> nanoup_core::NanoUpdate {
    nanoup_core::NanoUpdate {
        reasons: fixed,
        ..update
    }
}

fn unfixable(
    stack: &nanoup_core::Stack,
    c: &nanoup_core::Component,
    version: &str,
    ids: &[String],
    reason: String,
) -> Unfixable {
    Unfixable {
        stack: stack.path.clone(),
        ecosystem: c.ecosystem,
        name: c.name.clone(),
        version: version.to_string(),
        advisories: ids.to_vec(),
        reason,
    }
}
