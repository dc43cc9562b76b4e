//! Surgical edits of a `pom.xml`: one dependency moves from one version to another and every
//! other byte of the file stays as it was (no XML re-serialisation: the new version is spliced
//! into the text at the place roxmltree reports).
//!
//! [`edit_pom`] finds the dependencies (project, profile and `<dependencyManagement>` entries)
//! the scanner reports as `group:artifact` at `from`, and changes where that version is
//! written:
//!
//! - a literal `<version>1.2.3</version>`: its text, in place;
//! - `<version>${name}</version>` with `name` set in the pom's own `<properties>`: that
//!   property's value, but only when nothing else uses the property (another dependency, a
//!   plugin, another property, a module that inherits it). Otherwise the edit is refused, naming
//!   the users: moving them together is not a nano update, and the user can change the property
//!   themselves;
//! - a property set in a parent pom, the project's own version (`${project.version}`), a value
//!   built from several parts, or a version taken from the `<dependencyManagement>` of another
//!   pom: refused, saying where the version really is written.
//!
//! A dependency without `<version>` that takes it from the `<dependencyManagement>` of the same
//! pom follows the managed entry, which is the one edited.
//!
//! [`changed_entries`] is the blast-radius check: it compares the components the Maven parser
//! reads in the old and new text, plus everything outside the dependency versions (and the
//! properties only those versions use), which must be byte for byte the same.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use nanoup_core::{EntryChange, LineIndex, ParseError};
use roxmltree::Node;

use super::{BUILTINS, Dependency, Effective, LocalName, Repository, child, document, parse_pom};
use crate::dir_of;
/// The name under which [`changed_entries`] reports a change outside the dependency versions
/// of `file`: `[rest of pom.xml]`.
pub use crate::edit_support::rest_of;
use crate::edit_support::{Fingerprint, changed_fingerprints, mask, splice};

/// The result of [`edit_pom`]: the new text and what was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PomEdit {
    /// The whole new file.
    pub text: String,
    /// 1-based lines (in the old text) of the edited `<version>` elements or property.
    pub lines: Vec<u32>,
    /// What was edited, for the report: `<version> of g:a (line N)` or
    /// `property name (line N), used only by g:a`.
    pub what: String,
}

/// Why [`edit_pom`] refused to touch a pom. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PomRefusal {
    /// The pom does not parse.
    Parse(ParseError),
    /// No dependency of the pom is `name` at `version`.
    NotFound {
        /// The edited file.
        file: String,
        /// `group:artifact`.
        name: String,
        /// The version looked for.
        version: String,
        /// What the pom says about `name` instead: versions, or why one is unknown.
        found: Vec<String>,
    },
    /// The new version is not something to write into a `<version>` element.
    BadVersion {
        /// The edited file.
        file: String,
        /// The version asked for.
        version: String,
    },
    /// The version comes from a property other dependencies, plugins, properties or modules
    /// use too.
    SharedProperty {
        /// The edited file.
        file: String,
        /// 1-based line of the property.
        line: u32,
        /// The property.
        property: String,
        /// `group:artifact`.
        name: String,
        /// Who else uses it, with the place.
        users: Vec<String>,
    },
    /// The version comes from a property set in a parent pom of the repository.
    PropertyInParent {
        /// The edited file.
        file: String,
        /// 1-based line of the `<version>`.
        line: u32,
        /// The property.
        property: String,
        /// The parent pom that sets it.
        parent: String,
    },
    /// The version names a property that no pom of the repository sets.
    PropertyUndefined {
        /// The edited file.
        file: String,
        /// 1-based line of the `<version>`.
        line: u32,
        /// The property.
        property: String,
        /// Why the property is unknown (a parent outside the repository, ...).
        reason: String,
    },
    /// The version is one of the project's own coordinates (`${project.version}`).
    ProjectVersion {
        /// The edited file.
        file: String,
        /// 1-based line of the `<version>`.
        line: u32,
        /// `group:artifact`.
        name: String,
        /// The property, e.g. `project.version`.
        property: String,
    },
    /// The dependency has no `<version>` and takes it from the `<dependencyManagement>` of
    /// another pom.
    ManagedElsewhere {
        /// The edited file.
        file: String,
        /// 1-based line of the dependency.
        line: u32,
        /// `group:artifact`.
        name: String,
        /// Where the managed entry is: `file:line`.
        place: String,
    },
    /// The version is written in a way the editor does not change by itself.
    Layout {
        /// The edited file.
        file: String,
        /// 1-based line.
        line: u32,
        /// What is unusual.
        reason: String,
    },
}

impl fmt::Display for PomRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PomRefusal::Parse(error) => write!(f, "{error}; fix the pom, then re-plan"),
            PomRefusal::NotFound {
                file,
                name,
                version,
                found,
            } => {
                if found.is_empty() {
                    write!(
                        f,
                        "{file}: no dependency {name} {version}; the pom changed since the plan, \
                         re-plan"
                    )
                } else {
                    write!(
                        f,
                        "{file}: {name} is {} here, not {version}; the pom changed since the plan, \
                         re-plan",
                        found.join(", ")
                    )
                }
            }
            PomRefusal::BadVersion { file, version } => write!(
                f,
                "{file}: `{version}` is not a version to write into <version> (expected letters, \
                 digits and `.-_+`); check the plan"
            ),
            PomRefusal::SharedProperty {
                file,
                line,
                property,
                name,
                users,
            } => write!(
                f,
                "{file}:{line}: the version of {name} is the property `{property}`, which {} \
                 also use{}; moving them together is not a nano update, so nothing was changed: \
                 change `{property}` yourself if you want them all moved, or give {name} its own \
                 version",
                users.join(", "),
                if users.len() == 1 { "s" } else { "" }
            ),
            PomRefusal::PropertyInParent {
                file,
                line,
                property,
                parent,
            } => write!(
                f,
                "{file}:{line}: the version is the property `{property}`, set in the parent pom \
                 {parent}, where every module inheriting it reads it; change it there (or give \
                 the dependency its own version here)"
            ),
            PomRefusal::PropertyUndefined {
                file,
                line,
                property,
                reason,
            } => write!(
                f,
                "{file}:{line}: the version is the property `{property}`, which cannot be edited \
                 here: {reason}; change it where it is set"
            ),
            PomRefusal::ProjectVersion {
                file,
                line,
                name,
                property,
            } => write!(
                f,
                "{file}:{line}: the version of {name} is `${{{property}}}`, the project's own \
                 coordinate; release the project at the new version instead"
            ),
            PomRefusal::ManagedElsewhere {
                file,
                line,
                name,
                place,
            } => write!(
                f,
                "{file}:{line}: {name} has no <version> here; it comes from the \
                 dependencyManagement entry at {place}: apply the update planned for that entry"
            ),
            PomRefusal::Layout { file, line, reason } => {
                write!(f, "{file}:{line}: {reason}; change this version by hand")
            }
        }
    }
}

impl std::error::Error for PomRefusal {}

impl From<ParseError> for PomRefusal {
    fn from(error: ParseError) -> PomRefusal {
        PomRefusal::Parse(error)
    }
}

/// The `<dependency>` elements [`parse_pom`] reads, in its order (project, each profile,
/// dependencyManagement), each with whether it is a dependencyManagement entry.
fn dependency_nodes<'a, 'input>(root: Node<'a, 'input>) -> Vec<(Node<'a, 'input>, bool)> {
    let dependencies_of = |list: Option<Node<'a, 'input>>| {
        list.into_iter()
            .flat_map(|l| l.children())
            .filter(|n| n.has_tag_name_local("dependency"))
    };
    let mut out: Vec<(Node, bool)> = dependencies_of(child(root, "dependencies"))
        .map(|n| (n, false))
        .collect();
    for profile in child(root, "profiles")
        .into_iter()
        .flat_map(|p| p.children())
        .filter(|n| n.has_tag_name_local("profile"))
    {
        out.extend(dependencies_of(child(profile, "dependencies")).map(|n| (n, false)));
    }
    out.extend(
        dependencies_of(child(root, "dependencyManagement").and_then(|m| child(m, "dependencies")))
            .map(|n| (n, true)),
    );
    out
}

/// The byte range of the text inside an element (between its start and end tags), `None` for
/// an empty element (`<version/>`).
fn inner_range(text: &str, node: Node) -> Option<Range<usize>> {
    let range = node.range();
    let element = text.get(range.clone())?;
    if element.ends_with("/>") {
        return None;
    }
    let open_end = element.find('>')? + 1;
    let close_start = element.rfind("</")?;
    (open_end <= close_start).then(|| range.start + open_end..range.start + close_start)
}

/// The range of the trimmed text inside an element and that text, when the element holds
/// nothing but text (no comment, CDATA section or entity reference whose raw form differs).
fn plain_value<'t>(text: &'t str, node: Node) -> Option<(Range<usize>, &'t str)> {
    let inner = inner_range(text, node)?;
    let raw = text.get(inner.clone())?;
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.contains(['<', '&']) {
        return None;
    }
    let lead = raw.len() - raw.trim_start().len();
    let start = inner.start + lead;
    Some((start..start + trimmed.len(), trimmed))
}

/// Whether `to` can be written into a `<version>` element as it is.
fn plain_version(to: &str) -> bool {
    !to.is_empty()
        && to
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+'))
}

/// The property a version names when it is exactly `${name}`.
fn sole_property(written: &str) -> Option<&str> {
    let name = written.trim().strip_prefix("${")?.strip_suffix('}')?;
    (!name.is_empty() && !name.contains(['$', '{', '}'])).then_some(name)
}

/// Where one matching dependency gets its version.
enum VersionSource<'a, 'input> {
    /// Its own `<version>` element, written as the string.
    Written(Node<'a, 'input>, String),
    /// The dependencyManagement entry at `file:line`.
    Managed(String),
}

/// Moves `name` (`group:artifact`, as the scanner names it) from `from` to `to` in the pom
/// `file` (relative to the repository root) whose text is `text`; see the module
/// documentation. `repository` holds the other poms of the repository as (path, text), so that
/// properties and dependencyManagement of parents resolve as in the scan, and a property that a
/// module inheriting this pom uses is found; it may be empty. Every matching dependency of the
/// pom moves (the same package in a profile, say).
pub fn edit_pom(
    file: &str,
    text: &str,
    repository: &[(String, String)],
    name: &str,
    from: &str,
    to: &str,
) -> Result<PomEdit, PomRefusal> {
    let pom = parse_pom(file, text)?;
    if !plain_version(to) {
        return Err(PomRefusal::BadVersion {
            file: file.into(),
            version: to.into(),
        });
    }
    let mut poms = BTreeMap::new();
    for (path, other) in repository {
        if path != file
            && let Ok(parsed) = parse_pom(path, other)
        {
            poms.insert(path.clone(), parsed);
        }
    }
    poms.insert(file.to_string(), pom.clone());
    let repo = Repository { poms };
    let effective = repo.effective(file, &mut BTreeSet::from([file.to_string()]));
    let doc = document(file, text)?;
    let root = doc.root_element();
    let index = LineIndex::new(text);
    let line_of = |offset: usize| index.line(offset);
    let nodes = dependency_nodes(root);
    let dependencies: Vec<&Dependency> = pom.dependencies.iter().chain(&pom.managed).collect();
    if nodes.len() != dependencies.len() {
        return Err(PomRefusal::Layout {
            file: file.into(),
            line: 1,
            reason: "the dependencies could not be matched with their elements".into(),
        });
    }

    let mut matches: Vec<(Node, VersionSource)> = Vec::new();
    let mut found = Vec::new();
    for ((node, managed_entry), dependency) in nodes.into_iter().zip(dependencies) {
        let key = effective.key_of(dependency);
        if format!("{}:{}", key.0, key.1) != name {
            continue;
        }
        let scope = dependency
            .scope
            .as_deref()
            .map(|s| effective.interpolate(s).unwrap_or_else(|_| s.to_string()));
        if managed_entry && key.2 == "pom" && scope.as_deref() == Some("import") {
            continue;
        }
        let (version, source) = match (&dependency.version, child(node, "version")) {
            (Some(written), Some(element)) => (
                effective.interpolate(written),
                VersionSource::Written(element, written.clone()),
            ),
            (None, _) if !managed_entry => match effective.managed.get(&key) {
                Some(entry) => (
                    entry.version.clone(),
                    VersionSource::Managed(entry.place.clone()),
                ),
                None => continue,
            },
            _ => continue,
        };
        match version {
            Ok(v) if v == from => matches.push((node, source)),
            Ok(v) => found.push(v),
            Err(reason) => {
                if let VersionSource::Written(element, written) = &source
                    && let Some(property) = sole_property(written)
                {
                    return Err(PomRefusal::PropertyUndefined {
                        file: file.into(),
                        line: line_of(element.range().start),
                        property: property.into(),
                        reason,
                    });
                }
                found.push(format!("unknown ({reason})"));
            }
        }
    }
    if matches.is_empty() {
        found.sort();
        found.dedup();
        return Err(PomRefusal::NotFound {
            file: file.into(),
            name: name.into(),
            version: from.into(),
            found,
        });
    }

    // The version elements that move (their text may name the edited property).
    let moving: Vec<Range<usize>> = matches
        .iter()
        .filter_map(|(_, source)| match source {
            VersionSource::Written(element, _) => Some(element.range()),
            VersionSource::Managed(_) => None,
        })
        .collect();
    let own_place = format!("{file}:");
    let mut edits: BTreeMap<usize, (Range<usize>, u32, String)> = BTreeMap::new();
    for (node, source) in &matches {
        let (element, written) = match source {
            VersionSource::Managed(place) if place.starts_with(&own_place) => continue,
            VersionSource::Managed(place) => {
                return Err(PomRefusal::ManagedElsewhere {
                    file: file.into(),
                    line: line_of(node.range().start),
                    name: name.into(),
                    place: place.clone(),
                });
            }
            VersionSource::Written(element, written) => (*element, written.as_str()),
        };
        let line = line_of(element.range().start);
        let layout = |reason: String| PomRefusal::Layout {
            file: file.into(),
            line,
            reason,
        };
        if !written.contains("${") {
            let Some((range, value)) = plain_value(text, element) else {
                return Err(layout(
                    "the <version> holds a comment, a CDATA section or an entity".into(),
                ));
            };
            if value != from {
                return Err(layout(format!(
                    "the <version> reads `{value}`, not `{from}`"
                )));
            }
            edits.insert(
                range.start,
                (range, line, format!("<version> of {name} (line {line})")),
            );
            continue;
        }
        let Some(property) = sole_property(written) else {
            return Err(layout(format!(
                "the version `{}` is built from several parts",
                written.trim()
            )));
        };
        let (range, property_line) = property_edit(
            file, text, root, &effective, &repo, property, name, from, line,
        )?;
        let mut users = property_users(text, root, property, &moving);
        users.extend(module_users(&repo, repository, file, property));
        if !users.is_empty() {
            return Err(PomRefusal::SharedProperty {
                file: file.into(),
                line: property_line,
                property: property.into(),
                name: name.into(),
                users,
            });
        }
        edits.insert(
            range.start,
            (
                range,
                property_line,
                format!("property `{property}` (line {property_line}), used only by {name}"),
            ),
        );
    }
    if edits.is_empty() {
        // Only dependencies following a managed entry of this pom matched: that entry is not
        // at `from`, so something is inconsistent.
        return Err(PomRefusal::NotFound {
            file: file.into(),
            name: name.into(),
            version: from.into(),
            found: Vec::new(),
        });
    }
    let edits: Vec<_> = edits.into_values().collect();
    Ok(PomEdit {
        text: splice(text, edits.iter().map(|(range, _, _)| (range.clone(), to))),
        lines: edits.iter().map(|(_, line, _)| *line).collect(),
        what: edits
            .iter()
            .map(|(_, _, description)| description.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Where the value of `property` (named by the `<version>` at `line`) is written in this pom,
/// with its line; or why it cannot be edited here.
#[allow(clippy::too_many_arguments)]
fn property_edit(
    file: &str,
    text: &str,
    root: Node,
    effective: &Effective,
    repo: &Repository,
    property: &str,
    name: &str,
    from: &str,
    line: u32,
) -> Result<(Range<usize>, u32), PomRefusal> {
    let index = LineIndex::new(text);
    let builtin = BUILTINS.iter().any(|(n, _)| *n == property);
    let project_version = || PomRefusal::ProjectVersion {
        file: file.into(),
        line,
        name: name.into(),
        property: property.into(),
    };
    if builtin && (property.starts_with("project.") || property.starts_with("pom.")) {
        return Err(project_version());
    }
    let definitions: Vec<Node> = child(root, "properties")
        .into_iter()
        .flat_map(|p| p.children())
        .filter(|n| n.has_tag_name_local(property))
        .collect();
    let definition = match definitions.as_slice() {
        [] if builtin => return Err(project_version()),
        [] => {
            let parent = effective.chain.iter().skip(1).find(|path| {
                repo.poms
                    .get(path.as_str())
                    .is_some_and(|p| p.properties.contains_key(property))
            });
            return Err(match parent {
                Some(parent) => PomRefusal::PropertyInParent {
                    file: file.into(),
                    line,
                    property: property.into(),
                    parent: parent.clone(),
                },
                None => PomRefusal::PropertyUndefined {
                    file: file.into(),
                    line,
                    property: property.into(),
                    reason: effective
                        .interpolate(&format!("${{{property}}}"))
                        .err()
                        .unwrap_or_else(|| "it is not set in this pom".into()),
                },
            });
        }
        [definition] => *definition,
        several => {
            return Err(PomRefusal::Layout {
                file: file.into(),
                line: index.line(several.last().map_or(0, |n| n.range().start)),
                reason: format!(
                    "the property `{property}` is set {} times in <properties>",
                    several.len()
                ),
            });
        }
    };
    let property_line = index.line(definition.range().start);
    let layout = |reason: String| PomRefusal::Layout {
        file: file.into(),
        line: property_line,
        reason,
    };
    let Some((range, value)) = plain_value(text, definition) else {
        return Err(layout(format!(
            "the property `{property}` is empty or holds a comment, a CDATA section or an entity"
        )));
    };
    if value.contains("${") {
        return Err(layout(format!(
            "the property `{property}` is itself `{value}`"
        )));
    }
    if value != from {
        return Err(layout(format!(
            "the property `{property}` reads `{value}`, not `{from}`"
        )));
    }
    // A profile that sets the property again wins when it is active.
    if let Some(profile) = child(root, "profiles")
        .into_iter()
        .flat_map(|p| p.children())
        .filter(|n| n.has_tag_name_local("profile"))
        .find(|p| {
            child(*p, "properties")
                .and_then(|ps| child(ps, property))
                .is_some()
        })
    {
        let id = child(profile, "id")
            .and_then(super::element_text)
            .unwrap_or_else(|| "default".into());
        return Err(layout(format!(
            "the property `{property}` is also set by profile `{id}` (line {})",
            index.line(profile.range().start)
        )));
    }
    Ok((range, property_line))
}

/// Whether `node` uses `reference` (`${property}`): in its text, or in one of its attributes.
fn uses(node: Node, reference: &str) -> bool {
    if node.is_text() {
        node.text().is_some_and(|t| t.contains(reference))
    } else if node.is_element() {
        node.attributes().any(|a| a.value().contains(reference))
    } else {
        false
    }
}

/// Every use of `${property}` in the text and attributes of the pom other than inside the
/// elements `moving`, described with its place: `dependency g:a (line N)`, `plugin g:a (line N)`,
/// `property other (line N)`, `<tag> (line N)`.
fn property_users(text: &str, root: Node, property: &str, moving: &[Range<usize>]) -> Vec<String> {
    let index = LineIndex::new(text);
    let reference = format!("${{{property}}}");
    let mut users = Vec::new();
    for node in root.descendants() {
        let at = node.range().start;
        if !uses(node, &reference) || moving.iter().any(|r| r.contains(&at)) {
            continue;
        }
        let line = index.line(at);
        let holder = if node.is_element() {
            Some(node)
        } else {
            node.parent_element()
        };
        let owner = node.ancestors().filter(Node::is_element).find(|n| {
            matches!(
                n.tag_name().name(),
                "dependency" | "plugin" | "extension" | "parent"
            )
        });
        let in_properties = holder
            .and_then(|h| h.parent_element())
            .is_some_and(|p| p.has_tag_name_local("properties"));
        let user = match (owner, holder) {
            (Some(owner), _) => {
                let part = |tag: &str| super::text_of(owner, tag).unwrap_or_else(|| "?".into());
                format!(
                    "{} {}:{} (line {line})",
                    owner.tag_name().name(),
                    part("groupId"),
                    part("artifactId")
                )
            }
            (None, Some(holder)) if in_properties => {
                format!("property `{}` (line {line})", holder.tag_name().name())
            }
            (None, Some(holder)) => format!("<{}> (line {line})", holder.tag_name().name()),
            (None, None) => format!("line {line}"),
        };
        if !users.contains(&user) {
            users.push(user);
        }
    }
    users
}

/// The uses of `${property}` in the other poms of the repository (`texts`: path and text) that
/// read it from `file`: those inheriting `file` (through parents in the repository) without
/// setting the property nearer, and those below `file`'s directory whose parent chain leaves
/// the repository (they may inherit it through a parent that is not there). Each is
/// `path: use`.
fn module_users(
    repo: &Repository,
    texts: &[(String, String)],
    file: &str,
    property: &str,
) -> Vec<String> {
    let dir = dir_of(file);
    let below = |path: &str| dir == "." || path.starts_with(&format!("{dir}/"));
    let sets = |p: &String| {
        repo.poms
            .get(p.as_str())
            .is_some_and(|p| p.properties.contains_key(property))
    };
    let mut texts: Vec<&(String, String)> = texts.iter().collect();
    texts.sort();
    let mut users = Vec::new();
    for (path, text) in texts {
        if path == file || !repo.poms.contains_key(path) {
            continue;
        }
        let effective = repo.effective(path, &mut BTreeSet::from([path.clone()]));
        let reads = match effective.chain.iter().position(|p| p == file) {
            Some(at) => !effective.chain.iter().take(at).any(sets),
            None => effective.broken.is_some() && below(path) && !effective.chain.iter().any(sets),
        };
        if !reads {
            continue;
        }
        let Ok(doc) = document(path, text) else {
            continue;
        };
        users.extend(
            property_users(text, doc.root_element(), property, &[])
                .into_iter()
                .map(|u| format!("{path}: {u}")),
        );
    }
    users
}

// ---------------------------------------------------------------------------------------------

/// Fingerprints of a pom read alone (parents are not looked up, so a version from a parent's
/// property stays unresolved on both sides): one per component, plus the text outside the
/// dependency versions.
fn fingerprints(file: &str, text: &str) -> Result<Vec<Fingerprint>, ParseError> {
    let pom = parse_pom(file, text)?;
    let repo = Repository {
        poms: BTreeMap::from([(file.to_string(), pom)]),
    };
    let (components, _) = repo.components(file);
    let mut prints: Vec<Fingerprint> = components
        .into_iter()
        .map(|c| {
            let content = format!(
                "{}|{:?}|{:?}|{:?}|{:?}|{:?}",
                c.direct, c.scope, c.source, c.requirement, c.unresolved, c.extra
            );
            (c.name, c.version.or(c.requirement), content)
        })
        .collect();
    prints.push((rest_of(file), None, masked_text(file, text)?));
    Ok(prints)
}

/// The pom's text with the dependency `<version>` texts blanked, and the values of the
/// properties that only those versions use: what must be byte for byte the same after an edit.
fn masked_text(file: &str, text: &str) -> Result<String, ParseError> {
    let doc = document(file, text)?;
    let root = doc.root_element();
    let versions: Vec<Range<usize>> = dependency_nodes(root)
        .into_iter()
        .filter_map(|(node, _)| child(node, "version"))
        .filter_map(|v| inner_range(text, v))
        .collect();
    let mut masks = versions.clone();
    for property in child(root, "properties")
        .into_iter()
        .flat_map(|p| p.children())
        .filter(Node::is_element)
    {
        let reference = format!("${{{}}}", property.tag_name().name());
        let mut inside = 0;
        let mut outside = 0;
        for node in root.descendants() {
            if !uses(node, &reference) {
                continue;
            }
            let at = node.range().start;
            if node.is_text() && versions.iter().any(|r| r.contains(&at)) {
                inside += 1;
            } else {
                outside += 1;
            }
        }
        if inside > 0
            && outside == 0
            && let Some(range) = inner_range(text, property)
        {
            masks.push(range);
        }
    }
    masks.sort_by_key(|r| r.start);
    Ok(mask(text, masks))
}

/// The entries that differ between `old` and `new`, two versions of the pom `file`, read with
/// the Maven parser (the pom alone; versions from parents stay unresolved on both sides): a
/// component whose version changed gives `{name, from, to}`, one added or removed has `from`
/// or `to` unset, one whose version stayed but whose scope, type or other fields changed gives
/// `from == to`. Any other difference of the text (outside dependency `<version>`s and the
/// properties only they use: plugins, other properties, comments, spacing) is reported under
/// [`rest_of`]`(file)` with no versions. The same package at several places of the pom is
/// reported once per place. Sorted; empty when nothing changed.
pub fn changed_entries(file: &str, old: &str, new: &str) -> Result<Vec<EntryChange>, ParseError> {
    changed_fingerprints(old, new, |text| fingerprints(file, text))
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
