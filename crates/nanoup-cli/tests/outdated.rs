//! `nanoup outdated` end to end against a local server replaying recorded registry responses:
//! crates.io's sparse index (through Cargo source replacement), npm packuments (through .npmrc)
//! and PyPI's simple API (through PIP_INDEX_URL), with faults injected: 404, truncated JSON,
//! 500 then success, 429 with Retry-After; then warm (cached) and offline runs.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::project;
use common::replay::{Fault, Replay};
use common::repo::assert_ok;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nanoup-ecosystems/tests/fixtures/registry")
}

fn outdated(dir: &Path, home: &Path, base: &str, extra: &[&str]) -> Value {
    let out = assert_cmd::Command::cargo_bin("nanoup")
        .unwrap()
        .env("NANOUP_HOME", home.join("nanoup"))
        .env("HOME", home)
        .env("CARGO_HOME", home.join("cargo"))
        .env("PIP_INDEX_URL", format!("{base}/pypi/simple/"))
        .env("NANOUP_HTTP_RETRIES", "2")
        .env("NANOUP_HTTP_BACKOFF_MS", "20")
        .env("NANOUP_HTTP_TIMEOUT", "3")
        .env_remove("NPM_CONFIG_REGISTRY")
        .env_remove("NPM_CONFIG_USERCONFIG")
        .args(["outdated", "--format", "json"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn component<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing"))
}

/// The newest non-yanked release of a crate in a recorded index file, computed here with the
/// semver crate, independently of nanoup.
fn newest_crate(index_file: &str, within_major: Option<u64>) -> String {
    let text = std::fs::read_to_string(fixtures().join("crates.io").join(index_file)).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["yanked"] == false)
        .filter_map(|v| semver::Version::parse(v["vers"].as_str()?).ok())
        .filter(|v| v.pre.is_empty() && within_major.is_none_or(|m| v.major == m))
        .max()
        .unwrap()
        .to_string()
}

#[test]
fn outdated_against_replayed_registries_with_faults_cache_and_offline() {
    let faults = HashMap::from([
        ("/npm/express".to_string(), Fault::Truncate),
        ("/npm/left-pad".to_string(), Fault::FailTimes(1)),
        ("/npm/axios".to_string(), Fault::TooManyOnce),
    ]);
    let server = Replay::start(faults);
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path(), &server.base());
    let report = outdated(
        dir.path(),
        home.path(),
        &server.base(),
        &["--min-age", "0s"],
    );
    assert_eq!(report["schema"], "nanoup.outdated/v1");

    let smallvec = component(&report, "smallvec");
    assert_eq!(smallvec["status"], "outdated", "{smallvec}");
    assert_eq!(
        smallvec["latest"],
        newest_crate("sm/al/smallvec", None).as_str()
    );
    assert_eq!(
        smallvec["latest_compatible"],
        newest_crate("sm/al/smallvec", Some(1)).as_str()
    );
    assert!(smallvec["releases_behind"].as_u64().unwrap() > 10);
    assert!(smallvec["libyears"].as_f64().unwrap() > 0.0);
    assert!(
        smallvec["current_published"]
            .as_str()
            .unwrap()
            .starts_with("20")
    );

    // 404: unknown, with the reason, never "current".
    let missing = component(&report, "nosuchcrate");
    assert_eq!(missing["status"], "unknown");
    assert!(
        missing["reason"].as_str().unwrap().contains("404")
            || missing["reason"].as_str().unwrap().contains("not found"),
        "{missing}"
    );
    assert_eq!(component(&report, "nosuchpkg")["status"], "unknown");

    // Truncated JSON: unknown, with what was expected.
    let express = component(&report, "express");
    assert_eq!(express["status"], "unknown", "{express}");
    // 500 then success, and 429 with Retry-After: retried, then answered.
    assert_eq!(component(&report, "left-pad")["status"], "outdated");
    let axios = component(&report, "axios");
    assert_eq!(axios["status"], "outdated");
    assert_eq!(axios["latest_compatible"], "0.21.4");
    // PyPI through the simple API.
    let flask = component(&report, "flask");
    assert_eq!(flask["status"], "outdated");
    assert!(flask["latest"].as_str().unwrap() >= "3", "{flask}");
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.contains(&("/npm/left-pad".to_string(), 500))
            && log.contains(&("/npm/left-pad".to_string(), 200))
    );
    assert!(log.contains(&("/npm/axios".to_string(), 429)));

    // Cooldown: with a century-long minimum age nothing is eligible; newer releases are pending.
    let cooled = outdated(
        dir.path(),
        home.path(),
        &server.base(),
        &["--min-age", "36500d"],
    );
    let smallvec = component(&cooled, "smallvec");
    assert_eq!(smallvec["status"], "current");
    assert!(smallvec.get("latest").is_none());
    assert!(smallvec["pending"].as_array().unwrap().len() > 10);

    // Warm: answers come from the cache within its freshness window, without requests.
    let before = server.requests.load(std::sync::atomic::Ordering::SeqCst);
    let warm = outdated(
        dir.path(),
        home.path(),
        &server.base(),
        &["--min-age", "0s"],
    );
    let after = server.requests.load(std::sync::atomic::Ordering::SeqCst);
    // Only the look-ups that failed before (404s, the truncated body) are asked again.
    assert!(
        after - before <= 3,
        "{} requests on a warm run",
        after - before
    );
    assert_eq!(
        component(&warm, "smallvec")["latest"],
        component(&report, "smallvec")["latest"]
    );

    // Offline, registry down: the same answers from the cache; never-fetched packages unknown.
    server.stop();
    let offline = outdated(
        dir.path(),
        home.path(),
        &server.base(),
        &["--min-age", "0s", "--offline"],
    );
    assert_eq!(
        component(&offline, "smallvec")["latest"],
        component(&report, "smallvec")["latest"]
    );
    assert_eq!(component(&offline, "flask")["status"], "outdated");
    let missing = component(&offline, "nosuchcrate");
    assert_eq!(missing["status"], "unknown");
    assert!(
        missing["reason"].as_str().unwrap().contains("cache"),
        "{missing}"
    );
}

#[test]
fn a_registry_that_is_down_gives_unknown_not_current() {
    let server = Replay::start(HashMap::new());
    let base = server.base();
    server.stop();
    drop(server);
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path(), &base);
    let report = outdated(dir.path(), home.path(), &base, &[]);
    for c in report["components"].as_array().unwrap() {
        assert_eq!(c["status"], "unknown", "{c}");
        assert!(!c["reason"].as_str().unwrap().is_empty());
    }
    let table = assert_cmd::Command::cargo_bin("nanoup")
        .unwrap()
        .env("NANOUP_HOME", home.path().join("nanoup"))
        .env("HOME", home.path())
        .env("CARGO_HOME", home.path().join("cargo"))
        .env("NANOUP_HTTP_RETRIES", "0")
        .args(["outdated"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&table.stderr).contains("unknown never means up to date"));
}
