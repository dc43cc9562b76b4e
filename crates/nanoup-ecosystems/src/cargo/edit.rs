//! What an edit of a Cargo.lock changed: the entries, for the blast-radius check. (The edit
//! itself is Cargo's: `cargo update -p NAME@FROM --precise TO` is the exact nano update.)

use nanoup_core::{EntryChange, ParseError};

/// Every (name, version) entry of a Cargo.lock.
pub fn lock_entries(file: &str, text: &str) -> Result<Vec<(String, String)>, ParseError> {
    Ok(super::lockfile::parse(file, text)?
        .into_iter()
        .map(|p| (p.name, p.version))
        .collect())
}

/// The entries that differ between two versions of a Cargo.lock.
pub fn changed_entries(file: &str, old: &str, new: &str) -> Result<Vec<EntryChange>, ParseError> {
    Ok(EntryChange::diff(
        &lock_entries(file, old)?,
        &lock_entries(file, new)?,
    ))
}

/// Splices Cargo's resolution of one update into the original text: in the `[[package]]` entry
/// `name`@`from` of `old`, the version becomes `to` and the checksum (inline, or in the old
/// format's `[metadata]` table) becomes the one Cargo recorded in `resolved` (Cargo's own
/// output, which may use another lockfile format). Refused when the new version's dependency list
/// differs from the old one's: then more than one entry changes and Cargo's full rewrite would be
/// the truth, which is not a nano update.
pub fn splice_update(
    old: &str,
    resolved: &str,
    name: &str,
    from: &str,
    to: &str,
) -> Result<String, String> {
    let old_doc = super::lockfile::parse("Cargo.lock", old).map_err(|e| e.to_string())?;
    let new_doc = super::lockfile::parse("Cargo.lock", resolved).map_err(|e| e.to_string())?;
    let before = old_doc
        .iter()
        .find(|p| p.name == name && p.version == from)
        .ok_or_else(|| format!("{name} {from} is not in the lockfile"))?;
    let after = new_doc
        .iter()
        .find(|p| p.name == name && p.version == to)
        .ok_or_else(|| format!("cargo did not resolve {name} to {to}"))?;
    let names = |deps: &[String]| -> Vec<String> {
        let mut n: Vec<String> = deps
            .iter()
            .filter_map(|d| d.split_whitespace().next().map(str::to_string))
            .collect();
        n.sort();
        n
    };
    if names(&before.dependencies) != names(&after.dependencies) {
        return Err(format!(
            "{name} {to} depends on other crates than {from} ({:?} instead of {:?}): more than one entry would change",
            names(&after.dependencies),
            names(&before.dependencies)
        ));
    }
    let checksum = new_checksum(resolved, name, to);
    // The entry's block: from its `name = ` line to the next blank line.
    let header = format!("name = \"{name}\"\nversion = \"{from}\"\n");
    let start = old
        .find(&header)
        .ok_or_else(|| format!("cannot find the {name} {from} entry's lines"))?;
    let end = old[start..]
        .find("\n\n")
        .map_or(old.len(), |i| start + i + 1);
    let mut block = old[start..end].replacen(
        &format!("version = \"{from}\""),
        &format!("version = \"{to}\""),
        1,
    );
    if let Some(line_start) = block.find("checksum = \"") {
        let sum = checksum
            .as_deref()
            .ok_or_else(|| format!("cargo recorded no checksum for {name} {to}"))?;
        let value_start = line_start + "checksum = \"".len();
        let value_end = block[value_start..]
            .find('"')
            .map(|i| value_start + i)
            .ok_or("unterminated checksum")?;
        block.replace_range(value_start..value_end, sum);
    }
    let mut text = format!("{}{}{}", &old[..start], block, &old[end..]);
    // The old format keeps checksums in `[metadata]`: "checksum NAME VERSION (SOURCE)" = "...".
    let key = format!("\"checksum {name} {from} (");
    if let Some(at) = text.find(&key) {
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let line = &text[at..line_end];
        let sum = checksum
            .as_deref()
            .ok_or_else(|| format!("cargo recorded no checksum for {name} {to}"))?;
        let new_line = match line.rsplit_once(" = \"") {
            Some((k, _)) => format!(
                "{} = \"{sum}\"",
                k.replacen(&format!(" {from} ("), &format!(" {to} ("), 1)
            ),
            None => return Err("cannot read the [metadata] checksum line".into()),
        };
        text.replace_range(at..line_end, &new_line);
    }
    Ok(text)
}

/// The checksum Cargo recorded for `name`@`version`: the entry's inline `checksum`, else the old
/// format's `[metadata]` line.
fn new_checksum(text: &str, name: &str, version: &str) -> Option<String> {
    let header = format!("name = \"{name}\"\nversion = \"{version}\"\n");
    let start = text.find(&header)?;
    let end = text[start..].find("\n\n").map_or(text.len(), |i| start + i);
    if let Some(line) = text[start..end]
        .lines()
        .find_map(|l| l.strip_prefix("checksum = \""))
    {
        return Some(line.trim_end_matches('"').to_string());
    }
    let key = format!("\"checksum {name} {version} (");
    let at = text.find(&key)?;
    let line = text[at..].lines().next()?;
    Some(
        line.rsplit_once(" = \"")?
            .1
            .trim_end_matches('"')
            .to_string(),
    )
}

/// Checks the text outside the entries of `names`: the preamble and every other `[[package]]`
/// block must be byte-identical in `old` and `new`. Returns what differs otherwise.
pub fn untouched_outside(old: &str, new: &str, names: &[&str]) -> Result<(), String> {
    fn blocks(text: &str) -> (String, Vec<(String, String)>) {
        let mut parts = text.split("\n[[package]]\n");
        let preamble = parts.next().unwrap_or_default().to_string();
        let blocks = parts
            .map(|b| {
                let name = b
                    .lines()
                    .find_map(|l| l.strip_prefix("name = \""))
                    .and_then(|n| n.strip_suffix('"'))
                    .unwrap_or_default()
                    .to_string();
                (name, b.to_string())
            })
            .collect();
        (preamble, blocks)
    }
    // The first lockfile format keeps checksums in a trailing `[metadata]` table: compare it
    // apart, without the lines of the named packages.
    let split = |text: &'_ str| -> (String, Vec<String>) {
        match text.split_once("\n[metadata]\n") {
            Some((packages, metadata)) => (
                packages.to_string(),
                metadata
                    .lines()
                    .filter(|l| {
                        !names
                            .iter()
                            .any(|n| l.starts_with(&format!("\"checksum {n} ")))
                    })
                    .map(str::to_string)
                    .collect(),
            ),
            None => (text.to_string(), Vec::new()),
        }
    };
    let ((old, old_meta), (new, new_meta)) = (split(old), split(new));
    if old_meta != new_meta {
        return Err("checksums of other entries changed".into());
    }
    let (old_pre, old_blocks) = blocks(&old);
    let (new_pre, new_blocks) = blocks(&new);
    if old_pre != new_pre {
        return Err("the lockfile header changed".into());
    }
    let others = |b: &[(String, String)]| -> Vec<String> {
        b.iter()
            .filter(|(n, _)| !names.contains(&n.as_str()))
            .map(|(_, t)| t.clone())
            .collect()
    };
    if others(&old_blocks) != others(&new_blocks) {
        return Err("entries outside the update changed (dependency lists or checksums)".into());
    }
    Ok(())
}

/// Sets the version requirement of every declaration of crate `package` in a Cargo.toml
/// (`[dependencies]`, dev, build, and their `[target.*]` forms; renamed entries by `package`) to
/// `requirement`, keeping formatting and comments (`[workspace.dependencies]` too). Returns the new text and how many declarations
/// changed; a declaration that inherits from the workspace (`workspace = true`) is not touched.
pub fn set_requirement(
    text: &str,
    package: &str,
    requirement: &str,
) -> Result<(String, usize), String> {
    use toml_edit::{DocumentMut, Item, TableLike, Value};
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| e.message().to_string())?;
    fn set(value: &mut Value, requirement: &str) {
        let decor = value.decor().clone();
        *value = Value::from(requirement);
        *value.decor_mut() = decor;
    }
    fn edit_table(table: &mut dyn TableLike, package: &str, requirement: &str) -> usize {
        let mut changed = 0;
        for (key, item) in table.iter_mut() {
            let real = item
                .as_table_like()
                .and_then(|t| t.get("package"))
                .and_then(Item::as_str)
                .unwrap_or(key.get())
                .to_string();
            if real != package {
                continue;
            }
            if let Some(value) = item.as_value_mut().filter(|v| v.is_str()) {
                set(value, requirement);
                changed += 1;
            } else if let Some(detail) = item.as_table_like_mut()
                && let Some(version) = detail.get_mut("version").and_then(Item::as_value_mut)
            {
                set(version, requirement);
                changed += 1;
            }
        }
        changed
    }
    const SECTIONS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut changed = 0;
    for section in SECTIONS {
        if let Some(table) = doc.get_mut(section).and_then(Item::as_table_like_mut) {
            changed += edit_table(table, package, requirement);
        }
    }
    if let Some(table) = doc
        .get_mut("workspace")
        .and_then(Item::as_table_like_mut)
        .and_then(|w| w.get_mut("dependencies"))
        .and_then(Item::as_table_like_mut)
    {
        changed += edit_table(table, package, requirement);
    }
    if let Some(targets) = doc.get_mut("target").and_then(Item::as_table_like_mut) {
        for (_, target) in targets.iter_mut() {
            let Some(target) = target.as_table_like_mut() else {
                continue;
            };
            for section in SECTIONS {
                if let Some(table) = target.get_mut(section).and_then(Item::as_table_like_mut) {
                    changed += edit_table(table, package, requirement);
                }
            }
        }
    }
    Ok((doc.to_string(), changed))
}

/// The version requirements a Cargo.toml declares on crate `package`: every declaration
/// (`[dependencies]`, dev, build, their `[target.*]` forms, `[workspace.dependencies]`; renamed
/// entries by `package`) that states a version. A declaration inheriting from the workspace
/// states none here (the workspace's table does). Unparsable text declares nothing.
pub fn requirements_on(text: &str, package: &str) -> Vec<String> {
    use toml_edit::{DocumentMut, Item, TableLike};
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return Vec::new();
    };
    fn from_table(table: &dyn TableLike, package: &str, out: &mut Vec<String>) {
        for (key, item) in table.iter() {
            let detail = item.as_table_like();
            let real = detail
                .and_then(|t| t.get("package"))
                .and_then(Item::as_str)
                .unwrap_or(key);
            if real != package {
                continue;
            }
            let requirement = match detail {
                Some(t) => t.get("version").and_then(Item::as_str),
                None => item.as_str(),
            };
            out.extend(requirement.map(str::to_string));
        }
    }
    const SECTIONS: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];
    let mut out = Vec::new();
    let mut tables: Vec<&dyn TableLike> = SECTIONS
        .iter()
        .filter_map(|s| doc.get(s).and_then(Item::as_table_like))
        .collect();
    if let Some(t) = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(Item::as_table_like)
    {
        tables.push(t);
    }
    if let Some(targets) = doc.get("target").and_then(Item::as_table_like) {
        for (_, target) in targets.iter() {
            if let Some(target) = target.as_table_like() {
                tables.extend(
                    SECTIONS
                        .iter()
                        .filter_map(|s| target.get(s).and_then(Item::as_table_like)),
                );
            }
        }
    }
    for table in tables {
        from_table(table, package, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::corpus;

    #[test]
    fn one_precise_update_changes_one_entry() {
        let old = std::fs::read_to_string(
            corpus().join("cargo/Rigellute__spotify-tui__7a5a04c91a/Cargo.lock"),
        )
        .unwrap();
        let new = old.replacen(
            "name = \"smallvec\"\nversion = \"1.4.0\"",
            "name = \"smallvec\"\nversion = \"1.6.1\"",
            1,
        );
        assert_ne!(old, new);
        let changes = changed_entries("Cargo.lock", &old, &new).unwrap();
        assert_eq!(
            changes,
            [EntryChange {
                name: "smallvec".into(),
                from: Some("1.4.0".into()),
                to: Some("1.6.1".into())
            }]
        );
        assert!(changed_entries("Cargo.lock", &old, "not toml [").is_err());
        assert!(untouched_outside(&old, &new, &["smallvec"]).is_ok());
        let touched = new.replacen(
            "name = \"tokio\"\nversion = \"0.2.21\"",
            "name = \"tokio\"\nversion = \"0.2.22\"",
            1,
        );
        assert!(untouched_outside(&old, &touched, &["smallvec"]).is_err());
    }

    #[test]
    fn requirements_change_and_nothing_else() {
        let text = "[package]\nname = \"x\"\n\n[dependencies]\n# pinned for a reason\nsmallvec = \"=1.4.0\" # keep\nserde = { version = \"1\", features = [\"derive\"] }\n\n[dev-dependencies]\nsv = { package = \"smallvec\", version = \"1.4\" }\n";
        let (new, n) = set_requirement(text, "smallvec", "1.6.1").unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            new,
            text.replace("\"=1.4.0\"", "\"1.6.1\"")
                .replace("version = \"1.4\" }", "version = \"1.6.1\" }")
        );
        assert_eq!(set_requirement(text, "tokio", "1").unwrap().1, 0);
        assert_eq!(requirements_on(text, "smallvec"), ["=1.4.0", "1.4"]);
        assert_eq!(requirements_on(&new, "smallvec"), ["1.6.1", "1.6.1"]);
        let workspace = "[workspace.dependencies]\nidna = \"0.2\"\n\n[dependencies]\nidna = { workspace = true }\n";
        assert_eq!(requirements_on(workspace, "idna"), ["0.2"]);
        let (edited, n) = set_requirement(workspace, "idna", "1.0.0").unwrap();
        assert_eq!(n, 1);
        assert_eq!(edited, workspace.replace("\"0.2\"", "\"1.0.0\""));
        assert!(requirements_on("not [toml", "idna").is_empty());
    }

    #[test]
    fn splices_one_entry_with_its_inline_checksum() {
        // spotify-tui's lockfile has no format line and inline checksums.
        let old = std::fs::read_to_string(
            corpus().join("cargo/Rigellute__spotify-tui__7a5a04c91a/Cargo.lock"),
        )
        .unwrap();
        // What Cargo 1.95 writes back: format 4, the entry inline.
        let resolved = "version = 4\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abc123\"\n";
        let spliced = splice_update(&old, resolved, "smallvec", "1.4.0", "1.6.1").unwrap();
        let changed: Vec<(&str, &str)> = old
            .lines()
            .zip(spliced.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(
            changed,
            [
                ("version = \"1.4.0\"", "version = \"1.6.1\""),
                (
                    "checksum = \"c7cb5678e1615754284ec264d9bb5b4c27d2018577fd90ac0ceb578591ed5ee4\"",
                    "checksum = \"abc123\""
                )
            ]
        );
        assert_eq!(old.lines().count(), spliced.lines().count());
        assert!(untouched_outside(&old, &spliced, &["smallvec"]).is_ok());
        // A new version with other dependencies is not a nano update.
        let other = resolved.replace("checksum", "dependencies = [\n \"serde\",\n]\nchecksum");
        assert!(splice_update(&old, &other, "smallvec", "1.4.0", "1.6.1").is_err());
    }

    #[test]
    fn splices_the_old_formats_metadata_checksum() {
        // ripgrep's lockfile is Cargo's first format: checksums in [metadata].
        let old = std::fs::read_to_string(
            corpus().join("cargo/BurntSushi__ripgrep__7cb211378a/Cargo.lock"),
        )
        .unwrap();
        let resolved = "version = 4\n\n[[package]]\nname = \"memchr\"\nversion = \"2.3.4\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"def456\"\n";
        let spliced = splice_update(&old, resolved, "memchr", "2.3.3", "2.3.4").unwrap();
        let changed: Vec<(&str, &str)> = old
            .lines()
            .zip(spliced.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 2, "{changed:?}");
        assert_eq!(changed[0].1, "version = \"2.3.4\"");
        assert_eq!(
            changed[1].1,
            "\"checksum memchr 2.3.4 (registry+https://github.com/rust-lang/crates.io-index)\" = \"def456\""
        );
        assert_eq!(
            changed_entries("Cargo.lock", &old, &spliced).unwrap().len(),
            1
        );
        assert!(untouched_outside(&old, &spliced, &["memchr"]).is_ok());
        assert!(
            untouched_outside(
                &old,
                &spliced.replace("\"checksum walkdir 2.3.1", "\"checksum walkdir 2.3.9"),
                &["memchr"]
            )
            .is_err()
        );
    }
}
