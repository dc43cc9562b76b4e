//! Rebuilding the ledger from nanoup's commit trailers (`Nanoup-Update`, `Nanoup-Package`,
//! `Nanoup-Reason`, `Nanoup-Blast-Radius`, `Nanoup-Rollback`).

use nanoup_core::{
    BLAST_RADIUS_TRAILER, PACKAGE_TRAILER, REASON_TRAILER, ROLLBACK_TRAILER, UPDATE_TRAILER,
    parse_purl,
};
use std::path::Path;
use std::process::Command;

use crate::{Event, EventKind, LedgerError};

/// Field and record separators in the `git log` output (ASCII unit and record separators).
const FIELD: char = '\x1f';
const RECORD: char = '\x1e';

/// Trailers read from each commit, in the order of the fields after the hash and date.
const TRAILERS: [&str; 5] = [
    UPDATE_TRAILER,
    PACKAGE_TRAILER,
    ROLLBACK_TRAILER,
    REASON_TRAILER,
    BLAST_RADIUS_TRAILER,
];

/// A `Nanoup-Package` trailer taken apart: `pkg:cargo/smallvec@1.4.0 -> 1.6.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageTrailer {
    /// The ecosystem's OSV name (`crates.io`).
    pub ecosystem: String,
    /// The package name as nanoup spells it (`@scope/name` for npm, `group:artifact` for Maven).
    pub name: String,
    /// The version before the update (the purl's version).
    pub from: Option<String>,
    /// The version after the update (after `->`).
    pub to: Option<String>,
}

/// Parses a `Nanoup-Package` trailer value; `None` when it is not `PURL [-> VERSION]` with a
/// purl of an ecosystem nanoup knows.
pub fn parse_package_trailer(value: &str) -> Option<PackageTrailer> {
    let (purl, to) = match value.split_once("->") {
        Some((purl, to)) => (purl.trim(), Some(to.trim()).filter(|t| !t.is_empty())),
        None => (value.trim(), None),
    };
    // nanoup writes purls of its own ecosystems only; anything else is not its trailer.
    let (ecosystem, name, from) = parse_purl(purl)?;
    Some(PackageTrailer {
        ecosystem: ecosystem.osv_name().to_string(),
        name,
        from,
        to: to.map(str::to_string),
    })
}

/// The `commit` and `rollback` events that the trailers on `repository`'s HEAD history record,
/// newest first, filed under `key`, timed by the committer date (when the commit landed).
pub(crate) fn events_from_history(repository: &Path, key: &str) -> Result<Vec<Event>, LedgerError> {
    let mut format = String::from("%H%x1f%cI");
    for trailer in TRAILERS {
        format.push_str(&format!("%x1f%(trailers:key={trailer},valueonly,unfold)"));
    }
    format.push_str("%x1e");
    let git_error = |message: String| LedgerError::Git {
        repository: repository.to_path_buf(),
        message,
    };
    let output = Command::new("git")
        .arg("-C")
        .arg(repository)
        .args(["-c", "log.showSignature=false", "log", "--no-color"])
        .arg(format!("--format={format}"))
        .arg("HEAD")
        .arg("--")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| {
            git_error(format!(
                "cannot run git: {e}; is git installed and on PATH?"
            ))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // A repository whose branch has no commit yet has no trailers either.
        if stderr.contains("does not have any commits")
            || stderr.contains("ambiguous argument 'HEAD'")
            || stderr.contains("bad revision 'HEAD'")
        {
            return Ok(Vec::new());
        }
        return Err(git_error(format!(
            "git log failed ({}): {}",
            output.status,
            stderr.trim()
        )));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut events = Vec::new();
    for record in text.split(RECORD) {
        let record = record.trim_start_matches(['\n', '\r']);
        if record.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = record.split(FIELD).collect();
        let [sha, date, updates, packages, rollbacks, reasons, blast] = fields[..] else {
            return Err(git_error(format!(
                "unexpected git log output: {} fields in {record:?}",
                fields.len()
            )));
        };
        events.extend(commit_events(
            key,
            sha.trim(),
            date.trim(),
            &Trailers {
                updates: lines(updates),
                packages: lines(packages),
                rollbacks: lines(rollbacks),
                reasons: lines(reasons),
                blast: lines(blast),
            },
        ));
    }
    fill_rollbacks(&mut events);
    Ok(events)
}

/// A rollback commit need not name the package: take it from the commit that landed the
/// update, when the history has it.
fn fill_rollbacks(events: &mut [Event]) {
    let landed: Vec<(String, Event)> = events
        .iter()
        .filter(|e| e.kind == EventKind::Commit && e.name.is_some())
        .filter_map(|e| Some((e.update_id.clone()?, e.clone())))
        .collect();
    for event in events.iter_mut() {
        if event.kind != EventKind::Rollback || event.name.is_some() {
            continue;
        }
        let Some((_, commit)) = landed
            .iter()
            .find(|(id, _)| Some(id) == event.update_id.as_ref())
        else {
            continue;
        };
        event.ecosystem.clone_from(&commit.ecosystem);
        event.name.clone_from(&commit.name);
        event.from.clone_from(&commit.from);
        event.to.clone_from(&commit.to);
    }
}

/// The nanoup trailers of one commit, one value per line of each.
struct Trailers<'a> {
    updates: Vec<&'a str>,
    packages: Vec<&'a str>,
    rollbacks: Vec<&'a str>,
    reasons: Vec<&'a str>,
    blast: Vec<&'a str>,
}

fn lines(field: &str) -> Vec<&str> {
    field
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The events one commit's trailers record. The n-th `Nanoup-Package` belongs to the n-th
/// `Nanoup-Update` (or, in a commit that only rolls back, to the n-th `Nanoup-Rollback`); the
/// reasons and blast radius belong to the commit as a whole.
fn commit_events(key: &str, sha: &str, date: &str, t: &Trailers<'_>) -> Vec<Event> {
    let blast: Option<u64> = t.blast.first().and_then(|b| b.parse().ok());
    let make = |kind: EventKind, id: &str, package: Option<&&str>| {
        let parsed = package.and_then(|p| parse_package_trailer(p));
        let mut detail = serde_json::json!({ "rebuilt_from": "git" });
        if !t.reasons.is_empty() {
            detail["reasons"] = serde_json::json!(t.reasons);
        }
        if let Some(package) = package {
            detail["package"] = serde_json::Value::from(*package);
        }
        if let Some(blast) = blast {
            detail["blast_radius"] = serde_json::Value::from(blast);
        }
        let mut event = Event::new(kind, key);
        event.time = date.to_string();
        event.update_id = Some(id.to_string());
        event.commit = Some(sha.to_string());
        event.detail = detail.to_string();
        if let Some(p) = parsed {
            event.ecosystem = Some(p.ecosystem);
            event.name = Some(p.name);
            event.from = p.from;
            event.to = p.to;
        }
        event
    };
    let mut events = Vec::new();
    for (i, id) in t.updates.iter().enumerate() {
        events.push(make(EventKind::Commit, id, t.packages.get(i)));
    }
    for (i, id) in t.rollbacks.iter().enumerate() {
        let package = if t.updates.is_empty() {
            t.packages.get(i)
        } else {
            None
        };
        events.push(make(EventKind::Rollback, id, package));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_trailers_parse() {
        let cargo = parse_package_trailer("pkg:cargo/smallvec@1.4.0 -> 1.6.1").unwrap();
        assert_eq!(
            cargo,
            PackageTrailer {
                ecosystem: "crates.io".into(),
                name: "smallvec".into(),
                from: Some("1.4.0".into()),
                to: Some("1.6.1".into()),
            }
        );
        let npm = parse_package_trailer("pkg:npm/%40babel/core@7.0.0 -> 7.0.1").unwrap();
        assert_eq!(npm.ecosystem, "npm");
        assert_eq!(npm.name, "@babel/core");
        let maven = parse_package_trailer("pkg:maven/org.yaml/snakeyaml@1.33 -> 2.0").unwrap();
        assert_eq!(maven.ecosystem, "Maven");
        assert_eq!(maven.name, "org.yaml:snakeyaml");
        let go = parse_package_trailer("pkg:golang/golang.org/x/net@v0.1.0->v0.7.0").unwrap();
        assert_eq!(
            (go.ecosystem.as_str(), go.name.as_str()),
            ("Go", "golang.org/x/net")
        );
        assert_eq!(go.to.as_deref(), Some("v0.7.0"));
        let bare = parse_package_trailer("pkg:pypi/jinja2@2.10").unwrap();
        assert_eq!((bare.ecosystem.as_str(), bare.to), ("PyPI", None));
        assert_eq!(parse_package_trailer("smallvec 1.4.0 -> 1.6.1"), None);
        assert_eq!(parse_package_trailer(""), None);
    }

    #[test]
    fn a_rollback_only_commit_pairs_its_packages_with_its_rollbacks() {
        let trailers = Trailers {
            updates: vec![],
            packages: vec!["pkg:cargo/smallvec@1.4.0 -> 1.6.1"],
            rollbacks: vec!["1a2b3c4d5e6f"],
            reasons: vec![],
            blast: vec!["1"],
        };
        let events = commit_events("/r", "abc", "2026-01-01T00:00:00Z", &trailers);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].kind, EventKind::Rollback);
        assert_eq!(events[0].name.as_deref(), Some("smallvec"));
        assert_eq!(events[0].commit.as_deref(), Some("abc"));
        let detail = events[0].detail_value();
        assert_eq!(detail["blast_radius"], 1);
        assert!(detail.get("reasons").is_none());
    }
}
