//! yarn 2+ ("berry") lockfiles: the block of NAME@FROM rewritten for TO from the registry's
//! manifest of the new version, for yarn itself to complete.
//!
//! A berry block records what yarn cannot know offline: the version, its `resolution`, the
//! dependency maps (`dependencies` with their protocol, `peerDependencies`, the `*Meta` maps),
//! `bin`, and the `checksum` of the archive yarn builds from the tarball (in yarn's cache format,
//! which only yarn computes). So this editor writes the first ones as yarn writes them and leaves
//! `checksum` out: `yarn install --mode=update-lockfile` then fetches only that package, adds its
//! checksum, resolves the dependencies the lockfile lacks, drops the blocks nothing needs any more
//! and writes the file in its own format. The header, and so every descriptor that resolved to
//! FROM, is kept: every one of them must accept TO (otherwise a dependent needs a new release
//! first, which this editor does not choose).

use nanoup_core::{EntryChange, ParseError};
use nanoup_versions::{RequirementKind, Scheme, Version};

use super::registry::VersionManifest;
use super::yarn_edit::YarnRefusal;
use super::yarn_lock::{berry_field, berry_specifiers};

/// Whether `text` is a yarn 2+ lockfile (it has a `__metadata:` entry).
pub fn is_berry(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("__metadata:"))
}

/// The lockfile format version of a berry lockfile (`__metadata: version: 8` for yarn 4).
pub fn format_version(text: &str) -> Option<u32> {
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("__metadata:") {
            inside = true;
        } else if inside && !line.starts_with(' ') {
            return None;
        } else if inside && let Some(v) = line.trim().strip_prefix("version:") {
            return v.trim().trim_matches('"').parse().ok();
        }
    }
    None
}

/// One package block of a berry lockfile.
#[derive(Debug)]
struct Block {
    /// 1-based line of the header.
    line: u32,
    /// Byte range of the block's lines (header to last field line, newline included).
    span: std::ops::Range<usize>,
    /// The header line as written.
    header: String,
    /// Its descriptors, `npm:` dropped from registry ranges (`ms@^2.0.0`).
    specs: Vec<String>,
    name: String,
    version: String,
    resolution: String,
    /// Top-level field keys, in order.
    keys: Vec<String>,
}

/// The package blocks of a berry lockfile (the workspace's own blocks left out).
fn read_blocks(file: &str, text: &str) -> Result<Vec<Block>, ParseError> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<Block> = None;
    let mut offset = 0;
    let mut in_metadata = false;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        let error = |message: String| ParseError::at_offset(file, text, start + indent, message);
        if indent == 0 {
            blocks.extend(current.take());
            in_metadata = content.starts_with("__metadata:");
            if in_metadata {
                continue;
            }
            let Some(header) = content.strip_suffix(':') else {
                return Err(error(
                    "expected `:` at the end of a package header line".into(),
                ));
            };
            let unquoted = header.trim().trim_matches('"');
            let specs = berry_specifiers(&[unquoted.to_string()]);
            let name = specs
                .first()
                .map(|s| super::split_name_at(s).0.to_string())
                .unwrap_or_default();
            current = Some(Block {
                line: u32::try_from(index + 1).unwrap_or(u32::MAX),
                span: start..offset,
                header: line.to_string(),
                specs,
                name,
                version: String::new(),
                resolution: String::new(),
                keys: Vec::new(),
            });
            continue;
        }
        if in_metadata {
            continue;
        }
        let Some(block) = current.as_mut() else {
            return Err(error(
                "expected a package header line before this field".into(),
            ));
        };
        block.span.end = offset;
        if indent == 2 {
            let (key, value) = berry_field(content).map_err(|(_, m)| error(m))?;
            match (key.as_str(), value) {
                ("version", Some(v)) => block.version = v,
                ("resolution", Some(v)) => block.resolution = v,
                _ => {}
            }
            block.keys.push(key);
        }
    }
    blocks.extend(current);
    Ok(blocks
        .into_iter()
        .filter(|b| !b.resolution.contains("@workspace:"))
        .collect())
}

/// The fields a block may have for this editor to rewrite it (`conditions`, a platform
/// package's, and patches' fields are left to yarn).
const KNOWN_FIELDS: &[&str] = &[
    "version",
    "resolution",
    "dependencies",
    "peerDependencies",
    "dependenciesMeta",
    "peerDependenciesMeta",
    "bin",
    "checksum",
    "languageName",
    "linkType",
];

/// The text of `text` (read from `file`) with the block resolving `name@npm:from` rewritten for
/// the version `manifest` describes, `checksum` left out for yarn to add (see the module
/// documentation). Refused when no block or several resolve it, when the block has fields this
/// editor does not write, when a descriptor of its header rejects the new version (a dependent
/// needs a new release), or when a dependency of the new version is not a registry range.
pub fn plan_berry_edit(
    file: &str,
    text: &str,
    name: &str,
    from: &str,
    manifest: &VersionManifest,
) -> Result<String, YarnRefusal> {
    let blocks = read_blocks(file, text).map_err(YarnRefusal::Unreadable)?;
    let resolution = format!("{name}@npm:{from}");
    let found: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.resolution == resolution)
        .collect();
    let block = match found.as_slice() {
        [] => {
            return Err(YarnRefusal::NotFound {
                file: file.to_string(),
                name: name.to_string(),
                version: from.to_string(),
            });
        }
        [only] => *only,
        several => {
            return Err(YarnRefusal::SeveralBlocks {
                file: file.to_string(),
                id: resolution,
                lines: several.iter().map(|b| b.line).collect(),
            });
        }
    };
    let unsupported = |reason: String| YarnRefusal::Unsupported {
        file: file.to_string(),
        line: block.line,
        reason,
    };
    if let Some(key) = block
        .keys
        .iter()
        .find(|k| !KNOWN_FIELDS.contains(&k.as_str()))
    {
        return Err(unsupported(format!(
            "the block has a `{key}` field, which this editor does not write"
        )));
    }
    let to = manifest.version.as_str();
    let to_version = Version::parse(Scheme::Npm, to)
        .map_err(|e| unsupported(format!("the target version {to:?} is not npm semver: {e}")))?;
    for spec in &block.specs {
        let (_, range) = super::split_name_at(spec);
        if !registry_range(range) {
            return Err(unsupported(format!(
                "the descriptor {spec:?} is not a registry range"
            )));
        }
        let accepted = Scheme::Npm
            .parse_requirement(range)
            .is_ok_and(|r| r.matches(&to_version));
        if !accepted {
            return Err(YarnRefusal::RangeRejects {
                file: file.to_string(),
                line: block.line,
                spec: spec.clone(),
                to: to.to_string(),
            });
        }
    }

    // yarn 4 (format 8) writes a registry range with its protocol (`"npm:^2.0.0"`), yarn 2 and
    // 3 without: as the file does.
    let with_protocol = text.contains(": \"npm:") || format_version(text).is_some_and(|v| v >= 8);
    let mut dependencies: Vec<(String, String)> = Vec::new();
    for (dep, range) in manifest
        .dependencies
        .iter()
        .chain(&manifest.optional_dependencies)
    {
        let written = if range.starts_with("npm:") {
            range.clone()
        } else if registry_range(range) {
            if with_protocol {
                format!("npm:{range}")
            } else {
                range.clone()
            }
        } else {
            return Err(unsupported(format!(
                "{name} {to} depends on {dep}@{range}, which is not a registry range"
            )));
        };
        dependencies.retain(|(d, _)| d != dep);
        dependencies.push((dep.clone(), written));
    }
    dependencies.sort();
    let mut optional: Vec<&String> = manifest
        .optional_dependencies
        .iter()
        .map(|(d, _)| d)
        .collect();
    optional.sort();
    let mut peers = manifest.peer_dependencies.clone();
    peers.sort();
    let mut optional_peers: Vec<&String> = manifest
        .peer_dependencies_meta
        .as_ref()
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .filter(|(_, v)| v.get("optional").and_then(|o| o.as_bool()) == Some(true))
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    optional_peers.sort();
    let bins = bins_of(manifest);

    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::new();
    let mut line = |indent: usize, s: String| {
        out.push_str(&" ".repeat(indent));
        out.push_str(&s);
        out.push_str(newline);
    };
    line(0, block.header.clone());
    line(2, format!("version: {to}"));
    line(
        2,
        format!("resolution: {}", quoted(&format!("{name}@npm:{to}"))),
    );
    let map = |line: &mut dyn FnMut(usize, String), key: &str, entries: &[(String, String)]| {
        if !entries.is_empty() {
            line(2, format!("{key}:"));
            for (k, v) in entries {
                line(4, format!("{}: {}", quoted(k), quoted(v)));
            }
        }
    };
    map(&mut line, "dependencies", &dependencies);
    map(&mut line, "peerDependencies", &peers);
    for (key, names) in [
        ("dependenciesMeta", &optional),
        ("peerDependenciesMeta", &optional_peers),
    ] {
        if !names.is_empty() {
            line(2, format!("{key}:"));
            for n in names {
                line(4, format!("{}:", quoted(n)));
                line(6, "optional: true".to_string());
            }
        }
    }
    map(&mut line, "bin", &bins);
    line(2, "languageName: node".to_string());
    line(2, "linkType: hard".to_string());
    let mut new_text = String::with_capacity(text.len());
    new_text.push_str(&text[..block.span.start]);
    new_text.push_str(&out);
    new_text.push_str(&text[block.span.end..]);
    Ok(new_text)
}

/// Whether `range` is a semver range of the registry (not a tag, an alias, git, a URL, a path
/// or a workspace).
fn registry_range(range: &str) -> bool {
    Scheme::Npm
        .parse_requirement(range)
        .is_ok_and(|r| matches!(r.kind(), RequirementKind::Range | RequirementKind::Minimum))
}

/// `bin` of a manifest as yarn records it: command → path (a string `bin` is the package's
/// unscoped name).
fn bins_of(manifest: &VersionManifest) -> Vec<(String, String)> {
    let mut bins: Vec<(String, String)> = match &manifest.bin {
        Some(serde_json::Value::String(path)) => {
            let command = manifest.name.rsplit('/').next().unwrap_or(&manifest.name);
            vec![(command.to_string(), path.clone())]
        }
        Some(serde_json::Value::Object(map)) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => Vec::new(),
    };
    bins.sort();
    bins
}

/// A YAML double-quoted scalar (JSON's escaping is valid YAML): yarn rewrites the file in its
/// own quoting anyway.
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The entries that differ between two berry lockfiles, by (name, version) of their package
/// blocks (see [`EntryChange::diff`]): what an update and yarn's completion of it moved.
pub fn changed_entries(
    file: &str,
    old_text: &str,
    new_text: &str,
) -> Result<Vec<EntryChange>, ParseError> {
    let pairs = |text: &str| -> Result<Vec<(String, String)>, ParseError> {
        Ok(read_blocks(file, text)?
            .into_iter()
            .map(|b| (b.name, b.version))
            .collect())
    };
    Ok(EntryChange::diff(&pairs(old_text)?, &pairs(new_text)?))
}

#[cfg(test)]
#[path = "berry_edit_tests.rs"]
mod tests;
