//! The npm datasource: a registry's packument (`<registry>/<name>`, the full document, asked
//! for with `Accept: application/json`).
//!
//! The packument lists every version under `versions` (with its `deprecated` message and its
//! `dist.integrity` / `dist.tarball`) and, under `time`, when each was published (`created` and
//! `modified` are skipped). Packuments of popular packages weigh several megabytes, so they are
//! read with small borrowing structs: only the fields above are built, everything else is
//! skipped by the parser without allocating.
//!
//! # Which registry, which token
//! [`NpmRegistry::from_npmrc`] reads the project's `.npmrc` and then the user's `~/.npmrc`
//! (the project wins, as with npm):
//! - `registry=` sets the default registry and `@scope:registry=` the registry of one scope;
//!   the `NPM_CONFIG_REGISTRY` (or `npm_config_registry`) variable overrides `registry=`;
//! - `//host/path/:_authToken=` gives a token sent as `Authorization: Bearer …`, and
//!   `//host/path/:_auth=` a base64 `user:password` sent as `Authorization: Basic …`, only on
//!   requests whose URL starts with that host and path (the longest matching prefix wins);
//! - `${VAR}` in a value is replaced with the variable (`${VAR?}` with the empty string when
//!   unset). A setting whose variable is unset is dropped with a warning
//!   ([`NpmRegistry::warnings`]) instead of failing every look-up.
//!
//! Not supported (warned about): `username` + `_password` pairs, bare `_authToken` without a
//! registry prefix (npm 9 rejects it too), client certificates. Keys inside `[sections]` are
//! ignored, as they are not top-level settings.
//!
//! # Unpublished packages
//! A package whose every version was unpublished answers with `time.unpublished` and no
//! `versions`; [`NpmRegistry::parse`] returns an empty list for it (not an error: the answer is
//! complete and says there is nothing to install), and [`parse_packument`] sets
//! [`Packument::unpublished`] so a caller can say why.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use nanoup_core::{Ecosystem, Release};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::cargo::registry::rfc3339_utc;
use crate::datasource::{Datasource, RegistryError, RegistryRequest};

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;

/// The public npm registry.
pub const NPM_REGISTRY: &str = "https://registry.npmjs.org/";

/// The longest package name npm accepts.
const MAX_NAME_LEN: usize = 214;

/// An npm registry (or several: one default and one per configured scope).
///
/// `Debug` never shows tokens.
#[derive(Clone)]
pub struct NpmRegistry {
    /// The default registry base URL, ending in `/`.
    registry: String,
    /// `@scope` → registry base URL ending in `/`.
    scopes: BTreeMap<String, String>,
    /// Credentials by scheme-less URL prefix (`//host/path/`), longest first.
    auth: Vec<Auth>,
    /// What could not be used from the configuration.
    warnings: Vec<String>,
}

/// One credential of `.npmrc`.
#[derive(Clone)]
struct Auth {
    /// `//host/path/`, host lowercased, ending in `/`.
    prefix: String,
    /// The `Authorization` header value.
    header: String,
}

impl fmt::Debug for NpmRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NpmRegistry")
            .field("registry", &self.registry)
            .field("scopes", &self.scopes)
            .field(
                "auth",
                &self
                    .auth
                    .iter()
                    .map(|a| format!("{} <redacted>", a.prefix))
                    .collect::<Vec<_>>(),
            )
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl Default for NpmRegistry {
    fn default() -> Self {
        NpmRegistry::npmjs()
    }
}

/// A packument, reduced to what nanoup uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Packument {
    /// The package name the registry gives (`name`).
    pub name: Option<String>,
    /// `dist-tags` (`latest`, `next`…), tag → version.
    pub dist_tags: BTreeMap<String, String>,
    /// Every version, in the document's order.
    pub versions: Vec<NpmVersion>,
    /// Whether the whole package was unpublished (`time.unpublished`).
    pub unpublished: bool,
}

/// One version of a packument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmVersion {
    /// The version.
    pub version: String,
    /// When it was published (`time[version]`), RFC 3339 UTC.
    pub published: Option<String>,
    /// Its deprecation message, when deprecated (an empty message means not deprecated).
    pub deprecated: Option<String>,
    /// `dist.integrity` (Subresource Integrity, usually `sha512-…`).
    pub integrity: Option<String>,
    /// `dist.shasum` (SHA-1 hex, older packages' only checksum).
    pub shasum: Option<String>,
    /// `dist.tarball`, the URL of the package's tarball.
    pub tarball: Option<String>,
}

impl NpmRegistry {
    /// The public registry, without credentials.
    pub fn npmjs() -> NpmRegistry {
        NpmRegistry {
            registry: NPM_REGISTRY.to_string(),
            scopes: BTreeMap::new(),
            auth: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// One registry at `url` for every package (`http` allowed, for mirrors and test servers),
    /// without credentials.
    pub fn at(url: &str) -> Result<NpmRegistry, RegistryError> {
        Ok(NpmRegistry {
            registry: base_url(url, "the given registry URL")?,
            ..NpmRegistry::npmjs()
        })
    }

    /// The registries and credentials configured for `project_dir`: its `.npmrc`, then the
    /// user's (`NPM_CONFIG_USERCONFIG`, else `$HOME/.npmrc`), then the environment as `env`
    /// answers it. Missing files are fine; an unreadable one is an error naming it.
    pub fn from_project(
        project_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<NpmRegistry, RegistryError> {
        let read = |path: PathBuf| -> Result<Option<(String, String)>, RegistryError> {
            if !path.is_file() {
                return Ok(None);
            }
            std::fs::read_to_string(&path)
                .map(|text| Some((path.display().to_string(), text)))
                .map_err(|e| {
                    RegistryError(format!(
                        "cannot read {}: {e}; check its permissions",
                        path.display()
                    ))
                })
        };
        let project = read(project_dir.join(".npmrc"))?;
        let user_path = env("NPM_CONFIG_USERCONFIG")
            .or_else(|| env("npm_config_userconfig"))
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                env("HOME")
                    .or_else(|| env("USERPROFILE"))
                    .filter(|h| !h.is_empty())
                    .map(|h| PathBuf::from(h).join(".npmrc"))
            });
        let user = match user_path {
            Some(path) if path != project_dir.join(".npmrc") => read(path)?,
            _ => None,
        };
        fn as_ref(f: &Option<(String, String)>) -> Option<(&str, &str)> {
            f.as_ref()
                .map(|(label, text)| (label.as_str(), text.as_str()))
        }
        NpmRegistry::from_npmrc(as_ref(&project), as_ref(&user), env)
    }

    /// The pure core of [`NpmRegistry::from_project`]: `project` and `user` are the
    /// `(label, text)` of the two `.npmrc` files, when present; `env` answers environment
    /// look-ups (for `${VAR}` and `NPM_CONFIG_REGISTRY`).
    pub fn from_npmrc(
        project: Option<(&str, &str)>,
        user: Option<(&str, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<NpmRegistry, RegistryError> {
        let mut settings: BTreeMap<String, Setting> = BTreeMap::new();
        let mut warnings = Vec::new();
        for (label, text) in [project, user].into_iter().flatten() {
            for setting in parse_npmrc(label, text, &env, &mut warnings) {
                settings.entry(setting.key.clone()).or_insert(setting);
            }
        }
        let mut registry = NpmRegistry::npmjs();
        let env_registry = env("NPM_CONFIG_REGISTRY")
            .or_else(|| env("npm_config_registry"))
            .filter(|v| !v.trim().is_empty());
        if let Some(url) = env_registry {
            registry.registry = base_url(&url, "NPM_CONFIG_REGISTRY")?;
        } else if let Some(s) = settings.get("registry") {
            registry.registry = base_url(&s.value, &s.place)?;
        }
        for s in settings.values() {
            if let Some(scope) = s.key.strip_suffix(":registry")
                && scope.starts_with('@')
                && scope.len() > 1
            {
                registry
                    .scopes
                    .insert(scope.to_string(), base_url(&s.value, &s.place)?);
            } else if s.key.starts_with("//") {
                let Some((prefix, field)) = s.key.rsplit_once(':') else {
                    continue;
                };
                let header = match field {
                    "_authToken" => format!("Bearer {}", s.value),
                    "_auth" => format!("Basic {}", s.value),
                    "username" | "_password" => {
                        warnings.push(format!(
                            "{}: username/_password credentials are not supported; use \
                             {prefix}:_authToken",
                            s.place
                        ));
                        continue;
                    }
                    _ => continue,
                };
                if s.value.trim().is_empty() {
                    continue;
                }
                registry.auth.push(Auth {
                    prefix: nerf_dart(prefix),
                    header,
                });
            } else if s.key == "_authToken" || s.key == "_auth" {
                warnings.push(format!(
                    "{}: a bare {} applies to no registry; write it as \
                     //registry.host/path/:{}=…",
                    s.place, s.key, s.key
                ));
            }
        }
        registry.auth.sort_by(|a, b| {
            b.prefix
                .len()
                .cmp(&a.prefix.len())
                .then(a.prefix.cmp(&b.prefix))
        });
        registry.warnings = warnings;
        Ok(registry)
    }

    /// The registry base URL (ending in `/`) that serves `name` (its scope's, else the default).
    pub fn registry_for(&self, name: &str) -> &str {
        name.split_once('/')
            .filter(|(scope, _)| scope.starts_with('@'))
            .and_then(|(scope, _)| self.scopes.get(scope))
            .unwrap_or(&self.registry)
    }

    /// What could not be used from the configuration (unset variables, unsupported keys).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The `Authorization` header value for a request to `url`, from the credential with the
    /// longest matching `//host/path/` prefix, if any.
    fn authorization(&self, url: &str) -> Option<&str> {
        let rest = url
            .strip_prefix("https:")
            .or_else(|| url.strip_prefix("http:"))?;
        let target = nerf_dart(rest);
        self.auth
            .iter()
            .find(|a| target.starts_with(&a.prefix))
            .map(|a| a.header.as_str())
    }
}

impl Datasource for NpmRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Npm
    }

    fn request(&self, name: &str) -> Result<RegistryRequest, RegistryError> {
        let url = format!("{}{}", self.registry_for(name), packument_path(name)?);
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if let Some(auth) = self.authorization(&url) {
            headers.push(("Authorization".to_string(), auth.to_string()));
        }
        Ok(RegistryRequest { url, headers })
    }

    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<Release>, RegistryError> {
        Ok(parse_packument(name, body)?
            .versions
            .into_iter()
            .map(|v| Release {
                version: v.version,
                published: v.published,
                yanked: false,
                deprecated: v.deprecated,
                requires_python: None,
            })
            .collect())
    }
}

/// The path of `name`'s packument under a registry: the name itself, with a scoped name's `/`
/// encoded (`@babel/core` → `@babel%2fcore`).
///
/// Errors on names npm could not have published (empty, longer than 214 bytes, starting with
/// `.`, with characters outside `A-Z a-z 0-9 - . _ ~ ! * ' ( )`, or with a malformed scope), so
/// that no name can leave the registry's path.
pub fn packument_path(name: &str) -> Result<String, RegistryError> {
    let bad =
        |why: &str| RegistryError(format!("{name:?} is not a valid npm package name ({why})"));
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(bad("expected 1 to 214 characters"));
    }
    let part_ok = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~!*'()".contains(&b))
    };
    match name.strip_prefix('@') {
        Some(scoped) => {
            let Some((scope, package)) = scoped.split_once('/') else {
                return Err(bad("a scoped name is @scope/name"));
            };
            if !part_ok(scope) || !part_ok(package) {
                return Err(bad("expected URL-safe characters in scope and name"));
            }
            Ok(format!("@{scope}%2f{package}"))
        }
        None if part_ok(name) => Ok(name.to_string()),
        None => Err(bad("expected URL-safe characters, not starting with `.`")),
    }
}

/// Reads a packument (the full document) of `name`.
///
/// Errors when the body is not a JSON object, is cut short, names another package, carries a
/// registry `error` instead of versions, or has no `versions` without being unpublished.
pub fn parse_packument(name: &str, body: &[u8]) -> Result<Packument, RegistryError> {
    let raw: RawPackument<'_> = serde_json::from_slice(body).map_err(|e| {
        RegistryError(format!(
            "npm packument of {name:?}: {e} (expected a JSON object with `versions` and `time`; \
             the response may be truncated, try again)"
        ))
    })?;
    if let Some(found) = raw.name.0.as_deref()
        && found != name
    {
        return Err(RegistryError(format!(
            "npm packument of {name:?} is for package {found:?}; the registry served the wrong \
             document"
        )));
    }
    let time: HashMap<&str, Option<&str>> = raw
        .time
        .as_ref()
        .map(|t| {
            t.0.iter()
                .map(|(k, v)| (k.as_ref(), v.0.as_deref()))
                .collect()
        })
        .unwrap_or_default();
    let unpublished = time.contains_key("unpublished");
    let Some(versions) = raw.versions else {
        if unpublished {
            return Ok(Packument {
                name: raw.name.0.map(Cow::into_owned),
                unpublished: true,
                ..Packument::default()
            });
        }
        let why = match raw.error.0 {
            Some(error) => format!("the registry answered {error:?}"),
            None => "it has no `versions`".to_string(),
        };
        return Err(RegistryError(format!(
            "npm packument of {name:?} lists no versions: {why}"
        )));
    };
    let versions = versions
        .0
        .into_iter()
        .map(|(version, meta)| {
            let published = time
                .get(version.as_ref())
                .copied()
                .flatten()
                .and_then(rfc3339_utc);
            let dist = meta.dist.unwrap_or_default();
            NpmVersion {
                published,
                deprecated: meta.deprecated.owned().filter(|m| !m.is_empty()),
                integrity: dist.integrity.owned(),
                shasum: dist.shasum.owned(),
                tarball: dist.tarball.owned(),
                version: version.into_owned(),
            }
        })
        .collect();
    let dist_tags = raw
        .dist_tags
        .map(|tags| {
            tags.0
                .into_iter()
                .filter_map(|(tag, v)| Some((tag.into_owned(), v.owned()?)))
                .collect()
        })
        .unwrap_or_default();
    Ok(Packument {
        name: raw.name.0.map(Cow::into_owned),
        dist_tags,
        versions,
        unpublished,
    })
}

/// The top level of a packument; every other field is skipped unbuilt.
#[derive(Deserialize)]
struct RawPackument<'a> {
    #[serde(borrow, default)]
    name: LenientStr<'a>,
    #[serde(borrow, default)]
    error: LenientStr<'a>,
    #[serde(borrow, default, rename = "dist-tags")]
    dist_tags: Option<Entries<'a, LenientStr<'a>>>,
    #[serde(borrow, default)]
    versions: Option<Entries<'a, RawVersion<'a>>>,
    #[serde(borrow, default)]
    time: Option<Entries<'a, LenientStr<'a>>>,
}

/// One entry of `versions`.
#[derive(Deserialize)]
struct RawVersion<'a> {
    #[serde(borrow, default)]
    deprecated: LenientStr<'a>,
    #[serde(borrow, default)]
    dist: Option<RawDist<'a>>,
}

/// A version's `dist`.
#[derive(Deserialize, Default)]
struct RawDist<'a> {
    #[serde(borrow, default)]
    integrity: LenientStr<'a>,
    #[serde(borrow, default)]
    shasum: LenientStr<'a>,
    #[serde(borrow, default)]
    tarball: LenientStr<'a>,
}

/// A string borrowed from the body when it has no escapes; any other JSON value (an object such
/// as `time.unpublished`, a number, `null`) is skipped and reads as `None`.
#[derive(Default)]
struct LenientStr<'a>(Option<Cow<'a, str>>);

impl LenientStr<'_> {
    fn owned(self) -> Option<String> {
        self.0.map(Cow::into_owned)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = LenientStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(LenientStr(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LenientStr(None))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                LenientStr::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LenientStr(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(LenientStr(None))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// A JSON object read as its entries in document order, keys borrowed when unescaped.
struct Entries<'a, T>(Vec<(Cow<'a, str>, T)>);

/// A map key, borrowed when unescaped.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V(PhantomData))
    }
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Entries<'a, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a, T>(PhantomData<(&'a (), T)>);
        impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for V<'a, T> {
            type Value = Entries<'a, T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some((key, value)) = map.next_entry::<Key<'a>, T>()? {
                    entries.push((key.0, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(V(PhantomData))
    }
}

/// One `key=value` setting of an `.npmrc`, expanded.
#[derive(Debug, Clone)]
struct Setting {
    key: String,
    value: String,
    /// `file:line`, for messages.
    place: String,
}

/// The top-level settings of one `.npmrc` text, with `${VAR}` expanded. Settings whose
/// variables are unset are left out, with a warning.
fn parse_npmrc(
    label: &str,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Vec<Setting> {
    let mut settings = Vec::new();
    let mut in_section = false;
    for (i, line) in text.lines().enumerate() {
        let place = format!("{label}:{}", i + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            in_section = true;
            continue;
        }
        if in_section {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), unquote(value.trim()));
        let (key, value) = match (expand(key, env), expand(value, env)) {
            (Ok(k), Ok(v)) => (k, v),
            (Err(var), _) | (_, Err(var)) => {
                warnings.push(format!(
                    "{place}: ${{{var}}} is not set, so `{key}` is ignored; set {var} to use it"
                ));
                continue;
            }
        };
        if key.is_empty() {
            continue;
        }
        settings.push(Setting { key, value, place });
    }
    settings
}

/// A value without its surrounding quotes (`"…"` or `'…'`).
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(q).and_then(|v| v.strip_suffix(q)) {
            return inner;
        }
    }
    value
}

/// `text` with `${VAR}` replaced by the variable (`${VAR?}`: empty when unset) and `\${`
/// kept literally; `Err(VAR)` names the first unset variable.
fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        if rest[..start].ends_with('\\') {
            out.push_str(&rest[..start - 1]);
            out.push_str("${");
            rest = &rest[start + 2..];
            continue;
        }
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + 2 + len];
        let (var, optional) = match inner.strip_suffix('?') {
            Some(var) => (var, true),
            None => (inner, false),
        };
        match env(var) {
            Some(value) => out.push_str(&value),
            None if optional => {}
            None => return Err(var.to_string()),
        }
        rest = &rest[start + 2 + len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A registry base URL ending in `/`, checked to be http(s).
fn base_url(url: &str, place: &str) -> Result<String, RegistryError> {
    let url = url.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if !ok {
        return Err(RegistryError(format!(
            "{place}: {url:?} is not a registry URL (expected https://host/path/)"
        )));
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// The scheme-less `//host/path/` form of a registry prefix or of a request URL without its
/// scheme, with the host lowercased and a trailing `/` (a prefix `//host/path` means the
/// directory `//host/path/`; on a request URL the extra `/` changes no prefix match).
fn nerf_dart(url: &str) -> String {
    let rest = url.strip_prefix("//").unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut out = format!("//{}/{path}", host.to_ascii_lowercase());
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// One version's manifest as a packument gives it (`versions[version]`): what an npm lockfile
/// entry records about an installed package, for editing the entry in place.
///
/// Raw fields (`engines`, `bin`, …) are kept as the registry wrote them; normalising them the
/// way npm writes a lockfile is the editor's job (`npm::edit`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VersionManifest {
    /// The package name (the packument's, else the one asked for).
    pub name: String,
    /// The version.
    pub version: String,
    /// `dependencies`, name → range, in the document's order (non-string ranges left out).
    pub dependencies: Vec<(String, String)>,
    /// `optionalDependencies`, name → range.
    pub optional_dependencies: Vec<(String, String)>,
    /// `peerDependencies`, name → range.
    pub peer_dependencies: Vec<(String, String)>,
    /// `peerDependenciesMeta` as written (`{"name": {"optional": true}}`).
    pub peer_dependencies_meta: Option<serde_json::Value>,
    /// The names of `bundleDependencies` / `bundledDependencies` (`true` means all
    /// dependencies).
    pub bundle_dependencies: Vec<String>,
    /// `engines` as written.
    pub engines: Option<serde_json::Value>,
    /// `os` as written.
    pub os: Option<serde_json::Value>,
    /// `cpu` as written.
    pub cpu: Option<serde_json::Value>,
    /// `libc` as written.
    pub libc: Option<serde_json::Value>,
    /// `acceptDependencies` as written (extra ranges npm accepts for dependencies).
    pub accept_dependencies: Option<serde_json::Value>,
    /// `bin` as written (a string or an object).
    pub bin: Option<serde_json::Value>,
    /// `funding` as written.
    pub funding: Option<serde_json::Value>,
    /// `license` as written (a string, or a legacy `{type, url}` object).
    pub license: Option<serde_json::Value>,
    /// The deprecation message, when deprecated (an empty message means not deprecated).
    pub deprecated: Option<String>,
    /// `hasInstallScript` (or a `preinstall`/`install`/`postinstall` script in `scripts`).
    pub has_install_script: bool,
    /// `_hasShrinkwrap`: the tarball carries an `npm-shrinkwrap.json`.
    pub has_shrinkwrap: bool,
    /// `dist.integrity`.
    pub integrity: Option<String>,
    /// `dist.shasum` (SHA-1 hex).
    pub shasum: Option<String>,
    /// `dist.tarball`.
    pub tarball: Option<String>,
}

/// Reads the manifest of one `version` of `name` from a full packument `body`.
///
/// Only that version's object is built; the rest of the document is skipped. Errors when the
/// body is not a JSON object, names another package, or has no such version.
pub fn version_manifest(
    name: &str,
    body: &[u8],
    version: &str,
) -> Result<VersionManifest, RegistryError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let found =
        de::Deserializer::deserialize_map(&mut de, OneVersion { version }).map_err(|e| {
            RegistryError(format!(
                "npm packument of {name:?}: {e} (expected a JSON object with `versions`; the \
             response may be truncated, try again)"
            ))
        })?;
    if let Some(found_name) = found.name.as_deref()
        && found_name != name
    {
        return Err(RegistryError(format!(
            "npm packument of {name:?} is for package {found_name:?}; the registry served the \
             wrong document"
        )));
    }
    let Some(serde_json::Value::Object(doc)) = found.manifest else {
        return Err(RegistryError(format!(
            "npm packument of {name:?} has no version {version:?}; re-plan against the \
             registry's current versions"
        )));
    };
    let string = |key: &str| doc.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let present = |key: &str| doc.get(key).filter(|v| !v.is_null()).cloned();
    let map = |key: &str| -> Vec<(String, String)> {
        doc.get(key)
            .and_then(|v| v.as_object())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let dependencies = map("dependencies");
    let bundle = doc
        .get("bundleDependencies")
        .or_else(|| doc.get("bundledDependencies"));
    let bundle_dependencies = match bundle {
        Some(serde_json::Value::Bool(true)) => {
            dependencies.iter().map(|(n, _)| n.clone()).collect()
        }
        Some(serde_json::Value::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let dist = doc.get("dist");
    let dist_str = |key: &str| {
        dist.and_then(|d| d.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Ok(VersionManifest {
        name: string("name").unwrap_or_else(|| name.to_string()),
        version: string("version").unwrap_or_else(|| version.to_string()),
        optional_dependencies: map("optionalDependencies"),
        peer_dependencies: map("peerDependencies"),
        peer_dependencies_meta: present("peerDependenciesMeta"),
        bundle_dependencies,
        dependencies,
        engines: present("engines"),
        os: present("os"),
        cpu: present("cpu"),
        libc: present("libc"),
        accept_dependencies: present("acceptDependencies"),
        bin: present("bin"),
        funding: present("funding"),
        license: present("license"),
        deprecated: string("deprecated").filter(|m| !m.is_empty()),
        has_install_script: doc
            .get("hasInstallScript")
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
            || doc
                .get("scripts")
                .and_then(|s| s.as_object())
                .is_some_and(|s| {
                    ["preinstall", "install", "postinstall"]
                        .iter()
                        .any(|k| s.contains_key(*k))
                }),
        has_shrinkwrap: doc
            .get("_hasShrinkwrap")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        integrity: dist_str("integrity"),
        shasum: dist_str("shasum"),
        tarball: dist_str("tarball"),
    })
}

/// What [`version_manifest`] reads from the top level of a packument.
struct FoundVersion {
    name: Option<String>,
    manifest: Option<serde_json::Value>,
}

/// Visits the top level of a packument, building only `name` and `versions[version]`.
struct OneVersion<'v> {
    version: &'v str,
}

impl<'de> Visitor<'de> for OneVersion<'_> {
    type Value = FoundVersion;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a packument object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = FoundVersion {
            name: None,
            manifest: None,
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "name" => found.name = map.next_value::<LenientStr<'de>>()?.owned(),
                "versions" => {
                    found.manifest = map.next_value_seed(VersionSeed {
                        version: self.version,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// Reads the `versions` object, building only the entry of `version`.
struct VersionSeed<'v> {
    version: &'v str,
}

impl<'de> de::DeserializeSeed<'de> for VersionSeed<'_> {
    type Value = Option<serde_json::Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for VersionSeed<'_> {
    type Value = Option<serde_json::Value>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a `versions` object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if key.0 == self.version {
                found = Some(map.next_value::<serde_json::Value>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// The ranges every version of a packument declares on other packages (`dependencies`,
/// `optionalDependencies`, `peerDependencies`), by version: what a parent bump reads to find a
/// release of a dependent that accepts a fixed version. Read in one pass over the body.
pub fn dependency_ranges(
    name: &str,
    body: &[u8],
) -> Result<BTreeMap<String, Vec<(String, String)>>, RegistryError> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        versions: BTreeMap<String, VersionDeps>,
    }
    // Old releases may write a map as something else (mime 1.0.0: `"dependencies": []`):
    // anything but an object declares nothing.
    #[derive(serde::Deserialize)]
    struct VersionDeps {
        #[serde(default)]
        dependencies: Option<serde_json::Value>,
        #[serde(default, rename = "optionalDependencies")]
        optional_dependencies: Option<serde_json::Value>,
        #[serde(default, rename = "peerDependencies")]
        peer_dependencies: Option<serde_json::Value>,
    }
    let parsed: Body = serde_json::from_slice(body).map_err(|e| {
        RegistryError(format!(
            "npm packument of {name:?}: {e} (expected a JSON object with `versions`; the \
             response may be truncated, try again)"
        ))
    })?;
    Ok(parsed
        .versions
        .into_iter()
        .map(|(version, deps)| {
            let ranges = [
                deps.dependencies,
                deps.optional_dependencies,
                deps.peer_dependencies,
            ]
            .into_iter()
            .flatten()
            .filter_map(|map| match map {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            })
            .flatten()
            .filter_map(|(dep, range)| Some((dep, range.as_str()?.to_string())))
            .collect();
            (version, ranges)
        })
        .collect())
}
