//! Docker: the tag of a `FROM` image reference, edited in place. A reference pinned by digest
//! is refused: the docker datasource reads tag lists, not manifests, so the new tag's digest is
//! not known, and moving the tag alone would leave a digest of the old image.

use std::cell::RefCell;
use std::path::Path;

use nanoup_core::NanoUpdate;

use super::{Outcome, edit_from_registry};

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
    let what = RefCell::new(String::new());
    let new_text = |old_text: &str, _: &[u8]| -> Result<String, String> {
        // No manifest digest of the new tag is available (see the module documentation).
        let edited =
            edit::edit_dockerfile(file, old_text, &update.name, &update.from, &update.to, None)
                .map_err(|refusal| refusal.to_string())?;
        *what.borrow_mut() = edited.what;
        Ok(edited.text)
    };
    let method = |what: &str| format!("in-place edit of {file}: {what}");
    if dry_run {
        let Ok(old_text) = std::str::from_utf8(old) else {
            return Outcome::Refused {
                reason: format!("{file} is not UTF-8"),
            };
        };
        return match new_text(old_text, &[]) {
            Ok(_) => Outcome::Planned {
                method: method(&what.borrow()),
            },
            Err(reason) => Outcome::Refused { reason },
        };
    }
    // An image several stages build on is one step: the blast radius names it once.
    let diff = |old: &str, new: &str| {
        let mut changed = edit::changed_entries(file, old, new).map_err(|e| e.to_string())?;
        changed.sort();
        changed.dedup();
        Ok(changed)
    };
    // The edit needs nothing from the registry.
    let no_fetch = |_: &NanoUpdate| Ok(Vec::new());
    let outcome = edit_from_registry(
        root,
        update,
        old,
        false,
        &no_fetch,
        method("the FROM tag"),
        new_text,
        diff,
    );
    match outcome {
        Outcome::Applied { changed, files, .. } => Outcome::Applied {
            changed,
            files,
            method: method(&what.into_inner()),
        },
        other => other,
    }
}
