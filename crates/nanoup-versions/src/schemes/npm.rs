//! npm versions: SemVer 2.0 with npm's tolerated spellings.

use crate::VersionScheme;
use crate::schemes::semver::parse_lenient;

/// npm versions: SemVer 2.0 precedence (prereleases below their release, identifiers compared
/// numerically or lexically per the spec), build metadata ignored.
///
/// Like `semver.clean()`, a leading `=` and/or `v` (with whitespace around it) is stripped.
/// Partial versions are read as in [`crate::Scheme::SemVer`], since OSV records use them.
pub(crate) struct Npm;

impl VersionScheme for Npm {
    type Key = semver::Version;

    fn parse(text: &str) -> Result<Self::Key, String> {
        let mut rest = text.trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            rest = r.trim_start();
        }
        if let Some(r) = rest.strip_prefix(['v', 'V']) {
            rest = r.trim_start();
        }
        parse_lenient(rest).map_err(|e| format!("{e}, optionally prefixed by `=` or `v`"))
    }

    fn is_prerelease(key: &Self::Key) -> bool {
        !key.pre.is_empty()
    }
}
