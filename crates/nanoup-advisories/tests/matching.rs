//! Matching rules, each on real advisories: the 159 fixture probes, alias merging, withdrawn and
//! informational advisories, severity, the lowest clearing fix, and the index round trip.

use std::path::PathBuf;

use nanoup_advisories::advisory::Advisory;
use nanoup_advisories::matching::match_component;
use nanoup_advisories::sources::read_source;
use nanoup_core::{Component, Ecosystem, FindingKind, Severity, Source};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

fn fixtures() -> Vec<Advisory> {
    let imported = read_source(&shared("osv/fixtures")).unwrap();
    // expected.json is not an advisory; it is the one skipped entry.
    assert_eq!(imported.skipped.len(), 1, "{:?}", imported.skipped);
    assert_eq!(imported.advisories.len(), 20);
    imported.advisories
}

fn ecosystem(osv: &str) -> Ecosystem {
    match osv {
        "crates.io" => Ecosystem::Cargo,
        "npm" => Ecosystem::Npm,
        "PyPI" => Ecosystem::PyPI,
        "Maven" => Ecosystem::Maven,
        "Go" => Ecosystem::Go,
        other => panic!("unexpected ecosystem {other}"),
    }
}

fn component(ecosystem: Ecosystem, name: &str, version: &str) -> Component {
    Component::new(ecosystem, name, version, "lockfile", 1)
}

#[test]
fn all_159_fixture_probes_give_the_expected_answer() {
    let advisories = fixtures();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shared("osv/fixtures/expected.json")).unwrap(),
    )
    .unwrap();
    let probes = expected["probes"].as_array().unwrap();
    assert_eq!(probes.len(), 159);
    let mut wrong = Vec::new();
    for probe in probes {
        let id = probe["id"].as_str().unwrap();
        let package = probe["package"].as_str().unwrap();
        let version = probe["version"].as_str().unwrap();
        let advisory = advisories.iter().find(|a| a.id == id).unwrap();
        let affected = advisory
            .affected
            .iter()
            .find(|p| p.name == package || p.name.ends_with(package))
            .unwrap();
        let c = component(ecosystem(&affected.ecosystem), &affected.name, version);
        let findings = match_component(".", &c, version, std::slice::from_ref(advisory));
        let reported = findings.iter().any(|f| f.id == id);
        if reported != probe["should_report"].as_bool().unwrap() {
            wrong.push(format!("{id} {package} {version}: reported={reported}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} probes wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn aliases_merge_into_one_finding_under_the_database_id() {
    // RUSTSEC-2020-0071 and GHSA-wcg3-cvx6-7396 are the same `time` vulnerability.
    let advisories = fixtures();
    let c = component(Ecosystem::Cargo, "time", "0.2.7");
    let findings = match_component(".", &c, "0.2.7", &advisories);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f.id, "RUSTSEC-2020-0071");
    assert!(
        f.aliases.contains(&"GHSA-wcg3-cvx6-7396".to_string()),
        "{:?}",
        f.aliases
    );
    assert!(
        f.aliases.iter().any(|a| a.starts_with("CVE-")),
        "{:?}",
        f.aliases
    );
    assert!(!f.aliases.contains(&f.id));
    assert_eq!(f.kind, FindingKind::Vulnerability);
}

#[test]
fn withdrawn_advisories_are_never_reported() {
    let advisories = fixtures();
    let c = component(Ecosystem::Cargo, "tower-http", "0.1.2");
    assert!(match_component(".", &c, "0.1.2", &advisories).is_empty());
}

#[test]
fn informational_advisories_are_warnings_of_their_kind() {
    let advisories = fixtures();
    let atty = match_component(
        ".",
        &component(Ecosystem::Cargo, "atty", "0.2.14"),
        "0.2.14",
        &advisories,
    );
    assert_eq!(atty.len(), 1);
    assert_eq!(
        (atty[0].id.as_str(), atty[0].kind),
        ("RUSTSEC-2024-0375", FindingKind::Unmaintained)
    );
    assert_eq!(
        atty[0].lowest_fix, None,
        "no upgrade clears an unmaintained crate"
    );
    let borsh = match_component(
        ".",
        &component(Ecosystem::Cargo, "borsh", "0.11.5"),
        "0.11.5",
        &advisories,
    );
    assert_eq!(borsh[0].kind, FindingKind::Unsound);
}

#[test]
fn severity_is_computed_from_cvss_or_taken_from_the_database() {
    let zip = read_source(&shared("osv/crates.io/all.zip"))
        .unwrap()
        .advisories;
    let smallvec = match_component(
        ".",
        &component(Ecosystem::Cargo, "smallvec", "1.4.0"),
        "1.4.0",
        &zip,
    );
    assert_eq!(smallvec.len(), 1);
    // CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H scores 9.8.
    assert_eq!(smallvec[0].cvss_score, Some(9.8));
    assert_eq!(smallvec[0].severity, Some(Severity::Critical));
    assert_eq!(smallvec[0].fixed, ["0.6.14", "1.6.1"]);
    assert_eq!(smallvec[0].lowest_fix.as_deref(), Some("1.6.1"));
    // GHSA records without a vector carry database_specific.severity.
    let npm = read_source(&shared("osv/npm/all.zip")).unwrap().advisories;
    let labelled = npm
        .iter()
        .find(|a| a.severity.is_empty() && a.database_severity.is_some())
        .or_else(|| npm.iter().find(|a| a.database_severity.is_some()))
        .expect("a GHSA record with database_specific.severity");
    assert!(Severity::from_label(labelled.database_severity.as_deref().unwrap()).is_some());
}

#[test]
fn rustsec_native_and_osv_export_agree_on_smallvec() {
    let native = read_source(&shared("advisory-db/rustsec"))
        .unwrap()
        .advisories;
    for version in [
        "0.6.2", "0.6.3", "0.6.13", "0.6.14", "1.0.0", "1.4.0", "1.6.0", "1.6.1", "1.13.2",
    ] {
        let c = component(Ecosystem::Cargo, "smallvec", version);
        let ids: Vec<String> = match_component(".", &c, version, &native)
            .into_iter()
            .map(|f| f.id)
            .collect();
        let expected = matches!(version, "0.6.3" | "0.6.13" | "1.0.0" | "1.4.0" | "1.6.0");
        assert_eq!(
            ids.contains(&"RUSTSEC-2021-0003".to_string()),
            expected,
            "smallvec {version}: {ids:?}"
        );
    }
    let f = match_component(
        ".",
        &component(Ecosystem::Cargo, "smallvec", "1.4.0"),
        "1.4.0",
        &native,
    );
    let f = f.iter().find(|f| f.id == "RUSTSEC-2021-0003").unwrap();
    assert_eq!(f.lowest_fix.as_deref(), Some("1.6.1"));
}

#[test]
fn only_registry_components_of_the_right_ecosystem_match() {
    let zip = read_source(&shared("osv/crates.io/all.zip"))
        .unwrap()
        .advisories;
    let dir = tempfile::tempdir().unwrap();
    let index_path = dir.path().join("advisories.idx");
    nanoup_advisories::db::store(
        &index_path,
        vec![nanoup_advisories::db::prepared(
            "test".into(),
            "osv-zip",
            zip,
            vec![],
            "2026-11-24T00:00:00Z",
        )],
        &[],
        "2026-11-24T00:00:00Z",
    )
    .unwrap();
    let index = nanoup_advisories::index::Index::open(&index_path).unwrap();
    let mut git = component(Ecosystem::Cargo, "smallvec", "1.4.0");
    git.source = Source::Git;
    let registry = component(Ecosystem::Cargo, "smallvec", "1.4.0");
    let npm = component(Ecosystem::Npm, "smallvec", "1.4.0");
    let inventory = nanoup_core::Inventory::new(
        vec![
            nanoup_core::Stack::new("a", Ecosystem::Cargo, vec![], [git]),
            nanoup_core::Stack::new("b", Ecosystem::Cargo, vec![], [registry]),
            nanoup_core::Stack::new("c", Ecosystem::Npm, vec![], [npm]),
        ],
        vec![],
    );
    let findings = nanoup_advisories::matching::match_inventory(&index, &inventory).unwrap();
    let stacks: Vec<&str> = findings.iter().map(|f| f.stack.as_str()).collect();
    assert_eq!(stacks, ["b"]);
}

#[test]
fn pypi_names_match_after_pep503_normalisation() {
    let pypi = read_source(&shared("osv/PyPI/all.zip")).unwrap().advisories;
    // Advisories name "Flask" / "flask"; inventories hold the normal form.
    let c = component(Ecosystem::PyPI, "flask", "0.12");
    let findings = match_component(".", &c, "0.12", &pypi);
    assert!(
        findings.iter().any(|f| f.id.starts_with("PYSEC-")),
        "{findings:#?}"
    );
    let c = component(Ecosystem::PyPI, "flask", "3.1.3");
    assert!(match_component(".", &c, "3.1.3", &pypi).is_empty());
    // flask 3.1.0: PYSEC-2026-1377 is fixed in 3.1.1, but PYSEC-2026-2151 only in 3.1.3, so
    // the lowest version clearing both is 3.1.3.
    let c = component(Ecosystem::PyPI, "flask", "3.1.0");
    let findings = match_component(".", &c, "3.1.0", &pypi);
    let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["PYSEC-2026-1377", "PYSEC-2026-2151"]);
    assert!(
        findings
            .iter()
            .all(|f| f.lowest_fix.as_deref() == Some("3.1.3"))
    );
    assert_eq!(findings[0].fixed, ["3.1.1"]);
}

#[test]
fn two_entries_of_the_own_database_stay_apart_even_when_they_share_aliases() {
    // RUSTSEC-2019-0036 (unsound) and RUSTSEC-2020-0036 (unmaintained) both list CVE-2019-25010.
    let native = read_source(&shared("advisory-db/rustsec"))
        .unwrap()
        .advisories;
    let findings = match_component(
        ".",
        &component(Ecosystem::Cargo, "failure", "0.1.8"),
        "0.1.8",
        &native,
    );
    let kinds: Vec<(&str, FindingKind)> =
        findings.iter().map(|f| (f.id.as_str(), f.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("RUSTSEC-2019-0036", FindingKind::Unsound),
            ("RUSTSEC-2020-0036", FindingKind::Unmaintained)
        ]
    );
}
