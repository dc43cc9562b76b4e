//! The 159 probes of `../shared/osv/fixtures/expected.json` against the 20 real OSV records beside
//! it (provenance and licences in that folder's README.md).
//!
//! `in_range` is evaluated as that file's comment says: SEMVER and ECOSYSTEM ranges evaluated
//! in the ecosystem's order, GIT ranges ignored, `affected[].versions` matched by exact string,
//! and any `affected[]` entry for the probe's package counts. `should_report` adds "not
//! withdrawn".

use std::path::PathBuf;

use nanoup_versions::Scheme;
use nanoup_versions::osv_range::{Event, affected};
use serde::Deserialize;

#[derive(Deserialize)]
struct Record {
    id: String,
    withdrawn: Option<String>,
    #[serde(default)]
    affected: Vec<Affected>,
}

#[derive(Deserialize)]
struct Affected {
    package: Package,
    #[serde(default)]
    ranges: Vec<Range>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct Range {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Expected {
    probes: Vec<Probe>,
}

#[derive(Deserialize)]
struct Probe {
    id: String,
    package: String,
    version: String,
    in_range: bool,
    withdrawn: bool,
    should_report: bool,
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv/fixtures")
}

fn load_record(id: &str) -> Record {
    let path = data_dir().join(format!("{id}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let record: Record =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(record.id, id);
    record
}

/// Strict OSV evaluation of one record for one package version.
fn in_range(record: &Record, package: &str, version: &str) -> bool {
    record
        .affected
        .iter()
        .filter(|a| a.package.name == package)
        .any(|a| {
            a.versions.iter().any(|v| v == version)
                || a.ranges.iter().any(|r| {
                    let Some(scheme) = Scheme::for_range(&r.kind, &a.package.ecosystem) else {
                        return false;
                    };
                    let v = scheme
                        .parse(version)
                        .unwrap_or_else(|e| panic!("probe {package} {version}: {e}"));
                    affected(scheme, &v, &r.events)
                })
        })
}

#[test]
fn all_probes_match_expected() {
    let text = std::fs::read_to_string(data_dir().join("expected.json")).unwrap();
    let expected: Expected = serde_json::from_str(&text).unwrap();
    assert_eq!(expected.probes.len(), 159);

    let mut failures = Vec::new();
    for probe in &expected.probes {
        let record = load_record(&probe.id);
        let got_in_range = in_range(&record, &probe.package, &probe.version);
        let withdrawn = record.withdrawn.is_some();
        let should_report = got_in_range && !withdrawn;
        if got_in_range != probe.in_range
            || withdrawn != probe.withdrawn
            || should_report != probe.should_report
        {
            failures.push(format!(
                "{} {} {}: in_range {got_in_range} (want {}), withdrawn {withdrawn} (want {}), \
                 should_report {should_report} (want {})",
                probe.id,
                probe.package,
                probe.version,
                probe.in_range,
                probe.withdrawn,
                probe.should_report
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} probe(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_record_loads_and_every_scheme_is_known() {
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(".json") else {
            continue;
        };
        if id == "expected" {
            continue;
        }
        let record = load_record(id);
        for a in &record.affected {
            assert!(
                Scheme::for_ecosystem(&a.package.ecosystem).is_some(),
                "{id}: ecosystem {}",
                a.package.ecosystem
            );
            // Every event version of an evaluated range parses in its scheme.
            for r in &a.ranges {
                let Some(scheme) = Scheme::for_range(&r.kind, &a.package.ecosystem) else {
                    assert_eq!(r.kind, "GIT", "{id}");
                    continue;
                };
                for e in &r.events {
                    if e.version() != "0" {
                        scheme
                            .parse(e.version())
                            .unwrap_or_else(|err| panic!("{id}: {err}"));
                    }
                }
            }
        }
    }
}
