use serde::{Deserialize, Serialize};

/// One published release of a package, as its registry describes it.
///
/// Datasources (one per ecosystem) turn registry responses into these; drift and planning
/// decide from them alone, so they can be tested with recorded responses and no network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// The version exactly as the registry spells it.
    pub version: String,
    /// RFC 3339 UTC publication time, when the registry tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Yanked (crates.io, PyPI) or otherwise withdrawn by its publisher: never proposed.
    #[serde(default)]
    pub yanked: bool,
    /// A deprecation message (npm `deprecated`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// PyPI: the Pythons the release runs on (`Requires-Python` of its files, when they agree),
    /// which planning matches against the Pythons a lockfile is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
}
