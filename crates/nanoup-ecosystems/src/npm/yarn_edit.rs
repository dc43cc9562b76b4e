//! In-place edits of a `yarn.lock` v1 (yarn classic): move the block of `name@from` to the
//! version `to` from the registry's manifest of that version, byte for byte everything else,
//! or say precisely why that is not a nano update.
//!
//! Pure: text in, text out. When [`plan_yarn_edit`] refuses, the native fallback is yarn itself
//! (`yarn upgrade NAME@TO`), which the caller names; after writing, the caller runs
//! [`changed_entries`] on the old and new text and restores the file if anything outside the
//! plan changed.
//!
//! # What is checked
//! - the lockfile parses (with the yarn.lock parser of the scan), and exactly one block
//!   resolves `name@from`, from the registry (its `resolved` is a registry tarball);
//! - every specifier of the block's header (`name@range`, `alias@npm:name@range`) accepts
//!   `to`: the header is kept, so every dependent that asked for one of these ranges now gets
//!   `to`;
//! - no other block already resolves `name@to` (yarn would merge the two blocks);
//! - every dependency of the new version (`dependencies` and `optionalDependencies`) is
//!   resolved by a block whose header lists exactly `dep@range` and whose version that range
//!   accepts. When no header lists it, yarn would add the specifier to a block (or add a
//!   block): a larger change, refused;
//! - every dependency specifier the old version had and the new one drops is still asked for
//!   by another block or by a manifest's declaration (the `roots`); otherwise yarn would drop
//!   it from the lockfile, another change, refused.
//!
//! # How the block is written
//! As yarn 1 writes it (`lockfile/stringify.js`): the header line as it was, then `version`,
//! `resolved`, `integrity`, `dependencies`, `optionalDependencies`, two-space indented, the
//! dependency lists four-space indented and sorted by UTF-16 code units; keys and values
//! quoted with JSON escapes when yarn quotes them (`maybeWrap`: not starting with a letter, or
//! holding `:`, whitespace, `"`, `\`, `,`, `[`, `]`, or starting with `true`/`false`).
//! Dependencies that are also optional are listed under `optionalDependencies` only, as yarn
//! normalises manifests. `resolved` keeps the old entry's registry host when the manifest's
//! tarball is on the other name of the same registry (`registry.yarnpkg.com` and
//! `registry.npmjs.org`), and a `#<sha1>` fragment when the old one had it; `integrity` is
//! written when the old block had one (`dist.integrity`, else `sha1-` from `dist.shasum`).
//! The block's line ending (`\n` or `\r\n`) is kept.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use nanoup_core::{EntryChange, ParseError};
use nanoup_versions::{RequirementKind, Scheme, Version};

use super::edit::sha1_integrity;
use super::registry::VersionManifest;
use super::yarn_lock::{parse_specifiers, split_field};
use super::{parse_yarn_lock, split_alias, split_name_at};

#[cfg(test)]
#[path = "yarn_edit_tests.rs"]
mod tests;

/// The result of [`plan_yarn_edit`]: the new lockfile text and the entry it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YarnEdit {
    /// The whole new yarn.lock text.
    pub new_text: String,
    /// The one change (`name`, `from`, `to`); equal to what [`changed_entries`] reports.
    pub changed: Vec<EntryChange>,
    /// The 1-based line of the edited block's header.
    pub line: u32,
}

/// Why a yarn.lock block cannot be moved in place. Every variant names the file and the line;
/// [`YarnRefusal::yarn_can_resolve`] says whether yarn itself could make the update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YarnRefusal {
    /// The lockfile does not parse as yarn.lock v1.
    Unreadable(ParseError),
    /// No block resolves `name@version`.
    NotFound {
        /// The lockfile.
        file: String,
        /// The package.
        name: String,
        /// The version looked for.
        version: String,
    },
    /// Several blocks resolve `name@version`.
    SeveralBlocks {
        /// The lockfile.
        file: String,
        /// The package and version.
        id: String,
        /// The header lines of the blocks.
        lines: Vec<u32>,
    },
    /// The block (or the new version) is of a kind this editor does not write.
    Unsupported {
        /// The lockfile.
        file: String,
        /// The line of the block's header.
        line: u32,
        /// What is unsupported.
        reason: String,
    },
    /// A specifier of the block's header does not accept the new version.
    RangeRejects {
        /// The lockfile.
        file: String,
        /// The line of the block's header.
        line: u32,
        /// The specifier (`name@range`).
        spec: String,
        /// The version the update moves to.
        to: String,
    },
    /// Another block already resolves the new version: yarn would merge the two.
    WouldMerge {
        /// The lockfile.
        file: String,
        /// The line of the other block's header.
        line: u32,
        /// `name@to`.
        id: String,
    },
    /// A dependency of the new version is not listed by any block's header.
    NeedsNewSpecifier {
        /// The lockfile.
        file: String,
        /// `dep@range`, as the new version asks for it.
        spec: String,
        /// A block of that dependency whose version accepts the range: (header line, version).
        satisfied_by: Option<(u32, String)>,
    },
    /// A block lists the dependency's specifier but its version does not satisfy it.
    Unsatisfied {
        /// The lockfile.
        file: String,
        /// The line of that block's header.
        line: u32,
        /// `dep@range`.
        spec: String,
        /// The version the block resolves.
        version: String,
    },
    /// A dependency specifier of the old version that nothing else asks for: yarn would drop
    /// it.
    Orphaned {
        /// The lockfile.
        file: String,
        /// The line of the edited block's header.
        line: u32,
        /// `dep@range`.
        spec: String,
    },
}

impl fmt::Display for YarnRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            YarnRefusal::Unreadable(error) => write!(f, "{error}"),
            YarnRefusal::NotFound {
                file,
                name,
                version,
            } => write!(
                f,
                "{file}: no block resolves {name}@{version}; re-plan against the current lockfile"
            ),
            YarnRefusal::SeveralBlocks { file, id, lines } => write!(
                f,
                "{file}: {} blocks resolve {id} (lines {}); yarn would merge them, so yarn must \
                 update it",
                lines.len(),
                lines
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            YarnRefusal::Unsupported { file, line, reason } => {
                write!(f, "{file}:{line}: {reason}; yarn must update it")
            }
            YarnRefusal::RangeRejects {
                file,
                line,
                spec,
                to,
            } => write!(
                f,
                "{file}:{line}: the block's specifier {spec:?} does not accept {to}, so the \
                 block must be split; yarn must change the lockfile"
            ),
            YarnRefusal::WouldMerge { file, line, id } => write!(
                f,
                "{file}:{line}: a block already resolves {id}; yarn would merge the two blocks \
                 (another entry changes), so yarn must change the lockfile"
            ),
            YarnRefusal::NeedsNewSpecifier {
                file,
                spec,
                satisfied_by,
            } => match satisfied_by {
                Some((line, version)) => write!(
                    f,
                    "{file}: the new version needs {spec:?}, which no block's header lists; the \
                     block at line {line} ({version}) satisfies it, but yarn would add the \
                     specifier to its header (another entry changes), so yarn must change the \
                     lockfile"
                ),
                None => write!(
                    f,
                    "{file}: the new version needs {spec:?}, which no block resolves; yarn must \
                     add a block"
                ),
            },
            YarnRefusal::Unsatisfied {
                file,
                line,
                spec,
                version,
            } => write!(
                f,
                "{file}:{line}: the new version needs {spec:?}, but the block listing it \
                 resolves {version}; yarn must change the lockfile"
            ),
            YarnRefusal::Orphaned { file, line, spec } => write!(
                f,
                "{file}:{line}: the new version no longer asks for {spec:?} and nothing else \
                 does; yarn would drop it from the lockfile (another entry changes), so yarn \
                 must change the lockfile"
            ),
        }
    }
}

impl std::error::Error for YarnRefusal {}

impl YarnRefusal {
    /// Whether yarn itself (`yarn upgrade NAME@TO`) could make the update that the in-place
    /// edit refused: true when the lockfile must change around the block; false when the
    /// lockfile is unreadable or holds no `name@from` (re-plan instead).
    pub fn yarn_can_resolve(&self) -> bool {
        !matches!(
            self,
            YarnRefusal::Unreadable(_) | YarnRefusal::NotFound { .. }
        )
    }
}

impl From<ParseError> for YarnRefusal {
    fn from(error: ParseError) -> Self {
        YarnRefusal::Unreadable(error)
    }
}

/// One field of a block: `key value`, or `key:` with its `name range` children.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    key: String,
    value: Option<String>,
    children: Vec<(String, String)>,
}

/// A package block of a yarn.lock, as read by [`read_blocks`].
#[derive(Debug, Clone)]
struct Block<'a> {
    /// Byte offset of the header line.
    start: usize,
    /// Byte offset just after the block's last line (its line ending included).
    end: usize,
    /// 1-based line of the header.
    line: u32,
    /// The header line as written, with its line ending.
    header: &'a str,
    /// Whether the header line ends with `\r\n`.
    crlf: bool,
    /// The specifiers of the header.
    specs: Vec<String>,
    /// The package name (the real one for an `npm:` alias).
    name: String,
    /// The fields, in file order.
    fields: Vec<Field>,
    /// Whether comment lines sit inside the block.
    has_comments: bool,
}

impl Block<'_> {
    fn value(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.key == key)
            .and_then(|f| f.value.as_deref())
    }

    fn version(&self) -> &str {
        self.value("version").unwrap_or("")
    }

    /// The `(name, range)` pairs of `dependencies` and `optionalDependencies`.
    fn dependency_pairs(&self) -> impl Iterator<Item = &(String, String)> {
        self.fields
            .iter()
            .filter(|f| f.key == "dependencies" || f.key == "optionalDependencies")
            .flat_map(|f| f.children.iter())
    }
}

/// Splits a yarn.lock (already accepted by `parse_yarn_lock`) into its blocks.
fn read_blocks<'a>(file: &str, text: &'a str) -> Result<Vec<Block<'a>>, ParseError> {
    let mut blocks: Vec<Block<'a>> = Vec::new();
    let mut offset = 0;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let start = offset;
        offset += raw.len();
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        let error =
            |at: usize, message: String| ParseError::at_offset(file, text, start + at, message);
        if content.is_empty() {
            continue;
        }
        if content.starts_with('#') {
            if indent > 0
                && let Some(block) = blocks.last_mut()
            {
                block.has_comments = true;
            }
            continue;
        }
        if indent == 0 {
            let header = content.strip_suffix(':').unwrap_or(content);
            let specs = parse_specifiers(header).map_err(|(at, m)| error(at, m))?;
            let first = specs.first().map(String::as_str).unwrap_or("");
            let (declared, range) = split_name_at(first);
            let name = split_alias(range)
                .map_or(declared, |(real, _)| real)
                .to_string();
            blocks.push(Block {
                start,
                end: offset,
                line: line_no,
                header: raw,
                crlf: raw.ends_with("\r\n"),
                specs,
                name,
                fields: Vec::new(),
                has_comments: false,
            });
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            return Err(error(indent, "expected a package header line first".into()));
        };
        block.end = offset;
        let (key, value) = split_field(content).map_err(|(at, m)| error(indent + at, m))?;
        if indent == 2 {
            block.fields.push(Field {
                key,
                value,
                children: Vec::new(),
            });
        } else if let Some(field) = block.fields.last_mut() {
            field.children.push((key, value.unwrap_or_default()));
        } else {
            return Err(error(
                indent,
                "expected a field line before this entry".into(),
            ));
        }
    }
    Ok(blocks)
}

/// Whether the npm range `range` (maybe an `npm:` alias) accepts `version`; `Err` explains a
/// range that cannot be checked offline (a dist-tag, git, a URL, a path, bad syntax).
fn accepts(range: &str, version: &Version) -> Result<bool, String> {
    let requirement = Scheme::Npm
        .parse_requirement(range)
        .map_err(|e| format!("cannot read the range {range:?}: {e}"))?;
    match requirement.kind() {
        RequirementKind::Range | RequirementKind::Minimum => Ok(requirement.matches(version)),
        RequirementKind::Tag(tag) => Err(format!("the dist-tag {tag:?} cannot be checked offline")),
        RequirementKind::External(kind) => Err(format!("{range:?} is a {kind} source")),
        _ => Err(format!("{range:?} is an unknown kind of range")),
    }
}

/// The fields a block may have for this editor to rewrite it.
const KNOWN_FIELDS: &[&str] = &[
    "version",
    "resolved",
    "integrity",
    "dependencies",
    "optionalDependencies",
];

/// Plans the in-place edit of the yarn.lock block resolving `name@from` in `text` (read from
/// `file`, which names the errors) to the version `manifest` describes (its manifest from the
/// registry's packument).
///
/// `roots` are the `name@range` declarations of the project's manifests (package.json and its
/// workspaces): they keep a specifier in the lockfile even when no block depends on it. Checks
/// what the module documentation lists and refuses, saying which, when yarn would have to
/// change more than this block. The result is checked with [`changed_entries`] before it is
/// returned.
pub fn plan_yarn_edit(
    file: &str,
    text: &str,
    name: &str,
    from: &str,
    manifest: &VersionManifest,
    roots: &[String],
) -> Result<YarnEdit, YarnRefusal> {
    parse_yarn_lock(file, text)?;
    if text.lines().any(|l| l.starts_with("__metadata:")) {
        return Err(YarnRefusal::Unsupported {
            file: file.to_string(),
            line: 1,
            reason: format!(
                "a yarn 2+ (berry) lockfile, which nanoup reads but does not edit yet; run \
                 `yarn up {name}@{}` there",
                manifest.version
            ),
        });
    }
    let blocks = read_blocks(file, text)?;
    let to = manifest.version.as_str();
    let targets: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.name == name && b.version() == from)
        .collect();
    let block = match targets.as_slice() {
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
                id: format!("{name}@{from}"),
                lines: several.iter().map(|b| b.line).collect(),
            });
        }
    };
    let unsupported = |reason: String| YarnRefusal::Unsupported {
        file: file.to_string(),
        line: block.line,
        reason,
    };
    let to_version = Version::parse(Scheme::Npm, to)
        .map_err(|e| unsupported(format!("the target version {to:?} is not npm semver: {e}")))?;
    if block.has_comments {
        return Err(unsupported("the block holds comment lines".into()));
    }
    if let Some(field) = block
        .fields
        .iter()
        .find(|f| !KNOWN_FIELDS.contains(&f.key.as_str()))
    {
        return Err(unsupported(format!(
            "the block has a `{}` field, which this editor does not write",
            field.key
        )));
    }
    let Some(old_resolved) = block.value("resolved") else {
        return Err(unsupported(
            "the block has no `resolved` URL, so its source is unknown".into(),
        ));
    };
    let (old_url, old_fragment) = match old_resolved.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (old_resolved, None),
    };
    if !((old_url.starts_with("https://") || old_url.starts_with("http://"))
        && old_url.contains("/-/"))
    {
        return Err(unsupported(format!(
            "{old_resolved:?} is not a registry tarball (git, a URL or a folder)"
        )));
    }
    for spec in &block.specs {
        let (_, range) = split_name_at(spec);
        let ok = accepts(range, &to_version).map_err(|e| {
            unsupported(format!(
                "the header's specifier {spec:?} cannot be checked: {e}"
            ))
        })?;
        if !ok {
            return Err(YarnRefusal::RangeRejects {
                file: file.to_string(),
                line: block.line,
                spec: spec.clone(),
                to: to.to_string(),
            });
        }
    }
    if let Some(other) = blocks.iter().find(|b| b.name == name && b.version() == to) {
        return Err(YarnRefusal::WouldMerge {
            file: file.to_string(),
            line: other.line,
            id: format!("{name}@{to}"),
        });
    }

    // The new version's dependency lists, normalised as yarn does.
    let optional: Vec<(String, String)> = manifest.optional_dependencies.clone();
    let optional_names: BTreeSet<&str> = optional.iter().map(|(n, _)| n.as_str()).collect();
    let dependencies: Vec<(String, String)> = manifest
        .dependencies
        .iter()
        .filter(|(n, _)| !optional_names.contains(n.as_str()))
        .cloned()
        .collect();
    for (dep, range) in dependencies.iter().chain(&optional) {
        let spec = format!("{dep}@{range}");
        match blocks.iter().find(|b| b.specs.contains(&spec)) {
            Some(resolving) => {
                let version = resolving.version();
                // A range that is not a registry range (git, a tarball URL) is vouched for by
                // the header naming it exactly; a version that is not semver (a git checkout)
                // likewise.
                let ok = Version::parse(Scheme::Npm, version)
                    .map(|v| accepts(range, &v).unwrap_or(true))
                    .unwrap_or(true);
                if !ok {
                    return Err(YarnRefusal::Unsatisfied {
                        file: file.to_string(),
                        line: resolving.line,
                        spec,
                        version: version.to_string(),
                    });
                }
            }
            None => {
                let satisfied_by = blocks
                    .iter()
                    .filter(|b| b.name == *dep)
                    .find(|b| {
                        Version::parse(Scheme::Npm, b.version())
                            .ok()
                            .is_some_and(|v| accepts(range, &v).unwrap_or(false))
                    })
                    .map(|b| (b.line, b.version().to_string()));
                return Err(YarnRefusal::NeedsNewSpecifier {
                    file: file.to_string(),
                    spec,
                    satisfied_by,
                });
            }
        }
    }

    // The old version's dependency specifiers the new one drops must stay asked for.
    let new_pairs: BTreeSet<(&str, &str)> = dependencies
        .iter()
        .chain(&optional)
        .map(|(n, r)| (n.as_str(), r.as_str()))
        .collect();
    for (dep, range) in block.dependency_pairs() {
        if new_pairs.contains(&(dep.as_str(), range.as_str())) {
            continue;
        }
        let spec = format!("{dep}@{range}");
        let asked = roots.contains(&spec)
            || blocks.iter().any(|b| {
                b.start != block.start && b.dependency_pairs().any(|(n, r)| n == dep && r == range)
            });
        if !asked {
            return Err(YarnRefusal::Orphaned {
                file: file.to_string(),
                line: block.line,
                spec,
            });
        }
    }

    // The new block.
    let tarball = manifest.tarball.as_deref().ok_or_else(|| {
        unsupported(format!(
            "the registry's manifest of {name}@{to} has no `dist.tarball`"
        ))
    })?;
    let mut resolved = rebase_tarball(old_url, tarball);
    if old_fragment.is_some() {
        let shasum = manifest.shasum.as_deref().ok_or_else(|| {
            unsupported(format!(
                "the registry's manifest of {name}@{to} has no `dist.shasum` for the \
                 `#sha1` fragment"
            ))
        })?;
        resolved.push('#');
        resolved.push_str(shasum);
    }
    let integrity = if block.value("integrity").is_some() {
        let integrity = match (&manifest.integrity, &manifest.shasum) {
            (Some(integrity), _) => integrity.clone(),
            (None, Some(shasum)) => sha1_integrity(shasum)
                .ok_or_else(|| unsupported(format!("`dist.shasum` {shasum:?} is not SHA-1 hex")))?,
            (None, None) => {
                return Err(unsupported(format!(
                    "the registry's manifest of {name}@{to} has no integrity"
                )));
            }
        };
        Some(integrity)
    } else {
        None
    };
    let eol = if block.crlf { "\r\n" } else { "\n" };
    let mut out = String::from(block.header);
    let mut line = |text: String| {
        out.push_str(&text);
        out.push_str(eol);
    };
    line(format!("  version {}", maybe_wrap(to)));
    line(format!("  resolved {}", maybe_wrap(&resolved)));
    if let Some(integrity) = &integrity {
        line(format!("  integrity {}", maybe_wrap(integrity)));
    }
    for (key, list) in [
        ("dependencies", &dependencies),
        ("optionalDependencies", &optional),
    ] {
        if list.is_empty() {
            continue;
        }
        line(format!("  {key}:"));
        let mut sorted: Vec<&(String, String)> = list.iter().collect();
        sorted.sort_by(|a, b| priority_then_alpha(&a.0, &b.0));
        for (dep, range) in sorted {
            line(format!("    {} {}", maybe_wrap(dep), maybe_wrap(range)));
        }
    }
    let mut new_text = String::with_capacity(text.len() + out.len());
    new_text.push_str(text.get(..block.start).unwrap_or(""));
    // The old block's last line may have had no line ending (the end of the file).
    let old_block = text.get(block.start..block.end).unwrap_or("");
    if !old_block.ends_with('\n') {
        let trimmed = out.strip_suffix(eol).unwrap_or(&out).to_string();
        out = trimmed;
    }
    new_text.push_str(&out);
    new_text.push_str(text.get(block.end..).unwrap_or(""));

    let expected = vec![EntryChange {
        name: name.to_string(),
        from: Some(from.to_string()),
        to: Some(to.to_string()),
        path: None,
    }];
    let changed = changed_entries(file, text, &new_text)?;
    if changed != expected {
        return Err(unsupported(format!(
            "the edit would change {changed:?}, not only {name} {from} -> {to}"
        )));
    }
    Ok(YarnEdit {
        new_text,
        changed,
        line: block.line,
    })
}

/// The registry's tarball URL, on the old entry's host when the two are the two names of the
/// public registry (yarn's `registry.yarnpkg.com` serves npm's tarballs).
fn rebase_tarball(old_url: &str, tarball: &str) -> String {
    const HOSTS: [&str; 2] = [
        "https://registry.yarnpkg.com/",
        "https://registry.npmjs.org/",
    ];
    for (old_host, new_host) in [(HOSTS[0], HOSTS[1]), (HOSTS[1], HOSTS[0])] {
        if old_url.starts_with(old_host)
            && let Some(path) = tarball.strip_prefix(new_host)
        {
            return format!("{old_host}{path}");
        }
    }
    tarball.to_string()
}

/// yarn's `maybeWrap`: the string as is, or JSON-quoted when yarn quotes it.
fn maybe_wrap(s: &str) -> String {
    let wrap = s.starts_with("true")
        || s.starts_with("false")
        || s.chars()
            .any(|c| c.is_whitespace() || matches!(c, ':' | '\\' | '"' | ',' | '[' | ']'))
        || !s.starts_with(|c: char| c.is_ascii_alphabetic());
    if wrap {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    } else {
        s.to_string()
    }
}

/// yarn's `priorityThenAlphaSort`: its priority keys first, the rest by UTF-16 code units.
fn priority_then_alpha(a: &str, b: &str) -> Ordering {
    let priority = |key: &str| match key {
        "name" => 1,
        "version" => 2,
        "uid" => 3,
        "resolved" => 4,
        "integrity" => 5,
        "registry" => 6,
        "dependencies" => 7,
        _ => 100,
    };
    let (pa, pb) = (priority(a), priority(b));
    if pa != 100 || pb != 100 {
        if pa > pb {
            Ordering::Greater
        } else {
            Ordering::Less
        }
    } else {
        a.encode_utf16().cmp(b.encode_utf16())
    }
}

/// Compares two versions of a yarn.lock (both read as `file`) block by block and returns one
/// [`EntryChange`] per block that differs in any way, sorted:
///
/// - blocks are matched by their header's specifiers; a block whose fields (version,
///   resolved, integrity, dependency lists, …) differ is `name: from -> to` (the same version
///   twice when only its other fields changed);
/// - a block whose header changed but that resolves the same version (a specifier added or
///   dropped) is `name: version -> version`;
/// - the remaining blocks pair up per name in version order (`from -> to`), else they are
///   additions (`from: None`) or removals (`to: None`).
///
/// Comments, blank lines and quoting are not entries. This is the blast-radius check run after
/// every edit.
pub fn changed_entries(
    file: &str,
    old_text: &str,
    new_text: &str,
) -> Result<Vec<EntryChange>, ParseError> {
    parse_yarn_lock(file, old_text)?;
    parse_yarn_lock(file, new_text)?;
    let old_blocks = read_blocks(file, old_text)?;
    let new_blocks = read_blocks(file, new_text)?;
    let key = |b: &Block| -> BTreeSet<String> { b.specs.iter().cloned().collect() };
    let mut new_by_key: BTreeMap<BTreeSet<String>, Vec<&Block>> = BTreeMap::new();
    for b in &new_blocks {
        new_by_key.entry(key(b)).or_default().push(b);
    }
    let mut changes = Vec::new();
    let mut gone: Vec<&Block> = Vec::new();
    for old in &old_blocks {
        match new_by_key.get_mut(&key(old)).and_then(|list| {
            let found = list.first().copied();
            if !list.is_empty() {
                list.remove(0);
            }
            found
        }) {
            Some(new) if new.fields == old.fields && new.name == old.name => {}
            Some(new) => changes.push(EntryChange {
                name: new.name.clone(),
                from: Some(old.version().to_string()),
                to: Some(new.version().to_string()),
                path: None,
            }),
            None => gone.push(old),
        }
    }
    let mut added: Vec<&Block> = new_by_key.into_values().flatten().collect();
    // A header that changed around the same block.
    gone.retain(|old| {
        match added
            .iter()
            .position(|new| new.name == old.name && new.fields == old.fields)
        {
            Some(i) => {
                added.remove(i);
                changes.push(EntryChange {
                    name: old.name.clone(),
                    from: Some(old.version().to_string()),
                    to: Some(old.version().to_string()),
                    path: None,
                });
                false
            }
            None => true,
        }
    });
    let pairs = |list: &[&Block]| -> Vec<(String, String)> {
        list.iter()
            .map(|b| (b.name.clone(), b.version().to_string()))
            .collect()
    };
    let mut rest = EntryChange::diff(&pairs(&gone), &pairs(&added));
    // Same name and version on both sides but other content: the diff cancels them out.
    for old in &gone {
        let same = added
            .iter()
            .any(|new| new.name == old.name && new.version() == old.version());
        if same {
            rest.push(EntryChange {
                name: old.name.clone(),
                from: Some(old.version().to_string()),
                to: Some(old.version().to_string()),
                path: None,
            });
        }
    }
    changes.extend(rest);
    changes.sort();
    Ok(changes)
}
