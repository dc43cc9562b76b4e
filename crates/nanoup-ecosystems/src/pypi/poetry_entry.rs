//! One `poetry.lock` entry brought fully up to date from the registry's metadata of the new
//! release, and an entry put back from an older text.
//!
//! [`super::edit::edit_poetry_lock`] moves an entry's version and files; the entry's
//! `[package.dependencies]` and `[package.extras]` tables (and its `description` and
//! `python-versions`) still describe the old release. [`refresh_dependencies`] rewrites them
//! from the release's `requires_dist` (PyPI's JSON API, [`ReleaseMetadata`]) as Poetry writes
//! them:
//!
//! - `name = "CONSTRAINT"` when a dependency has nothing but a version constraint, else
//!   `name = {version = "...", extras = [...], optional = true, markers = "..."}` (keys in that
//!   order, each only when needed), several requirements of one name as a multi-line array;
//!   keys sorted by normalised name, written as the release writes the name;
//! - constraints in Poetry's form: `~=1.12` is `>=1.12,<2.0`, `==1.4.*` is `>=1.4.0,<1.5.0`,
//!   `==5.0.0` is `5.0.0`, `<1.27,>=1.21.1` is `>=1.21.1,<1.27`, no specifier is `*`;
//! - markers as Poetry prints them (`name op "value"`, `and` / `or`, parentheses around an
//!   `or` inside an `and`); a dependency only for extras is `optional = true` and keeps its
//!   `extra == "..."` marker; a dependency whose markers can hold for none of the Pythons the
//!   lock's `[metadata] python-versions` admits is left out, as Poetry leaves it out;
//! - `[package.extras]`: each extra (sorted) with its dependencies, `name (CONSTRAINT)` or the
//!   bare name, as the lock's format writes them.
//!
//! The edit is made only when the lock already satisfies the new release: every dependency
//! that applies (not only for extras, not excluded by the lock's Pythons; a dependency for an
//! extra that another entry of the lock asks for too) has an entry whose locked version the
//! specifier accepts (PEP 440), the lock's Pythons are all allowed by the release's
//! `Requires-Python`, and no dependency is locked only for development (`category = "dev"`)
//! or as optional when the package is not. Otherwise [`DependencyRefusal`] names what is
//! missing: Poetry itself must relock (`poetry update NAME`).
//!
//! `[metadata] content-hash` hashes the project's own dependencies (pyproject.toml), which
//! an update of a locked package does not change: it is left alone.
//!
//! [`restore_entry`] puts an entry back as an older text of the lock has it (for a rollback),
//! byte for byte, with its `[metadata.files]` list in a lock of format 1.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use nanoup_core::{LineIndex, ParseError, normalize_pypi_name};
use nanoup_versions::{Scheme, Version};
use toml_edit::{Document, Item, Table, Value};

use super::edit::{EditRefusal, toml_string, value_span};
use super::pep508;
use super::registry::ReleaseMetadata;
use crate::edit_support::splice;

/// Packages Poetry 1.x never locks (its "unsafe" packages): a dependency on one of them is
/// skipped when the lock has no entry for it.
const UNSAFE_PACKAGES: [&str; 4] = ["setuptools", "distribute", "pip", "wheel"];

/// The result of [`refresh_dependencies`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// The whole new file.
    pub text: String,
    /// What the caller should tell (dependencies of the old release the new one no longer has,
    /// left in the lock for whatever else needs them).
    pub notes: Vec<String>,
}

/// Why [`refresh_dependencies`] did not edit. Nothing was written; Poetry must relock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DependencyRefusal {
    /// The file does not parse, or the entry cannot be found or rewritten.
    Edit(EditRefusal),
    /// The registry gives no dependencies for the release while the old one had some.
    Unknown {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// The package.
        name: String,
        /// The new version.
        version: String,
    },
    /// A dependency of the release could not be read.
    Unreadable {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// The package.
        name: String,
        /// The new version.
        version: String,
        /// The `Requires-Dist` string.
        requirement: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Dependencies of the release the lock does not satisfy.
    Unsatisfied {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// The package.
        name: String,
        /// The new version.
        version: String,
        /// Each unsatisfied dependency: `dep SPECIFIER` and what the lock has of it.
        missing: Vec<String>,
        /// The unsatisfied dependencies a companion move could satisfy (a registry dependency
        /// the lock has): what a search for the consistent change reads. Fewer than `missing`
        /// when an extra's dependency is among them.
        needs: Vec<Need>,
    },
    /// The release's `Requires-Python` excludes a Python the lock is for.
    Python {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// The package.
        name: String,
        /// The new version.
        version: String,
        /// The release's `Requires-Python`.
        requires_python: String,
        /// The lock's `python-versions`.
        lock_python: String,
    },
    /// A dependency is locked in a way Poetry would change for this update (another entry's
    /// `category` or `optional`).
    Widens {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// The package.
        name: String,
        /// The new version.
        version: String,
        /// What would change, per dependency.
        reasons: Vec<String>,
    },
}

impl fmt::Display for DependencyRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fallback = |name: &str| {
            format!("Poetry must relock: run `poetry update {name}` (nanoup does not run Poetry)")
        };
        match self {
            DependencyRefusal::Edit(refusal) => write!(f, "{refusal}"),
            DependencyRefusal::Unknown {
                file,
                line,
                name,
                version,
            } => write!(
                f,
                "{file}:{line}: the registry gives no dependencies (`requires_dist`) for \
                 `{name}` {version} while the locked release has some, so the dependencies of \
                 `{name}` in the lock are still those of the old release; {}",
                fallback(name)
            ),
            DependencyRefusal::Unreadable {
                file,
                line,
                name,
                version,
                requirement,
                reason,
            } => write!(
                f,
                "{file}:{line}: `{name}` {version} requires `{requirement}`, which nanoup cannot \
                 read ({reason}); {}",
                fallback(name)
            ),
            DependencyRefusal::Unsatisfied {
                file,
                line,
                name,
                version,
                missing,
                ..
            } => write!(
                f,
                "{file}:{line}: `{name}` {version} needs {}, which the lock does not satisfy: \
                 moving it alone would leave the lock inconsistent; {}",
                missing.join(", "),
                fallback(name)
            ),
            DependencyRefusal::Python {
                file,
                line,
                name,
                version,
                requires_python,
                lock_python,
            } => write!(
                f,
                "{file}:{line}: `{name}` {version} requires Python {requires_python}, but the \
                 lock is for Python {lock_python}; {}",
                fallback(name)
            ),
            DependencyRefusal::Widens {
                file,
                line,
                name,
                version,
                reasons,
            } => write!(
                f,
                "{file}:{line}: with `{name}` {version}, {}: Poetry would change those entries \
                 too; {}",
                reasons.join(", "),
                fallback(name)
            ),
        }
    }
}

impl std::error::Error for DependencyRefusal {}

impl From<EditRefusal> for DependencyRefusal {
    fn from(refusal: EditRefusal) -> DependencyRefusal {
        DependencyRefusal::Edit(refusal)
    }
}

impl From<ParseError> for DependencyRefusal {
    fn from(error: ParseError) -> DependencyRefusal {
        DependencyRefusal::Edit(EditRefusal::Parse(error))
    }
}

/// One requirement of the release, read from `requires_dist`.
#[derive(Debug, Clone)]
struct Dependency {
    /// The name as the release writes it.
    pretty: String,
    /// Normalised (PEP 503).
    name: String,
    extras: Vec<String>,
    /// The PEP 440 specifier as written (may be empty).
    specifier: String,
    marker: Option<Marker>,
    /// The extras this requirement is for (from `extra == "..."` in its marker).
    in_extras: Vec<String>,
}

/// What one `[[package]]` entry of the lock says about itself, for the checks.
#[derive(Debug, Clone)]
struct Locked {
    version: String,
    category: Option<String>,
    optional: Option<bool>,
    /// The entry's `[package.extras]`: extra -> dependency strings.
    extras: BTreeMap<String, Vec<String>>,
}

/// Why [`move_entry`] did not move an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveRefusal {
    /// The registry's answer cannot be read, or says nothing of the release's dependencies.
    Registry(String),
    /// The entry cannot be moved, or its dependencies do not fit the lock.
    Dependencies(Box<DependencyRefusal>),
}

impl fmt::Display for MoveRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoveRefusal::Registry(why) => f.write_str(why),
            MoveRefusal::Dependencies(refusal) => refusal.fmt(f),
        }
    }
}

/// The poetry.lock `text` (named `file`) with the entry of `name` moved from `from` to `to` from
/// `body`, the registry's answer about that release: its files and hashes
/// ([`super::edit::edit_poetry_lock`]), then its dependency tables from the release's metadata
/// ([`refresh_dependencies`], which refuses when the lock does not satisfy them). One entry of
/// a group, as the plan's search and apply both move it.
pub fn move_entry(
    file: &str,
    text: &str,
    name: &str,
    from: &str,
    to: &str,
    body: &[u8],
) -> Result<Refreshed, MoveRefusal> {
    use super::registry;
    let files = registry::files_of_release(body, to).map_err(|e| {
        MoveRefusal::Registry(format!("cannot read the registry's answer for {name}: {e}"))
    })?;
    let moved = super::edit::edit_poetry_lock(file, text, name, from, to, &files)
        .map_err(|refusal| MoveRefusal::Dependencies(Box::new(refusal.into())))?;
    let Some(release) = registry::release_metadata(body, to) else {
        return Err(MoveRefusal::Registry(format!(
            "the index gave no dependencies (requires_dist) of {name} {to}"
        )));
    };
    refresh_dependencies(file, &moved.text, name, to, &release)
        .map_err(|refusal| MoveRefusal::Dependencies(Box::new(refusal)))
}

/// A dependency of a new release the lock does not satisfy (see
/// [`DependencyRefusal::Unsatisfied`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The dependency, normalised.
    pub name: String,
    /// The release's specifier of it (PEP 440; empty for any version).
    pub specifier: String,
    /// The versions the lock has of it (empty: not in the lock).
    pub locked: Vec<String>,
}

/// The constraints the entries of `text` (a poetry.lock) put on the package `dep`: one
/// (dependent's normalised name, dependent's version, its alternatives) per dependent, an
/// alternative per marker, each as written (Poetry's dialect, which [`Scheme::Pep440`] reads).
/// Optional dependencies (installed only for an extra) are left out, as Poetry's solver leaves
/// them when no extra asks. A lock that does not parse gives none.
pub fn constraints_on(file: &str, text: &str, dep: &str) -> Vec<(String, String, Vec<String>)> {
    let Ok(doc) = crate::toml_spans::parse(file, text) else {
        return Vec::new();
    };
    let wanted = normalize_pypi_name(dep);
    let mut out = Vec::new();
    for t in package_tables(&doc) {
        let (Some(name), Some(version)) = (
            t.get("name").and_then(Item::as_str),
            t.get("version").and_then(Item::as_str),
        ) else {
            continue;
        };
        let Some(deps) = t.get("dependencies").and_then(Item::as_table_like) else {
            continue;
        };
        for (key, value) in deps.iter() {
            if normalize_pypi_name(key) != wanted {
                continue;
            }
            let alternatives: Vec<String> = dependency_values(value)
                .into_iter()
                .filter_map(|spec| match spec {
                    Value::String(s) => Some(s.value().to_string()),
                    Value::InlineTable(t)
                        if t.get("optional").and_then(Value::as_bool) != Some(true) =>
                    {
                        Some(
                            t.get("version")
                                .and_then(Value::as_str)
                                .unwrap_or("*")
                                .to_string(),
                        )
                    }
                    _ => None,
                })
                .collect();
            if !alternatives.is_empty() {
                out.push((normalize_pypi_name(name), version.to_string(), alternatives));
            }
        }
    }
    out
}

/// The entries of `text` whose constraint on `name` rejects `version` (no alternative of it
/// accepts it; see [`constraints_on`]), skipping the dependents in `moving` (normalised names,
/// whose constraints change with them): `dependent VERSION requires NAME CONSTRAINT`. What
/// moving `name` to `version` alone would break.
pub fn rejecting_dependents(
    file: &str,
    text: &str,
    name: &str,
    version: &str,
    moving: &[String],
) -> Vec<String> {
    let Ok(wanted) = Version::parse(Scheme::Pep440, version) else {
        return Vec::new();
    };
    constraints_on(file, text, name)
        .into_iter()
        .filter(|(dependent, _, _)| !moving.contains(dependent))
        .filter(|(_, _, alternatives)| {
            !alternatives.iter().any(|c| {
                Scheme::Pep440
                    .parse_requirement(c.trim())
                    .map_or(true, |r| r.matches(&wanted))
            })
        })
        .map(|(dependent, at, alternatives)| {
            format!(
                "{dependent} {at} requires {} {}",
                normalize_pypi_name(name),
                alternatives.join(" | ")
            )
        })
        .collect()
}

/// The values of one `[package.dependencies]` item: a constraint string or inline table, or
/// each element of an array of them (one per marker).
fn dependency_values(item: &Item) -> Vec<&Value> {
    match item {
        Item::Value(Value::Array(array)) => array.iter().collect(),
        Item::Value(v) => vec![v],
        _ => Vec::new(),
    }
}

/// Rewrites the `[package.dependencies]` and `[package.extras]` tables, `description` and
/// `python-versions` of the `poetry.lock` entry of `name` at `version` in `text` (the lock after
/// [`super::edit::edit_poetry_lock`] moved the entry to `version`) from `release`, the
/// registry's metadata of that release. See the module documentation for the format and for
/// when it refuses. Every byte outside those tables and values is kept.
pub fn refresh_dependencies(
    file: &str,
    text: &str,
    name: &str,
    version: &str,
    release: &ReleaseMetadata,
) -> Result<Refreshed, DependencyRefusal> {
    super::poetry::parse(file, text)?;
    let doc = crate::toml_spans::parse(file, text)?;
    let index = LineIndex::new(text);
    let wanted = normalize_pypi_name(name);
    let tables = package_tables(&doc);
    let Some(table) = tables.iter().copied().find(|t| {
        t.get("name")
            .and_then(Item::as_str)
            .is_some_and(|n| normalize_pypi_name(n) == wanted)
            && t.get("version").and_then(Item::as_str) == Some(version)
    }) else {
        return Err(EditRefusal::NotFound {
            file: file.to_string(),
            name: wanted,
            version: version.to_string(),
            found: Vec::new(),
        }
        .into());
    };
    let start = table.span().map_or(0, |s| s.start);
    let line = index.line(start);
    let layout = |reason: String| {
        DependencyRefusal::Edit(EditRefusal::Layout {
            file: file.to_string(),
            line,
            reason,
        })
    };
    let old_dependencies: Vec<String> = table
        .get("dependencies")
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    let old_has_extras = table
        .get("extras")
        .and_then(Item::as_table_like)
        .is_some_and(|t| !t.is_empty());
    let requires_dist = match &release.requires_dist {
        Some(list) => list.clone(),
        None if old_dependencies.is_empty() && !old_has_extras => Vec::new(),
        None => {
            return Err(DependencyRefusal::Unknown {
                file: file.to_string(),
                line,
                name: wanted,
                version: version.to_string(),
            });
        }
    };

    // What the lock holds, by normalised name.
    let mut locked: BTreeMap<String, Vec<Locked>> = BTreeMap::new();
    // Extras of this package that other entries ask for.
    let mut asked_extras: BTreeSet<String> = BTreeSet::new();
    for t in &tables {
        let Some(n) = t.get("name").and_then(Item::as_str) else {
            continue;
        };
        let extras = t
            .get("extras")
            .and_then(Item::as_table_like)
            .map(|e| {
                e.iter()
                    .map(|(k, v)| {
                        let list = v
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default();
                        (k.to_string(), list)
                    })
                    .collect()
            })
            .unwrap_or_default();
        locked
            .entry(normalize_pypi_name(n))
            .or_default()
            .push(Locked {
                version: t
                    .get("version")
                    .and_then(Item::as_str)
                    .unwrap_or("")
                    .to_string(),
                category: t.get("category").and_then(Item::as_str).map(str::to_string),
                optional: t.get("optional").and_then(Item::as_bool),
                extras,
            });
        if let Some(deps) = t.get("dependencies").and_then(Item::as_table_like) {
            for (key, value) in deps.iter() {
                if normalize_pypi_name(key) != wanted {
                    continue;
                }
                for spec in dependency_values(value) {
                    if let Some(list) = spec
                        .as_inline_table()
                        .and_then(|t| t.get("extras"))
                        .and_then(Value::as_array)
                    {
                        asked_extras
                            .extend(list.iter().filter_map(Value::as_str).map(normalize_extra));
                    }
                }
            }
        }
    }

    // The Pythons the lock is for.
    let lock_python = doc
        .get("metadata")
        .and_then(|m| m.get("python-versions"))
        .and_then(Item::as_str)
        .map(str::to_string);
    let pythons = lock_python.as_deref().and_then(pythons_of);
    if let (Some(requires), Some(lock_python)) = (&release.requires_python, &lock_python)
        && !runs_on_every_python(requires, lock_python)
    {
        return Err(DependencyRefusal::Python {
            file: file.to_string(),
            line,
            name: wanted,
            version: version.to_string(),
            requires_python: requires.clone(),
            lock_python: lock_python.clone(),
        });
    }

    // The release's dependencies, as Poetry keeps them.
    let mut dependencies: Vec<Dependency> = Vec::new();
    for requirement in &requires_dist {
        let unreadable = |reason: String| DependencyRefusal::Unreadable {
            file: file.to_string(),
            line,
            name: wanted.clone(),
            version: version.to_string(),
            requirement: requirement.clone(),
            reason,
        };
        let parsed = match pep508::parse(requirement) {
            Ok(pep508::Parsed::Requirement(r)) => r,
            Ok(pep508::Parsed::NotAName) => {
                return Err(unreadable("it does not start with a project name".into()));
            }
            Err(e) => return Err(unreadable(format!("at offset {}: {}", e.offset, e.message))),
        };
        if parsed.url.is_some() {
            return Err(unreadable(
                "a direct reference (`@ URL`) is not a registry dependency".into(),
            ));
        }
        let marker = match parsed.marker.as_deref().map(Marker::parse) {
            Some(Ok(m)) => Some(m),
            Some(Err(reason)) => return Err(unreadable(format!("its marker: {reason}"))),
            None => None,
        };
        let dep_name = normalize_pypi_name(&parsed.name);
        if UNSAFE_PACKAGES.contains(&dep_name.as_str()) && !locked.contains_key(&dep_name) {
            continue;
        }
        if let (Some(marker), Some(pythons)) = (&marker, &pythons)
            && pythons.iter().all(|p| marker.evaluate(p) == Some(false))
        {
            // It applies to no Python the lock is for: Poetry leaves it out.
            continue;
        }
        let mut in_extras = Vec::new();
        if let Some(marker) = &marker {
            marker.extras(&mut in_extras);
        }
        dependencies.push(Dependency {
            pretty: parsed.name.clone(),
            name: dep_name,
            extras: parsed.extras.clone(),
            specifier: parsed.specifier.clone(),
            marker,
            in_extras,
        });
    }

    // Every dependency that applies must be satisfied by the lock.
    let this = locked
        .get(&wanted)
        .and_then(|v| v.iter().find(|l| l.version == version))
        .cloned();
    let mut missing = Vec::new();
    let mut needs = Vec::new();
    let mut widens = Vec::new();
    for dep in &dependencies {
        let applies = dep.in_extras.is_empty()
            || dep
                .in_extras
                .iter()
                .any(|e| asked_extras.contains(&normalize_extra(e)));
        if !applies {
            continue;
        }
        let shown = if dep.specifier.is_empty() {
            format!("`{}`", dep.pretty)
        } else {
            format!("`{}{}`", dep.pretty, dep.specifier)
        };
        let entries = locked.get(&dep.name).map(Vec::as_slice).unwrap_or(&[]);
        let Some(entry) = satisfying(entries, &dep.specifier) else {
            let found: Vec<&str> = entries.iter().map(|l| l.version.as_str()).collect();
            missing.push(if found.is_empty() {
                format!("{shown} (not in the lock)")
            } else {
                format!("{shown} (the lock has {})", found.join(", "))
            });
            needs.push(Need {
                name: dep.name.clone(),
                specifier: dep.specifier.clone(),
                locked: found.iter().map(|v| v.to_string()).collect(),
            });
            continue;
        };
        // The extras it asks of the dependency must be locked too.
        for extra in &dep.extras {
            let wanted_extra = normalize_extra(extra);
            let Some(list) = entry
                .extras
                .iter()
                .find(|(k, _)| normalize_extra(k) == wanted_extra)
                .map(|(_, v)| v)
            else {
                continue;
            };
            for item in list {
                let (item_name, item_spec) = split_extra_item(item);
                let item_entries = locked
                    .get(&normalize_pypi_name(&item_name))
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                if satisfying(item_entries, &item_spec).is_none() {
                    missing.push(format!(
                        "`{item_name}{item_spec}` (for `{}[{extra}]`, not satisfied by the lock)",
                        dep.pretty
                    ));
                }
            }
        }
        if !dep.in_extras.is_empty() {
            continue;
        }
        if let Some(this) = &this {
            if this.category.as_deref() == Some("main") && entry.category.as_deref() == Some("dev")
            {
                widens.push(format!(
                    "`{}` is locked for development only (category = \"dev\")",
                    dep.pretty
                ));
            }
            if this.optional == Some(false) && entry.optional == Some(true) {
                widens.push(format!("`{}` is locked as optional", dep.pretty));
            }
        }
    }
    if !missing.is_empty() {
        return Err(DependencyRefusal::Unsatisfied {
            file: file.to_string(),
            line,
            name: wanted,
            version: version.to_string(),
            missing,
            needs,
        });
    }
    if !widens.is_empty() {
        return Err(DependencyRefusal::Widens {
            file: file.to_string(),
            line,
            name: wanted,
            version: version.to_string(),
            reasons: widens,
        });
    }

    // The new text: the values, then the tables.
    let lock_version = doc
        .get("metadata")
        .and_then(|m| m.get("lock-version"))
        .and_then(Item::as_str)
        .unwrap_or("1.1");
    let legacy = lock_version.starts_with("1.");
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut splices: Vec<(Range<usize>, String)> = Vec::new();
    if let Some(span) = value_span(text, table, "description") {
        let summary = release.summary.as_deref().unwrap_or("");
        if table.get("description").and_then(Item::as_str) != Some(summary) {
            splices.push((span, toml_string(summary)));
        }
    }
    if let Some(span) = value_span(text, table, "python-versions") {
        let python = release.requires_python.as_deref().unwrap_or("*");
        if table.get("python-versions").and_then(Item::as_str) != Some(python) {
            splices.push((span, toml_string(python)));
        }
    }
    splices.sort_by_key(|(range, _)| range.start);
    let edited = splice(text, splices.iter().map(|(r, t)| (r.clone(), t.as_str())));
    let dependencies_table = render_dependencies(&dependencies, newline);
    let extras_table = render_extras(&dependencies, legacy, newline);
    let text = replace_subtables(&edited, start, dependencies_table, extras_table, newline)
        .map_err(layout)?;

    let new_names: BTreeSet<String> = dependencies.iter().map(|d| d.name.clone()).collect();
    let dropped: Vec<String> = old_dependencies
        .iter()
        .filter(|d| !new_names.contains(&normalize_pypi_name(d)))
        .cloned()
        .collect();
    let mut notes = Vec::new();
    if !dropped.is_empty() {
        notes.push(format!(
            "{} {version} no longer depends on {} (left in the lock; `poetry lock --no-update` \
             drops what nothing needs)",
            wanted,
            dropped.join(", ")
        ));
    }
    Ok(Refreshed { text, notes })
}

/// The `[[package]]` tables of a parsed lock.
fn package_tables(doc: &Document<String>) -> Vec<&Table> {
    doc.get("package")
        .and_then(Item::as_array_of_tables)
        .map(|tables| tables.iter().collect())
        .unwrap_or_default()
}

/// An extra's name compared as PEP 685 normalises it.
fn normalize_extra(extra: &str) -> String {
    normalize_pypi_name(extra)
}

/// The locked entry (of one name) whose version `specifier` accepts (PEP 440, with Poetry's
/// dialect); any entry when the specifier is empty.
fn satisfying<'l>(entries: &'l [Locked], specifier: &str) -> Option<&'l Locked> {
    let specifier = specifier.trim();
    if specifier.is_empty() || specifier == "*" {
        return entries.first();
    }
    let requirement = Scheme::Pep440.parse_requirement(specifier).ok()?;
    entries
        .iter()
        .find(|l| Version::parse(Scheme::Pep440, &l.version).is_ok_and(|v| requirement.matches(&v)))
}

/// An element of a `[package.extras]` list, `name (constraint)` or `name constraint` or
/// `name[extras] (constraint)`: the name (without extras) and the constraint as a specifier.
fn split_extra_item(item: &str) -> (String, String) {
    let item = item.trim();
    let name_end = item
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(item.len());
    let name = item.get(..name_end).unwrap_or(item).to_string();
    let mut rest = item.get(name_end..).unwrap_or("").trim();
    if rest.starts_with('[') {
        rest = rest
            .find(']')
            .and_then(|i| rest.get(i + 1..))
            .unwrap_or("")
            .trim();
    }
    let rest = rest.split(';').next().unwrap_or("").trim();
    let spec = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(rest)
        .trim();
    (name, spec.to_string())
}

// ---------------------------------------------------------------------------------------------
// Pythons
// ---------------------------------------------------------------------------------------------

/// One Python a lock is for: `python_version` (`3.8`) and a `python_full_version` it admits.
#[derive(Debug, Clone)]
struct Python {
    short: String,
    full: String,
}

/// Whether a release whose `Requires-Python` is `requires_python` runs on every Python
/// (2.7, 3.0 to 3.30) the constraint `lock_python` admits (a poetry.lock's `python-versions`,
/// a uv.lock's `requires-python`): what a lock that keeps its Pythons needs of every release
/// in it. True when either does not parse (nothing known to exclude it).
pub fn runs_on_every_python(requires_python: &str, lock_python: &str) -> bool {
    let Ok(allowed) = Scheme::Pep440.parse_requirement(requires_python.trim()) else {
        return true;
    };
    pythons_of(lock_python).is_none_or(|pythons| {
        pythons
            .iter()
            .all(|p| Version::parse(Scheme::Pep440, &p.full).is_ok_and(|v| allowed.matches(&v)))
    })
}

/// The Pythons a PyPI lockfile is for: poetry.lock's `[metadata] python-versions`, uv.lock's
/// top-level `requires-python`; `None` for other files or when the lock does not say.
pub fn lock_python(text: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    doc.get("metadata")
        .and_then(|m| m.get("python-versions"))
        .or_else(|| doc.get("requires-python"))
        .and_then(Item::as_str)
        .map(str::to_string)
}

/// The Pythons (2.7, 3.0 to 3.30) a `python-versions` constraint (Poetry's dialect) admits;
/// `None` when it does not parse or admits none of them.
fn pythons_of(constraint: &str) -> Option<Vec<Python>> {
    let requirement = Scheme::Pep440.parse_requirement(constraint.trim()).ok()?;
    let minors = std::iter::once((2, 7)).chain((0..=30).map(|minor| (3, minor)));
    let mut out = Vec::new();
    for (major, minor) in minors {
        let admitted = [0, 999].iter().find_map(|patch| {
            let full = format!("{major}.{minor}.{patch}");
            Version::parse(Scheme::Pep440, &full)
                .ok()
                .filter(|v| requirement.matches(v))
                .map(|_| full)
        });
        if let Some(full) = admitted {
            out.push(Python {
                short: format!("{major}.{minor}"),
                full,
            });
        }
    }
    (!out.is_empty()).then_some(out)
}

// ---------------------------------------------------------------------------------------------
// Markers
// ---------------------------------------------------------------------------------------------

/// A PEP 508 environment marker.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    /// `left op right`, each a variable or a quoted string.
    Compare {
        left: Operand,
        op: String,
        right: Operand,
    },
    /// All of them.
    And(Vec<Marker>),
    /// Any of them.
    Or(Vec<Marker>),
}

/// One side of a marker comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Operand {
    Variable(String),
    Literal(String),
}

impl Marker {
    /// Reads a marker expression; the error says what was expected.
    fn parse(text: &str) -> Result<Marker, String> {
        let tokens = tokenize(text)?;
        let mut at = 0;
        let marker = parse_or(&tokens, &mut at)?;
        match tokens.get(at) {
            None => Ok(marker),
            Some(token) => Err(format!(
                "unexpected `{}` after a complete marker",
                token.text()
            )),
        }
    }

    /// The marker's value for `python` with every other variable unknown: `None` when it
    /// depends on them.
    fn evaluate(&self, python: &Python) -> Option<bool> {
        match self {
            Marker::Compare { left, op, right } => compare(left, op, right, python),
            Marker::And(items) => {
                let mut unknown = false;
                for item in items {
                    match item.evaluate(python) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                (!unknown).then_some(true)
            }
            Marker::Or(items) => {
                let mut unknown = false;
                for item in items {
                    match item.evaluate(python) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                (!unknown).then_some(false)
            }
        }
    }

    /// The extras named by `extra == "..."` comparisons, in order, each once.
    fn extras(&self, out: &mut Vec<String>) {
        match self {
            Marker::Compare { left, op, right } if op == "==" => {
                let extra = match (left, right) {
                    (Operand::Variable(v), Operand::Literal(l))
                    | (Operand::Literal(l), Operand::Variable(v))
                        if v == "extra" =>
                    {
                        Some(l)
                    }
                    _ => None,
                };
                if let Some(extra) = extra
                    && !out.contains(extra)
                {
                    out.push(extra.clone());
                }
            }
            Marker::Compare { .. } => {}
            Marker::And(items) | Marker::Or(items) => {
                for item in items {
                    item.extras(out);
                }
            }
        }
    }

    /// The marker as Poetry prints it.
    fn render(&self) -> String {
        match self {
            Marker::Compare { left, op, right } => {
                format!("{} {op} {}", left.render(), right.render())
            }
            Marker::And(items) => items
                .iter()
                .map(|m| match m {
                    Marker::Or(_) => format!("({})", m.render()),
                    _ => m.render(),
                })
                .collect::<Vec<_>>()
                .join(" and "),
            Marker::Or(items) => items
                .iter()
                .map(Marker::render)
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

impl Operand {
    fn render(&self) -> String {
        match self {
            Operand::Variable(v) => v.clone(),
            Operand::Literal(l) => format!("\"{l}\""),
        }
    }
}

/// A comparison's value for `python`, `None` when it is about anything but the Python version.
fn compare(left: &Operand, op: &str, right: &Operand, python: &Python) -> Option<bool> {
    let value = |operand: &Operand| match operand {
        Operand::Variable(v) if v == "python_version" => Some(python.short.clone()),
        Operand::Variable(v) if v == "python_full_version" => Some(python.full.clone()),
        Operand::Variable(_) => None,
        Operand::Literal(l) => Some(l.clone()),
    };
    let (l, r) = (value(left)?, value(right)?);
    match op {
        "in" => return Some(r.contains(&l)),
        "not in" => return Some(!r.contains(&l)),
        _ => {}
    }
    let (Ok(lv), Ok(rv)) = (
        Version::parse(Scheme::Pep440, &l),
        Version::parse(Scheme::Pep440, &r),
    ) else {
        return match op {
            "==" | "===" => Some(l == r),
            "!=" => Some(l != r),
            _ => None,
        };
    };
    match op {
        "==" | "===" => Some(lv == rv),
        "!=" => Some(lv != rv),
        "<" => Some(lv < rv),
        "<=" => Some(lv <= rv),
        ">" => Some(lv > rv),
        ">=" => Some(lv >= rv),
        "~=" => Scheme::Pep440
            .parse_requirement(&format!("~={r}"))
            .ok()
            .map(|req| req.matches(&lv)),
        _ => None,
    }
}

/// A marker token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Op(String),
    Variable(String),
    Literal(String),
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::And => "and".into(),
            Token::Or => "or".into(),
            Token::Op(op) => op.clone(),
            Token::Variable(v) => v.clone(),
            Token::Literal(l) => format!("\"{l}\""),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '\'' | '"' => {
                let close = chars
                    .iter()
                    .skip(i + 1)
                    .position(|&d| d == c)
                    .ok_or_else(|| format!("a string opened with {c} is not closed"))?;
                tokens.push(Token::Literal(
                    chars.iter().skip(i + 1).take(close).collect(),
                ));
                i += close + 2;
            }
            '=' | '!' | '<' | '>' | '~' => {
                let op: String = chars
                    .iter()
                    .skip(i)
                    .take_while(|d| matches!(d, '=' | '!' | '<' | '>' | '~'))
                    .collect();
                if !["==", "!=", "<", "<=", ">", ">=", "~=", "==="].contains(&op.as_str()) {
                    return Err(format!("`{op}` is not a marker operator"));
                }
                i += op.chars().count();
                tokens.push(Token::Op(op));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let word: String = chars
                    .iter()
                    .skip(i)
                    .take_while(|d| d.is_ascii_alphanumeric() || matches!(d, '_' | '.'))
                    .collect();
                i += word.chars().count();
                match word.as_str() {
                    "and" => tokens.push(Token::And),
                    "or" => tokens.push(Token::Or),
                    "in" => tokens.push(Token::Op("in".into())),
                    "not" => {
                        let rest: String = chars.iter().skip(i).collect();
                        let trimmed = rest.trim_start();
                        if !trimmed.starts_with("in")
                            || trimmed
                                .chars()
                                .nth(2)
                                .is_some_and(|d| d.is_ascii_alphanumeric())
                        {
                            return Err("expected `in` after `not`".into());
                        }
                        i += rest.len() - trimmed.len() + 2;
                        tokens.push(Token::Op("not in".into()));
                    }
                    _ => tokens.push(Token::Variable(word)),
                }
            }
            other => return Err(format!("unexpected `{other}`")),
        }
    }
    Ok(tokens)
}

fn parse_or(tokens: &[Token], at: &mut usize) -> Result<Marker, String> {
    let mut items = vec![parse_and(tokens, at)?];
    while tokens.get(*at) == Some(&Token::Or) {
        *at += 1;
        items.push(parse_and(tokens, at)?);
    }
    Ok(flatten(items, false))
}

fn parse_and(tokens: &[Token], at: &mut usize) -> Result<Marker, String> {
    let mut items = vec![parse_atom(tokens, at)?];
    while tokens.get(*at) == Some(&Token::And) {
        *at += 1;
        items.push(parse_atom(tokens, at)?);
    }
    Ok(flatten(items, true))
}

/// One item, or the group of several, with nested groups of the same kind merged.
fn flatten(items: Vec<Marker>, and: bool) -> Marker {
    if items.len() == 1 {
        return items.into_iter().next().unwrap_or(Marker::And(Vec::new()));
    }
    let mut out = Vec::new();
    for item in items {
        match item {
            Marker::And(inner) if and => out.extend(inner),
            Marker::Or(inner) if !and => out.extend(inner),
            other => out.push(other),
        }
    }
    if and {
        Marker::And(out)
    } else {
        Marker::Or(out)
    }
}

fn parse_atom(tokens: &[Token], at: &mut usize) -> Result<Marker, String> {
    match tokens.get(*at) {
        Some(Token::Open) => {
            *at += 1;
            let inner = parse_or(tokens, at)?;
            if tokens.get(*at) != Some(&Token::Close) {
                return Err("a `(` is not closed".into());
            }
            *at += 1;
            Ok(inner)
        }
        _ => {
            let operand = |token: Option<&Token>| match token {
                Some(Token::Variable(v)) => Ok(Operand::Variable(v.clone())),
                Some(Token::Literal(l)) => Ok(Operand::Literal(l.clone())),
                Some(other) => Err(format!(
                    "expected a marker variable or a quoted string, found `{}`",
                    other.text()
                )),
                None => Err("the marker ends where a value was expected".into()),
            };
            let left = operand(tokens.get(*at))?;
            let op = match tokens.get(*at + 1) {
                Some(Token::Op(op)) => op.clone(),
                Some(other) => {
                    return Err(format!("expected an operator, found `{}`", other.text()));
                }
                None => return Err("the marker ends where an operator was expected".into()),
            };
            let right = operand(tokens.get(*at + 2))?;
            *at += 3;
            Ok(Marker::Compare { left, op, right })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Poetry's constraints
// ---------------------------------------------------------------------------------------------

/// A PEP 440 specifier written as Poetry writes a dependency's constraint (see the module
/// documentation); anything it does not recognise is kept as written (clauses joined by `,`).
fn poetry_constraint(specifier: &str) -> String {
    let clauses: Vec<&str> = specifier
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if clauses.is_empty() {
        return "*".to_string();
    }
    let as_written = clauses.join(",");
    let parsed: Option<Vec<(&str, &str)>> = clauses
        .iter()
        .map(|clause| {
            ["===", "==", "!=", "<=", ">=", "~=", "<", ">"]
                .iter()
                .find_map(|op| clause.strip_prefix(op).map(|v| (*op, v.trim())))
        })
        .collect();
    let Some(parsed) = parsed else {
        return as_written;
    };
    if let [("==", version)] = parsed.as_slice()
        && !version.contains('*')
    {
        return (*version).to_string();
    }
    // (version text, inclusive)
    let mut lower: Option<(String, bool)> = None;
    let mut upper: Option<(String, bool)> = None;
    let mut excluded: Vec<String> = Vec::new();
    let tighter = |current: &mut Option<(String, bool)>, new: (String, bool), is_lower: bool| {
        let keep_current = match current {
            None => false,
            Some((text, inclusive)) => {
                match (
                    Version::parse(Scheme::Pep440, text),
                    Version::parse(Scheme::Pep440, &new.0),
                ) {
                    (Ok(a), Ok(b)) if a == b => !*inclusive || new.1,
                    (Ok(a), Ok(b)) => (a > b) == is_lower,
                    _ => false,
                }
            }
        };
        if !keep_current {
            *current = Some(new);
        }
    };
    for (op, version) in parsed {
        match op {
            ">=" => tighter(&mut lower, (version.to_string(), true), true),
            ">" => tighter(&mut lower, (version.to_string(), false), true),
            "<=" => tighter(&mut upper, (version.to_string(), true), false),
            "<" => tighter(&mut upper, (version.to_string(), false), false),
            "!=" if !version.contains('*') => excluded.push(version.to_string()),
            "~=" => {
                let Some(bump) = compatible_upper(version) else {
                    return as_written;
                };
                tighter(&mut lower, (version.to_string(), true), true);
                tighter(&mut upper, (bump, false), false);
            }
            "==" => {
                let Some((low, high)) = wildcard_range(version) else {
                    return as_written;
                };
                tighter(&mut lower, (low, true), true);
                tighter(&mut upper, (high, false), false);
            }
            _ => return as_written,
        }
    }
    let bound = |b: &Option<(String, bool)>, is_lower: bool| {
        b.as_ref().map(|(text, inclusive)| {
            let op = match (is_lower, inclusive) {
                (true, true) => ">=",
                (true, false) => ">",
                (false, true) => "<=",
                (false, false) => "<",
            };
            format!("{op}{text}")
        })
    };
    let range = |low: Option<String>, high: Option<String>| match (low, high) {
        (Some(l), Some(h)) => format!("{l},{h}"),
        (Some(l), None) => l,
        (None, Some(h)) => h,
        (None, None) => "*".to_string(),
    };
    if excluded.is_empty() {
        return range(bound(&lower, true), bound(&upper, false));
    }
    let mut sorted: Vec<(Version, String)> = Vec::new();
    for text in excluded {
        let Ok(version) = Version::parse(Scheme::Pep440, &text) else {
            return as_written;
        };
        sorted.push((version, text));
    }
    sorted.sort();
    sorted.dedup_by(|a, b| a.0 == b.0);
    if lower.is_none() && upper.is_none() && sorted.len() == 1 {
        return format!("!={}", sorted.first().map_or("", |(_, t)| t.as_str()));
    }
    // A union of ranges split at each excluded version, as Poetry prints one.
    let mut pieces = Vec::new();
    let mut from = bound(&lower, true);
    for (_, text) in &sorted {
        pieces.push(range(from.clone(), Some(format!("<{text}"))));
        from = Some(format!(">{text}"));
    }
    pieces.push(range(from, bound(&upper, false)));
    pieces.join(" || ")
}

/// The upper bound of `~=V`: `V` without its last part, that part's predecessor bumped, then
/// `.0` (`1.12` gives `2.0`, `1.4.0` gives `1.5.0`).
fn compatible_upper(version: &str) -> Option<String> {
    let release: Vec<u64> = version
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    if release.len() < 2 {
        return None;
    }
    let mut bumped: Vec<u64> = release.get(..release.len() - 1)?.to_vec();
    let last = bumped.last_mut()?;
    *last = last.checked_add(1)?;
    bumped.push(0);
    Some(
        bumped
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// `==X.*` as Poetry reads it: `>=X.0.0,<X+1.0.0`; `==X.Y.*`: `>=X.Y.0,<X.Y+1.0`.
fn wildcard_range(version: &str) -> Option<(String, String)> {
    let prefix = version.strip_suffix(".*")?;
    let parts: Vec<u64> = prefix
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<_>>()?;
    match parts.as_slice() {
        [major] => Some((
            format!("{major}.0.0"),
            format!("{}.0.0", major.checked_add(1)?),
        )),
        [major, minor] => Some((
            format!("{major}.{minor}.0"),
            format!("{major}.{}.0", minor.checked_add(1)?),
        )),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering and splicing
// ---------------------------------------------------------------------------------------------

/// A TOML key: bare when it can be.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        key.to_string()
    } else {
        toml_string(key)
    }
}

/// A list of strings as a one-line TOML array, `["a", "b"]`.
fn toml_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items
            .iter()
            .map(|i| toml_string(i))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The `[package.dependencies]` table (header and lines), `None` when there are none.
fn render_dependencies(dependencies: &[Dependency], newline: &str) -> Option<String> {
    if dependencies.is_empty() {
        return None;
    }
    let mut by_name: BTreeMap<&str, (&str, Vec<&Dependency>)> = BTreeMap::new();
    for dep in dependencies {
        by_name
            .entry(dep.name.as_str())
            .or_insert_with(|| (dep.pretty.as_str(), Vec::new()))
            .1
            .push(dep);
    }
    let mut out = format!("[package.dependencies]{newline}");
    for (pretty, deps) in by_name.values() {
        let constraint = |dep: &Dependency| {
            let version = poetry_constraint(&dep.specifier);
            let mut fields = vec![format!("version = {}", toml_string(&version))];
            let mut extras = dep.extras.clone();
            extras.sort();
            if !extras.is_empty() {
                fields.push(format!("extras = {}", toml_list(&extras)));
            }
            if !dep.in_extras.is_empty() {
                fields.push("optional = true".to_string());
            }
            if let Some(marker) = &dep.marker {
                fields.push(format!("markers = {}", toml_string(&marker.render())));
            }
            if fields.len() == 1 {
                toml_string(&version)
            } else {
                format!("{{{}}}", fields.join(", "))
            }
        };
        let values: Vec<String> = deps.iter().map(|d| constraint(d)).collect();
        let value = match values.as_slice() {
            [one] => one.clone(),
            many => {
                let mut array = format!("[{newline}");
                for v in many {
                    array.push_str(&format!("    {v},{newline}"));
                }
                array.push(']');
                array
            }
        };
        out.push_str(&format!("{} = {value}{newline}", toml_key(pretty)));
    }
    Some(out)
}

/// The `[package.extras]` table, `None` when the release has no extras. `legacy`: a lock of
/// format 1 (Poetry 1.1), which keeps each extra's dependencies in the release's order and
/// writes an unconstrained one by its normalised name; later formats sort them.
fn render_extras(dependencies: &[Dependency], legacy: bool, newline: &str) -> Option<String> {
    let mut extras: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for dep in dependencies {
        for extra in &dep.in_extras {
            let constraint = poetry_constraint(&dep.specifier);
            let mut name = dep.pretty.clone();
            if !dep.extras.is_empty() {
                name.push_str(&format!("[{}]", dep.extras.join(",")));
            }
            let item = if constraint == "*" {
                if legacy {
                    dep.pretty.to_ascii_lowercase().replace('_', "-")
                } else {
                    name
                }
            } else if !constraint.contains(['<', '>', '=', '!', '*', '|', ',', '~', '^']) {
                format!("{name} (=={constraint})")
            } else {
                format!("{name} ({constraint})")
            };
            let list = extras.entry(extra.as_str()).or_default();
            if !list.contains(&item) {
                list.push(item);
            }
        }
    }
    if extras.is_empty() {
        return None;
    }
    let mut out = format!("[package.extras]{newline}");
    for (extra, mut items) in extras {
        if !legacy {
            items.sort();
        }
        out.push_str(&format!(
            "{} = {}{newline}",
            toml_key(extra),
            toml_list(&items)
        ));
    }
    Some(out)
}

/// The byte range of the entry whose `[[package]]` header starts at `start`: up to the next
/// `[[package]]` or top-level table header (its sub-tables `[package.*]` included).
fn entry_range(text: &str, start: usize) -> Range<usize> {
    let mut offset = start;
    let mut first = true;
    for line in text.get(start..).unwrap_or("").split_inclusive('\n') {
        let trimmed = line.trim_start();
        if !first && trimmed.starts_with('[') && !trimmed.starts_with("[package.") {
            return start..offset;
        }
        first = false;
        offset += line.len();
    }
    start..text.len()
}

/// The entry at `start` with its dependency and extras tables replaced by `dependencies` and
/// `extras` (removed when `None`, added in Poetry's order when the entry had none), every
/// other byte kept.
fn replace_subtables(
    text: &str,
    start: usize,
    dependencies: Option<String>,
    extras: Option<String>,
    newline: &str,
) -> Result<String, String> {
    let range = entry_range(text, start);
    let entry = text.get(range.clone()).unwrap_or("");
    // Slots: the main table, then each sub-table, each with the blank lines that follow it.
    let mut slots: Vec<(String, String)> = vec![(String::new(), String::new())];
    for line in entry.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with("[package.") {
            let header = trimmed.to_string();
            if header.starts_with("[package.dependencies.")
                || header.starts_with("[package.extras.")
            {
                return Err(format!(
                    "the entry has a `{header}` table, which Poetry does not write"
                ));
            }
            slots.push((header, String::new()));
        }
        if let Some(slot) = slots.last_mut() {
            slot.1.push_str(line);
        }
    }
    let blank_after = |body: &str| -> String {
        let content = body.trim_end_matches(['\n', '\r']);
        let tail = body.get(content.len()..).unwrap_or("");
        // The line ending of the last line belongs to the table.
        tail.strip_prefix("\r\n")
            .or_else(|| tail.strip_prefix('\n'))
            .unwrap_or(tail)
            .to_string()
    };
    let separator = slots
        .first()
        .map(|(_, body)| blank_after(body))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| newline.to_string());
    let mut out: Vec<(String, String)> = Vec::new();
    let mut placed_dependencies = false;
    let mut placed_extras = false;
    let place = |out: &mut Vec<(String, String)>, header: &str, table: &Option<String>| {
        if let Some(table) = table {
            out.push((header.to_string(), format!("{table}{separator}")));
        }
    };
    for (index, (header, body)) in slots.iter().enumerate() {
        match header.as_str() {
            "[package.dependencies]" => {
                if let Some(table) = &dependencies {
                    out.push((header.clone(), format!("{table}{}", blank_after(body))));
                }
                placed_dependencies = true;
            }
            "[package.extras]" => {
                if !placed_dependencies {
                    place(&mut out, "[package.dependencies]", &dependencies);
                    placed_dependencies = true;
                }
                if let Some(table) = &extras {
                    out.push((header.clone(), format!("{table}{}", blank_after(body))));
                }
                placed_extras = true;
            }
            _ if index == 0 => out.push((header.clone(), body.clone())),
            _ => {
                if !placed_dependencies {
                    place(&mut out, "[package.dependencies]", &dependencies);
                    placed_dependencies = true;
                }
                if !placed_extras {
                    place(&mut out, "[package.extras]", &extras);
                    placed_extras = true;
                }
                out.push((header.clone(), body.clone()));
            }
        }
    }
    let mut tail_slots = Vec::new();
    if !placed_dependencies {
        place(&mut tail_slots, "[package.dependencies]", &dependencies);
    }
    if !placed_extras {
        place(&mut tail_slots, "[package.extras]", &extras);
    }
    if !tail_slots.is_empty() {
        // After the entry's last table, which must then end with a blank line.
        if let Some(last) = out.last_mut()
            && blank_after(&last.1).is_empty()
        {
            if !last.1.ends_with('\n') {
                last.1.push_str(newline);
            }
            last.1.push_str(newline);
            if let Some(final_slot) = tail_slots.last_mut() {
                let trimmed = final_slot.1.trim_end_matches(['\n', '\r']).len();
                final_slot.1.truncate(trimmed);
                final_slot.1.push_str(newline);
            }
        }
        out.extend(tail_slots);
    }
    let new_entry: String = out.into_iter().map(|(_, body)| body).collect();
    Ok(format!(
        "{}{}{}",
        text.get(..range.start).unwrap_or(""),
        new_entry,
        text.get(range.end..).unwrap_or("")
    ))
}

// ---------------------------------------------------------------------------------------------
// Rollback
// ---------------------------------------------------------------------------------------------

/// `current` (the lock `file` now) with the entry of `name` at `current_version` replaced by the
/// entry of `name` at `old_version` as `old` (an older text of the same lock) has it, byte for
/// byte, and in a lock of format 1 the name's `[metadata.files]` list too. Every other byte of
/// `current` is kept. Refuses when either entry is missing or either list cannot be found.
pub fn restore_entry(
    file: &str,
    current: &str,
    old: &str,
    name: &str,
    current_version: &str,
    old_version: &str,
) -> Result<String, EditRefusal> {
    super::poetry::parse(file, current)?;
    super::poetry::parse(file, old)?;
    let current_doc = crate::toml_spans::parse(file, current)?;
    let old_doc = crate::toml_spans::parse(file, old)?;
    let wanted = normalize_pypi_name(name);
    let find = |doc: &Document<String>, version: &str| -> Option<usize> {
        package_tables(doc)
            .into_iter()
            .find(|t| {
                t.get("name")
                    .and_then(Item::as_str)
                    .is_some_and(|n| normalize_pypi_name(n) == wanted)
                    && t.get("version").and_then(Item::as_str) == Some(version)
            })
            .and_then(|t| t.span())
            .map(|s| s.start)
    };
    let not_found = |version: &str, found: Vec<String>| EditRefusal::NotFound {
        file: file.to_string(),
        name: wanted.clone(),
        version: version.to_string(),
        found,
    };
    let now_at = find(&current_doc, current_version)
        .ok_or_else(|| not_found(current_version, Vec::new()))?;
    let was_at = find(&old_doc, old_version).ok_or_else(|| not_found(old_version, Vec::new()))?;
    let now = entry_range(current, now_at);
    let was = entry_range(old, was_at);
    let mut splices = vec![(now, old.get(was).unwrap_or("").to_string())];
    // Format 1: the name's list under `[metadata.files]`.
    let files_of = |doc: &Document<String>, text: &str| -> Option<Range<usize>> {
        doc.get("metadata")?
            .get("files")?
            .as_table_like()?
            .iter()
            .find(|(k, _)| normalize_pypi_name(k) == wanted)?
            .1
            .span()
            .filter(|s| s.end <= text.len())
    };
    match (files_of(&current_doc, current), files_of(&old_doc, old)) {
        (Some(now), Some(was)) => splices.push((now, old.get(was).unwrap_or("").to_string())),
        (None, None) => {}
        _ => {
            return Err(EditRefusal::Layout {
                file: file.to_string(),
                line: LineIndex::new(current).line(now_at),
                reason: format!(
                    "the `[metadata.files]` list of `{wanted}` is in one text of the lock only"
                ),
            });
        }
    }
    splices.sort_by_key(|(range, _)| range.start);
    Ok(splice(
        current,
        splices.iter().map(|(r, t)| (r.clone(), t.as_str())),
    ))
}

#[cfg(test)]
#[path = "poetry_entry_tests.rs"]
mod tests;
