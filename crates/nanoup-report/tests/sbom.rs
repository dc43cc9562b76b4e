//! CycloneDX 1.6 and SPDX 2.3 output of a hand-built inventory, validated against the official
//! JSON schemas vendored in `tests/schemas/` (see PROVENANCE.md there).

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{
    TIMESTAMP, assert_spdx_rules, assert_valid, cyclonedx_validator, find_by_purl, meta, parse,
    property, spdx_validator,
};
use nanoup_core::{
    Component, Ecosystem, Inventory, ParseError, Scope, Source, Stack, normalize_pypi_name,
};
use nanoup_report::cyclonedx::{self, SbomMeta};
use nanoup_report::spdx;
use serde_json::{Value, json};

fn with(mut component: Component, edit: impl FnOnce(&mut Component)) -> Component {
    edit(&mut component);
    component
}

/// A hand-built inventory of real-looking values from the corpus: husky's npm lockfile (a
/// scoped direct dev dependency and a transitive one), struts' Maven poms, a Dockerfile pair in
/// one folder naming registry-qualified and Docker Hub images, cli/cli's go.mod, an unresolved
/// PyPI requirement, an optional crate, and one file that failed to parse.
fn sample_inventory() -> Inventory {
    let npm = Stack::new(
        ".",
        Ecosystem::Npm,
        vec!["package-lock.json".into(), "package.json".into()],
        [
            with(
                Component::new(
                    Ecosystem::Npm,
                    "@types/node",
                    "20.1.4",
                    "package-lock.json",
                    784,
                ),
                |c| {
                    c.direct = true;
                    c.scope = Scope::Dev;
                    c.requirement = Some("^20.1.4".into());
                },
            ),
            with(
                Component::new(Ecosystem::Npm, "ms", "2.1.2", "package-lock.json", 2957),
                |c| c.scope = Scope::Dev,
            ),
        ],
    );
    let maven = Stack::new(
        "core",
        Ecosystem::Maven,
        vec!["pom.xml".into()],
        [
            with(
                Component::new(
                    Ecosystem::Maven,
                    "org.apache.logging.log4j:log4j-core",
                    "2.12.1",
                    "core/pom.xml",
                    120,
                ),
                |c| c.direct = true,
            ),
            with(
                Component::new(
                    Ecosystem::Maven,
                    "junit:junit",
                    "4.13.1",
                    "core/pom.xml",
                    200,
                ),
                |c| {
                    c.direct = true;
                    c.scope = Scope::Dev;
                },
            ),
        ],
    );
    let alpine = |file: &str, line| {
        with(
            Component::new(Ecosystem::Docker, "alpine", "3.17.0", file, line),
            |c| {
                c.direct = true;
                c.extra = BTreeMap::from([(
                    "digest".to_string(),
                    "sha256:8914eb54f968791faf6a8638949e480fef81e697984fba772b3976835194c6d4"
                        .to_string(),
                )]);
            },
        )
    };
    let docker = Stack::new(
        "src/checkoutservice",
        Ecosystem::Docker,
        vec!["Dockerfile".into()],
        [
            with(
                Component::new(
                    Ecosystem::Docker,
                    "gcr.io/distroless/static",
                    "nonroot",
                    "src/checkoutservice/Dockerfile",
                    3,
                ),
                |c| {
                    c.direct = true;
                    c.scope = Scope::Build;
                },
            ),
            alpine("src/checkoutservice/Dockerfile", 30),
        ],
    );
    let docker_debug = Stack::new(
        "src/checkoutservice",
        Ecosystem::Docker,
        vec!["Dockerfile.debug".into()],
        [alpine("src/checkoutservice/Dockerfile.debug", 1)],
    );
    let go = Stack::new(
        ".",
        Ecosystem::Go,
        vec!["go.mod".into(), "go.sum".into()],
        [with(
            Component::new(
                Ecosystem::Go,
                "github.com/cli/safeexec",
                "v1.0.0",
                "go.mod",
                12,
            ),
            |c| c.direct = true,
        )],
    );
    let pypi = Stack::new(
        "backend",
        Ecosystem::PyPI,
        vec!["requirements.txt".into()],
        [Component::unresolved(
            Ecosystem::PyPI,
            normalize_pypi_name("Flask_Login"),
            Some(">=0.5".into()),
            "a range, not a pin",
            "backend/requirements.txt",
            4,
        )],
    );
    let cargo = Stack::new(
        ".",
        Ecosystem::Cargo,
        vec!["Cargo.lock".into(), "Cargo.toml".into()],
        [with(
            Component::new(Ecosystem::Cargo, "regex", "1.3.9", "Cargo.lock", 400),
            |c| {
                c.direct = true;
                c.scope = Scope::Optional;
                c.source = Source::Git;
            },
        )],
    );
    Inventory::new(
        vec![npm, maven, docker, docker_debug, go, pypi, cargo],
        vec![ParseError::new("web/yarn.lock", 7, 3, "expected `version`")],
    )
}

#[test]
fn cyclonedx_of_a_hand_built_inventory_is_valid_and_complete() {
    let inventory = sample_inventory();
    let text = cyclonedx::render(&inventory, &meta());
    let bom = parse(&text);
    assert_valid(&cyclonedx_validator(), &bom, "CycloneDX BOM");

    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["version"], 1);
    assert_eq!(bom["metadata"]["timestamp"], TIMESTAMP);
    assert_eq!(bom["metadata"]["tools"]["components"][0]["name"], "nanoup");
    assert_eq!(
        bom["metadata"]["tools"]["components"][0]["version"],
        "0.1.0"
    );
    assert_eq!(bom["metadata"]["component"]["name"], "demo-repo");
    assert_eq!(
        bom["metadata"]["properties"][0]["value"],
        "web/yarn.lock:7:3: expected `version`"
    );

    let components = &bom["components"];
    assert_eq!(components.as_array().map(Vec::len), Some(10));

    let node = find_by_purl(components, "purl", "pkg:npm/%40types/node@20.1.4");
    assert_eq!(node.len(), 1);
    let node = node[0];
    assert_eq!(node["type"], "library");
    assert_eq!(node["group"], "@types");
    assert_eq!(node["name"], "node");
    assert_eq!(node["version"], "20.1.4");
    assert_eq!(node["scope"], "excluded");
    assert_eq!(node["bom-ref"], ".|pkg:npm/%40types/node@20.1.4");
    assert_eq!(property(node, "nanoup:stack"), Some("."));
    assert_eq!(property(node, "nanoup:direct"), Some("true"));
    assert_eq!(property(node, "nanoup:scope"), Some("dev"));
    assert_eq!(property(node, "nanoup:file"), Some("package-lock.json"));
    assert_eq!(property(node, "nanoup:line"), Some("784"));
    assert_eq!(property(node, "nanoup:source"), Some("registry"));
    assert_eq!(property(node, "nanoup:requirement"), Some("^20.1.4"));

    let log4j = find_by_purl(
        components,
        "purl",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1",
    )[0];
    assert_eq!(log4j["group"], "org.apache.logging.log4j");
    assert_eq!(log4j["name"], "log4j-core");
    assert_eq!(log4j["scope"], "required");

    let distroless = find_by_purl(
        components,
        "purl",
        "pkg:docker/distroless/static@nonroot?repository_url=gcr.io",
    )[0];
    assert_eq!(distroless["type"], "container");
    assert_eq!(distroless["name"], "gcr.io/distroless/static");
    assert!(distroless.get("group").is_none());

    // The same image in Dockerfile and Dockerfile.debug of one folder: two components with
    // distinct refs.
    let alpines = find_by_purl(components, "purl", "pkg:docker/alpine@3.17.0");
    let refs: Vec<&str> = alpines
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    assert_eq!(
        refs,
        [
            "src/checkoutservice|pkg:docker/alpine@3.17.0",
            "src/checkoutservice|pkg:docker/alpine@3.17.0#2"
        ]
    );
    assert_eq!(
        property(alpines[0], "nanoup:extra:digest"),
        Some("sha256:8914eb54f968791faf6a8638949e480fef81e697984fba772b3976835194c6d4")
    );

    let flask = find_by_purl(components, "purl", "pkg:pypi/flask-login")[0];
    assert!(
        flask.get("version").is_none(),
        "an unresolved component has no version"
    );
    assert_eq!(
        property(flask, "nanoup:unresolved"),
        Some("a range, not a pin")
    );
    assert_eq!(property(flask, "nanoup:requirement"), Some(">=0.5"));

    let regex = find_by_purl(components, "purl", "pkg:cargo/regex@1.3.9")[0];
    assert_eq!(regex["scope"], "optional");
    assert_eq!(property(regex, "nanoup:source"), Some("git"));

    let go = find_by_purl(
        components,
        "purl",
        "pkg:golang/github.com/cli/safeexec@v1.0.0",
    )[0];
    assert_eq!(go["name"], "github.com/cli/safeexec");

    // The root depends on every direct component and on nothing else.
    let dependencies = bom["dependencies"].as_array().expect("dependencies");
    assert_eq!(dependencies.len(), 1);
    assert_eq!(dependencies[0]["ref"], cyclonedx::ROOT_BOM_REF);
    let depends_on: HashSet<&str> = dependencies[0]["dependsOn"]
        .as_array()
        .expect("dependsOn")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let direct: HashSet<&str> = components
        .as_array()
        .expect("components")
        .iter()
        .filter(|c| property(c, "nanoup:direct") == Some("true"))
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    assert_eq!(depends_on, direct);
    assert!(!depends_on.contains(".|pkg:npm/ms@2.1.2"));
    assert_eq!(direct.len(), 9);
}

#[test]
fn cyclonedx_output_is_deterministic_and_the_serial_follows_the_content() {
    let inventory = sample_inventory();
    let first = cyclonedx::render(&inventory, &meta());
    assert_eq!(first, cyclonedx::render(&inventory.clone(), &meta()));

    let serial = |text: &str| parse(text)["serialNumber"].as_str().map(str::to_owned);
    let other_time = SbomMeta {
        timestamp: Some("2024-05-02T12:00:00Z".into()),
        ..meta()
    };
    assert_ne!(
        serial(&first),
        serial(&cyclonedx::render(&inventory, &other_time))
    );
    let fewer = Inventory::new(inventory.stacks[1..].to_vec(), vec![]);
    assert_ne!(serial(&first), serial(&cyclonedx::render(&fewer, &meta())));

    // Without a timestamp there is none in the output, and the BOM is still valid.
    let untimed = SbomMeta {
        timestamp: None,
        ..meta()
    };
    let bom = parse(&cyclonedx::render(&inventory, &untimed));
    assert!(bom["metadata"].get("timestamp").is_none());
    assert_valid(&cyclonedx_validator(), &bom, "untimed CycloneDX BOM");
}

#[test]
fn cyclonedx_of_an_empty_inventory_is_valid() {
    let bom = parse(&cyclonedx::render(&Inventory::new(vec![], vec![]), &meta()));
    assert_valid(&cyclonedx_validator(), &bom, "empty CycloneDX BOM");
    assert_eq!(bom["components"], json!([]));
    assert!(
        bom.get("dependencies").is_none(),
        "no false claim that the root has no deps"
    );
}

#[test]
fn the_cyclonedx_schema_really_rejects_bad_boms() {
    let validator = cyclonedx_validator();
    let mut bom = parse(&cyclonedx::render(&sample_inventory(), &meta()));
    bom["components"][0]["scope"] = json!("dev");
    assert!(!validator.is_valid(&bom), "an unknown scope is rejected");
    let mut bom = parse(&cyclonedx::render(&sample_inventory(), &meta()));
    bom["metadata"]["timestamp"] = json!("yesterday");
    assert!(!validator.is_valid(&bom), "formats are checked");
}

#[test]
fn spdx_of_a_hand_built_inventory_is_valid_and_complete() {
    let inventory = sample_inventory();
    let doc = parse(&spdx::render(&inventory, &meta()));
    assert_valid(&spdx_validator(), &doc, "SPDX document");
    assert_spdx_rules(&doc);

    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "demo-repo");
    assert_eq!(doc["creationInfo"]["created"], TIMESTAMP);
    assert_eq!(
        doc["creationInfo"]["creators"],
        json!(["Tool: nanoup-0.1.0"])
    );
    assert!(
        doc["creationInfo"]["comment"]
            .as_str()
            .is_some_and(|c| c.contains("web/yarn.lock:7:3"))
    );

    let packages = &doc["packages"];
    assert_eq!(
        packages.as_array().map(Vec::len),
        Some(11),
        "root + 10 components"
    );
    assert_eq!(packages[0]["SPDXID"], spdx::ROOT_SPDX_ID);

    let node = find_by_purl(packages, "ref", "pkg:npm/%40types/node@20.1.4")[0];
    assert_eq!(node["SPDXID"], "SPDXRef-Package-npm--types-node-20.1.4");
    assert_eq!(node["name"], "@types/node");
    assert_eq!(node["versionInfo"], "20.1.4");
    assert_eq!(node["downloadLocation"], "NOASSERTION");
    assert_eq!(node["filesAnalyzed"], false);
    assert_eq!(node["licenseConcluded"], "NOASSERTION");
    assert_eq!(node["licenseDeclared"], "NOASSERTION");
    assert_eq!(
        node["externalRefs"][0]["referenceCategory"],
        "PACKAGE-MANAGER"
    );
    assert_eq!(node["externalRefs"][0]["referenceType"], "purl");
    assert!(
        node["comment"]
            .as_str()
            .is_some_and(|c| c.contains("declared at package-lock.json:784"))
    );

    let flask = find_by_purl(packages, "ref", "pkg:pypi/flask-login")[0];
    assert_eq!(flask["name"], "flask-login");
    assert!(
        flask.get("versionInfo").is_none(),
        "an unresolved package has no versionInfo"
    );

    let alpines = find_by_purl(packages, "ref", "pkg:docker/alpine@3.17.0");
    assert_eq!(alpines.len(), 2);
    assert_eq!(alpines[0]["SPDXID"], "SPDXRef-Package-docker-alpine-3.17.0");
    assert_eq!(
        alpines[1]["SPDXID"],
        "SPDXRef-Package-docker-alpine-3.17.0-2"
    );
    assert_eq!(alpines[0]["primaryPackagePurpose"], "CONTAINER");

    // The document describes the root; each component hangs off the root by its scope.
    let relationships = doc["relationships"].as_array().expect("relationships");
    assert_eq!(
        relationships[0],
        json!({
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": spdx::ROOT_SPDX_ID,
        })
    );
    assert_eq!(relationships.len(), 11);
    let has = |element: &str, kind: &str, related: &str| {
        relationships.iter().any(|r| {
            r["spdxElementId"] == element
                && r["relationshipType"] == kind
                && r["relatedSpdxElement"] == related
        })
    };
    let root = spdx::ROOT_SPDX_ID;
    assert!(has(
        root,
        "DEPENDS_ON",
        "SPDXRef-Package-maven-org.apache.logging.log4j-log4j-core-2.12.1"
    ));
    assert!(has(
        "SPDXRef-Package-npm--types-node-20.1.4",
        "DEV_DEPENDENCY_OF",
        root
    ));
    assert!(has(
        "SPDXRef-Package-npm-ms-2.1.2",
        "DEV_DEPENDENCY_OF",
        root
    ));
    assert!(has(
        "SPDXRef-Package-cargo-regex-1.3.9",
        "OPTIONAL_DEPENDENCY_OF",
        root
    ));
    assert!(has(
        "SPDXRef-Package-docker-gcr.io-distroless-static-nonroot",
        "BUILD_DEPENDENCY_OF",
        root
    ));
    let ms = relationships
        .iter()
        .find(|r| r["spdxElementId"] == "SPDXRef-Package-npm-ms-2.1.2")
        .expect("ms is related");
    assert_eq!(ms["comment"], "transitive");
}

#[test]
fn spdx_output_is_deterministic_and_the_namespace_follows_the_content() {
    let inventory = sample_inventory();
    let first = spdx::render(&inventory, &meta());
    assert_eq!(first, spdx::render(&inventory.clone(), &meta()));
    let namespace = |text: &str| parse(text)["documentNamespace"].as_str().map(str::to_owned);
    let ns = namespace(&first).expect("a namespace");
    assert!(ns.starts_with("https://spdx.org/spdxdocs/nanoup-"), "{ns}");
    let other_time = SbomMeta {
        timestamp: Some("2024-05-02T12:00:00Z".into()),
        ..meta()
    };
    assert_ne!(
        Some(ns.clone()),
        namespace(&spdx::render(&inventory, &other_time))
    );

    // SPDX requires a creation time: without one the epoch is written, reproducibly.
    let untimed = SbomMeta {
        timestamp: None,
        ..meta()
    };
    let doc = parse(&spdx::render(&inventory, &untimed));
    assert_eq!(doc["creationInfo"]["created"], spdx::FALLBACK_CREATED);
    assert_valid(&spdx_validator(), &doc, "untimed SPDX document");
    assert_spdx_rules(&doc);
}

#[test]
fn spdx_ids_stay_valid_and_unique_for_awkward_names() {
    let stack = Stack::new(
        ".",
        Ecosystem::Npm,
        vec!["package-lock.json".into()],
        [
            Component::new(
                Ecosystem::Npm,
                "@scope/a_b",
                "1.0.0+build",
                "package-lock.json",
                1,
            ),
            Component::new(
                Ecosystem::Npm,
                "@scope/a-b",
                "1.0.0-build",
                "package-lock.json",
                2,
            ),
            Component::new(Ecosystem::Npm, "ünïcode", "1.0.0", "package-lock.json", 3),
        ],
    );
    let doc = parse(&spdx::render(&Inventory::new(vec![stack], vec![]), &meta()));
    assert_valid(&spdx_validator(), &doc, "SPDX document with awkward names");
    assert_spdx_rules(&doc);
}

#[test]
fn the_referenced_schemas_resolve_offline_from_the_vendored_files() {
    // Without the registry the spdx/jsf `$ref`s cannot be resolved (no HTTP resolver is built in).
    let bare = jsonschema::options().build(&common::load_schema("bom-1.6.SNAPSHOT.schema.json"));
    assert!(
        bare.is_err(),
        "the CycloneDX schema needs its referenced schemas"
    );

    // With it, licence ids are checked against the vendored SPDX licence list.
    let validator = cyclonedx_validator();
    let mut bom = parse(&cyclonedx::render(&sample_inventory(), &meta()));
    bom["components"][0]["licenses"] = json!([{ "license": { "id": "MIT" } }]);
    assert_valid(&validator, &bom, "BOM with a known licence id");
    bom["components"][0]["licenses"] = json!([{ "license": { "id": "NOT-A-LICENCE" } }]);
    assert!(
        !validator.is_valid(&bom),
        "an unknown licence id is rejected"
    );
}
