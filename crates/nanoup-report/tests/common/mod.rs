//! Helpers shared by the SBOM tests: the vendored official schemas (see
//! `tests/schemas/PROVENANCE.md`), compiled offline — every `$ref` target is registered by its
//! URI, and jsonschema is built without its HTTP resolver — and the checks schemas cannot
//! express.

#![allow(dead_code)]

use std::collections::HashSet;
use std::path::PathBuf;

use jsonschema::{Registry, Resource, Validator};
use nanoup_report::cyclonedx::SbomMeta;
use serde_json::{Value, json};

pub const TIMESTAMP: &str = "2024-05-01T12:00:00Z";

pub fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/schemas")
}

pub fn load_schema(file: &str) -> Value {
    let text = std::fs::read_to_string(schema_dir().join(file)).expect("vendored schema exists");
    serde_json::from_str(&text).expect("vendored schema is JSON")
}

/// The CycloneDX 1.6 schema with the two schemas it references registered under the URIs its
/// `$ref`s resolve to (relative to its `$id`, http://cyclonedx.org/schema/bom-1.6.schema.json).
pub fn cyclonedx_validator() -> Validator {
    let registry = Registry::new()
        .extend([
            (
                "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
                Resource::from_contents(load_schema("spdx.SNAPSHOT.schema.json")),
            ),
            (
                "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
                Resource::from_contents(load_schema("jsf-0.82.SNAPSHOT.schema.json")),
            ),
        ])
        .expect("schema URIs are valid")
        .prepare()
        .expect("schemas register");
    jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&load_schema("bom-1.6.SNAPSHOT.schema.json"))
        .expect("the CycloneDX 1.6 schema compiles offline")
}

pub fn spdx_validator() -> Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&load_schema("spdx-2.3.schema.json"))
        .expect("the SPDX 2.3 schema compiles")
}

/// Panics with every schema violation (up to 20) when `document` does not validate.
pub fn assert_valid(validator: &Validator, document: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(20)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not schema-valid:\n{}",
        errors.join("\n")
    );
}

pub fn parse(text: &str) -> Value {
    assert!(text.ends_with("}\n"), "output ends with a newline");
    serde_json::from_str(text).expect("output is JSON")
}

pub fn meta() -> SbomMeta {
    SbomMeta {
        name: "demo-repo".into(),
        tool_version: "0.1.0".into(),
        timestamp: Some(TIMESTAMP.into()),
    }
}

pub fn find_by_purl<'a>(items: &'a Value, key: &str, purl: &str) -> Vec<&'a Value> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .filter(|item| match key {
            "purl" => item["purl"] == purl,
            _ => item["externalRefs"][0]["referenceLocator"] == purl,
        })
        .collect()
}

pub fn property<'a>(component: &'a Value, name: &str) -> Option<&'a str> {
    component["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

/// What SPDX 2.3 demands beyond the JSON schema: identifiers `SPDXRef-[A-Za-z0-9.-]+`, unique,
/// every relationship end naming an element of the document, `created` a UTC date-time.
pub fn assert_spdx_rules(doc: &Value) {
    let mut ids = HashSet::new();
    for package in doc["packages"].as_array().expect("packages") {
        let id = package["SPDXID"].as_str().expect("SPDXID");
        let idstring = id.strip_prefix("SPDXRef-").expect("SPDXRef- prefix");
        assert!(
            !idstring.is_empty()
                && idstring
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "invalid SPDXID {id}"
        );
        assert!(ids.insert(id), "duplicate SPDXID {id}");
        if let Some(locator) = package["externalRefs"][0]["referenceLocator"].as_str() {
            assert!(
                !locator.contains(' '),
                "purl locator has a space: {locator}"
            );
        }
    }
    ids.insert("SPDXRef-DOCUMENT");
    for relation in doc["relationships"].as_array().expect("relationships") {
        for end in ["spdxElementId", "relatedSpdxElement"] {
            let id = relation[end].as_str().expect("an id");
            assert!(ids.contains(id), "relationship names unknown element {id}");
        }
    }
    let date_time = jsonschema::options()
        .should_validate_formats(true)
        .build(&json!({ "type": "string", "format": "date-time" }))
        .expect("format schema");
    assert!(date_time.is_valid(&doc["creationInfo"]["created"]));
    assert!(
        doc["creationInfo"]["created"]
            .as_str()
            .is_some_and(|c| c.ends_with('Z')),
        "created is in UTC"
    );
}
