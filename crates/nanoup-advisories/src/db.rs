//! `nanoup db import` and `nanoup db status` on top of the index file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::advisory::Advisory;
use crate::index::{self, Index, IndexError, SourceInfo};
use crate::sources::{self, SourceError};

/// What one import did to one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The source's key (its canonical path or URL).
    pub key: String,
    /// The source's kind (`osv-zip`, `osv-dir`, `rustsec`, `osv-file`).
    pub kind: String,
    /// Advisories imported from it.
    pub records: usize,
    /// Records per ecosystem.
    pub per_ecosystem: BTreeMap<String, u32>,
    /// Entries skipped, with why.
    pub skipped: Vec<String>,
    /// Records of this source the index held before (replaced now).
    pub replaced: usize,
}

/// Why an import failed; the previous index stays in place.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A source could not be read at all.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The index could not be read or written.
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// A source read and ready to go into the index.
#[derive(Debug)]
pub struct PreparedSource {
    /// Its description in the index.
    pub info: SourceInfo,
    /// Its advisories.
    pub advisories: Vec<Advisory>,
    /// Entries skipped.
    pub skipped: Vec<String>,
}

/// Reads the source at `path`, keyed by its canonical path.
pub fn prepare(path: &Path, now: &str) -> Result<PreparedSource, SourceError> {
    let key = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    let imported = sources::read_source(path)?;
    Ok(prepared(
        key,
        imported.kind,
        imported.advisories,
        imported.skipped,
        now,
    ))
}

/// Wraps advisories read from anywhere (a file, a download) as a source keyed `key`.
pub fn prepared(
    key: String,
    kind: &str,
    advisories: Vec<Advisory>,
    skipped: Vec<String>,
    now: &str,
) -> PreparedSource {
    let mut per_ecosystem: BTreeMap<String, u32> = BTreeMap::new();
    for advisory in &advisories {
        let mut ecosystems: Vec<&str> = advisory
            .affected
            .iter()
            .map(|a| a.ecosystem.as_str())
            .collect();
        ecosystems.sort();
        ecosystems.dedup();
        for e in ecosystems {
            *per_ecosystem.entry(e.to_string()).or_default() += 1;
        }
    }
    PreparedSource {
        info: SourceInfo {
            key,
            kind: kind.to_string(),
            imported_at: now.to_string(),
            checked_at: now.to_string(),
            per_ecosystem,
            records: advisories.len() as u32,
            skipped: skipped.len() as u32,
            etag: None,
            last_modified: None,
        },
        advisories,
        skipped,
    }
}

/// Reads every source in `paths` and writes a new index holding them in place of their earlier
/// imports, beside every other source already imported. All or nothing: if any source cannot be
/// read, the index is not touched.
pub fn import(
    index_path: &Path,
    paths: &[PathBuf],
    now: &str,
) -> Result<Vec<ImportSummary>, ImportError> {
    let prepared = paths
        .iter()
        .map(|p| prepare(p, now))
        .collect::<Result<Vec<_>, _>>()?;
    store(index_path, prepared, &[], now)
}

/// Writes `new` sources into the index at `index_path`, replacing earlier imports of the same
/// keys, and marks the kept sources named in `confirmed` as checked current at `now` (a
/// conditional download answered 304). One atomic write.
pub fn store(
    index_path: &Path,
    new: Vec<PreparedSource>,
    confirmed: &[String],
    now: &str,
) -> Result<Vec<ImportSummary>, ImportError> {
    let existing = match Index::open(index_path) {
        Ok(index) => Some(index),
        Err(IndexError::Missing(_)) => None,
        Err(other) => return Err(other.into()),
    };
    let mut kept: Vec<(SourceInfo, Vec<Advisory>)> = Vec::new();
    let mut replaced: BTreeMap<String, usize> = BTreeMap::new();
    if let Some(index) = &existing {
        let mut by_key: BTreeMap<String, Vec<Advisory>> = BTreeMap::new();
        for (key, advisory) in index.all()? {
            by_key.entry(key).or_default().push(advisory);
        }
        for info in index.sources() {
            let advisories = by_key.remove(&info.key).unwrap_or_default();
            if new.iter().any(|n| n.info.key == info.key) {
                replaced.insert(info.key.clone(), info.records as usize);
            } else {
                let mut info = info.clone();
                if confirmed.contains(&info.key) {
                    info.checked_at = now.to_string();
                }
                kept.push((info, advisories));
            }
        }
    }
    drop(existing);
    let summaries = new
        .iter()
        .map(|n| ImportSummary {
            key: n.info.key.clone(),
            kind: n.info.kind.clone(),
            records: n.advisories.len(),
            per_ecosystem: n.info.per_ecosystem.clone(),
            skipped: n.skipped.clone(),
            replaced: replaced.get(&n.info.key).copied().unwrap_or(0),
        })
        .collect();
    kept.extend(new.into_iter().map(|n| (n.info, n.advisories)));
    kept.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    index::write(index_path, kept)?;
    Ok(summaries)
}
