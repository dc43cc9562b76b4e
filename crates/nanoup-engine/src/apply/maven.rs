//! Maven: the `<version>` of a pom's dependency (or dependencyManagement entry), or the
//! property of the same pom it names when nothing else uses that property, edited in place.
//! No registry data is needed: the new version is all that is written.

use std::path::Path;

use nanoup_core::NanoUpdate;

use super::{Outcome, edit_text};

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
    let new_text = |old_text: &str| {
        let (name, from, to) = (&update.name, &update.from, &update.to);
        edit::edit_pom(file, old_text, &repository, name, from, to)
            .map(|edited| (edited.text, edited.what))
    };
    // The same package at several places of the pom (a managed entry and a dependency taking
    // its version from it, a profile) is one step.
    edit_text(root, update, old, dry_run, new_text, edit::changed_entries)
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
