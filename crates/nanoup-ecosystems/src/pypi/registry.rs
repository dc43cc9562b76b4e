//! The PyPI datasource: which releases a project has, when each was uploaded, whether it is
//! yanked, and the files (with their sha256) that make it up.
//!
//! Two APIs are spoken:
//!
//! - **The JSON API**, `<base>/pypi/<normalized-name>/json` (default base `https://pypi.org`).
//!   Its `releases` map gives every version with its files; it is PyPI's own (warehouse) API
//!   and other indexes (devpi, Artifactory, a plain directory) generally do not serve it.
//! - **The simple API in JSON form** (PEP 691, asked for with
//!   `Accept: application/vnd.pypi.simple.v1+json`), `<index>/<normalized-name>/`, whose
//!   `files` carry `upload-time` and `yanked` (PEP 700) and whose `versions` list (PEP 700)
//!   names every version. It is what any PEP 691 index serves, so it is used whenever the
//!   configured index is not pypi.org.
//!
//! [`PypiRegistry::from_env`] picks one from `NANOUP_PYPI_JSON_API` (a JSON API at another
//! base), else `PIP_INDEX_URL` (then `UV_DEFAULT_INDEX`, then `UV_INDEX_URL`);
//! [`PypiRegistry::parse`] recognises which kind of body it was given, so a cached answer of
//! either kind can be read back.
//!
//! For one release (what `apply` needs), the JSON API's per-version answer
//! `<base>/pypi/<name>/<version>/json` ([`Datasource::release_request`]) has the release's files
//! (`urls`) and its metadata (`info.requires_dist`, [`release_metadata`]); [`parse_files`] reads
//! it too.
//!
//! What a release is made of:
//! - `published` is the earliest upload time among its files (a release is "out" once its
//!   first file is);
//! - `yanked` is true when every one of its files is yanked (PEP 592: a release is yanked as a
//!   whole; a partly yanked release still has installable files);
//! - a version with no files at all (PyPI keeps such versions when every file was deleted) is
//!   **skipped**: nothing could be installed from it, so it is no update candidate.
//!
//! `PIP_EXTRA_INDEX_URL` is **not** consulted: pip merges every index and takes the best
//! version among them, which one request cannot express (and is how dependency confusion
//! happens). Only the primary index is asked.

use std::collections::{BTreeMap, BTreeSet};

use nanoup_core::{Ecosystem, Release, normalize_pypi_name};
use serde::Deserialize;
use serde_json::Value;

use crate::base64;
use crate::datasource::{
    CompletionFile, Datasource, FileParts, FileRead, RegistryError, RegistryRequest, ReleaseRequest,
};

/// The default base URL of the JSON API.
pub const PYPI_BASE: &str = "https://pypi.org";

/// The `Accept` header asking a simple index for its PEP 691 JSON form.
pub const SIMPLE_JSON_ACCEPT: &str = "application/vnd.pypi.simple.v1+json";

/// The environment variables naming the index, in the order they are consulted.
pub const INDEX_URL_VARS: [&str; 3] = ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"];

/// The environment variable naming the base URL of a warehouse-compatible JSON API (a mirror
/// serving `<base>/pypi/<name>/json` and `<base>/pypi/<name>/<version>/json`, or a local replay
/// server). When set it wins over [`INDEX_URL_VARS`].
pub const JSON_API_VAR: &str = "NANOUP_PYPI_JSON_API";

/// Which of PyPI's APIs a [`PypiRegistry`] asks. Its URLs never hold credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PypiApi {
    /// The warehouse JSON API at `base` (`<base>/pypi/<name>/json`).
    Json {
        /// Scheme and host (and any path prefix), without a trailing `/`.
        base: String,
    },
    /// A PEP 691 simple index (`<index>/<name>/`).
    Simple {
        /// The index URL without credentials and without a trailing `/`.
        index: String,
    },
}

/// The PyPI datasource. Its `Debug` output never shows the credentials it holds.
#[derive(Clone, PartialEq, Eq)]
pub struct PypiRegistry {
    api: PypiApi,
    /// `Authorization` header value built from credentials found in the index URL.
    authorization: Option<String>,
}

impl std::fmt::Debug for PypiRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PypiRegistry")
            .field("api", &self.api)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for PypiRegistry {
    fn default() -> PypiRegistry {
        PypiRegistry::json_api(PYPI_BASE)
    }
}

impl PypiRegistry {
    /// The JSON API at `base` (e.g. `https://pypi.org`, or a local replay server). Credentials
    /// in the URL become a Basic `Authorization` header.
    pub fn json_api(base: &str) -> PypiRegistry {
        let (url, authorization) = split_credentials(base.trim());
        PypiRegistry {
            api: PypiApi::Json {
                base: url.trim_end_matches('/').to_string(),
            },
            authorization,
        }
    }

    /// The PEP 691 simple index at `index` (e.g. `https://pypi.example.com/simple/`).
    /// Credentials in the URL (`https://user:pass@host/simple/`) are removed from it and sent
    /// as a Basic `Authorization` header instead.
    pub fn simple_api(index: &str) -> PypiRegistry {
        let (url, authorization) = split_credentials(index.trim());
        PypiRegistry {
            api: PypiApi::Simple {
                index: url.trim_end_matches('/').to_string(),
            },
            authorization,
        }
    }

    /// The registry the environment configures, read through `get` (the process environment
    /// in production, a map in tests): [`JSON_API_VAR`] when set (the JSON API at that base),
    /// else the first non-empty one of [`INDEX_URL_VARS`]. No index configured, or pypi.org /
    /// test.pypi.org's simple index, gives the JSON API of that host; any other index gives its
    /// simple API.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> PypiRegistry {
        if let Some(base) = get(JSON_API_VAR).filter(|b| !b.trim().is_empty()) {
            return PypiRegistry::json_api(&base);
        }
        let configured = INDEX_URL_VARS
            .iter()
            .filter_map(|var| get(var))
            .map(|v| v.trim().to_string())
            .find(|v| !v.is_empty());
        let Some(index) = configured else {
            return PypiRegistry::default();
        };
        let (url, authorization) = split_credentials(&index);
        let lower = url.to_ascii_lowercase();
        let without_scheme = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .unwrap_or(&lower)
            .trim_end_matches('/');
        for host in ["pypi.org", "test.pypi.org"] {
            if without_scheme == host || without_scheme == format!("{host}/simple") {
                return PypiRegistry {
                    api: PypiApi::Json {
                        base: format!("https://{host}"),
                    },
                    authorization,
                };
            }
        }
        PypiRegistry {
            api: PypiApi::Simple {
                index: url.trim_end_matches('/').to_string(),
            },
            authorization,
        }
    }

    /// Which API this registry asks.
    pub fn api(&self) -> &PypiApi {
        &self.api
    }

    /// True when requests carry an `Authorization` header (credentials were configured).
    pub fn has_credentials(&self) -> bool {
        self.authorization.is_some()
    }
}

impl Datasource for PypiRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::PyPI
    }

    fn request(&self, name: &str) -> Result<RegistryRequest, RegistryError> {
        let normalized = normalize_pypi_name(name.trim());
        if normalized.is_empty()
            || !normalized
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(RegistryError(format!(
                "`{name}` is not a valid Python project name (expected letters, digits, `-`, `_` and `.`)"
            )));
        }
        let mut headers = Vec::new();
        let url = match &self.api {
            PypiApi::Json { base } => {
                headers.push(("Accept".to_string(), "application/json".to_string()));
                format!("{base}/pypi/{normalized}/json")
            }
            PypiApi::Simple { index } => {
                headers.push(("Accept".to_string(), SIMPLE_JSON_ACCEPT.to_string()));
                format!("{index}/{normalized}/")
            }
        };
        if let Some(authorization) = &self.authorization {
            headers.push(("Authorization".to_string(), authorization.clone()));
        }
        Ok(RegistryRequest { url, headers })
    }

    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<Release>, RegistryError> {
        let place = match self.request(name) {
            Ok(request) => without_credentials(&request.url),
            Err(_) => format!("the index's answer for `{name}`"),
        };
        let files = parse_files(body).map_err(|e| RegistryError(format!("{place}: {}", e.0)))?;
        Ok(releases_of(&files))
    }

    /// The JSON API's per-version answer, `<base>/pypi/<name>/<version>/json`: the release's
    /// files (`urls`) and its metadata (`info.requires_dist`, see [`release_metadata`]). A
    /// registry that does not serve it (404) is answered by the project JSON instead, which
    /// has every release's files and the newest release's metadata. A PEP 691 simple index has
    /// no per-version answer: `None`.
    fn release_request(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ReleaseRequest>, RegistryError> {
        if !matches!(self.api, PypiApi::Json { .. }) {
            return Ok(None);
        }
        let version = version.trim();
        if version.is_empty()
            || !version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '!' | '+' | '-' | '_'))
        {
            return Err(RegistryError(format!(
                "`{version}` is not a valid version of `{name}` (expected PEP 440 characters: \
                 letters, digits, `.`, `!`, `+`, `-`, `_`)"
            )));
        }
        let mut request = self.request(name)?;
        let project = request
            .url
            .strip_suffix("/json")
            .unwrap_or(&request.url)
            .to_string();
        request.url = format!("{project}/{version}/json");
        Ok(Some(ReleaseRequest {
            request,
            package_answer_serves: true,
        }))
    }

    /// When `body` does not say what release `version` depends on (a project answer about a
    /// newer release, a PEP 691 simple index): the core metadata of one of its wheels (PEP
    /// 658/714, `<wheel url>.metadata`), the file uv and pip read instead of the wheel.
    fn completion_request(
        &self,
        name: &str,
        version: &str,
        body: &[u8],
    ) -> Option<RegistryRequest> {
        if release_metadata(body, version).is_some() {
            return None;
        }
        let base = self.request(name).ok()?.url;
        let url = core_metadata_url(body, version, &base)?;
        // The file host is another host than the index: the index's credentials stay home.
        Some(RegistryRequest {
            url,
            headers: Vec::new(),
        })
    }

    fn complete(
        &self,
        version: &str,
        body: Vec<u8>,
        answer: &[u8],
    ) -> Result<Vec<u8>, RegistryError> {
        let metadata = parse_core_metadata(answer)?;
        with_release_info(&body, version, &metadata)
    }

    /// The wheel whose `.metadata` the file host does not serve, read in parts; or, for a
    /// release without wheels, its sdist, fetched whole when not larger than
    /// [`MAX_SDIST_BYTES`] (see [`super::dist_file`]).
    fn completion_file(&self, name: &str, version: &str, body: &[u8]) -> Option<CompletionFile> {
        if release_metadata(body, version).is_some() {
            return None;
        }
        let base = self.request(name).ok()?.url;
        let (file, url) = metadata_file(body, version, &base)?;
        let tail = if file.filename.ends_with(".whl") {
            Some(super::dist_file::WHEEL_TAIL)
        } else if file.size.is_none_or(|size| size <= MAX_SDIST_BYTES) {
            None
        } else {
            return None;
        };
        Some(CompletionFile {
            request: RegistryRequest {
                url,
                headers: Vec::new(),
            },
            tail,
        })
    }

    fn complete_from_file(
        &self,
        file: &CompletionFile,
        parts: &FileParts,
    ) -> Result<FileRead, RegistryError> {
        if file.request.url.ends_with(".whl") {
            super::dist_file::wheel_metadata(parts)
        } else if parts.tail_asked.is_none() {
            super::dist_file::sdist_metadata(&parts.first).map(FileRead::Done)
        } else {
            Err(RegistryError("an sdist is read whole, not in parts".into()))
        }
    }
}

/// The largest sdist fetched whole for its `PKG-INFO`.
pub const MAX_SDIST_BYTES: u64 = 20 * 1024 * 1024;

/// The URL of the core metadata (PEP 658/714) of a wheel of release `version` listed in
/// `body` (a JSON API or PEP 691 answer, fetched from `base`, against which a relative file URL
/// is resolved, as a mirror writes them): a pure-Python wheel's first, else any wheel's; `None`
/// when the release has no wheel with a usable URL.
pub fn core_metadata_url(body: &[u8], version: &str, base: &str) -> Option<String> {
    let (_, url) = metadata_file(body, version, base)?;
    url.ends_with(".whl").then(|| format!("{url}.metadata"))
}

/// The file of release `version` (listed in `body`, fetched from `base`) whose core metadata
/// stands for the release's: a pure-Python wheel, else any wheel, else a `.tar.gz` sdist; with
/// its absolute URL (without fragment).
fn metadata_file(body: &[u8], version: &str, base: &str) -> Option<(DistFile, String)> {
    use nanoup_versions::{Scheme, Version};
    let releases = parse_files(body).ok()?;
    let wanted = Version::parse(Scheme::Pep440, version).ok();
    let files = releases.get(version).or_else(|| {
        releases
            .iter()
            .find(|(k, _)| {
                wanted
                    .as_ref()
                    .is_some_and(|w| Version::parse(Scheme::Pep440, k).is_ok_and(|v| v == *w))
            })
            .map(|(_, files)| files)
    })?;
    let base = url::Url::parse(base).ok();
    let absolute = |f: &DistFile| -> Option<url::Url> {
        let written = f.url.as_deref()?;
        let mut url = match url::Url::parse(written) {
            Ok(url) => url,
            Err(_) => base.as_ref()?.join(written).ok()?,
        };
        // The metadata file sits beside the wheel, without the wheel URL's fragment.
        url.set_fragment(None);
        matches!(url.scheme(), "https" | "http").then_some(url)
    };
    let usable: Vec<(&DistFile, url::Url)> = files
        .iter()
        .filter_map(|f| Some((f, absolute(f)?)))
        .collect();
    let first = |suffix: &str| usable.iter().find(|(f, _)| f.filename.ends_with(suffix));
    let (file, url) = first("-none-any.whl")
        .or_else(|| first(".whl"))
        .or_else(|| first(".tar.gz"))?;
    Some(((*file).clone(), url.to_string()))
}

/// Reads a wheel's core metadata (`METADATA`, the email-header format of the core metadata
/// specification): its version, `Requires-Dist`, `Requires-Python` and `Summary`. A body that
/// is not such a file (no `Metadata-Version`/`Version` header) is an error.
pub fn parse_core_metadata(bytes: &[u8]) -> Result<ReleaseMetadata, RegistryError> {
    let text = String::from_utf8_lossy(bytes);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break; // the body (the description) starts after the first empty line
        }
        if line.starts_with([' ', '\t']) {
            // A folded header continues the previous one.
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(RegistryError(format!(
                "the core metadata has a line that is not a header: {line:?}"
            )));
        };
        headers.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let one = |key: &str| {
        headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let version = one("version").filter(|_| one("metadata-version").is_some());
    let Some(version) = version else {
        return Err(RegistryError(
            "the answer is not a wheel's core metadata (no `Metadata-Version` and `Version` \
             headers)"
                .into(),
        ));
    };
    let requires_dist: Vec<String> = headers
        .iter()
        .filter(|(k, _)| k == "requires-dist")
        .map(|(_, v)| v.clone())
        .collect();
    Ok(ReleaseMetadata {
        version,
        // The core metadata lists every dependency: none listed is none, not unknown.
        requires_dist: Some(requires_dist),
        requires_python: one("requires-python"),
        summary: one("summary"),
    })
}

/// `body` (a JSON API or PEP 691 answer) with its `info` describing release `version` from
/// `metadata`, so that [`release_metadata`] finds it there.
pub fn with_release_info(
    body: &[u8],
    version: &str,
    metadata: &ReleaseMetadata,
) -> Result<Vec<u8>, RegistryError> {
    use nanoup_versions::{Scheme, Version};
    let same = metadata.version == version
        || matches!(
            (
                Version::parse(Scheme::Pep440, &metadata.version),
                Version::parse(Scheme::Pep440, version),
            ),
            (Ok(a), Ok(b)) if a == b
        );
    if !same {
        return Err(RegistryError(format!(
            "the core metadata describes version {}, not {version}",
            metadata.version
        )));
    }
    let mut value: Value = serde_json::from_slice(body)
        .map_err(|e| RegistryError(format!("the answer is not valid JSON ({e})")))?;
    let Value::Object(object) = &mut value else {
        return Err(RegistryError("expected a JSON object".into()));
    };
    object.insert(
        "info".to_string(),
        serde_json::json!({
            "version": metadata.version,
            "requires_dist": metadata.requires_dist,
            "requires_python": metadata.requires_python,
            "summary": metadata.summary,
        }),
    );
    serde_json::to_vec(&value).map_err(|e| RegistryError(e.to_string()))
}

/// What the registry says about one release beyond its files: the JSON API's `info` (its
/// per-version answer's, or the project answer's, which describes the newest release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseMetadata {
    /// The version, as the registry writes it.
    pub version: String,
    /// `Requires-Dist` of the release (PEP 508 strings), `None` when the registry gives none
    /// (PyPI writes `null` both for a release without dependencies and for one whose first
    /// uploaded file carried no such metadata).
    pub requires_dist: Option<Vec<String>>,
    /// `Requires-Python` of the release, when given.
    pub requires_python: Option<String>,
    /// The one-line summary, when given.
    pub summary: Option<String>,
}

/// The metadata of release `version` in a JSON API body (per-version or project answer), when
/// its `info` describes that release (compared by PEP 440 equality: `2020.11.08` is
/// `2020.11.8`). `None` for a simple API body, or an `info` about another release.
pub fn release_metadata(body: &[u8], version: &str) -> Option<ReleaseMetadata> {
    use nanoup_versions::{Scheme, Version};
    #[derive(Deserialize)]
    struct Info {
        version: String,
        #[serde(default)]
        requires_dist: Option<Vec<String>>,
        #[serde(default)]
        requires_python: Option<String>,
        #[serde(default)]
        summary: Option<String>,
    }
    #[derive(Deserialize)]
    struct Body {
        info: Info,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    let same = body.info.version == version
        || matches!(
            (
                Version::parse(Scheme::Pep440, &body.info.version),
                Version::parse(Scheme::Pep440, version),
            ),
            (Ok(a), Ok(b)) if a == b
        );
    same.then(|| ReleaseMetadata {
        version: body.info.version,
        requires_dist: body.info.requires_dist,
        requires_python: body
            .info
            .requires_python
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty()),
        summary: body.info.summary,
    })
}

/// One distribution file (wheel or sdist) of a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistFile {
    /// The file name, e.g. `Flask-2.2.5-py3-none-any.whl`.
    pub filename: String,
    /// Where to download it, when the index says.
    pub url: Option<String>,
    /// Lower-case hex sha256 of the file, when the index gives one.
    pub sha256: Option<String>,
    /// The file's `Requires-Python` specifier, when it has one.
    pub requires_python: Option<String>,
    /// RFC 3339 UTC upload time, when the index tells it.
    pub upload_time: Option<String>,
    /// Yanked (PEP 592).
    pub yanked: bool,
    /// The reason given for the yank, when one was given.
    pub yanked_reason: Option<String>,
    /// Size in bytes, when the index tells it.
    pub size: Option<u64>,
}

/// The files of release `version` in a PyPI answer, found by PEP 440 equality when the index
/// spells the version otherwise than a lock (`2020.11.08` for `2020.11.8`); empty when it has
/// none.
pub fn files_of_release(body: &[u8], version: &str) -> Result<Vec<DistFile>, String> {
    use nanoup_versions::{Scheme, Version};
    let mut releases = parse_files(body).map_err(|e| e.to_string())?;
    if let Some(files) = releases.remove(version) {
        return Ok(files);
    }
    let Ok(wanted) = Version::parse(Scheme::Pep440, version) else {
        return Ok(Vec::new());
    };
    let key = releases
        .keys()
        .find(|k| Version::parse(Scheme::Pep440, k).is_ok_and(|v| v == wanted))
        .cloned();
    Ok(key.and_then(|k| releases.remove(&k)).unwrap_or_default())
}

/// The releases made of `files` (version → files): one per version that has files, with the
/// earliest upload time as `published`, `yanked` when every file is yanked, and the
/// `Requires-Python` its files agree on (none when they disagree or give none). Sorted as the
/// map is (by version string); order by version with `nanoup-versions`.
pub fn releases_of(files: &BTreeMap<String, Vec<DistFile>>) -> Vec<Release> {
    files
        .iter()
        .filter(|(_, files)| !files.is_empty())
        .map(|(version, files)| Release {
            version: version.clone(),
            published: files
                .iter()
                .filter_map(|f| f.upload_time.as_deref())
                .min_by_key(|t| time_key(t))
                .map(str::to_string),
            yanked: files.iter().all(|f| f.yanked),
            deprecated: None,
            requires_python: {
                let said: BTreeSet<&str> = files
                    .iter()
                    .filter_map(|f| f.requires_python.as_deref().map(str::trim))
                    .filter(|r| !r.is_empty())
                    .collect();
                match said.into_iter().collect::<Vec<_>>().as_slice() {
                    [one] => Some(one.to_string()),
                    _ => None,
                }
            },
        })
        .collect()
}

/// The files of every version, from a JSON API body or a PEP 691 simple API body (detected
/// from the body). Versions with no files map to an empty list (JSON API) or are absent
/// (simple API, where a version listed in `versions` with no file is kept with an empty list
/// too). Errors say what was expected and where, e.g. for a truncated body.
pub fn parse_files(body: &[u8]) -> Result<BTreeMap<String, Vec<DistFile>>, RegistryError> {
    let trimmed = body.trim_ascii_start();
    if trimmed.first() == Some(&b'<') {
        return Err(RegistryError(
            "the index answered HTML, not JSON: it does not support the PEP 691 JSON form of the simple API; \
             nanoup needs an index that answers `Accept: application/vnd.pypi.simple.v1+json`"
                .into(),
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        RegistryError(format!(
            "the answer is not valid JSON ({e}); a truncated answer looks like this, so retry, \
             and check that the URL is a PyPI JSON API or PEP 691 index"
        ))
    })?;
    let Value::Object(object) = &value else {
        return Err(RegistryError(
            "expected a JSON object with `releases` (JSON API) or `files` (PEP 691 simple API)"
                .into(),
        ));
    };
    if object.contains_key("releases") {
        parse_json_api(value)
    } else if object.contains_key("files") {
        parse_simple_api(value)
    } else if object.contains_key("urls") && object.contains_key("info") {
        parse_release_json(value)
    } else {
        Err(RegistryError(
            "expected a JSON object with `releases` (JSON API) or `files` (PEP 691 simple API), found neither"
                .into(),
        ))
    }
}

#[derive(Deserialize)]
struct JsonApiBody {
    releases: BTreeMap<String, Vec<JsonApiFile>>,
}

#[derive(Deserialize)]
struct JsonApiFile {
    filename: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    digests: BTreeMap<String, Value>,
    #[serde(default)]
    requires_python: Option<String>,
    #[serde(default)]
    upload_time_iso_8601: Option<String>,
    #[serde(default)]
    upload_time: Option<String>,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    yanked_reason: Option<String>,
    #[serde(default)]
    size: Option<u64>,
}

/// A per-version answer of the JSON API (`/pypi/<name>/<version>/json`): `info.version` and its
/// files, `urls`.
#[derive(Deserialize)]
struct ReleaseJsonBody {
    info: ReleaseJsonInfo,
    urls: Vec<JsonApiFile>,
}

#[derive(Deserialize)]
struct ReleaseJsonInfo {
    version: String,
}

fn parse_release_json(value: Value) -> Result<BTreeMap<String, Vec<DistFile>>, RegistryError> {
    let body: ReleaseJsonBody = serde_json::from_value(value).map_err(|e| {
        RegistryError(format!(
            "unexpected shape of a PyPI per-version JSON answer: {e}; expected `info.version` and a list of files in `urls`"
        ))
    })?;
    let files = body.urls.into_iter().map(dist_file_of_json).collect();
    Ok(BTreeMap::from([(body.info.version, files)]))
}

fn parse_json_api(value: Value) -> Result<BTreeMap<String, Vec<DistFile>>, RegistryError> {
    let body: JsonApiBody = serde_json::from_value(value).map_err(|e| {
        RegistryError(format!(
            "unexpected shape of a PyPI JSON API answer: {e}; expected `releases` mapping each version to a list of files"
        ))
    })?;
    Ok(body
        .releases
        .into_iter()
        .map(|(version, files)| (version, files.into_iter().map(dist_file_of_json).collect()))
        .collect())
}

/// A file of a JSON API answer (project or per-version).
fn dist_file_of_json(f: JsonApiFile) -> DistFile {
    DistFile {
        filename: f.filename,
        url: f.url,
        sha256: f
            .digests
            .get("sha256")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase),
        requires_python: f.requires_python.filter(|r| !r.is_empty()),
        // `upload_time` (older field) is UTC without a zone.
        upload_time: f.upload_time_iso_8601.or_else(|| {
            f.upload_time
                .map(|t| if t.ends_with('Z') { t } else { format!("{t}Z") })
        }),
        yanked: f.yanked,
        yanked_reason: f.yanked_reason.filter(|r| !r.trim().is_empty()),
        size: f.size,
    }
}

#[derive(Deserialize)]
struct SimpleBody {
    name: String,
    #[serde(default)]
    versions: Option<Vec<String>>,
    files: Vec<SimpleFile>,
}

#[derive(Deserialize)]
struct SimpleFile {
    filename: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    hashes: BTreeMap<String, Value>,
    #[serde(default, rename = "requires-python")]
    requires_python: Option<String>,
    #[serde(default, rename = "upload-time")]
    upload_time: Option<String>,
    /// `false`, `true` or a reason string (PEP 691).
    #[serde(default)]
    yanked: Value,
    #[serde(default)]
    size: Option<u64>,
}

fn parse_simple_api(value: Value) -> Result<BTreeMap<String, Vec<DistFile>>, RegistryError> {
    let body: SimpleBody = serde_json::from_value(value).map_err(|e| {
        RegistryError(format!(
            "unexpected shape of a PEP 691 simple API answer: {e}; expected `name` and a list of `files`"
        ))
    })?;
    let listed: Option<BTreeSet<String>> = body.versions.map(|v| v.into_iter().collect());
    let mut out: BTreeMap<String, Vec<DistFile>> = BTreeMap::new();
    if let Some(listed) = &listed {
        for version in listed {
            out.insert(version.clone(), Vec::new());
        }
    }
    for file in body.files {
        let Some(version) = version_of_file(&body.name, &file.filename, listed.as_ref()) else {
            // A file whose name does not carry a version of this project (a stray upload, an
            // unusual bdist name): it cannot be attributed to a release, so it is left out.
            continue;
        };
        let (yanked, yanked_reason) = match &file.yanked {
            Value::Bool(b) => (*b, None),
            Value::String(reason) => (
                true,
                Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
            ),
            _ => (false, None),
        };
        out.entry(version).or_default().push(DistFile {
            filename: file.filename,
            url: file.url,
            sha256: file
                .hashes
                .get("sha256")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase),
            requires_python: file.requires_python.filter(|r| !r.is_empty()),
            upload_time: file.upload_time,
            yanked,
            yanked_reason,
            size: file.size,
        });
    }
    Ok(out)
}

/// The version a distribution file of `project` belongs to, read from its name: the text after
/// the `<name>-` prefix (compared normalised, so `Flask-`, `flask-`, `zope.interface-` and
/// `zope_interface-` all match), up to the end for an sdist or the next `-` for a wheel or egg.
/// When the index lists its versions, the longest listed version the text starts with wins.
pub fn version_of_file(
    project: &str,
    filename: &str,
    listed: Option<&BTreeSet<String>>,
) -> Option<String> {
    const EXTENSIONS: [&str; 9] = [
        ".tar.gz", ".tar.bz2", ".tar.xz", ".tar", ".tgz", ".zip", ".whl", ".egg", ".exe",
    ];
    let project = normalize_pypi_name(project);
    let lower = filename.to_ascii_lowercase();
    let stem_len = EXTENSIONS
        .iter()
        .find(|ext| lower.ends_with(*ext))
        .map_or(filename.len(), |ext| filename.len() - ext.len());
    let stem = filename.get(..stem_len)?;
    let is_sdist = !lower.ends_with(".whl") && !lower.ends_with(".egg") && !lower.ends_with(".exe");
    for (dash, _) in stem.match_indices('-') {
        let prefix = stem.get(..dash)?;
        if normalize_pypi_name(prefix) != project {
            continue;
        }
        let rest = stem.get(dash + 1..)?;
        if let Some(listed) = listed {
            return listed
                .iter()
                .filter(|v| {
                    rest == v.as_str()
                        || rest
                            .strip_prefix(v.as_str())
                            .is_some_and(|after| after.starts_with(['-', '.']))
                })
                .max_by_key(|v| v.len())
                .cloned();
        }
        let version = if is_sdist {
            rest
        } else {
            rest.split('-').next().unwrap_or(rest)
        };
        return (!version.is_empty()).then(|| version.to_string());
    }
    None
}

/// A key ordering RFC 3339 UTC times correctly whatever their fraction digits
/// (`…:36Z` before `…:36.5Z`); other text sorts after, as itself.
fn time_key(time: &str) -> (u8, String) {
    let (Some(seconds), Some(rest)) = (time.get(..19), time.get(19..)) else {
        return (1, time.to_string());
    };
    let (fraction, zone) = match rest.strip_prefix('.') {
        Some(after) => {
            let digits = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            (
                after.get(..digits).unwrap_or(""),
                after.get(digits..).unwrap_or(""),
            )
        }
        None => ("", rest),
    };
    if !matches!(zone, "Z" | "+00:00" | "") || fraction.len() > 9 {
        return (1, time.to_string());
    }
    (0, format!("{seconds}.{fraction:0<9}"))
}

/// `url` with any `user:pass@` removed, for error messages (the datasource never keeps
/// credentials in URLs, but a caller-given base might still carry some).
fn without_credentials(url: &str) -> String {
    split_credentials(url).0
}

/// Splits credentials out of `url`: `https://user:pass@host/path` gives `https://host/path`
/// and `Basic base64(user:pass)` (user and password percent-decoded first; a user alone, as
/// with a token, is sent with an empty password, as pip does). A URL without credentials is
/// returned unchanged with `None`.
pub fn split_credentials(url: &str) -> (String, Option<String>) {
    let Some(scheme_end) = url.find("://") else {
        return (url.to_string(), None);
    };
    let after_scheme = scheme_end + 3;
    let authority_end = url
        .get(after_scheme..)
        .and_then(|rest| rest.find(['/', '?', '#']))
        .map_or(url.len(), |i| after_scheme + i);
    let authority = url.get(after_scheme..authority_end).unwrap_or("");
    let Some(at) = authority.rfind('@') else {
        return (url.to_string(), None);
    };
    let userinfo = authority.get(..at).unwrap_or("");
    let host = authority.get(at + 1..).unwrap_or("");
    let stripped = format!(
        "{}{}{}",
        url.get(..after_scheme).unwrap_or(""),
        host,
        url.get(authority_end..).unwrap_or("")
    );
    if userinfo.is_empty() {
        return (stripped, None);
    }
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let pair = format!("{}:{}", percent_decode(user), percent_decode(password));
    (stripped, Some(format!("Basic {}", base64(pair.as_bytes()))))
}

/// Decodes `%XX` escapes (invalid escapes are kept as written).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(decoded) = u8::from_str_radix(hex, 16)
        {
            out.push(decoded);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
