//! Reading advisory sources: osv.dev zip exports, folders of OSV JSON or PyPA-style YAML files,
//! and RustSec's advisory-db in its native Markdown + TOML form.
//!
//! A bad entry (not JSON, no id, a hostile or oversized zip member) is skipped and counted, never
//! fatal; only a source that cannot be read at all (missing, not a zip) is an error. Nothing is
//! ever extracted to disk: zip members are decompressed into memory, with a size cap.

use std::io::{Cursor, Read};
use std::path::{Component as PathComponent, Path};

use rayon::prelude::*;

use crate::advisory::{Advisory, AffectedPackage};
use crate::osv::{self, OsvRecord};

/// The largest decompressed advisory nanoup reads; larger entries are skipped (zip-bomb guard).
pub const MAX_ENTRY_BYTES: u64 = 8 * 1024 * 1024;

/// What reading one source produced.
#[derive(Debug, Default)]
pub struct Imported {
    /// `osv-zip`, `osv-dir` or `rustsec`.
    pub kind: &'static str,
    /// The advisories read.
    pub advisories: Vec<Advisory>,
    /// Entries skipped, with why (entry name: reason), sorted by name.
    pub skipped: Vec<String>,
}

/// A source that could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot import {path}: {reason}")]
pub struct SourceError {
    /// The source as given.
    pub path: String,
    /// What went wrong.
    pub reason: String,
}

/// Reads the advisories of `path`: a `.zip` file (osv.dev export layout), a single OSV JSON or
/// YAML file, a RustSec advisory-db checkout (it has a `crates/` folder of `.md` advisories), or
/// any folder of OSV `.json` / `.yaml` files (searched recursively).
pub fn read_source(path: &Path) -> Result<Imported, SourceError> {
    let fail = |reason: String| SourceError {
        path: path.display().to_string(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.is_dir() {
        if path.join("crates").is_dir() && has_markdown(&path.join("crates")) {
            return Ok(read_rustsec_dir(path));
        }
        return Ok(read_osv_dir(path));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    if bytes.starts_with(b"PK") || path.extension().is_some_and(|e| e == "zip") {
        return read_zip(&bytes).map_err(fail);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut imported = Imported {
        kind: "osv-file",
        ..Imported::default()
    };
    match parse_entry(&name, &bytes) {
        Some(Ok(a)) => imported.advisories.push(a),
        Some(Err(reason)) => return Err(fail(reason)),
        None => {
            return Err(fail(
                "expected a .zip, .json, .yaml or .yml file, or a folder".into(),
            ));
        }
    }
    Ok(imported)
}

/// Reads an osv.dev-style zip held in memory. Members are parsed in parallel.
pub fn read_zip(bytes: &[u8]) -> Result<Imported, String> {
    let archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not a readable zip archive: {e}"))?;
    let results: Vec<(String, Result<Option<Advisory>, String>)> = (0..archive.len())
        .into_par_iter()
        .map_init(
            || archive.clone(),
            |archive, i| {
                let mut entry = match archive.by_index(i) {
                    Ok(entry) => entry,
                    Err(e) => return (format!("#{i}"), Err(format!("unreadable zip member: {e}"))),
                };
                let name = match entry.name() {
                    Ok(name) => name.to_string(),
                    Err(e) => {
                        return (format!("#{i}"), Err(format!("unreadable member name: {e}")));
                    }
                };
                if entry.is_dir() {
                    return (name, Ok(None));
                }
                if entry.enclosed_name().is_none() || !is_plain_relative(&name) {
                    return (name, Err("hostile member name (absolute or `..`)".into()));
                }
                if entry.size() > MAX_ENTRY_BYTES {
                    return (
                        name,
                        Err(format!(
                            "claims {} bytes, more than the {} allowed",
                            entry.size(),
                            MAX_ENTRY_BYTES
                        )),
                    );
                }
                let mut data = Vec::with_capacity(entry.size() as usize);
                // Read at most one byte past the cap: a member that lies about its size stops here.
                if let Err(e) = (&mut entry)
                    .take(MAX_ENTRY_BYTES + 1)
                    .read_to_end(&mut data)
                {
                    return (name, Err(format!("cannot decompress: {e}")));
                }
                if data.len() as u64 > MAX_ENTRY_BYTES {
                    return (
                        name,
                        Err(format!("decompresses to more than {MAX_ENTRY_BYTES} bytes")),
                    );
                }
                let parsed = parse_entry(&name, &data).transpose();
                (name, parsed)
            },
        )
        .collect();
    let mut imported = Imported {
        kind: "osv-zip",
        ..Imported::default()
    };
    for (name, result) in results {
        match result {
            Ok(Some(a)) => imported.advisories.push(a),
            Ok(None) => {}
            Err(reason) => imported.skipped.push(format!("{name}: {reason}")),
        }
    }
    imported.skipped.sort();
    Ok(imported)
}

/// Parses one file of a source by its extension; `None` for files that are not advisories
/// (README, licence, ...).
fn parse_entry(name: &str, data: &[u8]) -> Option<Result<Advisory, String>> {
    let lower = name.to_ascii_lowercase();
    let text = || std::str::from_utf8(data).map_err(|e| format!("not UTF-8: {e}"));
    if lower.ends_with(".json") {
        Some(text().and_then(|t| osv::parse_json(t).map_err(|e| e.to_string())))
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Some(text().and_then(|t| {
            let record: OsvRecord =
                serde_saphyr::from_str(t).map_err(|e| format!("not an OSV record: {e}"))?;
            osv::from_record(record).map_err(|e| e.to_string())
        }))
    } else {
        None
    }
}

fn is_plain_relative(name: &str) -> bool {
    let path = Path::new(name);
    !name.contains('\\')
        && path
            .components()
            .all(|c| matches!(c, PathComponent::Normal(_) | PathComponent::CurDir))
}

fn has_markdown(dir: &Path) -> bool {
    walk_files(dir)
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "md"))
}

/// Every file under `dir`, recursively, sorted; symbolic links are not followed.
fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(entry.path());
                }
            } else if kind.is_file() {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

fn read_osv_dir(dir: &Path) -> Imported {
    let results: Vec<(String, Option<Result<Advisory, String>>)> = walk_files(dir)
        .par_iter()
        .map(|path| {
            let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
            let parsed = match std::fs::read(path) {
                Ok(data) if data.len() as u64 > MAX_ENTRY_BYTES => {
                    Some(Err("file too large".to_string()))
                }
                Ok(data) => parse_entry(&name, &data),
                Err(e) => Some(Err(e.to_string())),
            };
            (name, parsed)
        })
        .collect();
    let mut imported = Imported {
        kind: "osv-dir",
        ..Imported::default()
    };
    for (name, parsed) in results {
        match parsed {
            Some(Ok(a)) => imported.advisories.push(a),
            Some(Err(reason)) => imported.skipped.push(format!("{name}: {reason}")),
            None => {}
        }
    }
    imported
}

fn read_rustsec_dir(dir: &Path) -> Imported {
    let files: Vec<_> = ["crates", "rust"]
        .iter()
        .flat_map(|sub| walk_files(&dir.join(sub)))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    let results: Vec<(String, Result<Advisory, String>)> = files
        .par_iter()
        .map(|path| {
            let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| parse_rustsec_markdown(&text));
            (name, parsed)
        })
        .collect();
    let mut imported = Imported {
        kind: "rustsec",
        ..Imported::default()
    };
    for (name, parsed) in results {
        match parsed {
            Ok(a) => imported.advisories.push(a),
            Err(reason) => imported.skipped.push(format!("{name}: {reason}")),
        }
    }
    imported
}

#[derive(serde::Deserialize)]
struct RustsecFile {
    advisory: RustsecAdvisory,
    #[serde(default)]
    versions: RustsecVersions,
}

#[derive(serde::Deserialize)]
struct RustsecAdvisory {
    id: String,
    package: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct RustsecVersions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// Reads one RustSec advisory: a ```toml front matter block, then a `# Title` and the details.
pub fn parse_rustsec_markdown(text: &str) -> Result<Advisory, String> {
    let rest = text
        .trim_start()
        .strip_prefix("```toml")
        .ok_or("expected a ```toml front matter block")?;
    let (front, body) = rest
        .split_once("\n```")
        .ok_or("front matter block is not closed by ```")?;
    let file: RustsecFile = toml_edit::de::from_str(front)
        .map_err(|e| format!("invalid front matter: {}", e.message()))?;
    let a = file.advisory;
    if a.id.trim().is_empty() {
        return Err("advisory without an id".into());
    }
    let summary = body
        .lines()
        .find_map(|l| l.trim().strip_prefix("# "))
        .unwrap_or_default()
        .trim()
        .to_string();
    let severity = a
        .cvss
        .map(|vector| crate::advisory::SeverityVector {
            kind: if vector.starts_with("CVSS:4") {
                "CVSS_V4"
            } else {
                "CVSS_V3"
            }
            .to_string(),
            vector,
        })
        .into_iter()
        .collect();
    let date = a.date.unwrap_or_default();
    Ok(Advisory {
        url: a
            .url
            .or_else(|| Some(format!("https://rustsec.org/advisories/{}.html", a.id))),
        id: a.id,
        aliases: a.aliases,
        summary,
        modified: date.clone(),
        published: Some(date),
        withdrawn: a.withdrawn,
        informational: a.informational,
        severity,
        database_severity: a.severity,
        affected: vec![AffectedPackage {
            ecosystem: "crates.io".into(),
            name: a.package,
            ranges: Vec::new(),
            versions: Vec::new(),
            patched: file.versions.patched,
            unaffected: file.versions.unaffected,
        }],
    })
}
