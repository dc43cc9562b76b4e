//! Tests of the npm datasource against recorded packuments (tests/fixtures/registry/npm, see
//! its README for provenance).

use std::path::PathBuf;

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/npm")
        .join(format!("{name}.json"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn releases(name: &str) -> Vec<Release> {
    NpmRegistry::npmjs().parse(name, &fixture(name)).unwrap()
}

fn find<'a>(releases: &'a [Release], version: &str) -> &'a Release {
    releases
        .iter()
        .find(|r| r.version == version)
        .unwrap_or_else(|| panic!("no {version}"))
}

#[test]
fn packument_urls() {
    let registry = NpmRegistry::npmjs();
    let cases = [
        ("axios", "https://registry.npmjs.org/axios"),
        ("@babel/core", "https://registry.npmjs.org/@babel%2fcore"),
        ("left-pad", "https://registry.npmjs.org/left-pad"),
        ("JSONStream", "https://registry.npmjs.org/JSONStream"),
        ("lodash.merge", "https://registry.npmjs.org/lodash.merge"),
        ("@types/node", "https://registry.npmjs.org/@types%2fnode"),
        ("_underscore", "https://registry.npmjs.org/_underscore"),
    ];
    for (name, url) in cases {
        let request = registry.request(name).unwrap();
        assert_eq!(request.url, url);
        assert_eq!(
            request.headers,
            [("Accept".to_string(), "application/json".to_string())]
        );
    }
    for bad in [
        "", "..", ".hidden", "@scope", "@/x", "@scope/", "a/b", "@a/b/c", "a b", "a%2fb", "ü",
        "a?b", "a#b",
    ] {
        assert!(packument_path(bad).is_err(), "{bad:?} accepted");
    }
    assert!(packument_path(&"a".repeat(215)).is_err());
    assert_eq!(registry.ecosystem(), Ecosystem::Npm);
}

#[test]
fn axios_fixture() {
    let all = releases("axios");
    assert_eq!(all.len(), 148);
    let v = find(&all, "0.21.1");
    // The registry reachable from the recording machine is a mirror whose `time` entries are
    // its own upload times (the public registry says 2020-12-22 for 0.21.1); the test asserts
    // what the recorded bytes say, normalised to RFC 3339 UTC.
    assert_eq!(v.published.as_deref(), Some("2024-12-02T18:34:15.327Z"));
    assert!(!v.yanked && v.deprecated.is_none());
    let packument = parse_packument("axios", &fixture("axios")).unwrap();
    assert_eq!(packument.name.as_deref(), Some("axios"));
    assert_eq!(packument.dist_tags["latest"], "1.21.1");
    assert!(!packument.unpublished);
    let first = &packument.versions[0];
    assert_eq!(first.version, "0.11.0", "document order is kept");
    assert_eq!(
        first.tarball.as_deref(),
        Some("https://registry.npmjs.org/axios/-/axios-0.11.0.tgz")
    );
    assert!(
        first
            .integrity
            .as_deref()
            .is_some_and(|i| i.starts_with("sha512-ofeYJ1HlpKXE6Oa/"))
    );
    assert!(packument.versions.iter().all(|v| v.published.is_some()));
}

#[test]
fn babel_core_ms_left_pad_express_fixtures() {
    let babel = releases("@babel/core");
    assert_eq!(babel.len(), 237);
    assert!(babel.iter().any(|r| r.version == "7.0.0-beta.31"));
    let ms = releases("ms");
    assert_eq!(ms.len(), 32);
    assert!(ms.iter().any(|r| r.version == "2.1.3"));
    let left_pad = releases("left-pad");
    assert_eq!(left_pad.len(), 15);
    // The recorded mirror carries no `deprecated` fields (the public registry deprecates
    // left-pad); the message path is tested with a written-out packument below.
    assert!(left_pad.iter().all(|r| r.deprecated.is_none()));
    let express = releases("express");
    assert_eq!(express.len(), 290);
    assert!(express.iter().any(|r| r.version == "4.17.1"));
    assert_eq!(
        parse_packument("express", &fixture("express"))
            .unwrap()
            .dist_tags["latest"],
        "5.3.0"
    );
}

#[test]
fn deprecated_messages_time_keys_and_escapes() {
    let body = br#"{
        "_id": "left-pad", "name": "left-pad",
        "dist-tags": {"latest": "1.3.0", "weird": 3},
        "versions": {
            "1.2.0": {"name": "left-pad", "version": "1.2.0", "dist": {"tarball": "https://r/left-pad-1.2.0.tgz", "shasum": "abc"}},
            "1.3.0": {"version": "1.3.0", "deprecated": "use String.prototype.padStart() \u2014 \"built in\"", "dist": {"integrity": "sha512-x"}},
            "1.3.1": {"version": "1.3.1", "deprecated": ""}
        },
        "time": {"created": "2014-03-10T07:15:04.000Z", "modified": "2022-06-19T12:00:00.000Z",
                 "1.2.0": "2017-11-06T17:46:41.617Z", "1.3.0": "not a date"}
    }"#;
    let p = parse_packument("left-pad", body).unwrap();
    assert_eq!(p.versions.len(), 3, "created/modified are not versions");
    assert_eq!(
        p.versions[0].published.as_deref(),
        Some("2017-11-06T17:46:41.617Z")
    );
    assert_eq!(p.versions[0].shasum.as_deref(), Some("abc"));
    assert_eq!(p.versions[1].published, None);
    assert_eq!(
        p.versions[1].deprecated.as_deref(),
        Some("use String.prototype.padStart() \u{2014} \"built in\"")
    );
    assert_eq!(
        p.versions[2].deprecated, None,
        "an empty message undeprecates"
    );
    assert_eq!(p.versions[2].published, None);
    assert_eq!(p.dist_tags.len(), 1);
    let releases = NpmRegistry::npmjs().parse("left-pad", body).unwrap();
    assert!(releases[1].deprecated.is_some() && !releases[1].yanked);
}

#[test]
fn unpublished_and_error_documents() {
    let unpublished = br#"{"_id":"gone","name":"gone","time":{"created":"2019-01-01T00:00:00.000Z","modified":"2019-02-01T00:00:00.000Z","unpublished":{"time":"2019-02-01T00:00:00.000Z","versions":["1.0.0"]}}}"#;
    let p = parse_packument("gone", unpublished).unwrap();
    assert!(p.unpublished && p.versions.is_empty());
    assert!(
        NpmRegistry::npmjs()
            .parse("gone", unpublished)
            .unwrap()
            .is_empty()
    );
    let err = parse_packument("nope", br#"{"error":"Not found"}"#).unwrap_err();
    assert!(err.0.contains("Not found"), "{err}");
    let err = parse_packument("ms", br#"{"name":"axios","versions":{}}"#).unwrap_err();
    assert!(err.0.contains("wrong"), "{err}");
    for bad in [&b"[]"[..], b"null", b"", b"<html>", b"{\"versions\":[]}"] {
        assert!(
            parse_packument("x", bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn truncated_fixture_is_an_error_never_a_panic() {
    let body = fixture("ms");
    let step = (body.len() / 1500).max(1);
    for cut in (0..body.len()).step_by(step).chain([body.len() - 1]) {
        let err = parse_packument("ms", &body[..cut]).unwrap_err();
        assert!(err.0.contains("truncated"), "cut at {cut}: {err}");
    }
    // The large fixtures too, at fewer points.
    let body = fixture("axios");
    for cut in (1..body.len()).step_by(body.len() / 97) {
        assert!(
            parse_packument("axios", &body[..cut]).is_err(),
            "cut at {cut}"
        );
    }
}

#[test]
fn large_packuments_parse_fast() {
    let body = fixture("axios");
    let start = std::time::Instant::now();
    for _ in 0..10 {
        assert_eq!(parse_packument("axios", &body).unwrap().versions.len(), 148);
    }
    // ~650 kB ten times; generous for unoptimised test builds on a busy machine.
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn npmrc_registries_scopes_and_tokens() {
    let project = "\
; project settings
registry=https://npm.corp.example/repo/
@corp:registry = \"https://npm.corp.example/scoped\"
//npm.corp.example/repo/:_authToken=${NPM_TOKEN}
//npm.corp.example/scoped/:_authToken=scoped-token
";
    let user = "\
registry=https://ignored.example/
//registry.npmjs.org/:_authToken=public-token
@other:registry=https://other.example/
//other.example/:_auth=dXNlcjpwYXNz
[section]
registry=https://section.example/
";
    let env = |k: &str| (k == "NPM_TOKEN").then(|| "repo-token".to_string());
    let registry = NpmRegistry::from_npmrc(
        Some(("proj/.npmrc", project)),
        Some(("~/.npmrc", user)),
        env,
    )
    .unwrap();
    assert!(registry.warnings().is_empty(), "{:?}", registry.warnings());

    let req = registry.request("axios").unwrap();
    assert_eq!(req.url, "https://npm.corp.example/repo/axios");
    assert_eq!(
        req.headers[1],
        ("Authorization".into(), "Bearer repo-token".into())
    );

    let req = registry.request("@corp/ui").unwrap();
    assert_eq!(req.url, "https://npm.corp.example/scoped/@corp%2fui");
    assert_eq!(req.headers[1].1, "Bearer scoped-token");

    let req = registry.request("@other/x").unwrap();
    assert_eq!(req.url, "https://other.example/@other%2fx");
    assert_eq!(req.headers[1].1, "Basic dXNlcjpwYXNz");

    assert!(!format!("{registry:?}").contains("repo-token"));
}

#[test]
fn tokens_only_for_matching_registries() {
    let rc =
        "//registry.npmjs.org/:_authToken=npm-token\n//npm.corp.example/private/:_authToken=corp\n";
    let registry = NpmRegistry::from_npmrc(Some((".npmrc", rc)), None, no_env).unwrap();
    assert_eq!(
        registry.request("ms").unwrap().headers[1].1,
        "Bearer npm-token"
    );
    // Another registry gets no token, nor does a path that is only a string prefix.
    for (base, expect) in [
        ("https://npm.corp.example/", None),
        ("https://npm.corp.example/private-not/", None),
        ("https://npm.corp.example/private/", Some("Bearer corp")),
        ("https://NPM.CORP.EXAMPLE/private/sub/", Some("Bearer corp")),
        ("https://registry.npmjs.org.evil.example/", None),
    ] {
        let with_env = |k: &str| (k == "NPM_CONFIG_REGISTRY").then(|| base.to_string());
        let r = NpmRegistry::from_npmrc(Some((".npmrc", rc)), None, with_env).unwrap();
        let req = r.request("ms").unwrap();
        let auth = req
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(auth, expect, "{base}");
    }
}

#[test]
fn npmrc_env_expansion_and_warnings() {
    let rc = "\
//a.example/:_authToken=${MISSING}
//b.example/:_authToken=${OPTIONAL?}x
registry=\"https://${HOST}/npm\"
_authToken=bare
//c.example/:username=u
literal=\\${NOT_EXPANDED}
";
    let env = |k: &str| (k == "HOST").then(|| "mirror.example".to_string());
    let r = NpmRegistry::from_npmrc(Some(("p/.npmrc", rc)), None, env).unwrap();
    assert_eq!(r.registry_for("x"), "https://mirror.example/npm/");
    let warnings = r.warnings().join("\n");
    assert!(
        warnings.contains("p/.npmrc:1") && warnings.contains("MISSING"),
        "{warnings}"
    );
    assert!(warnings.contains("bare _authToken"), "{warnings}");
    assert!(warnings.contains("username/_password"), "{warnings}");
    assert!(!warnings.contains("NOT_EXPANDED"), "{warnings}");
    let b = NpmRegistry::from_npmrc(Some(("p", rc)), None, |k| match k {
        "HOST" => Some("b.example".to_string()),
        _ => None,
    })
    .unwrap();
    assert_eq!(b.request("x").unwrap().headers[1].1, "Bearer x");
    assert_eq!(expand("\\${X}", &no_env).unwrap(), "${X}");
    assert_eq!(expand("${unterminated", &no_env).unwrap(), "${unterminated");
    let err = NpmRegistry::from_npmrc(Some(("p", "registry=ftp://x\n")), None, no_env).unwrap_err();
    assert!(err.0.contains("p:1"), "{err}");
}

#[test]
fn from_project_reads_project_then_user_npmrc() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("app");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        project.join(".npmrc"),
        "@corp:registry=https://corp.example/\n",
    )
    .unwrap();
    std::fs::write(
        home.join(".npmrc"),
        "registry=https://user.example/\n@corp:registry=https://loses.example/\n",
    )
    .unwrap();
    let home_str = home.display().to_string();
    let r =
        NpmRegistry::from_project(&project, |k| (k == "HOME").then(|| home_str.clone())).unwrap();
    assert_eq!(r.registry_for("@corp/x"), "https://corp.example/");
    assert_eq!(r.registry_for("x"), "https://user.example/");
    assert_eq!(
        NpmRegistry::from_project(&project, no_env)
            .unwrap()
            .registry_for("x"),
        NPM_REGISTRY
    );
}

/// Opt-in live check: `cargo test -p nanoup-ecosystems -- --ignored live_`.
#[test]
#[ignore = "touches the network (registry.npmjs.org)"]
fn live_npm_ms() {
    let registry = NpmRegistry::npmjs();
    let request = registry.request("ms").unwrap();
    let client = nanoup_http::Client::new(nanoup_http::Config::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fetched = runtime.block_on(client.get(&request.url, None)).unwrap();
    let nanoup_http::Fetched::Body { bytes, .. } = fetched else {
        panic!("unconditional GET answered 304");
    };
    let releases = registry.parse("ms", &bytes).unwrap();
    assert!(releases.iter().any(|r| r.version == "2.1.3"));
}

#[test]
fn dependency_ranges_reads_an_old_release_whose_dependencies_are_a_list() {
    // mime 1.0.0 on the registry declares `"dependencies": []` (2011), beside later releases
    // with a map: the list declares nothing, and the other releases still read.
    let body = br#"{"name":"mime","versions":{
        "1.0.0":{"name":"mime","version":"1.0.0","dependencies":[]},
        "4.1.2":{"name":"mime","version":"4.1.2","dependencies":{"a":"^1.0.0"},
                 "peerDependencies":{"b":"2"}}}}"#;
    let ranges = dependency_ranges("mime", body).unwrap();
    assert_eq!(ranges["1.0.0"], Vec::<(String, String)>::new());
    assert_eq!(
        ranges["4.1.2"],
        vec![
            ("a".to_string(), "^1.0.0".to_string()),
            ("b".to_string(), "2".to_string())
        ]
    );
}
