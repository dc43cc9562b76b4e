//! Building the files of any set of updates from each update's own, verified edit.
//!
//! Every update is applied once, alone, by the engine (which proves it changed only its blast
//! radius); its edit is kept as line hunks against the base files. A set of updates is then the
//! base with the hunks of its members laid in — no package manager call per test run, and the
//! same bytes the engine wrote for each update. Two updates whose hunks touch the same lines
//! cannot be composed; that is found once, up front, and the later one is left out.

use std::collections::BTreeMap;

use similar::{DiffOp, TextDiff};

/// One replaced range of a base file: lines `start..end` become `lines`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hunk {
    start: usize,
    end: usize,
    lines: Vec<String>,
}

/// One update's edit of the base files: per file (relative path), the hunks that turn the base
/// into the file the update wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    files: BTreeMap<String, Vec<Hunk>>,
}

/// The base files the edits are relative to: relative path → text.
pub type Files = BTreeMap<String, String>;

/// Two edits that change the same lines of a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the edits of updates {first} and {second} change the same lines of {file}")]
pub struct Conflict {
    /// The file.
    pub file: String,
    /// Index of the edit laid in first.
    pub first: usize,
    /// Index of the edit that overlaps it.
    pub second: usize,
}

fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

impl Edit {
    /// The edit that turns `base` into `after`, per file. Files equal in both carry no hunks.
    pub fn between(base: &Files, after: &Files) -> Edit {
        let mut files = BTreeMap::new();
        for (path, new) in after {
            let old = base.get(path).map(String::as_str).unwrap_or("");
            if old == new {
                continue;
            }
            let old_lines = split_lines(old);
            let new_lines = split_lines(new);
            let diff = TextDiff::configure().diff_slices(&old_lines, &new_lines);
            let mut hunks: Vec<Hunk> = Vec::new();
            for op in diff.ops() {
                let (start, end, added) = match *op {
                    DiffOp::Equal { .. } => continue,
                    DiffOp::Delete {
                        old_index, old_len, ..
                    } => (old_index, old_index + old_len, 0..0),
                    DiffOp::Insert {
                        old_index,
                        new_index,
                        new_len,
                    } => (old_index, old_index, new_index..new_index + new_len),
                    DiffOp::Replace {
                        old_index,
                        old_len,
                        new_index,
                        new_len,
                    } => (
                        old_index,
                        old_index + old_len,
                        new_index..new_index + new_len,
                    ),
                };
                let lines = new_lines[added].iter().map(|l| l.to_string()).collect();
                // Adjacent operations are one change.
                match hunks.last_mut() {
                    Some(last) if last.end == start => {
                        last.end = end;
                        last.lines.extend::<Vec<String>>(lines);
                    }
                    _ => hunks.push(Hunk { start, end, lines }),
                }
            }
            files.insert(path.clone(), hunks);
        }
        Edit { files }
    }

    /// The files this edit changes.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }
}

/// The base with the edits laid in. Every file any edit touches is in the result; fails on
/// the first two edits that change the same lines.
pub fn compose(base: &Files, edits: &[(usize, &Edit)]) -> Result<Files, Conflict> {
    let mut per_file: BTreeMap<&str, Vec<(usize, &Hunk)>> = BTreeMap::new();
    for (index, edit) in edits {
        for (path, hunks) in &edit.files {
            per_file
                .entry(path)
                .or_default()
                .extend(hunks.iter().map(|h| (*index, h)));
        }
    }
    let mut out = Files::new();
    for (path, mut hunks) in per_file {
        hunks.sort_by_key(|(index, h)| (h.start, h.end, *index));
        for pair in hunks.windows(2) {
            let ((a_index, a), (b_index, b)) = (pair[0], pair[1]);
            // Overlapping ranges, or two insertions at one place, have no single order.
            if a_index != b_index && (b.start < a.end || (a.start == b.start && a.end == b.end)) {
                return Err(Conflict {
                    file: path.to_string(),
                    first: a_index,
                    second: b_index,
                });
            }
        }
        let old = base.get(path).map(String::as_str).unwrap_or("");
        let old_lines = split_lines(old);
        let mut text = String::with_capacity(old.len() + 256);
        let mut at = 0;
        for (_, hunk) in hunks {
            for line in &old_lines[at..hunk.start] {
                text.push_str(line);
            }
            for line in &hunk.lines {
                text.push_str(line);
            }
            at = hunk.end;
        }
        for line in &old_lines[at..] {
            text.push_str(line);
        }
        out.insert(path.to_string(), text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(text: &str) -> Files {
        Files::from([("Cargo.lock".to_string(), text.to_string())])
    }

    const BASE: &str = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\nversion = \"2.0.0\"\n\n[[package]]\nname = \"c\"\nversion = \"3.0.0\"\n";

    #[test]
    fn two_edits_compose_to_what_applying_both_gives() {
        let base = files(BASE);
        let a = Edit::between(&base, &files(&BASE.replace("1.0.0", "1.0.1")));
        let c = Edit::between(&base, &files(&BASE.replace("3.0.0", "3.1.0")));
        let both = compose(&base, &[(0, &a), (1, &c)]).unwrap();
        assert_eq!(
            both["Cargo.lock"],
            BASE.replace("1.0.0", "1.0.1").replace("3.0.0", "3.1.0")
        );
        let none = compose(&base, &[]).unwrap();
        assert!(none.is_empty());
        let only_c = compose(&base, &[(1, &c)]).unwrap();
        assert_eq!(only_c["Cargo.lock"], BASE.replace("3.0.0", "3.1.0"));
    }

    #[test]
    fn inserted_and_deleted_lines_compose() {
        let base = files(BASE);
        let grow = BASE.replace(
            "version = \"2.0.0\"\n",
            "version = \"2.1.0\"\ndependencies = [\n \"c\",\n]\n",
        );
        let shrink = BASE.replace("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n", "");
        let g = Edit::between(&base, &files(&grow));
        let s = Edit::between(&base, &files(&shrink));
        let both = compose(&base, &[(0, &g), (1, &s)]).unwrap();
        assert_eq!(
            both["Cargo.lock"],
            grow.replace("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n", "")
        );
    }

    #[test]
    fn edits_of_the_same_lines_conflict() {
        let base = files(BASE);
        let one = Edit::between(&base, &files(&BASE.replace("2.0.0", "2.0.1")));
        let two = Edit::between(&base, &files(&BASE.replace("2.0.0", "2.1.0")));
        let err = compose(&base, &[(3, &one), (7, &two)]).unwrap_err();
        assert_eq!((err.first, err.second), (3, 7));
    }

    #[test]
    fn a_file_without_a_final_newline_keeps_its_end() {
        let base = files("x = 1\ny = 2");
        let edit = Edit::between(&base, &files("x = 1\ny = 3"));
        assert_eq!(
            compose(&base, &[(0, &edit)]).unwrap()["Cargo.lock"],
            "x = 1\ny = 3"
        );
    }
}
