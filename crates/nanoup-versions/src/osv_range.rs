//! OSV range evaluation (<https://ossf.github.io/osv-schema/#evaluation>), pure.
//!
//! An OSV `affected[]` entry says a package version is affected when it is inside any of its
//! `SEMVER`/`ECOSYSTEM` ranges ([`affected`]) **or** when it appears in its `versions` list.
//! The `versions` list is an exact string match and is left to the caller (`list.iter().any(|v|
//! v == version.as_str())`): no normalisation, so PyPI `0.5.0` does not match a listed `0.5`.
//! `GIT` ranges are commit ranges and are not evaluated here ([`crate::Scheme::for_range`]
//! returns `None` for them). Withdrawn advisories are the caller's business too.
//!
//! Pick the scheme of a range with [`crate::Scheme::for_range`].

use serde::{Deserialize, Serialize};

use crate::{Scheme, Version};

/// One event of an OSV range, as written in the record (`{"introduced": "1.0"}`).
///
/// Deserialises directly from an OSV `events[]` element. The version strings are kept raw and
/// parsed by [`affected`] in the range's scheme.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The first affected version; `"0"` means "from the very first version".
    Introduced(String),
    /// The first version that is no longer affected (exclusive end).
    Fixed(String),
    /// The last affected version (inclusive end).
    LastAffected(String),
    /// An upper bound on the whole range: the version must be below one of the limits.
    /// `"*"` means no bound.
    Limit(String),
}

impl Event {
    /// The version string of the event.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}

/// A parsed event bound: `introduced: "0"` is below every version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Min,
    At(Version),
}

/// Whether `version` is inside the range described by `events`, evaluated in `scheme`.
///
/// Follows the OSV evaluation rules: the `introduced`/`fixed`/`last_affected` events are
/// sorted by version in the scheme's order (`introduced: "0"` first; at equal versions an
/// `introduced` sorts before the end events, so `introduced X, fixed X` is empty), then walked:
/// `introduced <= version` opens the range, `fixed <= version` closes it (fixed is exclusive),
/// `last_affected < version` closes it (inclusive). If there are `limit` events (other than
/// `"*"`), the version must also be below at least one of them.
///
/// An event whose version does not parse in `scheme` is **skipped** (not an error): one odd
/// event should not hide the rest of the range. A range with no parseable `introduced` affects
/// nothing. Returns `false` if `version` belongs to another scheme than `scheme`.
pub fn affected(scheme: Scheme, version: &Version, events: &[Event]) -> bool {
    if version.scheme() != scheme {
        return false;
    }
    let mut limits = events
        .iter()
        .filter_map(|e| match e {
            Event::Limit(v) if v.trim() != "*" => scheme.parse(v).ok(),
            _ => None,
        })
        .peekable();
    if limits.peek().is_some() && !limits.any(|limit| *version < limit) {
        return false;
    }

    // (bound, tie-break rank, event)
    let mut sorted: Vec<(Bound, u8, &Event)> = events
        .iter()
        .filter_map(|e| {
            let rank = match e {
                Event::Introduced(_) => 0,
                Event::LastAffected(_) => 1,
                Event::Fixed(_) => 2,
                Event::Limit(_) => return None,
            };
            let bound = match e {
                Event::Introduced(v) if v.trim() == "0" => Bound::Min,
                _ => Bound::At(scheme.parse(e.version()).ok()?),
            };
            Some((bound, rank, e))
        })
        .collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));

    let mut inside = false;
    for (bound, _, event) in &sorted {
        // `Min` is below every version.
        let (at_or_above, above) = match bound {
            Bound::Min => (true, true),
            Bound::At(b) => (version >= b, version > b),
        };
        match event {
            Event::Introduced(_) if at_or_above => inside = true,
            Event::Fixed(_) if at_or_above => inside = false,
            Event::LastAffected(_) if above => inside = false,
            _ => {}
        }
    }
    inside
}

/// The lowest `fixed` version, above `current`, that is affected by none of `advisories`.
///
/// This answers "the lowest fixed version that clears every advisory on that package":
/// candidates are the `fixed` events of all given advisories; each candidate is checked against
/// every advisory with [`affected`]. `advisories` holds one entry per advisory, each the list of
/// its ranges (already filtered to this package and to evaluable range types), each range a list
/// of events. Candidates not strictly greater than `current` are ignored (nanoup never proposes
/// a downgrade), and so are prereleases unless `allow_prerelease`. `None` means no fixed version
/// named by the advisories clears them all (e.g. only `last_affected` is known, or one
/// advisory has no fix): ask the registry, using [`lowest_clearing`] with its version list.
///
/// The caller must also drop candidates that appear in an advisory's exact `versions` list.
pub fn lowest_fix_clearing(
    scheme: Scheme,
    current: &Version,
    advisories: &[Vec<Vec<Event>>],
    allow_prerelease: bool,
) -> Option<Version> {
    let candidates = advisories
        .iter()
        .flatten()
        .flatten()
        .filter_map(|e| match e {
            Event::Fixed(v) => scheme.parse(v).ok(),
            _ => None,
        })
        .filter(|v| allow_prerelease || !v.is_prerelease());
    lowest_clearing(scheme, current, advisories, candidates)
}

/// The lowest of `candidates`, strictly above `current`, that is affected by none of
/// `advisories` (same shape as in [`lowest_fix_clearing`]).
///
/// Use it with a registry's list of published versions to find the lowest real release that
/// clears everything; candidates of another scheme are ignored.
pub fn lowest_clearing(
    scheme: Scheme,
    current: &Version,
    advisories: &[Vec<Vec<Event>>],
    candidates: impl IntoIterator<Item = Version>,
) -> Option<Version> {
    candidates
        .into_iter()
        .filter(|c| c.scheme() == scheme && c > current)
        .filter(|c| {
            !advisories
                .iter()
                .any(|ranges| ranges.iter().any(|events| affected(scheme, c, events)))
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, v: &str) -> Event {
        match kind {
            "i" => Event::Introduced(v.into()),
            "f" => Event::Fixed(v.into()),
            "l" => Event::LastAffected(v.into()),
            _ => Event::Limit(v.into()),
        }
    }

    fn check(scheme: Scheme, events: &[Event], version: &str) -> bool {
        affected(scheme, &scheme.parse(version).unwrap(), events)
    }

    #[test]
    fn introduced_fixed_last_affected() {
        let s = Scheme::SemVer;
        let events = [
            ev("i", "1.0.0"),
            ev("f", "1.2.0"),
            ev("i", "2.0.0"),
            ev("l", "2.1.0"),
        ];
        for (v, want) in [
            ("0.9.0", false),
            ("1.0.0", true),
            ("1.1.9", true),
            ("1.2.0", false),
            ("1.5.0", false),
            ("2.0.0", true),
            ("2.1.0", true),
            ("2.1.1", false),
        ] {
            assert_eq!(check(s, &events, v), want, "{v}");
        }
    }

    #[test]
    fn events_are_sorted_before_walking() {
        let s = Scheme::SemVer;
        let events = [
            ev("f", "2.0.0"),
            ev("i", "1.5.0"),
            ev("f", "1.2.0"),
            ev("i", "1.0.0"),
        ];
        assert!(check(s, &events, "1.1.0"));
        assert!(!check(s, &events, "1.3.0"));
        assert!(check(s, &events, "1.6.0"));
        assert!(!check(s, &events, "2.0.0"));
    }

    #[test]
    fn introduced_zero_is_below_everything() {
        let s = Scheme::SemVer;
        let events = [ev("i", "0"), ev("f", "1.0.0")];
        assert!(check(s, &events, "0.0.0-alpha"));
        assert!(check(s, &events, "0.0.0"));
        assert!(!check(s, &events, "1.0.0"));
        // Only introduced: everything from there on.
        assert!(check(Scheme::Maven, &[ev("i", "0")], "1-alpha-1"));
    }

    #[test]
    fn limit_bounds_the_range() {
        let s = Scheme::SemVer;
        let events = [ev("i", "1.0.0"), ev("lim", "2.0.0")];
        assert!(check(s, &events, "1.5.0"));
        assert!(!check(s, &events, "2.0.0"));
        assert!(!check(s, &events, "3.0.0"));
        let star = [ev("i", "1.0.0"), ev("lim", "*")];
        assert!(check(s, &star, "9.0.0"));
    }

    #[test]
    fn unparseable_events_are_skipped() {
        let s = Scheme::SemVer;
        let events = [ev("i", "1.0.0"), ev("f", "not a version"), ev("f", "3.0.0")];
        assert!(check(s, &events, "2.0.0"));
        assert!(!check(s, &events, "3.0.0"));
        assert!(!check(s, &[ev("i", "garbage")], "1.0.0"));
        assert!(!check(s, &[], "1.0.0"));
    }

    #[test]
    fn equal_introduced_and_fixed_is_empty() {
        let s = Scheme::SemVer;
        assert!(!check(s, &[ev("f", "1.0.0"), ev("i", "1.0.0")], "1.0.0"));
        assert!(check(s, &[ev("l", "1.0.0"), ev("i", "1.0.0")], "1.0.0"));
    }

    #[test]
    fn other_scheme_is_never_affected() {
        let v = Scheme::Npm.parse("1.0.0").unwrap();
        assert!(!affected(Scheme::SemVer, &v, &[ev("i", "0")]));
    }

    #[test]
    fn events_deserialise_from_osv_json() {
        let events: Vec<Event> = serde_json::from_str(
            r#"[{"introduced":"0"},{"fixed":"1.0"},{"last_affected":"2"},{"limit":"*"}]"#,
        )
        .unwrap();
        assert_eq!(
            events,
            vec![ev("i", "0"), ev("f", "1.0"), ev("l", "2"), ev("lim", "*")]
        );
    }

    #[test]
    fn lowest_fix_clearing_every_advisory() {
        let s = Scheme::Maven;
        // Log4Shell-like: three branches, plus a second advisory fixed only in 2.16.0.
        let a1 = vec![
            vec![ev("i", "0"), ev("f", "2.3.1")],
            vec![ev("i", "2.4"), ev("f", "2.12.2")],
            vec![ev("i", "2.13.0"), ev("f", "2.15.0")],
        ];
        let a2 = vec![vec![ev("i", "2.13.0"), ev("f", "2.16.0")]];
        let cur = s.parse("2.14.1").unwrap();
        let fix = lowest_fix_clearing(s, &cur, std::slice::from_ref(&a1), false).unwrap();
        assert_eq!(fix.as_str(), "2.15.0");
        let fix = lowest_fix_clearing(s, &cur, &[a1.clone(), a2.clone()], false).unwrap();
        assert_eq!(fix.as_str(), "2.16.0");
        // On the 2.12 branch the backport is the lowest that clears a1 (a2 does not affect it).
        let cur = s.parse("2.12.1").unwrap();
        let fix = lowest_fix_clearing(s, &cur, &[a1.clone(), a2], false).unwrap();
        assert_eq!(fix.as_str(), "2.12.2");
        // An advisory without a fix: nothing clears it.
        let a3 = vec![vec![ev("i", "0")]];
        assert_eq!(lowest_fix_clearing(s, &cur, &[a1, a3], false), None);
    }

    #[test]
    fn lowest_fix_clearing_prereleases_are_opt_in() {
        let s = Scheme::SemVer;
        let adv = vec![vec![ev("i", "0.11.0-0"), ev("f", "1.0.0-alpha.1")]];
        let cur = s.parse("0.11.0").unwrap();
        assert_eq!(
            lowest_fix_clearing(s, &cur, std::slice::from_ref(&adv), false),
            None
        );
        let fix = lowest_fix_clearing(s, &cur, std::slice::from_ref(&adv), true).unwrap();
        assert_eq!(fix.as_str(), "1.0.0-alpha.1");
        let published = ["0.11.1", "1.0.0-alpha.0", "1.0.0", "1.0.1"].map(|v| s.parse(v).unwrap());
        let fix = lowest_clearing(s, &cur, &[adv], published).unwrap();
        assert_eq!(fix.as_str(), "1.0.0");
    }
}
