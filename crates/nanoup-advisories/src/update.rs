//! `nanoup db update`: download osv.dev-style per-ecosystem exports and import them.
//!
//! For each ecosystem the export lives at `BASE/<ecosystem>/all.zip` (the layout of the public
//! bucket [`DEFAULT_BASE_URL`]). The URL is the source's key in the index, and the ETag /
//! Last-Modified stored with it make the next download conditional: `304 Not Modified` keeps the
//! records as they are, `200` replaces them. Every download is made and read before anything is
//! written, and all new sources are stored in one atomic write: if any download fails, the index
//! is left exactly as it was.

use std::collections::BTreeMap;
use std::path::Path;

use nanoup_http::{Client, Fetched, HttpError, Validators};

use crate::db::{self, ImportError, ImportSummary};
use crate::index::{Index, IndexError, SourceInfo};
use crate::sources;

/// The public osv.dev export bucket.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The index-source kind of a downloaded export.
pub const KIND: &str = "osv-download";

/// What an update did for one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered `304 Not Modified`: the stored records are current and were kept.
    NotModified {
        /// Records the index holds for this source.
        records: u32,
    },
    /// A new export was downloaded and replaced the source's earlier records (if any).
    Downloaded {
        /// Size of the downloaded zip.
        bytes: u64,
        /// What the import of the download did.
        import: ImportSummary,
    },
}

/// What an update did for one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcosystemUpdate {
    /// The OSV ecosystem name (`crates.io`, `PyPI`, ...).
    pub ecosystem: String,
    /// The URL downloaded, which is also the source's key in the index.
    pub url: String,
    /// What happened.
    pub outcome: Outcome,
}

/// What [`update`] did, one entry per ecosystem in the order asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateSummary {
    /// One entry per ecosystem.
    pub ecosystems: Vec<EcosystemUpdate>,
    /// True when the index file was rewritten (some ecosystem was downloaded).
    pub index_written: bool,
}

/// Why an update failed. In every case the index was left as it was.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// A download failed (the message names the URL and says what to do).
    #[error("{0}; the advisory index was left unchanged")]
    Download(#[source] HttpError),
    /// A download was not an osv.dev-style zip.
    #[error("{url} is not an OSV export zip ({reason}); the advisory index was left unchanged")]
    NotAZip {
        /// The URL downloaded.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The base URL or an ecosystem name cannot form a download URL.
    #[error("cannot download {what:?}: {reason}")]
    BadInput {
        /// The ecosystem or base URL.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// The existing index could not be read, or the new one could not be written.
    #[error(transparent)]
    Import(#[from] ImportError),
}

impl From<IndexError> for UpdateError {
    fn from(e: IndexError) -> Self {
        UpdateError::Import(ImportError::Index(e))
    }
}

/// The download URL of `ecosystem`'s export under `base_url`: `BASE/<ecosystem>/all.zip`.
pub fn export_url(base_url: &str, ecosystem: &str) -> Result<String, UpdateError> {
    let bad = |what: &str, reason: &str| UpdateError::BadInput {
        what: what.to_string(),
        reason: reason.to_string(),
    };
    if ecosystem.is_empty()
        || ecosystem == "."
        || ecosystem == ".."
        || ecosystem
            .chars()
            .any(|c| c == '/' || c == '\\' || c == '?' || c == '#' || c.is_control() || c == ' ')
    {
        return Err(bad(ecosystem, "not an OSV ecosystem name"));
    }
    let base = base_url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(bad(
            base_url,
            "the base URL must start with http:// or https://",
        ));
    }
    Ok(format!("{base}/{ecosystem}/all.zip"))
}

/// Downloads the export of each of `ecosystems` from `base_url` and stores the new ones in the
/// index at `index_path` (created when missing), stamped `now` (RFC 3339 UTC).
///
/// Each request is conditional on the validators stored for its URL. All downloads are made
/// and read first; then the changed sources are written in one atomic step, and not at all
/// when every answer was `304`. Any failure returns an error and leaves the index untouched.
/// Duplicate ecosystems are fetched once.
///
/// Reading a zip is CPU-bound (it uses rayon); on a multi-threaded runtime, call this from a
/// task that may block.
pub async fn update(
    index_path: &Path,
    base_url: &str,
    ecosystems: &[String],
    client: &Client,
    now: &str,
) -> Result<UpdateSummary, UpdateError> {
    let mut unique: Vec<&String> = Vec::new();
    for e in ecosystems {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    let targets = unique
        .iter()
        .map(|e| Ok(((*e).clone(), export_url(base_url, e)?)))
        .collect::<Result<Vec<_>, UpdateError>>()?;

    let known: BTreeMap<String, SourceInfo> = match Index::open(index_path) {
        Ok(index) => index
            .sources()
            .iter()
            .map(|s| (s.key.clone(), s.clone()))
            .collect(),
        Err(IndexError::Missing(_)) => BTreeMap::new(),
        Err(other) => return Err(other.into()),
    };

    let mut prepared = Vec::new();
    // (ecosystem, url, Some((bytes downloaded, position in `prepared`)) or None for a 304).
    type Pending = (String, String, Option<(u64, usize)>);
    let mut outcomes: Vec<Pending> = Vec::new();
    for (ecosystem, url) in targets {
        let previous = known.get(&url);
        let validators = previous.map(|s| Validators {
            etag: s.etag.clone(),
            last_modified: s.last_modified.clone(),
        });
        let validators = validators.filter(|v| !v.is_empty());
        match client
            .get(&url, validators.as_ref())
            .await
            .map_err(UpdateError::Download)?
        {
            Fetched::NotModified => outcomes.push((ecosystem, url, None)),
            Fetched::Body {
                bytes,
                etag,
                last_modified,
            } => {
                let imported =
                    sources::read_zip(&bytes).map_err(|reason| UpdateError::NotAZip {
                        url: url.clone(),
                        reason,
                    })?;
                let mut source = db::prepared(
                    url.clone(),
                    KIND,
                    imported.advisories,
                    imported.skipped,
                    now,
                );
                source.info.etag = etag;
                source.info.last_modified = last_modified;
                outcomes.push((ecosystem, url, Some((bytes.len() as u64, prepared.len()))));
                prepared.push(source);
            }
        }
    }

    // A 304 confirms the stored records are current: record when, so freshness counts from now.
    let confirmed: Vec<String> = outcomes
        .iter()
        .filter(|(_, url, downloaded)| downloaded.is_none() && known.contains_key(url))
        .map(|(_, url, _)| url.clone())
        .collect();
    let index_written = !prepared.is_empty() || !confirmed.is_empty();
    let imports = if index_written {
        db::store(index_path, prepared, &confirmed, now)?
    } else {
        Vec::new()
    };
    let ecosystems = outcomes
        .into_iter()
        .map(|(ecosystem, url, downloaded)| {
            let outcome = match downloaded {
                Some((bytes, i)) => Outcome::Downloaded {
                    bytes,
                    import: imports[i].clone(),
                },
                None => Outcome::NotModified {
                    records: known.get(&url).map_or(0, |s| s.records),
                },
            };
            EcosystemUpdate {
                ecosystem,
                url,
                outcome,
            }
        })
        .collect();
    Ok(UpdateSummary {
        ecosystems,
        index_written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_urls_follow_the_bucket_layout() {
        assert_eq!(
            export_url("http://127.0.0.1:1/osv/", "crates.io").unwrap(),
            "http://127.0.0.1:1/osv/crates.io/all.zip"
        );
        assert_eq!(
            export_url(DEFAULT_BASE_URL, "PyPI").unwrap(),
            "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
        );
        assert!(export_url("http://x", "../etc").is_err());
        assert!(export_url("http://x", "a/b").is_err());
        assert!(export_url("ftp://x", "Go").is_err());
    }
}
