//! What `nanoup verify` records: every test run (the set, command, exit code, duration, log)
//! and every verdict, under the verification's session id.

use serde::{Deserialize, Serialize};

use crate::{Ledger, LedgerError, db_error};

/// One test run of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyRun {
    /// The verification's id.
    pub session: String,
    /// The run's number in it, from 1.
    pub number: i64,
    /// When it ended (RFC 3339, UTC).
    pub time: String,
    /// The repository key.
    pub repository: String,
    /// `decision` or `confirmation`.
    pub purpose: String,
    /// The update ids tested together.
    pub updates: Vec<String>,
    /// The test command.
    pub command: String,
    /// Its exit code; none when it was killed.
    pub exit_code: Option<i64>,
    /// Why it was killed or could not start.
    pub reason: Option<String>,
    /// Wall time in milliseconds.
    pub duration_ms: i64,
    /// Its output.
    pub log_path: String,
}

/// One verdict of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyVerdict {
    /// The verification's id.
    pub session: String,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// The repository key.
    pub repository: String,
    /// The update.
    pub update_id: String,
    /// Its package.
    pub name: String,
    /// Version before.
    pub from: String,
    /// Version after.
    pub to: String,
    /// green, culprit, interaction, flaky or not_applied.
    pub verdict: String,
    /// A JSON object: the interaction's partners, why it was not applied.
    pub detail: String,
}

impl Ledger {
    /// Records one verify run.
    pub fn record_verify_run(&self, run: &VerifyRun) -> Result<(), LedgerError> {
        let updates = serde_json::to_string(&run.updates).unwrap_or_else(|_| "[]".into());
        self.block_on(
            sqlx::query(
                "INSERT INTO verify_runs (session, number, time, repository, purpose, updates, \
                 command, exit_code, reason, duration_ms, log_path) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&run.session)
            .bind(run.number)
            .bind(crate::normalize_time(&run.time).unwrap_or_else(|_| run.time.clone()))
            .bind(&run.repository)
            .bind(&run.purpose)
            .bind(updates)
            .bind(&run.command)
            .bind(run.exit_code)
            .bind(&run.reason)
            .bind(run.duration_ms)
            .bind(&run.log_path)
            .execute(&self.pool),
        )
        .map(|_| ())
        .map_err(|e| db_error(&self.path, e))
    }

    /// Records one verdict.
    pub fn record_verify_verdict(&self, verdict: &VerifyVerdict) -> Result<(), LedgerError> {
        self.block_on(
            sqlx::query(
                "INSERT INTO verify_verdicts (session, time, repository, update_id, name, \
                 from_version, to_version, verdict, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&verdict.session)
            .bind(crate::normalize_time(&verdict.time).unwrap_or_else(|_| verdict.time.clone()))
            .bind(&verdict.repository)
            .bind(&verdict.update_id)
            .bind(&verdict.name)
            .bind(&verdict.from)
            .bind(&verdict.to)
            .bind(&verdict.verdict)
            .bind(&verdict.detail)
            .execute(&self.pool),
        )
        .map(|_| ())
        .map_err(|e| db_error(&self.path, e))
    }

    /// The runs of verification `session`, in order.
    pub fn verify_runs(&self, session: &str) -> Result<Vec<VerifyRun>, LedgerError> {
        use sqlx::Row;
        let rows = self
            .block_on(
                sqlx::query(
                    "SELECT session, number, time, repository, purpose, updates, command, \
                     exit_code, reason, duration_ms, log_path FROM verify_runs \
                     WHERE session = $1 ORDER BY number",
                )
                .bind(session)
                .fetch_all(&self.pool),
            )
            .map_err(|e| db_error(&self.path, e))?;
        rows.iter()
            .map(|row| {
                let updates: String = row.try_get("updates")?;
                Ok(VerifyRun {
                    session: row.try_get("session")?,
                    number: row.try_get("number")?,
                    time: row.try_get("time")?,
                    repository: row.try_get("repository")?,
                    purpose: row.try_get("purpose")?,
                    updates: serde_json::from_str(&updates).unwrap_or_default(),
                    command: row.try_get("command")?,
                    exit_code: row.try_get("exit_code")?,
                    reason: row.try_get("reason")?,
                    duration_ms: row.try_get("duration_ms")?,
                    log_path: row.try_get("log_path")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| db_error(&self.path, e))
    }

    /// The verdicts of verification `session`.
    pub fn verify_verdicts(&self, session: &str) -> Result<Vec<VerifyVerdict>, LedgerError> {
        use sqlx::Row;
        let rows = self
            .block_on(
                sqlx::query(
                    "SELECT session, time, repository, update_id, name, from_version, \
                     to_version, verdict, detail FROM verify_verdicts WHERE session = $1 \
                     ORDER BY rowid",
                )
                .bind(session)
                .fetch_all(&self.pool),
            )
            .map_err(|e| db_error(&self.path, e))?;
        rows.iter()
            .map(|row| {
                Ok(VerifyVerdict {
                    session: row.try_get("session")?,
                    time: row.try_get("time")?,
                    repository: row.try_get("repository")?,
                    update_id: row.try_get("update_id")?,
                    name: row.try_get("name")?,
                    from: row.try_get("from_version")?,
                    to: row.try_get("to_version")?,
                    verdict: row.try_get("verdict")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(|e| db_error(&self.path, e))
    }
}
