//! Tests of the Go module proxy datasource. proxy.golang.org is not reachable from where this
//! was written: the fixtures (tests/fixtures/registry/go) are hand-written from the documented
//! protocol, not recorded.

use std::collections::BTreeMap;

use super::*;

fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/go")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key: &str| map.get(key).cloned()
}

#[test]
fn capitals_are_escaped() {
    assert_eq!(
        escape_module_path("github.com/BurntSushi/toml").unwrap(),
        "github.com/!burnt!sushi/toml"
    );
    assert_eq!(
        escape_module_path("golang.org/x/text").unwrap(),
        "golang.org/x/text"
    );
    let request = GoProxy::default()
        .request("github.com/BurntSushi/toml")
        .unwrap();
    assert_eq!(
        request.url,
        "https://proxy.golang.org/github.com/!burnt!sushi/toml/@v/list"
    );
    assert!(request.headers.is_empty());
    assert_eq!(
        GoProxy::default()
            .info_request("github.com/Azure/azure-sdk-for-go", "v1.0.0-RC1")
            .unwrap()
            .url,
        "https://proxy.golang.org/github.com/!azure/azure-sdk-for-go/@v/v1.0.0-!r!c1.info"
    );
    for bad in [
        "",
        "/x",
        "x/",
        "a//b",
        "a/../b",
        "has space/x",
        "bang!/x",
        "q?x",
        "a\nb",
    ] {
        assert!(escape_module_path(bad).is_err(), "{bad:?}");
    }
    assert!(GoProxy::default().info_request("a/b", "../x").is_err());
}

#[test]
fn list_fixture_gives_versions_without_dates() {
    let proxy = GoProxy::default();
    let body = fixture("github.com/!burnt!sushi/toml/@v/list");
    let releases = proxy.parse("github.com/BurntSushi/toml", &body).unwrap();
    assert_eq!(releases.len(), 14);
    assert_eq!(releases[0].version, "v1.2.0", "the proxy's order is kept");
    assert!(releases.iter().any(|r| r.version == "v1.4.0"));
    assert!(releases.iter().all(|r| r.published.is_none() && !r.yanked));
}

#[test]
fn info_gives_the_time() {
    let info = parse_info(&fixture("github.com/!burnt!sushi/toml/@v/v1.3.2.info")).unwrap();
    assert_eq!(
        info,
        GoVersionInfo {
            version: "v1.3.2".into(),
            time: Some("2023-06-08T06:10:50Z".into()),
        }
    );
    assert_eq!(parse_info(br#"{"Version":"v0.1.0"}"#).unwrap().time, None);
    for bad in [
        &b""[..],
        b"{",
        b"[]",
        br#"{"Time":"2020-01-01T00:00:00Z"}"#,
        br#"{"Version":"latest"}"#,
    ] {
        assert!(
            parse_info(bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn list_parsing_follows_the_go_command() {
    let body = b"v1.0.0\r\nv1.1.0 extra-field\n\nv1.0.0\nnot-a-version\nv0.0.0-20191109021931-daa7c04131f5\n\
        v1.2.4-0.20191109021931-daa7c04131f5\nv2.0.0+incompatible\nv1.0.0-rc.1\n";
    assert_eq!(
        parse_list(body).unwrap(),
        ["v1.0.0", "v1.1.0", "v2.0.0+incompatible", "v1.0.0-rc.1"]
    );
    assert_eq!(parse_list(b"").unwrap(), Vec::<String>::new());
    for bad in [
        &b"<html>404 page not found</html>"[..],
        b"{\"versions\":[]}",
        b"v1.0.0\n\xff",
    ] {
        let err = GoProxy::default().parse("a.b/c", bad).unwrap_err();
        assert!(
            err.0
                .starts_with("https://proxy.golang.org/a.b/c/@v/list: "),
            "{err}"
        );
    }
}

#[test]
fn pseudo_versions() {
    for pseudo in [
        "v0.0.0-20191109021931-daa7c04131f5",
        "v1.2.4-0.20191109021931-daa7c04131f5",
        "v1.2.3-pre.0.20191109021931-daa7c04131f5",
        "v2.0.0-20191109021931-daa7c04131f5+incompatible",
    ] {
        assert!(is_pseudo_version(pseudo), "{pseudo}");
    }
    for release in [
        "v1.0.0",
        "v1.0.0-rc1",
        "v1.0.0-beta.20191109",
        "v1.2.3-abcdefabcdef",
    ] {
        assert!(!is_pseudo_version(release), "{release}");
    }
}

#[test]
fn truncated_lists_never_invent_versions() {
    // A cut list is a shorter list (the format cannot tell): every version read from a prefix
    // is a prefix of a version of the whole list, and nothing panics.
    let body = fixture("github.com/!burnt!sushi/toml/@v/list");
    let whole = parse_list(&body).unwrap();
    for cut in 0..body.len() {
        let versions = parse_list(&body[..cut]).unwrap();
        assert!(
            versions
                .iter()
                .all(|v| whole.iter().any(|w| w.starts_with(v.as_str())))
        );
    }
    let info = fixture("github.com/!burnt!sushi/toml/@v/v1.3.2.info");
    for cut in 0..info.len() {
        assert!(parse_info(&info[..cut]).is_err(), "info cut at {cut}");
    }
}

#[test]
fn goproxy_environment() {
    assert_eq!(
        GoProxy::from_env(env(&[])).unwrap().base(),
        "https://proxy.golang.org"
    );
    assert_eq!(
        GoProxy::from_env(env(&[("GOPROXY", " https://athens.example.com/ ,direct")]))
            .unwrap()
            .base(),
        "https://athens.example.com"
    );
    assert_eq!(
        GoProxy::from_env(env(&[("GOPROXY", "goproxy.example.com|https://b")]))
            .unwrap()
            .base(),
        "https://goproxy.example.com"
    );
    for refused in ["direct", "off", "direct,https://proxy.golang.org"] {
        let err = GoProxy::from_env(env(&[("GOPROXY", refused)])).unwrap_err();
        assert!(err.0.contains("set GOPROXY to a proxy URL"), "{err}");
    }

    let proxy = GoProxy::from_env(env(&[
        ("GOPROXY", "https://me:t0ken@goproxy.corp.example/"),
        ("GOPRIVATE", "*.corp.example,github.com/acme"),
    ]))
    .unwrap();
    let request = proxy.request("github.com/BurntSushi/toml").unwrap();
    assert_eq!(
        request.url,
        "https://goproxy.corp.example/github.com/!burnt!sushi/toml/@v/list"
    );
    assert_eq!(
        request.headers,
        [(
            "Authorization".to_string(),
            "Basic bWU6dDBrZW4=".to_string()
        )]
    );
    assert!(!format!("{proxy:?}").contains("t0ken"));
    for private in [
        "git.corp.example/team/x",
        "github.com/acme/tool",
        "github.com/acme",
    ] {
        let err = proxy.request(private).unwrap_err();
        assert!(err.0.contains("GONOPROXY/GOPRIVATE"), "{err}");
    }
    assert!(proxy.request("github.com/acmeco/tool").is_ok());
    // GONOPROXY overrides GOPRIVATE.
    let proxy = GoProxy::from_env(env(&[
        ("GOPRIVATE", "github.com/acme"),
        ("GONOPROXY", "none.example"),
    ]))
    .unwrap();
    assert!(proxy.request("github.com/acme/tool").is_ok());
}

#[test]
fn glob_patterns() {
    assert!(matches_pattern("*.corp.example", "git.corp.example/x/y"));
    assert!(!matches_pattern("*.corp.example", "corp.example/x"));
    assert!(matches_pattern("github.com/a?me", "github.com/acme/x"));
    assert!(!matches_pattern(
        "github.com/acme/tool/sub",
        "github.com/acme/tool"
    ));
    assert!(matches_pattern("*", "anything/at/all"));
}
