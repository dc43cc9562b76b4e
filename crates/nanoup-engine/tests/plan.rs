//! Planning on real data: RustSec/PyPA advisories from ../shared/osv and recorded registry
//! answers (crates.io index, PyPI JSON API), with a fixed clock.

use std::collections::BTreeSet;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use nanoup_advisories::advisory::Advisory;
use nanoup_core::{Component, Ecosystem, Release, UpdateKind};
use nanoup_ecosystems::datasource::Datasource;
use nanoup_engine::plan::{StepPolicy, drift_step, fix_step, fix_targets, partial_versions};

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel)
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../nanoup-ecosystems/tests/fixtures/registry")
            .join(rel),
    )
    .unwrap()
}

fn advisories(zip: &str, name: &str) -> Vec<Advisory> {
    nanoup_advisories::sources::read_source(&shared(zip))
        .unwrap()
        .advisories
        .into_iter()
        .filter(|a| a.affected.iter().any(|p| p.name == name))
        .collect()
}

fn smallvec_releases() -> Vec<Release> {
    nanoup_ecosystems::cargo::registry::CargoRegistry::crates_io()
        .parse("smallvec", &fixture("crates.io/sm/al/smallvec"))
        .unwrap()
}

fn policy(kinds: &[UpdateKind]) -> StepPolicy {
    StepPolicy {
        now: "2026-11-24T00:00:00Z".parse::<Timestamp>().unwrap(),
        min_age: SignedDuration::from_hours(72),
        allow: kinds.iter().copied().collect::<BTreeSet<_>>(),
        held_below: None,
    }
}

const ALL: [UpdateKind; 3] = [UpdateKind::Patch, UpdateKind::Minor, UpdateKind::Major];

fn component(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    requirement: Option<&str>,
) -> Component {
    let mut c = Component::new(ecosystem, name, version, "Cargo.lock", 7);
    c.direct = requirement.is_some();
    c.requirement = requirement.map(str::to_string);
    c
}

#[test]
fn a_vulnerable_crate_gets_the_lowest_clean_release_inside_its_range() {
    // RUSTSEC-2021-0003: smallvec >= 1.0.0, < 1.6.1 is affected; 1.6.1 fixes it.
    let advisories = advisories("osv/crates.io/all.zip", "smallvec");
    let c = component(Ecosystem::Cargo, "smallvec", "1.4.0", Some("1.4"));
    let u = fix_step(
        ".",
        &c,
        &smallvec_releases(),
        &advisories,
        vec!["RUSTSEC-2021-0003".into()],
        &policy(&ALL),
    )
    .unwrap();
    assert_eq!(
        (u.to.as_str(), u.kind, u.manifest_change),
        ("1.6.1", UpdateKind::Minor, false)
    );
    assert_eq!(u.blast_radius.len(), 1);
    assert_eq!(u.blast_radius[0].to.as_deref(), Some("1.6.1"));
    assert_eq!(u.id.len(), 12);
    assert_eq!(u.file, "Cargo.lock");
}

#[test]
fn an_exact_requirement_makes_the_fix_a_manifest_change() {
    let advisories = advisories("osv/crates.io/all.zip", "smallvec");
    let c = component(Ecosystem::Cargo, "smallvec", "1.4.0", Some("=1.4.0"));
    let u = fix_step(
        ".",
        &c,
        &smallvec_releases(),
        &advisories,
        vec![],
        &policy(&ALL),
    )
    .unwrap();
    assert_eq!((u.to.as_str(), u.manifest_change), ("1.6.1", true));
}

#[test]
fn policy_can_leave_a_vulnerability_unfixable_and_says_why() {
    let advisories = advisories("osv/crates.io/all.zip", "smallvec");
    let c = component(Ecosystem::Cargo, "smallvec", "1.4.0", Some("1.4"));
    let err = fix_step(
        ".",
        &c,
        &smallvec_releases(),
        &advisories,
        vec![],
        &policy(&[UpdateKind::Patch]),
    )
    .unwrap_err();
    assert!(err.0.contains("policy"), "{}", err.0);
    let mut held = policy(&ALL);
    held.held_below = Some("1.5.0".into());
    assert!(fix_step(".", &c, &smallvec_releases(), &advisories, vec![], &held).is_err());
    // A cooldown longer than the crate's life: nothing is old enough... except releases the
    // index does not date; the recorded index dates them all.
    let mut cold = policy(&ALL);
    cold.min_age = SignedDuration::from_hours(24 * 365 * 30);
    assert!(fix_step(".", &c, &smallvec_releases(), &advisories, vec![], &cold).is_err());
}

#[test]
fn the_fix_for_pypi_clears_every_advisory_on_the_package() {
    // flask 3.1.0: PYSEC-2026-1377 is fixed in 3.1.1, PYSEC-2026-2151 only in 3.1.3.
    let advisories = advisories("osv/PyPI/all.zip", "flask");
    let releases = nanoup_ecosystems::pypi::registry::PypiRegistry::default()
        .parse("flask", &fixture("pypi/json/flask.json"))
        .unwrap();
    assert!(
        releases.iter().any(|r| r.version == "3.1.3"),
        "the recorded answer has 3.1.3"
    );
    let c = component(Ecosystem::PyPI, "flask", "3.1.0", Some(">=3.0"));
    let u = fix_step(".", &c, &releases, &advisories, vec![], &policy(&ALL)).unwrap();
    assert_eq!(
        (u.to.as_str(), u.kind, u.manifest_change),
        ("3.1.3", UpdateKind::Patch, false)
    );
}

#[test]
fn drift_takes_the_newest_patch_first_then_the_next_line() {
    let releases = smallvec_releases();
    let newest_in = |major: u64, minor: u64| {
        releases
            .iter()
            .filter(|r| !r.yanked)
            .filter_map(|r| semver::Version::parse(&r.version).ok())
            .filter(|v| v.pre.is_empty() && v.major == major && v.minor == minor)
            .max()
            .unwrap()
            .to_string()
    };
    let c = component(Ecosystem::Cargo, "smallvec", "1.4.0", Some("1.4"));
    let step = drift_step(".", &c, &releases, &policy(&ALL)).unwrap();
    assert_eq!(
        (step.to.clone(), step.kind),
        (newest_in(1, 4), UpdateKind::Patch)
    );
    assert_eq!(step.reasons, ["drift"]);
    // From the newest patch of 1.4 the next step is the newest 1.5.x.
    let c = component(Ecosystem::Cargo, "smallvec", &newest_in(1, 4), Some("1.4"));
    let step = drift_step(".", &c, &releases, &policy(&ALL)).unwrap();
    assert_eq!(
        (step.to.clone(), step.kind),
        (newest_in(1, 5), UpdateKind::Minor)
    );
    // 0.x: a minor step is major, so patch+minor policy stays on 0.6.
    let c = component(Ecosystem::Cargo, "smallvec", "0.6.10", Some("0.6"));
    let step = drift_step(
        ".",
        &c,
        &releases,
        &policy(&[UpdateKind::Patch, UpdateKind::Minor]),
    )
    .unwrap();
    assert_eq!(step.to, newest_in(0, 6));
    let c = component(Ecosystem::Cargo, "smallvec", &newest_in(0, 6), Some("0.6"));
    assert!(
        drift_step(
            ".",
            &c,
            &releases,
            &policy(&[UpdateKind::Patch, UpdateKind::Minor])
        )
        .is_none()
    );
}

#[test]
fn a_partial_fix_clears_some_advisories_and_gains_none() {
    // smallvec 0.6.9 has four advisories: RUSTSEC-2019-0009 and -0012 (fixed in 0.6.10),
    // RUSTSEC-2018-0018 (0.6.13) and RUSTSEC-2021-0003 (0.6.14). Held below 0.6.14, no release
    // clears them all; 0.6.10 to 0.6.13 each clear some and gain none.
    let advisories = advisories("osv/crates.io/all.zip", "smallvec");
    let c = component(Ecosystem::Cargo, "smallvec", "0.6.9", Some("0.6"));
    let held = StepPolicy {
        held_below: Some("0.6.14".into()),
        ..policy(&ALL)
    };
    let ids: Vec<String> = [
        "RUSTSEC-2018-0018",
        "RUSTSEC-2019-0009",
        "RUSTSEC-2019-0012",
        "RUSTSEC-2021-0003",
    ]
    .map(String::from)
    .to_vec();
    // The step is the lowest of those that leave the fewest vulnerabilities (0.6.10 to 0.6.13
    // leave only RUSTSEC-2021-0003; RUSTSEC-2018-0018 is informational), naming what it clears.
    let step = fix_step(".", &c, &smallvec_releases(), &advisories, ids, &held).unwrap();
    assert_eq!(step.to, "0.6.10");
    assert_eq!(step.reasons, ["RUSTSEC-2019-0009", "RUSTSEC-2019-0012"]);
    assert_eq!(
        fix_targets(&c, &smallvec_releases(), &advisories, &held),
        ["0.6.10", "0.6.11", "0.6.12", "0.6.13"]
    );
    assert_eq!(
        partial_versions(&c, &smallvec_releases(), &advisories, &held),
        ["0.6.10", "0.6.11", "0.6.12", "0.6.13"]
    );
    // Unheld, every later 0.6 release clears some (0.6.14 all of them).
    let all = partial_versions(&c, &smallvec_releases(), &advisories, &policy(&ALL));
    assert_eq!(all.first().map(String::as_str), Some("0.6.10"));
    assert!(all.contains(&"0.6.14".to_string()));
    // One advisory only (smallvec 1.4.0, RUSTSEC-2021-0003): clearing some is clearing it.
    let one = component(Ecosystem::Cargo, "smallvec", "1.4.0", Some("1.4"));
    let held = StepPolicy {
        held_below: Some("1.6.1".into()),
        ..policy(&ALL)
    };
    assert!(partial_versions(&one, &smallvec_releases(), &advisories, &held).is_empty());
}
