//! Tests of the PyPI datasource against responses recorded from pypi.org
//! (tests/fixtures/registry/pypi, see its README and scripts/record-pypi-fixtures.sh).

use std::collections::{BTreeMap, BTreeSet};

use super::*;

fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/pypi")
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

fn release<'a>(releases: &'a [Release], version: &str) -> &'a Release {
    releases
        .iter()
        .find(|r| r.version == version)
        .unwrap_or_else(|| panic!("no release {version}"))
}

#[test]
fn flask_json_api_gives_upload_date_and_hashes() {
    let registry = PypiRegistry::default();
    let releases = registry
        .parse("Flask", &fixture("json/flask.json"))
        .unwrap();
    // Counts grow when the fixtures are re-recorded; past releases stay.
    assert!(releases.len() >= 64);
    let r = release(&releases, "2.2.5");
    // The wheel (14:42:34) was uploaded before the sdist (14:42:36): the earliest counts.
    assert_eq!(r.published.as_deref(), Some("2023-05-02T14:42:34.858087Z"));
    assert!(!r.yanked);
    assert_eq!(r.deprecated, None);
    let first = release(&releases, "0.1");
    assert_eq!(
        first.published.as_deref(),
        Some("2010-04-16T14:29:37.458396Z")
    );

    let files = parse_files(&fixture("json/flask.json")).unwrap();
    let files = &files["2.2.5"];
    assert_eq!(files.len(), 2);
    let wheel = files
        .iter()
        .find(|f| f.filename == "Flask-2.2.5-py3-none-any.whl")
        .unwrap();
    assert_eq!(
        wheel.sha256.as_deref(),
        Some("58107ed83443e86067e41eff4631b058178191a355886f8e479e347fa1285fdf")
    );
    assert_eq!(wheel.requires_python.as_deref(), Some(">=3.7"));
    assert!(
        wheel
            .url
            .as_deref()
            .unwrap()
            .starts_with("https://files.pythonhosted.org/")
    );
    let sdist = files
        .iter()
        .find(|f| f.filename == "Flask-2.2.5.tar.gz")
        .unwrap();
    assert_eq!(
        sdist.sha256.as_deref(),
        Some("edee9b0a7ff26621bd5a8c10ff484ae28737a2410d99b0bb9a6850c7fb977aa0")
    );
}

#[test]
fn requests_yanked_releases_and_empty_versions() {
    let body = fixture("json/requests.json");
    let releases = PypiRegistry::default().parse("requests", &body).unwrap();
    for yanked in ["2.32.0", "2.32.1"] {
        assert!(
            release(&releases, yanked).yanked,
            "{yanked} is yanked on PyPI"
        );
    }
    assert!(!release(&releases, "2.32.2").yanked);
    assert!(!release(&releases, "2.31.0").yanked);
    let files = parse_files(&body).unwrap();
    assert_eq!(
        files["2.32.0"][0].yanked_reason.as_deref(),
        Some("Yanked due to conflicts with CVE-2024-35195 mitigation")
    );
    // PyPI keeps three versions whose files were all deleted: nothing installable, skipped.
    for empty in ["0.0.1", "0.12.01", "2.15.0"] {
        assert!(files[empty].is_empty());
        assert!(
            releases.iter().all(|r| r.version != empty),
            "{empty} skipped"
        );
    }
    assert!(files.len() >= 163);
    assert_eq!(releases.len(), files.len() - 3);
}

#[test]
fn six_single_release_dates() {
    let releases = PypiRegistry::default()
        .parse("six", &fixture("json/six.json"))
        .unwrap();
    assert!(releases.len() >= 29);
    assert_eq!(
        release(&releases, "1.16.0").published.as_deref(),
        Some("2021-05-05T14:18:17.237677Z")
    );
}

#[test]
fn simple_api_agrees_with_json_api() {
    for name in ["flask", "requests"] {
        let json = PypiRegistry::default()
            .parse(name, &fixture(&format!("json/{name}.json")))
            .unwrap();
        let simple = PypiRegistry::simple_api("https://pypi.org/simple/")
            .parse(name, &fixture(&format!("simple/{name}.json")))
            .unwrap();
        assert_eq!(json, simple, "{name}: both APIs describe the same releases");
        let json_files = parse_files(&fixture(&format!("json/{name}.json"))).unwrap();
        let simple_files = parse_files(&fixture(&format!("simple/{name}.json"))).unwrap();
        let hashes = |files: &BTreeMap<String, Vec<DistFile>>| -> BTreeSet<(String, String, Option<String>)> {
            files
                .iter()
                .flat_map(|(v, fs)| fs.iter().map(move |f| (v.clone(), f.filename.clone(), f.sha256.clone())))
                .collect()
        };
        assert_eq!(
            hashes(&json_files),
            hashes(&simple_files),
            "{name}: every file attributed to its version"
        );
    }
    let simple = parse_files(&fixture("simple/requests.json")).unwrap();
    assert!(simple["2.32.1"].iter().all(|f| f.yanked));
    assert_eq!(
        simple["2.32.1"][0].yanked_reason.as_deref(),
        Some("Yanked due to conflicts with CVE-2024-35195 mitigation")
    );
}

#[test]
fn request_urls_normalise_names() {
    let registry = PypiRegistry::default();
    let request = registry.request("Zope.Interface").unwrap();
    assert_eq!(request.url, "https://pypi.org/pypi/zope-interface/json");
    assert!(request.headers.iter().all(|(k, _)| k != "Authorization"));
    assert_eq!(
        PypiRegistry::simple_api("https://pypi.example.com/simple")
            .request("Flask_SQLAlchemy")
            .unwrap(),
        RegistryRequest {
            url: "https://pypi.example.com/simple/flask-sqlalchemy/".into(),
            headers: vec![("Accept".into(), SIMPLE_JSON_ACCEPT.into())],
        }
    );
    assert!(registry.request("").is_err());
    assert!(registry.request("../etc/passwd").is_err());
    assert!(registry.request("a b").is_err());
}

#[test]
fn environment_chooses_the_api() {
    assert_eq!(
        PypiRegistry::from_env(env(&[])).api(),
        &PypiApi::Json {
            base: PYPI_BASE.into()
        }
    );
    for pypi in [
        "https://pypi.org/simple",
        "https://pypi.org/simple/",
        "https://PyPI.org/simple/ ",
        "",
    ] {
        assert_eq!(
            PypiRegistry::from_env(env(&[("PIP_INDEX_URL", pypi)])).api(),
            &PypiApi::Json {
                base: PYPI_BASE.into()
            },
            "{pypi:?}"
        );
    }
    assert_eq!(
        PypiRegistry::from_env(env(&[("PIP_INDEX_URL", "https://test.pypi.org/simple/")])).api(),
        &PypiApi::Json {
            base: "https://test.pypi.org".into()
        }
    );
    assert_eq!(
        PypiRegistry::from_env(env(&[(
            "UV_DEFAULT_INDEX",
            "http://127.0.0.1:8080/simple/"
        )]))
        .api(),
        &PypiApi::Simple {
            index: "http://127.0.0.1:8080/simple".into()
        }
    );
    // PIP_INDEX_URL wins over uv's variable; PIP_EXTRA_INDEX_URL is not consulted.
    let registry = PypiRegistry::from_env(env(&[
        ("PIP_INDEX_URL", "https://a.example/simple"),
        ("UV_DEFAULT_INDEX", "https://b.example/simple"),
        ("PIP_EXTRA_INDEX_URL", "https://c.example/simple"),
    ]));
    assert_eq!(
        registry.api(),
        &PypiApi::Simple {
            index: "https://a.example/simple".into()
        }
    );
}

#[test]
fn credentials_move_from_the_url_to_a_header() {
    let registry = PypiRegistry::from_env(env(&[(
        "PIP_INDEX_URL",
        "https://alice:s%40cret@nexus.example.com/repository/pypi/simple/",
    )]));
    assert!(registry.has_credentials());
    let request = registry.request("requests").unwrap();
    assert_eq!(
        request.url,
        "https://nexus.example.com/repository/pypi/simple/requests/"
    );
    // base64("alice:s@cret")
    assert!(
        request
            .headers
            .contains(&("Authorization".into(), "Basic YWxpY2U6c0BjcmV0".into()))
    );
    let shown = format!("{registry:?}");
    assert!(
        !shown.contains("s@cret")
            && !shown.contains("YWxpY2U6c0BjcmV0")
            && !shown.contains("alice"),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"));

    // A token alone is the user name with an empty password, as pip sends it.
    let (url, auth) = split_credentials("https://tok3n@host.example/simple");
    assert_eq!(url, "https://host.example/simple");
    assert_eq!(auth.as_deref(), Some("Basic dG9rM246"));
    // An `@` in the path is not userinfo.
    let (url, auth) = split_credentials("https://host.example/simple/@scope/");
    assert_eq!(
        (url.as_str(), auth),
        ("https://host.example/simple/@scope/", None)
    );
    // Errors never carry the credentials either.
    let err = PypiRegistry::simple_api("https://u:pw@h.example/simple")
        .parse("x", b"{")
        .unwrap_err();
    assert!(
        err.0.contains("https://h.example/simple/x/") && !err.0.contains("pw"),
        "{err}"
    );
}

#[test]
fn base64_matches_rfc_4648_vectors() {
    for (plain, encoded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(plain.as_bytes()), encoded);
    }
}

#[test]
fn file_names_give_versions() {
    let listed: BTreeSet<String> = ["5.4", "5.4.0", "2.8.2", "1.0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let cases = [
        (
            "zope.interface",
            "zope.interface-5.4.0.tar.gz",
            Some("5.4.0"),
        ),
        (
            "zope.interface",
            "zope_interface-5.4.0-cp39-cp39-manylinux1_x86_64.whl",
            Some("5.4.0"),
        ),
        (
            "Zope.Interface",
            "zope.interface-5.4.0-py3.9-linux-x86_64.egg",
            Some("5.4.0"),
        ),
        (
            "python-dateutil",
            "python-dateutil-2.8.2.tar.gz",
            Some("2.8.2"),
        ),
        (
            "python-dateutil",
            "python_dateutil-2.8.2-py2.py3-none-any.whl",
            Some("2.8.2"),
        ),
        ("foo", "foo-1.0.win32.exe", Some("1.0")),
        ("foo", "bar-1.0.tar.gz", None),
        ("foo", "foo.tar.gz", None),
    ];
    for (project, file, expected) in cases {
        assert_eq!(
            version_of_file(project, file, Some(&listed)).as_deref(),
            expected,
            "{project} {file}"
        );
    }
    // Without PEP 700 `versions`, the name alone decides.
    assert_eq!(
        version_of_file("python-dateutil", "python-dateutil-2.8.2.tar.gz", None).as_deref(),
        Some("2.8.2")
    );
    assert_eq!(
        version_of_file("foo", "foo-1.0-py3-none-any.whl", None).as_deref(),
        Some("1.0")
    );
}

#[test]
fn simple_api_without_versions_key() {
    // PEP 691 api-version 1.0 (no PEP 700 `versions`, no upload times).
    let body = br#"{"meta":{"api-version":"1.0"},"name":"demo","files":[
        {"filename":"demo-1.0.tar.gz","url":"https://x/demo-1.0.tar.gz","hashes":{"sha256":"AB12"}},
        {"filename":"demo-1.1-py3-none-any.whl","url":"https://x/w","hashes":{},"yanked":true},
        {"filename":"demo-1.1.tar.gz","url":"https://x/s","hashes":{},"yanked":"broken"}]}"#;
    let releases = PypiRegistry::simple_api("https://x/simple")
        .parse("demo", body)
        .unwrap();
    assert_eq!(
        releases,
        vec![
            Release {
                version: "1.0".into(),
                published: None,
                yanked: false,
                deprecated: None,
                requires_python: None,
            },
            Release {
                version: "1.1".into(),
                published: None,
                yanked: true,
                deprecated: None,
                requires_python: None,
            },
        ]
    );
    assert_eq!(
        parse_files(body).unwrap()["1.0"][0].sha256.as_deref(),
        Some("ab12")
    );
}

#[test]
fn partly_yanked_release_is_not_yanked() {
    let body = br#"{"name":"demo","versions":["1.0"],"files":[
        {"filename":"demo-1.0.tar.gz","url":"u","hashes":{},"yanked":"bad sdist","upload-time":"2020-01-01T00:00:01Z"},
        {"filename":"demo-1.0-py3-none-any.whl","url":"u","hashes":{},"yanked":false,"upload-time":"2020-01-01T00:00:00.500Z"}]}"#;
    let releases = PypiRegistry::default().parse("demo", body).unwrap();
    assert!(!releases[0].yanked);
    assert_eq!(
        releases[0].published.as_deref(),
        Some("2020-01-01T00:00:00.500Z")
    );
}

#[test]
fn upload_times_order_by_instant_not_text() {
    assert!(time_key("2020-01-01T00:00:36Z") < time_key("2020-01-01T00:00:36.5Z"));
    assert!(time_key("2020-01-01T00:00:36.5Z") < time_key("2020-01-01T00:00:37Z"));
    assert!(time_key("2020-01-01T00:00:36.123456Z") < time_key("2020-01-01T00:00:36.5+00:00"));
    assert!(time_key("2020-01-01T00:00:36Z") < time_key("garbage"));
}

#[test]
fn bad_bodies_are_errors_naming_the_place() {
    let registry = PypiRegistry::default();
    let html = registry
        .parse(
            "flask",
            b"<!DOCTYPE html><html><body><a href='x'>flask-1.0.tar.gz</a>",
        )
        .unwrap_err();
    assert!(
        html.0.contains("PEP 691") && html.0.contains("https://pypi.org/pypi/flask/json"),
        "{html}"
    );
    for body in [
        &b""[..],
        b"[]",
        b"{}",
        b"null",
        b"{\"releases\": []}",
        b"{\"files\": {}}",
        b"{\"releases\": {\"1\": [{}]}}",
    ] {
        let err = registry.parse("flask", body).unwrap_err();
        assert!(
            err.0.starts_with("https://pypi.org/pypi/flask/json: "),
            "{err}"
        );
    }
}

#[test]
fn every_truncation_of_a_recorded_body_is_an_error() {
    for path in [
        "json/flask.json",
        "json/six.json",
        "simple/flask.json",
        "simple/requests.json",
    ] {
        let body = fixture(path);
        let end = body.trim_ascii_end().len();
        let step = (end / 300).max(1);
        for cut in (0..end).step_by(step).chain([end - 1]) {
            let result = PypiRegistry::default().parse("x", &body[..cut]);
            assert!(result.is_err(), "{path} cut at {cut} of {end} parsed");
        }
        assert!(PypiRegistry::default().parse("x", &body[..end]).is_ok());
    }
}

/// The opt-in live suite: `cargo test -p nanoup-ecosystems -- --ignored live_`.
#[test]
#[ignore = "talks to pypi.org"]
fn live_pypi_json_and_simple() {
    let client = nanoup_http::Client::new(nanoup_http::Config::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for registry in [
        PypiRegistry::default(),
        PypiRegistry::simple_api("https://pypi.org/simple/"),
    ] {
        let request = registry.request("Flask").unwrap();
        let mut http = nanoup_http::Request::new(request.url.clone());
        for (name, value) in &request.headers {
            http = http.with_header(name.clone(), value.clone());
        }
        let fetched = runtime.block_on(client.get_with(&http, None)).unwrap();
        let nanoup_http::Fetched::Body { bytes, .. } = fetched else {
            panic!("unconditional GET answered 304");
        };
        let releases = registry.parse("Flask", &bytes).unwrap();
        let r = release(&releases, "2.2.5");
        assert_eq!(r.published.as_deref(), Some("2023-05-02T14:42:34.858087Z"));
    }
}

#[test]
fn the_json_api_asks_per_version_and_the_simple_api_does_not() {
    let registry = PypiRegistry::json_api("https://user:pw@pypi.example");
    let asked = registry
        .release_request("Zope.Interface", "5.4.0")
        .unwrap()
        .unwrap();
    assert_eq!(
        asked.request.url,
        "https://pypi.example/pypi/zope-interface/5.4.0/json"
    );
    assert!(asked.package_answer_serves);
    assert!(
        asked
            .request
            .headers
            .iter()
            .any(|(k, v)| k == "Authorization" && v.starts_with("Basic "))
    );
    for bad in ["", "1.0/../x", "1.0?x", "1 0"] {
        assert!(registry.release_request("flask", bad).is_err(), "{bad:?}");
    }
    let simple = PypiRegistry::simple_api("https://pypi.example/simple/");
    assert_eq!(simple.release_request("flask", "3.1.3").unwrap(), None);
    // NANOUP_PYPI_JSON_API names a JSON API and wins over the index variables.
    let configured = PypiRegistry::from_env(env(&[
        (JSON_API_VAR, "http://127.0.0.1:9/"),
        ("PIP_INDEX_URL", "https://pypi.example/simple/"),
    ]));
    assert_eq!(
        configured.api(),
        &PypiApi::Json {
            base: "http://127.0.0.1:9".into()
        }
    );
}

#[test]
fn a_per_version_answer_gives_its_files_and_metadata() {
    // Derived from the recorded project answer (see the fixtures' README).
    let body = fixture("json/flask/3.1.3.json");
    let files = parse_files(&body).unwrap();
    assert_eq!(files.keys().collect::<Vec<_>>(), ["3.1.3"]);
    let project = parse_files(&fixture("json/flask.json")).unwrap();
    assert_eq!(files.get("3.1.3"), project.get("3.1.3"), "the same files");
    let metadata = release_metadata(&body, "3.1.3").unwrap();
    assert_eq!(metadata.requires_python.as_deref(), Some(">=3.9"));
    assert!(
        metadata
            .requires_dist
            .as_ref()
            .unwrap()
            .contains(&"markupsafe>=2.1.1".to_string())
    );
    // The project answer's `info` is the newest release's: it answers for 3.1.3 (spelled
    // otherwise too), not for another release.
    let project = fixture("json/flask.json");
    assert!(release_metadata(&project, "3.1.3.0").is_some());
    assert!(release_metadata(&project, "3.1.2").is_none());
    assert!(release_metadata(&fixture("simple/flask.json"), "3.1.3").is_none());
    // six's PyPI metadata has no requires_dist.
    let six = release_metadata(&fixture("json/six.json"), "1.17.0").unwrap();
    assert_eq!(six.requires_dist, None);
    // Truncations never panic and never invent files.
    for cut in 0..body.len() {
        if let Ok(files) = parse_files(&body[..cut]) {
            assert!(files.values().all(|f| f.len() <= 2), "cut at {cut}");
        }
        let _ = release_metadata(&body[..cut], "3.1.3");
    }
}

const FLASK_311_METADATA: &str = "files/packages/3d/68/9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/flask-3.1.1-py3-none-any.whl.metadata";

#[test]
fn a_wheels_core_metadata_gives_the_releases_dependencies() {
    let metadata = parse_core_metadata(&fixture(FLASK_311_METADATA)).unwrap();
    assert_eq!(metadata.version, "3.1.1");
    assert_eq!(metadata.requires_python.as_deref(), Some(">=3.9"));
    assert_eq!(
        metadata.summary.as_deref(),
        Some("A simple framework for building complex web applications.")
    );
    let requires = metadata.requires_dist.clone().unwrap();
    assert_eq!(requires.len(), 9, "{requires:?}");
    assert!(requires.contains(&"importlib-metadata>=3.6.0; python_version < '3.10'".to_string()));
    assert!(requires.contains(&"asgiref>=3.2 ; extra == \"async\"".to_string()));

    // The project answer describes 3.1.3; completed, it describes 3.1.1 and keeps its files.
    let project = fixture("json/flask.json");
    assert!(release_metadata(&project, "3.1.1").is_none());
    let completed = with_release_info(&project, "3.1.1", &metadata).unwrap();
    assert_eq!(
        release_metadata(&completed, "3.1.1"),
        Some(metadata.clone())
    );
    assert_eq!(
        parse_files(&completed).unwrap(),
        parse_files(&project).unwrap()
    );
    // Metadata of another version is not folded in.
    assert!(with_release_info(&project, "3.1.0", &metadata).is_err());
}

#[test]
fn the_core_metadata_asked_for_is_a_pure_python_wheels_of_that_release() {
    let project = fixture("json/flask.json");
    let base = "https://pypi.org/pypi/flask/json";
    assert_eq!(
        core_metadata_url(&project, "3.1.1", base).as_deref(),
        Some(
            "https://files.pythonhosted.org/packages/3d/68/9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/flask-3.1.1-py3-none-any.whl.metadata"
        )
    );
    // The same from the PEP 691 simple index, and nothing for a release that does not exist.
    let simple = fixture("simple/flask.json");
    assert_eq!(
        core_metadata_url(&simple, "3.1.1", "https://pypi.org/simple/flask/"),
        core_metadata_url(&project, "3.1.1", base)
    );
    assert_eq!(core_metadata_url(&project, "99.0", base), None);
    // A mirror that writes file URLs relative to its answer (as the PyPI this was run against
    // does: `../../packages/packages/...`): resolved against the answer's URL.
    let relative = String::from_utf8(project.clone()).unwrap().replace(
        "https://files.pythonhosted.org/packages/",
        "../../packages/packages/",
    );
    assert_eq!(
        core_metadata_url(relative.as_bytes(), "3.1.1", base).as_deref(),
        Some(
            "https://pypi.org/packages/packages/3d/68/9d4508e893976286d2ead7f8f571314af6c2037af34853a30fd769c02e9d/flask-3.1.1-py3-none-any.whl.metadata"
        )
    );
    // The datasource asks for it only when the answer lacks the release's dependencies.
    let registry = PypiRegistry::from_env(env(&[]));
    assert!(
        registry
            .completion_request("flask", "3.1.3", &project)
            .is_none()
    );
    let asked = registry
        .completion_request("flask", "3.1.1", &project)
        .unwrap();
    assert!(asked.url.ends_with("flask-3.1.1-py3-none-any.whl.metadata"));
    assert!(asked.headers.is_empty());
}

#[test]
fn damaged_core_metadata_is_an_error_not_a_panic() {
    let whole = fixture(FLASK_311_METADATA);
    for bytes in [
        &b""[..],
        &b"\xff\xfe\x00garbage"[..],
        &b"<html>not found</html>"[..],
        &whole[..20],
    ] {
        assert!(parse_core_metadata(bytes).is_err(), "{bytes:?}");
    }
    // Cut anywhere: an answer or an error, never a panic.
    for end in 0..whole.len() {
        if let Ok(metadata) = parse_core_metadata(&whole[..end]) {
            assert!(
                "3.1.1".starts_with(&metadata.version),
                "{end}: {metadata:?}"
            );
        }
    }
}
