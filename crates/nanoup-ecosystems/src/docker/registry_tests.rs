//! Tests of the docker datasource. Docker Hub is not reachable from where this was written:
//! the fixtures (tests/fixtures/registry/docker) are hand-written from the documented format,
//! not recorded.

use super::*;

fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/docker")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn image(host: &str, repository: &str) -> ImageRef {
    ImageRef {
        host: host.into(),
        repository: repository.into(),
    }
}

#[test]
fn official_images_live_under_library() {
    for name in [
        "nginx",
        "docker.io/nginx",
        "docker.io/library/nginx",
        "index.docker.io/library/nginx",
        "library/nginx",
        "nginx:1.25",
        "nginx@sha256:0123abcd",
    ] {
        assert_eq!(
            ImageRef::parse(name).unwrap(),
            image(DOCKER_HUB_API, "library/nginx"),
            "{name}"
        );
    }
    assert_eq!(
        DockerRegistry.request("nginx").unwrap().url,
        "https://registry-1.docker.io/v2/library/nginx/tags/list"
    );
    assert_eq!(
        ImageRef::parse("bitnami/redis").unwrap(),
        image(DOCKER_HUB_API, "bitnami/redis")
    );
}

#[test]
fn other_registries_come_from_the_name() {
    let cases = [
        (
            "ghcr.io/owner/image",
            "https://ghcr.io/v2/owner/image/tags/list",
        ),
        (
            "registry.example.com:5000/team/app:1.0",
            "https://registry.example.com:5000/v2/team/app/tags/list",
        ),
        (
            "quay.io/prometheus/node-exporter",
            "https://quay.io/v2/prometheus/node-exporter/tags/list",
        ),
        (
            "localhost:5000/app",
            "http://localhost:5000/v2/app/tags/list",
        ),
        (
            "127.0.0.1:8080/a/b",
            "http://127.0.0.1:8080/v2/a/b/tags/list",
        ),
        (
            "mcr.microsoft.com/dotnet/sdk:8.0",
            "https://mcr.microsoft.com/v2/dotnet/sdk/tags/list",
        ),
    ];
    for (name, url) in cases {
        assert_eq!(DockerRegistry.request(name).unwrap().url, url, "{name}");
    }
    assert!(!ImageRef::parse("ghcr.io/o/i").unwrap().is_docker_hub());
    for bad in [
        "",
        "Nginx",
        "docker.io/",
        "a//b",
        "-x",
        "x/y-",
        "ghcr.io/o i",
        "a/b?c",
        "../x",
    ] {
        assert!(DockerRegistry.request(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn tag_list_fixture() {
    let releases = DockerRegistry
        .parse("nginx", &fixture("v2/library/nginx/tags/list"))
        .unwrap();
    assert_eq!(releases.len(), 18);
    assert!(releases.iter().any(|r| r.version == "1.25.3-alpine"));
    assert!(releases.iter().all(|r| r.published.is_none() && !r.yanked));
    assert_eq!(
        parse_tags(br#"{"name":"x","tags":null}"#).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        parse_tags(br#"{"name":"x","tags":["a","b","a"]}"#).unwrap(),
        ["a", "b"]
    );
}

#[test]
fn error_bodies_and_truncations_are_errors() {
    let err = DockerRegistry
        .parse("does-not-exist", &fixture("errors-name-unknown.json"))
        .unwrap_err();
    assert!(
        err.0
            .starts_with("https://registry-1.docker.io/v2/library/does-not-exist/tags/list: ")
            && err
                .0
                .contains("NAME_UNKNOWN: repository name not known to registry"),
        "{err}"
    );
    for bad in [&b""[..], b"<html>", b"[]", br#"{"tags": "latest"}"#] {
        assert!(DockerRegistry.parse("nginx", bad).is_err());
    }
    let body = fixture("v2/library/nginx/tags/list");
    for cut in 0..body.len() {
        assert!(parse_tags(&body[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn token_flow_pieces() {
    let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;
    let challenge = parse_challenge(header).unwrap();
    assert_eq!(
        challenge,
        BearerChallenge {
            realm: "https://auth.docker.io/token".into(),
            service: Some("registry.docker.io".into()),
            scope: Some("repository:library/nginx:pull".into()),
        }
    );
    assert_eq!(
        challenge.token_url(),
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository:library/nginx:pull"
    );
    // The well-known Docker Hub token URL is the same, without the first 401.
    assert_eq!(
        token_request("nginx").unwrap().unwrap().url,
        challenge.token_url()
    );
    assert_eq!(token_request("ghcr.io/o/i").unwrap(), None);

    assert_eq!(
        parse_challenge(r#"bearer realm="https://ghcr.io/token", service=ghcr.io"#),
        Some(BearerChallenge {
            realm: "https://ghcr.io/token".into(),
            service: Some("ghcr.io".into()),
            scope: None,
        })
    );
    for bad in [
        "",
        "Basic realm=\"x\"",
        "Bearer service=\"x\"",
        "Bearer realm=\"unterminated",
        "Bearer",
    ] {
        assert_eq!(parse_challenge(bad), None, "{bad}");
    }

    let token = parse_token(&fixture("auth.docker.io/token.json")).unwrap();
    assert_eq!(token, "eyJhbGciOiJub25lIn0.e30.");
    assert_eq!(parse_token(br#"{"access_token":"abc"}"#).unwrap(), "abc");
    assert!(parse_token(br#"{"token":""}"#).is_err());
    assert!(parse_token(b"{").is_err());

    let request = DockerRegistry.authorized_request("nginx", &token).unwrap();
    assert!(
        request
            .headers
            .contains(&("Authorization".into(), format!("Bearer {token}")))
    );
}

#[test]
fn a_tags_manifest_is_asked_for_with_every_manifest_media_type() {
    let asked = DockerRegistry
        .release_request("nginx", "1.27.0")
        .unwrap()
        .unwrap();
    assert_eq!(
        asked.request.url,
        "https://registry-1.docker.io/v2/library/nginx/manifests/1.27.0"
    );
    assert!(!asked.package_answer_serves, "a 404 means no such tag");
    let accept = &asked
        .request
        .headers
        .iter()
        .find(|(k, _)| k == "Accept")
        .unwrap()
        .1;
    for media_type in [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ] {
        assert!(accept.contains(media_type), "{accept}");
    }
    let local = manifest_request("localhost:5000/team/app", "v2").unwrap();
    assert_eq!(local.url, "http://localhost:5000/v2/team/app/manifests/v2");
    // The same bearer token as the tag list's.
    let authorized = DockerRegistry
        .authorized_manifest_request("nginx", "1.27.0", "t0k")
        .unwrap();
    assert!(
        authorized
            .headers
            .contains(&("Authorization".into(), "Bearer t0k".into()))
    );
    for bad in ["", ".hidden", "-x", "a/b", "a:b", &"x".repeat(129)] {
        assert!(manifest_request("nginx", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn a_manifests_digest_is_the_sha256_of_its_exact_bytes() {
    let body = fixture("v2/library/nginx/manifests/1.27.0");
    assert_eq!(
        manifest_digest(&body).unwrap(),
        "sha256:a3f691ef6f62ed43b42439ea6a90904b0d50de61f35eba8972e6bc987d7136c3"
    );
    let error = manifest_digest(&fixture("errors-name-unknown.json")).unwrap_err();
    assert!(error.0.contains("NAME_UNKNOWN"), "{error}");
    let tags = manifest_digest(&fixture("v2/library/nginx/tags/list")).unwrap_err();
    assert!(tags.0.contains("not an image manifest"), "{tags}");
    // Every cut inside the JSON is an error (only the final newline may go).
    for cut in 0..body.trim_ascii_end().len() {
        assert!(manifest_digest(&body[..cut]).is_err(), "cut at {cut}");
    }
}
