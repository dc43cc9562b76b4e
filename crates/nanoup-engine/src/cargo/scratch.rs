//! A scratch copy of a Cargo workspace: what Cargo needs to resolve it and nothing else.
//!
//! The planner tries moves on the copy, never on the user's files. Resolution reads manifests,
//! the lockfile and Cargo's configuration, and needs every declared target file to exist, not its
//! content: the copy has every Cargo.toml, the Cargo.lock, `.cargo/config[.toml]` and
//! `rust-toolchain[.toml]` files of the repository, and an empty file for each target a manifest
//! declares or Cargo would discover (`src/lib.rs`, `src/main.rs`, `build.rs`, `path = ...`).

use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// A scratch copy of the repository's Cargo files, reset to the original before each search.
pub struct Scratch {
    _dir: TempDir,
    /// The lockfile's directory in the copy.
    lock_dir: PathBuf,
    /// Every file of the copy that a search may change, with its original bytes.
    originals: Vec<(PathBuf, Vec<u8>)>,
}

impl Scratch {
    /// Copies the Cargo files of the repository at `root` into a temporary directory;
    /// `lock_rel` is the Cargo.lock of the stack, relative to `root`.
    pub fn new(root: &Path, lock_rel: &str) -> Result<Scratch, String> {
        let dir = tempfile::Builder::new()
            .prefix("nanoup-cargo-")
            .tempdir()
            .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
        let tree = nanoup_ecosystems::Tree::walk(root).map_err(|e| e.to_string())?;
        let mut originals = Vec::new();
        let copy = |rel: &str, originals: &mut Vec<(PathBuf, Vec<u8>)>| -> Result<(), String> {
            let from = root.join(rel);
            let bytes =
                std::fs::read(&from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
            let to = dir.path().join(rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(&to, &bytes).map_err(|e| format!("cannot write the copy: {e}"))?;
            originals.push((to, bytes));
            Ok(())
        };
        let manifests: Vec<String> = tree.named("Cargo.toml").map(str::to_string).collect();
        let mut dirs: Vec<String> = vec![String::new()];
        for rel in &manifests {
            copy(rel, &mut originals)?;
            let package_dir = nanoup_ecosystems::dir_of(rel).to_string();
            for target in targets(&root.join(rel)) {
                let stub = nanoup_ecosystems::join(&package_dir, &target);
                if root.join(&stub).is_file() {
                    let path = dir.path().join(&stub);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                    }
                    std::fs::write(&path, "").map_err(|e| e.to_string())?;
                }
            }
            dirs.push(package_dir);
        }
        copy(lock_rel, &mut originals)?;
        for d in dirs {
            for extra in [
                ".cargo/config.toml",
                ".cargo/config",
                "rust-toolchain.toml",
                "rust-toolchain",
            ] {
                let rel = nanoup_ecosystems::join(&d, extra);
                let to = dir.path().join(&rel);
                if root.join(&rel).is_file() && !to.exists() {
                    copy(&rel, &mut Vec::new())?;
                }
            }
        }
        let lock_dir = dir
            .path()
            .join(nanoup_ecosystems::dir_of(lock_rel).trim_start_matches('/'));
        Ok(Scratch {
            _dir: dir,
            lock_dir,
            originals,
        })
    }

    /// The lockfile's directory in the copy: where Cargo runs.
    pub fn dir(&self) -> &Path {
        &self.lock_dir
    }

    /// Puts every file a search may have changed back as it was copied.
    pub fn reset(&self) -> Result<(), String> {
        for (path, bytes) in &self.originals {
            std::fs::write(path, bytes)
                .map_err(|e| format!("cannot reset {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

/// The target files a manifest declares (`[lib]`, `[[bin]]`, `[[example]]`, `[[test]]`,
/// `[[bench]]` paths, `package.build`) and the ones Cargo discovers by convention, relative to
/// its directory.
fn targets(manifest: &Path) -> Vec<String> {
    use toml_edit::{DocumentMut, Item};
    let mut out: Vec<String> = ["src/lib.rs", "src/main.rs", "build.rs"]
        .map(str::to_string)
        .to_vec();
    let Ok(text) = std::fs::read_to_string(manifest) else {
        return out;
    };
    let Ok(doc) = text.parse::<DocumentMut>() else {
        return out;
    };
    let path_of = |item: &Item| {
        item.as_table_like()
            .and_then(|t| t.get("path"))
            .and_then(Item::as_str)
            .map(str::to_string)
    };
    if let Some(lib) = doc.get("lib") {
        out.extend(path_of(lib));
    }
    for (kind, folder) in [
        ("bin", "src/bin"),
        ("example", "examples"),
        ("test", "tests"),
        ("bench", "benches"),
    ] {
        let Some(list) = doc.get(kind).and_then(Item::as_array_of_tables) else {
            continue;
        };
        for table in list.iter() {
            match table.get("path").and_then(Item::as_str) {
                Some(path) => out.push(path.to_string()),
                None => {
                    // Without a path, Cargo looks for the target by its name.
                    if let Some(name) = table.get("name").and_then(Item::as_str) {
                        out.push(format!("{folder}/{name}.rs"));
                        out.push(format!("{folder}/{name}/main.rs"));
                    }
                }
            }
        }
    }
    if let Some(build) = doc
        .get("package")
        .and_then(|p| p.get("build"))
        .and_then(Item::as_str)
    {
        out.push(build.to_string());
    }
    out
}
