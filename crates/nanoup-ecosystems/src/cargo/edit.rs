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

/// Cargo may rewrite the lockfile's format line (`version = 3` to `version = 4`) when it updates
/// one package. That is a change nobody asked for: put the old format line back. Registry
/// entries read the same in both formats, so the result is the old format with the new entry.
pub fn keep_format_version(old: &str, new: &str) -> String {
    let format_line = |text: &str| -> Option<String> {
        text.lines()
            .take_while(|l| !l.starts_with("[[package]]"))
            .find(|l| l.starts_with("version = "))
            .map(str::to_string)
    };
    match (format_line(old), format_line(new)) {
        (Some(old_line), Some(new_line)) if old_line != new_line => {
            new.replacen(&new_line, &old_line, 1)
        }
        _ => new.to_string(),
    }
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
    let (old_pre, old_blocks) = blocks(old);
    let (new_pre, new_blocks) = blocks(new);
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
    fn the_format_line_is_kept() {
        let old = "# header\nversion = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        let new = "# header\nversion = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.0.1\"\n";
        assert_eq!(
            keep_format_version(old, new),
            new.replace("version = 4", "version = 3")
        );
        assert_eq!(keep_format_version(old, old), old);
    }
}
