use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use nanoup_core::ParseError;

/// Folder names never descended into: installed dependencies, build output, VCS metadata and
/// Python virtual environments (a folder holding `pyvenv.cfg` is skipped as well).
pub const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    "vendor",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    "__pypackages__",
];

/// The largest file a parser is handed; larger "lockfiles" are reported instead of read.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// The files under a scan root, listed once, that detectors pick their stacks from.
///
/// Paths are relative to the root, use `/` separators, and are sorted, so detection does not
/// depend on the order the file system lists entries in.
#[derive(Debug, Clone)]
pub struct Tree {
    root: PathBuf,
    files: BTreeSet<String>,
}

/// The scan root itself could not be listed.
#[derive(Debug)]
pub struct WalkError {
    /// The root that was asked for.
    pub root: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot scan {}: {}", self.root.display(), self.message)
    }
}

impl std::error::Error for WalkError {}

impl Tree {
    /// Lists every file under `root`, honouring .gitignore (also outside a git repository),
    /// .ignore files, and [`SKIPPED_DIRS`]. Hidden files are listed; unreadable entries are skipped.
    pub fn walk(root: &Path) -> Result<Tree, WalkError> {
        let meta = std::fs::metadata(root).map_err(|e| WalkError {
            root: root.to_path_buf(),
            message: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Err(WalkError {
                root: root.to_path_buf(),
                message: "not a directory".into(),
            });
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if !is_dir || entry.depth() == 0 {
                    return true;
                }
                let name = entry.file_name().to_string_lossy();
                !SKIPPED_DIRS.contains(&name.as_ref()) && !entry.path().join("pyvenv.cfg").is_file()
            })
            .build();
        let mut files = BTreeSet::new();
        for entry in walker.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            if let Some(rel) = entry.path().strip_prefix(root).ok().and_then(Path::to_str) {
                files.insert(rel.replace('\\', "/"));
            }
        }
        Ok(Tree {
            root: root.to_path_buf(),
            files,
        })
    }

    /// A tree over the given relative paths under `root`, without walking (for tests).
    pub fn from_files(root: &Path, files: impl IntoIterator<Item = String>) -> Tree {
        Tree {
            root: root.to_path_buf(),
            files: files.into_iter().collect(),
        }
    }

    /// The scan root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every file, relative to the root, sorted.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(String::as_str)
    }

    /// Whether `rel` (relative, `/`-separated) is a listed file.
    pub fn contains(&self, rel: &str) -> bool {
        self.files.contains(rel)
    }

    /// The files whose last path segment is `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files().filter(move |f| file_name(f) == name)
    }

    /// Reads a listed file as UTF-8 text. A missing, unreadable, oversized or non-UTF-8 file
    /// becomes a [`ParseError`] naming it.
    pub fn read(&self, rel: &str) -> Result<String, ParseError> {
        let path = self.root.join(rel);
        let fail = |message: String| ParseError::new(rel, 1, 1, message);
        let meta = std::fs::metadata(&path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(fail(format!(
                "file is {} bytes, larger than the {} bytes nanoup reads",
                meta.len(),
                MAX_FILE_BYTES
            )));
        }
        let bytes = std::fs::read(&path).map_err(|e| fail(format!("cannot read: {e}")))?;
        String::from_utf8(bytes).map_err(|e| {
            let offset = e.utf8_error().valid_up_to();
            let valid = std::str::from_utf8(&e.as_bytes()[..offset]).unwrap_or("");
            ParseError::at_offset(
                rel,
                valid,
                offset,
                "expected UTF-8 text, found invalid bytes",
            )
        })
    }
}

/// The directory part of a relative path (`.` for a file at the root).
pub fn dir_of(rel: &str) -> &str {
    match rel.rsplit_once('/') {
        Some((dir, _)) => dir,
        None => ".",
    }
}

/// The last segment of a relative path.
pub fn file_name(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(rel, |(_, name)| name)
}

/// `rel` joined under directory `dir` (`.` meaning the root).
pub fn join(dir: &str, rel: &str) -> String {
    if dir == "." || dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// `path` relative to directory `dir`, when it lies under it.
pub fn relative_to<'a>(dir: &str, path: &'a str) -> Option<&'a str> {
    if dir == "." || dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}
