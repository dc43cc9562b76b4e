//! pip requirements files (`requirements*.txt`, `requirements/*.txt`): one stack per directory.
//!
//! A file is read line by line as pip does: `\` joins a line with the next, `#` at the start
//! of a line or after whitespace starts a comment, option lines (`-i`, `--index-url`, ...) are
//! skipped, `-r`/`--requirement` and `-c`/`--constraint` include other files (relative to the
//! including file), per-requirement options (`--hash=...`) are dropped, and every other line is
//! a PEP 508 requirement, a bare URL or a local path.
//!
//! Components: an `==`/`===` pin gives a resolved component; anything else (a range, no
//! specifier, a URL, a path, an editable install) gives an unresolved one. Every component of a
//! requirements file is direct (the file is the manifest). A line of a constraints file is not a
//! component, but pins the version of an unpinned requirement of the same name in the same
//! install (the constraint's version then becomes the component's version, as pip would install
//! it). Scope is `dev` when the declaring file's name contains `dev` or `test` (e.g.
//! `requirements-dev.txt`, `requirements/test.txt`), else `prod`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use nanoup_core::{
    Component, Ecosystem, LineIndex, ParseError, Scope, Source, Stack, normalize_pypi_name,
};

use super::pep508::{self, Parsed};
use crate::{Scanned, Tree, dir_of, file_name};

/// What one line of a requirements file declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A package to install.
    Requirement(RequirementLine),
    /// `-r file` (requirements) or `-c file` (constraints).
    Include {
        /// Whether the included file's lines are constraints.
        constraint: bool,
        /// The path or URL as written.
        target: String,
        /// 1-based line of the include.
        line: u32,
    },
}

/// One requirement line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementLine {
    /// The PEP 503 normalised name.
    pub name: String,
    /// The exact version pinned by `==`/`===`, if any.
    pub version: Option<String>,
    /// The version specifier as written (empty when none).
    pub specifier: String,
    /// The extras asked for.
    pub extras: Vec<String>,
    /// The environment marker after `;`.
    pub marker: Option<String>,
    /// Where the package comes from.
    pub source: Source,
    /// The URL or path, when the package is not taken from the index.
    pub location: Option<String>,
    /// Installed with `-e`/`--editable`.
    pub editable: bool,
    /// 1-based line where the (logical) line starts.
    pub line: u32,
}

/// Options that take an argument, besides `-r`, `-c` and `-e`, when written as separate words.
const OPTIONS_WITH_ARGUMENT: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--no-binary",
    "--only-binary",
    "--use-feature",
];

/// Reads a requirements file into its entries, without following includes.
///
/// An unreadable line (a malformed requirement, an option missing its argument) is an error
/// at that line and column.
pub fn parse(file: &str, text: &str) -> Result<Vec<Entry>, ParseError> {
    let index = LineIndex::new(text);
    let mut entries = Vec::new();
    for logical in logical_lines(text) {
        let line = index.line(logical.offset);
        let error = |at: usize, message: String| {
            let offset = logical.map_offset(at);
            ParseError::at_offset(file, text, offset, message)
        };
        let content = logical.text.trim();
        let lead = logical.text.len() - logical.text.trim_start().len();
        if content.is_empty() {
            continue;
        }
        if content.starts_with('-') {
            let (option, argument) = split_option(content);
            let argument_for = |names: &[&str]| -> Option<Result<String, ParseError>> {
                names.contains(&option).then(|| match &argument {
                    Some(arg) if !arg.is_empty() => Ok(arg.clone()),
                    _ => Err(error(lead, format!("expected a value after `{option}`"))),
                })
            };
            if let Some(target) = argument_for(&["-r", "--requirement"]) {
                entries.push(Entry::Include {
                    constraint: false,
                    target: target?,
                    line,
                });
            } else if let Some(target) = argument_for(&["-c", "--constraint"]) {
                entries.push(Entry::Include {
                    constraint: true,
                    target: target?,
                    line,
                });
            } else if let Some(target) = argument_for(&["-e", "--editable"]) {
                let target = target?;
                let requirement = match pep508::parse(&target) {
                    Ok(Parsed::Requirement(r)) if r.url.is_some() => Some(from_pep508(r, line)),
                    _ => location_requirement(&target, line),
                };
                if let Some(mut requirement) = requirement {
                    requirement.editable = true;
                    entries.push(Entry::Requirement(requirement));
                }
            } else if OPTIONS_WITH_ARGUMENT.contains(&option)
                && argument.as_deref().is_none_or(str::is_empty)
            {
                return Err(error(lead, format!("expected a value after `{option}`")));
            }
            continue;
        }
        // Per-requirement options (`--hash=...`, `--config-settings ...`) end the requirement.
        let spec_end = option_start(content).unwrap_or(content.len());
        let spec = content.get(..spec_end).unwrap_or(content);
        let requirement = match pep508::parse(spec) {
            Ok(Parsed::Requirement(r)) => Some(from_pep508(r, line)),
            Ok(Parsed::NotAName) => {
                let location = spec.split_whitespace().next().unwrap_or(spec);
                if !location.starts_with('.') && !location.contains(['/', '\\', ':']) {
                    let found: String = location.chars().take(12).collect();
                    return Err(error(
                        lead,
                        format!("expected a requirement, a URL or a path, found `{found}`"),
                    ));
                }
                location_requirement(location, line)
            }
            Err(e) => return Err(error(lead + e.offset, e.message)),
        };
        entries.extend(requirement.map(Entry::Requirement));
    }
    Ok(entries)
}

/// [`parse`], counting the entries (for fuzzing).
pub fn count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse(file, text).map(|entries| entries.len())
}

/// A line after joining `\` continuations and removing comments, with the way back to offsets
/// in the original text.
struct LogicalLine {
    /// Byte offset of the first physical line.
    offset: usize,
    /// The joined text.
    text: String,
    /// For each joined piece: (offset in `text`, offset in the original).
    pieces: Vec<(usize, usize)>,
}

impl LogicalLine {
    fn map_offset(&self, at: usize) -> usize {
        let piece = self.pieces.iter().rev().find(|(start, _)| *start <= at);
        piece.map_or(self.offset, |(start, original)| original + (at - start))
    }
}

fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut lines = Vec::new();
    let mut current: Option<LogicalLine> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        // A byte-order mark is not part of the first line.
        let (raw, start) = match raw.strip_prefix('\u{feff}') {
            Some(rest) if start == 0 => (rest, start + '\u{feff}'.len_utf8()),
            _ => (raw, start),
        };
        let physical = raw.trim_end_matches(['\n', '\r']);
        let is_comment = physical.trim_start().starts_with('#');
        let body = strip_comment(physical);
        let trimmed_end = body.trim_end();
        let continued = !is_comment && trimmed_end.ends_with('\\');
        let body = if continued {
            trimmed_end.strip_suffix('\\').unwrap_or(trimmed_end)
        } else {
            body
        };
        let logical = current.get_or_insert_with(|| LogicalLine {
            offset: start,
            text: String::new(),
            pieces: Vec::new(),
        });
        logical.pieces.push((logical.text.len(), start));
        logical.text.push_str(body);
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

/// The option name and its argument: `-rfile`, `-r file`, `--requirement=file`,
/// `--requirement file`.
fn split_option(content: &str) -> (&str, Option<String>) {
    let (word, rest) = match content.find(char::is_whitespace) {
        Some(i) => (
            content.get(..i).unwrap_or(content),
            content.get(i..).unwrap_or(""),
        ),
        None => (content, ""),
    };
    let rest = rest.trim();
    let rest = (!rest.is_empty()).then(|| rest.to_string());
    if let Some((name, value)) = word.split_once('=').filter(|_| word.starts_with("--")) {
        let value = match rest {
            Some(more) => format!("{value} {more}"),
            None => value.to_string(),
        };
        return (name, Some(value));
    }
    for short in ["-r", "-c", "-e", "-i", "-f"] {
        if let Some(value) = word.strip_prefix(short).filter(|v| !v.is_empty()) {
            return (short, Some(value.to_string()));
        }
    }
    (word, rest)
}

/// The byte offset of the first per-requirement option (a word starting with `--`).
fn option_start(content: &str) -> Option<usize> {
    let mut previous_is_space = false;
    for (i, c) in content.char_indices() {
        if c == '-' && previous_is_space && content.get(i..).is_some_and(|s| s.starts_with("--")) {
            return Some(i);
        }
        previous_is_space = c.is_whitespace();
    }
    None
}

fn from_pep508(requirement: pep508::Requirement, line: u32) -> RequirementLine {
    let (source, location) = match &requirement.url {
        Some(url) => (location_source(url), Some(url.clone())),
        None => (Source::Registry, None),
    };
    let version = match source {
        Source::Registry => pep508::pinned_version(&requirement.specifier),
        _ => None,
    };
    RequirementLine {
        name: normalize_pypi_name(&requirement.name),
        version,
        specifier: requirement.specifier,
        extras: requirement.extras,
        marker: requirement.marker,
        source,
        location,
        editable: false,
        line,
    }
}

/// A requirement given as a bare URL or path; `None` when no package name can be told from it
/// (`.`, the project itself, or an unnamed directory).
fn location_requirement(location: &str, line: u32) -> Option<RequirementLine> {
    let location = location.trim();
    let name = name_from_location(location)?;
    Some(RequirementLine {
        name: normalize_pypi_name(&name),
        version: None,
        specifier: String::new(),
        extras: Vec::new(),
        marker: None,
        source: location_source(location),
        location: Some(location.to_string()),
        editable: false,
        line,
    })
}

/// Git for `git+` URLs, a URL for other schemes, a path otherwise (including `file:`).
pub(crate) fn location_source(location: &str) -> Source {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("git+") || lower.starts_with("git://") {
        Source::Git
    } else if lower.starts_with("file:") || !lower.contains("://") {
        Source::Path
    } else {
        Source::Url
    }
}

/// The package name a URL or path names: its `#egg=` fragment, else the distribution file
/// name (`name-1.0.tar.gz`, `name-1.0-py3-none-any.whl`), else the last path segment.
fn name_from_location(location: &str) -> Option<String> {
    let (path, fragment) = location.split_once('#').unwrap_or((location, ""));
    for part in fragment.split('&') {
        if let Some(egg) = part.strip_prefix("egg=") {
            let egg = egg.trim();
            if !egg.is_empty() {
                return Some(egg.to_string());
            }
        }
    }
    let path = path.split('?').next().unwrap_or(path);
    let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
    // `git+https://host/org/repo.git@v1.0`: the revision follows the last `@`.
    let path = match after_scheme.rsplit_once('@') {
        Some((before, _)) if before.contains('/') => before,
        _ => after_scheme,
    };
    let segment = path
        .trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()?;
    let lower = segment.to_ascii_lowercase();
    let name = if lower.ends_with(".whl") {
        segment.split('-').next().unwrap_or(segment)
    } else if let Some(stem) = [".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"]
        .iter()
        .find(|ext| lower.ends_with(**ext))
        .and_then(|ext| segment.get(..segment.len() - ext.len()))
    {
        // The version starts at the last `-` followed by a digit.
        stem.match_indices('-')
            .rfind(|(i, _)| {
                stem.get(i + 1..)
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            })
            .and_then(|(i, _)| stem.get(..i))
            .unwrap_or(stem)
    } else {
        segment.strip_suffix(".git").unwrap_or(segment)
    };
    let plausible = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plausible.then(|| name.to_string())
}

/// Whether `rel` is a requirements file: a `.txt` file whose name contains `requirements`
/// (`requirements.txt`, `requirements-dev.txt`, `dev-requirements.txt`) or any `.txt` file in
/// a folder named `requirements`.
pub fn is_requirements_file(rel: &str) -> bool {
    let name = file_name(rel).to_ascii_lowercase();
    if !name.ends_with(".txt") {
        return false;
    }
    name.contains("requirements") || file_name(dir_of(rel)).eq_ignore_ascii_case("requirements")
}

/// The scope of the components a requirements file declares: `dev` when its name says it is for
/// development (`dev`, `test`, `doc`, `lint`), else `prod`.
pub fn file_scope(rel: &str) -> Scope {
    let name = file_name(rel).to_ascii_lowercase();
    if ["dev", "test", "doc", "lint"]
        .iter()
        .any(|w| name.contains(w))
    {
        Scope::Dev
    } else {
        Scope::Prod
    }
}

/// Finds every requirements stack in `tree`: one per directory holding requirements files.
pub fn scan(tree: &Tree) -> Scanned {
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in tree.files().filter(|f| is_requirements_file(f)) {
        by_dir.entry(dir_of(file)).or_default().push(file);
    }
    let mut reader = Reader {
        tree,
        parsed: HashMap::new(),
        errors: BTreeSet::new(),
    };
    // Directories whose files include each other's (`-r requirements/main.txt`) make one stack,
    // at the shallowest of them: every file is read in exactly one stack.
    let mut group: BTreeMap<String, String> = by_dir
        .keys()
        .map(|d| (d.to_string(), d.to_string()))
        .collect();
    fn root_of(group: &BTreeMap<String, String>, dir: &str) -> String {
        let mut at = dir.to_string();
        while let Some(up) = group.get(&at).filter(|up| **up != at) {
            at = up.clone();
        }
        at
    }
    let depth = |d: &str| {
        if d == "." {
            0
        } else {
            d.matches('/').count() + 1
        }
    };
    for (dir, files) in &by_dir {
        for file in files {
            for entry in reader.entries(file).unwrap_or_default() {
                let Entry::Include { target, .. } = entry else {
                    continue;
                };
                let Some(target) = resolve_include(file, &target) else {
                    continue;
                };
                let target_dir = dir_of(&target);
                if target_dir == *dir || !by_dir.contains_key(target_dir) || !tree.contains(&target)
                {
                    continue;
                }
                let (a, b) = (root_of(&group, dir), root_of(&group, target_dir));
                if a != b {
                    let (keep, merge) = if (depth(&a), &a) <= (depth(&b), &b) {
                        (a, b)
                    } else {
                        (b, a)
                    };
                    group.insert(merge, keep);
                }
            }
        }
    }
    let mut by_owner: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (dir, files) in &by_dir {
        by_owner
            .entry(root_of(&group, dir))
            .or_default()
            .extend(files);
    }
    let mut stacks = Vec::new();
    for (dir, files) in by_owner {
        if let Some(stack) = reader.stack(&dir, &files) {
            stacks.push(stack);
        }
    }
    Scanned {
        stacks,
        errors: reader.errors.into_iter().collect(),
    }
}

/// Reads requirements files once each and follows their includes.
struct Reader<'a> {
    tree: &'a Tree,
    /// Parsed files by path; `None` when the file could not be read or parsed.
    parsed: HashMap<String, Option<Vec<Entry>>>,
    errors: BTreeSet<ParseError>,
}

/// What one install (a root file and everything it includes) declares.
#[derive(Default)]
struct Install {
    components: Vec<Component>,
    /// Pinned constraints: name → (version, file, line).
    constraints: BTreeMap<String, (String, String, u32)>,
    files: BTreeSet<String>,
}

impl Reader<'_> {
    fn entries(&mut self, rel: &str) -> Option<Vec<Entry>> {
        if let Some(entries) = self.parsed.get(rel) {
            return entries.clone();
        }
        let entries = match self.tree.read(rel).and_then(|text| parse(rel, &text)) {
            Ok(entries) => Some(entries),
            Err(error) => {
                self.errors.insert(error);
                None
            }
        };
        self.parsed.insert(rel.to_string(), entries.clone());
        entries
    }

    /// The stack of directory `dir`, whose requirements files are `files`. Files included by
    /// another file of the directory are read through that file only.
    fn stack(&mut self, dir: &str, files: &[&str]) -> Option<Stack> {
        let mut included = BTreeSet::new();
        for file in files {
            for entry in self.entries(file).unwrap_or_default() {
                if let Entry::Include { target, .. } = entry {
                    included.extend(resolve_include(file, &target));
                }
            }
        }
        let mut all_files = BTreeSet::new();
        let mut components = Vec::new();
        let roots = files.iter().filter(|f| !included.contains(**f));
        // Files included only in a cycle are read as roots too, once the others are done.
        let leftovers = files.iter().filter(|f| included.contains(**f));
        let mut parsed_any = false;
        for root in roots.chain(leftovers) {
            if all_files.contains(*root) {
                continue;
            }
            let mut install = Install::default();
            self.visit(root, false, &mut vec![root.to_string()], &mut install);
            apply_constraints(&mut install);
            parsed_any |= install
                .files
                .iter()
                .any(|f| matches!(self.parsed.get(f), Some(Some(_))));
            all_files.extend(install.files);
            components.extend(install.components);
        }
        if !parsed_any {
            return None;
        }
        let files = all_files.iter().map(|f| relative_path(dir, f)).collect();
        Some(Stack::new(dir, Ecosystem::PyPI, files, components))
    }

    fn visit(
        &mut self,
        rel: &str,
        constraint: bool,
        chain: &mut Vec<String>,
        install: &mut Install,
    ) {
        install.files.insert(rel.to_string());
        let Some(entries) = self.entries(rel) else {
            return;
        };
        for entry in entries {
            match entry {
                Entry::Requirement(requirement) if constraint => {
                    if let Some(version) = requirement.version {
                        install.constraints.entry(requirement.name).or_insert((
                            version,
                            rel.to_string(),
                            requirement.line,
                        ));
                    }
                }
                Entry::Requirement(requirement) => {
                    install.components.push(component(rel, requirement))
                }
                Entry::Include {
                    constraint: is_constraint,
                    target,
                    line,
                } => {
                    let fail = |message: String| ParseError::new(rel, line, 1, message);
                    if target.contains("://") {
                        self.errors.insert(fail(format!(
                            "cannot follow the remote include `{target}`; only local files are read"
                        )));
                        continue;
                    }
                    let Some(path) =
                        resolve_include(rel, &target).filter(|p| self.tree.contains(p))
                    else {
                        self.errors
                            .insert(fail(format!("included file `{target}` not found")));
                        continue;
                    };
                    if chain.contains(&path) {
                        self.errors.insert(fail(format!(
                            "include cycle: `{target}` is already being read ({} -> {path})",
                            chain.join(" -> ")
                        )));
                        continue;
                    }
                    chain.push(path.clone());
                    self.visit(&path, constraint || is_constraint, chain, install);
                    chain.pop();
                }
            }
        }
    }
}

/// Gives unpinned requirements the version a constraint of the same install pins.
fn apply_constraints(install: &mut Install) {
    for component in &mut install.components {
        if component.version.is_some() || component.source != Source::Registry {
            continue;
        }
        if let Some((version, file, line)) = install.constraints.get(&component.name) {
            component.version = Some(version.clone());
            component.purl = nanoup_core::purl_for(Ecosystem::PyPI, &component.name, Some(version));
            component.unresolved = None;
            component
                .extra
                .insert("constraint".into(), format!("{file}:{line}"));
        }
    }
}

fn component(rel: &str, requirement: RequirementLine) -> Component {
    let mut component = match (&requirement.version, &requirement.location) {
        (Some(version), _) => Component::new(
            Ecosystem::PyPI,
            &requirement.name,
            version,
            rel,
            requirement.line,
        ),
        (None, Some(location)) => {
            let reason = match requirement.source {
                Source::Git => "installed from a git repository, not a released version",
                Source::Path => "installed from a local path, not a released version",
                _ => "installed from a URL, not a released version",
            };
            Component::unresolved(
                Ecosystem::PyPI,
                &requirement.name,
                Some(location.clone()),
                reason,
                rel,
                requirement.line,
            )
        }
        (None, None) => Component::unresolved(
            Ecosystem::PyPI,
            &requirement.name,
            (!requirement.specifier.is_empty()).then(|| requirement.specifier.clone()),
            "the requirements file does not pin an exact version (==)",
            rel,
            requirement.line,
        ),
    };
    component.direct = true;
    component.scope = file_scope(rel);
    component.source = requirement.source;
    if requirement.version.is_some() {
        component.requirement = Some(requirement.specifier);
    }
    if !requirement.extras.is_empty() {
        component
            .extra
            .insert("extras".into(), requirement.extras.join(","));
    }
    if let Some(marker) = requirement.marker {
        component.extra.insert("marker".into(), marker);
    }
    if requirement.editable {
        component.extra.insert("editable".into(), "true".into());
    }
    if let Some(location) = requirement.location {
        component.extra.insert("url".into(), location);
    }
    component
}

/// The tree path of `target` included from file `from`, normalising `.` and `..`; `None` for
/// absolute paths and paths leaving the root.
fn resolve_include(from: &str, target: &str) -> Option<String> {
    let target = target.trim().replace('\\', "/");
    let target = target.strip_prefix("file:").unwrap_or(&target);
    if target.starts_with('/') || target.contains("://") {
        return None;
    }
    let dir = dir_of(from);
    let mut parts: Vec<&str> = if dir == "." {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `path` (relative to the root) relative to directory `dir`, with `..` when it lies outside.
fn relative_path(dir: &str, path: &str) -> String {
    let dir_parts: Vec<&str> = if dir == "." {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    let path_parts: Vec<&str> = path.split('/').collect();
    let common = dir_parts
        .iter()
        .zip(&path_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let ups = dir_parts.len().saturating_sub(common);
    let mut out: Vec<&str> = std::iter::repeat_n("..", ups).collect();
    out.extend(path_parts.iter().skip(common));
    out.join("/")
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn locations_name_their_package() {
        assert_eq!(
            name_from_location("git+https://github.com/org/Repo.git@v1#egg=my_pkg").as_deref(),
            Some("my_pkg")
        );
        assert_eq!(
            name_from_location("git+https://github.com/org/repo.git@v1.0").as_deref(),
            Some("repo")
        );
        assert_eq!(
            name_from_location("https://x.org/Foo_Bar-1.2.3.tar.gz").as_deref(),
            Some("Foo_Bar")
        );
        assert_eq!(
            name_from_location("./wheels/foo-1.0-py3-none-any.whl").as_deref(),
            Some("foo")
        );
        assert_eq!(
            name_from_location("./libs/thing/").as_deref(),
            Some("thing")
        );
        assert_eq!(name_from_location("."), None);
        assert_eq!(name_from_location(".."), None);
    }

    #[test]
    fn includes_resolve_relative_to_the_including_file() {
        assert_eq!(
            resolve_include("a/b/req.txt", "../base.txt").as_deref(),
            Some("a/base.txt")
        );
        assert_eq!(
            resolve_include("req.txt", "./requirements/dev.txt").as_deref(),
            Some("requirements/dev.txt")
        );
        assert_eq!(resolve_include("req.txt", "../x.txt"), None);
        assert_eq!(resolve_include("req.txt", "/etc/x.txt"), None);
        assert_eq!(relative_path("a/b", "a/base.txt"), "../base.txt");
        assert_eq!(relative_path(".", "a/base.txt"), "a/base.txt");
        assert_eq!(relative_path("a", "a/x.txt"), "x.txt");
    }

    #[test]
    fn options_split_in_every_spelling() {
        assert_eq!(split_option("-rbase.txt"), ("-r", Some("base.txt".into())));
        assert_eq!(
            split_option("-r  base.txt"),
            ("-r", Some("base.txt".into()))
        );
        assert_eq!(
            split_option("--requirement=base.txt"),
            ("--requirement", Some("base.txt".into()))
        );
        assert_eq!(split_option("--pre"), ("--pre", None));
    }
}
