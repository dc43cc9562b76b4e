//! Detect the stacks in a repository and extract their components, one folder per ecosystem.
//!
//! Each ecosystem module (`cargo`, `npm`, `pypi`, `maven`, `golang`, `docker`) owns its whole
//! story: which files make a stack, how to read them, and (later) how to edit them and where its
//! registry is. Every module exposes `scan(&Tree) -> Scanned` and pure `parse` functions over
//! text, which the fuzz targets drive. [`scan`] walks a directory once and asks every module.

pub mod cargo;
pub mod datasource;
pub mod docker;
mod edit_support;
pub mod golang;
pub mod maven;
pub mod npm;
pub mod pypi;
mod toml_spans;
mod tree;
pub mod unread;

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
    let mut inventory = Inventory::new(found.stacks, found.errors);
    inventory.unread = unread::find(tree);
    inventory
}

/// Standard base64 (RFC 4648) with padding, as registries and lockfiles write digests and
/// credentials.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                let index = usize::try_from((n >> shift) & 63).unwrap_or(0);
                out.push(char::from(ALPHABET.get(index).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod testutil {
    use std::path::PathBuf;

    use nanoup_core::{Component, EntryChange};

    /// `../shared/corpus`, the real lockfiles the tests read.
    pub fn corpus() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
    }

    /// A tree over one corpus set, e.g. `npm/typicode__husky__9baeb13260`.
    pub fn corpus_tree(set: &str) -> crate::Tree {
        crate::Tree::walk(&corpus().join(set)).expect("corpus set exists")
    }

    /// Every component with a resolved version that `detect` (one ecosystem's scan) finds in a
    /// corpus set.
    pub fn versioned_components(detect: crate::Detector, set: &str) -> Vec<Component> {
        detect(&corpus_tree(set))
            .stacks
            .into_iter()
            .flat_map(|stack| stack.components)
            .filter(|component| component.version.is_some())
            .collect()
    }

    /// A registry manifest of `name@version` with `dependencies` (name, range) and a made-up
    /// tarball and integrity, for tests of the shape an npm or pnpm edit gives the tree.
    pub fn npm_release(
        name: &str,
        version: &str,
        dependencies: &[(&str, &str)],
    ) -> crate::npm::registry::VersionManifest {
        crate::npm::registry::VersionManifest {
            name: name.into(),
            version: version.into(),
            dependencies: dependencies
                .iter()
                .map(|(n, r)| (n.to_string(), r.to_string()))
                .collect(),
            tarball: Some(format!(
                "https://registry.npmjs.org/{name}/-/{name}-{version}.tgz"
            )),
            integrity: Some(format!("sha512-{name}{version}")),
            ..Default::default()
        }
    }

    /// The entry `name` moving from `from` to `to`.
    pub fn change(name: &str, from: &str, to: &str) -> EntryChange {
        EntryChange {
            name: name.into(),
            from: Some(from.into()),
            to: Some(to.into()),
            path: None,
        }
    }

    /// The entry `name` moving from `from` to `to`, either unset for an entry added or removed.
    pub fn change_of(name: &str, from: Option<&str>, to: Option<&str>) -> EntryChange {
        EntryChange {
            name: name.to_string(),
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            path: None,
        }
    }

    /// Asserts that the entries an edit changed (`changed`, sorted, once per place the package
    /// is written at) are the one step of `name` from `from` to `to`.
    pub fn assert_one_step(mut changed: Vec<EntryChange>, name: &str, from: &str, to: &str) {
        changed.dedup();
        assert_eq!(changed, [change(name, from, to)], "{name} {from} -> {to}");
    }

    /// The one place where `old` and `new` differ: (offset, old bytes, new bytes).
    pub fn byte_diff<'a>(old: &'a str, new: &'a str) -> (usize, &'a str, &'a str) {
        let prefix = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        let suffix = old
            .bytes()
            .rev()
            .zip(new.bytes().rev())
            .take_while(|(a, b)| a == b)
            .count()
            .min(old.len() - prefix)
            .min(new.len() - prefix);
        (
            prefix,
            &old[prefix..old.len() - suffix],
            &new[prefix..new.len() - suffix],
        )
    }
}
