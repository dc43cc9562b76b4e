//! The docker datasource: an image's tags, from the registry's HTTP API v2 (the OCI
//! distribution spec): `GET https://<registry>/v2/<repository>/tags/list` answers
//! `{"name": "<repository>", "tags": ["1.25", ...]}`.
//!
//! Where an image name points:
//! - no registry part (`nginx`, `bitnami/redis`), or `docker.io` / `index.docker.io`: Docker
//!   Hub, whose API host is `registry-1.docker.io`; a one-part name is an official image
//!   under `library/` (`nginx` is `library/nginx`);
//! - a first part with a `.` or `:`, or `localhost`, is a registry host (`ghcr.io/o/i`,
//!   `registry.example.com:5000/team/app`). `localhost` and `127.0.0.1` are spoken to over plain
//!   HTTP (as docker does without configuration), every other host over HTTPS.
//!
//! Tags have **no dates** (dates live in each image's config blob, one more request per tag),
//! so releases have `published: None`; nothing is yanked.
//!
//! For one tag (what `apply` needs to move a digest-pinned `FROM`), [`manifest_request`] asks
//! `GET /v2/<repository>/manifests/<tag>` for an OCI index or manifest, or a Docker manifest list
//! or manifest v2, and [`manifest_digest`] gives the digest of the answer's exact bytes.
//!
//! Authentication: most registries (Docker Hub always, even for public images) answer the first
//! request with `401` and `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`; the client
//! then GETs `realm?service=…&scope=…` (anonymously, or with Basic credentials), reads `token`
//! (or `access_token`) from the JSON answer, and repeats the request with
//! `Authorization: Bearer <token>`. That two-step dance belongs to the caller (the fetching
//! edge); this module gives its pure parts: [`parse_challenge`], [`BearerChallenge::token_url`],
//! [`token_request`] (Docker Hub's well-known realm, skipping the first 401), [`parse_token`] and
//! [`DockerRegistry::authorized_request`]. Paginated answers (`?n=` / `Link` headers) are not
//! followed: only the first page is read.
//!
//! Docker Hub is not reachable from the machine this was written on: the tests read fixtures
//! hand-written from the documented format, not recorded responses.

use nanoup_core::{Ecosystem, Release};
use serde::Deserialize;

use crate::datasource::{Datasource, RegistryError, RegistryRequest, ReleaseRequest};

/// Docker Hub's registry API host.
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Docker Hub's token service (realm) and service name.
pub const DOCKER_HUB_AUTH: (&str, &str) = ("https://auth.docker.io/token", "registry.docker.io");

/// The registry and repository an image name points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The API host (with port): `registry-1.docker.io` for Docker Hub.
    pub host: String,
    /// The repository on that host: `library/nginx`, `bitnami/redis`, `owner/image`.
    pub repository: String,
}

impl ImageRef {
    /// Splits an image name (a tag or digest, if present, is ignored): see the module docs.
    pub fn parse(name: &str) -> Result<ImageRef, RegistryError> {
        let bad = |why: &str| {
            RegistryError(format!(
                "`{name}` is not an image name: {why}; expected [registry/]repository, e.g. `nginx` or `ghcr.io/owner/image`"
            ))
        };
        let name = name.trim();
        let without_digest = name.split('@').next().unwrap_or(name);
        let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
        let without_tag = match without_digest.rfind(':') {
            Some(colon) if colon >= last_slash => without_digest.get(..colon).unwrap_or(""),
            _ => without_digest,
        };
        let (host, path) = match without_tag.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_ascii_lowercase(), rest)
            }
            _ => ("docker.io".to_string(), without_tag),
        };
        if path.is_empty() {
            return Err(bad("the repository is empty"));
        }
        for component in path.split('/') {
            let ok = !component.is_empty()
                && component.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                })
                && component.starts_with(|c: char| c.is_ascii_alphanumeric())
                && component.ends_with(|c: char| c.is_ascii_alphanumeric());
            if !ok {
                return Err(bad(
                    "each path component must be lower-case letters, digits and `.`, `_`, `-` separators",
                ));
            }
        }
        if host.is_empty()
            || host.starts_with(['.', '-', ':'])
            || host.contains("..")
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        {
            return Err(bad("the registry host has characters a host cannot have"));
        }
        let hub = matches!(
            host.as_str(),
            "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com"
        );
        if hub {
            let repository = if path.contains('/') {
                path.to_string()
            } else {
                format!("library/{path}")
            };
            return Ok(ImageRef {
                host: DOCKER_HUB_API.into(),
                repository,
            });
        }
        Ok(ImageRef {
            host,
            repository: path.to_string(),
        })
    }

    /// True for Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.host == DOCKER_HUB_API
    }

    /// `http` for `localhost` and `127.0.0.1` (any port), else `https`.
    pub fn scheme(&self) -> &'static str {
        let host = self
            .host
            .rsplit_once(':')
            .map_or(self.host.as_str(), |(h, port)| {
                if port.chars().all(|c| c.is_ascii_digit()) {
                    h
                } else {
                    self.host.as_str()
                }
            });
        if matches!(host, "localhost" | "127.0.0.1") {
            "http"
        } else {
            "https"
        }
    }

    /// `<scheme>://<host>/v2/<repository>/tags/list`.
    pub fn tags_url(&self) -> String {
        format!(
            "{}://{}/v2/{}/tags/list",
            self.scheme(),
            self.host,
            self.repository
        )
    }
    /// `<scheme>://<host>/v2/<repository>/manifests/<reference>` (a tag or a digest).
    pub fn manifest_url(&self, reference: &str) -> String {
        format!(
            "{}://{}/v2/{}/manifests/{reference}",
            self.scheme(),
            self.host,
            self.repository
        )
    }
}

/// The docker datasource (registry HTTP API v2). Stateless: tokens, when needed, are passed
/// to [`DockerRegistry::authorized_request`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerRegistry;

/// The media types a tag list is asked for with.
const ACCEPT_JSON: &str = "application/json";

/// The media types a manifest is asked for with: an OCI image index, an OCI image manifest, a
/// Docker manifest list and a Docker image manifest v2, so that a multi-platform tag answers its
/// index (the digest `docker pull NAME:TAG` pins) and a single-platform one its manifest.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

impl DockerRegistry {
    /// The tag-list request for `name` carrying `Authorization: Bearer <token>` (a token from
    /// [`parse_token`]). The token is a secret: never log the returned headers.
    pub fn authorized_request(
        &self,
        name: &str,
        token: &str,
    ) -> Result<RegistryRequest, RegistryError> {
        let mut request = self.request(name)?;
        request
            .headers
            .push(("Authorization".to_string(), format!("Bearer {token}")));
        Ok(request)
    }

    /// The manifest request for `name` at `tag` (see [`manifest_request`]) carrying
    /// `Authorization: Bearer <token>`: the same token as the tag list's (the same
    /// `repository:<repo>:pull` scope). The token is a secret: never log the returned headers.
    pub fn authorized_manifest_request(
        &self,
        name: &str,
        tag: &str,
        token: &str,
    ) -> Result<RegistryRequest, RegistryError> {
        let mut request = manifest_request(name, tag)?;
        request
            .headers
            .push(("Authorization".to_string(), format!("Bearer {token}")));
        Ok(request)
    }
}

/// `GET /v2/<repository>/manifests/<tag>` with the [`MANIFEST_ACCEPT`] media types: the
/// manifest (or index) the tag points at, whose digest is what a `FROM name:tag@sha256:...`
/// pins (see [`manifest_digest`]). Refuses a tag that is not one (`[A-Za-z0-9_][A-Za-z0-9_.-]`,
/// at most 128 characters).
pub fn manifest_request(name: &str, tag: &str) -> Result<RegistryRequest, RegistryError> {
    let image = ImageRef::parse(name)?;
    let valid = tag.len() <= 128
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !valid {
        return Err(RegistryError(format!(
            "`{tag}` is not a tag of `{name}` (expected letters, digits, `_`, `.` and `-`, at \
             most 128, not starting with `.` or `-`)"
        )));
    }
    Ok(RegistryRequest {
        url: image.manifest_url(tag),
        headers: vec![("Accept".to_string(), MANIFEST_ACCEPT.to_string())],
    })
}

/// The digest of a manifest answer: `sha256:` and the hex SHA-256 of the body's exact bytes
/// (the registry's `Docker-Content-Digest` when it sends one: the HTTP client checks that the
/// body matches that header). The body must be a manifest or an index (JSON with
/// `schemaVersion` 2 and `manifests`, `layers` or `config`); an error body is an error carrying
/// the registry's message, anything else an error saying what was expected.
pub fn manifest_digest(body: &[u8]) -> Result<String, RegistryError> {
    use sha2::{Digest, Sha256};
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        RegistryError(format!(
            "the manifest is not valid JSON ({e}); a truncated answer looks like this, so retry"
        ))
    })?;
    if value.get("errors").is_some() {
        parse_tags(body)?;
    }
    let schema = value
        .get("schemaVersion")
        .and_then(serde_json::Value::as_u64);
    let shaped = ["manifests", "layers", "config"]
        .iter()
        .any(|key| value.get(key).is_some());
    if schema != Some(2) || !shaped {
        return Err(RegistryError(
            "the answer is not an image manifest or index (expected JSON with \
             `\"schemaVersion\": 2` and `manifests`, `layers` or `config`)"
                .into(),
        ));
    }
    let hex: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("sha256:{hex}"))
}

impl Datasource for DockerRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Docker
    }

    fn request(&self, name: &str) -> Result<RegistryRequest, RegistryError> {
        let image = ImageRef::parse(name)?;
        Ok(RegistryRequest {
            url: image.tags_url(),
            headers: vec![("Accept".to_string(), ACCEPT_JSON.to_string())],
        })
    }

    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<Release>, RegistryError> {
        let place = match self.request(name) {
            Ok(request) => request.url,
            Err(_) => format!("the tag list of `{name}`"),
        };
        let tags = parse_tags(body).map_err(|e| RegistryError(format!("{place}: {}", e.0)))?;
        Ok(tags
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
    /// The manifest of `name` at tag `version` ([`manifest_request`]): its digest
    /// ([`manifest_digest`]) is what a digest-pinned `FROM` needs. A 404 means the tag has no
    /// manifest, so the tag list cannot stand in.
    fn release_request(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<ReleaseRequest>, RegistryError> {
        Ok(Some(ReleaseRequest {
            request: manifest_request(name, version)?,
            package_answer_serves: false,
        }))
    }
}

#[derive(Deserialize)]
struct TagList {
    tags: Option<Vec<String>>,
}

/// The tags of a `tags/list` body, in its order, without duplicates. `"tags": null` (a
/// repository with no tags) gives none. An error body (`{"errors": [...]}`) is an error
/// carrying the registry's message.
pub fn parse_tags(body: &[u8]) -> Result<Vec<String>, RegistryError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        RegistryError(format!(
            "the tag list is not valid JSON ({e}); a truncated answer looks like this, so retry"
        ))
    })?;
    if let Some(errors) = value.get("errors").and_then(|e| e.as_array()) {
        let messages: Vec<String> = errors
            .iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.get("code").and_then(|c| c.as_str()).unwrap_or("ERROR"),
                    e.get("message").and_then(|m| m.as_str()).unwrap_or("")
                )
            })
            .collect();
        return Err(RegistryError(format!(
            "the registry answered with errors: {}",
            messages.join("; ")
        )));
    }
    let list: TagList = serde_json::from_value(value).map_err(|e| {
        RegistryError(format!(
            "unexpected shape of a tag list ({e}); expected {{\"name\": ..., \"tags\": [...]}}"
        ))
    })?;
    let mut tags: Vec<String> = Vec::new();
    for tag in list.tags.unwrap_or_default() {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// A `WWW-Authenticate: Bearer ...` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerChallenge {
    /// The token service URL.
    pub realm: String,
    /// The `service` parameter, when given.
    pub service: Option<String>,
    /// The `scope` parameter, when given (e.g. `repository:library/nginx:pull`).
    pub scope: Option<String>,
}

impl BearerChallenge {
    /// The token URL: `realm?service=…&scope=…` (parameters percent-encoded).
    pub fn token_url(&self) -> String {
        let mut url = self.realm.clone();
        let mut separator = if url.contains('?') { '&' } else { '?' };
        for (key, value) in [("service", &self.service), ("scope", &self.scope)] {
            if let Some(value) = value {
                url.push(separator);
                url.push_str(key);
                url.push('=');
                url.push_str(&query_escape(value));
                separator = '&';
            }
        }
        url
    }
}

/// Reads a `WWW-Authenticate` header value; `None` unless it is a Bearer challenge with a realm.
pub fn parse_challenge(header: &str) -> Option<BearerChallenge> {
    let header = header.trim();
    let scheme_end = header.find(char::is_whitespace)?;
    if !header.get(..scheme_end)?.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut rest = header.get(scheme_end..)?.trim_start();
    let (mut realm, mut service, mut scope) = (None, None, None);
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest.get(..eq)?.trim().to_ascii_lowercase();
        let after = rest.get(eq + 1..)?.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut end = None;
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            value.push(next);
                        }
                    }
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, quoted.get(end?..)?)
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after.get(..end)?.trim().to_string(), after.get(end..)?)
        };
        match key.as_str() {
            "realm" => realm = Some(value),
            "service" => service = Some(value),
            "scope" => scope = Some(value),
            _ => {}
        }
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    Some(BearerChallenge {
        realm: realm.filter(|r| !r.is_empty())?,
        service,
        scope,
    })
}

/// The anonymous pull-token request for a Docker Hub image, skipping the first `401`
/// (`https://auth.docker.io/token?service=registry.docker.io&scope=repository:<repo>:pull`).
/// `None` for other registries, whose realm is only known from their challenge.
pub fn token_request(name: &str) -> Result<Option<RegistryRequest>, RegistryError> {
    let image = ImageRef::parse(name)?;
    if !image.is_docker_hub() {
        return Ok(None);
    }
    let challenge = BearerChallenge {
        realm: DOCKER_HUB_AUTH.0.into(),
        service: Some(DOCKER_HUB_AUTH.1.into()),
        scope: Some(format!("repository:{}:pull", image.repository)),
    };
    Ok(Some(RegistryRequest {
        url: challenge.token_url(),
        headers: vec![("Accept".to_string(), ACCEPT_JSON.to_string())],
    }))
}

#[derive(Deserialize)]
struct TokenBody {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// The bearer token of a token-service answer (`token`, else `access_token`). The token is a
/// secret: do not log it or cache it.
pub fn parse_token(body: &[u8]) -> Result<String, RegistryError> {
    let body: TokenBody = serde_json::from_slice(body).map_err(|e| {
        RegistryError(format!(
            "the token service's answer is not the expected JSON ({e}); expected {{\"token\": ...}}"
        ))
    })?;
    body.token
        .or(body.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            RegistryError("the token service's answer has no `token` or `access_token`".into())
        })
}

/// Percent-encodes everything but unreserved characters and `:`/`/` (kept readable in scopes).
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
