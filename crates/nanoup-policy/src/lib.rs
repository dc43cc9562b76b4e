//! `nanoup.toml`, the repository's policy file (documented in `docs/policy.md`, with a JSON
//! Schema in `docs/policy.schema.json`).
//!
//! ```toml
//! min-age = "3d"                    # releases younger than this are never proposed
//! allow = ["patch", "minor"]        # update kinds proposed by default ("major" is opt-in)
//! test = "cargo test --locked"      # the command that verifies an update
//!
//! [[ignore]]                        # silences an advisory in `nanoup audit`
//! id = "RUSTSEC-2020-0071"          # an advisory id or any of its aliases
//! reason = "only reachable through chrono's `oldtime` feature, which we disable"
//! until = 2027-01-01                # optional; a TOML date or a "YYYY-MM-DD" string
//!
//! [[hold]]                          # keeps a package below a version
//! package = "python"
//! below = "3.13"
//! until = "2027-01-01"
//! reason = "our wheels are not built for 3.13 yet"
//!
//! [[stack]]                         # overrides for the stacks whose path matches the glob
//! path = "services/*"
//! allow = ["patch", "minor", "major"]
//! min-age = "7d"
//! hold = [{ package = "django", below = "5", reason = "waiting for the ORM port" }]
//! ignore = [{ id = "GHSA-xxxx-xxxx-xxxx", reason = "dev server only" }]
//! ```
//!
//! [`parse`] reads the file; [`Policy::for_stack`] gives the effective rules of one stack.
//! Every rule needs a reason. Unknown keys are errors that name the line and column, so a typo
//! never silently turns a rule off.

mod parse;

use std::collections::BTreeSet;
use std::fmt;

use nanoup_core::{Ecosystem, UpdateKind, normalize_pypi_name};
use nanoup_versions::{Scheme, Version};

pub use parse::parse;

/// The policy file's name, at the repository root.
pub const POLICY_FILE: &str = "nanoup.toml";

/// The update kinds allowed when neither the file nor a matching `[[stack]]` sets `allow`:
/// How many lockfile entries an update may move before it counts as large (planned and shown,
/// applied only with `--allow-large`) when nanoup.toml does not say. A nano update moves its
/// target and the few companions it needs; a fix that rebuilds a fifth of the tree (a parent's
/// new major pulling a new HTTP stack) is a migration for a person to decide on, not a nano
/// update. 50 keeps every in-range fix of the corpus (the largest, chrono leaving `time`,
/// moves 38) and stops the cross-major groups (160 and more).
pub const DEFAULT_MAX_BLAST_RADIUS: usize = 50;

/// The limit a `max-blast-radius` setting stands for: unset is the default, 0 is none.
pub fn blast_radius_limit(setting: Option<usize>) -> Option<usize> {
    match setting {
        None => Some(DEFAULT_MAX_BLAST_RADIUS),
        Some(0) => None,
        Some(n) => Some(n),
    }
}

/// patch and minor steps. Majors must be opted in.
pub const DEFAULT_ALLOW: [UpdateKind; 2] = [UpdateKind::Patch, UpdateKind::Minor];

/// The parsed policy: top-level defaults and the `[[stack]]` overrides, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Top-level ignore rules (they apply to every stack), in file order.
    pub ignores: Vec<IgnoreRule>,
    /// The top-level minimum release age (cooldown), when set: (as written, duration).
    pub min_age: Option<(String, jiff::SignedDuration)>,
    /// The top-level allowed update kinds, when set (otherwise [`DEFAULT_ALLOW`]).
    pub allow: Option<BTreeSet<UpdateKind>>,
    /// The top-level test command, when set.
    pub test: Option<String>,
    /// Top-level holds (they apply to every stack), in file order.
    pub holds: Vec<Hold>,
    /// Top-level limits on the size of an update.
    pub limits: Limits,
    /// The `[[stack]]` tables, in file order.
    pub stacks: Vec<StackRule>,
}

/// One `[[stack]]` table: settings for the stacks whose path matches a glob.
#[derive(Debug, Clone)]
pub struct StackRule {
    /// The glob as written (normalised: no leading `./`, no trailing `/`).
    pub path: String,
    /// Allowed update kinds, when the table sets them.
    pub allow: Option<BTreeSet<UpdateKind>>,
    /// Minimum release age, when the table sets it: (as written, duration).
    pub min_age: Option<(String, jiff::SignedDuration)>,
    /// Test command, when the table sets it.
    pub test: Option<String>,
    /// Holds added for the matching stacks.
    pub holds: Vec<Hold>,
    /// Ignore rules added for the matching stacks.
    pub ignores: Vec<IgnoreRule>,
    /// Limits on the size of an update, where the table sets them.
    pub limits: Limits,
    /// Where the table starts: `nanoup.toml:LINE`.
    pub origin: String,
    matcher: globset::GlobMatcher,
}

impl PartialEq for StackRule {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.path,
            &self.allow,
            &self.min_age,
            &self.test,
            &self.holds,
            &self.ignores,
            &self.limits,
            &self.origin,
        ) == (
            &other.path,
            &other.allow,
            &other.min_age,
            &other.test,
            &other.holds,
            &other.ignores,
            &other.limits,
            &other.origin,
        )
    }
}

impl Eq for StackRule {}

impl StackRule {
    /// Whether the table's glob matches `stack_path` (a stack directory relative to the
    /// repository root with `/` separators, `.` for the root; a leading `./` is ignored).
    ///
    /// `*` and `?` never match `/`; `**` matches any number of directories.
    pub fn matches(&self, stack_path: &str) -> bool {
        self.matcher.is_match(normalize_path(stack_path))
    }
}

/// The effective policy of one stack: the top-level settings merged with every matching
/// `[[stack]]` table (see [`Policy::for_stack`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackPolicy {
    /// The update kinds that may be proposed.
    pub allow: BTreeSet<UpdateKind>,
    /// The minimum release age (cooldown), when set: (as written, duration).
    pub min_age: Option<(String, jiff::SignedDuration)>,
    /// The command that verifies an update of this stack, when set.
    pub test: Option<String>,
    /// Every hold that applies: top-level ones first, then those of matching tables.
    pub holds: Vec<Hold>,
    /// Every ignore rule that applies: top-level ones first, then those of matching tables.
    pub ignores: Vec<IgnoreRule>,
    /// The origins (`nanoup.toml:LINE`) of the `[[stack]]` tables that matched, in file order.
    pub matched: Vec<String>,
    /// The largest blast radius applied without `--allow-large` (`max-blast-radius`, default
    /// [`DEFAULT_MAX_BLAST_RADIUS`]); `None` when set to 0 (no limit).
    pub max_blast_radius: Option<usize>,
    /// Whether an update may change a manifest's requirement (`manifest-changes`, default
    /// true): a direct dependency's, or a parent's in a parent bump.
    pub manifest_changes: bool,
}

/// How large an update may be: `max-blast-radius` and `manifest-changes`, each when set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Updates moving more lockfile entries are planned and shown, but applied only when the
    /// user says so (`--allow-large`); 0 means no limit.
    pub max_blast_radius: Option<usize>,
    /// Whether an update may change a manifest's requirement.
    pub manifest_changes: Option<bool>,
}

impl Policy {
    /// The effective policy of the stack at `stack_path` (relative to the repository root,
    /// `/` separators, `.` for the root).
    ///
    /// Starts from the top-level settings (`allow` defaulting to [`DEFAULT_ALLOW`]) and applies
    /// every `[[stack]]` table whose glob matches, in file order: `allow`, `min-age` and `test`
    /// of a later table replace earlier values; `hold` and `ignore` lists accumulate (top level
    /// first, then each matching table).
    pub fn for_stack(&self, stack_path: &str) -> StackPolicy {
        let mut policy = StackPolicy {
            allow: self
                .allow
                .clone()
                .unwrap_or_else(|| DEFAULT_ALLOW.into_iter().collect()),
            min_age: self.min_age.clone(),
            test: self.test.clone(),
            holds: self.holds.clone(),
            ignores: self.ignores.clone(),
            matched: Vec::new(),
            max_blast_radius: self.limits.max_blast_radius,
            manifest_changes: self.limits.manifest_changes.unwrap_or(true),
        };
        for rule in self.stacks.iter().filter(|r| r.matches(stack_path)) {
            if let Some(allow) = &rule.allow {
                policy.allow = allow.clone();
            }
            if let Some(age) = &rule.min_age {
                policy.min_age = Some(age.clone());
            }
            if let Some(test) = &rule.test {
                policy.test = Some(test.clone());
            }
            policy.holds.extend(rule.holds.iter().cloned());
            policy.ignores.extend(rule.ignores.iter().cloned());
            if let Some(max) = rule.limits.max_blast_radius {
                policy.max_blast_radius = Some(max);
            }
            if let Some(allowed) = rule.limits.manifest_changes {
                policy.manifest_changes = allowed;
            }
            policy.matched.push(rule.origin.clone());
        }
        policy.max_blast_radius = blast_radius_limit(policy.max_blast_radius);
        policy
    }

    /// The `[[stack]]` tables that match none of `stack_paths` (probably a stale or mistyped
    /// glob), for a warning.
    pub fn unused_stacks<'a>(&'a self, stack_paths: &[&str]) -> Vec<&'a StackRule> {
        self.stacks
            .iter()
            .filter(|rule| !stack_paths.iter().any(|path| rule.matches(path)))
            .collect()
    }

    /// A notice for every ignore rule and hold of the file (top level and every table) that
    /// has expired on `today` (`YYYY-MM-DD`), in file order, e.g.
    /// `hold of python below 3.13 (nanoup.toml:7) expired on 2027-01-01: no longer holds`.
    pub fn expired(&self, today: &str) -> Vec<String> {
        let ignores = self
            .ignores
            .iter()
            .chain(self.stacks.iter().flat_map(|s| &s.ignores));
        let holds = self
            .holds
            .iter()
            .chain(self.stacks.iter().flat_map(|s| &s.holds));
        let mut notices: Vec<(u32, String)> = ignores
            .filter(|r| r.expired(today))
            .map(|r| (origin_line(&r.origin), r.expiry_notice()))
            .chain(
                holds
                    .filter(|h| h.expired(today))
                    .map(|h| (origin_line(&h.origin), h.expiry_notice())),
            )
            .collect();
        notices.sort_by_key(|(line, _)| *line);
        notices.into_iter().map(|(_, notice)| notice).collect()
    }
}

impl StackPolicy {
    /// Whether updates of `kind` may be proposed for this stack.
    pub fn allows(&self, kind: UpdateKind) -> bool {
        self.allow.contains(&kind)
    }

    /// The first hold that keeps `package` of `ecosystem` from moving to `version` on `today`,
    /// comparing in `scheme` (see [`Hold::blocks`]); `None` when no hold blocks it.
    ///
    /// A hold whose `below` or the given `version` does not parse in `scheme` is an error: the
    /// caller should refuse the update rather than guess.
    pub fn held_by(
        &self,
        ecosystem: Ecosystem,
        package: &str,
        version: &str,
        today: &str,
        scheme: Scheme,
    ) -> Result<Option<&Hold>, HoldError> {
        for hold in self.holds.iter().filter(|h| h.applies_to(ecosystem)) {
            if hold.blocks(package, version, today, scheme)? {
                return Ok(Some(hold));
            }
        }
        Ok(None)
    }

    /// The holds of this stack that have expired on `today` and no longer block anything.
    pub fn expired_holds(&self, today: &str) -> Vec<&Hold> {
        self.holds.iter().filter(|h| h.expired(today)).collect()
    }

    /// The ignore rules of this stack that have expired on `today` and no longer silence.
    pub fn expired_ignores(&self, today: &str) -> Vec<&IgnoreRule> {
        self.ignores.iter().filter(|r| r.expired(today)).collect()
    }
}

/// Reads an age such as `3d`, `12h`, `30m`, `1w` or `0s` (days are 24 hours). Used for the
/// cooldown (`--min-age`, `min-age`) and for staleness thresholds (`--max-age`).
pub fn parse_age(text: &str) -> Result<jiff::SignedDuration, String> {
    let span: jiff::Span = text
        .trim()
        .parse()
        .map_err(|e| format!("expected an age like 7d, 12h or 30m: {e}"))?;
    let age = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("use weeks, days, hours, minutes or seconds: {e}"))?;
    if age.is_negative() {
        return Err("the age cannot be negative".into());
    }
    Ok(age)
}

/// Silences an advisory (by id or alias) in audit results, for a reason and possibly until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// The advisory id or alias to silence.
    pub id: String,
    /// Why it is safe to ignore.
    pub reason: String,
    /// The last day the rule applies (`YYYY-MM-DD`); from the next day on it no longer silences.
    pub until: Option<String>,
    /// Where the rule comes from: `--ignore` or `nanoup.toml:LINE`.
    pub origin: String,
}

impl IgnoreRule {
    /// Whether the rule has expired on `today` (`YYYY-MM-DD`): it applies through its `until` day.
    pub fn expired(&self, today: &str) -> bool {
        self.until.as_deref().is_some_and(|until| until < today)
    }

    /// The notice for an expired rule, worded like `nanoup audit`'s `expired_ignores`.
    pub fn expiry_notice(&self) -> String {
        format!(
            "ignore of {} ({}) expired on {}: no longer silenced",
            self.id,
            self.origin,
            self.until.as_deref().unwrap_or_default()
        )
    }
}

/// Keeps a package below a version (`{ package = "python", below = "3.13", reason = "..." }`),
/// for a reason and possibly until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The package name, as the ecosystem spells it (`group:artifact` for Maven, the image name
    /// for Docker). PyPI names compare after PEP 503 normalisation, others exactly.
    pub package: String,
    /// The first version that is not allowed, as written (compared in the ecosystem's scheme).
    pub below: String,
    /// Restricts the hold to one ecosystem; `None` holds the name in every ecosystem.
    pub ecosystem: Option<Ecosystem>,
    /// The last day the hold applies (`YYYY-MM-DD`); from the next day on it no longer blocks.
    pub until: Option<String>,
    /// Why the package is held.
    pub reason: String,
    /// Where the hold comes from: `nanoup.toml:LINE`.
    pub origin: String,
}

/// A hold that cannot be evaluated: its `below`, or the version it is asked about, does not
/// parse in the ecosystem's scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldError {
    /// Where the hold comes from: `nanoup.toml:LINE`.
    pub origin: String,
    /// What did not parse and what was expected.
    pub message: String,
}

impl fmt::Display for HoldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

impl std::error::Error for HoldError {}

impl Hold {
    /// Whether the hold has expired on `today` (`YYYY-MM-DD`): it applies through its `until` day.
    pub fn expired(&self, today: &str) -> bool {
        self.until.as_deref().is_some_and(|until| until < today)
    }

    /// Whether the hold concerns packages of `ecosystem` (always, without an `ecosystem` key).
    pub fn applies_to(&self, ecosystem: Ecosystem) -> bool {
        self.ecosystem.is_none_or(|e| e == ecosystem)
    }

    /// Whether the hold names `package` (PEP 503 normalised in [`Scheme::Pep440`], exact
    /// otherwise).
    pub fn names(&self, package: &str, scheme: Scheme) -> bool {
        match scheme {
            Scheme::Pep440 => {
                normalize_pypi_name(&self.package) == normalize_pypi_name(package.trim())
            }
            _ => self.package == package.trim(),
        }
    }

    /// Whether the hold keeps `package` from moving to `version` on `today`, comparing in
    /// `scheme` (the package's ecosystem's scheme). The ecosystem filter is separate
    /// ([`Hold::applies_to`]; [`StackPolicy::held_by`] checks both).
    ///
    /// An expired hold or one for another package blocks nothing. Otherwise every version at
    /// or above `below` is blocked, and so are the prereleases of `below` itself when `below`
    /// is a release: `below = "2.0.0"` blocks `2.0.0-rc.1` (SemVer), `below = "3.13"` blocks
    /// `3.13.0rc1` (PEP 440), since a hold below 2.0.0 means "stay on 1.x". With a prerelease
    /// `below` (`2.0.0-rc.1`) the plain order applies.
    pub fn blocks(
        &self,
        package: &str,
        version: &str,
        today: &str,
        scheme: Scheme,
    ) -> Result<bool, HoldError> {
        if self.expired(today) || !self.names(package, scheme) {
            return Ok(false);
        }
        let floor = self.floor(scheme)?;
        let version = scheme.parse(version).map_err(|e| HoldError {
            origin: self.origin.clone(),
            message: format!("cannot compare {package} with the hold: {e}"),
        })?;
        Ok(version >= floor)
    }

    /// The lowest blocked version: `below`, or the lowest prerelease of it when it is a release.
    fn floor(&self, scheme: Scheme) -> Result<Version, HoldError> {
        let below = scheme.parse(&self.below).map_err(|e| HoldError {
            origin: self.origin.clone(),
            message: format!("the hold of {}: `below`: {e}", self.package),
        })?;
        if below.is_prerelease() {
            return Ok(below);
        }
        let text = self.below.trim();
        let lowest = match scheme {
            Scheme::SemVer | Scheme::Npm | Scheme::Go => {
                format!("{}-0", text.split('+').next().unwrap_or(text))
            }
            Scheme::Pep440 if !text.contains('+') => format!("{text}.dev0"),
            Scheme::Maven => format!("{text}-alpha"),
            _ => return Ok(below),
        };
        Ok(match scheme.parse(&lowest) {
            Ok(floor) if floor.is_prerelease() && floor <= below => floor,
            _ => below,
        })
    }

    /// The notice for an expired hold, worded like the expired-ignore notices.
    pub fn expiry_notice(&self) -> String {
        format!(
            "hold of {} below {} ({}) expired on {}: no longer holds",
            self.package,
            self.below,
            self.origin,
            self.until.as_deref().unwrap_or_default()
        )
    }
}

/// A stack path or glob without a leading `./` or trailing `/` (`.` for the root).
fn normalize_path(path: &str) -> &str {
    let mut path = path.trim();
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    let path = path.trim_end_matches('/');
    if path.is_empty() { "." } else { path }
}

/// The line of an origin `file:LINE` (0 when it has none), to sort notices in file order.
fn origin_line(origin: &str) -> u32 {
    origin
        .rsplit(':')
        .next()
        .and_then(|line| line.parse().ok())
        .unwrap_or(0)
}
