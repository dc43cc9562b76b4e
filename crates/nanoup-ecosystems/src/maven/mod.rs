//! The Maven ecosystem: the dependencies declared by every `pom.xml`.
//!
//! Every `pom.xml` is a stack (its directory is the stack path). Its components are:
//!
//! - the `<dependencies>` of the project (and of its `<profiles>`, with `extra["profile"]`):
//!   direct, scope from `<scope>` (compile/runtime → prod, test → dev, provided/system →
//!   build; `<optional>true` turns prod into optional);
//! - the entries of its `<dependencyManagement>`: not direct (the pom pins their versions for
//!   its modules but does not use them itself), marked `extra["managed"] = "true"`, so that a
//!   vulnerable version pinned in a parent pom is found where it is written.
//!
//! Plugins (and dependencies of plugins) are not components: they run in the build and are
//! not shipped, and their versions are mostly inherited from Maven's super-pom.
//!
//! Versions go through `${...}` interpolation: `<properties>` of the pom and its parents,
//! `project.version`/`project.groupId`/`project.artifactId`/`project.parent.*` (and the
//! legacy `pom.*` and bare forms), recursively and safe against cycles. A dependency without
//! `<version>` takes it (and its scope, when it has none) from the `<dependencyManagement>` of
//! the pom, of its parents, or of a BOM it imports, when those poms are in the repository. The
//! parent is looked up at `<relativePath>` (default `../pom.xml`) and, failing that, among
//! every pom of the repository by groupId and artifactId, as a reactor build would. What
//! cannot be resolved locally (unknown property, parent or BOM outside the repository,
//! missing version, version range) is an unresolved component saying why.

use std::collections::{BTreeMap, BTreeSet};

use nanoup_core::{Component, Ecosystem, LineIndex, ParseError, Scope, Source, Stack};
use roxmltree::Node;

use crate::{NamedParser, Scanned, Tree, dir_of};
pub mod edit;
pub mod registry;

/// The pure parsers of this ecosystem's file formats, for fuzzing and benchmarks.
pub const PARSERS: &[NamedParser] = &[NamedParser {
    name: "maven_pom",
    file_name: "pom.xml",
    parse: parse_pom_count,
}];

/// Reads every `pom.xml` in `tree` and returns one stack per pom that parses.
pub fn scan(tree: &Tree) -> Scanned {
    let mut scanned = Scanned::default();
    let mut poms = BTreeMap::new();
    for file in tree.named("pom.xml") {
        match tree.read(file).and_then(|text| parse_pom(file, &text)) {
            Ok(pom) => {
                poms.insert(file.to_string(), pom);
            }
            Err(error) => scanned.errors.push(error),
        }
    }
    let repository = Repository { poms };
    for file in repository.poms.keys() {
        let (components, read) = repository.components(file);
        let dir = dir_of(file);
        let files = read.iter().map(|f| relative_path(dir, f)).collect();
        scanned
            .stacks
            .push(Stack::new(dir, Ecosystem::Maven, files, components));
    }
    scanned
}

/// A `<dependency>` element, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// `<groupId>`.
    pub group_id: String,
    /// `<artifactId>`.
    pub artifact_id: String,
    /// `<version>`, when written.
    pub version: Option<String>,
    /// `<scope>`, when written.
    pub scope: Option<String>,
    /// `<type>`, when written (Maven's default is `jar`).
    pub packaging_type: Option<String>,
    /// `<classifier>`, when written.
    pub classifier: Option<String>,
    /// `<optional>` is `true`.
    pub optional: bool,
    /// The id of the `<profile>` declaring it, for profile dependencies.
    pub profile: Option<String>,
    /// 1-based line of the `<dependency>` element.
    pub line: u32,
}

/// The `<parent>` reference of a pom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentRef {
    /// `<groupId>`.
    pub group_id: String,
    /// `<artifactId>`.
    pub artifact_id: String,
    /// `<version>`, when written.
    pub version: Option<String>,
    /// `<relativePath>`: `../pom.xml` by default, empty to skip the local look-up.
    pub relative_path: String,
}

/// The parts of a `pom.xml` that decide its dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pom {
    /// The file, relative to the scan root.
    pub file: String,
    /// `<groupId>`, when written (else inherited from the parent).
    pub group_id: Option<String>,
    /// `<artifactId>`.
    pub artifact_id: Option<String>,
    /// `<version>`, when written (else inherited from the parent).
    pub version: Option<String>,
    /// `<parent>`.
    pub parent: Option<ParentRef>,
    /// `<properties>`, by name.
    pub properties: BTreeMap<String, String>,
    /// `<dependencies>` of the project, then of each profile.
    pub dependencies: Vec<Dependency>,
    /// `<dependencyManagement><dependencies>`.
    pub managed: Vec<Dependency>,
}

impl Pom {
    /// The groupId, inherited from the parent when not written.
    pub fn effective_group_id(&self) -> Option<&str> {
        self.group_id
            .as_deref()
            .or(self.parent.as_ref().map(|p| p.group_id.as_str()))
    }
}

/// Parses a pom's XML (a DTD allowed, up to five million nodes); malformed XML is an error at
/// its line and column.
fn document<'input>(
    file: &str,
    text: &'input str,
) -> Result<roxmltree::Document<'input>, ParseError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 5_000_000,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        ParseError::new(
            file,
            pos.row,
            pos.col,
            format!("expected well-formed XML: {e}"),
        )
    })
}

fn parse_pom_count(file: &str, text: &str) -> Result<usize, ParseError> {
    parse_pom(file, text).map(|pom| pom.dependencies.len() + pom.managed.len())
}

/// Reads a `pom.xml`: coordinates, parent, properties, dependencies (project and profiles)
/// and dependency management. Errors give the line and column of malformed XML, of a root
/// element other than `<project>`, or of a dependency without groupId or artifactId.
pub fn parse_pom(file: &str, text: &str) -> Result<Pom, ParseError> {
    let doc = document(file, text)?;
    let index = LineIndex::new(text);
    let line_of = |node: Node| index.line(node.range().start);
    let root = doc.root_element();
    if root.tag_name().name() != "project" {
        let (line, column) = index.line_column(root.range().start);
        return Err(ParseError::new(
            file,
            line,
            column,
            format!(
                "found <{}>; expected a <project> root element",
                root.tag_name().name()
            ),
        ));
    }
    let parent = match child(root, "parent") {
        None => None,
        Some(node) => {
            let missing = |what: &str| {
                let (line, column) = index.line_column(node.range().start);
                ParseError::new(
                    file,
                    line,
                    column,
                    format!("<parent> without <{what}>; expected groupId and artifactId"),
                )
            };
            Some(ParentRef {
                group_id: text_of(node, "groupId").ok_or_else(|| missing("groupId"))?,
                artifact_id: text_of(node, "artifactId").ok_or_else(|| missing("artifactId"))?,
                version: text_of(node, "version"),
                relative_path: match child(node, "relativePath") {
                    Some(rel) => element_text(rel).unwrap_or_default(),
                    None => "../pom.xml".to_string(),
                },
            })
        }
    };
    let mut properties = BTreeMap::new();
    if let Some(node) = child(root, "properties") {
        for property in node.children().filter(Node::is_element) {
            properties.insert(
                property.tag_name().name().to_string(),
                element_text(property).unwrap_or_default(),
            );
        }
    }
    let read_dependencies = |list: Option<Node>,
                             profile: Option<&str>|
     -> Result<Vec<Dependency>, ParseError> {
        let mut found = Vec::new();
        for node in list
            .into_iter()
            .flat_map(|l| l.children())
            .filter(|n| n.has_tag_name_local("dependency"))
        {
            let missing = |what: &str| {
                let (line, column) = index.line_column(node.range().start);
                ParseError::new(
                    file,
                    line,
                    column,
                    format!("<dependency> without <{what}>; expected groupId and artifactId"),
                )
            };
            found.push(Dependency {
                group_id: text_of(node, "groupId").ok_or_else(|| missing("groupId"))?,
                artifact_id: text_of(node, "artifactId").ok_or_else(|| missing("artifactId"))?,
                version: text_of(node, "version"),
                scope: text_of(node, "scope"),
                packaging_type: text_of(node, "type"),
                classifier: text_of(node, "classifier"),
                optional: text_of(node, "optional").is_some_and(|o| o.eq_ignore_ascii_case("true")),
                profile: profile.map(str::to_string),
                line: line_of(node),
            });
        }
        Ok(found)
    };
    let mut dependencies = read_dependencies(child(root, "dependencies"), None)?;
    for profile in child(root, "profiles")
        .into_iter()
        .flat_map(|p| p.children())
        .filter(|n| n.has_tag_name_local("profile"))
    {
        let id = text_of(profile, "id").unwrap_or_else(|| "default".to_string());
        dependencies.extend(read_dependencies(
            child(profile, "dependencies"),
            Some(&id),
        )?);
    }
    let managed = read_dependencies(
        child(root, "dependencyManagement").and_then(|m| child(m, "dependencies")),
        None,
    )?;
    Ok(Pom {
        file: file.to_string(),
        group_id: text_of(root, "groupId"),
        artifact_id: text_of(root, "artifactId"),
        version: text_of(root, "version"),
        parent,
        properties,
        dependencies,
        managed,
    })
}

trait LocalName {
    fn has_tag_name_local(&self, name: &str) -> bool;
}

impl LocalName for Node<'_, '_> {
    fn has_tag_name_local(&self, name: &str) -> bool {
        self.is_element() && self.tag_name().name() == name
    }
}

/// The first child element of `node` with local name `name`.
fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name_local(name))
}

/// The trimmed text directly inside an element (comments skipped), `None` when empty.
fn element_text(node: Node) -> Option<String> {
    let text: String = node
        .children()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The text of the child element `name` of `node`.
fn text_of(node: Node, name: &str) -> Option<String> {
    child(node, name).and_then(element_text)
}

/// The key under which dependencyManagement matches a dependency.
type ManagedKey = (String, String, String, String);

/// A managed version, already interpolated in the context of the pom that uses it.
#[derive(Debug, Clone)]
struct Managed {
    /// The version, or why it is unknown.
    version: Result<String, String>,
    /// The managed scope, when written.
    scope: Option<String>,
    /// Where the entry is written: `file:line`.
    place: String,
}

/// A pom with its parents merged: what interpolation and version look-up read.
#[derive(Debug, Default)]
struct Effective {
    /// The poms of the chain, the pom itself first.
    chain: Vec<String>,
    /// Why the chain stops before a pom without parent, when it does.
    broken: Option<String>,
    /// Properties, the nearest pom winning.
    properties: BTreeMap<String, String>,
    /// The model values `project.*` names (written or inherited).
    builtins: BTreeMap<&'static str, String>,
    /// dependencyManagement of the chain and of imported BOMs, the nearest winning.
    managed: BTreeMap<ManagedKey, Managed>,
    /// BOMs imported but not found in the repository (`g:a:v`).
    missing_boms: Vec<String>,
    /// BOM poms read from the repository.
    boms: Vec<String>,
}

/// Built-in property names and the model value each reads, including legacy forms.
const BUILTINS: &[(&str, &str)] = &[
    ("project.version", "version"),
    ("pom.version", "version"),
    ("version", "version"),
    ("project.groupId", "groupId"),
    ("pom.groupId", "groupId"),
    ("groupId", "groupId"),
    ("project.artifactId", "artifactId"),
    ("pom.artifactId", "artifactId"),
    ("artifactId", "artifactId"),
    ("project.parent.version", "parent.version"),
    ("pom.parent.version", "parent.version"),
    ("parent.version", "parent.version"),
    ("project.parent.groupId", "parent.groupId"),
    ("pom.parent.groupId", "parent.groupId"),
    ("parent.groupId", "parent.groupId"),
    ("project.parent.artifactId", "parent.artifactId"),
    ("pom.parent.artifactId", "parent.artifactId"),
    ("parent.artifactId", "parent.artifactId"),
];

/// The most `${...}` look-ups one value may take; more means a property bomb.
const MAX_PROPERTY_LOOKUPS: usize = 10_000;

/// The longest value interpolation builds; longer means a property bomb.
const MAX_INTERPOLATED_LEN: usize = 4096;

impl Effective {
    /// `value` with every `${name}` replaced, recursively; the error says which property
    /// could not be resolved and why.
    fn interpolate(&self, value: &str) -> Result<String, String> {
        let mut budget = MAX_PROPERTY_LOOKUPS;
        self.interpolate_inner(value, &mut Vec::new(), &mut budget)
    }

    fn interpolate_inner(
        &self,
        value: &str,
        expanding: &mut Vec<String>,
        budget: &mut usize,
    ) -> Result<String, String> {
        if expanding.len() > 32 {
            return Err("properties nest more than 32 levels deep".into());
        }
        let mut out = String::new();
        let mut rest = value;
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start).unwrap_or(""));
            let after = rest.get(start + 2..).unwrap_or("");
            let Some(end) = after.find('}') else {
                return Err(format!("unterminated `${{` in `{value}`"));
            };
            let name = after.get(..end).unwrap_or("");
            if expanding.iter().any(|n| n == name) {
                return Err(format!("property ${{{name}}} refers to itself"));
            }
            *budget = budget.checked_sub(1).ok_or_else(|| {
                format!("`{value}` needs more than {MAX_PROPERTY_LOOKUPS} property look-ups")
            })?;
            let raw = self.lookup(name)?;
            expanding.push(name.to_string());
            let expanded = self.interpolate_inner(&raw, expanding, budget);
            expanding.pop();
            out.push_str(&expanded?);
            if out.len() > MAX_INTERPOLATED_LEN {
                return Err(format!(
                    "`{value}` expands to more than {MAX_INTERPOLATED_LEN} characters"
                ));
            }
            rest = after.get(end + 1..).unwrap_or("");
        }
        out.push_str(rest);
        Ok(out)
    }

    fn lookup(&self, name: &str) -> Result<String, String> {
        let builtin = BUILTINS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, field)| *field);
        // `project.*` names the model first; bare legacy names yield to a property.
        let from_model = || builtin.and_then(|field| self.builtins.get(field).cloned());
        let found = if name.starts_with("project.") || name.starts_with("pom.") {
            from_model().or_else(|| self.properties.get(name).cloned())
        } else {
            self.properties.get(name).cloned().or_else(from_model)
        };
        found.ok_or_else(|| {
            let mut reason = format!(
                "property ${{{name}}} is not defined in the pom or its parents in the repository"
            );
            if let Some(broken) = &self.broken {
                reason.push_str(&format!(" ({broken})"));
            }
            reason
        })
    }

    /// The dependencyManagement key of a dependency, interpolated.
    fn key_of(&self, dependency: &Dependency) -> ManagedKey {
        let part = |v: &str| self.interpolate(v).unwrap_or_else(|_| v.to_string());
        (
            part(&dependency.group_id),
            part(&dependency.artifact_id),
            dependency
                .packaging_type
                .as_deref()
                .map_or_else(|| "jar".to_string(), part),
            dependency
                .classifier
                .as_deref()
                .map_or_else(String::new, part),
        )
    }
}

/// Every pom of the scanned tree that parsed, by path.
struct Repository {
    poms: BTreeMap<String, Pom>,
}

impl Repository {
    /// The pom with groupId `group` and artifactId `artifact`, preferring one at `version`.
    fn find_by_coordinates(
        &self,
        group: &str,
        artifact: &str,
        version: Option<&str>,
    ) -> Option<&str> {
        let mut candidates = self.poms.iter().filter(|(_, p)| {
            p.artifact_id.as_deref() == Some(artifact) && p.effective_group_id() == Some(group)
        });
        let first = candidates.next()?;
        let versioned = std::iter::once(first).chain(candidates).find(|(_, p)| {
            version.is_some()
                && p.version
                    .as_deref()
                    .or(p.parent.as_ref().and_then(|r| r.version.as_deref()))
                    == version
        });
        Some(versioned.unwrap_or(first).0.as_str())
    }

    /// The parent pom of `file` in the repository, or why there is none.
    fn parent_of(&self, file: &str) -> Option<Result<&str, String>> {
        let parent = self.poms.get(file)?.parent.as_ref()?;
        let matches = |path: &str| {
            self.poms.get(path).is_some_and(|p| {
                p.artifact_id.as_deref() == Some(parent.artifact_id.as_str())
                    && p.effective_group_id() == Some(parent.group_id.as_str())
            })
        };
        if !parent.relative_path.is_empty() {
            let mut candidate = parent.relative_path.replace('\\', "/");
            if !candidate.ends_with(".xml") {
                candidate = format!("{}/pom.xml", candidate.trim_end_matches('/'));
            }
            if let Some(path) = normalize(dir_of(file), &candidate)
                && let Some((found, _)) = self.poms.get_key_value(&path)
                && matches(&path)
            {
                return Some(Ok(found.as_str()));
            }
        }
        let version = parent.version.as_deref();
        Some(
            self.find_by_coordinates(&parent.group_id, &parent.artifact_id, version)
                .ok_or_else(|| {
                    format!(
                        "parent {}:{}{} is not in the repository",
                        parent.group_id,
                        parent.artifact_id,
                        version.map(|v| format!(":{v}")).unwrap_or_default()
                    )
                }),
        )
    }

    /// The effective model of `file`; `importing` holds the BOMs being imported, to stop cycles.
    fn effective(&self, file: &str, importing: &mut BTreeSet<String>) -> Effective {
        let mut effective = Effective::default();
        let mut current = Some(file.to_string());
        while let Some(path) = current.take() {
            if effective.chain.contains(&path) {
                effective.broken = Some(format!("{path} is its own ancestor"));
                break;
            }
            effective.chain.push(path.clone());
            match self.parent_of(&path) {
                None => {}
                Some(Ok(parent)) => current = Some(parent.to_string()),
                Some(Err(reason)) => effective.broken = Some(reason),
            }
        }
        let chain: Vec<&Pom> = effective
            .chain
            .iter()
            .filter_map(|p| self.poms.get(p))
            .collect();
        for pom in chain.iter().rev() {
            for (name, value) in &pom.properties {
                effective.properties.insert(name.clone(), value.clone());
            }
        }
        if let Some(pom) = chain.first() {
            let parent = pom.parent.as_ref();
            let inherited = |own: &Option<String>, from_parent: Option<&String>| {
                own.clone().or_else(|| from_parent.cloned())
            };
            let values = [
                (
                    "version",
                    inherited(&pom.version, parent.and_then(|p| p.version.as_ref())),
                ),
                (
                    "groupId",
                    inherited(&pom.group_id, parent.map(|p| &p.group_id)),
                ),
                ("artifactId", pom.artifact_id.clone()),
                ("parent.version", parent.and_then(|p| p.version.clone())),
                ("parent.groupId", parent.map(|p| p.group_id.clone())),
                ("parent.artifactId", parent.map(|p| p.artifact_id.clone())),
            ];
            for (field, value) in values {
                if let Some(value) = value {
                    effective.builtins.insert(field, value);
                }
            }
        }
        let mut imports = Vec::new();
        for pom in &chain {
            for managed in &pom.managed {
                let key = effective.key_of(managed);
                let scope = managed
                    .scope
                    .as_deref()
                    .map(|s| effective.interpolate(s).unwrap_or_else(|_| s.to_string()));
                if scope.as_deref() == Some("import") && key.2 == "pom" {
                    imports.push((managed.clone(), pom.file.clone()));
                    continue;
                }
                if effective.managed.contains_key(&key) {
                    continue;
                }
                let version = match &managed.version {
                    Some(v) => effective.interpolate(v),
                    None => Err(format!(
                        "the dependencyManagement entry in {} has no <version>",
                        pom.file
                    )),
                };
                effective.managed.insert(
                    key,
                    Managed {
                        version,
                        scope,
                        place: format!("{}:{}", pom.file, managed.line),
                    },
                );
            }
        }
        for (bom, declared_in) in imports {
            let key = effective.key_of(&bom);
            let version = bom.version.as_deref().map(|v| effective.interpolate(v));
            let coordinates = format!(
                "{}:{}{}",
                key.0,
                key.1,
                match &version {
                    Some(Ok(v)) => format!(":{v}"),
                    _ => String::new(),
                }
            );
            let wanted = version
                .as_ref()
                .and_then(|v| v.as_ref().ok())
                .map(String::as_str);
            let found = self
                .find_by_coordinates(&key.0, &key.1, wanted)
                .map(str::to_string);
            match found {
                Some(bom_file)
                    if !importing.contains(&bom_file) && !effective.chain.contains(&bom_file) =>
                {
                    importing.insert(bom_file.clone());
                    let imported = self.effective(&bom_file, importing);
                    importing.remove(&bom_file);
                    for (managed_key, managed) in imported.managed {
                        effective.managed.entry(managed_key).or_insert(managed);
                    }
                    effective.missing_boms.extend(imported.missing_boms);
                    effective.boms.extend(imported.chain);
                    effective.boms.extend(imported.boms);
                }
                Some(_) => {}
                None => effective
                    .missing_boms
                    .push(format!("{coordinates} (imported in {declared_in})")),
            }
        }
        effective
    }

    /// The components of the pom `file` and the poms read to resolve them.
    fn components(&self, file: &str) -> (Vec<Component>, Vec<String>) {
        let Some(pom) = self.poms.get(file) else {
            return (Vec::new(), Vec::new());
        };
        let effective = self.effective(file, &mut BTreeSet::from([file.to_string()]));
        let mut components = Vec::new();
        for dependency in &pom.dependencies {
            components.push(self.component(file, dependency, &effective, true));
        }
        for managed in &pom.managed {
            let key = effective.key_of(managed);
            if key.2 == "pom"
                && managed
                    .scope
                    .as_deref()
                    .is_some_and(|s| effective.interpolate(s).is_ok_and(|s| s == "import"))
            {
                continue;
            }
            let mut component = self.component(file, managed, &effective, false);
            component.extra.insert("managed".into(), "true".into());
            components.push(component);
        }
        let mut read = effective.chain.clone();
        read.extend(effective.boms.iter().cloned());
        (components, read)
    }

    /// One dependency of `file` as a component.
    fn component(
        &self,
        file: &str,
        dependency: &Dependency,
        effective: &Effective,
        direct: bool,
    ) -> Component {
        let key = effective.key_of(dependency);
        let name = format!("{}:{}", key.0, key.1);
        let managed = effective.managed.get(&key);
        let mut extra = BTreeMap::new();
        let version = match &dependency.version {
            Some(written) => effective.interpolate(written),
            None if !direct => Err("the dependencyManagement entry has no <version>".into()),
            None => match managed {
                Some(entry) => {
                    extra.insert("version_from".to_string(), entry.place.clone());
                    entry.version.clone()
                }
                None => Err(self.missing_version_reason(effective)),
            },
        };
        let version = version.and_then(|v| {
            if v.starts_with('[') || v.starts_with('(') || v.contains(',') {
                Err(format!(
                    "`{v}` is a version range, resolved against the repository at build time"
                ))
            } else {
                Ok(v)
            }
        });
        let scope_text = dependency
            .scope
            .as_deref()
            .map(|s| effective.interpolate(s).unwrap_or_else(|_| s.to_string()))
            .or_else(|| {
                if direct {
                    managed.and_then(|m| m.scope.clone())
                } else {
                    None
                }
            })
            .unwrap_or_else(|| "compile".to_string());
        let scope = match scope_text.as_str() {
            "test" => Scope::Dev,
            "provided" | "system" => Scope::Build,
            _ if dependency.optional => Scope::Optional,
            _ => Scope::Prod,
        };
        let mut component = match version {
            Ok(version) => Component::new(Ecosystem::Maven, name, version, file, dependency.line),
            Err(reason) => Component::unresolved(
                Ecosystem::Maven,
                name,
                dependency.version.clone(),
                reason,
                file,
                dependency.line,
            ),
        };
        component.direct = direct;
        component.scope = scope;
        if scope_text == "system" {
            component.source = Source::Path;
        }
        if component.requirement.is_none() {
            component.requirement = dependency.version.clone();
        }
        if key.2 != "jar" {
            extra.insert("type".into(), key.2.clone());
        }
        if !key.3.is_empty() {
            extra.insert("classifier".into(), key.3.clone());
        }
        if let Some(profile) = &dependency.profile {
            extra.insert("profile".into(), profile.clone());
        }
        component.extra.extend(extra);
        component
    }

    fn missing_version_reason(&self, effective: &Effective) -> String {
        let mut reason = "no <version> here and no dependencyManagement entry for it in the pom or its parents in the repository".to_string();
        if let Some(broken) = &effective.broken {
            reason.push_str(&format!("; {broken}"));
        }
        if !effective.missing_boms.is_empty() {
            reason.push_str(&format!(
                "; it may come from imported BOM {}, which is not in the repository",
                effective.missing_boms.join(", ")
            ));
        }
        reason
    }
}

/// `rel` (with `..` and `.` segments) taken from directory `dir`, as a root-relative path;
/// `None` when it climbs above the root.
fn normalize(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') || dir == "." {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for segment in rel.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// The path of `file` (root-relative) seen from directory `dir` (root-relative), e.g.
/// `../pom.xml` for the parent of `core/pom.xml`.
pub fn relative_path(dir: &str, file: &str) -> String {
    let dir_parts: Vec<&str> = if dir == "." || dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    let file_parts: Vec<&str> = file.split('/').collect();
    let common = dir_parts
        .iter()
        .zip(&file_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out: Vec<&str> = vec![".."; dir_parts.len() - common];
    out.extend(file_parts.iter().skip(common));
    out.join("/")
}

#[cfg(test)]
mod tests;
