use serde::{Deserialize, Serialize};

use crate::Ecosystem;

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

/// One lockfile entry an update changes: the blast radius is the list of these.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EntryChange {
    /// Package name.
    pub name: String,
    /// Version before (`None` when the entry is added).
    pub from: Option<String>,
    /// Version after (`None` when the entry is removed).
    pub to: Option<String>,
}

/// A file the plan read, with its SHA-256, so that apply can refuse when it changed since.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FileDigest {
    /// The file, relative to the planned root.
    pub path: String,
    /// Lowercase hex SHA-256 of its bytes.
    pub sha256: String,
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
