-- nanoup ledger, SQLite schema 2: what `nanoup verify` did. One row per test run and one per
-- verdict, tied together by the verification's id (`session`, unique per verify).
--
-- `updates` is a JSON array of update ids (the set the run tested), kept as text.
-- A run without an exit code was killed: `reason` says why (timeout, interrupted, signal).
CREATE TABLE verify_runs (
    session      TEXT    NOT NULL,
    number       INTEGER NOT NULL,
    time         TEXT    NOT NULL,
    repository   TEXT    NOT NULL,
    purpose      TEXT    NOT NULL CHECK (purpose IN ('decision', 'confirmation')),
    updates      TEXT    NOT NULL,
    command      TEXT    NOT NULL,
    exit_code    INTEGER,
    reason       TEXT,
    duration_ms  INTEGER NOT NULL,
    log_path     TEXT    NOT NULL,
    PRIMARY KEY (session, number)
);

CREATE TABLE verify_verdicts (
    session      TEXT    NOT NULL,
    time         TEXT    NOT NULL,
    repository   TEXT    NOT NULL,
    update_id    TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    from_version TEXT    NOT NULL,
    to_version   TEXT    NOT NULL,
    verdict      TEXT    NOT NULL
                 CHECK (verdict IN ('green', 'culprit', 'interaction', 'flaky', 'not_applied')),
    detail       TEXT    NOT NULL DEFAULT '{}',
    PRIMARY KEY (session, update_id)
);

CREATE INDEX verify_verdicts_by_update ON verify_verdicts (update_id, repository, time);
