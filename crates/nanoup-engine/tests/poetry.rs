//! The search for a poetry.lock update's minimal consistent change, on saleor's real lock (in
//! ../shared/corpus) with PyPI's recorded answers (tests/fixtures/registry of nanoup-ecosystems).

use std::path::PathBuf;

use nanoup_core::StepRole;
use nanoup_ecosystems::datasource::{FileParts, FileRead};
use nanoup_ecosystems::pypi::{dist_file, registry};
use nanoup_engine::plan::{SearchError, SearchPolicy, Target};
use nanoup_engine::poetry::{Registry, find_fix};

fn saleor_lock() -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/python/saleor__saleor__98ebf96d65/poetry.lock"),
    )
    .unwrap()
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../nanoup-ecosystems/tests/fixtures/registry/pypi")
            .join(rel),
    )
    .unwrap()
}

/// PyPI as recorded: each project's JSON answer (whose `info` is its newest release's), and,
/// for markupsafe 2.0.0, the core metadata read from its recorded wheel (the mirror has no
/// per-version answer and no `.metadata` file), as the client completes it.
fn release(name: &str, version: &str) -> Result<Vec<u8>, String> {
    let body = fixture(&format!("json/{name}.json"));
    if registry::release_metadata(&body, version).is_some() {
        return Ok(body);
    }
    if (name, version) != ("markupsafe", "2.0.0") {
        return Err(format!("{name} {version} is not recorded"));
    }
    let wheel = fixture(
        "files/packages/3d/e0/ab5ea8cd083f7e85bb40ab813dc82f9e39bff87df8ca28b3480d77949827/\
         MarkupSafe-2.0.0-cp38-cp38-manylinux2010_x86_64.whl",
    );
    let parts = FileParts {
        first: wheel,
        tail_asked: None,
        ranges: Vec::new(),
    };
    let Ok(FileRead::Done(metadata)) = dist_file::wheel_metadata(&parts) else {
        return Err("the recorded wheel has no METADATA".into());
    };
    let metadata = registry::parse_core_metadata(&metadata).map_err(|e| e.0)?;
    registry::with_release_info(&body, version, &metadata).map_err(|e| e.0)
}

fn package(name: &str) -> Result<Vec<u8>, String> {
    Ok(fixture(&format!("json/{name}.json")))
}

#[test]
fn a_release_whose_dependency_floor_rose_moves_with_that_dependency() {
    // saleor locks jinja2 2.11.2 and markupsafe 1.1.1 (Python ~3.8). jinja2 3.1.6 needs
    // MarkupSafe>=2.0: markupsafe moves with it, to its lowest release >= 2.0 that runs on
    // 3.8 (2.0.0), and nothing else.
    let lock = saleor_lock();
    let anything = |_: &str, _: Option<&str>, _: &str, _: Option<&str>| true;
    let policy = SearchPolicy {
        max_blast_radius: None,
        manifest_changes: false,
        may_move: &anything,
    };
    let registry = Registry {
        release: &release,
        package: &package,
    };
    let clean = ["3.1.6".to_string()];
    let target = Target {
        name: "jinja2",
        from: "2.11.2",
        clean: &clean,
        why: "GHSA-cpwx-vrp4-4pq7".into(),
    };
    let found = find_fix("poetry.lock", &lock, &target, &registry, &policy).unwrap();
    assert_eq!(found.to, "3.1.6");
    let steps: Vec<(&str, Option<&str>, Option<&str>, StepRole)> = found
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.from.as_deref(), s.to.as_deref(), s.role))
        .collect();
    assert_eq!(
        steps,
        [
            (
                "markupsafe",
                Some("1.1.1"),
                Some("2.0.0"),
                StepRole::Companion
            ),
            ("jinja2", Some("2.11.2"), Some("3.1.6"), StepRole::Target),
        ]
    );
    assert!(
        found.steps[0]
            .why
            .contains("jinja2 3.1.6 requires markupsafe>=2.0")
    );

    // Policy that forbids moving markupsafe: no consistent change, and the reason says why.
    let frozen = |name: &str, _: Option<&str>, _: &str, _: Option<&str>| name != "markupsafe";
    let policy = SearchPolicy {
        max_blast_radius: None,
        manifest_changes: false,
        may_move: &frozen,
    };
    let refused = find_fix("poetry.lock", &lock, &target, &registry, &policy).unwrap_err();
    assert!(
        matches!(&refused, SearchError::NoFix(why) if why.contains("no release of markupsafe")),
        "{refused:?}"
    );
}
