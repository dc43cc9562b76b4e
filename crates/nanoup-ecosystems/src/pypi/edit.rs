//! Surgical edits of PyPI files: one package moves from one version to another and nothing
//! else in the file changes.
//!
//! Every function here is pure (text in, text out). The caller reads the file, calls an editor,
//! checks the result with [`changed_entries`] (the blast-radius check: exactly the planned
//! entry must have changed), and writes the file atomically.
//!
//! - [`edit_requirements`]: the `==FROM` pin of a requirements file becomes `==TO`, keeping
//!   the exact spacing, extras, markers, comments, continuations and other options. When the
//!   requirement carries `--hash` options they are replaced by the sha256 of every
//!   installable file (wheels and sdists) of `TO`, sorted as pip-compile sorts them, laid out
//!   as the original hashes were (one per continuation line, or side by side).
//! - [`edit_poetry_lock`]: the `[[package]]` entry's `version`, its `python-versions` (when
//!   the new files agree on one `Requires-Python`), and its file list: `files = [...]` inside
//!   the entry (lock format 2) or the entry's list under `[metadata.files]` (lock format 1),
//!   in Poetry's layout and order (by file name). `[metadata] content-hash` hashes
//!   `pyproject.toml` and is left alone.
//! - [`edit_uv_lock`]: the `[[package]]` entry's `version`, `sdist = { url, hash, size }` and
//!   `wheels = [...]`, with `upload-time` when the entry already had it (lock revisions that
//!   record it), wheels sorted by file name, and wheels that cannot run on the lock's
//!   `requires-python` left out as uv leaves them out.
//!
//! Lockfile entries also record the package's own dependencies, which the file list cannot
//! tell. The editors keep them as they were and say so with
//! [`Caveat::DependenciesNotRefreshed`]: the caller must treat the edit as needing the native
//! tool (`uv lock --upgrade-package NAME==TO`, `poetry lock --no-update`) unless it knows the
//! dependencies of `TO` are those of `FROM` (e.g. from the registry's `requires_dist`). See
//! [`Edit::needs_fallback`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;

use nanoup_core::{EntryChange, LineIndex, ParseError, normalize_pypi_name};
use toml_edit::{Array, Document, InlineTable, Item, Table, Value};

use super::registry::DistFile;
use super::requirements::{self, Entry};
use crate::edit_support::{Fingerprint, diff_fingerprints};

/// The kinds of PyPI files these editors change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// A pip requirements (or constraints) file.
    Requirements,
    /// A `poetry.lock`.
    PoetryLock,
    /// A `uv.lock`.
    UvLock,
}

impl FileKind {
    /// The kind of the file at `path` (by its name), if it is one of the edited kinds.
    pub fn of_path(path: &str) -> Option<FileKind> {
        let name = crate::file_name(path);
        match name {
            "poetry.lock" => Some(FileKind::PoetryLock),
            "uv.lock" => Some(FileKind::UvLock),
            _ if requirements::is_requirements_file(path) => Some(FileKind::Requirements),
            _ => None,
        }
    }
}

/// Something an edit could not bring up to date by itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caveat {
    /// The lock entry's dependency tables (Poetry's `[package.dependencies]` and
    /// `[package.extras]`, uv's `dependencies` and `optional-dependencies`) and its
    /// description are still those of `from`: a file list does not tell the dependencies of
    /// `to`. Unless the caller knows they are unchanged, it must run the native tool instead
    /// and report the larger blast radius.
    DependenciesNotRefreshed {
        /// The package.
        name: String,
        /// The version whose dependencies the entry still lists.
        version: String,
    },
    /// The new files disagree on their `Requires-Python`, so Poetry's `python-versions` was
    /// left as it was.
    PythonVersionsNotRefreshed {
        /// The package.
        name: String,
    },
}

impl fmt::Display for Caveat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caveat::DependenciesNotRefreshed { name, version } => write!(
                f,
                "the dependencies of `{name}` in the lock are still those of {version}: \
                 check them against the new release or let the native tool relock it"
            ),
            Caveat::PythonVersionsNotRefreshed { name } => write!(
                f,
                "the files of the new `{name}` disagree on Requires-Python, so \
                 `python-versions` was left as it was"
            ),
        }
    }
}

/// The result of an edit: the new text and what it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The whole new file.
    pub text: String,
    /// 1-based lines (in the old text) of the entries that changed.
    pub lines: Vec<u32>,
    /// What the edit could not refresh (empty for requirements files).
    pub caveats: Vec<Caveat>,
}

impl Edit {
    /// Whether a caveat asks for the native tool (the lock's dependency tables were not
    /// refreshed). A caller that has checked the new release's dependencies may ignore it.
    pub fn needs_fallback(&self) -> bool {
        self.caveats
            .iter()
            .any(|c| matches!(c, Caveat::DependenciesNotRefreshed { .. }))
    }
}

/// Why an editor refused to touch a file. The file is never damaged: nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditRefusal {
    /// The file does not parse.
    Parse(ParseError),
    /// No entry pins `name` at `version`.
    NotFound {
        /// The edited file.
        file: String,
        /// The package.
        name: String,
        /// The version looked for.
        version: String,
        /// Versions of the package the file does pin (empty when it does not name it).
        found: Vec<String>,
    },
    /// The requirements file does not pin the package itself; it includes other files
    /// (`-r`/`-c`) where the pin may be. The caller edits that file instead.
    InIncludedFile {
        /// The edited file.
        file: String,
        /// The package.
        name: String,
        /// The include targets as written, relative to `file`.
        includes: Vec<String>,
    },
    /// The requirement is not a plain `==VERSION` pin (a range, several clauses, a URL).
    NotExactPin {
        /// The edited file.
        file: String,
        /// 1-based line of the requirement.
        line: u32,
        /// The package.
        name: String,
        /// The specifier as written.
        specifier: String,
    },
    /// The entry needs file hashes but the registry gave no installable file (wheel or sdist)
    /// of the new version, or not a sha256 for each.
    MissingHashes {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// The package.
        name: String,
        /// The new version.
        version: String,
    },
    /// The lock entry is not from a package index (git, path, URL).
    NotRegistry {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// The package.
        name: String,
    },
    /// The entry is laid out in a way the editor cannot change without rewriting more.
    Layout {
        /// The edited file.
        file: String,
        /// 1-based line of the entry.
        line: u32,
        /// What is unusual.
        reason: String,
    },
}

impl fmt::Display for EditRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditRefusal::Parse(error) => write!(f, "{error}; fix the file, then re-plan"),
            EditRefusal::NotFound {
                file,
                name,
                version,
                found,
            } => {
                if found.is_empty() {
                    write!(f, "{file}: no entry for `{name}` {version}; re-plan")
                } else {
                    write!(
                        f,
                        "{file}: `{name}` is at {} here, not {version}; the file changed since \
                         the plan, re-plan",
                        found.join(", ")
                    )
                }
            }
            EditRefusal::InIncludedFile {
                file,
                name,
                includes,
            } => write!(
                f,
                "{file}: `{name}` is not pinned here; edit the included file that pins it \
                 ({})",
                includes.join(", ")
            ),
            EditRefusal::NotExactPin {
                file,
                line,
                name,
                specifier,
            } => write!(
                f,
                "{file}:{line}: `{name}{specifier}` is not a plain `==` pin; nanoup only \
                 moves exact pins, change this requirement by hand"
            ),
            EditRefusal::MissingHashes {
                file,
                line,
                name,
                version,
            } => write!(
                f,
                "{file}:{line}: `{name}` needs file hashes but the index gave no wheel or \
                 sdist of {version} with a sha256 for each; use an index that publishes hashes"
            ),
            EditRefusal::NotRegistry { file, line, name } => write!(
                f,
                "{file}:{line}: `{name}` does not come from a package index; update its \
                 source by hand"
            ),
            EditRefusal::Layout { file, line, reason } => {
                write!(
                    f,
                    "{file}:{line}: {reason}; let the native tool make this update"
                )
            }
        }
    }
}

impl std::error::Error for EditRefusal {}

impl From<ParseError> for EditRefusal {
    fn from(error: ParseError) -> EditRefusal {
        EditRefusal::Parse(error)
    }
}

/// Whether a distribution file is something installers use: a wheel or an sdist (eggs and
/// Windows installers are left out, as pip, Poetry and uv leave them out).
pub fn is_installable(file: &DistFile) -> bool {
    let lower = file.filename.to_ascii_lowercase();
    lower.ends_with(".whl") || is_sdist(&lower)
}

fn is_sdist(lower: &str) -> bool {
    [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// The installable files with their sha256, sorted by file name; `None` when one lacks it.
fn hashed_files(files: &[DistFile]) -> Option<Vec<(&DistFile, &str)>> {
    let mut out: Vec<(&DistFile, &str)> = files
        .iter()
        .filter(|f| is_installable(f))
        .map(|f| f.sha256.as_deref().map(|h| (f, h)))
        .collect::<Option<_>>()?;
    out.sort_by(|a, b| a.0.filename.cmp(&b.0.filename));
    out.dedup_by(|a, b| a.0.filename == b.0.filename);
    Some(out)
}

/// Applies non-overlapping `(range, replacement)` splices to `text`.
fn splice(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for (range, replacement) in edits {
        out.push_str(text.get(at..range.start).unwrap_or(""));
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(text.get(at..).unwrap_or(""));
    out
}

/// The line ending the file uses.
fn newline_of(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

// ---------------------------------------------------------------------------------------------
// Requirements files
// ---------------------------------------------------------------------------------------------

/// One physical line of a requirements file.
#[derive(Debug, Clone)]
struct Physical {
    /// Offset of the line's first byte (after a byte-order mark).
    start: usize,
    /// End of the part before any comment (and before the line ending).
    code_end: usize,
}

/// One logical line (physical lines joined by `\`), as the requirements parser reads them.
#[derive(Debug, Clone)]
struct Logical {
    /// 1-based line of the first physical line.
    line: u32,
    pieces: Vec<Physical>,
}

/// The logical lines of `text`, split exactly as [`requirements::parse`] splits them.
fn logical_lines(text: &str) -> Vec<Logical> {
    let index = LineIndex::new(text);
    let mut lines = Vec::new();
    let mut current: Option<Logical> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let mut start = offset;
        offset += raw.len();
        let mut raw = raw;
        if start == 0
            && let Some(rest) = raw.strip_prefix('\u{feff}')
        {
            raw = rest;
            start += '\u{feff}'.len_utf8();
        }
        let physical = raw.trim_end_matches(['\n', '\r']);
        let is_comment = physical.trim_start().starts_with('#');
        let code = strip_comment(physical);
        let continued = !is_comment && code.trim_end().ends_with('\\');
        let logical = current.get_or_insert_with(|| Logical {
            line: index.line(start),
            pieces: Vec::new(),
        });
        logical.pieces.push(Physical {
            start,
            code_end: start + if is_comment { 0 } else { code.len() },
        });
        if !continued {
            lines.extend(current.take());
        }
    }
    lines.extend(current);
    lines
}

/// `line` without a comment: `#` at the start or after whitespace, as pip reads it.
fn strip_comment(line: &str) -> &str {
    let mut previous_is_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && previous_is_space {
            return line.get(..i).unwrap_or(line);
        }
        previous_is_space = c.is_whitespace();
    }
    line
}

/// One `--hash` option of a requirement.
#[derive(Debug, Clone)]
struct HashOption {
    /// Offset of `--hash`.
    start: usize,
    /// Offset of the value (`algo:hex`).
    value: usize,
    /// Offset of the hex digest (after `algo:`).
    digest: usize,
    /// End of the digest.
    end: usize,
}

/// The `--hash=algo:hex` / `--hash algo:hex` options of a logical line, in order; `Err` with
/// the offset of an option whose value is not on the same physical line or has no `algo:`.
fn hash_options(text: &str, logical: &Logical) -> Result<Vec<HashOption>, usize> {
    let mut out = Vec::new();
    for piece in &logical.pieces {
        let code = text.get(piece.start..piece.code_end).unwrap_or("");
        let mut search = 0;
        while let Some(found) = code.get(search..).and_then(|rest| rest.find("--hash")) {
            let at = search + found;
            search = at + "--hash".len();
            let preceded_by_space = at == 0
                || code
                    .get(..at)
                    .and_then(|before| before.chars().next_back())
                    .is_some_and(char::is_whitespace);
            let after = code.get(search..).unwrap_or("");
            let value_offset = if let Some(rest) = after.strip_prefix('=') {
                search + 1 + (rest.len() - rest.trim_start().len())
            } else if after.starts_with(char::is_whitespace) {
                search + (after.len() - after.trim_start().len())
            } else {
                continue; // `--hashes`, `--hash-foo`: another option
            };
            if !preceded_by_space {
                continue;
            }
            let value = code.get(value_offset..).unwrap_or("");
            let value_len = value.find(char::is_whitespace).unwrap_or(value.len());
            let value = value.get(..value_len).unwrap_or("");
            let Some((_, digest)) = value.split_once(':') else {
                return Err(piece.start + at);
            };
            if digest.is_empty() {
                return Err(piece.start + at);
            }
            let end = value_offset + value_len;
            out.push(HashOption {
                start: piece.start + at,
                value: piece.start + value_offset,
                digest: piece.start + end - digest.len(),
                end: piece.start + end,
            });
            search = end;
        }
    }
    Ok(out)
}

/// Adds the pin `name==version` to the requirements file `file` (content `text`): a new
/// dependency that the moved pins need (a companion of a requirements update). The line goes
/// before the first requirement whose name sorts after it (pip-compile sorts its output), else
/// at the end. When the file pins with `--hash`, the new pin gets the sha256 of every
/// installable file of `files` (the new version's), laid out as pip-compile writes them.
/// Refused when `name` is already required here, or hashes are needed and `files` lacks them.
pub fn add_requirement(
    file: &str,
    text: &str,
    name: &str,
    version: &str,
    files: &[DistFile],
) -> Result<Edit, EditRefusal> {
    let entries = requirements::parse(file, text)?;
    let wanted = normalize_pypi_name(name);
    let layout = |line: u32, reason: String| EditRefusal::Layout {
        file: file.to_string(),
        line,
        reason,
    };
    for entry in &entries {
        if let Entry::Requirement(r) = entry
            && r.name == wanted
        {
            return Err(layout(r.line, format!("{wanted} is already required here")));
        }
    }
    let newline = newline_of(text);
    let mut pin = format!("{wanted}=={version}");
    if text.contains("--hash") {
        let mut digests: Vec<&str> = hashed_files(files)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, h)| h)
            .collect();
        digests.sort_unstable();
        digests.dedup();
        if digests.is_empty() {
            return Err(EditRefusal::MissingHashes {
                file: file.to_string(),
                line: 1,
                name: wanted,
                version: version.to_string(),
            });
        }
        for digest in digests {
            pin.push_str(&format!(" \\{newline}    --hash=sha256:{digest}"));
        }
    }
    pin.push_str(newline);
    let at = insertion_point(file, text, &wanted)?;
    let line = text[..at].lines().count() as u32 + 1;
    let mut new = String::with_capacity(text.len() + pin.len() + 1);
    new.push_str(&text[..at]);
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        new.push_str(newline);
    }
    new.push_str(&pin);
    new.push_str(&text[at..]);
    Ok(Edit {
        text: new,
        lines: vec![line],
        caveats: Vec::new(),
    })
}

/// The pins `names` of the requirements file `current` put back as `before` had them: each
/// requirement line (with its continuation lines: hashes) of `before` replaces the current one,
/// a pin `before` lacked is removed, and one `current` lacks is inserted where pip-compile sorts
/// it. Every other byte stays. What a rollback of a requirements update with companions does.
pub fn restore_pins(
    file: &str,
    before: &str,
    current: &str,
    names: &[String],
) -> Result<String, EditRefusal> {
    let mut text = current.to_string();
    for name in names {
        let wanted = normalize_pypi_name(name);
        let old = pin_span(file, before, &wanted)?;
        let now = pin_span(file, &text, &wanted)?;
        let old_text = old.map(|r| before[r].to_string());
        text = match (now, old_text) {
            (Some(now), Some(old)) => format!("{}{old}{}", &text[..now.start], &text[now.end..]),
            (Some(now), None) => format!("{}{}", &text[..now.start], &text[now.end..]),
            (None, Some(old)) => {
                let at = insertion_point(file, &text, &wanted)?;
                let mut old = old;
                if !old.ends_with('\n') {
                    old.push_str(newline_of(&text));
                }
                format!("{}{old}{}", &text[..at], &text[at..])
            }
            (None, None) => text,
        };
    }
    Ok(text)
}

/// The bytes of the one logical line requiring `wanted` (a normalised name) in `text`, with
/// its line ending; `None` when no line requires it.
fn pin_span(file: &str, text: &str, wanted: &str) -> Result<Option<Range<usize>>, EditRefusal> {
    let lines: Vec<u32> = requirements::parse(file, text)?
        .into_iter()
        .filter_map(|e| match e {
            Entry::Requirement(r) if r.name == wanted => Some(r.line),
            _ => None,
        })
        .collect();
    let line = match lines.as_slice() {
        [] => return Ok(None),
        [line] => *line,
        _ => {
            return Err(EditRefusal::Layout {
                file: file.to_string(),
                line: lines[1],
                reason: format!("{wanted} is required on more than one line"),
            });
        }
    };
    let logical = logical_lines(text);
    let found = logical
        .iter()
        .find(|l| l.line == line)
        .ok_or_else(|| EditRefusal::Layout {
            file: file.to_string(),
            line,
            reason: "cannot find the requirement's line".to_string(),
        })?;
    let start = found.pieces.first().map_or(0, |p| p.start);
    let last = found.pieces.last().map_or(start, |p| p.start);
    let end = text[last..].find('\n').map_or(text.len(), |i| last + i + 1);
    Ok(Some(start..end))
}

/// Where a new requirement of `wanted` goes in `text`: before the first requirement whose name
/// sorts after it (pip-compile sorts its output), else at the end.
fn insertion_point(file: &str, text: &str, wanted: &str) -> Result<usize, EditRefusal> {
    let after = requirements::parse(file, text)?
        .into_iter()
        .find_map(|e| match e {
            Entry::Requirement(r) if r.name.as_str() > wanted => Some(r.line),
            _ => None,
        });
    let Some(line) = after else {
        return Ok(text.len());
    };
    logical_lines(text)
        .iter()
        .find(|l| l.line == line)
        .and_then(|l| l.pieces.first())
        .map(|p| p.start)
        .ok_or_else(|| EditRefusal::Layout {
            file: file.to_string(),
            line,
            reason: "cannot find the requirement's line".to_string(),
        })
}

/// Moves the `==from` pin of `name` in the requirements file `file` (content `text`) to
/// `==to`, and replaces its `--hash` options (if any) with the sha256 of `to`'s installable
/// `files`. Every line pinning `name==from` is changed (a package pinned twice under
/// different markers moves as one). Nothing else in the text changes.
///
/// Refuses when the text does not parse, when `name` is not pinned here (naming the included
/// files when there are some: the caller edits the one that pins it), when the requirement is
/// not a plain `==` pin, or when hashes are needed but `files` does not give a sha256 for
/// every installable file.
pub fn edit_requirements(
    file: &str,
    text: &str,
    name: &str,
    from: &str,
    to: &str,
    files: &[DistFile],
) -> Result<Edit, EditRefusal> {
    let entries = requirements::parse(file, text)?;
    let wanted = normalize_pypi_name(name);
    let mut includes = Vec::new();
    let mut constraints = false;
    let mut targets = Vec::new();
    for entry in &entries {
        match entry {
            Entry::Requirement(r) if r.name == wanted => targets.push(r),
            Entry::Include {
                target, constraint, ..
            } => {
                includes.push(target.clone());
                constraints |= *constraint;
            }
            Entry::Requirement(_) => {}
        }
    }
    let pinned: Vec<_> = targets
        .iter()
        .filter(|r| r.version.as_deref() == Some(from))
        .collect();
    if pinned.is_empty() {
        let found: Vec<String> = targets.iter().filter_map(|r| r.version.clone()).collect();
        if !found.is_empty() {
            return Err(EditRefusal::NotFound {
                file: file.to_string(),
                name: wanted,
                version: from.to_string(),
                found,
            });
        }
        if !includes.is_empty() && (targets.is_empty() || constraints) {
            return Err(EditRefusal::InIncludedFile {
                file: file.to_string(),
                name: wanted,
                includes,
            });
        }
        return Err(match targets.first() {
            Some(r) => EditRefusal::NotExactPin {
                file: file.to_string(),
                line: r.line,
                name: wanted,
                specifier: r
                    .location
                    .as_ref()
                    .map_or_else(|| r.specifier.clone(), |l| format!(" @ {l}")),
            },
            None => EditRefusal::NotFound {
                file: file.to_string(),
                name: wanted,
                version: from.to_string(),
                found: Vec::new(),
            },
        });
    }
    let logical = logical_lines(text);
    let newline = newline_of(text);
    let mut splices = Vec::new();
    let mut lines = Vec::new();
    for requirement in pinned {
        let line = requirement.line;
        let layout = |reason: &str| EditRefusal::Layout {
            file: file.to_string(),
            line,
            reason: reason.to_string(),
        };
        let spec = requirement.specifier.trim();
        let single = spec
            .strip_prefix("===")
            .or_else(|| spec.strip_prefix("=="))
            .is_some_and(|v| !v.contains(','));
        if !single {
            return Err(EditRefusal::NotExactPin {
                file: file.to_string(),
                line,
                name: wanted,
                specifier: requirement.specifier.clone(),
            });
        }
        let Some(logical) = logical.iter().find(|l| l.line == line) else {
            return Err(layout("cannot find the requirement's line"));
        };
        splices.push(pin_splice(text, logical, from, to).ok_or_else(|| {
            layout(&format!(
                "cannot find `=={from}` written out on the requirement's line"
            ))
        })?);
        let hashes = hash_options(text, logical)
            .map_err(|_| layout("a `--hash` option is not written as `--hash=algo:hex`"))?;
        if let Some(replacement) = hash_splice(text, logical, &hashes, files, newline) {
            splices.push(replacement.map_err(|missing| match missing {
                HashProblem::Missing => EditRefusal::MissingHashes {
                    file: file.to_string(),
                    line,
                    name: wanted.clone(),
                    version: to.to_string(),
                },
                HashProblem::Layout => {
                    layout("the `--hash` options are laid out irregularly and their number changes")
                }
            })?);
        }
        lines.push(line);
    }
    Ok(Edit {
        text: splice(text, splices),
        lines,
        caveats: Vec::new(),
    })
}

/// The splice turning the version after the first `==` of the requirement into `to`.
fn pin_splice(
    text: &str,
    logical: &Logical,
    from: &str,
    to: &str,
) -> Option<(Range<usize>, String)> {
    for piece in &logical.pieces {
        let code = text.get(piece.start..piece.code_end)?;
        let Some(op) = code.find("==") else {
            continue;
        };
        let mut at = op + 2;
        if code.get(at..)?.starts_with('=') {
            at += 1;
        }
        let rest = code.get(at..)?;
        at += rest.len() - rest.trim_start().len();
        let rest = code.get(at..)?;
        let len = rest
            .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')' | '\\' | '#'))
            .unwrap_or(rest.len());
        if rest.get(..len)? != from {
            return None;
        }
        let start = piece.start + at;
        return Some((start..start + len, to.to_string()));
    }
    None
}

enum HashProblem {
    Missing,
    Layout,
}

/// The splice replacing the hash options, `None` when the requirement has none.
fn hash_splice(
    text: &str,
    logical: &Logical,
    hashes: &[HashOption],
    files: &[DistFile],
    newline: &str,
) -> Option<Result<(Range<usize>, String), HashProblem>> {
    let (first, last) = (hashes.first()?, hashes.last()?);
    let Some(new) = hashed_files(files).filter(|f| !f.is_empty()) else {
        return Some(Err(HashProblem::Missing));
    };
    let mut digests: Vec<&str> = new.iter().map(|(_, h)| *h).collect();
    digests.sort_unstable();
    digests.dedup();
    // The option as first written (`--hash=` or `--hash `), always with sha256.
    let option = format!(
        "{}sha256:",
        text.get(first.start..first.value).unwrap_or("--hash=")
    );
    let separators: BTreeSet<&str> = hashes
        .windows(2)
        .filter_map(|pair| text.get(pair[0].end..pair[1].start))
        .collect();
    let separator = match separators.len() {
        0 => {
            // One hash: alone on its line (continuation layout) or beside the requirement.
            let piece = logical.pieces.iter().rfind(|p| p.start <= first.start)?;
            let before = text.get(piece.start..first.start).unwrap_or("");
            if before.trim().is_empty() {
                format!(" \\{newline}{before}")
            } else {
                " ".to_string()
            }
        }
        1 => separators.first()?.to_string(),
        _ if hashes.len() == digests.len() => {
            // Irregular layout, same count: replace each digest in place.
            let mut out = String::new();
            let mut at = first.start;
            for (option_at, digest) in hashes.iter().zip(&digests) {
                out.push_str(text.get(at..option_at.start).unwrap_or(""));
                out.push_str(&option);
                out.push_str(digest);
                at = option_at.end;
            }
            return Some(Ok((first.start..last.end, out)));
        }
        _ => return Some(Err(HashProblem::Layout)),
    };
    let joined = digests
        .iter()
        .map(|d| format!("{option}{d}"))
        .collect::<Vec<_>>()
        .join(&separator);
    Some(Ok((first.start..last.end, joined)))
}

// ---------------------------------------------------------------------------------------------
// TOML lockfiles
// ---------------------------------------------------------------------------------------------

/// A TOML basic string.
pub(super) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `[[package]]` tables of a lock.
fn package_tables<'d>(
    file: &str,
    text: &str,
    doc: &'d Document<String>,
) -> Result<Vec<&'d Table>, EditRefusal> {
    let Some(packages) = doc.get("package") else {
        return Ok(Vec::new());
    };
    match packages.as_array_of_tables() {
        Some(tables) => Ok(tables.iter().collect()),
        None => Err(ParseError::at_offset(
            file,
            text,
            packages.span().map_or(0, |s| s.start),
            "expected `[[package]]` tables",
        )
        .into()),
    }
}

/// The lock entry for `name` at `from`: its table and 1-based line.
fn find_package<'d>(
    file: &str,
    text: &str,
    doc: &'d Document<String>,
    name: &str,
    from: &str,
) -> Result<(&'d Table, u32), EditRefusal> {
    let wanted = normalize_pypi_name(name);
    let index = LineIndex::new(text);
    let mut found = Vec::new();
    for table in package_tables(file, text, doc)? {
        let same_name = table
            .get("name")
            .and_then(Item::as_str)
            .is_some_and(|n| normalize_pypi_name(n) == wanted);
        if !same_name {
            continue;
        }
        let version = table.get("version").and_then(Item::as_str);
        if version == Some(from) {
            let line = table.span().map_or(1, |s| index.line(s.start));
            return Ok((table, line));
        }
        found.extend(version.map(str::to_string));
    }
    Err(EditRefusal::NotFound {
        file: file.to_string(),
        name: wanted,
        version: from.to_string(),
        found,
    })
}

/// The span of `key`'s value in `table`, checked to lie inside the text.
pub(super) fn value_span(text: &str, table: &Table, key: &str) -> Option<Range<usize>> {
    table
        .get(key)
        .and_then(Item::span)
        .filter(|s| s.end <= text.len())
}

/// The whole lines holding `key = value` in `table`, with their line ending.
fn key_lines(text: &str, table: &Table, key: &str) -> Option<Range<usize>> {
    let key_start = table.key(key)?.span()?.start;
    let value_end = value_span(text, table, key)?.end;
    let start = text.get(..key_start)?.rfind('\n').map_or(0, |i| i + 1);
    let end = text
        .get(value_end..)?
        .find('\n')
        .map_or(text.len(), |i| value_end + i + 1);
    Some(start..end)
}

/// The indentation of the first element of a multi-line array, if it has one.
fn element_indent(text: &str, span: &Range<usize>) -> Option<String> {
    let inner = text.get(span.clone())?;
    let after_newline = inner.split_once('\n')?.1;
    let indent: String = after_newline
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let rest = after_newline.get(indent.len()..)?;
    (rest.starts_with('{') && !indent.is_empty()).then_some(indent)
}

/// Renders a multi-line TOML array of the given element strings, as Poetry and uv write
/// them: one per line, indented, each followed by a comma.
fn multiline_array(elements: &[String], indent: &str, newline: &str) -> String {
    let mut out = format!("[{newline}");
    for element in elements {
        out.push_str(indent);
        out.push_str(element);
        out.push(',');
        out.push_str(newline);
    }
    out.push(']');
    out
}

/// The `Requires-Python` the installable files agree on: `Some(None)` when none has one,
/// `None` when they disagree.
fn common_requires_python(files: &[DistFile]) -> Option<Option<String>> {
    let values: BTreeSet<Option<&str>> = files
        .iter()
        .filter(|f| is_installable(f))
        .map(|f| f.requires_python.as_deref().map(str::trim))
        .collect();
    match values.len() {
        0 => Some(None),
        1 => values.into_iter().next().map(|v| v.map(str::to_string)),
        _ => None,
    }
}

/// Moves the `poetry.lock` entry of `name` from `from` to `to` with `to`'s `files` (the
/// registry's files of that release). See the module documentation for what changes; the
/// result always carries [`Caveat::DependenciesNotRefreshed`].
///
/// Refuses when the text does not parse, when no entry pins `name` at `from`, when the entry
/// comes from git, a path or a URL, when `files` has no installable file with a sha256 for
/// every one, or when the lock has no file list for the entry.
pub fn edit_poetry_lock(
    file: &str,
    text: &str,
    name: &str,
    from: &str,
    to: &str,
    files: &[DistFile],
) -> Result<Edit, EditRefusal> {
    super::poetry::parse(file, text)?;
    let doc = crate::toml_spans::parse(file, text)?;
    let (table, line) = find_package(file, text, &doc, name, from)?;
    let layout = |reason: String| EditRefusal::Layout {
        file: file.to_string(),
        line,
        reason,
    };
    let source_type = table
        .get("source")
        .and_then(Item::as_table_like)
        .and_then(|s| s.get("type"))
        .and_then(Item::as_str);
    if matches!(source_type, Some("git" | "directory" | "file" | "url")) {
        return Err(EditRefusal::NotRegistry {
            file: file.to_string(),
            line,
            name: normalize_pypi_name(name),
        });
    }
    let new_files = hashed_files(files)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| EditRefusal::MissingHashes {
            file: file.to_string(),
            line,
            name: normalize_pypi_name(name),
            version: to.to_string(),
        })?;
    let newline = newline_of(text);
    let mut splices = Vec::new();
    let mut caveats = Vec::new();
    let version_span =
        value_span(text, table, "version").ok_or_else(|| layout("no `version` value".into()))?;
    splices.push((version_span, toml_string(to)));
    match common_requires_python(files) {
        Some(requires) => {
            let requires = requires.unwrap_or_else(|| "*".to_string());
            if let Some(span) = value_span(text, table, "python-versions")
                && table.get("python-versions").and_then(Item::as_str) != Some(requires.as_str())
            {
                splices.push((span, toml_string(&requires)));
            }
        }
        None => caveats.push(Caveat::PythonVersionsNotRefreshed {
            name: normalize_pypi_name(name),
        }),
    }
    let element = |f: &DistFile, hash: &str| {
        format!(
            "{{file = {}, hash = {}}}",
            toml_string(&f.filename),
            toml_string(&format!("sha256:{hash}"))
        )
    };
    if let Some(span) = value_span(text, table, "files") {
        // Lock format 2: the entry's own list.
        let indent = element_indent(text, &span).unwrap_or_else(|| "    ".to_string());
        let elements: Vec<String> = new_files.iter().map(|(f, h)| element(f, h)).collect();
        splices.push((span, multiline_array(&elements, &indent, newline)));
    } else {
        // Lock format 1: `[metadata.files]`, one list per name holding every locked version.
        let wanted = normalize_pypi_name(name);
        let metadata_files = doc
            .get("metadata")
            .and_then(|m| m.get("files"))
            .and_then(Item::as_table_like)
            .ok_or_else(|| layout(format!("no file list for `{wanted}` in the lock")))?;
        let (key, list) = metadata_files
            .iter()
            .find(|(k, _)| normalize_pypi_name(k) == wanted)
            .ok_or_else(|| layout(format!("no `[metadata.files]` list for `{wanted}`")))?;
        let span = list.span().filter(|s| s.end <= text.len()).ok_or_else(|| {
            layout(format!(
                "the `[metadata.files]` list of `{key}` has no place"
            ))
        })?;
        let array = list
            .as_array()
            .ok_or_else(|| layout(format!("`[metadata.files]` `{key}` is not an array")))?;
        let versions_of_name = package_tables(file, text, &doc)?
            .into_iter()
            .filter(|t| {
                t.get("name")
                    .and_then(Item::as_str)
                    .is_some_and(|n| normalize_pypi_name(n) == wanted)
            })
            .count();
        let mut elements: Vec<(String, String)> = Vec::new();
        if versions_of_name > 1 {
            // Keep the files of the other locked versions of the name.
            for value in array.iter() {
                let Some(file_name) = value
                    .as_inline_table()
                    .and_then(|t| t.get("file"))
                    .and_then(Value::as_str)
                else {
                    return Err(layout(format!(
                        "an element of `[metadata.files]` `{key}` has no `file`"
                    )));
                };
                match super::registry::version_of_file(&wanted, file_name, None) {
                    Some(v) if v == from => {}
                    Some(_) => {
                        let mut rendered = value.clone();
                        rendered.decor_mut().clear();
                        elements.push((file_name.to_string(), rendered.to_string()));
                    }
                    None => {
                        return Err(layout(format!(
                            "cannot tell which version `{file_name}` belongs to"
                        )));
                    }
                }
            }
        }
        elements.extend(
            new_files
                .iter()
                .map(|(f, h)| (f.filename.clone(), element(f, h))),
        );
        elements.sort();
        let indent = element_indent(text, &span).unwrap_or_else(|| "    ".to_string());
        let elements: Vec<String> = elements.into_iter().map(|(_, e)| e).collect();
        splices.push((span, multiline_array(&elements, &indent, newline)));
    }
    caveats.insert(
        0,
        Caveat::DependenciesNotRefreshed {
            name: normalize_pypi_name(name),
            version: from.to_string(),
        },
    );
    Ok(Edit {
        text: splice(text, splices),
        lines: vec![line],
        caveats,
    })
}

/// Moves the `uv.lock` entry of `name` from `from` to `to` with `to`'s `files` (the
/// registry's files of that release). See the module documentation for what changes; the
/// result always carries [`Caveat::DependenciesNotRefreshed`].
///
/// Refuses when the text does not parse, when no entry pins `name` at `from`, when the entry
/// does not come from a registry, when a kept file lacks a sha256 or a URL, or when the new
/// release would need an `sdist` or `wheels` key the entry has no place for.
pub fn edit_uv_lock(
    file: &str,
    text: &str,
    name: &str,
    from: &str,
    to: &str,
    files: &[DistFile],
) -> Result<Edit, EditRefusal> {
    super::uv::parse(file, text)?;
    let doc = crate::toml_spans::parse(file, text)?;
    let (table, line) = find_package(file, text, &doc, name, from)?;
    let wanted = normalize_pypi_name(name);
    let layout = |reason: String| EditRefusal::Layout {
        file: file.to_string(),
        line,
        reason,
    };
    let from_registry = table
        .get("source")
        .and_then(Item::as_table_like)
        .is_some_and(|s| s.contains_key("registry"));
    if !from_registry {
        return Err(EditRefusal::NotRegistry {
            file: file.to_string(),
            line,
            name: wanted,
        });
    }
    let missing = || EditRefusal::MissingHashes {
        file: file.to_string(),
        line,
        name: wanted.clone(),
        version: to.to_string(),
    };
    let new_files = hashed_files(files)
        .filter(|f| !f.is_empty())
        .ok_or_else(missing)?;
    if new_files.iter().any(|(f, _)| f.url.is_none()) {
        return Err(layout(format!(
            "the index gave no download URL for every file of `{wanted}` {to}"
        )));
    }
    let requires_python = doc.get("requires-python").and_then(Item::as_str);
    let lower = requires_python.and_then(lower_bound);
    let (sdists, wheels): (Vec<_>, Vec<_>) = new_files
        .iter()
        .partition(|(f, _)| !f.filename.to_ascii_lowercase().ends_with(".whl"));
    let wheels: Vec<_> = wheels
        .into_iter()
        .filter(|(f, _)| lower.is_none_or(|l| wheel_runs_on(&f.filename, l)))
        .collect();
    let sdist = sdists
        .iter()
        .find(|(f, _)| f.filename.to_ascii_lowercase().ends_with(".tar.gz"))
        .or_else(|| sdists.first());
    // What the entry records per file (uv adds `size` when known and `upload-time` from lock
    // revision 2 on): follow the entry.
    let old_sdist = table.get("sdist").and_then(Item::as_value);
    let old_wheels = table.get("wheels").and_then(Item::as_array);
    let has_field = |field: &str| {
        old_sdist
            .and_then(Value::as_inline_table)
            .is_some_and(|t| t.contains_key(field))
            || old_wheels.is_some_and(|a| {
                a.iter()
                    .filter_map(Value::as_inline_table)
                    .any(|t| t.contains_key(field))
            })
    };
    let (with_size, with_time) = (has_field("size"), has_field("upload-time"));
    let render = |f: &DistFile, hash: &str| {
        let mut out = format!(
            "{{ url = {}, hash = {}",
            toml_string(f.url.as_deref().unwrap_or("")),
            toml_string(&format!("sha256:{hash}"))
        );
        if with_size && let Some(size) = f.size {
            out.push_str(&format!(", size = {size}"));
        }
        if with_time && let Some(time) = f.upload_time.as_deref().and_then(uv_upload_time) {
            out.push_str(&format!(", upload-time = {}", toml_string(&time)));
        }
        out.push_str(" }");
        out
    };
    let newline = newline_of(text);
    let mut splices = Vec::new();
    let version_span =
        value_span(text, table, "version").ok_or_else(|| layout("no `version` value".into()))?;
    splices.push((version_span, toml_string(to)));
    let wheels_rendered = (!wheels.is_empty()).then(|| {
        let indent = value_span(text, table, "wheels")
            .and_then(|s| element_indent(text, &s))
            .unwrap_or_else(|| "    ".to_string());
        let elements: Vec<String> = wheels.iter().map(|(f, h)| render(f, h)).collect();
        multiline_array(&elements, &indent, newline)
    });
    let sdist_rendered = sdist.map(|(f, h)| render(f, h));
    // The sdist goes before the wheels, the wheels after the sdist.
    let sdist_place = FileKeyPlace {
        key: "sdist",
        sibling: "wheels",
        before_sibling: true,
        not_found: "cannot find the `sdist` line",
        no_place: format!("{to} has an sdist but the entry has no place for it"),
    };
    splices.extend(
        sdist_place
            .splice(text, table, sdist_rendered.as_deref(), newline)
            .map_err(layout)?,
    );
    let wheels_place = FileKeyPlace {
        key: "wheels",
        sibling: "sdist",
        before_sibling: false,
        not_found: "cannot find the `wheels` lines",
        no_place: format!("{to} has wheels but the entry has no place for them"),
    };
    splices.extend(
        wheels_place
            .splice(text, table, wheels_rendered.as_deref(), newline)
            .map_err(layout)?,
    );
    if sdist_rendered.is_none() && wheels_rendered.is_none() {
        return Err(missing());
    }
    Ok(Edit {
        text: splice(text, splices),
        lines: vec![line],
        caveats: vec![Caveat::DependenciesNotRefreshed {
            name: wanted,
            version: from.to_string(),
        }],
    })
}

/// Where a lock entry's `sdist` or `wheels` key goes: its value replaced, its lines removed when
/// the new release has no such file, or a new line beside its sibling key.
struct FileKeyPlace {
    key: &'static str,
    sibling: &'static str,
    before_sibling: bool,
    not_found: &'static str,
    no_place: String,
}

impl FileKeyPlace {
    /// The splice that puts `new` (the rendered value, or None to drop the key) in place, if
    /// any; the error is the layout problem that prevents it.
    fn splice(
        self,
        text: &str,
        table: &Table,
        new: Option<&str>,
        newline: &str,
    ) -> Result<Option<(Range<usize>, String)>, String> {
        Ok(match (value_span(text, table, self.key), new) {
            (Some(span), Some(new)) => Some((span, new.to_string())),
            (Some(_), None) => {
                let lines =
                    key_lines(text, table, self.key).ok_or_else(|| self.not_found.to_string())?;
                Some((lines, String::new()))
            }
            (None, Some(new)) => {
                let line = key_lines(text, table, self.sibling).ok_or(self.no_place)?;
                let at = if self.before_sibling {
                    line.start
                } else {
                    line.end
                };
                Some((at..at, format!("{} = {new}{newline}", self.key)))
            }
            (None, None) => None,
        })
    }
}

/// An upload time as uv writes it: UTC, truncated to milliseconds, in jiff's RFC 3339 form
/// (`2024-05-29T15:37:47.027Z`); `None` when the index's time does not parse.
pub fn uv_upload_time(time: &str) -> Option<String> {
    let timestamp: jiff::Timestamp = time.trim().parse().ok()?;
    let truncated = jiff::Timestamp::from_millisecond(timestamp.as_millisecond()).ok()?;
    Some(truncated.to_string())
}

/// The lowest `(major, minor)` a `requires-python` specifier admits, from its `>=`, `>`,
/// `==` and `~=` clauses (`>=3.10, <4.0` gives `(3, 10)`).
fn lower_bound(requires_python: &str) -> Option<(u32, u32)> {
    requires_python
        .split(',')
        .filter_map(|clause| {
            let clause = clause.trim();
            let version = ["~=", ">=", "==", ">"]
                .iter()
                .find_map(|op| clause.strip_prefix(op))?
                .trim();
            let mut parts = version.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts
                .next()
                .map_or(Some(0), |m| m.trim_end_matches('*').parse().ok())?;
            Some((major, minor))
        })
        .max()
}

/// Whether a wheel can run on a Python at or above `lower` (as uv prunes wheels from the
/// lock): a wheel whose every Python tag names an older version (`cp39`, `pp39`, `py2`) is
/// left out; `abi3` wheels run on every later minor; unknown tags are kept.
pub fn wheel_runs_on(filename: &str, lower: (u32, u32)) -> bool {
    let stem = filename.strip_suffix(".whl").unwrap_or(filename);
    let parts: Vec<&str> = stem.split('-').collect();
    let (Some(python), Some(abi)) = (
        parts.len().checked_sub(3).and_then(|i| parts.get(i)),
        parts.len().checked_sub(2).and_then(|i| parts.get(i)),
    ) else {
        return true;
    };
    let abi3 = abi.split('.').any(|a| a == "abi3");
    python.split('.').any(|tag| {
        let digits = tag.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let Some(major) = digits.get(..1).and_then(|m| m.parse::<u32>().ok()) else {
            return true;
        };
        let minor = digits.get(1..).filter(|m| !m.is_empty());
        match minor.map(str::parse::<u32>) {
            None => major >= lower.0,
            Some(Ok(minor)) if abi3 => major == lower.0 || (major, minor) >= lower,
            Some(Ok(minor)) => (major, minor) >= lower,
            Some(Err(_)) => true,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Blast-radius check
// ---------------------------------------------------------------------------------------------

/// The entries that differ between `old` and `new` (two versions of the file `file` of
/// `kind`), read with the ecosystem's parsers: a package whose version changed gives
/// `{name, from, to}`; one that appeared or disappeared has `from` or `to` unset; one whose
/// version is the same but whose content changed (its hashes, files, dependencies, markers)
/// gives `from == to`. Content outside the entries (`[metadata]`, `requires-python`, options
/// of a requirements file) that changed is reported under the name `[KEY]` (or `[options]`)
/// with no versions. Requirements that pin nothing report their specifier (or URL) in place
/// of versions. Sorted; empty when nothing changed.
pub fn changed_entries(
    kind: FileKind,
    file: &str,
    old: &str,
    new: &str,
) -> Result<Vec<EntryChange>, ParseError> {
    let (before, after) = match kind {
        FileKind::Requirements => (
            requirement_prints(file, old)?,
            requirement_prints(file, new)?,
        ),
        FileKind::PoetryLock => {
            super::poetry::parse(file, old)?;
            super::poetry::parse(file, new)?;
            (lock_prints(file, old, true)?, lock_prints(file, new, true)?)
        }
        FileKind::UvLock => {
            super::uv::parse(file, old)?;
            super::uv::parse(file, new)?;
            (
                lock_prints(file, old, false)?,
                lock_prints(file, new, false)?,
            )
        }
    };
    Ok(diff_fingerprints(&before, &after))
}

/// Fingerprints of a requirements file: one per requirement (with its hashes), plus one for
/// the options and includes.
fn requirement_prints(file: &str, text: &str) -> Result<Vec<Fingerprint>, ParseError> {
    let entries = requirements::parse(file, text)?;
    let logical = logical_lines(text);
    let mut out = Vec::new();
    let mut options = Vec::new();
    for entry in entries {
        match entry {
            Entry::Requirement(r) => {
                let hashes: BTreeSet<String> = logical
                    .iter()
                    .find(|l| l.line == r.line)
                    .and_then(|l| hash_options(text, l).ok())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|h| text.get(h.digest..h.end))
                    .map(str::to_ascii_lowercase)
                    .collect();
                let label = r
                    .version
                    .clone()
                    .or_else(|| Some(r.location.clone().unwrap_or_else(|| r.specifier.clone())));
                let content = format!(
                    "{:?}|{:?}|{:?}|{}|{:?}|{:?}",
                    r.extras, r.marker, r.location, r.editable, r.specifier, hashes
                );
                out.push((r.name, label, content));
            }
            Entry::Include {
                constraint, target, ..
            } => options.push(format!("{constraint}:{target}")),
        }
    }
    // Global options (`-i`, `--extra-index-url`...) are not entries of the parser: compare
    // the option lines themselves.
    for l in &logical {
        let code: String = l
            .pieces
            .iter()
            .filter_map(|p| text.get(p.start..p.code_end))
            .collect::<Vec<_>>()
            .join(" ");
        if code.trim_start().starts_with('-') {
            options.push(code.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    options.sort();
    out.push(("[options]".to_string(), None, options.join("\n")));
    Ok(out)
}

/// Fingerprints of a TOML lock: one per `[[package]]` (its whole content, and for Poetry 1
/// locks its `[metadata.files]` list), one per other top-level key.
fn lock_prints(file: &str, text: &str, poetry: bool) -> Result<Vec<Fingerprint>, ParseError> {
    let doc = crate::toml_spans::parse(file, text)?;
    // Poetry 1 keeps the files of every version of a name in one `[metadata.files]` list:
    // each element goes with the version its file name carries (with every version when the
    // name carries none).
    let mut metadata_files: BTreeMap<String, Vec<(Option<String>, String)>> = BTreeMap::new();
    if poetry
        && let Some(files) = doc
            .get("metadata")
            .and_then(|m| m.get("files"))
            .and_then(Item::as_table_like)
    {
        for (key, item) in files.iter() {
            let name = normalize_pypi_name(key);
            let elements: Vec<(Option<String>, String)> = match item.as_array() {
                Some(array) => array
                    .iter()
                    .map(|value| {
                        let version = value
                            .as_inline_table()
                            .and_then(|t| t.get("file"))
                            .and_then(Value::as_str)
                            .and_then(|f| super::registry::version_of_file(&name, f, None));
                        (version, canonical_value(value))
                    })
                    .collect(),
                None => vec![(None, canonical_item(item))],
            };
            metadata_files.entry(name).or_default().extend(elements);
        }
    }
    let mut out = Vec::new();
    let packages = match package_tables(file, text, &doc) {
        Ok(p) => p,
        Err(EditRefusal::Parse(e)) => return Err(e),
        Err(other) => return Err(ParseError::new(file, 1, 1, other.to_string())),
    };
    for table in packages {
        let name = table
            .get("name")
            .and_then(Item::as_str)
            .map(normalize_pypi_name)
            .unwrap_or_default();
        let version = table
            .get("version")
            .and_then(Item::as_str)
            .map(str::to_string);
        let mut content = canonical_table(table);
        let mut files: Vec<&str> = metadata_files
            .get(&name)
            .into_iter()
            .flatten()
            .filter(|(v, _)| v.is_none() || *v == version)
            .map(|(_, element)| element.as_str())
            .collect();
        files.sort_unstable();
        for element in files {
            content.push('|');
            content.push_str(element);
        }
        out.push((name, version, content));
    }
    for (key, item) in doc.iter() {
        if key == "package" {
            continue;
        }
        let content = match (poetry, key, item.as_table()) {
            (true, "metadata", Some(table)) => {
                let mut table = table.clone();
                table.remove("files");
                canonical_table(&table)
            }
            _ => canonical_item(item),
        };
        out.push((format!("[{key}]"), None, content));
    }
    Ok(out)
}

/// A text form of a TOML item that ignores formatting (whitespace, comments, key order).
fn canonical_item(item: &Item) -> String {
    match item {
        Item::None => String::new(),
        Item::Value(value) => canonical_value(value),
        Item::Table(table) => canonical_table(table),
        Item::ArrayOfTables(tables) => format!(
            "[{}]",
            tables
                .iter()
                .map(canonical_table)
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

pub(super) fn canonical_table(table: &Table) -> String {
    let entries: BTreeMap<&str, String> =
        table.iter().map(|(k, v)| (k, canonical_item(v))).collect();
    format!("{entries:?}")
}

fn canonical_inline(table: &InlineTable) -> String {
    let entries: BTreeMap<&str, String> =
        table.iter().map(|(k, v)| (k, canonical_value(v))).collect();
    format!("{entries:?}")
}

fn canonical_array(array: &Array) -> String {
    format!(
        "[{}]",
        array
            .iter()
            .map(canonical_value)
            .collect::<Vec<_>>()
            .join(",")
    )
}

fn canonical_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{:?}", s.value()),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => f.value().to_string(),
        Value::Boolean(b) => b.value().to_string(),
        Value::Datetime(d) => d.value().to_string(),
        Value::Array(a) => canonical_array(a),
        Value::InlineTable(t) => canonical_inline(t),
    }
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
