//! The client against a tiny HTTP/1.1 server on 127.0.0.1 (never the real network).

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{Reply, fast_config, ok, rt, serve};
use nanoup_http::{Client, Config, Fetched, HttpError, Request, Validators};

fn client(config: Config) -> Client {
    Client::new(config).unwrap()
}

#[test]
fn ok_with_etag_then_not_modified_on_if_none_match() {
    let server = serve(|req, _| {
        if req.header("if-none-match") == Some("\"v1\"") {
            Reply::Respond(304, vec![("ETag", "\"v1\"".into())], Vec::new())
        } else {
            Reply::Respond(200, vec![("ETag", "\"v1\"".into())], b"hello".to_vec())
        }
    });
    let c = client(fast_config());
    let url = server.url("/a/all.zip");
    let first = rt().block_on(c.get(&url, None)).unwrap();
    assert_eq!(
        first,
        Fetched::Body {
            bytes: b"hello".to_vec(),
            etag: Some("\"v1\"".into()),
            last_modified: None
        }
    );
    let validators = Validators {
        etag: Some("\"v1\"".into()),
        last_modified: None,
    };
    let second = rt().block_on(c.get(&url, Some(&validators))).unwrap();
    assert_eq!(second, Fetched::NotModified);
    assert_eq!(server.hits(), 2);
    assert_eq!(server.request(1).header("if-none-match"), Some("\"v1\""));
    assert_eq!(server.request(0).path, "/a/all.zip");
    assert!(
        server
            .request(0)
            .header("user-agent")
            .unwrap()
            .starts_with("nanoup/")
    );
}

#[test]
fn last_modified_is_sent_back_as_if_modified_since() {
    const DATE: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
    let server = serve(|req, _| {
        if req.header("if-modified-since") == Some(DATE) {
            Reply::Respond(304, Vec::new(), Vec::new())
        } else {
            Reply::Respond(200, vec![("Last-Modified", DATE.into())], b"data".to_vec())
        }
    });
    let c = client(fast_config());
    let url = server.url("/x");
    let Fetched::Body {
        last_modified,
        etag,
        ..
    } = rt().block_on(c.get(&url, None)).unwrap()
    else {
        panic!("expected a body");
    };
    assert_eq!(last_modified.as_deref(), Some(DATE));
    assert_eq!(etag, None);
    let validators = Validators {
        etag: None,
        last_modified,
    };
    assert_eq!(
        rt().block_on(c.get(&url, Some(&validators))).unwrap(),
        Fetched::NotModified
    );
}

#[test]
fn server_error_then_success_is_retried() {
    let server = serve(|_, n| {
        if n < 2 {
            Reply::Respond(500, Vec::new(), b"oops".to_vec())
        } else {
            ok("fine")
        }
    });
    let got = rt()
        .block_on(client(fast_config()).get(&server.url("/r"), None))
        .unwrap();
    assert!(matches!(got, Fetched::Body { ref bytes, .. } if bytes == b"fine"));
    assert_eq!(server.hits(), 3);
}

#[test]
fn server_error_forever_gives_up_after_the_retries() {
    let server = serve(|_, _| Reply::Respond(503, Vec::new(), Vec::new()));
    let config = Config {
        retries: 2,
        ..fast_config()
    };
    let error = rt()
        .block_on(client(config).get(&server.url("/down"), None))
        .unwrap_err();
    assert!(
        matches!(
            error,
            HttpError::Status {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains(&server.url("/down")), "{text}");
    assert!(text.contains("try again later"), "{text}");
    assert_eq!(server.hits(), 3);
}

#[test]
fn too_many_requests_honours_retry_after() {
    let server = serve(|_, n| {
        if n == 0 {
            Reply::Respond(429, vec![("Retry-After", "1".into())], Vec::new())
        } else {
            ok("after the wait")
        }
    });
    let start = Instant::now();
    let got = rt()
        .block_on(client(fast_config()).get(&server.url("/rate"), None))
        .unwrap();
    let waited = start.elapsed();
    assert!(matches!(got, Fetched::Body { .. }));
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[test]
fn retry_after_is_capped() {
    let server = serve(|_, n| {
        if n == 0 {
            Reply::Respond(429, vec![("Retry-After", "3600".into())], Vec::new())
        } else {
            ok("capped")
        }
    });
    let config = Config {
        max_retry_after: Duration::from_millis(100),
        ..fast_config()
    };
    let start = Instant::now();
    rt().block_on(client(config).get(&server.url("/rate"), None))
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(server.hits(), 2);
}

#[test]
fn a_server_that_never_answers_times_out_with_a_clear_error() {
    let server = serve(|_, _| Reply::Hang);
    let config = Config {
        timeout: Duration::from_millis(300),
        retries: 1,
        ..fast_config()
    };
    let start = Instant::now();
    let error = rt()
        .block_on(client(config).get(&server.url("/slow"), None))
        .unwrap_err();
    let took = start.elapsed();
    assert!(
        matches!(error, HttpError::Timeout { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");
    let text = error.to_string();
    assert!(
        text.contains(&server.url("/slow")) && text.contains("NANOUP_HTTP_TIMEOUT"),
        "{text}"
    );
    assert_eq!(server.hits(), 2);
}

#[test]
fn a_body_that_stalls_hits_the_read_timeout() {
    let server = serve(|_, _| Reply::Stall);
    let config = Config {
        read_timeout: Duration::from_millis(200),
        retries: 0,
        ..fast_config()
    };
    let start = Instant::now();
    let error = rt()
        .block_on(client(config).get(&server.url("/stall"), None))
        .unwrap_err();
    assert!(
        matches!(error, HttpError::Timeout { attempts: 1, .. }),
        "{error:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn not_found_is_distinct_and_not_retried() {
    let server = serve(|_, _| Reply::Respond(404, Vec::new(), b"no".to_vec()));
    let error = rt()
        .block_on(client(fast_config()).get(&server.url("/nope/all.zip"), None))
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert!(error.to_string().contains("/nope/all.zip"), "{error}");
    assert_eq!(server.hits(), 1);
}

#[test]
fn other_client_errors_are_not_retried() {
    let server = serve(|_, _| Reply::Respond(403, Vec::new(), Vec::new()));
    let error = rt()
        .block_on(client(fast_config()).get(&server.url("/private"), None))
        .unwrap_err();
    assert!(
        matches!(error, HttpError::Status { status: 403, .. }),
        "{error:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn bodies_over_the_cap_are_refused() {
    let server = serve(|_, _| ok(&"x".repeat(4096)));
    let config = Config {
        max_body_bytes: 1024,
        ..fast_config()
    };
    let error = rt()
        .block_on(client(config).get(&server.url("/big"), None))
        .unwrap_err();
    assert!(
        matches!(error, HttpError::TooLarge { limit: 1024, .. }),
        "{error:?}"
    );
}

#[test]
fn connection_refused_is_a_connect_error_after_retries() {
    // Bind then drop, so the port is (almost certainly) closed.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = Config {
        retries: 1,
        ..fast_config()
    };
    let url = format!("http://{addr}/all.zip");
    let error = rt().block_on(client(config).get(&url, None)).unwrap_err();
    assert!(
        matches!(error, HttpError::Connect { attempts: 2, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&url), "{error}");
}

#[test]
fn credentials_never_appear_in_errors() {
    let server = serve(|_, _| Reply::Respond(404, Vec::new(), Vec::new()));
    let url = format!("http://alice:s3cret@{}/x?token=abc123", server.addr);
    let error = rt()
        .block_on(client(fast_config()).get(&url, None))
        .unwrap_err();
    let text = error.to_string();
    assert!(
        !text.contains("s3cret") && !text.contains("abc123"),
        "{text}"
    );
}

#[test]
fn non_http_urls_are_rejected() {
    let error = rt()
        .block_on(client(fast_config()).get("file:///etc/passwd", None))
        .unwrap_err();
    assert!(matches!(error, HttpError::InvalidUrl { .. }), "{error:?}");
}

#[test]
fn extra_headers_are_sent_and_secrets_stay_out_of_errors_and_debug() {
    let server = serve(|_, _| Reply::Respond(403, Vec::new(), Vec::new()));
    let request = Request::new(server.url("/private"))
        .with_header("Accept", "application/vnd.npm.install-v1+json")
        .with_header("Authorization", "Bearer TOPSECRET-123");
    let error = rt()
        .block_on(client(fast_config()).get_with(&request, None))
        .unwrap_err();
    let seen = server.request(0);
    assert_eq!(
        seen.header("accept"),
        Some("application/vnd.npm.install-v1+json")
    );
    assert_eq!(seen.header("authorization"), Some("Bearer TOPSECRET-123"));
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{request:?}"),
    ] {
        assert!(!text.contains("TOPSECRET"), "{text}");
    }
    assert!(format!("{request:?}").contains("application/vnd.npm.install-v1+json"));
}

#[test]
fn an_invalid_header_value_is_refused_without_showing_it() {
    let request = Request::new("http://127.0.0.1:9/x")
        .with_header("Authorization", "Bearer TOPSECRET\r\nX-Evil: 1");
    let error = rt()
        .block_on(client(fast_config()).get_with(&request, None))
        .unwrap_err();
    assert!(
        matches!(error, HttpError::InvalidHeader { .. }),
        "{error:?}"
    );
    assert!(
        !format!("{error} {error:?}").contains("TOPSECRET"),
        "{error}"
    );
}

/// Ten look-ups fanned out at once with `buffer_unordered`, against a server that takes 100 ms
/// per answer: `n` requests in flight at most.
fn max_in_flight_with_limit(n: usize) -> usize {
    use futures_util::stream::{self, StreamExt};
    let server = serve(|_, _| Reply::After(Duration::from_millis(100), Box::new(ok("v"))));
    let c = client(Config {
        max_per_host: n,
        ..fast_config()
    });
    let urls: Vec<String> = (0..10).map(|i| server.url(&format!("/p{i}"))).collect();
    let results: Vec<_> = rt().block_on(
        stream::iter(urls.iter())
            .map(|url| c.get(url, None))
            .buffer_unordered(10)
            .collect(),
    );
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(server.hits(), 10);
    server.max_in_flight()
}

#[test]
fn the_per_host_limit_caps_requests_in_flight() {
    assert_eq!(max_in_flight_with_limit(2), 2);
    // The control: without a tight limit the same fan-out does overlap more.
    assert!(max_in_flight_with_limit(10) > 2);
}

#[test]
fn the_deadline_stops_retries() {
    let server = serve(|_, _| Reply::Respond(503, Vec::new(), Vec::new()));
    let config = Config {
        retries: 1000,
        min_backoff: Duration::from_millis(40),
        max_backoff: Duration::from_millis(40),
        deadline: Some(Instant::now() + Duration::from_millis(300)),
        ..fast_config()
    };
    let start = Instant::now();
    let error = rt()
        .block_on(client(config).get(&server.url("/down"), None))
        .unwrap_err();
    let took = start.elapsed();
    assert!(matches!(error, HttpError::Deadline { .. }), "{error:?}");
    assert!(error.is_timeout());
    assert!(took < Duration::from_millis(600), "took {took:?}");
    assert!(server.hits() < 12, "{} requests", server.hits());
    let text = error.to_string();
    assert!(
        text.contains("deadline") && text.contains(&server.url("/down")),
        "{text}"
    );
    assert!(text.contains("HTTP 503"), "{text}");
}

#[test]
fn the_deadline_cuts_a_pending_attempt_short() {
    let server = serve(|_, _| Reply::Hang);
    let c = client(fast_config()).with_deadline(Some(Instant::now() + Duration::from_millis(200)));
    let start = Instant::now();
    let error = rt()
        .block_on(c.get(&server.url("/hang"), None))
        .unwrap_err();
    assert!(
        matches!(error, HttpError::Deadline { attempts: 1, .. }),
        "{error:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn nothing_starts_after_the_deadline() {
    let server = serve(|_, _| ok("late"));
    let c = client(fast_config()).with_deadline(Some(Instant::now()));
    let error = rt().block_on(c.get(&server.url("/x"), None)).unwrap_err();
    assert!(
        matches!(error, HttpError::Deadline { attempts: 0, .. }),
        "{error:?}"
    );
    assert_eq!(server.hits(), 0);
}

#[test]
fn the_deadline_also_bounds_the_wait_for_a_place_under_the_host_limit() {
    use futures_util::future::join;
    let server = serve(|_, _| Reply::Hang);
    let c = client(Config {
        max_per_host: 1,
        deadline: Some(Instant::now() + Duration::from_millis(200)),
        ..fast_config()
    });
    let (a, b) = (server.url("/a"), server.url("/b"));
    let start = Instant::now();
    let (first, second) = rt().block_on(join(c.get(&a, None), c.get(&b, None)));
    assert!(
        matches!(first, Err(HttpError::Deadline { .. })),
        "{first:?}"
    );
    assert!(
        matches!(second, Err(HttpError::Deadline { .. })),
        "{second:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(server.hits(), 1, "the second request never got a place");
}

#[test]
fn a_body_must_match_its_docker_content_digest() {
    use sha2::Digest;
    let body = b"manifest".to_vec();
    let hex: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let digest = format!("sha256:{hex}");
    assert_eq!(nanoup_http::check_content_digest(&digest, &body), Ok(()));
    assert_eq!(
        nanoup_http::check_content_digest("unknown:abc", &body),
        Ok(()),
        "an algorithm it does not know is not checked"
    );
    let served = digest.clone();
    let server = serve(move |req, _| {
        let header = if req.path == "/right" {
            served.clone()
        } else {
            format!("sha256:{}", "0".repeat(64))
        };
        Reply::Respond(
            200,
            vec![("Docker-Content-Digest", header)],
            b"manifest".to_vec(),
        )
    });
    let c = client(fast_config());
    let fetched = rt().block_on(c.get(&server.url("/right"), None)).unwrap();
    assert!(
        matches!(&fetched, Fetched::Body { bytes, .. } if bytes == b"manifest"),
        "{fetched:?}"
    );
    let error = rt()
        .block_on(c.get(&server.url("/wrong"), None))
        .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("does not match its Docker-Content-Digest")
            && text.contains(&format!("sha256:{}", "0".repeat(64)))
            && text.contains(&digest),
        "{text}"
    );
    // Retried like any transfer that went wrong, then given up.
    assert!(server.hits() > 2, "{}", server.hits());
}
