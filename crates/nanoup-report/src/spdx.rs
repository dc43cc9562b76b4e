//! SPDX 2.3 JSON: the Linux Foundation's SBOM format (ISO/IEC 5962), asked for by many
//! procurement and compliance processes.
//!
//! [`render`] writes one document describing a root package (the scanned directory) with one
//! package per component of every stack, each identified by its purl. nanoup does not read
//! licences, so every licence field is `NOASSERTION`, as SPDX prescribes for "not looked at".
//! Output is deterministic: the document namespace is derived from the content, and the creation
//! time comes from [`SbomMeta`].

use std::collections::HashSet;

use nanoup_core::{Component, Ecosystem, Inventory, Scope, Stack};
use serde_json::{Map, Value, json};

use crate::cyclonedx::{SbomMeta, content_uuid, serde_name, to_pretty};

/// The SPDX identifier of the package that stands for the scanned root.
pub const ROOT_SPDX_ID: &str = "SPDXRef-RootPackage";

/// The creation time written when [`SbomMeta::timestamp`] is `None`: SPDX requires one, and a
/// fixed value keeps output reproducible.
pub const FALLBACK_CREATED: &str = "1970-01-01T00:00:00Z";

/// Renders `inventory` as an SPDX 2.3 JSON document (pretty-printed, ending in a newline).
///
/// The document DESCRIBES the root package, and every component is tied to the root by the
/// relationship matching its scope: root DEPENDS_ON a prod component, or the component is a
/// DEV_DEPENDENCY_OF, OPTIONAL_DEPENDENCY_OF or BUILD_DEPENDENCY_OF the root. nanoup has no
/// edges between components yet, so a transitive component is related to the root too, with
/// the relationship comment `transitive` (the path through the graph is not recorded). Stack,
/// file, line and source go in the package comment.
pub fn render(inventory: &Inventory, meta: &SbomMeta) -> String {
    let created = meta.timestamp.as_deref().unwrap_or(FALLBACK_CREATED);
    let ids = unique_ids(inventory);

    let mut packages = vec![json!({
        "SPDXID": ROOT_SPDX_ID,
        "name": meta.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "APPLICATION",
    })];
    packages.extend(
        inventory
            .components()
            .zip(&ids)
            .map(|((stack, component), id)| package_json(stack, component, id)),
    );

    let mut relationships = vec![relationship("SPDXRef-DOCUMENT", "DESCRIBES", ROOT_SPDX_ID)];
    relationships.extend(
        inventory
            .components()
            .zip(&ids)
            .map(|((_, component), id)| scope_relationship(component, id)),
    );

    let mut creation_info = Map::new();
    if !inventory.errors.is_empty() {
        let errors: Vec<String> = inventory.errors.iter().map(ToString::to_string).collect();
        creation_info.insert(
            "comment".into(),
            json!(format!(
                "nanoup could not read {} file(s); their components are missing: {}",
                errors.len(),
                errors.join("; ")
            )),
        );
    }
    creation_info.insert("created".into(), json!(created));
    creation_info.insert(
        "creators".into(),
        json!([format!("Tool: nanoup-{}", meta.tool_version)]),
    );

    // The namespace must differ between documents; derive it from everything else.
    let content = json!([meta.name, creation_info, packages, relationships]).to_string();
    let namespace = format!(
        "https://spdx.org/spdxdocs/nanoup-{}",
        content_uuid(&content)
    );

    to_pretty(&json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": meta.name,
        "documentNamespace": namespace,
        "creationInfo": creation_info,
        "packages": packages,
        "relationships": relationships,
    }))
}

/// One SPDX identifier per component (in [`Inventory::components`] order):
/// `SPDXRef-Package-<type>-<name>-<version>` with every character outside `[A-Za-z0-9.-]`
/// replaced by `-`, and `-2`, `-3`... appended when that collides with an earlier one (the same
/// package in two stacks, or names that differ only in replaced characters).
fn unique_ids(inventory: &Inventory) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    taken.insert(ROOT_SPDX_ID.to_string());
    inventory
        .components()
        .map(|(_, component)| {
            let base = format!(
                "SPDXRef-Package-{}-{}{}",
                component.ecosystem.purl_type(),
                id_chars(&component.name),
                component
                    .version
                    .as_deref()
                    .map(|v| format!("-{}", id_chars(v)))
                    .unwrap_or_default()
            );
            let mut id = base.clone();
            let mut n = 1;
            while taken.contains(&id) {
                n += 1;
                id = format!("{base}-{n}");
            }
            taken.insert(id.clone());
            id
        })
        .collect()
}

/// `text` with every character SPDX forbids in an identifier replaced by `-`.
fn id_chars(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn package_json(stack: &Stack, component: &Component, id: &str) -> Value {
    let mut object = Map::new();
    object.insert("SPDXID".into(), json!(id));
    object.insert("name".into(), json!(component.name));
    if let Some(version) = &component.version {
        object.insert("versionInfo".into(), json!(version));
    }
    object.insert("downloadLocation".into(), json!("NOASSERTION"));
    object.insert("filesAnalyzed".into(), json!(false));
    object.insert("licenseConcluded".into(), json!("NOASSERTION"));
    object.insert("licenseDeclared".into(), json!("NOASSERTION"));
    object.insert("copyrightText".into(), json!("NOASSERTION"));
    object.insert(
        "externalRefs".into(),
        json!([{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": component.purl,
        }]),
    );
    let purpose = match component.ecosystem {
        Ecosystem::Docker => "CONTAINER",
        _ => "LIBRARY",
    };
    object.insert("primaryPackagePurpose".into(), json!(purpose));
    object.insert("comment".into(), json!(package_comment(stack, component)));
    Value::Object(object)
}

/// Where nanoup found the component, in words: SPDX 2.3 has no key-value properties.
fn package_comment(stack: &Stack, component: &Component) -> String {
    let mut comment = format!(
        "nanoup: stack {} ({}), {} {}, declared at {}:{}, source {}",
        stack.path,
        stack.ecosystem,
        if component.direct {
            "direct"
        } else {
            "transitive"
        },
        serde_name(&component.scope),
        component.file,
        component.line,
        serde_name(&component.source),
    );
    if let Some(requirement) = &component.requirement {
        comment.push_str(&format!(", requirement {requirement}"));
    }
    if let Some(reason) = &component.unresolved {
        comment.push_str(&format!(", unresolved: {reason}"));
    }
    comment
}

/// The relationship between the root package and a component, chosen by the component's scope.
fn scope_relationship(component: &Component, id: &str) -> Value {
    let mut value = match component.scope {
        Scope::Prod => relationship(ROOT_SPDX_ID, "DEPENDS_ON", id),
        Scope::Optional => relationship(id, "OPTIONAL_DEPENDENCY_OF", ROOT_SPDX_ID),
        Scope::Dev => relationship(id, "DEV_DEPENDENCY_OF", ROOT_SPDX_ID),
        Scope::Build => relationship(id, "BUILD_DEPENDENCY_OF", ROOT_SPDX_ID),
    };
    if !component.direct
        && let Some(object) = value.as_object_mut()
    {
        object.insert("comment".into(), json!("transitive"));
    }
    value
}

fn relationship(element: &str, kind: &str, related: &str) -> Value {
    json!({
        "spdxElementId": element,
        "relationshipType": kind,
        "relatedSpdxElement": related,
    })
}
