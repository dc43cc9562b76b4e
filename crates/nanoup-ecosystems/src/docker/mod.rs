//! The docker ecosystem: detect its stacks and extract their components.

use crate::{Scanned, Tree};

/// Finds and reads every docker stack in `tree`.
pub fn scan(_tree: &Tree) -> Scanned {
    Scanned::default()
}
