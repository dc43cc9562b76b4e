//! A tiny HTTP/1.1 server on 127.0.0.1 that replays recorded registry responses from
//! crates/nanoup-ecosystems/tests/fixtures/registry (crates.io's sparse index, npm packuments,
//! PyPI's simple and JSON APIs and wheels' core metadata, a container registry's tag lists and
//! manifests), with ETag revalidation and scripted faults. PyPI's answers point at the server's
//! copy of the file host (`/pypi-files/`), as a mirror's do.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server misbehaves for one request path.
#[derive(Clone, Debug)]
#[allow(dead_code)] // each test binary uses a different subset
pub enum Fault {
    /// Answer 500 this many times, then normally.
    FailTimes(usize),
    /// Answer 429 with `Retry-After: 1` once, then normally.
    TooManyOnce,
    /// Serve only the first half of the body.
    Truncate,
    /// Never answer.
    Hang,
    /// Answer 404, as a registry that does not serve the path.
    NotFound,
}

/// A running replay server.
pub struct Replay {
    port: u16,
    stop: Arc<AtomicBool>,
    /// Every request as (path, status).
    pub log: Arc<Mutex<Vec<(String, u16)>>>,
    /// Requests served by this server.
    pub requests: Arc<AtomicUsize>,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../nanoup-ecosystems/tests/fixtures/registry")
}

/// The fixture file for a request path, by the layout the recording script writes.
fn file_for(path: &str) -> Option<PathBuf> {
    let path = path.split('?').next()?;
    let decoded = path
        .replace("%2f", "/")
        .replace("%2F", "/")
        .replace("%40", "@");
    if let Some(rest) = decoded.strip_prefix("/crates.io/") {
        return Some(fixtures().join("crates.io").join(rest));
    }
    if let Some(rest) = decoded.strip_prefix("/npm/") {
        return Some(fixtures().join("npm").join(format!("{rest}.json")));
    }
    if let Some(rest) = decoded.strip_prefix("/pypi/simple/") {
        return Some(
            fixtures()
                .join("pypi/simple")
                .join(format!("{}.json", rest.trim_end_matches('/'))),
        );
    }
    // PyPI's file host (wheels' core metadata), mirrored at /pypi-files/.
    if let Some(rest) = decoded.strip_prefix("/pypi-files/") {
        return Some(fixtures().join("pypi/files").join(rest));
    }
    // The same files where a mirror's relative URLs (`../../packages/packages/...` from
    // `/pypi/NAME/json`) put them.
    if let Some(rest) = decoded.strip_prefix("/packages/packages/") {
        return Some(fixtures().join("pypi/files/packages").join(rest));
    }
    // PyPI's JSON API: the project answer and the per-version answer.
    if let Some(rest) = decoded.strip_prefix("/pypi/") {
        let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        return match parts.as_slice() {
            [name, "json"] => Some(fixtures().join("pypi/json").join(format!("{name}.json"))),
            [name, version, "json"] => Some(
                fixtures()
                    .join("pypi/json")
                    .join(name)
                    .join(format!("{version}.json")),
            ),
            _ => None,
        };
    }
    // A container registry (API v2): tag lists and manifests, laid out as the API paths.
    if let Some(rest) = decoded.strip_prefix("/v2/") {
        return Some(fixtures().join("docker/v2").join(rest));
    }
    None
}

impl Replay {
    /// Starts the server; `faults` maps request paths (as sent) to misbehaviour.
    pub fn start(faults: HashMap<String, Fault>) -> Replay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let faults = Arc::new(Mutex::new(faults));
        let (stop2, log2, requests2) = (stop.clone(), log.clone(), requests.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (log, faults, requests) =
                            (log2.clone(), faults.clone(), requests2.clone());
                        std::thread::spawn(move || serve(stream, port, &log, &faults, &requests));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Replay {
            port,
            stop,
            log,
            requests,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops accepting connections (a registry that went down).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(
    mut stream: TcpStream,
    port: u16,
    log: &Mutex<Vec<(String, u16)>>,
    faults: &Mutex<HashMap<String, Fault>>,
    requests: &AtomicUsize,
) {
    let _ = stream.set_nonblocking(false);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut if_none_match = None;
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(value.trim().to_string());
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let fault = {
        let mut faults = faults.lock().unwrap();
        let fault = faults.get(&path).cloned();
        match fault {
            Some(Fault::FailTimes(n)) if n > 0 => {
                faults.insert(path.clone(), Fault::FailTimes(n - 1));
                Some(Fault::FailTimes(n))
            }
            Some(Fault::TooManyOnce) => {
                faults.remove(&path);
                Some(Fault::TooManyOnce)
            }
            Some(Fault::FailTimes(_)) => None,
            other => other,
        }
    };
    let respond = |stream: &mut TcpStream,
                   status: u16,
                   reason: &str,
                   headers: &str,
                   body: &[u8]| {
        log.lock().unwrap().push((path.clone(), status));
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n{headers}\r\n",
            body.len()
        );
        let _ = stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body));
    };
    match fault {
        Some(Fault::Hang) => {
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        Some(Fault::FailTimes(_)) => {
            return respond(&mut stream, 500, "Internal Server Error", "", b"oops");
        }
        Some(Fault::NotFound) => {
            return respond(&mut stream, 404, "Not Found", "", b"");
        }
        Some(Fault::TooManyOnce) => {
            return respond(
                &mut stream,
                429,
                "Too Many Requests",
                "Retry-After: 1\r\n",
                b"",
            );
        }
        _ => {}
    }
    // A sparse registry's config, so that Cargo itself can use the replayed index.
    let body = if path == "/crates.io/config.json" {
        Some(format!("{{\"dl\":\"http://127.0.0.1:{port}/crates.io/dl\"}}").into_bytes())
    } else {
        file_for(&path)
            .and_then(|f| std::fs::read(f).ok())
            .map(|body| {
                // As a mirror does, PyPI's answers point at the mirror's copy of the file host.
                if path.starts_with("/pypi/") {
                    String::from_utf8_lossy(&body)
                        .replace(
                            "https://files.pythonhosted.org/",
                            &format!("http://127.0.0.1:{port}/pypi-files/"),
                        )
                        .into_bytes()
                } else {
                    body
                }
            })
    };
    let Some(mut body) = body else {
        return respond(
            &mut stream,
            404,
            "Not Found",
            "",
            b"{\"error\":\"Not found\"}",
        );
    };
    let etag = format!(
        "\"{:x}-{}\"",
        body.iter()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(*b as u64)),
        body.len()
    );
    if if_none_match.as_deref() == Some(etag.as_str()) {
        return respond(
            &mut stream,
            304,
            "Not Modified",
            &format!("ETag: {etag}\r\n"),
            b"",
        );
    }
    if matches!(fault, Some(Fault::Truncate)) {
        body.truncate(body.len() / 2);
    }
    // `Range: bytes=-N` (the last N bytes) and `bytes=S-E` (inclusive), as a file host answers.
    if let Some((start, end)) = range.as_deref().and_then(|r| byte_range(r, body.len())) {
        let headers = format!(
            "ETag: {etag}\r\nContent-Range: bytes {start}-{}/{}\r\n",
            end - 1,
            body.len()
        );
        return respond(
            &mut stream,
            206,
            "Partial Content",
            &headers,
            &body[start..end],
        );
    }
    respond(
        &mut stream,
        200,
        "OK",
        &format!("ETag: {etag}\r\nContent-Type: application/json\r\n"),
        &body,
    );
}

/// The bytes `start..end` a `Range` header asks for in a body of `len` bytes, when it is one
/// range the body can satisfy.
fn byte_range(header: &str, len: usize) -> Option<(usize, usize)> {
    let spec = header.strip_prefix("bytes=")?;
    let (start, end) = spec.split_once('-')?;
    if start.is_empty() {
        let n: usize = end.parse().ok()?;
        return Some((len.saturating_sub(n), len));
    }
    let start: usize = start.parse().ok()?;
    let end = if end.is_empty() {
        len
    } else {
        (end.parse::<usize>().ok()? + 1).min(len)
    };
    (start < end).then_some((start, end))
}
