//! The search for npm's minimal consistent change for one vulnerable package in a
//! package-lock.json (or npm-shrinkwrap.json).
//!
//! Given the package's installed version and the versions that clear its advisories (ascending,
//! already filtered by policy), read with the lockfile's own graph (every dependent's declared
//! range, by Node's resolution):
//!
//! 1. The **target**: the lowest clean version every dependent's range accepts.
//! 2. When a dependent's range excludes every clean version, that dependent is lifted first (a
//!    **parent** bump): to its lowest release, allowed by policy, whose range on the package
//!    accepts a clean version (or that no longer depends on it), itself accepted by its own
//!    dependents, recursively; the project's package.json range is widened (a manifest change)
//!    when policy allows it. Then the target is the lowest clean version the new ranges accept.
//! 3. Every dependency a moved package's new version needs above what the tree holds (a
//!    **companion**) moves to the lowest version the new range and its other dependents accept,
//!    so that the change stays in place instead of npm taking the newest of everything.
//! 4. A dependency the tree lacks (or holds only where other dependents keep the old version)
//!    is **added** at the version npm would pick and placed as npm places it, and entries
//!    nothing reaches any more are **removed**: found by making the edit on the lockfile's
//!    text (`edit::try_group_edit`), so the plan names every entry the
//!    in-place edit will touch.
//!
//! The parents' ranges come from the registry's packuments (`versions.*.dependencies`); the
//! dependents' from the lockfile. Apply moves every step together, in place when the tree stays
//! consistent, else through npm, and measures the real blast radius.

use std::collections::{BTreeMap, BTreeSet};

use nanoup_core::{Step, StepRole};
use nanoup_ecosystems::npm::edit::{
    Dependent, GroupEdit, LockGraph, Move, range_accepts, try_group_edit,
};
use nanoup_ecosystems::npm::registry::{
    VersionManifest, dependency_ranges, parse_packument, version_manifest,
};

use crate::plan::{SearchError, SearchPolicy};

/// How deep parent bumps may go (a dependent of a dependent of ...).
const MAX_DEPTH: usize = 4;
/// At most this many companions per update; beyond, npm's own resolution decides the rest.
const MAX_COMPANIONS: usize = 30;
/// At most this many entries added per update (new dependencies of the moved releases, and
/// theirs); beyond, npm's own resolution decides.
const MAX_ADDED: usize = 60;

/// Returns the registry's packument of a package (the caller owns the network and the cache).
pub type FetchPackument<'a> = dyn Fn(&str) -> Result<Vec<u8>, String> + 'a;

pub use crate::plan::Target;

/// The minimal consistent change found for one vulnerable package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The target's new version.
    pub to: String,
    /// Every package moved, parents first then the target; empty when the target moves alone.
    pub steps: Vec<Step>,
    /// A package.json range of the project must change (the target's or a parent's).
    pub manifest_change: bool,
}

/// Searches the minimal consistent change for `target` in the lockfile `lock_text`.
pub fn find_fix(
    lock_text: &str,
    target: &Target<'_>,
    fetch: &FetchPackument<'_>,
    policy: &SearchPolicy<'_>,
) -> Result<Found, SearchError> {
    let graph = LockGraph::read(lock_text).map_err(|e| SearchError::Unavailable(e.to_string()))?;
    let mut search = Search {
        graph: &graph,
        fetch,
        policy,
        packuments: BTreeMap::new(),
        steps: Vec::new(),
        manifest: BTreeSet::new(),
        moved: BTreeMap::new(),
    };
    let to = search.settle(target.name, target.from, target.clean, 0)?;
    search.moved.insert(
        (target.name.to_string(), target.from.to_string()),
        to.clone(),
    );
    search.companions()?;
    search.additions(lock_text)?;
    let mut steps = search.steps;
    if !steps.is_empty() {
        steps.push(Step {
            name: target.name.to_string(),
            from: Some(target.from.to_string()),
            to: Some(to.clone()),
            role: StepRole::Target,
            why: target.why.clone(),
            manifest: false,
            path: None,
        });
    }
    for step in &mut steps {
        step.manifest = search.manifest.contains(&step.name);
    }
    Ok(Found {
        to,
        steps,
        manifest_change: !search.manifest.is_empty(),
    })
}

struct Search<'s> {
    graph: &'s LockGraph,
    fetch: &'s FetchPackument<'s>,
    policy: &'s SearchPolicy<'s>,
    /// Packuments read so far: each version's ranges on other packages, and its publish date.
    packuments: BTreeMap<String, Packument>,
    steps: Vec<Step>,
    /// The packages whose package.json range changes (a folder dependent excluded them).
    manifest: BTreeSet<String>,
    /// Every installed (name, version) the search moves, to its new version: their dependents'
    /// ranges are judged as the new version declares them.
    moved: BTreeMap<(String, String), String>,
}

/// What the search needs of a packument.
struct Packument {
    /// Version → its declared ranges (dependencies, optional, peer).
    ranges: BTreeMap<String, Vec<(String, String)>>,
    /// Versions (not deprecated) with their publish dates, ascending.
    versions: Vec<(semver::Version, String, Option<String>)>,
    /// The `latest` dist-tag.
    latest: Option<String>,
    /// The registry's answer, for the manifests of the versions an edit writes.
    body: Vec<u8>,
}

/// Whether `range` accepts one of `versions`.
fn accepts_any(range: &str, versions: &[String]) -> bool {
    versions
        .iter()
        .any(|v| range_accepts(range, v) == Some(true))
}

impl Search<'_> {
    fn packument(&mut self, name: &str) -> Result<&Packument, SearchError> {
        if !self.packuments.contains_key(name) {
            let body = (self.fetch)(name).map_err(SearchError::Unavailable)?;
            let ranges =
                dependency_ranges(name, &body).map_err(|e| SearchError::Unavailable(e.0))?;
            let parsed = parse_packument(name, &body).map_err(|e| SearchError::Unavailable(e.0))?;
            let latest = parsed.dist_tags.get("latest").cloned();
            let mut versions: Vec<_> = parsed
                .versions
                .into_iter()
                .filter(|v| v.deprecated.is_none())
                .filter_map(|v| {
                    Some((
                        semver::Version::parse(&v.version).ok()?,
                        v.version,
                        v.published,
                    ))
                })
                .collect();
            versions.sort_by(|a, b| a.0.cmp(&b.0));
            self.packuments.insert(
                name.to_string(),
                Packument {
                    ranges,
                    versions,
                    latest,
                    body,
                },
            );
        }
        Ok(&self.packuments[name])
    }

    /// Moves `name@from` to the lowest of `acceptable` (ascending) that its dependents accept,
    /// lifting the dependents that accept none first. The version chosen.
    fn settle(
        &mut self,
        name: &str,
        from: &str,
        acceptable: &[String],
        depth: usize,
    ) -> Result<String, SearchError> {
        let found = self.dependents(name, from)?;
        let all_accept = |ranges: &[Option<String>], v: &str| {
            ranges
                .iter()
                .flatten()
                .all(|r| range_accepts(r, v) == Some(true))
        };
        let declared: Vec<Option<String>> = found.iter().map(|d| Some(d.range.clone())).collect();
        if let Some(v) = acceptable.iter().find(|v| all_accept(&declared, v)) {
            return Ok(v.clone());
        }
        if depth >= MAX_DEPTH {
            return Err(SearchError::NoFix(format!(
                "moving {name} needs parent bumps more than {MAX_DEPTH} levels deep"
            )));
        }
        // The ranges once the blocking dependents moved (`None`: no longer a constraint).
        let mut ranges: Vec<Option<String>> = Vec::new();
        for dependent in &found {
            if accepts_any(&dependent.range, acceptable) {
                ranges.push(Some(dependent.range.clone()));
                continue;
            }
            ranges.push(self.lift(dependent, name, acceptable, depth)?);
        }
        acceptable
            .iter()
            .find(|v| all_accept(&ranges, v))
            .cloned()
            .ok_or_else(|| {
                SearchError::NoFix(format!(
                    "the dependents of {name} {from} accept no common fixed version ({})",
                    found
                        .iter()
                        .map(|d| format!("{} asks for {}", who(d), d.range))
                        .collect::<Vec<_>>()
                        .join("; ")
                ))
            })
    }

    /// The dependents of `name@version` with the ranges they will declare: a dependent the
    /// search moves is judged by its new version's range (and left out when that no longer
    /// depends on `name`).
    fn dependents(&mut self, name: &str, version: &str) -> Result<Vec<Dependent>, SearchError> {
        let found = self.graph.dependents(name, version);
        let mut out = Vec::new();
        for mut dependent in found {
            let moved_to = dependent
                .version
                .as_ref()
                .and_then(|v| self.moved.get(&(dependent.name.clone(), v.clone())))
                .cloned();
            if let Some(to) = moved_to {
                let range = self
                    .packument(&dependent.name)?
                    .ranges
                    .get(&to)
                    .and_then(|deps| deps.iter().find(|(d, _)| d == name))
                    .map(|(_, r)| r.clone());
                match range {
                    Some(range) => dependent.range = range,
                    None => continue,
                }
            }
            out.push(dependent);
        }
        Ok(out)
    }

    /// The **companions**: every dependency a moved package's new version declares that the
    /// tree holds at a version its range rejects moves too, to the lowest version that range and
    /// the dependency's other dependents accept, and so on for the companions' own new
    /// versions. A dependency missing from the tree, or one whose other dependents accept no
    /// such version (npm nests a second copy), is left to npm: apply then falls back to it and
    /// reports what it changed. Companions never make an update unfixable.
    fn companions(&mut self) -> Result<(), SearchError> {
        let mut queue: Vec<((String, String), String)> = self
            .moved
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut added = 0;
        while let Some(((name, from), to)) = queue.pop() {
            let declared = self
                .packument(&name)?
                .ranges
                .get(&to)
                .cloned()
                .unwrap_or_default();
            for (dependency, range) in declared {
                let installed = self.graph.resolved_versions(&name, &from, &dependency);
                for current in installed {
                    let now = self
                        .moved
                        .get(&(dependency.clone(), current.clone()))
                        .cloned()
                        .unwrap_or_else(|| current.clone());
                    if range_accepts(&range, &now) != Some(false) || added >= MAX_COMPANIONS {
                        continue;
                    }
                    let policy = self.policy;
                    let current_semver = semver::Version::parse(&current).ok();
                    let acceptable: Vec<String> = self
                        .packument(&dependency)?
                        .versions
                        .iter()
                        .filter(|(v, _, _)| current_semver.as_ref().is_some_and(|c| v > c))
                        .filter(|(v, _, _)| v.pre.is_empty())
                        .filter(|(_, text, _)| range_accepts(&range, text) == Some(true))
                        .filter(|(_, text, published)| {
                            (policy.may_move)(
                                &dependency,
                                Some(&current),
                                text,
                                published.as_deref(),
                            )
                        })
                        .map(|(_, text, _)| text.clone())
                        .collect();
                    // The lowest that its dependents (as they will be) accept too. None: npm
                    // would nest a second copy instead, which only npm itself can lay out.
                    let dependents = self.dependents(&dependency, &current)?;
                    let Some(chosen) = acceptable
                        .iter()
                        .find(|v| {
                            dependents
                                .iter()
                                .all(|d| range_accepts(&d.range, v) == Some(true))
                        })
                        .cloned()
                    else {
                        continue;
                    };
                    let why = format!("{name}@{to} requires {dependency} {range}");
                    added += 1;
                    let key = (dependency.clone(), current.clone());
                    self.moved.insert(key.clone(), chosen.clone());
                    self.steps.push(Step {
                        name: dependency.clone(),
                        from: Some(current),
                        to: Some(chosen.clone()),
                        role: StepRole::Companion,
                        why,
                        manifest: false,
                        path: None,
                    });
                    queue.push((key, chosen));
                }
            }
        }
        Ok(())
    }

    /// The registry's manifest of `name@version`.
    fn manifest(&mut self, name: &str, version: &str) -> Result<VersionManifest, SearchError> {
        let body = &self.packument(name)?.body;
        version_manifest(name, body, version).map_err(|e| SearchError::Unavailable(e.0))
    }

    /// The entries the moves add and remove: a dependency of a moved release (or of an added
    /// one) that the tree lacks, or holds only at a version its range rejects where no
    /// companion could move it, is **added** at the version npm would pick (the `latest` tag
    /// when the range accepts it, else the highest accepted release), allowed by policy and
    /// not vulnerable, placed as npm places it; entries nothing reaches any more are
    /// **removed**, as npm prunes them. Both become steps, found by making the edit on the
    /// lockfile's text. When the edit cannot be made in place, nothing is added: apply falls
    /// back to npm and reports what it changed.
    fn additions(&mut self, lock_text: &str) -> Result<(), SearchError> {
        let moved: Vec<((String, String), String)> = self
            .moved
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut manifests = Vec::new();
        for ((name, from), to) in &moved {
            manifests.push((name.as_str(), from.as_str(), self.manifest(name, to)?));
        }
        let moves: Vec<Move<'_>> = manifests
            .iter()
            .map(|(name, from, to)| Move { name, from, to })
            .collect();
        let mut added: Vec<VersionManifest> = Vec::new();
        let mut why: BTreeMap<(String, String), String> = BTreeMap::new();
        let edit = loop {
            let refs: Vec<&VersionManifest> = added.iter().collect();
            let needs = match try_group_edit(lock_text, &moves, &refs) {
                Ok(GroupEdit::Made(edit)) => break edit,
                Ok(GroupEdit::Unmet(needs)) => needs,
                // The edit cannot be made in place: apply falls back to npm.
                Err(_) => return Ok(()),
            };
            let mut progressed = false;
            for need in needs {
                if added.len() >= MAX_ADDED {
                    return Ok(());
                }
                let have = added.iter().any(|m| {
                    m.name == need.name && range_accepts(&need.range, &m.version) == Some(true)
                });
                if have {
                    continue; // added already, and still no place for it
                }
                let Some(version) = self.pick_new(&need.name, &need.range)? else {
                    continue;
                };
                let dependent = &need.dependent_release;
                why.entry((need.name.clone(), version.clone()))
                    .or_insert_with(|| match &need.found {
                        None => format!("{dependent} requires {} {}", need.name, need.range),
                        Some((_, v)) => format!(
                            "{dependent} requires {} {}, and {v} stays for its other dependents",
                            need.name, need.range
                        ),
                    });
                added.push(self.manifest(&need.name, &version)?);
                progressed = true;
            }
            if !progressed {
                return Ok(());
            }
        };
        let mut seen = BTreeSet::new();
        for change in edit.changed {
            if let (Some(from), Some(to)) = (&change.from, &change.to)
                && self.moved.get(&(change.name.clone(), from.clone())) == Some(to)
            {
                continue; // a move the search already named
            }
            if !seen.insert((change.name.clone(), change.from.clone(), change.to.clone())) {
                continue;
            }
            let why = match &change.to {
                Some(to) => why
                    .get(&(change.name.clone(), to.clone()))
                    .cloned()
                    .unwrap_or_else(|| format!("a moved release requires {}", change.name)),
                None => "nothing requires it any more".to_string(),
            };
            self.steps.push(Step {
                name: change.name,
                from: change.from,
                to: change.to,
                role: StepRole::Companion,
                why,
                manifest: false,
                path: change.path,
            });
        }
        Ok(())
    }

    /// The version npm would install for a new dependency `name` asked as `range`: the
    /// `latest` tag when the range accepts it, else the highest release it accepts; either
    /// allowed by policy for an added entry (not vulnerable). `None` when none is.
    fn pick_new(&mut self, name: &str, range: &str) -> Result<Option<String>, SearchError> {
        let policy = self.policy;
        let packument = self.packument(name)?;
        let allowed = |text: &str, published: Option<&str>| {
            range_accepts(range, text) == Some(true)
                && (policy.may_move)(name, None, text, published)
        };
        if let Some(latest) = &packument.latest
            && let Some((_, text, published)) = packument
                .versions
                .iter()
                .find(|(_, text, _)| text == latest)
            && allowed(text, published.as_deref())
        {
            return Ok(Some(text.clone()));
        }
        Ok(packument
            .versions
            .iter()
            .rev()
            .filter(|(v, _, _)| v.pre.is_empty())
            .find(|(_, text, published)| allowed(text, published.as_deref()))
            .map(|(_, text, _)| text.clone()))
    }

    /// Lifts `dependent`, whose range excludes every `acceptable` version of `name`: to its
    /// lowest allowed release whose range accepts one (or that drops `name`), or, for the
    /// project folder, a manifest change. Its range on `name` afterwards.
    fn lift(
        &mut self,
        dependent: &Dependent,
        name: &str,
        acceptable: &[String],
        depth: usize,
    ) -> Result<Option<String>, SearchError> {
        let why = format!(
            "{} asks for {name} {}, which no fixed release matches",
            who(dependent),
            dependent.range
        );
        let Some(current) = dependent.version.clone().filter(|_| !dependent.folder) else {
            if !self.policy.manifest_changes {
                return Err(SearchError::NoFix(format!(
                    "{why}, and policy forbids manifest changes"
                )));
            }
            // `npm install NAME@TO` saves a range that accepts the target.
            self.manifest.insert(name.to_string());
            return Ok(None);
        };
        // Already moved for another reason: its new version must do for this one too, else it
        // is raised further (to a release accepting both, found as below).
        let key = (dependent.name.clone(), current.clone());
        let floor = match self.moved.get(&key).cloned() {
            Some(moved_to) => {
                let range = self
                    .packument(&dependent.name)?
                    .ranges
                    .get(&moved_to)
                    .and_then(|deps| deps.iter().find(|(d, _)| d == name))
                    .map(|(_, r)| r.clone());
                match range {
                    Some(r) if !accepts_any(&r, acceptable) => Some(moved_to),
                    range => return Ok(range),
                }
            }
            None => None,
        };
        let current_semver = semver::Version::parse(floor.as_deref().unwrap_or(&current)).ok();
        let policy = self.policy;
        let packument = self.packument(&dependent.name)?;
        let lifts: Vec<(String, Option<String>)> = packument
            .versions
            .iter()
            .filter(|(v, _, _)| current_semver.as_ref().is_some_and(|c| v > c))
            .filter(|(v, _, _)| v.pre.is_empty())
            .filter(|(_, text, published)| {
                (policy.may_move)(&dependent.name, Some(&current), text, published.as_deref())
            })
            .filter_map(|(_, text, _)| {
                let range = packument
                    .ranges
                    .get(text)?
                    .iter()
                    .find(|(dep, _)| dep == name)
                    .map(|(_, r)| r.clone());
                let fits = range.as_deref().is_none_or(|r| accepts_any(r, acceptable));
                fits.then(|| (text.clone(), range))
            })
            .collect();
        if lifts.is_empty() {
            return Err(SearchError::NoFix(format!(
                "{why}; no release of {} above {current} allowed by policy accepts one",
                dependent.name
            )));
        }
        let versions: Vec<String> = lifts.iter().map(|(v, _)| v.clone()).collect();
        let chosen = self
            .settle(&dependent.name, &current, &versions, depth + 1)
            .map_err(|e| match e {
                SearchError::NoFix(inner) => SearchError::NoFix(format!("{why}; {inner}")),
                other => other,
            })?;
        self.moved.insert(key, chosen.clone());
        match self
            .steps
            .iter_mut()
            .find(|s| s.name == dependent.name && s.from.as_deref() == Some(current.as_str()))
        {
            Some(step) => {
                step.to = Some(chosen.clone());
                step.why = format!("{}; {why}", step.why);
            }
            None => self.steps.push(Step {
                name: dependent.name.clone(),
                from: Some(current),
                to: Some(chosen.clone()),
                role: StepRole::Parent,
                why,
                manifest: false,
                path: None,
            }),
        }
        Ok(lifts
            .into_iter()
            .find(|(v, _)| *v == chosen)
            .and_then(|(_, range)| range))
    }
}

/// A dependent as a message names it.
fn who(dependent: &Dependent) -> String {
    match (&dependent.version, dependent.folder) {
        (Some(version), false) => format!("{}@{version}", dependent.name),
        _ if dependent.location.is_empty() => "the project's package.json".to_string(),
        _ => format!("the workspace {:?}'s package.json", dependent.location),
    }
}

/// The planned `update` (its target's lowest clean version) made into the change the search
/// found: the target's version its dependents accept, with the parents that move with it (a
/// `group` update naming every step) and a manifest change when a package.json range must
/// change. Its blast radius names each step; apply measures the real one (every install
/// location that moves).
pub fn with_found(update: nanoup_core::NanoUpdate, found: Found) -> nanoup_core::NanoUpdate {
    crate::plan::with_steps(update, found.to, found.steps, found.manifest_change)
}
