//! Manifest changes in `pyproject.toml`: the requirement on one package widened so that it
//! accepts a fixed version, every other byte kept (toml_edit), and Poetry's `content-hash` of
//! the dependency tables, so that the edited poetry.lock is one Poetry accepts as current.
//!
//! Where a requirement can be: `[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]`,
//! `[tool.poetry.group.*.dependencies]` (a constraint string, or a table's `version`), and the
//! PEP 508 strings of `[project] dependencies`, `[project.optional-dependencies]`, PEP 735
//! `[dependency-groups]` and `[tool.uv] dev-dependencies`. The new
//! requirement keeps the old one's kind: an exact pin stays exact (`==TO`), a caret or tilde
//! keeps its operator (`^TO`, `~TO`, `~=TO`), any other range becomes `^TO` (Poetry) or `>=TO`
//! (PEP 508; `>=TO,<NEXT-MAJOR` when the old range had an upper bound).

use toml_edit::{DocumentMut, Item, Value};

use super::pep508::{self, Parsed};
use nanoup_core::normalize_pypi_name;

/// The result of [`set_requirement`]: the new text and each requirement changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequirementChange {
    /// The whole new pyproject.toml.
    pub text: String,
    /// Each requirement changed: (where, old, new), e.g. (`[tool.poetry.dependencies]`,
    /// `^2.2`, `^3.1.3`).
    pub changes: Vec<(String, String, String)>,
}

/// Sets every requirement `pyproject.toml` (`text`) states on `name` to one accepting `to`.
/// An error when it states none, or one nanoup cannot rewrite (a URL, a path, git).
pub fn set_requirement(text: &str, name: &str, to: &str) -> Result<RequirementChange, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("pyproject.toml is not valid TOML: {e}"))?;
    let wanted = normalize_pypi_name(name);
    let mut changes = Vec::new();
    // Poetry's tables.
    let mut tables: Vec<(String, Vec<&str>)> = vec![
        (
            "[tool.poetry.dependencies]".into(),
            vec!["tool", "poetry", "dependencies"],
        ),
        (
            "[tool.poetry.dev-dependencies]".into(),
            vec!["tool", "poetry", "dev-dependencies"],
        ),
    ];
    let groups: Vec<String> = doc
        .get("tool")
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("group"))
        .and_then(Item::as_table_like)
        .map(|g| g.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    let group_paths: Vec<(String, [String; 5])> = groups
        .iter()
        .map(|g| {
            (
                format!("[tool.poetry.group.{g}.dependencies]"),
                [
                    "tool".into(),
                    "poetry".into(),
                    "group".into(),
                    g.clone(),
                    "dependencies".into(),
                ],
            )
        })
        .collect();
    for (place, path) in &group_paths {
        tables.push((place.clone(), path.iter().map(String::as_str).collect()));
    }
    for (place, path) in &tables {
        let Some(table) = item_at(doc.as_item_mut(), path).and_then(Item::as_table_like_mut) else {
            continue;
        };
        let keys: Vec<String> = table
            .iter()
            .map(|(k, _)| k.to_string())
            .filter(|k| normalize_pypi_name(k) == wanted)
            .collect();
        for key in keys {
            let Some(item) = table.get_mut(&key) else {
                continue;
            };
            let slot = match item {
                Item::Value(Value::InlineTable(t)) => t.get_mut("version"),
                Item::Table(t) => t.get_mut("version").and_then(Item::as_value_mut),
                Item::Value(v) => Some(v),
                _ => None,
            };
            let Some(slot) = slot else {
                return Err(format!(
                    "{place} {key} names no version (a path, a URL or git): change it by hand"
                ));
            };
            let Some(old) = slot.as_str().map(str::to_string) else {
                return Err(format!("{place} {key}: the version is not a string"));
            };
            let new = poetry_constraint(&old, to);
            replace_string(slot, &new);
            changes.push((place.clone(), old, new));
        }
    }
    // PEP 621's lists.
    let mut lists: Vec<(String, Vec<String>)> = vec![(
        "[project] dependencies".into(),
        vec!["project".into(), "dependencies".into()],
    )];
    let extras: Vec<String> = doc
        .get("project")
        .and_then(|p| p.get("optional-dependencies"))
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    for extra in extras {
        lists.push((
            format!("[project.optional-dependencies] {extra}"),
            vec!["project".into(), "optional-dependencies".into(), extra],
        ));
    }
    // PEP 735 groups and uv's dev-dependencies hold PEP 508 strings too.
    let dependency_groups: Vec<String> = doc
        .get("dependency-groups")
        .and_then(Item::as_table_like)
        .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default();
    for group in dependency_groups {
        lists.push((
            format!("[dependency-groups] {group}"),
            vec!["dependency-groups".into(), group],
        ));
    }
    lists.push((
        "[tool.uv] dev-dependencies".into(),
        vec!["tool".into(), "uv".into(), "dev-dependencies".into()],
    ));
    for (place, path) in &lists {
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let Some(array) = item_at(doc.as_item_mut(), &path).and_then(Item::as_array_mut) else {
            continue;
        };
        for value in array.iter_mut() {
            let Some(old) = value.as_str().map(str::to_string) else {
                continue;
            };
            let Ok(Parsed::Requirement(requirement)) = pep508::parse(&old) else {
                continue;
            };
            if normalize_pypi_name(&requirement.name) != wanted {
                continue;
            }
            if requirement.url.is_some() {
                return Err(format!(
                    "{place}: {old:?} names a URL, not versions: change it by hand"
                ));
            }
            let mut new = requirement.name.clone();
            if !requirement.extras.is_empty() {
                new.push_str(&format!("[{}]", requirement.extras.join(",")));
            }
            new.push_str(&pep508_specifier(&requirement.specifier, to));
            if let Some(marker) = &requirement.marker {
                new.push_str(&format!("; {marker}"));
            }
            replace_string(value, &new);
            changes.push((place.clone(), old, new));
        }
    }
    if changes.is_empty() {
        return Err(format!(
            "pyproject.toml states no requirement on {name} that nanoup can change"
        ));
    }
    Ok(RequirementChange {
        text: doc.to_string(),
        changes,
    })
}

/// The item at `path` (table keys), if every step exists.
fn item_at<'d>(item: &'d mut Item, path: &[&str]) -> Option<&'d mut Item> {
    path.iter()
        .try_fold(item, |item, key| item.as_table_like_mut()?.get_mut(key))
}

/// `value`'s string replaced by `new`, its surrounding whitespace and comments kept.
fn replace_string(value: &mut Value, new: &str) {
    let decor = value.decor().clone();
    *value = Value::from(new);
    *value.decor_mut() = decor;
}

/// A Poetry constraint of the old one's kind that accepts `to`.
fn poetry_constraint(old: &str, to: &str) -> String {
    let old = old.trim();
    let exact = old.strip_prefix("==").unwrap_or(old);
    if exact.chars().next().is_some_and(|c| c.is_ascii_digit())
        && exact.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
    {
        return if old.starts_with("==") {
            format!("=={to}")
        } else {
            to.to_string()
        };
    }
    for operator in ["~=", "^", "~"] {
        if old.starts_with(operator) && !old.contains(',') {
            return format!("{operator}{to}");
        }
    }
    format!("^{to}")
}

/// A PEP 508 specifier of the old one's kind that accepts `to`.
fn pep508_specifier(old: &str, to: &str) -> String {
    let old = old.trim();
    if old.starts_with("==") && !old.contains(',') {
        return format!("=={to}");
    }
    if old.starts_with("~=") && !old.contains(',') {
        return format!("~={to}");
    }
    if old.contains('<') {
        let major: u64 = to
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        return format!(">={to},<{}", major + 1);
    }
    format!(">={to}")
}

// --- Poetry's content-hash ---------------------------------------------------------------------

/// The `content-hash` a poetry.lock records (in `[metadata]`), if any.
pub fn lock_content_hash(lock_text: &str) -> Option<String> {
    let doc: DocumentMut = lock_text.parse().ok()?;
    doc.get("metadata")?
        .get("content-hash")?
        .as_str()
        .map(str::to_string)
}

/// `lock_text` with `[metadata] content-hash` set to `hash`, every other byte kept.
pub fn with_content_hash(lock_text: &str, hash: &str) -> Result<String, String> {
    let old = lock_content_hash(lock_text)
        .ok_or_else(|| "poetry.lock has no `[metadata] content-hash`".to_string())?;
    let (from, to) = (
        format!("content-hash = \"{old}\""),
        format!("content-hash = \"{hash}\""),
    );
    if lock_text.matches(&from).count() != 1 {
        return Err("poetry.lock's content-hash is not written as Poetry writes it".into());
    }
    Ok(lock_text.replacen(&from, &to, 1))
}

/// The content-hash Poetry computes for `pyproject.toml` (`text`): the SHA-256 of the JSON
/// (Python's `json.dumps(..., sort_keys=True)`) of its dependency tables. `poetry2`: Poetry
/// 2's rule, which also hashes `[project]`'s `requires-python`, `dependencies` and
/// `optional-dependencies` when present; else Poetry 1's (the `[tool.poetry]` tables alone).
pub fn poetry_content_hash(text: &str, poetry2: bool) -> Result<String, String> {
    use sha2::Digest;
    let doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("pyproject.toml is not valid TOML: {e}"))?;
    const LEGACY: [&str; 4] = ["dependencies", "source", "extras", "dev-dependencies"];
    let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
    let project = doc.get("project");
    let mut project_content: Vec<(String, String)> = Vec::new();
    if poetry2 {
        for key in ["requires-python", "dependencies", "optional-dependencies"] {
            if let Some(item) = project.and_then(|p| p.get(key)) {
                project_content.push((key.to_string(), python_json_item(item)?));
            }
        }
    }
    let mut poetry_content: Vec<(String, String)> = Vec::new();
    for key in LEGACY.iter().chain(&["group"]) {
        match poetry.and_then(|p| p.get(key)) {
            Some(item) => poetry_content.push((key.to_string(), python_json_item(item)?)),
            None if LEGACY.contains(key) && project_content.is_empty() => {
                poetry_content.push((key.to_string(), "null".to_string()))
            }
            None => {}
        }
    }
    let json = if project_content.is_empty() {
        python_json_object(poetry_content)
    } else {
        python_json_object(vec![
            ("project".into(), python_json_object(project_content)),
            (
                "tool".into(),
                python_json_object(vec![("poetry".into(), python_json_object(poetry_content))]),
            ),
        ])
    };
    Ok(hex(&sha2::Sha256::digest(json.as_bytes())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON object as Python's `json.dumps(sort_keys=True)` writes it, from serialised members.
fn python_json_object(mut members: Vec<(String, String)>) -> String {
    members.sort_by(|a, b| a.0.cmp(&b.0));
    let inner: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}: {v}", python_json_string(k)))
        .collect();
    format!("{{{}}}", inner.join(", "))
}

fn python_json_item(item: &Item) -> Result<String, String> {
    match item {
        Item::None => Ok("null".into()),
        Item::Value(value) => python_json_value(value),
        Item::Table(table) => Ok(python_json_object(
            table
                .iter()
                .map(|(k, v)| Ok((k.to_string(), python_json_item(v)?)))
                .collect::<Result<_, String>>()?,
        )),
        Item::ArrayOfTables(tables) => {
            let items: Vec<String> = tables
                .iter()
                .map(|t| python_json_item(&Item::Table(t.clone())))
                .collect::<Result<_, _>>()?;
            Ok(format!("[{}]", items.join(", ")))
        }
    }
}

fn python_json_value(value: &Value) -> Result<String, String> {
    Ok(match value {
        Value::String(s) => python_json_string(s.value()),
        Value::Integer(i) => i.value().to_string(),
        Value::Float(f) => {
            let f = *f.value();
            if f.fract() == 0.0 && f.abs() < 1e16 {
                format!("{f:.1}")
            } else {
                format!("{f}")
            }
        }
        Value::Boolean(b) => b.value().to_string(),
        Value::Datetime(_) => {
            return Err("a date in the dependency tables (Poetry cannot hash it either)".into());
        }
        Value::Array(array) => {
            let items: Vec<String> = array
                .iter()
                .map(python_json_value)
                .collect::<Result<_, _>>()?;
            format!("[{}]", items.join(", "))
        }
        Value::InlineTable(table) => python_json_object(
            table
                .iter()
                .map(|(k, v)| Ok((k.to_string(), python_json_value(v)?)))
                .collect::<Result<_, String>>()?,
        ),
    })
}

/// A string as Python's `json.dumps` (ASCII only) writes it.
fn python_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALEOR: &str = "python/saleor__saleor__98ebf96d65";

    fn corpus(path: &str) -> String {
        std::fs::read_to_string(crate::testutil::corpus().join(path)).unwrap()
    }

    #[test]
    fn poetrys_content_hash_of_a_real_project_matches_its_lock() {
        let pyproject = corpus(&format!("{SALEOR}/pyproject.toml"));
        let lock = corpus(&format!("{SALEOR}/poetry.lock"));
        let recorded = lock_content_hash(&lock).unwrap();
        assert_eq!(poetry_content_hash(&pyproject, false).unwrap(), recorded);
        // Without a [project] table Poetry 2 hashes the same tables.
        assert_eq!(poetry_content_hash(&pyproject, true).unwrap(), recorded);
        // Any change to a dependency changes it.
        let edited = set_requirement(&pyproject, "Django", "3.2.25").unwrap();
        assert_ne!(poetry_content_hash(&edited.text, false).unwrap(), recorded);
        let relocked = with_content_hash(&lock, "0".repeat(64).as_str()).unwrap();
        assert_eq!(lock_content_hash(&relocked), Some("0".repeat(64)));
        assert_eq!(
            relocked.lines().filter(|l| !lock.contains(l)).count(),
            1,
            "only the content-hash line changes"
        );
    }

    #[test]
    fn poetry2_hashes_the_project_table_too() {
        // The JSON Poetry 2 hashes here (Python's json.dumps, sort_keys=True), and its SHA-256,
        // computed with Poetry 2's `Locker._get_content_hash` rule in Python:
        // {"project": {"dependencies": ["requests>=2.31,<3", "caf\u00e9-lib==1.0 ; ..."], ...
        let text = "[project]\nname = \"demo\"\nrequires-python = \">=3.9\"\ndependencies = [\"requests>=2.31,<3\", \"caf\u{e9}-lib==1.0 ; python_version < '3.12'\"]\n\n[project.optional-dependencies]\nsocks = [\"PySocks>=1.5\"]\n\n[tool.poetry.group.dev.dependencies]\npytest = \"^8.0\"\n";
        assert_eq!(
            poetry_content_hash(text, true).unwrap(),
            "98c50a229d985306a76cff965760b86441501e86dc3e06cd5f66725b500a27f3"
        );
        // Poetry 1 ignores [project]: only the legacy keys, as null here, and the group.
        assert_ne!(
            poetry_content_hash(text, false).unwrap(),
            poetry_content_hash(text, true).unwrap()
        );
    }

    #[test]
    fn a_requirement_is_widened_in_place_of_its_kind() {
        let pyproject = corpus(&format!("{SALEOR}/pyproject.toml"));
        let edited = set_requirement(&pyproject, "django", "3.2.25").unwrap();
        assert_eq!(
            edited.changes,
            [(
                "[tool.poetry.dependencies]".to_string(),
                "^3.0.7".to_string(),
                "^3.2.25".to_string()
            )]
        );
        let differing: Vec<(&str, &str)> = pyproject
            .lines()
            .zip(edited.text.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(differing, [("django = \"^3.0.7\"", "django = \"^3.2.25\"")]);
        // A table with extras keeps them; a range with a bound becomes a caret.
        let storages = set_requirement(&pyproject, "django-storages", "1.14.4").unwrap();
        assert!(
            storages
                .text
                .contains("django-storages = { version = \"^1.14.4\", extras = [ \"google\" ] }")
        );
        let phone = set_requirement(&pyproject, "django-phonenumber-field", "7.0.0").unwrap();
        assert!(phone.text.contains("django-phonenumber-field = \"^7.0.0\""));
        assert!(set_requirement(&pyproject, "not-a-dependency", "1.0").is_err());
    }

    #[test]
    fn pep508_requirements_keep_name_extras_and_markers() {
        let text = "[project]\nname = \"demo\"\ndependencies = [\n    \"Requests[socks]>=2.0,<3 ; python_version >= '3.8'\",  # http\n    \"flask==2.2.5\",\n    \"six\",\n]\n";
        let edited = set_requirement(text, "requests", "3.1.0").unwrap();
        assert!(
            edited
                .text
                .contains("    \"Requests[socks]>=3.1.0,<4; python_version >= '3.8'\",  # http\n"),
            "{}",
            edited.text
        );
        let flask = set_requirement(text, "Flask", "2.3.3").unwrap();
        assert!(flask.text.contains("\"flask==2.3.3\""));
        let six = set_requirement(text, "six", "1.17.0").unwrap();
        assert!(six.text.contains("\"six>=1.17.0\""));
        assert!(set_requirement("[project\n", "six", "1.0").is_err());
        // Dependency groups and uv's dev-dependencies (fastapi's template pins pytest there).
        let text = "[dependency-groups]\ntest = [\"pytest<8.0.0,>=7.4.3\"]\n\n[tool.uv]\ndev-dependencies = [\n    \"pytest<8.0.0,>=7.4.3\",\n    \"mypy<2.0.0,>=1.8.0\",\n]\n";
        let edited = set_requirement(text, "pytest", "9.0.3").unwrap();
        assert_eq!(edited.changes.len(), 2, "{:?}", edited.changes);
        assert_eq!(
            edited.text,
            text.replace("pytest<8.0.0,>=7.4.3", "pytest>=9.0.3,<10")
        );
    }
}
