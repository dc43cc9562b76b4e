//! Docker: the tag of a `FROM` image reference, edited in place. A reference pinned by digest
//! (`name:tag@sha256:...`) gets the new tag's digest too, from the registry's manifest of the
//! new tag (the fetch asks the docker datasource for it); when that manifest cannot be read the
//! update is refused, since moving the tag alone would leave a digest of the old image.

use std::path::Path;

use nanoup_core::NanoUpdate;

use super::{Outcome, RegistryFetch, edit_text};

/// Docker: see the module documentation and `nanoup_ecosystems::docker::edit`. A dry run
/// computes the edit (nothing is written, nothing fetched), so it says whether the update
/// would be refused.
pub(super) fn apply_docker(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    fetch: RegistryFetch<'_>,
) -> Outcome {
    let digest = || -> Result<String, String> {
        let body = fetch(update)?;
        nanoup_ecosystems::docker::registry::manifest_digest(&body).map_err(|e| e.to_string())
    };
    edit_dockerfile(
        root,
        update,
        old,
        dry_run,
        &digest,
        "its manifest, from the registry",
    )
}

/// A rollback of a digest-pinned update: the reference gets back the digest it had (`digest`,
/// from the commit's parent), not whatever the old tag's manifest is now.
pub(crate) fn restore_pinned(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    digest: &str,
) -> Outcome {
    let digest = || Ok(digest.to_string());
    edit_dockerfile(
        root,
        update,
        old,
        false,
        &digest,
        "the reference before the update",
    )
}

/// The edit of [`apply_docker`], a pinned digest coming from `digest` (said in the method as
/// coming from `source`).
fn edit_dockerfile(
    root: &Path,
    update: &NanoUpdate,
    old: &[u8],
    dry_run: bool,
    digest: &dyn Fn() -> Result<String, String>,
    source: &str,
) -> Outcome {
    use nanoup_ecosystems::docker::edit::DockerfileRefusal;
    use nanoup_ecosystems::docker::{edit, is_dockerfile_name};
    let file = update.file.as_str();
    if !is_dockerfile_name(nanoup_ecosystems::file_name(file)) {
        return Outcome::Refused {
            reason: format!(
                "{file} is not a Dockerfile; nanoup edits image tags in Dockerfiles only"
            ),
        };
    }
    let edit = |old_text: &str, digest: Option<&str>| {
        edit::edit_dockerfile(
            file,
            old_text,
            &update.name,
            &update.from,
            &update.to,
            digest,
        )
    };
    let new_text = |old_text: &str| -> Result<(String, String), String> {
        let (line, reference, target) = match edit(old_text, None) {
            Ok(edited) => return Ok((edited.text, edited.what)),
            Err(DockerfileRefusal::DigestUnknown {
                line,
                reference,
                target,
                ..
            }) => (line, reference, target),
            Err(refusal) => return Err(refusal.to_string()),
        };
        // A digest pin: the new tag's digest is that of its manifest.
        if dry_run {
            return Ok((
                old_text.to_string(),
                format!(
                    "`{reference}` (line {line}) to {target}, with the digest of its manifest \
                     read from the registry when applied"
                ),
            ));
        }
        let unavailable = |why: String| {
            format!(
                "{file}:{line}: `{reference}` pins a digest, and the digest of {target} is not \
                 available: its manifest could not be read from the registry ({why}); moving \
                 the tag alone would leave a digest of the old image, so nothing was changed: \
                 update tag and digest together by hand (`docker buildx imagetools inspect \
                 {target}` prints the digest)"
            )
        };
        let digest = digest().map_err(unavailable)?;
        let edited = edit(old_text, Some(&digest)).map_err(|refusal| refusal.to_string())?;
        Ok((
            edited.text,
            format!("{} (the digest of {target}: {source})", edited.what),
        ))
    };
    // An image several stages build on is one step.
    edit_text(root, update, old, dry_run, new_text, edit::changed_entries)
}
