use nanoup_core::{Scope, Source};

use super::*;
use crate::testutil::corpus_tree;

const MICROSERVICES: &str = "docker/GoogleCloudPlatform__microservices-demo__3c0d659780";
const NODE_EXPORTER: &str = "docker/prometheus__node_exporter__b597c1244d";

fn component<'a>(stack: &'a Stack, name: &str, version: &str) -> &'a Component {
    stack
        .components
        .iter()
        .find(|c| c.name == name && c.version.as_deref() == Some(version))
        .unwrap_or_else(|| panic!("{name} {version} in {:?}", stack.components))
}

#[test]
fn microservices_demo_has_eleven_stacks_and_nineteen_images() {
    // Cross-checked with a few lines of python3: a regex over every `FROM` line (39 of them in
    // 12 Dockerfiles) dropping `scratch` and earlier stage aliases, counting distinct
    // name:tag per directory: 11 directories, 19 images.
    let scanned = scan(&corpus_tree(MICROSERVICES));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 11);
    let total: usize = scanned.stacks.iter().map(|s| s.components.len()).sum();
    assert_eq!(total, 19);
    assert!(
        scanned
            .stacks
            .iter()
            .flat_map(|s| &s.components)
            .all(|c| c.direct)
    );

    let cart = scanned
        .stacks
        .iter()
        .find(|s| s.path == "src/cartservice/src")
        .expect("cart stack");
    assert_eq!(
        cart.files,
        vec!["Dockerfile".to_string(), "Dockerfile.debug".to_string()]
    );
    assert_eq!(cart.components.len(), 4);
    let sdk = component(cart, "mcr.microsoft.com/dotnet/sdk", "7.0.100");
    assert_eq!(sdk.scope, Scope::Build);
    assert_eq!(sdk.file, "src/cartservice/src/Dockerfile");
    assert_eq!(sdk.line, 16);
    assert_eq!(sdk.extra.get("stage").map(String::as_str), Some("builder"));
    assert_eq!(
        sdk.extra.get("digest").map(String::as_str),
        Some("sha256:c6c842afe9350ac32fe23188b81d3233a6aebc33d0a569d565f928c4ff8966e1")
    );
    assert_eq!(
        sdk.purl,
        "pkg:docker/dotnet/sdk@7.0.100?repository_url=mcr.microsoft.com"
    );
    // The final stage `FROM without-grpc-health-probe-bin` builds on runtime-deps: prod.
    let runtime = component(
        cart,
        "mcr.microsoft.com/dotnet/runtime-deps",
        "7.0.0-alpine3.16-amd64",
    );
    assert_eq!(runtime.scope, Scope::Prod);
    let aspnet = component(cart, "mcr.microsoft.com/dotnet/aspnet", "7.0");
    assert_eq!(
        (aspnet.scope, aspnet.file.as_str(), aspnet.line),
        (Scope::Prod, "src/cartservice/src/Dockerfile.debug", 25)
    );
    assert_eq!(
        component(cart, "mcr.microsoft.com/dotnet/sdk", "7.0").scope,
        Scope::Build
    );

    // loadgenerator: base -> builder, final `FROM base`: python is shipped.
    let loadgen = scanned
        .stacks
        .iter()
        .find(|s| s.path == "src/loadgenerator")
        .expect("loadgen");
    let python = component(loadgen, "python", "3.11.0-slim");
    assert_eq!(
        (python.scope, python.line, python.source),
        (Scope::Prod, 15, Source::Registry)
    );

    let frontend = scanned
        .stacks
        .iter()
        .find(|s| s.path == "src/frontend")
        .expect("frontend");
    assert_eq!(
        component(frontend, "golang", "1.19.4-alpine").scope,
        Scope::Build
    );
    assert_eq!(component(frontend, "alpine", "3.17.0").scope, Scope::Prod);
}

#[test]
fn node_exporter_substitutes_global_arg_defaults() {
    let scanned = scan(&corpus_tree(NODE_EXPORTER));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert_eq!(scanned.stacks.len(), 1);
    let stack = &scanned.stacks[0];
    assert_eq!(stack.path, ".");
    assert_eq!(stack.components.len(), 1);
    let busybox = component(stack, "quay.io/prometheus/busybox-linux-amd64", "glibc");
    assert_eq!(
        (busybox.scope, busybox.line, busybox.file.as_str()),
        (Scope::Prod, 3, "Dockerfile")
    );
    assert_eq!(
        busybox.requirement.as_deref(),
        Some("quay.io/prometheus/busybox-${OS}-${ARCH}:glibc")
    );
}

#[test]
fn arg_without_default_is_unresolved_and_defaults_apply() {
    let text = "# syntax=docker/dockerfile:1\nARG BASE\nARG TAG=1.2 OTHER=\"x y\"\n\
                FROM ${BASE}:3 AS one\nFROM ${MISSING:-debian}:${TAG}\nFROM $TAG_UNKNOWN\n";
    let dockerfile = parse_dockerfile("Dockerfile", text).expect("parses");
    let components = dockerfile.components("Dockerfile");
    assert_eq!(components.len(), 3);
    assert_eq!(components[0].version, None);
    assert_eq!(components[0].name, "${BASE}");
    assert!(
        components[0]
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("ARG BASE has no default"))
    );
    assert_eq!(components[0].scope, Scope::Build);
    assert_eq!(
        (
            components[1].name.as_str(),
            components[1].version.as_deref()
        ),
        ("debian", Some("1.2"))
    );
    assert_eq!(components[1].line, 5);
    assert!(
        components[2]
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("not declared"))
    );
    assert_eq!(components[2].scope, Scope::Prod);
}

#[test]
fn arg_defaults_use_earlier_args() {
    let text = "ARG REGISTRY=gcr.io\nARG IMAGE=${REGISTRY}/distroless/static\nARG UNSET\nARG LATER=${UNSET}\n\
                FROM ${IMAGE}:nonroot\nFROM ${LATER}\n";
    let components = parse_dockerfile("Dockerfile", text)
        .expect("parses")
        .components("Dockerfile");
    assert_eq!(components[0].name, "gcr.io/distroless/static");
    assert_eq!(components[0].version.as_deref(), Some("nonroot"));
    assert_eq!(
        components[0].purl,
        "pkg:docker/distroless/static@nonroot?repository_url=gcr.io"
    );
    assert!(
        components[1]
            .unresolved
            .as_deref()
            .is_some_and(|r| r.contains("ARG UNSET"))
    );
}

#[test]
fn platform_digest_only_latest_scratch_and_continuations() {
    let text = "from --platform=$BUILDPLATFORM golang@sha256:abc as build\n\
                # a comment\n\
                RUN echo \\\n  # comment inside continuation\n  hi\n\
                FROM \\\n  registry.example:5000/team/app\n\
                FROM scratch\nCOPY --from=build /x /x\n";
    let dockerfile = parse_dockerfile("a/Dockerfile", text).expect("parses");
    assert_eq!(dockerfile.stages.len(), 3);
    let components = dockerfile.components("a/Dockerfile");
    assert_eq!(components.len(), 2);
    let golang = &components[0];
    assert_eq!(golang.version.as_deref(), Some("sha256:abc"));
    assert_eq!(
        golang.extra.get("platform").map(String::as_str),
        Some("$BUILDPLATFORM")
    );
    assert_eq!(golang.scope, Scope::Build);
    let app = &components[1];
    assert_eq!(
        (app.name.as_str(), app.version.as_deref(), app.line),
        ("registry.example:5000/team/app", Some("latest"), 6)
    );
    // The final stage is scratch, so no image is shipped underneath it.
    assert_eq!(app.scope, Scope::Build);
}

#[test]
fn escape_directive_and_heredocs() {
    let text = "# escape=`\nFROM alpine:3 AS a\nRUN <<EOF\nFROM not-an-image\nEOF\nRUN echo `\n  done\nFROM a\n";
    let dockerfile = parse_dockerfile("Dockerfile", text).expect("parses");
    assert_eq!(dockerfile.stages.len(), 2);
    assert_eq!(dockerfile.stages[1].base, Base::Stage(0));
    let components = dockerfile.components("Dockerfile");
    assert_eq!(components.len(), 1);
    assert_eq!(components[0].scope, Scope::Prod);
}

#[test]
fn malformed_dockerfiles_give_errors_with_lines() {
    let err = parse_dockerfile("Dockerfile", "FROM alpine\nRUNN echo\n")
        .expect_err("unknown instruction");
    assert_eq!((err.line, err.column), (2, 1));
    assert!(err.message.contains("RUNN"), "{}", err.message);
    let err =
        parse_dockerfile("Dockerfile", "# c\n\nRUN echo\nFROM x\n").expect_err("RUN before FROM");
    assert_eq!(err.line, 3);
    let err = parse_dockerfile("Dockerfile", "ARG A=1\n\nFROM\n").expect_err("FROM without image");
    assert_eq!(err.line, 3);
    let err = parse_dockerfile("Dockerfile", "FROM a b c d\n").expect_err("too many words");
    assert_eq!(err.line, 1);
    let err = parse_dockerfile("Dockerfile", "FROM a:\n").expect_err("empty tag");
    assert_eq!(err.line, 1);
    let err = parse_dockerfile("Dockerfile", "# only a comment\n").expect_err("no FROM");
    assert!(err.message.contains("no FROM"));
}

#[test]
fn dockerfile_names() {
    for yes in [
        "Dockerfile",
        "dockerfile",
        "Dockerfile.debug",
        "app.Dockerfile",
        "DOCKERFILE",
        "Dockerfile-k8s",
        "Dockerfile_prod",
        "Containerfile",
        "Containerfile.arm64",
        "base.containerfile",
    ] {
        assert!(is_dockerfile_name(yes), "{yes}");
    }
    for no in [
        "Dockerfile.dockerignore",
        "dockerfile.go",
        "Dockerfile.md",
        ".dockerfile",
        "Dockerfile.",
        "docker-compose.yml",
        "Dockerfile-",
        "Dockerfile-k8s.md",
        "containerfile.go",
        "Containerfiles",
    ] {
        assert!(!is_dockerfile_name(no), "{no}");
    }
}

#[test]
fn a_malformed_dockerfile_is_reported_and_its_neighbours_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Dockerfile"), "FROM alpine:3.18\n").expect("write");
    std::fs::write(dir.path().join("Dockerfile.bad"), "FROM\n").expect("write");
    let scanned = scan(&Tree::walk(dir.path()).expect("walk"));
    assert_eq!(scanned.errors.len(), 1);
    assert_eq!(scanned.errors[0].file, "Dockerfile.bad");
    assert_eq!(scanned.stacks.len(), 1);
    assert_eq!(scanned.stacks[0].files, vec!["Dockerfile".to_string()]);
}

#[test]
fn no_panic_on_truncated_or_mangled_corpus_files() {
    let mut texts = Vec::new();
    for set in [MICROSERVICES, NODE_EXPORTER] {
        let tree = corpus_tree(set);
        for file in tree.files().filter(|f| is_dockerfile_name(file_name(f))) {
            texts.push(tree.read(file).expect("readable"));
        }
    }
    texts.push("FROM ${".into());
    texts.push(
        "ARG A=${A}\nFROM ${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-${A:-x}}}}}}}}}}\n".into(),
    );
    texts.push("FROM é:ü@\u{1F600}\nRUN <<\"EOF\n".into());
    texts.push("FROM a AS b\nFROM b AS a\nFROM a\n".into());
    let mut bomb = String::from("ARG A0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        bomb.push_str(&format!("ARG A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    bomb.push_str("FROM ${A39}\n");
    texts.push(bomb);
    for text in &texts {
        let mut cut = 0;
        while cut <= text.len() {
            if let Some(prefix) = text.get(..cut) {
                let _ = parse_dockerfile("Dockerfile", prefix).map(|d| d.components("Dockerfile"));
            }
            cut += 101;
        }
        for mangled in [
            text.replace('\n', "\\\n"),
            text.replace(':', "${"),
            text.replace(' ', "\t$"),
            text.to_uppercase(),
        ] {
            let _ = parse_dockerfile("Dockerfile", &mangled).map(|d| d.components("Dockerfile"));
        }
    }
}
