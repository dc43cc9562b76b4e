//! What an edit of a Cargo.lock changed (the entries, for the blast-radius check), and the
//! requirements of a Cargo.toml: read and set. (The lockfile edit itself is Cargo's, see
//! `splice` for how it is kept in the file's format.)

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
                to: Some("1.6.1".into()),
                path: None,
            }]
        );
        assert!(changed_entries("Cargo.lock", &old, "not toml [").is_err());
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
}
