use serde::{Deserialize, Serialize};

use crate::Ecosystem;

/// Commit trailer naming the update a commit applies (`Nanoup-Update: <id>`).
pub const UPDATE_TRAILER: &str = "Nanoup-Update";
/// Commit trailer naming the package step (`Nanoup-Package: pkg:cargo/smallvec@1.4.0 -> 1.6.1`).
pub const PACKAGE_TRAILER: &str = "Nanoup-Package";
/// Commit trailer naming the advisories or `drift` behind an update.
pub const REASON_TRAILER: &str = "Nanoup-Reason";
/// Commit trailer giving the number of lockfile entries an update changed.
pub const BLAST_RADIUS_TRAILER: &str = "Nanoup-Blast-Radius";
/// Commit trailer naming the update a commit rolls back.
pub const ROLLBACK_TRAILER: &str = "Nanoup-Rollback";

/// The schema tag of `nanoup plan --format json`.
pub const PLAN_SCHEMA: &str = "nanoup.plan/v1";

/// How big a version step is. For `0.x` versions a minor step counts as major (SemVer's rule
/// that anything may break before 1.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateKind {
    /// Same major and minor.
    Patch,
    /// Same major.
    Minor,
    /// A new major (or a new minor of a 0.x version).
    Major,
}

impl UpdateKind {
    /// The size of the step from `from` to `to`, read from their leading numbers (so it works
    /// for every scheme's usual spellings: `v1.2.3`, `2.0.0.RELEASE`, `1!2.0`): a different
    /// first number is major, and for `0.x` a different second number is major too.
    pub fn between(from: &str, to: &str) -> UpdateKind {
        let (a, b) = (leading_numbers(from), leading_numbers(to));
        let major = |n: &[u64]| {
            let first = n.first().copied().unwrap_or(0);
            if first > 0 {
                (first, 0)
            } else {
                (0, n.get(1).copied().unwrap_or(0))
            }
        };
        if major(&a) != major(&b) {
            UpdateKind::Major
        } else if a.get(1) != b.get(1) {
            UpdateKind::Minor
        } else {
            UpdateKind::Patch
        }
    }

    /// The lowercase name used in output and policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateKind::Patch => "patch",
            UpdateKind::Minor => "minor",
            UpdateKind::Major => "major",
        }
    }
}

/// The first three dot-separated numbers of a version (epoch and `v` prefix dropped).
fn leading_numbers(version: &str) -> Vec<u64> {
    let version = version.rsplit_once('!').map_or(version, |(_, v)| v);
    version
        .trim_start_matches(['v', 'V'])
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|n| n.parse().unwrap_or(0))
        .collect()
}

/// What an update's `to` (and an entry change's missing `to`) reads as when the entry left the
/// lockfile: a fix by removal (the parents that needed it no longer do).
pub const REMOVED: &str = "(removed)";

/// One lockfile entry an update changes: the blast radius is the list of these.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryChange {
    /// Package name.
    pub name: String,
    /// Version before (`None` when the entry is added).
    pub from: Option<String>,
    /// Version after (`None` when the entry is removed).
    pub to: Option<String>,
    /// Where in the file, when one package has several places that count apart (an npm
    /// lockfile's install location, `node_modules/a/node_modules/b`): the blast radius then
    /// counts places, not names. `None` for files with one entry per name and version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl NanoUpdate {
    /// The update moving its package to `to` instead: id and kind follow (a search found
    /// another version than the lowest clean one).
    pub fn retargeted(self, to: String) -> NanoUpdate {
        NanoUpdate {
            id: NanoUpdate::id_for(&self.stack, self.ecosystem, &self.name, &self.from, &to),
            kind: UpdateKind::between(&self.from, &to),
            to,
            ..self
        }
    }
}

impl EntryChange {
    /// `changes` as steps (name, from, to), each once, sorted, whatever their places: what a
    /// plan names, to compare with the places an edit measured.
    pub fn steps(changes: &[EntryChange]) -> Vec<EntryChange> {
        let mut steps: Vec<EntryChange> = changes
            .iter()
            .map(|c| EntryChange {
                path: None,
                ..c.clone()
            })
            .collect();
        steps.sort();
        steps.dedup();
        steps
    }

    /// The entries that differ between two lockfiles given as (name, version) lists: per name,
    /// versions only in `old` pair with versions only in `new` in version-text order
    /// (`from -> to`), the rest are removals (`to: None`) or additions (`from: None`). This is
    /// the blast-radius check: after an edit it must equal what the plan named.
    pub fn diff(old: &[(String, String)], new: &[(String, String)]) -> Vec<EntryChange> {
        use std::collections::BTreeMap;
        let mut counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for (n, v) in old {
            *counts.entry((n, v)).or_default() -= 1;
        }
        for (n, v) in new {
            *counts.entry((n, v)).or_default() += 1;
        }
        let mut per_name: BTreeMap<&str, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
        for ((n, v), c) in counts {
            let (gone, added) = per_name.entry(n).or_default();
            for _ in 0..c.unsigned_abs() {
                if c < 0 { gone.push(v) } else { added.push(v) }
            }
        }
        let mut out = Vec::new();
        for (name, (gone, added)) in per_name {
            let longest = gone.len().max(added.len());
            for i in 0..longest {
                out.push(EntryChange {
                    name: name.to_string(),
                    from: gone.get(i).map(|v| v.to_string()),
                    to: added.get(i).map(|v| v.to_string()),
                    path: None,
                });
            }
        }
        out
    }
}

/// A file the plan read, with its SHA-256, so that apply can refuse when it changed since.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FileDigest {
    /// The file, relative to the planned root.
    pub path: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub sha256: String,
}

impl FileDigest {
    /// The digest of `bytes`, the content of `path`.
    pub fn of(path: impl Into<String>, bytes: &[u8]) -> FileDigest {
        use sha2::{Digest, Sha256};
        FileDigest {
            path: path.into(),
            sha256: Sha256::digest(bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        }
    }
}

/// One nano update: one component of one stack, one version step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NanoUpdate {
    /// Short stable hash of (stack, ecosystem, name, from, to).
    pub id: String,
    /// The stack's path.
    pub stack: String,
    /// The component's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name.
    pub name: String,
    /// The current version.
    pub from: String,
    /// The version to move to.
    pub to: String,
    /// Patch, minor or major.
    pub kind: UpdateKind,
    /// Advisory ids the step fixes, or `drift`.
    pub reasons: Vec<String>,
    /// The manifest's requirement must change too (the target lies outside it).
    pub manifest_change: bool,
    /// The lockfile entries the update will change (normally exactly one).
    pub blast_radius: Vec<EntryChange>,
    /// The lockfile holding the entry, relative to the planned root.
    pub file: String,
    /// Every entry the update moves and why, in the order they are made, when the update is more
    /// than its target (a parent bump, companions the new release needs): the minimal consistent
    /// change. Empty for a single-entry update.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    /// The commands that make the update, when the planner worked them out (Cargo); empty means
    /// the one step `from -> to` of `name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<Pin>,
    /// Other files of the stack that pin the package at `from` too (a requirements file that
    /// another one includes, a second constraints file): apply moves the pin in each, every
    /// one checked like `file`, and they are committed and rolled back together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
}

/// Why an entry moves within an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepRole {
    /// The vulnerable (or drifting) component the update is for.
    Target,
    /// A dependent of the target (or of another parent) that must move to a release whose
    /// requirement accepts the target's new version.
    Parent,
    /// An entry the resolution moves, adds or removes because the new releases need it.
    Companion,
}

impl StepRole {
    /// The lowercase name used in output (`target`, `parent`, `companion`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepRole::Target => "target",
            StepRole::Parent => "parent",
            StepRole::Companion => "companion",
        }
    }
}

/// One entry an update moves: its role, why, and how apply makes the move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Package name.
    pub name: String,
    /// Version before (`None`: the entry is added).
    pub from: Option<String>,
    /// Version after (`None`: the entry is removed).
    pub to: Option<String>,
    /// Target, parent or companion.
    pub role: StepRole,
    /// Why the entry moves (`RUSTSEC-...`, `url 2.1.0 requires idna ^0.2`, ...).
    pub why: String,
    /// The workspace's manifests change for this entry (their requirement excluded `to`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manifest: bool,
    /// Where the step is made when it is not "every copy of `name@from` moves" (npm: an entry
    /// added, or one copy replaced in place while the other copies stay): the first install
    /// location, as the planner's edit placed it (apply places it the same way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// One command apply runs to make an update, in order: pin the entry NAME@AT to TO (Cargo:
/// `cargo update -p NAME@AT --precise TO`), after setting the manifests' requirement on NAME
/// to TO when `manifest` is set. Recorded by the planner, which ran the same commands on a copy
/// of the stack, so that apply reproduces exactly the blast radius the plan measured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Package name.
    pub name: String,
    /// The version the entry has when the command runs.
    pub at: String,
    /// The version it is pinned to.
    pub to: String,
    /// Set the manifests' requirement on the package to `to` first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manifest: bool,
}

impl NanoUpdate {
    /// Whether the update moves a parent with its target (a `group` update).
    pub fn is_group(&self) -> bool {
        self.steps.iter().any(|s| s.role == StepRole::Parent)
    }

    /// The update's id: the first 12 hex digits of the SHA-256 of its stack, ecosystem, name,
    /// from and to. Stable across runs and machines, so `apply --id` and `rollback` can name it.
    pub fn id_for(stack: &str, ecosystem: Ecosystem, name: &str, from: &str, to: &str) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        for part in [stack, ecosystem.osv_name(), name, from, to] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A vulnerable component no release fixes (or none that policy allows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfixable {
    /// The stack's path.
    pub stack: String,
    /// The component's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name.
    pub name: String,
    /// The current version.
    pub version: String,
    /// The advisories left unfixed.
    pub advisories: Vec<String>,
    /// Why no update is proposed.
    pub reason: String,
}

/// The result of `nanoup plan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Always [`PLAN_SCHEMA`].
    pub schema: String,
    /// The updates, in the order they should be applied.
    pub updates: Vec<NanoUpdate>,
    /// Vulnerable components without an allowed fixing release.
    pub unfixable: Vec<Unfixable>,
    /// Every file the plan read, with its digest.
    pub files: Vec<FileDigest>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_sizes() {
        assert_eq!(UpdateKind::between("1.4.0", "1.4.2"), UpdateKind::Patch);
        assert_eq!(UpdateKind::between("1.4.0", "1.6.1"), UpdateKind::Minor);
        assert_eq!(UpdateKind::between("1.4.0", "2.0.0"), UpdateKind::Major);
        assert_eq!(UpdateKind::between("0.6.3", "0.6.14"), UpdateKind::Patch);
        assert_eq!(UpdateKind::between("0.6.3", "0.7.0"), UpdateKind::Major);
        assert_eq!(UpdateKind::between("v1.2.3", "v1.3.0"), UpdateKind::Minor);
        assert_eq!(UpdateKind::between("2.12.1", "2.17.0"), UpdateKind::Minor);
        assert_eq!(UpdateKind::between("1!1.0", "1!2.0"), UpdateKind::Major);
    }

    #[test]
    fn entry_diffs_pair_removed_and_added_versions() {
        let p = |n: &str, v: &str| (n.to_string(), v.to_string());
        let old = [
            p("a", "1.0.0"),
            p("b", "2.0.0"),
            p("c", "1.0.0"),
            p("c", "1.0.0"),
        ];
        let new = [
            p("a", "1.0.1"),
            p("b", "2.0.0"),
            p("c", "1.0.0"),
            p("d", "0.1.0"),
        ];
        let change = |n: &str, f: Option<&str>, t: Option<&str>| EntryChange {
            name: n.into(),
            from: f.map(Into::into),
            to: t.map(Into::into),
            path: None,
        };
        assert_eq!(
            EntryChange::diff(&old, &new),
            [
                change("a", Some("1.0.0"), Some("1.0.1")),
                change("c", Some("1.0.0"), None),
                change("d", None, Some("0.1.0")),
            ]
        );
        assert!(EntryChange::diff(&old, &old).is_empty());
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = NanoUpdate::id_for(".", Ecosystem::Cargo, "smallvec", "1.4.0", "1.6.1");
        assert_eq!(a.len(), 12);
        assert_eq!(
            a,
            NanoUpdate::id_for(".", Ecosystem::Cargo, "smallvec", "1.4.0", "1.6.1")
        );
        assert_ne!(
            a,
            NanoUpdate::id_for(".", Ecosystem::Cargo, "smallvec", "1.4.0", "1.6.2")
        );
        assert_ne!(
            a,
            NanoUpdate::id_for("x", Ecosystem::Cargo, "smallvec", "1.4.0", "1.6.1")
        );
    }
}
