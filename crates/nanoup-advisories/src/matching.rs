//! Matching an inventory against the index: which advisories affect which components.
//!
//! The rules, each tested:
//! - versions are compared in the ecosystem's own order (`nanoup_versions::Scheme`); `SEMVER`
//!   ranges in SemVer order, `ECOSYSTEM` ranges in the ecosystem's; GIT ranges never reach here;
//! - `versions` lists match by exact string; withdrawn advisories never match;
//! - RustSec-native advisories use cargo-audit's rule: affected unless a `patched` or
//!   `unaffected` requirement matches (Cargo's requirement semantics);
//! - only registry components are matched: an advisory about crates.io's `foo` says nothing
//!   about a git or path dependency that happens to share the name;
//! - advisories that share an id or alias merge into one finding, shown under the ecosystem
//!   database's own id.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use nanoup_core::{Component, Ecosystem, Finding, FindingKind, Inventory, Severity, Source};
use nanoup_versions::osv_range::{self, Event};
use nanoup_versions::{Scheme, Version};

use crate::advisory::{Advisory, AffectedPackage, RangeEvent, RangeKind};
use crate::index::{Index, IndexError};

/// Every finding (vulnerabilities and informational warnings) for every component of `inventory`,
/// unsorted and unfiltered by ignores. Each (component, vulnerability) appears once.
pub fn match_inventory(index: &Index, inventory: &Inventory) -> Result<Vec<Finding>, IndexError> {
    let mut cache: HashMap<(Ecosystem, String), Vec<Advisory>> = HashMap::new();
    let mut findings = Vec::new();
    for (stack, component) in inventory.components() {
        if component.source != Source::Registry || component.ecosystem == Ecosystem::Docker {
            continue;
        }
        let Some(version) = component.version.as_deref() else {
            continue;
        };
        let key = (component.ecosystem, component.name.clone());
        if !cache.contains_key(&key) {
            let found = index.advisories_for(component.ecosystem.osv_name(), &component.name)?;
            cache.insert(key.clone(), found);
        }
        let advisories = &cache[&key];
        if advisories.is_empty() {
            continue;
        }
        findings.extend(match_component(&stack.path, component, version, advisories));
    }
    Ok(findings)
}

/// The findings for one component at `version`, given the advisories on its package.
pub fn match_component(
    stack: &str,
    component: &Component,
    version: &str,
    advisories: &[Advisory],
) -> Vec<Finding> {
    let ecosystem = component.ecosystem.osv_name();
    let matched: Vec<(&Advisory, &AffectedPackage)> = advisories
        .iter()
        .filter(|a| a.withdrawn.is_none())
        .filter_map(|a| {
            let package = a.affected.iter().find(|p| {
                p.ecosystem == ecosystem && p.name == component.name && is_affected(p, version)
            })?;
            Some((a, package))
        })
        .collect();
    if matched.is_empty() {
        return Vec::new();
    }
    let clearing = lowest_fix(ecosystem, version, &matched);
    merge_aliases(&matched, own_prefix(ecosystem))
        .into_iter()
        .map(|group| {
            to_finding(
                stack,
                component,
                version,
                ecosystem,
                &group,
                clearing.clone(),
            )
        })
        .collect()
}

/// Whether `version` is affected according to one affected-package entry.
pub fn is_affected(package: &AffectedPackage, version: &str) -> bool {
    if !package.patched.is_empty() || !package.unaffected.is_empty() || is_rustsec_native(package) {
        return rustsec_affected(package, version);
    }
    if package.versions.iter().any(|v| v == version) {
        return true;
    }
    package.ranges.iter().any(|range| {
        let Some(scheme) = range_scheme(range.kind, &package.ecosystem) else {
            return false;
        };
        let Ok(parsed) = scheme.parse(version) else {
            return false;
        };
        osv_range::affected(scheme, &parsed, &events(&range.events))
    })
}

/// A RustSec-native entry carries neither OSV ranges nor versions: with no requirement at all, it
/// affects every version (as cargo-audit reads an advisory without `[versions]`).
fn is_rustsec_native(package: &AffectedPackage) -> bool {
    package.ranges.is_empty() && package.versions.is_empty() && package.ecosystem == "crates.io"
}

fn rustsec_affected(package: &AffectedPackage, version: &str) -> bool {
    let Ok(v) = semver::Version::parse(version) else {
        return false;
    };
    let matches = |reqs: &[String]| {
        reqs.iter()
            .filter_map(|r| semver::VersionReq::parse(r).ok())
            .any(|req| req.matches(&v))
    };
    !matches(&package.patched) && !matches(&package.unaffected)
}

fn range_scheme(kind: RangeKind, ecosystem: &str) -> Option<Scheme> {
    match kind {
        RangeKind::Semver => Scheme::for_range("SEMVER", ecosystem),
        RangeKind::Ecosystem => Scheme::for_ecosystem(ecosystem),
    }
}

fn events(events: &[RangeEvent]) -> Vec<Event> {
    events
        .iter()
        .map(|e| match e {
            RangeEvent::Introduced(v) => Event::Introduced(v.clone()),
            RangeEvent::Fixed(v) => Event::Fixed(v.clone()),
            RangeEvent::LastAffected(v) => Event::LastAffected(v.clone()),
            RangeEvent::Limit(v) => Event::Limit(v.clone()),
        })
        .collect()
}

/// The versions an affected-package entry names as fixing: `fixed` events, and for RustSec-native
/// entries the lower bounds of `patched` requirements (`>= 1.6.1` → `1.6.1`).
fn fixed_versions(package: &AffectedPackage) -> Vec<String> {
    let from_events = package
        .ranges
        .iter()
        .flat_map(|r| &r.events)
        .filter_map(|e| match e {
            RangeEvent::Fixed(v) => Some(v.clone()),
            _ => None,
        });
    let from_patched = package.patched.iter().filter_map(|req| {
        let req = semver::VersionReq::parse(req).ok()?;
        req.comparators.iter().find_map(|c| {
            matches!(
                c.op,
                semver::Op::GreaterEq | semver::Op::Caret | semver::Op::Tilde | semver::Op::Exact
            )
            .then(|| {
                let mut v = format!(
                    "{}.{}.{}",
                    c.major,
                    c.minor.unwrap_or(0),
                    c.patch.unwrap_or(0)
                );
                if !c.pre.is_empty() {
                    v = format!("{v}-{}", c.pre);
                }
                v
            })
        })
    });
    from_events.chain(from_patched).collect()
}

/// Sorts version strings in `ecosystem`'s order (unparseable ones last, by text) and dedups.
fn sort_versions(ecosystem: &str, versions: impl IntoIterator<Item = String>) -> Vec<String> {
    let scheme = Scheme::for_ecosystem(ecosystem);
    let mut keyed: Vec<(Option<Version>, String)> = versions
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|v| (scheme.and_then(|s| s.parse(&v).ok()), v))
        .collect();
    keyed.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| a.1.cmp(&b.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// The lowest version above `version` named as a fix by any matched vulnerability that no matched
/// vulnerability affects. Informational advisories (unmaintained...) are not cleared by upgrading,
/// so they do not take part.
fn lowest_fix(
    ecosystem: &str,
    version: &str,
    matched: &[(&Advisory, &AffectedPackage)],
) -> Option<String> {
    let scheme = Scheme::for_ecosystem(ecosystem)?;
    let current = scheme.parse(version).ok()?;
    let vulnerabilities: Vec<&AffectedPackage> = matched
        .iter()
        .filter(|(a, _)| !a.is_informational())
        .map(|(_, p)| *p)
        .collect();
    if vulnerabilities.is_empty() {
        return None;
    }
    let candidates = sort_versions(
        ecosystem,
        vulnerabilities.iter().flat_map(|p| fixed_versions(p)),
    );
    candidates.into_iter().find(|candidate| {
        let Ok(parsed) = scheme.parse(candidate) else {
            return false;
        };
        parsed > current
            && !parsed.is_prerelease()
            && vulnerabilities.iter().all(|p| !is_affected(p, candidate))
    })
}

/// Groups matched advisories that are the same vulnerability (sharing an id or an alias).
///
/// Two different advisories of the ecosystem's own database are never merged, even when they
/// share aliases: RustSec's RUSTSEC-2019-0036 (unsound) and RUSTSEC-2020-0036 (unmaintained)
/// both name CVE-2019-25010 but are two entries, and cargo-audit reports both.
fn merge_aliases<'a>(
    matched: &[(&'a Advisory, &'a AffectedPackage)],
    own_prefix: &str,
) -> Vec<Vec<(&'a Advisory, &'a AffectedPackage)>> {
    let mut parent: Vec<usize> = (0..matched.len()).collect();
    let mut has_own: Vec<bool> = matched
        .iter()
        .map(|(a, _)| a.id.starts_with(own_prefix))
        .collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, (advisory, _)) in matched.iter().enumerate() {
        for name in std::iter::once(&advisory.id).chain(&advisory.aliases) {
            match owner.get(name.as_str()) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    if a != b && !(has_own[a] && has_own[b]) {
                        parent[a] = b;
                        has_own[b] |= has_own[a];
                    }
                }
                None => {
                    owner.insert(name, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<(&Advisory, &AffectedPackage)>> = BTreeMap::new();
    for (i, entry) in matched.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(*entry);
    }
    groups.into_values().collect()
}

/// The id prefix of the database that owns `ecosystem`'s advisories.
fn own_prefix(ecosystem: &str) -> &'static str {
    match ecosystem {
        "crates.io" => "RUSTSEC-",
        "PyPI" => "PYSEC-",
        "Go" => "GO-",
        _ => "GHSA-",
    }
}

fn to_finding(
    stack: &str,
    component: &Component,
    version: &str,
    ecosystem: &str,
    group: &[(&Advisory, &AffectedPackage)],
    lowest_fix: Option<String>,
) -> Finding {
    let prefix = own_prefix(ecosystem);
    let primary = group
        .iter()
        .map(|(a, _)| *a)
        .min_by_key(|a| (!a.id.starts_with(prefix), a.id.clone()))
        .unwrap_or(group[0].0);
    let mut ids: BTreeSet<String> = group
        .iter()
        .flat_map(|(a, _)| std::iter::once(a.id.clone()).chain(a.aliases.iter().cloned()))
        .collect();
    ids.remove(&primary.id);
    let kind = if group.iter().any(|(a, _)| !a.is_informational()) {
        FindingKind::Vulnerability
    } else {
        FindingKind::from_informational(primary.informational.as_deref())
    };
    let cvss_score = group
        .iter()
        .flat_map(|(a, _)| &a.severity)
        .filter_map(|s| cvss::Cvss::from_str(s.vector.trim()).ok())
        .map(|c| c.score())
        .fold(None, |best: Option<f64>, s| {
            Some(best.map_or(s, |b| b.max(s)))
        });
    let severity = cvss_score.map(Severity::from_score).or_else(|| {
        group
            .iter()
            .filter_map(|(a, _)| {
                a.database_severity
                    .as_deref()
                    .and_then(Severity::from_label)
            })
            .max()
    });
    let fixed = sort_versions(ecosystem, group.iter().flat_map(|(_, p)| fixed_versions(p)));
    Finding {
        stack: stack.to_string(),
        ecosystem: component.ecosystem,
        name: component.name.clone(),
        version: version.to_string(),
        id: primary.id.clone(),
        aliases: ids.into_iter().collect(),
        kind,
        severity,
        cvss_score,
        fixed,
        lowest_fix: if kind == FindingKind::Vulnerability {
            lowest_fix
        } else {
            None
        },
        summary: primary.summary.clone(),
        url: primary.url.clone(),
        file: component.file.clone(),
        line: component.line,
        direct: component.direct,
    }
}
