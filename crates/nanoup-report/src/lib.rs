//! Renders nanoup's results for people and for machines.
//!
//! Every renderer is a pure function from a result (an [`nanoup_core::Inventory`] for now) to a
//! `String`, so output can be compared byte for byte: the same input always gives the same bytes.

pub mod audit;
pub mod cyclonedx;
pub mod json;
pub mod outdated;
pub mod plan;
pub mod spdx;
pub mod table;

pub use cyclonedx::SbomMeta;
