use std::path::PathBuf;

/// The environment variable that chooses nanoup's data directory outright.
pub const DATA_DIR_ENV: &str = "NANOUP_HOME";

/// The directory where nanoup keeps everything it stores (advisory index, HTTP cache, ledger):
/// `$NANOUP_HOME`, else `$XDG_CACHE_HOME/nanoup`, else `~/.cache/nanoup`.
///
/// Returns `None` only when none of `NANOUP_HOME`, `XDG_CACHE_HOME` and `HOME` is set.
pub fn data_dir() -> Option<PathBuf> {
    data_dir_from(|key| std::env::var_os(key).map(PathBuf::from))
}

/// [`data_dir`] with the environment given as a look-up function, so the rule can be tested.
/// Empty values count as unset, as the XDG specification asks.
pub fn data_dir_from(env: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    let get = |key: &str| env(key).filter(|p| !p.as_os_str().is_empty());
    if let Some(home) = get(DATA_DIR_ENV) {
        return Some(home);
    }
    if let Some(cache) = get("XDG_CACHE_HOME") {
        return Some(cache.join("nanoup"));
    }
    get("HOME").map(|home| home.join(".cache").join("nanoup"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<PathBuf> + 'a {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| PathBuf::from(v))
        }
    }

    #[test]
    fn nanoup_home_wins_then_xdg_then_home() {
        let all = [
            ("NANOUP_HOME", "/n"),
            ("XDG_CACHE_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(data_dir_from(env(&all)), Some(PathBuf::from("/n")));
        assert_eq!(
            data_dir_from(env(&all[1..])),
            Some(PathBuf::from("/x/nanoup"))
        );
        assert_eq!(
            data_dir_from(env(&all[2..])),
            Some(PathBuf::from("/h/.cache/nanoup"))
        );
        assert_eq!(data_dir_from(env(&[])), None);
        let empty = [("NANOUP_HOME", ""), ("XDG_CACHE_HOME", ""), ("HOME", "/h")];
        assert_eq!(
            data_dir_from(env(&empty)),
            Some(PathBuf::from("/h/.cache/nanoup"))
        );
    }
}
