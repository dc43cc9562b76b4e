//! In-place edits of `package-lock.json` / `npm-shrinkwrap.json` (lockfileVersion 1, 2 and 3):
//! move every installed copy of `name@from` to `to`, from registry metadata, exactly as npm
//! would write it, or say precisely why that is not a nano update.
//!
//! This is the pure core: text in, text out, no I/O and no processes. When [`plan_edit`]
//! refuses, the caller falls back to `npm install NAME@TO --package-lock-only --ignore-scripts`
//! and reports the larger blast radius; after writing, the caller runs [`changed_entries`] on
//! the old and new text and restores the file if anything outside the plan changed.
//!
//! For that fallback: [`EditRefusal::npm_can_resolve`] says which refusals npm can resolve,
//! [`npm_format_options`] keeps the file's format whatever the user's npm config says,
//! [`keep_license_style`] drops the `license` fields npm 10+ adds to a file that records none,
//! [`splice_npm_changes`] keeps npm's normalisation of an old file out of the update (checked
//! with [`npm_normalises_only`]), and [`installed`] tells where the package ended.
//!
//! # What is checked
//! For every install location `L` of `name@from`:
//! - every dependent whose resolution reaches `L` (Node's walk up through `node_modules`,
//!   links followed) accepts `to`: v2/v3 the `dependencies`, `optionalDependencies` and
//!   `peerDependencies` of package entries and also `devDependencies` of folder entries (the
//!   root `""` and workspaces); v1 the `requires` maps. In v1 the root project's own ranges are
//!   in `package.json`, not the lockfile, and are not checked here;
//! - every dependency of the new version (`dependencies`, `optionalDependencies`,
//!   `peerDependencies`) resolves from `L` to an entry whose version it accepts. A missing
//!   optional (or optional peer) dependency is fine, and so is one the old version also
//!   declared and that was already missing (an optional dependency skipped on this platform);
//! - the dependency flags npm derives from the graph (`dev`, `optional`, `devOptional`,
//!   `peer`, reachability) stay the same for every entry: they are recomputed with arborist's
//!   rule (`calcDepFlags`) over the old and the edited graph and compared. For v1, whose
//!   lockfile does not record the root's declarations, top-level entries are taken as roots
//!   with their recorded flags, and a dependency the new version drops must still be required
//!   by another entry at least as essential;
//! - the new version bundles no dependencies and ships no shrinkwrap (both change the tree),
//!   and the old entry came from the registry (not git, a tarball URL or a folder).
//!
//! # How the text is written
//! npm writes lockfiles with `JSON.stringify(data, null, indent)` after sorting every object
//! with `json-stringify-nice`: non-object values before objects, then the keys `name`,
//! `version`, `lockfileVersion`, `resolved`, `integrity`, `requires`, `packages`,
//! `dependencies` in that order, then the rest by `localeCompare(…, 'en')`. That gives the
//! package-entry order seen in real lockfiles: `version`, `resolved`, `integrity`, then
//! scalar keys alphabetically (`cpu`, `deprecated`, `dev`, `funding` when a string,
//! `hasInstallScript`, `license`, `optional`, `os`, `peer`), then `dependencies`, then the
//! other objects alphabetically (`bin`, `engines`, `funding`, `optionalDependencies`,
//! `peerDependencies`, `peerDependenciesMeta`). An edited entry (v2/v3 `packages`, and the
//! legacy `dependencies` section of v2) is rebuilt and sorted that way; npm 6 (lockfile v1)
//! used a fixed order (`version`, `resolved`, `integrity`, `bundled`, `dev`, `optional`,
//! `requires`, `dependencies`) and sorted `requires` by code unit, which v1 edits keep.
//! Everything else is left as parsed: serde_json with `preserve_order` re-serialises an npm
//! lockfile byte for byte (checked before every edit, with the file's own indent and line
//! ending, as npm keeps them); a file that does not round-trip is refused rather than
//! reformatted.
//!
//! Fields written from the manifest, as arborist does (`metaFromNode`): `version`,
//! `resolved` (`dist.tarball`), `integrity` (`dist.integrity`, else `sha1-` from
//! `dist.shasum`), the dependency maps (optional dependencies removed from `dependencies`, as
//! npm's manifest normalisation does), `peerDependenciesMeta`, `acceptDependencies`,
//! `engines`, `os`, `cpu`, `libc`, `bin`
//! (a string becomes `{name: path}`, paths lose `./`), `funding`, `deprecated`,
//! `hasInstallScript`; empty objects and arrays are left out. `license` is written only when the
//! lockfile already records `license` on dependency entries (npm 10 does, npm 7-9 did not), so
//! that an edit matches the npm that wrote the file.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use nanoup_core::{EntryChange, ParseError};
use nanoup_versions::{RequirementKind, Scheme, Version};
use serde::Serialize;
use serde_json::{Map, Value};

use super::json;
use super::registry::VersionManifest;
use crate::base64;

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;

/// The file name used in errors (the caller knows the real path: [`ParseError::file`] is
/// public and can be replaced).
const FILE: &str = "package-lock.json";

/// The keys `json-stringify-nice` puts first, in this order (arborist's `swKeyOrder`).
const PREFERRED_KEYS: &[&str] = &[
    "name",
    "version",
    "lockfileVersion",
    "resolved",
    "integrity",
    "requires",
    "packages",
    "dependencies",
];

/// The key order of a lockfile v1 dependency entry as npm 6 writes it.
const V1_KEY_ORDER: &[&str] = &[
    "version",
    "resolved",
    "integrity",
    "bundled",
    "dev",
    "optional",
    "requires",
    "dependencies",
];

/// The result of [`plan_edit`]: the new lockfile text and the entries it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockEdit {
    /// The whole new lockfile text.
    pub new_text: String,
    /// One change per install location edited (`name`, `from`, `to`), sorted; equal to what
    /// [`changed_entries`] reports for the old and new text.
    pub changed: Vec<EntryChange>,
    /// The install locations edited (`node_modules/a/node_modules/name`), sorted.
    pub locations: Vec<String>,
}

/// Why a lockfile cannot be edited in place: the caller falls back to npm itself
/// (`npm install NAME@TO --package-lock-only --ignore-scripts`) and reports its blast radius.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditRefusal {
    /// The lockfile is not valid JSON of the expected shape.
    Unreadable(ParseError),
    /// The file is not formatted as npm writes it (re-serialising it would change other
    /// lines).
    NotNpmFormat(String),
    /// No entry installs `name@version`.
    NotFound {
        /// The package.
        name: String,
        /// The version looked for.
        version: String,
    },
    /// The entry or the update is of a kind this editor does not handle.
    Unsupported {
        /// The install location (`node_modules/…`), or `""` for the whole file.
        location: String,
        /// What is unsupported.
        reason: String,
    },
    /// A dependent's range does not accept the new version.
    RangeRejects {
        /// The dependent's install location (`""` for the root project).
        dependent: String,
        /// The dependent's name and version (or folder).
        dependent_id: String,
        /// The range it asks for.
        range: String,
        /// The install location of the package being updated.
        location: String,
        /// The version the update moves to.
        to: String,
    },
    /// A dependency of the new version is missing from the tree or has a version it rejects.
    Unsatisfied {
        /// The install location of the package being updated.
        location: String,
        /// The dependency's name.
        dependency: String,
        /// The range the new version asks for.
        range: String,
        /// Where the dependency resolves and its version, when it is in the tree at all.
        found: Option<(String, String)>,
    },
    /// npm would change other entries too (their flags, their presence).
    GraphChange {
        /// The entry that would change.
        location: String,
        /// How.
        reason: String,
    },
}

impl fmt::Display for EditRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditRefusal::Unreadable(error) => write!(f, "{error}"),
            EditRefusal::NotNpmFormat(detail) => write!(
                f,
                "{FILE} is not formatted as npm writes it ({detail}); an in-place edit would \
                 rewrite other lines, so let npm update it"
            ),
            EditRefusal::NotFound { name, version } => write!(
                f,
                "{FILE} installs no {name}@{version}; re-plan against the current lockfile"
            ),
            EditRefusal::Unsupported { location, reason } => {
                write!(f, "{FILE} entry {location:?}: {reason}; let npm update it")
            }
            EditRefusal::RangeRejects {
                dependent,
                dependent_id,
                range,
                location,
                to,
            } => write!(
                f,
                "{FILE}: {dependent_id} (at {dependent:?}) asks for {range:?}, which does not \
                 accept {to} for {location:?}; npm must change the tree"
            ),
            EditRefusal::Unsatisfied {
                location,
                dependency,
                range,
                found,
            } => match found {
                Some((at, version)) => write!(
                    f,
                    "{FILE}: the new version at {location:?} needs {dependency}@{range:?}, but \
                     it resolves to {version} at {at:?}; npm must change the tree"
                ),
                None => write!(
                    f,
                    "{FILE}: the new version at {location:?} needs {dependency}@{range:?}, which \
                     is not in the tree; npm must add it"
                ),
            },
            EditRefusal::GraphChange { location, reason } => {
                write!(
                    f,
                    "{FILE} entry {location:?}: {reason}; npm must change the tree"
                )
            }
        }
    }
}

impl std::error::Error for EditRefusal {}

impl EditRefusal {
    /// Whether npm itself can make the update that the in-place edit refused (`npm install
    /// NAME@TO --package-lock-only`): true when the tree must change around the package (a
    /// dependent's range, a dependency of the new version, the graph's flags, a file npm must
    /// rewrite, an entry of a kind the editor does not handle); false when the lockfile is
    /// unreadable or does not install the package at all (re-plan instead).
    pub fn npm_can_resolve(&self) -> bool {
        !matches!(
            self,
            EditRefusal::Unreadable(_) | EditRefusal::NotFound { .. }
        )
    }
}

impl From<ParseError> for EditRefusal {
    fn from(error: ParseError) -> Self {
        EditRefusal::Unreadable(error)
    }
}

/// Plans the in-place edit of every install location of `name@from` in `lock_text` to the
/// version `to` describes (its manifest from the registry's packument).
///
/// Checks the dependents' ranges, the new version's own dependencies and the graph's flags
/// (see the module documentation) and refuses, saying which, when npm would have to change
/// more than these entries. The result's text is checked with [`changed_entries`] before it
/// is returned.
pub fn plan_edit(
    lock_text: &str,
    name: &str,
    from: &str,
    to: &VersionManifest,
) -> Result<LockEdit, EditRefusal> {
    plan_group_edit(lock_text, &[Move { name, from, to }], &[])
}

/// One package of a group edit: every installed copy of `name@from` moves to `to`.
#[derive(Debug, Clone, Copy)]
pub struct Move<'a> {
    /// The package.
    pub name: &'a str,
    /// The version installed now.
    pub from: &'a str,
    /// The registry's manifest of the version it moves to.
    pub to: &'a VersionManifest,
}

/// [`plan_edit`] for several packages moving together (a parent bump: the parent's new
/// release accepts the fixed version of its dependency, and only together are they
/// consistent). Every check runs on the graph with all of them moved: a moving dependent is
/// judged by its new ranges, a moving dependency by its new version.
///
/// `added` are the releases the edit may install where the tree lacks a dependency of a moved
/// package (or of another added one): each missing or rejected dependency is satisfied by the
/// highest of them its range accepts, placed as npm places it (the shallowest `node_modules` on
/// the way up from the dependent where no other copy is in the way and no other package's
/// resolution would change to a version it rejects), and entries nothing reaches any more are
/// removed, as npm prunes them. A dependency still unmet is refused ([`EditRefusal::Unsatisfied`];
/// [`try_group_edit`] lists them all, to find the releases to add).
pub fn plan_group_edit(
    lock_text: &str,
    moves: &[Move<'_>],
    added: &[&VersionManifest],
) -> Result<LockEdit, EditRefusal> {
    match try_group_edit(lock_text, moves, added)? {
        GroupEdit::Made(edit) => Ok(edit),
        GroupEdit::Unmet(needs) => Err(needs[0].refusal()),
    }
}

/// What [`try_group_edit`] came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupEdit {
    /// The edit, every dependency met.
    Made(LockEdit),
    /// Every dependency the edit leaves unmet with the releases given (never empty): what the
    /// caller must find releases for.
    Unmet(Vec<Need>),
}

/// [`plan_group_edit`], or, when dependencies stay unmet, all of them at once (a search adds
/// releases for them and tries again).
pub fn try_group_edit(
    lock_text: &str,
    moves: &[Move<'_>],
    added: &[&VersionManifest],
) -> Result<GroupEdit, EditRefusal> {
    let prepared = prepare_group_edit(lock_text, moves, added)?;
    if !prepared.unmet.is_empty() {
        return Ok(GroupEdit::Unmet(prepared.unmet));
    }
    prepared.write(lock_text, moves, added).map(GroupEdit::Made)
}

/// A dependency that the tree, after a group edit, does not satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The install location of the package that needs it.
    pub dependent: String,
    /// That package as a message names it (`name@version`, as the edit makes it).
    pub dependent_release: String,
    /// The dependency's name.
    pub name: String,
    /// The range the dependent declares.
    pub range: String,
    /// Where the dependency resolves now and its version, when it is in the tree at all.
    pub found: Option<(String, String)>,
}

impl Need {
    fn refusal(&self) -> EditRefusal {
        EditRefusal::Unsatisfied {
            location: self.dependent.clone(),
            dependency: self.name.clone(),
            range: self.range.clone(),
            found: self.found.clone(),
        }
    }
}

/// A group edit worked out on the graph, before any text is written.
struct PreparedEdit<'m> {
    doc: Value,
    style: Style,
    lockfile_version: u64,
    graph: Graph,
    after: Graph,
    /// Per move: its locations and the fields its entries get.
    planned: Vec<(Vec<String>, EntryFields<'m>)>,
    /// Per placed release: its location, its index in `added`, and its entry's fields.
    placed: Vec<(String, usize, EntryFields<'m>)>,
    unmet: Vec<Need>,
}

/// The registry fields an entry of `manifest` gets, or why they are missing.
fn entry_fields<'m>(
    manifest: &'m VersionManifest,
    location: &str,
    write_license: bool,
) -> Result<EntryFields<'m>, EditRefusal> {
    let name = &manifest.name;
    if !manifest.bundle_dependencies.is_empty() {
        return Err(EditRefusal::GraphChange {
            location: location.to_string(),
            reason: format!(
                "{name}@{} bundles dependencies ({}), which npm records as entries of their own",
                manifest.version,
                manifest.bundle_dependencies.join(", ")
            ),
        });
    }
    if manifest.has_shrinkwrap {
        return Err(EditRefusal::GraphChange {
            location: location.to_string(),
            reason: format!(
                "{name}@{} ships an npm-shrinkwrap.json, which pins its own subtree",
                manifest.version
            ),
        });
    }
    let tarball = manifest
        .tarball
        .clone()
        .ok_or_else(|| EditRefusal::Unsupported {
            location: location.to_string(),
            reason: format!(
                "the registry gives no `dist.tarball` for {name}@{}",
                manifest.version
            ),
        })?;
    let integrity = manifest
        .integrity
        .clone()
        .or_else(|| manifest.shasum.as_deref().and_then(sha1_integrity))
        .ok_or_else(|| EditRefusal::Unsupported {
            location: location.to_string(),
            reason: format!(
                "the registry gives no `dist.integrity` or `dist.shasum` for {name}@{}",
                manifest.version
            ),
        })?;
    Ok(EntryFields {
        manifest,
        tarball,
        integrity,
        write_license,
    })
}

fn prepare_group_edit<'m>(
    lock_text: &str,
    moves: &[Move<'m>],
    added: &[&'m VersionManifest],
) -> Result<PreparedEdit<'m>, EditRefusal> {
    let doc: Value = json::from_str(FILE, lock_text)?;
    let style = Style::detect(lock_text);
    if style.write(&doc) != lock_text {
        return Err(EditRefusal::NotNpmFormat(format!(
            "serialising it again with a {:?} indent does not give the same bytes",
            style.indent
        )));
    }
    if !doc.is_object() {
        return Err(EditRefusal::Unreadable(ParseError::new(
            FILE,
            1,
            1,
            "expected a JSON object at the top level",
        )));
    }
    let lockfile_version = doc
        .get("lockfileVersion")
        .map_or(Some(1), Value::as_u64)
        .ok_or_else(|| {
            EditRefusal::Unreadable(ParseError::new(
                FILE,
                1,
                1,
                "expected `lockfileVersion` to be a number",
            ))
        })?;
    let graph = Graph::from_doc(&doc)?;
    let write_license = lockfile_version >= 2 && graph.records_license;
    // Each move: its locations, new version, new edges and the fields its entries get.
    let mut planned: Vec<(Vec<String>, Version, Vec<Edge>, EntryFields<'m>)> = Vec::new();
    for Move { name, from, to } in moves.iter().copied() {
        let to_version =
            Version::parse(Scheme::Npm, &to.version).map_err(|e| EditRefusal::Unsupported {
                location: String::new(),
                reason: format!("the target version is not npm semver: {e}"),
            })?;
        let locations: Vec<String> = graph
            .nodes
            .iter()
            .filter(|(_, n)| !n.folder && n.link.is_none())
            .filter(|(_, n)| n.name == name && n.version.as_deref() == Some(from))
            .map(|(loc, _)| loc.clone())
            .collect();
        if locations.is_empty() {
            return Err(EditRefusal::NotFound {
                name: name.to_string(),
                version: from.to_string(),
            });
        }
        if to.version == from {
            return Err(EditRefusal::Unsupported {
                location: locations[0].clone(),
                reason: format!("{name} is already at {from}: nothing to edit"),
            });
        }
        if to.name != name {
            return Err(EditRefusal::Unsupported {
                location: String::new(),
                reason: format!("the registry manifest is for {:?}, not {name:?}", to.name),
            });
        }
        let fields = entry_fields(to, &locations[0], write_license)?;
        for location in &locations {
            if let Some(resolved) = &graph.nodes[location].resolved
                && !is_registry_tarball(resolved)
            {
                return Err(EditRefusal::Unsupported {
                    location: location.clone(),
                    reason: format!("installed from {resolved:?}, not from the registry"),
                });
            }
        }
        planned.push((locations, to_version, manifest_edges(to), fields));
    }
    // The graph as it will be: every moved location at its new version, with its new edges.
    let mut after = graph.clone();
    for (locations, version, edges, _) in &planned {
        for location in locations {
            if let Some(node) = after.nodes.get_mut(location) {
                node.version = Some(version.as_str().to_string());
                node.edges = edges.clone();
            }
        }
    }
    for (locations, version, _, _) in &planned {
        for location in locations {
            check_dependents(&after, location, version)?;
        }
    }
    let moved: Vec<String> = planned
        .iter()
        .flat_map(|(locations, _, _, _)| locations.iter().cloned())
        .collect();
    let (placements, unmet) = lay_out(&graph, &mut after, &moved, added);
    let mut placed = Vec::new();
    for (location, index) in placements {
        let fields = entry_fields(added[index], &location, write_license)?;
        placed.push((location, index, fields));
    }
    let planned = planned
        .into_iter()
        .map(|(locations, _, _, fields)| (locations, fields))
        .collect();
    Ok(PreparedEdit {
        doc,
        style,
        lockfile_version,
        graph,
        after,
        planned,
        placed,
        unmet,
    })
}

impl PreparedEdit<'_> {
    /// Writes the edit: moved entries rebuilt, placed releases inserted with the flags npm
    /// derives for them, unreachable entries removed; the text checked with
    /// [`changed_entries`].
    fn write(
        mut self,
        lock_text: &str,
        moves: &[Move<'_>],
        added: &[&VersionManifest],
    ) -> Result<LockEdit, EditRefusal> {
        let pruned = check_flags(&self.graph, &self.after)?;
        let after_flags = self.after.flags();
        let lockfile_version = self.lockfile_version;
        let doc = &mut self.doc;
        for (locations, fields) in &self.planned {
            for location in locations {
                rebuild_entry(doc, lockfile_version, location, fields);
            }
        }
        for (location, _, fields) in &self.placed {
            if self.graph.nodes.contains_key(location) {
                // A copy replaced in place: rebuilt like a moved entry.
                rebuild_entry(doc, lockfile_version, location, fields);
                continue;
            }
            let flags =
                after_flags
                    .get(location)
                    .copied()
                    .ok_or_else(|| EditRefusal::GraphChange {
                        location: location.clone(),
                        reason: "an added entry would be unreachable".to_string(),
                    })?;
            insert_entry(doc, lockfile_version, location, fields, flags)?;
        }
        for location in &pruned {
            remove_entry(doc, location);
        }
        let new_text = self.style.write(doc);

        let mut changed: Vec<EntryChange> = Vec::new();
        let mut locations: Vec<String> = Vec::new();
        for (Move { name, from, to }, (moved, _)) in moves.iter().zip(&self.planned) {
            for location in moved {
                changed.push(EntryChange {
                    name: name.to_string(),
                    from: Some(from.to_string()),
                    to: Some(to.version.clone()),
                    path: Some(location.clone()),
                });
                locations.push(location.clone());
            }
        }
        for (location, index, _) in &self.placed {
            changed.push(EntryChange {
                name: added[*index].name.clone(),
                from: self
                    .graph
                    .nodes
                    .get(location)
                    .and_then(|n| n.version.clone()),
                to: Some(added[*index].version.clone()),
                path: Some(location.clone()),
            });
            locations.push(location.clone());
        }
        for location in &pruned {
            let node = &self.graph.nodes[location];
            changed.push(EntryChange {
                name: node.name.clone(),
                from: node.version.clone(),
                to: None,
                path: Some(location.clone()),
            });
            locations.push(location.clone());
        }
        changed.sort();
        locations.sort();
        let actual = changed_entries(lock_text, &new_text)?;
        if actual != changed {
            return Err(EditRefusal::Unsupported {
                location: String::new(),
                reason: format!(
                    "the edit would change {actual:?} instead of exactly {changed:?} (an entry is \
                     recorded in an unexpected shape)"
                ),
            });
        }
        Ok(LockEdit {
            new_text,
            changed,
            locations,
        })
    }
}

/// Satisfies the dependencies of the moved entries (and of every entry placed for them) in
/// `after`: a dependency that resolves to a version its range accepts is fine; a missing
/// optional one, or one the entry's old version also lacked (skipped on this platform), too.
/// Any other is met by the highest release of `added` its range accepts, placed by
/// [`placement`]. The placements (location, index in `added`) and the needs left unmet.
fn lay_out(
    before: &Graph,
    after: &mut Graph,
    moved: &[String],
    added: &[&VersionManifest],
) -> (Placements, Vec<Need>) {
    let mut versions: Vec<Option<Version>> = Vec::new();
    for manifest in added {
        versions.push(Version::parse(Scheme::Npm, &manifest.version).ok());
    }
    let mut queue: VecDeque<String> = moved.iter().cloned().collect();
    let mut placed: Vec<(String, usize)> = Vec::new();
    let mut unmet: Vec<Need> = Vec::new();
    while let Some(location) = queue.pop_front() {
        let Some(node) = after.nodes.get(&location) else {
            continue;
        };
        let edges = node.edges.clone();
        let dependent_release = format!(
            "{}@{}",
            node.name,
            node.version.as_deref().unwrap_or("(no version)")
        );
        let old_names: BTreeSet<&str> = before
            .nodes
            .get(&location)
            .map(|n| n.edges.iter().map(|e| e.name.as_str()).collect())
            .unwrap_or_default();
        for edge in &edges {
            let found = match after.resolve(&location, &edge.name) {
                Some(target) => {
                    let node = &after.nodes[&target];
                    let version = node.version.clone().or_else(|| {
                        node.link
                            .as_ref()
                            .and_then(|t| after.nodes.get(t))
                            .and_then(|n| n.version.clone())
                    });
                    let ok = version.as_deref().is_some_and(|v| {
                        Version::parse(Scheme::Npm, v)
                            .ok()
                            .is_some_and(|v| accepts(&edge.spec, &v).unwrap_or(false))
                    });
                    if ok {
                        continue;
                    }
                    Some((
                        target,
                        version.unwrap_or_else(|| "(no version)".to_string()),
                    ))
                }
                None if edge.kind.optional() || old_names.contains(edge.name.as_str()) => {
                    continue;
                }
                None => None,
            };
            let need = Need {
                dependent: location.clone(),
                dependent_release: dependent_release.clone(),
                name: edge.name.clone(),
                range: edge.spec.clone(),
                found,
            };
            let candidate = added
                .iter()
                .zip(&versions)
                .enumerate()
                .filter(|(_, (m, v))| {
                    m.name == edge.name
                        && v.as_ref()
                            .is_some_and(|v| accepts(&edge.spec, v).unwrap_or(false))
                })
                .max_by(|(_, (_, a)), (_, (_, b))| a.cmp(b))
                .map(|(i, _)| i);
            let Some(index) = candidate else {
                unmet.push(need);
                continue;
            };
            let manifest = added[index];
            let Some(version) = versions[index].clone() else {
                unmet.push(need);
                continue;
            };
            let Some((slot, replaces)) = placement(after, &location, &edge.name, &version) else {
                unmet.push(need);
                continue;
            };
            // An entry replaced in place keeps its flags (checked like every entry's).
            let recorded = match after.nodes.get(&slot) {
                Some(old) if replaces => old.recorded,
                _ => Flags::NONE,
            };
            if replaces && (moved.contains(&slot) || placed.iter().any(|(p, _)| *p == slot)) {
                unmet.push(need);
                continue;
            }
            after.nodes.insert(
                slot.clone(),
                Node {
                    name: manifest.name.clone(),
                    version: Some(manifest.version.clone()),
                    resolved: manifest.tarball.clone(),
                    recorded,
                    edges: manifest_edges(manifest),
                    folder: false,
                    link: None,
                    added: !replaces,
                },
            );
            placed.push((slot.clone(), index));
            queue.push_back(slot);
        }
    }
    unmet.sort_by(|a, b| (&a.dependent, &a.name).cmp(&(&b.dependent, &b.name)));
    unmet.dedup();
    (placed, unmet)
}

/// Where [`lay_out`] placed releases: (install location, index in its `added`).
type Placements = Vec<(String, usize)>;

/// Where npm would install `name@version` for the entry at `from`: the shallowest
/// `node_modules` on the way up from `from` that is below every other copy of `name` on that
/// way (so that `from` resolves to it) and where no other entry's resolution of `name` would
/// change to a version its range rejects; else in place of the nearest copy on that way, when
/// every entry that resolves to it accepts the new version (and it is not itself moved or
/// added by this edit). The location, and whether it replaces an entry; `None` when there is
/// no such place.
fn placement(graph: &Graph, from: &str, name: &str, version: &Version) -> Option<(String, bool)> {
    // The folders whose node_modules Node searches from `from`, nearest first.
    let mut levels: Vec<String> = Vec::new();
    let mut dir = from.trim_matches('/');
    loop {
        if dir.is_empty() || graph.nodes.contains_key(dir) {
            levels.push(dir.to_string());
        }
        if dir.is_empty() {
            break;
        }
        dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
    // Whether installing `name@version` at `slot` (of the folder `level`) keeps every entry
    // that would resolve to it satisfied.
    let fits = |level: &str, slot: &str| {
        let inside = |location: &str| {
            level.is_empty() || location == level || location.starts_with(&format!("{level}/"))
        };
        let mut trial = graph.clone();
        let node = Node {
            name: name.to_string(),
            version: Some(version.as_str().to_string()),
            resolved: None,
            recorded: Flags::NONE,
            edges: Vec::new(),
            folder: false,
            link: None,
            added: true,
        };
        trial.nodes.insert(slot.to_string(), node);
        !graph.nodes.iter().any(|(location, node)| {
            inside(location)
                && node.link.is_none()
                && node.edges.iter().any(|edge| {
                    edge.name == name
                        && trial.resolve(location, name).as_deref() == Some(slot)
                        && !accepts(&edge.spec, version).unwrap_or(false)
                })
        })
    };
    // Below the nearest level that already holds a copy (the one `from` resolves to now).
    let open = levels
        .iter()
        .position(|level| graph.nodes.contains_key(&child_location(level, name)))
        .unwrap_or(levels.len());
    for level in levels[..open].iter().rev() {
        let slot = child_location(level, name);
        if fits(level, &slot) {
            return Some((slot, false));
        }
    }
    let level = levels.get(open)?;
    let slot = child_location(level, name);
    let occupant = &graph.nodes[&slot];
    let replaceable = !occupant.added && !occupant.folder && occupant.link.is_none();
    (replaceable && fits(level, &slot)).then_some((slot, true))
}

/// Rebuilds the entry at `location` (v2/v3 `packages` and the legacy nested `dependencies`)
/// for the new version `fields` describe, keeping what is not manifest data.
fn rebuild_entry(doc: &mut Value, lockfile_version: u64, location: &str, fields: &EntryFields<'_>) {
    if lockfile_version >= 2
        && let Some(entry) = doc
            .get_mut("packages")
            .and_then(|p| p.get_mut(location))
            .and_then(Value::as_object_mut)
    {
        *entry = fields.package_entry(entry);
    }
    if let Some(entry) = legacy_entry_mut(doc, location) {
        *entry = fields.legacy_entry(entry, lockfile_version >= 2);
    }
}

/// Inserts a new entry at `location` (v2/v3 `packages`, and the legacy nested `dependencies`
/// when the file has them), with the flags npm derives for it, where npm's sort puts it.
fn insert_entry(
    doc: &mut Value,
    lockfile_version: u64,
    location: &str,
    fields: &EntryFields<'_>,
    flags: Flags,
) -> Result<(), EditRefusal> {
    let mut recorded = Map::new();
    let mut legacy = Map::new();
    if flags.dev {
        recorded.insert("dev".into(), Value::Bool(true));
        legacy.insert("dev".into(), Value::Bool(true));
    }
    if flags.optional {
        recorded.insert("optional".into(), Value::Bool(true));
        legacy.insert("optional".into(), Value::Bool(true));
    }
    if flags.dev_optional && !flags.dev && !flags.optional {
        recorded.insert("devOptional".into(), Value::Bool(true));
    }
    if flags.peer {
        recorded.insert("peer".into(), Value::Bool(true));
    }
    // npm 7+ writes the same flags into v2's legacy section.
    if lockfile_version >= 2 {
        legacy = recorded.clone();
    }
    if lockfile_version >= 2
        && let Some(packages) = doc.get_mut("packages").and_then(Value::as_object_mut)
    {
        let entry = Value::Object(fields.package_entry(&recorded));
        if !insert_sorted(packages, location, entry) {
            return Err(already_there(location));
        }
    }
    let has_legacy = lockfile_version < 2 || doc.get("dependencies").is_some();
    if has_legacy {
        if lockfile_version < 2 && (flags.peer || legacy.len() < recorded.len()) {
            return Err(EditRefusal::GraphChange {
                location: location.to_string(),
                reason: format!(
                    "npm would mark the added entry {}, which lockfile v1 does not record",
                    Flags::describe(Some(flags))
                ),
            });
        }
        let (parent, key) = legacy_parent(location);
        let nice = lockfile_version >= 2;
        let entry = Value::Object(fields.legacy_entry(&legacy, nice));
        let children =
            legacy_children_mut(doc, parent, true).ok_or_else(|| EditRefusal::Unsupported {
                location: location.to_string(),
                reason: "its parent has no entry in the nested `dependencies`".to_string(),
            })?;
        if !insert_sorted(children, key, entry) {
            return Err(already_there(location));
        }
    }
    Ok(())
}

/// Why an entry cannot be added where one is recorded already (the two sections of a v2
/// lockfile disagree).
fn already_there(location: &str) -> EditRefusal {
    EditRefusal::GraphChange {
        location: location.to_string(),
        reason: "the lockfile already records an entry there (its two sections disagree)"
            .to_string(),
    }
}

/// Inserts `key` into an object kept in npm's order: before the first key that sorts after
/// it, comparing as the object is already sorted (`localeCompare`, or code units as npm 6
/// sorted lockfile v1). `false` (nothing inserted) when the key is there already.
fn insert_sorted(map: &mut Map<String, Value>, key: &str, value: Value) -> bool {
    if map.contains_key(key) {
        return false;
    }
    let keys: Vec<&String> = map.keys().collect();
    let by_locale = keys
        .windows(2)
        .all(|w| locale_cmp(w[0], w[1]) != Ordering::Greater);
    let cmp = |a: &str, b: &str| {
        if by_locale {
            locale_cmp(a, b)
        } else {
            a.cmp(b)
        }
    };
    let at = keys
        .iter()
        .position(|k| cmp(k, key) == Ordering::Greater)
        .unwrap_or(keys.len());
    map.shift_insert(at, key.to_string(), value);
    true
}

/// Removes the entry at `location` (and, in the legacy nested `dependencies`, the parent's
/// `dependencies` object when it empties), as npm prunes an entry nothing reaches.
fn remove_entry(doc: &mut Value, location: &str) {
    if let Some(packages) = doc.get_mut("packages").and_then(Value::as_object_mut) {
        packages.shift_remove(location);
    }
    let (parent, key) = legacy_parent(location);
    let emptied = match legacy_children_mut(doc, parent, false) {
        Some(children) => {
            children.shift_remove(key);
            children.is_empty()
        }
        None => false,
    };
    if emptied
        && !parent.is_empty()
        && let Some(entry) = legacy_entry_mut(doc, parent)
    {
        entry.shift_remove("dependencies");
    }
}

/// A package (or the project folder) whose declared range reaches an installed copy of a
/// package: what a parent bump has to satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependent {
    /// The dependent's install location (`""` for the root project, a workspace's folder).
    pub location: String,
    /// The dependent's name.
    pub name: String,
    /// Its installed version (`None` for a folder).
    pub version: Option<String>,
    /// The project folder or a workspace (its ranges are in a package.json).
    pub folder: bool,
    /// The range it declares.
    pub range: String,
}

/// A lockfile's dependency graph, read once, for the questions a search for a consistent
/// change asks many times: who depends on an installed package, and what a package's
/// dependency resolves to.
pub struct LockGraph {
    graph: Graph,
    /// Install location → every (dependent location, edge index) whose resolution reaches it.
    reverse: BTreeMap<String, Vec<(String, usize)>>,
}

impl LockGraph {
    /// Reads the graph of a package-lock.json / npm-shrinkwrap.json text.
    pub fn read(lock_text: &str) -> Result<LockGraph, ParseError> {
        let graph = Graph::read(lock_text)?;
        let mut reverse: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
        for (from, node) in &graph.nodes {
            if node.link.is_some() {
                continue;
            }
            for (i, edge) in node.edges.iter().enumerate() {
                if let Some(at) = graph.resolve(from, &edge.name) {
                    reverse.entry(at).or_default().push((from.clone(), i));
                }
            }
        }
        Ok(LockGraph { graph, reverse })
    }

    /// The install locations of `name@version` (links and folders left out).
    fn locations<'g>(
        &'g self,
        name: &'g str,
        version: &'g str,
    ) -> impl Iterator<Item = &'g String> {
        self.graph
            .nodes
            .iter()
            .filter(move |(_, n)| !n.folder && n.link.is_none() && n.name == name)
            .filter(move |(_, n)| n.version.as_deref() == Some(version))
            .map(|(location, _)| location)
    }

    /// Every dependent of every installed copy of `name@version` (Node's resolution, links
    /// followed), once per (dependent, range).
    pub fn dependents(&self, name: &str, version: &str) -> Vec<Dependent> {
        let mut out: Vec<Dependent> = Vec::new();
        for location in self.locations(name, version) {
            for (from, i) in self.reverse.get(location).into_iter().flatten() {
                let node = &self.graph.nodes[from];
                let found = Dependent {
                    location: from.clone(),
                    name: node.name.clone(),
                    version: node.version.clone(),
                    folder: node.folder,
                    range: node.edges[*i].spec.clone(),
                };
                if !out.contains(&found) {
                    out.push(found);
                }
            }
        }
        out
    }

    /// The versions that `dependency` resolves to from every installed copy of
    /// `name@version`, each once; empty when it resolves nowhere (not installed, or skipped
    /// on this platform).
    pub fn resolved_versions(&self, name: &str, version: &str, dependency: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for location in self.locations(name, version) {
            let found = self
                .graph
                .resolve(location, dependency)
                .and_then(|at| self.graph.nodes.get(&at))
                .and_then(|n| n.version.clone());
            if let Some(found) = found
                && !out.contains(&found)
            {
                out.push(found);
            }
        }
        out
    }
}

/// Whether the npm range `spec` accepts `version`; `None` when that cannot be told offline (a
/// dist-tag, git, a URL, a path, bad syntax) or `version` is not npm semver.
pub fn range_accepts(spec: &str, version: &str) -> Option<bool> {
    let version = Version::parse(Scheme::Npm, version).ok()?;
    accepts(spec, &version).ok()
}

/// Compares two versions of a lockfile entry by entry and returns one [`EntryChange`] per
/// install location (its `path`) whose entry differs in any way (added, removed, another version, or the
/// same version with other content: integrity, flags, dependencies), sorted.
///
/// Locations are keys of `packages` (v2/v3) and the paths of the nested `dependencies` (v1
/// and the legacy section of v2); the two sections of one location count as one entry. A
/// change to a top-level field outside them (`lockfileVersion`, `name`, …) is reported as an
/// entry named ``package-lock.json field `KEY` `` with the old and new JSON values as
/// `from`/`to`. This is the blast-radius check run after every edit.
pub fn changed_entries(old_text: &str, new_text: &str) -> Result<Vec<EntryChange>, ParseError> {
    let old: Value = json::from_str(FILE, old_text)?;
    let new: Value = json::from_str(FILE, new_text)?;
    let (old_entries, old_fields) = entries_of(&old);
    let (new_entries, new_fields) = entries_of(&new);
    let mut changes = Vec::new();
    let locations: BTreeSet<&String> = old_entries.keys().chain(new_entries.keys()).collect();
    for location in locations {
        let (before, after) = (old_entries.get(location), new_entries.get(location));
        if before.map(|e| &e.content) == after.map(|e| &e.content) {
            continue;
        }
        let name = after.or(before).map(|e| e.name.clone()).unwrap_or_default();
        changes.push(EntryChange {
            name,
            from: before.and_then(|e| e.version.clone()),
            to: after.and_then(|e| e.version.clone()),
            path: Some(location.clone()),
        });
    }
    let keys: BTreeSet<&String> = old_fields.keys().chain(new_fields.keys()).collect();
    for key in keys {
        let (before, after) = (old_fields.get(key), new_fields.get(key));
        if before != after {
            changes.push(EntryChange {
                name: format!("{FILE} field `{key}`"),
                from: before.map(|v| v.to_string()),
                to: after.map(|v| v.to_string()),
                path: None,
            });
        }
    }
    changes.sort();
    Ok(changes)
}

/// Every install location of `name` in a lockfile and the version installed there (`None` for
/// a link or a folder without one), sorted by location; v2/v3 `packages` and the nested
/// `dependencies` of v1 (and of v2's legacy section) both count.
pub fn installed(lock_text: &str, name: &str) -> Result<Vec<(String, Option<String>)>, ParseError> {
    let doc: Value = json::from_str(FILE, lock_text)?;
    let (entries, _) = entries_of(&doc);
    Ok(entries
        .into_iter()
        .filter(|(location, entry)| !location.is_empty() && entry.name == name)
        .map(|(location, entry)| (location, entry.version))
        .collect())
}

/// The npm options that make `npm install --package-lock-only` keep a lockfile in its own
/// format rather than in the user's defaults: `--lockfile-version=N` with the file's version,
/// and `--omit-lockfile-registry-resolved=true|false` after whether the file records the
/// `resolved` URL of its registry entries (a user config that omits them would otherwise drop
/// `resolved` from every entry, or one that keeps them add it everywhere).
pub fn npm_format_options(lock_text: &str) -> Result<Vec<String>, ParseError> {
    let doc: Value = json::from_str(FILE, lock_text)?;
    let mut options = Vec::new();
    match doc.get("lockfileVersion") {
        None => options.push("--lockfile-version=1".to_string()),
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(1..=3)) => {
            options.push(format!("--lockfile-version={n}"));
        }
        Some(_) => {}
    }
    let (entries, _) = entries_of(&doc);
    let (mut with, mut without) = (0usize, 0usize);
    for (location, entry) in &entries {
        let Some(object) = entry.content.0.as_ref().or(entry.content.1.as_ref()) else {
            continue;
        };
        // A registry entry records its integrity; links, folders and the root do not.
        if location.is_empty() || object.get("integrity").is_none() {
            continue;
        }
        match object.get("resolved") {
            Some(_) => with += 1,
            None => without += 1,
        }
    }
    if with > 0 {
        options.push("--omit-lockfile-registry-resolved=false".to_string());
    } else if without > 0 {
        options.push("--omit-lockfile-registry-resolved=true".to_string());
    }
    Ok(options)
}

/// npm 10 and later record each dependency's `license` in `packages`; npm 7-9 did not, and an
/// npm 10+ run writes it on every entry it read from the registry, even one it did not change.
/// When `old_text` records `license` on no dependency entry, this drops the ones npm added in
/// `new_text` (the root's and workspaces' stay), so that npm's fallback writes entries the way
/// the npm that wrote the file did, as [`plan_edit`] does, and an entry whose only difference is
/// a `license` npm added is not reported as changed. Otherwise, or when `new_text` does not
/// re-serialise byte for byte, `new_text` is returned as it is.
pub fn keep_license_style(old_text: &str, new_text: &str) -> Result<String, ParseError> {
    let old: Value = json::from_str(FILE, old_text)?;
    let mut new: Value = json::from_str(FILE, new_text)?;
    let is_dependency = |location: &str| installed_name(location).is_some();
    let records_license = old
        .get("packages")
        .and_then(Value::as_object)
        .is_some_and(|packages| {
            packages
                .iter()
                .any(|(location, entry)| is_dependency(location) && entry.get("license").is_some())
        });
    let style = Style::detect(new_text);
    if records_license || style.write(&new) != new_text {
        return Ok(new_text.to_string());
    }
    let mut dropped = false;
    if let Some(packages) = new.get_mut("packages").and_then(Value::as_object_mut) {
        for (location, entry) in packages.iter_mut() {
            if is_dependency(location)
                && let Some(entry) = entry.as_object_mut()
            {
                dropped |= entry.shift_remove("license").is_some();
            }
        }
    }
    Ok(if dropped {
        style.write(&new)
    } else {
        new_text.to_string()
    })
}

/// Whether [`splice_npm_changes`] can splice an npm run's changes into this lockfile
/// (lockfileVersion 2 and 3); false for v1 and for what is not a lockfile.
pub fn splices(lock_text: &str) -> bool {
    json::from_str(FILE, lock_text)
        .ok()
        .and_then(|doc: Value| doc.get("lockfileVersion").and_then(Value::as_u64))
        .is_some_and(|version| matches!(version, 2 | 3))
}

/// Applies to `old_text` what an npm run changed because of an update, and nothing of npm's
/// normalisation of the file: `baseline_text` is npm's rewrite of the old file with no update
/// (`npm install --package-lock-only`: an npm newer than the one that wrote the file may add or
/// rewrite entries), `updated_text` its rewrite with the update. Every install location whose
/// entry differs between these two takes `updated_text`'s entry (added, replaced or removed, in
/// `packages` and in v2's legacy section, kept in npm's key order); every other location keeps
/// its old entry, byte for byte.
///
/// Only for lockfileVersion 2 and 3 whose top-level fields npm left alone; says why otherwise
/// (the caller then keeps npm's whole rewrite). The result is a candidate: the caller runs npm
/// on it again and keeps it only if [`npm_normalises_only`] holds.
pub fn splice_npm_changes(
    old_text: &str,
    baseline_text: &str,
    updated_text: &str,
) -> Result<String, String> {
    let mut doc: Value = json::from_str(FILE, old_text).map_err(|e| e.to_string())?;
    let baseline: Value = json::from_str(FILE, baseline_text).map_err(|e| e.to_string())?;
    let updated: Value = json::from_str(FILE, updated_text).map_err(|e| e.to_string())?;
    let version = doc.get("lockfileVersion").and_then(Value::as_u64);
    if !splices(old_text) || updated.get("lockfileVersion") != doc.get("lockfileVersion") {
        return Err("only lockfileVersion 2 and 3 are spliced".to_string());
    }
    let (base_entries, base_fields) = entries_of(&baseline);
    let (new_entries, new_fields) = entries_of(&updated);
    if base_fields != new_fields {
        return Err("npm changed a top-level field".to_string());
    }
    let mut locations: Vec<&String> = base_entries
        .keys()
        .chain(new_entries.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|l| {
            base_entries.get(*l).map(|e| &e.content) != new_entries.get(*l).map(|e| &e.content)
        })
        .collect();
    if locations
        .iter()
        .any(|l| !l.is_empty() && !l.starts_with("node_modules/"))
    {
        return Err("npm changed an entry outside node_modules (a workspace)".to_string());
    }
    // Parents before children.
    locations.sort_by_key(|l| (l.matches("node_modules/").count(), l.to_string()));

    // `packages`.
    let packages = doc
        .get_mut("packages")
        .and_then(Value::as_object_mut)
        .ok_or("the lockfile has no `packages` object")?;
    let mut inserted = false;
    for location in &locations {
        match new_entries.get(*location).and_then(|e| e.content.0.clone()) {
            Some(entry) => match packages.get_mut(location.as_str()) {
                Some(slot) => *slot = entry,
                None => {
                    packages.insert(location.to_string(), entry);
                    inserted = true;
                }
            },
            None => {
                packages.shift_remove(location.as_str());
            }
        }
    }
    if inserted {
        sort_keys_nicely(packages);
    }

    // v2's legacy `dependencies`: removals deepest first, then replacements and additions.
    if version == Some(2) && doc.get("dependencies").is_some() {
        for location in locations.iter().rev() {
            let wanted = new_entries
                .get(*location)
                .and_then(|e| e.content.1.as_ref());
            if location.is_empty() || wanted.is_some() {
                continue;
            }
            let (parent, name) = legacy_parent(location);
            if let Some(map) = legacy_children_mut(&mut doc, parent, false) {
                map.shift_remove(name);
                if map.is_empty()
                    && !parent.is_empty()
                    && let Some(entry) = legacy_entry_mut(&mut doc, parent)
                {
                    entry.shift_remove("dependencies");
                }
            }
        }
        for location in &locations {
            let Some(Value::Object(wanted)) =
                new_entries.get(*location).and_then(|e| e.content.1.clone())
            else {
                continue;
            };
            let (parent, name) = legacy_parent(location);
            let map = legacy_children_mut(&mut doc, parent, true).ok_or_else(|| {
                format!("the legacy section has no entry {parent:?} to hold {location:?}")
            })?;
            let mut entry = wanted;
            let nested = map
                .get(name)
                .and_then(|old| old.get("dependencies"))
                .cloned();
            if let Some(nested) = nested {
                entry.insert("dependencies".to_string(), nested);
            }
            sort_keys_nicely(&mut entry);
            match map.get_mut(name) {
                Some(slot) => *slot = Value::Object(entry),
                None => {
                    map.insert(name.to_string(), Value::Object(entry));
                    sort_keys_nicely(map);
                }
            }
        }
    }
    Ok(Style::detect(old_text).write(&doc))
}

/// Whether npm's rewrite of `result_text` (`npm_text`) changes only what npm also changes when
/// it rewrites the old file (`baseline_text`), and in the same way: at every location where
/// `result_text` and `npm_text` differ, `result_text` still holds the old entry and `npm_text`
/// holds the baseline's. Then npm accepts the result as it accepts the old file. The `Err`
/// names the first location where it does not hold.
pub fn npm_normalises_only(
    old_text: &str,
    baseline_text: &str,
    result_text: &str,
    npm_text: &str,
) -> Result<(), String> {
    let parse = |text: &str| json::from_str::<Value>(FILE, text).map_err(|e| e.to_string());
    let (old, old_fields) = entries_of(&parse(old_text)?);
    let (baseline, baseline_fields) = entries_of(&parse(baseline_text)?);
    let (result, result_fields) = entries_of(&parse(result_text)?);
    let (npm, npm_fields) = entries_of(&parse(npm_text)?);
    let content =
        |map: &BTreeMap<String, EntryView>, l: &str| map.get(l).map(|e| e.content.clone());
    let locations: BTreeSet<&String> = result.keys().chain(npm.keys()).collect();
    for location in locations {
        if content(&result, location) == content(&npm, location) {
            continue;
        }
        if content(&result, location) != content(&old, location) {
            return Err(format!(
                "npm rewrites the entry at {location:?} that the update changed"
            ));
        }
        if content(&npm, location) != content(&baseline, location) {
            return Err(format!(
                "npm rewrites the entry at {location:?} otherwise than in the old file"
            ));
        }
    }
    let keys: BTreeSet<&String> = result_fields.keys().chain(npm_fields.keys()).collect();
    for key in keys {
        if result_fields.get(key) != npm_fields.get(key)
            && (result_fields.get(key) != old_fields.get(key)
                || npm_fields.get(key) != baseline_fields.get(key))
        {
            return Err(format!("npm rewrites the top-level field `{key}`"));
        }
    }
    Ok(())
}

/// Sorts one object's keys as `json-stringify-nice` does (its values are already sorted).
fn sort_keys_nicely(map: &mut Map<String, Value>) {
    let mut pairs: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
    pairs.sort_by(|(ak, av), (bk, bv)| nice_cmp(ak, av, bk, bv));
    *map = pairs.into_iter().collect();
}

/// `node_modules/a/node_modules/@s/b` gives (`node_modules/a`, `@s/b`); a top-level location
/// gives (`""`, name).
fn legacy_parent(location: &str) -> (&str, &str) {
    match location.rsplit_once("/node_modules/") {
        Some((parent, name)) => (parent, name),
        None => (
            "",
            location.strip_prefix("node_modules/").unwrap_or(location),
        ),
    }
}

/// The legacy `dependencies` map holding the children of `parent` (`""`: the top level),
/// created on the parent's entry when `create` is set and it has none.
fn legacy_children_mut<'a>(
    doc: &'a mut Value,
    parent: &str,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    if parent.is_empty() {
        return doc.get_mut("dependencies")?.as_object_mut();
    }
    let entry = legacy_entry_mut(doc, parent)?;
    if create && !entry.contains_key("dependencies") {
        entry.insert("dependencies".to_string(), Value::Object(Map::new()));
        sort_keys_nicely(entry);
    }
    entry.get_mut("dependencies")?.as_object_mut()
}

// --- reading entries -----------------------------------------------------------------------

/// One location's entry for [`changed_entries`].
struct EntryView {
    name: String,
    version: Option<String>,
    /// The `packages` entry and the legacy entry without its nested `dependencies`.
    content: (Option<Value>, Option<Value>),
}

/// The entries of a lockfile by location, and its other top-level fields.
fn entries_of(doc: &Value) -> (BTreeMap<String, EntryView>, BTreeMap<String, Value>) {
    let mut entries: BTreeMap<String, EntryView> = BTreeMap::new();
    let mut fields = BTreeMap::new();
    let Some(top) = doc.as_object() else {
        fields.insert(String::new(), doc.clone());
        return (entries, fields);
    };
    for (key, value) in top {
        match (key.as_str(), value) {
            ("packages", Value::Object(packages)) => {
                for (location, entry) in packages {
                    let name = entry
                        .get("name")
                        .and_then(Value::as_str)
                        .or_else(|| installed_name(location))
                        .unwrap_or(location)
                        .to_string();
                    let version = entry
                        .get("version")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    entries.insert(
                        location.clone(),
                        EntryView {
                            name,
                            version,
                            content: (Some(entry.clone()), None),
                        },
                    );
                }
            }
            ("dependencies", Value::Object(dependencies)) => {
                collect_legacy(&mut entries, "", dependencies);
            }
            _ => {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
    (entries, fields)
}

fn collect_legacy(
    entries: &mut BTreeMap<String, EntryView>,
    parent: &str,
    deps: &Map<String, Value>,
) {
    for (key, entry) in deps {
        let location = child_location(parent, key);
        let mut content = entry.clone();
        let nested = content
            .as_object_mut()
            .and_then(|o| o.shift_remove("dependencies"));
        let raw_version = entry.get("version").and_then(Value::as_str).unwrap_or("");
        let (name, version) = match super::split_alias(raw_version) {
            Some((real, version)) => (real.to_string(), version.to_string()),
            None => (key.clone(), raw_version.to_string()),
        };
        let view = entries.entry(location.clone()).or_insert(EntryView {
            name,
            version: Some(version).filter(|v| !v.is_empty()),
            content: (None, None),
        });
        view.content.1 = Some(content);
        if let Some(Value::Object(nested)) = nested {
            collect_legacy(entries, &location, &nested);
        }
    }
}

/// `parent/node_modules/name`, or `node_modules/name` at the top.
fn child_location(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        format!("node_modules/{name}")
    } else {
        format!("{parent}/node_modules/{name}")
    }
}

/// The package name an install path installs (`a/node_modules/@s/b` gives `@s/b`), or `None`
/// for a folder outside any `node_modules`.
fn installed_name(path: &str) -> Option<&str> {
    let (before, name) = path.rsplit_once("node_modules/")?;
    (before.is_empty() || before.ends_with('/')).then_some(name)
}

/// The legacy (v1-shaped) entry of `location` in the nested `dependencies`, if any.
fn legacy_entry_mut<'a>(doc: &'a mut Value, location: &str) -> Option<&'a mut Map<String, Value>> {
    let mut current = doc.get_mut("dependencies")?;
    let mut rest = location.strip_prefix("node_modules/")?;
    loop {
        let (name, tail) = match split_first_package(rest) {
            Some(split) => split,
            None => (rest, None),
        };
        let entry = current.get_mut(name)?;
        match tail {
            None => return entry.as_object_mut(),
            Some(tail) => {
                current = entry.get_mut("dependencies")?;
                rest = tail;
            }
        }
    }
}

/// Splits `a/node_modules/b…` into `a` and `b…` (a scoped first name keeps its `/`).
fn split_first_package(path: &str) -> Option<(&str, Option<&str>)> {
    let skip = if path.starts_with('@') {
        path.find('/')? + 1
    } else {
        0
    };
    match path[skip..].find("/node_modules/") {
        Some(at) => Some((
            &path[..skip + at],
            Some(&path[skip + at + "/node_modules/".len()..]),
        )),
        None => Some((path, None)),
    }
}

// --- the dependency graph --------------------------------------------------------------------

/// npm's dependency flags of one entry, as arborist keeps them internally (`dev_optional`
/// also set when `dev` or `optional` is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags {
    dev: bool,
    optional: bool,
    dev_optional: bool,
    peer: bool,
}

impl Flags {
    const NONE: Flags = Flags {
        dev: false,
        optional: false,
        dev_optional: false,
        peer: false,
    };
    const ALL: Flags = Flags {
        dev: true,
        optional: true,
        dev_optional: true,
        peer: true,
    };

    /// The flags recorded on a lockfile entry.
    fn recorded(entry: &Value) -> Flags {
        let flag = |key: &str| entry.get(key).and_then(Value::as_bool).unwrap_or(false);
        let (dev, optional) = (flag("dev"), flag("optional"));
        Flags {
            dev,
            optional,
            dev_optional: flag("devOptional") || dev || optional,
            peer: flag("peer"),
        }
    }

    fn describe(flags: Option<Flags>) -> String {
        match flags {
            None => "unreachable (extraneous)".to_string(),
            Some(f) => {
                let mut names = Vec::new();
                if f.dev {
                    names.push("dev");
                }
                if f.optional {
                    names.push("optional");
                }
                if f.dev_optional && !f.dev && !f.optional {
                    names.push("devOptional");
                }
                if f.peer {
                    names.push("peer");
                }
                if names.is_empty() {
                    "prod".to_string()
                } else {
                    names.join("+")
                }
            }
        }
    }
}

/// How a dependency is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    Prod,
    Optional,
    Peer,
    PeerOptional,
    Dev,
}

impl EdgeKind {
    fn dev(self) -> bool {
        self == EdgeKind::Dev
    }
    fn optional(self) -> bool {
        matches!(self, EdgeKind::Optional | EdgeKind::PeerOptional)
    }
    fn peer(self) -> bool {
        matches!(self, EdgeKind::Peer | EdgeKind::PeerOptional)
    }
}

/// One declared dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edge {
    name: String,
    spec: String,
    kind: EdgeKind,
}

/// One entry of the lockfile as a graph node.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    version: Option<String>,
    resolved: Option<String>,
    recorded: Flags,
    edges: Vec<Edge>,
    /// A folder (root `""`, a workspace, a `file:` directory), not an installed package.
    folder: bool,
    /// For `link: true` entries, the linked folder.
    link: Option<String>,
    /// Placed by the edit (not in the lockfile before): never a root of lockfile v1's flags.
    added: bool,
}

/// The entries of a lockfile by install location.
#[derive(Clone)]
struct Graph {
    nodes: BTreeMap<String, Node>,
    /// Lockfile v1 (no `packages`): `requires` edges and no root declarations.
    v1: bool,
    /// Whether any non-folder `packages` entry records `license`.
    records_license: bool,
}

impl Graph {
    /// The graph of a lockfile's text, for the read-only queries.
    fn read(lock_text: &str) -> Result<Graph, ParseError> {
        let doc: Value = json::from_str(FILE, lock_text)?;
        Graph::from_doc(&doc).map_err(|refusal| match refusal {
            EditRefusal::Unreadable(e) => e,
            other => ParseError::new(FILE, 1, 1, other.to_string()),
        })
    }

    fn from_doc(doc: &Value) -> Result<Graph, EditRefusal> {
        let mut graph = Graph {
            nodes: BTreeMap::new(),
            v1: false,
            records_license: false,
        };
        if let Some(packages) = doc.get("packages") {
            let packages = packages.as_object().ok_or_else(|| {
                EditRefusal::Unreadable(ParseError::new(
                    FILE,
                    1,
                    1,
                    "expected `packages` to be an object",
                ))
            })?;
            for (location, entry) in packages {
                let folder = installed_name(location).is_none();
                let link = entry
                    .get("link")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .then(|| entry.get("resolved").and_then(Value::as_str))
                    .flatten()
                    .map(|t| t.trim_start_matches("./").to_string());
                if !folder && entry.get("license").is_some() {
                    graph.records_license = true;
                }
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .or_else(|| installed_name(location))
                    .unwrap_or(location)
                    .to_string();
                graph.nodes.insert(
                    location.clone(),
                    Node {
                        name,
                        version: entry
                            .get("version")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        resolved: entry
                            .get("resolved")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        recorded: Flags::recorded(entry),
                        edges: entry_edges(entry, folder),
                        folder,
                        link,
                        added: false,
                    },
                );
            }
        } else if let Some(dependencies) = doc.get("dependencies") {
            graph.v1 = true;
            let dependencies = dependencies.as_object().ok_or_else(|| {
                EditRefusal::Unreadable(ParseError::new(
                    FILE,
                    1,
                    1,
                    "expected `dependencies` to be an object",
                ))
            })?;
            graph.add_v1("", dependencies);
        }
        Ok(graph)
    }

    fn add_v1(&mut self, parent: &str, dependencies: &Map<String, Value>) {
        for (key, entry) in dependencies {
            let location = child_location(parent, key);
            let raw_version = entry.get("version").and_then(Value::as_str).unwrap_or("");
            let (name, version) = match super::split_alias(raw_version) {
                Some((real, version)) => (real.to_string(), version.to_string()),
                None => (key.clone(), raw_version.to_string()),
            };
            let is_version = version.bytes().next().is_some_and(|b| b.is_ascii_digit());
            let edges = string_map(entry.get("requires"))
                .into_iter()
                .map(|(name, spec)| Edge {
                    name,
                    spec,
                    kind: EdgeKind::Prod,
                })
                .collect();
            let resolved = if is_version {
                entry
                    .get("resolved")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            } else {
                Some(version.clone()).filter(|v| !v.is_empty())
            };
            self.nodes.insert(
                location.clone(),
                Node {
                    name,
                    version: Some(version).filter(|_| is_version),
                    resolved,
                    recorded: Flags::recorded(entry),
                    edges,
                    folder: false,
                    link: None,
                    added: false,
                },
            );
            if let Some(Value::Object(nested)) = entry.get("dependencies") {
                self.add_v1(&location, nested);
            }
        }
    }

    /// The location Node would load `name` from, for code at `from`: `from/node_modules/name`,
    /// then up through each parent folder; links are followed to their folder.
    fn resolve(&self, from: &str, name: &str) -> Option<String> {
        let mut dir = from.trim_matches('/');
        loop {
            let candidate = child_location(dir, name);
            if let Some(node) = self.nodes.get(&candidate) {
                return Some(match &node.link {
                    Some(target) if self.nodes.contains_key(target) => target.clone(),
                    _ => candidate,
                });
            }
            if dir.is_empty() {
                return None;
            }
            dir = dir.rsplit_once('/').map_or("", |(parent, _)| parent);
        }
    }

    /// The flags npm would compute for every reachable entry (arborist's `calcDepFlags`).
    fn flags(&self) -> BTreeMap<String, Flags> {
        let mut flags: BTreeMap<String, Flags> = BTreeMap::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        for (location, node) in &self.nodes {
            let root = if self.v1 {
                is_top_level(location) && !node.added
            } else {
                node.folder
            };
            if root {
                let seed = if self.v1 { node.recorded } else { Flags::NONE };
                flags.insert(location.clone(), seed);
                queue.push_back(location.clone());
            }
        }
        while let Some(location) = queue.pop_front() {
            let Some(&from) = flags.get(&location) else {
                continue;
            };
            let node_edges: &[Edge] = self
                .nodes
                .get(&location)
                .map_or(&[], |n| n.edges.as_slice());
            for edge in node_edges {
                let Some(target) = self.resolve(&location, &edge.name) else {
                    continue;
                };
                let unset_dev_optional = !from.dev_optional
                    && !from.dev
                    && !from.optional
                    && !edge.kind.dev()
                    && !edge.kind.optional();
                let unset_dev = unset_dev_optional || (!from.dev && !edge.kind.dev());
                let unset_optional =
                    unset_dev_optional || (!from.optional && !edge.kind.optional());
                let unset_peer = !from.peer && !edge.kind.peer();
                let entry = flags.entry(target.clone());
                let (mut current, fresh) = match entry {
                    std::collections::btree_map::Entry::Occupied(ref o) => (*o.get(), false),
                    std::collections::btree_map::Entry::Vacant(_) => (Flags::ALL, true),
                };
                let before = current;
                if unset_peer {
                    current.peer = false;
                }
                if unset_dev_optional {
                    current.dev_optional = false;
                }
                if unset_dev {
                    current.dev = false;
                }
                if unset_optional {
                    current.optional = false;
                }
                if fresh || current != before {
                    flags.insert(target.clone(), current);
                    queue.push_back(target);
                }
            }
        }
        flags
    }

    /// Every (dependent location, edge) whose resolution reaches `location`.
    fn dependents_of(&self, location: &str) -> Vec<(&str, &Node, &Edge)> {
        let mut found = Vec::new();
        for (from, node) in &self.nodes {
            if node.link.is_some() {
                continue;
            }
            for edge in &node.edges {
                if self.resolve(from, &edge.name).as_deref() == Some(location) {
                    found.push((from.as_str(), node, edge));
                }
            }
        }
        found
    }
}

/// Whether a lockfile v1 location is a top-level entry (`node_modules/x`, `node_modules/@s/x`).
fn is_top_level(location: &str) -> bool {
    location
        .strip_prefix("node_modules/")
        .is_some_and(|rest| !rest.contains("/node_modules/"))
}

/// The declared dependencies of a v2/v3 `packages` entry.
fn entry_edges(entry: &Value, folder: bool) -> Vec<Edge> {
    let mut edges = Vec::new();
    let optional_peer = |name: &str| {
        entry
            .get("peerDependenciesMeta")
            .and_then(|m| m.get(name))
            .and_then(|m| m.get("optional"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut sections = vec![
        ("dependencies", EdgeKind::Prod),
        ("optionalDependencies", EdgeKind::Optional),
        ("peerDependencies", EdgeKind::Peer),
    ];
    if folder {
        sections.push(("devDependencies", EdgeKind::Dev));
    }
    for (section, kind) in sections {
        for (name, spec) in string_map(entry.get(section)) {
            let kind = if kind == EdgeKind::Peer && optional_peer(&name) {
                EdgeKind::PeerOptional
            } else {
                kind
            };
            edges.push(Edge { name, spec, kind });
        }
    }
    edges
}

/// The string members of a JSON object, in order.
fn string_map(value: Option<&Value>) -> Vec<(String, String)> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The dependencies the new version declares, optional ones removed from the prod map.
fn manifest_edges(manifest: &VersionManifest) -> Vec<Edge> {
    let optional: BTreeSet<&str> = manifest
        .optional_dependencies
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    let optional_peer = |name: &str| {
        manifest
            .peer_dependencies_meta
            .as_ref()
            .and_then(|m| m.get(name))
            .and_then(|m| m.get("optional"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut edges = Vec::new();
    for (name, spec) in &manifest.dependencies {
        if !optional.contains(name.as_str()) {
            edges.push(Edge {
                name: name.clone(),
                spec: spec.clone(),
                kind: EdgeKind::Prod,
            });
        }
    }
    for (name, spec) in &manifest.optional_dependencies {
        edges.push(Edge {
            name: name.clone(),
            spec: spec.clone(),
            kind: EdgeKind::Optional,
        });
    }
    for (name, spec) in &manifest.peer_dependencies {
        edges.push(Edge {
            name: name.clone(),
            spec: spec.clone(),
            kind: if optional_peer(name) {
                EdgeKind::PeerOptional
            } else {
                EdgeKind::Peer
            },
        });
    }
    edges
}

// --- the checks ------------------------------------------------------------------------------

/// Whether `spec` (an npm range, possibly an `npm:` alias) accepts `version`; `Err` explains
/// a spec that cannot be checked offline (a dist-tag, git, a URL, a path, bad syntax).
fn accepts(spec: &str, version: &Version) -> Result<bool, String> {
    let requirement = Scheme::Npm
        .parse_requirement(spec)
        .map_err(|e| format!("cannot read the range: {e}"))?;
    match requirement.kind() {
        RequirementKind::Range | RequirementKind::Minimum => Ok(requirement.matches(version)),
        RequirementKind::Tag(tag) => Err(format!("the dist-tag {tag:?} cannot be checked offline")),
        RequirementKind::External(kind) => Err(format!("a {kind} source is not a registry range")),
        _ => Err("an unknown kind of range".to_string()),
    }
}

fn check_dependents(graph: &Graph, location: &str, to: &Version) -> Result<(), EditRefusal> {
    for (from, node, edge) in graph.dependents_of(location) {
        let ok = accepts(&edge.spec, to).unwrap_or(false);
        if !ok {
            let dependent_id = if node.folder {
                format!("the project folder {:?} ({})", from, node.name)
            } else {
                format!(
                    "{}@{}",
                    node.name,
                    node.version.as_deref().unwrap_or("(no version)")
                )
            };
            return Err(EditRefusal::RangeRejects {
                dependent: from.to_string(),
                dependent_id,
                range: edge.spec.clone(),
                location: location.to_string(),
                to: to.as_str().to_string(),
            });
        }
    }
    Ok(())
}

/// The flags npm derives (and, for v1, what keeps a top-level entry) are the same before and
/// after the edit (`after`: the graph with the moved entries' new edges and the added entries)
/// for every entry that stays; the entries nothing reaches any more (npm prunes them), sorted.
fn check_flags(graph: &Graph, after: &Graph) -> Result<Vec<String>, EditRefusal> {
    let before_flags = graph.flags();
    let after_flags = after.flags();
    let mut pruned = Vec::new();
    let all: BTreeSet<&String> = before_flags.keys().chain(after_flags.keys()).collect();
    for location in all {
        let (old, new) = (
            before_flags.get(location).copied(),
            after_flags.get(location).copied(),
        );
        if after.nodes.get(location).is_some_and(|n| n.added) {
            continue;
        }
        if old.is_some() && new.is_none() && !graph.nodes[location].folder {
            pruned.push(location.clone());
            continue;
        }
        if old != new {
            return Err(EditRefusal::GraphChange {
                location: location.clone(),
                reason: format!(
                    "npm would mark it {} instead of {}",
                    Flags::describe(new),
                    Flags::describe(old)
                ),
            });
        }
    }
    if graph.v1 {
        // Top-level v1 entries are seeded with their recorded flags, so a dropped edge to one
        // is checked here: something else at least as essential must still require it.
        let moved: Vec<&String> = graph
            .nodes
            .iter()
            .filter(|(l, n)| after.nodes.get(*l).is_some_and(|a| a.edges != n.edges))
            .map(|(l, _)| l)
            .collect();
        for location in &moved {
            let new_names: BTreeSet<&str> = after.nodes[*location]
                .edges
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            for edge in &graph.nodes[*location].edges {
                if new_names.contains(edge.name.as_str()) {
                    continue;
                }
                let Some(target) = graph.resolve(location, &edge.name) else {
                    continue;
                };
                if !is_top_level(&target) {
                    continue; // nested: covered by the recomputed flags
                }
                let target_flags = graph.nodes[&target].recorded;
                let kept = after.dependents_of(&target).iter().any(|(from, node, _)| {
                    !moved.iter().any(|l| l == from)
                        && (!node.recorded.dev || target_flags.dev)
                        && (!node.recorded.optional || target_flags.optional)
                });
                if !kept {
                    return Err(EditRefusal::GraphChange {
                        location: target,
                        reason: format!(
                            "the new version no longer requires {}, and nothing else as \
                             essential does: npm would prune or re-flag it",
                            edge.name
                        ),
                    });
                }
            }
        }
    }
    Ok(pruned)
}

/// Whether a `resolved` URL is a registry tarball (`…/name/-/name-1.0.0.tgz`).
fn is_registry_tarball(resolved: &str) -> bool {
    (resolved.starts_with("https://") || resolved.starts_with("http://"))
        && resolved.contains("/-/")
        && !resolved.contains('#')
}

// --- writing entries -------------------------------------------------------------------------

/// What an edited entry gets from the registry.
struct EntryFields<'a> {
    manifest: &'a VersionManifest,
    tarball: String,
    integrity: String,
    write_license: bool,
}

impl EntryFields<'_> {
    /// A v2/v3 `packages` entry for the new version, keeping what is not manifest data (the
    /// alias `name`, flags, `inBundle`, …), sorted as npm sorts it.
    fn package_entry(&self, old: &Map<String, Value>) -> Map<String, Value> {
        const FROM_MANIFEST: &[&str] = &[
            "version",
            "resolved",
            "integrity",
            "dependencies",
            "optionalDependencies",
            "peerDependencies",
            "peerDependenciesMeta",
            "bundleDependencies",
            "acceptDependencies",
            "engines",
            "os",
            "cpu",
            "libc",
            "bin",
            "funding",
            "deprecated",
            "hasInstallScript",
            "hasShrinkwrap",
        ];
        let m = self.manifest;
        let mut entry: Map<String, Value> = old
            .iter()
            .filter(|(k, _)| {
                !FROM_MANIFEST.contains(&k.as_str())
                    && (k.as_str() != "license" || !self.write_license)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        entry.insert("version".into(), Value::String(m.version.clone()));
        entry.insert("resolved".into(), Value::String(self.tarball.clone()));
        entry.insert("integrity".into(), Value::String(self.integrity.clone()));
        let optional: BTreeSet<&str> = m
            .optional_dependencies
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        let dependencies: Vec<(String, String)> = m
            .dependencies
            .iter()
            .filter(|(n, _)| !optional.contains(n.as_str()))
            .cloned()
            .collect();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value.filter(meta_value_present) {
                entry.insert(key.to_string(), value);
            }
        };
        put("dependencies", Some(object_of(&dependencies)));
        put(
            "optionalDependencies",
            Some(object_of(&m.optional_dependencies)),
        );
        put("peerDependencies", Some(object_of(&m.peer_dependencies)));
        put("peerDependenciesMeta", m.peer_dependencies_meta.clone());
        put("engines", m.engines.clone());
        put("os", m.os.clone());
        put("cpu", m.cpu.clone());
        put("libc", m.libc.clone());
        put("acceptDependencies", m.accept_dependencies.clone());
        put("bin", m.bin.as_ref().map(|b| normalize_bin(&m.name, b)));
        put("funding", m.funding.as_ref().map(normalize_funding));
        put("deprecated", m.deprecated.clone().map(Value::String));
        put("hasInstallScript", Some(Value::Bool(m.has_install_script)));
        if self.write_license {
            put(
                "license",
                m.license.as_ref().map(|l| match l.get("type") {
                    Some(kind) if l.is_object() => kind.clone(),
                    _ => l.clone(),
                }),
            );
        }
        nice_sorted_map(entry)
    }

    /// A v1-shaped entry (lockfile v1, or the legacy `dependencies` section of v2) for the new
    /// version; `nice` sorts it as npm 7+ does, else npm 6's fixed order is kept.
    fn legacy_entry(&self, old: &Map<String, Value>, nice: bool) -> Map<String, Value> {
        let m = self.manifest;
        let old_version = old.get("version").and_then(Value::as_str).unwrap_or("");
        let version = match super::split_alias(old_version) {
            Some((real, _)) => format!("npm:{real}@{}", m.version),
            None => m.version.clone(),
        };
        // npm writes `requires` from every non-peer edge: dependencies and optional ones.
        let mut requires: Vec<(String, String)> = Vec::new();
        for (name, spec) in m.dependencies.iter().chain(&m.optional_dependencies) {
            if let Some(slot) = requires.iter_mut().find(|(n, _)| n == name) {
                slot.1 = spec.clone();
            } else {
                requires.push((name.clone(), spec.clone()));
            }
        }
        let has_edges = !requires.is_empty() || !m.peer_dependencies.is_empty();
        let requires_value = if nice {
            has_edges.then(|| object_of(&requires))
        } else {
            requires.sort_by(|a, b| a.0.cmp(&b.0));
            (!requires.is_empty()).then(|| {
                Value::Object(
                    requires
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                )
            })
        };
        let mut updates: Vec<(&str, Option<Value>)> = vec![
            ("version", Some(Value::String(version))),
            ("resolved", Some(Value::String(self.tarball.clone()))),
            ("integrity", Some(Value::String(self.integrity.clone()))),
            ("requires", requires_value),
        ];
        if nice {
            let mut entry = old.clone();
            for (key, value) in updates {
                match value {
                    Some(value) => {
                        entry.insert(key.to_string(), value);
                    }
                    None => {
                        entry.shift_remove(key);
                    }
                }
            }
            return nice_sorted_map(entry);
        }
        // npm 6: replace in place, insert a missing key before the first later key.
        let mut entry = Map::new();
        for (key, value) in old {
            if let Some(at) = V1_KEY_ORDER.iter().position(|k| k == key) {
                for (new_key, new_value) in updates.iter_mut() {
                    let rank = V1_KEY_ORDER
                        .iter()
                        .position(|k| k == new_key)
                        .unwrap_or(usize::MAX);
                    if rank < at
                        && !old.contains_key(*new_key)
                        && let Some(v) = new_value.take()
                    {
                        entry.insert((*new_key).to_string(), v);
                    }
                }
            }
            match updates.iter_mut().find(|(k, _)| k == key) {
                Some((_, new_value)) => {
                    if let Some(v) = new_value.take() {
                        entry.insert(key.clone(), v);
                    }
                }
                None => {
                    entry.insert(key.clone(), value.clone());
                }
            }
        }
        for (key, value) in updates {
            if let Some(v) = value
                && !old.contains_key(key)
            {
                entry.insert(key.to_string(), v);
            }
        }
        entry
    }
}

/// arborist's `metaFieldFromPkg`: a value is written when truthy and not an empty object or
/// array.
fn meta_value_present(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => false,
        Value::String(s) => !s.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(true) => true,
    }
}

fn object_of(pairs: &[(String, String)]) -> Value {
    Value::Object(
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// `funding` as npm records it: a URL string becomes `{"url": ...}`, also inside a list (npm's
/// manifest normalisation; npm 11 rewrites a string `funding` that way).
fn normalize_funding(funding: &Value) -> Value {
    match funding {
        Value::String(url) => serde_json::json!({ "url": url }),
        Value::Array(items) => Value::Array(items.iter().map(normalize_funding).collect()),
        other => other.clone(),
    }
}

/// `bin` as npm's manifest normalisation leaves it: a string becomes `{name: path}` (the
/// unscoped package name), names lose any directory, paths are made relative without `./`.
fn normalize_bin(package: &str, bin: &Value) -> Value {
    let unscoped = package.rsplit('/').next().unwrap_or(package);
    let pairs: Vec<(String, String)> = match bin {
        Value::String(path) => vec![(unscoped.to_string(), path.clone())],
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => return Value::Null,
    };
    let mut out = Map::new();
    for (name, path) in pairs {
        let name = name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string();
        let path = normalize_path(&path.replace('\\', "/"));
        if !name.is_empty() && !path.is_empty() {
            out.insert(name, Value::String(path));
        }
    }
    Value::Object(out)
}

/// `path.join('/', p).slice(1)`: `.` and empty segments dropped, `..` applied, never above the
/// package root.
fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

/// A SRI `sha1-…` string from a hex SHA-1 (what npm and yarn derive for packages that predate
/// `dist.integrity`).
pub(super) fn sha1_integrity(hex: &str) -> Option<String> {
    if hex.len() != 40 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..20)
        .map(|i| u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect();
    Some(format!("sha1-{}", base64(&bytes?)))
}

// --- npm's key order -----------------------------------------------------------------------

/// `value` with every object's keys in `json-stringify-nice` order.
fn nice_sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(nice_sorted_map(map)),
        Value::Array(items) => Value::Array(items.into_iter().map(nice_sorted).collect()),
        other => other,
    }
}

fn nice_sorted_map(map: Map<String, Value>) -> Map<String, Value> {
    let mut pairs: Vec<(String, Value)> =
        map.into_iter().map(|(k, v)| (k, nice_sorted(v))).collect();
    pairs.sort_by(|(ak, av), (bk, bv)| nice_cmp(ak, av, bk, bv));
    pairs.into_iter().collect()
}

/// `json-stringify-nice`'s order: non-objects first, then [`PREFERRED_KEYS`] in order, then
/// `localeCompare(…, 'en')`.
fn nice_cmp(a: &str, av: &Value, b: &str, bv: &Value) -> Ordering {
    let (a_obj, b_obj) = (av.is_object(), bv.is_object());
    if a_obj != b_obj {
        return if a_obj {
            Ordering::Greater
        } else {
            Ordering::Less
        };
    }
    let rank = |k: &str| PREFERRED_KEYS.iter().position(|p| *p == k);
    match (rank(a), rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => locale_cmp(a, b),
    }
}

/// An approximation of ICU's root collation (what Node's `localeCompare(…, 'en')` uses) that
/// is exact for ASCII: punctuation before symbols before digits before letters, letters
/// compared without case first and lowercase before uppercase on a tie; other characters
/// after letters by code point.
pub(crate) fn locale_cmp(a: &str, b: &str) -> Ordering {
    fn primary(c: char) -> u32 {
        const ORDER: &str = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789";
        if let Some(i) = ORDER.find(c) {
            return i as u32 + 1;
        }
        if c.is_ascii_alphabetic() {
            return 100 + u32::from(c.to_ascii_lowercase() as u8 - b'a');
        }
        1000 + c as u32
    }
    let pa = a.chars().map(primary);
    let pb = b.chars().map(primary);
    pa.cmp(pb)
        .then_with(|| {
            // Tertiary: lowercase before uppercase at the first case difference.
            let ta = a.chars().map(|c| c.is_ascii_uppercase());
            let tb = b.chars().map(|c| c.is_ascii_uppercase());
            ta.cmp(tb)
        })
        .then_with(|| a.cmp(b))
}

// --- formatting ----------------------------------------------------------------------------

/// How a lockfile is formatted: npm keeps a file's indent and line ending when it rewrites it.
struct Style {
    indent: String,
    crlf: bool,
    final_newline: bool,
}

impl Style {
    fn detect(text: &str) -> Style {
        let indent = text
            .lines()
            .nth(1)
            .map(|line| {
                line.chars()
                    .take_while(|c| *c == ' ' || *c == '\t')
                    .collect::<String>()
            })
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| "  ".to_string());
        Style {
            indent,
            crlf: text.contains("\r\n"),
            final_newline: text.ends_with('\n'),
        }
    }

    /// `value` as npm's `JSON.stringify(value, null, indent)` plus its line ending.
    fn write(&self, value: &Value) -> String {
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(self.indent.as_bytes());
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        if value.serialize(&mut serializer).is_err() {
            return String::new();
        }
        let mut text = String::from_utf8(out).unwrap_or_default();
        if self.final_newline {
            text.push('\n');
        }
        if self.crlf {
            text = text.replace('\n', "\r\n");
        }
        text
    }
}
