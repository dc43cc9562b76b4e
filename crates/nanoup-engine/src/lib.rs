//! The engine of nano updates. Today: planning, a pure function from what a stack has, what the
//! advisories say and what the registry offers, to the smallest allowed version steps.

pub mod apply;
pub mod cargo;
pub mod git;
pub mod plan;
pub mod rollback;
