//! The Go datasource: the module proxy protocol (`GOPROXY`).
//!
//! A module proxy answers, for a module path escaped as the protocol says (every capital
//! letter becomes `!` and its lower case: `github.com/BurntSushi/toml` is asked for as
//! `github.com/!burnt!sushi/toml`):
//!
//! - `<proxy>/<module>/@v/list`: the known tagged versions, one per line, **without dates**;
//! - `<proxy>/<module>/@v/<version>.info`: `{"Version": "v1.2.3", "Time": "2023-..."}`, the
//!   version's commit time ([`parse_info`], [`GoProxy::info_request`]): one request per
//!   version, which the caller makes only for the versions it cares about.
//!
//! So releases from `@v/list` have `published: None`. Retractions (`retract` in the latest
//! go.mod) are not in the list either, so nothing is marked yanked. Pseudo-versions in a list
//! are skipped (as the `go` command does): they are commits, not releases.
//!
//! `GOPROXY` is honoured: its first entry is asked (`,` and `|` separate entries; unset means
//! `https://proxy.golang.org`). `direct` or `off` first is an error: nanoup asks proxies only,
//! it does not clone version control repositories. Modules matching `GONOPROXY` (default:
//! `GOPRIVATE`) are refused for the same reason. Credentials in the proxy URL become a Basic
//! `Authorization` header (`.netrc` is not read).
//!
//! proxy.golang.org is not reachable from the machine this was written on: the tests read
//! fixtures hand-written from the documented format, not recorded responses.

use nanoup_core::{Ecosystem, Release};
use serde::Deserialize;

use crate::datasource::{Datasource, RegistryError, RegistryRequest};
use crate::pypi::registry::split_credentials;

/// The proxy used when `GOPROXY` is unset or empty.
pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org";

/// A Go module proxy. Its `Debug` output never shows the credentials it holds.
#[derive(Clone, PartialEq, Eq)]
pub struct GoProxy {
    base: String,
    authorization: Option<String>,
    /// `GONOPROXY` / `GOPRIVATE` patterns: modules fetched directly, never through a proxy.
    no_proxy: Vec<String>,
}

impl std::fmt::Debug for GoProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoProxy")
            .field("base", &self.base)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl Default for GoProxy {
    fn default() -> GoProxy {
        GoProxy::new(DEFAULT_GOPROXY)
    }
}

impl GoProxy {
    /// The proxy at `base` (a URL; without a scheme, `https://` is assumed). Credentials in the
    /// URL are moved into a Basic `Authorization` header.
    pub fn new(base: &str) -> GoProxy {
        let base = base.trim();
        let base = if base.contains("://") {
            base.to_string()
        } else {
            format!("https://{base}")
        };
        let (url, authorization) = split_credentials(&base);
        GoProxy {
            base: url.trim_end_matches('/').to_string(),
            authorization,
            no_proxy: Vec::new(),
        }
    }

    /// The proxy the environment configures, read through `get`: the first entry of
    /// `GOPROXY`, with `GONOPROXY` (else `GOPRIVATE`) patterns refused. Errors when the first
    /// entry is `direct` or `off`, saying what to set instead.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<GoProxy, RegistryError> {
        let read = |var: &str| {
            get(var)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let goproxy = read("GOPROXY");
        let first = goproxy
            .as_deref()
            .and_then(|v| v.split([',', '|']).map(str::trim).find(|e| !e.is_empty()))
            .unwrap_or(DEFAULT_GOPROXY);
        match first {
            "direct" => {
                return Err(RegistryError(
                    "GOPROXY starts with `direct`: nanoup reads module versions from a module proxy only and does not clone repositories; \
                     set GOPROXY to a proxy URL (e.g. https://proxy.golang.org or your Athens/Artifactory proxy)"
                        .into(),
                ));
            }
            "off" => {
                return Err(RegistryError(
                    "GOPROXY=off forbids downloading modules, so module versions cannot be looked up; \
                     set GOPROXY to a proxy URL (e.g. https://proxy.golang.org)"
                        .into(),
                ));
            }
            _ => {}
        }
        let mut proxy = GoProxy::new(first);
        proxy.no_proxy = read("GONOPROXY")
            .or_else(|| read("GOPRIVATE"))
            .map(|patterns| {
                patterns
                    .split(',')
                    .map(|p| p.trim().trim_end_matches('/').to_string())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(proxy)
    }

    /// The proxy URL, without credentials.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The request for `<proxy>/<module>/@v/<version>.info`, which gives the version's time.
    pub fn info_request(
        &self,
        module: &str,
        version: &str,
    ) -> Result<RegistryRequest, RegistryError> {
        if version.is_empty() || version.contains(['/', '\\']) || version.starts_with('.') {
            return Err(RegistryError(format!(
                "`{version}` is not a Go module version (expected e.g. `v1.2.3`)"
            )));
        }
        let version = escape_path(version, "version")?;
        self.request_for(module, &format!("@v/{version}.info"))
    }

    fn request_for(&self, module: &str, suffix: &str) -> Result<RegistryRequest, RegistryError> {
        let module = module.trim();
        if let Some(pattern) = self.no_proxy.iter().find(|p| matches_pattern(p, module)) {
            return Err(RegistryError(format!(
                "`{module}` matches `{pattern}` in GONOPROXY/GOPRIVATE, so Go fetches it directly from its repository, \
                 which nanoup does not do; its versions are unknown"
            )));
        }
        let url = format!("{}/{}/{suffix}", self.base, escape_module_path(module)?);
        let mut headers = Vec::new();
        if let Some(authorization) = &self.authorization {
            headers.push(("Authorization".to_string(), authorization.clone()));
        }
        Ok(RegistryRequest { url, headers })
    }
}

impl Datasource for GoProxy {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Go
    }

    fn request(&self, name: &str) -> Result<RegistryRequest, RegistryError> {
        self.request_for(name, "@v/list")
    }

    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<Release>, RegistryError> {
        let place = match self.request(name) {
            Ok(request) => request.url,
            Err(_) => format!("the version list of `{name}`"),
        };
        let versions = parse_list(body).map_err(|e| RegistryError(format!("{place}: {}", e.0)))?;
        Ok(versions
            .into_iter()
            .map(|version| Release {
                version,
                published: None,
                yanked: false,
                deprecated: None,
                requires_python: None,
            })
            .collect())
    }
}

/// A module path escaped for the proxy protocol: `github.com/BurntSushi/toml` gives
/// `github.com/!burnt!sushi/toml`. Rejects paths that are not module paths (empty, with
/// `!`, spaces, control characters, `..` or empty elements).
pub fn escape_module_path(module: &str) -> Result<String, RegistryError> {
    if module.is_empty()
        || module.starts_with('/')
        || module.ends_with('/')
        || module
            .split('/')
            .any(|e| e.is_empty() || e == "." || e == "..")
    {
        return Err(RegistryError(format!(
            "`{module}` is not a Go module path (expected e.g. `github.com/owner/repo`)"
        )));
    }
    escape_path(module, "module path")
}

fn escape_path(text: &str, what: &str) -> Result<String, RegistryError> {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if c == '!' || c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '\\' | '%') {
            return Err(RegistryError(format!(
                "`{text}` is not a valid Go {what}: `{}` is not allowed",
                c.escape_default()
            )));
        }
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Whether `module` matches a `GONOPROXY`/`GOPRIVATE` pattern: a glob (`*`, `?`) matched
/// element by element against a leading part of the path, as Go's `module.MatchPrefixPatterns`.
pub fn matches_pattern(pattern: &str, module: &str) -> bool {
    let pattern_elems: Vec<&str> = pattern.split('/').collect();
    let module_elems: Vec<&str> = module.split('/').collect();
    pattern_elems.len() <= module_elems.len()
        && pattern_elems
            .iter()
            .zip(&module_elems)
            .all(|(p, m)| glob(p.as_bytes(), m.as_bytes()))
}

/// `*` (any run of characters) and `?` (one character) glob matching of one path element.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            (0..=text.len()).any(|i| text.get(i..).is_some_and(|t| glob(rest, t)))
        }
        Some((b'?', rest)) => text.split_first().is_some_and(|(_, t)| glob(rest, t)),
        Some((c, rest)) => text
            .split_first()
            .is_some_and(|(t, tail)| t == c && glob(rest, tail)),
    }
}

/// The versions of an `@v/list` body, in its order, without duplicates and without
/// pseudo-versions. As in the `go` command, each line's first field counts and lines whose
/// first field is not a `v`-version are ignored. A body that is not such a list (HTML, JSON,
/// not UTF-8) is an error.
///
/// The format cannot reveal truncation (a cut list is a shorter list): rely on the HTTP
/// layer's length checks for that.
pub fn parse_list(body: &[u8]) -> Result<Vec<String>, RegistryError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        RegistryError(format!(
            "the version list is not UTF-8 (invalid byte at offset {}); expected one version per line",
            e.valid_up_to()
        ))
    })?;
    if text.trim_start().starts_with(['<', '{', '[']) {
        return Err(RegistryError(
            "expected one version per line (the module proxy protocol's @v/list), found HTML or JSON; \
             check that GOPROXY names a module proxy"
                .into(),
        ));
    }
    let mut versions: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(field) = line.split_whitespace().next() else {
            continue;
        };
        if !is_version(field) || is_pseudo_version(field) {
            continue;
        }
        if !versions.iter().any(|v| v == field) {
            versions.push(field.to_string());
        }
    }
    Ok(versions)
}

/// `v` followed by a number, as every Go module version starts.
fn is_version(text: &str) -> bool {
    text.strip_prefix('v')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether `version` is a pseudo-version (`v0.0.0-20191109021931-daa7c04131f5`,
/// `v1.2.4-0.20191109021931-daa7c04131f5`, `v1.2.3-pre.0.20191109021931-daa7c04131f5`).
pub fn is_pseudo_version(version: &str) -> bool {
    let core = version.split('+').next().unwrap_or(version);
    let Some((before, revision)) = core.rsplit_once('-') else {
        return false;
    };
    if revision.len() < 12 || !revision.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let Some(stamp) = before.get(before.len().saturating_sub(14)..) else {
        return false;
    };
    let separator = before
        .len()
        .checked_sub(15)
        .and_then(|i| before.as_bytes().get(i));
    stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
        && matches!(separator, Some(b'-' | b'.'))
}

/// What `@v/<version>.info` says about one version.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoVersionInfo {
    /// The canonical version, e.g. `v1.3.2`.
    #[serde(rename = "Version")]
    pub version: String,
    /// The version's commit time (RFC 3339), when given.
    #[serde(rename = "Time", default)]
    pub time: Option<String>,
}

/// Reads an `@v/<version>.info` body: `{"Version": "...", "Time": "..."}` (other fields, such
/// as `Origin`, are ignored).
pub fn parse_info(body: &[u8]) -> Result<GoVersionInfo, RegistryError> {
    let info: GoVersionInfo = serde_json::from_slice(body).map_err(|e| {
        RegistryError(format!(
            "the version info is not the expected JSON ({e}); expected {{\"Version\": ..., \"Time\": ...}}"
        ))
    })?;
    if !is_version(&info.version) {
        return Err(RegistryError(format!(
            "the version info names `{}`, which is not a Go module version",
            info.version
        )));
    }
    Ok(info)
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
