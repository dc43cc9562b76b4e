//! `nanoup plan` end to end: real RustSec advisories (the crates.io OSV export) and the recorded
//! crates.io index served by the local replay server.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::project;
use common::replay::Replay;
use common::repo::{assert_ok, import_osv};
use serde_json::Value;

/// The nanoup command of the plan tests: PyPI's index is the replay server's.
fn nanoup(home: &Path, base: &str) -> assert_cmd::Command {
    let mut cmd = common::repo::nanoup(home);
    cmd.env("PIP_INDEX_URL", format!("{base}/pypi/simple/"))
        .env("NANOUP_HTTP_TIMEOUT", "3");
    cmd
}

fn plan(home: &Path, base: &str, dir: &Path, extra: &[&str]) -> Value {
    let out = nanoup(home, base)
        .args(["plan", "--format", "json", "--min-age", "0s"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn plan_fixes_smallvec_with_the_lowest_clean_release_and_respects_allowed_kinds() {
    let server = Replay::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    project(dir.path(), &server.base());
    import_osv(nanoup(home.path(), &server.base()), "crates.io");

    let report = plan(home.path(), &server.base(), dir.path(), &[]);
    assert_eq!(report["schema"], "nanoup.plan/v1");
    let updates = report["updates"].as_array().unwrap();
    let smallvec = updates
        .iter()
        .find(|u| u["name"] == "smallvec")
        .expect("smallvec is vulnerable");
    assert_eq!(smallvec["from"], "1.4.0");
    assert_eq!(smallvec["to"], "1.6.1");
    assert_eq!(smallvec["kind"], "minor");
    assert_eq!(smallvec["manifest_change"], false);
    assert_eq!(
        smallvec["reasons"],
        serde_json::json!(["RUSTSEC-2021-0003"])
    );
    assert_eq!(
        smallvec["blast_radius"],
        serde_json::json!([{"name": "smallvec", "from": "1.4.0", "to": "1.6.1"}])
    );
    assert_eq!(smallvec["file"], "rust/Cargo.lock");
    assert_eq!(smallvec["id"].as_str().unwrap().len(), 12);
    // The plan records the digest of the lockfile it read.
    let digest = &report["files"][0];
    assert_eq!(digest["path"], "rust/Cargo.lock");
    assert_eq!(digest["sha256"].as_str().unwrap().len(), 64);
    // The same inputs give the same plan, ids included.
    assert_eq!(plan(home.path(), &server.base(), dir.path(), &[]), report);

    // Patch steps only: 1.4.0 -> 1.6.1 is a minor step, so smallvec becomes unfixable, with why.
    let patch_only = plan(
        home.path(),
        &server.base(),
        dir.path(),
        &["--allow", "patch"],
    );
    let stuck = patch_only["unfixable"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "smallvec")
        .unwrap();
    assert!(
        stuck["reason"].as_str().unwrap().contains("policy"),
        "{stuck}"
    );
    assert_eq!(
        stuck["advisories"],
        serde_json::json!(["RUSTSEC-2021-0003"])
    );

    // Policy in nanoup.toml: a hold on smallvec below 1.6 leaves it unfixable (with the rule),
    // and a stack table allowing only patches does the same through `allow`.
    std::fs::write(
        dir.path().join("nanoup.toml"),
        "[[hold]]\npackage = \"smallvec\"\nbelow = \"1.6.0\"\nreason = \"1.6 changes our MSRV\"\n",
    )
    .unwrap();
    let held = plan(home.path(), &server.base(), dir.path(), &[]);
    assert!(
        held["unfixable"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "smallvec"),
        "{held}"
    );
    std::fs::write(
        dir.path().join("nanoup.toml"),
        "[[stack]]\npath = \"rust\"\nallow = [\"patch\"]\n",
    )
    .unwrap();
    let patch_only = plan(home.path(), &server.base(), dir.path(), &[]);
    assert!(
        patch_only["unfixable"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == "smallvec")
    );
    std::fs::remove_file(dir.path().join("nanoup.toml")).unwrap();

    // Drift: one patch step for serde 1.0.100 (not vulnerable) within its line.
    let drift = plan(
        home.path(),
        &server.base(),
        dir.path(),
        &["--drift", "--direct"],
    );
    let serde = drift["updates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "serde")
        .unwrap();
    assert_eq!(serde["kind"], "patch");
    assert_eq!(serde["reasons"], serde_json::json!(["drift"]));
}
