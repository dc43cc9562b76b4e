//! Taking all of Cargo's resolution into a Cargo.lock without re-serialising the user's file.
//!
//! `cargo update` writes the whole lockfile in its newest format (an old file gains `version = 4`;
//! the first format's `[metadata]` checksums move inline and its dependency references shrink).
//! nanoup keeps every entry Cargo did not change byte for byte and writes the entries Cargo
//! changed, added or removed in the file's own format. Nothing of Cargo's resolution is left
//! out: an entry whose content differs in any way (version, source, checksum, dependencies) is
//! taken from Cargo. Cargo is then asked to accept the result (`--locked`), which also proves
//! that the format was kept exactly.

use std::collections::{BTreeMap, BTreeSet};

/// One `[[package]]` block of a Cargo.lock, as text and as content.
#[derive(Debug, Clone)]
struct Block<'a> {
    /// The block's lines, from `[[package]]` to its last line, with the final newline.
    text: &'a str,
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    /// The dependency references as written.
    dependencies: Vec<String>,
    /// Any other line (`replace = ...`), kept for the comparison.
    other: Vec<String>,
}

/// A Cargo.lock split into the text before the first package, the package blocks and the text
/// from the first table after them (the first format's `[metadata]`, `[[patch.unused]]`).
#[derive(Debug)]
struct Layout<'a> {
    preamble: &'a str,
    blocks: Vec<Block<'a>>,
    tail: &'a str,
}

/// The quoted value of `line` for `key = "value"`.
fn value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.strip_prefix(key)?
        .strip_prefix(" = \"")?
        .strip_suffix('"')
}

fn split(text: &str) -> Result<Layout<'_>, String> {
    const HEADER: &str = "[[package]]\n";
    let first = if text.starts_with(HEADER) {
        0
    } else {
        text.find(&format!("\n{HEADER}"))
            .map(|i| i + 1)
            .unwrap_or(text.len())
    };
    let preamble = &text[..first];
    let mut blocks = Vec::new();
    let mut at = first;
    let mut tail_start = text.len();
    while at < text.len() {
        if !text[at..].starts_with(HEADER) {
            tail_start = at;
            break;
        }
        // The block ends at the first blank line (or the end of the file).
        let body_end = text[at..].find("\n\n").map_or(text.len(), |i| at + i + 1);
        let block_text = &text[at..body_end];
        blocks.push(parse_block(block_text)?);
        at = body_end;
        // Skip the blank line(s) between blocks.
        while text[at..].starts_with('\n') {
            at += 1;
        }
    }
    Ok(Layout {
        preamble,
        blocks,
        tail: &text[tail_start.min(text.len())..],
    })
}

fn parse_block(text: &str) -> Result<Block<'_>, String> {
    let mut block = Block {
        text,
        name: String::new(),
        version: String::new(),
        source: None,
        checksum: None,
        dependencies: Vec::new(),
        other: Vec::new(),
    };
    let mut in_deps = false;
    for line in text.lines().skip(1) {
        if in_deps {
            if line == "]" {
                in_deps = false;
            } else {
                let reference = line
                    .trim()
                    .trim_end_matches(',')
                    .trim_matches('"')
                    .to_string();
                block.dependencies.push(reference);
            }
        } else if let Some(v) = value(line, "name") {
            block.name = v.to_string();
        } else if let Some(v) = value(line, "version") {
            block.version = v.to_string();
        } else if let Some(v) = value(line, "source") {
            block.source = Some(v.to_string());
        } else if let Some(v) = value(line, "checksum") {
            block.checksum = Some(v.to_string());
        } else if line == "dependencies = [" {
            in_deps = true;
        } else {
            block.other.push(line.to_string());
        }
    }
    if block.name.is_empty() || block.version.is_empty() {
        return Err(format!(
            "a [[package]] block without name or version: {:?}",
            text.lines().take(3).collect::<Vec<_>>()
        ));
    }
    Ok(block)
}

/// Every package as (name, version, source), to resolve short dependency references.
type Packages = BTreeMap<String, Vec<(String, Option<String>)>>;

fn packages(blocks: &[Block<'_>]) -> Packages {
    let mut out: Packages = BTreeMap::new();
    for b in blocks {
        out.entry(b.name.clone())
            .or_default()
            .push((b.version.clone(), b.source.clone()));
    }
    out
}

/// A dependency reference in its full form, `name version (source)` (`name version` for a
/// package without source), resolved against the file's packages.
fn full_reference(reference: &str, packages: &Packages) -> String {
    let mut parts = reference.split_whitespace();
    let name = parts.next().unwrap_or_default();
    let version = parts.next();
    let source = parts
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let found = packages.get(name).and_then(|candidates| {
        let mut matching = candidates
            .iter()
            .filter(|(v, s)| {
                version.is_none_or(|want| want == v)
                    && source.is_none_or(|want| s.as_deref().is_some_and(|s| s.starts_with(want)))
            })
            .collect::<Vec<_>>();
        (matching.len() == 1).then(|| matching.remove(0))
    });
    match found {
        Some((v, Some(s))) => format!("{name} {v} ({s})"),
        Some((v, None)) => format!("{name} {v}"),
        None => reference.to_string(),
    }
}

/// What an entry is, independent of how the file spells it.
fn content(
    block: &Block<'_>,
    checksum: Option<&str>,
    packages: &Packages,
) -> (Option<String>, BTreeSet<String>, Vec<String>) {
    (
        checksum.map(str::to_string),
        block
            .dependencies
            .iter()
            .map(|d| full_reference(d, packages))
            .collect(),
        block.other.clone(),
    )
}

/// The first format's `[metadata]` checksums, by `name version (source)`.
fn metadata_checksums(tail: &str) -> BTreeMap<String, String> {
    tail.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("\"checksum ")?;
            let (key, sum) = rest.split_once("\" = \"")?;
            Some((key.to_string(), sum.trim_end_matches('"').to_string()))
        })
        .collect()
}

fn key_of(block: &Block<'_>) -> String {
    match &block.source {
        Some(s) => format!("{} {} ({s})", block.name, block.version),
        None => format!("{} {}", block.name, block.version),
    }
}

/// Whether a lockfile is in Cargo's first format: no `version` line, and its dependency
/// references name their versions (checksums, if any, in `[metadata]`).
fn is_first_format(layout: &Layout<'_>) -> bool {
    !layout.preamble.lines().any(|l| l.starts_with("version = "))
        && (layout.tail.contains("\"checksum ")
            || layout
                .blocks
                .iter()
                .flat_map(|b| &b.dependencies)
                .all(|d| d.split_whitespace().count() >= 2))
}

/// A block of the new resolution written in the first format: full dependency references, no
/// inline checksum.
fn first_format_block(block: &Block<'_>, packages: &Packages) -> String {
    let mut out = format!(
        "[[package]]\nname = \"{}\"\nversion = \"{}\"\n",
        block.name, block.version
    );
    if let Some(source) = &block.source {
        out.push_str(&format!("source = \"{source}\"\n"));
    }
    if !block.dependencies.is_empty() {
        out.push_str("dependencies = [\n");
        for d in &block.dependencies {
            out.push_str(&format!(" \"{}\",\n", full_reference(d, packages)));
        }
        out.push_str("]\n");
    }
    for line in &block.other {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The lockfile `old` with all of Cargo's resolution `resolved` (Cargo's own output, in any
/// format) taken in, in `old`'s format: entries whose content is unchanged keep their exact
/// text. Errors when either file's layout is not Cargo's (then the caller keeps Cargo's text).
pub fn splice_resolution(old: &str, resolved: &str) -> Result<String, String> {
    if old.contains('\r') {
        return Err("the lockfile has CRLF line endings, which Cargo does not write".into());
    }
    let old_layout = split(old)?;
    let new_layout = split(resolved)?;
    // The layout must give back the old file exactly, or splicing into it is not safe.
    if reassemble(
        old_layout.preamble,
        old_layout.blocks.iter().map(|b| b.text.to_string()),
        old_layout.tail,
    ) != old
    {
        return Err("the lockfile's layout is not Cargo's (blank lines, line endings)".into());
    }
    let first_format = is_first_format(&old_layout);
    let old_packages = packages(&old_layout.blocks);
    let new_packages = packages(&new_layout.blocks);
    let old_sums = metadata_checksums(old_layout.tail);
    let new_sums = metadata_checksums(new_layout.tail);
    let checksum_of = |b: &Block<'_>, sums: &BTreeMap<String, String>| -> Option<String> {
        b.checksum.clone().or_else(|| sums.get(&key_of(b)).cloned())
    };
    let old_by_key: BTreeMap<String, &Block<'_>> =
        old_layout.blocks.iter().map(|b| (key_of(b), b)).collect();
    let mut new_blocks: Vec<&Block<'_>> = new_layout.blocks.iter().collect();
    new_blocks
        .sort_by(|a, b| (&a.name, &a.version, &a.source).cmp(&(&b.name, &b.version, &b.source)));
    let mut texts = Vec::new();
    let mut checksums = BTreeMap::new();
    for block in new_blocks {
        let key = key_of(block);
        let sum = checksum_of(block, &new_sums);
        if let Some(sum) = &sum {
            checksums.insert(key.clone(), sum.clone());
        }
        // Unchanged: the same content, and (in the newer formats, whose references are short
        // unless a name is ambiguous) references written the same way: a reference that must
        // now name its version because a second version of the crate appeared takes Cargo's.
        let unchanged = old_by_key.get(&key).is_some_and(|old_block| {
            (first_format || old_block.dependencies == block.dependencies)
                && content(
                    old_block,
                    checksum_of(old_block, &old_sums).as_deref(),
                    &old_packages,
                ) == content(block, sum.as_deref(), &new_packages)
        });
        texts.push(match (unchanged, first_format) {
            (true, _) => old_by_key[&key].text.to_string(),
            (false, true) => first_format_block(block, &new_packages),
            (false, false) => block.text.to_string(),
        });
    }
    let tail = if first_format && old_layout.tail.contains("[metadata]") {
        let mut lines: Vec<String> = old_layout
            .tail
            .lines()
            .filter(|l| !l.starts_with("\"checksum ") && *l != "[metadata]")
            .map(str::to_string)
            .collect();
        lines.extend(
            checksums
                .iter()
                .map(|(key, sum)| format!("\"checksum {key}\" = \"{sum}\"")),
        );
        lines.sort();
        let mut tail = String::from("[metadata]\n");
        for line in lines.iter().filter(|l| !l.is_empty()) {
            tail.push_str(line);
            tail.push('\n');
        }
        tail
    } else {
        old_layout.tail.to_string()
    };
    Ok(reassemble(old_layout.preamble, texts.into_iter(), &tail))
}

/// Cargo's order of lockfile entries: by name, then version (SemVer order), then source.
fn cargo_order(a: &Block<'_>, b: &Block<'_>) -> std::cmp::Ordering {
    let version = |v: &str| nanoup_versions::Scheme::SemVer.parse(v).ok();
    a.name
        .cmp(&b.name)
        .then_with(|| match (version(&a.version), version(&b.version)) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => a.version.cmp(&b.version),
        })
        .then_with(|| a.source.cmp(&b.source))
}

/// Undoes one update in `current`: the entries its commit changed (`before` -> `after`) are put
/// back as `before` had them, byte for byte: entries it added are removed, entries it removed
/// come back, entries whose text it changed (versions, dependency lists) get their old text. The
/// names of entries any other change touched since are refused: `current` must still hold what
/// the update wrote for every entry it changed.
pub fn revert_update(current: &str, before: &str, after: &str) -> Result<String, String> {
    let (b, a, c) = (split(before)?, split(after)?, split(current)?);
    let by_key = |layout: &Layout<'_>| -> BTreeMap<String, String> {
        layout
            .blocks
            .iter()
            .map(|blk| (key_of(blk), blk.text.to_string()))
            .collect()
    };
    let (bk, ak, ck) = (by_key(&b), by_key(&a), by_key(&c));
    let mut blocks: BTreeMap<String, String> = ck.clone();
    for (key, text) in &ak {
        match bk.get(key) {
            Some(old) if old == text => {}
            old => {
                if ck.get(key) != Some(text) {
                    return Err(format!(
                        "the entry {key} changed again after the update; roll back or revert that \
                         change first"
                    ));
                }
                match old {
                    Some(old) => blocks.insert(key.clone(), old.clone()),
                    None => blocks.remove(key),
                };
            }
        }
    }
    for (key, text) in &bk {
        if !ak.contains_key(key) {
            if ck.contains_key(key) {
                return Err(format!(
                    "the entry {key}, which the update removed, is back in the lockfile"
                ));
            }
            blocks.insert(key.clone(), text.clone());
        }
    }
    let mut parsed: Vec<Block<'_>> = blocks
        .values()
        .map(|text| parse_block(text))
        .collect::<Result<_, _>>()?;
    parsed.sort_by(cargo_order);
    // The first format's checksums follow their entries.
    let tail = if c.tail.contains("[metadata]") {
        let sums = |layout: &Layout<'_>| metadata_checksums(layout.tail);
        let (bs, cs) = (sums(&b), sums(&c));
        let keys: BTreeSet<String> = parsed.iter().map(key_of).collect();
        let mut tail = String::from("[metadata]\n");
        let mut lines: Vec<String> = c
            .tail
            .lines()
            .filter(|l| *l != "[metadata]" && !l.is_empty() && !l.starts_with("\"checksum "))
            .map(str::to_string)
            .collect();
        for key in &keys {
            if let Some(sum) = cs.get(key).or_else(|| bs.get(key)) {
                lines.push(format!("\"checksum {key}\" = \"{sum}\""));
            }
        }
        lines.sort();
        for line in lines {
            tail.push_str(&line);
            tail.push('\n');
        }
        tail
    } else {
        c.tail.to_string()
    };
    Ok(reassemble(
        c.preamble,
        parsed.iter().map(|blk| blk.text.to_string()),
        &tail,
    ))
}

/// Joins a preamble, blocks (each ending in a newline) separated by blank lines, and a tail
/// after a blank line.
fn reassemble(preamble: &str, blocks: impl Iterator<Item = String>, tail: &str) -> String {
    let mut out = preamble.to_string();
    let mut first = true;
    for block in blocks {
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str(&block);
    }
    if !tail.is_empty() {
        if !first {
            out.push('\n');
        }
        out.push_str(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::corpus;

    fn corpus_lock(set: &str) -> String {
        std::fs::read_to_string(corpus().join("cargo").join(set).join("Cargo.lock")).unwrap()
    }

    const SETS: [&str; 3] = [
        "BurntSushi__ripgrep__7cb211378a",
        "Rigellute__spotify-tui__7a5a04c91a",
        "getzola__zola__a3a5b9ea06",
    ];

    #[test]
    fn an_unchanged_resolution_gives_back_every_corpus_lockfile() {
        for set in SETS {
            let old = corpus_lock(set);
            assert_eq!(splice_resolution(&old, &old).unwrap(), old, "{set}");
        }
    }

    #[test]
    fn a_newer_format_resolution_is_written_in_the_first_format() {
        // ripgrep's lockfile is Cargo's first format. Cargo 1.95 would write memchr 2.3.4 as
        // format 4: checksum inline, short references. The splice keeps format 1.
        let old = corpus_lock("BurntSushi__ripgrep__7cb211378a");
        let resolved = old
            .replace(
                "name = \"memchr\"\nversion = \"2.3.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
                "name = \"memchr\"\nversion = \"2.3.4\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abcd\"\n",
            )
            .replace(
                "memchr 2.3.3 (registry+https://github.com/rust-lang/crates.io-index)\",",
                "memchr\",",
            );
        let spliced = splice_resolution(&old, &resolved).unwrap();
        let expected = old
            .replace(
                "name = \"memchr\"\nversion = \"2.3.3\"",
                "name = \"memchr\"\nversion = \"2.3.4\"",
            )
            .replace("memchr 2.3.3 (registry", "memchr 2.3.4 (registry");
        // The metadata line is rewritten with the new key and checksum, sorted as before.
        let old_line = expected
            .lines()
            .find(|l| l.starts_with("\"checksum memchr 2.3.4"))
            .unwrap()
            .to_string();
        let expected = expected.replace(
            &old_line,
            "\"checksum memchr 2.3.4 (registry+https://github.com/rust-lang/crates.io-index)\" = \"abcd\"",
        );
        assert_eq!(spliced, expected);
    }

    #[test]
    fn an_update_is_reverted_entry_by_entry_after_a_later_one() {
        let before = "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"b\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\nsource = \"registry+x\"\nchecksum = \"1\"\n\n[[package]]\nname = \"z\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\nchecksum = \"9\"\n";
        // The update replaced b with c 2.0.0 (a's dependency list follows).
        let after = "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"c\",\n]\n\n[[package]]\nname = \"c\"\nversion = \"2.0.0\"\nsource = \"registry+x\"\nchecksum = \"2\"\n\n[[package]]\nname = \"z\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\nchecksum = \"9\"\n";
        // A later update moved z.
        let current = after.replace("\"z\"\nversion = \"1.0.0\"", "\"z\"\nversion = \"1.0.1\"");
        let reverted = revert_update(&current, before, after).unwrap();
        assert_eq!(
            reverted,
            before.replace("\"z\"\nversion = \"1.0.0\"", "\"z\"\nversion = \"1.0.1\"")
        );
        // Reverting the update alone gives back the file before it, byte for byte.
        assert_eq!(revert_update(after, before, after).unwrap(), before);
        // An entry the update changed that changed again is refused.
        let again = after.replace("\"c\"\nversion = \"2.0.0\"", "\"c\"\nversion = \"2.0.1\"");
        assert!(revert_update(&again, before, after).is_err());
    }

    #[test]
    fn entries_are_added_and_removed_in_place() {
        let old = "# header\nversion = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"b\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\nsource = \"registry+x\"\nchecksum = \"1\"\n\n[[package]]\nname = \"z\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\nchecksum = \"9\"\n";
        let resolved = "# header\nversion = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\n \"c\",\n]\n\n[[package]]\nname = \"c\"\nversion = \"2.0.0\"\nsource = \"registry+x\"\nchecksum = \"2\"\n\n[[package]]\nname = \"z\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\nchecksum = \"9\"\n";
        let spliced = splice_resolution(old, resolved).unwrap();
        // The header keeps format 3; b is gone, c is in, a takes Cargo's dependency list.
        assert_eq!(spliced, resolved.replace("version = 4", "version = 3"));
        // A reference that becomes ambiguous (a second version of c appears) is written as
        // Cargo writes it, although the entry holding it did not change.
        let two = resolved
            .replace(
                "[[package]]\nname = \"z\"",
                "[[package]]\nname = \"c\"\nversion = \"3.0.0\"\nsource = \"registry+x\"\nchecksum = \"3\"\n\n[[package]]\nname = \"z\"",
            )
            .replace(" \"c\",\n", " \"c 2.0.0\",\n");
        let spliced = splice_resolution(resolved, &two).unwrap();
        assert_eq!(spliced, two);
        assert!(spliced.contains(" \"c 2.0.0\",\n"), "{spliced}");
        // A file not laid out as Cargo writes it is not spliced.
        assert!(splice_resolution(&old.replace('\n', "\r\n"), resolved).is_err());
    }
}
