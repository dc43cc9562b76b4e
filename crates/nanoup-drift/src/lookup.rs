//! The edge of drift: asking the registries, many packages at once, through the cached client.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use nanoup_core::Release;
use nanoup_ecosystems::datasource::{Datasource, FileParts, FileRead, RegistryRequest};
use nanoup_http::{CachedClient, Request};

/// One package to look up, with the registry (as configured for its stack) to ask.
#[derive(Clone)]
pub struct Wanted {
    /// The package name.
    pub name: String,
    /// Its registry.
    pub source: Arc<dyn Datasource>,
}

/// What a registry said about one package.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// Every release the registry lists.
    pub releases: Vec<Release>,
    /// Answered from an offline cache entry older than its freshness window.
    pub stale: bool,
}

/// The key a look-up is shared under: the URL asked. Two stacks whose configuration sends the
/// same package to the same registry share one request; stacks configured for another registry
/// (a `.npmrc`, a Cargo source replacement) get their own.
pub fn lookup_key(wanted: &Wanted) -> Result<String, String> {
    wanted
        .source
        .request(&wanted.name)
        .map(|r| r.url)
        .map_err(|e| e.to_string())
}

/// Looks up every wanted package (keyed by [`lookup_key`]), `concurrency` at a time (the client
/// also limits connections per host). Each gets an answer or the reason it has none; nothing
/// fails as a whole. `progress(done, total)` is called after each answer.
pub async fn lookup_all(
    client: &CachedClient,
    wanted: BTreeMap<String, Wanted>,
    concurrency: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> HashMap<String, Result<Lookup, String>> {
    let total = wanted.len();
    let mut done = 0;
    let mut answers = HashMap::with_capacity(total);
    let mut stream = stream::iter(wanted)
        .map(|(key, w)| async move { (key, lookup_one(client, w).await) })
        .buffer_unordered(concurrency.max(1));
    while let Some((key, answer)) = stream.next().await {
        done += 1;
        progress(done, total);
        answers.insert(key, answer);
    }
    answers
}

/// Asks `source` about package `name` through the cached client: the registry's raw answer.
pub async fn fetch(
    client: &CachedClient,
    source: &dyn Datasource,
    name: &str,
) -> Result<nanoup_http::CachedResponse, String> {
    let asked = source.request(name).map_err(|e| e.to_string())?;
    get(client, asked).await.map_err(|e| e.to_string())
}

/// Asks `source` about release `version` of package `name`, through the cached client: the
/// answer of its per-release request when it has one ([`Datasource::release_request`]: PyPI's
/// per-version JSON, a Docker manifest), else (or when the registry answers that request with
/// 404 and the package-level answer may stand in) the package-level answer of [`fetch`].
pub async fn fetch_release(
    client: &CachedClient,
    source: &dyn Datasource,
    name: &str,
    version: &str,
) -> Result<nanoup_http::CachedResponse, String> {
    let answer = match source
        .release_request(name, version)
        .map_err(|e| e.to_string())?
    {
        None => fetch(client, source, name).await?,
        Some(asked) => match get(client, asked.request).await {
            Err(e) if e.is_not_found() && asked.package_answer_serves => {
                fetch(client, source, name).await?
            }
            answer => answer.map_err(|e| e.to_string())?,
        },
    };
    complete(client, source, name, version, answer).await
}

/// `answer` completed by the datasource's [`Datasource::completion_request`] when it asks for
/// one (PyPI: a wheel's core metadata), or, when there is none or the registry does not serve
/// it (404), by its [`Datasource::completion_file`] (the wheel read in parts, an sdist). A
/// completion found nowhere leaves the answer as it was (apply then says what it lacks); any
/// other failure of the metadata request is an error.
async fn complete(
    client: &CachedClient,
    source: &dyn Datasource,
    name: &str,
    version: &str,
    mut answer: nanoup_http::CachedResponse,
) -> Result<nanoup_http::CachedResponse, String> {
    // The metadata file when there is one to ask for; else (none, or not served) the
    // release's file itself.
    let extra = match source.completion_request(name, version, &answer.body) {
        None => complete_from_file(client, source, name, version, &answer.body).await,
        Some(request) => {
            let url = request.url.clone();
            match get(client, request).await {
                Ok(extra) => Some(extra.body),
                Err(e) if e.is_not_found() => {
                    complete_from_file(client, source, name, version, &answer.body).await
                }
                Err(e) => return Err(format!("{url}: {e}")),
            }
        }
    };
    let Some(extra) = extra else {
        return Ok(answer);
    };
    answer.body = source
        .complete(version, answer.body, &extra)
        .map_err(|e| format!("the metadata of {name} {version}: {}", e.0))?;
    Ok(answer)
}

/// How many further ranges of a completion file are asked for before giving up.
const MAX_FILE_RANGES: usize = 6;

/// The completion read from the datasource's [`Datasource::completion_file`] (a wheel's end,
/// then the ranges the datasource asks for; or a whole sdist), `None` when there is none or it
/// cannot be read: apply then says what the answer lacks, as without the file.
async fn complete_from_file(
    client: &CachedClient,
    source: &dyn Datasource,
    name: &str,
    version: &str,
    body: &[u8],
) -> Option<Vec<u8>> {
    let file = source.completion_file(name, version, body)?;
    let ranged = |range: String| {
        let mut request = file.request.clone();
        request.headers.push(("Range".to_string(), range));
        request
    };
    let first = match file.tail {
        Some(n) => get(client, ranged(format!("bytes=-{n}"))).await,
        None => get(client, file.request.clone()).await,
    };
    let mut parts = FileParts {
        first: first.ok()?.body,
        tail_asked: file.tail,
        ranges: Vec::new(),
    };
    for _ in 0..=MAX_FILE_RANGES {
        match source.complete_from_file(&file, &parts).ok()? {
            FileRead::Done(bytes) => return Some(bytes),
            FileRead::Need { start, end }
                if end > start && parts.ranges.len() < MAX_FILE_RANGES =>
            {
                let got = get(client, ranged(format!("bytes={start}-{}", end - 1)))
                    .await
                    .ok()?
                    .body;
                if got.len() as u64 == end - start {
                    parts.ranges.push((start, got));
                } else {
                    // The server ignored the range: the answer is the whole file.
                    parts = FileParts {
                        first: got,
                        tail_asked: None,
                        ranges: Vec::new(),
                    };
                }
            }
            FileRead::Need { .. } => return None,
        }
    }
    None
}

/// GETs what a datasource asked for through the cached client.
async fn get(
    client: &CachedClient,
    asked: RegistryRequest,
) -> Result<nanoup_http::CachedResponse, nanoup_http::HttpError> {
    let mut request = Request::new(asked.url);
    for (header, value) in asked.headers {
        request = request.with_header(header, value);
    }
    client.fetch(&request).await
}

async fn lookup_one(client: &CachedClient, wanted: Wanted) -> Result<Lookup, String> {
    let response = fetch(client, wanted.source.as_ref(), &wanted.name).await?;
    let stale = response.stale;
    let body = response.body;
    let Wanted { name, source } = wanted;
    // Parsing a large packument is CPU work: keep it off the threads that drive the I/O.
    let releases = tokio::task::spawn_blocking(move || source.parse(&name, &body))
        .await
        .map_err(|e| format!("parsing the registry answer failed: {e}"))?
        .map_err(|e| e.to_string())?;
    Ok(Lookup { releases, stale })
}
