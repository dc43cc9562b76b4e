//! A tiny HTTP/1.1 server on 127.0.0.1 for the tests (never the real network): one thread per
//! connection, `Connection: close`, every request recorded, and the number of requests being
//! answered at once tracked.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nanoup_http::Config;

/// One request as the server saw it: path and headers (names lower-cased).
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub enum Reply {
    Respond(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Wait, then give the reply.
    After(Duration, Box<Reply>),
    /// Accept the request and never answer.
    Hang,
    /// Send the head and the first part of a longer body, then fall silent.
    Stall,
}

#[derive(Default)]
struct Counters {
    total: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Seen>>>,
    counters: Arc<Counters>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
    pub fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
    pub fn request(&self, i: usize) -> Seen {
        self.requests.lock().unwrap()[i].clone()
    }
    /// The most requests the server was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.counters.max_in_flight.load(Ordering::SeqCst)
    }
}

type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// Starts a server whose `handler` gets each request and its 0-based number.
pub fn serve(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let counters = Arc::new(Counters::default());
    let (seen, shared) = (requests.clone(), counters.clone());
    let handler: Arc<Handler> = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (handler, seen, shared) = (handler.clone(), seen.clone(), shared.clone());
            std::thread::spawn(move || handle(stream, &*handler, &seen, &shared));
        }
    });
    Server {
        addr,
        requests,
        counters,
    }
}

fn handle(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>, counters: &Counters) {
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
    let request = Seen { path, headers };
    seen.lock().unwrap().push(request.clone());
    let n = counters.total.fetch_add(1, Ordering::SeqCst);
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let mut stream = stream;
    let mut reply = handler(&request, n);
    while let Reply::After(wait, next) = reply {
        std::thread::sleep(wait);
        reply = *next;
    }
    match reply {
        Reply::Hang => {
            counters.in_flight.fetch_sub(1, Ordering::SeqCst);
            // Keep the connection open, answer nothing; drain until the client gives up.
            let mut sink = [0u8; 64];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = reader.get_mut().read(&mut sink);
        }
        Reply::Stall => {
            counters.in_flight.fetch_sub(1, Ordering::SeqCst);
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
            // Count the request as finished before the client can see the answer, so the
            // client never starts its next request while this one still counts.
            counters.in_flight.fetch_sub(1, Ordering::SeqCst);
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
        Reply::After(..) => unreachable!("unwrapped above"),
    }
}

/// Short timeouts and backoffs, so fault tests take milliseconds.
pub fn fast_config() -> Config {
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

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn ok(body: &str) -> Reply {
    Reply::Respond(200, Vec::new(), body.as_bytes().to_vec())
}
