-- nanoup ledger, SQLite schema 1: one row per event (plan, apply, refusal, rollback, commit).
--
-- Times are RFC 3339 text in UTC with exactly three fractional digits
-- (2026-11-22T10:00:00.000Z): fixed width, so text order is time order on every back end.
-- `detail` is a JSON object (reasons, blast radius, refusal reason, ...), kept as text.
-- A PostgreSQL back end gets its own directory (migrations/postgres) with the same columns.
-- Never edit this file once released: sqlx checks each applied migration's checksum, so a
-- change of schema is a new numbered file.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    time         TEXT    NOT NULL,
    repository   TEXT    NOT NULL,
    kind         TEXT    NOT NULL
                 CHECK (kind IN ('plan', 'apply', 'refusal', 'rollback', 'commit')),
    update_id    TEXT,
    stack        TEXT,
    ecosystem    TEXT,
    name         TEXT,
    from_version TEXT,
    to_version   TEXT,
    commit_sha   TEXT,
    detail       TEXT    NOT NULL DEFAULT '{}'
);

CREATE INDEX events_by_repository_time ON events (repository, time);
CREATE INDEX events_by_update ON events (update_id, repository, time);

-- A commit records each of its events once: rebuilding from commit trailers is idempotent, and
-- an event nanoup recorded when it made the commit is not duplicated by a rebuild.
CREATE UNIQUE INDEX events_once_per_commit
    ON events (repository, commit_sha, kind, update_id)
    WHERE commit_sha IS NOT NULL;
