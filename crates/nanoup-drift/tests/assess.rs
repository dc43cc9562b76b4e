//! Drift rules on real registry data (recorded crates.io index and npm packument) with a fixed
//! clock: latest eligible, cooldown, prereleases, yanked, range-compatible, libyears, majors.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use nanoup_core::{Component, Ecosystem, Release};
use nanoup_drift::{Policy, Status, assess, summarize};
use nanoup_ecosystems::datasource::Datasource;

fn fixture(rel: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../nanoup-ecosystems/tests/fixtures/registry");
    std::fs::read(root.join(rel)).unwrap()
}

fn smallvec() -> Vec<Release> {
    nanoup_ecosystems::cargo::registry::CargoRegistry::crates_io()
        .parse("smallvec", &fixture("crates.io/sm/al/smallvec"))
        .unwrap()
}

fn component(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    requirement: Option<&str>,
) -> Component {
    let mut c = Component::new(ecosystem, name, version, "Cargo.lock", 1);
    c.direct = requirement.is_some();
    c.requirement = requirement.map(str::to_string);
    c
}

fn policy(now: &str, min_age_days: i64) -> Policy {
    Policy {
        now: now.parse::<Timestamp>().unwrap(),
        min_age: SignedDuration::from_hours(24 * min_age_days),
    }
}

fn published(releases: &[Release], version: &str) -> Timestamp {
    releases
        .iter()
        .find(|r| r.version == version)
        .unwrap()
        .published
        .as_deref()
        .unwrap()
        .parse()
        .unwrap()
}

/// The newest stable, non-yanked release by SemVer order, computed here independently.
fn newest(releases: &[Release], before: Option<Timestamp>, major: Option<u64>) -> String {
    releases
        .iter()
        .filter(|r| !r.yanked)
        .filter(|r| {
            before.is_none_or(|b| {
                r.published
                    .as_deref()
                    .unwrap()
                    .parse::<Timestamp>()
                    .unwrap()
                    <= b
            })
        })
        .filter_map(|r| semver::Version::parse(&r.version).ok())
        .filter(|v| v.pre.is_empty() && major.is_none_or(|m| v.major == m))
        .max()
        .unwrap()
        .to_string()
}

#[test]
fn latest_is_the_newest_stable_unyanked_release_past_the_cooldown() {
    let releases = smallvec();
    let c = component(Ecosystem::Cargo, "smallvec", "1.4.0", Some("1.4"));
    let d = assess(".", &c, &releases, policy("2026-11-24T00:00:00Z", 3));
    assert_eq!(d.status, Status::Outdated);
    let cutoff = "2026-11-21T00:00:00Z".parse().ok();
    assert_eq!(
        d.latest.as_deref(),
        Some(newest(&releases, cutoff, None).as_str())
    );
    assert_eq!(
        d.latest_compatible.as_deref(),
        Some(newest(&releases, cutoff, Some(1)).as_str())
    );
    assert!(!d.major_behind || d.latest.as_deref().unwrap().starts_with('2'));
    // libyears: from 1.4.0's release to latest's.
    let years = (published(&releases, d.latest.as_deref().unwrap()).as_second()
        - published(&releases, "1.4.0").as_second()) as f64
        / (365.25 * 86400.0);
    assert!(
        (d.libyears.unwrap() - years).abs() < 0.01,
        "{:?} vs {years}",
        d.libyears
    );
    assert_eq!(
        d.current_published.as_deref().map(|p| &p[..10]),
        Some(&published(&releases, "1.4.0").to_string()[..10])
    );
}

#[test]
fn the_cooldown_holds_fresh_releases_as_pending() {
    let releases = smallvec();
    let c = component(Ecosystem::Cargo, "smallvec", "1.4.0", Some("1.4"));
    // The day after the newest stable release: with a 3-day cooldown it is pending.
    let latest = newest(&releases, None, None);
    let just_after = published(&releases, &latest)
        .checked_add(SignedDuration::from_hours(24))
        .unwrap();
    let d = assess(
        ".",
        &c,
        &releases,
        Policy {
            now: just_after,
            min_age: SignedDuration::from_hours(72),
        },
    );
    assert!(d.pending.contains(&latest), "{:?}", d.pending);
    assert_ne!(d.latest.as_deref(), Some(latest.as_str()));
    // Without a cooldown it is the latest.
    let d = assess(
        ".",
        &c,
        &releases,
        Policy {
            now: just_after,
            min_age: SignedDuration::ZERO,
        },
    );
    assert_eq!(d.latest.as_deref(), Some(latest.as_str()));
    assert!(d.pending.is_empty());
}

#[test]
fn prereleases_only_for_prerelease_users_and_yanked_current_is_flagged() {
    let releases = smallvec();
    let stable = assess(
        ".",
        &component(Ecosystem::Cargo, "smallvec", "1.4.0", None),
        &releases,
        policy("2026-11-24T00:00:00Z", 0),
    );
    assert!(!stable.latest.as_deref().unwrap().contains('-'));
    assert_eq!(
        stable.latest_compatible, None,
        "transitive: no requirement to honour"
    );
    let pre = releases
        .iter()
        .find(|r| r.version.starts_with("2.0.0-alpha"))
        .unwrap();
    let d = assess(
        ".",
        &component(Ecosystem::Cargo, "smallvec", &pre.version, None),
        &releases,
        policy("2026-11-24T00:00:00Z", 0),
    );
    assert!(d.latest.is_some());
    let yanked = releases.iter().find(|r| r.yanked).unwrap();
    let d = assess(
        ".",
        &component(Ecosystem::Cargo, "smallvec", &yanked.version, None),
        &releases,
        policy("2026-11-24T00:00:00Z", 0),
    );
    assert!(d.yanked, "{} is yanked", yanked.version);
}

#[test]
fn npm_ranges_and_zero_major_steps() {
    let releases = nanoup_ecosystems::npm::registry::NpmRegistry::npmjs()
        .parse("axios", &fixture("npm/axios.json"))
        .unwrap();
    let c = component(Ecosystem::Npm, "axios", "0.21.1", Some("^0.21.1"));
    let d = assess("web", &c, &releases, policy("2026-11-24T00:00:00Z", 0));
    assert_eq!(d.latest_compatible.as_deref(), Some("0.21.4"));
    assert!(d.major_behind, "0.21 -> 1.x is a major step");
    let same = assess(
        "web",
        &component(Ecosystem::Npm, "axios", "0.21.1", None),
        &releases,
        policy("2026-11-24T00:00:00Z", 0),
    );
    assert_eq!(same.latest, d.latest);
}

#[test]
fn unknown_versions_and_summaries() {
    let releases = smallvec();
    let bad = assess(
        ".",
        &component(Ecosystem::Cargo, "smallvec", "not-a-version", None),
        &releases,
        policy("2026-11-24T00:00:00Z", 0),
    );
    assert_eq!(bad.status, Status::Unknown);
    assert!(bad.reason.is_some());
    let old = assess(
        ".",
        &component(Ecosystem::Cargo, "smallvec", "0.6.10", None),
        &releases,
        policy("2026-11-24T00:00:00Z", 0),
    );
    let new = assess(
        ".",
        &component(Ecosystem::Cargo, "smallvec", "1.4.0", None),
        &releases,
        policy("2026-11-24T00:00:00Z", 0),
    );
    let report = summarize(vec![new.clone(), bad, old.clone()], "0s".into());
    assert_eq!(report.stacks.len(), 1);
    let s = &report.stacks[0];
    assert_eq!((s.components, s.outdated, s.unknown), (3, 2, 1));
    assert_eq!(s.oldest.as_deref(), Some("smallvec@0.6.10"));
    assert!((s.libyears - (old.libyears.unwrap() + new.libyears.unwrap())).abs() < 0.02);
    // Worst offenders first: the most libyears, then unknown.
    assert_eq!(report.components[0].version, "0.6.10");
    assert_eq!(report.components[2].status, Status::Unknown);
}
