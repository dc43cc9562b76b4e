//! The engine of nano updates: planning (a pure function from what a stack has, what the
//! advisories say and what the registry offers, to the smallest allowed version steps), the
//! search for the minimal consistent change of Cargo, npm, requirements and poetry.lock updates
//! (`cargo`, `npm`, `pypi`, `poetry`), applying an update and proving its
//! blast radius (`apply`), git commits with trailers (`git`) and rolling one update back
//! (`rollback`).

pub mod apply;
pub mod cargo;
pub mod git;
mod memo;
pub mod npm;
pub mod plan;
pub mod poetry;
pub mod pypi;
pub mod rollback;
