//! The SBOMs of the whole real corpus (`shared/corpus`), scanned by `nanoup_ecosystems::scan`:
//! schema-valid, deterministic, and naming every component found. The assertions grow with the
//! parsers: each set's known purls are checked once its ecosystem's parser reports a stack there.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{assert_spdx_rules, assert_valid, cyclonedx_validator, meta, parse, spdx_validator};
use nanoup_core::Ecosystem;
use nanoup_report::cyclonedx::{self, SbomMeta};
use nanoup_report::spdx;

/// Purls that the corpus sets hold (checked by hand in the lockfiles): once the parser of a
/// set's ecosystem reports a stack in it (the set's folder or below), its SBOMs must name these.
const CORPUS_PURLS: &[(&str, Ecosystem, &str)] = &[
    // package-lock.json line 2957: "node_modules/ms": { "version": "2.1.2" }
    (
        "npm/typicode__husky__9baeb13260",
        Ecosystem::Npm,
        "pkg:npm/ms@2.1.2",
    ),
    // package-lock.json line 784: "node_modules/@types/node": { "version": "20.1.4" }
    (
        "npm/typicode__husky__9baeb13260",
        Ecosystem::Npm,
        "pkg:npm/%40types/node@20.1.4",
    ),
    // go.mod line 12: github.com/cli/safeexec v1.0.0
    (
        "go/cli__cli__e2973453b5",
        Ecosystem::Go,
        "pkg:golang/github.com/cli/safeexec@v1.0.0",
    ),
    // Cargo.lock lines 377-378: name = "regex", version = "1.3.9"
    (
        "cargo/BurntSushi__ripgrep__7cb211378a",
        Ecosystem::Cargo,
        "pkg:cargo/regex@1.3.9",
    ),
    // requirements.txt line 26: flask==1.1.2
    (
        "python/CTFd__CTFd__a33a31b1f8",
        Ecosystem::PyPI,
        "pkg:pypi/flask@1.1.2",
    ),
    // backend/uv.lock lines 377-378: name = "fastapi", version = "0.115.0"
    (
        "python/fastapi__full-stack-fastapi-template__7e5ca88dc2",
        Ecosystem::PyPI,
        "pkg:pypi/fastapi@0.115.0",
    ),
    // core/pom.xml line 243: log4j-api at ${log4j2.version}, 2.12.1 in the parent pom (line 107)
    (
        "maven/apache__struts__4cf9093cc5",
        Ecosystem::Maven,
        "pkg:maven/org.apache.logging.log4j/log4j-api@2.12.1",
    ),
    // src/checkoutservice/Dockerfile line 30: FROM alpine:3.17.0@sha256:8914eb...
    (
        "docker/GoogleCloudPlatform__microservices-demo__3c0d659780",
        Ecosystem::Docker,
        "pkg:docker/alpine@3.17.0",
    ),
    // Dockerfile line 3: FROM quay.io/prometheus/busybox-${OS}-${ARCH}:glibc, with lines 1-2
    // ARG ARCH="amd64" and ARG OS="linux"
    (
        "docker/prometheus__node_exporter__b597c1244d",
        Ecosystem::Docker,
        "pkg:docker/prometheus/busybox-linux-amd64@glibc?repository_url=quay.io",
    ),
];

#[test]
fn sboms_of_the_real_corpus_are_valid_and_name_every_component() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: no corpus at {}", corpus.display());
        return;
    }
    let inventory = nanoup_ecosystems::scan(&corpus).expect("the corpus can be listed");
    let meta = SbomMeta {
        name: "corpus".into(),
        ..meta()
    };

    let cdx_text = cyclonedx::render(&inventory, &meta);
    assert_eq!(
        cdx_text,
        cyclonedx::render(&inventory, &meta),
        "deterministic"
    );
    let bom = parse(&cdx_text);
    assert_valid(&cyclonedx_validator(), &bom, "CycloneDX BOM of the corpus");

    let spdx_text = spdx::render(&inventory, &meta);
    assert_eq!(spdx_text, spdx::render(&inventory, &meta), "deterministic");
    let doc = parse(&spdx_text);
    assert_valid(&spdx_validator(), &doc, "SPDX document of the corpus");
    assert_spdx_rules(&doc);

    // Every component, of whichever parser has landed, is in both documents, once.
    let total = inventory.components().count();
    assert_eq!(bom["components"].as_array().map(Vec::len), Some(total));
    assert_eq!(doc["packages"].as_array().map(Vec::len), Some(total + 1));
    let cdx_refs: HashSet<&str> = bom["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    assert_eq!(cdx_refs.len(), total, "bom-refs are unique");
    let cdx_purls: HashSet<&str> = bom["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    let spdx_purls: HashSet<&str> = doc["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["externalRefs"][0]["referenceLocator"].as_str())
        .collect();
    for (_, component) in inventory.components() {
        assert!(
            cdx_purls.contains(component.purl.as_str()),
            "{} in CycloneDX",
            component.purl
        );
        assert!(
            spdx_purls.contains(component.purl.as_str()),
            "{} in SPDX",
            component.purl
        );
    }

    for (set, ecosystem, purl) in CORPUS_PURLS {
        let scanned = inventory
            .stacks
            .iter()
            .filter(|s| s.path == *set || s.path.starts_with(&format!("{set}/")))
            .any(|s| s.ecosystem == *ecosystem && !s.components.is_empty());
        if scanned {
            assert!(cdx_purls.contains(purl), "{purl} of {set} in CycloneDX");
            assert!(spdx_purls.contains(purl), "{purl} of {set} in SPDX");
        }
    }
}
