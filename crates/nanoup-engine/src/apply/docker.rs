//! Docker: the tag of a `FROM` image reference, edited in place. A reference pinned by digest
//! is refused: the docker datasource reads tag lists, not manifests, so the new tag's digest is
//! not known, and moving the tag alone would leave a digest of the old image.

use std::path::Path;

use nanoup_core::NanoUpdate;

use super::{Outcome, edit_text};

/// Docker: see the module documentation and `nanoup_ecosystems::docker::edit`. A dry run
/// computes the edit (nothing is written), so it says whether the update would be refused.
pub(super) fn apply_docker(root: &Path, update: &NanoUpdate, old: &[u8], dry_run: bool) -> Outcome {
    use nanoup_ecosystems::docker::{edit, is_dockerfile_name};
    let file = update.file.as_str();
    if !is_dockerfile_name(nanoup_ecosystems::file_name(file)) {
        return Outcome::Refused {
            reason: format!(
                "{file} is not a Dockerfile; nanoup edits image tags in Dockerfiles only"
            ),
        };
    }
    // No manifest digest of the new tag is available (see the module documentation).
    let new_text = |old_text: &str| {
        edit::edit_dockerfile(file, old_text, &update.name, &update.from, &update.to, None)
            .map(|edited| (edited.text, edited.what))
    };
    // An image several stages build on is one step.
    edit_text(root, update, old, dry_run, new_text, edit::changed_entries)
}
