use serde::{Deserialize, Serialize};

use crate::Ecosystem;

/// Why a component is in the stack at run time, from most to least essential.
///
/// When the same component is reached in several ways, the most essential scope wins
/// (`Scope::Prod < Scope::Optional < Scope::Dev < Scope::Build` in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Shipped and used at run time.
    Prod,
    /// Installed when available, tolerated when missing (npm optionalDependencies, Cargo optional).
    Optional,
    /// Needed only to develop or test (devDependencies, Maven `test`, Pipfile `develop`).
    Dev,
    /// Needed only to build (Cargo build-dependencies, Maven `provided`, Docker build stages).
    Build,
}

impl Scope {
    /// The lowercase name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Prod => "prod",
            Scope::Optional => "optional",
            Scope::Dev => "dev",
            Scope::Build => "build",
        }
    }
}

/// Where a component's code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A package registry (crates.io, npm, PyPI, Maven Central, the Go proxy, a container registry).
    Registry,
    /// A git repository at some revision.
    Git,
    /// A directory on disk (path dependency, `file:` link, replace to a local module).
    Path,
    /// A direct URL to an archive.
    Url,
}

impl Source {
    /// The lowercase name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Registry => "registry",
            Source::Git => "git",
            Source::Path => "path",
            Source::Url => "url",
        }
    }
}

/// One package at one version, as declared by one stack.
///
/// A component is the unit nanoup audits and updates. Its `file` and `line` point at the
/// lockfile (or manifest) entry that declares it, so that findings and edits can name the place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// The OSV ecosystem of the package.
    pub ecosystem: Ecosystem,
    /// The package name in its ecosystem's canonical form (PEP 503 for PyPI,
    /// `group:artifact` for Maven, module path for Go, image repository for Docker).
    pub name: String,
    /// The resolved version; `None` when the stack does not pin one (see `unresolved`).
    pub version: Option<String>,
    /// The package URL (purl) identifying this component; without a version when unresolved.
    pub purl: String,
    /// Declared by the stack's own manifest rather than pulled in by another component.
    pub direct: bool,
    /// The most essential way the stack uses the component.
    pub scope: Scope,
    /// Where the component's code comes from.
    pub source: Source,
    /// The file that declares the component, relative to the scanned root, with `/` separators.
    pub file: String,
    /// The 1-based line of that declaration.
    pub line: u32,
    /// The manifest's requirement (range or specifier), when the manifest states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    /// Why no exact version could be determined, when `version` is `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved: Option<String>,
    /// Ecosystem-specific facts worth keeping (image digest, platform, git revision, go.mod replace...).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub extra: std::collections::BTreeMap<String, String>,
    /// The other places of the stack that declare the same package at the same version (another
    /// requirements file, another Dockerfile, another path of an npm tree), sorted; `file` and
    /// `line` are the most essential one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Place>,
}

/// A place in a file: `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    /// The file, relative to the scanned root.
    pub file: String,
    /// The 1-based line.
    pub line: u32,
}

impl Component {
    /// A registry component with a resolved version, not direct, in prod scope; the purl is
    /// derived from ecosystem, name and version. Callers adjust the remaining fields.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        file: impl Into<String>,
        line: u32,
    ) -> Component {
        let name = name.into();
        let version = version.into();
        let purl = crate::purl_for(ecosystem, &name, Some(&version));
        Component {
            ecosystem,
            name,
            version: Some(version),
            purl,
            direct: false,
            scope: Scope::Prod,
            source: Source::Registry,
            file: file.into(),
            line,
            requirement: None,
            unresolved: None,
            extra: Default::default(),
            also: Vec::new(),
        }
    }

    /// A component whose version the stack does not pin: `requirement` is what the manifest says
    /// and `reason` why that is not a version.
    pub fn unresolved(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        requirement: Option<String>,
        reason: impl Into<String>,
        file: impl Into<String>,
        line: u32,
    ) -> Component {
        let name = name.into();
        let purl = crate::purl_for(ecosystem, &name, None);
        Component {
            ecosystem,
            name,
            version: None,
            purl,
            direct: true,
            scope: Scope::Prod,
            source: Source::Registry,
            file: file.into(),
            line,
            requirement,
            unresolved: Some(reason.into()),
            extra: Default::default(),
            also: Vec::new(),
        }
    }

    /// The key under which lockfile entries are counted and merged: (name, version).
    pub fn key(&self) -> (&str, Option<&str>) {
        (&self.name, self.version.as_deref())
    }
}
