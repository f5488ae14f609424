-- statewise schema for SQLite, version 1.
--
-- Append-only: never edit a released migration; add 0002_... instead.
-- Rowid tables throughout (not WITHOUT ROWID): payload columns can hold up to 256 KiB, and
-- SQLite recommends WITHOUT ROWID only for small rows.

CREATE TABLE definitions (
    id   TEXT PRIMARY KEY,  -- content hash, so one row per distinct definition text
    text TEXT NOT NULL
);

CREATE TABLE executions (
    arn               TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name              TEXT NOT NULL,
    definition_id     TEXT NOT NULL,
    status            TEXT NOT NULL,
    input             TEXT NOT NULL,
    start_date        REAL NOT NULL,
    role_arn          TEXT NOT NULL,
    stop_date         REAL,
    output            TEXT,
    error             TEXT,
    cause             TEXT,
    version_arn       TEXT,
    alias_arn         TEXT,
    trace_header      TEXT,
    last_event_id     INTEGER NOT NULL
);

-- ListExecutions pages newest first with keyset pagination on (start_date, arn).
CREATE INDEX executions_by_machine
    ON executions (state_machine_arn, start_date DESC, arn DESC);

-- ListExecutions with a status filter, and CountExecutions' GROUP BY status, without
-- scanning a machine's whole history (millions of SUCCEEDED rows, a few RUNNING ones).
CREATE INDEX executions_by_machine_status
    ON executions (state_machine_arn, status, start_date DESC, arn DESC);

-- Hot table: one row per live scope; rows are deleted when the execution closes.
CREATE TABLE frames (
    execution_arn TEXT NOT NULL,
    id            INTEGER NOT NULL,
    parent_id     INTEGER,
    idx           INTEGER NOT NULL,  -- FrameRecord.index ("index" is an SQL keyword)
    state         TEXT NOT NULL,
    input         TEXT NOT NULL,
    status        TEXT NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
);

CREATE TABLE events (
    execution_arn     TEXT NOT NULL,
    id                INTEGER NOT NULL,
    type              TEXT NOT NULL,
    timestamp         REAL NOT NULL,
    previous_event_id INTEGER NOT NULL,
    details           TEXT,
    PRIMARY KEY (execution_arn, id)
);

-- Hot table: pending work only; a finished item is deleted in the same commit.
CREATE TABLE work (
    id            TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    frame_id      INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    due_at        REAL NOT NULL,
    payload       TEXT NOT NULL,
    lease_owner   TEXT,
    lease_until   REAL
);

-- claim_due and next_due walk this in order; id breaks ties so every backend agrees.
CREATE INDEX work_by_due ON work (due_at, id);

-- closed_executions, get_work and execution_arns_with_work look work up by execution.
CREATE INDEX work_by_execution ON work (execution_arn);
