//! Datasources: how each ecosystem's registry is asked about a package, and how its answer is
//! read. Pure: a datasource builds requests and parses bodies; fetching (with the HTTP client,
//! its cache and its retries) happens at the edge, in the caller.

use nanoup_core::{Ecosystem, Release};

/// One HTTP GET a datasource wants made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRequest {
    /// The URL to fetch.
    pub url: String,
    /// Extra headers (`Accept`, `Authorization`). Values of `Authorization` are secrets: never
    /// log them and never write them to a cache.
    pub headers: Vec<(String, String)>,
}

/// Why a registry answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError(pub String);

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegistryError {}

/// A registry of one ecosystem: where to ask about a package and how to read the answer.
pub trait Datasource: Send + Sync {
    /// The ecosystem whose packages this registry serves.
    fn ecosystem(&self) -> Ecosystem;

    /// The request that lists `name`'s releases (`name` as in the inventory).
    fn request(&self, name: &str) -> Result<RegistryRequest, RegistryError>;

    /// Reads the releases of `name` from the body the request returned. Must not panic on any
    /// input; a truncated or malformed body is an error naming what was expected.
    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<Release>, RegistryError>;

    /// The request about one release of `name` (`version` as the plan names it), for registries
    /// that answer per release with data the package-level answer lacks: PyPI's per-version
    /// JSON (`requires_dist`), a Docker image's manifest (the tag's digest). `None` (the
    /// default): the package-level answer of [`Datasource::request`] is all there is.
    fn release_request(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ReleaseRequest>, RegistryError> {
        let _ = (name, version);
        Ok(None)
    }

    /// A second request that completes an answer about release `version` of `name` (`body`)
    /// lacking what apply needs: PyPI's core metadata of a wheel when no JSON answer gives the
    /// release's dependencies. `None` (the default): the answer is complete.
    fn completion_request(
        &self,
        name: &str,
        version: &str,
        body: &[u8],
    ) -> Option<RegistryRequest> {
        let _ = (name, version, body);
        None
    }

    /// `body` completed with `answer`, the registry's answer to
    /// [`Datasource::completion_request`]; an error when `answer` cannot be read.
    fn complete(
        &self,
        version: &str,
        body: Vec<u8>,
        answer: &[u8],
    ) -> Result<Vec<u8>, RegistryError> {
        let _ = (version, answer);
        Ok(body)
    }
}

/// One GET about a single release, with what to do when the registry does not serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRequest {
    /// The GET to make.
    pub request: RegistryRequest,
    /// Whether the package-level answer ([`Datasource::request`]) may stand in when the
    /// registry answers this request with 404: true when that answer carries the same kind of
    /// data for some releases (PyPI's project JSON has every release's files and the newest
    /// release's `requires_dist`), false when a 404 means the release does not exist (a Docker
    /// tag without a manifest).
    pub package_answer_serves: bool,
}
