//! Rolling back one update by its id, found again through its commit's trailers: the inverse
//! step (`to -> from`) of exactly the entries it changed, verified like any apply.

use std::path::Path;

use nanoup_core::{EntryChange, FileDigest, NanoUpdate, UpdateKind, parse_purl};

use crate::apply::{Outcome, RegistryFetch, apply};
use crate::git;

/// What a rollback found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollback {
    /// The commit that applied the update.
    pub applied_in: String,
    /// The inverse update that was applied.
    pub inverse: NanoUpdate,
    /// What applying it did.
    pub outcome: Outcome,
}

/// Rolls back update `id` in the repository at `root`. Refuses when no commit applied it, when
/// it was already rolled back, or when a later update changed the same package (naming it).
pub fn rollback(root: &Path, id: &str, fetch: RegistryFetch<'_>) -> Result<Rollback, String> {
    let applied = git::commits_with_trailer(root, git::UPDATE_TRAILER, id)?;
    let Some((commit, message)) = applied.into_iter().next() else {
        return Err(format!(
            "no commit carries `{}: {id}`; was the update applied with --commit?",
            git::UPDATE_TRAILER
        ));
    };
    if let Some((undone, _)) = git::commits_with_trailer(root, git::ROLLBACK_TRAILER, id)?
        .into_iter()
        .next()
    {
        return Err(format!(
            "update {id} was already rolled back in commit {}",
            short(&undone)
        ));
    }
    let package = git::trailer(&message, nanoup_core::PACKAGE_TRAILER)
        .ok_or_else(|| format!("commit {} has no Nanoup-Package trailer", short(&commit)))?;
    let (purl, to) = package.split_once(" -> ").ok_or_else(|| {
        format!(
            "cannot read `Nanoup-Package: {package}` in commit {}",
            short(&commit)
        )
    })?;
    let (ecosystem, name, from) = parse_purl(purl)
        .and_then(|(e, n, v)| Some((e, n, v?)))
        .ok_or_else(|| {
            format!(
                "cannot read the package URL {purl} in commit {}",
                short(&commit)
            )
        })?;
    for (later, later_message) in git::update_commits_since(root, &commit)? {
        let same = git::trailer(&later_message, nanoup_core::PACKAGE_TRAILER)
            .and_then(|p| parse_purl(p.split(" -> ").next()?))
            .is_some_and(|(e, n, _)| e == ecosystem && n == name);
        let later_id = git::trailer(&later_message, git::UPDATE_TRAILER).unwrap_or("?");
        // A later update that was itself rolled back no longer stands in the way.
        if same && git::commits_with_trailer(root, git::ROLLBACK_TRAILER, later_id)?.is_empty() {
            return Err(format!(
                "a later update, {later_id} (commit {}), changed {name} again; roll that one back first",
                short(&later)
            ));
        }
    }
    let files = git::changed_files(root, &commit)?;
    let file = files
        .into_iter()
        .find(|f| nanoup_ecosystems::is_lockfile(f) || f.ends_with(".txt"))
        .ok_or_else(|| format!("commit {} changed no lockfile", short(&commit)))?;
    let stack = match file.rsplit_once('/') {
        Some((dir, _)) => dir.to_string(),
        None => ".".to_string(),
    };
    let inverse = NanoUpdate {
        id: NanoUpdate::id_for(&stack, ecosystem, &name, to.trim(), &from),
        stack,
        ecosystem,
        kind: UpdateKind::between(to.trim(), &from),
        reasons: vec![format!("rollback of {id}")],
        manifest_change: false,
        blast_radius: vec![EntryChange {
            name: name.clone(),
            from: Some(to.trim().to_string()),
            to: Some(from.clone()),
        }],
        file: file.clone(),
        name,
        from: to.trim().to_string(),
        to: from,
    };
    let bytes = std::fs::read(root.join(&file)).map_err(|e| format!("cannot read {file}: {e}"))?;
    let outcome = apply(
        root,
        &[FileDigest::of(file, &bytes)],
        &inverse,
        false,
        fetch,
    );
    Ok(Rollback {
        applied_in: commit,
        inverse,
        outcome,
    })
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}
