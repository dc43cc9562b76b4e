//! The nanoup ledger: an embedded SQLite database in the data directory that records every plan,
//! apply, refusal, rollback and commit with its time, repository, update id and versions.
//!
//! The database is `<data dir>/ledger.sqlite` ([`LEDGER_FILE`]), opened in WAL mode with a busy
//! timeout so that several nanoup processes can share it. Its schema is created and upgraded by
//! migrations embedded in the binary (`migrations/sqlite`), run on every [`Ledger::open`]. The
//! ledger is written through sqlx's runtime query functions with `$1` binds and times stored as
//! RFC 3339 text, so a PostgreSQL back end can follow with its own migration directory.
//!
//! The API is synchronous: a [`Ledger`] owns a small current-thread tokio runtime and blocks on
//! it. Everything the ledger holds about commits can be recovered from the repository itself with
//! [`Ledger::rebuild_from_git`], which reads nanoup's commit trailers.

mod event;
mod git;
mod verify;

use std::fs::{File, OpenOptions};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::MigrateError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

pub use event::{
    AppliedUpdate, Event, EventKind, Filter, StoredEvent, normalize_time, now, repository_key,
};
pub use git::{PackageTrailer, parse_package_trailer};
pub use verify::{VerifyRun, VerifyVerdict};

/// The ledger's file name inside the data directory.
pub const LEDGER_FILE: &str = "ledger.sqlite";

/// How long a write waits for another process holding the database before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// `SELECT <every event column> FROM events ` followed by the rest of a query, as a static
/// string (sqlx accepts only static SQL without an explicit audit).
macro_rules! select_events {
    ($($rest:literal),+) => {
        concat!(
            "SELECT seq, time, repository, kind, update_id, stack, ecosystem, name, ",
            "from_version, to_version, commit_sha, detail FROM events ",
            $($rest),+
        )
    };
}

/// The latest event of a kind ($3) of an update ($2) in a repository ($1).
const LATEST_OF_KIND: &str = select_events!(
    "WHERE repository = $1 AND update_id = $2 AND kind = $3 ",
    "ORDER BY time DESC, seq DESC LIMIT 1"
);

/// The first event of a kind ($3) of an update ($2) in a repository ($1) after a given event
/// (time $4, sequence number $5).
const FIRST_OF_KIND_AFTER: &str = select_events!(
    "WHERE repository = $1 AND update_id = $2 AND kind = $3 ",
    "AND (time > $4 OR (time = $4 AND seq > $5)) ORDER BY time, seq LIMIT 1"
);

/// The SQLite migrations, embedded at build time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Everything that can go wrong with the ledger. Every message names the file or repository
/// concerned and, where there is one, what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {}: {source}", dir.display())]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The lock file that serialises schema migrations could not be opened or locked.
    #[error("cannot lock {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The runtime that drives the database could not start.
    #[error("cannot start the ledger's runtime: {0}")]
    Runtime(std::io::Error),
    /// The file exists but is not a readable SQLite database.
    #[error(
        "the ledger {} is damaged or is not a nanoup ledger ({detail}); move it aside (for \
         example to {}.bad) and run `nanoup log --rebuild` in each repository to recover what \
         its commit trailers record",
        path.display(),
        path.display()
    )]
    Corrupt {
        /// The ledger file.
        path: PathBuf,
        /// SQLite's own message.
        detail: String,
    },
    /// The ledger was migrated by a newer nanoup whose schema this one does not know.
    #[error(
        "the ledger {} has schema version {version}, written by a newer nanoup; upgrade nanoup \
         or point NANOUP_HOME at another directory",
        path.display()
    )]
    NewerSchema {
        /// The ledger file.
        path: PathBuf,
        /// The unknown migration version found in the file.
        version: i64,
    },
    /// A schema migration failed.
    #[error("cannot bring the ledger {} to the current schema: {source}", path.display())]
    Migrate {
        /// The ledger file.
        path: PathBuf,
        /// Why.
        source: MigrateError,
    },
    /// A query failed.
    #[error("ledger {}: {source}", path.display())]
    Database {
        /// The ledger file.
        path: PathBuf,
        /// Why.
        source: sqlx::Error,
    },
    /// A stored row cannot be read back (say, an event kind this nanoup does not know).
    #[error("ledger {}, event {seq}: {message}", path.display())]
    BadRow {
        /// The ledger file.
        path: PathBuf,
        /// The row's sequence number.
        seq: i64,
        /// What is wrong with it.
        message: String,
    },
    /// An event handed to [`Ledger::record`] is malformed.
    #[error("invalid ledger event: {field} {value:?}: {reason}")]
    InvalidEvent {
        /// The field at fault.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading the repository's history failed.
    #[error("cannot read the commit history of {}: {message}", repository.display())]
    Git {
        /// The repository.
        repository: PathBuf,
        /// git's message, or why git could not run.
        message: String,
    },
}

/// An open ledger. Cheap to keep around; every method blocks until the database answers.
///
/// Several handles, in one process or many, may use the same file at once: SQLite's WAL mode and
/// busy timeout serialise the writers.
pub struct Ledger {
    path: PathBuf,
    pool: SqlitePool,
    runtime: OwnRuntime,
}

/// The ledger's runtime. Dropping a tokio runtime inside another one panics, so inside one it
/// is shut down in the background instead.
struct OwnRuntime(Option<tokio::runtime::Runtime>);

impl OwnRuntime {
    fn get(&self) -> &tokio::runtime::Runtime {
        self.0
            .as_ref()
            .expect("the runtime lives as long as the ledger")
    }
}

impl Drop for OwnRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take()
            && tokio::runtime::Handle::try_current().is_ok()
        {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

impl Ledger {
    /// Opens `<data_dir>/ledger.sqlite`, creating the directory and the file if needed, and
    /// brings its schema up to date. Migrations of concurrent openers are serialised by an
    /// exclusive lock on `<data_dir>/ledger.sqlite.lock`.
    pub fn open(data_dir: &Path) -> Result<Ledger, LedgerError> {
        std::fs::create_dir_all(data_dir).map_err(|source| LedgerError::CreateDir {
            dir: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(LEDGER_FILE);
        let runtime = OwnRuntime(Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(LedgerError::Runtime)?,
        ));
        let lock_path = data_dir.join(format!("{LEDGER_FILE}.lock"));
        let lock = lock_file(&lock_path)?;
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT);
        let connect = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(BUSY_TIMEOUT + Duration::from_secs(5))
            .connect_with(options);
        let pool = run(runtime.get(), connect).map_err(|e| db_error(&path, e))?;
        let ledger = Ledger {
            path,
            pool,
            runtime,
        };
        let migrated = ledger.block_on(MIGRATOR.run(&ledger.pool));
        drop(lock);
        migrated.map_err(|e| migrate_error(&ledger.path, e))?;
        Ok(ledger)
    }

    /// The ledger file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records one event and returns its sequence number. The time is normalised to UTC; the
    /// detail must be a JSON object (an empty string stands for `{}`).
    ///
    /// An event of a commit that is already recorded (same repository, commit, kind and update)
    /// is not stored twice: the existing event's sequence number is returned.
    pub fn record(&self, event: &Event) -> Result<i64, LedgerError> {
        let event = event.validated()?;
        self.block_on(async {
            let mut tx = self.pool.begin().await?;
            let seq = insert(&mut tx, &event).await?;
            let seq = match seq {
                Some(seq) => seq,
                None => {
                    sqlx::query_scalar::<_, i64>(
                        "SELECT seq FROM events WHERE repository = $1 AND commit_sha = $2 \
                         AND kind = $3 AND update_id = $4",
                    )
                    .bind(&event.repository)
                    .bind(&event.commit)
                    .bind(event.kind.as_str())
                    .bind(&event.update_id)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            tx.commit().await?;
            Ok(seq)
        })
        .map_err(|e| db_error(&self.path, e))
    }

    /// The events matching `filter`, newest first (by time, then by sequence number).
    pub fn list(&self, filter: &Filter) -> Result<Vec<StoredEvent>, LedgerError> {
        let limit = filter.limit.map_or(i64::MAX, i64::from);
        const SQL: &str = select_events!(
            "WHERE ($1 IS NULL OR repository = $1) AND ($2 IS NULL OR update_id = $2) ",
            "AND ($3 IS NULL OR kind = $3) ORDER BY time DESC, seq DESC LIMIT $4"
        );
        let rows = self
            .block_on(
                sqlx::query(SQL)
                    .bind(&filter.repository)
                    .bind(&filter.update_id)
                    .bind(filter.kind.map(EventKind::as_str))
                    .bind(limit)
                    .fetch_all(&self.pool),
            )
            .map_err(|e| db_error(&self.path, e))?;
        rows.iter().map(|row| self.stored_event(row)).collect()
    }

    /// The last time update `update_id` was applied in `repository` (its latest `apply` event,
    /// or its latest `commit` event when the ledger holds no apply, as after a rebuild from
    /// commit trailers), the commit that landed it, and whether it was rolled back since.
    /// `None` when the ledger has no record of the update being applied there.
    pub fn applied_update(
        &self,
        repository: &str,
        update_id: &str,
    ) -> Result<Option<AppliedUpdate>, LedgerError> {
        let fetch_latest = |kind: EventKind| {
            self.block_on(async {
                sqlx::query(LATEST_OF_KIND)
                    .bind(repository)
                    .bind(update_id)
                    .bind(kind.as_str())
                    .fetch_optional(&self.pool)
                    .await
            })
            .map_err(|e| db_error(&self.path, e))
        };
        let row = match fetch_latest(EventKind::Apply)? {
            Some(row) => Some(row),
            None => fetch_latest(EventKind::Commit)?,
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let applied = self.stored_event(&row)?;
        let fetch_after = |kind: EventKind| {
            self.block_on(async {
                sqlx::query(FIRST_OF_KIND_AFTER)
                    .bind(repository)
                    .bind(update_id)
                    .bind(kind.as_str())
                    .bind(&applied.event.time)
                    .bind(applied.seq)
                    .fetch_optional(&self.pool)
                    .await
            })
            .map_err(|e| db_error(&self.path, e))
        };
        let commit = match &applied.event.commit {
            Some(sha) => Some(sha.clone()),
            None => match fetch_after(EventKind::Commit)? {
                Some(row) => self.stored_event(&row)?.event.commit,
                None => None,
            },
        };
        let rolled_back = match fetch_after(EventKind::Rollback)? {
            Some(row) => Some(self.stored_event(&row)?),
            None => None,
        };
        Ok(Some(AppliedUpdate {
            applied,
            commit,
            rolled_back,
        }))
    }

    /// Reads the commit trailers on `repository`'s current branch (`git log HEAD`) and records
    /// a `commit` event for every `Nanoup-Update` trailer and a `rollback` event for every
    /// `Nanoup-Rollback` trailer that the ledger does not hold yet. Returns how many events
    /// were added: running it twice adds nothing the second time. A repository without commits
    /// adds nothing.
    pub fn rebuild_from_git(&self, repository: &Path) -> Result<usize, LedgerError> {
        let key = repository_key(repository);
        let events = git::events_from_history(repository, &key)?;
        let mut events: Vec<Event> = events
            .into_iter()
            .map(|event| event.validated())
            .collect::<Result<_, _>>()?;
        // Oldest first, so sequence numbers follow history.
        events.reverse();
        self.block_on(async {
            let mut tx = self.pool.begin().await?;
            let mut added = 0;
            for event in &events {
                if insert(&mut tx, event).await?.is_some() {
                    added += 1;
                }
            }
            tx.commit().await?;
            Ok(added)
        })
        .map_err(|e| db_error(&self.path, e))
    }

    /// Closes the database, waiting for pending writes and the WAL checkpoint.
    pub fn close(self) {
        // Dropping does the work.
    }

    fn stored_event(&self, row: &SqliteRow) -> Result<StoredEvent, LedgerError> {
        stored_event(row).map_err(|(seq, message)| LedgerError::BadRow {
            path: self.path.clone(),
            seq,
            message,
        })
    }

    /// Runs a future on the ledger's runtime. Inside another tokio runtime (where blocking on
    /// ours would panic) it runs on a scoped thread instead.
    fn block_on<F>(&self, future: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        run(self.runtime.get(), future)
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        let pool = self.pool.clone();
        run(self.runtime.get(), async move { pool.close().await });
    }
}

fn run<F>(runtime: &tokio::runtime::Runtime, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(future);
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| runtime.block_on(future))
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Inserts one event unless a commit's event is already there; the new sequence number, or
/// `None` when it was already recorded.
async fn insert(
    tx: &mut Transaction<'static, Sqlite>,
    event: &Event,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO events (time, repository, kind, update_id, stack, ecosystem, name, \
         from_version, to_version, commit_sha, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT DO NOTHING RETURNING seq",
    )
    .bind(&event.time)
    .bind(&event.repository)
    .bind(event.kind.as_str())
    .bind(&event.update_id)
    .bind(&event.stack)
    .bind(&event.ecosystem)
    .bind(&event.name)
    .bind(&event.from)
    .bind(&event.to)
    .bind(&event.commit)
    .bind(&event.detail)
    .fetch_optional(&mut **tx)
    .await
}

fn stored_event(row: &SqliteRow) -> Result<StoredEvent, (i64, String)> {
    let seq: i64 = row.try_get("seq").map_err(|e| (0, e.to_string()))?;
    let get = |column: &str| -> Result<Option<String>, (i64, String)> {
        row.try_get(column)
            .map_err(|e| (seq, format!("column {column}: {e}")))
    };
    let need = |column: &str| -> Result<String, (i64, String)> {
        get(column)?.ok_or_else(|| (seq, format!("column {column} is empty")))
    };
    let kind_text = need("kind")?;
    let kind = EventKind::from_str(&kind_text).map_err(|e| (seq, e))?;
    Ok(StoredEvent {
        seq,
        event: Event {
            time: need("time")?,
            repository: need("repository")?,
            kind,
            update_id: get("update_id")?,
            stack: get("stack")?,
            ecosystem: get("ecosystem")?,
            name: get("name")?,
            from: get("from_version")?,
            to: get("to_version")?,
            commit: get("commit_sha")?,
            detail: need("detail")?,
        },
    })
}

fn lock_file(path: &Path) -> Result<File, LedgerError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .and_then(|file| file.lock().map(|()| file))
        .map_err(|source| LedgerError::Lock {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(file)
}

/// SQLite's result codes for a file that is not a database or is damaged.
const SQLITE_CORRUPT: &str = "11";
const SQLITE_NOTADB: &str = "26";

/// SQLite's message when `source` says the file is damaged or not a database at all.
fn corruption(source: &sqlx::Error) -> Option<String> {
    let sqlx::Error::Database(db) = source else {
        return None;
    };
    // Extended result codes carry the primary code in their low byte.
    let primary = db
        .code()
        .and_then(|c| c.parse::<i64>().ok())
        .map(|n| (n & 0xff).to_string());
    let message = db.message();
    let corrupt = matches!(primary.as_deref(), Some(SQLITE_CORRUPT | SQLITE_NOTADB))
        || message.contains("not a database")
        || message.contains("malformed");
    corrupt.then(|| message.to_string())
}

fn db_error(path: &Path, source: sqlx::Error) -> LedgerError {
    match corruption(&source) {
        Some(detail) => LedgerError::Corrupt {
            path: path.to_path_buf(),
            detail,
        },
        None => LedgerError::Database {
            path: path.to_path_buf(),
            source,
        },
    }
}

fn migrate_error(path: &Path, source: MigrateError) -> LedgerError {
    let corrupt = match &source {
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => corruption(e),
        _ => None,
    };
    match (corrupt, source) {
        (Some(detail), _) => LedgerError::Corrupt {
            path: path.to_path_buf(),
            detail,
        },
        (None, MigrateError::VersionMissing(version)) => LedgerError::NewerSchema {
            path: path.to_path_buf(),
            version,
        },
        (None, source) => LedgerError::Migrate {
            path: path.to_path_buf(),
            source,
        },
    }
}
