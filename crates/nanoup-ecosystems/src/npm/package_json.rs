//! `package.json`: the declared dependencies (with their scope and line) and workspace globs.

use nanoup_core::{LineIndex, ParseError, Scope};
use serde::Deserialize;
use serde_json::Value;

use super::json::{self, Entries};

/// The parts of a `package.json` that matter for an inventory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageJson {
    /// The package's own name, when it has one.
    pub name: Option<String>,
    /// The package's own version, when it has one.
    pub version: Option<String>,
    /// Every declared dependency, in file order, section by section.
    pub dependencies: Vec<Declared>,
    /// The workspace globs (`workspaces` as an array, or its `packages` array).
    pub workspaces: Vec<String>,
}

/// One dependency a manifest declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The name as declared (an alias's local name for `npm:` specifiers).
    pub name: String,
    /// The specifier: a range, a tag, `npm:real@range`, a git or file URL...
    pub requirement: String,
    /// `dependencies` and `peerDependencies` are prod, `optionalDependencies` optional,
    /// `devDependencies` dev.
    pub scope: Scope,
    /// The section it is declared in, e.g. `devDependencies`.
    pub section: &'static str,
    /// The 1-based line of its key.
    pub line: u32,
}

#[derive(Deserialize)]
struct RawPackageJson<'a> {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    version: Option<Value>,
    #[serde(default, borrow)]
    dependencies: Option<Entries<'a, Value>>,
    #[serde(default, borrow, rename = "devDependencies")]
    dev_dependencies: Option<Entries<'a, Value>>,
    #[serde(default, borrow, rename = "optionalDependencies")]
    optional_dependencies: Option<Entries<'a, Value>>,
    #[serde(default, borrow, rename = "peerDependencies")]
    peer_dependencies: Option<Entries<'a, Value>>,
    #[serde(default)]
    workspaces: Option<Value>,
}

/// Reads a `package.json`. Dependency values must be strings; anything else is an error at
/// the dependency's line.
pub fn parse_package_json(file: &str, text: &str) -> Result<PackageJson, ParseError> {
    let raw: RawPackageJson = json::from_str(file, text)?;
    let index = LineIndex::new(text);
    let mut dependencies = Vec::new();
    let sections = [
        ("dependencies", Scope::Prod, raw.dependencies),
        ("devDependencies", Scope::Dev, raw.dev_dependencies),
        (
            "optionalDependencies",
            Scope::Optional,
            raw.optional_dependencies,
        ),
        ("peerDependencies", Scope::Prod, raw.peer_dependencies),
    ];
    for (section, scope, entries) in sections {
        for (key, value) in entries.unwrap_or_default().0 {
            let line = key.line(text, &index);
            let Value::String(requirement) = value else {
                return Err(ParseError::new(
                    file,
                    line,
                    1,
                    format!(
                        "expected a version range string for `{}` in `{section}`, found {}",
                        key.as_str(),
                        kind_of(&value)
                    ),
                ));
            };
            dependencies.push(Declared {
                name: key.as_str().to_string(),
                requirement,
                scope,
                section,
                line,
            });
        }
    }
    Ok(PackageJson {
        name: raw
            .name
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_string),
        version: raw
            .version
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_string),
        dependencies,
        workspaces: workspace_globs(raw.workspaces.as_ref()),
    })
}

/// The globs of a `workspaces` value: an array of strings, or an object with a `packages`
/// array (yarn's form). Other shapes declare no workspaces.
pub(crate) fn workspace_globs(value: Option<&Value>) -> Vec<String> {
    let array = match value {
        Some(Value::Array(items)) => items,
        Some(Value::Object(map)) => match map.get("packages") {
            Some(Value::Array(items)) => items,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    array
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
