//! Cargo: the minimal consistent change for a vulnerable crate, with Cargo as the resolver.
//!
//! A fix is often more than one entry: a dependent's requirement may exclude every fixed version
//! (then the dependent moves too: a parent bump), and the fixed release may need other entries
//! to move or appear (companions). nanoup does not re-implement Cargo's resolver. It reads what
//! each release asks for from the registry's index, chooses the lowest versions that work, and
//! lets Cargo make each move (`cargo update -p NAME@AT --precise TO`) on a scratch copy of the
//! workspace, where the result is measured entry by entry and accepted by Cargo itself
//! (`--locked`). The moves are recorded as the update's [`Pin`]s; apply replays them on the real
//! files and must measure the same blast radius.
//!
//! - [`search`]: the planner's search for one vulnerable crate.
//! - [`scratch`]: the copy of a workspace the search works in.
//! - this module: running one pin, checking a lockfile with Cargo, and the index look-ups.

pub mod scratch;
pub mod search;

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use nanoup_core::Pin;
use nanoup_ecosystems::cargo::registry::{IndexRelease, parse_index_releases};

use crate::apply::tool::{failure_tail, run_timed};
use crate::apply::write_atomically;

/// Fetches a crate's index file by name (the caller owns the network).
pub type FetchIndex<'a> = dyn Fn(&str) -> Result<Vec<u8>, String> + 'a;

/// Fetches crate `name`'s index file for the stack at `stack`: `fetch(stack, name)`.
pub type FetchStackIndex<'a> = dyn Fn(&str, &str) -> Result<Vec<u8>, String> + 'a;

/// The registry index as the search reads it: every release of a crate with its dependencies,
/// fetched once per crate. The caller owns the network and gives the raw index file.
pub struct CargoIndex<'a> {
    fetch: Box<FetchIndex<'a>>,
    cache: RefCell<HashMap<String, Rc<Vec<IndexRelease>>>>,
}

impl<'a> CargoIndex<'a> {
    /// An index whose files `fetch` returns (the sparse index file of a crate name).
    pub fn new(fetch: impl Fn(&str) -> Result<Vec<u8>, String> + 'a) -> CargoIndex<'a> {
        CargoIndex {
            fetch: Box::new(fetch),
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// Every release of `name`, in the index's order.
    pub fn releases(&self, name: &str) -> Result<Rc<Vec<IndexRelease>>, String> {
        if let Some(found) = self.cache.borrow().get(name) {
            return Ok(Rc::clone(found));
        }
        let body = (self.fetch)(name)?;
        let parsed = Rc::new(parse_index_releases(name, &body).map_err(|e| e.to_string())?);
        self.cache
            .borrow_mut()
            .insert(name.to_string(), Rc::clone(&parsed));
        Ok(parsed)
    }

    /// The release `name`@`version`, if the index has it.
    pub fn release(&self, name: &str, version: &str) -> Result<Option<IndexRelease>, String> {
        Ok(self
            .releases(name)?
            .iter()
            .find(|r| r.version == version)
            .cloned())
    }
}

/// Resolver-aware planning of Cargo fixes for the stacks of one repository: one scratch copy and
/// one index reader per stack, made when first needed and reused for every fix of the stack.
pub struct Planner<'a> {
    root: PathBuf,
    fetch: &'a FetchStackIndex<'a>,
    stacks: HashMap<String, Result<(scratch::Scratch, CargoIndex<'a>), String>>,
}

impl<'a> Planner<'a> {
    /// A planner for the repository at `root`; `fetch(stack, name)` returns crate `name`'s
    /// index file from the registry the stack at `stack` is configured with.
    pub fn new(root: &Path, fetch: &'a FetchStackIndex<'a>) -> Self {
        Planner {
            root: root.to_path_buf(),
            fetch,
            stacks: HashMap::new(),
        }
    }

    /// `update` (the lowest clean version of its target, from [`crate::plan::fix_step`]) made
    /// into the minimal consistent change among `clean` (the target's clean versions,
    /// ascending), found by [`search::find_fix`] on the stack's scratch copy.
    pub fn refine(
        &mut self,
        update: nanoup_core::NanoUpdate,
        clean: &[String],
        policy: &search::SearchPolicy<'_>,
    ) -> Result<nanoup_core::NanoUpdate, search::SearchError> {
        let fetch = self.fetch;
        let root = self.root.clone();
        let stack = update.stack.clone();
        let entry = self.stacks.entry(update.file.clone()).or_insert_with(|| {
            let scratch = scratch::Scratch::new(&root, &update.file)?;
            check_lock(scratch.dir()).map_err(|e| {
                format!("Cargo cannot resolve a copy of the workspace as it is ({e})")
            })?;
            let index = CargoIndex::new(move |name: &str| fetch(&stack, name));
            Ok((scratch, index))
        });
        let (scratch, index) = entry
            .as_ref()
            .map_err(|e| search::SearchError::Unavailable(e.clone()))?;
        let why = update.reasons.join(", ");
        let target = search::Target {
            name: &update.name,
            from: &update.from,
            clean,
            why,
        };
        let found = search::find_fix(scratch, index, &target, policy)?;
        Ok(with_found(update, found))
    }
}

/// The planned `update` (its target's lowest clean version) made into the minimal consistent
/// change the search found: the target's real new version (`(removed)` when a parent bump took
/// it out of the graph), its pins, steps and measured blast radius; a manifest change when any
/// pin widens a requirement.
pub fn with_found(
    update: nanoup_core::NanoUpdate,
    found: search::Found,
) -> nanoup_core::NanoUpdate {
    let to = found.to.unwrap_or_else(|| nanoup_core::REMOVED.to_string());
    let single = found.steps.len() == 1;
    nanoup_core::NanoUpdate {
        manifest_change: found.pins.iter().any(|p| p.manifest),
        blast_radius: found.blast_radius,
        // A one-entry update made by one pin needs no recipe beyond its own step.
        pins: if single && found.pins.len() <= 1 {
            Vec::new()
        } else {
            found.pins
        },
        steps: if single { Vec::new() } else { found.steps },
        ..update
    }
    .retargeted(to)
}

/// Whether Cargo requirement `req` accepts `version` (Cargo's own rules, through `semver`).
/// Unparsable text accepts nothing.
pub fn accepts(req: &str, version: &str) -> bool {
    match (
        semver::VersionReq::parse(req),
        semver::Version::parse(version),
    ) {
        (Ok(r), Ok(v)) => r.matches(&v),
        _ => false,
    }
}

/// `a < b` in SemVer order (unparsable versions are never lower).
pub fn lower(a: &str, b: &str) -> bool {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(a), Ok(b)) => a < b,
        _ => false,
    }
}

/// Every Cargo.toml of the workspace whose lockfile is in `dir` (the directory and below).
pub fn manifests_under(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let tree = nanoup_ecosystems::Tree::walk(dir).map_err(|e| e.to_string())?;
    Ok(tree.named("Cargo.toml").map(|rel| dir.join(rel)).collect())
}

/// Why a pin failed: Cargo's message, and the locked entry Cargo names as the conflict when it
/// says so (a dependency the new release needs above its locked version, held there by another
/// entry): the search moves that entry first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFailure {
    /// What went wrong, for a refusal.
    pub message: String,
    /// `(name, locked version, requirement it must meet)` of the conflicting entry.
    pub conflict: Option<(String, String, String)>,
}

impl From<String> for PinFailure {
    fn from(message: String) -> PinFailure {
        PinFailure {
            message,
            conflict: None,
        }
    }
}

/// The locked entry Cargo's resolution error names as the conflict: "failed to select a version
/// for `NAME` which could resolve this conflict", with "previously selected package `NAME
/// vVERSION`" and "versions that meet the requirements `REQ`".
pub fn conflict_in(stderr: &str) -> Option<(String, String, String)> {
    let between = |text: &str, start: &str, end: char| -> Option<String> {
        let at = text.rfind(start)? + start.len();
        Some(text[at..].split(end).next()?.to_string())
    };
    let name = between(stderr, "failed to select a version for `", '`')?;
    let selected = between(stderr, "previously selected package `", '`')?;
    let (selected_name, version) = selected.split_once(" v")?;
    if selected_name != name {
        return None;
    }
    let req = between(stderr, "versions that meet the requirements `", '`')?;
    Some((name, version.to_string(), req))
}

/// Makes one pin in the workspace of `dir` (the lockfile's directory): with `manifest`, first the
/// requirement on the crate becomes `TO` in every manifest that declares it; then `cargo update
/// -p NAME@AT --precise TO`. A widened requirement lets Cargo take its newest match first: the
/// entry is then stepped back to `TO`. On failure every manifest is put back (Cargo writes no
/// lockfile when it fails) and the reason comes back.
pub fn run_pin(dir: &Path, pin: &Pin) -> Result<(), PinFailure> {
    let mut edited: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let restore = |edited: &[(PathBuf, Vec<u8>)]| {
        for (path, bytes) in edited {
            let _ = write_atomically(path, bytes);
        }
    };
    if pin.manifest {
        for path in manifests_under(dir).map_err(PinFailure::from)? {
            let old = std::fs::read(&path)
                .map_err(|e| PinFailure::from(format!("cannot read {}: {e}", path.display())))?;
            let Ok(text) = std::str::from_utf8(&old) else {
                continue;
            };
            let (new, count) = nanoup_ecosystems::cargo::edit::set_requirement(
                text, &pin.name, &pin.to,
            )
            .map_err(|e| PinFailure::from(format!("cannot edit {}: {e}", path.display())))?;
            if count > 0 {
                if let Err(e) = write_atomically(&path, new.as_bytes()) {
                    restore(&edited);
                    return Err(format!("cannot write {}: {e}", path.display()).into());
                }
                edited.push((path, old));
            }
        }
        if edited.is_empty() {
            return Err(format!(
                "no Cargo.toml of the workspace declares {}; cannot change its requirement",
                pin.name
            )
            .into());
        }
    }
    let result = precise(dir, &pin.name, &pin.at, &pin.to).and_then(|()| {
        // A widened requirement: Cargo may have re-resolved the crate to its newest match.
        let lock = read_lock(dir).map_err(PinFailure::from)?;
        let versions: Vec<&str> = lock
            .iter()
            .filter(|p| p.name == pin.name)
            .map(|p| p.version.as_str())
            .collect();
        if versions.contains(&pin.to.as_str()) {
            return Ok(());
        }
        match versions.iter().find(|v| **v != pin.at) {
            Some(newest) => precise(dir, &pin.name, newest, &pin.to),
            None => Err(format!("cargo did not move {} to {}", pin.name, pin.to).into()),
        }
    });
    if result.is_err() {
        restore(&edited);
    }
    result
}

/// The packages of the Cargo.lock in `dir`.
pub fn read_lock(dir: &Path) -> Result<Vec<nanoup_ecosystems::cargo::LockPackage>, String> {
    let path = dir.join("Cargo.lock");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    nanoup_ecosystems::cargo::lockfile::parse("Cargo.lock", &text).map_err(|e| e.to_string())
}

/// `cargo update -p NAME@AT --precise TO` in `dir`, stopped after `NANOUP_CARGO_TIMEOUT` seconds
/// (default 300).
fn precise(dir: &Path, name: &str, at: &str, to: &str) -> Result<(), PinFailure> {
    let spec = format!("{name}@{at}");
    cargo(dir, &["update", "-p", spec.as_str(), "--precise", to])
}

/// Cargo's own verdict on the lockfile in `dir`: `cargo update --workspace --locked` resolves
/// the workspace against the lockfile and fails when Cargo would change any of it (the check
/// `cargo metadata --locked` makes, without downloading every crate). Tried offline first (the
/// index files are cached by the update just made), then online.
pub fn check_lock(dir: &Path) -> Result<(), String> {
    cargo(dir, &["update", "--workspace", "--locked", "--offline"])
        .or_else(|_| cargo(dir, &["update", "--workspace", "--locked"]))
        .map_err(|e| format!("Cargo rejects the lockfile: {}", e.message))
}

fn cargo(dir: &Path, args: &[&str]) -> Result<(), PinFailure> {
    let env = [("CARGO_TERM_COLOR", "never")];
    match run_timed(
        "cargo",
        OsStr::new("cargo"),
        args,
        dir,
        &env,
        "NANOUP_CARGO_TIMEOUT",
    ) {
        Ok(Ok(())) => Ok(()),
        Ok(Err((shown, status, stderr))) => {
            let lines: Vec<&str> = stderr
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("Updating"))
                .collect();
            Err(PinFailure {
                message: failure_tail(&shown, status, &lines),
                conflict: conflict_in(&stderr),
            })
        }
        Err(reason) => Err(reason.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conflicting_locked_entry_is_read_from_cargos_error() {
        // Cargo 1.95's words, from `cargo update -p hyper@0.14.32 --precise 0.14.12` on
        // spotify-tui's lockfile.
        let stderr = "error: failed to select a version for `winapi`.\n    ... required by package `socket2 v0.4.10`\n    ... which satisfies dependency `socket2 = \"^0.4\"` of package `hyper v0.14.12`\nversions that meet the requirements `^0.3.9` are: 0.3.9\n\nall possible versions conflict with previously selected packages.\n\n  previously selected package `winapi v0.3.8`\n    ... which satisfies dependency `winapi = \"^0.3.8\"` (locked to 0.3.8) of package `crossterm v0.17.5`\n\nfailed to select a version for `winapi` which could resolve this conflict\n";
        assert_eq!(
            conflict_in(stderr),
            Some(("winapi".into(), "0.3.8".into(), "^0.3.9".into()))
        );
        assert_eq!(
            conflict_in("error: no matching package named `x` found"),
            None
        );
        let other = stderr.replace("package `winapi v0.3.8`", "package `quote v1.0.4`");
        assert_eq!(conflict_in(&other), None);
    }
}
