//! The on-disk cache against a tiny HTTP/1.1 server on 127.0.0.1 (never the real network).

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{Reply, Server, fast_config, ok, rt, serve};
use nanoup_http::{CachedClient, Client, Config, HttpError, Mode, Request};

fn cached(dir: &Path, mode: Mode) -> CachedClient {
    let client = Client::new(Config {
        retries: 0,
        ..fast_config()
    })
    .unwrap();
    CachedClient::new(client, dir.join("http-cache"), mode)
}

/// A server answering `body` with `ETag: "v1"`, and `304` to `If-None-Match: "v1"`.
fn etag_server(body: &'static str) -> Server {
    serve(move |req, _| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::Respond(304, vec![("ETag", "\"v1\"".into())], Vec::new())
        } else {
            Reply::Respond(
                200,
                vec![("ETag", "\"v1\"".into())],
                body.as_bytes().to_vec(),
            )
        }
    })
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_miss_is_fetched_and_stored_then_a_fresh_hit_makes_no_request() {
    let tmp = tempfile::tempdir().unwrap();
    let server = etag_server("{\"versions\":[]}");
    let cache = cached(tmp.path(), Mode::Online);
    let request = Request::new(server.url("/pkg"));
    let first = rt().block_on(cache.fetch(&request)).unwrap();
    assert_eq!(first.body, b"{\"versions\":[]}");
    assert!(!first.from_cache && !first.stale && !first.revalidated);
    assert!(first.cache_warning.is_none(), "{first:?}");
    assert!(
        first.fetched_at.parse::<jiff::Timestamp>().is_ok() && first.fetched_at.ends_with('Z'),
        "{first:?}"
    );
    assert!(cache.entry_path(&request).is_file());
    let second = rt().block_on(cache.fetch(&request)).unwrap();
    assert_eq!(second.body, first.body);
    assert!(second.from_cache && !second.stale && !second.revalidated);
    assert_eq!(second.fetched_at, first.fetched_at);
    assert_eq!(server.hits(), 1, "a fresh entry needs no request");
    // Only the entry file: no temporary files left behind.
    assert_eq!(files(&cache.dir).len(), 1, "{:?}", files(&cache.dir));
}

#[test]
fn a_stale_entry_is_revalidated_and_a_304_serves_the_cached_body() {
    let tmp = tempfile::tempdir().unwrap();
    let server = etag_server("cached body");
    let cache = cached(tmp.path(), Mode::Online).with_fresh_for(Duration::ZERO);
    let request = Request::new(server.url("/pkg"));
    let first = rt().block_on(cache.fetch(&request)).unwrap();
    assert!(!first.from_cache);
    let second = rt().block_on(cache.fetch(&request)).unwrap();
    assert_eq!(server.hits(), 2);
    assert_eq!(server.request(1).header("if-none-match"), Some("\"v1\""));
    assert_eq!(second.body, b"cached body");
    assert!(second.from_cache && second.revalidated && !second.stale);
    assert!(second.fetched_at >= first.fetched_at);
}

#[test]
fn last_modified_is_used_when_there_is_no_etag_and_a_new_body_replaces_the_entry() {
    const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(|req, n| match n {
        0 => Reply::Respond(200, vec![("Last-Modified", DATE.into())], b"one".to_vec()),
        1 if req.header("if-modified-since") == Some(DATE) => ok("two"),
        _ => Reply::Respond(500, Vec::new(), Vec::new()),
    });
    let online = cached(tmp.path(), Mode::Online).with_fresh_for(Duration::ZERO);
    let request = Request::new(server.url("/lm"));
    assert_eq!(rt().block_on(online.fetch(&request)).unwrap().body, b"one");
    let second = rt().block_on(online.fetch(&request)).unwrap();
    assert_eq!(second.body, b"two");
    assert!(!second.from_cache);
    let offline = cached(tmp.path(), Mode::Offline);
    assert_eq!(rt().block_on(offline.fetch(&request)).unwrap().body, b"two");
}

#[test]
fn offline_answers_from_the_cache_and_marks_old_entries_stale() {
    let tmp = tempfile::tempdir().unwrap();
    let server = etag_server("body");
    let request = Request::new(server.url("/pkg"));
    rt().block_on(cached(tmp.path(), Mode::Online).fetch(&request))
        .unwrap();
    let fresh = rt()
        .block_on(cached(tmp.path(), Mode::Offline).fetch(&request))
        .unwrap();
    assert!(fresh.from_cache && !fresh.stale, "{fresh:?}");
    let old = rt()
        .block_on(
            cached(tmp.path(), Mode::Offline)
                .with_fresh_for(Duration::ZERO)
                .fetch(&request),
        )
        .unwrap();
    assert!(old.from_cache && old.stale, "{old:?}");
    assert_eq!(old.body, b"body");
    assert_eq!(server.hits(), 1, "offline never touches the network");
}

#[test]
fn offline_without_an_entry_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let server = etag_server("body");
    let error = rt()
        .block_on(cached(tmp.path(), Mode::Offline).fetch(&Request::new(server.url("/never"))))
        .unwrap_err();
    assert!(
        matches!(error, HttpError::NotCached { damaged: false, .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.contains("not in the cache") && text.contains("without --offline"),
        "{text}"
    );
    assert!(text.contains("/never"), "{text}");
    assert_eq!(server.hits(), 0);
}

#[test]
fn secrets_and_header_values_never_reach_the_cache_files() {
    let tmp = tempfile::tempdir().unwrap();
    let server = etag_server("private body");
    let url = format!(
        "http://alice:PASSWORD-XYZ@{}/pkg?token=QUERY-SECRET&v=1",
        server.addr
    );
    let request = Request::new(url)
        .with_header("Accept", "application/x-distinctive-accept")
        .with_header("Authorization", "Bearer AUTH-SECRET-TOKEN");
    let cache = cached(tmp.path(), Mode::Online).with_fresh_for(Duration::ZERO);
    rt().block_on(cache.fetch(&request)).unwrap();
    rt().block_on(cache.fetch(&request)).unwrap(); // a 304 rewrite too
    assert_eq!(server.hits(), 2);
    assert_eq!(
        server.request(0).header("authorization"),
        Some("Bearer AUTH-SECRET-TOKEN")
    );
    let all = files(&cache.dir);
    assert!(!all.is_empty());
    for path in all {
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in [
            "AUTH-SECRET-TOKEN",
            "Bearer",
            "PASSWORD-XYZ",
            "QUERY-SECRET",
            "x-distinctive-accept",
        ] {
            assert!(!text.contains(secret), "{secret} in {}", path.display());
            assert!(
                !path.to_string_lossy().contains(secret),
                "{secret} in the path {}",
                path.display()
            );
        }
        assert!(text.contains("private body"));
    }
}

#[test]
fn the_accept_header_separates_entries_but_authorization_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(|req, _| ok(req.header("accept").unwrap_or("none")));
    let cache = cached(tmp.path(), Mode::Online);
    let url = server.url("/pkg");
    let json = Request::new(&url).with_header("Accept", "application/json");
    let html = Request::new(&url).with_header("Accept", "text/html");
    let json_as_bob = json.clone().with_header("Authorization", "Bearer bob");
    assert_eq!(
        rt().block_on(cache.fetch(&json)).unwrap().body,
        b"application/json"
    );
    assert_eq!(
        rt().block_on(cache.fetch(&html)).unwrap().body,
        b"text/html"
    );
    let again = rt().block_on(cache.fetch(&json_as_bob)).unwrap();
    assert!(again.from_cache);
    assert_eq!(again.body, b"application/json");
    assert_eq!(server.hits(), 2);
}

#[test]
fn truncated_or_corrupt_entries_count_as_misses() {
    let tmp = tempfile::tempdir().unwrap();
    let server = etag_server("{\"a\":\"complete body\"}");
    let cache = cached(tmp.path(), Mode::Online);
    let request = Request::new(server.url("/pkg"));
    rt().block_on(cache.fetch(&request)).unwrap();
    let path = cache.entry_path(&request);
    let whole = std::fs::read(&path).unwrap();
    let damage: [Vec<u8>; 4] = [
        whole[..whole.len() - 3].to_vec(),     // body cut short
        whole[..whole.len() / 3].to_vec(),     // header cut short
        b"\xff\xfe garbage \x00\x01".to_vec(), // not an entry at all
        Vec::new(),                            // empty
    ];
    for (i, bytes) in damage.iter().enumerate() {
        std::fs::write(&path, bytes).unwrap();
        let offline = rt()
            .block_on(cached(tmp.path(), Mode::Offline).fetch(&request))
            .unwrap_err();
        assert!(
            matches!(offline, HttpError::NotCached { damaged: true, .. }),
            "{offline:?}"
        );
        assert!(offline.to_string().contains("damaged"), "{offline}");
        let online = rt().block_on(cache.fetch(&request)).unwrap();
        assert!(!online.from_cache, "damage {i}: {online:?}");
        assert_eq!(online.body, b"{\"a\":\"complete body\"}");
        // An unconditional request: the damaged entry's validators are not trusted.
        assert_eq!(server.request(i + 1).header("if-none-match"), None);
        // Repaired: a whole entry again (its fetch time may differ by a second), served offline.
        let repaired = std::fs::read(&path).unwrap();
        assert_eq!(repaired.len(), whole.len(), "damage {i}: repaired");
        assert!(
            repaired.ends_with(b"\n{\"a\":\"complete body\"}"),
            "damage {i}"
        );
        let served = rt()
            .block_on(cached(tmp.path(), Mode::Offline).fetch(&request))
            .unwrap();
        assert!(served.from_cache, "damage {i}: {served:?}");
        assert_eq!(served.body, b"{\"a\":\"complete body\"}");
    }
}

#[test]
fn not_found_is_not_cached_and_an_online_failure_is_an_error_not_a_stale_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let server = serve(|req, n| match (req.path.as_str(), n) {
        ("/gone", _) => Reply::Respond(404, Vec::new(), Vec::new()),
        (_, 1) => ok("first"),
        _ => Reply::Respond(500, Vec::new(), Vec::new()),
    });
    let cache = cached(tmp.path(), Mode::Online).with_fresh_for(Duration::ZERO);
    let gone = Request::new(server.url("/gone"));
    let error = rt().block_on(cache.fetch(&gone)).unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(!cache.entry_path(&gone).exists());
    let error = rt()
        .block_on(cached(tmp.path(), Mode::Offline).fetch(&gone))
        .unwrap_err();
    assert!(matches!(error, HttpError::NotCached { .. }), "{error:?}");

    let pkg = Request::new(server.url("/pkg"));
    assert_eq!(rt().block_on(cache.fetch(&pkg)).unwrap().body, b"first");
    let error = rt().block_on(cache.fetch(&pkg)).unwrap_err();
    assert!(
        matches!(error, HttpError::Status { status: 500, .. }),
        "{error:?}"
    );
}

#[test]
fn an_unwritable_cache_still_answers_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let server = etag_server("body");
    let blocker = tmp.path().join("http-cache");
    std::fs::write(&blocker, b"a file where the directory should be").unwrap();
    let got = rt()
        .block_on(cached(tmp.path(), Mode::Online).fetch(&Request::new(server.url("/pkg"))))
        .unwrap();
    assert_eq!(got.body, b"body");
    let warning = got.cache_warning.expect("a warning");
    assert!(warning.contains("http-cache"), "{warning}");
}
