//! The pypi ecosystem: detect its stacks and extract their components.

use crate::{NamedParser, Scanned, Tree};

/// The pure parsers of this ecosystem's file formats, for fuzzing and benchmarks.
pub const PARSERS: &[NamedParser] = &[];

/// Finds and reads every pypi stack in `tree`.
pub fn scan(_tree: &Tree) -> Scanned {
    Scanned::default()
}
