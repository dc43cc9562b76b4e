//! Tests of the Dockerfile editor on the corpus Dockerfiles (microservices-demo, whose images
//! are all pinned by digest, and node_exporter, whose image is built from ARGs).

use nanoup_core::EntryChange;

use super::*;
use crate::testutil::{assert_one_step, byte_diff, change, corpus, versioned_components};

const MICROSERVICES: &str = "docker/GoogleCloudPlatform__microservices-demo__3c0d659780";
const FRONTEND: &str = "src/frontend/Dockerfile";
const DEBUG: &str = "src/cartservice/src/Dockerfile.debug";
const NEW_DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn read(path: &str) -> String {
    std::fs::read_to_string(corpus().join(path)).expect("corpus Dockerfile")
}

/// `Dockerfile.debug` without its digests: tags only.
fn debug_unpinned() -> String {
    let text = read(&format!("{MICROSERVICES}/{DEBUG}"));
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        match (line.starts_with("FROM "), line.find("@sha256:")) {
            (true, Some(at)) => {
                let end = line[at..].find(' ').map_or(line.len(), |e| at + e);
                out.push_str(&line[..at]);
                out.push_str(&line[end..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[test]
fn tag_moves_and_nothing_else() {
    let old = debug_unpinned();
    let sdk = "mcr.microsoft.com/dotnet/sdk";
    let edit =
        edit_dockerfile("Dockerfile.debug", &old, sdk, "7.0", "7.0.100", None).expect("edit");
    let (at, before, after) = byte_diff(&old, &edit.text);
    assert_eq!((before, after), ("", ".100"));
    assert!(old[..at].ends_with("FROM mcr.microsoft.com/dotnet/sdk:7.0"));
    assert!(old[at..].starts_with(" AS build\n"));
    assert_eq!(edit.lines, [15]);
    assert_eq!(
        edit.what,
        "FROM mcr.microsoft.com/dotnet/sdk:7.0 -> mcr.microsoft.com/dotnet/sdk:7.0.100 (line 15)"
    );
    assert_eq!(
        changed_entries("Dockerfile.debug", &old, &edit.text).unwrap(),
        [change(sdk, "7.0", "7.0.100")]
    );
}

#[test]
fn digest_pinned_reference_needs_the_new_digest() {
    let old = read(&format!("{MICROSERVICES}/{FRONTEND}"));
    let golang = "golang";
    // golang 1.19.4-alpine -> 1.19.5-alpine, with the new tag's digest when it is known.
    let edit_with = |digest: Option<&str>| {
        edit_dockerfile(
            "Dockerfile",
            &old,
            golang,
            "1.19.4-alpine",
            "1.19.5-alpine",
            digest,
        )
    };
    let refusal = edit_with(None).unwrap_err();
    assert_eq!(
        refusal,
        DockerfileRefusal::DigestUnknown {
            file: "Dockerfile".into(),
            line: 15,
            reference: "golang:1.19.4-alpine@sha256:f33331e12ca70192c0dbab2d0a74a52e1dd344221507d88aaea605b0219a212f".into(),
            target: "golang:1.19.5-alpine".into(),
        }
    );
    let message = refusal.to_string();
    assert!(
        message.contains("would leave a digest of the old image"),
        "{message}"
    );
    // With the digest of the new tag, both move together.
    let edit = edit_with(Some(NEW_DIGEST)).expect("edit");
    assert_eq!(
        edit.text,
        old.replacen(
            "golang:1.19.4-alpine@sha256:f33331e12ca70192c0dbab2d0a74a52e1dd344221507d88aaea605b0219a212f",
            &format!("golang:1.19.5-alpine@{NEW_DIGEST}"),
            1
        )
    );
    assert_eq!(
        changed_entries("Dockerfile", &old, &edit.text).unwrap(),
        [change(golang, "1.19.4-alpine", "1.19.5-alpine")]
    );
    let refusal = edit_with(Some("sha256:abc")).unwrap_err();
    assert!(matches!(refusal, DockerfileRefusal::BadDigest { .. }));
}

#[test]
fn arg_substituted_reference_is_refused_naming_the_args() {
    let old = read("docker/prometheus__node_exporter__b597c1244d/Dockerfile");
    let refusal = edit_dockerfile(
        "Dockerfile",
        &old,
        "quay.io/prometheus/busybox-linux-amd64",
        "glibc",
        "musl",
        None,
    )
    .unwrap_err();
    assert_eq!(
        refusal,
        DockerfileRefusal::ArgSubstituted {
            file: "Dockerfile".into(),
            line: 3,
            reference: "quay.io/prometheus/busybox-${OS}-${ARCH}:glibc".into(),
            args: vec!["OS (line 2)".into(), "ARCH (line 1)".into()],
        }
    );
    assert!(refusal.to_string().starts_with(
        "Dockerfile:3: the image `quay.io/prometheus/busybox-${OS}-${ARCH}:glibc` is built from \
         ARG OS (line 2), ARCH (line 1);"
    ));
}

#[test]
fn every_stage_on_the_image_moves_and_stage_references_stay() {
    let old = "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM alpine:3.17 AS a\n\
               RUN echo alpine:3.17\nFROM a AS b\nFROM  alpine:3.17\nCOPY --from=b / /\n";
    let edit = edit_dockerfile("Dockerfile", old, "alpine", "3.17", "3.18", None).expect("edit");
    assert_eq!(
        edit.text,
        "# syntax=docker/dockerfile:1\nFROM --platform=$BUILDPLATFORM alpine:3.18 AS a\n\
         RUN echo alpine:3.17\nFROM a AS b\nFROM  alpine:3.18\nCOPY --from=b / /\n"
    );
    assert_eq!(edit.lines, [2, 5]);
    assert_eq!(
        changed_entries("Dockerfile", old, &edit.text).unwrap(),
        [
            change("alpine", "3.17", "3.18"),
            change("alpine", "3.17", "3.18")
        ]
    );
    // No tag written means `latest`: the tag is added.
    let edit = edit_dockerfile(
        "Dockerfile",
        "FROM nginx\n",
        "nginx",
        "latest",
        "1.25",
        None,
    )
    .expect("edit");
    assert_eq!(edit.text, "FROM nginx:1.25\n");
}

#[test]
fn stale_plans_and_odd_references_are_refused() {
    let old = debug_unpinned();
    let sdk = "mcr.microsoft.com/dotnet/sdk";
    let refusal = edit_dockerfile("Dockerfile.debug", &old, sdk, "6.0", "7.0.1", None).unwrap_err();
    assert_eq!(
        refusal.to_string(),
        "Dockerfile.debug: mcr.microsoft.com/dotnet/sdk is at 7.0 here, not 6.0; the file \
         changed since the plan, re-plan"
    );
    let refusal = edit_dockerfile("Dockerfile.debug", &old, "nginx", "1", "2", None).unwrap_err();
    assert!(matches!(refusal, DockerfileRefusal::NotFound { ref found, .. } if found.is_empty()));
    let refusal =
        edit_dockerfile("Dockerfile.debug", &old, sdk, "7.0", "7.0 AS x", None).unwrap_err();
    assert!(matches!(refusal, DockerfileRefusal::BadTag { .. }));
    let pinned = format!("FROM nginx@{NEW_DIGEST}\n");
    let refusal =
        edit_dockerfile("Dockerfile", &pinned, "nginx", NEW_DIGEST, "1.25", None).unwrap_err();
    assert!(matches!(
        refusal,
        DockerfileRefusal::DigestOnly { line: 1, .. }
    ));
    let refusal = edit_dockerfile("Dockerfile", "RUN x\n", "nginx", "1", "2", None).unwrap_err();
    assert!(matches!(refusal, DockerfileRefusal::Parse(_)));
}

#[test]
fn changed_entries_sees_everything_outside_the_images() {
    let path = format!("{MICROSERVICES}/src/loadgenerator/Dockerfile");
    let old = read(&path);
    assert_eq!(changed_entries("Dockerfile", &old, &old).unwrap(), []);
    let rest = EntryChange {
        name: "[rest of Dockerfile]".into(),
        from: None,
        to: None,
        path: None,
    };
    // A stage reference, an instruction and a comment are outside the images.
    for (before, after) in [
        ("FROM base as builder", "FROM base as build"),
        ("FROM base\n", "FROM base as final\n"),
        ("# limitations under the License.", "# limitations."),
    ] {
        assert!(old.contains(before), "{before}");
        let new = old.replacen(before, after, 1);
        let changed = changed_entries("Dockerfile", &old, &new).unwrap();
        assert!(changed.contains(&rest), "{before}: {changed:?}");
    }
    // A digest alone is a change of the image entry, under the same tag.
    let new = old.replacen("sha256:ff09", "sha256:ee09", 1);
    assert_eq!(
        changed_entries("Dockerfile", &old, &new).unwrap(),
        [change("python", "3.11.0-slim", "3.11.0-slim")]
    );
}

#[test]
fn every_image_of_the_corpus_moves_alone_or_is_refused() {
    // With a digest for pinned references, every corpus image moves alone; without one, only
    // the unpinned ones do.
    let mut moved = 0;
    for set in [
        MICROSERVICES,
        "docker/prometheus__node_exporter__b597c1244d",
    ] {
        for component in versioned_components(super::super::scan, set) {
            let (file, name) = (&component.file, &component.name);
            let version = component.version.as_deref().unwrap_or_default();
            let text = read(&format!("{set}/{file}"));
            for digest in [None, Some(NEW_DIGEST)] {
                match edit_dockerfile(file, &text, name, version, "99.0", digest) {
                    Ok(edit) => {
                        let changed = changed_entries(file, &text, &edit.text).unwrap();
                        assert_one_step(changed, name, version, "99.0");
                        moved += 1;
                    }
                    Err(
                        DockerfileRefusal::DigestUnknown { .. }
                        | DockerfileRefusal::ArgSubstituted { .. },
                    ) => {}
                    Err(other) => panic!("{name} {version}: {other}"),
                }
            }
        }
    }
    assert_eq!(moved, 19);
}
