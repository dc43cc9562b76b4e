//! Planning: for each component, the smallest version step that does the job.
//!
//! - A vulnerable component gets the **lowest real release** above its version that no advisory
//!   on the package affects, that is not yanked, not younger than the cooldown, not a prerelease
//!   (unless the current version is one), of an allowed kind and not held back. A release inside
//!   the manifest's requirement is preferred (a lockfile-only update); otherwise the lowest clean
//!   release is proposed with `manifest_change`.
//! - With drift planning, a component gets one step by policy: the newest patch of its current
//!   minor first; failing that the newest release of the next minor; majors only when allowed
//!   (for 0.x versions a minor step counts as major).

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use nanoup_advisories::advisory::Advisory;
use nanoup_advisories::matching::is_affected;
use nanoup_core::{Component, EntryChange, NanoUpdate, Release, Step, UpdateKind};
use nanoup_versions::{Scheme, Version};

/// What policy allows for one stack.
#[derive(Debug, Clone)]
pub struct StepPolicy {
    /// Now.
    pub now: Timestamp,
    /// Releases younger than this are not proposed.
    pub min_age: SignedDuration,
    /// Allowed step kinds.
    pub allow: BTreeSet<UpdateKind>,
    /// Versions at or above which this package is held (`hold ... below`), if any.
    pub held_below: Option<String>,
}

/// Why no step is proposed for a vulnerable component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFix(pub String);

/// The releases that may be proposed at all: parsed, newer than `current`, not yanked, past the
/// cooldown, stable unless `current` is a prerelease, allowed in kind, below any hold; ascending.
fn eligible(
    scheme: Scheme,
    current: &Version,
    releases: &[Release],
    policy: &StepPolicy,
) -> Vec<(Version, UpdateKind)> {
    let cutoff = policy.now.checked_sub(policy.min_age).unwrap_or(policy.now);
    let held = policy
        .held_below
        .as_deref()
        .and_then(|h| scheme.parse(h).ok());
    let mut out: Vec<(Version, UpdateKind)> = releases
        .iter()
        .filter(|r| !r.yanked)
        .filter(|r| {
            r.published
                .as_deref()
                .and_then(|p| p.parse::<Timestamp>().ok())
                .is_none_or(|t| t <= cutoff)
        })
        .filter_map(|r| scheme.parse(&r.version).ok())
        .filter(|v| v > current && (current.is_prerelease() || !v.is_prerelease()))
        .filter(|v| held.as_ref().is_none_or(|h| v < h))
        .map(|v| {
            let kind = UpdateKind::between(current.as_str(), v.as_str());
            (v, kind)
        })
        .filter(|(_, kind)| policy.allow.contains(kind))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Whether any vulnerability (not withdrawn, not informational) among `advisories` affects
/// `version` of `component`.
fn vulnerable(component: &Component, advisories: &[Advisory], version: &str) -> bool {
    affects(
        component.ecosystem.osv_name(),
        &component.name,
        advisories,
        version,
    )
}

fn update(
    stack: &str,
    component: &Component,
    from: &str,
    to: &Version,
    kind: UpdateKind,
    reasons: Vec<String>,
    manifest_change: bool,
) -> NanoUpdate {
    NanoUpdate {
        id: NanoUpdate::id_for(
            stack,
            component.ecosystem,
            &component.name,
            from,
            to.as_str(),
        ),
        stack: stack.to_string(),
        ecosystem: component.ecosystem,
        name: component.name.clone(),
        from: from.to_string(),
        to: to.as_str().to_string(),
        kind,
        reasons,
        manifest_change,
        blast_radius: vec![EntryChange {
            name: component.name.clone(),
            from: Some(from.to_string()),
            to: Some(to.as_str().to_string()),
            path: None,
        }],
        file: component.file.clone(),
        steps: Vec::new(),
        pins: Vec::new(),
        also: also_pinned(component),
    }
}

/// The other files that pin `component` at its version (requirements files: one including
/// another, or two pinning the same package), which an update moves together with its file.
fn also_pinned(component: &Component) -> Vec<String> {
    use nanoup_ecosystems::pypi::edit::FileKind;
    let pins = |file: &str| FileKind::of_path(file) == Some(FileKind::Requirements);
    if !pins(&component.file) {
        return Vec::new();
    }
    let mut files: Vec<String> = component
        .also
        .iter()
        .map(|place| place.file.clone())
        .filter(|file| *file != component.file && pins(file))
        .collect();
    files.sort();
    files.dedup();
    files
}

/// Whether `candidate` stays inside what the stack already asks for: the manifest's requirement
/// for a direct dependency; for a transitive one (whose dependents' ranges a lockfile may not
/// record) a step that is not major, as caret ranges allow. A version pinned in the manifest
/// itself (requirements.txt, pom.xml, go.mod, Dockerfile) is edited in place: always in range.
fn in_range(scheme: Scheme, component: &Component, candidate: &Version, kind: UpdateKind) -> bool {
    if !nanoup_ecosystems::is_lockfile(&component.file) {
        return true;
    }
    match component
        .requirement
        .as_deref()
        .filter(|_| component.direct)
    {
        Some(req) => scheme
            .parse_requirement(req)
            .is_ok_and(|r| r.matches(candidate)),
        None => kind != UpdateKind::Major,
    }
}

/// The fix for a vulnerable component: see the module documentation. `advisories` are every
/// advisory on the package (not only those affecting the current version, so that a step never
/// lands on another vulnerable release); `reasons` the ids the finding reported.
pub fn fix_step(
    stack: &str,
    component: &Component,
    releases: &[Release],
    advisories: &[Advisory],
    reasons: Vec<String>,
    policy: &StepPolicy,
) -> Result<NanoUpdate, NoFix> {
    let from = component
        .version
        .as_deref()
        .ok_or_else(|| NoFix("no resolved version".into()))?;
    let scheme = Scheme::for_ecosystem(component.ecosystem.osv_name())
        .ok_or_else(|| NoFix(format!("no version order for {}", component.ecosystem)))?;
    let current = scheme.parse(from).map_err(|e| NoFix(e.to_string()))?;
    let clean: Vec<(Version, UpdateKind)> = eligible(scheme, &current, releases, policy)
        .into_iter()
        .filter(|(v, _)| !vulnerable(component, advisories, v.as_str()))
        .collect();
    if let Some((v, kind)) = clean
        .iter()
        .find(|(v, kind)| in_range(scheme, component, v, *kind))
    {
        return Ok(update(stack, component, from, v, *kind, reasons, false));
    }
    if let Some((v, kind)) = clean.first() {
        return Ok(update(
            stack,
            component,
            from,
            v,
            *kind,
            reasons,
            component.direct,
        ));
    }
    // No release clears every advisory: the one that clears the most (and gains none), the
    // lowest of those, in range if one is. Its `reasons` are the advisories it clears.
    let ecosystem = component.ecosystem.osv_name();
    let targets = fix_targets(component, releases, advisories, policy);
    let best = targets
        .iter()
        .filter_map(|t| scheme.parse(t).ok())
        .map(|v| {
            let kind = UpdateKind::between(current.as_str(), v.as_str());
            (v, kind)
        })
        .min_by_key(|(v, kind)| !in_range(scheme, component, v, *kind));
    match best {
        Some((v, kind)) => {
            // Cleared: the reasons whose advisory (informational or not) no longer affects it.
            let still_affects = |id: &String| {
                advisories.iter().filter(|a| a.id == *id).any(|a| {
                    a.affected
                        .iter()
                        .filter(|p| p.ecosystem == ecosystem && p.name == component.name)
                        .any(|p| is_affected(p, v.as_str()))
                })
            };
            let cleared = reasons
                .into_iter()
                .filter(|id| !still_affects(id))
                .collect();
            let manifest_change = component.direct && !in_range(scheme, component, &v, kind);
            Ok(update(
                stack,
                component,
                from,
                &v,
                kind,
                cleared,
                manifest_change,
            ))
        }
        None => Err(NoFix(no_fix_reason(
            scheme, &current, releases, component, advisories, policy,
        ))),
    }
}

/// The versions a fix of a vulnerable component chooses from, ascending: the clean ones (see
/// [`clean_versions`]); when there are none, the partial ones (see [`partial_versions`]) that
/// leave the fewest advisories.
pub fn fix_targets(
    component: &Component,
    releases: &[Release],
    advisories: &[Advisory],
    policy: &StepPolicy,
) -> Vec<String> {
    let clean = clean_versions(component, releases, advisories, policy);
    if !clean.is_empty() {
        return clean;
    }
    let ecosystem = component.ecosystem.osv_name();
    let left = |v: &str| affecting(ecosystem, &component.name, advisories, v).len();
    let partial = partial_versions(component, releases, advisories, policy);
    let fewest = partial.iter().map(|v| left(v)).min();
    partial
        .into_iter()
        .filter(|v| Some(left(v)) == fewest)
        .collect()
}

/// The versions a fix may move a vulnerable component to, ascending: eligible by policy (see
/// [`fix_step`]) and affected by no advisory on the package. What a resolver-aware search
/// chooses from when the lowest one does not fit the dependents.
pub fn clean_versions(
    component: &Component,
    releases: &[Release],
    advisories: &[Advisory],
    policy: &StepPolicy,
) -> Vec<String> {
    eligible_versions(component, releases, policy)
        .into_iter()
        .filter(|v| !vulnerable(component, advisories, v))
        .collect()
}

/// The releases of `component` policy lets a fix move it to (see [`fix_step`]), ascending.
fn eligible_versions(
    component: &Component,
    releases: &[Release],
    policy: &StepPolicy,
) -> Vec<String> {
    let Some(scheme) = Scheme::for_ecosystem(component.ecosystem.osv_name()) else {
        return Vec::new();
    };
    let Some(current) = component
        .version
        .as_deref()
        .and_then(|v| scheme.parse(v).ok())
    else {
        return Vec::new();
    };
    eligible(scheme, &current, releases, policy)
        .into_iter()
        .map(|(v, _)| v.as_str().to_string())
        .collect()
}

/// The versions a **partial** fix may move a vulnerable component to, ascending: eligible by
/// policy, affected by none of the advisories the current version is not, and by fewer of those
/// it is (at least one cleared, none gained). What a search takes when no version clearing
/// every advisory fits (hyper 0.13.5 -> 0.13.10 clears RUSTSEC-2021-0020, while the other two
/// need 0.14).
pub fn partial_versions(
    component: &Component,
    releases: &[Release],
    advisories: &[Advisory],
    policy: &StepPolicy,
) -> Vec<String> {
    let Some(from) = component.version.as_deref() else {
        return Vec::new();
    };
    let ecosystem = component.ecosystem.osv_name();
    let now = affecting(ecosystem, &component.name, advisories, from);
    eligible_versions(component, releases, policy)
        .into_iter()
        .filter(|v| {
            let then = affecting(ecosystem, &component.name, advisories, v);
            then.is_subset(&now) && then.len() < now.len()
        })
        .collect()
}

/// Whether policy lets a package move from `from` to `to` as part of another update (a parent
/// bump or a companion): an allowed kind, past the cooldown when the date is known, below any
/// hold.
pub fn step_allowed(
    scheme: Scheme,
    from: &str,
    to: &str,
    published: Option<&str>,
    policy: &StepPolicy,
) -> bool {
    let release = Release {
        version: to.to_string(),
        published: published.map(str::to_string),
        yanked: false,
        deprecated: None,
        requires_python: None,
    };
    scheme.parse(from).is_ok_and(|current| {
        eligible(scheme, &current, std::slice::from_ref(&release), policy)
            .iter()
            .any(|(v, _)| v.as_str() == to)
    })
}

/// Whether any advisory among `advisories` (not withdrawn, not informational) affects `version`
/// of the package `name` in `ecosystem` (its OSV name).
pub fn affects(ecosystem: &str, name: &str, advisories: &[Advisory], version: &str) -> bool {
    !affecting(ecosystem, name, advisories, version).is_empty()
}

/// The ids of the advisories among `advisories` (not withdrawn, not informational) that affect
/// `version` of the package `name` in `ecosystem` (its OSV name).
pub fn affecting(
    ecosystem: &str,
    name: &str,
    advisories: &[Advisory],
    version: &str,
) -> BTreeSet<String> {
    advisories
        .iter()
        .filter(|a| a.withdrawn.is_none() && !a.is_informational())
        .filter(|a| {
            a.affected
                .iter()
                .filter(|p| p.ecosystem == ecosystem && p.name == name)
                .any(|p| is_affected(p, version))
        })
        .map(|a| a.id.clone())
        .collect()
}

/// Says which rule removed every candidate, so `unfixable` entries explain themselves.
fn no_fix_reason(
    scheme: Scheme,
    current: &Version,
    releases: &[Release],
    component: &Component,
    advisories: &[Advisory],
    policy: &StepPolicy,
) -> String {
    let all_kinds = StepPolicy {
        allow: [UpdateKind::Patch, UpdateKind::Minor, UpdateKind::Major].into(),
        min_age: SignedDuration::ZERO,
        held_below: None,
        ..policy.clone()
    };
    let any_clean = eligible(scheme, current, releases, &all_kinds)
        .into_iter()
        .any(|(v, _)| !vulnerable(component, advisories, v.as_str()));
    if any_clean {
        "every fixing release is excluded by policy (allowed kinds, cooldown or a hold)".into()
    } else {
        "no published release is free of the advisories".into()
    }
}

/// One drift step for a component, or `None` when it is current under the policy.
pub fn drift_step(
    stack: &str,
    component: &Component,
    releases: &[Release],
    policy: &StepPolicy,
) -> Option<NanoUpdate> {
    let from = component.version.as_deref()?;
    let scheme = Scheme::for_ecosystem(component.ecosystem.osv_name())?;
    let current = scheme.parse(from).ok()?;
    let candidates = eligible(scheme, &current, releases, policy);
    // The newest patch of the current line; else the newest release of the next line.
    let pick = candidates
        .iter()
        .rfind(|(_, k)| *k == UpdateKind::Patch)
        .or_else(|| {
            let (next, kind) = candidates.first()?;
            candidates
                .iter()
                .rfind(|(v, k)| *k == *kind && same_line(v.as_str(), next.as_str()))
        })?;
    let (v, kind) = pick;
    let manifest_change = component.direct && !in_range(scheme, component, v, *kind);
    Some(update(
        stack,
        component,
        from,
        v,
        *kind,
        vec!["drift".into()],
        manifest_change,
    ))
}

/// Whether two versions are in the same minor line (same first two numbers).
fn same_line(a: &str, b: &str) -> bool {
    UpdateKind::between(a, b) == UpdateKind::Patch
}

// --- what the searches for a minimal consistent change share (Cargo, npm) ---

/// Whether policy lets `name` move from `from` (`None`: the entry is added) to `to`
/// (`published`: the index's date).
pub type MayMove<'a> = dyn Fn(&str, Option<&str>, &str, Option<&str>) -> bool + 'a;

/// What the search may do beyond the target, decided by the stack's policy.
pub struct SearchPolicy<'a> {
    /// Whether a requirement in the workspace's manifests may be widened.
    pub manifest_changes: bool,
    /// Whether `name` may move from `from` to `to` as a parent or companion (kind allowed,
    /// cooldown passed, not held, not itself vulnerable); `published` is the index's date.
    pub may_move: &'a MayMove<'a>,
    /// The blast-radius limit the update will be held to, if any: a search does not spend
    /// Cargo runs narrowing a change far above it (it will be refused or replaced anyway).
    pub max_blast_radius: Option<usize>,
}

/// Whether a change of `size` entries is more than twice `limit`: earlier updates and companion
/// step-downs narrow a change by a few entries, not by half, so no Cargo runs are spent
/// searching it again or narrowing it (it will be refused, or replaced by a partial fix).
pub fn far_above_limit(limit: Option<usize>, size: usize) -> bool {
    limit.is_some_and(|max| size > 2 * max)
}

/// Why the search found nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchError {
    /// No consistent change exists within policy; the reason says which rule or requirement.
    NoFix(String),
    /// The search could not run (Cargo cannot resolve the copy, the index is unreachable).
    Unavailable(String),
}

impl std::fmt::Display for SearchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchError::NoFix(reason) | SearchError::Unavailable(reason) => f.write_str(reason),
        }
    }
}

/// The planned `update` made into the change a search found: the target's version `to`, the
/// `steps` that move with it (a `group` update naming every step, parents and companions with
/// the target; empty when the target moves alone) and whether a manifest's requirement must
/// change. Its blast radius names each step; apply measures the real one.
pub fn with_steps(
    update: NanoUpdate,
    to: String,
    steps: Vec<Step>,
    manifest_change: bool,
) -> NanoUpdate {
    let blast_radius = if steps.is_empty() {
        vec![EntryChange {
            name: update.name.clone(),
            from: Some(update.from.clone()),
            to: Some(to.clone()),
            path: None,
        }]
    } else {
        steps
            .iter()
            .map(|s| EntryChange {
                name: s.name.clone(),
                from: s.from.clone(),
                to: s.to.clone(),
                path: s.path.clone(),
            })
            .collect()
    };
    NanoUpdate {
        manifest_change,
        blast_radius,
        steps,
        ..update
    }
    .retargeted(to)
}

/// The vulnerable package a resolver-aware search (npm, requirements) fixes.
pub struct Target<'a> {
    /// Package name.
    pub name: &'a str,
    /// Its installed (pinned) version.
    pub from: &'a str,
    /// The versions clearing every advisory, allowed by policy, ascending.
    pub clean: &'a [String],
    /// Why it moves (the advisory ids), for its step.
    pub why: String,
}
