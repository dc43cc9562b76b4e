//! The search for the minimal consistent change of one vulnerable entry of a poetry.lock.
//!
//! An entry moved alone must keep the lock consistent: every dependency of the new release
//! (its `Requires-Dist` that applies to the lock's Pythons) must be satisfied by a locked
//! entry. When one is not (jinja2 3.1.6 needs `MarkupSafe>=2.0`, the lock has 1.1.1), that
//! entry moves too, as a **companion**: to the lowest release that the new requirement and
//! every other entry's constraint on it accept, that runs on every Python of the lock, is not
//! yanked, and that policy lets move (not a downgrade, no advisory gained); its own new
//! dependencies are checked the same way. The edits are made on a copy of the text, exactly as
//! apply makes them (`edit_poetry_lock`, then the dependency tables refreshed from the
//! release's metadata), so a found change is one apply can make. The first clean version,
//! ascending, that gives such a change wins. A dependency the lock lacks, or one the lock
//! holds at several versions, ends the search for that version: Poetry decides those.

use std::collections::BTreeMap;

use nanoup_core::{Step, StepRole, normalize_pypi_name};
use nanoup_ecosystems::pypi::poetry_entry::{self, DependencyRefusal, MoveRefusal, Need};
use nanoup_ecosystems::pypi::registry;
use nanoup_versions::{Scheme, Version};

use crate::plan::{SearchError, SearchPolicy, Target};
pub use crate::pypi::{Found, with_found};

/// At most this many clean versions of the target are tried.
const MAX_TRIES: usize = 4;

/// At most this many entries move in one update.
const MAX_STEPS: usize = 12;

/// The registry's answer about release `version` of package `name` (its files and metadata, as
/// apply fetches it), or why there is none.
pub type ReleaseAnswer<'a> = dyn Fn(&str, &str) -> Result<Vec<u8>, String> + 'a;

/// The registry's answer listing every release of package `name`, or why there is none.
pub type PackageAnswer<'a> = dyn Fn(&str) -> Result<Vec<u8>, String> + 'a;

/// The registry's answers the search reads.
pub struct Registry<'a> {
    /// About one release.
    pub release: &'a ReleaseAnswer<'a>,
    /// About a package.
    pub package: &'a PackageAnswer<'a>,
}

/// Searches the minimal consistent change for `target` in the poetry.lock `text` (named `file`).
pub fn find_fix(
    file: &str,
    text: &str,
    target: &Target<'_>,
    registry: &Registry<'_>,
    policy: &SearchPolicy<'_>,
) -> Result<Found, SearchError> {
    let mut last = String::new();
    let mut unavailable = None;
    for to in target.clean.iter().take(MAX_TRIES) {
        match moves_for(file, text, target, to, registry, policy) {
            Ok(steps) => {
                let alone = steps.len() == 1;
                return Ok(Found {
                    to: to.clone(),
                    steps: if alone { Vec::new() } else { steps },
                });
            }
            Err(SearchError::Unavailable(why)) => unavailable = Some(why),
            Err(SearchError::NoFix(why)) => last = why,
        }
    }
    match unavailable {
        Some(why) if last.is_empty() => Err(SearchError::Unavailable(why)),
        _ => Err(SearchError::NoFix(if last.is_empty() {
            format!("no clean version of {} to try", target.name)
        } else {
            last
        })),
    }
}

/// The steps (companions in the order apply makes them, then the target) that move
/// `target` to `to` consistently, or why there are none.
fn moves_for(
    file: &str,
    text: &str,
    target: &Target<'_>,
    to: &str,
    registry: &Registry<'_>,
    policy: &SearchPolicy<'_>,
) -> Result<Vec<Step>, SearchError> {
    let lock_python = poetry_entry::lock_python(text);
    let mut text = text.to_string();
    // The entries to move, last first; each is retried after the companions it needs.
    let mut pending: Vec<(String, String, String, StepRole, String)> = vec![(
        normalize_pypi_name(target.name),
        target.from.to_string(),
        to.to_string(),
        StepRole::Target,
        target.why.clone(),
    )];
    let mut done: Vec<Step> = Vec::new();
    // Entries chosen to move (normalised name -> new version): their old constraints no longer
    // hold once they move.
    let mut moving: BTreeMap<String, String> = BTreeMap::new();
    moving.insert(normalize_pypi_name(target.name), to.to_string());
    // The target's dependents that stay must accept its new version (else a parent must move
    // first, which Poetry decides).
    let rejecting = poetry_entry::rejecting_dependents(
        file,
        &text,
        target.name,
        to,
        &[normalize_pypi_name(target.name)],
    );
    if !rejecting.is_empty() {
        return Err(SearchError::NoFix(format!(
            "{}: a dependent must move first; Poetry decides that: run `poetry update {}`",
            rejecting.join(", "),
            target.name
        )));
    }
    while let Some((name, from, to, role, why)) = pending.last().cloned() {
        if done.len() + pending.len() > MAX_STEPS {
            return Err(SearchError::NoFix(format!(
                "moving {} {} -> {} consistently takes more than {MAX_STEPS} entries; Poetry \
                 decides that: run `poetry update {}`",
                target.name, target.from, to, target.name
            )));
        }
        let body = (registry.release)(&name, &to).map_err(SearchError::Unavailable)?;
        let needs = match poetry_entry::move_entry(file, &text, &name, &from, &to, &body) {
            Ok(refreshed) => {
                text = refreshed.text;
                pending.pop();
                done.push(Step {
                    name: spelled(file, &text, &name, &to),
                    from: Some(from),
                    to: Some(to),
                    role,
                    why,
                    manifest: false,
                    path: None,
                });
                continue;
            }
            Err(MoveRefusal::Registry(why)) => return Err(SearchError::Unavailable(why)),
            Err(MoveRefusal::Dependencies(refusal)) => match *refusal {
                DependencyRefusal::Unsatisfied { missing, needs, .. }
                    if needs.len() == missing.len() =>
                {
                    needs
                }
                other => return Err(SearchError::NoFix(other.to_string())),
            },
        };
        for need in needs {
            if pending.iter().any(|p| p.0 == need.name) {
                return Err(SearchError::NoFix(format!(
                    "{name} {to} and {} need each other at new versions; Poetry decides that: \
                     run `poetry update {}`",
                    need.name, target.name
                )));
            }
            let companion = companion_for(
                file,
                &text,
                &need,
                &moving,
                lock_python.as_deref(),
                registry,
                policy,
            )?;
            moving.insert(need.name.clone(), companion.clone());
            let locked = need.locked.first().cloned().unwrap_or_default();
            pending.push((
                need.name.clone(),
                locked,
                companion,
                StepRole::Companion,
                format!("{name} {to} requires {}{}", need.name, need.specifier),
            ));
        }
    }
    Ok(done)
}

/// The version a companion moves to: the lowest release of `need.name` above the locked one
/// that `need`'s specifier and every constraint of the entries that stay accept, that runs on
/// the lock's Pythons, is not yanked and that policy lets move.
fn companion_for(
    file: &str,
    text: &str,
    need: &Need,
    moving: &BTreeMap<String, String>,
    lock_python: Option<&str>,
    registry: &Registry<'_>,
    policy: &SearchPolicy<'_>,
) -> Result<String, SearchError> {
    let [locked] = need.locked.as_slice() else {
        return Err(SearchError::NoFix(format!(
            "`{}{}` is {}: Poetry decides that",
            need.name,
            need.specifier,
            if need.locked.is_empty() {
                "not in the lock".to_string()
            } else {
                format!("locked at several versions ({})", need.locked.join(", "))
            }
        )));
    };
    let parse = |s: &str| Scheme::Pep440.parse_requirement(s.trim()).ok();
    let mut constraints = Vec::new();
    if !need.specifier.trim().is_empty() {
        constraints.push(parse(&need.specifier).ok_or_else(|| {
            SearchError::NoFix(format!("cannot read `{}{}`", need.name, need.specifier))
        })?);
    }
    let moving: Vec<String> = moving.keys().cloned().collect();
    let current = Version::parse(Scheme::Pep440, locked)
        .map_err(|e| SearchError::NoFix(format!("{} {locked}: {e}", need.name)))?;
    let body = (registry.package)(&need.name).map_err(SearchError::Unavailable)?;
    let files =
        registry::parse_files(&body).map_err(|e| SearchError::Unavailable(e.to_string()))?;
    let mut candidates: Vec<(Version, nanoup_core::Release)> = registry::releases_of(&files)
        .into_iter()
        .filter(|r| !r.yanked)
        .filter_map(|r| Some((Version::parse(Scheme::Pep440, &r.version).ok()?, r)))
        .filter(|(v, _)| *v > current && !v.is_prerelease())
        .filter(|(v, _)| constraints.iter().all(|c| c.matches(v)))
        .filter(|(_, r)| {
            poetry_entry::rejecting_dependents(file, text, &need.name, &r.version, &moving)
                .is_empty()
        })
        .filter(|(_, r)| match (r.requires_python.as_deref(), lock_python) {
            (Some(requires), Some(python)) => poetry_entry::runs_on_every_python(requires, python),
            _ => true,
        })
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    candidates
        .into_iter()
        .find(|(_, r)| {
            (policy.may_move)(&need.name, Some(locked), &r.version, r.published.as_deref())
        })
        .map(|(_, r)| r.version)
        .ok_or_else(|| {
            SearchError::NoFix(format!(
                "no release of {} satisfies `{}` and the lock's other constraints on it within \
                 policy",
                need.name, need.specifier
            ))
        })
}

/// `name` (normalised) as the lock spells it at `version` (`MarkupSafe`), for the steps and the
/// blast radius, which name entries as the lock does.
fn spelled(file: &str, text: &str, name: &str, version: &str) -> String {
    nanoup_ecosystems::pypi::poetry::parse(file, text)
        .ok()
        .and_then(|packages| {
            packages
                .into_iter()
                .find(|p| {
                    normalize_pypi_name(&p.name) == name && p.version.as_deref() == Some(version)
                })
                .map(|p| p.name)
        })
        .unwrap_or_else(|| name.to_string())
}
