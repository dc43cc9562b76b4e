//! What the ledger stores: events, their kinds, and the filters that select them.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use nanoup_core::NanoUpdate;
use serde::{Serialize, Serializer};

use crate::LedgerError;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// An update was planned.
    Plan,
    /// An update was applied to the work tree.
    Apply,
    /// An update was refused (changed more than its blast radius, stale plan, ...).
    Refusal,
    /// An update was rolled back.
    Rollback,
    /// An applied update was committed (or, after a rebuild, a commit carries its trailer).
    Commit,
}

impl EventKind {
    /// Every kind, in the order of an update's life.
    pub const ALL: [EventKind; 5] = [
        EventKind::Plan,
        EventKind::Apply,
        EventKind::Refusal,
        EventKind::Rollback,
        EventKind::Commit,
    ];

    /// The name stored in the database and printed by `nanoup log`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Plan => "plan",
            EventKind::Apply => "apply",
            EventKind::Refusal => "refusal",
            EventKind::Rollback => "rollback",
            EventKind::Commit => "commit",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown event kind {s:?} (expected plan, apply, refusal, rollback or commit)"
                )
            })
    }
}

/// One event as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When it happened, RFC 3339 (normalised to UTC with milliseconds when stored).
    pub time: String,
    /// The repository, as [`repository_key`] spells it.
    pub repository: String,
    /// What happened.
    pub kind: EventKind,
    /// The update's id (`NanoUpdate::id`), when the event concerns one update.
    pub update_id: Option<String>,
    /// The stack's path.
    pub stack: Option<String>,
    /// The ecosystem's OSV name (`crates.io`, `npm`, ...).
    pub ecosystem: Option<String>,
    /// The package name.
    pub name: Option<String>,
    /// The version before the update.
    pub from: Option<String>,
    /// The version after the update.
    pub to: Option<String>,
    /// The commit the event is about (the commit that landed an update or a rollback).
    pub commit: Option<String>,
    /// A JSON object with the rest: reasons, blast radius, refusal reason, ... Serialised as
    /// JSON, not as a string.
    #[serde(serialize_with = "raw_json")]
    pub detail: String,
}

impl Event {
    /// An event of `kind` in `repository`, happening now, about no update in particular, with
    /// an empty detail (`{}`).
    pub fn new(kind: EventKind, repository: impl Into<String>) -> Event {
        Event {
            time: now(),
            repository: repository.into(),
            kind,
            update_id: None,
            stack: None,
            ecosystem: None,
            name: None,
            from: None,
            to: None,
            commit: None,
            detail: "{}".to_string(),
        }
    }

    /// An event of `kind` about `update`, happening now. The detail holds the update's kind,
    /// reasons, manifest change, file and blast radius; add to it with [`Event::with_detail`].
    pub fn for_update(
        kind: EventKind,
        repository: impl Into<String>,
        update: &NanoUpdate,
    ) -> Event {
        let detail = serde_json::json!({
            "update_kind": update.kind,
            "reasons": update.reasons,
            "manifest_change": update.manifest_change,
            "file": update.file,
            "blast_radius": update.blast_radius,
        });
        Event {
            update_id: Some(update.id.clone()),
            stack: Some(update.stack.clone()),
            ecosystem: Some(update.ecosystem.osv_name().to_string()),
            name: Some(update.name.clone()),
            from: Some(update.from.clone()),
            to: Some(update.to.clone()),
            detail: detail.to_string(),
            ..Event::new(kind, repository)
        }
    }

    /// Sets `key` in the detail object to `value` (the detail becomes `{}` first if it is not
    /// an object).
    pub fn with_detail(mut self, key: &str, value: impl Serialize) -> Event {
        let mut detail = match self.detail_value() {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        detail.insert(key.to_string(), value);
        self.detail = serde_json::Value::Object(detail).to_string();
        self
    }

    /// The detail parsed as JSON; a detail that is not JSON comes back as a JSON string.
    pub fn detail_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.detail)
            .unwrap_or_else(|_| serde_json::Value::String(self.detail.clone()))
    }

    /// The event as it is stored: time normalised, detail checked to be a JSON object.
    pub(crate) fn validated(&self) -> Result<Event, LedgerError> {
        let time = normalize_time(&self.time)?;
        if self.repository.is_empty() {
            return Err(LedgerError::InvalidEvent {
                field: "repository",
                value: String::new(),
                reason: "must not be empty".to_string(),
            });
        }
        let detail = if self.detail.trim().is_empty() {
            "{}".to_string()
        } else {
            match serde_json::from_str::<serde_json::Value>(&self.detail) {
                Ok(serde_json::Value::Object(_)) => self.detail.clone(),
                Ok(_) => {
                    return Err(LedgerError::InvalidEvent {
                        field: "detail",
                        value: self.detail.clone(),
                        reason: "must be a JSON object".to_string(),
                    });
                }
                Err(e) => {
                    return Err(LedgerError::InvalidEvent {
                        field: "detail",
                        value: self.detail.clone(),
                        reason: format!("is not JSON: {e}"),
                    });
                }
            }
        };
        Ok(Event {
            time,
            detail,
            ..self.clone()
        })
    }
}

fn raw_json<S: Serializer>(detail: &str, serializer: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<serde_json::Value>(detail) {
        Ok(value) => value.serialize(serializer),
        Err(_) => serializer.serialize_str(detail),
    }
}

/// An event read back from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    /// Its sequence number: unique, increasing in the order events were recorded.
    pub seq: i64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// Which events [`crate::Ledger::list`] returns. The default selects every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only events of this repository ([`repository_key`]).
    pub repository: Option<String>,
    /// Only events of this update id.
    pub update_id: Option<String>,
    /// Only events of this kind.
    pub kind: Option<EventKind>,
    /// At most this many events (the newest).
    pub limit: Option<u32>,
}

/// What the ledger knows about an applied update (see [`crate::Ledger::applied_update`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedUpdate {
    /// The latest `apply` event of the update, or its latest `commit` event when the ledger
    /// holds no apply (a ledger rebuilt from commit trailers).
    pub applied: StoredEvent,
    /// The commit that landed that application, when one is recorded.
    pub commit: Option<String>,
    /// The first rollback recorded after that application, if any.
    pub rolled_back: Option<StoredEvent>,
}

impl AppliedUpdate {
    /// Whether the update was rolled back since it was last applied.
    pub fn is_rolled_back(&self) -> bool {
        self.rolled_back.is_some()
    }
}

/// The current time as the ledger stores it: RFC 3339, UTC, milliseconds
/// (`2026-11-22T10:00:00.000Z`).
pub fn now() -> String {
    format_utc(jiff::Timestamp::now())
}

/// `time` (RFC 3339, any offset) in the ledger's form: UTC with exactly three fractional digits,
/// so that text order is time order.
pub fn normalize_time(time: &str) -> Result<String, LedgerError> {
    let timestamp: jiff::Timestamp =
        time.trim()
            .parse()
            .map_err(|e: jiff::Error| LedgerError::InvalidEvent {
                field: "time",
                value: time.to_string(),
                reason: format!("is not an RFC 3339 time: {e}"),
            })?;
    Ok(format_utc(timestamp))
}

fn format_utc(timestamp: jiff::Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The name the ledger files a repository under: its canonical path, or the path made absolute
/// when it cannot be canonicalised (it does not exist). Pass the same directory that plan,
/// apply and rollback are given.
pub fn repository_key(path: &Path) -> String {
    let path = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf());
    path.to_string_lossy().into_owned()
}
