//! Reading PATH/nanoup.toml, the repository's policy, for the commands that follow it.

use std::path::Path;

use anyhow::{Context, Result};
use nanoup_policy::{POLICY_FILE, Policy};

/// The policy of the repository at `root`: its nanoup.toml, or the defaults when there is none.
/// A policy that cannot be read or parsed is an error naming the file and place.
pub fn load(root: &Path) -> Result<Policy> {
    let path = root.join(POLICY_FILE);
    if !path.is_file() {
        return Ok(Policy::default());
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(nanoup_policy::parse(&path.display().to_string(), &text)?)
}
