//! The Maven datasource: the versions a Maven repository lists for an artifact.
//!
//! Maven repositories (Maven Central at `https://repo1.maven.org/maven2`, and any mirror laid
//! out the same way: Nexus, Artifactory, a directory) publish, per artifact,
//! `<base>/<group/as/path>/<artifact>/maven-metadata.xml`:
//!
//! ```xml
//! <metadata>
//!   <groupId>org.example</groupId>
//!   <artifactId>demo</artifactId>
//!   <versioning>
//!     <latest>1.1</latest>
//!     <release>1.1</release>
//!     <versions><version>1.0</version><version>1.1</version></versions>
//!     <lastUpdated>20240102030405</lastUpdated>
//!   </versioning>
//! </metadata>
//! ```
//!
//! The file tells **no date per version**: `lastUpdated` (UTC, `yyyyMMddHHmmss`) is when the
//! metadata file last changed, i.e. roughly when the newest version was deployed, so every
//! release has `published: None`; [`MavenMetadata::last_updated`] is exposed for what it is.
//! Nothing is ever yanked (Maven Central never removes or withdraws a version).
//!
//! Maven Central is not reachable from the machine this was written on: the tests read
//! fixtures hand-written from the documented format, not recorded responses.

use nanoup_core::{Ecosystem, Release};

use crate::datasource::{Datasource, RegistryError, RegistryRequest};
use crate::pypi::registry::split_credentials;

/// The default repository: Maven Central.
pub const MAVEN_CENTRAL: &str = "https://repo1.maven.org/maven2";

/// A Maven repository. Its `Debug` output never shows the credentials it holds.
#[derive(Clone, PartialEq, Eq)]
pub struct MavenRegistry {
    base: String,
    authorization: Option<String>,
}

impl std::fmt::Debug for MavenRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MavenRegistry")
            .field("base", &self.base)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for MavenRegistry {
    fn default() -> MavenRegistry {
        MavenRegistry::new(MAVEN_CENTRAL)
    }
}

impl MavenRegistry {
    /// The repository at `base` (e.g. `https://nexus.example.com/repository/maven-public`).
    /// Credentials in the URL (`https://user:pass@host/...`) are removed from it and sent as a
    /// Basic `Authorization` header.
    pub fn new(base: &str) -> MavenRegistry {
        let (url, authorization) = split_credentials(base.trim());
        MavenRegistry {
            base: url.trim_end_matches('/').to_string(),
            authorization,
        }
    }

    /// The repository URL, without credentials.
    pub fn base(&self) -> &str {
        &self.base
    }
}

/// The path of an artifact's directory: `org.apache.commons:commons-lang3` gives
/// `org/apache/commons/commons-lang3`. The name is `groupId:artifactId` as in the inventory.
pub fn artifact_path(name: &str) -> Result<String, RegistryError> {
    let bad = |why: &str| {
        RegistryError(format!(
            "`{name}` is not a Maven artifact name: {why}; expected `groupId:artifactId`"
        ))
    };
    let (group, artifact) = name.trim().split_once(':').ok_or_else(|| bad("no `:`"))?;
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    if !segment_ok(artifact) || artifact.contains("..") {
        return Err(bad(
            "the artifactId is empty or has characters other than letters, digits, `.`, `-` and `_`",
        ));
    }
    if group.split('.').any(|s| !segment_ok(s)) {
        return Err(bad(
            "the groupId has an empty part or characters other than letters, digits, `.`, `-` and `_`",
        ));
    }
    Ok(format!("{}/{artifact}", group.replace('.', "/")))
}

impl Datasource for MavenRegistry {
    fn ecosystem(&self) -> Ecosystem {
        Ecosystem::Maven
    }

    fn request(&self, name: &str) -> Result<RegistryRequest, RegistryError> {
        let url = format!("{}/{}/maven-metadata.xml", self.base, artifact_path(name)?);
        let mut headers = vec![(
            "Accept".to_string(),
            "application/xml, text/xml".to_string(),
        )];
        if let Some(authorization) = &self.authorization {
            headers.push(("Authorization".to_string(), authorization.clone()));
        }
        Ok(RegistryRequest { url, headers })
    }

    fn parse(&self, name: &str, body: &[u8]) -> Result<Vec<Release>, RegistryError> {
        let place = match self.request(name) {
            Ok(request) => request.url,
            Err(_) => format!("the maven-metadata.xml of `{name}`"),
        };
        let metadata =
            parse_metadata(body).map_err(|e| RegistryError(format!("{place}: {}", e.0)))?;
        if let Some((group, artifact)) = name.trim().split_once(':') {
            let differs = |found: &Option<String>, wanted: &str| {
                found.as_deref().is_some_and(|f| f != wanted)
            };
            if differs(&metadata.group_id, group) || differs(&metadata.artifact_id, artifact) {
                return Err(RegistryError(format!(
                    "{place}: the metadata describes `{}:{}`, not `{name}`; check the repository URL",
                    metadata.group_id.as_deref().unwrap_or("?"),
                    metadata.artifact_id.as_deref().unwrap_or("?")
                )));
            }
        }
        Ok(metadata
            .versions
            .into_iter()
            .map(|version| Release {
                version,
                published: None,
                yanked: false,
                deprecated: None,
                requires_python: None,
            })
            .collect())
    }
}

/// What a `maven-metadata.xml` says about an artifact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MavenMetadata {
    /// `groupId`, when present.
    pub group_id: Option<String>,
    /// `artifactId`, when present.
    pub artifact_id: Option<String>,
    /// `versioning/latest`: the newest version deployed, snapshots included.
    pub latest: Option<String>,
    /// `versioning/release`: the newest non-snapshot version deployed.
    pub release: Option<String>,
    /// `versioning/versions/version`, in the file's order (oldest first by convention),
    /// without duplicates.
    pub versions: Vec<String>,
    /// `versioning/lastUpdated` as RFC 3339 UTC (`2024-01-02T03:04:05Z`), when present and
    /// well formed: when the metadata last changed, not when any one version was published.
    pub last_updated: Option<String>,
}

/// Reads a `maven-metadata.xml`. A truncated or malformed document is an error with its line
/// and column.
pub fn parse_metadata(body: &[u8]) -> Result<MavenMetadata, RegistryError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        RegistryError(format!(
            "maven-metadata.xml is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let document = roxmltree::Document::parse(text).map_err(|e| {
        RegistryError(format!(
            "maven-metadata.xml is not well-formed XML ({e}); a truncated answer looks like this, so retry"
        ))
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "metadata" {
        return Err(RegistryError(format!(
            "expected a <metadata> document, found <{}>",
            root.tag_name().name()
        )));
    }
    let mut metadata = MavenMetadata {
        group_id: text_of(child(root, "groupId")),
        artifact_id: text_of(child(root, "artifactId")),
        ..MavenMetadata::default()
    };
    let Some(versioning) = child(root, "versioning") else {
        return Err(RegistryError(
            "<metadata> has no <versioning>: this is not an artifact-level maven-metadata.xml"
                .into(),
        ));
    };
    metadata.latest = text_of(child(versioning, "latest"));
    metadata.release = text_of(child(versioning, "release"));
    metadata.last_updated =
        text_of(child(versioning, "lastUpdated")).and_then(|t| maven_timestamp(&t));
    if let Some(versions) = child(versioning, "versions") {
        for version in versions
            .children()
            .filter(|c| c.is_element() && c.tag_name().name() == "version")
        {
            if let Some(v) = text_of(Some(version))
                && !metadata.versions.contains(&v)
            {
                metadata.versions.push(v);
            }
        }
    }
    Ok(metadata)
}

/// The first child element of `node` named `tag`.
fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    tag: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == tag)
}

/// The trimmed, non-empty text of `node`.
fn text_of(node: Option<roxmltree::Node<'_, '_>>) -> Option<String> {
    node.and_then(|n| n.text())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// `20240102030405` (Maven's `yyyyMMddHHmmss`, UTC) as `2024-01-02T03:04:05Z`.
pub fn maven_timestamp(stamp: &str) -> Option<String> {
    if stamp.len() != 14 || !stamp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = |range: std::ops::Range<usize>| stamp.get(range).unwrap_or("");
    let (month, day) = (part(4..6), part(6..8));
    let (hour, minute, second) = (part(8..10), part(10..12), part(12..14));
    let in_range =
        |s: &str, lo: u32, hi: u32| s.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n));
    if !(in_range(month, 1, 12)
        && in_range(day, 1, 31)
        && in_range(hour, 0, 23)
        && in_range(minute, 0, 59)
        && in_range(second, 0, 60))
    {
        return None;
    }
    Some(format!(
        "{}-{month}-{day}T{hour}:{minute}:{second}Z",
        part(0..4)
    ))
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;
