//! The client against a tiny HTTP/1.1 server on 127.0.0.1 (never the real network).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nanoup_http::{Client, Config, Fetched, HttpError, Validators};

/// One request as the server saw it: path and headers (names lower-cased).
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

enum Reply {
    Respond(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Accept the request and never answer.
    Hang,
    /// Send the head and the first part of a longer body, then fall silent.
    Stall,
}

struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
    fn request(&self, i: usize) -> Request {
        self.requests.lock().unwrap()[i].clone()
    }
}

/// Starts a server whose `handler` gets each request and its 0-based number.
fn serve(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let handler = Arc::new(handler);
    let counter = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (handler, seen, counter) = (handler.clone(), seen.clone(), counter.clone());
            std::thread::spawn(move || handle(stream, &*handler, &seen, &counter));
        }
    });
    Server { addr, requests }
}

fn handle(
    stream: TcpStream,
    handler: &(dyn Fn(&Request, usize) -> Reply + Send + Sync),
    seen: &Mutex<Vec<Request>>,
    counter: &AtomicUsize,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let request = Request { path, headers };
    seen.lock().unwrap().push(request.clone());
    let n = counter.fetch_add(1, Ordering::SeqCst);
    let mut stream = stream;
    match handler(&request, n) {
        Reply::Hang => {
            // Keep the connection open, answer nothing; drain until the client gives up.
            let mut sink = [0u8; 64];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = reader.get_mut().read(&mut sink);
        }
        Reply::Stall => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
            let _ = stream.flush();
            let mut sink = [0u8; 64];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = reader.get_mut().read(&mut sink);
        }
        Reply::Respond(status, extra, body) => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in extra {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
    }
}

fn fast_config() -> Config {
    Config {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        retries: 3,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        ..Config::default()
    }
}

fn client(config: Config) -> Client {
    Client::new(config).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ok(body: &str) -> Reply {
    Reply::Respond(200, Vec::new(), body.as_bytes().to_vec())
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
