//! PEP 440 (PyPI) versions via `pep440_rs`.

use crate::VersionScheme;

/// PyPI versions in PEP 440 order, via `pep440_rs` (epochs `1!2.0`, pre `a`/`b`/`rc` with
/// their alternative spellings `alpha`/`c`/`pre`/`preview`, post `.post1`/`-1`, dev `.dev1`,
/// local `+cu124`).
///
/// Input is normalised as PEP 440 prescribes: case-insensitive, optional leading `v`,
/// optional separators (`1.0RC1` == `1.0rc1`, `3.9.0c2` == `3.9.0rc2`), zero padding
/// (`3.8` == `3.8.0`). `pep440_rs`'s `Eq`/`Hash` agree with its `Ord`.
pub(crate) struct Pep440;

impl VersionScheme for Pep440 {
    type Key = pep440_rs::Version;

    fn parse(text: &str) -> Result<Self::Key, String> {
        text.parse::<pep440_rs::Version>().map_err(|e| {
            format!("a PEP 440 version such as 1.0, 1!2.0rc1 or 1.0.post1+local ({e})")
        })
    }

    fn is_prerelease(key: &Self::Key) -> bool {
        key.any_prerelease()
    }
}
