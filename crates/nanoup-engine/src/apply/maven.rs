//! Maven: the `<version>` of a pom's dependency (or dependencyManagement entry), or the
//! property of the same pom it names when nothing else uses that property, edited in place.
//! No registry data is needed: the new version is all that is written.

use std::cell::RefCell;
use std::path::Path;

use nanoup_core::NanoUpdate;

use super::{Outcome, edit_from_registry};

/// Maven: see the module documentation and `nanoup_ecosystems::maven::edit`. The other poms of
/// the repository are read too, so that a property set in a parent is found where it is, and a
/// property a module inherits counts as shared. A dry run computes the edit (nothing is
/// written), so it says whether the update would be refused.
pub(super) fn apply_maven(root: &Path, update: &NanoUpdate, old: &[u8], dry_run: bool) -> Outcome {
    use nanoup_ecosystems::maven::edit;
    let file = update.file.as_str();
    if nanoup_ecosystems::file_name(file) != "pom.xml" {
        return Outcome::Refused {
            reason: format!("{file} is not a pom.xml; nanoup edits Maven versions in pom.xml only"),
        };
    }
    let repository = repository_poms(root);
    let what = RefCell::new(String::new());
    let new_text = |old_text: &str, _: &[u8]| -> Result<String, String> {
        let edited = edit::edit_pom(
            file,
            old_text,
            &repository,
            &update.name,
            &update.from,
            &update.to,
        )
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
    // The same package at several places of the pom (a managed entry and a dependency taking
    // its version from it, a profile) is one step: the blast radius names it once.
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
        method("<version>"),
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

/// Every `pom.xml` under `root` (as the scan lists them: `.gitignore` respected, build folders
/// skipped), as (path relative to `root`, text); poms that cannot be read are left out.
fn repository_poms(root: &Path) -> Vec<(String, String)> {
    let Ok(tree) = nanoup_ecosystems::Tree::walk(root) else {
        return Vec::new();
    };
    tree.named("pom.xml")
        .filter_map(|rel| {
            let text = tree.read(rel).ok()?;
            Some((rel.to_string(), text))
        })
        .collect()
}
