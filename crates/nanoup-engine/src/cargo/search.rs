//! The search for the minimal consistent change that fixes one vulnerable crate.
//!
//! Given the crate's entry `NAME@FROM` and the versions that clear its advisories (ascending,
//! already filtered by policy), the search works on a [`Scratch`] copy of the workspace:
//!
//! 1. The **target**: the lowest clean version that every dependent's requirement accepts (read
//!    from the index for registry dependents, from the manifests for the workspace's own
//!    crates) is pinned with Cargo.
//! 2. When Cargo refuses because the new release needs a dependency the lockfile holds too low
//!    (a **companion**), that dependency is first pinned to the lowest version the release
//!    accepts, then the target again.
//! 3. When no clean version is accepted by some dependent, that dependent is lifted first (a
//!    **parent** bump): to its lowest release, allowed by policy, whose requirement accepts a
//!    clean version (or that no longer needs the crate), itself accepted by its own dependents,
//!    recursively; a requirement of the workspace's own manifests is widened (a manifest
//!    change) when policy allows it. Then the target is settled again.
//! 4. Every entry that Cargo moved as a consequence (added, raised, removed) is measured; a raised
//!    or added companion is stepped down to the lowest version its dependents accept when Cargo
//!    took a newer one, and kept only if that does not widen the change. The companions that
//!    brought the most moved entries with them go first: the newest release of a crate often
//!    pulls in a whole new subtree its older ones did without.
//! 5. Cargo must accept the final lockfile (`--locked`).
//!
//! The pins made are the update's recipe; the measured difference is its blast radius. This is
//! a greedy search ("keep every lock, else lowest"), not a full resolver: Cargo is the resolver,
//! and the search only decides which entries to unlock and to which version.

use std::collections::{BTreeMap, BTreeSet};

use nanoup_core::{EntryChange, Pin, Step, StepRole};
use nanoup_ecosystems::cargo::LockPackage;

use super::scratch::Scratch;
use super::{CargoIndex, PinFailure, accepts, check_lock, lower, read_lock, run_pin};
use crate::apply::write_atomically;

/// How deep parent bumps may go (a dependent of a dependent of ...).
const MAX_DEPTH: usize = 6;
/// How many clean versions of one entry are tried when Cargo refuses the lowest.
const MAX_TRIES: usize = 3;
/// At most this many Cargo runs per update step companions down to their lowest accepted
/// version (each try costs a Cargo run; the rest stay as Cargo chose them).
const MAX_STEP_DOWNS: usize = 16;

use crate::plan::far_above_limit;
pub use crate::plan::{MayMove, SearchPolicy};

/// The minimal consistent change found for one vulnerable entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The target's new version (`None` when the parent bump dropped it from the graph).
    pub to: Option<String>,
    /// The commands that make the change, in order.
    pub pins: Vec<Pin>,
    /// Every entry moved, with its role and why.
    pub steps: Vec<Step>,
    /// The measured difference of the lockfile.
    pub blast_radius: Vec<EntryChange>,
}

pub use crate::plan::SearchError;

/// The vulnerable entry to fix.
pub struct Target<'a> {
    /// Crate name.
    pub name: &'a str,
    /// Its locked version.
    pub from: &'a str,
    /// The versions clearing every advisory, allowed by policy, ascending.
    pub clean: &'a [String],
    /// Why it moves (the advisory ids), for its step.
    pub why: String,
}

/// A change this small is kept without trying the newest-in-range variant (each variant costs
/// a whole search of Cargo runs).
const SMALL_CHANGE: usize = 8;

/// Searches the minimal consistent change for `target` in `scratch` (reset first).
///
/// The lowest versions are tried first; when that change moves more than a few entries (and is
/// not far above the blast-radius limit), the search runs again preferring, among the versions
/// compatible with the lowest that fits, the newest (as `cargo update` would choose), and the
/// narrower change wins (the lowest on a tie). Lowest is not always narrowest: on spotify-tui,
/// idna 0.2.0 -> 1.0.0 moves 38 entries (the ICU crates), -> 1.1.0 moves 10 (`idna_adapter`).
pub fn find_fix(
    scratch: &Scratch,
    index: &CargoIndex<'_>,
    target: &Target<'_>,
    policy: &SearchPolicy<'_>,
) -> Result<Found, SearchError> {
    let lowest = search_once(scratch, index, target, policy, false);
    if matches!(&lowest, Ok(found) if found.blast_radius.len() <= SMALL_CHANGE
            || far_above_limit(policy.max_blast_radius, found.blast_radius.len()))
        || matches!(&lowest, Err(SearchError::Unavailable(_)))
    {
        return lowest;
    }
    trace(|| format!("{} lowest-first: {}", target.name, outcome(&lowest)));
    let newest = search_once(scratch, index, target, policy, true);
    trace(|| format!("{} newest-first: {}", target.name, outcome(&newest)));
    match (lowest, newest) {
        (Ok(low), Ok(new)) if new.blast_radius.len() < low.blast_radius.len() => Ok(new),
        (Ok(low), _) => Ok(low),
        (Err(_), Ok(new)) => Ok(new),
        (Err(e), Err(_)) => Err(e),
    }
}

/// With `NANOUP_SEARCH_TRACE` set, the search says on stderr what it tries (for debugging a
/// plan: which pins Cargo refused and which variant won).
fn trace(message: impl FnOnce() -> String) {
    if std::env::var_os("NANOUP_SEARCH_TRACE").is_some() {
        eprintln!("search: {}", message());
    }
}

fn outcome(result: &Result<Found, SearchError>) -> String {
    match result {
        Ok(found) => format!("{} entries", found.blast_radius.len()),
        Err(SearchError::NoFix(e) | SearchError::Unavailable(e)) => format!("failed: {e}"),
    }
}

/// One search, preferring the lowest fitting versions, or with `newest` the newest versions
/// compatible with the lowest fitting one.
fn search_once(
    scratch: &Scratch,
    index: &CargoIndex<'_>,
    target: &Target<'_>,
    policy: &SearchPolicy<'_>,
    newest: bool,
) -> Result<Found, SearchError> {
    scratch.reset().map_err(SearchError::Unavailable)?;
    let original = read_lock(scratch.dir()).map_err(SearchError::Unavailable)?;
    let mut search = Search {
        scratch,
        index,
        policy,
        original: original.clone(),
        pins: Vec::new(),
        roles: BTreeMap::new(),
        newest,
    };
    let clean: BTreeSet<&str> = target.clean.iter().map(String::as_str).collect();
    let accept = |v: &str| clean.contains(v);
    search.roles.insert(
        target.name.to_string(),
        (StepRole::Target, target.why.clone(), false),
    );
    let to = search.settle(
        target.name,
        target.from,
        &accept,
        StepRole::Target,
        &target.why,
        0,
    )?;
    // Stepping companions down narrows a change by a few entries, not by half: a change
    // already far above the limit is left as Cargo made it (it is refused or replaced anyway).
    let settled = diff(&original, &search.lock()?).len();
    if !far_above_limit(policy.max_blast_radius, settled) {
        search.step_down_companions()?;
    }
    check_lock(scratch.dir()).map_err(SearchError::NoFix)?;
    let now = read_lock(scratch.dir()).map_err(SearchError::Unavailable)?;
    let blast_radius = diff(&original, &now);
    let steps = search.describe(&blast_radius, &now);
    Ok(Found {
        to,
        pins: search.pins,
        steps,
        blast_radius,
    })
}

/// `versions` (ascending) in the order a search tries them: as they are, or with `newest` those
/// semver-compatible with the first (same major, or same minor below 1.0) newest first, then
/// the rest.
fn preference_order<'v>(versions: &[&'v String], newest: bool) -> Vec<&'v String> {
    let compatible = |a: &str, b: &str| match (semver::Version::parse(a), semver::Version::parse(b))
    {
        (Ok(a), Ok(b)) => match (a.major, a.minor) {
            (0, 0) => b.major == 0 && b.minor == 0 && a.patch == b.patch,
            (0, minor) => b.major == 0 && b.minor == minor,
            (major, _) => b.major == major,
        },
        _ => false,
    };
    let Some(first) = versions.first().filter(|_| newest) else {
        return versions.to_vec();
    };
    let (mut same, rest): (Vec<&String>, Vec<&String>) =
        versions.iter().partition(|v| compatible(first, v));
    same.reverse();
    same.extend(rest);
    same
}

fn entries(lock: &[LockPackage]) -> Vec<(String, String)> {
    lock.iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn diff(old: &[LockPackage], new: &[LockPackage]) -> Vec<EntryChange> {
    EntryChange::diff(&entries(old), &entries(new))
}

/// How many of the `moved` entries (name, new version) only `name`@`version` brings in: those
/// of its dependency closure in `lock` that no entry outside the closure depends on.
fn pulled_in(
    lock: &[LockPackage],
    name: &str,
    version: &str,
    moved: &BTreeSet<(&str, &str)>,
) -> usize {
    let find = |reference: &str| lock.iter().position(|p| p.matches_reference(reference));
    let Some(start) = lock
        .iter()
        .position(|p| p.name == name && p.version == version)
    else {
        return 0;
    };
    let mut closure = BTreeSet::from([start]);
    let mut queue = vec![start];
    while let Some(at) = queue.pop() {
        for dep in &lock[at].dependencies {
            if let Some(found) = find(dep)
                && closure.insert(found)
            {
                queue.push(found);
            }
        }
    }
    closure
        .iter()
        .filter(|&&i| i != start)
        .filter(|&&i| moved.contains(&(lock[i].name.as_str(), lock[i].version.as_str())))
        .filter(|&&i| {
            // Needed elsewhere too: stepping `name` down would not drop it.
            !lock.iter().enumerate().any(|(j, p)| {
                !closure.contains(&j) && p.dependencies.iter().any(|d| lock[i].matches_reference(d))
            })
        })
        .count()
}

/// The packages whose dependency lists name `name`@`version`.
fn dependents<'l>(lock: &'l [LockPackage], name: &str, version: &str) -> Vec<&'l LockPackage> {
    let Some(entry) = lock.iter().find(|p| p.name == name && p.version == version) else {
        return Vec::new();
    };
    lock.iter()
        .filter(|p| p.dependencies.iter().any(|d| entry.matches_reference(d)))
        .collect()
}

/// A dependent's requirements on a crate.
struct Requirement {
    /// The dependent, `name version`.
    who: String,
    /// The dependent's name and version.
    name: String,
    version: String,
    /// Every requirement it states (several declarations: normal, build, per target).
    reqs: Vec<String>,
    /// The features it enables on the crate (a release without one of them cannot serve it).
    features: Vec<String>,
    /// A crate of the workspace (its manifest states the requirement).
    local: bool,
}

impl Requirement {
    fn accepts(&self, version: &str) -> bool {
        self.reqs.iter().all(|r| accepts(r, version))
    }
}

/// Whether `name`@`version` meets every one of `requirements`: the version requirement and the
/// features asked for (chrono 0.4.45 lacks the `rustc-serialize` feature rspotify 0.9 enables,
/// so it cannot replace chrono 0.4.11 there).
fn fits(index: &CargoIndex<'_>, name: &str, version: &str, requirements: &[Requirement]) -> bool {
    if !requirements.iter().all(|r| r.accepts(version)) {
        return false;
    }
    let wanted: BTreeSet<&str> = requirements
        .iter()
        .flat_map(|r| r.features.iter().map(String::as_str))
        .collect();
    wanted.is_empty()
        || index
            .release(name, version)
            .ok()
            .flatten()
            .is_some_and(|r| wanted.iter().all(|f| r.features.iter().any(|o| o == f)))
}

/// Whether policy lets `name` move from `from` to `to` (kind, cooldown by the index's date, not
/// affected by an advisory): every entry the search moves on purpose is held to it.
fn allowed(
    index: &CargoIndex<'_>,
    policy: &SearchPolicy<'_>,
    name: &str,
    from: Option<&str>,
    to: &str,
) -> bool {
    let published = index
        .release(name, to)
        .ok()
        .flatten()
        .and_then(|r| r.published);
    (policy.may_move)(name, from, to, published.as_deref())
}

struct Search<'s, 'i> {
    scratch: &'s Scratch,
    index: &'s CargoIndex<'i>,
    policy: &'s SearchPolicy<'s>,
    original: Vec<LockPackage>,
    pins: Vec<Pin>,
    /// The role and reason of every entry the search moved on purpose, by name.
    roles: BTreeMap<String, (StepRole, String, bool)>,
    /// Prefer the newest compatible versions over the lowest (see [`find_fix`]).
    newest: bool,
}

impl Search<'_, '_> {
    fn lock(&self) -> Result<Vec<LockPackage>, SearchError> {
        read_lock(self.scratch.dir()).map_err(SearchError::Unavailable)
    }

    fn unavailable(e: String) -> SearchError {
        SearchError::Unavailable(e)
    }

    /// The requirements every dependent of `name`@`version` states on it.
    fn requirements(
        &self,
        lock: &[LockPackage],
        name: &str,
        version: &str,
    ) -> Result<Vec<Requirement>, SearchError> {
        let mut out = Vec::new();
        for d in dependents(lock, name, version) {
            let (reqs, features, local) = match &d.source {
                Some(_) => {
                    let release = self
                        .index
                        .release(&d.name, &d.version)
                        .map_err(Self::unavailable)?;
                    let on_name: Vec<_> = release
                        .iter()
                        .flat_map(|r| r.deps.iter())
                        .filter(|dep| dep.package == name)
                        .collect();
                    let reqs = on_name.iter().map(|dep| dep.req.clone()).collect();
                    let features = on_name
                        .iter()
                        .flat_map(|dep| dep.features.iter())
                        .filter(|f| !f.contains('/'))
                        .cloned()
                        .collect();
                    (reqs, features, false)
                }
                None => (self.workspace_requirements(name)?, Vec::new(), true),
            };
            out.push(Requirement {
                who: format!("{} {}", d.name, d.version),
                name: d.name.clone(),
                version: d.version.clone(),
                reqs,
                features,
                local,
            });
        }
        Ok(out)
    }

    /// Every requirement the workspace's manifests state on `name`.
    fn workspace_requirements(&self, name: &str) -> Result<Vec<String>, SearchError> {
        let mut out = Vec::new();
        for path in super::manifests_under(self.scratch.dir()).map_err(Self::unavailable)? {
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.extend(nanoup_ecosystems::cargo::edit::requirements_on(&text, name));
            }
        }
        Ok(out)
    }

    /// The versions of `name` above `floor` that `accept` takes, not yanked, not a prerelease
    /// unless `floor` is one: ascending.
    fn candidates(
        &self,
        name: &str,
        floor: &str,
        accept: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<(String, Option<String>)>, SearchError> {
        let floor_pre = semver::Version::parse(floor).is_ok_and(|v| !v.pre.is_empty());
        let mut out: Vec<(semver::Version, String, Option<String>)> = self
            .index
            .releases(name)
            .map_err(Self::unavailable)?
            .iter()
            .filter(|r| !r.yanked && accept(&r.version))
            .filter_map(|r| {
                let v = semver::Version::parse(&r.version).ok()?;
                (lower(floor, &r.version) && (floor_pre || v.pre.is_empty()))
                    .then(|| (v, r.version.clone(), r.published.clone()))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out.into_iter().map(|(_, v, p)| (v, p)).collect())
    }

    /// The version of `name` that stands for the entry that was `floor` (its original version):
    /// that one while it is locked, else the one version of `name` the original lock did not
    /// have (Cargo moved it), else `None` (the entry left the graph).
    fn current(&self, lock: &[LockPackage], name: &str, floor: &str) -> Option<String> {
        let versions: Vec<&str> = lock
            .iter()
            .filter(|p| p.name == name)
            .map(|p| p.version.as_str())
            .collect();
        if versions.contains(&floor) {
            return Some(floor.to_string());
        }
        let new: Vec<&str> = versions
            .into_iter()
            .filter(|v| {
                !self
                    .original
                    .iter()
                    .any(|p| p.name == name && p.version == *v)
            })
            .collect();
        (new.len() == 1).then(|| new[0].to_string())
    }

    /// Moves the entry of `name` that was `floor` to the lowest version `accept` takes, lifting
    /// its dependents or widening a manifest when they exclude it. The version it ends at
    /// (`None`: no longer in the graph).
    fn settle(
        &mut self,
        name: &str,
        floor: &str,
        accept: &dyn Fn(&str) -> bool,
        role: StepRole,
        why: &str,
        depth: usize,
    ) -> Result<Option<String>, SearchError> {
        if depth > MAX_DEPTH {
            return Err(SearchError::NoFix(format!(
                "moving {name} needs parent bumps more than {MAX_DEPTH} levels deep"
            )));
        }
        let lock = self.lock()?;
        let Some(current) = self.current(&lock, name, floor) else {
            return Ok(None);
        };
        let candidates = self.candidates(name, floor, accept)?;
        if candidates.is_empty() {
            return Err(SearchError::NoFix(format!(
                "no release of {name} above {floor} is acceptable (fixed, not yanked, allowed by \
                 policy)"
            )));
        }
        let requirements = self.requirements(&lock, name, &current)?;
        let fits: Vec<&String> = candidates
            .iter()
            .map(|(v, _)| v)
            .filter(|v| fits(self.index, name, v, &requirements))
            .collect();
        if let Some(lowest) = fits.first()
            && **lowest == current
        {
            return Ok(Some(current));
        }
        let fits = preference_order(&fits, self.newest && role != StepRole::Companion);
        let mut last_refusal = None;
        for to in fits.iter().take(MAX_TRIES) {
            // An attempt that fails half-way (a companion moved, the target refused) is undone.
            let (pins, roles) = (self.pins.len(), self.roles.clone());
            match self.pin_with_companions(name, &current, to, false, role, why, depth) {
                Ok(()) => return Ok(Some(to.to_string())),
                Err(SearchError::NoFix(e)) => {
                    last_refusal = Some(e);
                    if self.pins.len() > pins {
                        self.pins.truncate(pins);
                        self.roles = roles;
                        self.replay()?;
                    }
                }
                Err(other) => return Err(other),
            }
        }
        if let Some(reason) = last_refusal {
            return Err(SearchError::NoFix(reason));
        }
        // No acceptable version fits every dependent: lift the ones that exclude them all.
        let blocking: Vec<&Requirement> = requirements
            .iter()
            .filter(|r| !candidates.iter().any(|(v, _)| r.accepts(v)))
            .collect();
        if blocking.is_empty() {
            return Err(SearchError::NoFix(format!(
                "the dependents of {name} {current} ({}) accept no common fixed version",
                requirements
                    .iter()
                    .map(|r| format!("{} requires {}", r.who, r.reqs.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        let clean: Vec<String> = candidates.iter().map(|(v, _)| v.clone()).collect();
        for parent in &blocking {
            if parent.local {
                continue;
            }
            let parent_accepts = |pv: &str| -> bool {
                let Ok(Some(release)) = self.index.release(&parent.name, pv) else {
                    return false;
                };
                let reqs: Vec<&str> = release
                    .deps
                    .iter()
                    .filter(|d| d.package == name)
                    .map(|d| d.req.as_str())
                    .collect();
                (reqs.is_empty() || clean.iter().any(|c| reqs.iter().all(|r| accepts(r, c))))
                    && (self.policy.may_move)(
                        &parent.name,
                        Some(&parent.version),
                        pv,
                        release.published.as_deref(),
                    )
            };
            let reason = format!(
                "{} requires {} {}, which no fixed release matches",
                parent.who,
                name,
                parent.reqs.join(", ")
            );
            self.settle(
                &parent.name,
                &parent.version,
                &parent_accepts,
                StepRole::Parent,
                &reason,
                depth + 1,
            )
            .map_err(|e| match e {
                SearchError::NoFix(inner) => SearchError::NoFix(format!("{reason}; {inner}")),
                other => other,
            })?;
        }
        if let Some(local) = blocking.iter().find(|r| r.local) {
            if !self.policy.manifest_changes {
                return Err(SearchError::NoFix(format!(
                    "the workspace requires {name} {}, which no fixed release matches, and policy \
                     forbids manifest changes",
                    local.reqs.join(", ")
                )));
            }
            // Widen the workspace's requirement to the lowest version the others accept.
            let lock = self.lock()?;
            let Some(current) = self.current(&lock, name, floor) else {
                return Ok(None);
            };
            let others = self.requirements(&lock, name, &current)?;
            let to = candidates
                .iter()
                .map(|(v, _)| v)
                .find(|v| others.iter().filter(|r| !r.local).all(|r| r.accepts(v)))
                .ok_or_else(|| {
                    SearchError::NoFix(format!(
                        "no fixed release of {name} is accepted by its other dependents"
                    ))
                })?
                .clone();
            let why = format!(
                "{why}; the workspace's requirement {} excludes every fixed release",
                local.reqs.join(", ")
            );
            self.pin_with_companions(name, &current, &to, true, role, &why, depth)?;
            return Ok(Some(to));
        }
        // The parents moved: settle the entry again against its new dependents.
        self.settle(name, floor, accept, role, why, depth + 1)
    }

    /// Pins `name`@`at` to `to`; when Cargo refuses, first moves what holds the release back
    /// (companions) and tries again: the dependencies `to` needs above their locked versions,
    /// and the locked entry Cargo names as the conflict (a dependency of a dependency).
    #[allow(clippy::too_many_arguments)]
    fn pin_with_companions(
        &mut self,
        name: &str,
        at: &str,
        to: &str,
        manifest: bool,
        role: StepRole,
        why: &str,
        depth: usize,
    ) -> Result<(), SearchError> {
        let pin = Pin {
            name: name.to_string(),
            at: at.to_string(),
            to: to.to_string(),
            manifest,
        };
        let mut failure = match self.try_pin(&pin, role, why) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        // The release's own dependencies locked too low.
        if let Some(release) = self.index.release(name, to).map_err(Self::unavailable)? {
            let lock = self.lock()?;
            let mut moved = false;
            for dep in release.deps.iter().filter(|d| !d.optional) {
                let locked: Vec<&LockPackage> =
                    lock.iter().filter(|p| p.name == dep.package).collect();
                if locked.is_empty() || locked.iter().any(|p| accepts(&dep.req, &p.version)) {
                    continue;
                }
                let reason = format!("{name} {to} requires {} {}", dep.package, dep.req);
                self.move_companion(&dep.package, &locked[0].version, &dep.req, &reason, depth)?;
                moved = true;
            }
            if moved {
                match self.try_pin(&pin, role, why) {
                    Ok(()) => return Ok(()),
                    Err(e) => failure = e,
                }
            }
        }
        // Entries deeper in the graph that Cargo names as the conflict, one at a time.
        let mut unlocked = BTreeSet::new();
        while let Some((conflict, locked, req)) = failure.conflict.clone() {
            if conflict == name || !unlocked.insert(conflict.clone()) {
                break;
            }
            let reason = format!("{name} {to} needs {conflict} {req} (Cargo's resolution)");
            self.move_companion(&conflict, &locked, &req, &reason, depth)?;
            match self.try_pin(&pin, role, why) {
                Ok(()) => return Ok(()),
                Err(e) => failure = e,
            }
        }
        Err(SearchError::NoFix(failure.message))
    }

    /// Makes `pin` on the copy and records it with its role and why when Cargo accepts it.
    fn try_pin(&mut self, pin: &Pin, role: StepRole, why: &str) -> Result<(), PinFailure> {
        let result = run_pin(self.scratch.dir(), pin);
        trace(|| {
            format!(
                "pin {}@{} -> {} ({role:?}): {}",
                pin.name,
                pin.at,
                pin.to,
                match &result {
                    Ok(()) => "ok".to_string(),
                    Err(e) => e.message.lines().last().unwrap_or_default().to_string(),
                }
            )
        });
        result?;
        self.record(pin.clone(), role, why);
        Ok(())
    }

    /// Moves the companion `name`, locked at `locked`, to the lowest version meeting `req`
    /// that policy allows (see [`Search::settle`]).
    fn move_companion(
        &mut self,
        name: &str,
        locked: &str,
        req: &str,
        reason: &str,
        depth: usize,
    ) -> Result<(), SearchError> {
        let (index, policy) = (self.index, self.policy);
        let accept = |v: &str| accepts(req, v) && allowed(index, policy, name, Some(locked), v);
        self.settle(
            name,
            locked,
            &accept,
            StepRole::Companion,
            reason,
            depth + 1,
        )?;
        Ok(())
    }

    fn record(&mut self, pin: Pin, role: StepRole, why: &str) {
        self.roles
            .entry(pin.name.clone())
            .or_insert_with(|| (role, why.to_string(), pin.manifest));
        if pin.manifest
            && let Some(entry) = self.roles.get_mut(&pin.name)
        {
            entry.1 = why.to_string();
            entry.2 = true;
        }
        self.pins.push(pin);
    }

    /// Entries Cargo raised or added on its own at their newest match are stepped down to the
    /// lowest version every dependent accepts, when that narrows the change or keeps its size
    /// without touching a new name: first those that pulled the most moved entries in with
    /// them (stepping one down can drop its whole subtree: an older `iana-time-zone` needs no
    /// `windows-core` and its eight platform crates), then those the pinned entries require
    /// directly. At most [`MAX_STEP_DOWNS`] Cargo runs per update; a step that does not pay is
    /// undone by putting the lockfile back.
    fn step_down_companions(&mut self) -> Result<(), SearchError> {
        let mut tried: BTreeSet<String> = BTreeSet::new();
        let mut runs = 0;
        let lock_path = self.scratch.dir().join("Cargo.lock");
        while runs < MAX_STEP_DOWNS {
            let now = self.lock()?;
            let changes = diff(&self.original, &now);
            let names: BTreeSet<String> = changes.iter().map(|c| c.name.clone()).collect();
            let moved: BTreeSet<(&str, &str)> = changes
                .iter()
                .filter_map(|c| Some((c.name.as_str(), c.to.as_deref()?)))
                .collect();
            let open: Vec<&EntryChange> = changes
                .iter()
                .filter(|c| {
                    c.to.is_some() && !self.roles.contains_key(&c.name) && !tried.contains(&c.name)
                })
                .collect();
            let near = |c: &EntryChange| {
                let to = c.to.as_deref().unwrap_or_default();
                dependents(&now, &c.name, to)
                    .iter()
                    .any(|d| self.roles.contains_key(&d.name))
            };
            let Some(change) = open
                .iter()
                .max_by_key(|c| {
                    let to = c.to.as_deref().unwrap_or_default();
                    (pulled_in(&now, &c.name, to, &moved), near(c))
                })
                .copied()
            else {
                break;
            };
            tried.insert(change.name.clone());
            let to = change.to.clone().unwrap_or_default();
            let requirements = self.requirements(&now, &change.name, &to)?;
            let floor = change.from.clone().unwrap_or_else(|| "0.0.0".into());
            let below = |v: &str| lower(v, &to);
            let candidates = self.candidates(&change.name, &floor, &below)?;
            let fitting = candidates.iter().filter(|(v, published)| {
                fits(self.index, &change.name, v, &requirements)
                    && (self.policy.may_move)(
                        &change.name,
                        change.from.as_deref(),
                        v,
                        published.as_deref(),
                    )
            });
            let before = std::fs::read(&lock_path)
                .map_err(|e| SearchError::Unavailable(format!("cannot read Cargo.lock: {e}")))?;
            for (lowest, _) in fitting.take(MAX_TRIES) {
                if runs >= MAX_STEP_DOWNS {
                    break;
                }
                runs += 1;
                let pin = Pin {
                    name: change.name.clone(),
                    at: to.clone(),
                    to: lowest.clone(),
                    manifest: false,
                };
                if run_pin(self.scratch.dir(), &pin).is_err() {
                    continue;
                }
                let after = diff(&self.original, &self.lock()?);
                // Narrower pays; the same size pays when it touches no new name (the
                // companion then sits at its lowest accepted version, as a plan promises).
                let pays = after.len() < changes.len()
                    || (after.len() == changes.len()
                        && after.iter().all(|c| names.contains(&c.name)));
                if pays {
                    let why = format!("lowest version its dependents accept (Cargo took {to})");
                    self.record(pin, StepRole::Companion, &why);
                    break;
                }
                write_atomically(&lock_path, &before).map_err(|e| {
                    SearchError::Unavailable(format!("cannot put Cargo.lock back: {e}"))
                })?;
            }
        }
        Ok(())
    }

    fn replay(&self) -> Result<(), SearchError> {
        self.scratch.reset().map_err(SearchError::Unavailable)?;
        for pin in &self.pins {
            run_pin(self.scratch.dir(), pin).map_err(|e| SearchError::Unavailable(e.message))?;
        }
        Ok(())
    }

    /// One step per entry of the blast radius, with its role and why.
    fn describe(&self, changes: &[EntryChange], now: &[LockPackage]) -> Vec<Step> {
        changes
            .iter()
            .map(|c| {
                let (role, why, manifest) = match self.roles.get(&c.name) {
                    Some((role, why, manifest)) => (*role, why.clone(), *manifest),
                    None => (StepRole::Companion, self.why_companion(c, now), false),
                };
                Step {
                    name: c.name.clone(),
                    from: c.from.clone(),
                    to: c.to.clone(),
                    role,
                    why,
                    manifest,
                    path: None,
                }
            })
            .collect()
    }

    /// Why Cargo moved an entry nobody pinned: the moved entries that now require it, or that
    /// nothing requires it any more.
    fn why_companion(&self, change: &EntryChange, now: &[LockPackage]) -> String {
        let Some(to) = &change.to else {
            return "no longer required by any entry".to_string();
        };
        let users: Vec<String> = dependents(now, &change.name, to)
            .iter()
            .filter(|p| {
                !self
                    .original
                    .iter()
                    .any(|o| o.name == p.name && o.version == p.version)
            })
            .map(|p| {
                let req = self
                    .index
                    .release(&p.name, &p.version)
                    .ok()
                    .flatten()
                    .and_then(|r| {
                        r.deps
                            .iter()
                            .find(|d| d.package == change.name)
                            .map(|d| format!(" {}", d.req))
                    })
                    .unwrap_or_default();
                format!("{} {} requires {}{req}", p.name, p.version, change.name)
            })
            .collect();
        if users.is_empty() {
            format!("Cargo's resolution moved it to {to}")
        } else {
            users.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(text: &str) -> Vec<LockPackage> {
        nanoup_ecosystems::cargo::lockfile::parse("Cargo.lock", text).unwrap()
    }

    fn versions(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn newest_first_prefers_the_newest_compatible_with_the_lowest_that_fits() {
        let all = versions(&["0.4.30", "0.4.37", "0.5.0", "1.0.0"]);
        let refs: Vec<&String> = all.iter().collect();
        let order = |newest| -> Vec<&str> {
            preference_order(&refs, newest)
                .into_iter()
                .map(String::as_str)
                .collect()
        };
        assert_eq!(order(false), ["0.4.30", "0.4.37", "0.5.0", "1.0.0"]);
        assert_eq!(order(true), ["0.4.37", "0.4.30", "0.5.0", "1.0.0"]);
        let majors = versions(&["1.2.0", "1.9.1", "2.0.0"]);
        let refs: Vec<&String> = majors.iter().collect();
        let first: Vec<&str> = preference_order(&refs, true)
            .into_iter()
            .map(String::as_str)
            .collect();
        assert_eq!(first, ["1.9.1", "1.2.0", "2.0.0"]);
        let patches = versions(&["0.0.3", "0.0.4"]);
        let refs: Vec<&String> = patches.iter().collect();
        assert_eq!(
            preference_order(&refs, true),
            refs,
            "0.0.x: every patch is a major"
        );
    }

    #[test]
    fn pulled_in_counts_the_moved_entries_only_this_one_brings() {
        // app -> a -> {b, c}; app -> d -> c. Stepping `a` down can drop `b`, never `c`.
        let text = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["a", "d"]

[[package]]
name = "a"
version = "1.2.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["b", "c"]

[[package]]
name = "b"
version = "0.3.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "c"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "d"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["c"]
"#;
        let lock = lock(text);
        let moved: BTreeSet<(&str, &str)> = [("a", "1.2.0"), ("b", "0.3.0"), ("c", "2.0.0")]
            .into_iter()
            .collect();
        assert_eq!(pulled_in(&lock, "a", "1.2.0", &moved), 1);
        assert_eq!(pulled_in(&lock, "d", "1.0.0", &moved), 0, "c is a's too");
        let only_c: BTreeSet<(&str, &str)> = [("c", "2.0.0")].into_iter().collect();
        assert_eq!(pulled_in(&lock, "a", "1.2.0", &only_c), 0);
        assert_eq!(pulled_in(&lock, "gone", "1.0.0", &moved), 0);
    }

    #[test]
    fn a_release_fits_only_with_the_features_its_dependents_enable() {
        // The recorded crates.io index of tokio: 0.1.2 has no features, 1.0.0 has `full`.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../nanoup-ecosystems/tests/fixtures/registry/crates.io/to/ki/tokio");
        let body = std::fs::read(path).unwrap();
        let index = CargoIndex::new(move |_: &str| Ok(body.clone()));
        let requirement = |features: &[&str]| Requirement {
            who: "app 0.1.0".into(),
            name: "app".into(),
            version: "0.1.0".into(),
            reqs: vec![">=0.1".into()],
            features: features.iter().map(|f| f.to_string()).collect(),
            local: false,
        };
        assert!(fits(&index, "tokio", "0.1.2", &[requirement(&[])]));
        assert!(!fits(&index, "tokio", "0.1.2", &[requirement(&["full"])]));
        assert!(fits(&index, "tokio", "1.0.0", &[requirement(&["full"])]));
        // An optional dependency is a feature too.
        assert!(fits(&index, "tokio", "1.0.0", &[requirement(&["bytes"])]));
        assert!(!fits(
            &index,
            "tokio",
            "1.0.0",
            &[requirement(&["no-such"])]
        ));
        // The version requirement still rules.
        let mut old_only = requirement(&[]);
        old_only.reqs = vec!["<1".into()];
        assert!(!fits(&index, "tokio", "1.0.0", &[old_only]));
    }
}
