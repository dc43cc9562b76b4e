//! CycloneDX 1.6 JSON: the SBOM format of OWASP, read by Dependency-Track, Grype, Trivy and others.
//!
//! [`render`] turns an [`Inventory`] into one BOM whose metadata component is the scanned root and
//! whose components are the components of every stack. Output is deterministic: the serial number
//! is a name-based UUID (version 5) of the content, and a timestamp appears only when the caller
//! passes one in [`SbomMeta`], so the same inventory and meta always give the same bytes.
//!
//! This file also holds what the CycloneDX and SPDX renderers share: [`SbomMeta`] and the
//! content-derived UUID ([`content_uuid`]).

use nanoup_core::{Component, Ecosystem, Inventory, Scope, Stack};
use serde_json::{Map, Value, json};

/// What an SBOM says about itself rather than about the components: the name of what was
/// scanned, the producing tool's version and the creation time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SbomMeta {
    /// The name of the scanned root (usually its directory name); names the root component of a
    /// CycloneDX BOM and the document and root package of SPDX.
    pub name: String,
    /// nanoup's version, written as the producing tool.
    pub tool_version: String,
    /// When the SBOM was made, as an RFC 3339 UTC date-time (`2024-05-01T12:00:00Z`). CycloneDX
    /// omits its timestamp without one; SPDX requires one and falls back to the Unix epoch, so
    /// that output stays reproducible (the CLI passes the current time or `SOURCE_DATE_EPOCH`).
    pub timestamp: Option<String>,
}

/// The `bom-ref` of the metadata component that stands for the scanned root.
pub const ROOT_BOM_REF: &str = "nanoup:root";

/// Renders `inventory` as a CycloneDX 1.6 JSON BOM (pretty-printed, ending in a newline).
///
/// Each component of each stack becomes one BOM component: `type` library (container for
/// Docker images), npm scope or Maven group as `group`, the purl, a CycloneDX `scope` mapped from
/// ours (prod → required, optional → optional, dev and build → excluded) and `nanoup:*`
/// properties that keep what CycloneDX has no field for (stack, direct, file, line, source,
/// scope, requirement, why unresolved). The dependency graph holds the root's edges to the
/// direct components only: nanoup records no edges between components yet, and a component
/// without an entry means "dependencies unknown", which is the truth.
pub fn render(inventory: &Inventory, meta: &SbomMeta) -> String {
    let refs = unique_refs(inventory);
    let components: Vec<Value> = inventory
        .components()
        .zip(&refs)
        .map(|((stack, component), bom_ref)| component_json(stack, component, bom_ref))
        .collect();
    let mut direct_refs: Vec<&str> = inventory
        .components()
        .zip(&refs)
        .filter(|((_, component), _)| component.direct)
        .map(|(_, bom_ref)| bom_ref.as_str())
        .collect();
    direct_refs.sort_unstable();
    direct_refs.dedup();
    let dependencies: Vec<Value> = if direct_refs.is_empty() {
        Vec::new()
    } else {
        vec![json!({ "ref": ROOT_BOM_REF, "dependsOn": direct_refs })]
    };

    let mut metadata = Map::new();
    if let Some(timestamp) = &meta.timestamp {
        metadata.insert("timestamp".into(), json!(timestamp));
    }
    metadata.insert(
        "tools".into(),
        json!({ "components": [{
            "type": "application",
            "name": "nanoup",
            "version": meta.tool_version,
        }] }),
    );
    metadata.insert(
        "component".into(),
        json!({ "type": "application", "bom-ref": ROOT_BOM_REF, "name": meta.name }),
    );
    let error_properties: Vec<Value> = inventory
        .errors
        .iter()
        .map(|error| property("nanoup:error", error.to_string()))
        .collect();
    if !error_properties.is_empty() {
        metadata.insert("properties".into(), Value::Array(error_properties));
    }

    // The serial number is derived from everything else in the BOM, so it changes exactly when
    // the content does.
    let content = json!([metadata, components, dependencies]).to_string();
    let serial = format!("urn:uuid:{}", content_uuid(&content));

    let mut bom = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial,
        "version": 1,
        "metadata": metadata,
        "components": components,
    });
    if !dependencies.is_empty()
        && let Some(object) = bom.as_object_mut()
    {
        object.insert("dependencies".into(), Value::Array(dependencies));
    }
    to_pretty(&bom)
}

/// One `bom-ref` per component of `inventory` (in [`Inventory::components`] order):
/// `<stack path>|<purl>`, with `#2`, `#3`... appended when two stacks in the same directory
/// hold the same purl (two Dockerfiles of one folder, say), so that every ref is unique.
fn unique_refs(inventory: &Inventory) -> Vec<String> {
    let mut seen = std::collections::HashMap::<String, usize>::new();
    inventory
        .components()
        .map(|(stack, component)| {
            let base = format!("{}|{}", stack.path, component.purl);
            let count = seen.entry(base.clone()).or_insert(0);
            *count += 1;
            if *count == 1 {
                base
            } else {
                format!("{base}#{count}")
            }
        })
        .collect()
}

fn component_json(stack: &Stack, component: &Component, bom_ref: &str) -> Value {
    let (group, name) = group_and_name(component.ecosystem, &component.name);
    let kind = match component.ecosystem {
        Ecosystem::Docker => "container",
        _ => "library",
    };
    let mut object = Map::new();
    object.insert("type".into(), json!(kind));
    object.insert("bom-ref".into(), json!(bom_ref));
    if let Some(group) = group {
        object.insert("group".into(), json!(group));
    }
    object.insert("name".into(), json!(name));
    if let Some(version) = &component.version {
        object.insert("version".into(), json!(version));
    }
    object.insert("scope".into(), json!(cyclonedx_scope(component.scope)));
    object.insert("purl".into(), json!(component.purl));

    let mut properties = vec![
        property("nanoup:stack", &stack.path),
        property("nanoup:direct", component.direct.to_string()),
        property("nanoup:scope", serde_name(&component.scope)),
        property("nanoup:source", serde_name(&component.source)),
        property("nanoup:file", &component.file),
        property("nanoup:line", component.line.to_string()),
    ];
    if let Some(requirement) = &component.requirement {
        properties.push(property("nanoup:requirement", requirement));
    }
    if let Some(reason) = &component.unresolved {
        properties.push(property("nanoup:unresolved", reason));
    }
    for (key, value) in &component.extra {
        properties.push(property(&format!("nanoup:extra:{key}"), value));
    }
    object.insert("properties".into(), Value::Array(properties));
    Value::Object(object)
}

/// Splits a canonical name into CycloneDX `group` and `name`: the npm scope (`@babel`) and
/// the Maven groupId are groups; Go modules and images keep their full path as the name, as
/// cyclonedx-gomod and container scanners do.
fn group_and_name(ecosystem: Ecosystem, name: &str) -> (Option<&str>, &str) {
    match ecosystem {
        Ecosystem::Npm => match name.split_once('/') {
            Some((scope, rest)) if scope.starts_with('@') && !rest.is_empty() => {
                (Some(scope), rest)
            }
            _ => (None, name),
        },
        Ecosystem::Maven => match name.split_once(':') {
            Some((group, artifact)) if !group.is_empty() && !artifact.is_empty() => {
                (Some(group), artifact)
            }
            _ => (None, name),
        },
        Ecosystem::Cargo | Ecosystem::PyPI | Ecosystem::Go | Ecosystem::Docker => (None, name),
    }
}

/// CycloneDX scopes: `required` at run time, `optional` at run time, or `excluded` from the
/// run-time artefact (test, development and build tooling).
fn cyclonedx_scope(scope: Scope) -> &'static str {
    match scope {
        Scope::Prod => "required",
        Scope::Optional => "optional",
        Scope::Dev | Scope::Build => "excluded",
    }
}

fn property(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// The serde name of a unit enum variant (`Scope::Dev` → `dev`), as in nanoup's JSON output.
pub(crate) fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Pretty JSON with a final newline; `Value` always serialises, so the fallback is never used.
pub(crate) fn to_pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// A name-based UUID (RFC 4122 version 5: SHA-1 in the URL namespace) of `content`, lowercase.
///
/// SBOMs need a serial number / namespace that differs between documents; deriving it from the
/// content instead of drawing it at random keeps output reproducible.
pub fn content_uuid(content: &str) -> String {
    // The RFC 4122 URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
    const URL_NAMESPACE: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
        0xc8,
    ];
    let mut input = URL_NAMESPACE.to_vec();
    input.extend_from_slice(b"urn:nanoup:sbom:");
    input.extend_from_slice(content.as_bytes());
    let digest = sha1(&input);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// SHA-1 (FIPS 180-4), used only to derive UUIDs version 5 as RFC 4122 prescribes — not for
/// security. Small enough to keep here instead of adding a crate.
fn sha1(message: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let bit_len = (message.len() as u64).wrapping_mul(8);
    let mut padded = message.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&bit_len.to_be_bytes());
    for block in padded.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (state, value) in h.iter_mut().zip([a, b, c, d, e]) {
            *state = state.wrapping_add(value);
        }
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha1_matches_the_fips_test_vectors() {
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            )),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&[b'a'; 1_000_000])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn content_uuid_is_a_version_5_rfc_4122_uuid() {
        let uuid = content_uuid("x");
        assert_eq!(uuid.len(), 36);
        assert_eq!(uuid.as_bytes()[14], b'5');
        assert!(matches!(uuid.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
        assert_eq!(uuid, content_uuid("x"));
        assert_ne!(uuid, content_uuid("y"));
    }

    #[test]
    fn groups_split_npm_scopes_and_maven_groups_only() {
        assert_eq!(
            group_and_name(Ecosystem::Npm, "@babel/core"),
            (Some("@babel"), "core")
        );
        assert_eq!(group_and_name(Ecosystem::Npm, "ms"), (None, "ms"));
        assert_eq!(
            group_and_name(Ecosystem::Maven, "org.apache.struts:struts2-core"),
            (Some("org.apache.struts"), "struts2-core")
        );
        assert_eq!(
            group_and_name(Ecosystem::Go, "github.com/cli/safeexec"),
            (None, "github.com/cli/safeexec")
        );
        assert_eq!(
            group_and_name(Ecosystem::Npm, "@broken/"),
            (None, "@broken/")
        );
    }
}
