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

    /// When [`Datasource::completion_request`] is not served: a file of release `version` that
    /// holds the same answer (PyPI: a wheel, whose `*.dist-info/METADATA` is the core metadata,
    /// or an sdist's `PKG-INFO`). `None` (the default): nothing else to read.
    fn completion_file(&self, name: &str, version: &str, body: &[u8]) -> Option<CompletionFile> {
        let _ = (name, version, body);
        None
    }

    /// Reads the answer [`Datasource::complete`] takes from the parts of the
    /// [`Datasource::completion_file`] fetched so far, or says which bytes it needs next. An
    /// error when the file cannot give it (not an archive, no metadata in it).
    fn complete_from_file(
        &self,
        file: &CompletionFile,
        parts: &FileParts,
    ) -> Result<FileRead, RegistryError> {
        let _ = (file, parts);
        Err(RegistryError("this registry has no completion file".into()))
    }
}

/// A file of a release to read a completion from, when the registry does not serve
/// [`Datasource::completion_request`] (404): a wheel, read in parts with HTTP range requests
/// (its end first), or a file fetched whole (an sdist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionFile {
    /// The GET of the file (without a `Range` header: the caller adds it).
    pub request: RegistryRequest,
    /// `Some(n)`: ask for the last `n` bytes first (`Range: bytes=-n`), then for what
    /// [`Datasource::complete_from_file`] says it needs; `None`: fetch the whole file.
    pub tail: Option<u64>,
}

/// The parts of a [`CompletionFile`] fetched so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileParts {
    /// The answer to the first request: the file's last bytes (at most the `tail` asked for;
    /// fewer, or more when the server ignored the range, means the whole file), or the whole
    /// file when no tail was asked for.
    pub first: Vec<u8>,
    /// The tail asked for first, `None` when the whole file was asked for.
    pub tail_asked: Option<u64>,
    /// Further ranges asked for, as (offset in the file, bytes).
    pub ranges: Vec<(u64, Vec<u8>)>,
}

/// What [`Datasource::complete_from_file`] made of the parts it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRead {
    /// The completion (the same kind of answer as [`Datasource::completion_request`]'s).
    Done(Vec<u8>),
    /// The bytes `start..end` of the file are needed next.
    Need {
        /// First byte needed.
        start: u64,
        /// One past the last byte needed.
        end: u64,
    },
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
