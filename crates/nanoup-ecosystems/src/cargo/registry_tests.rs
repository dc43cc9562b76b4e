//! Tests of the crates.io datasource against recorded sparse index files
//! (tests/fixtures/registry/crates.io, see its README for provenance).

use std::path::PathBuf;

use super::*;

fn fixture(index_path: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/registry/crates.io")
        .join(index_path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn releases(name: &str) -> Vec<Release> {
    let body = fixture(&index_path(name).unwrap());
    CargoRegistry::crates_io().parse(name, &body).unwrap()
}

fn find<'a>(releases: &'a [Release], version: &str) -> &'a Release {
    releases
        .iter()
        .find(|r| r.version == version)
        .unwrap_or_else(|| panic!("no {version}"))
}

#[test]
fn index_paths_follow_cargo_rules() {
    let cases = [
        ("a", "1/a"),
        ("A", "1/a"),
        ("ab", "2/ab"),
        ("abc", "3/a/abc"),
        ("Abc", "3/a/abc"),
        ("time", "ti/me/time"),
        ("serde", "se/rd/serde"),
        ("smallvec", "sm/al/smallvec"),
        ("Inflector", "in/fl/inflector"),
        ("serde_json", "se/rd/serde_json"),
        ("proc-macro2", "pr/oc/proc-macro2"),
        ("x-_", "3/x/x-_"),
    ];
    for (name, path) in cases {
        assert_eq!(index_path(name).unwrap(), path, "{name}");
    }
    for bad in ["", "../etc", "a/b", "é", "a b", "a?x=1", &"x".repeat(65)] {
        let err = index_path(bad).unwrap_err();
        assert!(err.0.contains("not a valid crate name"), "{bad}: {err}");
    }
}

#[test]
fn request_urls_and_no_token_for_crates_io() {
    let registry = CargoRegistry::crates_io();
    let request = registry.request("Serde").unwrap();
    assert_eq!(request.url, "https://index.crates.io/se/rd/serde");
    assert!(request.headers.is_empty());
    assert_eq!(registry.ecosystem(), Ecosystem::Cargo);
    let local = CargoRegistry::sparse("replay", "http://127.0.0.1:8080/index", None).unwrap();
    assert_eq!(
        local.request("a").unwrap().url,
        "http://127.0.0.1:8080/index/1/a"
    );
    assert!(CargoRegistry::sparse("x", "ftp://host/", None).is_err());
}

#[test]
fn smallvec_fixture() {
    let all = releases("smallvec");
    assert_eq!(all.len(), 89);
    let v = find(&all, "1.6.1");
    assert!(!v.yanked);
    assert_eq!(v.published.as_deref(), Some("2021-01-08T17:34:20Z"));
    assert!(find(&all, "0.3.2").yanked);
    assert_eq!(all.iter().filter(|r| r.yanked).count(), 20);
    assert!(all.iter().all(|r| r.deprecated.is_none()));
    // The index's order (oldest first) is kept.
    assert_eq!(all[0].version, "0.1.0");
    let entries = parse_index("smallvec", &fixture("sm/al/smallvec")).unwrap();
    let e = entries.iter().find(|e| e.version == "1.6.1").unwrap();
    assert_eq!(
        e.cksum.as_deref(),
        Some("fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604e")
    );
    assert_eq!(e.rust_version, None);
    let alpha = entries
        .iter()
        .find(|e| e.version == "2.0.0-alpha.1")
        .unwrap();
    assert_eq!(alpha.rust_version.as_deref(), Some("1.57"));
}

#[test]
fn serde_time_tokio_and_a_fixtures() {
    let serde = releases("serde");
    assert!(serde.len() > 200, "{}", serde.len());
    assert_eq!(serde.len(), 316);
    assert!(find(&serde, "1.0.95").yanked);
    assert!(!find(&serde, "1.0.100").yanked);
    let time = releases("time");
    assert_eq!(time.len(), 135);
    assert!(find(&time, "0.2.5").yanked);
    let tokio = releases("tokio");
    assert_eq!(tokio.len(), 201);
    assert!(find(&tokio, "1.39.0").yanked);
    assert_eq!(
        find(&tokio, "1.54.1").published.as_deref(),
        Some("2026-10-21T21:05:43Z")
    );
    let a = releases("a");
    assert_eq!(
        a.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(),
        ["0.1.0", "0.1.1"]
    );
}

#[test]
fn lines_without_pubtime_have_no_publication_time() {
    // Older crates.io entries have no `pubtime` (the index recorded here has it on every line,
    // so this shape is written out).
    let body = concat!(
        r#"{"name":"smallvec","vers":"0.1.0","deps":[],"cksum":"541ac5acba6d256edf2d802cf6485bd4a88669dc151866d6bfbcb3be533ea78f","features":{},"yanked":false}"#,
        "\n",
        r#"{"name":"smallvec","vers":"1.6.1","deps":[],"cksum":"fe","features":{},"yanked":true,"rust_version":"1.36","pubtime":"2021-01-08T17:34:20Z","v":2}"#,
        "\n\n",
    );
    let entries = parse_index("smallvec", body.as_bytes()).unwrap();
    assert_eq!(entries[0].published, None);
    assert!(!entries[0].yanked);
    assert_eq!(
        entries[1].published.as_deref(),
        Some("2021-01-08T17:34:20Z")
    );
    assert!(entries[1].yanked);
    assert_eq!(entries[1].rust_version.as_deref(), Some("1.36"));
    // CRLF and a missing final newline are fine too.
    let crlf = body.replace('\n', "\r\n");
    assert_eq!(
        parse_index("smallvec", crlf.trim_end().as_bytes())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn malformed_lines_name_their_number() {
    let body = b"{\"name\":\"a\",\"vers\":\"0.1.0\",\"cksum\":\"x\"}\n{\"name\":\"a\",\"vers\":\n";
    let err = parse_index("a", body).unwrap_err();
    assert!(err.0.contains("line 2"), "{err}");
    let err = parse_index("a", b"\n{\"vers\":\"1.0.0\"}\n").unwrap_err();
    assert!(err.0.contains("line 2") && err.0.contains("name"), "{err}");
    let err = parse_index("a", b"{\"name\":\"b\",\"vers\":\"1.0.0\"}\n").unwrap_err();
    assert!(err.0.contains("wrong file"), "{err}");
    assert!(parse_index("a", b"").unwrap_err().0.contains("empty"));
    assert!(parse_index("a", b"<html>404</html>").is_err());
    // Case differences between the asked name and the index are fine.
    assert!(parse_index("A", b"{\"name\":\"a\",\"vers\":\"1.0.0\"}").is_ok());
}

#[test]
fn truncated_fixture_is_an_error_or_a_prefix_never_a_panic() {
    let body = fixture("sm/al/smallvec");
    let full = parse_index("smallvec", &body).unwrap();
    let step = (body.len() / 997).max(1);
    for cut in (0..body.len()).step_by(step).chain([body.len() - 1]) {
        let part = &body[..cut];
        match parse_index("smallvec", part) {
            Ok(entries) => {
                // Only a cut at a line boundary (or just before its newline) parses, and then
                // gives a prefix of the full list.
                assert!(
                    part.ends_with(b"\n") || part.ends_with(b"}"),
                    "cut at {cut} parsed"
                );
                assert_eq!(entries[..], full[..entries.len()]);
            }
            Err(e) => assert!(
                e.0.contains("line") || e.0.contains("empty"),
                "cut at {cut}: {e}"
            ),
        }
    }
}

#[test]
fn config_source_replacement_to_sparse_mirror_with_token() {
    let config = r#"
[source.crates-io]
replace-with = "mirror"

[source.mirror]
registry = "sparse+https://mirror.example.com/index"

[registries.mirror]
index = "sparse+https://mirror.example.com/index/"
token = "secret-from-file"
"#;
    let registry =
        CargoRegistry::from_config_texts(&[("proj/.cargo/config.toml", config)], no_env, &[])
            .unwrap();
    assert_eq!(registry.index_url(), "https://mirror.example.com/index/");
    assert_eq!(registry.label(), "mirror");
    let request = registry.request("serde").unwrap();
    assert_eq!(request.url, "https://mirror.example.com/index/se/rd/serde");
    assert_eq!(
        request.headers,
        [("Authorization".to_string(), "secret-from-file".to_string())]
    );
    assert!(!format!("{registry:?}").contains("secret"));

    // The environment's token wins over the file's.
    let env = |k: &str| (k == "CARGO_REGISTRIES_MIRROR_TOKEN").then(|| "from-env".to_string());
    let registry = CargoRegistry::from_config_texts(&[("config.toml", config)], env, &[]).unwrap();
    assert_eq!(registry.request("a").unwrap().headers[0].1, "from-env");
}

#[test]
fn config_replacement_to_named_registry_from_env_only() {
    let config = "[source.crates-io]\nreplace-with = \"corp-reg\"\n";
    let env = |k: &str| match k {
        "CARGO_REGISTRIES_CORP_REG_INDEX" => Some("sparse+https://corp.example/cargo/".into()),
        "CARGO_REGISTRIES_CORP_REG_TOKEN" => Some("Bearer corp".into()),
        _ => None,
    };
    let registry = CargoRegistry::from_config_texts(&[("c", config)], env, &[]).unwrap();
    assert_eq!(registry.index_url(), "https://corp.example/cargo/");
    assert_eq!(registry.request("ab").unwrap().headers[0].1, "Bearer corp");
}

#[test]
fn closer_config_wins_and_crates_io_token_is_never_sent() {
    let project = "[source.crates-io]\nreplace-with = \"near\"\n[source.near]\nregistry = \"sparse+https://near.example/\"\n";
    let home = "[source.crates-io]\nreplace-with = \"far\"\n[source.far]\nregistry = \"sparse+https://far.example/\"\n[registry]\ntoken = \"publish-token\"\n";
    let registry =
        CargoRegistry::from_config_texts(&[("p", project), ("h", home)], no_env, &[]).unwrap();
    assert_eq!(registry.index_url(), "https://near.example/");
    assert!(!registry.has_token());

    let plain = CargoRegistry::from_config_texts(
        &[("h", "[registry]\ntoken = \"t\"\n")],
        |k| (k == "CARGO_REGISTRY_TOKEN").then(|| "t2".to_string()),
        &[],
    )
    .unwrap();
    assert_eq!(plain.index_url(), CRATES_IO_INDEX);
    assert!(plain.request("serde").unwrap().headers.is_empty());
}

#[test]
fn unsupported_sources_are_named() {
    for (kind, value) in [
        ("local-registry", "/srv/registry"),
        ("directory", "vendor"),
        ("git", "https://example.com/repo"),
    ] {
        let config = format!(
            "[source.crates-io]\nreplace-with = \"vendored-sources\"\n[source.vendored-sources]\n{kind} = \"{value}\"\n"
        );
        let err =
            CargoRegistry::from_config_texts(&[("proj/.cargo/config.toml", &config)], no_env, &[])
                .unwrap_err();
        assert!(
            err.0.contains("vendored-sources")
                && err.0.contains(kind)
                && err.0.contains("proj/.cargo/config.toml"),
            "{err}"
        );
    }
    let git_index = "[source.crates-io]\nreplace-with = \"g\"\n[source.g]\nregistry = \"https://git.example/index\"\n";
    let err = CargoRegistry::from_config_texts(&[("c", git_index)], no_env, &[]).unwrap_err();
    assert!(err.0.contains("git index"), "{err}");
    // crates.io's own git index is read through its sparse twin.
    let own = "[source.crates-io]\nreplace-with = \"g\"\n[source.g]\nregistry = \"https://github.com/rust-lang/crates.io-index\"\n";
    let r = CargoRegistry::from_config_texts(&[("c", own)], no_env, &[]).unwrap();
    assert_eq!(r.index_url(), CRATES_IO_INDEX);
    let missing = "[source.crates-io]\nreplace-with = \"nowhere\"\n";
    let err = CargoRegistry::from_config_texts(&[("c", missing)], no_env, &[]).unwrap_err();
    assert!(err.0.contains("nowhere"), "{err}");
    let cycle =
        "[source.crates-io]\nreplace-with = \"x\"\n[source.x]\nreplace-with = \"crates-io\"\n";
    let err = CargoRegistry::from_config_texts(&[("c", cycle)], no_env, &[]).unwrap_err();
    assert!(err.0.contains("loops"), "{err}");
    let err =
        CargoRegistry::from_config_texts(&[("bad.toml", "[source\n")], no_env, &[]).unwrap_err();
    assert!(err.0.contains("bad.toml"), "{err}");
}

#[test]
fn lock_sources_of_other_registries() {
    let config = r#"
[registries.corp]
index = "sparse+https://corp.example/index/"
token = "corp-token"

[source.old-corp]
registry = "https://git.corp.example/index.git"
replace-with = "corp"
"#;
    let base = CargoRegistry::from_config_texts(&[("c", config)], no_env, &[]).unwrap();
    // crates.io sources give crates.io.
    for s in [
        "registry+https://github.com/rust-lang/crates.io-index",
        "sparse+https://index.crates.io/",
    ] {
        assert_eq!(
            base.for_lock_source(s).unwrap().index_url(),
            CRATES_IO_INDEX
        );
    }
    // A sparse source of a configured registry carries its token, and only it does.
    let corp = base
        .for_lock_source("sparse+https://corp.example/index/")
        .unwrap();
    assert_eq!(corp.label(), "corp");
    let req = corp.request("internal-lib").unwrap();
    assert_eq!(req.url, "https://corp.example/index/in/te/internal-lib");
    assert_eq!(req.headers[0].1, "corp-token");
    let other = base
        .for_lock_source("sparse+https://other.example/")
        .unwrap();
    assert!(other.request("x").unwrap().headers.is_empty());
    // A replaced git index goes to its replacement.
    let old = base
        .for_lock_source("registry+https://git.corp.example/index")
        .unwrap();
    assert_eq!(old.index_url(), "https://corp.example/index/");
    assert!(old.has_token());
    // Unreplaced git indexes, git and path sources are errors.
    assert!(
        base.for_lock_source("registry+https://git.other.example/index")
            .unwrap_err()
            .0
            .contains("git index")
    );
    assert!(
        base.for_lock_source("git+https://github.com/x/y#abc")
            .unwrap_err()
            .0
            .contains("not a registry")
    );
}

#[test]
fn from_config_reads_files_up_the_tree_and_cargo_home() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("ws/member");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::create_dir_all(dir.path().join("ws/.cargo")).unwrap();
    std::fs::write(
        dir.path().join("ws/.cargo/config.toml"),
        "[source.crates-io]\nreplace-with = \"m\"\n[source.m]\nregistry = \"sparse+https://m.example/\"\n",
    )
    .unwrap();
    let home = dir.path().join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("credentials.toml"),
        "[registries.m]\nindex = \"sparse+https://m.example/\"\ntoken = \"cred\"\n",
    )
    .unwrap();
    let home_str = home.display().to_string();
    let registry =
        CargoRegistry::from_config(&project, |k| (k == "CARGO_HOME").then(|| home_str.clone()))
            .unwrap();
    assert_eq!(registry.index_url(), "https://m.example/");
    assert_eq!(registry.request("ab").unwrap().headers[0].1, "cred");
}

#[test]
fn timestamps_are_normalised_to_utc() {
    assert_eq!(
        rfc3339_utc("2024-12-02T18:34:15.327000+00:00").as_deref(),
        Some("2024-12-02T18:34:15.327Z")
    );
    assert_eq!(
        rfc3339_utc("2021-01-08T19:34:20+02:00").as_deref(),
        Some("2021-01-08T17:34:20Z")
    );
    assert_eq!(rfc3339_utc("yesterday"), None);
}

/// Opt-in live check: `cargo test -p nanoup-ecosystems -- --ignored live_`.
#[test]
#[ignore = "touches the network (crates.io)"]
fn live_crates_io_smallvec() {
    let registry = CargoRegistry::crates_io();
    let request = registry.request("smallvec").unwrap();
    let client = nanoup_http::Client::new(nanoup_http::Config::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fetched = runtime.block_on(client.get(&request.url, None)).unwrap();
    let nanoup_http::Fetched::Body { bytes, .. } = fetched else {
        panic!("unconditional GET answered 304");
    };
    let releases = registry.parse("smallvec", &bytes).unwrap();
    assert!(releases.iter().any(|r| r.version == "1.6.1" && !r.yanked));
}

#[test]
fn index_releases_carry_dependencies_without_dev_ones() {
    let releases = parse_index_releases("tokio", &fixture("to/ki/tokio")).unwrap();
    let first = releases.iter().find(|r| r.version == "0.1.2").unwrap();
    let names: Vec<&str> = first.deps.iter().map(|d| d.package.as_str()).collect();
    assert!(
        names.contains(&"bytes") && names.contains(&"futures"),
        "{names:?}"
    );
    // env_logger and flate2 are dev-dependencies of tokio 0.1.2: never resolved for a dependent.
    assert!(!names.contains(&"env_logger") && !names.contains(&"flate2"));
    let bytes = first.deps.iter().find(|d| d.package == "bytes").unwrap();
    assert_eq!(bytes.req, "^0.4");
    assert!(!bytes.optional);
    assert_eq!(
        releases.len(),
        parse_index("tokio", &fixture("to/ki/tokio")).unwrap().len()
    );
    // Features offered: the features table's keys and the optional dependencies.
    let one = releases.iter().find(|r| r.version == "1.0.0").unwrap();
    for feature in ["full", "macros", "bytes"] {
        assert!(one.features.iter().any(|f| f == feature), "{feature}");
    }
    assert!(first.features.is_empty(), "tokio 0.1.2 has no features");
    // A renamed dependency is known by the crate it names.
    let renamed = br#"{"name":"x","vers":"1.0.0","deps":[{"name":"old","package":"new-name","req":"^2","optional":true,"target":"cfg(unix)","kind":"normal"}]}"#;
    let parsed = parse_index_releases("x", renamed).unwrap();
    assert_eq!(parsed[0].deps[0].package, "new-name");
    assert_eq!(parsed[0].deps[0].target.as_deref(), Some("cfg(unix)"));
    let wants = br#"{"name":"x","vers":"1.0.0","deps":[{"name":"chrono","req":"^0.4","features":["rustc-serialize"]}],"features2":{"extra":["dep:y"]}}"#;
    let parsed = parse_index_releases("x", wants).unwrap();
    assert_eq!(parsed[0].deps[0].features, ["rustc-serialize"]);
    assert_eq!(parsed[0].features, ["extra"]);
    let err = parse_index_releases("x", b"{\"vers\": \"1.0.0\", \"deps\": [").unwrap_err();
    assert!(err.0.contains("line 1"), "{err}");
}
