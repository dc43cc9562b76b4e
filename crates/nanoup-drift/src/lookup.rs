//! The edge of drift: asking the registries, many packages at once, through the cached client.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use nanoup_core::{Ecosystem, Release};
use nanoup_ecosystems::datasource::Datasource;
use nanoup_http::{CachedClient, Request};

/// The datasources to ask, one per ecosystem, or why an ecosystem has none (say, an unreadable
/// `.npmrc`): its packages are then unknown, with that reason.
pub type Registries = HashMap<Ecosystem, Result<Arc<dyn Datasource>, String>>;

/// What a registry said about one package.
#[derive(Debug, Clone)]
pub struct Lookup {
    /// Every release the registry lists.
    pub releases: Vec<Release>,
    /// Answered from an offline cache entry older than its freshness window.
    pub stale: bool,
}

/// Looks up every (ecosystem, name) of `packages`, `concurrency` at a time (the client also
/// limits connections per host). Each package gets an answer or the reason it has none; nothing
/// fails as a whole. `progress(done, total)` is called after each answer.
pub async fn lookup_all(
    client: &CachedClient,
    registries: &Registries,
    packages: BTreeSet<(Ecosystem, String)>,
    concurrency: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> HashMap<(Ecosystem, String), Result<Lookup, String>> {
    let total = packages.len();
    let mut done = 0;
    let mut answers = HashMap::with_capacity(total);
    let mut stream = stream::iter(packages)
        .map(|(ecosystem, name)| async move {
            let answer = match registries.get(&ecosystem) {
                None => Err(format!("no registry look-up for {ecosystem} packages")),
                Some(Err(reason)) => Err(reason.clone()),
                Some(Ok(source)) => lookup_one(client, Arc::clone(source), &name).await,
            };
            ((ecosystem, name), answer)
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((key, answer)) = stream.next().await {
        done += 1;
        progress(done, total);
        answers.insert(key, answer);
    }
    answers
}

async fn lookup_one(
    client: &CachedClient,
    source: Arc<dyn Datasource>,
    name: &str,
) -> Result<Lookup, String> {
    let wanted = source.request(name).map_err(|e| e.to_string())?;
    let mut request = Request::new(wanted.url);
    for (header, value) in wanted.headers {
        request = request.with_header(header, value);
    }
    let response = client.fetch(&request).await.map_err(|e| e.to_string())?;
    let stale = response.stale;
    let body = response.body;
    let name = name.to_string();
    // Parsing a large packument is CPU work: keep it off the thread that drives the I/O.
    let releases = tokio::task::spawn_blocking(move || source.parse(&name, &body))
        .await
        .map_err(|e| format!("parsing the registry answer failed: {e}"))?
        .map_err(|e| e.to_string())?;
    Ok(Lookup { releases, stale })
}
