//! nanoup's one HTTP client.
//!
//! Every download nanoup makes (advisory exports today, registry metadata next) goes through
//! [`Client`], which gives each request the same treatment:
//!
//! - a connect timeout and an overall timeout per attempt;
//! - retries with exponential backoff and jitter on timeouts, connection errors, `429 Too Many
//!   Requests` (honouring `Retry-After`, capped) and `5xx`;
//! - conditional requests: pass the [`Validators`] (ETag / Last-Modified) of the copy you have
//!   and get [`Fetched::NotModified`] back when it is still current;
//! - extra request headers ([`Request`], [`Client::get_with`]), with secret ones
//!   (`Authorization`, see [`is_secret_header`]) kept out of errors, `Debug` output and the cache;
//! - a limit on concurrent requests per host ([`Config::max_per_host`]), so a fan-out of hundreds
//!   of look-ups does not open hundreds of connections to one registry;
//! - an optional overall deadline ([`Config::deadline`]) after which nothing new starts and
//!   pending requests fail with [`HttpError::Deadline`], so a run can never hang;
//! - a cap on the body size, so a hostile or broken server cannot exhaust memory;
//! - a body sent with a `Docker-Content-Digest` header (container registries' manifests) must
//!   hash to it ([`check_content_digest`]), else the attempt fails and is retried;
//! - errors ([`HttpError`]) that name the URL and say what to do, with user names, passwords and
//!   credential-like query values redacted (see [`redact_url`]). Nothing here logs headers.
//!
//! [`cache::CachedClient`] adds an on-disk cache with a freshness window, revalidation with
//! ETag / Last-Modified and an offline mode.
//!
//! The client is async (tokio); a command-line caller can drive it with a current-thread runtime.

pub mod cache;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::StatusCode;
use reqwest::header::{
    ETAG, HeaderMap, HeaderName, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use tokio::sync::Semaphore;

pub use cache::{CachedClient, CachedResponse, Mode};

/// The default cap on a response body: 512 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 512 * 1024 * 1024;

/// The default limit on requests in flight to one host ([`Config::max_per_host`]).
pub const DEFAULT_MAX_PER_HOST: usize = 32;

/// Environment variables read by [`Config::from_env`], each overriding one default.
pub mod env {
    /// Retries after the first attempt (a whole number; `0` disables retries).
    pub const RETRIES: &str = "NANOUP_HTTP_RETRIES";
    /// Overall time allowed for one attempt, in seconds (fractions allowed).
    pub const TIMEOUT: &str = "NANOUP_HTTP_TIMEOUT";
    /// Longest silence allowed while waiting for data, in seconds (fractions allowed).
    pub const READ_TIMEOUT: &str = "NANOUP_HTTP_READ_TIMEOUT";
    /// Time allowed to establish a connection, in seconds (fractions allowed).
    pub const CONNECT_TIMEOUT: &str = "NANOUP_HTTP_CONNECT_TIMEOUT";
    /// The first backoff delay between attempts, in milliseconds; later delays double.
    pub const BACKOFF_MS: &str = "NANOUP_HTTP_BACKOFF_MS";
    /// The largest response body accepted, in bytes.
    pub const MAX_BODY: &str = "NANOUP_HTTP_MAX_BODY";
    /// The most requests in flight to one host at a time (a positive whole number).
    pub const MAX_PER_HOST: &str = "NANOUP_HTTP_MAX_PER_HOST";
}

/// How the client behaves: timeouts, retries and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Time allowed to establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Overall time allowed for one attempt, from sending the request to the end of the body.
    pub timeout: Duration,
    /// Longest silence allowed while waiting for the response or the next part of the body.
    pub read_timeout: Duration,
    /// Retries after the first attempt for retryable failures (timeouts, connection errors,
    /// 429, 5xx). `0` means one attempt only.
    pub retries: usize,
    /// The first backoff delay; each later one doubles, plus random jitter, up to `max_backoff`.
    pub min_backoff: Duration,
    /// The longest backoff delay.
    pub max_backoff: Duration,
    /// The longest wait a server's `Retry-After` can ask for; longer requests are capped.
    pub max_retry_after: Duration,
    /// The largest response body accepted; a larger one fails with [`HttpError::TooLarge`].
    pub max_body_bytes: u64,
    /// The `User-Agent` header sent with every request.
    pub user_agent: String,
    /// The most requests in flight to one host (scheme, host and port) at a time; more wait
    /// their turn. A waiting retry does not hold a place. `0` counts as `1`.
    pub max_per_host: usize,
    /// An overall deadline: once it has passed no attempt or retry starts, and an attempt (or
    /// a wait for a place under [`Config::max_per_host`]) still pending then fails with
    /// [`HttpError::Deadline`]. `None` means no deadline. See also [`Client::with_deadline`].
    pub deadline: Option<Instant>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(900),
            read_timeout: Duration::from_secs(60),
            retries: 3,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: format!("nanoup/{}", env!("CARGO_PKG_VERSION")),
            max_per_host: DEFAULT_MAX_PER_HOST,
            deadline: None,
        }
    }
}

impl Config {
    /// The defaults, with any of the variables in [`env`](mod@env) applied.
    pub fn from_env() -> Result<Config, HttpError> {
        Config::default().with_env_from(|key| std::env::var(key).ok())
    }

    /// Applies the variables of [`env`](mod@env) as returned by `get` (testable without the process
    /// environment). Empty values count as unset.
    pub fn with_env_from(
        mut self,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, HttpError> {
        let read = |var: &'static str| get(var).filter(|v| !v.trim().is_empty());
        let bad = |var: &'static str, value: String, expected: &str| HttpError::Config {
            var,
            value,
            reason: format!("expected {expected}"),
        };
        let seconds = |var: &'static str| -> Result<Option<Duration>, HttpError> {
            read(var)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(|s| Duration::try_from_secs_f64(s).ok())
                        .filter(|d| !d.is_zero())
                        .ok_or_else(|| bad(var, v, "a positive number of seconds"))
                })
                .transpose()
        };
        if let Some(v) = read(env::RETRIES) {
            self.retries = v
                .trim()
                .parse()
                .map_err(|_| bad(env::RETRIES, v, "a whole number"))?;
        }
        if let Some(d) = seconds(env::TIMEOUT)? {
            self.timeout = d;
        }
        if let Some(d) = seconds(env::READ_TIMEOUT)? {
            self.read_timeout = d;
        }
        if let Some(d) = seconds(env::CONNECT_TIMEOUT)? {
            self.connect_timeout = d;
        }
        if let Some(v) = read(env::BACKOFF_MS) {
            let ms: u64 = v
                .trim()
                .parse()
                .map_err(|_| bad(env::BACKOFF_MS, v, "a whole number of milliseconds"))?;
            self.min_backoff = Duration::from_millis(ms);
        }
        if let Some(v) = read(env::MAX_BODY) {
            self.max_body_bytes = v
                .trim()
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(env::MAX_BODY, v, "a positive number of bytes"))?;
        }
        if let Some(v) = read(env::MAX_PER_HOST) {
            self.max_per_host = v
                .trim()
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| bad(env::MAX_PER_HOST, v, "a positive whole number"))?;
        }
        Ok(self)
    }
}

/// The validators of a copy already held, sent as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` the server sent with the copy.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent with the copy.
    pub last_modified: Option<String>,
}

impl Validators {
    /// True when there is nothing to send (a conditional request would be unconditional).
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// One GET to make: a URL and extra headers (`Accept`, `Authorization`, ...).
///
/// Values of secret headers (see [`is_secret_header`]) are never shown: `Debug` prints them as
/// `***`, errors never include any header value, and the cache neither stores nor hashes them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The URL to fetch (http or https).
    pub url: String,
    /// Extra headers as (name, value) pairs, sent in this order.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// A request for `url` with no extra headers.
    pub fn new(url: impl Into<String>) -> Request {
        Request {
            url: url.into(),
            headers: Vec::new(),
        }
    }

    /// The request with one more header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let shown = if is_secret_header(k) { "***" } else { v };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("Request")
            .field("url", &redact_url(&self.url))
            .field("headers", &headers)
            .finish()
    }
}

/// True when a header named `name` (any case) carries a credential: `Authorization`,
/// `Proxy-Authorization`, `Cookie`, or any name containing `token`, `auth`, `secret`, `key`,
/// `password` or `session` (`Private-Token`, `X-Api-Key`, ...). Such values are never shown,
/// and the cache neither stores nor hashes them.
pub fn is_secret_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    name == "cookie"
        || ["auth", "token", "secret", "key", "password", "session"]
            .iter()
            .any(|s| name.contains(s))
}

/// What a GET returned.
#[derive(Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `304 Not Modified`: the copy described by the validators is current.
    NotModified,
    /// A `2xx` response with its body and the validators to store for the next request.
    Body {
        /// The body, decompressed.
        bytes: Vec<u8>,
        /// The response's `ETag`, if any.
        etag: Option<String>,
        /// The response's `Last-Modified`, if any.
        last_modified: Option<String>,
    },
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fetched::NotModified => f.write_str("NotModified"),
            Fetched::Body {
                bytes,
                etag,
                last_modified,
            } => f
                .debug_struct("Body")
                .field("bytes", &format_args!("<{} bytes>", bytes.len()))
                .field("etag", etag)
                .field("last_modified", last_modified)
                .finish(),
        }
    }
}

/// Why a request failed. Every variant names the (redacted) URL and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL could not be parsed or is not http(s).
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The URL as given (redacted).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `404 Not Found` (or `410 Gone`): the URL names nothing on the server. Not retried.
    #[error(
        "{url} was not found (HTTP {status}); check the URL or the base URL given with --source"
    )]
    NotFound {
        /// The URL (redacted).
        url: String,
        /// 404 or 410.
        status: u16,
    },
    /// Any other unsuccessful status, after the retries allowed for it.
    #[error("{url} answered HTTP {status} after {attempts} attempt(s); {hint}")]
    Status {
        /// The URL (redacted).
        url: String,
        /// The last status received.
        status: u16,
        /// Attempts made.
        attempts: usize,
        /// What to do about it.
        hint: &'static str,
    },
    /// No complete answer within the timeouts, on every attempt.
    #[error(
        "{url} timed out ({attempts} attempt(s), each allowed {after:?} in all and {idle:?} without data); check the network, or raise NANOUP_HTTP_TIMEOUT / NANOUP_HTTP_READ_TIMEOUT"
    )]
    Timeout {
        /// The URL (redacted).
        url: String,
        /// The overall per-attempt timeout in force.
        after: Duration,
        /// The read (idle) timeout in force.
        idle: Duration,
        /// Attempts made.
        attempts: usize,
    },
    /// No connection could be made, on every attempt.
    #[error(
        "cannot connect to {url} after {attempts} attempt(s): {detail}; check the network, proxy settings and the URL"
    )]
    Connect {
        /// The URL (redacted).
        url: String,
        /// The underlying error.
        detail: String,
        /// Attempts made.
        attempts: usize,
    },
    /// The body is larger than [`Config::max_body_bytes`].
    #[error(
        "the response from {url} is larger than the {limit}-byte limit; raise NANOUP_HTTP_MAX_BODY if it is expected"
    )]
    TooLarge {
        /// The URL (redacted).
        url: String,
        /// The limit in force.
        limit: u64,
    },
    /// Another transport failure (TLS, protocol, a body cut short), after the retries allowed.
    #[error("request to {url} failed after {attempts} attempt(s): {detail}")]
    Transport {
        /// The URL (redacted).
        url: String,
        /// The underlying error.
        detail: String,
        /// Attempts made.
        attempts: usize,
    },
    /// The overall deadline ([`Config::deadline`]) passed before an answer came.
    #[error(
        "{url} got no answer before the overall deadline ({attempts} attempt(s) started{}); the run's time limit ran out, so this look-up was abandoned",
        last_failure(.last)
    )]
    Deadline {
        /// The URL (redacted).
        url: String,
        /// Attempts started.
        attempts: usize,
        /// The failure of the last finished attempt, if one failed (retrying it would have
        /// crossed the deadline).
        last: Option<String>,
    },
    /// A header of a [`Request`] is not valid HTTP. The value is never shown.
    #[error(
        "the {name:?} header for {url} is not valid HTTP ({reason}); check where it is configured"
    )]
    InvalidHeader {
        /// The URL (redacted).
        url: String,
        /// The header name as given.
        name: String,
        /// What is wrong (never the value).
        reason: &'static str,
    },
    /// Offline, and the cache holds no usable copy of the URL.
    #[error(
        "{url} is not in the cache{}; run once without --offline to fill it",
        if *damaged { " (the cached copy is damaged)" } else { "" }
    )]
    NotCached {
        /// The URL (redacted).
        url: String,
        /// True when an entry exists but is unreadable or corrupt.
        damaged: bool,
    },
    /// The HTTP client could not be set up (for example, no TLS roots).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    /// An environment variable of [`env`](mod@env) has a value that cannot be used.
    #[error("{var}={value:?} is not valid: {reason}")]
    Config {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What was expected.
        reason: String,
    },
}

impl HttpError {
    /// True for [`HttpError::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, HttpError::NotFound { .. })
    }

    /// True for [`HttpError::Timeout`] and [`HttpError::Deadline`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, HttpError::Timeout { .. } | HttpError::Deadline { .. })
    }
}

fn last_failure(last: &Option<String>) -> String {
    match last {
        Some(text) => format!("; the last one failed: {text}"),
        None => String::new(),
    }
}

/// The HTTP client: cheap to clone (clones share one connection pool and the per-host limits).
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::Client,
    config: Config,
    /// One semaphore per origin (`scheme://host:port`), each with `max_per_host` places.
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

/// One attempt's outcome, before the retry decision.
enum Attempt {
    Done(Fetched),
    /// Retryable, with the server's requested delay (Retry-After) if any.
    Retry(HttpError, Option<Duration>),
    Fatal(HttpError),
}

impl Client {
    /// A client with `config`.
    pub fn new(config: Config) -> Result<Client, HttpError> {
        let inner = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .read_timeout(config.read_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| HttpError::Setup(error_chain(&e.without_url())))?;
        Ok(Client {
            inner,
            config,
            hosts: Arc::default(),
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A clone of this client (same connection pool, same per-host limits) whose
    /// [`Config::deadline`] is `deadline`.
    pub fn with_deadline(&self, deadline: Option<Instant>) -> Client {
        let mut client = self.clone();
        client.config.deadline = deadline;
        client
    }

    /// GETs `url`, conditionally when `validators` are given, retrying transient failures.
    ///
    /// Returns [`Fetched::NotModified`] on `304`, [`Fetched::Body`] on `2xx`, and otherwise an
    /// [`HttpError`]: `404`/`410` at once as [`HttpError::NotFound`], other `4xx` at once as
    /// [`HttpError::Status`], and timeouts, connection errors, `429` and `5xx` only after
    /// [`Config::retries`] further attempts with exponential backoff (or
    /// [`HttpError::Deadline`] once [`Config::deadline`] has passed).
    pub async fn get(
        &self,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, HttpError> {
        self.get_with(&Request::new(url), validators).await
    }

    /// As [`Client::get`], sending the extra headers of `request` too. Secret header values
    /// (see [`is_secret_header`]) are marked sensitive and never appear in errors.
    pub async fn get_with(
        &self,
        request: &Request,
        validators: Option<&Validators>,
    ) -> Result<Fetched, HttpError> {
        let shown = redact_url(&request.url);
        let parsed = reqwest::Url::parse(&request.url).map_err(|e| HttpError::InvalidUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(HttpError::InvalidUrl {
                url: shown,
                reason: "only http and https URLs can be fetched".into(),
            });
        }
        let headers = header_map(request, &shown)?;
        let limit = self.host_limit(&parsed);
        let deadline = self.config.deadline;
        let mut backoff = ExponentialBuilder::new()
            .with_min_delay(self.config.min_backoff)
            .with_max_delay(self.config.max_backoff)
            .with_max_times(self.config.retries)
            .with_jitter()
            .build();
        let mut attempts = 0;
        let mut last: Option<String> = None;
        let too_late = |attempts: usize, last: Option<String>| HttpError::Deadline {
            url: shown.clone(),
            attempts,
            last,
        };
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(too_late(attempts, last));
            }
            attempts += 1;
            let attempt = async {
                // Hold a place only for the attempt itself, not for the backoff that follows.
                // (The semaphores are never closed, so `acquire` cannot fail.)
                let _place = limit.acquire().await.ok();
                self.attempt(&parsed, &shown, &headers, validators, attempts)
                    .await
            };
            let outcome = match deadline {
                Some(d) => match tokio::time::timeout_at(d.into(), attempt).await {
                    Ok(outcome) => outcome,
                    Err(_) => return Err(too_late(attempts, last)),
                },
                None => attempt.await,
            };
            match outcome {
                Attempt::Done(fetched) => return Ok(fetched),
                Attempt::Fatal(error) => return Err(error),
                Attempt::Retry(error, retry_after) => {
                    let Some(delay) = backoff.next() else {
                        return Err(error);
                    };
                    let delay = match retry_after {
                        Some(asked) => asked.min(self.config.max_retry_after),
                        None => delay,
                    };
                    if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                        return Err(too_late(attempts, Some(error.to_string())));
                    }
                    last = Some(error.to_string());
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// The semaphore limiting requests in flight to `url`'s origin.
    fn host_limit(&self, url: &reqwest::Url) -> Arc<Semaphore> {
        let origin = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut hosts = self
            .hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts
            .entry(origin)
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.max_per_host.max(1))))
            .clone()
    }

    async fn attempt(
        &self,
        url: &reqwest::Url,
        shown: &str,
        headers: &HeaderMap,
        validators: Option<&Validators>,
        attempts: usize,
    ) -> Attempt {
        let mut request = self.inner.get(url.clone()).headers(headers.clone());
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(date) = &v.last_modified {
                request = request.header(IF_MODIFIED_SINCE, date);
            }
        }
        let transport = |e: reqwest::Error| self.classify(e, shown, attempts);
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport(e),
        };
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Attempt::Done(Fetched::NotModified);
        }
        if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE) {
            return Attempt::Fatal(HttpError::NotFound {
                url: shown.to_string(),
                status: status.as_u16(),
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = retry_after(response.headers());
            let hint = if status == StatusCode::TOO_MANY_REQUESTS {
                "the server is rate limiting; wait a while and try again"
            } else {
                "the server is having trouble; try again later"
            };
            return Attempt::Retry(
                HttpError::Status {
                    url: shown.to_string(),
                    status: status.as_u16(),
                    attempts,
                    hint,
                },
                retry_after,
            );
        }
        if !status.is_success() {
            let hint = match status.as_u16() {
                401 | 403 => "the server refused access; check the URL and any credentials",
                _ => "check the URL",
            };
            return Attempt::Fatal(HttpError::Status {
                url: shown.to_string(),
                status: status.as_u16(),
                attempts,
                hint,
            });
        }
        let limit = self.config.max_body_bytes;
        let too_large = || {
            Attempt::Fatal(HttpError::TooLarge {
                url: shown.to_string(),
                limit,
            })
        };
        if response.content_length().is_some_and(|n| n > limit) {
            return too_large();
        }
        let etag = header_text(response.headers(), &ETAG);
        let last_modified = header_text(response.headers(), &LAST_MODIFIED);
        let content_digest = header_text(response.headers(), &DOCKER_CONTENT_DIGEST);
        let capacity = response.content_length().unwrap_or(0).min(limit);
        let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if bytes.len() as u64 + chunk.len() as u64 > limit {
                        return too_large();
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return transport(e),
            }
        }
        if let Some(Err(detail)) = content_digest.map(|d| check_content_digest(&d, &bytes)) {
            // A body altered on the way (or cut short without the length telling): retried.
            return Attempt::Retry(
                HttpError::Transport {
                    url: shown.to_string(),
                    detail,
                    attempts,
                },
                None,
            );
        }
        Attempt::Done(Fetched::Body {
            bytes,
            etag,
            last_modified,
        })
    }

    fn classify(&self, e: reqwest::Error, shown: &str, attempts: usize) -> Attempt {
        let url = shown.to_string();
        if e.is_timeout() {
            return Attempt::Retry(
                HttpError::Timeout {
                    url,
                    after: self.config.timeout,
                    idle: self.config.read_timeout,
                    attempts,
                },
                None,
            );
        }
        let (connect, retryable) = (
            e.is_connect(),
            e.is_request() || e.is_body() || e.is_decode(),
        );
        let detail = error_chain(&e.without_url());
        if connect {
            return Attempt::Retry(
                HttpError::Connect {
                    url,
                    detail,
                    attempts,
                },
                None,
            );
        }
        let error = HttpError::Transport {
            url,
            detail,
            attempts,
        };
        // A body cut short or a reset mid-request is worth another try; a redirect loop or a
        // builder error is not.
        if retryable {
            Attempt::Retry(error, None)
        } else {
            Attempt::Fatal(error)
        }
    }
}

/// The extra headers of `request` as a header map; secret values are marked sensitive.
fn header_map(request: &Request, shown: &str) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::new();
    for (name, value) in &request.headers {
        let invalid = |reason: &'static str| HttpError::InvalidHeader {
            url: shown.to_string(),
            name: name.clone(),
            reason,
        };
        let key = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| invalid("not a valid header name"))?;
        let mut value = HeaderValue::from_str(value.trim())
            .map_err(|_| invalid("the value has characters HTTP headers cannot carry"))?;
        if is_secret_header(name) {
            value.set_sensitive(true);
        }
        map.append(key, value);
    }
    Ok(map)
}

/// The error and its sources joined with `: `, for one-line messages.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// The header a container registry (OCI distribution) sends with a manifest or blob: the
/// digest of the body, `algorithm:hex`.
const DOCKER_CONTENT_DIGEST: HeaderName = HeaderName::from_static("docker-content-digest");

/// Checks `body` against a `Docker-Content-Digest` value: `Err` with what differs when a
/// `sha256` or `sha512` digest does not match (other algorithms are not checked).
pub fn check_content_digest(digest: &str, body: &[u8]) -> Result<(), String> {
    use sha2::Digest;
    let Some((algorithm, expected)) = digest.trim().split_once(':') else {
        return Ok(());
    };
    let actual: String = match algorithm.to_ascii_lowercase().as_str() {
        "sha256" => sha2::Sha256::digest(body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        "sha512" => sha2::Sha512::digest(body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        _ => return Ok(()),
    };
    if actual.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(format!(
            "the body does not match its Docker-Content-Digest header ({algorithm}:{} announced, \
             {algorithm}:{actual} received); retry, and check any proxy between nanoup and the \
             registry",
            expected.trim()
        ))
    }
}

fn header_text(headers: &HeaderMap, name: &reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The delay a `Retry-After` header asks for: delta-seconds or an HTTP date (IMF-fixdate).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value: &HeaderValue = headers.get(RETRY_AFTER)?;
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(text)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into seconds since the Unix epoch.
fn parse_http_date(text: &str) -> Option<u64> {
    let rest = text.split_once(", ")?.1;
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as u64
        + 1;
    let year: u64 = year.parse().ok()?;
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if year < 1970 || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), for years from 1970 on.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

/// `url` fit for messages and logs: any user name and password are replaced by `***`, and so
/// are the values of query parameters whose names suggest a credential (token, key, secret,
/// signature, password, auth). A string that is not a URL is returned with any `user:pass@`
/// part removed.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}***@{}", &url[..scheme_end + 3], &url[at + 1..])
            }
            _ => url.to_string(),
        };
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        let _ = parsed.set_username("***");
        let _ = parsed.set_password(None);
    }
    if parsed.query().is_some() {
        let secret = |name: &str| {
            let name = name.to_ascii_lowercase();
            [
                "token",
                "key",
                "secret",
                "sig",
                "password",
                "passwd",
                "auth",
                "credential",
            ]
            .iter()
            .any(|s| name.contains(s))
        };
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) {
                    "***".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact_url("https://user:pw@example.com/a?x=1&token=abc"),
            "https://***@example.com/a?x=1&token=***"
        );
        assert_eq!(
            redact_url("https://example.com/a/all.zip"),
            "https://example.com/a/all.zip"
        );
        assert_eq!(redact_url("nonsense://u:p@"), "nonsense://***@");
    }

    #[test]
    fn secret_headers_are_recognised() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "Private-Token",
            "X-Api-Key",
            "X-JFrog-Art-Api-Key",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in ["Accept", "Accept-Encoding", "User-Agent", "If-None-Match"] {
            assert!(!is_secret_header(name), "{name}");
        }
    }

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn env_overrides_apply_and_bad_values_are_named() {
        let config = Config::default()
            .with_env_from(|k| match k {
                env::RETRIES => Some("0".into()),
                env::TIMEOUT => Some("1.5".into()),
                env::BACKOFF_MS => Some("10".into()),
                env::MAX_PER_HOST => Some("4".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.retries, 0);
        assert_eq!(config.timeout, Duration::from_millis(1500));
        assert_eq!(config.min_backoff, Duration::from_millis(10));
        assert_eq!(config.max_per_host, 4);
        assert!(
            Config::default()
                .with_env_from(|k| (k == env::MAX_PER_HOST).then(|| "0".to_string()))
                .is_err()
        );
        let error = Config::default()
            .with_env_from(|k| (k == env::TIMEOUT).then(|| "soon".to_string()))
            .unwrap_err();
        assert!(error.to_string().contains("NANOUP_HTTP_TIMEOUT"), "{error}");
    }
}
