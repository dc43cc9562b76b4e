//! The Cargo datasource: a registry's sparse index (`https://index.crates.io/` by default).
//!
//! A sparse index serves one file per crate at a path derived from its name (`1/a`, `2/ab`,
//! `3/a/abc`, `se/rd/serde`, lowercased); the file holds one JSON object per line, one per
//! published version, oldest first: `name`, `vers`, `yanked`, `cksum`, `rust_version` (when
//! declared) and `pubtime` (only on entries published since crates.io started recording it; on
//! older ones [`Release::published`] is `None`).
//!
//! # Which registry
//! [`CargoRegistry::from_config`] reads Cargo's configuration the way Cargo does, closest file
//! first: `.cargo/config.toml` (or the legacy `.cargo/config`) in the project directory and each
//! of its ancestors, then `$CARGO_HOME/config.toml` and `$CARGO_HOME/credentials.toml`
//! (`CARGO_HOME` defaults to `~/.cargo`). Environment variables override the files.
//!
//! Supported:
//! - source replacement of crates.io: `[source.crates-io] replace-with = "x"` followed through
//!   any chain of `replace-with`, ending at `[source.x] registry = "sparse+https://…"` or at a
//!   named registry `[registries.x] index = "sparse+https://…"`;
//! - named registries from `[registries.<name>] index` or `CARGO_REGISTRIES_<NAME>_INDEX`
//!   (sparse only), with their token from `[registries.<name>] token` or
//!   `CARGO_REGISTRIES_<NAME>_TOKEN`, sent as the `Authorization` header to that registry only;
//! - packages that Cargo.lock records from another registry: [`CargoRegistry::for_lock_source`]
//!   maps a `sparse+URL` source (or a `registry+URL` source that the configuration replaces
//!   with a sparse registry) to that registry, with the token of the named registry whose index
//!   it is.
//!
//! Not supported, with an error naming the source and the file that configures it: git indexes
//! (`registry = "https://…"` without `sparse+`, except crates.io's own git index, which is read
//! through its sparse twin), `local-registry`, `directory` and `git` sources, and credential
//! providers (`credential-provider`). crates.io's own token (`[registry] token`,
//! `CARGO_REGISTRY_TOKEN`) is a publishing credential that its index does not need: it is never
//! sent.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nanoup_core::{Ecosystem, Release};
use serde::Deserialize;
use toml_edit::{Item, TableLike};

use crate::datasource::{Datasource, RegistryError, RegistryRequest};

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;

/// The sparse index of crates.io.
pub const CRATES_IO_INDEX: &str = "https://index.crates.io/";

/// The git index of crates.io, as Cargo.lock and source definitions name it.
pub const CRATES_IO_GIT_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

/// The label of crates.io in messages and in Cargo's configuration (`[source.crates-io]`).
const CRATES_IO: &str = "crates-io";

/// The longest `replace-with` chain followed before giving up (Cargo forbids cycles too).
const MAX_REPLACEMENTS: usize = 16;

/// A Cargo registry read through its sparse index.
///
/// Build one with [`CargoRegistry::crates_io`], [`CargoRegistry::sparse`] or from the project's
/// configuration with [`CargoRegistry::from_config`]; it then answers for the crates that
/// Cargo.lock records from crates.io (after source replacement). `Debug` never shows the token.
#[derive(Clone)]
pub struct CargoRegistry {
    /// The registry's name in messages (`crates-io`, or the configured name).
    label: String,
    /// The index base URL, `http(s)://…/`, without `sparse+`.
    index: String,
    /// The `Authorization` header value, when the registry has a token.
    token: Option<String>,
    /// The configuration it came from, to map Cargo.lock sources of other registries.
    config: CargoConfig,
}

impl std::fmt::Debug for CargoRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CargoRegistry")
            .field("label", &self.label)
            .field("index", &self.index)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Default for CargoRegistry {
    fn default() -> Self {
        CargoRegistry::crates_io()
    }
}

/// One line of a sparse index file: a published version of a crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The crate's name as published.
    pub name: String,
    /// The version (`vers`).
    pub version: String,
    /// Whether the version is yanked.
    pub yanked: bool,
    /// The SHA-256 of the `.crate` file, hex (`cksum`).
    pub cksum: Option<String>,
    /// The minimum supported Rust version it declares (`rust_version`).
    pub rust_version: Option<String>,
    /// When it was published (`pubtime`), RFC 3339 UTC; `None` on entries older than the field.
    pub published: Option<String>,
}

impl CargoRegistry {
    /// crates.io, through its sparse index, without a token.
    pub fn crates_io() -> CargoRegistry {
        CargoRegistry {
            label: CRATES_IO.to_string(),
            index: CRATES_IO_INDEX.to_string(),
            token: None,
            config: CargoConfig::default(),
        }
    }

    /// A sparse registry at `index_url` (`sparse+` prefix optional; `http` is allowed for local
    /// mirrors and test servers), named `label` in messages, sending `token` as the
    /// `Authorization` header when given.
    pub fn sparse(
        label: &str,
        index_url: &str,
        token: Option<String>,
    ) -> Result<CargoRegistry, RegistryError> {
        Ok(CargoRegistry {
            label: label.to_string(),
            index: sparse_base(index_url, label, "the given index URL")?,
            token: token.filter(|t| !t.trim().is_empty()),
            config: CargoConfig::default(),
        })
    }

    /// The registry that serves crates.io's packages for the project in `project_dir`, from
    /// Cargo's configuration files (see the module documentation) and the environment as
    /// returned by `env` (`CARGO_HOME`, `HOME`, `CARGO_REGISTRIES_<NAME>_INDEX` / `_TOKEN` for
    /// the registry names the files mention).
    ///
    /// Missing files are fine; a file that cannot be read or parsed is an error naming it.
    pub fn from_config(
        project_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<CargoRegistry, RegistryError> {
        let files = read_config_files(project_dir, &env)?;
        let texts: Vec<(&str, &str)> = files
            .iter()
            .map(|(label, text)| (label.as_str(), text.as_str()))
            .collect();
        CargoRegistry::from_config_texts(&texts, env, &[])
    }

    /// [`CargoRegistry::from_config`] with the process environment, also picking up registries
    /// defined only there (`CARGO_REGISTRIES_<NAME>_INDEX` with no configuration file entry).
    pub fn from_environment(project_dir: &Path) -> Result<CargoRegistry, RegistryError> {
        let env = |key: &str| std::env::var(key).ok();
        let files = read_config_files(project_dir, &env)?;
        let texts: Vec<(&str, &str)> = files
            .iter()
            .map(|(label, text)| (label.as_str(), text.as_str()))
            .collect();
        let env_names: Vec<String> = std::env::vars_os()
            .filter_map(|(key, _)| {
                let key = key.to_str()?;
                let rest = key.strip_prefix("CARGO_REGISTRIES_")?;
                rest.strip_suffix("_INDEX").map(str::to_string)
            })
            .collect();
        let names: Vec<&str> = env_names.iter().map(String::as_str).collect();
        CargoRegistry::from_config_texts(&texts, env, &names)
    }

    /// The pure core of [`CargoRegistry::from_config`]: `files` are `(label, text)` pairs of
    /// configuration files, closest (highest priority) first; `env` answers environment
    /// look-ups; `env_registry_names` names registries defined only in the environment (in
    /// the `CARGO_REGISTRIES_<NAME>_INDEX` form, e.g. `MY_REG`).
    pub fn from_config_texts(
        files: &[(&str, &str)],
        env: impl Fn(&str) -> Option<String>,
        env_registry_names: &[&str],
    ) -> Result<CargoRegistry, RegistryError> {
        let mut config = CargoConfig::default();
        for (label, text) in files {
            config.merge_file(label, text)?;
        }
        config.apply_env(&env, env_registry_names);
        let (label, index, token) = config.resolve_source(CRATES_IO, "Cargo's configuration")?;
        Ok(CargoRegistry {
            label,
            index,
            token,
            config,
        })
    }

    /// The registry's name in messages (`crates-io` or the configured name).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The index base URL (without `sparse+`, ending in `/`).
    pub fn index_url(&self) -> &str {
        &self.index
    }

    /// Whether requests carry an `Authorization` header.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The registry that serves a package whose Cargo.lock `source` is given (the component's
    /// `registry` extra), under the same configuration.
    ///
    /// crates.io's own sources give `self` (with source replacement applied); `sparse+URL`
    /// gives that index with the token of the configured registry whose index it is;
    /// `registry+URL` (a git index) works only when the configuration replaces it with a
    /// sparse registry. `git+` and path sources are not registries: an error says so.
    pub fn for_lock_source(&self, source: &str) -> Result<CargoRegistry, RegistryError> {
        let source = source.trim();
        let crates_io_sparse = source
            .strip_prefix("sparse+")
            .is_some_and(|url| same_url(url, CRATES_IO_INDEX));
        let crates_io_git = source
            .strip_prefix("registry+")
            .is_some_and(|url| same_url(url, CRATES_IO_GIT_INDEX));
        if crates_io_sparse || crates_io_git {
            return Ok(self.clone());
        }
        if let Some(url) = source.strip_prefix("sparse+") {
            let index = sparse_base(source, url, "Cargo.lock")?;
            let named = self.config.registry_by_index(&index);
            return Ok(CargoRegistry {
                label: named.map_or_else(|| index.clone(), |r| r.name.clone()),
                token: named.and_then(|r| r.token.clone()),
                index,
                config: self.config.clone(),
            });
        }
        if let Some(url) = source.strip_prefix("registry+") {
            if let Some(name) = self.config.source_with_registry(url) {
                let (label, index, token) = self.config.resolve_source(&name, "Cargo.lock")?;
                return Ok(CargoRegistry {
                    label,
                    index,
                    token,
                    config: self.config.clone(),
                });
            }
            return Err(RegistryError(format!(
                "Cargo.lock source {source} is a git index, which nanoup does not read; if the \
                 registry offers a sparse index, replace it in .cargo/config.toml \
                 ([source.x] registry = \"{url}\", replace-with = \"y\"; [source.y] registry = \
                 \"sparse+https://…\")"
            )));
        }
        Err(RegistryError(format!(
            "Cargo.lock source {source} is not a registry (git and path packages have no \
             registry releases to compare with)"
        )))
    }
}

impl Datasource for CargoRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Cargo
    }

    fn request(&self, name: &str) -> Result<RegistryRequest, RegistryError> {
        let path = index_path(name)?;
        let mut headers = Vec::new();
        if let Some(token) = &self.token {
            headers.push(("Authorization".to_string(), token.clone()));
        }
        Ok(RegistryRequest {
            url: format!("{}{path}", self.index),
            headers,
        })
    }

    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<Release>, RegistryError> {
        Ok(parse_index(name, body)?
            .into_iter()
            .map(|e| Release {
                version: e.version,
                published: e.published,
                yanked: e.yanked,
                deprecated: None,
                requires_python: None,
            })
            .collect())
    }
}

/// The path of `name`'s file in a sparse index, per Cargo's rules: `1/a`, `2/ab`, `3/a/abc`,
/// and `ab/cd/abcd…` for longer names, lowercased.
///
/// Errors on names that cannot be crate names (empty, longer than 64 bytes, or with characters
/// other than ASCII letters, digits, `-` and `_`), so that no name can escape the index.
pub fn index_path(name: &str) -> Result<String, RegistryError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(RegistryError(format!(
            "{name:?} is not a valid crate name (expected 1 to 64 ASCII letters, digits, `-` or `_`)"
        )));
    }
    let lower = name.to_ascii_lowercase();
    // All bytes are ASCII, so byte slicing is on character boundaries.
    Ok(match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    })
}

/// One index line, borrowing from the body where it can; unknown fields (`deps`, `features`,
/// `v`…) are skipped without being built.
#[derive(Deserialize)]
struct RawEntry<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    vers: Cow<'a, str>,
    #[serde(default)]
    yanked: bool,
    #[serde(borrow, default)]
    cksum: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    rust_version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pubtime: Option<Cow<'a, str>>,
}

/// The non-blank lines of an index file with their 1-based numbers (a trailing `\r` dropped).
fn index_lines(body: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.strip_suffix(b"\r").unwrap_or(line)))
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
}

/// Reads `name`'s sparse index file: one JSON object per line, in the index's order.
///
/// Blank lines (a trailing newline) are skipped. A line that is not a valid entry, or that
/// names another crate, is an error naming the line number; an empty file is an error too
/// (an index serves no file for a crate without versions).
pub fn parse_index(name: &str, body: &[u8]) -> Result<Vec<IndexEntry>, RegistryError> {
    let mut entries = Vec::new();
    for (number, line) in index_lines(body) {
        let raw: RawEntry<'_> = serde_json::from_slice(line).map_err(|e| {
            RegistryError(format!(
                "index file of crate {name:?}, line {number}: {e} (expected one JSON object per \
                 line with name, vers, yanked and cksum; the response may be truncated, try again)"
            ))
        })?;
        if !raw.name.eq_ignore_ascii_case(name) {
            return Err(RegistryError(format!(
                "index file of crate {name:?}, line {number}: the entry is for crate {:?}; the \
                 registry served the wrong file",
                raw.name
            )));
        }
        entries.push(IndexEntry {
            name: raw.name.into_owned(),
            version: raw.vers.into_owned(),
            yanked: raw.yanked,
            cksum: raw.cksum.map(Cow::into_owned),
            rust_version: raw.rust_version.map(Cow::into_owned),
            published: raw.pubtime.as_deref().and_then(rfc3339_utc),
        });
    }
    if entries.is_empty() {
        return Err(RegistryError(format!(
            "index file of crate {name:?} is empty (expected one JSON line per version)"
        )));
    }
    Ok(entries)
}

/// A published version of a crate with what it depends on: what resolver-aware planning reads to
/// know which versions a dependent accepts and what a new release needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRelease {
    /// The version (`vers`).
    pub version: String,
    /// Whether the version is yanked.
    pub yanked: bool,
    /// When it was published (`pubtime`), RFC 3339 UTC, when the index says.
    pub published: Option<String>,
    /// Its dependencies, dev-dependencies left out (Cargo never resolves a registry crate's).
    pub deps: Vec<IndexDep>,
    /// The features it offers: its `features` and `features2` tables' keys and its optional
    /// dependencies (a dependent asking for a feature a release lacks cannot use that release).
    pub features: Vec<String>,
}

/// One dependency of an [`IndexRelease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDep {
    /// The crate depended on (the `package` of a renamed dependency, else its `name`).
    pub package: String,
    /// The version requirement (`req`).
    pub req: String,
    /// Only with a feature enabled (`optional`).
    pub optional: bool,
    /// Only on a target (`target`, a triple or a `cfg(...)`).
    pub target: Option<String>,
    /// The features it enables on the crate depended on (`features`).
    pub features: Vec<String>,
}

#[derive(Deserialize)]
struct RawRelease {
    vers: String,
    #[serde(default)]
    yanked: bool,
    #[serde(default)]
    deps: Vec<RawDep>,
    #[serde(default)]
    pubtime: Option<String>,
    #[serde(default)]
    features: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    features2: std::collections::BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawDep {
    name: String,
    req: String,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    features: Vec<String>,
}

/// Reads `name`'s sparse index file with each version's dependencies (see [`parse_index`] for
/// the file's shape and errors; this reads the `deps` it skips).
pub fn parse_index_releases(name: &str, body: &[u8]) -> Result<Vec<IndexRelease>, RegistryError> {
    let mut out = Vec::new();
    for (number, line) in index_lines(body) {
        let raw: RawRelease = serde_json::from_slice(line).map_err(|e| {
            RegistryError(format!(
                "index file of crate {name:?}, line {number}: {e} (expected one JSON object per \
                 line with vers and deps; the response may be truncated, try again)"
            ))
        })?;
        let features = (raw.features.keys().chain(raw.features2.keys()))
            .chain(raw.deps.iter().filter(|d| d.optional).map(|d| &d.name))
            .cloned()
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect();
        out.push(IndexRelease {
            version: raw.vers,
            yanked: raw.yanked,
            published: raw.pubtime.as_deref().and_then(rfc3339_utc),
            deps: raw
                .deps
                .into_iter()
                .filter(|d| d.kind.as_deref() != Some("dev"))
                .map(|d| IndexDep {
                    package: d.package.unwrap_or(d.name),
                    req: d.req,
                    optional: d.optional,
                    target: d.target,
                    features: d.features,
                })
                .collect(),
            features,
        });
    }
    if out.is_empty() {
        return Err(RegistryError(format!(
            "index file of crate {name:?} is empty (expected one JSON line per version)"
        )));
    }
    Ok(out)
}

/// A timestamp as RFC 3339 in UTC (`2021-01-08T17:34:20Z`, fractional seconds kept when not
/// zero), or `None` when `text` is not an RFC 3339 / ISO 8601 instant with an offset.
pub(crate) fn rfc3339_utc(text: &str) -> Option<String> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.to_string())
}

/// A named registry of the configuration.
#[derive(Debug, Clone, Default)]
struct RegistryDef {
    /// The name as first written (config key, or the env form for env-only registries).
    name: String,
    /// `index`, as written (`sparse+…` or a git URL), and the file or variable that set it.
    index: Option<(String, String)>,
    /// `token`.
    token: Option<String>,
}

/// A `[source.<name>]` definition.
#[derive(Debug, Clone, Default)]
struct SourceDef {
    /// The file that defined it (the closest one, when several did).
    file: String,
    /// `replace-with`.
    replace_with: Option<String>,
    /// `registry`.
    registry: Option<String>,
    /// The kind and value of an unsupported definition (`local-registry`, `directory`, `git`).
    unsupported: Option<(&'static str, String)>,
}

/// Cargo's registry configuration, merged from files (closest first) and the environment.
#[derive(Debug, Clone, Default)]
struct CargoConfig {
    /// Named registries, keyed by their environment form (`MY_REG` for `my-reg`).
    registries: BTreeMap<String, RegistryDef>,
    /// Source definitions, keyed by name.
    sources: BTreeMap<String, SourceDef>,
}

/// The environment form of a registry name, as in `CARGO_REGISTRIES_<NAME>_INDEX`.
fn env_key(name: &str) -> String {
    name.to_ascii_uppercase().replace(['-', '.'], "_")
}

fn str_at<'t>(table: &'t dyn TableLike, key: &str) -> Option<&'t str> {
    table.get(key).and_then(Item::as_str)
}

impl CargoConfig {
    /// Adds the settings of one file; settings already present (from closer files) win.
    fn merge_file(&mut self, label: &str, text: &str) -> Result<(), RegistryError> {
        let doc = crate::toml_spans::parse(label, text).map_err(|e| {
            RegistryError(format!(
                "cannot read Cargo configuration: {e}; fix the file"
            ))
        })?;
        let root = doc.as_table();
        if let Some(registries) = root.get("registries").and_then(Item::as_table_like) {
            for (name, item) in registries.iter() {
                let Some(table) = item.as_table_like() else {
                    continue;
                };
                let def = self
                    .registries
                    .entry(env_key(name))
                    .or_insert_with(|| RegistryDef {
                        name: name.to_string(),
                        ..RegistryDef::default()
                    });
                if def.index.is_none()
                    && let Some(index) = str_at(table, "index")
                {
                    def.index = Some((index.to_string(), label.to_string()));
                }
                if def.token.is_none() {
                    def.token = str_at(table, "token").map(str::to_string);
                }
            }
        }
        if let Some(sources) = root.get("source").and_then(Item::as_table_like) {
            for (name, item) in sources.iter() {
                let Some(table) = item.as_table_like() else {
                    continue;
                };
                let def = self
                    .sources
                    .entry(name.to_string())
                    .or_insert_with(|| SourceDef {
                        file: label.to_string(),
                        ..SourceDef::default()
                    });
                if def.replace_with.is_none() {
                    def.replace_with = str_at(table, "replace-with").map(str::to_string);
                }
                if def.registry.is_none() {
                    def.registry = str_at(table, "registry").map(str::to_string);
                }
                if def.unsupported.is_none() {
                    def.unsupported = ["local-registry", "directory", "git"]
                        .into_iter()
                        .find_map(|kind| str_at(table, kind).map(|v| (kind, v.to_string())));
                }
            }
        }
        Ok(())
    }

    /// Applies `CARGO_REGISTRIES_<NAME>_INDEX` / `_TOKEN` for every known registry name and
    /// for `extra_names`, and `CARGO_REGISTRIES_CRATES_IO_PROTOCOL` is ignored (always sparse).
    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>, extra_names: &[&str]) {
        let mut names: Vec<String> = self.registries.keys().cloned().collect();
        names.extend(extra_names.iter().map(|n| env_key(n)));
        // `replace-with` may name a registry defined only in the environment.
        names.extend(
            self.sources
                .values()
                .filter_map(|s| s.replace_with.as_deref())
                .map(env_key),
        );
        names.sort();
        names.dedup();
        for key in names {
            let index = env(&format!("CARGO_REGISTRIES_{key}_INDEX")).filter(|v| !v.is_empty());
            let token = env(&format!("CARGO_REGISTRIES_{key}_TOKEN")).filter(|v| !v.is_empty());
            if index.is_none() && token.is_none() {
                continue;
            }
            let def = self
                .registries
                .entry(key.clone())
                .or_insert_with(|| RegistryDef {
                    name: key.to_ascii_lowercase().replace('_', "-"),
                    ..RegistryDef::default()
                });
            if let Some(index) = index {
                def.index = Some((index, format!("CARGO_REGISTRIES_{key}_INDEX")));
            }
            if token.is_some() {
                def.token = token;
            }
        }
    }

    /// The registry whose index (as a sparse base URL) is `index`.
    fn registry_by_index(&self, index: &str) -> Option<&RegistryDef> {
        self.registries.values().find(|r| {
            r.index
                .as_ref()
                .and_then(|(i, _)| i.strip_prefix("sparse+"))
                .is_some_and(|i| same_url(i, index))
        })
    }

    /// The name of a source whose `registry` is `url` and which is replaced.
    fn source_with_registry(&self, url: &str) -> Option<String> {
        self.sources
            .iter()
            .find(|(_, s)| {
                s.replace_with.is_some()
                    && s.registry
                        .as_deref()
                        .is_some_and(|r| same_url(r.trim_start_matches("registry+"), url))
            })
            .map(|(name, _)| name.clone())
    }

    /// Follows source replacement from `start` to a sparse index: `(label, base URL, token)`.
    fn resolve_source(
        &self,
        start: &str,
        context: &str,
    ) -> Result<(String, String, Option<String>), RegistryError> {
        let mut name = start.to_string();
        let mut seen = vec![name.clone()];
        for _ in 0..MAX_REPLACEMENTS {
            let source = self.sources.get(&name);
            if let Some(next) = source.and_then(|s| s.replace_with.clone()) {
                if seen.contains(&next) {
                    return Err(RegistryError(format!(
                        "source replacement loops ({} -> {next}) in {}; fix replace-with",
                        seen.join(" -> "),
                        source.map_or(context, |s| s.file.as_str())
                    )));
                }
                seen.push(next.clone());
                name = next;
                continue;
            }
            if let Some(s) = source {
                if let Some((kind, value)) = &s.unsupported {
                    return Err(RegistryError(format!(
                        "source `{name}` in {} is a {kind} source ({kind} = {value:?}), which \
                         nanoup cannot query for releases; use a sparse registry \
                         (registry = \"sparse+https://…\") or run without source replacement",
                        s.file
                    )));
                }
                if let Some(registry) = &s.registry {
                    let index = index_from_config(registry, &name, &s.file)?;
                    let token = self.registry_by_index(&index).and_then(|r| r.token.clone());
                    return Ok((name, index, token));
                }
                if name != CRATES_IO {
                    return Err(RegistryError(format!(
                        "source `{name}` in {} has neither `registry` nor `replace-with`; \
                         nanoup supports only sparse registry sources",
                        s.file
                    )));
                }
            }
            if let Some(r) = self.registries.get(&env_key(&name))
                && name != CRATES_IO
            {
                let Some((index, file)) = &r.index else {
                    return Err(RegistryError(format!(
                        "registry `{name}` has no index URL; set [registries.{name}] index or \
                         CARGO_REGISTRIES_{}_INDEX",
                        env_key(&name)
                    )));
                };
                let index = index_from_config(index, &name, file)?;
                return Ok((r.name.clone(), index, r.token.clone()));
            }
            if name == CRATES_IO {
                return Ok((CRATES_IO.to_string(), CRATES_IO_INDEX.to_string(), None));
            }
            return Err(RegistryError(format!(
                "replace-with = {name:?} names no [source.{name}] and no [registries.{name}] in \
                 {context}; define it or remove the replacement"
            )));
        }
        Err(RegistryError(format!(
            "source replacement chain too long ({}); fix replace-with in {context}",
            seen.join(" -> ")
        )))
    }
}

/// The sparse base URL of a configured index (`sparse+https://…`); crates.io's git index maps
/// to its sparse twin; other git indexes are unsupported.
fn index_from_config(value: &str, name: &str, file: &str) -> Result<String, RegistryError> {
    let value = value.trim();
    if value.starts_with("sparse+") {
        return sparse_base(value, name, file);
    }
    if same_url(value.trim_start_matches("registry+"), CRATES_IO_GIT_INDEX) {
        return Ok(CRATES_IO_INDEX.to_string());
    }
    Err(RegistryError(format!(
        "registry `{name}` ({file}) uses the git index {value}, which nanoup does not read; \
         configure its sparse index instead (\"sparse+https://…\")"
    )))
}

/// `http(s)://…/` from `sparse+http(s)://…` (or a bare http(s) URL), with a trailing slash.
fn sparse_base(value: &str, name: &str, place: &str) -> Result<String, RegistryError> {
    let url = value.trim().trim_start_matches("sparse+");
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if !ok {
        return Err(RegistryError(format!(
            "registry `{name}` ({place}): {value:?} is not a sparse index URL (expected \
             sparse+https://host/path/)"
        )));
    }
    Ok(if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    })
}

/// Whether two index URLs are the same, ignoring a trailing slash and a `.git` suffix.
fn same_url(a: &str, b: &str) -> bool {
    let norm = |u: &str| {
        u.trim()
            .trim_end_matches('/')
            .trim_end_matches(".git")
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

/// The configuration files Cargo would read for `project_dir`, closest first, as
/// `(path, text)`; files that do not exist are left out.
fn read_config_files(
    project_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, RegistryError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    for dir in project_dir.ancestors() {
        candidates.push(dir.join(".cargo").join("config.toml"));
        candidates.push(dir.join(".cargo").join("config"));
    }
    let cargo_home = env("CARGO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .or_else(|| env("USERPROFILE"))
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cargo"))
        });
    if let Some(home) = cargo_home {
        for name in ["config.toml", "config", "credentials.toml", "credentials"] {
            let path = home.join(name);
            if !candidates.contains(&path) {
                candidates.push(path);
            }
        }
    }
    let mut files = Vec::new();
    for path in candidates {
        // A missing file, or a directory named `config`, is no configuration file.
        if !path.is_file() {
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => files.push((path.display().to_string(), text)),
            Err(e) => {
                return Err(RegistryError(format!(
                    "cannot read Cargo configuration {}: {e}; check its permissions",
                    path.display()
                )));
            }
        }
    }
    Ok(files)
}
