//! The advisory index: one file in the data directory holding every imported advisory, keyed by
//! (ecosystem, package) so that an audit reads only the advisories of the packages it has.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! "NANOUPDB" | u32 format | u64 header length | header (postcard) | records (postcard each)
//! ```
//!
//! The header lists the sources, every record's place in the file, and for each (ecosystem,
//! package) the records that affect it, sorted for binary search. Opening the index maps the file
//! and decodes only the header; an audit then decodes only the records it looks up. The file is
//! written to a temporary name and renamed into place, so a failed import leaves the previous
//! index in use.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::advisory::Advisory;

const MAGIC: &[u8; 8] = b"NANOUPDB";
const FORMAT: u32 = 2;
const PREAMBLE: usize = 8 + 4 + 8;

/// The index file's name inside the data directory.
pub const INDEX_FILE: &str = "advisories.idx";

/// Where a set of advisories came from, and what its last import found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Identifies the source across imports: the canonical path or URL. Re-importing the same
    /// key replaces the source's records.
    pub key: String,
    /// What kind of source it was (`osv-zip`, `osv-dir`, `rustsec`, ...).
    pub kind: String,
    /// RFC 3339 UTC time of the import.
    pub imported_at: String,
    /// RFC 3339 UTC time the source was last confirmed current: its import, or a later
    /// conditional download answered `304 Not Modified`. Freshness warnings count from here.
    pub checked_at: String,
    /// Records imported, per OSV ecosystem of their affected packages.
    pub per_ecosystem: BTreeMap<String, u32>,
    /// Records imported.
    pub records: u32,
    /// Entries skipped as bad (not parseable, no id, hostile name, too large).
    pub skipped: u32,
    /// HTTP validators of a downloaded source, for conditional re-downloads.
    pub etag: Option<String>,
    /// See `etag`.
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Header {
    sources: Vec<SourceInfo>,
    /// (offset from the start of the records section, length) of each record.
    records: Vec<(u64, u32)>,
    /// Sorted by (ecosystem, name).
    packages: Vec<PackageSlot>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PackageSlot {
    ecosystem: String,
    name: String,
    records: Vec<u32>,
}

/// One stored record: the advisory and the index of the source it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredRecord {
    source: u32,
    advisory: Advisory,
}

/// A problem with the index file.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// There is no index yet.
    #[error("no advisory index at {0}: run `nanoup db import SOURCE` or `nanoup db update` first")]
    Missing(PathBuf),
    /// The file is not an index nanoup can read.
    #[error("advisory index {path} is unreadable ({reason}); re-create it with `nanoup db import`")]
    Corrupt {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Reading or writing failed.
    #[error("{context} {path}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// An opened index: the header decoded, the records mapped and decoded on demand.
pub struct Index {
    path: PathBuf,
    map: Option<memmap2::Mmap>,
    header: Header,
}

impl Index {
    /// Opens the index at `path`.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => IndexError::Missing(path.to_path_buf()),
            _ => IndexError::Io {
                context: "cannot open",
                path: path.to_path_buf(),
                source: e,
            },
        })?;
        // SAFETY: the index is only ever replaced by rename, never written in place, so the
        // mapped bytes do not change under us while the map is alive.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| IndexError::Io {
            context: "cannot map",
            path: path.to_path_buf(),
            source: e,
        })?;
        let corrupt = |reason: &str| IndexError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        if map.len() < PREAMBLE || &map[..8] != MAGIC {
            return Err(corrupt("not a nanoup advisory index"));
        }
        let format = u32::from_le_bytes(
            map[8..12]
                .try_into()
                .map_err(|_| corrupt("short preamble"))?,
        );
        if format != FORMAT {
            return Err(corrupt(&format!(
                "format {format}, this nanoup reads format {FORMAT}"
            )));
        }
        let header_len = u64::from_le_bytes(
            map[12..20]
                .try_into()
                .map_err(|_| corrupt("short preamble"))?,
        );
        let header_end = usize::try_from(header_len)
            .ok()
            .and_then(|l| PREAMBLE.checked_add(l))
            .filter(|&end| end <= map.len())
            .ok_or_else(|| corrupt("header runs past the end of the file"))?;
        let header: Header = postcard::from_bytes(&map[PREAMBLE..header_end])
            .map_err(|e| corrupt(&e.to_string()))?;
        Ok(Index {
            path: path.to_path_buf(),
            map: Some(map),
            header,
        })
    }

    /// An empty index (before the first import).
    pub fn empty(path: &Path) -> Index {
        Index {
            path: path.to_path_buf(),
            map: None,
            header: Header::default(),
        }
    }

    /// The file this index was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The imported sources.
    pub fn sources(&self) -> &[SourceInfo] {
        &self.header.sources
    }

    /// The newest time any source was confirmed current (see [`SourceInfo::checked_at`]).
    pub fn last_checked(&self) -> Option<&str> {
        self.header
            .sources
            .iter()
            .map(|s| s.checked_at.as_str())
            .max()
    }

    /// How many advisory records the index holds.
    pub fn record_count(&self) -> usize {
        self.header.records.len()
    }

    /// Record counts per OSV ecosystem (a record affecting two ecosystems counts in both).
    pub fn counts_per_ecosystem(&self) -> BTreeMap<String, usize> {
        let mut seen: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
        for slot in &self.header.packages {
            seen.entry(slot.ecosystem.clone())
                .or_default()
                .extend(&slot.records);
        }
        seen.into_iter().map(|(k, v)| (k, v.len())).collect()
    }

    /// Every advisory affecting `name` in `ecosystem` (names as normalised on import).
    pub fn advisories_for(&self, ecosystem: &str, name: &str) -> Result<Vec<Advisory>, IndexError> {
        let found = self.header.packages.binary_search_by(|slot| {
            (slot.ecosystem.as_str(), slot.name.as_str()).cmp(&(ecosystem, name))
        });
        let Ok(i) = found else { return Ok(Vec::new()) };
        self.header.packages[i]
            .records
            .iter()
            .map(|&r| self.record(r).map(|s| s.advisory))
            .collect()
    }

    /// Every stored advisory with the key of its source, in file order.
    pub fn all(&self) -> Result<Vec<(String, Advisory)>, IndexError> {
        (0..self.header.records.len() as u32)
            .map(|r| {
                let stored = self.record(r)?;
                let key = self
                    .header
                    .sources
                    .get(stored.source as usize)
                    .map(|s| s.key.clone())
                    .unwrap_or_default();
                Ok((key, stored.advisory))
            })
            .collect()
    }

    fn record(&self, r: u32) -> Result<StoredRecord, IndexError> {
        let corrupt = |reason: String| IndexError::Corrupt {
            path: self.path.clone(),
            reason,
        };
        let map = self
            .map
            .as_ref()
            .ok_or_else(|| corrupt("empty index has no records".into()))?;
        let &(offset, len) = self
            .header
            .records
            .get(r as usize)
            .ok_or_else(|| corrupt(format!("no record {r}")))?;
        let header_len = u64::from_le_bytes(
            map[12..20]
                .try_into()
                .map_err(|_| corrupt("short preamble".into()))?,
        );
        let start = (PREAMBLE as u64)
            .checked_add(header_len)
            .and_then(|s| s.checked_add(offset))
            .and_then(|s| usize::try_from(s).ok());
        let bytes = start
            .and_then(|s| Some(s..s.checked_add(len as usize)?))
            .and_then(|range| map.get(range))
            .ok_or_else(|| corrupt(format!("record {r} lies outside the file")))?;
        postcard::from_bytes(bytes).map_err(|e| corrupt(format!("record {r}: {e}")))
    }
}

/// Writes an index of `sources` (each with its advisories) to `path`, atomically.
///
/// When two sources hold the same advisory id, the most recently modified record wins (ties:
/// the later source in `sources`), so importing both RustSec's native database and its OSV
/// export does not double every finding.
pub fn write(path: &Path, sources: Vec<(SourceInfo, Vec<Advisory>)>) -> Result<(), IndexError> {
    let io = |context: &'static str, e: std::io::Error| IndexError::Io {
        context,
        path: path.to_path_buf(),
        source: e,
    };
    // Deduplicate by id across sources.
    let mut by_id: BTreeMap<String, (u32, Advisory)> = BTreeMap::new();
    let mut infos = Vec::with_capacity(sources.len());
    for (i, (info, advisories)) in sources.into_iter().enumerate() {
        infos.push(info);
        for advisory in advisories {
            match by_id.get(&advisory.id) {
                Some((_, kept)) if kept.modified > advisory.modified => {}
                _ => {
                    by_id.insert(advisory.id.clone(), (i as u32, advisory));
                }
            }
        }
    }
    let mut body = Vec::new();
    let mut records = Vec::with_capacity(by_id.len());
    let mut slots: BTreeMap<(String, String), Vec<u32>> = BTreeMap::new();
    for (r, (_, (source, advisory))) in by_id.into_iter().enumerate() {
        let keys: BTreeSet<(String, String)> = advisory
            .affected
            .iter()
            .map(|a| (a.ecosystem.clone(), a.name.clone()))
            .collect();
        for key in keys {
            slots.entry(key).or_default().push(r as u32);
        }
        let bytes = postcard::to_stdvec(&StoredRecord { source, advisory })
            .map_err(|e| io("cannot encode a record for", std::io::Error::other(e)))?;
        records.push((body.len() as u64, bytes.len() as u32));
        body.extend_from_slice(&bytes);
    }
    let header = Header {
        sources: infos,
        records,
        packages: slots
            .into_iter()
            .map(|((ecosystem, name), records)| PackageSlot {
                ecosystem,
                name,
                records,
            })
            .collect(),
    };
    let header_bytes = postcard::to_stdvec(&header)
        .map_err(|e| io("cannot encode the header of", std::io::Error::other(e)))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create the directory of", e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| io("cannot create a temporary file beside", e))?;
    let mut out = std::io::BufWriter::new(tmp.as_file_mut());
    out.write_all(MAGIC)
        .and_then(|()| out.write_all(&FORMAT.to_le_bytes()))
        .and_then(|()| out.write_all(&(header_bytes.len() as u64).to_le_bytes()))
        .and_then(|()| out.write_all(&header_bytes))
        .and_then(|()| out.write_all(&body))
        .and_then(|()| out.flush())
        .map_err(|e| io("cannot write", e))?;
    drop(out);
    tmp.as_file().sync_all().map_err(|e| io("cannot sync", e))?;
    tmp.persist(path)
        .map_err(|e| io("cannot rename into place", e.error))?;
    Ok(())
}
