//! Detect the stacks in a repository and extract their components, one folder per ecosystem.
//!
//! Each ecosystem module (`cargo`, `npm`, `pypi`, `maven`, `golang`, `docker`) owns its whole
//! story: which files make a stack, how to read them, and (later) how to edit them and where its
//! registry is. Every module exposes `scan(&Tree) -> Scanned` and pure `parse` functions over
//! text, which the fuzz targets drive. [`scan`] walks a directory once and asks every module.

pub mod cargo;
pub mod datasource;
pub mod docker;
pub mod golang;
pub mod maven;
pub mod npm;
pub mod pypi;
mod toml_spans;
mod tree;

use std::path::Path;

use nanoup_core::{Inventory, ParseError, Stack};
use rayon::prelude::*;

pub use tree::{Tree, WalkError, dir_of, file_name, join, relative_to};

/// What an ecosystem module found in a tree: the stacks it read and the files it could not.
///
/// A stack whose lockfile parsed but one of whose manifests did not is still reported, with
/// the manifest's error beside it.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Stacks read successfully.
    pub stacks: Vec<Stack>,
    /// Files that failed to parse.
    pub errors: Vec<ParseError>,
}

impl Scanned {
    /// Adds the stacks and errors of `other`.
    pub fn extend(&mut self, other: Scanned) {
        self.stacks.extend(other.stacks);
        self.errors.extend(other.errors);
    }
}

/// A pure parser of one file format, named for fuzzing and benchmarks.
///
/// `parse(file, text)` reads `text` as the format (with `file` as the name used in errors and
/// components) and returns how many entries it read. It must return an error, never panic, on
/// any input.
#[derive(Debug, Clone, Copy)]
pub struct NamedParser {
    /// A short identifier, e.g. `npm_package_lock`; fuzz targets are named after it.
    pub name: &'static str,
    /// A typical file name of the format, passed as `file`.
    pub file_name: &'static str,
    /// The parser.
    pub parse: fn(&str, &str) -> Result<usize, ParseError>,
}

/// Every file-format parser of every ecosystem.
pub fn parsers() -> Vec<NamedParser> {
    [
        cargo::PARSERS,
        npm::PARSERS,
        pypi::PARSERS,
        maven::PARSERS,
        golang::PARSERS,
        docker::PARSERS,
    ]
    .concat()
}

/// One ecosystem's detector: finds and reads every stack of its kind in a tree.
pub type Detector = fn(&Tree) -> Scanned;

/// Every ecosystem's detector. Adding an ecosystem means adding its module and one line here.
pub const DETECTORS: &[Detector] = &[
    cargo::scan,
    npm::scan,
    pypi::scan,
    maven::scan,
    golang::scan,
    docker::scan,
];

/// The lockfile names nanoup reads. A component declared in another file (a requirements pin, a
/// pom.xml, a go.mod, a Dockerfile) has its version written in the manifest itself: changing
/// that version is the update, not an extra manifest change.
pub const LOCKFILE_NAMES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
];

/// Whether `path` (any separators) names a lockfile.
pub fn is_lockfile(path: &str) -> bool {
    LOCKFILE_NAMES.contains(&file_name(path))
}

/// One ecosystem's registry, or why it could not be configured.
pub type ConfiguredRegistry =
    Result<std::sync::Arc<dyn datasource::Datasource>, datasource::RegistryError>;

/// The registry of every ecosystem for the project at `project_dir`, configured from its files
/// (`.cargo/config.toml`, `.npmrc`) and the environment (`env`: `CARGO_REGISTRIES_*`,
/// `NPM_CONFIG_REGISTRY`, `PIP_INDEX_URL`, `GOPROXY`, ...). A registry whose configuration cannot
/// be read is an error for that ecosystem only, so its packages are reported unknown with why.
pub fn registries(
    project_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<(nanoup_core::Ecosystem, ConfiguredRegistry)> {
    use std::sync::Arc;

    use nanoup_core::Ecosystem;
    fn boxed<D: datasource::Datasource + 'static>(
        d: Result<D, datasource::RegistryError>,
    ) -> Result<Arc<dyn datasource::Datasource>, datasource::RegistryError> {
        d.map(|d| Arc::new(d) as Arc<dyn datasource::Datasource>)
    }
    vec![
        (
            Ecosystem::Cargo,
            boxed(cargo::registry::CargoRegistry::from_config(
                project_dir,
                env,
            )),
        ),
        (
            Ecosystem::Npm,
            boxed(npm::registry::NpmRegistry::from_project(project_dir, env)),
        ),
        (
            Ecosystem::PyPI,
            boxed(Ok(pypi::registry::PypiRegistry::from_env(env))),
        ),
        (
            Ecosystem::Maven,
            boxed(Ok(maven::registry::MavenRegistry::default())),
        ),
        (
            Ecosystem::Go,
            boxed(golang::registry::GoProxy::from_env(env)),
        ),
        (
            Ecosystem::Docker,
            boxed(Ok(docker::registry::DockerRegistry)),
        ),
    ]
}

/// Walks `root` (respecting .gitignore, skipping dependency and build folders) and returns the
/// inventory of every stack found under it.
pub fn scan(root: &Path) -> Result<Inventory, WalkError> {
    let tree = Tree::walk(root)?;
    Ok(scan_tree(&tree))
}

/// The inventory of an already-listed tree: every detector runs, in parallel.
pub fn scan_tree(tree: &Tree) -> Inventory {
    let found =
        DETECTORS
            .par_iter()
            .map(|detect| detect(tree))
            .reduce(Scanned::default, |mut a, b| {
                a.extend(b);
                a
            });
    Inventory::new(found.stacks, found.errors)
}

#[cfg(test)]
pub(crate) mod testutil {
    use std::path::PathBuf;

    /// `../shared/corpus`, the real lockfiles the tests read.
    pub fn corpus() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
    }

    /// A tree over one corpus set, e.g. `npm/typicode__husky__9baeb13260`.
    pub fn corpus_tree(set: &str) -> crate::Tree {
        crate::Tree::walk(&corpus().join(set)).expect("corpus set exists")
    }
}
