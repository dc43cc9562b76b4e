//! Tests of the Maven datasource. Maven Central is not reachable from where this was written:
//! the fixtures (tests/fixtures/registry/maven) are hand-written from the documented format,
//! not recorded.

use super::*;

fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/maven/maven2")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

const LANG3: &str = "org/apache/commons/commons-lang3/maven-metadata.xml";
const GUAVA: &str = "com/google/guava/guava/maven-metadata.xml";

#[test]
fn group_becomes_a_path() {
    let request = MavenRegistry::default()
        .request("org.apache.commons:commons-lang3")
        .unwrap();
    assert_eq!(
        request.url,
        "https://repo1.maven.org/maven2/org/apache/commons/commons-lang3/maven-metadata.xml"
    );
    // The request path is the fixture's path under `maven2/`: a replay server can serve it.
    assert!(request.url.ends_with(LANG3));
    assert_eq!(
        artifact_path("com.google.guava:guava").unwrap(),
        "com/google/guava/guava"
    );
    for bad in [
        "",
        "guava",
        ":guava",
        "com.google.guava:",
        "com..google:guava",
        "com/google:guava",
        "com.google:../x",
        "com.google:..",
        "a b:c",
    ] {
        assert!(artifact_path(bad).is_err(), "{bad:?}");
        assert!(MavenRegistry::default().request(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn metadata_lists_versions_without_dates() {
    let releases = MavenRegistry::default()
        .parse("org.apache.commons:commons-lang3", &fixture(LANG3))
        .unwrap();
    assert_eq!(releases.len(), 20);
    assert_eq!(releases[0].version, "3.0");
    assert_eq!(releases[19].version, "3.14.0");
    assert!(releases.iter().all(|r| r.published.is_none() && !r.yanked));

    let metadata = parse_metadata(&fixture(GUAVA)).unwrap();
    assert_eq!(metadata.group_id.as_deref(), Some("com.google.guava"));
    assert_eq!(metadata.artifact_id.as_deref(), Some("guava"));
    assert_eq!(metadata.latest.as_deref(), Some("33.0.0-jre"));
    assert_eq!(metadata.release.as_deref(), Some("33.0.0-jre"));
    assert_eq!(
        metadata.last_updated.as_deref(),
        Some("2023-12-18T00:00:00Z")
    );
    assert!(metadata.versions.contains(&"32.0.1-android".to_string()));
}

#[test]
fn snapshots_duplicates_bom_and_credentials() {
    let body = "\u{feff}<?xml version=\"1.0\"?>\n<metadata><groupId>org.example</groupId>\
        <artifactId>demo</artifactId><versioning><latest>2.0-SNAPSHOT</latest><release>1.1</release>\
        <versions><version>1.0</version><version> 1.1 </version><version>1.0</version><version/>\
        <version>2.0-SNAPSHOT</version></versions><lastUpdated>2024</lastUpdated></versioning></metadata>";
    let metadata = parse_metadata(body.as_bytes()).unwrap();
    assert_eq!(metadata.versions, ["1.0", "1.1", "2.0-SNAPSHOT"]);
    assert_eq!(metadata.latest.as_deref(), Some("2.0-SNAPSHOT"));
    assert_eq!(metadata.release.as_deref(), Some("1.1"));
    assert_eq!(
        metadata.last_updated, None,
        "a malformed lastUpdated is dropped"
    );

    let registry = MavenRegistry::new("https://bob:hunter2@nexus.example.com/repository/public/");
    let request = registry.request("org.example:demo").unwrap();
    assert_eq!(
        request.url,
        "https://nexus.example.com/repository/public/org/example/demo/maven-metadata.xml"
    );
    assert!(
        request
            .headers
            .contains(&("Authorization".into(), "Basic Ym9iOmh1bnRlcjI=".into()))
    );
    assert!(!format!("{registry:?}").contains("hunter2"));
    assert_eq!(
        registry
            .parse("org.example:demo", body.as_bytes())
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn timestamps() {
    assert_eq!(
        maven_timestamp("20240102030405").as_deref(),
        Some("2024-01-02T03:04:05Z")
    );
    for bad in [
        "",
        "2024010203040",
        "202401020304050",
        "20241302030405",
        "2024010203046x",
    ] {
        assert_eq!(maven_timestamp(bad), None, "{bad}");
    }
}

#[test]
fn wrong_or_malformed_documents_are_errors() {
    let registry = MavenRegistry::default();
    let err = registry
        .parse("com.google.guava:failureaccess", &fixture(GUAVA))
        .unwrap_err();
    assert!(
        err.0.contains("describes `com.google.guava:guava`"),
        "{err}"
    );
    for body in [
        &b""[..],
        b"<html><body>Not Found</body></html>",
        b"<metadata><groupId>g</groupId></metadata>",
        b"\xff\xfe<metadata/>",
        b"{\"versions\": []}",
    ] {
        let err = registry.parse("g:a", body).unwrap_err();
        assert!(
            err.0
                .starts_with("https://repo1.maven.org/maven2/g/a/maven-metadata.xml: "),
            "{err}"
        );
    }
}

#[test]
fn every_truncation_is_an_error() {
    for path in [LANG3, GUAVA] {
        let body = fixture(path);
        let end = body.trim_ascii_end().len();
        for cut in 0..end {
            assert!(
                parse_metadata(&body[..cut]).is_err(),
                "{path} cut at {cut} of {end} parsed"
            );
        }
        assert!(parse_metadata(&body[..end]).is_ok());
    }
}
