//! The search for the minimal consistent change of one vulnerable pin in a requirements file
//! whose every package is pinned (`pip-compile` / `uv pip compile` output).
//!
//! A pin moved alone can leave the file unsatisfiable (flask 3 beside werkzeug 1): the file's
//! pins are only good together. uv's resolver is asked, on a scratch copy, what else must move:
//! every pinned package is an input, the target pinned at the candidate version, and the file's
//! own pins are the preferences (`uv pip compile -o` an output that already holds them), so uv
//! keeps every pin it can and moves only what the new release needs. The pins it moves are the
//! update's **companions**, the packages it adds (a new dependency of the new release) are
//! added pins; none may be a downgrade or gain an advisory (policy). The first clean version,
//! ascending, that gives such a change wins. uv's own additions to the untouched file (pip-tools
//! leaves `setuptools` out, uv does not) are not the update's.
//!
//! Files that include others (`-r`, `-c`), pin by URL or are not fully pinned are left to the
//! single-pin update (the search says why it cannot run); apply's check with uv still guards
//! them.

use std::collections::BTreeMap;
use std::path::Path;

use nanoup_core::{Step, StepRole};
use nanoup_ecosystems::pypi::requirements::{self, Entry};
use nanoup_versions::{Scheme, Version};

use crate::apply::tool::run_uv;
use crate::memo::RunMemo;
use crate::plan::{SearchError, SearchPolicy};

pub use crate::plan::Target;

/// The change found: the target's new version and every pin that moves with it (empty when it
/// moves alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The target's new version.
    pub to: String,
    /// Companions then the target; empty when the target moves alone.
    pub steps: Vec<Step>,
}

/// The planned `update` made into the change found (see [`crate::plan::with_steps`]).
pub fn with_found(update: nanoup_core::NanoUpdate, found: Found) -> nanoup_core::NanoUpdate {
    crate::plan::with_steps(update, found.to, found.steps, false)
}

/// At most this many clean versions are tried (each is one uv run).
const MAX_TRIES: usize = 4;

/// Searches the minimal consistent change for `target` in the requirements file `text` (named
/// `file`, for messages).
pub fn find_fix(
    file: &str,
    text: &str,
    target: &Target<'_>,
    policy: &SearchPolicy<'_>,
) -> Result<Found, SearchError> {
    let pins = pins_of(file, text)?;
    let scratch = tempfile::tempdir()
        .map_err(|e| SearchError::Unavailable(format!("cannot make a scratch directory: {e}")))?;
    let python = python_of(text);
    // What uv makes of the file as it is: its own additions are not the update's.
    let as_is =
        resolved_as_is(scratch.path(), file, text, &pins, python.as_deref()).map_err(|e| {
            SearchError::Unavailable(format!("uv cannot resolve {file} as it is ({e})"))
        })?;
    let wanted = normalize(target.name);
    let mut last = String::new();
    for to in target.clean.iter().take(MAX_TRIES) {
        let resolved = match compile(
            scratch.path(),
            &pins,
            Some((&wanted, to)),
            python.as_deref(),
        ) {
            Ok(resolved) => resolved,
            Err(e) => {
                last = e;
                continue;
            }
        };
        match companions(&pins, &as_is, &resolved, &wanted, target, to, policy) {
            Ok(steps) => {
                return Ok(Found {
                    to: to.clone(),
                    steps,
                });
            }
            Err(why) => last = why,
        }
    }
    Err(SearchError::NoFix(format!(
        "no fixed version of {} fits the other pins of {file}: {last}",
        target.name
    )))
}

/// uv's resolution of the file's pins as they are, remembered per text for the run (every
/// update of one file starts from it): `Err` with uv's words when they do not resolve.
fn resolved_as_is(
    dir: &Path,
    file: &str,
    text: &str,
    pins: &Pins,
    python: Option<&str>,
) -> Result<BTreeMap<String, String>, String> {
    type Resolved = Result<BTreeMap<String, String>, String>;
    static SEEN: RunMemo<String, Resolved> = RunMemo::new();
    let key = nanoup_core::FileDigest::of(file, text.as_bytes()).sha256;
    if let Some(known) = SEEN.get(&key) {
        return known;
    }
    let resolved = compile(dir, pins, None, python);
    SEEN.insert(key, resolved.clone());
    resolved
}

/// Whether uv finds the pins of the requirements file `text` installable together (`uv pip
/// compile` of the pins themselves, for the Python of pip-compile's header): `Ok(None)` when it
/// does, `Ok(Some(why))` when it does not, `Err` when the check cannot be made (uv missing, a
/// file that includes others or is not fully pinned).
pub(crate) fn pins_conflict(file: &str, text: &str) -> Result<Option<String>, String> {
    let pins = pins_of(file, text).map_err(|e| match e {
        SearchError::Unavailable(why) | SearchError::NoFix(why) => why,
    })?;
    let scratch =
        tempfile::tempdir().map_err(|e| format!("cannot make a scratch directory: {e}"))?;
    match resolved_as_is(
        scratch.path(),
        file,
        text,
        &pins,
        python_of(text).as_deref(),
    ) {
        Ok(_) => Ok(None),
        Err(e) if e.starts_with("cannot run") => Err(e),
        Err(e) => Ok(Some(e)),
    }
}

/// The pins of a fully pinned file: normalised name → (version, marker).
type Pins = BTreeMap<String, (String, Option<String>)>;

fn pins_of(file: &str, text: &str) -> Result<Pins, SearchError> {
    let entries =
        requirements::parse(file, text).map_err(|e| SearchError::Unavailable(e.to_string()))?;
    let mut pins = Pins::new();
    for entry in entries {
        match entry {
            Entry::Include { target, .. } => {
                return Err(SearchError::Unavailable(format!(
                    "{file} includes {target}; its pins are checked together at apply"
                )));
            }
            Entry::Requirement(r) => match (&r.version, &r.location, r.editable) {
                (Some(version), None, false) => {
                    pins.insert(r.name.clone(), (version.clone(), r.marker.clone()));
                }
                _ => {
                    return Err(SearchError::Unavailable(format!(
                        "{file}:{}: {} is not pinned to a version from the index",
                        r.line, r.name
                    )));
                }
            },
        }
    }
    Ok(pins)
}

/// The Python version pip-compile wrote in the file's header (`... by pip-compile with Python
/// 3.11`), for uv's `--python-version`.
fn python_of(text: &str) -> Option<String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| {
            let rest = l.split_once("with Python ")?.1;
            let version: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            (version.split('.').count() >= 2).then_some(version)
        })
}

fn normalize(name: &str) -> String {
    nanoup_core::normalize_pypi_name(name)
}

/// `uv pip compile` of the pins in `dir`: with `target` (name, version), every pinned package
/// is an input, the target pinned, and the pins are the preferences; without, the pins
/// themselves are the input. The resolved pins, by normalised name.
fn compile(
    dir: &Path,
    pins: &Pins,
    target: Option<(&str, &str)>,
    python: Option<&str>,
) -> Result<BTreeMap<String, String>, String> {
    let line = |name: &str, spec: &str, marker: &Option<String>| match marker {
        Some(m) => format!("{name}{spec} ; {m}\n"),
        None => format!("{name}{spec}\n"),
    };
    let pinned: String = pins
        .iter()
        .map(|(name, (version, marker))| line(name, &format!("=={version}"), marker))
        .collect();
    let input: String = match target {
        None => pinned.clone(),
        Some((wanted, to)) => pins
            .iter()
            .map(|(name, (_, marker))| {
                let spec = if name == wanted {
                    format!("=={to}")
                } else {
                    String::new()
                };
                line(name, &spec, marker)
            })
            .collect(),
    };
    let write = |file: &str, text: &str| {
        std::fs::write(dir.join(file), text).map_err(|e| format!("cannot write {file}: {e}"))
    };
    write("requirements.in", &input)?;
    write("requirements.txt", &pinned)?;
    let mut args = vec![
        "pip",
        "compile",
        "requirements.in",
        "-o",
        "requirements.txt",
        "--no-header",
        "--no-annotate",
        "--quiet",
    ];
    if let Some(python) = python {
        args.extend(["--python-version", python]);
    }
    run_uv(dir, &args)?;
    let out = std::fs::read_to_string(dir.join("requirements.txt"))
        .map_err(|e| format!("cannot read uv's output: {e}"))?;
    let entries = requirements::parse("requirements.txt", &out).map_err(|e| e.to_string())?;
    Ok(entries
        .into_iter()
        .filter_map(|e| match e {
            Entry::Requirement(r) => Some((r.name, r.version?)),
            Entry::Include { .. } => None,
        })
        .collect())
}

/// The steps of a resolution: every pin uv moved or added beside the target (its additions to
/// the untouched file left out), each allowed by policy and none a downgrade; then the target.
fn companions(
    pins: &Pins,
    as_is: &BTreeMap<String, String>,
    resolved: &BTreeMap<String, String>,
    wanted: &str,
    target: &Target<'_>,
    to: &str,
    policy: &SearchPolicy<'_>,
) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for (name, version) in resolved {
        if name == wanted {
            continue;
        }
        let from = pins.get(name).map(|(v, _)| v.as_str());
        if from == Some(version.as_str()) || (from.is_none() && as_is.contains_key(name)) {
            continue;
        }
        if let Some(from) = from
            && let (Ok(a), Ok(b)) = (
                Version::parse(Scheme::Pep440, from),
                Version::parse(Scheme::Pep440, version),
            )
            && b < a
        {
            return Err(format!(
                "with {}=={to}, uv moves {name} down from {from} to {version}",
                target.name
            ));
        }
        if !(policy.may_move)(name, from, version, None) {
            return Err(format!(
                "with {}=={to}, {name} must move to {version}, which policy does not allow \
                 (kind of step, cooldown, hold, or an advisory)",
                target.name
            ));
        }
        steps.push(Step {
            name: name.clone(),
            from: from.map(str::to_string),
            to: Some(version.clone()),
            role: StepRole::Companion,
            why: format!(
                "{} {to} needs it (uv's resolution of the file's pins with {}=={to})",
                target.name, target.name
            ),
            manifest: false,
            path: None,
        });
    }
    // A pin uv dropped: the file still pins it (an input), so none should be; say so.
    if let Some(name) = pins.keys().find(|n| !resolved.contains_key(*n)) {
        return Err(format!(
            "with {}=={to}, uv's resolution no longer pins {name}",
            target.name
        ));
    }
    if !steps.is_empty() {
        steps.push(Step {
            name: target.name.to_string(),
            from: Some(target.from.to_string()),
            to: Some(to.to_string()),
            role: StepRole::Target,
            why: target.why.clone(),
            manifest: false,
            path: None,
        });
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_version_from_the_pip_compile_header() {
        let text = "#\n# This file is autogenerated by pip-compile with Python 3.11\n# by the following command:\n#\nflask==1.0\n";
        assert_eq!(python_of(text).as_deref(), Some("3.11"));
        assert_eq!(
            python_of("# autogenerated by pip-compile\nflask==1.0\n"),
            None
        );
    }

    #[test]
    fn files_that_are_not_fully_pinned_are_left_to_the_single_pin_update() {
        for text in ["-r base.txt\nflask==1.0\n", "flask>=1.0\n", "-e ./pkg\n"] {
            assert!(
                matches!(pins_of("r.txt", text), Err(SearchError::Unavailable(_))),
                "{text}"
            );
        }
        let pins = pins_of(
            "r.txt",
            "Flask==1.1.2 ; python_version >= \"3\"\nclick==7.1.2\n",
        )
        .unwrap();
        assert_eq!(
            pins["flask"],
            (
                "1.1.2".to_string(),
                Some("python_version >= \"3\"".to_string())
            )
        );
    }
}
