//! An on-disk HTTP cache in front of [`Client`], with a freshness window, revalidation and an
//! offline mode.
//!
//! - **Online**: an entry younger than [`CachedClient::fresh_for`] (default 10 minutes) is
//!   served without any request, so a warm re-run makes none. An older entry is revalidated
//!   with a conditional GET (`If-None-Match` / `If-Modified-Since`): `304` serves the cached
//!   body and refreshes its `fetched_at`; `200` replaces the entry. A failed request is an
//!   error, never a silent stale answer, so the caller can report the look-up as unknown.
//! - **Offline**: the network is never touched. An entry is served, marked
//!   [`CachedResponse::stale`] when older than the window; no entry gives
//!   [`HttpError::NotCached`].
//! - Only `2xx` bodies are stored. `404`, other errors and redirects' intermediate answers are
//!   not, so an unknown package is asked about again next time.
//!
//! # Files
//!
//! Each entry is one file `<dir>/<k[0..2]>/<k>`, where `k` is the hex SHA-256 of the URL and of
//! the non-secret request headers (for example `Accept`, which can change the body). Secret
//! headers ([`is_secret_header`], such as `Authorization`) are neither stored nor hashed, and
//! no header value at all is written. The file is:
//!
//! ```text
//! nanoup-http-cache 1\n
//! {"url":"<redacted URL>","etag":..,"last_modified":..,"fetched_at":"<RFC 3339>",
//!  "body_len":N,"body_sha256":"<hex>"}\n        (one line)
//! <N body bytes>
//! ```
//!
//! Entries are written to a temporary file in the same directory and renamed into place, so a
//! reader sees the old entry or the new one, never half of one. An entry whose header does not
//! parse, or whose body length or checksum does not match, counts as a miss (never a panic).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Client, Fetched, HttpError, Request, Validators, is_secret_header, redact_url};

/// The default freshness window: entries younger than this are served without a request.
pub const DEFAULT_FRESH_FOR: Duration = Duration::from_secs(10 * 60);

/// The first line of every entry file; a different one means another format (a miss).
const MAGIC: &[u8] = b"nanoup-http-cache 1\n";

/// Whether the cache may use the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Serve fresh entries, revalidate older ones, fetch what is missing.
    Online,
    /// Never touch the network: serve what the cache holds, marked stale when old.
    Offline,
}

/// A [`Client`] with an on-disk cache (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct CachedClient {
    /// The client used for network requests (its per-host limit and deadline apply).
    pub client: Client,
    /// The cache directory, typically `$NANOUP_HOME/http-cache`; created when first written.
    pub dir: PathBuf,
    /// Online or offline.
    pub mode: Mode,
    /// Entries younger than this are fresh: served without a request online, and not marked
    /// stale offline. `Duration::ZERO` revalidates every time.
    pub fresh_for: Duration,
}

/// A body answered by [`CachedClient::fetch`].
#[derive(Clone, PartialEq, Eq)]
pub struct CachedResponse {
    /// The body.
    pub body: Vec<u8>,
    /// True when the body came from the cache (a fresh entry, a `304`, or offline).
    pub from_cache: bool,
    /// True when the body came from the cache after the server confirmed it with `304`.
    pub revalidated: bool,
    /// True when the body is older than the freshness window and was not revalidated (only
    /// ever offline; online, a failed request is an error instead).
    pub stale: bool,
    /// When the body was last fetched or confirmed by the server (RFC 3339, UTC, seconds).
    pub fetched_at: String,
    /// Set when the cache could not be written (the body is still good); a note for the user.
    pub cache_warning: Option<String>,
}

impl std::fmt::Debug for CachedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedResponse")
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("from_cache", &self.from_cache)
            .field("revalidated", &self.revalidated)
            .field("stale", &self.stale)
            .field("fetched_at", &self.fetched_at)
            .field("cache_warning", &self.cache_warning)
            .finish()
    }
}

/// The metadata line of an entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Meta {
    /// The URL, redacted: for people reading the directory, never used for lookups.
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched_at: String,
    body_len: u64,
    body_sha256: String,
}

/// A readable entry.
struct Entry {
    meta: Meta,
    fetched_at: Timestamp,
    body: Vec<u8>,
}

/// What the cache holds for a key.
enum Lookup {
    Missing,
    Damaged,
    Found(Entry),
}

impl CachedClient {
    /// A cached client over `client`, keeping entries in `dir`, with the default freshness
    /// window ([`DEFAULT_FRESH_FOR`]).
    pub fn new(client: Client, dir: impl Into<PathBuf>, mode: Mode) -> CachedClient {
        CachedClient {
            client,
            dir: dir.into(),
            mode,
            fresh_for: DEFAULT_FRESH_FOR,
        }
    }

    /// This cached client with the freshness window `fresh_for`.
    pub fn with_fresh_for(mut self, fresh_for: Duration) -> CachedClient {
        self.fresh_for = fresh_for;
        self
    }

    /// The file that holds (or would hold) the entry for `request`.
    pub fn entry_path(&self, request: &Request) -> PathBuf {
        let key = cache_key(request);
        self.dir.join(&key[..2]).join(key)
    }

    /// GETs `request` through the cache (see the [module documentation](self)).
    ///
    /// Errors: those of [`Client::get_with`] online (including [`HttpError::NotFound`] and
    /// [`HttpError::Deadline`]), and [`HttpError::NotCached`] offline when there is no usable
    /// entry.
    pub async fn fetch(&self, request: &Request) -> Result<CachedResponse, HttpError> {
        let path = self.entry_path(request);
        let shown = redact_url(&request.url);
        let lookup = read_entry(&path).await;
        let now = Timestamp::now();
        if self.mode == Mode::Offline {
            return match lookup {
                Lookup::Found(entry) => {
                    let stale = !self.is_fresh(&entry, now);
                    Ok(answer(entry, true, false, stale, None))
                }
                Lookup::Missing => Err(HttpError::NotCached {
                    url: shown,
                    damaged: false,
                }),
                Lookup::Damaged => Err(HttpError::NotCached {
                    url: shown,
                    damaged: true,
                }),
            };
        }
        let cached = match lookup {
            Lookup::Found(entry) if self.is_fresh(&entry, now) => {
                return Ok(answer(entry, true, false, false, None));
            }
            Lookup::Found(entry) => Some(entry),
            Lookup::Missing | Lookup::Damaged => None,
        };
        let validators = cached.as_ref().map(|entry| Validators {
            etag: entry.meta.etag.clone(),
            last_modified: entry.meta.last_modified.clone(),
        });
        let validators = validators.filter(|v| !v.is_empty());
        let fetched = self.client.get_with(request, validators.as_ref()).await?;
        let now = whole_seconds(Timestamp::now());
        match (fetched, cached) {
            (Fetched::NotModified, Some(mut entry)) => {
                entry.meta.fetched_at = now.to_string();
                entry.fetched_at = now;
                let warning = write_entry(&path, &entry.meta, &entry.body).await.err();
                Ok(answer(entry, true, true, false, warning))
            }
            (Fetched::NotModified, None) => Err(HttpError::Transport {
                url: shown,
                detail:
                    "the server answered 304 Not Modified to a request that was not conditional"
                        .into(),
                attempts: 1,
            }),
            (
                Fetched::Body {
                    bytes,
                    etag,
                    last_modified,
                },
                _,
            ) => {
                let meta = Meta {
                    url: shown,
                    etag,
                    last_modified,
                    fetched_at: now.to_string(),
                    body_len: bytes.len() as u64,
                    body_sha256: hex(&Sha256::digest(&bytes)),
                };
                let warning = write_entry(&path, &meta, &bytes).await.err();
                let entry = Entry {
                    meta,
                    fetched_at: now,
                    body: bytes,
                };
                Ok(answer(entry, false, false, false, warning))
            }
        }
    }

    /// True when `entry` is younger than the freshness window (an entry dated in the future,
    /// after a clock change, is not fresh).
    fn is_fresh(&self, entry: &Entry, now: Timestamp) -> bool {
        let age = now.duration_since(entry.fetched_at);
        let window = SignedDuration::try_from(self.fresh_for).unwrap_or(SignedDuration::MAX);
        !age.is_negative() && age < window
    }
}

fn answer(
    entry: Entry,
    from_cache: bool,
    revalidated: bool,
    stale: bool,
    cache_warning: Option<String>,
) -> CachedResponse {
    CachedResponse {
        body: entry.body,
        from_cache,
        revalidated,
        stale,
        fetched_at: entry.meta.fetched_at,
        cache_warning,
    }
}

/// The hex SHA-256 naming `request`'s entry: its URL and its non-secret headers (names
/// lower-cased, sorted, values trimmed). Secret headers do not take part.
pub fn cache_key(request: &Request) -> String {
    let mut headers: Vec<(String, &str)> = request
        .headers
        .iter()
        .filter(|(name, _)| !is_secret_header(name))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim()))
        .collect();
    headers.sort();
    let mut hash = Sha256::new();
    hash.update(MAGIC);
    hash.update(request.url.as_bytes());
    for (name, value) in headers {
        hash.update(b"\0");
        hash.update(name.as_bytes());
        hash.update(b":");
        hash.update(value.as_bytes());
    }
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn whole_seconds(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second()).unwrap_or(t)
}

/// Reads and checks the entry at `path`: anything unreadable or inconsistent is `Damaged`.
async fn read_entry(path: &Path) -> Lookup {
    let data = match tokio::fs::read(path).await {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Lookup::Missing,
        Err(_) => return Lookup::Damaged,
    };
    parse_entry(&data).map_or(Lookup::Damaged, Lookup::Found)
}

fn parse_entry(data: &[u8]) -> Option<Entry> {
    let rest = data.strip_prefix(MAGIC)?;
    let newline = rest.iter().position(|&b| b == b'\n')?;
    let meta: Meta = serde_json::from_slice(&rest[..newline]).ok()?;
    let body = &rest[newline + 1..];
    if body.len() as u64 != meta.body_len || hex(&Sha256::digest(body)) != meta.body_sha256 {
        return None;
    }
    let fetched_at: Timestamp = meta.fetched_at.parse().ok()?;
    Some(Entry {
        fetched_at,
        body: body.to_vec(),
        meta,
    })
}

/// Writes an entry atomically (a temporary file renamed into place). The error is a note for
/// the user naming the path.
async fn write_entry(path: &Path, meta: &Meta, body: &[u8]) -> Result<(), String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let fail = |what: &str, e: std::io::Error| {
        format!(
            "could not {what} the HTTP cache entry {}: {e}; check that the directory is writable (answers are not being cached)",
            path.display()
        )
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| fail("create the directory for", e))?;
    let meta_line = serde_json::to_vec(meta).map_err(|e| fail("encode", e.into()))?;
    let mut data = Vec::with_capacity(MAGIC.len() + meta_line.len() + 1 + body.len());
    data.extend_from_slice(MAGIC);
    data.extend_from_slice(&meta_line);
    data.push(b'\n');
    data.extend_from_slice(body);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    if let Err(e) = tokio::fs::write(&temp, &data).await {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(fail("write", e));
    }
    if let Err(e) = tokio::fs::rename(&temp, path).await {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(fail("replace", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_url_and_public_headers_only() {
        let base = Request::new("https://r.example/p");
        let json = base.clone().with_header("Accept", "application/json");
        let json_auth = json.clone().with_header("Authorization", "Bearer one");
        let json_other_auth = json.clone().with_header("authorization", "Bearer two");
        assert_ne!(cache_key(&base), cache_key(&json));
        assert_eq!(cache_key(&json), cache_key(&json_auth));
        assert_eq!(cache_key(&json_auth), cache_key(&json_other_auth));
        assert_eq!(
            cache_key(&json),
            cache_key(&base.clone().with_header("ACCEPT", " application/json "))
        );
        assert_ne!(
            cache_key(&base),
            cache_key(&Request::new("https://r.example/q"))
        );
        assert_eq!(cache_key(&base).len(), 64);
    }

    #[test]
    fn damaged_entries_do_not_parse() {
        let body = b"{\"ok\":true}";
        let meta = Meta {
            url: "u".into(),
            etag: None,
            last_modified: None,
            fetched_at: "2026-01-01T00:00:00Z".into(),
            body_len: body.len() as u64,
            body_sha256: hex(&Sha256::digest(body)),
        };
        let mut data = MAGIC.to_vec();
        data.extend(serde_json::to_vec(&meta).unwrap());
        data.push(b'\n');
        data.extend_from_slice(body);
        assert!(parse_entry(&data).is_some());
        for cut in 0..data.len() {
            assert!(parse_entry(&data[..cut]).is_none(), "cut at {cut}");
        }
        let mut flipped = data.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(parse_entry(&flipped).is_none());
        assert!(parse_entry(b"").is_none());
        assert!(parse_entry(&[0xff; 100]).is_none());
    }
}
