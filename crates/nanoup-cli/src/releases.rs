//! Looking up the releases of an inventory's components in their registries: the edge shared
//! by `outdated` and `plan`.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nanoup_core::{Component, Ecosystem, Source, Stack};
use nanoup_drift::lookup::{Lookup, Wanted, lookup_all, lookup_key};
use nanoup_ecosystems::datasource::Datasource;
use nanoup_http::{CachedClient, Client, Config, Mode};

/// The registries of one stack, or why each could not be configured.
type StackRegistries = HashMap<Ecosystem, Result<Arc<dyn Datasource>, String>>;

/// How to look up.
pub struct LookupOptions {
    /// Answer from the HTTP cache only.
    pub offline: bool,
    /// The whole look-up gives up after this long; what is unanswered is an error.
    pub deadline: jiff::SignedDuration,
    /// Look-ups in flight at once.
    pub concurrency: usize,
}

/// The releases of each of `components` (in order), or why there are none. Registries are
/// configured per stack (its `.npmrc`, `.cargo/config.toml`, the environment); look-ups are
/// shared by URL and cached in the data directory. A progress bar shows on a terminal.
pub fn look_up(
    root: &Path,
    components: &[(&Stack, &Component)],
    options: &LookupOptions,
) -> Result<Vec<Result<Lookup, String>>> {
    let data_dir = nanoup_core::data_dir().context("no data directory: set NANOUP_HOME or HOME")?;
    let config = Config::from_env()?;
    let deadline = Duration::from_secs(options.deadline.as_secs().max(1) as u64);
    let client = Client::new(Config {
        deadline: Some(Instant::now() + deadline),
        ..config
    })?;
    let mode = if options.offline {
        Mode::Offline
    } else {
        Mode::Online
    };
    let cached = CachedClient::new(client, data_dir.join("http-cache"), mode);

    let env = |key: &str| std::env::var(key).ok();
    let mut configured: HashMap<String, StackRegistries> = HashMap::new();
    let mut wanted: BTreeMap<String, Wanted> = BTreeMap::new();
    let keys: Vec<Result<String, String>> = components
        .iter()
        .map(|(stack, c)| {
            if c.source != Source::Registry {
                return Err(format!(
                    "{} dependency: no registry to ask",
                    c.source.as_str()
                ));
            }
            if c.version.is_none() {
                return Err("no resolved version to look up".to_string());
            }
            let registries = configured.entry(stack.path.clone()).or_insert_with(|| {
                nanoup_ecosystems::registries(&root.join(&stack.path), &env)
                    .into_iter()
                    .map(|(e, r)| (e, r.map_err(|e| format!("registry configuration: {e}"))))
                    .collect()
            });
            let source = match registries.get(&c.ecosystem) {
                None => return Err(format!("no registry look-up for {} packages", c.ecosystem)),
                Some(Err(reason)) => return Err(reason.clone()),
                Some(Ok(source)) => Arc::clone(source),
            };
            let w = Wanted {
                name: c.name.clone(),
                source,
            };
            let key = lookup_key(&w)?;
            wanted.entry(key.clone()).or_insert(w);
            Ok(key)
        })
        .collect();
    let bar = progress_bar(wanted.len() as u64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let answers = runtime.block_on(lookup_all(
        &cached,
        wanted,
        options.concurrency,
        &|done, _| {
            if let Some(bar) = &bar {
                bar.set_position(done as u64);
            }
        },
    ));
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    Ok(keys
        .into_iter()
        .map(|key| {
            let key = key?;
            // Components sharing a URL share the answer.
            answers
                .get(&key)
                .cloned()
                .unwrap_or_else(|| Err("not looked up".into()))
        })
        .collect())
}

/// A progress bar on stderr, only when stderr is a terminal.
fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "looking up {pos}/{len} packages {wide_bar} {elapsed}",
    ) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Fetches the registry's answer about one release (the raw body) as its stack is configured,
/// through the cache: what `apply` needs to edit a lockfile entry (file hashes, integrity, a
/// release's dependencies, an image's digest).
pub struct Fetcher {
    runtime: tokio::runtime::Runtime,
    cached: CachedClient,
    root: std::path::PathBuf,
}

impl Fetcher {
    /// A fetcher for the stacks under `root`.
    pub fn new(root: &Path, offline: bool) -> Result<Fetcher> {
        let data_dir =
            nanoup_core::data_dir().context("no data directory: set NANOUP_HOME or HOME")?;
        let client = Client::new(Config::from_env()?)?;
        let mode = if offline { Mode::Offline } else { Mode::Online };
        Ok(Fetcher {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the async runtime")?,
            cached: CachedClient::new(client, data_dir.join("http-cache"), mode),
            root: root.to_path_buf(),
        })
    }

    /// The registry of `ecosystem` as the stack at `stack` (relative to the root) configures it.
    fn source(&self, stack: &str, ecosystem: Ecosystem) -> Result<Arc<dyn Datasource>, String> {
        let env = |key: &str| std::env::var(key).ok();
        nanoup_ecosystems::registries(&self.root.join(stack), &env)
            .into_iter()
            .find(|(e, _)| *e == ecosystem)
            .ok_or_else(|| format!("no registry for {ecosystem}"))?
            .1
            .map_err(|e| e.to_string())
    }

    /// The registry's answer about the release `update` moves to: the per-release answer where
    /// the registry has one (PyPI's per-version JSON, a Docker manifest), else the package's
    /// (see `nanoup_drift::lookup::fetch_release`).
    pub fn fetch(&self, update: &nanoup_core::NanoUpdate) -> Result<Vec<u8>, String> {
        let source = self.source(&update.stack, update.ecosystem)?;
        self.runtime
            .block_on(nanoup_drift::lookup::fetch_release(
                &self.cached,
                source.as_ref(),
                &update.name,
                &update.to,
            ))
            .map(|r| r.body)
    }

    /// The registry's answer about package `name` (every release), as the stack at `stack`
    /// configures its registry: for Cargo, the crate's index file.
    pub fn fetch_package(
        &self,
        stack: &str,
        ecosystem: Ecosystem,
        name: &str,
    ) -> Result<Vec<u8>, String> {
        let source = self.source(stack, ecosystem)?;
        self.runtime
            .block_on(nanoup_drift::lookup::fetch(
                &self.cached,
                source.as_ref(),
                name,
            ))
            .map(|r| r.body)
    }
}
