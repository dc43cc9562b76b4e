use packageurl::PackageUrl;

use crate::Ecosystem;

/// The package URL of a package, following the purl specification's rules per type.
///
/// npm scopes become the namespace (`pkg:npm/%40babel/core@7.0.0`), Maven `group:artifact`
/// becomes `pkg:maven/group/artifact`, Go module paths split at the last `/`, PyPI names are
/// lowercased with `_` as `-`, and Docker images keep their registry as `repository_url`.
pub fn purl_for(ecosystem: Ecosystem, name: &str, version: Option<&str>) -> String {
    let (namespace, short_name, repository_url) = split_name(ecosystem, name);
    let short_name = if ecosystem == Ecosystem::PyPI {
        short_name.to_lowercase().replace('_', "-")
    } else {
        short_name.to_string()
    };
    let build = || -> Result<String, packageurl::Error> {
        let mut purl = PackageUrl::new(ecosystem.purl_type(), short_name.as_str())?;
        if let Some(ns) = namespace {
            purl.with_namespace(ns.to_string())?;
        }
        if let Some(v) = version {
            purl.with_version(v.to_string())?;
        }
        if let Some(repo) = repository_url {
            purl.add_qualifier("repository_url", repo.to_string())?;
        }
        Ok(purl.to_string())
    };
    let built = build();
    match built {
        Ok(purl) => purl,
        // Only a name the purl rules reject (say, empty) lands here; keep a readable fallback.
        Err(_) => format!(
            "pkg:{}/{}{}",
            ecosystem.purl_type(),
            name,
            version.map(|v| format!("@{v}")).unwrap_or_default()
        ),
    }
}

/// The ecosystem, name and version a package URL names, in nanoup's naming (the inverse of
/// [`purl_for`] for the ecosystems it writes); `None` for other types or malformed text.
pub fn parse_purl(purl: &str) -> Option<(Ecosystem, String, Option<String>)> {
    use std::str::FromStr;
    let parsed = PackageUrl::from_str(purl.trim()).ok()?;
    let ecosystem = Ecosystem::ALL
        .into_iter()
        .find(|e| e.purl_type() == parsed.ty())?;
    let name = parsed.name();
    let name = match (ecosystem, parsed.namespace()) {
        (Ecosystem::Maven, Some(ns)) => format!("{ns}:{name}"),
        (Ecosystem::Npm | Ecosystem::Go | Ecosystem::Docker, Some(ns)) => format!("{ns}/{name}"),
        _ => name.to_string(),
    };
    // An image from another registry than Docker Hub keeps it in `repository_url`.
    let name = match parsed.qualifiers().get("repository_url") {
        Some(registry) if ecosystem == Ecosystem::Docker => format!("{registry}/{name}"),
        _ => name,
    };
    Some((ecosystem, name, parsed.version().map(str::to_string)))
}

fn split_name(ecosystem: Ecosystem, name: &str) -> (Option<&str>, &str, Option<&str>) {
    match ecosystem {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|_| name.split_once('/')) {
            Some((scope, rest)) => (Some(scope), rest, None),
            None => (None, name, None),
        },
        Ecosystem::Maven => match name.split_once(':') {
            Some((group, artifact)) => (Some(group), artifact, None),
            None => (None, name, None),
        },
        Ecosystem::Go => match name.rsplit_once('/') {
            Some((ns, last)) => (Some(ns), last, None),
            None => (None, name, None),
        },
        Ecosystem::Docker => {
            // `registry.example:5000/team/app`: the first segment is a registry host when it
            // has a dot or a colon or is `localhost`, as Docker itself decides.
            let (registry, path) = match name.split_once('/') {
                Some((first, rest))
                    if first.contains('.') || first.contains(':') || first == "localhost" =>
                {
                    (Some(first), rest)
                }
                _ => (None, name),
            };
            match path.rsplit_once('/') {
                Some((ns, last)) => (Some(ns), last, registry),
                None => (None, path, registry),
            }
        }
        Ecosystem::Cargo | Ecosystem::PyPI => (None, name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_read_back() {
        for (e, name, v) in [
            (Ecosystem::Npm, "@babel/core", "7.0.0"),
            (Ecosystem::Cargo, "smallvec", "1.4.0"),
            (
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.12.1",
            ),
            (Ecosystem::Go, "github.com/cli/safeexec", "v1.0.0"),
            (Ecosystem::PyPI, "flask", "3.1.0"),
            (Ecosystem::Docker, "gcr.io/distroless/static", "nonroot"),
            (Ecosystem::Docker, "library/golang", "1.19"),
        ] {
            let purl = purl_for(e, name, Some(v));
            assert_eq!(
                parse_purl(&purl),
                Some((e, name.to_string(), Some(v.to_string()))),
                "{purl}"
            );
        }
        assert_eq!(parse_purl("not a purl"), None);
    }

    #[test]
    fn purls_follow_the_spec_per_type() {
        assert_eq!(
            purl_for(Ecosystem::Npm, "@babel/core", Some("7.0.0")),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            purl_for(Ecosystem::Npm, "react", Some("18.2.0")),
            "pkg:npm/react@18.2.0"
        );
        assert_eq!(
            purl_for(
                Ecosystem::Maven,
                "org.apache.logging.log4j:log4j-core",
                Some("2.12.1")
            ),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1"
        );
        assert_eq!(
            purl_for(Ecosystem::Go, "github.com/cli/safeexec", Some("v1.0.0")),
            "pkg:golang/github.com/cli/safeexec@v1.0.0"
        );
        assert_eq!(
            purl_for(Ecosystem::PyPI, "Flask_Login", Some("0.5.0")),
            "pkg:pypi/flask-login@0.5.0"
        );
        assert_eq!(
            purl_for(Ecosystem::Cargo, "smallvec", None),
            "pkg:cargo/smallvec"
        );
        assert_eq!(
            purl_for(
                Ecosystem::Docker,
                "gcr.io/distroless/static",
                Some("nonroot")
            ),
            "pkg:docker/distroless/static@nonroot?repository_url=gcr.io"
        );
        assert_eq!(
            purl_for(Ecosystem::Docker, "library/golang", Some("1.19")),
            "pkg:docker/library/golang@1.19"
        );
    }
}
