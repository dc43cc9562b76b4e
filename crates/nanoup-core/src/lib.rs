//! nanoup's vocabulary.
//!
//! Every other crate speaks in these types: an [`Ecosystem`], a [`Component`] found in a
//! [`Stack`], the [`Inventory`] of a whole repository, and the [`ParseError`] that names the
//! file, line and column of bad input. Nothing in this crate touches the file system or the
//! network, so everything here can be built and compared in tests from plain values.

mod component;
mod datadir;
mod ecosystem;
mod error;
mod finding;
mod inventory;
mod purl;
mod release;
mod text;
mod update;

pub use component::{Component, Place, Scope, Source};
pub use datadir::{DATA_DIR_ENV, data_dir, data_dir_from};
pub use ecosystem::Ecosystem;
pub use error::ParseError;
pub use finding::{
    AUDIT_SCHEMA, AuditReport, DatabaseInfo, Finding, FindingKind, IgnoredFinding, Severity,
};
pub use inventory::{Inventory, SCAN_SCHEMA, Stack, UnreadFile};
pub use purl::{parse_purl, purl_for};
pub use release::Release;
pub use text::{LineIndex, normalize_pypi_name};
pub use update::{
    BLAST_RADIUS_TRAILER, EntryChange, FileDigest, NanoUpdate, PACKAGE_TRAILER, PLAN_SCHEMA, Pin,
    Plan, REASON_TRAILER, REMOVED, ROLLBACK_TRAILER, Step, StepRole, UPDATE_TRAILER, Unfixable,
    UpdateKind,
};
