//! Taking uv's own answer back into the original `uv.lock`, entry by entry.
//!
//! When an in-place edit of a `uv.lock` entry cannot vouch for the new release's dependencies
//! ([`super::edit::Caveat::DependenciesNotRefreshed`]), the caller asks uv:
//! `uv lock --upgrade-package NAME==FROM` gives a **base** (the lock as this uv writes it, with
//! nothing moved) and `uv lock --upgrade-package NAME==TO` the **upgraded** lock. Both are
//! written by the same uv, so their difference ([`relock_changes`]) is what the upgrade really
//! changes, free of what a newer uv rewrites in every lock (a `revision` line, `upload-time`
//! fields, normalised markers). Then:
//!
//! - when that difference is the planned entry alone and its dependencies are unchanged
//!   ([`same_dependencies`]), the in-place edit is right as it is;
//! - otherwise [`splice_entries`] puts the upgraded lock's entries of every changed name into
//!   the original text, leaving every other byte as it was: the real, larger blast radius.

use std::collections::BTreeSet;

use nanoup_core::{EntryChange, ParseError, normalize_pypi_name};
use toml_edit::{Item, Table};

use super::edit::{EditRefusal, FileKind, canonical_table, changed_entries};

/// The entries that differ between two relocks of the same lock by the same uv (`base` with
/// the package kept, `upgraded` with it moved), as [`changed_entries`] reports them. Names in
/// brackets (`[resolution-markers]`) are changes outside the entries.
pub fn relock_changes(
    file: &str,
    base: &str,
    upgraded: &str,
) -> Result<Vec<EntryChange>, ParseError> {
    changed_entries(FileKind::UvLock, file, base, upgraded)
}

/// The `[[package]]` table of `name` at `version` in a parsed lock.
fn entry<'d>(doc: &'d toml_edit::Document<String>, name: &str, version: &str) -> Option<&'d Table> {
    let wanted = normalize_pypi_name(name);
    doc.get("package")?.as_array_of_tables()?.iter().find(|t| {
        t.get("name")
            .and_then(Item::as_str)
            .is_some_and(|n| normalize_pypi_name(n) == wanted)
            && t.get("version").and_then(Item::as_str) == Some(version)
    })
}

/// Whether the entry of `name` in `base` (at `from`) and in `upgraded` (at `to`) agree on
/// everything but the version and the files (`sdist`, `wheels`): the same dependencies,
/// optional dependencies, source and markers. `false` when either entry is missing.
pub fn same_dependencies(
    file: &str,
    base: &str,
    upgraded: &str,
    name: &str,
    from: &str,
    to: &str,
) -> Result<bool, ParseError> {
    let base = crate::toml_spans::parse(file, base)?;
    let upgraded = crate::toml_spans::parse(file, upgraded)?;
    let (Some(before), Some(after)) = (entry(&base, name, from), entry(&upgraded, name, to)) else {
        return Ok(false);
    };
    let without_files = |table: &Table| {
        let mut table = table.clone();
        for key in ["version", "sdist", "wheels"] {
            table.remove(key);
        }
        canonical_table(&table)
    };
    Ok(without_files(before) == without_files(after))
}

/// One `[[package]]` table of a lock as text: from its header to the end of its last
/// non-blank line (with that line's ending).
struct Chunk {
    start: usize,
    end: usize,
    name: String,
}

/// The `[[package]]` tables of `text`, in order. Refuses when they are interleaved with other
/// tables or separated unevenly (then a splice could not keep the layout).
fn chunks(file: &str, text: &str) -> Result<(Vec<Chunk>, String), EditRefusal> {
    let index = nanoup_core::LineIndex::new(text);
    let layout = |offset: usize, reason: &str| EditRefusal::Layout {
        file: file.to_string(),
        line: index.line(offset),
        reason: reason.to_string(),
    };
    // Region starts: each `[[package]]` header, and each other top-level table header.
    let mut headers: Vec<(usize, bool)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "[[package]]" {
            headers.push((offset, true));
        } else if trimmed.starts_with('[')
            && !trimmed.starts_with("[package.")
            && !trimmed.starts_with("[[package.")
        {
            headers.push((offset, false));
        }
        offset += line.len();
    }
    let mut out = Vec::new();
    for (i, (start, is_package)) in headers.iter().enumerate() {
        if !is_package {
            continue;
        }
        let region_end = headers.get(i + 1).map_or(text.len(), |(next, _)| *next);
        let region = text.get(*start..region_end).unwrap_or("");
        let body = region.trim_end();
        let mut end = start + body.len();
        if let Some(ending) = ["\r\n", "\n"]
            .iter()
            .find(|e| text.get(end..).is_some_and(|rest| rest.starts_with(**e)))
        {
            end += ending.len();
        }
        let doc = crate::toml_spans::parse(file, text.get(*start..end).unwrap_or(""))
            .map_err(|_| layout(*start, "a `[[package]]` table does not parse on its own"))?;
        let name = doc
            .get("package")
            .and_then(Item::as_array_of_tables)
            .and_then(|t| t.iter().next())
            .and_then(|t| t.get("name"))
            .and_then(Item::as_str)
            .map(normalize_pypi_name)
            .ok_or_else(|| layout(*start, "a `[[package]]` table has no `name`"))?;
        out.push(Chunk {
            start: *start,
            end,
            name,
        });
    }
    let gaps: BTreeSet<&str> = out
        .windows(2)
        .map(|pair| text.get(pair[0].end..pair[1].start).unwrap_or("?"))
        .collect();
    if gaps.iter().any(|g| !g.trim().is_empty()) {
        let at = out.first().map_or(0, |c| c.start);
        return Err(layout(
            at,
            "the `[[package]]` tables are interleaved with other tables",
        ));
    }
    if gaps.len() > 1 {
        let at = out.first().map_or(0, |c| c.start);
        return Err(layout(
            at,
            "the `[[package]]` tables are separated by uneven blank lines",
        ));
    }
    let separator = gaps
        .into_iter()
        .next()
        .map_or_else(|| newline_of(text).to_string(), str::to_string);
    Ok((out, separator))
}

fn newline_of(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

/// `text` without its `upload-time = "..."` fields (for a lock written before uv recorded
/// them).
fn without_upload_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(", upload-time = \"") {
        out.push_str(rest.get(..at).unwrap_or(""));
        let value = at + ", upload-time = \"".len();
        match rest.get(value..).and_then(|v| v.find('"')) {
            Some(close) => rest = rest.get(value + close + 1..).unwrap_or(""),
            None => {
                rest = rest.get(at..).unwrap_or("");
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `old` (the original uv.lock, `file`) with the entries of every name in `names` replaced by
/// `upgraded`'s entries of that name (removed when `upgraded` has none, added in name order
/// when `old` had none). Every other byte of `old` is kept. When `old` records no
/// `upload-time`, the spliced entries do not either. With no names, `old` comes back as it was.
pub fn splice_entries(
    file: &str,
    old: &str,
    upgraded: &str,
    names: &BTreeSet<String>,
) -> Result<String, EditRefusal> {
    super::uv::parse(file, old)?;
    super::uv::parse(file, upgraded)?;
    let names: BTreeSet<String> = names.iter().map(|n| normalize_pypi_name(n)).collect();
    let (old_chunks, separator) = chunks(file, old)?;
    let (new_chunks, _) = chunks(file, upgraded)?;
    let (Some(first), Some(last)) = (old_chunks.first(), old_chunks.last()) else {
        return Err(EditRefusal::Layout {
            file: file.to_string(),
            line: 1,
            reason: "the lock has no `[[package]]` table".to_string(),
        });
    };
    let keep_times = old.contains("upload-time");
    let new_bodies: Vec<(String, String)> = new_chunks
        .iter()
        .filter(|c| names.contains(&c.name))
        .map(|c| {
            let body = upgraded.get(c.start..c.end).unwrap_or("");
            let body = if keep_times {
                body.to_string()
            } else {
                without_upload_times(body)
            };
            (c.name.clone(), body)
        })
        .collect();
    let old_names: BTreeSet<&str> = old_chunks.iter().map(|c| c.name.as_str()).collect();
    let mut bodies: Vec<String> = Vec::new();
    let mut emitted: BTreeSet<String> = BTreeSet::new();
    let mut emit = |name: &str, bodies: &mut Vec<String>| {
        if emitted.insert(name.to_string()) {
            bodies.extend(
                new_bodies
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, b)| b.clone()),
            );
        }
    };
    let added: Vec<&String> = names
        .iter()
        .filter(|n| !old_names.contains(n.as_str()))
        .collect();
    for chunk in &old_chunks {
        for name in added.iter().filter(|n| n.as_str() < chunk.name.as_str()) {
            emit(name, &mut bodies);
        }
        if names.contains(&chunk.name) {
            emit(&chunk.name, &mut bodies);
        } else {
            bodies.push(old.get(chunk.start..chunk.end).unwrap_or("").to_string());
        }
    }
    for name in &added {
        emit(name, &mut bodies);
    }
    Ok(format!(
        "{}{}{}",
        old.get(..first.start).unwrap_or(""),
        bodies.join(&separator),
        old.get(last.end..).unwrap_or("")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "version = 1\nrequires-python = \">=3.10\"\n\n\
[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"idna\" },\n]\nsdist = { url = \"https://x/a-1.0.tar.gz\", hash = \"sha256:aa\", size = 1 }\n\n\
[[package]]\nname = \"idna\"\nversion = \"3.10\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://x/idna-3.10.tar.gz\", hash = \"sha256:11\", size = 2 }\n\n\
[[package]]\nname = \"zope\"\nversion = \"5.0\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://x/zope-5.0.tar.gz\", hash = \"sha256:55\", size = 3 }\n";

    fn upgraded() -> String {
        "version = 1\nrevision = 5\nrequires-python = \">=3.10\"\n\n\
[[package]]\nname = \"a\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"idna\" },\n]\nsdist = { url = \"https://x/a-1.0.tar.gz\", hash = \"sha256:aa\", size = 1, upload-time = \"2024-01-01T00:00:00Z\" }\n\n\
[[package]]\nname = \"idna\"\nversion = \"3.15\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"mdurl\" },\n]\nsdist = { url = \"https://x/idna-3.15.tar.gz\", hash = \"sha256:15\", size = 4, upload-time = \"2026-01-01T00:00:00Z\" }\n\n\
[[package]]\nname = \"mdurl\"\nversion = \"0.1\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://x/mdurl-0.1.tar.gz\", hash = \"sha256:01\", size = 5, upload-time = \"2026-01-01T00:00:00Z\" }\n\n\
[[package]]\nname = \"zope\"\nversion = \"5.0\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"https://x/zope-5.0.tar.gz\", hash = \"sha256:55\", size = 3, upload-time = \"2020-01-01T00:00:00Z\" }\n"
            .to_string()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn no_names_gives_the_text_back() {
        assert_eq!(
            splice_entries("uv.lock", OLD, &upgraded(), &set(&[])).unwrap(),
            OLD
        );
    }

    #[test]
    fn the_changed_entries_are_spliced_in_and_nothing_else_moves() {
        let new = splice_entries("uv.lock", OLD, &upgraded(), &set(&["idna", "mdurl"])).unwrap();
        let changed = changed_entries(FileKind::UvLock, "uv.lock", OLD, &new).unwrap();
        assert_eq!(
            changed,
            vec![
                EntryChange {
                    name: "idna".into(),
                    from: Some("3.10".into()),
                    to: Some("3.15".into()),
                    path: None,
                },
                EntryChange {
                    name: "mdurl".into(),
                    from: None,
                    to: Some("0.1".into()),
                    path: None,
                },
            ]
        );
        // The old lock records no upload-time: neither do the spliced entries; the header and
        // the other entries are byte for byte the old ones.
        assert!(!new.contains("upload-time"), "{new}");
        assert!(new.starts_with("version = 1\nrequires-python"));
        assert!(new.contains("size = 1 }\n\n[[package]]\nname = \"idna\"\nversion = \"3.15\""));
        assert!(new.contains("size = 5 }\n\n[[package]]\nname = \"zope\""));
        assert!(new.ends_with("size = 3 }\n"));
    }

    #[test]
    fn relock_changes_and_dependencies() {
        let base = upgraded()
            .replace(
                "version = \"3.15\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [\n    { name = \"mdurl\" },\n]\n",
                "version = \"3.10\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
            );
        let changes = relock_changes("uv.lock", &base, &upgraded()).unwrap();
        assert_eq!(changes.len(), 1, "{changes:?}"); // idna (mdurl is in both)
        assert!(!same_dependencies("uv.lock", &base, &upgraded(), "idna", "3.10", "3.15").unwrap());
        assert!(
            same_dependencies("uv.lock", &upgraded(), &upgraded(), "zope", "5.0", "5.0").unwrap()
        );
        assert!(!same_dependencies("uv.lock", &base, &upgraded(), "nosuch", "1", "2").unwrap());
    }

    #[test]
    fn interleaved_tables_are_refused() {
        let odd = OLD.replace(
            "\n[[package]]\nname = \"zope\"",
            "\n[manifest]\nmembers = []\n\n[[package]]\nname = \"zope\"",
        );
        assert!(matches!(
            splice_entries("uv.lock", &odd, &upgraded(), &set(&["idna"])),
            Err(EditRefusal::Layout { .. })
        ));
    }
}
