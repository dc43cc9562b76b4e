//! Drift: how far behind each component of an inventory is, from its registry's releases.
//!
//! [`assess`] is a pure function of a component, the releases its registry lists, the time and
//! the policy (cooldown); [`summarize`] rolls components up per stack. Fetching the releases is
//! the caller's business (see `nanoup-cli`'s `outdated` command), so everything here is tested
//! with recorded data and a fixed clock.

pub mod lookup;

use std::cmp::Ordering;

use jiff::{SignedDuration, Timestamp};
use nanoup_core::{Component, Ecosystem, Release};
use nanoup_versions::{Scheme, Version};
use serde::{Deserialize, Serialize};

/// The schema tag of `nanoup outdated --format json`.
pub const OUTDATED_SCHEMA: &str = "nanoup.outdated/v1";

/// Whether a component is behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No eligible release is newer than the current version.
    Current,
    /// An eligible release is newer.
    Outdated,
    /// The look-up failed or the version cannot be compared: never read this as "up to date".
    Unknown,
}

/// How far behind one component is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentDrift {
    /// The stack's path.
    pub stack: String,
    /// The component's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name.
    pub name: String,
    /// The current version.
    pub version: String,
    /// Declared by the stack's manifest.
    pub direct: bool,
    /// Current, outdated or unknown.
    pub status: Status,
    /// Why the status is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Publication time of the current version (RFC 3339), when the registry tells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_published: Option<String>,
    /// The newest eligible release: not yanked, past the cooldown, not a prerelease unless the
    /// current version is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// Publication time of `latest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_published: Option<String>,
    /// The newest eligible release the manifest's requirement allows (direct components with a
    /// known requirement only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_compatible: Option<String>,
    /// Eligible releases newer than the current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releases_behind: Option<usize>,
    /// Years between the current version's release and the latest's (0 when current).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub libyears: Option<f64>,
    /// `latest` is a major step ahead (for 0.x versions, a minor step counts as major).
    pub major_behind: bool,
    /// Newer releases held back by the cooldown (younger than the minimum age).
    pub pending: Vec<String>,
    /// The current version is yanked.
    pub yanked: bool,
    /// The current version's deprecation message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// Answered from an offline cache entry older than its freshness window.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// The look-up policy: the cooldown and the clock.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Now.
    pub now: Timestamp,
    /// Releases younger than this are pending, never latest.
    pub min_age: SignedDuration,
}

/// A component whose look-up failed: status unknown, with the reason.
pub fn unknown(stack: &str, component: &Component, reason: impl Into<String>) -> ComponentDrift {
    ComponentDrift {
        stack: stack.to_string(),
        ecosystem: component.ecosystem,
        name: component.name.clone(),
        version: component.version.clone().unwrap_or_default(),
        direct: component.direct,
        status: Status::Unknown,
        reason: Some(reason.into()),
        current_published: None,
        latest: None,
        latest_published: None,
        latest_compatible: None,
        releases_behind: None,
        libyears: None,
        major_behind: false,
        pending: Vec::new(),
        yanked: false,
        deprecated: None,
        stale: false,
    }
}

/// How far behind `component` is, given every release its registry lists.
pub fn assess(
    stack: &str,
    component: &Component,
    releases: &[Release],
    policy: Policy,
) -> ComponentDrift {
    let Some(current_text) = component.version.as_deref() else {
        return unknown(stack, component, "no resolved version to compare");
    };
    let Some(scheme) = Scheme::for_ecosystem(component.ecosystem.osv_name()) else {
        return unknown(
            stack,
            component,
            format!("no version order for {}", component.ecosystem),
        );
    };
    let Ok(current) = scheme.parse(current_text) else {
        return unknown(
            stack,
            component,
            format!("cannot read version {current_text:?}"),
        );
    };
    let mut parsed: Vec<(Version, &Release)> = releases
        .iter()
        .filter_map(|r| scheme.parse(&r.version).ok().map(|v| (v, r)))
        .collect();
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    let own = parsed
        .iter()
        .find(|(v, _)| v.cmp(&current) == Ordering::Equal)
        .map(|(_, r)| *r);
    let cutoff = policy.now.checked_sub(policy.min_age).unwrap_or(policy.now);
    let old_enough = |r: &Release| {
        // A registry that does not date its releases cannot be cooled down; say so in docs.
        r.published
            .as_deref()
            .and_then(|p| p.parse::<Timestamp>().ok())
            .is_none_or(|t| t <= cutoff)
    };
    let allow_pre = current.is_prerelease();
    let candidates: Vec<&(Version, &Release)> = parsed
        .iter()
        .filter(|(v, r)| !r.yanked && (allow_pre || !v.is_prerelease()))
        .collect();
    let newer: Vec<&&(Version, &Release)> =
        candidates.iter().filter(|(v, _)| *v > current).collect();
    let eligible: Vec<&&(Version, &Release)> = newer
        .iter()
        .copied()
        .filter(|(_, r)| old_enough(r))
        .collect();
    let pending: Vec<String> = newer
        .iter()
        .filter(|(_, r)| !old_enough(r))
        .map(|(_, r)| r.version.clone())
        .collect();
    let latest = eligible.last().map(|(v, r)| (v.clone(), *r));
    let latest_compatible = component
        .requirement
        .as_deref()
        .filter(|_| component.direct)
        .and_then(|req| scheme.parse_requirement(req).ok())
        .and_then(|req| {
            candidates
                .iter()
                .filter(|(v, r)| old_enough(r) && req.matches(v))
                .map(|(_, r)| r.version.clone())
                .next_back()
        });
    let current_published = own.and_then(|r| r.published.clone());
    let libyears = match &latest {
        None => Some(0.0),
        Some((_, r)) => years_between(current_published.as_deref(), r.published.as_deref()),
    };
    ComponentDrift {
        stack: stack.to_string(),
        ecosystem: component.ecosystem,
        name: component.name.clone(),
        version: current_text.to_string(),
        direct: component.direct,
        status: if latest.is_some() {
            Status::Outdated
        } else {
            Status::Current
        },
        reason: None,
        current_published,
        major_behind: latest.as_ref().is_some_and(|(_, r)| {
            nanoup_core::UpdateKind::between(current_text, &r.version)
                == nanoup_core::UpdateKind::Major
        }),
        latest_published: latest.as_ref().and_then(|(_, r)| r.published.clone()),
        latest: latest.map(|(_, r)| r.version.clone()),
        latest_compatible,
        releases_behind: Some(eligible.len()),
        libyears,
        pending,
        yanked: own.is_some_and(|r| r.yanked),
        deprecated: own.and_then(|r| r.deprecated.clone()),
        stale: false,
    }
}

/// Years (365.25 days) from `from` to `to`, never negative; `None` when either date is unknown.
fn years_between(from: Option<&str>, to: Option<&str>) -> Option<f64> {
    let from: Timestamp = from?.parse().ok()?;
    let to: Timestamp = to?.parse().ok()?;
    let seconds = (to.as_second() - from.as_second()).max(0) as f64;
    Some((seconds / (365.25 * 86_400.0) * 100.0).round() / 100.0)
}

/// Per-stack roll-up of drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackDrift {
    /// The stack's path.
    pub path: String,
    /// The stack's ecosystem.
    pub ecosystem: Ecosystem,
    /// Components assessed.
    pub components: usize,
    /// Components with an eligible newer release.
    pub outdated: usize,
    /// Components whose look-up failed.
    pub unknown: usize,
    /// Sum of the components' libyears.
    pub libyears: f64,
    /// Share (0 to 1) of assessed components a major step or more behind.
    pub major_behind_share: f64,
    /// The component whose current version is the oldest release, as `name@version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest: Option<String>,
    /// Release date of `oldest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_published: Option<String>,
}

/// The `nanoup outdated` result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutdatedReport {
    /// Always [`OUTDATED_SCHEMA`].
    pub schema: String,
    /// The cooldown applied, e.g. `3d`.
    pub min_age: String,
    /// Per component, sorted by stack, then libyears (most behind first), then name.
    pub components: Vec<ComponentDrift>,
    /// Per stack, sorted by path.
    pub stacks: Vec<StackDrift>,
}

/// Worst offenders first: outdated, then unknown (could be anything), then current.
fn rank(status: Status) -> u8 {
    match status {
        Status::Outdated => 0,
        Status::Unknown => 1,
        Status::Current => 2,
    }
}

/// Sorts the components (worst first within each stack) and rolls them up per stack.
pub fn summarize(mut components: Vec<ComponentDrift>, min_age: String) -> OutdatedReport {
    components.sort_by(|a, b| {
        (&a.stack, a.ecosystem)
            .cmp(&(&b.stack, b.ecosystem))
            .then_with(|| rank(a.status).cmp(&rank(b.status)))
            .then_with(|| {
                b.libyears
                    .unwrap_or(0.0)
                    .total_cmp(&a.libyears.unwrap_or(0.0))
            })
            .then_with(|| b.releases_behind.cmp(&a.releases_behind))
            .then_with(|| (&a.name, &a.version).cmp(&(&b.name, &b.version)))
    });
    let mut stacks: Vec<StackDrift> = Vec::new();
    for c in &components {
        if stacks
            .last()
            .is_none_or(|s| s.path != c.stack || s.ecosystem != c.ecosystem)
        {
            stacks.push(StackDrift {
                path: c.stack.clone(),
                ecosystem: c.ecosystem,
                components: 0,
                outdated: 0,
                unknown: 0,
                libyears: 0.0,
                major_behind_share: 0.0,
                oldest: None,
                oldest_published: None,
            });
        }
        let Some(s) = stacks.last_mut() else { continue };
        s.components += 1;
        s.outdated += usize::from(c.status == Status::Outdated);
        s.unknown += usize::from(c.status == Status::Unknown);
        s.libyears += c.libyears.unwrap_or(0.0);
        s.major_behind_share += f64::from(u8::from(c.major_behind));
        if let Some(p) = &c.current_published
            && s.oldest_published.as_ref().is_none_or(|o| p < o)
        {
            s.oldest_published = Some(p.clone());
            s.oldest = Some(format!("{}@{}", c.name, c.version));
        }
    }
    for s in &mut stacks {
        let known = (s.components - s.unknown).max(1) as f64;
        s.major_behind_share = (s.major_behind_share / known * 1000.0).round() / 1000.0;
        s.libyears = (s.libyears * 100.0).round() / 100.0;
    }
    OutdatedReport {
        schema: OUTDATED_SCHEMA.to_string(),
        min_age,
        components,
        stacks,
    }
}
