//! In-place edits of `pnpm-lock.yaml` (lockfile 5.x, 6.x and 9.x): move the entry of
//! `name@from` to `to`, with every dependent's recorded version, or say why that is not a nano
//! update (the caller names `pnpm update` instead).
//!
//! A pnpm lockfile records, in every dependent (an importer's `dependencies`, a package's or
//! snapshot's `dependencies`), the exact version it resolved, not the range a package asked for:
//! the caller gives those ranges from the registry (`dependent_range`), and importers' own
//! `specifier`s are in the file. The edit is made only when:
//! - the package is installed once, without a peer suffix, is nobody's peer, and `to` is not
//!   locked already (pnpm would merge the two);
//! - every dependent's range (and every importer's specifier) accepts `to`;
//! - every dependency of the new version resolves to a version the lockfile already holds that
//!   its range accepts (the one the old version used when it still fits, else the highest);
//! - the entry's other fields keep their shape: no peer dependencies, `cpu`/`os`, `deprecated`,
//!   bundled dependencies, a `hasBin` or `requiresBuild` that would appear or vanish.
//!
//! What is written: the entry's key (moved to where pnpm's sorted order puts it), its
//! `resolution` integrity, its `engines`, its `dependencies` and `optionalDependencies` (9.x:
//! in `snapshots`), and each dependent's version. The result is parsed again and must differ
//! from the old file by `name from -> to` alone.

use std::collections::BTreeMap;

use nanoup_core::{EntryChange, ParseError};

use super::edit::range_accepts;
use super::pnpm_lock::parse_pnpm_lock;
use super::registry::VersionManifest;
use super::yaml_lite::{self, Node, Value};
use nanoup_versions::{Scheme, Version};

/// The result of [`plan_pnpm_edit`]: the new text and the one entry it moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PnpmEdit {
    /// The whole new lockfile text.
    pub new_text: String,
    /// The entry moved (`name from -> to`), as the scan sees it.
    pub changed: Vec<EntryChange>,
    /// How many dependents' recorded versions moved with it (importers included).
    pub dependents: usize,
}

/// Plans the in-place move of `name@from` to `to` in the pnpm lockfile `lock_text` (see the
/// module documentation); `dependent_range(dependent, version)` is the range that release of a
/// dependent declares on `name` (from the registry), `None` when it cannot be told.
pub fn plan_pnpm_edit(
    lock_text: &str,
    name: &str,
    from: &str,
    to: &VersionManifest,
    dependent_range: &dyn Fn(&str, &str) -> Option<String>,
) -> Result<PnpmEdit, String> {
    const FILE: &str = "pnpm-lock.yaml";
    let root = yaml_lite::parse(FILE, lock_text).map_err(|e| e.to_string())?;
    let version = root
        .get("lockfileVersion")
        .and_then(Value::as_str)
        .ok_or("no `lockfileVersion`")?;
    let major: u32 = version
        .trim_matches(['\'', '"'])
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("lockfileVersion {version:?} is not a number"))?;
    if !matches!(major, 5 | 6 | 9) {
        return Err(format!(
            "lockfileVersion {version} is not one nanoup edits (5, 6, 9)"
        ));
    }
    let key = |n: &str, v: &str| match major {
        5 => format!("/{n}/{v}"),
        6 => format!("/{n}@{v}"),
        _ => format!("{n}@{v}"),
    };
    let (old_key, new_key) = (key(name, from), key(name, &to.version));
    let packages = root.get("packages").map(Value::entries).unwrap_or_default();
    let snapshots = root
        .get("snapshots")
        .map(Value::entries)
        .unwrap_or_default();
    // The maps holding each package's own dependencies (9.x: the snapshots).
    let dependency_holders = if major == 9 { snapshots } else { packages };
    let entry = packages
        .iter()
        .find(|n| n.key == old_key)
        .ok_or_else(|| format!("{FILE} locks no {name}@{from} (as `{old_key}`)"))?;
    if packages.iter().any(|n| n.key == new_key) {
        return Err(format!(
            "{FILE} already locks {name}@{}: pnpm would merge the two entries",
            to.version
        ));
    }
    for n in packages.iter().chain(snapshots) {
        let suffixed = n.key.starts_with(&old_key) && n.key.len() > old_key.len();
        let peer = n.key.contains(&format!("_{name}@{from}"))
            || n.key.contains(&format!("({name}@{from})"));
        if suffixed && n.key[old_key.len()..].starts_with(['_', '(']) || peer {
            return Err(format!(
                "{FILE} resolves {name}@{from} with peers (`{}`); pnpm lays those out itself",
                n.key
            ));
        }
    }
    // An override (pnpm's `overrides:`, recorded in the lockfile) decides this package's
    // version for the whole tree: pnpm would reject a lockfile that breaks it.
    let overridden = root
        .get("overrides")
        .map(Value::entries)
        .unwrap_or_default()
        .iter()
        .find(|o| {
            let target = o.key.rsplit('>').next().unwrap_or(&o.key);
            split_name_range(target.trim()) == name
        });
    if let Some(o) = overridden {
        return Err(format!(
            "{FILE} overrides {} ({}); change the override in package.json instead",
            o.key,
            o.value.as_str().unwrap_or("")
        ));
    }
    check_shape(major, &entry.value, to)?;
    if major == 9
        && let Some(snapshot) = snapshots.iter().find(|n| n.key == old_key)
    {
        check_shape(major, &snapshot.value, to)?;
    }

    // Every dependent's recorded version, and whether its range accepts `to`.
    let mut replace: BTreeMap<u32, String> = BTreeMap::new();
    let lines: Vec<&str> = lock_text.split_inclusive('\n').collect();
    let mut dependents = 0;
    let aliases = [
        format!("{name}@{from}"),
        format!("/{name}@{from}"),
        format!("/{name}/{from}"),
    ];
    let aliased = |value: &str| {
        aliases.iter().any(|a| {
            value == a || value.starts_with(&format!("{a}(")) || value.starts_with(&format!("{a}_"))
        })
    };
    for holder in dependency_holders {
        if holder
            .value
            .get("peerDependencies")
            .is_some_and(|p| p.get(name).is_some())
        {
            return Err(format!(
                "`{}` takes {name} as a peer; pnpm lays peers out itself",
                holder.key
            ));
        }
        for section in ["dependencies", "optionalDependencies"] {
            for dep in holder
                .value
                .get(section)
                .map(Value::entries)
                .unwrap_or_default()
            {
                if dep.value.as_str().is_some_and(aliased) {
                    return Err(format!(
                        "`{}` installs {name}@{from} under the alias {}; pnpm must update it",
                        holder.key, dep.key
                    ));
                }
                if dep.key != name {
                    continue;
                }
                if has_peer_suffix(major, &holder.key) {
                    return Err(format!(
                        "`{}` resolves {name} {from} with peers; pnpm lays those out itself",
                        holder.key
                    ));
                }
                let Some(resolved) = dep.value.as_str() else {
                    continue;
                };
                if resolved != from {
                    if resolved.starts_with(from) && resolved[from.len()..].starts_with(['_', '('])
                    {
                        return Err(format!(
                            "`{}` resolves {name} {resolved}, with peers",
                            holder.key
                        ));
                    }
                    continue;
                }
                let (dependent, at) = split_key(major, &holder.key)
                    .ok_or_else(|| format!("cannot read the package key `{}`", holder.key))?;
                let range = dependent_range(dependent, at).ok_or_else(|| {
                    format!("the registry does not say which range {dependent}@{at} asks of {name}")
                })?;
                if range_accepts(&range, &to.version) != Some(true) {
                    return Err(format!(
                        "{dependent}@{at} asks for {name} {range:?}, which does not accept {}; \
                         pnpm must change the tree",
                        to.version
                    ));
                }
                replace.insert(
                    dep.line,
                    retarget(lines[line_index(dep.line)], from, &to.version)?,
                );
                dependents += 1;
            }
        }
    }
    // Importers (or a single project's top-level sections).
    let importers: Vec<&Node<'_>> = match root.get("importers") {
        Some(map) => map.entries().iter().collect(),
        None => Vec::new(),
    };
    let mut projects: Vec<&Value<'_>> = importers.iter().map(|n| &n.value).collect();
    if importers.is_empty() {
        projects.push(&root);
    }
    for project in projects {
        let specifiers = project.get("specifiers");
        for section in ["dependencies", "devDependencies", "optionalDependencies"] {
            for dep in project.get(section).map(Value::entries).unwrap_or_default() {
                let recorded = dep
                    .value
                    .as_str()
                    .or_else(|| dep.value.get("version").and_then(Value::as_str));
                if dep.key != name && recorded.is_some_and(aliased) {
                    return Err(format!(
                        "the project installs {name}@{from} under the alias {}; pnpm must \
                         update it",
                        dep.key
                    ));
                }
                if dep.key != name {
                    continue;
                }
                // 5.x: `name: 1.0.0` beside `specifiers`; 6.x/9.x: `name: {specifier, version}`.
                let (specifier, version_line, resolved) = match &dep.value {
                    Value::Scalar(v) => (
                        specifiers.and_then(|s| s.get(name)).and_then(Value::as_str),
                        dep.line,
                        v.as_ref(),
                    ),
                    Value::Map(fields) => {
                        let version = fields.iter().find(|f| f.key == "version");
                        (
                            dep.value.get("specifier").and_then(Value::as_str),
                            version.map_or(dep.line, |f| f.line),
                            version.and_then(|f| f.value.as_str()).unwrap_or(""),
                        )
                    }
                    _ => continue,
                };
                if resolved != from {
                    continue;
                }
                let specifier = specifier.ok_or_else(|| {
                    format!("{FILE}: the project's specifier for {name} is missing")
                })?;
                if range_accepts(specifier, &to.version) != Some(true) {
                    return Err(format!(
                        "the project asks for {name} {specifier:?}, which does not accept {}: a \
                         package.json change (pnpm update {name}@{})",
                        to.version, to.version
                    ));
                }
                replace.insert(
                    version_line,
                    retarget(lines[line_index(version_line)], from, &to.version)?,
                );
                dependents += 1;
            }
        }
    }

    // The new version's dependencies, resolved to what the lockfile holds.
    let held = held_versions(major, dependency_holders);
    let old_resolved: BTreeMap<&str, &str> = {
        let holder = dependency_holders.iter().find(|n| n.key == old_key);
        ["dependencies", "optionalDependencies"]
            .iter()
            .flat_map(|s| {
                holder
                    .and_then(|h| h.value.get(s))
                    .map(Value::entries)
                    .unwrap_or_default()
            })
            .filter_map(|n| Some((n.key.as_ref(), n.value.as_str()?)))
            .collect()
    };
    let optional: Vec<&str> = to
        .optional_dependencies
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    let mut sections: Vec<Section<'_>> = Vec::new();
    for (section, wanted) in [
        (
            "dependencies",
            to.dependencies
                .iter()
                .filter(|(n, _)| !optional.contains(&n.as_str()))
                .collect::<Vec<_>>(),
        ),
        (
            "optionalDependencies",
            to.optional_dependencies.iter().collect(),
        ),
    ] {
        let mut resolved = Vec::new();
        for (dep, range) in wanted {
            let kept = old_resolved
                .get(dep.as_str())
                .filter(|v| range_accepts(range, v) == Some(true))
                .map(|v| v.to_string());
            let highest = held
                .get(dep.as_str())
                .and_then(|versions| {
                    versions
                        .iter()
                        .rev()
                        .find(|(_, v)| range_accepts(range, v) == Some(true))
                })
                .map(|(_, v)| v.clone());
            match kept.or(highest) {
                Some(v) => resolved.push((dep.clone(), v)),
                None => {
                    return Err(format!(
                        "{name}@{} needs {dep} {range}, which {FILE} does not hold: pnpm must \
                         add it",
                        to.version
                    ));
                }
            }
        }
        resolved.sort();
        sections.push((section, resolved));
    }
    // pnpm would prune what only the old version used, and re-flag a dev-only dependency a
    // prod package now uses: neither is written here.
    let new_names: Vec<&str> = sections
        .iter()
        .flat_map(|(_, deps)| deps.iter().map(|(d, _)| d.as_str()))
        .collect();
    if let Some(dropped) = old_resolved.keys().find(|d| !new_names.contains(d)) {
        return Err(format!(
            "{name}@{} no longer depends on {dropped}: pnpm would prune or re-flag it",
            to.version
        ));
    }
    if major != 9 && !entry.value.get("dev").is_some_and(Value::is_true) {
        for (dep, version) in sections.iter().flat_map(|(_, deps)| deps) {
            let held = packages.iter().find(|n| n.key == key(dep, version));
            if held.is_some_and(|n| n.value.get("dev").is_some_and(Value::is_true)) {
                return Err(format!(
                    "{name}@{} needs {dep}@{version}, which {FILE} holds for development only: \
                     pnpm would re-flag it",
                    to.version
                ));
            }
        }
    }

    // The entry (and 9.x snapshot) rewritten; every other line as it was but the dependents'.
    let integrity = to
        .integrity
        .clone()
        .or_else(|| to.shasum.as_deref().and_then(super::edit::sha1_integrity))
        .ok_or_else(|| format!("the registry gives no integrity for {name}@{}", to.version))?;
    // 9.x keys start with the name, quoted when scoped; 5.x/6.x keys start with `/`.
    let quoted_key = |k: &str| {
        if k.starts_with('@') {
            format!("'{k}'")
        } else {
            k.to_string()
        }
    };
    let mut blocks: Vec<(usize, usize, String, String)> = Vec::new(); // (start, end, key, text)
    let package_block = block_of(&lines, entry.line);
    let rebuilt = rebuild(
        &lines[package_block.clone()],
        &quoted_key(&new_key),
        Some(&integrity),
        to,
        if major == 9 { None } else { Some(&sections) },
    )?;
    blocks.push((
        package_block.start,
        package_block.end,
        new_key.clone(),
        rebuilt,
    ));
    if major == 9
        && let Some(snapshot) = snapshots.iter().find(|n| n.key == old_key)
    {
        let block = block_of(&lines, snapshot.line);
        let rebuilt = rebuild(
            &lines[block.clone()],
            &quoted_key(&new_key),
            None,
            to,
            Some(&sections),
        )?;
        blocks.push((block.start, block.end, new_key.clone(), rebuilt));
    }
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for (line, text) in &replace {
        out[line_index(*line)] = text.clone();
    }
    // Each rewritten block leaves its place (with the blank line after it) and goes where
    // pnpm's sorted order puts its new key, within its section.
    let mut deleted: Vec<std::ops::Range<usize>> = Vec::new();
    let mut inserted: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (start, end, new_key, text) in blocks {
        let section = if major == 9 && start >= first_line_of(snapshots) {
            snapshots
        } else {
            packages
        };
        // The blank line that separates it from the next entry, else from the one before.
        let blank_after = lines.get(end).is_some_and(|l| l.trim().is_empty());
        let blank_before = start > 0 && lines[start - 1].trim().is_empty();
        deleted.push(if blank_after || !blank_before {
            start..end + usize::from(blank_after)
        } else {
            start - 1..end
        });
        let newline = if text.ends_with("\r\n") { "\r\n" } else { "\n" };
        let others: Vec<&Node<'_>> = section.iter().filter(|n| n.key != old_key).collect();
        if others.is_empty() {
            // The only entry of its section: rewritten where it stands.
            deleted.pop();
            deleted.push(start..end);
            inserted.entry(start).or_default().push(text);
            continue;
        }
        match others.iter().find(|n| n.key.as_ref() > new_key.as_str()) {
            Some(next) => inserted
                .entry(line_index(next.line))
                .or_default()
                .push(format!("{text}{newline}")),
            None => {
                let at = others.last().map_or(end, |n| block_of(&lines, n.line).end);
                inserted
                    .entry(at)
                    .or_default()
                    .push(format!("{newline}{text}"));
            }
        }
    }
    let mut new_text = String::with_capacity(lock_text.len() + 256);
    for (i, line) in out.iter().enumerate() {
        for text in inserted.get(&i).into_iter().flatten() {
            new_text.push_str(text);
        }
        if !deleted.iter().any(|r| r.contains(&i)) {
            new_text.push_str(line);
        }
    }
    for text in inserted.get(&out.len()).into_iter().flatten() {
        new_text.push_str(text);
    }

    // The result must be the one move, as the scan sees it.
    let changed = changed_entries(FILE, lock_text, &new_text)
        .map_err(|e| format!("the edited lockfile does not parse: {e}"))?;
    let expected = vec![EntryChange {
        name: name.to_string(),
        from: Some(from.to_string()),
        to: Some(to.version.clone()),
        path: None,
    }];
    if changed != expected {
        return Err(format!(
            "the edit would change {changed:?} instead of {name} {from} -> {}",
            to.version
        ));
    }
    Ok(PnpmEdit {
        new_text,
        changed,
        dependents,
    })
}

/// The entries (`name from -> to`, additions, removals) that differ between two pnpm lockfiles
/// as the scan sees them: the blast-radius check after an edit.
pub fn changed_entries(file: &str, old: &str, new: &str) -> Result<Vec<EntryChange>, ParseError> {
    let components = |text: &str| -> Result<Vec<(String, String)>, ParseError> {
        Ok(parse_pnpm_lock(file, text)?
            .components()
            .into_iter()
            .filter_map(|c| Some((c.name, c.version?)))
            .collect())
    };
    let mut changed = EntryChange::diff(&components(old)?, &components(new)?);
    changed.dedup();
    Ok(changed)
}

/// The package name of an override's selector (`foo`, `foo@<2`, `@s/foo@1`).
fn split_name_range(selector: &str) -> &str {
    let at = selector
        .get(1..)
        .and_then(|rest| rest.find('@'))
        .map_or(selector.len(), |i| i + 1);
    &selector[..at]
}

/// Refuses a new version whose entry would change shape in ways this editor does not write.
fn check_shape(major: u32, entry: &Value<'_>, to: &VersionManifest) -> Result<(), String> {
    let has = |k: &str| entry.get(k).is_some();
    let problem = if has("peerDependencies") || !to.peer_dependencies.is_empty() {
        Some("peer dependencies")
    } else if has("transitivePeerDependencies") {
        Some("transitive peer dependencies")
    } else if has("cpu") || has("os") || to.cpu.is_some() || to.os.is_some() {
        Some("`cpu` / `os`")
    } else if has("deprecated") || to.deprecated.is_some() {
        Some("a deprecation")
    } else if has("bundledDependencies") || !to.bundle_dependencies.is_empty() {
        Some("bundled dependencies")
    } else if entry.get("hasBin").is_some_and(Value::is_true) != to.bin.is_some() {
        Some("a `hasBin` that appears or vanishes")
    } else if major != 9 && has("requiresBuild") && !to.has_install_script {
        Some("a `requiresBuild` that vanishes")
    } else if major != 9 && !has("requiresBuild") && to.has_install_script {
        Some("a `requiresBuild` that appears")
    } else if entry
        .get("resolution")
        .is_some_and(|r| r.entries().iter().any(|f| f.key != "integrity"))
    {
        Some("a resolution other than the registry's integrity")
    } else {
        None
    };
    match problem {
        Some(what) => Err(format!(
            "the entry involves {what}, which nanoup does not write; pnpm must update it"
        )),
        None => Ok(()),
    }
}

/// `(name, version)` of a package or snapshot key, its peer suffix left out.
fn split_key(major: u32, key: &str) -> Option<(&str, &str)> {
    let (name, version) = split_key_suffixed(major, key)?;
    let version = if major == 5 {
        version.split('_').next()?
    } else {
        version.split('(').next()?
    };
    Some((name, version))
}

/// `(name, version with its peer suffix)` of a package or snapshot key (a 5.x suffix holds no
/// `/`: scoped peers are written `@s+n`).
fn split_key_suffixed(major: u32, key: &str) -> Option<(&str, &str)> {
    let key = key.trim_matches(['\'', '"']);
    if major == 5 {
        return key.strip_prefix('/')?.rsplit_once('/');
    }
    let key = key.strip_prefix('/').unwrap_or(key);
    let plain_end = key.find('(').unwrap_or(key.len());
    let at = key.get(1..plain_end)?.rfind('@')? + 1;
    Some((&key[..at], &key[at + 1..]))
}

/// Whether a key carries a peer suffix (`_...` in 5.x, `(...)` in 6.x/9.x).
fn has_peer_suffix(major: u32, key: &str) -> bool {
    split_key_suffixed(major, key)
        .zip(split_key(major, key))
        .is_some_and(|((_, full), (_, plain))| full.len() != plain.len())
}

/// Every version the lockfile holds per package name (`keys` without peer suffixes: the
/// packages, or 9.x's snapshots, which references name), ascending.
type Held = BTreeMap<String, Vec<(Version, String)>>;

fn held_versions(major: u32, keys: &[Node<'_>]) -> Held {
    let mut held = Held::new();
    for n in keys {
        if has_peer_suffix(major, &n.key) {
            continue;
        }
        if let Some((name, version)) = split_key(major, &n.key)
            && let Ok(parsed) = Version::parse(Scheme::Npm, version)
        {
            held.entry(name.to_string())
                .or_default()
                .push((parsed, version.to_string()));
        }
    }
    for versions in held.values_mut() {
        versions.sort();
    }
    held
}

/// `key: from` (or `version: from`) with the value set to `to`, the rest of the line kept.
fn retarget(line: &str, from: &str, to: &str) -> Result<String, String> {
    let colon = line
        .find(": ")
        .ok_or_else(|| format!("unexpected line {line:?}"))?;
    let (head, value) = line.split_at(colon + 2);
    let trimmed = value.trim_end();
    let unquoted = trimmed.trim_matches(['\'', '"']);
    if unquoted != from {
        return Err(format!("unexpected line {line:?}"));
    }
    Ok(format!(
        "{head}{}{}",
        trimmed.replacen(from, to, 1),
        &value[trimmed.len()..]
    ))
}

/// A dependency section of an entry: its name and (dependency, resolved version) lines.
type Section<'a> = (&'a str, Vec<(String, String)>);

/// 0-based index of a 1-based line.
fn line_index(line: u32) -> usize {
    (line as usize).saturating_sub(1)
}

fn first_line_of(nodes: &[Node<'_>]) -> usize {
    nodes.first().map_or(usize::MAX, |n| line_index(n.line))
}

/// The lines of the entry whose key is on `line`: up to the next blank line or key as shallow.
fn block_of(lines: &[&str], line: u32) -> std::ops::Range<usize> {
    let start = line_index(line);
    let indent = |l: &str| l.len() - l.trim_start().len();
    let own = indent(lines[start]);
    let mut end = start + 1;
    while end < lines.len() && !lines[end].trim().is_empty() && indent(lines[end]) > own {
        end += 1;
    }
    start..end
}

/// The entry `block` rewritten for the new version: its key, its integrity (when given), its
/// `engines`, and (when given) its dependency sections; the other fields kept in place.
fn rebuild(
    block: &[&str],
    key: &str,
    integrity: Option<&str>,
    to: &VersionManifest,
    sections: Option<&[Section<'_>]>,
) -> Result<String, String> {
    let newline = if block[0].ends_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    // The file's last line may lack its line ending: every line of the block gets one.
    let owned: Vec<String> = block
        .iter()
        .map(|l| {
            if l.ends_with('\n') {
                l.to_string()
            } else {
                format!("{l}{newline}")
            }
        })
        .collect();
    let block: Vec<&str> = owned.iter().map(String::as_str).collect();
    let block = block.as_slice();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let own = indent(block[0]);
    let field = own + 2;
    let pad = " ".repeat(field);
    let mut out = format!("{}{key}:{newline}", " ".repeat(own));
    let engines = to.engines.as_ref().and_then(render_flow_map);
    let mut wrote_sections = false;
    let mut i = 1;
    let write_sections = |out: &mut String| {
        for (section, deps) in sections.unwrap_or_default() {
            if deps.is_empty() {
                continue;
            }
            out.push_str(&format!("{pad}{section}:{newline}"));
            for (dep, version) in deps {
                let dep = if dep.starts_with('@') {
                    format!("'{dep}'")
                } else {
                    dep.clone()
                };
                out.push_str(&format!("{pad}  {dep}: {version}{newline}"));
            }
        }
    };
    let mut engines_done = false;
    while i < block.len() {
        let line = block[i];
        let name = line.trim_start().split(':').next().unwrap_or("");
        let mut end = i + 1;
        while end < block.len() && indent(block[end]) > field {
            end += 1;
        }
        match name {
            "resolution" => {
                match integrity {
                    Some(integrity) => out.push_str(&format!(
                        "{pad}resolution: {{integrity: {integrity}}}{newline}"
                    )),
                    None => block[i..end].iter().for_each(|l| out.push_str(l)),
                }
                if integrity.is_some()
                    && !block.iter().any(|l| l.trim_start().starts_with("engines:"))
                {
                    if let Some(engines) = &engines {
                        out.push_str(&format!("{pad}engines: {engines}{newline}"));
                    }
                    engines_done = true;
                }
            }
            "engines" => {
                if let Some(engines) = &engines {
                    out.push_str(&format!("{pad}engines: {engines}{newline}"));
                } else if to.engines.is_some() {
                    return Err("the new `engines` cannot be written as pnpm writes it".into());
                }
                engines_done = true;
            }
            "dependencies" | "optionalDependencies" if sections.is_some() => {
                if !wrote_sections {
                    write_sections(&mut out);
                    wrote_sections = true;
                }
            }
            _ => {
                if sections.is_some()
                    && !wrote_sections
                    && matches!(name, "dev" | "optional" | "transitivePeerDependencies")
                {
                    write_sections(&mut out);
                    wrote_sections = true;
                }
                block[i..end].iter().for_each(|l| out.push_str(l));
            }
        }
        i = end;
    }
    if sections.is_some() && !wrote_sections {
        write_sections(&mut out);
    }
    if integrity.is_some() && !engines_done && engines.is_some() {
        return Err("the new `engines` has no place in the entry".into());
    }
    // An entry with no field at all is written `key: {}`, as pnpm writes an empty snapshot.
    let header = format!("{}{key}:{newline}", " ".repeat(own));
    if out == header {
        return Ok(format!("{}{key}: {{}}{newline}", " ".repeat(own)));
    }
    Ok(out)
}

/// A JSON object of strings as pnpm writes a one-line flow map (`{node: '>=6.0'}`), or `None`
/// when a value needs quoting this writer does not know.
fn render_flow_map(value: &serde_json::Value) -> Option<String> {
    let map = value.as_object()?;
    let mut parts = Vec::new();
    for (k, v) in map {
        let v = v.as_str()?;
        // As js-yaml quotes a plain scalar: an indicator first, a look-alike of another type
        // (a number, a boolean, null), or a character a flow map cannot hold.
        let looks_typed = v.parse::<f64>().is_ok()
            || matches!(
                v.to_ascii_lowercase().as_str(),
                "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off"
            );
        let needs_quotes = v.is_empty()
            || looks_typed
            || v.starts_with([
                '>', '*', '&', '!', '%', '@', '`', '"', '#', '?', '|', '-', ':', '=',
            ])
            || v.contains(": ")
            || v.contains(" #")
            || v.contains([',', '[', ']', '{', '}'])
            || v.ends_with(' ');
        if v.contains('\'') {
            return None;
        }
        parts.push(if needs_quotes {
            format!("{k}: '{v}'")
        } else {
            format!("{k}: {v}")
        });
    }
    Some(format!("{{{}}}", parts.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::npm::registry::{dependency_ranges, version_manifest};
    use crate::testutil::{corpus, npm_release as release};

    /// dep-t 1.0.0 used by the project (^1.0.0), by dep-a 1.0.0 and by dep-b 2.0.0.
    const V9: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      dep-a:
        specifier: ^1.0.0
        version: 1.0.0
      dep-b:
        specifier: ^2.0.0
        version: 2.0.0
      dep-t:
        specifier: ^1.0.0
        version: 1.0.0

packages:

  dep-a@1.0.0:
    resolution: {integrity: sha512-a}

  dep-b@2.0.0:
    resolution: {integrity: sha512-b}

  dep-t@1.0.0:
    resolution: {integrity: sha512-old}
    engines: {node: '>=8'}

  leaf@1.2.0:
    resolution: {integrity: sha512-leaf}

snapshots:

  dep-a@1.0.0:
    dependencies:
      dep-t: 1.0.0

  dep-b@2.0.0:
    dependencies:
      dep-t: 1.0.0
      leaf: 1.2.0

  dep-t@1.0.0: {}

  leaf@1.2.0: {}
";

    fn ranges(dependent: &str, _: &str) -> Option<String> {
        match dependent {
            "dep-a" => Some("^1.0.0".into()),
            "dep-b" => Some("~1.0.0".into()),
            _ => None,
        }
    }

    #[test]
    fn v9_moves_the_entry_and_every_dependent() {
        let mut to = release("dep-t", "1.0.5", &[("leaf", "^1.0.0")]);
        to.engines = Some(serde_json::json!({"node": ">=10"}));
        let edit = plan_pnpm_edit(V9, "dep-t", "1.0.0", &to, &ranges).unwrap();
        assert_eq!(edit.dependents, 3, "dep-a, dep-b and the project");
        let expected = V9
            .replace("        version: 1.0.0\n\npackages", "        version: 1.0.5\n\npackages")
            .replace(
                "  dep-t@1.0.0:\n    resolution: {integrity: sha512-old}\n    engines: {node: '>=8'}",
                "  dep-t@1.0.5:\n    resolution: {integrity: sha512-dep-t1.0.5}\n    engines: {node: '>=10'}",
            )
            .replace("      dep-t: 1.0.0\n", "      dep-t: 1.0.5\n")
            .replace(
                "  dep-t@1.0.0: {}\n",
                "  dep-t@1.0.5:\n    dependencies:\n      leaf: 1.2.0\n",
            );
        assert_eq!(edit.new_text, expected);
        assert_eq!(
            edit.changed,
            vec![EntryChange {
                name: "dep-t".into(),
                from: Some("1.0.0".into()),
                to: Some("1.0.5".into()),
                path: None,
            }]
        );
    }

    #[test]
    fn refusals_say_why() {
        // dep-b asks for ~1.0.0: 1.1.0 is rejected.
        let err = plan_pnpm_edit(
            V9,
            "dep-t",
            "1.0.0",
            &release("dep-t", "1.1.0", &[]),
            &ranges,
        )
        .unwrap_err();
        assert!(
            err.contains("dep-b@2.0.0 asks for dep-t \"~1.0.0\""),
            "{err}"
        );
        // A dependency the lockfile does not hold: pnpm must add it.
        let to = release("dep-t", "1.0.5", &[("fresh", "^1.0.0")]);
        let err = plan_pnpm_edit(V9, "dep-t", "1.0.0", &to, &ranges).unwrap_err();
        assert!(err.contains("needs fresh ^1.0.0"), "{err}");
        // A range nobody can tell.
        let err = plan_pnpm_edit(
            V9,
            "dep-t",
            "1.0.0",
            &release("dep-t", "1.0.5", &[]),
            &|_, _| None,
        )
        .unwrap_err();
        assert!(err.contains("does not say which range"), "{err}");
        // Not in the file.
        assert!(
            plan_pnpm_edit(
                V9,
                "dep-t",
                "0.9.0",
                &release("dep-t", "1.0.5", &[]),
                &ranges
            )
            .is_err()
        );
    }

    #[test]
    fn aliases_peers_and_dropped_dependencies_are_refused() {
        // dep-a installs dep-t 1.0.0 under an alias: the alias would point at nothing.
        let aliased = V9.replace(
            "  dep-a@1.0.0:\n    dependencies:\n      dep-t: 1.0.0\n",
            "  dep-a@1.0.0:\n    dependencies:\n      dep-t: 1.0.0\n      other-t: dep-t@1.0.0\n",
        );
        let to = release("dep-t", "1.0.5", &[]);
        let err = plan_pnpm_edit(&aliased, "dep-t", "1.0.0", &to, &ranges).unwrap_err();
        assert!(err.contains("under the alias other-t"), "{err}");
        // dep-b's snapshot resolved with a peer suffix.
        let peered = V9.replace(
            "  dep-b@2.0.0:\n    dependencies:",
            "  dep-b@2.0.0(x@1.0.0):\n    dependencies:",
        );
        let err = plan_pnpm_edit(&peered, "dep-t", "1.0.0", &to, &ranges).unwrap_err();
        assert!(err.contains("with peers"), "{err}");
        // The old version's dependency dropped by the new one: pnpm would prune it.
        let with_leaf = V9.replace(
            "  dep-t@1.0.0: {}\n",
            "  dep-t@1.0.0:\n    dependencies:\n      leaf: 1.2.0\n",
        );
        let err = plan_pnpm_edit(&with_leaf, "dep-t", "1.0.0", &to, &ranges).unwrap_err();
        assert!(err.contains("no longer depends on leaf"), "{err}");
    }

    #[test]
    fn an_overridden_package_is_left_to_pnpm() {
        for selector in ["dep-t", "dep-t@<2", "dep-a>dep-t"] {
            let text = V9.replace(
                "settings:\n",
                &format!("overrides:\n  '{selector}': 1.0.0\n\nsettings:\n"),
            );
            let err = plan_pnpm_edit(
                &text,
                "dep-t",
                "1.0.0",
                &release("dep-t", "1.0.5", &[]),
                &ranges,
            )
            .unwrap_err();
            assert!(err.contains("overrides"), "{selector}: {err}");
        }
        assert_eq!(split_name_range("@s/foo@1"), "@s/foo");
    }

    #[test]
    fn keys_and_values_are_read_and_written_as_pnpm_does() {
        assert_eq!(
            split_key(5, "/string_decoder/1.1.1"),
            Some(("string_decoder", "1.1.1"))
        );
        assert_eq!(
            split_key(5, "/@babel/plugin-x/7.8.4_@babel+core@7.16.0"),
            Some(("@babel/plugin-x", "7.8.4"))
        );
        assert!(has_peer_suffix(
            5,
            "/@typescript-eslint/parser/5.23.0_td6yqss6ra3qoebludh4ctrhym"
        ));
        assert!(!has_peer_suffix(5, "/string_decoder/1.1.1"));
        assert_eq!(
            split_key(9, "'@s/a@1.0.0(b@2.0.0)'"),
            Some(("@s/a", "1.0.0"))
        );
        assert!(has_peer_suffix(6, "/a@1.0.0(b@2.0.0)"));
        let flow = |v: serde_json::Value| render_flow_map(&v).unwrap();
        assert_eq!(
            flow(serde_json::json!({"node": ">=6.0"})),
            "{node: '>=6.0'}"
        );
        assert_eq!(flow(serde_json::json!({"node": "8"})), "{node: '8'}");
        assert_eq!(flow(serde_json::json!({"node": "<=16"})), "{node: <=16}");
        assert_eq!(
            flow(serde_json::json!({"node": "^10 || ^12 || >=14"})),
            "{node: ^10 || ^12 || >=14}"
        );
    }

    #[test]
    fn the_only_entry_of_a_section_is_rewritten_where_it_stands() {
        let text = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      dep-t:\n        specifier: ^1.0.0\n        version: 1.0.0\n\npackages:\n\n  dep-t@1.0.0:\n    resolution: {integrity: sha512-old}\n\nsnapshots:\n\n  dep-t@1.0.0: {}\n";
        let edit = plan_pnpm_edit(
            text,
            "dep-t",
            "1.0.0",
            &release("dep-t", "1.0.5", &[]),
            &ranges,
        )
        .unwrap();
        assert_eq!(
            edit.new_text,
            text.replace("version: 1.0.0", "version: 1.0.5")
                .replace(
                    "dep-t@1.0.0:\n    resolution: {integrity: sha512-old}",
                    "dep-t@1.0.5:\n    resolution: {integrity: sha512-dep-t1.0.5}"
                )
                .replace("dep-t@1.0.0: {}", "dep-t@1.0.5: {}")
        );
    }

    #[test]
    fn a_renamed_entry_moves_to_its_sorted_place() {
        // v6 keys: /dep-t@1.9.0 -> /dep-t@1.10.0 sorts before /dep-t@1.5.0.
        let text = "lockfileVersion: '6.0'

dependencies:
  dep-t:
    specifier: ^1.0.0
    version: 1.9.0

packages:

  /dep-t@1.5.0:
    resolution: {integrity: sha512-x}
    dev: false

  /dep-t@1.9.0:
    resolution: {integrity: sha512-y}
    dev: false
";
        let edit = plan_pnpm_edit(
            text,
            "dep-t",
            "1.9.0",
            &release("dep-t", "1.10.0", &[]),
            &ranges,
        )
        .unwrap();
        assert_eq!(
            edit.new_text,
            "lockfileVersion: '6.0'

dependencies:
  dep-t:
    specifier: ^1.0.0
    version: 1.10.0

packages:

  /dep-t@1.10.0:
    resolution: {integrity: sha512-dep-t1.10.0}
    dev: false

  /dep-t@1.5.0:
    resolution: {integrity: sha512-x}
    dev: false
"
        );
    }

    #[test]
    fn vue_lockfile_5_4_ms_is_refused_because_debug_pins_it() {
        // The real vue lockfile (5.4): debug 4.3.1 and 4.3.3 resolve ms 2.1.2, and the
        // registry's debug 4.3.1 asks for exactly "2.1.2".
        let text =
            std::fs::read_to_string(corpus().join("npm/vuejs__core__6f663d47e5/pnpm-lock.yaml"))
                .unwrap();
        let debug = std::fs::read(
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/registry/npm/debug.json"),
        )
        .unwrap();
        let debug_ranges = dependency_ranges("debug", &debug).unwrap();
        let range = |dependent: &str, version: &str| -> Option<String> {
            (dependent == "debug").then(|| {
                debug_ranges
                    .get(version)?
                    .iter()
                    .find(|(d, _)| d == "ms")
                    .map(|(_, r)| r.clone())
            })?
        };
        let ms = std::fs::read(
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/registry/npm/ms.json"),
        )
        .unwrap();
        let to = version_manifest("ms", &ms, "2.1.3").unwrap();
        let err = plan_pnpm_edit(&text, "ms", "2.1.2", &to, &range).unwrap_err();
        assert!(err.contains("debug@4.3.1 asks for ms \"2.1.2\""), "{err}");
    }
}
