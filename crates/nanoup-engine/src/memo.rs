//! Answers remembered for the run of one command: what an external tool said about a file
//! state (npm's problems, npm's rewrite of an untouched lockfile, uv's resolution of a file's
//! pins), so that a run of updates asks each tool once per state.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock};

/// A map kept in a `static` for the process's life; a poisoned lock remembers nothing more
/// (every answer can be asked again).
pub(crate) struct RunMemo<K, V>(OnceLock<Mutex<HashMap<K, V>>>);

impl<K: Eq + Hash, V: Clone> RunMemo<K, V> {
    /// An empty memo, for a `static`.
    pub(crate) const fn new() -> Self {
        RunMemo(OnceLock::new())
    }

    /// The answer remembered for `key`, if any.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.0.get()?.lock().ok()?.get(key).cloned()
    }

    /// Remembers `value` for `key`.
    pub(crate) fn insert(&self, key: K, value: V) {
        if let Ok(mut map) = self.0.get_or_init(Default::default).lock() {
            map.insert(key, value);
        }
    }
}
