use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Component, Ecosystem, ParseError};

/// The schema tag of `nanoup scan --format json`; bumped only on incompatible changes.
pub const SCAN_SCHEMA: &str = "nanoup.scan/v1";

/// One set of dependencies installed together: a lockfile with its manifests, a requirements
/// file, a pom.xml, a go.mod or a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stack {
    /// The stack's directory relative to the scanned root, with `/` separators (`.` for the root).
    pub path: String,
    /// The ecosystem of every component in the stack.
    pub ecosystem: Ecosystem,
    /// The files read for this stack, relative to the stack's directory, sorted.
    pub files: Vec<String>,
    /// The components, one per distinct (name, version), sorted by name then version.
    pub components: Vec<Component>,
}

impl Stack {
    /// A stack of `ecosystem` in directory `path` built from the components its parser found,
    /// merged and sorted so that the same input always gives the same stack.
    ///
    /// Components with the same (name, version) merge into one: it is direct if any occurrence
    /// is, takes the most essential scope, and keeps the first place that declares it (by file,
    /// then line). This is the counting rule of a lockfile: distinct (name, version) pairs.
    pub fn new(
        path: impl Into<String>,
        ecosystem: Ecosystem,
        mut files: Vec<String>,
        components: impl IntoIterator<Item = Component>,
    ) -> Stack {
        files.sort();
        files.dedup();
        let mut merged: BTreeMap<(String, Option<String>), Component> = BTreeMap::new();
        for component in components {
            let key = (component.name.clone(), component.version.clone());
            match merged.get_mut(&key) {
                None => {
                    merged.insert(key, component);
                }
                Some(existing) => merge_into(existing, component),
            }
        }
        Stack {
            path: path.into(),
            ecosystem,
            files,
            components: merged.into_values().collect(),
        }
    }

    /// How many components are declared directly by the stack's manifests.
    pub fn direct_count(&self) -> usize {
        self.components.iter().filter(|c| c.direct).count()
    }

    /// How many components have no resolved version.
    pub fn unresolved_count(&self) -> usize {
        self.components
            .iter()
            .filter(|c| c.version.is_none())
            .count()
    }
}

fn merge_into(existing: &mut Component, other: Component) {
    use crate::component::Place;
    existing.direct |= other.direct;
    // The place named first is the most essential declaration (a production requirements file
    // before a docs one), then the first in file order; every other place is kept in `also`.
    let mut places: Vec<(crate::Scope, Place)> = vec![
        (
            existing.scope,
            Place {
                file: std::mem::take(&mut existing.file),
                line: existing.line,
            },
        ),
        (
            other.scope,
            Place {
                file: other.file.clone(),
                line: other.line,
            },
        ),
    ];
    places.extend(
        std::mem::take(&mut existing.also)
            .into_iter()
            .chain(other.also)
            .map(|p| (crate::Scope::Build, p)),
    );
    places.sort();
    let mut seen = std::collections::BTreeSet::new();
    places.retain(|(_, p)| seen.insert(p.clone()));
    let mut places = places.into_iter().map(|(_, p)| p);
    if let Some(first) = places.next() {
        existing.file = first.file;
        existing.line = first.line;
    }
    existing.also = places.collect();
    existing.also.sort();
    existing.scope = existing.scope.min(other.scope);
    if existing.requirement.is_none() {
        existing.requirement = other.requirement;
    }
    for (k, v) in other.extra {
        existing.extra.entry(k).or_insert(v);
    }
}

/// Everything `nanoup scan` found under one root: the stacks and the files it could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The schema tag, always [`SCAN_SCHEMA`].
    pub schema: String,
    /// The stacks, sorted by path then ecosystem.
    pub stacks: Vec<Stack>,
    /// Files that failed to parse, sorted by file then place.
    pub errors: Vec<ParseError>,
    /// Dependency files nanoup does not read (Gemfile.lock, composer.lock, Gradle builds...):
    /// their dependencies are not in the inventory, and the output says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<UnreadFile>,
}

/// A lockfile or build file nanoup does not read, with what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UnreadFile {
    /// The file, relative to the scanned root.
    pub file: String,
    /// What it is (`Ruby (Bundler) lockfile`, `Gradle build`, ...).
    pub kind: String,
}

impl std::fmt::Display for UnreadFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} not read by nanoup; its dependencies are not inventoried or audited",
            self.file, self.kind
        )
    }
}

impl Inventory {
    /// An inventory of `stacks` and `errors`, sorted so that output is deterministic.
    pub fn new(mut stacks: Vec<Stack>, mut errors: Vec<ParseError>) -> Inventory {
        stacks.sort_by(|a, b| {
            (&a.path, a.ecosystem, &a.files).cmp(&(&b.path, b.ecosystem, &b.files))
        });
        errors.sort();
        errors.dedup();
        Inventory {
            schema: SCAN_SCHEMA.to_string(),
            stacks,
            errors,
            unread: Vec::new(),
        }
    }

    /// Every component of every stack, with the stack it belongs to.
    pub fn components(&self) -> impl Iterator<Item = (&Stack, &Component)> {
        self.stacks
            .iter()
            .flat_map(|s| s.components.iter().map(move |c| (s, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scope;

    #[test]
    fn duplicates_merge_into_the_most_essential_first_declared_component() {
        let mut a = Component::new(Ecosystem::Npm, "ms", "2.1.2", "package-lock.json", 40);
        a.scope = Scope::Dev;
        let mut b = Component::new(Ecosystem::Npm, "ms", "2.1.2", "package-lock.json", 12);
        b.direct = true;
        let c = Component::new(Ecosystem::Npm, "ms", "2.0.0", "package-lock.json", 90);
        let stack = Stack::new(
            ".",
            Ecosystem::Npm,
            vec!["package-lock.json".into()],
            [a, b, c],
        );
        assert_eq!(stack.components.len(), 2);
        assert_eq!(stack.components[0].version.as_deref(), Some("2.0.0"));
        let merged = &stack.components[1];
        assert!(merged.direct);
        assert_eq!(merged.scope, Scope::Prod);
        assert_eq!(merged.line, 12);
    }
}
