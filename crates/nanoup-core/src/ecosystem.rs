use std::fmt;

use serde::{Deserialize, Serialize};

/// A family of packages that share one registry and one version scheme.
///
/// The serialised names are OSV's ecosystem names (`crates.io`, `npm`, `PyPI`, `Maven`, `Go`)
/// so that inventories and advisories meet without translation; container images, which OSV
/// has no ecosystem for, are `docker`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Rust crates from crates.io (or a replacement registry).
    #[serde(rename = "crates.io")]
    Cargo,
    /// JavaScript packages from the npm registry (npm, yarn and pnpm lockfiles).
    #[serde(rename = "npm")]
    Npm,
    /// Python distributions from PyPI.
    #[serde(rename = "PyPI")]
    PyPI,
    /// Java artifacts from Maven repositories.
    #[serde(rename = "Maven")]
    Maven,
    /// Go modules.
    #[serde(rename = "Go")]
    Go,
    /// Container base images named in Dockerfiles.
    #[serde(rename = "docker")]
    Docker,
}

impl Ecosystem {
    /// Every ecosystem nanoup knows, in a fixed order used for sorting output.
    pub const ALL: [Ecosystem; 6] = [
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Maven,
        Ecosystem::Go,
        Ecosystem::Docker,
    ];

    /// The OSV name of the ecosystem, as written in JSON output and advisories.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Maven => "Maven",
            Ecosystem::Go => "Go",
            Ecosystem::Docker => "docker",
        }
    }

    /// The package-URL type (`pkg:<type>/...`) for components of this ecosystem.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Maven => "maven",
            Ecosystem::Go => "golang",
            Ecosystem::Docker => "docker",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}
