//! Surgical edits of a Dockerfile: the base image of a `FROM` moves from one tag to another and
//! every other byte of the file stays as it was.
//!
//! [`edit_dockerfile`] finds the `FROM` instructions the scanner reports as image `name` at
//! `from` (the tag; `latest` when none is written) and splices the new tag into the image
//! reference. A reference pinned by digest (`name:tag@sha256:...`) gets the new tag's digest,
//! which the caller must give (from the registry's manifest of the new tag): without it the
//! edit is refused rather than leaving a digest that no longer matches the tag. A reference
//! built from `ARG`s (`FROM node:${NODE_VERSION}`) is refused, naming the ARGs: what the
//! image is depends on build arguments the file does not fix. A reference pinned by digest
//! alone has no tag to move and is refused too.
//!
//! [`changed_entries`] is the blast-radius check: it compares the images the Dockerfile parser
//! reads in the old and new text, plus everything outside the image references, which must be
//! byte for byte the same.

use std::fmt;
use std::ops::Range;

use nanoup_core::{EntryChange, LineIndex, ParseError};

use super::{Base, parse_dockerfile, split_instructions};
/// The name under which [`changed_entries`] reports a change outside the image references of
/// `file`: `[rest of Dockerfile]`.
pub use crate::edit_support::rest_of;
use crate::edit_support::{Fingerprint, changed_fingerprints, mask, splice};

/// The result of [`edit_dockerfile`]: the new text and what was changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileEdit {
    /// The whole new file.
    pub text: String,
    /// 1-based lines of the edited `FROM` instructions.
    pub lines: Vec<u32>,
    /// What was edited, for the report: `FROM name:from -> name:to (line N)`, ...
    pub what: String,
}

/// Why [`edit_dockerfile`] refused to touch a Dockerfile. Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerfileRefusal {
    /// The Dockerfile does not parse.
    Parse(ParseError),
    /// No `FROM` of the file is `name` at `version`.
    NotFound {
        /// The edited file.
        file: String,
        /// The image.
        name: String,
        /// The tag looked for.
        version: String,
        /// The tags (or digests) the file has for `name` instead.
        found: Vec<String>,
    },
    /// The new tag is not a valid tag.
    BadTag {
        /// The edited file.
        file: String,
        /// The tag asked for.
        tag: String,
    },
    /// The new digest is not a valid digest.
    BadDigest {
        /// The edited file.
        file: String,
        /// The digest given.
        digest: String,
    },
    /// The image reference is built from build arguments.
    ArgSubstituted {
        /// The edited file.
        file: String,
        /// 1-based line of the `FROM`.
        line: u32,
        /// The reference as written.
        reference: String,
        /// The ARGs it uses, each with the line of its declaration when there is one.
        args: Vec<String>,
    },
    /// The reference pins a digest and the new tag's digest is not known.
    DigestUnknown {
        /// The edited file.
        file: String,
        /// 1-based line of the `FROM`.
        line: u32,
        /// The reference as written.
        reference: String,
        /// The image with the new tag, `name:to`.
        target: String,
    },
    /// The reference pins a digest without a tag.
    DigestOnly {
        /// The edited file.
        file: String,
        /// 1-based line of the `FROM`.
        line: u32,
        /// The reference as written.
        reference: String,
    },
    /// The reference could not be found in the text of its `FROM`.
    Layout {
        /// The edited file.
        file: String,
        /// 1-based line of the `FROM`.
        line: u32,
        /// What is unusual.
        reason: String,
    },
}

impl fmt::Display for DockerfileRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DockerfileRefusal::Parse(error) => write!(f, "{error}; fix the file, then re-plan"),
            DockerfileRefusal::NotFound {
                file,
                name,
                version,
                found,
            } => {
                if found.is_empty() {
                    write!(
                        f,
                        "{file}: no FROM {name}:{version}; the file changed since the plan, \
                         re-plan"
                    )
                } else {
                    write!(
                        f,
                        "{file}: {name} is at {} here, not {version}; the file changed since the \
                         plan, re-plan",
                        found.join(", ")
                    )
                }
            }
            DockerfileRefusal::BadTag { file, tag } => write!(
                f,
                "{file}: `{tag}` is not an image tag (expected up to 128 letters, digits and \
                 `_.-`, not starting with `.` or `-`); check the plan"
            ),
            DockerfileRefusal::BadDigest { file, digest } => write!(
                f,
                "{file}: `{digest}` is not an image digest (expected sha256:<64 hex digits>)"
            ),
            DockerfileRefusal::ArgSubstituted {
                file,
                line,
                reference,
                args,
            } => write!(
                f,
                "{file}:{line}: the image `{reference}` is built from ARG {}; nanoup does not \
                 edit references that depend on build arguments: change the FROM or the ARG's \
                 default by hand",
                args.join(", ")
            ),
            DockerfileRefusal::DigestUnknown {
                file,
                line,
                reference,
                target,
            } => write!(
                f,
                "{file}:{line}: `{reference}` pins a digest, and the digest of {target} is not \
                 available (no manifest of the new tag was given); moving the tag alone would \
                 leave a digest of the old image, so nothing was changed: update tag and digest \
                 together by hand (`docker buildx imagetools inspect {target}` prints the digest)"
            ),
            DockerfileRefusal::DigestOnly {
                file,
                line,
                reference,
            } => write!(
                f,
                "{file}:{line}: `{reference}` pins a digest without a tag, so there is no tag to \
                 move; pin the new image's digest by hand"
            ),
            DockerfileRefusal::Layout { file, line, reason } => {
                write!(f, "{file}:{line}: {reason}; change this FROM by hand")
            }
        }
    }
}

impl std::error::Error for DockerfileRefusal {}

impl From<ParseError> for DockerfileRefusal {
    fn from(error: ParseError) -> DockerfileRefusal {
        DockerfileRefusal::Parse(error)
    }
}

/// Whether `tag` is a valid image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Whether `digest` is a `sha256:`, `sha384:` or `sha512:` digest in lowercase hex.
fn valid_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == length && hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f'))
}

/// The byte range of the image reference `written` in the `FROM` instruction that starts its
/// arguments at `start` and ends before `end`: its first occurrence there as a whole word.
fn reference_range(text: &str, start: usize, end: usize, written: &str) -> Option<Range<usize>> {
    let area = text.get(start..end)?;
    let mut from = 0;
    while let Some(found) = area.get(from..)?.find(written) {
        let at = from + found;
        let after = at + written.len();
        let before_ok = area
            .get(..at)
            .is_some_and(|b| b.is_empty() || b.ends_with(char::is_whitespace));
        let after_ok = area
            .get(after..)
            .is_some_and(|a| a.is_empty() || a.starts_with(char::is_whitespace));
        if before_ok && after_ok {
            return Some(start + at..start + after);
        }
        from = at
            + area
                .get(at..)
                .and_then(|a| a.chars().next())
                .map_or(1, char::len_utf8);
    }
    None
}

/// For each `FROM` of `text` in order: the line and the byte range of its image reference
/// (`None` when it cannot be found in the instruction's text).
fn from_references(text: &str, written: &[&str]) -> Vec<(u32, Option<Range<usize>>)> {
    let index = LineIndex::new(text);
    let instructions = split_instructions(text);
    let mut out = Vec::new();
    let mut froms = 0;
    for (i, instruction) in instructions.iter().enumerate() {
        if instruction.keyword != "from" {
            continue;
        }
        let end = instructions.get(i + 1).map_or(text.len(), |n| n.offset);
        let range = written
            .get(froms)
            .and_then(|w| reference_range(text, instruction.args_offset, end, w));
        out.push((index.line(instruction.offset), range));
        froms += 1;
    }
    out
}

/// The build arguments a reference uses (`$NAME`, `${NAME}`, `${NAME:-x}`), in order.
fn args_of(reference: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = reference;
    while let Some(at) = rest.find('$') {
        let after = rest.get(at + 1..).unwrap_or("");
        let body = after.strip_prefix('{').unwrap_or(after);
        let len = body
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(body.len());
        let name = body.get(..len).unwrap_or("");
        if !name.is_empty() && !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = body.get(len..).unwrap_or("");
    }
    names
}

/// The lines of the `ARG` declarations before the first `FROM`, by name (the last one wins).
fn global_arg_lines(text: &str) -> Vec<(String, u32)> {
    let index = LineIndex::new(text);
    let mut out: Vec<(String, u32)> = Vec::new();
    for instruction in split_instructions(text) {
        if instruction.keyword == "from" {
            break;
        }
        if instruction.keyword != "arg" {
            continue;
        }
        for word in super::shell_words(&instruction.args) {
            let name = word.split('=').next().unwrap_or("").to_string();
            out.retain(|(n, _)| *n != name);
            out.push((name, index.line(instruction.offset)));
        }
    }
    out
}

/// Moves the image `name` (as the scanner names it: the reference without tag and digest)
/// from tag `from` to tag `to` in the Dockerfile `file` whose text is `text`, in every `FROM`
/// that builds on it; see the module documentation. `new_digest` is the digest of `name:to`,
/// needed when a reference pins a digest (`None` when it is not known: such a reference is then
/// refused).
pub fn edit_dockerfile(
    file: &str,
    text: &str,
    name: &str,
    from: &str,
    to: &str,
    new_digest: Option<&str>,
) -> Result<DockerfileEdit, DockerfileRefusal> {
    let dockerfile = parse_dockerfile(file, text)?;
    if !valid_tag(to) {
        return Err(DockerfileRefusal::BadTag {
            file: file.into(),
            tag: to.into(),
        });
    }
    if let Some(digest) = new_digest
        && !valid_digest(digest)
    {
        return Err(DockerfileRefusal::BadDigest {
            file: file.into(),
            digest: digest.into(),
        });
    }
    let written: Vec<&str> = dockerfile
        .stages
        .iter()
        .map(|s| s.written.as_str())
        .collect();
    let places = from_references(text, &written);
    let mut found = Vec::new();
    let mut edits: Vec<(Range<usize>, String, u32)> = Vec::new();
    for (stage, (line, range)) in dockerfile.stages.iter().zip(places) {
        let Base::Image {
            name: image,
            tag,
            digest,
        } = &stage.base
        else {
            continue;
        };
        if image != name {
            continue;
        }
        let version = tag
            .clone()
            .or_else(|| digest.clone())
            .unwrap_or_else(|| "latest".into());
        if version != from {
            found.push(version);
            continue;
        }
        let reference = stage.written.clone();
        if reference.contains('$') {
            let declared = global_arg_lines(text);
            let args = args_of(&reference)
                .into_iter()
                .map(|arg| match declared.iter().find(|(n, _)| *n == arg) {
                    Some((_, at)) => format!("{arg} (line {at})"),
                    None => arg,
                })
                .collect();
            return Err(DockerfileRefusal::ArgSubstituted {
                file: file.into(),
                line,
                reference,
                args,
            });
        }
        if tag.is_none() && digest.is_some() {
            return Err(DockerfileRefusal::DigestOnly {
                file: file.into(),
                line,
                reference,
            });
        }
        let Some(range) = range else {
            return Err(DockerfileRefusal::Layout {
                file: file.into(),
                line,
                reason: format!("the image reference `{reference}` was not found in the FROM"),
            });
        };
        let new_reference = match (tag, digest) {
            (_, Some(_)) => match new_digest {
                Some(new_digest) => format!("{image}:{to}@{new_digest}"),
                None => {
                    return Err(DockerfileRefusal::DigestUnknown {
                        file: file.into(),
                        line,
                        reference,
                        target: format!("{image}:{to}"),
                    });
                }
            },
            _ => format!("{image}:{to}"),
        };
        // The name is kept as written: only what follows it changes.
        let Some(name_end) = reference
            .get(..image.len())
            .filter(|n| n == image)
            .map(str::len)
        else {
            return Err(DockerfileRefusal::Layout {
                file: file.into(),
                line,
                reason: format!("the image reference `{reference}` does not start with {image}"),
            });
        };
        let tail = range.start + name_end..range.end;
        let new_tail = new_reference.get(image.len()..).unwrap_or("").to_string();
        edits.push((tail, new_tail, line));
    }
    if edits.is_empty() {
        found.sort();
        found.dedup();
        return Err(DockerfileRefusal::NotFound {
            file: file.into(),
            name: name.into(),
            version: from.into(),
            found,
        });
    }
    let what: Vec<String> = edits
        .iter()
        .map(|(range, replacement, line)| {
            let old_tail = text.get(range.clone()).unwrap_or("");
            format!("FROM {name}{old_tail} -> {name}{replacement} (line {line})")
        })
        .collect();
    Ok(DockerfileEdit {
        text: splice(
            text,
            edits
                .iter()
                .map(|(range, replacement, _)| (range.clone(), replacement.as_str())),
        ),
        lines: edits.iter().map(|(_, _, line)| *line).collect(),
        what: what.join(", "),
    })
}

/// Fingerprints of a Dockerfile: one per image it builds on, plus the text outside the image
/// references of those `FROM`s.
fn fingerprints(file: &str, text: &str) -> Result<Vec<Fingerprint>, ParseError> {
    let dockerfile = parse_dockerfile(file, text)?;
    let mut prints: Vec<Fingerprint> = dockerfile
        .components(file)
        .into_iter()
        .map(|c| {
            let content = format!(
                "{}|{:?}|{:?}|{:?}|{:?}",
                c.direct, c.scope, c.requirement, c.unresolved, c.extra
            );
            (c.name, c.version.or(c.requirement), content)
        })
        .collect();
    let written: Vec<&str> = dockerfile
        .stages
        .iter()
        .map(|s| s.written.as_str())
        .collect();
    let references = dockerfile
        .stages
        .iter()
        .zip(from_references(text, &written))
        .filter_map(|(stage, (_, range))| {
            // Only references that are components: a changed stage name or `scratch` must show.
            let image = matches!(stage.base, Base::Image { .. } | Base::Unresolved { .. });
            range.filter(|_| image)
        });
    prints.push((rest_of(file), None, mask(text, references)));
    Ok(prints)
}

/// The entries that differ between `old` and `new`, two versions of the Dockerfile `file`,
/// read with the Dockerfile parser: an image whose tag changed gives `{name, from, to}`, one
/// added or removed has `from` or `to` unset, one whose tag stayed but whose digest, stage,
/// platform or scope changed gives `from == to`. Any other difference of the text (other
/// instructions, comments, spacing, stage references) is reported under
/// [`rest_of`]`(file)` with no versions. An image several stages build on is reported once per
/// stage. Sorted; empty when nothing changed.
pub fn changed_entries(file: &str, old: &str, new: &str) -> Result<Vec<EntryChange>, ParseError> {
    changed_fingerprints(old, new, |text| fingerprints(file, text))
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
