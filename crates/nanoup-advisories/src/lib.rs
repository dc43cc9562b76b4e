//! nanoup's vulnerability knowledge.
//!
//! Advisories come in as OSV records (osv.dev zip exports, folders of OSV JSON, PyPA YAML) or in
//! RustSec's native Markdown + TOML form; [`osv`] reads the wire format into the compact
//! [`Advisory`] model, the index stores advisories by (ecosystem, package) in one file of the
//! data directory, and matching turns an inventory plus the index into findings.

pub mod advisory;
pub mod audit;
pub mod db;
pub mod index;
pub mod matching;
pub mod osv;
pub mod sources;
pub mod update;

pub use advisory::{Advisory, AffectedPackage, AffectedRange, RangeKind, SeverityVector};
